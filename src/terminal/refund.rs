//! One refund entry point for the app: money back first (through the
//! gateway that took it, or cash from the drawer), then — only once the
//! money is back — the e-invoice decision (void in the same period, else an
//! allowance; see [`Terminal::invoice_for_refund`]).
//!
//! # Which tender gives the money back
//!
//! Money goes back the way it came. A sale paid with one tender refunds
//! through it. A sale paid with several (say a declined wallet then cash,
//! or part wallet, part cash) refunds through the **latest gateway payment
//! that still has enough left**, so a wallet customer gets their money on
//! the wallet and the drawer is not emptied for them; once the gateway
//! payments are fully refunded, the rest comes from the drawer. A refund
//! larger than what any one tender has left is refused with the most that
//! tender can take (refund that first, then the rest): one refund never
//! spans two tenders, so each has one journaled outcome.

use serde::Serialize;

use super::attempt_notes::{pay_type_of, rebuild_with, request_time, sent_items};
use super::payment::{PayError, PayEvent, PayResult, Payments, approval_detail, in_doubt};
use super::{InvoiceRefund, RefundInvoice, Terminal};
use crate::config::{Config, InvoiceIssuer};
use crate::einvoice::buyer::BuyerChoice;
use crate::einvoice::{CrossPeriodVoid, Treatment, refund_treatment};
use crate::gateway::Outcome;
use crate::gateway::client::{
    CancelOutcome, Gateway, NotSent, PaidRef, PayItem, RefundInvoiceInfo,
    RefundRequest as GatewayRefund,
};
use crate::gateway::rules;
use crate::journal::{
    AttemptRecord, AttemptState, Detail, InvoiceStatus, JournalError, Role, SaleDetail, User, stamp,
};
use crate::locale::Text;
use crate::money::Ntd;
use crate::sale::{
    AttemptKind, GatewayId, PayMethod, RefundPlan, RefundRequest, Refundable, SaleNo, TradeNo,
};
use crate::taipei::TaipeiTime;

/// How the money went back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum RefundMoney {
    /// Through the gateway; `state` may still be in doubt (`unknown`): then
    /// `till recover` / `query` settles it and no invoice change was made.
    Gateway(PayResult),
    /// Cash from the drawer, journaled as approved before the drawer opens.
    Cash { trade_no: String, amount: Ntd },
}

impl RefundMoney {
    /// Whether the money is known to be back with the customer.
    pub fn is_back(&self) -> bool {
        match self {
            RefundMoney::Gateway(r) => r.state == AttemptState::Approved,
            RefundMoney::Cash { .. } => true,
        }
    }

    pub fn trade_no(&self) -> &str {
        match self {
            RefundMoney::Gateway(r) => &r.trade_no,
            RefundMoney::Cash { trade_no, .. } => trade_no,
        }
    }

    /// `till refund` exit code: 0 back, 1 declined, 2 in doubt.
    pub fn exit_code(&self) -> u8 {
        match self {
            RefundMoney::Gateway(r) => r.exit_code(),
            RefundMoney::Cash { .. } => 0,
        }
    }
}

/// What [`Terminal::refund_sale`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundOutcome {
    pub sale_no: SaleNo,
    pub amount: Ntd,
    pub money: RefundMoney,
    /// None when the sale has no e-invoice (or the refund did not complete).
    pub invoice: Option<RefundInvoice>,
    /// The money is back but the invoice change failed (e.g. the journal
    /// could not write it): a person must void / allowance it by hand
    /// (`till einvoice …`). The refund itself stands.
    pub invoice_error: Option<String>,
}

/// Which tender a refund goes back through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum RefundVia {
    Gateway {
        gateway: GatewayId,
        /// The payment attempt refunded (…-P01).
        payment: String,
    },
    Cash,
}

/// One approved payment of the sale and what it can still give back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenderLeft {
    pub trade_no: String,
    /// `None` for cash.
    pub gateway: Option<GatewayId>,
    pub method: PayMethod,
    pub paid: Ntd,
    pub refunded: Ntd,
    pub left: Ntd,
    /// The refund rule of this tender, zh-TW / English.
    pub rule: String,
    /// Why this tender cannot refund now (deadline passed, no refund API…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// What the refund would do to the sale's e-invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoicePreview {
    pub number: String,
    /// Who issued it: this till's roll, or MyPay (which then voids or makes
    /// the allowance itself, from the refund's `invoice_state`).
    pub issuer: InvoiceIssuer,
    pub treatment: Treatment,
    /// Void: the paper proof the customer holds must be taken back.
    pub recover_proof: bool,
    /// Why, in English (as journaled with the decision).
    pub why: String,
}

