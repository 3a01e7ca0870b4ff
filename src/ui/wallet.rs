//! Gateway work from the GUI. A payment can take seconds (JKoPay's rule
//! is 15 s, then a Cancel repeated until it answers), so every gateway call
//! is an iced `Task` whose future runs on the gateway runtime (reqwest and
//! the demo simulators' axum need tokio; iced's executor may be another).
//! The job reports its progress as it goes (`Task::sip`) and its last
//! message hands the terminal back with the result: while it is away
//! nothing else can write to the journal, which is exactly the rule (no
//! second charge while one is in flight).
//!
//! Demo mode starts the built-in gateway simulators on loopback the first
//! time a gateway is needed.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iced::Task;
use tokio::sync::mpsc::unbounded_channel;

use crate::config::Config;
use crate::gateway::client::PayItem;
use crate::money::Ntd;
use crate::sale::{Cart, SaleNo, TradeNo};
use crate::terminal::Terminal;
use crate::terminal::demo::SimHandles;
use crate::terminal::payment::{PayCancel, PayEvent, PayResult, Payments, ResolvePolicy, Tender};

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

/// What a job hands back with the terminal; an error is the cashier's
/// words for it (the job's message must be `Clone` for iced).
#[derive(Debug, Clone)]
pub enum Finished {
    /// A charge: the first answer, or where it stands after resolving.
    Pay(Result<PayResult, String>),
    /// Another look at a payment in doubt (`query`).
    Check(Result<PayResult, String>),
    /// Start-up recovery of attempts a crash or a lost answer left open.
    Recover(Result<Vec<PayResult>, String>),
    /// A PayPage for the customer's phone, or why there is none.
    PayPageOpened(Result<crate::terminal::PayPageOrder, String>),
    /// Where the PayPage payment stands (asked, or after a cancel).
    PayPagePolled(Result<PayResult, String>),
    /// Money given back (and the e-invoice voided or allowed), or why not.
    Refund(Result<crate::terminal::RefundOutcome, String>),
    /// E-invoices MyPay issued after their payment: the sales whose arrived.
    MypayInvoices(Result<Vec<SaleNo>, String>),
}

/// The terminal with what its job found; `Err` when the job died (a
/// panic: the terminal is lost with it and the till must restart).
pub type Done = Result<(Terminal, Finished), String>;

/// What a job tells the app: its progress, then the terminal handed back.
#[derive(Debug, Clone)]
pub enum JobUpdate {
    Progress(PayEvent),
    Done(Handback),
}

/// The terminal coming back from a job, taken exactly once. iced wants
/// messages `Clone` and a `Terminal` is not (there is one journal writer),
/// so it travels in a shared slot: the first `take` gets it, a clone of the
/// message gets nothing.
#[derive(Clone)]
pub struct Handback(Arc<Mutex<Option<Done>>>);

impl Handback {
    fn new(done: Done) -> Handback {
        Handback(Arc::new(Mutex::new(Some(done))))
    }

    /// The terminal and the result (once).
    pub fn take(&self) -> Option<Done> {
        self.0.lock().ok()?.take()
    }
}

impl std::fmt::Debug for Handback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handback")
    }
}

/// The pause a job makes between two looks at the same payment (確認中,
/// the PayPage): a tokio sleep inside the job, not a UI timer. The pacer
/// cuts every pause short when the cashier asks now (立即查詢), and counts
/// the jobs that are only pausing, so whoever drives the app (a test) can
/// tell "waiting for the next look" from "working".
#[derive(Clone, Default)]
pub struct Pacer(Arc<PacerInner>);

#[derive(Default)]
struct PacerInner {
    parked: std::sync::atomic::AtomicUsize,
    wake: tokio::sync::Notify,
}

/// One job's pause (see [`Pacer`]).
pub struct Pause {
    pacer: Pacer,
    length: Duration,
}

impl Pacer {
    /// A pause of `length` (none when zero).
    pub fn pause(&self, length: Duration) -> Pause {
        Pause {
            pacer: self.clone(),
            length,
        }
    }

    /// End every pause now: the jobs look at once.
    pub fn wake(&self) {
        self.0.wake.notify_waiters();
    }

