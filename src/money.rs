//! New Taiwan dollar amounts.
//!
//! Every gateway `till` talks to takes whole dollars (JKoPay `TradeAmount`,
//! MyPay `cost`, ECPay `TradeAmount`, the aggregator's `amount`), and the
//! e-invoice records whole dollars too, so money is an integer count of NT$.
//! Floats never appear; every operation that could overflow is checked.

use std::fmt;
use std::iter::Sum;

use serde::{Deserialize, Serialize};

/// A signed amount of New Taiwan dollars. Negative values appear only in
/// refunds and reports; prices and payments are never negative.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Ntd(i64);

/// Arithmetic left the range a till could ever see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount out of range / 金額超出範圍")]
pub struct Overflow;

/// The largest amount `till` accepts for one sale: NT$ 99,999,999, the most
/// the e-invoice QR code's 8 hex digits and every gateway's amount field hold
/// with room to spare.
pub const MAX_SALE: Ntd = Ntd(99_999_999);

impl Ntd {
    pub const ZERO: Ntd = Ntd(0);

    pub const fn new(dollars: i64) -> Ntd {
        Ntd(dollars)
    }

    pub const fn dollars(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Ntd) -> Result<Ntd, Overflow> {
        self.0.checked_add(other.0).map(Ntd).ok_or(Overflow)
    }

    pub fn checked_sub(self, other: Ntd) -> Result<Ntd, Overflow> {
        self.0.checked_sub(other.0).map(Ntd).ok_or(Overflow)
    }

    pub fn checked_mul(self, qty: i64) -> Result<Ntd, Overflow> {
        self.0.checked_mul(qty).map(Ntd).ok_or(Overflow)
    }

    pub fn checked_neg(self) -> Result<Ntd, Overflow> {
        self.0.checked_neg().map(Ntd).ok_or(Overflow)
    }

    /// Sum that fails instead of wrapping.
    pub fn checked_sum<I: IntoIterator<Item = Ntd>>(items: I) -> Result<Ntd, Overflow> {
        items
            .into_iter()
            .try_fold(Ntd::ZERO, |acc, x| acc.checked_add(x))
    }

    /// Split a tax-inclusive total at the standard 5% business tax rate:
    /// `sales = round(total / 1.05)` (half away from zero) and
    /// `tax = total - sales`, so the two always add back to the total.
    /// NT$ 900 → 857 + 43, as in MyPay's sample invoice.
    pub fn tax_split(self) -> TaxSplit {
        // round(t * 100 / 105) in integers: add half the divisor before the
        // division, mirrored for negatives so refunds split symmetrically.
        let t = self.0 as i128 * 100;
        let sales = if t >= 0 {
            (t + 52) / 105
        } else {
            -((-t + 52) / 105)
        } as i64;
        TaxSplit {
            sales: Ntd(sales),
            tax: Ntd(self.0 - sales),
        }
    }
}

/// A tax-inclusive total split into its sales amount and 5% business tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSplit {
    pub sales: Ntd,
    pub tax: Ntd,
}

impl fmt::Display for Ntd {
    /// `NT$1,234` / `-NT$50`: the way receipts and the GUI show money.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}NT${}", group_thousands(self.0.unsigned_abs()))
    }
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Sum for Ntd {
    /// Panics on overflow; use [`Ntd::checked_sum`] on untrusted input.
    fn sum<I: Iterator<Item = Ntd>>(iter: I) -> Ntd {
        Ntd::checked_sum(iter).expect("NT$ sum overflow")
    }
}

/// Why an amount typed or received is not a valid price or payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    NotANumber(String),
    NotPositive,
    TooLarge,
}
impl crate::locale::Localized for AmountError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::NotANumber(v0) => fill(lang, "words.money.not_a_number", &[("value", v0)]),
            Self::NotPositive => tr(lang, "words.money.not_positive"),
            Self::TooLarge => fill(lang, "words.money.too_large", &[("max", &MAX_SALE)]),
        }
    }
}

crate::display_both!(AmountError);

impl std::str::FromStr for Ntd {
    type Err = AmountError;

    /// Parses what a cashier or script types: `120`, `1,200`, `NT$1,200`,
    /// `$1200`. Decimals are refused: NT$ has no cents at the till.
    fn from_str(s: &str) -> Result<Ntd, AmountError> {
        let trimmed = s.trim();
        let body = trimmed
            .strip_prefix("NT$")
            .or_else(|| trimmed.strip_prefix('$'))
            .unwrap_or(trimmed);
        let digits: String = body.chars().filter(|c| *c != ',').collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(AmountError::NotANumber(s.trim().to_string()));
        }
        let value: i64 = digits.parse().map_err(|_| AmountError::TooLarge)?;
        let amount = Ntd(value);
        if amount > MAX_SALE {
            return Err(AmountError::TooLarge);
        }
        Ok(amount)
    }
}

