//! Sales, attempts and the one door through which an attempt changes state.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::attempt::{self, AttemptState};
use super::records::{self, AttemptRecord, SaleRow, SaleStatus};
pub(super) use super::records::{method_columns, sale_row};
use super::{Detail, Journal, JournalError, MaskedCode, Result, audit};
use crate::money::Ntd;
use crate::sale::{
    AttemptKind, Cart, GatewayId, PayMethod, RefundPlan, RefundRequest, Refundable, SaleNo,
    TerminalId, TradeNo,
};

/// What [`Journal::transition`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transitioned {
    pub from: AttemptState,
    pub to: AttemptState,
    /// Row id of the event written.
    pub event_id: i64,
}

/// An attempt `till recover` must resolve, with its history.
pub type UnresolvedAttempt = AttemptRecord;

/// Hand out the next daily number for a terminal; part of the caller's
/// transaction, so a rolled-back sale gives its number back.
pub(super) fn next_seq(conn: &Connection, terminal: &TerminalId, date: NaiveDate) -> Result<u32> {
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO day_counters (terminal, business_date, last_seq) VALUES (?1, ?2, 1)
             ON CONFLICT (terminal, business_date) DO UPDATE SET last_seq = last_seq + 1
             RETURNING last_seq",
        )?
        .query_row(params![terminal.as_str(), date.to_string()], |r| r.get(0))?;
    u32::try_from(seq).map_err(|_| crate::sale::TradeNoError::SequenceExhausted.into())
}

/// Insert a sale and its lines; returns the row id.
pub(super) fn insert_sale(
    conn: &Connection,
    sale: &SaleNo,
    cashier: &str,
    cart: &Cart,
    status: SaleStatus,
    paid: Ntd,
    now: &str,
) -> Result<i64> {
    let subtotal = cart.subtotal().map_err(|_| JournalError::NotPositive)?;
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO sales (sale_no, terminal, business_date, seq, cashier, subtotal, discount,
                                total, paid, line_count, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        )?
        .query_row(
            params![
                sale.to_string(),
                sale.terminal().as_str(),
                sale.date().to_string(),
                sale.seq(),
                cashier,
                subtotal.dollars(),
                cart.discount().dollars(),
                cart.total().dollars(),
                paid.dollars(),
                cart.lines().len() as i64,
                status.as_str(),
                now
            ],
            |r| r.get(0),
        )?;
    insert_lines(conn, id, cart)?;
    Ok(id)
}

fn insert_lines(conn: &Connection, sale_id: i64, cart: &Cart) -> Result<()> {
    let mut line_stmt = conn.prepare_cached(
        "INSERT INTO sale_lines (sale_id, line_no, product_id, name, qty, unit_price, discount)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (i, l) in cart.lines().iter().enumerate() {
        line_stmt.execute(params![
            sale_id,
            i as i64,
            l.id,
            l.name,
            l.qty,
            l.unit_price.dollars(),
            l.discount.dollars()
        ])?;
    }
    Ok(())
}

/// A sale line as journaled, to tell whether the cart changed.
#[derive(Debug, PartialEq, Eq)]
struct LineRow {
    product_id: String,
    name: String,
    qty: i64,
    unit_price: i64,
    discount: i64,
}

impl LineRow {
    fn of(l: &crate::sale::Line) -> LineRow {
        LineRow {
            product_id: l.id.clone(),
            name: l.name.clone(),
            qty: i64::from(l.qty),
            unit_price: l.unit_price.dollars(),
            discount: l.discount.dollars(),
        }
    }
}

fn sale_lines(conn: &Connection, sale_id: i64) -> Result<Vec<LineRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, name, qty, unit_price, discount FROM sale_lines
         WHERE sale_id = ?1 ORDER BY line_no",
    )?;
    let rows = stmt.query_map([sale_id], |r| {
        Ok(LineRow {
            product_id: r.get(0)?,
            name: r.get(1)?,
            qty: r.get(2)?,
            unit_price: r.get(3)?,
            discount: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn kind_str(kind: AttemptKind) -> &'static str {
    match kind {
        AttemptKind::Payment => "payment",
        AttemptKind::Refund => "refund",
    }
}

pub(super) fn insert_event(
    conn: &Connection,
    attempt_id: i64,
    from: Option<AttemptState>,
    to: AttemptState,
    at: &str,
    detail: &str,
) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO attempt_events (attempt_id, from_state, to_state, at, detail)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )?
        .query_row(
            params![
                attempt_id,
                from.map(|s| s.as_str()),
                to.as_str(),
                at,
                detail
            ],
            |r| r.get(0),
        )?)
}

