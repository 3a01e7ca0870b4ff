//! Shift (X) and day-close (Z) reports: what the till took since the last
//! Z, by tender, and what it gave back. An X report only reads; a Z report
//! records the close in the audit log (with the sale, attempt and invoice
//! change it ends at), so the next report starts after it and the close
//! itself is tamper-evident. Sales count in the shift they were rung up
//! in; refunds, invoice voids and allowances in the shift they were given
//! in, whatever day their sale was: a closed day's Z stays as printed.
//! Only approved attempts count as money; attempts still in flight are
//! listed, and a Z is refused while any exist, so no charge hides in a
//! closed day.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Journal, JournalError, Result, audit};
use crate::money::Ntd;
use crate::sale::TerminalId;

/// Money taken or given back one way (cash, a gateway, a wallet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderTotal {
    /// `cash`, `wallet`, `bound_card`, `pay_later`, `pay_page`.
    pub method: String,
    pub gateway: Option<String>,
    pub wallet: Option<String>,
    pub count: u64,
    pub amount: Ntd,
}

/// A sale left open: rung up, not paid in full, not voided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenSale {
    pub sale_no: String,
    pub total: Ntd,
    /// Money already taken on it (a half-paid sale when above zero).
    pub paid: Ntd,
}

/// The e-invoice numbers one roll (a period's track and number range)
/// gave to a report's sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRange {
    /// ROC year and even month, e.g. `11512`.
    pub period: String,
    pub track: String,
    pub first: String,
    pub last: String,
    pub count: u64,
}

/// Everything since the last Z on one terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftReport {
    pub terminal: String,
    /// `X` (a look) or `Z` (the close); `"x"` / `"z"` in JSON, as
    /// `till report x|z` names it and like every other `kind` it prints.
    #[serde(with = "report_kind")]
    pub kind: char,
    /// The Z number: 1 for the terminal's first close (the next one for an X).
    pub z_number: u64,
    pub first_sale: Option<String>,
    pub last_sale: Option<String>,
    pub sales: u64,
    pub voided: u64,
    /// What the voided sales were rung up for (no money taken on them).
    #[serde(default)]
    pub voided_amount: Ntd,
    /// The sales paid in full (refunded or not) at list price, before any
    /// discount: what was sold. An open sale is not in it, even half paid.
    pub gross: Ntd,
    /// Discounts given on those sales, line and whole-sale ones.
    #[serde(default)]
    pub discounts: Ntd,
    /// Money given back (approved refunds).
    #[serde(default)]
    pub refunded: Ntd,
    /// `gross` less `discounts` less `refunded`: what the tender lines add
    /// up to (payments less refunds), to the dollar.
    #[serde(default)]
    pub net: Ntd,
    /// The net by tax kind. The till sells taxable goods only (every
    /// invoice it issues is MIG `TaxType` 1, 5% included in the price), so
    /// zero-rated and exempt are there to be seen as nil, not guessed.
    #[serde(default)]
    pub taxable: Ntd,
    #[serde(default)]
    pub zero_rated: Ntd,
    #[serde(default)]
    pub tax_exempt: Ntd,
    /// The 5% business tax included in `taxable`.
    #[serde(default)]
    pub tax_included: Ntd,
    /// E-invoice numbers issued for this report's sales, per roll.
    #[serde(default)]
    pub invoices: Vec<InvoiceRange>,
    /// Invoices voided (作廢) and allowances (折讓) still standing, on this
    /// report's sales, with their amounts.
    #[serde(default)]
    pub invoices_voided: u64,
    #[serde(default)]
    pub invoices_voided_amount: Ntd,
    #[serde(default)]
    pub allowances: u64,
    #[serde(default)]
    pub allowances_amount: Ntd,
    /// Sales still open (rung up, a payment tried, not paid in full) and
    /// the money already taken on them: they are on no tender line until
    /// settled, and block the Z.
    #[serde(default)]
    pub open_sales: u64,
    #[serde(default)]
    pub open_paid: Ntd,
    /// Those open sales by number, for the manager to settle (the half-paid
    /// ones block the Z and are named there).
    #[serde(default)]
    pub open: Vec<OpenSale>,
    /// Payments on the sales in `gross`, by tender.
    pub payments: Vec<TenderTotal>,
    pub refunds: Vec<TenderTotal>,
    /// Cash payments less cash refunds: what the drawer should hold beyond its float.
    pub cash_in_drawer: Ntd,
    /// Attempts still Sending / Unknown / Cancelling.
    pub unresolved: u64,
    /// Money gateways took after the till closed the attempt, still owed
    /// back to customers (any day: it stays on every report until settled).
    #[serde(default)]
    pub owed_back: u64,
    #[serde(default)]
    pub owed_back_amount: Ntd,
    /// RFC 3339, +08:00.
    pub generated_at: String,
    /// Z only: the seal anchor after the close (chain entry, perpetual
    /// totals, keyed check) for `till journal verify --anchor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// Internal: the last sale, attempt and invoice change this report covers.
    #[serde(skip)]
    to_sale_id: i64,
    #[serde(skip)]
    to_attempt_id: i64,
    #[serde(skip)]
    to_void_id: i64,
}

