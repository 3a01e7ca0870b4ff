//! Numbers that name a sale and each attempt to charge or refund it.
//!
//! One number must be valid at every gateway at once, so it satisfies the
//! tightest rule of each: ECPay `MerchantTradeNo` ≤ 20 letters and digits,
//! the aggregator's `mch_order_id` ≤ 32, MyPay `order_id` ≤ 50 bytes and
//! unique per attempt, JKoPay `MerchantTradeNo` ≤ 60 and new after a Cancel.
//!
//! Layout (upper-case ASCII letters and digits only):
//!
//! ```text
//! sale number    T01  261122  00042            terminal id, Taipei date yymmdd, daily sequence
//! trade number   T01  261122  00042  P  01     + P (payment) / R (refund), attempt 01..99
//! receipt code   TL   T01261122 00042          printed as Code 128 on the receipt
//! ```
//!
//! Uniqueness across terminals comes from the terminal id, across days from
//! the date, and across restarts from the journal, which hands out the daily
//! sequence in the same transaction that records the sale.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// ECPay's `MerchantTradeNo` limit, the tightest of the four gateways.
pub const MAX_TRADE_NO_LEN: usize = 20;
/// Most sales one terminal can ring up in one day.
pub const MAX_DAILY_SEQ: u32 = 99_999;
/// Most payment (or refund) attempts on one sale.
pub const MAX_ATTEMPT: u8 = 99;

/// Prefix of `till`'s own receipt lookup code.
pub const RECEIPT_PREFIX: &str = "TL";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TradeNoError {
    BadTerminalId(String),
    Malformed(String),
    SequenceExhausted,
    AttemptsExhausted,
}
impl crate::locale::Localized for TradeNoError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::BadTerminalId(v0) => {
                fill(lang, "words.trade_no.bad_terminal_id", &[("value", v0)])
            }
            Self::Malformed(v0) => fill(lang, "words.trade_no.malformed", &[("value", v0)]),
            Self::SequenceExhausted => fill(
                lang,
                "words.trade_no.sequence_exhausted",
                &[("max_daily_seq", &MAX_DAILY_SEQ)],
            ),
            Self::AttemptsExhausted => fill(
                lang,
                "words.trade_no.attempts_exhausted",
                &[("max_attempt", &MAX_ATTEMPT)],
            ),
        }
    }
}

crate::display_both!(TradeNoError);

/// The short id of one checkout terminal, unique within a store's merchant
/// account (two tills sharing one is a configuration error that `till config
/// check` reports).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TerminalId(String);

impl TerminalId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TerminalId {
    type Err = TradeNoError;
    fn from_str(s: &str) -> Result<TerminalId, TradeNoError> {
        let ok = (2..=4).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            // Starting with a letter keeps sale numbers from looking like
            // EANs or wallet codes (all digits) to the barcode classifier.
            && s.as_bytes()[0].is_ascii_uppercase();
        if ok {
            Ok(TerminalId(s.to_string()))
        } else {
            Err(TradeNoError::BadTerminalId(s.to_string()))
        }
    }
}

impl TryFrom<String> for TerminalId {
    type Error = TradeNoError;
    fn try_from(s: String) -> Result<TerminalId, TradeNoError> {
        s.parse()
    }
}

impl From<TerminalId> for String {
    fn from(t: TerminalId) -> String {
        t.0
    }
}

impl fmt::Display for TerminalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The number of one sale.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SaleNo {
    terminal: TerminalId,
    date: NaiveDate,
    seq: u32,
}

impl SaleNo {
    /// `date` is the Taipei business date; `seq` the journal's daily counter (1-based).
    pub fn new(terminal: TerminalId, date: NaiveDate, seq: u32) -> Result<SaleNo, TradeNoError> {
        if seq == 0 || seq > MAX_DAILY_SEQ {
            return Err(TradeNoError::SequenceExhausted);
        }
        if !(2000..2100).contains(&date.year()) {
            return Err(TradeNoError::Malformed(format!("{date}")));
        }
        Ok(SaleNo {
            terminal,
            date,
            seq,
        })
    }

    pub fn terminal(&self) -> &TerminalId {
        &self.terminal
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// The trade number of payment or refund attempt `n` (1-based).
    pub fn attempt(&self, kind: AttemptKind, n: u8) -> Result<TradeNo, TradeNoError> {
        if n == 0 || n > MAX_ATTEMPT {
            return Err(TradeNoError::AttemptsExhausted);
        }
        Ok(TradeNo {
            sale: self.clone(),
            kind,
            n,
        })
    }

    pub fn receipt_code(&self) -> ReceiptCode {
        ReceiptCode(self.clone())
    }
}

impl fmt::Display for SaleNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:02}{:02}{:02}{:05}",
            self.terminal,
            self.date.year() % 100,
            self.date.month(),
            self.date.day(),
            self.seq
        )
    }
}

