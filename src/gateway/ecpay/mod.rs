//! ECPay ECPG (NOTES.md §3): charge a member's bound card with
//! `CreatePaymentWithCardID` (`ecpay-create-payment-with-card-id.txt`) and
//! read the ReturnURL notification (`ecpay-return-url-notification.txt`).
//!
//! Two levels of result: the envelope's `TransCode` (1 = ECPay accepted the
//! envelope, nothing more) and `RtnCode` inside the decrypted `Data`
//! (1 = success). Only the second says whether money moved.

pub mod client;
pub mod crypto;
pub mod rules;
pub mod settings;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::gateway::wire::{flex_opt_i64, flex_opt_ntd, flex_string};
use crate::gateway::{
    Approval, CashierAction, CryptoError, Decline, FieldError, Outcome, OutcomeKind, StatusInfo,
    check_len, check_required, lookup,
};
use crate::money::Ntd;
use crate::sale::{GatewayId, TradeNo};
use crate::secret::Secret;
use crate::taipei::{self, TaipeiTime};

pub use crypto::{decrypt_data, encrypt_data, urldecode, urlencode};
pub use settings::EcpaySettings;

/// `MerchantTradeDate`, `PaymentDate` …: `yyyy/MM/dd HH:mm:ss`.
pub const DATE_FORMAT: &str = "%Y/%m/%d %H:%M:%S";
/// ECPay refuses envelopes whose Timestamp is further off than this.
pub const MAX_CLOCK_SKEW_SECS: i64 = 10 * 60;
/// One charge may not exceed NT$200,000.
pub const MAX_AMOUNT: Ntd = Ntd::new(200_000);
/// What the merchant answers a ReturnURL notification with, exactly.
pub const RETURN_URL_ACK: &str = "1|OK";
/// ECPay recommends a client timeout of at least this.
pub const MIN_TIMEOUT_SECS: u64 = 30;
pub const STAGE_URL: &str = "https://ecpg-stage.ecpay.com.tw/Merchant/CreatePaymentWithCardID";
pub const PRODUCTION_URL: &str = "https://ecpg.ecpay.com.tw/Merchant/CreatePaymentWithCardID";

/// One merchant's ECPay settings; HashKey and HashIV are [`Secret`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcpayConfig {
    pub url: String,
    pub merchant_id: String,
    /// Only for platform partners; empty otherwise.
    #[serde(default)]
    pub platform_id: String,
    pub hash_key: Secret,
    pub hash_iv: Secret,
    /// Where ECPay posts the result (`ReturnURL`).
    pub return_url: String,
}

impl EcpayConfig {
    pub fn encrypt<T: Serialize>(&self, data: &T) -> Result<String, CryptoError> {
        let json = serde_json::to_string(data).map_err(|e| CryptoError::Json(e.to_string()))?;
        encrypt_data(&json, &self.hash_key, &self.hash_iv)
    }

