//! Payments in doubt, as the cashier sees them: the 確認中 screen that keeps
//! asking the gateway, refuses a second charge meanwhile and moves on by
//! itself once the answer is definite; the start-up check of payments a
//! crash left open; the status bar's count of them.

use crate::gui_support;
use crate::gui_support::Driver;

use std::time::Duration;

use gui_support::{click, printed_texts, ring_up, shows, sign_in, virtual_printer, wedge_scan};
use till::catalogue::Catalogue;
use till::config::Config;
use till::journal::{AttemptState, Journal};
use till::terminal::payment::ResolvePolicy;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::Message;
use till::ui::screen::checkout;

/// A Pi Wallet payment code: MyPay's OFFLINE route.
const PI_CODE: &str = "PI7E3A60BD8C8F23F7";

/// Resolve nothing inline: a result in doubt goes straight to 確認中.
fn no_inline_resolving() -> ResolvePolicy {
    ResolvePolicy {
        cancel_tries: 0,
        polls: 0,
        retry_interval: Duration::from_millis(10),
        tick: Duration::from_millis(50),
    }
}

fn app_on(journal: Journal, paper: &std::path::Path) -> Driver {
    gui_support::app_with(&Config::demo(), journal, paper)
        .with_resolve_policy(no_inline_resolving())
}

#[test]
fn a_payment_in_doubt_shows_confirming_refuses_a_second_charge_and_settles_by_itself() {
    let paper = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut app, sims) = gui_support::on_own_simulators(&rt, paper.path(), no_inline_resolving());
    sign_in(&mut app);
    // NT$7,002: MyPay charges, then the connection drops without an answer.
    ring_up(&mut app, "7002");
    wedge_scan(&mut app, PI_CODE);
    assert_eq!(app.screen_name(), "paying");
    app.settle();

    assert_eq!(app.screen_name(), "confirming", "in doubt is not a failure");
    assert!(shows(&app, "確認中"));
    assert!(shows(&app, "請勿重複收款,也不要改收現金,直到結果確定。"));
    assert!(shows(&app, "待確認付款 1 筆"), "the status bar counts it");

    // The customer shows their code again: nothing is sent while in doubt.
    wedge_scan(&mut app, PI_CODE);
    assert_eq!(app.screen_name(), "confirming");

    // The timer (or 立即查詢) asks MyPay; querydirect finds the charge.
    click(&mut app, "立即查詢");
    app.settle();
    assert_eq!(app.screen_name(), "done", "settled without the cashier");
    assert!(shows(&app, "收款完成"));
    assert!(!shows(&app, "待確認付款 1 筆"));

    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let sales = journal.sales_by_date(today, today, None, 10).unwrap().items;
    assert_eq!(sales.len(), 1);
    let detail = journal.sale_detail(&sales[0].sale_no).unwrap().unwrap();
    let states: Vec<_> = detail.payments.iter().map(|a| a.state).collect();
    assert_eq!(
        states,
        vec![AttemptState::Approved],
        "one charge, booked once"
    );
    // What MyPay saw: one payment request, one charge, the amount booked.
    let trade = detail.payments[0].trade_no.to_string();
    assert_eq!(
        sims.mypay.ledger.calls("api/transaction", &trade),
        1,
        "the second scan sent nothing"
    );
    let charged = sims.mypay.ledger.charges_for(&trade);
    assert_eq!(charged.len(), 1);
    assert_eq!(charged[0].amount, detail.payments[0].amount);
}

