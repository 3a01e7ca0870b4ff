//! The e-invoice proof (電子發票證明聯), laid out as the Ministry of
//! Finance's sample.

use crate::money::Ntd;
use crate::print::model::{Document, Style, Symbology};

/// What the e-invoice proof (電子發票證明聯) prints. The strings come from
/// the `einvoice` module's builders; this module only lays them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofData {
    /// Seller's name or shop sign over the title, if any.
    pub seller_name: Option<String>,
    /// `115年11-12月`.
    pub period_label: String,
    /// `AB-12345678`.
    pub number_dashed: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub datetime: String,
    pub random_code: String,
    pub total: Ntd,
    pub seller_ban: String,
    pub buyer_ban: Option<String>,
    /// The 19-character Code 39 content.
    pub code39: String,
    pub left_qr: String,
    pub right_qr: String,
    /// A test-environment invoice: the title says 測試.
    pub test: bool,
    /// A reprint: says 補印.
    pub reprint: bool,
}

/// The e-invoice proof, laid out as the Ministry of Finance's sample.
pub fn proof_document(p: &ProofData) -> Document {
    let mut d = Document::new();
    if let Some(name) = &p.seller_name {
        d.text(name, Style::center().bold());
    }
    let title = if p.test {
        "測試電子發票證明聯"
    } else {
        "電子發票證明聯"
    };
    d.text(title, Style::center().tall().bold());
    if p.reprint {
        d.text("補印", Style::center().bold());
    }
    d.text(&p.period_label, Style::center().double().bold());
    d.text(&p.number_dashed, Style::center().double().bold());
    let mut when = p.datetime.clone();
    if p.buyer_ban.is_some() {
        when.push_str(" 格式 25");
    }
    d.text(when, Style::default());
    d.text(
        format!("隨機碼 {}   總計 {}", p.random_code, p.total.dollars()),
        Style::default(),
    );
    let mut bans = format!("賣方 {}", p.seller_ban);
    if let Some(b) = &p.buyer_ban {
        bans.push_str(&format!("   買方 {b}"));
    }
    d.text(bans, Style::default());
    d.barcode(Symbology::Code39, &p.code39, 40, false);
    d.feed(1);
    d.qr_pair(&p.left_qr, &p.right_qr);
    d.feed(2).cut();
    d
}