    pub fn decrypt<T: DeserializeOwned>(&self, data: &str) -> Result<T, CryptoError> {
        let json = decrypt_data(data, &self.hash_key, &self.hash_iv)?;
        serde_json::from_str(&json).map_err(|e| CryptoError::Json(e.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    #[serde(rename = "Timestamp")]
    pub timestamp: i64,
}

/// What the merchant posts: `{MerchantID, RqHeader{Timestamp}, Data}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    #[serde(rename = "RqHeader")]
    pub rq_header: Header,
    #[serde(rename = "Data")]
    pub data: String,
}

impl RequestEnvelope {
    /// Encrypts `data` and stamps the envelope with `now` (Unix seconds).
    /// With a PlatformID the outer MerchantID must be the PlatformID.
    pub fn seal<T: Serialize>(
        cfg: &EcpayConfig,
        data: &T,
        now: TaipeiTime,
    ) -> Result<RequestEnvelope, CryptoError> {
        let outer = if cfg.platform_id.is_empty() {
            &cfg.merchant_id
        } else {
            &cfg.platform_id
        };
        Ok(RequestEnvelope {
            merchant_id: outer.clone(),
            rq_header: Header {
                timestamp: now.timestamp(),
            },
            data: cfg.encrypt(data)?,
        })
    }

    /// The decrypted `Data` (what the simulator reads).
    pub fn open<T: DeserializeOwned>(&self, cfg: &EcpayConfig) -> Result<T, CryptoError> {
        cfg.decrypt(&self.data)
    }
}

/// What ECPay answers, and the shape of the ReturnURL notification (whose
/// YAML calls the header `RqHeader`, whose sample calls it `RpHeader`: both
/// read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseEnvelope {
    #[serde(rename = "MerchantID", deserialize_with = "flex_string", default)]
    pub merchant_id: String,
    #[serde(rename = "RpHeader", alias = "RqHeader", default)]
    pub rp_header: Option<Header>,
    /// 1: the envelope was accepted. Absent in notifications.
    #[serde(rename = "TransCode", default, deserialize_with = "flex_opt_i64")]
    pub trans_code: Option<i64>,
    #[serde(rename = "TransMsg", default, deserialize_with = "flex_string")]
    pub trans_msg: String,
    #[serde(rename = "Data", default, deserialize_with = "flex_string")]
    pub data: String,
}

impl ResponseEnvelope {
    /// The simulator's side: wrap a result.
    pub fn seal<T: Serialize>(
        cfg: &EcpayConfig,
        trans_code: i64,
        trans_msg: &str,
        data: &T,
        now: TaipeiTime,
    ) -> Result<ResponseEnvelope, CryptoError> {
        Ok(ResponseEnvelope {
            merchant_id: cfg.merchant_id.clone(),
            rp_header: Some(Header {
                timestamp: now.timestamp(),
            }),
            trans_code: Some(trans_code),
            trans_msg: trans_msg.to_string(),
            data: cfg.encrypt(data)?,
        })
    }

    pub fn open<T: DeserializeOwned>(&self, cfg: &EcpayConfig) -> Result<T, CryptoError> {
        cfg.decrypt(&self.data)
    }

    /// The result of a `CreatePaymentWithCardID` call for `asked` dollars.
    /// A rejected envelope charged nothing; an accepted one whose Data
    /// cannot be read may have, so that is Unknown.
    pub fn payment_outcome(&self, cfg: &EcpayConfig, asked: Ntd) -> Outcome {
        let Some(code) = self.trans_code else {
            // An answer without `TransCode` (lines 111–113: "1 代表 API 傳輸資料
            // 接收成功") says neither that ECPay refused the request nor
            // what became of it: the card may have been charged.
            return Outcome::Unknown {
                why: format!(
                    "綠界回應沒有 TransCode,結果未定 / ECPay's answer has no TransCode: result unknown ({})",
                    self.trans_msg
                ),
            };
        };
        if code != 1 {
            return Outcome::Declined(Decline {
                code: format!("TransCode {code}"),
                reason: format!(
                    "綠界未受理請求:{msg} / ECPay did not accept the request: {msg}",
                    msg = self.trans_msg
                ),
                action: CashierAction::CheckConfig,
            });
        }
        match self.open::<PaymentResult>(cfg) {
            Ok(r) => r.outcome(asked),
            Err(e) => Outcome::Unknown {
                why: format!("無法解讀綠界回應 / cannot read ECPay's answer: {e}"),
            },
        }
    }
}

/// `CreatePaymentWithCardID` Data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePaymentWithCardId {
    /// Empty unless a platform partner sends it.
    #[serde(rename = "PlatformID")]
    pub platform_id: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    #[serde(rename = "BindCardID")]
    pub bind_card_id: String,
    pub order_info: OrderInfoRequest,
    pub consumer_info: ConsumerInfo,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub credit_installment: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub custom_field: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrderInfoRequest {
    pub merchant_trade_date: String,
    pub merchant_trade_no: String,
    pub total_amount: Ntd,
    #[serde(rename = "ReturnURL")]
    pub return_url: String,
    pub trade_desc: String,
    /// Several items joined with `#`.
    pub item_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerInfo {
    #[serde(rename = "MerchantMemberID")]
    pub merchant_member_id: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub email: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub phone: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub country_code: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub address: String,
}

pub struct CardPaymentInput<'a> {
    pub trade_no: &'a TradeNo,
    pub bind_card_id: &'a str,
    pub member_id: &'a str,
    pub amount: Ntd,
    pub trade_desc: &'a str,
    pub item_names: &'a [&'a str],
    pub trade_date: TaipeiTime,
}

