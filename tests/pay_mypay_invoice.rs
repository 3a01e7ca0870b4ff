//! E-invoices and MyPay: an invoice MyPay issues is stored per sale as
//! MyPay sent it (no number from this till's rolls); a refund tells MyPay
//! what to do with the sale's invoice (`invoice_state` void 4 / allowance
//! 6, and the refunded `items`); a refund that `recover` settles later
//! still gets this till's invoice void / allowance, exactly once.

use crate::pay_support;

use pay_support::{Rig, rig};
use till::config::InvoiceIssuer;
use till::einvoice::Treatment;
use till::einvoice::buyer::BuyerChoice;
use till::gateway::Outcome;
use till::gateway::client::PayItem;
use till::gateway::mypay::RefundRequest as MyPayRefund;
use till::gateway::mypay::client::MyPayClient;
use till::journal::{AttemptState, InvoiceStatus};
use till::money::Ntd;
use till::sale::{Cart, Line, RefundRequest, SaleNo, TradeNo};
use till::terminal::{Payments, RefundMoney, Tender, proof_from_mypay};

const PI_CODE: &str = "PI7E3A60BD8C8F23F7";

/// A rig whose config says MyPay issues the invoices.
async fn mypay_issuing() -> Rig {
    let mut r = rig().await;
    r.cfg.einvoice.issuer = InvoiceIssuer::Mypay;
    r.payments = Payments::from_config(&r.cfg)
        .unwrap()
        .with_policy(pay_support::quick_policy());
    r
}

fn latte(qty: u32) -> Vec<PayItem> {
    vec![PayItem {
        id: "4710000000028".into(),
        name: "拿鐵 Latte".into(),
        unit_price: Ntd::new(100),
        qty,
    }]
}

async fn paid_with_pi(r: &mut Rig, total: i64, items: Vec<PayItem>) -> (SaleNo, TradeNo) {
    // The sale's lines are the items sent, when there are any.
    let sale = match items.first() {
        Some(i) => {
            let mut cart = Cart::new();
            cart.add(Line::new(&i.id, &i.name, i.qty, i.unit_price).unwrap())
                .unwrap();
            r.till.open_sale_as(&cart, "test").unwrap()
        }
        None => r.sale(total),
    };
    let res = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(PI_CODE.into()),
            Ntd::new(total),
            items,
        )
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    (sale, res.trade_no.parse().unwrap())
}

fn client(r: &Rig) -> MyPayClient {
    MyPayClient::from_config(r.cfg.gateways.mypay.as_ref().unwrap()).unwrap()
}

/// What MyPay itself says about the payment now (its querydirect row).
async fn mypay_row(r: &Rig, trade: &TradeNo, amount: i64) -> till::gateway::mypay::PaymentRecord {
    let found = client(r)
        .query_direct(trade, Ntd::new(amount))
        .await
        .unwrap()
        .unwrap();
    found.rows.into_iter().next().unwrap()
}

#[tokio::test]
async fn the_invoice_mypay_issued_is_stored_as_mypay_sent_it() {
    let mut r = mypay_issuing().await;
    let (sale, trade) = paid_with_pi(&mut r, 200, latte(2)).await;

    let stored = r.till.mypay_invoice_fields(&sale).unwrap().unwrap();
    let sent = mypay_row(&r, &trade, 200).await.invoice.fields().unwrap();
    assert_eq!(stored, sent, "verbatim, as MyPay's answer carried it");
    let inv = r.till.mypay_invoice(&sale).unwrap().unwrap();
    assert_eq!(inv.total, Ntd::new(200));
    assert_eq!(inv.left_qr, sent.invoice_left_qrcode);
    assert_eq!(inv.middle_barcode, sent.invoice_middle_barcode);
    // The proof prints MyPay's codes as given.
    let proof = proof_from_mypay(&inv, false);
    assert!(format!("{proof:?}").contains(&sent.invoice_middle_barcode));
    // Issued by MyPay: none from this till's rolls.
    assert!(r.till.live_invoice(&sale).unwrap().is_none());
}

#[tokio::test]
async fn without_mypay_issuing_no_invoice_is_asked_for_or_stored() {
    let mut r = rig().await;
    let (sale, trade) = paid_with_pi(&mut r, 200, latte(2)).await;
    assert!(r.till.mypay_invoice(&sale).unwrap().is_none());
    assert!(mypay_row(&r, &trade, 200).await.invoice.fields().is_none());
}

#[tokio::test]
async fn a_partial_refund_names_the_items_and_makes_an_allowance_at_mypay() {
    let mut r = mypay_issuing().await;
    let (sale, trade) = paid_with_pi(&mut r, 300, latte(3)).await;
    let m = r.manager();
    let cfg = r.cfg.clone();
    let out = r
        .till
        .refund_sale(
            &cfg,
            &r.payments,
            &sale,
            &RefundRequest::Lines(vec![(0, 1)]),
            "one cup returned",
            &m,
        )
        .await
        .unwrap();
    assert!(out.money.is_back(), "{:?}", out.money);
    // MyPay made the allowance itself; the till made no invoice of its own.
    assert!(out.invoice.is_none());
    let inv = r.till.mypay_invoice(&sale).unwrap().unwrap();
    assert_eq!(inv.state, 6, "allowance");
    let row = mypay_row(&r, &trade, 300).await;
    assert_eq!(row.invoice.invoice_state, Some(6));
    assert_eq!(row.invoice.invoice_allowance[0].amount, Some(Ntd::new(100)));
}

