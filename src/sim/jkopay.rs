//! JKoPay POS simulator (`jkopay-pos-payment.txt`, NOTES.md §1). It reads
//! requests as JKoPay would, on its own: the JSON object as received, its
//! `Sign` recomputed here from the document's rule (904 when wrong), every
//! field the document lists checked for presence, type, length and format
//! (804; 940 for an amount that is not positive), the merchant (907). No
//! request type or signing code of the client is used, so a client that
//! drifts from the document is refused here. It keeps payments by
//! MerchantTradeNo so a repeat answers the stored result with `IsRep=1`,
//! and refunds up to the paid amount (922).

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::books::{Book, Books};
use super::{Charge, Fault, Killer, Ledger, Server, SimOptions};
use crate::money::Ntd;
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::taipei;

/// The public UAT credentials (NOTES §1).
pub const MERCHANT_ID: &str = "9999999";
pub const STORE_ID: &str = "9999999";
pub const MERCHANT_KEY: &str = "2AA6B9B6F9C64247ABB2677B6AF2C896";

/// JKoPay's time formats (`yyyy/MM/dd HH:mm:ss`, `yyyyMMddHHmmss`).
const TRADE_TIME: &str = "%Y/%m/%d %H:%M:%S";
const SEND_TIME: &str = "%Y%m%d%H%M%S";

/// StatusCode and its description (NOTES §1, 1.2 回應碼).
const STATUS: &[(&str, &str)] = &[
    ("000", "交易成功"),
    ("301", "網路或系統異常"),
    ("601", "無綁定會員"),
    ("801", "閘道連線錯誤"),
    ("802", "銀行拒絕交易"),
    ("804", "缺少必要參數或格式錯誤"),
    ("812", "已退款"),
    ("901", "未定義錯誤"),
    ("904", "簽章驗證失敗"),
    ("905", "資料解析失敗"),
    ("906", "付款條碼已過期"),
    ("907", "非街口特約商店"),
    ("909", "寫入失敗"),
    ("911", "使用者已停權"),
    ("912", "查無此會員"),
    ("916", "查無此訂單"),
    ("922", "退款金額超過付款金額"),
    ("927", "付款條碼錯誤"),
    ("928", "餘額不足"),
    ("929", "不允許的付款方式"),
    ("931", "金額超過上限"),
    ("932", "商店收款超過上限"),
    ("934", "訂單狀態不允許退款"),
    ("935", "超過商店單日限額"),
    ("939", "學生卡餘額不足"),
    ("940", "金額必須大於 0"),
    ("951", "退款將造成透支"),
    ("961", "退款須收回街口幣或回饋"),
    ("962", "儲值退款失敗"),
    ("968", "已使用優惠券,不可部分退款"),
    ("975", "退款超過未結算金額"),
    ("977", "帳戶已休眠"),
    ("978", "使用者受限"),
    ("980", "商店已停用"),
];

/// An answer as JKoPay sends it: its JSON fields (signed when sent).
type Answer = Map<String, Value>;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Payment {
    /// JKoPay's own number (empty when declined).
    trade_no: String,
    amount: Ntd,
    paid: bool,
    cancelled: bool,
    refunded: Ntd,
    answer: Answer,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Store {
    /// By MerchantTradeNo.
    payments: HashMap<String, Payment>,
    /// Refund answers by the refund's own MerchantTradeNo.
    refunds: HashMap<String, Answer>,
}

#[derive(Clone)]
struct Sim {
    key: Secret,
    opts: SimOptions,
    ledger: Ledger,
    books: Books<Store>,
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
        let books = opts.open_books::<Store>("jkopay")?;
        let ledger = Ledger::of(books.clone());
        let sim = Sim {
            key: Secret::new(MERCHANT_KEY),
            opts,
            ledger: ledger.clone(),
            books,
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
            // JKoPay answers within 15 s (NOTES §1, timeouts).
            timeout_secs: 15,
            response_sign: Default::default(),
            inquiry_order_status: Default::default(),
        }
    }
}

