//! JKoPay POS simulator (`jkopay-pos-payment.txt`, NOTES.md §1): checks
//! every request's `Sign` with the public UAT key (904 when wrong), field
//! formats (804), keeps payments by MerchantTradeNo so a repeat answers the
//! stored result with `IsRep=1`, and refunds up to the paid amount (922).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use serde_json::Value;

use super::{Charge, Fault, Killer, Ledger, Server, SimOptions, next_number};
use crate::gateway::jkopay::sign::sign_map;
use crate::gateway::jkopay::{
    self, InquiryRequest, InquiryType, PaymentRequest, RefundRequest, Response, STATUS_CODES,
    verify_value,
};
use crate::gateway::{OutcomeKind, lookup};
use crate::money::Ntd;
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::taipei;

/// The public UAT credentials (NOTES §1).
pub const MERCHANT_ID: &str = "9999999";
pub const STORE_ID: &str = "9999999";
pub const MERCHANT_KEY: &str = "2AA6B9B6F9C64247ABB2677B6AF2C896";

#[derive(Debug, Clone)]
struct Payment {
    trade_no: String,
    amount: Ntd,
    paid: bool,
    cancelled: bool,
    refunded: Ntd,
    answer: Response,
}

#[derive(Debug, Default)]
struct Store {
    /// By MerchantTradeNo.
    payments: HashMap<String, Payment>,
    /// Refund answers by the refund's own MerchantTradeNo.
    refunds: HashMap<String, Response>,
}

#[derive(Clone)]
struct Sim {
    key: Secret,
    opts: SimOptions,
    ledger: Ledger,
    store: Arc<Mutex<Store>>,
}

/// A payment of this amount is BOOKED LATE: the connection is dropped at
/// once and the payment charged [`LATE_BOOKING_AFTER`] later (NOTES §1:
/// JKoPay may answer 916 for up to 15 s while it books).
pub const LATE_BOOKING: i64 = 7007;
/// How long a [`LATE_BOOKING`] payment stays unknown to JKoPay.
pub const LATE_BOOKING_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

/// A running JKoPay simulator.
#[derive(Debug)]
pub struct JkoPaySim {
    pub server: Server,
    pub ledger: Ledger,
}

impl JkoPaySim {
    pub async fn start(opts: SimOptions) -> std::io::Result<JkoPaySim> {
        let ledger = Ledger::default();
        let sim = Sim {
            key: Secret::new(MERCHANT_KEY),
            opts,
            ledger: ledger.clone(),
            store: Arc::default(),
        };
        let app = Router::new()
            .route("/Payment", post(payment))
            .route("/Cancel", post(cancel))
            .route("/Refund", post(refund))
            .route("/Inquiry", post(inquiry))
            .with_state(sim);
        Ok(JkoPaySim {
            server: super::serve(app).await?,
            ledger,
        })
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }

    /// A `[gateways.jkopay]` section pointing here.
    pub fn config_section(&self) -> crate::config::JkoPay {
        crate::config::JkoPay {
            base_url: self.server.base_url(),
            merchant_id: MERCHANT_ID.into(),
            store_id: STORE_ID.into(),
            store_name: "街口測試".into(),
            pos_id: "1".into(),
            merchant_key: Secret::new(MERCHANT_KEY),
            timeout_secs: jkopay::PAYMENT_TIMEOUT_SECS as u64,
            response_sign: Default::default(),
            inquiry_order_status: Default::default(),
        }
    }
}

impl Sim {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A signed JSON answer (with the wrong key for the BAD SIGNATURE fault).
    fn answer(&self, r: &Response, wrong_key: bool) -> HttpResponse {
        let mut v = serde_json::to_value(r).expect("a response serialises");
        if let Value::Object(m) = &mut v {
            let key = if wrong_key {
                Secret::new("00000000000000000000000000000000")
            } else {
                self.key.clone()
            };
            let s = sign_map(m, &key);
            m.insert("Sign".into(), Value::String(s));
        }
        axum::Json(v).into_response()
    }

    /// Keep a payment (Cancel, Refund and Inquiry find it from now on) and
    /// its charge, if it was paid.
    fn book(&self, merchant_trade_no: String, payment: Payment, charge: Option<Charge>) {
        if let Some(c) = charge {
            self.ledger.charge(c);
        }
        self.lock().payments.insert(merchant_trade_no, payment);
    }

    fn status(&self, code: &str) -> HttpResponse {
        self.answer(&status_only(code), false)
    }