/// What a refund of a sale may do, before the manager confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundPreview {
    pub sale_no: SaleNo,
    pub paid: Ntd,
    pub refunded: Ntd,
    /// Money that can still go back, all tenders together.
    pub refundable: Ntd,
    /// What this request would give back (None when refused).
    pub amount: Option<Ntd>,
    /// For a line refund: (line index, units).
    pub lines: Vec<(usize, u32)>,
    /// Where the money would go back (None when refused).
    pub via: Option<RefundVia>,
    /// Every approved payment of the sale, with its rule.
    pub tenders: Vec<TenderLeft>,
    /// Why this request cannot be refunded as asked, zh-TW / English.
    pub refused: Option<String>,
    /// None when the sale has no live e-invoice.
    pub invoice: Option<InvoicePreview>,
}

const RULE_CASH: &str = "現金由錢櫃退還 / cash from the drawer";

/// A tender's refund rule: cash, or its gateway's.
fn rule_of(gateway: Option<GatewayId>) -> &'static str {
    match gateway {
        None => RULE_CASH,
        Some(g) => rules::of(g).refund_rule(),
    }
}

/// Which payment a refund attempt gave money back for: the `payment` it
/// journaled, else (older refunds) the latest payment of its gateway.
pub(super) fn refunded_payment<'a>(
    refund: &AttemptRecord,
    payments: &'a [AttemptRecord],
) -> Option<&'a AttemptRecord> {
    let named = refund.events.iter().find_map(|e| e.notes().payment);
    let approved = payments
        .iter()
        .filter(|p| p.state == AttemptState::Approved);
    match named {
        Some(n) => approved
            .clone()
            .find(|p| p.trade_no.to_string() == n)
            .or_else(|| approved.rev().find(|p| p.gateway == refund.gateway)),
        None => approved.rev().find(|p| p.gateway == refund.gateway),
    }
}

/// Every approved payment with what it can still give back, oldest first.
fn tenders(
    detail: &SaleDetail,
    now: crate::taipei::TaipeiTime,
) -> Vec<(TenderLeft, AttemptRecord)> {
    detail
        .payments
        .iter()
        .filter(|p| p.state == AttemptState::Approved)
        .map(|p| {
            let refunded = detail
                .refunds
                .iter()
                .filter(|r| r.state == AttemptState::Approved)
                .filter(|r| {
                    refunded_payment(r, &detail.payments).map(|x| &x.trade_no) == Some(&p.trade_no)
                })
                .fold(Ntd::ZERO, |acc, r| acc.checked_add(r.amount).unwrap_or(acc));
            let left = p
                .amount
                .checked_sub(refunded)
                .unwrap_or(Ntd::ZERO)
                .max(Ntd::ZERO);
            let refused = p.gateway.and_then(|g| {
                rules::of(g).refund_refused(pay_type_of(p).paid_with(), request_time(p), now)
            });
            (
                TenderLeft {
                    trade_no: p.trade_no.to_string(),
                    gateway: p.gateway,
                    method: p.method,
                    paid: p.amount,
                    refunded,
                    left,
                    rule: rule_of(p.gateway).to_string(),
                    refused,
                },
                p.clone(),
            )
        })
        .collect()
}

/// The refund plan as the journal will make it, computed read-only.
fn plan(detail: &SaleDetail, request: &RefundRequest) -> Result<RefundPlan, PayError> {
    if !detail.summary.paid.is_positive() {
        return Err(JournalError::NotPaid(detail.summary.sale_no.to_string()).into());
    }
    let mut refunded_units = vec![0u32; detail.lines.len()];
    for r in detail
        .refunds
        .iter()
        .filter(|r| r.state == AttemptState::Approved)
    {
        for &(i, q) in &r.refund_lines {
            if let Some(u) = refunded_units.get_mut(i) {
                *u += q;
            }
        }
    }
    let refundable = Refundable {
        lines: &detail.lines,
        total: detail.summary.total,
        paid: detail.summary.paid,
        refunded: detail.summary.refunded,
        refunded_units,
    };
    Ok(refundable.plan(request).map_err(JournalError::Refund)?)
}

/// Pick the tender for `amount` by the rule in the module docs.
fn choose(
    tenders: &[(TenderLeft, AttemptRecord)],
    amount: Ntd,
) -> Result<(RefundVia, Option<AttemptRecord>), String> {
    let gateway_left = tenders
        .iter()
        .rev()
        .filter(|(t, _)| t.gateway.is_some() && t.left.is_positive());
    for (t, rec) in gateway_left.clone() {
        if t.left >= amount {
            if let Some(why) = &t.refused {
                return Err(why.clone());
            }
            return Ok((
                RefundVia::Gateway {
                    gateway: t.gateway.expect("filtered on gateway"),
                    payment: t.trade_no.clone(),
                },
                Some(rec.clone()),
            ));
        }
    }
    if let Some((t, _)) = gateway_left.clone().next() {
        return Err(Text::new("words.refund.split")
            .arg("payment", &t.trade_no)
            .arg("left", t.left)
            .arg("gateway", t.gateway.map(|g| g.as_str()).unwrap_or("cash"))
            .to_string());
    }
    let cash_left = tenders
        .iter()
        .filter(|(t, _)| t.gateway.is_none())
        .fold(Ntd::ZERO, |acc, (t, _)| {
            acc.checked_add(t.left).unwrap_or(acc)
        });
    if cash_left >= amount {
        Ok((RefundVia::Cash, None))
    } else {
        Err(Text::new("words.refund.cash_left")
            .arg("left", cash_left)
            .to_string())
    }
}

