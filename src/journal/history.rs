//! Looking things up: by any number a customer or receipt shows, by Taipei
//! business date (paged), by amount, by wallet or gateway.

use chrono::NaiveDate;
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};
use serde::Serialize;

use super::invoice::{self, InvoiceRecord};
use super::records::{
    ATTEMPT_COLS, AttemptRecord, SaleStatus, attempt_from_row, finish_attempt, load_attempt,
    load_lines, method_columns,
};
use super::{Journal, JournalError, Result, parse_sale_no, stamp};
use crate::money::Ntd;
use crate::sale::{AttemptKind, GatewayId, Line, PayMethod, ReceiptCode, SaleNo, TradeNo, Wallet};
use crate::taipei;

/// One row of a history list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaleSummary {
    pub sale_no: SaleNo,
    pub business_date: NaiveDate,
    pub cashier: String,
    pub subtotal: Ntd,
    pub discount: Ntd,
    pub total: Ntd,
    pub paid: Ntd,
    pub refunded: Ntd,
    pub status: SaleStatus,
    pub line_count: u32,
    /// RFC 3339, +08:00.
    pub created_at: String,
}

/// Everything about one sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SaleDetail {
    pub summary: SaleSummary,
    pub lines: Vec<Line>,
    pub payments: Vec<AttemptRecord>,
    pub refunds: Vec<AttemptRecord>,
    pub invoices: Vec<InvoiceRecord>,
}

/// Where the next page starts (keyset paging: stable while sales are added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    date: NaiveDate,
    id: i64,
}

/// The command line's form of a cursor, `2025-03-01/1234`: what
/// `till history --json` gives as `next` and takes back with `--after`.
impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.date, self.id)
    }
}

