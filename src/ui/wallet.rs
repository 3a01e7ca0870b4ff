//! Gateway work from the GUI. A payment can take seconds (JKoPay's rule
//! is 15 s, then a Cancel polled until it answers), so every gateway call
//! runs on a runtime of its own while the screen shows how long it has been
//! waiting and what `till` is doing. The terminal travels with the job and
//! comes back with its result: while it is away nothing else can write to
//! the journal, which is exactly the rule (no second charge while one is in
//! flight).
//!
//! Demo mode starts the built-in gateway simulators on loopback the first
//! time a gateway is needed.

use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::config::Config;
use crate::gateway::client::PayItem;
use crate::money::Ntd;
use crate::sale::{Cart, SaleNo, TradeNo};
use crate::terminal::Terminal;
use crate::terminal::demo::SimHandles;
use crate::terminal::payment::{PayError, PayEvent, PayResult, Payments, ResolvePolicy, Tender};

/// How long a payment in doubt is resolved while the cashier watches the
/// progress screen, before the 確認中 screen takes over and keeps asking
/// every few seconds (the journal still refuses a second charge).
pub fn counter_policy() -> ResolvePolicy {
    ResolvePolicy {
        cancel_tries: 5,
        polls: 3,
        retry_interval: Duration::from_secs(2),
        tick: Duration::from_secs(1),
    }
}

/// What a job hands back with the terminal.
#[derive(Debug)]
pub enum Finished {
    /// A charge: the first answer, or where it stands after resolving.
    Pay(Result<PayResult, PayError>),
    /// Another look at a payment in doubt (`query`).
    Check(Result<PayResult, PayError>),
    /// Start-up recovery of attempts a crash or a lost answer left open.
    Recover(Result<Vec<PayResult>, PayError>),
    /// A PayPage for the customer's phone, or why there is none.
    PayPageOpened(Result<crate::terminal::PayPageOrder, PayError>),
    /// Where the PayPage payment stands (asked, or after a cancel).
    PayPagePolled(Result<PayResult, PayError>),
    /// Money given back (and the e-invoice voided or allowed), or why not.
    Refund(Result<crate::terminal::RefundOutcome, PayError>),
    /// E-invoices MyPay issued after their payment: the sales whose arrived.
    MypayInvoices(Result<Vec<SaleNo>, PayError>),
}

type Done = (Terminal, Finished);

pub struct WalletPay {
    runtime: tokio::runtime::Runtime,
    /// Kept alive for the life of the app in demo mode.
    _simulators: Option<SimHandles>,
    payments: Arc<Payments>,
    /// The same gateways, asking once per check (the 確認中 screen's timer
    /// does the repeating).
    checks: Arc<Payments>,
    events: UnboundedReceiver<PayEvent>,
    /// The newest progress event of the job in flight.
    last_event: Option<PayEvent>,
    in_flight: Option<InFlight>,
    /// The configuration the gateways were built from (simulators in demo).
    config: Config,
}

struct InFlight {
    rx: mpsc::Receiver<Done>,
    started: Instant,
}

/// The lines of a cart as the gateways list them.
pub fn pay_items(cart: &Cart) -> Vec<PayItem> {
    cart.lines()
        .iter()
        .map(|l| PayItem {
            id: l.id.clone(),
            name: l.name.clone(),
            unit_price: l.unit_price,
            qty: l.qty,
        })
        .collect()
}