#[test]
fn payments_left_open_by_a_crash_are_settled_after_sign_in_before_anything_else() {
    let paper = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    // A till that died with a MyPay payment on the wire: journaled
    // `Sending`, no answer recorded. (One sent moments ago is asked about
    // again once MyPay's call timeout is up: see pay_mypay.rs.)
    let trade = {
        let config = Config::demo();
        let mut till =
            Terminal::with_journal(&config, Journal::open(&path).unwrap(), true).unwrap();
        let mut cart = till::sale::Cart::new();
        cart.add(till::sale::Line::new("OPEN", "咖啡", 1, till::money::Ntd::new(150)).unwrap())
            .unwrap();
        let sale = till.open_sale_as(&cart, DEMO_USERS[0].0).unwrap();
        let journal = till.journal_mut();
        let trade = journal
            .begin_attempt(
                &sale,
                till::sale::AttemptKind::Payment,
                Some(till::sale::GatewayId::MyPay),
                till::sale::PayMethod::Wallet(till::sale::Wallet::PiWallet),
                till::money::Ntd::new(150),
                None,
            )
            .unwrap();
        // Sent two minutes before the crash: MyPay has long answered it.
        let sent = till::taipei::now() - chrono::TimeDelta::minutes(2);
        journal
            .transition(
                &trade,
                AttemptState::Sending,
                till::journal::Detail::new().with("at", till::journal::stamp(sent)),
            )
            .unwrap();
        trade
    };

    let mut app = app_on(Journal::open(&path).unwrap(), paper.path());
    assert!(
        shows(&app, "待確認付款 1 筆"),
        "seen before anyone signs in"
    );
    sign_in(&mut app);
    assert_eq!(app.screen_name(), "confirming");
    assert!(shows(&app, "正在確認上次未完成的付款…"));
    app.settle();
    // The simulator never saw that order: MyPay says it does not exist,
    // so nothing was charged and the attempt is closed as such.
    let journal = app.terminal().unwrap().journal();
    let rec = journal.attempt(&trade).unwrap().unwrap();
    assert_eq!(
        rec.state,
        AttemptState::Declined,
        "settled as never charged"
    );
    assert_eq!(rec.gateway_trade_no, None, "no MyPay payment is booked");
    let sale = journal.lookup(&trade.to_string()).unwrap().unwrap();
    let d = journal.sale_detail(&sale).unwrap().unwrap();
    assert_eq!(
        d.summary.paid,
        till::money::Ntd::ZERO,
        "nothing booked as paid"
    );
    assert!(shows(&app, &trade.to_string()), "each outcome is listed");
    click(&mut app, "繼續 (Enter)");
    assert_eq!(app.screen_name(), "sale");
    assert!(!shows(&app, "待確認付款 1 筆"));
}

/// The start-up check against MyPay's own books: a till that died after
/// MyPay took NT$7,002 (the answer lost on the way back, the attempt left in
/// doubt) books exactly that charge once the next cashier signs in: the
/// journal's approval carries MyPay's number and amount, the sale is paid,
/// and MyPay received one payment request for the order, never a second.
#[test]
fn a_payment_mypay_took_before_a_crash_is_booked_at_start_up_as_mypay_holds_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sims = rt.block_on(till::sim::Simulators::start_all()).unwrap();
    let mut config = sims.demo_config();
    config.gateways.mypay.as_mut().unwrap().timeout_secs = 1;
    let paper = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    let trade = {
        let mut till =
            Terminal::with_journal(&config, Journal::open(&path).unwrap(), true).unwrap();
        let payments = till::terminal::Payments::from_config(&config)
            .unwrap()
            .with_policy(no_inline_resolving());
        let mut cart = till::sale::Cart::new();
        cart.add(till::sale::Line::new("OPEN", "咖啡", 1, till::money::Ntd::new(7002)).unwrap())
            .unwrap();
        let sale = till.open_sale_as(&cart, DEMO_USERS[0].0).unwrap();
        // 7002: MyPay charges, then drops the connection without an answer.
        let lost = rt
            .block_on(till.pay(
                &payments,
                &sale,
                till::terminal::Tender::Scan(PI_CODE.into()),
                till::money::Ntd::new(7002),
                vec![],
            ))
            .unwrap();
        assert_eq!(lost.state, AttemptState::Unknown, "{}", lost.message);
        lost.trade_no
        // The till dies here, with the attempt in doubt.
    };
    let charged = sims.mypay.ledger.charges_for(&trade);
    assert_eq!(charged.len(), 1, "MyPay took the money");

    // The next start: the same journal, the gateways of the config.
    let terminal = Terminal::with_journal(&config, Journal::open(&path).unwrap(), false).unwrap();
    let mut app = Driver::new(&config, terminal, Catalogue::demo())
        .with_printer(gui_support::virtual_printer(paper.path()))
        .with_resolve_policy(no_inline_resolving());
    assert!(
        shows(&app, "待確認付款 1 筆"),
        "seen before anyone signs in"
    );
    sign_in(&mut app);
    assert_eq!(app.screen_name(), "confirming");
    app.settle();
    assert!(shows(&app, &trade), "the outcome is listed");

    let journal = app.terminal().unwrap().journal();
    let rec = journal.attempt(&trade.parse().unwrap()).unwrap().unwrap();
    assert_eq!(rec.state, AttemptState::Approved);
    assert_eq!(
        rec.gateway_trade_no.as_deref(),
        Some(charged[0].gateway_trade_no.as_str()),
        "the journal books MyPay's own charge"
    );
    assert_eq!(rec.amount, charged[0].amount, "money taken = money booked");
    let sale = journal.lookup(&trade).unwrap().unwrap();
    let d = journal.sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.paid, till::money::Ntd::new(7002));
    assert_eq!(
        sims.mypay.ledger.charges_for(&trade),
        charged,
        "no second charge"
    );
    assert_eq!(
        sims.mypay.ledger.calls("api/transaction", &trade),
        1,
        "asked about, never sent again"
    );
    assert!(sims.mypay.ledger.calls("api/querydirect", &trade) >= 1);
    click(&mut app, "繼續 (Enter)");
    assert_eq!(app.screen_name(), "sale");
    assert!(!shows(&app, "待確認付款 1 筆"));
}

