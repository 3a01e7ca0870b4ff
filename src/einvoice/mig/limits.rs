//! The size limits a message writer enforces and [`super::schema`] checks
//! again. They live here, apart from both, so that the message modules
//! (which run `schema::check`) and the schema tables (which need their
//! limits) depend on this module instead of on each other.

/// Longest name of a seller or buyer (`Name`, `RoleDescriptionType`: 1–60
/// characters) \[code\].
pub const NAME_MAX: usize = 60;

/// Longest item description (`Description` / G0401 `OriginalDescription`:
/// `maxLength` 500 in F0401.xsd and G0401.xsd, characters not bytes).
pub const DESCRIPTION_MAX: usize = 500;

/// Most item lines one F0401 carries (3-digit `SequenceNumber`) \[guess:
/// the XSD allows up to 9999 lines; 999 keeps the sequence 3 digits wide as
/// every sample has it\].
pub const INVOICE_MAX_LINES: usize = 999;

/// Most lines one G0401 allowance carries, as for an invoice.
pub const ALLOWANCE_MAX_LINES: usize = 999;

/// Longest allowance number (`AllowanceNumber`, `CancelAllowanceNumber`).
pub const ALLOWANCE_NUMBER_MAX: usize = 16;

/// Longest `CancelReason` of F0501 and G0501.
pub const CANCEL_REASON_MAX: usize = 20;

/// Most `BranchTrackBlankItem`s in one E0402 (E0402.xsd `maxOccurs`).
pub const MAX_RANGES: usize = 10_000;
