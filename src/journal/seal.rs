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
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
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
            m.update(p);
        }
        m.finalize().into_bytes().into()
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
}

impl TableSpec {
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

    /// A row's seal and its per-column fingerprints.
    fn seal(
        &self,
        key: &SealKey,
        k1: i64,
        k2: i64,
        values: &[ValueRef<'_>],
    ) -> ([u8; MAC_LEN], Vec<u8>) {
        (self.mac(key, k1, k2, values), fingerprints(values))
    }

    /// The row's seal: HMAC of the table, key and every column, typed.
    fn mac(&self, key: &SealKey, k1: i64, k2: i64, values: &[ValueRef<'_>]) -> [u8; MAC_LEN] {
        let mut body = Vec::with_capacity(128);
        for v in values {
            encode_value(&mut body, *v);
        }
        let full = key.mac(&[&self.header, &k1.to_be_bytes(), &k2.to_be_bytes(), &body]);
        let mut mac = [0; MAC_LEN];
        mac.copy_from_slice(&full[..MAC_LEN]);
        mac
    }
}

/// One byte per column, so a changed row can say which column changed.
/// A hint only (the seal is what proves): 1 change in 256 goes unnamed.
fn fingerprints(values: &[ValueRef<'_>]) -> Vec<u8> {
    let mut one = Vec::with_capacity(64);
    values
        .iter()
        .map(|v| {
            one.clear();
            encode_value(&mut one, *v);
            Sha256::digest(&one)[0]
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

/// A value with its SQLite type: 1 and '1' and 1.0 all differ.
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
            push_len_prefixed(out, t);
        }
        ValueRef::Blob(b) => {
            out.push(4);
            push_len_prefixed(out, b);
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
        out.push(TableSpec {
            name,
            cols,
            key,
            header,
        });
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
}

const CHAIN_GENESIS: [u8; 32] = [0; 32];

impl Sealer {
    /// The sealer for the tables of this file.
    pub(crate) fn new(conn: &Connection, key: SealKey) -> Result<Sealer, JournalError> {
        Ok(Sealer {
            key,
            tables: discover(conn)?,
        })
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
            let mut ts = TableState::default();
            let mut sum = 0u128;
            let mut stmt = conn.prepare(&t.scan_sql())?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (k1, k2): (i64, i64) = (r.get(0)?, r.get(1)?);
                let values = row_values(r, 2, t.cols.len())?;
                let (mac, cols) = t.seal(&self.key, k1, k2, &values);
                insert.execute(params![t.name, k1, k2, &mac[..], cols])?;
                ts.rows += 1;
                ts.max = ts.max.max(k1);
                sum = sum.wrapping_add(u128_of(&mac));
            }
            ts.sum = format!("{sum:032x}");
            state.tables.insert(t.name.clone(), ts);
        }
        self.append_chain(conn, at, &state)
    }

    /// Seal the rows this transaction wrote and extend the chain.
    pub(crate) fn seal_dirty(&self, conn: &Connection, at: &str) -> Result<(), JournalError> {
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
            let ts = state.tables.entry(name.clone()).or_default();
            let mut sum = ts.sum();
            let mut stmt = conn.prepare_cached(&t.dirty_sql())?;
            let mut rows = stmt.query([&name])?;
            while let Some(r) = rows.next()? {
                let (k1, k2): (i64, i64) = (r.get(0)?, r.get(1)?);
                let old: Option<Vec<u8>> = r.get(2)?;
                let present: bool = r.get(3)?;
                if let Some(old) = &old {
                    sum = sum.wrapping_sub(u128_of(old));
                    ts.rows = ts.rows.saturating_sub(1);
                }
                if present {
                    let values = row_values(r, 4, t.cols.len())?;
                    let (mac, cols) = t.seal(&self.key, k1, k2, &values);
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
        conn.execute("DELETE FROM temp.seal_dirty", [])?;
        self.append_chain(conn, at, &state)
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
                digest == state_digest(state).to_vec()
                    && mac == self.chain_mac(&prev, seq, &at, &digest).to_vec()
            }
            _ => false,
        })
    }

    fn chain_mac(&self, prev: &[u8], seq: i64, at: &str, digest: &[u8]) -> [u8; 32] {
        self.key.mac(&[
            b"till-seal/chain/v1",
            prev,
            &seq.to_be_bytes(),
            &(at.len() as u64).to_be_bytes(),
            at.as_bytes(),
            digest,
        ])
    }

    fn append_chain(&self, conn: &Connection, at: &str, state: &State) -> Result<(), JournalError> {
        let last: Option<(i64, Vec<u8>)> = conn
            .prepare_cached("SELECT seq, mac FROM main.seal_chain ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (seq, prev) = match last {
            Some((seq, mac)) => (seq + 1, mac),
            None => (1, CHAIN_GENESIS.to_vec()),
        };
        let digest = state_digest(state);
        let mac = self.chain_mac(&prev, seq, at, &digest);
        conn.prepare_cached(
            "INSERT INTO main.seal_chain (seq, at, digest, mac) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![seq, at, &digest[..], &mac[..]])?;
        let json = serde_json::to_string(state).expect("state serialises");
        conn.prepare_cached(
            "INSERT INTO main.seal_head (id, seq, state) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, state = excluded.state",
        )?
        .execute(params![seq, json])?;
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

    /// Recompute every seal, the table figures and the chain.
    pub(crate) fn verify(&self, conn: &Connection) -> Result<SealReport, JournalError> {
        let mut report = SealReport::default();
        // The chain, entry by entry.
        let mut prev = CHAIN_GENESIS.to_vec();
        let mut expected = 1i64;
        let mut last_digest = Vec::new();
        {
            let mut stmt =
                conn.prepare("SELECT seq, at, digest, mac FROM main.seal_chain ORDER BY seq")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (seq, at, digest, mac): (i64, String, Vec<u8>, Vec<u8>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                if seq != expected || mac != self.chain_mac(&prev, seq, &at, &digest).to_vec() {
                    report.problems.push(SealProblem::ChainBroken { seq });
                    break;
                }
                prev = mac;
                last_digest = digest;
                expected += 1;
            }
        }
        report.chain_entries = (expected - 1) as u64;
        report.head = hex::encode(&prev);
        let state = match read_head(conn)? {
            None => {
                report.problems.push(SealProblem::NoHead);
                State::default()
            }
            Some((seq, state)) => {
                if seq != expected - 1 || state_digest(&state).to_vec() != last_digest {
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
        let now = schema_listing(conn)?;
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
        let tables = discover(conn)?;
        for t in &tables {
            let sealed = state.tables.get(&t.name).cloned().unwrap_or_default();
            let found = self.verify_table(conn, t, &mut report)?;
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
            if !tables.iter().any(|t| &t.name == name) {
                report.problems.push(SealProblem::TableGone {
                    table: name.clone(),
                });
            }
        }
        Ok(report)
    }

    /// Merge the table (in key order) with its seals (in key order).
    /// Returns the figures of the seals as they are now.
    fn verify_table(
        &self,
        conn: &Connection,
        t: &TableSpec,
        report: &mut SealReport,
    ) -> Result<TableState, JournalError> {
        let mut rows_stmt = conn.prepare(&t.scan_sql())?;
        let mut seals_stmt = conn
            .prepare("SELECT k1, k2, mac, cols FROM main.seals WHERE tbl = ?1 ORDER BY k1, k2")?;
        let mut rows = rows_stmt.query([])?;
        let mut seals = seals_stmt.query([&t.name])?;
        let mut figures = TableState::default();
        let mut sum = 0u128;
        let next_seal = |seals: &mut rusqlite::Rows<'_>| -> rusqlite::Result<Option<StoredSeal>> {
            Ok(match seals.next()? {
                Some(s) => Some(StoredSeal {
                    k1: s.get(0)?,
                    k2: s.get(1)?,
                    mac: s.get(2)?,
                    cols: s.get(3)?,
                }),
                None => None,
            })
        };
        let mut seal = next_seal(&mut seals)?;
        let mut count_seal = |s: &StoredSeal, figures: &mut TableState| {
            figures.rows += 1;
            figures.max = figures.max.max(s.k1);
            sum = sum.wrapping_add(u128_of(&s.mac));
        };
        while let Some(r) = rows.next()? {
            let (k1, k2): (i64, i64) = (r.get(0)?, r.get(1)?);
            // Seals before this row belong to rows that are gone.
            while let Some(s) = seal.as_ref().filter(|s| (s.k1, s.k2) < (k1, k2)) {
                count_seal(s, &mut figures);
                report.push(SealProblem::RowDeleted {
                    table: t.name.clone(),
                    key: key_text(t, s.k1, s.k2),
                });
                seal = next_seal(&mut seals)?;
            }
            let values = row_values(r, 2, t.cols.len())?;
            report.rows_checked += 1;
            match seal.as_ref().filter(|s| (s.k1, s.k2) == (k1, k2)) {
                None => report.push(SealProblem::RowNotSealed {
                    table: t.name.clone(),
                    key: key_text(t, k1, k2),
                    label: label(t, &values),
                }),
                Some(s) => {
                    count_seal(s, &mut figures);
                    let mac = t.mac(&self.key, k1, k2, &values);
                    if mac[..] != s.mac[..] {
                        let fingerprints = fingerprints(&values);
                        let changed = t
                            .cols
                            .iter()
                            .zip(&values)
                            .enumerate()
                            .filter(|(i, _)| s.cols.get(*i) != fingerprints.get(*i))
                            .map(|(_, (c, v))| (c.clone(), show(*v)))
                            .collect();
                        report.push(SealProblem::RowChanged {
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
        while let Some(s) = seal.as_ref() {
            count_seal(s, &mut figures);
            report.push(SealProblem::RowDeleted {
                table: t.name.clone(),
                key: key_text(t, s.k1, s.k2),
            });
            seal = next_seal(&mut seals)?;
        }
        figures.sum = format!("{sum:032x}");
        Ok(figures)
    }
}

fn row_values<'r>(
    r: &'r rusqlite::Row<'_>,
    from: usize,
    n: usize,
) -> rusqlite::Result<Vec<ValueRef<'r>>> {
    (from..from + n).map(|i| r.get_ref(i)).collect()
}

/// A row's seal as stored.
struct StoredSeal {
    k1: i64,
    k2: i64,
    mac: Vec<u8>,
    cols: Vec<u8>,
}

/// One entry of the chain as stored.
struct ChainEntry {
    at: String,
    digest: Vec<u8>,
    mac: Vec<u8>,
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

fn state_digest(state: &State) -> [u8; 32] {
    Sha256::digest(serde_json::to_vec(state).expect("state serialises")).into()
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

impl std::fmt::Display for SealProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let named = |label: &Option<String>| {
            label
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        };
        match self {
            SealProblem::RowChanged {
                table,
                key,
                label,
                columns,
            } => {
                write!(
                    f,
                    "{table} {key}{}: 內容與封存不符 / changed since it was sealed",
                    named(label)
                )?;
                if columns.is_empty() {
                    write!(f, " (changed column not identified)")
                } else {
                    let mut list = String::new();
                    for (i, (c, v)) in columns.iter().enumerate() {
                        let _ = write!(list, "{}{c} is now {v}", if i > 0 { ", " } else { "" });
                    }
                    write!(f, ": {list}")
                }
            }
            SealProblem::RowNotSealed { table, key, label } => write!(
                f,
                "{table} {key}{}: 沒有封存,非由 till 寫入 / not sealed: written outside till",
                named(label)
            ),
            SealProblem::RowDeleted { table, key } => {
                write!(f, "{table} {key}: 已封存的資料被刪除 / sealed row deleted")
            }
            SealProblem::TableFigures {
                table,
                sealed_rows,
                seals_now,
                sealed_max,
                max_now,
            } => write!(
                f,
                "{table}: 封存總數不符 / the table's seals do not add up to the chain head \
                 (rows sealed {sealed_rows}, now {seals_now}; highest id ever sealed {sealed_max}, now {max_now}): \
                 rows deleted or put back to an earlier state together with their seals"
            ),
            SealProblem::TableGone { table } => {
                write!(f, "{table}: 已封存的資料表不見了 / sealed table dropped")
            }
            SealProblem::SchemaObject { object, change } => write!(
                f,
                "{object}: 資料庫結構被更動 / schema object {change} outside till"
            ),
            SealProblem::ChainBroken { seq } => write!(
                f,
                "封存鏈第 {seq} 筆斷裂 / seal chain entry {seq} does not follow the one before (wrong key, or entries edited, deleted or reordered)"
            ),
            SealProblem::HeadMismatch { seq } => write!(
                f,
                "封存鏈頭 {seq} 與鏈不符 / the seal head ({seq}) does not match the chain's last entry"
            ),
            SealProblem::NoHead => write!(f, "沒有封存鏈頭 / no seal head"),
            SealProblem::Note { note } => write!(f, "{note}"),
            SealProblem::AnchorBeyondChain {
                anchor_seq,
                chain_end,
            } => write!(
                f,
                "日誌在封存鏈第 {chain_end} 筆結束,早於錨碼的第 {anchor_seq} 筆:日誌被截斷或還原 / \
                 the journal's chain ends at entry {chain_end}, before the anchor's {anchor_seq}: \
                 the journal was cut off or restored from an older copy"
            ),
            SealProblem::AnchorMismatch { anchor_seq } => write!(
                f,
                "封存鏈第 {anchor_seq} 筆與錨碼不符 / chain entry {anchor_seq} is not the one the anchor was printed from \
                 (history rewritten, another journal, or a mistyped code)"
            ),
            SealProblem::TotalShrank {
                terminal,
                what,
                anchored,
                now,
            } => write!(
                f,
                "{terminal} 累計 {what} 由 {anchored} 減為 {now} / perpetual {what} of {terminal} went down from {anchored} to {now}"
            ),
        }
    }
}

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
