//! ECPay ECPG simulator (NOTES.md §3, `ecpay-create-payment-with-card-id.txt`):
//! refuses an envelope with TransCode ≠ 1 when its MerchantID is not ours,
//! its Timestamp is more than 10 minutes off, or its Data does not decrypt
//! with the stage HashKey/HashIV; answers RtnCode inside the encrypted Data;
//! posts the ReturnURL notification (JSON, encrypted Data) to the callback
//! URL when set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use serde_json::{Value, json};

use super::{CallbackBody, Charge, Fault, Killer, Ledger, Server, SimOptions, next_number};
use crate::gateway::ecpay::{
    self, CardInfo, CreatePaymentWithCardId, EcpayConfig, MAX_CLOCK_SKEW_SECS, OrderInfo,
    PaymentResult, RequestEnvelope, ResponseEnvelope, ReturnData,
};
use crate::money::Ntd;
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::taipei;

/// ECPay's public stage credentials (NOTES §3).
pub const MERCHANT_ID: &str = "3002607";
pub const HASH_KEY: &str = "pwFHCqoQZGmho4w6";
pub const HASH_IV: &str = "EkRm7iFT261dpevs";

#[derive(Clone)]
struct Sim {
    cfg: EcpayConfig,
    opts: SimOptions,
    ledger: Ledger,
    /// Answers by MerchantTradeNo.
    orders: Arc<Mutex<HashMap<String, PaymentResult>>>,
}

/// A running ECPay simulator.
#[derive(Debug)]
pub struct EcpaySim {
    pub server: Server,
    pub ledger: Ledger,
}

fn stage_config() -> EcpayConfig {
    EcpayConfig {
        url: String::new(),
        merchant_id: MERCHANT_ID.into(),
        platform_id: String::new(),
        hash_key: Secret::new(HASH_KEY),
        hash_iv: Secret::new(HASH_IV),
        return_url: String::new(),
    }
}

impl EcpaySim {
    pub async fn start(opts: SimOptions) -> std::io::Result<EcpaySim> {
        let ledger = Ledger::default();
        let sim = Sim {
            cfg: stage_config(),
            opts,
            ledger: ledger.clone(),
            orders: Arc::default(),
        };
        let app = Router::new()
            .route("/Merchant/CreatePaymentWithCardID", post(create))
            .with_state(sim);
        Ok(EcpaySim {
            server: super::serve(app).await?,
            ledger,
        })
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }

    pub fn config_section(&self) -> crate::config::Ecpay {
        crate::config::Ecpay {
            base_url: self.server.base_url(),
            merchant_id: MERCHANT_ID.into(),
            platform_id: String::new(),
            hash_key: Secret::new(HASH_KEY),
            hash_iv: Secret::new(HASH_IV),
            return_url: String::new(),
            timeout_secs: ecpay::MIN_TIMEOUT_SECS,
        }
    }
}

impl Sim {
    fn refuse(&self, code: i64, msg: &str) -> HttpResponse {
        axum::Json(json!({
            "MerchantID": MERCHANT_ID,
            "RpHeader": {"Timestamp": taipei::now().timestamp()},
            "TransCode": code,
            "TransMsg": msg,
            "Data": "",
        }))
        .into_response()
    }

    fn answer(&self, r: &PaymentResult, wrong_key: bool) -> HttpResponse {
        let cfg = if wrong_key {
            EcpayConfig {
                hash_key: Secret::new("0000000000000000"),
                ..self.cfg.clone()
            }
        } else {
            self.cfg.clone()
        };
        match ResponseEnvelope::seal(&cfg, 1, "Success", r, taipei::now()) {
            Ok(env) => axum::Json(env).into_response(),
            Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "seal failed").into_response(),
        }
    }

    fn notify(&self, r: &PaymentResult) {
        let Some(url) = &self.opts.callback_url else {
            return;
        };
        let mut data = ReturnData::default();
        data.merchant_id = MERCHANT_ID.into();
        data.order_info = r.order_info.clone();
        data.card_info = r.card_info.clone();
        data.set_result(r.rtn_code.unwrap_or(0), &r.rtn_msg);
        if let Ok(env) = ResponseEnvelope::seal(&self.cfg, 1, "", &data, taipei::now()) {
            let mut v = serde_json::to_value(env).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                // The notification carries no TransCode.
                m.remove("TransCode");
                m.remove("TransMsg");
            }
            super::post_callback(url.clone(), CallbackBody::Json(v));
        }
    }
}

