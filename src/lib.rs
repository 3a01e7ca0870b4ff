//! `till`: an in-store point-of-sale terminal for Taiwanese shops.
//!
//! Layers, arrows pointing down only:
//!
//! ```text
//! ui, cli ─▶ terminal ─▶ config ─▶ { gateway, journal, print, device } ─▶ { sale, money, barcode, einvoice }
//! ```
//!
//! The pure domain (`money`, `sale`, `barcode`, `einvoice`, gateway wire
//! formats and signing) does no I/O and knows no UI.

pub mod barcode;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod device;
pub mod einvoice;
pub mod gateway;
pub mod journal;
pub mod locale;
pub mod logging;
pub mod money;
pub mod paths;
pub mod print;
pub mod sale;
pub mod secret;
pub mod sim;
pub mod taipei;
pub mod terminal;
#[cfg(feature = "gui")]
pub mod ui;

pub use money::Ntd;
