//! The application shell: the sign-in lock, which screen is showing and
//! the messages routed to it (keys, scans, gateway jobs' ends, printer
//! answers), the shortcuts, and the frame (`frame.rs`). Each screen does
//! its own work with what a `Ctx` lends it and tells the app only where to
//! go next.

mod frame;

use std::time::{Duration, Instant};

use iced::Subscription;

use crate::catalogue::Catalogue;
use crate::config::{Config, Source};
use crate::terminal::devices::{Framing, Printer, ScannerEvent, wedge_config};
use crate::terminal::views::User;
use crate::terminal::{Terminal, TerminalError};
use crate::ui::component::invoice::buyer_choice_of;
use crate::ui::component::printing::{Answer, Printing, Reply};
use crate::ui::component::status_bar::{self, StatusBar};
use crate::ui::i18n::{Lang, t};
use crate::ui::invoices_owed;
use crate::ui::jobs::Jobs;
use crate::ui::keys::{KeyPress, KeyRouter, Routed};
use crate::ui::screen::checkout::{self, Customer};
use crate::ui::screen::{Ctx, PrintFor, close_day, history, refund, sale, settings, sign_in};
use crate::ui::wallet::{Finished, JobUpdate};

/// The till locks itself after this long without a touch or key.
pub const IDLE_LOCK: Duration = Duration::from_secs(5 * 60);

/// What the app lends a screen's update: its till, gateways, config,
/// printer and language (a macro, so the borrow of `self.screen` beside
/// it stays visibly disjoint).
macro_rules! lend {
    ($app:ident) => {
        Ctx::lend(
            &mut $app.terminal,
            &mut $app.jobs,
            &mut $app.printing,
            &$app.config,
            $app.lang,
        )
    };
}

pub struct App {
    lang: Lang,
    catalogue: Catalogue,
    /// `None` when the journal could not be opened: the app shows why.
    terminal: Result<Terminal, String>,
    staff: Vec<User>,
    /// The customer at the counter: cart, journaled sale, e-invoice choice.
    customer: Customer,
    screen: Screen,
    /// Shown over the sign-in screen (e.g. why it locked).
    lock: Option<sign_in::State>,
    /// A sign-in waiting for the terminal to come home from a job.
    pending_sign_in: Option<(String, crate::secret::Secret)>,
    last_activity: Instant,
    /// Every key press passes the keyboard-wedge detector first.
    keys: KeyRouter,
    /// Prefix/suffix the configured scanner adds, stripped from scans.
    framing: Framing,
    /// The receipt printer and its journaled jobs.
    printing: Printing<PrintFor>,
    config: Config,
    demo: bool,
    /// The gateways and the one job out with the terminal.
    jobs: Jobs,
    /// The config file the Settings screen saves to; `None` in demo mode.
    config_path: Option<std::path::PathBuf>,
    /// What the status bar shows, refreshed on the clock tick and after
    /// every job (not on every frame: it reads the journal), and its
    /// gateway probes.
    status: StatusBar,
    /// Work the screens started, handed to the runtime after the update
    /// ([`App::run_update`]).
    tasks: Vec<iced::Task<Message>>,
    /// The screen, units and total last logged (see [`App::log_shown`]).
    shown: (&'static str, u64, crate::money::Ntd, Lang),
}

enum Screen {
    Sale(sale::State),
    /// The customer's payment: tender, paying, 確認中, PayPage, result.
    Checkout(Box<checkout::State>),
    CloseDay(close_day::State),
    History(history::State),
    Refund(Box<refund::State>),
    /// Manager settings (or, for a cashier, why not).
    Settings(Box<settings::State>),
}

#[derive(Debug, Clone)]
pub enum Message {
    SignIn(sign_in::Message),
    Sale(sale::Message),
    Checkout(checkout::Message),
    CloseDay(close_day::Message),
    OpenCloseDay,
    History(history::Message),
    OpenHistory,
    Settings(settings::Message),
    OpenSettings,
    Refund(refund::Message),
    OpenRefund,
    ToggleLanguage,
    SignOut,
    Shortcut(Shortcut),
    /// A key press, before the wedge detector decided whether a person or
    /// a scanner typed it.
    Key(KeyPress),
    /// Time for the wedge detector to decide held keys.
    KeyTick(Instant),
    /// A serial or USB HID scanner reported something.
    Scanner(ScannerEvent),
    /// A gateway job's progress, or the terminal handed back with its result.
    Job(JobUpdate),
    /// The printer answered for a job (`None`: its thread is gone).
    Printed(Option<crate::ui::spooler::Printed>),
    /// A press on the status bar.
    Status(status_bar::Message),
    /// A clock tick for the idle lock.
    Tick(Instant),
    /// A round of gateway probes came back.
    Probed(crate::ui::health::Round),
}

pub use crate::ui::shortcut::Shortcut;

/// What the app needs to start.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: Config,
    pub source: Source,
    pub catalogue: Catalogue,
}

