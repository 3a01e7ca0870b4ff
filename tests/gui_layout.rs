//! Every screen laid out at the screens tills have (1024×768, 1366×768,
//! 1920×1080) in both languages: no text needs more than its box, nothing
//! lies outside the window or its parent, no two texts or buttons overlap
//! (tests/layout_support: measured with iced's own text layout), and every
//! button is at least 48 px each way for a finger.

use crate::gui_support;
use crate::gui_support::Driver;
use crate::layout_support;

use gui_support::{click, demo_app, ring_up, sign_in, tap_product, wedge_scan};
use layout_support::{Laid, assert_lays_out, lay_out};
use till::terminal::DEMO_USERS;
use till::ui::Message;

const SIZES: [(f32, f32); 3] = [(1024.0, 768.0), (1366.0, 768.0), (1920.0, 1080.0)];

/// A finger's width: the smallest button a cashier should be asked to tap.
const FINGER: f32 = 48.0;

/// Lays the app's current screen out at every size in both languages and
/// adds what is wrong to `problems`.
fn check(app: &mut Driver, what: &str, problems: &mut Vec<String>) {
    for lang in ["zh-TW", "en"] {
        for size in SIZES {
            let laid = lay_out(app.view(), size);
            let name = format!("{what} ({lang}) at {:.0}×{:.0}", size.0, size.1);
            for p in &laid.problems {
                problems.push(format!("{name}: {p}"));
            }
            for small in laid.small_targets(FINGER) {
                problems.push(format!("{name}: button {small}, under {FINGER} px"));
            }
        }
        app.update(Message::ToggleLanguage);
    }
}

/// Texts side by side on one line with less than this between the end of
/// the left one's words and the start of the right one read as one run
/// ("…exempt NT$0NT$1,234").
const APART: f32 = 8.0;

/// Like [`check`], and also: every two texts on one line (a label and its
/// amount) stay [`APART`] at every size in both languages. Measured from
/// the layout: the left text's words end at its box's left edge plus what
/// its paragraph needs, the right one starts at its box.
fn check_apart(app: &mut Driver, what: &str, problems: &mut Vec<String>) {
    check(app, what, problems);
    for lang in ["zh-TW", "en"] {
        for size in SIZES {
            let laid = lay_out(app.view(), size);
            for a in &laid.labels {
                let a_end = a.bounds.x + a.needs.width;
                for b in &laid.labels {
                    let same_line = a.bounds.y < b.bounds.y + b.bounds.height
                        && b.bounds.y < a.bounds.y + a.bounds.height;
                    if !same_line || b.bounds.x < a.bounds.x + a.bounds.width / 2.0 {
                        continue;
                    }
                    let gap = b.bounds.x - a_end;
                    if gap < APART && b.bounds.x >= a.bounds.x {
                        problems.push(format!(
                            "{what} ({lang}) at {:.0}×{:.0}: {:?} ends {gap:.0} px before {:?}",
                            size.0, size.1, a.content, b.content
                        ));
                    }
                }
            }
        }
        app.update(Message::ToggleLanguage);
    }
}

fn report(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The check itself fails on what it is for: a label too long for its
/// fixed-width button (iced lets the text spill out of its box), a row
/// wider than its window, and a button too small for a finger.
#[test]
fn the_check_catches_a_label_too_long_for_its_box() {
    use iced::widget::{button, column, row, text};
    let long = "這是一個故意寫得太長的按鈕標籤 A deliberately too-long label";
    let view: iced::Element<'_, ()> = column![
        button(text(long).size(20)).width(120).height(56),
        row![text("左邊 Left").size(20), text("右邊 Right side").size(20)].spacing(8),
    ]
    .into();
    let laid = lay_out(view, (1024.0, 768.0));
    let problem = laid
        .problems
        .iter()
        .find(|p| p.contains(long))
        .unwrap_or_else(|| panic!("the long label passed: {:?}", laid.problems));
    assert!(
        problem.contains("needs") && problem.contains("its box is"),
        "{problem}"
    );
    assert_eq!(laid.problems.len(), 1, "{:?}", laid.problems);

    // The same label fits a button wide enough for it.
    let fits: iced::Element<'_, ()> = button(text(long).size(20)).into();
    assert_lays_out(&lay_out(fits, (1024.0, 768.0)), "a wide button");

    // Texts that cannot all fit a narrow window: named, with sizes.
    let wide: iced::Element<'_, ()> = row![
        text("第一 First").size(20),
        text("一二三四五六七八九十 never wraps")
            .size(40)
            .wrapping(iced::widget::text::Wrapping::None),
    ]
    .into();
    let laid = lay_out(wide, (500.0, 400.0));
    assert!(
        laid.problems
            .iter()
            .any(|p| p.contains("never wraps") && p.contains("needs")),
        "a row wider than the window passed: {:?}",
        laid.problems
    );

    let small: iced::Element<'_, ()> = button(text("+")).width(40).height(40).on_press(()).into();
    let laid = lay_out(small, (1024.0, 768.0));
    assert_eq!(
        laid.small_targets(FINGER),
        vec!["\"+\" is 40×40".to_string()]
    );
}