impl FromStr for SaleNo {
    type Err = TradeNoError;
    fn from_str(s: &str) -> Result<SaleNo, TradeNoError> {
        let bad = || TradeNoError::Malformed(s.to_string());
        // 11 fixed digits after a 2–4 character terminal id.
        if !s.is_ascii() || s.len() < 13 || s.len() > 15 {
            return Err(bad());
        }
        let (term, rest) = s.split_at(s.len() - 11);
        let terminal: TerminalId = term.parse().map_err(|_| bad())?;
        if !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| rest[r].parse::<u32>().map_err(|_| bad());
        let date = NaiveDate::from_ymd_opt(2000 + num(0..2)? as i32, num(2..4)?, num(4..6)?)
            .ok_or_else(bad)?;
        SaleNo::new(terminal, date, num(6..11)?).map_err(|_| bad())
    }
}

impl TryFrom<String> for SaleNo {
    type Error = TradeNoError;
    fn try_from(s: String) -> Result<SaleNo, TradeNoError> {
        s.parse()
    }
}

impl From<SaleNo> for String {
    fn from(s: SaleNo) -> String {
        s.to_string()
    }
}

/// What an attempt does with the sale's money. `payment` / `refund` in
/// JSON, as the journal spells it; the capitalised names earlier builds
/// printed still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptKind {
    #[serde(alias = "Payment")]
    Payment,
    #[serde(alias = "Refund")]
    Refund,
}

impl AttemptKind {
    fn letter(self) -> char {
        match self {
            AttemptKind::Payment => 'P',
            AttemptKind::Refund => 'R',
        }
    }
}

/// The merchant-side number of one payment or refund attempt, sent as
/// JKoPay/ECPay `MerchantTradeNo`, MyPay `order_id` and the aggregator's
/// `mch_order_id`. A Cancel reuses its payment's number (JKoPay's rule); a
/// new attempt after a cancel gets the next `n`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TradeNo {
    sale: SaleNo,
    kind: AttemptKind,
    n: u8,
}

impl TradeNo {
    pub fn sale(&self) -> &SaleNo {
        &self.sale
    }

    pub fn kind(&self) -> AttemptKind {
        self.kind
    }

    pub fn attempt(&self) -> u8 {
        self.n
    }

    /// The next attempt of the same kind on the same sale.
    pub fn next(&self) -> Result<TradeNo, TradeNoError> {
        self.sale.attempt(self.kind, self.n.saturating_add(1))
    }
}

impl fmt::Display for TradeNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{:02}", self.sale, self.kind.letter(), self.n)
    }
}

impl FromStr for TradeNo {
    type Err = TradeNoError;
    fn from_str(s: &str) -> Result<TradeNo, TradeNoError> {
        let bad = || TradeNoError::Malformed(s.to_string());
        if !s.is_ascii() || s.len() < 16 {
            return Err(bad());
        }
        let (head, tail) = s.split_at(s.len() - 3);
        let kind = match tail.as_bytes()[0] {
            b'P' => AttemptKind::Payment,
            b'R' => AttemptKind::Refund,
            _ => return Err(bad()),
        };
        let n: u8 = tail[1..].parse().map_err(|_| bad())?;
        if !tail[1..].bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let sale: SaleNo = head.parse().map_err(|_| bad())?;
        sale.attempt(kind, n).map_err(|_| bad())
    }
}

impl TryFrom<String> for TradeNo {
    type Error = TradeNoError;
    fn try_from(s: String) -> Result<TradeNo, TradeNoError> {
        s.parse()
    }
}

impl From<TradeNo> for String {
    fn from(t: TradeNo) -> String {
        t.to_string()
    }
}

/// Whether a string is acceptable to all four gateways as a merchant trade
/// number. Used on numbers `till` makes and on any typed in by hand.
pub fn valid_for_every_gateway(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_TRADE_NO_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The code printed on every receipt as a Code 128 barcode so that a refund
/// or reprint starts with one scan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceiptCode(SaleNo);

impl ReceiptCode {
    pub fn sale(&self) -> &SaleNo {
        &self.0
    }
}

impl fmt::Display for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{RECEIPT_PREFIX}{}", self.0)
    }
}

