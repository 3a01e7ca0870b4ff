//! `Terminal::settle_by_hand` (`till settle`): an attempt the till cannot
//! settle by asking is settled by a manager from the gateway's back office,
//! journaled with the reason, and only while it is still in doubt.

use crate::pay_support;

use pay_support::rig;
use till::gateway::client::PayWith;
use till::journal::{AttemptState, Detail, Role, SaleStatus, User, stamp};
use till::money::Ntd;
use till::sale::{AttemptKind, GatewayId, PayMethod, Wallet};
use till::terminal::{PayError, Tender};

fn card() -> Tender {
    Tender::With(PayWith::BoundCard {
        bind_card_id: "BIND0001".into(),
        member_id: "member42".into(),
    })
}

#[tokio::test]
async fn an_ecpay_payment_whose_notice_never_comes_is_settled_from_the_back_office() {
    let mut r = rig().await;
    let sale = r.sale(7002);
    // 7002: ECPay charges and the answer is lost; its notice never comes.
    let res = r
        .till
        .pay(&r.payments, &sale, card(), Ntd::new(7002), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown, "{}", res.message);
    let trade = res.trade_no.parse().unwrap();
    let m = r.manager();
    let cashier = User {
        role: Role::Cashier,
        ..m.clone()
    };
    assert!(matches!(
        r.till.settle_by_hand(
            &r.payments,
            &trade,
            Some("2411221234567890"),
            "後台",
            &cashier
        ),
        Err(PayError::NotManager)
    ));
    assert!(matches!(
        r.till
            .settle_by_hand(&r.payments, &trade, Some("2411221234567890"), " ", &m),
        Err(PayError::ReasonRequired)
    ));
    let out = r
        .till
        .settle_by_hand(
            &r.payments,
            &trade,
            Some("2411221234567890"),
            "綠界後台:已付款 / ECPay back office: paid",
            &m,
        )
        .unwrap();
    assert_eq!(out.state, AttemptState::Approved, "{}", out.message);
    assert_eq!(out.gateway_trade_no.as_deref(), Some("2411221234567890"));
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.status, SaleStatus::Paid);
    let last = d.payments[0].events.last().unwrap();
    assert_eq!(last.detail["extra"]["by_hand"], serde_json::json!(true));
    assert_eq!(last.detail["extra"]["manager"], serde_json::json!(m.name));
    // Settled: it cannot be settled again, either way.
    assert!(
        r.till
            .settle_by_hand(&r.payments, &trade, None, "again", &m)
            .is_err()
    );
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_jkopay_cancel_left_unanswered_is_closed_as_cancelled_when_nothing_was_charged() {
    let mut r = rig().await;
    let sale = r.sale(300);
    let j = r.till.journal_mut();
    let trade = j
        .begin_attempt(
            &sale,
            AttemptKind::Payment,
            Some(GatewayId::JkoPay),
            PayMethod::Wallet(Wallet::JkoPay),
            Ntd::new(300),
            None,
        )
        .unwrap();
    j.transition(&trade, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&trade, AttemptState::Cancelling, Detail::new())
        .unwrap();
    let m = r.manager();
    let out = r
        .till
        .settle_by_hand(
            &r.payments,
            &trade,
            None,
            "街口後台查無此筆 / not in JKoPay's back office",
            &m,
        )
        .unwrap();
    assert_eq!(out.state, AttemptState::Cancelled, "{}", out.message);
    // The sale can be paid now.
    let paid = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(pay_support::JKO_TOKEN.into()),
            Ntd::new(300),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(paid.state, AttemptState::Approved, "{}", paid.message);
    // Settled on the manager's word: nothing was sent to JKoPay for it.
    assert_eq!(r.sims.jkopay.ledger.calls("Cancel", &trade.to_string()), 0);
    assert_eq!(r.sims.jkopay.ledger.calls("Payment", &trade.to_string()), 0);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_refund_settled_by_hand_as_done_gets_its_invoice_void() {
    use till::einvoice::buyer::BuyerChoice;
    use till::journal::{INVOICE_DUE, InvoiceStatus};
    let mut r = rig().await;
    let sale = r.sale(500);
    let paid = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(pay_support::JKO_TOKEN.into()),
            Ntd::new(500),
            vec![],
        )
        .await
        .unwrap();
    r.till
        .issue_invoice(&r.cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    let (trade, _) = r
        .till
        .journal_mut()
        .begin_refund(
            &sale,
            &till::sale::RefundRequest::Full,
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
            .with("reason", "退貨")
            .with("payment", paid.trade_no.clone())
            .with(INVOICE_DUE, true),
    )
    .unwrap();
    let m = r.manager();
    let out = r
        .till
        .settle_by_hand(
            &r.payments,
            &trade,
            Some("JR0000099"),
            "街口後台:已退款 / JKoPay back office: refunded",
            &m,
        )
        .unwrap();
    assert_eq!(out.state, AttemptState::Approved, "{}", out.message);
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(500));
    assert_eq!(
        d.invoices.iter().map(|i| i.status).collect::<Vec<_>>(),
        [InvoiceStatus::Voided]
    );
    assert!(r.till.journal().invoice_changes_owed().unwrap().is_empty());
}
