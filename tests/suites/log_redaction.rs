//! What the till logs, searched for secrets. A binary of its own: one
//! test installs a process-wide log subscriber, which would collect (and
//! be disturbed by) every other test's logging in a shared process, and
//! only one such subscriber can be installed per process.
//!
//! One test binary for several files in `tests/`, so a build links this
//! binary once instead of once per file (see `tests/suites/README.md`).

#[path = "../cli_support/mod.rs"]
mod cli_support;

#[path = "../log_redaction.rs"]
mod log_redaction;
