//! JKoPay in-store POS API (`jkopay-pos-payment.txt`, NOTES.md §1): the
//! customer shows a `22…` payment code, the till calls `Payment`. `Cancel`
//! voids an attempt (same MerchantTradeNo), `Refund` gives money back (new
//! MerchantTradeNo), `Inquiry` asks about a payment (`P`) or refund (`R`).

pub mod client;
pub mod codes;
pub mod rules;
pub mod seal;
pub mod settings;
pub mod sign;

use std::fmt;

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::barcode::mask_payment_code;
use crate::gateway::wire::{flex_bool01, flex_opt_i64, flex_opt_ntd, flex_string};
use crate::gateway::{
    Approval, CashierAction, Decline, FieldError, Outcome, check_len, check_required, lookup,
};
use crate::money::Ntd;
use crate::sale::{GatewayId, TradeNo};
use crate::secret::Secret;
use crate::taipei::{self, TaipeiTime};

pub use codes::STATUS_CODES;
pub use settings::JkoPaySettings;
pub use sign::{SignError, sign, verify, verify_value};

/// `PosTradeTime` / `TradeTime`: `yyyy/MM/dd HH:mm:ss`.
pub const TRADE_TIME_FORMAT: &str = "%Y/%m/%d %H:%M:%S";
/// `SendTime`: `yyyyMMddHHmmss`.
pub const SEND_TIME_FORMAT: &str = "%Y%m%d%H%M%S";
/// No answer within this long: send Cancel (NOTES §1 "Timeouts").
pub const PAYMENT_TIMEOUT_SECS: i64 = 15;

/// The calls of the API family; each is `POST {base}/{path}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    Payment,
    Cancel,
    Refund,
    Inquiry,
}

impl Call {
    pub fn path(self) -> &'static str {
        match self {
            Call::Payment => "Payment",
            Call::Cancel => "Cancel",
            Call::Refund => "Refund",
            Call::Inquiry => "Inquiry",
        }
    }
}

/// Whether answers must carry a valid `Sign`. The vendor's response table
/// has no `Sign` field, so whether JKoPay signs answers is unknown [guess]:
/// by default a `Sign` that is present must verify and a missing one is
/// accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseSignPolicy {
    Ignore,
    #[default]
    VerifyIfPresent,
    Require,
}

/// How Inquiry's `OrderStatus` is read. NOTES §1 (Inquiry): "Response adds
/// OrderStatus (values unknown [guess])". With both lists empty (the
/// default) `OrderStatus` is ignored and `StatusCode` alone decides, as
/// before. Once a shop learns JKoPay's values it lists them: a `000` answer
/// whose `OrderStatus` is in `paid` is the payment; in `not_paid`, nothing
/// was charged; any other value leaves the payment in doubt.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderStatusMap {
    pub paid: Vec<String>,
    pub not_paid: Vec<String>,
}

impl OrderStatusMap {
    /// Whether `OrderStatus` is read at all.
    pub fn is_used(&self) -> bool {
        !(self.paid.is_empty() && self.not_paid.is_empty())
    }

    /// A value listed twice, or in both lists: the setting is contradictory.
    pub fn conflict(&self) -> Option<&str> {
        self.paid
            .iter()
            .find(|v| self.not_paid.contains(v))
            .map(String::as_str)
    }
}

/// One store's JKoPay settings. The key is a [`Secret`], so `Debug` never
/// shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JkoConfig {
    /// e.g. `https://pos.jkopay.com/{system-name}/` (the segment is JKoPay's).
    pub base_url: String,
    pub merchant_id: String,
    pub store_id: String,
    /// Half-width characters, the docs ask.
    pub store_name: String,
    pub pos_id: String,
    pub merchant_key: Secret,
    #[serde(default)]
    pub response_sign: ResponseSignPolicy,
    #[serde(default)]
    pub inquiry_order_status: OrderStatusMap,
}

pub fn format_trade_time(t: TaipeiTime) -> String {
    t.format(TRADE_TIME_FORMAT).to_string()
}

pub fn format_send_time(t: TaipeiTime) -> String {
    t.format(SEND_TIME_FORMAT).to_string()
}

/// Parses `yyyy/MM/dd HH:mm:ss` strictly (chrono alone would take `2020/8/1`).
pub fn parse_trade_time(s: &str) -> Option<TaipeiTime> {
    parse_strict(s, TRADE_TIME_FORMAT, 19)
}

