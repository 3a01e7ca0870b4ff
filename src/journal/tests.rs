//! Unit tests of the journal's rules.

use chrono::NaiveDate;

use super::*;
use crate::sale::{AttemptKind, Cart, GatewayId, Line, PayMethod, TerminalId, Wallet};

fn t01() -> TerminalId {
    "T01".parse().unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn cart() -> Cart {
    let mut c = Cart::new();
    c.add(Line::new("4710088412345", "綠茶", 2, Ntd::new(25)).unwrap())
        .unwrap();
    c.add(Line::new("2", "Cake", 1, Ntd::new(80)).unwrap())
        .unwrap();
    c
}

const JKO: PayMethod = PayMethod::Wallet(Wallet::JkoPay);

fn pay(j: &mut Journal, sale: &SaleNo, amount: i64) -> TradeNo {
    let code = MaskedCode::mask("22J111111111111111");
    let t = j
        .begin_attempt(
            sale,
            AttemptKind::Payment,
            Some(GatewayId::JkoPay),
            JKO,
            Ntd::new(amount),
            Some(&code),
        )
        .unwrap();
    j.transition(&t, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(
        &t,
        AttemptState::Approved,
        Detail::new().gateway_trade_no("JK123"),
    )
    .unwrap();
    t
}

#[test]
fn sequence_is_unique_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut seen = Vec::new();
    for _ in 0..3 {
        let mut j = Journal::open(&path).unwrap();
        for _ in 0..2 {
            seen.push(j.new_sale(&t01(), day(), "amy", &cart()).unwrap());
        }
        // Another terminal and another day count on their own.
        let other = j
            .new_sale(&"T02".parse().unwrap(), day(), "bo", &cart())
            .unwrap();
        assert_eq!(other.seq() as usize, seen.len() / 2);
    }
    let seqs: Vec<u32> = seen.iter().map(|s| s.seq()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    let mut j = Journal::open(&path).unwrap();
    let next_day = j
        .new_sale(&t01(), day().succ_opt().unwrap(), "amy", &cart())
        .unwrap();
    assert_eq!(next_day.seq(), 1);
}

#[test]
fn empty_cart_is_refused_and_takes_no_number() {
    let mut j = Journal::open_in_memory().unwrap();
    assert!(matches!(
        j.new_sale(&t01(), day(), "amy", &Cart::new()),
        Err(JournalError::EmptyCart)
    ));
    assert_eq!(j.new_sale(&t01(), day(), "amy", &cart()).unwrap().seq(), 1);
}

#[test]
fn illegal_transitions_are_refused_and_change_nothing() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let t = j
        .begin_attempt(
            &sale,
            AttemptKind::Payment,
            Some(GatewayId::JkoPay),
            JKO,
            Ntd::new(130),
            None,
        )
        .unwrap();
    let audit_before = j.verify_audit().unwrap().rows;
    let err = j
        .transition(&t, AttemptState::Approved, Detail::new())
        .unwrap_err();
    assert!(matches!(
        err,
        JournalError::IllegalTransition {
            from: AttemptState::Created,
            to: AttemptState::Approved,
            ..
        }
    ));
    let rec = j.attempt(&t).unwrap().unwrap();
    assert_eq!(rec.state, AttemptState::Created);
    assert_eq!(rec.events.len(), 1);
    assert_eq!(j.verify_audit().unwrap().rows, audit_before);
    let detail = j.sale_detail(&sale).unwrap().unwrap();
    assert_eq!(detail.summary.paid, Ntd::ZERO);

    // Once final, nothing moves it.
    j.transition(&t, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(
        &t,
        AttemptState::Declined,
        Detail::new().error("802 bank declined"),
    )
    .unwrap();
    for to in AttemptState::ALL {
        assert!(
            j.transition(&t, to, Detail::new()).is_err(),
            "declined -> {to}"
        );
    }
    let rec = j.attempt(&t).unwrap().unwrap();
    assert_eq!(rec.last_error.as_deref(), Some("802 bank declined"));
    assert_eq!(rec.events.last().unwrap().to, AttemptState::Declined);
}

#[test]
fn unknown_attempt_is_refused() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = SaleNo::new(t01(), day(), 9).unwrap();
    let t = sale.attempt(AttemptKind::Payment, 1).unwrap();
    assert!(matches!(
        j.transition(&t, AttemptState::Sending, Detail::new()),
        Err(JournalError::NoSuchAttempt(_))
    ));
}

#[test]
fn a_sale_is_never_charged_twice() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let begin = |j: &mut Journal| {
        j.begin_attempt(
            &sale,
            AttemptKind::Payment,
            Some(GatewayId::JkoPay),
            JKO,
            Ntd::new(130),
            None,
        )
    };
    let p1 = begin(&mut j).unwrap();
    assert_eq!(p1.to_string(), format!("{sale}P01"));
    // Created, Sending, Unknown and Cancelling all block a second attempt.
    for step in [
        None,
        Some(AttemptState::Sending),
        Some(AttemptState::Unknown),
        Some(AttemptState::Cancelling),
        Some(AttemptState::Cancelling),
    ] {
        if let Some(to) = step {
            j.transition(&p1, to, Detail::new()).unwrap();
        }
        match begin(&mut j) {
            Err(JournalError::AttemptInFlight { trade, .. }) => assert_eq!(trade, p1.to_string()),
            other => panic!("second attempt allowed while {step:?}: {other:?}"),
        }
    }
    // JKoPay: after a successful Cancel a new attempt uses a new number.
    j.transition(&p1, AttemptState::Cancelled, Detail::new())
        .unwrap();
    let p2 = begin(&mut j).unwrap();
    assert_eq!(p2.to_string(), format!("{sale}P02"));
    j.transition(&p2, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&p2, AttemptState::Approved, Detail::new())
        .unwrap();
    assert!(matches!(begin(&mut j), Err(JournalError::AlreadyPaid(_))));
    let d = j.sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.status, SaleStatus::Paid);
    assert_eq!(d.summary.paid, Ntd::new(130));
}

