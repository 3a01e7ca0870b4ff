//! The brief refund slip (退款單): printed only when the journal cannot
//! give the full one ([`super::refund`]), from the refund's outcome alone,
//! so the customer still leaves with paper.

use crate::money::Ntd;
use crate::print::model::{Document, Style};

/// What a brief refund slip prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundBriefData {
    /// Demo / test: says 測試.
    pub test: bool,
    /// The sale refunded, e.g. `T0126112200042`.
    pub sale_no: String,
    /// The sale's receipt code (`TLT…`).
    pub receipt_code: String,
    /// This refund's trade number (`…R01`).
    pub refund_trade_no: String,
    /// How the money went back, e.g. `街口支付 jkopay` or `現金 cash`.
    pub paid_back_via: String,
    pub refunded: Ntd,
    pub reason: String,
    /// The manager who approved it.
    pub manager: String,
    /// `YYYY-MM-DD HH:MM:SS+08:00`.
    pub datetime: String,
    /// What became of the e-invoice, in zh-TW.
    pub invoice: String,
    /// Cash went back: the drawer pin to pulse.
    pub drawer_pin: Option<u8>,
}

pub fn refund_brief_document(r: &RefundBriefData) -> Document {
    let mut d = Document::new();
    if r.test {
        d.text("測試", Style::center().bold());
    }
    d.text("退款單 REFUND", Style::center().bold());
    d.row("原交易", r.sale_no.clone());
    d.row("收據", r.receipt_code.clone());
    d.row("退款單號", r.refund_trade_no.clone());
    d.row("退款方式", r.paid_back_via.clone());
    d.row_styled("退款金額", r.refunded.to_string(), Style::default().bold());
    d.row("原因", r.reason.clone());
    d.row("核准", r.manager.clone());
    d.row("時間", r.datetime.clone());
    d.rule();
    d.text(r.invoice.clone(), Style::default());
    d.feed(3).cut();
    if let Some(pin) = r.drawer_pin {
        d.drawer(pin);
    }
    d
}
