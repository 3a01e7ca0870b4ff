//! The rows every reader and writer of sales shares: a sale's status and
//! row, an attempt with its events, the lines, and how a pay method is
//! stored. History, the write paths and invoices all read these; none of
//! them reaches into another for them.

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use super::attempt::AttemptState;
use super::{JournalError, Notes, Result, parse_state, parse_trade_no};
use crate::money::Ntd;
use crate::sale::{AttemptKind, GatewayId, Line, PayMethod, SaleNo, TradeNo};

/// Where a sale stands as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleStatus {
    /// Not (fully) paid yet.
    Open,
    Paid,
    PartRefunded,
    Refunded,
    /// Given up before anything was paid.
    Void,
}

impl SaleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SaleStatus::Open => "open",
            SaleStatus::Paid => "paid",
            SaleStatus::PartRefunded => "part_refunded",
            SaleStatus::Refunded => "refunded",
            SaleStatus::Void => "void",
        }
    }

    pub(super) fn parse(s: &str) -> Result<SaleStatus> {
        Ok(match s {
            "open" => SaleStatus::Open,
            "paid" => SaleStatus::Paid,
            "part_refunded" => SaleStatus::PartRefunded,
            "refunded" => SaleStatus::Refunded,
            "void" => SaleStatus::Void,
            _ => return Err(JournalError::Corrupt(format!("bad sale status {s:?}"))),
        })
    }
}

/// One state change of an attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptEvent {
    /// `None` for the event that created the attempt.
    pub from: Option<AttemptState>,
    pub to: AttemptState,
    pub at: String,
    pub detail: serde_json::Value,
}

impl AttemptEvent {
    /// The event's notes, typed (see [`Notes`]).
    pub fn notes(&self) -> Notes {
        Notes::of(&self.detail)
    }
}

/// A payment or refund attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptRecord {
    pub trade_no: TradeNo,
    pub kind: AttemptKind,
    /// `None` for cash.
    pub gateway: Option<GatewayId>,
    pub method: PayMethod,
    pub amount: Ntd,
    /// As masked at the counter; never the full code.
    pub masked_code: Option<String>,
    pub state: AttemptState,
    pub gateway_trade_no: Option<String>,
    pub last_error: Option<String>,
    /// For line refunds: (line index, units).
    pub refund_lines: Vec<(usize, u32)>,
    pub created_at: String,
    pub updated_at: String,
    /// Oldest first; empty in list queries.
    pub events: Vec<AttemptEvent>,
}

