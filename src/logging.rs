//! Logging through a redactor.
//!
//! `tracing` events are formatted by `tracing-subscriber` and then pass
//! through [`Redactor`] before they reach the log file or terminal. The
//! redactor replaces every configured secret with `[redacted]` and every
//! payment code it was told about, or that looks like one, with its mask
//! (first 4 + last 2). The [`crate::secret::Secret`] type already prints as
//! `[redacted]`; this layer is the net for values that escaped as plain
//! strings (a gateway echoing a key in an error body, a code inside a URL).

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, RwLock};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::barcode::mask_payment_code;
use crate::secret::Secret;
use crate::taipei;

/// Secrets shorter than this are not searched for: a 1–3 character "secret"
/// would blank out ordinary words. `till config check` rejects such keys.
const MIN_SECRET_LEN: usize = 4;

/// The shared list of what must never be written.
#[derive(Clone, Default)]
pub struct Redactor {
    inner: Arc<RwLock<Lists>>,
}

#[derive(Default)]
struct Lists {
    secrets: Vec<String>,
    codes: Vec<String>,
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Never write this value.
    pub fn add_secret(&self, secret: &Secret) {
        let value = secret.expose();
        if value.len() >= MIN_SECRET_LEN {
            let mut lists = self.inner.write().expect("redactor lock");
            if !lists.secrets.iter().any(|s| s == value) {
                lists.secrets.push(value.to_string());
                // Longest first, so a secret containing another is replaced whole.
                lists.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
            }
        }
    }

    /// Write this payment code only masked. The terminal registers every
    /// scanned payment code before it logs anything about the payment.
    pub fn add_payment_code(&self, code: &str) {
        if code.len() >= MIN_SECRET_LEN {
            let mut lists = self.inner.write().expect("redactor lock");
            if !lists.codes.iter().any(|c| c == code) {
                lists.codes.push(code.to_string());
                lists.codes.sort_by_key(|s| std::cmp::Reverse(s.len()));
                // A till runs for days; keep the most recent codes only.
                if lists.codes.len() > 1024 {
                    lists.codes.remove(0);
                }
            }
        }
    }

    /// The text as it may be written.
    pub fn redact(&self, text: &str) -> String {
        let lists = self.inner.read().expect("redactor lock");
        let mut out = text.to_string();
        for secret in &lists.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[redacted]");
            }
        }
        for code in &lists.codes {
            if out.contains(code.as_str()) {
                out = out.replace(code.as_str(), &mask_payment_code(code));
            }
        }
        mask_code_shaped_runs(&out)
    }
}

/// Masks what looks like a payment code even when nobody registered it:
/// a JKoPay CardToken (`22` + 16 letters/digits) or a run of 16–24 digits
/// (WeChat, Alipay, LINE Pay, Pi codes). Trade numbers start with a letter
/// and EANs have at most 13 digits, so neither is touched.
fn mask_code_shaped_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let all_digits = run.bytes().all(|b| b.is_ascii_digit());
        let card_token = run.len() == 18 && run.starts_with("22");
        if (all_digits && (16..=24).contains(&run.len())) || card_token {
            out.push_str(&mask_payment_code(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A `MakeWriter` that redacts every formatted event before writing it.
#[derive(Clone)]
pub struct RedactingMakeWriter<M> {
    redactor: Redactor,
    inner: M,
}

impl<M> RedactingMakeWriter<M> {
    pub fn new(redactor: Redactor, inner: M) -> Self {
        RedactingMakeWriter { redactor, inner }
    }
}

/// Buffers one event and writes it redacted when dropped: the fmt layer
/// writes an event in pieces, and a secret must not escape by being split
/// across two writes.
pub struct RedactingWriter<W: Write> {
    redactor: Redactor,
    buf: Vec<u8>,
    inner: W,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let text = String::from_utf8_lossy(&self.buf);
            let clean = self.redactor.redact(&text);
            self.buf.clear();
            self.inner.write_all(clean.as_bytes())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<'a, M> MakeWriter<'a> for RedactingMakeWriter<M>
where
    M: MakeWriter<'a>,
{
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            redactor: self.redactor.clone(),
            buf: Vec::with_capacity(256),
            inner: self.inner.make_writer(),
        }
    }
}

/// Log timestamps on the Taipei wall clock with the offset spelled out, so
/// a log line can be matched to a receipt and a gateway's records.
pub struct TaipeiTimer;

impl FormatTime for TaipeiTimer {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        write!(w, "{}", taipei::now().format("%Y-%m-%dT%H:%M:%S%.3f%:z"))
    }
}

/// Install the global subscriber: human-readable lines to stderr, filtered
/// by `TILL_LOG` (e.g. `TILL_LOG=debug`), default `info`.
pub fn init(redactor: Redactor) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingMakeWriter::new(redactor, io::stderr))
        .with_ansi(io::stderr().is_terminal())
        .with_timer(TaipeiTimer)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_and_codes_are_replaced() {
        let r = Redactor::new();
        r.add_secret(&Secret::new("pwFHCqoQZGmho4w6"));
        r.add_payment_code("22J111111111111111");
        let line = r.redact("key=pwFHCqoQZGmho4w6 token=22J111111111111111 ok");
        assert_eq!(line, "key=[redacted] token=22J1************11 ok");
    }

    #[test]
    fn code_shaped_runs_are_masked_unregistered() {
        let r = Redactor::new();
        assert_eq!(
            r.redact("wechat 134567890123456789 paid"),
            "wechat 1345************89 paid"
        );
        assert_eq!(
            r.redact("CardToken:22ABCDEFGHIJKLMNOP,"),
            "CardToken:22AB************OP,"
        );
        // An EAN-13, a trade number and an amount stay readable.
        let plain = "ean 4710088412345 trade T0126112200042P01 NT$1,200";
        assert_eq!(r.redact(plain), plain);
    }

    #[test]
    fn tiny_secrets_are_ignored_rather_than_blanking_words() {
        let r = Redactor::new();
        r.add_secret(&Secret::new("a"));
        assert_eq!(r.redact("a cat"), "a cat");
    }

    #[test]
    fn writer_redacts_even_when_written_in_pieces() {
        let r = Redactor::new();
        r.add_secret(&Secret::new("2MrhtRYeF9wKZ4bKwzZoL8aZf26pWzIG"));
        let mut sink = Vec::new();
        {
            let mut w = RedactingWriter {
                redactor: r,
                buf: Vec::new(),
                inner: &mut sink,
            };
            w.write_all(b"key 2MrhtRYeF9wK").unwrap();
            w.write_all(b"Z4bKwzZoL8aZf26pWzIG end\n").unwrap();
        }
        assert_eq!(String::from_utf8(sink).unwrap(), "key [redacted] end\n");
    }
}
