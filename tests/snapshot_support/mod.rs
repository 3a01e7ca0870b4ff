//! Compare a headless rendering with the picture committed in
//! `tests/snapshots/`, the way a person comparing the two would.
//!
//! iced_test's own `matches_image` wants every byte equal, but the CPU
//! renderer's anti-aliasing differs slightly between machines (measured:
//! glyph edges move by up to 14/255 in 16×16 blocks between two x86-64
//! hosts), so a byte compare fails on a machine that renders text a shade
//! lighter while nothing a cashier sees has changed. We compare 16×16 block
//! averages instead: a missing or changed word, a moved widget or a new
//! colour moves a block by far more than that noise.
//!
//! Blocks that coarse miss a single changed digit in normal-size text (a
//! digit is a few dozen pixels of a 256-pixel block), so every screen's
//! laid-out text is compared too, exactly: each text and text input the
//! widget tree holds, with its place on the screen in whole pixels, against
//! `tests/snapshots/{name}.txt`. Layout uses the bundled font, so it is the
//! same on every machine; the pixels catch colours, images and widgets.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use iced_test::Simulator;
use iced_test::selector::Candidate;
use iced_test::simulator::Snapshot;
use image::RgbaImage;

/// Side of the square blocks compared.
const BLOCK: u32 = 16;
/// Largest block difference (0–255, mean of the RGB channels) still taken
/// for the same picture: twice the largest rendering noise seen.
pub const TOLERANCE: f64 = 28.0;

/// Where two pictures differ most.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// The largest block difference, 0–255.
    pub worst: f64,
    /// The top-left pixel of that block.
    pub at: (u32, u32),
}

/// The largest difference between 16×16 block averages of two pictures of
/// the same size; `None` when their sizes differ.
pub fn block_difference(a: &RgbaImage, b: &RgbaImage) -> Option<Difference> {
    if a.dimensions() != b.dimensions() {
        return None;
    }
    let (w, h) = a.dimensions();
    let mut worst = Difference {
        worst: 0.0,
        at: (0, 0),
    };
    for by in (0..h).step_by(BLOCK as usize) {
        for bx in (0..w).step_by(BLOCK as usize) {
            let (mut sa, mut sb, mut n) = (0u64, 0u64, 0u64);
            for y in by..(by + BLOCK).min(h) {
                for x in bx..(bx + BLOCK).min(w) {
                    let (pa, pb) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
                    sa += u64::from(pa[0]) + u64::from(pa[1]) + u64::from(pa[2]);
                    sb += u64::from(pb[0]) + u64::from(pb[1]) + u64::from(pb[2]);
                    n += 3;
                }
            }
            let d = (sa as f64 - sb as f64).abs() / n as f64;
            if d > worst.worst {
                worst = Difference {
                    worst: d,
                    at: (bx, by),
                };
            }
        }
    }
    Some(worst)
}

/// The committed picture of screen `name`.
pub fn recorded_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/snapshots/{name}-tiny-skia.png"))
}

/// The snapshot as a picture (written through iced_test's own encoder).
pub fn picture(snapshot: &Snapshot, name: &str) -> (RgbaImage, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshots");
    std::fs::create_dir_all(&dir).unwrap();
    let stem = dir.join(format!("{name}-new"));
    let written = dir.join(format!("{name}-new-tiny-skia.png"));
    let _ = std::fs::remove_file(&written);
    // With no file there, matches_image records the rendering.
    assert!(snapshot.matches_image(&stem).unwrap());
    (image::open(&written).unwrap().to_rgba8(), written)
}

/// Every text on the screen, one per line: where it is laid out (x, y,
/// width, height in whole pixels) and what it says. Only what is visible.
pub fn laid_out_text<M>(ui: &mut Simulator<'_, M>) -> String {
    let mut lines = Vec::new();
    let line = |b: iced_test::core::Rectangle, text: &str| {
        format!(
            "{:.0},{:.0} {:.0}x{:.0}\t{text}",
            b.x, b.y, b.width, b.height
        )
    };
    // The selector collects and never matches, so the walk covers the tree.
    let _ = ui.find(|c: Candidate<'_>| -> Option<()> {
        match c {
            Candidate::Text {
                visible_bounds: Some(b),
                content,
                ..
            } => lines.push(line(b, content)),
            Candidate::TextInput {
                visible_bounds: Some(b),
                state,
                ..
            } => lines.push(line(b, &format!("[{}]", state.text()))),
            _ => {}
        }
        None
    });
    lines.join("\n") + "\n"
}

/// The committed text of screen `name`.
pub fn recorded_text_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/snapshots/{name}.txt"))
}

/// The first line where the screen's text differs from what was recorded,
/// as (recorded, now); `None` when they are the same.
pub fn text_difference(now: &str, recorded: &str) -> Option<(String, String)> {
    let (a, b): (Vec<&str>, Vec<&str>) = (recorded.lines().collect(), now.lines().collect());
    (0..a.len().max(b.len()))
        .find(|&i| a.get(i) != b.get(i))
        .map(|i| {
            let at = |v: &Vec<&str>| v.get(i).map_or("(nothing)".to_string(), |l| l.to_string());
            (at(&a), at(&b))
        })
}

/// Assert the screen in `ui` reads and looks as recorded: its laid-out
/// text exactly, its pixels block by block.
pub fn assert_screen_as_recorded<M>(ui: &mut Simulator<'_, M>, name: &str) {
    let text = laid_out_text(ui);
    let recorded = recorded_text_path(name);
    if recorded.exists() {
        let then = std::fs::read_to_string(&recorded).unwrap();
        if let Some((was, is)) = text_difference(&text, &then) {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshots");
            std::fs::create_dir_all(&dir).unwrap();
            let written = dir.join(format!("{name}-new.txt"));
            std::fs::write(&written, &text).unwrap();
            panic!(
                "the {name} screen's text no longer matches tests/snapshots/{name}.txt:\n\
                 recorded: {was}\n     now: {is}\nthe new text is {}; if the change is \
                 intended, delete the recorded file, rerun, and look at the new picture",
                written.display()
            );
        }
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "tests/snapshots/{name}.txt is missing; record it locally and commit it"
        );
        std::fs::write(&recorded, &text).unwrap();
    }
    let snapshot = ui.snapshot(&till::ui::theme::theme()).unwrap();
    assert_looks_as_recorded(&snapshot, name);
}

/// Assert the screen looks as recorded. A missing picture is recorded rather
/// than compared, but never on CI, where that would let a deleted snapshot
/// pass unchecked.
pub fn assert_looks_as_recorded(snapshot: &Snapshot, name: &str) {
    let recorded = recorded_path(name);
    let (now, written) = picture(snapshot, name);
    if !recorded.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tests/snapshots/{name}-tiny-skia.png is missing; record it locally and commit it"
        );
        std::fs::copy(&written, &recorded).unwrap();
        return;
    }
    let then = image::open(&recorded).unwrap().to_rgba8();
    match block_difference(&now, &then) {
        None => panic!(
            "the {name} screen changed size: {:?} now, {:?} recorded",
            now.dimensions(),
            then.dimensions()
        ),
        Some(d) => assert!(
            d.worst <= TOLERANCE,
            "the {name} screen no longer matches tests/snapshots/{name}-tiny-skia.png \
             (block at {:?} differs by {:.1}/255); the new picture is {}; if the change \
             is intended, delete the recorded file, rerun, and look at the new picture",
            d.at,
            d.worst,
            written.display()
        ),
    }
}
