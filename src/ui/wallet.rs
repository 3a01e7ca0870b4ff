//! Wallet payments from the GUI. A payment can take seconds (JKoPay's rule
//! is 15 s, then a Cancel polled until it answers), so it runs on its own
//! runtime while the screen shows how long it has been waiting. The
//! terminal travels with the payment and comes back with its result: while
//! it is away nothing else can write to the journal, which is exactly the
//! rule (no second charge while one is in flight).
//!
//! Demo mode starts the built-in gateway simulators on loopback the first
//! time a wallet code is scanned.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::gateway::client::PayItem;
use crate::money::Ntd;
use crate::sale::{Cart, SaleNo};
use crate::sim::{SimHandles, Simulators};
use crate::terminal::Terminal;
use crate::terminal::payment::{PayError, PayResult, Payments, Tender};

type Done = (Terminal, Result<PayResult, PayError>);

pub struct WalletPay {
    runtime: tokio::runtime::Runtime,
    /// Kept alive for the life of the app in demo mode.
    _simulators: Option<SimHandles>,
    payments: Arc<Payments>,
    in_flight: Option<InFlight>,
}

struct InFlight {
    rx: mpsc::Receiver<Done>,
    started: Instant,
}

impl WalletPay {
    /// Gateways from the configuration, or the simulators in demo mode.
    pub fn start(config: &Config, demo: bool) -> Result<WalletPay, String> {
        // A runtime of our own, started on a plain thread: iced may already
        // be inside its own runtime when this runs.
        std::thread::spawn({
            let config = config.clone();
            move || -> Result<WalletPay, String> {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                let (simulators, gateways) = if demo {
                    let sims = runtime
                        .block_on(Simulators::start_all())
                        .map_err(|e| e.to_string())?;
                    let gateways = sims.demo_config().gateways;
                    (Some(sims), gateways)
                } else {
                    (None, config.gateways.clone())
                };
                let mut cfg = config;
                cfg.gateways = gateways;
                let payments = Payments::from_config(&cfg).map_err(|e| e.to_string())?;
                Ok(WalletPay {
                    runtime,
                    _simulators: simulators,
                    payments: Arc::new(payments),
                    in_flight: None,
                })
            }
        })
        .join()
        .map_err(|_| "payment runtime failed to start".to_string())?
    }

    /// Send a scanned code for `amount` on `sale`; the terminal goes with it.
    pub fn pay(
        &mut self,
        mut terminal: Terminal,
        sale: SaleNo,
        code: String,
        amount: Ntd,
        cart: &Cart,
    ) {
        let items: Vec<PayItem> = cart
            .lines()
            .iter()
            .map(|l| PayItem {
                id: l.id.clone(),
                name: l.name.clone(),
                unit_price: l.unit_price,
                qty: l.qty,
            })
            .collect();
        let payments = self.payments.clone();
        let (tx, rx) = mpsc::channel();
        self.runtime.spawn(async move {
            let result = terminal
                .pay(&payments, &sale, Tender::Scan(code), amount, items)
                .await;
            let _ = tx.send((terminal, result));
        });
        self.in_flight = Some(InFlight {
            rx,
            started: Instant::now(),
        });
    }

    /// Run another terminal workflow (a refund) on this runtime with these
    /// gateways: the terminal goes with it and comes back on the receiver.
    pub fn run<T, F, Fut>(&self, terminal: Terminal, job: F) -> mpsc::Receiver<(Terminal, T)>
    where
        T: Send + 'static,
        F: FnOnce(Terminal, Arc<Payments>) -> Fut,
        Fut: std::future::Future<Output = (Terminal, T)> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let work = job(terminal, self.payments.clone());
        self.runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        rx
    }

    /// How long the payment in flight has been waiting.
    pub fn waiting(&self) -> Option<Duration> {
        self.in_flight.as_ref().map(|f| f.started.elapsed())
    }

    /// The finished payment, if it has finished.
    pub fn poll(&mut self) -> Option<Done> {
        let done = self.in_flight.as_ref()?.rx.try_recv().ok()?;
        self.in_flight = None;
        Some(done)
    }

    /// Wait for the payment in flight, at most `timeout` (tests, shutdown).
    pub fn wait(&mut self, timeout: Duration) -> Option<Done> {
        let done = self.in_flight.as_ref()?.rx.recv_timeout(timeout).ok()?;
        self.in_flight = None;
        Some(done)
    }
}
