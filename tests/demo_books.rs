//! Demo mode: the simulated vendors remember what they were paid. Every
//! demo process (each `till` command, the GUI) starts its own simulators,
//! but they share one set of books next to the demo journal, so a payment
//! made by one process is refunded by another as the real vendor would,
//! until `till demo reset`.

use crate::gui_support;
use crate::gui_support::Driver;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cli_support::plain_locale;
use gui_support::{ring_up, sign_in, virtual_printer, wedge_scan};
use till::catalogue::Catalogue;
use till::config::Config;
use till::journal::Journal;
use till::money::Ntd;
use till::sim::Simulators;
use till::terminal::Terminal;

const JKOPAY_CODE: &str = "22J111111111111111";
const MANAGER: &str = "示範店長 Demo manager";

/// `till` in demo mode with `home` as its home directory.
fn till(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_till"));
    plain_locale(&mut c);
    c.env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("TILL_CONFIG")
        .env("TILL_MANAGER_PIN", "1234");
    c
}

fn demo_dir(home: &Path) -> PathBuf {
    home.join(".local/share/till/demo")
}

fn run(home: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value, Output) {
    let out = till(home).args(args).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json, out)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn refund(
    home: &Path,
    trade: &str,
    amount: Option<&str>,
) -> (Option<i32>, serde_json::Value, Output) {
    let mut args = vec![
        "refund",
        "--trade",
        trade,
        "--reason",
        "退貨",
        "--manager",
        MANAGER,
        "--json",
    ];
    if let Some(a) = amount {
        args.extend(["--amount", a]);
    }
    run(home, &args)
}

/// Nothing in doubt in the demo journal: `till recover` finds nothing to
/// settle, and the journal lists no unresolved attempt.
fn nothing_in_doubt(home: &Path) {
    let (code, recovered, out) = run(home, &["recover", "--json"]);
    assert_eq!(code, Some(0), "{}", stderr(&out));
    assert_eq!(recovered, serde_json::json!([]), "nothing left to recover");
    let journal = Journal::open(demo_dir(home).join("journal.sqlite3")).unwrap();
    assert!(journal.unresolved_attempts().unwrap().is_empty());
}

/// What the simulated JKoPay holds for a payment, read from the demo books
/// (as any later demo process would find it): (charged, refunded).
fn jkopay_books(home: &Path, trade: &str) -> Vec<(Ntd, Ntd)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sims = Simulators::start_demo(&demo_dir(home).join("simulators.sqlite3"))
            .await
            .unwrap();
        sims.jkopay
            .ledger
            .charges_for(trade)
            .iter()
            .map(|c| (c.amount, c.refunded))
            .collect()
    })
}

#[test]
fn a_payment_is_refunded_in_two_parts_by_later_processes_and_a_third_refund_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    let (code, paid, out) = run(
        home,
        &["pay", "--amount", "101", "--barcode", JKOPAY_CODE, "--json"],
    );
    assert_eq!(code, Some(0), "{}", stderr(&out));
    assert_eq!(paid["state"], "approved");
    let payment = paid["trade_no"].as_str().unwrap().to_string();
    let sale = payment.split('-').next().unwrap().to_string();

    // Part of it, by another process: JKoPay knows the payment.
    let (code, first, out) = refund(home, &sale, Some("10"));
    assert_eq!(code, Some(0), "{}", stderr(&out));
    assert_eq!(first["state"], "approved", "{first}");
    assert_eq!(first["amount"], 10);

    // The rest, by a third process.
    let (code, rest, out) = refund(home, &sale, None);
    assert_eq!(code, Some(0), "{}", stderr(&out));
    assert_eq!(rest["state"], "approved", "{rest}");
    assert_eq!(rest["amount"], 91);

    // Nothing is left to give back: refused, nothing sent, nothing in doubt.
    let (code, _, out) = refund(home, &sale, Some("1"));
    assert_eq!(code, Some(3), "refused: {}", stderr(&out));
    assert!(stderr(&out).contains("已全額退款"), "{}", stderr(&out));

    nothing_in_doubt(home);
    // The vendor's books agree: NT$101 charged once, all of it given back.
    assert_eq!(
        jkopay_books(home, &payment),
        vec![(Ntd::new(101), Ntd::new(101))]
    );
}

