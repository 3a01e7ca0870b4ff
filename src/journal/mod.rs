//! The SQLite journal: every sale, payment attempt, refund, e-invoice, print
//! job and audit row, written durably BEFORE anything leaves the till.
//!
//! - One file, WAL mode, `synchronous=FULL`: a commit that returned is on
//!   disk, even if the power goes a microsecond later.
//! - Every write is one `BEGIN IMMEDIATE` transaction that also appends to the
//!   hash-chained audit log, so the audit log never disagrees with the data.
//! - Payment attempts follow the state machine in [`attempt`]; the only way
//!   to move one is [`Journal::transition`], which reads the current state
//!   from the database, not from the caller.
//! - Every row is sealed when its transaction commits ([`seal`]): `till
//!   journal verify` names any row changed, added or removed outside till.
//! - The journal never stores a full payment code ([`MaskedCode`] can only be
//!   made by masking) nor any secret (PINs are argon2 hashes).

pub mod attempt;
pub mod audit;
mod bulk;
mod card_codes;
mod history;
mod invoice;
mod mypay_due;
mod notes;
mod owed;
mod people;
mod print;
mod records;
mod report;
mod sales;
pub mod schema;
pub mod seal;
mod verify;

use std::path::Path;
use std::time::Duration;

use chrono::SecondsFormat;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::money::Ntd;
use crate::sale::{RefundError, SaleNo, TradeNo, TradeNoError};
use crate::taipei::{self, TaipeiTime};

pub use attempt::{AttemptState, EDGES, Edge};
pub use audit::{AuditProblem, AuditReport};
pub use bulk::ImportedSale;
pub use history::{AttemptQuery, Cursor, Page, SaleDetail, SaleSummary};
pub use invoice::{
    Allocation, ChangeContext, InvoiceChange, InvoiceRecord, InvoiceRoll, InvoiceStatus,
    IssuedInvoice,
};
pub use mypay_due::{MYPAY_INVOICE_DUE, MypayInvoiceDue};
pub use notes::Notes;
pub use owed::{INVOICE_DUE, LatePayment};
pub use people::{Member, MemberCard, Role, User};
pub use print::{PrintJob, PrintState};
pub use records::{AttemptEvent, AttemptRecord, SaleStatus};
pub use report::{InvoiceRange, OpenSale, ShiftReport, TenderTotal};
pub use sales::{Transitioned, UnresolvedAttempt};
pub use seal::{Anchor, SealKey, SealProblem, SealReport, Totals};
pub use verify::Verification;

/// How long a writer waits for another process holding the write lock
/// (the GUI and `till recover` may both have the file open).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A payment code with all but its first four and last two characters
/// hidden. The only way to make one is to mask a code, so a full code
/// cannot reach the journal by mistake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskedCode(String);

