//! Pull the power, not just the process: a SIGKILLed till keeps the OS's
//! cache, so the kill tests pass even with `synchronous=OFF`. Here the
//! journal runs on a VFS that throws away every write not yet synced
//! (tests/power_cut), cut at every step of a MyPay payment and a refund.
//!
//! The till is this test binary re-run as a child, with the VFS as its
//! default, against simulators the parent owns. The child prints a line
//! after each thing the till acknowledged (the sale opened, the payment's
//! and the refund's outcome) and is cut at the n-th cut point, for n = 1, 2,
//! 3 … until a run gets to the end uncut. After each cut the parent checks
//! what a shop would need on the morning after: the journal opens, verifies
//! (`till journal verify`: SQLite's check and the audit chain), holds every
//! acknowledged write, and `recover` then settles what was in flight so that
//! the journal's books match the simulator's ledger.
//!
//! Lowering `synchronous` (NORMAL or OFF in `Journal::setup`) makes this
//! fail: an acknowledged commit that was never synced is lost.

use crate::pay_support;
use crate::power_cut;

use std::process::Command;

use till::journal::{AttemptState, Journal};
use till::money::Ntd;
use till::sale::{Cart, Line, RefundRequest};
use till::secret::Secret;
use till::sim::Simulators;
use till::terminal::{DEMO_USERS, Payments, Tender, Terminal};

const CHILD_DIR: &str = "TILL_POWER_CUT_DIR";
const CHILD_CUT_AT: &str = "TILL_POWER_CUT_AT";
const PI_CODE: &str = "PI7E3A60BD8C8F23F7";
const PAID: i64 = 1_000;
const REFUNDED: i64 = 300;

/// `name` as libtest lists it in this test binary, whose root holds this
/// file as one module among others: the path below that root.
fn child_test(name: &str) -> String {
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    format!("{module}::{name}")
}

/// What the till acknowledged before the power went.
#[derive(Debug, Default)]
struct Acks {
    sale: Option<String>,
    payment: Option<(String, AttemptState)>,
    refund: Option<(String, AttemptState)>,
    /// Cut points the child passed, when it got to the end uncut.
    done: Option<usize>,
}

