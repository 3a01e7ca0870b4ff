//! The virtual printer: takes ESC/POS jobs like a port 9100 printer,
//! answers `DLE EOT` like a healthy one, and writes what it would have
//! printed as `job-NNNN.png` plus `job-NNNN.txt` (the emulator's report).
//!
//! A job ends at a cut or when the sender closes the connection. Demo mode
//! (`transport = "virtual"`) runs the same thing in process.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::status::{PrinterStatus, StatusQuery};
use super::{PrinterError, PrinterPort};
use crate::print::{Profile, RenderReport, render};

/// Where demo mode's print-outs go.
pub fn default_dir() -> PathBuf {
    crate::paths::default_data_dir().join("virtual-printer")
}

/// One print-out written to disk.
#[derive(Debug, Clone)]
pub struct VirtualJob {
    pub png: PathBuf,
    pub txt: PathBuf,
    pub report: RenderReport,
}

/// The report as the `.txt` beside a PNG (and `till render`) shows it.
pub fn report_text(r: &RenderReport) -> String {
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    line(format!("未知指令 unknown commands: {}", r.unknown.len()));
    for (at, bytes) in &r.unknown {
        line(format!("  @{at}: {}", hex_bytes(bytes)));
    }
    for (at, w) in &r.warnings {
        line(format!("警告 warning @{at}: {w}"));
    }
    line(format!("裁紙 cuts: {:?}", r.cuts));
    for p in &r.drawer_pulses {
        line(format!(
            "錢櫃 drawer pulse: pin {} on {} ms off {} ms",
            p.pin, p.on_ms, p.off_ms
        ));
    }
    if !r.status_queries.is_empty() {
        line(format!(
            "狀態查詢 status queries (DLE EOT n): {:?}",
            r.status_queries
        ));
    }
    for q in &r.qr_codes {
        line(format!("QR: {q}"));
    }
    for (sym, data) in &r.barcodes {
        line(format!("barcode {sym:?}: {data}"));
    }
    line("---- text ----".into());
    s.push_str(&r.text);
    if !r.text.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
        + if b.len() > 16 { " …" } else { "" }
}

/// Numbers and writes print-outs into one directory.
#[derive(Debug)]
pub struct JobWriter {
    dir: PathBuf,
    profile: Profile,
    next: u32,
    last_txt: Option<PathBuf>,
}

impl JobWriter {
    /// Numbering continues after the jobs already in `dir`.
    pub fn new(dir: &Path, profile: Profile) -> std::io::Result<JobWriter> {
        std::fs::create_dir_all(dir)?;
        let next = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                name.strip_prefix("job-")?
                    .strip_suffix(".png")?
                    .parse::<u32>()
                    .ok()
            })
            .max()
            .map_or(1, |n| n + 1);
        Ok(JobWriter {
            dir: dir.to_path_buf(),
            profile,
            next,
            last_txt: None,
        })
    }

    /// Render and write one job. Bytes with no ink (a status check, a
    /// drawer pulse after the cut) make no page; what they did is added to
    /// the previous job's report.
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<Option<VirtualJob>> {
        let rendered = render(bytes, &self.profile);
        let r = &rendered.report;
        let ink = rendered.image.ink_columns().is_some() || !r.text.trim().is_empty();
        if !ink && r.unknown.is_empty() {
            if !r.drawer_pulses.is_empty()
                && let Some(txt) = &self.last_txt
            {
                let mut f = std::fs::OpenOptions::new().append(true).open(txt)?;
                for p in &r.drawer_pulses {
                    writeln!(
                        f,
                        "錢櫃 drawer pulse (after the cut): pin {} on {} ms",
                        p.pin, p.on_ms
                    )?;
                }
            }
            return Ok(None);
        }
        let stem = format!("job-{:04}", self.next);
        self.next += 1;
        let png = self.dir.join(format!("{stem}.png"));
        let txt = self.dir.join(format!("{stem}.txt"));
        std::fs::write(&txt, report_text(r))?;
        // The PNG last: whoever waits for it finds the report already there.
        let tmp = self.dir.join(format!("{stem}.png.part"));
        std::fs::write(&tmp, rendered.png())?;
        std::fs::rename(&tmp, &png)?;
        self.last_txt = Some(txt.clone());
        tracing::info!(png = %png.display(), "virtual printer: job printed");
        Ok(Some(VirtualJob {
            png,
            txt,
            report: rendered.report,
        }))
    }
}

