//! The GUI, driven headlessly through iced_test (and the demo's books,
//! kept with the GUI that writes them): the only test binary that links
//! the toolkit's widgets.
//!
//! One test binary for several files in `tests/`, so a build links this
//! binary once instead of once per file (see `tests/suites/README.md`).

#[path = "../cli_support/mod.rs"]
mod cli_support;

#[path = "../gui_support/mod.rs"]
mod gui_support;

#[path = "../layout_support/mod.rs"]
mod layout_support;

#[path = "../snapshot_support/mod.rs"]
mod snapshot_support;

#[path = "../demo_books.rs"]
mod demo_books;

#[path = "../gui.rs"]
mod gui;

#[path = "../gui_cancel.rs"]
mod gui_cancel;

#[path = "../gui_counter.rs"]
mod gui_counter;

#[path = "../gui_customer.rs"]
mod gui_customer;

#[path = "../gui_einvoice.rs"]
mod gui_einvoice;

#[path = "../gui_layout.rs"]
mod gui_layout;

#[path = "../gui_mypay_invoice.rs"]
mod gui_mypay_invoice;

#[path = "../gui_payments.rs"]
mod gui_payments;

#[path = "../gui_printing.rs"]
mod gui_printing;

#[path = "../gui_refund.rs"]
mod gui_refund;

#[path = "../gui_scanner.rs"]
mod gui_scanner;

#[path = "../gui_screen.rs"]
mod gui_screen;

#[path = "../gui_settings.rs"]
mod gui_settings;

#[path = "../gui_snapshots.rs"]
mod gui_snapshots;
