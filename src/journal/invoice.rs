//! E-invoice number rolls (字軌) and the invoices issued from them.
//!
//! The tax office assigns numbers per two-month period; a number may be used
//! once, only in its own period. Allocation and issue happen in one
//! transaction, and the period is taken from the journal's clock at issue
//! time, so a number can be neither handed out twice nor used in the wrong
//! period. The invoice content itself is JSON from the `einvoice` module.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::records::sale_row;
use super::{Journal, JournalError, Result, audit, parse_sale_no, stamp};
use crate::einvoice::{InvoiceNumber, Period};
use crate::money::Ntd;
use crate::sale::{SaleNo, TerminalId};
use crate::taipei::TaipeiTime;

/// A block of numbers the tax office assigned, loaded for one terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceRoll {
    pub id: i64,
    pub period: Period,
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
    pub period: Period,
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

/// Where the next number came from, for building the invoice around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub number: InvoiceNumber,
    pub period: Period,
    /// The issue time: the journal clock's reading that chose the period.
    pub at: TaipeiTime,
    /// What the sale came to.
    pub sale_total: Ntd,
}

/// A void or allowance as journaled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceChange {
    pub id: i64,
    /// `void` or `allowance`.
    pub kind: String,
    pub amount: Ntd,
    pub reason: String,
    pub data: serde_json::Value,
    pub at: String,
}

/// What a void or allowance builder is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeContext {
    /// 1 for the invoice's first change of this kind, 2 for the next…
    pub nth: u32,
    pub at: TaipeiTime,
}

const INVOICE_COLS: &str =
    "i.number, i.period, i.random_code, i.status, i.buyer_id, i.amount, i.data, i.issued_at";

struct RawInvoice {
    number: String,
    period: String,
    random_code: String,
    status: String,
    buyer_id: Option<String>,
    amount: i64,
    data: String,
    issued_at: String,
}

fn raw_invoice(r: &rusqlite::Row<'_>, base: usize) -> rusqlite::Result<RawInvoice> {
    Ok(RawInvoice {
        number: r.get(base)?,
        period: r.get(base + 1)?,
        random_code: r.get(base + 2)?,
        status: r.get(base + 3)?,
        buyer_id: r.get(base + 4)?,
        amount: r.get(base + 5)?,
        data: r.get(base + 6)?,
        issued_at: r.get(base + 7)?,
    })
}

impl RawInvoice {
    fn into_record(self) -> Result<InvoiceRecord> {
        Ok(InvoiceRecord {
            number: self.number,
            period: self.period,
            random_code: self.random_code,
            status: InvoiceStatus::parse(&self.status)?,
            buyer_id: self.buyer_id,
            amount: Ntd::new(self.amount),
            data: serde_json::from_str(&self.data)
                .map_err(|e| JournalError::Corrupt(format!("invoice data: {e}")))?,
            issued_at: self.issued_at,
        })
    }
}

