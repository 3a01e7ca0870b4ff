//! The customer-facing window: it follows the cashier's screen (welcome,
//! the basket as it is rung up, the amount due, paid with change) and shows
//! a PayPage QR code a phone can actually scan.

use crate::gui_support::Driver;
use iced_test::core::{Font, Settings};
use iced_test::simulator::Simulator;
use till::catalogue::Catalogue;
use till::config::Config;
use till::journal::Journal;
use till::money::Ntd;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::customer::{self, CustomerDisplay, QrCache};
use till::ui::{FONT_BYTES, FONT_FAMILY, Message};

fn settings() -> Settings {
    Settings {
        fonts: vec![std::borrow::Cow::Borrowed(FONT_BYTES)],
        default_font: Font::with_name(FONT_FAMILY),
        ..Settings::default()
    }
}

fn click(app: &mut Driver, label: &str) {
    let messages: Vec<Message> = {
        let mut ui = Simulator::with_size(settings(), (1280.0, 800.0), app.view());
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

/// Render the customer window and return it as an image.
fn render(display: CustomerDisplay, qr: &QrCache) -> image::RgbaImage {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customer");
    let mut ui = Simulator::with_size(
        settings(),
        (800.0, 600.0),
        customer::view::<()>(display, qr),
    );
    let snapshot = ui.snapshot(&till::ui::theme::theme()).unwrap();
    // Comparing with a picture that does not exist yet writes it: that is
    // how iced_test hands out the rendered window (not a check).
    snapshot.matches_image(&path).unwrap();
    let png = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    image::open(png).unwrap().to_rgba8()
}

#[test]
fn the_customer_window_follows_the_sale_from_welcome_to_change() {
    let config = Config::demo();
    let terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    let paper = tempfile::tempdir().unwrap();
    let profile = till::print::Profile::builtin("generic-58-big5").unwrap();
    let (dir, p) = (paper.path().to_path_buf(), profile.clone());
    let printer = till::device::printer::Printer::with_opener(profile, "virtual", move || {
        Ok(Box::new(
            till::device::printer::virtual_printer::VirtualPort::new(dir.clone(), p.clone()),
        ))
    });
    let mut app = Driver::new(&config, terminal, Catalogue::demo()).with_printer(printer);
    assert!(matches!(
        app.customer_display(),
        CustomerDisplay::Welcome { .. }
    ));

    let (name, _, pin) = DEMO_USERS[0];
    click(&mut app, name);
    for d in pin.chars() {
        click(&mut app, &d.to_string());
    }
    click(&mut app, "登入 (Enter)");
    app.update(Message::Sale(till::ui::screen::sale::Message::OpenAmount(
        "185".into(),
    )));
    app.update(Message::Sale(
        till::ui::screen::sale::Message::AddOpenAmount,
    ));
    match app.customer_display() {
        CustomerDisplay::Basket { lines, total } => {
            assert_eq!(lines.len(), 1);
            assert_eq!(lines[0].2, Ntd::new(185));
            assert_eq!(total, Ntd::new(185));
        }
        other => panic!("the basket, not {other:?}"),
    }
    click(&mut app, "收款 (F2)");
    assert_eq!(
        app.customer_display(),
        CustomerDisplay::Due {
            total: Ntd::new(185)
        }
    );
    click(&mut app, "NT$500");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(
        app.customer_display(),
        CustomerDisplay::Paid {
            total: Ntd::new(185),
            change: Ntd::new(315)
        }
    );
}

#[test]
fn the_paypage_qr_code_on_the_customer_window_scans_back_to_its_url() {
    let url = "http://127.0.0.1:18080/paypage/D0126112200001P01?token=abc123";
    let mut qr = QrCache::new();
    qr.set(url);
    let picture = render(
        CustomerDisplay::PayPage {
            total: Ntd::new(420),
            url: url.into(),
        },
        &qr,
    );
    let gray = image::DynamicImage::ImageRgba8(picture).to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the window");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, url);
}
