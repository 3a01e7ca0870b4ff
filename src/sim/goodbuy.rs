//! Form-POST aggregator simulator (`goodbuy-form-gateway.txt`, NOTES.md §4):
//! checks agent id and key (500), the create-order fields (506, 507, 509)
//! and duplicates (505); pays a card order at once and posts the md5-checked
//! callback; answers `order_status`; refunds card orders only (522), paid
//! ones only (521), before 09:30 the next day (520), in two steps (`E0`).
//! It reads the forms and makes its check values itself, from the
//! document: no request type or signing code of the client is used.

use std::collections::HashMap;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use super::books::Books;
use super::{CallbackBody, Charge, Fault, Killer, Ledger, Server, SimOptions};
use md5::{Digest, Md5};

use crate::money::Ntd;
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::taipei::{self, TaipeiTime};

pub const AGENT_ID: &str = "A0001";
/// The simulator's own test key (the real one comes from the back office).
pub const AGENT_KEY: &str = "sim-agent-key-0001";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Order {
    amount: Ntd,
    pay_type: String,
    created: TaipeiTime,
    paid: bool,
    refund_applied: bool,
    refunded: bool,
}

#[derive(Clone)]
struct Sim {
    key: Secret,
    opts: SimOptions,
    ledger: Ledger,
    /// Orders by mch_order_id.
    books: Books<HashMap<String, Order>>,
}

/// A running aggregator simulator.
#[derive(Debug)]
pub struct GoodbuySim {
    pub server: Server,
    pub ledger: Ledger,
    books: Books<HashMap<String, Order>>,
}

impl GoodbuySim {
    pub async fn start(opts: SimOptions) -> std::io::Result<GoodbuySim> {
        let books = opts.open_books("goodbuy")?;
        let ledger = Ledger::of(books.clone());
        let sim = Sim {
            key: Secret::new(AGENT_KEY),
            opts,
            ledger: ledger.clone(),
            books: books.clone(),
        };
        let app = Router::new()
            .route("/api/order", post(create))
            .route("/api/order_status", post(status))
            .route("/api/order_refund", post(refund))
            .route("/api/order_refunded", post(refunded))
            .route("/pay/{id}", axum::routing::get(payer))
            .with_state(sim);
        Ok(GoodbuySim {
            server: super::serve(app).await?,
            ledger,
            books,
        })
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }

    pub fn config_section(&self) -> crate::config::Goodbuy {
        crate::config::Goodbuy {
            base_url: self.server.base_url(),
            agent_id: AGENT_ID.into(),
            agent_key: Secret::new(AGENT_KEY),
            return_url: "http://127.0.0.1/callback/goodbuy".into(),
            timeout_secs: 30,
            create_path: crate::gateway::goodbuy::client::CREATE_PATH.into(),
            datas: Default::default(),
        }
    }

    /// The customer pays an unpaid order at the ATM or the store (a 9601
    /// order, which otherwise is never paid): booked in the ledger, and
    /// `order_status` says paid from now on. False when there is no such
    /// unpaid order.
    pub fn customer_pays(&self, mch_order_id: &str) -> bool {
        self.books.with(|b| {
            let Some(o) = b.store.get_mut(mch_order_id).filter(|o| !o.paid) else {
                return false;
            };
            o.paid = true;
            let amount = o.amount;
            b.charges.charge(order_charge(mch_order_id, amount));
            true
        })
    }

    /// Moves an order's creation time (tests of the 09:30 refund deadline).
    pub fn set_created(&self, mch_order_id: &str, created: TaipeiTime) {
        self.books.with(|b| {
            if let Some(o) = b.store.get_mut(mch_order_id) {
                o.created = created;
            }
        });
    }
}

/// The charge of a paid order.
fn order_charge(mch_order_id: &str, amount: Ntd) -> Charge {
    Charge {
        gateway: GatewayId::Goodbuy,
        trade_no: mch_order_id.into(),
        gateway_trade_no: mch_order_id.into(),
        amount,
        refunded: Ntd::ZERO,
        cancelled: false,
    }
}

/// What `order_refunded` answers once the refund is done (NOTES §4).
const REFUND_CONFIRMED: &str = "E0";

/// The callback's check value, `md5(mch_order_id.agent_key)` as the
/// document writes it (PHP's `.`: the two texts joined), lower-case hex.
fn chk_value(mch_order_id: &str, agent_key: &Secret) -> String {
    hex::encode(Md5::digest(
        format!("{mch_order_id}{}", agent_key.expose()).as_bytes(),
    ))
}

/// A refund may be asked for until 09:30 on the day after the order (NOTES §4).
fn refund_deadline(created: TaipeiTime) -> TaipeiTime {
    let next = created.date_naive() + chrono::Days::new(1);
    taipei::from_wall_clock(next.and_hms_opt(9, 30, 0).expect("09:30 exists"))
}

