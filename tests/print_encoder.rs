//! Bytes the encoder sends, where they matter byte for byte.

use till::print::{
    Document, EncodeError, Profile, Style, Symbology, encode, proof_document, render, samples,
};

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn chinese_goes_out_as_big5_between_fs_ampersand_and_fs_dot() {
    let p = Profile::builtin("generic-58-big5").unwrap();
    let mut d = Document::new();
    d.text("電子 A", Style::default());
    let b = encode(&d, &p).unwrap();
    assert_eq!(b, b"\x1b@\x1c.\x1c&\xb9\x71\xa4\x6c A\x1c.\n".to_vec());
}

#[test]
fn gb18030_printer_gets_gb18030() {
    let p = Profile::builtin("epson-tm-t70ii-ch").unwrap();
    let mut d = Document::new();
    d.text("發票", Style::default());
    let b = encode(&d, &p).unwrap();
    let (gb, _, _) = encoding_rs::GB18030.encode("發票");
    assert!(contains(&b, &[b"\x1c&".as_slice(), &gb, b"\x1c."].concat()));
}

#[test]
fn printer_without_chinese_font_gets_a_raster_image_it_can_print() {
    let p = Profile::builtin("epson-tm-t88vi").unwrap();
    let mut d = Document::new();
    d.text("電子發票", Style::default().double());
    let b = encode(&d, &p).unwrap();
    assert!(!contains(&b, b"\x1c&"));
    // GS v 0 mode 3: the printer doubles the image both ways.
    assert!(contains(&b, b"\x1dv0\x03"));
    let r = render(&b, &p);
    assert!(r.report.unknown.is_empty() && r.report.warnings.is_empty());
    assert_eq!(r.image.height(), 48);
}

#[test]
fn code128_selects_code_set_b() {
    let p = Profile::builtin("generic-58-big5").unwrap();
    let mut d = Document::new();
    d.barcode(Symbology::Code128, "R01-7", 48, true);
    let b = encode(&d, &p).unwrap();
    assert!(contains(&b, b"\x1dk\x49\x07{BR01-7"), "{b:02x?}");
}

#[test]
fn qr_pair_uses_page_mode_with_native_qr_where_available() {
    let p = Profile::builtin("generic-58-big5").unwrap();
    let b = encode(&proof_document(&samples::proof()), &p).unwrap();
    let esc_l = b.windows(2).position(|w| w == b"\x1bL").expect("ESC L");
    let ff = b.iter().rposition(|x| *x == 0x0C).expect("FF");
    assert!(esc_l < ff);
    let page = &b[esc_l..ff];
    assert!(contains(page, b"\x1bW") && contains(page, b"\x1bT\x00"));
    assert_eq!(
        page.windows(8)
            .filter(|w| *w == b"\x1d(k\x03\x00\x31\x51\x30")
            .count(),
        2,
        "two QR print commands inside the page"
    );
}

#[test]
fn qr_pair_without_page_mode_is_one_image() {
    let p = Profile::builtin("sunmi-58").unwrap();
    let b = encode(&proof_document(&samples::proof()), &p).unwrap();
    assert!(!contains(&b, b"\x1bL") && !contains(&b, b"\x1d(k"));
}

#[test]
fn impossible_requests_are_refused_in_both_languages() {
    let p = Profile::builtin("sunmi-58").unwrap();
    let mut d = Document::new();
    d.drawer(2);
    let err = encode(&d, &p).unwrap_err();
    assert_eq!(err, EncodeError::NoDrawer(2));
    assert!(err.to_string().contains("錢櫃") && err.to_string().contains("drawer"));
    let mut d = Document::new();
    d.barcode(Symbology::Code39, "lower case", 40, false);
    assert!(matches!(encode(&d, &p), Err(EncodeError::Code39Content(_))));
}

#[test]
fn cut_follows_the_profile_cutter() {
    let mut d = Document::new();
    d.cut();
    let partial = encode(&d, &Profile::builtin("epson-tm-t88v-tw").unwrap()).unwrap();
    assert!(partial.ends_with(b"\x1dV\x42\x00"));
    let none = encode(&d, &Profile::builtin("sunmi-58").unwrap()).unwrap();
    assert!(!contains(&none, b"\x1dV") && none.ends_with(b"\x1bd\x04"));
}
