//! What the till prints beyond a screen's document, on the printing
//! component: a sale's completion (its journaled jobs), an issued
//! invoice's proof, a manager's proof reprint, the drawer's NO SALE slip,
//! and the jobs left waiting. (A file of its own beside `printing.rs`,
//! which holds the printer and its jobs.) Each answers with the replies
//! it was given; the app routes them.

use crate::config::Config;
use crate::print::Profile;
use crate::sale::SaleNo;
use crate::terminal::completion::{Completion, Invoice, Printout};
use crate::terminal::{Approval, IssuedProof, Terminal};
use crate::ui::component::printing::{Answer, Job, Printing, Reply, print_error_text};
use crate::ui::i18n::{Lang, t};

impl<R> Printing<R> {
    /// Send the journaled jobs of a completion to the printer, each with
    /// the reply `reply_of` names for it; those that could not even be
    /// journaled are answered at once.
    pub fn print_completion(
        &mut self,
        done: Completion,
        reply_of: impl Fn(&Printout) -> Reply<R>,
        lang: Lang,
    ) -> Vec<Answer<R>> {
        let mut answers = Vec::new();
        for job in done.jobs {
            answers.extend(self.submit(job.id, job.kind, job.bytes, reply_of(&job.what)));
        }
        for (what, e) in done.not_queued {
            answers.push((reply_of(&what), Err(print_error_text(e, lang))));
        }
        answers
    }

    /// 補印 of a sale's e-invoice proof: a manager approves, it is
    /// audited, and a proof cut short on paper is closed by it.
    pub fn reprint_proof(
        &mut self,
        terminal: Result<&mut Terminal, &str>,
        config: &Config,
        sale_no: &str,
        approval: Approval<'_>,
        reply: Reply<R>,
        lang: Lang,
    ) -> Option<Answer<R>> {
        let sale: SaleNo = match sale_no.parse() {
            Ok(s) => s,
            Err(e) => return Some((reply, Err(format!("{e}")))),
        };
        let profile = match self.profile() {
            Ok(p) => p,
            Err(e) => return Some((reply, Err(e))),
        };
        let queued = match terminal {
            Ok(t) => t
                .queue_proof_reprint(config, &profile, &sale, approval)
                .map_err(|e| print_error_text(e, lang)),
            Err(e) => Err(e.to_string()),
        };
        match queued {
            Ok((id, bytes)) => self.submit(id, crate::terminal::PROOF, bytes, reply),
            Err(e) => Some((reply, Err(e))),
        }
    }

    /// The drawer's pulse, with a short slip: the opening a manager
    /// approved (audited by the close-day screen) is on paper too.
    pub fn no_sale(
        &mut self,
        terminal: Result<&mut Terminal, &str>,
        manager: &str,
        reply: Reply<R>,
        lang: Lang,
    ) -> Option<Answer<R>> {
        let pin_no = self
            .profile()
            .ok()
            .and_then(|p| p.drawer_pins.first().copied());
        let Some(pin_no) = pin_no else {
            return Some((reply, Err(t(lang, "closeday.no_drawer"))));
        };
        let datetime = match &terminal {
            Ok(t) => t.now().format("%Y-%m-%d %H:%M:%S").to_string(),
            Err(_) => String::new(),
        };
        let slip =
            crate::print::slips::no_sale_slip_document(&crate::print::slips::NoSaleSlipData {
                drawer_pin: pin_no,
                datetime,
                manager: manager.to_string(),
            });
        let job = Job {
            kind: "no_sale",
            sale: None,
            approval: None,
        };
        self.print_document(terminal, job, &slip, reply, lang)
    }

    /// After a restart or a paper change: jobs still waiting in the
    /// journal go to the printer again (proofs cut short wait for a
    /// manager's 補印). Nobody waits on them: failures are logged.
    pub fn resume(&mut self, terminal: &mut Terminal) -> Vec<Answer<R>> {
        if self.setup_error().is_some() {
            return Vec::new();
        }
        let jobs = match terminal.take_resumable_prints() {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!("cannot resume printing: {e}");
                return Vec::new();
            }
        };
        if !jobs.is_empty() {
            tracing::info!(jobs = jobs.len(), "printing what was left waiting");
        }
        let mut answers = Vec::new();
        for job in jobs {
            let reply = Reply::Log("a resumed job");
            answers.extend(self.submit(job.id, &job.kind, job.payload, reply));
        }
        answers
    }
}

/// Journal what an issued invoice needs on paper (the proof, and the
/// detail slip for a buyer with a BAN) into `done`, encoded for `printer`;
/// the invoice as the result screen shows it. Without a printer or the
/// terminal nothing is journaled.
pub fn queue_issued(
    printer: Option<&Profile>,
    terminal: Option<&mut Terminal>,
    issued: &IssuedProof,
    done: &mut Completion,
) -> Invoice {
    match (printer, terminal) {
        (Some(profile), Some(t)) => t.queue_issued(profile, issued, done),
        _ => Invoice::Issued {
            number: issued.invoice.number().clone(),
            paper: issued.proof.is_some(),
            buyer: issued.buyer.clone(),
        },
    }
}
