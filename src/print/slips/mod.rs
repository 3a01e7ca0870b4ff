//! Every slip's layout: each is a pure function from plain data to a
//! [`Document`](super::Document); the terminal fills the data from the
//! journal, the einvoice builders or the gateway's answer.
//!
//! receipt (收據), e-invoice proof (電子發票證明聯), detail slip (交易明細),
//! allowance slip (折讓證明單), refund slip (退款單), pay-later slip
//! (繳費單), PayPage slip (手機付款), X/Z report, test page.

pub mod allowance;
pub mod detail;
pub mod pay_later;
pub mod paypage;
pub mod proof;
pub mod receipt;
pub mod refund;
pub mod report;
pub mod samples;
pub mod test_page;

pub use allowance::allowance_slip_document;
pub use detail::{DetailItem, DetailSlipData, detail_slip_document};
pub use pay_later::{PayLaterKind, PayLaterSlipData, pay_later_slip_document};
pub use paypage::{PayPageSlipData, paypage_slip_document};
pub use proof::{ProofData, proof_document};
pub use receipt::{ReceiptData, ReceiptItem, receipt_document};
pub use refund::{RefundInvoiceLine, RefundSlipData, refund_slip_document};
pub use report::{report_document, tender_name};
pub use test_page::{TestPageData, test_page_document};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::model::{Block, Document};

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
        let mut s = samples::detail_slip();
        let with = texts(&detail_slip_document(&s));
        assert!(with.contains("格式 25") && with.contains("稅額"), "{with}");
        s.buyer_ban = None;
        let without = texts(&detail_slip_document(&s));
        assert!(!without.contains("格式 25") && !without.contains("稅額"));
        assert!(without.contains("總計"));
    }

    #[test]
    fn refund_slip_states_the_invoice_decision() {
        let mut r = samples::refund_slip();
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