pub fn parse_send_time(s: &str) -> Option<TaipeiTime> {
    parse_strict(s, SEND_TIME_FORMAT, 14)
}

fn parse_strict(s: &str, fmt: &str, len: usize) -> Option<TaipeiTime> {
    if s.len() != len {
        return None;
    }
    let t = NaiveDateTime::parse_from_str(s, fmt).ok()?;
    // Reject anything chrono accepted in a non-canonical shape.
    (t.format(fmt).to_string() == s).then(|| taipei::from_wall_clock(t))
}

/// `CardToken`: "22" + 16 random characters (the sample has a letter, so
/// letters and digits).
pub fn validate_card_token(token: &str) -> Result<(), FieldError> {
    let ok = token.len() == 18
        && token.starts_with("22")
        && token.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(FieldError::Format {
            field: "CardToken",
            expected: "22 + 16 letters or digits",
        })
    }
}

fn check_time(field: &'static str, v: &str, send: bool) -> Result<(), FieldError> {
    let ok = if send {
        parse_send_time(v).is_some()
    } else {
        parse_trade_time(v).is_some()
    };
    if ok {
        Ok(())
    } else {
        Err(FieldError::Format {
            field,
            expected: if send {
                "yyyyMMddHHmmss"
            } else {
                "yyyy/MM/dd HH:mm:ss"
            },
        })
    }
}

/// Payment request (`jkopay-pos-payment.txt`, 請求參數). Cancel uses the
/// same fields with the payment's MerchantTradeNo (NOTES §1).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentRequest {
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    #[serde(rename = "StoreID")]
    pub store_id: String,
    pub store_name: String,
    pub gateway_trade_no: String,
    pub merchant_trade_no: String,
    #[serde(rename = "PosID")]
    pub pos_id: String,
    pub pos_trade_time: String,
    pub card_token: String,
    pub trade_amount: Ntd,
    pub un_redeem: Ntd,
    pub remark: String,
    pub extra1: String,
    pub extra2: String,
    pub extra3: String,
    pub send_time: String,
    pub sign: String,
}

/// Cancel carries exactly the Payment fields.
pub type CancelRequest = PaymentRequest;

impl fmt::Debug for PaymentRequest {
    /// The payment code is masked: it is a bearer token for the customer's money.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentRequest")
            .field("merchant_id", &self.merchant_id)
            .field("store_id", &self.store_id)
            .field("merchant_trade_no", &self.merchant_trade_no)
            .field("pos_id", &self.pos_id)
            .field("pos_trade_time", &self.pos_trade_time)
            .field("card_token", &mask_payment_code(&self.card_token))
            .field("trade_amount", &self.trade_amount)
            .field("un_redeem", &self.un_redeem)
            .field("send_time", &self.send_time)
            .finish_non_exhaustive()
    }
}

/// The parts of a payment the till decides.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentInput<'a> {
    pub trade_no: &'a TradeNo,
    pub card_token: &'a str,
    pub amount: Ntd,
    /// Part of the amount that coupons and coins may not reduce.
    pub un_redeem: Ntd,
    pub remark: &'a str,
    pub pos_trade_time: TaipeiTime,
    pub send_time: TaipeiTime,
}

impl PaymentRequest {
    /// A validated, signed Payment request.
    pub fn new(cfg: &JkoConfig, input: &PaymentInput<'_>) -> Result<PaymentRequest, FieldError> {
        let mut r = PaymentRequest {
            merchant_id: cfg.merchant_id.clone(),
            store_id: cfg.store_id.clone(),
            store_name: cfg.store_name.clone(),
            gateway_trade_no: String::new(),
            merchant_trade_no: input.trade_no.to_string(),
            pos_id: cfg.pos_id.clone(),
            pos_trade_time: format_trade_time(input.pos_trade_time),
            card_token: input.card_token.to_string(),
            trade_amount: input.amount,
            un_redeem: input.un_redeem,
            remark: input.remark.to_string(),
            extra1: String::new(),
            extra2: String::new(),
            extra3: String::new(),
            send_time: format_send_time(input.send_time),
            sign: String::new(),
        };
        r.validate()?;
        r.sign = sign(&r, &cfg.merchant_key);
        Ok(r)
    }

