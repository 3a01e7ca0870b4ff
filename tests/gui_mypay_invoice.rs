//! `[einvoice] issuer = "mypay"`: the buyer's choice made at the tender
//! screen travels with the wallet payment to MyPay (`invoice_input_type`
//! and its fields, `mypay-link-agent-api.txt` lines 1025–1036), and what
//! MyPay answers is what the till does: no paper proof for a carrier or a
//! donation, a proof with the buyer's BAN for a company.

use crate::gui_support;
use crate::gui_support::Driver;

use std::time::Duration;

use gui_support::{click, printed_texts, ring_up, shows, sign_in, wedge_scan};
use till::config::{Config, InvoiceIssuer};
use till::einvoice::mypay::MypayInvoiceFields;
use till::journal::Journal;
use till::ui::Message;
use till::ui::screen::checkout;

const PI_CODE: &str = "PI7E3A60BD8C8F23F7";

fn mypay_issuing(paper: &std::path::Path) -> Driver {
    let mut config = Config::demo();
    config.einvoice.issuer = InvoiceIssuer::Mypay;
    let mut app = gui_support::app_with(&config, Journal::open_in_memory().unwrap(), paper);
    sign_in(&mut app);
    app
}

/// Ring up, type the buyer's choice, pay with a Pi Wallet code at MyPay's
/// simulator; the invoice fields MyPay sent back, as journaled.
fn pay_with_choice(app: &mut Driver, typed: &str) -> MypayInvoiceFields {
    ring_up(app, "150");
    app.update(Message::Checkout(checkout::Message::BuyerInput(
        typed.into(),
    )));
    click(app, "套用");
    wedge_scan(app, PI_CODE);
    app.settle();
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
    assert!(
        !printed_texts(paper.path())
            .iter()
            .any(|t| t.contains("交易明細")),
        "nor a detail slip"
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
    // Its 交易明細 follows, as with the till's own B2B proofs: the same
    // invoice, the buyer, the item and the tax apart.
    let printed = printed_texts(paper.path());
    let at = |what: &str| printed.iter().position(|t| t.contains(what));
    let slip = at("交易明細").expect("the detail slip printed");
    assert!(at("電子發票證明聯") < Some(slip), "after the proof");
    let slip = &printed[slip];
    for want in [
        f.invoice_number.as_str(),
        "04595252",
        "格式 25",
        "1 x 150",
        "銷售額(未稅)",
        "稅額",
    ] {
        assert!(slip.contains(want), "{want:?} missing from:\n{slip}");
    }
}

/// MyPay issues the invoice after the payment (manual §11): the result
/// screen says it comes later, the status bar counts it, the status clock
/// asks MyPay between sales, and the proof prints when it arrives.
#[test]
fn an_invoice_mypay_issues_later_is_counted_then_fetched_and_printed_on_the_status_clock() {
    use std::time::Instant;
    use till::sim::mypay::LATE_INVOICE;
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Simulators the test can reach (demo mode keeps its own inside the GUI).
    let sims = rt.block_on(till::sim::Simulators::start_all()).unwrap();
    let mut config = sims.demo_config();
    config.einvoice.issuer = InvoiceIssuer::Mypay;
    let mut journal = Journal::open_in_memory().unwrap();
    let (name, _, pin) = till::terminal::DEMO_USERS[0];
    journal
        .add_user(
            name,
            till::journal::Role::Cashier,
            &till::secret::Secret::new(pin),
            "test",
        )
        .unwrap();
    let terminal = till::terminal::Terminal::with_journal(&config, journal, false).unwrap();
    let paper = tempfile::tempdir().unwrap();
    let mut app = Driver::new(&config, terminal, till::catalogue::Catalogue::demo())
        .with_printer(gui_support::virtual_printer(paper.path()));
    sign_in(&mut app);

    ring_up(&mut app, &LATE_INVOICE.to_string());
    wedge_scan(&mut app, PI_CODE);
    app.settle();
    assert_eq!(app.screen_name(), "done");
    assert!(shows(&app, "電子發票未開立: MyPay 尚未開立,開立後自動列印"));
    assert!(shows(&app, "MyPay 尚未開立的發票 1 筆,開立後自動列印"));
    assert!(proofs(paper.path()).is_empty());
    click(&mut app, "下一位 (Enter)");

    // MyPay issues it; the next status clock fetches and prints it.
    assert_eq!(sims.mypay.issue_late_invoices(), 1);
    app.update(Message::Tick(Instant::now() + Duration::from_secs(31)));
    // The fetch ran.
    app.settle();
    let printed = proofs(paper.path());
    assert_eq!(printed.len(), 1, "the proof printed when it arrived");
    let journal = app.terminal().unwrap().journal();
    let today = till::taipei::now().date_naive();
    let sale = journal.sales_by_date(today, today, None, 1).unwrap().items[0]
        .sale_no
        .clone();
    let inv = app
        .terminal()
        .unwrap()
        .mypay_invoice(&sale)
        .unwrap()
        .unwrap();
    assert!(printed[0].contains(inv.number.digits()), "{}", printed[0]);
    assert!(!shows(&app, "MyPay 尚未開立的發票 1 筆,開立後自動列印"));
    drop(rt);
}
