//! The form-POST aggregator (`goodbuy-form-gateway.txt`, NOTES.md §4):
//! pay-later by credit card, ATM virtual account or convenience-store code.
//! Create an order by form POST, learn the result from an md5-checked
//! callback, query `order_status`, refund credit payments in two steps.

pub mod client;
pub mod codes;
pub mod payer_page;
pub mod rules;
pub mod settings;

pub use settings::GoodbuySettings;

use chrono::{Days, NaiveTime};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::gateway::CashierAction;
use crate::gateway::rules::PaidWith;
use crate::gateway::wire::{flex_opt_i64, flex_opt_ntd, flex_string};
use crate::gateway::{
    Approval, Decline, FieldError, Outcome, StatusInfo, check_required, constant_time_eq, lookup,
};
use crate::money::Ntd;
use crate::sale::{GatewayId, TradeNo};
use crate::secret::Secret;
use crate::taipei::TaipeiTime;

/// `mch_order_id` limit (the callback table: 最長32個字符).
pub const MAX_ORDER_ID_LEN: usize = 32;
/// `order_refunded` answers exactly this on success.
pub const REFUND_CONFIRMED: &str = "E0";
/// A refund is refused from this time on the day after the order.
pub fn refund_cutoff_time() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 30, 0).expect("09:30 exists")
}

/// Settings; the agent key is a [`Secret`]. `order_status` and the refund
/// calls send it in the form body, so it must never be logged from there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodbuyConfig {
    /// Where the create-order form is posted (not in the doc we have).
    pub create_url: String,
    /// e.g. `https://goodbuy88.com`; `/api/order_status` etc. are appended.
    pub api_base: String,
    pub agent_id: String,
    pub agent_key: Secret,
    pub return_url: String,
    #[serde(default)]
    pub datas: DatasShape,
}

impl GoodbuyConfig {
    pub fn url(&self, call: Call) -> String {
        format!("{}{}", self.api_base.trim_end_matches('/'), call.path())
    }
}

/// The API calls besides creating an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    OrderStatus,
    OrderRefund,
    OrderRefunded,
}

impl Call {
    pub fn path(self) -> &'static str {
        match self {
            Call::OrderStatus => "/api/order_status",
            Call::OrderRefund => "/api/order_refund",
            Call::OrderRefunded => "/api/order_refunded",
        }
    }
}

/// `pay_type` with the check fields each type requires ("(檢查用)": the
/// aggregator compares them with what the payer enters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayType {
    /// Card holder's name and the card's last 4 digits.
    Credit {
        card_owner: String,
        card_last4: String,
    },
    /// Account holder's name and one or more accounts' last 5 digits.
    Atm {
        account_owner: String,
        account_last5: Vec<String>,
    },
    /// Name the payer registered at the convenience store.
    Store { payer: String },
}

impl PayType {
    /// What the refund rules need to know of it.
    pub fn paid_with(&self) -> PaidWith {
        match self {
            PayType::Credit { .. } => PaidWith::Card,
            PayType::Atm { .. } => PaidWith::Atm,
            PayType::Store { .. } => PaidWith::Store,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            PayType::Credit { .. } => "credit",
            PayType::Atm { .. } => "atm",
            PayType::Store { .. } => "store",
        }
    }

    pub fn is_credit(&self) -> bool {
        matches!(self, PayType::Credit { .. })
    }
}

/// As its `pay_type` name only: the check fields are the customer's
/// personal data and stay out of slips and JSON.
impl Serialize for PayType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The create-order form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder {
    pub agent_id: String,
    pub payment_amount: Ntd,
    pub pay_type: PayType,
    pub mch_order_id: String,
    pub returnurl: String,
    /// The customer's mobile number (a check field).
    pub phone: String,
}

fn digits(
    field: &'static str,
    v: &str,
    n: usize,
    expected: &'static str,
) -> Result<(), FieldError> {
    if v.len() == n && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(FieldError::Format { field, expected })
    }
}