/// [`ShiftReport::kind`] in JSON: lower case out, either case in.
mod report_kind {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(kind: &char, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_char(kind.to_ascii_lowercase())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<char, D::Error> {
        Ok(char::deserialize(d)?.to_ascii_uppercase())
    }
}

impl Journal {
    /// The shift so far, since the last Z (X report). Changes nothing.
    pub fn x_report(&self, terminal: &TerminalId) -> Result<ShiftReport> {
        let after = last_close(&self.conn, terminal)?;
        summarise(&self.conn, terminal, &after, 'X', self.now())
    }

    /// Close the day (Z report): the report is recorded in the audit log and
    /// the next one starts after it. Refused while an attempt is unresolved.
    pub fn close_day(&mut self, terminal: &TerminalId, by: &str) -> Result<ShiftReport> {
        let (tx, now) = self.write()?;
        let after = last_close(&tx, terminal)?;
        let report = summarise(&tx, terminal, &after, 'Z', now.clone())?;
        if report.unresolved > 0 {
            return Err(JournalError::Unresolved(report.unresolved));
        }
        // Money taken on a sale not paid in full is settled by a manager
        // first; a sale rung up and left with nothing paid (a wallet that
        // failed, the customer gone) is voided by the close, on record.
        if report.open_paid.is_positive() {
            return Err(JournalError::HalfPaid(report.open_sales));
        }
        let abandoned: Vec<String> = tx
            .prepare(
                "SELECT sale_no FROM sales
                  WHERE terminal = ?1 AND id > ?2 AND status = 'open' AND paid = 0",
            )?
            .query_map(params![terminal.as_str(), after.sale], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for sale_no in &abandoned {
            tx.execute(
                "UPDATE sales SET status = 'void' WHERE sale_no = ?1 AND status = 'open'",
                [sale_no],
            )?;
            audit::append(
                &tx,
                &now,
                by,
                "sale.void",
                sale_no,
                &json!({ "reason": "open at the day's close, nothing paid" }),
            )?;
        }
        let report = if abandoned.is_empty() {
            report
        } else {
            summarise(&tx, terminal, &after, 'Z', now.clone())?
        };
        audit::append(
            &tx,
            &now,
            by,
            "day.close",
            terminal.as_str(),
            &json!({
                "z": report.z_number,
                "after_sale_id": after.sale,
                "to_sale_id": report.to_sale_id,
                "to_attempt_id": report.to_attempt_id,
                "to_void_id": report.to_void_id,
                "sales": report.sales,
                "gross": report.gross.dollars(),
                "cash_in_drawer": report.cash_in_drawer.dollars(),
            }),
        )?;
        tx.commit()?;
        let mut report = report;
        report.anchor = self.anchor(terminal)?.map(|a| a.to_string());
        Ok(report)
    }
}

/// Sales whose money was taken in full (some may have been given back).
const PAID: &str = "'paid','part_refunded','refunded'";

impl ShiftReport {
    /// Whether the tender lines add up to the net: payments less refunds,
    /// to the dollar.
    /// Also that gross − discounts − refunds is the net, and that the tax
    /// split adds up to it.
    pub fn reconciles(&self) -> bool {
        let sum = |l: &[TenderTotal]| l.iter().map(|x| x.amount).sum::<Ntd>();
        let tenders = sum(&self.payments).checked_sub(sum(&self.refunds)).ok();
        let figures = self
            .gross
            .checked_sub(self.discounts)
            .and_then(|n| n.checked_sub(self.refunded))
            .ok();
        let by_tax = self
            .taxable
            .checked_add(self.zero_rated)
            .and_then(|n| n.checked_add(self.tax_exempt))
            .ok();
        tenders == Some(self.net) && figures == Some(self.net) && by_tax == Some(self.net)
    }
}

/// Where the last Z of a terminal ended (all zero before the first).
struct Close {
    /// How many Zs so far.
    z: u64,
    /// The last sale, attempt and invoice void/allowance it covered.
    sale: i64,
    attempt: i64,
    void: i64,
}

fn last_close(conn: &rusqlite::Connection, terminal: &TerminalId) -> Result<Close> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT detail, at FROM audit_log WHERE action = 'day.close' AND subject = ?1
             ORDER BY seq DESC LIMIT 1",
            [terminal.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((detail, at)) = row else {
        return Ok(Close {
            z: 0,
            sale: 0,
            attempt: 0,
            void: 0,
        });
    };
    let v: serde_json::Value =
        serde_json::from_str(&detail).map_err(|e| JournalError::Corrupt(e.to_string()))?;
    // A close recorded before attempts and voids were noted ended at
    // whatever existed at its time (nothing is added while a Z runs).
    let before = |table: &str, at_column: &str| -> Result<i64> {
        Ok(conn.query_row(
            &format!("SELECT COALESCE(MAX(id), 0) FROM {table} WHERE {at_column} <= ?1"),
            [&at],
            |r| r.get(0),
        )?)
    };
    Ok(Close {
        z: v["z"].as_u64().unwrap_or(0),
        sale: v["to_sale_id"].as_i64().unwrap_or(0),
        attempt: match v["to_attempt_id"].as_i64() {
            Some(id) => id,
            None => before("attempts", "created_at")?,
        },
        void: match v["to_void_id"].as_i64() {
            Some(id) => id,
            None => before("invoice_voids", "at")?,
        },
    })
}

fn summarise(
    conn: &rusqlite::Connection,
    terminal: &TerminalId,
    close: &Close,
    kind: char,
    now: String,
) -> Result<ShiftReport> {
    let t = terminal.as_str();
    let (zs, after) = (close.z, close.sale);
    let (sales, voided, voided_amount, sold, sale_discounts, open_sales, open_paid, to_sale_id): (
        u64,
        u64,
        i64,
        i64,
        i64,
        u64,
        i64,
        Option<i64>,
    ) = conn.query_row(
        &format!(
            "SELECT COUNT(*),
                    COALESCE(SUM(status = 'void'), 0),
                    COALESCE(SUM(CASE WHEN status = 'void' THEN total ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN status IN ({PAID}) THEN total ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN status IN ({PAID}) THEN discount ELSE 0 END), 0),
                    COALESCE(SUM(status = 'open'), 0),
                    COALESCE(SUM(CASE WHEN status = 'open' THEN paid - refunded ELSE 0 END), 0),
                    MAX(id)
               FROM sales WHERE terminal = ?1 AND id > ?2"
        ),
        params![t, after],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        },
    )?;
    let to_sale_id = to_sale_id.unwrap_or(after);
    // Line discounts live on the lines (a sale's subtotal is after them).
    let line_discounts: i64 = conn.query_row(
        &format!(
            "SELECT COALESCE(SUM(l.discount), 0)
               FROM sale_lines l JOIN sales s ON s.id = l.sale_id
              WHERE l.sale_id > ?2 AND l.sale_id <= ?3 AND l.discount > 0
                AND s.terminal = ?1 AND s.status IN ({PAID})"
        ),
        params![t, after, to_sale_id],
        |r| r.get(0),
    )?;
    let overflow = |what: &str| JournalError::Corrupt(format!("{what} totals overflow"));
    let discounts = Ntd::new(sale_discounts)
        .checked_add(Ntd::new(line_discounts))
        .map_err(|_| overflow("discount"))?;
    let gross = Ntd::new(sold)
        .checked_add(discounts)
        .map_err(|_| overflow("sales"))?;
    let invoices = {
        let mut stmt = conn.prepare(
            "SELECT r.period, r.track, MIN(i.number), MAX(i.number), COUNT(*)
               FROM invoices i JOIN invoice_rolls r ON r.id = i.roll_id
               JOIN sales s ON s.id = i.sale_id
              WHERE i.sale_id > ?2 AND i.sale_id <= ?3 AND s.terminal = ?1
              GROUP BY i.roll_id ORDER BY MIN(i.number)",
        )?;
        let rows = stmt.query_map(params![t, after, to_sale_id], |r| {
            Ok(InvoiceRange {
                period: r.get(0)?,
                track: r.get(1)?,
                first: r.get(2)?,
                last: r.get(3)?,
                count: r.get(4)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    // Voids and allowances, like refunds, count in the shift they were
    // made in, whichever day their sale was.
    let to_void_id: i64 = conn.query_row(
        "SELECT COALESCE(MAX(id), ?1) FROM invoice_voids",
        [close.void],
        |r| r.get(0),
    )?;
    let change = |kind: &str| -> Result<(u64, i64)> {
        Ok(conn.query_row(
            // A void takes the whole invoice; its row carries no amount.
            "SELECT COUNT(*),
                    COALESCE(SUM(CASE WHEN v.kind = 'void' THEN i.amount ELSE v.amount END), 0)
               FROM invoice_voids v JOIN invoices i ON i.id = v.invoice_id
               JOIN sales s ON s.id = i.sale_id
              WHERE v.id > ?2 AND v.id <= ?3 AND s.terminal = ?1 AND v.kind = ?4",
            params![t, close.void, to_void_id, kind],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    };
    let (invoices_voided, invoices_voided_amount) = change("void")?;
    // An allowance voided in error (MIG G0501) no longer stands.
    let (allowances_made, allowances_made_amount) = change("allowance")?;
    let (allowances_undone, allowances_undone_amount) = change("allowance_void")?;
    let sale_no = |order: &str| -> Result<Option<String>> {
        Ok(conn
            .query_row(
                &format!(
                    "SELECT sale_no FROM sales WHERE terminal = ?1 AND id > ?2 AND id <= ?3
                     ORDER BY id {order} LIMIT 1"
                ),
                params![t, after, to_sale_id],
                |r| r.get(0),
            )
            .optional()?)
    };
    let to_attempt_id: i64 = conn.query_row(
        "SELECT COALESCE(MAX(id), ?1) FROM attempts",
        [close.attempt],
        |r| r.get(0),
    )?;
    // Payments on this shift's sales; refunds given in this shift, on any
    // day's sale (a Z already printed keeps the figures it printed).
    let totals = |kind: &str| -> Result<Vec<TenderTotal>> {
        // Refunds: the shift's attempts first (CROSS JOIN keeps that order),
        // a short range of ids, not the terminal's every sale.
        let (join, range, lo, hi) = match kind {
            "refund" => ("CROSS JOIN", "a.id", close.attempt, to_attempt_id),
            _ => ("JOIN", "s.id", after, to_sale_id),
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT a.method, a.gateway, a.wallet, COUNT(*), SUM(a.amount)
               FROM attempts a {join} sales s ON s.id = a.sale_id
              WHERE s.terminal = ?1 AND {range} > ?2 AND {range} <= ?3
                AND a.kind = ?4 AND a.state = 'approved' AND s.status IN ({PAID})
              GROUP BY a.method, a.gateway, a.wallet
              ORDER BY a.method, a.gateway, a.wallet"
        ))?;
        let rows = stmt.query_map(params![t, lo, hi, kind], |r| {
            Ok(TenderTotal {
                method: r.get(0)?,
                gateway: r.get(1)?,
                wallet: r.get(2)?,
                count: r.get(3)?,
                amount: Ntd::new(r.get(4)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    };
    let payments = totals("payment")?;
    let refunds = totals("refund")?;
    let refunded: Ntd = refunds.iter().map(|x| x.amount).sum();
    let net = gross
        .checked_sub(discounts)
        .and_then(|n| n.checked_sub(refunded))
        .map_err(|_| overflow("refund"))?;
    let cash = |list: &[TenderTotal]| -> Ntd {
        list.iter()
            .filter(|x| x.method == "cash")
            .map(|x| x.amount)
            .sum()
    };
    let cash_in_drawer = cash(&payments)
        .checked_sub(cash(&refunds))
        .map_err(|_| JournalError::Corrupt("cash totals overflow".into()))?;
    let unresolved: u64 = conn.query_row(
        "SELECT COUNT(*) FROM attempts a JOIN sales s ON s.id = a.sale_id
          WHERE s.terminal = ?1 AND a.state IN ('created','sending','unknown','cancelling')",
        [t],
        |r| r.get(0),
    )?;
    let (owed_back, owed_back_amount): (u64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(l.amount), 0)
           FROM late_payments l JOIN attempts a ON a.id = l.attempt_id
           JOIN sales s ON s.id = a.sale_id
          WHERE s.terminal = ?1 AND l.settled_at IS NULL",
        [t],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let open = conn
        .prepare_cached(
            "SELECT sale_no, total, paid - refunded FROM sales
              WHERE status = 'open' AND terminal = ?1 AND id > ?2 ORDER BY id",
        )?
        .query_map(params![t, after], |r| {
            Ok(OpenSale {
                sale_no: r.get(0)?,
                total: Ntd::new(r.get(1)?),
                paid: Ntd::new(r.get(2)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ShiftReport {
        terminal: t.to_string(),
        kind,
        z_number: zs + 1,
        first_sale: sale_no("ASC")?,
        last_sale: sale_no("DESC")?,
        sales,
        voided,
        voided_amount: Ntd::new(voided_amount),
        gross,
        discounts,
        refunded,
        net,
        taxable: net,
        zero_rated: Ntd::ZERO,
        tax_exempt: Ntd::ZERO,
        tax_included: net.tax_split().tax,
        invoices,
        invoices_voided,
        invoices_voided_amount: Ntd::new(invoices_voided_amount),
        allowances: allowances_made.saturating_sub(allowances_undone),
        allowances_amount: Ntd::new(allowances_made_amount - allowances_undone_amount),
        open_sales,
        open_paid: Ntd::new(open_paid),
        open,
        payments,
        refunds,
        cash_in_drawer,
        unresolved,
        owed_back,
        owed_back_amount: Ntd::new(owed_back_amount),
        generated_at: now,
        anchor: None,
        to_sale_id,
        to_attempt_id,
        to_void_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{AttemptState, Detail, MaskedCode};
    use crate::sale::{
        AttemptKind, Cart, GatewayId, Line, PayMethod, RefundRequest, SaleNo, Wallet,
    };
    use chrono::NaiveDate;

    fn t01() -> TerminalId {
        "T01".parse().unwrap()
    }

    fn sale(j: &mut Journal, price: i64) -> SaleNo {
        let mut c = Cart::new();
        c.add(Line::new("1", "拿鐵", 1, Ntd::new(price)).unwrap())
            .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        j.new_sale(&t01(), day, "小明", &c).unwrap()
    }

    fn cash(j: &mut Journal, s: &SaleNo, amount: i64) {
        let t = j
            .begin_attempt(
                s,
                AttemptKind::Payment,
                None,
                PayMethod::Cash,
                Ntd::new(amount),
                None,
            )
            .unwrap();
        j.transition(&t, AttemptState::Approved, Detail::new())
            .unwrap();
    }

    fn jko(j: &mut Journal, s: &SaleNo, amount: i64, end: AttemptState) {
        let code = MaskedCode::mask("22J111111111111111");
        let t = j
            .begin_attempt(
                s,
                AttemptKind::Payment,
                Some(GatewayId::JkoPay),
                PayMethod::Wallet(Wallet::JkoPay),
                Ntd::new(amount),
                Some(&code),
            )
            .unwrap();
        j.transition(&t, AttemptState::Sending, Detail::new())
            .unwrap();
        j.transition(&t, end, Detail::new()).unwrap();
    }

    #[test]
    fn x_shows_the_shift_by_tender_and_z_closes_it() {
        let mut j = Journal::open_in_memory().unwrap();
        let a = sale(&mut j, 100);
        cash(&mut j, &a, 100);
        let b = sale(&mut j, 85);
        jko(&mut j, &b, 85, AttemptState::Approved);
        let c = sale(&mut j, 60);
        cash(&mut j, &c, 60);
        let (refund, _) = j
            .begin_refund(
                &c,
                &RefundRequest::Amount(Ntd::new(20)),
                None,
                PayMethod::Cash,
            )
            .unwrap();
        j.transition(&refund, AttemptState::Approved, Detail::new())
            .unwrap();

        let x = j.x_report(&t01()).unwrap();
        assert_eq!((x.kind, x.z_number, x.sales), ('X', 1, 3));
        assert_eq!(x.gross, Ntd::new(245));
        assert_eq!(x.first_sale, Some(a.to_string()));
        assert_eq!(x.last_sale, Some(c.to_string()));
        let cash_taken = x.payments.iter().find(|t| t.method == "cash").unwrap();
        assert_eq!((cash_taken.count, cash_taken.amount), (2, Ntd::new(160)));
        let wallet = x
            .payments
            .iter()
            .find(|t| t.wallet.as_deref() == Some("jko_pay"))
            .unwrap();
        assert_eq!(wallet.amount, Ntd::new(85));
        assert_eq!(x.refunds[0].amount, Ntd::new(20));
        assert_eq!(x.cash_in_drawer, Ntd::new(140), "160 in, 20 back");
        assert_eq!(j.x_report(&t01()).unwrap().sales, 3, "an X changes nothing");

        let z = j.close_day(&t01(), "店長").unwrap();
        assert_eq!((z.kind, z.z_number, z.sales), ('Z', 1, 3));
        let after = j.x_report(&t01()).unwrap();
        assert_eq!(
            (after.z_number, after.sales, after.gross),
            (2, 0, Ntd::ZERO)
        );
        let d = sale(&mut j, 40);
        cash(&mut j, &d, 40);
        let next = j.x_report(&t01()).unwrap();
        assert_eq!((next.sales, next.first_sale), (1, Some(d.to_string())));
        assert!(
            j.verify_audit().unwrap().is_intact(),
            "the close is in the audit chain"
        );
    }

    #[test]
    fn gross_refunds_and_net_reconcile_with_the_tender_lines_and_an_open_sale_is_apart() {
        let mut j = Journal::open_in_memory().unwrap();
        let a = sale(&mut j, 100);
        cash(&mut j, &a, 100);
        // Declined and left: rung up, nothing taken.
        let b = sale(&mut j, 7001);
        jko(&mut j, &b, 7001, AttemptState::Declined);
        let c = sale(&mut j, 60);
        jko(&mut j, &c, 60, AttemptState::Approved);
        let (refund, _) = j
            .begin_refund(
                &c,
                &RefundRequest::Amount(Ntd::new(20)),
                Some(GatewayId::JkoPay),
                PayMethod::Wallet(Wallet::JkoPay),
            )
            .unwrap();
        j.transition(&refund, AttemptState::Sending, Detail::new())
            .unwrap();
        j.transition(&refund, AttemptState::Approved, Detail::new())
            .unwrap();

        let x = j.x_report(&t01()).unwrap();
        assert_eq!(x.gross, Ntd::new(160), "the unpaid sale is not turnover");
        assert_eq!(x.refunded, Ntd::new(20));
        assert_eq!(x.net, Ntd::new(140));
        assert_eq!((x.open_sales, x.open_paid), (1, Ntd::ZERO));
        assert!(x.reconciles(), "tender lines add up to the net: {x:?}");
        let taken: Ntd = x.payments.iter().map(|p| p.amount).sum();
        assert_eq!(taken, Ntd::new(160));

        // The close voids the sale left with nothing paid, on record.
        let z = j.close_day(&t01(), "店長").unwrap();
        assert_eq!((z.open_sales, z.voided, z.gross), (0, 1, Ntd::new(160)));
        assert!(z.reconciles());
        let b = j.sale_detail(&b).unwrap().unwrap();
        assert_eq!(b.summary.status, crate::journal::SaleStatus::Void);
    }

    #[test]
    fn every_figure_reconciles_with_the_tender_lines_with_invoices_voids_allowances_and_tax() {
        let mut j = Journal::open_in_memory().unwrap();
        let at = crate::taipei::start_of_day(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        j.set_clock(move || at);
        let nov: crate::einvoice::Period = "11512".parse().unwrap();
        j.add_invoice_roll(&t01(), nov, "AB", 100, 199).unwrap();
        let invoice = |j: &mut Journal, s: &SaleNo, amount: i64| {
            j.issue_invoice(s, "1234", None, Ntd::new(amount), &json!({}))
                .unwrap()
                .number
        };
        // 2 × 60 less 10 on the line, less 5 on the sale: 105 in cash.
        let mut c = Cart::new();
        c.add(Line::new("1", "拿鐵", 2, Ntd::new(60)).unwrap())
            .unwrap();
        c.set_line_discount(0, Ntd::new(10)).unwrap();
        c.set_discount(Ntd::new(5)).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let a = j.new_sale(&t01(), day, "小明", &c).unwrap();
        cash(&mut j, &a, 105);
        let first = invoice(&mut j, &a, 105);
        // 85 by JKoPay, 20 of it given back with an allowance.
        let b = sale(&mut j, 85);
        jko(&mut j, &b, 85, AttemptState::Approved);
        let b_invoice = invoice(&mut j, &b, 85);
        let (refund, _) = j
            .begin_refund(
                &b,
                &RefundRequest::Amount(Ntd::new(20)),
                None,
                PayMethod::Cash,
            )
            .unwrap();
        j.transition(&refund, AttemptState::Approved, Detail::new())
            .unwrap();
        j.record_allowance(&b_invoice, Ntd::new(20), "refund", &json!({}))
            .unwrap();
        // 50 in cash, all given back, its invoice voided.
        let c = sale(&mut j, 50);
        cash(&mut j, &c, 50);
        let last = invoice(&mut j, &c, 50);
        let (refund, _) = j
            .begin_refund(&c, &RefundRequest::Full, None, PayMethod::Cash)
            .unwrap();
        j.transition(&refund, AttemptState::Approved, Detail::new())
            .unwrap();
        j.void_invoice(&last, "refund", &json!({})).unwrap();
        // Rung up for 40 and voided; and one still open with nothing paid.
        let d = sale(&mut j, 40);
        j.void_sale(&d, "店長", "customer left").unwrap();
        let _open = sale(&mut j, 7001);

        let x = j.x_report(&t01()).unwrap();
        assert_eq!(x.gross, Ntd::new(120 + 85 + 50), "list price of what sold");
        assert_eq!(x.discounts, Ntd::new(15), "the line's 10 and the sale's 5");
        assert_eq!(x.refunded, Ntd::new(70));
        let taken: Ntd = x.payments.iter().map(|p| p.amount).sum();
        let given: Ntd = x.refunds.iter().map(|p| p.amount).sum();
        assert_eq!(taken, Ntd::new(105 + 85 + 50));
        let figures = x.gross.checked_sub(x.refunded).unwrap();
        let figures = figures.checked_sub(x.discounts).unwrap();
        assert_eq!(figures, x.net, "gross − refunds − discounts = net");
        assert_eq!(
            x.net,
            taken.checked_sub(given).unwrap(),
            "net = Σ tender lines"
        );
        assert_eq!(x.net, Ntd::new(170));
        assert!(x.reconciles(), "{x:?}");
        assert_eq!((x.voided, x.voided_amount), (1, Ntd::new(40)));
        assert_eq!((x.open_sales, x.open_paid), (1, Ntd::ZERO));
        assert_eq!(
            x.invoices,
            vec![InvoiceRange {
                period: "11512".into(),
                track: "AB".into(),
                first: first.clone(),
                last: last.clone(),
                count: 3,
            }]
        );
        assert_eq!(
            (first.as_str(), last.as_str()),
            ("AB00000100", "AB00000102")
        );
        assert_eq!(
            (x.invoices_voided, x.invoices_voided_amount),
            (1, Ntd::new(50))
        );
        assert_eq!((x.allowances, x.allowances_amount), (1, Ntd::new(20)));
        // All taxable, 5% included: 170 = 162 + 8.
        assert_eq!(
            (x.taxable, x.zero_rated, x.tax_exempt, x.tax_included),
            (Ntd::new(170), Ntd::ZERO, Ntd::ZERO, Ntd::new(8))
        );
        // `till report x --json` prints these same fields.
        let v = serde_json::to_value(&x).unwrap();
        assert_eq!(v["invoices"][0]["first"], "AB00000100");
        assert_eq!(v["tax_included"], 8);
        assert_eq!(v["net"], 170);
    }

    /// A sale rung up on Monday and partly given back on Tuesday: the
    /// refund and its allowance are Tuesday's (the drawer paid it out that
    /// day), Monday's Z keeps what it printed, and nothing counts twice.
    #[test]
    fn a_refund_counts_in_the_day_it_was_given_not_the_sales_day() {
        let mut j = Journal::open_in_memory().unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let tuesday = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let ten_am = |d: NaiveDate| crate::taipei::start_of_day(d) + chrono::Duration::hours(10);
        let on = |j: &mut Journal, d: NaiveDate, price: i64| {
            let mut c = Cart::new();
            c.add(Line::new("1", "拿鐵", 1, Ntd::new(price)).unwrap())
                .unwrap();
            j.new_sale(&t01(), d, "小明", &c).unwrap()
        };
        j.set_clock(move || ten_am(monday));
        let nov: crate::einvoice::Period = "11512".parse().unwrap();
        j.add_invoice_roll(&t01(), nov, "AB", 100, 199).unwrap();
        let a = on(&mut j, monday, 100);
        cash(&mut j, &a, 100);
        let a_invoice = j
            .issue_invoice(&a, "1234", None, Ntd::new(100), &json!({}))
            .unwrap()
            .number;
        let b = on(&mut j, monday, 60);
        jko(&mut j, &b, 60, AttemptState::Approved);
        let monday_z = j.close_day(&t01(), "店長").unwrap();
        let printed = |z: &ShiftReport| {
            (
                z.gross,
                z.refunded,
                z.net,
                z.cash_in_drawer,
                z.refunds.len(),
                z.allowances,
            )
        };
        let monday_figures = (Ntd::new(160), Ntd::ZERO, Ntd::new(160), Ntd::new(100), 0, 0);
        assert_eq!(printed(&monday_z), monday_figures);

        j.set_clock(move || ten_am(tuesday));
        let c = on(&mut j, tuesday, 40);
        cash(&mut j, &c, 40);
        let (refund, _) = j
            .begin_refund(
                &a,
                &RefundRequest::Amount(Ntd::new(30)),
                None,
                PayMethod::Cash,
            )
            .unwrap();
        j.transition(&refund, AttemptState::Approved, Detail::new())
            .unwrap();
        j.record_allowance(&a_invoice, Ntd::new(30), "refund", &json!({}))
            .unwrap();

        let x = j.x_report(&t01()).unwrap();
        assert_eq!((x.sales, x.gross), (1, Ntd::new(40)), "Tuesday's one sale");
        assert_eq!(x.refunded, Ntd::new(30), "Monday's sale, refunded today");
        assert_eq!(x.refunds.len(), 1);
        assert_eq!(
            (
                x.refunds[0].method.as_str(),
                x.refunds[0].count,
                x.refunds[0].amount
            ),
            ("cash", 1, Ntd::new(30))
        );
        assert_eq!(x.net, Ntd::new(10));
        assert_eq!(x.cash_in_drawer, Ntd::new(10), "40 in, 30 paid out");
        assert_eq!((x.allowances, x.allowances_amount), (1, Ntd::new(30)));
        assert!(x.reconciles(), "{x:?}");
        let tuesday_z = j.close_day(&t01(), "店長").unwrap();
        assert_eq!(
            printed(&tuesday_z),
            (Ntd::new(40), Ntd::new(30), Ntd::new(10), Ntd::new(10), 1, 1)
        );
        assert_eq!(tuesday_z.z_number, 2);

        // Monday's close, as the journal keeps it, still says what its
        // slip printed; the next shift starts clean.
        let monday_close: serde_json::Value = serde_json::from_str(
            &j.raw_connection()
                .query_row(
                    "SELECT detail FROM audit_log WHERE action = 'day.close' ORDER BY seq LIMIT 1",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (&monday_close["gross"], &monday_close["cash_in_drawer"]),
            (&json!(160), &json!(100))
        );
        let wednesday = j.x_report(&t01()).unwrap();
        assert_eq!(
            (
                wednesday.refunded,
                wednesday.refunds.len(),
                wednesday.allowances
            ),
            (Ntd::ZERO, 0, 0),
            "counted once"
        );
        assert!(j.verify_audit().unwrap().is_intact());
    }

    #[test]
    fn a_half_paid_sale_blocks_the_close() {
        let mut j = Journal::open_in_memory().unwrap();
        let s = sale(&mut j, 100);
        cash(&mut j, &s, 40);
        let x = j.x_report(&t01()).unwrap();
        assert_eq!(
            (x.open_sales, x.open_paid, x.gross),
            (1, Ntd::new(40), Ntd::ZERO)
        );
        assert!(x.payments.is_empty(), "not a tender line until settled");
        assert_eq!(
            x.open,
            vec![OpenSale {
                sale_no: s.to_string(),
                total: Ntd::new(100),
                paid: Ntd::new(40)
            }],
            "named for the manager"
        );
        assert!(matches!(
            j.close_day(&t01(), "店長"),
            Err(JournalError::HalfPaid(1))
        ));
    }

    #[test]
    fn a_half_paid_sale_settled_by_giving_the_money_back_is_void_and_the_day_closes() {
        let mut j = Journal::open_in_memory().unwrap();
        let paid = sale(&mut j, 60);
        cash(&mut j, &paid, 60);
        let s = sale(&mut j, 100);
        cash(&mut j, &s, 40);
        let (refund, _) = j
            .begin_refund(&s, &RefundRequest::Full, None, PayMethod::Cash)
            .unwrap();
        j.transition(&refund, AttemptState::Approved, Detail::new())
            .unwrap();
        let detail = j.sale_detail(&s).unwrap().unwrap();
        assert_eq!(detail.summary.status, crate::journal::SaleStatus::Void);
        let x = j.x_report(&t01()).unwrap();
        assert_eq!((x.open_sales, x.open_paid), (0, Ntd::ZERO));
        assert!(x.open.is_empty());
        assert_eq!(x.gross, Ntd::new(60), "the given-up sale is not turnover");
        assert_eq!(x.cash_in_drawer, Ntd::new(60), "40 in and 40 back");
        assert!(x.reconciles(), "{x:?}");
        let z = j.close_day(&t01(), "店長").unwrap();
        assert_eq!((z.voided, z.net), (1, Ntd::new(60)));
        let audit = j.verify_audit().unwrap();
        assert!(audit.is_intact());
    }

    #[test]
    fn a_day_with_a_payment_in_doubt_cannot_be_closed() {
        let mut j = Journal::open_in_memory().unwrap();
        let s = sale(&mut j, 85);
        jko(&mut j, &s, 85, AttemptState::Unknown);
        let x = j.x_report(&t01()).unwrap();
        assert_eq!(x.unresolved, 1);
        assert!(
            x.payments.is_empty(),
            "money in doubt is not counted as taken"
        );
        assert!(matches!(
            j.close_day(&t01(), "店長"),
            Err(JournalError::Unresolved(1))
        ));
        assert_eq!(
            j.x_report(&t01()).unwrap().z_number,
            1,
            "nothing was closed"
        );
    }

    #[test]
    fn money_owed_back_stays_on_every_report_until_settled() {
        let mut j = Journal::open_in_memory().unwrap();
        let s = sale(&mut j, 85);
        jko(&mut j, &s, 85, AttemptState::Declined);
        let t: crate::sale::TradeNo = format!("{s}P01").parse().unwrap();
        j.record_late_payment(&t, Ntd::new(85), "JK9", "test")
            .unwrap();
        let x = j.x_report(&t01()).unwrap();
        assert_eq!((x.owed_back, x.owed_back_amount), (1, Ntd::new(85)));
        assert!(x.payments.is_empty(), "not counted as taken for the sale");
        // It does not block the close, and is still there the next day.
        j.close_day(&t01(), "店長").unwrap();
        assert_eq!(j.x_report(&t01()).unwrap().owed_back, 1);
        j.settle_late_payment(&t, "店長", "back office").unwrap();
        assert_eq!(j.x_report(&t01()).unwrap().owed_back, 0);
    }
}
