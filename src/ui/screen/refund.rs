//! Refund (退款): find the sale (scan the receipt's code or search), see
//! what was paid and what can still go back, choose all or part, give a
//! reason, and have a manager approve with a PIN. What the refund will do
//! (gateway or cash, the gateway's rules, void or allowance) is shown
//! before it is confirmed; the app runs it and reports back.

use std::time::Duration;

use iced::widget::{Column, button, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length};

use crate::locale::{Localized, Text};
use crate::money::Ntd;
use crate::sale::{RefundRequest, SaleNo};
use crate::secret::Secret;
use crate::terminal::views::{Role, SaleDetail, SaleSummary, User};
use crate::terminal::{Terminal, TerminalError};
use crate::ui::i18n::{Lang, one_language, t, tf};
use crate::ui::refund_flow::Preview;
use crate::ui::screen::Ctx;
use crate::ui::shortcut::Shortcut;
use crate::ui::theme;
use crate::ui::widget::approval::{manager_buttons, told};
use crate::ui::widget::keypad::keypad;
use iced::Task;

const MAX_PIN: usize = 8;
/// NT$9,999,999 is more than any refund at a counter.
const MAX_AMOUNT_DIGITS: usize = 7;

/// How much goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Everything not yet refunded.
    #[default]
    Full,
    /// An amount typed on the keypad.
    Amount,
    /// Units of the sale's lines.
    Lines,
}

/// The common reasons; "other" needs words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Returned,
    Defective,
    Duplicate,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 4] = [
        Reason::Returned,
        Reason::Defective,
        Reason::Duplicate,
        Reason::Other,
    ];

    /// As recorded in the journal (zh-TW, whatever the screen language).
    pub fn recorded(self) -> &'static str {
        match self {
            Reason::Returned => "退貨",
            Reason::Defective => "商品瑕疵",
            Reason::Duplicate => "重複收款",
            Reason::Other => "其他",
        }
    }

    fn label(self, lang: Lang) -> String {
        match self {
            Reason::Returned => t(lang, "refund.reason_returned"),
            Reason::Defective => t(lang, "refund.reason_defective"),
            Reason::Duplicate => t(lang, "refund.reason_duplicate"),
            Reason::Other => t(lang, "refund.reason_other"),
        }
    }
}

/// Which field the keypad types into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Target {
    Amount,
    #[default]
    Pin,
}

/// How a finished refund is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub approved: bool,
    /// Kept as what happened and worded when drawn: a language switch on
    /// the result rewords it.
    pub headline: Text,
    /// The invoice decision, print results, what to do next.
    pub lines: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Phase {
    #[default]
    Edit,
    /// With the gateway: what is being refunded.
    Running(String),
    Done(Finished),
}

#[derive(Debug, Default)]
pub struct State {
    query: String,
    /// Several sales matched a search (e.g. an amount): pick one.
    matches: Vec<SaleSummary>,
    sale: Option<SaleDetail>,
    mode: Mode,
    amount: String,
    /// Units chosen per sale line (line refunds).
    units: Vec<u32>,
    reason: Option<Reason>,
    note: String,
    manager: Option<String>,
    pin: String,
    target: Target,
    preview: Option<Result<Preview, String>>,
    message: Option<Result<String, String>>,
    phase: Phase,
    /// The refund with the gateway: why, and who approved (for its slip).
    sent: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Query(String),
    Search,
    Select(String),
    /// A scanner read this code while `from_field` had the focus: the
    /// field gives the characters back and the code selects a sale.
    Scanned {
        code: String,
        from_field: String,
    },
    Mode(Mode),
    More(usize),
    Less(usize),
    Reason(Reason),
    Note(String),
    PickManager(String),
    EditAmount,
    EditPin,
    Digit(char),
    Backspace,
    Confirm,
    /// After a result: refund another sale.
    Again,
    Back,
    /// The printer answered for the refund slip.
    SlipPrinted(Result<(), String>),
    /// The refund came back from the gateway (or the drawer), or why it
    /// could not run.
    Returned(Box<Result<crate::terminal::RefundOutcome, String>>),
}

/// What the parent must do.
#[derive(Debug, Clone)]
pub enum Event {
    Back,
}

