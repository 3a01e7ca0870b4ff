//! Refunds against a paid sale: how much may still go back, and by line.

use serde::{Deserialize, Serialize};

use super::cart::Line;
use crate::money::Ntd;

/// What the manager asks to give back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefundRequest {
    /// Everything not yet refunded.
    Full,
    /// An amount, e.g. a price adjustment.
    Amount(Ntd),
    /// Units of given lines (index into the sale's lines, quantity).
    Lines(Vec<(usize, u32)>),
}

/// What a sale can still give back, from its journal history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable<'a> {
    pub lines: &'a [Line],
    /// The sale total: the lines after their discounts, less the sale
    /// discount (which line refunds share).
    pub total: Ntd,
    /// What the customer paid (the sale total).
    pub paid: Ntd,
    /// Sum of refunds already approved.
    pub refunded: Ntd,
    /// Units already refunded per line (same indexes as `lines`).
    pub refunded_units: Vec<u32>,
}

/// A checked refund: the amount and, for a line refund, the units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPlan {
    pub amount: Ntd,
    pub lines: Vec<(usize, u32)>,
    /// True when this refund returns everything that remained.
    pub closes_sale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    NothingLeft,
    NotPositive,
    MoreThanLeft { left: Ntd },
    NoSuchLine(usize),
    TooManyUnits { line: usize, left: u32 },
}
impl crate::locale::Localized for RefundError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::NothingLeft => tr(lang, "words.sale_refund.nothing_left"),
            Self::NotPositive => tr(lang, "words.sale_refund.not_positive"),
            Self::MoreThanLeft { left } => {
                fill(lang, "words.sale_refund.more_than_left", &[("left", left)])
            }
            Self::NoSuchLine(v0) => fill(lang, "words.sale_refund.no_such_line", &[("value", v0)]),
            Self::TooManyUnits { line, left } => fill(
                lang,
                "words.sale_refund.too_many_units",
                &[("line", line), ("left", left)],
            ),
        }
    }
}

crate::display_both!(RefundError);

impl Refundable<'_> {
    /// Money that can still go back.
    pub fn left(&self) -> Ntd {
        self.paid
            .checked_sub(self.refunded)
            .unwrap_or(Ntd::ZERO)
            .max(Ntd::ZERO)
    }

    /// Check a request against what remains and turn it into a plan.
    pub fn plan(&self, request: &RefundRequest) -> Result<RefundPlan, RefundError> {
        let left = self.left();
        if left == Ntd::ZERO {
            return Err(RefundError::NothingLeft);
        }
        let (amount, lines) = match request {
            RefundRequest::Full => (left, Vec::new()),
            RefundRequest::Amount(a) => (*a, Vec::new()),
            RefundRequest::Lines(picks) => {
                let paid_per_line = self.line_paid();
                // Units taken so far per line, this request's picks included.
                let mut taken = self.refunded_units.clone();
                taken.resize(self.lines.len(), 0);
                let mut amount = Ntd::ZERO;
                for &(i, qty) in picks {
                    let line = self.lines.get(i).ok_or(RefundError::NoSuchLine(i + 1))?;
                    let done = self.refunded_units.get(i).copied().unwrap_or(0);
                    let units_left = line.qty.saturating_sub(done);
                    let asked: u32 = picks.iter().filter(|p| p.0 == i).map(|p| p.1).sum();
                    if asked > units_left {
                        return Err(RefundError::TooManyUnits {
                            line: i + 1,
                            left: units_left,
                        });
                    }
                    let share = units_share(paid_per_line[i], line.qty, taken[i], qty);
                    taken[i] += qty;
                    amount = amount
                        .checked_add(share)
                        .map_err(|_| RefundError::MoreThanLeft { left })?;
                }
                (amount, picks.clone())
            }
        };
        if !amount.is_positive() {
            return Err(RefundError::NotPositive);
        }
        if amount > left {
            return Err(RefundError::MoreThanLeft { left });
        }
        Ok(RefundPlan {
            amount,
            lines,
            closes_sale: amount == left,
        })
    }
}

impl Refundable<'_> {
    /// What each line was really paid: its total after its own discount,
    /// less its part of the sale discount, spread in proportion to the line
    /// totals (running shares rounded down, so the parts add up to exactly
    /// the sale discount and the lines to exactly the sale total).
    fn line_paid(&self) -> Vec<i64> {
        let totals: Vec<i128> = self
            .lines
            .iter()
            .map(|l| i128::from(l.total().unwrap_or(Ntd::ZERO).dollars()))
            .collect();
        let sum: i128 = totals.iter().sum();
        let discount = (sum - i128::from(self.total.dollars())).clamp(0, sum);
        let mut running = 0i128;
        totals
            .iter()
            .map(|&t| {
                if sum == 0 {
                    return 0;
                }
                let before = discount * running / sum;
                running += t;
                let after = discount * running / sum;
                i64::try_from(t - (after - before)).unwrap_or(i64::MAX)
            })
            .collect()
    }
}

