//! History: today's sales, each with where it stands (paid, open,
//! half-paid, voided, refunded), a search by any number a customer might
//! bring (receipt code, trade number, invoice number), the detail of one
//! sale, a receipt reprint marked 補印 behind a manager's PIN, and the
//! settling of a sale left open: void it (nothing paid, manager), give back
//! what was taken (the refund screen) or take the rest (the tender).

use iced::widget::{Column, button, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length};

use crate::secret::Secret;
use crate::terminal::views::{AttemptState, InvoiceStatus, SaleDetail, SaleSummary, User};
use crate::terminal::{Standing, Terminal};
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::screen::{Ctx, PrintFor, PrintJob};
use crate::ui::shortcut::Shortcut;
use crate::ui::theme;
use crate::ui::widget::approval::{manager_buttons, told};
use crate::ui::widget::keypad::keypad;
use iced::Task;

const MAX_PIN: usize = 8;

#[derive(Debug, Default)]
pub struct State {
    query: String,
    list: Vec<SaleSummary>,
    selected: Option<SaleDetail>,
    manager: Option<String>,
    pin: String,
    message: Option<Result<String, String>>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Query(String),
    Search,
    Select(String),
    PickManager(String),
    Digit(char),
    Backspace,
    Reprint,
    /// 補印 the sale's e-invoice proof (manager).
    ReprintProof,
    /// Open the refund screen on the sale shown.
    Refund,
    /// Void the open sale shown (nothing paid on it; manager).
    VoidOpen,
    /// Take what is still due on the half-paid sale shown.
    TakeRest,
    Back,
    /// The printer answered for a reprint this screen asked for.
    Printed(Printed, Result<(), String>),
}

/// What this screen sent to the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printed {
    Receipt,
    Proof,
}

#[derive(Debug, Clone)]
pub enum Event {
    Refund(String),
    /// Take up the half-paid sale at the tender for what is still due.
    TakeRest {
        sale: crate::sale::SaleNo,
        cart: crate::sale::Cart,
        due: crate::money::Ntd,
    },
    /// A sale was settled: what the status bar counts changed.
    Settled,
    Back,
}

impl State {
    pub fn new(list: Vec<SaleSummary>) -> State {
        State {
            list,
            ..State::default()
        }
    }

    /// Today's sales, newest first.
    pub fn today(terminal: &Terminal) -> State {
        let today = terminal.now().date_naive();
        let mut list = terminal
            .sales_between(today, today, 200)
            .unwrap_or_default();
        list.reverse();
        State::new(list)
    }

    /// The sales left open, to settle.
    pub fn open_sales(terminal: &Terminal) -> State {
        State::new(terminal.open_sales(None).unwrap_or_default())
    }

    fn show(&mut self, detail: Option<SaleDetail>, message: Option<Result<String, String>>) {
        self.selected = detail;
        self.message = message;
        self.pin.clear();
    }

    fn told(&mut self, message: Result<String, String>) {
        self.message = Some(message);
        self.pin.clear();
    }

    /// What a shortcut means here: Escape leaves, Enter searches what is
    /// typed, digits go to the manager's PIN.
    pub fn key(&self, key: Shortcut) -> Option<Message> {
        match key {
            Shortcut::Escape => Some(Message::Back),
            Shortcut::Enter if !self.query().is_empty() => Some(Message::Search),
            Shortcut::Digit(d) => Some(Message::Digit(d)),
            _ => None,
        }
    }

