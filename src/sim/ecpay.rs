//! ECPay ECPG simulator (NOTES.md §3, `ecpay-create-payment-with-card-id.txt`).
//! It reads requests as ECPay would, on its own: the JSON envelope, its
//! Data opened with the stage HashKey/HashIV by this module's own AES-128
//! and URL decoding (TransCode ≠ 1 when the MerchantID is not ours, the
//! Timestamp is more than 10 minutes off, or Data does not open), then
//! every Data field the document lists checked for presence, type, length
//! and format (RtnCode 10100050 otherwise). No request type, envelope or
//! encryption code of the client is used. Answers RtnCode inside the
//! encrypted Data; posts the ReturnURL notification (JSON, encrypted Data)
//! to the callback URL when set.

use std::collections::HashMap;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::books::Books;
use super::{CallbackBody, Charge, Fault, Killer, Ledger, Server, SimOptions};
use crate::money::Ntd;
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::taipei;

/// ECPay's public stage credentials (NOTES §3).
pub const MERCHANT_ID: &str = "3002607";
pub const HASH_KEY: &str = "pwFHCqoQZGmho4w6";
pub const HASH_IV: &str = "EkRm7iFT261dpevs";

/// How far a request's Timestamp may be from ECPay's clock (10 minutes).
const MAX_SKEW_SECS: i64 = 600;
/// ECPay's date format, `yyyy/MM/dd HH:mm:ss`.
const DATE_FORMAT: &str = "%Y/%m/%d %H:%M:%S";
/// The most one transaction may be (交易金額不可超過20萬新台幣).
const MAX_AMOUNT: i64 = 200_000;
/// RtnCode of a Data field missing or ill-formed.
const PARAMETER_ERROR: i64 = 10100050;

#[derive(Clone)]
struct Sim {
    opts: SimOptions,
    ledger: Ledger,
    /// Result Data (as JSON) by MerchantTradeNo.
    books: Books<HashMap<String, Value>>,
}

/// A running ECPay simulator.
#[derive(Debug)]
pub struct EcpaySim {
    pub server: Server,
    pub ledger: Ledger,
}

impl EcpaySim {
    pub async fn start(opts: SimOptions) -> std::io::Result<EcpaySim> {
        let books = opts.open_books("ecpay")?;
        let ledger = Ledger::of(books.clone());
        let sim = Sim {
            opts,
            ledger: ledger.clone(),
            books,
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
            // ECPay: "建議至少 30 秒以上".
            timeout_secs: 30,
        }
    }
}

/// .NET `HttpUtility.UrlEncode` (NOTES §3): letters, digits and `-_.!*()`
/// kept, space as `+`, every other UTF-8 byte `%XX` in upper case.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The reverse: `+` is a space, `%XX` a byte; `None` for a broken escape
/// or bytes that are not UTF-8.
fn url_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = char::from(bytes.next()?).to_digit(16)?;
                let lo = char::from(bytes.next()?).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

type Enc = cbc::Encryptor<aes::Aes128>;
type Dec = cbc::Decryptor<aes::Aes128>;

/// Data of an answer: base64(AES-128-CBC(urlencode(JSON))) with `key`.
fn seal(v: &Value, key: &str) -> String {
    let plain = url_encode(&v.to_string());
    let enc = Enc::new(key.as_bytes().into(), HASH_IV.as_bytes().into());
    BASE64.encode(enc.encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes()))
}

