//! A dishonest insider with the journal file and an SQLite shell (here
//! rusqlite on the file, as the sqlite3 shell would do it): every edit,
//! delete, insert, replay and truncation makes `till journal verify` exit 1
//! and name the table, the row and what changed. Issue #21.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cli_support::plain_locale;
use chrono::NaiveDate;
use rusqlite::Connection;
use till::Ntd;
use till::journal::{AttemptState, Detail, Journal, MaskedCode, Role, SealKey};
use till::sale::{
    AttemptKind, Cart, GatewayId, Line, PayMethod, RefundRequest, TerminalId, Wallet,
};
use till::secret::Secret;

const JKO: PayMethod = PayMethod::Wallet(Wallet::JkoPay);

fn t01() -> TerminalId {
    "T01".parse().unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn cart(name: &str, qty: u32, price: i64) -> Cart {
    let mut c = Cart::new();
    c.add(Line::new("4710000000028", name, qty, Ntd::new(price)).unwrap())
        .unwrap();
    c
}

/// A small shop's day, as `till` writes it:
/// sale 1 NT$85 paid by JKoPay (trade no JK0001), sale 2 NT$120 declined,
/// sale 3 NT$50 cash, sale 4 NT$200 paid and NT$80 refunded, sale 5 NT$60
/// cash; a manager and a cashier with PINs.
struct Shop {
    _dir: tempfile::TempDir,
    journal: PathBuf,
    key: PathBuf,
}

fn pay(j: &mut Journal, sale: &till::sale::SaleNo, amount: i64, outcome: AttemptState, no: &str) {
    let code = MaskedCode::mask("22J111111111111111");
    let t = j
        .begin_attempt(
            sale,
            AttemptKind::Payment,
            Some(GatewayId::JkoPay),
            JKO,
            Ntd::new(amount),
            Some(&code),
        )
        .unwrap();
    j.transition(&t, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&t, outcome, Detail::new().gateway_trade_no(no))
        .unwrap();
}

fn cash(j: &mut Journal, sale: &till::sale::SaleNo, amount: i64) {
    let t = j
        .begin_attempt(
            sale,
            AttemptKind::Payment,
            None,
            PayMethod::Cash,
            Ntd::new(amount),
            None,
        )
        .unwrap();
    j.transition(&t, AttemptState::Approved, Detail::new())
        .unwrap();
}

fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    let mut j = Journal::open(&journal).unwrap();
    j.add_user("amy", Role::Manager, &Secret::new("2468"), "setup")
        .unwrap();
    j.add_user("bo", Role::Cashier, &Secret::new("1357"), "amy")
        .unwrap();
    let s1 = j
        .new_sale(&t01(), day(), "bo", &cart("拿鐵", 1, 85))
        .unwrap();
    pay(&mut j, &s1, 85, AttemptState::Approved, "JK0001");
    let s2 = j
        .new_sale(&t01(), day(), "bo", &cart("蛋糕", 1, 120))
        .unwrap();
    pay(&mut j, &s2, 120, AttemptState::Declined, "JK0002");
    let s3 = j.new_sale(&t01(), day(), "bo", &cart("茶", 2, 25)).unwrap();
    cash(&mut j, &s3, 50);
    let s4 = j
        .new_sale(&t01(), day(), "bo", &cart("便當", 2, 100))
        .unwrap();
    pay(&mut j, &s4, 200, AttemptState::Approved, "JK0004");
    let (r, _) = j
        .begin_refund(
            &s4,
            &RefundRequest::Amount(Ntd::new(80)),
            Some(GatewayId::JkoPay),
            JKO,
        )
        .unwrap();
    j.transition(&r, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&r, AttemptState::Approved, Detail::new())
        .unwrap();
    let s5 = j.new_sale(&t01(), day(), "bo", &cart("水", 1, 60)).unwrap();
    cash(&mut j, &s5, 60);
    drop(j);
    let key = SealKey::default_path(&journal);
    Shop {
        _dir: dir,
        journal,
        key,
    }
}