    /// The Cancel for this payment: same fields and MerchantTradeNo, a new
    /// SendTime, signed again.
    pub fn to_cancel(&self, send_time: TaipeiTime, key: &Secret) -> CancelRequest {
        let mut c = self.clone();
        c.send_time = format_send_time(send_time);
        c.sign = sign(&c, key);
        c
    }

    /// Checks every documented length and format.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_required("MerchantID", &self.merchant_id, 10)?;
        check_required("StoreID", &self.store_id, 20)?;
        check_required("StoreName", &self.store_name, 100)?;
        check_len("GatewayTradeNo", &self.gateway_trade_no, 20)?;
        check_required("MerchantTradeNo", &self.merchant_trade_no, 60)?;
        check_required("PosID", &self.pos_id, 20)?;
        check_time("PosTradeTime", &self.pos_trade_time, false)?;
        validate_card_token(&self.card_token)?;
        if !self.trade_amount.is_positive() {
            return Err(FieldError::Amount {
                field: "TradeAmount",
                amount: self.trade_amount,
            });
        }
        if self.un_redeem.is_negative() || self.un_redeem > self.trade_amount {
            return Err(FieldError::Amount {
                field: "UnRedeem",
                amount: self.un_redeem,
            });
        }
        check_len("Remark", &self.remark, 1000)?;
        check_len("Extra1", &self.extra1, 512)?;
        check_len("Extra2", &self.extra2, 512)?;
        check_len("Extra3", &self.extra3, 512)?;
        check_time("SendTime", &self.send_time, true)?;
        check_sign_shape(&self.sign)
    }
}

fn check_sign_shape(s: &str) -> Result<(), FieldError> {
    // Empty while building; once set, 64 lower-case hex digits.
    if s.is_empty() || (s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    {
        Ok(())
    } else {
        Err(FieldError::Format {
            field: "Sign",
            expected: "64 lower-case hex digits",
        })
    }
}

/// Refund request (NOTES §1 "Refund"): a NEW MerchantTradeNo, the payment's
/// JKoPay `TradeNo`, the amount to give back. No CardToken, no UnRedeem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefundRequest {
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    #[serde(rename = "StoreID")]
    pub store_id: String,
    pub store_name: String,
    pub gateway_trade_no: String,
    pub merchant_trade_no: String,
    #[serde(rename = "PosID")]
    pub pos_id: String,
    pub pos_trade_time: String,
    pub trade_no: String,
    pub trade_amount: Ntd,
    pub remark: String,
    pub extra1: String,
    pub extra2: String,
    pub extra3: String,
    pub send_time: String,
    pub sign: String,
}

pub struct RefundInput<'a> {
    /// This refund's own number (a new one for every refund).
    pub refund_no: &'a TradeNo,
    /// JKoPay's `TradeNo` of the original payment.
    pub payment_trade_no: &'a str,
    pub amount: Ntd,
    pub remark: &'a str,
    pub pos_trade_time: TaipeiTime,
    pub send_time: TaipeiTime,
}

impl RefundRequest {
    pub fn new(cfg: &JkoConfig, input: &RefundInput<'_>) -> Result<RefundRequest, FieldError> {
        let mut r = RefundRequest {
            merchant_id: cfg.merchant_id.clone(),
            store_id: cfg.store_id.clone(),
            store_name: cfg.store_name.clone(),
            gateway_trade_no: String::new(),
            merchant_trade_no: input.refund_no.to_string(),
            pos_id: cfg.pos_id.clone(),
            pos_trade_time: format_trade_time(input.pos_trade_time),
            trade_no: input.payment_trade_no.to_string(),
            trade_amount: input.amount,
            remark: input.remark.to_string(),
            extra1: String::new(),
            extra2: String::new(),
            extra3: String::new(),
            send_time: format_send_time(input.send_time),
            sign: String::new(),
        };
        r.validate()?;
        r.sign = sign(&r, &cfg.merchant_key);
        Ok(r)
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        check_required("MerchantID", &self.merchant_id, 10)?;
        check_required("StoreID", &self.store_id, 20)?;
        check_required("StoreName", &self.store_name, 100)?;
        check_len("GatewayTradeNo", &self.gateway_trade_no, 20)?;
        check_required("MerchantTradeNo", &self.merchant_trade_no, 60)?;
        check_required("PosID", &self.pos_id, 20)?;
        check_time("PosTradeTime", &self.pos_trade_time, false)?;
        check_required("TradeNo", &self.trade_no, 25)?;
        if !self.trade_amount.is_positive() {
            return Err(FieldError::Amount {
                field: "TradeAmount",
                amount: self.trade_amount,
            });
        }
        check_len("Remark", &self.remark, 1000)?;
        check_len("Extra1", &self.extra1, 512)?;
        check_len("Extra2", &self.extra2, 512)?;
        check_len("Extra3", &self.extra3, 512)?;
        check_time("SendTime", &self.send_time, true)?;
        check_sign_shape(&self.sign)
    }
}

