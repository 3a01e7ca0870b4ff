//! The refund slip (退款單).

use crate::money::Ntd;
use crate::print::model::{Document, Style, Symbology};

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
