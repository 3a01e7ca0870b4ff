//! Pay-later orders through the terminal: pending until the callback or
//! `order_status` says paid.

use crate::pay_support;

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
    assert_eq!(
        r.sims.goodbuy.ledger.calls("api/order", &res.trade_no),
        1,
        "ordered once"
    );
    pay_support::assert_books_match(r.till.journal(), &r.sims);
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
    assert_eq!(r.sims.goodbuy.ledger.calls("api/order", &res.trade_no), 1);
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.payments.len(), 1, "no second attempt");
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

fn later(pay_type: PayType) -> Tender {
    Tender::With(PayWith::PayLater {
        pay_type,
        phone: "0912345678".into(),
    })
}

#[tokio::test]
async fn an_atm_order_gives_the_bank_code_account_and_deadline_for_the_slip() {
    let mut r = rig().await;
    let sale = r.sale(9601);
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            later(PayType::Atm {
                account_owner: "王小明".into(),
                account_last5: vec!["12345".into()],
            }),
            Ntd::new(9601),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown, "{}", res.message);
    let trade = res.trade_no.parse().unwrap();
    let i = r.till.pay_later_instructions(&trade).unwrap().unwrap();
    assert_eq!(i.trade_no, res.trade_no);
    assert_eq!(i.amount, Ntd::new(9601));
    assert_eq!(i.bank_code.as_deref(), Some("822"));
    let account = i.account.clone().unwrap();
    assert_eq!(account.len(), 14);
    assert!(account.bytes().all(|b| b.is_ascii_digit()), "{account}");
    assert_eq!(i.store_code, None);
    // Three days to pay, the deadline in Taipei time.
    let deadline = chrono::DateTime::parse_from_rfc3339(i.deadline.as_deref().unwrap()).unwrap();
    assert_eq!(deadline.offset().local_minus_utc(), 8 * 3600);
    let today = till::taipei::now().date_naive();
    let days = (deadline.date_naive() - today).num_days();
    // 3 days from the order's date (2 if midnight passed since).
    assert!((2..=3).contains(&days), "{deadline}");
    // The payer page the slip points to is the aggregator's own.
    let url = i.pay_url.clone().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let page = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&account));
    // The slip's JSON names the pay type only, never the check fields.
    let json = serde_json::to_value(&i).unwrap();
    assert_eq!(json["pay_type"], "atm");
    assert!(!json.to_string().contains("王小明"));
    assert!(!json.to_string().contains("12345\""));
}

#[tokio::test]
async fn a_store_order_gives_the_payment_code_and_others_give_none() {
    let mut r = rig().await;
    let sale = r.sale(9601);
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            later(PayType::Store {
                payer: "王小明".into(),
            }),
            Ntd::new(9601),
            vec![],
        )
        .await
        .unwrap();
    let trade = res.trade_no.parse().unwrap();
    let i = r.till.pay_later_instructions(&trade).unwrap().unwrap();
    let code = i.store_code.clone().unwrap();
    assert!(code.starts_with("GB") && code.len() == 14, "{code}");
    assert_eq!((i.bank_code, i.account), (None, None));
    assert!(i.deadline.is_some() && i.pay_url.is_some());

    // A wallet payment has no pay-later instructions; an unknown trade is an error.
    let sale = r.sale(120);
    let jko = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(pay_support::JKO_TOKEN.into()),
            Ntd::new(120),
            vec![],
        )
        .await
        .unwrap();
    let jko_trade = jko.trade_no.parse().unwrap();
    assert_eq!(r.till.pay_later_instructions(&jko_trade).unwrap(), None);
    let missing = format!("{}P09", sale).parse().unwrap();
    assert!(matches!(
        r.till.pay_later_instructions(&missing),
        Err(PayError::NoSuchAttempt(_))
    ));
}

/// A pay-later order where the customer chose a mobile-barcode carrier at
/// the counter: when the money arrives, long after they left, the e-invoice
/// goes to that carrier (nothing printed), and an order whose customer
/// chose nothing gets a paper proof kept for them.
#[tokio::test]
async fn a_pay_later_sale_is_invoiced_as_the_buyer_chose_at_the_counter_once_paid() {
    use till::einvoice::buyer::BuyerChoice;
    let mut r = rig().await;
    let store = || {
        later(PayType::Store {
            payer: "王小明".into(),
        })
    };
    let carrier: BuyerChoice = BuyerChoice::Mobile("/ABC+123".parse().unwrap());

    let chose = r.sale(9601);
    let with_choice = r
        .till
        .pay(&r.payments, &chose, store(), Ntd::new(9601), vec![])
        .await
        .unwrap();
    r.till.remember_buyer_choice(&chose, &carrier).unwrap();
    let plain = r.sale(9601);
    let without = r
        .till
        .pay(&r.payments, &plain, store(), Ntd::new(9601), vec![])
        .await
        .unwrap();
    assert!(
        r.till.sales_awaiting_invoice(&r.cfg).unwrap().is_empty(),
        "nothing paid yet"
    );

    // Both customers pay at the store; the till hears of it by asking.
    for res in [&with_choice, &without] {
        assert!(r.sims.goodbuy.customer_pays(&res.trade_no));
        let q = r
            .till
            .query(&r.payments, &res.trade_no.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(q.state, AttemptState::Approved, "{}", q.message);
    }
    assert_eq!(
        r.till.sales_awaiting_invoice(&r.cfg).unwrap(),
        vec![chose.clone(), plain.clone()]
    );

    // The carrier's invoice needs nobody: issued by itself. The paper one
    // waits for the cashier, who prints the proof to keep for the customer.
    let by_itself = r.till.issue_awaiting_paperless(&r.cfg).unwrap();
    assert_eq!(by_itself.len(), 1);
    assert_eq!(by_itself[0].sale, chose);
    assert_eq!(by_itself[0].buyer, carrier);
    assert!(
        by_itself[0].proof.is_none(),
        "a carrier invoice prints nothing"
    );
    assert_eq!(
        r.till.sales_awaiting_invoice(&r.cfg).unwrap(),
        vec![plain.clone()]
    );
    let issued = r.till.issue_awaiting_invoice(&r.cfg, &plain).unwrap();
    assert_eq!(issued.buyer, BuyerChoice::Print);
    assert!(
        issued.proof.is_some(),
        "a paper proof, kept for the customer"
    );
    assert!(r.till.sales_awaiting_invoice(&r.cfg).unwrap().is_empty());
}
