//! Invoice periods (期別) and ROC (民國) dates.
//!
//! Uniform invoices run in two-month periods: Jan–Feb, Mar–Apr, …, Nov–Dec.
//! A period is named by its ROC year and its even end month: `11512` is
//! 115年11-12月 (Nov–Dec 2026). An odd month m belongs to period m+1
//! (NOTES.md §5 [code]). ROC year = Gregorian year − 1911.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::FormatError;

/// ROC years the 3-digit fields can hold (民國 1–999 = 1912–2910).
const ROC_YEARS: std::ops::RangeInclusive<i32> = 1..=999;
const ROC_OFFSET: i32 = 1911;

/// The ROC year of a Gregorian date, if a 3-digit field can hold it.
pub fn roc_year(date: NaiveDate) -> Result<u16, FormatError> {
    let y = date.year() - ROC_OFFSET;
    if ROC_YEARS.contains(&y) {
        Ok(y as u16)
    } else {
        Err(FormatError::OutOfRocRange(date))
    }
}

/// `YYYMMDD`, the 7-digit ROC date of the left QR code: 2026-12-31 →
/// `1151231`.
pub fn roc_date(date: NaiveDate) -> Result<String, FormatError> {
    let y = roc_year(date)?;
    Ok(format!("{y:03}{:02}{:02}", date.month(), date.day()))
}

/// Parse a 7-digit ROC date `YYYMMDD`.
pub fn parse_roc_date(s: &str) -> Result<NaiveDate, FormatError> {
    let bad = || FormatError::RocDate(s.to_string());
    if s.len() != 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let y: i32 = s[..3].parse().map_err(|_| bad())?;
    let m: u32 = s[3..5].parse().map_err(|_| bad())?;
    let d: u32 = s[5..].parse().map_err(|_| bad())?;
    if y == 0 {
        return Err(bad());
    }
    NaiveDate::from_ymd_opt(y + ROC_OFFSET, m, d).ok_or_else(bad)
}

/// A two-month invoice period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    // Field order makes the derived Ord chronological.
    roc_year: u16,
    end_month: u8,
}

impl Period {
    /// A period from its ROC year and even end month (2, 4, …, 12).
    pub fn new(roc_year: u16, end_month: u8) -> Result<Period, FormatError> {
        let year_ok = ROC_YEARS.contains(&i32::from(roc_year));
        let month_ok = (2..=12).contains(&end_month) && end_month % 2 == 0;
        if year_ok && month_ok {
            Ok(Period {
                roc_year,
                end_month,
            })
        } else {
            Err(FormatError::Period(format!("{roc_year:03}{end_month:02}")))
        }
    }

    /// The period a date falls in (dates are Taipei calendar days).
    pub fn of(date: NaiveDate) -> Result<Period, FormatError> {
        let roc_year = roc_year(date)?;
        let m = date.month() as u8;
        Ok(Period {
            roc_year,
            end_month: m + m % 2,
        })
    }

    pub fn roc_year(self) -> u16 {
        self.roc_year
    }

    pub fn start_month(self) -> u8 {
        self.end_month - 1
    }

    pub fn end_month(self) -> u8 {
        self.end_month
    }

    /// `115年11-12月`, the period line of the proof.
    pub fn label_zh(self) -> String {
        format!(
            "{}年{:02}-{:02}月",
            self.roc_year,
            self.start_month(),
            self.end_month
        )
    }

    /// `11512`: the first 5 characters of the Code 39 barcode.
    pub fn code39_prefix(self) -> String {
        format!("{:03}{:02}", self.roc_year, self.end_month)
    }

    /// The first day of the period.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.gregorian_year(), u32::from(self.start_month()), 1)
            .expect("a period starts on a real day")
    }

    /// The last day of the period.
    pub fn last_day(self) -> NaiveDate {
        self.next_or_end()
            .pred_opt()
            .expect("a period has a last day")
    }

    /// The period after this one; `None` past ROC 999.
    pub fn next(self) -> Option<Period> {
        if self.end_month == 12 {
            Period::new(self.roc_year + 1, 2).ok()
        } else {
            Some(Period {
                end_month: self.end_month + 2,
                ..self
            })
        }
    }

    /// The period before this one; `None` before ROC 1.
    pub fn prev(self) -> Option<Period> {
        if self.end_month == 2 {
            Period::new(self.roc_year.checked_sub(1)?, 12).ok()
        } else {
            Some(Period {
                end_month: self.end_month - 2,
                ..self
            })
        }
    }

    /// Whether a date falls in this period.
    pub fn contains(self, date: NaiveDate) -> bool {
        Period::of(date) == Ok(self)
    }

    fn gregorian_year(self) -> i32 {
        i32::from(self.roc_year) + ROC_OFFSET
    }

    /// The first day after the period (valid even for ROC 999 Nov–Dec).
    fn next_or_end(self) -> NaiveDate {
        let (y, m) = if self.end_month == 12 {
            (self.gregorian_year() + 1, 1)
        } else {
            (self.gregorian_year(), u32::from(self.end_month) + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1).expect("a month starts on day 1")
    }
}

