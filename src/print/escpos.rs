//! Document + profile → ESC/POS bytes.
//!
//! Our own encoder rather than the `escpos` crate: that crate drives a
//! printer connection and decides encodings itself, while we need
//! byte-exact, profile-driven output (Big5 vs GB18030 vs raster text, page
//! mode QR pairs, `ESC *` fallbacks, image scaling to keep a proof small)
//! that the emulator and golden tests can pin down.

use super::bitmap::Bitmap;
use super::font::{bundled, display_width};
use super::model::{Align, Block, Document, Ecc, Style, Symbology, row_lines, wrap};
use super::profile::{Chinese, Cutter, Profile, RasterCommand};
use super::symbols;

pub const ESC: u8 = 0x1B;
pub const GS: u8 = 0x1D;
pub const FS: u8 = 0x1C;
pub const DLE: u8 = 0x10;
pub const LF: u8 = 0x0A;
pub const FF: u8 = 0x0C;

/// Width in dots of a barcode at a `GS w` module width.
type WidthAt = Box<dyn Fn(u32) -> u32>;

/// A document that cannot be printed on this printer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncodeError {
    Code39Content(String),
    Code128Content(String),
    BarcodeTooWide(String),
    QrTooLong(usize),
    NoDrawer(u8),
    ImageTooWide(u32),
}
impl crate::locale::Localized for EncodeError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Code39Content(v0) => fill(lang, "words.escpos.code39_content", &[("value", v0)]),
            Self::Code128Content(v0) => {
                fill(lang, "words.escpos.code128_content", &[("value", v0)])
            }
            Self::BarcodeTooWide(v0) => {
                fill(lang, "words.escpos.barcode_too_wide", &[("value", v0)])
            }
            Self::QrTooLong(v0) => fill(lang, "words.escpos.qr_too_long", &[("value", v0)]),
            Self::NoDrawer(v0) => fill(lang, "words.escpos.no_drawer", &[("value", v0)]),
            Self::ImageTooWide(v0) => fill(lang, "words.escpos.image_too_wide", &[("value", v0)]),
        }
    }
}

crate::display_both!(EncodeError);