#[test]
fn a_part_paid_sale_with_a_refund_takes_no_more_payments() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    pay(&mut j, &sale, 100);
    let r = j
        .begin_attempt(
            &sale,
            AttemptKind::Refund,
            Some(GatewayId::JkoPay),
            JKO,
            Ntd::new(40),
            None,
        )
        .unwrap();
    j.transition(&r, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&r, AttemptState::Approved, Detail::new())
        .unwrap();
    let err = j
        .begin_attempt(
            &sale,
            AttemptKind::Payment,
            None,
            PayMethod::Cash,
            Ntd::new(30),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, JournalError::HasRefunds(_)), "{err:?}");
    let d = j.sale_detail(&sale).unwrap().unwrap();
    // Never paid in full, so still open (it was `part_refunded`, which
    // counted it as a sale made and let it past the Z): a manager settles
    // it; giving back the rest voids it.
    assert_eq!(d.summary.status, SaleStatus::Open);
    assert_eq!(
        (d.summary.paid, d.summary.refunded),
        (Ntd::new(100), Ntd::new(40))
    );
}

#[test]
fn split_tender_cannot_overpay() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    pay(&mut j, &sale, 100);
    let err = j
        .begin_attempt(
            &sale,
            AttemptKind::Payment,
            None,
            PayMethod::Cash,
            Ntd::new(31),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, JournalError::MoreThanDue { due, .. } if due == Ntd::new(30)));
    let cash = j
        .begin_attempt(
            &sale,
            AttemptKind::Payment,
            None,
            PayMethod::Cash,
            Ntd::new(30),
            None,
        )
        .unwrap();
    // Cash settles at the drawer, and never pretends to call a gateway.
    assert!(
        j.transition(&cash, AttemptState::Sending, Detail::new())
            .is_err()
    );
    j.transition(&cash, AttemptState::Approved, Detail::new())
        .unwrap();
    assert_eq!(
        j.sale_detail(&sale).unwrap().unwrap().summary.status,
        SaleStatus::Paid
    );
    // A gateway is required for a wallet and refused for cash.
    assert!(
        j.begin_attempt(&sale, AttemptKind::Refund, None, JKO, Ntd::new(1), None)
            .is_err()
    );
}

#[test]
fn refunds_stop_at_what_was_paid() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let gw = Some(GatewayId::JkoPay);
    // Nothing to refund before payment.
    assert!(matches!(
        j.begin_attempt(&sale, AttemptKind::Refund, gw, JKO, Ntd::new(10), None),
        Err(JournalError::NotPaid(_))
    ));
    pay(&mut j, &sale, 130);
    let r1 = j
        .begin_attempt(&sale, AttemptKind::Refund, gw, JKO, Ntd::new(100), None)
        .unwrap();
    assert_eq!(r1.to_string(), format!("{sale}R01"));
    j.transition(&r1, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&r1, AttemptState::Approved, Detail::new())
        .unwrap();
    assert_eq!(
        j.sale_detail(&sale).unwrap().unwrap().summary.status,
        SaleStatus::PartRefunded
    );
    let err = j
        .begin_attempt(&sale, AttemptKind::Refund, gw, JKO, Ntd::new(31), None)
        .unwrap_err();
    assert!(matches!(
        err,
        JournalError::Refund(crate::sale::RefundError::MoreThanLeft { left }) if left == Ntd::new(30)
    ));
    // A declined refund gives nothing back and leaves the limit as it was.
    let r2 = j
        .begin_attempt(&sale, AttemptKind::Refund, gw, JKO, Ntd::new(30), None)
        .unwrap();
    j.transition(&r2, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&r2, AttemptState::Declined, Detail::new())
        .unwrap();
    let (r3, plan) = j
        .begin_refund(&sale, &crate::sale::RefundRequest::Full, gw, JKO)
        .unwrap();
    assert_eq!(r3.to_string(), format!("{sale}R03"));
    assert_eq!(plan.amount, Ntd::new(30));
    j.transition(&r3, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&r3, AttemptState::Approved, Detail::new())
        .unwrap();
    let d = j.sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.status, SaleStatus::Refunded);
    assert_eq!(d.summary.refunded, Ntd::new(130));
    assert_eq!(d.refunds.len(), 3);
    assert!(matches!(
        j.begin_attempt(&sale, AttemptKind::Refund, gw, JKO, Ntd::new(1), None),
        Err(JournalError::Refund(crate::sale::RefundError::NothingLeft))
    ));
}

