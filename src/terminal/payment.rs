//! Wallet, card and pay-later payments: route a tender to its gateway,
//! journal every step BEFORE the request leaves, and resolve results that
//! are in doubt by each vendor's own rule.
//!
//! # The order of things, for every charge
//!
//! 1. `begin_attempt` (the journal refuses while another attempt on the sale
//!    is unresolved, so a sale is never charged twice);
//! 2. `transition(Sending)`, a durable commit, **then** the request;
//! 3. the answer is journaled: `Approved` (gateway trade number, `IsRep`),
//!    `Declined` (code and reason), or in doubt;
//! 4. in doubt is resolved by the vendor's rule, which the gateway's
//!    [`crate::gateway::rules::VendorRules`] state (this module names no
//!    vendor outside routing): JKoPay → `Cancel` with the same
//!    MerchantTradeNo, repeated until it answers (a new charge then gets
//!    the next trade number, P02); MyPay → `api/querydirect`, polled while
//!    pending, or `api/wechatconfirmation` while the customer confirms;
//!    ECPay → its ReturnURL notification; goodbuy → its callback or
//!    `order_status`.
//!
//! A crash anywhere leaves an attempt in `Sending`, `Unknown` or
//! `Cancelling`; [`Terminal::recover`] (in `terminal/recovery.rs`)
//! resolves those on start-up by the same rules. Refunds live in
//! `terminal/refund.rs`, server notifications and late payments in
//! `payment/notices.rs`.
//!
//! The gateways live in [`Payments`] (not in [`Terminal`]) so the GUI can
//! share one set of HTTP clients, tests can inject their own, and the
//! progress channel belongs to whoever is watching.

pub mod callbacks;
mod notices;
pub mod pay_later;
pub mod paypage;
mod registry;

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

use registry::route;
pub use registry::{DEFAULT_ECPAY_RETURN_URL, Payments, Tender, check_scan};

use super::attempt_notes::{items_json, rebuild_with, request_time};
use super::{Terminal, TerminalError};
use crate::gateway::client::{CancelOutcome, Gateway, NotSent, PayItem, PayRequest, PayWith};
use crate::gateway::rules::PaymentDoubt;
use crate::gateway::{Approval, CashierAction, Outcome};
use crate::journal::{AttemptRecord, AttemptState, Detail, JournalError, stamp};
use crate::locale::{Lang, Text, fill, tr};
use crate::money::Ntd;
use crate::sale::{AttemptKind, GatewayId, SaleNo, TradeNo};

/// How hard the till tries to settle a result that is in doubt before it
/// hands the attempt to `till recover` (or the GUI's retry button).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvePolicy {
    /// JKoPay Cancel calls before giving up for now (each one recorded).
    pub cancel_tries: u32,
    /// Inquiries (MyPay querydirect, goodbuy order_status) before giving up for now.
    pub polls: u32,
    /// Pause between two cancels or two inquiries.
    pub retry_interval: Duration,
    /// How often a [`PayEvent::Waiting`] is sent while a call is out.
    pub tick: Duration,
}

impl Default for ResolvePolicy {
    fn default() -> ResolvePolicy {
        ResolvePolicy {
            cancel_tries: 20,
            polls: 10,
            retry_interval: Duration::from_secs(3),
            tick: Duration::from_secs(1),
        }
    }
}

/// What till is doing about a result in doubt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Resolving {
    /// JKoPay: sending Cancel with the same trade number (try n).
    Cancelling { try_no: u32 },
    /// Asking the gateway what became of the payment (poll n).
    Querying { poll: u32 },
    /// Waiting for the gateway's notification (ECPay ReturnURL, goodbuy callback).
    AwaitingCallback,
    /// WeChat Pay 280: the customer confirms in the app.
    AwaitingCustomer,
}

/// Progress of one payment, for the screen ("等待街口支付回應… 8 秒").
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PayEvent {
    /// The request is journaled and on its way.
    Sending {
        gateway: GatewayId,
        trade_no: String,
        /// RFC 3339, +08:00.
        since: String,
    },
    /// Still waiting for the answer.
    Waiting {
        gateway: GatewayId,
        trade_no: String,
        elapsed_secs: u64,
    },
    /// No definite answer: what till does about it.
    Unknown {
        gateway: GatewayId,
        trade_no: String,
        doing: Resolving,
    },
    /// The attempt reached this state.
    Resolved {
        gateway: GatewayId,
        trade_no: String,
        state: AttemptState,
    },
}

/// A gateway's name as cashiers know it.
pub fn gateway_name_zh(g: GatewayId) -> &'static str {
    crate::gateway::rules::of(g).name_zh()
}

impl PayEvent {
    /// One line for the screen, zh-TW first (from `words.pay_event`).
    pub fn message(&self) -> String {
        if let PayEvent::Resolved { state, .. } = self {
            return format!("{} / {}", state.name_zh(), state.as_str());
        }
        format!("{} / {}", self.said(Lang::ZhTw), self.said(Lang::En))
    }

    /// The line in `lang`.
    fn said(&self, lang: Lang) -> String {
        let name = |g: &GatewayId| match lang {
            Lang::ZhTw => gateway_name_zh(*g),
            Lang::En => g.as_str(),
        };
        match self {
            PayEvent::Sending { gateway, .. } => fill(
                lang,
                "words.pay_event.sending",
                &[("gateway", &name(gateway))],
            ),
            PayEvent::Waiting {
                gateway,
                elapsed_secs,
                ..
            } => fill(
                lang,
                "words.pay_event.waiting",
                &[("gateway", &name(gateway)), ("secs", elapsed_secs)],
            ),
            PayEvent::Unknown { doing, .. } => match doing {
                Resolving::Cancelling { try_no } => {
                    fill(lang, "words.pay_event.cancelling", &[("try", try_no)])
                }
                Resolving::Querying { poll } => {
                    fill(lang, "words.pay_event.querying", &[("poll", poll)])
                }
                Resolving::AwaitingCallback => tr(lang, "words.pay_event.awaiting_callback"),
                Resolving::AwaitingCustomer => tr(lang, "words.pay_event.awaiting_customer"),
            },
            PayEvent::Resolved { state, .. } => match lang {
                Lang::ZhTw => state.name_zh().to_string(),
                Lang::En => state.as_str().to_string(),
            },
        }
    }
}

