//! PayPage: the customer pays on their own phone, on a MyPay page opened
//! from a QR code (`api/orders`, then `api/queryorder`).
//!
//! For the GUI, from a background task that owns the [`Terminal`]:
//!
//! 1. [`Terminal::start_paypage`] journals the attempt `Sending`, asks MyPay
//!    for the page and returns a [`PayPageOrder`]: show `url` as a QR code
//!    and `expires_at` as the deadline. The attempt is now `Unknown`
//!    (waiting for the customer), so no second charge can start on the sale.
//! 2. [`Terminal::poll_paypage`] every few seconds: one `api/queryorder`,
//!    journaled. `Approved` → paid; `Declined` → failed or abandoned on the
//!    page; `Cancelled` → the page expired unpaid; still `Unknown` → ask
//!    again (MyPay's notification, through `till callback-server`, may
//!    also settle it meanwhile).
//! 3. [`Terminal::cancel_paypage`] when the customer walks away or the
//!    cashier takes another tender: asks MyPay once more (a payment that
//!    came through stands) and otherwise ends the attempt `Cancelled`.
//!
//! MyPay has no call to close an unpaid order, so "cancelled" and
//! "expired" are the till's own decisions, each taken only after MyPay said
//! the order was not paid. A customer who pays after that is reported by
//! MyPay's notification, which the journal then flags as disagreeing.
//! An order whose customer picked a convenience-store code or an ATM
//! transfer on the page (status 260 / 270 …) is neither cancelled nor
//! expired by the till: MyPay ends it by its own deadline (250 or 380).
//!
//! Only the order's `uid`, its URL and its `key` sealed with the store key
//! (see `gateway::mypay::client::paypage`) are journaled, so `till recover`
//! and another process can poll it: the key itself never is.

use chrono::{SecondsFormat, TimeDelta};
use serde::Serialize;

use super::{PayError, PayEvent, PayResult, Payments, Resolving};
use crate::gateway::Outcome;
use crate::gateway::client::{PageRequest, PayItem};
use crate::journal::Notes;
use crate::journal::{AttemptRecord, AttemptState, Detail, stamp};
use crate::money::Ntd;
use crate::sale::{AttemptKind, GatewayId, PayMethod, SaleNo, TradeNo};
use crate::taipei::{self, TaipeiTime};
use crate::terminal::Terminal;
use crate::terminal::attempt_notes::request_time;

/// How long the till waits for the customer to pay on the page.
pub const PAYPAGE_MINUTES: i64 = 15;

/// Journaled while the page waits for the customer.
fn waiting() -> String {
    super::both_then("words.pay_note.paypage_waiting", "")
}

/// A PayPage made for the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayPageOrder {
    /// The payment attempt's number (pass it to `poll_paypage`).
    pub trade_no: String,
    /// Show it as a QR code.
    pub url: String,
    pub amount: Ntd,
    /// When the till stops waiting (RFC 3339, +08:00).
    pub expires_at: Option<String>,
}

fn rfc3339(t: TaipeiTime) -> String {
    t.with_timezone(&taipei::offset())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A note the attempt's events recorded, latest first: the page's
/// `paypage_url`, its `paypage_handle` (the order's key sealed with the
/// store key, never the key itself) and its `expires_at`.
fn recorded(rec: &AttemptRecord, note: fn(Notes) -> Option<String>) -> Option<String> {
    rec.events.iter().rev().find_map(|e| note(e.notes()))
}

fn expiry(rec: &AttemptRecord) -> Option<TaipeiTime> {
    recorded(rec, |n| n.expires_at)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&taipei::offset()))
}

fn page_request(rec: &AttemptRecord) -> PageRequest {
    PageRequest {
        trade_no: rec.trade_no.clone(),
        amount: rec.amount,
        items: Vec::new(),
        at: request_time(rec),
        buyer: Default::default(),
    }
}

impl Payments {
    /// Use this client for PayPage orders (tests; `from_config` sets MyPay's).
    pub fn with_paypage(
        mut self,
        gateway: std::sync::Arc<dyn crate::gateway::client::PayPageGateway>,
    ) -> Payments {
        self.paypage = Some(gateway);
        self
    }

    fn paypage_gateway(
        &self,
    ) -> Result<std::sync::Arc<dyn crate::gateway::client::PayPageGateway>, PayError> {
        self.paypage
            .clone()
            .ok_or(PayError::NoGateway(GatewayId::MyPay))
    }
}