#[test]
fn line_refunds_count_units_already_returned() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    pay(&mut j, &sale, 130);
    let gw = Some(GatewayId::JkoPay);
    let req = crate::sale::RefundRequest::Lines(vec![(0, 2)]);
    let (r1, plan) = j.begin_refund(&sale, &req, gw, JKO).unwrap();
    assert_eq!(plan.amount, Ntd::new(50));
    j.transition(&r1, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&r1, AttemptState::Approved, Detail::new())
        .unwrap();
    let again = j.begin_refund(
        &sale,
        &crate::sale::RefundRequest::Lines(vec![(0, 1)]),
        gw,
        JKO,
    );
    assert!(matches!(
        again,
        Err(JournalError::Refund(
            crate::sale::RefundError::TooManyUnits { line: 1, left: 0 }
        ))
    ));
}

#[test]
fn only_a_masked_code_is_stored() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let t = pay(&mut j, &sale, 130);
    let rec = j.attempt(&t).unwrap().unwrap();
    assert_eq!(rec.masked_code.as_deref(), Some("22J1************11"));
    // Nowhere in the file, not even the audit log, holds the full code.
    let dump: String = j
        .raw_connection()
        .query_row(
            "SELECT group_concat(x, '|') FROM (
               SELECT masked_code AS x FROM attempts UNION ALL
               SELECT detail FROM attempt_events UNION ALL
               SELECT detail FROM audit_log)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.contains("22J111111111111111"));
}

#[test]
fn unresolved_attempts_are_listed_for_recovery() {
    let mut j = Journal::open_in_memory().unwrap();
    let a = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let b = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let c = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let ta = j
        .begin_attempt(
            &a,
            AttemptKind::Payment,
            Some(GatewayId::MyPay),
            JKO,
            Ntd::new(130),
            None,
        )
        .unwrap();
    j.transition(&ta, AttemptState::Sending, Detail::new())
        .unwrap();
    pay(&mut j, &b, 130);
    let tc = j
        .begin_attempt(
            &c,
            AttemptKind::Payment,
            Some(GatewayId::JkoPay),
            JKO,
            Ntd::new(130),
            None,
        )
        .unwrap();
    j.transition(&tc, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(
        &tc,
        AttemptState::Cancelling,
        Detail::new().with("reason", "15 s timeout"),
    )
    .unwrap();
    let open = j.unresolved_attempts().unwrap();
    let got: Vec<_> = open.iter().map(|a| (a.trade_no.clone(), a.state)).collect();
    assert_eq!(
        got,
        vec![(ta, AttemptState::Sending), (tc, AttemptState::Cancelling)]
    );
    assert_eq!(open[1].events.len(), 3);
    assert_eq!(open[1].events[2].detail["extra"]["reason"], "15 s timeout");
}

#[test]
fn history_finds_sales_by_any_number() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let t = pay(&mut j, &sale, 130);
    for code in [
        sale.to_string(),
        t.to_string(),
        sale.receipt_code().to_string(),
        "JK123".to_string(),
    ] {
        assert_eq!(j.lookup(&code).unwrap(), Some(sale.clone()), "{code}");
    }
    assert_eq!(j.lookup("T0126112299999").unwrap(), None);
    assert_eq!(j.lookup("nonsense").unwrap(), None);
    let d = j.sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.lines, cart().lines());
    assert_eq!(d.payments.len(), 1);
    let states: Vec<_> = d.payments[0].events.iter().map(|e| e.to).collect();
    assert_eq!(
        states,
        vec![
            AttemptState::Created,
            AttemptState::Sending,
            AttemptState::Approved
        ]
    );
    assert_eq!(d.payments[0].gateway_trade_no.as_deref(), Some("JK123"));
    assert!(d.summary.created_at.ends_with("+08:00"));
}

#[test]
fn history_by_date_pages_through_every_sale_once() {
    let mut j = Journal::open_in_memory().unwrap();
    let mut made = Vec::new();
    for d in 0..4 {
        let date = day() + chrono::Days::new(d);
        for _ in 0..5 {
            made.push(j.new_sale(&t01(), date, "amy", &cart()).unwrap());
        }
    }
    let from = day() + chrono::Days::new(1);
    let to = day() + chrono::Days::new(2);
    let mut got = Vec::new();
    let mut cursor = None;
    loop {
        let page = j.sales_by_date(from, to, cursor, 3).unwrap();
        assert!(page.items.len() <= 3);
        got.extend(page.items.into_iter().map(|s| s.sale_no));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(got, made[5..15].to_vec());
}

#[test]
fn history_by_amount_and_wallet() {
    let mut j = Journal::open_in_memory().unwrap();
    let a = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    pay(&mut j, &a, 130);
    let mut small = Cart::new();
    small
        .add(Line::new("9", "Gum", 1, Ntd::new(35)).unwrap())
        .unwrap();
    let b = j.new_sale(&t01(), day(), "amy", &small).unwrap();
    let tb = j
        .begin_attempt(
            &b,
            AttemptKind::Payment,
            Some(GatewayId::MyPay),
            PayMethod::Wallet(Wallet::LinePay),
            Ntd::new(35),
            None,
        )
        .unwrap();
    let by_amount = j.sales_by_amount(Ntd::new(35), 10).unwrap();
    assert_eq!(by_amount.len(), 1);
    assert_eq!(by_amount[0].sale_no, b);
    let q = AttemptQuery {
        wallet: Some(Wallet::LinePay),
        limit: 10,
        ..AttemptQuery::default()
    };
    let found = j.search_attempts(&q).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].trade_no, tb);
    assert_eq!(found[0].method, PayMethod::Wallet(Wallet::LinePay));
    let q = AttemptQuery {
        gateway: Some(GatewayId::JkoPay),
        amount: Some(Ntd::new(130)),
        from: Some(crate::taipei::now().date_naive()),
        to: Some(crate::taipei::now().date_naive()),
        limit: 10,
        ..AttemptQuery::default()
    };
    assert_eq!(j.search_attempts(&q).unwrap().len(), 1);
    let q = AttemptQuery {
        gateway: Some(GatewayId::Ecpay),
        limit: 10,
        ..AttemptQuery::default()
    };
    assert!(j.search_attempts(&q).unwrap().is_empty());
}

