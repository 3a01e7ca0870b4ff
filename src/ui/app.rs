//! The application shell: which screen is showing, the banner, the status
//! bar, keyboard shortcuts and the language switch.

mod frame;

use std::time::{Duration, Instant};

use iced::Subscription;

use crate::catalogue::Catalogue;
use crate::config::{Config, Source};
use crate::sale::Cart;
use crate::terminal::completion::{Completion, Invoice};
use crate::terminal::devices::{Framing, Printer, ScannerEvent, wedge_config};
use crate::terminal::views::{Role, User};
use crate::terminal::{Terminal, TerminalError};
use crate::ui::component::invoice::{buyer_choice_of, buyer_text, invoice_text};
use crate::ui::component::printing::{Answer, Printing, Reply};
use crate::ui::component::status_bar::{self, StatusBar};
use crate::ui::i18n::{Lang, t};
use crate::ui::keys::{KeyPress, KeyRouter, Routed, key_of};
use crate::ui::screen::PrintJob;
use crate::ui::screen::{
    close_day, confirming, done, history, paypage, refund, sale, settings, sign_in, tender,
};
use crate::ui::wallet::{Finished, JobUpdate, Out, Pacer, WalletPay};

mod payment;

/// Who waits on a print job: the screen the printer's answer goes to, as
/// that screen's own message (see [`App::deliver`]).
#[derive(Debug, Clone)]
enum PrintFor {
    History(history::Printed),
    CloseDay(close_day::Printed),
    /// The result screen of this sale (its receipt, a pay-later slip).
    Done(String),
    /// The proof of this sale's e-invoice; one of the till's own roll
    /// (`number`) is marked printed in the journal once it is.
    Proof {
        sale_no: String,
        number: Option<crate::einvoice::InvoiceNumber>,
    },
    /// The slip of the PayPage with this trade number.
    PayPage(String),
    Refund,
    Settings,
}

/// The till locks itself after this long without a touch or key.
pub const IDLE_LOCK: Duration = Duration::from_secs(5 * 60);

/// How often the PayPage screen asks MyPay whether it has been paid.
const PAYPAGE_EVERY: Duration = Duration::from_secs(3);

/// How often the 確認中 screen asks the gateway again on its own.
pub const CONFIRM_EVERY: Duration = Duration::from_secs(5);

/// The gateways probed for the status bar and what the last round found.
struct Health {
    targets: Vec<(crate::sale::GatewayId, String)>,
    found: crate::ui::health::Round,
}

