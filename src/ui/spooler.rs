//! The printer's own thread. Sending bytes to a thermal printer can take
//! seconds (a network printer that is off waits for its connect timeout, a
//! serial one for its buffer), so the screen never does it: the job is
//! journaled first on the UI thread ([`crate::terminal::Terminal::queue_print`]),
//! its bytes go to this thread, and what the printer said comes back as the
//! output of the job's task, to be journaled
//! ([`crate::terminal::Terminal::print_done`]). Jobs print one after
//! another in the order they were given: receipt, proof, detail slip.

use std::sync::mpsc::{self, Sender};

use tokio::sync::oneshot;

use crate::print::Profile;
use crate::terminal::devices::{JobError, Printer};

/// A job handed to the printer thread.
struct Job {
    id: i64,
    kind: String,
    bytes: Vec<u8>,
    answer: oneshot::Sender<Printed>,
}

/// What the printer did with one job.
#[derive(Debug, Clone)]
pub struct Printed {
    pub id: i64,
    pub kind: String,
    pub outcome: Result<(), JobError>,
}

pub struct Spooler {
    jobs: Sender<Job>,
    profile: Profile,
}

impl Spooler {
    /// Give `printer` to a thread of its own.
    pub fn start(mut printer: Printer) -> Spooler {
        let profile = printer.profile.clone();
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || {
                // Ends when the app drops its sender (a replaced printer
                // prints what it was given first).
                for job in rx {
                    let outcome = printer.send(&job.bytes).map(|_| ());
                    // Nobody waiting (the app closed): nothing to tell.
                    let _ = job.answer.send(Printed {
                        id: job.id,
                        kind: job.kind,
                        outcome,
                    });
                }
            })
            .expect("a thread for the printer");
        Spooler { jobs, profile }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Send a journaled job's bytes: the printer's answer is the task's
    /// output (`None` when the printer thread is gone: the job stays
    /// pending in the journal, to be resumed).
    pub fn submit(&self, id: i64, kind: &str, bytes: Vec<u8>) -> iced::Task<Option<Printed>> {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            id,
            kind: kind.to_string(),
            bytes,
            answer,
        };
        if self.jobs.send(job).is_err() {
            return iced::Task::done(None);
        }
        iced::Task::perform(answered, Result::ok)
    }
}