fn verify(shop: &Shop, extra: &[&str]) -> (Output, String) {
    let out = plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
        .args(["journal", "verify", "--journal"])
        .arg(&shop.journal)
        .arg("--key")
        .arg(&shop.key)
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

/// The insider's shell on the file.
fn tamper(shop: &Shop, sql: &str) {
    let conn = Connection::open(&shop.journal).unwrap();
    // As in the sqlite3 shell, where foreign keys are off.
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn.execute_batch(sql).unwrap();
}

/// Verify must fail (exit 1) and say each of `names`.
fn caught(shop: &Shop, names: &[&str]) -> String {
    let (out, text) = verify(shop, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "verify passed a tampered journal:\n{text}"
    );
    for n in names {
        assert!(text.contains(n), "{n:?} not named in:\n{text}");
    }
    text
}

#[test]
fn an_untouched_journal_verifies() {
    let shop = shop();
    let (out, text) = verify(&shop, &[]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("journal intact"), "{text}");
}

#[test]
fn a_paid_total_changed_from_85_to_8500() {
    let shop = shop();
    tamper(
        &shop,
        "UPDATE sales SET total = 8500, subtotal = 8500 WHERE id = 1",
    );
    caught(
        &shop,
        &["sales id 1", "total is now 8500", "subtotal is now 8500"],
    );
}

#[test]
fn a_declined_sale_set_to_paid() {
    let shop = shop();
    tamper(
        &shop,
        "UPDATE attempts SET state = 'approved' WHERE state = 'declined';
         UPDATE sales SET status = 'paid', paid = total WHERE id = 2;",
    );
    let text = caught(
        &shop,
        &["attempts id 2", "state is now approved", "sales id 2"],
    );
    assert!(text.contains("status is now paid"), "{text}");
}

#[test]
fn an_attempt_amount_state_or_trade_number_changed() {
    for (sql, said) in [
        (
            "UPDATE attempts SET amount = 8 WHERE id = 1",
            "amount is now 8",
        ),
        (
            "UPDATE attempts SET state = 'declined' WHERE id = 1",
            "state is now declined",
        ),
        (
            "UPDATE attempts SET gateway_trade_no = 'JK9999' WHERE id = 1",
            "gateway_trade_no is now JK9999",
        ),
    ] {
        let shop = shop();
        tamper(&shop, sql);
        caught(&shop, &["attempts id 1", said]);
    }
}

#[test]
fn sale_lines_and_their_prices_changed() {
    let shop = shop();
    tamper(
        &shop,
        "UPDATE sale_lines SET unit_price = 1 WHERE sale_id = 4;
         UPDATE sale_lines SET name = '水' WHERE sale_id = 1;",
    );
    caught(
        &shop,
        &[
            "sale_lines sale_id 4, line_no 0",
            "unit_price is now 1",
            "sale_lines sale_id 1, line_no 0",
            "name is now 水",
        ],
    );
}

#[test]
fn the_last_or_a_middle_sale_deleted() {
    for id in [5, 3] {
        let shop = shop();
        tamper(
            &shop,
            &format!(
                "DELETE FROM attempt_events WHERE attempt_id IN (SELECT id FROM attempts WHERE sale_id = {id});
                 DELETE FROM attempts WHERE sale_id = {id};
                 DELETE FROM sale_lines WHERE sale_id = {id};
                 DELETE FROM sales WHERE id = {id};"
            ),
        );
        caught(&shop, &[&format!("sales id {id}: "), "sealed row deleted"]);
    }
}

#[test]
fn a_sale_deleted_together_with_its_seals() {
    // An insider who found the seals table removes them too: the table no
    // longer adds up to what the keyed chain head recorded.
    let shop = shop();
    tamper(
        &shop,
        "DELETE FROM sales WHERE id = 5;
         DELETE FROM seals WHERE tbl = 'sales' AND k1 = 5;",
    );
    caught(
        &shop,
        &[
            "sales: ",
            "rows sealed 5, now 4",
            "highest id ever sealed 5, now 4",
        ],
    );
}

#[test]
fn an_attempt_deleted() {
    let shop = shop();
    tamper(
        &shop,
        "DELETE FROM attempt_events WHERE attempt_id = 2; DELETE FROM attempts WHERE id = 2;",
    );
    caught(
        &shop,
        &["attempts id 2: ", "attempt_events id", "sealed row deleted"],
    );
}

#[test]
fn a_fake_paid_sale_inserted() {
    let shop = shop();
    tamper(
        &shop,
        "INSERT INTO sales (sale_no, terminal, business_date, seq, cashier, subtotal, discount,
                            total, paid, line_count, status, created_at)
         VALUES ('T0126112200006', 'T01', '2026-11-22', 6, 'bo', 300, 0, 300, 300, 1, 'paid',
                 '2026-11-22T18:00:00.000+08:00');",
    );
    caught(&shop, &["sales id 6 (T0126112200006)", "not sealed"]);
}

