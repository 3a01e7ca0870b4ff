//! `[einvoice] issuer = "mypay"`: the buyer's choice made at the tender
//! screen travels with the wallet payment to MyPay (`invoice_input_type`
//! and its fields, `mypay-link-agent-api.txt` lines 1025–1036), and what
//! MyPay answers is what the till does: no paper proof for a carrier or a
//! donation, a proof with the buyer's BAN for a company.

mod gui_support;

use std::time::Duration;

use gui_support::{click, printed_texts, ring_up, shows, sign_in, wedge_scan};
use till::config::{Config, InvoiceIssuer};
use till::einvoice::mypay::MypayInvoiceFields;
use till::journal::Journal;
use till::ui::{App, Message};

const PI_CODE: &str = "PI7E3A60BD8C8F23F7";

fn mypay_issuing(paper: &std::path::Path) -> App {
    let mut config = Config::demo();
    config.einvoice.issuer = InvoiceIssuer::Mypay;
    let mut app = gui_support::app_with(&config, Journal::open_in_memory().unwrap(), paper);
    sign_in(&mut app);
    app
}

/// Ring up, type the buyer's choice, pay with a Pi Wallet code at MyPay's
/// simulator; the invoice fields MyPay sent back, as journaled.
fn pay_with_choice(app: &mut App, typed: &str) -> MypayInvoiceFields {
    ring_up(app, "150");
    app.update(Message::BuyerInput(typed.into()));
    click(app, "套用");
    wedge_scan(app, PI_CODE);
    assert!(app.wait_for_payment(Duration::from_secs(30)));
    assert_eq!(app.screen_name(), "done");
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let sale = journal.sales_by_date(today, today, None, 1).unwrap().items[0]
        .sale_no
        .clone();
    app.terminal()
        .unwrap()
        .mypay_invoice_fields(&sale)
        .unwrap()
        .expect("MyPay issued the invoice with the payment")
}

fn proofs(paper: &std::path::Path) -> Vec<String> {
    printed_texts(paper)
        .into_iter()
        .filter(|t| t.contains("電子發票證明聯"))
        .collect()
}

#[test]
fn a_mobile_carrier_reaches_mypay_and_no_proof_is_printed() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = mypay_issuing(paper.path());
    let f = pay_with_choice(&mut app, "/ABC+123");
    // What MyPay received, as its answer echoes it: cloud, mobile barcode.
    assert_eq!(f.invoice_input_type, "1");
    assert_eq!(f.invoice_cloud_type, "2");
    assert_eq!(f.invoice_mobile_code, "/ABC+123");
    assert_eq!(f.invoice_buyer_ban, "");
    assert!(
        proofs(paper.path()).is_empty(),
        "a carrier invoice has no paper proof"
    );
    let number = format!("{}-{}", f.invoice_wordtrack, f.invoice_number);
    assert!(shows(
        &app,
        &format!("電子發票 {number}(已存入載具 /ABC+123,不印證明聯)")
    ));
}

#[test]
fn a_love_code_reaches_mypay_and_no_proof_is_printed() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = mypay_issuing(paper.path());
    let f = pay_with_choice(&mut app, "8585");
    assert_eq!(f.invoice_input_type, "2");
    assert_eq!(f.invoice_love_code, "8585");
    assert!(
        proofs(paper.path()).is_empty(),
        "a donated invoice has no paper proof"
    );
    let number = format!("{}-{}", f.invoice_wordtrack, f.invoice_number);
    assert!(shows(
        &app,
        &format!("電子發票 {number}(已捐贈,愛心碼 8585,不印證明聯)")
    ));
}

#[test]
fn a_ban_reaches_mypay_and_its_proof_names_the_buyer() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = mypay_issuing(paper.path());
    let f = pay_with_choice(&mut app, "04595252");
    assert_eq!(f.invoice_input_type, "3", "paper, printed by the store");
    assert_eq!(f.invoice_b2b_id, "04595252");
    assert_eq!(
        f.invoice_buyer_ban, "04595252",
        "MyPay issued it to the company"
    );
    let proofs = proofs(paper.path());
    assert_eq!(proofs.len(), 1, "one proof");
    assert!(proofs[0].contains("04595252"), "{}", proofs[0]);
    assert!(
        proofs[0].contains("格式 25") || proofs[0].contains("格式25"),
        "{}",
        proofs[0]
    );
    assert!(proofs[0].contains(&f.invoice_number), "{}", proofs[0]);
}
