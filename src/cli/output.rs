//! Standard output and error of the command line, written so that a reader
//! going away ends the output quietly, as ripgrep does: `till history … |
//! head -2` must not panic ("failed printing to stdout: Broken pipe", which
//! is what `println!` does once the pipe is closed).
//!
//! The first write that fails marks the stream closed; later writes are
//! dropped, and the command finishes with its own exit code (a payment's
//! result stays its exit code even when nobody reads its text). A failure
//! other than a closed pipe (a full disk behind `> file`) is said once on
//! standard error. Long listings ask [`stdout_closed`] to stop early.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::locale::{Lang, Localized, Text};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether standard output has gone away (nothing more will be shown).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Write to standard output; see the module docs. Use [`crate::outln!`].
pub fn write_stdout(args: fmt::Arguments<'_>) {
    if stdout_closed() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != io::ErrorKind::BrokenPipe {
            write_stderr(format_args!(
                "till: 無法寫出結果 / cannot write the output: {e}\n"
            ));
        }
    }
}

/// Write to standard error, dropping it once the reader is gone. Use
/// [`crate::errln!`].
pub fn write_stderr(args: fmt::Arguments<'_>) {
    if STDERR_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if io::stderr().lock().write_fmt(args).is_err() {
        STDERR_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `println!` for the command line: quiet when the reader has gone.
#[macro_export]
macro_rules! outln {
    () => { $crate::cli::output::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` for the command line: quiet when the reader has gone.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// The JSON of every listing command (README "Command line", JSON
/// listings): `{"items": [...], "more": bool, "next": CURSOR or null}`.
/// `next` is what to pass back (`--after`) for the items that follow; a
/// listing that is never cut short always says `"more": false`.
pub fn listing<T: serde::Serialize>(
    items: &[T],
    next: Option<impl fmt::Display>,
) -> serde_json::Value {
    serde_json::json!({
        "items": items,
        "more": next.is_some(),
        "next": next.map(|c| c.to_string()),
    })
}

/// The language the command line words its errors in: the POSIX locale's
/// (`LC_ALL`, then `LC_MESSAGES`, then `LANG`, the first one set), Chinese
/// for `zh…`, English for any other language, and both (zh-TW first, as
/// the till always said them) when the locale names none (`C`, `POSIX`,
/// unset), as in scripts and services. The configuration has no language
/// setting, and an error from loading it must be worded before it is read.
pub fn lang() -> Option<Lang> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    let locale = var("LC_ALL")
        .or_else(|| var("LC_MESSAGES"))
        .or_else(|| var("LANG"))
        .unwrap_or_default();
    Lang::from_posix_locale(&locale)
}

/// `said` in `lang`, or in both languages when there is none.
pub fn word(said: &(impl Localized + ?Sized), lang: Option<Lang>) -> String {
    match lang {
        Some(lang) => said.message(lang),
        None => said.both(),
    }
}

/// `e` and its causes in `lang`, joined as anyhow's `{:#}` joins them
/// (`outer: inner`). A cause that carries its facts ([`Localized`]) is
/// worded from the locale files; any other is shown as it displays.
pub fn error_text(e: &anyhow::Error, lang: Option<Lang>) -> String {
    e.chain()
        .map(|cause| worded(cause, lang).unwrap_or_else(|| cause.to_string()))
        .collect::<Vec<_>>()
        .join(": ")
}

/// Calls `$m!` with every error type that is worded from the locale files
/// and may reach the command line.
macro_rules! localized_errors {
    ($m:ident) => {
        $m!(
            crate::terminal::TerminalError,
            crate::terminal::InvoicingError,
            crate::terminal::PrintError,
            crate::terminal::PayError,
            crate::terminal::settings::SaveError,
            crate::terminal::settings::SettingsError,
            crate::journal::JournalError,
            crate::config::LoadError,
            crate::barcode::Unrecognised,
            crate::barcode::GtinError,
            crate::sale::CartError,
            crate::sale::RefundError,
            crate::sale::TradeNoError,
            crate::sale::TenderError,
            crate::einvoice::buyer::BanError,
            crate::einvoice::buyer::ChoiceError,
            crate::einvoice::buyer::LoveCodeError,
            crate::einvoice::buyer::MobileCarrierError,
            crate::einvoice::buyer::CitizenCertificateError,
            crate::einvoice::invoice::InvoiceError,
            crate::einvoice::FormatError,
            crate::einvoice::mig::MigError,
            crate::einvoice::mig::turnkey::TurnkeyError,
            crate::einvoice::qr::QrError,
            crate::gateway::CryptoError,
            crate::gateway::FieldError,
            crate::gateway::client::NotSent,
            crate::device::printer::PrinterError,
            crate::device::printer::TransportError,
            crate::device::scanner::ScannerError,
            crate::print::ProfileError,
            crate::print::EncodeError,
            crate::money::AmountError,
            crate::catalogue::CatalogueError,
        )
    };
}

/// The cause in `lang`, when it is one of the error types worded from the
/// locale files.
fn worded(cause: &(dyn std::error::Error + 'static), lang: Option<Lang>) -> Option<String> {
    macro_rules! first_of {
        ($($t:ty),+ $(,)?) => {
            $(if let Some(e) = cause.downcast_ref::<$t>() {
                return Some(word(e, lang));
            })+
        };
    }
    localized_errors!(first_of);
    None
}

/// `value` in `lang` when it is one of the error types worded from the
/// locale files; otherwise as it displays.
pub fn said<T: fmt::Display + 'static>(value: &T, lang: Option<Lang>) -> String {
    let any: &dyn std::any::Any = value;
    macro_rules! first_of {
        ($($t:ty),+ $(,)?) => {
            $(if let Some(e) = any.downcast_ref::<$t>() {
                return word(e, lang);
            })+
        };
    }
    localized_errors!(first_of);
    if let Some(text) = any.downcast_ref::<Text>() {
        return word(text, lang);
    }
    value.to_string()
}

/// A message of the command line's own, in the user's language.
pub fn say(text: Text) -> String {
    word(&text, lang())
}
