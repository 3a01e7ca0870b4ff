//! USB HID scanners, in the two modes scanners offer:
//!
//! - **HID POS** (usage page 0x8C, "bar code scanner"): one input report
//!   carries a whole code. The layout used by Honeywell, Zebra, Datalogic
//!   and Access-IS devices in this mode (report id 2, 64 bytes):
//!
//!   | byte   | field                                             |
//!   |--------|---------------------------------------------------|
//!   | 0      | report id                                         |
//!   | 1      | number of data bytes used in this report (≤ 56)   |
//!   | 2–4    | AIM symbology identifier, e.g. `]Q1` (or zeros)   |
//!   | 5–60   | decoded data, NUL-padded                          |
//!   | 61     | vendor's own symbology id (Honeywell code id)     |
//!   | 62     | reserved                                          |
//!   | 63     | bit 0: more data follows in the next report       |
//!
//!   Codes longer than 56 bytes span several reports; the decoder joins
//!   them.
//! - **Boot keyboard**: 8-byte reports (modifiers, reserved, six key
//!   codes), the scanner typing on a US layout. A key present in two
//!   consecutive reports is held, not pressed twice.
//!
//! Decoding is pure. Device access is the [`HidDevice`] trait; [`usb`]
//! implements it with `rusb` (libusb, built from source, no system
//! library needed).

use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

use super::wedge::Key;
use super::{Framing, ReaderHandle, ScanSource, ScannerError, ScannerEvent, stop_requested};
use crate::barcode::mask_payment_code;

/// The data field of one HID POS report.
pub const POS_DATA_LEN: usize = 56;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("HID 報告太短({0} 位元組)/ HID report too short ({0} bytes)")]
    Short(usize),
    #[error(
        "HID 報告的長度欄位 {0} 超過資料區 56 位元組 / HID report length field {0} exceeds the 56-byte data field"
    )]
    Length(u8),
    #[error(
        "HID 條碼超過 {0} 位元組,已捨棄(掃描器未結束條碼)/ HID code longer than {0} bytes, dropped (the scanner never ended it)"
    )]
    TooLong(usize),
}

/// The longest code joined from HID POS reports. A QR code holds at most
/// 7,089 digits; a scanner whose reports keep saying "more" (broken, or
/// not a scanner) would otherwise grow the code without bound.
pub const MAX_CODE_BYTES: usize = 8 * 1024;

/// A whole code from one or more HID POS reports.
#[derive(Clone, PartialEq, Eq)]
pub struct PosScan {
    /// AIM identifier, e.g. `]E0`, when the scanner filled it in.
    pub symbology: Option<String>,
    /// The vendor's own symbology byte (byte 61), 0 when unused.
    pub vendor_symbology: u8,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for PosScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PosScan")
            .field("symbology", &self.symbology)
            .field("vendor_symbology", &self.vendor_symbology)
            .field(
                "data",
                &mask_payment_code(&String::from_utf8_lossy(&self.data)),
            )
            .finish()
    }
}

impl PosScan {
    /// The code as text. Payment codes are ASCII; anything that is not
    /// UTF-8 is replaced rather than dropped so the cashier sees a bad scan.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Joins HID POS reports into codes.
#[derive(Debug, Clone)]
pub struct PosDecoder {
    report_id: Option<u8>,
    pending: Vec<u8>,
    symbology: Option<String>,
}

impl PosDecoder {
    /// `report_id`: the id the scanner puts in byte 0 (2 on the devices
    /// above), or `None` for a device without report ids, whose reports
    /// start at the length byte.
    pub fn new(report_id: Option<u8>) -> PosDecoder {
        PosDecoder {
            report_id,
            pending: Vec::new(),
            symbology: None,
        }
    }