#[test]
fn a_managers_pin_hash_swapped_for_a_cashiers() {
    let shop = shop();
    tamper(
        &shop,
        "UPDATE users SET pin_hash = (SELECT pin_hash FROM users WHERE name = 'bo') WHERE name = 'amy'",
    );
    caught(&shop, &["users id 1 (amy)", "pin_hash is now"]);
}

#[test]
fn the_audit_triggers_dropped() {
    let shop = shop();
    tamper(
        &shop,
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
    );
    caught(
        &shop,
        &[
            "trigger audit_log_no_update",
            "trigger audit_log_no_delete",
            "dropped",
        ],
    );
}

#[test]
fn the_last_audit_rows_or_all_of_them_deleted_with_the_head_fixed_up() {
    let shop = shop();
    tamper(
        &shop,
        "DROP TRIGGER audit_log_no_delete;
         DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 3 FROM audit_log);
         UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_log),
                               hash = (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1);",
    );
    let text = caught(&shop, &["audit_log id", "sealed row deleted"]);
    assert_eq!(text.matches("audit_log id").count(), 3, "{text}");

    let shop = self::shop();
    tamper(
        &shop,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log; DELETE FROM audit_head;",
    );
    caught(&shop, &["audit_log id 1: ", "sealed row deleted"]);
}

#[test]
fn a_row_put_back_to_an_earlier_state_with_its_old_seal() {
    // The insider saved the attempt of sale 2 while it was sending, with its
    // seal, and after the decline puts both back. The row matches its old
    // seal, but the table no longer adds up to the chain head.
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite3");
    let mut j = Journal::open(&journal).unwrap();
    let sale = j.new_sale(&t01(), day(), "bo", &cart("茶", 1, 40)).unwrap();
    let t = j
        .begin_attempt(
            &sale,
            AttemptKind::Payment,
            Some(GatewayId::JkoPay),
            JKO,
            Ntd::new(40),
            None,
        )
        .unwrap();
    j.transition(&t, AttemptState::Sending, Detail::new())
        .unwrap();
    drop(j);
    let saved: (String, String, Vec<u8>, Vec<u8>) = Connection::open(&journal)
        .unwrap()
        .query_row(
            "SELECT a.state, a.updated_at, s.mac, s.cols
               FROM attempts a JOIN seals s ON s.tbl = 'attempts' AND s.k1 = a.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let mut j = Journal::open(&journal).unwrap();
    j.transition(&t, AttemptState::Declined, Detail::new())
        .unwrap();
    drop(j);
    let conn = Connection::open(&journal).unwrap();
    conn.execute(
        "UPDATE attempts SET state = ?1, updated_at = ?2 WHERE id = 1",
        [&saved.0, &saved.1],
    )
    .unwrap();
    conn.execute(
        "UPDATE seals SET mac = ?1, cols = ?2 WHERE tbl = 'attempts' AND k1 = 1",
        rusqlite::params![saved.2, saved.3],
    )
    .unwrap();
    drop(conn);
    let shop = Shop {
        key: SealKey::default_path(&journal),
        journal,
        _dir: dir,
    };
    caught(&shop, &["attempts: ", "put back to an earlier state"]);
}

fn copy_journal(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let src = PathBuf::from(format!("{}{suffix}", from.display()));
        if src.exists() {
            std::fs::copy(&src, format!("{}{suffix}", to.display())).unwrap();
        }
    }
}