/// A step of the form, done by the screen itself.
#[derive(Debug, Clone)]
enum Step {
    /// Find the sale a code or amount names.
    Search(String),
    Select(String),
    /// The request changed: show what it would do.
    Changed,
    Confirm {
        sale: SaleNo,
        request: RefundRequest,
        reason: String,
        manager: String,
        pin: Secret,
    },
    Back,
}

impl State {
    /// The messages a fresh refund screen starts with: with one manager
    /// there is nobody to choose (a PIN typed first is theirs); from
    /// History, the sale shown there.
    pub fn opening(managers: &[&User], sale: Option<&str>) -> Vec<Message> {
        let mut opening = Vec::new();
        if let [only] = managers {
            opening.push(Message::PickManager(only.name.clone()));
        }
        if let Some(code) = sale {
            opening.push(Message::Select(code.to_string()));
        }
        opening
    }

    /// Show a sale found by a search or scan (or that nothing was found).
    fn show(&mut self, sale: Option<SaleDetail>) {
        self.matches.clear();
        self.units = sale
            .as_ref()
            .map(|d| vec![0; d.lines.len()])
            .unwrap_or_default();
        self.sale = sale;
        self.mode = Mode::Full;
        self.amount.clear();
        self.preview = None;
        self.message = None;
        self.phase = Phase::Edit;
    }

    /// Several sales match: list them to pick from.
    fn choose(&mut self, matches: Vec<SaleSummary>) {
        self.show(None);
        self.matches = matches;
    }

    fn set_preview(&mut self, preview: Option<Result<Preview, String>>) {
        self.preview = preview;
    }

    /// A message (refusal or note); the PIN is cleared after every try.
    fn told(&mut self, message: Result<String, String>) {
        self.message = Some(message);
        self.pin.clear();
    }

    fn running(&mut self, what: String) {
        self.pin.clear();
        self.phase = Phase::Running(what);
    }

    /// The refund could not run (nothing was sent): back to the form, saying why.
    fn stopped(&mut self, why: String) {
        self.phase = Phase::Edit;
        self.message = Some(Err(why));
    }

    /// How the money goes back, as the preview said, in `lang`.
    fn preview_money(&self, lang: Lang) -> Option<String> {
        match &self.preview {
            Some(Ok(p)) => Some(crate::ui::refund_flow::money_line(&p.money, lang)),
            _ => None,
        }
    }

    fn finished(&mut self, result: Finished) {
        self.phase = Phase::Done(result);
    }

    /// A line of the result replaced (a print that has now answered).
    fn replace_line(&mut self, old: &Text, new: Text) {
        if let Phase::Done(f) = &mut self.phase
            && let Some(line) = f.lines.iter_mut().find(|l| *l == old)
        {
            *line = new;
        }
    }

    /// What a shortcut means here (nothing while the refund runs):
    /// Escape leaves, Enter searches, confirms or (after a result) leaves,
    /// digits and Backspace edit the amount or PIN.
    pub fn key(&self, key: Shortcut) -> Option<Message> {
        Some(match key {
            _ if self.is_running() => return None,
            Shortcut::Escape => Message::Back,
            Shortcut::Enter if self.is_done() => Message::Back,
            Shortcut::Enter if !self.query().trim().is_empty() => Message::Search,
            Shortcut::Enter => Message::Confirm,
            Shortcut::Digit(d) => Message::Digit(d),
            Shortcut::Backspace => Message::Backspace,
            _ => return None,
        })
    }

