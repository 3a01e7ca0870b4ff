//! A SQLite VFS that can pull the plug: every write that was not synced is
//! lost, as in a power cut (the idea of SQLite's own crash-test VFS and of
//! Jepsen's LazyFS, much reduced).
//!
//! It wraps the operating system's VFS and passes every call through, so the
//! process sees its writes as usual. Beside that it keeps, per file, the
//! bytes as they stood at the file's last `xSync`: what a disk would still
//! hold after the power went. At the chosen cut point it puts exactly those
//! bytes back on disk (a file never synced is removed; the shared-memory
//! index, which SQLite rebuilds, is removed too) and ends the process at once
//! with [`CUT_EXIT`], before any other code runs.
//!
//! Cut points are counted at every `xSync`, `xTruncate` and `xDelete` and at
//! [`end_of_work`]: between two of them every unsynced write is thrown away
//! anyway, so cutting just before each of them covers every state a power cut
//! can leave, with the most acknowledgements printed for each. A journal
//! that does not sync (a lowered `synchronous`) has fewer cut points, but the
//! cut after the last acknowledgement still loses what it never synced.
//!
//! [`kill_at_io`] uses the same hooks for the other crash, a SIGKILL at an
//! exact I/O call, the OS cache kept.
//!
//! No crate offers this (the SQLite VFS crates implement whole file systems,
//! not a pass-through with crash semantics), so it is written here against
//! the raw API `rusqlite::ffi` exposes. Test code only: nothing in `src/`
//! knows about it. A deleted file is taken as gone for good at once
//! (directory entries are not modelled), and writes are never torn.
#![allow(dead_code)]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rusqlite::ffi;

/// The exit code of a process whose power was cut.
pub const CUT_EXIT: i32 = 77;

/// The bytes each file held at its last sync (`None`: none survive).
static DURABLE: Mutex<Vec<(String, Option<Vec<u8>>)>> = Mutex::new(Vec::new());
static ARMED: AtomicBool = AtomicBool::new(false);
static CUT_AT: AtomicUsize = AtomicUsize::new(0);
static POINTS: AtomicUsize = AtomicUsize::new(0);
/// [`kill_at_io`]: the I/O call to die at (0: never), and the calls so far.
static KILL_AT: AtomicUsize = AtomicUsize::new(0);
static IO_CALLS: AtomicUsize = AtomicUsize::new(0);
/// The OS VFS this one wraps.
static mut REAL: *mut ffi::sqlite3_vfs = std::ptr::null_mut();
static mut VFS: std::mem::MaybeUninit<ffi::sqlite3_vfs> = std::mem::MaybeUninit::uninit();

#[repr(C)]
struct CutFile {
    base: ffi::sqlite3_file,
    /// The OS VFS's file, in the same allocation right after this struct.
    real: *mut ffi::sqlite3_file,
    /// Index in [`DURABLE`], or `usize::MAX` for a nameless temporary file.
    slot: usize,
}

/// Registers the power-cut VFS as the process's default, so every
/// `Connection::open` (the journal's included) goes through it. Call once,
/// before the first connection is opened.
pub fn install() {
    unsafe {
        let real = ffi::sqlite3_vfs_find(std::ptr::null());
        assert!(!real.is_null(), "SQLite has a default VFS");
        REAL = real;
        let mut v = *real;
        v.pNext = std::ptr::null_mut();
        v.zName = c"power-cut".as_ptr();
        v.szOsFile = (std::mem::size_of::<CutFile>() as c_int) + (*real).szOsFile;
        v.xOpen = Some(x_open);
        v.xDelete = Some(x_delete);
        let vfs = &raw mut VFS;
        (*vfs).write(v);
        let rc = ffi::sqlite3_vfs_register((*vfs).as_mut_ptr(), 1);
        assert_eq!(rc, ffi::SQLITE_OK);
    }
}

/// From now on, cut the power at the `at`-th cut point (1-based).
pub fn arm(at: usize) {
    CUT_AT.store(at, Ordering::SeqCst);
    POINTS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
}

/// The other crash: SIGKILL this process just before its `at`-th write,
/// sync, truncate or delete (1-based), with the OS cache kept as a killed
/// process leaves it. Counting I/O calls instead of time makes the kill
/// point exact: the same `at` kills at the same call, mid-transaction or
/// between two, on every run.
pub fn kill_at_io(at: usize) {
    IO_CALLS.store(0, Ordering::SeqCst);
    KILL_AT.store(at, Ordering::SeqCst);
}

