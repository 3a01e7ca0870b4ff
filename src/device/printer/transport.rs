//! `[printer] transport` URLs → a [`Transport`], and opening one.

use std::path::PathBuf;
use std::time::Duration;

use serialport::FlowControl;

use super::{PrinterError, PrinterPort};
use crate::print::Profile;

/// Where the printer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// `tcp://HOST[:PORT]`, raw port 9100 ("JetDirect").
    Tcp { host: String, port: u16 },
    /// `serial:///dev/ttyUSB0?baud=9600&flow=hardware` (or `serial://COM3?…`).
    Serial {
        path: String,
        baud: u32,
        flow: FlowControl,
    },
    /// `usb://04b8:0202`: claimed through libusb.
    Usb { vid: u16, pid: u16 },
    /// `file:///dev/usb/lp0`: the kernel's printer device, or any file.
    File { path: PathBuf },
    /// `virtual`: the built-in virtual printer (PNG files), demo mode.
    Virtual,
}

/// Why a transport URL is not usable; each names what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    Scheme(String),
    NoHost(String),
    Port { url: String, port: String },
    NoPath(String),
    Baud { url: String, value: String },
    Flow { url: String, value: String },
    Param { url: String, param: String },
    UsbId(String),
    FilePath(String),
}
impl crate::locale::Localized for TransportError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Scheme(v0) => fill(lang, "words.printer_transport.scheme", &[("value", v0)]),
            Self::NoHost(v0) => fill(lang, "words.printer_transport.no_host", &[("value", v0)]),
            Self::Port { url, port } => fill(
                lang,
                "words.printer_transport.port",
                &[("url", url), ("port", port)],
            ),
            Self::NoPath(v0) => fill(lang, "words.printer_transport.no_path", &[("value", v0)]),
            Self::Baud { url, value } => fill(
                lang,
                "words.printer_transport.baud",
                &[("url", url), ("value", value)],
            ),
            Self::Flow { url, value } => fill(
                lang,
                "words.printer_transport.flow",
                &[("url", url), ("value", value)],
            ),
            Self::Param { url, param } => fill(
                lang,
                "words.printer_transport.param",
                &[("url", url), ("param", param)],
            ),
            Self::UsbId(v0) => fill(lang, "words.printer_transport.usb_id", &[("value", v0)]),
            Self::FilePath(v0) => fill(lang, "words.printer_transport.file_path", &[("value", v0)]),
        }
    }
}

crate::display_both!(TransportError);

/// Common serial rates: a typo such as 96000 is caught here, not at the printer.
const BAUDS: &[u32] = &[
    1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
];

