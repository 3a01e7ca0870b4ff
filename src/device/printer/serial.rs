//! Serial printers (RS-232, or USB in virtual-COM mode).

use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

use serialport::FlowControl;

use super::{PrinterError, PrinterPort, write_with_deadline};

pub struct SerialPort {
    port: Box<dyn serialport::SerialPort>,
}

impl SerialPort {
    /// 8N1 at `baud`; hardware flow control lets a printer pause a long
    /// job while it prints instead of dropping bytes.
    pub fn open(path: &str, baud: u32, flow: FlowControl) -> Result<SerialPort, PrinterError> {
        let port = serialport::new(path, baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(flow)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| PrinterError::Connect {
                target: path.to_string(),
                message: e.to_string(),
            })?;
        Ok(SerialPort { port })
    }
}

impl PrinterPort for SerialPort {
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), PrinterError> {
        write_with_deadline(bytes, timeout, |chunk, left| {
            self.port
                .set_timeout(left.max(Duration::from_millis(1)))
                .map_err(|e| PrinterError::Io(e.to_string()))?;
            match self.port.write(chunk) {
                Ok(n) => Ok(n),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                    ) =>
                {
                    Ok(0)
                }
                Err(e) => Err(PrinterError::io(e)),
            }
        })?;
        self.port.flush().map_err(PrinterError::io)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PrinterError> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| PrinterError::Io(e.to_string()))?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(PrinterError::io(e)),
        }
    }
}
