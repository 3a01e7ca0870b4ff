//! Printing: a document model, every slip's layout, printer profiles as
//! data, an ESC/POS encoder, and an ESC/POS emulator that renders bytes to
//! PNG for previews and tests.
//!
//! ```text
//! plain data ──slips::*──▶ Document ──encode(profile)──▶ bytes ──▶ printer
//!                                                          └──render(profile)──▶ PNG + report
//! ```

pub mod bitmap;
pub mod document;
pub mod emulator;
pub mod escpos;
pub mod font;
pub mod model;
pub mod profile;
pub mod slips;
pub mod symbols;

pub use slips::samples;

pub use bitmap::Bitmap;
pub use emulator::{
    CutKind, DrawerPulse, Layout, RenderReport, Rendered, layout_capped, render, render_capped,
};
pub use escpos::{EncodeError, encode};
pub use model::{Align, Block, Document, Ecc, Style, Symbology};
pub use profile::{Chinese, Cutter, FontMetrics, Profile, ProfileError, RasterCommand};
pub use slips::{
    DetailItem, DetailSlipData, PayLaterKind, PayLaterSlipData, PayPageSlipData, ProofData,
    ReceiptData, ReceiptItem, RefundInvoiceLine, RefundSlipData, detail_slip_document,
    pay_later_slip_document, paypage_slip_document, proof_document, receipt_document,
    refund_slip_document,
};