#[test]
fn void_only_unpaid_sales() {
    let mut j = Journal::open_in_memory().unwrap();
    let a = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    j.void_sale(&a, "amy", "customer left").unwrap();
    assert!(matches!(
        j.begin_attempt(
            &a,
            AttemptKind::Payment,
            None,
            PayMethod::Cash,
            Ntd::new(1),
            None
        ),
        Err(JournalError::SaleVoid(_))
    ));
    let b = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    pay(&mut j, &b, 10);
    assert!(matches!(
        j.void_sale(&b, "amy", "x"),
        Err(JournalError::HasPayments(_))
    ));
}

fn fixed_clock(j: &mut Journal, y: i32, m: u32, d: u32) {
    let t = crate::taipei::start_of_day(NaiveDate::from_ymd_opt(y, m, d).unwrap());
    j.set_clock(move || t);
}

#[test]
fn invoice_numbers_come_in_order_once_and_only_in_their_period() {
    let mut j = Journal::open_in_memory().unwrap();
    fixed_clock(&mut j, 2026, 11, 22);
    let nov: crate::einvoice::Period = "11512".parse().unwrap();
    let sep: crate::einvoice::Period = "11510".parse().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    j.add_invoice_roll(&t01(), sep, "AA", 0, 49).unwrap();
    j.add_invoice_roll(&t01(), nov, "AB", 100, 101).unwrap();
    j.add_invoice_roll(&t01(), nov, "AC", 50, 50).unwrap();
    // Another terminal's roll is never used by T01.
    j.add_invoice_roll(&"T02".parse().unwrap(), nov, "AD", 0, 49)
        .unwrap();
    assert!(matches!(
        j.add_invoice_roll(&t01(), nov, "AB", 101, 120),
        Err(JournalError::BadRoll(_))
    ));
    assert_eq!(j.invoice_numbers_left(&t01(), nov).unwrap(), 3);
    assert_eq!(j.low_water(&t01(), nov, 4).unwrap(), Some(3));
    assert_eq!(j.low_water(&t01(), nov, 3).unwrap(), None);
    let data = serde_json::json!({"items": 2});
    let mut numbers = Vec::new();
    let mut sales = vec![sale.clone()];
    for i in 0..3 {
        numbers.push(
            j.issue_invoice(&sales[i], "1234", None, Ntd::new(130), &data)
                .unwrap()
                .number,
        );
        // One live invoice per sale.
        assert!(matches!(
            j.issue_invoice(&sales[i], "1234", None, Ntd::new(130), &data),
            Err(JournalError::InvoiceNotIssued { .. })
        ));
        sales.push(j.new_sale(&t01(), day(), "amy", &cart()).unwrap());
    }
    assert_eq!(numbers, ["AB00000100", "AB00000101", "AC00000050"]);
    // The September roll still has 50 numbers, but they belong to 115年9-10月.
    assert!(matches!(
        j.issue_invoice(&sales[3], "1234", None, Ntd::new(130), &data),
        Err(JournalError::NoInvoiceNumbers { .. })
    ));
    assert_eq!(j.low_water(&t01(), nov, 1).unwrap(), Some(0));
    // Voids and allowances.
    j.void_invoice("AB00000100", "wrong item", &data).unwrap();
    assert!(j.void_invoice("AB00000100", "again", &data).is_err());
    j.record_allowance("AB00000101", Ntd::new(30), "one cake back", &data)
        .unwrap();
    assert!(j.void_invoice("AB00000101", "x", &data).is_err());
    let statuses: Vec<_> = sales[..3]
        .iter()
        .flat_map(|s| j.sale_detail(s).unwrap().unwrap().invoices)
        .map(|i| i.status)
        .collect();
    assert_eq!(
        statuses,
        [
            InvoiceStatus::Voided,
            InvoiceStatus::Allowance,
            InvoiceStatus::Issued
        ]
    );
    assert_eq!(j.lookup("AC-00000050").unwrap(), Some(sales[2].clone()));
    // A later period's roll repeating numbers already issued is refused at
    // once, naming the number, rather than failing at the next sale.
    let jan: crate::einvoice::Period = "11602".parse().unwrap();
    let err = j.add_invoice_roll(&t01(), jan, "AB", 90, 100).unwrap_err();
    assert!(
        matches!(&err, JournalError::BadRoll(m) if m.contains("AB00000100") && m.contains("11512")),
        "{err}"
    );
    j.add_invoice_roll(&t01(), jan, "AB", 102, 150).unwrap();
}