impl Sim {
    /// A signed JSON answer (with the wrong key for the BAD SIGNATURE fault).
    fn answer(&self, r: &Answer, wrong_key: bool) -> HttpResponse {
        let mut m = r.clone();
        let key = if wrong_key {
            "00000000000000000000000000000000"
        } else {
            self.key.expose()
        };
        let s = sign(&m, key);
        m.insert("Sign".into(), Value::String(s));
        axum::Json(Value::Object(m)).into_response()
    }

    /// Keep a payment (Cancel, Refund and Inquiry find it from now on) and
    /// its charge, if it was paid.
    fn book(&self, merchant_trade_no: String, payment: Payment, charge: Option<Charge>) {
        self.books.with(|b| {
            if let Some(c) = charge {
                b.charges.charge(c);
            }
            b.store.payments.insert(merchant_trade_no, payment);
        });
    }

    fn status(&self, code: &str) -> HttpResponse {
        self.answer(&status_only(code), false)
    }

    /// Applies a fault to a processed answer.
    async fn deliver(&self, fault: Option<Fault>, r: &Answer, kill: &Killer) -> HttpResponse {
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

    /// Reads a request as JKoPay does: JSON (905), its Sign (904), then
    /// the fields of `call` (804, 940) and the merchant (907).
    fn open(&self, body: &str, call: Call) -> Result<Request, &'static str> {
        self.ledger.count_request();
        let Ok(Value::Object(m)) = serde_json::from_str::<Value>(body) else {
            return Err("905");
        };
        let given = m.get("Sign").and_then(Value::as_str).unwrap_or_default();
        // 64 lower-case hex digits ("須為全小寫"), made with our key.
        if given != sign(&m, self.key.expose()) {
            return Err("904");
        }
        let r = Request::read(&m, call)?;
        if r.merchant_id != MERCHANT_ID {
            return Err("907");
        }
        Ok(r)
    }
}

/// `Sign` by the document's rule (NOTES §1): lower-case hex SHA-256 of the
/// compact JSON of every field but `Sign`, keys in ASCII order, followed by
/// the merchant key.
fn sign(fields: &Map<String, Value>, key: &str) -> String {
    let sorted: BTreeMap<&str, &Value> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != "Sign")
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let text = serde_json::to_string(&sorted).expect("a JSON map serialises");
    hex::encode(Sha256::digest(format!("{text}{key}").as_bytes()))
}

/// The four calls, for what each request must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// Payment, and Cancel (the same fields, NOTES §1).
    Payment,
    Refund,
    Inquiry,
}

/// A request's fields once checked against the document.
#[derive(Debug, Clone, Default)]
struct Request {
    merchant_id: String,
    store_id: String,
    merchant_trade_no: String,
    pos_id: String,
    /// Payment / Cancel.
    card_token: String,
    /// Payment / Cancel / Refund.
    amount: Ntd,
    /// Refund: JKoPay's number of the payment.
    trade_no: String,
    /// Inquiry: `P` payment, `R` refund.
    inquiry_type: String,
}

impl Request {
    /// The fields `call` needs (`jkopay-pos-payment.txt` 請求參數; Refund and
    /// Inquiry as NOTES §1 lists them): present, of their type, within
    /// their length, dates in JKoPay's formats.
    fn read(m: &Map<String, Value>, call: Call) -> Result<Request, &'static str> {
        let f = Fields(m);
        let mut r = Request {
            merchant_id: f.text("MerchantID", 10, true)?,
            store_id: f.text("StoreID", 20, true)?,
            merchant_trade_no: f.text("MerchantTradeNo", 60, true)?,
            pos_id: f.text("PosID", 20, true)?,
            ..Request::default()
        };
        f.text("GatewayTradeNo", 20, false)?;
        f.time("PosTradeTime", TRADE_TIME)?;
        f.time("SendTime", SEND_TIME)?;
        if call != Call::Inquiry {
            f.text("StoreName", 100, true)?;
            f.text("Remark", 1000, false)?;
            for extra in ["Extra1", "Extra2", "Extra3"] {
                f.text(extra, 512, false)?;
            }
            r.amount = f.amount("TradeAmount")?;
        }
        match call {
            Call::Payment => {
                // "22" + 16 random characters.
                let token = f.text("CardToken", 18, true)?;
                if token.chars().count() != 18
                    || !token.starts_with("22")
                    || !token.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    return Err("804");
                }
                r.card_token = token;
                let un_redeem = f.int("UnRedeem")?;
                if un_redeem < 0 || un_redeem > r.amount.dollars() {
                    return Err("804");
                }
            }
            Call::Refund => r.trade_no = f.text("TradeNo", 25, true)?,
            Call::Inquiry => {
                r.inquiry_type = f.text("InquiryType", 1, true)?;
                if !matches!(r.inquiry_type.as_str(), "P" | "R") {
                    return Err("804");
                }
            }
        }
        Ok(r)
    }
}

