//! Every key press goes through the keyboard-wedge detector before the till
//! acts on it, so a code typed by a scanner is taken as a scan whatever has
//! focus: it never becomes PIN digits, and when a text field swallowed its
//! characters they are taken back out of the field.
//!
//! iced gives each key event to the focused widget first (which "captures"
//! it) and then to subscriptions; we see both kinds, remember which keys a
//! widget already used, and only act ourselves on keys no widget took.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use iced::keyboard::{self, Key as IcedKey, key::Named};

use crate::terminal::devices::{Key, WedgeConfig, WedgeDetector, WedgeOutput};

/// One key press as the app saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPress {
    pub key: Key,
    /// A focused widget (a text field) already used this key.
    pub captured: bool,
    pub at: Instant,
}

/// What the app should do once the detector has decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    /// A key a person pressed that no widget used: a shortcut or keypad key.
    Key(Key),
    /// A scanned code. `from_field` holds the characters a focused text
    /// field swallowed, to be taken back out of it.
    Scan { code: String, from_field: String },
}

/// The detector plus the bookkeeping of which held keys a widget used.
#[derive(Debug)]
pub struct KeyRouter {
    detector: WedgeDetector,
    held: VecDeque<(Key, bool)>,
    /// When a late tick found held keys past their deadline and left them
    /// undecided (see [`KeyRouter::tick`]).
    deferred: Option<Instant>,
}

/// A key tick handled this long after it was due: the UI thread was busy,
/// and keys the window read in that time may still be on their way.
const LATE: Duration = Duration::from_millis(20);

impl Default for KeyRouter {
    fn default() -> Self {
        KeyRouter::new(WedgeConfig::default())
    }
}

impl KeyRouter {
    pub fn new(config: WedgeConfig) -> KeyRouter {
        KeyRouter {
            detector: WedgeDetector::new(config),
            held: VecDeque::new(),
            deferred: None,
        }
    }

    /// When the app must call [`KeyRouter::tick`]; `None` when nothing is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.detector.deadline()
    }

    /// The clock for [`KeyRouter::tick`] while keys are held: a timer, as
    /// it is about time itself (held keys are decided by their age).
    pub fn clock(&self) -> Option<iced::Subscription<Instant>> {
        self.deadline()
            .map(|_| iced::time::every(Duration::from_millis(20)))
    }

    pub fn press(&mut self, press: KeyPress) -> Vec<Routed> {
        if press.key == Key::Modifier {
            // Part of the next key (Shift before a capital): nothing to route.
            return Vec::new();
        }
        self.deferred = None;
        self.held.push_back((press.key.clone(), press.captured));
        let out = self.detector.feed(press.key, press.at);
        self.route(out)
    }

    /// The decision timer: `due` is when the tick was due (the timer's own
    /// instant), `handled` when the app got to it. Key gaps are measured
    /// only between the instants the keys were read ([`KeyPress::at`]);
    /// the tick only decides that the keys held have gone quiet. A tick
    /// handled late means the UI thread was busy: the keys read meanwhile
    /// (the rest of a scan) are queued behind it, so the silence it reports
    /// is not known yet. It leaves them undecided; a tick handled on time,
    /// or one at least [`LATE`] after the first late one (time enough for
    /// the queued keys to arrive), decides.
    pub fn tick(&mut self, due: Instant, handled: Instant) -> Vec<Routed> {
        let Some(deadline) = self.detector.deadline() else {
            return Vec::new();
        };
        if due < deadline {
            return Vec::new();
        }
        let late = handled.saturating_duration_since(due) > LATE;
        if late {
            match self.deferred {
                None => {
                    self.deferred = Some(handled);
                    return Vec::new();
                }
                Some(first) if handled.saturating_duration_since(first) < LATE => {
                    return Vec::new();
                }
                Some(_) => {}
            }
        }
        self.deferred = None;
        let out = self.detector.tick(due);
        self.route(out)
    }

    fn route(&mut self, outputs: Vec<WedgeOutput>) -> Vec<Routed> {
        let mut routed = Vec::new();
        for output in outputs {
            match output {
                WedgeOutput::Typed(text) => {
                    for _ in text.chars() {
                        if let Some((key, false)) = self.held.pop_front() {
                            routed.push(Routed::Key(key));
                        }
                    }
                }
                WedgeOutput::Key(_) => {
                    if let Some((key, false)) = self.held.pop_front() {
                        routed.push(Routed::Key(key));
                    }
                }
                WedgeOutput::Scanned(code) => {
                    let mut from_field = String::new();
                    for _ in code.chars() {
                        if let Some((Key::Char(c), true)) = self.held.pop_front() {
                            from_field.push(c);
                        }
                    }
                    routed.push(Routed::Scan { code, from_field });
                }
            }
        }
        // A terminator the detector swallowed with its scan leaves nothing held.
        if self.detector.deadline().is_none() {
            self.held.clear();
        }
        routed
    }
}