pub(super) fn for_sale(conn: &Connection, sale_id: i64) -> Result<Vec<InvoiceRecord>> {
    let raw = conn
        .prepare_cached(&format!(
            "SELECT {INVOICE_COLS} FROM invoices i WHERE i.sale_id = ?1 ORDER BY i.id"
        ))?
        .query_map([sale_id], |r| raw_invoice(r, 0))?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter().map(RawInvoice::into_record).collect()
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
    /// terminal. Refused if it overlaps a roll already loaded, or if the
    /// terminal already closed the period.
    pub fn add_invoice_roll(
        &mut self,
        terminal: &TerminalId,
        period: Period,
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
        // The journal keeps one invoice per number, whatever its period: a
        // later period's roll repeating numbers this till already issued
        // would fail at the first sale, so it is refused now, with the
        // number, while the manager is at it.
        let used: Option<(String, String)> = tx
            .query_row(
                "SELECT number, period FROM invoices WHERE number BETWEEN ?1 AND ?2
                 ORDER BY number LIMIT 1",
                params![format!("{track}{start:08}"), format!("{track}{end:08}")],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((number, earlier)) = used {
            return Err(JournalError::BadRoll(format!(
                "{number} 已於 {earlier} 期開立,本機無法重複使用同一號碼,請洽系統支援 / {number} was already issued in period {earlier}; this till cannot hold two invoices under one number: contact support"
            )));
        }
        // Closing a period reported its unused numbers once (E0402), and a
        // close is never redone: a roll loaded after it would be numbers
        // the Ministry never hears of. Refused, naming the close.
        let closed: Option<String> = tx
            .query_row(
                "SELECT at FROM audit_log
                 WHERE action = 'invoice.close_period' AND subject = ?1 ORDER BY seq LIMIT 1",
                params![format!("{}:{period}", terminal.as_str())],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(closed_at) = closed {
            return Err(JournalError::BadRoll(format!(
                "{period} 期已於 {closed_at} 結算並申報空白字軌,不能再載入該期字軌;{track}{start:08}..{end:08} 請於財政部平台申報為空白未使用 / period {period} was closed at {closed_at} and its unused numbers reported: a roll for it can no longer be loaded; report {track}{start:08}..{end:08} as unused on the Ministry's platform"
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
        self.issue_invoice_with(sale, random_code, buyer_id, |_| Ok((data.clone(), amount)))
    }

    /// Like [`Journal::issue_invoice`], but the invoice data is built by
    /// `build` once the number is known, inside the same transaction: if
    /// `build` fails nothing is taken, and if it succeeds the number and the
    /// data are committed together, so a number is never handed out twice
    /// nor lost. `build` returns the JSON to keep and the invoice total.
    /// A sale gets one live invoice: a second is refused until the first is
    /// voided.
    pub fn issue_invoice_with<E: From<JournalError>>(
        &mut self,
        sale: &SaleNo,
        random_code: &str,
        buyer_id: Option<&str>,
        build: impl FnOnce(&Allocation) -> std::result::Result<(serde_json::Value, Ntd), E>,
    ) -> std::result::Result<IssuedInvoice, E> {
        if random_code.len() != 4 || !random_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(JournalError::BadRandomCode(random_code.to_string()).into());
        }
        // One reading of the clock gives the invoice date, its period and the
        // roll: they can never disagree, even at midnight on a period's end.
        let at = (self.clock)();
        let now = stamp(at);
        let period =
            Period::of(at.date_naive()).map_err(|e| JournalError::BadRoll(e.to_string()))?;
        self.wrote.set(true);
        let tx = super::seal::begin(&mut self.conn, self.sealer.as_ref(), now.clone())?;
        let row = sale_row(&tx, sale)?;
        if row.status == super::SaleStatus::Void {
            return Err(JournalError::SaleVoid(sale.to_string()).into());
        }
        let live: Option<(String, String)> = tx
            .query_row(
                "SELECT number, status FROM invoices
                 WHERE sale_id = ?1 AND status <> 'voided' LIMIT 1",
                [row.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(JournalError::from)?;
        if let Some((number, status)) = live {
            return Err(JournalError::InvoiceNotIssued { number, status }.into());
        }
        let terminal = sale.terminal();
        let roll: Option<(i64, String, u32)> = tx
            .prepare_cached(
                "SELECT id, track, next_no FROM invoice_rolls
                 WHERE terminal = ?1 AND period = ?2 AND next_no <= end_no
                 ORDER BY id LIMIT 1",
            )
            .map_err(JournalError::from)?
            .query_row(params![terminal.as_str(), period.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(JournalError::from)?;
        let (roll_id, track, no) = roll.ok_or_else(|| JournalError::NoInvoiceNumbers {
            period: period.to_string(),
            terminal: terminal.to_string(),
        })?;
        let number: InvoiceNumber = format!("{track}{no:08}")
            .parse()
            .map_err(|_| JournalError::Corrupt(format!("roll {roll_id} makes a bad number")))?;
        let (data, amount) = build(&Allocation {
            number: number.clone(),
            period,
            at,
            sale_total: row.total,
        })?;
        tx.prepare_cached("UPDATE invoice_rolls SET next_no = next_no + 1 WHERE id = ?1")
            .map_err(JournalError::from)?
            .execute([roll_id])
            .map_err(JournalError::from)?;
        tx.prepare_cached(
            "INSERT INTO invoices (number, period, roll_id, sale_id, random_code, status, buyer_id,
                                   amount, data, issued_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'issued', ?6, ?7, ?8, ?9, ?9)",
        )
        .map_err(JournalError::from)?
        .execute(params![
            number.as_str(),
            period.to_string(),
            roll_id,
            row.id,
            random_code,
            buyer_id,
            amount.dollars(),
            data.to_string(),
            now
        ])
        .map_err(JournalError::from)?;
        audit::append(
            &tx,
            &now,
            "till",
            "invoice.issue",
            number.as_str(),
            &json!({ "sale": sale.to_string(), "amount": amount.dollars(), "buyer": buyer_id }),
        )?;
        // Money already given back on this sale (a refund made before its
        // invoice could be issued) now owes this invoice its allowance or
        // void, recorded in the same commit so that a crash cannot lose it.
        tx.prepare_cached(
            "INSERT OR IGNORE INTO invoice_changes_owed (attempt_id, since)
             SELECT id, ?2 FROM attempts
              WHERE sale_id = ?1 AND kind = 'refund' AND state = 'approved'",
        )
        .map_err(JournalError::from)?
        .execute(params![row.id, now])
        .map_err(JournalError::from)?;
        tx.commit()?;
        Ok(IssuedInvoice {
            number: number.to_string(),
            period,
            random_code: random_code.to_string(),
        })
    }

    /// Set one top-level key of an invoice's data JSON (how it was delivered:
    /// proof printed, message handed to Turnkey), with an audit row.
    pub fn set_invoice_data(
        &mut self,
        number: &str,
        key: &str,
        value: &serde_json::Value,
        action: &str,
    ) -> Result<()> {
        let (tx, now) = self.write()?;
        let n = tx.execute(
            "UPDATE invoices SET data = json_set(data, ?2, json(?3)), updated_at = ?4
             WHERE number = ?1",
            params![number, format!("$.{key}"), value.to_string(), now],
        )?;
        if n == 0 {
            return Err(JournalError::NoSuchInvoice(number.to_string()));
        }
        audit::append(&tx, &now, "till", action, number, &json!({ key: value }))?;
        tx.commit()?;
        Ok(())
    }

    /// Set one top-level key of a void's or allowance's data JSON.
    pub fn set_invoice_change_data(
        &mut self,
        id: i64,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<()> {
        let (tx, now) = self.write()?;
        let n = tx.execute(
            "UPDATE invoice_voids SET data = json_set(data, ?2, json(?3)) WHERE id = ?1",
            params![id, format!("$.{key}"), value.to_string()],
        )?;
        if n == 0 {
            return Err(JournalError::Corrupt(format!("no invoice change {id}")));
        }
        audit::append(
            &tx,
            &now,
            "till",
            "invoice.change_data",
            &id.to_string(),
            &json!({ key: value }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// One invoice and the sale it belongs to.
    pub fn invoice(&self, number: &str) -> Result<Option<(SaleNo, InvoiceRecord)>> {
        let mut found = self.invoices_where("i.number = ?1", params![number])?;
        Ok(found.pop())
    }

    /// A terminal's invoices whose data has `key` equal to JSON `value`
    /// (`"proof", "pending"`: not yet printed), oldest first.
    pub fn invoices_with(
        &self,
        terminal: &TerminalId,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<Vec<(SaleNo, InvoiceRecord)>> {
        self.invoices_where(
            "s.terminal = ?1 AND json_extract(i.data, ?2) IS json_extract(json(?3), '$')",
            params![terminal.as_str(), format!("$.{key}"), value.to_string()],
        )
    }

    /// A terminal's invoices of a period, oldest first.
    pub fn invoices_in_period(
        &self,
        terminal: &TerminalId,
        period: Period,
    ) -> Result<Vec<(SaleNo, InvoiceRecord)>> {
        self.invoices_where(
            "s.terminal = ?1 AND i.period = ?2",
            params![terminal.as_str(), period.to_string()],
        )
    }

    fn invoices_where(
        &self,
        filter: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<(SaleNo, InvoiceRecord)>> {
        let sql = format!(
            "SELECT s.sale_no, {INVOICE_COLS} FROM invoices i JOIN sales s ON s.id = i.sale_id
             WHERE {filter} ORDER BY i.id"
        );
        let raw = self
            .conn
            .prepare(&sql)?
            .query_map(args, |r| Ok((r.get::<_, String>(0)?, raw_invoice(r, 1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(sale, inv)| Ok((parse_sale_no(&sale)?, inv.into_record()?)))
            .collect()
    }

    /// Voids and allowances of an invoice, oldest first.
    pub fn invoice_changes(&self, number: &str) -> Result<Vec<InvoiceChange>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT v.id, v.kind, v.amount, v.reason, v.data, v.at
                 FROM invoice_voids v JOIN invoices i ON i.id = v.invoice_id
                 WHERE i.number = ?1 ORDER BY v.id",
            )?
            .query_map([number], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(id, kind, amount, reason, data, at)| {
                Ok(InvoiceChange {
                    id,
                    kind,
                    amount: Ntd::new(amount),
                    reason,
                    data: serde_json::from_str(&data)
                        .map_err(|e| JournalError::Corrupt(format!("invoice change data: {e}")))?,
                    at,
                })
            })
            .collect()
    }

    /// Void an issued invoice (same period as the sale).
    pub fn void_invoice(
        &mut self,
        number: &str,
        reason: &str,
        data: &serde_json::Value,
    ) -> Result<()> {
        self.void_invoice_with(number, reason, |_| Ok::<_, JournalError>(data.clone()))
            .map(drop)
    }

    /// Void an issued invoice, its data built in the same transaction.
    /// Returns the change's id.
    pub fn void_invoice_with<E: From<JournalError>>(
        &mut self,
        number: &str,
        reason: &str,
        build: impl FnOnce(&ChangeContext) -> std::result::Result<serde_json::Value, E>,
    ) -> std::result::Result<i64, E> {
        self.invoice_change(number, "void", None, reason, build)
    }

    /// Record an allowance (折讓) against an invoice of an earlier period.
    pub fn record_allowance(
        &mut self,
        number: &str,
        amount: Ntd,
        reason: &str,
        data: &serde_json::Value,
    ) -> Result<()> {
        self.record_allowance_with(number, amount, reason, |_| {
            Ok::<_, JournalError>(data.clone())
        })
        .map(drop)
    }

    /// Record an allowance whose data (with its own allowance number, from
    /// [`ChangeContext::nth`]) is built in the same transaction. Returns the
    /// change's id.
    pub fn record_allowance_with<E: From<JournalError>>(
        &mut self,
        number: &str,
        amount: Ntd,
        reason: &str,
        build: impl FnOnce(&ChangeContext) -> std::result::Result<serde_json::Value, E>,
    ) -> std::result::Result<i64, E> {
        self.invoice_change(number, "allowance", Some(amount), reason, build)
    }

    /// Void allowance `allowance_no` of invoice `number` (MIG G0501): a
    /// row of its own, kind `allowance_void`, with what `build` returns; the
    /// invoice is `issued` again once no allowance stands. Audited.
    pub fn void_allowance_with<E: From<JournalError>>(
        &mut self,
        number: &str,
        allowance_no: &str,
        reason: &str,
        build: impl FnOnce(&ChangeContext) -> std::result::Result<serde_json::Value, E>,
    ) -> std::result::Result<i64, E> {
        let at = (self.clock)();
        let now = stamp(at);
        self.wrote.set(true);
        let tx = super::seal::begin(&mut self.conn, self.sealer.as_ref(), now.clone())?;
        let count = |kind: &str, which: Option<&str>| -> Result<u32> {
            Ok(tx.query_row(
                "SELECT count(*) FROM invoice_voids v JOIN invoices i ON i.id = v.invoice_id
                  WHERE i.number = ?1 AND v.kind = ?2
                    AND (?3 IS NULL OR json_extract(v.data, '$.allowance_number') = ?3)",
                params![number, kind, which],
                |r| r.get(0),
            )?)
        };
        let (id, amount): (i64, i64) = tx
            .query_row(
                "SELECT i.id, v.amount FROM invoice_voids v JOIN invoices i ON i.id = v.invoice_id
                  WHERE i.number = ?1 AND v.kind = 'allowance'
                    AND json_extract(v.data, '$.allowance_number') = ?2",
                params![number, allowance_no],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(JournalError::from)?
            .ok_or_else(|| JournalError::NoSuchAllowance(allowance_no.to_string()))?;
        if count("allowance_void", Some(allowance_no))? > 0 {
            return Err(JournalError::AllowanceVoided(allowance_no.to_string()).into());
        }
        // The others still standing once this one is void.
        let standing = count("allowance", None)? - count("allowance_void", None)? - 1;
        let data = build(&ChangeContext { nth: 0, at })?;
        if standing == 0 {
            tx.execute(
                "UPDATE invoices SET status = 'issued', updated_at = ?2 WHERE id = ?1",
                params![id, now],
            )
            .map_err(JournalError::from)?;
        }
        let change_id: i64 = tx
            .query_row(
                "INSERT INTO invoice_voids (invoice_id, kind, amount, reason, data, at)
                 VALUES (?1, 'allowance_void', ?2, ?3, ?4, ?5) RETURNING id",
                params![id, amount, reason, data.to_string(), now],
                |r| r.get(0),
            )
            .map_err(JournalError::from)?;
        audit::append(
            &tx,
            &now,
            "till",
            "invoice.allowance_void",
            allowance_no,
            &json!({ "invoice": number, "reason": reason, "amount": amount }),
        )?;
        tx.commit()?;
        Ok(change_id)
    }

    fn invoice_change<E: From<JournalError>>(
        &mut self,
        number: &str,
        kind: &str,
        amount: Option<Ntd>,
        reason: &str,
        build: impl FnOnce(&ChangeContext) -> std::result::Result<serde_json::Value, E>,
    ) -> std::result::Result<i64, E> {
        let at = (self.clock)();
        let now = stamp(at);
        self.wrote.set(true);
        let tx = super::seal::begin(&mut self.conn, self.sealer.as_ref(), now.clone())?;
        let found: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, status FROM invoices WHERE number = ?1",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(JournalError::from)?;
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
            }
            .into());
        }
        let before: u32 = tx
            .query_row(
                "SELECT count(*) FROM invoice_voids WHERE invoice_id = ?1 AND kind = ?2",
                params![id, kind],
                |r| r.get(0),
            )
            .map_err(JournalError::from)?;
        let data = build(&ChangeContext {
            nth: before + 1,
            at,
        })?;
        let new_status = if kind == "void" {
            "voided"
        } else {
            "allowance"
        };
        tx.execute(
            "UPDATE invoices SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, new_status, now],
        )
        .map_err(JournalError::from)?;
        let change_id: i64 = tx
            .query_row(
                "INSERT INTO invoice_voids (invoice_id, kind, amount, reason, data, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                params![
                    id,
                    kind,
                    amount.map(Ntd::dollars).unwrap_or(0),
                    reason,
                    data.to_string(),
                    now
                ],
                |r| r.get(0),
            )
            .map_err(JournalError::from)?;
        audit::append(
            &tx,
            &now,
            "till",
            &format!("invoice.{kind}"),
            number,
            &json!({ "reason": reason, "amount": amount.map(Ntd::dollars) }),
        )?;
        tx.commit()?;
        Ok(change_id)
    }

    /// A terminal's rolls for a period, oldest first.
    pub fn invoice_rolls(&self, terminal: &TerminalId, period: Period) -> Result<Vec<InvoiceRoll>> {
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
                    period: p
                        .parse()
                        .map_err(|_| JournalError::Corrupt(format!("bad period {p:?}")))?,
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
    pub fn invoice_numbers_left(&self, terminal: &TerminalId, period: Period) -> Result<u64> {
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
        period: Period,
        threshold: u64,
    ) -> Result<Option<u64>> {
        let left = self.invoice_numbers_left(terminal, period)?;
        Ok((left < threshold).then_some(left))
    }
}

impl Journal {
    /// The journal's clock: the time issuing, voids and period rules use.
    pub fn clock_now(&self) -> TaipeiTime {
        (self.clock)()
    }

    /// Put closing a period (its unused numbers reported) on the audit log.
    pub fn record_period_closed(
        &mut self,
        terminal: &TerminalId,
        period: Period,
        detail: &serde_json::Value,
    ) -> Result<()> {
        let (tx, now) = self.write()?;
        audit::append(
            &tx,
            &now,
            "till",
            "invoice.close_period",
            &format!("{}:{period}", terminal.as_str()),
            detail,
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl Journal {
    /// Sales paid in full since `since` (a business date) that have no
    /// e-invoice at all: a pay-later order paid after the customer left,
    /// or an issue that failed (no roll loaded). Oldest first.
    /// Keep the buyer's e-invoice choice for a sale whose invoice is issued
    /// later (a pay-later order). A later call replaces it.
    pub fn remember_buyer_choice(&mut self, sale: &SaleNo, choice: &str) -> Result<()> {
        let (tx, now) = self.write()?;
        let sale_id = sale_row(&tx, sale)?.id;
        tx.execute(
            "INSERT INTO sale_buyer_choices (sale_id, choice, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (sale_id) DO UPDATE SET choice = excluded.choice, at = excluded.at",
            params![sale_id, choice, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The choice kept by [`Journal::remember_buyer_choice`], if any.
    pub fn remembered_buyer_choice(&self, sale: &SaleNo) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT c.choice FROM sale_buyer_choices c JOIN sales s ON s.id = c.sale_id
                 WHERE s.sale_no = ?1",
            )?
            .query_row([sale.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// Sales paid (in full, or with part of it given back since) on or
    /// after `since` that have no live e-invoice.
    pub fn paid_sales_without_invoice(&self, since: chrono::NaiveDate) -> Result<Vec<SaleNo>> {
        let rows = self
            .conn
            .prepare_cached(
                "SELECT sale_no FROM sales s
                 WHERE s.status IN ('paid', 'part_refunded') AND s.business_date >= ?1
                   AND NOT EXISTS (SELECT 1 FROM invoices i
                                    WHERE i.sale_id = s.id AND i.status <> 'voided')
                 ORDER BY s.id",
            )?
            .query_map([since.to_string()], |r| r.get::<_, String>(0))?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        rows.iter().map(|s| parse_sale_no(s)).collect()
    }
}