impl CreatePaymentWithCardId {
    pub fn new(
        cfg: &EcpayConfig,
        input: &CardPaymentInput<'_>,
    ) -> Result<CreatePaymentWithCardId, FieldError> {
        let r = CreatePaymentWithCardId {
            platform_id: cfg.platform_id.clone(),
            merchant_id: cfg.merchant_id.clone(),
            bind_card_id: input.bind_card_id.to_string(),
            order_info: OrderInfoRequest {
                merchant_trade_date: input.trade_date.format(DATE_FORMAT).to_string(),
                merchant_trade_no: input.trade_no.to_string(),
                total_amount: input.amount,
                return_url: cfg.return_url.clone(),
                trade_desc: input.trade_desc.to_string(),
                item_name: item_name(input.item_names),
            },
            consumer_info: ConsumerInfo {
                merchant_member_id: input.member_id.to_string(),
                ..ConsumerInfo::default()
            },
            credit_installment: String::new(),
            custom_field: String::new(),
        };
        r.validate()?;
        Ok(r)
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        check_len("PlatformID", &self.platform_id, 10)?;
        check_required("MerchantID", &self.merchant_id, 10)?;
        check_required("BindCardID", &self.bind_card_id, 64)?;
        let o = &self.order_info;
        if parse_date(&o.merchant_trade_date).is_none() {
            return Err(FieldError::Format {
                field: "MerchantTradeDate",
                expected: "yyyy/MM/dd HH:mm:ss",
            });
        }
        check_required("MerchantTradeNo", &o.merchant_trade_no, 20)?;
        if !o
            .merchant_trade_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
        {
            return Err(FieldError::Format {
                field: "MerchantTradeNo",
                expected: "letters a-z A-Z and digits only",
            });
        }
        if !o.total_amount.is_positive() || o.total_amount > MAX_AMOUNT {
            return Err(FieldError::Amount {
                field: "TotalAmount",
                amount: o.total_amount,
            });
        }
        check_required("ReturnURL", &o.return_url, 200)?;
        check_required("TradeDesc", &o.trade_desc, 200)?;
        // The field holds 400 (`ecpay-create-payment-with-card-id.txt`
        // line 60); [`item_name`] keeps it within the 200 shown.
        check_required("ItemName", &o.item_name, 400)?;
        let c = &self.consumer_info;
        check_required("MerchantMemberID", &c.merchant_member_id, 60)?;
        check_len("Email", &c.email, 200)?;
        if !c.email.is_empty() && !email_ok(&c.email) {
            return Err(FieldError::Format {
                field: "Email",
                expected: "name@example.com",
            });
        }
        check_len("Phone", &c.phone, 60)?;
        check_len("Name", &c.name, 50)?;
        check_len("CountryCode", &c.country_code, 3)?;
        check_len("Address", &c.address, 50)?;
        check_len("CreditInstallment", &self.credit_installment, 20)?;
        check_len("CustomField", &self.custom_field, 200)
    }
}

/// What ECPay shows of `ItemName` (`ecpay-create-payment-with-card-id.txt`
/// lines 60–63: "String(400) … 請勿傳入超過長度 200 的內容,避免該欄位資訊被截斷").
pub const ITEM_NAME_SHOWN: usize = 200;

/// The item names joined with `#` (line 62). Past [`ITEM_NAME_SHOWN`]
/// characters the document only warns that ECPay would cut the text
/// itself, so the till cuts it first, on a character boundary, and ends it
/// with `…` so the cut is visible, instead of refusing the payment.
pub fn item_name(names: &[&str]) -> String {
    let joined = names.join("#");
    if joined.chars().count() <= ITEM_NAME_SHOWN {
        return joined;
    }
    let mut cut: String = joined.chars().take(ITEM_NAME_SHOWN - 1).collect();
    cut.push('…');
    cut
}