#[test]
fn a_sale_paid_in_the_gui_is_refunded_from_the_command_line() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let paper = tempfile::tempdir().unwrap();
    let config = Config::demo();
    let journal = demo_dir(home).join("journal.sqlite3");
    let payment = {
        // The GUI's own path: a demo till on the demo journal file, whose
        // simulators keep their books next to it.
        let terminal = Terminal::open_at(&config, &journal, true).unwrap();
        assert_eq!(
            terminal.simulator_books(),
            Some(demo_dir(home).join("simulators.sqlite3").as_path())
        );
        let mut app = Driver::new(&config, terminal, Catalogue::demo())
            .with_printer(virtual_printer(paper.path()));
        sign_in(&mut app);
        ring_up(&mut app, "230");
        wedge_scan(&mut app, JKOPAY_CODE);
        app.settle();
        assert_eq!(app.screen_name(), "done");
        let j = app.terminal().unwrap().journal();
        let today = till::taipei::now().date_naive();
        let sales = j.sales_by_date(today, today, None, 10).unwrap().items;
        let detail = j.sale_detail(&sales[0].sale_no).unwrap().unwrap();
        detail.payments[0].trade_no.to_string()
        // The GUI closes here: its simulators stop with it.
    };

    let (code, back, out) = refund(home, &payment, None);
    assert_eq!(code, Some(0), "{}", stderr(&out));
    assert_eq!(back["state"], "approved", "{back}");
    assert_eq!(back["amount"], 230);
    nothing_in_doubt(home);
    assert_eq!(
        jkopay_books(home, &payment),
        vec![(Ntd::new(230), Ntd::new(230))]
    );
}

#[test]
fn demo_reset_forgets_the_sales_and_what_the_vendors_were_paid() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let (code, paid, out) = run(
        home,
        &["pay", "--amount", "88", "--barcode", JKOPAY_CODE, "--json"],
    );
    assert_eq!(code, Some(0), "{}", stderr(&out));
    let payment = paid["trade_no"].as_str().unwrap().to_string();
    assert_eq!(jkopay_books(home, &payment).len(), 1);

    let (code, _, out) = run(home, &["demo", "reset"]);
    assert_eq!(code, Some(0), "{}", stderr(&out));
    assert!(!demo_dir(home).exists());
    assert!(
        jkopay_books(home, &payment).is_empty(),
        "the vendor forgot it"
    );
    let (code, _, _) = run(home, &["query", "--trade", &payment, "--json"]);
    assert_eq!(code, Some(3), "the demo journal forgot it too");
}

#[test]
fn demo_processes_paying_at_the_same_time_are_all_booked_once() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    // Create the demo data first, so the racers share it from the start.
    let (code, _, out) = run(
        home,
        &["pay", "--amount", "10", "--barcode", JKOPAY_CODE, "--json"],
    );
    assert_eq!(code, Some(0), "{}", stderr(&out));
    let racers: Vec<_> = (0..3)
        .map(|i| {
            till(home)
                .args([
                    "pay",
                    "--amount",
                    &(20 + i).to_string(),
                    "--barcode",
                    JKOPAY_CODE,
                    "--json",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut trades = Vec::new();
    for r in racers {
        let out = r.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        trades.push(v["trade_no"].as_str().unwrap().to_string());
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let charges = rt.block_on(async {
        Simulators::start_demo(&demo_dir(home).join("simulators.sqlite3"))
            .await
            .unwrap()
            .jkopay
            .ledger
            .all()
    });
    assert_eq!(charges.len(), 4, "every payment booked, none lost");
    for t in &trades {
        assert_eq!(charges.iter().filter(|c| &c.trade_no == t).count(), 1);
    }
    let mut numbers: Vec<_> = charges.iter().map(|c| c.gateway_trade_no.clone()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(
        numbers.len(),
        4,
        "JKoPay's own numbers are unique across processes"
    );
    nothing_in_doubt(home);
}