/// A request's Data opened with the stage key: `None` when it does not
/// decrypt, decode or parse as a JSON object.
fn open(data: &str) -> Option<serde_json::Map<String, Value>> {
    let bytes = BASE64.decode(data).ok()?;
    let dec = Dec::new(HASH_KEY.as_bytes().into(), HASH_IV.as_bytes().into());
    let plain = dec.decrypt_padded_vec_mut::<Pkcs7>(&bytes).ok()?;
    let json = url_decode(std::str::from_utf8(&plain).ok()?)?;
    match serde_json::from_str(&json).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// The payment a CreatePaymentWithCardID Data asks for, once checked
/// against the document's field table.
struct Order {
    merchant_trade_no: String,
    amount: Ntd,
}

/// A string field of `m`: present, at most `max` characters, not empty
/// when `required`.
fn text<'a>(
    m: &'a serde_json::Map<String, Value>,
    name: &str,
    max: usize,
    required: bool,
) -> Option<&'a str> {
    match m.get(name) {
        Some(Value::String(s)) if s.chars().count() <= max && !(required && s.is_empty()) => {
            Some(s)
        }
        None | Some(Value::Null) if !required => Some(""),
        _ => None,
    }
}

/// Data of a CreatePaymentWithCardID request (特店Request參數 / Data參數說明).
fn read_order(outer_merchant: &str, d: &serde_json::Map<String, Value>) -> Option<Order> {
    let merchant = text(d, "MerchantID", 10, true)?;
    let platform = text(d, "PlatformID", 10, false)?;
    // 如果有帶入此參數,則外層MerchantID必須與PlatformID帶入相同值。
    let outer_ok = if platform.is_empty() {
        outer_merchant == merchant
    } else {
        outer_merchant == platform
    };
    if merchant != MERCHANT_ID || !outer_ok {
        return None;
    }
    text(d, "BindCardID", 64, true)?;
    let Some(Value::Object(o)) = d.get("OrderInfo") else {
        return None;
    };
    let date = text(o, "MerchantTradeDate", 20, true)?;
    chrono::NaiveDateTime::parse_from_str(date, DATE_FORMAT)
        .ok()
        .filter(|t| t.format(DATE_FORMAT).to_string() == date)?;
    // 僅支援a-zA-z0-9
    let no = text(o, "MerchantTradeNo", 20, true)?;
    if !no.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let amount = o.get("TotalAmount")?.as_i64()?;
    if !(1..=MAX_AMOUNT).contains(&amount) {
        return None;
    }
    text(o, "ReturnURL", 200, true)?;
    text(o, "TradeDesc", 200, true)?;
    text(o, "ItemName", 400, true)?;
    let Some(Value::Object(c)) = d.get("ConsumerInfo") else {
        return None;
    };
    text(c, "MerchantMemberID", 60, true)?;
    Some(Order {
        merchant_trade_no: no.to_string(),
        amount: Ntd::new(amount),
    })
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

    /// The answer envelope around result Data (sealed with a wrong key for
    /// the BAD SIGNATURE fault).
    fn answer(&self, r: &Value, wrong_key: bool) -> HttpResponse {
        let key = if wrong_key {
            "0000000000000000"
        } else {
            HASH_KEY
        };
        axum::Json(json!({
            "MerchantID": MERCHANT_ID,
            "RpHeader": {"Timestamp": taipei::now().timestamp()},
            "TransCode": 1,
            "TransMsg": "Success",
            "Data": seal(r, key),
        }))
        .into_response()
    }

    /// The ReturnURL notification: the result Data, sealed, without TransCode.
    fn notify(&self, r: &Value) {
        let Some(url) = &self.opts.callback_url else {
            return;
        };
        let data = json!({
            "RtnCode": r["RtnCode"],
            "RtnMsg": r["RtnMsg"],
            "MerchantID": MERCHANT_ID,
            "OrderInfo": r.get("OrderInfo").cloned().unwrap_or(Value::Null),
            "CardInfo": r.get("CardInfo").cloned().unwrap_or(Value::Null),
        });
        let v = json!({
            "MerchantID": MERCHANT_ID,
            "RpHeader": {"Timestamp": taipei::now().timestamp()},
            "Data": seal(&data, HASH_KEY),
        });
        super::post_callback(url.clone(), CallbackBody::Json(v));
    }
}