impl Terminal {
    /// Make a PayPage for `amount` of `sale` (`items` as on the receipt;
    /// empty: one line for the amount). The attempt is journaled `Sending`
    /// before the request and `Unknown` (waiting for the customer) with the
    /// page once MyPay answers. When no page could be made the attempt ends
    /// `Declined` / `Cancelled` and [`PayError::PayPageNotOpened`] says why.
    pub async fn start_paypage(
        &mut self,
        payments: &Payments,
        sale: &SaleNo,
        amount: Ntd,
        items: Vec<PayItem>,
    ) -> Result<PayPageOrder, PayError> {
        let gw = payments.paypage_gateway()?;
        let id = gw.id();
        let trade = self.journal.begin_attempt(
            sale,
            AttemptKind::Payment,
            Some(id),
            PayMethod::PayPage,
            amount,
            None,
        )?;
        let at = self.now();
        let expires_at = rfc3339(at + TimeDelta::minutes(PAYPAGE_MINUTES));
        self.journal.transition(
            &trade,
            AttemptState::Sending,
            Detail::new().at(stamp(at)).expires_at(expires_at.clone()),
        )?;
        payments.emit(PayEvent::Sending {
            gateway: id,
            trade_no: trade.to_string(),
            since: stamp(at),
        });
        let req = PageRequest {
            trade_no: trade.clone(),
            amount,
            items,
            at,
            buyer: self.buyer_choice(sale)?,
        };
        let answer = payments.timed(id, &trade, gw.open_page(&req)).await;
        let page = match answer {
            Ok(Ok(page)) => page,
            Err(e) => {
                self.journal.transition(
                    &trade,
                    AttemptState::Declined,
                    Detail::new().error(e.to_string()).not_sent(true),
                )?;
                return Err(self.not_opened(payments, &trade, id)?);
            }
            Ok(Err(Outcome::Declined(d))) => {
                self.journal.transition(
                    &trade,
                    AttemptState::Declined,
                    Detail::new().error(d.reason).code(d.code),
                )?;
                return Err(self.not_opened(payments, &trade, id)?);
            }
            Ok(Err(o)) => {
                // The answer was lost: MyPay may hold an order, but its
                // URL was never shown, so nobody can pay on it.
                self.journal.transition(
                    &trade,
                    AttemptState::Unknown,
                    Detail::new().error(o.to_string()),
                )?;
                self.give_up_unseen(&trade)?;
                return Err(self.not_opened(payments, &trade, id)?);
            }
        };
        self.journal.transition(
            &trade,
            AttemptState::Unknown,
            Detail::new()
                .gateway_trade_no(page.gateway_trade_no)
                .error(waiting())
                .code("200")
                .paypage_url(page.url.clone())
                .paypage_handle(page.handle)
                .expires_at(expires_at.clone()),
        )?;
        payments.emit(PayEvent::Unknown {
            gateway: id,
            trade_no: trade.to_string(),
            doing: Resolving::AwaitingCustomer,
        });
        tracing::info!(trade = %trade, %amount, "paypage shown to the customer");
        Ok(PayPageOrder {
            trade_no: trade.to_string(),
            url: page.url,
            amount,
            expires_at: Some(expires_at),
        })
    }

    /// Ask MyPay once what became of a PayPage (`api/queryorder`) and
    /// journal it. Still waiting comes back `Unknown`; past `expires_at`
    /// an order nobody started paying ends `Cancelled`.
    pub async fn poll_paypage(
        &mut self,
        payments: &Payments,
        trade_no: &TradeNo,
    ) -> Result<PayResult, PayError> {
        let rec = self.paypage_record(trade_no)?;
        self.settle_paypage(payments, &rec, false).await
    }

    /// The customer walked away or pays another way: unless MyPay says the
    /// page was paid (then the payment stands: `Approved`), the attempt
    /// ends `Cancelled` and the sale can be paid otherwise. If MyPay cannot
    /// be asked now it stays `Cancelling` until `query` / `till recover`.
    pub async fn cancel_paypage(
        &mut self,
        payments: &Payments,
        trade_no: &TradeNo,
    ) -> Result<PayResult, PayError> {
        let rec = self.paypage_record(trade_no)?;
        self.settle_paypage(payments, &rec, true).await
    }

    /// The PayPage's URL and deadline again (a screen that was closed).
    pub fn paypage_order(&self, trade_no: &TradeNo) -> Result<Option<PayPageOrder>, PayError> {
        let rec = self.paypage_record(trade_no)?;
        Ok(recorded(&rec, |n| n.paypage_url).map(|url| PayPageOrder {
            trade_no: rec.trade_no.to_string(),
            url,
            amount: rec.amount,
            expires_at: recorded(&rec, |n| n.expires_at),
        }))
    }

    fn paypage_record(&self, trade_no: &TradeNo) -> Result<AttemptRecord, PayError> {
        self.journal
            .attempt(trade_no)?
            .filter(|r| r.method == PayMethod::PayPage && r.kind == AttemptKind::Payment)
            .ok_or_else(|| PayError::NoSuchAttempt(trade_no.to_string()))
    }

    fn not_opened(
        &self,
        payments: &Payments,
        trade: &TradeNo,
        id: GatewayId,
    ) -> Result<PayError, PayError> {
        Ok(PayError::PayPageNotOpened(Box::new(
            self.result_of(payments, trade, id)?,
        )))
    }

    /// A page nobody saw: `Cancelling` → `Cancelled`, nothing can be paid.
    fn give_up_unseen(&mut self, trade: &TradeNo) -> Result<(), PayError> {
        let why = super::both_then("words.pay_note.page_never_shown", "");
        self.journal
            .transition(trade, AttemptState::Cancelling, Detail::new().error(why))?;
        self.journal.transition(
            trade,
            AttemptState::Cancelled,
            Detail::new().never_shown(true),
        )?;
        Ok(())
    }

