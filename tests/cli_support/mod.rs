//! Running the `till` binary from a test.

use std::process::Command;

/// The binary words its errors in the language of the user's locale
/// (`LC_ALL`, `LC_MESSAGES`, `LANG`). The tests read its output as a
/// machine without a locale gets it (both languages), whatever the locale
/// of whoever runs `cargo test`; a test about the language sets it again.
pub fn plain_locale(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
}
