//! Serial and USB HID scanners reach the GUI through an iced subscription:
//! the scanner hub reads the devices on its own threads (they block), and a
//! forwarding thread hands each event to the GUI's async stream. Keyboard
//! wedge scanners need none of this: their keys arrive as key presses.

use std::time::Duration;

use iced::Subscription;
use iced::futures::channel::mpsc;
use iced::futures::{SinkExt, Stream, StreamExt};

use crate::config;
use crate::terminal::devices::{ScannerEvent, ScannerHub};

/// The configured scanner's events, or nothing for a keyboard wedge.
pub fn subscription(scanner: &config::Scanner) -> Subscription<ScannerEvent> {
    if scanner.kind == "wedge" {
        return Subscription::none();
    }
    Subscription::run_with(scanner.clone(), events)
}

/// The stream of events from the scanner `config` describes. A device that
/// cannot be opened shows up as `Disconnected` and is retried by the hub.
pub fn events(config: &config::Scanner) -> impl Stream<Item = ScannerEvent> + use<> {
    let config = config.clone();
    let (mut tx, rx) = mpsc::channel(64);
    std::thread::Builder::new()
        .name("till-scanner-forward".into())
        .spawn(move || {
            let hub = match ScannerHub::from_config(&config) {
                Ok(hub) => hub,
                Err(e) => {
                    tracing::error!("scanner not started: {e}");
                    return;
                }
            };
            loop {
                if let Some(event) = hub.recv_timeout(Duration::from_millis(500)) {
                    // The GUI is gone when the channel closes: stop reading.
                    if iced::futures::executor::block_on(tx.send(event)).is_err() {
                        break;
                    }
                } else if tx.is_closed() {
                    break;
                }
            }
            hub.stop();
        })
        .expect("a thread can be started");
    rx.boxed()
}
