//! The I/O half of the gateway layer: one [`Gateway`] trait the terminal
//! workflow calls without knowing which vendor is behind it, and the shared
//! HTTP plumbing the four clients use.
//!
//! # The contract
//!
//! Every call returns `Result<Outcome, NotSent>`:
//!
//! - `Err(NotSent)` means **nothing reached the gateway**: a field failed
//!   validation, the clock is too far off (ECPay), a refund is past its
//!   deadline (goodbuy), the connection was refused, or the call does not
//!   exist for this vendor. No money can have moved; [`NotSent::retryable`]
//!   says whether trying the very same call again may help.
//! - `Ok(outcome)` means a request went out. Anything that leaves the result
//!   in doubt — a timeout, a connection dropped after sending, a 5xx, a body
//!   that does not parse, a response signature that does not check out — is
//!   [`Outcome::Unknown`] with a reason, **never** `Declined`: the gateway may
//!   have taken the money, so the workflow resolves it by query or cancel.
//!
//! Secrets never leave the clients: errors and logs name the call and the
//! trade number, mask payment codes, and never quote a key or a request body.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::gateway::{Outcome, goodbuy};
use crate::money::Ntd;
use crate::sale::{GatewayId, TradeNo, Wallet};
use crate::taipei::{self, TaipeiTime};

/// What the customer pays with, as far as the gateway needs to know.
#[derive(Clone, PartialEq, Eq)]
pub enum PayWith {
    /// A wallet payment code scanned at the counter (JKoPay, MyPay).
    WalletCode { wallet: Wallet, code: String },
    /// A member's card bound at ECPay.
    BoundCard {
        bind_card_id: String,
        member_id: String,
    },
    /// A pay-later order at the form-POST aggregator.
    PayLater {
        pay_type: goodbuy::PayType,
        phone: String,
    },
}

impl fmt::Debug for PayWith {
    /// The wallet code is a bearer token for the customer's money: masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayWith::WalletCode { wallet, code } => f
                .debug_struct("WalletCode")
                .field("wallet", wallet)
                .field("code", &crate::barcode::mask_payment_code(code))
                .finish(),
            PayWith::BoundCard { member_id, .. } => f
                .debug_struct("BoundCard")
                .field("member_id", member_id)
                .finish_non_exhaustive(),
            PayWith::PayLater { pay_type, .. } => f
                .debug_struct("PayLater")
                .field("pay_type", &pay_type.as_str())
                .finish_non_exhaustive(),
        }
    }
}

/// One line of what is sold (MyPay wants items summing to the amount;
/// ECPay wants item names). Empty means "one line for the whole amount".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayItem {
    pub id: String,
    pub name: String,
    pub unit_price: Ntd,
    pub qty: u32,
}

/// A payment attempt. The same value is passed again to `cancel` and
/// `query` for that attempt, so the journal keeps it whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRequest {
    /// A new number for every attempt (JKoPay's rule after a Cancel).
    pub trade_no: TradeNo,
    pub amount: Ntd,
    pub with: PayWith,
    pub items: Vec<PayItem>,
    /// When the till rang the sale up (JKoPay `PosTradeTime`, ECPay
    /// `MerchantTradeDate`).
    pub at: TaipeiTime,
    /// The buyer's e-invoice choice, for a gateway that issues the invoice
    /// (MyPay with `[einvoice] issuer = "mypay"`); the others ignore it.
    pub buyer: crate::einvoice::buyer::BuyerChoice,
}

/// What a paid attempt is known by, kept in the journal for refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidRef {
    /// The payment attempt's own number.
    pub trade_no: TradeNo,
    /// [`crate::gateway::Approval::gateway_trade_no`] of the payment.
    pub gateway_trade_no: String,
    pub amount: Ntd,
    /// When the order was created (goodbuy's refund deadline counts from it).
    pub at: TaipeiTime,
    /// How it was paid (goodbuy refunds card orders only).
    pub with: PayWith,
    /// Extra the payment needs for refunds (MyPay's `user_id`), if any.
    pub items: Vec<PayItem>,
}

/// A refund of (part of) a paid attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// A new number for every refund (JKoPay wants one per refund).
    pub refund_no: TradeNo,
    pub payment: PaidRef,
    pub amount: Ntd,
    pub at: TaipeiTime,
    /// The sale has an e-invoice: what the refund does to it (MyPay
    /// `invoice_state` and `items`). `None` without one.
    pub invoice: Option<RefundInvoiceInfo>,
}