#[test]
fn pins_verify_without_saying_what_was_wrong() {
    let mut j = Journal::open_in_memory().unwrap();
    let pin = crate::secret::Secret::new("2468");
    j.add_user("amy", Role::Manager, &pin, "setup").unwrap();
    assert!(j.verify_pin("amy", &pin).unwrap());
    assert!(
        !j.verify_pin("amy", &crate::secret::Secret::new("2469"))
            .unwrap()
    );
    assert!(!j.verify_pin("bob", &pin).unwrap());
    for bad in ["123", "123456789", "12a4", ""] {
        assert!(matches!(
            j.add_user(
                "x",
                Role::Cashier,
                &crate::secret::Secret::new(bad),
                "setup"
            ),
            Err(JournalError::BadPin)
        ));
    }
    assert!(matches!(
        j.add_user("amy", Role::Cashier, &pin, "setup"),
        Err(JournalError::UserExists(_))
    ));
    j.set_user_active("amy", false, "boss").unwrap();
    assert!(!j.verify_pin("amy", &pin).unwrap());
    // The PIN itself is not in the file.
    let hash: String = j
        .raw_connection()
        .query_row("SELECT pin_hash FROM users WHERE name = 'amy'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("2468"));
    assert_eq!(j.user("amy").unwrap().unwrap().role, Role::Manager);
}

#[test]
fn members_keep_their_bound_cards() {
    let mut j = Journal::open_in_memory().unwrap();
    j.add_member("M0001", "王小明").unwrap();
    j.bind_card("M0001", "BC1", "4311-95**-****-2222").unwrap();
    j.bind_card("M0001", "BC2", "5555-55**-****-4444").unwrap();
    j.remove_card("BC1").unwrap();
    let m = j.member("M0001").unwrap().unwrap();
    let cards: Vec<_> = m.cards.iter().map(|c| c.bind_card_id.as_str()).collect();
    assert_eq!(cards, ["BC2"]);
    assert!(matches!(
        j.bind_card("M9999", "BC3", "x"),
        Err(JournalError::NoSuchMember(_))
    ));
}

#[test]
fn print_jobs_retry_and_survive_a_crash() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let id = j
        .enqueue_print(Some(&sale), "receipt", b"\x1b@hello", false, "amy")
        .unwrap();
    assert!(
        j.finish_print(id).is_err(),
        "cannot finish what never started"
    );
    j.start_print(id).unwrap();
    j.fail_print(id, "paper out").unwrap();
    j.start_print(id).unwrap();
    // Crash while printing: the job comes back.
    assert_eq!(j.requeue_interrupted_prints().unwrap(), 1);
    let jobs = j.pending_print_jobs().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, PrintState::Queued);
    assert_eq!(jobs[0].attempts, 2);
    assert_eq!(jobs[0].last_error.as_deref(), Some("paper out"));
    assert_eq!(jobs[0].payload, b"\x1b@hello");
    j.start_print(id).unwrap();
    j.finish_print(id).unwrap();
    assert!(j.pending_print_jobs().unwrap().is_empty());
    // A reprint is on the audit record.
    j.enqueue_print(Some(&sale), "invoice_proof", b"x", true, "boss")
        .unwrap();
    let n: i64 = j
        .raw_connection()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'print.reprint' AND actor = 'boss'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

fn busy_journal() -> Journal {
    let mut j = Journal::open_in_memory().unwrap();
    for _ in 0..3 {
        let s = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
        pay(&mut j, &s, 130);
    }
    j
}

#[test]
fn audit_chain_verifies_when_untouched() {
    let j = busy_journal();
    let r = j.verify_audit().unwrap();
    assert!(r.is_intact(), "{r:?}");
    assert_eq!(r.rows, 12);
}

#[test]
fn audit_log_refuses_edits_through_sql() {
    let j = busy_journal();
    let c = j.raw_connection();
    assert!(
        c.execute("UPDATE audit_log SET actor = 'eve' WHERE seq = 2", [])
            .is_err()
    );
    assert!(
        c.execute("DELETE FROM audit_log WHERE seq = 2", [])
            .is_err()
    );
    assert!(j.verify_audit().unwrap().is_intact());
}

fn drop_guards(j: &Journal) {
    j.raw_connection()
        .execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
}

#[test]
fn audit_detects_an_edited_row() {
    let j = busy_journal();
    drop_guards(&j);
    j.raw_connection()
        .execute(
            "UPDATE audit_log SET detail = replace(detail, 'approved', 'declined') WHERE seq = 4",
            [],
        )
        .unwrap();
    let r = j.verify_audit().unwrap();
    assert_eq!(r.first_problem, Some(AuditProblem::Tampered { seq: 4 }));
    assert_eq!(r.rows, 3);
}

#[test]
fn audit_detects_a_deleted_row() {
    let j = busy_journal();
    drop_guards(&j);
    j.raw_connection()
        .execute("DELETE FROM audit_log WHERE seq = 6", [])
        .unwrap();
    assert_eq!(
        j.verify_audit().unwrap().first_problem,
        Some(AuditProblem::Missing {
            expected: 6,
            found: 7
        })
    );
}

