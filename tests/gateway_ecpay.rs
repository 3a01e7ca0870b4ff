//! ECPay client against the ECPay simulator over real loopback HTTP.

use std::time::Duration;

use axum::routing::post;
use till::gateway::client::{Clock, Gateway, NotSent, PayRequest, PayWith};
use till::gateway::ecpay::client::EcpayClient;
use till::gateway::ecpay::{ResponseEnvelope, ReturnData, ReturnNotice};
use till::gateway::{CashierAction, Outcome};
use till::money::Ntd;
use till::sale::{AttemptKind, SaleNo};
use till::sim::SimOptions;
use till::sim::ecpay::EcpaySim;
use till::taipei;

async fn setup_with(opts: SimOptions) -> (EcpaySim, EcpayClient) {
    let sim = EcpaySim::start(opts).await.unwrap();
    let client = EcpayClient::from_config(&sim.config_section(), "http://127.0.0.1:9/return")
        .unwrap()
        .with_timeout(Duration::from_millis(2000))
        .unwrap();
    (sim, client)
}

async fn setup() -> (EcpaySim, EcpayClient) {
    setup_with(SimOptions::default()).await
}

fn pay_req(seq: u32, amount: i64) -> PayRequest {
    PayRequest {
        trade_no: SaleNo::new("T03".parse().unwrap(), taipei::now().date_naive(), seq)
            .unwrap()
            .attempt(AttemptKind::Payment, 1)
            .unwrap(),
        amount: Ntd::new(amount),
        with: PayWith::BoundCard {
            bind_card_id: "BIND0001".into(),
            member_id: "member42".into(),
        },
        items: Vec::new(),
        at: taipei::now(),
        buyer: Default::default(),
    }
}

fn approved(o: &Outcome) -> &till::gateway::Approval {
    match o {
        Outcome::Approved(a) => a,
        other => panic!("expected approval, got {other:?}"),
    }
}

fn unknown(o: &Outcome) -> &str {
    match o {
        Outcome::Unknown { why } => why,
        other => panic!("expected unknown, got {other:?}"),
    }
}

#[tokio::test]
async fn approve_and_card_declines() {
    let (sim, c) = setup().await;
    let ok = c.pay(&pay_req(1, 1200)).await.unwrap();
    assert_eq!(approved(&ok).amount, Ntd::new(1200));
    for (seq, amount, code) in [(2, 9252, "10100252"), (3, 9255, "10100255")] {
        match c.pay(&pay_req(seq, amount)).await.unwrap() {
            Outcome::Declined(d) => {
                assert_eq!(d.code, code);
                assert_eq!(d.action, CashierAction::AskForAnotherPayment);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(sim.ledger.total_charged(), Ntd::new(1200));
}

#[tokio::test]
async fn every_fault_is_unknown() {
    let (sim, c) = setup().await;
    let slow = tokio::time::timeout(Duration::from_secs(5), c.pay(&pay_req(4, 7001)))
        .await
        .unwrap()
        .unwrap();
    unknown(&slow);
    let drop = pay_req(5, 7002);
    unknown(&c.pay(&drop).await.unwrap());
    assert_eq!(sim.ledger.charges_for(&drop.trade_no.to_string()).len(), 1);
    assert!(unknown(&c.pay(&pay_req(6, 7003)).await.unwrap()).contains("500"));
    assert!(unknown(&c.pay(&pay_req(7, 7004)).await.unwrap()).contains("malformed"));
    assert!(unknown(&c.pay(&pay_req(8, 7005)).await.unwrap()).contains("bad signature"));
    // Slow, drop, malformed and forged answers all followed a real charge.
    assert_eq!(
        sim.ledger.total_charged(),
        Ntd::new(7001 + 7002 + 7004 + 7005)
    );
}

#[tokio::test]
async fn a_repeated_trade_number_is_not_a_second_charge() {
    let (sim, c) = setup().await;
    let p = pay_req(9, 300);
    let a = c.pay(&p).await.unwrap();
    let b = c.pay(&p).await.unwrap();
    assert_eq!(approved(&a).gateway_trade_no, approved(&b).gateway_trade_no);
    assert_eq!(sim.ledger.charges_for(&p.trade_no.to_string()).len(), 1);
}

#[tokio::test]
async fn a_clock_eleven_minutes_off_is_refused_before_sending() {
    let (sim, c) = setup().await;
    let c = c.with_clock(Clock::shifted(chrono::TimeDelta::minutes(11)));
    let e = c.pay(&pay_req(10, 500)).await.unwrap_err();
    assert!(matches!(e, NotSent::Clock(_)), "{e:?}");
    assert_eq!(e.action(), CashierAction::CheckClock);
    // Only the Date probe reached ECPay; no payment request did.
    assert_eq!(sim.ledger.requests(), 0);
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);

    // Nine minutes off is within ECPay's limit.
    let (_sim, c) = setup().await;
    let c = c.with_clock(Clock::shifted(chrono::TimeDelta::minutes(9)));
    approved(&c.pay(&pay_req(11, 500)).await.unwrap());
}

#[tokio::test]
async fn forged_envelopes_get_a_transcode_other_than_1() {
    let (sim, c) = setup().await;
    let http = reqwest::Client::new();
    let url = c.config().url.clone();
    for body in [
        serde_json::json!({"MerchantID": "3002607", "RqHeader": {"Timestamp": taipei::now().timestamp()}, "Data": "bm90IGVuY3J5cHRlZA=="}),
        serde_json::json!({"MerchantID": "9999999", "RqHeader": {"Timestamp": taipei::now().timestamp()}, "Data": ""}),
        serde_json::json!({"MerchantID": "3002607", "RqHeader": {"Timestamp": taipei::now().timestamp() - 3600}, "Data": ""}),
    ] {
        let env: ResponseEnvelope = http
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_ne!(env.trans_code, Some(1), "{body}");
        assert_eq!(
            env.payment_outcome(c.config(), Ntd::new(1)).kind(),
            till::gateway::OutcomeKind::Declined
        );
    }
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);
}

#[tokio::test]
async fn the_return_url_notification_is_posted_and_decrypts() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let app = axum::Router::new().route(
        "/return",
        post(move |body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                till::gateway::ecpay::RETURN_URL_ACK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (_sim, c) = setup_with(SimOptions {
        callback_url: Some(format!("http://{addr}/return")),
        ..SimOptions::default()
    })
    .await;
    let p = pay_req(12, 640);
    approved(&c.pay(&p).await.unwrap());
    let body = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let env: ResponseEnvelope = serde_json::from_str(&body).unwrap();
    let data: ReturnData = env.open(c.config()).unwrap();
    match data.notice() {
        ReturnNotice::Paid {
            merchant_trade_no,
            amount,
            ..
        } => {
            assert_eq!(merchant_trade_no, p.trade_no.to_string());
            assert_eq!(amount, Some(Ntd::new(640)));
        }
        other => panic!("{other:?}"),
    }
}
