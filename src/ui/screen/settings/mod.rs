//! Settings (manager only): store and terminal, gateways, printer,
//! scanners, e-invoice rolls, staff and PINs, language.
//!
//! Every field is edited as text and turned back into a [`Config`] when
//! saved, so a half-typed number never corrupts the configuration; the
//! same `Config::problems()` as `till config check` then decides, and each
//! problem is shown under the field its key names. Secrets are never put
//! into a widget: the screen shows [`masked`] and offers an empty field to
//! replace one; an empty field keeps the key already configured.

mod view;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::barcode::{ScanContext, classify, mask_payment_code};
use crate::config::{Config, Problem, Severity};
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::terminal::Terminal;
use crate::terminal::devices::Transport;
use crate::terminal::settings::{
    Reach, RollsView, SaveError, check_gateway, check_printer, needs_restart, replaced, save_config,
};
use crate::terminal::views::{Role, User};
use crate::ui::i18n::{Lang, t};
use crate::ui::screen::{Ctx, PrintFor, PrintJob};
use crate::ui::shortcut::Shortcut;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Store,
    Gateways,
    Printer,
    Scanner,
    Invoices,
    Users,
    Language,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Store,
        Tab::Gateways,
        Tab::Printer,
        Tab::Scanner,
        Tab::Invoices,
        Tab::Users,
        Tab::Language,
    ];

    fn label_key(self) -> &'static str {
        match self {
            Tab::Store => "settings.tab_store",
            Tab::Gateways => "settings.tab_gateways",
            Tab::Printer => "settings.tab_printer",
            Tab::Scanner => "settings.tab_scanner",
            Tab::Invoices => "settings.tab_invoices",
            Tab::Users => "settings.tab_users",
            Tab::Language => "settings.tab_language",
        }
    }
}

/// The configuration keys of each secret the screen can replace.
pub const SECRET_KEYS: [&str; 6] = [
    "gateways.jkopay.merchant_key",
    "gateways.mypay.key",
    "gateways.ecpay.hash_key",
    "gateways.ecpay.hash_iv",
    "gateways.goodbuy.agent_key",
    "einvoice.qr_key",
];

/// Printer connection kinds, in the order of their buttons.
pub const TRANSPORTS: [&str; 5] = ["tcp", "serial", "file", "usb", "virtual"];
pub const SCANNER_KINDS: [&str; 3] = ["wedge", "serial", "hid"];

#[derive(Debug)]
enum Check {
    Running,
    Done(Reach),
}

#[derive(Debug)]
enum PrinterCheck {
    Running,
    Done(String),
}

/// Forms of the staff tab.
#[derive(Debug, Default)]
struct StaffForm {
    name: String,
    role: Option<Role>,
    pin: String,
    pin_again: String,
    /// Whose PIN is being changed.
    who: Option<String>,
    new_pin: String,
    new_pin_again: String,
    message: Option<Result<String, String>>,
}

#[derive(Debug, Default)]
struct RollForm {
    period: String,
    track: String,
    first: String,
    last: String,
    message: Option<Result<String, String>>,
}

pub struct State {
    /// Set for a cashier: the screen shows only why it is closed.
    refused: Option<String>,
    tab: Tab,
    /// The configuration as saved (or as running, in demo mode).
    saved: Config,
    /// Where it is saved; `None` in demo mode.
    path: Option<PathBuf>,
    demo: bool,
    fields: BTreeMap<&'static str, String>,
    /// Replacements typed for secrets; empty means "keep".
    secrets: BTreeMap<&'static str, String>,
    problems: Vec<Problem>,
    notice: Option<Result<String, String>>,
    checks: HashMap<GatewayId, Check>,
    printer_check: Option<PrinterCheck>,
    printed: Option<Result<String, String>>,
    scan_input: String,
    /// The last scan, classified and masked.
    last_scan: Vec<String>,
    staff: Vec<User>,
    staff_form: StaffForm,
    rolls: Result<RollsView, String>,
    roll_form: RollForm,
}

