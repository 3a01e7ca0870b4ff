//! The application shell: which screen is showing, the banner, the status
//! bar, keyboard shortcuts and the language switch.

use std::time::{Duration, Instant};

use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, Subscription};

use crate::catalogue::Catalogue;
use crate::config::{Config, Source};
use crate::device::printer::Printer;
use crate::device::scanner::wedge::Key;
use crate::device::scanner::{Framing, ScannerEvent};
use crate::journal::User;
use crate::sale::Cart;
use crate::terminal::completion::{Completion, Invoice};
use crate::terminal::{Terminal, TerminalError};
use crate::ui::component::printing::{Answer, Printing, Reply};
use crate::ui::component::status_bar::{self, StatusBar};
use crate::ui::i18n::{Lang, t};
use crate::ui::keys::{KeyPress, KeyRouter, Routed, key_of};
use crate::ui::screen::{
    close_day, confirming, done, history, paypage, sale, settings, sign_in, tender,
};
use crate::ui::theme;
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

/// How wide each print-out is shown on the result screen (demo mode).
const PREVIEW_WIDTH: f32 = 180.0;

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
    /// A refund with the gateway (the terminal went with it).
    /// The refund with the gateway: why, and who approved (for its slip).
    refunding: Option<(String, String)>,
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
    Refund(Box<crate::ui::screen::refund::State>),
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
    Refund(crate::ui::screen::refund::Message),
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

