//! Aggregator client against its simulator over real loopback HTTP.

use std::time::Duration;

use axum::extract::Form;
use axum::routing::post;
use till::gateway::client::{Gateway, NotSent, PaidRef, PayRequest, PayWith, RefundRequest};
use till::gateway::goodbuy::client::GoodbuyClient;
use till::gateway::goodbuy::{Callback, PayType};
use till::gateway::{Outcome, OutcomeKind};
use till::money::Ntd;
use till::sale::{AttemptKind, SaleNo};
use till::secret::Secret;
use till::sim::SimOptions;
use till::sim::goodbuy::GoodbuySim;
use till::taipei;
use tokio::sync::mpsc::UnboundedReceiver;

type Forms = UnboundedReceiver<Vec<(String, String)>>;

async fn callback_server() -> (String, Forms) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/cb",
        post(move |Form(f): Form<Vec<(String, String)>>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(f);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/cb"), rx)
}

async fn setup() -> (GoodbuySim, GoodbuyClient, Forms) {
    let (url, rx) = callback_server().await;
    let sim = GoodbuySim::start(SimOptions {
        callback_url: Some(url),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let client = GoodbuyClient::from_config(&sim.config_section())
        .unwrap()
        .with_timeout(Duration::from_millis(2000))
        .unwrap();
    (sim, client, rx)
}

fn credit() -> PayType {
    PayType::Credit {
        card_owner: "王小明".into(),
        card_last4: "1234".into(),
    }
}

fn pay_req(seq: u32, amount: i64, pay_type: PayType) -> PayRequest {
    PayRequest {
        trade_no: SaleNo::new("T04".parse().unwrap(), taipei::now().date_naive(), seq)
            .unwrap()
            .attempt(AttemptKind::Payment, 1)
            .unwrap(),
        amount: Ntd::new(amount),
        with: PayWith::PayLater {
            pay_type,
            phone: "0912345678".into(),
        },
        items: Vec::new(),
        at: taipei::now(),
        buyer: Default::default(),
    }
}

fn refund_of(p: &PayRequest, amount: i64) -> RefundRequest {
    RefundRequest {
        refund_no: p.trade_no.sale().attempt(AttemptKind::Refund, 1).unwrap(),
        payment: PaidRef {
            trade_no: p.trade_no.clone(),
            gateway_trade_no: p.trade_no.to_string(),
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

async fn next_callback(rx: &mut Forms) -> Callback {
    let f = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    Callback::from_form(f.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap()
}

#[tokio::test]
async fn order_then_verified_callback_then_status() {
    let (sim, c, mut rx) = setup().await;
    let p = pay_req(1, 1500, credit());
    assert_eq!(c.pay(&p).await.unwrap().kind(), OutcomeKind::Pending);
    let cb = next_callback(&mut rx).await;
    cb.verify(&c.config().agent_key).unwrap();
    assert_eq!(cb.ack(), Some(p.trade_no.to_string().as_str()));
    assert_eq!(cb.outcome(p.amount).kind(), OutcomeKind::Success);
    // A callback checked with another key is refused as forged.
    assert!(cb.verify(&Secret::new("someone-else")).is_err());
    match c.query(&p).await.unwrap() {
        Outcome::Approved(a) => assert_eq!(a.amount, Ntd::new(1500)),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.ledger.total_charged(), Ntd::new(1500));
}

#[tokio::test]
async fn failed_and_unpaid_orders() {
    let (sim, c, mut rx) = setup().await;
    let bad = pay_req(2, 9503, credit());
    c.pay(&bad).await.unwrap();
    let cb = next_callback(&mut rx).await;
    cb.verify(&c.config().agent_key).unwrap();
    match cb.outcome(bad.amount) {
        Outcome::Declined(d) => assert_eq!(d.code, "503"),
        other => panic!("{other:?}"),
    }
    let waiting = pay_req(3, 9601, credit());
    c.pay(&waiting).await.unwrap();
    assert_eq!(
        c.query(&waiting).await.unwrap().kind(),
        OutcomeKind::Pending
    );
    // Asking with the wrong amount: 519.
    let mut wrong = waiting.clone();
    wrong.amount = Ntd::new(1);
    match c.query(&wrong).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "519"),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);
}

#[tokio::test]
async fn duplicate_order_ids_are_refused_with_505() {
    let (sim, c, _rx) = setup().await;
    let p = pay_req(4, 800, credit());
    c.pay(&p).await.unwrap();
    match c.pay(&p).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "505"),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.ledger.charges_for(&p.trade_no.to_string()).len(), 1);
}

#[tokio::test]
async fn faults_are_unknown() {
    let (sim, c, _rx) = setup().await;
    let slow = tokio::time::timeout(Duration::from_secs(5), c.pay(&pay_req(5, 7001, credit())))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(slow.kind(), OutcomeKind::Unknown);
    let drop = pay_req(6, 7002, credit());
    assert_eq!(c.pay(&drop).await.unwrap().kind(), OutcomeKind::Unknown);
    assert_eq!(sim.ledger.charges_for(&drop.trade_no.to_string()).len(), 1);
    assert_eq!(
        c.pay(&pay_req(7, 7003, credit())).await.unwrap().kind(),
        OutcomeKind::Unknown
    );
}

#[tokio::test]
async fn refund_in_two_steps_once() {
    let (sim, c, _rx) = setup().await;
    let p = pay_req(8, 2000, credit());
    c.pay(&p).await.unwrap();
    match c.refund(&refund_of(&p, 2000)).await.unwrap() {
        Outcome::Approved(a) => assert_eq!(a.amount, Ntd::new(2000)),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);
    // Twice is refused: 521.
    match c.refund(&refund_of(&p, 2000)).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "521"),
        other => panic!("{other:?}"),
    }
    // A refunded order is found as a refund done, and never as a payment
    // the sale could keep.
    assert!(matches!(
        c.find_refund(&refund_of(&p, 2000), Ntd::ZERO)
            .await
            .unwrap(),
        Some(Outcome::Approved(_))
    ));
    assert_eq!(c.query(&p).await.unwrap().kind(), OutcomeKind::Unknown);
}

