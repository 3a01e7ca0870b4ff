//! What a refund does to the invoice: void it (作廢) or issue an allowance
//! (折讓).
//!
//! NOTES.md §5 [2nd]: "same two-month period → void; a later period →
//! allowance (折讓); nothing for a period after the 15th of the next odd
//! month". The last clause reads most naturally as the filing deadline: a
//! period's business tax return is due on the 15th of the odd month after
//! it (Nov–Dec → Jan 15), and until then its invoices can still be voided.
//! MyPay says plainly "跨發票月份無法作廢" (no void across periods;
//! `mypay-link-agent-api.txt`, refund `invoice_state`) [doc]. The two differ
//! only between the end of the period and that 15th, so the choice is a
//! setting ([`CrossPeriodVoid`]), defaulting to MyPay's stricter rule.

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{FormatError, Period};

/// Whether an invoice may be voided in the next period before its filing
/// deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrossPeriodVoid {
    /// Void only within the invoice's own period (MyPay) [doc].
    #[default]
    Never,
    /// Also void up to and including the 15th of the odd month after the
    /// period (NOTES.md §5, as read above) [2nd].
    UntilFilingDeadline,
}

/// What to do with the invoice of a refunded sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Treatment {
    /// 作廢: void the invoice (and issue a new one for what is kept).
    Void,
    /// 折讓: issue an allowance against the invoice.
    Allowance,
}

/// A refund dated before its sale's invoice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundDateError {
    BeforeIssue {
        issued: NaiveDate,
        refund_on: NaiveDate,
    },
    #[error(transparent)]
    Format(#[from] FormatError),
}
impl crate::locale::Localized for RefundDateError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::BeforeIssue { issued, refund_on } => fill(
                lang,
                "words.refund_date.before_issue",
                &[("refund_on", refund_on), ("issued", issued)],
            ),
            Self::Format(e) => e.message(lang),
        }
    }
}

crate::display_both!(RefundDateError);

/// The last day a period's invoices appear on its tax return: the 15th of
/// the month after the period (always odd: Jan, Mar, …, Nov).
pub fn filing_deadline(period: Period) -> NaiveDate {
    let after = period
        .last_day()
        .succ_opt()
        .expect("a day follows the period");
    after.with_day0(14).expect("every month has a 15th")
}

/// Void or allowance for an invoice issued on `issued` and refunded on
/// `refund_on` (both Taipei calendar days).
pub fn refund_treatment(
    issued: NaiveDate,
    refund_on: NaiveDate,
    policy: CrossPeriodVoid,
) -> Result<Treatment, RefundDateError> {
    if refund_on < issued {
        return Err(RefundDateError::BeforeIssue { issued, refund_on });
    }
    let period = Period::of(issued)?;
    if period.contains(refund_on) {
        return Ok(Treatment::Void);
    }
    match policy {
        CrossPeriodVoid::UntilFilingDeadline if refund_on <= filing_deadline(period) => {
            Ok(Treatment::Void)
        }
        _ => Ok(Treatment::Allowance),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CrossPeriodVoid::*;
    use Treatment::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn filing_deadline_is_the_15th_after_the_period() {
        assert_eq!(filing_deadline("11512".parse().unwrap()), d(2027, 1, 15));
        assert_eq!(filing_deadline("11502".parse().unwrap()), d(2026, 3, 15));
        assert_eq!(filing_deadline("11510".parse().unwrap()), d(2026, 11, 15));
    }

    #[test]
    fn same_period_voids_under_either_policy() {
        for p in [Never, UntilFilingDeadline] {
            assert_eq!(
                refund_treatment(d(2026, 11, 1), d(2026, 12, 31), p),
                Ok(Void)
            );
            assert_eq!(
                refund_treatment(d(2026, 12, 31), d(2026, 12, 31), p),
                Ok(Void)
            );
        }
    }

    #[test]
    fn the_next_period_differs_only_until_the_15th() {
        let sale = d(2026, 12, 31);
        assert_eq!(refund_treatment(sale, d(2027, 1, 1), Never), Ok(Allowance));
        assert_eq!(
            refund_treatment(sale, d(2027, 1, 1), UntilFilingDeadline),
            Ok(Void)
        );
        assert_eq!(
            refund_treatment(sale, d(2027, 1, 15), UntilFilingDeadline),
            Ok(Void)
        );
        assert_eq!(
            refund_treatment(sale, d(2027, 1, 16), UntilFilingDeadline),
            Ok(Allowance)
        );
        assert_eq!(
            refund_treatment(d(2026, 10, 31), d(2026, 11, 1), Never),
            Ok(Allowance)
        );
    }

    #[test]
    fn later_periods_always_get_an_allowance() {
        for p in [Never, UntilFilingDeadline] {
            assert_eq!(
                refund_treatment(d(2026, 11, 1), d(2027, 3, 1), p),
                Ok(Allowance)
            );
        }
    }

    #[test]
    fn a_refund_before_its_sale_is_an_error() {
        assert!(matches!(
            refund_treatment(d(2026, 5, 2), d(2026, 5, 1), Never),
            Err(RefundDateError::BeforeIssue { .. })
        ));
    }
}