impl App {
    /// Open the till's journal and show the sign-in screen (or, when the
    /// journal cannot be opened, a screen that says why).
    pub fn boot(setup: &Setup) -> App {
        let terminal = Terminal::open(&setup.config, &setup.source).map_err(|e| e.to_string());
        let mut app =
            App::build(&setup.config, terminal, setup.catalogue.clone()).with_gateway_probes();
        if let Source::File(path) = &setup.source {
            app.config_path = Some(path.clone());
        }
        app
    }

    /// An app around an already open terminal (tests, embedding).
    pub fn new(config: &Config, terminal: Terminal, catalogue: Catalogue) -> App {
        App::build(config, Ok(terminal), catalogue)
    }

    fn build(config: &Config, terminal: Result<Terminal, String>, catalogue: Catalogue) -> App {
        if let Err(e) = &terminal {
            tracing::error!("cannot open the journal: {e}");
        }
        let (demo, simulator_books, staff) = match &terminal {
            Ok(t) => {
                let books = t.simulator_books().map(std::path::Path::to_path_buf);
                (t.is_demo(), books, t.staff().unwrap_or_default())
            }
            Err(_) => (false, None, Vec::new()),
        };
        let mut app = App {
            lang: Lang::default(),
            catalogue,
            terminal,
            staff,
            customer: Customer::default(),
            screen: Screen::Sale(sale::State::default()),
            lock: Some(sign_in::State::default()),
            pending_sign_in: None,
            last_activity: Instant::now(),
            keys: KeyRouter::new(wedge_config(&config.scanner)),
            framing: Framing::from_config(&config.scanner),
            printing: Printing::new(
                Printer::from_config(&config.printer).map_err(|e| e.to_string()),
                demo,
            ),
            config: config.clone(),
            demo,
            jobs: Jobs::new(demo, simulator_books),
            config_path: None,
            status: StatusBar::default(),
            tasks: Vec::new(),
            shown: ("", 0, crate::money::Ntd::ZERO, Lang::default()),
        };
        app.refresh_status();
        app.log_shown();
        app
    }

    /// Probe the gateways' reachability for the status bar (every
    /// [`crate::ui::health::PROBE_EVERY`], a subscription of their own).
    pub fn with_gateway_probes(mut self) -> App {
        self.status.probe_gateways();
        self.refresh_status();
        self
    }

    /// Re-read the counts the status bar shows.
    fn refresh_status(&mut self) {
        let Ok(terminal) = &self.terminal else { return };
        let (config, demo, printing) = (&self.config, self.demo, &self.printing);
        let at_tender = self.customer.open_sale.as_ref();
        let with_printer = |id| printing.has_job(id);
        self.status
            .refresh(terminal, config, demo, at_tender, with_printer);
        let running = self.jobs.started().map(|w| w.config());
        self.status.watch(running, config, demo);
    }

    /// Only the print counts: after the printer answered.
    fn refresh_prints(&mut self) {
        let Ok(terminal) = &self.terminal else { return };
        let printing = &self.printing;
        self.status
            .refresh_prints(terminal, |id| printing.has_job(id));
    }

    /// Resolve payments in doubt by this policy before the 確認中 screen
    /// takes over (tests use none, to see that screen at once).
    pub fn with_resolve_policy(mut self, policy: crate::terminal::payment::ResolvePolicy) -> App {
        self.jobs.set_policy(policy);
        self
    }

    /// Print on this printer instead of the configured one (tests).
    pub fn with_printer(mut self, printer: Printer) -> App {
        self.printing.set_printer(Ok(printer));
        self
    }

