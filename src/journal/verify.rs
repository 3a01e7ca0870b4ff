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
use super::seal::{self, Anchor, SealKey, SealProblem, SealReport, Sealer, Snapshot};
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
    /// SQLite's check of one b-tree object (a table with its indexes, or
    /// `sqlite_schema` with the free list): index `i` of the list.
    Integrity(usize),
    Audit,
    Chain,
    Table(usize),
}

enum Done {
    Integrity(usize, Vec<String>),
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

/// What to check, read once from the snapshot every reader shares.
struct Plan {
    snap: Snapshot,
    btrees: Vec<Btree>,
}

impl Plan {
    fn read(conn: &Connection) -> Result<Plan> {
        Ok(Plan {
            snap: Snapshot::read(conn)?,
            btrees: btree_objects(conn)?,
        })
    }

    /// Every task, longest first, so no worker is left with a big one at
    /// the end. The weights are rows (as the head counts them) times the
    /// work per row, roughly: a MAC per sealed row; for SQLite's check, a
    /// look-up per row in each index.
    fn tasks_longest_first(&self) -> Vec<Task> {
        let snap = &self.snap;
        let mut tasks: Vec<(u64, Task)> = vec![
            (snap.sealed_rows("audit_log"), Task::Audit),
            (snap.chain_len(), Task::Chain),
        ];
        for (i, b) in self.btrees.iter().enumerate() {
            let rows = match b.table.as_str() {
                "seals" => snap.tables.iter().map(|t| snap.sealed_rows(t.name())).sum(),
                "seal_chain" => snap.chain_len(),
                t => snap.sealed_rows(t),
            };
            tasks.push((rows * (1 + 2 * b.indexes), Task::Integrity(i)));
        }
        for (i, t) in snap.tables.iter().enumerate() {
            tasks.push((2 * snap.sealed_rows(t.name()), Task::Table(i)));
        }
        tasks.sort_by_key(|t| std::cmp::Reverse(t.0));
        tasks.into_iter().map(|(_, t)| t).collect()
    }

    fn label(&self, task: &Task) -> String {
        match task {
            Task::Integrity(i) => format!("SQLite check of {}", self.btrees[*i].table),
            Task::Audit => "audit chain".into(),
            Task::Chain => "seal chain".into(),
            Task::Table(i) => format!("seals of {}", self.snap.tables[*i].name()),
        }
    }

    fn run(&self, task: &Task, key: &SealKey, conn: &Connection) -> Result<Done> {
        Ok(match task {
            Task::Integrity(i) => {
                Done::Integrity(*i, integrity_check_of(conn, &self.btrees[*i].table)?)
            }
            Task::Audit => Done::Audit(audit::verify(conn)?),
            Task::Chain => Done::Chain(seal::walk_chain(key, conn)?),
            Task::Table(i) => Done::Table(*i, seal::check_table(key, conn, &self.snap.tables[*i])?),
        })
    }
}

impl Journal {
    /// Each task of [`Journal::verify`] alone, one after another on one
    /// reader set up as `verify`'s are: `each(label, task)` must run
    /// `task` (benchmarks time them). Findings are not collected.
    #[doc(hidden)]
    pub fn verify_task_by_task(
        &self,
        mut each: impl FnMut(&str, &mut dyn FnMut() -> Result<()>) -> Result<()>,
    ) -> Result<()> {
        let (Some(sealer), Some(path)) = (&self.sealer, self.conn.path()) else {
            return Ok(());
        };
        let conn = reader(Path::new(path))?;
        conn.execute_batch("BEGIN")?;
        let plan = Plan::read(&conn)?;
        for task in plan.tasks_longest_first() {
            each(&plan.label(&task), &mut || {
                plan.run(&task, sealer.key(), &conn).map(drop)
            })?;
        }
        conn.execute_batch("COMMIT")?;
        Ok(())
    }
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
    let checks = Plan::read(&readers[0])?;
    let queue = Mutex::new(checks.tasks_longest_first().into_iter());
    let key = sealer.key();
    let plan = &checks;
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
                        done.push(plan.run(&task, key, &conn)?);
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
    let Plan { snap, btrees } = checks;
    let tables = &snap.tables;
    let mut sqlite: Vec<Option<Vec<String>>> = (0..btrees.len()).map(|_| None).collect();
    let mut audit = None;
    let mut chain = None;
    let mut checks: Vec<Option<seal::TableCheck>> = (0..tables.len()).map(|_| None).collect();
    let mut conns = Vec::new();
    for (conn, done) in results {
        conns.push(conn);
        for d in done {
            match d {
                Done::Integrity(i, x) => sqlite[i] = Some(x),
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
        sqlite: sqlite.into_iter().flat_map(|x| x.expect(all)).collect(),
        audit: audit.expect(all),
        seals: Some(seals),
        anchor: anchored,
    })
}

/// SQLite's own structural check, of the whole file in one go.
pub(crate) fn integrity_check(conn: &Connection) -> Result<Vec<String>> {
    messages(conn, "PRAGMA main.integrity_check")
}

/// A table whose b-trees SQLite checks as one task.
struct Btree {
    table: String,
    /// Its indexes (UNIQUE constraints and a WITHOUT ROWID key included):
    /// SQLite looks every row up in each.
    indexes: u64,
}

/// Every table of the file, and `sqlite_schema` (whose check also walks
/// the free list), in name order: the order their messages are reported in.
fn btree_objects(conn: &Connection) -> Result<Vec<Btree>> {
    let mut out = vec![Btree {
        table: "sqlite_schema".into(),
        indexes: 0,
    }];
    let mut stmt = conn.prepare(
        "SELECT t.name, (SELECT count(*) FROM main.sqlite_schema i
                          WHERE i.type = 'index' AND i.tbl_name = t.name)
           FROM main.sqlite_schema t WHERE t.type = 'table' ORDER BY t.name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Btree {
            table: r.get(0)?,
            indexes: r.get(1)?,
        })
    })?;
    for b in rows {
        out.push(b?);
    }
    Ok(out)
}

