//! Keys that mean the same on every screen: the function keys, Escape,
//! Enter, digits and Backspace, as the keyboard-wedge detector hands them
//! over. Each screen says what a shortcut means to it; the app routes.

use crate::terminal::devices::Key;

/// Keys that work on every screen (listed in the footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// F2: take payment.
    Pay,
    /// F4: switch language.
    Language,
    /// F8: remove the last line (asks first).
    Remove,
    /// F9: close the day.
    CloseDay,
    /// F6: history.
    History,
    /// F10: settings (managers).
    Settings,
    /// F7: refund.
    Refund,
    Escape,
    Enter,
    Digit(char),
    Backspace,
}

/// The shortcut a key names, if any.
pub fn of_key(key: &Key) -> Option<Shortcut> {
    match key {
        Key::Other(name) if name == "F2" => Some(Shortcut::Pay),
        Key::Other(name) if name == "F4" => Some(Shortcut::Language),
        Key::Other(name) if name == "F8" => Some(Shortcut::Remove),
        Key::Other(name) if name == "F9" => Some(Shortcut::CloseDay),
        Key::Other(name) if name == "F6" => Some(Shortcut::History),
        Key::Other(name) if name == "F10" => Some(Shortcut::Settings),
        Key::Other(name) if name == "F7" => Some(Shortcut::Refund),
        Key::Escape => Some(Shortcut::Escape),
        Key::Enter => Some(Shortcut::Enter),
        Key::Backspace => Some(Shortcut::Backspace),
        Key::Char(d) if d.is_ascii_digit() => Some(Shortcut::Digit(*d)),
        _ => None,
    }
}
