//! Payment gateways: the pure part. Wire types, signing and encryption
//! envelopes, and status-code tables for the four gateways `till` talks to.
//! No I/O and no clock reads: every time is passed in as Taipei time, every
//! random IV as a parameter (with a helper that draws one from the OS RNG).
//!
//! Every gateway answer ends up as one [`Outcome`]; every status code lives in
//! a table of [`StatusInfo`] rows that say what the cashier should do next.

pub mod client;
pub mod ecpay;
pub mod goodbuy;
pub mod jkopay;
pub mod mypay;
pub mod rules;
pub(crate) mod wire;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Ntd;
use crate::sale::GatewayId;
use crate::taipei::TaipeiTime;

/// What the cashier should do after an answer. Each has a short instruction
/// for the screen in zh-TW and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CashierAction {
    /// Nothing: the call did what was asked.
    None,
    /// The customer's payment code expired or did not scan: refresh and scan again.
    AskCustomerToRefreshCode,
    /// The customer cannot pay this way (declined, no balance, barred …).
    AskForAnotherPayment,
    /// A temporary failure at the gateway: try the same call again shortly.
    RetryLater,
    /// The result is not final yet: query again, do not charge again.
    WaitAndQuery,
    /// The gateway may or may not have taken the money: cancel this attempt,
    /// then retry with a new trade number.
    CancelAndRetry,
    /// The customer must confirm in the wallet app, then the till confirms.
    AskCustomerToConfirmInApp,
    /// Paid, but something does not match (amount, deadline): a supervisor checks.
    ReviewPayment,
    /// The amount is not acceptable for this call (zero, over a refund limit …).
    CheckAmount,
    /// Merchant id, key, signature or endpoint is wrong: fix the configuration.
    CheckConfig,
    /// The terminal's clock is off: fix the time, then retry.
    CheckClock,
    /// Nothing the cashier can fix: call the gateway's support.
    CallSupport,
}

impl CashierAction {
    pub fn zh(self) -> &'static str {
        match self {
            CashierAction::None => "",
            CashierAction::AskCustomerToRefreshCode => "請顧客更新付款條碼後重新掃描",
            CashierAction::AskForAnotherPayment => "請顧客改用其他付款方式",
            CashierAction::RetryLater => "請稍後再試",
            CashierAction::WaitAndQuery => "交易結果未定,請查詢,勿重複收款",
            CashierAction::CancelAndRetry => "請取消此筆交易後重新收款",
            CashierAction::AskCustomerToConfirmInApp => "請顧客在 App 內確認付款",
            CashierAction::ReviewPayment => "已付款但資料不符,請主管確認",
            CashierAction::CheckAmount => "請確認金額",
            CashierAction::CheckConfig => "請檢查金流設定(特店代號、金鑰)",
            CashierAction::CheckClock => "請校正收銀機時間",
            CashierAction::CallSupport => "請聯絡金流客服",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            CashierAction::None => "",
            CashierAction::AskCustomerToRefreshCode => {
                "ask the customer to refresh the payment code and scan again"
            }
            CashierAction::AskForAnotherPayment => "ask the customer for another way to pay",
            CashierAction::RetryLater => "try again in a moment",
            CashierAction::WaitAndQuery => "result not final: query it, do not charge again",
            CashierAction::CancelAndRetry => "cancel this attempt, then charge again",
            CashierAction::AskCustomerToConfirmInApp => {
                "ask the customer to confirm the payment in the app"
            }
            CashierAction::ReviewPayment => "paid, but the details do not match: ask a supervisor",
            CashierAction::CheckAmount => "check the amount",
            CashierAction::CheckConfig => "check the gateway settings (merchant id, key)",
            CashierAction::CheckClock => "set the terminal's clock right",
            CashierAction::CallSupport => "call the gateway's support line",
        }
    }
}

/// How a status code reads, independent of the call's details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The call succeeded (payment taken, refund done, request accepted).
    Success,
    /// The gateway refused; no money moved.
    Declined,
    /// Accepted but not final; a later answer or a query settles it.
    Pending,
    /// Whether money moved is not known: resolve by query or cancel.
    Unknown,
}

/// One row of a gateway's status-code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusInfo {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub action: CashierAction,
    pub kind: OutcomeKind,
}

impl StatusInfo {
    /// `"906 付款條碼已過期 / payment code expired"`.
    pub fn message(&self) -> String {
        format!("{} {} / {}", self.code, self.zh, self.en)
    }
}

/// Looks a code up in a table.
pub fn lookup(table: &'static [StatusInfo], code: &str) -> Option<&'static StatusInfo> {
    table.iter().find(|s| s.code == code)
}

/// The one result type every gateway maps its answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approved(Approval),
    Declined(Decline),
    Pending(PendingInfo),
    Unknown { why: String },
}