/// `InquiryType`: a payment or a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InquiryType {
    #[serde(rename = "P")]
    Payment,
    #[serde(rename = "R")]
    Refund,
}

/// Inquiry request (NOTES §1 "Inquiry"). No StoreName, no amount. Never
/// send one after a Cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InquiryRequest {
    pub inquiry_type: InquiryType,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    #[serde(rename = "StoreID")]
    pub store_id: String,
    pub gateway_trade_no: String,
    pub merchant_trade_no: String,
    #[serde(rename = "PosID")]
    pub pos_id: String,
    pub pos_trade_time: String,
    pub send_time: String,
    pub sign: String,
}

impl InquiryRequest {
    /// `trade_no` is the MerchantTradeNo of the payment or refund asked about;
    /// `pos_trade_time` the one sent with it.
    pub fn new(
        cfg: &JkoConfig,
        inquiry_type: InquiryType,
        trade_no: &TradeNo,
        pos_trade_time: TaipeiTime,
        send_time: TaipeiTime,
    ) -> Result<InquiryRequest, FieldError> {
        let mut r = InquiryRequest {
            inquiry_type,
            merchant_id: cfg.merchant_id.clone(),
            store_id: cfg.store_id.clone(),
            gateway_trade_no: String::new(),
            merchant_trade_no: trade_no.to_string(),
            pos_id: cfg.pos_id.clone(),
            pos_trade_time: format_trade_time(pos_trade_time),
            send_time: format_send_time(send_time),
            sign: String::new(),
        };
        r.validate()?;
        r.sign = sign(&r, &cfg.merchant_key);
        Ok(r)
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        check_required("MerchantID", &self.merchant_id, 10)?;
        check_required("StoreID", &self.store_id, 20)?;
        check_len("GatewayTradeNo", &self.gateway_trade_no, 20)?;
        check_required("MerchantTradeNo", &self.merchant_trade_no, 60)?;
        check_required("PosID", &self.pos_id, 20)?;
        check_time("PosTradeTime", &self.pos_trade_time, false)?;
        check_time("SendTime", &self.send_time, true)?;
        check_sign_shape(&self.sign)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn bool_as_01<S: serde::Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*b))
}