/// One connection's byte stream: answers status queries as they arrive
/// and splits the stream into jobs at cuts.
#[derive(Debug)]
pub struct Session {
    profile: Profile,
    buf: Vec<u8>,
    /// Bytes of `buf` already checked for `DLE EOT`.
    status_scanned: usize,
    cut_scanned: usize,
}

impl Session {
    pub fn new(profile: Profile) -> Session {
        Session {
            profile,
            buf: Vec::new(),
            status_scanned: 0,
            cut_scanned: 0,
        }
    }

    /// Take `bytes`; returns the status answers owed and every finished job.
    pub fn feed(&mut self, bytes: &[u8], status: &PrinterStatus) -> (Vec<u8>, Vec<Vec<u8>>) {
        self.buf.extend_from_slice(bytes);
        let mut answers = Vec::new();
        let [p, o, s] = status.encode();
        let mut i = self.status_scanned;
        while i + 2 < self.buf.len() {
            if self.buf[i] == 0x10 && self.buf[i + 1] == 0x04 {
                answers.push(match self.buf[i + 2] {
                    n if n == StatusQuery::Printer as u8 => p,
                    n if n == StatusQuery::OfflineCause as u8 => o,
                    n if n == StatusQuery::PaperSensor as u8 => s,
                    _ => super::status::HEALTHY,
                });
                i += 3;
            } else {
                i += 1;
            }
        }
        self.status_scanned = i;
        let mut jobs = Vec::new();
        while let Some(end) = self.next_cut() {
            let rest = self.buf.split_off(end);
            jobs.push(std::mem::replace(&mut self.buf, rest));
            self.status_scanned = self.status_scanned.saturating_sub(end);
            self.cut_scanned = 0;
        }
        (answers, jobs)
    }

    /// The end of the first real cut (`GS V`) in the buffer. `GS V` bytes
    /// inside image or QR data are told apart by rendering up to them: only
    /// a real cut shows as one.
    fn next_cut(&mut self) -> Option<usize> {
        let mut i = self.cut_scanned;
        while i + 2 < self.buf.len() {
            if self.buf[i] == 0x1D && self.buf[i + 1] == 0x56 {
                let len = match self.buf[i + 2] {
                    0 | 1 | 48 | 49 => 3,
                    65 | 66 => 4,
                    _ => 0,
                };
                if len > 0 && i + len > self.buf.len() {
                    break; // wait for the rest of the command
                }
                if len > 0
                    && !render(&self.buf[..i + len], &self.profile)
                        .report
                        .cuts
                        .is_empty()
                {
                    return Some(i + len);
                }
            }
            i += 1;
        }
        self.cut_scanned = i;
        None
    }

    /// The connection closed: whatever is left is the last job.
    pub fn close(&mut self) -> Option<Vec<u8>> {
        self.status_scanned = 0;
        self.cut_scanned = 0;
        (!self.buf.is_empty()).then(|| std::mem::take(&mut self.buf))
    }
}

/// State shared by the server's connections.
struct Shared {
    writer: Mutex<JobWriter>,
    status: Mutex<PrinterStatus>,
    profile: Profile,
    events: Option<Mutex<Sender<VirtualJob>>>,
}