fn parse(stdout: &str) -> Acks {
    let mut acks = Acks::default();
    for line in stdout.lines() {
        // libtest's "test power_cut_child ... " may start the first line.
        let Some(at) = ["ACK-", "DONE "].iter().find_map(|m| line.find(m)) else {
            continue;
        };
        let f: Vec<&str> = line[at..].split_whitespace().collect();
        match f.as_slice() {
            ["ACK-SALE", sale] => acks.sale = Some(sale.to_string()),
            ["ACK-PAY", trade, state] => {
                acks.payment = Some((trade.to_string(), AttemptState::parse(state).unwrap()))
            }
            ["ACK-REFUND", trade, state] => {
                acks.refund = Some((trade.to_string(), AttemptState::parse(state).unwrap()))
            }
            ["DONE", points] => acks.done = Some(points.parse().unwrap()),
            _ => {}
        }
    }
    acks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_at_any_step_of_a_payment_and_a_refund_loses_nothing_acknowledged() {
    let me = std::env::current_exe().unwrap();
    let mut cuts = 0;
    let mut settled_by_recover = 0;
    // Which acknowledgements had been given when a cut came.
    let mut cut_after = std::collections::BTreeSet::new();
    for at in 1.. {
        assert!(at < 1_000, "the child never got to the end");
        let sims = Simulators::start_all().await.unwrap();
        let cfg = pay_support::fast_config(&sims);
        // On the target dir's disk, not a tmpfs.
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        std::fs::write(dir.path().join("till.toml"), toml::to_string(&cfg).unwrap()).unwrap();
        let mut child = Command::new(&me);
        child
            .args([
                "--exact",
                &child_test("power_cut_child"),
                "--ignored",
                "--nocapture",
            ])
            .args(["--test-threads", "1"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_CUT_AT, at.to_string());
        let out = tokio::task::spawn_blocking(move || child.output().unwrap())
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let ctx = format!("cut at point {at}");
        let acks = parse(&stdout);
        match out.status.code() {
            Some(power_cut::CUT_EXIT) => {
                cuts += 1;
                cut_after.insert((
                    acks.sale.is_some(),
                    acks.payment.is_some(),
                    acks.refund.is_some(),
                ));
            }
            Some(0) => assert!(acks.done.is_some(), "{ctx}: {stdout}"),
            other => panic!(
                "{ctx}: the child failed ({other:?}): {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }

        let path = dir.path().join("journal.sqlite3");
        let journal = Journal::open(&path).unwrap_or_else(|e| panic!("{ctx}: reopen: {e}"));
        assert_eq!(
            journal.integrity_check().unwrap(),
            Vec::<String>::new(),
            "{ctx}"
        );
        let audit = journal.verify_audit().unwrap();
        assert!(audit.is_intact(), "{ctx}: {audit:?}");
        if let Some(sale) = &acks.sale {
            let d = journal
                .sale_detail(&sale.parse().unwrap())
                .unwrap()
                .unwrap_or_else(|| panic!("{ctx}: the acknowledged sale {sale} is lost"));
            assert_eq!(d.summary.total, Ntd::new(PAID), "{ctx}");
        }
        for (what, ack) in [("payment", &acks.payment), ("refund", &acks.refund)] {
            if let Some((trade, state)) = ack {
                let a = journal
                    .attempt(&trade.parse().unwrap())
                    .unwrap()
                    .unwrap_or_else(|| panic!("{ctx}: the acknowledged {what} {trade} is lost"));
                assert_eq!(a.state, *state, "{ctx}: the acknowledged {what} {trade}");
            }
        }
        if let Some((_, state)) = &acks.refund {
            assert_eq!(*state, AttemptState::Approved, "{ctx}: {stdout}");
            let sale = acks.sale.as_ref().unwrap().parse().unwrap();
            let d = journal.sale_detail(&sale).unwrap().unwrap();
            assert_eq!(d.summary.paid, Ntd::new(PAID), "{ctx}");
            assert_eq!(d.summary.refunded, Ntd::new(REFUNDED), "{ctx}");
        }

        // The morning after: recover settles what was in flight, and the
        // books match the vendor's.
        let mut till = Terminal::with_journal(&cfg, journal, true).unwrap();
        let payments = Payments::from_config(&cfg)
            .unwrap()
            .with_policy(pay_support::quick_policy());
        let settled = till.recover(&payments).await.unwrap();
        if !settled.is_empty() {
            settled_by_recover += 1;
        }
        assert!(
            till.journal().unresolved_attempts().unwrap().is_empty(),
            "{ctx}: {settled:?}"
        );
        pay_support::assert_books_match(till.journal(), &sims);
        if let Some(points) = acks.done {
            eprintln!(
                "{cuts} power cuts over {points} cut points; recover settled an attempt after {settled_by_recover}"
            );
            break;
        }
    }
    // Cut before the sale, with only the sale, after the payment and after
    // the refund (the last cut point: all done, nothing closed cleanly).
    assert_eq!(
        cut_after.into_iter().collect::<Vec<_>>(),
        [
            (false, false, false),
            (true, false, false),
            (true, true, false),
            (true, true, true)
        ]
    );
    // Cuts landed while money was moving, not only before or after.
    assert!(settled_by_recover > 0, "no cut left anything to recover");
}

/// The till whose power is cut: opens the journal through the power-cut
/// VFS, then a sale, a MyPay payment and a partial refund, acknowledging
/// each on stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by a_power_cut_at_any_step_of_a_payment_and_a_refund_loses_nothing_acknowledged"]
async fn power_cut_child() {
    let dir = std::path::PathBuf::from(std::env::var(CHILD_DIR).expect("run as a child"));
    let at: usize = std::env::var(CHILD_CUT_AT).unwrap().parse().unwrap();
    power_cut::install();
    let cfg: till::config::Config =
        toml::from_str(&std::fs::read_to_string(dir.join("till.toml")).unwrap()).unwrap();
    // Setting up a new journal is not under test: armed only after it.
    let journal = Journal::open(dir.join("journal.sqlite3")).unwrap();
    let mut till = Terminal::with_journal(&cfg, journal, true).unwrap();
    let payments = Payments::from_config(&cfg)
        .unwrap()
        .with_policy(pay_support::quick_policy());
    let (name, _, pin) = DEMO_USERS[1];
    let manager = till.manager_approves(name, &Secret::new(pin)).unwrap();
    power_cut::arm(at);

    let mut cart = Cart::new();
    cart.add(Line::new("4710000000028", "拿鐵 Latte", 1, Ntd::new(PAID)).unwrap())
        .unwrap();
    let sale = till.open_sale_as(&cart, "amy").unwrap();
    println!("ACK-SALE {sale}");
    let paid = till
        .pay(
            &payments,
            &sale,
            Tender::Scan(PI_CODE.into()),
            Ntd::new(PAID),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(paid.state, AttemptState::Approved, "{}", paid.message);
    println!("ACK-PAY {} {}", paid.trade_no, paid.state.as_str());
    let refund = till
        .refund(
            &payments,
            &sale,
            &RefundRequest::Amount(Ntd::new(REFUNDED)),
            "退貨 / returned",
            &manager,
        )
        .await
        .unwrap();
    assert_eq!(refund.state, AttemptState::Approved, "{}", refund.message);
    println!("ACK-REFUND {} {}", refund.trade_no, refund.state.as_str());
    power_cut::end_of_work();
    println!("DONE {}", power_cut::points());
}
