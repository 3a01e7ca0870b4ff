//! Pictures of the main screens, rendered headlessly with the bundled font
//! by the CPU renderer and compared with the committed PNGs in
//! `tests/snapshots/` block by block (see tests/snapshot_support). After an intended change, delete the PNG and run
//! the test once to record the new picture, then look at it before committing.

use crate::gui_support::Driver;
use crate::snapshot_support;

use chrono::TimeZone;
use iced_test::core::{Font, Settings};
use iced_test::simulator::Simulator;
use till::catalogue::Catalogue;
use till::config::Config;
use till::journal::Journal;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::{FONT_BYTES, FONT_FAMILY, Message};

const SIZE: (f32, f32) = (1280.0, 800.0);

fn settings() -> Settings {
    Settings {
        fonts: vec![std::borrow::Cow::Borrowed(FONT_BYTES)],
        default_font: Font::with_name(FONT_FAMILY),
        ..Settings::default()
    }
}

fn app(paper: &std::path::Path) -> Driver {
    app_with(paper, Catalogue::demo())
}

fn app_with(paper: &std::path::Path, catalogue: Catalogue) -> Driver {
    let config = Config::demo();
    let mut terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    // A fixed afternoon, so sale numbers in the pictures never change.
    terminal.set_clock(|| {
        till::taipei::offset()
            .with_ymd_and_hms(2026, 11, 22, 14, 30, 0)
            .unwrap()
    });
    // The same random code every run: the proof is in the result screen's preview.
    terminal.set_random_codes(|| 4321);
    let profile = till::print::Profile::builtin("generic-58-big5").unwrap();
    let paper = paper.to_path_buf();
    let p = profile.clone();
    let printer = till::device::printer::Printer::with_opener(profile, "virtual", move || {
        Ok(Box::new(
            till::device::printer::virtual_printer::VirtualPort::new(paper.clone(), p.clone()),
        ))
    });
    Driver::new(&config, terminal, catalogue).with_printer(printer)
}

fn click(app: &mut Driver, label: &str) {
    let messages: Vec<Message> = {
        let mut ui = Simulator::with_size(settings(), SIZE, app.view());
        ui.click(label)
            .unwrap_or_else(|e| panic!("no {label:?}: {e:?}"));
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
    // Whatever the click sent to the printer has printed.
    app.settle_prints();
}

fn tap_product(app: &mut Driver, ean: &str) {
    let messages: Vec<Message> = {
        let mut ui = Simulator::with_size(settings(), SIZE, app.view());
        ui.click(till::ui::screen::sale::product_tile_id(ean))
            .unwrap();
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
    // Whatever the click sent to the printer has printed.
    app.settle_prints();
}

fn assert_snapshot(app: &Driver, name: &str) {
    let mut ui = Simulator::with_size(settings(), SIZE, app.view());
    snapshot_support::assert_screen_as_recorded(&mut ui, name);
}

fn snapshot(app: &Driver) -> iced_test::simulator::Snapshot {
    let mut ui = Simulator::with_size(settings(), SIZE, app.view());
    ui.snapshot(&till::ui::theme::theme()).unwrap()
}

/// The demo cashier signs in on the keypad.
fn sign_in(app: &mut Driver) {
    let (name, _, pin) = DEMO_USERS[0];
    click(app, name);
    for d in pin.chars() {
        click(app, &d.to_string());
    }
    click(app, "登入 (Enter)");
}

#[test]
fn main_screens_look_as_recorded() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = app(paper.path());
    assert_snapshot(&app, "sign-in");

    sign_in(&mut app);
    tap_product(&mut app, "4710000000028");
    tap_product(&mut app, "4710000000028");
    tap_product(&mut app, "4710000000066");
    assert_snapshot(&app, "sale");

    click(&mut app, "收款 (F2)");
    click(&mut app, "NT$500");
    assert_snapshot(&app, "tender");

    click(&mut app, "完成收款 (Enter)");
    assert_snapshot(&app, "done");

    click(&mut app, "已找零,下一位");
    click(&mut app, "查詢 (F6)");
    click(&mut app, "D0126112200001");
    assert_snapshot(&app, "history");
    click(&mut app, "返回 (Esc)");
    click(&mut app, "日結 (F9)");
    assert_snapshot(&app, "close-day");
    click(&mut app, "返回 (Esc)");
    click(&mut app, "English");
    assert_snapshot(&app, "sale-english");
}

/// The comparison's tolerance absorbs rendering noise, not changes: the
/// sale screen with one latte fewer (a quantity, a line total and the sale
/// total differ) is told apart from the recorded one.
#[test]
fn a_screen_with_one_item_fewer_does_not_pass_for_the_recorded_one() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = app(paper.path());
    sign_in(&mut app);
    tap_product(&mut app, "4710000000028");
    tap_product(&mut app, "4710000000066");
    let (now, _) = snapshot_support::picture(&snapshot(&app), "sale-one-fewer");
    let recorded = image::open(snapshot_support::recorded_path("sale"))
        .unwrap()
        .to_rgba8();
    let d = snapshot_support::block_difference(&now, &recorded).unwrap();
    println!(
        "one latte fewer: worst block differs by {:.1}/255 at {:?}",
        d.worst, d.at
    );
    assert!(
        d.worst > snapshot_support::TOLERANCE,
        "a changed quantity and total passed for the recorded sale screen: {d:?}"
    );
}

