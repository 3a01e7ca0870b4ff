//! An e-invoice issued at the till (demo roll), its proof printed through
//! the real encoder to a printer device file, and that file rendered by the
//! emulator: the QR codes and the Code 39 read back out of the picture are
//! the issued invoice's own.

use chrono::NaiveDate;
use till::Ntd;
use till::config::Config;
use till::device::printer::{Printer, Transport};
use till::einvoice::buyer::BuyerChoice;
use till::einvoice::qr::{self, Encoding};
use till::einvoice::{code39_content, parse_left_qr};
use till::journal::{AttemptState, Detail, Journal};
use till::print::{Bitmap, Profile, render};
use till::sale::{AttemptKind, Cart, Line, PayMethod, SaleNo};
use till::taipei;
use till::terminal::Terminal;

fn paid_sale(t: &mut Terminal) -> SaleNo {
    let mut cart = Cart::new();
    cart.add(Line::new("4710000000028", "拿鐵 Latte", 2, Ntd::new(85)).unwrap())
        .unwrap();
    cart.add(Line::new("4710000000035", "草莓蛋糕", 1, Ntd::new(120)).unwrap())
        .unwrap();
    cart.add(Line::new("4710000000042", "司康", 3, Ntd::new(55)).unwrap())
        .unwrap();
    let id = t.terminal_id().clone();
    let day = t.journal().clock_now().date_naive();
    let j = t.journal_mut();
    let sale = j.new_sale(&id, day, "amy", &cart).unwrap();
    let trade = j
        .begin_attempt(
            &sale,
            AttemptKind::Payment,
            None,
            PayMethod::Cash,
            cart.total(),
            None,
        )
        .unwrap();
    j.transition(&trade, AttemptState::Approved, Detail::new())
        .unwrap();
    sale
}

fn decode_qr_codes(img: &image::GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(img.clone());
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, content)| content))
        .collect()
}

/// Code 39 patterns, 9 elements (bar, space, …, bar): W wide, n narrow.
const CODE39: &str = "0nnnWWnWnn 1WnnWnnnnW 2nnWWnnnnW 3WnWWnnnnn 4nnnWWnnnW 5WnnWWnnnn \
6nnWWWnnnn 7nnnWnnWnW 8WnnWnnWnn 9nnWWnnWnn AWnnnnWnnW BnnWnnWnnW CWnWnnWnnn DnnnnWWnnW \
EWnnnWWnnn FnnWnWWnnn GnnnnnWWnW HWnnnnWWnn InnWnnWWnn JnnnnWWWnn KWnnnnnnWW LnnWnnnnWW \
MWnWnnnnWn NnnnnWnnWW OWnnnWnnWn PnnWnWnnWn QnnnnnnWWW RWnnnnnWWn SnnWnnnWWn TnnnnWnWWn \
UWWnnnnnnW VnWWnnnnnW WWWWnnnnnn XnWnnWnnnW YWWnnWnnnn ZnWWnWnnnn -nWnnnnWnW .WWnnnnWnn \
$nWnWnWnnn /nWnWnnnWn +nWnnnWnWn %nnnWnWnWn *nWnnWnWnn";

/// One row of dots read as Code 39: run lengths split at the midpoint of
/// the thinnest and thickest, 9 elements a character.
fn decode_code39_row(img: &Bitmap, y: u32) -> Option<String> {
    let mut runs: Vec<u32> = Vec::new();
    let mut prev = false;
    for x in 0..img.width() {
        let black = img.get(x, y);
        if runs.is_empty() {
            if black {
                runs.push(1);
                prev = true;
            }
            continue;
        }
        if black == prev {
            *runs.last_mut()? += 1;
        } else {
            runs.push(1);
            prev = black;
        }
    }
    if !prev {
        runs.pop();
    }
    if runs.len() < 29 || (runs.len() + 1) % 10 != 0 {
        return None;
    }
    let (lo, hi) = (*runs.iter().min()?, *runs.iter().max()?);
    if hi < 2 * lo {
        return None;
    }
    let mid = (lo + hi) as f32 / 2.0;
    let mut out = String::new();
    for chunk in runs.chunks(10) {
        let pat: String = chunk[..9]
            .iter()
            .map(|r| if *r as f32 > mid { 'W' } else { 'n' })
            .collect();
        let c = CODE39
            .split_whitespace()
            .find(|e| e[1..] == pat)?
            .chars()
            .next()?;
        out.push(c);
    }
    out.strip_prefix('*')?.strip_suffix('*').map(str::to_string)
}

fn decode_code39(img: &Bitmap) -> Option<String> {
    (0..img.height()).find_map(|y| decode_code39_row(img, y))
}

