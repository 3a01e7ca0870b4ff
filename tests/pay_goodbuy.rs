//! Pay-later orders through the terminal: pending until the callback or
//! `order_status` says paid.

mod pay_support;

use pay_support::rig;
use till::gateway::client::PayWith;
use till::gateway::goodbuy::PayType;
use till::journal::AttemptState;
use till::money::Ntd;
use till::terminal::{PayError, Tender};

fn credit() -> Tender {
    Tender::With(PayWith::PayLater {
        pay_type: PayType::Credit {
            card_owner: "王小明".into(),
            card_last4: "1234".into(),
        },
        phone: "0912345678".into(),
    })
}

#[tokio::test]
async fn a_card_order_is_confirmed_by_order_status_not_by_the_create_answer() {
    let mut r = rig().await;
    let sale = r.sale(1000);
    let res = r
        .till
        .pay(&r.payments, &sale, credit(), Ntd::new(1000), vec![])
        .await
        .unwrap();
    // The create answer only says "order created"; order_status said paid.
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    let trade = res.trade_no.parse().unwrap();
    let rec = r.till.journal().attempt(&trade).unwrap().unwrap();
    assert!(rec.events.iter().any(|e| e.to == AttemptState::Unknown));
    let q = r.till.query(&r.payments, &trade).await.unwrap();
    assert_eq!(q.state, AttemptState::Approved, "{}", q.message);
    assert_eq!(r.sims.goodbuy.ledger.charges_for(&res.trade_no).len(), 1);
}

#[tokio::test]
async fn an_unpaid_order_stays_pending_and_blocks_another_charge() {
    let mut r = rig().await;
    let sale = r.sale(9601);
    let res = r
        .till
        .pay(&r.payments, &sale, credit(), Ntd::new(9601), vec![])
        .await
        .unwrap();
    let trade = res.trade_no.parse().unwrap();
    let q = r.till.query(&r.payments, &trade).await.unwrap();
    assert_eq!(q.state, AttemptState::Unknown);
    let again = r
        .till
        .pay(&r.payments, &sale, credit(), Ntd::new(9601), vec![])
        .await;
    assert!(matches!(again, Err(PayError::InFlight { .. })));
    assert_eq!(r.sims.goodbuy.ledger.total_charged(), Ntd::ZERO);
}
