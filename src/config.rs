//! Configuration: one TOML file, found at the platform config directory or
//! given with `--config FILE`. With no file at all `till` runs in demo mode.
//!
//! Secrets (merchant keys, HashKey/HashIV, agent keys, the e-invoice QR key)
//! live in the same file as [`Secret`] values, so the file is created
//! owner-only and refused when group or others can read it.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::device::printer::PrinterSettings as Printer;
pub use crate::device::scanner::ScannerSettings as Scanner;
pub use crate::gateway::ecpay::EcpaySettings as Ecpay;
pub use crate::gateway::goodbuy::GoodbuySettings as Goodbuy;
pub use crate::gateway::jkopay::JkoPaySettings as JkoPay;
pub use crate::gateway::mypay::{MyPayMode, MyPaySettings as MyPay};
pub use crate::paths::default_data_dir;

use crate::einvoice::buyer::Ban;
use crate::locale::Text;
use crate::sale::TerminalId;
use crate::secret::Secret;

/// Where a configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Read from this file.
    File(PathBuf),
    /// No file anywhere: built-in simulators, virtual printer, test invoice roll.
    Demo,
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub terminal: Terminal,
    pub store: Store,
    #[serde(default)]
    pub gateways: Gateways,
    #[serde(default)]
    pub printer: Printer,
    #[serde(default)]
    pub scanner: Scanner,
    #[serde(default)]
    pub einvoice: Einvoice,
    #[serde(default)]
    pub journal: JournalConfig,
    #[serde(default)]
    pub display: Display,
}

/// The screens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Display {
    /// Open a second, customer-facing window (for a pole or second
    /// monitor): the total, the change, and the PayPage QR code to scan.
    #[serde(default)]
    pub customer_window: bool,
    /// The cashier's window fills the screen (a till has nothing else to
    /// show); `false` opens a 1024×700 window, e.g. on a developer's desk.
    #[serde(default = "yes")]
    pub fullscreen: bool,
}

