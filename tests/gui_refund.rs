//! Refunds at the till, driven headlessly (iced_test): finding the sale by
//! a scan or a search, the manager's approval, the reason, full and partial
//! refunds through the JKoPay simulator, what the screen says before and
//! after, and the slips.

use crate::gui_support;
use crate::gui_support::Driver;
use crate::snapshot_support;

use gui_support::{click, shows, tap_product, virtual_printer};
use std::time::{Duration, Instant};

use iced_test::simulator;
use till::catalogue::Catalogue;
use till::config::Config;
use till::device::scanner::wedge::Key;
use till::journal::{AttemptState, Journal};
use till::money::Ntd;
use till::sale::SaleNo;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::Message;
use till::ui::keys::KeyPress;
use till::ui::screen::refund::Message as R;

const SEARCH: &str = "掃描收據條碼,或輸入單號、發票號碼、金額…";
const NOTE: &str = "補充說明(選「其他」時必填)";
const CONFIRM: &str = "確認退款";

thread_local! {
    /// Where this test's virtual printer prints (each test runs on its own thread).
    static PAPER: tempfile::TempDir = tempfile::tempdir().unwrap();
}

fn paper_dir() -> std::path::PathBuf {
    PAPER.with(|d| d.path().to_path_buf())
}

/// Everything the virtual printer printed, as its text reports.
fn printed() -> Vec<String> {
    std::fs::read_dir(paper_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// A text on screen starts with `start`.
fn shows_starting(app: &Driver, start: &str) -> bool {
    let mut ui = simulator(app.view());
    ui.find(|c: iced_test::selector::Candidate<'_>| match c {
        iced_test::selector::Candidate::Text { content, .. } if content.starts_with(start) => {
            Some(())
        }
        _ => None,
    })
    .is_ok()
}

/// A demo till with the demo cashier signed in.
fn demo_app() -> Driver {
    let config = Config::demo();
    let terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    let mut app = Driver::new(&config, terminal, Catalogue::demo())
        .with_printer(virtual_printer(&paper_dir()));
    let (name, _, pin) = DEMO_USERS[0];
    click(&mut app, name);
    for d in pin.chars() {
        click(&mut app, &d.to_string());
    }
    click(&mut app, "登入 (Enter)");
    assert_eq!(app.screen_name(), "sale");
    app
}

/// A keyboard-wedge scanner types `code` 4 ms a key, then Enter. With a
/// field focused (found by its placeholder), the field swallows each
/// character, as iced does.
fn wedge_scan(app: &mut Driver, code: &str, focused: Option<&str>) {
    let t0 = Instant::now();
    if let Some(placeholder) = focused {
        let messages: Vec<Message> = {
            let mut ui = simulator(app.view());
            ui.click(placeholder).unwrap();
            ui.typewrite(code);
            ui.into_messages().collect()
        };
        for m in messages {
            app.update(m);
        }
    }
    for (i, c) in code.chars().enumerate() {
        app.update(Message::Key(KeyPress {
            key: Key::Char(c),
            captured: focused.is_some(),
            at: t0 + Duration::from_millis(4 * i as u64),
        }));
    }
    app.update(Message::Key(KeyPress {
        key: Key::Enter,
        captured: false,
        at: t0 + Duration::from_millis(4 * code.len() as u64 + 4),
    }));
}

/// The customer buys `products` and pays with the JKoPay sample code
/// through the simulator; back at the sale screen, the sale's number.
fn jkopay_sale(app: &mut Driver, products: &[&str]) -> SaleNo {
    for p in products {
        tap_product(app, p);
    }
    click(app, "收款 (F2)");
    wedge_scan(app, "22J111111111111111", None);
    app.settle();
    assert_eq!(app.screen_name(), "done");
    click(app, "下一位 (Enter)");
    gui_support::newest_sale(app)
}

fn refunds(app: &Driver, sale: &SaleNo) -> Vec<till::journal::AttemptRecord> {
    app.terminal()
        .unwrap()
        .journal()
        .sale_detail(sale)
        .unwrap()
        .unwrap()
        .refunds
}

fn pin(app: &mut Driver, digits: &str) {
    for d in digits.chars() {
        app.update(Message::Refund(R::Digit(d)));
    }
}

/// The demo manager picks themself, keys their PIN and confirms; the
/// refund's job runs to its end.
fn manager_confirms(app: &mut Driver) {
    let (manager, _, right) = DEMO_USERS[MANAGER];
    click(app, manager);
    pin(app, right);
    click(app, CONFIRM);
    app.settle();
}

/// Open the refund screen and find `sale` by its receipt code, scanned.
fn refund_screen_on(app: &mut Driver, sale: &SaleNo) {
    click(app, "退款 (F7)");
    assert_eq!(app.screen_name(), "refund");
    wedge_scan(app, &sale.receipt_code().to_string(), None);
    assert!(shows(app, &sale.to_string()), "the sale is shown");
}

const MANAGER: usize = 1;

#[test]
fn a_wrong_manager_pin_refunds_nothing_and_the_right_one_refunds_and_prints_the_slip() {
    let mut app = demo_app();
    let sale = jkopay_sale(&mut app, &["拿鐵 Latte"]);
    let total = app.cart().total();
    assert_eq!(total, Ntd::ZERO, "the next customer's cart is empty");
    refund_screen_on(&mut app, &sale);
    assert!(
        shows_starting(&app, &format!("退款方式: 街口支付 · {sale}P01")),
        "how it was paid is shown"
    );

    click(&mut app, "退貨");
    let (manager, _, right) = DEMO_USERS[MANAGER];
    click(&mut app, manager);
    pin(&mut app, "9999");
    click(&mut app, CONFIRM);
    assert_eq!(app.screen_name(), "refund");
    assert!(shows(&app, "姓名或密碼不正確,請再試一次"));
    assert!(refunds(&app, &sale).is_empty(), "nothing was journaled");

    pin(&mut app, right);
    click(&mut app, CONFIRM);
    assert_eq!(
        app.screen_name(),
        "refunding",
        "the refund is with the gateway"
    );
    assert!(
        (0..5).any(|s| shows(
            &app,
            &format!("退款處理中:{sale} 街口支付 · {sale}P01… {s} 秒")
        )),
        "the wait is shown with its seconds"
    );
    app.settle();
    assert_eq!(app.screen_name(), "refund");

    let done = refunds(&app, &sale);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].state, AttemptState::Approved);
    let paid = app
        .terminal()
        .unwrap()
        .journal()
        .sale_detail(&sale)
        .unwrap()
        .unwrap()
        .summary
        .paid;
    assert_eq!(done[0].amount, paid, "a full refund");
    assert!(shows(&app, &format!("已退款 {paid}")));
    assert!(shows(&app, "退款單已列印"));
    let slips: Vec<String> = printed()
        .into_iter()
        .filter(|r| r.contains("退款單"))
        .collect();
    assert_eq!(slips.len(), 1, "one refund slip");
    assert!(
        slips[0].contains(&done[0].trade_no.to_string()),
        "{}",
        slips[0]
    );
    assert!(slips[0].contains("退貨"), "the reason is on the slip");
    assert!(
        slips[0].replace('\n', " ").contains(manager),
        "and who approved it: {}",
        slips[0]
    );
}