/// Both languages of `key`, zh-TW first, followed by `tail` (a gateway's
/// own words, a reason) as the till has always written it after them.
pub(super) fn both_then(key: &str, tail: &str) -> String {
    format!("{} / {}{tail}", tr(Lang::ZhTw, key), tr(Lang::En, key))
}

impl Payments {
    /// The journal detail of a payment's approval. A MyPay approval that
    /// carries no invoice yet, when MyPay issues them, leaves it owed
    /// ([`crate::journal::MYPAY_INVOICE_DUE`], fetched by
    /// [`Terminal::fetch_mypay_invoices`]): never silently skipped.
    pub(super) fn approval_detail(&self, a: &Approval) -> Detail {
        let d = approval_detail(a);
        let issued = a
            .einvoice
            .as_deref()
            .is_some_and(|f| crate::einvoice::mypay::MypayInvoice::from_fields(f).is_ok());
        if self.mypay_issues
            && crate::gateway::rules::of(a.gateway).invoices_with_payment()
            && !issued
        {
            d.mypay_invoice_due(true)
        } else {
            d
        }
    }

    pub(super) fn emit(&self, e: PayEvent) {
        if let Some(tx) = &self.events {
            // A closed screen is no reason to stop a payment.
            let _ = tx.send(e);
        }
    }

    /// Pause `length` between two asks, unless the cashier cancels first
    /// (true then): the payment stops waiting and stays in doubt, for the
    /// 確認中 screen or `till recover` to settle.
    pub(super) async fn pause(&self, length: Duration) -> bool {
        let Some(mut cancel) = self.cancel.clone() else {
            tokio::time::sleep(length).await;
            return false;
        };
        if cancel.is_cancelled() {
            return true;
        }
        tokio::select! {
            () = tokio::time::sleep(length) => false,
            () = cancel.cancelled() => true,
        }
    }

    /// Await a gateway call, sending `Waiting` every tick while it is out.
    pub(super) async fn timed<F: Future>(
        &self,
        gateway: GatewayId,
        trade: &TradeNo,
        fut: F,
    ) -> F::Output {
        if self.events.is_none() {
            return fut.await;
        }
        let start = Instant::now();
        let tick = self.policy.tick.max(Duration::from_millis(10));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + tick, tick);
        tokio::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => return out,
                _ = ticks.tick() => self.emit(PayEvent::Waiting {
                    gateway,
                    trade_no: trade.to_string(),
                    elapsed_secs: start.elapsed().as_secs(),
                }),
            }
        }
    }
}

/// The cashier's 取消 / Cancel while a payment waits for its answer: a
/// cooperative signal (a tokio watch channel; tokio is already here, so no
/// crate for it). It only stops the waiting: what the payment became is
/// then settled by its gateway's own rule for a payment in doubt (JKoPay
/// cancels with the same trade number, MyPay is asked), journaled step by
/// step, so money a customer already paid is never lost and an answer that
/// came first stands.
#[derive(Debug, Clone)]
pub struct PayCancel(tokio::sync::watch::Receiver<bool>);

/// The button's end of a [`PayCancel`].
#[derive(Debug)]
pub struct CancelPay(tokio::sync::watch::Sender<bool>);

/// A cancel signal for one payment: the button's end and the payment's.
pub fn pay_cancel() -> (CancelPay, PayCancel) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    (CancelPay(tx), PayCancel(rx))
}

