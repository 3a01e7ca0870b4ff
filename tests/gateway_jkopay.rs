//! JKoPay client against the JKoPay simulator over real loopback HTTP.

use std::time::Duration;

use till::gateway::client::{
    CancelOutcome, Gateway, NotSent, PaidRef, PayRequest, PayWith, RefundRequest,
};
use till::gateway::jkopay::client::JkoClient;
use till::gateway::{CashierAction, Outcome};
use till::money::Ntd;
use till::sale::{AttemptKind, SaleNo, TradeNo, Wallet};
use till::sim::SimOptions;
use till::sim::jkopay::JkoPaySim;
use till::taipei;

const TOKEN: &str = "22J111111111111111";

async fn setup() -> (JkoPaySim, JkoClient) {
    let sim = JkoPaySim::start(SimOptions::default()).await.unwrap();
    let client = JkoClient::from_config(&sim.config_section())
        .unwrap()
        .with_timeout(Duration::from_millis(2000))
        .unwrap();
    (sim, client)
}

fn trade(seq: u32, kind: AttemptKind) -> TradeNo {
    SaleNo::new("T01".parse().unwrap(), taipei::now().date_naive(), seq)
        .unwrap()
        .attempt(kind, 1)
        .unwrap()
}

fn pay_req(seq: u32, amount: i64) -> PayRequest {
    PayRequest {
        trade_no: trade(seq, AttemptKind::Payment),
        amount: Ntd::new(amount),
        with: PayWith::WalletCode {
            wallet: Wallet::JkoPay,
            code: TOKEN.into(),
        },
        items: Vec::new(),
        at: taipei::now(),
        buyer: Default::default(),
    }
}

fn refund_req(
    p: &PayRequest,
    gateway_trade_no: &str,
    seq: u32,
    n: u8,
    amount: i64,
) -> RefundRequest {
    RefundRequest {
        refund_no: SaleNo::new("T01".parse().unwrap(), taipei::now().date_naive(), seq)
            .unwrap()
            .attempt(AttemptKind::Refund, n)
            .unwrap(),
        payment: PaidRef {
            trade_no: p.trade_no.clone(),
            gateway_trade_no: gateway_trade_no.into(),
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

fn unknown(o: &Outcome) -> &str {
    match o {
        Outcome::Unknown { why } => why,
        other => panic!("expected unknown, got {other:?}"),
    }
}

#[tokio::test]
async fn approve_books_one_charge() {
    let (sim, c) = setup().await;
    let r = pay_req(1, 250);
    let o = c.pay(&r).await.unwrap();
    let a = approved(&o);
    assert_eq!(a.amount, Ntd::new(250));
    assert!(!a.is_repeat);
    assert!(!a.gateway_trade_no.is_empty());
    assert_eq!(sim.ledger.charges_for(&r.trade_no.to_string()).len(), 1);
    assert_eq!(sim.ledger.total_charged(), Ntd::new(250));
}

#[tokio::test]
async fn declines_carry_the_vendor_code_and_charge_nothing() {
    let (sim, c) = setup().await;
    for (seq, amount, code, action) in [
        (2, 9906, "906", CashierAction::AskCustomerToRefreshCode),
        (3, 9928, "928", CashierAction::AskForAnotherPayment),
        (4, 9802, "802", CashierAction::AskForAnotherPayment),
    ] {
        match c.pay(&pay_req(seq, amount)).await.unwrap() {
            Outcome::Declined(d) => {
                assert_eq!(d.code, code);
                assert_eq!(d.action, action, "{code}");
            }
            other => panic!("{amount}: {other:?}"),
        }
    }
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);
}

#[tokio::test]
async fn a_repeated_payment_is_flagged_and_never_charged_twice() {
    let (sim, c) = setup().await;
    let r = pay_req(5, 120);
    let first = c.pay(&r).await.unwrap();
    let again = c.pay(&r).await.unwrap();
    assert!(approved(&again).is_repeat);
    assert_eq!(
        approved(&first).gateway_trade_no,
        approved(&again).gateway_trade_no
    );
    assert_eq!(sim.ledger.charges_for(&r.trade_no.to_string()).len(), 1);
    assert_eq!(sim.ledger.total_charged(), Ntd::new(120));
}

#[tokio::test]
async fn timeout_is_unknown_and_cancel_leaves_no_charge() {
    let (sim, c) = setup().await;
    let r = pay_req(6, 7001);
    let o = tokio::time::timeout(Duration::from_secs(5), c.pay(&r))
        .await
        .expect("the client gives up by itself")
        .unwrap();
    assert!(unknown(&o).contains("no answer in time"));
    assert_eq!(o.action(), CashierAction::WaitAndQuery);
    // The simulator took the money before stalling…
    assert_eq!(sim.ledger.charges_for(&r.trade_no.to_string()).len(), 1);
    // …and the Cancel JKoPay's rule asks for gives it back.
    assert_eq!(c.cancel(&r).await.unwrap(), CancelOutcome::Cancelled);
    assert!(sim.ledger.charges_for(&r.trade_no.to_string()).is_empty());
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);
}

#[tokio::test]
async fn dropped_connection_is_unknown_and_the_charge_is_there() {
    let (sim, c) = setup().await;
    let r = pay_req(7, 7002);
    let o = c.pay(&r).await.unwrap();
    unknown(&o);
    assert_eq!(sim.ledger.charges_for(&r.trade_no.to_string()).len(), 1);
    // Resending the same number finds the charge: IsRep, not a second sale.
    let again = c.pay(&r).await.unwrap();
    assert!(approved(&again).is_repeat);
    assert_eq!(sim.ledger.charges_for(&r.trade_no.to_string()).len(), 1);
    // The inquiry agrees.
    let q = c.query(&r).await.unwrap();
    assert_eq!(approved(&q).amount, Ntd::new(7002));
}

#[tokio::test]
async fn server_error_malformed_and_bad_signature_are_unknown() {
    let (sim, c) = setup().await;
    let five = c.pay(&pay_req(8, 7003)).await.unwrap();
    assert!(unknown(&five).contains("500"));
    assert!(
        sim.ledger
            .charges_for(&trade(8, AttemptKind::Payment).to_string())
            .is_empty()
    );

    let bad = c.pay(&pay_req(9, 7004)).await.unwrap();
    assert!(unknown(&bad).contains("malformed"));

    let forged = c.pay(&pay_req(10, 7005)).await.unwrap();
    assert!(unknown(&forged).contains("bad signature"));
    // Both of those were charged: Unknown, not Declined, was the right call.
    assert_eq!(sim.ledger.total_charged(), Ntd::new(7004 + 7005));
}

#[tokio::test]
async fn refused_connection_is_a_retryable_error_not_an_outcome() {
    let (sim, _) = setup().await;
    let mut cfg = sim.config_section();
    // Bind and release a port so nothing listens there.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    cfg.base_url = format!("http://{free}/");
    let c = JkoClient::from_config(&cfg).unwrap();
    let e = c.pay(&pay_req(11, 100)).await.unwrap_err();
    assert!(matches!(e, NotSent::Unreachable { .. }), "{e:?}");
    assert!(e.retryable());
}

#[tokio::test]
async fn refunds_partial_repeated_and_over_the_limit() {
    let (sim, c) = setup().await;
    let r = pay_req(12, 300);
    let paid = c.pay(&r).await.unwrap();
    let no = approved(&paid).gateway_trade_no.clone();

    let first = c.refund(&refund_req(&r, &no, 12, 1, 100)).await.unwrap();
    assert_eq!(approved(&first).amount, Ntd::new(100));
    let second = c.refund(&refund_req(&r, &no, 12, 2, 150)).await.unwrap();
    assert_eq!(approved(&second).amount, Ntd::new(150));
    // 50 left: 51 is refused with 922.
    match c.refund(&refund_req(&r, &no, 12, 3, 51)).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "922"),
        other => panic!("{other:?}"),
    }
    // Resending refund 2 is a repeat, not another 150 back.
    let again = c.refund(&refund_req(&r, &no, 12, 2, 150)).await.unwrap();
    assert!(approved(&again).is_repeat);
    assert_eq!(sim.ledger.total_charged(), Ntd::new(50));
}