/// A request's JSON fields, read one by one.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    /// A string field, present (even when it may be empty), at most `max`
    /// characters, not empty when `required`.
    fn text(&self, name: &str, max: usize, required: bool) -> Result<String, &'static str> {
        let Some(Value::String(s)) = self.0.get(name) else {
            return Err("804");
        };
        if s.chars().count() > max || (required && s.is_empty()) {
            return Err("804");
        }
        Ok(s.clone())
    }

    fn time(&self, name: &str, format: &str) -> Result<(), &'static str> {
        let s = self.text(name, 19, true)?;
        // Exactly the format: chrono alone would take e.g. a 1-digit month.
        match chrono::NaiveDateTime::parse_from_str(&s, format) {
            Ok(t) if t.format(format).to_string() == s => Ok(()),
            _ => Err("804"),
        }
    }

    /// An `int` field: a JSON integer.
    fn int(&self, name: &str) -> Result<i64, &'static str> {
        self.0.get(name).and_then(Value::as_i64).ok_or("804")
    }

    /// An amount: an integer above 0 (940 otherwise).
    fn amount(&self, name: &str) -> Result<Ntd, &'static str> {
        match self.int(name)? {
            n if n > 0 => Ok(Ntd::new(n)),
            _ => Err("940"),
        }
    }
}

fn description(code: &str) -> &'static str {
    STATUS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
        .unwrap_or("")
}

/// An answer carrying only its StatusCode (a request refused as a whole).
fn status_only(code: &str) -> Answer {
    let mut m = Map::new();
    m.insert("StatusCode".into(), code.into());
    m.insert("StatusDesc".into(), description(code).into());
    m
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
    STATUS
        .iter()
        .find(|(c, _)| *c == code && *c != "000")
        .map(|(c, _)| *c)
}

/// What a Payment request comes to.
enum Made {
    /// The MerchantTradeNo was seen before: its stored answer (`IsRep=1`).
    Repeat(Answer),
    ServerError,
    /// Processed now: the answer, the payment kept and its charge.
    New(Answer, Payment, Option<Charge>),
}

fn set_rep(mut r: Answer) -> Answer {
    r.insert("IsRep".into(), 1.into());
    r
}