impl CancelPay {
    /// Ask the payment to stop waiting (nothing happens once it answered).
    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

impl PayCancel {
    /// Whether the cashier cancelled.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the cashier cancelled; never when the button's end
    /// is gone without a cancel.
    pub async fn cancelled(&mut self) {
        if self.0.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Journaled when the cashier stopped waiting for an answer.
pub const CANCELLED_WHILE_WAITING: &str = "收銀員取消等待,依金流規則確認結果 / the cashier stopped waiting: settling it by the gateway's rule";

/// Why a payment workflow could not run. When one of these comes back no
/// request was sent, except [`PayError::Journal`] after `Sending`, which
/// `till recover` then resolves. Worded from the locale files
/// (`words.pay`); `Display` gives both languages, for logs.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error(transparent)]
    Terminal(#[from] TerminalError),
    InFlight {
        trade: String,
        state: AttemptState,
        zh: &'static str,
    },
    #[error(transparent)]
    Journal(JournalError),
    /// What was scanned instead, in words.
    NotAPaymentCode(Text),
    NoGateway(GatewayId),
    NoSuchAttempt(String),
    NothingToRefund,
    NoLatePayment(String),
    NotManager,
    ReasonRequired,
    /// Refused before anything was journaled or sent (the gateway's own
    /// rule, or a refund that would have to be split across tenders),
    /// already worded in both languages where it was found.
    RefundNotAllowed(String),
    #[error(transparent)]
    Invoicing(#[from] super::InvoicingError),
    /// The PayPage could not be made: the attempt ended as the result says
    /// (nothing can have been charged: nobody saw a page to pay on).
    PayPageNotOpened(Box<PayResult>),
}

impl crate::locale::Localized for PayError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{Lang, fill, tr};
        match self {
            Self::Terminal(e) => e.message(lang),
            Self::InFlight { trade, state, zh } => {
                let state = match lang {
                    Lang::ZhTw => (*zh).to_string(),
                    Lang::En => state.to_string(),
                };
                fill(
                    lang,
                    "words.pay.in_flight",
                    &[("trade", trade), ("state", &state)],
                )
            }
            Self::Journal(e) => e.message(lang),
            Self::NotAPaymentCode(scanned) => fill(
                lang,
                "words.pay.not_a_payment_code",
                &[("code", &scanned.message(lang))],
            ),
            Self::NoGateway(g) => {
                let name = match lang {
                    Lang::ZhTw => gateway_name_zh(*g),
                    Lang::En => g.as_str(),
                };
                fill(lang, "words.pay.no_gateway", &[("gateway", &name)])
            }
            Self::NoSuchAttempt(trade) => {
                fill(lang, "words.pay.no_such_attempt", &[("trade", trade)])
            }
            Self::NothingToRefund => tr(lang, "words.pay.nothing_to_refund"),
            Self::NoLatePayment(sale) => fill(lang, "words.pay.no_late_payment", &[("sale", sale)]),
            Self::NotManager => tr(lang, "words.pay.not_manager"),
            Self::ReasonRequired => tr(lang, "words.pay.reason_required"),
            // Already worded where the refusal was found.
            Self::RefundNotAllowed(text) => text.clone(),
            Self::Invoicing(e) => e.message(lang),
            // The result's own message, worded when the attempt ended.
            Self::PayPageNotOpened(result) => result.message.clone(),
        }
    }

    /// Both languages; a text already worded in both is shown once.
    fn both(&self) -> String {
        match self {
            Self::RefundNotAllowed(text) => text.clone(),
            Self::PayPageNotOpened(result) => result.message.clone(),
            _ => format!(
                "{} / {}",
                self.message(crate::locale::Lang::ZhTw),
                self.message(crate::locale::Lang::En)
            ),
        }
    }
}

crate::display_both!(PayError);

impl From<JournalError> for PayError {
    fn from(e: JournalError) -> PayError {
        match e {
            JournalError::AttemptInFlight { trade, state } => PayError::InFlight {
                trade,
                state,
                zh: state.name_zh(),
            },
            other => PayError::Journal(other),
        }
    }
}

/// Where an attempt ended up, for the screen and for scripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayResult {
    pub sale_no: String,
    pub trade_no: String,
    pub kind: AttemptKind,
    pub gateway: GatewayId,
    pub amount: Ntd,
    pub state: AttemptState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_trade_no: Option<String>,
    /// The gateway's status code when it declined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// zh-TW / English, for the cashier.
    pub message: String,
    pub action: CashierAction,
    /// The gateway answered a repeat of an earlier request (JKoPay IsRep):
    /// the same payment, booked once.
    pub is_repeat: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

impl PayResult {
    /// `till pay` exit code: 0 approved, 1 declined (or cancelled: nothing
    /// charged), 2 still in doubt or pending.
    pub fn exit_code(&self) -> u8 {
        match self.state {
            AttemptState::Approved => 0,
            AttemptState::Declined | AttemptState::Cancelled | AttemptState::Abandoned => 1,
            _ => 2,
        }
    }

