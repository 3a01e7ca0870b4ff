//! The printing subcommands, run as the installed binary is.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::cli_support::plain_locale;
use till::print::{Profile, encode, proof_document, samples};

fn till(args: &[&str], data: &Path) -> std::process::Output {
    plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
        .args(args)
        // No config: demo mode, and nothing touches the user's own files.
        .env_remove("TILL_CONFIG")
        .env("HOME", data)
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env("XDG_DATA_HOME", data.join("data"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn qr_codes(png: &Path) -> Vec<String> {
    let img = image::open(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let mut found: Vec<String> = prepared
        .detect_grids()
        .into_iter()
        // The shorter code of a proof's pair is padded with trailing
        // spaces to print the same size as the other: the content is the
        // rest, exactly.
        .filter_map(|g| {
            g.decode()
                .ok()
                .map(|(_, c)| c.trim_end_matches(' ').to_string())
        })
        .collect();
    found.sort();
    found
}

#[test]
fn render_writes_a_png_and_exits_1_on_unknown_commands() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::builtin("generic-58-big5").unwrap();
    let proof = samples::proof();
    let bytes = encode(&proof_document(&proof), &profile).unwrap();
    let bin = dir.path().join("proof.bin");
    std::fs::write(&bin, &bytes).unwrap();
    let png = dir.path().join("proof.png");
    let out = till(
        &[
            "render",
            bin.to_str().unwrap(),
            "--profile",
            "generic-58-big5",
            "--out",
            png.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("unknown commands: 0"), "{stdout}");
    assert!(stdout.contains("AB-12345678"), "{stdout}");
    let mut want = vec![proof.left_qr, proof.right_qr];
    want.sort();
    assert_eq!(qr_codes(&png), want);

    // A command no printer we know has (ESC 0x7F): reported with its offset.
    let mut odd = bytes.clone();
    odd.extend_from_slice(&[0x1B, 0x7F]);
    std::fs::write(&bin, &odd).unwrap();
    let out = till(
        &[
            "render",
            bin.to_str().unwrap(),
            "--profile",
            "generic-58-big5",
            "--out",
            png.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("unknown commands: 1"), "{stdout}");
    assert!(
        stdout.contains(&format!("@{}: 1b 7f", bytes.len())),
        "{stdout}"
    );
}

#[test]
fn render_with_an_unknown_profile_is_a_usage_error_naming_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("x.bin");
    std::fs::write(&bin, b"hi\n").unwrap();
    let out = till(
        &[
            "render",
            bin.to_str().unwrap(),
            "--profile",
            "tm-nope",
            "--out",
            "x.png",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("generic-58-big5"));
}

/// MyPay's 交易查詢 sample answer (`mypay-link-agent-api.txt`), invoice fields.
const MYPAY: &str = r#"{
    "invoice_state": 6,
    "invoice_date": "20211022090918",
    "invoice_wordtrack": "SW",
    "invoice_number": "83037076",
    "invoice_rand_code": "8373",
    "invoice_seller_ban": "28915188",
    "invoice_buyer_ban": "",
    "invoice_left_qrcode": "SW830370761101022837300000359000003840000000028915188Zw9cxaRpHWtRiZAohYOP6g==:**********:3:3:1:好棒棒麻辣鍋湯包:1:1000:",
    "invoice_middle_barcode": "11010SW830370768373",
    "invoice_right_qrcode": "**VIP免費券:1:-50:好食券:1:-50",
    "invoice_title_type": 1,
    "invoice_title": "123",
    "invoice_amount": "900",
    "invoice_sales_amount": "900",
    "invoice_tax_amount": "0",
    "invoice_order_detail": "[{\"Description\":\"好棒棒麻辣鍋湯包\",\"Quantity\":\"1\",\"UnitPrice\":\"1000\",\"Amount\":\"1000\"},{\"Description\":\"VIP免費券\",\"Quantity\":\"1\",\"UnitPrice\":\"-50\",\"Amount\":\"-50\"},{\"Description\":\"好食券\",\"Quantity\":\"1\",\"UnitPrice\":\"-50\",\"Amount\":\"-50\"}]"
}"#;

#[test]
fn print_einvoice_from_a_mypay_answer_prints_its_codes_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("mypay.json");
    std::fs::write(&json, MYPAY).unwrap();
    let png = dir.path().join("proof.png");
    let out = till(
        &[
            "print",
            "einvoice",
            "--from",
            json.to_str().unwrap(),
            "--out",
            png.to_str().unwrap(),
            "--profile",
            "epson-tm-t88vi-tw",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(MYPAY).unwrap();
    let mut want = vec![
        v["invoice_left_qrcode"].as_str().unwrap().to_string(),
        v["invoice_right_qrcode"].as_str().unwrap().to_string(),
    ];
    want.sort();
    assert_eq!(qr_codes(&png), want);

    // A MyPay answer whose barcode names another invoice is refused.
    std::fs::write(
        &json,
        MYPAY.replace("11010SW830370768373", "11010SW830370768374"),
    )
    .unwrap();
    let out = till(
        &[
            "print",
            "einvoice",
            "--from",
            json.to_str().unwrap(),
            "--out",
            png.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("11010SW830370768374"));
}

#[test]
fn printing_a_reprint_needs_a_manager() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("mypay.json");
    std::fs::write(&json, MYPAY).unwrap();
    let out = till(
        &[
            "print",
            "einvoice",
            "--from",
            json.to_str().unwrap(),
            "--reprint",
            "--printer",
            "file:///dev/null",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--manager"));
}

#[test]
fn devices_lists_or_says_plainly_there_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let out = till(&["devices"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("serial ports:") && stdout.contains("USB:"),
        "{stdout}"
    );
    // Each section has either entries or a plain "none"/reason line.
    let lines: Vec<&str> = stdout.lines().collect();
    let usb = lines.iter().position(|l| *l == "USB:").unwrap();
    assert!(usb >= 2 && lines.len() > usb + 1, "{stdout}");
}

fn pngs_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            found.extend(pngs_under(&p));
        } else if p.extension().is_some_and(|x| x == "png") {
            found.push(p);
        }
    }
    found
}

#[test]
fn demo_mode_prints_the_test_page_to_the_virtual_printer_and_reports_it_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let out = till(&["printer", "status"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ready to print"), "{stdout}");

    let out = till(&["print", "test"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let pngs = pngs_under(dir.path());
    assert_eq!(pngs.len(), 1, "{pngs:?}");
    assert_eq!(qr_codes(&pngs[0]), vec!["till test page 測試".to_string()]);
    let txt = std::fs::read_to_string(pngs[0].with_extension("txt")).unwrap();
    assert!(txt.contains("till 測試頁"), "{txt}");
}

#[test]
fn the_virtual_printer_command_answers_status_like_a_healthy_printer() {
    use std::io::{BufRead, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut child = plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
        .args(["virtual-printer", "--listen", "127.0.0.1:0", "--out"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    s.write_all(&[0x10, 0x04, 0x01, 0x10, 0x04, 0x04]).unwrap();
    let mut answer = [0u8; 2];
    s.read_exact(&mut answer).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(answer, [0x12, 0x12]);
}