    pub fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Running(_))
    }

    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done(_))
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    pub fn sale(&self) -> Option<&SaleNo> {
        self.sale.as_ref().map(|d| &d.summary.sale_no)
    }

    /// Take a scan's characters back out of whichever field swallowed them.
    fn take_back(&mut self, from_field: &str) {
        let before = self.query.len();
        crate::ui::keys::take_back(&mut self.query, from_field);
        if self.query.len() == before {
            crate::ui::keys::take_back(&mut self.note, from_field);
        }
    }

    /// What the manager asks for, as far as it is filled in.
    pub fn request(&self) -> Option<RefundRequest> {
        match self.mode {
            Mode::Full => Some(RefundRequest::Full),
            Mode::Amount => self
                .amount
                .parse::<i64>()
                .ok()
                .filter(|a| *a > 0)
                .map(|a| RefundRequest::Amount(Ntd::new(a))),
            Mode::Lines => {
                let picks: Vec<(usize, u32)> = self
                    .units
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| **u > 0)
                    .map(|(i, u)| (i, *u))
                    .collect();
                (!picks.is_empty()).then_some(RefundRequest::Lines(picks))
            }
        }
    }

    /// The reason as recorded, or `None` while it is incomplete.
    fn reason_text(&self) -> Option<String> {
        let note = self.note.trim();
        match self.reason? {
            Reason::Other if note.is_empty() => None,
            r if note.is_empty() => Some(r.recorded().to_string()),
            r => Some(format!("{}:{note}", r.recorded())),
        }
    }

    pub fn update(
        &mut self,
        message: Message,
        ctx: &mut Ctx<'_>,
    ) -> (Task<Message>, Option<Event>) {
        (Task::none(), self.act(message, ctx))
    }

    fn act(&mut self, message: Message, ctx: &mut Ctx<'_>) -> Option<Event> {
        let lang = ctx.lang;
        let step = match message {
            Message::Returned(result) => return self.returned(*result, ctx),
            other => self.edit(other, lang)?,
        };
        if let Step::Back = step {
            return Some(Event::Back);
        }
        let config = ctx.config;
        let terminal = match ctx.terminal() {
            Ok(t) => t,
            Err(e) => {
                self.told(Err(e.to_string()));
                return None;
            }
        };
        match step {
            Step::Back => {}
            Step::Search(code) | Step::Select(code) => {
                self.find(&code, terminal, lang);
                self.preview_now(terminal, config, lang);
            }
            Step::Changed => self.preview_now(terminal, config, lang),
            Step::Confirm {
                sale,
                request,
                reason,
                manager,
                pin,
            } => {
                let manager = self.approved(terminal, &manager, &pin, lang)?;
                tracing::info!(sale = %sale, manager = %manager.name, "refund approved, sending");
                let what = format!("{sale} {}", self.preview_money(lang).unwrap_or_default());
                self.running(what);
                self.sent = Some((reason.clone(), manager.name.clone()));
                // The terminal goes with the refund's gateway job; its end
                // comes back as `Message::Returned`.
                let sent = ctx.send(None, |wallet, terminal| {
                    wallet.refund(terminal, config, sale, request, reason, manager)
                });
                if let Err(why) = sent {
                    self.stopped(why);
                }
            }
        }
        None
    }

    /// The manager who approves, if `name` is a manager and `pin` theirs.
    /// A wrong PIN or a non-manager changes nothing.
    fn approved(
        &mut self,
        terminal: &Terminal,
        name: &str,
        pin: &Secret,
        lang: Lang,
    ) -> Option<User> {
        let staff = terminal.staff().unwrap_or_default();
        let approval = if !staff
            .iter()
            .any(|u| u.name == name && u.role == Role::Manager)
        {
            // A cashier's own PIN never approves a refund.
            Err(t(lang, "refund.not_manager"))
        } else {
            terminal.manager_approves(name, pin).map_err(|e| match e {
                TerminalError::WrongPin => t(lang, "signin.wrong"),
                other => other.to_string(),
            })
        };
        match approval {
            Ok(user) => Some(user),
            Err(e) => {
                tracing::warn!(manager = name, "refund not approved");
                self.told(Err(e));
                None
            }
        }
    }

    /// The refund came back: the result in words, and its slips to print
    /// (built from the journal, what was recorded is what is printed).
    fn returned(
        &mut self,
        result: Result<crate::terminal::RefundOutcome, String>,
        ctx: &mut Ctx<'_>,
    ) -> Option<Event> {
        use crate::ui::refund_flow::{RefundMoney, approved, invoice_words, trade_no};
        let (reason, manager) = self.sent.take().unwrap_or_default();
        let outcome = match result {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!("refund not done: {e}");
                self.stopped(e);
                return None;
            }
        };
        let terminal = ctx.terminal_ref().ok();
        if !approved(&outcome) {
            let (headline, mut lines) = match &outcome.money {
                RefundMoney::Gateway(r) if r.state.is_final() => (
                    Text::new("refund.declined"),
                    vec![Text::given(&r.message, &r.message)],
                ),
                RefundMoney::Gateway(r) => (
                    Text::new("refund.unknown"),
                    vec![
                        Text::given(&r.message, &r.message),
                        Text::new("refund.query").arg("trade", &r.trade_no),
                    ],
                ),
                RefundMoney::Cash { .. } => (Text::new("refund.declined"), Vec::new()),
            };
            if let RefundMoney::Gateway(r) = &outcome.money
                && !r.action.zh().is_empty()
            {
                lines.push(Text::given(r.action.zh(), r.action.en()));
            }
            lines.push(Text::new("refund.invoice_untouched"));
            self.finished(Finished {
                approved: false,
                headline,
                lines,
            });
            return None;
        }
        let trade = trade_no(&outcome);
        let mut lines = vec![Text::given(trade, trade)];
        if let RefundMoney::Cash { amount, .. } = &outcome.money {
            lines.push(Text::new("refund.give_cash").arg("amount", amount));
        }
        lines.push(invoice_words(&outcome));
        if let Some(e) = &outcome.invoice_error {
            lines.push(Text::new("refund.invoice_failed").arg("why", e));
        }
        match &outcome.invoice {
            Some(i) if i.recover_proof => lines.push(Text::new("refund.take_proof_back")),
            Some(i) if i.allowance_slip.is_some() => lines.push(Text::new("refund.sign_allowance")),
            _ => {}
        }
        lines.push(Text::new("refund.printing"));
        let slips = terminal
            .map(|t| crate::ui::refund_flow::slips(t, ctx.config, &outcome, &reason, &manager))
            .unwrap_or_default();
        // What the sale can still give back, from the journal.
        let left = terminal.and_then(|t| t.sale_detail(&outcome.sale_no).ok().flatten());
        if let Some(left) = left.and_then(|d| d.summary.paid.checked_sub(d.summary.refunded).ok()) {
            lines.push(Text::new("refund.remaining").arg("amount", left));
        }
        self.finished(Finished {
            approved: true,
            headline: Text::new("refund.approved").arg("amount", outcome.amount),
            lines,
        });
        for slip in slips {
            let answered = slip.answer.is_some();
            if let Err(e) = ctx.print(slip)
                && answered
            {
                self.slip_printed(Err(e));
            }
        }
        None
    }

    /// The printer answered for the refund slip.
    fn slip_printed(&mut self, printed: Result<(), String>) {
        let line = match printed {
            Ok(()) => Text::new("refund.printed"),
            Err(e) => Text::new("refund.not_printed").arg("why", e),
        };
        self.replace_line(&Text::new("refund.printing"), line);
    }

    /// Show the sale a scanned or typed code names (receipt code, sale or
    /// trade number, invoice number), or the paid sales of the last 30 days
    /// whose total is the amount typed.
    fn find(&mut self, code: &str, terminal: &Terminal, lang: Lang) {
        let mut matches = Vec::new();
        let mut sale = terminal.find_sale(code).ok().flatten();
        if sale.is_none()
            && let Ok(amount) = code
                .trim()
                .trim_start_matches("NT$")
                .replace(',', "")
                .parse::<i64>()
        {
            let today = terminal.now().date_naive();
            let from = today - chrono::Days::new(30);
            matches = terminal
                .sales_between(from, today, 500)
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s.total.dollars() == amount && s.paid.is_positive())
                .collect();
            if matches.len() == 1 {
                sale = matches.pop().map(|s| s.sale_no);
            }
        }
        let detail = sale.and_then(|s| terminal.sale_detail(&s).ok().flatten());
        match (detail, matches.is_empty()) {
            (Some(d), _) => self.show(Some(d)),
            (None, false) => self.choose(matches),
            (None, true) => {
                self.show(None);
                self.told(Err(t(lang, "refund.not_found")));
            }
        }
    }

    /// What the refund as asked so far would do.
    fn preview_now(&mut self, terminal: &Terminal, config: &crate::config::Config, lang: Lang) {
        let Some(sale) = self.sale().cloned() else {
            return self.set_preview(None);
        };
        let preview = match self.request() {
            Some(request) => crate::ui::refund_flow::preview(terminal, config, &sale, &request),
            // No amount yet: still show what was paid and what is left.
            None => crate::ui::refund_flow::preview(terminal, config, &sale, &RefundRequest::Full)
                .map(|mut p| {
                    p.amount = Err(t(lang, "refund.need_amount"));
                    p.refused = None;
                    p
                }),
        };
        self.set_preview(Some(preview));
    }

    /// A change to the form; what the screen must then do itself.
    fn edit(&mut self, message: Message, lang: Lang) -> Option<Step> {
        if self.is_running() {
            return None;
        }
        match message {
            Message::Query(q) => self.query = q,
            Message::Search => {
                let q = self.query.trim().to_string();
                return (!q.is_empty()).then_some(Step::Search(q));
            }
            Message::Select(sale) => return Some(Step::Select(sale)),
            Message::Scanned { code, from_field } => {
                self.take_back(&from_field);
                return Some(Step::Select(code));
            }
            Message::Mode(mode) => {
                self.mode = mode;
                self.target = if mode == Mode::Amount {
                    Target::Amount
                } else {
                    Target::Pin
                };
                return Some(Step::Changed);
            }
            Message::More(i) => {
                let max = self
                    .sale
                    .as_ref()
                    .and_then(|d| d.lines.get(i))
                    .map(|l| l.qty);
                if let (Some(u), Some(max)) = (self.units.get_mut(i), max)
                    && *u < max
                {
                    *u += 1;
                }
                self.mode = Mode::Lines;
                return Some(Step::Changed);
            }
            Message::Less(i) => {
                if let Some(u) = self.units.get_mut(i) {
                    *u = u.saturating_sub(1);
                }
                self.mode = Mode::Lines;
                return Some(Step::Changed);
            }
            Message::Reason(r) => self.reason = Some(r),
            Message::Note(n) => self.note = n,
            Message::PickManager(m) => {
                // A PIN typed before the manager was picked is theirs;
                // only a change of manager starts the PIN again.
                if self.manager.as_ref().is_some_and(|was| *was != m) {
                    self.pin.clear();
                }
                self.manager = Some(m);
                self.target = Target::Pin;
            }
            Message::EditAmount => {
                self.mode = Mode::Amount;
                self.target = Target::Amount;
                return Some(Step::Changed);
            }
            Message::EditPin => self.target = Target::Pin,
            Message::Digit(d) if d.is_ascii_digit() => match self.target {
                Target::Pin if self.pin.len() < MAX_PIN => self.pin.push(d),
                Target::Amount if self.amount.len() < MAX_AMOUNT_DIGITS => {
                    if !(self.amount.is_empty() && d == '0') {
                        self.amount.push(d);
                    }
                    return Some(Step::Changed);
                }
                _ => {}
            },
            Message::Digit(_) => {}
            Message::Backspace => match self.target {
                Target::Pin => {
                    self.pin.pop();
                }
                Target::Amount => {
                    self.amount.pop();
                    return Some(Step::Changed);
                }
            },
            Message::Confirm => return self.confirm(lang),
            Message::Again => {
                self.query.clear();
                self.show(None);
            }
            Message::Back => return Some(Step::Back),
            Message::Returned(_) => {}
            Message::SlipPrinted(printed) => self.slip_printed(printed),
        }
        None
    }

    fn confirm(&mut self, lang: Lang) -> Option<Step> {
        if self.is_done() {
            return None;
        }
        let Some(sale) = self.sale() else {
            self.message = Some(Err(t(lang, "refund.find_first")));
            return None;
        };
        let sale = sale.clone();
        let Some(request) = self.request() else {
            self.message = Some(Err(t(lang, "refund.need_amount")));
            return None;
        };
        let Some(reason) = self.reason_text() else {
            self.message = Some(Err(t(lang, "refund.need_reason")));
            return None;
        };
        if let Some(Ok(p)) = &self.preview
            && !p.allows()
        {
            let why = p.refused.clone().or(p.amount.clone().err());
            self.message = Some(Err(why.unwrap_or_default()));
            return None;
        }
        let Some(manager) = self.manager.clone() else {
            self.message = Some(Err(t(lang, "refund.pick_manager")));
            return None;
        };
        if self.pin.is_empty() {
            // Not "wrong name or PIN": nothing was typed yet.
            self.message = Some(Err(t(lang, "refund.pin")));
            return None;
        }
        let pin = Secret::new(std::mem::take(&mut self.pin));
        Some(Step::Confirm {
            sale,
            request,
            reason,
            manager,
            pin,
        })
    }

    pub fn view<'a>(
        &'a self,
        managers: Vec<&'a User>,
        waiting: Option<Duration>,
        lang: Lang,
    ) -> Element<'a, Message> {
        let body: Element<'a, Message> = match &self.phase {
            Phase::Running(what) => container(
                text(tf(
                    lang,
                    "refund.waiting",
                    &[
                        ("what", what),
                        ("secs", &waiting.unwrap_or_default().as_secs().to_string()),
                    ],
                ))
                .size(theme::TEXT_TOTAL),
            )
            .center(Length::Fill)
            .into(),
            Phase::Done(done) => self.done_view(done, lang),
            Phase::Edit => row![
                self.sale_view(lang),
                self.request_view(lang),
                self.approval_view(managers, lang),
            ]
            .spacing(theme::PAD * 1.5)
            .into(),
        };
        container(body)
            .padding(theme::PAD)
            .style(theme::panel)
            .width(Length::Fill)
            .height(Length::Fill)
            .into()
    }

    /// Left: search and the sale with what can still go back.
    fn sale_view(&self, lang: Lang) -> Element<'_, Message> {
        let mut c = Column::new().spacing(6);
        match &self.sale {
            None if self.matches.is_empty() => {
                c = c.push(text(t(lang, "refund.scan_hint")).size(theme::TEXT));
            }
            None => {
                for s in &self.matches {
                    c = c.push(
                        button(
                            row![
                                text(s.sale_no.to_string())
                                    .size(theme::TEXT_SMALL)
                                    .width(Length::Fill),
                                text(s.total.to_string()).size(theme::TEXT_SMALL),
                            ]
                            .spacing(theme::GAP),
                        )
                        .width(Length::Fill)
                        .padding(theme::target_padding(theme::TEXT_SMALL))
                        .style(theme::secondary)
                        .on_press(Message::Select(s.sale_no.to_string())),
                    );
                }
            }
            Some(d) => {
                c = c.push(text(d.summary.sale_no.to_string()).size(theme::TEXT_LARGE));
                c = c.push(
                    text(format!(
                        "{}  {}",
                        d.summary
                            .created_at
                            .get(..16)
                            .unwrap_or("")
                            .replace('T', " "),
                        d.summary.cashier
                    ))
                    .size(theme::TEXT_SMALL),
                );
                for (i, l) in d.lines.iter().enumerate() {
                    let chosen = self.units.get(i).copied().unwrap_or(0);
                    c = c.push(
                        row![
                            text(format!("{} ×{}", l.name, l.qty))
                                .size(theme::TEXT_SMALL)
                                .width(Length::Fill),
                            text(l.total().unwrap_or_default().to_string()).size(theme::TEXT_SMALL),
                            button(text("-").size(theme::TEXT).center())
                                .style(theme::secondary)
                                .width(theme::TARGET)
                                .height(theme::TARGET)
                                .on_press(Message::Less(i)),
                            text(chosen.to_string()).size(theme::TEXT_SMALL),
                            button(text("+").size(theme::TEXT).center())
                                .style(theme::secondary)
                                .width(theme::TARGET)
                                .height(theme::TARGET)
                                .on_press(Message::More(i)),
                        ]
                        .spacing(6)
                        .align_y(Alignment::Center),
                    );
                }
                for a in d.payments.iter().chain(&d.refunds) {
                    c = c.push(
                        text(crate::ui::words::attempt_line(a, lang)).size(theme::TEXT_SMALL),
                    );
                }
                if let Some(Ok(p)) = &self.preview {
                    c = c.push(figure(t(lang, "refund.paid"), p.paid, false));
                    c = c.push(figure(t(lang, "refund.refunded"), p.refunded, false));
                    c = c.push(figure(t(lang, "refund.left"), p.left, true));
                }
            }
        }
        column![
            text(t(lang, "refund.heading")).size(theme::TEXT_LARGE),
            row![
                text_input(&t(lang, "refund.search"), &self.query)
                    .on_input(Message::Query)
                    .size(theme::TEXT_SMALL)
                    .padding(10),
                button(text(t(lang, "refund.find")).size(theme::TEXT_SMALL))
                    .on_press(Message::Search)
                    .style(theme::secondary)
                    .padding(theme::target_padding(theme::TEXT_SMALL)),
            ]
            .spacing(8),
            scrollable(c).height(Length::Fill),
            button(text(t(lang, "refund.back")).size(theme::TEXT))
                .on_press(Message::Back)
                .style(theme::secondary)
                .padding([12, 20]),
        ]
        .spacing(theme::GAP)
        .width(Length::FillPortion(5))
        .into()
    }

    /// Middle: how much, why, and what will happen.
    fn request_view(&self, lang: Lang) -> Element<'_, Message> {
        let choice = |label: String, on: bool, m: Message| {
            button(text(label).size(theme::TEXT_SMALL))
                .style(if on { theme::primary } else { theme::secondary })
                .padding(theme::target_padding(theme::TEXT_SMALL))
                .on_press(m)
        };
        // The box shows what will be refunded, typed or from the lines.
        let amount = match (&self.preview, self.amount.is_empty()) {
            (_, false) => format!("NT${}", self.amount),
            (Some(Ok(Preview { amount: Ok(a), .. })), true) => a.to_string(),
            _ => "NT$ —".to_string(),
        };
        let mut reasons = row![].spacing(6);
        for r in Reason::ALL {
            reasons = reasons.push(choice(
                r.label(lang),
                self.reason == Some(r),
                Message::Reason(r),
            ));
        }
        let mut what = Column::new().spacing(4);
        match &self.preview {
            Some(Ok(p)) => {
                let amount = match &p.amount {
                    Ok(a) => text(tf(
                        lang,
                        "refund.will_refund",
                        &[("amount", &a.to_string())],
                    ))
                    .size(theme::TEXT)
                    .color(theme::OK_GREEN),
                    Err(e) => text(e.clone())
                        .size(theme::TEXT_SMALL)
                        .color(theme::DANGER_RED),
                };
                what = what.push(amount).push(
                    text(format!(
                        "{} {}",
                        t(lang, "refund.via"),
                        crate::ui::refund_flow::money_line(&p.money, lang)
                    ))
                    .size(theme::TEXT_SMALL),
                );
                for r in &p.rules {
                    what = what.push(text(one_language(r, lang)).size(theme::TEXT_SMALL));
                }
                if let Some(why) = &p.refused {
                    what = what.push(
                        text(format!(
                            "{} {}",
                            t(lang, "refund.refused"),
                            one_language(why, lang)
                        ))
                        .size(theme::TEXT_SMALL)
                        .color(theme::DANGER_RED),
                    );
                }
                if !p.invoice.is_empty() {
                    what = what.push(
                        text(format!(
                            "{} {}",
                            t(lang, "refund.invoice"),
                            one_language(&p.invoice, lang)
                        ))
                        .size(theme::TEXT_SMALL),
                    );
                }
            }
            Some(Err(e)) => {
                what = what.push(
                    text(e.clone())
                        .size(theme::TEXT_SMALL)
                        .color(theme::DANGER_RED),
                )
            }
            None => {}
        }
        column![
            text(t(lang, "refund.how_much")).size(theme::TEXT),
            row![
                choice(
                    t(lang, "refund.full"),
                    self.mode == Mode::Full,
                    Message::Mode(Mode::Full)
                ),
                choice(
                    t(lang, "refund.partial"),
                    self.mode == Mode::Amount,
                    Message::Mode(Mode::Amount)
                ),
                choice(
                    t(lang, "refund.by_lines"),
                    self.mode == Mode::Lines,
                    Message::Mode(Mode::Lines)
                ),
            ]
            .spacing(6)
            .wrap()
            .vertical_spacing(6),
            button(text(amount).size(theme::TEXT_LARGE))
                .width(Length::Fill)
                .padding(theme::target_padding(theme::TEXT_LARGE))
                .style(if self.target == Target::Amount {
                    theme::primary
                } else {
                    theme::secondary
                })
                .on_press(Message::EditAmount),
            text(t(lang, "refund.reason")).size(theme::TEXT),
            // Wraps where the column is narrow (1024 px, English).
            reasons.wrap().vertical_spacing(6),
            text_input(&t(lang, "refund.note"), &self.note)
                .on_input(Message::Note)
                .size(theme::TEXT_SMALL)
                .padding(10),
            text(t(lang, "refund.what_happens")).size(theme::TEXT),
            scrollable(container(what).style(theme::panel)).height(Length::Fill),
        ]
        .spacing(8)
        .width(Length::FillPortion(4))
        .into()
    }

    /// Right: the manager, the PIN and the keypad, the confirm button.
    fn approval_view<'a>(&'a self, managers: Vec<&'a User>, lang: Lang) -> Element<'a, Message> {
        let people = manager_buttons(
            managers,
            self.manager.as_deref(),
            theme::TEXT_SMALL,
            Message::PickManager,
        )
        .spacing(6);
        let message: Element<'a, Message> = told(&self.message, theme::TEXT_SMALL);
        let pin = if self.pin.is_empty() {
            t(lang, "refund.pin")
        } else {
            "●".repeat(self.pin.len())
        };
        column![
            text(t(lang, "refund.manager")).size(theme::TEXT),
            people,
            button(text(pin).size(theme::TEXT))
                .width(Length::Fill)
                .padding(theme::target_padding(theme::TEXT))
                .style(if self.target == Target::Pin {
                    theme::primary
                } else {
                    theme::secondary
                })
                .on_press(Message::EditPin),
            keypad(
                Message::Digit,
                ("←", Message::Backspace),
                ("OK", Message::Confirm)
            ),
            message,
            button(
                text(t(lang, "refund.confirm"))
                    .size(theme::TEXT)
                    .width(Length::Fill)
                    .align_x(Alignment::Center)
            )
            .width(Length::Fill)
            .style(theme::danger)
            .padding([12, 20])
            .on_press(Message::Confirm),
        ]
        .spacing(8)
        .width(Length::FillPortion(4))
        .into()
    }

    fn done_view<'a>(&'a self, done: &'a Finished, lang: Lang) -> Element<'a, Message> {
        let mut c = Column::new().spacing(theme::GAP).align_x(Alignment::Center);
        c = c.push(
            text(done.headline.message(lang))
                .size(theme::TEXT_TOTAL)
                .color(if done.approved {
                    theme::OK_GREEN
                } else {
                    theme::DANGER_RED
                }),
        );
        for l in &done.lines {
            c = c.push(text(l.message(lang)).size(theme::TEXT));
        }
        c = c.push(
            row![
                button(text(t(lang, "refund.again")).size(theme::TEXT))
                    .on_press(Message::Again)
                    .style(theme::secondary)
                    .padding([12, 20]),
                button(text(t(lang, "refund.done")).size(theme::TEXT))
                    .on_press(Message::Back)
                    .style(theme::primary)
                    .padding([12, 20]),
            ]
            .spacing(theme::GAP),
        );
        container(c).center(Length::Fill).into()
    }
}