impl Outcome {
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Approved(_) => OutcomeKind::Success,
            Outcome::Declined(_) => OutcomeKind::Declined,
            Outcome::Pending(_) => OutcomeKind::Pending,
            Outcome::Unknown { .. } => OutcomeKind::Unknown,
        }
    }

    /// What the cashier does next.
    pub fn action(&self) -> CashierAction {
        match self {
            Outcome::Approved(a) if a.review.is_some() => CashierAction::ReviewPayment,
            Outcome::Approved(_) => CashierAction::None,
            Outcome::Declined(d) => d.action,
            Outcome::Pending(p) => p.action,
            Outcome::Unknown { .. } => CashierAction::WaitAndQuery,
        }
    }

    /// A failed *query* says nothing about what it asked about: whatever
    /// the failure's own kind, that stays in doubt. Approved and Unknown
    /// pass through.
    /// A payment approved for less than the till asked is not the sale paid
    /// in full: the customer must not leave with the goods on it, and the
    /// invoice must not say the whole total. It stays in doubt (JKoPay then
    /// cancels it; elsewhere a manager settles it with the back office).
    /// An amount above the one asked passes with its review note.
    pub fn unless_short(self, asked: Ntd) -> Outcome {
        match self {
            Outcome::Approved(a) if a.amount < asked => Outcome::Unknown {
                why: format!(
                    "核准金額 {} 少於應收 {asked},請向金流確認 / approved {} of the {asked} asked: check with the gateway",
                    a.amount, a.amount
                ),
            },
            other => other,
        }
    }

    pub fn into_doubt(self) -> Outcome {
        match self {
            Outcome::Declined(d) => Outcome::Unknown {
                why: format!("{} {}", d.code, d.reason).trim().to_string(),
            },
            Outcome::Pending(p) => Outcome::Unknown {
                why: format!("{} {}", p.code, p.reason).trim().to_string(),
            },
            other => other,
        }
    }

    /// A declined / pending outcome from a table row, or `Unknown` for a
    /// success row (success needs the call's details, so callers build it).
    pub fn from_status(info: &StatusInfo) -> Outcome {
        match info.kind {
            OutcomeKind::Declined => Outcome::Declined(Decline::from(info)),
            OutcomeKind::Pending => Outcome::Pending(PendingInfo {
                code: info.code.to_string(),
                reason: format!("{} / {}", info.zh, info.en),
                action: info.action,
                reference: None,
            }),
            OutcomeKind::Unknown | OutcomeKind::Success => Outcome::Unknown {
                why: info.message(),
            },
        }
    }
}

/// Money was taken (or refunded) at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub gateway: GatewayId,
    /// The gateway's own number for the transaction (JKoPay `TradeNo`,
    /// MyPay `uid`, ECPay `TradeNo`, the aggregator's `mch_order_id`).
    pub gateway_trade_no: String,
    pub amount: Ntd,
    pub paid_at: Option<TaipeiTime>,
    /// The gateway says this is a repeat of an earlier identical request
    /// (JKoPay `IsRep=1`): the same sale, never a second one.
    pub is_repeat: bool,
    /// Paid, but something needs a person to look (MyPay 290, an amount that
    /// differs from what was asked). `None` when all is in order.
    pub review: Option<String>,
    /// The e-invoice the gateway issued with this payment (MyPay's invoice
    /// fields, as sent), or its state after a refund. `None` when the
    /// answer carried none.
    pub einvoice: Option<Box<crate::einvoice::mypay::MypayInvoiceFields>>,
    /// The wallet the gateway says it took the money from (MyPay's `pfn`
    /// once its OFFLINE auto-detect knew the code). `None` when the answer
    /// does not name one.
    pub wallet: Option<crate::sale::Wallet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    pub code: String,
    /// `"中文 / English"`.
    pub reason: String,
    pub action: CashierAction,
}

