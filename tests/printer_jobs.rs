//! Print jobs through the application layer: journal first, a paper-out
//! printer stops a proof before it prints, resume prints it, a proof cut
//! short is reprinted only as 補印 with a manager's PIN; and the virtual
//! printer writes one PNG per job whose QR codes read back.

use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use till::config::Config;
use till::device::printer::virtual_printer::VirtualPrinter;
use till::device::printer::{
    Printed, Printer, PrinterError, PrinterPort, PrinterStatus, Transport,
};
use till::journal::{Journal, PrintState};
use till::print::{Profile, encode, proof_document, render, samples};
use till::secret::Secret;
use till::terminal::{Approval, PROOF, PrintError, Terminal};

const WAIT: Duration = Duration::from_secs(20);
const MANAGER: (&str, &str) = ("示範店長 Demo manager", "1234");
const CASHIER: (&str, &str) = ("示範收銀員 Demo cashier", "0000");

/// A printer on the bench: answers `DLE EOT` from `status`, records every
/// byte, and can run out of paper in the middle of a job.
#[derive(Default)]
struct Bench {
    status: PrinterStatus,
    /// Becomes the status once a job's bytes have gone out.
    after_job: Option<PrinterStatus>,
    written: Vec<u8>,
    jobs: Vec<Vec<u8>>,
    answers: VecDeque<u8>,
}

struct BenchPort(Arc<Mutex<Bench>>);

impl PrinterPort for BenchPort {
    fn write_all(&mut self, bytes: &[u8], _: Duration) -> Result<(), PrinterError> {
        let mut b = self.0.lock().unwrap();
        b.written.extend_from_slice(bytes);
        if let [0x10, 0x04, n] = bytes {
            let [p, o, s] = b.status.encode();
            let a = match n {
                1 => p,
                2 => o,
                _ => s,
            };
            b.answers.push_back(a);
        } else {
            b.jobs.push(bytes.to_vec());
            if let Some(s) = b.after_job.take() {
                b.status = s;
            }
        }
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, PrinterError> {
        match self.0.lock().unwrap().answers.pop_front() {
            Some(a) => {
                buf[0] = a;
                Ok(1)
            }
            None => Ok(0),
        }
    }
}

fn profile() -> Profile {
    Profile::builtin("epson-tm-t88vi-tw").unwrap()
}

fn bench(status: PrinterStatus) -> (Printer, Arc<Mutex<Bench>>) {
    let state = Arc::new(Mutex::new(Bench {
        status,
        ..Bench::default()
    }));
    let s = state.clone();
    let printer = Printer::with_opener(profile(), "bench", move || {
        Ok(Box::new(BenchPort(s.clone())) as Box<dyn PrinterPort>)
    });
    (printer, state)
}

fn terminal() -> Terminal {
    let mut t =
        Terminal::with_journal(&Config::demo(), Journal::open_in_memory().unwrap(), true).unwrap();
    t.sign_in(CASHIER.0, &Secret::new(CASHIER.1)).unwrap();
    t
}

fn paper_out() -> PrinterStatus {
    PrinterStatus {
        paper_end: true,
        ..PrinterStatus::default()
    }
}

#[test]
fn paper_end_stops_a_proof_before_it_prints_and_resume_prints_it() {
    let mut t = terminal();
    let (mut printer, bench) = bench(paper_out());
    let proof = samples::proof();
    let err = t.print_proof(&mut printer, &proof, None, None).unwrap_err();
    let PrintError::Printer { job, error } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error.error, PrinterError::PaperEnd);
    assert_eq!(error.printed, Printed::Nothing);
    assert!(
        err.to_string().contains("印表機缺紙,請換紙後按重印"),
        "{err}"
    );
    // Only the three status queries went out: not a byte of the proof.
    assert!(bench.lock().unwrap().jobs.is_empty());
    assert_eq!(bench.lock().unwrap().written.len(), 9);

