//! A simulator's books: its order store and the charges it booked.
//!
//! Tests keep them in memory (one set per started simulator). Demo mode
//! keeps them in one small SQLite file next to the demo journal, shared by
//! every demo process (the GUI, `till pay`, `till refund`, …): each
//! process serves its own simulators on its own ports, but they all read
//! and write the same books. Every request's work on them is one
//! `BEGIN IMMEDIATE` transaction (load, change, store), so two processes
//! never interleave inside one vendor decision, and a process waits on a
//! busy file instead of failing ([`BUSY_TIMEOUT`]).
//!
//! Why a shared file rather than one long-lived simulator server: nothing
//! has to be started, found, kept alive or stopped; a demo command runs on
//! its own as before, and a crashed process leaves nothing half-running.
//! The books of a demo are small, so each transaction stores a simulator's
//! whole state as one JSON text.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Charge;

/// How long a demo process waits for another one holding the books.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The file demo simulators keep their books in, next to the demo journal.
pub const FILE_NAME: &str = "simulators.sqlite3";

/// What one simulator remembers: its own store, the charges it booked and
/// its numbering. Separate fields, so a handler can change an order, its
/// charge and take a number at once.
#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(bound(deserialize = "S: DeserializeOwned + Default"))]
pub(crate) struct Book<S> {
    #[serde(default)]
    pub store: S,
    #[serde(default)]
    pub charges: Charges,
    #[serde(default)]
    pub seq: Seq,
}

impl<S: Default> Default for Book<S> {
    fn default() -> Book<S> {
        Book {
            store: S::default(),
            charges: Charges::default(),
            seq: Seq::default(),
        }
    }
}

/// The charges a simulator booked.
#[derive(Debug, Default, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct Charges(pub Vec<Charge>);

impl Charges {
    pub fn charge(&mut self, c: Charge) {
        self.0.push(c);
    }

    /// Change the standing (not cancelled) charge under a merchant number.
    pub fn update(&mut self, trade_no: &str, f: impl FnOnce(&mut Charge)) {
        if let Some(c) = self
            .0
            .iter_mut()
            .find(|c| c.trade_no == trade_no && !c.cancelled)
        {
            f(c);
        }
    }
}

/// A vendor's own numbering. Durable books count in the file (unique
/// across every demo process); in-memory ones use a per-process counter
/// (unique across every simulator of a test), as they always did.
#[derive(Debug, Default, Serialize, serde::Deserialize)]
pub(crate) struct Seq {
    last: u64,
    #[serde(skip)]
    durable: bool,
}

impl Seq {
    /// The next value: from the books, or from `memory` for in-memory books.
    pub fn next(&mut self, memory: &AtomicU64) -> u64 {
        if self.durable {
            self.last += 1;
            self.last
        } else {
            memory.fetch_add(1, Ordering::Relaxed)
        }
    }

    /// A vendor's trade number: prefix + 10 digits.
    pub fn number(&mut self, prefix: &str) -> String {
        static N: AtomicU64 = AtomicU64::new(1);
        format!("{prefix}{:010}", self.next(&N))
    }
}

/// A simulator's books, in memory or in the demo file.
pub(crate) struct Books<S> {
    inner: Arc<Backing<S>>,
}

impl<S> std::fmt::Debug for Books<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.inner {
            Backing::Memory(_) => f.write_str("Books(memory)"),
            Backing::File { path, name, .. } => write!(f, "Books({name} in {})", path.display()),
        }
    }
}

impl<S> Clone for Books<S> {
    fn clone(&self) -> Self {
        Books {
            inner: self.inner.clone(),
        }
    }
}

enum Backing<S> {
    Memory(Mutex<Book<S>>),
    File {
        path: PathBuf,
        /// The simulator's row in the file.
        name: &'static str,
        conn: Mutex<Connection>,
    },
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data: keep using it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens (creating) the books file.
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL: readers never wait for a writer; the journal file does the same.
    let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS books (sim TEXT PRIMARY KEY, state TEXT NOT NULL)",
    )?;
    Ok(conn)
}

fn invalid(path: &Path, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "模擬器帳本無法使用 / the simulators' books {} cannot be used: {e} \
             (till demo reset 重新開始 / starts the demo afresh)",
            path.display()
        ),
    )
}