#[derive(Debug, Clone)]
pub enum Message {
    Tab(Tab),
    Field(&'static str, String),
    Secret(&'static str, String),
    Save,
    Back,
    TestGateway(GatewayId),
    PrinterStatus,
    TestPrint,
    ScanInput(String),
    /// A code from the scanner, for the scan test.
    Scanned(String),
    Classify,
    NewName(String),
    NewRole(Role),
    NewPin(String),
    NewPinAgain(String),
    AddUser,
    PickUser(String),
    ChangePin(String),
    ChangePinAgain(String),
    SavePin,
    RollPeriod(String),
    RollTrack(String),
    RollFirst(String),
    RollLast(String),
    AddRoll,
    Language(Lang),
    /// A gateway's connection test finished.
    GatewayChecked(GatewayId, Reach),
    /// The printer's status came back.
    PrinterChecked(String),
    /// The printer answered for the test page.
    Printed(Result<(), String>),
}

/// What the app must do.
#[derive(Debug)]
pub enum Event {
    Back,
    /// Saved to the file: run with this configuration from now on.
    Saved(Box<Config>),
    /// Staff changed: the sign-in list must be read again.
    StaffChanged,
    Language(Lang),
}

fn put(fields: &mut BTreeMap<&'static str, String>, key: &'static str, value: impl ToString) {
    fields.insert(key, value.to_string());
}

/// Every editable field of `cfg` as text, keyed like `Config::problems()`.
fn fields_of(cfg: &Config) -> BTreeMap<&'static str, String> {
    let mut f = BTreeMap::new();
    put(&mut f, "terminal.id", &cfg.terminal.id);
    put(&mut f, "terminal.name", &cfg.terminal.name);
    put(&mut f, "store.name", &cfg.store.name);
    put(&mut f, "store.ban", &cfg.store.ban);
    put(&mut f, "store.address", &cfg.store.address);
    put(&mut f, "store.phone", &cfg.store.phone);
    let g = &cfg.gateways;
    if let Some(j) = &g.jkopay {
        put(&mut f, "gateways.jkopay.base_url", &j.base_url);
        put(&mut f, "gateways.jkopay.merchant_id", &j.merchant_id);
        put(&mut f, "gateways.jkopay.store_id", &j.store_id);
        put(&mut f, "gateways.jkopay.store_name", &j.store_name);
        put(&mut f, "gateways.jkopay.pos_id", &j.pos_id);
    }
    if let Some(m) = &g.mypay {
        put(&mut f, "gateways.mypay.base_url", &m.base_url);
        put(&mut f, "gateways.mypay.agent_uid", &m.agent_uid);
        put(&mut f, "gateways.mypay.store_uid", &m.store_uid);
        put(&mut f, "gateways.mypay.user_id", &m.user_id);
    }
    if let Some(e) = &g.ecpay {
        put(&mut f, "gateways.ecpay.base_url", &e.base_url);
        put(&mut f, "gateways.ecpay.merchant_id", &e.merchant_id);
        put(&mut f, "gateways.ecpay.platform_id", &e.platform_id);
        put(&mut f, "gateways.ecpay.return_url", &e.return_url);
    }
    if let Some(b) = &g.goodbuy {
        put(&mut f, "gateways.goodbuy.base_url", &b.base_url);
        put(&mut f, "gateways.goodbuy.agent_id", &b.agent_id);
        put(&mut f, "gateways.goodbuy.return_url", &b.return_url);
    }
    put(&mut f, "printer.profile", &cfg.printer.profile);
    let (kind, a, b) = match Transport::parse(&cfg.printer.transport) {
        Ok(Transport::Tcp { host, port }) => ("tcp", host, port.to_string()),
        Ok(Transport::Serial { path, baud, flow }) => {
            let flow = match flow {
                serialport::FlowControl::None => "none",
                serialport::FlowControl::Hardware => "hardware",
                serialport::FlowControl::Software => "software",
            };
            put(&mut f, "printer.flow", flow);
            ("serial", path, baud.to_string())
        }
        Ok(Transport::File { path }) => ("file", path.display().to_string(), String::new()),
        Ok(Transport::Usb { vid, pid }) => ("usb", format!("{vid:04x}:{pid:04x}"), String::new()),
        Ok(Transport::Virtual) => ("virtual", String::new(), String::new()),
        // Keep what was written so the problem can be seen and fixed.
        Err(_) => ("tcp", cfg.printer.transport.clone(), String::new()),
    };
    put(&mut f, "printer.kind", kind);
    match kind {
        "tcp" => {
            put(&mut f, "printer.host", a);
            put(&mut f, "printer.port", b);
        }
        "serial" => {
            put(&mut f, "printer.path", a);
            put(&mut f, "printer.baud", b);
        }
        "file" => put(&mut f, "printer.path", a),
        "usb" => put(&mut f, "printer.usb", a),
        _ => {}
    }
    let s = &cfg.scanner;
    put(&mut f, "scanner.kind", &s.kind);
    put(&mut f, "scanner.device", &s.device);
    put(&mut f, "scanner.baud", s.baud);
    put(&mut f, "scanner.data_bits", s.data_bits);
    put(&mut f, "scanner.parity", &s.parity);
    put(&mut f, "scanner.stop_bits", s.stop_bits);
    put(&mut f, "scanner.terminator", &s.terminator);
    put(&mut f, "scanner.strip_prefix", &s.strip_prefix);
    put(&mut f, "scanner.strip_suffix", &s.strip_suffix);
    put(&mut f, "scanner.wedge_max_gap_ms", s.wedge_max_gap_ms);
    put(&mut f, "scanner.wedge_min_len", s.wedge_min_len);
    put(&mut f, "scanner.wedge_idle_ms", s.wedge_idle_ms);
    put(&mut f, "einvoice.turnkey_dir", &cfg.einvoice.turnkey_dir);
    put(&mut f, "einvoice.low_water", cfg.einvoice.low_water);
    f
}

fn not_a_number(key: &str) -> Problem {
    Problem {
        severity: Severity::Error,
        key: key.to_string(),
        message: "須為數字 / must be a number".to_string(),
    }
}

impl State {
    /// The settings of the signed-in manager.
    pub fn new(
        config: &Config,
        path: Option<PathBuf>,
        demo: bool,
        terminal: Option<&Terminal>,
    ) -> State {
        let mut state = State {
            refused: None,
            tab: Tab::Store,
            saved: config.clone(),
            path,
            demo,
            fields: fields_of(config),
            secrets: BTreeMap::new(),
            problems: Vec::new(),
            notice: None,
            checks: HashMap::new(),
            printer_check: None,
            printed: None,
            scan_input: String::new(),
            last_scan: Vec::new(),
            staff: Vec::new(),
            staff_form: StaffForm::default(),
            rolls: Err(String::new()),
            roll_form: RollForm::default(),
        };
        if let Some(t) = terminal {
            state.refresh(t);
            if let Ok(r) = &state.rolls {
                state.roll_form.period = r.period.clone();
            }
        }
        state
    }

