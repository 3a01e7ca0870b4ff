//! Barcode scanners: every kind of scanner delivers into one stream of
//! [`ScannerEvent`]s, so the rest of `till` never cares how a code arrived.
//!
//! - [`wedge`]: a scanner that types like a keyboard, told apart from a
//!   person by timing (pure; the GUI feeds it key events).
//! - [`serial`]: RS-232 or USB CDC-ACM scanners, read on a thread that
//!   survives unplugging.
//! - [`hid`]: USB HID POS scanners and scanners in boot-keyboard mode
//!   (pure decoding; device access behind a trait).
//! - [`diagnose`]: hints for `till scan-test` and `till devices`.
//!
//! What a code *is* (payment code, carrier, product) is decided downstream
//! by `barcode::classify`; this module only delivers text.
//!
//! Scans are payment codes: their text is masked in every `Debug` output
//! and log line here.

pub mod diagnose;
pub mod hid;
pub mod serial;
pub mod settings;
pub mod wedge;

pub use settings::ScannerSettings;

use std::fmt;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::barcode::mask_payment_code;
use crate::taipei::{self, TaipeiTime};

/// Where a scan came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScanSource {
    /// A scanner typing into the keyboard focus.
    Wedge,
    /// A serial port (the configured path, which may be a symlink).
    Serial(String),
    /// A USB HID device, as `VID:PID`.
    Hid(String),
}

impl fmt::Display for ScanSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanSource::Wedge => f.write_str("keyboard wedge"),
            ScanSource::Serial(p) => write!(f, "serial {p}"),
            ScanSource::Hid(d) => write!(f, "USB HID {d}"),
        }
    }
}

/// One code read by a scanner, framing already removed.
#[derive(Clone, PartialEq, Eq)]
pub struct Scan {
    pub source: ScanSource,
    /// The code, without prefix, suffix, terminator or control characters.
    pub text: String,
    /// The AIM symbology identifier (e.g. `]Q1` for QR, `]E0` for EAN-13)
    /// when the scanner sent one and framing stripped it, or the HID POS
    /// report carried it.
    pub symbology: Option<String>,
    /// When `till` received it.
    pub at: TaipeiTime,
}

impl fmt::Debug for Scan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scan")
            .field("source", &self.source)
            .field("text", &mask_payment_code(&self.text))
            .field("symbology", &self.symbology)
            .field("at", &self.at)
            .finish()
    }
}

/// What the scanner stream carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerEvent {
    Scan(Scan),
    /// The device was opened for the first time.
    Connected(ScanSource),
    /// The device went away or could not be opened; `till` keeps retrying.
    Disconnected {
        source: ScanSource,
        reason: String,
    },
    /// The device is back after a [`ScannerEvent::Disconnected`].
    Reconnected(ScanSource),
}

#[derive(Debug, thiserror::Error)]
pub enum ScannerError {
    Terminator(String),
    HidDevice(String),
    NoSerialPath,
    Setting { key: String, value: String },
    ListPorts(String),
    Usb(String),
}
impl crate::locale::Localized for ScannerError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::Terminator(v0) => fill(lang, "words.scanner.terminator", &[("value", v0)]),
            Self::HidDevice(v0) => fill(lang, "words.scanner.hid_device", &[("value", v0)]),
            Self::NoSerialPath => tr(lang, "words.scanner.no_serial_path"),
            Self::Setting { key, value } => fill(
                lang,
                "words.scanner.setting",
                &[("key", key), ("value", value)],
            ),
            Self::ListPorts(v0) => fill(lang, "words.scanner.list_ports", &[("value", v0)]),
            Self::Usb(v0) => fill(lang, "words.scanner.usb", &[("value", v0)]),
        }
    }
}

crate::display_both!(ScannerError);

/// What a scanner wraps around a code, and how to take it off.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Framing {
    /// Removed from the start when present (after control characters).
    pub prefix: String,
    /// Removed from the end when present.
    pub suffix: String,
    /// Take a leading AIM symbology identifier (`]` + code + modifier) off
    /// the text and report it in [`Scan::symbology`].
    pub strip_aim: bool,
}

impl Framing {
    pub fn from_config(c: &ScannerSettings) -> Framing {
        Framing {
            prefix: c.strip_prefix.clone(),
            suffix: c.strip_suffix.clone(),
            // A payment code never starts with `]`, so this is safe to
            // leave on: scanners set to send AIM ids still work.
            strip_aim: true,
        }
    }

