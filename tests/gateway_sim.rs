//! All four simulators together, as demo mode starts them.

use till::gateway::Outcome;
use till::gateway::client::{Gateway, PayRequest, PayWith};
use till::gateway::jkopay::client::JkoClient;
use till::money::Ntd;
use till::sale::{AttemptKind, SaleNo, Wallet};
use till::sim::Simulators;
use till::taipei;

#[tokio::test]
async fn demo_config_points_every_gateway_at_loopback_and_works() {
    let sims = Simulators::start_all().await.unwrap();
    let cfg = sims.demo_config();
    let g = &cfg.gateways;
    for url in [
        &g.jkopay.as_ref().unwrap().base_url,
        &g.mypay.as_ref().unwrap().base_url,
        &g.ecpay.as_ref().unwrap().base_url,
        &g.goodbuy.as_ref().unwrap().base_url,
    ] {
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    }
    // The configuration `till config check` would accept as-is.
    let errors: Vec<_> = cfg
        .problems()
        .into_iter()
        .filter(|p| p.severity == till::config::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    let c = JkoClient::from_config(g.jkopay.as_ref().unwrap()).unwrap();
    let req = PayRequest {
        trade_no: SaleNo::new("D01".parse().unwrap(), taipei::now().date_naive(), 1)
            .unwrap()
            .attempt(AttemptKind::Payment, 1)
            .unwrap(),
        amount: Ntd::new(85),
        with: PayWith::WalletCode {
            wallet: Wallet::JkoPay,
            code: "22A000000000000001".into(),
        },
        items: Vec::new(),
        at: taipei::now(),
        buyer: Default::default(),
    };
    assert!(matches!(c.pay(&req).await.unwrap(), Outcome::Approved(_)));
    assert_eq!(sims.jkopay.ledger.total_charged(), Ntd::new(85));
}