    pub fn query(&self) -> &str {
        &self.query
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
        match message {
            Message::Query(q) => self.query = q,
            Message::Search => {
                let query = self.query.trim().to_string();
                if let Ok(terminal) = ctx.terminal() {
                    self.search(&query, terminal, lang);
                }
            }
            Message::Select(sale) => {
                if let Ok(terminal) = ctx.terminal() {
                    self.find(&sale, terminal, lang);
                }
            }
            Message::PickManager(m) => {
                self.manager = Some(m);
                self.pin.clear();
            }
            Message::Digit(d) if d.is_ascii_digit() && self.pin.len() < MAX_PIN => self.pin.push(d),
            Message::Digit(_) => {}
            Message::Backspace => {
                self.pin.pop();
            }
            Message::Back => return Some(Event::Back),
            Message::Printed(what, printed) => {
                let done = match what {
                    Printed::Receipt => "history.reprinted",
                    Printed::Proof => "history.proof_reprinted",
                };
                self.told(printed.map(|()| t(lang, done)));
            }
            Message::Refund => {
                return self
                    .selected
                    .as_ref()
                    .map(|d| Event::Refund(d.summary.sale_no.to_string()));
            }
            Message::TakeRest => {
                let sale = self.selected.as_ref()?.summary.sale_no.clone();
                let terminal = ctx.terminal().ok()?;
                match terminal.resume_open_sale(&sale) {
                    Ok((cart, due)) => return Some(Event::TakeRest { sale, cart, due }),
                    Err(e) => self.told(Err(e.to_string())),
                }
            }
            Message::VoidOpen => {
                let (sale_no, manager, pin) = self.manager_approval(lang)?;
                let terminal = ctx.terminal().ok()?;
                self.void_open(&sale_no, &manager, &pin, terminal, lang);
                return Some(Event::Settled);
            }
            Message::ReprintProof => {
                let (sale_no, manager, pin) = self.manager_approval(lang)?;
                let approval = crate::terminal::Approval {
                    manager: &manager,
                    pin: &pin,
                };
                let to = PrintFor::History(Printed::Proof);
                if let Err(e) = ctx.reprint_proof(&sale_no, approval, to) {
                    self.told(Err(e));
                }
                // A proof cut short on paper is closed by its reprint.
                return Some(Event::Settled);
            }
            Message::Reprint => {
                let (sale_no, manager, pin) = self.manager_approval(lang)?;
                let printed = receipt_copy(&sale_no, ctx).and_then(|(sale, document)| {
                    ctx.print(PrintJob {
                        kind: crate::terminal::RECEIPT,
                        document,
                        sale: Some(sale),
                        approval: Some((manager, pin)),
                        answer: Some(PrintFor::History(Printed::Receipt)),
                    })
                });
                if let Err(e) = printed {
                    self.told(Err(e));
                }
            }
        }
        None
    }

