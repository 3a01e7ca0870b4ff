//! Serial scanners: RS-232, or USB scanners in CDC-ACM ("virtual COM")
//! mode. A reader thread reassembles what arrives in pieces, splits it on
//! the terminator, and keeps going across unplug and replug.

use std::io::ErrorKind;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

pub use serialport::{DataBits, FlowControl, Parity, StopBits};

use super::{Backoff, Framing, Link, ReaderHandle, ScanSource, ScannerError, ScannerEvent};
use crate::barcode::mask_payment_code;

/// What ends one code on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminator {
    Cr,
    Lf,
    CrLf,
    /// No terminator: a code ends when the line is quiet this long.
    Idle(Duration),
}

/// The quiet that ends a code for `terminator = "idle"`: a scanner sends a
/// code in one burst, and at 9600 baud a byte takes about 1 ms.
pub const DEFAULT_IDLE_GAP: Duration = Duration::from_millis(50);

/// With a line terminator configured, bytes left this long without one are
/// delivered anyway: the scanner is probably set to send no suffix.
pub const STALE_AFTER: Duration = Duration::from_secs(1);

impl Terminator {
    /// From the config's `cr`, `lf`, `crlf` or `idle`.
    pub fn parse(s: &str) -> Result<Terminator, ScannerError> {
        match s.to_ascii_lowercase().as_str() {
            "cr" => Ok(Terminator::Cr),
            "lf" => Ok(Terminator::Lf),
            "crlf" => Ok(Terminator::CrLf),
            "idle" => Ok(Terminator::Idle(DEFAULT_IDLE_GAP)),
            _ => Err(ScannerError::Terminator(s.to_string())),
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::Cr => b"\r",
            Terminator::Lf => b"\n",
            Terminator::CrLf => b"\r\n",
            Terminator::Idle(_) => b"",
        }
    }

    fn quiet(self) -> Duration {
        match self {
            Terminator::Idle(gap) => gap,
            _ => STALE_AFTER,
        }
    }
}

/// Turns a byte stream arriving in arbitrary pieces into codes (pure).
#[derive(Debug, Clone)]
pub struct Splitter {
    terminator: Terminator,
    buf: Vec<u8>,
    last: Option<Instant>,
}

impl Splitter {
    pub fn new(terminator: Terminator) -> Splitter {
        Splitter {
            terminator,
            buf: Vec::new(),
            last: None,
        }
    }

    /// Bytes received at `now`; every code they complete.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        // Quiet since the last piece ends the code before this one.
        out.extend(self.idle(now));
        self.buf.extend_from_slice(bytes);
        self.last = Some(now);
        let term = self.terminator.bytes();
        if !term.is_empty() {
            while let Some(i) = find(&self.buf, term) {
                let rest = self.buf.split_off(i + term.len());
                let mut frame = std::mem::replace(&mut self.buf, rest);
                frame.truncate(i);
                out.push(frame);
            }
        }
        out.retain(|f| !f.is_empty());
        out
    }

    /// The code held since before `now - quiet`, if any.
    pub fn idle(&mut self, now: Instant) -> Option<Vec<u8>> {
        let last = self.last?;
        if self.buf.is_empty() || now.saturating_duration_since(last) < self.terminator.quiet() {
            return None;
        }
        if !matches!(self.terminator, Terminator::Idle(_)) {
            tracing::warn!(
                "掃描器送出的資料沒有結尾字元,請確認 terminator 設定(或設為 idle)/ scanner data had no terminator: check the terminator setting (or use idle)"
            );
        }
        self.last = None;
        Some(std::mem::take(&mut self.buf))
    }

    /// Drop a half-received code (the device went away mid-code).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.last = None;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Everything needed to open and read one serial scanner.
#[derive(Debug, Clone, PartialEq)]
pub struct SerialConfig {
    /// e.g. `/dev/till-scanner` (a udev symlink), `/dev/ttyACM0`, `COM3`.
    pub path: String,
    pub baud: u32,
    pub data_bits: DataBits,
    pub parity: Parity,
    pub stop_bits: StopBits,
    pub flow_control: FlowControl,
    pub terminator: Terminator,
    pub backoff: Backoff,
}