impl fmt::Display for Period {
    /// The 5-digit code, `11512`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code39_prefix())
    }
}

impl FromStr for Period {
    type Err = FormatError;

    /// Parse the 5-digit code `YYYMM` (`11512`).
    fn from_str(s: &str) -> Result<Period, FormatError> {
        let bad = || FormatError::Period(s.to_string());
        if s.len() != 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let y: u16 = s[..3].parse().map_err(|_| bad())?;
        let m: u8 = s[3..].parse().map_err(|_| bad())?;
        Period::new(y, m).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn odd_months_belong_to_the_following_even_month() {
        assert_eq!(Period::of(d(2021, 9, 1)).unwrap().code39_prefix(), "11010");
        assert_eq!(
            Period::of(d(2021, 10, 22)).unwrap().code39_prefix(),
            "11010"
        );
        assert_eq!(Period::of(d(2026, 1, 1)).unwrap().code39_prefix(), "11502");
        assert_eq!(Period::of(d(2026, 2, 28)).unwrap().code39_prefix(), "11502");
        assert_eq!(Period::of(d(2026, 3, 1)).unwrap().code39_prefix(), "11504");
    }

    #[test]
    fn year_end_crosses_into_the_next_roc_year() {
        let dec = Period::of(d(2026, 12, 31)).unwrap();
        let jan = Period::of(d(2027, 1, 1)).unwrap();
        assert_eq!(dec.label_zh(), "115年11-12月");
        assert_eq!(jan.label_zh(), "116年01-02月");
        assert_eq!(dec.next(), Some(jan));
        assert_eq!(jan.prev(), Some(dec));
        assert!(dec < jan);
        assert_eq!(dec.last_day(), d(2026, 12, 31));
        assert_eq!(jan.first_day(), d(2027, 1, 1));
    }

    #[test]
    fn period_days_cover_leap_february() {
        let p: Period = "11302".parse().unwrap(); // 2024 Jan–Feb
        assert_eq!(p.first_day(), d(2024, 1, 1));
        assert_eq!(p.last_day(), d(2024, 2, 29));
        assert!(p.contains(d(2024, 2, 29)));
        assert!(!p.contains(d(2024, 3, 1)));
    }

    #[test]
    fn period_codes_parse_or_are_refused() {
        assert_eq!(
            "11512".parse::<Period>().unwrap(),
            Period::new(115, 12).unwrap()
        );
        for bad in [
            "11511", "11500", "11514", "1151", "115122", "00012", "1a512",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn roc_dates_format_and_parse() {
        assert_eq!(roc_date(d(2021, 10, 22)).unwrap(), "1101022");
        assert_eq!(roc_date(d(1930, 1, 5)).unwrap(), "0190105");
        assert_eq!(parse_roc_date("1151231").unwrap(), d(2026, 12, 31));
        assert!(parse_roc_date("1150230").is_err());
        assert!(parse_roc_date("0000101").is_err());
        assert!(parse_roc_date("115123").is_err());
        assert!(roc_date(d(1911, 12, 31)).is_err());
        assert!(Period::of(d(2911, 1, 1)).is_err());
    }

    #[test]
    fn the_ends_of_the_roc_range_have_no_neighbours() {
        assert_eq!(Period::new(1, 2).unwrap().prev(), None);
        let last = Period::new(999, 12).unwrap();
        assert_eq!(last.next(), None);
        assert_eq!(last.last_day(), d(2910, 12, 31));
    }

    proptest! {
        #[test]
        fn every_day_is_in_exactly_its_period(days in 0i64..(200 * 366)) {
            let date = d(1990, 1, 1) + chrono::Duration::days(days);
            let p = Period::of(date).unwrap();
            prop_assert!(p.first_day() <= date && date <= p.last_day());
            prop_assert_eq!(p.end_month() % 2, 0);
            prop_assert_eq!(p.code39_prefix().parse::<Period>().unwrap(), p);
            prop_assert_eq!(p.next().unwrap().prev().unwrap(), p);
            prop_assert_eq!(p.next().unwrap().first_day(), p.last_day().succ_opt().unwrap());
            prop_assert_eq!(parse_roc_date(&roc_date(date).unwrap()).unwrap(), date);
        }
    }
}
