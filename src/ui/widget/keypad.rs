//! The numeric keypad of the PIN and cash screens: large keys for a finger,
//! 7-8-9 on top like a calculator and a till's own keypad.

use iced::widget::{Button, Column, button, row, text};
use iced::{Alignment, Element, Length};

use crate::ui::theme;

/// One large keypad key.
pub fn key<'a, M: Clone + 'a>(label: impl Into<String>, message: M) -> Button<'a, M> {
    key_sized(label, theme::TEXT_LARGE, message)
}

/// A keypad key with a longer label (a banknote) in smaller text, so it
/// fits a quarter of the pad at 1024 px.
pub fn key_sized<'a, M: Clone + 'a>(
    label: impl Into<String>,
    size: f32,
    message: M,
) -> Button<'a, M> {
    button(
        text(label.into())
            .size(size)
            .align_x(Alignment::Center)
            .width(Length::Fill),
    )
    .width(Length::Fill)
    .height(theme::TOUCH + 8.0)
    .style(theme::tile)
    .on_press(message)
}

/// Digits 1–9 in calculator order, then a bottom row of `left`, 0, `right`.
pub fn keypad<'a, M: Clone + 'a>(
    digit: impl Fn(char) -> M,
    left: (&str, M),
    right: (&str, M),
) -> Element<'a, M> {
    keypad_of_height(digit, left, right, theme::TOUCH + 8.0)
}

/// The keypad with keys `height` px high (the tender's: a finger's 48 px,
/// so the pad, the notes and 完成收款 fit 768 px with a notice showing).
pub fn keypad_of_height<'a, M: Clone + 'a>(
    digit: impl Fn(char) -> M,
    left: (&str, M),
    right: (&str, M),
    height: f32,
) -> Element<'a, M> {
    let mut pad = Column::new().spacing(8);
    for digits in [['7', '8', '9'], ['4', '5', '6'], ['1', '2', '3']] {
        let mut r = row![].spacing(8);
        for d in digits {
            r = r.push(key(d.to_string(), digit(d)).height(height));
        }
        pad = pad.push(r);
    }
    pad.push(
        row![
            key(left.0, left.1).height(height),
            key("0", digit('0')).height(height),
            key(right.0, right.1).height(height)
        ]
        .spacing(8),
    )
    .into()
}
