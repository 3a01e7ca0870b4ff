//! `till journal verify` in one pass: SQLite's structural check, the audit
//! chain, the seal chain and every sealed table, spread over the machine's
//! cores. Each worker reads through its own read-only connection (WAL
//! readers never wait for each other), and all of them read the same
//! snapshot: every commit the till makes moves the seal head, so readers
//! that agree on the head see the same journal.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::audit::{self, AuditReport};
use super::seal::{self, Anchor, SealProblem, SealReport, Sealer, Snapshot};
use super::{Journal, JournalError, Result};

/// Everything `journal verify` checks.
#[derive(Debug)]
pub struct Verification {
    /// SQLite's `integrity_check` messages (empty: the file is sound).
    pub sqlite: Vec<String>,
    pub audit: AuditReport,
    /// `None` for a file kept at a version before seals.
    pub seals: Option<SealReport>,
    /// What an anchor given to check found.
    pub anchor: Vec<SealProblem>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.sqlite.is_empty()
            && self.audit.is_intact()
            && self.seals.as_ref().is_some_and(|s| s.is_intact())
            && self.anchor.is_empty()
    }
}

/// One piece of work, on whichever reader is free.
enum Task {
    Integrity,
    Audit,
    Chain,
    Table(usize),
}

enum Done {
    Integrity(Vec<String>),
    Audit(AuditReport),
    Chain(seal::ChainWalk),
    Table(usize, seal::TableCheck),
}

impl Journal {
    /// Check everything `till journal verify` checks, and `anchor` if given.
    pub fn verify(&self, anchor: Option<&Anchor>) -> Result<Verification> {
        let path = self.conn.path().filter(|p| !p.is_empty()).map(Path::new);
        match (&self.sealer, path) {
            (Some(sealer), Some(path)) => {
                let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
                verify_in_parallel(sealer, path, workers.clamp(1, 8), anchor)
            }
            _ => Ok(Verification {
                sqlite: self.integrity_check()?,
                audit: self.verify_audit()?,
                seals: self.verify_seals()?,
                anchor: match anchor {
                    Some(a) => self.check_anchor(a)?,
                    None => Vec::new(),
                },
            }),
        }
    }
}

/// A read-only connection for checking: a large page cache and the file
/// memory-mapped, since the check reads every page once or more.
fn reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    // SQLite caps mmap at its compile-time limit (2 GB by default).
    let _: i64 = conn.query_row("PRAGMA mmap_size = 1099511627776", [], |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", -128 * 1024)?;
    Ok(conn)
}

/// Start a read transaction on every reader and make sure they all see
/// the same chain head; retry if a commit slipped in between.
fn same_snapshot(readers: &[Connection]) -> Result<bool> {
    let mut heads = Vec::with_capacity(readers.len());
    for r in readers {
        r.execute_batch("BEGIN")?;
        let head: Option<i64> = r
            .query_row("SELECT seq FROM main.seal_head WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()?;
        heads.push(head);
    }
    if heads.windows(2).all(|w| w[0] == w[1]) {
        return Ok(true);
    }
    for r in readers {
        r.execute_batch("ROLLBACK")?;
    }
    Ok(false)
}

fn verify_in_parallel(
    sealer: &Sealer,
    path: &Path,
    workers: usize,
    anchor: Option<&Anchor>,
) -> Result<Verification> {
    let readers: Vec<Connection> = (0..workers).map(|_| reader(path)).collect::<Result<_>>()?;
    let mut agreed = false;
    for _ in 0..10 {
        if same_snapshot(&readers)? {
            agreed = true;
            break;
        }
    }
    if !agreed {
        return Err(JournalError::Corrupt(
            "日誌一直在寫入,無法取得一致的快照 / the journal kept changing: no consistent snapshot to check"
                .into(),
        ));
    }
    let snap = Snapshot::read(&readers[0])?;
    // Longest first, so no worker is left with a big table at the end.
    let mut tasks: Vec<(u64, Task)> = vec![
        (snap.sealed_rows("audit_log"), Task::Audit),
        (snap.chain_len(), Task::Chain),
    ];
    let all_rows: u64 = snap.tables.iter().map(|t| snap.sealed_rows(t.name())).sum();
    // integrity_check reads every table and index: weigh it as the rows.
    tasks.push((all_rows, Task::Integrity));
    for (i, t) in snap.tables.iter().enumerate() {
        tasks.push((snap.sealed_rows(t.name()), Task::Table(i)));
    }
    tasks.sort_by_key(|t| std::cmp::Reverse(t.0));
    let queue = Mutex::new(tasks.into_iter().map(|(_, t)| t));
    let key = sealer.key();
    let tables = &snap.tables;
    let results: Vec<(Connection, Vec<Done>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = readers
            .into_iter()
            .map(|conn| {
                let queue = &queue;
                scope.spawn(move || -> Result<(Connection, Vec<Done>)> {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some(task) = next else { break };
                        done.push(match task {
                            Task::Integrity => Done::Integrity(integrity_check(&conn)?),
                            Task::Audit => Done::Audit(audit::verify(&conn)?),
                            Task::Chain => Done::Chain(seal::walk_chain(key, &conn)?),
                            Task::Table(i) => {
                                Done::Table(i, seal::check_table(key, &conn, &tables[i])?)
                            }
                        });
                    }
                    Ok((conn, done))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a verify worker panicked"))
            .collect::<Result<Vec<_>>>()
    })?;
    let mut sqlite = None;
    let mut audit = None;
    let mut chain = None;
    let mut checks: Vec<Option<seal::TableCheck>> = (0..tables.len()).map(|_| None).collect();
    let mut conns = Vec::new();
    for (conn, done) in results {
        conns.push(conn);
        for d in done {
            match d {
                Done::Integrity(x) => sqlite = Some(x),
                Done::Audit(x) => audit = Some(x),
                Done::Chain(x) => chain = Some(x),
                Done::Table(i, x) => checks[i] = Some(x),
            }
        }
    }
    let anchored = match anchor {
        Some(a) => sealer.check_anchor(&conns[0], a)?,
        None => Vec::new(),
    };
    let all = "every task ran";
    let seals = snap.report(
        chain.expect(all),
        checks.into_iter().map(|c| c.expect(all)).collect(),
    );
    Ok(Verification {
        sqlite: sqlite.expect(all),
        audit: audit.expect(all),
        seals: Some(seals),
        anchor: anchored,
    })
}

/// SQLite's own structural check.
pub(crate) fn integrity_check(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if rows == ["ok"] { Vec::new() } else { rows })
}