    pub(super) fn from_record(rec: &AttemptRecord, gateway: GatewayId) -> PayResult {
        let last = rec.events.last().map(|e| e.notes()).unwrap_or_default();
        let code = last.code;
        let is_repeat = rec.events.iter().any(|e| e.notes().is_rep == Some(true));
        let review = last.review;
        let (message, action) = state_message(rec.kind, rec.state, rec.last_error.as_deref());
        PayResult {
            sale_no: rec.trade_no.sale().to_string(),
            trade_no: rec.trade_no.to_string(),
            kind: rec.kind,
            gateway,
            amount: rec.amount,
            state: rec.state,
            // Some answers carry an empty number: that is no number.
            gateway_trade_no: rec
                .gateway_trade_no
                .clone()
                .filter(|n| !n.trim().is_empty()),
            code,
            message,
            action,
            is_repeat,
            review,
        }
    }
}

/// What the cashier (and a script's `message`) is told about an attempt:
/// a refund in refund words, never "付款成功 / approved".
fn state_message(
    kind: AttemptKind,
    state: AttemptState,
    error: Option<&str>,
) -> (String, CashierAction) {
    let err = error.unwrap_or("");
    if kind == AttemptKind::Refund {
        return match state {
            AttemptState::Approved => (
                both_then("words.pay_result.refunded", ""),
                CashierAction::None,
            ),
            AttemptState::Declined => (
                both_then("words.pay_result.refund_declined", &format!(": {err}")),
                CashierAction::None,
            ),
            AttemptState::Cancelled => (
                both_then("words.pay_result.refund_withdrawn", ""),
                CashierAction::None,
            ),
            AttemptState::Abandoned => (
                both_then("words.pay_result.refund_never_sent", ""),
                CashierAction::RetryLater,
            ),
            _ => (
                both_then("words.pay_result.refund_in_doubt", &format!(" ({err})")),
                CashierAction::WaitAndQuery,
            ),
        };
    }
    match state {
        AttemptState::Approved => (
            both_then("words.pay_result.approved", ""),
            CashierAction::None,
        ),
        AttemptState::Declined => (
            both_then("words.pay_result.declined", &format!(": {err}")),
            CashierAction::AskForAnotherPayment,
        ),
        AttemptState::Cancelled => (
            both_then("words.pay_result.cancelled", ""),
            CashierAction::CancelAndRetry,
        ),
        AttemptState::Abandoned => (
            both_then("words.pay_result.never_sent", ""),
            CashierAction::RetryLater,
        ),
        AttemptState::Cancelling => (
            both_then("words.pay_result.cancel_in_doubt", &format!(" ({err})")),
            CashierAction::WaitAndQuery,
        ),
        _ => (
            both_then("words.pay_result.in_doubt", &format!(" ({err})")),
            CashierAction::WaitAndQuery,
        ),
    }
}

/// Why a JKoPay attempt in doubt is not cancelled after a restart: NOTES
/// §1 says Cancel carries the same fields as Payment, the CardToken
/// included, and it can no longer be opened (the merchant key changed, or
/// the journal predates sealed codes). No Cancel goes out with a made-up
/// token; a manager settles it from JKoPay's back office (`till settle`).
pub const NO_CARD_TOKEN: &str = "無法取得顧客的街口付款碼,不能送出取消;請至街口後台確認後由主管以 till settle 結案 / the customer's JKoPay CardToken is not available, so no Cancel can be sent: check JKoPay's back office, then a manager settles it (till settle)";

pub(super) fn rebuild_request(rec: &AttemptRecord, code: Option<String>) -> PayRequest {
    PayRequest {
        trade_no: rec.trade_no.clone(),
        amount: rec.amount,
        with: rebuild_with(rec, code),
        items: Vec::new(),
        at: request_time(rec),
        buyer: Default::default(),
    }
}

pub(super) fn approval_detail(a: &Approval) -> Detail {
    let mut d = Detail::new()
        .gateway_trade_no(a.gateway_trade_no.clone())
        .is_rep(a.is_repeat)
        .approved_amount(a.amount.dollars());
    // The wallet MyPay's auto-detect found: the report names it.
    d.wallet = a.wallet;
    if let Some(r) = &a.review {
        d = d.review(r.clone());
    }
    if let Some(t) = a.paid_at {
        d = d.paid_at(stamp(t));
    }
    if let Some(fields) = &a.einvoice {
        // Journaled with the approval, in the same commit (see mypay_invoice.rs).
        d = d.mypay_invoice(serde_json::to_value(fields).unwrap_or_default());
    }
    d
}

/// Test hook (debug builds only, never in a release binary): with
/// `TILL_TEST_HOLD_AFTER_ANSWER=1` set, `till pay` stops between the
/// gateway's answer and the journal write, says so on stderr
/// ([`CRASH_HOOK_MARK`]) and waits to be killed. The crash tests
/// (`tests/pay_crash.rs`) SIGKILL it there: the stage "answered but not
/// journaled" cannot be reached from outside the process without a sleep.
#[cfg(debug_assertions)]
fn crash_test_hook(trade: &TradeNo) {
    if std::env::var_os("TILL_TEST_HOLD_AFTER_ANSWER").is_some() {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{CRASH_HOOK_MARK} {trade}");
        let _ = err.flush();
        drop(err);
        loop {
            std::thread::park();
        }
    }
}

#[cfg(not(debug_assertions))]
fn crash_test_hook(_trade: &TradeNo) {}

/// The stderr line [`crash_test_hook`] writes once the answer is in.
pub const CRASH_HOOK_MARK: &str = "till-test-hook: answered, not journaled";

/// Where an attempt in doubt can go next, for the notice that settles it.
pub(super) fn in_doubt(state: AttemptState) -> bool {
    matches!(state, AttemptState::Sending | AttemptState::Unknown)
}

/// What a server notification did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeEffect {
    /// The attempt moved to this state.
    Recorded(AttemptState),
    /// The journal already had this result: nothing changed.
    AlreadyRecorded(AttemptState),
    /// The notice says nothing final (pending, simulated): nothing changed.
    Ignored,
    /// The gateway took money on an attempt the till had closed: on record
    /// as owed back to the customer ([`Terminal::late_payments`]).
    LatePayment,
}

impl Terminal {
    /// The full payment code sealed for `rec` while it is unsettled (JKoPay
    /// keeps it for the recovery Cancel), opened with the merchant key.
    pub(super) fn unsealed_code(
        &self,
        payments: &Payments,
        rec: &AttemptRecord,
    ) -> Result<Option<String>, PayError> {
        let Some(seal) = &payments.token_seal else {
            return Ok(None);
        };
        let Some(sealed) = self.journal.sealed_code(&rec.trade_no)? else {
            return Ok(None);
        };
        let opened = seal.open(&rec.trade_no.to_string(), &sealed);
        if opened.is_none() {
            tracing::warn!(trade = %rec.trade_no, "sealed payment code does not open with the configured merchant key");
        }
        Ok(opened)
    }

