//! E-invoice messages (MIG, 電子發票資料交換標準) for upload to the Ministry
//! of Finance platform through its Turnkey uploader.
//!
//! # Which messages
//!
//! MIG 4.0 replaced the B2C storage messages C0401 / C0501 / C0701 / D0401 /
//! D0501 with the platform-storage messages F0401 / F0501 / F0701 / G0401 /
//! G0501 ("原 C0401/C0501/C0701，已於 MIG-4.0 版升級時，換成
//! F0401/F0501/F0701": ho600-ltd/django-taiwan-einvoice
//! `docs/check_point_and_sop.rst`) \[code\]. No public source shows a
//! `C0401:4.x` namespace that the platform accepted, so `till` writes the
//! MIG 4.1 messages:
//!
//! | what the terminal does | old (3.x) | written here (4.1) | module |
//! | --- | --- | --- | --- |
//! | issue an invoice 開立 | C0401 | F0401 `Invoice` | [`f0401`] |
//! | void it 作廢 | C0501 | F0501 `CancelInvoice` | [`f0501`] |
//! | allowance 折讓 | D0401 | G0401 `Allowance` | [`g0401`] |
//! | void an allowance 作廢折讓 | D0501 | G0501 `CancelAllowance` | [`g0501`] |
//! | unused numbers 空白未使用字軌 | E0402 | E0402 `BranchTrackBlank` | [`e0402`] |
//!
//! # Sources and sureness
//!
//! Marks as in `NOTES.md`: **\[doc\]** official text, **\[code\]** agreed by
//! independent public implementations, **\[2nd\]** a third-party copy,
//! **\[guess\]** unconfirmed. Each module cites what it follows. The main
//! public sources read (facts only, no code copied):
//! - ho600-ltd/django-taiwan-einvoice: `turnkey_web/turnkey_wrapper/models.py`
//!   (message roots, namespaces, Turnkey folders), `docs/C0401_v32_*.xml`
//!   (3.2 examples), `docs/merchant_create_b2c_invoice.rst` (Turnkey
//!   `UpCast/B2CSTORAGE/C0401/SRC`).
//! - Classes generated from the MIG 4.x XSD by `xsd.exe` in a public .NET
//!   Turnkey integration (`ModelCore.Schema.TurnKey.Invoice`): F0401 element
//!   order, optional elements and enumerations.
//! - Public Python and .NET Turnkey integrations that validate against the
//!   F0401/G0401 XSDs before upload, and a test harness that lays files out
//!   as `UpCast/B2SSTORAGE/{F0401,F0501,G0401,G0501}/SRC`.
//!
//! # Checked against the XSDs
//!
//! Public copies of the MIG 4.0 and 4.1 XSDs (`F0401.xsd`, `F0501.xsd`,
//! `G0401.xsd`, `G0501.xsd`, `E0402.xsd`, `GenericType_4.0.xsd`) sit in
//! `../shared/specs/mig-xsd/` (where each came from: its `SOURCES.md`; no
//! copy straight from the Ministry was found). `.ci/run` writes every
//! message `till` can write (`tests/mig_samples.rs`) and validates them
//! against those XSDs with `shared/tools/mig_validate.py`, failing on any
//! error. [`schema::check`] repeats the XSD rules `till` relies on in pure
//! Rust, so a bad message is refused before it is journaled; a test reads
//! the XSDs and checks that its tables agree with them. Before going live,
//! validate a sample of each message against the schemas shipped with the
//! shop's own Turnkey (its `xsd/` folder), which are the authority.

use std::fmt;

use chrono::Timelike as _;

use crate::taipei::{self, TaipeiTime};

pub mod e0402;
pub mod f0401;
pub mod f0501;
pub mod g0401;
pub mod g0501;
pub mod limits;
pub mod schema;
pub mod turnkey;
pub mod xml;

pub use e0402::{BlankRange, BranchTrackBlank};
pub use f0401::InvoiceMessage;
pub use f0501::CancelInvoice;
pub use g0401::{Allowance, AllowanceLine};
pub use g0501::CancelAllowance;

/// The MIG version written into every namespace.
///
/// Not a setting. In the 4.0 and 4.1 XSDs the five messages `till` writes
/// differ only in the namespace; the one change of content (two optional
/// elements in G0401 `Main`) is something `till` does not write. The same
/// bodies are valid under either (`.ci/run` validates every sample in both
/// namespaces), so nothing a shop could choose would change what it
/// reports, and 4.1 is the current version. Should a Turnkey accept only
/// 4.0 namespaces, this constant is the one place to change.
pub const MIG_VERSION: &str = "4.1";

/// Buyer identifier of a consumer (no BAN): ten zeros, not eight
/// (ho600 `GENERAL_CONSUMER_IDENTIFIER = 10 * '0'`; every public F0401 /
/// F0501 sample) \[code\].
pub const CONSUMER_BUYER_ID: &str = "0000000000";

