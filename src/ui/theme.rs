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
/// The line height of a text that changes in place (a screen's message):
/// tall enough to hold all of the font's ink. Noto Sans Mono CJK's glyphs
/// span 1.448 em from ascender to descender, and iced's usual 1.3-em line
/// lets g, p and y reach the pixel row below; the renderer repaints only a
/// changed text's line, so that row kept the old message's descenders.
pub const INK_LINE: iced::widget::text::LineHeight = iced::widget::text::LineHeight::Relative(1.5);

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

/// The big green "pay" / "complete" buttons, and a chosen option.
pub fn primary(theme: &Theme, status: button::Status) -> button::Style {
    let mut style = button::success(theme, status);
    style.border.radius = 8.0.into();
    unless_disabled(style, status)
}

pub fn danger(theme: &Theme, status: button::Status) -> button::Style {
    let mut style = button::danger(theme, status);
    style.border.radius = 8.0.into();
    unless_disabled(style, status)
}

/// An option not chosen, or a plain action: white with a dark outline and
/// dark text, so it never looks like a disabled button (flat grey, grey
/// text, no outline) nor a chosen one (filled colour).
pub fn secondary(_: &Theme, status: button::Status) -> button::Style {
    let background = match status {
        button::Status::Hovered => Color::from_rgb(0.92, 0.94, 0.97),
        button::Status::Pressed => Color::from_rgb(0.85, 0.88, 0.93),
        _ => Color::WHITE,
    };
    let style = button::Style {
        background: Some(Background::Color(background)),
        text_color: Color::from_rgb(0.10, 0.11, 0.13),
        border: Border {
            color: Color::from_rgb(0.35, 0.37, 0.42),
            width: 1.5,
            radius: 8.0.into(),
        },
        ..button::Style::default()
    };
    unless_disabled(style, status)
}

/// Product tiles and keypad keys.
pub fn tile(theme: &Theme, status: button::Status) -> button::Style {
    let mut style = button::primary(theme, status);
    style.border.radius = 8.0.into();
    unless_disabled(style, status)
}

pub const DISABLED_BACKGROUND: Color = Color::from_rgb(0.86, 0.86, 0.87);
pub const DISABLED_TEXT: Color = Color::from_rgb(0.56, 0.56, 0.58);

/// Every disabled button looks the same whatever it would be: flat grey,
/// grey text, no outline.
fn unless_disabled(style: button::Style, status: button::Status) -> button::Style {
    if status != button::Status::Disabled {
        return style;
    }
    button::Style {
        background: Some(Background::Color(DISABLED_BACKGROUND)),
        text_color: DISABLED_TEXT,
        border: Border {
            width: 0.0,
            radius: style.border.radius,
            ..Border::default()
        },
        ..style
    }
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

/// The smallest a button a finger taps may be, each way.
pub const TARGET: f32 = 48.0;

/// Padding that makes a button around one line of text at `size` at least
/// `TARGET` high (iced's line height is 1.3 × the size).
pub fn target_padding(size: f32) -> iced::Padding {
    let v = ((TARGET - size * 1.3) / 2.0).ceil().max(8.0);
    iced::Padding {
        top: v,
        bottom: v,
        left: 16.0,
        right: 16.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced::widget::button::Status;

    fn fill(s: &button::Style) -> Color {
        match s.background {
            Some(Background::Color(c)) => c,
            _ => Color::TRANSPARENT,
        }
    }

    fn grey(c: Color) -> bool {
        (c.r - c.g).abs() < 0.05 && (c.g - c.b).abs() < 0.05
    }

    /// Disabled, not chosen and chosen are three looks a cashier tells
    /// apart: grey is only ever "disabled".
    #[test]
    fn disabled_unselected_and_selected_buttons_look_different() {
        let t = theme();
        let unselected = secondary(&t, Status::Active);
        let selected = primary(&t, Status::Active);
        for disabled in [
            secondary(&t, Status::Disabled),
            primary(&t, Status::Disabled),
            danger(&t, Status::Disabled),
            tile(&t, Status::Disabled),
        ] {
            assert_eq!(fill(&disabled), DISABLED_BACKGROUND);
            assert_eq!(disabled.text_color, DISABLED_TEXT);
            assert_eq!(disabled.border.width, 0.0, "no outline when disabled");
        }
        // Not chosen: outlined, dark text on white, not the disabled grey.
        assert!(unselected.border.width >= 1.0);
        assert_eq!(fill(&unselected), Color::WHITE);
        assert_ne!(unselected.text_color, DISABLED_TEXT);
        // Chosen: a filled colour, not grey.
        assert!(!grey(fill(&selected)), "{:?}", fill(&selected));
        assert_ne!(fill(&selected), fill(&unselected));
    }
}
