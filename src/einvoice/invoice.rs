//! An issued invoice as `till` prints it, and its Code 39 barcode content.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{FormatError, InvoiceNumber, Period, RandomCode};
use crate::money::{MAX_SALE, Ntd};
use crate::taipei::{self, TaipeiTime};

/// What is wrong with an invoice before it is printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error(transparent)]
    Format(#[from] FormatError),
    NoItems,
    EmptyName,
    ZeroQuantity(String),
    ItemOutOfRange(String),
    TotalNotPositive,
    TotalTooLarge,
    ZeroBuyerBan,
}
impl crate::locale::Localized for InvoiceError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::Format(e) => e.message(lang),
            Self::NoItems => tr(lang, "words.invoice.no_items"),
            Self::EmptyName => tr(lang, "words.invoice.empty_name"),
            Self::ZeroQuantity(v0) => fill(lang, "words.invoice.zero_quantity", &[("value", v0)]),
            Self::ItemOutOfRange(v0) => {
                fill(lang, "words.invoice.item_out_of_range", &[("value", v0)])
            }
            Self::TotalNotPositive => tr(lang, "words.invoice.total_not_positive"),
            Self::TotalTooLarge => {
                fill(lang, "words.invoice.total_too_large", &[("max", &MAX_SALE)])
            }
            Self::ZeroBuyerBan => tr(lang, "words.invoice.zero_buyer_ban"),
        }
    }
}

crate::display_both!(InvoiceError);

/// One line of the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub name: String,
    pub qty: u32,
    /// Tax-inclusive price of one unit; negative for a discount line
    /// (MyPay's sample invoice has `VIP免費券 1 × -50`).
    pub unit_price: Ntd,
    /// `qty × unit_price`.
    pub amount: Ntd,
}

impl Item {
    pub fn new(name: &str, qty: u32, unit_price: Ntd) -> Result<Item, InvoiceError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(InvoiceError::EmptyName);
        }
        if qty == 0 {
            return Err(InvoiceError::ZeroQuantity(name.to_string()));
        }
        let amount = unit_price
            .checked_mul(i64::from(qty))
            .ok()
            .filter(|a| a.dollars().abs() <= MAX_SALE.dollars())
            .ok_or_else(|| InvoiceError::ItemOutOfRange(name.to_string()))?;
        Ok(Item {
            name: name.to_string(),
            qty,
            unit_price,
            amount,
        })
    }
}

/// An issued e-invoice: everything the proof, its barcode and its QR codes
/// show. Built only through [`Invoice::new`], so the amounts always agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    number: InvoiceNumber,
    random_code: RandomCode,
    issued_at: TaipeiTime,
    seller_ban: String,
    buyer_ban: Option<String>,
    items: Vec<Item>,
    sales_amount: Ntd,
    tax: Ntd,
    total: Ntd,
    test: bool,
}

impl Invoice {
    /// An invoice for `items` at tax-inclusive prices (how a till sells).
    ///
    /// The total is the sum of the item amounts; it is split into sales
    /// amount and 5% tax with [`Ntd::tax_split`]. A consumer's proof shows only
    /// the total; with a buyer BAN (B2B, 格式 25) it shows the two parts, and
    /// the left QR code always records the untaxed sales amount (see
    /// [`super::qr`]).
    pub fn new(
        number: InvoiceNumber,
        random_code: RandomCode,
        issued_at: TaipeiTime,
        seller_ban: &str,
        buyer_ban: Option<&str>,
        items: Vec<Item>,
    ) -> Result<Invoice, InvoiceError> {
        check_ban_shape(seller_ban)?;
        if let Some(b) = buyer_ban {
            check_ban_shape(b)?;
            if b == "00000000" {
                return Err(InvoiceError::ZeroBuyerBan);
            }
        }
        let issued_at = issued_at.with_timezone(&taipei::offset());
        // Every date field (QR, barcode, period) needs a 3-digit ROC year.
        Period::of(issued_at.date_naive())?;
        if items.is_empty() {
            return Err(InvoiceError::NoItems);
        }
        let total = Ntd::checked_sum(items.iter().map(|i| i.amount))
            .map_err(|_| InvoiceError::TotalTooLarge)?;
        if !total.is_positive() {
            return Err(InvoiceError::TotalNotPositive);
        }
        if total > MAX_SALE {
            return Err(InvoiceError::TotalTooLarge);
        }
        let split = total.tax_split();
        Ok(Invoice {
            number,
            random_code,
            issued_at,
            seller_ban: seller_ban.to_string(),
            buyer_ban: buyer_ban.map(str::to_string),
            items,
            sales_amount: split.sales,
            tax: split.tax,
            total,
            test: false,
        })
    }

