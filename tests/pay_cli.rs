//! `till pay` exit codes in demo mode (simulators started in-process).

use crate::cli_support::plain_locale;
use std::process::Command;

fn till(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_till"));
    plain_locale(&mut c);
    c.env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("TILL_CONFIG");
    c
}

#[test]
fn exit_codes_say_approved_declined_or_usage() {
    let home = tempfile::tempdir().unwrap();
    let ok = till(home.path())
        .args([
            "pay",
            "--amount",
            "120",
            "--barcode",
            "22J111111111111111",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v["state"], "approved");
    assert!(!String::from_utf8_lossy(&ok.stdout).contains("22J111111111111111"));
    assert!(!String::from_utf8_lossy(&ok.stderr).contains("22J111111111111111"));

    let declined = till(home.path())
        .args(["pay", "--amount", "9906", "--barcode", "22J111111111111111"])
        .output()
        .unwrap();
    assert_eq!(declined.status.code(), Some(1));

    let product = till(home.path())
        .args(["pay", "--amount", "120", "--barcode", "4710000000028"])
        .output()
        .unwrap();
    assert_eq!(product.status.code(), Some(3));

    let bad_item = till(home.path())
        .args([
            "pay",
            "--amount",
            "120",
            "--barcode",
            "22J111111111111111",
            "--item",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(bad_item.status.code(), Some(3));
}

#[test]
fn paypage_prints_the_order_then_waits_for_the_customer() {
    use std::io::{BufRead, BufReader};
    let home = tempfile::tempdir().unwrap();
    let mut child = till(home.path())
        .args([
            "pay",
            "--amount",
            "260",
            "--paypage",
            "--json",
            "--wait",
            "120",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let order: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(order["amount"], 260);
    let url = order["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    // The customer pays on their phone.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(&url)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success());
    let mut last = String::new();
    out.read_line(&mut last).unwrap();
    let result: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(result["state"], "approved");
    assert_eq!(result["trade_no"], order["trade_no"]);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn pay_later_prints_how_the_customer_pays() {
    let home = tempfile::tempdir().unwrap();
    let out = till(home.path())
        .args([
            "pay",
            "--amount",
            "9601",
            "--pay-later",
            "store",
            "--payer",
            "王小明",
            "--phone",
            "0912345678",
            "--json",
        ])
        .output()
        .unwrap();
    // Not paid yet: pending.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["instructions"]["pay_type"], "store");
    assert!(
        v["instructions"]["store_code"]
            .as_str()
            .unwrap()
            .starts_with("GB")
    );
    let bad = till(home.path())
        .args(["pay", "--amount", "100", "--pay-later", "cheque"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(3));
}

#[test]
fn late_payments_are_listed_until_a_manager_settles_them() {
    let home = tempfile::tempdir().unwrap();
    let none = till(home.path()).arg("late-payments").output().unwrap();
    assert_eq!(none.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&none.stdout).contains("no late payment"));

    // A declined payment whose money the gateway took after all (what a
    // notice then finds: see tests/pay_callbacks.rs).
    let declined = till(home.path())
        .args([
            "pay",
            "--amount",
            "9906",
            "--barcode",
            "22J111111111111111",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(declined.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&declined.stdout).unwrap();
    let trade: till::sale::TradeNo = v["trade_no"].as_str().unwrap().parse().unwrap();
    let journal = home.path().join(".local/share/till/demo/journal.sqlite3");
    till::journal::Journal::open(&journal)
        .unwrap()
        .record_late_payment(&trade, till::money::Ntd::new(9906), "JK0001", "test notice")
        .unwrap();

    let open = till(home.path())
        .args(["late-payments", "--json"])
        .output()
        .unwrap();
    assert_eq!(open.status.code(), Some(1), "one is owed back");
    let listing: serde_json::Value = serde_json::from_slice(&open.stdout).unwrap();
    assert_eq!(listing["more"], false, "the whole list, nothing left out");
    let list = &listing["items"];
    assert_eq!(list[0]["trade_no"], trade.to_string());
    assert_eq!(list[0]["amount"], 9906);
    assert_eq!(list[0]["closed_as"], "declined");

    let wrong_pin = till(home.path())
        .args([
            "late-payments",
            "--settle",
            &trade.to_string(),
            "--how",
            "退款",
        ])
        .env("TILL_MANAGER_PIN", "9999")
        .output()
        .unwrap();
    assert_eq!(wrong_pin.status.code(), Some(3));
    let settled = till(home.path())
        .args([
            "late-payments",
            "--settle",
            &trade.to_string(),
            "--how",
            "街口後台退款 / refunded in the JKoPay back office",
        ])
        .env("TILL_MANAGER_PIN", "1234")
        .output()
        .unwrap();
    assert_eq!(
        settled.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&settled.stderr)
    );
    let all = till(home.path())
        .args(["late-payments", "--all"])
        .output()
        .unwrap();
    assert_eq!(all.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&all.stdout).contains("JKoPay back office"));
}
