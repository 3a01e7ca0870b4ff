//! `Terminal::refund_sale`: money back first (gateway or cash), then the
//! e-invoice void / allowance — and only once the money is back.

use crate::pay_support;

use chrono::NaiveDate;
use pay_support::{JKO_TOKEN, Rig, rig};
use till::einvoice::Treatment;
use till::einvoice::buyer::BuyerChoice;
use till::journal::{AttemptState, InvoiceStatus, Role, SaleStatus, User};
use till::money::Ntd;
use till::sale::{RefundRequest, SaleNo};
use till::taipei::{self, TaipeiTime};
use till::terminal::{PayError, RefundMoney, RefundVia, Tender};

fn at(y: i32, m: u32, d: u32) -> TaipeiTime {
    taipei::from_wall_clock(
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap(),
    )
}

fn set_clock(r: &mut Rig, t: TaipeiTime) {
    r.till.set_clock(move || t);
}

async fn jko_sale(r: &mut Rig, total: i64) -> SaleNo {
    let sale = r.sale(total);
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(JKO_TOKEN.into()),
            Ntd::new(total),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    sale
}

fn cash_sale(r: &mut Rig, total: i64) -> SaleNo {
    let sale = r.sale(total);
    r.till
        .pay_cash(&sale, Ntd::new(total), Ntd::new(total))
        .unwrap();
    sale
}

/// What the refund screen says a full refund of `sale` would do to its invoice.
fn full_refund_treatment(r: &Rig, sale: &SaleNo) -> Treatment {
    r.till
        .refund_preview(&r.cfg, sale, &RefundRequest::Full)
        .unwrap()
        .invoice
        .unwrap()
        .treatment
}

/// A manager gives all of `sale` back ("defect"); what it did to the invoice.
async fn refund_in_full(r: &mut Rig, sale: &SaleNo) -> till::terminal::RefundInvoice {
    let manager = r.manager();
    r.till
        .refund_sale(
            &r.cfg,
            &r.payments,
            sale,
            &RefundRequest::Full,
            "defect",
            &manager,
        )
        .await
        .unwrap()
        .invoice
        .unwrap()
}

fn invoice_status(r: &Rig, sale: &SaleNo) -> Vec<InvoiceStatus> {
    let d = r.till.journal().sale_detail(sale).unwrap().unwrap();
    d.invoices.iter().map(|i| i.status).collect()
}

#[tokio::test]
async fn a_cash_sale_is_refunded_from_the_drawer_and_its_invoice_voided_in_the_period() {
    let mut r = rig().await;
    set_clock(&mut r, at(2026, 11, 20));
    let sale = cash_sale(&mut r, 150);
    let issued = r
        .till
        .issue_invoice(&r.cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    let preview = r
        .till
        .refund_preview(&r.cfg, &sale, &RefundRequest::Full)
        .unwrap();
    assert_eq!(preview.refundable, Ntd::new(150));
    assert_eq!(preview.via, Some(RefundVia::Cash));
    let inv = preview.invoice.as_ref().unwrap();
    assert_eq!(inv.treatment, Treatment::Void);
    assert!(inv.recover_proof);
    // The preview wrote nothing.
    assert_eq!(invoice_status(&r, &sale), [InvoiceStatus::Issued]);

    set_clock(&mut r, at(2026, 12, 5));
    let manager = r.manager();
    let out = r
        .till
        .refund_sale(
            &r.cfg,
            &r.payments,
            &sale,
            &RefundRequest::Full,
            "  顧客退貨  ",
            &manager,
        )
        .await
        .unwrap();
    assert_eq!(out.amount, Ntd::new(150));
    assert!(
        matches!(&out.money, RefundMoney::Cash { amount, .. } if *amount == Ntd::new(150)),
        "{:?}",
        out.money
    );
    let inv = out.invoice.unwrap();
    assert_eq!(inv.number, *issued.invoice.number());
    assert_eq!(inv.treatment, Treatment::Void);
    assert!(inv.recover_proof);
    assert_eq!(invoice_status(&r, &sale), [InvoiceStatus::Voided]);
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.status, SaleStatus::Refunded);
    assert_eq!(d.refunds[0].gateway, None);
    // Nothing went to a gateway.
    assert_eq!(r.sims.jkopay.ledger.total_charged(), Ntd::ZERO);
}

