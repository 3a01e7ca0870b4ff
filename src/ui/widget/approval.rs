//! The pieces of a manager's approval that several screens show: who may
//! approve, as buttons, and the screen's last word on what happened.

use iced::widget::{Column, button, column, text};
use iced::{Element, Length};

use crate::terminal::views::User;
use crate::ui::theme;

/// The managers who may approve, one button each; the chosen one stands out.
pub fn manager_buttons<'a, M: Clone + 'a>(
    managers: Vec<&'a User>,
    chosen: Option<&str>,
    size: f32,
    pick: impl Fn(String) -> M,
) -> Column<'a, M> {
    let mut people = Column::new();
    for m in managers {
        let style = if chosen == Some(m.name.as_str()) {
            theme::primary
        } else {
            theme::secondary
        };
        people = people.push(
            button(text(m.name.clone()).size(size))
                .width(Length::Fill)
                .padding(crate::ui::theme::target_padding(size))
                .style(style)
                .on_press(pick(m.name.clone())),
        );
    }
    people
}

/// What the screen has to say: green when it went well, red when not. Its
/// lines hold all of their ink ([`theme::INK_LINE`]): a message replaced by
/// another leaves no trace of the old one.
pub fn told<'a, M: 'a>(message: &Option<Result<String, String>>, size: f32) -> Element<'a, M> {
    let said = |m: &String| text(m.clone()).size(size).line_height(theme::INK_LINE);
    match message {
        Some(Ok(m)) => said(m).color(theme::OK_GREEN).into(),
        Some(Err(m)) => said(m).color(theme::DANGER_RED).into(),
        None => column![].into(),
    }
}
