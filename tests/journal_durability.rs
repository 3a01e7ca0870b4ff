//! Pull the plug on a writer, many times, and check that the journal kept
//! every write it acknowledged and nothing half-written.
//!
//! The writer is this test binary itself, re-run as a child with an
//! environment variable naming the journal. After each COMMIT the child
//! prints an acknowledgement line. The child dies by SIGKILL at an exact
//! point: its journal runs on the pass-through VFS of tests/power_cut, which
//! kills the process just before its n-th write, sync, truncate or delete
//! (mid-transaction as often as between two), with n drawn from the seed
//! alone. The parent reads every acknowledgement the child printed, reopens
//! the journal and checks it. The seed is printed; `TILL_DURABILITY_SEED`
//! replays a run exactly. Each child first settles what the previous one
//! left in flight, and a run where no kill left anything to settle fails.

use crate::power_cut;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use till::Ntd;
use till::journal::{AttemptState, Detail, Journal, MaskedCode};
use till::sale::{AttemptKind, Cart, GatewayId, Line, PayMethod, TerminalId, Wallet};

const CHILD_ENV: &str = "TILL_DURABILITY_JOURNAL";
const SEED_ENV: &str = "TILL_DURABILITY_SEED";
const KILL_ENV: &str = "TILL_DURABILITY_KILL_AT_IO";
const KILLS: usize = 40;

/// `name` as libtest lists it in this test binary, whose root holds this
/// file as one module among others: the path below that root.
fn child_test(name: &str) -> String {
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    format!("{module}::{name}")
}

fn business_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// One acknowledged write.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ack {
    Sale {
        sale: String,
        lines: usize,
        total: i64,
    },
    Event {
        trade: String,
        nth: usize,
        state: String,
    },
}

fn parse_ack(line: &str) -> Option<Ack> {
    let f: Vec<&str> = line.split_whitespace().collect();
    match f.as_slice() {
        ["S", sale, lines, total] => Some(Ack::Sale {
            sale: sale.to_string(),
            lines: lines.parse().ok()?,
            total: total.parse().ok()?,
        }),
        ["E", trade, nth, state] => Some(Ack::Event {
            trade: trade.to_string(),
            nth: nth.parse().ok()?,
            state: state.to_string(),
        }),
        _ => None,
    }
}

#[test]
fn killed_writers_never_lose_an_acknowledged_write() {
    let seed: u64 = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    // Printed so a failure can be replayed with TILL_DURABILITY_SEED.
    println!("durability seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    // On the target dir's disk, not a tmpfs, so fsync is real.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("journal.sqlite");
    let me = std::env::current_exe().unwrap();
    let mut acked: Vec<Ack> = Vec::new();
    let mut total_acks = 0;

    let mut settled_by_a_child = 0;
    for round in 0..KILLS {
        // The I/O call to die at: a sale with its payment is a few dozen.
        let kill_at = rng.random_range(1..=400usize);
        let mut child = Command::new(&me)
            .args([
                "--exact",
                &child_test("durability_writer_child"),
                "--ignored",
                "--nocapture",
            ])
            .args(["--test-threads", "1"])
            .env(CHILD_ENV, &path)
            .env(SEED_ENV, rng.random::<u64>().to_string())
            .env(KILL_ENV, kill_at.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut got = 0;
        let mut line = String::new();
        // Every line printed before the kill is an acknowledged commit; a
        // line cut short by the kill has no newline and is not counted.
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 || !line.ends_with('\n') {
                break;
            }
            // (libtest's "test … ... " may start the first line.)
            if let Some(at) = line.find("SETTLED ") {
                settled_by_a_child += usize::from(line[at..].trim() != "SETTLED 0");
            }
            if let Some(ack) = parse_ack(&line) {
                acked.push(ack);
                got += 1;
            }
        }
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "seed {seed} round {round}: the writer was to die at I/O call {kill_at}: {status:?}"
        );
        total_acks += got;
        check(&path, &acked, seed, round);
    }
    assert!(
        total_acks >= KILLS,
        "seed {seed}: too few writes to mean anything"
    );
    println!(
        "{total_acks} acknowledged writes; {settled_by_a_child} children settled what a kill left"
    );
    assert!(
        settled_by_a_child > 0,
        "seed {seed}: no kill left anything in flight for the next writer to settle"
    );
}

