//! What the manager's Settings screen does, below the UI: save the config
//! file (validated, atomic, owner-only), check that a gateway's address
//! answers, manage staff and PINs, load e-invoice number rolls.
//!
//! Nothing here logs or returns a secret value: secrets are masked by
//! [`masked`] for display and written only into the owner-only file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{Config, Problem, Severity};
use crate::device::printer::{Printer, PrinterError, PrinterStatus};
use crate::einvoice::Period;
use crate::journal::{Role, User};
use crate::locale::{Localized, Text};
use crate::sale::GatewayId;
use crate::secret::Secret;

use super::{RollUsage, Terminal};

/// How long the connection test waits for a gateway to answer.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// A secret as the screen may show it: whether it is set, and at most its
/// last two characters when it is long enough that two say nothing.
pub fn masked(secret: &Secret) -> String {
    let value = secret.expose();
    let n = value.chars().count();
    if n == 0 {
        "未設定 not set".to_string()
    } else if n >= 16 {
        let tail: String = value.chars().skip(n - 2).collect();
        format!("已設定 set ••••{tail}")
    } else {
        "已設定 set ••••".to_string()
    }
}

/// A secret typed into a "replace" field, or the one already configured
/// when nothing was typed (so saving never loses an unreplaced key).
pub fn replaced(current: &Secret, typed: &str) -> Secret {
    let typed = typed.trim();
    if typed.is_empty() {
        current.clone()
    } else {
        Secret::new(typed)
    }
}

/// Why the configuration was not saved (worded from `words.settings`).
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// `Config::problems()` found errors; nothing was written.
    Invalid(Vec<Problem>),
    Write {
        path: PathBuf,
        message: String,
    },
}

impl Localized for SaveError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Invalid(problems) => fill(
                lang,
                "words.settings.invalid",
                &[("count", &problems.len())],
            ),
            Self::Write { path, message } => fill(
                lang,
                "words.settings.write",
                &[("path", &path.display()), ("message", message)],
            ),
        }
    }
}

crate::display_both!(SaveError);

/// Validate `config` and, when it has no errors, replace the file at `path`
/// atomically: a temporary file in the same folder, created owner-only
/// (0600) from the start, flushed to disk, then renamed over the old one.
/// A crash leaves either the old file or the new one, never half of one.
/// Returns the warnings, which do not stop saving.
pub fn save_config(path: &Path, config: &Config) -> Result<Vec<Problem>, SaveError> {
    let problems = config.problems();
    let (errors, warnings): (Vec<Problem>, Vec<Problem>) = problems
        .into_iter()
        .partition(|p| p.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    let write_err = |e: &dyn std::fmt::Display| SaveError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let body = toml::to_string_pretty(config).map_err(|e| write_err(&e))?;
    let text = format!(
        "# Written by till's Settings screen on {}.\n\
         # Every option is explained in assets/config.example.toml (till config init).\n\n{body}",
        crate::taipei::now().format("%Y-%m-%d %H:%M %:z")
    );
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| write_err(&e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.toml".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    // A temporary file left by a crash is ours to replace.
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| -> std::io::Result<()> {
        let mut file = options.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(&e));
    }
    tracing::info!(path = %path.display(), "configuration saved from the settings screen");
    Ok(warnings)
}

/// Changes that only take effect after a restart: the terminal id is part
/// of every trade number and the journal is opened once at start.
pub fn needs_restart(before: &Config, after: &Config) -> bool {
    before.terminal.id != after.terminal.id || before.journal != after.journal
}

/// What a connection test found. Never carries a credential: the request
/// is a bare GET of the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Something answered over HTTP, with this status.
    Answered(u16),
    /// No answer within the time limit.
    Timeout,
    /// The host name does not resolve.
    Dns,
    /// The host answered that nothing listens on that port.
    Refused,
    /// Not an address at all.
    BadUrl,
    /// Nothing configured to test.
    NotConfigured,
    /// Another failure (TLS, network unreachable…), in the library's words.
    Failed(String),
}

impl Reach {
    pub fn is_reachable(&self) -> bool {
        matches!(self, Reach::Answered(_))
    }

    /// In words for the manager, zh-TW then English.
    pub fn describe(&self) -> String {
        self.both()
    }
}

impl Localized for Reach {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Reach::Answered(code) => fill(lang, "words.reach.answered", &[("code", code)]),
            Reach::Timeout => tr(lang, "words.reach.timeout"),
            Reach::Dns => tr(lang, "words.reach.dns"),
            Reach::Refused => tr(lang, "words.reach.refused"),
            Reach::BadUrl => tr(lang, "words.reach.bad_url"),
            Reach::NotConfigured => tr(lang, "words.reach.not_configured"),
            // The library's own words, after ours.
            Reach::Failed(why) => format!("{}: {why}", tr(lang, "words.reach.failed")),
        }
    }

    /// Both languages, zh-TW first; a failure's own words come once, last.
    fn both(&self) -> String {
        use crate::locale::{Lang, tr};
        match self {
            Reach::Failed(why) => format!(
                "{} / {}: {why}",
                tr(Lang::ZhTw, "words.reach.failed"),
                tr(Lang::En, "words.reach.failed")
            ),
            _ => format!("{} / {}", self.message(Lang::ZhTw), self.message(Lang::En)),
        }
    }
}

