//! The sales receipt (收據).

use crate::money::Ntd;
use crate::print::model::{Document, Style, Symbology};

/// One item line on a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptItem {
    pub name: String,
    pub qty: u32,
    /// Line total.
    pub amount: Ntd,
}

/// What a sales receipt prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptData {
    pub shop_name: String,
    pub header_lines: Vec<String>,
    pub sale_no: String,
    pub datetime: String,
    pub items: Vec<ReceiptItem>,
    pub total: Ntd,
    /// Tender label (e.g. `街口支付 ****1234`) and amount.
    pub tenders: Vec<(String, Ntd)>,
    pub change: Ntd,
    /// Printed as Code 128 so a refund or reprint starts with one scan.
    pub receipt_code: String,
    pub footer: Option<String>,
    pub open_drawer: bool,
}

/// A sales receipt.
pub fn receipt_document(r: &ReceiptData) -> Document {
    let mut d = Document::new();
    d.text(&r.shop_name, Style::center().double().bold());
    for h in &r.header_lines {
        d.text(h, Style::center());
    }
    d.row(format!("單號 {}", r.sale_no), "");
    d.row(&r.datetime, "");
    d.rule();
    for item in &r.items {
        let left = if item.qty == 1 {
            item.name.clone()
        } else {
            format!("{} x{}", item.name, item.qty)
        };
        d.row(left, item.amount.to_string());
    }
    d.rule();
    d.row_styled(
        "合計 Total",
        r.total.to_string(),
        Style::default().tall().bold(),
    );
    for (label, amount) in &r.tenders {
        d.row(label, amount.to_string());
    }
    if r.change.is_positive() {
        d.row("找零 Change", r.change.to_string());
    }
    if let Some(f) = &r.footer {
        d.feed(1);
        d.text(f, Style::center());
    }
    d.barcode(Symbology::Code128, &r.receipt_code, 48, true);
    d.feed(2).cut();
    if r.open_drawer {
        d.drawer(2);
    }
    d
}
