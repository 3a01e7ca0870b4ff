//! Devices at the till: barcode scanners (keyboard wedge, serial, USB HID).
//! Printers: transports (TCP 9100, serial, USB, device file), status, the virtual printer.

pub mod printer;
pub mod scanner;
