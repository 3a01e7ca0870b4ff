//! E-invoices: issuing, the MIG XML, proofs and the `till einvoice` commands.
//!
//! One test binary for several files in `tests/`, so a build links this
//! binary once instead of once per file (see `tests/suites/README.md`).

#[path = "../cli_support/mod.rs"]
mod cli_support;

#[path = "../einvoice_cli.rs"]
mod einvoice_cli;

#[path = "../einvoice_issue.rs"]
mod einvoice_issue;

#[path = "../einvoice_mig.rs"]
mod einvoice_mig;

#[path = "../einvoice_proof.rs"]
mod einvoice_proof;

#[path = "../mig_samples.rs"]
mod mig_samples;