#[test]
fn audit_detects_a_cut_off_tail() {
    let j = busy_journal();
    drop_guards(&j);
    j.raw_connection()
        .execute("DELETE FROM audit_log WHERE seq >= 11", [])
        .unwrap();
    assert_eq!(
        j.verify_audit().unwrap().first_problem,
        Some(AuditProblem::Truncated { last: 10, head: 12 })
    );
}

#[test]
fn audit_detects_swapped_rows() {
    let j = busy_journal();
    drop_guards(&j);
    // Swap rows 3 and 5, renumbering them as an attacker would.
    j.raw_connection()
        .execute_batch(
            "UPDATE audit_log SET seq = -3 WHERE seq = 3;
             UPDATE audit_log SET seq = 3 WHERE seq = 5;
             UPDATE audit_log SET seq = 5 WHERE seq = -3;",
        )
        .unwrap();
    let p = j.verify_audit().unwrap().first_problem;
    assert!(
        matches!(p, Some(AuditProblem::Tampered { seq: 3 })),
        "{p:?}"
    );
}

#[test]
fn audit_detects_a_row_replaced_with_a_self_consistent_hash() {
    let j = busy_journal();
    drop_guards(&j);
    // Rewrite row 5 and recompute its own hash from its stored prev_hash:
    // the row is self-consistent, but row 6 no longer follows it.
    let c = j.raw_connection();
    let (prev, entry): (String, audit::AuditEntry) = c
        .query_row(
            "SELECT prev_hash, seq, at, actor, action, subject, detail FROM audit_log WHERE seq = 5",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    audit::AuditEntry {
                        seq: r.get(1)?,
                        at: r.get(2)?,
                        actor: "eve".into(),
                        action: r.get(4)?,
                        subject: r.get(5)?,
                        detail: r.get(6)?,
                    },
                ))
            },
        )
        .unwrap();
    let prev: [u8; 32] = hex::decode(prev).unwrap().try_into().unwrap();
    c.execute(
        "UPDATE audit_log SET actor = 'eve', hash = ?1 WHERE seq = 5",
        [hex::encode(entry.hash(&prev))],
    )
    .unwrap();
    assert_eq!(
        j.verify_audit().unwrap().first_problem,
        Some(AuditProblem::ChainBroken { seq: 6 })
    );
}

#[test]
fn an_old_file_is_migrated_and_a_newer_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let mut old = Journal::open_at_version(&path, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        old.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    }
    let mut j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), schema::LATEST);
    // Data written by the old version is still there, and new tables work.
    let sale = j.lookup("T0126112200001").unwrap().unwrap();
    j.enqueue_print(Some(&sale), "receipt", b"x", false, "amy")
        .unwrap();
    assert!(j.verify_audit().unwrap().is_intact());
    drop(j);

    let newer = schema::LATEST + 1;
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let err = Journal::open(&path).unwrap_err();
    assert!(matches!(err, JournalError::TooNew { found, .. } if found == newer));
    assert!(err.to_string().contains("update till"), "{err}");
}

/// v6 rebuilds invoice_voids to admit allowance voids: a v5 file keeps its
/// voids and allowances (same rows, same ids) and can then void an allowance.
#[test]
fn a_v5_file_keeps_its_allowances_and_can_void_one_after_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.sqlite");
    let nov: crate::einvoice::Period = "11512".parse().unwrap();
    let data = serde_json::json!({"allowance_number": "AB00000000001"});
    {
        let mut old = Journal::open_at_version(&path, 5).unwrap();
        fixed_clock(&mut old, 2026, 11, 22);
        old.add_invoice_roll(&t01(), nov, "AB", 0, 9).unwrap();
        let sale = old.new_sale(&t01(), day(), "amy", &cart()).unwrap();
        old.issue_invoice(&sale, "1234", None, Ntd::new(130), &data)
            .unwrap();
        old.record_allowance("AB00000000", Ntd::new(30), "cake back", &data)
            .unwrap();
    }
    let mut j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), schema::LATEST);
    let kept = j.invoice_changes("AB00000000").unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].kind.as_str(), kept[0].amount),
        ("allowance", Ntd::new(30))
    );
    j.void_allowance_with::<JournalError>("AB00000000", "AB00000000001", "in error", |_| {
        Ok(serde_json::json!({"allowance_number": "AB00000000001"}))
    })
    .unwrap();
    let (_, inv) = j.invoice("AB00000000").unwrap().unwrap();
    assert_eq!(inv.status, InvoiceStatus::Issued);
    assert!(j.verify_audit().unwrap().is_intact());
    let fk: Vec<String> = j
        .raw_connection()
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<std::result::Result<_, _>>()
        .unwrap();
    assert!(fk.is_empty(), "dangling references after the rebuild");
}

#[test]
fn opened_files_are_durable_by_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(dir.path().join("j.sqlite")).unwrap();
    let c = j.raw_connection();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    let fk: i64 = c
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
}

