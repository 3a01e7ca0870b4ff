//! A serial scanner on a real pseudo-terminal reaches the till's screens
//! through the GUI's scanner subscription stream.
#![cfg(unix)]

use crate::gui_support::Driver;
use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::mpsc;
use std::time::Duration;

use iced::futures::StreamExt;
use till::catalogue::Catalogue;
use till::config::Config;
use till::device::scanner::ScannerEvent;
use till::journal::Journal;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::Message;

fn openpty() -> (File, OwnedFd, String) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two fds; null name/termios/winsize are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    let path = std::fs::read_link(format!("/proc/self/fd/{slave}")).expect("slave path");
    // SAFETY: both fds were just opened by openpty and are owned here.
    unsafe {
        (
            File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
            path.display().to_string(),
        )
    }
}

#[test]
fn a_serial_scan_arrives_through_the_subscription_and_rings_up_the_product() {
    let (mut master, _slave, path) = openpty();
    let mut config = Config::demo();
    config.scanner.kind = "serial".into();
    config.scanner.device = path;
    config.scanner.terminator = "cr".into();

    // Pull events off the GUI's stream on a helper thread so the test can
    // wait with a bound.
    let (tx, rx) = mpsc::channel();
    let scanner = config.scanner.clone();
    std::thread::spawn(move || {
        let mut events = till::ui::scanner::events(&scanner);
        while let Some(e) = iced::futures::executor::block_on(events.next()) {
            if tx.send(e).is_err() {
                break;
            }
        }
    });
    let next = || {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("a scanner event")
    };

    let connected = next();
    assert!(
        matches!(connected, ScannerEvent::Connected(_)),
        "{connected:?}"
    );
    master.write_all(b"4710000000011\r").unwrap();
    let scan = next();
    let ScannerEvent::Scan(s) = &scan else {
        panic!("expected a scan, got {scan:?}");
    };
    assert_eq!(s.text, "4710000000011");

    let terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    let mut app = Driver::new(&config, terminal, Catalogue::demo());
    // At the sign-in screen a scan is dropped, never PIN digits.
    app.update(Message::Scanner(scan.clone()));
    assert!(app.cart().is_empty());
    let (name, _, pin) = DEMO_USERS[0];
    app.update(Message::SignIn(till::ui::screen::sign_in::Message::Pick(
        name.into(),
    )));
    for d in pin.chars() {
        app.update(Message::SignIn(till::ui::screen::sign_in::Message::Digit(
            d,
        )));
    }
    app.update(Message::SignIn(till::ui::screen::sign_in::Message::Submit));
    assert_eq!(app.screen_name(), "sale");
    app.update(Message::Scanner(scan));
    assert_eq!(app.cart().units(), 1);
    assert_eq!(app.cart().lines()[0].name, "美式咖啡 Americano");
}