    /// One step for a PayPage attempt in any state: the poll, the cancel,
    /// and what `query` and `recover` do with one.
    pub(in crate::terminal) async fn settle_paypage(
        &mut self,
        payments: &Payments,
        rec: &AttemptRecord,
        cancel: bool,
    ) -> Result<PayResult, PayError> {
        let trade = &rec.trade_no;
        let id = rec.gateway.unwrap_or(GatewayId::MyPay);
        match rec.state {
            s if s.is_final() => return self.result_of(payments, trade, id),
            AttemptState::Created => {
                self.journal.transition(
                    trade,
                    AttemptState::Abandoned,
                    Detail::new().recovered("never sent"),
                )?;
                return self.result_of(payments, trade, id);
            }
            // Interrupted before the page was journaled, so before anyone
            // could be shown its URL.
            AttemptState::Sending => {
                self.give_up_unseen(trade)?;
                return self.result_of(payments, trade, id);
            }
            _ => {}
        }
        let gw = payments.paypage_gateway()?;
        let expired = expiry(rec).is_some_and(|t| self.now() >= t);
        let poll = rec.events.len();
        payments.emit(PayEvent::Unknown {
            gateway: id,
            trade_no: trade.to_string(),
            doing: Resolving::Querying {
                poll: u32::try_from(poll).unwrap_or(u32::MAX),
            },
        });
        let uid = rec.gateway_trade_no.clone().unwrap_or_default();
        let handle = recorded(rec, |n| n.paypage_handle);
        let answer = payments
            .timed(
                id,
                trade,
                gw.query_page(&page_request(rec), &uid, handle.as_deref()),
            )
            .await;
        let cancelling = rec.state == AttemptState::Cancelling;
        let why_cancel = if cancel || cancelling {
            super::both_then("words.pay_note.page_cancelled", "")
        } else {
            super::both_then("words.pay_note.page_expired", "")
        };
        match answer {
            Ok(Outcome::Approved(a)) => {
                // Paid on the page: the payment stands, cancel or not.
                self.journal.transition(
                    trade,
                    AttemptState::Approved,
                    payments.approval_detail(&a).paypage(true),
                )?;
            }
            Ok(Outcome::Declined(d)) if !cancelling => {
                self.journal.transition(
                    trade,
                    AttemptState::Declined,
                    Detail::new().error(d.reason).code(d.code),
                )?;
            }
            Ok(Outcome::Declined(d)) => {
                self.journal.transition(
                    trade,
                    AttemptState::Cancelled,
                    Detail::new().code(d.code).not_paid(true),
                )?;
            }
            Ok(Outcome::Pending(p))
                if (cancelling || cancel || expired)
                    && crate::gateway::mypay::codes::page_untouched(&p.code) =>
            {
                if !cancelling {
                    self.journal.transition(
                        trade,
                        AttemptState::Cancelling,
                        Detail::new().error(why_cancel).expired(!cancel),
                    )?;
                }
                self.journal.transition(
                    trade,
                    AttemptState::Cancelled,
                    Detail::new().code(p.code).not_paid(true),
                )?;
            }
            Ok(Outcome::Pending(p)) => {
                // Not paid yet; or the customer took a store code / ATM
                // transfer, which MyPay settles by its own deadline (a
                // cancel cannot stop that payment: it stays in doubt).
                let why = if crate::gateway::mypay::codes::page_untouched(&p.code) {
                    waiting()
                } else {
                    p.reason
                };
                let to = if cancelling {
                    AttemptState::Cancelling
                } else {
                    AttemptState::Unknown
                };
                self.journal.transition(
                    trade,
                    to,
                    Detail::new()
                        .error(why)
                        .code(p.code)
                        .poll(u32::try_from(poll).unwrap_or(u32::MAX)),
                )?;
            }
            Ok(Outcome::Unknown { why }) => self.paypage_doubt(trade, rec, cancel, why)?,
            Err(e) => self.paypage_doubt(trade, rec, cancel, e.to_string())?,
        }
        let r = self.result_of(payments, trade, id)?;
        if r.state == AttemptState::Unknown {
            payments.emit(PayEvent::Unknown {
                gateway: id,
                trade_no: trade.to_string(),
                doing: Resolving::AwaitingCustomer,
            });
        }
        Ok(r)
    }

    /// MyPay could not say: the attempt stays in doubt (a cancel asked for
    /// is journaled as `Cancelling`, finished by `query` / `till recover`).
    fn paypage_doubt(
        &mut self,
        trade: &TradeNo,
        rec: &AttemptRecord,
        cancel: bool,
        why: String,
    ) -> Result<(), PayError> {
        let to = if cancel || rec.state == AttemptState::Cancelling {
            AttemptState::Cancelling
        } else {
            AttemptState::Unknown
        };
        self.journal
            .transition(trade, to, Detail::new().error(why).paypage(true))?;
        Ok(())
    }
}