    /// The screen a cashier gets: only the refusal and a way back.
    /// The screen as whoever is signed in may see it: managers get the
    /// settings, anyone else a refusal that says why.
    pub fn open(
        config: &Config,
        path: Option<PathBuf>,
        demo: bool,
        terminal: Option<&Terminal>,
        lang: Lang,
    ) -> State {
        let manager = terminal
            .and_then(|t| t.user())
            .is_some_and(|u| u.role == Role::Manager);
        match manager {
            true => State::new(config, path, demo, terminal),
            false => State::refused(lang),
        }
    }

    pub fn refused(lang: Lang) -> State {
        let mut state = State::new(&Config::demo(), None, true, None);
        state.refused = Some(t(lang, "settings.refused"));
        state
    }

    /// What a shortcut means here: Escape leaves.
    pub fn key(&self, key: Shortcut) -> Option<Message> {
        (key == Shortcut::Escape).then_some(Message::Back)
    }

    pub fn is_refused(&self) -> bool {
        self.refused.is_some()
    }

    /// Whether a background check is running.
    pub fn busy(&self) -> bool {
        self.checks.values().any(|c| matches!(c, Check::Running))
            || matches!(self.printer_check, Some(PrinterCheck::Running))
    }

    fn refresh(&mut self, terminal: &Terminal) {
        self.staff = terminal.staff_list().unwrap_or_default();
        self.rolls = terminal.rolls_view(&self.saved).map_err(|e| e.to_string());
    }

