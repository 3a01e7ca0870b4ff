//! The result of a completed sale: what was paid and the change to give.

use iced::widget::{button, column, container, text};
use iced::{Alignment, Element, Length};

use crate::money::Ntd;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::theme;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub total: Ntd,
    pub change: Ntd,
    pub sale_no: String,
    /// Whether the receipt printed, or the printer's problem.
    pub printed: Result<(), String>,
    /// The e-invoice number whose proof printed, or why there is none.
    pub invoice: Result<String, String>,
    /// What else happened to the invoice (voided and reissued).
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Next,
}

impl State {
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
            Ok(()) => text(t(lang, "result.printed")).size(theme::TEXT),
            Err(why) => text(format!("{} {why}", t(lang, "result.not_printed")))
                .size(theme::TEXT)
                .color(theme::DANGER_RED),
        });
        body = body.push(match &self.invoice {
            Ok(number) => text(tf(lang, "result.invoice", &[("number", number)])).size(theme::TEXT),
            Err(why) if why.is_empty() => text(String::new()),
            Err(why) => text(format!("{} {why}", t(lang, "result.no_invoice")))
                .size(theme::TEXT)
                .color(theme::DANGER_RED),
        });
        if let Some(note) = &self.note {
            body = body.push(
                text(note.clone())
                    .size(theme::TEXT)
                    .color(theme::DANGER_RED),
            );
        }
        body = body.push(
            button(text(t(lang, "result.next")).size(theme::TEXT_LARGE))
                .on_press(Message::Next)
                .style(theme::primary)
                .padding([16, 32]),
        );
        container(body)
            .center(Length::Fill)
            .style(theme::panel)
            .into()
    }
}