#[test]
fn a_cashier_cannot_approve_a_refund_and_a_reason_is_required() {
    let mut app = demo_app();
    let sale = jkopay_sale(&mut app, &["貝果 Bagel"]);
    refund_screen_on(&mut app, &sale);

    // No reason yet: the manager's right PIN is not enough.
    let (manager, _, right) = DEMO_USERS[MANAGER];
    click(&mut app, manager);
    pin(&mut app, right);
    click(&mut app, CONFIRM);
    assert!(shows(&app, "請選擇退款原因;選「其他」請填寫說明"));
    // "Other" needs words.
    click(&mut app, "其他");
    pin(&mut app, right);
    click(&mut app, CONFIRM);
    assert!(shows(&app, "請選擇退款原因;選「其他」請填寫說明"));
    assert!(refunds(&app, &sale).is_empty());

    // The signed-in cashier, with the cashier's own right PIN, cannot.
    click(&mut app, "退貨");
    let (cashier, _, cashier_pin) = DEMO_USERS[0];
    app.update(Message::Refund(R::PickManager(cashier.to_string())));
    pin(&mut app, cashier_pin);
    click(&mut app, CONFIRM);
    assert_eq!(app.screen_name(), "refund");
    assert!(shows(&app, "只有店長可以核准退款"));
    assert!(refunds(&app, &sale).is_empty(), "nothing was journaled");
}