impl Default for Display {
    fn default() -> Self {
        Display {
            customer_window: false,
            fullscreen: true,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Terminal {
    /// 2–4 upper-case letters or digits, starting with a letter; unique per
    /// store. Part of every trade number.
    pub id: String,
    /// What the staff call this till, e.g. `櫃台一`.
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Store {
    pub name: String,
    /// The seller's 8-digit business number (統一編號), printed on every proof.
    pub ban: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Gateways {
    pub jkopay: Option<JkoPay>,
    pub mypay: Option<MyPay>,
    pub ecpay: Option<Ecpay>,
    pub goodbuy: Option<Goodbuy>,
}

/// Who issues the e-invoice for a sale.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceIssuer {
    /// From this terminal's number rolls.
    #[default]
    Terminal,
    /// MyPay issues it with the payment.
    Mypay,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Einvoice {
    #[serde(default)]
    pub issuer: InvoiceIssuer,
    /// The 32-hex-character QR code AES key from the e-invoice platform.
    #[serde(default)]
    pub qr_key: Secret,
    /// Folder the MOF Turnkey uploader watches.
    #[serde(default)]
    pub turnkey_dir: String,
    /// Warn the manager when fewer numbers than this remain in the rolls.
    #[serde(default = "default_low_water")]
    pub low_water: u32,
    /// Whether a full refund after the invoice's period may still void it
    /// until the filing deadline (the 15th of the next odd month):
    /// `"never"` (MyPay's rule, the default) or `"until_filing_deadline"`
    /// (NOTES §5). Ask the store's accountant.
    #[serde(default)]
    pub void_across_period: crate::einvoice::CrossPeriodVoid,
}

impl Default for Einvoice {
    fn default() -> Einvoice {
        Einvoice {
            issuer: InvoiceIssuer::Terminal,
            qr_key: Secret::default(),
            turnkey_dir: String::new(),
            low_water: default_low_water(),
            void_across_period: crate::einvoice::CrossPeriodVoid::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// The SQLite journal; defaults to `journal.sqlite3` in the data directory.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The key of the journal's seals (created owner-only on first use);
    /// defaults to `<journal>.seal-key` beside the journal.
    #[serde(default)]
    pub seal_key: Option<PathBuf>,
}

/// How long the till waits for `gateway` when its settings do not say (the
/// demo's simulators, a gateway not configured).
pub fn default_timeout_secs(gateway: crate::sale::GatewayId) -> u64 {
    use crate::sale::GatewayId;
    match gateway {
        GatewayId::JkoPay => crate::gateway::jkopay::settings::default_timeout_secs(),
        GatewayId::MyPay => crate::gateway::mypay::settings::default_timeout_secs(),
        GatewayId::Ecpay => crate::gateway::ecpay::settings::default_timeout_secs(),
        GatewayId::Goodbuy => crate::gateway::goodbuy::settings::default_timeout_secs(),
    }
}
fn default_low_water() -> u32 {
    50
}

/// The e-invoice QR key demo mode signs its test invoices with.
pub const DEMO_QR_KEY: &str = "05D4A324ABAF4A570E64E572221E438B";

/// A commented example, written by `till config init` and shown in the README.
pub const EXAMPLE: &str = include_str!("../assets/config.example.toml");

/// Why a configuration could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Parse {
        path: PathBuf,
        message: String,
    },
    Exposed {
        path: PathBuf,
        mode: u32,
    },
    Exists {
        path: PathBuf,
    },
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}
impl crate::locale::Localized for LoadError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Read { path, source } => fill(
                lang,
                "words.config.read",
                &[("path", &path.display()), ("source", source)],
            ),
            Self::Parse { path, message } => fill(
                lang,
                "words.config.parse",
                &[("path", &path.display()), ("message", message)],
            ),
            Self::Exposed { path, mode } => fill(
                lang,
                "words.config.exposed",
                &[("path", &path.display()), ("mode", &format!("{mode:o}"))],
            ),
            Self::Exists { path } => {
                fill(lang, "words.config.exists", &[("path", &path.display())])
            }
            Self::Write { path, source } => fill(
                lang,
                "words.config.write",
                &[("path", &path.display()), ("source", source)],
            ),
        }
    }
}

crate::display_both!(LoadError);

/// The default config file: `$XDG_CONFIG_HOME/till/config.toml` on Linux,
/// `%APPDATA%\till\config\config.toml` on Windows.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("tw", "", "till").map(|d| d.config_dir().join("config.toml"))
}

/// Find and load the configuration: `explicit` (from `--config`) must exist;
/// otherwise the default path is used when present, and demo mode when not.
pub fn locate(explicit: Option<&Path>) -> Result<(Config, Source), LoadError> {
    match explicit {
        Some(path) => Ok((load(path)?, Source::File(path.to_path_buf()))),
        None => match default_path() {
            Some(path) if path.exists() => Ok((load(&path)?, Source::File(path))),
            _ => Ok((Config::demo(), Source::Demo)),
        },
    }
}

/// Read and parse a config file, refusing one that exposes secrets.
pub fn load(path: &Path) -> Result<Config, LoadError> {
    let text = fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let config = parse(&text).map_err(|message| LoadError::Parse {
        path: path.to_path_buf(),
        message,
    })?;
    if config.has_secrets()
        && let Some(mode) = exposed_mode(path)
    {
        return Err(LoadError::Exposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(config)
}

/// Parse a config file's text (no I/O: the fuzz target's way in). The
/// error names the line and column and what is wrong, without quoting the
/// line as toml's own message does: that line may hold a key.
pub fn parse(text: &str) -> Result<Config, String> {
    toml::from_str(text).map_err(|e| {
        let Some(span) = e.span() else {
            return e.message().to_string();
        };
        let before = text.get(..span.start).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {column}: {}", e.message())
    })
}

/// The file's permission bits when group or others may read or write it.
#[cfg(unix)]
fn exposed_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// On Windows the file lives in the user's own profile, whose ACL already
/// keeps other users out.
#[cfg(not(unix))]
fn exposed_mode(_path: &Path) -> Option<u32> {
    None
}

/// Write `contents` to a new file readable and writable by its owner only.
/// The mode is set at creation, so there is no moment when others can read it.
pub fn create_private(path: &Path, contents: &str) -> Result<(), LoadError> {
    let write_err = |source| LoadError::Write {
        path: path.to_path_buf(),
        source,
    };
    if path.exists() {
        return Err(LoadError::Exists {
            path: path.to_path_buf(),
        });
    }
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        fs::create_dir_all(dir).map_err(write_err)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(write_err)?;
    file.write_all(contents.as_bytes()).map_err(write_err)?;
    file.sync_all().map_err(write_err)
}

impl crate::device::printer::cli::StoreName for Config {
    fn store_name(&self) -> &str {
        &self.store.name
    }
}

/// How bad a finding of `till config check` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Works, but probably not what was meant.
    Warning,
    /// `till` cannot work this way.
    Error,
}

/// One finding of `till config check`: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// `section.key`, e.g. `gateways.mypay.key`.
    pub key: String,
    pub message: String,
}

/// A [`Problem`] that keeps what is wrong as data, worded when shown in
/// the reader's language ([`Config::findings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// `section.key`, e.g. `gateways.mypay.key`.
    pub key: String,
    pub text: Text,
}

