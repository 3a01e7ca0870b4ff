//! Printing never freezes the screen: the job is journaled, its bytes go
//! to the printer's own thread, and the result screen fills in when the
//! printer answers, even from a printer that takes its time or is gone.

use crate::gui_support::Driver;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iced_test::simulator;
use till::catalogue::Catalogue;
use till::config::Config;
use till::device::printer::{Printer, PrinterError, PrinterPort};
use till::journal::Journal;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::Message;

/// A printer that holds every job until the test lets it go.
struct HeldPort {
    gate: Arc<Mutex<mpsc::Receiver<Result<(), PrinterError>>>>,
}

impl PrinterPort for HeldPort {
    fn write_all(&mut self, _bytes: &[u8], _timeout: Duration) -> Result<(), PrinterError> {
        self.gate
            .lock()
            .unwrap()
            .recv()
            .unwrap_or(Err(PrinterError::Offline))
    }
    fn read(&mut self, _buf: &mut [u8], _timeout: Duration) -> Result<usize, PrinterError> {
        Ok(0)
    }
    fn can_answer(&self) -> bool {
        false
    }
}

fn held_app() -> (Driver, mpsc::Sender<Result<(), PrinterError>>) {
    let (release, gate) = mpsc::channel();
    let gate = Arc::new(Mutex::new(gate));
    let profile = till::print::Profile::builtin("generic-58-big5").unwrap();
    let printer = Printer::with_opener(profile, "held", move || {
        Ok(Box::new(HeldPort { gate: gate.clone() }))
    });
    let config = Config::demo();
    let terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    let app = Driver::new(&config, terminal, Catalogue::demo()).with_printer(printer);
    (app, release)
}

/// Click without waiting for the printer (unlike the other GUI tests).
fn click(app: &mut Driver, label: &str) {
    let messages: Vec<Message> = {
        let mut ui = simulator(app.view());
        ui.click(label)
            .unwrap_or_else(|e| panic!("no {label:?} on the {} screen: {e:?}", app.screen_name()));
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
}

fn shows(app: &Driver, label: &str) -> bool {
    simulator(app.view()).find(label).is_ok()
}

fn cash_sale(app: &mut Driver) {
    let (name, _, pin) = DEMO_USERS[0];
    click(app, name);
    for d in pin.chars() {
        click(app, &d.to_string());
    }
    click(app, "登入 (Enter)");
    app.update(Message::Sale(till::ui::screen::sale::Message::OpenAmount(
        "120".into(),
    )));
    app.update(Message::Sale(
        till::ui::screen::sale::Message::AddOpenAmount,
    ));
    click(app, "收款 (F2)");
    click(app, "剛好");
    click(app, "完成收款 (Enter)");
}

#[test]
fn the_result_shows_at_once_while_the_printer_is_still_printing() {
    let (mut app, release) = held_app();
    cash_sale(&mut app);
    // The printer holds the receipt, yet the screen has moved on.
    assert_eq!(app.screen_name(), "done");
    assert!(shows(&app, "收款完成"));
    assert!(shows(&app, "收據列印中…"));
    let journal = app.terminal().unwrap().journal();
    let jobs = journal.pending_print_jobs().unwrap();
    assert!(
        !jobs.is_empty(),
        "the job is in the journal before the printer answered"
    );

    // Receipt, then the e-invoice proof.
    release.send(Ok(())).unwrap();
    release.send(Ok(())).unwrap();
    app.settle_prints();
    assert!(shows(&app, "收據已列印"));
    assert!(
        app.terminal()
            .unwrap()
            .journal()
            .pending_print_jobs()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_printer_that_fails_later_is_reported_and_the_job_waits_in_the_journal() {
    let (mut app, release) = held_app();
    cash_sale(&mut app);
    release.send(Err(PrinterError::Offline)).unwrap();
    release.send(Err(PrinterError::Offline)).unwrap();
    app.settle_prints();
    // In the cashier's language: the Chinese half of the printer's word.
    assert!(shows(
        &app,
        &till::ui::i18n::one_language(
            &format!("收據未印出,已記錄待重印: {}", PrinterError::Offline),
            till::ui::i18n::Lang::ZhTw
        )
    ));
    let pending = app
        .terminal()
        .unwrap()
        .journal()
        .pending_print_jobs()
        .unwrap();
    assert!(
        pending.iter().any(|j| j.kind == "receipt"),
        "the receipt waits to be printed again"
    );
}

#[test]
fn after_a_paper_change_the_waiting_receipt_prints_from_the_status_bar() {
    let (mut app, release) = held_app();
    cash_sale(&mut app);
    release.send(Err(PrinterError::PaperEnd)).unwrap();
    release.send(Ok(())).unwrap();
    app.settle_prints();
    assert!(shows(&app, "待印 1 張,按此重印"));

    // Paper loaded: the cashier presses the status bar.
    click(&mut app, "待印 1 張,按此重印");
    release.send(Ok(())).unwrap();
    app.settle_prints();
    assert!(!shows(&app, "待印 1 張,按此重印"));
    assert!(
        app.terminal()
            .unwrap()
            .journal()
            .pending_print_jobs()
            .unwrap()
            .is_empty(),
        "the receipt printed"
    );
}

#[test]
fn a_proof_cut_short_is_reprinted_only_as_a_manager_approved_reprint() {
    let (mut app, release) = held_app();
    cash_sale(&mut app);
    release.send(Ok(())).unwrap(); // the receipt
    release.send(Err(PrinterError::PaperEnd)).unwrap(); // the proof, mid-way
    app.settle_prints();
    assert!(shows(&app, "證明聯待補印 1 張(店長於查詢畫面補印)"));
    assert!(
        !shows(&app, "待印 1 張,按此重印"),
        "a proof that may be on paper is never printed again as an original"
    );

    click(&mut app, "下一位 (Enter)");
    click(&mut app, "查詢 (F6)");
    let sale = app
        .terminal()
        .unwrap()
        .journal()
        .sales_by_date(
            till::taipei::now().date_naive(),
            till::taipei::now().date_naive(),
            None,
            1,
        )
        .unwrap()
        .items[0]
        .sale_no
        .to_string();
    click(&mut app, &sale);
    let (manager, _, pin) = DEMO_USERS[1];
    click(&mut app, manager);
    for d in pin.chars() {
        app.update(Message::History(till::ui::screen::history::Message::Digit(
            d,
        )));
    }
    click(&mut app, "補印證明聯");
    release.send(Ok(())).unwrap();
    app.settle_prints();
    assert!(shows(&app, "證明聯已補印(已記錄)"));
    assert!(!shows(&app, "證明聯待補印 1 張(店長於查詢畫面補印)"));
    let raw = app.terminal().unwrap().journal().raw_connection();
    let reprints: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM print_jobs WHERE kind = 'invoice_proof' AND reprint = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reprints, 1, "one 補印, on record");
}
