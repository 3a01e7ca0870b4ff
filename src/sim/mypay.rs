//! MyPay Link simulator (NOTES.md §2, `mypay-link-agent-api.txt`): opens
//! the AES-256 envelope with its test key (code 100 when it cannot, or when
//! the caller's uid is not ours), validates the request, and keeps orders
//! so `api/querydirect`, `api/queryorder`, refunds (B500 over the paid
//! amount) and the WeChat 280 → `api/wechatconfirmation` flow reflect what
//! happened. Posts the notification form to the callback URL when set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{CallbackBody, Charge, Fault, Killer, Ledger, Server, SimOptions, next_number};
use crate::gateway::mypay::{
    Cmd, Envelope, Mode, PaymentRecord, QueryDirectRequest, QueryOrderRequest, RefundRecord,
    RefundRequest, TIME_FORMAT, TransactionRequest, WeChatConfirmRequest,
};
use crate::money::Ntd;
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::taipei;

/// WeChat amount 9281: `api/wechatconfirmation` answers 280 (not confirmed
/// yet) until this call, which finds it confirmed.
pub const WECHAT_CONFIRM_AFTER: u32 = 3;

/// Test credentials (the example config's public sandbox values).
pub const AGENT_UID: &str = "518169081001";
pub const STORE_UID: &str = "289151880002";
pub const KEY: &str = "2MrhtRYeF9wKZ4bKwzZoL8aZf26pWzIG";

#[derive(Debug, Clone)]
struct Order {
    uid: String,
    key: String,
    order_id: String,
    user_id: String,
    cost: Ntd,
    pfn: String,
    /// 250 paid, 290 paid with mismatch, 280 awaiting confirmation, 300 failed.
    prc: String,
    wechat_trade_no: String,
    /// `api/wechatconfirmation` calls answered so far.
    confirm_polls: u32,
    refunded: Ntd,
    /// Every refund done, as `api/queryorder` lists them in `refund_order`.
    refunds: Vec<RefundRecord>,
    finishtime: String,
}

impl Order {
    fn paid(&self) -> bool {
        self.prc == "250" || self.prc == "290"
    }

    fn record(&self) -> PaymentRecord {
        PaymentRecord {
            uid: self.uid.clone(),
            key: self.key.clone(),
            prc: self.prc.clone(),
            finishtime: self.finishtime.clone(),
            order_id: self.order_id.clone(),
            user_id: self.user_id.clone(),
            cost: Some(self.cost),
            currency: "TWD".into(),
            pfn: self.pfn.clone(),
            refund_order: self.refunds.clone(),
            ..PaymentRecord::default()
        }
    }

    fn answer(&self, msg: &str) -> Value {
        json!({
            "code": self.prc, "msg": msg, "uid": self.uid, "key": self.key,
            "finishtime": self.finishtime, "order_id": self.order_id,
            "user_id": self.user_id, "cost": self.cost, "currency": "TWD",
            "pfn": self.pfn, "result_type": 4,
            "result_content": if self.wechat_trade_no.is_empty() { String::new() }
                else { json!({"TradeNo": self.wechat_trade_no}).to_string() },
        })
    }
}

#[derive(Clone)]
struct Sim {
    key: Secret,
    opts: SimOptions,
    ledger: Ledger,
    orders: Arc<Mutex<HashMap<String, Order>>>,
    /// `http://127.0.0.1:port`, known once the server listens (PayPage URLs).
    base: Arc<std::sync::OnceLock<String>>,
}

/// A running MyPay simulator.
#[derive(Debug)]
pub struct MyPaySim {
    pub server: Server,
    pub ledger: Ledger,
}

impl MyPaySim {
    pub async fn start(opts: SimOptions) -> std::io::Result<MyPaySim> {
        let ledger = Ledger::default();
        let sim = Sim {
            key: Secret::new(KEY),
            opts,
            ledger: ledger.clone(),
            orders: Arc::default(),
            base: Arc::default(),
        };
        let base = sim.base.clone();
        let app = Router::new()
            .route("/api/agent", post(agent))
            .route("/api/init", post(init))
            .route(
                "/paypage/{uid}",
                axum::routing::get(paypage).post(paypage_pay),
            )
            .route("/paypage/{uid}/abandon", post(paypage_abandon))
            .with_state(sim);
        let server = super::serve(app).await?;
        let _ = base.set(server.base_url().trim_end_matches('/').to_string());
        Ok(MyPaySim { server, ledger })
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }

