//! The printer's own thread. Sending bytes to a thermal printer can take
//! seconds (a network printer that is off waits for its connect timeout, a
//! serial one for its buffer), so the screen never does it: the job is
//! journaled first on the UI thread ([`crate::terminal::Terminal::queue_print`]),
//! its bytes go to this thread, and what the printer said comes back to be
//! journaled ([`crate::terminal::Terminal::print_done`]). Jobs print one
//! after another in the order they were given: receipt, proof, detail slip.

use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use crate::print::Profile;
use crate::terminal::devices::{JobError, Printer};

/// A job handed to the printer thread.
struct Job {
    id: i64,
    kind: String,
    bytes: Vec<u8>,
}

/// What the printer did with one job.
#[derive(Debug)]
pub struct Printed {
    pub id: i64,
    pub kind: String,
    pub outcome: Result<(), JobError>,
}

pub struct Spooler {
    jobs: Sender<Job>,
    done: Receiver<Printed>,
    profile: Profile,
    out: usize,
}

impl Spooler {
    /// Give `printer` to a thread of its own.
    pub fn start(mut printer: Printer) -> Spooler {
        let profile = printer.profile.clone();
        let (jobs, rx) = mpsc::channel::<Job>();
        let (tx, done) = mpsc::channel();
        std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || {
                // Ends when the app drops its sender.
                for job in rx {
                    let outcome = printer.send(&job.bytes).map(|_| ());
                    let printed = Printed {
                        id: job.id,
                        kind: job.kind,
                        outcome,
                    };
                    if tx.send(printed).is_err() {
                        break;
                    }
                }
            })
            .expect("a thread for the printer");
        Spooler {
            jobs,
            done,
            profile,
            out: 0,
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Send a journaled job's bytes.
    pub fn submit(&mut self, id: i64, kind: &str, bytes: Vec<u8>) {
        let job = Job {
            id,
            kind: kind.to_string(),
            bytes,
        };
        if self.jobs.send(job).is_ok() {
            self.out += 1;
        }
    }

    /// Whether jobs are still with the printer.
    pub fn busy(&self) -> bool {
        self.out > 0
    }

    /// The jobs finished since the last look.
    pub fn poll(&mut self) -> Vec<Printed> {
        let mut out = Vec::new();
        while let Ok(p) = self.done.try_recv() {
            self.out = self.out.saturating_sub(1);
            out.push(p);
        }
        out
    }

    /// Wait until every job is back, at most `timeout` (tests, shutdown).
    pub fn wait(&mut self, timeout: Duration) -> Vec<Printed> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while self.out > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.done.recv_timeout(left) {
                Ok(p) => {
                    self.out -= 1;
                    out.push(p);
                }
                Err(_) => break,
            }
        }
        out
    }
}