#[test]
fn a_journal_cut_short_or_restored_from_a_copy_fails_the_anchor_of_the_last_z() {
    let shop = shop();
    let snapshot = shop.journal.with_file_name("before.sqlite3");
    copy_journal(&shop.journal, &snapshot);
    // The day goes on and closes: the Z slip prints the anchor.
    let mut j = Journal::open(&shop.journal).unwrap();
    let s6 = j
        .new_sale(&t01(), day(), "bo", &cart("飯糰", 1, 45))
        .unwrap();
    cash(&mut j, &s6, 45);
    let z = j.close_day(&t01(), "amy").unwrap();
    drop(j);
    let anchor = z.anchor.expect("a Z carries the anchor");
    assert!(anchor.starts_with("T01-"), "{anchor}");
    let (out, text) = verify(&shop, &["--anchor", &anchor]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("matches the anchor"), "{text}");

    // The insider restores the morning's copy: every row, seal and the head
    // agree with each other, so only the anchor can tell.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", shop.journal.display()));
    }
    copy_journal(&snapshot, &shop.journal);
    let (out, text) = verify(&shop, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "without the anchor a consistent old copy passes: {text}"
    );
    let (out, text) = verify(&shop, &["--anchor", &anchor]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("before the anchor"), "{text}");
    assert!(
        text.contains("perpetual sales of T01 went down from 6 to 5"),
        "{text}"
    );
}

#[test]
fn an_anchor_from_another_journal_or_mistyped_is_refused() {
    let shop = shop();
    let mut j = Journal::open(&shop.journal).unwrap();
    let z = j.close_day(&t01(), "amy").unwrap();
    drop(j);
    let anchor = z.anchor.unwrap();
    // The sales figure typed one higher: the check no longer matches.
    let parts: Vec<&str> = anchor.split('-').collect();
    let sales: i64 = parts[2].parse().unwrap();
    let typo = format!(
        "{}-{}-{}-{}",
        parts[0],
        parts[1],
        sales - 1,
        parts[3..].join("-")
    );
    let (out, text) = verify(&shop, &["--anchor", &typo]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("not the one the anchor was printed from"),
        "{text}"
    );
}

#[test]
fn the_wrong_key_fails_every_seal() {
    let shop = shop();
    let other = shop.journal.with_file_name("other.key");
    std::fs::write(&other, format!("{}\n", "ab".repeat(32))).unwrap();
    let shop2 = Shop {
        _dir: tempfile::tempdir().unwrap(),
        journal: shop.journal.clone(),
        key: other,
    };
    let (out, text) = verify(&shop2, &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("seal chain entry 1 does not follow"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn the_journal_its_directory_and_the_key_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("till.toml");
    let data = dir.path().join("data/till");
    let text = till::config::EXAMPLE.replace(
        "# path = \"/var/lib/till/journal.sqlite3\"",
        &format!(
            "path = {:?}",
            data.join("journal.sqlite3").display().to_string()
        ),
    );
    till::config::create_private(&cfg_path, &text).unwrap();
    let out = plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
        .args(["journal", "verify"])
        .env("TILL_CONFIG", &cfg_path)
        .output()
        .unwrap();
    // Nothing there yet: verify says so and creates nothing.
    assert!(!out.status.success());
    assert!(!data.exists());
    let cfg = till::config::load(&cfg_path).unwrap();
    let t = till::terminal::Terminal::open(&cfg, &till::config::Source::File(cfg_path.clone()));
    drop(t.unwrap());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("journal.sqlite3")), 0o600);
    assert_eq!(mode(&data.join("journal.sqlite3.seal-key")), 0o600);
    for side in ["journal.sqlite3-wal", "journal.sqlite3-shm"] {
        if data.join(side).exists() {
            assert_eq!(mode(&data.join(side)), 0o600, "{side}");
        }
    }
}