impl Terminal {
    /// The e-invoice decision a refund of `amount` would make, read-only
    /// (mirrors [`Terminal::invoice_for_refund`]).
    fn invoice_preview(
        &self,
        cfg: &Config,
        detail: &SaleDetail,
        amount: Ntd,
    ) -> Result<Option<InvoicePreview>, PayError> {
        let Some(record) = detail
            .invoices
            .iter()
            .rev()
            .find(|r| r.status != InvoiceStatus::Voided)
        else {
            return Ok(None);
        };
        let Some((invoice, status)) = self.live_invoice(&detail.summary.sale_no)? else {
            return Ok(None);
        };
        let today = self.journal.clock_now().date_naive();
        let by_date = refund_treatment(invoice.issued_on(), today, cfg.einvoice.void_across_period)
            .map_err(super::InvoicingError::from)?;
        let full = amount == invoice.total() && status == InvoiceStatus::Issued;
        let treatment = if full { by_date } else { Treatment::Allowance };
        let why = match (treatment, full) {
            (Treatment::Void, _) => "full refund within the period: void",
            (Treatment::Allowance, true) => "full refund after the period: allowance",
            (Treatment::Allowance, false) => "partial refund: allowance",
        };
        let prints_proof = record
            .data
            .get("buyer")
            .and_then(|b| serde_json::from_value::<BuyerChoice>(b.clone()).ok())
            .map(|b| b.prints_proof())
            .unwrap_or(true);
        Ok(Some(InvoicePreview {
            number: invoice.number().to_string(),
            issuer: cfg.einvoice.issuer,
            treatment,
            recover_proof: treatment == Treatment::Void && prints_proof,
            why: why.to_string(),
        }))
    }

    fn refund_detail(&self, sale: &SaleNo) -> Result<SaleDetail, PayError> {
        Ok(self
            .journal
            .sale_detail(sale)?
            .ok_or_else(|| JournalError::NoSuchSale(sale.to_string()))?)
    }

    /// What a refund of this sale may do, for the screen before the
    /// manager confirms: refundable amount remaining, gateway or cash, each
    /// tender's rule (goodbuy: credit only, whole order, before 09:30 next
    /// day; JKoPay partial and repeated; ECPay: back office) and the invoice
    /// decision it would make (void vs allowance). Writes nothing.
    ///
    /// A request that cannot be refunded as asked comes back `Ok` with
    /// `refused` set (so the screen can show the rules anyway); an unknown
    /// sale or a journal failure is an `Err`.
    pub fn refund_preview(
        &self,
        cfg: &Config,
        sale: &SaleNo,
        request: &RefundRequest,
    ) -> Result<RefundPreview, PayError> {
        let detail = self.refund_detail(sale)?;
        let now = self.now();
        let tenders = tenders(&detail, now);
        let mut preview = RefundPreview {
            sale_no: sale.clone(),
            paid: detail.summary.paid,
            refunded: detail.summary.refunded,
            refundable: detail
                .summary
                .paid
                .checked_sub(detail.summary.refunded)
                .unwrap_or(Ntd::ZERO)
                .max(Ntd::ZERO),
            amount: None,
            lines: Vec::new(),
            via: None,
            tenders: tenders.iter().map(|(t, _)| t.clone()).collect(),
            refused: None,
            invoice: None,
        };
        let plan = match plan(&detail, request) {
            Ok(p) => p,
            Err(e) => {
                preview.refused = Some(e.to_string());
                return Ok(preview);
            }
        };
        match choose(&tenders, plan.amount)
            .and_then(|(via, rec)| whole_order_only(rec.as_ref(), plan.amount).map(|()| via))
        {
            Ok(via) => {
                preview.via = Some(via);
                preview.amount = Some(plan.amount);
                preview.invoice = self.invoice_preview(cfg, &detail, plan.amount)?;
            }
            Err(why) => preview.refused = Some(why),
        }
        preview.lines = plan.lines;
        Ok(preview)
    }