#[test]
fn bulk_import_writes_the_same_shape_as_the_normal_path() {
    let mut j = Journal::open_in_memory().unwrap();
    let first = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let at = crate::taipei::start_of_day(day());
    let sales = (0..3).map(|i| ImportedSale {
        terminal: t01(),
        business_date: day(),
        cashier: "amy".into(),
        cart: cart(),
        created_at: at,
        payment: Some(if i == 0 {
            (None, PayMethod::Cash, None)
        } else {
            (Some(GatewayId::JkoPay), JKO, Some(format!("G{i}")))
        }),
    });
    let nos = j.import_sales(sales, "import").unwrap();
    let seqs: Vec<u32> = nos.iter().map(|s| s.seq()).collect();
    assert_eq!(seqs, [first.seq() + 1, first.seq() + 2, first.seq() + 3]);
    let d = j.sale_detail(&nos[2]).unwrap().unwrap();
    assert_eq!(d.summary.status, SaleStatus::Paid);
    assert_eq!(d.payments[0].state, AttemptState::Approved);
    assert_eq!(d.payments[0].events.len(), 3);
    assert_eq!(j.lookup("G2").unwrap(), Some(nos[2].clone()));
    assert_eq!(j.new_sale(&t01(), day(), "amy", &cart()).unwrap().seq(), 5);
    assert!(j.verify_audit().unwrap().is_intact());
}

#[test]
fn two_processes_share_one_truth() {
    // The GUI and `till recover` may both hold the file: each reads the
    // current state inside its own write transaction, never a cached copy.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut gui = Journal::open(&path).unwrap();
    let mut other = Journal::open(&path).unwrap();
    let sale = gui.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let gw = Some(GatewayId::JkoPay);
    let t = gui
        .begin_attempt(&sale, AttemptKind::Payment, gw, JKO, Ntd::new(130), None)
        .unwrap();
    assert!(matches!(
        other.begin_attempt(&sale, AttemptKind::Payment, gw, JKO, Ntd::new(130), None),
        Err(JournalError::AttemptInFlight { .. })
    ));
    other
        .transition(&t, AttemptState::Sending, Detail::new())
        .unwrap();
    assert!(matches!(
        gui.transition(&t, AttemptState::Sending, Detail::new()),
        Err(JournalError::IllegalTransition {
            from: AttemptState::Sending,
            ..
        })
    ));
    gui.transition(&t, AttemptState::Approved, Detail::new())
        .unwrap();
    // Numbers stay unique when two handles ring up sales.
    let a = gui.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let b = other.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    assert_eq!((a.seq(), b.seq()), (2, 3));
    assert!(other.verify_audit().unwrap().is_intact());
}

#[test]
fn invoices_check_their_input() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let nov: crate::einvoice::Period = "11512".parse().unwrap();
    assert!(matches!(
        j.add_invoice_roll(&t01(), nov, "A1", 0, 49),
        Err(JournalError::BadRoll(_))
    ));
    assert!(matches!(
        j.add_invoice_roll(&t01(), nov, "AB", 50, 49),
        Err(JournalError::BadRoll(_))
    ));
    assert!(matches!(
        j.issue_invoice(&sale, "12a4", None, Ntd::new(1), &serde_json::json!({})),
        Err(JournalError::BadRandomCode(_))
    ));
}

/// v7 seals: a v6 file (no key, no seals) is sealed as it is when this till
/// opens it, its perpetual totals count what it already holds, and an edit
/// made after the upgrade is caught.
#[test]
fn a_v6_file_is_sealed_on_upgrade_and_its_totals_count_its_past() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.sqlite");
    {
        let mut old = Journal::open_at_version(&path, 6).unwrap();
        let sale = old.new_sale(&t01(), day(), "amy", &cart()).unwrap();
        pay(&mut old, &sale, 130);
        old.new_sale(&t01(), day(), "amy", &cart()).unwrap();
        assert!(old.verify_seals().unwrap().is_none(), "v6 has no seals");
    }
    let key = seal::SealKey::default_path(&path);
    assert!(!key.exists(), "a v6 till made no key");
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), schema::LATEST);
    assert!(key.exists());
    let report = j.verify_seals().unwrap().unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert!(report.rows_checked > 5, "{report:?}");
    let anchor = j.anchor(&t01()).unwrap().unwrap();
    assert_eq!(
        (
            anchor.totals.sales,
            anchor.totals.payments,
            anchor.totals.paid
        ),
        (2, 1, 130)
    );
    j.raw_connection()
        .execute("UPDATE sales SET total = 13000 WHERE id = 1", [])
        .unwrap();
    let report = j.verify_seals().unwrap().unwrap();
    assert!(
        report.problems.iter().any(|p| matches!(
            p,
            SealProblem::RowChanged { table, columns, .. }
                if table == "sales" && columns.iter().any(|(c, v)| c == "total" && v == "13000")
        )),
        "{:?}",
        report.problems
    );
}

/// A sealed journal whose key is gone is refused rather than resealed
/// under a new key (that would wash away every edit made meanwhile).
#[test]
fn a_sealed_journal_without_its_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    drop(Journal::open(&path).unwrap());
    std::fs::remove_file(seal::SealKey::default_path(&path)).unwrap();
    let err = Journal::open(&path).unwrap_err();
    assert!(matches!(err, JournalError::SealKey { .. }), "{err}");
    assert!(err.to_string().contains("seal key"), "{err}");
}

