//! The gateway side of the till as one component: the gateways (the
//! simulators in demo mode), started on first use; the one job out with
//! the terminal; and the pauses of the jobs that look again. A screen sends
//! its job through the [`crate::ui::screen::Ctx`] it is lent; the app hands
//! the jobs' tasks to the runtime after the update and, when a job ends,
//! puts the terminal back and gives the result to the screen that owns it.

use std::path::PathBuf;
use std::time::Duration;

use iced::Task;

use crate::config::Config;
use crate::terminal::payment::{CancelPay, PayEvent, ResolvePolicy};
use crate::ui::wallet::{JobUpdate, Out, Pacer, Pause, WalletPay};

pub struct Jobs {
    /// Started on the first gateway job (demo mode starts the simulators).
    wallet: Option<Result<WalletPay, String>>,
    /// The job out with the terminal, if one is.
    out: Option<Out>,
    /// The pauses of the jobs that look again (確認中, PayPage).
    pacer: Pacer,
    demo: bool,
    /// A demo till on a journal file: its simulators' shared books.
    books: Option<PathBuf>,
    /// How hard a payment in doubt is resolved before 確認中 takes over.
    policy: ResolvePolicy,
    /// Jobs sent since the app last took them for the runtime.
    tasks: Vec<Task<JobUpdate>>,
}

impl Jobs {
    pub fn new(demo: bool, books: Option<PathBuf>) -> Jobs {
        Jobs {
            wallet: None,
            out: None,
            pacer: Pacer::default(),
            demo,
            books,
            policy: crate::ui::wallet::counter_policy(),
            tasks: Vec::new(),
        }
    }

    /// Resolve payments in doubt by this policy (tests use none).
    pub fn set_policy(&mut self, policy: ResolvePolicy) {
        self.policy = policy;
    }

    /// New gateways were saved: the next job starts with them (the demo's
    /// simulators stay).
    pub fn gateways_changed(&mut self) {
        if !self.demo {
            self.wallet = None;
        }
    }

    /// The gateways, started on first use; why not when they cannot be.
    pub fn start(&mut self, config: &Config) -> Result<&WalletPay, String> {
        let (demo, books, policy) = (self.demo, self.books.clone(), self.policy);
        let wallet = self
            .wallet
            .get_or_insert_with(|| WalletPay::start(config, demo, books, policy));
        wallet.as_ref().map_err(Clone::clone)
    }

    /// The gateways, when started.
    pub fn started(&self) -> Option<&WalletPay> {
        self.wallet.as_ref().and_then(|w| w.as_ref().ok())
    }

    /// Hand a job (its terminal already with it) to the runtime; `cancel`
    /// is the cashier's 取消 for it.
    pub fn launch(&mut self, task: Task<JobUpdate>, cancel: Option<CancelPay>) {
        self.out = Some(Out::new(cancel));
        self.tasks.push(task);
    }

    /// The job out with the terminal, as the screens show it.
    pub fn out(&self) -> Option<&Out> {
        self.out.as_ref()
    }

    pub fn is_out(&self) -> bool {
        self.out.is_some()
    }

    /// The job's newest progress.
    pub fn progress(&mut self, event: PayEvent) {
        if let Some(out) = self.out.as_mut() {
            out.progress = Some(event);
        }
    }

    /// The job came back: whether the cashier cancelled it meanwhile.
    pub fn ended(&mut self) -> bool {
        self.out.take().is_some_and(|o| o.cancelled)
    }

    /// The cashier's cancel for the job out; false when it has none.
    pub fn cancel(&mut self) -> bool {
        self.out.as_mut().is_some_and(Out::cancel)
    }

    /// Whether the job out was cancelled and is settling.
    pub fn cancelling(&self) -> bool {
        self.out.as_ref().is_some_and(|o| o.cancelled)
    }

    /// A pause before a job's next look.
    pub fn pause(&self, length: Duration) -> Pause {
        self.pacer.pause(length)
    }

    /// 立即查詢: every pausing job looks now.
    pub fn wake(&self) {
        self.pacer.wake();
    }

    /// Whether the job out is only pausing before its next look.
    pub fn pausing(&self) -> bool {
        self.out.is_some() && self.pacer.parked() > 0
    }

    /// The jobs sent since the last call, for the runtime.
    pub fn take_tasks(&mut self) -> Vec<Task<JobUpdate>> {
        std::mem::take(&mut self.tasks)
    }
}
