//! What to print, independent of any printer: text, two-column rows, rules,
//! barcodes, QR codes, a logo, feed, cut and the cash drawer.

use super::bitmap::Bitmap;
use super::font::{char_columns, display_width};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// Character style. `width` and `height` are multipliers, 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub width: u8,
    pub height: u8,
    pub bold: bool,
    pub underline: bool,
    pub align: Align,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            width: 1,
            height: 1,
            bold: false,
            underline: false,
            align: Align::Left,
        }
    }
}

impl Style {
    pub fn center() -> Style {
        Style {
            align: Align::Center,
            ..Style::default()
        }
    }
    pub fn double(self) -> Style {
        Style {
            width: 2,
            height: 2,
            ..self
        }
    }
    pub fn tall(self) -> Style {
        Style { height: 2, ..self }
    }
    pub fn bold(self) -> Style {
        Style { bold: true, ..self }
    }
    pub fn underline(self) -> Style {
        Style {
            underline: true,
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbology {
    /// Code 39: digits, upper-case letters, space and `-.$/+%`.
    Code39,
    /// Code 128, printed in code set B (or C for even-length digit strings).
    Code128,
}

/// QR error correction level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecc {
    L,
    M,
    Q,
    H,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph, wrapped by display width.
    Text {
        text: String,
        style: Style,
    },
    /// `left` wraps in the space `right` leaves; `right` sits on the first line.
    Row {
        left: String,
        right: String,
        style: Style,
    },
    /// A full-width line of `ch`.
    Rule {
        ch: char,
    },
    Barcode {
        symbology: Symbology,
        data: String,
        /// Bar height in dots.
        height: u32,
        /// Print the human-readable text under the bars.
        hri: bool,
        align: Align,
    },
    Qr {
        data: String,
        ecc: Ecc,
        align: Align,
        /// Bigger modules, for a code scanned off the counter by a phone.
        large: bool,
    },
    /// Two QR codes side by side, same size, top-aligned (e-invoice proof).
    QrPair {
        left: String,
        right: String,
        ecc: Ecc,
    },
    Logo {
        image: Bitmap,
        align: Align,
    },
    /// Blank lines.
    Feed {
        lines: u8,
    },
    Cut,
    /// Pulse the cash drawer on connector pin 2 or 5.
    Drawer {
        pin: u8,
    },
}

/// A printable document: blocks top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new() -> Document {
        Document::default()
    }
    pub fn text(&mut self, text: impl Into<String>, style: Style) -> &mut Document {
        self.blocks.push(Block::Text {
            text: text.into(),
            style,
        });
        self
    }
    pub fn row(&mut self, left: impl Into<String>, right: impl Into<String>) -> &mut Document {
        self.row_styled(left, right, Style::default())
    }
    pub fn row_styled(
        &mut self,
        left: impl Into<String>,
        right: impl Into<String>,
        style: Style,
    ) -> &mut Document {
        self.blocks.push(Block::Row {
            left: left.into(),
            right: right.into(),
            style,
        });
        self
    }
    pub fn rule(&mut self) -> &mut Document {
        self.blocks.push(Block::Rule { ch: '-' });
        self
    }
    pub fn barcode(
        &mut self,
        symbology: Symbology,
        data: impl Into<String>,
        height: u32,
        hri: bool,
    ) -> &mut Document {
        self.blocks.push(Block::Barcode {
            symbology,
            data: data.into(),
            height,
            hri,
            align: Align::Center,
        });
        self
    }
    pub fn qr(&mut self, data: impl Into<String>, ecc: Ecc) -> &mut Document {
        self.blocks.push(Block::Qr {
            data: data.into(),
            ecc,
            align: Align::Center,
            large: false,
        });
        self
    }
    /// A QR code with bigger modules (error correction M), for a URL a
    /// customer scans with a phone.
    pub fn qr_large(&mut self, data: impl Into<String>) -> &mut Document {
        self.blocks.push(Block::Qr {
            data: data.into(),
            ecc: Ecc::M,
            align: Align::Center,
            large: true,
        });
        self
    }
    pub fn qr_pair(&mut self, left: impl Into<String>, right: impl Into<String>) -> &mut Document {
        self.blocks.push(Block::QrPair {
            left: left.into(),
            right: right.into(),
            ecc: Ecc::L,
        });
        self
    }
    pub fn logo(&mut self, image: Bitmap) -> &mut Document {
        self.blocks.push(Block::Logo {
            image,
            align: Align::Center,
        });
        self
    }
    pub fn feed(&mut self, lines: u8) -> &mut Document {
        self.blocks.push(Block::Feed { lines });
        self
    }
    pub fn cut(&mut self) -> &mut Document {
        self.blocks.push(Block::Cut);
        self
    }
    pub fn drawer(&mut self, pin: u8) -> &mut Document {
        self.blocks.push(Block::Drawer { pin });
        self
    }
}

