//! Serial scanners through a real pseudo-terminal: the test holds the
//! master side (the "scanner"), `till` opens the slave side by a path that
//! is a symlink in a temp dir, as a udev rule makes `/dev/till-scanner`.
//! Unplugging is closing the master; plugging back is a new pty and the
//! symlink re-pointed to it.
#![cfg(unix)]

use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use till::device::scanner::serial::{SerialConfig, Terminator};
use till::device::scanner::{Backoff, Framing, ScanSource, ScannerEvent, ScannerHub};

/// One end of a scanner cable.
struct Pty {
    master: File,
    /// Kept open so the slave stays configured while `till` reopens it.
    _slave: OwnedFd,
    path: PathBuf,
}

fn openpty() -> Pty {
    let mut master = -1;
    let mut slave = -1;
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
    let path = std::fs::read_link(format!("/proc/self/fd/{slave}"))
        .or_else(|_| slave_name(slave))
        .expect("slave pty path");
    // SAFETY: both fds were just opened by openpty and are owned here.
    unsafe {
        Pty {
            master: File::from_raw_fd(master),
            _slave: OwnedFd::from_raw_fd(slave),
            path,
        }
    }
}

fn slave_name(fd: i32) -> std::io::Result<PathBuf> {
    let mut buf = [0 as libc::c_char; 128];
    // SAFETY: buf is writable for its whole length.
    let rc = unsafe { libc::ttyname_r(fd, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    // SAFETY: ttyname_r wrote a NUL-terminated string into buf.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Ok(PathBuf::from(name.to_str().expect("ASCII tty name")))
}

/// Point `link` at `target`, replacing what it pointed at in one step.
fn point(link: &Path, target: &Path) {
    let tmp = link.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
}

fn config(path: &Path, terminator: Terminator) -> SerialConfig {
    let mut c = SerialConfig::new(path.to_string_lossy(), 9600, terminator);
    c.backoff = Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(50),
    };
    c
}

fn next(hub: &ScannerHub) -> ScannerEvent {
    hub.recv_timeout(Duration::from_secs(5))
        .expect("an event within 5 s")
}

fn next_scan(hub: &ScannerHub) -> String {
    match next(hub) {
        ScannerEvent::Scan(s) => s.text,
        other => panic!("expected a scan, got {other:?}"),
    }
}

/// A scanner on a fresh pty behind a symlink, with `till` reading it.
fn scanner(terminator: Terminator) -> (tempfile::TempDir, PathBuf, Pty, ScannerHub) {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("till-scanner");
    let pty = openpty();
    point(&link, &pty.path);
    let mut hub = ScannerHub::new();
    hub.add_serial(config(&link, terminator), Framing::default());
    // Writing before `till` has the port open (and raw) would let the
    // line discipline turn CR into LF.
    assert_eq!(
        next(&hub),
        ScannerEvent::Connected(ScanSource::Serial(link.to_string_lossy().into()))
    );
    (dir, link, pty, hub)
}

/// Write in pieces the way a slow UART hands them over. The pause shapes
/// the input; nothing waits on it.
fn write_in_pieces(pty: &mut Pty, pieces: &[&[u8]]) {
    for p in pieces {
        pty.master.write_all(p).unwrap();
        pty.master.flush().unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn cr_terminated_codes_in_pieces_and_back_to_back() {
    let (_dir, _link, mut pty, hub) = scanner(Terminator::Cr);
    write_in_pieces(&mut pty, &[b"4710", b"08812", b"3456\r"]);
    assert_eq!(next_scan(&hub), "4710088123456");
    pty.master.write_all(b"AB-1\rCD-2\r").unwrap();
    assert_eq!(next_scan(&hub), "AB-1");
    assert_eq!(next_scan(&hub), "CD-2");
    hub.stop();
}

#[test]
fn lf_terminated_codes() {
    let (_dir, _link, mut pty, hub) = scanner(Terminator::Lf);
    write_in_pieces(&mut pty, &[b"22J1111", b"1111111", b"1119\n"]);
    assert_eq!(next_scan(&hub), "22J111111111111119");
    pty.master.write_all(b"X1\nY2\n").unwrap();
    assert_eq!(next_scan(&hub), "X1");
    assert_eq!(next_scan(&hub), "Y2");
    hub.stop();
}

#[test]
fn crlf_terminated_codes_split_inside_the_terminator() {
    let (_dir, _link, mut pty, hub) = scanner(Terminator::CrLf);
    write_in_pieces(&mut pty, &[b"\x024710088123456\x03\r", b"\nNEXT-1\r\n"]);
    // STX/ETX framing is stripped too.
    assert_eq!(next_scan(&hub), "4710088123456");
    assert_eq!(next_scan(&hub), "NEXT-1");
    hub.stop();
}

#[test]
fn idle_gap_terminates_codes() {
    let gap = Duration::from_millis(200);
    let (_dir, _link, mut pty, hub) = scanner(Terminator::Idle(gap));
    let sent = Instant::now();
    write_in_pieces(&mut pty, &[b"4710", b"088123456"]);
    assert_eq!(next_scan(&hub), "4710088123456");
    // Delivered once the line went quiet, not before.
    assert!(sent.elapsed() >= gap);
    pty.master.write_all(b"SECOND").unwrap();
    assert_eq!(next_scan(&hub), "SECOND");
    hub.stop();
}

#[test]
fn a_scanner_unplugged_and_plugged_back_keeps_scanning() {
    let (_dir, link, mut pty, hub) = scanner(Terminator::Cr);
    let src = ScanSource::Serial(link.to_string_lossy().into());
    pty.master.write_all(b"BEFORE\r").unwrap();
    assert_eq!(next_scan(&hub), "BEFORE");

    drop(pty);
    match next(&hub) {
        ScannerEvent::Disconnected { source, reason } => {
            assert_eq!(source, src);
            assert!(!reason.is_empty());
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }

    let mut pty = openpty();
    point(&link, &pty.path);
    assert_eq!(next(&hub), ScannerEvent::Reconnected(src));
    pty.master.write_all(b"AFTER\r").unwrap();
    assert_eq!(next_scan(&hub), "AFTER");
    hub.stop();
}

#[test]
fn a_scanner_plugged_in_after_start_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("till-scanner");
    let mut hub = ScannerHub::new();
    hub.add_serial(config(&link, Terminator::Cr), Framing::default());
    match next(&hub) {
        ScannerEvent::Disconnected { reason, .. } => {
            assert!(reason.contains("till-scanner"), "{reason}")
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }
    let mut pty = openpty();
    point(&link, &pty.path);
    assert!(matches!(next(&hub), ScannerEvent::Connected(_)));
    pty.master.write_all(b"HELLO\r").unwrap();
    assert_eq!(next_scan(&hub), "HELLO");
    hub.stop();
}

#[test]
fn stop_releases_the_port() {
    let (_dir, link, _pty, hub) = scanner(Terminator::Cr);
    // `stop` returns (no timing threshold: a hang is a failure by itself).
    hub.stop();
    // `till` opens ports exclusively; after stop another program can.
    serialport::new(link.to_string_lossy(), 9600)
        .open()
        .expect("port free after stop");
}

#[test]
fn configured_serial_scanner_with_prefix_and_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("till-scanner");
    let mut pty = openpty();
    point(&link, &pty.path);
    let config = till::config::Scanner {
        kind: "serial".into(),
        device: link.to_string_lossy().into(),
        baud: 9600,
        terminator: "crlf".into(),
        strip_prefix: "#".into(),
        strip_suffix: "!".into(),
        ..Default::default()
    };
    let hub = ScannerHub::from_config(&config).unwrap();
    assert!(matches!(next(&hub), ScannerEvent::Connected(_)));
    pty.master.write_all(b"#]Q1TW-CODE-42!\r\n").unwrap();
    match next(&hub) {
        ScannerEvent::Scan(s) => {
            assert_eq!(s.text, "TW-CODE-42");
            assert_eq!(s.symbology.as_deref(), Some("]Q1"));
        }
        other => panic!("expected a scan, got {other:?}"),
    }
    hub.stop();
}