impl CreateOrder {
    pub fn new(
        cfg: &GoodbuyConfig,
        trade_no: &TradeNo,
        amount: Ntd,
        pay_type: PayType,
        phone: &str,
    ) -> Result<CreateOrder, FieldError> {
        let r = CreateOrder {
            agent_id: cfg.agent_id.clone(),
            payment_amount: amount,
            pay_type,
            mch_order_id: trade_no.to_string(),
            returnurl: cfg.return_url.clone(),
            phone: phone.to_string(),
        };
        r.validate()?;
        Ok(r)
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        check_required("agent_id", &self.agent_id, 64)?;
        if !self.payment_amount.is_positive() {
            return Err(FieldError::Amount {
                field: "payment_amount",
                amount: self.payment_amount,
            });
        }
        check_required("mch_order_id", &self.mch_order_id, MAX_ORDER_ID_LEN)?;
        check_required("returnurl", &self.returnurl, 500)?;
        check_required("phone", &self.phone, 20)?;
        match &self.pay_type {
            PayType::Credit {
                card_owner,
                card_last4,
            } => {
                check_required("cardowner", card_owner, 50)?;
                digits("cardnum", card_last4, 4, "the card's last 4 digits")
            }
            PayType::Atm {
                account_owner,
                account_last5,
            } => {
                check_required("accowner", account_owner, 50)?;
                if account_last5.is_empty() {
                    return Err(FieldError::Empty { field: "accnum" });
                }
                account_last5
                    .iter()
                    .try_for_each(|a| digits("accnum", a, 5, "an account's last 5 digits"))
            }
            PayType::Store { payer } => check_required("payer", payer, 50),
        }
    }

    /// `application/x-www-form-urlencoded` pairs.
    pub fn form_fields(&self) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("agent_id", self.agent_id.clone()),
            ("payment_amount", self.payment_amount.dollars().to_string()),
            ("pay_type", self.pay_type.as_str().to_string()),
            ("mch_order_id", self.mch_order_id.clone()),
            ("returnurl", self.returnurl.clone()),
            ("phone", self.phone.clone()),
        ];
        match &self.pay_type {
            PayType::Credit {
                card_owner,
                card_last4,
            } => {
                f.push(("cardowner", card_owner.clone()));
                f.push(("cardnum", card_last4.clone()));
            }
            PayType::Atm {
                account_owner,
                account_last5,
            } => {
                f.push(("accowner", account_owner.clone()));
                f.push(("accnum", account_last5.join(",")));
            }
            PayType::Store { payer } => f.push(("payer", payer.clone())),
        }
        f
    }
}

/// `{code, status}`: the error answer of create-order and the answer of
/// `order_status` / `order_refund` (`datas` only on a successful query).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiAnswer {
    #[serde(deserialize_with = "flex_string")]
    pub code: String,
    #[serde(deserialize_with = "flex_string")]
    pub status: String,
    /// Text or an object, as sent: [`DatasShape`] says which to expect.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub datas: serde_json::Value,
}

/// How `order_status` sends `datas`. `goodbuy-form-gateway.txt` (§3 查詢訂單
/// 狀態, Return table) says only "datas string 查詢訂單資訊" [guess]: by
/// default a string holding JSON; a shop whose aggregator sends a JSON
/// object there sets `datas = "json_object"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasShape {
    #[default]
    JsonText,
    JsonObject,
}

impl DatasShape {
    /// `datas` read as `T`, or why it is not in this shape.
    pub fn read<T: serde::de::DeserializeOwned>(
        self,
        datas: &serde_json::Value,
    ) -> Result<T, String> {
        use serde_json::Value;
        match (self, datas) {
            (DatasShape::JsonText, Value::String(s)) => {
                serde_json::from_str(s).map_err(|e| e.to_string())
            }
            (DatasShape::JsonObject, v @ Value::Object(_)) => {
                serde_json::from_value(v.clone()).map_err(|e| e.to_string())
            }
            (shape, other) => Err(format!(
                "datas is not {shape:?} ([gateways.goodbuy] datas): {}",
                match other {
                    Value::String(_) => "text",
                    Value::Object(_) => "an object",
                    Value::Null => "absent",
                    _ => "another JSON value",
                }
            )),
        }
    }
}

impl ApiAnswer {
    pub fn info(&self) -> Option<&'static StatusInfo> {
        lookup(STATUS_CODES, &self.code)
    }

    /// Success (200) or the table's reading of the code.
    pub fn result(&self) -> Result<(), Decline> {
        if self.code == codes::SUCCESS {
            return Ok(());
        }
        Err(match self.info() {
            Some(info) => {
                let mut d = Decline::from(info);
                if !self.status.is_empty() {
                    d.reason = format!("{} ({})", d.reason, self.status);
                }
                d
            }
            None => Decline {
                code: self.code.clone(),
                reason: format!("未知的回應碼:{s} / unknown answer: {s}", s = self.status),
                action: CashierAction::CallSupport,
            },
        })
    }
}