#[tokio::test]
async fn a_full_refund_in_a_later_period_is_an_allowance() {
    let mut r = rig().await;
    set_clock(&mut r, at(2026, 10, 30));
    let sale = cash_sale(&mut r, 200);
    r.till
        .issue_invoice(&r.cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    // 2026-11 is the next period (11–12): no longer voidable.
    set_clock(&mut r, at(2026, 11, 3));
    assert_eq!(full_refund_treatment(&r, &sale), Treatment::Allowance);
    let inv = refund_in_full(&mut r, &sale).await;
    assert_eq!(inv.treatment, Treatment::Allowance);
    assert!(inv.allowance_number.is_some());
    assert!(inv.allowance_slip.is_some());
    assert_eq!(invoice_status(&r, &sale), [InvoiceStatus::Allowance]);
}

/// The store's accountant may allow voids until the filing deadline
/// (`einvoice.void_across_period = "until_filing_deadline"`): the same full
/// refund early in the next period then voids the invoice, and after the
/// 15th of that odd month it is an allowance again.
#[tokio::test]
async fn a_store_voiding_until_the_filing_deadline_voids_early_in_the_next_period() {
    let mut r = rig().await;
    r.cfg.einvoice.void_across_period = till::einvoice::CrossPeriodVoid::UntilFilingDeadline;
    set_clock(&mut r, at(2026, 10, 30));
    let sale = cash_sale(&mut r, 200);
    let late = cash_sale(&mut r, 300);
    for s in [&sale, &late] {
        r.till
            .issue_invoice(&r.cfg, s, &BuyerChoice::Print)
            .unwrap();
    }
    // 2026-11-03: the 9–10 period's return is due on 11-15.
    set_clock(&mut r, at(2026, 11, 3));
    assert_eq!(full_refund_treatment(&r, &sale), Treatment::Void);
    assert_eq!(
        refund_in_full(&mut r, &sale).await.treatment,
        Treatment::Void
    );
    assert_eq!(invoice_status(&r, &sale), [InvoiceStatus::Voided]);
    // After the deadline: an allowance.
    set_clock(&mut r, at(2026, 11, 16));
    assert_eq!(full_refund_treatment(&r, &late), Treatment::Allowance);
}

#[tokio::test]
async fn jkopay_refunds_partly_twice_then_refuses_beyond_what_was_paid() {
    let mut r = rig().await;
    let sale = jko_sale(&mut r, 300).await;
    let pay_no = r
        .till
        .journal()
        .sale_detail(&sale)
        .unwrap()
        .unwrap()
        .payments[0]
        .trade_no
        .to_string();
    r.till
        .issue_invoice(&r.cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    let manager = r.manager();
    for (n, amount) in [(1, 100), (2, 150)] {
        let preview = r
            .till
            .refund_preview(&r.cfg, &sale, &RefundRequest::Amount(Ntd::new(amount)))
            .unwrap();
        assert!(matches!(
            preview.via,
            Some(RefundVia::Gateway {
                gateway: till::sale::GatewayId::JkoPay,
                ..
            })
        ));
        let out = r
            .till
            .refund_sale(
                &r.cfg,
                &r.payments,
                &sale,
                &RefundRequest::Amount(Ntd::new(amount)),
                "price adjustment",
                &manager,
            )
            .await
            .unwrap();
        let RefundMoney::Gateway(res) = &out.money else {
            panic!("{:?}", out.money)
        };
        assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
        assert!(
            res.trade_no.ends_with(&format!("R0{n}")),
            "{}",
            res.trade_no
        );
        // A partial refund is an allowance on the invoice.
        assert_eq!(out.invoice.unwrap().treatment, Treatment::Allowance);
        assert_eq!(
            r.sims.jkopay.ledger.calls("Refund", &res.trade_no),
            1,
            "each refund sent once"
        );
    }
    let charge = r.sims.jkopay.ledger.charges_for(&pay_no).pop().unwrap();
    assert_eq!(charge.refunded, Ntd::new(250));

    let preview = r
        .till
        .refund_preview(&r.cfg, &sale, &RefundRequest::Amount(Ntd::new(51)))
        .unwrap();
    assert_eq!(preview.refundable, Ntd::new(50));
    assert!(preview.refused.is_some());
    let beyond = r
        .till
        .refund_sale(
            &r.cfg,
            &r.payments,
            &sale,
            &RefundRequest::Amount(Ntd::new(51)),
            "too much",
            &manager,
        )
        .await;
    assert!(beyond.is_err(), "{beyond:?}");
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(
        d.refunds.len(),
        2,
        "nothing journaled for the refused refund"
    );
    assert_eq!(
        r.sims
            .jkopay
            .ledger
            .charges_for(&pay_no)
            .pop()
            .unwrap()
            .refunded,
        Ntd::new(250)
    );
}

#[tokio::test]
async fn only_a_manager_with_a_reason_may_refund() {
    let mut r = rig().await;
    let sale = cash_sale(&mut r, 80);
    let cashier = User {
        role: Role::Cashier,
        ..r.manager()
    };
    let refused = r
        .till
        .refund_sale(
            &r.cfg,
            &r.payments,
            &sale,
            &RefundRequest::Full,
            "reason",
            &cashier,
        )
        .await;
    assert!(matches!(refused, Err(PayError::NotManager)), "{refused:?}");
    let manager = r.manager();
    let refused = r
        .till
        .refund_sale(
            &r.cfg,
            &r.payments,
            &sale,
            &RefundRequest::Full,
            "   ",
            &manager,
        )
        .await;
    assert!(
        matches!(refused, Err(PayError::ReasonRequired)),
        "{refused:?}"
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert!(d.refunds.is_empty());
    assert_eq!(d.summary.status, SaleStatus::Paid);
}

#[tokio::test]
async fn a_declined_refund_leaves_the_invoice_untouched() {
    let mut r = rig().await;
    let sale = jko_sale(&mut r, 10_000).await;
    r.till
        .issue_invoice(&r.cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    let manager = r.manager();
    // 9951: the JKoPay simulator declines this refund with 951.
    let out = r
        .till
        .refund_sale(
            &r.cfg,
            &r.payments,
            &sale,
            &RefundRequest::Amount(Ntd::new(9951)),
            "customer asked",
            &manager,
        )
        .await
        .unwrap();
    let RefundMoney::Gateway(res) = &out.money else {
        panic!("{:?}", out.money)
    };
    assert_eq!(res.state, AttemptState::Declined);
    assert_eq!(res.code.as_deref(), Some("951"));
    assert!(out.invoice.is_none());
    assert_eq!(invoice_status(&r, &sale), [InvoiceStatus::Issued]);
    let number = r.till.live_invoice(&sale).unwrap().unwrap().0;
    assert!(
        r.till
            .journal()
            .invoice_changes(number.number().as_str())
            .unwrap()
            .is_empty()
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::ZERO);
}

#[tokio::test]
async fn a_mixed_sale_refunds_the_wallet_first_then_cash() {
    let mut r = rig().await;
    let sale = r.sale(300);
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(JKO_TOKEN.into()),
            Ntd::new(200),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved);
    r.till
        .pay_cash(&sale, Ntd::new(100), Ntd::new(100))
        .unwrap();
    let manager = r.manager();
    // More than the wallet took: refused, with the most it can take.
    let split = r
        .till
        .refund_sale(
            &r.cfg,
            &r.payments,
            &sale,
            &RefundRequest::Full,
            "return",
            &manager,
        )
        .await;
    assert!(
        matches!(&split, Err(PayError::RefundNotAllowed(m)) if m.contains("200")),
        "{split:?}"
    );
    for (amount, cash) in [(200, false), (100, true)] {
        let out = r
            .till
            .refund_sale(
                &r.cfg,
                &r.payments,
                &sale,
                &RefundRequest::Amount(Ntd::new(amount)),
                "return",
                &manager,
            )
            .await
            .unwrap();
        assert_eq!(matches!(out.money, RefundMoney::Cash { .. }), cash);
        assert!(out.money.is_back());
    }
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.status, SaleStatus::Refunded);
}

#[tokio::test]
async fn a_void_owed_when_the_till_died_after_the_money_went_back_is_made_at_start_up_once() {
    use till::journal::{Detail, INVOICE_DUE, stamp};
    use till::sale::{GatewayId, PayMethod, Wallet};
    let mut r = rig().await;
    set_clock(&mut r, at(2026, 11, 20));
    let sale = jko_sale(&mut r, 300).await;
    let issued = r
        .till
        .issue_invoice(&r.cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    let paid = r
        .till
        .journal()
        .sale_detail(&sale)
        .unwrap()
        .unwrap()
        .payments[0]
        .trade_no
        .to_string();
    // The refund went out noting the void it owes, JKoPay gave the money
    // back, and the till died before it voided the invoice.
    let (trade, _) = r
        .till
        .journal_mut()
        .begin_refund(
            &sale,
            &RefundRequest::Full,
            Some(GatewayId::JkoPay),
            PayMethod::Wallet(Wallet::JkoPay),
        )
        .unwrap();
    let now = r.till.now();
    let j = r.till.journal_mut();
    j.transition(
        &trade,
        AttemptState::Sending,
        Detail::new()
            .with("at", stamp(now))
            .with("reason", "顧客退貨")
            .with("payment", paid)
            .with(INVOICE_DUE, true),
    )
    .unwrap();
    j.transition(
        &trade,
        AttemptState::Approved,
        Detail::new().gateway_trade_no("JR000001"),
    )
    .unwrap();
    assert_eq!(invoice_status(&r, &sale), [InvoiceStatus::Issued]);
    assert_eq!(
        r.till.journal().invoice_changes_owed().unwrap(),
        std::slice::from_ref(&trade)
    );
    let status = r.till.invoicing_status(&r.cfg).unwrap();
    assert_eq!(status.changes_owed, [trade.to_string()]);

    // Start-up: the owed void is made, with the refund's reason.
    r.till.recover(&r.payments).await.unwrap();
    assert_eq!(invoice_status(&r, &sale), [InvoiceStatus::Voided]);
    let changes = r
        .till
        .journal()
        .invoice_changes(issued.invoice.number().as_str())
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].reason, "顧客退貨");
    assert!(r.till.journal().invoice_changes_owed().unwrap().is_empty());
    // Once: the next start-up owes and makes nothing.
    r.till.recover(&r.payments).await.unwrap();
    assert_eq!(
        r.till
            .journal()
            .invoice_changes(issued.invoice.number().as_str())
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_cash_refund_records_the_void_it_owes_with_the_money() {
    let mut r = rig().await;
    set_clock(&mut r, at(2026, 11, 20));
    let sale = cash_sale(&mut r, 150);
    r.till
        .issue_invoice(&r.cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    let manager = r.manager();
    r.till
        .refund_sale(
            &r.cfg,
            &r.payments,
            &sale,
            &RefundRequest::Full,
            "退貨",
            &manager,
        )
        .await
        .unwrap();
    // The drawer's refund was journaled owing the void, and the void,
    // made right after, cleared it.
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    let approved = &d.refunds[0].events.last().unwrap().detail;
    assert_eq!(approved["extra"]["invoice_due"], serde_json::json!(true));
    assert_eq!(invoice_status(&r, &sale), [InvoiceStatus::Voided]);
    assert!(r.till.journal().invoice_changes_owed().unwrap().is_empty());
}