/// The message types `till` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageType {
    F0401,
    F0501,
    G0401,
    G0501,
    E0402,
}

impl MessageType {
    pub const ALL: [MessageType; 5] = [
        MessageType::F0401,
        MessageType::F0501,
        MessageType::G0401,
        MessageType::G0501,
        MessageType::E0402,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MessageType::F0401 => "F0401",
            MessageType::F0501 => "F0501",
            MessageType::G0401 => "G0401",
            MessageType::G0501 => "G0501",
            MessageType::E0402 => "E0402",
        }
    }

    /// `urn:GEINV:eInvoiceMessage:F0401:4.1` \[code\].
    pub fn namespace(self) -> String {
        format!("urn:GEINV:eInvoiceMessage:{}:{MIG_VERSION}", self.code())
    }

    /// The root element's name.
    pub fn root(self) -> &'static str {
        match self {
            MessageType::F0401 => "Invoice",
            MessageType::F0501 => "CancelInvoice",
            MessageType::G0401 => "Allowance",
            MessageType::G0501 => "CancelAllowance",
            MessageType::E0402 => "BranchTrackBlank",
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for MessageType {
    type Err = MigError;
    fn from_str(s: &str) -> Result<MessageType, MigError> {
        MessageType::ALL
            .into_iter()
            .find(|t| t.code() == s)
            .ok_or_else(|| MigError::UnknownMessageType(s.to_string()))
    }
}

/// Why a message cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigError {
    Empty {
        field: &'static str,
    },
    TooLong {
        field: &'static str,
        max: usize,
    },
    Format {
        field: &'static str,
        reason: String,
    },
    BuyerMismatch,
    BeforeIssue {
        what: &'static str,
    },
    TooManyLines {
        max: usize,
    },
    AllowanceLine(String),
    Overflow,
    Parse(String),
    Structure {
        message: MessageType,
        problem: String,
    },
    UnknownMessageType(String),
}
impl crate::locale::Localized for MigError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::Empty { field } => fill(lang, "words.mig.empty", &[("field", field)]),
            Self::TooLong { field, max } => fill(
                lang,
                "words.mig.too_long",
                &[("field", field), ("max", max)],
            ),
            Self::Format { field, reason } => fill(
                lang,
                "words.mig.format",
                &[("field", field), ("reason", reason)],
            ),
            Self::BuyerMismatch => tr(lang, "words.mig.buyer_mismatch"),
            Self::BeforeIssue { what } => fill(lang, "words.mig.before_issue", &[("what", what)]),
            Self::TooManyLines { max } => fill(lang, "words.mig.too_many_lines", &[("max", max)]),
            Self::AllowanceLine(v0) => fill(lang, "words.mig.allowance_line", &[("value", v0)]),
            Self::Overflow => tr(lang, "words.mig.overflow"),
            Self::Parse(v0) => fill(lang, "words.mig.parse", &[("value", v0)]),
            Self::Structure { message, problem } => fill(
                lang,
                "words.mig.structure",
                &[("message", message), ("problem", problem)],
            ),
            Self::UnknownMessageType(v0) => {
                fill(lang, "words.mig.unknown_message_type", &[("value", v0)])
            }
        }
    }
}

crate::display_both!(MigError);

/// The seller as every message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// 8-digit BAN (統一編號).
    pub ban: String,
    /// Registered name; MIG `Name` is 1–60 characters \[code\].
    pub name: String,
}

/// `YYYYMMDD` of a Taipei time (MIG `DateType`) \[code\].
pub(crate) fn mig_date(t: TaipeiTime) -> String {
    t.with_timezone(&taipei::offset())
        .format("%Y%m%d")
        .to_string()
}

/// `HH:MM:SS` of a Taipei time (MIG `TimeType`) \[code\].
pub(crate) fn mig_time(t: TaipeiTime) -> String {
    let t = t.with_timezone(&taipei::offset());
    // Leap seconds would print as :60, which TimeType refuses.
    format!(
        "{:02}:{:02}:{:02}",
        t.hour(),
        t.minute(),
        t.second().min(59)
    )
}

pub(crate) fn check_text(field: &'static str, s: &str, max: usize) -> Result<(), MigError> {
    if s.trim().is_empty() {
        return Err(MigError::Empty { field });
    }
    if s.chars().count() > max {
        return Err(MigError::TooLong { field, max });
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(MigError::Format {
            field,
            reason: "含控制字元 / contains control characters".into(),
        });
    }
    Ok(())
}

pub(crate) fn check_ban(field: &'static str, s: &str) -> Result<(), MigError> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(MigError::Format {
            field,
            reason: "應為 8 位數字 / must be 8 digits".into(),
        })
    }
}

impl Seller {
    pub(crate) fn check(&self) -> Result<(), MigError> {
        check_ban("Seller/Identifier", &self.ban)?;
        check_text("Seller/Name", &self.name, limits::NAME_MAX)
    }
}
