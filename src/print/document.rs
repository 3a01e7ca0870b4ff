//! The names `print::document::…` had before the slips moved to
//! [`super::slips`] and the model to [`super::model`]; kept so callers
//! written against them still build. New code names `print::model` and
//! `print::slips` (or the re-exports in `print`).

pub use super::model::*;
pub use super::slips::{ProofData, ReceiptData, ReceiptItem, proof_document, receipt_document};
