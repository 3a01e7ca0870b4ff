//! SIGKILL the real `till pay` at a known stage, then `till recover`: the
//! simulator's own ledger and the journal must agree, with one charge or none.
//!
//! The stage is known without sleeps: `till pay` talks to JKoPay through a
//! proxy this test owns, which reports each request and can hold it.
//!   before send  — the proxy holds `/Payment` without forwarding: JKoPay never saw it.
//!   after send   — the proxy forwards `/Payment` (JKoPay charges) and swallows the answer.
//!   mid-cancel   — the payment times out (SLOW), then the proxy holds `/Cancel`.
//! `till recover` then talks to the simulator directly.
//!
//! One more stage needs a hook inside till, since from outside "the answer
//! arrived" and "the answer was journaled" look the same:
//!   answered, not journaled — with `TILL_TEST_HOLD_AFTER_ANSWER` (debug
//!   builds only) `till pay` stops right after the gateway's answer, prints
//!   the hook's line on stderr and waits; the test SIGKILLs it on that line.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::cli_support::plain_locale;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use till::config::{self, Config};
use till::journal::{AttemptState, Journal};
use till::sim::{SimHandles, Simulators};
use till::terminal::payment::CRASH_HOOK_MARK;
use tokio::sync::mpsc;

const TOKEN: &str = "22J111111111111111";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    BeforeSend,
    AfterSend,
    MidCancel,
    /// Hold the `n`-th request (0-based) `till pay` makes, before it reaches
    /// the gateway or (`forwarded`) after the gateway processed it.
    Nth {
        n: usize,
        forwarded: bool,
    },
    /// Forward everything (the proxy counts the requests).
    PassThrough,
}

#[derive(Clone)]
struct Proxy {
    stage: Stage,
    upstream: String,
    seen: mpsc::UnboundedSender<&'static str>,
    count: Arc<AtomicUsize>,
}

async fn forward(
    p: &Proxy,
    path: &str,
    headers: &HeaderMap,
    body: String,
) -> (axum::http::StatusCode, String) {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_string();
    let resp = http
        .post(format!("{}{}", p.upstream, path.trim_start_matches('/')))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = axum::http::StatusCode::from_u16(resp.status().as_u16()).unwrap();
    (status, resp.text().await.unwrap())
}

