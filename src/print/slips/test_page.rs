//! The test page (`till print test`, the Settings screen): the printer's
//! profile and connection, Chinese text, a barcode and a QR code.

use crate::print::model::{Document, Ecc, Style, Symbology};

/// What a test page shows besides its fixed samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPageData {
    pub store_name: String,
    /// The profile's name, e.g. `generic-58-big5`.
    pub profile: String,
    /// Where the page goes, e.g. `tcp://127.0.0.1:9100`.
    pub target: String,
    /// Taipei time, `YYYY-MM-DD HH:MM`.
    pub time: String,
}

pub fn test_page_document(t: &TestPageData) -> Document {
    let mut d = Document::new();
    d.text("till 測試頁 / test page", Style::center().double().bold());
    d.text(&t.store_name, Style::center());
    d.row("型號 profile", &t.profile);
    d.row("連線 transport", &t.target);
    d.row("時間 time", &t.time);
    d.rule();
    d.text("繁體中文:發票證明聯 補印 找零", Style::default());
    d.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789", Style::default());
    d.text("粗體 bold", Style::default().bold());
    d.barcode(Symbology::Code39, "TILL-TEST", 40, true);
    d.qr("till test page 測試", Ecc::M);
    d.feed(2).cut();
    d
}
