//! The cart: lines, quantities, discounts and the total the customer pays.

use serde::{Deserialize, Serialize};

use crate::money::{MAX_SALE, Ntd, Overflow};

/// Longest item name kept. MyPay's `items[].name` and the e-invoice detail
/// both take short names; receipts wrap at 32 columns anyway.
pub const MAX_NAME_CHARS: usize = 40;
/// Most units of one line a cashier can ring up at once.
pub const MAX_QTY: u32 = 9_999;

/// One line of the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Product id: the EAN for scanned goods, a store code for others,
    /// `OPEN` for an open-amount item typed on the keypad.
    pub id: String,
    pub name: String,
    pub qty: u32,
    /// Tax-inclusive price of one unit.
    pub unit_price: Ntd,
    /// Discount on the whole line, never more than the line's gross.
    pub discount: Ntd,
}

impl Line {
    pub fn new(id: &str, name: &str, qty: u32, unit_price: Ntd) -> Result<Line, CartError> {
        let line = Line {
            id: id.trim().to_string(),
            name: clean_name(name)?,
            qty,
            unit_price,
            discount: Ntd::ZERO,
        };
        line.check()?;
        Ok(line)
    }

    /// Quantity times unit price, before the line discount.
    pub fn gross(&self) -> Result<Ntd, Overflow> {
        self.unit_price.checked_mul(i64::from(self.qty))
    }

    /// What the line adds to the total.
    pub fn total(&self) -> Result<Ntd, Overflow> {
        self.gross()?.checked_sub(self.discount)
    }

    fn check(&self) -> Result<(), CartError> {
        if self.id.is_empty() {
            return Err(CartError::MissingId);
        }
        if self.qty == 0 {
            return Err(CartError::ZeroQuantity);
        }
        if self.qty > MAX_QTY {
            return Err(CartError::QuantityTooLarge);
        }
        if self.unit_price.is_negative() {
            return Err(CartError::NegativePrice);
        }
        let gross = self.gross().map_err(|_| CartError::TotalTooLarge)?;
        if gross > MAX_SALE {
            return Err(CartError::TotalTooLarge);
        }
        if self.discount.is_negative() || self.discount > gross {
            return Err(CartError::DiscountTooLarge {
                gross,
                discount: self.discount,
            });
        }
        Ok(())
    }
}

/// Names reach receipts, gateways and the e-invoice QR code: keep them on one
/// line, without control characters, and short.
fn clean_name(name: &str) -> Result<String, CartError> {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if cleaned.is_empty() {
        return Err(CartError::MissingName);
    }
    Ok(cleaned.chars().take(MAX_NAME_CHARS).collect())
}

/// The cart of one sale.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    lines: Vec<Line>,
    /// Discount on the whole sale (a coupon, a rounding-down), after lines.
    discount: Ntd,
}

impl Cart {
    pub fn new() -> Cart {
        Cart::default()
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn discount(&self) -> Ntd {
        self.discount
    }

    /// Add a line. Scanning the same product at the same price again adds to
    /// its quantity instead of making a second line, as cashiers expect.
    pub fn add(&mut self, line: Line) -> Result<usize, CartError> {
        line.check()?;
        if let Some(i) = self.lines.iter().position(|l| {
            l.id == line.id && l.unit_price == line.unit_price && l.discount.dollars() == 0
        }) && line.discount.dollars() == 0
        {
            let qty = self.lines[i]
                .qty
                .checked_add(line.qty)
                .ok_or(CartError::QuantityTooLarge)?;
            self.set_qty(i, qty)?;
            return Ok(i);
        }
        let mut next = self.clone();
        next.lines.push(line);
        next.check_total()?;
        *self = next;
        Ok(self.lines.len() - 1)
    }

    pub fn set_qty(&mut self, index: usize, qty: u32) -> Result<(), CartError> {
        self.edit(index, |l| l.qty = qty)
    }

    pub fn set_line_discount(&mut self, index: usize, discount: Ntd) -> Result<(), CartError> {
        self.edit(index, |l| l.discount = discount)
    }

    pub fn remove(&mut self, index: usize) -> Result<Line, CartError> {
        if index >= self.lines.len() {
            return Err(CartError::NoSuchLine(index + 1));
        }
        let removed = self.lines.remove(index);
        // A sale discount larger than what is left would make a negative sale.
        if self.discount > self.subtotal().unwrap_or(Ntd::ZERO) {
            self.discount = Ntd::ZERO;
        }
        Ok(removed)
    }

    pub fn set_discount(&mut self, discount: Ntd) -> Result<(), CartError> {
        let subtotal = self.subtotal().map_err(|_| CartError::TotalTooLarge)?;
        if discount.is_negative() || discount > subtotal {
            return Err(CartError::DiscountTooLarge {
                gross: subtotal,
                discount,
            });
        }
        self.discount = discount;
        Ok(())
    }

    /// Sum of the line totals.
    pub fn subtotal(&self) -> Result<Ntd, Overflow> {
        self.lines
            .iter()
            .try_fold(Ntd::ZERO, |acc, l| acc.checked_add(l.total()?))
    }

    /// What the customer pays.
    pub fn total(&self) -> Ntd {
        // check_total keeps this in range on every mutation.
        self.subtotal()
            .and_then(|s| s.checked_sub(self.discount))
            .expect("cart totals are checked on every change")
    }

    /// Number of units, for the receipt's item count.
    pub fn units(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.qty)).sum()
    }

    fn edit(&mut self, index: usize, change: impl FnOnce(&mut Line)) -> Result<(), CartError> {
        let mut next = self.clone();
        let line = next
            .lines
            .get_mut(index)
            .ok_or(CartError::NoSuchLine(index + 1))?;
        change(line);
        line.check()?;
        next.check_total()?;
        *self = next;
        Ok(())
    }

    fn check_total(&self) -> Result<(), CartError> {
        let subtotal = self.subtotal().map_err(|_| CartError::TotalTooLarge)?;
        if subtotal > MAX_SALE {
            return Err(CartError::TotalTooLarge);
        }
        if self.discount > subtotal {
            return Err(CartError::DiscountTooLarge {
                gross: subtotal,
                discount: self.discount,
            });
        }
        Ok(())
    }
}

