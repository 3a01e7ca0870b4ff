//! Barcode and QR geometry shared by the encoder (raster fallbacks) and the
//! emulator (drawing what `GS k` / `GS ( k` would print).

use barcoders::sym::{code39::Code39, code128::Code128};
use qrcode::{EcLevel, QrCode, Version};

use super::bitmap::Bitmap;
use super::model::Ecc;

/// Thick element width in dots for a Code 39 `GS w n` module (thin = n):
/// Epson's table (0.282/0.706 mm at n = 2 on 180 dpi), and 1:3 at n = 1
/// on the 203 dpi printers that accept it.
pub fn code39_wide(n: u32) -> u32 {
    match n {
        0 | 1 => 3,
        2 => 5,
        3 => 8,
        4 => 10,
        5 => 13,
        _ => 16,
    }
}

/// Characters Code 39 can carry.
pub fn code39_valid(data: &str) -> bool {
    !data.is_empty()
        && data
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || " -.$/+%".contains(c))
}

/// Code 39 (start/stop added) as bar widths; `narrow` and `wide` in dots,
/// one narrow space between characters.
pub fn code39_bars(data: &str, narrow: u32, wide: u32, height: u32) -> Option<Bitmap> {
    if !code39_valid(data) {
        return None;
    }
    let modules = Code39::new(data).ok()?.encode();
    // barcoders draws thin = 1 module and thick = 2: turn runs into elements.
    let mut elements: Vec<(bool, u32)> = Vec::new();
    for m in modules {
        let black = m == 1;
        match elements.last_mut() {
            Some((b, n)) if *b == black => *n += 1,
            _ => elements.push((black, 1)),
        }
    }
    let widths: Vec<(bool, u32)> = elements
        .into_iter()
        .map(|(b, n)| (b, if n >= 2 { wide } else { narrow }))
        .collect();
    Some(draw_bars(&widths, height))
}

/// Width in dots of a Code 39 symbol at module `n`.
pub fn code39_width(data: &str, n: u32) -> u32 {
    let chars = data.chars().count() as u32 + 2;
    chars * (3 * code39_wide(n) + 6 * n) + (chars - 1) * n
}

/// Code 128 from `GS k` data (`{B` / `{C` / `{A` code set selectors, with
/// code set C bytes as values 0..=99), `module` dots a module.
pub fn code128_bars(gs_k_data: &[u8], module: u32, height: u32) -> Option<Bitmap> {
    let mut text = String::new();
    let mut set = b'B';
    let mut i = 0;
    while i < gs_k_data.len() {
        let b = gs_k_data[i];
        if b == b'{' && i + 1 < gs_k_data.len() {
            let s = gs_k_data[i + 1];
            match s {
                b'A' | b'B' | b'C' => {
                    set = s;
                    text.push(match s {
                        b'A' => '\u{00C0}',
                        b'B' => '\u{0181}',
                        _ => '\u{0106}',
                    });
                }
                b'{' => text.push('{'),
                _ => return None, // FNC codes: not used by till
            }
            i += 2;
            continue;
        }
        if set == b'C' {
            if b > 99 {
                return None;
            }
            text.push_str(&format!("{b:02}"));
        } else {
            text.push(b as char);
        }
        i += 1;
    }
    let modules = Code128::new(&text).ok()?.encode();
    let widths: Vec<(bool, u32)> = modules.iter().map(|m| (*m == 1, module)).collect();
    Some(draw_bars(&widths, height))
}

/// `GS k` data for Code 128: code set C for even-length digit strings
/// (half the bars), else code set B.
pub fn code128_gs_k_data(data: &str) -> Option<Vec<u8>> {
    if data.is_empty() || !data.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return None;
    }
    let mut out = Vec::new();
    if data.len() >= 4 && data.len() % 2 == 0 && data.bytes().all(|b| b.is_ascii_digit()) {
        out.extend_from_slice(b"{C");
        for pair in data.as_bytes().chunks(2) {
            out.push((pair[0] - b'0') * 10 + (pair[1] - b'0'));
        }
    } else {
        out.extend_from_slice(b"{B");
        for b in data.bytes() {
            if b == b'{' {
                out.extend_from_slice(b"{{");
            } else {
                out.push(b);
            }
        }
    }
    Some(out)
}

/// Modules in a Code 128 symbol from its `GS k` data.
pub fn code128_modules(gs_k_data: &[u8]) -> Option<u32> {
    code128_bars(gs_k_data, 1, 1).map(|b| b.width())
}

fn draw_bars(widths: &[(bool, u32)], height: u32) -> Bitmap {
    let total: u32 = widths.iter().map(|(_, w)| w).sum();
    let mut b = Bitmap::new(total, height);
    let mut x = 0;
    for (black, w) in widths {
        if *black {
            b.fill_rect(x, 0, *w, height);
        }
        x += w;
    }
    b
}

pub fn ec_level(ecc: Ecc) -> EcLevel {
    match ecc {
        Ecc::L => EcLevel::L,
        Ecc::M => EcLevel::M,
        Ecc::Q => EcLevel::Q,
        Ecc::H => EcLevel::H,
    }
}

/// The smallest QR version holding `data`, as a printer's `GS ( k` picks it
/// (and `QrCode::with_error_correction_level` draws it): the data's bits
/// only, without drawing the symbol and trying its eight masks.
pub fn qr_version(data: &[u8], ecc: Ecc) -> Option<i16> {
    match qrcode::bits::encode_auto(data, ec_level(ecc))
        .ok()?
        .version()
    {
        Version::Normal(v) => Some(v),
        Version::Micro(_) => None,
    }
}

/// Modules on a side of a QR code of `version`.
pub fn qr_side(version: i16) -> u32 {
    17 + 4 * version as u32
}

/// A QR symbol without quiet zone, `module` dots a module; `version`
/// forces a size (to print two codes the same size).
pub fn qr_bitmap(data: &[u8], ecc: Ecc, module: u32, version: Option<i16>) -> Option<Bitmap> {
    let code = match version {
        Some(v) => QrCode::with_version(data, Version::Normal(v), ec_level(ecc)).ok()?,
        None => QrCode::with_error_correction_level(data, ec_level(ecc)).ok()?,
    };
    let side = code.width() as u32;
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    let mut b = Bitmap::new(side * module, side * module);
    for y in 0..side {
        for x in 0..side {
            if dark[(y * side + x) as usize] {
                b.fill_rect(x * module, y * module, module, module);
            }
        }
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code39_width_matches_drawing() {
        for n in 1..=3 {
            let b = code39_bars("11010SW830370768373", n, code39_wide(n), 4).unwrap();
            assert_eq!(b.width(), code39_width("11010SW830370768373", n));
        }
        // 19 characters fit 58 mm paper only with 1-dot thin bars.
        assert!(code39_width("11010SW830370768373", 1) <= 360);
        assert!(code39_width("11010SW830370768373", 2) > 512);
    }

    #[test]
    fn code128_set_c_for_even_digits() {
        assert_eq!(code128_gs_k_data("1234").unwrap(), vec![b'{', b'C', 12, 34]);
        assert_eq!(code128_gs_k_data("R1{").unwrap(), b"{BR1{{".to_vec());
        assert!(code128_bars(&code128_gs_k_data("1234").unwrap(), 1, 1).is_some());
    }
}
