//! Documents through the real encoder and our emulator, for every shipped
//! profile: QR codes and the Code 39 barcode decoded back out of the
//! picture, byte budgets checked, and the picture compared with the golden
//! PNGs in tests/golden/print/.
//!
//! After an intended change, regenerate the goldens, then look at them:
//!
//!     TILL_BLESS=1 cargo test --test devices print_render::

use std::path::PathBuf;

use till::print::{
    Bitmap, Chinese, CutKind, Cutter, Document, PayLaterKind, Profile, RefundInvoiceLine, Rendered,
    Symbology, detail_slip_document, encode, pay_later_slip_document, paypage_slip_document,
    proof_document, receipt_document, refund_slip_document, render, samples,
};

fn render_doc(doc: &Document, p: &Profile) -> (Vec<u8>, Rendered) {
    let bytes = encode(doc, p).unwrap_or_else(|e| panic!("{}: {e}", p.name));
    let r = render(&bytes, p);
    assert!(
        r.report.unknown.is_empty(),
        "{}: emulator did not know {:?}",
        p.name,
        r.report.unknown
    );
    assert!(
        r.report.warnings.is_empty(),
        "{}: {:?}",
        p.name,
        r.report.warnings
    );
    (bytes, r)
}

/// Decode the PNG file's bytes, as a viewer would see them.
fn png_gray(r: &Rendered) -> image::GrayImage {
    image::load_from_memory(&r.png()).unwrap().to_luma8()
}

fn decode_qr_codes(img: &image::GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(img.clone());
    let mut found: Vec<String> = prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, content)| content))
        .collect();
    found.sort();
    found
}

/// The QR codes in the picture equal `want`. A proof's shorter code is
/// padded with trailing spaces so both print the same size: only spaces
/// may follow the content.
fn assert_qr_codes(img: &image::GrayImage, want: &[&str], name: &str) {
    let found = decode_qr_codes(img);
    let mut got: Vec<&str> = found.iter().map(|f| f.trim_end_matches(' ')).collect();
    got.sort();
    let mut want = want.to_vec();
    want.sort();
    assert_eq!(got, want, "{name}: QR codes");
}

/// Code 39 patterns, 9 elements (bar, space, …, bar): W wide, n narrow.
const CODE39: &str = "0nnnWWnWnn 1WnnWnnnnW 2nnWWnnnnW 3WnWWnnnnn 4nnnWWnnnW 5WnnWWnnnn \
6nnWWWnnnn 7nnnWnnWnW 8WnnWnnWnn 9nnWWnnWnn AWnnnnWnnW BnnWnnWnnW CWnWnnWnnn DnnnnWWnnW \
EWnnnWWnnn FnnWnWWnnn GnnnnnWWnW HWnnnnWWnn InnWnnWWnn JnnnnWWWnn KWnnnnnnWW LnnWnnnnWW \
MWnWnnnnWn NnnnnWnnWW OWnnnWnnWn PnnWnWnnWn QnnnnnnWWW RWnnnnnWWn SnnWnnnWWn TnnnnWnWWn \
UWWnnnnnnW VnWWnnnnnW WWWWnnnnnn XnWnnWnnnW YWWnnWnnnn ZnWWnWnnnn -nWnnnnWnW .WWnnnnWnn \
_nWWnnnWnn $nWnWnWnnn /nWnWnnnWn +nWnnnWnWn %nnnWnWnWn *nWnnWnWnn";

