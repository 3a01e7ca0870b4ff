//! Refunds left in doubt (answer lost, or the till killed while sending)
//! are settled by `recover` exactly once: asked first, sent again only when
//! the gateway shows the refund was not done.

use crate::pay_support;

use pay_support::{JKO_TOKEN, rig};
use till::gateway::client::PayWith;
use till::gateway::goodbuy::PayType;
use till::journal::{AttemptState, Detail, stamp};
use till::money::Ntd;
use till::sale::{GatewayId, PayMethod, RefundRequest, Wallet};
use till::terminal::Tender;

fn pi() -> Tender {
    Tender::Scan("PI7E3A60BD8C8F23F7".into())
}

fn credit() -> Tender {
    Tender::With(PayWith::PayLater {
        pay_type: PayType::Credit {
            card_owner: "王小明".into(),
            card_last4: "1234".into(),
        },
        phone: "0912345678".into(),
    })
}

#[tokio::test]
async fn a_mypay_refund_whose_answer_was_dropped_is_found_not_sent_again() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r.pay(&sale, pi(), 20_000).await.unwrap();
    assert_eq!(paid.state, AttemptState::Approved, "{}", paid.message);
    // 7002: MyPay refunds, then drops the connection without an answer.
    let lost = r.refund_amount(&sale, 7002, "dropped").await.unwrap();
    assert_eq!(lost.state, AttemptState::Unknown, "{}", lost.message);
    let refunded = || r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded;
    assert_eq!(refunded(), Ntd::new(7002));
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    // Refunded once at MyPay, and once in the journal.
    assert_eq!(refunded(), Ntd::new(7002));
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(7002));
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    // Found by asking, not sent again: MyPay received one api/refund.
    let uid = paid.gateway_trade_no.as_deref().unwrap();
    assert_eq!(r.sims.mypay.ledger.calls("api/refund", uid), 1);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_mypay_refund_that_never_reached_mypay_is_sent_again_and_never_doubled() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r.pay(&sale, pi(), 20_000).await.unwrap();
    // 7003: HTTP 500 before MyPay processed the refund.
    let lost = r.refund_amount(&sale, 7003, "5xx").await.unwrap();
    assert_eq!(lost.state, AttemptState::Unknown, "{}", lost.message);
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::ZERO
    );
    let uid = paid.gateway_trade_no.clone().unwrap();
    let sent_before = r.sims.mypay.ledger.calls("api/refund", &uid);
    assert!(sent_before >= 1);
    let out = r.till.recover(&r.payments).await.unwrap();
    // Sent again: the simulator's 7003 fault applies to every try of that
    // amount, so it stays in doubt — and nothing was refunded twice.
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].state, AttemptState::Unknown);
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::ZERO
    );
    assert!(
        r.sims.mypay.ledger.calls("api/refund", &uid) > sent_before,
        "recover sent the refund again"
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::ZERO);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_mypay_refund_killed_while_sending_is_sent_by_recover_exactly_once() {
    let mut r = rig().await;
    let sale = r.sale(500);
    let paid = r.pay(&sale, pi(), 500).await.unwrap();
    // What a till killed after journaling `Sending` leaves behind.
    let (trade, _) = r
        .till
        .journal_mut()
        .begin_refund(
            &sale,
            &RefundRequest::Amount(Ntd::new(200)),
            Some(GatewayId::MyPay),
            PayMethod::Wallet(Wallet::PiWallet),
        )
        .unwrap();
    let now = r.till.now();
    r.till
        .journal_mut()
        .transition(
            &trade,
            AttemptState::Sending,
            Detail::new()
                .with("at", stamp(now))
                .with("payment", paid.trade_no.clone()),
        )
        .unwrap();
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(200)
    );
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(200)
    );
    let uid = paid.gateway_trade_no.as_deref().unwrap();
    assert_eq!(
        r.sims.mypay.ledger.calls("api/refund", uid),
        1,
        "sent exactly once"
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(200));
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

