//! Sizes and colours. Targets are large enough for a finger on a touch
//! screen (at least 48 px high) and text is readable at arm's length.

use iced::widget::{button, container};
use iced::{Background, Border, Color, Theme};

pub const TEXT: f32 = 20.0;
pub const TEXT_SMALL: f32 = 16.0;
pub const TEXT_LARGE: f32 = 28.0;
pub const TEXT_TOTAL: f32 = 44.0;
pub const TOUCH: f32 = 56.0;
pub const GAP: f32 = 12.0;
pub const PAD: f32 = 16.0;

pub const DEMO_AMBER: Color = Color::from_rgb(0.98, 0.75, 0.18);
pub const OK_GREEN: Color = Color::from_rgb(0.13, 0.55, 0.30);
pub const DANGER_RED: Color = Color::from_rgb(0.78, 0.16, 0.16);
pub const PANEL: Color = Color::from_rgb(0.96, 0.96, 0.97);

pub fn theme() -> Theme {
    Theme::Light
}

/// The demo-mode banner across the top: impossible to miss.
pub fn demo_banner(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(DEMO_AMBER)),
        text_color: Some(Color::BLACK),
        ..container::Style::default()
    }
}

pub fn panel(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(PANEL)),
        border: Border {
            radius: 8.0.into(),
            ..Border::default()
        },
        ..container::Style::default()
    }
}

pub fn status_bar(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(Color::from_rgb(0.15, 0.17, 0.2))),
        text_color: Some(Color::WHITE),
        ..container::Style::default()
    }
}

/// The big green "pay" / "complete" buttons.
pub fn primary(theme: &Theme, status: button::Status) -> button::Style {
    let mut style = button::success(theme, status);
    style.border.radius = 8.0.into();
    style
}

pub fn danger(theme: &Theme, status: button::Status) -> button::Style {
    let mut style = button::danger(theme, status);
    style.border.radius = 8.0.into();
    style
}

pub fn secondary(theme: &Theme, status: button::Status) -> button::Style {
    let mut style = button::secondary(theme, status);
    style.border.radius = 8.0.into();
    style
}

/// Product tiles and keypad keys.
pub fn tile(theme: &Theme, status: button::Status) -> button::Style {
    let mut style = button::primary(theme, status);
    style.border.radius = 8.0.into();
    style
}

/// How wide `text` is drawn at `size` in the bundled monospaced CJK font,
/// a little generously: a full-width character takes two columns, the rest
/// one (measured: the 92 columns of the key hint at 16 px take 800 px, 0.543
/// em a column).
pub fn text_width(text: &str, size: f32) -> f32 {
    let columns: usize = text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum();
    columns as f32 * size * 0.55
}

/// Full-width: CJK and the full-width forms.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
}