/// Read a Code 39 symbol from one row of dots: run lengths, split at the
/// midpoint between the thinnest and thickest bar, looked up per 9 elements.
fn decode_code39_row(img: &Bitmap, y: u32) -> Option<String> {
    let mut runs: Vec<u32> = Vec::new();
    let mut prev = false;
    let mut started = false;
    for x in 0..img.width() {
        let black = img.get(x, y);
        if !started {
            if black {
                started = true;
                prev = true;
                runs.push(1);
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
        runs.pop(); // trailing white
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
        out.push(if c == '_' { ' ' } else { c });
    }
    out.strip_prefix('*')?.strip_suffix('*').map(str::to_string)
}

fn decode_code39(img: &Bitmap) -> Option<String> {
    (0..img.height()).find_map(|y| decode_code39_row(img, y))
}

/// Compare with the golden PNG, or write it when TILL_BLESS is set.
fn check_golden(name: &str, r: &Rendered) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/print")
        .join(format!("{name}.png"));
    if std::env::var_os("TILL_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, r.png()).unwrap();
        return;
    }
    let golden = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run TILL_BLESS=1 cargo test --test devices print_render::",
                path.display()
            )
        })
        .to_luma8();
    let got = png_gray(r);
    assert_eq!(
        got.dimensions(),
        golden.dimensions(),
        "{name}: size (w, h) differs from {}",
        path.display()
    );
    let mut diff = 0usize;
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in got.enumerate_pixels() {
        if p != golden.get_pixel(x, y) {
            diff += 1;
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    if diff > 0 {
        let out = std::env::temp_dir().join(format!("{name}.actual.png"));
        std::fs::write(&out, r.png()).unwrap();
        panic!(
            "{name}: {diff} pixels differ from {}, within x {x0}..={x1}, y {y0}..={y1} \
             (dots; row {y0} is about text line {}); actual written to {}. \
             If intended: TILL_BLESS=1 cargo test --test devices print_render::",
            path.display(),
            y0 / 30 + 1,
            out.display()
        );
    }
}

fn expected_cuts(p: &Profile) -> Vec<CutKind> {
    match p.cutter {
        Cutter::Full => vec![CutKind::Full],
        Cutter::Partial => vec![CutKind::Partial],
        Cutter::None => vec![],
    }
}

#[test]
fn proof_qr_pair_and_code39_read_back_on_every_profile() {
    let proof = samples::proof();
    for p in Profile::builtin_all() {
        let (bytes, r) = render_doc(&proof_document(&proof), &p);
        let img = png_gray(&r);
        assert_qr_codes(&img, &[&proof.left_qr, &proof.right_qr], &p.name);
        assert_eq!(
            decode_code39(&Bitmap::from_gray(&img)).as_deref(),
            Some(proof.code39.as_str()),
            "{}: Code 39",
            p.name
        );
        assert_eq!(r.report.cuts, expected_cuts(&p), "{}", p.name);
        // The proof must stay quick to send over a 9600 baud line.
        let budget = if p.native_qr && p.page_mode && p.chinese != Chinese::None {
            1536
        } else {
            10 * 1024
        };
        assert!(
            bytes.len() <= budget,
            "{}: proof is {} bytes, budget {budget}",
            p.name,
            bytes.len()
        );
        if p.chinese != Chinese::None {
            assert!(
                r.report.text.contains("電子發票證明聯"),
                "{}: title not sent as text",
                p.name
            );
        }
        check_golden(&format!("proof-{}", p.name), &r);
    }
}

#[test]
fn qr_pair_is_side_by_side_and_top_aligned() {
    let proof = samples::proof();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&proof_document(&proof), &p);
        let img = png_gray(&r);
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let mut boxes: Vec<[rqrr::Point; 4]> =
            prepared.detect_grids().iter().map(|g| g.bounds).collect();
        assert_eq!(boxes.len(), 2, "{}", p.name);
        boxes.sort_by_key(|b| b[0].x);
        let top = |b: &[rqrr::Point; 4]| b.iter().map(|p| p.y).min().unwrap();
        let (left_right, right_left) = (
            boxes[0].iter().map(|p| p.x).max().unwrap(),
            boxes[1].iter().map(|p| p.x).min().unwrap(),
        );
        assert!(left_right < right_left, "{}: codes overlap", p.name);
        // MOF: both codes the same size, whatever their contents' lengths.
        let size = |b: &[rqrr::Point; 4]| {
            let xs = b.iter().map(|p| p.x);
            let ys = b.iter().map(|p| p.y);
            (
                xs.clone().max().unwrap() - xs.min().unwrap(),
                ys.clone().max().unwrap() - ys.min().unwrap(),
            )
        };
        assert_eq!(
            size(&boxes[0]),
            size(&boxes[1]),
            "{}: QR pair sizes (w, h) in dots",
            p.name
        );
        assert!(
            (top(&boxes[0]) - top(&boxes[1])).abs() <= 1,
            "{}: tops at {} and {}",
            p.name,
            top(&boxes[0]),
            top(&boxes[1])
        );
    }
}

