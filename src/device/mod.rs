//! Devices at the till: barcode scanners (keyboard wedge, serial, USB HID).
//! Printer transports will live beside them.

pub mod scanner;