/// A goodbuy card order paid, and its refund left in `Sending`.
async fn goodbuy_refund_in_doubt(
    r: &mut pay_support::Rig,
) -> (till::sale::SaleNo, String, till::sale::TradeNo) {
    let sale = r.sale(1000);
    let paid = r.pay(&sale, credit(), 1000).await.unwrap();
    assert_eq!(paid.state, AttemptState::Approved, "{}", paid.message);
    let (trade, _) = r
        .till
        .journal_mut()
        .begin_refund(
            &sale,
            &RefundRequest::Full,
            Some(GatewayId::Goodbuy),
            PayMethod::PayLater,
        )
        .unwrap();
    let now = r.till.now();
    r.till
        .journal_mut()
        .transition(
            &trade,
            AttemptState::Sending,
            Detail::new()
                .with("at", stamp(now))
                .with("payment", paid.trade_no.clone()),
        )
        .unwrap();
    (sale, paid.trade_no, trade)
}

#[tokio::test]
async fn a_goodbuy_refund_in_doubt_is_finished_at_the_right_step() {
    let mut r = rig().await;
    // Not done at all: both steps are sent by recover.
    let (_, pay_no, _) = goodbuy_refund_in_doubt(&mut r).await;
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    assert_eq!(
        r.sims.goodbuy.ledger.charges_for(&pay_no)[0].refunded,
        Ntd::new(1000)
    );

    // Done at the aggregator, answer lost: recover finds it refunded.
    let (_, pay_no, _) = goodbuy_refund_in_doubt(&mut r).await;
    let client = till::gateway::goodbuy::client::GoodbuyClient::from_config(
        r.cfg.gateways.goodbuy.as_ref().unwrap(),
    )
    .unwrap();
    let done = client.refund_order(&pay_no, Ntd::new(1000)).await.unwrap();
    assert!(matches!(done, till::gateway::Outcome::Approved(_)));
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    assert_eq!(
        r.sims.goodbuy.ledger.charges_for(&pay_no)[0].refunded,
        Ntd::new(1000)
    );
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

/// A MyPay payment of `amount` and a refund of [`QUEUED_REFUND`] sent on
/// it: MyPay accepts the refund and queues it.
const QUEUED: i64 = till::sim::mypay::QUEUED_REFUND;

#[tokio::test]
async fn a_refund_mypay_queued_is_never_sent_again_and_settles_once_mypay_does_it() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r.pay(&sale, pi(), 20_000).await.unwrap();
    let queued = r.refund_amount(&sale, QUEUED, "queued").await.unwrap();
    assert_eq!(queued.state, AttemptState::Unknown, "{}", queued.message);
    assert!(queued.message.contains("佇列"), "{}", queued.message);
    let refunded = || r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded;
    // Recover (twice, as start-ups would) while MyPay still holds it: asked,
    // never sent again.
    for _ in 0..2 {
        let out = r.till.recover(&r.payments).await.unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].state, AttemptState::Unknown, "{}", out[0].message);
    }
    assert_eq!(refunded(), Ntd::ZERO);
    let uid = paid.gateway_trade_no.clone().unwrap();
    assert_eq!(
        r.sims.mypay.ledger.calls("api/refund", &uid),
        1,
        "never sent again"
    );
    // MyPay's overnight run finds exactly the one refund the till sent.
    assert_eq!(r.sims.mypay.process_queued_refunds(), 1);
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    assert_eq!(refunded(), Ntd::new(QUEUED));
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(QUEUED));
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    assert_eq!(r.sims.mypay.ledger.calls("api/refund", &uid), 1);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_queued_refund_whose_answer_never_reached_the_journal_is_not_sent_again() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r.pay(&sale, pi(), 20_000).await.unwrap();
    // The till journaled `Sending`, MyPay queued the refund, and the till
    // died before it wrote the answer down.
    let (trade, _) = r
        .till
        .journal_mut()
        .begin_refund(
            &sale,
            &RefundRequest::Amount(Ntd::new(QUEUED)),
            Some(GatewayId::MyPay),
            PayMethod::Wallet(Wallet::PiWallet),
        )
        .unwrap();
    let now = r.till.now();
    r.till
        .journal_mut()
        .transition(
            &trade,
            AttemptState::Sending,
            Detail::new()
                .with("at", stamp(now))
                .with("payment", paid.trade_no.clone()),
        )
        .unwrap();
    let client = till::gateway::mypay::client::MyPayClient::from_config(
        r.cfg.gateways.mypay.as_ref().unwrap(),
    )
    .unwrap();
    let sent = till::gateway::client::Gateway::refund(
        &client,
        &till::gateway::client::RefundRequest {
            refund_no: trade.clone(),
            payment: till::gateway::client::PaidRef {
                trade_no: paid.trade_no.parse().unwrap(),
                gateway_trade_no: paid.gateway_trade_no.clone().unwrap(),
                amount: Ntd::new(20_000),
                at: now,
                with: PayWith::WalletCode {
                    wallet: Wallet::PiWallet,
                    code: "PI7E3A60BD8C8F23F7".into(),
                },
                items: vec![],
            },
            amount: Ntd::new(QUEUED),
            at: now,
            invoice: None,
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(sent, till::gateway::Outcome::Pending(_)),
        "{sent:?}"
    );
    // MyPay lists it as not done: in doubt, not sent a second time.
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Unknown, "{}", out[0].message);
    assert_eq!(r.sims.mypay.process_queued_refunds(), 1);
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(QUEUED)
    );
    // Only the one api/refund sent before the crash reached MyPay.
    let uid = paid.gateway_trade_no.as_deref().unwrap();
    assert_eq!(
        r.sims.mypay.ledger.calls("api/refund", uid),
        1,
        "not sent again"
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(QUEUED));
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_jkopay_refund_whose_answer_was_dropped_is_found_by_inquiry_not_sent_again() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(JKO_TOKEN.into()),
            Ntd::new(20_000),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(paid.state, AttemptState::Approved, "{}", paid.message);
    // 7002: JKoPay refunds, then drops the connection without an answer.
    let lost = r.refund_amount(&sale, 7002, "dropped").await.unwrap();
    assert_eq!(lost.state, AttemptState::Unknown, "{}", lost.message);
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    assert_eq!(
        r.sims.jkopay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(7002)
    );
    // Found by Inquiry R, not sent again: JKoPay answers a Refund sent
    // again under the same number as a repeat (IsRep), and the approval
    // journaled is not one.
    let rec = r
        .till
        .journal()
        .attempt(&out[0].trade_no.parse().unwrap())
        .unwrap()
        .unwrap();
    let approved = rec
        .events
        .iter()
        .find(|e| e.to == AttemptState::Approved)
        .unwrap();
    assert_eq!(
        approved.detail["extra"]["is_rep"],
        serde_json::json!(false),
        "{:?}",
        approved.detail
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(7002));
    // What JKoPay received: the one Refund, then an Inquiry.
    assert_eq!(r.sims.jkopay.ledger.calls("Refund", &out[0].trade_no), 1);
    assert!(r.sims.jkopay.ledger.calls("Inquiry", &out[0].trade_no) >= 1);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_jkopay_refund_killed_before_it_reached_jkopay_is_sent_again_once() {
    let mut r = rig().await;
    let sale = r.sale(500);
    let paid = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(JKO_TOKEN.into()),
            Ntd::new(500),
            vec![],
        )
        .await
        .unwrap();
    let (trade, _) = r
        .till
        .journal_mut()
        .begin_refund(
            &sale,
            &RefundRequest::Amount(Ntd::new(200)),
            Some(GatewayId::JkoPay),
            PayMethod::Wallet(Wallet::JkoPay),
        )
        .unwrap();
    let now = r.till.now();
    r.till
        .journal_mut()
        .transition(
            &trade,
            AttemptState::Sending,
            Detail::new()
                .with("at", stamp(now))
                .with("payment", paid.trade_no.clone()),
        )
        .unwrap();
    // Inquiry R: no such refund (916), so it is sent under its own number.
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    assert_eq!(
        r.sims.jkopay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(200)
    );
    let trade = trade.to_string();
    assert!(
        r.sims.jkopay.ledger.calls("Inquiry", &trade) >= 1,
        "asked first"
    );
    assert_eq!(r.sims.jkopay.ledger.calls("Refund", &trade), 1, "sent once");
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(200));
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

