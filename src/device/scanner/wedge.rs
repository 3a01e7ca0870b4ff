//! Keyboard-wedge scanners: a scanner that "types" its code. Told apart from
//! a person by timing: a scanner sends a whole code at a few milliseconds a
//! key (15–25 ms for slow ones), a person is 60 ms or more apart and
//! irregular. A run of fast keys long enough and ended by the terminator
//! (or by silence) is a scan; everything else is typing and is handed back
//! to be forwarded to the focused widget.
//!
//! Pure: time is the timestamp on each event, so tests replay recorded
//! sequences without waiting. The caller calls [`WedgeDetector::tick`] at
//! [`WedgeDetector::deadline`] to release keys held back while undecided.

use std::fmt;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use super::{Framing, ScanSource, ScannerEvent};
use crate::barcode::mask_payment_code;

/// One key press as the GUI saw it (shift already applied to characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Tab,
    Backspace,
    Escape,
    /// Shift, Ctrl, Alt, Caps Lock… pressed on their own. A wedge scanner
    /// presses Shift before every capital letter, exactly as a keyboard
    /// does, so a modifier is never a key of its own: it never ends,
    /// splits or joins a scan, and nothing is forwarded for it.
    Modifier,
    /// Any other key, by the GUI's own name for it (e.g. `ArrowLeft`);
    /// handed back untouched.
    Other(String),
}

/// Thresholds; the defaults suit common USB scanners and real typists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WedgeConfig {
    /// The longest pause between two keys of one scan. Slow scanners send
    /// a key every 15–25 ms; even fast typists leave 60 ms or more.
    pub max_gap: Duration,
    /// The shortest code taken as a scan: shorter fast bursts (a typist's
    /// rolled "th") stay typing. EAN-8 is the shortest common retail code.
    pub min_len: usize,
    /// The shortest code taken as a scan when the run ends with a
    /// terminator and its keys came at a scanner's steady speed (every gap
    /// within [`SHORT_SCAN_MAX_GAP`]): a 3-digit love code (愛心碼) scanned
    /// at the tender is a scan, never cash typed into the amount. (The
    /// terminator itself only has to come within `max_gap`: some scanners,
    /// and xdotool, send it a little apart.)
    pub min_len_terminated: usize,
    /// Keys that end a scan and are swallowed with it.
    pub terminators: Vec<Key>,
    /// Whether a fast run ended by silence (no terminator) is a scan, for
    /// scanners set to send no suffix.
    pub accept_unterminated: bool,
    /// Silence after which held keys are decided. At least `max_gap`; it is
    /// also how long typed keys are held back before being forwarded.
    pub idle_timeout: Duration,
}

impl Default for WedgeConfig {
    fn default() -> Self {
        WedgeConfig {
            max_gap: Duration::from_millis(40),
            min_len: 6,
            min_len_terminated: 3,
            terminators: vec![Key::Enter, Key::Tab],
            accept_unterminated: true,
            idle_timeout: Duration::from_millis(60),
        }
    }
}

/// What the detector decided about some keys, in input order.
#[derive(Clone, PartialEq, Eq)]
pub enum WedgeOutput {
    /// Characters a person typed: forward to the focused widget.
    Typed(String),
    /// A non-character key a person pressed: forward it.
    Key(Key),
    /// A scanned code (terminator removed, framing not yet applied).
    Scanned(String),
}

impl fmt::Debug for WedgeOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WedgeOutput::Typed(t) => f.debug_tuple("Typed").field(t).finish(),
            WedgeOutput::Key(k) => f.debug_tuple("Key").field(k).finish(),
            WedgeOutput::Scanned(s) => f
                .debug_tuple("Scanned")
                .field(&mask_payment_code(s))
                .finish(),
        }
    }
}