/// Both languages of `key`, zh-TW first, as the Settings screen shows them.
fn both(key: &'static str) -> String {
    Text::new(key).to_string()
}

/// GET `url` with no credentials, no proxy and no redirects; any HTTP
/// answer means the address is reachable.
pub async fn probe(url: &str, timeout: Duration) -> Reach {
    let url = url.trim();
    if url.is_empty() {
        return Reach::NotConfigured;
    }
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Reach::BadUrl;
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Reach::BadUrl;
    }
    let client = match reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => return Reach::Failed(root_cause(&e)),
    };
    match client.get(parsed).send().await {
        Ok(response) => Reach::Answered(response.status().as_u16()),
        Err(e) if e.is_timeout() => Reach::Timeout,
        Err(e) => classify_error(&e),
    }
}

fn classify_error(e: &reqwest::Error) -> Reach {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Reach::Refused,
                std::io::ErrorKind::TimedOut => return Reach::Timeout,
                _ => {}
            }
        }
        let text = s.to_string().to_ascii_lowercase();
        if text.contains("dns error")
            || text.contains("failed to lookup address")
            || text.contains("name or service not known")
            || text.contains("no such host")
        {
            return Reach::Dns;
        }
        source = s.source();
    }
    Reach::Failed(root_cause(e))
}

/// The innermost cause: says what went wrong without repeating the URL.
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// Work done on a thread of its own (a printer that is off blocks for
/// seconds; a gateway check may start the demo's simulators on a runtime
/// of its own), its result awaited as a future: the screen's task. `None`
/// when the worker died.
fn on_a_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> impl std::future::Future<Output = Option<T>> + Send + 'static {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    async move { rx.await.ok() }
}

/// Test whether a gateway's base URL answers, on a thread of its own. In
/// demo mode there is no configured address: the built-in simulators are
/// started on 127.0.0.1 and the test targets the one for `gateway`.
pub fn check_gateway(
    gateway: GatewayId,
    base_url: String,
    demo: bool,
) -> impl std::future::Future<Output = Reach> + Send + 'static {
    let check = on_a_thread(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => return Reach::Failed(e.to_string()),
        };
        runtime.block_on(async move {
            if !demo {
                return probe(&base_url, CHECK_TIMEOUT).await;
            }
            let sims = match crate::sim::Simulators::start_all().await {
                Ok(s) => s,
                Err(e) => return Reach::Failed(e.to_string()),
            };
            let g = sims.demo_config().gateways;
            let url = match gateway {
                GatewayId::JkoPay => g.jkopay.map(|s| s.base_url),
                GatewayId::MyPay => g.mypay.map(|s| s.base_url),
                GatewayId::Ecpay => g.ecpay.map(|s| s.base_url),
                GatewayId::Goodbuy => g.goodbuy.map(|s| s.base_url),
            }
            .unwrap_or_default();
            probe(&url, CHECK_TIMEOUT).await
        })
    });
    async move {
        check
            .await
            .unwrap_or_else(|| Reach::Failed(both("words.reach.check_stopped")))
    }
}

/// Ask the printer of `settings` for its status (DLE EOT), on a thread of
/// its own: a printer that is off can take seconds to time out.
pub fn check_printer(
    settings: crate::config::Printer,
) -> impl std::future::Future<Output = String> + Send + 'static {
    let check = on_a_thread(move || match Printer::from_config(&settings) {
        Ok(mut printer) => status_words(printer.status()),
        Err(e) => e.to_string(),
    });
    async move {
        check
            .await
            .unwrap_or_else(|| both("words.reach.check_stopped"))
    }
}

/// A printer status in words, zh-TW then English.
pub fn status_words(status: Result<Option<PrinterStatus>, PrinterError>) -> String {
    let s = match status {
        Err(e) => return e.to_string(),
        Ok(None) => {
            return both("words.printer_check.no_status");
        }
        Ok(Some(s)) => s,
    };
    let mut words = Vec::new();
    if s.paper_end {
        words.push("缺紙 paper end");
    } else if s.paper_near_end {
        words.push("紙將用完 paper near end");
    }
    if s.cover_open {
        words.push("上蓋開啟 cover open");
    }
    if !s.online {
        words.push("離線 offline");
    }
    if s.error {
        words.push("故障 error (jam or cutter)");
    }
    if words.is_empty() {
        both("words.printer_check.ready")
    } else {
        words.join(" · ")
    }
}