fn only_payment(app: &Driver) -> till::journal::AttemptRecord {
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let sales = journal.sales_by_date(today, today, None, 10).unwrap().items;
    assert_eq!(sales.len(), 1);
    let detail = journal.sale_detail(&sales[0].sale_no).unwrap().unwrap();
    assert_eq!(detail.payments.len(), 1);
    journal
        .attempt(&detail.payments[0].trade_no)
        .unwrap()
        .unwrap()
}

#[test]
fn a_member_pays_with_their_bound_card_through_ecpay() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = app_on(Journal::open_in_memory().unwrap(), paper.path());
    sign_in(&mut app);
    ring_up(&mut app, "350");
    click(&mut app, "會員綁定卡");
    click(&mut app, "查詢 (Enter)");
    assert!(shows(&app, "請先輸入或掃描會員編號"), "a number first");
    for d in "9999".chars() {
        click(&mut app, &d.to_string());
    }
    click(&mut app, "查詢 (Enter)");
    assert!(shows(&app, "找不到此會員編號"));
    click(&mut app, "C");
    for d in till::terminal::DEMO_MEMBER.0.chars() {
        click(&mut app, &d.to_string());
    }
    click(&mut app, "查詢 (Enter)");
    assert!(shows(&app, till::terminal::DEMO_MEMBER.1));
    click(&mut app, "以 4311-95**-****-2222 付款");
    assert_eq!(app.screen_name(), "paying");
    app.settle();
    assert_eq!(app.screen_name(), "done");

    let paid = only_payment(&app);
    assert_eq!(paid.state, AttemptState::Approved);
    assert_eq!(paid.gateway, Some(till::sale::GatewayId::Ecpay));
    assert_eq!(paid.method, till::sale::PayMethod::BoundCard);
}

#[test]
fn a_pay_later_order_checks_the_form_before_anything_is_sent() {
    use till::ui::screen::tender::Message as T;
    let paper = tempfile::tempdir().unwrap();
    let mut app = app_on(Journal::open_in_memory().unwrap(), paper.path());
    sign_in(&mut app);
    ring_up(&mut app, "480");
    click(&mut app, "繳費單");
    click(&mut app, "建立繳費單 (Enter)");
    assert!(shows(&app, "手機號碼需為 09 開頭的 10 位數字"));
    app.update(Message::Checkout(checkout::Message::Tender(T::LaterPhone(
        "0912-345-678".into(),
    ))));
    click(&mut app, "建立繳費單 (Enter)");
    assert!(shows(&app, "請輸入顧客姓名(最多 50 字)"));
    app.update(Message::Checkout(checkout::Message::Tender(T::LaterName(
        "陳小華".into(),
    ))));
    click(&mut app, "建立繳費單 (Enter)");
    assert!(
        shows(&app, "請輸入 5 位數字"),
        "ATM needs the account's last 5"
    );
    assert_eq!(app.screen_name(), "tender");
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    assert!(
        journal
            .sales_by_date(today, today, None, 10)
            .unwrap()
            .items
            .is_empty(),
        "nothing journaled, nothing sent"
    );

    click(&mut app, "超商代碼");
    click(&mut app, "建立繳費單 (Enter)");
    assert_eq!(app.screen_name(), "paying");
    app.settle();
    let order = only_payment(&app);
    assert_eq!(order.gateway, Some(till::sale::GatewayId::Goodbuy));
    assert_eq!(order.method, till::sale::PayMethod::PayLater);
}