    /// 立即查詢 on 確認中: the job pausing before its next look looks now
    /// (or one starts at once when none is out).
    pub fn ask_now(&mut self) {
        self.jobs.wake();
        let now = checkout::Message::Confirming(crate::ui::screen::confirming::Message::CheckNow);
        self.route(Message::Checkout(now));
    }

    /// Apply a message; the work it started waits in `tasks` for
    /// [`App::run_update`], the one way in from outside.
    fn update(&mut self, message: Message) {
        self.handle(message);
        self.log_shown();
    }

    /// A message, for the iced runtime (and the tests' driver): the work the
    /// screens and jobs started on it goes with it.
    pub fn run_update(&mut self, message: Message) -> iced::Task<Message> {
        self.update(message);
        let prints = self.printing.take_tasks();
        let prints = prints.into_iter().map(|t| t.map(Message::Printed));
        let jobs = self.jobs.take_tasks();
        let jobs = jobs.into_iter().map(|t| t.map(Message::Job));
        let mut tasks = std::mem::take(&mut self.tasks);
        tasks.extend(prints);
        tasks.extend(jobs);
        iced::Task::batch(tasks)
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Tick(now) => {
                if self.status.stale(now) {
                    invoices_owed::issue_paperless(&mut lend!(self));
                    self.refresh_status();
                    // Between sales, MyPay is asked for the e-invoices it owes.
                    let idle =
                        matches!(self.screen, Screen::Sale(_)) && self.customer.open_sale.is_none();
                    if idle && self.status.mypay_invoices_due() > 0 {
                        invoices_owed::fetch_from_mypay(&mut lend!(self));
                    }
                }
                return self.idle_check(now);
            }
            Message::Key(press) => {
                self.last_activity = Instant::now();
                let routed = self.keys.press(press);
                return self.routed(routed);
            }
            Message::KeyTick(now) => {
                let routed = self.keys.tick(now, Instant::now());
                return self.routed(routed);
            }
            // The hub already stripped the configured framing.
            Message::Scanner(ScannerEvent::Scan(scan)) => return self.scanned_code(scan.text, ""),
            Message::Scanner(event) => return self.status.scanner(&event),
            Message::Job(JobUpdate::Progress(event)) => return self.jobs.progress(event),
            Message::Job(JobUpdate::Done(handback)) => return self.job_back(handback),
            Message::Probed(round) => return self.status.probed(round),
            Message::Printed(printed) => {
                let answers =
                    self.printing
                        .printed(printed, self.terminal.as_mut().ok(), self.lang);
                return self.printed(answers);
            }
            _ => {}
        }
        self.last_activity = Instant::now();
        if self.lock.is_some() {
            return self.update_locked(message);
        }
        self.route(message)
    }

    /// A message for the screen showing (or the frame): one arm each.
    fn route(&mut self, message: Message) {
        match message {
            Message::SignIn(_)
            | Message::Tick(_)
            | Message::Key(_)
            | Message::KeyTick(_)
            | Message::Scanner(_)
            | Message::Job(_)
            | Message::Probed(_)
            | Message::Printed(_) => {}
            Message::Status(status_bar::Message::ResumePrinting) => self.resume_printing(),
            Message::Status(status_bar::Message::IssueAwaiting) => {
                invoices_owed::issue_awaiting(&mut lend!(self));
                self.refresh_status();
            }
            Message::Status(status_bar::Message::ShowOpenSales) => self.show_open_sales(),
            Message::SignOut => self.lock_now(None),
            Message::ToggleLanguage | Message::Shortcut(Shortcut::Language) => {
                self.lang = self.lang.toggled()
            }
            Message::Sale(m) => {
                let had_items = !self.customer.cart.is_empty();
                let Screen::Sale(state) = &mut self.screen else {
                    return;
                };
                let event = state.update(m, &mut self.customer.cart, &self.catalogue, self.lang);
                // The customer's e-invoice choice goes with their cart: once
                // it is emptied, the next customer must not get their carrier.
                if had_items && self.customer.cart.is_empty() {
                    self.customer.buyer.forget();
                }
                if let Some(sale::Event::Tender) = event {
                    let state = checkout::State::tender(&self.customer);
                    self.screen = Screen::Checkout(Box::new(state));
                }
            }
            Message::Checkout(m) => self.checkout(m),
            Message::OpenCloseDay => self.open_close_day(),
            Message::OpenHistory => self.open_history(),
            Message::OpenSettings => self.open_settings(),
            Message::Settings(m) => self.settings_update(m),
            Message::History(m) => {
                let Screen::History(state) = &mut self.screen else {
                    return;
                };
                let (task, event) = state.update(m, &mut lend!(self));
                self.tasks.push(task.map(Message::History));
                match event {
                    Some(history::Event::Back) => {
                        self.screen = Screen::Sale(sale::State::default())
                    }
                    Some(history::Event::Refund(sale_no)) => self.open_refund(Some(&sale_no)),
                    Some(history::Event::Settled) => self.refresh_status(),
                    Some(history::Event::TakeRest { sale, cart, due }) => {
                        self.customer.cart = cart;
                        self.customer.open_sale = Some(sale);
                        self.screen = Screen::Checkout(Box::new(checkout::State::rest(due)));
                        self.refresh_status();
                    }
                    None => {}
                }
            }
            Message::CloseDay(m) => {
                let Screen::CloseDay(state) = &mut self.screen else {
                    return;
                };
                let (task, event) = state.update(m, &mut lend!(self));
                self.tasks.push(task.map(Message::CloseDay));
                if let Some(close_day::Event::Back) = event {
                    self.screen = Screen::Sale(sale::State::default());
                }
            }
            Message::OpenRefund => self.open_refund(None),
            Message::Refund(m) => self.refund_message(m),
            Message::Shortcut(key) => self.shortcut(key),
        }
    }

    /// A message for the customer's payment, with what it needs lent.
    fn checkout(&mut self, m: checkout::Message) {
        let Screen::Checkout(state) = &mut self.screen else {
            return;
        };
        let (task, event) = state.update(m, &mut lend!(self), &mut self.customer);
        self.tasks.push(task.map(Message::Checkout));
        match event {
            Some(checkout::Event::Back) => self.screen = Screen::Sale(sale::State::default()),
            Some(checkout::Event::NextCustomer) => self.next_customer(),
            Some(checkout::Event::Paid { numbers_left }) => self.status.numbers_low(numbers_left),
            Some(checkout::Event::Reissued) => self.refresh_status(),
            None => {}
        }
    }

    /// The customer is done: the next one starts with an empty cart.
    fn next_customer(&mut self) {
        self.customer = Customer::default();
        self.printing.clear_preview();
        self.screen = Screen::Sale(sale::State::default());
    }

    /// A gateway job ended: the terminal comes home (the printer's answers
    /// kept while it was away are journaled), and what the job found goes
    /// to the screen that sent it. A job that died takes the terminal with
    /// it: the till says so and must restart.
    fn job_back(&mut self, handback: crate::ui::wallet::Handback) {
        let Some(done) = handback.take() else { return };
        let cancelled = self.jobs.ended();
        let (terminal, finished) = match done {
            Ok(back) => back,
            Err(died) => {
                self.terminal = Err(died);
                return;
            }
        };
        self.terminal = Ok(terminal);
        let kept = self
            .printing
            .journal_kept(self.terminal.as_mut().ok(), self.lang);
        self.printed(kept);
        if let Some((name, pin)) = self.pending_sign_in.take() {
            self.sign_in(&name, &pin);
        }
        match finished {
            Finished::Refund(r) => self.refund_message(refund::Message::Returned(Box::new(r))),
            Finished::MypayInvoices(result) => {
                invoices_owed::mypay_arrived(&mut lend!(self), result)
            }
            finished => {
                let back = checkout::Message::Finished {
                    finished: Box::new(finished),
                    cancelled,
                };
                self.route(Message::Checkout(back))
            }
        }
        self.refresh_status();
        // 確認中 and the PayPage look again, behind the lock too (a customer
        // may pay meanwhile) and never as a touch: like the job's end.
        let look = checkout::Message::LookAgain { cancelled };
        self.route(Message::Checkout(look));
    }

    /// Messages while the sign-in screen is up: only signing in and the
    /// language switch get through.
    fn update_locked(&mut self, message: Message) {
        let lang = self.lang;
        let event = match (message, self.lock.as_mut()) {
            (Message::ToggleLanguage | Message::Shortcut(Shortcut::Language), _) => {
                self.lang = self.lang.toggled();
                None
            }
            (Message::SignIn(m), Some(state)) => state.update(m, lang),
            (Message::Shortcut(key), Some(state)) => {
                state.key(key).and_then(|m| state.update(m, lang))
            }
            _ => None,
        };
        if let Some(sign_in::Event::SignIn { name, pin }) = event {
            if self.terminal.is_err() && self.jobs.is_out() {
                // Out with a job that only pauses (確認中, a PayPage): it
                // looks now and brings the terminal home; the sign-in then.
                self.pending_sign_in = Some((name, pin));
                return self.jobs.wake();
            }
            self.sign_in(&name, &pin);
        }
    }

    fn sign_in(&mut self, name: &str, pin: &crate::secret::Secret) {
        let Ok(terminal) = self.terminal.as_mut() else {
            return;
        };
        let why = match terminal.sign_in(name, pin) {
            Ok(_) => {
                self.lock = None;
                self.resume_printing();
                // Payments a crash or a lost answer left open are settled
                // first, on 確認中 (not the one whose screen asks already).
                let asking = matches!(&self.screen, Screen::Checkout(s) if s.with_gateway());
                if !asking && let Some(state) = checkout::State::recovery(&mut lend!(self)) {
                    self.screen = Screen::Checkout(Box::new(state));
                }
                return;
            }
            Err(TerminalError::WrongPin) => t(self.lang, "signin.wrong"),
            Err(e) => e.to_string(),
        };
        if let Some(state) = self.lock.as_mut() {
            state.update(sign_in::Message::Refused(why), self.lang);
        }
    }

    /// Act on what the wedge detector decided.
    fn routed(&mut self, routed: Vec<Routed>) {
        for r in routed {
            match r {
                Routed::Key(key) => {
                    if let Some(shortcut) = crate::ui::shortcut::of_key(&key) {
                        self.update(Message::Shortcut(shortcut));
                    }
                }
                Routed::Scan { code, from_field } => self.scanned(&code, &from_field),
            }
        }
    }

    /// A code typed by a keyboard-wedge scanner. Characters a focused text
    /// field swallowed are taken back.
    pub fn scanned(&mut self, raw: &str, from_field: &str) {
        let Some((code, _symbology)) = self.framing.apply(raw) else {
            return;
        };
        self.scanned_code(code, from_field);
    }

    fn scanned_code(&mut self, code: String, from_field: &str) {
        tracing::info!(code = %crate::barcode::mask_payment_code(&code), screen = self.screen_name(), "scan");
        if self.lock.is_some() {
            // Never PIN digits: a scan at the sign-in screen is dropped.
            return;
        }
        let from_field = from_field.to_string();
        // Before the tender, a carrier, donation code or BAN is the
        // customer's e-invoice choice.
        match (&self.screen, buyer_choice_of(&code, false)) {
            (Screen::Sale(_), Some(choice)) => {
                self.route(Message::Sale(sale::Message::TakeBack(from_field)));
                self.customer.buyer.choose(choice);
            }
            (Screen::Sale(_), None) => {
                self.route(Message::Sale(sale::Message::Scanned { code, from_field }))
            }
            (Screen::Checkout(_), _) => {
                let scanned = checkout::Message::Scanned { code, from_field };
                self.route(Message::Checkout(scanned))
            }
            (Screen::Settings(_), _) => self.settings_update(settings::Message::Scanned(code)),
            (Screen::Refund(state), _) if !state.is_running() => {
                self.refund_message(refund::Message::Scanned { code, from_field })
            }
            _ => {}
        }
    }

    /// Today's sales, from the sale screen with an empty cart.
    fn open_history(&mut self) {
        if !self.between_sales() {
            return;
        }
        let Ok(terminal) = &self.terminal else { return };
        self.screen = Screen::History(history::State::today(terminal));
    }

    /// The status bar's open sales, listed in history to settle.
    fn show_open_sales(&mut self) {
        if !self.between_sales() {
            return;
        }
        let Ok(terminal) = &self.terminal else { return };
        self.screen = Screen::History(history::State::open_sales(terminal));
    }

    /// After a restart or a paper change: jobs still waiting in the journal
    /// go to the printer again.
    fn resume_printing(&mut self) {
        if let Ok(terminal) = self.terminal.as_mut() {
            let answers = self.printing.resume(terminal);
            self.printed(answers);
        }
        self.refresh_status();
    }

    /// The close-the-day screen, from the sale screen with an empty cart.
    fn open_close_day(&mut self) {
        if !self.between_sales() {
            return;
        }
        let report = match &self.terminal {
            Ok(t) => t.x_report().map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        self.screen = Screen::CloseDay(close_day::State::new(report));
    }

    /// Whether the sale screen shows with an empty cart: the other screens
    /// open from there.
    fn between_sales(&self) -> bool {
        matches!(self.screen, Screen::Sale(_)) && self.customer.cart.is_empty()
    }

    /// The printer answered: each answer goes to the screen that waits on it.
    fn printed(&mut self, answers: Vec<Answer<PrintFor>>) {
        let answered = !answers.is_empty();
        for (reply, result) in answers {
            if let Reply::To(to) = reply {
                self.deliver(to, result);
            }
        }
        if answered {
            self.refresh_prints();
        }
    }

    /// Route a printer's answer, as its own message, to the screen that
    /// asked (dropped when that screen is gone, as a screen left behind
    /// has nobody to tell). A proof of the till's own roll is marked
    /// printed in the journal whatever shows.
    fn deliver(&mut self, to: PrintFor, result: Result<(), String>) {
        let message = match to {
            PrintFor::History(what) => Message::History(history::Message::Printed(what, result)),
            PrintFor::CloseDay(what) => {
                Message::CloseDay(close_day::Message::Printed(what, result))
            }
            PrintFor::Checkout(printed) => {
                Message::Checkout(checkout::Message::Printed(printed, result))
            }
            PrintFor::Proof { sale_no, number } => {
                let marked = result.and_then(|()| match (&number, self.terminal.as_mut()) {
                    (None, _) => Ok(()),
                    (Some(n), Ok(t)) => t.invoice_printed(n).map_err(|e| e.to_string()),
                    (Some(_), Err(e)) => Err(e.clone()),
                });
                let proof = checkout::Printed::Proof(sale_no);
                Message::Checkout(checkout::Message::Printed(proof, marked))
            }
            PrintFor::Refund => Message::Refund(refund::Message::SlipPrinted(result)),
            PrintFor::Settings => Message::Settings(settings::Message::Printed(result)),
        };
        self.route(message);
    }

    fn idle_check(&mut self, now: Instant) {
        if self.lock.is_none() && now.saturating_duration_since(self.last_activity) >= IDLE_LOCK {
            tracing::info!("idle: locking the till");
            self.lock_now(Some(t(self.lang, "signin.locked")));
        }
    }

    /// Sign out and show the sign-in screen; the cart and screen stay as
    /// they were for whoever signs in next.
    fn lock_now(&mut self, why: Option<String>) {
        if let Ok(terminal) = self.terminal.as_mut() {
            terminal.sign_out();
            self.staff = terminal.staff().unwrap_or_default();
        }
        // Settings are the manager's: whoever signs in next starts at the sale.
        if matches!(self.screen, Screen::Settings(_)) {
            self.screen = Screen::Sale(sale::State::default());
        }
        let mut state = sign_in::State::default();
        if let Some(why) = why {
            state.update(sign_in::Message::Refused(why), self.lang);
        }
        self.lock = Some(state);
    }

    fn shortcut(&mut self, key: Shortcut) {
        // What the key means to the screen showing, said by the screen.
        let said = match &self.screen {
            Screen::Sale(state) => state.key(key).map(Message::Sale),
            Screen::History(state) => state.key(key).map(Message::History),
            Screen::Settings(state) => state.key(key).map(Message::Settings),
            Screen::Refund(state) => state.key(key).map(Message::Refund),
            Screen::Checkout(state) => state.key(key).map(Message::Checkout),
            Screen::CloseDay(state) => state.key(key).map(Message::CloseDay),
        };
        if let Some(message) = said {
            return self.update(message);
        }
        match (&self.screen, key) {
            (Screen::Sale(_), Shortcut::CloseDay) => self.open_close_day(),
            (Screen::Sale(_), Shortcut::History) => self.open_history(),
            (Screen::Sale(_), Shortcut::Settings) => self.open_settings(),
            (Screen::Sale(_), Shortcut::Refund) => self.open_refund(None),
            _ => {}
        }
    }

    /// Every key press (for the wedge detector) and its clock while keys
    /// are held, the serial and HID scanners, the gateway probes, and a
    /// slow clock for the idle lock while signed in.
    pub fn subscription(&self) -> Subscription<Message> {
        let mut subs = vec![
            crate::ui::keys::presses().map(Message::Key),
            crate::ui::scanner::subscription(&self.config.scanner).map(Message::Scanner),
        ];
        subs.extend(self.status.subscription().map(|s| s.map(Message::Probed)));
        subs.extend(self.keys.clock().map(|s| s.map(Message::KeyTick)));
        // The idle lock's clock stays a timer: it counts minutes without a
        // touch (and the status bar's counts age by it).
        if self.lock.is_none() {
            subs.push(iced::time::every(Duration::from_secs(5)).map(Message::Tick));
        }
        Subscription::batch(subs)
    }
}

