//! Printer transports against real sockets and a real pseudo-terminal,
//! USB against a fake bulk device, and `DLE EOT` decoding bit by bit.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use till::device::printer::status::{self, HEALTHY, StatusQuery};
use till::device::printer::tcp::TcpPort;
use till::device::printer::usb::{BulkDevice, UsbPort};
use till::device::printer::{PrinterError, PrinterPort, PrinterStatus, Transport};
use till::print::{Profile, encode, proof_document, samples};

const WAIT: Duration = Duration::from_secs(10);

fn proof_bytes() -> Vec<u8> {
    let p = Profile::builtin("epson-tm-t88vi-tw").unwrap();
    encode(&proof_document(&samples::proof()), &p).unwrap()
}

#[test]
fn tcp_delivers_a_whole_job_and_reads_status_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        // Answer the one query the client sends first, then take the job.
        let mut q = [0u8; 3];
        s.read_exact(&mut q).unwrap();
        let answer = PrinterStatus {
            paper_near_end: true,
            online: true,
            ..PrinterStatus::default()
        }
        .encode()[2];
        s.write_all(&[answer]).unwrap();
        let mut job = Vec::new();
        s.read_to_end(&mut job).unwrap();
        tx.send((q, job)).unwrap();
    });
    let job = proof_bytes();
    {
        let Transport::Tcp { host, port } =
            Transport::parse(&format!("tcp://127.0.0.1:{port}")).unwrap()
        else {
            panic!("not tcp")
        };
        let mut conn = TcpPort::connect(&host, port, WAIT).unwrap();
        let b = status::ask(&mut conn, StatusQuery::PaperSensor, WAIT).unwrap();
        assert!(PrinterStatus::decode(HEALTHY, HEALTHY, b).paper_near_end);
        conn.write_all(&job, WAIT).unwrap();
    } // closing the connection ends the job
    let (q, got) = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(q, [0x10, 0x04, 4]);
    assert_eq!(got, job);
}

#[test]
fn tcp_to_a_closed_port_says_where_it_tried() {
    // Bind then drop: the port is (almost certainly) closed now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = match TcpPort::connect("127.0.0.1", port, WAIT) {
        Err(e) => e,
        Ok(_) => return, // something else took the port; nothing to check
    };
    assert!(matches!(err, PrinterError::Connect { .. }));
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn a_silent_printer_is_reported_as_not_answering_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let (_s, _) = listener.accept().unwrap();
        // Hold the connection open, answer nothing, until the test is done.
        let _ = rx.recv_timeout(WAIT);
    });
    let mut conn = TcpPort::connect("127.0.0.1", port, WAIT).unwrap();
    // The printer holds the connection open for WAIT, far past the query's
    // timeout: the answer is "not answering", not a closed connection. How
    // long the query takes to give up is a figure in `cargo bench --bench
    // print`, not a threshold here.
    let err = status::query(&mut conn, Duration::from_millis(200)).unwrap_err();
    assert!(matches!(err, PrinterError::NoAnswer(_)), "{err:?}");
    drop(tx);
}

#[cfg(unix)]
mod serial {
    use super::*;
    use std::fs::File;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::path::PathBuf;

    use till::device::printer::serial::SerialPort;

    struct Pty {
        master: File,
        _slave: OwnedFd,
        path: PathBuf,
    }

    fn openpty() -> Pty {
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
        let path = std::fs::read_link(format!("/proc/self/fd/{slave}")).expect("slave pty path");
        // SAFETY: both fds were just opened by openpty and are owned here.
        unsafe {
            Pty {
                master: File::from_raw_fd(master),
                _slave: OwnedFd::from_raw_fd(slave),
                path,
            }
        }
    }

    #[test]
    fn serial_job_bytes_arrive_intact_and_dle_eot_answers_are_read() {
        let pty = openpty();
        let url = format!("serial://{}?baud=19200", pty.path.display());
        let Transport::Serial { path, baud, flow } = Transport::parse(&url).unwrap() else {
            panic!("not serial")
        };
        let mut port = SerialPort::open(&path, baud, flow).unwrap();
        let mut master = pty.master.try_clone().unwrap();
        let job = proof_bytes();
        let expect = 9 + job.len();
        let (tx, rx) = mpsc::channel();
        // The "printer": answers each query as it arrives, as an Epson out
        // of paper would, and collects everything.
        std::thread::spawn(move || {
            let answers = PrinterStatus {
                paper_end: true,
                ..PrinterStatus::default()
            }
            .encode();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            let mut answered = 0;
            while seen.len() < expect {
                let n = master.read(&mut buf).unwrap();
                seen.extend_from_slice(&buf[..n]);
                while answered < 3 && seen.len() >= 3 * (answered + 1) {
                    master.write_all(&[answers[answered]]).unwrap();
                    answered += 1;
                }
            }
            tx.send(seen).unwrap();
        });
        let st = status::query(&mut port, WAIT).unwrap();
        assert!(st.paper_end && !st.online);
        assert_eq!(st.problem(), Some(PrinterError::PaperEnd));
        port.write_all(&job, WAIT).unwrap();
        let seen = rx.recv_timeout(WAIT).unwrap();
        assert_eq!(&seen[..9], &[0x10, 4, 1, 0x10, 4, 2, 0x10, 4, 4]);
        assert_eq!(&seen[9..], &job[..]);
    }