    fn field(&self, key: &str) -> &str {
        self.fields.get(key).map(String::as_str).unwrap_or("")
    }

    /// The printer transport URL the printer fields describe.
    fn transport(&self) -> String {
        let f = |k| self.field(k).trim().to_string();
        match self.field("printer.kind") {
            "tcp" => {
                let port = f("printer.port");
                if port.is_empty() {
                    format!("tcp://{}", f("printer.host"))
                } else {
                    format!("tcp://{}:{port}", f("printer.host"))
                }
            }
            "serial" => {
                let mut url = format!("serial://{}?baud={}", f("printer.path"), f("printer.baud"));
                let flow = f("printer.flow");
                if !flow.is_empty() && flow != "none" {
                    url.push_str(&format!("&flow={flow}"));
                }
                url
            }
            "file" => format!("file://{}", f("printer.path")),
            "usb" => format!("usb://{}", f("printer.usb")),
            _ => "virtual".to_string(),
        }
    }

    fn printer_settings(&self) -> crate::config::Printer {
        crate::config::Printer {
            profile: self.field("printer.profile").trim().to_string(),
            transport: self.transport(),
        }
    }

    /// The configuration the fields describe, and the fields that are not
    /// even numbers.
    fn build(&self) -> (Config, Vec<Problem>) {
        let mut cfg = self.saved.clone();
        let mut bad = Vec::new();
        let text = |k: &str| self.field(k).trim().to_string();
        macro_rules! num {
            ($key:literal, $slot:expr) => {
                match text($key).parse() {
                    Ok(v) => $slot = v,
                    Err(_) => bad.push(not_a_number($key)),
                }
            };
        }
        let secret = |k: &str, current: &Secret| {
            replaced(
                current,
                self.secrets.get(k).map(String::as_str).unwrap_or(""),
            )
        };
        cfg.terminal.id = text("terminal.id");
        cfg.terminal.name = text("terminal.name");
        cfg.store.name = text("store.name");
        cfg.store.ban = text("store.ban");
        cfg.store.address = text("store.address");
        cfg.store.phone = text("store.phone");
        if let Some(j) = cfg.gateways.jkopay.as_mut() {
            j.base_url = text("gateways.jkopay.base_url");
            j.merchant_id = text("gateways.jkopay.merchant_id");
            j.store_id = text("gateways.jkopay.store_id");
            j.store_name = text("gateways.jkopay.store_name");
            j.pos_id = text("gateways.jkopay.pos_id");
            j.merchant_key = secret("gateways.jkopay.merchant_key", &j.merchant_key);
        }
        if let Some(m) = cfg.gateways.mypay.as_mut() {
            m.base_url = text("gateways.mypay.base_url");
            m.agent_uid = text("gateways.mypay.agent_uid");
            m.store_uid = text("gateways.mypay.store_uid");
            m.user_id = text("gateways.mypay.user_id");
            m.key = secret("gateways.mypay.key", &m.key);
        }
        if let Some(e) = cfg.gateways.ecpay.as_mut() {
            e.base_url = text("gateways.ecpay.base_url");
            e.merchant_id = text("gateways.ecpay.merchant_id");
            e.platform_id = text("gateways.ecpay.platform_id");
            e.return_url = text("gateways.ecpay.return_url");
            e.hash_key = secret("gateways.ecpay.hash_key", &e.hash_key);
            e.hash_iv = secret("gateways.ecpay.hash_iv", &e.hash_iv);
        }
        if let Some(b) = cfg.gateways.goodbuy.as_mut() {
            b.base_url = text("gateways.goodbuy.base_url");
            b.agent_id = text("gateways.goodbuy.agent_id");
            b.return_url = text("gateways.goodbuy.return_url");
            b.agent_key = secret("gateways.goodbuy.agent_key", &b.agent_key);
        }
        cfg.printer = self.printer_settings();
        let s = &mut cfg.scanner;
        s.kind = text("scanner.kind");
        s.device = text("scanner.device");
        num!("scanner.baud", s.baud);
        num!("scanner.data_bits", s.data_bits);
        s.parity = text("scanner.parity");
        num!("scanner.stop_bits", s.stop_bits);
        s.terminator = text("scanner.terminator");
        // Framing characters may be spaces or tabs: kept as typed.
        s.strip_prefix = self.field("scanner.strip_prefix").to_string();
        s.strip_suffix = self.field("scanner.strip_suffix").to_string();
        num!("scanner.wedge_max_gap_ms", s.wedge_max_gap_ms);
        num!("scanner.wedge_min_len", s.wedge_min_len);
        num!("scanner.wedge_idle_ms", s.wedge_idle_ms);
        cfg.einvoice.turnkey_dir = text("einvoice.turnkey_dir");
        num!("einvoice.low_water", cfg.einvoice.low_water);
        cfg.einvoice.qr_key = secret("einvoice.qr_key", &cfg.einvoice.qr_key);
        (cfg, bad)
    }

