//! Seals: tamper evidence for every row that carries money or rights.
//!
//! Ideas taken from fiscal cash-register law and fitted to one SQLite file:
//! - RKSV (Austria): each receipt is chained to the one before, with a key
//!   the insider does not hold. Here every commit adds one entry to a keyed
//!   chain (`seal_chain`, HMAC-SHA256), and the chain covers the state of
//!   every sealed table.
//! - NF525 (France): signatures per record plus perpetual grand totals.
//!   Here every row of a sealed table has its own seal (`seals`: an
//!   HMAC of the table, the row's key and a canonical encoding of all its
//!   columns), and `terminal_totals` keeps per-terminal counters and money
//!   totals that only grow (themselves sealed rows).
//! - KassenSichV (Germany): transaction counters that expose gaps. The
//!   chain head keeps, per table, how many rows are sealed, the highest row
//!   key and the sum of their seals, so a row deleted together with its
//!   seal, or put back to an earlier sealed state, shows up too.
//!
//! Every table is sealed unless it is listed in [`UNSEALED`] with a reason:
//! a table added later is sealed without anyone remembering to, and one the
//! sealer cannot key is refused when the journal opens. Rows are found by
//! connection-only (TEMP) triggers that note each written row; the seals are
//! computed just before the transaction commits ([`WriteTx::commit`]), so
//! the seal and the row are committed together. An insider's own SQLite
//! shell has none of those triggers, which is the point: whatever it writes
//! is unsealed.
//!
//! The key lives outside the journal (an owner-only file, never logged), so
//! a journal copied elsewhere verifies wherever the key is given.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::digest::Update;
use sha2::{Digest, Sha256};

use super::JournalError;

type HmacSha256 = Hmac<Sha256>;

/// The schema version that introduced seals.
pub const SEALED_FROM: u32 = 7;

/// Tables that are not sealed, and why. Everything else is.
pub const UNSEALED: &[(&str, &str)] = &[
    (
        "seals",
        "the seals themselves; their sums are in the chain head",
    ),
    ("seal_chain", "chained by its own keyed MACs"),
    ("seal_head", "checked against the last chain entry"),
    (
        "audit_head",
        "a copy of the last audit row, which is itself sealed",
    ),
    (
        "day_counters",
        "the next sale number of a day; the numbered sales are sealed",
    ),
];

/// Bytes of a row seal kept (HMAC-SHA256 truncated to 128 bits).
const MAC_LEN: usize = 16;

/// The chain's key. Never printed: `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SealKey {
    mac: HmacSha256,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey([redacted])")
    }
}