/// An answer to any of the four calls (`jkopay-pos-payment.txt`, 返回參數;
/// Refund adds RefundTradeNo / RefundTradeTime, Inquiry adds OrderStatus).
/// Absent fields read as empty / `None`, since error answers are short.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Response {
    #[serde(rename = "MerchantID", deserialize_with = "flex_string")]
    pub merchant_id: String,
    #[serde(rename = "StoreID", deserialize_with = "flex_string")]
    pub store_id: String,
    /// Spelled `GateWayTradeNo` in answers (NOTES §1 [code]); both read.
    #[serde(
        rename = "GateWayTradeNo",
        alias = "GatewayTradeNo",
        deserialize_with = "flex_string"
    )]
    pub gateway_trade_no: String,
    #[serde(deserialize_with = "flex_string")]
    pub merchant_trade_no: String,
    #[serde(rename = "PosID", deserialize_with = "flex_string")]
    pub pos_id: String,
    #[serde(deserialize_with = "flex_string")]
    pub trade_no: String,
    #[serde(deserialize_with = "flex_string")]
    pub trade_time: String,
    #[serde(deserialize_with = "flex_string")]
    pub status_code: String,
    #[serde(deserialize_with = "flex_string")]
    pub status_desc: String,
    /// `"1"` or `1` (NOTES §1): a repeat of an earlier identical Payment.
    #[serde(
        deserialize_with = "flex_bool01",
        serialize_with = "bool_as_01",
        skip_serializing_if = "is_false"
    )]
    pub is_rep: bool,
    #[serde(deserialize_with = "flex_string")]
    pub action_code: String,
    /// 1 stored value, 3 bank account, 4 credit card.
    #[serde(
        deserialize_with = "flex_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub payment_type: Option<i64>,
    #[serde(
        deserialize_with = "flex_opt_ntd",
        skip_serializing_if = "Option::is_none"
    )]
    pub trade_amount: Option<Ntd>,
    #[serde(
        deserialize_with = "flex_opt_ntd",
        skip_serializing_if = "Option::is_none"
    )]
    pub debit_amount: Option<Ntd>,
    #[serde(deserialize_with = "flex_string")]
    pub redeem_name: String,
    /// Negative: what JKoPay's coins and coupons took off.
    #[serde(
        deserialize_with = "flex_opt_ntd",
        skip_serializing_if = "Option::is_none"
    )]
    pub redeem_amount: Option<Ntd>,
    #[serde(
        deserialize_with = "flex_opt_ntd",
        skip_serializing_if = "Option::is_none"
    )]
    pub store_redeem_amount: Option<Ntd>,
    #[serde(
        deserialize_with = "flex_opt_ntd",
        skip_serializing_if = "Option::is_none"
    )]
    pub available_amount: Option<Ntd>,
    #[serde(deserialize_with = "flex_string")]
    pub invoice_vehicle: String,
    #[serde(deserialize_with = "flex_string")]
    pub mer_mem_token: String,
    #[serde(deserialize_with = "flex_string")]
    pub remark: String,
    #[serde(deserialize_with = "flex_string")]
    pub extra1: String,
    #[serde(deserialize_with = "flex_string")]
    pub extra2: String,
    /// For card payments: `{"CardName":…,"CardNo":…}` as a JSON string.
    #[serde(deserialize_with = "flex_string")]
    pub extra3: String,
    #[serde(
        deserialize_with = "flex_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub refund_trade_no: String,
    #[serde(
        deserialize_with = "flex_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub refund_trade_time: String,
    /// Inquiry only; its values are undocumented [guess], kept as text.
    #[serde(
        deserialize_with = "flex_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub order_status: String,
    #[serde(
        deserialize_with = "flex_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub sign: String,
}

/// `Extra3` of a card payment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CardInfo {
    pub card_name: String,
    pub card_no: String,
}

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    Json(String),
    #[error(transparent)]
    Sign(#[from] SignError),
}
impl crate::locale::Localized for ResponseError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Json(v0) => fill(lang, "words.jkopay_response.json", &[("value", v0)]),
            Self::Sign(e) => e.message(lang),
        }
    }
}

crate::display_both!(ResponseError);

impl Response {
    /// Reads an answer, checking its `Sign` as the policy says.
    pub fn parse(
        body: &str,
        key: &Secret,
        policy: ResponseSignPolicy,
    ) -> Result<Response, ResponseError> {
        let v: Value =
            serde_json::from_str(body).map_err(|e| ResponseError::Json(e.to_string()))?;
        let has_sign = v.get("Sign").is_some();
        match policy {
            ResponseSignPolicy::Ignore => {}
            ResponseSignPolicy::VerifyIfPresent if !has_sign => {}
            _ => verify_value(&v, key)?,
        }
        serde_json::from_value(v).map_err(|e| ResponseError::Json(e.to_string()))
    }

    pub fn is_success(&self) -> bool {
        self.status_code == codes::SUCCESS
    }

    pub fn card_info(&self) -> Option<CardInfo> {
        serde_json::from_str(&self.extra3).ok()
    }

    fn status_outcome(&self) -> Outcome {
        match lookup(STATUS_CODES, &self.status_code) {
            Some(info) => Outcome::from_status(info),
            None => Outcome::Unknown {
                why: format!(
                    "未知的回應碼 {} {} / unknown status code {} {}",
                    self.status_code, self.status_desc, self.status_code, self.status_desc
                ),
            },
        }
    }

    fn approval(&self, asked: Ntd, number: &str, time: &str) -> Outcome {
        let amount = self.trade_amount.unwrap_or(asked);
        let mut review = Vec::new();
        if amount != asked {
            review.push(format!(
                "金額不符:要求 {asked},回覆 {amount} / amount differs: asked {asked}, answered {amount}"
            ));
        }
        if number.is_empty() {
            review.push("缺少街口交易序號 / JKoPay sent no trade number".to_string());
        }
        Outcome::Approved(Approval {
            gateway: GatewayId::JkoPay,
            gateway_trade_no: number.to_string(),
            amount,
            paid_at: parse_trade_time(time),
            is_repeat: self.is_rep,
            review: (!review.is_empty()).then(|| review.join("; ")),
            einvoice: None,
            wallet: None,
        })
    }