#[tokio::test]
async fn a_queued_refund_can_be_withdrawn_by_a_manager_before_mypay_does_it() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r.pay(&sale, pi(), 20_000).await.unwrap();
    let m = r.manager();
    let queued = r.refund_amount(&sale, QUEUED, "queued").await.unwrap();
    let trade: till::sale::TradeNo = queued.trade_no.parse().unwrap();
    // Only a manager, with a reason.
    let cashier = till::journal::User {
        role: till::journal::Role::Cashier,
        ..m.clone()
    };
    assert!(
        r.till
            .withdraw_refund(&r.payments, &trade, "wrong amount", &cashier)
            .await
            .is_err()
    );
    assert!(
        r.till
            .withdraw_refund(&r.payments, &trade, "  ", &m)
            .await
            .is_err()
    );
    let out = r
        .till
        .withdraw_refund(&r.payments, &trade, "金額打錯 / wrong amount", &m)
        .await
        .unwrap();
    assert_eq!(out.state, AttemptState::Declined, "{}", out.message);
    // MyPay's overnight run has nothing left to do; no money moved.
    assert_eq!(r.sims.mypay.process_queued_refunds(), 0);
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::ZERO
    );
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    // The sale can be refunded again, in full.
    let again = r
        .till
        .refund(&r.payments, &sale, &RefundRequest::Full, "退貨", &m)
        .await
        .unwrap();
    assert_eq!(again.state, AttemptState::Approved, "{}", again.message);
    assert_eq!(again.amount, Ntd::new(20_000));
    // A refund already done cannot be withdrawn.
    let done: till::sale::TradeNo = again.trade_no.parse().unwrap();
    assert!(
        r.till
            .withdraw_refund(&r.payments, &done, "late", &m)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_refund_mypay_did_overnight_cannot_be_withdrawn_and_is_settled_instead() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    r.pay(&sale, pi(), 20_000).await.unwrap();
    let m = r.manager();
    let queued = r.refund_amount(&sale, QUEUED, "queued").await.unwrap();
    assert_eq!(r.sims.mypay.process_queued_refunds(), 1);
    let trade: till::sale::TradeNo = queued.trade_no.parse().unwrap();
    let out = r
        .till
        .withdraw_refund(&r.payments, &trade, "too late", &m)
        .await
        .unwrap();
    assert_eq!(out.state, AttemptState::Approved, "{}", out.message);
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(QUEUED));
}