impl SerialConfig {
    /// 8N1, no flow control: what nearly every scanner ships with.
    pub fn new(path: impl Into<String>, baud: u32, terminator: Terminator) -> SerialConfig {
        SerialConfig {
            path: path.into(),
            baud,
            data_bits: DataBits::Eight,
            parity: Parity::None,
            stop_bits: StopBits::One,
            flow_control: FlowControl::None,
            terminator,
            backoff: Backoff::default(),
        }
    }

    pub fn from_config(c: &super::ScannerSettings) -> Result<SerialConfig, ScannerError> {
        if c.device.is_empty() {
            return Err(ScannerError::NoSerialPath);
        }
        let bad = |key: &str, value: String| ScannerError::Setting {
            key: key.to_string(),
            value,
        };
        let terminator = match Terminator::parse(&c.terminator)? {
            Terminator::Idle(_) => Terminator::Idle(Duration::from_millis(c.idle_gap_ms.max(1))),
            t => t,
        };
        let mut cfg = SerialConfig::new(c.device.clone(), c.baud, terminator);
        cfg.data_bits = match c.data_bits {
            7 => DataBits::Seven,
            8 => DataBits::Eight,
            n => return Err(bad("data_bits", n.to_string())),
        };
        cfg.parity = match c.parity.as_str() {
            "none" => Parity::None,
            "odd" => Parity::Odd,
            "even" => Parity::Even,
            other => return Err(bad("parity", other.to_string())),
        };
        cfg.stop_bits = match c.stop_bits {
            1 => StopBits::One,
            2 => StopBits::Two,
            n => return Err(bad("stop_bits", n.to_string())),
        };
        cfg.flow_control = match c.flow_control.as_str() {
            "none" => FlowControl::None,
            "software" => FlowControl::Software,
            "hardware" => FlowControl::Hardware,
            other => return Err(bad("flow_control", other.to_string())),
        };
        Ok(cfg)
    }

    /// How long one read waits: short enough to notice the idle gap and a
    /// stop request promptly.
    fn read_timeout(&self) -> Duration {
        (self.terminator.quiet() / 2).min(Duration::from_millis(50))
    }

    fn open(&self) -> Result<Box<dyn serialport::SerialPort>, serialport::Error> {
        serialport::new(&self.path, self.baud)
            .data_bits(self.data_bits)
            .parity(self.parity)
            .stop_bits(self.stop_bits)
            .flow_control(self.flow_control)
            .timeout(self.read_timeout())
            .open()
    }
}

/// Start the reader thread; stop it with [`ReaderHandle::stop`].
pub fn spawn(config: SerialConfig, framing: Framing, tx: Sender<ScannerEvent>) -> ReaderHandle {
    let (stop_tx, stop_rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("scanner {}", config.path))
        .spawn(move || run(config, framing, tx, stop_rx))
        .expect("spawning a thread");
    ReaderHandle::new(stop_tx, thread)
}

fn run(config: SerialConfig, framing: Framing, tx: Sender<ScannerEvent>, stop: Receiver<()>) {
    let source = ScanSource::Serial(config.path.clone());
    let mut link = Link::new(source.clone(), tx.clone(), config.backoff);
    loop {
        let why = match config.open() {
            Ok(mut port) => {
                link.opened();
                match read_until_gone(&mut *port, &config, &source, &framing, &tx, &stop) {
                    None => return,
                    Some(why) => why,
                }
            }
            Err(e) => open_error(&config.path, e),
        };
        if link.failed(why, &stop) {
            return;
        }
    }
}

fn open_error(path: &str, e: serialport::Error) -> String {
    match e.kind() {
        serialport::ErrorKind::NoDevice => {
            format!("找不到或無法開啟 {path} / {path} is missing or cannot be opened: {e}")
        }
        _ => format!("無法開啟 {path} / cannot open {path}: {e}"),
    }
}