pub struct App {
    lang: Lang,
    catalogue: Catalogue,
    /// `None` when the journal could not be opened: the app shows why.
    terminal: Result<Terminal, String>,
    staff: Vec<User>,
    cart: Cart,
    screen: Screen,
    /// Shown over the sign-in screen (e.g. why it locked).
    lock: Option<sign_in::State>,
    last_activity: Instant,
    /// Every key press passes the keyboard-wedge detector first.
    keys: KeyRouter,
    /// Prefix/suffix the configured scanner adds, stripped from scans.
    framing: Framing,
    /// The receipt printer and its journaled jobs.
    printing: Printing<PrintFor>,
    /// What the status bar says about a serial/HID scanner.
    scanner_state: Option<Result<String, String>>,
    config: Config,
    demo: bool,
    /// A demo till on a journal file: its simulators' shared books.
    simulator_books: Option<std::path::PathBuf>,
    /// Started on the first wallet scan (demo mode starts the simulators).
    wallet: Option<Result<crate::ui::wallet::WalletPay, String>>,
    /// The gateway job out with the terminal, if one is.
    job: Option<Out>,
    /// The pauses of the jobs that look again (確認中, PayPage).
    pacer: Pacer,
    /// The journaled sale of the current cart, once a payment was tried.
    open_sale: Option<crate::sale::SaleNo>,
    /// The customer's e-invoice choice for this sale (paper by default).
    buyer: crate::einvoice::buyer::BuyerChoice,
    /// Why the last buyer scan was refused, shown under the choice.
    buyer_error: Option<String>,
    /// A carrier, BAN or love code the cashier is typing in.
    buyer_input: String,
    /// The choice the sale's invoice was issued with (to offer a reissue
    /// on the result screen when the customer changes their mind).
    issued_buyer: Option<crate::einvoice::buyer::BuyerChoice>,
    /// The config file the Settings screen saves to; `None` in demo mode.
    config_path: Option<std::path::PathBuf>,
    /// What the status bar shows, refreshed on the clock tick and after
    /// every job (not on every frame: it reads the journal).
    status: StatusBar,
    /// Gateway reachability probes (configured gateways; in demo mode the
    /// simulators, once started).
    health: Option<Health>,
    /// Whether to probe at all: the real app does; an app built around a
    /// test's terminal does not (tests never reach outside loopback).
    probe_gateways: bool,
    /// How hard a payment in doubt is resolved before 確認中 takes over.
    resolve_policy: crate::terminal::payment::ResolvePolicy,
    /// Work the screens started, handed to the runtime after the update
    /// ([`App::run_update`]).
    tasks: Vec<iced::Task<Message>>,
    /// The screen, units and total last logged (see [`App::log_shown`]).
    shown: (&'static str, u64, crate::money::Ntd, Lang),
}

enum Screen {
    Sale(sale::State),
    CloseDay(close_day::State),
    Tender(tender::State),
    Done(done::State),
    History(history::State),
    Refund(Box<refund::State>),
    /// A wallet payment is with the gateway: what was scanned, shown while waiting.
    Paying {
        what: String,
    },
    /// Manager settings (or, for a cashier, why not).
    Settings(Box<settings::State>),
    /// A payment in doubt, or the start-up check of open ones (確認中).
    Confirming(confirming::State),
    /// The customer pays on their own phone (MyPay PayPage QR).
    PayPage(Box<paypage::State>),
}

#[derive(Debug, Clone)]
pub enum Message {
    SignIn(sign_in::Message),
    Sale(sale::Message),
    Tender(tender::Message),
    Done(done::Message),
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
    /// The cashier stops waiting for a wallet payment (取消 / Esc).
    CancelPayment,
    /// The printer answered for a job (`None`: its thread is gone).
    Printed(Option<crate::ui::spooler::Printed>),
    Confirming(confirming::Message),
    PayPage(paypage::Message),
    /// The e-invoice choice typed at the tender screen.
    BuyerInput(String),
    BuyerApply,
    /// Back to a printed proof (a BAN stays).
    BuyerPrint,
    /// Void the invoice just issued and issue it again as now chosen.
    Reissue,
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
        let demo = terminal.as_ref().is_ok_and(|t| t.is_demo());
        let simulator_books = terminal
            .as_ref()
            .ok()
            .and_then(|t| t.simulator_books().map(std::path::Path::to_path_buf));
        let staff = terminal
            .as_ref()
            .ok()
            .and_then(|t| t.staff().ok())
            .unwrap_or_default();
        let mut app = App {
            lang: Lang::default(),
            catalogue,
            terminal,
            staff,
            cart: Cart::new(),
            screen: Screen::Sale(sale::State::default()),
            lock: Some(sign_in::State::default()),
            last_activity: Instant::now(),
            keys: KeyRouter::new(wedge_config(&config.scanner)),
            framing: Framing::from_config(&config.scanner),
            printing: Printing::new(
                Printer::from_config(&config.printer).map_err(|e| e.to_string()),
                demo,
            ),
            scanner_state: None,
            config: config.clone(),
            demo,
            simulator_books,
            wallet: None,
            job: None,
            pacer: Pacer::default(),
            open_sale: None,
            buyer: crate::einvoice::buyer::BuyerChoice::Print,
            buyer_error: None,
            buyer_input: String::new(),
            issued_buyer: None,
            config_path: None,
            status: StatusBar::default(),
            resolve_policy: crate::ui::wallet::counter_policy(),
            health: None,
            probe_gateways: false,
            tasks: Vec::new(),
            shown: ("", 0, crate::money::Ntd::ZERO, Lang::default()),
        }
        .with_status();
        app.log_shown();
        app
    }

    /// Probe the gateways' reachability for the status bar (every
    /// [`crate::ui::health::PROBE_EVERY`], a subscription of their own).
    pub fn with_gateway_probes(mut self) -> App {
        self.probe_gateways = true;
        self.refresh_status();
        self
    }

    fn with_status(mut self) -> App {
        self.refresh_status();
        self
    }

    /// Re-read the counts the status bar shows.
    fn refresh_status(&mut self) {
        let Ok(terminal) = &self.terminal else { return };
        let at_tender = self.open_sale.as_ref();
        self.status
            .refresh(terminal, &self.config, self.demo, at_tender);
        self.refresh_prints();
        if self.probe_gateways && self.health.is_none() {
            // In demo mode the simulators are probed once they are running.
            let targets = match (&self.wallet, self.demo) {
                (Some(Ok(w)), _) => Some(crate::ui::health::targets(w.config())),
                (_, false) => Some(crate::ui::health::targets(&self.config)),
                _ => None,
            };
            if let Some(targets) = targets {
                self.health = Some(Health {
                    targets,
                    found: Vec::new(),
                });
            }
        }
    }