    pub fn config_section(&self) -> crate::config::MyPay {
        crate::config::MyPay {
            base_url: self.server.base_url(),
            mode: crate::config::MyPayMode::Agent,
            agent_uid: AGENT_UID.into(),
            store_uid: STORE_UID.into(),
            key: Secret::new(KEY),
            user_id: "cashier01".into(),
            timeout_secs: 30,
        }
    }
}

fn code(code: &str, msg: &str) -> HttpResponse {
    Json(json!({"code": code, "msg": msg})).into_response()
}

fn now_text() -> String {
    taipei::now().format(TIME_FORMAT).to_string()
}

async fn agent(
    State(sim): State<Sim>,
    kill: Killer,
    Form(f): Form<Vec<(String, String)>>,
) -> HttpResponse {
    sim.handle(Mode::Agent, f, kill).await
}

async fn init(
    State(sim): State<Sim>,
    kill: Killer,
    Form(f): Form<Vec<(String, String)>>,
) -> HttpResponse {
    sim.handle(Mode::Store, f, kill).await
}

impl Sim {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Order>> {
        self.orders.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn handle(&self, path: Mode, form: Vec<(String, String)>, kill: Killer) -> HttpResponse {
        self.ledger.count_request();
        let env = match Envelope::from_form(form.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(e) => e,
            Err(_) => return code("100", "資料錯誤:缺少欄位"),
        };
        let uid_ok = match (path, env.mode) {
            (Mode::Agent, Mode::Agent) => env.uid == AGENT_UID,
            (Mode::Store, Mode::Store) => env.uid == STORE_UID,
            _ => false,
        };
        if !uid_ok {
            return code("100", "資料錯誤:商家代號錯誤");
        }
        let Ok(cmd) = env.open_cmd(&self.key) else {
            return code("100", "資料錯誤:無法解密");
        };
        let Ok(data) = env.open_data::<Value>(&self.key) else {
            return code("100", "資料錯誤:無法解密");
        };
        match cmd {
            Cmd::Transaction => self.transaction(data, kill).await,
            Cmd::WeChatConfirmation => self.wechat(data),
            Cmd::QueryDirect => self.query_direct(data),
            Cmd::Refund => self.refund(data, kill).await,
            Cmd::RefundCancel => code("B500", "無待處理的退款"),
            Cmd::Orders => self.orders(data, kill).await,
            Cmd::QueryOrder => self.query_order(data),
        }
    }

    async fn deliver(&self, fault: Option<Fault>, body: Value, kill: &Killer) -> HttpResponse {
        match fault {
            Some(Fault::Slow) => {
                tokio::time::sleep(self.opts.slow).await;
                Json(body).into_response()
            }
            Some(Fault::Drop) => kill.drop_connection().await,
            Some(Fault::Malformed) => "<html>503 Service Unavailable".into_response(),
            _ => Json(body).into_response(),
        }
    }

    fn notify(&self, o: &Order) {
        if let Some(url) = &self.opts.callback_url {
            let v = serde_json::to_value(o.record()).expect("a record serialises");
            let pairs = v
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| match v {
                    Value::String(s) if !s.is_empty() => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    _ => None,
                })
                .collect();
            super::post_callback(url.clone(), CallbackBody::Form(pairs));
        }
    }

