//! E-invoices MyPay still owes the till (schema v7). MyPay issues the
//! invoice after the payment and reports it separately (2020 manual §11,
//! 回報類型 6 "電子發票通知回報": "會先收到交易回報,等電子發票開立完成時,
//! 電子發票進行回報"), so the answer that approves a payment often has no
//! invoice yet. Such an approval says so ([`MYPAY_INVOICE_DUE`] in its
//! detail) and [`Journal::transition`] records the debt in the same
//! commit; it stays listed until the invoice is fetched, which is
//! journaled (and audited) with MyPay's fields as sent.

use rusqlite::{OptionalExtension, params};

use super::{Detail, Journal, JournalError, Result, audit};
use crate::money::Ntd;
use crate::sale::{SaleNo, TradeNo};

/// Detail key on a MyPay payment's `Approved`: MyPay issues this sale's
/// invoice, and the answer carried none yet.
pub const MYPAY_INVOICE_DUE: &str = "mypay_invoice_due";

/// A MyPay invoice not fetched yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MypayInvoiceDue {
    pub trade_no: TradeNo,
    pub sale_no: SaleNo,
    pub amount: Ntd,
    /// When the payment was approved without it.
    pub since: String,
    /// Fetches tried so far, and why the last one found nothing usable.
    pub tries: u32,
    pub last_error: Option<String>,
}

/// Inside the transaction approving payment `attempt_id`.
pub(super) fn owe_if_due(
    tx: &rusqlite::Transaction<'_>,
    attempt_id: i64,
    detail: &Detail,
    now: &str,
) -> Result<()> {
    if detail.extra.mypay_invoice_due == Some(true) {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO mypay_invoices_due (attempt_id, since) VALUES (?1, ?2)",
        )?
        .execute(params![attempt_id, now])?;
    }
    Ok(())
}

fn parse<T: std::str::FromStr>(s: &str, what: &str) -> Result<T> {
    s.parse()
        .map_err(|_| JournalError::Corrupt(format!("{what} {s:?}")))
}

impl Journal {
    /// MyPay invoices still to fetch, oldest first.
    pub fn mypay_invoices_due(&self) -> Result<Vec<MypayInvoiceDue>> {
        let rows = self
            .conn
            .prepare_cached(
                "SELECT a.trade_no, s.sale_no, a.amount, d.since, d.tries, d.last_error
                   FROM mypay_invoices_due d
                   JOIN attempts a ON a.id = d.attempt_id
                   JOIN sales s ON s.id = a.sale_id
                  WHERE d.fetched_at IS NULL
                  ORDER BY d.since, d.attempt_id",
            )?
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(t, s, amount, since, tries, last_error)| {
                Ok(MypayInvoiceDue {
                    trade_no: parse(&t, "trade number")?,
                    sale_no: parse(&s, "sale number")?,
                    amount: Ntd::new(amount),
                    since,
                    tries,
                    last_error,
                })
            })
            .collect()
    }

    /// The invoice arrived: keep MyPay's fields as sent, audited.
    pub fn mypay_invoice_fetched(
        &mut self,
        trade: &TradeNo,
        fields: &serde_json::Value,
    ) -> Result<()> {
        let (tx, now) = self.write()?;
        let n = tx
            .prepare_cached(
                "UPDATE mypay_invoices_due SET fields = ?2, fetched_at = ?3, tries = tries + 1
                  WHERE fetched_at IS NULL
                    AND attempt_id = (SELECT id FROM attempts WHERE trade_no = ?1)",
            )?
            .execute(params![trade.to_string(), fields.to_string(), now])?;
        if n == 0 {
            return Err(JournalError::NoSuchAttempt(trade.to_string()));
        }
        audit::append(
            &tx,
            &now,
            "till",
            "mypay_invoice.fetched",
            &trade.to_string(),
            fields,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A fetch found no usable invoice yet: count it and say why.
    pub fn mypay_invoice_not_yet(&mut self, trade: &TradeNo, why: &str) -> Result<()> {
        let (tx, _) = self.write()?;
        tx.prepare_cached(
            "UPDATE mypay_invoices_due SET tries = tries + 1, last_error = ?2
              WHERE fetched_at IS NULL
                AND attempt_id = (SELECT id FROM attempts WHERE trade_no = ?1)",
        )?
        .execute(params![trade.to_string(), why])?;
        tx.commit()?;
        Ok(())
    }

    /// Fields fetched later for a payment of `sale`, with when: the newest.
    pub fn fetched_mypay_invoice(&self, sale: &SaleNo) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT d.fetched_at, d.fields FROM mypay_invoices_due d
                   JOIN attempts a ON a.id = d.attempt_id
                   JOIN sales s ON s.id = a.sale_id
                  WHERE s.sale_no = ?1 AND d.fetched_at IS NOT NULL
                  ORDER BY d.fetched_at DESC LIMIT 1",
            )?
            .query_row([sale.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}
