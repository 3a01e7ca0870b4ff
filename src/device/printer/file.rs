//! A device or file path: the kernel's USB printer class device
//! (`/dev/usb/lp0`), a parallel port, or a plain file for capturing jobs.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::time::Duration;

use super::{PrinterError, PrinterPort};

pub struct FilePort {
    file: File,
    /// Character devices can answer status (usblp passes reads to the
    /// printer's bulk IN endpoint); a plain file cannot.
    device: bool,
}

impl FilePort {
    pub fn open(path: &Path) -> Result<FilePort, PrinterError> {
        let fail = |e: std::io::Error| PrinterError::Connect {
            target: path.display().to_string(),
            message: e.to_string(),
        };
        let device = is_char_device(path);
        let file = if device {
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .or_else(|_| OpenOptions::new().write(true).open(path))
                .map_err(fail)?
        } else {
            // Jobs captured to a plain file accumulate, as on a printer.
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(fail)?
        };
        Ok(FilePort { file, device })
    }
}

#[cfg(unix)]
fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[cfg(not(unix))]
fn is_char_device(_: &Path) -> bool {
    false
}

impl PrinterPort for FilePort {
    /// The kernel applies its own timeouts to device writes (usblp: about
    /// 10 s without progress); a file write has none to apply.
    fn write_all(&mut self, bytes: &[u8], _timeout: Duration) -> Result<(), PrinterError> {
        self.file.write_all(bytes).map_err(PrinterError::io)?;
        self.file.flush().map_err(PrinterError::io)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PrinterError> {
        if !self.device {
            return Ok(0);
        }
        // usblp reads block until the printer answers or its own timeout;
        // a missing answer shows up as 0 bytes or EAGAIN.
        match self.file.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                std::thread::sleep(timeout.min(Duration::from_millis(10)));
                Ok(0)
            }
            Err(e) => Err(PrinterError::io(e)),
        }
    }

    fn can_answer(&self) -> bool {
        self.device
    }
}
