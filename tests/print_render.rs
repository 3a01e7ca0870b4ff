//! Documents through the real encoder and our emulator, for every shipped
//! profile: QR codes and the Code 39 barcode decoded back out of the
//! picture, byte budgets checked, and the picture compared with the golden
//! PNGs in tests/golden/print/.
//!
//! After an intended change, regenerate the goldens, then look at them:
//!
//!     TILL_BLESS=1 cargo test --test print_render

use std::path::PathBuf;

use till::print::{
    Bitmap, Chinese, CutKind, Cutter, Document, Profile, Rendered, encode, proof_document,
    receipt_document, render, samples,
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
                "{}: {e}; run TILL_BLESS=1 cargo test --test print_render",
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
             If intended: TILL_BLESS=1 cargo test --test print_render",
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
        let mut want = vec![proof.left_qr.clone(), proof.right_qr.clone()];
        want.sort();
        assert_eq!(decode_qr_codes(&img), want, "{}: QR codes", p.name);
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
