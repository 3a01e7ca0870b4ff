//! Printer profiles: what a printer model can do, as data.
//!
//! Profiles live in `drivers/printers/*.toml`; the shipped ones are compiled
//! in so `--profile NAME` works from any directory. Code asks a profile what
//! the printer supports and never branches on the model name.

use std::path::Path;

use serde::Deserialize;

/// How the printer prints Chinese text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chinese {
    /// A Big5 double-byte font, switched on with `FS &` and off with `FS .`.
    Big5,
    /// A GB18030 font (mainland models), same switch.
    Gb18030,
    /// No Chinese font: text is drawn with the bundled font as raster images.
    None,
}

/// The command a raster image is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RasterCommand {
    /// `GS v 0`: whole image, row-major.
    #[serde(rename = "gs_v_0")]
    GsV0,
    /// `ESC *` mode 33: 24-dot bands, column-major (older printers).
    EscStar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cutter {
    Full,
    Partial,
    None,
}

/// A resident font's cell size and columns on a full line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontMetrics {
    pub width: u32,
    pub height: u32,
    pub columns: u32,
}

/// Everything the encoder and the emulator need to know about a printer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The name `--profile` takes (the file stem).
    pub name: String,
    pub description: String,
    pub paper_mm: u32,
    pub dpi: u32,
    /// Printable dots on one line.
    pub dots_per_line: u32,
    /// Default line feed in dots (Epson: 1/6 inch).
    pub line_spacing: u32,
    pub font_a: FontMetrics,
    pub font_b: FontMetrics,
    pub chinese: Chinese,
    /// `GS ( k` QR codes.
    pub native_qr: bool,
    /// `ESC L` page mode (used to set two QR codes side by side).
    pub page_mode: bool,
    /// `GS k` Code 39 / Code 128 barcodes.
    pub native_barcodes: bool,
    /// The smallest `GS w` module width the printer accepts.
    pub barcode_min_module: u8,
    pub raster: RasterCommand,
    pub cutter: Cutter,
    /// Cash-drawer kick-out connector pins (`ESC p` m = 0 for pin 2, 1 for pin 5).
    pub drawer_pins: Vec<u8>,
    /// Real-time status (`DLE EOT`).
    pub status: bool,
    /// QR module size in dots the printer should aim for.
    pub qr_module: u32,
    /// Where the facts come from, with how sure we are.
    pub sources: Vec<String>,
}

/// A profile could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    Unknown(String, String),
    Io {
        file: String,
        message: String,
    },
    Invalid {
        file: String,
        key: String,
        message: String,
    },
}
impl crate::locale::Localized for ProfileError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Unknown(v0, v1) => fill(
                lang,
                "words.print_profile.unknown",
                &[("value", v0), ("value1", v1)],
            ),
            Self::Io { file, message } => fill(
                lang,
                "words.print_profile.io",
                &[("file", file), ("message", message)],
            ),
            Self::Invalid { file, key, message } => fill(
                lang,
                "words.print_profile.invalid",
                &[("file", file), ("key", key), ("message", message)],
            ),
        }
    }
}

crate::display_both!(ProfileError);

/// The shipped profiles, compiled in: (file name, contents).
const BUILTIN: &[(&str, &str)] = &[
    (
        "generic-58-big5.toml",
        include_str!("../../drivers/printers/generic-58-big5.toml"),
    ),
    (
        "epson-tm-t88v-tw.toml",
        include_str!("../../drivers/printers/epson-tm-t88v-tw.toml"),
    ),
    (
        "epson-tm-t88vi-tw.toml",
        include_str!("../../drivers/printers/epson-tm-t88vi-tw.toml"),
    ),
    (
        "epson-tm-t88vi.toml",
        include_str!("../../drivers/printers/epson-tm-t88vi.toml"),
    ),
    (
        "epson-tm-t70ii-ch.toml",
        include_str!("../../drivers/printers/epson-tm-t70ii-ch.toml"),
    ),
    (
        "sunmi-58.toml",
        include_str!("../../drivers/printers/sunmi-58.toml"),
    ),
    (
        "sunmi-80.toml",
        include_str!("../../drivers/printers/sunmi-80.toml"),
    ),
    (
        "raster-58.toml",
        include_str!("../../drivers/printers/raster-58.toml"),
    ),
];