    /// Validate and save. In demo mode nothing is written: see `save`.
    fn save(&mut self, lang: Lang) -> Option<Event> {
        let (cfg, mut problems) = self.build();
        problems.extend(cfg.problems());
        let errors = problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        self.problems = problems;
        if errors > 0 {
            let keys: Vec<&str> = self
                .problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| p.key.as_str())
                .collect();
            self.notice = Some(Err(crate::ui::i18n::tf(
                lang,
                "settings.not_saved",
                &[("n", &errors.to_string()), ("keys", &keys.join(", "))],
            )));
            return None;
        }
        // Demo mode runs without a config file on purpose: writing one to the
        // platform path would silently turn the next start into a "real"
        // till with the demo's public test key and no gateways. A store
        // manager setting up for real runs `till config init` instead, so
        // the demo only checks what was typed and says it was not saved.
        let Some(path) = self.path.clone() else {
            self.notice = Some(Err(t(lang, "settings.demo_not_saved")));
            return None;
        };
        match save_config(&path, &cfg) {
            Ok(_warnings) => {
                let restart = needs_restart(&self.saved, &cfg);
                self.saved = cfg.clone();
                self.fields = fields_of(&cfg);
                // The replacements are in the file now; keep none on screen.
                self.secrets.clear();
                let mut msg = t(lang, "settings.saved");
                if restart {
                    msg = format!("{msg} {}", t(lang, "settings.restart"));
                }
                self.notice = Some(Ok(msg));
                Some(Event::Saved(Box::new(cfg)))
            }
            Err(SaveError::Invalid(p)) => {
                self.problems = p;
                self.notice = Some(Err(t(lang, "settings.not_saved_plain")));
                None
            }
            Err(e) => {
                self.notice = Some(Err(e.to_string()));
                None
            }
        }
    }