    async fn transaction(&self, data: Value, kill: Killer) -> HttpResponse {
        let Ok(req) = serde_json::from_value::<TransactionRequest>(data) else {
            return code("100", "資料錯誤:欄位不齊");
        };
        if req.validate().is_err() || req.store_uid != STORE_UID {
            return code("100", "資料錯誤:欄位格式");
        }
        let fault = Fault::for_amount(req.cost);
        if fault == Some(Fault::ServerError) {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        if self.lock().values().any(|o| o.order_id == req.order_id) {
            return code("B500", "訂單編號重複 / duplicate order_id");
        }
        let prc = match req.cost.dollars() {
            9300 => "300",
            9290 => "290",
            9280..=9283 => "280",
            _ => "250",
        };
        let o = Order {
            uid: next_number("MP"),
            key: format!("{:032x}", rand::random::<u128>()),
            order_id: req.order_id.clone(),
            user_id: req.user_id.clone(),
            cost: req.cost,
            pfn: req.pfn.clone(),
            prc: prc.into(),
            wechat_trade_no: if prc == "280" {
                next_number("WX")
            } else {
                String::new()
            },
            confirm_polls: 0,
            refunded: Ntd::ZERO,
            refunds: Vec::new(),
            finishtime: now_text(),
        };
        if o.paid() {
            self.ledger.charge(Charge {
                gateway: GatewayId::MyPay,
                trade_no: o.order_id.clone(),
                gateway_trade_no: o.uid.clone(),
                amount: o.cost,
                refunded: Ntd::ZERO,
                cancelled: false,
            });
            self.notify(&o);
        }
        self.lock().insert(o.uid.clone(), o.clone());
        self.deliver(fault, o.answer("交易完成"), &kill).await
    }

    fn wechat(&self, data: Value) -> HttpResponse {
        let Ok(req) = serde_json::from_value::<WeChatConfirmRequest>(data) else {
            return code("100", "資料錯誤:欄位不齊");
        };
        let mut orders = self.lock();
        let Some(o) = orders
            .get_mut(&req.uid)
            .filter(|o| o.key == req.key && o.wechat_trade_no == req.trade_no)
        else {
            return code("B500", "查無交易");
        };
        o.confirm_polls += 1;
        // What the customer does in the app (see the table in `sim`).
        let confirmed = match o.cost.dollars() {
            9281 => o.confirm_polls >= WECHAT_CONFIRM_AFTER,
            9282 => {
                if o.prc == "280" {
                    o.prc = "300".into();
                    o.finishtime = now_text();
                }
                false
            }
            9283 => false,
            _ => true,
        };
        if o.prc == "280" && confirmed {
            o.prc = "250".into();
            o.finishtime = now_text();
            self.ledger.charge(Charge {
                gateway: GatewayId::MyPay,
                trade_no: o.order_id.clone(),
                gateway_trade_no: o.uid.clone(),
                amount: o.cost,
                refunded: Ntd::ZERO,
                cancelled: false,
            });
            self.notify(o);
        }
        let msg = match o.prc.as_str() {
            "250" => "付款成功",
            "280" => "等待消費者確認",
            _ => "付款失敗",
        };
        Json(o.answer(msg)).into_response()
    }

    fn query_direct(&self, data: Value) -> HttpResponse {
        let Ok(req) = serde_json::from_value::<QueryDirectRequest>(data) else {
            return code("100", "資料錯誤:欄位不齊");
        };
        if req.store_uid != STORE_UID {
            return code("100", "資料錯誤:商店代號");
        }
        let rows: Vec<PaymentRecord> = self
            .lock()
            .values()
            .filter(|o| o.order_id == req.order_id && o.cost == req.cost)
            .map(Order::record)
            .collect();
        // Manual §8.5: no such transaction is a row with an empty prc.
        let rows = if rows.is_empty() {
            vec![PaymentRecord {
                order_id: req.order_id,
                ..PaymentRecord::default()
            }]
        } else {
            rows
        };
        Json(json!({"code": "B200", "msg": "執行成功", "rows": rows})).into_response()
    }

    async fn refund(&self, data: Value, kill: Killer) -> HttpResponse {
        let Ok(req) = serde_json::from_value::<RefundRequest>(data) else {
            return code("100", "資料錯誤:欄位不齊");
        };
        if req.validate().is_err() || req.store_uid != STORE_UID {
            return code("B500", "資料錯誤");
        }
        let fault = Fault::for_amount(req.cost);
        if fault == Some(Fault::ServerError) {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        let body = {
            let mut orders = self.lock();
            let Some(o) = orders.get_mut(&req.uid).filter(|o| o.key == req.key) else {
                return code("B500", "查無交易");
            };
            if !o.paid() {
                return code("B500", "交易未付款,不可退款");
            }
            let left = Ntd::new(o.cost.dollars() - o.refunded.dollars());
            if req.cost > left {
                return code("B500", "退款金額超過可退金額 / refund exceeds what is left");
            }
            o.refunded = Ntd::new(o.refunded.dollars() + req.cost.dollars());
            let refunded = o.refunded;
            self.ledger.update(&o.order_id, |c| c.refunded = refunded);
            let row = RefundRecord {
                uid: o.uid.clone(),
                refund_uid: next_number("MR"),
                key: o.key.clone(),
                prc: "230".into(),
                finishtime: now_text(),
                order_id: o.order_id.clone(),
                cost: Some(req.cost),
                pfn: o.pfn.clone(),
                refund_type: "1".into(),
                ..RefundRecord::default()
            };
            o.refunds.push(row.clone());
            json!({"code": "B200", "msg": "執行成功", "uid": o.uid, "key": o.key, "row_data": row})
        };
        self.deliver(fault, body, &kill).await
    }

    async fn orders(&self, data: Value, kill: Killer) -> HttpResponse {
        let Ok(req) = serde_json::from_value::<crate::gateway::mypay::OrdersRequest>(data) else {
            return code("100", "資料錯誤:欄位不齊");
        };
        if req.validate().is_err() || req.store_uid != STORE_UID {
            return code("100", "資料錯誤:欄位格式");
        }
        let o = Order {
            uid: next_number("MP"),
            key: format!("{:032x}", rand::random::<u128>()),
            order_id: req.order_id,
            user_id: req.user_id,
            cost: req.cost,
            pfn: req.pfn,
            prc: "200".into(),
            wechat_trade_no: String::new(),
            confirm_polls: 0,
            refunded: Ntd::ZERO,
            refunds: Vec::new(),
            finishtime: String::new(),
        };
        let fault = Fault::for_amount(req.cost);
        if fault == Some(Fault::ServerError) {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        let base = self
            .base
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1");
        let url = format!("{base}/paypage/{}", o.uid);
        let body =
            json!({"code": "200", "msg": "訂單建立", "url": url, "uid": o.uid, "key": o.key});
        self.lock().insert(o.uid.clone(), o);
        self.deliver(fault, body, &kill).await
    }

    fn query_order(&self, data: Value) -> HttpResponse {
        let Ok(req) = serde_json::from_value::<QueryOrderRequest>(data) else {
            return code("100", "資料錯誤:欄位不齊");
        };
        match self.lock().get(&req.uid).filter(|o| o.key == req.key) {
            Some(o) => Json(o.record()).into_response(),
            None => code("B500", "查無交易"),
        }
    }
}

/// The customer's PayPage (`GET /paypage/{uid}`): the order and two
/// buttons. `POST /paypage/{uid}` pays it (250, charged once, notified);
/// `POST /paypage/{uid}/abandon` gives up (A0002). Tests drive these as the
/// customer's phone would.
async fn paypage(
    State(sim): State<Sim>,
    axum::extract::Path(uid): axum::extract::Path<String>,
) -> HttpResponse {
    let orders = sim.lock();
    let Some(o) = orders.get(&uid) else {
        return (StatusCode::NOT_FOUND, "查無訂單 / no such order").into_response();
    };
    let state = match o.prc.as_str() {
        "200" => "待付款 / to pay",
        "250" => "已付款 / paid",
        _ => "已失效 / no longer payable",
    };
    axum::response::Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>MyPay</title></head><body>\
         <h1>MyPay 付款頁 / pay page</h1><p>訂單 <span id=\"order_id\">{}</span></p>\
         <p>金額 NT$ <span id=\"cost\">{}</span></p><p id=\"state\">{state}</p>\
         <form method=\"post\"><button>付款 / pay</button></form>\
         <form method=\"post\" action=\"/paypage/{uid}/abandon\"><button>放棄 / give up</button></form>\
         </body></html>",
        o.order_id,
        o.cost.dollars()
    ))
    .into_response()
}

async fn paypage_pay(
    State(sim): State<Sim>,
    axum::extract::Path(uid): axum::extract::Path<String>,
) -> HttpResponse {
    let paid = {
        let mut orders = sim.lock();
        let Some(o) = orders.get_mut(&uid) else {
            return (StatusCode::NOT_FOUND, "查無訂單 / no such order").into_response();
        };
        match o.prc.as_str() {
            "200" => {
                o.prc = "250".into();
                o.finishtime = now_text();
                sim.ledger.charge(Charge {
                    gateway: GatewayId::MyPay,
                    trade_no: o.order_id.clone(),
                    gateway_trade_no: o.uid.clone(),
                    amount: o.cost,
                    refunded: Ntd::ZERO,
                    cancelled: false,
                });
                o.clone()
            }
            "250" => return "已付款 / already paid".into_response(),
            _ => {
                return (
                    StatusCode::CONFLICT,
                    "訂單已失效 / the order can no longer be paid",
                )
                    .into_response();
            }
        }
    };
    sim.notify(&paid);
    "付款成功 / paid".into_response()
}

async fn paypage_abandon(
    State(sim): State<Sim>,
    axum::extract::Path(uid): axum::extract::Path<String>,
) -> HttpResponse {
    let mut orders = sim.lock();
    match orders.get_mut(&uid) {
        Some(o) if o.prc == "200" => {
            o.prc = "A0002".into();
            o.finishtime = now_text();
            "已放棄 / given up".into_response()
        }
        Some(_) => (StatusCode::CONFLICT, "訂單已結束 / the order is over").into_response(),
        None => (StatusCode::NOT_FOUND, "查無訂單 / no such order").into_response(),
    }
}
