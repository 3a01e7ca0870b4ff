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
    #[error(
        "發票號碼「{0}」格式錯誤,應為 2 個大寫英文字母加 8 位數字 / \
         invoice number \"{0}\" must be 2 capital letters and 8 digits"
    )]
    InvoiceNumber(String),
    #[error("隨機碼「{0}」應為 4 位數字 / random code \"{0}\" must be 4 digits")]
    RandomCode(String),
    #[error("統一編號「{0}」應為 8 位數字 / business number \"{0}\" must be 8 digits")]
    Ban(String),
    #[error(
        "期別「{0}」格式錯誤,應為民國年 3 碼加雙數月 2 碼 / \
         period \"{0}\" must be a 3-digit ROC year and an even month"
    )]
    Period(String),
    #[error("民國日期「{0}」格式錯誤 (YYYMMDD) / ROC date \"{0}\" is not a YYYMMDD date")]
    RocDate(String),
    #[error("日期 {0} 超出民國 1–999 年 / date {0} is outside ROC years 1–999")]
    OutOfRocRange(NaiveDate),
}