    /// How many jobs are pausing now.
    pub fn parked(&self) -> usize {
        self.0.parked.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Pause {
    /// Pause, unless woken or (when given) cancelled first; true when
    /// the pause ended by a cancel.
    pub async fn wait(self, cancel: Option<PayCancel>) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        if let Some(c) = &cancel
            && c.is_cancelled()
        {
            return true;
        }
        if self.length.is_zero() {
            return false;
        }
        let inner = &self.pacer.0;
        // Made before counting: a wake from now on reaches it.
        let woken = inner.wake.notified();
        inner.parked.fetch_add(1, SeqCst);
        let cancelled = async move {
            match cancel {
                Some(mut c) => c.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let by_cancel = tokio::select! {
            () = tokio::time::sleep(self.length) => false,
            () = woken => false,
            () = cancelled => true,
        };
        inner.parked.fetch_sub(1, SeqCst);
        by_cancel
    }
}

/// The job out with the terminal, as the screens show it.
pub struct Out {
    pub started: std::time::Instant,
    /// The newest progress ("cancelling, try 2", seconds waited).
    pub progress: Option<PayEvent>,
    /// The cashier's cancel, for a payment or a PayPage.
    pub cancel: Option<crate::terminal::payment::CancelPay>,
    /// The cashier pressed it.
    pub cancelled: bool,
}

impl Out {
    pub fn new(cancel: Option<crate::terminal::payment::CancelPay>) -> Out {
        Out {
            started: std::time::Instant::now(),
            progress: None,
            cancel,
            cancelled: false,
        }
    }

    /// Send the cancel (once); false when this job has none.
    pub fn cancel(&mut self) -> bool {
        match &self.cancel {
            Some(c) => {
                c.cancel();
                self.cancelled = true;
                true
            }
            None => false,
        }
    }
}

/// The gateways and the runtime their calls run on.
pub struct WalletPay {
    runtime: tokio::runtime::Runtime,
    /// Kept alive for the life of the app in demo mode.
    _simulators: Option<SimHandles>,
    payments: Payments,
    /// The same gateways, asking once per check (the 確認中 screen's job
    /// does the repeating).
    checks: Payments,
    /// The configuration the gateways were built from (simulators in demo).
    config: Config,
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
                let payments = Payments::from_config(&cfg)
                    .map_err(|e| e.to_string())?
                    .with_policy(policy);
                let checks = Payments::from_config(&cfg)
                    .map_err(|e| e.to_string())?
                    .with_policy(ResolvePolicy {
                        cancel_tries: 1,
                        polls: 1,
                        ..policy
                    });
                Ok(WalletPay {
                    runtime,
                    _simulators: simulators,
                    payments,
                    checks,
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

    /// Run `job` with the terminal on the gateway runtime, as a task that
    /// reports the job's progress and hands the terminal back at the end.
    /// `checks` picks the gateways that ask once; `cancel` lets the cashier
    /// stop a payment's wait.
    fn job<F, Fut>(
        &self,
        terminal: Terminal,
        checks: bool,
        cancel: Option<PayCancel>,
        job: F,
    ) -> Task<JobUpdate>
    where
        F: FnOnce(Terminal, Payments) -> Fut,
        Fut: Future<Output = (Terminal, Finished)> + Send + 'static,
    {
        let (tx, mut events) = unbounded_channel();
        let mut payments = if checks {
            self.checks.clone()
        } else {
            self.payments.clone()
        }
        .with_events(tx);
        if let Some(cancel) = cancel {
            payments = payments.with_cancel(cancel);
        }
        let mut out = self.runtime.spawn(job(terminal, payments));
        // Progress while the job runs, then the terminal back: one stream
        // (iced's `Task::sip` needs a feature this build leaves out).
        let updates = iced::stream::channel(8, async move |mut to_app| {
            use iced::futures::SinkExt;
            loop {
                tokio::select! {
                    Some(event) = events.recv() => {
                        let _ = to_app.send(JobUpdate::Progress(event)).await;
                    }
                    done = &mut out => {
                        let done = done.map_err(|e| {
                            tracing::error!("a gateway job died: {e}");
                            format!("gateway job failed: {e}")
                        });
                        let _ = to_app.send(JobUpdate::Done(Handback::new(done))).await;
                        return;
                    }
                }
            }
        });
        Task::run(updates, |update| update)
    }

    /// Charge `amount` on `sale` with a scanned code or a chosen tender;
    /// `cancel` is the cashier's 取消 while it waits.
    pub fn pay(
        &self,
        terminal: Terminal,
        sale: SaleNo,
        tender: Tender,
        amount: Ntd,
        cart: &Cart,
        cancel: PayCancel,
    ) -> Task<JobUpdate> {
        let items = pay_items(cart);
        self.job(
            terminal,
            false,
            Some(cancel),
            move |mut terminal, payments| async move {
                let result = terminal.pay(&payments, &sale, tender, amount, items).await;
                (terminal, Finished::Pay(result.map_err(|e| e.to_string())))
            },
        )
    }

    /// Give money back on a sale, approved by a manager (see
    /// [`Terminal::refund_sale`]).
    pub fn refund(
        &self,
        terminal: Terminal,
        cfg: &Config,
        sale: SaleNo,
        request: crate::sale::RefundRequest,
        reason: String,
        manager: crate::terminal::views::User,
    ) -> Task<JobUpdate> {
        let cfg = cfg.clone();
        self.job(
            terminal,
            false,
            None,
            move |mut terminal, payments| async move {
                let outcome = terminal
                    .refund_sale(&cfg, &payments, &sale, &request, &reason, &manager)
                    .await;
                (
                    terminal,
                    Finished::Refund(outcome.map_err(|e| e.to_string())),
                )
            },
        )
    }

    /// Ask again about a payment in doubt (resolving it by its gateway's
    /// rule) after `pause`: the 確認中 screen's next look.
    pub fn check(&self, terminal: Terminal, trade: TradeNo, pause: Pause) -> Task<JobUpdate> {
        self.job(
            terminal,
            true,
            None,
            move |mut terminal, payments| async move {
                pause.wait(None).await;
                let result = terminal.query(&payments, &trade).await;
                (terminal, Finished::Check(result.map_err(|e| e.to_string())))
            },
        )
    }

    /// Open a PayPage order for the customer to pay on their own phone.
    pub fn start_paypage(
        &self,
        terminal: Terminal,
        sale: SaleNo,
        amount: Ntd,
        cart: &Cart,
    ) -> Task<JobUpdate> {
        let items = pay_items(cart);
        self.job(
            terminal,
            false,
            None,
            move |mut terminal, payments| async move {
                let result = terminal
                    .start_paypage(&payments, &sale, amount, items)
                    .await;
                (
                    terminal,
                    Finished::PayPageOpened(result.map_err(|e| e.to_string())),
                )
            },
        )
    }

    /// Ask whether the customer has paid on the PayPage, after `pause`;
    /// cancelled meanwhile, close the PayPage instead (a payment that
    /// already went through stands).
    pub fn poll_paypage(
        &self,
        terminal: Terminal,
        trade: TradeNo,
        pause: Pause,
        cancel: PayCancel,
    ) -> Task<JobUpdate> {
        self.job(
            terminal,
            false,
            None,
            move |mut terminal, payments| async move {
                let result = if pause.wait(Some(cancel)).await {
                    terminal.cancel_paypage(&payments, &trade).await
                } else {
                    terminal.poll_paypage(&payments, &trade).await
                };
                (
                    terminal,
                    Finished::PayPagePolled(result.map_err(|e| e.to_string())),
                )
            },
        )
    }

    /// Ask MyPay for the e-invoices it still owes (issued after the payment).
    pub fn fetch_mypay_invoices(&self, terminal: Terminal) -> Task<JobUpdate> {
        self.job(
            terminal,
            true,
            None,
            move |mut terminal, payments| async move {
                let result = terminal.fetch_mypay_invoices(&payments).await;
                (
                    terminal,
                    Finished::MypayInvoices(result.map_err(|e| e.to_string())),
                )
            },
        )
    }

    /// Settle every attempt left open (start-up, after a crash).
    pub fn recover(&self, terminal: Terminal) -> Task<JobUpdate> {
        self.job(
            terminal,
            true,
            None,
            move |mut terminal, payments| async move {
                let result = terminal.recover(&payments).await;
                (
                    terminal,
                    Finished::Recover(result.map_err(|e| e.to_string())),
                )
            },
        )
    }
}