impl MaskedCode {
    pub fn mask(code: &str) -> MaskedCode {
        MaskedCode(crate::barcode::mask_payment_code(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What happened in a transition, recorded in the event's detail JSON.
/// `gateway_trade_no` and `error` also update the attempt's columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_trade_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// On an approval: the wallet the gateway says it took the money from.
    /// It replaces an attempt journaled as `unidentified` (a code MyPay's
    /// auto-detect had to tell), never a wallet the till already knew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<crate::sale::Wallet>,
    /// Anything else worth keeping: status code, IsRep, poll count…
    /// Never a payment code or a key.
    #[serde(default, skip_serializing_if = "Notes::is_empty")]
    pub extra: Notes,
}

impl Detail {
    pub fn new() -> Detail {
        Detail::default()
    }

    pub fn gateway_trade_no(mut self, no: impl Into<String>) -> Detail {
        self.gateway_trade_no = Some(no.into());
        self
    }

    pub fn error(mut self, e: impl Into<String>) -> Detail {
        self.error = Some(e.into());
        self
    }

    /// A note named by its key (the typed builders, [`Notes`], are the
    /// workflow's way; this stays for callers that name keys).
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Detail {
        self.extra.insert(key, value.into());
        self
    }
}

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> JournalError {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(
                ErrorCode::DiskFull
                | ErrorCode::ReadOnly
                | ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure,
            ) => JournalError::Storage(e),
            _ => JournalError::Sqlite(e),
        }
    }
}

impl From<rusqlite::types::FromSqlError> for JournalError {
    fn from(e: rusqlite::types::FromSqlError) -> JournalError {
        rusqlite::Error::from(e).into()
    }
}

/// Why the journal refused or failed. A refused write changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    Sqlite(rusqlite::Error),
    /// The disk is full, or the file or its directory cannot be written:
    /// the cashier must know it is storage, not the sale, that failed.
    Storage(rusqlite::Error),
    TooNew {
        found: u32,
        supported: u32,
    },
    Corrupt(String),
    NoSuchSale(String),
    NoSuchAttempt(String),
    EmptyCart,
    IllegalTransition {
        trade: String,
        from: AttemptState,
        to: AttemptState,
    },
    AttemptInFlight {
        trade: String,
        state: AttemptState,
    },
    AlreadyPaid(String),
    HasRefunds(String),
    SaleVoid(String),
    MoreThanDue {
        due: Ntd,
        amount: Ntd,
    },
    NotPositive,
    MethodGatewayMismatch,
    BadRandomCode(String),
    NotPaid(String),
    HasPayments(String),
    #[error(transparent)]
    Refund(#[from] RefundError),
    #[error(transparent)]
    TradeNo(#[from] TradeNoError),
    NoInvoiceNumbers {
        period: String,
        terminal: String,
    },
    BadRoll(String),
    NoSuchInvoice(String),
    InvoiceNotIssued {
        number: String,
        status: String,
    },
    NoSuchAllowance(String),
    AllowanceVoided(String),
    BadPin,
    UserExists(String),
    NoSuchUser(String),
    NoSuchMember(String),
    NoSuchPrintJob(i64),
    PrintJobState {
        id: i64,
        state: PrintState,
        action: &'static str,
    },
    Unresolved(u64),
    HalfPaid(u64),
    Hash(String),
    SealKey {
        path: std::path::PathBuf,
        reason: String,
    },
}
impl crate::locale::Localized for JournalError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::Sqlite(v0) => fill(lang, "words.journal.sqlite", &[("value", v0)]),
            Self::Storage(v0) => fill(lang, "words.journal.storage", &[("value", v0)]),
            Self::TooNew { found, supported } => fill(
                lang,
                "words.journal.too_new",
                &[("found", found), ("supported", supported)],
            ),
            Self::Corrupt(v0) => fill(lang, "words.journal.corrupt", &[("value", v0)]),
            Self::NoSuchSale(v0) => fill(lang, "words.journal.no_such_sale", &[("value", v0)]),
            Self::NoSuchAttempt(v0) => {
                fill(lang, "words.journal.no_such_attempt", &[("value", v0)])
            }
            Self::EmptyCart => tr(lang, "words.journal.empty_cart"),
            Self::IllegalTransition { trade, from, to } => fill(
                lang,
                "words.journal.illegal_transition",
                &[("trade", trade), ("from", from), ("to", to)],
            ),
            Self::AttemptInFlight { trade, state } => fill(
                lang,
                "words.journal.attempt_in_flight",
                &[("trade", trade), ("state", state)],
            ),
            Self::AlreadyPaid(v0) => fill(lang, "words.journal.already_paid", &[("value", v0)]),
            Self::HasRefunds(v0) => fill(lang, "words.journal.has_refunds", &[("value", v0)]),
            Self::SaleVoid(v0) => fill(lang, "words.journal.sale_void", &[("value", v0)]),
            Self::MoreThanDue { due, amount } => fill(
                lang,
                "words.journal.more_than_due",
                &[("due", due), ("amount", amount)],
            ),
            Self::NotPositive => tr(lang, "words.journal.not_positive"),
            Self::MethodGatewayMismatch => tr(lang, "words.journal.method_gateway_mismatch"),
            Self::BadRandomCode(v0) => fill(
                lang,
                "words.journal.bad_random_code",
                &[("code", &format!("{v0:?}"))],
            ),
            Self::NotPaid(v0) => fill(lang, "words.journal.not_paid", &[("value", v0)]),
            Self::HasPayments(v0) => fill(lang, "words.journal.has_payments", &[("value", v0)]),
            Self::Refund(e) => e.message(lang),
            Self::TradeNo(e) => e.message(lang),
            Self::NoInvoiceNumbers { period, terminal } => fill(
                lang,
                "words.journal.no_invoice_numbers",
                &[("period", period), ("terminal", terminal)],
            ),
            Self::BadRoll(v0) => fill(lang, "words.journal.bad_roll", &[("value", v0)]),
            Self::NoSuchInvoice(v0) => {
                fill(lang, "words.journal.no_such_invoice", &[("value", v0)])
            }
            Self::InvoiceNotIssued { number, status } => fill(
                lang,
                "words.journal.invoice_not_issued",
                &[("number", number), ("status", status)],
            ),
            Self::NoSuchAllowance(v0) => {
                fill(lang, "words.journal.no_such_allowance", &[("value", v0)])
            }
            Self::AllowanceVoided(v0) => {
                fill(lang, "words.journal.allowance_voided", &[("value", v0)])
            }
            Self::BadPin => tr(lang, "words.journal.bad_pin"),
            Self::UserExists(v0) => fill(lang, "words.journal.user_exists", &[("value", v0)]),
            Self::NoSuchUser(v0) => fill(lang, "words.journal.no_such_user", &[("value", v0)]),
            Self::NoSuchMember(v0) => fill(lang, "words.journal.no_such_member", &[("value", v0)]),
            Self::NoSuchPrintJob(v0) => {
                fill(lang, "words.journal.no_such_print_job", &[("value", v0)])
            }
            Self::PrintJobState { id, state, action } => fill(
                lang,
                "words.journal.print_job_state",
                &[("id", id), ("state", state), ("action", action)],
            ),
            Self::Unresolved(v0) => fill(lang, "words.journal.unresolved", &[("value", v0)]),
            Self::HalfPaid(v0) => fill(lang, "words.journal.half_paid", &[("value", v0)]),
            Self::Hash(v0) => fill(lang, "words.journal.hash", &[("value", v0)]),
            Self::SealKey { path, reason } => fill(
                lang,
                "words.journal.seal_key",
                &[("path", &path.display()), ("reason", reason)],
            ),
        }
    }
}