/// The state machine: feed it one key at a time.
#[derive(Debug, Clone)]
pub struct WedgeDetector {
    config: WedgeConfig,
    /// Characters not yet decided, each with its time: a run whose gaps
    /// are all within `max_gap`.
    run: Vec<(char, Instant)>,
    /// A run too short for a scan, cut off by a pause: held until the key
    /// after the next says whether the pause was the till's (the keys after
    /// it were waiting in the queue: one run) or a person's.
    stalled: Vec<(char, Instant)>,
}

enum End {
    /// Ended by a terminator key.
    Terminated(Key),
    Unterminated,
}

/// A first gap this much longer than the scan's own rhythm marks a key a
/// person pressed just before the scan started.
const OUTLIER_FACTOR: u32 = 4;
const OUTLIER_FLOOR: Duration = Duration::from_millis(10);
/// A rhythm faster than any scanner types (a HID report per key down and up
/// takes at least 2 ms) means the keys were not timed one by one: the app
/// was busy and read them as one burst. The times say nothing about who
/// pressed the first key then, so it stays with the scan.
const BURST_RHYTHM: Duration = Duration::from_millis(1);
/// Keys the till read less than this apart were waiting in its input
/// queue together (a scanner needs 2 ms a key at least): a pause just
/// before them was the till busy drawing, not a person.
const QUEUED: Duration = Duration::from_millis(2);
/// A run shorter than `min_len` is only a scan when every key came at
/// least this fast: scanners send a key every 2–10 ms, while a typist's
/// rolled keys are 10–20 ms apart at their fastest (`short_bursts.txt`).
pub const SHORT_SCAN_MAX_GAP: Duration = Duration::from_millis(12);

impl WedgeDetector {
    pub fn new(mut config: WedgeConfig) -> WedgeDetector {
        config.idle_timeout = config.idle_timeout.max(config.max_gap);
        config.min_len = config.min_len.max(2);
        config.min_len_terminated = config.min_len_terminated.clamp(2, config.min_len);
        WedgeDetector {
            config,
            run: Vec::new(),
            stalled: Vec::new(),
        }
    }

    pub fn config(&self) -> &WedgeConfig {
        &self.config
    }

    /// One key, pressed at `at`. Timestamps must not go backwards.
    pub fn feed(&mut self, key: Key, at: Instant) -> Vec<WedgeOutput> {
        if key == Key::Modifier {
            // Its time says nothing either: the character it shifts follows.
            return Vec::new();
        }
        // Some toolkits deliver Enter and Tab as control characters.
        let key = match key {
            Key::Char('\r' | '\n') => Key::Enter,
            Key::Char('\t') => Key::Tab,
            k => k,
        };
        let mut out = Vec::new();
        if !self.stalled.is_empty() {
            let after_pause = self.run.first().map(|&(_, t)| t);
            match (&key, after_pause) {
                // Read right behind the key after the pause: both were
                // queued while the till was busy, so the pause was the
                // till's, not between the keys.
                (Key::Char(_), Some(t))
                    if self.run.len() == 1 && at.saturating_duration_since(t) < QUEUED =>
                {
                    let mut whole = std::mem::take(&mut self.stalled);
                    whole.append(&mut self.run);
                    self.run = whole;
                }
                _ => self.release_stalled(&mut out),
            }
        }
        if let Some(&(_, last)) = self.run.last()
            && at.saturating_duration_since(last) > self.config.max_gap
        {
            let gap = at.saturating_duration_since(last);
            // A terminator a little late (a busy till, a scanner sending its
            // suffix apart) still ends the run: nobody presses Enter within
            // the idle time of a scan's last key on purpose, and a scan's
            // Enter forwarded on its own would confirm the payment screen.
            let late_terminator =
                self.config.terminators.contains(&key) && gap <= self.config.idle_timeout;
            if late_terminator {
                // Ends the run below.
            } else if matches!(key, Key::Char(_)) && self.run.len() < self.config.min_len {
                self.stalled = std::mem::take(&mut self.run);
            } else {
                self.resolve(End::Unterminated, &mut out);
            }
        }
        match key {
            Key::Char(c) => self.run.push((c, at)),
            k if !self.run.is_empty() && self.config.terminators.contains(&k) => {
                self.resolve(End::Terminated(k), &mut out)
            }
            k => {
                self.resolve(End::Unterminated, &mut out);
                out.push(WedgeOutput::Key(k));
            }
        }
        out
    }