    /// The code inside `raw`, and its AIM identifier if one was stripped.
    /// `None` when nothing is left (e.g. a lone terminator).
    pub fn apply(&self, raw: &str) -> Option<(String, Option<String>)> {
        // Control characters are framing (STX/ETX, CR/LF, EOT), except GS:
        // GS1 codes use it to separate fields, so it is data.
        let cleaned: String = raw
            .chars()
            .filter(|&c| c == '\u{1d}' || !c.is_control())
            .collect();
        let mut s = cleaned.as_str();
        if !self.prefix.is_empty() {
            s = s.strip_prefix(self.prefix.as_str()).unwrap_or(s);
        }
        let mut aim = None;
        if self.strip_aim
            && let Some(id) = aim_identifier(s)
        {
            aim = Some(id.to_string());
            s = &s[id.len()..];
        }
        if !self.suffix.is_empty() {
            s = s.strip_suffix(self.suffix.as_str()).unwrap_or(s);
        }
        if s.is_empty() {
            None
        } else {
            Some((s.to_string(), aim))
        }
    }

    /// A [`Scan`] from raw scanner text, stamped now.
    pub fn scan(&self, source: ScanSource, raw: &str) -> Option<Scan> {
        let (text, symbology) = self.apply(raw)?;
        Some(Scan {
            source,
            text,
            symbology,
            at: taipei::now(),
        })
    }
}

/// `]cm` at the start of `s`: `]`, a code character (a letter), and a
/// modifier (a digit or letter), as in ISO/IEC 15424.
fn aim_identifier(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() >= 3 && b[0] == b']' && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphanumeric() {
        Some(&s[..3])
    } else {
        None
    }
}

/// Runs a reader's thread until it is stopped. Dropping it stops it too.
pub struct ReaderHandle {
    stop: Option<Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReaderHandle {
    pub(crate) fn new(stop: Sender<()>, thread: std::thread::JoinHandle<()>) -> ReaderHandle {
        ReaderHandle {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stop reading and wait for the thread to close the device.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // Dropping the sender wakes the reader from any timed wait.
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ReaderHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Whether the owner asked the reader to stop: the stop channel was dropped.
/// Waiting on it doubles as an interruptible pause between retries.
pub(crate) fn stop_requested(stop: &Receiver<()>, wait: Duration) -> bool {
    match stop.recv_timeout(wait) {
        Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        Err(RecvTimeoutError::Timeout) => false,
    }
}

/// Waits between attempts to reopen a device that went away: doubling
/// from `initial` up to `max`, so an unplugged scanner costs nothing but
/// is picked up within `max` of being plugged back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(3),
        }
    }
}

/// A reader's connection state, reported on the stream once per change.
pub(crate) struct Link {
    source: ScanSource,
    tx: Sender<ScannerEvent>,
    backoff: Backoff,
    wait: Duration,
    ever_opened: bool,
    down: bool,
}

impl Link {
    pub(crate) fn new(source: ScanSource, tx: Sender<ScannerEvent>, backoff: Backoff) -> Link {
        Link {
            source,
            tx,
            backoff,
            wait: backoff.initial,
            ever_opened: false,
            down: false,
        }
    }

    pub(crate) fn opened(&mut self) {
        let event = if !self.ever_opened {
            tracing::info!(source = %self.source, "scanner connected");
            ScannerEvent::Connected(self.source.clone())
        } else if self.down {
            tracing::info!(source = %self.source, "scanner reconnected");
            ScannerEvent::Reconnected(self.source.clone())
        } else {
            return;
        };
        self.ever_opened = true;
        self.down = false;
        self.wait = self.backoff.initial;
        let _ = self.tx.send(event);
    }

    /// Report the loss once, then wait before the next attempt. True when
    /// the reader was asked to stop meanwhile.
    pub(crate) fn failed(&mut self, reason: String, stop: &Receiver<()>) -> bool {
        if !self.down {
            tracing::warn!(source = %self.source, %reason, "scanner disconnected");
            self.down = true;
            let _ = self.tx.send(ScannerEvent::Disconnected {
                source: self.source.clone(),
                reason,
            });
        }
        let wait = self.wait;
        self.wait = (self.wait * 2).min(self.backoff.max);
        stop_requested(stop, wait)
    }
}

/// All scanners merged into one channel.
pub struct ScannerHub {
    tx: Sender<ScannerEvent>,
    rx: Receiver<ScannerEvent>,
    readers: Vec<ReaderHandle>,
}

impl Default for ScannerHub {
    fn default() -> Self {
        ScannerHub::new()
    }
}

impl ScannerHub {
    pub fn new() -> ScannerHub {
        let (tx, rx) = mpsc::channel();
        ScannerHub {
            tx,
            rx,
            readers: Vec::new(),
        }
    }

