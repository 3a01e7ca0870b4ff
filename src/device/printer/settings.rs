//! `[printer]` of the config file: which profile, which connection.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrinterSettings {
    /// A profile name from `drivers/printers/` (e.g. `generic-58-big5`).
    pub profile: String,
    /// `tcp://HOST:9100`, `serial:///dev/ttyUSB0?baud=9600`,
    /// `usb://04b8:0202`, `file:///dev/usb/lp0`, or `virtual` (demo).
    pub transport: String,
}

impl Default for PrinterSettings {
    fn default() -> PrinterSettings {
        PrinterSettings {
            profile: "generic-58-big5".into(),
            transport: "virtual".into(),
        }
    }
}
