//! At a real counter (issue 13): scans arrive as a keyboard-wedge scanner
//! sends them, with Shift pressed on its own before each capital, exactly as
//! iced reports the keys; a carrier scanned at the tender; a wallet payment
//! that fails, then a changed cart paid in cash.

use crate::gui_support;
use crate::gui_support::Driver;

use std::time::{Duration, Instant};

use gui_support::{click, demo_app, printed_texts, ring_up, shows, sign_in};
use iced::keyboard::{Key as IcedKey, Modifiers, key::Named};
use till::journal::{AttemptState, SaleStatus};
use till::money::Ntd;
use till::sale::GatewayId;
use till::ui::Message;
use till::ui::app::Shortcut;
use till::ui::keys::{KeyPress, key_of};

/// Characters a US keyboard (and a wedge scanner set to it) types with Shift.
fn shifted(c: char) -> bool {
    c.is_ascii_uppercase() || "~!@#$%^&*()_+{}|:\"<>?".contains(c)
}

/// Key `code` as a wedge scanner does, 4 ms a key: Shift pressed on its own
/// before a shifted character, the character with Shift held, then Enter;
/// every key named by the app's own `key_of`, as the real window's are.
fn keyboard_scan(app: &mut Driver, code: &str) {
    let mut at = Instant::now();
    let mut send = |app: &mut Driver, key: IcedKey, text: Option<&str>, modifiers: Modifiers| {
        at += Duration::from_millis(4);
        app.update(Message::Key(KeyPress {
            key: key_of(&key, text, modifiers),
            captured: false,
            at,
        }));
    };
    for c in code.chars() {
        let typed = c.to_string();
        let modifiers = if shifted(c) {
            send(app, IcedKey::Named(Named::Shift), None, Modifiers::SHIFT);
            Modifiers::SHIFT
        } else {
            Modifiers::empty()
        };
        let key = IcedKey::Character(typed.to_lowercase().into());
        send(app, key, Some(&typed), modifiers);
    }
    send(app, IcedKey::Named(Named::Enter), None, Modifiers::empty());
    app.settle_prints();
}

fn today_sales(app: &Driver) -> Vec<till::journal::SaleSummary> {
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    journal.sales_by_date(today, today, None, 50).unwrap().items
}

#[test]
fn a_jkopay_code_with_a_capital_keyed_with_shift_pays_through_jkopay() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    ring_up(&mut app, "65");
    keyboard_scan(&mut app, "22J111111111111111");
    assert_eq!(
        app.screen_name(),
        "paying",
        "the whole code went to JKoPay, not \"22\" into the cash field"
    );
    app.settle();
    assert_eq!(app.screen_name(), "done");

    let sales = today_sales(&app);
    assert_eq!(sales.len(), 1);
    assert_eq!(sales[0].status, SaleStatus::Paid);
    let journal = app.terminal().unwrap().journal();
    let detail = journal.sale_detail(&sales[0].sale_no).unwrap().unwrap();
    assert_eq!(detail.payments.len(), 1, "one payment, no cash beside it");
    assert_eq!(detail.payments[0].gateway, Some(GatewayId::JkoPay));
    assert_eq!(detail.payments[0].amount, Ntd::new(65));
}

#[test]
fn a_carrier_scanned_on_the_tender_screen_sets_the_invoice_choice_and_books_nothing() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    ring_up(&mut app, "100");
    keyboard_scan(&mut app, "/ABC1234");
    assert_eq!(app.screen_name(), "tender", "still taking payment");
    assert_eq!(
        *app.buyer(),
        till::einvoice::buyer::BuyerChoice::Mobile("/ABC1234".parse().unwrap())
    );
    assert!(today_sales(&app).is_empty(), "no sale was booked");
    assert!(printed_texts(paper.path()).is_empty(), "nothing printed");
    // The cash keypad was not touched: the due is still shown as received.
    assert!(!shows(&app, "NT$1,234"), "no digits of the carrier as cash");
}

