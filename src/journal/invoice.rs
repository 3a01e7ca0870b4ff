//! E-invoice number rolls (字軌) and the invoices issued from them.
//!
//! The tax office assigns numbers per two-month period; a number may be used
//! once, only in its own period. Allocation and issue happen in one
//! transaction, and the period is taken from the journal's clock at issue
//! time, so a number can be neither handed out twice nor used in the wrong
//! period. The invoice content itself is JSON from the `einvoice` module.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::sales::sale_row;
use super::{Journal, JournalError, Result, audit};
use crate::money::Ntd;
use crate::sale::{SaleNo, TerminalId};

/// A two-month invoice period, named by its ROC year and even month, as in
/// the Code 39 barcode: `11512` is 115年11-12月.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct InvoicePeriod {
    roc_year: u16,
    even_month: u8,
}

impl InvoicePeriod {
    /// The period a Taipei date belongs to (odd month m belongs to m+1).
    pub fn of(date: NaiveDate) -> InvoicePeriod {
        let m = date.month() as u8;
        InvoicePeriod {
            roc_year: (date.year() - 1911).clamp(1, 999) as u16,
            even_month: m + m % 2,
        }
    }

    pub fn roc_year(self) -> u16 {
        self.roc_year
    }

    pub fn even_month(self) -> u8 {
        self.even_month
    }
}

impl fmt::Display for InvoicePeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}{:02}", self.roc_year, self.even_month)
    }
}

impl FromStr for InvoicePeriod {
    type Err = JournalError;
    fn from_str(s: &str) -> Result<InvoicePeriod> {
        let bad = || JournalError::BadRoll(format!("「{s}」不是發票期別 / {s:?} is not a period"));
        if s.len() != 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let roc_year: u16 = s[..3].parse().map_err(|_| bad())?;
        let even_month: u8 = s[3..].parse().map_err(|_| bad())?;
        if roc_year == 0 || even_month == 0 || even_month > 12 || even_month % 2 == 1 {
            return Err(bad());
        }
        Ok(InvoicePeriod {
            roc_year,
            even_month,
        })
    }
}

/// A block of numbers the tax office assigned, loaded for one terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceRoll {
    pub id: i64,
    pub period: InvoicePeriod,
    /// 字軌: two upper-case letters.
    pub track: String,
    pub start: u32,
    pub end: u32,
    /// The next number to hand out; `end + 1` when used up.
    pub next: u32,
    pub terminal: TerminalId,
}

impl InvoiceRoll {
    pub fn left(&self) -> u64 {
        u64::from(self.end + 1 - self.next)
    }
}

/// What issuing returns: the number to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedInvoice {
    /// `AB12345678`.
    pub number: String,
    pub period: InvoicePeriod,
    pub random_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Issued,
    Voided,
    /// One or more allowances (折讓) were made against it.
    Allowance,
}

impl InvoiceStatus {
    fn parse(s: &str) -> Result<InvoiceStatus> {
        Ok(match s {
            "issued" => InvoiceStatus::Issued,
            "voided" => InvoiceStatus::Voided,
            "allowance" => InvoiceStatus::Allowance,
            _ => return Err(JournalError::Corrupt(format!("bad invoice status {s:?}"))),
        })
    }
}

/// An issued invoice as journaled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceRecord {
    pub number: String,
    pub period: String,
    pub random_code: String,
    pub status: InvoiceStatus,
    pub buyer_id: Option<String>,
    pub amount: Ntd,
    pub data: serde_json::Value,
    pub issued_at: String,
}