/// Break `text` into lines of at most `cols` display columns. Breaks at
/// spaces where a Latin word allows it and between any two Chinese
/// characters; a Chinese character is never split across lines.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(2);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut width = 0;
        // Tokens: a run of Latin non-space characters, or one other character.
        let mut tokens: Vec<String> = Vec::new();
        for c in para.chars() {
            let latin = char_columns(c) == 1 && c != ' ';
            match tokens.last_mut() {
                Some(t)
                    if latin
                        && t.chars()
                            .last()
                            .is_some_and(|p| char_columns(p) == 1 && p != ' ') =>
                {
                    t.push(c)
                }
                _ => tokens.push(c.to_string()),
            }
        }
        for token in tokens {
            let tw = display_width(&token);
            if width + tw > cols && width > 0 {
                lines.push(line.trim_end().to_string());
                line.clear();
                width = 0;
                if token == " " {
                    continue;
                }
            }
            if tw > cols {
                // A word longer than the line: hard-break it.
                for c in token.chars() {
                    let w = char_columns(c);
                    if width + w > cols {
                        lines.push(std::mem::take(&mut line));
                        width = 0;
                    }
                    line.push(c);
                    width += w;
                }
            } else {
                line.push_str(&token);
                width += tw;
            }
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Lay out a two-column row in `cols` columns: the left text wraps in the
/// space the right text leaves, the right text is right-aligned on the first
/// line. Every returned line is exactly `cols` wide or shorter.
pub fn row_lines(left: &str, right: &str, cols: usize) -> Vec<String> {
    let rw = display_width(right);
    if rw + 2 > cols {
        let mut v = wrap(left, cols);
        v.extend(wrap(right, cols).into_iter().map(|r| pad_left(&r, cols)));
        return v;
    }
    let mut lines = wrap(left, cols - rw - 1);
    let first = &lines[0];
    let gap = cols - display_width(first) - rw;
    lines[0] = format!("{first}{}{right}", " ".repeat(gap));
    lines
}

fn pad_left(s: &str, cols: usize) -> String {
    format!("{}{s}", " ".repeat(cols.saturating_sub(display_width(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_chinese_whole_and_within_width() {
        let lines = wrap("招牌珍珠奶茶大杯少冰半糖加椰果", 11);
        for l in &lines {
            assert!(display_width(l) <= 11, "{l:?}");
        }
        assert_eq!(lines.concat(), "招牌珍珠奶茶大杯少冰半糖加椰果");
        assert_eq!(lines[0], "招牌珍珠奶");
    }

    #[test]
    fn wrap_breaks_latin_at_spaces() {
        assert_eq!(wrap("iced black tea", 10), vec!["iced black", "tea"]);
    }

    #[test]
    fn row_puts_price_right_on_first_line() {
        let lines = row_lines("招牌珍珠奶茶大杯少冰半糖", "NT$1,060", 20);
        assert_eq!(lines[0], "招牌珍珠奶  NT$1,060");
        assert_eq!(display_width(&lines[0]), 20);
        assert_eq!(lines[1], "茶大杯少冰");
        assert_eq!(lines[2], "半糖");
    }
}