    /// Money back (through the gateway that took it, or cash from the
    /// drawer; for mixed tenders see the module docs: the latest gateway
    /// payment with enough left, cash only once the gateways are refunded),
    /// then the e-invoice void/allowance decision, applied only once the
    /// money is back. Manager only; reason required (non-empty, trimmed).
    ///
    /// A gateway refund that is declined or left in doubt comes back `Ok`
    /// with `money` saying so and `invoice: None`: the invoice is untouched.
    pub async fn refund_sale(
        &mut self,
        cfg: &Config,
        payments: &Payments,
        sale: &SaleNo,
        request: &RefundRequest,
        reason: &str,
        manager: &User,
    ) -> Result<RefundOutcome, PayError> {
        if manager.role != Role::Manager {
            return Err(PayError::NotManager);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(PayError::ReasonRequired);
        }
        let detail = self.refund_detail(sale)?;
        let tenders = tenders(&detail, self.now());
        let plan = plan(&detail, request)?;
        let (via, paid) = choose(&tenders, plan.amount).map_err(PayError::RefundNotAllowed)?;
        whole_order_only(paid.as_ref(), plan.amount).map_err(PayError::RefundNotAllowed)?;
        let money = match (via, paid) {
            (RefundVia::Gateway { .. }, Some(paid)) => RefundMoney::Gateway(
                self.refund_through(payments, sale, &paid, request, reason, manager)
                    .await?,
            ),
            _ => {
                let paid_cash = tenders
                    .iter()
                    .rev()
                    .find(|(t, _)| t.gateway.is_none() && t.left.is_positive())
                    .map(|(t, _)| t.trade_no.clone())
                    .unwrap_or_default();
                let (trade, plan) =
                    self.journal
                        .begin_refund(sale, request, None, PayMethod::Cash)?;
                let approved = Detail::new()
                    .at(stamp(self.now()))
                    .reason(reason)
                    .manager(manager.name.clone())
                    .payment(paid_cash)
                    .drawer(true);
                let approved = self.with_invoice_due(sale, approved, None)?;
                self.journal
                    .transition(&trade, AttemptState::Approved, approved)?;
                tracing::info!(sale = %sale, trade = %trade, amount = %plan.amount, "cash refund journaled");
                RefundMoney::Cash {
                    trade_no: trade.to_string(),
                    amount: plan.amount,
                }
            }
        };
        let mut outcome = RefundOutcome {
            sale_no: sale.clone(),
            amount: plan.amount,
            money,
            invoice: None,
            invoice_error: None,
        };
        if !outcome.money.is_back() {
            // Not back: nothing to change yet (`recover` / `query` makes
            // the change once they settle it: see `refund_settled`).
            return Ok(outcome);
        }
        let trade: TradeNo = outcome
            .money
            .trade_no()
            .parse()
            .map_err(|_| PayError::NoSuchAttempt(outcome.money.trade_no().to_string()))?;
        match self.apply_refund_invoice(cfg, &trade) {
            Ok(inv) => outcome.invoice = inv,
            Err(e) => {
                tracing::error!(sale = %sale, error = %e, "refund done but the e-invoice change failed");
                outcome.invoice_error = Some(e.to_string());
            }
        }
        Ok(outcome)
    }

    /// The refund's e-invoice part for the gateway (MyPay only: the others
    /// know nothing of our invoices): void or allowance by the period rule
    /// (MyPay: "跨發票月份無法作廢", [`CrossPeriodVoid::Never`]), and the
    /// refunded items named as sold (none for the whole payment). `None`
    /// when the sale has no live e-invoice, terminal- or MyPay-issued.
    pub(super) fn gateway_refund_invoice(
        &self,
        paid: &AttemptRecord,
        amount: Ntd,
        lines: &[(usize, u32)],
    ) -> Result<Option<RefundInvoiceInfo>, PayError> {
        if !paid
            .gateway
            .is_some_and(|g| rules::of(g).invoices_with_payment())
        {
            return Ok(None);
        }
        let sale = paid.trade_no.sale();
        let detail = self.refund_detail(sale)?;
        let today = self.now().date_naive();
        let refunded_before = detail
            .refunds
            .iter()
            .filter(|r| r.state == AttemptState::Approved)
            .filter(|r| {
                refunded_payment(r, &detail.payments).map(|p| &p.trade_no) == Some(&paid.trade_no)
            })
            .fold(Ntd::ZERO, |acc, r| acc.checked_add(r.amount).unwrap_or(acc));
        let whole = refunded_before == Ntd::ZERO && amount == paid.amount;
        let (issued_on, full) = if let Some((inv, status)) = self.live_invoice(sale)? {
            (
                inv.issued_on(),
                amount == inv.total() && status == InvoiceStatus::Issued,
            )
        } else if let Ok(Some(inv)) = self.mypay_invoice(sale) {
            (inv.issued_on, whole && inv.state == 2)
        } else {
            return Ok(None);
        };
        let treatment = if full {
            refund_treatment(issued_on, today, CrossPeriodVoid::Never)
                .map_err(super::InvoicingError::from)?
        } else {
            Treatment::Allowance
        };
        let items = if whole {
            Vec::new()
        } else {
            refund_items(&detail, paid, amount, lines)
        };
        Ok(Some(RefundInvoiceInfo { treatment, items }))
    }

    /// The Sending detail of a refund, noting what it will do to the
    /// sale's invoice: the gateway's part (MyPay `invoice_state`) and
    /// whether this till must void / allowance its own invoice once the
    /// money is back (the `invoice_due` note).
    pub(super) fn with_invoice_due(
        &self,
        sale: &SaleNo,
        d: Detail,
        gateway: Option<&RefundInvoiceInfo>,
    ) -> Result<Detail, PayError> {
        let mut d = d;
        if let Some(g) = gateway {
            d = d.invoice_state(match g.treatment {
                Treatment::Void => "4",
                Treatment::Allowance => "6",
            });
        }
        if self.live_invoice(sale)?.is_some() {
            d = d.invoice_due(true);
        }
        Ok(d)
    }