impl From<&StatusInfo> for Decline {
    fn from(info: &StatusInfo) -> Decline {
        Decline {
            code: info.code.to_string(),
            reason: format!("{} / {}", info.zh, info.en),
            action: info.action,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInfo {
    pub code: String,
    pub reason: String,
    pub action: CashierAction,
    /// What finishing it needs, when the gateway gave one (MyPay WECHATOFF
    /// 280: the WeChat `TradeNo` for `api/wechatconfirmation`). Not secret.
    pub reference: Option<String>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Approved(a) => {
                write!(
                    f,
                    "付款成功 / approved {} ({})",
                    a.amount, a.gateway_trade_no
                )?;
                if let Some(r) = &a.review {
                    write!(f, " — {r}")?;
                }
                Ok(())
            }
            Outcome::Declined(d) => write!(f, "交易失敗 / declined {}: {}", d.code, d.reason),
            Outcome::Pending(p) => write!(f, "等待確認 / pending {}: {}", p.code, p.reason),
            Outcome::Unknown { why } => write!(f, "結果不明 / result unknown: {why}"),
        }
    }
}

/// Crypto envelope failures shared by MyPay and ECPay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    KeyLength { expected: usize },
    IvLength { expected: usize },
    Base64,
    TooShort,
    Decrypt,
    Utf8,
    UrlEncoding,
    Json(String),
}
impl crate::locale::Localized for CryptoError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::KeyLength { expected } => fill(
                lang,
                "words.gateway_crypto.key_length",
                &[("expected", expected)],
            ),
            Self::IvLength { expected } => fill(
                lang,
                "words.gateway_crypto.iv_length",
                &[("expected", expected)],
            ),
            Self::Base64 => tr(lang, "words.gateway_crypto.base64"),
            Self::TooShort => tr(lang, "words.gateway_crypto.too_short"),
            Self::Decrypt => tr(lang, "words.gateway_crypto.decrypt"),
            Self::Utf8 => tr(lang, "words.gateway_crypto.utf8"),
            Self::UrlEncoding => tr(lang, "words.gateway_crypto.url_encoding"),
            Self::Json(v0) => fill(lang, "words.gateway_crypto.json", &[("value", v0)]),
        }
    }
}

crate::display_both!(CryptoError);

/// A request field that breaks the gateway's rules, caught before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    Empty {
        field: &'static str,
    },
    TooLong {
        field: &'static str,
        max: usize,
        len: usize,
    },
    Format {
        field: &'static str,
        expected: &'static str,
    },
    Amount {
        field: &'static str,
        amount: Ntd,
    },
}
impl crate::locale::Localized for FieldError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Empty { field } => fill(lang, "words.gateway_field.empty", &[("field", field)]),
            Self::TooLong { field, max, len } => fill(
                lang,
                "words.gateway_field.too_long",
                &[("field", field), ("len", len), ("max", max)],
            ),
            Self::Format { field, expected } => fill(
                lang,
                "words.gateway_field.format",
                &[("field", field), ("expected", expected)],
            ),
            Self::Amount { field, amount } => fill(
                lang,
                "words.gateway_field.amount",
                &[("amount", amount), ("field", field)],
            ),
        }
    }
}

crate::display_both!(FieldError);

/// Checks a length limit, counting characters (the vendors' `String(n)`).
pub(crate) fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
    let len = value.chars().count();
    if len > max {
        return Err(FieldError::TooLong { field, max, len });
    }
    Ok(())
}

pub(crate) fn check_required(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::Empty { field });
    }
    check_len(field, value, max)
}

/// Draws a 16-byte IV from the operating system's RNG.
pub fn random_iv() -> [u8; 16] {
    use rand::TryRngCore;
    let mut iv = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut iv)
        .expect("the OS random number generator is available");
    iv
}

/// Byte-wise comparison that does not stop at the first difference, so a
/// signature check does not leak how much of a forged value was right.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The rules of `gateway`: the one place that names every vendor.
pub fn rules_of(gateway: GatewayId) -> &'static dyn rules::VendorRules {
    match gateway {
        GatewayId::JkoPay => &crate::gateway::jkopay::rules::JkoPayRules,
        GatewayId::MyPay => &crate::gateway::mypay::rules::MyPayRules,
        GatewayId::Ecpay => &crate::gateway::ecpay::rules::EcpayRules,
        GatewayId::Goodbuy => &crate::gateway::goodbuy::rules::GoodbuyRules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ivs_differ() {
        // Two draws of 128 bits colliding means the RNG is broken.
        assert_ne!(random_iv(), random_iv());
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn approved_with_review_asks_for_a_supervisor() {
        let o = Outcome::Approved(Approval {
            gateway: GatewayId::MyPay,
            gateway_trade_no: "1".into(),
            amount: Ntd::new(10),
            paid_at: None,
            is_repeat: false,
            review: Some("amount differs".into()),
            einvoice: None,
            wallet: None,
        });
        assert_eq!(o.action(), CashierAction::ReviewPayment);
        assert!(o.to_string().contains("amount differs"));
    }

    #[test]
    fn every_action_has_both_languages() {
        use CashierAction::*;
        for a in [
            AskCustomerToRefreshCode,
            AskForAnotherPayment,
            RetryLater,
            WaitAndQuery,
            CancelAndRetry,
            AskCustomerToConfirmInApp,
            ReviewPayment,
            CheckAmount,
            CheckConfig,
            CheckClock,
            CallSupport,
        ] {
            assert!(!a.zh().is_empty() && !a.en().is_empty(), "{a:?}");
        }
    }
}