/// `PRAGMA integrity_check(<table>)`: everything the whole-file check does
/// for that table and its indexes (each b-tree's pages, every row's types,
/// NOT NULL and CHECK constraints, every row found in every index with the
/// same values, UNIQUE, the entry counts). What only the whole-file check
/// adds is the accounting of pages no table uses, which no query reads;
/// the free list is checked with `sqlite_schema`.
fn integrity_check_of(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let quoted = table.replace('\'', "''");
    messages(conn, &format!("PRAGMA main.integrity_check('{quoted}')"))
}

fn messages(conn: &Connection, pragma: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(pragma)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if rows == ["ok"] { Vec::new() } else { rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{AttemptState, Detail};
    use crate::money::Ntd;
    use crate::sale::{AttemptKind, Cart, Line, PayMethod, TerminalId};
    use chrono::NaiveDate;

    /// Reports find a day's sales through the `sales_by_date` index, while
    /// the seals are checked by reading the tables. An index entry edited
    /// in the file hides a sale from the day's list without touching a
    /// sealed row; SQLite's check, run table by table on the readers,
    /// still finds it (every row looked up in every index).
    #[test]
    fn an_index_edited_in_the_file_to_hide_a_sale_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let t01: TerminalId = "T01".parse().unwrap();
        {
            let mut j = Journal::open(&path).unwrap();
            for price in [60, 85, 130] {
                let mut cart = Cart::new();
                cart.add(Line::new("1", "拿鐵", 1, Ntd::new(price)).unwrap())
                    .unwrap();
                let sale = j.new_sale(&t01, day, "amy", &cart).unwrap();
                let trade = j
                    .begin_attempt(
                        &sale,
                        AttemptKind::Payment,
                        None,
                        PayMethod::Cash,
                        Ntd::new(price),
                        None,
                    )
                    .unwrap();
                j.transition(&trade, AttemptState::Approved, Detail::new())
                    .unwrap();
            }
            let listed = j.sales_by_date(day, day, None, 50).unwrap().items.len();
            assert_eq!(listed, 3);
            let intact = j.verify(None).unwrap();
            assert!(intact.is_intact(), "{intact:?}");
        }
        // The insider's edit: in the file itself, the first entry of the
        // index leaf moves to another day. No table row changes.
        let (page, page_size): (i64, i64) = {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap();
            let page = conn
                .query_row(
                    "SELECT pageno FROM dbstat WHERE name = 'sales_by_date' AND pagetype = 'leaf'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let size = conn
                .query_row("PRAGMA page_size", [], |r| r.get(0))
                .unwrap();
            (page, size)
        };
        let mut bytes = std::fs::read(&path).unwrap();
        let leaf = &mut bytes[((page - 1) * page_size) as usize..(page * page_size) as usize];
        let at = leaf
            .windows(10)
            .position(|w| w == b"2026-11-22")
            .expect("the index holds the day");
        leaf[at..at + 10].copy_from_slice(b"2026-11-29");
        std::fs::write(&path, &bytes).unwrap();

        let j = Journal::open(&path).unwrap();
        let listed = j.sales_by_date(day, day, None, 50).unwrap().items.len();
        assert_eq!(listed, 2, "the edit hides a sale from the day's list");
        let found = j.verify(None).unwrap();
        assert!(
            found.seals.as_ref().is_some_and(|s| s.is_intact()),
            "no sealed row changed: {:?}",
            found.seals
        );
        assert!(!found.is_intact());
        assert!(
            found.sqlite.iter().any(|m| m.contains("sales_by_date")),
            "{:?}",
            found.sqlite
        );
        assert_eq!(
            found.sqlite,
            j.integrity_check().unwrap(),
            "split by table, the same findings as the whole-file check"
        );
    }
}