/// The customer pays on the PayPage from their phone (an HTTP POST to its URL).
fn customer_pays(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(url)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(
        status.is_success(),
        "the simulator took the payment: {status}"
    );
}

#[test]
fn a_customer_pays_on_their_phone_from_the_paypage_qr() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = app_on(Journal::open_in_memory().unwrap(), paper.path());
    sign_in(&mut app);
    gui_support::open_paypage(&mut app, "420");
    assert_eq!(app.screen_name(), "paypage");
    let url = app.paypage_url().expect("a PayPage URL").to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(
        app.customer_display(),
        till::ui::customer::CustomerDisplay::PayPage {
            total: till::money::Ntd::new(420),
            url: url.clone()
        },
        "the customer window shows the same QR code"
    );
    let slips = printed_texts(paper.path());
    assert!(
        slips
            .iter()
            .any(|r| r.contains("手機付款") && r.contains(&url)),
        "the PayPage slip carries the URL as its QR code"
    );

    // Not paid yet: the screen stays and keeps asking.
    app.look_now();
    assert_eq!(app.screen_name(), "paypage");

    customer_pays(&url);
    app.look_now();
    assert_eq!(app.screen_name(), "done");
    assert!(shows(&app, "收款完成"));
    let paid = only_payment(&app);
    assert_eq!(paid.state, AttemptState::Approved);
    assert_eq!(paid.method, till::sale::PayMethod::PayPage);
}

#[test]
fn a_paypage_can_be_cancelled_and_nothing_is_charged() {
    let paper = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut app, sims) = gui_support::on_own_simulators(&rt, paper.path(), no_inline_resolving());
    sign_in(&mut app);
    gui_support::open_paypage(&mut app, "260");
    click(&mut app, "取消手機付款 (Esc)");
    app.settle();
    assert_eq!(app.screen_name(), "tender");
    assert!(shows(&app, "手機付款已取消,未收款"));
    let order = only_payment(&app);
    assert_eq!(order.state, AttemptState::Cancelled);
    let trade = order.trade_no.to_string();
    assert_eq!(
        sims.mypay.ledger.calls("api/orders", &trade),
        1,
        "the PayPage order was made once"
    );
    assert!(
        sims.mypay.ledger.charges_for(&trade).is_empty(),
        "MyPay holds no charge for it"
    );
}

/// At the tender: a pay-later order paid at a convenience store, for
/// `payer`, created and answered.
fn pay_later_at_a_store(app: &mut Driver, payer: &str) {
    use till::ui::screen::tender::Message as T;
    click(app, "繳費單");
    click(app, "超商代碼");
    app.update(Message::Checkout(checkout::Message::Tender(T::LaterPhone(
        "0912345678".into(),
    ))));
    app.update(Message::Checkout(checkout::Message::Tender(T::LaterName(
        payer.into(),
    ))));
    click(app, "建立繳費單 (Enter)");
    app.settle();
}

