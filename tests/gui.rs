//! The cashier's screens driven headlessly (iced_test, CPU renderer).

use crate::gui_support;
use crate::gui_support::Driver;

use gui_support::{click, shows, tap_product, virtual_printer};
use std::time::{Duration, Instant};

use iced_test::simulator;
use till::catalogue::Catalogue;
use till::config::Config;
use till::device::scanner::wedge::Key;
use till::journal::Journal;
use till::money::Ntd;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::Message;
use till::ui::keys::KeyPress;

thread_local! {
    /// Where this test's virtual printer prints (each test runs on its own thread).
    static PAPER: tempfile::TempDir = tempfile::tempdir().unwrap();
}

fn paper_dir() -> std::path::PathBuf {
    PAPER.with(|d| d.path().to_path_buf())
}

/// A demo till on an in-memory journal, at the sign-in screen.
fn locked_app() -> Driver {
    let config = Config::demo();
    let terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    Driver::new(&config, terminal, Catalogue::demo()).with_printer(virtual_printer(&paper_dir()))
}

fn enter_pin(app: &mut Driver, name: &str, pin: &str) {
    click(app, name);
    for d in pin.chars() {
        let key = d.to_string();
        // The keypad's digit buttons.
        click(app, &key);
    }
    click(app, "登入 (Enter)");
}

/// A demo till with the demo cashier signed in.
fn demo_app() -> Driver {
    let mut app = locked_app();
    let (name, _, pin) = DEMO_USERS[0];
    enter_pin(&mut app, name, pin);
    assert_eq!(app.screen_name(), "sale");
    app
}