/// What a till killed after journaling refund `amount` as `Sending` on
/// `paid` leaves behind (nothing reached the gateway).
fn refund_left_sending(
    r: &mut pay_support::Rig,
    sale: &till::sale::SaleNo,
    paid: &till::terminal::PayResult,
    amount: i64,
    gateway: GatewayId,
    wallet: Wallet,
) -> till::sale::TradeNo {
    let (trade, _) = r
        .till
        .journal_mut()
        .begin_refund(
            sale,
            &RefundRequest::Amount(Ntd::new(amount)),
            Some(gateway),
            PayMethod::Wallet(wallet),
        )
        .unwrap();
    let now = r.till.now();
    r.till
        .journal_mut()
        .transition(
            &trade,
            AttemptState::Sending,
            Detail::new()
                .with("at", stamp(now))
                .with("payment", paid.trade_no.clone()),
        )
        .unwrap();
    trade
}

/// MyPay lists refunds by what they add up to: a second refund of the same
/// amount, never sent, must not be taken for the first one (which would
/// book money MyPay never gave back). It is sent, once.
#[tokio::test]
async fn a_second_refund_of_the_same_amount_left_in_doubt_is_sent_not_taken_for_the_first() {
    let mut r = rig().await;
    let sale = r.sale(1000);
    let paid = r.pay(&sale, pi(), 1000).await.unwrap();
    let first = r.refund_amount(&sale, 200, "退貨").await.unwrap();
    assert_eq!(first.state, AttemptState::Approved, "{}", first.message);
    refund_left_sending(
        &mut r,
        &sale,
        &paid,
        200,
        GatewayId::MyPay,
        Wallet::PiWallet,
    );
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    let uid = paid.gateway_trade_no.as_deref().unwrap();
    assert_eq!(
        r.sims.mypay.ledger.calls("api/refund", uid),
        2,
        "sent, once"
    );
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(400)
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(400));
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