#[test]
fn a_pay_later_order_prints_the_slip_and_the_next_customer_can_come() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = app_on(Journal::open_in_memory().unwrap(), paper.path());
    sign_in(&mut app);
    // NT$9,601: the aggregator's order is created and not paid yet.
    ring_up(&mut app, "9601");
    pay_later_at_a_store(&mut app, "陳小華");
    assert_eq!(app.screen_name(), "done");

    let order = only_payment(&app);
    assert!(!order.state.is_final(), "waiting for the customer to pay");
    let how = app
        .terminal()
        .unwrap()
        .pay_later_instructions(&order.trade_no)
        .unwrap()
        .expect("the aggregator said how to pay");
    let code = how.store_code.clone().expect("a store payment code");
    assert!(shows(
        &app,
        &format!("請顧客至超商以代碼 {code} 繳費;繳費後此筆交易自動完成")
    ));
    let slips = printed_texts(paper.path());
    assert!(
        slips.iter().any(|r| r.contains(&code)),
        "the slip carries the store code"
    );
    let journal = app.terminal().unwrap().journal();
    let detail = journal
        .sale_detail(&gui_support::newest_sale(&app))
        .unwrap()
        .unwrap();
    assert!(detail.invoices.is_empty(), "no e-invoice before the money");
    click(&mut app, "下一位 (Enter)");
    assert_eq!(app.screen_name(), "sale");
}

#[test]
fn a_pay_later_customers_carrier_is_kept_for_the_invoice_issued_once_they_pay() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = app_on(Journal::open_in_memory().unwrap(), paper.path());
    sign_in(&mut app);
    ring_up(&mut app, "9601");
    // The customer gives their mobile barcode before leaving to pay.
    app.update(Message::Checkout(checkout::Message::BuyerInput(
        "/ABC+123".into(),
    )));
    click(&mut app, "套用");
    pay_later_at_a_store(&mut app, "陳小華");
    assert_eq!(app.screen_name(), "done");
    assert!(shows(
        &app,
        "電子發票未開立: 顧客繳費後開立 → 存入手機條碼 /ABC+123"
    ));
    let sale = gui_support::newest_sale(&app);
    assert_eq!(
        app.terminal()
            .unwrap()
            .remembered_buyer_choice(&sale)
            .unwrap(),
        Some(till::einvoice::buyer::BuyerChoice::Mobile(
            "/ABC+123".parse().unwrap()
        )),
        "kept in the journal for when the money arrives"
    );
    // The next customer starts with no choice of their own.
    click(&mut app, "下一位 (Enter)");
    ring_up(&mut app, "9601");
    pay_later_at_a_store(&mut app, "林小明");
    assert!(shows(&app, "電子發票未開立: 顧客繳費後開立"));
}

#[test]
fn when_mypay_issues_the_invoice_its_proof_prints_with_mypays_own_number() {
    let paper = tempfile::tempdir().unwrap();
    let mut config = Config::demo();
    config.einvoice.issuer = till::config::InvoiceIssuer::Mypay;
    let terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    let mut app = Driver::new(&config, terminal, Catalogue::demo())
        .with_printer(virtual_printer(paper.path()))
        .with_resolve_policy(no_inline_resolving());
    sign_in(&mut app);
    ring_up(&mut app, "300");
    wedge_scan(&mut app, PI_CODE);
    app.settle();
    assert_eq!(app.screen_name(), "done");

    let sale = gui_support::newest_sale(&app);
    let inv = app
        .terminal()
        .unwrap()
        .mypay_invoice(&sale)
        .unwrap()
        .expect("MyPay issued the invoice with the payment");
    let journal = app.terminal().unwrap().journal();
    assert!(
        journal
            .sale_detail(&sale)
            .unwrap()
            .unwrap()
            .invoices
            .is_empty(),
        "no number was taken from the till's own rolls"
    );
    assert!(shows(
        &app,
        &format!("電子發票 {} 證明聯已列印", inv.number.dashed())
    ));
    let proofs: Vec<String> = printed_texts(paper.path())
        .into_iter()
        .filter(|r| r.contains("電子發票證明聯"))
        .collect();
    assert_eq!(proofs.len(), 1);
    assert!(proofs[0].contains(&inv.number.dashed()));
    assert!(
        proofs[0].contains(inv.left_qr.trim_end()),
        "MyPay's left QR string printed as given"
    );
}