impl crate::locale::Localized for Finding {
    /// `[錯誤] store.name: …` / `[error] store.name: …`.
    fn message(&self, lang: crate::locale::Lang) -> String {
        let tag = match self.severity {
            Severity::Error => "words.config_check.tag_error",
            Severity::Warning => "words.config_check.tag_warning",
        };
        format!(
            "[{}] {}: {}",
            crate::locale::tr(lang, tag),
            self.key,
            self.text.message(lang)
        )
    }
}

impl From<Finding> for Problem {
    fn from(f: Finding) -> Problem {
        Problem {
            severity: f.severity,
            key: f.key,
            message: f.text.to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "錯誤 error",
            Severity::Warning => "注意 warning",
        };
        write!(f, "[{tag}] {}: {}", self.key, self.message)
    }
}

impl Config {
    /// The configuration of demo mode: gateway base URLs are filled in when
    /// the built-in simulators start, on loopback ports chosen then.
    pub fn demo() -> Config {
        Config {
            terminal: Terminal {
                id: "D01".into(),
                name: "示範收銀機 Demo till".into(),
            },
            store: Store {
                name: "示範商店 Demo Store".into(),
                ban: "04595252".into(),
                address: "臺北市信義區市府路1號".into(),
                phone: String::new(),
            },
            gateways: Gateways::default(),
            printer: Printer::default(),
            scanner: Scanner::default(),
            einvoice: Einvoice {
                // The public test key from the e-invoice platform's examples
                // (../shared/specs/NOTES.md §5): demo proofs say 測試 anyway.
                qr_key: Secret::new(DEMO_QR_KEY),
                ..Einvoice::default()
            },
            journal: JournalConfig::default(),
            display: Display::default(),
        }
    }

    pub fn terminal_id(&self) -> Result<TerminalId, crate::sale::TradeNoError> {
        self.terminal.id.parse()
    }

    /// Whether any secret has a value (and so the file must be owner-only).
    pub fn has_secrets(&self) -> bool {
        self.secrets().iter().any(|s| !s.is_empty())
    }

    /// Every secret in the configuration, for the log redactor.
    pub fn secrets(&self) -> Vec<&Secret> {
        let g = &self.gateways;
        let mut out = Vec::new();
        if let Some(j) = &g.jkopay {
            out.push(&j.merchant_key);
        }
        if let Some(m) = &g.mypay {
            out.push(&m.key);
        }
        if let Some(e) = &g.ecpay {
            out.push(&e.hash_key);
            out.push(&e.hash_iv);
        }
        if let Some(b) = &g.goodbuy {
            out.push(&b.agent_key);
        }
        out.push(&self.einvoice.qr_key);
        out
    }

