//! The slips besides the receipt and the proof: refund slip (退款單),
//! pay-later slip (繳費單), PayPage slip (手機付款) and the e-invoice
//! detail slip (交易明細). Each is a pure function from plain data to a
//! [`Document`]; the terminal fills the data from the journal.

use crate::money::Ntd;

use super::document::{Document, Style, Symbology};

/// What a refund did to the sale's e-invoice, as the slip states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundInvoiceLine {
    /// No invoice concerned (none issued, or MyPay handled it unseen).
    None,
    /// The invoice was voided (作廢); the paper proof is taken back when
    /// `proof_recovered`.
    Void {
        number_dashed: String,
        proof_recovered: bool,
    },
    /// An allowance (折讓) with its own number was made on the invoice.
    Allowance {
        number_dashed: String,
        allowance_number: String,
    },
}

/// What a refund slip (退款單) prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSlipData {
    pub shop_name: String,
    pub header_lines: Vec<String>,
    /// The sale refunded, e.g. `T0126112200042`.
    pub sale_no: String,
    /// The sale's receipt code (`TLT…`), printed as Code 128.
    pub receipt_code: String,
    /// The payment attempt refunded (`…P01`) and its gateway's name.
    pub original_trade_no: String,
    pub gateway: String,
    /// This refund's trade number (`…R01`).
    pub refund_trade_no: String,
    pub refunded: Ntd,
    /// What is left on the sale after this refund.
    pub remaining: Ntd,
    pub reason: String,
    /// The manager who approved it.
    pub manager: String,
    /// `YYYY-MM-DD HH:MM:SS +08:00`.
    pub datetime: String,
    pub invoice: RefundInvoiceLine,
    /// Demo / test: says 測試.
    pub test: bool,
    /// Printed again: says 補印.
    pub reprint: bool,
}

/// A refund slip: what was paid back, on whose approval, and what became
/// of the e-invoice.
pub fn refund_slip_document(r: &RefundSlipData) -> Document {
    let mut d = Document::new();
    d.text(&r.shop_name, Style::center().bold());
    for h in &r.header_lines {
        d.text(h, Style::center());
    }
    let title = if r.test {
        "測試 退款單"
    } else {
        "退款單"
    };
    d.text(title, Style::center().double().bold());
    d.text("Refund", Style::center());
    if r.reprint {
        d.text("補印 Reprint", Style::center().bold());
    }
    d.row(&r.datetime, "");
    d.rule();
    d.row("原交易 Sale", &r.sale_no);
    d.row("原付款 Payment", &r.original_trade_no);
    d.row("金流 Gateway", &r.gateway);
    d.row("退款 Refund", &r.refund_trade_no);
    d.rule();
    d.row_styled(
        "退款 Refunded",
        r.refunded.to_string(),
        Style::default().tall().bold(),
    );
    d.row("剩餘 Remaining", r.remaining.to_string());
    d.text(format!("原因 Reason: {}", r.reason), Style::default());
    d.text(format!("核准 Approved by: {}", r.manager), Style::default());
    d.rule();
    match &r.invoice {
        RefundInvoiceLine::None => {
            d.text("發票:無異動 / e-invoice: unchanged", Style::default());
        }
        RefundInvoiceLine::Void {
            number_dashed,
            proof_recovered,
        } => {
            d.text(
                format!("發票作廢 Void {number_dashed}"),
                Style::default().bold(),
            );
            if *proof_recovered {
                d.text("已收回證明聯 / proof taken back", Style::default());
            }
        }
        RefundInvoiceLine::Allowance {
            number_dashed,
            allowance_number,
        } => {
            d.text(
                format!("發票折讓 Allowance {number_dashed}"),
                Style::default().bold(),
            );
            d.text(format!("折讓單號 {allowance_number}"), Style::default());
        }
    }
    d.feed(1);
    d.barcode(Symbology::Code128, &r.receipt_code, 48, true);
    d.feed(1);
    d.text("顧客簽名 Customer:", Style::default());
    d.feed(3).cut();
    d
}

/// How a pay-later sale is to be paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayLaterKind {
    /// Transfer to a virtual bank account (ATM, online banking).
    Atm,
    /// Pay with a code at a convenience store kiosk or counter.
    Store,
    /// Card payment on a web page.
    Credit,
}