/// What a CreatePaymentWithCardID request comes to.
enum Made {
    /// The MerchantTradeNo was seen before: its stored answer.
    Repeat(Value),
    /// Data ECPay would not take (RtnCode 10100050), nothing booked.
    Refused(Value),
    ServerError,
    New(Value),
}

async fn create(State(sim): State<Sim>, kill: Killer, body: String) -> HttpResponse {
    sim.ledger.count_request();
    let Ok(Value::Object(env)) = serde_json::from_str::<Value>(&body) else {
        return sim.refuse(10000006, "Parameter Error: not a JSON envelope");
    };
    let outer = env.get("MerchantID").and_then(Value::as_str).unwrap_or("");
    if outer != MERCHANT_ID {
        return sim.refuse(10000005, "MerchantID Error");
    }
    let Some(stamp) = env
        .get("RqHeader")
        .and_then(|h| h.get("Timestamp"))
        .and_then(Value::as_i64)
    else {
        return sim.refuse(10000006, "Parameter Error: RqHeader.Timestamp");
    };
    if (stamp - taipei::now().timestamp()).abs() > MAX_SKEW_SECS {
        return sim.refuse(10000004, "Timestamp Error: more than 10 minutes off");
    }
    let Some(data) = env.get("Data").and_then(Value::as_str).and_then(open) else {
        return sim.refuse(10000003, "Data Decrypt Error");
    };
    let no = data
        .get("OrderInfo")
        .and_then(|o| o.get("MerchantTradeNo"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let order = read_order(outer, &data);
    let amount = order.as_ref().map(|o| o.amount).unwrap_or(Ntd::ZERO);
    let fault = Fault::for_amount(amount);
    let made = sim.books.with(|b| {
        if let Some(r) = b.store.get(&no) {
            // A repeated MerchantTradeNo is answered, never charged again \[guess\].
            return Made::Repeat(r.clone());
        }
        let Some(order) = &order else {
            return Made::Refused(json!({
                "RtnCode": PARAMETER_ERROR,
                "RtnMsg": "Parameter Error",
                "MerchantID": MERCHANT_ID,
            }));
        };
        if fault == Some(Fault::ServerError) {
            return Made::ServerError;
        }
        let now = taipei::now().format(DATE_FORMAT).to_string();
        let amount = order.amount.dollars();
        let r = match amount {
            // RtnCode 10100252 insufficient credit, 10100255 lost card.
            9252 | 9255 => json!({
                "RtnCode": 10100000 + amount - 9000,
                "RtnMsg": "授權失敗",
                "MerchantID": MERCHANT_ID,
            }),
            _ => {
                let trade_no = b.seq.number("2405");
                b.charges.charge(Charge {
                    gateway: GatewayId::Ecpay,
                    trade_no: order.merchant_trade_no.clone(),
                    gateway_trade_no: trade_no.clone(),
                    amount: order.amount,
                    refunded: Ntd::ZERO,
                    cancelled: false,
                });
                json!({
                    "RtnCode": 1,
                    "RtnMsg": "Success",
                    "PlatformID": "",
                    "MerchantID": MERCHANT_ID,
                    "OrderInfo": {
                        "MerchantTradeNo": order.merchant_trade_no,
                        "TradeNo": trade_no,
                        "TradeAmt": amount,
                        "TradeDate": now,
                        "PaymentType": "Credit",
                        "PaymentDate": now,
                        "ChargeFee": 0,
                        "TradeStatus": "1",
                    },
                    "CardInfo": {
                        "AuthCode": "777777",
                        "Gwsr": 1,
                        "ProcessDate": now,
                        "Amount": amount,
                        "Card6No": "431195",
                        "Card4No": "2222",
                    },
                })
            }
        };
        b.store.insert(no.clone(), r.clone());
        Made::New(r)
    });
    let r = match made {
        Made::Repeat(r) | Made::Refused(r) => return sim.answer(&r, false),
        Made::ServerError => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        Made::New(r) => r,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aes_and_url_encoding_match_the_documents_vector() {
        // NOTES §3: key ejCk326UnaZWKisg, IV q9jcZX8Ib9LM8wYk.
        let plain = url_encode(r#"{"Name":"Test","ID":"A123456789"}"#);
        let enc = Enc::new(b"ejCk326UnaZWKisg".into(), b"q9jcZX8Ib9LM8wYk".into());
        assert_eq!(
            BASE64.encode(enc.encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes())),
            "uvI4yrErM37XNQkXGAgRgJAgHn2t72jahaMZzYhWL1HmvH4WV18VJDP2i9pTbC+tby5nxVExLLFyAkbjbS2Dvg=="
        );
        assert_eq!(url_encode("a b~!"), "a+b%7E!");
        assert_eq!(url_decode("a+b%7e!%E8%A1%97").as_deref(), Some("a b~!街"));
        assert_eq!(url_decode("%G1"), None);
    }

    /// The document's Data sample.
    fn sample() -> serde_json::Map<String, Value> {
        match json!({
            "MerchantID": "3002607",
            "BindCardID": "abc123456ac",
            "OrderInfo": {
                "MerchantTradeDate": "2022/05/23 14:10:00",
                "MerchantTradeNo": "1234567890",
                "TotalAmount": 500,
                "TradeDesc": "交易描述",
                "ItemName": "泡麵#清潔用品",
                "ReturnURL": "https://aa.aa.aa"
            },
            "ConsumerInfo": {"MerchantMemberID": "test123456"}
        }) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_documents_data_sample_opens_and_reads() {
        let sealed = seal(&Value::Object(sample()), HASH_KEY);
        let opened = open(&sealed).unwrap();
        let order = read_order(MERCHANT_ID, &opened).unwrap();
        assert_eq!(order.amount, Ntd::new(500));
        assert_eq!(order.merchant_trade_no, "1234567890");
        assert!(open("not base64!").is_none());
        let wrong = seal(&Value::Object(sample()), "0000000000000000");
        assert!(open(&wrong).is_none(), "another key does not open");
    }

    /// A change that makes Data wrong, for the cases below.
    type Change = Box<dyn Fn(&mut serde_json::Map<String, Value>)>;

    #[test]
    fn data_ecpay_would_refuse_is_refused() {
        let cases: Vec<(&str, Change)> = vec![
            (
                "no BindCardID",
                Box::new(|m| {
                    m.remove("BindCardID");
                }),
            ),
            (
                "MerchantTradeNo with a dash",
                Box::new(|m| {
                    m["OrderInfo"]["MerchantTradeNo"] = "1234-567".into();
                }),
            ),
            (
                "MerchantTradeNo over 20",
                Box::new(|m| {
                    m["OrderInfo"]["MerchantTradeNo"] = "1".repeat(21).into();
                }),
            ),
            (
                "over NT$200,000",
                Box::new(|m| {
                    m["OrderInfo"]["TotalAmount"] = 200_001.into();
                }),
            ),
            (
                "amount as text",
                Box::new(|m| {
                    m["OrderInfo"]["TotalAmount"] = "500".into();
                }),
            ),
            (
                "date with dashes",
                Box::new(|m| {
                    m["OrderInfo"]["MerchantTradeDate"] = "2022-05-23 14:10:00".into();
                }),
            ),
            (
                "no TradeDesc",
                Box::new(|m| {
                    m["OrderInfo"].as_object_mut().unwrap().remove("TradeDesc");
                }),
            ),
            (
                "no member",
                Box::new(|m| {
                    m.remove("ConsumerInfo");
                }),
            ),
            (
                "another merchant",
                Box::new(|m| {
                    m["MerchantID"] = "2000132".into();
                }),
            ),
        ];
        for (why, change) in cases {
            let mut m = sample();
            change(&mut m);
            assert!(read_order(MERCHANT_ID, &m).is_none(), "{why}");
        }
    }
}
