//! The NO SALE slip (開錢櫃): the drawer opened without a sale, on a
//! manager's approval; the close-day screen audits it, the paper says it.

use crate::print::model::{Document, Style};

/// What a NO SALE slip prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSaleSlipData {
    /// The printer's drawer pin the pulse goes to.
    pub drawer_pin: u8,
    /// Taipei time, `YYYY-MM-DD HH:MM:SS`.
    pub datetime: String,
    /// The manager who approved the opening.
    pub manager: String,
}

/// The drawer's pulse first (the cashier waits on the drawer, not the
/// paper), then who opened it when.
pub fn no_sale_slip_document(s: &NoSaleSlipData) -> Document {
    let mut d = Document::new();
    d.drawer(s.drawer_pin);
    d.text("開錢櫃 NO SALE", Style::center().bold());
    d.row("時間", s.datetime.clone());
    d.row("店長", s.manager.clone());
    d.feed(3).cut();
    d
}