    /// A refund in doubt that `recover` / `query` just settled: once it is
    /// approved, make its e-invoice change (when [`Payments`] knows the
    /// configuration). A failure is logged, not returned: the money is
    /// back either way and a person finishes the invoice by hand.
    pub(super) fn refund_settled(&mut self, payments: &Payments, trade: &TradeNo) {
        let Some(cfg) = payments.invoicing() else {
            return;
        };
        let cfg = cfg.clone();
        match self.apply_refund_invoice(&cfg, trade) {
            Ok(Some(inv)) => {
                tracing::info!(trade = %trade, number = %inv.number, treatment = ?inv.treatment, "refund settled: e-invoice changed")
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(trade = %trade, error = %e, "refund settled but the e-invoice change failed: do it by hand (till einvoice)")
            }
        }
    }

    /// Make the e-invoice void / allowance of refund `trade`, whose money
    /// is back, exactly once. The change made is marked with the refund's
    /// number ([`CHANGE_REFUND_KEY`], journaled and audited); a refund whose
    /// change exists already gets `None`. Nothing for a refund not approved,
    /// a sale without a live invoice, or an invoice MyPay issued (MyPay
    /// changes it from the refund's `invoice_state`).
    /// An approved refund's change, once made or found needless, is no
    /// longer owed (see [`Terminal::make_owed_invoice_changes`]).
    pub fn apply_refund_invoice(
        &mut self,
        cfg: &Config,
        trade: &TradeNo,
    ) -> Result<Option<RefundInvoice>, PayError> {
        let rec = self.known_attempt(trade)?;
        if rec.kind != AttemptKind::Refund || rec.state != AttemptState::Approved {
            return Ok(None);
        }
        let made = self.make_refund_invoice(cfg, &rec)?;
        let outcome = match &made {
            Some(inv) => format!("{:?} {}", inv.treatment, inv.number).to_lowercase(),
            None => "nothing left to change".to_string(),
        };
        self.journal.invoice_change_settled(trade, &outcome)?;
        Ok(made)
    }

    /// Every e-invoice change a refund still owes (a crash came between
    /// its money coming back and the change): made now, each on its own;
    /// one that fails stays owed and is reported.
    pub fn make_owed_invoice_changes(&mut self, cfg: &Config) -> Result<Vec<OwedChange>, PayError> {
        let owed = self.journal.invoice_changes_owed()?;
        Ok(owed
            .into_iter()
            .map(|trade| {
                let r = self.apply_refund_invoice(cfg, &trade);
                match &r {
                    Ok(Some(inv)) => {
                        tracing::info!(trade = %trade, number = %inv.number, "owed e-invoice change made")
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(trade = %trade, error = %e, "owed e-invoice change failed: still owed")
                    }
                }
                (trade, r)
            })
            .collect())
    }

    fn make_refund_invoice(
        &mut self,
        cfg: &Config,
        rec: &AttemptRecord,
    ) -> Result<Option<RefundInvoice>, PayError> {
        if cfg.einvoice.issuer == InvoiceIssuer::Mypay {
            return Ok(None);
        }
        let trade = &rec.trade_no;
        let sale = trade.sale();
        if self.refund_invoice_made(rec)? {
            return Ok(None);
        }
        if self.live_invoice(sale)?.is_none() {
            return Ok(None);
        }
        let change = InvoiceRefund {
            amount: rec.amount,
            lines: rec.refund_lines.clone(),
            reason: refund_reason(rec),
            policy: cfg.einvoice.void_across_period,
        };
        let inv = self.invoice_for_refund(cfg, sale, &change)?;
        // The change just made is the invoice's newest.
        if let Some(c) = self.journal.invoice_changes(inv.number.as_str())?.last() {
            self.journal.set_invoice_change_data(
                c.id,
                CHANGE_REFUND_KEY,
                &serde_json::json!(trade.to_string()),
            )?;
        }
        Ok(Some(inv))
    }

    /// Whether the invoice change of refund `rec` was made already: a
    /// change marked with its number, or (a crash between the change and
    /// its mark) an unmarked one with its reason and amount made after the
    /// refund was approved, which is then marked.
    fn refund_invoice_made(&mut self, rec: &AttemptRecord) -> Result<bool, PayError> {
        let detail = self.refund_detail(rec.trade_no.sale())?;
        let trade = rec.trade_no.to_string();
        let approved_at = rec
            .events
            .iter()
            .rev()
            .find(|e| e.to == AttemptState::Approved)
            .map(|e| e.at.clone())
            .unwrap_or_default();
        let reason = refund_reason(rec);
        for invoice in &detail.invoices {
            for c in self.journal.invoice_changes(&invoice.number)? {
                match c.data.get(CHANGE_REFUND_KEY).and_then(|v| v.as_str()) {
                    Some(t) if t == trade => return Ok(true),
                    Some(_) => {}
                    None => {
                        let amount = match c.kind.as_str() {
                            "void" => c.data.get("refund").and_then(|v| v.as_i64()),
                            _ => Some(c.amount.dollars()),
                        };
                        if c.reason == reason
                            && amount == Some(rec.amount.dollars())
                            && c.at >= approved_at
                        {
                            self.journal.set_invoice_change_data(
                                c.id,
                                CHANGE_REFUND_KEY,
                                &serde_json::json!(trade),
                            )?;
                            return Ok(true);
                        }
                    }
                }
            }
        }
        Ok(false)
    }