#[test]
fn a_wedge_scan_of_the_receipt_finds_the_sale_while_a_text_field_has_focus() {
    let mut app = demo_app();
    let sale = jkopay_sale(&mut app, &["美式咖啡 Americano"]);
    click(&mut app, "退款 (F7)");
    assert!(!shows(&app, &sale.to_string()));
    // The manager was typing a note when the receipt was scanned.
    wedge_scan(&mut app, &sale.receipt_code().to_string(), Some(NOTE));
    assert!(shows(&app, &sale.to_string()), "the scan found the sale");
    assert!(shows(&app, "美式咖啡 Americano ×1"), "its lines are shown");
    assert!(
        shows(&app, NOTE),
        "the note field is empty again: the scan's characters were taken back"
    );
    assert!(!shows(&app, &sale.receipt_code().to_string()));

    // A search by amount finds it too (the only sale of that amount).
    app.update(Message::Refund(R::Again));
    let total = refunds_total(&app, &sale);
    let messages: Vec<Message> = {
        let mut ui = simulator(app.view());
        ui.click(SEARCH).unwrap();
        ui.typewrite(&total.dollars().to_string());
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
    click(&mut app, "查詢");
    assert!(shows(&app, &sale.to_string()));
}

fn refunds_total(app: &Driver, sale: &SaleNo) -> Ntd {
    app.terminal()
        .unwrap()
        .journal()
        .sale_detail(sale)
        .unwrap()
        .unwrap()
        .summary
        .total
}

#[test]
fn a_partial_jkopay_refund_leaves_the_rest_refundable() {
    let mut app = demo_app();
    let sale = jkopay_sale(&mut app, &["拿鐵 Latte", "貝果 Bagel"]);
    let total = refunds_total(&app, &sale);
    refund_screen_on(&mut app, &sale);
    assert!(shows(&app, &total.to_string()), "the refundable amount");

    click(&mut app, "部分金額");
    for d in "40".chars() {
        app.update(Message::Refund(R::Digit(d)));
    }
    assert!(shows(&app, "將退款 NT$40"));
    // A partial refund is an allowance on the invoice, said before confirming.
    assert!(
        shows_starting(&app, "電子發票: 折讓"),
        "the allowance decision is shown"
    );

    click(&mut app, "商品瑕疵");
    manager_confirms(&mut app);
    assert!(shows(&app, "已退款 NT$40"));
    let left = Ntd::new(total.dollars() - 40);
    assert!(shows(&app, &format!("此交易尚可退 {left}")));
    let done = refunds(&app, &sale);
    assert_eq!(
        (done.len(), done[0].state, done[0].amount),
        (1, AttemptState::Approved, Ntd::new(40))
    );
    assert!(
        printed().iter().any(|r| r.contains("折讓單號")),
        "the allowance slip was printed for the customer to sign"
    );

    // Back on the sale later: what is left is what can still go back.
    click(&mut app, "再退一筆");
    wedge_scan(&mut app, &sale.receipt_code().to_string(), None);
    assert!(shows(&app, &left.to_string()));
    assert!(shows(&app, "NT$40"), "the refund so far is shown");
    // Asking for more than is left is refused before anything is sent.
    click(&mut app, "部分金額");
    for d in total.dollars().to_string().chars() {
        app.update(Message::Refund(R::Digit(d)));
    }
    assert!(shows(
        &app,
        &format!("最多可退 {left} / at most {left} can still be refunded")
    ));
}

#[test]
fn a_full_refund_in_the_same_period_voids_the_invoice_and_says_so_first() {
    let mut app = demo_app();
    let sale = jkopay_sale(&mut app, &["拿鐵 Latte"]);
    let number = app
        .terminal()
        .unwrap()
        .live_invoice(&sale)
        .unwrap()
        .expect("the sale has its e-invoice")
        .0
        .number()
        .dashed();
    // From the sale's detail in History this time.
    click(&mut app, "查詢 (F6)");
    click(&mut app, &sale.to_string());
    click(&mut app, "退款 Refund");
    assert_eq!(app.screen_name(), "refund");
    assert!(shows(&app, &sale.to_string()), "on the sale History showed");
    assert!(
        shows_starting(&app, &format!("電子發票: 作廢發票 {number}")),
        "void is decided and shown before confirming"
    );

    click(&mut app, "重複收款");
    manager_confirms(&mut app);
    assert!(shows(&app, &format!("電子發票 {number} 已作廢")));
    assert!(shows(&app, "請收回顧客的電子發票證明聯"));
    assert!(
        app.terminal()
            .unwrap()
            .live_invoice(&sale)
            .unwrap()
            .is_none(),
        "the invoice is voided in the journal"
    );
}

/// The refund screen as recorded in `tests/snapshots/refund-tiny-skia.png`
/// (the tests/gui_snapshots.rs pattern: bundled font, CPU renderer, a fixed
/// clock, compared block by block as in tests/snapshot_support). After an intended change, delete the PNG, rerun, look at it.
#[test]
fn the_refund_screen_looks_as_recorded() {
    use chrono::TimeZone;
    use iced_test::core::{Font, Settings};
    use iced_test::simulator::Simulator;
    use till::ui::{FONT_BYTES, FONT_FAMILY};
    const SIZE: (f32, f32) = (1280.0, 800.0);

    let config = Config::demo();
    let mut terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    terminal.set_clock(|| {
        till::taipei::offset()
            .with_ymd_and_hms(2026, 11, 22, 14, 30, 0)
            .unwrap()
    });
    let mut app = Driver::new(&config, terminal, Catalogue::demo())
        .with_printer(virtual_printer(&paper_dir()));
    let (name, _, cashier_pin) = DEMO_USERS[0];
    click(&mut app, name);
    pin_keys(&mut app, cashier_pin);
    click(&mut app, "登入 (Enter)");
    let sale = jkopay_sale(&mut app, &["拿鐵 Latte", "貝果 Bagel"]);
    refund_screen_on(&mut app, &sale);
    click(&mut app, "部分金額");
    pin(&mut app, "40");
    click(&mut app, "商品瑕疵");
    let (manager, _, right) = DEMO_USERS[MANAGER];
    click(&mut app, manager);
    pin(&mut app, right);

    let settings = Settings {
        fonts: vec![std::borrow::Cow::Borrowed(FONT_BYTES)],
        default_font: Font::with_name(FONT_FAMILY),
        ..Settings::default()
    };
    let mut ui = Simulator::with_size(settings, SIZE, app.view());
    snapshot_support::assert_screen_as_recorded(&mut ui, "refund");
}

/// Sign-in keypad digits.
fn pin_keys(app: &mut Driver, digits: &str) {
    for d in digits.chars() {
        click(app, &d.to_string());
    }
}

#[test]
fn a_cash_sale_is_refunded_from_the_drawer() {
    let mut app = demo_app();
    let sale = gui_support::cash_sale(&mut app, "貝果 Bagel");
    refund_screen_on(&mut app, &sale);
    assert!(shows_starting(&app, "退款方式: 現金"));
    // How the money goes back is said once, in the cashier's language: the
    // cash line was read twice (the way, then cash's rule).
    let said = |app: &Driver, needle: &str| -> Vec<String> {
        let mut ui = simulator(app.view());
        snapshot_support::laid_out_text(&mut ui)
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    };
    let zh = said(&app, "錢櫃");
    assert_eq!(zh.len(), 1, "{zh:?}");
    assert!(!zh[0].contains("drawer"), "{zh:?}");
    app.update(Message::ToggleLanguage);
    let en = said(&app, "drawer");
    assert_eq!(en.len(), 1, "{en:?}");
    assert!(!en[0].contains("錢櫃"), "{en:?}");
    app.update(Message::ToggleLanguage);
    click(&mut app, "退貨");
    manager_confirms(&mut app);
    assert!(shows(&app, "請從錢櫃退還現金 NT$45"));
    // The result is worded when drawn: a language switch rewords it.
    app.update(Message::ToggleLanguage);
    assert!(shows(&app, "Give NT$45 cash back from the drawer"));
    assert!(!shows(&app, "請從錢櫃退還現金 NT$45"));
    app.update(Message::ToggleLanguage);
    let done = refunds(&app, &sale);
    assert_eq!((done.len(), done[0].gateway), (1, None));
    let slip = printed()
        .into_iter()
        .find(|r| r.contains("退款單"))
        .expect("the refund slip printed");
    assert!(
        slip.contains("drawer pulse: pin 2"),
        "the drawer opened: {slip}"
    );
    // The slip names the cash once (金流 Gateway 現金 Cash).
    let cash: Vec<&str> = slip.lines().filter(|l| l.contains("現金")).collect();
    assert_eq!(cash.len(), 1, "{slip}");
}

#[test]
fn the_refund_preview_names_the_way_back_in_the_cashiers_language() {
    let mut app = demo_app();
    let sale = jkopay_sale(&mut app, &["拿鐵 Latte"]);
    click(&mut app, "English");
    click(&mut app, "Refund (F7)");
    assert_eq!(app.screen_name(), "refund");
    wedge_scan(&mut app, &sale.receipt_code().to_string(), None);
    assert!(shows(&app, &sale.to_string()), "the sale is shown");
    assert!(
        shows_starting(&app, &format!("Money back via: JKoPay · {sale}P01")),
        "the gateway named in English"
    );
    assert!(
        !shows_starting(&app, "Money back via: 街口支付"),
        "no Chinese gateway name in English mode"
    );
}

/// The printer cannot even take the refund slip (its profile is unknown):
/// the result says so at once and why, instead of "printing…" for ever.
#[test]
fn a_refund_slip_the_printer_cannot_take_is_said_on_the_result() {
    let mut config = Config::demo();
    config.printer.profile = "no-such-printer".into();
    let terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    let mut app = Driver::new(&config, terminal, Catalogue::demo());
    gui_support::sign_in(&mut app);
    let sale = gui_support::cash_sale(&mut app, "貝果 Bagel");
    refund_screen_on(&mut app, &sale);
    click(&mut app, "退貨");
    manager_confirms(&mut app);
    assert_eq!(refunds(&app, &sale).len(), 1, "the refund itself was made");
    assert!(
        shows_starting(&app, "退款單未印出,已記錄待重印:"),
        "the result says the slip did not print"
    );
    assert!(!shows(&app, "退款單列印中…"), "and not that it is printing");
}
