//! The journal's schema as an ordered list of migrations. `PRAGMA
//! user_version` records how many have been applied; opening a journal
//! applies the missing ones in one transaction, and refuses a file written
//! by a newer `till` rather than guess at columns it does not know.
//!
//! Never edit a released step: append a new one.

use rusqlite::{Connection, TransactionBehavior};

use super::JournalError;

/// Schema steps, applied in order. Step `i` takes the file to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // v1: sales, payment attempts, the audit chain.
    r#"
CREATE TABLE day_counters (
    terminal      TEXT NOT NULL,
    business_date TEXT NOT NULL,            -- Taipei date, YYYY-MM-DD
    last_seq      INTEGER NOT NULL CHECK (last_seq >= 0),
    PRIMARY KEY (terminal, business_date)
) WITHOUT ROWID;

CREATE TABLE sales (
    id            INTEGER PRIMARY KEY,
    sale_no       TEXT NOT NULL UNIQUE,
    terminal      TEXT NOT NULL,
    business_date TEXT NOT NULL,
    seq           INTEGER NOT NULL CHECK (seq > 0),
    cashier       TEXT NOT NULL,
    subtotal      INTEGER NOT NULL,
    discount      INTEGER NOT NULL CHECK (discount >= 0),
    total         INTEGER NOT NULL CHECK (total >= 0),
    paid          INTEGER NOT NULL DEFAULT 0,
    refunded      INTEGER NOT NULL DEFAULT 0,
    line_count    INTEGER NOT NULL CHECK (line_count > 0),
    status        TEXT NOT NULL CHECK (status IN ('open','paid','part_refunded','refunded','void')),
    created_at    TEXT NOT NULL,            -- RFC 3339, +08:00
    UNIQUE (terminal, business_date, seq)
);
CREATE INDEX sales_by_date   ON sales (business_date, id);
CREATE INDEX sales_by_total  ON sales (total, id);
CREATE INDEX sales_open      ON sales (status) WHERE status = 'open';

