//! Attempts in doubt, payments and refunds alike: where one stands
//! (`query`), what a crash left behind (`recover`), and what a manager
//! settles by hand. Dispatches to the payment rules ([`super::payment`])
//! and the refund rules ([`super::refund`]), which know nothing of each
//! other.

use super::Terminal;
use super::payment::{NO_CARD_TOKEN, PayError, PayResult, Payments, rebuild_request};
use crate::journal::{AttemptRecord, AttemptState, Detail, User};
use crate::sale::{AttemptKind, GatewayId, PayMethod, TradeNo};

impl Terminal {
    /// Where an attempt stands; one still in doubt is resolved first (a
    /// payment by its gateway's rule, a JKoPay refund by sending it again).
    pub async fn query(
        &mut self,
        payments: &Payments,
        trade: &TradeNo,
    ) -> Result<PayResult, PayError> {
        let rec = self.known_attempt(trade)?;
        let Some(gateway) = rec.gateway else {
            return Ok(PayResult::from_record(&rec, GatewayId::JkoPay));
        };
        if rec.state.is_final() {
            return Ok(PayResult::from_record(&rec, gateway));
        }
        self.resolve_record(payments, &rec).await
    }

    async fn resolve_record(
        &mut self,
        payments: &Payments,
        rec: &AttemptRecord,
    ) -> Result<PayResult, PayError> {
        if rec.method == PayMethod::PayPage && rec.kind == AttemptKind::Payment {
            return self.settle_paypage(payments, rec, false).await;
        }
        let gateway = rec.gateway.ok_or(PayError::NothingToRefund)?;
        let gw = payments.gateway(gateway)?;
        match rec.kind {
            AttemptKind::Payment => {
                let code = self.unsealed_code(payments, rec)?;
                if gw.rules().cancel_needs_payment_code()
                    && code.is_none()
                    && matches!(
                        rec.state,
                        AttemptState::Sending | AttemptState::Unknown | AttemptState::Cancelling
                    )
                {
                    // JKoPay settles a payment in doubt only by Cancel.
                    self.journal.transition(
                        &rec.trade_no,
                        AttemptState::Cancelling,
                        Detail::new().error(NO_CARD_TOKEN),
                    )?;
                    return self.result_of(payments, &rec.trade_no, gateway);
                }
                let req = rebuild_request(rec, code);
                self.resolve(payments, gw.as_ref(), &req, true).await
            }
            AttemptKind::Refund => self.resolve_refund(payments, gw.as_ref(), rec).await,
        }
    }

    /// On start-up: settle every attempt a crash left in `Created`,
    /// `Sending`, `Unknown` or `Cancelling`, by the same rules as a live
    /// payment. Returns where each one ended up (some may still be in doubt:
    /// ECPay waits for its notification, a cancel may still be unanswered).
    pub async fn recover(&mut self, payments: &Payments) -> Result<Vec<PayResult>, PayError> {
        let mut out = Vec::new();
        for rec in self.journal.unresolved_attempts()? {
            let Some(gateway) = rec.gateway else {
                // Cash never leaves Created unless at the drawer: nothing sent.
                if rec.state == AttemptState::Created {
                    self.journal.transition(
                        &rec.trade_no,
                        AttemptState::Abandoned,
                        Detail::new().recovered("never sent"),
                    )?;
                }
                continue;
            };
            tracing::info!(trade = %rec.trade_no, state = %rec.state, "recovering attempt");
            let r = match payments.gateway(gateway) {
                Ok(_) => self.resolve_record(payments, &rec).await?,
                Err(_) if rec.state == AttemptState::Created => {
                    self.journal.transition(
                        &rec.trade_no,
                        AttemptState::Abandoned,
                        Detail::new().recovered("never sent"),
                    )?;
                    self.result_of(payments, &rec.trade_no, gateway)?
                }
                Err(e) => return Err(e),
            };
            out.push(r);
        }
        // A crash between a refund's money and its e-invoice change: make
        // the change now (each failure is logged and stays owed).
        if let Some(cfg) = payments.invoicing().cloned() {
            self.make_owed_invoice_changes(&cfg)?;
        }
        Ok(out)
    }

    /// A manager settles by hand an attempt the till cannot settle by
    /// asking (a cancel JKoPay keeps refusing, an ECPay notice that never
    /// comes, a refund only the back office can confirm), after looking in
    /// the gateway's back office: `charged` is the gateway's own number when
    /// the money moved, `None` when it did not. Only an attempt still in
    /// doubt; the reason and the manager are journaled and audited with it.
    /// A refund settled as done then gets its e-invoice change.
    pub fn settle_by_hand(
        &mut self,
        payments: &Payments,
        trade: &TradeNo,
        charged: Option<&str>,
        reason: &str,
        manager: &User,
    ) -> Result<PayResult, PayError> {
        let (rec, reason) = self.attempt_for_manager(trade, reason, manager)?;
        let gateway = rec.gateway.ok_or(PayError::NothingToRefund)?;
        if !matches!(
            rec.state,
            AttemptState::Sending | AttemptState::Unknown | AttemptState::Cancelling
        ) {
            let said = |lang, state: &str| {
                crate::locale::fill(
                    lang,
                    "words.pay.already_settled",
                    &[("trade", trade), ("state", &state)],
                )
            };
            return Err(PayError::RefundNotAllowed(format!(
                "{} / {}",
                said(crate::locale::Lang::ZhTw, rec.state.name_zh()),
                said(crate::locale::Lang::En, rec.state.as_str())
            )));
        }
        let charged = charged.map(str::trim).filter(|c| !c.is_empty());
        let by_hand = |d: Detail| d.by_hand(true).reason(reason).manager(manager.name.clone());
        if rec.state == AttemptState::Sending {
            self.journal.transition(
                trade,
                AttemptState::Unknown,
                by_hand(Detail::new().error("人工確認 / settled by hand")),
            )?;
        }
        let (to, d) = match (charged, rec.state) {
            (Some(no), _) => (
                AttemptState::Approved,
                Detail::new()
                    .gateway_trade_no(no)
                    .approved_amount(rec.amount.dollars()),
            ),
            (None, AttemptState::Cancelling) => (AttemptState::Cancelled, Detail::new()),
            (None, _) => (
                AttemptState::Declined,
                Detail::new().error("人工確認未扣款 / confirmed by hand: no money moved"),
            ),
        };
        self.journal.transition(trade, to, by_hand(d))?;
        tracing::warn!(trade = %trade, to = %to, manager = %manager.name, "attempt settled by hand");
        if rec.kind == AttemptKind::Refund {
            self.refund_settled(payments, trade);
        }
        self.result_of(payments, trade, gateway)
    }
}
