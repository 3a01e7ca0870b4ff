//! Shift (X) and day-close (Z) reports for the manager: figures from the
//! journal, a printable document, and the close itself behind a manager PIN.

use super::{Approval, Result, Terminal};
use crate::config::Store;
use crate::journal::ShiftReport;
use crate::print::Document;

pub use crate::print::slips::tender_name;

impl Terminal {
    /// The shift so far (X report): changes nothing.
    pub fn x_report(&self) -> Result<ShiftReport> {
        Ok(self.journal().x_report(self.terminal_id())?)
    }

    /// Close the day (Z report), with a manager's approval. Refused while a
    /// payment is still in doubt.
    pub fn close_day(&mut self, approval: Approval<'_>) -> Result<ShiftReport> {
        let manager = self.manager_approves(approval.manager, approval.pin)?;
        let terminal = self.terminal_id().clone();
        let report = self.journal_mut().close_day(&terminal, &manager.name)?;
        tracing::info!(z = report.z_number, sales = report.sales, "day closed");
        Ok(report)
    }
}

/// The printed X or Z report.
pub fn report_document(r: &ShiftReport, store: &Store) -> Document {
    crate::print::slips::report_document(r, &store.name)
}
