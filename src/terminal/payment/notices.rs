//! What the gateways tell the till on their own: a server notification
//! (ECPay ReturnURL, MyPay notify, goodbuy callback) that settles an
//! attempt in doubt, and money taken on an attempt the till had closed,
//! which is owed back to the customer.

use super::{NoticeEffect, PayError, Payments, approval_detail, in_doubt, rebuild_request};
use crate::gateway::{Approval, Outcome};
use crate::journal::{AttemptRecord, AttemptState, Detail, Role, User};
use crate::sale::{AttemptKind, TradeNo};
use crate::terminal::Terminal;

/// Closed without the money: a payment the gateway may still have taken
/// later (a PayPage paid after it expired, a notice after a decline).
fn closed_unpaid(rec: &AttemptRecord) -> bool {
    rec.kind == AttemptKind::Payment
        && matches!(
            rec.state,
            AttemptState::Declined | AttemptState::Cancelled | AttemptState::Abandoned
        )
}

impl Terminal {
    /// A gateway's notice about payment attempt `trade`, which the till
    /// had closed without the money: ask the gateway, and if it did take
    /// the money, put it on record as owed back ([`NoticeEffect::LatePayment`]).
    /// Never asks JKoPay about a cancelled payment (no Inquiry after a
    /// Cancel). `Ignored` for anything else.
    pub async fn check_late_payment(
        &mut self,
        payments: &Payments,
        trade: &TradeNo,
        source: &str,
    ) -> Result<NoticeEffect, PayError> {
        let rec = self.known_attempt(trade)?;
        let Some(gateway) = rec.gateway else {
            return Ok(NoticeEffect::Ignored);
        };
        if !closed_unpaid(&rec)
            || (!crate::gateway::rules::of(gateway).asks_after_cancel()
                && rec.state == AttemptState::Cancelled)
        {
            return Ok(NoticeEffect::Ignored);
        }
        let gw = payments.gateway(gateway)?;
        let req = rebuild_request(&rec, None);
        match payments.timed(gateway, trade, gw.query(&req)).await {
            Ok(Outcome::Approved(a)) => {
                self.late_payment_found(&rec, &a, source)?;
                Ok(NoticeEffect::LatePayment)
            }
            _ => Ok(NoticeEffect::Ignored),
        }
    }

    fn late_payment_found(
        &mut self,
        rec: &AttemptRecord,
        a: &Approval,
        source: &str,
    ) -> Result<(), PayError> {
        if self
            .journal
            .record_late_payment(&rec.trade_no, a.amount, &a.gateway_trade_no, source)?
        {
            tracing::error!(
                trade = %rec.trade_no,
                closed_as = %rec.state,
                amount = %a.amount,
                source,
                "the gateway took money on an attempt the till had closed: owed back to the customer"
            );
        }
        Ok(())
    }

    /// Money gateways took on attempts the till had closed; only those
    /// still owed back when `open`.
    pub fn late_payments(&self, open: bool) -> Result<Vec<crate::journal::LatePayment>, PayError> {
        Ok(self.journal.late_payments(open)?)
    }

    /// A manager gave late payment `trade` back (or settled it otherwise,
    /// as `how` says), audited under their name.
    pub fn settle_late_payment(
        &mut self,
        trade: &TradeNo,
        manager: &User,
        how: &str,
    ) -> Result<(), PayError> {
        if manager.role != Role::Manager {
            return Err(PayError::NotManager);
        }
        let how = how.trim();
        if how.is_empty() {
            return Err(PayError::ReasonRequired);
        }
        if !self
            .journal
            .settle_late_payment(trade, &manager.name, how)?
        {
            return Err(PayError::NoLatePayment(trade.to_string()));
        }
        Ok(())
    }

    /// Record a gateway's server notification (ECPay ReturnURL, MyPay
    /// notify, goodbuy callback) for attempt `trade`. Idempotent: the same
    /// notice twice changes nothing the second time. Only `Approved` and
    /// `Declined` move an attempt, and only one still in doubt.
    pub fn record_notice(
        &mut self,
        trade: &TradeNo,
        outcome: &Outcome,
        source: &str,
    ) -> Result<NoticeEffect, PayError> {
        let rec = self.known_attempt(trade)?;
        let (to, detail) = match outcome {
            Outcome::Approved(a) => (AttemptState::Approved, approval_detail(a).notice(source)),
            Outcome::Declined(d) => (
                AttemptState::Declined,
                Detail::new()
                    .error(d.reason.clone())
                    .code(d.code.clone())
                    .notice(source),
            ),
            _ => return Ok(NoticeEffect::Ignored),
        };
        if rec.state == to {
            return Ok(NoticeEffect::AlreadyRecorded(to));
        }
        if let Outcome::Approved(a) = outcome
            && closed_unpaid(&rec)
        {
            self.late_payment_found(&rec, a, source)?;
            return Ok(NoticeEffect::LatePayment);
        }
        if !in_doubt(rec.state) {
            tracing::warn!(trade = %trade, state = %rec.state, to = %to, "notice disagrees with the journal");
            return Ok(NoticeEffect::Ignored);
        }
        self.journal.transition(trade, to, detail)?;
        Ok(NoticeEffect::Recorded(to))
    }
}