    /// Applies a fault to a processed answer.
    async fn deliver(&self, fault: Option<Fault>, r: &Response, kill: &Killer) -> HttpResponse {
        match fault {
            Some(Fault::Slow) => {
                tokio::time::sleep(self.opts.slow).await;
                self.answer(r, false)
            }
            Some(Fault::Drop) => kill.drop_connection().await,
            Some(Fault::Malformed) => "<html>502 Bad Gateway".into_response(),
            Some(Fault::BadSignature) => self.answer(r, true),
            Some(Fault::ServerError) | None => self.answer(r, false),
        }
    }

    /// Parses and checks a request: its Sign (904), JSON (905), fields (804)
    /// and merchant (907).
    fn open<T: serde::de::DeserializeOwned>(
        &self,
        body: &str,
        validate: impl Fn(&T) -> Result<(), crate::gateway::FieldError>,
        merchant: impl Fn(&T) -> &str,
    ) -> Result<T, &'static str> {
        self.ledger.count_request();
        let v: Value = serde_json::from_str(body).map_err(|_| "905")?;
        verify_value(&v, &self.key).map_err(|_| "904")?;
        let t: T = serde_json::from_value(v).map_err(|_| "804")?;
        validate(&t).map_err(|_| "804")?;
        if merchant(&t) != MERCHANT_ID {
            return Err("907");
        }
        Ok(t)
    }
}

fn status_only(code: &str) -> Response {
    let info = lookup(STATUS_CODES, code);
    Response {
        status_code: code.into(),
        status_desc: info.map(|i| i.zh.to_string()).unwrap_or_default(),
        ..Response::default()
    }
}

/// The decline an amount or a code selects, if any.
fn decline_for(amount: Ntd, card_token: &str) -> Option<&'static str> {
    if card_token.ends_with("906") {
        return Some("906");
    }
    let n = amount.dollars();
    if !(9000..10000).contains(&n) {
        return None;
    }
    let code = format!("{:03}", n - 9000);
    lookup(STATUS_CODES, &code)
        .filter(|i| i.kind != OutcomeKind::Success)
        .map(|i| i.code)
}

