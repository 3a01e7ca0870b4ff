//! The ESC/POS emulator, command by command.

use till::print::symbols::{code39_wide, code39_width, qr_side, qr_version};
use till::print::{Bitmap, CutKind, DrawerPulse, Ecc, Profile, Symbology, render};

fn p58() -> Profile {
    Profile::builtin("generic-58-big5").unwrap()
}

fn ink(img: &Bitmap) -> usize {
    (0..img.height())
        .flat_map(|y| (0..img.width()).map(move |x| (x, y)))
        .filter(|(x, y)| img.get(*x, *y))
        .count()
}

fn clean(bytes: &[u8]) -> till::print::Rendered {
    let r = render(bytes, &p58());
    assert!(r.report.unknown.is_empty(), "{:?}", r.report.unknown);
    r
}

#[test]
fn text_and_line_feed_advance_by_line_spacing() {
    let r = clean(b"AB\nCD\n");
    assert_eq!(r.report.text, "AB\nCD\n");
    assert_eq!(r.image.height(), 2 * p58().line_spacing);
    let (lo, hi) = r.image.ink_columns().unwrap();
    assert!(
        lo < 4 && hi < 24,
        "two 12-dot cells from the left: {lo}..{hi}"
    );
}

#[test]
fn esc_a_centres_and_right_aligns() {
    let centre = clean(b"\x1ba\x01AB\n").image.ink_columns().unwrap();
    assert!(centre.0 >= 180 && centre.1 <= 204, "{centre:?}");
    let right = clean(b"\x1ba\x02AB\n").image.ink_columns().unwrap();
    assert!(right.1 >= 370, "{right:?}");
}

#[test]
fn esc_e_bold_adds_ink_and_esc_at_resets_it() {
    let plain = ink(&clean(b"HELLO\n").image);
    let bold = ink(&clean(b"\x1bE\x01HELLO\n").image);
    assert!(bold > plain + plain / 5, "{bold} vs {plain}");
    assert_eq!(ink(&clean(b"\x1bE\x01\x1b@HELLO\n").image), plain);
}

#[test]
fn esc_minus_underlines() {
    let r = clean(b"\x1b-\x01AB\n");
    let y = p58().font_a.height - 2;
    assert!((0..24).all(|x| r.image.get(x, y)), "underline row");
}

#[test]
fn gs_excl_and_esc_excl_double_the_size() {
    let single = clean(b"W\n").image.ink_columns().unwrap();
    let double = clean(b"\x1d!\x11W\n");
    let wide = double.image.ink_columns().unwrap();
    assert!(wide.1 - wide.0 >= 2 * (single.1 - single.0));
    assert_eq!(double.image.height(), 48);
    let tall = clean(b"\x1b!\x10W\n");
    assert_eq!(tall.image.height(), 48);
}

#[test]
fn esc_d_and_esc_j_feed() {
    assert_eq!(clean(b"\x1bd\x03").image.height(), 3 * p58().line_spacing);
    assert_eq!(clean(b"\x1bJ\x07").image.height(), 7);
}

#[test]
fn gs_v_cuts_are_reported() {
    let r = clean(b"A\n\x1dV\x42\x00B\n\x1dV\x00");
    assert_eq!(r.report.cuts, vec![CutKind::Partial, CutKind::Full]);
}

#[test]
fn esc_p_pulses_the_drawer_and_dle_eot_is_a_status_query() {
    let r = clean(b"\x1bp\x00\x19\xfa\x10\x04\x01");
    assert_eq!(
        r.report.drawer_pulses,
        vec![DrawerPulse {
            pin: 2,
            on_ms: 50,
            off_ms: 500
        }]
    );
    assert_eq!(r.report.status_queries, vec![1]);
}

#[test]
fn fs_ampersand_decodes_big5() {
    // 電子 in Big5: B9 71 A4 6C.
    let r = clean(b"\x1c&\xb9\x71\xa4\x6c\x1c.A\n");
    assert_eq!(r.report.text, "電子A\n");
    // Two 24-dot Chinese cells then one 12-dot cell.
    assert!(r.image.ink_columns().unwrap().1 >= 48);
}

#[test]
fn fs_ampersand_decodes_gb18030_on_a_gb_printer() {
    let p = Profile::builtin("epson-tm-t70ii-ch").unwrap();
    let (bytes, _, _) = encoding_rs::GB18030.encode("發票");
    let mut data = b"\x1c&".to_vec();
    data.extend_from_slice(&bytes);
    data.extend_from_slice(b"\x1c.\n");
    let r = render(&data, &p);
    assert_eq!(r.report.text, "發票\n");
}

#[test]
fn without_fs_ampersand_high_bytes_are_not_chinese() {
    let r = render(b"\xb9\x71\n", &p58());
    assert!(!r.report.text.contains('電'));
    assert!(!r.report.warnings.is_empty(), "code page use is flagged");
}

