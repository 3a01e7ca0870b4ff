//! `till callback-server`: forged, foreign or simulated notices change
//! nothing; a real one settles the attempt once, however often it comes.

use crate::pay_support;

use std::sync::Arc;

use pay_support::rig;
use till::gateway::client::PayWith;
use till::gateway::ecpay::{EcpayConfig, OrderInfo, ResponseEnvelope, ReturnData};
use till::gateway::goodbuy::{self, PayType};
use till::journal::AttemptState;
use till::money::Ntd;
use till::terminal::callbacks::{CallbackState, serve};
use till::terminal::{Tender, Terminal};
use tokio::sync::Mutex;

async fn state_of(till: &Arc<Mutex<Terminal>>, trade: &str) -> (AttemptState, usize) {
    let t = till.lock().await;
    let rec = t
        .journal()
        .attempt(&trade.parse().unwrap())
        .unwrap()
        .unwrap();
    (rec.state, rec.events.len())
}

fn ecpay_cfg(c: &till::config::Ecpay) -> EcpayConfig {
    EcpayConfig {
        url: String::new(),
        merchant_id: c.merchant_id.clone(),
        platform_id: c.platform_id.clone(),
        hash_key: c.hash_key.clone(),
        hash_iv: c.hash_iv.clone(),
        return_url: String::new(),
    }
}

/// ECPay's ReturnURL notice of `trade`, paid under ECPay's own number
/// `ecpay_no`.
fn return_body(
    cfg: &EcpayConfig,
    trade: &str,
    ecpay_no: &str,
    amount: i64,
    simulated: bool,
) -> String {
    let mut data = ReturnData::default();
    data.merchant_id = cfg.merchant_id.clone();
    data.order_info = Some(OrderInfo {
        merchant_trade_no: trade.into(),
        trade_no: ecpay_no.into(),
        trade_amt: Some(Ntd::new(amount)),
        trade_status: "1".into(),
        ..OrderInfo::default()
    });
    data.set_result(1, "成功");
    data.set_simulated(simulated);
    let env = ResponseEnvelope::seal(cfg, 1, "", &data, till::taipei::now()).unwrap();
    serde_json::to_string(&env).unwrap()
}

