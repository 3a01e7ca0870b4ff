//! Shift (X) and day-close (Z) reports for the manager: figures from the
//! journal, a printable document, and the close itself behind a manager PIN.

use super::{Approval, Result, Terminal};
use crate::config::Store;
use crate::journal::{ShiftReport, TenderTotal};
use crate::print::document::{Document, Ecc, Style};

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

fn tender_label(t: &TenderTotal) -> String {
    let name = match (t.method.as_str(), t.wallet.as_deref(), t.gateway.as_deref()) {
        ("cash", _, _) => "現金 Cash".to_string(),
        (_, Some(w), _) => w.replace('_', " "),
        (_, None, Some(g)) => g.to_string(),
        (m, None, None) => m.to_string(),
    };
    format!("{name} ×{}", t.count)
}

/// The printed X or Z report.
pub fn report_document(r: &ShiftReport, store: &Store) -> Document {
    let mut d = Document::new();
    let title = if r.kind == 'Z' {
        format!("日結報表 Z #{}", r.z_number)
    } else {
        "班別報表 X".to_string()
    };
    d.text(&store.name, Style::center().bold());
    d.text(title, Style::center().double().bold());
    d.row(format!("收銀機 {}", r.terminal), "");
    d.row(
        r.generated_at
            .get(..19)
            .unwrap_or(&r.generated_at)
            .replace('T', " "),
        "",
    );
    if let (Some(first), Some(last)) = (&r.first_sale, &r.last_sale) {
        d.row(format!("{first} ~"), "");
        d.row(format!("  {last}"), "");
    }
    d.rule();
    d.row("交易筆數 Sales", r.sales.to_string());
    d.row("作廢 Voided", r.voided.to_string());
    d.row_styled("營業額 Gross", r.gross.to_string(), Style::default().bold());
    d.rule();
    d.text("收款 Payments", Style::default().bold());
    for t in &r.payments {
        d.row(tender_label(t), t.amount.to_string());
    }
    if !r.refunds.is_empty() {
        d.text("退款 Refunds", Style::default().bold());
        for t in &r.refunds {
            d.row(tender_label(t), format!("-{}", t.amount));
        }
    }
    d.rule();
    d.row_styled(
        "錢櫃現金 Cash in drawer",
        r.cash_in_drawer.to_string(),
        Style::default().bold(),
    );
    if r.unresolved > 0 {
        d.text(
            format!(
                "未確認付款 {} 筆 / {} payments unresolved",
                r.unresolved, r.unresolved
            ),
            Style::default().bold(),
        );
    }
    if r.owed_back > 0 {
        d.text(
            format!(
                "逾時收款待退還 {} 筆 {} / {} late payments owed back: {}",
                r.owed_back, r.owed_back_amount, r.owed_back, r.owed_back_amount
            ),
            Style::default().bold(),
        );
    }
    // --- Seal anchor (tamper branch, journal::seal) --------------------
    // Kept as one block of its own, apart from the figures above: the chain
    // head, the terminal's perpetual counters and grand totals, and a keyed
    // check. `till journal verify --anchor CODE` checks a journal against it,
    // which catches a journal cut short or restored from an older copy.
    if let Some(anchor) = &r.anchor {
        d.rule();
        d.text("日誌錨碼 Journal anchor", Style::default().bold());
        d.text(anchor.clone(), Style::default());
        d.qr(anchor.clone(), Ecc::M);
    }
    // --- end of seal anchor -------------------------------------------
    d.feed(3).cut();
    d
}
