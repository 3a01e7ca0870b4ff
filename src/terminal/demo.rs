//! Demo mode's gateways: the built-in simulators on loopback, started
//! for the till (on its own books when the demo runs on a journal file).

use std::path::Path;

pub use crate::sim::SimHandles;
use crate::sim::Simulators;

/// Start the four simulators; with `books`, on those shared books.
pub async fn start_simulators(books: Option<&Path>) -> std::io::Result<SimHandles> {
    match books {
        Some(path) => Simulators::start_demo(path).await,
        None => Simulators::start_all().await,
    }
}
