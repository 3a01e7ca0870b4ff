//! The e-invoice choice typed at the tender screen: the same rules and the
//! same precise messages as a scan, and the invoice issued as chosen.

use crate::gui_support;
use crate::gui_support::Driver;

use gui_support::{click, demo_app, shows, sign_in};
use till::config::Config;
use till::einvoice::buyer::BuyerChoice;
use till::journal::Journal;
use till::ui::Message;
use till::ui::screen::checkout;

fn type_choice(app: &mut Driver, typed: &str) {
    app.update(Message::Checkout(checkout::Message::BuyerInput(
        typed.into(),
    )));
    click(app, "套用");
}

fn at_tender(paper: &std::path::Path) -> Driver {
    let mut app = demo_app(paper);
    sign_in(&mut app);
    app.update(Message::Sale(till::ui::screen::sale::Message::OpenAmount(
        "1050".into(),
    )));
    app.update(Message::Sale(
        till::ui::screen::sale::Message::AddOpenAmount,
    ));
    click(&mut app, "收款 (F2)");
    app
}

/// A sale paid through the terminal alone, without its e-invoice (as a
/// pay-later order is when its money arrives), on the journal at `path`;
/// with the buyer's choice kept from the counter when one is given.
fn paid_without_invoice(path: &std::path::Path, kept: Option<&BuyerChoice>) -> till::sale::SaleNo {
    let config = Config::demo();
    let mut till =
        till::terminal::Terminal::with_journal(&config, Journal::open(path).unwrap(), true)
            .unwrap();
    let (name, _, pin) = till::terminal::DEMO_USERS[0];
    till.sign_in(name, &till::secret::Secret::new(pin)).unwrap();
    let mut cart = till::sale::Cart::new();
    cart.add(till::sale::Line::new("OPEN", "咖啡", 1, till::money::Ntd::new(150)).unwrap())
        .unwrap();
    let sale = till
        .cash_sale(&cart, till::money::Ntd::new(150))
        .unwrap()
        .sale_no;
    if let Some(choice) = kept {
        till.remember_buyer_choice(&sale, choice).unwrap();
    }
    sale
}

#[test]
fn a_typed_choice_is_checked_like_a_scan_and_says_precisely_what_is_wrong() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = at_tender(paper.path());

    click(&mut app, "套用");
    assert!(shows(&app, "請先輸入載具、統編或捐贈碼"));

    // A BAN whose checksum fails is refused; the message names the problem.
    type_choice(&mut app, "04595253");
    assert_eq!(*app.buyer(), BuyerChoice::Print, "nothing changed");
    let why = till::barcode::classify("04595253", till::barcode::ScanContext::BuyerChoice)
        .unwrap_err()
        .to_string();
    assert!(why.contains("統一編號") || why.contains("統編"), "{why}");
    assert!(
        shows(&app, &why),
        "the scanner's own precise reason is shown"
    );

    // Lower case is forgiven for a mobile barcode.
    type_choice(&mut app, "/abc+123");
    assert_eq!(
        *app.buyer(),
        BuyerChoice::Mobile("/ABC+123".parse().unwrap())
    );
    assert!(shows(&app, "電子發票: 存入手機條碼 /ABC+123"));

    // A love code replaces the carrier (the last choice wins).
    type_choice(&mut app, "8585");
    assert_eq!(*app.buyer(), BuyerChoice::Donate("8585".parse().unwrap()));

    // A BAN with a donation is refused rather than dropping either.
    type_choice(&mut app, "04595252");
    assert!(matches!(app.buyer(), BuyerChoice::Donate(_)));

    click(&mut app, "改為列印證明聯");
    assert_eq!(*app.buyer(), BuyerChoice::Print);
}

#[test]
fn a_typed_ban_issues_the_invoice_to_the_company_with_its_detail_slip() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = at_tender(paper.path());
    type_choice(&mut app, "04595252");
    assert_eq!(
        *app.buyer(),
        BuyerChoice::Company("04595252".parse().unwrap())
    );
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(app.screen_name(), "done");

    let detail = gui_support::newest_sale_detail(&app);
    assert_eq!(detail.invoices.len(), 1);
    let printed: Vec<String> = std::fs::read_dir(paper.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(
        printed
            .iter()
            .any(|r| r.contains("格式 25") || r.contains("格式25")),
        "the proof says 格式 25 for a buyer with a BAN"
    );
    assert!(
        printed.iter().any(|r| r.contains("交易明細")),
        "and the detail slip printed"
    );
    assert_eq!(
        app.preview_count(),
        3,
        "demo mode previews the receipt, the proof and the detail slip"
    );
    assert!(shows(&app, "示範模式:實際印出的內容(模擬印表機)"));
}