/// A request that carries the agent key in its body (`order_status`,
/// `order_refund`, `order_refunded`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    pub call: Call,
    pub agent_id: String,
    pub agent_key: Secret,
    pub mch_order_id: String,
    /// `order_status` only.
    pub payment_amount: Option<Ntd>,
}

impl KeyedRequest {
    pub fn order_status(cfg: &GoodbuyConfig, mch_order_id: &str, amount: Ntd) -> KeyedRequest {
        KeyedRequest {
            call: Call::OrderStatus,
            agent_id: cfg.agent_id.clone(),
            agent_key: cfg.agent_key.clone(),
            mch_order_id: mch_order_id.to_string(),
            payment_amount: Some(amount),
        }
    }

    /// Step 1 of a refund: apply.
    pub fn order_refund(cfg: &GoodbuyConfig, mch_order_id: &str) -> KeyedRequest {
        KeyedRequest {
            call: Call::OrderRefund,
            agent_id: cfg.agent_id.clone(),
            agent_key: cfg.agent_key.clone(),
            mch_order_id: mch_order_id.to_string(),
            payment_amount: None,
        }
    }

    /// Step 2 of a refund: confirm (answers `E0`).
    pub fn order_refunded(cfg: &GoodbuyConfig, mch_order_id: &str) -> KeyedRequest {
        KeyedRequest {
            call: Call::OrderRefunded,
            ..KeyedRequest::order_refund(cfg, mch_order_id)
        }
    }

    /// The form pairs, key included: hand them to the HTTP body only.
    pub fn form_fields(&self) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("agent_id", self.agent_id.clone()),
            ("agent_key", self.agent_key.expose().to_string()),
        ];
        if let Some(a) = self.payment_amount {
            f.push(("payment_amount", a.dollars().to_string()));
        }
        f.push(("mch_order_id", self.mch_order_id.clone()));
        f
    }
}

/// The answer of `order_refunded`: `E0`, or any other text as the reason.
pub fn read_refund_confirmation(body: &str) -> Result<(), Decline> {
    let text = body.trim();
    if text == REFUND_CONFIRMED {
        return Ok(());
    }
    // It may also answer a JSON {code, status} such as 521.
    if let Ok(a) = serde_json::from_str::<ApiAnswer>(text)
        && !a.code.is_empty()
    {
        if a.code == REFUND_CONFIRMED {
            return Ok(());
        }
        return Err(a.result().err().unwrap_or(Decline {
            code: a.code.clone(),
            reason: a.status.clone(),
            action: CashierAction::CallSupport,
        }));
    }
    Err(Decline {
        code: String::new(),
        reason: format!("退款確認失敗:{text} / refund confirmation failed: {text}"),
        action: CashierAction::CallSupport,
    })
}

/// `md5(mch_order_id + agent_key)`, lower-case hex.
pub fn chk_value(mch_order_id: &str, agent_key: &Secret) -> String {
    let mut h = Md5::new();
    h.update(mch_order_id.as_bytes());
    h.update(agent_key.expose().as_bytes());
    hex::encode(h.finalize())
}

/// The payment callback posted to `returnurl`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Callback {
    #[serde(deserialize_with = "flex_string")]
    pub code: String,
    #[serde(deserialize_with = "flex_string")]
    pub date: String,
    #[serde(deserialize_with = "flex_string")]
    pub mch_order_id: String,
    #[serde(deserialize_with = "flex_string")]
    pub status: String,
    #[serde(deserialize_with = "flex_string")]
    pub chk_value: String,
    #[serde(deserialize_with = "flex_string")]
    pub payer: String,
    #[serde(deserialize_with = "flex_string")]
    pub payer_phone: String,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub pay_amount: Option<Ntd>,
    /// Kept as text: an int in the doc, but "0123" must keep its zero.
    #[serde(deserialize_with = "flex_string")]
    pub credit_last4: String,
    #[serde(deserialize_with = "flex_string")]
    pub acc: String,
    #[serde(deserialize_with = "flex_string")]
    pub account_last5: String,
    #[serde(deserialize_with = "flex_opt_i64")]
    pub pay_agency: Option<i64>,
    #[serde(deserialize_with = "flex_string")]
    pub pay_agency_name: String,
    #[serde(deserialize_with = "flex_string")]
    pub pay_agency_address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    BadCheckValue,
    Malformed(String),
}
impl crate::locale::Localized for CallbackError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::BadCheckValue => tr(lang, "words.goodbuy_callback.bad_check_value"),
            Self::Malformed(v0) => fill(lang, "words.goodbuy_callback.malformed", &[("value", v0)]),
        }
    }
}