/// Every key press of the window, for [`KeyRouter::press`] (with whether
/// a focused text field took it too).
pub fn presses() -> iced::Subscription<KeyPress> {
    iced::event::listen_with(|event, status, _window| match event {
        iced::Event::Keyboard(keyboard::Event::KeyPressed {
            key,
            text,
            modifiers,
            ..
        }) => Some(KeyPress {
            key: key_of(&key, text.as_deref(), modifiers),
            captured: status == iced::event::Status::Captured,
            at: Instant::now(),
        }),
        _ => None,
    })
}

/// The key of an iced key press, as the detector names keys. A modifier
/// pressed on its own (a scanner sends Shift before each capital) is
/// [`Key::Modifier`]; keys pressed with Ctrl, Alt or Logo are never part of
/// a scan.
pub fn key_of(key: &IcedKey, text: Option<&str>, modifiers: keyboard::Modifiers) -> Key {
    if let IcedKey::Named(named) = key
        && is_modifier(*named)
    {
        return Key::Modifier;
    }
    if modifiers.control() || modifiers.alt() || modifiers.logo() {
        return Key::Other(format!("{key:?}"));
    }
    match key {
        IcedKey::Named(Named::Enter) => Key::Enter,
        IcedKey::Named(Named::Tab) => Key::Tab,
        IcedKey::Named(Named::Backspace) => Key::Backspace,
        IcedKey::Named(Named::Escape) => Key::Escape,
        IcedKey::Named(named) => Key::Other(format!("{named:?}")),
        IcedKey::Character(c) => {
            let typed = text.unwrap_or(c.as_str());
            let mut chars = typed.chars();
            match (chars.next(), chars.next()) {
                (Some(ch), None) if !ch.is_control() => Key::Char(ch),
                _ => Key::Other(typed.to_string()),
            }
        }
        IcedKey::Unidentified => Key::Other("Unidentified".into()),
    }
}

fn is_modifier(named: Named) -> bool {
    matches!(
        named,
        Named::Shift
            | Named::Control
            | Named::Alt
            | Named::AltGraph
            | Named::Super
            | Named::Meta
            | Named::Hyper
            | Named::Fn
            | Named::FnLock
            | Named::CapsLock
            | Named::NumLock
            | Named::ScrollLock
            | Named::Symbol
            | Named::SymbolLock
    )
}