/// A refund's e-invoice part, as a gateway that knows the invoice needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInvoiceInfo {
    /// Void (MyPay `invoice_state` 4) or allowance (6), by the period rule.
    pub treatment: crate::einvoice::Treatment,
    /// What is refunded, named as sold; empty for the whole payment (MyPay
    /// then fills them in itself).
    pub items: Vec<PayItem>,
}

/// What a Cancel achieved. Only `Cancelled` and `NothingToCancel` let the
/// till start a new attempt; `Unknown` means: send Cancel again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    /// The gateway has no payment under that number: nothing was charged.
    NothingToCancel,
    Refused(crate::gateway::Decline),
    Unknown {
        why: String,
    },
    /// The gateway does not know the payment yet but may still book it
    /// (JKoPay's 916 within 15 s of the payment): cancel again once
    /// `retry_in` has passed, when its answer means what it says.
    NotYet {
        why: String,
        retry_in: std::time::Duration,
    },
}

/// Why a call was not sent. Nothing reached the gateway, so no money moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSent {
    Unreachable {
        gateway: &'static str,
        why: String,
    },
    Field(#[from] crate::gateway::FieldError),
    Clock(#[from] crate::gateway::ecpay::ClockSkew),
    RefundRefused(#[from] goodbuy::RefundRefused),
    Unsupported {
        gateway: &'static str,
        what: &'static str,
    },
    Config(String),
}
impl crate::locale::Localized for NotSent {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Unreachable { gateway, why } => fill(
                lang,
                "words.not_sent.unreachable",
                &[("gateway", gateway), ("why", why)],
            ),
            Self::Field(v0) => fill(lang, "words.not_sent.field", &[("value", v0)]),
            Self::Clock(e) => e.message(lang),
            Self::RefundRefused(e) => e.message(lang),
            Self::Unsupported { gateway, what } => fill(
                lang,
                "words.not_sent.unsupported",
                &[("gateway", gateway), ("what", what)],
            ),
            Self::Config(v0) => fill(lang, "words.not_sent.config", &[("value", v0)]),
        }
    }
}

crate::display_both!(NotSent);

impl NotSent {
    /// Whether the same call may succeed if tried again unchanged.
    pub fn retryable(&self) -> bool {
        matches!(self, NotSent::Unreachable { .. })
    }

    pub fn action(&self) -> crate::gateway::CashierAction {
        use crate::gateway::CashierAction as A;
        match self {
            NotSent::Unreachable { .. } => A::RetryLater,
            NotSent::Field(_) => A::CheckAmount,
            NotSent::Clock(_) => A::CheckClock,
            NotSent::RefundRefused(_) => A::CallSupport,
            NotSent::Unsupported { .. } => A::AskForAnotherPayment,
            NotSent::Config(_) => A::CheckConfig,
        }
    }
}

pub type CallResult = Result<Outcome, NotSent>;

/// One payment gateway, as the terminal workflow sees it.
///
/// `pay` is the only call that can take money. When it comes back
/// `Unknown`, the vendor's [`Gateway::rules`] say how it resolves: `query`
/// (MyPay, goodbuy), `cancel` (JKoPay: cancel after 15 s without an
/// answer, repeat until it answers), `confirm` once the customer confirmed
/// in the app (MyPay WeChat 280), or wait for the notification (ECPay).
/// Each client has more calls of its own (goodbuy's refund confirmation …)
/// on its concrete type.
#[async_trait]
pub trait Gateway: Send + Sync {
    fn id(&self) -> GatewayId;

