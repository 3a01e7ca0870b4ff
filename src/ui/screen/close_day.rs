//! Close the day: the shift's figures (X) at a glance, printable any time,
//! and the Z close behind a manager's PIN.

use iced::widget::{Column, button, column, container, row, scrollable, text};
use iced::{Alignment, Element, Length};

use crate::secret::Secret;
use crate::terminal::views::{ShiftReport, User};
use crate::terminal::{Approval, TerminalError, report_document};
use crate::ui::component::printing::print_error_text;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::screen::{Ctx, PrintFor, PrintJob};
use crate::ui::theme;
use crate::ui::widget::approval::{manager_buttons, told};
use crate::ui::widget::keypad::keypad;
use iced::Task;

const MAX_PIN: usize = 8;

#[derive(Debug)]
pub struct State {
    report: Result<ShiftReport, String>,
    manager: Option<String>,
    pin: String,
    message: Option<Told>,
    /// The Z was asked for once: the next press closes the day.
    confirming: bool,
}

/// What the screen last said, kept as what happened and worded in the
/// cashier's language each time it is drawn: a language switch rewords it.
#[derive(Debug, Clone)]
enum Told {
    /// The Z was asked for: what it will do, press again to close.
    Warning,
    PickManager,
    PrintedX,
    Closed(u64),
    DrawerOpened,
    WrongPin,
    /// A printer's or the journal's own words, as they came.
    Said(Result<String, String>),
}

#[derive(Debug, Clone)]
pub enum Message {
    PickManager(String),
    Digit(char),
    Backspace,
    PrintX,
    CloseDay,
    /// Open the cash drawer without a sale (manager, audited).
    NoSale,
    Back,
    /// The printer answered for what this screen sent it.
    Printed(Printed, Result<(), String>),
}

/// What this screen sent to the printer.
#[derive(Debug, Clone)]
pub enum Printed {
    /// The X report, as printed.
    X(Box<ShiftReport>),
    /// The Z report of close `z`, and the next shift's figures.
    Z {
        z: u64,
        next: Option<Box<ShiftReport>>,
    },
    /// The drawer's pulse (no sale).
    Drawer,
}

#[derive(Debug, Clone)]
pub enum Event {
    Back,
}

impl State {
    /// What a shortcut means here: Escape leaves, digits go to the
    /// manager's PIN.
    pub fn key(&self, key: crate::ui::shortcut::Shortcut) -> Option<Message> {
        use crate::ui::shortcut::Shortcut;
        match key {
            Shortcut::Escape => Some(Message::Back),
            Shortcut::Digit(d) => Some(Message::Digit(d)),
            Shortcut::Backspace => Some(Message::Backspace),
            _ => None,
        }
    }

    pub fn new(report: Result<ShiftReport, String>) -> State {
        State {
            report,
            manager: None,
            pin: String::new(),
            message: None,
            confirming: false,
        }
    }

    /// Show the outcome of printing or closing.
    fn told(&mut self, message: Told, report: Option<ShiftReport>) {
        self.message = Some(message);
        if let Some(r) = report {
            self.report = Ok(r);
        }
        self.pin.clear();
    }

    /// Print a report; the printer's answer comes back as
    /// [`Message::Printed`] with `what` (at once when it could not even be
    /// journaled).
    fn print(
        &mut self,
        document: crate::print::document::Document,
        what: Printed,
        ctx: &mut Ctx<'_>,
    ) {
        let job = PrintJob {
            kind: "report",
            document,
            sale: None,
            approval: None,
            answer: Some(PrintFor::CloseDay(what.clone())),
        };
        if let Err(e) = ctx.print(job) {
            self.printed(what, Err(e));
        }
    }