    /// Decide held keys if `now` is past the idle timeout.
    pub fn tick(&mut self, now: Instant) -> Vec<WedgeOutput> {
        let mut out = Vec::new();
        if let Some(d) = self.deadline()
            && now >= d
        {
            self.release_stalled(&mut out);
            self.resolve(End::Unterminated, &mut out);
        }
        out
    }

    /// When to call [`tick`](Self::tick) next; `None` when nothing is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.run.last().map(|&(_, t)| t + self.config.idle_timeout)
    }

    /// Decide everything held now, e.g. when the window loses focus.
    pub fn flush(&mut self) -> Vec<WedgeOutput> {
        let mut out = Vec::new();
        self.release_stalled(&mut out);
        self.resolve(End::Unterminated, &mut out);
        out
    }

    /// Decide a stalled run on its own (before the keys held after it).
    fn release_stalled(&mut self, out: &mut Vec<WedgeOutput>) {
        if self.stalled.is_empty() {
            return;
        }
        let after = std::mem::replace(&mut self.run, std::mem::take(&mut self.stalled));
        self.resolve(End::Unterminated, out);
        self.run = after;
    }

    fn resolve(&mut self, end: End, out: &mut Vec<WedgeOutput>) {
        let run = std::mem::take(&mut self.run);
        let min = self.config.min_len;
        let times: Vec<Instant> = run.iter().map(|&(_, t)| t).collect();
        let is_scan_shaped = match end {
            End::Terminated(_) => {
                run.len() >= min
                    || (run.len() >= self.config.min_len_terminated && at_scanner_speed(&times))
            }
            End::Unterminated => self.config.accept_unterminated && run.len() >= min,
        };
        if !is_scan_shaped {
            push_typed(out, run.iter().map(|&(c, _)| c));
            if let End::Terminated(k) = end {
                out.push(WedgeOutput::Key(k));
            }
            return;
        }
        let lead = match end {
            // A short scan is steady from its first key to its terminator.
            _ if run.len() < min => 0,
            // A terminated run's start is only a person's key when it stands
            // out by a person's margin: the app times keys when it reads
            // them, and a busy frame between reading the first keys and the
            // rest looks like a short pause, not a person (see
            // `PERSON_LEAD_GAP`).
            End::Terminated(..) => leading_typed(&times, min, PERSON_LEAD_GAP),
            End::Unterminated => leading_typed(&times, min, Duration::ZERO),
        };
        // Without a terminator the scan's end is as uncertain as its start.
        let trail = match end {
            End::Unterminated => {
                let rev: Vec<Instant> = times[lead..].iter().rev().copied().collect();
                leading_typed_rev(&rev, min)
            }
            End::Terminated(..) => 0,
        };
        let core_end = run.len() - trail;
        push_typed(out, run[..lead].iter().map(|&(c, _)| c));
        out.push(WedgeOutput::Scanned(
            run[lead..core_end].iter().map(|&(c, _)| c).collect(),
        ));
        push_typed(out, run[core_end..].iter().map(|&(c, _)| c));
    }
}

/// How many leading keys of a fast run were typed by a person just before
/// the scanner started: their gap to the next key stands out from the
/// scanner's steady rhythm. Never leaves fewer than `min` keys.
/// `at_least` is the shortest gap taken for a person's.
fn leading_typed(times: &[Instant], min: usize, at_least: Duration) -> usize {
    let mut k = 0;
    while times.len() - k > min {
        let first = times[k + 1].duration_since(times[k]);
        // The keys after the pause came queued: the pause was the till's.
        let queued_after = times[k + 2].duration_since(times[k + 1]) < QUEUED;
        if first < at_least || queued_after {
            break;
        }
        let rest: Vec<Duration> = times[k + 1..]
            .windows(2)
            .map(|w| w[1].duration_since(w[0]))
            .collect();
        if is_outlier(first, &rest) {
            k += 1;
        } else {
            break;
        }
    }
    k
}

