//! Taking payment. Today: cash with change on an on-screen keypad (digits,
//! Backspace and Enter on a keyboard work too). Wallet, bound-card, PayPage
//! and pay-later tenders join here with the gateway workflow.

use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length};

use crate::money::Ntd;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::theme;
use crate::ui::widget::keypad::{key, keypad};

#[derive(Debug)]
pub struct State {
    due: Ntd,
    /// Digits typed for the cash received.
    received: String,
    notice: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Digit(char),
    Backspace,
    Clear,
    /// A banknote button or "exact".
    Quick(Ntd),
    Confirm,
    Back,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Cash taken: what the customer handed over.
    PaidCash {
        received: Ntd,
    },
    Back,
}

/// Banknotes the keypad offers; NT$ notes are 100, 500, 1000 (200 and 2000 are rare).
const NOTES: [i64; 3] = [100, 500, 1000];

impl State {
    pub fn new(due: Ntd) -> State {
        State {
            due,
            received: String::new(),
            notice: None,
        }
    }

    pub fn due(&self) -> Ntd {
        self.due
    }

    fn received(&self) -> Ntd {
        self.received.parse().unwrap_or(Ntd::ZERO)
    }

    /// The payment could not be recorded: say why, keep the keypad as it was.
    pub fn refused(&mut self, message: String) {
        self.notice = Some(message);
    }

    pub fn update(&mut self, message: Message, lang: Lang) -> Option<Event> {
        self.notice = None;
        match message {
            Message::Digit(d) if d.is_ascii_digit() => {
                // 8 digits is more cash than any till holds.
                if self.received.len() < 8 && !(self.received.is_empty() && d == '0') {
                    self.received.push(d);
                }
            }
            Message::Digit(_) => {}
            Message::Backspace => {
                self.received.pop();
            }
            Message::Clear => self.received.clear(),
            Message::Quick(amount) => self.received = amount.dollars().to_string(),
            Message::Back => return Some(Event::Back),
            Message::Confirm => {
                // Enter on an empty keypad means "exact amount".
                let received = if self.received.is_empty() {
                    self.due
                } else {
                    self.received()
                };
                if received < self.due {
                    let short = self.due.checked_sub(received).unwrap_or(self.due);
                    self.notice = Some(tf(lang, "tender.short", &[("amount", &short.to_string())]));
                    return None;
                }
                return Some(Event::PaidCash { received });
            }
        }
        None
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        let received = if self.received.is_empty() {
            self.due
        } else {
            self.received()
        };
        let change = received
            .checked_sub(self.due)
            .unwrap_or(Ntd::ZERO)
            .max(Ntd::ZERO);
        let figures = column![
            row![
                text(t(lang, "tender.due"))
                    .size(theme::TEXT_LARGE)
                    .width(Length::Fill),
                text(self.due.to_string()).size(theme::TEXT_TOTAL),
            ]
            .align_y(Alignment::Center),
            row![
                text(t(lang, "tender.received"))
                    .size(theme::TEXT_LARGE)
                    .width(Length::Fill),
                text(received.to_string()).size(theme::TEXT_TOTAL),
            ]
            .align_y(Alignment::Center),
            row![
                text(t(lang, "tender.change"))
                    .size(theme::TEXT_LARGE)
                    .width(Length::Fill),
                text(change.to_string())
                    .size(theme::TEXT_TOTAL)
                    .color(theme::OK_GREEN),
            ]
            .align_y(Alignment::Center),
        ]
        .spacing(theme::GAP);

        let pad = keypad(
            Message::Digit,
            ("C", Message::Clear),
            ("←", Message::Backspace),
        );
        let mut quick = row![key(t(lang, "tender.exact"), Message::Quick(self.due))].spacing(8);
        for note in NOTES {
            quick = quick.push(key(
                Ntd::new(note).to_string(),
                Message::Quick(Ntd::new(note)),
            ));
        }

        let notice: Element<'_, Message> = match &self.notice {
            Some(n) => container(text(n.clone()).size(theme::TEXT).color(theme::DANGER_RED))
                .id("tender-notice")
                .into(),
            None => column![].into(),
        };
        let actions = row![
            button(text(t(lang, "tender.back")).size(theme::TEXT))
                .on_press(Message::Back)
                .style(theme::secondary)
                .padding([16, 24]),
            button(
                text(t(lang, "tender.confirm"))
                    .size(theme::TEXT_LARGE)
                    .align_x(Alignment::Center)
                    .width(Length::Fill)
            )
            .width(Length::Fill)
            .height(theme::TOUCH + 16.0)
            .on_press(Message::Confirm)
            .style(theme::primary),
        ]
        .spacing(theme::GAP)
        .align_y(Alignment::Center);

        container(
            column![
                text(t(lang, "tender.heading")).size(theme::TEXT_LARGE),
                text(t(lang, "paying.scan")).size(theme::TEXT),
                row![
                    container(figures).width(Length::FillPortion(1)),
                    column![quick, pad].spacing(8).width(Length::FillPortion(1)),
                ]
                .spacing(theme::PAD * 2.0),
                notice,
                actions,
            ]
            .spacing(theme::PAD),
        )
        .padding(theme::PAD)
        .style(theme::panel)
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cash_is_refused_with_the_missing_amount() {
        let mut s = State::new(Ntd::new(185));
        s.update(Message::Digit('1'), Lang::En);
        s.update(Message::Digit('0'), Lang::En);
        s.update(Message::Digit('0'), Lang::En);
        assert_eq!(s.update(Message::Confirm, Lang::En), None);
        assert_eq!(
            s.notice.as_deref(),
            Some("Not enough: NT$85 more is needed")
        );
        assert_eq!(s.update(Message::Quick(Ntd::new(500)), Lang::En), None);
        assert_eq!(
            s.update(Message::Confirm, Lang::En),
            Some(Event::PaidCash {
                received: Ntd::new(500)
            })
        );
    }

    #[test]
    fn enter_on_an_empty_keypad_is_exact_cash() {
        let mut s = State::new(Ntd::new(60));
        assert_eq!(
            s.update(Message::Confirm, Lang::ZhTw),
            Some(Event::PaidCash {
                received: Ntd::new(60)
            })
        );
    }

    #[test]
    fn leading_zeros_and_runaway_digits_are_ignored() {
        let mut s = State::new(Ntd::new(1));
        for _ in 0..3 {
            s.update(Message::Digit('0'), Lang::En);
        }
        assert_eq!(s.received, "");
        for _ in 0..12 {
            s.update(Message::Digit('9'), Lang::En);
        }
        assert_eq!(s.received.len(), 8);
        s.update(Message::Backspace, Lang::En);
        assert_eq!(s.received.len(), 7);
    }
}
