//! What goes on paper for an e-invoice MyPay issued (`[einvoice] issuer =
//! "mypay"`): nothing, not even a 補印, for one stored in the buyer's
//! carrier or donated; a company's proof comes with its 交易明細 detail
//! slip, as the till's own B2B invoices do. The GUI's history screen and
//! `till print einvoice` go through the same terminal functions.

use crate::pay_support;

use std::path::Path;
use std::process::{Command, Stdio};

use crate::cli_support::plain_locale;
use pay_support::{Rig, rig};
use till::config::InvoiceIssuer;
use till::einvoice::buyer::BuyerChoice;
use till::gateway::client::PayItem;
use till::journal::AttemptState;
use till::money::Ntd;
use till::print::{DetailItem, Profile, detail_slip_document, encode, render};
use till::sale::SaleNo;
use till::secret::Secret;
use till::terminal::{Approval, DEMO_USERS, Payments, PrintError, Tender, mypay_detail_slip};

const PI_CODE: &str = "PI7E3A60BD8C8F23F7";
/// A profile with a Chinese font, so the emulator reads the text back.
const PROFILE: &str = "epson-tm-t88vi-tw";

async fn mypay_issuing() -> Rig {
    let mut r = rig().await;
    r.cfg.einvoice.issuer = InvoiceIssuer::Mypay;
    r.payments = Payments::from_config(&r.cfg)
        .unwrap()
        .with_policy(pay_support::quick_policy());
    r
}

/// What the sale's lines tell MyPay: two lattes and a scone, NT$1,050.
fn lines() -> Vec<PayItem> {
    let item = |id: &str, name: &str, unit_price: i64, qty: u32| PayItem {
        id: id.into(),
        name: name.into(),
        unit_price: Ntd::new(unit_price),
        qty,
    };
    vec![
        item("4710000000028", "拿鐵 Latte", 500, 2),
        item("4710000000035", "司康 Scone", 50, 1),
    ]
}

/// A wallet sale with the buyer's choice, paid at MyPay's simulator, which
/// issues the invoice with the payment (for NT$1,050: with [`lines`]).
async fn paid(r: &mut Rig, amount: i64, choice: BuyerChoice) -> SaleNo {
    let sale = r.sale(amount);
    r.till.remember_buyer_choice(&sale, &choice).unwrap();
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(PI_CODE.into()),
            Ntd::new(amount),
            if amount == 1050 { lines() } else { vec![] },
        )
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    sale
}