    /// Mark as issued on the platform's test environment: the proof's title
    /// then reads 測試電子發票證明聯 (NOTES.md §5).
    pub fn into_test(mut self) -> Invoice {
        self.test = true;
        self
    }

    pub fn number(&self) -> &InvoiceNumber {
        &self.number
    }

    pub fn random_code(&self) -> RandomCode {
        self.random_code
    }

    pub fn issued_at(&self) -> TaipeiTime {
        self.issued_at
    }

    /// The Taipei calendar day of issue.
    pub fn issued_on(&self) -> NaiveDate {
        self.issued_at.date_naive()
    }

    pub fn period(&self) -> Period {
        Period::of(self.issued_on()).expect("checked in Invoice::new")
    }

    pub fn seller_ban(&self) -> &str {
        &self.seller_ban
    }

    /// `None` for a consumer.
    pub fn buyer_ban(&self) -> Option<&str> {
        self.buyer_ban.as_deref()
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The untaxed sales amount (銷售額).
    pub fn sales_amount(&self) -> Ntd {
        self.sales_amount
    }

    /// The 5% business tax (稅額).
    pub fn tax(&self) -> Ntd {
        self.tax
    }

    /// The tax-inclusive total (總計), what the customer paid.
    pub fn total(&self) -> Ntd {
        self.total
    }

    pub fn is_test(&self) -> bool {
        self.test
    }
}

/// The 19 characters of the Code 39 barcode: period (5) + invoice number
/// (10) + random code (4), e.g. `11010SW830370768373` (NOTES.md §5 [code];
/// MyPay's `invoice_middle_barcode` sample in `mypay-link-agent-api.txt`).
pub fn code39_content(invoice: &Invoice) -> String {
    barcode_content(invoice.period(), &invoice.number, invoice.random_code)
}

pub(crate) fn barcode_content(
    period: Period,
    number: &InvoiceNumber,
    random: RandomCode,
) -> String {
    format!("{}{}{}", period.code39_prefix(), number, random)
}

/// A BAN (統一編號) as the proof and QR carry it: 8 ASCII digits. The
/// checksum rule lives in `buyer.rs`.
pub(crate) fn check_ban_shape(s: &str) -> Result<(), FormatError> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(FormatError::Ban(s.to_string()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use proptest::prelude::*;

    pub(crate) fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> TaipeiTime {
        taipei::from_wall_clock(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, s)
                .unwrap(),
        )
    }

    /// MyPay's sample invoice (`mypay-link-agent-api.txt`, query answer).
    pub(crate) fn mypay_sample() -> Invoice {
        Invoice::new(
            "SW83037076".parse().unwrap(),
            "8373".parse().unwrap(),
            at(2021, 10, 22, 9, 9, 18),
            "28915188",
            None,
            vec![
                Item::new("好棒棒麻辣鍋湯包", 1, Ntd::new(1000)).unwrap(),
                Item::new("VIP免費券", 1, Ntd::new(-50)).unwrap(),
                Item::new("好食券", 1, Ntd::new(-50)).unwrap(),
            ],
        )
        .unwrap()
    }

    #[test]
    fn code39_matches_the_notes_and_mypay_example() {
        let inv = mypay_sample();
        assert_eq!(code39_content(&inv), "11010SW830370768373");
        assert_eq!(inv.period().label_zh(), "110年09-10月");
    }

    #[test]
    fn total_is_the_sum_of_items_split_at_five_percent() {
        let inv = mypay_sample();
        assert_eq!(inv.total(), Ntd::new(900));
        assert_eq!(inv.sales_amount(), Ntd::new(857));
        assert_eq!(inv.tax(), Ntd::new(43));
        assert_eq!(inv.items()[1].amount, Ntd::new(-50));
    }

    #[test]
    fn issue_date_is_the_taipei_day_even_from_a_utc_time() {
        // 2026-12-31 16:30 UTC is already 2027-01-01 in Taipei: next period.
        let utc = Utc.with_ymd_and_hms(2026, 12, 31, 16, 30, 0).unwrap();
        let inv = Invoice::new(
            "AB12345678".parse().unwrap(),
            "0001".parse().unwrap(),
            utc.fixed_offset(),
            "28915188",
            None,
            vec![Item::new("茶", 1, Ntd::new(30)).unwrap()],
        )
        .unwrap();
        assert_eq!(
            inv.issued_on(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(code39_content(&inv), "11602AB123456780001");
    }

    #[test]
    fn bad_invoices_are_refused() {
        let n: InvoiceNumber = "AB12345678".parse().unwrap();
        let r: RandomCode = "1234".parse().unwrap();
        let t = at(2026, 5, 1, 12, 0, 0);
        let tea = || vec![Item::new("茶", 1, Ntd::new(30)).unwrap()];
        let mk = |seller: &str, buyer: Option<&str>, items: Vec<Item>| {
            Invoice::new(n.clone(), r, t, seller, buyer, items)
        };
        assert_eq!(mk("28915188", None, vec![]), Err(InvoiceError::NoItems));
        assert!(matches!(
            mk("2891518", None, tea()),
            Err(InvoiceError::Format(FormatError::Ban(_)))
        ));
        assert!(matches!(
            mk("28915188", Some("1234567a"), tea()),
            Err(InvoiceError::Format(FormatError::Ban(_)))
        ));
        assert_eq!(
            mk("28915188", Some("00000000"), tea()),
            Err(InvoiceError::ZeroBuyerBan)
        );
        assert_eq!(
            mk(
                "28915188",
                None,
                vec![Item::new("折扣", 1, Ntd::new(-30)).unwrap()]
            ),
            Err(InvoiceError::TotalNotPositive)
        );
        assert_eq!(
            mk(
                "28915188",
                None,
                vec![
                    Item::new("金條", 9_999, Ntd::new(10_000)).unwrap(),
                    Item::new("金條", 1, Ntd::new(10_000)).unwrap()
                ]
            ),
            Err(InvoiceError::TotalTooLarge)
        );
        assert_eq!(
            Item::new("  ", 1, Ntd::new(1)),
            Err(InvoiceError::EmptyName)
        );
        assert!(matches!(
            Item::new("茶", 0, Ntd::new(1)),
            Err(InvoiceError::ZeroQuantity(_))
        ));
        assert!(matches!(
            Item::new("茶", u32::MAX, Ntd::new(i64::MAX / 2)),
            Err(InvoiceError::ItemOutOfRange(_))
        ));
    }

    #[test]
    fn test_invoices_are_marked() {
        assert!(!mypay_sample().is_test());
        assert!(mypay_sample().into_test().is_test());
    }

    proptest! {
        #[test]
        fn code39_is_always_19_code39_safe_chars(
            track in "[A-Z]{2}", digits in "[0-9]{8}", random in 0u16..=9999,
            days in 0i64..(80 * 366), total in 1i64..=99_999_999,
        ) {
            let date = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(days);
            let inv = Invoice::new(
                InvoiceNumber::from_parts(&track, &digits).unwrap(),
                RandomCode::from_number(random).unwrap(),
                taipei::start_of_day(date),
                "28915188",
                None,
                vec![Item::new("x", 1, Ntd::new(total)).unwrap()],
            ).unwrap();
            let c = code39_content(&inv);
            prop_assert_eq!(c.len(), 19);
            prop_assert!(c.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
            prop_assert_eq!(c[..5].parse::<Period>().unwrap(), Period::of(date).unwrap());
        }
    }
}
