//! Bulk import of completed sales in one transaction: for moving history in
//! from another till and for building large benchmark journals. Each sale
//! gets the same rows the step-by-step path writes (lines, the approved
//! attempt and its events); the import as a whole gets one audit row.

use chrono::NaiveDate;
use rusqlite::params;
use serde_json::json;

use super::attempt::AttemptState;
use super::records::SaleStatus;
use super::sales::{insert_event, insert_sale, method_columns, next_seq};
use super::{Journal, Result, audit, seal, stamp};
use crate::money::Ntd;
use crate::sale::{AttemptKind, Cart, GatewayId, PayMethod, SaleNo, TerminalId};
use crate::taipei::TaipeiTime;

/// A finished sale to import.
#[derive(Debug, Clone)]
pub struct ImportedSale {
    pub terminal: TerminalId,
    pub business_date: NaiveDate,
    pub cashier: String,
    pub cart: Cart,
    pub created_at: TaipeiTime,
    /// How it was paid in full (`None` gateway for cash); `None` for an
    /// unpaid, open sale.
    pub payment: Option<(Option<GatewayId>, PayMethod, Option<String>)>,
}

impl Journal {
    /// Import sales in one transaction; returns their numbers in order.
    pub fn import_sales(
        &mut self,
        sales: impl IntoIterator<Item = ImportedSale>,
        by: &str,
    ) -> Result<Vec<SaleNo>> {
        // Random-order index inserts (by total, by amount) thrash the default
        // 2 MB page cache; a big cache for the import keeps pages in memory
        // until the commit instead of spilling them to the WAL again and again.
        let cache: i64 = self.conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        self.conn.pragma_update(None, "cache_size", -512 * 1024)?;
        let result = self.import_in_one_transaction(sales, by);
        self.conn.pragma_update(None, "cache_size", cache)?;
        result
    }

    fn import_in_one_transaction(
        &mut self,
        sales: impl IntoIterator<Item = ImportedSale>,
        by: &str,
    ) -> Result<Vec<SaleNo>> {
        let (tx, now) = self.write()?;
        let mut out = Vec::new();
        {
            let mut attempt_stmt = tx.prepare_cached(
                "INSERT INTO attempts (trade_no, sale_id, kind, n, gateway, method, wallet, amount,
                                       state, gateway_trade_no, created_at, updated_at)
                 VALUES (?1, ?2, 'payment', 1, ?3, ?4, ?5, ?6, 'approved', ?7, ?8, ?8) RETURNING id",
            )?;
            for s in sales {
                let seq = next_seq(&tx, &s.terminal, s.business_date)?;
                let sale = SaleNo::new(s.terminal.clone(), s.business_date, seq)?;
                let at = stamp(s.created_at);
                let total = s.cart.total();
                let (status, paid) = match (&s.payment, total) {
                    (_, Ntd::ZERO) | (Some(_), _) => (SaleStatus::Paid, total),
                    (None, _) => (SaleStatus::Open, Ntd::ZERO),
                };
                let sale_id = insert_sale(&tx, &sale, &s.cashier, &s.cart, status, paid, &at)?;
                if let (Some((gateway, method, gw_no)), true) = (&s.payment, total.is_positive()) {
                    let trade = sale.attempt(AttemptKind::Payment, 1)?;
                    let (kind, wallet) = method_columns(*method);
                    let id: i64 = attempt_stmt.query_row(
                        params![
                            trade.to_string(),
                            sale_id,
                            gateway.map(|g| g.as_str()),
                            kind,
                            wallet,
                            total.dollars(),
                            gw_no,
                            at
                        ],
                        |r| r.get(0),
                    )?;
                    insert_event(&tx, id, None, AttemptState::Created, &at, "{}")?;
                    let mut from = AttemptState::Created;
                    if gateway.is_some() {
                        insert_event(&tx, id, Some(from), AttemptState::Sending, &at, "{}")?;
                        from = AttemptState::Sending;
                    }
                    insert_event(
                        &tx,
                        id,
                        Some(from),
                        AttemptState::Approved,
                        &at,
                        r#"{"imported":true}"#,
                    )?;
                }
                out.push(sale);
            }
        }
        audit::append(
            &tx,
            &now,
            by,
            "sale.import",
            &format!(
                "{}..{}",
                out.first().map(|s| s.to_string()).unwrap_or_default(),
                out.last().map(|s| s.to_string()).unwrap_or_default()
            ),
            &json!({ "count": out.len() }),
        )?;
        tx.commit()?;
        Ok(out)
    }

    /// `steps` commits that each journal one audit row, as every step of
    /// the till does, each sealed on its own and so adding its own seal
    /// chain entry: a benchmark journal gets the chain and audit log of a
    /// year (one entry per commit) without a year of fsyncs. Batches of
    /// steps share a transaction; within it each step seals as a commit
    /// would.
    #[doc(hidden)]
    pub fn append_audit_steps(&mut self, steps: u64, by: &str) -> Result<()> {
        const BATCH: u64 = 50_000;
        self.wrote.set(true);
        let mut done = 0;
        while done < steps {
            let now = self.now();
            let tx = seal::begin(&mut self.conn, self.sealer.as_ref(), now.clone())?;
            for i in done..(done + BATCH).min(steps) {
                audit::append(&tx, &now, by, "bench.step", &i.to_string(), &json!({}))?;
                if let Some(sealer) = self.sealer.as_ref() {
                    sealer.seal_dirty(&tx, &now)?;
                }
            }
            tx.commit()?;
            done = (done + BATCH).min(steps);
        }
        Ok(())
    }
}