    /// A search: a code shows that sale; a day, an amount or a way of
    /// paying lists the sales it finds.
    fn search(&mut self, query: &str, terminal: &Terminal, lang: Lang) {
        let today = terminal.now().date_naive();
        let mut list = match parse_query(query, today) {
            Query::Code(code) => return self.find(&code, terminal, lang),
            Query::Day(d) => terminal.sales_between(d, d, 500).unwrap_or_default(),
            Query::Amount(a) => terminal.sales_of_amount(a, 200).unwrap_or_default(),
            Query::Open => terminal.open_sales(None).unwrap_or_default(),
            Query::Paid(method) => {
                // The last week's sales paid this way.
                let from = today - chrono::Duration::days(7);
                terminal
                    .sales_between(from, today, 2000)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| {
                        terminal
                            .sale_detail(&s.sale_no)
                            .ok()
                            .flatten()
                            .is_some_and(|d| {
                                d.payments.iter().any(|p| {
                                    p.method == method && p.state == AttemptState::Approved
                                })
                            })
                    })
                    .collect()
            }
        };
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        self.found(list, lang);
    }

    /// Show the sale a code names (receipt code, sale or trade number,
    /// invoice number).
    fn find(&mut self, code: &str, terminal: &Terminal, lang: Lang) {
        let found = terminal
            .find_sale(code)
            .ok()
            .flatten()
            .and_then(|sale| terminal.sale_detail(&sale).ok().flatten());
        match found {
            Some(detail) => self.show(Some(detail), None),
            None => self.show(None, Some(Err(t(lang, "history.not_found")))),
        }
    }

    /// Void an open sale nothing was paid on (manager).
    fn void_open(
        &mut self,
        sale_no: &str,
        manager: &str,
        pin: &Secret,
        terminal: &mut Terminal,
        lang: Lang,
    ) {
        let outcome = sale_no
            .parse::<crate::sale::SaleNo>()
            .map_err(|e| e.to_string())
            .and_then(|sale| {
                terminal
                    .void_open_sale(&sale, crate::terminal::Approval { manager, pin })
                    .map_err(|e| e.to_string())
                    .map(|()| terminal.sale_detail(&sale).ok().flatten())
            });
        match outcome {
            Ok(detail) => self.show(detail, Some(Ok(t(lang, "history.voided_open")))),
            Err(e) => self.told(Err(e)),
        }
    }

    /// What a manager-approved action on the chosen sale carries: its
    /// number, the manager picked and the PIN typed (taken from the box).
    /// `None`, with the reason shown, while no sale or no manager is chosen.
    fn manager_approval(&mut self, lang: Lang) -> Option<(String, String, Secret)> {
        let sale_no = self.selected.as_ref()?.summary.sale_no.to_string();
        let Some(manager) = self.manager.clone() else {
            self.message = Some(Err(t(lang, "history.pick_manager")));
            return None;
        };
        Some((sale_no, manager, Secret::new(std::mem::take(&mut self.pin))))
    }

    pub fn view<'a>(&'a self, managers: Vec<&'a User>, lang: Lang) -> Element<'a, Message> {
        let mut list = Column::new().spacing(6);
        for s in &self.list {
            list = list.push(
                button(
                    row![
                        text(s.sale_no.to_string())
                            .size(theme::TEXT_SMALL)
                            .width(Length::Fill),
                        text(s.created_at.get(11..19).unwrap_or("").to_string())
                            .size(theme::TEXT_SMALL),
                        standing_text(s, lang),
                        text(s.total.to_string())
                            .size(theme::TEXT_SMALL)
                            .width(110)
                            .align_x(Alignment::End),
                    ]
                    .spacing(theme::GAP),
                )
                .width(Length::Fill)
                .padding(theme::target_padding(theme::TEXT_SMALL))
                .style(theme::secondary)
                .on_press(Message::Select(s.sale_no.to_string())),
            );
        }
        if self.list.is_empty() {
            list = list.push(text(t(lang, "history.none")).size(theme::TEXT));
        }
        let left = column![
            text(t(lang, "history.heading")).size(theme::TEXT_LARGE),
            row![
                text_input(&t(lang, "history.search"), &self.query)
                    .on_input(Message::Query)
                    .size(theme::TEXT)
                    .padding(10),
                button(text(t(lang, "history.find")).size(theme::TEXT))
                    .on_press(Message::Search)
                    .style(theme::secondary)
                    .padding(theme::target_padding(theme::TEXT_SMALL)),
            ]
            .spacing(8),
            scrollable(list).height(Length::Fill),
            button(text(t(lang, "history.back")).size(theme::TEXT))
                .on_press(Message::Back)
                .style(theme::secondary)
                .padding([12, 20]),
        ]
        .spacing(theme::GAP)
        .width(Length::FillPortion(1));

        let message: Element<'a, Message> = told(&self.message, theme::TEXT);
        let right: Element<'a, Message> = match &self.selected {
            None => column![text(t(lang, "history.pick")).size(theme::TEXT), message].into(),
            Some(d) => {
                let mut c = Column::new().spacing(6);
                c = c.push(text(d.summary.sale_no.to_string()).size(theme::TEXT_LARGE));
                c = c.push(
                    text(format!(
                        "{}  {}",
                        d.summary
                            .created_at
                            .get(..19)
                            .unwrap_or("")
                            .replace('T', " "),
                        d.summary.cashier
                    ))
                    .size(theme::TEXT_SMALL),
                );
                for l in &d.lines {
                    c = c.push(row![
                        text(format!("{} ×{}", l.name, l.qty))
                            .size(theme::TEXT)
                            .width(Length::Fill),
                        text(l.total().unwrap_or_default().to_string()).size(theme::TEXT),
                    ]);
                }
                c = c.push(row![
                    text(t(lang, "sale.total"))
                        .size(theme::TEXT)
                        .width(Length::Fill),
                    text(d.summary.total.to_string()).size(theme::TEXT_LARGE),
                ]);
                let standing = Standing::of(&d.summary);
                c = c.push(standing_text(&d.summary, lang));
                if standing == Standing::HalfPaid {
                    c = c.push(
                        text(tf(
                            lang,
                            "history.half_paid_detail",
                            &[
                                ("paid", &d.summary.paid.to_string()),
                                (
                                    "due",
                                    &d.summary
                                        .total
                                        .checked_sub(d.summary.paid)
                                        .unwrap_or_default()
                                        .to_string(),
                                ),
                            ],
                        ))
                        .size(theme::TEXT_SMALL)
                        .color(theme::DANGER_RED),
                    );
                }
                for a in d.payments.iter().chain(&d.refunds) {
                    c = c.push(
                        text(crate::ui::words::attempt_line(a, lang)).size(theme::TEXT_SMALL),
                    );
                }
                let people = manager_buttons(
                    managers,
                    self.manager.as_deref(),
                    theme::TEXT_SMALL,
                    Message::PickManager,
                )
                .spacing(8);
                column![
                    scrollable(c).height(Length::Fill),
                    message,
                    row![
                        column![
                            text(t(lang, "history.manager")).size(theme::TEXT),
                            people,
                            text("●".repeat(self.pin.len())).size(theme::TEXT_LARGE),
                            button(text(t(lang, "history.reprint")).size(theme::TEXT))
                                .on_press(Message::Reprint)
                                .style(theme::primary)
                                .padding([12, 20]),
                            button(text(t(lang, "history.reprint_proof")).size(theme::TEXT))
                                // Only a proof still valid: never a voided one.
                                .on_press_maybe(
                                    self.selected
                                        .as_ref()
                                        .is_some_and(|d| {
                                            d.invoices
                                                .iter()
                                                .any(|i| i.status != InvoiceStatus::Voided)
                                        })
                                        .then_some(Message::ReprintProof),
                                )
                                .style(theme::secondary)
                                .padding([12, 20]),
                            button(text(t(lang, "refund.from_history")).size(theme::TEXT))
                                .on_press(Message::Refund)
                                .style(theme::secondary)
                                .padding([12, 20]),
                            settle_buttons(standing, lang),
                        ]
                        .spacing(8)
                        .width(Length::FillPortion(1)),
                        container(keypad(
                            Message::Digit,
                            ("←", Message::Backspace),
                            ("OK", Message::Reprint)
                        ))
                        .width(Length::FillPortion(1)),
                    ]
                    .spacing(theme::GAP),
                ]
                .spacing(theme::GAP)
                .into()
            }
        };
        container(
            row![left, container(right).width(Length::FillPortion(1))].spacing(theme::PAD * 2.0),
        )
        .padding(theme::PAD)
        .style(theme::panel)
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
    }
}