fn demo_till(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_till"));
    plain_locale(&mut c);
    c.env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("TILL_CONFIG");
    c
}

/// What a refused call must not change: sales, audit rows, chain entries.
fn journal_figures(path: &Path) -> (i64, i64, i64) {
    let conn = Connection::open(path).unwrap();
    conn.query_row(
        "SELECT (SELECT count(*) FROM sales), (SELECT count(*) FROM audit_log),
                (SELECT coalesce(max(seq), 0) FROM seal_chain)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

#[test]
fn a_till_pay_refused_for_its_code_or_amount_leaves_the_journal_unchanged() {
    let home = tempfile::tempdir().unwrap();
    let ok = demo_till(home.path())
        .args(["pay", "--amount", "85", "--barcode", "22J111111111111111"])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let path = demo_till(home.path())
        .args(["journal", "path"])
        .output()
        .unwrap();
    let path = PathBuf::from(String::from_utf8(path.stdout).unwrap().trim());
    let before = journal_figures(&path);
    assert_eq!(before.0, 1, "the good payment is one sale");
    let long = "2".repeat(10 * 1024);
    for (amount, code) in [
        ("85", ""),
        ("85", long.as_str()),
        ("85", "22J11111\u{1}111111111"),
        ("85", "22J111111111\n111111"),
        ("0", "22J111111111111111"),
    ] {
        let out = demo_till(home.path())
            .args(["pay", "--amount", amount, "--barcode", code])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "amount {amount}, code of {} chars: {}",
            code.len(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            journal_figures(&path),
            before,
            "amount {amount}, code of {} chars left a trace",
            code.len()
        );
    }
    let (out, text) = verify(
        &Shop {
            _dir: tempfile::tempdir().unwrap(),
            key: SealKey::default_path(&path),
            journal: path.clone(),
        },
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
}

/// The Z slip prints the anchor (as text and a QR code); the code read back
/// from the printed picture checks the journal.
#[test]
fn the_z_slip_prints_the_anchor_and_verify_checks_it() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let text = till::config::EXAMPLE.replace(
        "# path = \"/var/lib/till/journal.sqlite3\"",
        &format!(
            "path = {:?}",
            dir.path().join("journal.sqlite3").display().to_string()
        ),
    );
    till::config::create_private(&cfg, &text).unwrap();
    let with_pin = |args: &[&str], pin: &str| {
        let mut child = plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
            .args(args)
            .env("TILL_CONFIG", &cfg)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{pin}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(
        with_pin(&["user", "add", "店長", "--role", "manager"], "2468")
            .status
            .success()
    );
    {
        let config = till::config::load(&cfg).unwrap();
        let mut t =
            till::terminal::Terminal::open(&config, &till::config::Source::File(cfg.clone()))
                .unwrap();
        t.sign_in("店長", &Secret::new("2468")).unwrap();
        t.cash_sale(&cart("拿鐵", 1, 85), Ntd::new(100)).unwrap();
    }
    let png = dir.path().join("z.png");
    let z = with_pin(
        &[
            "report",
            "z",
            "--manager",
            "店長",
            "--json",
            "--out",
            png.to_str().unwrap(),
        ],
        "2468",
    );
    assert!(z.status.success(), "{}", String::from_utf8_lossy(&z.stderr));
    let closed: serde_json::Value = serde_json::from_slice(&z.stdout).unwrap();
    let anchor = closed["anchor"]
        .as_str()
        .expect("the Z carries the anchor")
        .to_string();
    assert!(
        anchor.starts_with("T01-") && anchor.contains("-1-1-85-0-0-"),
        "{anchor}"
    );

    let img = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let printed: Vec<String> = prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, content)| content))
        .collect();
    assert_eq!(
        printed,
        vec![anchor.clone()],
        "the slip's QR code is the anchor"
    );

    let out = plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
        .args(["journal", "verify", "--anchor", &printed[0]])
        .env("TILL_CONFIG", &cfg)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
