//! USB HID scanners from recorded report bytes: HID POS reports (one code
//! per report, or spanning several) and boot-keyboard reports (shift,
//! held keys, rollover), plus the reader thread over a fake device that
//! is unplugged and plugged back in.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use till::device::scanner::hid::{
    BootKeyboard, HidDevice, HidGone, HidReader, PosDecoder, ReportKind,
};
use till::device::scanner::wedge::Key;
use till::device::scanner::{Backoff, Framing, ScanSource, ScannerEvent, ScannerHub};

fn hex(dump: &str) -> Vec<u8> {
    dump.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// EAN-13 4710088123456 from a scanner in HID POS mode (report id 2),
/// AIM `]E0`, Honeywell code id `d`.
const EAN13_REPORT: &str = "
    02 0d 5d 45 30 34 37 31 30 30 38 38 31 32 33 34
    35 36 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 64 00 00";

/// A 60-character QR code in two reports: 56 bytes with the "more"
/// bit set in byte 63, then the last 4.
fn qr_reports() -> (String, Vec<u8>, Vec<u8>) {
    let code = format!("TWQR:{}WXYZ", "0123456789".repeat(5)) + "A";
    assert_eq!(code.len(), 60);
    let mut first = vec![0u8; 64];
    first[0] = 2;
    first[1] = 56;
    first[2..5].copy_from_slice(b"]Q1");
    first[5..61].copy_from_slice(&code.as_bytes()[..56]);
    first[61] = b's';
    first[63] = 0x01;
    let mut second = vec![0u8; 64];
    second[0] = 2;
    second[1] = 4;
    second[2..5].copy_from_slice(b"]Q1");
    second[5..9].copy_from_slice(&code.as_bytes()[56..]);
    second[61] = b's';
    (code, first, second)
}

#[test]
fn a_hid_pos_report_is_one_code() {
    let mut d = PosDecoder::new(Some(2));
    let scan = d.feed(&hex(EAN13_REPORT)).unwrap().expect("a whole code");
    assert_eq!(scan.text(), "4710088123456");
    assert_eq!(scan.symbology.as_deref(), Some("]E0"));
    assert_eq!(scan.vendor_symbology, b'd');
}

#[test]
fn a_long_code_spans_two_reports() {
    let (code, first, second) = qr_reports();
    let mut d = PosDecoder::new(Some(2));
    assert_eq!(d.feed(&first).unwrap(), None);
    let scan = d.feed(&second).unwrap().expect("joined");
    assert_eq!(scan.text(), code);
    assert_eq!(scan.symbology.as_deref(), Some("]Q1"));
    // The decoder is ready for the next code.
    assert_eq!(
        d.feed(&hex(EAN13_REPORT)).unwrap().unwrap().text(),
        "4710088123456"
    );
}

#[test]
fn reports_without_a_report_id_byte() {
    let report = hex(EAN13_REPORT);
    let mut d = PosDecoder::new(None);
    let scan = d.feed(&report[1..]).unwrap().unwrap();
    assert_eq!(scan.text(), "4710088123456");
}

/// A keyboard-mode scanner typing `Ab1!` then Enter, recorded: each key
/// press followed by a release report, shift in the modifier byte.
const KEYBOARD_AB1: &[&str] = &[
    "02 00 04 00 00 00 00 00", // Shift + a → A
    "00 00 00 00 00 00 00 00",
    "00 00 05 00 00 00 00 00", // b
    "00 00 00 00 00 00 00 00",
    "00 00 1e 00 00 00 00 00", // 1
    "00 00 00 00 00 00 00 00",
    "20 00 1e 00 00 00 00 00", // Right shift + 1 → !
    "00 00 00 00 00 00 00 00",
    "00 00 28 00 00 00 00 00", // Enter
    "00 00 00 00 00 00 00 00",
];

fn type_reports(kb: &mut BootKeyboard, reports: &[&str]) -> Vec<Key> {
    reports.iter().flat_map(|r| kb.feed(&hex(r))).collect()
}

#[test]
fn boot_keyboard_with_shift() {
    let keys = type_reports(&mut BootKeyboard::new(), KEYBOARD_AB1);
    assert_eq!(
        keys,
        vec![
            Key::Char('A'),
            Key::Char('b'),
            Key::Char('1'),
            Key::Char('!'),
            Key::Enter
        ]
    );
}

#[test]
fn a_key_held_across_reports_is_one_press() {
    let keys = type_reports(
        &mut BootKeyboard::new(),
        &[
            "00 00 1f 00 00 00 00 00", // 2 down
            "00 00 1f 00 00 00 00 00", // still down (repeated report)
            "00 00 1f 20 00 00 00 00", // 2 held, 3 down (rollover)
            "00 00 20 00 00 00 00 00", // 2 up, 3 held
            "00 00 00 00 00 00 00 00",
            "00 00 20 00 00 00 00 00", // 3 again after a release: a new press
            "00 00 00 00 00 00 00 00",
        ],
    );
    assert_eq!(keys, vec![Key::Char('2'), Key::Char('3'), Key::Char('3')]);
}

#[test]
fn a_scanner_that_never_sends_releases() {
    // Some scanners go key to key without an empty report between.
    let keys = type_reports(
        &mut BootKeyboard::new(),
        &[
            "00 00 21 00 00 00 00 00", // 4
            "00 00 24 00 00 00 00 00", // 7
            "00 00 1e 00 00 00 00 00", // 1
            "00 00 27 00 00 00 00 00", // 0
            "00 00 28 00 00 00 00 00", // Enter
        ],
    );
    assert_eq!(
        keys,
        vec![
            Key::Char('4'),
            Key::Char('7'),
            Key::Char('1'),
            Key::Char('0'),
            Key::Enter
        ]
    );
}

#[test]
fn a_rollover_error_report_changes_nothing() {
    let keys = type_reports(
        &mut BootKeyboard::new(),
        &[
            "00 00 04 00 00 00 00 00",
            "00 00 01 01 01 01 01 01", // too many keys: no information
            "00 00 04 00 00 00 00 00", // a still held, not pressed again
            "00 00 00 00 00 00 00 00",
        ],
    );
    assert_eq!(keys, vec![Key::Char('a')]);
}

/// A fake USB device: reports arrive on a channel; dropping the sender is
/// pulling the cable.
struct FakeHid(Receiver<Vec<u8>>);

impl HidDevice for FakeHid {
    fn read_report(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HidGone> {
        match self.0.recv_timeout(timeout) {
            Ok(r) => {
                buf[..r.len()].copy_from_slice(&r);
                Ok(r.len())
            }
            Err(RecvTimeoutError::Timeout) => Ok(0),
            Err(RecvTimeoutError::Disconnected) => Err(HidGone("unplugged".into())),
        }
    }
}

/// A USB port: `plug` makes a device available to the next open.
#[derive(Clone, Default)]
struct FakePort(Arc<Mutex<Option<FakeHid>>>);

impl FakePort {
    fn plug(&self) -> Sender<Vec<u8>> {
        let (tx, rx) = mpsc::channel();
        *self.0.lock().unwrap() = Some(FakeHid(rx));
        tx
    }
}

fn reader(port: &FakePort, kind: ReportKind) -> HidReader {
    let port = port.clone();
    HidReader {
        source: ScanSource::Hid("0c2e:0b61".into()),
        kind,
        open: Box::new(move || match port.0.lock().unwrap().take() {
            Some(dev) => Ok(Box::new(dev) as Box<dyn HidDevice>),
            None => Err("no such device".into()),
        }),
        backoff: Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
        },
    }
}

fn next(hub: &ScannerHub) -> ScannerEvent {
    hub.recv_timeout(Duration::from_secs(5))
        .expect("an event within 5 s")
}

fn scan_text(e: ScannerEvent) -> String {
    match e {
        ScannerEvent::Scan(s) => s.text,
        other => panic!("expected a scan, got {other:?}"),
    }
}

#[test]
fn hid_pos_reader_survives_unplugging() {
    let port = FakePort::default();
    let cable = port.plug();
    let mut hub = ScannerHub::new();
    hub.add_hid(
        reader(&port, ReportKind::Pos { report_id: Some(2) }),
        Framing::default(),
    );
    let src = ScanSource::Hid("0c2e:0b61".into());
    assert_eq!(next(&hub), ScannerEvent::Connected(src.clone()));
    cable.send(hex(EAN13_REPORT)).unwrap();
    match next(&hub) {
        ScannerEvent::Scan(s) => {
            assert_eq!(s.text, "4710088123456");
            assert_eq!(s.symbology.as_deref(), Some("]E0"));
            assert_eq!(s.source, src);
        }
        other => panic!("expected a scan, got {other:?}"),
    }
    drop(cable);
    assert!(matches!(next(&hub), ScannerEvent::Disconnected { source, .. } if source == src));
    let cable = port.plug();
    assert_eq!(next(&hub), ScannerEvent::Reconnected(src));
    let (code, first, second) = qr_reports();
    cable.send(first).unwrap();
    cable.send(second).unwrap();
    assert_eq!(scan_text(next(&hub)), code);
    hub.stop();
}

#[test]
fn keyboard_mode_reader_ends_codes_at_enter_or_silence() {
    let port = FakePort::default();
    let cable = port.plug();
    let mut hub = ScannerHub::new();
    hub.add_hid(
        reader(
            &port,
            ReportKind::BootKeyboard {
                idle_end: Duration::from_millis(100),
            },
        ),
        Framing::default(),
    );
    assert!(matches!(next(&hub), ScannerEvent::Connected(_)));
    for r in KEYBOARD_AB1 {
        cable.send(hex(r)).unwrap();
    }
    assert_eq!(scan_text(next(&hub)), "Ab1!");
    // No Enter: the code ends when the scanner falls silent.
    for r in ["00 00 21 00 00 00 00 00", "00 00 24 00 00 00 00 00"] {
        cable.send(hex(r)).unwrap();
    }
    assert_eq!(scan_text(next(&hub)), "47");
    hub.stop();
}