#[test]
fn the_printed_proof_reads_back_as_the_issued_invoice() {
    for profile in ["generic-58-big5", "raster-58"] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::demo();
        let mut t = Terminal::with_journal(&cfg, Journal::open_in_memory().unwrap(), true).unwrap();
        let now = taipei::from_wall_clock(
            NaiveDate::from_ymd_opt(2026, 11, 22)
                .unwrap()
                .and_hms_opt(9, 8, 7)
                .unwrap(),
        );
        t.journal_mut().set_clock(move || now);
        let sale = paid_sale(&mut t);
        let issued = t.issue_invoice(&cfg, &sale, &BuyerChoice::Print).unwrap();
        let proof = issued.proof.as_ref().expect("a paper proof");

        // Print it as the till does: journaled job, bytes to the device.
        let bin = dir.path().join("lp0");
        std::fs::write(&bin, b"").unwrap();
        let p = Profile::builtin(profile).unwrap();
        let mut printer = Printer::new(p.clone(), Transport::File { path: bin.clone() });
        t.print_proof(&mut printer, proof, Some(&sale), None)
            .unwrap();
        t.invoice_printed(issued.invoice.number()).unwrap();

        let rendered = render(&std::fs::read(&bin).unwrap(), &p);
        assert!(rendered.report.unknown.is_empty(), "{profile}");
        let img = image::load_from_memory(&rendered.png()).unwrap().to_luma8();

        // The two QR codes are the invoice's, as the einvoice module builds them.
        let want = qr::contents(&issued.invoice, &cfg.einvoice.qr_key, Encoding::Utf8).unwrap();
        let mut got: Vec<String> = decode_qr_codes(&img)
            .into_iter()
            .map(|s| s.trim_end_matches(' ').to_string())
            .collect();
        got.sort();
        let mut expected = vec![want.left.clone(), want.right.clone()];
        expected.sort();
        assert_eq!(got, expected, "{profile}: QR codes");
        let left = got.iter().find(|s| !s.starts_with("**")).unwrap();
        let header = parse_left_qr(left).unwrap();
        assert_eq!(header.number, *issued.invoice.number(), "{profile}");
        assert_eq!(header.random_code, issued.invoice.random_code());
        assert_eq!(header.total, Ntd::new(455));
        assert_eq!(header.sales_amount, issued.invoice.sales_amount());
        assert_eq!(header.seller_ban, cfg.store.ban);
        assert_eq!(header.date, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert!(header.verification_matches(&cfg.einvoice.qr_key).unwrap());

        // The Code 39 is period + number + random code.
        let code39 = decode_code39(&Bitmap::from_gray(&img));
        assert_eq!(
            code39.as_deref(),
            Some(code39_content(&issued.invoice).as_str()),
            "{profile}: Code 39"
        );
        assert_eq!(
            code39.unwrap(),
            format!(
                "11512{}{}",
                issued.invoice.number(),
                issued.invoice.random_code()
            )
        );
        if p.chinese != till::print::Chinese::None {
            assert!(
                rendered.report.text.contains("測試電子發票證明聯"),
                "demo roll"
            );
        }
    }
}

#[test]
fn the_refund_slip_states_the_refund_and_its_invoice_decision_from_the_journal() {
    use till::einvoice::CrossPeriodVoid;
    use till::print::RefundInvoiceLine;
    use till::terminal::InvoiceRefund;
    let cfg = Config::demo();
    let mut t = Terminal::with_journal(&cfg, Journal::open_in_memory().unwrap(), true).unwrap();
    let now = taipei::from_wall_clock(
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 8, 7)
            .unwrap(),
    );
    t.journal_mut().set_clock(move || now);
    let sale = paid_sale(&mut t);
    let issued = t.issue_invoice(&cfg, &sale, &BuyerChoice::Print).unwrap();
    let payment = t.journal().sale_detail(&sale).unwrap().unwrap().payments[0]
        .trade_no
        .clone();
    // A cash refund of one cake (a wallet refund notes the same on `Sending`).
    let j = t.journal_mut();
    let refund = j
        .begin_attempt(
            &sale,
            AttemptKind::Refund,
            None,
            PayMethod::Cash,
            Ntd::new(120),
            None,
        )
        .unwrap();
    j.transition(
        &refund,
        AttemptState::Approved,
        Detail::new()
            .with("reason", "蛋糕壓壞")
            .with("manager", "王店長")
            .with("payment", payment.to_string()),
    )
    .unwrap();
    let decided = t
        .invoice_for_refund(
            &cfg,
            &sale,
            &InvoiceRefund {
                amount: Ntd::new(120),
                lines: vec![(1, 1)],
                reason: "蛋糕壓壞".into(),
                policy: CrossPeriodVoid::Never,
            },
        )
        .unwrap();

    let slip = t.refund_slip(&cfg.store, &refund, false).unwrap().unwrap();
    assert_eq!(slip.refund_trade_no, refund.to_string());
    assert!(slip.refund_trade_no.ends_with("R01"));
    assert_eq!(slip.original_trade_no, payment.to_string());
    assert_eq!(
        (slip.refunded, slip.remaining),
        (Ntd::new(120), Ntd::new(335))
    );
    assert_eq!(
        (slip.reason.as_str(), slip.manager.as_str()),
        ("蛋糕壓壞", "王店長")
    );
    assert_eq!(slip.datetime, "2026-11-22 09:08:07 +08:00");
    assert_eq!(
        slip.invoice,
        RefundInvoiceLine::Allowance {
            number_dashed: issued.invoice.number().dashed(),
            allowance_number: decided.allowance_number.unwrap(),
        }
    );
    assert!(slip.test, "demo mode says 測試");
    let p = Profile::builtin("generic-58-big5").unwrap();
    let r = render(
        &till::print::encode(&till::print::refund_slip_document(&slip), &p).unwrap(),
        &p,
    );
    for s in ["測試", "退款單", "NT$120", "王店長", "折讓"] {
        assert!(r.report.text.contains(s), "{s} in {}", r.report.text);
    }
    let missing: till::sale::TradeNo = format!("{sale}R09").parse().unwrap();
    assert!(
        t.refund_slip(&cfg.store, &missing, false)
            .unwrap()
            .is_none()
    );
}
