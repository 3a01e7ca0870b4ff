//! What the screens read, through the till: the UI names no journal,
//! device or simulator module, only these.
//!
//! The journal's read types are re-exported as they are: each is already
//! the shape a screen shows (a sale's summary and detail, the staff list,
//! the shift report, a member's bound cards, an attempt's state) and a
//! copy of each would only have to be kept in step with it. The methods
//! below answer the screens' questions without handing them the journal.

use chrono::NaiveDate;

pub use crate::journal::{
    AttemptRecord, AttemptState, InvoiceStatus, Member, Role, SaleDetail, SaleStatus, SaleSummary,
    ShiftReport, User,
};

use super::{Result, Terminal};
use crate::money::Ntd;
use crate::sale::SaleNo;

/// How many print jobs the journal has waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrintsWaiting {
    /// Jobs not with the printer now (`with_printer` said no).
    pub waiting: usize,
    /// Proofs cut short, waiting for a manager's 補印.
    pub proofs_to_reprint: usize,
}

impl Terminal {
    /// The sale a scanned or typed code names (receipt code, sale or trade
    /// number, invoice number).
    pub fn find_sale(&self, code: &str) -> Result<Option<SaleNo>> {
        Ok(self.journal().lookup(code)?)
    }

    /// A sale with its lines, payments, refunds and invoices.
    pub fn sale_detail(&self, sale: &SaleNo) -> Result<Option<SaleDetail>> {
        Ok(self.journal().sale_detail(sale)?)
    }

    /// The sales of `from` to `to` (Taipei days), oldest first, at most `limit`.
    pub fn sales_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        limit: u32,
    ) -> Result<Vec<SaleSummary>> {
        Ok(self.journal().sales_by_date(from, to, None, limit)?.items)
    }

    /// The sales whose total is `amount`, at most `limit`.
    pub fn sales_of_amount(&self, amount: Ntd, limit: u32) -> Result<Vec<SaleSummary>> {
        Ok(self.journal().sales_by_amount(amount, limit)?)
    }

    /// A member and their bound cards, by the merchant's member number.
    pub fn member(&self, no: &str) -> Result<Option<Member>> {
        Ok(self.journal().member(no)?)
    }

    /// Gateway payments and refunds whose result is still in doubt.
    pub fn open_payments(&self) -> Result<usize> {
        let open = self.journal().unresolved_attempts()?;
        Ok(open.iter().filter(|a| a.gateway.is_some()).count())
    }

    /// The print jobs waiting in the journal; `with_printer` tells the
    /// jobs the printer has now.
    pub fn prints_waiting(&self, with_printer: impl Fn(i64) -> bool) -> Result<PrintsWaiting> {
        let jobs = self.journal().pending_print_jobs()?;
        let incomplete = super::is_incomplete_proof;
        Ok(PrintsWaiting {
            proofs_to_reprint: jobs.iter().filter(|j| incomplete(j)).count(),
            waiting: jobs
                .iter()
                .filter(|j| !incomplete(j) && !with_printer(j.id))
                .count(),
        })
    }
}