impl std::str::FromStr for Cursor {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Cursor, String> {
        let bad = || {
            format!(
                "游標應為前一頁的 next(如 2025-03-01/1234)/ a cursor is the previous page's next (e.g. 2025-03-01/1234), not {s:?}"
            )
        };
        let (date, id) = s.split_once('/').ok_or_else(bad)?;
        Ok(Cursor {
            date: date.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `None` on the last page.
    pub next: Option<Cursor>,
}

/// Filters for [`Journal::search_attempts`]; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttemptQuery {
    pub gateway: Option<GatewayId>,
    pub wallet: Option<Wallet>,
    pub amount: Option<Ntd>,
    /// Taipei dates, inclusive, on when the attempt started.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: u32,
}

const SUMMARY_COLS: &str = "id, sale_no, business_date, cashier, subtotal, discount, total, paid, \
                            refunded, status, line_count, created_at";

struct RawSummary {
    id: i64,
    sale_no: String,
    business_date: String,
    cashier: String,
    money: [i64; 5],
    status: String,
    line_count: i64,
    created_at: String,
}

fn summary(r: &Row<'_>) -> rusqlite::Result<RawSummary> {
    Ok(RawSummary {
        id: r.get(0)?,
        sale_no: r.get(1)?,
        business_date: r.get(2)?,
        cashier: r.get(3)?,
        money: [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
        status: r.get(9)?,
        line_count: r.get(10)?,
        created_at: r.get(11)?,
    })
}

fn to_summary(raw: RawSummary) -> Result<SaleSummary> {
    let [subtotal, discount, total, paid, refunded] = raw.money.map(Ntd::new);
    Ok(SaleSummary {
        sale_no: parse_sale_no(&raw.sale_no)?,
        business_date: raw
            .business_date
            .parse()
            .map_err(|_| JournalError::Corrupt(format!("bad date {:?}", raw.business_date)))?,
        cashier: raw.cashier,
        subtotal,
        discount,
        total,
        paid,
        refunded,
        status: SaleStatus::parse(&raw.status)?,
        line_count: u32::try_from(raw.line_count).unwrap_or(0),
        created_at: raw.created_at,
    })
}

impl Journal {
    /// Find the sale behind any number a customer, receipt or gateway shows:
    /// a sale number, an attempt's trade number, the receipt code (`TL…`),
    /// a gateway's own trade number, or an e-invoice number.
    pub fn lookup(&self, code: &str) -> Result<Option<SaleNo>> {
        let code = code.trim();
        if let Ok(rc) = code.parse::<ReceiptCode>() {
            return self.sale_exists(rc.sale());
        }
        if let Ok(sale) = code.parse::<SaleNo>() {
            return self.sale_exists(&sale);
        }
        let by_attempt: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT s.sale_no FROM attempts a JOIN sales s ON s.id = a.sale_id
                 WHERE a.trade_no = ?1 OR a.gateway_trade_no = ?1 LIMIT 1",
            )?
            .query_row([code], |r| r.get(0))
            .optional()?;
        let found = match by_attempt {
            Some(s) => Some(s),
            None => self
                .conn
                .prepare_cached(
                    "SELECT s.sale_no FROM invoices i JOIN sales s ON s.id = i.sale_id
                     WHERE i.number = ?1",
                )?
                .query_row([code.replace('-', "").to_ascii_uppercase()], |r| r.get(0))
                .optional()?,
        };
        found.map(|s| parse_sale_no(&s)).transpose()
    }

    fn sale_exists(&self, sale: &SaleNo) -> Result<Option<SaleNo>> {
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM sales WHERE sale_no = ?1")?
            .query_row([sale.to_string()], |r| r.get(0))
            .optional()?;
        Ok(found.map(|_| sale.clone()))
    }

    /// Everything about one sale: lines, attempts with their events,
    /// refunds and e-invoices.
    pub fn sale_detail(&self, sale: &SaleNo) -> Result<Option<SaleDetail>> {
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM sales WHERE sale_no = ?1"
            ))?
            .query_row([sale.to_string()], summary)
            .optional()?;
        let Some(row) = row else { return Ok(None) };
        let sale_id = row.id;
        let summary = to_summary(row)?;
        let lines = load_lines(&self.conn, sale_id)?;
        let raws = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ATTEMPT_COLS} FROM attempts WHERE sale_id = ?1 ORDER BY id"
            ))?
            .query_map([sale_id], attempt_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let mut payments = Vec::new();
        let mut refunds = Vec::new();
        for raw in raws {
            let a = finish_attempt(&self.conn, raw, true)?;
            match a.kind {
                AttemptKind::Payment => payments.push(a),
                AttemptKind::Refund => refunds.push(a),
            }
        }
        let invoices = invoice::for_sale(&self.conn, sale_id)?;
        Ok(Some(SaleDetail {
            summary,
            lines,
            payments,
            refunds,
            invoices,
        }))
    }

    /// Sales of a range of Taipei business dates (inclusive), oldest first,
    /// `limit` per page; pass the previous page's `next` to continue.
    pub fn sales_by_date(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Page<SaleSummary>> {
        let (after_date, after_id) = match after {
            Some(c) => (c.date.to_string(), c.id),
            None => (from.to_string(), 0),
        };
        let rows = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM sales
                 WHERE business_date >= ?1 AND (business_date, id) > (?2, ?3) AND business_date <= ?4
                 ORDER BY business_date, id LIMIT ?5"
            ))?
            .query_map(
                params![
                    from.to_string(),
                    after_date,
                    after_id,
                    to.to_string(),
                    i64::from(limit) + 1
                ],
                summary,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        let more = rows.len() > limit as usize;
        let mut items = Vec::with_capacity(rows.len());
        let mut next = None;
        for row in rows.into_iter().take(limit as usize) {
            let id = row.id;
            let s = to_summary(row)?;
            next = Some(Cursor {
                date: s.business_date,
                id,
            });
            items.push(s);
        }
        Ok(Page {
            items,
            next: if more { next } else { None },
        })
    }

    /// A terminal's sales still open (rung up, not paid in full, not
    /// voided), oldest first: the ones a manager settles before the Z.
    /// Half-paid ones have `paid` above zero.
    pub fn open_sales(&self, terminal: &crate::sale::TerminalId) -> Result<Vec<SaleSummary>> {
        let rows = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM sales
                  WHERE status = 'open' AND terminal = ?1 ORDER BY id"
            ))?
            .query_map(params![terminal.as_str()], summary)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(to_summary).collect()
    }

    /// Sales whose total is exactly `amount`, newest first.
    pub fn sales_by_amount(&self, amount: Ntd, limit: u32) -> Result<Vec<SaleSummary>> {
        let rows = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLS} FROM sales WHERE total = ?1 ORDER BY id DESC LIMIT ?2"
            ))?
            .query_map(params![amount.dollars(), limit], summary)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(to_summary).collect()
    }

    /// Attempts by gateway, wallet, amount and Taipei date, newest first
    /// ("I paid NT$350 with JKoPay yesterday"). Events are not loaded.
    pub fn search_attempts(&self, q: &AttemptQuery) -> Result<Vec<AttemptRecord>> {
        let mut sql = format!("SELECT {ATTEMPT_COLS} FROM attempts WHERE 1 = 1");
        let mut args: Vec<SqlValue> = Vec::new();
        if let Some(g) = q.gateway {
            sql.push_str(" AND gateway = ?");
            args.push(SqlValue::Text(g.as_str().into()));
        }
        if let Some(w) = q.wallet {
            let (_, wallet) = method_columns(PayMethod::Wallet(w));
            sql.push_str(" AND wallet = ?");
            args.push(SqlValue::Text(wallet.unwrap_or_default()));
        }
        if let Some(a) = q.amount {
            sql.push_str(" AND amount = ?");
            args.push(SqlValue::Integer(a.dollars()));
        }
        if let Some(d) = q.from {
            sql.push_str(" AND created_at >= ?");
            args.push(SqlValue::Text(stamp(taipei::start_of_day(d))));
        }
        if let Some(d) = q.to {
            sql.push_str(" AND created_at < ?");
            let next = d.succ_opt().unwrap_or(d);
            args.push(SqlValue::Text(stamp(taipei::start_of_day(next))));
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        args.push(SqlValue::Integer(i64::from(q.limit.max(1))));
        let raws = self
            .conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(args), attempt_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        raws.into_iter()
            .map(|r| finish_attempt(&self.conn, r, false))
            .collect()
    }

    /// One attempt with its events.
    pub fn attempt(&self, trade: &TradeNo) -> Result<Option<AttemptRecord>> {
        let id: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM attempts WHERE trade_no = ?1")?
            .query_row([trade.to_string()], |r| r.get(0))
            .optional()?;
        id.map(|id| load_attempt(&self.conn, id, true)).transpose()
    }
}
