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
    #[error("此筆交易已全額退款 / this sale has already been refunded in full")]
    NothingLeft,
    #[error("退款金額必須大於 0 / the refund must be more than NT$0")]
    NotPositive,
    #[error("最多可退 {left} / at most {left} can still be refunded")]
    MoreThanLeft { left: Ntd },
    #[error("沒有第 {0} 行 / there is no line {0}")]
    NoSuchLine(usize),
    #[error(
        "第 {line} 行最多可退 {left} 件 / line {line}: at most {left} units can still be refunded"
    )]
    TooManyUnits { line: usize, left: u32 },
}

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
                    amount = amount
                        .checked_add(unit_share(line, qty))
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

/// What `qty` units of a line were really paid: the line discount is shared
/// across its units, the remainder going to the last units so that refunding
/// every unit returns exactly the line total.
fn unit_share(line: &Line, qty: u32) -> Ntd {
    let total = line.total().unwrap_or(Ntd::ZERO).dollars();
    let per_unit = total / i64::from(line.qty);
    Ntd::new(per_unit * i64::from(qty))
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
}