crate::display_both!(CallbackError);

impl Callback {
    pub fn from_form<'a, I>(pairs: I) -> Result<Callback, CallbackError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
            .collect();
        serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| CallbackError::Malformed(e.to_string()))
    }

    /// Checks `chk_value`, case-insensitively (NOTES §4 [guess on case]).
    pub fn verify(&self, agent_key: &Secret) -> Result<(), CallbackError> {
        let expected = chk_value(&self.mch_order_id, agent_key);
        let given = self.chk_value.trim().to_ascii_lowercase();
        if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(CallbackError::BadCheckValue)
        }
    }

    /// What to print back: the mch_order_id for a code-200 callback.
    pub fn ack(&self) -> Option<&str> {
        (self.code == codes::SUCCESS).then_some(self.mch_order_id.as_str())
    }

    /// The outcome for an order of `asked` dollars; verify first.
    pub fn outcome(&self, asked: Ntd) -> Outcome {
        if self.code != codes::SUCCESS {
            return match lookup(STATUS_CODES, &self.code) {
                Some(info) => Outcome::from_status(info),
                None => Outcome::Unknown {
                    why: format!("{} {}", self.code, self.status),
                },
            };
        }
        let amount = self.pay_amount.unwrap_or(asked);
        if amount < asked {
            return short_payment(asked, amount);
        }
        let review = (amount != asked).then(|| {
            format!("金額不符:訂單 {asked},實付 {amount} / amount differs: ordered {asked}, paid {amount}")
        });
        Outcome::Approved(Approval {
            gateway: GatewayId::Goodbuy,
            gateway_trade_no: self.mch_order_id.clone(),
            amount,
            paid_at: parse_date(&self.date),
            is_repeat: false,
            review,
            einvoice: None,
            wallet: None,
        })
    }
}

/// An order paid less than it asked (an ATM transfer short, say): not
/// approved, the sale stays unpaid and in doubt for a person to settle
/// with the customer and the aggregator.
pub fn short_payment(asked: Ntd, paid: Ntd) -> Outcome {
    Outcome::Unknown {
        why: format!(
            "實付 {paid} 少於訂單 {asked},請向顧客及金流確認 / paid {paid}, less than the {asked} ordered: check with the customer and the aggregator"
        ),
    }
}

/// `date` of a callback. Its format is undocumented [guess]: the usual
/// `YYYY-MM-DD HH:MM:SS` or `YYYY/MM/DD HH:MM:SS`; anything else is `None`.
pub fn parse_date(s: &str) -> Option<TaipeiTime> {
    ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s.trim(), f).ok())
        .map(crate::taipei::from_wall_clock)
}

/// Why a refund is refused before asking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundRefused {
    NotCredit,
    TooLate { deadline: String },
}
impl crate::locale::Localized for RefundRefused {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::NotCredit => tr(lang, "words.goodbuy_refund.not_credit"),
            Self::TooLate { deadline } => fill(
                lang,
                "words.goodbuy_refund.too_late",
                &[("deadline", deadline)],
            ),
        }
    }
}

crate::display_both!(RefundRefused);

/// 09:30 Taipei time on the day after the order.
pub fn refund_deadline(order_created: TaipeiTime) -> TaipeiTime {
    let next = order_created
        .date_naive()
        .checked_add_days(Days::new(1))
        .expect("dates this close to the end of time are not orders");
    crate::taipei::from_wall_clock(next.and_time(refund_cutoff_time()))
}

/// Whether a refund may still be asked for. At 09:30:00 itself it is already
/// refused, so a request never races the aggregator's own cut-off.
pub fn check_refund_allowed(
    pay_type: &PayType,
    order_created: TaipeiTime,
    now: TaipeiTime,
) -> Result<(), RefundRefused> {
    check_refund_allowed_with(pay_type.paid_with(), order_created, now)
}