    /// Give money back on a paid sale, approved by a manager, through the
    /// gateway of its latest approved gateway payment. The app's one entry
    /// point (cash too, and the e-invoice) is [`Terminal::refund_sale`].
    pub async fn refund(
        &mut self,
        payments: &Payments,
        sale: &SaleNo,
        request: &RefundRequest,
        reason: &str,
        manager: &User,
    ) -> Result<PayResult, PayError> {
        if manager.role != Role::Manager {
            return Err(PayError::NotManager);
        }
        let detail = self
            .journal
            .sale_detail(sale)?
            .ok_or_else(|| JournalError::NoSuchSale(sale.to_string()))?;
        let paid = detail
            .payments
            .iter()
            .rev()
            .find(|p| p.state == AttemptState::Approved && p.gateway.is_some())
            .ok_or(PayError::NothingToRefund)?
            .clone();
        self.refund_through(payments, sale, &paid, request, reason, manager)
            .await
    }

    /// Refund `request` of `sale` through the gateway that took `paid`.
    pub(super) async fn refund_through(
        &mut self,
        payments: &Payments,
        sale: &SaleNo,
        paid: &AttemptRecord,
        request: &RefundRequest,
        reason: &str,
        manager: &User,
    ) -> Result<PayResult, PayError> {
        let gateway = paid.gateway.ok_or(PayError::NothingToRefund)?;
        let gw = payments.gateway(gateway)?;
        let (trade, plan) = self
            .journal
            .begin_refund(sale, request, Some(gateway), paid.method)?;
        let at = self.now();
        let invoice = self.gateway_refund_invoice(paid, plan.amount, &plan.lines)?;
        let sending = Detail::new()
            .at(stamp(at))
            .reason(reason)
            .manager(manager.name.clone())
            .payment(paid.trade_no.to_string());
        let sending = self.with_invoice_due(sale, sending, invoice.as_ref())?;
        self.journal
            .transition(&trade, AttemptState::Sending, sending)?;
        payments.emit(PayEvent::Sending {
            gateway,
            trade_no: trade.to_string(),
            since: stamp(at),
        });
        let mut req = refund_request(paid, trade.clone(), plan.amount, at);
        req.invoice = invoice;
        let answer = payments.timed(gateway, &trade, gw.refund(&req)).await;
        self.settle_refund(&trade, answer)?;
        self.result_of(payments, &trade, gateway)
    }

    fn settle_refund(
        &mut self,
        trade: &TradeNo,
        answer: Result<Outcome, NotSent>,
    ) -> Result<(), PayError> {
        let (to, d) = match answer {
            Err(e) => (
                AttemptState::Declined,
                Detail::new().error(e.to_string()).not_sent(true),
            ),
            Ok(Outcome::Approved(a)) => (AttemptState::Approved, approval_detail(&a)),
            Ok(Outcome::Declined(d)) => (
                AttemptState::Declined,
                Detail::new().error(d.reason).code(d.code),
            ),
            // Accepted, not done yet (MyPay's queue): never send it again.
            Ok(Outcome::Pending(p)) => (
                AttemptState::Unknown,
                Detail::new()
                    .error(p.reason)
                    .code(p.code)
                    .refund_accepted(true),
            ),
            Ok(Outcome::Unknown { why }) => (AttemptState::Unknown, Detail::new().error(why)),
        };
        self.journal.transition(trade, to, d)?;
        Ok(())
    }