impl FromStr for ReceiptCode {
    type Err = TradeNoError;
    fn from_str(s: &str) -> Result<ReceiptCode, TradeNoError> {
        s.strip_prefix(RECEIPT_PREFIX)
            .ok_or_else(|| TradeNoError::Malformed(s.to_string()))?
            .parse()
            .map(ReceiptCode)
            .map_err(|_| TradeNoError::Malformed(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t01() -> TerminalId {
        "T01".parse().unwrap()
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn layout_is_as_documented() {
        let sale = SaleNo::new(t01(), day(), 42).unwrap();
        assert_eq!(sale.to_string(), "T0126112200042");
        let pay = sale.attempt(AttemptKind::Payment, 1).unwrap();
        assert_eq!(pay.to_string(), "T0126112200042P01");
        assert_eq!(pay.next().unwrap().to_string(), "T0126112200042P02");
        let refund = sale.attempt(AttemptKind::Refund, 3).unwrap();
        assert_eq!(refund.to_string(), "T0126112200042R03");
        assert_eq!(sale.receipt_code().to_string(), "TLT0126112200042");
    }

    #[test]
    fn terminal_ids_are_checked() {
        for bad in ["", "T", "TOOLONG", "t01", "T-1", "01", "台北"] {
            assert!(
                bad.parse::<TerminalId>().is_err(),
                "{bad:?} should be refused"
            );
        }
        for good in ["T1", "A01", "POS9"] {
            assert!(good.parse::<TerminalId>().is_ok());
        }
    }

    #[test]
    fn limits_are_errors() {
        assert_eq!(
            SaleNo::new(t01(), day(), MAX_DAILY_SEQ + 1),
            Err(TradeNoError::SequenceExhausted)
        );
        let sale = SaleNo::new(t01(), day(), 1).unwrap();
        assert_eq!(
            sale.attempt(AttemptKind::Payment, 100),
            Err(TradeNoError::AttemptsExhausted)
        );
        let last = sale.attempt(AttemptKind::Payment, 99).unwrap();
        assert_eq!(last.next(), Err(TradeNoError::AttemptsExhausted));
    }

    #[test]
    fn garbage_does_not_parse() {
        for bad in [
            "",
            "T0126112200042",
            "T0126112200042X01",
            "T0126133200042P01",
            "T0126112200000P01",
            "T0126112200042P00",
            "T01261122000４2P01",
            "TLX",
        ] {
            assert!(bad.parse::<TradeNo>().is_err(), "{bad:?}");
        }
        assert!("T0126112200042".parse::<ReceiptCode>().is_err());
    }

    proptest! {
        #[test]
        fn every_number_is_valid_everywhere_and_round_trips(
            term in "[A-Z][A-Z0-9]{1,3}",
            days in 0i64..36500,
            seq in 1u32..=MAX_DAILY_SEQ,
            n in 1u8..=MAX_ATTEMPT,
            refund in any::<bool>(),
        ) {
            let date = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let sale = SaleNo::new(term.parse().unwrap(), date, seq).unwrap();
            let kind = if refund { AttemptKind::Refund } else { AttemptKind::Payment };
            let trade = sale.attempt(kind, n).unwrap();
            let s = trade.to_string();
            prop_assert!(valid_for_every_gateway(&s), "{}", s);
            prop_assert_eq!(s.parse::<TradeNo>().unwrap(), trade.clone());
            prop_assert_eq!(sale.to_string().parse::<SaleNo>().unwrap(), sale.clone());
            let code = sale.receipt_code().to_string();
            prop_assert!(code.len() <= 17);
            let parsed = code.parse::<ReceiptCode>().unwrap();
            prop_assert_eq!(parsed.sale(), &sale);
        }

        #[test]
        fn different_inputs_never_collide(
            a in ("[A-Z][A-Z0-9]{1,3}", 0u64..3650, 1u32..=MAX_DAILY_SEQ, 1u8..=MAX_ATTEMPT),
            b in ("[A-Z][A-Z0-9]{1,3}", 0u64..3650, 1u32..=MAX_DAILY_SEQ, 1u8..=MAX_ATTEMPT),
        ) {
            let make = |(t, d, s, n): &(String, u64, u32, u8)| {
                let date = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(*d);
                SaleNo::new(t.parse().unwrap(), date, *s).unwrap()
                    .attempt(AttemptKind::Payment, *n).unwrap()
            };
            if a != b {
                prop_assert_ne!(make(&a).to_string(), make(&b).to_string());
            }
        }
    }
}