async fn payment(State(sim): State<Sim>, kill: Killer, body: String) -> HttpResponse {
    let req: PaymentRequest =
        match sim.open(&body, PaymentRequest::validate, |r: &PaymentRequest| {
            &r.merchant_id
        }) {
            Ok(r) => r,
            Err(code) => return sim.status(code),
        };
    sim.ledger.record_call("Payment", &req.merchant_trade_no);
    if let Some(p) = sim.lock().payments.get(&req.merchant_trade_no) {
        // The same MerchantTradeNo again: the stored result, never a second charge.
        let mut r = p.answer.clone();
        r.is_rep = true;
        return sim.answer(&r, false);
    }
    let fault = Fault::for_amount(req.trade_amount);
    if fault == Some(Fault::ServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let now = taipei::now();
    let mut r = Response {
        merchant_id: req.merchant_id.clone(),
        store_id: req.store_id.clone(),
        merchant_trade_no: req.merchant_trade_no.clone(),
        pos_id: req.pos_id.clone(),
        trade_time: jkopay::format_trade_time(now),
        ..Response::default()
    };
    let charge = match decline_for(req.trade_amount, &req.card_token) {
        Some(code) => {
            let s = status_only(code);
            r.status_code = s.status_code;
            r.status_desc = s.status_desc;
            None
        }
        None => {
            r.status_code = "000".into();
            r.status_desc = "交易成功".into();
            r.trade_no = next_number("JK");
            r.payment_type = Some(1);
            r.trade_amount = Some(req.trade_amount);
            r.debit_amount = Some(req.trade_amount);
            r.redeem_amount = Some(Ntd::ZERO);
            Some(Charge {
                gateway: GatewayId::JkoPay,
                trade_no: req.merchant_trade_no.clone(),
                gateway_trade_no: r.trade_no.clone(),
                amount: req.trade_amount,
                refunded: Ntd::ZERO,
                cancelled: false,
            })
        }
    };
    let payment = Payment {
        trade_no: r.trade_no.clone(),
        amount: req.trade_amount,
        paid: charge.is_some(),
        cancelled: false,
        refunded: Ntd::ZERO,
        answer: r.clone(),
    };
    if req.trade_amount.dollars() == LATE_BOOKING {
        // JKoPay is still working on it when the connection goes: until it
        // is booked, Cancel and Inquiry answer 916.
        let sim = sim.clone();
        let trade_no = req.merchant_trade_no.clone();
        tokio::spawn(async move {
            tokio::time::sleep(LATE_BOOKING_AFTER).await;
            sim.book(trade_no, payment, charge);
        });
        kill.drop_connection().await;
    }
    sim.book(req.merchant_trade_no.clone(), payment, charge);
    sim.deliver(fault, &r, &kill).await
}

async fn cancel(State(sim): State<Sim>, body: String) -> HttpResponse {
    let req: PaymentRequest =
        match sim.open(&body, PaymentRequest::validate, |r: &PaymentRequest| {
            &r.merchant_id
        }) {
            Ok(r) => r,
            Err(code) => return sim.status(code),
        };
    sim.ledger.record_call("Cancel", &req.merchant_trade_no);
    let mut store = sim.lock();
    let Some(p) = store.payments.get_mut(&req.merchant_trade_no) else {
        return sim.status("916");
    };
    if p.amount != req.trade_amount {
        return sim.status("804");
    }
    if !p.refunded.is_positive() {
        if p.paid && !p.cancelled {
            sim.ledger
                .update(&req.merchant_trade_no, |c| c.cancelled = true);
        }
        p.cancelled = true;
        let mut r = p.answer.clone();
        r.status_code = "000".into();
        r.status_desc = "取消成功".into();
        drop(store);
        return sim.answer(&r, false);
    }
    drop(store);
    sim.status("934")
}

async fn refund(State(sim): State<Sim>, kill: Killer, body: String) -> HttpResponse {
    let req: RefundRequest = match sim.open(&body, RefundRequest::validate, |r: &RefundRequest| {
        &r.merchant_id
    }) {
        Ok(r) => r,
        Err(code) => return sim.status(code),
    };
    sim.ledger.record_call("Refund", &req.merchant_trade_no);
    let fault = Fault::for_amount(req.trade_amount);
    let r = {
        let mut store = sim.lock();
        if let Some(done) = store.refunds.get(&req.merchant_trade_no) {
            let mut r = done.clone();
            r.is_rep = true;
            return sim.answer(&r, false);
        }
        if fault == Some(Fault::ServerError) {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        // A refund of 9000 + code is declined with that code (as payments are).
        if let Some(code) = decline_for(req.trade_amount, "") {
            return sim.status(code);
        }
        let Some((pay_no, p)) = store
            .payments
            .iter_mut()
            .find(|(_, p)| p.paid && p.trade_no == req.trade_no)
        else {
            return sim.status("916");
        };
        if p.cancelled {
            return sim.status("934");
        }
        let left = Ntd::new(p.amount.dollars() - p.refunded.dollars());
        if req.trade_amount > left {
            return sim.status("922");
        }
        p.refunded = Ntd::new(p.refunded.dollars() + req.trade_amount.dollars());
        let refunded = p.refunded;
        let pay_no = pay_no.clone();
        sim.ledger.update(&pay_no, |c| c.refunded = refunded);
        let now = taipei::now();
        let r = Response {
            merchant_id: req.merchant_id.clone(),
            store_id: req.store_id.clone(),
            merchant_trade_no: req.merchant_trade_no.clone(),
            pos_id: req.pos_id.clone(),
            trade_no: req.trade_no.clone(),
            trade_time: jkopay::format_trade_time(now),
            status_code: "000".into(),
            status_desc: "退款成功".into(),
            trade_amount: Some(req.trade_amount),
            refund_trade_no: next_number("JR"),
            refund_trade_time: jkopay::format_trade_time(now),
            ..Response::default()
        };
        store
            .refunds
            .insert(req.merchant_trade_no.clone(), r.clone());
        r
    };
    sim.deliver(fault, &r, &kill).await
}

async fn inquiry(State(sim): State<Sim>, body: String) -> HttpResponse {
    let req: InquiryRequest =
        match sim.open(&body, InquiryRequest::validate, |r: &InquiryRequest| {
            &r.merchant_id
        }) {
            Ok(r) => r,
            Err(code) => return sim.status(code),
        };
    sim.ledger.record_call("Inquiry", &req.merchant_trade_no);
    let store = sim.lock();
    let found = match req.inquiry_type {
        // A cancelled payment is void: no such order any more \[guess\].
        InquiryType::Payment => store
            .payments
            .get(&req.merchant_trade_no)
            .filter(|p| !p.cancelled)
            .map(|p| {
                let mut r = p.answer.clone();
                r.order_status = if p.refunded.is_positive() {
                    "refunded"
                } else if p.paid {
                    "paid"
                } else {
                    "failed"
                }
                .into();
                r
            }),
        InquiryType::Refund => store.refunds.get(&req.merchant_trade_no).cloned(),
    };
    drop(store);
    match found {
        Some(r) => sim.answer(&r, false),
        None => sim.status("916"),
    }
}
