//! Taiwan e-invoice (電子發票): what the proof (電子發票證明聯) carries.
//!
//! Pure: no I/O and no clock. Dates arrive as Taipei times from
//! [`crate::taipei`]. Facts come from `NOTES.md` §5 and the vendor documents
//! in `/work/shared/specs`; each is cited where it is used.
//!
//! - [`number`]: invoice number (字軌 + 8 digits) and random code.
//! - [`period`]: two-month periods (期別) and ROC dates.
//! - [`invoice`]: the issued invoice and its Code 39 content.
//! - [`mypay`]: invoices MyPay issues, checked before printing.
//! - [`qr`]: left/right QR contents, the AES verification field, reading a
//!   left code back.
//! - [`refund`]: void or allowance for a refunded sale.
//! - `buyer`: carriers, donation codes, buyer BAN (written separately).

use chrono::NaiveDate;

pub mod buyer;
pub mod invoice;
pub mod mig;
pub mod mypay;
pub mod number;
pub mod period;
pub mod qr;
pub mod refund;

pub use invoice::{Invoice, InvoiceError, Item, code39_content};
pub use number::{InvoiceNumber, RandomCode};
pub use period::Period;
pub use qr::{LeftQrHeader, QrPair, parse_left_qr};
pub use refund::{CrossPeriodVoid, Treatment, refund_treatment};

/// A value that does not have the shape the e-invoice formats require.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    InvoiceNumber(String),
    RandomCode(String),
    Ban(String),
    Period(String),
    RocDate(String),
    OutOfRocRange(NaiveDate),
}
impl crate::locale::Localized for FormatError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::InvoiceNumber(v0) => fill(
                lang,
                "words.einvoice_format.invoice_number",
                &[("value", v0)],
            ),
            Self::RandomCode(v0) => {
                fill(lang, "words.einvoice_format.random_code", &[("value", v0)])
            }
            Self::Ban(v0) => fill(lang, "words.einvoice_format.ban", &[("value", v0)]),
            Self::Period(v0) => fill(lang, "words.einvoice_format.period", &[("value", v0)]),
            Self::RocDate(v0) => fill(lang, "words.einvoice_format.roc_date", &[("value", v0)]),
            Self::OutOfRocRange(v0) => fill(
                lang,
                "words.einvoice_format.out_of_roc_range",
                &[("value", v0)],
            ),
        }
    }
}

crate::display_both!(FormatError);
