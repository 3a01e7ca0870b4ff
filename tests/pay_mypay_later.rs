//! MyPay issues the e-invoice after the payment (2020 manual §11, 電子發票
//! 通知回報): an approval without it leaves the invoice owed, counted and
//! asked for again until it arrives, then journaled as MyPay sent it.
//! Never silently skipped.

use crate::pay_support;

use pay_support::{Rig, rig};
use till::config::InvoiceIssuer;
use till::journal::AttemptState;
use till::money::Ntd;
use till::sim::mypay::LATE_INVOICE;
use till::terminal::{Payments, Tender};

async fn mypay_issuing() -> Rig {
    let mut r = rig().await;
    r.cfg.einvoice.issuer = InvoiceIssuer::Mypay;
    r.payments = Payments::from_config(&r.cfg)
        .unwrap()
        .with_policy(pay_support::quick_policy());
    r
}

#[tokio::test]
async fn an_invoice_mypay_issues_later_is_owed_until_fetched_then_journaled() {
    let mut r = mypay_issuing().await;
    let sale = r.sale(LATE_INVOICE);
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan("PI7E3A60BD8C8F23F7".into()),
            Ntd::new(LATE_INVOICE),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    // Paid, but MyPay has not issued the invoice: owed, not forgotten.
    assert!(r.till.mypay_invoice(&sale).unwrap().is_none());
    assert_eq!(r.till.mypay_invoices_due().unwrap(), 1);

    // Asked again before MyPay issued it: still owed, the try counted.
    assert!(
        r.till
            .fetch_mypay_invoices(&r.payments)
            .await
            .unwrap()
            .is_empty()
    );
    let due = r.till.journal().mypay_invoices_due().unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].sale_no, sale);
    assert_eq!(due[0].tries, 1);
    assert!(
        due[0].last_error.as_deref().unwrap_or("").contains("MyPay"),
        "{due:?}"
    );

    // MyPay issues it; the next fetch brings it, once.
    assert_eq!(r.sims.mypay.issue_late_invoices(), 1);
    let arrived = r.till.fetch_mypay_invoices(&r.payments).await.unwrap();
    assert_eq!(arrived, vec![sale.clone()]);
    assert_eq!(r.till.mypay_invoices_due().unwrap(), 0);
    let inv = r.till.mypay_invoice(&sale).unwrap().expect("now on record");
    assert_eq!(inv.total, Ntd::new(LATE_INVOICE));
    assert!(inv.prints_proof());
    assert!(
        r.till
            .fetch_mypay_invoices(&r.payments)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(r.till.journal().verify_audit().unwrap().is_intact());
}

#[tokio::test]
async fn an_invoice_in_the_answer_is_not_owed_and_cash_owes_nothing() {
    let mut r = mypay_issuing().await;
    let sale = r.sale(180);
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan("PI7E3A60BD8C8F23F7".into()),
            Ntd::new(180),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved);
    assert!(r.till.mypay_invoice(&sale).unwrap().is_some());
    let cash = r.sale(90);
    r.till.pay_cash(&cash, Ntd::new(90), Ntd::new(100)).unwrap();
    assert_eq!(r.till.mypay_invoices_due().unwrap(), 0);
}