pub(super) fn load_lines(conn: &Connection, sale_id: i64) -> Result<Vec<Line>> {
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, name, qty, unit_price, discount FROM sale_lines
         WHERE sale_id = ?1 ORDER BY line_no",
    )?;
    let lines = stmt
        .query_map([sale_id], |r| {
            Ok(Line {
                id: r.get(0)?,
                name: r.get(1)?,
                qty: r.get(2)?,
                unit_price: Ntd::new(r.get(3)?),
                discount: Ntd::new(r.get(4)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines)
}

fn method_from_columns(kind: &str, wallet: Option<&str>) -> Result<PayMethod> {
    let v = match wallet {
        Some(w) => serde_json::json!({ "kind": kind, "wallet": w }),
        None => serde_json::json!({ "kind": kind }),
    };
    serde_json::from_value(v).map_err(|e| JournalError::Corrupt(format!("pay method: {e}")))
}

pub(super) const ATTEMPT_COLS: &str = "id, trade_no, kind, gateway, method, wallet, amount, masked_code, \
                            state, gateway_trade_no, last_error, refund_lines, created_at, updated_at";

pub(super) fn attempt_from_row(r: &Row<'_>) -> rusqlite::Result<RawAttempt> {
    Ok(RawAttempt {
        id: r.get(0)?,
        trade_no: r.get(1)?,
        gateway: r.get(3)?,
        method: r.get(4)?,
        wallet: r.get(5)?,
        amount: r.get(6)?,
        masked_code: r.get(7)?,
        state: r.get(8)?,
        gateway_trade_no: r.get(9)?,
        last_error: r.get(10)?,
        refund_lines: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

pub(super) struct RawAttempt {
    id: i64,
    trade_no: String,
    gateway: Option<String>,
    method: String,
    wallet: Option<String>,
    amount: i64,
    masked_code: Option<String>,
    state: String,
    gateway_trade_no: Option<String>,
    last_error: Option<String>,
    refund_lines: Option<String>,
    created_at: String,
    updated_at: String,
}

pub(super) fn finish_attempt(
    conn: &Connection,
    raw: RawAttempt,
    events: bool,
) -> Result<AttemptRecord> {
    let trade_no = parse_trade_no(&raw.trade_no)?;
    let gateway = match raw.gateway {
        Some(g) => Some(
            GatewayId::parse(&g)
                .ok_or_else(|| JournalError::Corrupt(format!("bad gateway {g:?}")))?,
        ),
        None => None,
    };
    let refund_lines = match raw.refund_lines {
        Some(j) => serde_json::from_str(&j)
            .map_err(|e| JournalError::Corrupt(format!("refund lines: {e}")))?,
        None => Vec::new(),
    };
    let events = if events {
        load_events(conn, raw.id)?
    } else {
        Vec::new()
    };
    Ok(AttemptRecord {
        kind: trade_no.kind(),
        trade_no,
        gateway,
        method: method_from_columns(&raw.method, raw.wallet.as_deref())?,
        amount: Ntd::new(raw.amount),
        masked_code: raw.masked_code,
        state: parse_state(&raw.state)?,
        gateway_trade_no: raw.gateway_trade_no,
        last_error: raw.last_error,
        refund_lines,
        created_at: raw.created_at,
        updated_at: raw.updated_at,
        events,
    })
}

pub(super) fn load_events(conn: &Connection, attempt_id: i64) -> Result<Vec<AttemptEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT from_state, to_state, at, detail FROM attempt_events
         WHERE attempt_id = ?1 ORDER BY id",
    )?;
    let raw = stmt
        .query_map([attempt_id], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter()
        .map(|(from, to, at, detail)| {
            Ok(AttemptEvent {
                from: from.as_deref().map(parse_state).transpose()?,
                to: parse_state(&to)?,
                at,
                detail: serde_json::from_str(&detail)
                    .map_err(|e| JournalError::Corrupt(format!("event detail: {e}")))?,
            })
        })
        .collect()
}

pub(super) fn load_attempt(conn: &Connection, id: i64, events: bool) -> Result<AttemptRecord> {
    let raw = conn
        .prepare_cached(&format!(
            "SELECT {ATTEMPT_COLS} FROM attempts WHERE id = ?1"
        ))?
        .query_row([id], attempt_from_row)?;
    finish_attempt(conn, raw, events)
}

/// The sale's row as the write paths need it.
pub(super) struct SaleRow {
    pub id: i64,
    pub total: Ntd,
    pub paid: Ntd,
    pub refunded: Ntd,
    pub status: SaleStatus,
}

pub(super) fn sale_row(conn: &Connection, sale: &SaleNo) -> Result<SaleRow> {
    conn.prepare_cached("SELECT id, total, paid, refunded, status FROM sales WHERE sale_no = ?1")?
        .query_row([sale.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?
        .ok_or_else(|| JournalError::NoSuchSale(sale.to_string()))
        .and_then(|(id, total, paid, refunded, status)| {
            Ok(SaleRow {
                id,
                total: Ntd::new(total),
                paid: Ntd::new(paid),
                refunded: Ntd::new(refunded),
                status: SaleStatus::parse(&status)?,
            })
        })
}

/// Columns that store a pay method: the kind, and the wallet for indexing.
pub(super) fn method_columns(method: PayMethod) -> (&'static str, Option<String>) {
    match method {
        PayMethod::Cash => ("cash", None),
        PayMethod::Wallet(w) => (
            "wallet",
            serde_json::to_value(w)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
        ),
        PayMethod::BoundCard => ("bound_card", None),
        PayMethod::PayLater => ("pay_later", None),
        PayMethod::PayPage => ("pay_page", None),
    }
}