async fn payment(State(sim): State<Sim>, kill: Killer, body: String) -> HttpResponse {
    let req = match sim.open(&body, Call::Payment) {
        Ok(r) => r,
        Err(code) => return sim.status(code),
    };
    sim.ledger.record_call("Payment", &req.merchant_trade_no);
    let fault = Fault::for_amount(req.amount);
    let late = req.amount.dollars() == LATE_BOOKING;
    let made = sim.books.with(|b| {
        if let Some(p) = b.store.payments.get(&req.merchant_trade_no) {
            // The same MerchantTradeNo again: the stored result, never a second charge.
            return Made::Repeat(set_rep(p.answer.clone()));
        }
        if fault == Some(Fault::ServerError) {
            return Made::ServerError;
        }
        let (r, payment, charge) = decide(&req, b);
        if !late {
            if let Some(c) = charge.clone() {
                b.charges.charge(c);
            }
            b.store
                .payments
                .insert(req.merchant_trade_no.clone(), payment.clone());
        }
        Made::New(r, payment, charge)
    });
    let (r, payment, charge) = match made {
        Made::Repeat(r) => return sim.answer(&r, false),
        Made::ServerError => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        Made::New(r, payment, charge) => (r, payment, charge),
    };
    if late {
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
    sim.deliver(fault, &r, &kill).await
}

/// The fields every answer about a request carries (返回參數: "同 request").
fn answer_for(req: &Request, code: &str) -> Answer {
    let now = taipei::now().format(TRADE_TIME).to_string();
    let v = json!({
        "MerchantID": req.merchant_id,
        "StoreID": req.store_id,
        // Spelled so in JKoPay's answers (NOTES §1).
        "GateWayTradeNo": "",
        "MerchantTradeNo": req.merchant_trade_no,
        "PosID": req.pos_id,
        "TradeNo": "",
        "TradeTime": now,
        "StatusCode": code,
        "StatusDesc": description(code),
        "IsRep": 0,
        "ActionCode": "0",
        "Remark": "",
        "Extra1": "",
        "Extra2": "",
        "Extra3": "",
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("an object literal"),
    }
}

/// The answer to a new payment, the payment to keep and its charge.
fn decide(req: &Request, b: &mut Book<Store>) -> (Answer, Payment, Option<Charge>) {
    let (r, trade_no, charge) = match decline_for(req.amount, &req.card_token) {
        Some(code) => (answer_for(req, code), String::new(), None),
        None => {
            let trade_no = b.seq.number("JK");
            let mut r = answer_for(req, "000");
            for (k, v) in [
                ("TradeNo", json!(trade_no)),
                ("PaymentType", json!(1)),
                ("TradeAmount", json!(req.amount.dollars())),
                ("DebitAmount", json!(req.amount.dollars())),
                ("RedeemName", json!("")),
                ("RedeemAmount", json!(0)),
                ("AvailableAmount", json!(0)),
                ("InvoiceVehicle", json!("")),
                ("MerMemToken", json!("")),
            ] {
                r.insert(k.into(), v);
            }
            let charge = Charge {
                gateway: GatewayId::JkoPay,
                trade_no: req.merchant_trade_no.clone(),
                gateway_trade_no: trade_no.clone(),
                amount: req.amount,
                refunded: Ntd::ZERO,
                cancelled: false,
            };
            (r, trade_no, Some(charge))
        }
    };
    let payment = Payment {
        trade_no,
        amount: req.amount,
        paid: charge.is_some(),
        cancelled: false,
        refunded: Ntd::ZERO,
        answer: r.clone(),
    };
    (r, payment, charge)
}

async fn cancel(State(sim): State<Sim>, body: String) -> HttpResponse {
    let req = match sim.open(&body, Call::Payment) {
        Ok(r) => r,
        Err(code) => return sim.status(code),
    };
    sim.ledger.record_call("Cancel", &req.merchant_trade_no);
    let answer = sim.books.with(|b| {
        let Some(p) = b.store.payments.get_mut(&req.merchant_trade_no) else {
            return Err("916");
        };
        if p.amount != req.amount {
            return Err("804");
        }
        if p.refunded.is_positive() {
            return Err("934");
        }
        let was_charged = p.paid && !p.cancelled;
        p.cancelled = true;
        let mut r = p.answer.clone();
        r.insert("StatusCode".into(), "000".into());
        r.insert("StatusDesc".into(), "取消成功".into());
        if was_charged {
            b.charges
                .update(&req.merchant_trade_no, |c| c.cancelled = true);
        }
        Ok(r)
    });
    match answer {
        Ok(r) => sim.answer(&r, false),
        Err(code) => sim.status(code),
    }
}

/// Why a Refund request is not done now.
enum Refused {
    /// The refund's MerchantTradeNo was seen before: its stored answer.
    Repeat(Answer),
    ServerError,
    Code(&'static str),
}

async fn refund(State(sim): State<Sim>, kill: Killer, body: String) -> HttpResponse {
    let req = match sim.open(&body, Call::Refund) {
        Ok(r) => r,
        Err(code) => return sim.status(code),
    };
    sim.ledger.record_call("Refund", &req.merchant_trade_no);
    let fault = Fault::for_amount(req.amount);
    let done = sim.books.with(|b| {
        if let Some(done) = b.store.refunds.get(&req.merchant_trade_no) {
            return Err(Refused::Repeat(set_rep(done.clone())));
        }
        if fault == Some(Fault::ServerError) {
            return Err(Refused::ServerError);
        }
        // A refund of 9000 + code is declined with that code (as payments are).
        if let Some(code) = decline_for(req.amount, "") {
            return Err(Refused::Code(code));
        }
        let Some((pay_no, p)) = b
            .store
            .payments
            .iter_mut()
            .find(|(_, p)| p.paid && p.trade_no == req.trade_no)
        else {
            return Err(Refused::Code("916"));
        };
        if p.cancelled {
            return Err(Refused::Code("934"));
        }
        let left = Ntd::new(p.amount.dollars() - p.refunded.dollars());
        if req.amount > left {
            return Err(Refused::Code("922"));
        }
        p.refunded = Ntd::new(p.refunded.dollars() + req.amount.dollars());
        let refunded = p.refunded;
        let pay_no = pay_no.clone();
        b.charges.update(&pay_no, |c| c.refunded = refunded);
        let mut r = answer_for(&req, "000");
        r.insert("StatusDesc".into(), "退款成功".into());
        r.insert("TradeNo".into(), req.trade_no.clone().into());
        r.insert("TradeAmount".into(), req.amount.dollars().into());
        r.insert("RefundTradeNo".into(), b.seq.number("JR").into());
        r.insert(
            "RefundTradeTime".into(),
            taipei::now().format(TRADE_TIME).to_string().into(),
        );
        b.store
            .refunds
            .insert(req.merchant_trade_no.clone(), r.clone());
        Ok(r)
    });
    let r = match done {
        Ok(r) => r,
        Err(Refused::Repeat(r)) => return sim.answer(&r, false),
        Err(Refused::ServerError) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        Err(Refused::Code(code)) => return sim.status(code),
    };
    sim.deliver(fault, &r, &kill).await
}

async fn inquiry(State(sim): State<Sim>, body: String) -> HttpResponse {
    let req = match sim.open(&body, Call::Inquiry) {
        Ok(r) => r,
        Err(code) => return sim.status(code),
    };
    sim.ledger.record_call("Inquiry", &req.merchant_trade_no);
    let found = sim.books.read(|b| match req.inquiry_type.as_str() {
        // A cancelled payment is void: no such order any more \[guess\].
        "P" => b
            .store
            .payments
            .get(&req.merchant_trade_no)
            .filter(|p| !p.cancelled)
            .map(|p| {
                let mut r = p.answer.clone();
                let status = if p.refunded.is_positive() {
                    "refunded"
                } else if p.paid {
                    "paid"
                } else {
                    "failed"
                };
                r.insert("OrderStatus".into(), status.into());
                r
            }),
        _ => b.store.refunds.get(&req.merchant_trade_no).cloned(),
    });
    match found {
        Some(r) => sim.answer(&r, false),
        None => sim.status("916"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document's Payment sample with the NOTES §1 vector's Sign.
    fn sample() -> Map<String, Value> {
        let v: Value = serde_json::from_str(
            r#"{"CardToken":"22J111111111111111","Extra1":"","Extra2":"","Extra3":"",
            "GatewayTradeNo":"","MerchantID":"9999999","MerchantTradeNo":"2020009041651",
            "PosID":"1","PosTradeTime":"2020/08/01 10:05:11","Remark":"",
            "SendTime":"20200801100511","StoreID":"9999999","StoreName":"街口測試",
            "TradeAmount":10,"UnRedeem":0,
            "Sign":"51b2078a9853b00fb3baffab4ad86bbefc745fbb1d26462544c11008f8f8c311"}"#,
        )
        .unwrap();
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn sim() -> Sim {
        Sim {
            key: Secret::new(MERCHANT_KEY),
            opts: SimOptions::default(),
            ledger: Ledger::default(),
            books: Books::memory(),
        }
    }

    fn open(m: &Map<String, Value>, call: Call) -> Result<Request, &'static str> {
        sim().open(&Value::Object(m.clone()).to_string(), call)
    }

    /// `m` changed by `f`, then signed again with the UAT key.
    fn resigned(f: impl FnOnce(&mut Map<String, Value>)) -> Map<String, Value> {
        let mut m = sample();
        f(&mut m);
        let s = sign(&m, MERCHANT_KEY);
        m.insert("Sign".into(), s.into());
        m
    }

    #[test]
    fn the_documents_sample_signed_as_notes_computes_is_accepted() {
        let r = open(&sample(), Call::Payment).unwrap();
        assert_eq!(r.amount, Ntd::new(10));
        assert_eq!(r.merchant_trade_no, "2020009041651");
    }

    #[test]
    fn a_wrong_or_upper_case_signature_is_refused_904() {
        let mut m = sample();
        m.insert("TradeAmount".into(), 11.into());
        assert_eq!(open(&m, Call::Payment).err(), Some("904"), "tampered");
        let mut m = sample();
        let upper = m["Sign"].as_str().unwrap().to_ascii_uppercase();
        m.insert("Sign".into(), upper.into());
        assert_eq!(open(&m, Call::Payment).err(), Some("904"), "須為全小寫");
        let mut m = sample();
        m.remove("Sign");
        assert_eq!(open(&m, Call::Payment).err(), Some("904"), "no Sign");
        assert_eq!(sim().open("{oops", Call::Payment).err(), Some("905"));
    }

    /// A change that makes a request wrong, for the cases below.
    type Change = Box<dyn FnOnce(&mut Map<String, Value>)>;

    #[test]
    fn missing_ill_formed_or_too_long_fields_are_refused_804() {
        let bad: Vec<(&str, Change)> = vec![
            (
                "no Remark (empty, never omitted)",
                Box::new(|m| {
                    m.remove("Remark");
                }),
            ),
            (
                "CardToken of 17",
                Box::new(|m| {
                    m.insert("CardToken".into(), "22J11111111111111".into());
                }),
            ),
            (
                "CardToken not 22…",
                Box::new(|m| {
                    m.insert("CardToken".into(), "33J111111111111111".into());
                }),
            ),
            (
                "StoreName over 100",
                Box::new(|m| {
                    m.insert("StoreName".into(), "店".repeat(101).into());
                }),
            ),
            (
                "amount as text",
                Box::new(|m| {
                    m.insert("TradeAmount".into(), "10".into());
                }),
            ),
            (
                "UnRedeem over the amount",
                Box::new(|m| {
                    m.insert("UnRedeem".into(), 11.into());
                }),
            ),
            (
                "PosTradeTime with dashes",
                Box::new(|m| {
                    m.insert("PosTradeTime".into(), "2020-08-01 10:05:11".into());
                }),
            ),
            (
                "SendTime with seconds missing",
                Box::new(|m| {
                    m.insert("SendTime".into(), "202008011005".into());
                }),
            ),
            (
                "MerchantTradeNo over 60",
                Box::new(|m| {
                    m.insert("MerchantTradeNo".into(), "1".repeat(61).into());
                }),
            ),
        ];
        for (why, change) in bad {
            assert_eq!(
                open(&resigned(change), Call::Payment).err(),
                Some("804"),
                "{why}"
            );
        }
        let zero = resigned(|m| {
            m.insert("TradeAmount".into(), 0.into());
        });
        assert_eq!(open(&zero, Call::Payment).err(), Some("940"));
        let other = resigned(|m| {
            m.insert("MerchantID".into(), "1234567".into());
        });
        assert_eq!(open(&other, Call::Payment).err(), Some("907"));
    }

    #[test]
    fn refund_and_inquiry_need_their_own_fields() {
        // A Payment's fields are not a Refund: no TradeNo.
        assert_eq!(open(&sample(), Call::Refund).err(), Some("804"));
        let refund = resigned(|m| {
            m.remove("CardToken");
            m.remove("UnRedeem");
            m.insert("TradeNo".into(), "JK0000000001".into());
        });
        assert_eq!(
            open(&refund, Call::Refund).unwrap().trade_no,
            "JK0000000001"
        );
        let inquiry = |t: &str| {
            resigned(|m| {
                for k in [
                    "CardToken",
                    "UnRedeem",
                    "TradeAmount",
                    "StoreName",
                    "Remark",
                ] {
                    m.remove(k);
                }
                m.insert("InquiryType".into(), t.into());
            })
        };
        assert!(open(&inquiry("P"), Call::Inquiry).is_ok());
        assert_eq!(open(&inquiry("X"), Call::Inquiry).err(), Some("804"));
    }
}