    #[test]
    fn a_missing_serial_device_is_named() {
        let err = match SerialPort::open(
            "/dev/till-no-such-printer",
            9600,
            serialport::FlowControl::None,
        ) {
            Err(e) => e,
            Ok(_) => panic!("opened a missing device"),
        };
        assert!(
            err.to_string().contains("/dev/till-no-such-printer"),
            "{err}"
        );
    }
}

/// A USB printer that takes at most 64 bytes a transfer and sometimes
/// times out with nothing taken, as a busy printer does.
struct FakeUsb {
    got: Vec<u8>,
    calls: usize,
    answer: Vec<u8>,
}

impl BulkDevice for FakeUsb {
    fn write_bulk(&mut self, data: &[u8], _timeout: Duration) -> Result<usize, String> {
        self.calls += 1;
        if self.calls % 3 == 0 {
            return Ok(0);
        }
        let n = data.len().min(64);
        self.got.extend_from_slice(&data[..n]);
        Ok(n)
    }
    fn read_bulk(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, String> {
        let n = self.answer.len().min(buf.len());
        buf[..n].copy_from_slice(&self.answer[..n]);
        self.answer.drain(..n);
        Ok(n)
    }
    fn has_input(&self) -> bool {
        true
    }
}

#[test]
fn usb_writes_survive_short_transfers_and_timeouts() {
    let job = proof_bytes();
    let mut port = UsbPort::new(FakeUsb {
        got: Vec::new(),
        calls: 0,
        answer: vec![0x16],
    });
    port.write_all(&job, WAIT).unwrap();
    let b = status::ask(&mut port, StatusQuery::Printer, WAIT).unwrap();
    assert!(PrinterStatus::decode(b, HEALTHY, HEALTHY).drawer_open);
    let mut sent = job.clone();
    sent.extend_from_slice(&StatusQuery::Printer.bytes());
    assert_eq!(port.device().got, sent);
    // Nothing more to read: a timeout, not an error.
    let mut buf = [0u8; 1];
    assert_eq!(port.read(&mut buf, WAIT).unwrap(), 0);
}

#[test]
fn each_status_bit_decodes_to_its_flag() {
    let d = PrinterStatus::decode;
    let h = HEALTHY;
    assert!(d(h, h, h).online);
    assert!(!d(h | 0x08, h, h).online, "n=1 bit 3: offline");
    assert!(
        d(h | 0x04, h, h).drawer_open,
        "n=1 bit 2: drawer pin 3 high"
    );
    assert!(d(h, h | 0x04, h).cover_open, "n=2 bit 2: cover open");
    assert!(
        d(h, h | 0x20, h).paper_end,
        "n=2 bit 5: stopped by paper end"
    );
    assert!(d(h, h | 0x40, h).error, "n=2 bit 6: error");
    assert!(d(h, h, h | 0x0C).paper_near_end, "n=4 bits 2-3: near end");
    assert!(!d(h, h, h | 0x0C).paper_end);
    assert!(d(h, h, h | 0x60).paper_end, "n=4 bits 5-6: paper end");
    // The paper-feed button (n=2 bit 3) is no fault.
    assert_eq!(d(h, h | 0x08, h).problem(), None);
    // An out-of-paper Epson answers 1A 32 7E.
    let out = d(0x1A, 0x32, 0x7E);
    assert!(out.paper_end && out.paper_near_end && !out.online && !out.cover_open);
    assert!(out.problem().unwrap().to_string().contains("缺紙"));
    // Cover open reads offline too; the cashier is told about the cover.
    assert_eq!(d(0x1A, 0x16, h).problem(), Some(PrinterError::CoverOpen));
    assert_eq!(d(0x1A, h, h).problem(), Some(PrinterError::Offline));
    assert_eq!(d(h, h | 0x40, h).problem(), Some(PrinterError::Mechanical));
    // Bytes that cannot be status answers are told apart.
    assert!(status::is_status_byte(0x7E) && !status::is_status_byte(b'A'));
}

/// A USB printer behind libusb's calls: a HID interface, a vendor one and
/// the printer-class one (alternate setting 1) that usblp holds. Every
/// call is logged; `unplugged` makes transfers fail as libusb's NoDevice.
#[derive(Clone, Default)]
struct FakeHandle {
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    got: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    unplugged: std::sync::Arc<std::sync::atomic::AtomicBool>,
    refuse_claim: bool,
    no_bulk_out: bool,
}

impl FakeHandle {
    fn note(&self, s: String) {
        self.log.lock().unwrap().push(s);
    }
    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl till::device::printer::usb::UsbHandle for FakeHandle {
    fn interfaces(&self) -> Result<Vec<usb::InterfaceInfo>, String> {
        let ep = |address, bulk, input| usb::EndpointInfo {
            address,
            bulk,
            input,
        };
        let printer = if self.no_bulk_out {
            vec![ep(0x82, true, true)]
        } else {
            vec![ep(0x82, true, true), ep(0x01, true, false)]
        };
        Ok(vec![
            usb::InterfaceInfo {
                number: 0,
                setting: 0,
                class: 3,
                endpoints: vec![ep(0x81, false, true)],
            },
            usb::InterfaceInfo {
                number: 1,
                setting: 0,
                class: 0xFF,
                endpoints: if self.no_bulk_out {
                    vec![]
                } else {
                    vec![ep(0x03, true, false)]
                },
            },
            usb::InterfaceInfo {
                number: 2,
                setting: 1,
                class: usb::CLASS_PRINTER,
                endpoints: printer,
            },
        ])
    }
    fn kernel_driver_active(&self, iface: u8) -> bool {
        iface == 2
    }
    fn detach_kernel_driver(&mut self, iface: u8) -> Result<(), String> {
        self.note(format!("detach {iface}"));
        Ok(())
    }
    fn attach_kernel_driver(&mut self, iface: u8) -> Result<(), String> {
        self.note(format!("attach {iface}"));
        Ok(())
    }
    fn claim_interface(&mut self, iface: u8) -> Result<(), String> {
        self.note(format!("claim {iface}"));
        if self.refuse_claim {
            return Err("USB: Resource busy".into());
        }
        Ok(())
    }
    fn release_interface(&mut self, iface: u8) -> Result<(), String> {
        self.note(format!("release {iface}"));
        Ok(())
    }
    fn set_alternate_setting(&mut self, iface: u8, setting: u8) -> Result<(), String> {
        self.note(format!("alt {iface} {setting}"));
        Ok(())
    }
    fn write_bulk(&mut self, ep: u8, data: &[u8], _t: Duration) -> Result<usize, String> {
        if self.unplugged.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(usb::UNPLUGGED.into());
        }
        self.note(format!("write {ep:#04x} {}", data.len()));
        self.got.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn read_bulk(&mut self, ep: u8, buf: &mut [u8], _t: Duration) -> Result<usize, String> {
        self.note(format!("read {ep:#04x}"));
        buf[0] = 0x12; // DLE EOT 1: online, drawer closed
        Ok(1)
    }
}

use till::device::printer::usb;

#[test]
fn usb_claims_the_printer_interface_from_the_kernel_and_gives_it_back() {
    let fake = FakeHandle::default();
    let mut port = usb::claim(fake.clone(), "usb://0416:5011").unwrap();
    assert_eq!(fake.log(), ["detach 2", "claim 2", "alt 2 1"]);

    // A job bigger than one transfer goes out in order, in chunks.
    let mut job = Vec::new();
    while job.len() <= 2 * usb::CHUNK {
        job.extend_from_slice(&proof_bytes());
    }
    port.write_all(&job, WAIT).unwrap();
    assert_eq!(*fake.got.lock().unwrap(), job);
    let writes: Vec<String> = fake
        .log()
        .into_iter()
        .filter(|l| l.starts_with("write"))
        .collect();
    assert_eq!(writes.len(), job.len().div_ceil(usb::CHUNK), "{writes:?}");
    assert!(
        writes.iter().all(|w| w.starts_with("write 0x01 ")),
        "{writes:?}"
    );

    // Status comes back on the bulk IN endpoint.
    let b = status::ask(&mut port, StatusQuery::Printer, WAIT).unwrap();
    assert!(PrinterStatus::decode(b, HEALTHY, HEALTHY).online);
    assert!(fake.log().contains(&"read 0x82".to_string()));

    // Pulled out mid-shift: the next job says so.
    fake.unplugged
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let err = port.write_all(&job, WAIT).unwrap_err();
    assert!(matches!(err, PrinterError::Io(_)), "{err:?}");
    assert!(err.to_string().contains("unplugged"), "{err}");

    // Dropping the port releases the interface and gives usblp its device back.
    drop(port);
    let log = fake.log();
    assert_eq!(log[log.len() - 2..], ["release 2", "attach 2"]);
}

#[test]
fn usb_without_a_bulk_out_endpoint_or_a_busy_interface_is_refused_cleanly() {
    let fake = FakeHandle {
        no_bulk_out: true,
        ..FakeHandle::default()
    };
    let err = usb::claim(fake.clone(), "usb://0416:5011").err().unwrap();
    assert!(err.to_string().contains("bulk OUT"), "{err}");
    assert!(fake.log().is_empty(), "nothing detached: {:?}", fake.log());

    let fake = FakeHandle {
        refuse_claim: true,
        ..FakeHandle::default()
    };
    let err = usb::claim(fake.clone(), "usb://0416:5011").err().unwrap();
    assert!(
        err.to_string().contains("Resource busy") && err.to_string().contains("usb://0416:5011"),
        "{err}"
    );
    // The kernel driver is given back when the claim fails.
    assert_eq!(fake.log(), ["detach 2", "claim 2", "release 2", "attach 2"]);
}