/// The doc's rule `^([a-zA-Z\d._%+-]+@[a-zA-Z\d.-]+\.[a-zA-Z]{2,6})*$`, for one address.
fn email_ok(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    let Some((host, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
        && !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
        && (2..=6).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `yyyy/MM/dd HH:mm:ss` on the Taipei clock.
pub fn parse_date(s: &str) -> Option<TaipeiTime> {
    let t = NaiveDateTime::parse_from_str(s, DATE_FORMAT).ok()?;
    (t.format(DATE_FORMAT).to_string() == s).then(|| taipei::from_wall_clock(t))
}

/// `OrderInfo` in answers and notifications.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OrderInfo {
    #[serde(deserialize_with = "flex_string")]
    pub merchant_trade_no: String,
    /// ECPay's number: keep it with MerchantTradeNo.
    #[serde(deserialize_with = "flex_string")]
    pub trade_no: String,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub trade_amt: Option<Ntd>,
    #[serde(deserialize_with = "flex_string")]
    pub trade_date: String,
    #[serde(deserialize_with = "flex_string")]
    pub payment_type: String,
    #[serde(deserialize_with = "flex_string")]
    pub payment_date: String,
    /// A fee, possibly fractional: kept as the JSON number it came as.
    pub charge_fee: Option<serde_json::Number>,
    /// "0" created, not paid; "1" paid.
    #[serde(deserialize_with = "flex_string")]
    pub trade_status: String,
    /// The notification YAML nests CardInfo here; the samples put it beside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_info: Option<CardInfo>,
}

/// `CardInfo`: authorisation details (with the notification's extras for
/// installments, bonus points and periodic charges).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CardInfo {
    #[serde(deserialize_with = "flex_string")]
    pub auth_code: String,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub gwsr: Option<i64>,
    #[serde(deserialize_with = "flex_string")]
    pub process_date: String,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub amount: Option<Ntd>,
    #[serde(deserialize_with = "flex_string")]
    pub card6_no: String,
    #[serde(deserialize_with = "flex_string")]
    pub card4_no: String,
    #[serde(rename = "CardValidYY", deserialize_with = "flex_string")]
    pub card_valid_yy: String,
    #[serde(rename = "CardValidMM", deserialize_with = "flex_string")]
    pub card_valid_mm: String,
    #[serde(deserialize_with = "flex_string")]
    pub issuing_bank: String,
    /// The vendor sample spells it with a trailing space.
    #[serde(alias = "IssuingBankCode ", deserialize_with = "flex_string")]
    pub issuing_bank_code: String,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub eci: Option<i64>,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub stage: Option<i64>,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub stast: Option<Ntd>,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub staed: Option<Ntd>,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub red_dan: Option<i64>,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub red_ok_amt: Option<Ntd>,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub red_yet: Option<i64>,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub red_de_amt: Option<Ntd>,
    #[serde(deserialize_with = "flex_string")]
    pub period_type: String,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub frequency: Option<i64>,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub exec_times: Option<i64>,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub period_amount: Option<Ntd>,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub total_success_times: Option<i64>,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub total_success_amount: Option<Ntd>,
}

/// Decrypted `Data` of a `CreatePaymentWithCardID` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PaymentResult {
    #[serde(deserialize_with = "flex_opt_i64")]
    pub rtn_code: Option<i64>,
    #[serde(deserialize_with = "flex_string")]
    pub rtn_msg: String,
    #[serde(rename = "PlatformID", deserialize_with = "flex_string")]
    pub platform_id: String,
    #[serde(rename = "MerchantID", deserialize_with = "flex_string")]
    pub merchant_id: String,
    pub order_info: Option<OrderInfo>,
    pub card_info: Option<CardInfo>,
    #[serde(deserialize_with = "flex_string")]
    pub custom_field: String,
}