/// Encode `doc` for `profile`.
pub fn encode(doc: &Document, profile: &Profile) -> Result<Vec<u8>, EncodeError> {
    let mut e = Encoder::new(profile);
    for block in &doc.blocks {
        e.block(block)?;
    }
    Ok(e.out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Emitted {
    align: Align,
    size: (u8, u8),
    bold: bool,
    underline: bool,
}

struct Encoder<'a> {
    p: &'a Profile,
    out: Vec<u8>,
    state: Emitted,
}

impl<'a> Encoder<'a> {
    fn new(p: &'a Profile) -> Encoder<'a> {
        let mut out = vec![ESC, b'@'];
        if p.chinese != Chinese::None {
            // Some units boot in Chinese mode; start from single-byte.
            out.extend_from_slice(&[FS, b'.']);
        }
        Encoder {
            p,
            out,
            state: Emitted {
                align: Align::Left,
                size: (1, 1),
                bold: false,
                underline: false,
            },
        }
    }

    fn block(&mut self, block: &Block) -> Result<(), EncodeError> {
        match block {
            Block::Text { text, style } => {
                let cols = self.p.columns() / style.width.clamp(1, 2) as usize;
                for line in wrap(text, cols) {
                    self.line(&line, *style)?;
                }
            }
            Block::Row { left, right, style } => {
                let cols = self.p.columns() / style.width.clamp(1, 2) as usize;
                let style = Style {
                    align: Align::Left,
                    ..*style
                };
                for line in row_lines(left, right, cols) {
                    self.line(&line, style)?;
                }
            }
            Block::Rule { ch } => {
                let n = self.p.columns() / display_width(&ch.to_string()).max(1);
                self.line(&ch.to_string().repeat(n), Style::default())?;
            }
            Block::Barcode {
                symbology,
                data,
                height,
                hri,
                align,
            } => self.barcode(*symbology, data, *height, *hri, *align)?,
            Block::Qr {
                data,
                ecc,
                align,
                large,
            } => self.qr(data, *ecc, *align, *large)?,
            Block::QrPair { left, right, ecc } => self.qr_pair(left, right, *ecc)?,
            Block::Logo { image, align } => {
                if image.width() > self.p.dots_per_line {
                    return Err(EncodeError::ImageTooWide(image.width()));
                }
                self.set_align(*align);
                self.image(image, 1, 1);
            }
            Block::Feed { lines } => self.out.extend_from_slice(&[ESC, b'd', *lines]),
            Block::Cut => match self.p.cutter {
                // GS V 66/65 n: feed to the cutter, then partial/full cut.
                Cutter::Partial => self.out.extend_from_slice(&[GS, b'V', 66, 0]),
                Cutter::Full => self.out.extend_from_slice(&[GS, b'V', 65, 0]),
                // No cutter: feed the text past the tear bar.
                Cutter::None => self.out.extend_from_slice(&[ESC, b'd', 4]),
            },
            Block::Drawer { pin } => {
                if !self.p.drawer_pins.contains(pin) {
                    return Err(EncodeError::NoDrawer(*pin));
                }
                let m = if *pin == 2 { 0 } else { 1 };
                // 50 ms on, 500 ms off (units of 2 ms).
                self.out.extend_from_slice(&[ESC, b'p', m, 25, 250]);
            }
        }
        Ok(())
    }

    fn set_align(&mut self, align: Align) {
        if self.state.align != align {
            let n = match align {
                Align::Left => 0,
                Align::Center => 1,
                Align::Right => 2,
            };
            self.out.extend_from_slice(&[ESC, b'a', n]);
            self.state.align = align;
        }
    }

    fn set_style(&mut self, style: Style) {
        self.set_align(style.align);
        let size = (style.width.clamp(1, 2), style.height.clamp(1, 2));
        if self.state.size != size {
            self.out
                .extend_from_slice(&[GS, b'!', ((size.0 - 1) << 4) | (size.1 - 1)]);
            self.state.size = size;
        }
        if self.state.bold != style.bold {
            self.out.extend_from_slice(&[ESC, b'E', style.bold as u8]);
            self.state.bold = style.bold;
        }
        if self.state.underline != style.underline {
            self.out
                .extend_from_slice(&[ESC, b'-', style.underline as u8]);
            if self.p.chinese != Chinese::None {
                self.out
                    .extend_from_slice(&[FS, b'-', style.underline as u8]);
            }
            self.state.underline = style.underline;
        }
    }

    /// Encode one non-ASCII character in the printer's double-byte font, if it has it.
    fn native_char(&self, c: char) -> Option<Vec<u8>> {
        let mut buf = [0u8; 4];
        let s = c.encode_utf8(&mut buf);
        let (bytes, _, bad) = match self.p.chinese {
            Chinese::Big5 => encoding_rs::BIG5.encode(s),
            Chinese::Gb18030 => encoding_rs::GB18030.encode(s),
            Chinese::None => return None,
        };
        // Big5 printers carry Big5 proper (lead A1..F9), not HKSCS extensions.
        let ok = !bad
            && match self.p.chinese {
                Chinese::Big5 => bytes.len() == 2 && (0xA1..=0xF9).contains(&bytes[0]),
                _ => bytes.len() >= 2 && bytes[0] >= 0x81,
            };
        ok.then(|| bytes.into_owned())
    }

    /// One line of text: native bytes where the printer has every glyph,
    /// otherwise an image drawn with the bundled font.
    fn line(&mut self, text: &str, style: Style) -> Result<(), EncodeError> {
        let text = text.trim_end();
        let mut native = Vec::with_capacity(text.len());
        let mut kanji = false;
        let mut all_native = true;
        for c in text.chars() {
            if (' '..='~').contains(&c) {
                native.push(c as u8);
                continue;
            }
            match self.native_char(c) {
                Some(bytes) => {
                    if !kanji {
                        native.extend_from_slice(&[FS, b'&']);
                        kanji = true;
                    }
                    native.extend_from_slice(&bytes);
                }
                None => {
                    all_native = false;
                    break;
                }
            }
        }
        if kanji {
            // ASCII prints as single-byte in Chinese mode too; one switch a line.
            native.extend_from_slice(&[FS, b'.']);
        }
        if all_native {
            self.set_style(style);
            self.out.extend_from_slice(&native);
            self.out.push(LF);
            return Ok(());
        }
        // Raster text: draw at single size and let the printer scale it.
        self.set_align(style.align);
        let f = self.p.font_a;
        let img = bundled().line(text, f.width, f.height, style.bold, style.underline);
        let (sx, sy) = (
            style.width.clamp(1, 2) as u32,
            style.height.clamp(1, 2) as u32,
        );
        self.image(&img, sx, sy);
        // Images add no line spacing: feed the rest of a text line's pitch.
        let pitch = self.p.line_spacing.max(f.height * sy);
        let rest = pitch.saturating_sub(img.height() * sy);
        if rest > 0 {
            self.out
                .extend_from_slice(&[ESC, b'J', rest.min(255) as u8]);
        }
        Ok(())
    }

    /// Send an image, enlarged `sx` × `sy` by the printer, at the current alignment.
    fn image(&mut self, img: &Bitmap, sx: u32, sy: u32) {
        if img.width() == 0 || img.height() == 0 {
            self.out.push(LF);
            return;
        }
        match self.p.raster {
            RasterCommand::GsV0 => {
                let m = (if sx == 2 { 1 } else { 0 }) | (if sy == 2 { 2 } else { 0 });
                let wb = img.raster_row_bytes();
                let h = img.height();
                self.out.extend_from_slice(&[
                    GS,
                    b'v',
                    b'0',
                    m,
                    (wb & 0xFF) as u8,
                    (wb >> 8) as u8,
                    (h & 0xFF) as u8,
                    (h >> 8) as u8,
                ]);
                self.out.extend_from_slice(&img.to_raster());
            }
            RasterCommand::EscStar => {
                // ESC * scales only horizontally (mode 32); stretch rows here.
                let img = img.scaled(1, sy);
                let m = if sx == 2 { 32 } else { 33 };
                let n = img.width();
                self.out.extend_from_slice(&[ESC, b'3', 24]);
                for band in (0..img.height()).step_by(24) {
                    self.out
                        .extend_from_slice(&[ESC, b'*', m, (n & 0xFF) as u8, (n >> 8) as u8]);
                    self.out.extend_from_slice(&img.to_column24(band));
                    self.out.push(LF);
                }
                self.out.extend_from_slice(&[ESC, b'2']);
            }
        }
    }

    fn barcode(
        &mut self,
        symbology: Symbology,
        data: &str,
        height: u32,
        hri: bool,
        align: Align,
    ) -> Result<(), EncodeError> {
        let width = self.p.dots_per_line;
        let height = height.clamp(8, 255);
        // (GS k m, data, width at module n)
        let (m, payload, width_at): (u8, Vec<u8>, WidthAt) = match symbology {
            Symbology::Code39 => {
                if !symbols::code39_valid(data) {
                    return Err(EncodeError::Code39Content(data.to_string()));
                }
                let d = data.to_string();
                (
                    69,
                    data.as_bytes().to_vec(),
                    Box::new(move |n| symbols::code39_width(&d, n)),
                )
            }
            Symbology::Code128 => {
                let payload = symbols::code128_gs_k_data(data)
                    .ok_or_else(|| EncodeError::Code128Content(data.to_string()))?;
                let modules = symbols::code128_modules(&payload)
                    .ok_or_else(|| EncodeError::Code128Content(data.to_string()))?;
                (73, payload, Box::new(move |n| modules * n))
            }
        };
        let min = self.p.barcode_min_module as u32;
        // Widest bars up to 3 dots that fit with a 10-module quiet zone
        // each side: easier to scan.
        let native_n = (min..=3.max(min))
            .rev()
            .find(|n| width_at(*n) + 20 * n <= width);
        self.set_align(align);
        if let (true, Some(n)) = (self.p.native_barcodes, native_n) {
            self.out.extend_from_slice(&[GS, b'h', height as u8]);
            self.out.extend_from_slice(&[GS, b'w', n as u8]);
            self.out
                .extend_from_slice(&[GS, b'H', if hri { 2 } else { 0 }]);
            self.out
                .extend_from_slice(&[GS, b'k', m, payload.len() as u8]);
            self.out.extend_from_slice(&payload);
            return Ok(());
        }
        // Raster bars, 1-dot thin elements; the bars are drawn half height
        // and doubled by the printer, which halves the bytes.
        let half = height.div_ceil(2);
        let bars = match symbology {
            Symbology::Code39 => [3, 2]
                .iter()
                .filter_map(|w| symbols::code39_bars(data, 1, *w, half))
                .find(|b| b.width() + 20 <= width),
            Symbology::Code128 => {
                symbols::code128_bars(&payload, 1, half).filter(|b| b.width() + 20 <= width)
            }
        }
        .ok_or_else(|| EncodeError::BarcodeTooWide(data.to_string()))?;
        self.image(&bars, 1, 2);
        if hri {
            let f = self.p.font_a;
            let text = bundled().line(data, f.width, f.height, false, false);
            self.image(&text, 1, 1);
        }
        Ok(())
    }

    fn qr_commands(&mut self, data: &[u8], ecc: Ecc, module: u32) {
        let e = match ecc {
            Ecc::L => 48,
            Ecc::M => 49,
            Ecc::Q => 50,
            Ecc::H => 51,
        };
        // Model 2, module size, error correction, store, print.
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 4, 0, 49, 65, 50, 0]);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 67, module as u8]);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 69, e]);
        let len = data.len() + 3;
        self.out.extend_from_slice(&[
            GS,
            b'(',
            b'k',
            (len & 0xFF) as u8,
            (len >> 8) as u8,
            49,
            80,
            48,
        ]);
        self.out.extend_from_slice(data);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48]);
    }

    fn qr(&mut self, data: &str, ecc: Ecc, align: Align, large: bool) -> Result<(), EncodeError> {
        let bytes = data.as_bytes();
        let v = symbols::qr_version(bytes, ecc).ok_or(EncodeError::QrTooLong(bytes.len()))?;
        let side = symbols::qr_side(v);
        // Large: about 3 cm across, for a phone held over the counter
        // (GS ( k takes modules of 1..=16 dots).
        let max = if large {
            let target = 30 * self.p.dpi / 25; // 3 cm in dots, rounded up a little
            target.div_ceil(side).clamp(self.p.qr_module, 16)
        } else {
            self.p.qr_module
        };
        let module = (1..=max)
            .rev()
            .find(|m| side * m <= self.p.dots_per_line)
            .ok_or(EncodeError::QrTooLong(bytes.len()))?;
        self.set_align(align);
        if self.p.native_qr {
            self.qr_commands(bytes, ecc, module);
        } else {
            self.raster_qrs(&[(bytes, v)], ecc, module, 0)?;
        }
        Ok(())
    }

    /// Two QR codes side by side, top-aligned: in page mode with native QR
    /// where the printer has both, otherwise one image of both codes.
    fn qr_pair(&mut self, left: &str, right: &str, ecc: Ecc) -> Result<(), EncodeError> {
        let (l, r) = (left.as_bytes(), right.as_bytes());
        let too_long = || EncodeError::QrTooLong(l.len().max(r.len()));
        let vl = symbols::qr_version(l, ecc).ok_or_else(too_long)?;
        let vr = symbols::qr_version(r, ecc).ok_or_else(too_long)?;
        let width = self.p.dots_per_line;
        self.set_align(Align::Center);
        // The printer picks each code's version from its data, and MOF
        // wants both codes the same size: pad the shorter one with trailing
        // spaces up to the longer one's version (readers trim them; common
        // practice for the right code [guess]).
        let v = vl.max(vr);
        let (pl, pr) = (pad_to_version(l, v, ecc), pad_to_version(r, v, ecc));
        let same = symbols::qr_version(&pl, ecc) == symbols::qr_version(&pr, ecc);
        if self.p.native_qr && self.p.page_mode && same {
            let (l, r) = (pl.as_slice(), pr.as_slice());
            let (sl, sr) = (symbols::qr_side(v), symbols::qr_side(v));
            let module = (1..=self.p.qr_module)
                .rev()
                .find(|m| (sl + sr + 4) * m <= width)
                .ok_or_else(too_long)?;
            let (wl, wr) = (sl * module, sr * module);
            let gap = ((width - wl - wr) / 3).min(8 * module);
            let x0 = (width - wl - wr - gap) / 2;
            let h = wl.max(wr);
            let le = |v: u32| [(v & 0xFF) as u8, (v >> 8) as u8];
            // Motion units = 1 dot, page mode, area = full width × QR height.
            self.out
                .extend_from_slice(&[GS, b'P', self.p.dpi as u8, self.p.dpi as u8]);
            self.out.extend_from_slice(&[ESC, b'L']);
            self.out.extend_from_slice(&[ESC, b'W', 0, 0, 0, 0]);
            self.out.extend_from_slice(&le(width));
            self.out.extend_from_slice(&le(h));
            self.out.extend_from_slice(&[ESC, b'T', 0]);
            // Symbols sit on the baseline: put each baseline at its own height
            // so both tops touch the top of the area.
            for (data, x, w) in [(l, x0, wl), (r, x0 + wl + gap, wr)] {
                self.out.extend_from_slice(&[ESC, b'$']);
                self.out.extend_from_slice(&le(x));
                self.out.extend_from_slice(&[GS, b'$']);
                self.out.extend_from_slice(&le(w));
                self.qr_commands(data, ecc, module);
            }
            self.out.push(FF);
            return Ok(());
        }
        // One image: both codes forced to the same version, so the same size.
        let v = vl.max(vr);
        let side = symbols::qr_side(v);
        let module = (1..=self.p.qr_module)
            .rev()
            .find(|m| (2 * side + 4) * m <= width)
            .ok_or_else(too_long)?;
        let gap = ((width - 2 * side * module) / 3).min(8 * module);
        self.raster_qrs(&[(l, v), (r, v)], ecc, module, gap)
    }

    fn raster_qrs(
        &mut self,
        codes: &[(&[u8], i16)],
        ecc: Ecc,
        module: u32,
        gap: u32,
    ) -> Result<(), EncodeError> {
        // Even modules go out at half size, enlarged 2× by the printer.
        let (unit, scale) = if module % 2 == 0 && self.p.raster == RasterCommand::GsV0 {
            (module / 2, 2)
        } else {
            (module, 1)
        };
        let gap = gap / scale;
        let imgs: Vec<Bitmap> = codes
            .iter()
            .map(|(d, v)| symbols::qr_bitmap(d, ecc, unit, Some(*v)))
            .collect::<Option<_>>()
            .ok_or(EncodeError::QrTooLong(codes[0].0.len()))?;
        let w = imgs.iter().map(|i| i.width()).sum::<u32>() + gap * (imgs.len() as u32 - 1);
        let h = imgs.iter().map(|i| i.height()).max().unwrap_or(0);
        let mut all = Bitmap::new(w, h);
        let mut x = 0;
        for i in &imgs {
            all.blit(i, x as i64, 0);
            x += i.width() + gap;
        }
        self.image(&all, scale, scale);
        Ok(())
    }
}

/// `data` followed by as few spaces as make its QR code version `v`.
fn pad_to_version(data: &[u8], v: i16, ecc: Ecc) -> Vec<u8> {
    let mut out = data.to_vec();
    while symbols::qr_version(&out, ecc).is_some_and(|got| got < v) {
        out.push(b' ');
    }
    out
}
