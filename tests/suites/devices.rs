//! Printers and scanners: the ESC/POS encoder and emulator, slips
//! rendered against the goldens, transports, print jobs, `till printer`,
//! and every kind of scanner.
//!
//! One test binary for several files in `tests/`, so a build links this
//! binary once instead of once per file (see `tests/suites/README.md`).

#[path = "../cli_support/mod.rs"]
mod cli_support;

#[path = "../print_emulator.rs"]
mod print_emulator;

#[path = "../print_encoder.rs"]
mod print_encoder;

#[path = "../print_render.rs"]
mod print_render;

#[path = "../printer_cli.rs"]
mod printer_cli;

#[path = "../printer_jobs.rs"]
mod printer_jobs;

#[path = "../printer_transport.rs"]
mod printer_transport;

#[path = "../scanner_hid.rs"]
mod scanner_hid;

#[path = "../scanner_serial.rs"]
mod scanner_serial;

#[path = "../scanner_udev.rs"]
mod scanner_udev;

#[path = "../scanner_wedge.rs"]
mod scanner_wedge;