    /// A refund in doubt. The gateway is asked first
    /// ([`Gateway::find_refund`]: JKoPay `Inquiry` R on the refund's own
    /// number, MyPay `api/queryorder`'s refund list, goodbuy
    /// `order_status`), and the refund is sent again only when the gateway
    /// shows it was not done, and never when the gateway once accepted it
    /// (the `refund_accepted` note: MyPay queues refunds it cannot do at once and
    /// lists them only when done). It goes back through the payment the
    /// refund journaled, with what that payment already gave back. ECPay
    /// has no refund call in our specs.
    pub(super) async fn resolve_refund(
        &mut self,
        payments: &Payments,
        gw: &dyn Gateway,
        rec: &AttemptRecord,
    ) -> Result<PayResult, PayError> {
        let trade = &rec.trade_no;
        if rec.state == AttemptState::Created {
            self.journal.transition(
                trade,
                AttemptState::Abandoned,
                Detail::new().recovered("never sent"),
            )?;
            return self.result_of(payments, trade, gw.id());
        }
        let detail = self
            .journal
            .sale_detail(trade.sale())?
            .ok_or_else(|| JournalError::NoSuchSale(trade.sale().to_string()))?;
        let paid = refunded_payment(rec, &detail.payments)
            .filter(|p| p.gateway == Some(gw.id()))
            .cloned();
        let Some(paid) = paid else {
            self.refund_for_the_back_office(rec)?;
            return self.result_of(payments, trade, gw.id());
        };
        let mut req = refund_request(&paid, trade.clone(), rec.amount, request_time(rec));
        req.invoice = self.gateway_refund_invoice(&paid, rec.amount, &rec.refund_lines)?;
        let before = detail
            .refunds
            .iter()
            .filter(|r| r.state == AttemptState::Approved && r.trade_no != *trade)
            .filter(|r| {
                refunded_payment(r, &detail.payments).map(|p| &p.trade_no) == Some(&paid.trade_no)
            })
            .fold(Ntd::ZERO, |acc, r| acc.checked_add(r.amount).unwrap_or(acc));
        let found = payments
            .timed(gw.id(), trade, gw.find_refund(&req, before))
            .await;
        match found {
            Ok(Some(o @ (Outcome::Approved(_) | Outcome::Declined(_)))) => {
                self.settle_refund(trade, Ok(o))?
            }
            Ok(Some(Outcome::Pending(p))) => self.journal_refund_doubt(
                trade,
                Detail::new().error(p.reason).code(p.code),
            )?,
            Ok(Some(Outcome::Unknown { why })) => {
                self.journal_refund_doubt(trade, Detail::new().error(why))?
            }
            Ok(None) if was_accepted(rec) => self.journal_refund_doubt(
                trade,
                Detail::new().error(
                    "金流已受理此退款,尚未列出,請稍後再查 / the gateway accepted this refund and does not list it yet: ask again later",
                ),
            )?,
            Ok(None) => {
                // The gateway shows no such refund: sending it again
                // cannot refund twice.
                tracing::info!(trade = %trade, "refund not found at the gateway: sending it again");
                let answer = payments.timed(gw.id(), trade, gw.refund(&req)).await;
                match answer {
                    Err(e) if e.retryable() => {
                        self.journal_refund_doubt(trade, Detail::new().error(e.to_string()))?
                    }
                    Ok(Outcome::Declined(d)) if gw.rules().refund_resend_means_done(&d.code) => self
                        .journal_refund_doubt(
                            trade,
                            Detail::new()
                                .error(format!(
                                    "{} (重送時):請稍後再查 / on a resend: ask again later",
                                    d.reason
                                ))
                                .code(d.code),
                        )?,
                    _ => self.settle_refund(trade, answer)?,
                }
            }
            Err(NotSent::Unsupported { .. }) => self.refund_for_the_back_office(rec)?,
            Err(e) => self.journal_refund_doubt(trade, Detail::new().error(e.to_string()))?,
        }
        self.refund_settled(payments, trade);
        self.result_of(payments, trade, gw.id())
    }

    /// What a manager's by-hand action starts with: a manager, a reason
    /// (trimmed, not empty) and the attempt it is about.
    pub(super) fn attempt_for_manager<'r>(
        &self,
        trade: &TradeNo,
        reason: &'r str,
        manager: &User,
    ) -> Result<(AttemptRecord, &'r str), PayError> {
        if manager.role != Role::Manager {
            return Err(PayError::NotManager);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(PayError::ReasonRequired);
        }
        let rec = self.known_attempt(trade)?;
        Ok((rec, reason))
    }

    /// Withdraw refund `trade`, which the gateway accepted and queued
    /// (MyPay `api/refundcancel`), on a manager's word, with the reason
    /// journaled. Withdrawn: the refund ends Declined, no money moves and
    /// the sale can be refunded again. Not withdrawn (done in the
    /// meantime, or refused): the refund is settled by asking, as
    /// `recover` would, and the result says where it stands.
    pub async fn withdraw_refund(
        &mut self,
        payments: &Payments,
        trade: &TradeNo,
        reason: &str,
        manager: &User,
    ) -> Result<PayResult, PayError> {
        let (rec, reason) = self.attempt_for_manager(trade, reason, manager)?;
        let gateway = rec.gateway.ok_or(PayError::NothingToRefund)?;
        if rec.kind != AttemptKind::Refund || !in_doubt(rec.state) || !was_accepted(&rec) {
            return Err(PayError::RefundNotAllowed(
                Text::new("words.refund.not_withdrawable").to_string(),
            ));
        }
        let detail = self
            .journal
            .sale_detail(trade.sale())?
            .ok_or_else(|| JournalError::NoSuchSale(trade.sale().to_string()))?;
        let paid = refunded_payment(&rec, &detail.payments)
            .filter(|p| p.gateway == Some(gateway))
            .cloned()
            .ok_or(PayError::NothingToRefund)?;
        let gw = payments.gateway(gateway)?;
        let req = refund_request(&paid, trade.clone(), rec.amount, request_time(&rec));
        let withdrawn = gw
            .withdraw_refund(&req)
            .await
            .map_err(|e| PayError::RefundNotAllowed(e.to_string()))?;
        match withdrawn {
            CancelOutcome::Cancelled => {
                self.journal.transition(
                    trade,
                    AttemptState::Declined,
                    Detail::new()
                        .error("退款已撤回 / refund withdrawn")
                        .withdrawn(true)
                        .reason(reason)
                        .manager(manager.name.clone()),
                )?;
                tracing::info!(trade = %trade, manager = %manager.name, "queued refund withdrawn");
                self.result_of(payments, trade, gateway)
            }
            other => {
                tracing::warn!(trade = %trade, outcome = ?other, "refund not withdrawn: asking where it stands");
                self.resolve_refund(payments, gw.as_ref(), &rec).await
            }
        }
    }

    /// A refund the till cannot ask about: one interrupted while sending
    /// stays in doubt for a person to check in the gateway's back office.
    fn refund_for_the_back_office(&mut self, rec: &AttemptRecord) -> Result<(), PayError> {
        if rec.state == AttemptState::Sending {
            self.journal.transition(
                &rec.trade_no,
                AttemptState::Unknown,
                Detail::new().error(
                    "中斷於傳送中,請至金流後台確認退款 / interrupted while sending: check the refund in the gateway's back office",
                ),
            )?;
        }
        Ok(())
    }

    /// A refund still in doubt after asking: `Unknown`, each try recorded.
    fn journal_refund_doubt(&mut self, trade: &TradeNo, d: Detail) -> Result<(), PayError> {
        self.journal
            .transition(trade, AttemptState::Unknown, d.refund_check(true))?;
        Ok(())
    }
}

