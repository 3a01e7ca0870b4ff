//! Payment codes (JKoPay CardTokens) kept encrypted while their attempt is
//! unsettled (schema v8). "Sealed" here means encrypted with a key the
//! journal does not hold; it is not the row seals of `journal::seal`.
//!
//! The journal only stores bytes it cannot read: the sealing key is not
//! in the journal (see `gateway::jkopay::seal`). A row lives from before
//! the request goes out until the attempt reaches a final state; then
//! [`Journal::transition`] deletes it in the same commit, and
//! `secure_delete` overwrites the freed bytes in the file.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Journal, JournalError, Result};
use crate::sale::TradeNo;

impl Journal {
    /// Keep `sealed` for the unsettled attempt `trade`.
    pub fn keep_sealed_code(&mut self, trade: &TradeNo, sealed: &[u8]) -> Result<()> {
        let (tx, _) = self.write()?;
        let n = tx.execute(
            "INSERT INTO sealed_codes (attempt_id, sealed)
             SELECT id, ?2 FROM attempts
             WHERE trade_no = ?1 AND state IN ('created','sending','unknown','cancelling')
             ON CONFLICT (attempt_id) DO UPDATE SET sealed = excluded.sealed",
            params![trade.to_string(), sealed],
        )?;
        if n == 0 {
            return Err(JournalError::NoSuchAttempt(trade.to_string()));
        }
        tx.commit()?;
        Ok(())
    }

    /// The sealed code kept for `trade`, while its attempt is unsettled.
    pub fn sealed_code(&self, trade: &TradeNo) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT c.sealed FROM sealed_codes c JOIN attempts a ON a.id = c.attempt_id
                 WHERE a.trade_no = ?1",
            )?
            .query_row([trade.to_string()], |r| r.get(0))
            .optional()?)
    }
}

/// Inside a transition to a final state: the code is no longer needed.
pub(super) fn drop_sealed_code(tx: &Transaction<'_>, attempt_id: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM sealed_codes WHERE attempt_id = ?1")?
        .execute([attempt_id])?;
    Ok(())
}