fn in_flight(conn: &Connection, sale_id: i64) -> Result<Option<(String, AttemptState)>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT trade_no, state FROM attempts
             WHERE sale_id = ?1 AND state IN ('created','sending','unknown','cancelling')
             ORDER BY id LIMIT 1",
        )?
        .query_row([sale_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(t, s)| Ok((t, super::parse_state(&s)?)))
        .transpose()
}

impl Journal {
    /// Record a new sale and give it the terminal's next daily number. The
    /// number is taken in the same transaction that writes the sale, so it is
    /// unique across crashes and restarts, and never skipped by a failed write.
    pub fn new_sale(
        &mut self,
        terminal: &TerminalId,
        business_date: NaiveDate,
        cashier: &str,
        cart: &Cart,
    ) -> Result<SaleNo> {
        if cart.is_empty() {
            return Err(JournalError::EmptyCart);
        }
        let (tx, now) = self.write()?;
        let seq = next_seq(&tx, terminal, business_date)?;
        let sale = SaleNo::new(terminal.clone(), business_date, seq)?;
        // A fully discounted sale has nothing to collect.
        let status = if cart.total() == Ntd::ZERO {
            SaleStatus::Paid
        } else {
            SaleStatus::Open
        };
        insert_sale(&tx, &sale, cashier, cart, status, Ntd::ZERO, &now)?;
        audit::append(
            &tx,
            &now,
            cashier,
            "sale.new",
            &sale.to_string(),
            &json!({ "total": cart.total().dollars(), "lines": cart.lines().len() }),
        )?;
        tx.commit()?;
        Ok(sale)
    }