async fn create(State(sim): State<Sim>, kill: Killer, body: String) -> HttpResponse {
    sim.ledger.count_request();
    let Ok(env) = serde_json::from_str::<RequestEnvelope>(&body) else {
        return sim.refuse(10000006, "Parameter Error: not a JSON envelope");
    };
    if env.merchant_id != MERCHANT_ID {
        return sim.refuse(10000005, "MerchantID Error");
    }
    let skew = env.rq_header.timestamp - taipei::now().timestamp();
    if skew.abs() > MAX_CLOCK_SKEW_SECS {
        return sim.refuse(10000004, "Timestamp Error: more than 10 minutes off");
    }
    let Ok(data) = env.open::<CreatePaymentWithCardId>(&sim.cfg) else {
        return sim.refuse(10000003, "Data Decrypt Error");
    };
    let no = data.order_info.merchant_trade_no.clone();
    if let Some(r) = sim
        .orders
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&no)
    {
        // A repeated MerchantTradeNo is answered, never charged again \[guess\].
        return sim.answer(r, false);
    }
    if data.validate().is_err() || data.merchant_id != MERCHANT_ID {
        let r = PaymentResult {
            rtn_code: Some(10100050),
            rtn_msg: "Parameter Error".into(),
            ..PaymentResult::default()
        };
        return sim.answer(&r, false);
    }
    let amount = data.order_info.total_amount;
    let fault = Fault::for_amount(amount);
    if fault == Some(Fault::ServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let now = taipei::now().format(ecpay::DATE_FORMAT).to_string();
    let r = match amount.dollars() {
        9252 | 9255 => PaymentResult {
            rtn_code: Some(10100000 + amount.dollars() - 9000),
            rtn_msg: "授權失敗".into(),
            merchant_id: MERCHANT_ID.into(),
            ..PaymentResult::default()
        },
        _ => {
            let trade_no = next_number("2405");
            sim.ledger.charge(Charge {
                gateway: GatewayId::Ecpay,
                trade_no: no.clone(),
                gateway_trade_no: trade_no.clone(),
                amount,
                refunded: Ntd::ZERO,
                cancelled: false,
            });
            PaymentResult {
                rtn_code: Some(1),
                rtn_msg: "Success".into(),
                merchant_id: MERCHANT_ID.into(),
                order_info: Some(OrderInfo {
                    merchant_trade_no: no.clone(),
                    trade_no,
                    trade_amt: Some(amount),
                    trade_date: now.clone(),
                    payment_type: "Credit".into(),
                    payment_date: now,
                    trade_status: "1".into(),
                    ..OrderInfo::default()
                }),
                card_info: Some(CardInfo {
                    auth_code: "777777".into(),
                    amount: Some(amount),
                    card6_no: "431195".into(),
                    card4_no: "2222".into(),
                    ..CardInfo::default()
                }),
                ..PaymentResult::default()
            }
        }
    };
    sim.orders
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(no, r.clone());
    sim.notify(&r);
    match fault {
        Some(Fault::Slow) => {
            tokio::time::sleep(sim.opts.slow).await;
            sim.answer(&r, false)
        }
        Some(Fault::Drop) => kill.drop_connection().await,
        Some(Fault::Malformed) => "<html>502 Bad Gateway".into_response(),
        Some(Fault::BadSignature) => sim.answer(&r, true),
        _ => sim.answer(&r, false),
    }
}
