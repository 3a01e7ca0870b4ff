//! ECPay (a member's bound card) through the terminal: ECPay has no query,
//! so a result in doubt waits for the ReturnURL notice and blocks a second
//! charge meanwhile.

use crate::pay_support;

use pay_support::rig;
use till::gateway::client::PayWith;
use till::journal::AttemptState;
use till::money::Ntd;
use till::terminal::{PayError, Tender};

fn card() -> Tender {
    Tender::With(PayWith::BoundCard {
        bind_card_id: "BIND0001".into(),
        member_id: "member42".into(),
    })
}

#[tokio::test]
async fn approve_and_decline() {
    let mut r = rig().await;
    let sale = r.sale(640);
    let ok = r
        .till
        .pay(&r.payments, &sale, card(), Ntd::new(640), vec![])
        .await
        .unwrap();
    assert_eq!(ok.state, AttemptState::Approved, "{}", ok.message);
    assert_eq!(r.sims.ecpay.ledger.charges_for(&ok.trade_no).len(), 1);
    let sale = r.sale(9252);
    let no = r
        .till
        .pay(&r.payments, &sale, card(), Ntd::new(9252), vec![])
        .await
        .unwrap();
    assert_eq!(no.state, AttemptState::Declined);
    assert!(r.sims.ecpay.ledger.charges_for(&no.trade_no).is_empty());
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn faults_stay_unknown_and_refuse_a_second_charge() {
    let mut r = rig().await;
    // (amount, charged at ECPay?)
    for (amount, charged) in [(7001, 1), (7002, 1), (7003, 0), (7004, 1), (7005, 1)] {
        let sale = r.sale(amount);
        let res = r
            .till
            .pay(&r.payments, &sale, card(), Ntd::new(amount), vec![])
            .await
            .unwrap();
        assert_eq!(
            res.state,
            AttemptState::Unknown,
            "{amount}: {}",
            res.message
        );
        assert_eq!(res.exit_code(), 2);
        assert_eq!(
            r.sims.ecpay.ledger.charges_for(&res.trade_no).len(),
            charged,
            "{amount}"
        );
        let again = r
            .till
            .pay(&r.payments, &sale, card(), Ntd::new(amount), vec![])
            .await;
        assert!(matches!(again, Err(PayError::InFlight { .. })), "{again:?}");
        // Still exactly what the first attempt did.
        assert_eq!(
            r.sims.ecpay.ledger.charges_for(&res.trade_no).len(),
            charged
        );
    }
}