#[test]
fn receipt_prints_every_item_on_every_profile() {
    let receipt = samples::receipt();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&receipt_document(&receipt), &p);
        assert_eq!(r.report.cuts, expected_cuts(&p), "{}", p.name);
        if p.chinese != Chinese::None {
            // Names may wrap; compare without line breaks and padding.
            let flat: String = r
                .report
                .text
                .split_whitespace()
                .filter(|w| !w.starts_with("NT$"))
                .collect();
            for item in &receipt.items {
                let name: String = item.name.split_whitespace().collect();
                assert!(flat.contains(&name), "{}: {} missing", p.name, item.name);
            }
        }
        if p.native_barcodes {
            assert_eq!(
                r.report.barcodes,
                vec![(
                    till::print::Symbology::Code128,
                    receipt.receipt_code.clone()
                )],
                "{}",
                p.name
            );
        }
        check_golden(&format!("receipt-{}", p.name), &r);
    }
}

#[test]
fn reprint_and_test_marks_are_printed() {
    let mut proof = samples::proof();
    proof.test = true;
    proof.reprint = true;
    proof.buyer_ban = Some("04595252".into());
    let p = Profile::builtin("generic-58-big5").unwrap();
    let (_, r) = render_doc(&proof_document(&proof), &p);
    for s in ["測試電子發票證明聯", "補印", "格式 25", "買方 04595252"] {
        assert!(
            r.report.text.contains(s),
            "{s} missing in {}",
            r.report.text
        );
    }
}

/// Report figures as the journal gives them (its own keys), adding up:
/// 12,345 sold at list price − 100 discounts − 85 refunded = 12,160 net =
/// 8,000 + 3,745 + 500 taken − 85 given back.
fn shift_report(kind: char) -> till::journal::ShiftReport {
    serde_json::from_value(serde_json::json!({
        "terminal": "T01",
        "kind": kind.to_string(),
        "z_number": 7,
        "first_sale": "T0126101500001",
        "last_sale": "T0126101500042",
        "sales": 42,
        "voided": 1,
        "voided_amount": 65,
        "gross": 12_345,
        "discounts": 100,
        "refunded": 85,
        "net": 12_160,
        "taxable": 12_160,
        "zero_rated": 0,
        "tax_exempt": 0,
        "tax_included": 579,
        "invoices": [
            {"period": "11510", "track": "AB", "first": "AB12345001", "last": "AB12345041", "count": 41}
        ],
        "invoices_voided": 1,
        "invoices_voided_amount": 85,
        "allowances": 0,
        "allowances_amount": 0,
        "payments": [
            {"method": "cash", "gateway": null, "wallet": null, "count": 30, "amount": 8_000},
            {"method": "wallet", "gateway": "jkopay", "wallet": "jko_pay", "count": 10, "amount": 3_745},
            {"method": "pay_later", "gateway": "goodbuy", "wallet": null, "count": 2, "amount": 500}
        ],
        "refunds": [
            {"method": "cash", "gateway": null, "wallet": null, "count": 1, "amount": 85}
        ],
        "cash_in_drawer": 7_915,
        "unresolved": 0,
        "generated_at": "2026-10-15T21:30:00+08:00"
    }))
    .unwrap()
}

fn store() -> till::config::Store {
    till::config::Store {
        name: "小林早餐店".into(),
        ban: "12345675".into(),
        address: String::new(),
        phone: String::new(),
    }
}

/// Every line of `want` is printed as text where the printer has a
/// Chinese font (elsewhere text is drawn as images the report cannot read).
fn assert_text(r: &Rendered, p: &Profile, want: &[&str]) {
    if p.chinese == Chinese::None {
        return;
    }
    for w in want {
        assert!(
            r.report.text.contains(w),
            "{}: {w:?} missing in\n{}",
            p.name,
            r.report.text
        );
    }
}