/// Everything acknowledged is there, and nothing is half-written.
fn check(path: &std::path::Path, acked: &[Ack], seed: u64, round: usize) {
    let ctx = format!("seed {seed} round {round}");
    let j = Journal::open(path).unwrap();
    assert_eq!(j.integrity_check().unwrap(), Vec::<String>::new(), "{ctx}");
    let audit = j.verify_audit().unwrap();
    assert!(audit.is_intact(), "{ctx}: {audit:?}");

    // The newest acknowledgement per attempt is the one to hold: earlier
    // events must be there too, and at the same positions.
    let mut last_event: HashMap<&str, (usize, &str)> = HashMap::new();
    for ack in acked {
        match ack {
            Ack::Sale { sale, lines, total } => {
                let no = sale.parse().unwrap();
                let d = j
                    .sale_detail(&no)
                    .unwrap()
                    .unwrap_or_else(|| panic!("{ctx}: acknowledged sale {sale} is missing"));
                assert_eq!(d.lines.len(), *lines, "{ctx}: {sale}");
                assert_eq!(d.summary.total, Ntd::new(*total), "{ctx}: {sale}");
            }
            Ack::Event { trade, nth, state } => {
                last_event.insert(trade, (*nth, state));
                let t = trade.parse().unwrap();
                let a = j
                    .attempt(&t)
                    .unwrap()
                    .unwrap_or_else(|| panic!("{ctx}: acknowledged attempt {trade} is missing"));
                assert!(
                    a.events.len() >= *nth,
                    "{ctx}: {trade} has {} events, event {nth} ({state}) was acknowledged",
                    a.events.len()
                );
                assert_eq!(
                    a.events[nth - 1].to.as_str(),
                    state,
                    "{ctx}: {trade} event {nth}"
                );
            }
        }
    }

    let c = j.raw_connection();
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count(
            "SELECT count(*) FROM attempts a WHERE a.state IS NOT (
               SELECT e.to_state FROM attempt_events e WHERE e.attempt_id = a.id
               ORDER BY e.id DESC LIMIT 1)"
        ),
        0,
        "{ctx}: an attempt's state differs from its last event"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM sales s
             WHERE s.line_count <> (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id)"
        ),
        0,
        "{ctx}: a sale is missing lines"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM day_counters d WHERE d.last_seq <> (
               SELECT max(seq) FROM sales s
               WHERE s.terminal = d.terminal AND s.business_date = d.business_date)"
        ),
        0,
        "{ctx}: a day counter disagrees with the sales"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM sales s WHERE s.paid <> (
               SELECT coalesce(sum(amount), 0) FROM attempts a
               WHERE a.sale_id = s.id AND a.kind = 'payment' AND a.state = 'approved')
             OR s.refunded <> (
               SELECT coalesce(sum(amount), 0) FROM attempts a
               WHERE a.sale_id = s.id AND a.kind = 'refund' AND a.state = 'approved')"
        ),
        0,
        "{ctx}: a sale's paid/refunded totals disagree with its approved attempts"
    );
    assert_eq!(
        count("SELECT count(*) FROM sales WHERE paid > total OR refunded > paid"),
        0,
        "{ctx}: a sale was charged or refunded more than its total"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT sale_id FROM attempts
             WHERE state IN ('created','sending','unknown','cancelling')
             GROUP BY sale_id HAVING count(*) > 1)"
        ),
        0,
        "{ctx}: two unresolved attempts on one sale"
    );
}