impl SealKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> SealKey {
        SealKey {
            mac: HmacSha256::new_from_slice(bytes).expect("HMAC takes any key length"),
        }
    }

    /// A fresh random key (in-memory journals).
    pub fn random() -> SealKey {
        SealKey::from_bytes(&rand::random())
    }

    /// Where a journal keeps its key unless told otherwise: beside it,
    /// `journal.sqlite3.seal-key`.
    pub fn default_path(journal: &Path) -> PathBuf {
        let mut name = journal.as_os_str().to_owned();
        name.push(".seal-key");
        PathBuf::from(name)
    }

    /// Read the key at `path`; when there is none and `create` is set, make
    /// one (owner-only, 0600).
    pub fn load(path: &Path, create: bool) -> Result<SealKey, JournalError> {
        let fail = |reason: String| JournalError::SealKey {
            path: path.to_path_buf(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| fail("not 64 hex digits".into()))?;
                Ok(SealKey::from_bytes(&bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let bytes: [u8; 32] = rand::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options.open(path).map_err(|e| fail(e.to_string()))?;
                std::io::Write::write_all(
                    &mut file,
                    format!("{}\n", hex::encode(bytes)).as_bytes(),
                )
                .and_then(|()| file.sync_all())
                .map_err(|e| fail(e.to_string()))?;
                Ok(SealKey::from_bytes(&bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(fail(
                "找不到金鑰,無法驗證封存 / no key file: the seals cannot be checked".into(),
            )),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut m = self.mac.clone();
        for p in parts {
            Mac::update(&mut m, p);
        }
        m.finalize().into_bytes().into()
    }

    /// The keyed state with `prefix` already absorbed: cloned for each
    /// message that starts with it, so the prefix is hashed once.
    fn keyed(&self, prefix: &[u8]) -> HmacSha256 {
        let mut m = self.mac.clone();
        Mac::update(&mut m, prefix);
        m
    }
}

/// How a sealed table's rows are keyed.
#[derive(Debug, Clone)]
enum Key {
    Rowid,
    Pk(String, Option<String>),
}

/// A table the sealer covers: its columns in declared order.
#[derive(Debug, Clone)]
pub(crate) struct TableSpec {
    name: String,
    cols: Vec<String>,
    key: Key,
    /// Domain, table name and column names, length-prefixed: the start of
    /// every row seal of this table.
    header: Vec<u8>,
    /// [`TableSpec::scan_sql`] and [`TableSpec::dirty_sql`], made once.
    scan: String,
    dirty: String,
}

impl TableSpec {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    fn k1(&self) -> String {
        match &self.key {
            Key::Rowid => "rowid".into(),
            Key::Pk(a, _) => quote(a),
        }
    }

    fn k2(&self) -> String {
        match &self.key {
            Key::Rowid | Key::Pk(_, None) => "0".into(),
            Key::Pk(_, Some(b)) => quote(b),
        }
    }

    fn col_list(&self, alias: &str) -> String {
        self.cols
            .iter()
            .map(|c| format!("{alias}{}", quote(c)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every row in key order: k1, k2, then the columns.
    fn scan_sql(&self) -> String {
        let order = match &self.key {
            Key::Pk(_, Some(_)) => format!("{}, {}", self.k1(), self.k2()),
            _ => self.k1(),
        };
        format!(
            "SELECT {k1}, {k2}, {cols} FROM main.{t} ORDER BY {order}",
            k1 = self.k1(),
            k2 = self.k2(),
            cols = self.col_list(""),
            t = quote(&self.name)
        )
    }

    /// The rows written in this transaction, with their previous seals:
    /// k1, k2, old mac, present?, then the columns.
    fn dirty_sql(&self) -> String {
        let on = match &self.key {
            Key::Rowid => "t.rowid = d.k1".to_string(),
            Key::Pk(a, None) => format!("t.{} = d.k1", quote(a)),
            Key::Pk(a, Some(b)) => format!("t.{} = d.k1 AND t.{} = d.k2", quote(a), quote(b)),
        };
        format!(
            "SELECT d.k1, d.k2, s.mac, t.{k1} IS NOT NULL, {cols}
               FROM temp.seal_dirty d
               LEFT JOIN main.{t} t ON {on}
               LEFT JOIN main.seals s ON s.tbl = d.tbl AND s.k1 = d.k1 AND s.k2 = d.k2
              WHERE d.tbl = ?1 ORDER BY d.k1, d.k2",
            k1 = self.k1(),
            cols = self.col_list("t."),
            t = quote(&self.name)
        )
    }

    fn triggers_sql(&self) -> String {
        let (k1, k2) = (self.k1(), self.k2());
        let keys = |row: &str| {
            let k2 = if k2 == "0" {
                "0".to_string()
            } else {
                format!("{row}.{k2}")
            };
            // Not INSERT OR IGNORE: an outer upsert's conflict policy
            // would override it inside the trigger.
            format!(
                "INSERT INTO seal_dirty (tbl, k1, k2) SELECT '{t}', {row}.{k1}, {k2}
                  WHERE NOT EXISTS (SELECT 1 FROM seal_dirty
                                     WHERE tbl = '{t}' AND k1 = {row}.{k1} AND k2 = {k2});",
                t = self.name.replace('\'', "''")
            )
        };
        let t = quote(&self.name);
        let n = &self.name;
        format!(
            "CREATE TEMP TRIGGER IF NOT EXISTS \"seal_ins_{n}\" AFTER INSERT ON main.{t} BEGIN {new} END;
             CREATE TEMP TRIGGER IF NOT EXISTS \"seal_upd_{n}\" AFTER UPDATE ON main.{t} BEGIN {old} {new} END;
             CREATE TEMP TRIGGER IF NOT EXISTS \"seal_del_{n}\" AFTER DELETE ON main.{t} BEGIN {old} END;",
            new = keys("NEW"),
            old = keys("OLD"),
        )
    }

    /// The row's seal: HMAC of the table, key and every column, typed.
    /// `base` is the key with this table's header absorbed ([`TableSpec::keyed`]);
    /// the columns are `r[from..from + cols]`. The message is laid out in
    /// `buf` (reused row after row: no allocation once it has grown) and
    /// fed to the MAC in one piece rather than a dozen small updates.
    fn row_mac(
        &self,
        base: &HmacSha256,
        k1: i64,
        k2: i64,
        r: &Row<'_>,
        from: usize,
        buf: &mut Vec<u8>,
    ) -> rusqlite::Result<[u8; MAC_LEN]> {
        buf.clear();
        buf.extend_from_slice(&k1.to_be_bytes());
        buf.extend_from_slice(&k2.to_be_bytes());
        for i in from..from + self.cols.len() {
            encode_value(buf, r.get_ref(i)?);
        }
        let mut m = base.clone();
        Mac::update(&mut m, buf);
        let full = m.finalize().into_bytes();
        let mut mac = [0; MAC_LEN];
        mac.copy_from_slice(&full[..MAC_LEN]);
        Ok(mac)
    }

    /// The key with this table's header absorbed.
    fn keyed(&self, key: &SealKey) -> HmacSha256 {
        key.keyed(&self.header)
    }
}

/// Two bytes per column, so a changed row can say which column changed.
/// A hint only (the seal is what proves): 1 change in 65,536 goes unnamed.
/// Seals written before this held one byte per column; [`changed_columns`]
/// reads both.
fn fingerprints(r: &Row<'_>, from: usize, n: usize) -> rusqlite::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n * FINGERPRINT_WIDTH);
    for i in from..from + n {
        let mut h = Sha256::new();
        feed_value(&mut h, r.get_ref(i)?);
        out.extend_from_slice(&h.finalize()[..FINGERPRINT_WIDTH]);
    }
    Ok(out)
}

const FINGERPRINT_WIDTH: usize = 2;

/// Which of a row's `n` columns differ between the fingerprints sealed
/// and the row's fingerprints now (`now`, two bytes each). A sealed list
/// longer than one byte a column is two bytes a column; otherwise it is
/// the one-byte list of older seals, compared with the first byte of each.
/// A column the sealed list does not cover (added since) counts as changed.
fn changed_columns(sealed: &[u8], now: &[u8], n: usize) -> Vec<usize> {
    let width = if sealed.len() > n {
        FINGERPRINT_WIDTH
    } else {
        1
    };
    (0..n)
        .filter(|&i| {
            let then = sealed.get(i * width..(i + 1) * width);
            let now = now.get(i * FINGERPRINT_WIDTH..i * FINGERPRINT_WIDTH + width);
            then != now
        })
        .collect()
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn push_len_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// [`feed_value`]'s bytes, appended to `out`.
fn encode_value(out: &mut Vec<u8>, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => out.push(0),
        ValueRef::Integer(i) => {
            out.push(1);
            out.extend_from_slice(&i.to_be_bytes());
        }
        ValueRef::Real(f) => {
            out.push(2);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        ValueRef::Text(t) => {
            out.push(3);
            out.extend_from_slice(&(t.len() as u64).to_be_bytes());
            out.extend_from_slice(t);
        }
        ValueRef::Blob(b) => {
            out.push(4);
            out.extend_from_slice(&(b.len() as u64).to_be_bytes());
            out.extend_from_slice(b);
        }
    }
}

/// A value with its SQLite type, fed straight into a hash or MAC (no
/// copy): 1 and '1' and 1.0 all differ.
fn feed_value(h: &mut impl Update, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => h.update(&[0]),
        ValueRef::Integer(i) => {
            h.update(&[1]);
            h.update(&i.to_be_bytes());
        }
        ValueRef::Real(f) => {
            h.update(&[2]);
            h.update(&f.to_bits().to_be_bytes());
        }
        ValueRef::Text(t) => {
            h.update(&[3]);
            h.update(&(t.len() as u64).to_be_bytes());
            h.update(t);
        }
        ValueRef::Blob(b) => {
            h.update(&[4]);
            h.update(&(b.len() as u64).to_be_bytes());
            h.update(b);
        }
    }
}

/// The tables to seal, from the file's own schema.
pub(crate) fn discover(conn: &Connection) -> Result<Vec<TableSpec>, JournalError> {
    let mut tables: Vec<(String, bool)> = conn
        .prepare("SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table'")?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?
        .collect::<Result<_, _>>()?;
    tables.sort();
    let mut out = Vec::new();
    for (name, without_rowid) in tables {
        if name.starts_with("sqlite_") || UNSEALED.iter().any(|(t, _)| *t == name) {
            continue;
        }
        let info: Vec<(String, String, i64)> = conn
            .prepare("SELECT name, upper(type), pk FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let key = if without_rowid {
            let mut pk: Vec<&(String, String, i64)> = info.iter().filter(|c| c.2 > 0).collect();
            pk.sort_by_key(|c| c.2);
            match pk.as_slice() {
                [a] if a.1 == "INTEGER" => Key::Pk(a.0.clone(), None),
                [a, b] if a.1 == "INTEGER" && b.1 == "INTEGER" => {
                    Key::Pk(a.0.clone(), Some(b.0.clone()))
                }
                _ => {
                    return Err(JournalError::Corrupt(format!(
                        "table {name} cannot be sealed: its key is not one or two INTEGER columns; \
                         give it one, or list it in journal::seal::UNSEALED with the reason"
                    )));
                }
            }
        } else {
            Key::Rowid
        };
        let cols: Vec<String> = info.into_iter().map(|c| c.0).collect();
        let mut header = b"till-seal/row/v1".to_vec();
        push_len_prefixed(&mut header, name.as_bytes());
        for c in &cols {
            push_len_prefixed(&mut header, c.as_bytes());
        }
        let mut spec = TableSpec {
            name,
            cols,
            key,
            header,
            scan: String::new(),
            dirty: String::new(),
        };
        spec.scan = spec.scan_sql();
        spec.dirty = spec.dirty_sql();
        out.push(spec);
    }
    Ok(out)
}

/// Per-table figures kept in the chain head.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct TableState {
    /// Sealed rows.
    rows: u64,
    /// Highest first key column (row id) ever sealed: rows only grow.
    max: i64,
    /// Sum of the seals, modulo 2^128, hex.
    sum: String,
}

impl TableState {
    fn sum(&self) -> u128 {
        u128::from_str_radix(&self.sum, 16).unwrap_or(0)
    }
}

/// What the chain head says about the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    tables: BTreeMap<String, TableState>,
    /// Schema objects (tables, indexes, triggers): a hash of each one's SQL.
    schema: BTreeMap<String, String>,
    /// Problems the till found while writing (kept for good).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

fn schema_listing(conn: &Connection) -> Result<BTreeMap<String, String>, JournalError> {
    let mut out = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT type, name, sql FROM main.sqlite_schema WHERE sql IS NOT NULL ORDER BY type, name",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (kind, name, sql): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let hash = Sha256::digest(sql.as_bytes());
        out.insert(format!("{kind} {name}"), hex::encode(&hash[..8]));
    }
    Ok(out)
}

fn u128_of(mac: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = mac.len().min(16);
    b[..n].copy_from_slice(&mac[..n]);
    u128::from_be_bytes(b)
}

/// The journal's sealer: the key and the tables it covers.
#[derive(Debug)]
pub(crate) struct Sealer {
    key: SealKey,
    tables: Vec<TableSpec>,
    /// The head this sealer last wrote (or checked), so that a commit need
    /// not parse and re-check it. Trusted only while the file still holds
    /// exactly these bytes at this seq after a chain entry with this MAC;
    /// otherwise (another process wrote, a transaction rolled back, someone
    /// edited the head) the head is read and checked as if there were none.
    head: Mutex<Option<HeadCache>>,
}

struct HeadCache {
    seq: i64,
    mac: [u8; 32],
    json: String,
    state: State,
}

impl std::fmt::Debug for HeadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeadCache({})", self.seq)
    }
}

const CHAIN_GENESIS: [u8; 32] = [0; 32];
const CHAIN_DOMAIN: &[u8] = b"till-seal/chain/v1";

impl Sealer {
    /// The sealer for the tables of this file.
    pub(crate) fn new(conn: &Connection, key: SealKey) -> Result<Sealer, JournalError> {
        Ok(Sealer {
            key,
            tables: discover(conn)?,
            head: Mutex::new(None),
        })
    }

    pub(crate) fn key(&self) -> &SealKey {
        &self.key
    }

    /// Install this connection's triggers: they note every row written and
    /// keep the perpetual totals.
    pub(crate) fn install_triggers(&self, conn: &Connection) -> Result<(), JournalError> {
        let tables = &self.tables;
        let mut sql = String::from(
            "CREATE TEMP TABLE IF NOT EXISTS seal_dirty (
                 tbl TEXT NOT NULL, k1 INTEGER NOT NULL, k2 INTEGER NOT NULL,
                 PRIMARY KEY (tbl, k1, k2)) WITHOUT ROWID;
             CREATE TEMP TRIGGER IF NOT EXISTS seal_sales_counted AFTER INSERT ON main.sales BEGIN
                 INSERT INTO terminal_totals (terminal, sales) VALUES (NEW.terminal, 1)
                 ON CONFLICT (terminal) DO UPDATE SET sales = sales + 1;
             END;
             CREATE TEMP TRIGGER IF NOT EXISTS seal_approved_new AFTER INSERT ON main.attempts
             WHEN NEW.state = 'approved' BEGIN
                 INSERT INTO terminal_totals (terminal, payments, paid, refunds, refunded)
                 SELECT terminal, NEW.kind = 'payment', iif(NEW.kind = 'payment', NEW.amount, 0),
                        NEW.kind = 'refund', iif(NEW.kind = 'refund', NEW.amount, 0)
                   FROM sales WHERE id = NEW.sale_id
                 ON CONFLICT (terminal) DO UPDATE SET
                     payments = payments + excluded.payments, paid = paid + excluded.paid,
                     refunds = refunds + excluded.refunds, refunded = refunded + excluded.refunded;
             END;
             CREATE TEMP TRIGGER IF NOT EXISTS seal_approved_now AFTER UPDATE OF state ON main.attempts
             WHEN NEW.state = 'approved' AND OLD.state <> 'approved' BEGIN
                 INSERT INTO terminal_totals (terminal, payments, paid, refunds, refunded)
                 SELECT terminal, NEW.kind = 'payment', iif(NEW.kind = 'payment', NEW.amount, 0),
                        NEW.kind = 'refund', iif(NEW.kind = 'refund', NEW.amount, 0)
                   FROM sales WHERE id = NEW.sale_id
                 ON CONFLICT (terminal) DO UPDATE SET
                     payments = payments + excluded.payments, paid = paid + excluded.paid,
                     refunds = refunds + excluded.refunds, refunded = refunded + excluded.refunded;
             END;",
        );
        for t in tables {
            sql.push_str(&t.triggers_sql());
        }
        conn.execute_batch(&sql)?;
        Ok(())
    }

    /// Seal every row of every table afresh (first sealing on upgrade,
    /// and after a schema change). Runs inside the caller's transaction.
    pub(crate) fn reseal_all(
        &self,
        conn: &Connection,
        at: &str,
        why: &str,
        before: Vec<String>,
    ) -> Result<(), JournalError> {
        conn.execute("DELETE FROM main.seals", [])?;
        conn.execute("DELETE FROM temp.seal_dirty", [])?;
        let mut state = State {
            schema: schema_listing(conn)?,
            ..State::default()
        };
        if let Some((_, old)) = read_head(conn)? {
            state.notes = old.notes;
        }
        state.notes.extend(
            before.into_iter().map(|p| {
                format!("{at}: 升級 {why} 前已有 / already before the upgrade {why}: {p}")
            }),
        );
        let mut insert = conn.prepare_cached(
            "INSERT INTO main.seals (tbl, k1, k2, mac, cols) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for t in &self.tables {
            let base = t.keyed(&self.key);
            let mut buf = Vec::with_capacity(256);
            let mut ts = TableState::default();
            let mut sum = 0u128;
            let mut stmt = conn.prepare(&t.scan)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (k1, k2): (i64, i64) = (r.get(0)?, r.get(1)?);
                let mac = t.row_mac(&base, k1, k2, r, 2, &mut buf)?;
                let cols = fingerprints(r, 2, t.cols.len())?;
                insert.execute(params![t.name, k1, k2, &mac[..], cols])?;
                ts.rows += 1;
                ts.max = ts.max.max(k1);
                sum = sum.wrapping_add(u128_of(&mac));
            }
            ts.sum = format!("{sum:032x}");
            state.tables.insert(t.name.clone(), ts);
        }
        let last = last_chain_entry(conn)?;
        self.append_chain(conn, at, state, last)
    }

    /// Seal the rows this transaction wrote and extend the chain.
    pub(crate) fn seal_dirty(&self, conn: &Connection, at: &str) -> Result<(), JournalError> {
        let last = last_chain_entry(conn)?;
        let cached = self.head.lock().unwrap_or_else(|e| e.into_inner()).take();
        let cached = match cached {
            Some(c) if still_the_head(conn, &c, last.as_ref())? => Some(c.state),
            _ => None,
        };
        let mut state = match cached {
            Some(state) => state,
            None => {
                let (mut state, head_ok) = match read_head(conn)? {
                    Some((seq, state)) => {
                        let ok = self.head_is_genuine(conn, seq, &state)?;
                        (state, ok)
                    }
                    None => (State::default(), false),
                };
                if !head_ok {
                    state.notes.push(format!(
                        "{at}: 封存鏈頭與鏈不符,已在 till 之外被修改 / the seal head did not match its chain: changed outside till"
                    ));
                }
                state
            }
        };
        let dirty_tables: Vec<String> = conn
            .prepare_cached("SELECT DISTINCT tbl FROM temp.seal_dirty")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut upsert = conn.prepare_cached(
            "INSERT INTO main.seals (tbl, k1, k2, mac, cols) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tbl, k1, k2) DO UPDATE SET mac = excluded.mac, cols = excluded.cols",
        )?;
        let mut delete =
            conn.prepare_cached("DELETE FROM main.seals WHERE tbl = ?1 AND k1 = ?2 AND k2 = ?3")?;
        for name in dirty_tables {
            let Some(t) = self.tables.iter().find(|t| t.name == name) else {
                continue;
            };
            let base = t.keyed(&self.key);
            let mut buf = Vec::with_capacity(256);
            let ts = state.tables.entry(name.clone()).or_default();
            let mut sum = ts.sum();
            let mut stmt = conn.prepare_cached(&t.dirty)?;
            let mut rows = stmt.query([&name])?;
            while let Some(r) = rows.next()? {
                let (k1, k2): (i64, i64) = (r.get(0)?, r.get(1)?);
                let old = r.get_ref(2)?.as_blob_or_null()?;
                let present: bool = r.get(3)?;
                if let Some(old) = old {
                    sum = sum.wrapping_sub(u128_of(old));
                    ts.rows = ts.rows.saturating_sub(1);
                }
                if present {
                    let mac = t.row_mac(&base, k1, k2, r, 4, &mut buf)?;
                    let cols = fingerprints(r, 4, t.cols.len())?;
                    upsert.execute(params![name, k1, k2, &mac[..], cols])?;
                    sum = sum.wrapping_add(u128_of(&mac));
                    ts.rows += 1;
                    ts.max = ts.max.max(k1);
                } else if old.is_some() {
                    delete.execute(params![name, k1, k2])?;
                }
            }
            ts.sum = format!("{sum:032x}");
        }
        conn.prepare_cached("DELETE FROM temp.seal_dirty")?
            .execute([])?;
        self.append_chain(conn, at, state, last)
    }

    fn head_is_genuine(
        &self,
        conn: &Connection,
        seq: i64,
        state: &State,
    ) -> Result<bool, JournalError> {
        let entry = chain_entry(conn, seq)?;
        let prev = if seq > 1 {
            chain_entry(conn, seq - 1)?.map(|e| e.mac)
        } else {
            Some(CHAIN_GENESIS.to_vec())
        };
        Ok(match (entry, prev) {
            (Some(ChainEntry { at, digest, mac }), Some(prev)) => {
                digest == Sha256::digest(state_json(state)).to_vec()
                    && mac
                        == chain_mac(
                            &self.key.keyed(CHAIN_DOMAIN),
                            &prev,
                            seq,
                            at.as_bytes(),
                            &digest,
                        )
                        .to_vec()
            }
            _ => false,
        })
    }

    /// Add the chain entry over `state` after `last`, write the head, and
    /// remember it for the next commit. The state is serialised once: its
    /// digest is over the very bytes the head stores.
    fn append_chain(
        &self,
        conn: &Connection,
        at: &str,
        state: State,
        last: Option<(i64, Vec<u8>)>,
    ) -> Result<(), JournalError> {
        let (seq, prev) = match last {
            Some((seq, mac)) => (seq + 1, mac),
            None => (1, CHAIN_GENESIS.to_vec()),
        };
        let json = state_json(&state);
        let digest: [u8; 32] = Sha256::digest(json.as_bytes()).into();
        let mac = chain_mac(
            &self.key.keyed(CHAIN_DOMAIN),
            &prev,
            seq,
            at.as_bytes(),
            &digest,
        );
        conn.prepare_cached(
            "INSERT INTO main.seal_chain (seq, at, digest, mac) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![seq, at, &digest[..], &mac[..]])?;
        conn.prepare_cached(
            "INSERT INTO main.seal_head (id, seq, state) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, state = excluded.state",
        )?
        .execute(params![seq, json])?;
        *self.head.lock().unwrap_or_else(|e| e.into_inner()) = Some(HeadCache {
            seq,
            mac,
            json,
            state,
        });
        Ok(())
    }

    /// The anchor for `terminal` as of the chain head: what a Z slip prints.
    pub(crate) fn anchor(&self, conn: &Connection, terminal: &str) -> Result<Anchor, JournalError> {
        let (seq, mac): (i64, Vec<u8>) = conn
            .query_row(
                "SELECT seq, mac FROM main.seal_chain ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, CHAIN_GENESIS.to_vec()));
        let totals = read_totals(conn, terminal)?;
        let mut anchor = Anchor {
            terminal: terminal.to_string(),
            seq,
            totals,
            check: String::new(),
        };
        anchor.check = self.anchor_check(&anchor, &mac);
        Ok(anchor)
    }

    fn anchor_check(&self, a: &Anchor, chain_mac: &[u8]) -> String {
        let t = &a.totals;
        let mac = self.key.mac(&[
            b"till-seal/anchor/v1",
            chain_mac,
            &(a.terminal.len() as u64).to_be_bytes(),
            a.terminal.as_bytes(),
            &a.seq.to_be_bytes(),
            &t.sales.to_be_bytes(),
            &t.payments.to_be_bytes(),
            &t.paid.to_be_bytes(),
            &t.refunds.to_be_bytes(),
            &t.refunded.to_be_bytes(),
        ]);
        hex::encode_upper(&mac[..5])
    }

    /// Check the journal against an anchor printed earlier.
    pub(crate) fn check_anchor(
        &self,
        conn: &Connection,
        a: &Anchor,
    ) -> Result<Vec<SealProblem>, JournalError> {
        let mut problems = Vec::new();
        match chain_entry(conn, a.seq)? {
            None => problems.push(SealProblem::AnchorBeyondChain {
                anchor_seq: a.seq,
                chain_end: conn.query_row(
                    "SELECT coalesce(max(seq), 0) FROM main.seal_chain",
                    [],
                    |r| r.get(0),
                )?,
            }),
            Some(ChainEntry { mac, .. }) => {
                if self.anchor_check(a, &mac) != a.check {
                    problems.push(SealProblem::AnchorMismatch { anchor_seq: a.seq });
                }
            }
        }
        let now = read_totals(conn, &a.terminal)?;
        let then = &a.totals;
        for (what, before, after) in [
            ("sales", then.sales, now.sales),
            ("payments", then.payments, now.payments),
            ("paid", then.paid, now.paid),
            ("refunds", then.refunds, now.refunds),
            ("refunded", then.refunded, now.refunded),
        ] {
            if after < before {
                problems.push(SealProblem::TotalShrank {
                    terminal: a.terminal.clone(),
                    what,
                    anchored: before,
                    now: after,
                });
            }
        }
        Ok(problems)
    }

    /// Recompute every seal, the table figures and the chain, on this one
    /// connection (see `journal::verify` for the parallel check).
    pub(crate) fn verify(&self, conn: &Connection) -> Result<SealReport, JournalError> {
        let snap = Snapshot::read(conn)?;
        let chain = walk_chain(&self.key, conn)?;
        let checks = snap
            .tables
            .iter()
            .map(|t| check_table(&self.key, conn, t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(snap.report(chain, checks))
    }
}

/// What the head says and which tables exist, read once per check.
pub(crate) struct Snapshot {
    head: Option<(i64, State)>,
    schema: BTreeMap<String, String>,
    pub(crate) tables: Vec<TableSpec>,
}

impl Snapshot {
    pub(crate) fn read(conn: &Connection) -> Result<Snapshot, JournalError> {
        Ok(Snapshot {
            head: read_head(conn)?,
            schema: schema_listing(conn)?,
            tables: discover(conn)?,
        })
    }

    /// Rows the head says `table` has: how long checking it will take.
    pub(crate) fn sealed_rows(&self, table: &str) -> u64 {
        self.head
            .as_ref()
            .and_then(|(_, s)| s.tables.get(table))
            .map_or(0, |t| t.rows)
    }

    /// Chain entries the head says there are.
    pub(crate) fn chain_len(&self) -> u64 {
        self.head
            .as_ref()
            .map_or(0, |(seq, _)| (*seq).max(0) as u64)
    }

    /// Put the findings together, in a fixed order: the chain, the head,
    /// its notes, the schema, then table by table.
    pub(crate) fn report(self, chain: ChainWalk, checks: Vec<TableCheck>) -> SealReport {
        let mut report = SealReport {
            chain_entries: chain.entries,
            head: hex::encode(chain.head),
            ..SealReport::default()
        };
        if let Some(seq) = chain.broken {
            report.problems.push(SealProblem::ChainBroken { seq });
        }
        let state = match self.head {
            None => {
                report.problems.push(SealProblem::NoHead);
                State::default()
            }
            Some((seq, state)) => {
                let digest = Sha256::digest(state_json(&state));
                if seq != chain.entries as i64 || digest[..] != chain.last_digest[..] {
                    report.problems.push(SealProblem::HeadMismatch { seq });
                }
                state
            }
        };
        for note in &state.notes {
            report
                .problems
                .push(SealProblem::Note { note: note.clone() });
        }
        // The schema: tables, indexes and triggers as sealed.
        let now = &self.schema;
        for (name, hash) in &state.schema {
            match now.get(name) {
                None => report.problems.push(SealProblem::SchemaObject {
                    object: name.clone(),
                    change: "dropped",
                }),
                Some(h) if h != hash => report.problems.push(SealProblem::SchemaObject {
                    object: name.clone(),
                    change: "changed",
                }),
                Some(_) => {}
            }
        }
        for name in now.keys().filter(|n| !state.schema.contains_key(*n)) {
            report.problems.push(SealProblem::SchemaObject {
                object: name.clone(),
                change: "added",
            });
        }
        // Every row of every table against its seal.
        for (t, check) in self.tables.iter().zip(checks) {
            report.rows_checked += check.rows_checked;
            for p in check.problems {
                report.push(p);
            }
            report.more += check.more;
            let sealed = state.tables.get(&t.name).cloned().unwrap_or_default();
            let found = check.figures;
            // The highest id is told, not compared: rows some tables delete
            // by design (work owed, once done) lower it legitimately.
            if found.sum() != sealed.sum() || found.rows != sealed.rows {
                report.problems.push(SealProblem::TableFigures {
                    table: t.name.clone(),
                    sealed_rows: sealed.rows,
                    seals_now: found.rows,
                    sealed_max: sealed.max,
                    max_now: found.max,
                });
            }
        }
        for name in state.tables.keys() {
            if !self.tables.iter().any(|t| &t.name == name) {
                report.problems.push(SealProblem::TableGone {
                    table: name.clone(),
                });
            }
        }
        report
    }
}

/// The seal chain walked from its start.
pub(crate) struct ChainWalk {
    /// Entries that follow from the ones before.
    entries: u64,
    /// The MAC of the last of them.
    head: [u8; 32],
    last_digest: Vec<u8>,
    /// The first entry that does not follow.
    broken: Option<i64>,
}

/// Walk the seal chain entry by entry.
pub(crate) fn walk_chain(key: &SealKey, conn: &Connection) -> Result<ChainWalk, JournalError> {
    let base = key.keyed(CHAIN_DOMAIN);
    let mut walk = ChainWalk {
        entries: 0,
        head: CHAIN_GENESIS,
        last_digest: Vec::new(),
        broken: None,
    };
    let mut stmt = conn.prepare("SELECT seq, at, digest, mac FROM main.seal_chain ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let at = r.get_ref(1)?.as_str()?;
        let digest = r.get_ref(2)?.as_blob()?;
        let mac = r.get_ref(3)?.as_blob()?;
        let expected = walk.entries as i64 + 1;
        if seq != expected || mac != chain_mac(&base, &walk.head, seq, at.as_bytes(), digest) {
            walk.broken = Some(seq);
            break;
        }
        walk.head.copy_from_slice(mac);
        walk.last_digest.clear();
        walk.last_digest.extend_from_slice(digest);
        walk.entries += 1;
    }
    Ok(walk)
}

/// One table checked against its seals.
pub(crate) struct TableCheck {
    /// The figures of the seals as they are now.
    figures: TableState,
    rows_checked: u64,
    /// The first problems (at most [`SealReport::LISTED`]) and how many more.
    problems: Vec<SealProblem>,
    more: u64,
}

impl TableCheck {
    fn push(&mut self, p: SealProblem) {
        if self.problems.len() < SealReport::LISTED {
            self.problems.push(p);
        } else {
            self.more += 1;
        }
    }
}

/// A row's seal as stored: only what the merge needs, no allocation.
#[derive(Clone, Copy)]
struct StoredSeal {
    k1: i64,
    k2: i64,
    /// `None` when the stored value is not a seal's length.
    mac: Option<[u8; MAC_LEN]>,
    /// What it adds to the table's sum.
    value: u128,
}

fn next_seal(seals: &mut rusqlite::Rows<'_>) -> rusqlite::Result<Option<StoredSeal>> {
    let Some(s) = seals.next()? else {
        return Ok(None);
    };
    let mac = s.get_ref(2)?.as_blob()?;
    Ok(Some(StoredSeal {
        k1: s.get(0)?,
        k2: s.get(1)?,
        mac: mac.try_into().ok(),
        value: u128_of(mac),
    }))
}

/// Merge the table (in key order) with its seals (in key order): every
/// row's seal recomputed, every seal's row present. Per row: one MAC from
/// the table's keyed state, no allocation; values are only collected for
/// the rows reported.
pub(crate) fn check_table(
    key: &SealKey,
    conn: &Connection,
    t: &TableSpec,
) -> Result<TableCheck, JournalError> {
    let base = t.keyed(key);
    let mut buf = Vec::with_capacity(256);
    let mut rows_stmt = conn.prepare(&t.scan)?;
    let mut seals_stmt =
        conn.prepare("SELECT k1, k2, mac FROM main.seals WHERE tbl = ?1 ORDER BY k1, k2")?;
    let mut rows = rows_stmt.query([])?;
    let mut seals = seals_stmt.query([&t.name])?;
    let mut check = TableCheck {
        figures: TableState::default(),
        rows_checked: 0,
        problems: Vec::new(),
        more: 0,
    };
    let mut sum = 0u128;
    let mut count = |s: &StoredSeal, figures: &mut TableState| {
        figures.rows += 1;
        figures.max = figures.max.max(s.k1);
        sum = sum.wrapping_add(s.value);
    };
    let mut seal = next_seal(&mut seals)?;
    while let Some(r) = rows.next()? {
        let (k1, k2): (i64, i64) = (r.get(0)?, r.get(1)?);
        // Seals before this row belong to rows that are gone.
        while let Some(s) = seal.filter(|s| (s.k1, s.k2) < (k1, k2)) {
            count(&s, &mut check.figures);
            check.push(SealProblem::RowDeleted {
                table: t.name.clone(),
                key: key_text(t, s.k1, s.k2),
            });
            seal = next_seal(&mut seals)?;
        }
        check.rows_checked += 1;
        match seal.filter(|s| (s.k1, s.k2) == (k1, k2)) {
            None => {
                let values = row_values(r, 2, t.cols.len())?;
                check.push(SealProblem::RowNotSealed {
                    table: t.name.clone(),
                    key: key_text(t, k1, k2),
                    label: label(t, &values),
                });
            }
            Some(s) => {
                count(&s, &mut check.figures);
                if s.mac != Some(t.row_mac(&base, k1, k2, r, 2, &mut buf)?) {
                    let sealed: Vec<u8> = conn
                        .prepare_cached(
                            "SELECT cols FROM main.seals WHERE tbl = ?1 AND k1 = ?2 AND k2 = ?3",
                        )?
                        .query_row(params![t.name, k1, k2], |c| c.get(0))
                        .optional()?
                        .unwrap_or_default();
                    let now = fingerprints(r, 2, t.cols.len())?;
                    let values = row_values(r, 2, t.cols.len())?;
                    let changed = changed_columns(&sealed, &now, t.cols.len())
                        .into_iter()
                        .map(|i| (t.cols[i].clone(), show(values[i])))
                        .collect();
                    check.push(SealProblem::RowChanged {
                        table: t.name.clone(),
                        key: key_text(t, k1, k2),
                        label: label(t, &values),
                        columns: changed,
                    });
                }
                seal = next_seal(&mut seals)?;
            }
        }
    }
    while let Some(s) = seal {
        count(&s, &mut check.figures);
        check.push(SealProblem::RowDeleted {
            table: t.name.clone(),
            key: key_text(t, s.k1, s.k2),
        });
        seal = next_seal(&mut seals)?;
    }
    check.figures.sum = format!("{sum:032x}");
    Ok(check)
}

fn row_values<'r>(
    r: &'r rusqlite::Row<'_>,
    from: usize,
    n: usize,
) -> rusqlite::Result<Vec<ValueRef<'r>>> {
    (from..from + n).map(|i| r.get_ref(i)).collect()
}

/// One entry of the chain as stored.
struct ChainEntry {
    at: String,
    digest: Vec<u8>,
    mac: Vec<u8>,
}

/// A chain entry's MAC: the previous MAC, seq, time and the state's digest,
/// under `base` (the key with [`CHAIN_DOMAIN`] absorbed).
fn chain_mac(base: &HmacSha256, prev: &[u8], seq: i64, at: &[u8], digest: &[u8]) -> [u8; 32] {
    let mut m = base.clone();
    for part in [
        prev,
        &seq.to_be_bytes(),
        &(at.len() as u64).to_be_bytes(),
        at,
        digest,
    ] {
        Mac::update(&mut m, part);
    }
    m.finalize().into_bytes().into()
}

/// The last chain entry: its seq and MAC.
fn last_chain_entry(conn: &Connection) -> Result<Option<(i64, Vec<u8>)>, JournalError> {
    Ok(conn
        .prepare_cached("SELECT seq, mac FROM main.seal_chain ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Whether the file's head is still the one this sealer remembers: same
/// seq and bytes, right after the chain entry it wrote.
fn still_the_head(
    conn: &Connection,
    c: &HeadCache,
    last: Option<&(i64, Vec<u8>)>,
) -> Result<bool, JournalError> {
    if last.is_none_or(|(seq, mac)| *seq != c.seq || mac[..] != c.mac[..]) {
        return Ok(false);
    }
    Ok(conn
        .prepare_cached("SELECT seq, state FROM main.seal_head WHERE id = 1")?
        .query_row([], |r| {
            Ok(r.get::<_, i64>(0)? == c.seq
                && r.get_ref(1)?.as_bytes().ok() == Some(c.json.as_bytes()))
        })
        .optional()?
        .unwrap_or(false))
}

fn key_text(t: &TableSpec, k1: i64, k2: i64) -> String {
    match &t.key {
        Key::Rowid => format!("id {k1}"),
        Key::Pk(a, None) => format!("{a} {k1}"),
        Key::Pk(a, Some(b)) => format!("{a} {k1}, {b} {k2}"),
    }
}

/// The column a cashier would recognise the row by, if it has one.
fn label(t: &TableSpec, values: &[ValueRef<'_>]) -> Option<String> {
    ["sale_no", "trade_no", "number", "name", "action"]
        .iter()
        .find_map(|want| t.cols.iter().position(|c| c == want))
        .map(|i| show(values[i]))
}

/// A value as the report shows it (long texts cut).
fn show(v: ValueRef<'_>) -> String {
    let mut s = match v {
        ValueRef::Null => "NULL".to_string(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
    };
    if s.chars().count() > 60 {
        s = s.chars().take(57).collect::<String>() + "...";
    }
    s
}

/// The head state as stored: the chain digest is over these bytes.
fn state_json(state: &State) -> String {
    serde_json::to_string(state).expect("state serialises")
}

fn read_head(conn: &Connection) -> Result<Option<(i64, State)>, JournalError> {
    let head: Option<(i64, String)> = conn
        .prepare_cached("SELECT seq, state FROM main.seal_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(head.map(|(seq, json)| {
        // A head that no longer parses is treated as empty: every table
        // then disagrees with it, which verify reports.
        (seq, serde_json::from_str(&json).unwrap_or_default())
    }))
}

fn chain_entry(conn: &Connection, seq: i64) -> Result<Option<ChainEntry>, JournalError> {
    Ok(conn
        .prepare_cached("SELECT at, digest, mac FROM main.seal_chain WHERE seq = ?1")?
        .query_row([seq], |r| {
            Ok(ChainEntry {
                at: r.get(0)?,
                digest: r.get(1)?,
                mac: r.get(2)?,
            })
        })
        .optional()?)
}

fn read_totals(conn: &Connection, terminal: &str) -> Result<Totals, JournalError> {
    Ok(conn
        .query_row(
            "SELECT sales, payments, paid, refunds, refunded FROM main.terminal_totals
              WHERE terminal = ?1",
            [terminal],
            |r| {
                Ok(Totals {
                    sales: r.get(0)?,
                    payments: r.get(1)?,
                    paid: r.get(2)?,
                    refunds: r.get(3)?,
                    refunded: r.get(4)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// A terminal's perpetual counters: they only ever grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Sales ever started.
    pub sales: i64,
    /// Approved payments and their NT$.
    pub payments: i64,
    pub paid: i64,
    /// Approved refunds and their NT$.
    pub refunds: i64,
    pub refunded: i64,
}

/// What a Z slip prints so the journal can later be checked from outside:
/// the chain entry, the terminal's perpetual totals and a keyed check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub terminal: String,
    pub seq: i64,
    pub totals: Totals,
    pub check: String,
}

impl std::fmt::Display for Anchor {
    /// `T01-57-12-11-1530-1-85-9F3A0C21BE`: terminal, chain entry, sales,
    /// payments, NT$ paid, refunds, NT$ refunded, check.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.totals;
        write!(
            f,
            "{}-{}-{}-{}-{}-{}-{}-{}",
            self.terminal, self.seq, t.sales, t.payments, t.paid, t.refunds, t.refunded, self.check
        )
    }
}

impl std::str::FromStr for Anchor {
    type Err = String;

    fn from_str(s: &str) -> Result<Anchor, String> {
        let bad = || format!("錨碼格式錯誤 / not an anchor code: {s:?}");
        let parts: Vec<&str> = s.trim().rsplitn(8, '-').collect();
        let [
            check,
            refunded,
            refunds,
            paid,
            payments,
            sales,
            seq,
            terminal,
        ] = parts[..]
        else {
            return Err(bad());
        };
        let n = |x: &str| x.parse::<i64>().map_err(|_| bad());
        if terminal.is_empty() || check.len() != 10 {
            return Err(bad());
        }
        Ok(Anchor {
            terminal: terminal.to_string(),
            seq: n(seq)?,
            totals: Totals {
                sales: n(sales)?,
                payments: n(payments)?,
                paid: n(paid)?,
                refunds: n(refunds)?,
                refunded: n(refunded)?,
            },
            check: check.to_ascii_uppercase(),
        })
    }
}

/// One thing `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SealProblem {
    /// A row whose content no longer matches its seal.
    RowChanged {
        table: String,
        key: String,
        label: Option<String>,
        /// Columns that differ from what was sealed, with their values now.
        columns: Vec<(String, String)>,
    },
    /// A row with no seal: written outside till.
    RowNotSealed {
        table: String,
        key: String,
        label: Option<String>,
    },
    /// A seal whose row is gone.
    RowDeleted { table: String, key: String },
    /// The table's seals do not add up to what the chain head recorded:
    /// rows removed or put back to an earlier state together with their seals.
    TableFigures {
        table: String,
        sealed_rows: u64,
        seals_now: u64,
        sealed_max: i64,
        max_now: i64,
    },
    /// A sealed table no longer exists.
    TableGone { table: String },
    /// A table, index or trigger differs from the sealed schema.
    SchemaObject {
        object: String,
        change: &'static str,
    },
    /// The chain entry does not follow from the one before (key or history).
    ChainBroken { seq: i64 },
    /// The head does not match the chain's last entry.
    HeadMismatch { seq: i64 },
    /// No chain head at all.
    NoHead,
    /// Something the till itself noticed while writing.
    Note { note: String },
    /// The anchor names a chain entry the journal no longer has.
    AnchorBeyondChain { anchor_seq: i64, chain_end: i64 },
    /// The chain entry exists but is not the one the anchor was taken from.
    AnchorMismatch { anchor_seq: i64 },
    /// A perpetual total is lower than on the anchor.
    TotalShrank {
        terminal: String,
        what: &'static str,
        anchored: i64,
        now: i64,
    },
}

impl SealProblem {
    /// The row, table or object concerned, the same in both languages, and
    /// what is wrong with it in `lang`.
    fn worded(&self, lang: crate::locale::Lang) -> (Option<String>, String) {
        use crate::locale::{fill, tr};
        let named = |key: &str, label: &Option<String>| match label {
            Some(l) => format!("{key} ({l})"),
            None => key.to_string(),
        };
        match self {
            SealProblem::RowChanged {
                table,
                key,
                label,
                columns,
            } => {
                let what = if columns.is_empty() {
                    tr(lang, "words.seal.column_unknown")
                } else {
                    columns
                        .iter()
                        .map(|(c, v)| {
                            fill(
                                lang,
                                "words.seal.column_now",
                                &[("column", c), ("value", v)],
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                (
                    Some(format!("{table} {}", named(key, label))),
                    fill(lang, "words.seal.row_changed", &[("columns", &what)]),
                )
            }
            SealProblem::RowNotSealed { table, key, label } => (
                Some(format!("{table} {}", named(key, label))),
                tr(lang, "words.seal.row_not_sealed"),
            ),
            SealProblem::RowDeleted { table, key } => (
                Some(format!("{table} {key}")),
                tr(lang, "words.seal.row_deleted"),
            ),
            SealProblem::TableFigures {
                table,
                sealed_rows,
                seals_now,
                sealed_max,
                max_now,
            } => (
                Some(table.clone()),
                fill(
                    lang,
                    "words.seal.table_figures",
                    &[
                        ("sealed_rows", sealed_rows),
                        ("seals_now", seals_now),
                        ("sealed_max", sealed_max),
                        ("max_now", max_now),
                    ],
                ),
            ),
            SealProblem::TableGone { table } => {
                (Some(table.clone()), tr(lang, "words.seal.table_gone"))
            }
            SealProblem::SchemaObject { object, change } => (
                Some(object.clone()),
                fill(lang, "words.seal.schema_object", &[("change", change)]),
            ),
            SealProblem::ChainBroken { seq } => {
                (None, fill(lang, "words.seal.chain_broken", &[("seq", seq)]))
            }
            SealProblem::HeadMismatch { seq } => (
                None,
                fill(lang, "words.seal.head_mismatch", &[("seq", seq)]),
            ),
            SealProblem::NoHead => (None, tr(lang, "words.seal.no_head")),
            // Worded by the till when it wrote the note.
            SealProblem::Note { note } => (None, note.clone()),
            SealProblem::AnchorBeyondChain {
                anchor_seq,
                chain_end,
            } => (
                None,
                fill(
                    lang,
                    "words.seal.anchor_beyond_chain",
                    &[("anchor", anchor_seq), ("end", chain_end)],
                ),
            ),
            SealProblem::AnchorMismatch { anchor_seq } => (
                None,
                fill(
                    lang,
                    "words.seal.anchor_mismatch",
                    &[("anchor", anchor_seq)],
                ),
            ),
            SealProblem::TotalShrank {
                terminal,
                what,
                anchored,
                now,
            } => (
                None,
                fill(
                    lang,
                    "words.seal.total_shrank",
                    &[
                        ("terminal", terminal),
                        ("what", what),
                        ("anchored", anchored),
                        ("now", now),
                    ],
                ),
            ),
        }
    }
}

impl crate::locale::Localized for SealProblem {
    fn message(&self, lang: crate::locale::Lang) -> String {
        match self.worded(lang) {
            (Some(subject), what) => format!("{subject}: {what}"),
            (None, what) => what,
        }
    }

    /// The subject once, then what is wrong in both languages; a note (already
    /// worded) once.
    fn both(&self) -> String {
        use crate::locale::Lang;
        if let SealProblem::Note { note } = self {
            return note.clone();
        }
        let (subject, zh) = self.worded(Lang::ZhTw);
        let (_, en) = self.worded(Lang::En);
        match subject {
            Some(subject) => format!("{subject}: {zh} / {en}"),
            None => format!("{zh} / {en}"),
        }
    }
}

crate::display_both!(SealProblem);

/// The result of checking the seals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SealReport {
    pub rows_checked: u64,
    pub chain_entries: u64,
    /// The last chain MAC (hex).
    pub head: String,
    /// The first problems found (at most [`SealReport::LISTED`]).
    pub problems: Vec<SealProblem>,
    /// Row problems beyond those listed.
    pub more: u64,
}

impl SealReport {
    pub const LISTED: usize = 200;

    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    fn push(&mut self, p: SealProblem) {
        if self.problems.len() < Self::LISTED {
            self.problems.push(p);
        } else {
            self.more += 1;
        }
    }
}

/// A write transaction that seals what it wrote when it commits. Derefs to
/// the SQLite transaction for the writes themselves.
pub(crate) struct WriteTx<'a> {
    tx: Transaction<'a>,
    sealer: Option<&'a Sealer>,
    at: String,
}

impl<'a> std::ops::Deref for WriteTx<'a> {
    type Target = Transaction<'a>;

    fn deref(&self) -> &Transaction<'a> {
        &self.tx
    }
}

impl WriteTx<'_> {
    /// Seal the rows written, extend the chain, commit: all or nothing.
    pub(crate) fn commit(self) -> Result<(), JournalError> {
        if let Some(sealer) = self.sealer {
            sealer.seal_dirty(&self.tx, &self.at)?;
        }
        self.tx.commit()?;
        Ok(())
    }
}

/// Begin a write (`BEGIN IMMEDIATE`) that seals on commit.
pub(crate) fn begin<'a>(
    conn: &'a mut Connection,
    sealer: Option<&'a Sealer>,
    at: String,
) -> Result<WriteTx<'a>, JournalError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    Ok(WriteTx { tx, sealer, at })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_changed_column_is_named_from_two_byte_and_older_one_byte_fingerprints() {
        // Three columns now, fingerprints 0a0b 1c1d 2e2f; the second changed.
        let now = [0x0a, 0x0b, 0x1c, 0x1d, 0x2e, 0x2f];
        let sealed_two = [0x0a, 0x0b, 0x99, 0x1d, 0x2e, 0x2f];
        assert_eq!(changed_columns(&sealed_two, &now, 3), vec![1]);
        // Only the second byte differs: one byte would have missed it.
        let sealed_low = [0x0a, 0x0b, 0x1c, 0x00, 0x2e, 0x2f];
        assert_eq!(changed_columns(&sealed_low, &now, 3), vec![1]);
        // A seal from before: one byte a column, compared with the first.
        let sealed_one = [0x0a, 0x77, 0x2e];
        assert_eq!(changed_columns(&sealed_one, &now, 3), vec![1]);
        assert!(changed_columns(&[0x0a, 0x1c, 0x2e], &now, 3).is_empty());
        // A column added after the row was sealed is not covered: named.
        assert_eq!(changed_columns(&[0x0a, 0x1c], &now, 3), vec![2]);
    }

    use super::*;

    fn hmac(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
        HmacSha256::new_from_slice(key)
            .unwrap()
            .chain_update(msg)
            .finalize()
            .into_bytes()
            .into()
    }

    fn len_prefixed(b: &[u8]) -> Vec<u8> {
        [&(b.len() as u64).to_be_bytes()[..], b].concat()
    }

    /// Row seals keep the format journals already hold: HMAC-SHA256 of
    /// "till-seal/row/v1", the length-prefixed table and column names, the
    /// key columns and each value typed (and length-prefixed), cut to 128
    /// bits. Spelled out here byte by byte, apart from the code under test.
    #[test]
    fn a_row_seal_is_the_v1_format() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, d, e);
             INSERT INTO t VALUES (7, NULL, -3, 1.5, '綠茶', x'00ff');",
        )
        .unwrap();
        let key_bytes = [5u8; 32];
        let key = SealKey::from_bytes(&key_bytes);
        let spec = discover(&conn).unwrap().remove(0);
        let got = conn
            .query_row(&spec.scan, [], |r| {
                spec.row_mac(
                    &spec.keyed(&key),
                    r.get(0)?,
                    r.get(1)?,
                    r,
                    2,
                    &mut Vec::new(),
                )
            })
            .unwrap();
        let mut msg = b"till-seal/row/v1".to_vec();
        msg.extend(len_prefixed(b"t"));
        for c in ["id", "a", "b", "c", "d", "e"] {
            msg.extend(len_prefixed(c.as_bytes()));
        }
        msg.extend(7i64.to_be_bytes());
        msg.extend(0i64.to_be_bytes());
        msg.push(1);
        msg.extend(7i64.to_be_bytes());
        msg.push(0);
        msg.push(1);
        msg.extend((-3i64).to_be_bytes());
        msg.push(2);
        msg.extend(1.5f64.to_bits().to_be_bytes());
        msg.push(3);
        msg.extend(len_prefixed("綠茶".as_bytes()));
        msg.push(4);
        msg.extend(len_prefixed(&[0, 0xff]));
        assert_eq!(got[..], hmac(&key_bytes, &msg)[..MAC_LEN]);
    }

    /// Chain entries keep their format too: HMAC-SHA256 of
    /// "till-seal/chain/v1", the previous MAC, seq, the length-prefixed
    /// time and the head state's digest.
    #[test]
    fn a_chain_entry_is_the_v1_format() {
        let key_bytes = [9u8; 32];
        let key = SealKey::from_bytes(&key_bytes);
        let (prev, at, digest) = ([3u8; 32], "2026-11-22T10:00:00.000+08:00", [4u8; 32]);
        let got = chain_mac(&key.keyed(CHAIN_DOMAIN), &prev, 12, at.as_bytes(), &digest);
        let mut msg = b"till-seal/chain/v1".to_vec();
        msg.extend(prev);
        msg.extend(12i64.to_be_bytes());
        msg.extend(len_prefixed(at.as_bytes()));
        msg.extend(digest);
        assert_eq!(got, hmac(&key_bytes, &msg));
    }
}
