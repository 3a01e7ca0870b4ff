//! Printing: a document model, printer profiles as data, an ESC/POS
//! encoder, and an ESC/POS emulator that renders bytes to PNG for previews
//! and tests.
//!
//! ```text
//! Document ──encode(profile)──▶ bytes ──▶ printer
//!                                 └──render(profile)──▶ PNG + report
//! ```

pub mod bitmap;
pub mod document;
pub mod emulator;
pub mod escpos;
pub mod font;
pub mod profile;
pub mod samples;
pub mod slips;
pub mod symbols;

pub use bitmap::Bitmap;
pub use document::{
    Align, Block, Document, Ecc, ProofData, ReceiptData, ReceiptItem, Style, Symbology,
    proof_document, receipt_document,
};
pub use emulator::{CutKind, DrawerPulse, RenderReport, Rendered, render, render_capped};
pub use escpos::{EncodeError, encode};
pub use profile::{Chinese, Cutter, FontMetrics, Profile, ProfileError, RasterCommand};
pub use slips::{
    DetailItem, DetailSlipData, PayLaterKind, PayLaterSlipData, PayPageSlipData, RefundInvoiceLine,
    RefundSlipData, detail_slip_document, pay_later_slip_document, paypage_slip_document,
    refund_slip_document,
};