/// The child: recover what the last one left, then write until killed.
#[test]
#[ignore = "run as a child process by killed_writers_never_lose_an_acknowledged_write"]
fn durability_writer_child() {
    let path = std::env::var(CHILD_ENV).expect("only run as the durability test's child");
    let seed: u64 = std::env::var(SEED_ENV).unwrap().parse().unwrap();
    let kill_at: usize = std::env::var(KILL_ENV).unwrap().parse().unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    power_cut::install();
    power_cut::kill_at_io(kill_at);
    let mut j = Journal::open(&path).unwrap();
    let stdout = std::io::stdout();
    let ack = |line: String| {
        // One write per line; a closed pipe means the parent is gone.
        let mut out = stdout.lock();
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            std::process::exit(0);
        }
    };

    // What `till recover` does, with made-up gateway answers.
    let unresolved = j.unresolved_attempts().unwrap();
    ack(format!("SETTLED {}", unresolved.len()));
    for a in unresolved {
        let mut nth = a.events.len();
        let mut state = a.state;
        while !state.is_final() {
            let to = match state {
                AttemptState::Created => AttemptState::Abandoned,
                AttemptState::Sending => AttemptState::Unknown,
                AttemptState::Unknown => AttemptState::Declined,
                AttemptState::Cancelling => AttemptState::Cancelled,
                s => unreachable!("{s} is final"),
            };
            j.transition(&a.trade_no, to, Detail::new().with("recovered", true))
                .unwrap();
            nth += 1;
            state = to;
            ack(format!("E {} {nth} {to}", a.trade_no));
        }
    }

    let terminal: TerminalId = "T01".parse().unwrap();
    let code = MaskedCode::mask("22J111111111111111");
    for _ in 0..10_000 {
        let mut cart = Cart::new();
        for i in 0..rng.random_range(1..=4) {
            let price = Ntd::new(rng.random_range(1..=500));
            cart.add(Line::new(&format!("P{i}"), "item", rng.random_range(1..=3), price).unwrap())
                .unwrap();
        }
        let sale = j
            .new_sale(&terminal, business_date(), "amy", &cart)
            .unwrap();
        ack(format!(
            "S {sale} {} {}",
            cart.lines().len(),
            cart.total().dollars()
        ));
        let cash = rng.random_bool(0.1);
        let (gateway, method) = if cash {
            (None, PayMethod::Cash)
        } else {
            (Some(GatewayId::JkoPay), PayMethod::Wallet(Wallet::JkoPay))
        };
        let trade = j
            .begin_attempt(
                &sale,
                AttemptKind::Payment,
                gateway,
                method,
                cart.total(),
                (!cash).then_some(&code),
            )
            .unwrap();
        let mut nth = 1;
        ack(format!("E {trade} {nth} created"));
        let path: &[AttemptState] = if cash {
            &[AttemptState::Approved]
        } else {
            use AttemptState::*;
            match rng.random_range(0..20) {
                0..=7 => &[Sending, Approved],
                8..=10 => &[Sending, Declined],
                11..=13 => &[Sending, Unknown, Unknown, Approved],
                14..=16 => &[Sending, Cancelling, Cancelling, Cancelled],
                17 => &[Sending, Cancelling, Approved],
                // Left in flight, for the next child to recover.
                _ => &[Sending],
            }
        };
        for &to in path {
            j.transition(&trade, to, Detail::new().with("n", nth))
                .unwrap();
            nth += 1;
            ack(format!("E {trade} {nth} {to}"));
        }
        if path.last() == Some(&AttemptState::Approved) && rng.random_bool(0.2) {
            let refund = j
                .begin_attempt(
                    &sale,
                    AttemptKind::Refund,
                    gateway,
                    method,
                    Ntd::new(1),
                    None,
                )
                .unwrap();
            ack(format!("E {refund} 1 created"));
            let steps: &[AttemptState] = if cash {
                &[AttemptState::Approved]
            } else {
                &[AttemptState::Sending, AttemptState::Approved]
            };
            for (i, &to) in steps.iter().enumerate() {
                j.transition(&refund, to, Detail::new()).unwrap();
                ack(format!("E {refund} {} {to}", i + 2));
            }
        }
    }
}
