//! The till's devices as the UI drives them: re-exported from `device`
//! as they are, since each is already what a screen holds (the printer a
//! job goes to, the scanner's events and framing, the keyboard-wedge
//! detector's keys), so the UI names `terminal` only.

use std::time::Duration;

pub use crate::device::printer::{JobError, Printer, Transport};
pub use crate::device::scanner::diagnose::layout_hint;
pub use crate::device::scanner::wedge::{Key, WedgeConfig, WedgeDetector, WedgeOutput};
pub use crate::device::scanner::{Framing, ScannerEvent, ScannerHub, ScannerSettings};

/// The keyboard-wedge detector's settings from the scanner's.
pub fn wedge_config(scanner: &ScannerSettings) -> WedgeConfig {
    WedgeConfig {
        max_gap: Duration::from_millis(scanner.wedge_max_gap_ms),
        min_len: scanner.wedge_min_len,
        idle_timeout: Duration::from_millis(scanner.wedge_idle_ms),
        ..Default::default()
    }
}