#[tokio::test]
async fn inquiry_of_an_unknown_number_says_no_order() {
    let (_sim, c) = setup().await;
    let mut r = pay_req(13, 100);
    r.at = taipei::now() - chrono::TimeDelta::seconds(60);
    match c.query(&r).await.unwrap() {
        Outcome::Declined(d) => assert_eq!(d.code, "916"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn forged_and_malformed_requests_get_jkopays_codes() {
    let (sim, c) = setup().await;
    let http = reqwest::Client::new();
    let url = format!("{}Payment", sim.server.base_url());
    // Signed with a different key: 904.
    let mut cfg = c.config().clone();
    cfg.merchant_key = till::secret::Secret::new("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
    let t = trade(14, AttemptKind::Payment);
    let forged = till::gateway::jkopay::PaymentRequest::new(
        &cfg,
        &till::gateway::jkopay::PaymentInput {
            trade_no: &t,
            card_token: TOKEN,
            amount: Ntd::new(100),
            un_redeem: Ntd::ZERO,
            remark: "",
            pos_trade_time: taipei::now(),
            send_time: taipei::now(),
        },
    )
    .unwrap();
    let v: serde_json::Value = http
        .post(&url)
        .json(&forged)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["StatusCode"], "904");
    // Not JSON at all: 905.
    let v: serde_json::Value = http
        .post(&url)
        .body("{oops")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["StatusCode"], "905");
    // Correctly signed but a malformed CardToken: 804.
    let mut bad = forged.clone();
    bad.card_token = "12345".into();
    bad.sign = till::gateway::jkopay::sign(&bad, &c.config().merchant_key);
    let v: serde_json::Value = http
        .post(&url)
        .json(&bad)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["StatusCode"], "804");
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);
}
