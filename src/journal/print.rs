//! Print jobs: receipts, e-invoice proofs, slips. Journaled so that a job
//! interrupted by paper-out or a crash is printed again, and so that every
//! reprint (補印) is on record.

use std::fmt;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::{Journal, JournalError, Result, audit, parse_sale_no};
use crate::sale::SaleNo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintState {
    Queued,
    Printing,
    Done,
    /// Will be retried (paper out, cover open, printer off).
    Failed,
}

impl PrintState {
    fn as_str(self) -> &'static str {
        match self {
            PrintState::Queued => "queued",
            PrintState::Printing => "printing",
            PrintState::Done => "done",
            PrintState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<PrintState> {
        Ok(match s {
            "queued" => PrintState::Queued,
            "printing" => PrintState::Printing,
            "done" => PrintState::Done,
            "failed" => PrintState::Failed,
            _ => return Err(JournalError::Corrupt(format!("bad print state {s:?}"))),
        })
    }
}

impl fmt::Display for PrintState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One document to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintJob {
    pub id: i64,
    pub sale: Option<SaleNo>,
    /// Document kind: `receipt`, `invoice_proof`, `invoice_detail`, `refund_slip`, `report`…
    pub kind: String,
    /// The bytes for the printer (ESC/POS).
    pub payload: Vec<u8>,
    pub state: PrintState,
    pub attempts: u32,
    pub reprint: bool,
    pub last_error: Option<String>,
}

impl Journal {
    /// Queue a document. A reprint is written to the audit log with who asked.
    pub fn enqueue_print(
        &mut self,
        sale: Option<&SaleNo>,
        kind: &str,
        payload: &[u8],
        reprint: bool,
        by: &str,
    ) -> Result<i64> {
        let (tx, now) = self.write()?;
        let sale_id = match sale {
            Some(s) => Some(super::sales::sale_row(&tx, s)?.id),
            None => None,
        };
        let id: i64 = tx.query_row(
            "INSERT INTO print_jobs (sale_id, kind, payload, state, reprint, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?5) RETURNING id",
            params![sale_id, kind, payload, reprint, now],
            |r| r.get(0),
        )?;
        if reprint {
            audit::append(
                &tx,
                &now,
                by,
                "print.reprint",
                &sale.map(|s| s.to_string()).unwrap_or_default(),
                &json!({ "job": id, "kind": kind }),
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// Queued or failed → printing; counts the attempt.
    pub fn start_print(&mut self, id: i64) -> Result<()> {
        self.print_move(
            id,
            &[PrintState::Queued, PrintState::Failed],
            PrintState::Printing,
            None,
            "start",
        )
    }

    /// Printing → done.
    pub fn finish_print(&mut self, id: i64) -> Result<()> {
        self.print_move(
            id,
            &[PrintState::Printing],
            PrintState::Done,
            None,
            "finish",
        )
    }

    /// Printing → failed, to be retried.
    pub fn fail_print(&mut self, id: i64, error: &str) -> Result<()> {
        self.print_move(
            id,
            &[PrintState::Printing],
            PrintState::Failed,
            Some(error),
            "fail",
        )
    }

    /// After a crash: jobs left `printing` go back to `queued` (a receipt
    /// printed twice is better than one never printed). Returns how many.
    pub fn requeue_interrupted_prints(&mut self) -> Result<usize> {
        let (tx, now) = self.write()?;
        let n = tx.execute(
            "UPDATE print_jobs SET state = 'queued', updated_at = ?1 WHERE state = 'printing'",
            [now],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Jobs not yet done, oldest first.
    pub fn pending_print_jobs(&self) -> Result<Vec<PrintJob>> {
        let raw = self
            .conn
            .prepare(
                "SELECT p.id, s.sale_no, p.kind, p.payload, p.state, p.attempts, p.reprint, p.last_error
                 FROM print_jobs p LEFT JOIN sales s ON s.id = p.sale_id
                 WHERE p.state <> 'done' ORDER BY p.id",
            )?
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, u32>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(
                |(id, sale, kind, payload, state, attempts, reprint, last_error)| {
                    Ok(PrintJob {
                        id,
                        sale: sale.as_deref().map(parse_sale_no).transpose()?,
                        kind,
                        payload,
                        state: PrintState::parse(&state)?,
                        attempts,
                        reprint,
                        last_error,
                    })
                },
            )
            .collect()
    }

    fn print_move(
        &mut self,
        id: i64,
        from: &[PrintState],
        to: PrintState,
        error: Option<&str>,
        action: &'static str,
    ) -> Result<()> {
        let (tx, now) = self.write()?;
        let state: String = tx
            .query_row("SELECT state FROM print_jobs WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(JournalError::NoSuchPrintJob(id))?;
        let state = PrintState::parse(&state)?;
        if !from.contains(&state) {
            return Err(JournalError::PrintJobState { id, state, action });
        }
        tx.execute(
            "UPDATE print_jobs SET state = ?2, updated_at = ?3,
                 attempts = attempts + (?2 = 'printing'),
                 last_error = COALESCE(?4, last_error)
             WHERE id = ?1",
            params![id, to.as_str(), now, error],
        )?;
        tx.commit()?;
        Ok(())
    }
}