/// The Settings screen (issue #7): opening it, its events, and running
/// with what it saved.
impl App {
    /// Save settings to this file (tests; `boot` sets it from the source).
    pub fn with_config_file(mut self, path: impl Into<std::path::PathBuf>) -> App {
        self.config_path = Some(path.into());
        self
    }

    /// The settings, from the sale screen with an empty cart.
    fn open_settings(&mut self) {
        if !self.between_sales() {
            return;
        }
        let (path, terminal) = (self.config_path.clone(), self.terminal.as_ref().ok());
        let state = settings::State::open(&self.config, path, self.demo, terminal, self.lang);
        self.screen = Screen::Settings(Box::new(state));
    }

    fn settings_update(&mut self, m: settings::Message) {
        let Screen::Settings(state) = &mut self.screen else {
            return;
        };
        let (task, event) = state.update(m, &mut lend!(self));
        self.tasks.push(task.map(Message::Settings));
        match event {
            Some(settings::Event::Back) => self.screen = Screen::Sale(sale::State::default()),
            Some(settings::Event::Language(l)) => self.lang = l,
            Some(settings::Event::StaffChanged) => {
                if let Ok(t) = &self.terminal {
                    self.staff = t.staff().unwrap_or_default();
                }
            }
            Some(settings::Event::Saved(cfg)) => self.apply_settings(*cfg),
            None => {}
        }
    }

