//! Our ESC/POS emulator: bytes → the dots a printer with `profile` would
//! print, plus a report of everything that is not ink (cuts, drawer
//! pulses, status queries) and of every command it did not understand.

use super::bitmap::Bitmap;
use super::font::{bundled, char_columns, display_width};
use super::model::{Ecc, Symbology};
use super::profile::{Chinese, Profile};
use super::symbols;

/// What a cut command asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutKind {
    Full,
    Partial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawerPulse {
    /// Connector pin, 2 or 5.
    pub pin: u8,
    pub on_ms: u32,
    pub off_ms: u32,
}

/// Everything the render saw besides ink.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderReport {
    /// Commands the emulator does not know: (byte offset, the bytes it skipped).
    pub unknown: Vec<(usize, Vec<u8>)>,
    /// Known commands used in a way it cannot show (offset, what).
    pub warnings: Vec<(usize, String)>,
    pub cuts: Vec<CutKind>,
    pub drawer_pulses: Vec<DrawerPulse>,
    /// `DLE EOT n` queries, by n.
    pub status_queries: Vec<u8>,
    /// The printed characters, a line per line feed.
    pub text: String,
    /// Data of the QR codes printed with `GS ( k`.
    pub qr_codes: Vec<String>,
    /// Barcodes printed with `GS k`.
    pub barcodes: Vec<(Symbology, String)>,
    pub page_mode_pages: usize,
}

/// A rendered print-out.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub image: Bitmap,
    pub report: RenderReport,
}

impl Rendered {
    /// The print-out as a PNG file's bytes.
    pub fn png(&self) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        // Writing a PNG into memory cannot fail short of running out of memory.
        self.image
            .to_gray()
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("PNG encoding in memory");
        out.into_inner()
    }
}

/// The longest print-out drawn, in dots: about 12 m of paper at 203 dpi,
/// far past any receipt or report. A longer file (a broken or hostile one
/// given to `till render`) stops there, with a warning, rather than taking
/// the machine's memory.
pub const MAX_PAPER_DOTS: u32 = 100_000;

/// The largest page-mode area: Epson's maximum printable area in page mode
/// (the whole line wide, 1662 dots long), which `ESC W` cannot exceed.
const MAX_PAGE_DOTS: u32 = 1662;

/// Render `bytes` as the printer described by `profile` would print them.
pub fn render(bytes: &[u8], profile: &Profile) -> Rendered {
    render_capped(bytes, profile, MAX_PAPER_DOTS)
}

/// What a render finds without drawing: how long the paper is and the
/// whole report (cuts, text, barcodes and QR codes read, warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Dots of paper the print-out takes: the rendered image's height.
    pub paper_dots: u32,
    pub report: RenderReport,
}

/// [`render_capped`] without the drawing: every command is read and laid
/// out the same way (the same sizes of glyphs, barcodes, QR codes and
/// images, the same wraps, feeds and page areas), but no dot is painted,
/// no glyph rasterised and no QR mask chosen. For the ESC/POS fuzz target,
/// where painting cost nearly all of each run; a test holds that it agrees
/// with [`render_capped`].
pub fn layout_capped(bytes: &[u8], profile: &Profile, max_paper_dots: u32) -> Layout {
    let mut e = Emulator::new(profile);
    e.paint = false;
    // Zero dots wide: the paper and page areas keep their lengths and
    // sizes, and drawing onto them does nothing.
    e.paper = Bitmap::new(0, 0);
    e.max_paper = max_paper_dots.min(MAX_PAPER_DOTS);
    e.run(bytes);
    e.flush_line();
    Layout {
        paper_dots: e.y.max(1),
        report: e.report,
    }
}

/// [`render`] that stops drawing after `max_paper_dots` of paper (never
/// more than [`MAX_PAPER_DOTS`]). The ESC/POS fuzz target uses a short cap:
/// every command is still read the same way, but a few bytes of feed no
/// longer make each run allocate and copy metres of paper.
pub fn render_capped(bytes: &[u8], profile: &Profile, max_paper_dots: u32) -> Rendered {
    let mut e = Emulator::new(profile);
    e.max_paper = max_paper_dots.min(MAX_PAPER_DOTS);
    e.run(bytes);
    e.flush_line();
    // The paper ends where the last feed left it: a taller last line is
    // cut there, a feed past the last ink is blank paper.
    let mut image = e.paper;
    image.set_height(e.y.max(1));
    Rendered {
        image,
        report: e.report,
    }
}

struct Page {
    width: u32,
    height: u32,
    canvas: Bitmap,
    x: u32,
    y: u32,
}

