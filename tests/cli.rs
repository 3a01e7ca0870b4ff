//! The `till` binary as a script or support engineer uses it.

use crate::cli_support::plain_locale;
use std::process::Command;

fn till() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_till"));
    plain_locale(&mut cmd);
    // Never pick up a developer's own config or home directory.
    cmd.env_remove("TILL_CONFIG")
        .env("HOME", std::env::temp_dir().join("till-cli-test-home"))
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("till-cli-test-home/none"),
        );
    cmd
}

/// `till --config FILE …`.
fn at(config: &std::path::Path) -> Command {
    let mut cmd = till();
    cmd.arg("--config").arg(config);
    cmd
}

#[test]
fn help_lists_every_subcommand_with_a_purpose() {
    let out = till().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in [
        "config",
        "journal",
        "history",
        "user",
        "classify",
        "scan-test",
        "render",
        "devices",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(sub))
            .unwrap_or_else(|| panic!("{sub} missing from --help:\n{text}"));
        assert!(
            line.split_whitespace().count() > 2,
            "{sub} has no purpose: {line}"
        );
    }
    let version = till().arg("--version").output().unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    assert!(
        version.starts_with(&format!("till {} ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
}

#[test]
fn usage_errors_exit_3() {
    let out = till().arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn config_init_then_check_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till/config.toml");
    let out = till().args(["config", "init"]).arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a file holding keys is owner-only");
    }
    let check = at(&path).args(["config", "check"]).output().unwrap();
    let stdout = String::from_utf8(check.stdout).unwrap();
    assert!(check.status.success(), "{stdout}");
    assert!(stdout.contains("configuration is usable"), "{stdout}");

    // A second init never overwrites a store's real config.
    let again = till().args(["config", "init"]).arg(&path).output().unwrap();
    assert_eq!(again.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn config_init_writes_where_config_points() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.toml");
    let out = at(&path).args(["config", "init"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(path.exists(), "--config FILE config init writes FILE");
}

#[test]
fn check_explains_each_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = till::config::EXAMPLE
        .replace("id = \"T01\"", "id = \"t-1\"")
        .replace("hash_iv = \"EkRm7iFT261dpevs\"", "hash_iv = \"short\"");
    till::config::create_private(&path, &text).unwrap();
    let out = at(&path).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("terminal.id"), "{stdout}");
    assert!(stdout.contains("gateways.ecpay.hash_iv"), "{stdout}");
    assert!(
        !stdout.contains("short\""),
        "the bad key itself is not echoed: {stdout}"
    );
    // Each finding in the language of the user's locale.
    let check_in = |locale: &str| {
        let out = at(&path)
            .env_remove("LC_MESSAGES")
            .env_remove("LANG")
            .env("LC_ALL", locale)
            .args(["config", "check"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let zh = check_in("zh_TW.UTF-8");
    assert!(
        zh.contains("[錯誤] gateways.ecpay.hash_iv: 金鑰長度須為 16 字元,目前為 5"),
        "{zh}"
    );
    assert!(!zh.contains("the key must be"), "{zh}");
    let en = check_in("en_US.UTF-8");
    assert!(
        en.contains("[error] gateways.ecpay.hash_iv: the key must be 16 characters, it is 5"),
        "{en}"
    );
    assert!(!en.contains("金鑰長度"), "{en}");
    let both = check_in("C");
    assert!(
        both.contains("金鑰長度須為 16 字元,目前為 5 / the key must be 16 characters, it is 5"),
        "{both}"
    );
}

#[cfg(unix)]
#[test]
fn a_world_readable_config_with_keys_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, till::config::EXAMPLE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = at(&path).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(
        !stderr.contains("2AA6B9B6"),
        "no key in the message: {stderr}"
    );
}

#[test]
fn no_config_means_demo_mode() {
    let out = till().args(["config", "check"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("demo mode"));
}

/// A config whose journal lives in `dir`, with the demo store's details.
fn config_in(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let text = till::config::EXAMPLE.replace(
        "# path = \"/var/lib/till/journal.sqlite3\"",
        &format!(
            "path = {:?}",
            dir.join("journal.sqlite3").display().to_string()
        ),
    );
    till::config::create_private(&path, &text).unwrap();
    path
}

fn run_with_stdin(cmd: &mut Command, input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn staff_added_from_the_cli_can_sign_in_and_sales_are_found_by_receipt_code() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let out = run_with_stdin(
        at(&cfg).args(["user", "add", "王小明", "--role", "manager"]),
        "2468\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = run_with_stdin(
        at(&cfg).args(["user", "add", "陳", "--role", "cashier"]),
        "12\n",
    );
    assert_eq!(bad.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("4 to 8 digits"));

    // An error is said in the language of the user's locale, from the
    // locale files: Chinese under zh_TW, English under en_US, both where
    // the locale names no language (C).
    let refused_in = |locale: &str| {
        let out = run_with_stdin(
            at(&cfg)
                .env_remove("LC_MESSAGES")
                .env_remove("LANG")
                .env("LC_ALL", locale)
                .args(["user", "add", "陳", "--role", "cashier"]),
            "12\n",
        );
        assert_eq!(out.status.code(), Some(3));
        String::from_utf8(out.stderr).unwrap()
    };
    let zh = refused_in("zh_TW.UTF-8");
    assert!(zh.contains("密碼須為 4 到 8 位數字"), "{zh}");
    assert!(!zh.contains("digits"), "Chinese only: {zh}");
    let en = refused_in("en_US.UTF-8");
    assert!(en.contains("a PIN must be 4 to 8 digits"), "{en}");
    assert!(!en.contains("密碼"), "English only: {en}");
    let both = refused_in("C.UTF-8");
    assert!(
        both.contains("密碼須為 4 到 8 位數字 / a PIN must be 4 to 8 digits"),
        "{both}"
    );

    // Ring up a cash sale through the application layer on the same journal.
    let config = till::config::load(&cfg).unwrap();
    let source = till::config::Source::File(cfg.clone());
    let sale = {
        let mut t = till::terminal::Terminal::open(&config, &source).unwrap();
        t.sign_in("王小明", &till::secret::Secret::new("2468"))
            .unwrap();
        let mut cart = till::sale::Cart::new();
        cart.add(till::sale::Line::new("4710000000028", "拿鐵", 2, till::Ntd::new(85)).unwrap())
            .unwrap();
        t.cash_sale(&cart, till::Ntd::new(200)).unwrap()
    };

    let code = sale.sale_no.receipt_code().to_string();
    let out = at(&cfg)
        .args(["history", "--trade", &code])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&sale.sale_no.to_string()) && text.contains("NT$170"),
        "{text}"
    );
    assert!(text.contains("王小明"), "{text}");

    let out = at(&cfg).args(["history", "--json"]).output().unwrap();
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = &listing["items"];
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["total"], 170);
    assert_eq!(listing["more"], false);

    let missing = at(&cfg)
        .args(["history", "--trade", "TLT0126010100001"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
}

/// A payment refused by the till (a product barcode is no payment code)
/// is said in the user's language from the locale files, both where the
/// locale names none.
#[test]
fn a_refused_payment_is_said_in_the_users_language() {
    let home = tempfile::tempdir().unwrap();
    let refused_in = |locale: &str| {
        let out = till()
            .env("HOME", home.path())
            .env("LC_ALL", locale)
            .args(["pay", "--amount", "10", "--barcode", "4710000000028"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        String::from_utf8(out.stderr).unwrap()
    };
    let zh = refused_in("zh_TW.UTF-8");
    assert!(zh.contains("不是付款條碼:"), "{zh}");
    assert!(!zh.contains("not a payment code"), "Chinese only: {zh}");
    let en = refused_in("en_US.UTF-8");
    assert!(en.contains("not a payment code: "), "{en}");
    assert!(!en.contains("付款條碼"), "English only: {en}");
    let both = refused_in("C");
    assert!(
        both.contains("不是付款條碼:") && both.contains(" / not a payment code: "),
        "{both}"
    );
}

#[test]
fn journal_verify_passes_then_catches_a_tampered_row() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let add = run_with_stdin(at(&cfg).args(["user", "add", "A"]), "1111\n");
    assert!(add.status.success());
    let ok = at(&cfg).args(["journal", "verify"]).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("journal intact"));

    // An attacker with the file drops the guard trigger and edits history.
    let conn = rusqlite::Connection::open(dir.path().join("journal.sqlite3")).unwrap();
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
    }
    let changed = conn
        .execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = (SELECT MIN(seq) FROM audit_log)", [])
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);

    let bad = at(&cfg).args(["journal", "verify"]).output().unwrap();
    assert_eq!(
        bad.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
}

#[test]
fn classify_names_what_was_scanned_without_echoing_payment_codes() {
    let out = till()
        .args(["classify", "22J111111111111111", "--context", "tendering"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(text.contains("JKoPay"), "{text}");
    assert!(!text.contains("22J111111111111111"), "masked: {text}");
    let bad = till().args(["classify", "4710000000012"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("check digit"));
}

#[test]
fn scan_test_explains_each_scan_and_spots_a_french_keyboard_layout() {
    let out = run_with_stdin(till().arg("scan-test"), "4710000000011\n&é\"'(-è_çà\n");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("EAN-13 4710000000011"), "{text}");
    assert!(
        text.contains("AZERTY"),
        "the layout hint names the cause: {text}"
    );
}

#[test]
fn x_then_z_reports_close_the_day_once_with_a_manager_pin() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let add = run_with_stdin(
        at(&cfg).args(["user", "add", "店長", "--role", "manager"]),
        "2468\n",
    );
    assert!(add.status.success());
    let cashier = run_with_stdin(at(&cfg).args(["user", "add", "小明"]), "1357\n");
    assert!(cashier.status.success());
    let config = till::config::load(&cfg).unwrap();
    let source = till::config::Source::File(cfg.clone());
    {
        let mut t = till::terminal::Terminal::open(&config, &source).unwrap();
        t.sign_in("小明", &till::secret::Secret::new("1357"))
            .unwrap();
        let mut cart = till::sale::Cart::new();
        cart.add(till::sale::Line::new("1", "拿鐵", 1, till::Ntd::new(85)).unwrap())
            .unwrap();
        t.cash_sale(&cart, till::Ntd::new(100)).unwrap();
    }
    let png = dir.path().join("x.png");
    let x = at(&cfg)
        .args(["report", "x", "--json", "--out"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
    let report: serde_json::Value = serde_json::from_slice(&x.stdout).unwrap();
    assert_eq!(
        (report["sales"].as_u64(), report["cash_in_drawer"].as_i64()),
        (Some(1), Some(85))
    );
    assert!(
        std::fs::metadata(&png).unwrap().len() > 1000,
        "the printed report was rendered"
    );

    let wrong = run_with_stdin(
        at(&cfg).args(["report", "z", "--manager", "小明"]),
        "1357\n",
    );
    assert_eq!(
        wrong.status.code(),
        Some(3),
        "a cashier cannot close the day"
    );
    let z = run_with_stdin(
        at(&cfg).args(["report", "z", "--manager", "店長", "--json"]),
        "2468\n",
    );
    assert!(z.status.success(), "{}", String::from_utf8_lossy(&z.stderr));
    let closed: serde_json::Value = serde_json::from_slice(&z.stdout).unwrap();
    assert_eq!(
        (closed["kind"].as_str(), closed["z_number"].as_u64()),
        (Some("z"), Some(1))
    );
    let after = at(&cfg).args(["report", "x", "--json"]).output().unwrap();
    let after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(
        (after["sales"].as_u64(), after["z_number"].as_u64()),
        (Some(0), Some(2))
    );
}