#[tokio::test]
async fn refunds_the_aggregator_would_refuse_are_not_sent() {
    let (sim, c, _rx) = setup().await;
    let p = pay_req(9, 1000, credit());
    c.pay(&p).await.unwrap();
    let before = sim.ledger.requests();
    // Past 09:30 the next day.
    let mut late = refund_of(&p, 1000);
    late.payment.at = taipei::now() - chrono::TimeDelta::days(2);
    assert!(matches!(
        c.refund(&late).await,
        Err(NotSent::RefundRefused(_))
    ));
    // Not a card order.
    let atm = pay_req(
        10,
        1000,
        PayType::Atm {
            account_owner: "王小明".into(),
            account_last5: vec!["12345".into()],
        },
    );
    assert!(matches!(
        c.refund(&refund_of(&atm, 1000)).await,
        Err(NotSent::RefundRefused(_))
    ));
    // Part of the order: the calls carry no amount.
    assert!(matches!(
        c.refund(&refund_of(&p, 10)).await,
        Err(NotSent::Field(_))
    ));
    assert_eq!(sim.ledger.requests(), before);
    assert_eq!(sim.ledger.total_charged(), Ntd::new(1000));

    // The aggregator keeps its own deadline: a backdated order gets 520.
    sim.set_created(
        &p.trade_no.to_string(),
        taipei::now() - chrono::TimeDelta::days(2),
    );
    match c.refund(&refund_of(&p, 1000)).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "520"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_query_refused_for_a_wrong_agent_key_leaves_the_order_in_doubt() {
    let (sim, c, _rx) = setup().await;
    let p = pay_req(11, 100, credit());
    assert!(matches!(c.pay(&p).await.unwrap(), Outcome::Pending(_)));
    let mut section = sim.config_section();
    section.agent_key = Secret::new("guessed");
    let forged = GoodbuyClient::from_config(&section).unwrap();
    // 500 says nothing about the order: not declined (which would let
    // the till take the money a second way), in doubt, and it says why.
    match forged.query(&p).await.unwrap() {
        Outcome::Unknown { why } => assert!(why.starts_with("500"), "{why}"),
        other => panic!("{other:?}"),
    }
}
