//! The till's own cost as a cashier feels it: time from nothing to the first
//! rendered frame of the sign-in screen (CPU renderer, headless), and memory
//! after ringing up 1,000 cash sales through the real app state and journal.
//! Aims: first frame ≤ 1 s, ≤ 150 MB after 1,000 sales.
//!
//! `cargo bench --bench gui`

use std::time::Instant;

use iced_test::core::{Font, Settings};
use iced_test::simulator::Simulator;
use till::catalogue::Catalogue;
use till::config::Config;
use till::journal::Journal;
use till::money::Ntd;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::screen::{sale, sign_in, tender};
use till::ui::{App, FONT_BYTES, FONT_FAMILY, Message};

/// The tests' driver: runs the app's Tasks (print jobs) as iced does.
#[allow(dead_code)]
#[path = "../tests/gui_support/driver.rs"]
mod driver;

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1_048_576.0
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let config = Config::demo();
    let journal = Journal::open(dir.path().join("journal.sqlite3")).unwrap();
    let terminal = Terminal::with_journal(&config, journal, true).unwrap();
    let profile = till::print::Profile::builtin("generic-58-big5").unwrap();
    let paper = dir.path().join("paper");
    let p = profile.clone();
    let printer = till::device::printer::Printer::with_opener(profile, "virtual", move || {
        Ok(Box::new(
            till::device::printer::virtual_printer::VirtualPort::new(paper.clone(), p.clone()),
        ))
    });
    let mut app =
        driver::Driver::drive(App::new(&config, terminal, Catalogue::demo()).with_printer(printer));
    {
        let settings = Settings {
            fonts: vec![std::borrow::Cow::Borrowed(FONT_BYTES)],
            default_font: Font::with_name(FONT_FAMILY),
            ..Settings::default()
        };
        let mut ui = Simulator::with_size(settings, (1280.0, 800.0), app.view());
        let _frame = ui.snapshot(&till::ui::theme::theme()).unwrap();
    }
    let first_frame = started.elapsed();
    println!(
        "cold start to first frame (headless CPU renderer, journal opened, font loaded): {:.0} ms",
        first_frame.as_secs_f64() * 1000.0
    );
    println!("memory at first frame: {:.1} MB", rss_mb());

    let (name, _, pin) = DEMO_USERS[0];
    app.update(Message::SignIn(sign_in::Message::Pick(name.into())));
    for d in pin.chars() {
        app.update(Message::SignIn(sign_in::Message::Digit(d)));
    }
    app.update(Message::SignIn(sign_in::Message::Submit));
    let eans: Vec<String> = Catalogue::demo()
        .products()
        .iter()
        .map(|p| p.ean.clone())
        .collect();
    let sales = 1000;
    let t0 = Instant::now();
    let mut first_100 = std::time::Duration::ZERO;
    let mut t_last = Instant::now();
    for i in 0..sales {
        if i == 100 {
            first_100 = t0.elapsed();
        }
        if i == sales - 100 {
            t_last = Instant::now();
        }
        for k in 0..3 {
            let ean = eans[(i + k) % eans.len()].clone();
            app.update(Message::Sale(sale::Message::Add(ean)));
        }
        app.update(Message::Sale(sale::Message::Tender));
        app.update(Message::Checkout(
            till::ui::screen::checkout::Message::Tender(tender::Message::Quick(Ntd::new(1000))),
        ));
        app.update(Message::Checkout(
            till::ui::screen::checkout::Message::Tender(tender::Message::Confirm),
        ));
        // The receipt and proof are printed and journaled before the next customer.
        app.settle();
        app.update(Message::Checkout(
            till::ui::screen::checkout::Message::Done(till::ui::screen::done::Message::Next),
        ));
    }
    let last_100 = t_last.elapsed();
    let per_sale = t0.elapsed() / sales as u32;
    let today = app.terminal().unwrap().now().date_naive();
    let journaled = app
        .terminal()
        .unwrap()
        .journal()
        .sales_by_date(today, today, None, 2000)
        .unwrap()
        .items
        .len();
    assert_eq!(journaled, sales, "every sale was journaled");
    println!(
        "{sales} cash sales (journal, e-invoice, receipt and proof printed to the virtual printer): {:.1} ms per sale",
        per_sale.as_secs_f64() * 1000.0
    );
    println!(
        "first 100 sales {:.1} ms each, last 100 {:.1} ms each (must not grow with the journal)",
        first_100.as_secs_f64() * 10.0,
        last_100.as_secs_f64() * 10.0
    );
    println!("memory after {sales} sales: {:.1} MB", rss_mb());
}
