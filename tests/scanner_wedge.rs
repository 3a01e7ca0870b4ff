//! The keyboard-wedge detector against recorded key timings
//! (`tests/scanner_fixtures/wedge/`): every scan found, no typing taken for
//! a scan, no character lost. Time is data: no test waits.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use till::device::scanner::wedge::{Key, WedgeConfig, WedgeDetector, WedgeInput, WedgeOutput};
use till::device::scanner::{Framing, ScanSource, ScannerEvent, ScannerHub};

/// A recording: milliseconds (fractional) and a key, one per line.
fn recording(name: &str) -> Vec<(Duration, Key)> {
    let path = format!(
        "{}/tests/scanner_fixtures/wedge/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect(&path);
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (ms, k) = l.split_once('\t').expect("ms<TAB>key");
            let ms: f64 = ms.parse().expect("milliseconds");
            let key = match k {
                "<Enter>" => Key::Enter,
                "<Tab>" => Key::Tab,
                "<Space>" => Key::Char(' '),
                "<BS>" => Key::Backspace,
                c => Key::Char(c.chars().next().expect("a key")),
            };
            (Duration::from_micros((ms * 1000.0) as u64), key)
        })
        .collect()
}

/// Replays keys into a detector as the GUI would: ticking at each
/// deadline that passes before the next key, and once at the end.
fn replay(config: WedgeConfig, keys: &[(Duration, Key)]) -> Vec<WedgeOutput> {
    let base = Instant::now();
    let mut d = WedgeDetector::new(config);
    let mut out = Vec::new();
    for (at, key) in keys {
        let at = base + *at;
        if let Some(deadline) = d.deadline()
            && deadline <= at
        {
            out.extend(d.tick(deadline));
        }
        out.extend(d.feed(key.clone(), at));
    }
    if let Some(deadline) = d.deadline() {
        out.extend(d.tick(deadline));
    }
    merge_typed(out)
}

/// Typing released in several pieces reads as one string.
fn merge_typed(out: Vec<WedgeOutput>) -> Vec<WedgeOutput> {
    let mut merged: Vec<WedgeOutput> = Vec::new();
    for o in out {
        match (merged.last_mut(), o) {
            (Some(WedgeOutput::Typed(a)), WedgeOutput::Typed(b)) => a.push_str(&b),
            (_, o) => merged.push(o),
        }
    }
    merged
}

fn typed(s: &str) -> WedgeOutput {
    WedgeOutput::Typed(s.into())
}
fn scanned(s: &str) -> WedgeOutput {
    WedgeOutput::Scanned(s.into())
}
fn key(k: Key) -> WedgeOutput {
    WedgeOutput::Key(k)
}

#[test]
fn fast_scanner_three_scans() {
    let out = replay(WedgeConfig::default(), &recording("fast_scanner.txt"));
    assert_eq!(
        out,
        vec![
            scanned("4710088123456"),
            scanned("4710088654321"),
            scanned("22J111111111111119"),
        ]
    );
}

#[test]
fn slow_scanner_two_scans() {
    let out = replay(WedgeConfig::default(), &recording("slow_scanner.txt"));
    assert_eq!(out, vec![scanned("4710088123456"), scanned("AB-1234.5678")]);
}

#[test]
fn a_typist_keying_a_barcode_by_hand_is_typing() {
    let out = replay(WedgeConfig::default(), &recording("fast_typist.txt"));
    assert_eq!(
        out,
        vec![
            typed("4710088123456"),
            key(Key::Enter),
            typed("12345678"),
            key(Key::Tab),
        ]
    );
}

#[test]
fn rolled_keys_shorter_than_a_code_are_typing() {
    let out = replay(WedgeConfig::default(), &recording("short_bursts.txt"));
    assert_eq!(out, vec![typed("the and 12 qty5"), key(Key::Enter)]);
}

#[test]
fn a_scan_in_the_middle_of_typing_is_split_out() {
    let out = replay(WedgeConfig::default(), &recording("scan_mid_typing.txt"));
    assert_eq!(
        out,
        vec![
            typed("qty "),
            scanned("4710088123456"),
            typed("x2"),
            key(Key::Enter),
        ]
    );
}

#[test]
fn a_key_pressed_just_before_a_scan_stays_typing() {
    let out = replay(
        WedgeConfig::default(),
        &recording("scan_right_after_key.txt"),
    );
    assert_eq!(out, vec![typed("qty "), scanned("4710088123456")]);
}

#[test]
fn a_scan_seen_in_a_burst_after_a_busy_frame_stays_whole() {
    let out = replay(
        WedgeConfig::default(),
        &recording("scan_seen_by_a_busy_ui.txt"),
    );
    assert_eq!(out, vec![scanned("4710088123456")]);
}

#[test]
fn a_scan_without_terminator_ends_by_silence() {
    let out = replay(WedgeConfig::default(), &recording("unterminated_scan.txt"));
    assert_eq!(out, vec![scanned("4710088123456"), typed("ok")]);
}