/// Reads an open port; `None` when asked to stop, else why it is gone.
fn read_until_gone(
    port: &mut dyn serialport::SerialPort,
    config: &SerialConfig,
    source: &ScanSource,
    framing: &Framing,
    tx: &Sender<ScannerEvent>,
    stop: &Receiver<()>,
) -> Option<String> {
    let mut splitter = Splitter::new(config.terminator);
    let mut buf = [0u8; 512];
    let deliver = |frame: Vec<u8>| {
        let raw = String::from_utf8_lossy(&frame);
        if let Some(scan) = framing.scan(source.clone(), &raw) {
            tracing::debug!(code = %mask_payment_code(&scan.text), %source, "serial scan");
            let _ = tx.send(ScannerEvent::Scan(scan));
        }
    };
    loop {
        if super::stop_requested(stop, Duration::ZERO) {
            return None;
        }
        match port.read(&mut buf) {
            // A tty at EOF: the other end hung up.
            Ok(0) => {
                splitter.reset();
                return Some("裝置已關閉 / device closed".into());
            }
            Ok(n) => splitter
                .push(&buf[..n], Instant::now())
                .into_iter()
                .for_each(deliver),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                ) =>
            {
                if let Some(frame) = splitter.idle(Instant::now()) {
                    deliver(frame);
                }
            }
            Err(e) => {
                splitter.reset();
                return Some(format!("讀取失敗 / read failed: {e}"));
            }
        }
    }
}

/// A serial port the system knows of, for `till devices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    pub path: String,
    /// e.g. `USB 0c2e:0b61 Honeywell Xenon 1900`, `PCI`, `Bluetooth`.
    pub description: String,
}

pub fn available_ports() -> Result<Vec<PortInfo>, ScannerError> {
    let ports =
        serialport::available_ports().map_err(|e| ScannerError::ListPorts(e.to_string()))?;
    Ok(ports
        .into_iter()
        .map(|p| PortInfo {
            path: p.port_name,
            description: match p.port_type {
                serialport::SerialPortType::UsbPort(u) => {
                    let mut d = format!("USB {:04x}:{:04x}", u.vid, u.pid);
                    for part in [u.manufacturer, u.product].into_iter().flatten() {
                        d.push(' ');
                        d.push_str(&part);
                    }
                    d
                }
                serialport::SerialPortType::PciPort => "PCI".into(),
                serialport::SerialPortType::BluetoothPort => "Bluetooth".into(),
                serialport::SerialPortType::Unknown => String::new(),
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn a_code_in_three_pieces_is_one_code() {
        let t = Instant::now();
        let mut s = Splitter::new(Terminator::Cr);
        assert!(s.push(b"4710", at(t, 0)).is_empty());
        assert!(s.push(b"08812", at(t, 2)).is_empty());
        assert_eq!(
            s.push(b"3456\r4", at(t, 4)),
            vec![b"4710088123456".to_vec()]
        );
        assert_eq!(s.push(b"9\r", at(t, 500)), vec![b"49".to_vec()]);
    }

    #[test]
    fn crlf_split_between_pieces() {
        let t = Instant::now();
        let mut s = Splitter::new(Terminator::CrLf);
        assert!(s.push(b"ABC\r", at(t, 0)).is_empty());
        assert_eq!(
            s.push(b"\nDEF\r\n", at(t, 1)),
            vec![b"ABC".to_vec(), b"DEF".to_vec()]
        );
    }

    #[test]
    fn idle_gap_ends_a_code() {
        let t = Instant::now();
        let mut s = Splitter::new(Terminator::Idle(Duration::from_millis(50)));
        assert!(s.push(b"1234", at(t, 0)).is_empty());
        assert!(s.push(b"5678", at(t, 10)).is_empty());
        assert_eq!(s.idle(at(t, 59)), None);
        assert_eq!(s.idle(at(t, 60)), Some(b"12345678".to_vec()));
        assert_eq!(s.idle(at(t, 500)), None);
        // A piece after a quiet spell starts a new code.
        assert!(s.push(b"AB", at(t, 600)).is_empty());
        assert_eq!(s.push(b"CD", at(t, 700)), vec![b"AB".to_vec()]);
    }

    #[test]
    fn a_missing_terminator_still_delivers_after_a_second() {
        let t = Instant::now();
        let mut s = Splitter::new(Terminator::Cr);
        assert!(s.push(b"4710088123456", at(t, 0)).is_empty());
        assert_eq!(s.idle(at(t, 999)), None);
        assert_eq!(s.idle(at(t, 1000)), Some(b"4710088123456".to_vec()));
    }

    #[test]
    fn terminator_names() {
        assert_eq!(Terminator::parse("CRLF").unwrap(), Terminator::CrLf);
        assert!(matches!(
            Terminator::parse("idle").unwrap(),
            Terminator::Idle(_)
        ));
        assert!(Terminator::parse("tab").is_err());
    }
}
