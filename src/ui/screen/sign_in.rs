//! Sign in: the cashier picks their name and enters a PIN on the keypad
//! (or the keyboard's digits). The PIN is shown as dots and never kept
//! after the attempt.

use iced::widget::{Column, button, column, container, row, text};
use iced::{Alignment, Element, Length};

use crate::secret::Secret;
use crate::terminal::views::{Role, User};
use crate::ui::i18n::{Lang, t};
use crate::ui::theme;
use crate::ui::widget::keypad::keypad;

/// Longest PIN the journal accepts.
const MAX_PIN: usize = 8;

#[derive(Debug, Default)]
pub struct State {
    selected: Option<String>,
    pin: String,
    error: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Pick(String),
    Digit(char),
    Backspace,
    Submit,
    /// The till refused the PIN (or the sign-in): why.
    Refused(String),
}

#[derive(Debug, Clone)]
pub enum Event {
    SignIn { name: String, pin: Secret },
}

impl State {
    /// What a shortcut means here: digits, Backspace and Enter work the PIN.
    pub fn key(&self, key: crate::ui::shortcut::Shortcut) -> Option<Message> {
        use crate::ui::shortcut::Shortcut;
        match key {
            Shortcut::Digit(d) => Some(Message::Digit(d)),
            Shortcut::Backspace => Some(Message::Backspace),
            Shortcut::Enter => Some(Message::Submit),
            _ => None,
        }
    }

    pub fn update(&mut self, message: Message, lang: Lang) -> Option<Event> {
        match message {
            Message::Pick(name) => {
                self.selected = Some(name);
                self.pin.clear();
                self.error = None;
            }
            Message::Digit(d) if d.is_ascii_digit() && self.pin.len() < MAX_PIN => {
                self.pin.push(d);
                self.error = None;
            }
            Message::Digit(_) => {}
            Message::Backspace => {
                self.pin.pop();
            }
            Message::Refused(why) => self.refused(why),
            Message::Submit => {
                let Some(name) = self.selected.clone() else {
                    self.error = Some(t(lang, "signin.pick_first"));
                    return None;
                };
                let pin = Secret::new(std::mem::take(&mut self.pin));
                return Some(Event::SignIn { name, pin });
            }
        }
        None
    }

    /// The PIN was wrong: say so and let them try again.
    fn refused(&mut self, message: String) {
        self.pin.clear();
        self.error = Some(message);
    }

    /// `notice`: what a manager must see on signing in (sales left open).
    pub fn view<'a>(
        &'a self,
        staff: &'a [User],
        notice: Option<String>,
        lang: Lang,
    ) -> Element<'a, Message> {
        let mut people = Column::new().spacing(8);
        for user in staff {
            let role = match user.role {
                Role::Manager => t(lang, "signin.manager"),
                Role::Cashier => t(lang, "signin.cashier"),
            };
            let chosen = self.selected.as_deref() == Some(user.name.as_str());
            people = people.push(
                button(
                    row![
                        text(user.name.clone())
                            .size(theme::TEXT)
                            .width(Length::Fill),
                        text(role).size(theme::TEXT_SMALL),
                    ]
                    .align_y(Alignment::Center),
                )
                .width(Length::Fill)
                .height(theme::TOUCH)
                .style(if chosen {
                    theme::primary
                } else {
                    theme::secondary
                })
                .on_press(Message::Pick(user.name.clone())),
            );
        }
        if staff.is_empty() {
            people = people.push(text(t(lang, "signin.no_staff")).size(theme::TEXT));
        }

        let dots: String = "●".repeat(self.pin.len());
        let pad = keypad(
            Message::Digit,
            ("←", Message::Backspace),
            ("OK", Message::Submit),
        );
        let error: Element<'a, Message> = match &self.error {
            Some(e) => text(e.clone())
                .size(theme::TEXT)
                .color(theme::DANGER_RED)
                .into(),
            None => column![].into(),
        };
        let who = self
            .selected
            .clone()
            .unwrap_or_else(|| t(lang, "signin.pick_first"));

        container(
            row![
                column![
                    text(t(lang, "signin.heading")).size(theme::TEXT_LARGE),
                    people,
                    notice.map_or_else(
                        || Element::from(column![]),
                        |n| text(n)
                            .size(theme::TEXT_SMALL)
                            .color(theme::DANGER_RED)
                            .into()
                    ),
                ]
                .spacing(theme::GAP)
                .width(Length::FillPortion(1)),
                column![
                    text(who).size(theme::TEXT),
                    row![
                        text(t(lang, "signin.pin")).size(theme::TEXT),
                        text(dots).size(theme::TEXT_LARGE)
                    ]
                    .spacing(theme::GAP)
                    .align_y(Alignment::Center),
                    pad,
                    error,
                    button(
                        text(t(lang, "signin.submit"))
                            .size(theme::TEXT_LARGE)
                            .align_x(Alignment::Center)
                            .width(Length::Fill)
                    )
                    .width(Length::Fill)
                    .height(theme::TOUCH + 8.0)
                    .style(theme::primary)
                    .on_press(Message::Submit),
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
