//! The journal on a full disk and on a read-only filesystem: the sale in
//! progress fails with a clear message before any gateway is called,
//! nothing is half written, and once space returns the journal is
//! consistent (`till journal verify` exits 0) and the sale can be paid.
//!
//! The filesystem is a real size-limited tmpfs the test mounts, which
//! needs root (CI runs as root). Without it the test says so and stops.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::cli_support::plain_locale;
use till::config::{self, Config};
use till::money::Ntd;
use till::sale::{Cart, Line, SaleNo};
use till::sim::Simulators;
use till::terminal::{Payments, ResolvePolicy, Tender, Terminal};

const TOKEN: &str = "22J111111111111111";

/// A tmpfs of `size` mounted on a temporary directory, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700")])
            .arg("tmpfs")
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, how: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(self.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Writes a file until the disk says it is full.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        loop {
            match f.write_all(&chunk) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        // Whatever is buffered cannot go anywhere either.
        let _ = f.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).output();
    }
}

fn quick() -> ResolvePolicy {
    ResolvePolicy {
        cancel_tries: 3,
        polls: 2,
        retry_interval: Duration::from_millis(20),
        tick: Duration::from_millis(200),
    }
}

fn sale(till: &mut Terminal, total: i64) -> Result<SaleNo, till::terminal::PayError> {
    let mut cart = Cart::new();
    cart.add(Line::new("4710000000028", "拿鐵 Latte", 1, Ntd::new(total)).unwrap())
        .unwrap();
    till.open_sale_as(&cart, "test")
}

fn jko() -> Tender {
    Tender::Scan(TOKEN.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_or_read_only_journal_disk_stops_the_sale_before_the_gateway_and_recovers() {
    let Some(disk) = SmallDisk::mount("2m") else {
        eprintln!("SKIPPED: mounting a tmpfs needs root; CI runs this as root");
        return;
    };
    let sims = Simulators::start_all().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let journal = disk.path().join("journal.sqlite3");
    let mut cfg: Config = sims.demo_config();
    cfg.journal.path = Some(journal.clone());
    let cfg_path = home.path().join("till.toml");
    config::create_private(&cfg_path, &toml::to_string(&cfg).unwrap()).unwrap();
    let payments = Payments::from_config(&cfg).unwrap().with_policy(quick());

    let mut till = Terminal::open_at(&cfg, &journal, false).unwrap();
    let first = sale(&mut till, 120).unwrap();
    let paid = till
        .pay(&payments, &first, jko(), Ntd::new(120), vec![])
        .await
        .unwrap();
    assert!(paid.state.is_final(), "{}", paid.message);
    let pending = sale(&mut till, 260).unwrap();

    // The disk fills up.
    let filler = disk.fill();
    let asked = sims.jkopay.ledger.requests();
    let err = till
        .pay(&payments, &pending, jko(), Ntd::new(260), vec![])
        .await
        .expect_err("a payment on a full disk");
    let msg = err.to_string();
    assert!(
        msg.contains("磁碟已滿或唯讀") && msg.contains("disk full or read-only"),
        "the cashier is told it is the disk: {msg}"
    );
    assert_eq!(
        sims.jkopay.ledger.requests(),
        asked,
        "no gateway was called"
    );
    let err = sale(&mut till, 50).expect_err("a new sale on a full disk");
    assert!(err.to_string().contains("disk full or read-only"), "{err}");
    drop(till);

    // Read-only (a failing card remounted so, say): the next start or the
    // first write says so, and still nothing is sent.
    disk.remount("ro");
    match Terminal::open_at(&cfg, &journal, false) {
        Err(e) => assert!(e.to_string().contains("disk full or read-only"), "{e}"),
        Ok(mut t) => {
            let err = t
                .pay(&payments, &pending, jko(), Ntd::new(260), vec![])
                .await
                .expect_err("a payment on a read-only journal");
            assert!(err.to_string().contains("disk full or read-only"), "{err}");
        }
    }
    assert_eq!(
        sims.jkopay.ledger.requests(),
        asked,
        "no gateway was called"
    );

    // Space returns.
    disk.remount("rw");
    std::fs::remove_file(filler).unwrap();
    let verify = plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
        .arg("--config")
        .arg(&cfg_path)
        .args(["journal", "verify"])
        .env_remove("TILL_CONFIG")
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "till journal verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );

    let mut till = Terminal::open_at(&cfg, &journal, false).unwrap();
    let detail = till.journal().sale_detail(&pending).unwrap().unwrap();
    assert!(
        detail.payments.is_empty(),
        "no half-written attempt: {:?}",
        detail.payments
    );
    assert_eq!(detail.summary.paid, Ntd::ZERO);
    let before = till.journal().sale_detail(&first).unwrap().unwrap();
    assert_eq!(before.summary.paid, Ntd::new(120), "the earlier sale kept");
    let res = till
        .pay(&payments, &pending, jko(), Ntd::new(260), vec![])
        .await
        .unwrap();
    assert!(res.state.is_final(), "{}", res.message);
    let after = till.journal().sale_detail(&pending).unwrap().unwrap();
    assert_eq!(
        after.summary.paid,
        Ntd::new(260),
        "paid once space returned"
    );
}