/// Whether the gateway once accepted refund `rec` (the `refund_accepted` note).
fn was_accepted(rec: &AttemptRecord) -> bool {
    rec.events
        .iter()
        .any(|e| e.notes().refund_accepted == Some(true))
}

fn refund_request(
    paid: &AttemptRecord,
    refund_no: TradeNo,
    amount: Ntd,
    at: TaipeiTime,
) -> GatewayRefund {
    GatewayRefund {
        refund_no,
        payment: PaidRef {
            trade_no: paid.trade_no.clone(),
            gateway_trade_no: paid.gateway_trade_no.clone().unwrap_or_default(),
            amount: paid.amount,
            at: request_time(paid),
            with: rebuild_with(paid, None),
            items: Vec::new(),
        },
        amount,
        at,
        invoice: None,
    }
}

/// One owed e-invoice change tried: the refund, and what came of it.
pub type OwedChange = (TradeNo, Result<Option<RefundInvoice>, PayError>);

/// Key on an invoice change (void / allowance): the refund it was made for.
pub const CHANGE_REFUND_KEY: &str = "refund_trade";

/// What a partial refund names for MyPay: the refunded sale lines when they
/// were sent under those names and add up to the amount (no discount in
/// the way), else one line under the first name sent.
fn refund_items(
    detail: &SaleDetail,
    paid: &AttemptRecord,
    amount: Ntd,
    lines: &[(usize, u32)],
) -> Vec<PayItem> {
    let sent = sent_items(paid);
    let names: Vec<&str> = if sent.is_empty() {
        vec![crate::gateway::mypay::client::WHOLE_AMOUNT_ITEM]
    } else {
        sent.iter().map(|i| i.name.as_str()).collect()
    };
    let picked: Vec<PayItem> = lines
        .iter()
        .filter_map(|&(i, qty)| {
            detail.lines.get(i).map(|l| PayItem {
                id: l.id.clone(),
                name: l.name.clone(),
                unit_price: l.unit_price,
                qty,
            })
        })
        .collect();
    let sum = Ntd::checked_sum(picked.iter().map(|i| {
        i.unit_price
            .checked_mul(i64::from(i.qty))
            .unwrap_or(Ntd::ZERO)
    }))
    .ok();
    if !picked.is_empty()
        && sum == Some(amount)
        && picked.iter().all(|i| names.contains(&i.name.as_str()))
    {
        return picked;
    }
    vec![PayItem {
        id: sent
            .first()
            .map(|i| i.id.clone())
            .unwrap_or_else(|| "1".into()),
        name: names[0].to_string(),
        unit_price: amount,
        qty: 1,
    }]
}

/// The reason journaled with a refund's `Sending` (or the drawer's `Approved`).
fn refund_reason(rec: &AttemptRecord) -> String {
    rec.events
        .iter()
        .find_map(|e| e.notes().reason)
        .unwrap_or_else(|| "退款 refund".to_string())
}

/// A gateway whose refunds carry no amount (goodbuy): the whole order or nothing.
fn whole_order_only(paid: Option<&AttemptRecord>, amount: Ntd) -> Result<(), String> {
    match paid {
        Some(p)
            if p.gateway
                .is_some_and(|g| rules::of(g).refunds_whole_order_only())
                && p.amount != amount =>
        {
            Err(Text::new("words.refund.whole_order_only")
                .arg("amount", p.amount)
                .to_string())
        }
        _ => Ok(()),
    }
}
