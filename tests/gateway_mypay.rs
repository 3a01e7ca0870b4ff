//! MyPay client against the MyPay simulator over real loopback HTTP.

use std::time::Duration;

use axum::extract::Form;
use axum::routing::post;
use till::gateway::client::{Gateway, PaidRef, PayRequest, PayWith, RefundRequest};
use till::gateway::mypay::client::MyPayClient;
use till::gateway::{CashierAction, Outcome};
use till::money::Ntd;
use till::sale::{AttemptKind, SaleNo, TradeNo, Wallet};
use till::sim::SimOptions;
use till::sim::mypay::MyPaySim;
use till::taipei;

async fn setup_with(opts: SimOptions) -> (MyPaySim, MyPayClient) {
    let sim = MyPaySim::start(opts).await.unwrap();
    let client = MyPayClient::from_config(&sim.config_section())
        .unwrap()
        .with_timeout(Duration::from_millis(2000))
        .unwrap();
    (sim, client)
}

async fn setup() -> (MyPaySim, MyPayClient) {
    setup_with(SimOptions::default()).await
}

fn trade(seq: u32, kind: AttemptKind, n: u8) -> TradeNo {
    SaleNo::new("T02".parse().unwrap(), taipei::now().date_naive(), seq)
        .unwrap()
        .attempt(kind, n)
        .unwrap()
}

fn pay_req(seq: u32, amount: i64, wallet: Wallet) -> PayRequest {
    PayRequest {
        trade_no: trade(seq, AttemptKind::Payment, 1),
        amount: Ntd::new(amount),
        with: PayWith::WalletCode {
            wallet,
            code: "281234567890123456".into(),
        },
        items: Vec::new(),
        at: taipei::now(),
        buyer: Default::default(),
    }
}

fn refund_of(p: &PayRequest, uid: &str, n: u8, amount: i64) -> RefundRequest {
    RefundRequest {
        refund_no: trade(p.trade_no.sale().seq(), AttemptKind::Refund, n),
        payment: PaidRef {
            trade_no: p.trade_no.clone(),
            gateway_trade_no: uid.into(),
            amount: p.amount,
            at: p.at,
            with: p.with.clone(),
            items: Vec::new(),
        },
        amount: Ntd::new(amount),
        at: taipei::now(),
        invoice: None,
    }
}

fn approved(o: &Outcome) -> &till::gateway::Approval {
    match o {
        Outcome::Approved(a) => a,
        other => panic!("expected approval, got {other:?}"),
    }
}

fn is_unknown(o: &Outcome) -> bool {
    matches!(o, Outcome::Unknown { .. })
}

#[tokio::test]
async fn approve_decline_and_mismatch() {
    let (sim, c) = setup().await;
    let ok = c.pay(&pay_req(1, 480, Wallet::LinePay)).await.unwrap();
    assert_eq!(approved(&ok).amount, Ntd::new(480));
    assert!(approved(&ok).review.is_none());

    match c.pay(&pay_req(2, 9300, Wallet::LinePay)).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "300"),
        other => panic!("{other:?}"),
    }
    // 290: money taken, but a supervisor must look.
    let odd = c.pay(&pay_req(3, 9290, Wallet::PiWallet)).await.unwrap();
    assert_eq!(odd.action(), CashierAction::ReviewPayment);
    assert_eq!(sim.ledger.total_charged(), Ntd::new(480 + 9290));
}

#[tokio::test]
async fn wechat_280_completes_after_confirmation() {
    let (sim, c) = setup().await;
    let p = pay_req(4, 9280, Wallet::WeChatPay);
    let req = c.transaction_request(&p).unwrap();
    let first = c.transaction(&req).await.unwrap().unwrap();
    let o = first.outcome(p.amount);
    assert_eq!(o.action(), CashierAction::AskCustomerToConfirmInApp);
    assert!(sim.ledger.charges_for(&p.trade_no.to_string()).is_empty());

    let confirm = first.wechat_confirmation(&c.config().store_uid).unwrap();
    let done = c.wechat_confirm(&confirm, p.amount).await.unwrap();
    assert_eq!(approved(&done).amount, Ntd::new(9280));
    assert_eq!(sim.ledger.charges_for(&p.trade_no.to_string()).len(), 1);
    // Confirming again does not charge twice.
    c.wechat_confirm(&confirm, p.amount).await.unwrap();
    assert_eq!(sim.ledger.total_charged(), Ntd::new(9280));
}