    /// A Payment answer. `asked` is the amount the till sent.
    pub fn payment_outcome(&self, asked: Ntd) -> Outcome {
        if self.is_success() {
            self.approval(asked, &self.trade_no, &self.trade_time)
                .unless_short(asked)
        } else {
            self.status_outcome()
        }
    }

    /// A Refund answer: approved carries the refund's own number when sent.
    pub fn refund_outcome(&self, asked: Ntd) -> Outcome {
        if !self.is_success() {
            return self.status_outcome();
        }
        let (number, time) = if self.refund_trade_no.is_empty() {
            (&self.trade_no, &self.trade_time)
        } else {
            (&self.refund_trade_no, &self.refund_trade_time)
        };
        self.approval(asked, number, time)
    }

    /// An Inquiry answer, `since_payment` after the payment was sent. A 916
    /// within 15 s only means "not booked yet"; later it means the payment
    /// never reached JKoPay.
    pub fn inquiry_outcome(
        &self,
        asked: Ntd,
        since_payment: TimeDelta,
        order_status: &OrderStatusMap,
    ) -> Outcome {
        if self.status_code == codes::NO_SUCH_ORDER {
            if since_payment <= TimeDelta::seconds(PAYMENT_TIMEOUT_SECS) {
                return Outcome::Unknown {
                    why:
                        "付款後 15 秒內查無訂單,結果未定 / no order yet within 15 s of the payment"
                            .to_string(),
                };
            }
            return Outcome::Declined(Decline {
                code: self.status_code.clone(),
                reason: "查無此訂單,款項未成立 / no such order: the payment never arrived"
                    .to_string(),
                action: CashierAction::RetryLater,
            });
        }
        if self.is_success() && order_status.is_used() {
            let status = self.order_status.as_str();
            if order_status.not_paid.iter().any(|v| v == status) {
                return Outcome::Declined(Decline {
                    code: format!("OrderStatus {status}"),
                    reason: format!(
                        "街口訂單狀態 {status}:未付款 / JKoPay order status {status}: not paid"
                    ),
                    action: CashierAction::RetryLater,
                });
            }
            if !order_status.paid.iter().any(|v| v == status) {
                return Outcome::Unknown {
                    why: format!(
                        "未列出的街口訂單狀態 {status:?} / OrderStatus {status:?} is in neither list ([gateways.jkopay.inquiry_order_status])"
                    ),
                };
            }
        }
        self.payment_outcome(asked)
    }

    /// A Cancel answer, `since_payment` after the payment was sent. As for
    /// Inquiry, a 916 while JKoPay may still be booking the payment
    /// (`booking`: 15 s, the payment's own time limit) only means "not
    /// booked yet": taking it for "nothing was charged" would let the
    /// cashier charge again while the first payment still goes through.
    pub fn cancel_outcome(&self, since_payment: TimeDelta, booking: TimeDelta) -> CancelOutcome {
        if self.is_success() {
            return CancelOutcome::Cancelled;
        }
        if self.status_code == codes::NO_SUCH_ORDER {
            if since_payment <= booking {
                return CancelOutcome::NotYet {
                    left: booking - since_payment,
                };
            }
            return CancelOutcome::NoSuchPayment;
        }
        match lookup(STATUS_CODES, &self.status_code) {
            Some(info) if info.kind == crate::gateway::OutcomeKind::Declined => {
                CancelOutcome::Refused(Decline::from(info))
            }
            _ => CancelOutcome::Unknown {
                why: format!("{} {}", self.status_code, self.status_desc),
            },
        }
    }
}

/// What a Cancel achieved. Only `Cancelled` and `NoSuchPayment` let the till
/// start a new attempt; `Unknown` means: send Cancel again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    /// JKoPay has no payment under that number, so nothing was charged
    /// (916 on Cancel [guess]).
    NoSuchPayment,
    Refused(Decline),
    Unknown {
        why: String,
    },
    /// 916 while JKoPay may still be booking the payment: cancel again
    /// once `left` has passed.
    NotYet {
        left: TimeDelta,
    },
}

pub type PaymentResponse = Response;
pub type CancelResponse = Response;
pub type RefundResponse = Response;
pub type InquiryResponse = Response;

#[cfg(test)]
mod tests;