impl<S> Books<S>
where
    S: Serialize + DeserializeOwned + Default + Send + 'static,
{
    /// In-memory books, forgotten when the simulator stops.
    pub fn memory() -> Books<S> {
        Books {
            inner: Arc::new(Backing::Memory(Mutex::new(Book::default()))),
        }
    }

    /// The books of simulator `name` in the file at `path` (created when
    /// missing). Fails when the file cannot be opened or what it holds
    /// cannot be read.
    pub fn open(name: &'static str, path: &Path) -> std::io::Result<Books<S>> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let conn = connect(path).map_err(|e| invalid(path, e))?;
        let books = Books {
            inner: Arc::new(Backing::File {
                path: path.to_path_buf(),
                name,
                conn: Mutex::new(conn),
            }),
        };
        // Refuse unreadable books now, not in the middle of a payment.
        books.try_read(|_| ())?;
        Ok(books)
    }

    /// Run `f` on the books: one transaction in the demo file.
    ///
    /// Panics when the file fails under it (disk full, deleted): the
    /// request's connection is then dropped without an answer, which the
    /// client treats as a vendor that did not answer.
    pub fn with<R>(&self, f: impl FnOnce(&mut Book<S>) -> R) -> R {
        match &*self.inner {
            Backing::Memory(m) => f(&mut lock(m)),
            Backing::File { path, name, conn } => {
                let mut conn = lock(conn);
                transact(&mut conn, name, f).unwrap_or_else(|e| panic!("{}", invalid(path, e)))
            }
        }
    }

    /// Read the books (one consistent snapshot).
    pub fn read<R>(&self, f: impl FnOnce(&Book<S>) -> R) -> R {
        self.try_read(f).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_read<R>(&self, f: impl FnOnce(&Book<S>) -> R) -> std::io::Result<R> {
        match &*self.inner {
            Backing::Memory(m) => Ok(f(&lock(m))),
            Backing::File { path, name, conn } => {
                let conn = lock(conn);
                let book = load::<S>(&conn, name).map_err(|e| invalid(path, e))?;
                Ok(f(&book))
            }
        }
    }
}

fn load<S: DeserializeOwned + Default>(conn: &Connection, name: &str) -> anyhow::Result<Book<S>> {
    let text: Option<String> = conn
        .query_row("SELECT state FROM books WHERE sim = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    let mut book: Book<S> = match text {
        Some(t) => serde_json::from_str(&t)?,
        None => Book::default(),
    };
    book.seq.durable = true;
    Ok(book)
}

fn transact<S, R>(
    conn: &mut Connection,
    name: &str,
    f: impl FnOnce(&mut Book<S>) -> R,
) -> anyhow::Result<R>
where
    S: Serialize + DeserializeOwned + Default,
{
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut book = load::<S>(&tx, name)?;
    let r = f(&mut book);
    tx.execute(
        "INSERT INTO books (sim, state) VALUES (?1, ?2) \
         ON CONFLICT (sim) DO UPDATE SET state = excluded.state",
        (name, serde_json::to_string(&book)?),
    )?;
    tx.commit()?;
    Ok(r)
}

/// Forget everything the simulators of the books file at `path` booked
/// (`till demo reset`). One transaction: a demo process using the file
/// meanwhile sees the books either whole or empty.
pub fn clear(path: &Path) -> std::io::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let conn = connect(path).map_err(|e| invalid(path, e))?;
    conn.execute("DELETE FROM books", [])
        .map_err(|e| invalid(path, e))?;
    Ok(())
}

/// Read access to the charges of any simulator's books, for [`super::Ledger`].
pub(crate) trait ChargeBook: Send + Sync {
    fn charges(&self) -> Vec<Charge>;
    #[cfg(test)]
    fn change(&self, f: &mut dyn FnMut(&mut Vec<Charge>));
}

impl<S> ChargeBook for Books<S>
where
    S: Serialize + DeserializeOwned + Default + Send + 'static,
{
    fn charges(&self) -> Vec<Charge> {
        self.read(|b| b.charges.0.clone())
    }

    #[cfg(test)]
    fn change(&self, f: &mut dyn FnMut(&mut Vec<Charge>)) {
        self.with(|b| f(&mut b.charges.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Ntd;
    use crate::sale::GatewayId;

    #[derive(Debug, Default, Serialize, serde::Deserialize)]
    struct Counter {
        n: u32,
    }

    #[test]
    fn durable_books_are_shared_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let a = Books::<Counter>::open("x", &path).unwrap();
        a.with(|b| {
            b.store.n = 5;
            b.charges.charge(Charge {
                gateway: GatewayId::JkoPay,
                trade_no: "T1".into(),
                gateway_trade_no: "JK1".into(),
                amount: Ntd::new(100),
                refunded: Ntd::ZERO,
                cancelled: false,
            });
        });
        // Another process (another connection) sees it, and numbers go on.
        let b = Books::<Counter>::open("x", &path).unwrap();
        assert_eq!(b.read(|b| b.store.n), 5);
        assert_eq!(a.with(|b| b.seq.number("JK")), "JK0000000001");
        assert_eq!(b.with(|b| b.seq.number("JK")), "JK0000000002");
        // Another simulator's row is its own.
        let other = Books::<Counter>::open("y", &path).unwrap();
        assert_eq!(other.read(|b| b.store.n), 0);
        clear(&path).unwrap();
        assert_eq!(b.read(|b| (b.store.n, b.charges.0.len())), (0, 0));
    }

    #[test]
    fn concurrent_writers_lose_no_update() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        // Each thread has its own connection, as separate processes do.
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let books = Books::<Counter>::open("x", &path).unwrap();
                    for _ in 0..25 {
                        books.with(|b| b.store.n += 1);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let books = Books::<Counter>::open("x", &path).unwrap();
        assert_eq!(books.read(|b| b.store.n), 100);
    }

    #[test]
    fn unreadable_books_are_refused_at_start_naming_the_reset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let conn = connect(&path).unwrap();
        conn.execute("INSERT INTO books VALUES ('x', 'not json')", [])
            .unwrap();
        let e = Books::<Counter>::open("x", &path).err().unwrap();
        assert!(e.to_string().contains("till demo reset"), "{e}");
    }
}
