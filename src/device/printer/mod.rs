//! Printers: getting ESC/POS bytes to the paper, and asking the printer
//! whether it can print.
//!
//! ```text
//! [printer] transport ──Transport::parse──▶ Transport ──open──▶ Box<dyn PrinterPort>
//!                                                    tcp · serial · usb · file · virtual
//! Printer::send(bytes): status (DLE EOT) ─▶ write ─▶ status again
//! ```
//!
//! A connection is opened per job: port 9100 printers and the virtual
//! printer take a closed connection as the end of a job, and a serial or
//! USB printer unplugged between jobs is found again without a restart.

/// The test page's former address, kept while the GUI prints it from here;
/// its layout is [`crate::print::slips::test_page`] and the CLI asks
/// `terminal::test_page`. Remove this module when no caller is left.
pub mod cli {
    /// What the test page needs of the configuration (`config::Config`
    /// answers it), so `device` need not import `config`.
    pub trait StoreName {
        fn store_name(&self) -> &str;
    }

    pub fn test_page(cfg: &impl StoreName, printer: &super::Printer) -> crate::print::Document {
        crate::print::slips::test_page_document(&super::test_page_data(cfg.store_name(), printer))
    }
}
pub mod file;
pub mod serial;
pub mod settings;
pub mod status;
pub mod tcp;
pub mod transport;
pub mod usb;
pub mod virtual_printer;

use std::time::{Duration, Instant};

pub use settings::PrinterSettings;
pub use status::{PrinterStatus, StatusQuery};
pub use transport::{Transport, TransportError};

use crate::print::Profile;

/// How long one job's bytes may take to leave. A 58 mm proof is ~10 kB,
/// about 11 s at 9600 baud, so this leaves room for slow serial printers.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// A healthy printer answers `DLE EOT` within milliseconds.
pub const DEFAULT_STATUS_TIMEOUT: Duration = Duration::from_millis(1500);

/// A connection to a printer: bytes out, status bytes back.
pub trait PrinterPort: Send {
    /// Write every byte, or fail once `timeout` has passed.
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), PrinterError>;
    /// Read what the printer sent back; `Ok(0)` when nothing came within `timeout`.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PrinterError>;
    /// Whether the printer can answer at all on this connection (a plain
    /// file cannot).
    fn can_answer(&self) -> bool {
        true
    }
}

/// Why a job did not print, in words for the cashier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrinterError {
    PaperEnd,
    CoverOpen,
    Offline,
    Mechanical,
    NoAnswer(String),
    Connect {
        target: String,
        message: String,
    },
    Timeout(String),
    Io(String),
    #[error(transparent)]
    Transport(#[from] TransportError),
    Config(String),
}
impl crate::locale::Localized for PrinterError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::PaperEnd => tr(lang, "words.printer.paper_end"),
            Self::CoverOpen => tr(lang, "words.printer.cover_open"),
            Self::Offline => tr(lang, "words.printer.offline"),
            Self::Mechanical => tr(lang, "words.printer.mechanical"),
            Self::NoAnswer(v0) => fill(lang, "words.printer.no_answer", &[("value", v0)]),
            Self::Connect { target, message } => fill(
                lang,
                "words.printer.connect",
                &[("target", target), ("message", message)],
            ),
            Self::Timeout(v0) => fill(lang, "words.printer.timeout", &[("value", v0)]),
            Self::Io(v0) => fill(lang, "words.printer.io", &[("value", v0)]),
            Self::Transport(e) => e.message(lang),
            // Already worded by whoever found the problem.
            Self::Config(text) => text.clone(),
        }
    }
}

crate::display_both!(PrinterError);

impl PrinterError {
    /// A stable word for the journal's `last_error`, before the message.
    pub fn code(&self) -> &'static str {
        match self {
            PrinterError::PaperEnd => "paper_end",
            PrinterError::CoverOpen => "cover_open",
            PrinterError::Offline => "offline",
            PrinterError::Mechanical => "mechanical",
            PrinterError::NoAnswer(_) => "no_answer",
            PrinterError::Connect { .. } => "connect",
            PrinterError::Timeout(_) => "timeout",
            PrinterError::Io(_) => "io",
            PrinterError::Transport(_) => "transport",
            PrinterError::Config(_) => "config",
        }
    }

    pub(crate) fn io(e: std::io::Error) -> PrinterError {
        match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                PrinterError::Timeout(e.to_string())
            }
            _ => PrinterError::Io(e.to_string()),
        }
    }
}

/// How much of a failed job reached the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printed {
    /// Stopped before a byte was sent: printing it again is the first copy.
    Nothing,
    /// Some or all of it may be on paper, possibly cut short.
    Maybe,
}

/// A job that did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct JobError {
    pub printed: Printed,
    pub error: PrinterError,
}

type Opener = Box<dyn FnMut() -> Result<Box<dyn PrinterPort>, PrinterError> + Send>;