/// A sale's standing in the cashier's language; open ones in red.
fn standing_text<'a>(s: &SaleSummary, lang: Lang) -> Element<'a, Message> {
    let standing = Standing::of(s);
    let label = text(t(lang, standing.key())).size(theme::TEXT_SMALL);
    if standing.is_open() {
        label.color(theme::DANGER_RED).into()
    } else {
        label.into()
    }
}

/// How a manager settles a sale left open: void one with nothing paid
/// (PIN above); for a half-paid one, the refund button above gives back
/// what was taken, or the rest is taken at the tender.
fn settle_buttons<'a>(standing: Standing, lang: Lang) -> Element<'a, Message> {
    match standing {
        Standing::Open => button(text(t(lang, "history.void_open")).size(theme::TEXT))
            .on_press(Message::VoidOpen)
            .style(theme::danger)
            .padding([12, 20])
            .into(),
        Standing::HalfPaid => button(text(t(lang, "history.take_rest")).size(theme::TEXT))
            .on_press(Message::TakeRest)
            .style(theme::primary)
            .padding([12, 20])
            .into(),
        _ => column![].into(),
    }
}

/// The status bar's line: how many sales are open and their total,
/// with what was already taken on them.
pub fn open_sales_status(open: &[SaleSummary], lang: Lang) -> String {
    let total: crate::money::Ntd = open.iter().map(|s| s.total).sum();
    let paid: crate::money::Ntd = open.iter().map(|s| s.paid).sum();
    tf(
        lang,
        "history.open_status",
        &[
            ("n", &open.len().to_string()),
            ("amount", &total.to_string()),
            ("paid", &paid.to_string()),
        ],
    )
}

/// The open sales named for a notice (sign-in, the Z): `None` when there
/// are none.
pub fn open_sales_notice(open: &[SaleSummary], lang: Lang) -> Option<String> {
    if open.is_empty() {
        return None;
    }
    let names: Vec<String> = open
        .iter()
        .map(|s| {
            let standing = t(lang, Standing::of(s).key());
            format!("{} {} {standing}", s.sale_no, s.total)
        })
        .collect();
    Some(tf(
        lang,
        "history.open_notice",
        &[("n", &open.len().to_string()), ("sales", &names.join("、"))],
    ))
}

/// What a history search means: a number a customer brings, a day, an
/// amount, or how they paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A receipt code, sale or trade number, or invoice number.
    Code(String),
    Day(chrono::NaiveDate),
    Amount(crate::money::Ntd),
    Paid(crate::sale::PayMethod),
    /// The sales left open (未結), to settle.
    Open,
}

