//! A wallet payment in flight can be cancelled from its progress screen
//! (取消 / Esc, #13). The payment stops waiting and settles by its
//! gateway's own rule for a payment in doubt: JKoPay cancels it with the
//! same trade number, MyPay is asked. The screen then shows what it really
//! became, on real loopback simulators: cancelled with nothing charged and
//! the cart still there, or paid when the customer had paid already.

use crate::gui_support;
use crate::gui_support::Driver;

use std::time::Duration;

use gui_support::{click, ring_up, shows, sign_in, wedge_scan};
use till::journal::{AttemptState, Journal};
use till::money::Ntd;
use till::terminal::payment::ResolvePolicy;
use till::ui::Message;
use till::ui::app::Shortcut;

/// JKoPay's payment code (a capital, as the customer's app shows it).
const JKOPAY_CODE: &str = "22J111111111111111";
/// A WeChat Pay payment code: MyPay's OFFLINE route.
const WECHAT_CODE: &str = "134507721102798524";
/// A Pi Wallet payment code: MyPay's OFFLINE route.
const PI_CODE: &str = "PI7E3A60BD8C8F23F7";
/// The simulators hold the answer to a payment of this amount (SLOW).
const HELD: &str = "7001";

/// Settle a payment in doubt inline, quickly: a few cancels or asks.
fn settling() -> ResolvePolicy {
    ResolvePolicy {
        cancel_tries: 3,
        polls: 3,
        retry_interval: Duration::from_millis(10),
        tick: Duration::from_millis(50),
    }
}

/// The one payment attempt of today's one sale.
fn only_payment(journal: &Journal) -> till::journal::AttemptRecord {
    let today = till::taipei::now().date_naive();
    let sales = journal.sales_by_date(today, today, None, 10).unwrap().items;
    assert_eq!(sales.len(), 1);
    let detail = journal.sale_detail(&sales[0].sale_no).unwrap().unwrap();
    assert_eq!(detail.payments.len(), 1);
    detail.payments[0].clone()
}

/// Whether the journal says the cashier stopped the wait (and not the
/// gateway's timeout).
fn cancelled_by_the_cashier(journal: &Journal, trade: &till::sale::TradeNo) -> bool {
    let attempt = journal.attempt(trade).unwrap().unwrap();
    attempt
        .events
        .iter()
        .any(|e| e.detail["error"] == till::terminal::payment::CANCELLED_WHILE_WAITING)
}

/// A JKoPay payment the simulator holds the answer to, cancelled by
/// `cancel` once JKoPay has it: cancelled at JKoPay, nothing charged, the
/// cart still there to be paid another way.
fn cancel_a_held_jkopay_payment(cancel: impl FnOnce(&mut Driver)) {
    let paper = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut app, sims) = gui_support::on_own_simulators(&rt, paper.path(), settling());
    sign_in(&mut app);
    ring_up(&mut app, HELD);
    wedge_scan(&mut app, JKOPAY_CODE);
    assert_eq!(app.screen_name(), "paying");
    assert!(shows(&app, "取消 (Esc)"), "the wait can be cancelled");
    // JKoPay booked it and holds its answer: the customer's money is taken.
    app.run_until("JKoPay has the payment", |_| {
        !sims.jkopay.ledger.all().is_empty()
    });

    cancel(&mut app);
    app.settle();

    assert_eq!(
        app.screen_name(),
        "tender",
        "back to take payment another way"
    );
    assert_eq!(
        app.cart().total(),
        Ntd::new(7001),
        "the cart is still there"
    );
    let attempt = only_payment(app.terminal().unwrap().journal());
    assert_eq!(attempt.state, AttemptState::Cancelled);
    assert!(cancelled_by_the_cashier(
        app.terminal().unwrap().journal(),
        &attempt.trade_no
    ));
    let trade = attempt.trade_no.to_string();
    assert!(
        sims.jkopay.ledger.calls("Cancel", &trade) >= 1,
        "cancelled at JKoPay with the same trade number"
    );
    assert!(
        sims.jkopay.ledger.charges_for(&trade).is_empty(),
        "JKoPay holds no charge for it"
    );
    assert!(
        shows(&app, "交易已取消,未扣款;可重新收款"),
        "the cashier is told nothing was charged"
    );
}