    /// What this vendor's rules say about results in doubt, refunds and
    /// codes: the workflow asks these rather than naming vendors.
    fn rules(&self) -> &'static dyn crate::gateway::rules::VendorRules {
        crate::gateway::rules::of(self.id())
    }

    /// Charge the customer.
    async fn pay(&self, req: &PayRequest) -> CallResult;

    /// Void an attempt whose result is unknown, so no money stays taken.
    async fn cancel(&self, req: &PayRequest) -> Result<CancelOutcome, NotSent> {
        let _ = req;
        Err(NotSent::Unsupported {
            gateway: self.id().as_str(),
            what: "cancel",
        })
    }

    /// Ask what became of an attempt.
    async fn query(&self, req: &PayRequest) -> CallResult;

    /// Finish a payment the gateway left waiting for the customer (MyPay
    /// WECHATOFF 280 → `api/wechatconfirmation`). `reference` is the
    /// pending answer's [`crate::gateway::PendingInfo::reference`]. Pending
    /// again means: the customer has not confirmed yet, ask later.
    async fn confirm(&self, req: &PayRequest, reference: &str) -> CallResult {
        let _ = (req, reference);
        Err(NotSent::Unsupported {
            gateway: self.id().as_str(),
            what: "confirm",
        })
    }

    /// Give money back; partial and repeated refunds where the vendor allows.
    async fn refund(&self, req: &RefundRequest) -> CallResult;

    /// Withdraw a refund the gateway accepted but has not done yet (MyPay
    /// `api/refundcancel` on its queue). `Cancelled`: withdrawn, no money
    /// will move. Anything else: it could not be withdrawn (done already,
    /// or refused), so ask with [`Gateway::find_refund`].
    async fn withdraw_refund(&self, req: &RefundRequest) -> Result<CancelOutcome, NotSent> {
        let _ = req;
        Err(NotSent::Unsupported {
            gateway: self.id().as_str(),
            what: "refund withdrawal",
        })
    }

    /// Did a refund whose answer was lost go through? `refunded_before` is
    /// what the journal knows was refunded on that payment before it.
    /// `Ok(Some(Approved))`: it did. `Ok(None)`: the gateway shows no such
    /// refund, so sending it again cannot refund twice. `Ok(Some(Unknown |
    /// Pending))`: cannot tell yet.
    async fn find_refund(
        &self,
        req: &RefundRequest,
        refunded_before: Ntd,
    ) -> Result<Option<Outcome>, NotSent> {
        let _ = (req, refunded_before);
        Err(NotSent::Unsupported {
            gateway: self.id().as_str(),
            what: "refund inquiry",
        })
    }
}

/// Where "now" comes from: the real Taipei clock, or a fixed / shifted one
/// in tests (ECPay's skew check, goodbuy's refund deadline).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> TaipeiTime + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(taipei::now))
    }

    /// The system clock shifted by `offset` (a terminal whose clock is off).
    pub fn shifted(offset: chrono::TimeDelta) -> Clock {
        Clock(Arc::new(move || taipei::now() + offset))
    }

    pub fn fixed(t: TaipeiTime) -> Clock {
        Clock(Arc::new(move || t))
    }

    pub fn now(&self) -> TaipeiTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// A received HTTP answer, read whole.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    /// Where the answer came from after redirects (a payer's page).
    pub url: String,
    pub date: Option<String>,
    pub body: String,
}

/// How one exchange ended, before any vendor-specific reading.
pub(crate) enum Exchange {
    /// A complete 2xx answer.
    Answer(Answer),
    /// Sent, but the result is in doubt (timeout, drop, 5xx …).
    Unknown(String),
    /// A complete non-2xx, non-5xx answer (only from [`Http::exchange_any`]).
    Status(Answer),
}

/// The shared HTTP client: timeouts, rustls, no proxies from the
/// environment (a checkout PC's stray `HTTPS_PROXY` must not reroute money).
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    gateway: &'static str,
}

