//! A JKoPay payment in doubt is settled by Cancel, which carries the same
//! fields as the Payment, the customer's CardToken included (NOTES.md §1).
//! `till pay` is SIGKILLed while its Cancel is out; `till recover` then
//! cancels with the original CardToken, which the journal held sealed (no
//! plaintext, key outside the journal) only until the attempt settled.
//!
//! The test owns a proxy in front of the JKoPay simulator that records
//! every Cancel body and, in the first run, holds the Cancel so the kill
//! lands there (no sleeps).

#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::cli_support::plain_locale;
use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use till::config::{self, Config};
use till::journal::{AttemptState, Journal};
use till::sim::{SimHandles, Simulators};
use tokio::sync::mpsc;

const TOKEN: &str = "22J111111111111111";

#[derive(Clone)]
struct Proxy {
    hold_cancel: bool,
    upstream: String,
    cancels: Arc<Mutex<Vec<serde_json::Value>>>,
    held: mpsc::UnboundedSender<()>,
}

async fn proxy(State(p): State<Proxy>, uri: Uri, body: String) -> (axum::http::StatusCode, String) {
    let path = uri.path().to_string();
    if path == "/Cancel" {
        p.cancels
            .lock()
            .unwrap()
            .push(serde_json::from_str(&body).unwrap_or_default());
        if p.hold_cancel {
            let _ = p.held.send(());
            return std::future::pending().await;
        }
    }
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let resp = http
        .post(format!("{}{}", p.upstream, path.trim_start_matches('/')))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = axum::http::StatusCode::from_u16(resp.status().as_u16()).unwrap();
    (status, resp.text().await.unwrap())
}

async fn start_proxy(p: Proxy) -> String {
    let app = Router::new().fallback(proxy).with_state(p);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

fn write_config(path: &Path, sims: &SimHandles, jkopay_base: &str, journal: &Path) {
    let mut cfg: Config = sims.demo_config();
    let j = cfg.gateways.jkopay.as_mut().unwrap();
    j.base_url = jkopay_base.to_string();
    j.timeout_secs = 1;
    cfg.journal.path = Some(journal.to_path_buf());
    config::create_private(path, &toml::to_string(&cfg).unwrap()).unwrap();
}

fn till(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_till"));
    plain_locale(&mut c);
    c.arg("--config").arg(config).env_remove("TILL_CONFIG");
    c
}

/// Every byte of the journal: the file and, if any, its WAL.
fn journal_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let wal = path.with_extension("sqlite3-wal");
    if let Ok(w) = std::fs::read(wal) {
        bytes.extend(w);
    }
    bytes
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn sealed_rows(path: &Path) -> Vec<Vec<u8>> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut s = c.prepare("SELECT sealed FROM sealed_codes").unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recovery_cancel_after_a_kill_carries_the_original_card_token() {
    let sims = Simulators::start_all().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    let cancels = Arc::new(Mutex::new(Vec::new()));
    let (held_tx, mut held) = mpsc::unbounded_channel();
    let upstream = sims.jkopay.server.base_url();
    let holding = start_proxy(Proxy {
        hold_cancel: true,
        upstream: upstream.clone(),
        cancels: cancels.clone(),
        held: held_tx.clone(),
    })
    .await;
    let recording = start_proxy(Proxy {
        hold_cancel: false,
        upstream,
        cancels: cancels.clone(),
        held: held_tx,
    })
    .await;
    let first = dir.path().join("first.toml");
    let second = dir.path().join("second.toml");
    write_config(&first, &sims, &holding, &journal);
    write_config(&second, &sims, &recording, &journal);

    // 7001: JKoPay charges and holds its answer; the till times out after
    // 1 s and cancels; the proxy holds that Cancel; the till is killed.
    let mut child = till(&first)
        .args(["pay", "--amount", "7001", "--barcode", TOKEN])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(60), held.recv())
        .await
        .expect("the Cancel went out")
        .unwrap();
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();

    let trade = {
        let j = Journal::open(&journal).unwrap();
        let open = j.unresolved_attempts().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].state, AttemptState::Cancelling);
        open[0].trade_no.clone()
    };
    // While in doubt the journal holds the token, sealed: never in the clear.
    let sealed = sealed_rows(&journal);
    assert_eq!(sealed.len(), 1, "kept while the attempt is unsettled");
    assert!(!contains(&journal_bytes(&journal), TOKEN.as_bytes()));

    let out = tokio::task::spawn_blocking(move || {
        till(&second).args(["recover", "--json"]).output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = Journal::open(&journal).unwrap();
    assert_eq!(
        j.attempt(&trade).unwrap().unwrap().state,
        AttemptState::Cancelled
    );
    assert!(
        sims.jkopay
            .ledger
            .charges_for(&trade.to_string())
            .is_empty()
    );
    drop(j);

    // Both Cancels, the killed one and the recovery's, carried the token.
    let cancels = cancels.lock().unwrap().clone();
    assert!(cancels.len() >= 2, "{cancels:?}");
    for c in &cancels {
        assert_eq!(c["CardToken"], TOKEN, "the original CardToken");
        assert_eq!(c["MerchantTradeNo"], trade.to_string());
    }

    // Settled: the sealed token is gone, from the table and the file bytes.
    assert!(sealed_rows(&journal).is_empty());
    let bytes = journal_bytes(&journal);
    assert!(
        !contains(&bytes, &sealed[0]),
        "the sealed bytes were overwritten"
    );
    assert!(!contains(&bytes, TOKEN.as_bytes()));
}

/// Without the merchant key the token was sealed with (the key changed),
/// no Cancel goes out with a made-up token: the attempt waits for a
/// manager (`till settle`) with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_sealing_key_no_cancel_is_sent_with_a_made_up_token() {
    let sims = Simulators::start_all().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    let cancels = Arc::new(Mutex::new(Vec::new()));
    let (held_tx, mut held) = mpsc::unbounded_channel();
    let holding = start_proxy(Proxy {
        hold_cancel: true,
        upstream: sims.jkopay.server.base_url(),
        cancels: cancels.clone(),
        held: held_tx,
    })
    .await;
    let first = dir.path().join("first.toml");
    write_config(&first, &sims, &holding, &journal);
    let mut child = till(&first)
        .args(["pay", "--amount", "7001", "--barcode", TOKEN])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(60), held.recv())
        .await
        .expect("the Cancel went out")
        .unwrap();
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();

    // The same shop, its JKoPay merchant key since replaced.
    let second = dir.path().join("second.toml");
    let mut cfg: Config = toml::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    let j = cfg.gateways.jkopay.as_mut().unwrap();
    j.base_url = sims.jkopay.server.base_url();
    j.merchant_key = till::secret::Secret::new("A-NEW-MERCHANT-KEY-0000000000000");
    config::create_private(&second, &toml::to_string(&cfg).unwrap()).unwrap();
    let before = sims.jkopay.ledger.requests();
    let out = tokio::task::spawn_blocking(move || {
        till(&second).args(["recover", "--json"]).output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "left in doubt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sims.jkopay.ledger.requests(), before, "no Cancel was sent");
    let j = Journal::open(&journal).unwrap();
    let open = j.unresolved_attempts().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].state, AttemptState::Cancelling);
    assert_eq!(
        open[0].last_error.as_deref(),
        Some(till::terminal::payment::NO_CARD_TOKEN)
    );
}