/// [`check_refund_allowed`] on what the refund rules know of the order.
pub fn check_refund_allowed_with(
    paid_with: PaidWith,
    order_created: TaipeiTime,
    now: TaipeiTime,
) -> Result<(), RefundRefused> {
    if paid_with != PaidWith::Card {
        return Err(RefundRefused::NotCredit);
    }
    let deadline = refund_deadline(order_created);
    if now >= deadline {
        return Err(RefundRefused::TooLate {
            deadline: deadline.format("%Y-%m-%d %H:%M").to_string(),
        });
    }
    Ok(())
}

pub use table::STATUS_CODES;

mod table {
    use crate::gateway::CashierAction::{self, *};
    use crate::gateway::OutcomeKind::{self, *};
    use crate::gateway::StatusInfo;

    const fn s(
        code: &'static str,
        zh: &'static str,
        en: &'static str,
        action: CashierAction,
        kind: OutcomeKind,
    ) -> StatusInfo {
        StatusInfo {
            code,
            zh,
            en,
            action,
            kind,
        }
    }

    /// 回應代碼對照表, all rows.
    pub static STATUS_CODES: &[StatusInfo] = &[
        s("200", "回調成功", "success", None, Success),
        s(
            "500",
            "錯誤的 ID 或 KEY",
            "wrong agent id or key",
            CheckConfig,
            Declined,
        ),
        s(
            "501",
            "金額不符設定",
            "amount not allowed by the settings",
            CheckAmount,
            Declined,
        ),
        s(
            "502",
            "沒有可用的支付設定",
            "no payment method available",
            CheckConfig,
            Declined,
        ),
        s(
            "503",
            "信用卡付款失敗",
            "credit card payment failed",
            AskForAnotherPayment,
            Declined,
        ),
        s(
            "504",
            "代碼付款失敗",
            "payment code failed",
            AskForAnotherPayment,
            Declined,
        ),
        s(
            "505",
            "商戶訂單號重複",
            "duplicate merchant order id",
            CallSupport,
            Declined,
        ),
        s(
            "506",
            "支付方式參數錯誤",
            "bad pay_type",
            CheckConfig,
            Declined,
        ),
        s(
            "507",
            "回傳網址不能為空",
            "returnurl must not be empty",
            CheckConfig,
            Declined,
        ),
        s(
            "508",
            "訂單送出頻率過高",
            "orders sent too often",
            RetryLater,
            Declined,
        ),
        s(
            "509",
            "訂單資訊有誤",
            "order details are wrong",
            CheckConfig,
            Declined,
        ),
        s(
            "519",
            "查詢的訂單編號或金額有誤",
            "order id or amount not found",
            CheckAmount,
            Declined,
        ),
        s(
            "520",
            "已超過退款期限(訂單次日 09:30)",
            "refund deadline passed (09:30 the next day)",
            CallSupport,
            Declined,
        ),
        s(
            "521",
            "訂單退訂狀態錯誤",
            "order is not in a refundable state",
            CallSupport,
            Declined,
        ),
        s(
            "522",
            "僅信用卡訂單可退刷",
            "only card orders can be refunded",
            AskForAnotherPayment,
            Declined,
        ),
        s(
            "525",
            "警示用戶",
            "flagged customer",
            AskForAnotherPayment,
            Declined,
        ),
        s(
            "528",
            "與綁定資料不符",
            "does not match the bound details",
            AskForAnotherPayment,
            Declined,
        ),
        s(
            "529",
            "綁定參數不齊",
            "bound details incomplete",
            CheckConfig,
            Declined,
        ),
        s(
            "530",
            "請重新提交訂單(訂單過期)",
            "order expired: submit again",
            RetryLater,
            Declined,
        ),
        s(
            "531",
            "交易位置不可在國外",
            "payments from abroad are not allowed",
            AskForAnotherPayment,
            Declined,
        ),
        s(
            "532",
            "簡訊驗證碼錯誤",
            "wrong SMS code",
            AskCustomerToRefreshCode,
            Declined,
        ),
        s(
            "533",
            "金額必須以 100 為單位",
            "amount must be a multiple of 100",
            CheckAmount,
            Declined,
        ),
        s(
            "534",
            "卡號末四碼或帳號末五碼不符",
            "card last 4 or account last 5 do not match",
            ReviewPayment,
            Declined,
        ),
        s("E0", "訂單退訂成功", "refund confirmed", None, Success),
    ];
}

#[cfg(test)]
mod tests;