pub(super) fn for_sale(conn: &Connection, sale_id: i64) -> Result<Vec<InvoiceRecord>> {
    let raw = conn
        .prepare_cached(
            "SELECT number, period, random_code, status, buyer_id, amount, data, issued_at
             FROM invoices WHERE sale_id = ?1 ORDER BY id",
        )?
        .query_map([sale_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(
            |(number, period, random_code, status, buyer_id, amount, data, issued_at)| {
                Ok(InvoiceRecord {
                    number,
                    period,
                    random_code,
                    status: InvoiceStatus::parse(&status)?,
                    buyer_id,
                    amount: Ntd::new(amount),
                    data: serde_json::from_str(&data)
                        .map_err(|e| JournalError::Corrupt(format!("invoice data: {e}")))?,
                    issued_at,
                })
            },
        )
        .collect()
}

fn roll_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(i64, String, String, u32, u32, u32, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

impl Journal {
    /// Load a roll of numbers `start..=end` under track `track` for a
    /// terminal. Refused if it overlaps a roll already loaded.
    pub fn add_invoice_roll(
        &mut self,
        terminal: &TerminalId,
        period: InvoicePeriod,
        track: &str,
        start: u32,
        end: u32,
    ) -> Result<i64> {
        if track.len() != 2 || !track.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(JournalError::BadRoll(format!(
                "字軌須為兩個大寫英文字母 / the track must be two upper-case letters, not {track:?}"
            )));
        }
        if start > end || end > 99_999_999 {
            return Err(JournalError::BadRoll(format!(
                "號碼範圍 {start}..{end} 不正確 / {start}..{end} is not a range of 8-digit numbers"
            )));
        }
        let (tx, now) = self.write()?;
        let overlap: Option<i64> = tx
            .query_row(
                "SELECT id FROM invoice_rolls
                 WHERE period = ?1 AND track = ?2 AND start_no <= ?4 AND end_no >= ?3 LIMIT 1",
                params![period.to_string(), track, start, end],
                |r| r.get(0),
            )
            .optional()?;
        if overlap.is_some() {
            return Err(JournalError::BadRoll(format!(
                "{track}{start:08}..{end:08} 與已載入的字軌重疊 / overlaps a roll already loaded"
            )));
        }
        let id: i64 = tx.query_row(
            "INSERT INTO invoice_rolls (period, track, start_no, end_no, next_no, terminal, created_at)
             VALUES (?1, ?2, ?3, ?4, ?3, ?5, ?6) RETURNING id",
            params![period.to_string(), track, start, end, terminal.as_str(), now],
            |r| r.get(0),
        )?;
        audit::append(
            &tx,
            &now,
            "till",
            "invoice.roll_add",
            &format!("{period}:{track}"),
            &json!({ "start": start, "end": end, "terminal": terminal.as_str() }),
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Take the next number of the current period (from the journal's clock)
    /// for the sale's terminal and record the invoice, in one transaction.
    /// Rolls are used oldest first.
    pub fn issue_invoice(
        &mut self,
        sale: &SaleNo,
        random_code: &str,
        buyer_id: Option<&str>,
        amount: Ntd,
        data: &serde_json::Value,
    ) -> Result<IssuedInvoice> {
        if random_code.len() != 4 || !random_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(JournalError::BadRandomCode(random_code.to_string()));
        }
        let today = (self.clock)().date_naive();
        let period = InvoicePeriod::of(today);
        let (tx, now) = self.write()?;
        let row = sale_row(&tx, sale)?;
        if row.status == super::SaleStatus::Void {
            return Err(JournalError::SaleVoid(sale.to_string()));
        }
        let terminal = sale.terminal();
        let roll: Option<(i64, String, u32)> = tx
            .prepare_cached(
                "SELECT id, track, next_no FROM invoice_rolls
                 WHERE terminal = ?1 AND period = ?2 AND next_no <= end_no
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![terminal.as_str(), period.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (roll_id, track, no) = roll.ok_or_else(|| JournalError::NoInvoiceNumbers {
            period: period.to_string(),
            terminal: terminal.to_string(),
        })?;
        tx.prepare_cached("UPDATE invoice_rolls SET next_no = next_no + 1 WHERE id = ?1")?
            .execute([roll_id])?;
        let number = format!("{track}{no:08}");
        let data_text = data.to_string();
        tx.prepare_cached(
            "INSERT INTO invoices (number, period, roll_id, sale_id, random_code, status, buyer_id,
                                   amount, data, issued_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'issued', ?6, ?7, ?8, ?9, ?9)",
        )?
        .execute(params![
            number,
            period.to_string(),
            roll_id,
            row.id,
            random_code,
            buyer_id,
            amount.dollars(),
            data_text,
            now
        ])?;
        audit::append(
            &tx,
            &now,
            "till",
            "invoice.issue",
            &number,
            &json!({ "sale": sale.to_string(), "amount": amount.dollars(), "buyer": buyer_id }),
        )?;
        tx.commit()?;
        Ok(IssuedInvoice {
            number,
            period,
            random_code: random_code.to_string(),
        })
    }

    /// Void an issued invoice (same period as the sale).
    pub fn void_invoice(
        &mut self,
        number: &str,
        reason: &str,
        data: &serde_json::Value,
    ) -> Result<()> {
        self.invoice_change(number, "void", None, reason, data)
    }

    /// Record an allowance (折讓) against an invoice of an earlier period.
    pub fn record_allowance(
        &mut self,
        number: &str,
        amount: Ntd,
        reason: &str,
        data: &serde_json::Value,
    ) -> Result<()> {
        self.invoice_change(number, "allowance", Some(amount), reason, data)
    }

    fn invoice_change(
        &mut self,
        number: &str,
        kind: &str,
        amount: Option<Ntd>,
        reason: &str,
        data: &serde_json::Value,
    ) -> Result<()> {
        let (tx, now) = self.write()?;
        let found: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, status FROM invoices WHERE number = ?1",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (id, status) = found.ok_or_else(|| JournalError::NoSuchInvoice(number.to_string()))?;
        // A voided invoice is gone; an allowance may follow another, but an
        // invoice with allowances can no longer be voided.
        let allowed = match kind {
            "void" => status == "issued",
            _ => status != "voided",
        };
        if !allowed {
            return Err(JournalError::InvoiceNotIssued {
                number: number.to_string(),
                status,
            });
        }
        let new_status = if kind == "void" {
            "voided"
        } else {
            "allowance"
        };
        tx.execute(
            "UPDATE invoices SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, new_status, now],
        )?;
        tx.execute(
            "INSERT INTO invoice_voids (invoice_id, kind, amount, reason, data, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                kind,
                amount.map(Ntd::dollars).unwrap_or(0),
                reason,
                data.to_string(),
                now
            ],
        )?;
        audit::append(
            &tx,
            &now,
            "till",
            &format!("invoice.{kind}"),
            number,
            &json!({ "reason": reason, "amount": amount.map(Ntd::dollars) }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A terminal's rolls for a period, oldest first.
    pub fn invoice_rolls(
        &self,
        terminal: &TerminalId,
        period: InvoicePeriod,
    ) -> Result<Vec<InvoiceRoll>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT id, period, track, start_no, end_no, next_no, terminal FROM invoice_rolls
                 WHERE terminal = ?1 AND period = ?2 ORDER BY id",
            )?
            .query_map(
                params![terminal.as_str(), period.to_string()],
                roll_from_row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(id, p, track, start, end, next, term)| {
                Ok(InvoiceRoll {
                    id,
                    period: p.parse()?,
                    track,
                    start,
                    end,
                    next,
                    terminal: term
                        .parse()
                        .map_err(|_| JournalError::Corrupt(format!("bad terminal {term:?}")))?,
                })
            })
            .collect()
    }

    /// Numbers a terminal has left in a period.
    pub fn invoice_numbers_left(
        &self,
        terminal: &TerminalId,
        period: InvoicePeriod,
    ) -> Result<u64> {
        Ok(self
            .invoice_rolls(terminal, period)?
            .iter()
            .map(InvoiceRoll::left)
            .sum())
    }

    /// `Some(left)` when a terminal has fewer than `threshold` numbers left
    /// in the period: time to load the next roll before the till stops.
    pub fn low_water(
        &self,
        terminal: &TerminalId,
        period: InvoicePeriod,
        threshold: u64,
    ) -> Result<Option<u64>> {
        let left = self.invoice_numbers_left(terminal, period)?;
        Ok((left < threshold).then_some(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_months_belong_to_the_next_even_month() {
        let p = InvoicePeriod::of(NaiveDate::from_ymd_opt(2026, 11, 3).unwrap());
        assert_eq!(p.to_string(), "11512");
        let p = InvoicePeriod::of(NaiveDate::from_ymd_opt(2021, 9, 30).unwrap());
        assert_eq!(p.to_string(), "11010");
        assert_eq!("11010".parse::<InvoicePeriod>().unwrap(), p);
        for bad in ["11011", "1101", "11000", "11014", "abcde"] {
            assert!(bad.parse::<InvoicePeriod>().is_err(), "{bad}");
        }
    }
}