    /// Only the print counts: after the printer answered.
    fn refresh_prints(&mut self) {
        let Ok(terminal) = &self.terminal else { return };
        let printing = &self.printing;
        self.status
            .refresh_prints(terminal, |id| printing.has_job(id));
    }

    fn demo(&self) -> bool {
        self.demo
    }

    pub fn title(&self) -> String {
        let mut title = format!(
            "till — {} · {}",
            self.config.store.name, self.config.terminal.name
        );
        if self.demo() {
            title.push_str(" · 示範模式 DEMO");
        }
        title
    }

    /// Who is signed in.
    pub fn user(&self) -> Option<&User> {
        self.terminal.as_ref().ok().and_then(|t| t.user())
    }

    /// Resolve payments in doubt by this policy before the 確認中 screen
    /// takes over (tests use none, to see that screen at once).
    pub fn with_resolve_policy(mut self, policy: crate::terminal::payment::ResolvePolicy) -> App {
        self.resolve_policy = policy;
        self
    }

    /// Print on this printer instead of the configured one (tests).
    pub fn with_printer(mut self, printer: Printer) -> App {
        self.printing.set_printer(Ok(printer));
        self
    }

    pub fn terminal(&self) -> Option<&Terminal> {
        self.terminal.as_ref().ok()
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn cart(&self) -> &Cart {
        &self.cart
    }

    /// The screen's name, for tests and logs.
    pub fn screen_name(&self) -> &'static str {
        match self.screen {
            Screen::Paying { .. } if self.lock.is_none() => return "paying",
            Screen::Confirming(_) if self.lock.is_none() => return "confirming",
            Screen::PayPage(_) if self.lock.is_none() => return "paypage",
            _ => {}
        }
        if matches!(&self.screen, Screen::Refund(s) if s.is_running()) {
            return "refunding";
        }
        if self.terminal.is_err() {
            return "error";
        }
        if self.lock.is_some() {
            return "sign_in";
        }
        match self.screen {
            Screen::Sale(_) => "sale",
            Screen::Tender(_) => "tender",
            Screen::Done(_) => "done",
            Screen::CloseDay(_) => "close_day",
            Screen::History(_) => "history",
            Screen::Refund(_) => "refund",
            Screen::Paying { .. } => "paying",
            Screen::Settings(ref s) if s.is_refused() => "settings_refused",
            Screen::Settings(_) => "settings",
            Screen::Confirming(_) => "confirming",
            Screen::PayPage(_) => "paypage",
        }
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
        let mut tasks = std::mem::take(&mut self.tasks);
        tasks.extend(prints);
        iced::Task::batch(tasks)
    }