#[tokio::test]
async fn ecpay_return_url_settles_once_and_ignores_simulated_and_foreign() {
    let mut r = rig().await;
    let sale = r.sale(7002);
    let card = Tender::With(PayWith::BoundCard {
        bind_card_id: "BIND0001".into(),
        member_id: "member42".into(),
    });
    let res = r
        .till
        .pay(&r.payments, &sale, card, Ntd::new(7002), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown);
    // ECPay charged (7002: the answer was lost); its notice names the
    // charge under ECPay's own number.
    let charged = r.sims.ecpay.ledger.charges_for(&res.trade_no);
    assert_eq!(charged.len(), 1);
    let ecpay_no = charged[0].gateway_trade_no.clone();
    let return_body = |cfg: &EcpayConfig, trade: &str, amount: i64, simulated: bool| {
        return_body(cfg, trade, &ecpay_no, amount, simulated)
    };
    let cfg = ecpay_cfg(r.cfg.gateways.ecpay.as_ref().unwrap());
    let till = Arc::new(Mutex::new(r.till));
    let state = CallbackState::new(till.clone(), r.payments.clone(), &r.cfg);
    let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let url = format!("http://{addr}/ecpay/return");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |body: String| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let resp = http.post(&url).body(body).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let before = state_of(&till, &res.trade_no).await;

    // SimulatePaid=1: acknowledged, never money.
    let (status, text) = post(return_body(&cfg, &res.trade_no, 7002, true)).await;
    assert_eq!((status, text.as_str()), (200, "1|OK"));
    assert_eq!(state_of(&till, &res.trade_no).await, before);

    // Another merchant's envelope.
    let mut foreign = cfg.clone();
    foreign.merchant_id = "1234567".into();
    let (status, _) = post(return_body(&foreign, &res.trade_no, 7002, false)).await;
    assert_eq!(status, 403);
    // Our MerchantID, but Data sealed with another key.
    let mut wrong_key = cfg.clone();
    wrong_key.hash_key = till::secret::Secret::new("AAAAAAAAAAAAAAAA");
    let (status, _) = post(return_body(&wrong_key, &res.trade_no, 7002, false)).await;
    assert_eq!(status, 403);
    let (status, _) = post("not json".into()).await;
    assert_eq!(status, 400);
    assert_eq!(state_of(&till, &res.trade_no).await, before);

    // The real one, twice.
    let (status, text) = post(return_body(&cfg, &res.trade_no, 7002, false)).await;
    assert_eq!((status, text.as_str()), (200, "1|OK"));
    let after = state_of(&till, &res.trade_no).await;
    assert_eq!(after.0, AttemptState::Approved);
    let (status, _) = post(return_body(&cfg, &res.trade_no, 7002, false)).await;
    assert_eq!(status, 200);
    assert_eq!(state_of(&till, &res.trade_no).await, after);
    let t = till.lock().await;
    let detail = t.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(detail.summary.paid, Ntd::new(7002), "booked once");
    let rec = t
        .journal()
        .attempt(&res.trade_no.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(rec.gateway_trade_no.as_deref(), Some(ecpay_no.as_str()));
    pay_support::assert_books_match(t.journal(), &r.sims);
}

#[tokio::test]
async fn goodbuy_callback_needs_the_check_value_and_is_idempotent() {
    let mut r = rig().await;
    let sale = r.sale(9601);
    let later = Tender::With(PayWith::PayLater {
        pay_type: PayType::Store {
            payer: "王小明".into(),
        },
        phone: "0912345678".into(),
    });
    let res = r
        .till
        .pay(&r.payments, &sale, later, Ntd::new(9601), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown);
    let key = r.cfg.gateways.goodbuy.as_ref().unwrap().agent_key.clone();
    let till = Arc::new(Mutex::new(r.till));
    let state = CallbackState::new(till.clone(), r.payments.clone(), &r.cfg);
    let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let url = format!("http://{addr}/goodbuy/return");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let form = |chk: String| {
        vec![
            ("code", "200".to_string()),
            ("status", "success".to_string()),
            ("mch_order_id", res.trade_no.clone()),
            ("pay_amount", "9601".to_string()),
            ("date", "2026-11-22 10:00:00".to_string()),
            ("chk_value", chk),
        ]
    };
    let before = state_of(&till, &res.trade_no).await;
    let forged = http
        .post(&url)
        .form(&form("0".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(state_of(&till, &res.trade_no).await, before);

    let good = goodbuy::chk_value(&res.trade_no, &key);
    // The check value covers only the order id: a genuine one with its
    // code or amount edited, or one sent before the money is there, is
    // checked with the aggregator, which says unpaid. Nothing is booked,
    // and the aggregator is told to send it again later.
    let early = http
        .post(&url)
        .form(&form(good.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(early.status().as_u16(), 503);
    assert_ne!(
        state_of(&till, &res.trade_no).await.0,
        AttemptState::Approved
    );
    let before = state_of(&till, &res.trade_no).await;

    assert!(r.sims.goodbuy.customer_pays(&res.trade_no));
    for _ in 0..2 {
        let resp = http
            .post(&url)
            .form(&form(good.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.text().await.unwrap(), res.trade_no);
    }
    let (state, events) = state_of(&till, &res.trade_no).await;
    assert_eq!(state, AttemptState::Approved);
    assert_eq!(events, before.1 + 1, "the second callback changed nothing");
    pay_support::assert_books_match(till.lock().await.journal(), &r.sims);
}

#[tokio::test]
async fn a_paypage_paid_after_the_till_cancelled_it_is_found_and_owed_back() {
    let mut r = rig().await;
    let sale = r.sale(260);
    let order = r
        .till
        .start_paypage(&r.payments, &sale, Ntd::new(260), vec![])
        .await
        .unwrap();
    let trade: till::sale::TradeNo = order.trade_no.parse().unwrap();
    let res = r.till.cancel_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(res.state, AttemptState::Cancelled, "{}", res.message);
    // The cashier takes cash; the customer, whose phone still shows the
    // page (MyPay has no call to close it), pays on it anyway.
    r.till
        .pay_cash(&sale, Ntd::new(260), Ntd::new(260))
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(
        http.post(&order.url)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    assert_eq!(r.sims.mypay.ledger.charges_for(&order.trade_no).len(), 1);

    let manager = r.manager();
    let cashier = till::journal::User {
        role: till::journal::Role::Cashier,
        ..manager.clone()
    };
    let till = Arc::new(Mutex::new(r.till));
    let state = CallbackState::new(till.clone(), r.payments.clone(), &r.cfg);
    let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    // MyPay's notice (unsigned: only a hint to ask), twice.
    for _ in 0..2 {
        let resp = http
            .post(format!("http://{addr}/mypay/notify"))
            .form(&[
                ("order_id", order.trade_no.as_str()),
                ("prc", "250"),
                ("cost", "260"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.text().await.unwrap(), "8888");
    }
    let mut t = till.lock().await;
    // The attempt stays as the till closed it, the sale paid once in cash,
    // and the card money is on record, once, as owed back.
    assert_eq!(
        t.journal().attempt(&trade).unwrap().unwrap().state,
        AttemptState::Cancelled
    );
    let d = t.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.paid, Ntd::new(260));
    let late = t.late_payments(true).unwrap();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].trade_no, trade);
    assert_eq!(late[0].amount, Ntd::new(260));
    assert_eq!(late[0].closed_as, "cancelled");
    assert_eq!(late[0].source, "mypay notice");

    // Settled by a manager only, with what was done; audited.
    assert!(matches!(
        t.settle_late_payment(&trade, &cashier, "後台退款"),
        Err(till::terminal::PayError::NotManager)
    ));
    t.settle_late_payment(
        &trade,
        &manager,
        "MyPay 後台全額退款 / refunded in full in MyPay's back office",
    )
    .unwrap();
    assert!(t.late_payments(true).unwrap().is_empty());
    let all = t.late_payments(false).unwrap();
    assert_eq!(all[0].settled_by.as_deref(), Some(manager.name.as_str()));
    assert!(matches!(
        t.settle_late_payment(&trade, &manager, "again"),
        Err(till::terminal::PayError::NoLatePayment(_))
    ));
}

#[tokio::test]
async fn an_ecpay_notice_of_payment_on_a_declined_attempt_is_owed_back_not_booked() {
    let mut r = rig().await;
    let sale = r.sale(9252);
    let card = Tender::With(PayWith::BoundCard {
        bind_card_id: "BIND0001".into(),
        member_id: "member42".into(),
    });
    let res = r
        .till
        .pay(&r.payments, &sale, card, Ntd::new(9252), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Declined, "{}", res.message);
    let cfg = ecpay_cfg(r.cfg.gateways.ecpay.as_ref().unwrap());
    let till = Arc::new(Mutex::new(r.till));
    let state = CallbackState::new(till.clone(), r.payments.clone(), &r.cfg);
    let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    // ECPay's authenticated notice says it was paid after all, twice.
    for _ in 0..2 {
        let resp = http
            .post(format!("http://{addr}/ecpay/return"))
            .body(return_body(
                &cfg,
                &res.trade_no,
                "2411221234567890",
                9252,
                false,
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.text().await.unwrap(), "1|OK");
    }
    let t = till.lock().await;
    let trade: till::sale::TradeNo = res.trade_no.parse().unwrap();
    assert_eq!(
        t.journal().attempt(&trade).unwrap().unwrap().state,
        AttemptState::Declined
    );
    let d = t.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.paid, Ntd::ZERO, "the sale is not booked as paid");
    let late = t.late_payments(true).unwrap();
    assert_eq!(late.len(), 1, "on record once");
    assert_eq!(late[0].amount, Ntd::new(9252));
    assert_eq!(late[0].closed_as, "declined");
    assert_eq!(late[0].source, "ecpay");
}