    /// One input report. `Ok(None)` for a report that continues a code or
    /// belongs to another report id (status, attributes).
    pub fn feed(&mut self, report: &[u8]) -> Result<Option<PosScan>, ReportError> {
        let body = match self.report_id {
            Some(id) => match report.split_first() {
                Some((&first, rest)) if first == id => rest,
                Some(_) => return Ok(None),
                None => return Err(ReportError::Short(0)),
            },
            None => report,
        };
        let Some(&len) = body.first() else {
            return Err(ReportError::Short(report.len()));
        };
        if usize::from(len) > POS_DATA_LEN {
            self.pending.clear();
            return Err(ReportError::Length(len));
        }
        let data_end = 4 + usize::from(len);
        if body.len() < data_end {
            return Err(ReportError::Short(report.len()));
        }
        if self.pending.is_empty() {
            self.symbology =
                (body[1] == b']').then(|| String::from_utf8_lossy(&body[1..4]).into_owned());
        }
        if self.pending.len() + usize::from(len) > MAX_CODE_BYTES {
            self.pending.clear();
            self.symbology = None;
            return Err(ReportError::TooLong(MAX_CODE_BYTES));
        }
        self.pending.extend_from_slice(&body[4..data_end]);
        let vendor = body.get(60).copied().unwrap_or(0);
        let more = body.get(62).is_some_and(|b| b & 1 == 1);
        if more {
            return Ok(None);
        }
        let data = std::mem::take(&mut self.pending);
        Ok(Some(PosScan {
            symbology: self.symbology.take(),
            vendor_symbology: vendor,
            data,
        }))
    }
}

/// Decodes boot-protocol keyboard reports into key presses (US layout).
#[derive(Debug, Clone, Default)]
pub struct BootKeyboard {
    held: Vec<u8>,
}

const LEFT_SHIFT: u8 = 0x02;
const RIGHT_SHIFT: u8 = 0x20;
/// Every key slot set to this means "too many keys down": the report says
/// nothing about which keys, so the previous state stands.
const ERROR_ROLL_OVER: u8 = 0x01;

impl BootKeyboard {
    pub fn new() -> BootKeyboard {
        BootKeyboard::default()
    }

    /// Keys newly pressed in this report, in report order.
    pub fn feed(&mut self, report: &[u8]) -> Vec<Key> {
        if report.len() < 8 {
            return Vec::new();
        }
        let shift = report[0] & (LEFT_SHIFT | RIGHT_SHIFT) != 0;
        let codes: Vec<u8> = report[2..8].iter().copied().filter(|&c| c != 0).collect();
        if codes.contains(&ERROR_ROLL_OVER) {
            return Vec::new();
        }
        let pressed = codes
            .iter()
            .filter(|c| !self.held.contains(c))
            .map(|&c| us_key(c, shift))
            .collect();
        self.held = codes;
        pressed
    }
}

/// A HID keyboard usage on a US layout.
pub fn us_key(usage: u8, shift: bool) -> Key {
    let pick = |plain: char, shifted: char| Key::Char(if shift { shifted } else { plain });
    match usage {
        0x04..=0x1d => {
            let c = char::from(b'a' + (usage - 0x04));
            Key::Char(if shift { c.to_ascii_uppercase() } else { c })
        }
        0x1e..=0x26 => {
            let i = usize::from(usage - 0x1e);
            pick(char::from(b'1' + i as u8), b"!@#$%^&*("[i].into())
        }
        0x27 => pick('0', ')'),
        0x28 | 0x58 => Key::Enter,
        0x29 => Key::Escape,
        0x2a => Key::Backspace,
        0x2b => Key::Tab,
        0x2c => Key::Char(' '),
        0x2d => pick('-', '_'),
        0x2e => pick('=', '+'),
        0x2f => pick('[', '{'),
        0x30 => pick(']', '}'),
        0x31 => pick('\\', '|'),
        0x32 => pick('#', '~'),
        0x33 => pick(';', ':'),
        0x34 => pick('\'', '"'),
        0x35 => pick('`', '~'),
        0x36 => pick(',', '<'),
        0x37 => pick('.', '>'),
        0x38 => pick('/', '?'),
        // Keypad, as scanners use it with Num Lock on.
        0x54 => Key::Char('/'),
        0x55 => Key::Char('*'),
        0x56 => Key::Char('-'),
        0x57 => Key::Char('+'),
        0x59..=0x61 => Key::Char(char::from(b'1' + (usage - 0x59))),
        0x62 => Key::Char('0'),
        0x63 => Key::Char('.'),
        other => Key::Other(format!("usage 0x{other:02x}")),
    }
}

/// `VID:PID` in hex, as in `lsusb`.
pub fn parse_vid_pid(s: &str) -> Result<(u16, u16), ScannerError> {
    let bad = || ScannerError::HidDevice(s.to_string());
    let (v, p) = s.trim().split_once(':').ok_or_else(bad)?;
    let v = u16::from_str_radix(v, 16).map_err(|_| bad())?;
    let p = u16::from_str_radix(p, 16).map_err(|_| bad())?;
    Ok((v, p))
}

/// Why reading a HID device stopped.
#[derive(Debug, Clone, thiserror::Error)]
#[error("HID 裝置已中斷:{0} / HID device gone: {0}")]
pub struct HidGone(pub String);

/// An open HID device.
pub trait HidDevice: Send {
    /// One input report into `buf`, waiting at most `timeout`; `Ok(0)`
    /// when none came. An error means the device is gone.
    fn read_report(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HidGone>;
}

/// How a device's reports are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// HID POS scanner; see [`PosDecoder::new`] for the report id.
    Pos { report_id: Option<u8> },
    /// A scanner in keyboard mode, read directly so it does not type into
    /// the desktop. A code ends at Enter/Tab or after `idle_end` silence.
    BootKeyboard { idle_end: Duration },
}

/// Opens the device; called again after it goes away.
pub type HidOpener = Box<dyn FnMut() -> Result<Box<dyn HidDevice>, String> + Send>;

/// A HID scanner to read on its own thread (see [`super::ScannerHub::add_hid`]).
pub struct HidReader {
    pub source: ScanSource,
    pub kind: ReportKind,
    pub open: HidOpener,
    /// Waits between attempts to reopen a device that went away.
    pub backoff: super::Backoff,
}

impl HidReader {
    /// A USB device by vendor and product id, reopened after unplugging.
    pub fn usb(vid: u16, pid: u16, kind: ReportKind) -> HidReader {
        HidReader {
            source: ScanSource::Hid(format!("{vid:04x}:{pid:04x}")),
            kind,
            open: Box::new(move || {
                usb::UsbHid::open(vid, pid)
                    .map(|d| Box::new(d) as Box<dyn HidDevice>)
                    .map_err(|e| e.to_string())
            }),
            backoff: super::Backoff::default(),
        }
    }
}

/// How long one read waits, so a stop request is noticed promptly.
const POLL: Duration = Duration::from_millis(50);

impl HidReader {
    pub fn spawn(self, framing: Framing, tx: Sender<ScannerEvent>) -> ReaderHandle {
        let (stop_tx, stop_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("scanner {}", self.source))
            .spawn(move || self.run(framing, tx, stop_rx))
            .expect("spawning a thread");
        ReaderHandle::new(stop_tx, thread)
    }