/// The sale screen squeezed into 640×480 fails (the old selector check
/// passed it): the check sees text spilling out of squeezed boxes.
#[test]
fn the_sale_screen_does_not_fit_640_by_480() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    tap_product(&mut app, "貝果 Bagel");
    let laid: Laid = lay_out(app.view(), (640.0, 480.0));
    assert!(
        laid.problems.iter().any(|p| p.contains("needs")),
        "the sale screen passed at 640×480: {:?}",
        laid.problems
    );
}

#[test]
fn the_counter_screens_lay_out_at_every_size_in_both_languages() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    let mut problems = Vec::new();
    check(&mut app, "sign-in", &mut problems);

    sign_in(&mut app);
    check(&mut app, "empty sale", &mut problems);
    tap_product(&mut app, "貝果 Bagel");
    tap_product(&mut app, "貝果 Bagel");
    tap_product(&mut app, "拿鐵 Latte");
    check(&mut app, "sale", &mut problems);

    click(&mut app, "收款 (F2)");
    check(&mut app, "tender", &mut problems);
    click(&mut app, "NT$500");
    check(&mut app, "tender with cash", &mut problems);
    // A mobile carrier chosen, then a BAN on top refused with its reason.
    wedge_scan(&mut app, "/ABC+123");
    wedge_scan(&mut app, "04595252");
    check(
        &mut app,
        "tender, a carrier and a refused BAN",
        &mut problems,
    );
    click(&mut app, "完成收款 (Enter)");
    check(&mut app, "done", &mut problems);
    click(&mut app, "已找零,下一位");

    // A wallet: waiting for it, then declined (NT$9,928: the JKoPay
    // simulator's "insufficient balance").
    ring_up(&mut app, "9928");
    wedge_scan(&mut app, "22J111111111111111");
    check(&mut app, "wallet waiting", &mut problems);
    app.settle();
    check(&mut app, "tender after a declined wallet", &mut problems);
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    click(&mut app, "下一位 (Enter)");

    ring_up(&mut app, "420");
    click(&mut app, "手機付款");
    check(&mut app, "tender, phone payment", &mut problems);
    click(&mut app, "產生付款 QR Code");
    app.settle();
    assert_eq!(app.screen_name(), "paypage");
    check(&mut app, "PayPage", &mut problems);
    click(&mut app, "取消手機付款 (Esc)");
    app.settle();
    check(&mut app, "tender after a cancelled PayPage", &mut problems);

    report(&problems);
}

#[test]
fn the_back_office_screens_lay_out_at_every_size_in_both_languages() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    tap_product(&mut app, "貝果 Bagel");
    tap_product(&mut app, "拿鐵 Latte");
    click(&mut app, "收款 (F2)");
    click(&mut app, "完成收款 (Enter)");
    click(&mut app, "下一位 (Enter)");
    let mut problems = Vec::new();

    click(&mut app, "查詢 (F6)");
    check(&mut app, "history", &mut problems);
    let sale = gui_support::newest_sale(&app);
    click(&mut app, &sale.to_string());
    check(&mut app, "history, a sale", &mut problems);
    click(&mut app, "返回 (Esc)");

    click(&mut app, "日結 (F9)");
    check_apart(&mut app, "close-day", &mut problems);
    click(&mut app, "返回 (Esc)");

    click(&mut app, "退款 (F7)");
    check(&mut app, "refund", &mut problems);
    wedge_scan(&mut app, &sale.receipt_code().to_string());
    check(&mut app, "refund, a sale", &mut problems);
    app.update(Message::Shortcut(till::ui::app::Shortcut::Escape));

    click(&mut app, "登出");
    let (name, _, pin) = DEMO_USERS[1];
    click(&mut app, name);
    for d in pin.chars() {
        click(&mut app, &d.to_string());
    }
    click(&mut app, "登入 (Enter)");
    click(&mut app, "設定 (F10)");
    assert_eq!(app.screen_name(), "settings");
    for tab in [
        "商店與終端機",
        "金流",
        "印表機",
        "掃描器",
        "電子發票",
        "人員與密碼",
        "語言",
    ] {
        click(&mut app, tab);
        check(&mut app, &format!("settings, {tab}"), &mut problems);
    }
    report(&problems);
}

/// The keys' hint in the status bar is there to be read at 1366×768 in both
/// languages: the English one was wider than the room beside the printer
/// and gateway texts, so it was left out.
#[test]
fn the_key_hint_is_shown_at_1366x768_in_both_languages() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = demo_app(paper.path());
    sign_in(&mut app);
    for start in ["F2 收款", "F2 Pay"] {
        let laid = lay_out(app.view(), (1366.0, 768.0));
        let hint = laid.labels.iter().find(|l| l.content.starts_with(start));
        assert!(
            hint.is_some_and(|h| h.bounds.x + h.bounds.width <= 1366.0),
            "the key hint starting {start:?} is shown whole; labels: {:?}",
            laid.labels.iter().map(|l| &l.content).collect::<Vec<_>>()
        );
        app.update(Message::ToggleLanguage);
    }
}