    /// Run with a configuration the Settings screen saved. The terminal id
    /// and journal need a restart (the screen says so); the rest applies now.
    fn apply_settings(&mut self, cfg: Config) {
        if cfg.printer != self.config.printer {
            // Jobs still with the old printer print there; their answers
            // come back as their tasks end.
            self.printing
                .set_printer(Printer::from_config(&cfg.printer).map_err(|e| e.to_string()));
        }
        if cfg.scanner != self.config.scanner {
            self.framing = Framing::from_config(&cfg.scanner);
            self.keys = KeyRouter::new(wedge_config(&cfg.scanner));
        }
        if cfg.gateways != self.config.gateways {
            self.jobs.gateways_changed();
        }
        self.config = cfg;
    }
}

/// Refunds (退款): the screen finds the sale, has it approved, sends it
/// and words its result; the app prints its slips.
impl App {
    /// The refund screen: from the sale screen with an empty cart, or on a
    /// sale shown in History.
    fn open_refund(&mut self, sale: Option<&str>) {
        let from_history = matches!(self.screen, Screen::History(_));
        if !from_history && !self.between_sales() {
            return;
        }
        let opening = refund::State::opening(&self.managers(), sale);
        self.screen = Screen::Refund(Box::default());
        for m in opening {
            self.refund_message(m);
        }
    }

    fn refund_message(&mut self, m: refund::Message) {
        let Screen::Refund(state) = &mut self.screen else {
            return;
        };
        let (task, event) = state.update(m, &mut lend!(self));
        self.tasks.push(task.map(Message::Refund));
        match event {
            Some(refund::Event::Back) => self.screen = Screen::Sale(sale::State::default()),
            None => {}
        }
    }
}
