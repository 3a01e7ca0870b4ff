//! MyPay Link simulator (NOTES.md §2, `mypay-link-agent-api.txt`): opens
//! the AES-256 envelope with its test key (code 100 when it cannot, or when
//! the caller's uid is not ours), validates the request, and keeps orders
//! so `api/querydirect`, `api/queryorder`, refunds (B500 over the paid
//! amount) and the WeChat 280 → `api/wechatconfirmation` flow reflect what
//! happened. Posts the notification form to the callback URL when set.
//!
//! # E-invoices
//!
//! A payment whose request says `issue_invoice_state: 1` (issue; what till
//! sends when `[einvoice] issuer = "mypay"`) gets an e-invoice once paid:
//! track `MY`, numbers counting up, seller BAN [`INVOICE_SELLER_BAN`], QR
//! codes made with [`INVOICE_QR_KEY`], one line per request item. Like
//! MyPay's, the `api/transaction` answer does not carry it (manual §7.3);
//! `api/querydirect` rows, `api/queryorder` and the notification do.
//! The buyer's choice in the request (`invoice_input_type` 1 cloud with
//! its carrier, 2 donation with its love code, 3 paper with an optional
//! `invoice_b2b_id`) is checked (code 100 when a carrier, love code or BAN
//! is malformed, or a PayPage asks for type 3), the BAN becomes the
//! invoice's buyer, and the choice is echoed in the invoice fields. A
//! PayPage order's invoice is issued when the page is paid.
//! `api/refund` on such a payment follows the refund table: `invoice_state`
//! 4 (void or void-and-reissue, the default when absent) or 6 (allowance);
//! a void cannot cross invoice periods; `items` are required unless the
//! whole payment is refunded at once, and their names must be the
//! payment's (B500 otherwise). A full void sets the invoice to 4; a partial
//! void voids it and issues a new one for what is left; an allowance sets
//! 6 and lists it in `invoice_allowance`. The refund's `row_data` carries
//! the invoice as it stands after the refund.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::books::{Book, Books, Charges, Seq};
use super::mypay_requests::{
    Buyer, Fields, Item, Orders, PaymentRef, QueryDirect, Refund, RefundInvoice, Transaction,
    WeChatConfirm,
};
use super::{CallbackBody, Charge, Fault, Killer, Ledger, Server, SimOptions};
use crate::einvoice::qr::{self, Encoding};
use crate::einvoice::{Invoice, InvoiceNumber, Period, RandomCode, code39_content};
// The answers are written with the client's record types (the field names
// MyPay's answers use); the requests are read by `mypay_requests`, from
// the documents, never with the client's request types.
use crate::gateway::mypay::{Allowance, InvoiceInfo, PaymentRecord, RefundRecord};
use crate::money::Ntd;
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::taipei::{self, TaipeiTime};

/// WeChat amount 9281: `api/wechatconfirmation` answers 280 (not confirmed
/// yet) until this call, which finds it confirmed.
pub const WECHAT_CONFIRM_AFTER: u32 = 3;

/// A payment of this amount is booked late: the connection is dropped at
/// once, and the payment is charged and listed [`LATE_BOOKING_AFTER`] later
/// (a request that reached MyPay while it was busy).
pub const LATE_BOOKING: i64 = 7007;
/// How long a [`LATE_BOOKING`] payment stays unlisted.
pub const LATE_BOOKING_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

/// A refund of this amount is queued, as MyPay queues refunds it cannot
/// do at once: `api/refund` answers B200 with no `row_data`, and
/// `api/queryorder` lists it as 200 (not done) until the test calls
/// [`MyPaySim::process_queued_refunds`] (MyPay's overnight run).
pub const QUEUED_REFUND: i64 = 7006;

/// A payment of this amount gets its e-invoice late, as MyPay issues them
/// after the payment (manual §11, 電子發票通知回報): its answers show the
/// invoice waiting (`invoice_state` 1) until the test calls
/// [`MyPaySim::issue_late_invoices`].
pub const LATE_INVOICE: i64 = 7008;

/// The seller BAN on the simulator's e-invoices (MyPay's sample store).
pub const INVOICE_SELLER_BAN: &str = "28915188";
/// The QR key the simulator's e-invoice codes are made with (NOTES.md §5 vector).
pub const INVOICE_QR_KEY: &str = "05D4A324ABAF4A570E64E572221E438B";

/// Test credentials (the example config's public sandbox values).
pub const AGENT_UID: &str = "518169081001";
pub const STORE_UID: &str = "289151880002";
pub const KEY: &str = "2MrhtRYeF9wKZ4bKwzZoL8aZf26pWzIG";