/// Why a staff change or a roll was refused, in words for the manager
/// (`words.settings`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    NotManager,
    NoName,
    PinRule,
    PinMismatch,
    NoUser,
    Period,
    Track,
    Number,
    Range,
    /// The journal's refusal, worded from the locale files when it came.
    Refused(Text),
}

impl Localized for SettingsError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::tr;
        let key = match self {
            Self::NotManager => "words.settings.not_manager",
            Self::NoName => "words.settings.no_name",
            Self::PinRule => "words.settings.pin_rule",
            Self::PinMismatch => "words.settings.pin_mismatch",
            Self::NoUser => "words.settings.no_user",
            Self::Period => "words.settings.period",
            Self::Track => "words.settings.track",
            Self::Number => "words.settings.number",
            Self::Range => "words.settings.range",
            Self::Refused(text) => return text.message(lang),
        };
        tr(lang, key)
    }
}

crate::display_both!(SettingsError);

fn check_pin(pin: &Secret, again: &Secret) -> Result<(), SettingsError> {
    let p = pin.expose();
    if !(4..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SettingsError::PinRule);
    }
    if pin != again {
        return Err(SettingsError::PinMismatch);
    }
    Ok(())
}

fn eight_digits(s: &str) -> Result<u32, SettingsError> {
    let s = s.trim();
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SettingsError::Number);
    }
    s.parse().map_err(|_| SettingsError::Number)
}

/// The rolls of the current period and whether they run low.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollsView {
    pub period: String,
    pub rolls: Vec<RollUsage>,
    pub numbers_left: u64,
    /// Fewer numbers left than `[einvoice] low_water`.
    pub low: bool,
}

impl Terminal {
    /// The signed-in manager's name, for the audit log.
    fn manager_name(&self) -> Result<String, SettingsError> {
        match &self.user {
            Some(u) if u.role == Role::Manager => Ok(u.name.clone()),
            _ => Err(SettingsError::NotManager),
        }
    }

    /// Staff who may sign in (never their PINs).
    pub fn staff_list(&self) -> Result<Vec<User>, SettingsError> {
        self.journal
            .active_users()
            .map_err(|e| SettingsError::Refused(Text::worded(&e)))
    }

    /// Add a cashier or manager; the PIN is typed twice. Signed-in manager only.
    pub fn add_staff(
        &mut self,
        name: &str,
        role: Role,
        pin: &Secret,
        again: &Secret,
    ) -> Result<(), SettingsError> {
        let by = self.manager_name()?;
        let name = name.trim();
        if name.is_empty() {
            return Err(SettingsError::NoName);
        }
        check_pin(pin, again)?;
        self.journal
            .add_user(name, role, pin, &by)
            .map_err(|e| SettingsError::Refused(Text::worded(&e)))?;
        tracing::info!(user = name, by = %by, "staff added");
        Ok(())
    }

    /// Change someone's PIN; the new PIN is typed twice. Signed-in manager only.
    pub fn change_pin(
        &mut self,
        name: &str,
        pin: &Secret,
        again: &Secret,
    ) -> Result<(), SettingsError> {
        let by = self.manager_name()?;
        if name.trim().is_empty() {
            return Err(SettingsError::NoUser);
        }
        check_pin(pin, again)?;
        self.journal
            .set_pin(name, pin, &by)
            .map_err(|e| SettingsError::Refused(Text::worded(&e)))?;
        tracing::info!(user = name, by = %by, "PIN changed");
        Ok(())
    }

    /// This terminal's rolls of the current period, with the low-water warning.
    pub fn rolls_view(&self, cfg: &Config) -> Result<RollsView, SettingsError> {
        let period = self
            .current_period()
            .map_err(|e| SettingsError::Refused(Text::worded(&e)))?;
        let rolls: Vec<RollUsage> = self
            .invoice_rolls(period)
            .map_err(|e| SettingsError::Refused(Text::worded(&e)))?
            .iter()
            .map(|r| RollUsage {
                period: r.period.to_string(),
                track: r.track.clone(),
                first: r.start,
                last: r.end,
                used: u64::from(r.next - r.start),
                left: r.left(),
            })
            .collect();
        let numbers_left = rolls.iter().map(|r| r.left).sum();
        Ok(RollsView {
            period: period.to_string(),
            rolls,
            numbers_left,
            low: numbers_left < u64::from(cfg.einvoice.low_water),
        })
    }