#[test]
fn the_cancel_button_stops_a_held_jkopay_payment_and_nothing_is_charged() {
    cancel_a_held_jkopay_payment(|app| click(app, "取消 (Esc)"));
}

#[test]
fn esc_cancels_a_held_jkopay_payment_as_the_button_does() {
    cancel_a_held_jkopay_payment(|app| app.update(Message::Shortcut(Shortcut::Escape)));
}

#[test]
fn a_cancelled_wallet_payment_the_customer_had_paid_is_booked_as_paid() {
    let paper = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut app, sims) = gui_support::on_own_simulators(&rt, paper.path(), settling());
    sign_in(&mut app);
    ring_up(&mut app, HELD);
    wedge_scan(&mut app, PI_CODE);
    assert_eq!(app.screen_name(), "paying");
    // MyPay took the money and holds its answer.
    app.run_until("MyPay has the payment", |_| {
        !sims.mypay.ledger.all().is_empty()
    });

    app.update(Message::Shortcut(Shortcut::Escape));
    app.settle();

    // MyPay is asked: the customer paid, so the sale is paid, once.
    assert_eq!(app.screen_name(), "done", "never a lost payment");
    assert!(shows(&app, "收款完成"));
    assert!(
        shows(&app, "取消前顧客已完成付款,本筆已收款"),
        "said, not hidden"
    );
    let attempt = only_payment(app.terminal().unwrap().journal());
    assert_eq!(attempt.state, AttemptState::Approved);
    assert!(cancelled_by_the_cashier(
        app.terminal().unwrap().journal(),
        &attempt.trade_no
    ));
    let trade = attempt.trade_no.to_string();
    assert_eq!(sims.mypay.ledger.calls("api/transaction", &trade), 1);
    assert!(sims.mypay.ledger.calls("api/querydirect", &trade) >= 1);
    let charged = sims.mypay.ledger.charges_for(&trade);
    assert_eq!(charged.len(), 1, "one charge, booked once");
    assert_eq!(charged[0].amount, Ntd::new(7001));
}

#[test]
fn a_cancel_while_the_customer_confirms_in_the_app_stops_the_wait_and_leaves_it_in_doubt() {
    let paper = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, sims) = gui_support::on_own_simulators(&rt, paper.path(), settling());
    // The customer takes their time: the till would ask again only after
    // longer than any test may run.
    let mut app = app.with_resolve_policy(ResolvePolicy {
        retry_interval: Duration::from_secs(600),
        ..settling()
    });
    sign_in(&mut app);
    // NT$9,280: MyPay answers 280, the customer must confirm in WeChat.
    ring_up(&mut app, "9280");
    wedge_scan(&mut app, WECHAT_CODE);
    app.run_until("the till waits for the customer", |a| {
        iced_test::simulator(a.view())
            .find("等待顧客在 App 中確認付款")
            .is_ok()
    });

    app.update(Message::Shortcut(Shortcut::Escape));
    app.settle();

    // Not a failure and not a second chance to charge: in doubt, on 確認中
    // (whose next look has the terminal: the journal is read from its file).
    assert_eq!(app.screen_name(), "confirming");
    let journal = Journal::open(paper.path().join("journal.sqlite3")).unwrap();
    let attempt = only_payment(&journal);
    assert_eq!(attempt.state, AttemptState::Unknown);
    assert!(cancelled_by_the_cashier(&journal, &attempt.trade_no));
    let trade = attempt.trade_no.to_string();
    assert_eq!(sims.mypay.ledger.calls("api/transaction", &trade), 1);
    assert!(
        sims.mypay.ledger.charges_for(&trade).is_empty(),
        "the customer has not confirmed: nothing is charged yet"
    );
}