fn io_call() {
    let at = KILL_AT.load(Ordering::SeqCst);
    if at != 0 && IO_CALLS.fetch_add(1, Ordering::SeqCst) + 1 == at {
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// Cut points passed since [`arm`].
pub fn points() -> usize {
    POINTS.load(Ordering::SeqCst)
}

/// The last cut point: all the work is done and acknowledged, nothing is
/// closed cleanly.
pub fn end_of_work() {
    cut_point();
}

fn cut_point() {
    if !ARMED.load(Ordering::SeqCst) {
        return;
    }
    let n = POINTS.fetch_add(1, Ordering::SeqCst) + 1;
    if n == CUT_AT.load(Ordering::SeqCst) {
        cut();
    }
}

/// Puts every file back as its last sync left it and ends the process.
fn cut() -> ! {
    let durable = DURABLE.lock().unwrap_or_else(|e| e.into_inner());
    for (path, bytes) in durable.iter() {
        match bytes {
            Some(b) => std::fs::write(path, b).expect("restore a file as last synced"),
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
        let _ = std::fs::remove_file(format!("{path}-shm"));
    }
    // No destructors, no buffered output, no SQLite close: the power is off.
    unsafe { libc::_exit(CUT_EXIT) }
}

fn slot_for(path: &str) -> usize {
    let mut d = DURABLE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = d.iter().position(|(p, _)| p == path) {
        return i;
    }
    // A file that exists before we first see it was made durable earlier.
    d.push((path.to_string(), std::fs::read(path).ok()));
    d.len() - 1
}

fn synced(slot: usize) {
    if slot == usize::MAX {
        return;
    }
    let mut d = DURABLE.lock().unwrap_or_else(|e| e.into_inner());
    let bytes = std::fs::read(&d[slot].0).ok();
    d[slot].1 = bytes;
}

unsafe fn real_file(f: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    unsafe { (*(f as *mut CutFile)).real }
}

unsafe fn real_methods(f: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    unsafe { &*(*real_file(f)).pMethods }
}

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    unsafe {
        let cf = file as *mut CutFile;
        let real = (file as *mut u8).add(std::mem::size_of::<CutFile>()) as *mut ffi::sqlite3_file;
        let slot = if name.is_null() {
            usize::MAX
        } else {
            slot_for(&CStr::from_ptr(name).to_string_lossy())
        };
        std::ptr::write(
            cf,
            CutFile {
                base: ffi::sqlite3_file {
                    pMethods: std::ptr::null(),
                },
                real,
                slot,
            },
        );
        let rc = ((*REAL).xOpen.unwrap())(REAL, name, real, flags, out_flags);
        if rc == ffi::SQLITE_OK && !(*real).pMethods.is_null() {
            (*cf).base.pMethods = &METHODS;
        }
        rc
    }
}

unsafe extern "C" fn x_delete(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    io_call();
    cut_point();
    unsafe {
        let rc = ((*REAL).xDelete.unwrap())(REAL, name, sync_dir);
        if rc == ffi::SQLITE_OK {
            let slot = slot_for(&CStr::from_ptr(name).to_string_lossy());
            DURABLE.lock().unwrap_or_else(|e| e.into_inner())[slot].1 = None;
        }
        rc
    }
}

unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe { (real_methods(f).xClose.unwrap())(real_file(f)) }
}

unsafe extern "C" fn x_read(
    f: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amt: c_int,
    off: ffi::sqlite3_int64,
) -> c_int {
    unsafe { (real_methods(f).xRead.unwrap())(real_file(f), buf, amt, off) }
}

unsafe extern "C" fn x_write(
    f: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amt: c_int,
    off: ffi::sqlite3_int64,
) -> c_int {
    io_call();
    unsafe { (real_methods(f).xWrite.unwrap())(real_file(f), buf, amt, off) }
}

unsafe extern "C" fn x_truncate(f: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    io_call();
    cut_point();
    unsafe { (real_methods(f).xTruncate.unwrap())(real_file(f), size) }
}

unsafe extern "C" fn x_sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    io_call();
    cut_point();
    unsafe {
        let rc = (real_methods(f).xSync.unwrap())(real_file(f), flags);
        if rc == ffi::SQLITE_OK {
            synced((*(f as *mut CutFile)).slot);
        }
        rc
    }
}

unsafe extern "C" fn x_file_size(
    f: *mut ffi::sqlite3_file,
    size: *mut ffi::sqlite3_int64,
) -> c_int {
    unsafe { (real_methods(f).xFileSize.unwrap())(real_file(f), size) }
}

unsafe extern "C" fn x_lock(f: *mut ffi::sqlite3_file, lock: c_int) -> c_int {
    unsafe { (real_methods(f).xLock.unwrap())(real_file(f), lock) }
}

unsafe extern "C" fn x_unlock(f: *mut ffi::sqlite3_file, lock: c_int) -> c_int {
    unsafe { (real_methods(f).xUnlock.unwrap())(real_file(f), lock) }
}

unsafe extern "C" fn x_check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe { (real_methods(f).xCheckReservedLock.unwrap())(real_file(f), out) }
}

unsafe extern "C" fn x_file_control(
    f: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    unsafe { (real_methods(f).xFileControl.unwrap())(real_file(f), op, arg) }
}

unsafe extern "C" fn x_sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe { (real_methods(f).xSectorSize.unwrap())(real_file(f)) }
}

unsafe extern "C" fn x_device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe { (real_methods(f).xDeviceCharacteristics.unwrap())(real_file(f)) }
}

unsafe extern "C" fn x_shm_map(
    f: *mut ffi::sqlite3_file,
    page: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe { (real_methods(f).xShmMap.unwrap())(real_file(f), page, size, extend, out) }
}

unsafe extern "C" fn x_shm_lock(
    f: *mut ffi::sqlite3_file,
    off: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    unsafe { (real_methods(f).xShmLock.unwrap())(real_file(f), off, n, flags) }
}

unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    unsafe { (real_methods(f).xShmBarrier.unwrap())(real_file(f)) }
}

unsafe extern "C" fn x_shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    unsafe { (real_methods(f).xShmUnmap.unwrap())(real_file(f), delete) }
}

/// Version 2: shared memory (WAL) but no memory-mapped I/O, so every write
/// goes through `xWrite`.
static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 2,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: None,
    xUnfetch: None,
};
