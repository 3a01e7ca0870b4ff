//! The PayPage slip (手機付款): the payment page as a QR code.

use crate::money::Ntd;
use crate::print::model::{Document, Style};

/// What a PayPage slip (手機付款) prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayPageSlipData {
    pub shop_name: String,
    pub trade_no: String,
    pub amount: Ntd,
    pub url: String,
    /// `YYYY-MM-DD HH:MM` (+08:00).
    pub expires_at: Option<String>,
    pub test: bool,
}

/// A PayPage slip: the payment page as a large QR code the customer scans
/// with a phone.
pub fn paypage_slip_document(p: &PayPageSlipData) -> Document {
    let mut d = Document::new();
    d.text(&p.shop_name, Style::center().bold());
    let title = if p.test {
        "測試 手機付款"
    } else {
        "手機付款"
    };
    d.text(title, Style::center().double().bold());
    d.text("Pay with your phone", Style::center());
    d.row("單號 Trade", &p.trade_no);
    d.row_styled(
        "金額 Amount",
        p.amount.to_string(),
        Style::default().tall().bold(),
    );
    d.feed(1);
    d.qr_large(&p.url);
    d.feed(1);
    d.text("請用手機相機掃描,在頁面上付款", Style::center());
    d.text(
        "Scan with your phone camera and pay on the page",
        Style::center(),
    );
    if let Some(until) = &p.expires_at {
        d.row("有效至 Until", until);
    }
    d.feed(3).cut();
    d
}
