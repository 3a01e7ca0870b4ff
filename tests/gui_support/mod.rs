//! Shared set-up for the `gui_*` tests: a demo till on an in-memory
//! journal printing to a virtual printer in a folder of the test's own,
//! and the cashier's gestures (click, type, scan) driven through iced_test.
#![allow(dead_code)]

mod driver;
pub use driver::Driver;

use std::time::{Duration, Instant};

use iced_test::simulator;
use till::catalogue::Catalogue;
use till::config::Config;
use till::device::printer::Printer;
use till::device::scanner::wedge::Key;
use till::journal::Journal;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::Message;
use till::ui::keys::KeyPress;

/// A virtual printer (generic 58 mm) writing its PNGs and reports into `dir`.
pub fn virtual_printer(dir: &std::path::Path) -> Printer {
    let profile = till::print::Profile::builtin("generic-58-big5").unwrap();
    let (dir, p) = (dir.to_path_buf(), profile.clone());
    Printer::with_opener(profile, "virtual", move || {
        Ok(Box::new(
            till::device::printer::virtual_printer::VirtualPort::new(dir.clone(), p.clone()),
        ))
    })
}

/// A till for `config` on `journal`, printing into `paper`, at the sign-in screen.
pub fn app_with(config: &Config, journal: Journal, paper: &std::path::Path) -> Driver {
    let terminal = Terminal::with_journal(config, journal, true).unwrap();
    Driver::new(config, terminal, Catalogue::demo()).with_printer(virtual_printer(paper))
}

/// The demo till on an in-memory journal, at the sign-in screen.
pub fn demo_app(paper: &std::path::Path) -> Driver {
    app_with(&Config::demo(), Journal::open_in_memory().unwrap(), paper)
}

/// Click the widget showing `label`, apply what it sent, and let the
/// printer answer for whatever the click printed.
pub fn click(app: &mut Driver, label: &str) {
    let messages: Vec<Message> = {
        let mut ui = simulator(app.view());
        ui.click(label)
            .unwrap_or_else(|e| panic!("no {label:?} on the {} screen: {e:?}", app.screen_name()));
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
    app.settle_prints();
}

/// Tap a product's tile by its name in the demo catalogue.
pub fn tap_product(app: &mut Driver, name: &str) {
    let ean = Catalogue::demo()
        .products()
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} is in the demo catalogue"))
        .ean
        .clone();
    let messages: Vec<Message> = {
        let mut ui = simulator(app.view());
        ui.click(till::ui::screen::sale::product_tile_id(&ean))
            .expect("the tile is on screen");
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
    app.settle_prints();
}

pub fn shows(app: &Driver, label: &str) -> bool {
    simulator(app.view()).find(label).is_ok()
}

/// The demo cashier signs in on the keypad.
pub fn sign_in(app: &mut Driver) {
    let (name, _, pin) = DEMO_USERS[0];
    click(app, name);
    for d in pin.chars() {
        click(app, &d.to_string());
    }
    click(app, "登入 (Enter)");
}

/// One `product` sold for the exact cash, back at the next customer: the
/// sale's number.
pub fn cash_sale(app: &mut Driver, product: &str) -> till::sale::SaleNo {
    tap_product(app, product);
    click(app, "收款 (F2)");
    click(app, "完成收款 (Enter)");
    click(app, "下一位 (Enter)");
    newest_sale(app)
}

/// Type `code` as a keyboard-wedge scanner does: fast keys, then Enter.
pub fn wedge_scan(app: &mut Driver, code: &str) {
    let mut at = Instant::now();
    for c in code.chars() {
        at += Duration::from_millis(4);
        app.update(Message::Key(KeyPress {
            key: Key::Char(c),
            captured: false,
            at,
        }));
    }
    at += Duration::from_millis(4);
    app.update(Message::Key(KeyPress {
        key: Key::Enter,
        captured: false,
        at,
    }));
    app.settle_prints();
}

/// An open-amount line of `amount`, then the tender screen.
pub fn ring_up(app: &mut Driver, amount: &str) {
    app.update(Message::Sale(till::ui::screen::sale::Message::OpenAmount(
        amount.into(),
    )));
    app.update(Message::Sale(
        till::ui::screen::sale::Message::AddOpenAmount,
    ));
    click(app, "收款 (F2)");
    assert_eq!(app.screen_name(), "tender");
}

/// NT$`amount` rung up and offered as a PayPage: the customer's QR code
/// shows and its first look at MyPay pauses.
pub fn open_paypage(app: &mut Driver, amount: &str) {
    ring_up(app, amount);
    click(app, "手機付款");
    click(app, "產生付款 QR Code");
    app.settle();
}

/// The virtual printer's report of every print-out, oldest first.
pub fn printed_texts(dir: &std::path::Path) -> Vec<String> {
    let mut reports: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    reports.sort();
    reports
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Today's newest sale in the till's journal: the one just rung up.
pub fn newest_sale(app: &Driver) -> till::sale::SaleNo {
    let today = app.terminal().unwrap().now().date_naive();
    app.terminal()
        .unwrap()
        .journal()
        .sales_by_date(today, today, None, 1)
        .unwrap()
        .items[0]
        .sale_no
        .clone()
}

/// Today's newest sale as the journal has it, with its lines and invoices.
pub fn newest_sale_detail(app: &Driver) -> till::journal::SaleDetail {
    let sale = newest_sale(app);
    let journal = app.terminal().unwrap().journal();
    journal.sale_detail(&sale).unwrap().unwrap()
}

/// The demo till's staff on simulators of the test's own, so the test can
/// read what the vendors received and hold (their books are the vendors'
/// word on what was charged). The journal (in `dir`) gets the demo staff
/// from a demo till first; the till then reopens it on the test's
/// simulators (a demo till would start simulators of its own).
pub fn on_own_simulators(
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    policy: till::terminal::payment::ResolvePolicy,
) -> (Driver, till::sim::SimHandles) {
    let sims = rt.block_on(till::sim::Simulators::start_all()).unwrap();
    let config = sims.demo_config();
    let path = dir.join("journal.sqlite3");
    drop(Terminal::with_journal(&config, Journal::open(&path).unwrap(), true).unwrap());
    let terminal = Terminal::with_journal(&config, Journal::open(&path).unwrap(), false).unwrap();
    let app = Driver::new(&config, terminal, Catalogue::demo())
        .with_printer(virtual_printer(dir))
        .with_resolve_policy(policy);
    (app, sims)
}
