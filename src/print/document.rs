//! What to print, independent of any printer: text, two-column rows, rules,
//! barcodes, QR codes, a logo, feed, cut and the cash drawer.

use crate::money::Ntd;

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

/// What the e-invoice proof (電子發票證明聯) prints. The strings come from
/// the `einvoice` module's builders; this module only lays them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofData {
    /// Seller's name or shop sign over the title, if any.
    pub seller_name: Option<String>,
    /// `115年11-12月`.
    pub period_label: String,
    /// `AB-12345678`.
    pub number_dashed: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub datetime: String,
    pub random_code: String,
    pub total: Ntd,
    pub seller_ban: String,
    pub buyer_ban: Option<String>,
    /// The 19-character Code 39 content.
    pub code39: String,
    pub left_qr: String,
    pub right_qr: String,
    /// A test-environment invoice: the title says 測試.
    pub test: bool,
    /// A reprint: says 補印.
    pub reprint: bool,
}

/// The e-invoice proof, laid out as the Ministry of Finance's sample.
pub fn proof_document(p: &ProofData) -> Document {
    let mut d = Document::new();
    if let Some(name) = &p.seller_name {
        d.text(name, Style::center().bold());
    }
    let title = if p.test {
        "測試電子發票證明聯"
    } else {
        "電子發票證明聯"
    };
    d.text(title, Style::center().tall().bold());
    if p.reprint {
        d.text("補印", Style::center().bold());
    }
    d.text(&p.period_label, Style::center().double().bold());
    d.text(&p.number_dashed, Style::center().double().bold());
    let mut when = p.datetime.clone();
    if p.buyer_ban.is_some() {
        when.push_str(" 格式 25");
    }
    d.text(when, Style::default());
    d.text(
        format!("隨機碼 {}   總計 {}", p.random_code, p.total.dollars()),
        Style::default(),
    );
    let mut bans = format!("賣方 {}", p.seller_ban);
    if let Some(b) = &p.buyer_ban {
        bans.push_str(&format!("   買方 {b}"));
    }
    d.text(bans, Style::default());
    d.barcode(Symbology::Code39, &p.code39, 40, false);
    d.feed(1);
    d.qr_pair(&p.left_qr, &p.right_qr);
    d.feed(2).cut();
    d
}

/// One item line on a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptItem {
    pub name: String,
    pub qty: u32,
    /// Line total.
    pub amount: Ntd,
}

/// What a sales receipt prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptData {
    pub shop_name: String,
    pub header_lines: Vec<String>,
    pub sale_no: String,
    pub datetime: String,
    pub items: Vec<ReceiptItem>,
    pub total: Ntd,
    /// Tender label (e.g. `街口支付 ****1234`) and amount.
    pub tenders: Vec<(String, Ntd)>,
    pub change: Ntd,
    /// Printed as Code 128 so a refund or reprint starts with one scan.
    pub receipt_code: String,
    pub footer: Option<String>,
    pub open_drawer: bool,
}

/// A sales receipt.
pub fn receipt_document(r: &ReceiptData) -> Document {
    let mut d = Document::new();
    d.text(&r.shop_name, Style::center().double().bold());
    for h in &r.header_lines {
        d.text(h, Style::center());
    }
    d.row(format!("單號 {}", r.sale_no), "");
    d.row(&r.datetime, "");
    d.rule();
    for item in &r.items {
        let left = if item.qty == 1 {
            item.name.clone()
        } else {
            format!("{} x{}", item.name, item.qty)
        };
        d.row(left, item.amount.to_string());
    }
    d.rule();
    d.row_styled(
        "合計 Total",
        r.total.to_string(),
        Style::default().tall().bold(),
    );
    for (label, amount) in &r.tenders {
        d.row(label, amount.to_string());
    }
    if r.change.is_positive() {
        d.row("找零 Change", r.change.to_string());
    }
    if let Some(f) = &r.footer {
        d.feed(1);
        d.text(f, Style::center());
    }
    d.barcode(Symbology::Code128, &r.receipt_code, 48, true);
    d.feed(2).cut();
    if r.open_drawer {
        d.drawer(2);
    }
    d
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
