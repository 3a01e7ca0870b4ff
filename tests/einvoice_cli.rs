//! `till einvoice …` as a script uses it: the carrier a customer shows,
//! typed in, whichever kind it is.

use crate::cli_support::plain_locale;
use std::path::{Path, PathBuf};
use std::process::Command;

fn till(config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_till"));
    plain_locale(&mut cmd);
    cmd.env_remove("TILL_CONFIG")
        .env("HOME", std::env::temp_dir().join("till-einvoice-cli-home"))
        .arg("--config")
        .arg(config);
    cmd
}

/// A store config with its journal and Turnkey folder in `dir`.
fn config_in(dir: &Path) -> PathBuf {
    let path = dir.join("config.toml");
    let text = till::config::EXAMPLE
        .replace(
            "# path = \"/var/lib/till/journal.sqlite3\"",
            &format!(
                "path = {:?}",
                dir.join("journal.sqlite3").display().to_string()
            ),
        )
        .replace(
            "turnkey_dir = \"/var/lib/turnkey/UpCast\"",
            &format!(
                "turnkey_dir = {:?}",
                dir.join("turnkey").display().to_string()
            ),
        );
    till::config::create_private(&path, &text).unwrap();
    path
}

/// A paid cash sale on the config's journal, and the current period's roll.
fn paid_sale(cfg: &Path) -> String {
    let config = till::config::load(cfg).unwrap();
    let source = till::config::Source::File(cfg.to_path_buf());
    let mut t = till::terminal::Terminal::open(&config, &source).unwrap();
    if t.journal().user("店長").unwrap().is_none() {
        t.journal_mut()
            .add_user(
                "店長",
                till::journal::Role::Manager,
                &till::secret::Secret::new("2468"),
                "test",
            )
            .unwrap();
    }
    t.sign_in("店長", &till::secret::Secret::new("2468"))
        .unwrap();
    let mut cart = till::sale::Cart::new();
    cart.add(till::sale::Line::new("1", "拿鐵", 1, till::Ntd::new(85)).unwrap())
        .unwrap();
    let sale = t.cash_sale(&cart, till::Ntd::new(100)).unwrap();
    let period = t.current_period().unwrap();
    if t.invoice_rolls(period).unwrap().is_empty() {
        t.add_invoice_roll(period, "AB", 10_000_000, 10_000_049)
            .unwrap();
    }
    sale.sale_no.to_string()
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn issue_takes_a_citizen_certificate_as_well_as_a_mobile_barcode() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let first = paid_sale(&cfg);
    let (code, out, err) = run(till(&cfg).args([
        "einvoice",
        "issue",
        "--trade",
        &first,
        "--carrier",
        "AB12345678901234",
    ]));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("AB-10000000"), "{out}");
    assert!(out.contains("citizen certificate"), "{out}");
    // The F0401 names the carrier type and id (MIG: CarrierType CQ0001).
    let f0401 = out
        .lines()
        .find_map(|l| l.strip_prefix("F0401: "))
        .unwrap_or_else(|| panic!("no F0401 file in {out}"));
    let xml = std::fs::read_to_string(f0401).unwrap();
    assert!(xml.contains("<CarrierType>CQ0001</CarrierType>"), "{xml}");
    assert!(
        xml.contains("<CarrierId1>AB12345678901234</CarrierId1>"),
        "{xml}"
    );

    let second = paid_sale(&cfg);
    let (code, out, err) = run(till(&cfg).args([
        "einvoice",
        "issue",
        "--trade",
        &second,
        "--carrier",
        "/ABC1234",
    ]));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("mobile barcode /ABC1234"), "{out}");
}

#[test]
fn a_mistyped_carrier_gets_the_precise_reason_and_takes_no_number() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let sale = paid_sale(&cfg);
    for (typed, why) in [
        ("AB1234567890123", "16 characters"),
        ("ab12345678901234", "lower-case"),
        ("A112345678901234", "starts with 2 letters"),
        ("/ABC12", "8 characters (/ and 7 more), this one has 6"),
    ] {
        let (code, out, err) =
            run(till(&cfg).args(["einvoice", "issue", "--trade", &sale, "--carrier", typed]));
        assert_ne!(code, Some(0), "{typed}: {out}");
        assert!(err.contains(why), "{typed}: {err}");
    }
    let (code, out, err) = run(till(&cfg).args(["einvoice", "status", "--json"]));
    assert_eq!(code, Some(0), "{err}");
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["rolls"][0]["used"], 0, "{out}");
}

#[test]
fn issue_without_a_choice_uses_the_one_kept_from_the_counter_else_paper() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let kept = paid_sale(&cfg);
    {
        let config = till::config::load(&cfg).unwrap();
        let source = till::config::Source::File(cfg.to_path_buf());
        let mut t = till::terminal::Terminal::open(&config, &source).unwrap();
        let donate = till::einvoice::buyer::BuyerChoice::Donate("168001".parse().unwrap());
        t.remember_buyer_choice(&kept.parse().unwrap(), &donate)
            .unwrap();
    }
    let (code, out, err) = run(till(&cfg).args(["einvoice", "issue", "--trade", &kept]));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("donate (love code 168001)"), "{out}");

    let plain = paid_sale(&cfg);
    let (code, out, err) = run(till(&cfg).args(["einvoice", "issue", "--trade", &plain]));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("print the e-invoice proof"), "{out}");
}

/// `till einvoice void-allowance`: a manager (PIN from TILL_MANAGER_PIN)
/// voids an allowance made in error and its G0501 lands for Turnkey; a
/// wrong PIN voids nothing.
#[test]
fn a_manager_voids_an_allowance_made_in_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_in(dir.path());
    let sale = paid_sale(&cfg);
    let (code, out, err) = run(till(&cfg).args(["einvoice", "issue", "--trade", &sale]));
    assert_eq!(code, Some(0), "{out}{err}");
    let allowance = {
        let config = till::config::load(&cfg).unwrap();
        let source = till::config::Source::File(cfg.clone());
        let mut t = till::terminal::Terminal::open(&config, &source).unwrap();
        let refund = till::terminal::InvoiceRefund {
            amount: till::Ntd::new(20),
            lines: vec![],
            reason: "少找零".into(),
            policy: till::einvoice::CrossPeriodVoid::Never,
        };
        t.invoice_for_refund(&config, &sale.parse().unwrap(), &refund)
            .unwrap()
            .allowance_number
            .unwrap()
    };
    let void = |pin: &str| {
        run(till(&cfg).env("TILL_MANAGER_PIN", pin).args([
            "einvoice",
            "void-allowance",
            "--allowance",
            &allowance,
            "--reason",
            "折讓開錯",
            "--manager",
            "店長",
        ]))
    };
    let (code, out, err) = void("9999");
    assert_ne!(code, Some(0), "a wrong PIN voided it: {out}");
    // Still standing: the manager's own void below goes through (a second
    // void of the same allowance is refused).
    let (code, out, err2) = void("2468");
    assert_eq!(code, Some(0), "{out}{err}{err2}");
    let g0501 = out
        .split_whitespace()
        .find(|w| w.contains("G0501_"))
        .unwrap_or_else(|| panic!("no G0501 file in {out}"));
    let xml = std::fs::read_to_string(g0501).unwrap();
    assert!(
        xml.contains(&format!(
            "<CancelAllowanceNumber>{allowance}</CancelAllowanceNumber>"
        )),
        "{xml}"
    );
    assert!(
        xml.contains("<CancelReason>折讓開錯</CancelReason>"),
        "{xml}"
    );
}