/// A refund MyPay did while its answer was lost is found by what MyPay
/// lists, counting only the refunds that were done before it: one that was
/// declined on the same sale does not make the till send it a second time.
#[tokio::test]
async fn a_refund_done_with_its_answer_lost_is_found_though_an_earlier_one_was_declined() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r.pay(&sale, pi(), 20_000).await.unwrap();
    let first = r.refund_amount(&sale, 200, "退貨").await.unwrap();
    assert_eq!(first.state, AttemptState::Approved, "{}", first.message);
    // A refund the gateway declined (journaled; no money moved).
    let declined = refund_left_sending(
        &mut r,
        &sale,
        &paid,
        300,
        GatewayId::MyPay,
        Wallet::PiWallet,
    );
    r.till
        .journal_mut()
        .transition(
            &declined,
            AttemptState::Declined,
            Detail::new().error("declined"),
        )
        .unwrap();
    // 7002: MyPay refunds, then drops the connection without an answer.
    let lost = r.refund_amount(&sale, 7002, "退貨").await.unwrap();
    assert_eq!(lost.state, AttemptState::Unknown, "{}", lost.message);
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    let uid = paid.gateway_trade_no.as_deref().unwrap();
    assert_eq!(
        r.sims.mypay.ledger.calls("api/refund", uid),
        2,
        "not sent again"
    );
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(7202)
    );
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

/// A JKoPay refund in doubt that Inquiry does not find is sent again; when
/// JKoPay declines that send (951), the refund is declined, not left in
/// doubt: nothing was given back.
#[tokio::test]
async fn a_jkopay_refund_declined_when_sent_again_is_declined() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(JKO_TOKEN.into()),
            Ntd::new(20_000),
            vec![],
        )
        .await
        .unwrap();
    // 9951: JKoPay declines a refund of that amount with StatusCode 951.
    let trade = refund_left_sending(
        &mut r,
        &sale,
        &paid,
        9951,
        GatewayId::JkoPay,
        Wallet::JkoPay,
    );
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Declined, "{}", out[0].message);
    assert_eq!(r.sims.jkopay.ledger.calls("Refund", &trade.to_string()), 1);
    assert_eq!(
        r.sims.jkopay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::ZERO
    );
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

/// A JKoPay refund in doubt that Inquiry does not find is sent again; when
/// JKoPay answers that the money is already given back (922: refunds would
/// exceed the payment, here because the back office refunded meanwhile), the
/// till cannot tell whether its own refund is among them: it stays in doubt
/// for a person, never booked as declined.
#[tokio::test]
async fn a_jkopay_refund_answered_already_refunded_when_sent_again_stays_in_doubt() {
    let mut r = rig().await;
    let sale = r.sale(500);
    let paid = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(JKO_TOKEN.into()),
            Ntd::new(500),
            vec![],
        )
        .await
        .unwrap();
    let trade = refund_left_sending(&mut r, &sale, &paid, 200, GatewayId::JkoPay, Wallet::JkoPay);
    // The back office gives NT$400 back under a number of its own.
    let client = till::gateway::jkopay::client::JkoClient::from_config(
        r.cfg.gateways.jkopay.as_ref().unwrap(),
    )
    .unwrap();
    let now = r.till.now();
    let office = till::gateway::client::Gateway::refund(
        &client,
        &till::gateway::client::RefundRequest {
            refund_no: format!("{sale}R09").parse().unwrap(),
            payment: till::gateway::client::PaidRef {
                trade_no: paid.trade_no.parse().unwrap(),
                gateway_trade_no: paid.gateway_trade_no.clone().unwrap(),
                amount: Ntd::new(500),
                at: now,
                with: PayWith::WalletCode {
                    wallet: Wallet::JkoPay,
                    code: JKO_TOKEN.into(),
                },
                items: vec![],
            },
            amount: Ntd::new(400),
            at: now,
            invoice: None,
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(office, till::gateway::Outcome::Approved(_)),
        "{office:?}"
    );
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Unknown, "{}", out[0].message);
    assert_eq!(r.sims.jkopay.ledger.calls("Refund", &trade.to_string()), 1);
    assert_eq!(
        r.sims.jkopay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(400),
        "nothing more given back"
    );
}