crate::display_both!(JournalError);

pub type Result<T, E = JournalError> = std::result::Result<T, E>;

type Clock = Box<dyn Fn() -> TaipeiTime + Send>;

/// An open journal. Not `Sync`: share it behind a `Mutex`, or open one per
/// thread or process (SQLite serialises writers; `busy_timeout` waits).
pub struct Journal {
    conn: Connection,
    clock: Clock,
    /// `None` only for files kept at a version before seals (tests).
    sealer: Option<seal::Sealer>,
    /// Debug builds: whether this handle wrote, and whether someone took
    /// the raw connection (tests playing the attacker), for the check on drop.
    wrote: std::cell::Cell<bool>,
    raw: std::cell::Cell<bool>,
    /// The schema version the file is at (below [`schema::LATEST`] only in
    /// tests of old files, written by this code as an older till would).
    version: u32,
}

/// Debug builds check, when a journal that wrote is closed, that every
/// row it wrote is sealed and the whole journal verifies: every test that
/// writes a journal then also proves that its write paths seal. A write
/// path that forgot the seal fails the tests instead of passing silently.
#[cfg(debug_assertions)]
impl Drop for Journal {
    fn drop(&mut self) {
        if !self.wrote.get() || self.raw.get() || std::thread::panicking() {
            return;
        }
        if let Ok(Some(report)) = self.verify_seals()
            && !report.is_intact()
        {
            let list: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
            panic!(
                "journal closed with rows that do not verify (a write path that does not seal?):\n{}",
                list.join("\n")
            );
        }
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.conn.path())
            .finish()
    }
}