/// Keys that work on every screen (listed in the footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// F2: take payment.
    Pay,
    /// F4: switch language.
    Language,
    /// F8: remove the last line (asks first).
    Remove,
    /// F9: close the day.
    CloseDay,
    /// F6: history.
    History,
    /// F10: settings (managers).
    Settings,
    /// F7: refund.
    Refund,
    Escape,
    Enter,
    Digit(char),
    Backspace,
}

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
            keys: KeyRouter::new(crate::device::scanner::wedge::WedgeConfig {
                max_gap: Duration::from_millis(config.scanner.wedge_max_gap_ms),
                min_len: config.scanner.wedge_min_len,
                idle_timeout: Duration::from_millis(config.scanner.wedge_idle_ms),
                ..Default::default()
            }),
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
            refunding: None,
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

    /// What the customer-facing window shows now.
    pub fn customer_display(&self) -> crate::ui::customer::CustomerDisplay {
        use crate::ui::customer::CustomerDisplay as D;
        let total = self.cart.total();
        if self.lock.is_some() && !matches!(self.screen, Screen::Paying { .. }) {
            return D::Welcome {
                store: self.config.store.name.clone(),
            };
        }
        match &self.screen {
            Screen::Sale(_) if self.cart.is_empty() => D::Welcome {
                store: self.config.store.name.clone(),
            },
            Screen::Sale(_) => D::Basket {
                lines: self
                    .cart
                    .lines()
                    .iter()
                    .map(|l| (l.name.clone(), l.qty, l.total().unwrap_or(l.unit_price)))
                    .collect(),
                total,
            },
            Screen::Tender(_) => D::Due { total },
            Screen::Paying { .. } | Screen::Confirming(_) => D::Processing { total },
            Screen::PayPage(state) => D::PayPage {
                total: state.order.amount,
                url: state.order.url.clone(),
            },
            Screen::Done(d) => D::Paid {
                total: d.total,
                change: d.change,
            },
            _ => D::Welcome {
                store: self.config.store.name.clone(),
            },
        }
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
                let routed = self.keys.tick(now);
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
                if let Screen::Sale(state) = &mut self.screen
                    && let Some(sale::Event::Tender) =
                        state.update(m, &mut self.cart, &self.catalogue, self.lang)
                {
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
                    Some(history::Event::Reprint {
                        sale_no,
                        manager,
                        pin,
                    }) => self.reprint_receipt(&sale_no, &manager, &pin),
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
                    if let Some(shortcut) = shortcut_for(&key) {
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
            Screen::Refund(state) if !state.is_running() => self
                .refund_message(crate::ui::screen::refund::Message::Scanned { code, from_field }),
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

    fn reprint_receipt(&mut self, sale_no: &str, manager: &str, pin: &crate::secret::Secret) {
        let reply = Reply::To(PrintFor::History(history::Printed::Receipt));
        let document = (|| -> Result<_, String> {
            let sale: crate::sale::SaleNo = sale_no.parse().map_err(|e| format!("{e}"))?;
            let data = self
                .terminal
                .as_ref()
                .map_err(|e| e.clone())?
                .receipt(&sale, &self.config.store, true)
                .map_err(|e| e.to_string())?;
            Ok((sale, crate::print::document::receipt_document(&data)))
        })();
        match document {
            Ok((sale, document)) => self.print_document(
                crate::terminal::RECEIPT,
                &document,
                Some(&sale),
                Some(crate::terminal::Approval { manager, pin }),
                reply,
            ),
            Err(e) => self.printed(vec![(reply, Err(e))]),
        }
    }

    /// 補印 of a sale's e-invoice proof: a manager approves, it is audited,
    /// and a proof cut short on paper is closed by it.
    fn reprint_proof(&mut self, sale_no: &str, manager: &str, pin: &crate::secret::Secret) {
        let lang = self.lang;
        let reply = || Reply::To(PrintFor::History(history::Printed::Proof));
        let sale: crate::sale::SaleNo = match sale_no.parse() {
            Ok(s) => s,
            Err(e) => return self.printed(vec![(reply(), Err(format!("{e}")))]),
        };
        let profile = match self.printing.profile() {
            Ok(p) => p,
            Err(e) => return self.printed(vec![(reply(), Err(e))]),
        };
        let queued = match self.terminal.as_mut() {
            Ok(t) => t
                .queue_proof_reprint(
                    &self.config,
                    &profile,
                    &sale,
                    crate::terminal::Approval { manager, pin },
                )
                .map_err(|e| print_error_text(e, lang)),
            Err(e) => Err(e.clone()),
        };
        let answer = match queued {
            Ok((id, bytes)) => self
                .printing
                .submit(id, crate::terminal::PROOF, bytes, reply()),
            Err(e) => Some((reply(), Err(e))),
        };
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
    /// go to the printer again (proofs cut short wait for a manager's 補印).
    fn resume_printing(&mut self) {
        if self.printing.setup_error().is_some() {
            return;
        }
        let jobs = match self.terminal.as_mut() {
            Ok(t) => t.take_resumable_prints(),
            Err(_) => return,
        };
        match jobs {
            Ok(jobs) => {
                if !jobs.is_empty() {
                    tracing::info!(jobs = jobs.len(), "printing what was left waiting");
                }
                for job in jobs {
                    let reply = Reply::Log("a resumed job");
                    let answer = self.printing.submit(job.id, &job.kind, job.payload, reply);
                    self.printed(answer.into_iter().collect());
                }
            }
            Err(e) => tracing::warn!("cannot resume printing: {e}"),
        }
        self.refresh_status();
    }

    /// The close-the-day screen, from the sale screen with an empty cart.
    fn open_close_day(&mut self) {
        if !matches!(self.screen, Screen::Sale(_)) || !self.cart.is_empty() {
            return;
        }
        let report = self.x_report();
        self.screen = Screen::CloseDay(close_day::State::new(report));
    }

    /// Staff who may approve refunds, reprints and the day close.
    fn managers(&self) -> Vec<&User> {
        self.staff
            .iter()
            .filter(|u| u.role == crate::journal::Role::Manager)
            .collect()
    }

    fn x_report(&self) -> Result<crate::journal::ShiftReport, String> {
        match &self.terminal {
            Ok(t) => t.x_report().map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        }
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
            PrintFor::Refund => {
                Message::Refund(crate::ui::screen::refund::Message::SlipPrinted(result))
            }
            PrintFor::Settings => Message::Settings(settings::Message::Printed(result)),
        };
        self.route(message);
    }

    /// The drawer's pulse, with a short slip: the opening a manager
    /// approved (audited by the close-day screen) is on paper too.
    fn open_drawer(&mut self, manager: &str) {
        let reply = || Reply::To(PrintFor::CloseDay(close_day::Printed::Drawer));
        let pin_no = self
            .printing
            .profile()
            .ok()
            .and_then(|p| p.drawer_pins.first().copied());
        let Some(pin_no) = pin_no else {
            let why = t(self.lang, "closeday.no_drawer");
            return self.printed(vec![(reply(), Err(why))]);
        };
        let slip =
            crate::print::slips::no_sale_slip_document(&crate::print::slips::NoSaleSlipData {
                drawer_pin: pin_no,
                datetime: self
                    .terminal()
                    .map(|t| t.now().format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default(),
                manager: manager.to_string(),
            });
        self.print_document("no_sale", &slip, None, None, reply());
    }

    /// Send the journaled jobs of a completion to the printer, each with
    /// the screen that waits on it (the result screen of `sale`).
    fn print_completion(&mut self, sale: &crate::sale::SaleNo, done: Completion) {
        use crate::terminal::completion::Printout;
        let sale_no = sale.to_string();
        let reply = |what: &Printout| match what {
            Printout::Receipt => Reply::To(PrintFor::Done(sale_no.clone())),
            Printout::Proof { number } => Reply::To(PrintFor::Proof {
                sale_no: sale_no.clone(),
                number: number.clone(),
            }),
            Printout::DetailSlip => Reply::Log("detail slip"),
        };
        for job in done.jobs {
            if let Printout::Proof { .. } = job.what {
                let printing = done::Message::Paper(sale_no.clone(), done::Paper::Printing);
                self.route(Message::Done(printing));
            }
            let answer = self
                .printing
                .submit(job.id, job.kind, job.bytes, reply(&job.what));
            self.printed(answer.into_iter().collect());
        }
        for (what, e) in done.not_queued {
            let why = print_error_text(e, self.lang);
            self.printed(vec![(reply(&what), Err(why))]);
        }
    }

    /// Print what an issued invoice needs (the proof, marked printed once
    /// it is, and the detail slip for a buyer with a BAN); the invoice as
    /// the result screen shows it.
    fn print_issued(&mut self, issued: &crate::terminal::IssuedProof) -> Invoice {
        let mut done = Completion::empty();
        let invoice = match (self.printing.profile(), self.terminal.as_mut()) {
            (Ok(profile), Ok(t)) => t.queue_issued(&profile, issued, &mut done),
            _ => Invoice::Issued {
                number: issued.invoice.number().clone(),
                paper: issued.proof.is_some(),
                buyer: issued.buyer.clone(),
            },
        };
        self.print_completion(&issued.sale, done);
        invoice
    }

    /// The proof of an invoice MyPay issued after its payment, fetched now.
    fn print_mypay_invoice(&mut self, sale: &crate::sale::SaleNo) -> Result<Invoice, String> {
        let mut done = Completion::empty();
        let invoice = match (self.printing.profile(), self.terminal.as_mut()) {
            (Ok(profile), Ok(t)) => t.queue_mypay_invoice(&profile, sale, &mut done),
            (Err(e), _) => Err(e),
            (_, Err(e)) => Err(e.clone()),
        };
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
        match (&self.screen, key) {
            (Screen::Sale(_), Shortcut::Pay) => self.update(Message::Sale(sale::Message::Tender)),
            (Screen::Sale(_), Shortcut::Remove) => {
                self.update(Message::Sale(sale::Message::AskRemoveLast))
            }
            (Screen::Sale(state), Shortcut::Escape) if state.is_confirming() => {
                self.update(Message::Sale(sale::Message::Keep))
            }
            (Screen::Sale(state), Shortcut::Enter) if state.is_confirming() => {
                self.update(Message::Sale(sale::Message::ConfirmRemove))
            }
            (Screen::Sale(state), Shortcut::Enter) => {
                let m = state.enter();
                self.update(Message::Sale(m))
            }
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
            (Screen::Settings(_), Shortcut::Escape) => {
                self.update(Message::Settings(settings::Message::Back))
            }
            (Screen::History(_), Shortcut::Escape) => {
                self.update(Message::History(history::Message::Back))
            }
            (Screen::History(state), Shortcut::Enter) if !state.query().is_empty() => {
                self.update(Message::History(history::Message::Search))
            }
            (Screen::History(_), Shortcut::Digit(d)) => {
                self.update(Message::History(history::Message::Digit(d)))
            }
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
            (Screen::Refund(_), key) => self.refund_shortcut(key),
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

    pub fn view(&self) -> Element<'_, Message> {
        let lang = self.lang;
        let body: Element<'_, Message> = match (&self.terminal, &self.lock, &self.screen) {
            // The terminal is away with the payment: show the wait.
            (
                _,
                None,
                screen @ (Screen::Paying { .. } | Screen::Confirming(_) | Screen::PayPage(_)),
            ) => self.screen_view(screen),
            (_, None, screen @ Screen::Refund(s)) if s.is_running() => self.screen_view(screen),
            (Err(e), _, _) => container(
                column![
                    text(t(lang, "app.cannot_start"))
                        .size(theme::TEXT_LARGE)
                        .color(theme::DANGER_RED),
                    text(e.clone()).size(theme::TEXT),
                ]
                .spacing(theme::GAP),
            )
            .padding(theme::PAD)
            .into(),
            (Ok(_), Some(state), _) => state
                .view(
                    &self.staff,
                    crate::ui::screen::history::open_sales_notice(self.status.open_sales(), lang),
                    lang,
                )
                .map(Message::SignIn),
            (Ok(_), None, screen) => self.screen_view(screen),
        };

        let mut header = row![
            text(format!(
                "{} · {}",
                self.config.store.name, self.config.terminal.name
            ))
            .size(theme::TEXT)
            .width(Length::Fill),
        ]
        .spacing(theme::GAP)
        .align_y(Alignment::Center)
        .padding([8, 16]);
        if let Some(user) = self.user() {
            if self.lock.is_none() && matches!(self.screen, Screen::Sale(_)) && self.cart.is_empty()
            {
                header = header.push(
                    button(text(t(lang, "history.open")).size(theme::TEXT_SMALL))
                        .on_press(Message::OpenHistory)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                );
                header = header.push(
                    button(text(t(lang, "refund.open")).size(theme::TEXT_SMALL))
                        .on_press(Message::OpenRefund)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                );
                header = header.push(
                    button(text(t(lang, "closeday.open")).size(theme::TEXT_SMALL))
                        .on_press(Message::OpenCloseDay)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                );
                // Only managers see the button; F10 tells anyone else why not.
                if user.role == crate::journal::Role::Manager {
                    header = header.push(
                        button(text(t(lang, "settings.open")).size(theme::TEXT_SMALL))
                            .on_press(Message::OpenSettings)
                            .style(theme::secondary)
                            .padding(theme::target_padding(theme::TEXT_SMALL)),
                    );
                }
            }
            header = header
                .push(text(user.name.clone()).size(theme::TEXT_SMALL))
                .push(
                    button(text(t(lang, "signin.sign_out")).size(theme::TEXT_SMALL))
                        .on_press(Message::SignOut)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                );
        }
        header = header.push(
            button(text(t(lang, "app.language")).size(theme::TEXT_SMALL))
                .on_press(Message::ToggleLanguage)
                .style(theme::secondary)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
        );

        let mut page = column![];
        if self.demo() {
            page = page.push(
                container(text(t(lang, "app.demo_banner")).size(theme::TEXT))
                    .padding([6, 16])
                    .width(Length::Fill)
                    .style(theme::demo_banner),
            );
        }
        page.push(header)
            .push(container(body).padding([0, 16]).height(Length::Fill))
            .push(self.status_bar())
            .into()
    }

    fn status_bar(&self) -> Element<'_, Message> {
        let look = status_bar::Look {
            printer_error: self.printing.setup_error(),
            last_print: self.printing.last(),
            printer_busy: self.printing.busy(),
            demo: self.demo,
            scanner: self.scanner_state.as_ref(),
            gateways: self
                .health
                .as_ref()
                .map(|h| h.found.clone())
                .unwrap_or_default(),
            probing: self.health.is_some(),
        };
        self.status.view(look, self.lang).map(Message::Status)
    }

    fn screen_view<'a>(&'a self, screen: &'a Screen) -> Element<'a, Message> {
        let lang = self.lang;
        match screen {
            Screen::Sale(state) => state
                .view(&self.cart, &self.catalogue, lang)
                .map(Message::Sale),
            Screen::Tender(state) => {
                let mut col = column![self.buyer_chooser(false)].spacing(4);
                if let Some(e) = &self.buyer_error {
                    col = col.push(text(e.clone()).size(theme::TEXT).color(theme::DANGER_RED));
                }
                col.push(state.view(lang).map(Message::Tender)).into()
            }
            Screen::Done(state) => {
                let mut col = column![self.buyer_chooser(true)].spacing(4);
                if let Some(e) = &self.buyer_error {
                    col = col.push(text(e.clone()).size(theme::TEXT).color(theme::DANGER_RED));
                }
                let result = state.view(lang).map(Message::Done);
                if self.printing.preview().is_empty() {
                    return col.push(result).into();
                }
                // Demo mode: the print-outs as the emulator drew them.
                let mut paper = row![].spacing(theme::GAP);
                for handle in self.printing.preview() {
                    paper = paper.push(
                        iced::widget::image(handle.clone()).width(Length::Fixed(PREVIEW_WIDTH)),
                    );
                }
                let previews = column![
                    text(t(lang, "result.preview")).size(theme::TEXT_SMALL),
                    iced::widget::scrollable(paper).height(Length::Fill),
                ]
                .spacing(4);
                col.push(
                    row![
                        container(result).width(Length::FillPortion(3)),
                        container(previews).width(Length::FillPortion(2)),
                    ]
                    .spacing(theme::GAP),
                )
                .into()
            }
            Screen::Paying { what } => {
                let job = self.job.as_ref();
                let secs = job.map(|o| o.started.elapsed().as_secs()).unwrap_or(0);
                let cancel = job.filter(|o| o.cancel.is_some()).map(|o| {
                    let press = (!o.cancelled).then_some(Message::CancelPayment);
                    let label = if o.cancelled {
                        "tasks.cancelling"
                    } else {
                        "tasks.cancel"
                    };
                    (t(lang, label), press)
                });
                tender::waiting_view(
                    tender::waiting_lines(
                        what,
                        secs,
                        job.and_then(|o| o.progress.as_ref()),
                        &self.config.gateways,
                        lang,
                    ),
                    cancel,
                )
            }
            Screen::PayPage(state) => {
                // Between two looks the job only pauses: the cancel is
                // taken then (it closes the PayPage instead of asking).
                let busy = self.job.as_ref().is_some_and(|o| o.cancelled);
                state.view(busy, lang).map(Message::PayPage)
            }
            Screen::Confirming(state) => {
                let job = self.job.as_ref();
                let asking = job.is_some() && self.pacer.parked() == 0;
                state
                    .view(job.and_then(|o| o.progress.as_ref()), asking, lang)
                    .map(Message::Confirming)
            }
            Screen::History(state) => {
                let managers = self.managers();
                state.view(managers, lang).map(Message::History)
            }
            Screen::CloseDay(state) => {
                let managers = self.managers();
                state.view(managers, lang).map(Message::CloseDay)
            }
            Screen::Settings(state) => state.view(lang).map(Message::Settings),
            Screen::Refund(state) => {
                let waiting = self.job.as_ref().map(|o| o.started.elapsed());
                state
                    .view(self.managers(), waiting, lang)
                    .map(Message::Refund)
            }
        }
    }

    /// The e-invoice choice row: what is chosen, a field to type a
    /// carrier/BAN/love code, and (after payment) the reissue button.
    fn buyer_chooser(&self, after_payment: bool) -> Element<'_, Message> {
        let lang = self.lang;
        let choice = buyer_text(&self.buyer, lang);
        let mut chooser = row![
            text(format!("{} {choice}", t(lang, "buyer.label")))
                .size(theme::TEXT)
                .color(theme::OK_GREEN)
                .width(Length::Fill),
            iced::widget::text_input(&t(lang, "buyer.placeholder"), &self.buyer_input)
                .on_input(Message::BuyerInput)
                .on_submit(Message::BuyerApply)
                .size(theme::TEXT_SMALL)
                .padding(8)
                .width(Length::Fixed(260.0)),
            button(text(t(lang, "buyer.apply")).size(theme::TEXT_SMALL))
                .on_press(Message::BuyerApply)
                .style(theme::secondary)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        // "Print the proof instead" only when something else is chosen.
        if self.buyer != crate::einvoice::buyer::BuyerChoice::Print {
            chooser = chooser.push(
                button(text(t(lang, "buyer.print")).size(theme::TEXT_SMALL))
                    .on_press(Message::BuyerPrint)
                    .style(theme::secondary)
                    .padding(theme::target_padding(theme::TEXT_SMALL)),
            );
        }
        if after_payment && self.issued_buyer.is_some() {
            let changed = self.issued_buyer.as_ref() != Some(&self.buyer);
            chooser = chooser.push(
                button(text(t(lang, "buyer.reissue")).size(theme::TEXT_SMALL))
                    .on_press_maybe(changed.then_some(Message::Reissue))
                    .style(theme::danger)
                    .padding(theme::target_padding(theme::TEXT_SMALL)),
            );
        }
        chooser.into()
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

    /// From the sale screen with an empty cart: managers get the settings,
    /// anyone else a refusal that says why.
    fn open_settings(&mut self) {
        if !matches!(self.screen, Screen::Sale(_)) || !self.cart.is_empty() {
            return;
        }
        let manager = self
            .user()
            .is_some_and(|u| u.role == crate::journal::Role::Manager);
        let state = if manager {
            let path = self.config_path.clone();
            settings::State::new(&self.config, path, self.demo, self.terminal.as_ref().ok())
        } else {
            settings::State::refused(self.lang)
        };
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
            self.keys = KeyRouter::new(crate::device::scanner::wedge::WedgeConfig {
                max_gap: Duration::from_millis(cfg.scanner.wedge_max_gap_ms),
                min_len: cfg.scanner.wedge_min_len,
                idle_timeout: Duration::from_millis(cfg.scanner.wedge_idle_ms),
                ..Default::default()
            });
        }
        if cfg.gateways != self.config.gateways && !self.demo {
            // The next wallet payment starts with the new gateways.
            self.wallet = None;
        }
        self.config = cfg;
    }
}

/// Refunds (退款): the screen's events, finding the sale, the manager's
/// approval, the refund on the payment runtime, its result and slips.
impl App {
    /// The refund screen: from the sale screen with an empty cart, or on a
    /// sale shown in History.
    fn open_refund(&mut self, sale: Option<&str>) {
        let from_history = matches!(self.screen, Screen::History(_));
        if !from_history && (!matches!(self.screen, Screen::Sale(_)) || !self.cart.is_empty()) {
            return;
        }
        use crate::ui::screen::refund::Message as M;
        let only = match self.managers().as_slice() {
            [only] => Some(only.name.clone()),
            _ => None,
        };
        self.screen = Screen::Refund(Box::default());
        // With one manager there is nobody to choose: a PIN typed first is theirs.
        if let Some(name) = only {
            self.refund_message(M::PickManager(name));
        }
        if let Some(code) = sale {
            self.refund_message(M::Select(code.to_string()));
        }
    }

    fn refund_message(&mut self, m: crate::ui::screen::refund::Message) {
        use crate::ui::screen::refund::Event;
        let Screen::Refund(state) = &mut self.screen else {
            return;
        };
        let mut ctx = crate::ui::screen::Ctx::lend(&mut self.terminal, &self.config, self.lang);
        let (task, event) = state.update(m, &mut ctx);
        self.tasks.push(task.map(Message::Refund));
        match event {
            Some(Event::Back) => self.screen = Screen::Sale(sale::State::default()),
            Some(Event::Send {
                sale,
                request,
                reason,
                manager,
            }) => self.send_refund(sale, request, reason, manager),
            None => {}
        }
    }

    fn refund_shortcut(&mut self, key: Shortcut) {
        use crate::ui::screen::refund::Message as M;
        let Screen::Refund(state) = &self.screen else {
            return;
        };
        let m = match key {
            _ if state.is_running() => return,
            Shortcut::Escape => M::Back,
            Shortcut::Enter if state.is_done() => M::Back,
            Shortcut::Enter if !state.query().trim().is_empty() => M::Search,
            Shortcut::Enter => M::Confirm,
            Shortcut::Digit(d) => M::Digit(d),
            Shortcut::Backspace => M::Backspace,
            _ => return,
        };
        self.refund_message(m);
    }

    /// Hand the terminal to the gateway job of a refund a manager approved.
    fn send_refund(
        &mut self,
        sale: crate::sale::SaleNo,
        request: crate::sale::RefundRequest,
        reason: String,
        manager: User,
    ) {
        use crate::ui::screen::refund::Message as M;
        if let Err(e) = self.start_wallet() {
            return self.refund_message(M::NotSent(e));
        }
        let Some(terminal) = self.take_terminal() else {
            let busy = t(self.lang, "paying.busy");
            return self.refund_message(M::NotSent(busy));
        };
        self.refunding = Some((reason.clone(), manager.name.clone()));
        if let Some(Ok(wallet)) = self.wallet.as_ref() {
            let task = wallet.refund(terminal, &self.config, sale, request, reason, manager);
            self.job_out(task, None);
        }
    }

    fn refund_finished(
        &mut self,
        terminal: Terminal,
        result: Result<crate::ui::refund_flow::RefundOutcome, crate::terminal::PayError>,
    ) {
        use crate::ui::refund_flow::{RefundMoney, approved, invoice_line, trade_no};
        self.terminal = Ok(terminal);
        let lang = self.lang;
        let (reason, manager) = self.refunding.take().unwrap_or_default();
        let outcome = match result {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!("refund not done: {e}");
                let why = crate::ui::screen::refund::Message::NotSent(e.to_string());
                return self.refund_message(why);
            }
        };
        let finished = if approved(&outcome) {
            let mut lines = vec![trade_no(&outcome).to_string()];
            if let RefundMoney::Cash { amount, .. } = &outcome.money {
                lines.push(crate::ui::i18n::tf(
                    lang,
                    "refund.give_cash",
                    &[("amount", &amount.to_string())],
                ));
            }
            lines.push(invoice_line(&outcome));
            if let Some(e) = &outcome.invoice_error {
                lines.push(format!("{} {e}", t(lang, "refund.invoice_failed")));
            }
            match &outcome.invoice {
                Some(i) if i.recover_proof => lines.push(t(lang, "refund.take_proof_back")),
                Some(i) if i.allowance_slip.is_some() => {
                    lines.push(t(lang, "refund.sign_allowance"))
                }
                _ => {}
            }
            lines.push(t(lang, "refund.printing"));
            self.print_refund_slips(&outcome, &reason, &manager);
            if let Some(left) = self.refund_left(&outcome.sale_no) {
                lines.push(crate::ui::i18n::tf(
                    lang,
                    "refund.remaining",
                    &[("amount", &left.to_string())],
                ));
            }
            crate::ui::screen::refund::Finished {
                approved: true,
                headline: crate::ui::i18n::tf(
                    lang,
                    "refund.approved",
                    &[("amount", &outcome.amount.to_string())],
                ),
                lines,
            }
        } else {
            let (headline, mut lines) = match &outcome.money {
                RefundMoney::Gateway(r) if r.state.is_final() => {
                    (t(lang, "refund.declined"), vec![r.message.clone()])
                }
                RefundMoney::Gateway(r) => (
                    t(lang, "refund.unknown"),
                    vec![
                        r.message.clone(),
                        crate::ui::i18n::tf(lang, "refund.query", &[("trade", &r.trade_no)]),
                    ],
                ),
                RefundMoney::Cash { .. } => (t(lang, "refund.declined"), Vec::new()),
            };
            if let RefundMoney::Gateway(r) = &outcome.money {
                let next = match lang {
                    Lang::ZhTw => r.action.zh(),
                    Lang::En => r.action.en(),
                };
                if !next.is_empty() {
                    lines.push(next.to_string());
                }
            }
            lines.push(t(lang, "refund.invoice_untouched"));
            crate::ui::screen::refund::Finished {
                approved: false,
                headline,
                lines,
            }
        };
        self.refund_message(crate::ui::screen::refund::Message::Finished(finished));
    }

    /// What the sale can still give back, from the journal.
    fn refund_left(&self, sale: &crate::sale::SaleNo) -> Option<crate::money::Ntd> {
        let d = self
            .terminal()
            .and_then(|t| t.journal().sale_detail(sale).ok().flatten())?;
        d.summary.paid.checked_sub(d.summary.refunded).ok()
    }

    /// The refund slip, and the allowance slip when an allowance was made,
    /// through the one print path.
    fn print_refund_slips(
        &mut self,
        outcome: &crate::ui::refund_flow::RefundOutcome,
        reason: &str,
        manager: &str,
    ) {
        let at = self
            .terminal()
            .map(|t| t.now().format("%Y-%m-%d %H:%M:%S%:z").to_string())
            .unwrap_or_default();
        // The slip is built from the journal (what was recorded is what is
        // printed); the interim slip only if the journal cannot say.
        let from_journal = crate::ui::refund_flow::trade_no(outcome)
            .parse::<crate::sale::TradeNo>()
            .ok()
            .and_then(|trade| {
                self.terminal()?
                    .refund_slip(&self.config.store, &trade, false)
                    .ok()
                    .flatten()
            });
        let mut slip = match from_journal {
            Some(data) => crate::print::refund_slip_document(&data),
            None => crate::print::slips::refund_brief_document(
                &crate::ui::refund_flow::refund_brief(outcome, reason, manager, &at, self.demo),
            ),
        };
        if matches!(outcome.money, crate::terminal::RefundMoney::Cash { .. })
            && !slip
                .blocks
                .iter()
                .any(|b| matches!(b, crate::print::document::Block::Drawer { .. }))
        {
            // The cash goes back out of the drawer.
            slip.drawer(2);
        }
        self.print_document(
            "refund_slip",
            &slip,
            Some(&outcome.sale_no),
            None,
            Reply::To(PrintFor::Refund),
        );
        if let Some(allowance) = outcome
            .invoice
            .as_ref()
            .and_then(|i| i.allowance_slip.as_ref())
        {
            self.print_document(
                "allowance_slip",
                allowance,
                Some(&outcome.sale_no),
                None,
                Reply::Log("allowance slip"),
            );
        }
    }
}

use crate::ui::component::printing::print_error_text;

/// The e-invoice as the result screen shows it: its number (and where it
/// went when nothing prints), or why there is none.
fn invoice_text(invoice: &Invoice, lang: Lang) -> Result<String, String> {
    let paperless = |key: &str, number: &str, code: &str| {
        crate::ui::i18n::tf(lang, key, &[("number", number), ("code", code)])
    };
    match invoice {
        Invoice::Issued {
            number,
            paper: true,
            ..
        } => Ok(number.dashed()),
        Invoice::Issued { number, buyer, .. } => {
            Ok(format!("{} → {}", number.dashed(), buyer.describe_zh()))
        }
        Invoice::Mypay { number } => Ok(number.clone()),
        Invoice::MypayCarrier { number, carrier } => {
            Ok(paperless("result.mypay_carrier", number, carrier))
        }
        Invoice::MypayDonated { number, love_code } => {
            Ok(paperless("result.mypay_donated", number, love_code))
        }
        Invoice::MypayLater => Err(t(lang, "result.mypay_invoice_later")),
        Invoice::ByMypay => Err(t(lang, "result.invoice_by_mypay")),
    }
}

fn shortcut_for(key: &Key) -> Option<Shortcut> {
    match key {
        Key::Other(name) if name == "F2" => Some(Shortcut::Pay),
        Key::Other(name) if name == "F4" => Some(Shortcut::Language),
        Key::Other(name) if name == "F8" => Some(Shortcut::Remove),
        Key::Other(name) if name == "F9" => Some(Shortcut::CloseDay),
        Key::Other(name) if name == "F6" => Some(Shortcut::History),
        Key::Other(name) if name == "F10" => Some(Shortcut::Settings),
        Key::Other(name) if name == "F7" => Some(Shortcut::Refund),
        Key::Escape => Some(Shortcut::Escape),
        Key::Enter => Some(Shortcut::Enter),
        Key::Backspace => Some(Shortcut::Backspace),
        Key::Char(d) if d.is_ascii_digit() => Some(Shortcut::Digit(*d)),
        _ => None,
    }
}

/// What a scan means for the e-invoice, if anything: carriers anywhere; a
/// BAN only where an 8-digit code is not a product; love codes at the tender.
fn buyer_choice_of(code: &str, tendering: bool) -> Option<crate::einvoice::buyer::BuyerChoice> {
    use crate::barcode::{ScanContext, Scanned, classify};
    use crate::einvoice::buyer::BuyerChoice;
    let context = if tendering {
        ScanContext::Tendering
    } else {
        ScanContext::Selling
    };
    let scanned = classify(code, context).ok().or_else(|| {
        tendering
            .then(|| classify(code, ScanContext::BuyerChoice).ok())
            .flatten()
    })?;
    match scanned {
        Scanned::MobileCarrier(c) => Some(BuyerChoice::Mobile(c)),
        Scanned::CitizenCertificate(c) => Some(BuyerChoice::Citizen(c)),
        Scanned::LoveCode(c) => Some(BuyerChoice::Donate(c)),
        Scanned::Ban(b) => Some(BuyerChoice::Company(b)),
        _ => None,
    }
}

/// The buyer's e-invoice choice in the cashier's language.
fn buyer_text(choice: &crate::einvoice::buyer::BuyerChoice, lang: Lang) -> String {
    match lang {
        Lang::ZhTw => choice.describe_zh(),
        Lang::En => choice.describe_en(),
    }
}
