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
use crate::sale::SaleNo;
use crate::terminal::completion::{Completion, Printout};
use crate::terminal::{Approval, Terminal};
use crate::ui::component::printing::{Answer, Job, Printing, Reply};
use crate::ui::i18n::{Lang, t};
use crate::ui::jobs::Jobs;
use crate::ui::wallet::{JobUpdate, WalletPay};

/// What the app lends a screen while it updates, halloy's contract:
/// `update(&mut self, message, &mut Ctx) -> (Task<Message>, Option<Event>)`.
/// The screen does its own work with these (the journal, gateway jobs,
/// the printer) and tells its parent only what the parent must act on.
pub struct Ctx<'a> {
    /// The till; `Err` (why) while it is away with a gateway job.
    terminal: &'a mut Result<Terminal, String>,
    /// The gateways and the job out with the terminal.
    pub jobs: &'a mut Jobs,
    /// The receipt printer and its journaled jobs.
    printing: &'a mut Printing<PrintFor>,
    pub config: &'a Config,
    pub lang: Lang,
}

/// Who waits on a print job's answer: the app gives the printer's answer
/// back to that screen as its own message.
#[derive(Debug, Clone)]
pub enum PrintFor {
    History(history::Printed),
    CloseDay(close_day::Printed),
    Checkout(checkout::Printed),
    /// The proof of this sale's e-invoice; one of the till's own roll
    /// (`number`) is marked printed in the journal once it is, whatever
    /// shows by then.
    Proof {
        sale_no: String,
        number: Option<crate::einvoice::InvoiceNumber>,
    },
    Refund,
    Settings,
}

impl<'a> Ctx<'a> {
    /// The app's till, gateways, printer, config and language, lent to
    /// one screen's update.
    pub fn lend(
        terminal: &'a mut Result<Terminal, String>,
        jobs: &'a mut Jobs,
        printing: &'a mut Printing<PrintFor>,
        config: &'a Config,
        lang: Lang,
    ) -> Self {
        Ctx {
            terminal,
            jobs,
            printing,
            config,
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

    /// The profile print-outs are encoded for, or why there is no printer.
    pub fn printer(&self) -> Result<Profile, String> {
        self.printing.profile()
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

    /// Print a document as a journaled job (a reprint with the manager's
    /// approval). With `answer`, the printer's answer comes back to that
    /// screen; without, only a failure is logged. `Err` at once, why, when
    /// the job could not even be journaled.
    pub fn print(&mut self, job: PrintJob) -> Result<(), String> {
        let reply = match job.answer {
            Some(to) => Reply::To(to),
            None => Reply::Log(job.kind),
        };
        let approval = job
            .approval
            .as_ref()
            .map(|(manager, pin)| Approval { manager, pin });
        let terminal = self.terminal.as_mut().map_err(|e| e.as_str());
        let queued = Job {
            kind: job.kind,
            sale: job.sale.as_ref(),
            approval,
        };
        let answer =
            self.printing
                .print_document(terminal, queued, &job.document, reply, self.lang);
        immediate(answer)
    }

    /// Send the journaled print-outs of a sale's completion to the printer:
    /// the receipt answers to the checkout's result of `sale`, the proof
    /// as [`PrintFor::Proof`]. Those that could not even be journaled,
    /// with why.
    pub fn print_completion(&mut self, sale: &SaleNo, done: Completion) -> Vec<Answer<PrintFor>> {
        let sale_no = sale.to_string();
        let reply = |what: &Printout| match what {
            Printout::Receipt => Reply::To(PrintFor::Checkout(checkout::Printed::Receipt(
                sale_no.clone(),
            ))),
            Printout::Proof { number } => Reply::To(PrintFor::Proof {
                sale_no: sale_no.clone(),
                number: number.clone(),
            }),
            Printout::DetailSlip => Reply::Log("detail slip"),
        };
        self.printing.print_completion(done, reply, self.lang)
    }

    /// 補印 of a sale's e-invoice proof, approved by a manager; its answer
    /// goes to `to`. `Err` at once, why, when it could not be journaled.
    pub fn reprint_proof(
        &mut self,
        sale_no: &str,
        approval: Approval<'_>,
        to: PrintFor,
    ) -> Result<(), String> {
        let terminal = self.terminal.as_mut().map_err(|e| e.as_str());
        let answer = self.printing.reprint_proof(
            terminal,
            self.config,
            sale_no,
            approval,
            Reply::To(to),
            self.lang,
        );
        immediate(answer)
    }

    /// The drawer's pulse and its NO SALE slip, approved by `manager`; its
    /// answer goes to `to`.
    pub fn open_drawer(&mut self, manager: &str, to: PrintFor) -> Result<(), String> {
        let terminal = self.terminal.as_mut().map_err(|e| e.as_str());
        let answer = self
            .printing
            .no_sale(terminal, manager, Reply::To(to), self.lang);
        immediate(answer)
    }

    /// Print on this printer, not saved yet, until its jobs are back (the
    /// Settings screen's test page).
    pub fn try_printer(&mut self, printer: crate::terminal::devices::Printer) {
        self.printing.try_printer(printer);
    }
}

/// A job's answer at once (it could not even be journaled), as its result.
fn immediate(answer: Option<Answer<PrintFor>>) -> Result<(), String> {
    match answer {
        Some((_, result)) => result,
        None => Ok(()),
    }
}

/// A document a screen wants on paper, as data, printed as a journaled
/// job through [`Ctx::print`] (a reprint with the manager's name and PIN).
/// With `answer`, the printer's answer comes back to the screen as its own
/// message, tagged so; without, only a failure is logged.
#[derive(Debug, Clone)]
pub struct PrintJob {
    /// The job's kind, as the journal records it.
    pub kind: &'static str,
    pub document: crate::print::document::Document,
    pub sale: Option<crate::sale::SaleNo>,
    pub approval: Option<(String, crate::secret::Secret)>,
    pub answer: Option<PrintFor>,
}