/// Read a search. Dates are `2026-11-21`, `11/21` or `11-21` (this year);
/// an amount is digits, with or without `NT$`/`$` and commas; a wallet or
/// tender by its name in either language; anything else is a code.
pub fn parse_query(q: &str, today: chrono::NaiveDate) -> Query {
    use crate::sale::{PayMethod, Wallet};
    use chrono::{Datelike, NaiveDate};
    let q = q.trim();
    if let Ok(d) = NaiveDate::parse_from_str(q, "%Y-%m-%d") {
        return Query::Day(d);
    }
    for sep in ['/', '-'] {
        if let Some((m, d)) = q.split_once(sep)
            && let (Ok(m), Ok(d)) = (m.parse::<u32>(), d.parse::<u32>())
            && let Some(date) = NaiveDate::from_ymd_opt(today.year(), m, d)
        {
            return Query::Day(date);
        }
    }
    let lower = q.to_lowercase();
    if ["未結", "未付", "open", "unpaid"].contains(&lower.as_str()) {
        return Query::Open;
    }
    let methods: [(&[&str], PayMethod); 11] = [
        (&["街口", "jko"], PayMethod::Wallet(Wallet::JkoPay)),
        (&["line"], PayMethod::Wallet(Wallet::LinePay)),
        (&["拍錢包", "pi"], PayMethod::Wallet(Wallet::PiWallet)),
        (&["微信", "wechat"], PayMethod::Wallet(Wallet::WeChatPay)),
        (&["支付寶", "alipay"], PayMethod::Wallet(Wallet::Alipay)),
        (&["悠遊", "easy"], PayMethod::Wallet(Wallet::EasyWallet)),
        (&["現金", "cash"], PayMethod::Cash),
        (&["會員", "綁定", "card"], PayMethod::BoundCard),
        (&["繳費", "超商", "atm", "later"], PayMethod::PayLater),
        (&["手機", "paypage", "phone"], PayMethod::PayPage),
        (
            &["其他錢包", "wallet"],
            PayMethod::Wallet(Wallet::Unidentified),
        ),
    ];
    for (names, method) in methods {
        // Short Latin names ("pi") only whole, so they do not match inside words.
        let matches =
            |n: &&str| lower == *n || ((!n.is_ascii() || n.len() > 2) && lower.contains(n));
        if names.iter().any(matches) {
            return Query::Paid(method);
        }
    }
    let digits: String = q
        .trim_start_matches("NT$")
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if !digits.is_empty()
        && digits.len() <= 7
        && digits.chars().all(|c| c.is_ascii_digit())
        && let Ok(n) = digits.parse::<i64>()
    {
        return Query::Amount(crate::money::Ntd::new(n));
    }
    Query::Code(q.to_string())
}

impl State {
    /// Sales a search found (a day, an amount, a way of paying).
    fn found(&mut self, list: Vec<SaleSummary>, lang: Lang) {
        self.message = list.is_empty().then(|| Err(t(lang, "history.not_found")));
        self.list = list;
        self.selected = None;
        self.pin.clear();
    }
}

/// The receipt of `sale_no` again, as the journal recorded it (marked a copy).
fn receipt_copy(
    sale_no: &str,
    ctx: &Ctx<'_>,
) -> Result<(crate::sale::SaleNo, crate::print::document::Document), String> {
    let sale: crate::sale::SaleNo = sale_no.parse().map_err(|e| format!("{e}"))?;
    let terminal = ctx.terminal_ref().map_err(|e| e.to_string())?;
    let data = terminal
        .receipt(&sale, &ctx.config.store, true)
        .map_err(|e| e.to_string())?;
    Ok((sale, crate::print::document::receipt_document(&data)))
}

#[cfg(test)]
mod query_tests {
    use super::*;
    use crate::money::Ntd;
    use crate::sale::{PayMethod, Wallet};
    use chrono::NaiveDate;

    #[test]
    fn a_search_reads_as_a_day_an_amount_a_way_of_paying_or_a_code() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let day = |m, d| Query::Day(NaiveDate::from_ymd_opt(2026, m, d).unwrap());
        assert_eq!(parse_query("2026-11-21", today), day(11, 21));
        assert_eq!(parse_query("11/21", today), day(11, 21));
        assert_eq!(parse_query("3-5", today), day(3, 5));
        assert_eq!(
            parse_query("NT$1,200", today),
            Query::Amount(Ntd::new(1200))
        );
        assert_eq!(parse_query("85", today), Query::Amount(Ntd::new(85)));
        assert_eq!(
            parse_query("街口支付", today),
            Query::Paid(PayMethod::Wallet(Wallet::JkoPay))
        );
        assert_eq!(
            parse_query("LINE", today),
            Query::Paid(PayMethod::Wallet(Wallet::LinePay))
        );
        assert_eq!(parse_query("現金", today), Query::Paid(PayMethod::Cash));
        assert_eq!(parse_query("未結", today), Query::Open);
        assert_eq!(parse_query("Open", today), Query::Open);
        assert_eq!(
            parse_query("TLD0126112200001", today),
            Query::Code("TLD0126112200001".into())
        );
        assert_eq!(
            parse_query("AB12345678", today),
            Query::Code("AB12345678".into())
        );
        // Invoice numbers without a track are 8 digits: a code, not an amount.
        assert_eq!(
            parse_query("12345678", today),
            Query::Code("12345678".into())
        );
    }
}