impl Shared {
    fn print(&self, bytes: &[u8]) {
        let status = *self.status.lock().unwrap_or_else(|e| e.into_inner());
        if status.problem().is_some() {
            // A printer that is out of paper or open prints nothing.
            tracing::info!(
                len = bytes.len(),
                "virtual printer: job dropped ({status:?})"
            );
            return;
        }
        let job = self
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write(bytes);
        match job {
            Ok(Some(job)) => {
                if let Some(tx) = &self.events {
                    let _ = tx.lock().unwrap_or_else(|e| e.into_inner()).send(job);
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!("virtual printer: cannot write the print-out: {e}"),
        }
    }
}

/// A virtual printer listening on TCP.
pub struct VirtualPrinter {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl VirtualPrinter {
    pub fn bind(addr: &str, dir: &Path, profile: Profile) -> std::io::Result<VirtualPrinter> {
        let listener = TcpListener::bind(addr)?;
        let writer = JobWriter::new(dir, profile.clone())?;
        Ok(VirtualPrinter {
            listener,
            shared: Arc::new(Shared {
                writer: Mutex::new(writer),
                status: Mutex::new(PrinterStatus::healthy()),
                profile,
                events: None,
            }),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Send every written job to `tx` as well (tests, the GUI preview).
    pub fn notify(mut self, tx: Sender<VirtualJob>) -> VirtualPrinter {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.events = Some(Mutex::new(tx));
        }
        self
    }

    /// A handle to change what the printer reports (tests: paper out).
    pub fn status_handle(&self) -> StatusHandle {
        StatusHandle(self.shared.clone())
    }

    /// Accept connections until the process ends; one thread each.
    pub fn serve(self) -> std::io::Result<()> {
        for conn in self.listener.incoming() {
            let stream = match conn {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("virtual printer: accept failed: {e}");
                    continue;
                }
            };
            let shared = self.shared.clone();
            std::thread::Builder::new()
                .name("virtual printer".into())
                .spawn(move || connection(stream, &shared))?;
        }
        Ok(())
    }

    /// Serve on a background thread.
    pub fn spawn(self) -> std::io::Result<SocketAddr> {
        let addr = self.local_addr()?;
        std::thread::Builder::new()
            .name("virtual printer accept".into())
            .spawn(move || self.serve())?;
        Ok(addr)
    }
}

/// Changes what a running virtual printer reports.
#[derive(Clone)]
pub struct StatusHandle(Arc<Shared>);

impl StatusHandle {
    pub fn set(&self, status: PrinterStatus) {
        *self.0.status.lock().unwrap_or_else(|e| e.into_inner()) = status;
    }
}

fn connection(mut stream: TcpStream, shared: &Shared) {
    let peer = stream.peer_addr().ok();
    let mut session = Session::new(shared.profile.clone());
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let status = *shared.status.lock().unwrap_or_else(|e| e.into_inner());
                let (answers, jobs) = session.feed(&buf[..n], &status);
                if !answers.is_empty() && stream.write_all(&answers).is_err() {
                    break;
                }
                for job in jobs {
                    shared.print(&job);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::warn!(?peer, "virtual printer: connection error: {e}");
                break;
            }
        }
    }
    if let Some(job) = session.close() {
        shared.print(&job);
    }
}

/// The in-process virtual printer that `transport = "virtual"` opens.
pub struct VirtualPort {
    session: Session,
    answers: VecDeque<u8>,
    writer: Result<JobWriter, String>,
}

impl VirtualPort {
    pub fn new(dir: PathBuf, profile: Profile) -> VirtualPort {
        VirtualPort {
            session: Session::new(profile.clone()),
            answers: VecDeque::new(),
            writer: JobWriter::new(&dir, profile).map_err(|e| format!("{}: {e}", dir.display())),
        }
    }

    fn print(&mut self, job: &[u8]) -> Result<(), PrinterError> {
        let writer = self
            .writer
            .as_mut()
            .map_err(|e| PrinterError::Io(e.clone()))?;
        writer.write(job).map_err(PrinterError::io)?;
        Ok(())
    }
}

impl PrinterPort for VirtualPort {
    fn write_all(&mut self, bytes: &[u8], _timeout: Duration) -> Result<(), PrinterError> {
        let (answers, jobs) = self.session.feed(bytes, &PrinterStatus::healthy());
        self.answers.extend(answers);
        for job in jobs {
            self.print(&job)?;
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, PrinterError> {
        let mut n = 0;
        while n < buf.len()
            && let Some(b) = self.answers.pop_front()
        {
            buf[n] = b;
            n += 1;
        }
        Ok(n)
    }
}

impl Drop for VirtualPort {
    fn drop(&mut self) {
        if let Some(job) = self.session.close()
            && let Err(e) = self.print(&job)
        {
            tracing::error!("virtual printer: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::{encode, proof_document, samples};

    #[test]
    fn a_stream_of_two_proofs_splits_into_two_jobs_at_the_cuts() {
        let profile = Profile::builtin("epson-tm-t88vi-tw").unwrap();
        let one = encode(&proof_document(&samples::proof()), &profile).unwrap();
        let mut stream = one.clone();
        stream.extend_from_slice(&one);
        let mut s = Session::new(profile);
        let mut jobs = Vec::new();
        // Arrive in awkward pieces, as TCP may deliver them.
        for piece in stream.chunks(997) {
            jobs.extend(s.feed(piece, &PrinterStatus::healthy()).1);
        }
        assert_eq!(jobs, vec![one.clone(), one]);
        assert_eq!(s.close(), None);
    }

    #[test]
    fn status_queries_split_across_reads_are_answered() {
        let profile = Profile::builtin("generic-58-big5").unwrap();
        let mut s = Session::new(profile);
        let out = PrinterStatus {
            paper_end: true,
            online: false,
            ..PrinterStatus::default()
        };
        let (a, _) = s.feed(&[0x10], &out);
        assert!(a.is_empty());
        let (a, _) = s.feed(&[0x04, 0x04, 0x10, 0x04, 0x01], &out);
        let [p, _, paper] = out.encode();
        assert_eq!(a, vec![paper, p]);
    }
}