    /// The printer answered for what this screen sent it.
    fn printed(&mut self, what: Printed, printed: Result<(), String>) {
        match (what, printed) {
            (Printed::X(report), Ok(())) => self.told(Told::PrintedX, Some(*report)),
            (Printed::X(_), Err(e)) => self.told(Told::Said(Err(e)), None),
            (Printed::Z { z, next }, Ok(())) => self.told(Told::Closed(z), next.map(|r| *r)),
            (Printed::Z { next, .. }, Err(e)) => self.told(Told::Said(Err(e)), next.map(|r| *r)),
            (Printed::Drawer, Ok(())) => self.told(Told::DrawerOpened, None),
            (Printed::Drawer, Err(e)) => self.told(Told::Said(Err(e)), None),
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
        // The manager's approval (who, the PIN) keeps a pending Z
        // confirmation: the warning asks for it. Anything else drops it.
        let keeps_confirmation = matches!(
            message,
            Message::PickManager(_) | Message::Digit(_) | Message::Backspace
        );
        let confirming = if keeps_confirmation {
            self.confirming
        } else {
            std::mem::take(&mut self.confirming)
        };
        match message {
            Message::PickManager(name) => {
                self.manager = Some(name);
                self.pin.clear();
            }
            Message::Digit(d) if d.is_ascii_digit() && self.pin.len() < MAX_PIN => self.pin.push(d),
            Message::Digit(_) => {}
            Message::Backspace => {
                self.pin.pop();
            }
            Message::PrintX => {
                let report = match ctx.terminal() {
                    Ok(terminal) => terminal.x_report().map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match report {
                    Ok(r) => {
                        let document = report_document(&r, &ctx.config.store);
                        self.print(document, Printed::X(Box::new(r)), ctx);
                    }
                    Err(e) => self.told(Told::Said(Err(e)), None),
                }
            }
            Message::Printed(what, printed) => self.printed(what, printed),
            Message::Back => return Some(Event::Back),
            Message::NoSale => {
                let Some(manager) = self.manager.clone() else {
                    self.message = Some(Told::PickManager);
                    return None;
                };
                let pin = Secret::new(std::mem::take(&mut self.pin));
                let approved = match ctx.terminal() {
                    Ok(terminal) => terminal
                        .approve_no_sale(
                            Approval {
                                manager: &manager,
                                pin: &pin,
                            },
                            "no sale",
                        )
                        .map_err(|e| print_error_text(e, lang)),
                    Err(e) => Err(e.to_string()),
                };
                match approved {
                    Ok(()) => {
                        let to = PrintFor::CloseDay(Printed::Drawer);
                        if let Err(e) = ctx.open_drawer(&manager, to) {
                            self.printed(Printed::Drawer, Err(e));
                        }
                    }
                    Err(e) => self.told(Told::Said(Err(e)), None),
                }
            }
            Message::CloseDay => {
                let Some(manager) = self.manager.clone() else {
                    self.message = Some(Told::PickManager);
                    return None;
                };
                if !confirming {
                    // A Z cannot be undone: say what it will do, then close
                    // on the second press.
                    self.confirming = true;
                    self.message = Some(Told::Warning);
                    return None;
                }
                let pin = Secret::new(std::mem::take(&mut self.pin));
                let closed = match ctx.terminal() {
                    Ok(terminal) => terminal
                        .close_day(Approval {
                            manager: &manager,
                            pin: &pin,
                        })
                        .map(|z| {
                            // The next shift's figures, shown once the Z is printed.
                            let next = terminal.x_report().ok().map(Box::new);
                            (z, next)
                        })
                        .map_err(|e| match e {
                            TerminalError::WrongPin => Told::WrongPin,
                            other => Told::Said(Err(other.to_string())),
                        }),
                    Err(e) => Err(Told::Said(Err(e.to_string()))),
                };
                match closed {
                    Ok((z, next)) => {
                        let document = report_document(&z, &ctx.config.store);
                        let what = Printed::Z {
                            z: z.z_number,
                            next,
                        };
                        self.print(document, what, ctx);
                    }
                    Err(e) => self.told(e, None),
                }
            }
        }
        None
    }

    /// What the screen last said, in `lang`.
    fn told_text(&self, lang: Lang) -> Option<Result<String, String>> {
        Some(match self.message.as_ref()? {
            Told::Warning => Err(self.close_warning(lang)),
            Told::PickManager => Err(t(lang, "closeday.pick_manager")),
            Told::PrintedX => Ok(t(lang, "closeday.printed_x")),
            Told::Closed(z) => Ok(tf(lang, "closeday.closed", &[("z", &z.to_string())])),
            Told::DrawerOpened => Ok(t(lang, "closeday.drawer_opened")),
            Told::WrongPin => Err(t(lang, "signin.wrong")),
            Told::Said(said) => said.clone(),
        })
    }

    /// What the Z will do, asked before it is done.
    fn close_warning(&self, lang: Lang) -> String {
        let mut lines = vec![t(lang, "closeday.confirm")];
        if let Ok(r) = &self.report {
            if r.unresolved > 0 {
                lines.push(tf(
                    lang,
                    "closeday.unresolved",
                    &[("n", &r.unresolved.to_string())],
                ));
            }
            if r.open_sales > 0 {
                lines.push(tf(
                    lang,
                    "closeday.open_at_close",
                    &[("n", &r.open_sales.to_string())],
                ));
            }
            if let Some(names) = half_paid(r) {
                lines.push(tf(lang, "closeday.half_paid", &[("sales", &names)]));
            }
        }
        lines.join("\n")
    }

    pub fn view<'a>(&'a self, managers: Vec<&'a User>, lang: Lang) -> Element<'a, Message> {
        let figures: Element<'a, Message> = match &self.report {
            Err(e) => text(e.clone())
                .size(theme::TEXT)
                .color(theme::DANGER_RED)
                .into(),
            Ok(r) => {
                // The label takes the room the amount leaves and wraps in
                // it; the gap keeps its last word off the amount.
                let line = |label: String, value: String| {
                    row![
                        text(label).size(theme::TEXT).width(Length::Fill),
                        text(value)
                            .size(theme::TEXT)
                            .wrapping(iced::widget::text::Wrapping::None)
                    ]
                    .spacing(theme::GAP)
                };
                let mut c = Column::new().spacing(6);
                let zh = lang == Lang::ZhTw;
                let with_n = |key: &str, count: u64| tf(lang, key, &[("n", &count.to_string())]);
                c = c.push(line(t(lang, "closeday.sales"), r.sales.to_string()));
                c = c.push(line(
                    with_n("closeday.voided", r.voided),
                    r.voided_amount.to_string(),
                ));
                c = c.push(line(t(lang, "closeday.gross"), r.gross.to_string()));
                c = c.push(line(
                    t(lang, "closeday.discounts"),
                    format!("-{}", r.discounts),
                ));
                c = c.push(line(
                    t(lang, "closeday.refunded"),
                    format!("-{}", r.refunded),
                ));
                c = c.push(line(t(lang, "closeday.net"), r.net.to_string()));
                c = c.push(line(
                    tf(
                        lang,
                        "closeday.tax_split",
                        &[
                            ("zero", &r.zero_rated.to_string()),
                            ("exempt", &r.tax_exempt.to_string()),
                            ("tax", &r.tax_included.to_string()),
                        ],
                    ),
                    r.taxable.to_string(),
                ));
                if r.invoices.is_empty() {
                    c = c.push(line(t(lang, "closeday.no_invoices"), String::new()));
                }
                for range in &r.invoices {
                    c = c.push(line(
                        tf(
                            lang,
                            "closeday.invoices",
                            &[
                                ("period", &range.period),
                                ("first", &range.first),
                                ("last", &range.last),
                            ],
                        ),
                        format!("×{}", range.count),
                    ));
                }
                c = c.push(line(
                    format!(
                        "{} · {}",
                        with_n("closeday.invoices_voided", r.invoices_voided),
                        with_n("closeday.allowances", r.allowances)
                    ),
                    format!("{} · {}", r.invoices_voided_amount, r.allowances_amount),
                ));
                for p in &r.payments {
                    let name = crate::terminal::tender_name(p, zh);
                    c = c.push(line(format!("  {name} ×{}", p.count), p.amount.to_string()));
                }
                for p in &r.refunds {
                    let name = crate::terminal::tender_name(p, zh);
                    c = c.push(line(
                        format!("  {} {name} ×{}", t(lang, "closeday.refund_line"), p.count),
                        format!("-{}", p.amount),
                    ));
                }
                c = c.push(line(t(lang, "closeday.cash"), r.cash_in_drawer.to_string()));
                if r.open_sales > 0 {
                    c = c.push(
                        text(tf(
                            lang,
                            "closeday.open_sales",
                            &[
                                ("n", &r.open_sales.to_string()),
                                ("amount", &r.open_paid.to_string()),
                            ],
                        ))
                        .size(theme::TEXT)
                        .color(theme::DANGER_RED),
                    );
                }
                if let Some(names) = half_paid(r) {
                    c = c.push(
                        text(tf(lang, "closeday.half_paid", &[("sales", &names)]))
                            .size(theme::TEXT)
                            .color(theme::DANGER_RED),
                    );
                }
                if r.unresolved > 0 {
                    c = c.push(
                        text(tf(
                            lang,
                            "closeday.unresolved",
                            &[("n", &r.unresolved.to_string())],
                        ))
                        .size(theme::TEXT)
                        .color(theme::DANGER_RED),
                    );
                }
                if r.owed_back > 0 {
                    c = c.push(
                        text(tf(
                            lang,
                            "closeday.owed_back",
                            &[
                                ("n", &r.owed_back.to_string()),
                                ("amount", &r.owed_back_amount.to_string()),
                            ],
                        ))
                        .size(theme::TEXT)
                        .color(theme::DANGER_RED),
                    );
                }
                scrollable(c).height(Length::Fill).into()
            }
        };
        let title = match &self.report {
            Ok(r) => tf(lang, "closeday.heading", &[("z", &r.z_number.to_string())]),
            Err(_) => t(lang, "closeday.heading_plain"),
        };
        let people = manager_buttons(
            managers,
            self.manager.as_deref(),
            theme::TEXT,
            Message::PickManager,
        )
        .spacing(8);
        let message: Element<'a, Message> = told(&self.told_text(lang), theme::TEXT);
        container(
            row![
                column![
                    text(title).size(theme::TEXT_LARGE),
                    figures,
                    message,
                    row![
                        button(text(t(lang, "closeday.back")).size(theme::TEXT))
                            .on_press(Message::Back)
                            .style(theme::secondary)
                            .padding([12, 20]),
                        button(text(t(lang, "closeday.print_x")).size(theme::TEXT))
                            .on_press(Message::PrintX)
                            .style(theme::secondary)
                            .padding([12, 20]),
                        button(text(t(lang, "closeday.no_sale")).size(theme::TEXT))
                            .on_press(Message::NoSale)
                            .style(theme::secondary)
                            .padding([12, 20]),
                    ]
                    .spacing(theme::GAP),
                ]
                .spacing(theme::GAP)
                .width(Length::FillPortion(1)),
                column![
                    text(t(lang, "closeday.manager")).size(theme::TEXT),
                    people,
                    text("●".repeat(self.pin.len())).size(theme::TEXT_LARGE),
                    keypad(
                        Message::Digit,
                        ("←", Message::Backspace),
                        ("OK", Message::CloseDay)
                    ),
                    button(
                        text(t(lang, "closeday.close"))
                            .size(theme::TEXT_LARGE)
                            .align_x(Alignment::Center)
                            .width(Length::Fill)
                    )
                    .width(Length::Fill)
                    .padding(theme::target_padding(theme::TEXT_LARGE))
                    .style(theme::danger)
                    .on_press(Message::CloseDay),
                ]
                .spacing(theme::GAP)
                .width(Length::FillPortion(1)),
            ]
            .spacing(theme::PAD * 2.0),
        )
        .padding(theme::PAD)
        .style(theme::panel)
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
    }
}

/// The half-paid sales that block the Z, by number and what was taken.
fn half_paid(r: &ShiftReport) -> Option<String> {
    let names: Vec<String> = r
        .open
        .iter()
        .filter(|s| s.paid.is_positive())
        .map(|s| format!("{} ({}/{})", s.sale_no, s.paid, s.total))
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}