/// What units `done + 1 ..= done + qty` of a line of `units` units, which
/// was paid `paid` in all, were really paid: running shares rounded down, so
/// the odd dollars go to the last units and refunding every unit, in any
/// number of refunds, returns exactly what the line was paid.
fn units_share(paid: i64, units: u32, done: u32, qty: u32) -> Ntd {
    if units == 0 {
        return Ntd::ZERO;
    }
    let share = |k: u32| i128::from(paid) * i128::from(k.min(units)) / i128::from(units);
    Ntd::new(i64::try_from(share(done + qty) - share(done)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<Line> {
        let mut coffee = Line::new("1", "Latte", 3, Ntd::new(100)).unwrap();
        coffee.discount = Ntd::new(30);
        vec![coffee, Line::new("2", "Bagel", 1, Ntd::new(45)).unwrap()]
    }

    #[test]
    fn full_refund_returns_what_is_left() {
        let lines = lines();
        let r = Refundable {
            lines: &lines,
            total: Ntd::new(315),
            paid: Ntd::new(315),
            refunded: Ntd::new(15),
            refunded_units: vec![0, 0],
        };
        let plan = r.plan(&RefundRequest::Full).unwrap();
        assert_eq!(plan.amount, Ntd::new(300));
        assert!(plan.closes_sale);
    }

    #[test]
    fn partial_and_repeated_refunds_stop_at_the_paid_amount() {
        let lines = lines();
        let mut r = Refundable {
            lines: &lines,
            total: Ntd::new(315),
            paid: Ntd::new(315),
            refunded: Ntd::ZERO,
            refunded_units: vec![0, 0],
        };
        let first = r.plan(&RefundRequest::Amount(Ntd::new(200))).unwrap();
        assert!(!first.closes_sale);
        r.refunded = first.amount;
        assert_eq!(
            r.plan(&RefundRequest::Amount(Ntd::new(116))),
            Err(RefundError::MoreThanLeft {
                left: Ntd::new(115)
            })
        );
        r.refunded = Ntd::new(315);
        assert_eq!(r.plan(&RefundRequest::Full), Err(RefundError::NothingLeft));
        r.refunded = Ntd::ZERO;
        assert_eq!(
            r.plan(&RefundRequest::Amount(Ntd::ZERO)),
            Err(RefundError::NotPositive)
        );
    }

    #[test]
    fn line_refunds_share_the_line_discount() {
        let lines = lines();
        let r = Refundable {
            lines: &lines,
            total: Ntd::new(315),
            paid: Ntd::new(315),
            refunded: Ntd::ZERO,
            refunded_units: vec![1, 0],
        };
        // 3 lattes for 270 after discount: 90 each.
        let plan = r.plan(&RefundRequest::Lines(vec![(0, 2)])).unwrap();
        assert_eq!(plan.amount, Ntd::new(180));
        assert_eq!(
            r.plan(&RefundRequest::Lines(vec![(0, 3)])),
            Err(RefundError::TooManyUnits { line: 1, left: 2 })
        );
        assert_eq!(
            r.plan(&RefundRequest::Lines(vec![(0, 1), (0, 2)])),
            Err(RefundError::TooManyUnits { line: 1, left: 2 })
        );
        assert_eq!(
            r.plan(&RefundRequest::Lines(vec![(5, 1)])),
            Err(RefundError::NoSuchLine(6))
        );
    }

    #[test]
    fn line_refunds_share_the_sale_discount_and_never_return_more_than_was_paid() {
        // 3 lattes at 100 and a bagel at 45, 50 off the whole sale: 295.
        let lines = vec![
            Line::new("1", "Latte", 3, Ntd::new(100)).unwrap(),
            Line::new("2", "Bagel", 1, Ntd::new(45)).unwrap(),
        ];
        let mut r = Refundable {
            lines: &lines,
            total: Ntd::new(295),
            paid: Ntd::new(295),
            refunded: Ntd::ZERO,
            refunded_units: vec![0, 0],
        };
        // The lattes carry 300/345 of the 50 off, rounded down: 43; the
        // bagel the other 7, so it gives back 38, not its list price.
        let bagel = r.plan(&RefundRequest::Lines(vec![(1, 1)])).unwrap();
        assert_eq!(bagel.amount, Ntd::new(38));
        // The lattes were paid 257 together: 85, 86, 86 one by one.
        let mut back = Vec::new();
        for _ in 0..3 {
            let p = r.plan(&RefundRequest::Lines(vec![(0, 1)])).unwrap();
            back.push(p.amount.dollars());
            r.refunded = r.refunded.checked_add(p.amount).unwrap();
            r.refunded_units[0] += 1;
        }
        assert_eq!(back, vec![85, 86, 86]);
        // Every unit back, one refund at a time, is exactly the sale total.
        r.refunded = r.refunded.checked_add(bagel.amount).unwrap();
        assert_eq!(r.refunded, Ntd::new(295));
        assert_eq!(r.plan(&RefundRequest::Full), Err(RefundError::NothingLeft));
    }

    #[test]
    fn refunding_every_unit_of_a_line_at_once_returns_the_line_exactly() {
        // 3 at 100 with 1 off the line: 299, which 3 does not divide.
        let mut latte = Line::new("1", "Latte", 3, Ntd::new(100)).unwrap();
        latte.discount = Ntd::new(1);
        let lines = vec![latte];
        let r = Refundable {
            lines: &lines,
            total: Ntd::new(299),
            paid: Ntd::new(299),
            refunded: Ntd::ZERO,
            refunded_units: vec![0],
        };
        let all = r.plan(&RefundRequest::Lines(vec![(0, 3)])).unwrap();
        assert_eq!(all.amount, Ntd::new(299));
        assert!(all.closes_sale);
        // Two picks of the same line in one request count in order.
        let split = r.plan(&RefundRequest::Lines(vec![(0, 2), (0, 1)])).unwrap();
        assert_eq!(split.amount, Ntd::new(299));
    }
}