fn answer(code: &str, status: &str) -> HttpResponse {
    Json(json!({"code": code, "status": status})).into_response()
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

impl Sim {
    fn keyed_ok(&self, f: &[(String, String)]) -> bool {
        field(f, "agent_id") == AGENT_ID && field(f, "agent_key") == self.key.expose()
    }

    /// Loopback only: the configured callback URL, else the order's own
    /// returnurl when it points at this machine.
    fn callback(&self, returnurl: &str, mch_order_id: &str, code: &str, o: &Order) {
        let url = match &self.opts.callback_url {
            Some(u) => u.clone(),
            None if returnurl.starts_with("http://127.0.0.1") => returnurl.to_string(),
            None => return,
        };
        let pairs = vec![
            ("code".into(), code.into()),
            (
                "date".into(),
                taipei::now().format("%Y-%m-%d %H:%M:%S").to_string(),
            ),
            ("mch_order_id".into(), mch_order_id.into()),
            (
                "status".into(),
                if code == "200" {
                    "支付成功"
                } else {
                    "支付失敗"
                }
                .into(),
            ),
            ("chk_value".into(), chk_value(mch_order_id, &self.key)),
            ("payer".into(), "王小明".into()),
            ("payer_phone".into(), "0912345678".into()),
            ("pay_amount".into(), o.amount.dollars().to_string()),
            ("credit_last4".into(), "1234".into()),
        ];
        super::post_callback(url, CallbackBody::Form(pairs));
    }
}

async fn create(
    State(sim): State<Sim>,
    kill: Killer,
    headers: axum::http::HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> HttpResponse {
    sim.ledger.count_request();
    sim.ledger
        .record_call("api/order", field(&f, "mch_order_id"));
    if field(&f, "agent_id") != AGENT_ID {
        return answer("500", "錯誤的ID或KEY");
    }
    let pay_type = field(&f, "pay_type");
    let checks_ok = match pay_type {
        "credit" => {
            !field(&f, "cardowner").is_empty()
                && field(&f, "cardnum").len() == 4
                && field(&f, "cardnum").bytes().all(|b| b.is_ascii_digit())
        }
        // The last five digits of each account, comma-separated.
        "atm" => {
            !field(&f, "accowner").is_empty()
                && field(&f, "accnum")
                    .split(',')
                    .all(|a| a.len() == 5 && a.bytes().all(|b| b.is_ascii_digit()))
        }
        "store" => !field(&f, "payer").is_empty(),
        _ => return answer("506", "錯誤的支付方式參數"),
    };
    let returnurl = field(&f, "returnurl").to_string();
    if returnurl.is_empty() {
        return answer("507", "回傳網址不能為空");
    }
    let id = field(&f, "mch_order_id").to_string();
    let amount: Option<i64> = field(&f, "payment_amount").parse().ok();
    let Some(amount) = amount.filter(|a| *a > 0) else {
        return answer("509", "訂單資訊有誤");
    };
    if !checks_ok || id.is_empty() || id.len() > 32 || field(&f, "phone").is_empty() {
        return answer("529", "綁定參數不齊");
    }
    let amount = Ntd::new(amount);
    let fault = Fault::for_amount(amount);
    if fault == Some(Fault::ServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    let mut o = Order {
        amount,
        pay_type: pay_type.into(),
        created: taipei::now(),
        paid: false,
        refund_applied: false,
        refunded: false,
    };
    // The payer pays at once unless the amount says otherwise.
    let callback = match amount.dollars() {
        9601 => None,
        9503 => Some("503"),
        _ => {
            o.paid = true;
            Some("200")
        }
    };
    let fresh = sim.books.with(|b| {
        if b.store.contains_key(&id) {
            return false;
        }
        if o.paid {
            b.charges.charge(order_charge(&id, amount));
        }
        b.store.insert(id.clone(), o.clone());
        true
    });
    if !fresh {
        return answer("505", "已有重複的商戶訂單號");
    }
    if let Some(code) = callback {
        sim.callback(&returnurl, &id, code, &o);
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let page = axum::response::Html(payer_page(host, &id, &o));
    match fault {
        Some(Fault::Slow) => {
            tokio::time::sleep(sim.opts.slow).await;
            page.into_response()
        }
        Some(Fault::Drop) => kill.drop_connection().await,
        _ => page.into_response(),
    }
}

async fn status(State(sim): State<Sim>, Form(f): Form<Vec<(String, String)>>) -> HttpResponse {
    sim.ledger.count_request();
    sim.ledger
        .record_call("api/order_status", field(&f, "mch_order_id"));
    if !sim.keyed_ok(&f) {
        return answer("500", "錯誤的ID或KEY");
    }
    let amount: Option<i64> = field(&f, "payment_amount").parse().ok();
    let found = sim.books.read(|b| {
        b.store
            .get(field(&f, "mch_order_id"))
            .filter(|o| Some(o.amount.dollars()) == amount)
            .cloned()
    });
    match found {
        Some(o) => {
            let st = if o.refunded {
                "refunded"
            } else if o.paid {
                "paid"
            } else {
                "unpaid"
            };
            let datas = json!({"status": st, "pay_amount": o.amount, "date": o.created.format("%Y-%m-%d %H:%M:%S").to_string()});
            Json(json!({"code": "200", "status": "查詢成功", "datas": datas.to_string()}))
                .into_response()
        }
        None => answer("519", "查詢的訂單編號或訂單金額有誤"),
    }
}

async fn refund(State(sim): State<Sim>, Form(f): Form<Vec<(String, String)>>) -> HttpResponse {
    sim.ledger.count_request();
    sim.ledger
        .record_call("api/order_refund", field(&f, "mch_order_id"));
    if !sim.keyed_ok(&f) {
        return answer("500", "錯誤的ID或KEY");
    }
    let (code, status) = sim.books.with(|b| {
        let Some(o) = b.store.get_mut(field(&f, "mch_order_id")) else {
            return ("519", "查詢的訂單編號或訂單金額有誤");
        };
        if o.pay_type != "credit" {
            return ("522", "退刷訂單種類錯誤(只接受信用卡)");
        }
        if taipei::now() >= refund_deadline(o.created) {
            return ("520", "訂單已超過申請退款時間");
        }
        if !o.paid || o.refunded {
            return ("521", "訂單退訂狀態錯誤");
        }
        o.refund_applied = true;
        ("200", "退訂申請成功")
    });
    answer(code, status)
}

async fn refunded(State(sim): State<Sim>, Form(f): Form<Vec<(String, String)>>) -> HttpResponse {
    sim.ledger.count_request();
    sim.ledger
        .record_call("api/order_refunded", field(&f, "mch_order_id"));
    if !sim.keyed_ok(&f) {
        return answer("500", "錯誤的ID或KEY");
    }
    let id = field(&f, "mch_order_id").to_string();
    let done = sim.books.with(|b| match b.store.get_mut(&id) {
        Some(o) if o.refund_applied && !o.refunded => {
            o.refunded = true;
            let amount = o.amount;
            b.charges.update(&id, |c| c.refunded = amount);
            true
        }
        _ => false,
    });
    if done {
        REFUND_CONFIRMED.into_response()
    } else {
        "訂單退訂狀態錯誤".into_response()
    }
}

/// The payer page `GET /pay/{id}`, the same one the create answer gives.
async fn payer(
    State(sim): State<Sim>,
    headers: axum::http::HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> HttpResponse {
    let Some(o) = sim.books.read(|b| b.store.get(&id).cloned()) else {
        return (StatusCode::NOT_FOUND, "查無訂單 / no such order").into_response();
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    axum::response::Html(payer_page(host, &id, &o)).into_response()
}

/// Digits made from an order id: the same order always gets the same
/// account and store code.
fn digits_for(id: &str, n: u32) -> String {
    let h = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:0width$}", h % 10u64.pow(n), width = n as usize)
}

/// The payer page the simulator answers a created order with. The vendor
/// document does not describe it, so this one is plain and stable: each
/// value in an element whose `id` names it (what
/// `gateway::goodbuy::payer_page` reads first), labelled zh-TW and English.
/// ATM: bank 822 and a 14-digit virtual account; store: a `GB` + 12-digit
/// code; both payable until 23:59:59 on the third day after the order.
fn payer_page(host: &str, id: &str, o: &Order) -> String {
    let deadline = (o.created.date_naive() + chrono::Days::new(3))
        .format("%Y-%m-%d 23:59:59")
        .to_string();
    let mut rows = format!(
        "<dt>訂單編號 Order</dt><dd id=\"mch_order_id\">{id}</dd>\
         <dt>金額 Amount</dt><dd id=\"amount\">{}</dd>",
        o.amount.dollars()
    );
    match o.pay_type.as_str() {
        "atm" => rows.push_str(&format!(
            "<dt>銀行代碼 Bank code</dt><dd id=\"bank_code\">822</dd>\
             <dt>虛擬帳號 Virtual account</dt><dd id=\"account\">{}</dd>\
             <dt>繳費期限 Deadline</dt><dd id=\"deadline\">{deadline}</dd>",
            digits_for(id, 14)
        )),
        "store" => rows.push_str(&format!(
            "<dt>超商繳費代碼 Store payment code</dt><dd id=\"store_code\">GB{}</dd>\
             <dt>繳費期限 Deadline</dt><dd id=\"deadline\">{deadline}</dd>",
            digits_for(id, 12)
        )),
        _ => {}
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>付款資訊</title></head><body>\
         <h1>付款資訊 / Payment instructions</h1><dl>{rows}</dl>\
         <p><a id=\"pay_url\" href=\"http://{host}/pay/{id}\">付款頁 / payer page</a></p>\
         </body></html>"
    )
}
