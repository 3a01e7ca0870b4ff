//! The identifiers printed on every proof: the invoice number (字軌 + 8
//! digits) and the 4-digit random code (隨機碼).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::FormatError;

/// An invoice number: a 2-letter track (字軌, upper-case A–Z) and 8 digits,
/// e.g. `AB12345678`. Shown as `AB-12345678` on the proof (NOTES.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvoiceNumber(String);

impl InvoiceNumber {
    /// From the two parts gateways send separately (MyPay
    /// `invoice_wordtrack` + `invoice_number`).
    pub fn from_parts(track: &str, digits: &str) -> Result<InvoiceNumber, FormatError> {
        format!("{track}{digits}").parse()
    }

    /// The 2-letter track (字軌).
    pub fn track(&self) -> &str {
        &self.0[..2]
    }

    /// The 8 digits after the track.
    pub fn digits(&self) -> &str {
        &self.0[2..]
    }

    /// `AB-12345678`: how the number is printed on the proof.
    pub fn dashed(&self) -> String {
        format!("{}-{}", self.track(), self.digits())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for InvoiceNumber {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<InvoiceNumber, FormatError> {
        let b = s.as_bytes();
        let ok = b.len() == 10
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(InvoiceNumber(s.to_string()))
        } else {
            Err(FormatError::InvoiceNumber(s.to_string()))
        }
    }
}

impl TryFrom<String> for InvoiceNumber {
    type Error = FormatError;
    fn try_from(s: String) -> Result<InvoiceNumber, FormatError> {
        s.parse()
    }
}

impl From<InvoiceNumber> for String {
    fn from(n: InvoiceNumber) -> String {
        n.0
    }
}

impl fmt::Display for InvoiceNumber {
    /// The bare 10 characters, as in barcodes and QR codes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 4-digit random code (隨機碼) printed beside the total; leading zeros
/// count (`0042`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RandomCode([u8; 4]);

impl RandomCode {
    /// From a number 0..=9999, zero-padded (what a random draw produces).
    pub fn from_number(n: u16) -> Result<RandomCode, FormatError> {
        if n > 9999 {
            return Err(FormatError::RandomCode(n.to_string()));
        }
        format!("{n:04}").parse()
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }
}

impl FromStr for RandomCode {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<RandomCode, FormatError> {
        match <[u8; 4]>::try_from(s.as_bytes()) {
            Ok(b) if b.iter().all(u8::is_ascii_digit) => Ok(RandomCode(b)),
            _ => Err(FormatError::RandomCode(s.to_string())),
        }
    }
}

impl TryFrom<String> for RandomCode {
    type Error = FormatError;
    fn try_from(s: String) -> Result<RandomCode, FormatError> {
        s.parse()
    }
}

impl From<RandomCode> for String {
    fn from(r: RandomCode) -> String {
        r.as_str().to_string()
    }
}

impl fmt::Display for RandomCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_number_parses_and_prints_dashed() {
        let n: InvoiceNumber = "AB12345678".parse().unwrap();
        assert_eq!(n.to_string(), "AB12345678");
        assert_eq!(n.dashed(), "AB-12345678");
        assert_eq!(n.track(), "AB");
        assert_eq!(n.digits(), "12345678");
        assert_eq!(
            InvoiceNumber::from_parts("SW", "83037076")
                .unwrap()
                .as_str(),
            "SW83037076"
        );
    }

    #[test]
    fn malformed_invoice_numbers_are_refused() {
        for bad in [
            "",
            "ab12345678",
            "AB1234567",
            "AB123456789",
            "A112345678",
            "AB1234567X",
            "AB-12345678",
            "ＡB12345678",
        ] {
            assert!(bad.parse::<InvoiceNumber>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn random_code_keeps_leading_zeros() {
        assert_eq!(RandomCode::from_number(42).unwrap().as_str(), "0042");
        assert_eq!("8373".parse::<RandomCode>().unwrap().to_string(), "8373");
        assert!(RandomCode::from_number(10_000).is_err());
        for bad in ["", "123", "12345", "12a4", "١٢٣٤"] {
            assert!(bad.parse::<RandomCode>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn serde_refuses_malformed_values() {
        let ok: InvoiceNumber = serde_json::from_str("\"SW83037076\"").unwrap();
        assert_eq!(ok.as_str(), "SW83037076");
        assert!(serde_json::from_str::<InvoiceNumber>("\"sw83037076\"").is_err());
        assert!(serde_json::from_str::<RandomCode>("\"83a3\"").is_err());
    }
}