impl Transport {
    pub fn parse(url: &str) -> Result<Transport, TransportError> {
        let url = url.trim();
        if url.eq_ignore_ascii_case("virtual") {
            return Ok(Transport::Virtual);
        }
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| TransportError::Scheme(url.to_string()))?;
        match scheme.to_ascii_lowercase().as_str() {
            "tcp" => {
                let rest = rest.trim_end_matches('/');
                if rest.is_empty() || rest.starts_with(':') {
                    return Err(TransportError::NoHost(url.to_string()));
                }
                let (host, port) = match rest.rsplit_once(':') {
                    // `[::1]:9100` or `host:9100`; a bare IPv6 address needs brackets.
                    Some((h, p)) if !h.is_empty() && (!h.contains(':') || h.ends_with(']')) => {
                        let port = p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
                            TransportError::Port {
                                url: url.to_string(),
                                port: p.to_string(),
                            }
                        })?;
                        (h, port)
                    }
                    _ => (rest, 9100),
                };
                if host.is_empty() {
                    return Err(TransportError::NoHost(url.to_string()));
                }
                Ok(Transport::Tcp {
                    host: host.trim_start_matches('[').trim_end_matches(']').into(),
                    port,
                })
            }
            "serial" => {
                let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
                if path.is_empty() {
                    return Err(TransportError::NoPath(url.to_string()));
                }
                let (mut baud, mut flow) = (9600, FlowControl::None);
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    match k {
                        "baud" => {
                            baud =
                                v.parse()
                                    .ok()
                                    .filter(|b| BAUDS.contains(b))
                                    .ok_or_else(|| TransportError::Baud {
                                        url: url.to_string(),
                                        value: v.to_string(),
                                    })?
                        }
                        "flow" => {
                            flow = match v {
                                "none" => FlowControl::None,
                                "hardware" | "rtscts" => FlowControl::Hardware,
                                "software" | "xonxoff" => FlowControl::Software,
                                _ => {
                                    return Err(TransportError::Flow {
                                        url: url.to_string(),
                                        value: v.to_string(),
                                    });
                                }
                            }
                        }
                        _ => {
                            return Err(TransportError::Param {
                                url: url.to_string(),
                                param: k.to_string(),
                            });
                        }
                    }
                }
                Ok(Transport::Serial {
                    path: path.to_string(),
                    baud,
                    flow,
                })
            }
            "usb" => {
                let bad = || TransportError::UsbId(url.to_string());
                let (v, p) = rest.trim_end_matches('/').split_once(':').ok_or_else(bad)?;
                let hex = |s: &str| {
                    (s.len() == 4)
                        .then(|| u16::from_str_radix(s, 16).ok())
                        .flatten()
                };
                Ok(Transport::Usb {
                    vid: hex(v).ok_or_else(bad)?,
                    pid: hex(p).ok_or_else(bad)?,
                })
            }
            "file" => {
                if !rest.starts_with('/') {
                    return Err(TransportError::FilePath(url.to_string()));
                }
                Ok(Transport::File {
                    path: PathBuf::from(rest),
                })
            }
            _ => Err(TransportError::Scheme(url.to_string())),
        }
    }

    /// Open a connection for one job.
    pub fn open(
        &self,
        timeout: Duration,
        profile: &Profile,
    ) -> Result<Box<dyn PrinterPort>, PrinterError> {
        match self {
            Transport::Tcp { host, port } => Ok(Box::new(super::tcp::TcpPort::connect(
                host, *port, timeout,
            )?)),
            Transport::Serial { path, baud, flow } => Ok(Box::new(
                super::serial::SerialPort::open(path, *baud, *flow)?,
            )),
            Transport::Usb { vid, pid } => Ok(Box::new(super::usb::open(*vid, *pid)?)),
            Transport::File { path } => Ok(Box::new(super::file::FilePort::open(path)?)),
            Transport::Virtual => Ok(Box::new(super::virtual_printer::VirtualPort::new(
                super::virtual_printer::default_dir(),
                profile.clone(),
            ))),
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            Transport::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Transport::Serial { path, baud, .. } => write!(f, "serial://{path}?baud={baud}"),
            Transport::Usb { vid, pid } => write!(f, "usb://{vid:04x}:{pid:04x}"),
            Transport::File { path } => write!(f, "file://{}", path.display()),
            Transport::Virtual => f.write_str("virtual"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_form_parses() {
        assert_eq!(
            Transport::parse("tcp://192.168.1.50:9100").unwrap(),
            Transport::Tcp {
                host: "192.168.1.50".into(),
                port: 9100
            }
        );
        assert_eq!(
            Transport::parse("tcp://printer.local").unwrap(),
            Transport::Tcp {
                host: "printer.local".into(),
                port: 9100
            }
        );
        assert_eq!(
            Transport::parse("tcp://[::1]:9101").unwrap(),
            Transport::Tcp {
                host: "::1".into(),
                port: 9101
            }
        );
        assert_eq!(
            Transport::parse("serial:///dev/ttyUSB0?baud=38400&flow=hardware").unwrap(),
            Transport::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 38400,
                flow: FlowControl::Hardware
            }
        );
        assert_eq!(
            Transport::parse("serial://COM3").unwrap(),
            Transport::Serial {
                path: "COM3".into(),
                baud: 9600,
                flow: FlowControl::None
            }
        );
        assert_eq!(
            Transport::parse("usb://04b8:0202").unwrap(),
            Transport::Usb {
                vid: 0x04b8,
                pid: 0x0202
            }
        );
        assert_eq!(
            Transport::parse("file:///dev/usb/lp0").unwrap(),
            Transport::File {
                path: "/dev/usb/lp0".into()
            }
        );
        assert_eq!(Transport::parse("VIRTUAL").unwrap(), Transport::Virtual);
    }

    #[test]
    fn mistakes_get_precise_errors() {
        use TransportError::*;
        let e = |s: &str| Transport::parse(s).unwrap_err();
        assert!(matches!(e("lpt1"), Scheme(_)));
        assert!(matches!(e("http://x"), Scheme(_)));
        assert!(matches!(e("tcp://:9100"), NoHost(_)));
        assert!(matches!(e("tcp://host:99999"), Port { .. }));
        assert!(matches!(e("tcp://host:0"), Port { .. }));
        assert!(matches!(e("serial://?baud=9600"), NoPath(_)));
        assert!(matches!(e("serial:///dev/ttyS0?baud=96000"), Baud { .. }));
        assert!(matches!(e("serial:///dev/ttyS0?flow=maybe"), Flow { .. }));
        assert!(matches!(e("serial:///dev/ttyS0?parity=odd"), Param { .. }));
        assert!(matches!(e("usb://4b8:202"), UsbId(_)));
        assert!(matches!(e("usb://04b8"), UsbId(_)));
        assert!(matches!(e("file://lp0"), FilePath(_)));
        let msg = e("serial:///dev/ttyS0?baud=96000").to_string();
        assert!(msg.contains("96000") && msg.contains("baud"), "{msg}");
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "tcp://10.0.0.9:9100",
            "usb://04b8:0e15",
            "file:///dev/usb/lp0",
            "virtual",
            "serial:///dev/ttyUSB0?baud=19200",
        ] {
            assert_eq!(Transport::parse(s).unwrap().to_string(), s);
        }
    }
}