#[tokio::test]
async fn querydirect_resolves_a_lost_answer() {
    let (sim, c) = setup().await;
    let p = pay_req(5, 7002, Wallet::LinePay);
    assert!(is_unknown(&c.pay(&p).await.unwrap()));
    assert_eq!(sim.ledger.charges_for(&p.trade_no.to_string()).len(), 1);
    let q = c.query(&p).await.unwrap();
    assert_eq!(approved(&q).amount, Ntd::new(7002));

    // A number MyPay does not list, a whole call timeout after it was
    // sent: it never arrived, nothing was charged.
    let mut never = pay_req(6, 100, Wallet::LinePay);
    never.at = till::taipei::now() - chrono::TimeDelta::minutes(2);
    match c.query(&never).await.unwrap() {
        Outcome::Declined(d) => assert!(d.reason.contains("nothing was charged")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn timeout_5xx_and_malformed_are_unknown() {
    let (sim, c) = setup().await;
    let slow = pay_req(7, 7001, Wallet::LinePay);
    let o = tokio::time::timeout(Duration::from_secs(5), c.pay(&slow))
        .await
        .unwrap()
        .unwrap();
    assert!(is_unknown(&o));
    assert!(is_unknown(
        &c.pay(&pay_req(8, 7003, Wallet::LinePay)).await.unwrap()
    ));
    assert!(
        sim.ledger
            .charges_for(&trade(8, AttemptKind::Payment, 1).to_string())
            .is_empty()
    );
    assert!(is_unknown(
        &c.pay(&pay_req(9, 7004, Wallet::LinePay)).await.unwrap()
    ));
    // The slow and the malformed ones did take money.
    assert_eq!(sim.ledger.total_charged(), Ntd::new(7001 + 7004));
}

#[tokio::test]
async fn a_reused_order_id_is_refused_not_charged_again() {
    let (sim, c) = setup().await;
    let p = pay_req(10, 200, Wallet::LinePay);
    approved(&c.pay(&p).await.unwrap());
    match c.pay(&p).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "B500"),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.ledger.charges_for(&p.trade_no.to_string()).len(), 1);
}

#[tokio::test]
async fn refunds_partial_repeated_and_over_the_limit() {
    let (sim, c) = setup().await;
    let p = pay_req(11, 500, Wallet::LinePay);
    let uid = approved(&c.pay(&p).await.unwrap()).gateway_trade_no.clone();
    assert_eq!(
        approved(&c.refund(&refund_of(&p, &uid, 1, 200)).await.unwrap()).amount,
        Ntd::new(200)
    );
    assert_eq!(
        approved(&c.refund(&refund_of(&p, &uid, 2, 300)).await.unwrap()).amount,
        Ntd::new(300)
    );
    match c.refund(&refund_of(&p, &uid, 3, 1)).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "B500"),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);
}

#[tokio::test]
async fn forged_envelopes_get_code_100() {
    let (sim, c) = setup().await;
    let mut cfg = c.config().clone();
    cfg.key = till::secret::Secret::new("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ");
    let env = cfg
        .seal(
            till::gateway::mypay::Cmd::QueryOrder,
            &serde_json::json!({"uid": "1", "key": "2"}),
        )
        .unwrap();
    let v: serde_json::Value = reqwest::Client::new()
        .post(cfg.endpoint())
        .form(&env.form_fields())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], "100");
    // A field missing altogether: 100 as well.
    let v: serde_json::Value = reqwest::Client::new()
        .post(cfg.endpoint())
        .form(&[("agent_uid", "518169081001")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], "100");
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);
}

#[tokio::test]
async fn paid_transactions_are_notified() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<(String, String)>>();
    let app = axum::Router::new().route(
        "/notify",
        post(move |Form(f): Form<Vec<(String, String)>>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(f);
                till::gateway::mypay::NOTIFY_ACK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (_sim, c) = setup_with(SimOptions {
        callback_url: Some(format!("http://{addr}/notify")),
        ..SimOptions::default()
    })
    .await;
    let p = pay_req(12, 350, Wallet::LinePay);
    approved(&c.pay(&p).await.unwrap());
    let form = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let n = till::gateway::mypay::Notification::from_form(
        form.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .unwrap();
    assert_eq!(n.order_id, p.trade_no.to_string());
    assert_eq!(approved(&n.outcome(p.amount)).amount, Ntd::new(350));
}
