//! Sales left open (rung up, not paid in full): listed for the status bar,
//! sign-in and history, and settled by a manager before the day's close:
//! one with nothing paid is voided (audited, naming the manager); one with
//! money taken has it given back through the refund path, or the rest
//! taken by resuming the tender.

use super::{Approval, Result, Terminal};
use crate::journal::{JournalError, SaleStatus, SaleSummary};
use crate::money::Ntd;
use crate::sale::{Cart, SaleNo};

/// Where a sale stands, as the cashier reads it: like
/// [`SaleStatus`], but an open sale with money taken is half-paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Paid,
    Open,
    HalfPaid,
    Voided,
    Refunded,
    PartRefunded,
}

impl Standing {
    pub fn of(s: &SaleSummary) -> Standing {
        match s.status {
            SaleStatus::Open if s.paid.is_positive() => Standing::HalfPaid,
            SaleStatus::Open => Standing::Open,
            SaleStatus::Paid => Standing::Paid,
            SaleStatus::PartRefunded => Standing::PartRefunded,
            SaleStatus::Refunded => Standing::Refunded,
            SaleStatus::Void => Standing::Voided,
        }
    }

    /// The locale key of its name (`history.status_*`).
    pub fn key(self) -> &'static str {
        match self {
            Standing::Paid => "history.status_paid",
            Standing::Open => "history.status_open",
            Standing::HalfPaid => "history.status_half_paid",
            Standing::Voided => "history.status_voided",
            Standing::Refunded => "history.status_refunded",
            Standing::PartRefunded => "history.status_part_refunded",
        }
    }

    /// Still to be settled before the day's close.
    pub fn is_open(self) -> bool {
        matches!(self, Standing::Open | Standing::HalfPaid)
    }
}

impl Terminal {
    /// This terminal's open sales, oldest first, but `except` (the sale the
    /// cashier is taking payment for right now).
    pub fn open_sales(&self, except: Option<&SaleNo>) -> Result<Vec<SaleSummary>> {
        Ok(self
            .journal()
            .open_sales(self.terminal_id())?
            .into_iter()
            .filter(|s| Some(&s.sale_no) != except)
            .collect())
    }

    /// Void an open sale nothing was paid on, with a manager's approval:
    /// the audit log names the manager.
    pub fn void_open_sale(&mut self, sale: &SaleNo, approval: Approval<'_>) -> Result<()> {
        let manager = self.manager_approves(approval.manager, approval.pin)?;
        self.journal_mut()
            .void_sale(sale, &manager.name, "open sale settled from history")?;
        tracing::info!(sale = %sale, manager = %manager.name, "open sale voided");
        Ok(())
    }

    /// A half-paid sale taken up again: its cart as journaled and what is
    /// still due, to take at the tender. Refused once money was given back
    /// on it (taking more would make paid and refunded disagree).
    pub fn resume_open_sale(&self, sale: &SaleNo) -> Result<(Cart, Ntd)> {
        let detail = self
            .journal()
            .sale_detail(sale)?
            .ok_or_else(|| JournalError::NoSuchSale(sale.to_string()))?;
        let s = &detail.summary;
        if s.status != SaleStatus::Open {
            return Err(JournalError::AlreadyPaid(sale.to_string()).into());
        }
        if s.refunded.is_positive() {
            return Err(JournalError::HasRefunds(sale.to_string()).into());
        }
        let corrupt = |e: String| JournalError::Corrupt(format!("{sale}: {e}"));
        let mut cart = Cart::new();
        for line in detail.lines {
            cart.add(line).map_err(|e| corrupt(e.to_string()))?;
        }
        cart.set_discount(s.discount)
            .map_err(|e| corrupt(e.to_string()))?;
        let due = s.total.checked_sub(s.paid).unwrap_or(Ntd::ZERO);
        Ok((cart, due))
    }
}
