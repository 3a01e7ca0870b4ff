//! One module per screen. Each owns its `State`, `Message`, `update` and
//! `view`, and reports what the parent must do through an `Event` instead
//! of reaching up (the halloy pattern).

pub mod checkout;
pub mod close_day;
pub mod confirming;
pub mod done;
pub mod history;
pub mod paypage;
pub mod refund;
pub mod sale;
pub mod settings;
pub mod sign_in;
pub mod tender;

use crate::config::Config;
use crate::print::Profile;
use crate::terminal::Terminal;
use crate::ui::i18n::{Lang, t};
use crate::ui::jobs::Jobs;
use crate::ui::wallet::{JobUpdate, WalletPay};

/// What the app lends a screen while it updates, halloy's contract:
/// `update(&mut self, message, &mut Ctx) -> (Task<Message>, Option<Event>)`.
/// The screen does its own work with these and tells its parent only what
/// the parent must act on.
pub struct Ctx<'a> {
    /// The till; `Err` (why) while it is away with a gateway job.
    terminal: &'a mut Result<Terminal, String>,
    /// The gateways and the job out with the terminal.
    pub jobs: &'a mut Jobs,
    pub config: &'a Config,
    /// The profile print-outs are encoded for, or why there is no printer.
    pub printer: Result<Profile, String>,
    pub lang: Lang,
}

impl<'a> Ctx<'a> {
    /// The app's till, gateways, config, printer and language, lent to
    /// one screen's update.
    pub fn lend(
        terminal: &'a mut Result<Terminal, String>,
        jobs: &'a mut Jobs,
        config: &'a Config,
        printer: Result<Profile, String>,
        lang: Lang,
    ) -> Self {
        Ctx {
            terminal,
            jobs,
            config,
            printer,
            lang,
        }
    }

    /// The till, or why it is away.
    pub fn terminal(&mut self) -> Result<&mut Terminal, &str> {
        self.terminal.as_mut().map_err(|e| e.as_str())
    }

    /// The till to read, or why it is away.
    pub fn terminal_ref(&self) -> Result<&Terminal, &str> {
        self.terminal.as_ref().map_err(|e| e.as_str())
    }

    /// Hand the terminal to a gateway job that `job` builds: it travels
    /// with the job (so no second charge can start) until the job's end
    /// hands it back to the app. Why not, with the terminal kept, when the
    /// gateways cannot start or the terminal is already away.
    pub fn send(
        &mut self,
        cancel: Option<crate::terminal::payment::CancelPay>,
        job: impl FnOnce(&WalletPay, Terminal) -> iced::Task<JobUpdate>,
    ) -> Result<(), String> {
        let busy = t(self.lang, "paying.busy");
        if self.jobs.is_out() || self.terminal.is_err() {
            return Err(busy);
        }
        let wallet = self.jobs.start(self.config)?;
        let terminal = match std::mem::replace(self.terminal, Err(busy)) {
            Ok(terminal) => terminal,
            Err(why) => {
                *self.terminal = Err(why.clone());
                return Err(why);
            }
        };
        let task = job(wallet, terminal);
        self.jobs.launch(task, cancel);
        Ok(())
    }
}

/// A document a screen wants on paper, as data: the app prints it as a
/// journaled job through the printing component (a reprint with the
/// manager's name and PIN). With `answer`, the printer's answer comes back
/// to the screen as its own message, tagged so; without, only a failure
/// is logged.
#[derive(Debug, Clone)]
pub struct PrintJob<A = ()> {
    /// The job's kind, as the journal records it.
    pub kind: &'static str,
    pub document: crate::print::document::Document,
    pub sale: Option<crate::sale::SaleNo>,
    pub approval: Option<(String, crate::secret::Secret)>,
    pub answer: Option<A>,
}
