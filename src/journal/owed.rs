//! Work the till owes once money has moved, kept until it is done so that a
//! crash, a pulled cable or a closed window never loses it:
//!
//! - the e-invoice void / allowance of a refund whose money is back. A
//!   refund that will need one says so on the way out ([`INVOICE_DUE`] in
//!   its `Sending` detail, or its cash `Approved`); [`Journal::transition`]
//!   then records the debt in the same commit as the approval, and it is
//!   cleared only when the change is made (or found made);
//! - money a gateway took on an attempt the till had already closed (a
//!   PayPage paid after it expired or was cancelled, a notice of payment
//!   after a decline): the customer paid and must get it back. Recorded
//!   once per attempt, audited, listed until a manager settles it.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::{Journal, JournalError, Result, audit};
use crate::money::Ntd;
use crate::sale::{GatewayId, TradeNo};

/// Detail key on a refund's `Sending` (or a cash refund's `Approved`): the
/// sale has a live e-invoice from this till's rolls, to void or allowance
/// once the money is back.
pub const INVOICE_DUE: &str = "invoice_due";

/// Record, inside the transaction approving refund `attempt_id`, that its
/// e-invoice change is owed when one of its events said so.
pub(super) fn owe_invoice_change(
    tx: &rusqlite::Transaction<'_>,
    attempt_id: i64,
    now: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO invoice_changes_owed (attempt_id, since)
         SELECT ?1, ?2 WHERE EXISTS (
             SELECT 1 FROM attempt_events
              WHERE attempt_id = ?1
                AND json_extract(detail, '$.extra.invoice_due') = 1)",
    )?
    .execute(params![attempt_id, now])?;
    Ok(())
}

/// Money a gateway took on an attempt the till had already closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LatePayment {
    pub trade_no: TradeNo,
    pub gateway: Option<GatewayId>,
    /// The state the till had closed the attempt in.
    pub closed_as: String,
    pub amount: Ntd,
    pub gateway_trade_no: String,
    /// The notice or query that found it.
    pub source: String,
    pub found_at: String,
    /// `None` while the money is still owed back.
    pub settled_at: Option<String>,
    pub settled_by: Option<String>,
    pub settlement: Option<String>,
}

impl Journal {
    /// Refunds approved whose e-invoice change is still to make, oldest first.
    pub fn invoice_changes_owed(&self) -> Result<Vec<TradeNo>> {
        let rows = self
            .conn
            .prepare_cached(
                "SELECT a.trade_no FROM invoice_changes_owed o
                   JOIN attempts a ON a.id = o.attempt_id
                  ORDER BY o.since, o.attempt_id",
            )?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        rows.iter()
            .map(|t| {
                t.parse()
                    .map_err(|e| JournalError::Corrupt(format!("trade number {t:?}: {e}")))
            })
            .collect()
    }

    /// The e-invoice change refund `trade` owed is made (or nothing is
    /// owed any more): clear it, audited. Clearing twice changes nothing.
    pub fn invoice_change_settled(&mut self, trade: &TradeNo, outcome: &str) -> Result<()> {
        let (tx, now) = self.write()?;
        let gone = tx
            .prepare_cached(
                "DELETE FROM invoice_changes_owed
                  WHERE attempt_id = (SELECT id FROM attempts WHERE trade_no = ?1)",
            )?
            .execute([trade.to_string()])?;
        if gone > 0 {
            audit::append(
                &tx,
                &now,
                "till",
                "invoice.change_owed_settled",
                &trade.to_string(),
                &json!({ "outcome": outcome }),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Record that the gateway took `amount` on attempt `trade`, which the
    /// till had closed without it. Once per attempt: `false` when already
    /// on record.
    pub fn record_late_payment(
        &mut self,
        trade: &TradeNo,
        amount: Ntd,
        gateway_trade_no: &str,
        source: &str,
    ) -> Result<bool> {
        let (tx, now) = self.write()?;
        let attempt: Option<(i64, String)> = tx
            .prepare_cached("SELECT id, state FROM attempts WHERE trade_no = ?1")?
            .query_row([trade.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (id, state) = attempt.ok_or_else(|| JournalError::NoSuchAttempt(trade.to_string()))?;
        let added = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO late_payments
                     (attempt_id, amount, gateway_trade_no, source, found_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, amount.dollars(), gateway_trade_no, source, now])?;
        if added > 0 {
            audit::append(
                &tx,
                &now,
                "till",
                "payment.late",
                &trade.to_string(),
                &json!({
                    "closed_as": state,
                    "amount": amount.dollars(),
                    "gateway_trade_no": gateway_trade_no,
                    "source": source,
                }),
            )?;
        }
        tx.commit()?;
        Ok(added > 0)
    }

    /// Late payments, oldest first; only those still owed back when `open`.
    pub fn late_payments(&self, open: bool) -> Result<Vec<LatePayment>> {
        let sql = format!(
            "SELECT a.trade_no, a.gateway, a.state, l.amount, l.gateway_trade_no, l.source,
                    l.found_at, l.settled_at, l.settled_by, l.settlement
               FROM late_payments l JOIN attempts a ON a.id = l.attempt_id
              {} ORDER BY l.found_at, l.attempt_id",
            if open {
                "WHERE l.settled_at IS NULL"
            } else {
                ""
            }
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(
                |(trade, gateway, state, amount, gw_no, source, found, at, by, how)| {
                    Ok(LatePayment {
                        trade_no: trade.parse().map_err(|e| {
                            JournalError::Corrupt(format!("trade number {trade:?}: {e}"))
                        })?,
                        gateway: gateway.as_deref().and_then(GatewayId::parse),
                        closed_as: state,
                        amount: Ntd::new(amount),
                        gateway_trade_no: gw_no,
                        source,
                        found_at: found,
                        settled_at: at,
                        settled_by: by,
                        settlement: how,
                    })
                },
            )
            .collect()
    }

    /// A manager settled late payment `trade` (`how`: refunded in the back
    /// office, kept as the sale's payment with the customer's consent…).
    /// `false` when there is no such open late payment.
    pub fn settle_late_payment(&mut self, trade: &TradeNo, by: &str, how: &str) -> Result<bool> {
        let (tx, now) = self.write()?;
        let done = tx
            .prepare_cached(
                "UPDATE late_payments SET settled_at = ?2, settled_by = ?3, settlement = ?4
                  WHERE settled_at IS NULL
                    AND attempt_id = (SELECT id FROM attempts WHERE trade_no = ?1)",
            )?
            .execute(params![trade.to_string(), now, by, how])?;
        if done > 0 {
            audit::append(
                &tx,
                &now,
                by,
                "payment.late_settled",
                &trade.to_string(),
                &json!({ "settlement": how }),
            )?;
        }
        tx.commit()?;
        Ok(done > 0)
    }
}