    /// A hub reading the configured scanner. For `wedge` nothing is read
    /// here: the GUI feeds key events to a [`wedge::WedgeInput`] built on
    /// [`sender`](Self::sender). For `hid`, reports are read as HID POS
    /// with report id 2 (see [`hid`]).
    pub fn from_config(c: &ScannerSettings) -> Result<ScannerHub, ScannerError> {
        let mut hub = ScannerHub::new();
        let framing = Framing::from_config(c);
        match c.kind.as_str() {
            "serial" => hub.add_serial(serial::SerialConfig::from_config(c)?, framing),
            "hid" => {
                let (vid, pid) = hid::parse_vid_pid(&c.device)?;
                let kind = match c.hid_mode.as_str() {
                    "keyboard" => hid::ReportKind::BootKeyboard {
                        idle_end: Duration::from_millis(c.wedge_idle_ms.max(1)),
                    },
                    _ => hid::ReportKind::Pos {
                        report_id: (c.hid_report_id != 0).then_some(c.hid_report_id),
                    },
                };
                hub.add_hid(hid::HidReader::usb(vid, pid, kind), framing);
            }
            _ => {}
        }
        Ok(hub)
    }

    /// Where a source delivers, e.g. a [`wedge::WedgeInput`] in the GUI.
    pub fn sender(&self) -> Sender<ScannerEvent> {
        self.tx.clone()
    }

    /// Start reading a serial scanner into this hub.
    pub fn add_serial(&mut self, config: serial::SerialConfig, framing: Framing) {
        let h = serial::spawn(config, framing, self.tx.clone());
        self.readers.push(h);
    }

    /// Start reading a USB HID scanner into this hub.
    pub fn add_hid(&mut self, reader: hid::HidReader, framing: Framing) {
        let h = reader.spawn(framing, self.tx.clone());
        self.readers.push(h);
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<ScannerEvent> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<ScannerEvent> {
        self.rx.try_recv().ok()
    }

    /// Stop every reader and wait for them to close their devices.
    pub fn stop(self) {
        for r in self.readers {
            r.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(prefix: &str, suffix: &str) -> Framing {
        Framing {
            prefix: prefix.into(),
            suffix: suffix.into(),
            strip_aim: true,
        }
    }

    #[test]
    fn stx_etx_and_line_ends_are_framing() {
        let f = Framing::default();
        assert_eq!(
            f.apply("\u{2}4710088123456\u{3}\r\n"),
            Some(("4710088123456".into(), None))
        );
    }

    #[test]
    fn aim_identifier_is_split_off_and_kept() {
        let f = framing("", "");
        assert_eq!(
            f.apply("]E04710088123456"),
            Some(("4710088123456".into(), Some("]E0".into())))
        );
        let keep = Framing::default();
        assert_eq!(
            keep.apply("]E04710088123456"),
            Some(("]E04710088123456".into(), None))
        );
    }

    #[test]
    fn configured_prefix_and_suffix_are_removed_only_where_they_are() {
        let f = framing("@@", "#");
        assert_eq!(
            f.apply("@@]Q1ABC123#"),
            Some(("ABC123".into(), Some("]Q1".into())))
        );
        // A code that merely contains the suffix keeps it.
        assert_eq!(f.apply("A#B"), Some(("A#B".into(), None)));
    }

    #[test]
    fn gs1_group_separators_are_data() {
        let f = Framing::default();
        let (text, _) = f.apply("0104710088123456\u{1d}10LOT1\r").unwrap();
        assert_eq!(text, "0104710088123456\u{1d}10LOT1");
    }

    #[test]
    fn nothing_left_is_no_scan() {
        assert_eq!(framing("", "").apply("\r\n"), None);
        assert_eq!(framing("X", "").apply("X"), None);
    }

    #[test]
    fn a_bad_scanner_config_is_refused_with_the_reason() {
        let hid = ScannerSettings {
            kind: "hid".into(),
            device: "honeywell".into(),
            ..Default::default()
        };
        let err = ScannerHub::from_config(&hid).err().expect("refused");
        assert!(err.to_string().contains("VID:PID"), "{err}");
        let serial = ScannerSettings {
            kind: "serial".into(),
            device: "/dev/ttyACM0".into(),
            terminator: "tab".into(),
            ..Default::default()
        };
        let err = ScannerHub::from_config(&serial).err().expect("refused");
        assert!(matches!(err, ScannerError::Terminator(_)));
        let wedge = ScannerSettings::default();
        assert!(
            ScannerHub::from_config(&wedge)
                .unwrap()
                .try_recv()
                .is_none()
        );
    }

    #[test]
    fn scan_debug_masks_the_code() {
        let s = Framing::default()
            .scan(ScanSource::Wedge, "22J111111111111119")
            .unwrap();
        let shown = format!("{s:?}");
        assert!(shown.contains("22J1************19"), "{shown}");
        assert!(!shown.contains("22J111111111111119"), "{shown}");
    }
}