/// A front to the gateway at `upstream` that relays one request and is
/// then gone: its listener closes the moment the first connection is
/// taken, and that connection closes after its answer. A gateway that
/// answers the till's question, then cannot be reached when the refund is
/// sent (a network that drops in between).
async fn answers_once_then_unreachable(upstream: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        drop(listener);
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the till closed before its request was whole");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let len: usize = header("content-length").map_or(0, |v| v.parse().unwrap());
        while buf.len() < head_end + len {
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the till closed before its request was whole");
            buf.extend_from_slice(&chunk[..n]);
        }
        let path = head.split(' ').nth(1).unwrap().trim_start_matches('/');
        let answer = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!("{upstream}{path}"))
            .header(
                "content-type",
                header("content-type").unwrap_or_else(|| "application/json".into()),
            )
            .body(buf[head_end..head_end + len].to_vec())
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let content_type = answer
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_else(|| "application/json".into());
        let body = answer.bytes().await.unwrap();
        let head = format!(
            "HTTP/1.1 {status} OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        conn.write_all(&body).await.unwrap();
        conn.shutdown().await.unwrap();
    });
    format!("http://{addr}/")
}

/// A JKoPay refund in doubt that Inquiry does not find is sent again; when
/// JKoPay cannot be reached for that send, nothing was given back and
/// nothing is settled: the refund stays in doubt (never booked as declined,
/// which would let it be refunded a second way) and the next recover,
/// with JKoPay back, sends it exactly once.
#[tokio::test]
async fn a_jkopay_refund_whose_resend_cannot_reach_jkopay_stays_in_doubt_and_is_sent_once_later() {
    let mut r = rig().await;
    let sale = r.sale(500);
    let paid = r
        .till
        .pay(
            &r.payments,
            &sale,
            Tender::Scan(JKO_TOKEN.into()),
            Ntd::new(500),
            vec![],
        )
        .await
        .unwrap();
    let trade = refund_left_sending(&mut r, &sale, &paid, 200, GatewayId::JkoPay, Wallet::JkoPay);
    let trade_no = trade.to_string();
    let mut cut = r.cfg.clone();
    cut.gateways.jkopay.as_mut().unwrap().base_url =
        answers_once_then_unreachable(r.sims.jkopay.server.base_url()).await;
    let cut_off = till::terminal::Payments::from_config(&cut)
        .unwrap()
        .with_policy(pay_support::quick_policy());
    let out = r.till.recover(&cut_off).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].state, AttemptState::Unknown, "{}", out[0].message);
    assert_eq!(r.sims.jkopay.ledger.calls("Inquiry", &trade_no), 1, "asked");
    assert_eq!(
        r.sims.jkopay.ledger.calls("Refund", &trade_no),
        0,
        "not sent"
    );
    assert_eq!(
        r.sims.jkopay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::ZERO
    );
    assert_eq!(r.attempt(&trade_no).state, AttemptState::Unknown);
    pay_support::assert_books_match(r.till.journal(), &r.sims);

    // JKoPay is reachable again: asked, not found, sent once, booked.
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out[0].state, AttemptState::Approved, "{}", out[0].message);
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    assert_eq!(r.sims.jkopay.ledger.calls("Inquiry", &trade_no), 2);
    assert_eq!(
        r.sims.jkopay.ledger.calls("Refund", &trade_no),
        1,
        "sent once"
    );
    assert_eq!(
        r.sims.jkopay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::new(200)
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::new(200));
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