    /// The buyer's e-invoice choice kept for `sale`
    /// ([`Terminal::remember_buyer_choice`]), paper when none was: MyPay
    /// issues the invoice with it when it is the issuer.
    pub(super) fn buyer_choice(
        &self,
        sale: &SaleNo,
    ) -> Result<crate::einvoice::buyer::BuyerChoice, PayError> {
        Ok(self
            .journal
            .remembered_buyer_choice(sale)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    /// Charge `amount` on `sale` with a scanned code or a chosen tender.
    /// MyPay, when it issues the e-invoice, issues it as the buyer chose
    /// (kept by [`Terminal::remember_buyer_choice`] before paying).
    ///
    /// Comes back with the attempt's final state, or `Unknown` /
    /// `Cancelling` when it could not be settled yet (then no other charge
    /// on the sale can start until it is: query it or run `till recover`).
    pub async fn pay(
        &mut self,
        payments: &Payments,
        sale: &SaleNo,
        tender: Tender,
        amount: Ntd,
        items: Vec<PayItem>,
    ) -> Result<PayResult, PayError> {
        let route = route(tender)?;
        let gw = payments.gateway(route.gateway)?;
        let rules = gw.rules();
        let trade = self.journal.begin_attempt(
            sale,
            AttemptKind::Payment,
            Some(route.gateway),
            route.method,
            amount,
            route.masked.as_ref(),
        )?;
        if rules.cancel_needs_payment_code()
            && let (PayWith::WalletCode { code, .. }, Some(seal)) =
                (&route.with, &payments.token_seal)
        {
            // A Cancel after a crash needs the full CardToken: kept sealed
            // (key outside the journal) until the attempt settles.
            self.journal
                .keep_sealed_code(&trade, &seal.seal(&trade.to_string(), code))?;
        }
        let at = self.now();
        let mut sending = Detail::new().at(stamp(at));
        if let PayWith::PayLater { pay_type, .. } = &route.with {
            sending = sending.pay_type(pay_type.as_str());
        }
        if rules.invoices_with_payment() && !items.is_empty() {
            // A refund with an e-invoice must name the items as sold.
            sending = sending.items(items_json(&items));
        }
        let buyer = if rules.invoices_with_payment() {
            self.buyer_choice(sale)?
        } else {
            Default::default()
        };
        let req = PayRequest {
            trade_no: trade.clone(),
            amount,
            with: route.with,
            items,
            at,
            buyer,
        };
        // Durable before the first byte leaves.
        self.journal
            .transition(&trade, AttemptState::Sending, sending)?;
        payments.emit(PayEvent::Sending {
            gateway: route.gateway,
            trade_no: trade.to_string(),
            since: stamp(at),
        });
        tracing::info!(trade = %trade, gateway = route.gateway.as_str(), %amount, "payment sent");
        let call = payments.timed(route.gateway, &trade, gw.pay(&req));
        let answer = match payments.cancel.clone() {
            None => call.await,
            // An answer that is there when the cancel comes wins (`biased`):
            // a cancel after approval changes nothing.
            Some(mut cancel) => tokio::select! {
                biased;
                answer = call => answer,
                () = cancel.cancelled() => {
                    tracing::info!(trade = %trade, "the cashier cancelled while waiting");
                    Ok(Outcome::Unknown { why: CANCELLED_WHILE_WAITING.to_string() })
                }
            },
        };
        crash_test_hook(&trade);
        self.settle_payment(payments, gw.as_ref(), &req, answer)
            .await
    }

    /// Journal the answer to a payment sent from `Sending`, and resolve it
    /// when it is in doubt.
    async fn settle_payment(
        &mut self,
        payments: &Payments,
        gw: &dyn Gateway,
        req: &PayRequest,
        answer: Result<Outcome, NotSent>,
    ) -> Result<PayResult, PayError> {
        let trade = &req.trade_no;
        match answer {
            Err(e) => {
                // Nothing reached the gateway: no money can have moved.
                self.journal.transition(
                    trade,
                    AttemptState::Declined,
                    Detail::new().error(e.to_string()).not_sent(true),
                )?;
            }
            // The first send of a payment answered as a repeat: the
            // gateway already had a payment under this number from before
            // this till sent it (a lost or restored journal reused the
            // number). It is not this customer's money: nothing new was
            // charged, and the old payment is not this sale's to book.
            Ok(Outcome::Approved(a)) if a.is_repeat => {
                tracing::error!(trade = %trade, gateway_trade_no = %a.gateway_trade_no, "payment answered as a repeat on its first send: trade number used before");
                self.journal.transition(
                    trade,
                    AttemptState::Declined,
                    Detail::new()
                        .error(
                            Text::new("words.pay_note.repeat_on_first_send")
                                .arg("n", &a.gateway_trade_no)
                                .to_string(),
                        )
                        .code("IsRep")
                        .repeat_of(a.gateway_trade_no.clone()),
                )?;
            }
            Ok(Outcome::Approved(a)) => {
                self.journal.transition(
                    trade,
                    AttemptState::Approved,
                    payments.approval_detail(&a),
                )?;
            }
            Ok(Outcome::Declined(d)) => {
                self.journal.transition(
                    trade,
                    AttemptState::Declined,
                    Detail::new().error(d.reason.clone()).code(d.code.clone()),
                )?;
            }
            Ok(o @ (Outcome::Pending(_) | Outcome::Unknown { .. })) => {
                let (why, code, reference) = match &o {
                    Outcome::Pending(p) => {
                        (p.reason.clone(), Some(p.code.clone()), p.reference.clone())
                    }
                    Outcome::Unknown { why } => (why.clone(), None, None),
                    _ => unreachable!(),
                };
                let mut d = Detail::new().error(why);
                if let Some(c) = &code {
                    d = d.code(c.clone());
                }
                let rules = gw.rules();
                let waiting_for_customer =
                    code.as_deref().is_some_and(|c| rules.awaits_customer(c));
                if waiting_for_customer && let Some(reference) = reference {
                    // Unresolved in the journal (no second charge can
                    // start) while the customer confirms in the app.
                    self.journal.transition(
                        trade,
                        AttemptState::Unknown,
                        d.wechat_trade_no(reference.clone()),
                    )?;
                    self.confirm_until_settled(payments, gw, req, &reference)
                        .await?;
                    return self.result_of(payments, trade, gw.id());
                }
                if rules.pending_reference_is_payer_page()
                    && let Some(page) = reference.as_deref().and_then(pay_later::journal_value)
                {
                    // How the customer pays, for the pay-later slip.
                    d = d.pay_later(page);
                }
                if rules.payment_doubt() == PaymentDoubt::Cancel {
                    // No result within 15 s, or 801: cancel, same MerchantTradeNo.
                    self.journal
                        .transition(trade, AttemptState::Cancelling, d)?;
                } else {
                    self.journal.transition(trade, AttemptState::Unknown, d)?;
                }
                return self.resolve(payments, gw, req, !waiting_for_customer).await;
            }
        }
        self.result_of(payments, trade, gw.id())
    }

    /// Settle an attempt in doubt by its gateway's rule. `query_now` false
    /// skips inquiries (pay-later: the customer pays tomorrow).
    pub(super) async fn resolve(
        &mut self,
        payments: &Payments,
        gw: &dyn Gateway,
        req: &PayRequest,
        query_now: bool,
    ) -> Result<PayResult, PayError> {
        let trade = &req.trade_no;
        let id = gw.id();
        let state = self.state_of(trade)?;
        let cancels = gw.rules().payment_doubt() == PaymentDoubt::Cancel;
        match (cancels, state) {
            (_, AttemptState::Created) => {
                self.journal.transition(
                    trade,
                    AttemptState::Abandoned,
                    Detail::new().recovered("never sent"),
                )?;
            }
            (true, AttemptState::Sending | AttemptState::Unknown) => {
                self.journal.transition(
                    trade,
                    AttemptState::Cancelling,
                    Detail::new().error(both_then("words.pay_note.cancelling_in_doubt", "")),
                )?;
                self.cancel_until_confirmed(payments, gw, req).await?;
            }
            (_, AttemptState::Cancelling) => {
                self.cancel_until_confirmed(payments, gw, req).await?;
            }
            (_, AttemptState::Sending) => {
                self.journal.transition(
                    trade,
                    AttemptState::Unknown,
                    Detail::new().error(both_then("words.pay_note.interrupted_sending", "")),
                )?;
                self.query_until_settled(payments, gw, req, query_now)
                    .await?;
            }
            (_, AttemptState::Unknown) => match self.wechat_reference(trade)? {
                Some(reference) => {
                    self.confirm_until_settled(payments, gw, req, &reference)
                        .await?
                }
                None => {
                    self.query_until_settled(payments, gw, req, query_now)
                        .await?
                }
            },
            _ => {}
        }
        self.result_of(payments, trade, id)
    }

    /// Attempt `trade` as the journal holds it; an unknown trade number is
    /// the caller's mistake, said as such.
    pub(super) fn known_attempt(&self, trade: &TradeNo) -> Result<AttemptRecord, PayError> {
        self.journal
            .attempt(trade)?
            .ok_or_else(|| PayError::NoSuchAttempt(trade.to_string()))
    }

    /// The WeChat `TradeNo` a 280 answer left on the attempt, if any.
    fn wechat_reference(&self, trade: &TradeNo) -> Result<Option<String>, PayError> {
        let rec = self.known_attempt(trade)?;
        Ok(rec
            .events
            .iter()
            .rev()
            .find_map(|e| e.notes().wechat_trade_no))
    }

    fn state_of(&self, trade: &TradeNo) -> Result<AttemptState, PayError> {
        Ok(self.known_attempt(trade)?.state)
    }

    pub(super) fn result_of(
        &self,
        payments: &Payments,
        trade: &TradeNo,
        gateway: GatewayId,
    ) -> Result<PayResult, PayError> {
        let rec = self.known_attempt(trade)?;
        if rec.state.is_final() {
            payments.emit(PayEvent::Resolved {
                gateway,
                trade_no: trade.to_string(),
                state: rec.state,
            });
        }
        Ok(PayResult::from_record(&rec, gateway))
    }

    /// JKoPay: Cancel with the same MerchantTradeNo until it answers; every
    /// try is journaled. Leaves the attempt `Cancelling` when the tries run out.
    async fn cancel_until_confirmed(
        &mut self,
        payments: &Payments,
        gw: &dyn Gateway,
        req: &PayRequest,
    ) -> Result<(), PayError> {
        let trade = &req.trade_no;
        let policy = payments.policy;
        for try_no in 1..=policy.cancel_tries.max(1) {
            payments.emit(PayEvent::Unknown {
                gateway: gw.id(),
                trade_no: trade.to_string(),
                doing: Resolving::Cancelling { try_no },
            });
            let answer = payments.timed(gw.id(), trade, gw.cancel(req)).await;
            let mut wait = policy.retry_interval;
            let retry = match answer {
                Ok(CancelOutcome::Cancelled) => {
                    self.journal.transition(
                        trade,
                        AttemptState::Cancelled,
                        Detail::new().cancel_try(try_no),
                    )?;
                    return Ok(());
                }
                Ok(CancelOutcome::NothingToCancel) => {
                    self.journal.transition(
                        trade,
                        AttemptState::Cancelled,
                        Detail::new().cancel_try(try_no).nothing_to_cancel(true),
                    )?;
                    return Ok(());
                }
                Ok(CancelOutcome::Refused(d)) => {
                    // Not a "no": a person must look (the order may be
                    // refunded already, or our keys are wrong).
                    self.journal.transition(
                        trade,
                        AttemptState::Cancelling,
                        Detail::new()
                            .error(both_then(
                                "words.pay_note.cancel_refused",
                                &format!(": {} {}", d.code, d.reason),
                            ))
                            .code(d.code.clone())
                            .cancel_try(try_no),
                    )?;
                    return Ok(());
                }
                Ok(CancelOutcome::Unknown { why }) => Detail::new().error(why),
                Ok(CancelOutcome::NotYet { why, retry_in }) => {
                    // The gateway may still book the payment: its "no such
                    // payment" means something only after retry_in.
                    wait = wait.max(retry_in + Duration::from_millis(50));
                    Detail::new().error(why)
                }
                Err(e) if e.retryable() => Detail::new().error(e.to_string()),
                Err(e) => {
                    self.journal.transition(
                        trade,
                        AttemptState::Cancelling,
                        Detail::new().error(e.to_string()).cancel_try(try_no),
                    )?;
                    return Ok(());
                }
            };
            self.journal
                .transition(trade, AttemptState::Cancelling, retry.cancel_try(try_no))?;
            if try_no < policy.cancel_tries {
                tokio::time::sleep(wait).await;
            }
        }
        Ok(())
    }

    /// MyPay WECHATOFF 280: the customer confirms in the app; ask
    /// `api/wechatconfirmation` every `retry_interval`, at most `polls`
    /// times (each answer journaled). Still unconfirmed: the attempt stays
    /// `Unknown` for `till recover` / `query`, which come back here.
    async fn confirm_until_settled(
        &mut self,
        payments: &Payments,
        gw: &dyn Gateway,
        req: &PayRequest,
        reference: &str,
    ) -> Result<(), PayError> {
        let trade = &req.trade_no;
        let id = gw.id();
        let policy = payments.policy;
        for poll in 1..=policy.polls.max(1) {
            payments.emit(PayEvent::Unknown {
                gateway: id,
                trade_no: trade.to_string(),
                doing: Resolving::AwaitingCustomer,
            });
            // The customer needs a moment to open the app.
            if payments.pause(policy.retry_interval).await {
                // The cashier stopped waiting: in doubt still, unless a
                // notification settled it meanwhile.
                if self.state_of(trade)? == AttemptState::Unknown {
                    self.journal.transition(
                        trade,
                        AttemptState::Unknown,
                        Detail::new()
                            .error(CANCELLED_WHILE_WAITING)
                            .wechat_trade_no(reference),
                    )?;
                }
                return Ok(());
            }
            if self.state_of(trade)? != AttemptState::Unknown {
                // A notification settled it meanwhile.
                return Ok(());
            }
            let answer = payments.timed(id, trade, gw.confirm(req, reference)).await;
            let d = match answer {
                Ok(Outcome::Approved(a)) => {
                    self.journal.transition(
                        trade,
                        AttemptState::Approved,
                        payments
                            .approval_detail(&a)
                            .confirm_poll(poll)
                            .wechat_trade_no(reference),
                    )?;
                    return Ok(());
                }
                Ok(Outcome::Declined(d)) => {
                    self.journal.transition(
                        trade,
                        AttemptState::Declined,
                        Detail::new()
                            .error(d.reason.clone())
                            .code(d.code.clone())
                            .confirm_poll(poll)
                            .wechat_trade_no(reference),
                    )?;
                    return Ok(());
                }
                Ok(Outcome::Pending(p)) => Detail::new().error(p.reason).code(p.code),
                Ok(Outcome::Unknown { why }) => Detail::new().error(why),
                Err(e) => Detail::new().error(e.to_string()),
            };
            self.journal.transition(
                trade,
                AttemptState::Unknown,
                d.confirm_poll(poll).wechat_trade_no(reference),
            )?;
        }
        Ok(())
    }

    /// MyPay querydirect / goodbuy order_status until the result is final
    /// or the polls run out (each poll journaled).
    async fn query_until_settled(
        &mut self,
        payments: &Payments,
        gw: &dyn Gateway,
        req: &PayRequest,
        query_now: bool,
    ) -> Result<(), PayError> {
        let trade = &req.trade_no;
        let id = gw.id();
        let rules = gw.rules();
        let doubt = rules.payment_doubt();
        if !query_now || doubt == PaymentDoubt::AwaitNotice {
            let doing = if query_now {
                Resolving::AwaitingCallback
            } else if rules.customer_confirms_in_app() {
                Resolving::AwaitingCustomer
            } else {
                Resolving::AwaitingCallback
            };
            payments.emit(PayEvent::Unknown {
                gateway: id,
                trade_no: trade.to_string(),
                doing,
            });
            return Ok(());
        }
        let policy = payments.policy;
        // `polls: 0` leaves the asking to the caller (the GUI's 確認中 screen).
        let polls = match doubt {
            PaymentDoubt::Query { polls: Some(n) } => n,
            _ => policy.polls,
        };
        for poll in 1..=polls {
            payments.emit(PayEvent::Unknown {
                gateway: id,
                trade_no: trade.to_string(),
                doing: Resolving::Querying { poll },
            });
            let answer = payments.timed(id, trade, gw.query(req)).await;
            let d = match answer {
                Ok(Outcome::Approved(a)) => {
                    self.journal.transition(
                        trade,
                        AttemptState::Approved,
                        payments.approval_detail(&a).poll(poll),
                    )?;
                    return Ok(());
                }
                Ok(Outcome::Declined(d)) => {
                    self.journal.transition(
                        trade,
                        AttemptState::Declined,
                        Detail::new()
                            .error(d.reason.clone())
                            .code(d.code.clone())
                            .poll(poll),
                    )?;
                    return Ok(());
                }
                Ok(Outcome::Pending(p)) => Detail::new().error(p.reason).code(p.code),
                Ok(Outcome::Unknown { why }) => Detail::new().error(why),
                Err(e) if e.retryable() => Detail::new().error(e.to_string()),
                Err(e) => {
                    // This gateway cannot be asked: wait for its notification.
                    self.journal.transition(
                        trade,
                        AttemptState::Unknown,
                        Detail::new().error(e.to_string()).poll(poll),
                    )?;
                    return Ok(());
                }
            };
            self.journal
                .transition(trade, AttemptState::Unknown, d.poll(poll))?;
            if poll < polls && payments.pause(policy.retry_interval).await {
                // The cashier stopped waiting: in doubt still, unless a
                // notification settled it meanwhile.
                if self.state_of(trade)? == AttemptState::Unknown {
                    self.journal.transition(
                        trade,
                        AttemptState::Unknown,
                        Detail::new().error(CANCELLED_WHILE_WAITING).poll(poll),
                    )?;
                }
                return Ok(());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_message_counts_seconds_in_chinese_first() {
        let e = PayEvent::Waiting {
            gateway: GatewayId::JkoPay,
            trade_no: "x".into(),
            elapsed_secs: 8,
        };
        assert!(e.message().starts_with("等待街口支付回應… 8 秒"));
    }

    /// What the cashier is told about an attempt comes from the locale
    /// files, each language apart, and reads as the till always wrote it
    /// (the gateway's reason after both).
    #[test]
    fn outcomes_and_progress_are_worded_from_the_locale_files() {
        use crate::locale::Lang;
        let (declined, _) = state_message(
            AttemptKind::Payment,
            AttemptState::Declined,
            Some("餘額不足"),
        );
        assert_eq!(declined, "交易失敗 / declined: 餘額不足");
        let (doubt, _) = state_message(AttemptKind::Refund, AttemptState::Unknown, Some("逾時"));
        assert_eq!(
            doubt,
            "退款結果未定,勿重複退款;稍後查詢 / refund result not known yet: do not refund \
             again; query later (逾時)"
        );
        let e = PayEvent::Sending {
            gateway: GatewayId::JkoPay,
            trade_no: "x".into(),
            since: String::new(),
        };
        assert_eq!(e.said(Lang::ZhTw), "傳送至街口支付…");
        assert_eq!(e.said(Lang::En), "sending to jkopay…");
        assert_eq!(e.message(), "傳送至街口支付… / sending to jkopay…");
        let e = PayEvent::Unknown {
            gateway: GatewayId::JkoPay,
            trade_no: "x".into(),
            doing: Resolving::Cancelling { try_no: 3 },
        };
        assert_eq!(e.said(Lang::ZhTw), "確認中:取消未明交易(第 3 次)");
        assert_eq!(
            e.said(Lang::En),
            "confirming: cancelling the attempt in doubt (try 3)"
        );
    }

    /// A payment refusal read in one language is in that language only,
    /// from the locale files, and its `Display` (logs, the GUI's
    /// `one_language`) is both, zh-TW first, worded as the till always did.
    #[test]
    fn a_pay_error_is_worded_in_each_language_from_the_locale_files() {
        use crate::locale::{Lang, Localized};
        let e = PayError::NoGateway(GatewayId::JkoPay);
        assert_eq!(e.message(Lang::ZhTw), "未設定 街口支付 金流");
        assert_eq!(e.message(Lang::En), "the jkopay gateway is not configured");
        assert_eq!(
            e.to_string(),
            "未設定 街口支付 金流 / the jkopay gateway is not configured"
        );

        let e = PayError::from(JournalError::AttemptInFlight {
            trade: "T0126010100001P01".into(),
            state: AttemptState::Unknown,
        });
        let zh = e.message(Lang::ZhTw);
        let en = e.message(Lang::En);
        assert!(
            zh.starts_with("此交易的付款 T0126010100001P01 尚未完成(")
                && zh.contains(AttemptState::Unknown.name_zh())
                && !zh.contains("unknown"),
            "{zh}"
        );
        assert_eq!(
            en,
            "payment T0126010100001P01 on this sale is still unknown: wait for its \
             result or run `till recover`; do not charge again"
        );
        assert_eq!(e.to_string(), format!("{zh} / {en}"));

        // What was scanned instead is said in the same language.
        let e = registry::check_scan("4710000000028").unwrap_err();
        let zh = e.message(Lang::ZhTw);
        let en = e.message(Lang::En);
        assert!(
            zh.starts_with("不是付款條碼:") && !zh.contains(" / "),
            "{zh}"
        );
        assert!(
            en.starts_with("not a payment code: ") && !en.contains('不'),
            "{en}"
        );
        assert!(zh.contains("4710000000028") && en.contains("4710000000028"));

        // A transparent variant words its inner error.
        let inner = TerminalError::NotSignedIn;
        let e = PayError::Terminal(TerminalError::NotSignedIn);
        for lang in [Lang::ZhTw, Lang::En] {
            assert_eq!(e.message(lang), inner.message(lang));
        }
        assert_eq!(e.to_string(), inner.to_string());
    }

    /// Every refusal of a payment names real words in both languages: a
    /// key missing from a locale file would show as `words.pay.…`.
    #[test]
    fn every_pay_error_has_its_words_in_both_locales() {
        use crate::locale::{Lang, Localized};
        let all = [
            PayError::InFlight {
                trade: "T".into(),
                state: AttemptState::Sending,
                zh: AttemptState::Sending.name_zh(),
            },
            PayError::NotAPaymentCode(Text::new("words.pay.nothing_to_refund")),
            PayError::NoGateway(GatewayId::MyPay),
            PayError::NoSuchAttempt("T".into()),
            PayError::NothingToRefund,
            PayError::NoLatePayment("T".into()),
            PayError::NotManager,
            PayError::ReasonRequired,
        ];
        for e in &all {
            for lang in [Lang::ZhTw, Lang::En] {
                let said = e.message(lang);
                assert!(!said.contains("words."), "{e:?} in {lang:?}: {said}");
                assert!(!said.contains('{'), "an argument left unfilled: {said}");
            }
            assert_ne!(e.message(Lang::ZhTw), e.message(Lang::En), "{e:?}");
        }
    }
}