/// One digit is enough: the recorded sale screen, but with the bagel's tile
/// price NT$45 shown as NT$46 (nothing else differs), does not pass. The
/// block comparison alone lets it through (its figure is printed); the
/// laid-out text names the line.
#[test]
fn a_single_changed_digit_does_not_pass_for_the_recorded_screen() {
    let bagel = "name = \"貝果 Bagel\"\nprice = 45\n";
    assert!(
        till::catalogue::DEMO.contains(bagel),
        "the demo bagel costs NT$45"
    );
    let changed = till::catalogue::DEMO.replace(bagel, "name = \"貝果 Bagel\"\nprice = 46\n");
    let paper = tempfile::tempdir().unwrap();
    let mut app = app_with(paper.path(), Catalogue::parse(&changed).unwrap());
    sign_in(&mut app);
    tap_product(&mut app, "4710000000028");
    tap_product(&mut app, "4710000000028");
    tap_product(&mut app, "4710000000066");

    let mut ui = Simulator::with_size(settings(), SIZE, app.view());
    let text = snapshot_support::laid_out_text(&mut ui);
    let recorded = std::fs::read_to_string(snapshot_support::recorded_text_path("sale")).unwrap();
    let (was, is) = snapshot_support::text_difference(&text, &recorded)
        .expect("a changed price passed for the recorded sale screen");
    assert!(
        was.ends_with("\tNT$45") && is.ends_with("\tNT$46"),
        "{was} / {is}"
    );
    let only_one = text
        .lines()
        .zip(recorded.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(only_one, 1, "nothing but the one price differs");
    // And the check every screen test uses fails on it, naming the price.
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        snapshot_support::assert_screen_as_recorded(&mut ui, "sale")
    }))
    .expect_err("the sale screen with one digit changed passed");
    let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("NT$46"), "{message}");

    let (now, _) = snapshot_support::picture(
        &ui.snapshot(&till::ui::theme::theme()).unwrap(),
        "sale-one-digit",
    );
    let pixels = image::open(snapshot_support::recorded_path("sale"))
        .unwrap()
        .to_rgba8();
    let d = snapshot_support::block_difference(&now, &pixels).unwrap();
    println!(
        "one digit changed: worst block differs by {:.1}/255 at {:?} (tolerance {})",
        d.worst,
        d.at,
        snapshot_support::TOLERANCE
    );
}