/// Parse a positive payment amount (what `till pay --amount` takes).
pub fn parse_payment(s: &str) -> Result<Ntd, AmountError> {
    let amount: Ntd = s.parse()?;
    if !amount.is_positive() {
        return Err(AmountError::NotPositive);
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cashier reads why an amount was refused, with the amount and the
    /// limit, in the till's language.
    #[test]
    fn an_amount_refusal_is_worded_in_each_language() {
        use crate::locale::{Lang, Localized};
        let typed = "85.5".parse::<Ntd>().unwrap_err();
        assert_eq!(
            typed.message(Lang::En),
            "\"85.5\" is not an amount: enter whole dollars"
        );
        assert_eq!(typed.message(Lang::ZhTw), "「85.5」不是金額,請輸入整數元");
        let zero = parse_payment("0").unwrap_err();
        assert_eq!(zero.message(Lang::En), "the amount must be more than NT$0");
        assert_eq!(zero.message(Lang::ZhTw), "金額必須大於 0");
        let huge = "99999999999".parse::<Ntd>().unwrap_err();
        assert_eq!(
            huge.message(Lang::En),
            format!("the amount is over the limit of {MAX_SALE}")
        );
        assert_eq!(huge.message(Lang::ZhTw), format!("金額超過上限 {MAX_SALE}"));
        assert_eq!(
            huge.to_string(),
            format!("{} / {}", huge.message(Lang::ZhTw), huge.message(Lang::En))
        );
    }
    use proptest::prelude::*;

    #[test]
    fn zero_is_neither_negative_nor_positive() {
        // A NT$0 price is allowed, a negative one is not; a NT$0 attempt
        // is not positive and is refused.
        for (n, negative, positive) in [(-1, true, false), (0, false, false), (1, false, true)] {
            assert_eq!(Ntd::new(n).is_negative(), negative, "{n}");
            assert_eq!(Ntd::new(n).is_positive(), positive, "{n}");
        }
    }

    #[test]
    fn mypay_sample_splits_900_into_857_and_43() {
        assert_eq!(
            Ntd::new(900).tax_split(),
            TaxSplit {
                sales: Ntd::new(857),
                tax: Ntd::new(43)
            }
        );
    }

    #[test]
    fn small_totals_round_half_up() {
        // 10 / 1.05 = 9.52 → 10 + 0; 11 / 1.05 = 10.48 → 10 + 1;
        // 1 / 1.05 = 0.95 → 1 + 0; 21 / 1.05 = 20 exactly.
        assert_eq!(Ntd::new(10).tax_split().tax, Ntd::ZERO);
        assert_eq!(Ntd::new(11).tax_split().sales, Ntd::new(10));
        assert_eq!(Ntd::new(1).tax_split().sales, Ntd::new(1));
        assert_eq!(Ntd::new(21).tax_split().tax, Ntd::new(1));
        assert_eq!(Ntd::ZERO.tax_split().tax, Ntd::ZERO);
    }

    #[test]
    fn refunds_split_like_their_sale_mirrored() {
        let split = Ntd::new(-900).tax_split();
        assert_eq!(split.sales, Ntd::new(-857));
        assert_eq!(split.tax, Ntd::new(-43));
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Ntd::new(0).to_string(), "NT$0");
        assert_eq!(Ntd::new(999).to_string(), "NT$999");
        assert_eq!(Ntd::new(1000).to_string(), "NT$1,000");
        assert_eq!(Ntd::new(-1234567).to_string(), "-NT$1,234,567");
    }

    #[test]
    fn typed_amounts_parse_or_say_why() {
        assert_eq!("1,200".parse::<Ntd>(), Ok(Ntd::new(1200)));
        assert_eq!(" NT$35 ".parse::<Ntd>(), Ok(Ntd::new(35)));
        assert_eq!("$7".parse::<Ntd>(), Ok(Ntd::new(7)));
        assert!(matches!(
            "12.5".parse::<Ntd>(),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            "-5".parse::<Ntd>(),
            Err(AmountError::NotANumber(_))
        ));
        assert_eq!("100000000".parse::<Ntd>(), Err(AmountError::TooLarge));
        assert_eq!(
            "99999999999999999999999".parse::<Ntd>(),
            Err(AmountError::TooLarge)
        );
        assert_eq!(parse_payment("0"), Err(AmountError::NotPositive));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(Ntd::new(i64::MAX).checked_add(Ntd::new(1)), Err(Overflow));
        assert_eq!(Ntd::new(i64::MIN).checked_sub(Ntd::new(1)), Err(Overflow));
        assert_eq!(Ntd::new(i64::MAX / 2 + 1).checked_mul(2), Err(Overflow));
        assert_eq!(Ntd::new(i64::MIN).checked_neg(), Err(Overflow));
        assert_eq!(
            Ntd::checked_sum([Ntd::new(i64::MAX), Ntd::new(1)]),
            Err(Overflow)
        );
    }

    proptest! {
        #[test]
        fn tax_split_adds_back_and_tax_is_about_five_percent(total in 0i64..=100_000_000) {
            let s = Ntd::new(total).tax_split();
            prop_assert_eq!(s.sales.checked_add(s.tax).unwrap(), Ntd::new(total));
            // |sales * 1.05 - total| <= 0.525, i.e. |sales*105 - total*100| <= 52.5
            let diff = (s.sales.dollars() as i128 * 105 - total as i128 * 100).abs();
            prop_assert!(diff <= 52, "total {} sales {}", total, s.sales.dollars());
            prop_assert!(s.tax >= Ntd::ZERO);
        }

        #[test]
        fn split_is_antisymmetric(total in 0i64..=100_000_000) {
            let pos = Ntd::new(total).tax_split();
            let neg = Ntd::new(-total).tax_split();
            prop_assert_eq!(pos.sales.dollars(), -neg.sales.dollars());
            prop_assert_eq!(pos.tax.dollars(), -neg.tax.dollars());
        }

        #[test]
        fn display_then_parse_round_trips(n in 0i64..=99_999_999) {
            let shown = Ntd::new(n).to_string();
            prop_assert_eq!(shown.parse::<Ntd>(), Ok(Ntd::new(n)));
        }

        #[test]
        fn checked_ops_agree_with_i128(a in any::<i64>(), b in any::<i64>()) {
            let wide = a as i128 + b as i128;
            let r = Ntd::new(a).checked_add(Ntd::new(b));
            if wide >= i64::MIN as i128 && wide <= i64::MAX as i128 {
                prop_assert_eq!(r, Ok(Ntd::new(wide as i64)));
            } else {
                prop_assert_eq!(r, Err(Overflow));
            }
        }
    }
}