/// A person's key pressed just before a terminated scan is this far ahead
/// of it at least. Shorter first gaps are what a busy UI makes of a scan it
/// read in two bursts (one frame apart, 16 ms at 60 Hz), so they stay with
/// the scan: a scan is never cut short by the till being busy.
const PERSON_LEAD_GAP: Duration = Duration::from_millis(20);

/// Every gap between the keys of a short run is a scanner's. Keys all
/// read in one burst (a busy till) say nothing about who pressed them: a
/// cashier's "100" then Enter read that way stays typing.
fn at_scanner_speed(times: &[Instant]) -> bool {
    let gaps: Vec<Duration> = times
        .windows(2)
        .map(|w| w[1].saturating_duration_since(w[0]))
        .collect();
    gaps.iter().all(|&g| g <= SHORT_SCAN_MAX_GAP) && gaps.iter().any(|&g| g >= BURST_RHYTHM)
}

/// [`leading_typed`] on a run in reverse time order.
fn leading_typed_rev(rev: &[Instant], min: usize) -> usize {
    let mut k = 0;
    while rev.len() - k > min {
        let last = rev[k].duration_since(rev[k + 1]);
        let rest: Vec<Duration> = rev[k + 1..]
            .windows(2)
            .map(|w| w[0].duration_since(w[1]))
            .collect();
        if is_outlier(last, &rest) {
            k += 1;
        } else {
            break;
        }
    }
    k
}

fn is_outlier(gap: Duration, rest: &[Duration]) -> bool {
    let mut sorted = rest.to_vec();
    sorted.sort();
    let Some(&median) = sorted.get(sorted.len() / 2) else {
        return false;
    };
    if median < BURST_RHYTHM {
        return false;
    }
    gap > (median * OUTLIER_FACTOR).max(median + OUTLIER_FLOOR)
}

fn push_typed(out: &mut Vec<WedgeOutput>, chars: impl Iterator<Item = char>) {
    let s: String = chars.collect();
    if s.is_empty() {
        return;
    }
    if let Some(WedgeOutput::Typed(t)) = out.last_mut() {
        t.push_str(&s);
    } else {
        out.push(WedgeOutput::Typed(s));
    }
}

/// The detector wired to the scanner stream: scans go to the hub, typing
/// comes back to the caller to forward to the focused widget.
pub struct WedgeInput {
    detector: WedgeDetector,
    framing: Framing,
    tx: Sender<ScannerEvent>,
}

impl WedgeInput {
    pub fn new(config: WedgeConfig, framing: Framing, tx: Sender<ScannerEvent>) -> WedgeInput {
        WedgeInput {
            detector: WedgeDetector::new(config),
            framing,
            tx,
        }
    }

    /// One key; returns what to forward (never a `Scanned`).
    pub fn key(&mut self, key: Key, at: Instant) -> Vec<WedgeOutput> {
        let out = self.detector.feed(key, at);
        self.route(out)
    }

    /// Call at [`deadline`](Self::deadline); returns what to forward.
    pub fn tick(&mut self, now: Instant) -> Vec<WedgeOutput> {
        let out = self.detector.tick(now);
        self.route(out)
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.detector.deadline()
    }

