//! The smaller things a cashier sees (#13 item 9): the receipt's cash
//! lines, the e-invoice chooser, the wallet-waiting screen, the PayPage in
//! English.

use crate::gui_support;
use crate::gui_support::Driver;
use crate::snapshot_support;

use std::time::{Duration, Instant};

use gui_support::{click, demo_app, printed_texts, ring_up, sign_in, tap_product};
use iced_test::simulator;
use till::device::scanner::wedge::Key;
use till::ui::Message;
use till::ui::keys::KeyPress;
use till::ui::screen::checkout;

/// The screen's laid-out text, one text a line.
fn screen_text(app: &Driver) -> String {
    let mut ui = simulator(app.view());
    snapshot_support::laid_out_text(&mut ui)
}

fn has_chinese(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c as u32, 0x3000..=0x303F | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF))
}

/// A JKoPay code as a scanner types it, without waiting for the answer.
fn scan_without_waiting(app: &mut Driver, code: &str) {
    let mut at = Instant::now();
    for c in code.chars().map(Key::Char).chain([Key::Enter]) {
        at += Duration::from_millis(4);
        app.update(Message::Key(KeyPress {
            key: c,
            captured: false,
            at,
        }));
    }
}

#[test]
fn a_cash_receipt_shows_the_cash_received_and_the_change() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    tap_product(&mut app, "貝果 Bagel");
    click(&mut app, "收款 (F2)");
    click(&mut app, "NT$500");
    click(&mut app, "完成收款 (Enter)");
    let receipt = printed_texts(paper.path())
        .into_iter()
        .find(|r| r.contains("合計 Total"))
        .expect("a receipt printed");
    let line = |label: &str| {
        receipt
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line on\n{receipt}"))
            .to_string()
    };
    assert!(line("合計 Total").ends_with("NT$45"), "{receipt}");
    assert!(line("收現 Cash received").ends_with("NT$500"), "{receipt}");
    assert!(line("找零 Change").ends_with("NT$455"), "{receipt}");
}

#[test]
fn print_the_proof_instead_is_offered_only_when_something_else_is_chosen() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    ring_up(&mut app, "100");
    let text = screen_text(&app);
    assert!(text.contains("電子發票: 列印電子發票證明聯"), "{text}");
    assert!(!text.contains("改為列印證明聯"), "{text}");
    app.update(Message::Checkout(checkout::Message::BuyerInput(
        "/ABC1234".into(),
    )));
    app.update(Message::Checkout(checkout::Message::BuyerApply));
    let text = screen_text(&app);
    assert!(text.contains("/ABC1234"), "{text}");
    assert!(text.contains("改為列印證明聯"), "{text}");
    click(&mut app, "改為列印證明聯");
    assert!(!screen_text(&app).contains("改為列印證明聯"));
}

#[test]
fn the_wallet_wait_is_said_once_with_the_seconds_left() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    ring_up(&mut app, "100");
    scan_without_waiting(&mut app, "22J111111111111111");
    assert_eq!(app.screen_name(), "paying");
    let text = screen_text(&app);
    let waiting: Vec<&str> = text.lines().filter(|l| l.contains("等待")).collect();
    assert_eq!(waiting.len(), 1, "{text}");
    // Seconds are on the screen: left before the till cancels, once
    // JKoPay is being waited for (see tender::tests), so far before that.
    assert!(
        text.lines()
            .any(|l| l.contains("還有") || l.contains("已 ")),
        "{text}"
    );
    app.settle();
}

#[test]
fn the_paypage_speaks_english_in_english_and_shows_taipei_time() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    gui_support::open_paypage(&mut app, "420");
    assert_eq!(app.screen_name(), "paypage");
    // Not paid yet: MyPay's word is shown.
    app.look_now();
    app.update(Message::ToggleLanguage);
    let text = screen_text(&app);
    let by = text
        .lines()
        .find_map(|l| l.split('\t').nth(1).filter(|t| t.starts_with("Pay by ")))
        .unwrap_or_else(|| panic!("no deadline on\n{text}"));
    // "Pay by 2026-12-06 14:05": the date and the minute, nothing else.
    let at = by.trim_start_matches("Pay by ");
    assert_eq!(at.len(), 16, "{by}");
    assert!(!at.contains('T') && !at.contains('+'), "{by}");
    // The PayPage's own texts (the panel, not the store's bilingual name
    // in the header nor the status bar) are English.
    let panel: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .skip_while(|t| !t.starts_with("Ask the customer"))
        .take_while(|t| !t.starts_with("Cancel pay on phone"))
        .collect();
    assert!(panel.len() >= 5, "{text}");
    for t in panel {
        assert!(!has_chinese(t), "Chinese in English mode: {t}");
    }
}

/// After a full refund voided the sale's invoice, its proof is not offered
/// for 補印, and asked for anyway the refusal is said once, in one language.
#[test]
fn a_voided_invoices_proof_is_not_offered_for_reprint() {
    use till::ui::screen::history::Message as H;
    use till::ui::screen::refund::Message as R;
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    let sale = gui_support::cash_sale(&mut app, "貝果 Bagel");

    // The whole sale back, the same day: the invoice is voided.
    click(&mut app, "退款 (F7)");
    gui_support::wedge_scan(&mut app, &sale.receipt_code().to_string());
    click(&mut app, "退貨");
    let (manager, _, pin) = till::terminal::DEMO_USERS[1];
    click(&mut app, manager);
    for d in pin.chars() {
        app.update(Message::Refund(R::Digit(d)));
    }
    click(&mut app, "確認退款");
    app.settle();
    let invoices = app
        .terminal()
        .unwrap()
        .journal()
        .sale_detail(&sale)
        .unwrap()
        .unwrap()
        .invoices;
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].status, till::journal::InvoiceStatus::Voided);
    app.update(Message::Shortcut(till::ui::app::Shortcut::Escape));

    click(&mut app, "查詢 (F6)");
    click(&mut app, &sale.to_string());
    // The button is there but cannot be pressed.
    let pressed: Vec<Message> = {
        let mut ui = simulator(app.view());
        ui.click("補印證明聯").expect("the button is shown");
        ui.into_messages().collect()
    };
    assert!(
        pressed.is_empty(),
        "補印 was offered for a voided proof: {pressed:?}"
    );

    // Asked for anyway (a manager approving): refused, once, in Chinese.
    app.update(Message::History(H::PickManager(manager.to_string())));
    for d in pin.chars() {
        app.update(Message::History(H::Digit(d)));
    }
    app.update(Message::History(H::ReprintProof));
    app.settle_prints();
    let text = screen_text(&app);
    let refusal: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .filter(|t| t.contains("證明聯") && *t != "補印證明聯")
        .collect();
    assert_eq!(refusal.len(), 1, "{text}");
    assert!(
        !refusal[0].chars().any(|c| c.is_ascii_alphabetic()),
        "one language: {}",
        refusal[0]
    );
}