/// RtnCode rows the documents name; any other non-1 code is a failure
/// ("其餘代碼均為失敗").
pub static RTN_CODES: &[StatusInfo] = &[
    StatusInfo {
        code: "1",
        zh: "交易成功",
        en: "success",
        action: CashierAction::None,
        kind: OutcomeKind::Success,
    },
    StatusInfo {
        code: "10100252",
        zh: "信用卡餘額不足",
        en: "insufficient credit on the card",
        action: CashierAction::AskForAnotherPayment,
        kind: OutcomeKind::Declined,
    },
    StatusInfo {
        code: "10100255",
        zh: "此信用卡為掛失卡",
        en: "the card was reported lost",
        action: CashierAction::AskForAnotherPayment,
        kind: OutcomeKind::Declined,
    },
];

/// TransCode rows: 1 only means the envelope was accepted.
pub static TRANS_CODES: &[StatusInfo] = &[StatusInfo {
    code: "1",
    zh: "綠界已受理請求,結果見 RtnCode",
    en: "envelope accepted; the result is RtnCode",
    action: CashierAction::None,
    kind: OutcomeKind::Success,
}];

fn rtn_decline(code: Option<i64>, msg: &str) -> Outcome {
    let code_s = code.map(|c| c.to_string()).unwrap_or_default();
    match lookup(RTN_CODES, &code_s) {
        Some(info) if info.kind == OutcomeKind::Declined => {
            let mut d = Decline::from(info);
            if !msg.is_empty() {
                d.reason = format!("{} ({msg})", d.reason);
            }
            Outcome::Declined(d)
        }
        _ => Outcome::Declined(Decline {
            code: code_s,
            reason: format!("交易失敗:{msg} / payment failed: {msg}"),
            action: CashierAction::AskForAnotherPayment,
        }),
    }
}

/// A paid order; short of `asked`, it stays in doubt ([`Outcome::unless_short`]).
fn approved(order: &OrderInfo, asked: Ntd) -> Outcome {
    let amount = order.trade_amt.unwrap_or(asked);
    let review = (amount != asked).then(|| {
        format!(
            "金額不符:要求 {asked},回覆 {amount} / amount differs: asked {asked}, answered {amount}"
        )
    });
    Outcome::Approved(Approval {
        gateway: GatewayId::Ecpay,
        gateway_trade_no: order.trade_no.clone(),
        amount,
        paid_at: parse_date(&order.payment_date),
        is_repeat: false,
        review,
        einvoice: None,
        wallet: None,
    })
    .unless_short(asked)
}

impl PaymentResult {
    pub fn outcome(&self, asked: Ntd) -> Outcome {
        if self.rtn_code != Some(1) {
            return rtn_decline(self.rtn_code, &self.rtn_msg);
        }
        match &self.order_info {
            Some(o) if o.trade_status == "0" => Outcome::Pending(crate::gateway::PendingInfo {
                code: "TradeStatus 0".into(),
                reason: "訂單成立尚未付款 / order created, not paid yet".into(),
                action: CashierAction::WaitAndQuery,
                reference: None,
            }),
            Some(o) => approved(o, asked),
            None => Outcome::Unknown {
                why: "綠界回應缺少訂單資訊 / ECPay's answer has no OrderInfo".into(),
            },
        }
    }
}

/// Decrypted `Data` of a ReturnURL notification. `SimulatePaid` and
/// `RtnCode` are private: the result is read only through
/// [`ReturnData::notice`] / [`ReturnData::outcome`], which never turn a
/// simulated payment into money.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReturnData {
    /// Private with `simulate_paid`: "RtnCode is 1" alone does not mean paid.
    #[serde(deserialize_with = "flex_opt_i64")]
    rtn_code: Option<i64>,
    #[serde(deserialize_with = "flex_string")]
    pub rtn_msg: String,
    #[serde(rename = "MerchantID", deserialize_with = "flex_string")]
    pub merchant_id: String,
    #[serde(rename = "PlatformID", deserialize_with = "flex_string")]
    pub platform_id: String,
    #[serde(
        deserialize_with = "flex_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    simulate_paid: Option<i64>,
    pub order_info: Option<OrderInfo>,
    pub card_info: Option<CardInfo>,
    #[serde(deserialize_with = "flex_string")]
    pub custom_field: String,
}

