//! Shared set-up for the `pay_*` tests: the four simulators, a terminal on
//! an in-memory journal pointed at them, and a quick resolve policy.
#![allow(dead_code)]

use std::time::Duration;

use till::config::Config;
use till::journal::{AttemptRecord, Journal, User};
use till::money::Ntd;
use till::sale::RefundRequest;
use till::sale::{Cart, Line, SaleNo};
use till::secret::Secret;
use till::sim::{SimHandles, SimOptions, Simulators};
use till::terminal::{
    DEMO_USERS, PayError, PayEvent, PayResult, Payments, ResolvePolicy, Tender, Terminal,
};
use tokio::sync::mpsc::UnboundedReceiver;

pub const JKO_TOKEN: &str = "22J111111111111111";
pub const LINE_PAY_CODE: &str = "123456789012345678";

pub struct Rig {
    pub sims: SimHandles,
    pub cfg: Config,
    pub till: Terminal,
    pub payments: Payments,
    pub events: UnboundedReceiver<PayEvent>,
}

/// Retries without waiting: the simulators answer at once.
pub fn quick_policy() -> ResolvePolicy {
    ResolvePolicy {
        cancel_tries: 5,
        polls: 3,
        retry_interval: Duration::from_millis(20),
        tick: Duration::from_millis(200),
    }
}

/// The simulators' config with one-second client timeouts, so a SLOW
/// answer (held 30 s) is a timeout.
pub fn fast_config(sims: &SimHandles) -> Config {
    let mut cfg = sims.demo_config();
    if let Some(j) = cfg.gateways.jkopay.as_mut() {
        j.timeout_secs = 1;
    }
    if let Some(m) = cfg.gateways.mypay.as_mut() {
        m.timeout_secs = 1;
    }
    if let Some(e) = cfg.gateways.ecpay.as_mut() {
        e.timeout_secs = 1;
    }
    if let Some(g) = cfg.gateways.goodbuy.as_mut() {
        g.timeout_secs = 1;
    }
    cfg
}

pub async fn rig() -> Rig {
    rig_with(SimOptions::default()).await
}

pub async fn rig_with(opts: SimOptions) -> Rig {
    let sims = Simulators::start_all_with(opts).await.unwrap();
    let cfg = fast_config(&sims);
    let till = Terminal::with_journal(&cfg, Journal::open_in_memory().unwrap(), true).unwrap();
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let payments = Payments::from_config(&cfg)
        .unwrap()
        .with_policy(quick_policy())
        .with_events(tx);
    Rig {
        sims,
        cfg,
        till,
        payments,
        events,
    }
}

impl Rig {
    /// A one-line sale of `total`.
    pub fn sale(&mut self, total: i64) -> SaleNo {
        let mut cart = Cart::new();
        cart.add(Line::new("4710000000028", "拿鐵 Latte", 1, Ntd::new(total)).unwrap())
            .unwrap();
        self.till.open_sale_as(&cart, "test").unwrap()
    }

    /// The journal's record of attempt `trade`.
    pub fn attempt(&self, trade: &str) -> AttemptRecord {
        self.till
            .journal()
            .attempt(&trade.parse().unwrap())
            .unwrap()
            .unwrap_or_else(|| panic!("no attempt {trade} in the journal"))
    }

    /// Pay `amount` of `sale` with `tender`, no item lines.
    pub async fn pay(
        &mut self,
        sale: &SaleNo,
        tender: Tender,
        amount: i64,
    ) -> Result<PayResult, PayError> {
        self.till
            .pay(&self.payments, sale, tender, Ntd::new(amount), vec![])
            .await
    }

    /// A refund of `amount` from `sale` for `reason`, approved by the demo
    /// manager.
    pub async fn refund_amount(
        &mut self,
        sale: &SaleNo,
        amount: i64,
        reason: &str,
    ) -> Result<PayResult, PayError> {
        let manager = self.manager();
        self.till
            .refund(
                &self.payments,
                sale,
                &RefundRequest::Amount(Ntd::new(amount)),
                reason,
                &manager,
            )
            .await
    }

    pub fn manager(&self) -> User {
        let (name, _, pin) = DEMO_USERS[1];
        self.till.manager_approves(name, &Secret::new(pin)).unwrap()
    }

    pub fn drain_events(&mut self) -> Vec<PayEvent> {
        let mut v = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            v.push(e);
        }
        v
    }
}

/// The till's books held against the vendors' own ledgers, the way an
/// accountant would reconcile them:
/// - a gateway payment the journal holds as approved is exactly one standing
///   charge, under the gateway's number the journal kept, of the same amount;
/// - any other gateway payment attempt has no standing charge;
/// - every standing charge is a payment the journal holds as approved;
/// - per sale, the refunds the journal booked as done through a gateway add
///   up to what the vendors refunded on that sale's charges.
///
/// Not for tests of late payments (money taken on a closed attempt and owed
/// back), where the two are meant to differ until a manager settles it.
pub fn assert_books_match(j: &Journal, sims: &SimHandles) {
    use till::journal::{AttemptQuery, AttemptState};
    use till::sale::AttemptKind;
    let charges: Vec<till::sim::Charge> = [
        &sims.jkopay.ledger,
        &sims.mypay.ledger,
        &sims.ecpay.ledger,
        &sims.goodbuy.ledger,
    ]
    .iter()
    .flat_map(|l| l.all())
    .filter(|c| !c.cancelled)
    .collect();
    let attempts = j
        .search_attempts(&AttemptQuery {
            limit: 100_000,
            ..Default::default()
        })
        .unwrap();
    for a in attempts
        .iter()
        .filter(|a| a.kind == AttemptKind::Payment && a.gateway.is_some())
    {
        let trade = a.trade_no.to_string();
        let standing: Vec<_> = charges.iter().filter(|c| c.trade_no == trade).collect();
        if a.state == AttemptState::Approved {
            assert_eq!(
                standing.len(),
                1,
                "{trade} is approved in the journal; the vendor holds {standing:?}"
            );
            assert_eq!(
                a.gateway_trade_no.as_deref(),
                Some(standing[0].gateway_trade_no.as_str()),
                "{trade}: the journal books another charge than the vendor's"
            );
            assert_eq!(a.amount, standing[0].amount, "{trade}: amount taken");
        } else {
            assert!(
                standing.is_empty(),
                "{trade} is {} in the journal, but the vendor holds {standing:?}",
                a.state
            );
        }
    }
    let mut sales = std::collections::BTreeSet::new();
    for c in &charges {
        let a = attempts
            .iter()
            .find(|a| a.trade_no.to_string() == c.trade_no && a.kind == AttemptKind::Payment)
            .unwrap_or_else(|| {
                panic!("the vendor holds a charge the journal does not know: {c:?}")
            });
        assert_eq!(a.state, AttemptState::Approved, "{c:?}");
        sales.insert(j.lookup(&c.trade_no).unwrap().unwrap().to_string());
    }
    for sale in sales {
        let d = j.sale_detail(&sale.parse().unwrap()).unwrap().unwrap();
        let booked: i64 = d
            .refunds
            .iter()
            .filter(|r| r.gateway.is_some() && r.state == AttemptState::Approved)
            .map(|r| r.amount.dollars())
            .sum();
        let trades: Vec<String> = d.payments.iter().map(|p| p.trade_no.to_string()).collect();
        let refunded: i64 = charges
            .iter()
            .filter(|c| trades.contains(&c.trade_no))
            .map(|c| c.refunded.dollars())
            .sum();
        assert_eq!(
            booked, refunded,
            "sale {sale}: refunds booked in the journal vs refunded by the vendor"
        );
    }
}