    /// A code from the scanner (or typed) for the scan test: what it is,
    /// with a payment code masked.
    fn scanned(&mut self, code: &str) {
        self.scan_input.clear();
        let mut lines = vec![format!("掃描 scan: {}", mask_payment_code(code))];
        for (name, ctx) in [
            ("銷售 selling", ScanContext::Selling),
            ("收款 tendering", ScanContext::Tendering),
            ("發票 buyer choice", ScanContext::BuyerChoice),
        ] {
            lines.push(match classify(code, ctx) {
                Ok(s) => format!("{name}: {} / {}: {}", s.kind_zh(), s.kind_en(), s.shown()),
                Err(why) => format!("{name}: {why}"),
            });
        }
        if let Some(hint) = crate::terminal::devices::layout_hint(code) {
            lines.push(hint.to_string());
        }
        self.last_scan = lines;
    }

    /// The test page for the printer as typed on the screen, so a new
    /// address can be tried before saving; the configured one when unchanged.
    fn test_page(&mut self, ctx: &mut Ctx<'_>) {
        use crate::terminal::devices::Printer;
        let draft = self.printer_settings();
        let config = ctx.config;
        let trial = draft != config.printer;
        let printer = match Printer::from_config(if trial { &draft } else { &config.printer }) {
            Ok(p) => p,
            Err(e) => {
                self.printed = Some(Err(e.to_string()));
                return;
            }
        };
        let page = crate::terminal::test_page(&config.store, &printer);
        if trial {
            // Until its job is back; the till's printer stays as saved.
            ctx.try_printer(printer);
        }
        let job = PrintJob {
            kind: "test_page",
            document: page,
            sale: None,
            approval: None,
            answer: Some(PrintFor::Settings),
        };
        if let Err(e) = ctx.print(job) {
            self.printed = Some(Err(e));
        }
    }

    /// The outcome of the test page.
    pub fn printed(&mut self, result: Result<(), String>, lang: Lang) {
        self.printed = Some(result.map(|()| t(lang, "settings.test_printed")));
    }

    pub fn update(
        &mut self,
        message: Message,
        ctx: &mut Ctx<'_>,
    ) -> (iced::Task<Message>, Option<Event>) {
        if self.refused.is_some() {
            return (iced::Task::none(), self.act(message, ctx));
        }
        // The checks run as tasks (a thread each: a printer that is off, a
        // gateway that does not answer); their result is the next message.
        match message {
            Message::TestGateway(g) => {
                let key = match g {
                    GatewayId::JkoPay => "gateways.jkopay.base_url",
                    GatewayId::MyPay => "gateways.mypay.base_url",
                    GatewayId::Ecpay => "gateways.ecpay.base_url",
                    GatewayId::Goodbuy => "gateways.goodbuy.base_url",
                };
                let url = self.field(key).trim().to_string();
                // The demo has no gateway sections: its simulators are tested.
                let demo = self.demo && !self.fields.contains_key(key);
                self.checks.insert(g, Check::Running);
                let check = check_gateway(g, url, demo);
                let task = iced::Task::perform(check, move |r| Message::GatewayChecked(g, r));
                (task, None)
            }
            Message::PrinterStatus => {
                self.printer_check = Some(PrinterCheck::Running);
                let check = check_printer(self.printer_settings());
                (iced::Task::perform(check, Message::PrinterChecked), None)
            }
            message => (iced::Task::none(), self.act(message, ctx)),
        }
    }