/// A customer's carrier goes with their cart: when the cashier empties
/// the cart (the customer left), the next customer's invoice must not go to
/// the carrier scanned for the one before.
#[test]
fn a_carrier_is_forgotten_when_its_cart_is_emptied() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    // NT$9,928: the JKoPay simulator's "insufficient balance", so the
    // sale is journaled (open) before the customer gives up.
    ring_up(&mut app, "9928");
    keyboard_scan(&mut app, "/ABC1234");
    assert_eq!(
        *app.buyer(),
        till::einvoice::buyer::BuyerChoice::Mobile("/ABC1234".parse().unwrap())
    );
    keyboard_scan(&mut app, "22J111111111111111");
    app.settle();
    assert_eq!(app.screen_name(), "tender", "the wallet was declined");
    app.update(Message::Shortcut(Shortcut::Escape));
    assert_eq!(app.screen_name(), "sale");
    app.update(Message::Shortcut(Shortcut::Remove));
    app.update(Message::Shortcut(Shortcut::Enter));
    assert_eq!(app.cart().units(), 0, "the cart was emptied");
    assert_eq!(
        *app.buyer(),
        till::einvoice::buyer::BuyerChoice::Print,
        "the carrier left with its customer"
    );

    // The next customer pays cash: their proof is printed, not sent to
    // the carrier scanned before.
    ring_up(&mut app, "60");
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    app.settle();
    assert_eq!(app.screen_name(), "done");
    let printed = printed_texts(paper.path()).join("\n");
    assert!(
        !printed.contains("/ABC1234"),
        "nothing of the earlier carrier on paper: {printed}"
    );
    assert_eq!(*app.buyer(), till::einvoice::buyer::BuyerChoice::Print);
}

#[test]
fn a_short_love_code_scanned_on_the_tender_screen_donates_and_books_no_cash() {
    for code in ["168", "88888"] {
        let paper = tempfile::tempdir().unwrap();
        let mut app = demo_app(paper.path());
        sign_in(&mut app);
        // A due below the code: typed as cash, Enter would have paid it.
        ring_up(&mut app, "100");
        keyboard_scan(&mut app, code);
        assert_eq!(app.screen_name(), "tender", "{code}: still taking payment");
        assert_eq!(
            *app.buyer(),
            till::einvoice::buyer::BuyerChoice::Donate(code.parse().unwrap()),
            "{code}: the invoice is donated to the scanned love code"
        );
        assert!(today_sales(&app).is_empty(), "{code}: no cash sale booked");
        assert!(
            printed_texts(paper.path()).is_empty(),
            "{code}: nothing printed"
        );
    }
}

#[test]
fn after_a_declined_wallet_a_smaller_cart_is_paid_in_cash_as_the_new_cart() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    // NT$9,928: the JKoPay simulator's "insufficient balance".
    ring_up(&mut app, "9928");
    keyboard_scan(&mut app, "22J111111111111111");
    app.settle();
    assert_eq!(app.screen_name(), "tender", "back to take another payment");

    // A hurried Enter after the failure books nothing: nothing is prefilled.
    app.update(Message::Shortcut(Shortcut::Enter));
    assert_eq!(app.screen_name(), "tender");
    assert!(shows(&app, "請輸入收到的現金,或按「剛好」"));

    // The customer puts the item back and takes something smaller.
    app.update(Message::Shortcut(Shortcut::Escape));
    assert_eq!(app.screen_name(), "sale");
    app.update(Message::Shortcut(Shortcut::Remove));
    app.update(Message::Shortcut(Shortcut::Enter));
    assert!(app.cart().is_empty());
    ring_up(&mut app, "65");
    assert!(shows(&app, "NT$65"));
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(app.screen_name(), "done");

    let sales = today_sales(&app);
    assert_eq!(sales.len(), 1, "the same sale, now for the new cart");
    assert_eq!(sales[0].total, Ntd::new(65));
    assert_eq!(sales[0].paid, Ntd::new(65));
    assert_eq!(sales[0].status, SaleStatus::Paid, "paid, not half-paid");
    let journal = app.terminal().unwrap().journal();
    let detail = journal.sale_detail(&sales[0].sale_no).unwrap().unwrap();
    assert_eq!(detail.lines.len(), 1);
    assert_eq!(detail.lines[0].unit_price, Ntd::new(65));
    let payments: Vec<_> = detail
        .payments
        .iter()
        .map(|a| (a.gateway, a.state, a.amount))
        .collect();
    assert_eq!(
        payments,
        vec![
            (
                Some(GatewayId::JkoPay),
                AttemptState::Declined,
                Ntd::new(9928)
            ),
            (None, AttemptState::Approved, Ntd::new(65)),
        ]
    );
}

