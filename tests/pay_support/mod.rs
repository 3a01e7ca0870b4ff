//! Shared set-up for the `pay_*` tests: the four simulators, a terminal on
//! an in-memory journal pointed at them, and a quick resolve policy.
#![allow(dead_code)]

use std::time::Duration;

use till::config::Config;
use till::journal::{AttemptRecord, Journal, User};
use till::money::Ntd;
use till::sale::{Cart, Line, SaleNo};
use till::secret::Secret;
use till::sim::{SimHandles, SimOptions, Simulators};
use till::terminal::{DEMO_USERS, PayEvent, Payments, ResolvePolicy, Terminal};
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