    fn route(&mut self, out: Vec<WedgeOutput>) -> Vec<WedgeOutput> {
        let mut forward = Vec::with_capacity(out.len());
        for o in out {
            match o {
                WedgeOutput::Scanned(raw) => {
                    if let Some(scan) = self.framing.scan(ScanSource::Wedge, &raw) {
                        tracing::debug!(code = %mask_payment_code(&scan.text), "wedge scan");
                        // A closed hub means `till` is shutting down.
                        let _ = self.tx.send(ScannerEvent::Scan(scan));
                    }
                }
                other => forward.push(other),
            }
        }
        forward
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(d: &mut WedgeDetector, keys: &[(u64, Key)]) -> Vec<WedgeOutput> {
        let base = Instant::now();
        let mut out = Vec::new();
        for (ms, k) in keys {
            out.extend(d.feed(k.clone(), base + Duration::from_millis(*ms)));
        }
        let end = keys.last().map_or(0, |(ms, _)| *ms) + 1000;
        out.extend(d.tick(base + Duration::from_millis(end)));
        out
    }

    fn chars(start: u64, step: u64, s: &str) -> Vec<(u64, Key)> {
        s.chars()
            .enumerate()
            .map(|(i, c)| (start + step * i as u64, Key::Char(c)))
            .collect()
    }

    #[test]
    fn a_short_fast_burst_with_enter_is_typing() {
        let mut d = WedgeDetector::new(WedgeConfig::default());
        let mut keys = chars(0, 3, "12");
        keys.push((6, Key::Enter));
        assert_eq!(
            feed_all(&mut d, &keys),
            vec![
                WedgeOutput::Typed("12".into()),
                WedgeOutput::Key(Key::Enter)
            ]
        );
    }

    #[test]
    fn enter_alone_is_forwarded_at_once() {
        let mut d = WedgeDetector::new(WedgeConfig::default());
        assert_eq!(
            d.feed(Key::Enter, Instant::now()),
            vec![WedgeOutput::Key(Key::Enter)]
        );
    }

    #[test]
    fn nothing_is_held_after_the_deadline() {
        let mut d = WedgeDetector::new(WedgeConfig::default());
        let t = Instant::now();
        assert!(d.feed(Key::Char('a'), t).is_empty());
        let deadline = d.deadline().unwrap();
        assert!(d.tick(deadline - Duration::from_millis(1)).is_empty());
        assert_eq!(d.tick(deadline), vec![WedgeOutput::Typed("a".into())]);
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn unterminated_scans_can_be_refused() {
        let mut d = WedgeDetector::new(WedgeConfig {
            accept_unterminated: false,
            ..WedgeConfig::default()
        });
        let keys = chars(0, 3, "4710088123456");
        assert_eq!(
            feed_all(&mut d, &keys),
            vec![WedgeOutput::Typed("4710088123456".into())]
        );
    }

    #[test]
    fn enter_as_a_control_character_still_ends_a_scan() {
        let mut d = WedgeDetector::new(WedgeConfig::default());
        let mut keys = chars(0, 3, "4710088123456");
        keys.push((40, Key::Char('\r')));
        assert_eq!(
            feed_all(&mut d, &keys),
            vec![WedgeOutput::Scanned("4710088123456".into())]
        );
    }

    #[test]
    fn shift_before_a_capital_neither_ends_nor_splits_a_scan() {
        let mut d = WedgeDetector::new(WedgeConfig::default());
        let mut keys = chars(0, 8, "22");
        keys.push((12, Key::Modifier));
        keys.extend(chars(16, 8, "J111111111111111"));
        keys.push((16 + 8 * 16, Key::Enter));
        assert_eq!(
            feed_all(&mut d, &keys),
            vec![WedgeOutput::Scanned("22J111111111111111".into())]
        );
    }

    #[test]
    fn a_love_code_of_three_to_five_digits_ended_by_enter_at_scanner_speed_is_a_scan() {
        // The Enter at the same rhythm, or a little apart (some scanners,
        // xdotool's separate key).
        for enter_after in [8, 30] {
            for code in ["168", "5299", "88888"] {
                let mut d = WedgeDetector::new(WedgeConfig::default());
                let mut keys = chars(0, 8, code);
                keys.push((8 * (code.len() as u64 - 1) + enter_after, Key::Enter));
                assert_eq!(
                    feed_all(&mut d, &keys),
                    vec![WedgeOutput::Scanned(code.into())],
                    "{code}, Enter {enter_after} ms after"
                );
            }
        }
    }

    #[test]
    fn three_digits_and_enter_keyed_by_a_person_stay_typing() {
        // A cashier keying NT$168 received and Enter, even a quick one.
        for step in [18, 30] {
            let mut d = WedgeDetector::new(WedgeConfig::default());
            let mut keys = chars(0, step, "168");
            keys.push((3 * step, Key::Enter));
            assert_eq!(
                feed_all(&mut d, &keys),
                vec![
                    WedgeOutput::Typed("168".into()),
                    WedgeOutput::Key(Key::Enter)
                ],
                "{step} ms a key"
            );
        }
        // Typed by hand, but read in one burst by a busy till.
        let mut d = WedgeDetector::new(WedgeConfig::default());
        let base = Instant::now();
        let mut out = Vec::new();
        for (i, c) in "100".chars().enumerate() {
            out.extend(d.feed(Key::Char(c), base + Duration::from_micros(200 * i as u64)));
        }
        out.extend(d.feed(Key::Enter, base + Duration::from_micros(600)));
        assert_eq!(
            out,
            vec![
                WedgeOutput::Typed("100".into()),
                WedgeOutput::Key(Key::Enter)
            ]
        );
        // Fast digits, but the Enter came by hand.
        let mut d = WedgeDetector::new(WedgeConfig::default());
        let mut keys = chars(0, 8, "168");
        keys.push((300, Key::Enter));
        assert_eq!(
            feed_all(&mut d, &keys),
            vec![
                WedgeOutput::Typed("168".into()),
                WedgeOutput::Key(Key::Enter)
            ]
        );
    }

    #[test]
    fn a_scan_read_in_two_bursts_by_a_busy_till_keeps_its_first_keys() {
        // The till read "2" on time, then drew a 15 ms frame, then read the
        // rest a couple of milliseconds apart: the times are the till's, not
        // the scanner's, and nobody typed that "2".
        let mut d = WedgeDetector::new(WedgeConfig::default());
        let mut keys = vec![(0, Key::Char('2'))];
        keys.extend(chars(15, 2, "2J111111111111111"));
        keys.push((15 + 2 * 17, Key::Enter));
        assert_eq!(
            feed_all(&mut d, &keys),
            vec![WedgeOutput::Scanned("22J111111111111111".into())]
        );
    }

    /// A busy till (a slow frame in a debug build under load) read the
    /// first key, then nothing for `pause` ms, then the keys that had
    /// queued meanwhile a fraction of a millisecond apart, then the rest at
    /// the scanner's 8 ms: one scan, whole, whether the pause was shorter or
    /// longer than the scan gap.
    #[test]
    fn a_scan_the_till_read_late_after_its_first_key_stays_whole() {
        for pause in [36u64, 70] {
            let code = "22J111111111111111";
            let mut d = WedgeDetector::new(WedgeConfig::default());
            let base = Instant::now();
            let ms = |us: u64| base + Duration::from_micros(us);
            let mut out = d.feed(Key::Char('2'), ms(0));
            let queued = (pause / 8) as usize;
            let mut t = pause * 1000;
            for (i, c) in code.chars().skip(1).enumerate() {
                t += if i == 0 {
                    0
                } else if i < queued {
                    300
                } else {
                    8000
                };
                out.extend(d.feed(Key::Char(c), ms(t)));
            }
            out.extend(d.feed(Key::Enter, ms(t + 8000)));
            assert_eq!(
                out,
                vec![WedgeOutput::Scanned(code.into())],
                "a {pause} ms pause after the first key"
            );
        }
    }

    #[test]
    fn a_scans_enter_read_late_is_swallowed_with_it_not_forwarded() {
        let mut d = WedgeDetector::new(WedgeConfig::default());
        let mut keys = chars(0, 3, "4710088123456");
        keys.push((36 + 55, Key::Enter));
        assert_eq!(
            feed_all(&mut d, &keys),
            vec![WedgeOutput::Scanned("4710088123456".into())]
        );
    }

    #[test]
    fn scanned_debug_is_masked() {
        let o = WedgeOutput::Scanned("22J111111111111119".into());
        assert!(!format!("{o:?}").contains("22J111111111111119"));
    }
}