    fn run(mut self, framing: Framing, tx: Sender<ScannerEvent>, stop: mpsc::Receiver<()>) {
        let mut link = super::Link::new(self.source.clone(), tx.clone(), self.backoff);
        loop {
            let mut dev = match (self.open)() {
                Ok(d) => d,
                Err(why) => {
                    if link.failed(why, &stop) {
                        return;
                    }
                    continue;
                }
            };
            link.opened();
            let why = read_until_gone(&mut *dev, self.kind, &self.source, &framing, &tx, &stop);
            drop(dev);
            match why {
                None => return,
                Some(why) => {
                    if link.failed(why, &stop) {
                        return;
                    }
                }
            }
        }
    }
}

/// Reads one open device; `None` when asked to stop, else why it is gone.
fn read_until_gone(
    dev: &mut dyn HidDevice,
    kind: ReportKind,
    source: &ScanSource,
    framing: &Framing,
    tx: &Sender<ScannerEvent>,
    stop: &mpsc::Receiver<()>,
) -> Option<String> {
    let mut buf = [0u8; 64];
    let mut pos = PosDecoder::new(match kind {
        ReportKind::Pos { report_id } => report_id,
        ReportKind::BootKeyboard { .. } => None,
    });
    let mut keyboard = BootKeyboard::new();
    let mut typed = String::new();
    let mut last_key = Instant::now();
    let send = |raw: &str, symbology: Option<String>| {
        if let Some(mut scan) = framing.scan(source.clone(), raw) {
            if scan.symbology.is_none() {
                scan.symbology = symbology;
            }
            tracing::debug!(code = %mask_payment_code(&scan.text), %source, "HID scan");
            let _ = tx.send(ScannerEvent::Scan(scan));
        }
    };
    loop {
        if stop_requested(stop, Duration::ZERO) {
            return None;
        }
        let n = match dev.read_report(&mut buf, POLL) {
            Ok(n) => n,
            Err(HidGone(why)) => return Some(why),
        };
        match kind {
            ReportKind::Pos { .. } if n > 0 => match pos.feed(&buf[..n]) {
                Ok(Some(scan)) => send(&scan.text(), scan.symbology),
                Ok(None) => {}
                Err(e) => tracing::warn!(%source, "{e}"),
            },
            ReportKind::Pos { .. } => {}
            ReportKind::BootKeyboard { idle_end } => {
                let now = Instant::now();
                if n > 0 {
                    for key in keyboard.feed(&buf[..n]) {
                        last_key = now;
                        match key {
                            Key::Char(c) => typed.push(c),
                            Key::Enter | Key::Tab => send(&std::mem::take(&mut typed), None),
                            _ => {}
                        }
                    }
                }
                if !typed.is_empty() && now.duration_since(last_key) >= idle_end {
                    send(&std::mem::take(&mut typed), None);
                }
            }
        }
    }
}

/// Real devices through libusb.
pub mod usb {
    use std::time::Duration;

    use rusb::{Direction, TransferType};

    use super::{HidDevice, HidGone, ScannerError};