    let pending = t.journal().pending_print_jobs().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, *job);
    assert_eq!(pending[0].state, PrintState::Failed);
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("paper_end")
    );

    // Paper loaded: the proof prints as an original (it never reached paper).
    bench.lock().unwrap().status = PrinterStatus::healthy();
    let resumed = t.resume_print_jobs(&mut printer).unwrap();
    assert_eq!(resumed.printed, vec![*job]);
    assert!(resumed.needs_approval.is_empty() && resumed.stopped.is_none());
    assert!(t.journal().pending_print_jobs().unwrap().is_empty());
    let jobs = bench.lock().unwrap().jobs.clone();
    assert_eq!(jobs.len(), 1);
    let r = render(&jobs[0], &profile()).report;
    assert!(r.text.contains("AB-12345678"), "{}", r.text);
    assert!(!r.text.contains("補印"));
    assert_eq!(sent_qr(&r), vec![proof.left_qr, proof.right_qr]);
}

#[test]
fn a_proof_cut_short_is_reprinted_only_as_bu_yin_with_a_manager_pin() {
    let mut t = terminal();
    let (mut printer, bench) = bench(PrinterStatus::healthy());
    bench.lock().unwrap().after_job = Some(paper_out());
    let proof = samples::proof();
    let err = t.print_proof(&mut printer, &proof, None, None).unwrap_err();
    let PrintError::Printer { job, error } = err else {
        panic!()
    };
    assert_eq!(error.printed, Printed::Maybe);

    // Paper changed; resume must not print a second "original".
    bench.lock().unwrap().status = PrinterStatus::healthy();
    let resumed = t.resume_print_jobs(&mut printer).unwrap();
    assert_eq!(resumed.needs_approval, vec![job]);
    assert!(resumed.printed.is_empty());
    assert_eq!(bench.lock().unwrap().jobs.len(), 1);

    // A cashier's PIN, or a wrong manager PIN, prints nothing.
    for (name, pin) in [CASHIER, (MANAGER.0, "9999")] {
        let pin = Secret::new(pin);
        let approval = Approval {
            manager: name,
            pin: &pin,
        };
        let e = t
            .reprint_proof(&mut printer, job, &proof, approval)
            .unwrap_err();
        assert!(e.to_string().contains("密碼"), "{e}");
    }
    assert_eq!(bench.lock().unwrap().jobs.len(), 1);

    let pin = Secret::new(MANAGER.1);
    let approval = Approval {
        manager: MANAGER.0,
        pin: &pin,
    };
    let reprint = t
        .reprint_proof(&mut printer, job, &proof, approval)
        .unwrap();
    assert_ne!(reprint, job);
    assert!(t.journal().pending_print_jobs().unwrap().is_empty());
    let jobs = bench.lock().unwrap().jobs.clone();
    assert_eq!(jobs.len(), 2);
    let r = render(&jobs[1], &profile()).report;
    assert!(r.text.contains("補印"), "{}", r.text);
    assert_eq!(
        sent_qr(&r),
        vec![proof.left_qr.clone(), proof.right_qr.clone()]
    );
    // The reprint is in the tamper-evident audit log.
    let audit = t.journal().verify_audit().unwrap();
    assert!(audit.first_problem.is_none());
    let n: i64 = t
        .journal()
        .raw_connection()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'print.reprint' AND actor = ?1",
            [MANAGER.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_reprint_through_print_must_say_bu_yin() {
    let mut t = terminal();
    let (mut printer, bench) = bench(PrinterStatus::healthy());
    let original = encode(&proof_document(&samples::proof()), &profile()).unwrap();
    let pin = Secret::new(MANAGER.1);
    let approval = Approval {
        manager: MANAGER.0,
        pin: &pin,
    };
    let e = t
        .print(&mut printer, PROOF, &original, None, Some(approval))
        .unwrap_err();
    assert!(matches!(e, PrintError::NotMarkedReprint), "{e:?}");
    assert!(bench.lock().unwrap().jobs.is_empty());
}

#[test]
fn no_sale_drawer_opening_needs_a_manager_and_is_audited() {
    let mut t = terminal();
    let (mut printer, bench) = bench(PrinterStatus::healthy());
    let wrong = Secret::new(CASHIER.1);
    let e = t
        .no_sale(
            &mut printer,
            Approval {
                manager: CASHIER.0,
                pin: &wrong,
            },
            "換零錢",
        )
        .unwrap_err();
    assert!(e.to_string().contains("密碼"), "{e}");
    assert!(bench.lock().unwrap().jobs.is_empty());
    let pin = Secret::new(MANAGER.1);
    t.no_sale(
        &mut printer,
        Approval {
            manager: MANAGER.0,
            pin: &pin,
        },
        "換零錢",
    )
    .unwrap();
    let jobs = bench.lock().unwrap().jobs.clone();
    let r = render(&jobs.concat(), &profile()).report;
    assert_eq!(r.drawer_pulses.len(), 1);
    assert_eq!(r.drawer_pulses[0].pin, 2);
    let actor: String = t
        .journal()
        .raw_connection()
        .query_row(
            "SELECT actor FROM audit_log WHERE action = 'drawer.no_sale'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(actor, MANAGER.0);
    assert!(t.journal().verify_audit().unwrap().first_problem.is_none());
}

/// The QR contents sent to the printer, without the trailing spaces that
/// pad the shorter code of a proof's pair to the same size.
fn sent_qr(r: &till::print::RenderReport) -> Vec<String> {
    r.qr_codes
        .iter()
        .map(|q| q.trim_end_matches(' ').to_string())
        .collect()
}

fn decode_qr_codes(png: &std::path::Path) -> Vec<String> {
    let img = image::open(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let mut found: Vec<String> = prepared
        .detect_grids()
        .into_iter()
        // The shorter code of a proof's pair is padded with trailing
        // spaces to print the same size as the other: the content is the
        // rest, exactly.
        .filter_map(|g| {
            g.decode()
                .ok()
                .map(|(_, c)| c.trim_end_matches(' ').to_string())
        })
        .collect();
    found.sort();
    found
}

#[test]
fn the_virtual_printer_writes_a_png_per_job_whose_qr_codes_decode() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = mpsc::channel();
    let vp = VirtualPrinter::bind("127.0.0.1:0", dir.path(), profile())
        .unwrap()
        .notify(tx);
    let status = vp.status_handle();
    let addr = vp.spawn().unwrap();
    let transport = Transport::parse(&format!("tcp://{addr}")).unwrap();
    let mut printer = Printer::new(profile(), transport);
    let mut t = terminal();

    // Two jobs in one connection, split at the cut.
    let first = samples::proof();
    let mut second = samples::proof();
    second.number_dashed = "AB-12345679".into();
    second.left_qr = second.left_qr.replacen("AB12345678", "AB12345679", 1);
    let mut both = encode(&proof_document(&first), &profile()).unwrap();
    both.extend(encode(&proof_document(&second), &profile()).unwrap());
    t.print(&mut printer, PROOF, &both, None, None).unwrap();
    let a = rx.recv_timeout(WAIT).unwrap();
    let b = rx.recv_timeout(WAIT).unwrap();
    assert!(a.png.ends_with("job-0001.png") && b.png.ends_with("job-0002.png"));
    for (job, proof) in [(&a, &first), (&b, &second)] {
        let mut want = vec![proof.left_qr.clone(), proof.right_qr.clone()];
        want.sort();
        assert_eq!(decode_qr_codes(&job.png), want);
        let txt = std::fs::read_to_string(&job.txt).unwrap();
        assert!(txt.contains(&proof.number_dashed), "{txt}");
        assert!(txt.contains("unknown commands: 0"), "{txt}");
    }

    // The virtual printer reports paper out like a real one, and the job waits.
    status.set(paper_out());
    let e = t
        .print_proof(&mut printer, &samples::proof(), None, None)
        .unwrap_err();
    assert_eq!(e.printer_error(), Some(&PrinterError::PaperEnd));
    status.set(PrinterStatus::healthy());
    assert_eq!(t.resume_print_jobs(&mut printer).unwrap().printed.len(), 1);
    let c = rx.recv_timeout(WAIT).unwrap();
    assert!(c.png.ends_with("job-0003.png"));
    assert_eq!(decode_qr_codes(&c.png).len(), 2);
}