/// Native barcodes are reported by the emulator with their content.
fn assert_barcodes(r: &Rendered, p: &Profile, want: &[(Symbology, &str)]) {
    if p.native_barcodes {
        let want: Vec<(Symbology, String)> =
            want.iter().map(|(s, d)| (*s, d.to_string())).collect();
        assert_eq!(r.report.barcodes, want, "{}", p.name);
    }
}

#[test]
fn proof_reprint_says_so_and_reads_back_on_every_profile() {
    let mut proof = samples::proof();
    proof.reprint = true;
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&proof_document(&proof), &p);
        let img = png_gray(&r);
        assert_qr_codes(&img, &[&proof.left_qr, &proof.right_qr], &p.name);
        assert_eq!(
            decode_code39(&Bitmap::from_gray(&img)).as_deref(),
            Some(proof.code39.as_str()),
            "{}: Code 39",
            p.name
        );
        assert_text(&r, &p, &["補印", "電子發票證明聯"]);
        check_golden(&format!("proof-reprint-{}", p.name), &r);
    }
}

#[test]
fn proof_fits_in_9_cm_on_every_profile() {
    // MOF: the proof itself (title to QR codes) at most 9 cm long.
    let proof = samples::proof();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&proof_document(&proof), &p);
        let img = Bitmap::from_gray(&png_gray(&r));
        let rows: Vec<u32> = (0..img.height())
            .filter(|&y| (0..img.width()).any(|x| img.get(x, y)))
            .collect();
        let inked = rows.last().unwrap() - rows.first().unwrap() + 1;
        let max = 900 * p.dpi / 254;
        assert!(inked <= max, "{}: {inked} dots > {max}", p.name);
    }
}

#[test]
fn detail_slip_on_every_profile() {
    let slip = samples::detail_slip();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&detail_slip_document(&slip), &p);
        assert_eq!(r.report.cuts, expected_cuts(&p), "{}", p.name);
        assert_text(
            &r,
            &p,
            &[
                "交易明細",
                "AB-12345678",
                "格式 25",
                "04595252",
                "鮪魚三明治",
                "2 x 45",
                "銷售額",
                "稅額",
                "總計",
            ],
        );
        check_golden(&format!("detail-slip-{}", p.name), &r);
    }
}

#[test]
fn allowance_slip_on_every_profile() {
    use till::einvoice::mig::{Allowance, AllowanceLine, Seller};
    let inv = till::einvoice::Invoice::new(
        "AB12345678".parse().unwrap(),
        "1234".parse().unwrap(),
        chrono::DateTime::parse_from_rfc3339("2026-10-15T08:30:12+08:00").unwrap(),
        "28915188",
        Some("04595252"),
        vec![
            till::einvoice::Item::new("蛋餅", 1, till::Ntd::new(45)).unwrap(),
            till::einvoice::Item::new("大冰奶", 2, till::Ntd::new(45)).unwrap(),
        ],
    )
    .unwrap();
    let seller = Seller {
        ban: "28915188".into(),
        name: "小林早餐店".into(),
    };
    let a = Allowance::new(
        &inv,
        &seller,
        None,
        "AB12345678001",
        chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00+08:00").unwrap(),
        &[AllowanceLine {
            item: 2,
            qty: 1,
            unit_refund: till::Ntd::new(45),
        }],
    )
    .unwrap();
    let doc = till::terminal::allowance_slip(&inv, &a, false);
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&doc, &p);
        assert_text(
            &r,
            &p,
            &["營業人銷貨退回", "AB12345678001", "AB-12345678", "大冰奶"],
        );
        check_golden(&format!("allowance-slip-{}", p.name), &r);
    }
}

