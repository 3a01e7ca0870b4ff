//! Journal figures: how long one durable attempt transition takes, sealed
//! and unsealed (A/B, interleaved, so both see the same machine load), how
//! fast history lookups are over a million journaled sales, and how long
//! `journal verify` takes: thousands of sales written one commit at a time;
//! a million imported; the same million with a year's chain (5 M commits,
//! each with its audit row and seal chain entry).
//!
//! `cargo bench --bench journal`, or only some parts: `-- commits`,
//! `-- lookups`, `-- verify` (the million), `-- year`. The million-sale files
//! are built once and cached under the target dir; delete them to rebuild.
//! Times are printed with the load average beside them (the machine may be
//! shared) and the CPU time used, which the load does not change much.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use till::Ntd;
use till::journal::{AttemptState, Detail, ImportedSale, Journal, MaskedCode, schema};

/// Commits in a year of a busy till (about five per sale).
const YEAR_OF_COMMITS: u64 = 5_000_000;
use till::sale::{AttemptKind, Cart, GatewayId, Line, PayMethod, SaleNo, TerminalId, Wallet};

const SALES: u64 = 1_000_000;
const DAYS: u64 = 250;
const TERMINALS: [&str; 4] = ["T01", "T02", "T03", "T04"];

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples[samples.len() / 2];
    let p99 = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
    println!(
        "{what:<48} n={:<5} median {:>8.3} ms   p99 {:>8.3} ms",
        samples.len(),
        ms(median),
        ms(p99)
    );
}

fn cart(rng: &mut StdRng) -> Cart {
    let mut c = Cart::new();
    for i in 0..rng.random_range(1..=3) {
        let line = Line::new(
            &format!("47100884{i:05}"),
            "item",
            rng.random_range(1..=3),
            Ntd::new(rng.random_range(10..=800)),
        )
        .unwrap();
        c.add(line).unwrap();
    }
    c
}

/// CPU time this thread has used: what a commit costs the till itself,
/// apart from waiting for the disk.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Wall and CPU time of the two transitions of one payment.
#[derive(Default)]
struct Transitions {
    sending: Vec<Duration>,
    sending_cpu: Vec<Duration>,
    approved: Vec<Duration>,
    approved_cpu: Vec<Duration>,
}

impl Transitions {
    fn print(self, label: &str) {
        report(&format!("{label} Created→Sending, wall"), self.sending);
        report(&format!("{label} Created→Sending, CPU"), self.sending_cpu);
        report(&format!("{label} Sending→Approved, wall"), self.approved);
        report(&format!("{label} Sending→Approved, CPU"), self.approved_cpu);
    }
}

/// One sale step by step: new sale, attempt, two timed transitions.
fn one_sale(j: &mut Journal, rng: &mut StdRng, into: &mut Transitions) {
    let terminal: TerminalId = "T01".parse().unwrap();
    let code = MaskedCode::mask("22J111111111111111");
    let c = cart(rng);
    let sale = j.new_sale(&terminal, first_day(), "amy", &c).unwrap();
    let trade = j
        .begin_attempt(
            &sale,
            AttemptKind::Payment,
            Some(GatewayId::JkoPay),
            PayMethod::Wallet(Wallet::JkoPay),
            c.total(),
            Some(&code),
        )
        .unwrap();
    let (t, cpu) = (Instant::now(), thread_cpu());
    j.transition(&trade, AttemptState::Sending, Detail::new())
        .unwrap();
    into.sending.push(t.elapsed());
    into.sending_cpu.push(thread_cpu() - cpu);
    let (t, cpu) = (Instant::now(), thread_cpu());
    j.transition(
        &trade,
        AttemptState::Approved,
        Detail::new()
            .gateway_trade_no("JK1")
            .with("StatusCode", "000"),
    )
    .unwrap();
    into.approved.push(t.elapsed());
    into.approved_cpu.push(thread_cpu() - cpu);
}