/// Every write path seals what it writes: the journal built by the other
/// unit tests' paths (sales, payments, refunds, voids, users, invoices,
/// print jobs, the Z) verifies, and the perpetual totals only grow.
#[test]
fn every_write_path_seals_and_totals_only_grow() {
    let mut j = Journal::open_in_memory().unwrap();
    j.add_user(
        "amy",
        Role::Manager,
        &crate::secret::Secret::new("2468"),
        "t",
    )
    .unwrap();
    let s1 = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    pay(&mut j, &s1, 130);
    let (r, _) = j
        .begin_refund(
            &s1,
            &crate::sale::RefundRequest::Amount(Ntd::new(30)),
            Some(GatewayId::JkoPay),
            JKO,
        )
        .unwrap();
    j.transition(&r, AttemptState::Sending, Detail::new())
        .unwrap();
    j.transition(&r, AttemptState::Approved, Detail::new())
        .unwrap();
    let s2 = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    j.void_sale(&s2, "amy", "typo").unwrap();
    j.enqueue_print(Some(&s1), "receipt", b"x", false, "amy")
        .unwrap();
    let before = j.anchor(&t01()).unwrap().unwrap();
    j.close_day(&t01(), "amy").unwrap();
    let after = j.anchor(&t01()).unwrap().unwrap();
    assert_eq!(
        (after.totals.sales, after.totals.paid, after.totals.refunded),
        (2, 130, 30)
    );
    assert!(after.seq > before.seq);
    assert!(j.check_anchor(&before).unwrap().is_empty());
    assert!(j.check_anchor(&after).unwrap().is_empty());
    let report = j.verify_seals().unwrap().unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
}

/// A row written around the journal's door (the raw connection, as a
/// forgetful new write path would) is reported as not sealed.
#[test]
fn a_row_written_outside_the_sealing_path_is_reported() {
    let mut j = Journal::open_in_memory().unwrap();
    let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let conn = j.raw_connection();
    conn.execute_batch("DROP TRIGGER temp.seal_upd_sales")
        .unwrap();
    conn.execute("UPDATE sales SET cashier = 'bo' WHERE id = 1", [])
        .unwrap();
    let report = j.verify_seals().unwrap().unwrap();
    assert!(
        report.problems.iter().any(|p| matches!(
            p,
            SealProblem::RowChanged { table, columns, .. }
                if table == "sales" && columns == &[("cashier".to_string(), "bo".to_string())]
        )),
        "{:?}",
        report.problems
    );
    let _ = sale;
}

#[test]
fn anchors_round_trip_and_refuse_garbage() {
    let a = Anchor {
        terminal: "T01".into(),
        seq: 57,
        totals: seal::Totals {
            sales: 6,
            payments: 4,
            paid: 395,
            refunds: 1,
            refunded: 80,
        },
        check: "9F3A0C21BE".into(),
    };
    assert_eq!(a.to_string(), "T01-57-6-4-395-1-80-9F3A0C21BE");
    assert_eq!(a.to_string().parse::<Anchor>().unwrap(), a);
    for bad in [
        "",
        "T01-57",
        "T01-x-6-4-395-1-80-9F3A0C21BE",
        "T01-57-6-4-395-1-80-9F3",
    ] {
        assert!(bad.parse::<Anchor>().is_err(), "{bad}");
    }
}

/// `journal verify` checks on one read-only connection per core; it finds
/// exactly what the one-connection check finds, in the same order, on an
/// untouched journal and on a tampered one.
#[test]
fn the_parallel_check_reports_what_the_one_connection_check_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path().join("j.sqlite")).unwrap();
    for _ in 0..3 {
        let sale = j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
        pay(&mut j, &sale, 130);
    }
    let intact = j.verify(None).unwrap();
    assert!(intact.is_intact(), "{intact:?}");
    assert_eq!(intact.seals, j.verify_seals().unwrap());
    assert!(intact.seals.as_ref().unwrap().rows_checked > 20);
    j.raw_connection()
        .execute_batch(
            "UPDATE sales SET total = 8500 WHERE id = 1;
             DELETE FROM seals WHERE tbl = 'sale_lines' AND k1 = 2;
             UPDATE attempts SET state = 'declined' WHERE id = 3;",
        )
        .unwrap();
    let found = j.verify(None).unwrap();
    assert!(!found.is_intact());
    let seals = found.seals.as_ref().unwrap();
    assert_eq!(Some(seals), j.verify_seals().unwrap().as_ref());
    assert_eq!(found.audit, j.verify_audit().unwrap());
    assert_eq!(found.sqlite, j.integrity_check().unwrap());
    let text: Vec<String> = seals.problems.iter().map(|p| p.to_string()).collect();
    for want in [
        "sales id 1",
        "total is now 8500",
        "sale_lines sale_id 2",
        "attempts id 3",
    ] {
        assert!(text.iter().any(|t| t.contains(want)), "{want}: {text:#?}");
    }
}

/// The till remembers the chain head it wrote, so a commit need not read
/// and check it again; a head edited between two of its commits is still
/// noticed (the remembered head is used only while the file holds it
/// byte for byte) and reported for good.
#[test]
fn a_head_edited_between_two_commits_of_the_same_till_is_noted() {
    let mut j = Journal::open_in_memory().unwrap();
    j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    j.raw_connection()
        .execute(
            "UPDATE seal_head SET state = json_set(state, '$.tables.sales.rows', 0)",
            [],
        )
        .unwrap();
    j.new_sale(&t01(), day(), "amy", &cart()).unwrap();
    let report = j.verify_seals().unwrap().unwrap();
    assert!(
        report.problems.iter().any(|p| matches!(
            p,
            SealProblem::Note { note } if note.contains("the seal head did not match its chain")
        )),
        "{:?}",
        report.problems
    );
}