/// MyPay's times: `YYYYMMDDHHmmss`, Taipei.
const TIME_FORMAT: &str = "%Y%m%d%H%M%S";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// Refunds accepted but not done yet ([`QUEUED_REFUND`]): not listed
    /// anywhere until [`MyPaySim::process_queued_refunds`].
    queued: Vec<Refund>,
    finishtime: String,
    /// The request's items (refund item names must be these).
    items: Vec<Item>,
    /// `issue_invoice_state` 1: issue the e-invoice once paid.
    wants_invoice: bool,
    /// The request's invoice fields: the buyer's choice, echoed back.
    /// (Books written before it was kept read as no choice.)
    #[serde(default)]
    buyer: Buyer,
    /// The e-invoice issued for it, as it stands.
    invoice: Option<InvoiceInfo>,
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
            refund_order: self.refunds_listed(),
            invoice: self.invoice.clone().unwrap_or_default(),
            ..PaymentRecord::default()
        }
    }

    /// `refund_order`: the refunds done (230), then those still queued as
    /// 200 "received, not done" \[guess: MyPay documents no status for a
    /// queued refund\].
    fn refunds_listed(&self) -> Vec<RefundRecord> {
        let queued = self.queued.iter().map(|q| RefundRecord {
            uid: self.uid.clone(),
            key: self.key.clone(),
            prc: "200".into(),
            order_id: self.order_id.clone(),
            cost: Some(q.cost),
            pfn: self.pfn.clone(),
            retmsg: "退款處理中".into(),
            ..RefundRecord::default()
        });
        self.refunds.iter().cloned().chain(queued).collect()
    }

    /// Issue the e-invoice if the request asked for one and it is paid
    /// ([`LATE_INVOICE`]: only say it is waiting).
    fn issue_invoice_if_asked(&mut self, seq: &mut Seq) {
        if self.wants_invoice && self.paid() && self.cost.dollars() == LATE_INVOICE {
            self.invoice.get_or_insert(InvoiceInfo {
                invoice_state: Some(1),
                ..InvoiceInfo::default()
            });
            return;
        }
        if self.wants_invoice && self.paid() && self.invoice.is_none() {
            let lines: Vec<(String, u32, Ntd)> = self
                .items
                .iter()
                .map(|i| (i.name.clone(), i.amount, i.cost))
                .collect();
            self.invoice = issue_invoice(&lines, taipei::now(), &self.buyer, seq);
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
    /// Orders by MyPay's uid.
    books: Books<HashMap<String, Order>>,
    /// `http://127.0.0.1:port`, known once the server listens (PayPage URLs).
    base: Arc<std::sync::OnceLock<String>>,
}

/// A running MyPay simulator.
#[derive(Debug)]
pub struct MyPaySim {
    pub server: Server,
    pub ledger: Ledger,
    books: Books<HashMap<String, Order>>,
}

impl MyPaySim {
    pub async fn start(opts: SimOptions) -> std::io::Result<MyPaySim> {
        let books = opts.open_books("mypay")?;
        let ledger = Ledger::of(books.clone());
        let sim = Sim {
            key: Secret::new(KEY),
            opts,
            ledger: ledger.clone(),
            books: books.clone(),
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
        Ok(MyPaySim {
            server,
            ledger,
            books,
        })
    }

    /// MyPay's overnight run: every queued refund ([`QUEUED_REFUND`]) is
    /// done now (230, money back, listed in `refund_order`). Returns how
    /// many were done.
    pub fn process_queued_refunds(&self) -> usize {
        self.books.with(|b| {
            let Book {
                store,
                charges,
                seq,
            } = b;
            let mut done = 0;
            for o in store.values_mut() {
                for req in std::mem::take(&mut o.queued) {
                    refund_now(o, &req, charges, seq);
                    done += 1;
                }
            }
            done
        })
    }

    /// MyPay issues the invoices it kept waiting ([`LATE_INVOICE`]).
    /// Returns how many it issued.
    pub fn issue_late_invoices(&self) -> usize {
        self.books.with(|b| {
            let Book { store, seq, .. } = b;
            let mut done = 0;
            for o in store.values_mut() {
                if o.invoice
                    .as_ref()
                    .is_some_and(|i| i.invoice_state == Some(1))
                {
                    let lines: Vec<(String, u32, Ntd)> = o
                        .items
                        .iter()
                        .map(|i| (i.name.clone(), i.amount, i.cost))
                        .collect();
                    o.invoice = issue_invoice(&lines, taipei::now(), &o.buyer, seq);
                    done += 1;
                }
            }
            done
        })
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
            pfn_style: Default::default(),
            alipay: Default::default(),
            easywallet: Default::default(),
            notice_format: Default::default(),
        }
    }
}

/// Do refund `req` of order `o`: money back (in the ledger too), the
/// e-invoice changed, the 230 row listed in `refund_order`.
fn refund_now(o: &mut Order, req: &Refund, charges: &mut Charges, seq: &mut Seq) -> RefundRecord {
    let full = o.refunded == Ntd::ZERO && req.cost == o.cost;
    o.refunded = Ntd::new(o.refunded.dollars() + req.cost.dollars());
    let refunded = o.refunded;
    charges.update(&o.order_id, |c| c.refunded = refunded);
    let refund_uid = seq.number("MR");
    let left = Ntd::new(o.cost.dollars() - o.refunded.dollars());
    let invoice_after = o
        .invoice
        .take()
        .map(|inv| invoice_after_refund(inv, req, full, left, &refund_uid, o, seq));
    o.invoice = invoice_after;
    let row = RefundRecord {
        uid: o.uid.clone(),
        refund_uid,
        key: o.key.clone(),
        prc: "230".into(),
        finishtime: now_text(),
        order_id: o.order_id.clone(),
        cost: Some(req.cost),
        pfn: o.pfn.clone(),
        refund_type: "1".into(),
        invoice: o.invoice.clone().unwrap_or_default(),
        ..RefundRecord::default()
    };
    o.refunds.push(row.clone());
    row
}

/// The order an `api/transaction` request makes, its outcome `prc` as the
/// amount says (see the table in `sim`).
fn new_order(req: &Transaction, prc: &str, seq: &mut Seq) -> Order {
    let mut o = Order {
        uid: seq.number("MP"),
        key: format!("{:032x}", rand::random::<u128>()),
        order_id: req.order_id.clone(),
        user_id: req.user_id.clone(),
        cost: req.cost,
        pfn: detected_pfn(req),
        prc: prc.into(),
        wechat_trade_no: if prc == "280" {
            seq.number("WX")
        } else {
            String::new()
        },
        confirm_polls: 0,
        refunded: Ntd::ZERO,
        refunds: Vec::new(),
        queued: Vec::new(),
        finishtime: now_text(),
        items: req.items.clone(),
        wants_invoice: req.buyer.issue_invoice_state == Some(1),
        buyer: req.buyer.clone(),
        invoice: None,
    };
    o.issue_invoice_if_asked(seq);
    o
}

/// The tool an order is booked under, as its answers name it: an OFFLINE
/// (98) code is told apart the way the simulator stands in for MyPay's
/// auto-detect: 18 digits from `31` up, like MyPay's own LINE Pay sample
/// `314818461832250045`, are LINE Pay; `10`–`15` WeChat Pay; `25`–`30`
/// Alipay; anything else stays OFFLINE (the wallet not told).
fn detected_pfn(req: &Transaction) -> String {
    if req.pfn != "OFFLINE" && req.pfn != "98" {
        return req.pfn.clone();
    }
    let prefix: u8 = req.code.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    // (code, number) as 附錄一 lists them; the answer names the tool the
    // way the request did.
    let (code, number) = match (req.code.len(), prefix) {
        (18, 10..=15) => ("WECHATOFF", "19"),
        (18, 25..=30) => ("ALIPAYOFF", "33"),
        (18, 31..=99) => ("LINEPAYOFF", "16"),
        _ => ("OFFLINE", "98"),
    };
    if req.pfn == "98" { number } else { code }.to_string()
}

/// Keep the order (listed by `api/querydirect` from now on) and charge it
/// when paid.
fn book_in(b: &mut Book<HashMap<String, Order>>, o: &Order) {
    if o.paid() {
        b.charges.charge(order_charge(o));
    }
    b.store.insert(o.uid.clone(), o.clone());
}

/// The charge of a paid order.
fn order_charge(o: &Order) -> Charge {
    Charge {
        gateway: GatewayId::MyPay,
        trade_no: o.order_id.clone(),
        gateway_trade_no: o.uid.clone(),
        amount: o.cost,
        refunded: Ntd::ZERO,
        cancelled: false,
    }
}

fn code(code: &str, msg: &str) -> HttpResponse {
    Json(json!({"code": code, "msg": msg})).into_response()
}

fn now_text() -> String {
    taipei::now().format(TIME_FORMAT).to_string()
}

/// The envelope's `service` and `encry_data` opened as MyPay does (NOTES
/// §2, written here from the document, not the client's envelope code):
/// base64 of the 16-byte IV followed by AES-256-CBC-PKCS7 of the compact
/// JSON, with the 32-character key. `None` when it does not open to a JSON
/// object.
fn open_sealed(sealed: &str, key: &str) -> Option<serde_json::Map<String, Value>> {
    use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .ok()?;
    if raw.len() < 32 || raw.len() % 16 != 0 {
        return None;
    }
    let (iv, ct) = raw.split_at(16);
    let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(key.as_bytes(), iv).ok()?;
    let plain = dec.decrypt_padded_vec_mut::<Pkcs7>(ct).ok()?;
    match serde_json::from_slice(&plain).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// `/api/agent`: a reseller calls with its `agent_uid`.
async fn agent(
    State(sim): State<Sim>,
    kill: Killer,
    Form(f): Form<Vec<(String, String)>>,
) -> HttpResponse {
    sim.handle(("agent_uid", AGENT_UID), f, kill).await
}

/// `/api/init`: the store calls with its own `store_uid`.
async fn init(
    State(sim): State<Sim>,
    kill: Killer,
    Form(f): Form<Vec<(String, String)>>,
) -> HttpResponse {
    sim.handle(("store_uid", STORE_UID), f, kill).await
}

/// The commands MyPay answers (the `cmd` a request's service names).
const KNOWN_CMDS: [&str; 7] = [
    "api/transaction",
    "api/wechatconfirmation",
    "api/querydirect",
    "api/refund",
    "api/refundcancel",
    "api/orders",
    "api/queryorder",
];

impl Sim {
    /// One call: the form (the caller's uid as `caller` names it,
    /// `service`, `encry_data`), opened with our key, to its command.
    async fn handle(
        &self,
        caller: (&str, &str),
        form: Vec<(String, String)>,
        kill: Killer,
    ) -> HttpResponse {
        self.ledger.count_request();
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let (Some(service), Some(sealed)) = (field("service"), field("encry_data")) else {
            return code("100", "資料錯誤:缺少欄位");
        };
        let (uid_field, uid) = caller;
        if field(uid_field) != Some(uid) {
            return code("100", "資料錯誤:商家代號錯誤");
        }
        let key = self.key.expose();
        let (Some(service), Some(data)) = (open_sealed(service, key), open_sealed(sealed, key))
        else {
            return code("100", "資料錯誤:無法解密");
        };
        if service.get("service_name").and_then(Value::as_str) != Some("api") {
            return code("100", "資料錯誤:service_name");
        }
        let cmd = service.get("cmd").and_then(Value::as_str).unwrap_or("");
        if KNOWN_CMDS.contains(&cmd) {
            // A refund or a WeChat confirmation names no order_id, only
            // MyPay's uid of the payment.
            let order = ["order_id", "uid"]
                .iter()
                .find_map(|k| data.get(*k).and_then(Value::as_str))
                .unwrap_or("");
            self.ledger.record_call(cmd, order);
        }
        match cmd {
            "api/transaction" => self.transaction(&data, kill).await,
            "api/wechatconfirmation" => self.wechat(&data),
            "api/querydirect" => self.query_direct(&data),
            "api/refund" => self.refund(&data, kill).await,
            "api/refundcancel" => self.refund_cancel(&data),
            "api/orders" => self.orders(&data, kill).await,
            "api/queryorder" => self.query_order(&data),
            _ => code("100", "資料錯誤:不明的指令 / unknown cmd"),
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

    async fn transaction(&self, data: &Fields, kill: Killer) -> HttpResponse {
        let req = match Transaction::read(data, STORE_UID) {
            Ok(req) => req,
            Err(why) => return code("100", &why),
        };
        if let Err(why) = check_invoice_request(&req.buyer, false) {
            return code("100", why);
        }
        let fault = Fault::for_amount(req.cost);
        if fault == Some(Fault::ServerError) {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        let prc = match req.cost.dollars() {
            9300 => "300",
            9290 => "290",
            9280..=9283 => "280",
            _ => "250",
        };
        let late = req.cost.dollars() == LATE_BOOKING;
        // Checked and booked in one go: two tills sending the same order_id
        // at once get one payment and one B500.
        let made = self.books.with(|b| {
            if b.store.values().any(|o| o.order_id == req.order_id) {
                return None;
            }
            let o = new_order(&req, prc, &mut b.seq);
            if !late {
                book_in(b, &o);
            }
            Some(o)
        });
        let Some(o) = made else {
            return code("B500", "訂單編號重複 / duplicate order_id");
        };
        if late {
            // MyPay is still working on it when the connection goes.
            let sim = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(LATE_BOOKING_AFTER).await;
                sim.books.with(|b| book_in(b, &o));
                sim.notify_if_paid(&o);
            });
            kill.drop_connection().await;
        }
        self.notify_if_paid(&o);
        self.deliver(fault, o.answer("交易完成"), &kill).await
    }

    fn notify_if_paid(&self, o: &Order) {
        if o.paid() {
            self.notify(o);
        }
    }

    fn wechat(&self, data: &Fields) -> HttpResponse {
        let req = match WeChatConfirm::read(data) {
            Ok(req) => req,
            Err(why) => return code("100", &why),
        };
        let answered = self.books.with(|b| {
            let Book {
                store,
                charges,
                seq,
            } = b;
            let o = store
                .get_mut(&req.uid)
                .filter(|o| o.key == req.key && o.wechat_trade_no == req.trade_no)?;
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
            let now_paid = o.prc == "280" && confirmed;
            if now_paid {
                o.prc = "250".into();
                o.finishtime = now_text();
                o.issue_invoice_if_asked(seq);
                charges.charge(order_charge(o));
            }
            Some((o.clone(), now_paid))
        });
        let Some((o, now_paid)) = answered else {
            return code("B500", "查無交易");
        };
        if now_paid {
            self.notify(&o);
        }
        let msg = match o.prc.as_str() {
            "250" => "付款成功",
            "280" => "等待消費者確認",
            _ => "付款失敗",
        };
        Json(o.answer(msg)).into_response()
    }

    fn query_direct(&self, data: &Fields) -> HttpResponse {
        let req = match QueryDirect::read(data, STORE_UID) {
            Ok(req) => req,
            Err(why) => return code("100", &why),
        };
        let rows: Vec<PaymentRecord> = self.books.read(|b| {
            b.store
                .values()
                .filter(|o| o.order_id == req.order_id && o.cost == req.cost)
                .map(Order::record)
                .collect()
        });
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

    async fn refund(&self, data: &Fields, kill: Killer) -> HttpResponse {
        let req = match Refund::read(data, STORE_UID) {
            Ok(req) => req,
            Err(why) => return code("B500", &why),
        };
        let fault = Fault::for_amount(req.cost);
        if fault == Some(Fault::ServerError) {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        let done = self.books.with(|b| {
            let Book {
                store,
                charges,
                seq,
            } = b;
            let Some(o) = store.get_mut(&req.uid).filter(|o| o.key == req.key) else {
                return Err("查無交易");
            };
            if !o.paid() {
                return Err("交易未付款,不可退款");
            }
            let queued = o.queued.iter().map(|q| q.cost.dollars()).sum::<i64>();
            let left = Ntd::new(o.cost.dollars() - o.refunded.dollars() - queued);
            if req.cost > left {
                return Err("退款金額超過可退金額 / refund exceeds what is left");
            }
            if let Some(inv) = &o.invoice {
                check_invoice_refund(o, inv, &req, taipei::now())?;
            }
            if req.cost.dollars() == QUEUED_REFUND {
                o.queued.push(req.clone());
                return Ok((
                    json!({"code": "B200", "msg": "退款已受理", "uid": o.uid, "key": o.key}),
                    true,
                ));
            }
            let row = refund_now(o, &req, charges, seq);
            Ok((
                json!({"code": "B200", "msg": "執行成功", "uid": o.uid, "key": o.key, "row_data": row}),
                false,
            ))
        });
        match done {
            // A queued refund is answered at once, whatever the amount.
            Ok((body, true)) => Json(body).into_response(),
            Ok((body, false)) => self.deliver(fault, body, &kill).await,
            Err(why) => code("B500", why),
        }
    }

    /// `api/refundcancel`: withdraw the refunds still queued on an order.
    fn refund_cancel(&self, data: &Fields) -> HttpResponse {
        let req = match PaymentRef::read(data, Some(STORE_UID)) {
            Ok(req) => req,
            Err(why) => return code("B500", &why),
        };
        self.books
            .with(
                |b| match b.store.get_mut(&req.uid).filter(|o| o.key == req.key) {
                    Some(o) if !o.queued.is_empty() => {
                        o.queued.clear();
                        Json(json!({"code": "B200", "msg": "取消退款成功", "uid": o.uid, "key": o.key}))
                    }
                    Some(_) => Json(json!({"code": "B500", "msg": "無待處理的退款"})),
                    None => Json(json!({"code": "B500", "msg": "查無交易"})),
                },
            )
            .into_response()
    }

    async fn orders(&self, data: &Fields, kill: Killer) -> HttpResponse {
        let req = match Orders::read(data, STORE_UID) {
            Ok(req) => req,
            Err(why) => return code("100", &why),
        };
        if let Err(why) = check_invoice_request(&req.buyer, true) {
            return code("100", why);
        }
        let fault = Fault::for_amount(req.cost);
        if fault == Some(Fault::ServerError) {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        let o = self.books.with(|b| {
            let o = Order {
                uid: b.seq.number("MP"),
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
                queued: Vec::new(),
                finishtime: String::new(),
                items: req.items.clone(),
                wants_invoice: req.buyer.issue_invoice_state == Some(1),
                buyer: req.buyer.clone(),
                invoice: None,
            };
            b.store.insert(o.uid.clone(), o.clone());
            o
        });
        let base = self
            .base
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1");
        let url = format!("{base}/paypage/{}", o.uid);
        let body =
            json!({"code": "200", "msg": "訂單建立", "url": url, "uid": o.uid, "key": o.key});
        self.deliver(fault, body, &kill).await
    }

    fn query_order(&self, data: &Fields) -> HttpResponse {
        let req = match PaymentRef::read(data, None) {
            Ok(req) => req,
            Err(why) => return code("100", &why),
        };
        let found = self.books.read(|b| {
            b.store
                .get(&req.uid)
                .filter(|o| o.key == req.key)
                .map(Order::record)
        });
        match found {
            Some(r) => Json(r).into_response(),
            None => code("B500", "查無交易"),
        }
    }
}

/// The customer's PayPage (`GET /paypage/{uid}`): the order and two
/// buttons. `POST /paypage/{uid}` pays it (250, charged once, notified);
/// `POST /paypage/{uid}/abandon` gives up (A0002). Tests drive these as the
/// customer's phone would. Any demo process serves the pages of every
/// order in the books.
async fn paypage(
    State(sim): State<Sim>,
    axum::extract::Path(uid): axum::extract::Path<String>,
) -> HttpResponse {
    let Some(o) = sim.books.read(|b| b.store.get(&uid).cloned()) else {
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
    let paid = sim.books.with(|b| {
        let Some(o) = b.store.get_mut(&uid) else {
            return Err((StatusCode::NOT_FOUND, "查無訂單 / no such order"));
        };
        match o.prc.as_str() {
            "200" => {
                o.prc = "250".into();
                o.finishtime = now_text();
                o.issue_invoice_if_asked(&mut b.seq);
                let o = o.clone();
                b.charges.charge(order_charge(&o));
                Ok(Some(o))
            }
            "250" => Ok(None),
            _ => Err((
                StatusCode::CONFLICT,
                "訂單已失效 / the order can no longer be paid",
            )),
        }
    });
    match paid {
        Ok(Some(o)) => {
            sim.notify(&o);
            "付款成功 / paid".into_response()
        }
        Ok(None) => "已付款 / already paid".into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn paypage_abandon(
    State(sim): State<Sim>,
    axum::extract::Path(uid): axum::extract::Path<String>,
) -> HttpResponse {
    sim.books.with(|b| match b.store.get_mut(&uid) {
        Some(o) if o.prc == "200" => {
            o.prc = "A0002".into();
            o.finishtime = now_text();
            "已放棄 / given up".into_response()
        }
        Some(_) => (StatusCode::CONFLICT, "訂單已結束 / the order is over").into_response(),
        None => (StatusCode::NOT_FOUND, "查無訂單 / no such order").into_response(),
    })
}

/// The buyer fields of a request that asks for an invoice, checked as
/// `mypay-link-agent-api.txt` defines them (lines 1025–1036; value tables
/// 『電子發票開立類型』 line 3269 and 『雲端發票類型』 line 3277): a cloud
/// invoice names its carrier, a donation its love code, a BAN is a valid
/// one; a PayPage never takes type 3 (line 3273 note 2).
fn check_invoice_request(r: &Buyer, paypage: bool) -> Result<(), &'static str> {
    use crate::einvoice::buyer::{Ban, CitizenCertificate, LoveCode, MobileCarrier};
    if r.issue_invoice_state != Some(1) {
        return Ok(());
    }
    let ban_ok = |b: &str| b.is_empty() || b.parse::<Ban>().is_ok();
    match r.invoice_input_type {
        // MyPay's store setting decides.
        None => Ok(()),
        Some(1) => {
            let carrier_ok = match r.invoice_cloud_type.as_str() {
                "2" => r.invoice_mobile_code.parse::<MobileCarrier>().is_ok(),
                "3" => r
                    .invoice_natural_person
                    .parse::<CitizenCertificate>()
                    .is_ok(),
                "4" => true,
                _ => false,
            };
            if !carrier_ok {
                return Err("資料錯誤:雲端發票載具 / invoice carrier fields are wrong");
            }
            if !ban_ok(&r.invoice_tax_id) {
                return Err("資料錯誤:統一編號 invoice_tax_id");
            }
            Ok(())
        }
        Some(2) if r.invoice_love_code.parse::<LoveCode>().is_ok() => Ok(()),
        Some(2) => Err("資料錯誤:愛心碼 invoice_love_code"),
        Some(3) if paypage => {
            Err("資料錯誤:PayPage 不可使用實體發票 / no paper invoice type on a PayPage")
        }
        Some(3) if ban_ok(&r.invoice_b2b_id) => Ok(()),
        Some(3) => Err("資料錯誤:統一編號 invoice_b2b_id"),
        Some(_) => Err("資料錯誤:invoice_input_type"),
    }
}

/// An e-invoice for `lines` (name, quantity, unit price) issued `at` as
/// the buyer asked (`buyer`, echoed in the answer), as MyPay's query
/// answers carry it, numbered from `seq`. `None` when the lines make no
/// invoice.
fn issue_invoice(
    lines: &[(String, u32, Ntd)],
    at: TaipeiTime,
    buyer: &Buyer,
    seq: &mut Seq,
) -> Option<InvoiceInfo> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let items = lines
        .iter()
        .map(|(name, qty, price)| crate::einvoice::Item::new(name, *qty, *price))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let n = (10_000_000 + seq.next(&NEXT)) % 100_000_000;
    let number = InvoiceNumber::from_parts("MY", &format!("{n:08}")).ok()?;
    let random = RandomCode::from_number(rand::random::<u16>() % 10_000).ok()?;
    let buyer_ban = match buyer.invoice_input_type {
        Some(1) => buyer.invoice_tax_id.as_str(),
        Some(3) => buyer.invoice_b2b_id.as_str(),
        _ => "",
    };
    let buyer_ban = (!buyer_ban.is_empty()).then_some(buyer_ban);
    let inv = Invoice::new(number, random, at, INVOICE_SELLER_BAN, buyer_ban, items).ok()?;
    let codes = qr::contents(&inv, &Secret::new(INVOICE_QR_KEY), Encoding::Utf8).ok()?;
    let detail: Vec<Value> = inv
        .items()
        .iter()
        .map(|i| {
            json!({"Description": i.name, "Quantity": i.qty.to_string(),
                   "UnitPrice": i.unit_price.dollars().to_string(),
                   "Amount": i.amount.dollars().to_string()})
        })
        .collect();
    Some(InvoiceInfo {
        invoice_state: Some(2),
        invoice_date: at.format(TIME_FORMAT).to_string(),
        invoice_wordtrack: inv.number().track().to_string(),
        invoice_number: inv.number().digits().to_string(),
        invoice_rand_code: inv.random_code().as_str().to_string(),
        invoice_seller_ban: INVOICE_SELLER_BAN.into(),
        invoice_left_qrcode: codes.left,
        invoice_middle_barcode: code39_content(&inv),
        invoice_right_qrcode: codes.right,
        invoice_title_type: Some(1),
        invoice_title: "MyPay 模擬商店 Simulator".into(),
        invoice_print_type: Some(0),
        invoice_print_device: Some(0),
        invoice_amount: Some(inv.total()),
        // A consumer invoice: MyPay states sales = total, tax 0 (its sample).
        invoice_sales_amount: Some(inv.total()),
        invoice_tax_amount: Some(Ntd::ZERO),
        invoice_order_detail: Value::Array(detail).to_string(),
        invoice_buyer_ban: buyer_ban.unwrap_or_default().into(),
        invoice_ratetype: Some(1),
        // What the buyer chose, echoed as MyPay's answers do (sample near
        // `mypay-link-agent-api.txt` line 1995).
        invoice_input_type: buyer.invoice_input_type.map(i64::from),
        invoice_cloud_type: buyer.invoice_cloud_type.clone(),
        invoice_mobile_code: buyer.invoice_mobile_code.clone(),
        invoice_tax_id: buyer.invoice_tax_id.clone(),
        invoice_natural_person: buyer.invoice_natural_person.clone(),
        invoice_love_code: buyer.invoice_love_code.clone(),
        invoice_b2b_title: buyer.invoice_b2b_title.clone(),
        invoice_b2b_id: buyer.invoice_b2b_id.clone(),
        invoice_b2b_address: buyer.invoice_b2b_address.clone(),
        ..InvoiceInfo::default()
    })
}

/// The invoice rules of `api/refund` (交易退款 fields): see the module docs.
fn check_invoice_refund(
    o: &Order,
    inv: &InvoiceInfo,
    req: &Refund,
    today: TaipeiTime,
) -> Result<(), &'static str> {
    if !matches!(inv.invoice_state, Some(2) | Some(6)) {
        return Ok(());
    }
    let mode = req.invoice_state.unwrap_or(RefundInvoice::Void);
    let full = o.refunded == Ntd::ZERO && req.cost == o.cost;
    if req.items.is_empty() && !full {
        return Err(
            "有電子發票時須帶退款項目 items / items are required when there is an e-invoice",
        );
    }
    if req
        .items
        .iter()
        .any(|i| !o.items.iter().any(|x| x.name == i.name))
    {
        return Err("退款項目名稱須與交易時相同 / refund item names must be the payment's");
    }
    if mode == RefundInvoice::Void {
        if inv.invoice_state == Some(6) {
            return Err("發票已折讓,不可作廢 / the invoice has an allowance: it cannot be voided");
        }
        let issued = chrono::NaiveDate::parse_from_str(
            inv.invoice_date.get(..8).unwrap_or_default(),
            "%Y%m%d",
        )
        .ok()
        .and_then(|d| Period::of(d).ok());
        if issued != Period::of(today.date_naive()).ok() {
            return Err("跨發票月份無法作廢 / a void cannot cross invoice periods");
        }
    }
    Ok(())
}

/// The invoice once a refund of order `o` is done (see the module docs);
/// a reissue goes to the order's buyer.
fn invoice_after_refund(
    mut inv: InvoiceInfo,
    req: &Refund,
    full: bool,
    left: Ntd,
    refund_uid: &str,
    o: &Order,
    seq: &mut Seq,
) -> InvoiceInfo {
    if !matches!(inv.invoice_state, Some(2) | Some(6)) {
        return inv;
    }
    match req.invoice_state.unwrap_or(RefundInvoice::Void) {
        RefundInvoice::Void if full || !left.is_positive() => {
            inv.invoice_state = Some(4);
            inv
        }
        RefundInvoice::Void => {
            // 作廢重開: a new invoice for what is left, one line.
            let name = o.items.first().map(|i| i.name.clone()).unwrap_or_default();
            issue_invoice(&[(name, 1, left)], taipei::now(), &o.buyer, seq).unwrap_or_else(|| {
                inv.invoice_state = Some(4);
                inv
            })
        }
        RefundInvoice::Allowance => {
            inv.invoice_state = Some(6);
            inv.invoice_allowance.push(Allowance {
                uid: refund_uid.to_string(),
                amount: Some(req.cost),
                order_detail: serde_json::to_string(&req.items).unwrap_or_default(),
            });
            inv
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(invoice: InvoiceInfo) -> Order {
        let items = vec![Item {
            id: "1".into(),
            name: "拿鐵".into(),
            cost: Ntd::new(100),
            amount: 2,
            total: Ntd::new(200),
        }];
        Order {
            uid: "MP1".into(),
            key: "k".into(),
            order_id: "o".into(),
            user_id: "u".into(),
            cost: Ntd::new(200),
            pfn: "PIOFF".into(),
            prc: "250".into(),
            wechat_trade_no: String::new(),
            confirm_polls: 0,
            refunded: Ntd::ZERO,
            refunds: Vec::new(),
            queued: Vec::new(),
            finishtime: String::new(),
            items,
            wants_invoice: true,
            buyer: Buyer::default(),
            invoice: Some(invoice),
        }
    }

    fn refund(cost: i64, mode: Option<RefundInvoice>, items: Vec<Item>) -> Refund {
        Refund {
            uid: "MP1".into(),
            key: "k".into(),
            cost: Ntd::new(cost),
            invoice_state: mode,
            items,
        }
    }

    fn paper() -> Buyer {
        Buyer {
            issue_invoice_state: Some(1),
            invoice_input_type: Some(3),
            ..Buyer::default()
        }
    }

    fn at(y: i32, m: u32, d: u32) -> TaipeiTime {
        taipei::from_wall_clock(
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        )
    }

    #[tokio::test]
    async fn a_late_invoice_left_in_the_demo_books_is_issued_later_to_the_buyer_it_was_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(super::super::books::FILE_NAME);
        // One till process leaves a paid order whose invoice MyPay keeps
        // waiting ([`LATE_INVOICE`]), for a company buyer.
        let mut o = order(InvoiceInfo {
            invoice_state: Some(1),
            ..InvoiceInfo::default()
        });
        o.buyer = Buyer {
            invoice_b2b_id: "04595252".into(),
            ..paper()
        };
        Books::<HashMap<String, Order>>::open("mypay", &path)
            .unwrap()
            .with(|b| b.store.insert(o.uid.clone(), o.clone()));
        // A later process's simulator issues it from the books alone.
        let later = MyPaySim::start(SimOptions {
            books: Some(path.clone()),
            ..SimOptions::default()
        })
        .await
        .unwrap();
        assert_eq!(later.issue_late_invoices(), 1);
        let inv = Books::<HashMap<String, Order>>::open("mypay", &path)
            .unwrap()
            .read(|b| b.store["MP1"].invoice.clone())
            .unwrap();
        assert_eq!(inv.invoice_state, Some(2));
        assert_eq!(inv.invoice_buyer_ban, "04595252");
        assert_eq!(inv.invoice_b2b_id, "04595252");
        assert_eq!(inv.invoice_input_type, Some(3));
    }

    #[test]
    fn the_envelope_opens_as_the_documents_vector_says() {
        // NOTES §2: key Xd668…, IV bytes 00..0f.
        let sealed = "AAECAwQFBgcICQoLDA0ODzZOmxwGeAhOU6YzQlyaArqt93J43inV132DUSQ4fV9C4Hd9nkwQV7MHPBq8MiABxQ==";
        let m = open_sealed(sealed, "Xd668CSjnXQLD26Hia8vapkOgGXAv68s").unwrap();
        assert_eq!(m["service_name"], "api");
        assert_eq!(m["cmd"], "api/transaction");
        assert!(
            open_sealed(sealed, KEY).is_none(),
            "another key does not open it"
        );
        assert!(open_sealed("AAEC", KEY).is_none(), "too short");
    }

    #[test]
    fn the_simulated_invoice_passes_mypay_field_checks() {
        let inv = issue_invoice(
            &[("拿鐵".into(), 2, Ntd::new(100))],
            at(2025, 3, 10),
            &paper(),
            &mut Seq::default(),
        )
        .unwrap();
        let fields = inv.fields().unwrap();
        let checked = crate::einvoice::mypay::MypayInvoice::from_fields(&fields).unwrap();
        assert_eq!(checked.total, Ntd::new(200));
        assert_eq!(checked.seller_ban, INVOICE_SELLER_BAN);
    }

    #[test]
    fn refund_invoice_rules() {
        let inv = issue_invoice(
            &[("拿鐵".into(), 2, Ntd::new(100))],
            at(2025, 3, 10),
            &paper(),
            &mut Seq::default(),
        )
        .unwrap();
        let o = order(inv.clone());
        let same = at(2025, 4, 30);
        let later = at(2025, 5, 1);
        // Whole payment, no items: MyPay fills them in; void is the default.
        assert!(check_invoice_refund(&o, &inv, &refund(200, None, vec![]), same).is_ok());
        // A void cannot cross periods, whether asked for or by default.
        assert!(check_invoice_refund(&o, &inv, &refund(200, None, vec![]), later).is_err());
        let allowance = Some(RefundInvoice::Allowance);
        assert!(check_invoice_refund(&o, &inv, &refund(200, allowance, vec![]), later).is_ok());
        // Part of it: items required, named as sold.
        assert!(check_invoice_refund(&o, &inv, &refund(100, allowance, vec![]), same).is_err());
        let mut item = o.items[0].clone();
        item.amount = 1;
        item.total = Ntd::new(100);
        assert!(
            check_invoice_refund(&o, &inv, &refund(100, allowance, vec![item.clone()]), same)
                .is_ok()
        );
        item.name = "別的".into();
        assert!(check_invoice_refund(&o, &inv, &refund(100, allowance, vec![item]), same).is_err());
    }
}