/// Where the chain key comes from.
enum KeySource {
    File(std::path::PathBuf),
    Given(SealKey),
}

impl Journal {
    /// Open (creating if needed) and migrate the journal at `path`, with
    /// its seal key beside it ([`SealKey::default_path`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Journal> {
        let key = SealKey::default_path(path.as_ref());
        Journal::open_with_key(path, key)
    }

    /// Open with the seal key kept at `key` (created owner-only when the
    /// journal has never been sealed).
    pub fn open_with_key(path: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Journal> {
        let conn = open_owner_only(path.as_ref())?;
        Journal::setup(
            conn,
            schema::LATEST,
            KeySource::File(key.as_ref().to_path_buf()),
        )
    }

    /// A journal that lives in memory: for tests and simulations.
    pub fn open_in_memory() -> Result<Journal> {
        Journal::setup(
            Connection::open_in_memory()?,
            schema::LATEST,
            KeySource::Given(SealKey::random()),
        )
    }

    /// Open a file and migrate it only up to `version`: lets tests make a
    /// file as an older `till` would have left it.
    #[doc(hidden)]
    pub fn open_at_version(path: impl AsRef<Path>, version: u32) -> Result<Journal> {
        let key = SealKey::default_path(path.as_ref());
        Journal::setup(
            open_owner_only(path.as_ref())?,
            version,
            KeySource::File(key),
        )
    }

    fn setup(mut conn: Connection, version: u32, key: KeySource) -> Result<Journal> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Sealing prepares a statement per table written: keep them all.
        conn.set_prepared_statement_cache_capacity(128);
        // journal_mode answers with the mode it got; in-memory stays "memory".
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Deleted rows are overwritten, so a sealed code dropped once its
        // attempt settled does not linger in the file (see `sealed`).
        conn.pragma_update(None, "secure_delete", true)?;
        let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let key = if version.max(found) >= seal::SEALED_FROM {
            Some(match key {
                KeySource::Given(k) => k,
                KeySource::File(p) => SealKey::load(&p, found < seal::SEALED_FROM)?,
            })
        } else {
            None
        };
        // What was already wrong before an upgrade is kept: resealing after
        // the upgrade must not wash it away.
        let before = match &key {
            Some(k) if found >= seal::SEALED_FROM && found < version => {
                seal::Sealer::new(&conn, k.clone())?.verify(&conn)?.problems
            }
            _ => Vec::new(),
        };
        schema::migrate_to(&mut conn, version)?;
        let now: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let mut journal = Journal {
            conn,
            clock: Box::new(taipei::now),
            sealer: None,
            wrote: Default::default(),
            raw: Default::default(),
            version: now,
        };
        if let Some(key) = key.filter(|_| now >= seal::SEALED_FROM) {
            let sealer = seal::Sealer::new(&journal.conn, key)?;
            sealer.install_triggers(&journal.conn)?;
            if found < now {
                // New tables or columns change what is sealed: seal every
                // row afresh.
                let at = journal.now();
                let tx = seal::begin(&mut journal.conn, None, at.clone())?;
                sealer.reseal_all(
                    &tx,
                    &at,
                    &format!("v{found} → v{now}"),
                    before
                        .iter()
                        .filter(|p| !matches!(p, SealProblem::Note { .. }))
                        .map(|p| p.to_string())
                        .collect(),
                )?;
                tx.commit()?;
            }
            journal.sealer = Some(sealer);
        }
        Ok(journal)
    }

    /// Replace the clock (tests and simulations that need fixed times).
    pub fn set_clock(&mut self, clock: impl Fn() -> TaipeiTime + Send + 'static) {
        self.clock = Box::new(clock);
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Check every sealed row, the tables' figures, the schema and the
    /// keyed chain. `None` for a file kept at a version before seals.
    pub fn verify_seals(&self) -> Result<Option<SealReport>> {
        let Some(sealer) = &self.sealer else {
            return Ok(None);
        };
        // One read transaction: the head, the seals and the tables are read
        // from one snapshot, so another till's commit landing between two
        // reads is not taken for tampering.
        let snapshot = self.conn.unchecked_transaction()?;
        let report = sealer.verify(&snapshot)?;
        snapshot.finish()?;
        Ok(Some(report))
    }

    /// What a Z slip prints for `terminal`: the chain head, the terminal's
    /// perpetual totals and a keyed check.
    pub fn anchor(&self, terminal: &crate::sale::TerminalId) -> Result<Option<Anchor>> {
        self.sealer
            .as_ref()
            .map(|s| s.anchor(&self.conn, terminal.as_str()))
            .transpose()
    }

    /// Check the journal against an anchor printed earlier: the chain still
    /// holds the anchored entry and no perpetual total went down.
    pub fn check_anchor(&self, anchor: &Anchor) -> Result<Vec<SealProblem>> {
        match &self.sealer {
            Some(s) => s.check_anchor(&self.conn, anchor),
            None => Ok(vec![SealProblem::NoHead]),
        }
    }

    /// Walk the audit chain and report the first tampered, missing or
    /// reordered row.
    pub fn verify_audit(&self) -> Result<AuditReport> {
        audit::verify(&self.conn)
    }

    /// SQLite's own structural check: `Ok(())` or the messages it found.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        verify::integrity_check(&self.conn)
    }

    /// Raw connection, for the CLI's diagnostics and for tests that play the
    /// attacker. Writing through it bypasses every rule of the journal.
    #[doc(hidden)]
    pub fn raw_connection(&self) -> &Connection {
        self.raw.set(true);
        &self.conn
    }

    fn now(&self) -> String {
        stamp((self.clock)())
    }

    /// A write transaction that takes the write lock at once, so two
    /// processes never both read a state and then both try to change it.
    /// Every row it writes is sealed when it commits.
    fn write(&mut self) -> Result<(seal::WriteTx<'_>, String)> {
        let now = self.now();
        self.wrote.set(true);
        let tx = seal::begin(&mut self.conn, self.sealer.as_ref(), now.clone())?;
        Ok((tx, now))
    }
}

/// Open the file, creating it (and the SQLite side files, which take its
/// mode) owner-only: it holds PIN hashes and masked payment codes.
fn open_owner_only(path: &Path) -> Result<Connection> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let fail = |e: std::io::Error| JournalError::Corrupt(format!("{}: {e}", path.display()));
        if !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(fail)?;
        } else if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            // A file an older till left world-readable.
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    Ok(Connection::open(path)?)
}

/// RFC 3339 with milliseconds and an explicit +08:00. Fixed width, so text
/// order is time order and range queries can compare strings.
pub fn stamp(t: TaipeiTime) -> String {
    t.with_timezone(&taipei::offset())
        .to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn parse_sale_no(s: &str) -> Result<SaleNo> {
    s.parse()
        .map_err(|_| JournalError::Corrupt(format!("bad sale number {s:?}")))
}

fn parse_trade_no(s: &str) -> Result<TradeNo> {
    s.parse()
        .map_err(|_| JournalError::Corrupt(format!("bad trade number {s:?}")))
}

fn parse_state(s: &str) -> Result<AttemptState> {
    AttemptState::parse(s).ok_or_else(|| JournalError::Corrupt(format!("bad state {s:?}")))
}

#[cfg(test)]
mod tests;
