//! The result of a completed sale: what was paid and the change to give.

use iced::widget::{button, column, container, text};
use iced::{Alignment, Element, Length};

use crate::locale::{Localized, Text};
use crate::money::Ntd;
use crate::terminal::completion::Invoice;
use crate::ui::component::invoice::invoice_text;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::theme;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub total: Ntd,
    pub change: Ntd,
    pub sale_no: String,
    /// Whether the receipt printed, or the printer's problem; `None`
    /// while it is with the printer.
    pub printed: Option<Result<(), String>>,
    /// The e-invoice, or why there is none; `None` before the completion
    /// said. Worded when shown, in the language showing.
    pub invoice: Option<Result<Invoice, Text>>,
    /// The invoice's paper proof.
    pub paper: Paper,
    /// What else to tell the cashier (how a pay-later order is paid, a
    /// cancel that came too late, an invoice voided and reissued).
    pub note: Option<Text>,
}

/// Where the e-invoice proof is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paper {
    /// Nothing to print (a carrier or a donation), or not issued.
    None,
    Printing,
    Printed,
    /// Issued, but the proof did not print: why.
    Failed(String),
}

#[derive(Debug, Clone)]
pub enum Message {
    Next,
    /// The printer answered for the receipt (or slip) of `sale_no`.
    Printed(String, Result<(), String>),
    /// Where the e-invoice proof of `sale_no` is now.
    Paper(String, Paper),
    /// The e-invoice of `sale_no`, or why there is none.
    Invoice(String, Result<Invoice, Text>),
    /// The invoice was voided and issued again: the new one, and what the
    /// cashier must do about it.
    Reissued {
        invoice: Invoice,
        note: Text,
    },
}

/// What the result screen tells its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Next,
}

impl State {
    /// A message for this result screen; news of another sale's print-outs
    /// (a result screen already left) changes nothing.
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Next => return Some(Event::Next),
            Message::Printed(sale, printed) if sale == self.sale_no => self.printed = Some(printed),
            Message::Paper(sale, paper) if sale == self.sale_no => self.paper = paper,
            Message::Invoice(sale, invoice) if sale == self.sale_no => self.invoice = Some(invoice),
            Message::Reissued { invoice, note } => {
                self.invoice = Some(Ok(invoice));
                self.note = Some(note);
            }
            Message::Printed(..) | Message::Paper(..) | Message::Invoice(..) => {}
        }
        None
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        let mut body = column![
            text(t(lang, "result.paid"))
                .size(theme::TEXT_TOTAL)
                .color(theme::OK_GREEN),
            text(self.total.to_string()).size(theme::TEXT_TOTAL),
            text(self.sale_no.clone()).size(theme::TEXT_SMALL),
        ]
        .spacing(theme::GAP)
        .align_x(Alignment::Center);
        if self.change.is_positive() {
            body = body.push(
                text(tf(
                    lang,
                    "result.change_due",
                    &[("amount", &self.change.to_string())],
                ))
                .size(theme::TEXT_TOTAL),
            );
        }
        body = body.push(match &self.printed {
            None => text(t(lang, "result.printing")).size(theme::TEXT),
            Some(Ok(())) => text(t(lang, "result.printed")).size(theme::TEXT),
            Some(Err(why)) => text(format!("{} {why}", t(lang, "result.not_printed")))
                .size(theme::TEXT)
                .color(theme::DANGER_RED),
        });
        let invoice = match &self.invoice {
            None => Err(String::new()),
            Some(Ok(invoice)) => invoice_text(invoice, lang),
            Some(Err(why)) => Err(why.message(lang)),
        };
        body = body.push(match (&invoice, &self.paper) {
            (Ok(number), _) if number.is_empty() => text(String::new()),
            (Ok(number), Paper::Printed) => {
                text(tf(lang, "result.invoice", &[("number", number)])).size(theme::TEXT)
            }
            (Ok(number), Paper::Printing) => {
                text(tf(lang, "result.invoice_printing", &[("number", number)])).size(theme::TEXT)
            }
            (Ok(number), Paper::Failed(why)) => text(tf(
                lang,
                "result.invoice_not_printed",
                &[("number", number), ("why", why)],
            ))
            .size(theme::TEXT)
            .color(theme::DANGER_RED),
            (Ok(number), Paper::None) => {
                text(tf(lang, "result.invoice_issued", &[("number", number)])).size(theme::TEXT)
            }
            (Err(why), _) if why.is_empty() => text(String::new()),
            (Err(why), _) => text(format!("{} {why}", t(lang, "result.no_invoice")))
                .size(theme::TEXT)
                .color(theme::DANGER_RED),
        });
        if let Some(note) = &self.note {
            body = body.push(
                text(note.message(lang))
                    .size(theme::TEXT)
                    .color(theme::DANGER_RED),
            );
        }
        body = body.push(
            button(
                text(t(
                    lang,
                    if self.change.is_positive() {
                        "result.next_change_given"
                    } else {
                        "result.next"
                    },
                ))
                .size(theme::TEXT_LARGE),
            )
            .on_press(Message::Next)
            .style(theme::primary)
            .padding([16, 32]),
        );
        // Long printer messages must never push "next" off a small screen.
        container(iced::widget::scrollable(
            container(body).center_x(Length::Fill).padding(theme::PAD),
        ))
        .center(Length::Fill)
        .style(theme::panel)
        .into()
    }
}
