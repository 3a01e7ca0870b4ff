//! The allowance slip (營業人銷貨退回、進貨退出或折讓證明單).

use crate::einvoice::Invoice;
use crate::einvoice::mig::Allowance;
use crate::print::model::{Document, Style};

/// The allowance slip: what was taken off which invoice, for the buyer to sign.
pub fn allowance_slip_document(invoice: &Invoice, allowance: &Allowance, test: bool) -> Document {
    let mut d = Document::new();
    if test {
        d.text("測試", Style::center().bold());
    }
    d.text(
        "營業人銷貨退回、進貨退出或折讓證明單",
        Style::center().bold(),
    );
    d.text(
        format!("折讓單號 {}", allowance.allowance_number),
        Style::default(),
    );
    d.text(
        format!("折讓日期 {}", allowance.allowance_date),
        Style::default(),
    );
    d.text(
        format!(
            "原發票 {} {}",
            invoice.number().dashed(),
            invoice.issued_on().format("%Y-%m-%d")
        ),
        Style::default(),
    );
    d.text(format!("賣方 {}", invoice.seller_ban()), Style::default());
    if let Some(ban) = invoice.buyer_ban() {
        d.text(format!("買方 {ban}"), Style::default());
    }
    d.rule();
    for line in &allowance.lines {
        d.row(
            format!("{} ×{}", line.original_description, line.quantity),
            (line.amount + line.tax).to_string(),
        );
    }
    d.rule();
    d.row("銷售額", allowance.total_amount.to_string());
    d.row("稅額", allowance.tax_amount.to_string());
    d.row_styled(
        "退款合計",
        allowance.refund().dollars().to_string(),
        Style::default().bold(),
    );
    d.feed(1);
    d.text("買方簽收:", Style::default());
    d.feed(3).cut();
    d
}
