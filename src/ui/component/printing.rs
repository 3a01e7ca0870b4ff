//! The till's printing, as one component: the receipt printer on its own
//! thread (and one tried from Settings before it is saved), every job
//! journaled before its bytes leave, and the printer's answer journaled when
//! it comes back. Who asked for a job names a [`Reply`] with it: data, not a
//! callback. The answer comes back as that reply with the printer's result,
//! and the app routes it as a message to the screen that asked.

use std::collections::HashMap;

use crate::print::Profile;
use crate::print::document::Document;
use crate::sale::SaleNo;
use crate::terminal::devices::Printer;
use crate::terminal::{Approval, PrintError, Terminal, TerminalError};
use crate::ui::i18n::{Lang, t};
use crate::ui::spooler::{Printed, Spooler};

/// What to say, and to whom, once the printer answered for a job.
#[derive(Debug, Clone)]
pub enum Reply<R> {
    /// Nobody waits on it: a failure is logged (`what` names the job).
    Log(&'static str),
    /// The screen that asked gets this, with the printer's answer.
    To(R),
}

/// What a job is, as the journal records it: its kind, the sale it
/// belongs to, and the manager's approval when it is a reprint.
pub struct Job<'a> {
    pub kind: &'a str,
    pub sale: Option<&'a SaleNo>,
    pub approval: Option<Approval<'a>>,
}

/// A job's answer: the reply named with it and what the printer did
/// (the cashier's words for why not).
pub type Answer<R> = (Reply<R>, Result<(), String>);

pub struct Printing<R> {
    /// The till's printer; `Err` says why it could not be set up.
    printer: Result<Spooler, String>,
    /// A printer tried from the Settings screen before it is saved.
    trial: Option<Spooler>,
    /// Jobs with the printer: their bytes (demo mode's preview) and reply.
    jobs: HashMap<i64, (Option<Vec<u8>>, Reply<R>)>,
    /// Answers that came back while the terminal was away with a payment:
    /// journaled as soon as it is back.
    unjournaled: Vec<Printed>,
    /// Jobs sent whose answer has not come back yet; the trial printer's
    /// by id.
    out: usize,
    trial_jobs: std::collections::HashSet<i64>,
    /// The jobs' tasks, handed to the runtime by the app after the update.
    tasks: Vec<iced::Task<Option<Printed>>>,
    /// Demo mode keeps what was printed for the result screen.
    demo: bool,
    preview: Vec<iced::widget::image::Handle>,
    /// The last print's outcome (`None` before the first print).
    last: Option<Result<(), String>>,
}

impl<R> Printing<R> {
    pub fn new(printer: Result<Printer, String>, demo: bool) -> Printing<R> {
        Printing {
            printer: printer.map(Spooler::start),
            trial: None,
            jobs: HashMap::new(),
            unjournaled: Vec::new(),
            out: 0,
            trial_jobs: Default::default(),
            tasks: Vec::new(),
            demo,
            preview: Vec::new(),
            last: None,
        }
    }

    /// Print on this printer from now on (tests; saved settings).
    pub fn set_printer(&mut self, printer: Result<Printer, String>) {
        self.printer = printer.map(Spooler::start);
    }

    /// Try a printer not saved yet: jobs go to it until they are back.
    pub fn try_printer(&mut self, printer: Printer) {
        self.trial = Some(Spooler::start(printer));
    }

    /// Why the till's printer could not be set up.
    pub fn setup_error(&self) -> Option<&str> {
        self.printer.as_ref().err().map(String::as_str)
    }

    /// The last print's outcome, for the status bar.
    pub fn last(&self) -> Option<&Result<(), String>> {
        self.last.as_ref()
    }

    /// The printer jobs go to: one being tried from Settings, else the till's.
    fn spooler(&self) -> Result<&Spooler, String> {
        match (&self.trial, &self.printer) {
            (Some(trial), _) => Ok(trial),
            (None, Ok(p)) => Ok(p),
            (None, Err(e)) => Err(e.clone()),
        }
    }

    /// The profile documents are encoded for.
    pub fn profile(&self) -> Result<Profile, String> {
        self.spooler().map(|s| s.profile().clone())
    }

    /// Whether the printer still has jobs (or answers wait to be journaled).
    pub fn busy(&self) -> bool {
        self.out > 0 || !self.unjournaled.is_empty()
    }

    /// Whether jobs are with the printer now (answers not back yet).
    pub fn printing(&self) -> bool {
        self.out > 0
    }

    /// The print jobs' tasks started since the last call: each one's output
    /// is the printer's answer, for [`Printing::printed`].
    pub fn take_tasks(&mut self) -> Vec<iced::Task<Option<Printed>>> {
        std::mem::take(&mut self.tasks)
    }

    /// Whether a journaled job is with the printer now.
    pub fn has_job(&self, id: i64) -> bool {
        self.jobs.contains_key(&id)
    }

    /// What this sale printed, as the emulator drew it (demo mode).
    pub fn preview(&self) -> &[iced::widget::image::Handle] {
        &self.preview
    }

    pub fn clear_preview(&mut self) {
        self.preview.clear();
    }