struct Emulator<'a> {
    p: &'a Profile,
    paper: Bitmap,
    y: u32,
    /// Pending line: (x, image) bottom-aligned when the line prints.
    line: Vec<(u32, Bitmap)>,
    x: u32,
    align: u8,
    bold: bool,
    underline: bool,
    kanji_underline: bool,
    size: (u32, u32),
    kanji_size: (u32, u32),
    font_b: bool,
    kanji: bool,
    line_spacing: u32,
    barcode_height: u32,
    barcode_module: u32,
    hri: u8,
    qr_module: u32,
    qr_ecc: Ecc,
    qr_data: Vec<u8>,
    units: (u32, u32),
    page: Option<Page>,
    report: RenderReport,
    /// Paper drawn at most, in dots.
    max_paper: u32,
    /// False when only laying out ([`layout_capped`]): images keep their
    /// sizes but are left blank.
    paint: bool,
}

impl<'a> Emulator<'a> {
    fn new(p: &'a Profile) -> Emulator<'a> {
        Emulator {
            p,
            paper: Bitmap::new(p.dots_per_line, 0),
            y: 0,
            line: Vec::new(),
            x: 0,
            align: 0,
            bold: false,
            underline: false,
            kanji_underline: false,
            size: (1, 1),
            kanji_size: (1, 1),
            font_b: false,
            kanji: false,
            line_spacing: p.line_spacing,
            barcode_height: 162,
            barcode_module: 3,
            hri: 0,
            qr_module: 3,
            qr_ecc: Ecc::L,
            qr_data: Vec::new(),
            units: (p.dpi, p.dpi),
            page: None,
            report: RenderReport::default(),
            max_paper: MAX_PAPER_DOTS,
            paint: true,
        }
    }

    fn reset(&mut self) {
        let (paper, y, report, line, x, max_paper, paint) = (
            std::mem::replace(&mut self.paper, Bitmap::new(0, 0)),
            self.y,
            std::mem::take(&mut self.report),
            std::mem::take(&mut self.line),
            self.x,
            self.max_paper,
            self.paint,
        );
        *self = Emulator::new(self.p);
        (
            self.paper,
            self.y,
            self.report,
            self.line,
            self.x,
            self.max_paper,
            self.paint,
        ) = (paper, y, report, line, x, max_paper, paint);
    }

    fn unknown(&mut self, offset: usize, bytes: &[u8]) {
        self.report.unknown.push((offset, bytes.to_vec()));
    }

    fn warn(&mut self, offset: usize, what: impl Into<String>) {
        self.report.warnings.push((offset, what.into()));
    }

    fn run(&mut self, b: &[u8]) {
        let mut i = 0;
        // Parameters past the end of the data read as missing.
        let arg = |i: usize| b.get(i).copied();
        while i < b.len() {
            if self.y > self.max_paper {
                let cap = self.max_paper;
                self.warn(
                    i,
                    format!("print-out longer than {cap} dots: the rest is not drawn"),
                );
                return;
            }
            let c = b[i];
            let start = i;
            macro_rules! need {
                ($n:expr) => {
                    if i + $n > b.len() {
                        self.unknown(start, &b[start..]);
                        return;
                    }
                };
            }
            match c {
                0x0A => {
                    self.line_feed();
                    i += 1;
                }
                0x0D => i += 1, // CR: LF does the work on every printer we drive
                0x09 => {
                    let cell = self.cell_w();
                    self.x = (self.x / (8 * cell) + 1) * 8 * cell;
                    i += 1;
                }
                0x0C => {
                    self.form_feed();
                    i += 1;
                }
                0x18 => {
                    let paint = self.paint;
                    if let Some(page) = &mut self.page {
                        page.canvas = page_canvas(page.width, page.height, paint);
                    }
                    i += 1;
                }
                0x10 => {
                    need!(3);
                    if b[i + 1] == 0x04 {
                        self.report.status_queries.push(b[i + 2]);
                        i += 3;
                    } else {
                        self.unknown(start, &b[i..i + 2]);
                        i += 2;
                    }
                }
                0x1B => {
                    need!(2);
                    i = self.esc(b, i);
                }
                0x1D => {
                    need!(2);
                    i = self.gs(b, i);
                }
                0x1C => {
                    need!(2);
                    i = self.fs(b, i);
                }
                0x20..=0x7E => {
                    self.char(c as char, false);
                    i += 1;
                }
                0x81..=0xFE if self.kanji && self.p.chinese != Chinese::None => {
                    let Some(t) = arg(i + 1) else {
                        self.unknown(start, &b[start..]);
                        return;
                    };
                    let (ch, len) = match self.p.chinese {
                        Chinese::Gb18030 if (0x30..=0x39).contains(&t) => {
                            need!(4);
                            (decode_gb(&b[i..i + 4]), 4)
                        }
                        Chinese::Gb18030 => (decode_gb(&b[i..i + 2]), 2),
                        _ => {
                            let (s, _) =
                                encoding_rs::BIG5.decode_without_bom_handling(&b[i..i + 2]);
                            (s.chars().next().unwrap_or('\u{FFFD}'), 2)
                        }
                    };
                    self.char(ch, true);
                    i += len;
                }
                0x80..=0xFF => {
                    // Code-page characters: till never sends them; show as Latin-1.
                    self.warn(start, format!("code page byte {c:#04x} shown as Latin-1"));
                    self.char(c as char, false);
                    i += 1;
                }
                _ => {
                    self.unknown(start, &b[i..i + 1]);
                    i += 1;
                }
            }
        }
    }

    fn esc(&mut self, b: &[u8], i: usize) -> usize {
        let cmd = b[i + 1];
        let n = b.get(i + 2).copied();
        let one = |this: &mut Self, f: &mut dyn FnMut(&mut Self, u8)| -> usize {
            match n {
                Some(n) => {
                    f(this, n);
                    i + 3
                }
                None => {
                    this.unknown(i, &b[i..]);
                    b.len()
                }
            }
        };
        match cmd {
            b'@' => {
                self.reset();
                i + 2
            }
            b'a' => one(self, &mut |s, n| s.align = (n % 48).min(2)),
            b'E' => one(self, &mut |s, n| s.bold = n & 1 == 1),
            b'-' => one(self, &mut |s, n| s.underline = n % 48 != 0),
            b'M' => one(self, &mut |s, n| s.font_b = n % 48 == 1),
            b't' => one(self, &mut |_, _| {}),
            b'!' => one(self, &mut |s, n| {
                s.font_b = n & 1 != 0;
                s.bold = n & 0x08 != 0;
                s.size = (1 + (n >> 5 & 1) as u32, 1 + (n >> 4 & 1) as u32);
                s.underline = n & 0x80 != 0;
            }),
            b'd' => one(self, &mut |s, n| {
                s.flush_line();
                s.y += n as u32 * s.line_spacing;
            }),
            b'J' => one(self, &mut |s, n| {
                s.flush_line();
                s.y += n as u32;
            }),
            b'2' => {
                self.line_spacing = self.p.line_spacing;
                i + 2
            }
            b'3' => one(self, &mut |s, n| s.line_spacing = n as u32),
            b'p' => {
                if i + 5 > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let pin = if b[i + 2] % 48 == 0 { 2 } else { 5 };
                if !self.p.drawer_pins.contains(&pin) {
                    self.warn(i, format!("drawer pin {pin} not on this printer"));
                }
                self.report.drawer_pulses.push(DrawerPulse {
                    pin,
                    on_ms: b[i + 3] as u32 * 2,
                    off_ms: b[i + 4] as u32 * 2,
                });
                i + 5
            }
            b'L' => {
                self.flush_line();
                if !self.p.page_mode {
                    self.warn(i, "page mode on a printer without it");
                }
                self.page = Some(Page {
                    width: self.p.dots_per_line,
                    height: MAX_PAGE_DOTS.min(self.p.dots_per_line * 4),
                    canvas: page_canvas(
                        self.p.dots_per_line,
                        MAX_PAGE_DOTS.min(self.p.dots_per_line * 4),
                        self.paint,
                    ),
                    x: 0,
                    y: 0,
                });
                i + 2
            }
            b'S' => {
                self.page = None;
                i + 2
            }
            b'W' => {
                if i + 10 > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let v = |k: usize| b[i + k] as u32 | (b[i + k + 1] as u32) << 8;
                let (x, y, dx, dy) = (v(2), v(4), v(6), v(8));
                let (w, h) = (self.hx(dx), self.vy(dy));
                if x != 0 || y != 0 {
                    self.warn(i, "page area origin other than 0,0 drawn at 0,0");
                }
                // A printer clips the area to what it can print.
                let (max_w, max_h) = (self.p.dots_per_line, MAX_PAGE_DOTS);
                if w > max_w || h > max_h {
                    self.warn(i, "page area larger than the printable area: clipped");
                }
                let (w, h) = (w.min(max_w), h.min(max_h));
                let paint = self.paint;
                if let Some(page) = &mut self.page {
                    *page = Page {
                        width: w,
                        height: h,
                        canvas: page_canvas(w, h, paint),
                        x: 0,
                        y: 0,
                    };
                } else {
                    self.warn(i, "ESC W outside page mode");
                }
                i + 10
            }
            b'T' => one(self, &mut |s, n| {
                if n % 48 != 0 {
                    s.warn(i, format!("page direction {n} drawn as 0"));
                }
            }),
            b'$' => {
                if i + 4 > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let x = self.hx(b[i + 2] as u32 | (b[i + 3] as u32) << 8);
                match &mut self.page {
                    Some(page) => page.x = x,
                    None => self.x = x,
                }
                i + 4
            }
            b'*' => {
                if i + 5 > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let m = b[i + 2];
                let n = (b[i + 3] as usize) | (b[i + 4] as usize) << 8;
                let (rows, wide) = match m {
                    0 => (8, 2),
                    1 => (8, 1),
                    32 => (24, 2),
                    33 => (24, 1),
                    _ => {
                        self.unknown(i, &b[i..i + 3]);
                        return i + 3;
                    }
                };
                let k = n * rows / 8;
                if i + 5 + k > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let data = &b[i + 5..i + 5 + k];
                let img = if self.paint {
                    let mut img = Bitmap::new(n as u32, rows as u32);
                    for col in 0..n {
                        for r in 0..rows {
                            let byte = data[col * rows / 8 + r / 8];
                            if byte & (0x80 >> (r % 8)) != 0 {
                                img.set(col as u32, r as u32, true);
                            }
                        }
                    }
                    img.scaled(wide, 1)
                } else {
                    Bitmap::new(n as u32 * wide, rows as u32)
                };
                self.put_inline(img);
                i + 5 + k
            }
            _ => {
                self.unknown(i, &b[i..i + 2]);
                i + 2
            }
        }
    }

    fn gs(&mut self, b: &[u8], i: usize) -> usize {
        let cmd = b[i + 1];
        let n = b.get(i + 2).copied();
        let Some(n) = n else {
            self.unknown(i, &b[i..]);
            return b.len();
        };
        match cmd {
            b'!' => {
                self.size = (1 + (n >> 4 & 7) as u32, 1 + (n & 7) as u32);
                i + 3
            }
            b'h' => {
                self.barcode_height = n.max(1) as u32;
                i + 3
            }
            b'w' => {
                self.barcode_module = n.clamp(1, 6) as u32;
                i + 3
            }
            b'H' => {
                self.hri = n % 48;
                i + 3
            }
            b'V' => {
                self.flush_line();
                let (kind, len) = match n {
                    0 | 48 => (CutKind::Full, 3),
                    1 | 49 => (CutKind::Partial, 3),
                    65 => (CutKind::Full, 4),
                    66 => (CutKind::Partial, 4),
                    _ => {
                        self.unknown(i, &b[i..i + 3]);
                        return i + 3;
                    }
                };
                if len == 4 {
                    self.y += b.get(i + 3).copied().unwrap_or(0) as u32;
                }
                self.report.cuts.push(kind);
                i + len
            }
            b'P' => {
                if i + 4 > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let d = |v: u8| if v == 0 { self.p.dpi } else { v as u32 };
                self.units = (d(b[i + 2]), d(b[i + 3]));
                i + 4
            }
            b'$' => {
                if i + 4 > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let y = self.vy(b[i + 2] as u32 | (b[i + 3] as u32) << 8);
                match &mut self.page {
                    Some(page) => page.y = y,
                    None => self.warn(i, "GS $ outside page mode"),
                }
                i + 4
            }
            b'v' if n == b'0' => {
                if i + 8 > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let m = b[i + 3];
                let wb = b[i + 4] as u32 | (b[i + 5] as u32) << 8;
                let h = b[i + 6] as u32 | (b[i + 7] as u32) << 8;
                let len = (wb * h) as usize;
                if i + 8 + len > b.len() {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
                let m = m % 48;
                let (sx, sy) = (1 + (m & 1) as u32, 1 + (m >> 1 & 1) as u32);
                let img = if self.paint {
                    Bitmap::from_raster(wb, h, &b[i + 8..i + 8 + len]).scaled(sx, sy)
                } else {
                    Bitmap::new(wb * 8 * sx, h * sy)
                };
                self.put_block(img);
                i + 8 + len
            }
            b'k' => self.barcode(b, i),
            b'(' if n == b'k' => self.qr(b, i),
            _ => {
                self.unknown(i, &b[i..i + 2]);
                i + 2
            }
        }
    }

    fn fs(&mut self, b: &[u8], i: usize) -> usize {
        match b[i + 1] {
            b'&' => {
                if self.p.chinese == Chinese::None {
                    self.warn(i, "FS & on a printer without a Chinese font");
                }
                self.kanji = true;
                i + 2
            }
            b'.' => {
                self.kanji = false;
                i + 2
            }
            b'-' | b'!' if i + 2 < b.len() => {
                let n = b[i + 2];
                if b[i + 1] == b'-' {
                    self.kanji_underline = n % 48 != 0;
                } else {
                    self.kanji_size = (1 + (n >> 2 & 1) as u32, 1 + (n >> 3 & 1) as u32);
                    self.kanji_underline = n & 0x80 != 0;
                }
                i + 3
            }
            _ => {
                self.unknown(i, &b[i..i + 2]);
                i + 2
            }
        }
    }

    fn hx(&self, v: u32) -> u32 {
        v * self.p.dpi / self.units.0
    }

    fn vy(&self, v: u32) -> u32 {
        v * self.p.dpi / self.units.1
    }

    fn cell_w(&self) -> u32 {
        if self.font_b {
            self.p.font_b.width
        } else {
            self.p.font_a.width
        }
    }

    fn char(&mut self, c: char, kanji: bool) {
        let (cw, ch) = if self.font_b && !kanji {
            (self.p.font_b.width, self.p.font_b.height)
        } else {
            (self.p.font_a.width, self.p.font_a.height)
        };
        // GS ! scales both; FS ! adds Chinese-only doubling.
        let (sx, sy) = if kanji {
            (
                self.size.0.max(self.kanji_size.0),
                self.size.1.max(self.kanji_size.1),
            )
        } else {
            self.size
        };
        let glyph = if self.paint {
            let underline = if kanji {
                self.kanji_underline || self.underline
            } else {
                self.underline
            };
            bundled()
                .line(&c.to_string(), cw, ch, self.bold, underline)
                .scaled(sx, sy)
        } else {
            // The cell `line` draws the character in.
            Bitmap::new(char_columns(c) as u32 * cw * sx, ch * sy)
        };
        self.report.text.push(c);
        if let Some(page) = &mut self.page {
            let top = page.y as i64 - glyph.height() as i64;
            page.canvas.blit(&glyph, page.x as i64, top);
            page.x += glyph.width();
            return;
        }
        if self.x + glyph.width() > self.p.dots_per_line {
            // Printers wrap a full line by themselves.
            self.flush_line();
            self.y += self.line_gap(0);
        }
        let x = self.x;
        self.x += glyph.width();
        self.line.push((x, glyph));
    }

    /// Line feed: print the pending line and advance.
    fn line_feed(&mut self) {
        self.report.text.push('\n');
        if let Some(page) = &mut self.page {
            page.x = 0;
            page.y += self.line_spacing;
            return;
        }
        let h = self.flush_line();
        self.y += self.line_gap(h);
    }

    fn line_gap(&self, printed: u32) -> u32 {
        self.line_spacing.max(printed)
    }

    /// Print the pending line at the current y; returns its height.
    fn flush_line(&mut self) -> u32 {
        if self.line.is_empty() {
            self.x = 0;
            return 0;
        }
        let h = self.line.iter().map(|(_, g)| g.height()).max().unwrap_or(0);
        let w = self
            .line
            .iter()
            .map(|(x, g)| x + g.width())
            .max()
            .unwrap_or(0);
        let dx = self.align_offset(w);
        self.paper.grow_to(self.y + h);
        for (x, g) in std::mem::take(&mut self.line) {
            let y = self.y + h - g.height();
            self.paper.blit(&g, (x + dx) as i64, y as i64);
        }
        self.x = 0;
        h
    }

    fn align_offset(&self, w: u32) -> u32 {
        let free = self.p.dots_per_line.saturating_sub(w);
        match self.align {
            1 => free / 2,
            2 => free,
            _ => 0,
        }
    }

    /// Bit images sent with ESC * travel in the line like characters.
    fn put_inline(&mut self, img: Bitmap) {
        if let Some(page) = &mut self.page {
            let top = page.y as i64 - img.height() as i64;
            page.canvas.blit(&img, page.x as i64, top);
            page.x += img.width();
            return;
        }
        let x = self.x;
        self.x += img.width();
        self.line.push((x, img));
    }

    /// Raster images, barcodes and QR codes: printed at once, aligned by
    /// ESC a in standard mode, bottom on the baseline in page mode.
    fn put_block(&mut self, img: Bitmap) {
        if let Some(page) = &mut self.page {
            let top = page.y as i64 - img.height() as i64;
            page.canvas.blit(&img, page.x as i64, top);
            page.x += img.width();
            return;
        }
        let h = self.flush_line();
        self.y += h;
        let dx = self.align_offset(img.width());
        self.paper.grow_to(self.y + img.height());
        self.paper.blit(&img, dx as i64, self.y as i64);
        self.y += img.height();
    }

    fn form_feed(&mut self) {
        if let Some(page) = self.page.take() {
            self.flush_line();
            self.paper.grow_to(self.y + page.height);
            self.paper.blit(&page.canvas, 0, self.y as i64);
            self.y += page.height;
            self.report.page_mode_pages += 1;
        }
    }

    fn barcode(&mut self, b: &[u8], i: usize) -> usize {
        let m = b[i + 2];
        let (data, next) = if m >= 65 {
            let Some(&n) = b.get(i + 3) else {
                self.unknown(i, &b[i..]);
                return b.len();
            };
            let end = i + 4 + n as usize;
            if end > b.len() {
                self.unknown(i, &b[i..]);
                return b.len();
            }
            (&b[i + 4..end], end)
        } else {
            match b[i + 3..].iter().position(|x| *x == 0) {
                Some(p) => (&b[i + 3..i + 3 + p], i + 4 + p),
                None => {
                    self.unknown(i, &b[i..]);
                    return b.len();
                }
            }
        };
        let n = self.barcode_module;
        let h = self.barcode_height;
        let (sym, bars, hri) = match m {
            4 | 69 => {
                let s = String::from_utf8_lossy(data).into_owned();
                (
                    Symbology::Code39,
                    symbols::code39_bars(&s, n, symbols::code39_wide(n), h),
                    format!("*{s}*"),
                )
            }
            73 => {
                let text: String = symbols_text(data);
                (Symbology::Code128, symbols::code128_bars(data, n, h), text)
            }
            _ => {
                self.unknown(i, &b[i..next]);
                return next;
            }
        };
        let Some(bars) = bars else {
            self.warn(i, "barcode data invalid: nothing printed");
            return next;
        };
        if bars.width() > self.p.dots_per_line {
            // Printers skip a barcode wider than the line.
            self.warn(
                i,
                format!("barcode {} dots wide: not printed", bars.width()),
            );
            return next;
        }
        let plain = if sym == Symbology::Code39 {
            hri.trim_matches('*').to_string()
        } else {
            hri.clone()
        };
        self.report.barcodes.push((sym, plain));
        let f = self.p.font_a;
        let hri_img = if self.paint {
            bundled().line(&hri, f.width, f.height, false, false)
        } else {
            Bitmap::new(display_width(&hri) as u32 * f.width, f.height)
        };
        let mut img = bars;
        if self.hri == 1 || self.hri == 3 {
            self.put_block(hri_img.clone());
        }
        if self.hri >= 2 {
            let mut with = Bitmap::new(
                img.width().max(hri_img.width()),
                img.height() + f.height + 2,
            );
            with.blit(&img, ((with.width() - img.width()) / 2) as i64, 0);
            with.blit(
                &hri_img,
                ((with.width() - hri_img.width()) / 2) as i64,
                (img.height() + 2) as i64,
            );
            img = with;
        }
        self.put_block(img);
        next
    }

    fn qr(&mut self, b: &[u8], i: usize) -> usize {
        if i + 7 > b.len() {
            self.unknown(i, &b[i..]);
            return b.len();
        }
        let len = b[i + 3] as usize | (b[i + 4] as usize) << 8;
        let end = i + 5 + len;
        if end > b.len() || len < 2 {
            self.unknown(i, &b[i..]);
            return b.len();
        }
        let (cn, f) = (b[i + 5], b[i + 6]);
        let params = &b[i + 7..end];
        if cn != 49 {
            self.unknown(i, &b[i..end]);
            return end;
        }
        match f {
            65 | 82 => {} // model (only model 2 drawn) / size info request
            // Printers take module sizes 1 to 16 and ignore the rest;
            // 255 would make a big code gigabytes of dots.
            67 => match params.first().copied().unwrap_or(3) {
                n @ 1..=16 => self.qr_module = n as u32,
                n => self.warn(i, format!("QR module size {n} outside 1 to 16: ignored")),
            },
            69 => {
                self.qr_ecc = match params.first().copied().unwrap_or(48) {
                    49 => Ecc::M,
                    50 => Ecc::Q,
                    51 => Ecc::H,
                    _ => Ecc::L,
                }
            }
            80 => self.qr_data = params.get(1..).unwrap_or(&[]).to_vec(),
            81 => {
                let data = self.qr_data.clone();
                // The size first: a code too wide for the paper is not drawn.
                let dots = symbols::qr_version(&data, self.qr_ecc)
                    .map(|v| symbols::qr_side(v) * self.qr_module)
                    .filter(|&w| w <= self.p.dots_per_line);
                let img = match dots {
                    Some(_) if self.paint => {
                        symbols::qr_bitmap(&data, self.qr_ecc, self.qr_module, None)
                    }
                    Some(w) => Some(Bitmap::new(w, w)),
                    None => None,
                };
                match img {
                    Some(img) => {
                        self.report
                            .qr_codes
                            .push(String::from_utf8_lossy(&data).into_owned());
                        self.put_block(img);
                    }
                    _ => self.warn(i, "QR code not printable (empty, too long or too wide)"),
                }
            }
            _ => self.unknown(i, &b[i..end]),
        }
        end
    }
}

/// A page-mode area: `w` × `h` dots to draw on, or nothing when only
/// laying out (the page keeps its size in [`Page`]).
fn page_canvas(w: u32, h: u32, paint: bool) -> Bitmap {
    if paint {
        Bitmap::new(w, h)
    } else {
        Bitmap::new(0, 0)
    }
}

fn decode_gb(bytes: &[u8]) -> char {
    let (s, _) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    s.chars().next().unwrap_or('\u{FFFD}')
}

/// Code 128 `GS k` data as the human-readable line.
fn symbols_text(data: &[u8]) -> String {
    let mut out = String::new();
    let mut set_c = false;
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'{' && i + 1 < data.len() {
            match data[i + 1] {
                b'C' => set_c = true,
                b'A' | b'B' => set_c = false,
                b'{' => out.push('{'),
                _ => {}
            }
            i += 2;
            continue;
        }
        if set_c {
            out.push_str(&format!("{:02}", data[i]));
        } else {
            out.push(data[i] as char);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod hostile_tests {
    use super::*;

    fn profile() -> Profile {
        Profile::builtin_all().into_iter().next().unwrap()
    }

    #[test]
    fn a_page_area_past_the_printable_area_is_clipped_not_allocated() {
        // ESC L, GS P 1 1 (1-inch units), ESC W 0 0 0 0 65535 65535: a
        // 13-million-dot square page asked of a receipt printer.
        let bytes = [
            0x1b, b'L', 0x1d, b'P', 1, 1, 0x1b, b'W', 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, b'x',
            0x0c,
        ];
        let r = render(&bytes, &profile());
        assert!(
            r.image.height() <= MAX_PAGE_DOTS + 64,
            "{}",
            r.image.height()
        );
        assert_eq!(r.image.width(), profile().dots_per_line);
        assert!(
            r.report.warnings.iter().any(|(_, w)| w.contains("clipped")),
            "{:?}",
            r.report.warnings
        );
    }

    #[test]
    fn a_capped_render_draws_the_same_paper_up_to_its_cap() {
        // 400 lines of text: far more than 2,000 dots of paper.
        let bytes = b"Hello 1234\n".repeat(400);
        let full = render(&bytes, &profile());
        let capped = render_capped(&bytes, &profile(), 2000);
        assert!(full.image.height() > 4000, "{}", full.image.height());
        assert!(
            (2000..2000 + 255).contains(&capped.image.height()),
            "{}",
            capped.image.height()
        );
        for y in 0..2000 {
            for x in 0..full.image.width() {
                assert_eq!(full.image.get(x, y), capped.image.get(x, y), "({x},{y})");
            }
        }
        assert!(
            capped
                .report
                .warnings
                .iter()
                .any(|(_, w)| w.contains("longer than 2000")),
            "{:?}",
            capped.report.warnings
        );
        // No cap past the longest print-out.
        assert_eq!(
            render_capped(&bytes, &profile(), u32::MAX).image,
            full.image
        );
    }

    /// ESC/POS that exercises every layout path: sizes, fonts, wraps,
    /// Chinese, barcodes with HRI, QR codes, bit images, raster images,
    /// page mode, feeds, cuts, a drawer pulse and a reset.
    fn everything() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"\x1b@\x1ba\x01\x1d!\x11Big\n\x1d!\x00\x1b!\x01small font b\n");
        b.extend_from_slice(b"\x1ba\x02\x1bE\x01\x1b-\x01");
        b.extend_from_slice(&b"wrap me ".repeat(20));
        b.extend_from_slice(b"\n\x1c&\xa4\xa4\xa4\xe5\x1c!\x0c\xa5\xfe\x1c.\t\ttab\n");
        b.extend_from_slice(b"\x1dH\x02\x1dh\x30\x1dw\x02\x1dkE\x05AB-12");
        b.extend_from_slice(b"\x1dH\x03\x1dkI\x06{C\x01\x02\x03\x04");
        b.extend_from_slice(b"\x1dk\x04XYZ\x00\x1dkI\x02{Z");
        for (f, p) in [
            (67u8, &b"\x05"[..]),
            (69, b"1"),
            (80, b"0https://einvoice.example/qr"),
        ] {
            b.extend_from_slice(&[0x1d, b'(', b'k', (p.len() + 2) as u8, 0, 49, f]);
            b.extend_from_slice(p);
        }
        b.extend_from_slice(b"\x1d(k\x03\x001Q0");
        b.extend_from_slice(b"\x1b*\x21\x03\x00\xff\x00\xff\x81\x42\x24\x18\x18\x18");
        b.extend_from_slice(b"\x1bJ\x10\x1bd\x02\x1b3\x05line\nline\n\x1b2");
        b.extend_from_slice(b"\x1dv0\x03\x02\x00\x02\x00\xf0\x0f\xaa\x55");
        b.extend_from_slice(b"\x1bL\x1bW\x00\x00\x00\x00\x40\x01\x90\x00\x1d$\x40\x00page\x18");
        b.extend_from_slice(b"\x1b$\x10\x00again\x0c\x1bp\x00\x19\xfa\x1dVA\x20\x10\x04\x01");
        b.extend_from_slice(b"\x1bS\x1dP\x00\x00\x1b\x3f\x80\xe9\x1dV\x01");
        b
    }

    #[test]
    fn layout_only_finds_the_same_paper_length_and_report_as_drawing() {
        use crate::print::{encode, samples, slips};
        let documents = [
            slips::proof_document(&samples::proof()),
            slips::receipt_document(&samples::receipt()),
            slips::detail_slip_document(&samples::detail_slip()),
            slips::refund_slip_document(&samples::refund_slip()),
            slips::pay_later_slip_document(&samples::pay_later_atm()),
            slips::paypage_slip_document(&samples::paypage_slip()),
        ];
        for p in Profile::builtin_all() {
            let mut inputs: Vec<Vec<u8>> = documents
                .iter()
                .filter_map(|d| encode(d, &p).ok())
                .collect();
            assert!(inputs.len() >= 5, "{}: documents encode", p.name);
            inputs.push(everything());
            for bytes in &inputs {
                let drawn = render_capped(bytes, &p, 4000);
                let laid_out = layout_capped(bytes, &p, 4000);
                assert_eq!(laid_out.paper_dots, drawn.image.height(), "{}", p.name);
                assert_eq!(laid_out.report, drawn.report, "{}", p.name);
            }
            let r = render(&everything(), &p).report;
            // Code 39 "AB-12" and "XYZ", Code 128 01020304; "{Z" is no Code 128.
            assert_eq!(r.barcodes.len(), 3, "{}: {:?}", p.name, r.barcodes);
            assert_eq!(
                r.qr_codes,
                ["https://einvoice.example/qr"],
                "{}: {r:?}",
                p.name
            );
            assert_eq!(r.cuts.len(), 2, "{}", p.name);
            assert_eq!(r.page_mode_pages, 1, "{}", p.name);
        }
    }

    #[test]
    fn a_qr_module_size_past_16_is_ignored_not_drawn_huge() {
        // GS ( k 167 n=255, then a 300-byte code: at 255 dots a module that
        // is 15,000 dots square (225 million dots) drawn before being found
        // too wide. Printers take 1 to 16 and ignore the rest.
        let data = "7".repeat(300);
        let mut b = vec![0x1d, b'(', b'k', 3, 0, 49, 67, 255];
        let len = data.len() + 3;
        b.extend_from_slice(&[0x1d, b'(', b'k', len as u8, (len >> 8) as u8, 49, 80, 48]);
        b.extend_from_slice(data.as_bytes());
        b.extend_from_slice(&[0x1d, b'(', b'k', 3, 0, 49, 81, 48]);
        let r = render(&b, &profile());
        assert!(
            r.report
                .warnings
                .iter()
                .any(|(_, w)| w.contains("module size 255")),
            "{:?}",
            r.report.warnings
        );
        // Drawn at the default 3 dots a module instead.
        assert_eq!(r.report.qr_codes, std::slice::from_ref(&data));
        let side = symbols::qr_side(symbols::qr_version(data.as_bytes(), Ecc::L).unwrap());
        assert_eq!(r.image.height(), side * 3);
    }

    #[test]
    fn an_endless_feed_stops_at_the_longest_print_out() {
        // ESC J 255, a million times: 255 million dots of blank paper.
        let bytes: Vec<u8> = [0x1b, b'J', 0xff].repeat(1_000_000);
        let r = render(&bytes, &profile());
        assert!(r.image.height() <= MAX_PAPER_DOTS + 255);
        assert!(
            r.report
                .warnings
                .iter()
                .any(|(_, w)| w.contains("longer than")),
            "{:?}",
            r.report.warnings
        );
    }
}
