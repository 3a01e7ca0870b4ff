//! Every slip's layout: each is a pure function from plain data to a
//! [`Document`](super::Document); the terminal fills the data from the
//! journal, the einvoice builders or the gateway's answer.
//!
//! receipt (收據), e-invoice proof (電子發票證明聯), detail slip (交易明細),
//! allowance slip (折讓證明單), refund slip (退款單) and its brief form,
//! pay-later slip (繳費單), PayPage slip (手機付款), X/Z report, test page,
//! NO SALE slip (開錢櫃).

pub mod allowance;
pub mod detail;
pub mod no_sale;
pub mod pay_later;
pub mod paypage;
pub mod proof;
pub mod receipt;
pub mod refund;
pub mod refund_brief;
pub mod report;
pub mod samples;
pub mod test_page;

pub use allowance::allowance_slip_document;
pub use detail::{DetailItem, DetailSlipData, detail_slip_document};
pub use no_sale::{NoSaleSlipData, no_sale_slip_document};
pub use pay_later::{PayLaterKind, PayLaterSlipData, pay_later_slip_document};
pub use paypage::{PayPageSlipData, paypage_slip_document};
pub use proof::{ProofData, proof_document};
pub use receipt::{ReceiptData, ReceiptItem, receipt_document};
pub use refund::{RefundInvoiceLine, RefundSlipData, refund_slip_document};
pub use refund_brief::{RefundBriefData, refund_brief_document};
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

    #[test]
    fn no_sale_slip_opens_the_drawer_before_saying_who_opened_it() {
        let d = no_sale_slip_document(&NoSaleSlipData {
            drawer_pin: 5,
            datetime: "2026-12-07 12:00:00".into(),
            manager: "王店長".into(),
        });
        assert_eq!(d.blocks.first(), Some(&Block::Drawer { pin: 5 }));
        let t = texts(&d);
        assert!(t.contains("開錢櫃 NO SALE") && t.contains("王店長") && t.contains("12:00:00"));
    }

    #[test]
    fn brief_refund_slip_pulses_the_drawer_only_for_cash() {
        let mut r = RefundBriefData {
            test: false,
            sale_no: "T0126112200042".into(),
            receipt_code: "TLT0126112200042".into(),
            refund_trade_no: "T0126112200042R01".into(),
            paid_back_via: "現金 cash".into(),
            refunded: crate::money::Ntd::new(85),
            reason: "退貨".into(),
            manager: "王店長".into(),
            datetime: "2026-12-07 12:00:00+08:00".into(),
            invoice: "電子發票:無".into(),
            drawer_pin: Some(2),
        };
        let drawer = |d: &Document| d.blocks.iter().any(|b| matches!(b, Block::Drawer { .. }));
        let cash = refund_brief_document(&r);
        assert!(drawer(&cash));
        assert!(texts(&cash).contains("T0126112200042R01") && !texts(&cash).contains("測試"));
        r.drawer_pin = None;
        r.test = true;
        let card = refund_brief_document(&r);
        assert!(!drawer(&card) && texts(&card).contains("測試"));
    }
}