#[test]
fn refund_slip_on_every_profile() {
    let mut slip = samples::refund_slip();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&refund_slip_document(&slip), &p);
        assert_text(
            &r,
            &p,
            &[
                "退款單",
                "T0126101500042R01",
                "T0126101500042P01",
                "NT$45",
                "NT$155",
                "王小明",
                "+08:00",
                "折讓",
                "AB12345678001",
            ],
        );
        assert_barcodes(&r, &p, &[(Symbology::Code128, &slip.receipt_code)]);
        check_golden(&format!("refund-slip-{}", p.name), &r);
    }
    // A void, reprinted in demo mode.
    slip.invoice = RefundInvoiceLine::Void {
        number_dashed: "AB-12345678".into(),
        proof_recovered: true,
    };
    slip.test = true;
    slip.reprint = true;
    let p = Profile::builtin("generic-58-big5").unwrap();
    let (_, r) = render_doc(&refund_slip_document(&slip), &p);
    assert_text(&r, &p, &["測試", "補印", "作廢", "收回"]);
}

#[test]
fn pay_later_slips_on_every_profile() {
    let atm = samples::pay_later_atm();
    let store = samples::pay_later_store();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&pay_later_slip_document(&atm), &p);
        let img = png_gray(&r);
        assert_qr_codes(&img, &[atm.pay_url.as_deref().unwrap()], &p.name);
        assert_text(
            &r,
            &p,
            &["繳費單", "822", "9103522175887271", "2026-10-18 23:59"],
        );
        assert_barcodes(
            &r,
            &p,
            &[(Symbology::Code128, atm.account.as_deref().unwrap())],
        );
        check_golden(&format!("pay-later-atm-{}", p.name), &r);

        let (_, r) = render_doc(&pay_later_slip_document(&store), &p);
        assert!(decode_qr_codes(&png_gray(&r)).is_empty(), "{}", p.name);
        assert_text(&r, &p, &["繳費代碼", "LLL26101512345", "KIOSK"]);
        assert_barcodes(
            &r,
            &p,
            &[(Symbology::Code128, store.store_code.as_deref().unwrap())],
        );
        check_golden(&format!("pay-later-store-{}", p.name), &r);
    }
    let credit = till::print::PayLaterSlipData {
        pay_type: PayLaterKind::Credit,
        ..atm
    };
    let p = Profile::builtin("epson-tm-t88vi").unwrap();
    let (_, r) = render_doc(&pay_later_slip_document(&credit), &p);
    assert_qr_codes(
        &png_gray(&r),
        &[credit.pay_url.as_deref().unwrap()],
        &p.name,
    );
}

#[test]
fn paypage_slip_on_every_profile() {
    let slip = samples::paypage_slip();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&paypage_slip_document(&slip), &p);
        let img = png_gray(&r);
        assert_qr_codes(&img, &[&slip.url], &p.name);
        // Large enough to scan off the counter: at least 2.5 cm across.
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grid = prepared.detect_grids().remove(0);
        let xs = grid.bounds.iter().map(|b| b.x);
        let width = (xs.clone().max().unwrap() - xs.min().unwrap()) as u32;
        assert!(width * 254 >= 250 * p.dpi, "{}: QR {width} dots", p.name);
        assert_text(&r, &p, &["手機付款", "NT$520", "2026-10-15 09:00"]);
        check_golden(&format!("paypage-{}", p.name), &r);
    }
}

#[test]
fn x_and_z_reports_on_every_profile() {
    for kind in ['X', 'Z'] {
        let report = shift_report(kind);
        assert!(report.reconciles(), "the fixture adds up: {report:?}");
        assert_eq!(report.tax_included, report.net.tax_split().tax);
        let doc = till::terminal::report_document(&report, &store());
        for p in Profile::builtin_all() {
            let (_, r) = render_doc(&doc, &p);
            assert_eq!(r.report.cuts, expected_cuts(&p), "{}", p.name);
            let title = if kind == 'Z' {
                "日結報表 Z #7"
            } else {
                "班別報表 X"
            };
            assert_text(
                &r,
                &p,
                &[
                    title,
                    "NT$12,345",
                    "NT$7,915",
                    "淨額 Net",
                    "NT$12,160",
                    "街口支付 JKoPay ×10",
                    "AB12345001 ~ AB12345041",
                    "含稅額 5% tax incl.",
                ],
            );
            check_golden(
                &format!("report-{}-{}", kind.to_ascii_lowercase(), p.name),
                &r,
            );
        }
    }
}