async fn proxy(
    State(p): State<Proxy>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> (axum::http::StatusCode, String) {
    let path = uri.path().to_string();
    let i = p.count.fetch_add(1, Ordering::SeqCst);
    match (p.stage, path.as_str()) {
        (Stage::BeforeSend, "/Payment") => {
            let _ = p.seen.send("payment held");
            std::future::pending().await
        }
        (Stage::AfterSend, "/Payment") => {
            let _ = forward(&p, &path, &headers, body).await;
            let _ = p.seen.send("payment answered, answer swallowed");
            std::future::pending().await
        }
        (Stage::MidCancel, "/Cancel") => {
            let _ = p.seen.send("cancel held");
            std::future::pending().await
        }
        (Stage::Nth { n, forwarded }, _) if n == i => {
            if forwarded {
                let _ = forward(&p, &path, &headers, body).await;
            }
            let _ = p.seen.send("request held");
            std::future::pending().await
        }
        _ => forward(&p, &path, &headers, body).await,
    }
}

async fn start_proxy(
    stage: Stage,
    upstream: String,
) -> (
    String,
    mpsc::UnboundedReceiver<&'static str>,
    Arc<AtomicUsize>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let count = Arc::new(AtomicUsize::new(0));
    let app = Router::new().fallback(proxy).with_state(Proxy {
        stage,
        upstream,
        seen: tx,
        count: count.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/"), rx, count)
}

fn write_config(path: &Path, sims: &SimHandles, jkopay_base: &str, journal: &Path) {
    write_config_via(path, sims, Via::JkoPay(jkopay_base.into()), journal)
}

/// Which gateway's address the config points elsewhere (at a proxy).
#[derive(Clone)]
enum Via {
    JkoPay(String),
    MyPay(String),
}

fn write_config_via(path: &Path, sims: &SimHandles, via: Via, journal: &Path) {
    let mut cfg: Config = sims.demo_config();
    let j = cfg.gateways.jkopay.as_mut().unwrap();
    j.timeout_secs = 1;
    let m = cfg.gateways.mypay.as_mut().unwrap();
    m.timeout_secs = 1;
    match via {
        Via::JkoPay(base) => cfg.gateways.jkopay.as_mut().unwrap().base_url = base,
        Via::MyPay(base) => cfg.gateways.mypay.as_mut().unwrap().base_url = base,
    }
    cfg.journal.path = Some(journal.to_path_buf());
    let _ = std::fs::remove_file(path);
    config::create_private(path, &toml::to_string(&cfg).unwrap()).unwrap();
}

fn till(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_till"));
    plain_locale(&mut c);
    c.arg("--config").arg(config).env_remove("TILL_CONFIG");
    c
}

/// What a crash left and what recovery made of it.
struct Crash {
    /// The attempt's state as the crash left it.
    crashed: AttemptState,
    /// Charges standing in the simulator's own ledger after recovery.
    charges: usize,
    /// The attempt's state after recovery.
    after: AttemptState,
    trade: String,
    /// The simulator's ledger, to count the requests it received.
    ledger: till::sim::Ledger,
}

async fn crash_and_recover(stage: Stage, amount: i64) -> Crash {
    let sims = Simulators::start_all().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    let (proxy_url, mut seen, _) = start_proxy(stage, sims.jkopay.server.base_url()).await;
    let proxied = dir.path().join("proxied.toml");
    let direct = dir.path().join("direct.toml");
    write_config(&proxied, &sims, &proxy_url, &journal);
    write_config(&direct, &sims, &sims.jkopay.server.base_url(), &journal);

    let mut child = till(&proxied)
        .args([
            "pay",
            "--amount",
            &amount.to_string(),
            "--barcode",
            TOKEN,
            "--json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the proxy to say the stage is reached (a safety limit only).
    tokio::time::timeout(Duration::from_secs(30), seen.recv())
        .await
        .expect("the stage was reached")
        .unwrap();
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();

    let (trade, crashed_state) = {
        let j = Journal::open(&journal).unwrap();
        let open = j.unresolved_attempts().unwrap();
        assert_eq!(open.len(), 1, "one attempt left in doubt");
        (open[0].trade_no.clone(), open[0].state)
    };

    let out = tokio::task::spawn_blocking(move || {
        till(&direct).args(["recover", "--json"]).output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0),
        "recover: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = Journal::open(&journal).unwrap();
    assert!(j.unresolved_attempts().unwrap().is_empty());
    let rec = j.attempt(&trade).unwrap().unwrap();
    let charges = sims.jkopay.ledger.charges_for(&trade.to_string()).len();
    Crash {
        crashed: crashed_state,
        charges,
        after: rec.state,
        trade: trade.to_string(),
        ledger: sims.jkopay.ledger.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_the_payment_reached_jkopay() {
    let c = crash_and_recover(Stage::BeforeSend, 250).await;
    assert_eq!(c.crashed, AttemptState::Sending);
    assert_eq!(c.after, AttemptState::Cancelled);
    assert_eq!(c.charges, 0);
    // JKoPay never saw the payment, and recover did not send it.
    assert_eq!(c.ledger.calls("Payment", &c.trade), 0);
    assert!(c.ledger.calls("Cancel", &c.trade) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_jkopay_charged_is_cancelled_to_no_charge() {
    let c = crash_and_recover(Stage::AfterSend, 250).await;
    assert_eq!(c.crashed, AttemptState::Sending);
    assert_eq!(c.after, AttemptState::Cancelled);
    assert_eq!(c.charges, 0, "the charge JKoPay took was cancelled");
    // Cancelled, never paid again.
    assert_eq!(c.ledger.calls("Payment", &c.trade), 1);
    assert!(c.ledger.calls("Cancel", &c.trade) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_cancel_finishes_the_cancel() {
    // 7001: JKoPay charges and holds the answer; the till times out and cancels.
    let c = crash_and_recover(Stage::MidCancel, 7001).await;
    assert_eq!(c.crashed, AttemptState::Cancelling);
    assert_eq!(c.after, AttemptState::Cancelled);
    assert_eq!(c.charges, 0);
    assert_eq!(c.ledger.calls("Payment", &c.trade), 1);
    // The held Cancel never reached JKoPay; recover's did.
    assert!(c.ledger.calls("Cancel", &c.trade) >= 1);
}

/// `till pay` killed after the gateway answered, before the answer was
/// journaled; then `till recover`. Returns the state left by the crash,
/// the standing charges in the simulator's own ledger (its `ledger` is
/// picked by `ledger`) and the state after recovery.
async fn killed_after_the_answer(
    barcode: &str,
    amount: i64,
    ledger: impl Fn(&SimHandles) -> &till::sim::Ledger,
) -> Crash {
    let sims = Simulators::start_all().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    let config = dir.path().join("till.toml");
    write_config(&config, &sims, &sims.jkopay.server.base_url(), &journal);

    let mut child = till(&config)
        .args(["pay", "--amount", &amount.to_string(), "--barcode", barcode])
        .env("TILL_TEST_HOLD_AFTER_ANSWER", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // Read stderr until the hook says the answer is in (a safety limit only).
    let reached = tokio::task::spawn_blocking(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.starts_with(CRASH_HOOK_MARK))
    });
    let reached = tokio::time::timeout(Duration::from_secs(60), reached)
        .await
        .expect("the hook was reached")
        .unwrap();
    assert!(reached, "till pay ended without reaching the hook");
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();

    let (trade, crashed_state) = {
        let j = Journal::open(&journal).unwrap();
        let open = j.unresolved_attempts().unwrap();
        assert_eq!(open.len(), 1, "one attempt left in doubt");
        (open[0].trade_no.clone(), open[0].state)
    };
    // The answer was in: the gateway has the charge.
    assert_eq!(ledger(&sims).charges_for(&trade.to_string()).len(), 1);

    let out = tokio::task::spawn_blocking(move || {
        till(&config).args(["recover", "--json"]).output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0),
        "recover: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = Journal::open(&journal).unwrap();
    assert!(j.unresolved_attempts().unwrap().is_empty());
    let rec = j.attempt(&trade).unwrap().unwrap();
    let charges = ledger(&sims).charges_for(&trade.to_string());
    if rec.state == AttemptState::Approved {
        assert_eq!(
            rec.gateway_trade_no.as_deref(),
            Some(charges[0].gateway_trade_no.as_str()),
            "the journal books the gateway's one charge"
        );
        assert_eq!(rec.amount.dollars(), amount);
        assert_eq!(charges[0].amount, rec.amount, "money taken = money booked");
    }
    Crash {
        crashed: crashed_state,
        charges: charges.len(),
        after: rec.state,
        trade: trade.to_string(),
        ledger: ledger(&sims).clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jkopay_answered_but_not_journaled_is_cancelled_not_charged_twice() {
    let c = killed_after_the_answer(TOKEN, 260, |s| &s.jkopay.ledger).await;
    assert_eq!(c.crashed, AttemptState::Sending);
    // JKoPay's rule for a result the till does not know: Cancel, same
    // MerchantTradeNo. The charge it had taken is cancelled; none is added.
    assert_eq!(c.after, AttemptState::Cancelled);
    assert_eq!(c.charges, 0);
    assert_eq!(c.ledger.calls("Payment", &c.trade), 1, "never paid twice");
    assert!(c.ledger.calls("Cancel", &c.trade) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mypay_killed_in_sending_is_settled_by_querydirect_with_one_charge() {
    let c = killed_after_the_answer("PI7E3A60BD8C8F23F7", 270, |s| &s.mypay.ledger).await;
    assert_eq!(c.crashed, AttemptState::Sending);
    // MyPay's rule: ask api/querydirect, never pay again. The payment
    // stands, booked once.
    assert_eq!(c.after, AttemptState::Approved);
    assert_eq!(c.charges, 1);
    assert_eq!(c.ledger.calls("api/transaction", &c.trade), 1);
    assert!(c.ledger.calls("api/querydirect", &c.trade) >= 1);
}

/// Where a seeded kill lands: `till pay` of `amount` is SIGKILLed while the
/// proxy holds its `request`-th HTTP request (0-based), before the gateway
/// saw it or, `forwarded`, after the gateway processed it; or, `after_answer`,
/// at the hook between the gateway's answer and the journal write.
#[derive(Debug, Clone, Copy)]
struct KillPoint {
    amount: i64,
    request: usize,
    forwarded: bool,
    after_answer: bool,
}

/// Kill `till pay` at seeded points, each followed by `till recover`, all in
/// one journal, then hold the books against the simulator's own ledger:
/// nothing left in doubt, a charge stands exactly when the journal says
/// Approved (with the gateway's own number and amount), and the gateway
/// holds no charge the journal does not know.
///
/// The kill point comes from the seed alone: an amount (approved, declined,
/// a server error…), the request to hold and whether the gateway gets it
/// first, drawn among the requests an undisturbed `till pay` of that amount
/// makes (a count, the same every run), or the after-answer hook. The proxy
/// says when the request is held, so no duration is measured or slept and
/// a run replays exactly from `TILL_CRASH_SEED`. Every kill must leave an
/// attempt in doubt that `till recover` then settles: a run that exercised
/// no recovery fails.
async fn killed_at_seeded_points(
    barcode: &str,
    amounts: &[i64],
    gateway: fn(&SimHandles) -> (&till::sim::Server, &till::sim::Ledger),
    via: fn(String) -> Via,
) {
    use rand::{Rng, SeedableRng};
    const KILLS: usize = 10;
    let seed: u64 = std::env::var("TILL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("TILL_CRASH_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let sims = Simulators::start_all().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    let direct = dir.path().join("direct.toml");
    let upstream = gateway(&sims).0.base_url();
    write_config_via(&direct, &sims, via(upstream.clone()), &journal);
    let pay = |config: &Path, amount: i64| {
        let mut c = till(config);
        c.args(["pay", "--amount", &amount.to_string(), "--barcode", barcode])
            .stdout(Stdio::null());
        c
    };

    // How many requests an undisturbed payment of each amount makes.
    let mut requests = Vec::new();
    for (i, &amount) in amounts.iter().enumerate() {
        let (url, _, count) = start_proxy(Stage::PassThrough, upstream.clone()).await;
        let cfg = dir.path().join(format!("count{i}.toml"));
        write_config_via(&cfg, &sims, via(url.clone()), &journal);
        let mut c = pay(&cfg, amount);
        let status = tokio::task::spawn_blocking(move || c.stderr(Stdio::null()).status())
            .await
            .unwrap()
            .unwrap();
        assert!(status.code().is_some(), "an undisturbed till pay ends");
        requests.push(count.load(Ordering::SeqCst));
        assert!(requests[i] > 0, "a payment of {amount} asks the gateway");
    }
    eprintln!("requests per undisturbed payment of {amounts:?}: {requests:?}");

    for round in 0..KILLS {
        let which = rng.random_range(0..amounts.len());
        let slot = rng.random_range(0..=2 * requests[which]);
        let point = KillPoint {
            amount: amounts[which],
            request: slot / 2,
            forwarded: slot % 2 == 1,
            after_answer: slot == 2 * requests[which],
        };
        let ctx = format!("seed {seed} round {round} {point:?}");
        let stage = if point.after_answer {
            Stage::PassThrough
        } else {
            Stage::Nth {
                n: point.request,
                forwarded: point.forwarded,
            }
        };
        let (url, mut seen, _) = start_proxy(stage, upstream.clone()).await;
        let cfg = dir.path().join("proxied.toml");
        write_config_via(&cfg, &sims, via(url.clone()), &journal);
        let mut cmd = pay(&cfg, point.amount);
        cmd.stderr(Stdio::piped());
        if point.after_answer {
            cmd.env("TILL_TEST_HOLD_AFTER_ANSWER", "1");
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        if point.after_answer {
            let reached = tokio::task::spawn_blocking(move || {
                BufReader::new(stderr)
                    .lines()
                    .map_while(Result::ok)
                    .any(|l| l.starts_with(CRASH_HOOK_MARK))
            });
            let reached = tokio::time::timeout(Duration::from_secs(60), reached)
                .await
                .unwrap_or_else(|_| panic!("{ctx}: the hook was reached"))
                .unwrap();
            assert!(reached, "{ctx}: till pay ended without reaching the hook");
        } else {
            // A safety limit only: the proxy says when the request is held.
            tokio::time::timeout(Duration::from_secs(60), seen.recv())
                .await
                .unwrap_or_else(|_| panic!("{ctx}: the request was reached"))
                .unwrap();
            drop(stderr);
        }
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        child.wait().unwrap();
        let in_doubt = Journal::open(&journal)
            .unwrap()
            .unresolved_attempts()
            .unwrap();
        assert_eq!(
            in_doubt.len(),
            1,
            "{ctx}: the kill left one attempt in doubt"
        );

        let cfg = direct.clone();
        let out = tokio::task::spawn_blocking(move || {
            till(&cfg).args(["recover", "--json"]).output().unwrap()
        })
        .await
        .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{ctx}: recover: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let settled: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            settled.len(),
            1,
            "{ctx}: recover settled what the kill left: {settled:?}"
        );
        assert_eq!(
            settled[0]["trade_no"].as_str(),
            Some(in_doubt[0].trade_no.to_string().as_str()),
            "{ctx}"
        );
        eprintln!(
            "{ctx}: left {}, recover settled it as {}",
            in_doubt[0].state, settled[0]["state"]
        );
    }

    let j = Journal::open(&journal).unwrap();
    assert!(
        j.unresolved_attempts().unwrap().is_empty(),
        "nothing left in doubt (seed {seed})"
    );
    let attempts = j
        .search_attempts(&till::journal::AttemptQuery {
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    let ledger = gateway(&sims).1;
    for a in &attempts {
        let standing = ledger.charges_for(&a.trade_no.to_string());
        assert!(
            standing.len() <= 1,
            "{} charged twice (seed {seed})",
            a.trade_no
        );
        if a.state == AttemptState::Approved {
            assert_eq!(
                standing.len(),
                1,
                "{} approved but not charged (seed {seed})",
                a.trade_no
            );
            assert_eq!(
                a.gateway_trade_no.as_deref(),
                Some(standing[0].gateway_trade_no.as_str())
            );
            assert_eq!(standing[0].amount, a.amount);
        } else {
            assert!(
                standing.is_empty(),
                "{} is {:?} in the journal but charged (seed {seed})",
                a.trade_no,
                a.state
            );
        }
    }
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for a in &attempts {
        *tally.entry(format!("{:?}", a.state)).or_default() += 1;
    }
    eprintln!("outcomes (undisturbed runs included): {tally:?}");
    let known: std::collections::HashSet<String> =
        attempts.iter().map(|a| a.trade_no.to_string()).collect();
    for c in ledger.all().iter().filter(|c| !c.cancelled) {
        assert!(
            known.contains(&c.trade_no),
            "the gateway holds a charge the journal does not know: {} (seed {seed})",
            c.trade_no
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jkopay_killed_at_seeded_points_never_charges_twice_or_loses_a_charge() {
    // Approved, declined (928 insufficient balance).
    killed_at_seeded_points(
        TOKEN,
        &[250, 9928],
        |s| (&s.jkopay.server, &s.jkopay.ledger),
        Via::JkoPay,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mypay_killed_at_seeded_points_never_charges_twice_or_loses_a_charge() {
    // Approved, declined (300), HTTP 500 before processing.
    killed_at_seeded_points(
        "PI7E3A60BD8C8F23F7",
        &[270, 9300, 7003],
        |s| (&s.mypay.server, &s.mypay.ledger),
        Via::MyPay,
    )
    .await;
}