#[test]
fn a_slow_scanner_needs_a_wider_gap_than_a_tight_setting() {
    // With the gap set for fast scanners only, a slow scanner's code is
    // not taken for a scan (and so not lost: it comes back as typing).
    let tight = WedgeConfig {
        max_gap: Duration::from_millis(10),
        ..WedgeConfig::default()
    };
    let out = replay(tight, &recording("slow_scanner.txt"));
    assert!(!out.iter().any(|o| matches!(o, WedgeOutput::Scanned(_))));
    let all: String = out
        .iter()
        .filter_map(|o| match o {
            WedgeOutput::Typed(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(all, "4710088123456AB-1234.5678");
}

#[test]
fn wedge_scans_reach_the_hub_and_typing_comes_back() {
    let hub = ScannerHub::new();
    let framing = Framing {
        prefix: String::new(),
        suffix: String::new(),
        strip_aim: true,
    };
    let mut input = WedgeInput::new(WedgeConfig::default(), framing, hub.sender());
    let base = Instant::now();
    let mut forwarded = Vec::new();
    for (at, k) in recording("scan_mid_typing.txt") {
        let at = base + at;
        if let Some(d) = input.deadline()
            && d <= at
        {
            forwarded.extend(input.tick(d));
        }
        forwarded.extend(input.key(k, at));
    }
    if let Some(d) = input.deadline() {
        forwarded.extend(input.tick(d));
    }
    // The scan is gone from what is forwarded; the typing around it stays.
    assert_eq!(
        merge_typed(forwarded),
        vec![typed("qty x2"), key(Key::Enter)]
    );
    match hub.try_recv() {
        Some(ScannerEvent::Scan(s)) => {
            assert_eq!(s.text, "4710088123456");
            assert_eq!(s.source, ScanSource::Wedge);
        }
        other => panic!("expected a scan, got {other:?}"),
    }
    assert_eq!(hub.try_recv(), None);
}

/// Keys at arbitrary gaps, some fast, some slow.
fn key_stream() -> impl Strategy<Value = Vec<(u64, Key)>> {
    let key = prop_oneof![
        8 => proptest::char::range('0', 'z').prop_map(Key::Char),
        1 => Just(Key::Enter),
        1 => Just(Key::Tab),
        1 => Just(Key::Backspace),
    ];
    let gap = prop_oneof![
        3 => 1u64..6,
        1 => 10u64..60,
        2 => 60u64..400,
    ];
    proptest::collection::vec((gap, key), 0..80)
}

proptest! {
    #[test]
    fn no_character_is_ever_lost_or_reordered(stream in key_stream()) {
        let mut t = 0u64;
        let keys: Vec<(Duration, Key)> = stream
            .into_iter()
            .map(|(gap, k)| { t += gap; (Duration::from_millis(t), k) })
            .collect();
        let out = replay(WedgeConfig::default(), &keys);
        let sent: String = keys.iter().filter_map(|(_, k)| match k {
            Key::Char(c) => Some(*c),
            _ => None,
        }).collect();
        let got: String = out.iter().filter_map(|o| match o {
            WedgeOutput::Typed(s) | WedgeOutput::Scanned(s) => Some(s.as_str()),
            WedgeOutput::Key(_) => None,
        }).collect();
        prop_assert_eq!(got, sent);
        // Non-character keys other than terminators are always handed back.
        let sent_bs = keys.iter().filter(|(_, k)| *k == Key::Backspace).count();
        let got_bs = out.iter().filter(|o| **o == WedgeOutput::Key(Key::Backspace)).count();
        prop_assert_eq!(got_bs, sent_bs);
        // A terminator is swallowed only by the scan it ends.
        let sent_terms = keys.iter().filter(|(_, k)| matches!(k, Key::Enter | Key::Tab)).count();
        let got_terms = out.iter().filter(|o| matches!(o, WedgeOutput::Key(Key::Enter | Key::Tab))).count();
        let scans = out.iter().filter(|o| matches!(o, WedgeOutput::Scanned(_))).count();
        prop_assert!(got_terms <= sent_terms && sent_terms - got_terms <= scans);
    }

    #[test]
    fn a_person_never_scans(
        text in "[0-9A-Z]{1,30}",
        gaps in proptest::collection::vec(45u64..400, 30),
    ) {
        let mut t = 0u64;
        let mut keys: Vec<(Duration, Key)> = text
            .chars()
            .zip(&gaps)
            .map(|(c, g)| { t += g; (Duration::from_millis(t), Key::Char(c)) })
            .collect();
        keys.push((Duration::from_millis(t + 70), Key::Enter));
        let out = replay(WedgeConfig::default(), &keys);
        prop_assert_eq!(out, vec![typed(&text), key(Key::Enter)]);
    }
}