#[tokio::test]
async fn a_whole_refund_in_the_period_voids_the_invoice_at_mypay() {
    let mut r = mypay_issuing().await;
    let (sale, trade) = paid_with_pi(&mut r, 200, latte(2)).await;
    let m = r.manager();
    let cfg = r.cfg.clone();
    let out = r
        .till
        .refund_sale(
            &cfg,
            &r.payments,
            &sale,
            &RefundRequest::Full,
            "changed mind",
            &m,
        )
        .await
        .unwrap();
    assert!(out.money.is_back());
    let RefundMoney::Gateway(res) = &out.money else {
        panic!("through MyPay")
    };
    let rec = r.attempt(&res.trade_no);
    assert!(
        rec.events
            .iter()
            .any(|e| e.detail["extra"]["invoice_state"] == "4"),
        "the void was asked for and journaled"
    );
    assert_eq!(
        mypay_row(&r, &trade, 200).await.invoice.invoice_state,
        Some(4)
    );
    // Voided: nothing left to print.
    assert!(r.till.mypay_invoice(&sale).unwrap().is_none());
    assert_eq!(
        r.till
            .mypay_invoice_fields(&sale)
            .unwrap()
            .unwrap()
            .invoice_state,
        "4"
    );
}

#[tokio::test]
async fn mypay_refuses_a_partial_refund_of_an_invoiced_payment_without_items() {
    let mut r = mypay_issuing().await;
    let (_, trade) = paid_with_pi(&mut r, 200, latte(2)).await;
    let row = mypay_row(&r, &trade, 200).await;
    let c = client(&r);
    // No items, no invoice_state: MyPay's default is a void, and a partial
    // refund of an invoiced payment must list what goes back.
    let bare =
        MyPayRefund::new(c.config(), &row.uid, &row.key, Ntd::new(100), vec![], false).unwrap();
    let o = c.refund_with(&bare).await.unwrap();
    assert!(matches!(o, Outcome::Declined(_)), "{o:?}");
    // Named as sold, it goes through.
    let item = till::gateway::mypay::Item {
        id: "4710000000028".into(),
        name: "拿鐵 Latte".into(),
        cost: Ntd::new(100),
        amount: 1,
        total: Ntd::new(100),
    };
    let mut named = MyPayRefund::new(
        c.config(),
        &row.uid,
        &row.key,
        Ntd::new(100),
        vec![item],
        true,
    )
    .unwrap();
    named.invoice_state = Some(till::gateway::mypay::InvoiceRefundMode::Allowance);
    let o = c.refund_with(&named).await.unwrap();
    assert!(matches!(o, Outcome::Approved(_)), "{o:?}");
}

#[tokio::test]
async fn a_refund_of_a_till_invoiced_sale_tells_mypay_too() {
    let mut r = rig().await;
    let (sale, _) = paid_with_pi(&mut r, 500, vec![]).await;
    let cfg = r.cfg.clone();
    r.till
        .issue_invoice(&cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    let m = r.manager();
    let out = r
        .till
        .refund_sale(
            &cfg,
            &r.payments,
            &sale,
            &RefundRequest::Amount(Ntd::new(200)),
            "partial",
            &m,
        )
        .await
        .unwrap();
    let RefundMoney::Gateway(res) = &out.money else {
        panic!("through MyPay")
    };
    let rec = r.attempt(&res.trade_no);
    assert!(
        rec.events
            .iter()
            .any(|e| e.detail["extra"]["invoice_state"] == "6")
    );
    assert_eq!(out.invoice.unwrap().treatment, Treatment::Allowance);
}

#[tokio::test]
async fn a_refund_settled_by_recover_gets_its_invoice_change_exactly_once() {
    let mut r = rig().await;
    let (sale, paid) = paid_with_pi(&mut r, 20_000, vec![]).await;
    let cfg = r.cfg.clone();
    let issued = r
        .till
        .issue_invoice(&cfg, &sale, &BuyerChoice::Print)
        .unwrap();
    let number = issued.invoice.number().to_string();
    let m = r.manager();
    // 7002: MyPay refunds, then drops the connection: the refund is in doubt.
    let out = r
        .till
        .refund_sale(
            &cfg,
            &r.payments,
            &sale,
            &RefundRequest::Amount(Ntd::new(7002)),
            "dropped answer",
            &m,
        )
        .await
        .unwrap();
    assert!(!out.money.is_back());
    assert!(out.invoice.is_none(), "not before the money is back");
    let changes = |r: &Rig| r.till.journal().invoice_changes(&number).unwrap();
    assert!(changes(&r).is_empty());

    let settled = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(
        settled[0].state,
        AttemptState::Approved,
        "{}",
        settled[0].message
    );
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.to_string())[0].refunded,
        Ntd::new(7002)
    );
    let made = changes(&r);
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].kind, "allowance");
    assert_eq!(made[0].amount, Ntd::new(7002));
    assert_eq!(made[0].data["refund_trade"], settled[0].trade_no);
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.invoices[0].status, InvoiceStatus::Allowance);

    // Asked again, by recover, query or by hand: nothing more.
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    let trade: TradeNo = settled[0].trade_no.parse().unwrap();
    r.till.query(&r.payments, &trade).await.unwrap();
    assert!(r.till.apply_refund_invoice(&cfg, &trade).unwrap().is_none());
    assert_eq!(changes(&r).len(), 1);
}