/// What a ReturnURL notification means for the till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnNotice {
    /// Money was received.
    Paid {
        merchant_trade_no: String,
        trade_no: String,
        amount: Option<Ntd>,
        paid_at: Option<TaipeiTime>,
    },
    /// Order exists, not paid yet (TradeStatus 0).
    NotPaid { merchant_trade_no: String },
    Failed {
        merchant_trade_no: String,
        code: Option<i64>,
        msg: String,
    },
    /// A test notification from ECPay's back office: NEVER money. Answer
    /// `1|OK`, book nothing.
    Simulated { merchant_trade_no: String },
}

impl ReturnData {
    pub fn is_simulated(&self) -> bool {
        self.simulate_paid == Some(1)
    }

    /// For the simulator: set RtnCode / RtnMsg.
    pub fn set_result(&mut self, rtn_code: i64, rtn_msg: &str) {
        self.rtn_code = Some(rtn_code);
        self.rtn_msg = rtn_msg.to_string();
    }

    /// For the simulator: mark a notification as simulated (or not).
    pub fn set_simulated(&mut self, simulated: bool) {
        self.simulate_paid = simulated.then_some(1);
    }

    pub fn notice(&self) -> ReturnNotice {
        let order = self.order_info.clone().unwrap_or_default();
        let merchant_trade_no = order.merchant_trade_no.clone();
        if self.is_simulated() {
            return ReturnNotice::Simulated { merchant_trade_no };
        }
        if self.rtn_code != Some(1) {
            return ReturnNotice::Failed {
                merchant_trade_no,
                code: self.rtn_code,
                msg: self.rtn_msg.clone(),
            };
        }
        if order.trade_status == "0" {
            return ReturnNotice::NotPaid { merchant_trade_no };
        }
        ReturnNotice::Paid {
            merchant_trade_no,
            trade_no: order.trade_no,
            amount: order.trade_amt,
            paid_at: parse_date(&order.payment_date),
        }
    }

    /// The outcome for a sale of `asked` dollars, or `None` for a simulated
    /// notification, which must change nothing.
    pub fn outcome(&self, asked: Ntd) -> Option<Outcome> {
        if self.is_simulated() {
            return None;
        }
        let order = self.order_info.clone().unwrap_or_default();
        Some(if self.rtn_code != Some(1) {
            rtn_decline(self.rtn_code, &self.rtn_msg)
        } else if order.trade_status == "0" {
            Outcome::Pending(crate::gateway::PendingInfo {
                code: "TradeStatus 0".into(),
                reason: "訂單成立尚未付款 / order created, not paid yet".into(),
                action: CashierAction::WaitAndQuery,
                reference: None,
            })
        } else {
            approved(&order, asked)
        })
    }
}

/// The terminal's clock is too far from ECPay's for the Timestamp check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ClockSkew {
    /// Positive when the local clock is ahead.
    pub skew_secs: i64,
}

impl crate::locale::Localized for ClockSkew {
    fn message(&self, lang: crate::locale::Lang) -> String {
        crate::locale::fill(
            lang,
            "words.ecpay.clock_skew",
            &[("skew", &self.skew_secs), ("limit", &MAX_CLOCK_SKEW_SECS)],
        )
    }
}

crate::display_both!(ClockSkew);

impl ClockSkew {
    pub fn action(&self) -> CashierAction {
        CashierAction::CheckClock
    }
}

/// Checks `local` against a trusted `reference` (e.g. an HTTP `Date`
/// header); more than 10 minutes apart is refused. Exactly 10 passes.
pub fn check_clock_skew(local: TaipeiTime, reference: DateTime<Utc>) -> Result<(), ClockSkew> {
    let skew_secs = local.timestamp() - reference.timestamp();
    if skew_secs.abs() > MAX_CLOCK_SKEW_SECS {
        Err(ClockSkew { skew_secs })
    } else {
        Ok(())
    }
}

/// Parses an HTTP `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