/// What a pay-later slip (繳費單) prints; the fields the aggregator gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayLaterSlipData {
    pub shop_name: String,
    pub trade_no: String,
    pub pay_type: PayLaterKind,
    pub amount: Ntd,
    /// ATM: the bank code (3 digits) and the virtual account.
    pub bank_code: Option<String>,
    pub account: Option<String>,
    /// Store: the payment code.
    pub store_code: Option<String>,
    /// A page where the customer can pay, printed as a QR code.
    pub pay_url: Option<String>,
    /// `YYYY-MM-DD HH:MM` (+08:00) after which the code no longer works.
    pub deadline: Option<String>,
    pub test: bool,
}

/// The code as Code 128 under its large printed digits (so no second
/// human-readable line).
fn code128(d: &mut Document, data: &str) {
    d.barcode(Symbology::Code128, data, 64, false);
    d.feed(1);
}

/// A pay-later slip: the account or store code large and as barcodes, the
/// pay page as a QR code, the deadline, and what to do in zh-TW and English.
pub fn pay_later_slip_document(p: &PayLaterSlipData) -> Document {
    let mut d = Document::new();
    d.text(&p.shop_name, Style::center().bold());
    let title = if p.test {
        "測試 繳費單"
    } else {
        "繳費單"
    };
    d.text(title, Style::center().double().bold());
    d.text("Payment slip", Style::center());
    d.row("單號 Trade", &p.trade_no);
    d.row_styled(
        "應繳 Amount",
        p.amount.to_string(),
        Style::default().tall().bold(),
    );
    if let Some(deadline) = &p.deadline {
        d.row("繳費期限 Pay by", deadline);
    }
    d.rule();
    match p.pay_type {
        PayLaterKind::Atm => {
            if let Some(bank) = &p.bank_code {
                d.text("銀行代碼 Bank code", Style::default());
                d.text(bank, Style::center().double().bold());
            }
            if let Some(account) = &p.account {
                d.text("轉帳帳號 Account", Style::default());
                d.text(account, Style::center().tall().bold());
                code128(&mut d, account);
            }
            d.text(
                "請於期限前以 ATM 或網路銀行轉帳上列金額至上列帳號。",
                Style::default(),
            );
            d.text(
                "Transfer the amount to this account at an ATM or by online banking before the deadline.",
                Style::default(),
            );
        }
        PayLaterKind::Store => {
            if let Some(code) = &p.store_code {
                d.text("繳費代碼 Payment code", Style::default());
                d.text(code, Style::center().tall().bold());
                code128(&mut d, code);
            }
            d.text(
                "請至便利商店 KIOSK 輸入繳費代碼,或出示本單條碼於櫃台繳費。",
                Style::default(),
            );
            d.text(
                "Enter the payment code at a convenience store kiosk, or show this barcode at the counter.",
                Style::default(),
            );
        }
        PayLaterKind::Credit => {
            d.text("請掃描下方 QR Code 以信用卡付款。", Style::default());
            d.text("Scan the QR code to pay by card.", Style::default());
        }
    }
    if let Some(url) = &p.pay_url {
        d.feed(1);
        d.qr_large(url);
        d.feed(1);
        d.text("掃描付款 Scan to pay", Style::center());
    }
    d.feed(3).cut();
    d
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::document::Block;

    fn texts(d: &Document) -> String {
        d.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text { text, .. } => Some(text.clone()),
                Block::Row { left, right, .. } => Some(format!("{left} {right}")),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn detail_slip_shows_the_tax_split_only_with_a_ban() {
        let mut s = crate::print::samples::detail_slip();
        let with = texts(&detail_slip_document(&s));
        assert!(with.contains("格式 25") && with.contains("稅額"), "{with}");
        s.buyer_ban = None;
        let without = texts(&detail_slip_document(&s));
        assert!(!without.contains("格式 25") && !without.contains("稅額"));
        assert!(without.contains("總計"));
    }

    #[test]
    fn refund_slip_states_the_invoice_decision() {
        let mut r = crate::print::samples::refund_slip();
        r.invoice = RefundInvoiceLine::Void {
            number_dashed: "AB-12345678".into(),
            proof_recovered: true,
        };
        let t = texts(&refund_slip_document(&r));
        assert!(t.contains("作廢") && t.contains("AB-12345678") && t.contains("收回"));
        r.invoice = RefundInvoiceLine::None;
        assert!(texts(&refund_slip_document(&r)).contains("無異動"));
    }
}
