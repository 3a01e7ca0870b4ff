//! The till's own overhead per payment, without the network: route the
//! scan, journal Created and Sending (durable commits on a real file), build
//! and sign the JKoPay request, journal the approval. The gateway is an
//! in-process stand-in that does the real request building and signing and
//! answers at once.
//!
//! `cargo bench --bench payment`. Target: p99 ≤ 5 ms.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use till::config::Config;
use till::gateway::client::{CallResult, Gateway, PayRequest, PayWith, RefundRequest};
use till::gateway::jkopay::{JkoConfig, PaymentInput, PaymentRequest, ResponseSignPolicy};
use till::gateway::{Approval, Outcome};
use till::journal::{AttemptState, Journal};
use till::money::Ntd;
use till::sale::{Cart, GatewayId, Line};
use till::secret::Secret;
use till::terminal::{Payments, Tender, Terminal};

struct SigningOnly {
    cfg: JkoConfig,
}

#[async_trait]
impl Gateway for SigningOnly {
    fn id(&self) -> GatewayId {
        GatewayId::JkoPay
    }

    async fn pay(&self, req: &PayRequest) -> CallResult {
        let PayWith::WalletCode { code, .. } = &req.with else {
            unreachable!()
        };
        let r = PaymentRequest::new(
            &self.cfg,
            &PaymentInput {
                trade_no: &req.trade_no,
                card_token: code,
                amount: req.amount,
                un_redeem: Ntd::ZERO,
                remark: "",
                pos_trade_time: req.at,
                send_time: req.at,
            },
        )?;
        let body = serde_json::to_vec(&r).expect("a request serialises");
        std::hint::black_box(body);
        Ok(Outcome::Approved(Approval {
            gateway: GatewayId::JkoPay,
            gateway_trade_no: format!("JK{}", req.trade_no),
            amount: req.amount,
            paid_at: Some(req.at),
            is_repeat: false,
            review: None,
            einvoice: None,
            wallet: None,
        }))
    }

    async fn query(&self, _: &PayRequest) -> CallResult {
        Ok(Outcome::Unknown {
            why: "bench".into(),
        })
    }

    async fn refund(&self, _: &RefundRequest) -> CallResult {
        Ok(Outcome::Unknown {
            why: "bench".into(),
        })
    }
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples[samples.len() / 2];
    let p99 = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
    println!(
        "{what:<52} n={:<5} median {:>8.3} ms   p99 {:>8.3} ms",
        samples.len(),
        ms(median),
        ms(p99)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("journal.sqlite3")).unwrap();
    let mut till = Terminal::with_journal(&Config::demo(), journal, false).unwrap();
    let payments = Payments::new().with_gateway(Arc::new(SigningOnly {
        cfg: JkoConfig {
            base_url: "http://127.0.0.1:9/".into(),
            merchant_id: "9999999".into(),
            store_id: "9999999".into(),
            store_name: "街口測試".into(),
            pos_id: "1".into(),
            merchant_key: Secret::new("2AA6B9B6F9C64247ABB2677B6AF2C896"),
            response_sign: ResponseSignPolicy::default(),
            inquiry_order_status: Default::default(),
        },
    }));
    let mut cart = Cart::new();
    cart.add(Line::new("4710000000028", "拿鐵 Latte", 2, Ntd::new(85)).unwrap())
        .unwrap();
    let n = 500;
    let mut pay_only = Vec::with_capacity(n);
    let mut whole = Vec::with_capacity(n);
    rt.block_on(async {
        for i in 0..n + 20 {
            let t0 = Instant::now();
            let sale = till.open_sale_as(&cart, "bench").unwrap();
            let t1 = Instant::now();
            let r = till
                .pay(
                    &payments,
                    &sale,
                    Tender::Scan("22J111111111111111".into()),
                    Ntd::new(170),
                    Vec::new(),
                )
                .await
                .unwrap();
            let t2 = Instant::now();
            assert_eq!(r.state, AttemptState::Approved);
            if i >= 20 {
                pay_only.push(t2 - t1);
                whole.push(t2 - t0);
            }
        }
    });
    report("pay: route + 3 durable commits + sign", pay_only);
    report("new sale + pay", whole);
}
