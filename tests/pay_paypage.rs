//! MyPay PayPage through the terminal: the customer pays on their own phone
//! (here: an HTTP request to the page the simulator serves), the till polls
//! `api/queryorder`; cancelled, abandoned and expired pages end without a
//! charge, and `recover` settles pages a restart left pending.

use crate::pay_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use pay_support::{Rig, fast_config, quick_policy, rig};
use till::gateway::mypay::client::MyPayClient;
use till::journal::{AttemptState, Detail};
use till::money::Ntd;
use till::sale::{AttemptKind, GatewayId, PayMethod, TradeNo};
use till::sim::Simulators;
use till::terminal::{PAYPAGE_MINUTES, PayError, PayEvent, Payments, Resolving, Terminal};

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// What the customer's phone does on the page.
async fn customer(url: &str, action: &str) -> reqwest::StatusCode {
    let url = if action == "pay" {
        url.to_string()
    } else {
        format!("{url}/{action}")
    };
    http().post(url).send().await.unwrap().status()
}

/// A till clock the test can move forward.
fn movable_clock(t: &mut Terminal) -> Arc<AtomicI64> {
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    t.set_clock(move || till::taipei::now() + chrono::TimeDelta::seconds(o.load(Ordering::SeqCst)));
    offset
}

async fn start(r: &mut Rig, amount: i64) -> (till::terminal::PayPageOrder, TradeNo) {
    let sale = r.sale(amount);
    let order = r
        .till
        .start_paypage(&r.payments, &sale, Ntd::new(amount), vec![])
        .await
        .unwrap();
    let trade = order.trade_no.parse().unwrap();
    (order, trade)
}

#[tokio::test]
async fn the_customer_pays_on_the_page_and_the_next_poll_is_approved() {
    let mut r = rig().await;
    let (order, trade) = start(&mut r, 480).await;
    assert!(order.url.starts_with("http://127.0.0.1:"), "{}", order.url);
    assert_eq!(order.amount, Ntd::new(480));
    let expires = order.expires_at.clone().unwrap();
    assert!(expires.ends_with("+08:00"), "{expires}");
    let events = r.drain_events();
    assert!(events.iter().any(|e| matches!(
        e,
        PayEvent::Unknown {
            doing: Resolving::AwaitingCustomer,
            ..
        }
    )));

    // Not paid yet: pending, and no other charge can start on the sale.
    let pending = r.till.poll_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(pending.state, AttemptState::Unknown, "{}", pending.message);
    assert_eq!(pending.exit_code(), 2);
    let again = r
        .till
        .start_paypage(&r.payments, trade.sale(), Ntd::new(480), vec![])
        .await;
    assert!(matches!(again, Err(PayError::InFlight { .. })), "{again:?}");

    // The customer opens the page and pays.
    let page = http().get(&order.url).send().await.unwrap();
    assert!(page.status().is_success());
    assert!(page.text().await.unwrap().contains("480"));
    assert!(customer(&order.url, "pay").await.is_success());

    let paid = r.till.poll_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(paid.state, AttemptState::Approved, "{}", paid.message);
    assert_eq!(r.sims.mypay.ledger.charges_for(&order.trade_no).len(), 1);
    let detail = r.till.journal().sale_detail(trade.sale()).unwrap().unwrap();
    assert_eq!(detail.summary.status, till::journal::SaleStatus::Paid);
    // A second poll changes nothing and charges nothing.
    let twice = r.till.poll_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(twice.state, AttemptState::Approved);
    assert_eq!(r.sims.mypay.ledger.total_charged(), Ntd::new(480));
}