#[test]
fn gs_k_code39_uses_gs_h_and_gs_w() {
    let r = clean(b"\x1dh\x28\x1dw\x01\x1dH\x00\x1dk\x45\x05AB-12");
    assert_eq!(
        r.report.barcodes,
        vec![(Symbology::Code39, "AB-12".to_string())]
    );
    assert_eq!(r.image.height(), 0x28);
    let (lo, hi) = r.image.ink_columns().unwrap();
    assert_eq!(hi - lo + 1, code39_width("AB-12", 1));
    assert_eq!(code39_wide(1), 3);
}

#[test]
fn gs_k_code128_with_code_set_c_and_hri() {
    let r = clean(b"\x1dh\x30\x1dH\x02\x1dk\x49\x04{C\x0c\x22");
    assert_eq!(
        r.report.barcodes,
        vec![(Symbology::Code128, "1234".to_string())]
    );
    assert!(r.image.height() > 0x30, "HRI below the bars");
}

#[test]
fn gs_paren_k_stores_and_prints_a_qr_code_at_the_requested_size() {
    let data = b"https://example.tw/till";
    let mut b =
        b"\x1d(k\x04\x00\x31\x41\x32\x00\x1d(k\x03\x00\x31\x43\x05\x1d(k\x03\x00\x31\x45\x31"
            .to_vec();
    let len = data.len() + 3;
    b.extend_from_slice(&[0x1d, b'(', b'k', len as u8, 0, 0x31, 0x50, 0x30]);
    b.extend_from_slice(data);
    b.extend_from_slice(b"\x1d(k\x03\x00\x31\x51\x30");
    let r = clean(&b);
    let side = qr_side(qr_version(data, Ecc::M).unwrap()) * 5;
    assert_eq!(r.image.height(), side);
    assert_eq!(
        r.report.qr_codes,
        vec!["https://example.tw/till".to_string()]
    );
    let mut gray =
        image::GrayImage::from_pixel(r.image.width() + 40, side + 40, image::Luma([255]));
    image::imageops::overlay(&mut gray, &r.image.to_gray(), 20, 20);
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    let grids = prepared.detect_grids();
    assert_eq!(grids[0].decode().unwrap().1, "https://example.tw/till");
}

#[test]
fn gs_v_0_prints_the_raster_dot_for_dot_and_scales() {
    let r = clean(b"\x1dv0\x00\x01\x00\x02\x00\x81\x42");
    assert!(r.image.get(0, 0) && r.image.get(7, 0) && r.image.get(1, 1) && r.image.get(6, 1));
    assert!(!r.image.get(1, 0));
    let r = clean(b"\x1dv0\x03\x01\x00\x01\x00\x80");
    assert_eq!(r.image.height(), 2);
    assert!(r.image.get(1, 1) && !r.image.get(2, 0));
}

#[test]
fn esc_star_prints_24_dot_columns() {
    let mut b = b"\x1b*\x21\x02\x00".to_vec();
    b.extend_from_slice(&[0x80, 0, 0x01, 0, 0, 0]);
    b.push(b'\n');
    let r = clean(&b);
    assert!(r.image.get(0, 0) && r.image.get(0, 23) && !r.image.get(1, 0));
}

#[test]
fn page_mode_places_by_position_and_prints_on_ff() {
    // 1-dot units, area 384 × 40, an 8×8 raster bottom at y = 20, x = 100.
    let mut b = b"\x1dP\xcb\xcb\x1bL\x1bW\x00\x00\x00\x00\x80\x01\x28\x00\x1bT\x00".to_vec();
    b.extend_from_slice(b"\x1b$\x64\x00\x1d$\x14\x00\x1dv0\x00\x01\x00\x08\x00");
    b.extend_from_slice(&[0xFF; 8]);
    b.push(0x0C);
    let r = clean(&b);
    assert_eq!(r.report.page_mode_pages, 1);
    assert_eq!(r.image.height(), 40);
    assert!(r.image.get(100, 12) && r.image.get(107, 19));
    assert!(!r.image.get(100, 20) && !r.image.get(99, 12));
}

#[test]
fn esc_s_leaves_page_mode_without_printing() {
    let r = clean(b"\x1bL\x1bW\x00\x00\x00\x00\x80\x01\x28\x00AB\x1bS");
    assert_eq!(r.report.page_mode_pages, 0);
    assert!(r.image.ink_columns().is_none());
}

#[test]
fn esc_t_and_code_table_are_known() {
    let r = clean(b"\x1bt\x00A\n");
    assert_eq!(r.report.text, "A\n");
}

#[test]
fn unknown_commands_are_reported_with_offsets() {
    // An unknown command's parameter length is unknown too: control bytes
    // among its parameters show up as well rather than vanish.
    let r = render(b"A\x1bz\x01B\x1d\x99\x00\n\x07", &p58());
    assert_eq!(
        r.report.unknown,
        vec![
            (1, vec![0x1b, b'z']),
            (3, vec![0x01]),
            (5, vec![0x1d, 0x99]),
            (7, vec![0x00]),
            (9, vec![0x07])
        ]
    );
}

#[test]
fn truncated_command_is_reported() {
    let r = render(b"A\n\x1dv0\x00\x10\x00\x10\x00\x01\x02", &p58());
    assert_eq!(r.report.unknown.len(), 1);
    assert_eq!(r.report.unknown[0].0, 2);
}