    /// Make an open sale's lines and total follow the cart again: until a
    /// first tender is approved the customer may still change what they
    /// buy (a declined or cancelled wallet, then an item put back). The
    /// only write path that changes a journaled sale's lines; refused once
    /// anything is paid or refunded, while an attempt is unresolved, and
    /// on a void or empty sale. Nothing is written when nothing changed.
    pub fn follow_cart(&mut self, sale: &SaleNo, actor: &str, cart: &Cart) -> Result<()> {
        if cart.is_empty() {
            return Err(JournalError::EmptyCart);
        }
        if !cart.total().is_positive() {
            return Err(JournalError::NotPositive);
        }
        let (tx, now) = self.write()?;
        let row = sale_row(&tx, sale)?;
        if row.status == SaleStatus::Void {
            return Err(JournalError::SaleVoid(sale.to_string()));
        }
        if row.paid.is_positive() || row.refunded.is_positive() || row.status != SaleStatus::Open {
            return Err(JournalError::HasPayments(sale.to_string()));
        }
        if let Some((trade, state)) = in_flight(&tx, row.id)? {
            return Err(JournalError::AttemptInFlight { trade, state });
        }
        let journaled = sale_lines(&tx, row.id)?;
        let wanted: Vec<LineRow> = cart.lines().iter().map(LineRow::of).collect();
        if journaled == wanted && row.total == cart.total() {
            return Ok(());
        }
        let subtotal = cart.subtotal().map_err(|_| JournalError::NotPositive)?;
        tx.execute(
            "UPDATE sales SET subtotal = ?2, discount = ?3, total = ?4, line_count = ?5
             WHERE id = ?1",
            params![
                row.id,
                subtotal.dollars(),
                cart.discount().dollars(),
                cart.total().dollars(),
                cart.lines().len() as i64
            ],
        )?;
        tx.execute("DELETE FROM sale_lines WHERE sale_id = ?1", [row.id])?;
        insert_lines(&tx, row.id, cart)?;
        audit::append(
            &tx,
            &now,
            actor,
            "sale.lines",
            &sale.to_string(),
            &json!({
                "total_was": row.total.dollars(),
                "total": cart.total().dollars(),
                "lines": cart.lines().len(),
            }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Void an open sale nothing was paid on (the customer walked away).
    pub fn void_sale(&mut self, sale: &SaleNo, actor: &str, reason: &str) -> Result<()> {
        let (tx, now) = self.write()?;
        let row = sale_row(&tx, sale)?;
        if let Some((trade, state)) = in_flight(&tx, row.id)? {
            return Err(JournalError::AttemptInFlight { trade, state });
        }
        if row.paid.is_positive() {
            return Err(JournalError::HasPayments(sale.to_string()));
        }
        if row.status == SaleStatus::Void {
            return Err(JournalError::SaleVoid(sale.to_string()));
        }
        tx.execute("UPDATE sales SET status = 'void' WHERE id = ?1", [row.id])?;
        audit::append(
            &tx,
            &now,
            actor,
            "sale.void",
            &sale.to_string(),
            &json!({ "reason": reason }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Start a payment or refund attempt and return its trade number (P01,
    /// P02… / R01…). The attempt is `Created`: move it to `Sending` with
    /// [`Journal::transition`] before the request goes out.
    ///
    /// Refused while another attempt on the sale is unresolved (so a sale is
    /// never charged twice), when the sale is already paid, when a payment is
    /// more than what is due, and when a refund is more than what is left.
    /// `gateway` is `None` for cash, and only for cash.
    pub fn begin_attempt(
        &mut self,
        sale: &SaleNo,
        kind: AttemptKind,
        gateway: Option<GatewayId>,
        method: PayMethod,
        amount: Ntd,
        masked_code: Option<&MaskedCode>,
    ) -> Result<TradeNo> {
        match kind {
            AttemptKind::Payment => self
                .begin(sale, kind, gateway, method, masked_code, |_, row| {
                    if row.status == SaleStatus::Void {
                        return Err(JournalError::SaleVoid(sale.to_string()));
                    }
                    // Money given back on a sale not paid in full: taking
                    // more would make "paid" and "refunded" disagree.
                    if row.refunded.is_positive() {
                        return Err(JournalError::HasRefunds(sale.to_string()));
                    }
                    let due = row.total.checked_sub(row.paid).unwrap_or(Ntd::ZERO);
                    if !due.is_positive() {
                        return Err(JournalError::AlreadyPaid(sale.to_string()));
                    }
                    if !amount.is_positive() {
                        return Err(JournalError::NotPositive);
                    }
                    if amount > due {
                        return Err(JournalError::MoreThanDue { due, amount });
                    }
                    Ok((amount, None))
                })
                .map(|(t, _)| t),
            AttemptKind::Refund => self
                .begin_refund(sale, &RefundRequest::Amount(amount), gateway, method)
                .map(|(t, _)| t),
        }
    }

    /// Start a refund checked against what the sale can still give back
    /// (amount and units per line, from the approved refunds so far).
    pub fn begin_refund(
        &mut self,
        sale: &SaleNo,
        request: &RefundRequest,
        gateway: Option<GatewayId>,
        method: PayMethod,
    ) -> Result<(TradeNo, RefundPlan)> {
        let (trade, plan) = self.begin(
            sale,
            AttemptKind::Refund,
            gateway,
            method,
            None,
            |tx, row| {
                if !row.paid.is_positive() {
                    return Err(JournalError::NotPaid(sale.to_string()));
                }
                let lines = records::load_lines(tx, row.id)?;
                let mut refunded_units = vec![0u32; lines.len()];
                let mut stmt = tx.prepare_cached(
                    "SELECT refund_lines FROM attempts
                 WHERE sale_id = ?1 AND kind = 'refund' AND state = 'approved'
                   AND refund_lines IS NOT NULL",
                )?;
                let done = stmt
                    .query_map([row.id], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                for json in done {
                    let picks: Vec<(usize, u32)> = serde_json::from_str(&json)
                        .map_err(|e| JournalError::Corrupt(format!("refund lines: {e}")))?;
                    for (i, q) in picks {
                        if let Some(u) = refunded_units.get_mut(i) {
                            *u += q;
                        }
                    }
                }
                let refundable = Refundable {
                    lines: &lines,
                    total: row.total,
                    paid: row.paid,
                    refunded: row.refunded,
                    refunded_units,
                };
                let plan = refundable.plan(request)?;
                Ok((plan.amount, Some(plan)))
            },
        )?;
        Ok((trade, plan.expect("refund plans are always made")))
    }

    /// The shared part of starting an attempt: lock, load the sale, refuse
    /// while another attempt is unresolved, let `check` price it, insert.
    fn begin(
        &mut self,
        sale: &SaleNo,
        kind: AttemptKind,
        gateway: Option<GatewayId>,
        method: PayMethod,
        masked_code: Option<&MaskedCode>,
        check: impl FnOnce(&Connection, &SaleRow) -> Result<(Ntd, Option<RefundPlan>)>,
    ) -> Result<(TradeNo, Option<RefundPlan>)> {
        if (method == PayMethod::Cash) != gateway.is_none() {
            return Err(JournalError::MethodGatewayMismatch);
        }
        let (tx, now) = self.write()?;
        let row = sale_row(&tx, sale)?;
        if let Some((trade, state)) = in_flight(&tx, row.id)? {
            return Err(JournalError::AttemptInFlight { trade, state });
        }
        let (amount, plan) = check(&tx, &row)?;
        let n: i64 = tx
            .prepare_cached(
                "SELECT COALESCE(MAX(n), 0) + 1 FROM attempts WHERE sale_id = ?1 AND kind = ?2",
            )?
            .query_row(params![row.id, kind_str(kind)], |r| r.get(0))?;
        let trade = sale.attempt(kind, u8::try_from(n).unwrap_or(u8::MAX))?;
        let (method_kind, wallet) = method_columns(method);
        let refund_lines = match &plan {
            Some(p) if !p.lines.is_empty() => Some(
                serde_json::to_string(&p.lines)
                    .map_err(|e| JournalError::Corrupt(e.to_string()))?,
            ),
            _ => None,
        };
        let attempt_id: i64 = tx
            .prepare_cached(
                "INSERT INTO attempts (trade_no, sale_id, kind, n, gateway, method, wallet, amount,
                                       masked_code, refund_lines, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'created', ?11, ?11) RETURNING id",
            )?
            .query_row(
                params![
                    trade.to_string(),
                    row.id,
                    kind_str(kind),
                    n,
                    gateway.map(|g| g.as_str()),
                    method_kind,
                    wallet,
                    amount.dollars(),
                    masked_code.map(|m| m.as_str()),
                    refund_lines,
                    now
                ],
                |r| r.get(0),
            )?;
        let detail = json!({
            "amount": amount.dollars(),
            "gateway": gateway.map(|g| g.as_str()),
            "method": method_kind,
        });
        insert_event(
            &tx,
            attempt_id,
            None,
            AttemptState::Created,
            &now,
            &detail.to_string(),
        )?;
        audit::append(
            &tx,
            &now,
            "till",
            "attempt.begin",
            &trade.to_string(),
            &detail,
        )?;
        tx.commit()?;
        Ok((trade, plan))
    }

    /// Move an attempt to `to`. The current state is read inside the write
    /// transaction; an illegal move is refused with
    /// [`JournalError::IllegalTransition`] and changes nothing. A legal one
    /// writes the event, updates the attempt (and the sale's paid/refunded
    /// totals on approval) and appends an audit row, all in one commit.
    pub fn transition(
        &mut self,
        trade: &TradeNo,
        to: AttemptState,
        detail: Detail,
    ) -> Result<Transitioned> {
        let has_sealed_codes = self.version >= super::schema::SEALED_CODES_FROM;
        let (tx, now) = self.write()?;
        let row: Option<(i64, i64, Option<String>, String, i64)> = tx
            .prepare_cached(
                "SELECT id, sale_id, gateway, state, amount FROM attempts WHERE trade_no = ?1",
            )?
            .query_row([trade.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let (attempt_id, sale_id, gateway, state, amount) =
            row.ok_or_else(|| JournalError::NoSuchAttempt(trade.to_string()))?;
        let from = super::parse_state(&state)?;
        if !attempt::is_legal(from, to, gateway.is_none()) {
            return Err(JournalError::IllegalTransition {
                trade: trade.to_string(),
                from,
                to,
            });
        }
        let detail_json =
            serde_json::to_string(&detail).map_err(|e| JournalError::Corrupt(e.to_string()))?;
        let event_id = insert_event(&tx, attempt_id, Some(from), to, &now, &detail_json)?;
        tx.prepare_cached(
            "UPDATE attempts SET state = ?2, updated_at = ?3,
                 gateway_trade_no = COALESCE(?4, gateway_trade_no),
                 last_error = COALESCE(?5, last_error)
             WHERE id = ?1",
        )?
        .execute(params![
            attempt_id,
            to.as_str(),
            now,
            detail.gateway_trade_no,
            detail.error
        ])?;
        if to.is_final() && has_sealed_codes {
            super::card_codes::drop_sealed_code(&tx, attempt_id)?;
        }
        if to == AttemptState::Approved
            && let Some(wallet) = detail.wallet
        {
            let wallet =
                serde_json::to_value(wallet).map_err(|e| JournalError::Corrupt(e.to_string()))?;
            tx.prepare_cached(
                "UPDATE attempts SET wallet = ?2 WHERE id = ?1 AND wallet = 'unidentified'",
            )?
            .execute(params![attempt_id, wallet.as_str()])?;
        }
        if to == AttemptState::Approved {
            let sql = match trade.kind() {
                AttemptKind::Payment => {
                    "UPDATE sales SET paid = paid + ?2,
                         status = CASE WHEN paid + ?2 >= total THEN 'paid' ELSE status END
                     WHERE id = ?1"
                }
                // Money taken on a sale never paid in full and all given
                // back: the sale is given up (void), as if never paid, and
                // stays out of the takings; part of it back, still open.
                AttemptKind::Refund => {
                    "UPDATE sales SET refunded = refunded + ?2,
                         status = CASE
                             WHEN status = 'open' AND refunded + ?2 >= paid THEN 'void'
                             WHEN status = 'open' THEN 'open'
                             WHEN refunded + ?2 >= paid THEN 'refunded'
                             ELSE 'part_refunded' END
                     WHERE id = ?1"
                }
            };
            let was_open = trade.kind() == AttemptKind::Refund
                && tx.query_row(
                    "SELECT status = 'open' FROM sales WHERE id = ?1",
                    [sale_id],
                    |r| r.get::<_, bool>(0),
                )?;
            tx.prepare_cached(sql)?.execute(params![sale_id, amount])?;
            if was_open {
                let (sale_no, status): (String, String) = tx.query_row(
                    "SELECT sale_no, status FROM sales WHERE id = ?1",
                    [sale_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if status == "void" {
                    audit::append(
                        &tx,
                        &now,
                        "till",
                        "sale.void",
                        &sale_no,
                        &json!({ "reason": "open, what was taken given back", "refund": trade.to_string() }),
                    )?;
                }
            }
            if trade.kind() == AttemptKind::Refund {
                super::owed::owe_invoice_change(&tx, attempt_id, &now)?;
            } else {
                super::mypay_due::owe_if_due(&tx, attempt_id, &detail, &now)?;
            }
        }
        audit::append(
            &tx,
            &now,
            "till",
            "attempt.transition",
            &trade.to_string(),
            &json!({ "from": from.as_str(), "to": to.as_str(), "detail": serde_json::from_str::<serde_json::Value>(&detail_json).unwrap_or_default() }),
        )?;
        tx.commit()?;
        Ok(Transitioned { from, to, event_id })
    }

    /// Attempts not in a final state, oldest first: what `till recover`
    /// must resolve on start-up before the till takes another payment.
    pub fn unresolved_attempts(&self) -> Result<Vec<UnresolvedAttempt>> {
        let ids = self
            .conn
            .prepare(
                "SELECT id FROM attempts
                 WHERE state IN ('created','sending','unknown','cancelling') ORDER BY id",
            )?
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        ids.into_iter()
            .map(|id| records::load_attempt(&self.conn, id, true))
            .collect()
    }
}