/// Sales left open from an earlier session (a till restarted mid-sale, a
/// crash): one rung up with nothing paid, one with NT$40 of NT$100 taken.
/// They are named at sign-in and in the status bar, which opens history
/// on them, each marked with its standing; a manager voids the unpaid one
/// and the rest of the half-paid one is taken at the tender.
#[test]
fn open_and_half_paid_sales_are_shown_and_a_manager_settles_them_from_history() {
    use till::journal::{Detail, Journal};
    use till::sale::{AttemptKind, Cart, Line, PayMethod};
    use till::ui::i18n::Lang;
    use till::ui::screen::history;

    let paper = tempfile::tempdir().unwrap();
    let books = tempfile::tempdir().unwrap();
    let path = books.path().join("journal.sqlite3");
    let config = till::config::Config::demo();
    let mut terminal =
        till::terminal::Terminal::with_journal(&config, Journal::open(&path).unwrap(), true)
            .unwrap();
    let tid = terminal.terminal_id().clone();
    let today = till::taipei::now().date_naive();
    let cart = |price: i64| {
        let mut c = Cart::new();
        c.add(Line::new("4710000000028", "拿鐵 Latte", 1, Ntd::new(price)).unwrap())
            .unwrap();
        c
    };
    let journal = terminal.journal_mut();
    let unpaid = journal
        .new_sale(&tid, today, "示範收銀員 Demo cashier", &cart(70))
        .unwrap();
    let half = journal
        .new_sale(&tid, today, "示範收銀員 Demo cashier", &cart(100))
        .unwrap();
    let trade = journal
        .begin_attempt(
            &half,
            AttemptKind::Payment,
            None,
            PayMethod::Cash,
            Ntd::new(40),
            None,
        )
        .unwrap();
    journal
        .transition(&trade, AttemptState::Approved, Detail::new())
        .unwrap();
    let open = terminal.open_sales(None).unwrap();
    let mut app = Driver::new(&config, terminal, till::catalogue::Catalogue::demo())
        .with_printer(gui_support::virtual_printer(paper.path()));

    // At sign-in: a notice naming both.
    let notice = history::open_sales_notice(&open, Lang::ZhTw).unwrap();
    assert!(notice.contains(&unpaid.to_string()) && notice.contains(&half.to_string()));
    assert!(notice.contains("部分付款"), "{notice}");
    assert!(shows(&app, &notice), "the sign-in screen names them");
    sign_in(&mut app);

    // The status bar: count and amount, a tap opens history on them.
    let status = history::open_sales_status(&open, Lang::ZhTw);
    assert!(
        status.contains("2 筆") && status.contains("NT$170"),
        "{status}"
    );
    click(&mut app, &status);
    assert_eq!(app.screen_name(), "history");
    assert!(shows(&app, "未結"), "the unpaid one is marked open");
    assert!(shows(&app, "部分付款"), "the other half-paid");

    // A manager voids the unpaid one.
    click(&mut app, &unpaid.to_string());
    click(&mut app, "示範店長 Demo manager");
    for d in "1234".chars() {
        app.update(Message::History(history::Message::Digit(d)));
    }
    click(&mut app, "作廢未結交易(店長)");
    assert!(shows(&app, "已作廢此未結交易(已記錄)"));
    let journal = app.terminal().unwrap().journal();
    assert_eq!(
        journal
            .sale_detail(&unpaid)
            .unwrap()
            .unwrap()
            .summary
            .status,
        SaleStatus::Void
    );
    let db = rusqlite::Connection::open(&path).unwrap();
    let voided_by: String = db
        .query_row(
            "SELECT actor FROM audit_log WHERE action = 'sale.void' AND subject = ?1",
            [unpaid.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(voided_by, "示範店長 Demo manager", "the void is on record");

    // The Z is refused while money sits on an open sale, naming it.
    app.update(Message::Shortcut(Shortcut::Escape));
    app.update(Message::Shortcut(Shortcut::CloseDay));
    assert_eq!(app.screen_name(), "close_day");
    let named = format!("{half} (NT$40/NT$100)");
    assert!(
        shows(
            &app,
            &format!("已收部分款項,須由店長於查詢畫面處理:{named}")
        ),
        "the close-day screen names the half-paid sale"
    );
    click(&mut app, "示範店長 Demo manager");
    for d in "1234".chars() {
        app.update(Message::CloseDay(
            till::ui::screen::close_day::Message::Digit(d),
        ));
    }
    click(&mut app, "日結 Z 並列印");
    click(&mut app, "日結 Z 並列印");
    assert_eq!(
        app.terminal().unwrap().x_report().unwrap().z_number,
        1,
        "not closed"
    );
    app.update(Message::Shortcut(Shortcut::Escape));
    let status = status_after_void(&app);
    click(&mut app, &status);

    // The rest of the half-paid one is taken at the tender: NT$60.
    click(&mut app, &half.to_string());
    click(&mut app, "收取餘款");
    assert_eq!(app.screen_name(), "tender");
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(app.screen_name(), "done");
    let journal = app.terminal().unwrap().journal();
    let s = journal.sale_detail(&half).unwrap().unwrap().summary;
    assert_eq!((s.status, s.paid), (SaleStatus::Paid, Ntd::new(100)));
    assert!(app.terminal().unwrap().open_sales(None).unwrap().is_empty());
    let x = app.terminal().unwrap().x_report().unwrap();
    assert_eq!((x.open_sales, x.gross), (0, Ntd::new(100)));
    assert!(x.reconciles());
}

/// The status bar's open-sales line as it reads now.
fn status_after_void(app: &Driver) -> String {
    let open = app.terminal().unwrap().open_sales(None).unwrap();
    assert_eq!(open.len(), 1, "only the half-paid one is left");
    till::ui::screen::history::open_sales_status(&open, till::ui::i18n::Lang::ZhTw)
}

/// The Z asks once before it closes; the manager then types the PIN on the
/// keyboard, as a person (150 ms a key), and the second press closes the
/// day: the digits keep the confirmation pending instead of cancelling it.
#[test]
fn a_pin_typed_after_the_z_warning_keeps_the_close_pending() {
    use till::device::scanner::wedge::Key;

    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    app.update(Message::Shortcut(Shortcut::CloseDay));
    assert_eq!(app.screen_name(), "close_day");
    assert_eq!(app.terminal().unwrap().x_report().unwrap().z_number, 1);

    click(&mut app, "示範店長 Demo manager");
    click(&mut app, "日結 Z 並列印");
    let warning = till::ui::i18n::t(till::ui::i18n::Lang::ZhTw, "closeday.confirm");
    assert!(
        shows(&app, &warning),
        "the first press warns and asks again"
    );
    let t0 = Instant::now();
    for (i, d) in "1234".chars().enumerate() {
        app.update(Message::Key(KeyPress {
            key: Key::Char(d),
            captured: false,
            at: t0 + Duration::from_millis(150 * i as u64),
        }));
    }
    app.update(Message::KeyTick(t0 + Duration::from_secs(1)));
    assert!(shows(&app, "●●●●"), "the PIN reached the close-day keypad");
    click(&mut app, "日結 Z 並列印");
    assert_eq!(
        app.terminal().unwrap().x_report().unwrap().z_number,
        2,
        "the second press closed the day (Z #1)"
    );
    assert!(shows(&app, "已日結 Z #1 並列印"));
}

/// What close-day said is worded in the cashier's language when drawn:
/// after a switch the Z warning reads in the new language, never the old.
#[test]
fn the_close_day_warning_follows_a_language_switch() {
    use till::ui::i18n::{Lang, t};

    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    app.update(Message::Shortcut(Shortcut::CloseDay));
    click(&mut app, "日結 Z 並列印");
    assert!(shows(&app, &t(Lang::ZhTw, "closeday.pick_manager")));
    app.update(Message::ToggleLanguage);
    assert!(
        shows(&app, &t(Lang::En, "closeday.pick_manager")),
        "the request for a manager reads in English"
    );
    click(&mut app, "示範店長 Demo manager");
    click(&mut app, "Close day (Z) and print");
    assert!(shows(&app, &t(Lang::En, "closeday.confirm")));
    app.update(Message::ToggleLanguage);
    assert!(
        shows(&app, &t(Lang::ZhTw, "closeday.confirm")),
        "the Z warning reads in zh-TW after the switch"
    );
    assert!(!shows(&app, &t(Lang::En, "closeday.confirm")));
}