#[test]
fn money_taken_after_the_till_closed_the_attempt_stays_on_the_status_bar_until_settled() {
    let paper = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    // A PayPage the till cancelled, paid on the customer's phone anyway
    // (what a MyPay notice finds: tests/pay_callbacks.rs).
    let trade = {
        let config = Config::demo();
        let mut till =
            Terminal::with_journal(&config, Journal::open(&path).unwrap(), true).unwrap();
        let mut cart = till::sale::Cart::new();
        cart.add(till::sale::Line::new("OPEN", "咖啡", 1, till::money::Ntd::new(260)).unwrap())
            .unwrap();
        let sale = till.open_sale_as(&cart, DEMO_USERS[0].0).unwrap();
        let journal = till.journal_mut();
        let trade = journal
            .begin_attempt(
                &sale,
                till::sale::AttemptKind::Payment,
                Some(till::sale::GatewayId::MyPay),
                till::sale::PayMethod::PayPage,
                till::money::Ntd::new(260),
                None,
            )
            .unwrap();
        journal
            .transition(
                &trade,
                AttemptState::Abandoned,
                till::journal::Detail::new(),
            )
            .unwrap();
        journal
            .record_late_payment(&trade, till::money::Ntd::new(260), "MP1", "mypay notice")
            .unwrap();
        trade
    };
    let mut app = app_on(Journal::open(&path).unwrap(), paper.path());
    sign_in(&mut app);
    let notice = "逾時後收到的款項 1 筆,須退還顧客(till late-payments)";
    assert!(shows(&app, notice));
    // A manager settles it with `till late-payments --settle` (another
    // process on the same journal); the next status round clears it.
    {
        let mut cli =
            Terminal::with_journal(&Config::demo(), Journal::open(&path).unwrap(), true).unwrap();
        let manager = cli.journal().user(DEMO_USERS[1].0).unwrap().unwrap();
        cli.settle_late_payment(&trade, &manager, "MyPay 後台退款")
            .unwrap();
    }
    assert!(shows(&app, notice), "until the status is next read");
    app.update(Message::Tick(
        std::time::Instant::now() + std::time::Duration::from_secs(60),
    ));
    assert!(!shows(&app, notice));
}

/// Five minutes after the cashier's last touch the till locks itself, also
/// while a PayPage waits: its own looks at MyPay are not a cashier's touch.
#[test]
fn the_till_locks_itself_while_a_paypage_waits_untouched() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = app_on(Journal::open_in_memory().unwrap(), paper.path());
    sign_in(&mut app);
    gui_support::open_paypage(&mut app, "420");
    let last_touch = std::time::Instant::now();
    assert_eq!(app.screen_name(), "paypage");
    // MyPay is asked again (not paid yet), twice, after the last touch.
    app.look_now();
    app.look_now();
    assert_eq!(app.screen_name(), "paypage");

    app.update(Message::Tick(last_touch + till::ui::app::IDLE_LOCK));
    assert_ne!(
        app.screen_name(),
        "paypage",
        "five minutes without a touch lock the till (the PayPage shows over the lock)"
    );
}

/// Locked while the PayPage waits, the till keeps asking MyPay (a customer
/// may pay meanwhile), and the customer window keeps the QR code.
#[test]
fn a_locked_till_keeps_asking_whether_the_paypage_was_paid() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = app_on(Journal::open_in_memory().unwrap(), paper.path());
    sign_in(&mut app);
    gui_support::open_paypage(&mut app, "420");
    let url = app.paypage_url().expect("a PayPage").to_string();
    app.update(Message::SignOut);

    app.look_now();
    assert!(
        app.only_pausing(),
        "after a look the next one waits: the PayPage is still asked about"
    );
    assert_eq!(
        app.customer_display(),
        till::ui::customer::CustomerDisplay::PayPage {
            total: till::money::Ntd::new(420),
            url
        },
        "the customer still sees the code to pay with"
    );

    // The cashier comes back: the sign-in screen shows (not a till that
    // cannot start), and signing in works while MyPay is being asked.
    assert!(shows(&app, "登入 (Enter)"), "the sign-in keypad is there");
    sign_in(&mut app);
    app.look_now();
    assert_eq!(
        app.screen_name(),
        "paypage",
        "signed in again, back at the customer's PayPage"
    );
}