    fn act(&mut self, message: Message, ctx: &mut Ctx<'_>) -> Option<Event> {
        let lang = ctx.lang;
        if self.refused.is_some() {
            return matches!(message, Message::Back).then_some(Event::Back);
        }
        match message {
            Message::Tab(tab) => self.tab = tab,
            Message::Field(key, value) => {
                self.fields.insert(key, value);
            }
            Message::Secret(key, value) => {
                self.secrets.insert(key, value);
            }
            Message::Save => return self.save(lang),
            Message::Back => return Some(Event::Back),
            // Started by `update`.
            Message::TestGateway(_) | Message::PrinterStatus => {}
            Message::GatewayChecked(g, reach) => {
                self.checks.insert(g, Check::Done(reach));
            }
            Message::PrinterChecked(words) => self.printer_check = Some(PrinterCheck::Done(words)),
            Message::TestPrint => {
                self.printed = None;
                self.test_page(ctx);
            }
            Message::ScanInput(s) => self.scan_input = s,
            Message::Scanned(code) => self.scanned(&code),
            Message::Classify => {
                let code = self.scan_input.trim().to_string();
                if !code.is_empty() {
                    self.scanned(&code);
                }
            }
            Message::NewName(s) => self.staff_form.name = s,
            Message::NewRole(r) => self.staff_form.role = Some(r),
            Message::NewPin(s) => self.staff_form.pin = digits(s),
            Message::NewPinAgain(s) => self.staff_form.pin_again = digits(s),
            Message::PickUser(name) => {
                self.staff_form.who = Some(name);
                self.staff_form.new_pin.clear();
                self.staff_form.new_pin_again.clear();
            }
            Message::ChangePin(s) => self.staff_form.new_pin = digits(s),
            Message::ChangePinAgain(s) => self.staff_form.new_pin_again = digits(s),
            Message::AddUser => {
                let terminal = ctx.terminal().ok()?;
                let f = &mut self.staff_form;
                let pin = Secret::new(std::mem::take(&mut f.pin));
                let again = Secret::new(std::mem::take(&mut f.pin_again));
                let role = f.role.unwrap_or(Role::Cashier);
                match terminal.add_staff(&f.name, role, &pin, &again) {
                    Ok(()) => {
                        f.message = Some(Ok(crate::ui::i18n::tf(
                            lang,
                            "settings.user_added",
                            &[("name", f.name.trim())],
                        )));
                        f.name.clear();
                        f.role = None;
                        self.refresh(terminal);
                        return Some(Event::StaffChanged);
                    }
                    Err(e) => f.message = Some(Err(e.to_string())),
                }
            }
            Message::SavePin => {
                let terminal = ctx.terminal().ok()?;
                let f = &mut self.staff_form;
                let pin = Secret::new(std::mem::take(&mut f.new_pin));
                let again = Secret::new(std::mem::take(&mut f.new_pin_again));
                let who = f.who.clone().unwrap_or_default();
                f.message = Some(match terminal.change_pin(&who, &pin, &again) {
                    Ok(()) => Ok(crate::ui::i18n::tf(
                        lang,
                        "settings.pin_changed",
                        &[("name", &who)],
                    )),
                    Err(e) => Err(e.to_string()),
                });
            }
            Message::RollPeriod(s) => self.roll_form.period = s,
            Message::RollTrack(s) => self.roll_form.track = s.to_ascii_uppercase(),
            Message::RollFirst(s) => self.roll_form.first = s,
            Message::RollLast(s) => self.roll_form.last = s,
            Message::AddRoll => {
                let terminal = ctx.terminal().ok()?;
                let f = &mut self.roll_form;
                match terminal.add_roll_typed(&f.period, &f.track, &f.first, &f.last) {
                    Ok(()) => {
                        f.message = Some(Ok(t(lang, "settings.roll_added")));
                        f.track.clear();
                        f.first.clear();
                        f.last.clear();
                        self.refresh(terminal);
                    }
                    Err(e) => f.message = Some(Err(e.to_string())),
                }
            }
            Message::Language(l) => return Some(Event::Language(l)),
            Message::Printed(result) => self.printed(result, lang),
        }
        None
    }
}

/// PIN fields take digits only (at most 8), so nothing else is ever kept.
fn digits(s: String) -> String {
    s.chars().filter(char::is_ascii_digit).take(8).collect()
}
