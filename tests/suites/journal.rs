//! The journal: durability under kills and power cuts, a full disk,
//! tampering; and the edges of the money core it records.
//!
//! One test binary for several files in `tests/`, so a build links this
//! binary once instead of once per file (see `tests/suites/README.md`).

#[path = "../cli_support/mod.rs"]
mod cli_support;

#[path = "../pay_support/mod.rs"]
mod pay_support;

#[path = "../power_cut/mod.rs"]
mod power_cut;

#[path = "../journal_durability.rs"]
mod journal_durability;

#[path = "../journal_full_disk.rs"]
mod journal_full_disk;

#[path = "../journal_power_cut.rs"]
mod journal_power_cut;

#[path = "../journal_tamper.rs"]
mod journal_tamper;

#[path = "../money_core_edges.rs"]
mod money_core_edges;
