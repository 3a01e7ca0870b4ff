//! The bundled font (Noto Sans Mono CJK TC, subset; see assets/fonts/README.md)
//! rasterised into the printers' character cells.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _, point};

use super::bitmap::Bitmap;

pub static FONT_BYTES: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansMonoCJKtc-Regular.subset.otf");

/// Columns a character takes on a receipt: 1 for ASCII, Latin-1 and
/// half-width forms, 2 for everything else (Chinese, full-width forms,
/// symbols), the way double-byte printer fonts print them.
pub fn char_columns(c: char) -> usize {
    let u = c as u32;
    if u < 0x100 || (0xFF61..=0xFFDC).contains(&u) {
        1
    } else {
        2
    }
}

/// Display width of a string in columns.
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_columns).sum()
}

/// A rasteriser for the bundled font with a cache of rendered cells.
pub struct CellFont {
    font: FontRef<'static>,
    cache: Mutex<HashMap<(char, u32, u32), Bitmap>>,
}

/// The font every printer-less glyph is drawn with.
pub fn bundled() -> &'static CellFont {
    static FONT: OnceLock<CellFont> = OnceLock::new();
    FONT.get_or_init(|| CellFont {
        // The bytes are ours and checked by the tests; a broken file is a build bug.
        font: FontRef::try_from_slice(FONT_BYTES).expect("bundled font parses"),
        cache: Mutex::new(HashMap::new()),
    })
}

impl CellFont {
    /// Whether the bundled subset has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.font.glyph_id(c).0 != 0
    }

    /// One character in a cell `cell_w` × `cell_h` dots (a full-width
    /// character takes two cells side by side).
    pub fn glyph(&self, c: char, cell_w: u32, cell_h: u32) -> Bitmap {
        let key = (c, cell_w, cell_h);
        if let Some(b) = self.cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return b;
        }
        let b = self.render(c, cell_w, cell_h);
        if let Ok(mut m) = self.cache.lock() {
            m.insert(key, b.clone());
        }
        b
    }

    fn render(&self, c: char, cell_w: u32, cell_h: u32) -> Bitmap {
        let cols = char_columns(c) as u32;
        let mut out = Bitmap::new(cell_w * cols, cell_h);
        if c == ' ' || c == '\u{3000}' {
            return out;
        }
        // The em square fills the cell height; CJK ideographs sit on
        // -0.12..0.88 em, so the baseline goes at 0.88 of the height.
        let scale = PxScale::from(cell_h as f32);
        let scaled = self.font.as_scaled(scale);
        let id = self.font.glyph_id(c);
        let advance = scaled.h_advance(id);
        let x0 = ((cell_w * cols) as f32 - advance).max(0.0) / 2.0;
        let glyph = id.with_scale_and_position(scale, point(x0, cell_h as f32 * 0.88));
        if let Some(outlined) = self.font.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                // Thermal heads print or don't: threshold the coverage.
                if coverage > 0.4 {
                    let x = bounds.min.x as i64 + gx as i64;
                    let y = bounds.min.y as i64 + gy as i64;
                    if x >= 0 && y >= 0 {
                        out.set(x as u32, y as u32, true);
                    }
                }
            });
        }
        out
    }

    /// A line of text in cells of `cell_w` × `cell_h`, at single size;
    /// bold is double-strike one dot to the right, as printers do.
    pub fn line(
        &self,
        text: &str,
        cell_w: u32,
        cell_h: u32,
        bold: bool,
        underline: bool,
    ) -> Bitmap {
        let cols = display_width(text) as u32;
        let mut out = Bitmap::new(cols * cell_w, cell_h);
        let mut x = 0i64;
        for c in text.chars() {
            let g = self.glyph(c, cell_w, cell_h);
            out.blit(&g, x, 0);
            if bold {
                out.blit(&g, x + 1, 0);
            }
            x += g.width() as i64;
        }
        if underline {
            out.fill_rect(0, cell_h - 2, out.width(), 1);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_two_columns_and_ascii_one() {
        assert_eq!(display_width("珍珠奶茶 L"), 10);
        assert_eq!(display_width("café"), 4);
    }

    #[test]
    fn subset_has_common_traditional_characters() {
        let f = bundled();
        for c in "電子發票證明聯隨機碼總計賣方買方補印測試珍珠奶茶鹽酥雞".chars()
        {
            assert!(f.has_glyph(c), "{c} missing from the bundled font");
        }
        let g = f.glyph('電', 12, 24);
        assert_eq!((g.width(), g.height()), (24, 24));
        assert!(g.ink_columns().is_some(), "電 rendered blank");
    }
}
