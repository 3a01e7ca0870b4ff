//! Journal figures: how long one durable attempt transition takes, how
//! fast history lookups are over a million journaled sales, and how long
//! checking every seal takes (thousands of sales written one commit at a
//! time; a million imported).
//!
//! `cargo bench --bench journal`. The million-sale file is built once (one
//! bulk transaction) and cached under the target dir; delete it to rebuild.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use till::Ntd;
use till::journal::{AttemptState, Detail, ImportedSale, Journal, MaskedCode, schema};
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

/// Durable commit latency of one attempt transition (Created → Sending),
/// on a real file in the target dir.
fn commit_latency() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut j = Journal::open(dir.path().join("latency.sqlite")).unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let terminal: TerminalId = "T01".parse().unwrap();
    let code = MaskedCode::mask("22J111111111111111");
    let mut sending = Vec::new();
    let mut approved = Vec::new();
    for _ in 0..STEP_SALES {
        let c = cart(&mut rng);
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
        let t = Instant::now();
        j.transition(&trade, AttemptState::Sending, Detail::new())
            .unwrap();
        sending.push(t.elapsed());
        let t = Instant::now();
        j.transition(
            &trade,
            AttemptState::Approved,
            Detail::new()
                .gateway_trade_no("JK1")
                .with("StatusCode", "000"),
        )
        .unwrap();
        approved.push(t.elapsed());
    }
    report("transition Created→Sending (durable commit)", sending);
    report("transition Sending→Approved (+ sale update)", approved);
    // Every sale here took four commits, so the chain is as long as a
    // real day's: the untouched journal must verify in well under a second.
    let t = Instant::now();
    let seals = j.verify_seals().unwrap().unwrap();
    println!(
        "verify seals, {STEP_SALES} sales one commit at a time ({} rows, {} chain entries): {:.3} s",
        seals.rows_checked,
        seals.chain_entries,
        t.elapsed().as_secs_f64()
    );
    assert!(seals.is_intact(), "{:?}", seals.problems.first());
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

/// Check every seal and the chain of the million-sale journal (the
/// journal's rule: `journal verify` within 10 s on a year of sales).
fn verify_big(path: &PathBuf) {
    let j = Journal::open(path).unwrap();
    let t = Instant::now();
    let seals = j.verify_seals().unwrap().unwrap();
    println!(
        "verify seals, {SALES} imported sales ({} rows, {} chain entries): {:.2} s",
        seals.rows_checked,
        seals.chain_entries,
        t.elapsed().as_secs_f64()
    );
    assert!(seals.is_intact(), "{:?}", seals.problems.first());
    let t = Instant::now();
    let audit = j.verify_audit().unwrap();
    println!(
        "verify audit chain ({} rows): {:.2} s",
        audit.rows,
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep it quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("journal bench: run with `cargo bench --bench journal`");
        return;
    }
    commit_latency();
    let path = big_journal();
    lookups(&path);
    verify_big(&path);
}