#[test]
fn a_cash_sale_from_tiles_to_change() {
    let mut app = demo_app();
    assert!(shows(
        &app,
        "示範模式:使用內建模擬金流與虛擬印表機,不會收取真實款項"
    ));
    tap_product(&mut app, "拿鐵 Latte");
    tap_product(&mut app, "拿鐵 Latte");
    tap_product(&mut app, "鳳梨酥 Pineapple cake");
    assert_eq!(app.cart().total(), Ntd::new(210));
    assert!(shows(&app, "NT$210"), "the running total is on screen");

    click(&mut app, "收款 (F2)");
    assert_eq!(app.screen_name(), "tender");
    click(&mut app, "NT$500");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(app.screen_name(), "done");
    assert!(shows(&app, "請找零 NT$290"));
    // The sale is in the journal, paid, under the cashier who rang it up.
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let page = journal.sales_by_date(today, today, None, 10).unwrap();
    assert_eq!(page.items.len(), 1);
    let sale = &page.items[0];
    assert_eq!(sale.total, Ntd::new(210));
    assert_eq!(sale.status, till::journal::SaleStatus::Paid);
    assert_eq!(sale.cashier, DEMO_USERS[0].0);
    assert!(
        shows(&app, &sale.sale_no.to_string()),
        "the sale number is on screen"
    );
    assert!(shows(&app, "收據已列印"));
    // The receipt came out of the (virtual) printer with the sale on it,
    // and the cash drawer was kicked.
    let report: String = std::fs::read_dir(paper_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(report.contains(&sale.sale_no.to_string()), "{report}");
    assert!(report.contains("拿鐵 Latte"), "{report}");
    assert!(report.contains("drawer pulse: pin 2"), "{report}");
    // …and so did the e-invoice proof, a test one in demo mode, whose left QR
    // names the number shown on screen.
    let left_qr = report
        .lines()
        .find_map(|l| l.strip_prefix("qr: ").or_else(|| l.strip_prefix("QR: ")))
        .map(str::to_string);
    assert!(report.contains("測試電子發票證明聯"), "{report}");
    let left_qr = left_qr.unwrap_or_else(|| panic!("no QR code in the print report:\n{report}"));
    let header = till::einvoice::qr::parse_left_qr(&left_qr).unwrap();
    assert!(
        shows(
            &app,
            &format!("電子發票 {} 證明聯已列印", header.number.dashed())
        ),
        "the screen names the invoice that printed"
    );
    assert!(
        report.contains(&format!("Code128: {}", sale.sale_no.receipt_code())),
        "the receipt code is printed for refunds: {report}"
    );
    // With change to give, Enter does not leave the screen (a second Enter
    // meant for the tender must not skip the change); the tap does.
    app.update(Message::Key(KeyPress {
        key: Key::Enter,
        captured: false,
        at: Instant::now(),
    }));
    assert_eq!(app.screen_name(), "done", "Enter did not skip the change");
    click(&mut app, "已找零,下一位");
    assert_eq!(app.screen_name(), "sale");
    assert!(app.cart().is_empty());
}

#[test]
fn removing_a_line_asks_first() {
    let mut app = demo_app();
    tap_product(&mut app, "貝果 Bagel");
    click(&mut app, "刪除");
    assert!(shows(&app, "確定刪除「貝果 Bagel」?"));
    click(&mut app, "保留");
    assert_eq!(app.cart().lines().len(), 1, "keeping leaves the line");
    click(&mut app, "刪除");
    click(&mut app, "確定刪除");
    assert!(app.cart().is_empty());
}

#[test]
fn language_switches_at_run_time() {
    let mut app = demo_app();
    assert!(shows(&app, "收款 (F2)"));
    click(&mut app, "English");
    assert!(shows(&app, "Pay (F2)"));
    assert!(shows(
        &app,
        "DEMO: built-in gateway simulators and a virtual printer; no real money moves"
    ));
    click(&mut app, "中文");
    assert!(shows(&app, "收款 (F2)"));
}

#[test]
fn a_wrong_pin_is_refused_and_the_right_one_signs_in() {
    let mut app = locked_app();
    assert_eq!(app.screen_name(), "sign_in");
    let (name, _, pin) = DEMO_USERS[0];
    enter_pin(&mut app, name, "9999");
    assert_eq!(app.screen_name(), "sign_in");
    assert!(shows(&app, "姓名或密碼不正確,請再試一次"));
    assert!(app.user().is_none());
    enter_pin(&mut app, name, pin);
    assert_eq!(app.screen_name(), "sale");
    assert_eq!(app.user().unwrap().name, name);
}

#[test]
fn the_till_locks_itself_when_idle_and_keeps_the_cart() {
    let mut app = demo_app();
    tap_product(&mut app, "貝果 Bagel");
    let later = std::time::Instant::now() + till::ui::app::IDLE_LOCK;
    app.update(Message::Tick(later));
    assert_eq!(app.screen_name(), "sign_in");
    assert!(app.user().is_none());
    assert!(shows(&app, "閒置過久,已自動鎖定。請重新登入。"));
    let (name, _, pin) = DEMO_USERS[1];
    enter_pin(&mut app, name, pin);
    assert_eq!(app.screen_name(), "sale");
    assert_eq!(
        app.cart().units(),
        1,
        "the cart waited for the next sign-in"
    );
}

#[test]
fn pay_is_disabled_on_an_empty_cart() {
    let mut app = demo_app();
    click(&mut app, "收款 (F2)");
    assert_eq!(app.screen_name(), "sale", "nothing to pay for");
}

/// A person types into the search box and presses Enter: the field takes
/// the characters (iced delivers them to the focused widget), and Enter
/// reaches the app through the wedge detector.
fn type_in_search(app: &mut Driver, text: &str) {
    let placeholder = "搜尋商品名稱或條碼…";
    let mut messages: Vec<Message> = Vec::new();
    {
        let mut ui = simulator(app.view());
        ui.click(placeholder).ok();
        ui.typewrite(text);
        messages.extend(ui.into_messages());
    }
    for m in messages {
        app.update(m);
    }
    let now = Instant::now();
    app.update(Message::Key(KeyPress {
        key: Key::Enter,
        captured: false,
        at: now,
    }));
    app.update(Message::KeyTick(now + Duration::from_secs(1)));
}

/// A keyboard-wedge scanner types `code` 4 ms a key, then Enter. When a text
/// field has focus it swallows each character, as iced does.
fn wedge_scan(app: &mut Driver, code: &str, field_focused: bool) {
    let t0 = Instant::now();
    if field_focused {
        let messages: Vec<Message> = {
            let mut ui = simulator(app.view());
            ui.click("搜尋商品名稱或條碼…").ok();
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
            captured: field_focused,
            at: t0 + Duration::from_millis(4 * i as u64),
        }));
    }
    app.update(Message::Key(KeyPress {
        key: Key::Enter,
        captured: false,
        at: t0 + Duration::from_millis(4 * code.len() as u64 + 4),
    }));
}