    /// Load a roll typed on the screen: period `YYYMM`, track, first and
    /// last 8-digit numbers. Signed-in manager only.
    pub fn add_roll_typed(
        &mut self,
        period: &str,
        track: &str,
        first: &str,
        last: &str,
    ) -> Result<(), SettingsError> {
        self.manager_name()?;
        let period: Period = period.trim().parse().map_err(|_| SettingsError::Period)?;
        let track = track.trim().to_ascii_uppercase();
        if track.len() != 2 || !track.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SettingsError::Track);
        }
        let (first, last) = (eight_digits(first)?, eight_digits(last)?);
        if first > last {
            return Err(SettingsError::Range);
        }
        self.add_invoice_roll(period, &track, first, last)
            .map_err(|e| SettingsError::Refused(Text::worded(&e)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manager reads a refusal in the screen's language, from the locale
    /// files; logs get both, zh-TW first, as the till always said them.
    #[test]
    fn settings_errors_are_worded_in_each_language_from_the_locale_files() {
        use crate::locale::Lang;
        let e = SettingsError::PinRule;
        assert_eq!(e.message(Lang::ZhTw), "密碼須為 4 到 8 位數字");
        assert_eq!(e.message(Lang::En), "the PIN must be 4 to 8 digits");
        assert_eq!(
            e.to_string(),
            "密碼須為 4 到 8 位數字 / the PIN must be 4 to 8 digits"
        );
        let e = SaveError::Write {
            path: PathBuf::from("/etc/till.toml"),
            message: "denied".into(),
        };
        assert_eq!(
            e.to_string(),
            "無法寫入設定檔 /etc/till.toml:denied / cannot write /etc/till.toml: denied"
        );
        // The journal's refusal keeps both of its languages apart.
        let journal = crate::journal::JournalError::NoSuchSale("T1".into());
        let e = SettingsError::Refused(Text::worded(&journal));
        assert_eq!(e.message(Lang::En), journal.message(Lang::En));
        assert_eq!(e.to_string(), journal.to_string());
        let all = [
            SettingsError::NotManager,
            SettingsError::NoName,
            SettingsError::PinRule,
            SettingsError::PinMismatch,
            SettingsError::NoUser,
            SettingsError::Period,
            SettingsError::Track,
            SettingsError::Number,
            SettingsError::Range,
        ];
        for e in all {
            for lang in [Lang::ZhTw, Lang::En] {
                assert!(!e.message(lang).starts_with("words."), "{e:?} {lang:?}");
            }
        }
        let invalid = SaveError::Invalid(Vec::new());
        assert!(!invalid.message(Lang::En).contains("words."));
    }

    /// The connection test reads as it always did, from the locale files,
    /// and in one language where the screen asks for one.
    #[test]
    fn a_connection_check_is_worded_from_the_locale_files() {
        use crate::locale::Lang;
        assert_eq!(
            Reach::Answered(404).describe(),
            "可連線,伺服器回應 HTTP 404 / reachable: the server answered HTTP 404"
        );
        assert_eq!(
            Reach::Failed("tls".into()).describe(),
            "無法連線 / cannot connect: tls"
        );
        assert_eq!(
            Reach::Failed("tls".into()).message(Lang::ZhTw),
            "無法連線: tls"
        );
        assert_eq!(
            Reach::Dns.message(Lang::En),
            "DNS error: the host name does not resolve"
        );
        assert_eq!(
            status_words(Ok(None)),
            "此型號或連線不回報狀態 / this model or connection reports no status"
        );
    }

    #[test]
    fn masking_shows_at_most_two_characters() {
        assert_eq!(masked(&Secret::default()), "未設定 not set");
        assert_eq!(masked(&Secret::new("short")), "已設定 set ••••");
        let m = masked(&Secret::new("2AA6B9B6F9C64247ABB2677B6AF2C896"));
        assert_eq!(m, "已設定 set ••••96");
    }

    #[test]
    fn an_empty_replacement_keeps_the_secret() {
        let old = Secret::new("old-key-0123456789");
        assert_eq!(replaced(&old, "  "), old);
        assert_eq!(replaced(&old, "new").expose(), "new");
    }

    #[test]
    fn printer_status_in_words() {
        assert!(status_words(Ok(Some(PrinterStatus::healthy()))).contains("OK"));
        let s = PrinterStatus {
            online: false,
            cover_open: true,
            paper_end: true,
            ..PrinterStatus::default()
        };
        let w = status_words(Ok(Some(s)));
        assert!(w.contains("paper end") && w.contains("cover open") && w.contains("offline"));
    }

    #[test]
    fn invalid_configs_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut cfg = Config::demo();
        cfg.store.ban = "12345678".into();
        assert!(matches!(
            save_config(&path, &cfg),
            Err(SaveError::Invalid(p)) if p.iter().any(|p| p.key == "store.ban")
        ));
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn a_bad_address_is_named_without_a_request() {
        assert_eq!(probe("not a url", CHECK_TIMEOUT).await, Reach::BadUrl);
        assert_eq!(probe("", CHECK_TIMEOUT).await, Reach::NotConfigured);
    }
}