    /// Encode a document for the printer's profile and print it as a
    /// journaled job (with a manager's approval for a reprint). The one
    /// path every screen prints through. An answer at once when the job
    /// could not even be journaled.
    pub fn print_document(
        &mut self,
        terminal: Result<&mut Terminal, &str>,
        job: Job<'_>,
        document: &Document,
        reply: Reply<R>,
        lang: Lang,
    ) -> Option<Answer<R>> {
        let bytes = self
            .spooler()
            .and_then(|s| crate::print::encode(document, s.profile()).map_err(|e| e.to_string()));
        match bytes {
            Ok(bytes) => self.print_bytes(terminal, job, bytes, reply, lang),
            Err(e) => Some((reply, Err(e))),
        }
    }

    /// Journal the job, then hand its bytes to the printer's thread.
    pub fn print_bytes(
        &mut self,
        terminal: Result<&mut Terminal, &str>,
        job: Job<'_>,
        bytes: Vec<u8>,
        reply: Reply<R>,
        lang: Lang,
    ) -> Option<Answer<R>> {
        let Job {
            kind,
            sale,
            approval,
        } = job;
        let profile = match self.profile() {
            Ok(p) => p,
            Err(e) => return Some((reply, Err(e))),
        };
        let terminal = match terminal {
            Ok(t) => t,
            Err(e) => return Some((reply, Err(e.to_string()))),
        };
        match terminal.queue_print(&profile, kind, &bytes, sale, approval) {
            Ok(id) => self.submit(id, kind, bytes, reply),
            Err(e) => {
                tracing::warn!(kind, "not printed: {e}");
                Some((reply, Err(print_error_text(e, lang))))
            }
        }
    }

    /// Send a journaled job's bytes to the printer thread.
    pub fn submit(
        &mut self,
        id: i64,
        kind: &str,
        bytes: Vec<u8>,
        reply: Reply<R>,
    ) -> Option<Answer<R>> {
        let (spooler, trial) = match (&self.trial, &self.printer) {
            (Some(trial), _) => (trial, true),
            (None, Ok(p)) => (p, false),
            (None, Err(e)) => return Some((reply, Err(e.clone()))),
        };
        let keep = self.demo.then(|| bytes.clone());
        self.tasks.push(spooler.submit(id, kind, bytes));
        self.out += 1;
        if trial {
            self.trial_jobs.insert(id);
        }
        self.jobs.insert(id, (keep, reply));
        None
    }

    /// The printer answered for a job (`None`: its thread is gone): journal
    /// it, with any answers kept while the terminal was away; the replies
    /// of the jobs it answered for.
    pub fn printed(
        &mut self,
        printed: Option<Printed>,
        terminal: Option<&mut Terminal>,
        lang: Lang,
    ) -> Vec<Answer<R>> {
        self.out = self.out.saturating_sub(1);
        let mut answers = std::mem::take(&mut self.unjournaled);
        match printed {
            Some(p) => {
                self.trial_jobs.remove(&p.id);
                answers.push(p);
            }
            None => tracing::warn!("the printer thread is gone: the job stays pending"),
        }
        self.journal(answers, terminal, lang)
    }

    /// Answers kept while the terminal was away, journaled now it is back.
    pub fn journal_kept(&mut self, terminal: Option<&mut Terminal>, lang: Lang) -> Vec<Answer<R>> {
        let kept = std::mem::take(&mut self.unjournaled);
        if kept.is_empty() {
            return Vec::new();
        }
        self.journal(kept, terminal, lang)
    }

    fn journal(
        &mut self,
        answers: Vec<Printed>,
        mut terminal: Option<&mut Terminal>,
        lang: Lang,
    ) -> Vec<Answer<R>> {
        let mut out = Vec::new();
        for printed in answers {
            let Some(terminal) = terminal.as_deref_mut() else {
                // Away with a payment: journaled when it is back.
                self.unjournaled.push(printed);
                continue;
            };
            let (id, kind) = (printed.id, printed.kind.clone());
            let result = terminal.print_done(id, &kind, printed.outcome);
            let Some((bytes, reply)) = self.jobs.remove(&id) else {
                continue;
            };
            match &result {
                Err(PrintError::Printer { error, .. }) => {
                    self.last = Some(Err(error.error.to_string()))
                }
                Ok(()) => {
                    self.last = Some(Ok(()));
                    if let Some(bytes) = bytes {
                        self.remember(&bytes);
                    }
                }
                Err(_) => {}
            }
            let result = result.map_err(|e| print_error_text(e, lang));
            if let (Reply::Log(what), Err(e)) = (&reply, &result) {
                tracing::warn!("{what} not printed: {e}");
            }
            out.push((reply, result));
        }
        if self.trial.is_some() && self.trial_jobs.is_empty() {
            self.trial = None;
        }
        out
    }

    /// Demo mode keeps what was printed for the result screen's preview.
    fn remember(&mut self, bytes: &[u8]) {
        let Ok(printer) = self.spooler() else { return };
        let rendered = crate::print::render(bytes, printer.profile());
        let gray = rendered.image.to_gray();
        let (w, h) = gray.dimensions();
        if w == 0 || h == 0 {
            return;
        }
        let rgba: Vec<u8> = gray
            .pixels()
            .flat_map(|p| [p.0[0], p.0[0], p.0[0], 255])
            .collect();
        self.preview
            .push(iced::widget::image::Handle::from_rgba(w, h, rgba));
    }
}

/// The cashier's words for why a job was not printed.
pub fn print_error_text(e: PrintError, lang: Lang) -> String {
    match e {
        PrintError::Terminal(TerminalError::WrongPin) => t(lang, "signin.wrong"),
        // Its "中文 / English" text wraps another's: one language, once.
        other => crate::ui::i18n::one_language(&other.to_string(), lang),
    }
}