#[test]
fn after_payment_a_new_choice_voids_the_invoice_and_issues_another() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = at_tender(paper.path());
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(app.screen_name(), "done");
    let first = {
        let detail = gui_support::newest_sale_detail(&app);
        assert_eq!(detail.invoices.len(), 1);
        detail.invoices[0].number.clone()
    };

    // The customer now wants their company's BAN on it.
    type_choice(&mut app, "04595252");
    assert_eq!(
        *app.buyer(),
        BuyerChoice::Company("04595252".parse().unwrap())
    );
    click(&mut app, "作廢並重開發票");
    assert_eq!(app.screen_name(), "done");

    let detail = gui_support::newest_sale_detail(&app);
    assert_eq!(detail.invoices.len(), 2, "one voided, one new");
    let old = detail.invoices.iter().find(|i| i.number == first).unwrap();
    assert_eq!(old.status, till::journal::InvoiceStatus::Voided);
    let new = detail.invoices.iter().find(|i| i.number != first).unwrap();
    assert_eq!(new.status, till::journal::InvoiceStatus::Issued);

    let old_dashed: till::einvoice::InvoiceNumber = first.parse().unwrap();
    let new_dashed: till::einvoice::InvoiceNumber = new.number.parse().unwrap();
    assert!(shows(
        &app,
        &format!(
            "發票 {} 已作廢(請收回顧客的證明聯),新發票 {} 已開立",
            old_dashed.dashed(),
            new_dashed.dashed()
        )
    ));
    let proofs = std::fs::read_dir(paper.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|r| r.contains("電子發票證明聯"))
        .collect::<Vec<_>>();
    assert_eq!(proofs.len(), 2, "the new invoice's proof printed too");
    assert!(
        proofs
            .iter()
            .any(|r| r.contains("格式 25") || r.contains("格式25"))
    );

    // Asking again for the same choice does nothing more.
    click(&mut app, "作廢並重開發票");
    let detail = gui_support::newest_sale_detail(&app);
    assert_eq!(detail.invoices.len(), 2);
}

#[test]
fn the_result_words_the_invoice_and_its_carrier_in_the_language_showing() {
    let paper = tempfile::tempdir().unwrap();
    let mut app = at_tender(paper.path());
    type_choice(&mut app, "/ABC1234");
    click(&mut app, "剛好");
    click(&mut app, "完成收款 (Enter)");
    assert_eq!(app.screen_name(), "done");
    let number: till::einvoice::InvoiceNumber = gui_support::newest_sale_detail(&app).invoices[0]
        .number
        .parse()
        .unwrap();
    let number = number.dashed();
    assert!(shows(
        &app,
        &format!("電子發票 {number} → 存入手機條碼 /ABC1234")
    ));

    // The cashier switches to English on the result: the invoice line
    // follows, carrier and all, not only the words around it.
    app.update(Message::ToggleLanguage);
    assert!(shows(
        &app,
        &format!("E-invoice {number} → store in mobile barcode /ABC1234")
    ));
}

#[test]
fn the_status_bar_warns_when_invoice_numbers_run_low() {
    let paper = tempfile::tempdir().unwrap();
    let mut config = Config::demo();
    // Any roll is "low" against this mark.
    config.einvoice.low_water = u32::MAX;
    let mut app = gui_support::app_with(&config, Journal::open_in_memory().unwrap(), paper.path());
    sign_in(&mut app);
    app.update(Message::Sale(till::ui::screen::sale::Message::OpenAmount(
        "100".into(),
    )));
    app.update(Message::Sale(
        till::ui::screen::sale::Message::AddOpenAmount,
    ));
    click(&mut app, "收款 (F2)");
    click(&mut app, "完成收款 (Enter)");
    let left = app
        .terminal()
        .unwrap()
        .invoicing_status(&config)
        .unwrap()
        .numbers_left;
    assert!(shows(
        &app,
        &format!("發票號碼將用完,剩 {left} 張,請匯入字軌")
    ));
}

#[test]
fn a_sale_paid_later_is_issued_by_itself_to_the_carrier_chosen_at_the_counter() {
    let paper = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    let carrier = BuyerChoice::Mobile("/ABC+123".parse().unwrap());
    // Paid through the terminal alone (as a pay-later order is when its
    // money arrives), the buyer's carrier kept from the counter.
    let sale = paid_without_invoice(&path, Some(&carrier));
    let mut app =
        gui_support::app_with(&Config::demo(), Journal::open(&path).unwrap(), paper.path());
    sign_in(&mut app);
    assert!(shows(&app, "已付款未開發票 1 筆,按此開立"));
    // Nobody presses anything: the status clock's next round issues it,
    // as there is nothing to print.
    app.update(Message::Tick(
        std::time::Instant::now() + std::time::Duration::from_secs(60),
    ));
    assert!(!shows(&app, "已付款未開發票 1 筆,按此開立"));
    let detail = app
        .terminal()
        .unwrap()
        .journal()
        .sale_detail(&sale)
        .unwrap()
        .unwrap();
    assert_eq!(detail.invoices.len(), 1);
    assert_eq!(
        detail.invoices[0].buyer_id.as_deref(),
        Some("/ABC+123"),
        "issued to the carrier the buyer gave"
    );
    let proofs = gui_support::printed_texts(paper.path())
        .into_iter()
        .filter(|r| r.contains("電子發票證明聯"))
        .count();
    assert_eq!(proofs, 0, "a carrier invoice prints no proof");
}

#[test]
fn a_paid_sale_without_an_invoice_is_shown_and_issued_from_the_status_bar() {
    let paper = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite3");
    // A sale paid while the invoice could not be issued (here: paid through
    // the terminal alone, as a pay-later order is when its money arrives).
    let sale = paid_without_invoice(&path, None);
    let mut app =
        gui_support::app_with(&Config::demo(), Journal::open(&path).unwrap(), paper.path());
    sign_in(&mut app);
    assert!(shows(&app, "已付款未開發票 1 筆,按此開立"));
    click(&mut app, "已付款未開發票 1 筆,按此開立");
    assert!(!shows(&app, "已付款未開發票 1 筆,按此開立"));
    let detail = app
        .terminal()
        .unwrap()
        .journal()
        .sale_detail(&sale)
        .unwrap()
        .unwrap();
    assert_eq!(
        detail.invoices.len(),
        1,
        "every paid sale has its e-invoice"
    );
    let proofs = gui_support::printed_texts(paper.path())
        .into_iter()
        .filter(|r| r.contains("電子發票證明聯"))
        .count();
    assert_eq!(proofs, 1, "its proof printed, to be kept for the customer");
}
