//! Asia/Taipei time. Taiwan has kept UTC+08:00 without daylight saving since
//! 1980, so a fixed offset is exact and needs no time-zone database. Every
//! timestamp a gateway or the e-invoice sees is made here, never from the
//! machine's local zone, which on a checkout PC is often left at UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A moment on the Taipei wall clock.
pub type TaipeiTime = DateTime<FixedOffset>;

/// UTC+08:00.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// Now, on the Taipei wall clock.
pub fn now() -> TaipeiTime {
    Utc::now().with_timezone(&offset())
}

/// A UTC instant seen from Taipei.
pub fn from_utc(t: DateTime<Utc>) -> TaipeiTime {
    t.with_timezone(&offset())
}

/// A Taipei wall-clock reading (e.g. from a gateway's answer) as an instant.
pub fn from_wall_clock(t: NaiveDateTime) -> TaipeiTime {
    offset()
        .from_local_datetime(&t)
        .single()
        .expect("a fixed offset maps every wall-clock time to one instant")
}

/// The instant a Taipei clock reads `y-m-d h:mi:s`; `None` when no such
/// date or time exists (month 13, 24:00…).
pub fn at(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<TaipeiTime> {
    let day = NaiveDate::from_ymd_opt(y, m, d)?;
    Some(from_wall_clock(day.and_hms_opt(h, mi, s)?))
}

/// Midnight at the start of a Taipei calendar day.
pub fn start_of_day(d: NaiveDate) -> TaipeiTime {
    from_wall_clock(d.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_evening_is_the_next_day_in_taipei() {
        let utc = Utc.with_ymd_and_hms(2026, 12, 31, 16, 30, 0).unwrap();
        let local = from_utc(utc);
        assert_eq!(
            local.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
            "2027-01-01 00:30:00 +08:00"
        );
    }

    #[test]
    fn wall_clock_round_trips() {
        let wall = NaiveDate::from_ymd_opt(2020, 8, 1)
            .unwrap()
            .and_hms_opt(10, 5, 11)
            .unwrap();
        let t = from_wall_clock(wall);
        assert_eq!(t.naive_local(), wall);
        assert_eq!(t.timestamp(), 1_596_247_511);
    }

    #[test]
    fn a_clock_reading_is_taipei_time_and_an_impossible_one_is_none() {
        let t = at(2026, 12, 6, 14, 5, 0).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-06T14:05:00+08:00");
        assert_eq!(at(2026, 13, 1, 0, 0, 0), None);
        assert_eq!(at(2026, 2, 29, 0, 0, 0), None);
        assert_eq!(at(2026, 12, 6, 24, 0, 0), None);
    }
}