#[test]
fn a_scan_while_the_search_box_has_focus_adds_the_product_and_leaves_the_search_text() {
    let mut app = demo_app();
    // The cashier had started typing a search…
    let messages: Vec<Message> = {
        let mut ui = simulator(app.view());
        ui.click("搜尋商品名稱或條碼…").unwrap();
        ui.typewrite("tea");
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
    // …when a customer's item is scanned.
    wedge_scan(&mut app, "4710000000011", true);
    assert_eq!(app.cart().units(), 1, "the scan added its product");
    assert_eq!(app.cart().lines()[0].name, "美式咖啡 Americano");
    let mut ui = simulator(app.view());
    assert!(
        ui.find("tea").is_ok(),
        "the search box holds what was typed, not the scan"
    );
}

#[test]
fn a_scan_at_the_sign_in_screen_never_becomes_pin_digits() {
    let mut app = locked_app();
    let (name, _, pin) = DEMO_USERS[0];
    click(&mut app, name);
    wedge_scan(&mut app, "12345678", false);
    assert!(!shows(&app, "●"), "no PIN digits were entered");
    // Typed digits, a person's pace, do reach the PIN.
    let t0 = Instant::now();
    for (i, d) in pin.chars().enumerate() {
        app.update(Message::Key(KeyPress {
            key: Key::Char(d),
            captured: false,
            at: t0 + Duration::from_millis(150 * i as u64),
        }));
    }
    app.update(Message::KeyTick(t0 + Duration::from_secs(2)));
    assert!(shows(&app, "●●●●"));
    app.update(Message::Key(KeyPress {
        key: Key::Enter,
        captured: false,
        at: t0 + Duration::from_secs(3),
    }));
    assert_eq!(app.screen_name(), "sale");
}

#[test]
fn a_scanned_barcode_adds_its_product_and_a_bad_one_says_why() {
    let mut app = demo_app();
    let latte = Catalogue::demo().search("Latte")[0].clone();
    type_in_search(&mut app, &latte.ean);
    assert_eq!(app.cart().lines().len(), 1);
    assert_eq!(app.cart().lines()[0].name, latte.name);

    // One digit wrong: the check digit catches it and the cashier is told.
    let mut wrong = latte.ean.clone();
    wrong.replace_range(5..6, if &wrong[5..6] == "1" { "2" } else { "1" });
    type_in_search(&mut app, &wrong);
    assert_eq!(app.cart().units(), 1, "nothing was added");
    let why = till::barcode::classify(&wrong, till::barcode::ScanContext::Selling)
        .unwrap_err()
        .to_string();
    assert!(
        why.contains("檢查碼") || why.contains("check digit"),
        "{why}"
    );
    // In the cashier's language: the Chinese half of the reason.
    let zh = till::ui::i18n::one_language(&why, till::ui::i18n::Lang::ZhTw);
    assert!(zh.contains("檢查碼") && !zh.contains("check digit"), "{zh}");
    assert!(shows(&app, &zh), "the cashier sees why: {zh}");
}

#[test]
fn a_payment_code_scanned_while_selling_is_not_lost_as_a_product() {
    let mut app = demo_app();
    tap_product(&mut app, "美式咖啡 Americano");
    type_in_search(&mut app, "22J111111111111111");
    assert_eq!(app.cart().units(), 1);
    assert!(shows(&app, "這是街口支付付款碼,請先按「收款」再掃描"));
}

#[test]
fn a_manager_closes_the_day_and_a_cashier_cannot() {
    let mut app = demo_app();
    tap_product(&mut app, "貝果 Bagel");
    click(&mut app, "收款 (F2)");
    click(&mut app, "完成收款 (Enter)");
    click(&mut app, "下一位 (Enter)");

    click(&mut app, "日結 (F9)");
    assert_eq!(app.screen_name(), "close_day");
    assert!(shows(&app, "班別報表(下一張日結 Z #1)"));
    assert!(shows(&app, "NT$45"), "the shift's takings are shown");

    let (manager, _, pin) = DEMO_USERS[1];
    click(&mut app, manager);
    for d in "0000".chars() {
        click(&mut app, &d.to_string());
    }
    // A Z cannot be undone: the first press asks, the second closes.
    click(&mut app, "日結 Z 並列印");
    assert!(shows(
        &app,
        "日結後無法復原。確定要日結,請再按一次「日結 Z 並列印」。"
    ));
    assert_eq!(app.terminal().unwrap().x_report().unwrap().z_number, 1);
    click(&mut app, "日結 Z 並列印");
    assert!(shows(&app, "姓名或密碼不正確,請再試一次"));
    let x = app.terminal().unwrap().x_report().unwrap();
    assert_eq!((x.z_number, x.sales), (1, 1), "a wrong PIN closed nothing");

    // Digits from the keyboard this time (the figures also show a "1").
    for d in pin.chars() {
        app.update(Message::CloseDay(
            till::ui::screen::close_day::Message::Digit(d),
        ));
    }
    click(&mut app, "日結 Z 並列印");
    click(&mut app, "日結 Z 並列印");
    assert!(shows(&app, "已日結 Z #1 並列印"));
    let x = app.terminal().unwrap().x_report().unwrap();
    assert_eq!((x.z_number, x.sales), (2, 0), "the next shift starts empty");
}

#[test]
fn history_finds_a_sale_by_receipt_code_and_a_manager_reprints_it_marked() {
    let mut app = demo_app();
    let sale = gui_support::cash_sale(&mut app, "貝果 Bagel");

    click(&mut app, "查詢 (F6)");
    assert_eq!(app.screen_name(), "history");
    assert!(shows(&app, &sale.to_string()), "today's sale is listed");

    // The customer brings the receipt: its code is typed (or scanned) in.
    let code = sale.receipt_code().to_string();
    let messages: Vec<Message> = {
        let mut ui = simulator(app.view());
        ui.click("掃描收據,或輸入單號、發票號碼、金額、日期(11/21)、付款方式…")
            .unwrap();
        ui.typewrite(&code);
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
    click(&mut app, "查詢");
    assert!(shows(&app, "貝果 Bagel ×1"), "the sale's detail is shown");

    let (manager, _, pin) = DEMO_USERS[1];
    click(&mut app, manager);
    click(&mut app, "補印收據");
    assert!(
        shows(&app, "姓名或密碼不正確,請再試一次"),
        "no PIN, no reprint"
    );
    for d in pin.chars() {
        app.update(Message::History(till::ui::screen::history::Message::Digit(
            d,
        )));
    }
    click(&mut app, "補印收據");
    assert!(shows(&app, "已補印收據(已記錄)"));

    let reprints: Vec<String> = std::fs::read_dir(paper_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|r| r.contains("補印 REPRINT"))
        .collect();
    assert_eq!(reprints.len(), 1, "one reprint, marked 補印");
    assert!(reprints[0].contains(&sale.to_string()));
    assert!(
        !reprints[0].contains("drawer pulse: pin"),
        "a reprint never opens the drawer"
    );
}

/// The cashier presses Pay and the customer's code is scanned.
fn tender_and_scan(app: &mut Driver, code: &str) {
    click(app, "收款 (F2)");
    assert_eq!(app.screen_name(), "tender");
    wedge_scan(app, code, false);
}

#[test]
fn a_jkopay_code_pays_through_the_gateway_and_prints_the_receipt() {
    let mut app = demo_app();
    tap_product(&mut app, "拿鐵 Latte");
    tender_and_scan(&mut app, "22J111111111111111");
    assert_eq!(app.screen_name(), "paying");
    assert!(shows(&app, "等待街口支付付款碼回應…"), "the wait is said");
    assert!(
        (0..=15).any(|s| shows(&app, &format!("還有 {s} 秒,逾時自動取消"))
            || shows(&app, &format!("已 {s} 秒"))),
        "the wait is shown with its seconds"
    );
    // The simulator answered.
    app.settle();
    assert_eq!(app.screen_name(), "done");
    assert!(shows(&app, "收據已列印"));

    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let sale = &journal.sales_by_date(today, today, None, 10).unwrap().items[0];
    assert_eq!(sale.status, till::journal::SaleStatus::Paid);
    let detail = journal.sale_detail(&sale.sale_no).unwrap().unwrap();
    assert_eq!(detail.payments.len(), 1);
    assert_eq!(
        detail.payments[0].gateway,
        Some(till::sale::GatewayId::JkoPay)
    );
    assert_eq!(
        detail.payments[0].masked_code.as_deref(),
        Some("22J1************11")
    );
}

#[test]
fn a_declined_wallet_code_says_why_and_cash_then_settles_the_same_sale() {
    let mut app = demo_app();
    // NT$9,928: the JKoPay simulator's "insufficient balance" (928).
    app.update(Message::Sale(till::ui::screen::sale::Message::OpenAmount(
        "9928".into(),
    )));
    app.update(Message::Sale(
        till::ui::screen::sale::Message::AddOpenAmount,
    ));
    tender_and_scan(&mut app, "22J111111111111111");
    app.settle();
    assert_eq!(app.screen_name(), "tender", "back to take another payment");
    let mut ui = simulator(app.view());
    let notice = ui.find(iced_test::selector::id("tender-notice"));
    drop(ui);
    assert!(notice.is_ok(), "the decline is explained");

    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(app.screen_name(), "done");
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let sales = journal.sales_by_date(today, today, None, 10).unwrap().items;
    assert_eq!(
        sales.len(),
        1,
        "one sale: the decline did not leave a second one"
    );
    let detail = journal.sale_detail(&sales[0].sale_no).unwrap().unwrap();
    let states: Vec<_> = detail.payments.iter().map(|a| a.state).collect();
    assert_eq!(
        states,
        vec![
            till::journal::AttemptState::Declined,
            till::journal::AttemptState::Approved
        ]
    );
    assert_eq!(sales[0].status, till::journal::SaleStatus::Paid);
}

#[test]
fn a_mobile_carrier_scan_sends_the_invoice_to_the_carrier_and_prints_no_proof() {
    let mut app = demo_app();
    tap_product(&mut app, "拿鐵 Latte");
    // The customer shows a mobile barcode while items are rung up.
    wedge_scan(&mut app, "/ABC+123", false);
    assert_eq!(app.cart().units(), 1, "a carrier is not a product");
    assert_eq!(
        *app.buyer(),
        till::einvoice::buyer::BuyerChoice::Mobile("/ABC+123".parse().unwrap())
    );
    click(&mut app, "收款 (F2)");
    // A BAN on top of a mobile carrier is refused by the rules, with the reason.
    wedge_scan(&mut app, "04595252", false);
    assert!(matches!(
        app.buyer(),
        till::einvoice::buyer::BuyerChoice::Mobile(_)
    ));
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(app.screen_name(), "done");

    let reports: Vec<String> = std::fs::read_dir(paper_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(
        reports.len(),
        1,
        "the receipt only: a carrier invoice has no paper proof"
    );
    assert!(!reports[0].contains("電子發票證明聯"));
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let sale = &journal.sales_by_date(today, today, None, 1).unwrap().items[0];
    let detail = journal.sale_detail(&sale.sale_no).unwrap().unwrap();
    assert_eq!(detail.invoices.len(), 1, "the invoice was still issued");
}

#[test]
fn a_line_discount_is_typed_checked_and_kept_with_the_sale() {
    use till::ui::screen::sale::Message as S;
    let mut app = demo_app();
    tap_product(&mut app, "拿鐵 Latte");
    let price = app.cart().total();
    click(&mut app, "折扣");
    // More than the line is worth is refused, with the reason, and changes nothing.
    app.update(Message::Sale(S::DiscountInput("999".into())));
    click(&mut app, "套用");
    assert_eq!(app.cart().total(), price);
    let mut ui = simulator(app.view());
    assert!(
        ui.find(iced_test::selector::id("notice")).is_ok(),
        "the refusal is shown"
    );
    drop(ui);

    app.update(Message::Sale(S::DiscountInput("20".into())));
    click(&mut app, "套用");
    let expected = price.checked_sub(Ntd::new(20)).unwrap();
    assert_eq!(app.cart().total(), expected);
    assert!(shows(&app, "折扣 -NT$20"));

    click(&mut app, "收款 (F2)");
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let sale = &journal.sales_by_date(today, today, None, 1).unwrap().items[0];
    assert_eq!(sale.total, expected, "the discounted total was charged");
    let detail = journal.sale_detail(&sale.sale_no).unwrap().unwrap();
    assert_eq!(detail.lines[0].discount, Ntd::new(20));
}

#[test]
fn a_manager_opens_the_drawer_without_a_sale_and_it_is_on_record() {
    let mut app = demo_app();
    click(&mut app, "日結 (F9)");
    click(&mut app, "開錢櫃(不售)");
    assert!(
        shows(&app, "請選擇店長並輸入密碼"),
        "a manager must approve"
    );

    let (manager, _, pin) = DEMO_USERS[1];
    click(&mut app, manager);
    for d in "9999".chars() {
        app.update(Message::CloseDay(
            till::ui::screen::close_day::Message::Digit(d),
        ));
    }
    click(&mut app, "開錢櫃(不售)");
    assert!(shows(&app, "姓名或密碼不正確,請再試一次"));

    for d in pin.chars() {
        app.update(Message::CloseDay(
            till::ui::screen::close_day::Message::Digit(d),
        ));
    }
    click(&mut app, "開錢櫃(不售)");
    assert!(shows(&app, "錢櫃已開啟(已記錄)"));
    let pulses: Vec<String> = std::fs::read_dir(paper_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|r| r.contains("drawer pulse"))
        .collect();
    assert_eq!(pulses.len(), 1, "the drawer was pulsed once");
    let raw = app.terminal().unwrap().journal().raw_connection();
    let audited: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'drawer.no_sale' AND actor = ?1",
            [manager],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1, "the opening is audited under the manager");
}

#[test]
fn history_lists_sales_by_amount_by_day_and_by_how_they_were_paid() {
    use till::ui::screen::history::Message as H;
    let mut app = demo_app();
    for name in ["貝果 Bagel", "拿鐵 Latte"] {
        tap_product(&mut app, name);
        click(&mut app, "收款 (F2)");
        click(&mut app, "完成收款 (Enter)");
        click(&mut app, "下一位 (Enter)");
    }
    let today = till::taipei::now().date_naive();
    let sales = app
        .terminal()
        .unwrap()
        .journal()
        .sales_by_date(today, today, None, 10)
        .unwrap()
        .items;
    let bagel = sales.iter().find(|s| s.total == Ntd::new(45)).unwrap();
    let latte = sales.iter().find(|s| s.total == Ntd::new(85)).unwrap();
    click(&mut app, "查詢 (F6)");

    let search = |app: &mut Driver, q: &str| {
        app.update(Message::History(H::Query(q.into())));
        app.update(Message::History(H::Search));
    };
    search(&mut app, "NT$45");
    assert!(shows(&app, &bagel.sale_no.to_string()));
    assert!(!shows(&app, &latte.sale_no.to_string()), "only that amount");

    search(&mut app, &today.format("%m/%d").to_string());
    assert!(shows(&app, &bagel.sale_no.to_string()) && shows(&app, &latte.sale_no.to_string()));

    search(&mut app, "現金");
    assert!(shows(&app, &latte.sale_no.to_string()), "paid in cash");
    search(&mut app, "街口");
    assert!(shows(&app, "找不到這筆交易"), "no JKoPay sales: it says so");
    assert!(!shows(&app, &latte.sale_no.to_string()));
}

#[test]
fn history_names_the_way_of_paying_and_its_state_in_the_cashiers_language() {
    let mut app = demo_app();
    let sale = gui_support::cash_sale(&mut app, "貝果 Bagel");
    let paid = app
        .terminal()
        .unwrap()
        .journal()
        .sale_detail(&sale)
        .unwrap()
        .unwrap()
        .payments[0]
        .clone();

    click(&mut app, "查詢 (F6)");
    app.update(Message::History(till::ui::screen::history::Message::Query(
        sale.to_string(),
    )));
    click(&mut app, "查詢");
    let line =
        |how: &str, state: &str| format!("{}  {how}  {}  {state}", paid.trade_no, paid.amount);
    assert!(shows(&app, &line("現金", "成功")), "zh-TW: 現金 … 成功");

    app.update(Message::ToggleLanguage);
    assert!(
        shows(&app, &line("Cash", "Approved")),
        "English: the way of paying and its state in English, never the journal's key `cash` nor 成功"
    );
    assert!(!shows(&app, &line("cash", "成功")));
}