#[tokio::test]
async fn the_order_key_never_reaches_the_journal_yet_another_process_can_poll() {
    let mut r = rig().await;
    let (order, trade) = start(&mut r, 300).await;
    // MyPay's key for the order, as MyPay itself reports it.
    let client = MyPayClient::from_config(r.cfg.gateways.mypay.as_ref().unwrap()).unwrap();
    let rows = client
        .query_direct(&trade, Ntd::new(300))
        .await
        .unwrap()
        .unwrap()
        .rows;
    let key = rows.iter().find(|r| !r.key.is_empty()).unwrap().key.clone();
    let rec = r.till.journal().attempt(&trade).unwrap().unwrap();
    let journaled = serde_json::to_string(
        &rec.events
            .iter()
            .map(|e| e.detail.clone())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(journaled.contains(&order.url));
    assert!(!journaled.contains(&key), "the order key is in the journal");

    // A fresh set of clients (another process) opens the sealed key.
    assert!(customer(&order.url, "pay").await.is_success());
    let fresh = Payments::from_config(&r.cfg)
        .unwrap()
        .with_policy(quick_policy());
    let res = r.till.poll_paypage(&fresh, &trade).await.unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
}

#[tokio::test]
async fn a_page_the_customer_gives_up_on_is_declined_and_the_sale_can_be_paid_again() {
    let mut r = rig().await;
    let (order, trade) = start(&mut r, 250).await;
    assert!(customer(&order.url, "abandon").await.is_success());
    let res = r.till.poll_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(res.state, AttemptState::Declined, "{}", res.message);
    assert_eq!(res.code.as_deref(), Some("A0002"));
    // Paying on the abandoned page is refused; nothing was charged.
    assert!(!customer(&order.url, "pay").await.is_success());
    assert_eq!(r.sims.mypay.ledger.total_charged(), Ntd::ZERO);
    let next = r
        .till
        .start_paypage(&r.payments, trade.sale(), Ntd::new(250), vec![])
        .await
        .unwrap();
    assert_ne!(next.trade_no, order.trade_no);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_cancelled_page_ends_cancelled_unless_the_customer_had_paid() {
    let mut r = rig().await;
    let (order, trade) = start(&mut r, 200).await;
    let res = r.till.cancel_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(res.state, AttemptState::Cancelled, "{}", res.message);
    assert_eq!(res.exit_code(), 1);
    assert_eq!(
        r.sims.mypay.ledger.calls("api/orders", &order.trade_no),
        1,
        "the page was opened once"
    );
    assert!(r.sims.mypay.ledger.charges_for(&order.trade_no).is_empty());
    // The cashier can take cash now.
    r.till
        .pay_cash(trade.sale(), Ntd::new(200), Ntd::new(200))
        .unwrap();

    // Paid just before the cashier pressed cancel: the payment stands.
    let (order, trade) = start(&mut r, 210).await;
    assert!(customer(&order.url, "pay").await.is_success());
    let res = r.till.cancel_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    assert_eq!(r.sims.mypay.ledger.charges_for(&order.trade_no).len(), 1);
    assert_eq!(r.sims.mypay.ledger.calls("api/orders", &order.trade_no), 1);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn an_unpaid_page_expires_at_the_tills_deadline_without_a_charge() {
    let mut r = rig().await;
    let clock = movable_clock(&mut r.till);
    let (order, trade) = start(&mut r, 330).await;
    clock.store((PAYPAGE_MINUTES - 1) * 60, Ordering::SeqCst);
    let before = r.till.poll_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(before.state, AttemptState::Unknown);
    clock.store(PAYPAGE_MINUTES * 60 + 1, Ordering::SeqCst);
    let after = r.till.poll_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(after.state, AttemptState::Cancelled, "{}", after.message);
    assert_eq!(r.sims.mypay.ledger.charges_for(&order.trade_no).len(), 0);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_page_whose_answer_was_lost_was_never_shown_and_ends_cancelled() {
    // 7002: MyPay makes the order, then the connection drops.
    let mut r = rig().await;
    let sale = r.sale(7002);
    let err = r
        .till
        .start_paypage(&r.payments, &sale, Ntd::new(7002), vec![])
        .await
        .unwrap_err();
    let PayError::PayPageNotOpened(res) = err else {
        panic!("{err:?}");
    };
    assert_eq!(res.state, AttemptState::Cancelled, "{}", res.message);
    assert_eq!(r.sims.mypay.ledger.total_charged(), Ntd::ZERO);
    assert_eq!(
        r.sims.mypay.ledger.calls("api/orders", &res.trade_no),
        1,
        "asked for once, never again"
    );
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn recover_after_a_restart_settles_pending_pages() {
    let sims = Simulators::start_all().await.unwrap();
    let cfg = fast_config(&sims);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    let payments = Payments::from_config(&cfg)
        .unwrap()
        .with_policy(quick_policy());
    let (paid_order, unpaid_trade, crashed_trade) = {
        let mut t = Terminal::open_at(&cfg, &path, true).unwrap();
        let open = |t: &mut Terminal, amount: i64| {
            let mut cart = till::sale::Cart::new();
            cart.add(till::sale::Line::new("1", "茶 Tea", 1, Ntd::new(amount)).unwrap())
                .unwrap();
            t.open_sale_as(&cart, "test").unwrap()
        };
        let s1 = open(&mut t, 150);
        let paid = t
            .start_paypage(&payments, &s1, Ntd::new(150), vec![])
            .await
            .unwrap();
        let s2 = open(&mut t, 160);
        let unpaid = t
            .start_paypage(&payments, &s2, Ntd::new(160), vec![])
            .await
            .unwrap();
        // A crash between journaling `Sending` and MyPay's answer.
        let s3 = open(&mut t, 170);
        let crashed = t
            .journal_mut()
            .begin_attempt(
                &s3,
                AttemptKind::Payment,
                Some(GatewayId::MyPay),
                PayMethod::PayPage,
                Ntd::new(170),
                None,
            )
            .unwrap();
        t.journal_mut()
            .transition(&crashed, AttemptState::Sending, Detail::new())
            .unwrap();
        (paid, unpaid.trade_no, crashed)
    };
    // The customer pays while the till is down.
    assert!(customer(&paid_order.url, "pay").await.is_success());

    let mut t = Terminal::open_at(&cfg, &path, true).unwrap();
    let results = t.recover(&payments).await.unwrap();
    let state = |no: &str| results.iter().find(|r| r.trade_no == no).map(|r| r.state);
    assert_eq!(state(&paid_order.trade_no), Some(AttemptState::Approved));
    assert_eq!(state(&unpaid_trade), Some(AttemptState::Unknown));
    assert_eq!(
        state(&crashed_trade.to_string()),
        Some(AttemptState::Cancelled)
    );
    assert_eq!(sims.mypay.ledger.total_charged(), Ntd::new(150));
    assert_eq!(
        sims.mypay
            .ledger
            .calls("api/orders", &crashed_trade.to_string()),
        0,
        "the crashed page never reached MyPay"
    );
    pay_support::assert_books_match(t.journal(), &sims);

    // Past the deadline the pending one is given up, not kept in doubt.
    let offset = PAYPAGE_MINUTES * 60 + 1;
    t.set_clock(move || till::taipei::now() + chrono::TimeDelta::seconds(offset));
    let results = t.recover(&payments).await.unwrap();
    let unpaid = results.iter().find(|r| r.trade_no == unpaid_trade).unwrap();
    assert_eq!(unpaid.state, AttemptState::Cancelled, "{}", unpaid.message);
    assert!(t.recover(&payments).await.unwrap().is_empty());
    assert_eq!(sims.mypay.ledger.total_charged(), Ntd::new(150));
    pay_support::assert_books_match(t.journal(), &sims);
}