    /// Everything `till config check` finds wrong, errors first, each
    /// worded in both languages.
    pub fn problems(&self) -> Vec<Problem> {
        self.findings().into_iter().map(Problem::from).collect()
    }

    /// Everything `till config check` finds wrong, errors first.
    pub fn findings(&self) -> Vec<Finding> {
        let mut p = Findings::default();
        if let Err(e) = self.terminal_id() {
            p.error("terminal.id", Text::worded(&e));
        }
        if self.store.name.trim().is_empty() {
            p.error("store.name", Text::new("words.config_check.name"));
        }
        if let Err(e) = self.store.ban.parse::<Ban>() {
            p.error("store.ban", Text::worded(&e));
        }
        let g = &self.gateways;
        if g.jkopay.is_none() && g.mypay.is_none() && g.ecpay.is_none() && g.goodbuy.is_none() {
            p.warning("gateways", Text::new("words.config_check.no_gateway"));
        }
        if let Some(j) = &g.jkopay {
            p.url("gateways.jkopay.base_url", &j.base_url);
            p.required("gateways.jkopay.merchant_id", &j.merchant_id);
            p.required("gateways.jkopay.store_id", &j.store_id);
            p.required("gateways.jkopay.store_name", &j.store_name);
            p.required("gateways.jkopay.pos_id", &j.pos_id);
            p.secret_len("gateways.jkopay.merchant_key", &j.merchant_key, None);
            if j.timeout_secs != 15 {
                p.warning(
                    "gateways.jkopay.timeout_secs",
                    Text::new("words.config_check.timeout_secs"),
                );
            }
            let map = &j.inquiry_order_status;
            if let Some(v) = map.conflict() {
                p.error(
                    "gateways.jkopay.inquiry_order_status",
                    Text::new("words.config_check.order_status_conflict").arg("value", v),
                );
            }
            if map
                .paid
                .iter()
                .chain(&map.not_paid)
                .any(|v| v.trim().is_empty())
            {
                p.error(
                    "gateways.jkopay.inquiry_order_status",
                    Text::new("words.config_check.inquiry_order_status"),
                );
            }
            if map.is_used() && map.paid.is_empty() {
                p.warning(
                    "gateways.jkopay.inquiry_order_status",
                    Text::new("words.config_check.inquiry_order_status_2"),
                );
            }
        }
        if let Some(m) = &g.mypay {
            p.url("gateways.mypay.base_url", &m.base_url);
            p.required("gateways.mypay.store_uid", &m.store_uid);
            if m.mode == MyPayMode::Agent {
                p.required("gateways.mypay.agent_uid", &m.agent_uid);
            }
            p.secret_len("gateways.mypay.key", &m.key, Some(32));
        }
        if let Some(e) = &g.ecpay {
            p.url("gateways.ecpay.base_url", &e.base_url);
            p.required("gateways.ecpay.merchant_id", &e.merchant_id);
            p.secret_len("gateways.ecpay.hash_key", &e.hash_key, Some(16));
            p.secret_len("gateways.ecpay.hash_iv", &e.hash_iv, Some(16));
            if !e.return_url.is_empty() {
                p.url("gateways.ecpay.return_url", &e.return_url);
            }
            if e.timeout_secs < 30 {
                p.warning(
                    "gateways.ecpay.timeout_secs",
                    Text::new("words.config_check.timeout_secs_2"),
                );
            }
        }
        if let Some(b) = &g.goodbuy {
            p.url("gateways.goodbuy.base_url", &b.base_url);
            p.required("gateways.goodbuy.agent_id", &b.agent_id);
            p.secret_len("gateways.goodbuy.agent_key", &b.agent_key, None);
            let path = b.create_path.trim_matches('/');
            if path.is_empty()
                || !path
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/_-.".contains(&c))
            {
                p.error(
                    "gateways.goodbuy.create_path",
                    Text::new("words.config_check.create_path"),
                );
            }
            if b.return_url.is_empty() {
                p.warning(
                    "gateways.goodbuy.return_url",
                    Text::new("words.config_check.return_url"),
                );
            } else {
                p.url("gateways.goodbuy.return_url", &b.return_url);
            }
        }
        if let Err(e) = crate::device::printer::Transport::parse(&self.printer.transport) {
            p.error("printer.transport", Text::worded(&e));
        }
        if let Err(e) = crate::print::profile::Profile::find(&self.printer.profile) {
            p.error("printer.profile", Text::worded(&e));
        }
        if !["wedge", "serial", "hid"].contains(&self.scanner.kind.as_str()) {
            p.error(
                "scanner.kind",
                Text::new("words.config_check.scanner_kind").arg("kind", &self.scanner.kind),
            );
        }
        if self.scanner.kind != "wedge" && self.scanner.device.is_empty() {
            p.error("scanner.device", Text::new("words.config_check.device"));
        }
        if self.scanner.kind == "serial"
            && !self.scanner.device.is_empty()
            && let Err(e) = crate::device::scanner::serial::SerialConfig::from_config(&self.scanner)
        {
            p.error("scanner", Text::worded(&e));
        }
        if !["pos", "keyboard"].contains(&self.scanner.hid_mode.as_str()) {
            p.error("scanner.hid_mode", Text::new("words.config_check.hid_mode"));
        }
        if self.scanner.wedge_min_len < 2 || self.scanner.wedge_max_gap_ms == 0 {
            p.error(
                "scanner.wedge_min_len",
                Text::new("words.config_check.wedge_min_len"),
            );
        }
        if !["cr", "lf", "crlf", "idle"].contains(&self.scanner.terminator.as_str()) {
            p.error(
                "scanner.terminator",
                Text::new("words.config_check.terminator"),
            );
        }
        if self.einvoice.issuer == InvoiceIssuer::Mypay && g.mypay.is_none() {
            p.error("einvoice.issuer", Text::new("words.config_check.issuer"));
        }
        if self.einvoice.issuer == InvoiceIssuer::Terminal {
            let key = self.einvoice.qr_key.expose();
            if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                p.error("einvoice.qr_key", Text::new("words.config_check.qr_key"));
            }
            if self.einvoice.turnkey_dir.is_empty() {
                p.warning(
                    "einvoice.turnkey_dir",
                    Text::new("words.config_check.turnkey_dir"),
                );
            }
        }
        p.sorted()
    }
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, severity: Severity, key: &str, text: Text) {
        self.0.push(Finding {
            severity,
            key: key.into(),
            text,
        });
    }

    fn error(&mut self, key: &str, text: Text) {
        self.push(Severity::Error, key, text);
    }

    fn warning(&mut self, key: &str, text: Text) {
        self.push(Severity::Warning, key, text);
    }

    fn required(&mut self, key: &str, value: &str) {
        if value.trim().is_empty() {
            self.error(key, Text::new("words.config_check.required"));
        }
    }

    /// Checks a secret's presence and length without ever quoting it.
    fn secret_len(&mut self, key: &str, value: &Secret, len: Option<usize>) {
        let n = value.expose().len();
        if n == 0 {
            self.error(key, Text::new("words.config_check.key_required"));
        } else if let Some(want) = len
            && n != want
        {
            self.error(
                key,
                Text::new("words.config_check.key_length")
                    .arg("want", want)
                    .arg("len", n),
            );
        }
    }

    /// Gateways must be reached over HTTPS; plain HTTP only to this machine
    /// (the simulators).
    fn url(&mut self, key: &str, value: &str) {
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| value.starts_with(p));
        if value.starts_with("https://") && value.len() > "https://".len() {
            return;
        }
        if loopback {
            return;
        }
        let msg = if value.starts_with("http://") {
            Text::new("words.config_check.plain_http").arg("value", value)
        } else {
            Text::new("words.config_check.not_an_address").arg("value", value)
        };
        self.error(key, msg);
    }

    fn sorted(mut self) -> Vec<Finding> {
        self.0.sort_by_key(|p| std::cmp::Reverse(p.severity));
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Config {
        toml::from_str(EXAMPLE).expect("the shipped example parses")
    }

    #[test]
    fn shipped_example_parses_and_is_clean() {
        let cfg = example();
        let problems = cfg.problems();
        assert!(
            problems.iter().all(|p| p.severity == Severity::Warning),
            "{problems:#?}"
        );
        assert!(cfg.gateways.jkopay.is_some() && cfg.gateways.ecpay.is_some());
    }

    #[test]
    fn check_names_every_problem_with_its_key() {
        let mut cfg = example();
        cfg.terminal.id = "t1".into();
        cfg.store.ban = "1234".into();
        cfg.gateways.mypay.as_mut().unwrap().key = Secret::new("short");
        cfg.gateways.ecpay.as_mut().unwrap().base_url = "http://payment.ecpay.com.tw".into();
        cfg.gateways.jkopay.as_mut().unwrap().merchant_key = Secret::new("");
        cfg.printer.transport = "lpt1".into();
        cfg.printer.profile = "no-such-printer".into();
        cfg.scanner.kind = "camera".into();
        let keys: Vec<String> = cfg
            .problems()
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| p.key)
            .collect();
        for want in [
            "terminal.id",
            "store.ban",
            "gateways.mypay.key",
            "gateways.ecpay.base_url",
            "gateways.jkopay.merchant_key",
            "printer.transport",
            "printer.profile",
            "scanner.kind",
        ] {
            assert!(
                keys.iter().any(|k| k == want),
                "{want} missing from {keys:?}"
            );
        }
    }

    #[test]
    fn serial_scanner_settings_are_checked_by_name() {
        let mut cfg = example();
        cfg.scanner.kind = "serial".into();
        cfg.scanner.device = "/dev/till-scanner".into();
        cfg.scanner.data_bits = 7;
        cfg.scanner.parity = "even".into();
        assert!(
            cfg.problems().iter().all(|p| p.key != "scanner"),
            "7E1 is fine"
        );
        cfg.scanner.parity = "mark".into();
        let problem = cfg
            .problems()
            .into_iter()
            .find(|p| p.key == "scanner")
            .unwrap();
        assert!(problem.message.contains("parity"), "{}", problem.message);
        cfg.scanner.parity = "none".into();
        cfg.scanner.hid_mode = "mouse".into();
        assert!(cfg.problems().iter().any(|p| p.key == "scanner.hid_mode"));
    }

    #[test]
    fn problems_never_quote_a_secret() {
        let mut cfg = example();
        cfg.gateways.mypay.as_mut().unwrap().key = Secret::new("ThisIsAVerySecretKeyOf31Chars!!");
        let text: String = cfg.problems().iter().map(|p| p.to_string()).collect();
        assert!(text.contains("gateways.mypay.key"));
        assert!(!text.contains("ThisIsAVerySecret"));
        assert!(!format!("{cfg:?}").contains("ThisIsAVerySecret"));
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let text = EXAMPLE.replace("[store]", "[store]\nbann = \"1\"");
        let err = toml::from_str::<Config>(&text).unwrap_err().to_string();
        assert!(err.contains("bann"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_are_owner_only_and_exposed_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        create_private(&path, EXAMPLE).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(load(&path).is_ok());
        assert!(matches!(
            create_private(&path, EXAMPLE),
            Err(LoadError::Exists { .. })
        ));

        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err, LoadError::Exposed { mode: 0o644, .. }));
        assert!(err.to_string().contains("chmod 600"));
    }

    #[test]
    fn demo_config_is_usable_and_holds_only_the_public_test_key() {
        let demo = Config::demo();
        assert!(demo.terminal_id().is_ok());
        let secrets: Vec<&str> = demo
            .secrets()
            .iter()
            .map(|s| s.expose())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(secrets, vec![DEMO_QR_KEY]);
        assert!(
            demo.problems()
                .iter()
                .all(|p| p.severity == Severity::Warning)
        );
    }

    #[test]
    fn missing_explicit_file_is_an_error_not_demo() {
        let err = locate(Some(Path::new("/nonexistent/till.toml"))).unwrap_err();
        assert!(matches!(err, LoadError::Read { .. }));
    }
}
