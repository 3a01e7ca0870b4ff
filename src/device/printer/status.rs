//! Real-time status by `DLE EOT n` (Epson ESC/POS command reference):
//!
//! | n | byte bits that matter                                              |
//! |---|--------------------------------------------------------------------|
//! | 1 | printer: bit 2 drawer connector pin 3 high, bit 3 offline          |
//! | 2 | offline cause: bit 2 cover open, bit 3 feed button, bit 5 paper end stop, bit 6 error |
//! | 4 | roll paper sensor: bits 2-3 near end, bits 5-6 paper end           |
//!
//! Every answer byte has bit 1 and bit 4 set and bits 0 and 7 clear
//! (`0xx1xx10`), which tells a status byte from other traffic.

use std::time::{Duration, Instant};

use super::{PrinterError, PrinterPort};

/// The `n` of `DLE EOT n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusQuery {
    Printer = 1,
    OfflineCause = 2,
    ErrorCause = 3,
    PaperSensor = 4,
}

impl StatusQuery {
    pub fn bytes(self) -> [u8; 3] {
        [0x10, 0x04, self as u8]
    }
}

/// What the printer says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrinterStatus {
    pub online: bool,
    pub cover_open: bool,
    pub paper_end: bool,
    pub paper_near_end: bool,
    /// Pin 3 of the drawer connector reads high. Most drawers close that
    /// switch when open, but the level depends on the drawer model.
    pub drawer_open: bool,
    /// A mechanical error (jam, cutter, head temperature).
    pub error: bool,
}

/// The answer to every query from a printer with nothing wrong.
pub const HEALTHY: u8 = 0x12;

/// Whether `b` has the fixed bits of a status byte.
pub fn is_status_byte(b: u8) -> bool {
    b & 0x93 == 0x12
}

impl PrinterStatus {
    /// From the answers to `DLE EOT 1`, `2` and `4`.
    pub fn decode(printer: u8, offline_cause: u8, paper: u8) -> PrinterStatus {
        PrinterStatus {
            online: printer & 0x08 == 0,
            drawer_open: printer & 0x04 != 0,
            cover_open: offline_cause & 0x04 != 0,
            paper_end: offline_cause & 0x20 != 0 || paper & 0x60 == 0x60,
            paper_near_end: paper & 0x0C == 0x0C,
            error: offline_cause & 0x40 != 0,
        }
    }

    /// The answers a printer in this state gives to `DLE EOT 1`, `2`, `4`
    /// (the virtual printer and tests play printers with it).
    pub fn encode(&self) -> [u8; 3] {
        let mut p = HEALTHY;
        let mut o = HEALTHY;
        let mut s = HEALTHY;
        let offline = !self.online || self.cover_open || self.paper_end || self.error;
        if offline {
            p |= 0x08;
        }
        if self.drawer_open {
            p |= 0x04;
        }
        if self.cover_open {
            o |= 0x04;
        }
        if self.paper_end {
            o |= 0x20;
            s |= 0x60;
        }
        if self.paper_near_end || self.paper_end {
            s |= 0x0C;
        }
        if self.error {
            o |= 0x40;
        }
        [p, o, s]
    }

    pub fn healthy() -> PrinterStatus {
        PrinterStatus {
            online: true,
            ..PrinterStatus::default()
        }
    }

    /// What stops a job, most specific first: an open cover also reads as
    /// offline (and on some models as paper end), so it is named first.
    pub fn problem(&self) -> Option<PrinterError> {
        if self.cover_open {
            Some(PrinterError::CoverOpen)
        } else if self.paper_end {
            Some(PrinterError::PaperEnd)
        } else if self.error {
            Some(PrinterError::Mechanical)
        } else if !self.online {
            Some(PrinterError::Offline)
        } else {
            None
        }
    }
}

/// Ask `DLE EOT 1`, `2` and `4`, each within `timeout`.
pub fn query(port: &mut dyn PrinterPort, timeout: Duration) -> Result<PrinterStatus, PrinterError> {
    let p = ask(port, StatusQuery::Printer, timeout)?;
    let o = ask(port, StatusQuery::OfflineCause, timeout)?;
    let s = ask(port, StatusQuery::PaperSensor, timeout)?;
    Ok(PrinterStatus::decode(p, o, s))
}

/// One query and its one-byte answer; other bytes (late answers, ASB
/// traffic) are skipped.
pub fn ask(
    port: &mut dyn PrinterPort,
    q: StatusQuery,
    timeout: Duration,
) -> Result<u8, PrinterError> {
    port.write_all(&q.bytes(), timeout)?;
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 1];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(PrinterError::NoAnswer(format!(
                "DLE EOT {} in {} ms",
                q as u8,
                timeout.as_millis()
            )));
        }
        if port.read(&mut buf, left)? == 1 && is_status_byte(buf[0]) {
            return Ok(buf[0]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_answers_decode_as_healthy() {
        let s = PrinterStatus::decode(HEALTHY, HEALTHY, HEALTHY);
        assert_eq!(s, PrinterStatus::healthy());
        assert_eq!(s.problem(), None);
        assert_eq!(s.encode(), [HEALTHY; 3]);
    }

    #[test]
    fn encode_and_decode_agree_for_every_flag() {
        for bits in 0u8..64 {
            let s = PrinterStatus {
                online: bits & 1 == 0,
                cover_open: bits & 2 != 0,
                paper_end: bits & 4 != 0,
                paper_near_end: bits & 8 != 0 || bits & 4 != 0,
                drawer_open: bits & 16 != 0,
                error: bits & 32 != 0,
            };
            let [p, o, r] = s.encode();
            assert!(is_status_byte(p) && is_status_byte(o) && is_status_byte(r));
            let back = PrinterStatus::decode(p, o, r);
            let offline = !s.online || s.cover_open || s.paper_end || s.error;
            assert_eq!(back.online, !offline, "{s:?}");
            assert_eq!(
                (
                    back.cover_open,
                    back.paper_end,
                    back.paper_near_end,
                    back.drawer_open,
                    back.error
                ),
                (
                    s.cover_open,
                    s.paper_end,
                    s.paper_near_end,
                    s.drawer_open,
                    s.error
                )
            );
        }
    }
}