fn figure<'a>(label: String, amount: Ntd, strong: bool) -> Element<'a, Message> {
    row![
        text(label).size(theme::TEXT).width(Length::Fill),
        text(amount.to_string()).size(if strong {
            theme::TEXT_LARGE
        } else {
            theme::TEXT
        }),
    ]
    .align_y(Alignment::Center)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(s: &mut State, digits: &str) {
        for d in digits.chars() {
            s.edit(Message::Digit(d), Lang::ZhTw);
        }
    }

    #[test]
    fn a_pin_typed_before_picking_the_manager_is_kept_and_an_empty_one_is_asked_for() {
        let mut s = State::default();
        typed(&mut s, "1234");
        s.edit(Message::PickManager("店長".into()), Lang::ZhTw);
        assert_eq!(s.pin, "1234", "picking the manager kept the PIN");
        s.edit(Message::PickManager("副店長".into()), Lang::ZhTw);
        assert_eq!(s.pin, "", "another manager starts the PIN again");

        s.pin.clear();
        s.manager = Some("店長".into());
        s.sale = Some(crate::terminal::views::SaleDetail {
            summary: crate::terminal::views::SaleSummary {
                sale_no: "D0126112200001".parse().unwrap(),
                business_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
                cashier: "amy".into(),
                subtotal: Ntd::new(360),
                discount: Ntd::ZERO,
                total: Ntd::new(360),
                paid: Ntd::new(360),
                refunded: Ntd::ZERO,
                status: crate::terminal::views::SaleStatus::Paid,
                line_count: 1,
                created_at: String::new(),
            },
            lines: Vec::new(),
            payments: Vec::new(),
            refunds: Vec::new(),
            invoices: Vec::new(),
        });
        s.reason = Some(Reason::ALL[0]);
        assert!(s.edit(Message::Confirm, Lang::ZhTw).is_none());
        assert_eq!(
            s.message,
            Some(Err("請輸入店長密碼".into())),
            "an empty PIN is asked for, not called wrong"
        );
    }
}