impl Http {
    pub fn new(gateway: &'static str, timeout: Duration) -> Result<Http, NotSent> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .user_agent(concat!("till/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotSent::Config(e.to_string()))?;
        Ok(Http { client, gateway })
    }

    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a prepared request and reads the whole answer. `what` names the
    /// call in messages (never the body: it may hold keys or codes).
    pub async fn exchange(
        &self,
        what: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<Exchange, NotSent> {
        Ok(match self.exchange_any(what, req).await? {
            Exchange::Status(a) => {
                tracing::warn!(
                    gateway = self.gateway,
                    call = what,
                    status = a.status,
                    "HTTP error"
                );
                Exchange::Unknown(format!(
                    "伺服器回應 HTTP {s},結果未定 / the server answered HTTP {s}: result unknown",
                    s = a.status
                ))
            }
            other => other,
        })
    }

    /// Like [`Http::exchange`], but a 4xx comes back as `Status` (a probe
    /// wants only the `Date` header of whatever answers).
    pub async fn exchange_any(
        &self,
        what: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<Exchange, NotSent> {
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                // The connection never opened, so the request was never sent.
                tracing::warn!(gateway = self.gateway, call = what, "connection failed");
                return Err(NotSent::Unreachable {
                    gateway: self.gateway,
                    why: error_chain(&e),
                });
            }
            Err(e) => {
                tracing::warn!(gateway = self.gateway, call = what, "no answer");
                return Ok(Exchange::Unknown(describe_send_error(&e)));
            }
        };
        let status = resp.status().as_u16();
        let url = resp.url().to_string();
        let date = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = match resp.text().await {
            Ok(b) => b,
            Err(e) => return Ok(Exchange::Unknown(describe_send_error(&e))),
        };
        let answer = Answer {
            status,
            url,
            date,
            body,
        };
        Ok(if (200..300).contains(&status) {
            Exchange::Answer(answer)
        } else {
            Exchange::Status(answer)
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn describe_send_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "逾時未回應,款項可能已扣 / no answer in time: the money may have moved".into()
    } else {
        format!(
            "連線中斷,款項可能已扣({}) / connection lost after sending: the money may have moved",
            error_chain(e)
        )
    }
}

/// `Unknown` for an answer body that could not be read.
pub(crate) fn malformed(gateway: &str, detail: impl fmt::Display) -> Outcome {
    Outcome::Unknown {
        why: format!(
            "{gateway} 回應格式錯誤,結果未定({detail}) / {gateway}'s answer is malformed: result unknown ({detail})"
        ),
    }
}

/// `Unknown` for an answer whose signature does not check out.
pub(crate) fn bad_signature(gateway: &str) -> Outcome {
    Outcome::Unknown {
        why: format!(
            "{gateway} 回應簽章不符,可能遭竄改,結果未定 / {gateway}'s answer has a bad signature: possibly tampered, result unknown"
        ),
    }
}

/// Joins a base URL and a path with exactly one slash.
pub(crate) fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// The timeout from a config section, in seconds.
pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n.max(1))
}

/// A payment the customer makes on the gateway's own page, opened on their
/// phone from a QR code (MyPay PayPage, `api/orders` + `api/queryorder`).
/// Kept apart from [`Gateway`]: only MyPay has it, and nothing is charged
/// when the page is made, only when the customer pays on it.
#[async_trait]
pub trait PayPageGateway: Send + Sync {
    fn id(&self) -> GatewayId;

    /// Create the order and its page. `Ok(Err(outcome))` is `Declined`, or
    /// `Unknown` when the answer was lost (then no page was shown, so
    /// nobody can pay on it).
    async fn open_page(&self, req: &PageRequest) -> Result<Result<PageOpened, Outcome>, NotSent>;

    /// What became of the order: `Approved` (paid), `Declined` (failed,
    /// abandoned or expired at the gateway), `Pending` (not paid yet, with
    /// the gateway's status code), `Unknown`. `handle` is
    /// [`PageOpened::handle`] when the journal still has it.
    async fn query_page(
        &self,
        req: &PageRequest,
        gateway_trade_no: &str,
        handle: Option<&str>,
    ) -> CallResult;
}

/// An order the customer pays on the gateway's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub trade_no: TradeNo,
    pub amount: Ntd,
    /// Empty means one line for the whole amount.
    pub items: Vec<PayItem>,
    pub at: TaipeiTime,
    /// The buyer's e-invoice choice (see [`PayRequest::buyer`]).
    pub buyer: crate::einvoice::buyer::BuyerChoice,
}

/// A page made for the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOpened {
    /// Show it as a QR code.
    pub url: String,
    /// The gateway's number for the order (MyPay `uid`).
    pub gateway_trade_no: String,
    /// What asking about the order later needs, in a form safe to journal
    /// (MyPay: the order's `key` sealed with the store key, never the key).
    pub handle: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreachable_is_retryable_as_is() {
        let u = NotSent::Unreachable {
            gateway: "jkopay",
            why: "refused".into(),
        };
        assert!(u.retryable());
        let f = NotSent::Field(crate::gateway::FieldError::Empty { field: "x" });
        assert!(!f.retryable());
    }

    #[test]
    fn wallet_codes_are_masked_in_debug() {
        let w = PayWith::WalletCode {
            wallet: Wallet::JkoPay,
            code: "22J111111111111111".into(),
        };
        assert!(!format!("{w:?}").contains("22J111111111111111"));
    }

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(
            join_url("http://a/Test/", "/Payment"),
            "http://a/Test/Payment"
        );
        assert_eq!(
            join_url("http://a/Test", "Payment"),
            "http://a/Test/Payment"
        );
    }
}
