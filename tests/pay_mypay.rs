//! MyPay through the terminal against the MyPay simulator: a lost answer is
//! settled by `api/querydirect`, never by charging again.

use crate::pay_support;

use pay_support::{quick_policy, rig};
use till::gateway::client::PayWith;
use till::journal::AttemptState;
use till::money::Ntd;
use till::sale::{RefundRequest, Wallet};
use till::sim::mypay::WECHAT_CONFIRM_AFTER;
use till::terminal::{PayError, PayEvent, Payments, ResolvePolicy, Resolving, Tender};

const PI_CODE: &str = "PI7E3A60BD8C8F23F7";

fn wechat() -> Tender {
    Tender::With(PayWith::WalletCode {
        wallet: Wallet::WeChatPay,
        code: "134507721102798524".into(),
    })
}

fn pi() -> Tender {
    Tender::Scan(PI_CODE.into())
}

#[tokio::test]
async fn approve_and_decline() {
    let mut r = rig().await;
    let sale = r.sale(150);
    let ok = r
        .till
        .pay(&r.payments, &sale, pi(), Ntd::new(150), vec![])
        .await
        .unwrap();
    assert_eq!(ok.state, AttemptState::Approved, "{}", ok.message);
    assert_eq!(ok.gateway, till::sale::GatewayId::MyPay);
    assert_eq!(r.sims.mypay.ledger.charges_for(&ok.trade_no).len(), 1);
    let sale = r.sale(9300);
    let no = r
        .till
        .pay(&r.payments, &sale, pi(), Ntd::new(9300), vec![])
        .await
        .unwrap();
    assert_eq!(no.state, AttemptState::Declined);
    assert_eq!(no.exit_code(), 1);
    assert!(r.sims.mypay.ledger.charges_for(&no.trade_no).is_empty());
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_lost_answer_is_settled_by_querydirect_with_exactly_one_charge() {
    let mut r = rig().await;
    // DROP and SLOW are charged at MyPay; MALFORMED too.
    for amount in [7002, 7001, 7004] {
        let sale = r.sale(amount);
        let res = r
            .till
            .pay(&r.payments, &sale, pi(), Ntd::new(amount), vec![])
            .await
            .unwrap();
        assert_eq!(
            res.state,
            AttemptState::Approved,
            "{amount}: {}",
            res.message
        );
        assert_eq!(
            r.sims.mypay.ledger.charges_for(&res.trade_no).len(),
            1,
            "{amount}"
        );
        let rec = r.attempt(&res.trade_no);
        assert!(rec.events.iter().any(|e| e.to == AttemptState::Unknown));
        let events = r.drain_events();
        assert!(events.iter().any(|e| matches!(
            e,
            PayEvent::Unknown {
                doing: Resolving::Querying { .. },
                ..
            }
        )));
    }
    assert_eq!(
        r.sims.mypay.ledger.total_charged(),
        Ntd::new(7002 + 7001 + 7004)
    );
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_5xx_before_processing_is_found_uncharged_and_declined() {
    let mut r = rig().await;
    let sale = r.sale(7003);
    let res = r
        .till
        .pay(&r.payments, &sale, pi(), Ntd::new(7003), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Declined, "{}", res.message);
    assert_eq!(r.sims.mypay.ledger.total_charged(), Ntd::ZERO);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_payment_mypay_books_after_the_connection_dropped_is_found_not_declined() {
    let mut r = rig().await;
    let amount = till::sim::mypay::LATE_BOOKING;
    let sale = r.sale(amount);
    // The connection drops at once; MyPay lists the payment only a moment
    // later. Asking at once finds nothing, which must not mean "declined"
    // while the request may still be under way.
    let res = r
        .till
        .pay(&r.payments, &sale, pi(), Ntd::new(amount), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&res.trade_no).len(),
        1,
        "charged once, and the journal knows it"
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.paid, Ntd::new(amount));
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn wechat_awaiting_confirmation_blocks_a_second_charge() {
    let mut r = rig().await;
    // 9283: the customer never confirms.
    let sale = r.sale(9283);
    let wechat = wechat();
    let res = r
        .till
        .pay(&r.payments, &sale, wechat.clone(), Ntd::new(9283), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown, "{}", res.message);
    assert_eq!(res.exit_code(), 2);
    let again = r
        .till
        .pay(&r.payments, &sale, wechat, Ntd::new(9283), vec![])
        .await;
    match again {
        Err(e @ PayError::InFlight { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("勿重複收款") && msg.contains("do not charge again"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn refunds_partial_and_over_the_limit() {
    let mut r = rig().await;
    let sale = r.sale(800);
    let paid = r
        .till
        .pay(&r.payments, &sale, pi(), Ntd::new(800), vec![])
        .await
        .unwrap();
    assert_eq!(paid.state, AttemptState::Approved);
    let m = r.manager();
    let part = r
        .till
        .refund(
            &r.payments,
            &sale,
            &RefundRequest::Amount(Ntd::new(300)),
            "partial",
            &m,
        )
        .await
        .unwrap();
    assert_eq!(part.state, AttemptState::Approved, "{}", part.message);
    assert_eq!(r.sims.mypay.ledger.total_charged(), Ntd::new(500));
    let over = r
        .till
        .refund(
            &r.payments,
            &sale,
            &RefundRequest::Amount(Ntd::new(501)),
            "over",
            &m,
        )
        .await;
    assert!(over.is_err());
    assert_eq!(r.sims.mypay.ledger.total_charged(), Ntd::new(500));
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn wechat_280_is_confirmed_by_polling_wechatconfirmation_and_charged_once() {
    let mut r = rig().await;
    // 9281: confirmed at the 3rd api/wechatconfirmation; the policy polls 3.
    assert!(quick_policy().polls >= WECHAT_CONFIRM_AFTER);
    let sale = r.sale(9281);
    let res = r
        .till
        .pay(&r.payments, &sale, wechat(), Ntd::new(9281), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    assert_eq!(r.sims.mypay.ledger.charges_for(&res.trade_no).len(), 1);
    let events = r.drain_events();
    assert!(events.iter().any(|e| matches!(
        e,
        PayEvent::Unknown {
            doing: Resolving::AwaitingCustomer,
            ..
        }
    )));
    let rec = r.attempt(&res.trade_no);
    // Unresolved (Unknown) while the customer was confirming.
    assert!(rec.events.iter().any(|e| e.to == AttemptState::Unknown));

    // 9282: the customer refused in the app: declined, nothing charged.
    let sale = r.sale(9282);
    let no = r
        .till
        .pay(&r.payments, &sale, wechat(), Ntd::new(9282), vec![])
        .await
        .unwrap();
    assert_eq!(no.state, AttemptState::Declined, "{}", no.message);
    assert!(r.sims.mypay.ledger.charges_for(&no.trade_no).is_empty());
    // Charged once: one api/transaction; confirmed by polling, not by paying again.
    assert_eq!(
        r.sims.mypay.ledger.calls("api/transaction", &res.trade_no),
        1
    );
    assert_eq!(
        r.sims.mypay.ledger.calls(
            "api/wechatconfirmation",
            res.gateway_trade_no.as_deref().unwrap()
        ),
        WECHAT_CONFIRM_AFTER as usize
    );
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn wechat_still_unconfirmed_after_the_policy_is_finished_by_recover() {
    let mut r = rig().await;
    let impatient = Payments::from_config(&r.cfg)
        .unwrap()
        .with_policy(ResolvePolicy {
            polls: 1,
            ..quick_policy()
        });
    let sale = r.sale(9281);
    let res = r
        .till
        .pay(&impatient, &sale, wechat(), Ntd::new(9281), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown, "{}", res.message);
    assert!(r.sims.mypay.ledger.charges_for(&res.trade_no).is_empty());
    let again = r
        .till
        .pay(&r.payments, &sale, wechat(), Ntd::new(9281), vec![])
        .await;
    assert!(matches!(again, Err(PayError::InFlight { .. })), "{again:?}");
    let recovered = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(recovered.len(), 1);
    assert_eq!(
        recovered[0].state,
        AttemptState::Approved,
        "{}",
        recovered[0].message
    );
    assert_eq!(r.sims.mypay.ledger.charges_for(&res.trade_no).len(), 1);
    assert_eq!(r.sims.mypay.ledger.total_charged(), Ntd::new(9281));
    assert_eq!(
        r.sims.mypay.ledger.calls("api/transaction", &res.trade_no),
        1
    );
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

/// A code whose wallet the format cannot tell goes to MyPay's OFFLINE
/// auto-detect and is journaled `unidentified`; MyPay's answer names the
/// wallet it found, which the journal keeps, so the X report's tender line
/// says "LINE Pay", not "行動支付 (MyPay)".
#[tokio::test]
async fn the_wallet_mypay_detected_is_journaled_and_named_on_the_report() {
    let mut r = rig().await;
    let sale = r.sale(150);
    // MyPay's own LINE Pay sample: 18 digits, LINE Pay or EasyWallet by format.
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan("314818461832250045".into()),
            Ntd::new(150),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    let attempt = r.attempt(&res.trade_no.to_string());
    assert_eq!(
        attempt.method,
        till::sale::PayMethod::Wallet(Wallet::LinePay),
        "the wallet MyPay reported replaced `unidentified`"
    );
    let x = r.till.x_report().unwrap();
    let line = x
        .payments
        .iter()
        .find(|t| t.gateway.as_deref() == Some("mypay"))
        .expect("a MyPay tender line");
    assert_eq!(till::terminal::tender_name(line, false), "LINE Pay");
    assert_eq!(till::terminal::tender_name(line, true), "LINE Pay");
    assert_eq!(line.amount, Ntd::new(150));
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}