impl WalletPay {
    /// Gateways from the configuration, or the simulators in demo mode
    /// (keeping their books in `books`, shared with every demo process,
    /// when given; in memory when not).
    pub fn start(
        config: &Config,
        demo: bool,
        books: Option<std::path::PathBuf>,
        policy: ResolvePolicy,
    ) -> Result<WalletPay, String> {
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
                        .block_on(crate::terminal::demo::start_simulators(books.as_deref()))
                        .map_err(|e| e.to_string())?;
                    let gateways = sims.demo_config().gateways;
                    (Some(sims), gateways)
                } else {
                    (None, config.gateways.clone())
                };
                let mut cfg = config;
                cfg.gateways = gateways;
                let (tx, events) = unbounded_channel();
                let payments = Payments::from_config(&cfg)
                    .map_err(|e| e.to_string())?
                    .with_policy(policy)
                    .with_events(tx.clone());
                let checks = Payments::from_config(&cfg)
                    .map_err(|e| e.to_string())?
                    .with_policy(ResolvePolicy {
                        cancel_tries: 1,
                        polls: 1,
                        ..policy
                    })
                    .with_events(tx);
                Ok(WalletPay {
                    runtime,
                    _simulators: simulators,
                    payments: Arc::new(payments),
                    checks: Arc::new(checks),
                    events,
                    last_event: None,
                    in_flight: None,
                    config: cfg,
                })
            }
        })
        .join()
        .map_err(|_| "payment runtime failed to start".to_string())?
    }

    /// The configuration the gateways use (in demo: the simulators').
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Run `job` with the terminal on the payment runtime; its result comes
    /// back through [`WalletPay::poll`].
    pub fn run<F, Fut>(&mut self, terminal: Terminal, job: F)
    where
        F: FnOnce(Terminal, Arc<Payments>) -> Fut,
        Fut: Future<Output = Done> + Send + 'static,
    {
        let fut = job(terminal, self.payments.clone());
        self.spawn(fut);
    }

    /// Like [`WalletPay::run`], with the gateways that ask once per check.
    fn run_check<F, Fut>(&mut self, terminal: Terminal, job: F)
    where
        F: FnOnce(Terminal, Arc<Payments>) -> Fut,
        Fut: Future<Output = Done> + Send + 'static,
    {
        let fut = job(terminal, self.checks.clone());
        self.spawn(fut);
    }

    fn spawn(&mut self, fut: impl Future<Output = Done> + Send + 'static) {
        let (tx, rx) = mpsc::channel();
        self.runtime.spawn(async move {
            let _ = tx.send(fut.await);
        });
        self.last_event = None;
        self.in_flight = Some(InFlight {
            rx,
            started: Instant::now(),
        });
    }

    /// Charge `amount` on `sale` with a scanned code or a chosen tender.
    pub fn pay(
        &mut self,
        terminal: Terminal,
        sale: SaleNo,
        tender: Tender,
        amount: Ntd,
        cart: &Cart,
    ) {
        let items = pay_items(cart);
        self.run(terminal, move |mut terminal, payments| async move {
            let result = terminal.pay(&payments, &sale, tender, amount, items).await;
            (terminal, Finished::Pay(result))
        });
    }

    /// Give money back on a sale, approved by a manager (see
    /// [`Terminal::refund_sale`]).
    pub fn refund(
        &mut self,
        terminal: Terminal,
        cfg: &Config,
        sale: SaleNo,
        request: crate::sale::RefundRequest,
        reason: String,
        manager: crate::terminal::views::User,
    ) {
        let cfg = cfg.clone();
        self.run(terminal, move |mut terminal, payments| async move {
            let outcome = terminal
                .refund_sale(&cfg, &payments, &sale, &request, &reason, &manager)
                .await;
            (terminal, Finished::Refund(outcome))
        });
    }

    /// Ask again about a payment in doubt (resolving it by its gateway's rule).
    pub fn check(&mut self, terminal: Terminal, trade: TradeNo) {
        self.run_check(terminal, move |mut terminal, payments| async move {
            let result = terminal.query(&payments, &trade).await;
            (terminal, Finished::Check(result))
        });
    }

    /// Open a PayPage order for the customer to pay on their own phone.
    pub fn start_paypage(&mut self, terminal: Terminal, sale: SaleNo, amount: Ntd, cart: &Cart) {
        let items = pay_items(cart);
        self.run(terminal, move |mut terminal, payments| async move {
            let result = terminal
                .start_paypage(&payments, &sale, amount, items)
                .await;
            (terminal, Finished::PayPageOpened(result))
        });
    }

    /// Ask once whether the customer has paid on the PayPage.
    pub fn poll_paypage(&mut self, terminal: Terminal, trade: TradeNo) {
        self.run(terminal, move |mut terminal, payments| async move {
            let result = terminal.poll_paypage(&payments, &trade).await;
            (terminal, Finished::PayPagePolled(result))
        });
    }

    /// The customer walked away or pays another way: close the PayPage
    /// (a payment that already went through stands).
    pub fn cancel_paypage(&mut self, terminal: Terminal, trade: TradeNo) {
        self.run(terminal, move |mut terminal, payments| async move {
            let result = terminal.cancel_paypage(&payments, &trade).await;
            (terminal, Finished::PayPagePolled(result))
        });
    }

    /// Ask MyPay for the e-invoices it still owes (issued after the payment).
    pub fn fetch_mypay_invoices(&mut self, terminal: Terminal) {
        self.run_check(terminal, move |mut terminal, payments| async move {
            let result = terminal.fetch_mypay_invoices(&payments).await;
            (terminal, Finished::MypayInvoices(result))
        });
    }

    /// Settle every attempt left open (start-up, after a crash).
    pub fn recover(&mut self, terminal: Terminal) {
        self.run_check(terminal, move |mut terminal, payments| async move {
            let result = terminal.recover(&payments).await;
            (terminal, Finished::Recover(result))
        });
    }

    /// How long the job in flight has been out.
    pub fn waiting(&self) -> Option<Duration> {
        self.in_flight.as_ref().map(|f| f.started.elapsed())
    }

    /// Whether a job is out (the terminal is with it).
    pub fn busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The newest progress of the job in flight ("cancelling, try 2").
    pub fn progress(&self) -> Option<&PayEvent> {
        self.last_event.as_ref()
    }

    fn drain_events(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            self.last_event = Some(e);
        }
    }

    /// The finished job, if it has finished.
    pub fn poll(&mut self) -> Option<Done> {
        self.drain_events();
        let done = self.in_flight.as_ref()?.rx.try_recv().ok()?;
        self.in_flight = None;
        Some(done)
    }

    /// Wait for the job in flight, at most `timeout` (tests, shutdown).
    pub fn wait(&mut self, timeout: Duration) -> Option<Done> {
        let done = self.in_flight.as_ref()?.rx.recv_timeout(timeout).ok()?;
        self.drain_events();
        self.in_flight = None;
        Some(done)
    }
}