    /// Every change of screen or of the cart's count and total is logged:
    /// it tells what the till showed when, and lets scripts driving the
    /// real window wait for what it shows instead of sleeping (.ci/gui-*).
    fn log_shown(&mut self) {
        let shown = (
            self.screen_name(),
            self.cart.units(),
            self.cart.total(),
            self.lang,
        );
        if shown != self.shown {
            self.shown = shown;
            let (screen, items, total, lang) = shown;
            tracing::info!(screen, items, total = total.dollars(), ?lang, "shows");
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Tick(now) => {
                if self.status.stale(now) {
                    self.issue_paperless_awaiting();
                    self.refresh_status();
                    self.fetch_mypay_invoices();
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
            Message::Scanner(event) => return self.scanner_event(event),
            Message::Job(update) => return self.job_update(update),
            Message::Probed(round) => {
                if let Some(h) = self.health.as_mut() {
                    h.found = round;
                }
                return;
            }
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
            Message::CancelPayment => self.cancel_payment(),
            Message::PayPage(m) => {
                let event = match &mut self.screen {
                    Screen::PayPage(state) => state.update(m),
                    _ => None,
                };
                if let Some(paypage::Event::Cancel) = event {
                    self.cancel_paypage();
                }
            }
            Message::Confirming(m) => {
                let event = match &mut self.screen {
                    Screen::Confirming(state) => state.update(m),
                    _ => None,
                };
                match event {
                    Some(confirming::Event::CheckNow) => self.ask_now(),
                    Some(confirming::Event::Continue) => {
                        self.screen = Screen::Sale(sale::State::default())
                    }
                    None => {}
                }
            }
            Message::BuyerInput(s) => {
                self.buyer_input = s.chars().filter(|c| !c.is_control()).take(24).collect()
            }
            Message::BuyerApply => self.apply_typed_buyer(),
            Message::Reissue => self.reissue_invoice(),
            Message::Status(status_bar::Message::ResumePrinting) => self.resume_printing(),
            Message::Status(status_bar::Message::IssueAwaiting) => self.issue_awaiting_invoices(),
            Message::Status(status_bar::Message::ShowOpenSales) => self.show_open_sales(),
            Message::BuyerPrint => self.choose_buyer(crate::einvoice::buyer::BuyerChoice::Print),
            Message::SignOut => self.lock_now(None),
            Message::ToggleLanguage | Message::Shortcut(Shortcut::Language) => {
                self.lang = self.lang.toggled()
            }
            Message::Sale(m) => {
                let had_items = !self.cart.is_empty();
                let Screen::Sale(state) = &mut self.screen else {
                    return;
                };
                let event = state.update(m, &mut self.cart, &self.catalogue, self.lang);
                // The customer's e-invoice choice goes with their cart: once
                // it is emptied, the next customer must not get their carrier.
                if had_items && self.cart.is_empty() {
                    self.forget_buyer();
                }
                if let Some(sale::Event::Tender) = event {
                    let state = tender::State::new(self.cart.total());
                    self.screen = Screen::Tender(match self.open_sale {
                        Some(_) => state.typed_only(),
                        None => state,
                    });
                }
            }
            Message::Tender(m) => {
                if let Screen::Tender(state) = &mut self.screen {
                    match state.update(m, self.lang) {
                        Some(tender::Event::Back) => {
                            self.screen = Screen::Sale(sale::State::default())
                        }
                        Some(tender::Event::PaidCash { received }) => self.pay_cash(received),
                        Some(tender::Event::FindMember(no)) => self.find_member(&no),
                        Some(tender::Event::PayBoundCard {
                            member_id,
                            bind_card_id,
                        }) => self.send_to_gateway(
                            crate::terminal::payment::Tender::With(
                                crate::gateway::client::PayWith::BoundCard {
                                    bind_card_id,
                                    member_id,
                                },
                            ),
                            t(self.lang, "tender.tab_member"),
                        ),
                        Some(tender::Event::PayLater { pay_type, phone }) => self.send_to_gateway(
                            crate::terminal::payment::Tender::With(
                                crate::gateway::client::PayWith::PayLater { pay_type, phone },
                            ),
                            t(self.lang, "tender.tab_later"),
                        ),
                        Some(tender::Event::PayPage) => self.start_paypage(),
                        None => {}
                    }
                }
            }
            Message::Done(m) => {
                if let Screen::Done(state) = &mut self.screen
                    && let Some(done::Event::Next) = state.update(m)
                {
                    self.next_customer()
                }
            }
            Message::OpenCloseDay => self.open_close_day(),
            Message::OpenHistory => self.open_history(),
            Message::OpenSettings => self.open_settings(),
            Message::Settings(m) => self.settings_update(m),
            Message::History(m) => {
                let Screen::History(state) = &mut self.screen else {
                    return;
                };
                let mut ctx =
                    crate::ui::screen::Ctx::lend(&mut self.terminal, &self.config, self.lang);
                let (task, event) = state.update(m, &mut ctx);
                self.tasks.push(task.map(Message::History));
                match event {
                    Some(history::Event::Back) => {
                        self.screen = Screen::Sale(sale::State::default())
                    }
                    Some(history::Event::Print(job)) => {
                        self.print_jobs(vec![job], PrintFor::History)
                    }
                    Some(history::Event::ReprintProof {
                        sale_no,
                        manager,
                        pin,
                    }) => self.reprint_proof(&sale_no, &manager, &pin),
                    Some(history::Event::Refund(sale_no)) => self.open_refund(Some(&sale_no)),
                    Some(history::Event::Settled) => self.refresh_status(),
                    Some(history::Event::TakeRest { sale, cart, due }) => {
                        self.cart = cart;
                        self.open_sale = Some(sale);
                        self.screen = Screen::Tender(tender::State::new(due).typed_only());
                        self.refresh_status();
                    }
                    None => {}
                }
            }
            Message::CloseDay(m) => {
                let Screen::CloseDay(state) = &mut self.screen else {
                    return;
                };
                let mut ctx =
                    crate::ui::screen::Ctx::lend(&mut self.terminal, &self.config, self.lang);
                let (task, event) = state.update(m, &mut ctx);
                self.tasks.push(task.map(Message::CloseDay));
                match event {
                    Some(close_day::Event::Back) => {
                        self.screen = Screen::Sale(sale::State::default())
                    }
                    Some(close_day::Event::Print { document, what }) => {
                        let reply = Reply::To(PrintFor::CloseDay(what));
                        self.print_document("report", &document, None, None, reply)
                    }
                    Some(close_day::Event::OpenDrawer { manager }) => self.open_drawer(&manager),
                    None => {}
                }
            }
            Message::OpenRefund => self.open_refund(None),
            Message::Refund(m) => self.refund_message(m),
            Message::Shortcut(key) => self.shortcut(key),
        }
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
            (Message::Shortcut(Shortcut::Digit(d)), Some(state)) => {
                state.update(sign_in::Message::Digit(d), lang)
            }
            (Message::Shortcut(Shortcut::Backspace), Some(state)) => {
                state.update(sign_in::Message::Backspace, lang)
            }
            (Message::Shortcut(Shortcut::Enter), Some(state)) => {
                state.update(sign_in::Message::Submit, lang)
            }
            _ => None,
        };
        if let Some(sign_in::Event::SignIn { name, pin }) = event
            && let Ok(terminal) = self.terminal.as_mut()
        {
            let why = match terminal.sign_in(&name, &pin) {
                Ok(_) => {
                    self.lock = None;
                    self.resume_printing();
                    self.recover_open_payments();
                    return;
                }
                Err(TerminalError::WrongPin) => t(lang, "signin.wrong"),
                Err(e) => e.to_string(),
            };
            if let Some(state) = self.lock.as_mut() {
                state.update(sign_in::Message::Refused(why), lang);
            }
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

    fn scanner_event(&mut self, event: ScannerEvent) {
        match event {
            // The hub already stripped the configured framing.
            ScannerEvent::Scan(scan) => self.scanned_code(scan.text, ""),
            ScannerEvent::Connected(source) | ScannerEvent::Reconnected(source) => {
                self.scanner_state = Some(Ok(source.to_string()))
            }
            ScannerEvent::Disconnected { source, reason } => {
                tracing::warn!(%source, %reason, "scanner disconnected");
                self.scanner_state = Some(Err(source.to_string()))
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
        if matches!(
            self.screen,
            Screen::Sale(_) | Screen::Tender(_) | Screen::Done(_)
        ) && let Some(choice) = buyer_choice_of(&code, !matches!(self.screen, Screen::Sale(_)))
        {
            if matches!(self.screen, Screen::Sale(_)) {
                self.route(Message::Sale(sale::Message::TakeBack(from_field.into())));
            } else {
                crate::ui::keys::take_back(&mut self.buyer_input, from_field);
            }
            return self.choose_buyer(choice);
        }
        let from_field = from_field.to_string();
        match &self.screen {
            Screen::Sale(_) => {
                self.route(Message::Sale(sale::Message::Scanned { code, from_field }))
            }
            Screen::Tender(_) => {
                crate::ui::keys::take_back(&mut self.buyer_input, &from_field);
                self.pay_with_code(code)
            }
            Screen::Settings(_) => self.settings_update(settings::Message::Scanned(code)),
            Screen::Refund(state) if !state.is_running() => {
                self.refund_message(refund::Message::Scanned { code, from_field })
            }
            _ => {}
        }
    }

    /// Today's sales, from the sale screen with an empty cart.
    fn open_history(&mut self) {
        if !matches!(self.screen, Screen::Sale(_)) || !self.cart.is_empty() {
            return;
        }
        let Ok(terminal) = &self.terminal else { return };
        self.screen = Screen::History(history::State::today(terminal));
    }

    /// The status bar's open sales, listed in history to settle.
    fn show_open_sales(&mut self) {
        if !matches!(self.screen, Screen::Sale(_)) || !self.cart.is_empty() {
            return;
        }
        let Ok(terminal) = &self.terminal else { return };
        self.screen = Screen::History(history::State::open_sales(terminal));
    }

    /// 補印 of a sale's e-invoice proof, approved by a manager.
    fn reprint_proof(&mut self, sale_no: &str, manager: &str, pin: &crate::secret::Secret) {
        let reply = Reply::To(PrintFor::History(history::Printed::Proof));
        let terminal = self.terminal.as_mut().map_err(|e| e.as_str());
        let approval = crate::terminal::Approval { manager, pin };
        let answer = self.printing.reprint_proof(
            terminal,
            &self.config,
            sale_no,
            approval,
            reply,
            self.lang,
        );
        self.printed(answer.into_iter().collect());
        self.refresh_status();
    }

    /// A pay-later sale paid since (the callback server or `till recover`
    /// booked it) whose buyer chose a carrier or a donation gets its
    /// invoice without anyone pressing anything: there is nothing to print.
    fn issue_paperless_awaiting(&mut self) {
        let Ok(terminal) = self.terminal.as_mut() else {
            return;
        };
        match terminal.issue_awaiting_paperless(&self.config) {
            Ok(issued) => {
                for i in issued {
                    tracing::info!(sale = %i.sale, number = %i.invoice.number(), "e-invoice issued to the buyer's carrier for a sale paid later");
                }
            }
            Err(e) => tracing::warn!("e-invoice of a sale paid later not issued yet: {e}"),
        }
    }

    /// Every paid sale needs its e-invoice: issue those still without one
    /// (a pay-later order the customer paid later, an issue that failed),
    /// as the buyer chose at the counter, else as paper proofs kept for them.
    fn issue_awaiting_invoices(&mut self) {
        let sales = match &self.terminal {
            Ok(t) => t.sales_awaiting_invoice(&self.config).unwrap_or_default(),
            Err(_) => return,
        };
        for sale in sales {
            let issued = match self.terminal.as_mut() {
                Ok(t) => t.issue_awaiting_invoice(&self.config, &sale),
                Err(_) => return,
            };
            match issued {
                Ok(issued) => {
                    tracing::info!(sale = %sale, number = %issued.invoice.number(), "e-invoice issued for a sale paid earlier");
                    self.print_issued(&issued);
                }
                Err(e) => {
                    tracing::warn!(sale = %sale, "e-invoice still not issued: {e}");
                    break;
                }
            }
        }
        self.refresh_status();
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
        if !matches!(self.screen, Screen::Sale(_)) || !self.cart.is_empty() {
            return;
        }
        let report = match &self.terminal {
            Ok(t) => t.x_report().map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        self.screen = Screen::CloseDay(close_day::State::new(report));
    }

    /// Staff who may approve refunds, reprints and the day close.
    fn managers(&self) -> Vec<&User> {
        self.staff
            .iter()
            .filter(|u| u.role == Role::Manager)
            .collect()
    }

    /// Print a document as a journaled job through the printing component
    /// (with a manager's approval for a reprint); its answer goes to `reply`.
    fn print_document(
        &mut self,
        kind: &str,
        document: &crate::print::document::Document,
        sale: Option<&crate::sale::SaleNo>,
        approval: Option<crate::terminal::Approval<'_>>,
        reply: Reply<PrintFor>,
    ) {
        let terminal = self.terminal.as_mut().map_err(|e| e.as_str());
        let job = crate::ui::component::printing::Job {
            kind,
            sale,
            approval,
        };
        let answer = self
            .printing
            .print_document(terminal, job, document, reply, self.lang);
        self.printed(answer.into_iter().collect());
    }

    /// Print what a screen asked for; the jobs it awaits answer to `to`.
    fn print_jobs<A>(&mut self, jobs: Vec<PrintJob<A>>, to: impl Fn(A) -> PrintFor) {
        for job in jobs {
            let reply = match job.answer {
                Some(answer) => Reply::To(to(answer)),
                None => Reply::Log(job.kind),
            };
            let approval = job
                .approval
                .as_ref()
                .map(|(manager, pin)| crate::terminal::Approval { manager, pin });
            let sale = job.sale.as_ref();
            self.print_document(job.kind, &job.document, sale, approval, reply);
        }
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
            PrintFor::Done(sale) => Message::Done(done::Message::Printed(sale, result)),
            PrintFor::Proof { sale_no, number } => {
                let marked = result.and_then(|()| match (&number, self.terminal.as_mut()) {
                    (None, _) => Ok(()),
                    (Some(n), Ok(t)) => t.invoice_printed(n).map_err(|e| e.to_string()),
                    (Some(_), Err(e)) => Err(e.clone()),
                });
                let paper = match marked {
                    Ok(()) => done::Paper::Printed,
                    Err(e) => done::Paper::Failed(e),
                };
                Message::Done(done::Message::Paper(sale_no, paper))
            }
            PrintFor::PayPage(trade) => {
                Message::PayPage(paypage::Message::SlipPrinted(trade, result))
            }
            PrintFor::Refund => Message::Refund(refund::Message::SlipPrinted(result)),
            PrintFor::Settings => Message::Settings(settings::Message::Printed(result)),
        };
        self.route(message);
    }

    /// The drawer's pulse and its NO SALE slip, for the close-day screen.
    fn open_drawer(&mut self, manager: &str) {
        let reply = Reply::To(PrintFor::CloseDay(close_day::Printed::Drawer));
        let terminal = self.terminal.as_mut().map_err(|e| e.as_str());
        let answer = self.printing.no_sale(terminal, manager, reply, self.lang);
        self.printed(answer.into_iter().collect());
    }

    /// Send the journaled jobs of a completion to the printer, each with
    /// the screen that waits on it (the result screen of `sale`).
    fn print_completion(&mut self, sale: &crate::sale::SaleNo, done: Completion) {
        use crate::terminal::completion::Printout;
        let sale_no = sale.to_string();
        if done
            .jobs
            .iter()
            .any(|j| matches!(j.what, Printout::Proof { .. }))
        {
            let printing = done::Message::Paper(sale_no.clone(), done::Paper::Printing);
            self.route(Message::Done(printing));
        }
        let reply = |what: &Printout| match what {
            Printout::Receipt => Reply::To(PrintFor::Done(sale_no.clone())),
            Printout::Proof { number } => Reply::To(PrintFor::Proof {
                sale_no: sale_no.clone(),
                number: number.clone(),
            }),
            Printout::DetailSlip => Reply::Log("detail slip"),
        };
        let answers = self.printing.print_completion(done, reply, self.lang);
        self.printed(answers);
    }

    /// Print what an issued invoice needs; the invoice as the result
    /// screen shows it.
    fn print_issued(&mut self, issued: &crate::terminal::IssuedProof) -> Invoice {
        let (invoice, done) = self
            .printing
            .queue_issued(self.terminal.as_mut().ok(), issued);
        self.print_completion(&issued.sale, done);
        invoice
    }

    /// The proof of an invoice MyPay issued after its payment, fetched now.
    fn print_mypay_invoice(&mut self, sale: &crate::sale::SaleNo) -> Result<Invoice, String> {
        let terminal = self.terminal.as_mut().map_err(|e| e.as_str());
        let (invoice, done) = self.printing.queue_mypay_invoice(terminal, sale);
        self.print_completion(sale, done);
        invoice
    }

    /// How many print-outs the result screen previews (demo mode).
    pub fn preview_count(&self) -> usize {
        self.printing.preview().len()
    }

    /// After payment the customer wants another e-invoice choice (a BAN
    /// after all, a carrier instead of paper): void the invoice just issued
    /// and issue a new one, on the result screen of that sale.
    fn reissue_invoice(&mut self) {
        let lang = self.lang;
        let Screen::Done(done) = &self.screen else {
            return;
        };
        let Ok(sale) = done.sale_no.parse::<crate::sale::SaleNo>() else {
            return;
        };
        if self.issued_buyer.as_ref() == Some(&self.buyer) {
            self.buyer_error = Some(t(lang, "buyer.unchanged"));
            return;
        }
        let buyer = self.buyer.clone();
        let outcome = match self.terminal.as_mut() {
            Ok(terminal) => terminal
                .reissue_invoice(&self.config, &sale, &buyer)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        match outcome {
            Ok(r) => {
                self.issued_buyer = Some(r.issued.buyer.clone());
                self.buyer_error = None;
                let number = invoice_text(&self.print_issued(&r.issued), self.lang);
                let voided = r.voided.dashed();
                let text = crate::ui::i18n::tf(
                    lang,
                    if r.recover_proof {
                        "result.reissued_take_back"
                    } else {
                        "result.reissued"
                    },
                    &[
                        ("old", &voided),
                        ("new", &r.issued.invoice.number().dashed()),
                    ],
                );
                match number {
                    Ok(number) => self.route(Message::Done(done::Message::Reissued {
                        number,
                        note: text,
                    })),
                    Err(e) => self.buyer_error = Some(e),
                }
                self.refresh_status();
            }
            Err(e) => self.buyer_error = Some(e),
        }
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
            _ => None,
        };
        if let Some(message) = said {
            return self.update(message);
        }
        match (&self.screen, key) {
            (Screen::Tender(_), Shortcut::Escape) => {
                self.update(Message::Tender(tender::Message::Back))
            }
            (Screen::Tender(_), Shortcut::Enter | Shortcut::Pay) => {
                self.update(Message::Tender(tender::Message::Confirm))
            }
            (Screen::Tender(_), Shortcut::Digit(d)) => {
                self.update(Message::Tender(tender::Message::Digit(d)))
            }
            (Screen::Tender(_), Shortcut::Backspace) => {
                self.update(Message::Tender(tender::Message::Backspace))
            }
            // With change to give, only a tap goes on: a second Enter
            // meant for the tender never skips the change.
            (Screen::Done(d), Shortcut::Enter | Shortcut::Escape) if !d.change.is_positive() => {
                self.next_customer()
            }
            (Screen::PayPage(_), Shortcut::Escape) => self.cancel_paypage(),
            (Screen::Paying { .. }, Shortcut::Escape) => self.cancel_payment(),
            (Screen::Confirming(state), Shortcut::Enter) if state.recovery_done() => {
                self.update(Message::Confirming(confirming::Message::Continue))
            }
            (Screen::Sale(_), Shortcut::CloseDay) => self.open_close_day(),
            (Screen::Sale(_), Shortcut::History) => self.open_history(),
            (Screen::Sale(_), Shortcut::Settings) => self.open_settings(),
            (Screen::CloseDay(_), Shortcut::Escape) => {
                self.update(Message::CloseDay(close_day::Message::Back))
            }
            (Screen::CloseDay(_), Shortcut::Digit(d)) => {
                self.update(Message::CloseDay(close_day::Message::Digit(d)))
            }
            (Screen::CloseDay(_), Shortcut::Backspace) => {
                self.update(Message::CloseDay(close_day::Message::Backspace))
            }
            (Screen::Sale(_), Shortcut::Refund) => self.open_refund(None),
            _ => {}
        }
    }

    /// Every key press (for the wedge detector), its decision timer while
    /// keys are held, and a slow clock for the idle lock while signed in.
    pub fn subscription(&self) -> Subscription<Message> {
        let keys = iced::event::listen_with(|event, status, _window| match event {
            iced::Event::Keyboard(iced::keyboard::Event::KeyPressed {
                key,
                text,
                modifiers,
                ..
            }) => Some(Message::Key(KeyPress {
                key: key_of(&key, text.as_deref(), modifiers),
                captured: status == iced::event::Status::Captured,
                at: Instant::now(),
            })),
            _ => None,
        });
        let mut subs = vec![
            keys,
            crate::ui::scanner::subscription(&self.config.scanner).map(Message::Scanner),
        ];
        if let Some(h) = &self.health {
            subs.push(crate::ui::health::probes(h.targets.clone()).map(Message::Probed));
        }
        // The two clocks stay timers: they are about time itself, not jobs
        // (the wedge detector decides held keys by their age; the idle lock
        // counts minutes without a touch).
        if self.keys.deadline().is_some() {
            subs.push(iced::time::every(Duration::from_millis(20)).map(Message::KeyTick));
        }
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

    /// The configuration the till runs with now.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The settings, from the sale screen with an empty cart.
    fn open_settings(&mut self) {
        if !matches!(self.screen, Screen::Sale(_)) || !self.cart.is_empty() {
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
        let mut ctx = crate::ui::screen::Ctx::lend(&mut self.terminal, &self.config, self.lang);
        let (task, event) = state.update(m, &mut ctx);
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
            Some(settings::Event::TestPrint { page, trial }) => {
                if let Some(p) = trial {
                    // Until its job is back; the till's printer stays as saved.
                    self.printing.try_printer(*p);
                }
                let reply = Reply::To(PrintFor::Settings);
                self.print_document("test_page", &page, None, None, reply);
            }
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
        if cfg.gateways != self.config.gateways && !self.demo {
            // The next wallet payment starts with the new gateways.
            self.wallet = None;
        }
        self.config = cfg;
    }
}

/// Refunds (退款): the screen finds the sale, has it approved and words
/// its result; the app hands the refund to the gateway job and prints.
impl App {
    /// The refund screen: from the sale screen with an empty cart, or on a
    /// sale shown in History.
    fn open_refund(&mut self, sale: Option<&str>) {
        let from_history = matches!(self.screen, Screen::History(_));
        if !from_history && (!matches!(self.screen, Screen::Sale(_)) || !self.cart.is_empty()) {
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
        let mut ctx = crate::ui::screen::Ctx::lend(&mut self.terminal, &self.config, self.lang);
        let (task, event) = state.update(m, &mut ctx);
        self.tasks.push(task.map(Message::Refund));
        match event {
            Some(refund::Event::Back) => self.screen = Screen::Sale(sale::State::default()),
            Some(refund::Event::Send {
                sale,
                request,
                reason,
                manager,
            }) => self.send_refund(sale, request, reason, manager),
            Some(refund::Event::Print(jobs)) => self.print_jobs(jobs, |()| PrintFor::Refund),
            None => {}
        }
    }

    /// Hand the terminal to the gateway job of a refund a manager approved.
    fn send_refund(
        &mut self,
        sale: crate::sale::SaleNo,
        request: crate::sale::RefundRequest,
        reason: String,
        manager: User,
    ) {
        use refund::Message as M;
        if let Err(e) = self.start_wallet() {
            return self.refund_message(M::NotSent(e));
        }
        let Some(terminal) = self.take_terminal() else {
            let busy = t(self.lang, "paying.busy");
            return self.refund_message(M::NotSent(busy));
        };
        if let Some(Ok(wallet)) = self.wallet.as_ref() {
            let task = wallet.refund(terminal, &self.config, sale, request, reason, manager);
            self.job_out(task, None);
        }
    }

    /// The refund's gateway job came back with the terminal: the screen
    /// words the result and asks for its slips.
    fn refund_finished(
        &mut self,
        terminal: Terminal,
        result: Result<crate::ui::refund_flow::RefundOutcome, crate::terminal::PayError>,
    ) {
        self.terminal = Ok(terminal);
        let result = Box::new(result.map_err(|e| e.to_string()));
        self.refund_message(refund::Message::Returned(result));
    }
}