CREATE TABLE sale_lines (
    sale_id    INTEGER NOT NULL REFERENCES sales (id),
    line_no    INTEGER NOT NULL CHECK (line_no >= 0),
    product_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
    discount   INTEGER NOT NULL CHECK (discount >= 0),
    PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID;

CREATE TABLE attempts (
    id               INTEGER PRIMARY KEY,
    trade_no         TEXT NOT NULL UNIQUE,
    sale_id          INTEGER NOT NULL REFERENCES sales (id),
    kind             TEXT NOT NULL CHECK (kind IN ('payment','refund')),
    n                INTEGER NOT NULL CHECK (n > 0),
    gateway          TEXT,                  -- NULL for cash
    method           TEXT NOT NULL,         -- cash / wallet / bound_card / pay_later / pay_page
    wallet           TEXT,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    masked_code      TEXT,                  -- never the full payment code
    refund_lines     TEXT,                  -- JSON [[line, qty], ...] for line refunds
    state            TEXT NOT NULL CHECK (state IN ('created','sending','approved','declined','unknown','cancelling','cancelled','abandoned')),
    gateway_trade_no TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (sale_id, kind, n)
);
CREATE INDEX attempts_by_sale       ON attempts (sale_id);
CREATE INDEX attempts_unresolved    ON attempts (state) WHERE state IN ('created','sending','unknown','cancelling');
CREATE INDEX attempts_by_gateway    ON attempts (gateway, created_at);
CREATE INDEX attempts_by_wallet     ON attempts (wallet, created_at) WHERE wallet IS NOT NULL;
CREATE INDEX attempts_by_amount     ON attempts (amount, created_at);
CREATE INDEX attempts_by_created    ON attempts (created_at);
CREATE INDEX attempts_by_gateway_no ON attempts (gateway_trade_no) WHERE gateway_trade_no IS NOT NULL;

CREATE TABLE attempt_events (
    id         INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    from_state TEXT,                        -- NULL for the creating event
    to_state   TEXT NOT NULL,
    at         TEXT NOT NULL,
    detail     TEXT NOT NULL                -- JSON object
);
CREATE INDEX attempt_events_by_attempt ON attempt_events (attempt_id, id);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
-- The newest row, so that cutting rows off the end is noticed too.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"#,
    // v2: e-invoice number rolls, issued invoices, voids and allowances.
    r#"
CREATE TABLE invoice_rolls (
    id         INTEGER PRIMARY KEY,
    period     TEXT NOT NULL,               -- ROC year + even month, e.g. 11512
    track      TEXT NOT NULL CHECK (length(track) = 2),
    start_no   INTEGER NOT NULL CHECK (start_no >= 0),
    end_no     INTEGER NOT NULL CHECK (end_no <= 99999999 AND end_no >= start_no),
    next_no    INTEGER NOT NULL CHECK (next_no >= start_no AND next_no <= end_no + 1),
    terminal   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (period, track, start_no)
);
CREATE INDEX invoice_rolls_open ON invoice_rolls (terminal, period, id);

CREATE TABLE invoices (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,       -- AB12345678
    period      TEXT NOT NULL,
    roll_id     INTEGER NOT NULL REFERENCES invoice_rolls (id),
    sale_id     INTEGER NOT NULL REFERENCES sales (id),
    random_code TEXT NOT NULL CHECK (length(random_code) = 4),
    status      TEXT NOT NULL CHECK (status IN ('issued','voided','allowance')),
    buyer_id    TEXT,                       -- BAN, carrier or love code
    amount      INTEGER NOT NULL,
    data        TEXT NOT NULL,              -- JSON from the einvoice module
    issued_at   TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX invoices_by_sale ON invoices (sale_id);

CREATE TABLE invoice_voids (
    id         INTEGER PRIMARY KEY,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    kind       TEXT NOT NULL CHECK (kind IN ('void','allowance')),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    reason     TEXT NOT NULL,
    data       TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX invoice_voids_by_invoice ON invoice_voids (invoice_id);
"#,
    // v3: staff, ECPay members, print jobs.
    r#"
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('cashier','manager')),
    pin_hash   TEXT NOT NULL,               -- argon2id PHC string
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE members (
    id                 INTEGER PRIMARY KEY,
    merchant_member_id TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE TABLE member_cards (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members (id),
    bind_card_id TEXT NOT NULL UNIQUE,
    card_hint    TEXT NOT NULL,             -- e.g. last four digits, as ECPay shows them
    created_at   TEXT NOT NULL,
    removed_at   TEXT
);
CREATE INDEX member_cards_by_member ON member_cards (member_id);

CREATE TABLE print_jobs (
    id         INTEGER PRIMARY KEY,
    sale_id    INTEGER REFERENCES sales (id),
    kind       TEXT NOT NULL,
    payload    BLOB NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('queued','printing','done','failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    reprint    INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX print_jobs_pending ON print_jobs (state, id) WHERE state <> 'done';
CREATE INDEX print_jobs_by_sale ON print_jobs (sale_id);
"#,
    // v4: the buyer's e-invoice choice kept for a sale invoiced later (a
    // pay-later order is paid after the customer has left the counter).
    r#"
CREATE TABLE sale_buyer_choices (
    sale_id INTEGER PRIMARY KEY REFERENCES sales (id),
    choice  TEXT NOT NULL,                  -- einvoice::buyer::BuyerChoice as JSON
    at      TEXT NOT NULL
);
"#,
    // v5: work owed once money has moved, kept until it is done so that a
    // crash never loses it: the e-invoice change of a refund whose money
    // is back, and money a gateway took on an attempt the till had closed.
    r#"
CREATE TABLE invoice_changes_owed (
    attempt_id INTEGER PRIMARY KEY REFERENCES attempts (id),
    since      TEXT NOT NULL
);

CREATE TABLE late_payments (
    attempt_id       INTEGER PRIMARY KEY REFERENCES attempts (id),
    amount           INTEGER NOT NULL CHECK (amount > 0),
    gateway_trade_no TEXT NOT NULL,
    source           TEXT NOT NULL,         -- the notice or query that found it
    found_at         TEXT NOT NULL,
    settled_at       TEXT,                  -- NULL while the money is still owed back
    settled_by       TEXT,
    settlement       TEXT
);
CREATE INDEX late_payments_open ON late_payments (found_at) WHERE settled_at IS NULL;
"#,
    // v6: an allowance made in error can be voided (MIG G0501): its own
    // row, so the allowance itself is never rewritten. SQLite cannot widen
    // a CHECK in place, so the table is rebuilt (nothing refers to it).
    r#"
CREATE TABLE invoice_voids_v6 (
    id         INTEGER PRIMARY KEY,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    kind       TEXT NOT NULL CHECK (kind IN ('void','allowance','allowance_void')),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    reason     TEXT NOT NULL,
    data       TEXT NOT NULL,
    at         TEXT NOT NULL
);
INSERT INTO invoice_voids_v6 (id, invoice_id, kind, amount, reason, data, at)
    SELECT id, invoice_id, kind, amount, reason, data, at FROM invoice_voids;
DROP TABLE invoice_voids;
ALTER TABLE invoice_voids_v6 RENAME TO invoice_voids;
CREATE INDEX invoice_voids_by_invoice ON invoice_voids (invoice_id);
"#,
    // v7: seals (see journal::seal). Every row of every other table gets a
    // keyed seal in `seals`; each commit adds a `seal_chain` entry over the
    // state in `seal_head`; `terminal_totals` are the perpetual counters
    // and grand totals a Z slip's anchor carries. The existing rows are
    // sealed by the till right after this step (it needs the key).
    r#"
CREATE TABLE seals (
    tbl  TEXT NOT NULL,
    k1   INTEGER NOT NULL,                  -- the row id (or first key column)
    k2   INTEGER NOT NULL,                  -- second key column, else 0
    mac  BLOB NOT NULL,                     -- HMAC-SHA256/128 of the row
    cols BLOB NOT NULL,                     -- a fingerprint byte per column: which one changed
    PRIMARY KEY (tbl, k1, k2)
) WITHOUT ROWID;

CREATE TABLE seal_chain (
    seq    INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    digest BLOB NOT NULL,                   -- SHA-256 of the head state after this commit
    mac    BLOB NOT NULL                    -- HMAC over the previous mac, seq, at, digest
);

CREATE TABLE seal_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    state TEXT NOT NULL                     -- JSON: per-table rows/max/sum, schema, notes
);

CREATE TABLE terminal_totals (
    id       INTEGER PRIMARY KEY,
    terminal TEXT NOT NULL UNIQUE,
    sales    INTEGER NOT NULL DEFAULT 0,    -- sales ever started
    payments INTEGER NOT NULL DEFAULT 0,    -- approved payments
    paid     INTEGER NOT NULL DEFAULT 0,    -- NT$ of approved payments
    refunds  INTEGER NOT NULL DEFAULT 0,    -- approved refunds
    refunded INTEGER NOT NULL DEFAULT 0     -- NT$ of approved refunds
);
INSERT INTO terminal_totals (terminal, sales)
    SELECT terminal, count(*) FROM sales GROUP BY terminal;
UPDATE terminal_totals SET
    payments = (SELECT count(*) FROM attempts a JOIN sales s ON s.id = a.sale_id
                 WHERE s.terminal = terminal_totals.terminal AND a.kind = 'payment' AND a.state = 'approved'),
    paid     = (SELECT coalesce(sum(a.amount), 0) FROM attempts a JOIN sales s ON s.id = a.sale_id
                 WHERE s.terminal = terminal_totals.terminal AND a.kind = 'payment' AND a.state = 'approved'),
    refunds  = (SELECT count(*) FROM attempts a JOIN sales s ON s.id = a.sale_id
                 WHERE s.terminal = terminal_totals.terminal AND a.kind = 'refund' AND a.state = 'approved'),
    refunded = (SELECT coalesce(sum(a.amount), 0) FROM attempts a JOIN sales s ON s.id = a.sale_id
                 WHERE s.terminal = terminal_totals.terminal AND a.kind = 'refund' AND a.state = 'approved');
"#,
    // v8 (vendor, #14): a JKoPay CardToken sealed (AES-GCM, key outside the
    // journal) while its attempt is unsettled, so a recovery Cancel carries
    // it; the row is deleted (secure_delete) when the attempt settles. And
    // the MyPay e-invoices still to fetch.
    r#"
CREATE TABLE sealed_codes (
    attempt_id INTEGER PRIMARY KEY REFERENCES attempts (id),
    sealed     BLOB NOT NULL
);

-- A MyPay payment approved before MyPay issued its e-invoice (manual §11):
-- listed until the invoice is fetched; then MyPay's fields, as sent.
CREATE TABLE mypay_invoices_due (
    attempt_id INTEGER PRIMARY KEY REFERENCES attempts (id),
    since      TEXT NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    fields     TEXT,                        -- JSON, once fetched
    fetched_at TEXT
);
CREATE INDEX mypay_invoices_open ON mypay_invoices_due (since) WHERE fetched_at IS NULL;
"#,
];

/// The version that added `sealed_codes` and `mypay_invoices_due`.
pub const SEALED_CODES_FROM: u32 = 8;

/// The version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// Bring the file up to [`LATEST`], or to `target` for tests of old files.
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, JournalError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > LATEST {
        return Err(JournalError::TooNew {
            found,
            supported: LATEST,
        });
    }
    for (i, step) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
    }
    tx.commit()?;
    Ok(found)
}
