//! `[scanner]` of the config file: which kind, which device, how codes end.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct ScannerSettings {
    /// `wedge` (keyboard), `serial`, `hid`.
    pub kind: String,
    /// Serial device path, or `VID:PID` for HID.
    #[serde(default)]
    pub device: String,
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// `cr`, `lf`, `crlf` or `idle`.
    #[serde(default = "default_terminator")]
    pub terminator: String,
    /// Characters the scanner adds before / after every code, stripped.
    #[serde(default)]
    pub strip_prefix: String,
    #[serde(default)]
    pub strip_suffix: String,
    /// Serial framing: 7 or 8 data bits, `none`/`odd`/`even` parity,
    /// 1 or 2 stop bits, `none`/`software`/`hardware` flow control.
    #[serde(default = "default_data_bits")]
    pub data_bits: u8,
    #[serde(default = "default_none")]
    pub parity: String,
    #[serde(default = "default_stop_bits")]
    pub stop_bits: u8,
    #[serde(default = "default_none")]
    pub flow_control: String,
    /// With `terminator = "idle"`: the silence that ends a code.
    #[serde(default = "default_idle_gap_ms")]
    pub idle_gap_ms: u64,
    /// USB HID scanners: `pos` (HID POS, usage page 0x8C) or `keyboard`.
    #[serde(default = "default_hid_mode")]
    pub hid_mode: String,
    /// HID POS report id (0 when the device sends none).
    #[serde(default = "default_hid_report_id")]
    pub hid_report_id: u8,
    /// Keyboard wedge: the longest gap between two keys of one scan, the
    /// shortest code taken as a scan, and the silence after which held
    /// keys are decided (and typed keys forwarded).
    #[serde(default = "default_wedge_max_gap_ms")]
    pub wedge_max_gap_ms: u64,
    #[serde(default = "default_wedge_min_len")]
    pub wedge_min_len: usize,
    #[serde(default = "default_wedge_idle_ms")]
    pub wedge_idle_ms: u64,
}

impl Default for ScannerSettings {
    fn default() -> ScannerSettings {
        ScannerSettings {
            kind: "wedge".into(),
            device: String::new(),
            baud: default_baud(),
            terminator: default_terminator(),
            strip_prefix: String::new(),
            strip_suffix: String::new(),
            data_bits: default_data_bits(),
            parity: default_none(),
            stop_bits: default_stop_bits(),
            flow_control: default_none(),
            idle_gap_ms: default_idle_gap_ms(),
            hid_mode: default_hid_mode(),
            hid_report_id: default_hid_report_id(),
            wedge_max_gap_ms: default_wedge_max_gap_ms(),
            wedge_min_len: default_wedge_min_len(),
            wedge_idle_ms: default_wedge_idle_ms(),
        }
    }
}

fn default_data_bits() -> u8 {
    8
}
fn default_none() -> String {
    "none".into()
}
fn default_stop_bits() -> u8 {
    1
}
fn default_idle_gap_ms() -> u64 {
    50
}
fn default_hid_mode() -> String {
    "pos".into()
}
fn default_hid_report_id() -> u8 {
    2
}
fn default_wedge_max_gap_ms() -> u64 {
    40
}
fn default_wedge_min_len() -> usize {
    6
}
fn default_wedge_idle_ms() -> u64 {
    60
}

fn default_baud() -> u32 {
    9600
}
fn default_terminator() -> String {
    "cr".into()
}
