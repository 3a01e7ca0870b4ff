//! MyPay through the terminal against the MyPay simulator: a lost answer is
//! settled by `api/querydirect`, never by charging again.

mod pay_support;

use pay_support::rig;
use till::gateway::client::PayWith;
use till::journal::AttemptState;
use till::money::Ntd;
use till::sale::{RefundRequest, Wallet};
use till::terminal::{PayError, PayEvent, Resolving, Tender};

const PI_CODE: &str = "PI7E3A60BD8C8F23F7";

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
        let rec = r
            .till
            .journal()
            .attempt(&res.trade_no.parse().unwrap())
            .unwrap()
            .unwrap();
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
}

#[tokio::test]
async fn wechat_awaiting_confirmation_blocks_a_second_charge() {
    let mut r = rig().await;
    let sale = r.sale(9280);
    let wechat = Tender::With(PayWith::WalletCode {
        wallet: Wallet::WeChatPay,
        code: "134507721102798524".into(),
    });
    let res = r
        .till
        .pay(&r.payments, &sale, wechat.clone(), Ntd::new(9280), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown, "{}", res.message);
    assert_eq!(res.exit_code(), 2);
    let again = r
        .till
        .pay(&r.payments, &sale, wechat, Ntd::new(9280), vec![])
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
}