fn count(r: &Rig, sql: &str) -> i64 {
    r.till
        .journal()
        .raw_connection()
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

#[tokio::test]
async fn a_reprint_of_a_carrier_or_donated_mypay_invoice_is_refused_naming_where_it_went() {
    let mut r = mypay_issuing().await;
    let profile = Profile::find(PROFILE).unwrap();
    let (manager, _, pin) = DEMO_USERS[1];
    let pin = Secret::new(pin);
    let approval = Approval { manager, pin: &pin };

    let carrier = paid(
        &mut r,
        150,
        BuyerChoice::Mobile("/ABC+123".parse().unwrap()),
    )
    .await;
    let number = r.till.mypay_invoice(&carrier).unwrap().unwrap().number;
    let err = r
        .till
        .queue_proof_reprint(&r.cfg, &profile, &carrier, approval)
        .unwrap_err();
    assert!(
        matches!(&err, PrintError::InCarrier { number: n, carrier: c }
            if *n == number.dashed() && c == "/ABC+123"),
        "{err:?}"
    );
    let said = err.to_string();
    assert!(
        said.contains(&format!("電子發票 {} 已存入載具 /ABC+123", number.dashed()))
            && said.contains("不可列印或補印")
            && said.contains("went to the buyer's carrier /ABC+123"),
        "{said}"
    );

    let donated = paid(&mut r, 160, BuyerChoice::Donate("8585".parse().unwrap())).await;
    let number = r.till.mypay_invoice(&donated).unwrap().unwrap().number;
    let said = r
        .till
        .queue_proof_reprint(&r.cfg, &profile, &donated, approval)
        .unwrap_err()
        .to_string();
    assert!(
        said.contains(&format!("電子發票 {} 已捐贈(愛心碼 8585)", number.dashed()))
            && said.contains("was donated (love code 8585)"),
        "{said}"
    );

    // Refused before anything was journaled or put on the audit record.
    assert_eq!(count(&r, "SELECT count(*) FROM print_jobs"), 0);
    assert_eq!(
        count(
            &r,
            "SELECT count(*) FROM audit_log WHERE action = 'print.reprint'"
        ),
        0
    );

    // A company's paper invoice is still reprinted as 補印, on record.
    let company = paid(
        &mut r,
        170,
        BuyerChoice::Company("04595252".parse().unwrap()),
    )
    .await;
    let (_, bytes) = r
        .till
        .queue_proof_reprint(&r.cfg, &profile, &company, approval)
        .unwrap();
    let text = render(&bytes, &profile).report.text;
    assert!(text.contains("補印") && text.contains("04595252"), "{text}");
    assert_eq!(
        count(
            &r,
            "SELECT count(*) FROM audit_log WHERE action = 'print.reprint'"
        ),
        1
    );
}

#[tokio::test]
async fn a_company_invoice_from_mypay_gets_its_detail_slip_and_a_consumer_one_does_not() {
    let mut r = mypay_issuing().await;
    let profile = Profile::find(PROFILE).unwrap();
    let company = paid(
        &mut r,
        1050,
        BuyerChoice::Company("04595252".parse().unwrap()),
    )
    .await;
    let inv = r.till.mypay_invoice(&company).unwrap().unwrap();
    let slip = mypay_detail_slip(&inv, false, false)
        .unwrap()
        .expect("a company invoice has a detail slip");
    assert_eq!(slip.number_dashed, inv.number.dashed());
    assert_eq!(slip.buyer_ban.as_deref(), Some("04595252"));
    assert_eq!(slip.seller_ban, inv.seller_ban);
    assert_eq!(
        slip.items,
        vec![
            DetailItem {
                name: "拿鐵 Latte".into(),
                qty: 2,
                unit_price: Ntd::new(500),
                amount: Ntd::new(1000),
            },
            DetailItem {
                name: "司康 Scone".into(),
                qty: 1,
                unit_price: Ntd::new(50),
                amount: Ntd::new(50),
            },
        ],
        "the items MyPay invoiced"
    );
    // The tax split as MyPay states it for a company: 1000 + 50.
    assert_eq!(
        (slip.sales_amount, slip.tax, slip.total),
        (Ntd::new(1000), Ntd::new(50), Ntd::new(1050))
    );
    // Printed through the emulator, it reads as the till's own B2B slip.
    let bytes = encode(&detail_slip_document(&slip), &profile).unwrap();
    let text = render(&bytes, &profile).report.text;
    for want in [
        "交易明細",
        inv.number.dashed().as_str(),
        "格式 25",
        "04595252",
        "拿鐵 Latte",
        "2 x 500",
        "司康 Scone",
        "共 2 項",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let row = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .map(|l| l.split_whitespace().last().unwrap_or_default().to_string())
    };
    assert_eq!(row("銷售額(未稅)").as_deref(), Some("1000"), "{text}");
    assert_eq!(row("稅額").as_deref(), Some("50"), "{text}");

    // A consumer's paper invoice, a carrier and a donation: no slip.
    for (amount, choice) in [
        (180, BuyerChoice::Print),
        (190, BuyerChoice::Mobile("/ABC+123".parse().unwrap())),
        (200, BuyerChoice::Donate("8585".parse().unwrap())),
    ] {
        let sale = paid(&mut r, amount, choice.clone()).await;
        let inv = r.till.mypay_invoice(&sale).unwrap().unwrap();
        assert_eq!(
            mypay_detail_slip(&inv, false, false).unwrap(),
            None,
            "{choice:?}"
        );
    }
}

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

/// `till print einvoice --from` MyPay's answer, as the journal keeps it.
#[tokio::test]
async fn till_print_einvoice_prints_a_company_proof_with_its_slip_and_refuses_a_paperless_reprint()
{
    let mut r = mypay_issuing().await;
    let profile = Profile::find(PROFILE).unwrap();
    let company = paid(
        &mut r,
        1050,
        BuyerChoice::Company("04595252".parse().unwrap()),
    )
    .await;
    let carrier = paid(
        &mut r,
        150,
        BuyerChoice::Mobile("/ABC+123".parse().unwrap()),
    )
    .await;
    let donated = paid(&mut r, 160, BuyerChoice::Donate("8585".parse().unwrap())).await;
    let dir = tempfile::tempdir().unwrap();
    let answer = |sale: &SaleNo, name: &str| {
        let path = dir.path().join(name);
        let fields = r.till.mypay_invoice_fields(sale).unwrap().unwrap();
        std::fs::write(&path, serde_json::to_string(&fields).unwrap()).unwrap();
        path
    };
    let (company, carrier, donated) = (
        answer(&company, "company.json"),
        answer(&carrier, "carrier.json"),
        answer(&donated, "donated.json"),
    );

    // The company's proof, then its detail slip, as two journaled jobs.
    let port = dir.path().join("printer.bin");
    let target = format!("file://{}", port.display());
    // (No simulator is needed: the binary runs while they sit idle.)
    let out = till(
        &[
            "print",
            "einvoice",
            "--from",
            company.to_str().unwrap(),
            "--printer",
            &target,
            "--profile",
            PROFILE,
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("proof printed") && stdout.contains("detail slip printed"),
        "{stdout}"
    );
    let text = render(&std::fs::read(&port).unwrap(), &profile).report.text;
    let proof_at = text.find("電子發票證明聯").expect(&text);
    let slip_at = text.find("交易明細").expect(&text);
    assert!(proof_at < slip_at, "the slip follows the proof:\n{text}");
    assert!(text[slip_at..].contains("拿鐵 Latte") && text[slip_at..].contains("稅額"));

    // A 補印 of a carrier or donated invoice: refused, naming where it
    // went, before a PIN is even asked for or a byte is sent.
    for (from, said) in [
        (&carrier, "已存入載具 /ABC+123"),
        (&donated, "已捐贈(愛心碼 8585)"),
    ] {
        let before = std::fs::metadata(&port).unwrap().len();
        let out = till(
            &[
                "print",
                "einvoice",
                "--from",
                from.to_str().unwrap(),
                "--reprint",
                "--manager",
                DEMO_USERS[1].0,
                "--printer",
                &target,
            ],
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(
            stderr.contains(said) && stderr.contains("no paper proof"),
            "{stderr}"
        );
        assert_eq!(std::fs::metadata(&port).unwrap().len(), before);
    }
}
