//! The e-invoice detail slip (交易明細).

use crate::money::Ntd;
use crate::print::model::{Document, Style};

/// One item line of the detail slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailItem {
    pub name: String,
    pub qty: u32,
    pub unit_price: Ntd,
    pub amount: Ntd,
}

/// What the e-invoice detail slip (交易明細) prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailSlipData {
    pub seller_name: Option<String>,
    pub seller_ban: String,
    /// `AB-12345678`.
    pub number_dashed: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub datetime: String,
    /// A buyer with a BAN: `買方` and `格式 25`.
    pub buyer_ban: Option<String>,
    pub items: Vec<DetailItem>,
    /// Untaxed sales amount and tax: shown apart for a buyer with a BAN.
    pub sales_amount: Ntd,
    pub tax: Ntd,
    pub total: Ntd,
    pub test: bool,
    pub reprint: bool,
}

/// The detail slip (交易明細) in the Ministry of Finance's layout: the
/// invoice it belongs to, each item with quantity, unit price and amount,
/// then sales amount, tax and total (`NOTES.md` §5).
pub fn detail_slip_document(s: &DetailSlipData) -> Document {
    let mut d = Document::new();
    if let Some(name) = &s.seller_name {
        d.text(name, Style::center().bold());
    }
    let title = if s.test {
        "測試 交易明細"
    } else {
        "交易明細"
    };
    d.text(title, Style::center().tall().bold());
    if s.reprint {
        d.text("補印", Style::center().bold());
    }
    d.row("發票號碼", &s.number_dashed);
    let mut when = s.datetime.clone();
    if s.buyer_ban.is_some() {
        when.push_str(" 格式 25");
    }
    d.text(when, Style::default());
    d.row("賣方", &s.seller_ban);
    if let Some(ban) = &s.buyer_ban {
        d.row("買方", ban);
    }
    d.rule();
    d.row("品名 數量 x 單價", "金額");
    d.rule();
    for item in &s.items {
        d.text(&item.name, Style::default());
        d.row(
            format!("  {} x {}", item.qty, item.unit_price.dollars()),
            item.amount.dollars().to_string(),
        );
    }
    d.rule();
    d.row(format!("共 {} 項", s.items.len()), "");
    if s.buyer_ban.is_some() {
        d.row("銷售額(未稅)", s.sales_amount.dollars().to_string());
        d.row("稅額", s.tax.dollars().to_string());
    }
    d.row_styled(
        "總計",
        s.total.dollars().to_string(),
        Style::default().tall().bold(),
    );
    d.feed(2).cut();
    d
}
