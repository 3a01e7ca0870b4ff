//! The pay-later slip (繳費單): how the customer pays at an ATM, a
//! convenience store or by card afterwards.

use crate::money::Ntd;
use crate::print::model::{Document, Style, Symbology};

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