/// Take a scan's characters back out of a text field: the longest end of
/// the field that is the start of the scan (a field that refuses some
/// characters, like the digits-only amount box, kept only a prefix).
pub fn take_back(field: &mut String, swallowed: &str) {
    if swallowed.is_empty() {
        return;
    }
    let chars: Vec<char> = swallowed.chars().collect();
    for k in (1..=chars.len()).rev() {
        let tail: String = chars[..k].iter().collect();
        if field.ends_with(&tail) {
            field.truncate(field.len() - tail.len());
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    fn press(r: &mut KeyRouter, key: Key, captured: bool, t: Instant) -> Vec<Routed> {
        r.press(KeyPress {
            key,
            captured,
            at: t,
        })
    }

    #[test]
    fn a_scan_into_a_focused_field_is_taken_back_and_routed() {
        let t0 = Instant::now();
        let mut r = KeyRouter::default();
        let mut out = Vec::new();
        for (i, c) in "4710000000028".chars().enumerate() {
            out.extend(press(&mut r, Key::Char(c), true, at(t0, 5 * i as u64)));
        }
        out.extend(press(&mut r, Key::Enter, false, at(t0, 70)));
        assert_eq!(
            out,
            vec![Routed::Scan {
                code: "4710000000028".into(),
                from_field: "4710000000028".into()
            }]
        );
        assert!(r.deadline().is_none());
    }

    #[test]
    fn typed_pin_digits_reach_the_keypad_after_the_idle_wait_and_a_scan_does_not() {
        let t0 = Instant::now();
        let mut r = KeyRouter::default();
        let mut out = Vec::new();
        for (i, c) in "0000".chars().enumerate() {
            out.extend(press(&mut r, Key::Char(c), false, at(t0, 150 * i as u64)));
        }
        out.extend(r.tick(at(t0, 1000), at(t0, 1000)));
        assert_eq!(out.len(), 4);
        assert!(out.iter().all(|o| *o == Routed::Key(Key::Char('0'))));

        let mut out = Vec::new();
        for (i, c) in "22J111111111111111".chars().enumerate() {
            out.extend(press(
                &mut r,
                Key::Char(c),
                false,
                at(t0, 2000 + 4 * i as u64),
            ));
        }
        out.extend(press(&mut r, Key::Enter, false, at(t0, 2100)));
        assert_eq!(
            out,
            vec![Routed::Scan {
                code: "22J111111111111111".into(),
                from_field: String::new()
            }]
        );
    }

    /// What iced reports for `c` typed by a wedge scanner: Shift pressed
    /// on its own before a capital, then the capital with Shift held.
    fn iced_presses(c: char) -> Vec<Key> {
        let mut keys = Vec::new();
        let mut modifiers = keyboard::Modifiers::empty();
        if c.is_ascii_uppercase() {
            modifiers = keyboard::Modifiers::SHIFT;
            keys.push(key_of(&IcedKey::Named(Named::Shift), None, modifiers));
        }
        let s = c.to_string();
        keys.push(key_of(
            &IcedKey::Character(s.to_lowercase().into()),
            Some(&s),
            modifiers,
        ));
        keys
    }

    #[test]
    fn a_scan_with_capitals_typed_with_shift_is_one_scan() {
        let t0 = Instant::now();
        let mut r = KeyRouter::default();
        let mut out = Vec::new();
        let mut ms = 0;
        for c in "22J111111111111111".chars() {
            for key in iced_presses(c) {
                ms += 4;
                out.extend(press(&mut r, key, false, at(t0, ms)));
            }
        }
        out.extend(press(&mut r, Key::Enter, false, at(t0, ms + 4)));
        assert_eq!(
            out,
            vec![Routed::Scan {
                code: "22J111111111111111".into(),
                from_field: String::new()
            }],
            "nothing typed into a field, nothing left over"
        );
        assert!(r.deadline().is_none());
    }

    /// A scan read 8 ms a key while the UI thread was busy: the key tick
    /// that fell due after the first keys is handled late, behind the rest
    /// of the scan, and must not cut the scan there.
    #[test]
    fn a_scan_read_8_ms_a_key_but_handled_late_is_still_one_scan() {
        let t0 = Instant::now();
        let mut r = KeyRouter::default();
        let code = "22J111111111111111";
        let mut out = Vec::new();
        // The first four keys are handled as they come.
        for (i, c) in code.chars().take(4).enumerate() {
            out.extend(press(&mut r, Key::Char(c), false, at(t0, 8 * i as u64)));
        }
        // The UI thread is busy from 30 ms to 400 ms. Every tick that fell
        // due meanwhile is handled at 400 ms, before the keys read after
        // the fourth reach the router.
        for due in [84, 104, 124, 144] {
            out.extend(r.tick(at(t0, due), at(t0, 400)));
        }
        for (i, c) in code.chars().enumerate().skip(4) {
            out.extend(press(&mut r, Key::Char(c), false, at(t0, 8 * i as u64)));
        }
        out.extend(press(
            &mut r,
            Key::Enter,
            false,
            at(t0, 8 * code.len() as u64),
        ));
        assert_eq!(
            out,
            vec![Routed::Scan {
                code: code.into(),
                from_field: String::new()
            }],
            "the whole code is one scan: nothing typed, nothing split"
        );
        assert!(r.deadline().is_none());
    }

    /// A cashier's PIN read 150 ms a key, all handled in one batch after a
    /// busy spell (with the late ticks among them), stays typing: the gaps
    /// are those between the reads, not between the handlings.
    #[test]
    fn keys_read_150_ms_apart_and_handled_in_one_batch_stay_typing() {
        let t0 = Instant::now();
        let mut r = KeyRouter::default();
        let mut out = Vec::new();
        for (i, c) in "1234".chars().enumerate() {
            out.extend(press(&mut r, Key::Char(c), false, at(t0, 150 * i as u64)));
            out.extend(r.tick(at(t0, 150 * i as u64 + 64), at(t0, 700)));
        }
        out.extend(press(&mut r, Key::Enter, false, at(t0, 600)));
        // The first tick on time after the batch decides whatever is left.
        out.extend(r.tick(at(t0, 720), at(t0, 721)));
        let keys: Vec<Key> = "1234".chars().map(Key::Char).chain([Key::Enter]).collect();
        assert_eq!(
            out,
            keys.into_iter().map(Routed::Key).collect::<Vec<_>>(),
            "four typed digits and Enter, in order, and no scan"
        );
        assert!(r.deadline().is_none());
    }

    /// A late tick leaves keys undecided only until the next tick; on a
    /// UI that stays slow the keys still come out.
    #[test]
    fn a_slow_ui_still_gets_its_typed_keys() {
        let t0 = Instant::now();
        let mut r = KeyRouter::default();
        let mut out = press(&mut r, Key::Char('7'), false, t0);
        out.extend(r.tick(at(t0, 80), at(t0, 200)));
        assert!(out.is_empty(), "the first late tick waits");
        out.extend(r.tick(at(t0, 100), at(t0, 230)));
        assert_eq!(out, vec![Routed::Key(Key::Char('7'))]);
    }

    #[test]
    fn function_keys_pass_straight_through() {
        let mut r = KeyRouter::default();
        let out = press(&mut r, Key::Other("F2".into()), false, Instant::now());
        assert_eq!(out, vec![Routed::Key(Key::Other("F2".into()))]);
    }

    #[test]
    fn take_back_removes_what_the_field_kept() {
        let mut query = "tea4710000000028".to_string();
        take_back(&mut query, "4710000000028");
        assert_eq!(query, "tea");
        // A digits-only field capped at 8 kept only the start of the scan.
        let mut amount = "1247100000".to_string();
        take_back(&mut amount, "4710000000028");
        assert_eq!(amount, "12");
        let mut untouched = "latte".to_string();
        take_back(&mut untouched, "");
        assert_eq!(untouched, "latte");
    }
}
