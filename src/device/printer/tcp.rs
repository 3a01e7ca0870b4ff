//! Network printers on raw TCP port 9100.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::{PrinterError, PrinterPort, write_with_deadline};

pub struct TcpPort {
    stream: TcpStream,
}

/// Socket timeouts must be non-zero.
fn at_least_1ms(d: Duration) -> Duration {
    d.max(Duration::from_millis(1))
}

impl TcpPort {
    pub fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpPort, PrinterError> {
        let target = format!("{host}:{port}");
        let fail = |message: String| PrinterError::Connect {
            target: target.clone(),
            message,
        };
        let addrs = (host, port)
            .to_socket_addrs()
            .map_err(|e| fail(e.to_string()))?;
        let mut last = fail("no address".into());
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, at_least_1ms(timeout)) {
                Ok(stream) => {
                    // Small writes (status queries) must leave at once.
                    let _ = stream.set_nodelay(true);
                    return Ok(TcpPort { stream });
                }
                Err(e) => last = fail(e.to_string()),
            }
        }
        Err(last)
    }

    pub fn from_stream(stream: TcpStream) -> TcpPort {
        TcpPort { stream }
    }
}

impl PrinterPort for TcpPort {
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), PrinterError> {
        write_with_deadline(bytes, timeout, |chunk, left| {
            self.stream
                .set_write_timeout(Some(at_least_1ms(left)))
                .map_err(PrinterError::io)?;
            match self.stream.write(chunk) {
                Ok(0) => Err(PrinterError::Io("printer closed the connection".into())),
                Ok(n) => Ok(n),
                Err(e) if matches!(e.kind(), ErrorKind::Interrupted) => Ok(0),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(0),
                Err(e) => Err(PrinterError::io(e)),
            }
        })
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PrinterError> {
        self.stream
            .set_read_timeout(Some(at_least_1ms(timeout)))
            .map_err(PrinterError::io)?;
        match self.stream.read(buf) {
            Ok(0) => Err(PrinterError::Io("printer closed the connection".into())),
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(PrinterError::io(e)),
        }
    }
}

impl Drop for TcpPort {
    fn drop(&mut self) {
        // Tell the printer the job is complete before the socket goes.
        let _ = self.stream.flush();
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
    }
}