/// The till's printer: what it can do (profile) and how to reach it.
pub struct Printer {
    pub profile: Profile,
    /// Shown in messages: the transport URL, or what a test says.
    pub target: String,
    pub write_timeout: Duration,
    pub status_timeout: Duration,
    open: Opener,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("profile", &self.profile.name)
            .field("target", &self.target)
            .finish()
    }
}

impl Printer {
    /// The printer a configuration names.
    pub fn from_config(cfg: &PrinterSettings) -> Result<Printer, PrinterError> {
        let profile =
            Profile::find(&cfg.profile).map_err(|e| PrinterError::Config(e.to_string()))?;
        Ok(Printer::new(profile, Transport::parse(&cfg.transport)?))
    }

    pub fn new(profile: Profile, transport: Transport) -> Printer {
        let target = transport.to_string();
        let write_timeout = DEFAULT_WRITE_TIMEOUT;
        let status_timeout = DEFAULT_STATUS_TIMEOUT;
        let p = profile.clone();
        Printer {
            profile,
            target,
            write_timeout,
            status_timeout,
            open: Box::new(move || transport.open(write_timeout, &p)),
        }
    }

    /// A printer reached through `open` (tests, fakes).
    pub fn with_opener(
        profile: Profile,
        target: impl Into<String>,
        open: impl FnMut() -> Result<Box<dyn PrinterPort>, PrinterError> + Send + 'static,
    ) -> Printer {
        Printer {
            profile,
            target: target.into(),
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            status_timeout: DEFAULT_STATUS_TIMEOUT,
            open: Box::new(open),
        }
    }

    pub fn connect(&mut self) -> Result<Box<dyn PrinterPort>, PrinterError> {
        (self.open)()
    }

    /// The printer's status, or `None` when its profile or connection has
    /// no status.
    pub fn status(&mut self) -> Result<Option<PrinterStatus>, PrinterError> {
        let mut port = self.connect()?;
        self.status_on(&mut *port)
    }

    fn status_on(&self, port: &mut dyn PrinterPort) -> Result<Option<PrinterStatus>, PrinterError> {
        if !self.profile.status || !port.can_answer() {
            return Ok(None);
        }
        status::query(port, self.status_timeout).map(Some)
    }

    /// Send one job: stop before printing if the printer reports a problem,
    /// and report a problem seen right after (the job may be cut short).
    pub fn send(&mut self, bytes: &[u8]) -> Result<Option<PrinterStatus>, JobError> {
        let nothing = |error| JobError {
            printed: Printed::Nothing,
            error,
        };
        let maybe = |error| JobError {
            printed: Printed::Maybe,
            error,
        };
        let mut port = self.connect().map_err(nothing)?;
        if let Some(s) = self.status_on(&mut *port).map_err(nothing)?
            && let Some(problem) = s.problem()
        {
            return Err(nothing(problem));
        }
        port.write_all(bytes, self.write_timeout).map_err(maybe)?;
        let after = self.status_on(&mut *port).map_err(maybe)?;
        if let Some(problem) = after.and_then(|s| s.problem()) {
            return Err(maybe(problem));
        }
        Ok(after)
    }

    /// Bytes that pulse the cash drawer on the profile's first pin.
    pub fn drawer_pulse(&self) -> Result<Vec<u8>, PrinterError> {
        let pin = *self.profile.drawer_pins.first().ok_or_else(|| {
            PrinterError::Config(format!(
                "印表機設定檔 {} 沒有錢櫃接口 / printer profile {} has no cash drawer connector",
                self.profile.name, self.profile.name
            ))
        })?;
        let mut doc = crate::print::Document::new();
        doc.drawer(pin);
        crate::print::encode(&doc, &self.profile).map_err(|e| PrinterError::Config(e.to_string()))
    }
}

/// Write `bytes` in pieces through `write_some` until done or `deadline`;
/// `write_some` gets the time left and returns how many bytes it took.
pub(crate) fn write_with_deadline(
    bytes: &[u8],
    timeout: Duration,
    mut write_some: impl FnMut(&[u8], Duration) -> Result<usize, PrinterError>,
) -> Result<(), PrinterError> {
    let deadline = Instant::now() + timeout;
    let mut sent = 0;
    while sent < bytes.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(PrinterError::Timeout(format!(
                "{sent}/{} bytes sent",
                bytes.len()
            )));
        }
        match write_some(&bytes[sent..], left)? {
            0 => {}
            n => sent += n,
        }
    }
    Ok(())
}

/// What the test page says about `printer`, at the current Taipei time.
pub fn test_page_data(store_name: &str, printer: &Printer) -> crate::print::slips::TestPageData {
    crate::print::slips::TestPageData {
        store_name: store_name.to_string(),
        profile: printer.profile.name.clone(),
        target: printer.target.clone(),
        time: crate::taipei::now().format("%Y-%m-%d %H:%M").to_string(),
    }
}