impl Profile {
    /// Names of the shipped profiles.
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN
            .iter()
            .map(|(f, _)| f.trim_end_matches(".toml"))
            .collect()
    }

    /// Every shipped profile (they are checked by the tests, so this cannot fail
    /// in a released build).
    pub fn builtin_all() -> Vec<Profile> {
        BUILTIN
            .iter()
            .map(|(f, s)| Profile::parse(f, s).expect("shipped profile is valid"))
            .collect()
    }

    /// A shipped profile by name.
    pub fn builtin(name: &str) -> Result<Profile, ProfileError> {
        let file = format!("{name}.toml");
        match BUILTIN.iter().find(|(f, _)| *f == file) {
            Some((f, s)) => Profile::parse(f, s),
            None => Err(ProfileError::Unknown(
                name.to_string(),
                Profile::builtin_names().join(", "),
            )),
        }
    }

    /// A shipped profile by name, or a TOML file when `name_or_path` ends in `.toml`.
    pub fn find(name_or_path: &str) -> Result<Profile, ProfileError> {
        if name_or_path.ends_with(".toml") {
            Profile::load(Path::new(name_or_path))
        } else {
            Profile::builtin(name_or_path)
        }
    }

    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Io {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Profile::parse(&file, &text)
    }

    /// Parse and check a profile; errors name `file` and the offending key.
    pub fn parse(file: &str, text: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text).map_err(|e| ProfileError::Invalid {
            file: file.to_string(),
            key: key_at(text, &e),
            message: e.message().to_string(),
        })?;
        profile.check(file)?;
        Ok(profile)
    }

    fn check(&self, file: &str) -> Result<(), ProfileError> {
        let bad = |key: &str, message: String| {
            Err(ProfileError::Invalid {
                file: file.to_string(),
                key: key.to_string(),
                message,
            })
        };
        if self.dots_per_line == 0 || self.dots_per_line % 8 != 0 || self.dots_per_line > 2048 {
            return bad(
                "dots_per_line",
                format!("{} is not a multiple of 8 in 8..=2048", self.dots_per_line),
            );
        }
        for (key, f) in [("font_a", self.font_a), ("font_b", self.font_b)] {
            if f.width == 0 || f.height == 0 || f.columns == 0 {
                return bad(key, "width, height and columns must be positive".into());
            }
            if f.width * f.columns > self.dots_per_line {
                return bad(
                    &format!("{key}.columns"),
                    format!(
                        "{} columns of {} dots exceed {} dots",
                        f.columns, f.width, self.dots_per_line
                    ),
                );
            }
        }
        if !(1..=6).contains(&self.barcode_min_module) {
            return bad("barcode_min_module", "must be 1..=6".into());
        }
        if !(1..=16).contains(&self.qr_module) {
            return bad("qr_module", "must be 1..=16".into());
        }
        if let Some(p) = self.drawer_pins.iter().find(|p| **p != 2 && **p != 5) {
            return bad("drawer_pins", format!("pin {p} is not 2 or 5"));
        }
        if self.dpi == 0 || self.line_spacing == 0 {
            return bad("dpi", "dpi and line_spacing must be positive".into());
        }
        Ok(())
    }

    /// Columns of font A on a line.
    pub fn columns(&self) -> usize {
        self.font_a.columns as usize
    }

    /// Bytes per second over a serial line at `baud`, 8N1 (10 bits a byte).
    pub fn seconds_at_baud(bytes: usize, baud: u32) -> f64 {
        bytes as f64 * 10.0 / baud as f64
    }
}

/// The key on the line a TOML error points at, or the field serde names.
fn key_at(text: &str, e: &toml::de::Error) -> String {
    if let Some(span) = e.span() {
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = text[line_start..].lines().next().unwrap_or("");
        if let Some((k, _)) = line.split_once('=') {
            let k = k.trim();
            // Keys inside a table get the table's name in front.
            let table = text[..line_start]
                .lines()
                .rev()
                .find_map(|l| l.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')));
            return match table {
                Some(t) => format!("{t}.{k}"),
                None => k.to_string(),
            };
        }
    }
    let msg = e.message();
    match (msg.find('`'), msg.rfind('`')) {
        (Some(a), Some(b)) if b > a => msg[a + 1..b].to_string(),
        _ => "?".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_loads_and_names_match_files() {
        for name in Profile::builtin_names() {
            let p = Profile::builtin(name).unwrap();
            assert_eq!(p.name, name);
        }
    }

    #[test]
    fn bad_value_names_file_and_key() {
        let text = include_str!("../../drivers/printers/generic-58-big5.toml")
            .replace("chinese = \"big5\"", "chinese = \"klingon\"");
        let err = Profile::parse("x.toml", &text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("x.toml") && msg.contains("`chinese`"), "{msg}");
    }

    #[test]
    fn bad_nested_value_names_table_key() {
        let text = include_str!("../../drivers/printers/generic-58-big5.toml")
            .replace("columns = 32", "columns = 99");
        let msg = Profile::parse("y.toml", &text).unwrap_err().to_string();
        assert!(
            msg.contains("y.toml") && msg.contains("font_a.columns"),
            "{msg}"
        );
    }

    #[test]
    fn missing_key_is_named() {
        let text = include_str!("../../drivers/printers/generic-58-big5.toml")
            .replace("native_qr = true\n", "");
        let msg = Profile::parse("z.toml", &text).unwrap_err().to_string();
        assert!(msg.contains("native_qr"), "{msg}");
    }

    #[test]
    fn unknown_profile_lists_available_ones() {
        let msg = Profile::builtin("tm-nope").unwrap_err().to_string();
        assert!(msg.contains("generic-58-big5"), "{msg}");
    }
}