/// goodbuy takes a card refund until 09:30 the day after the order. A
/// refund journaled in time whose till died before sending it is found not
/// done (`order_status` says paid) by a recover that runs after that
/// deadline: goodbuy would refuse it now, so the till does not send it and
/// books it declined, nothing given back — not in doubt for ever.
#[tokio::test]
async fn a_goodbuy_refund_found_not_done_after_its_deadline_is_declined_not_sent() {
    let mut r = rig().await;
    let then = till::taipei::now() - chrono::Duration::days(2);
    r.till.set_clock(move || then);
    let (sale, pay_no, trade) = goodbuy_refund_in_doubt(&mut r).await;
    r.till.set_clock(till::taipei::now);
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].trade_no, trade.to_string());
    assert_eq!(out[0].state, AttemptState::Declined, "{}", out[0].message);
    assert!(out[0].message.contains("退款期限"), "{}", out[0].message);
    assert_eq!(r.sims.goodbuy.ledger.calls("api/order_status", &pay_no), 2);
    assert_eq!(r.sims.goodbuy.ledger.calls("api/order_refund", &pay_no), 0);
    assert_eq!(
        r.sims.goodbuy.ledger.calls("api/order_refunded", &pay_no),
        0
    );
    assert_eq!(
        r.sims.goodbuy.ledger.charges_for(&pay_no)[0].refunded,
        Ntd::ZERO
    );
    assert!(r.till.recover(&r.payments).await.unwrap().is_empty());
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::ZERO);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}

/// A refund MyPay accepted and queued, then withdrawn in MyPay's back
/// office (not through this till), is no longer listed by MyPay. The till
/// cannot tell that from a list that is late: MyPay accepted it once, so
/// recover never sends it again (that would give back money the shop
/// withdrew); it stays in doubt for a manager, and no money moves.
#[tokio::test]
async fn a_queued_refund_mypay_no_longer_lists_is_never_sent_again() {
    let mut r = rig().await;
    let sale = r.sale(20_000);
    let paid = r.pay(&sale, pi(), 20_000).await.unwrap();
    let queued = r.refund_amount(&sale, QUEUED, "queued").await.unwrap();
    assert_eq!(queued.state, AttemptState::Unknown, "{}", queued.message);
    // MyPay's back office withdraws it.
    let office = till::gateway::mypay::client::MyPayClient::from_config(
        r.cfg.gateways.mypay.as_ref().unwrap(),
    )
    .unwrap();
    let now = r.till.now();
    let withdrawn = till::gateway::client::Gateway::withdraw_refund(
        &office,
        &till::gateway::client::RefundRequest {
            refund_no: queued.trade_no.parse().unwrap(),
            payment: till::gateway::client::PaidRef {
                trade_no: paid.trade_no.parse().unwrap(),
                gateway_trade_no: paid.gateway_trade_no.clone().unwrap(),
                amount: Ntd::new(20_000),
                at: now,
                with: PayWith::WalletCode {
                    wallet: Wallet::PiWallet,
                    code: String::new(),
                },
                items: vec![],
            },
            amount: Ntd::new(QUEUED),
            at: now,
            invoice: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(withdrawn, till::gateway::client::CancelOutcome::Cancelled);
    let out = r.till.recover(&r.payments).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].state, AttemptState::Unknown, "{}", out[0].message);
    assert!(
        out[0].message.contains("尚未列出"),
        "says why it waits: {}",
        out[0].message
    );
    let uid = paid.gateway_trade_no.as_deref().unwrap();
    assert_eq!(
        r.sims.mypay.ledger.calls("api/refund", uid),
        1,
        "never sent again"
    );
    assert_eq!(r.sims.mypay.process_queued_refunds(), 0);
    assert_eq!(
        r.sims.mypay.ledger.charges_for(&paid.trade_no)[0].refunded,
        Ntd::ZERO
    );
    let d = r.till.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.refunded, Ntd::ZERO);
    pay_support::assert_books_match(r.till.journal(), &r.sims);
}