/// Durable commit cost of one attempt transition, sealed (this schema)
/// and unsealed (a v6 file, the last before seals), sale by sale in turn
/// on real files in the target dir; then `journal verify` on the sealed
/// one, thousands of sales written one commit at a time.
fn commit_costs() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut sealed = Journal::open(dir.path().join("sealed.sqlite")).unwrap();
    let mut unsealed = Journal::open_at_version(dir.path().join("unsealed.sqlite"), 6).unwrap();
    assert!(
        unsealed.verify_seals().unwrap().is_none(),
        "v6 has no seals"
    );
    let (mut rng_a, mut rng_b) = (StdRng::seed_from_u64(1), StdRng::seed_from_u64(1));
    let (mut a, mut b) = (Transitions::default(), Transitions::default());
    for _ in 0..STEP_SALES {
        one_sale(&mut sealed, &mut rng_a, &mut a);
        one_sale(&mut unsealed, &mut rng_b, &mut b);
    }
    a.print("sealed  ");
    b.print("unsealed");
    // Every sale here took four commits, so the chain is as long as a
    // real day's: the untouched journal must verify in well under a second.
    let t = Instant::now();
    let seals = sealed.verify_seals().unwrap().unwrap();
    println!(
        "verify seals, {STEP_SALES} sales one commit at a time ({} rows, {} chain entries): {:.3} s",
        seals.rows_checked,
        seals.chain_entries,
        t.elapsed().as_secs_f64()
    );
    assert!(seals.is_intact(), "{:?}", seals.problems.first());
    let t = Instant::now();
    let all = sealed.verify(None).unwrap();
    println!(
        "journal verify (whole: SQLite check, audit, seals), {STEP_SALES} sales: {:.3} s",
        t.elapsed().as_secs_f64()
    );
    assert!(all.is_intact());
}

/// Sales written step by step (new sale, attempt, two transitions).
const STEP_SALES: usize = 3000;

