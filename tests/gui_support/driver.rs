//! The tests' runtime for the app: it owns the [`App`], sends every
//! message through [`App::run_update`] as iced does, keeps the returned
//! tasks as streams and drives them on a real executor until the app is
//! idle, feeding each output back in as the next message. A gateway job,
//! a print job or a settings check is then waited for the way the till
//! waits for it, with no test-only wait on the app.

use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use iced::futures::Stream;
use iced_runtime::Action;
use iced_runtime::futures::BoxStream;
use till::catalogue::Catalogue;
use till::config::Config;
use till::terminal::Terminal;
use till::ui::{App, Message};

/// Longer than any simulator, printer or gateway timeout a test meets: a
/// job still running after this is a hang, and the test fails saying what
/// was pending. A guard, not a wait: the driver returns as soon as the app
/// is idle.
const GUARD: Duration = Duration::from_secs(90);

/// How often the driver, with nothing to deliver, looks whether the work
/// left is only a job pausing before its next look (確認中, PayPage).
const LOOK: Duration = Duration::from_millis(20);

pub struct Driver {
    app: App,
    pending: Vec<BoxStream<Action<Message>>>,
    executor: tokio::runtime::Runtime,
}

impl Deref for Driver {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl DerefMut for Driver {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
}

impl Driver {
    /// Drive `app`.
    pub fn drive(app: App) -> Driver {
        Driver {
            app,
            pending: Vec::new(),
            executor: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the app's tasks"),
        }
    }

    /// An app around an open terminal, driven.
    pub fn new(config: &Config, terminal: Terminal, catalogue: Catalogue) -> Driver {
        Driver::drive(App::new(config, terminal, catalogue))
    }

    pub fn with_printer(self, printer: till::device::printer::Printer) -> Driver {
        self.map(|a| a.with_printer(printer))
    }

    pub fn with_resolve_policy(self, policy: till::terminal::payment::ResolvePolicy) -> Driver {
        self.map(|a| a.with_resolve_policy(policy))
    }

    pub fn with_config_file(self, path: impl Into<std::path::PathBuf>) -> Driver {
        self.map(|a| a.with_config_file(path))
    }

    fn map(self, f: impl FnOnce(App) -> App) -> Driver {
        Driver {
            app: f(self.app),
            ..self
        }
    }

    /// Send `message` as the runtime would; the work it started is kept
    /// for [`Driver::settle`].
    pub fn update(&mut self, message: Message) {
        let task = self.app.run_update(message);
        if let Some(stream) = iced_runtime::task::into_stream(task) {
            self.pending.push(stream);
        }
    }

    /// Run the app's work until it is idle: every task ended, or all that
    /// is left is a job pausing before its next look. Panics (the test
    /// fails) when that takes longer than the guard.
    pub fn settle(&mut self) {
        let start = Instant::now();
        while !self.pending.is_empty() {
            if !self.step() && self.app.only_pausing() {
                return;
            }
            assert!(
                start.elapsed() < GUARD,
                "the app is not idle after {GUARD:?}: {} task(s) pending on the {} screen",
                self.pending.len(),
                self.app.screen_name()
            );
        }
    }

    /// Run the app's work until `reached` holds (of the app, or of
    /// something outside it: a simulator's books), guarded like
    /// [`Driver::settle`].
    pub fn run_until(&mut self, what: &str, mut reached: impl FnMut(&App) -> bool) {
        let start = Instant::now();
        while !reached(&self.app) {
            assert!(
                start.elapsed() < GUARD,
                "not reached after {GUARD:?}: {what} ({} task(s) pending on the {} screen)",
                self.pending.len(),
                self.app.screen_name()
            );
            self.step();
        }
    }

    /// Let the printer answer for what a gesture printed, as the tests'
    /// clicks and scans do. Other work the gesture started is left running
    /// (a gateway job, with the terminal, or a settings check): the test
    /// looks at the wait, then calls [`Driver::settle`].
    pub fn settle_prints(&mut self) {
        if self.app.terminal().is_none() {
            return;
        }
        let start = Instant::now();
        while self.app.printing() {
            assert!(
                start.elapsed() < GUARD,
                "the printer has not answered after {GUARD:?} on the {} screen",
                self.app.screen_name()
            );
            self.step();
        }
    }

    /// Deliver the next output of any pending task (its message goes
    /// through [`Driver::update`]) or drop a task that ended; false when
    /// nothing came within [`LOOK`].
    fn step(&mut self) -> bool {
        let pending = &mut self.pending;
        let next = self
            .executor
            .block_on(async { tokio::time::timeout(LOOK, next_action(pending)).await });
        match next {
            Ok((_, Some(Action::Output(message)))) => self.update(message),
            // Window, widget and clipboard actions: no window here.
            Ok((_, Some(_))) => {}
            Ok((i, None)) => drop(self.pending.swap_remove(i)),
            Err(_) => return false,
        }
        true
    }

    /// The jobs pausing before their next look (確認中, the PayPage) look
    /// now, as 立即查詢 does, and the app runs until idle again.
    pub fn look_now(&mut self) {
        self.app.ask_now();
        self.settle();
    }
}

/// The next action of any pending stream, with its index (`None`: that
/// stream ended).
async fn next_action(
    pending: &mut [BoxStream<Action<Message>>],
) -> (usize, Option<Action<Message>>) {
    std::future::poll_fn(|cx| {
        for (i, stream) in pending.iter_mut().enumerate() {
            if let Poll::Ready(item) = Pin::new(stream).poll_next(cx) {
                return Poll::Ready((i, item));
            }
        }
        Poll::Pending
    })
    .await
}
