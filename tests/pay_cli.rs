//! `till pay` exit codes in demo mode (simulators started in-process).

use std::process::Command;

fn till(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_till"));
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