/// Why a cart change was refused. The cart is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    MissingId,
    MissingName,
    ZeroQuantity,
    QuantityTooLarge,
    NegativePrice,
    TotalTooLarge,
    DiscountTooLarge { gross: Ntd, discount: Ntd },
    NoSuchLine(usize),
}
impl crate::locale::Localized for CartError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::MissingId => tr(lang, "words.cart.missing_id"),
            Self::MissingName => tr(lang, "words.cart.missing_name"),
            Self::ZeroQuantity => tr(lang, "words.cart.zero_quantity"),
            Self::QuantityTooLarge => fill(
                lang,
                "words.cart.quantity_too_large",
                &[("max_qty", &MAX_QTY)],
            ),
            Self::NegativePrice => tr(lang, "words.cart.negative_price"),
            Self::TotalTooLarge => tr(lang, "words.cart.total_too_large"),
            Self::DiscountTooLarge { gross, discount } => fill(
                lang,
                "words.cart.discount_too_large",
                &[("discount", discount), ("gross", gross)],
            ),
            Self::NoSuchLine(v0) => fill(lang, "words.cart.no_such_line", &[("value", v0)]),
        }
    }
}

crate::display_both!(CartError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tea() -> Line {
        Line::new("4710088412345", "綠茶 Green tea", 1, Ntd::new(25)).unwrap()
    }

    #[test]
    fn scanning_twice_adds_quantity_not_a_line() {
        let mut cart = Cart::new();
        cart.add(tea()).unwrap();
        cart.add(tea()).unwrap();
        assert_eq!(cart.lines().len(), 1);
        assert_eq!(cart.lines()[0].qty, 2);
        assert_eq!(cart.total(), Ntd::new(50));
        assert_eq!(cart.units(), 2);
    }

    #[test]
    fn discounts_reduce_the_total_but_never_below_zero() {
        let mut cart = Cart::new();
        cart.add(tea()).unwrap();
        cart.set_qty(0, 4).unwrap();
        cart.set_line_discount(0, Ntd::new(10)).unwrap();
        assert_eq!(cart.total(), Ntd::new(90));
        cart.set_discount(Ntd::new(5)).unwrap();
        assert_eq!(cart.total(), Ntd::new(85));
        let err = cart.set_discount(Ntd::new(91)).unwrap_err();
        assert!(matches!(err, CartError::DiscountTooLarge { .. }));
        assert_eq!(
            cart.total(),
            Ntd::new(85),
            "a refused change leaves the cart as it was"
        );
        assert!(cart.set_line_discount(0, Ntd::new(101)).is_err());
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        assert_eq!(
            Line::new("", "x", 1, Ntd::new(1)),
            Err(CartError::MissingId)
        );
        assert_eq!(
            Line::new("1", " \t", 1, Ntd::new(1)),
            Err(CartError::MissingName)
        );
        assert_eq!(
            Line::new("1", "x", 0, Ntd::new(1)),
            Err(CartError::ZeroQuantity)
        );
        assert_eq!(
            Line::new("1", "x", 1, Ntd::new(-1)),
            Err(CartError::NegativePrice)
        );
        assert_eq!(
            Line::new("1", "x", 2, Ntd::new(60_000_000)),
            Err(CartError::TotalTooLarge)
        );
        let mut cart = Cart::new();
        assert_eq!(cart.remove(0), Err(CartError::NoSuchLine(1)));
    }

    #[test]
    fn names_are_one_clean_line() {
        let line = Line::new("1", "  Milk\n\ttea\u{7}  ", 1, Ntd::new(1)).unwrap();
        assert_eq!(line.name, "Milk tea");
        let long = "茶".repeat(100);
        assert_eq!(
            Line::new("1", &long, 1, Ntd::new(1))
                .unwrap()
                .name
                .chars()
                .count(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn removing_a_line_drops_a_sale_discount_it_no_longer_covers() {
        let mut cart = Cart::new();
        cart.add(tea()).unwrap();
        cart.add(Line::new("2", "Cake", 1, Ntd::new(80)).unwrap())
            .unwrap();
        cart.set_discount(Ntd::new(50)).unwrap();
        cart.remove(1).unwrap();
        assert_eq!(cart.discount(), Ntd::ZERO);
        assert_eq!(cart.total(), Ntd::new(25));
    }

    proptest! {
        #[test]
        fn total_is_sum_of_lines_minus_discount(
            items in proptest::collection::vec((1u32..50, 0i64..5000, 0i64..100), 1..20),
            sale_discount in 0i64..1000,
        ) {
            let mut cart = Cart::new();
            let mut expected = 0i64;
            for (i, (qty, price, disc)) in items.iter().enumerate() {
                let mut line = Line::new(&format!("P{i}"), "item", *qty, Ntd::new(*price)).unwrap();
                let disc = (*disc).min(*price * *qty as i64);
                line.discount = Ntd::new(disc);
                cart.add(line).unwrap();
                expected += *price * *qty as i64 - disc;
            }
            if cart.set_discount(Ntd::new(sale_discount)).is_ok() {
                expected -= sale_discount;
            }
            prop_assert_eq!(cart.total(), Ntd::new(expected));
            prop_assert!(cart.total() >= Ntd::ZERO);
        }
    }
}