    /// A HID interface claimed from the OS, read by its interrupt IN
    /// endpoint. Claiming detaches the kernel's keyboard driver where the
    /// platform allows, so a keyboard-mode scanner stops typing into the
    /// desktop while `till` reads it.
    pub struct UsbHid {
        handle: rusb::DeviceHandle<rusb::Context>,
        endpoint: u8,
    }

    fn usb_err(e: rusb::Error) -> ScannerError {
        ScannerError::Usb(e.to_string())
    }

    impl UsbHid {
        pub fn open(vid: u16, pid: u16) -> Result<UsbHid, ScannerError> {
            use rusb::UsbContext as _;
            let ctx = rusb::Context::new().map_err(usb_err)?;
            let handle = ctx.open_device_with_vid_pid(vid, pid).ok_or_else(|| {
                ScannerError::Usb(format!(
                    "找不到 {vid:04x}:{pid:04x},或沒有存取權限(見 drivers/udev/README.md)/ {vid:04x}:{pid:04x} not found or not accessible (see drivers/udev/README.md)"
                ))
            })?;
            let config = handle
                .device()
                .active_config_descriptor()
                .map_err(usb_err)?;
            let (iface, endpoint) = config
                .interfaces()
                .flat_map(|i| i.descriptors())
                .filter(|d| d.class_code() == rusb::constants::LIBUSB_CLASS_HID)
                .find_map(|d| {
                    d.endpoint_descriptors()
                        .find(|e| {
                            e.direction() == Direction::In
                                && e.transfer_type() == TransferType::Interrupt
                        })
                        .map(|e| (d.interface_number(), e.address()))
                })
                .ok_or_else(|| {
                    ScannerError::Usb(format!(
                        "{vid:04x}:{pid:04x} 沒有 HID 輸入端點 / {vid:04x}:{pid:04x} has no HID input endpoint"
                    ))
                })?;
            // Not every platform can detach; claiming then fails and says so.
            let _ = handle.set_auto_detach_kernel_driver(true);
            handle.claim_interface(iface).map_err(usb_err)?;
            Ok(UsbHid { handle, endpoint })
        }
    }

    impl HidDevice for UsbHid {
        fn read_report(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HidGone> {
            match self.handle.read_interrupt(self.endpoint, buf, timeout) {
                Ok(n) => Ok(n),
                Err(rusb::Error::Timeout) | Err(rusb::Error::Interrupted) => Ok(0),
                Err(e) => Err(HidGone(e.to_string())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vid_pid_is_hex() {
        assert_eq!(parse_vid_pid("0c2e:0B61").unwrap(), (0x0c2e, 0x0b61));
        assert!(parse_vid_pid("0c2e").is_err());
        assert!(parse_vid_pid("zz:01").is_err());
    }

    #[test]
    fn reports_of_other_ids_are_ignored() {
        let mut d = PosDecoder::new(Some(2));
        let mut status = [0u8; 64];
        status[0] = 4;
        assert_eq!(d.feed(&status), Ok(None));
    }

    #[test]
    fn a_length_past_the_data_field_is_an_error() {
        let mut d = PosDecoder::new(Some(2));
        let mut r = [0u8; 64];
        r[0] = 2;
        r[1] = 57;
        assert_eq!(d.feed(&r), Err(ReportError::Length(57)));
    }

    /// Reports that never clear the "more" bit are dropped at the cap,
    /// not joined without end, and the next code still reads.
    #[test]
    fn a_code_that_never_ends_is_dropped_at_the_cap() {
        let mut d = PosDecoder::new(Some(2));
        let report = |data: &[u8], more: bool| {
            let mut r = [0u8; 64];
            r[0] = 2;
            r[1] = data.len() as u8;
            r[5..5 + data.len()].copy_from_slice(data);
            r[63] = u8::from(more);
            r
        };
        let full = report(&[b'7'; POS_DATA_LEN], true);
        let mut outcome = Ok(None);
        for _ in 0..=MAX_CODE_BYTES / POS_DATA_LEN {
            outcome = d.feed(&full);
            if outcome.is_err() {
                break;
            }
        }
        assert_eq!(outcome, Err(ReportError::TooLong(MAX_CODE_BYTES)));
        let scan = d.feed(&report(b"4710000000028", false)).unwrap().unwrap();
        assert_eq!(scan.text(), "4710000000028");
    }

    #[test]
    fn shifted_digits_and_letters() {
        assert_eq!(us_key(0x1e, true), Key::Char('!'));
        assert_eq!(us_key(0x27, false), Key::Char('0'));
        assert_eq!(us_key(0x04, true), Key::Char('A'));
        assert_eq!(us_key(0x1d, false), Key::Char('z'));
        assert_eq!(us_key(0x62, false), Key::Char('0'));
    }
}