fn big_journal() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("journal-bench-{SALES}-v{}.sqlite", schema::LATEST));
    if path.exists() {
        let j = Journal::open(&path).unwrap();
        let n: u64 = j
            .raw_connection()
            .query_row("SELECT count(*) FROM sales", [], |r| r.get(0))
            .unwrap();
        if n == SALES {
            println!("using cached {} ({n} sales)", path.display());
            return path;
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut j = Journal::open(&path).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let per_day = SALES / DAYS;
    let t = Instant::now();
    let sales = (0..SALES).map(|i| {
        let day = first_day() + Days::new(i / per_day);
        let terminal: TerminalId = TERMINALS[(i % 4) as usize].parse().unwrap();
        let secs = (8 * 3600 + (i % per_day) * 50_000 / per_day) as u32;
        let created_at = till::taipei::from_wall_clock(
            day.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::seconds(secs.into()),
        );
        let payment = match rng.random_range(0..4) {
            0 => (None, PayMethod::Cash, None),
            1 => (
                Some(GatewayId::JkoPay),
                PayMethod::Wallet(Wallet::JkoPay),
                Some(format!("JK{i:010}")),
            ),
            2 => (
                Some(GatewayId::MyPay),
                PayMethod::Wallet(Wallet::LinePay),
                Some(format!("MP{i:010}")),
            ),
            _ => (
                Some(GatewayId::Ecpay),
                PayMethod::BoundCard,
                Some(format!("EC{i:010}")),
            ),
        };
        ImportedSale {
            terminal,
            business_date: day,
            cashier: "amy".into(),
            cart: cart(&mut rng),
            created_at,
            payment: Some(payment),
        }
    });
    j.import_sales(sales, "bench").unwrap();
    println!(
        "built {} with {SALES} sales in {:.1} s",
        path.display(),
        t.elapsed().as_secs_f64()
    );
    path
}

fn lookups(path: &PathBuf) {
    let j = Journal::open(path).unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let per_terminal_day = SALES / DAYS / 4;
    let random_sale = |rng: &mut StdRng| {
        let day = first_day() + Days::new(rng.random_range(0..DAYS));
        let terminal: TerminalId = TERMINALS[rng.random_range(0..4)].parse().unwrap();
        SaleNo::new(terminal, day, rng.random_range(1..=per_terminal_day as u32)).unwrap()
    };
    let n = 2000;

    let mut by_trade = Vec::new();
    let mut by_receipt = Vec::new();
    for _ in 0..n {
        let sale = random_sale(&mut rng);
        let trade = sale.attempt(AttemptKind::Payment, 1).unwrap().to_string();
        let t = Instant::now();
        let found = j.lookup(&trade).unwrap().unwrap();
        let detail = j.sale_detail(&found).unwrap().unwrap();
        by_trade.push(t.elapsed());
        assert_eq!(detail.summary.sale_no, sale);
        let receipt = sale.receipt_code().to_string();
        let t = Instant::now();
        let found = j.lookup(&receipt).unwrap().unwrap();
        j.sale_detail(&found).unwrap().unwrap();
        by_receipt.push(t.elapsed());
    }
    report("lookup by attempt trade no + sale detail", by_trade);
    report("lookup by receipt code + sale detail", by_receipt);

    for (label, days) in [
        ("sales_by_date 1 day, first page of 50", 0),
        ("sales_by_date 7 days, page 3 of 50", 6),
    ] {
        let mut samples = Vec::new();
        for _ in 0..n {
            let from = first_day() + Days::new(rng.random_range(0..DAYS - 7));
            let to = from + Days::new(days);
            let t = Instant::now();
            let mut page = j.sales_by_date(from, to, None, 50).unwrap();
            if days > 0 {
                for _ in 0..2 {
                    page = j.sales_by_date(from, to, page.next, 50).unwrap();
                }
            }
            samples.push(t.elapsed());
            assert_eq!(page.items.len(), 50);
        }
        report(label, samples);
    }

    let mut samples = Vec::new();
    for _ in 0..n {
        let amount = Ntd::new(rng.random_range(10..=2000));
        let t = Instant::now();
        j.sales_by_amount(amount, 20).unwrap();
        samples.push(t.elapsed());
    }
    report("sales_by_amount, newest 20", samples);
}

/// CPU time (user + system) of the whole process, every thread.
fn process_cpu() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes the struct it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    assert_eq!(rc, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// The one-minute load average, to print beside a wall time.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// `journal verify` on a million-sale journal (the journal's rule: within
/// 10 s on a year of sales): the whole check as the command runs it (on
/// every core), then each of its tasks alone, one after another on one
/// connection, with the CPU each takes.
fn verify_big(path: &PathBuf, what: &str) {
    let j = Journal::open(path).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (t, cpu, load_before) = (Instant::now(), process_cpu(), load());
    let all = j.verify(None).unwrap();
    let (wall, cpu) = (t.elapsed(), process_cpu() - cpu);
    let seals = all.seals.as_ref().unwrap();
    println!(
        "journal verify, {what} ({} sealed rows, {} chain entries, {} audit rows): \
         {:.2} s wall on {cores} cores (load {load_before} → {}), {:.2} s CPU",
        seals.rows_checked,
        seals.chain_entries,
        all.audit.rows,
        wall.as_secs_f64(),
        load(),
        cpu.as_secs_f64()
    );
    assert!(all.is_intact(), "{:?}", seals.problems.first());
    let mut total = Duration::ZERO;
    j.verify_task_by_task(|label, task| {
        let (t, cpu) = (Instant::now(), thread_cpu());
        task()?;
        let (wall, cpu) = (t.elapsed(), thread_cpu() - cpu);
        total += cpu;
        if cpu >= Duration::from_millis(10) {
            println!(
                "  task alone: {label:<40} {:>6.2} s CPU {:>6.2} s wall (load {})",
                cpu.as_secs_f64(),
                wall.as_secs_f64(),
                load()
            );
        }
        Ok(())
    })
    .unwrap();
    println!(
        "  all tasks, one after another: {:.2} s CPU",
        total.as_secs_f64()
    );
    let (t, cpu) = (Instant::now(), thread_cpu());
    assert!(j.integrity_check().unwrap().is_empty());
    println!(
        "  for comparison, SQLite's whole-file integrity_check in one go: {:.2} s CPU {:.2} s wall (load {})",
        (thread_cpu() - cpu).as_secs_f64(),
        t.elapsed().as_secs_f64(),
        load()
    );
}

/// The imported million with a year's chain on top: a copy of the bulk
/// journal, then [`YEAR_OF_COMMITS`] commits of one audit row each.
fn year_journal(bulk: &PathBuf) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "journal-bench-{SALES}-{YEAR_OF_COMMITS}-commits-v{}.sqlite",
        schema::LATEST
    ));
    if path.exists() {
        let j = Journal::open(&path).unwrap();
        let n: u64 = j
            .raw_connection()
            .query_row("SELECT count(*) FROM seal_chain", [], |r| r.get(0))
            .unwrap();
        if n > YEAR_OF_COMMITS {
            println!("using cached {} ({n} chain entries)", path.display());
            return path;
        }
    }
    for suffix in ["", "-wal", "-shm", ".seal-key"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    // A checkpointed copy of the file and its key.
    Journal::open(bulk)
        .unwrap()
        .raw_connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    std::fs::copy(bulk, &path).unwrap();
    std::fs::copy(
        format!("{}.seal-key", bulk.display()),
        format!("{}.seal-key", path.display()),
    )
    .unwrap();
    let mut j = Journal::open(&path).unwrap();
    let t = Instant::now();
    j.append_audit_steps(YEAR_OF_COMMITS, "bench").unwrap();
    println!(
        "added {YEAR_OF_COMMITS} sealed commits (audit row + chain entry each) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    path
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep it quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("journal bench: run with `cargo bench --bench journal`");
        return;
    }
    let parts: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    if run("commits") {
        commit_costs();
    }
    if run("lookups") || run("verify") || run("year") {
        let path = big_journal();
        if run("lookups") {
            lookups(&path);
        }
        if run("verify") {
            verify_big(&path, "1 M imported sales");
        }
        if run("year") {
            let year = year_journal(&path);
            verify_big(&year, "1 M sales + a year's chain");
        }
    }
}
