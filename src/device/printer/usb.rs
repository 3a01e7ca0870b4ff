//! USB printers claimed directly through libusb: for printers with no
//! kernel printer-class driver bound, or on systems without `usblp`.
//!
//! The byte moving ([`UsbPort`]) works over a [`BulkDevice`] so it is tested
//! with a fake; [`RusbDevice`] is the libusb one. This has been exercised
//! only against the fake: the build machine has no USB bus.

use std::time::Duration;

use super::{PrinterError, PrinterPort, write_with_deadline};

/// What libusb says about an endpoint, reduced to what choosing one needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointInfo {
    pub address: u8,
    pub bulk: bool,
    pub input: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    pub number: u8,
    pub setting: u8,
    pub class: u8,
    pub endpoints: Vec<EndpointInfo>,
}

/// USB class 7: printer.
pub const CLASS_PRINTER: u8 = 7;
const CLASS_VENDOR: u8 = 0xFF;

/// The chosen interface: (interface, alternate setting, bulk OUT, bulk IN if any).
pub type Endpoints = (u8, u8, u8, Option<u8>);

/// A printer-class interface with a bulk OUT endpoint, else a
/// vendor-specific one (some Chinese printers), else none.
pub fn pick_endpoints(interfaces: &[InterfaceInfo]) -> Option<Endpoints> {
    let usable = |i: &InterfaceInfo| {
        let out = i.endpoints.iter().find(|e| e.bulk && !e.input)?;
        let inp = i.endpoints.iter().find(|e| e.bulk && e.input);
        Some((i.number, i.setting, out.address, inp.map(|e| e.address)))
    };
    [CLASS_PRINTER, CLASS_VENDOR].iter().find_map(|class| {
        interfaces
            .iter()
            .filter(|i| i.class == *class)
            .find_map(usable)
    })
}

/// Bulk transfers, as libusb offers them.
pub trait BulkDevice: Send {
    /// Bytes the device took, which may be fewer than offered; `Ok(0)` on
    /// a timeout with nothing taken.
    fn write_bulk(&mut self, data: &[u8], timeout: Duration) -> Result<usize, String>;
    /// `Ok(0)` on a timeout.
    fn read_bulk(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, String>;
    fn has_input(&self) -> bool;
}

/// Writes in chunks: libusb loses the count of a partly sent transfer on
/// timeout, so a small chunk limits what could be sent twice or lost.
pub const CHUNK: usize = 4096;

pub struct UsbPort<D: BulkDevice> {
    dev: D,
}

impl<D: BulkDevice> UsbPort<D> {
    pub fn new(dev: D) -> UsbPort<D> {
        UsbPort { dev }
    }

    pub fn device(&self) -> &D {
        &self.dev
    }
}

impl<D: BulkDevice> PrinterPort for UsbPort<D> {
    fn write_all(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), PrinterError> {
        write_with_deadline(bytes, timeout, |rest, left| {
            let chunk = &rest[..rest.len().min(CHUNK)];
            self.dev.write_bulk(chunk, left).map_err(PrinterError::Io)
        })
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, PrinterError> {
        if !self.dev.has_input() {
            return Ok(0);
        }
        // A printer answers in a 64-byte packet; read whole packets.
        let mut packet = [0u8; 64];
        let n = self
            .dev
            .read_bulk(&mut packet, timeout)
            .map_err(PrinterError::Io)?;
        let n = n.min(buf.len());
        buf[..n].copy_from_slice(&packet[..n]);
        Ok(n)
    }

    fn can_answer(&self) -> bool {
        self.dev.has_input()
    }
}

/// An opened USB device, as libusb offers it: what claiming a printer
/// needs. [`RusbHandle`] is libusb's; tests use a fake (no USB bus here).
pub trait UsbHandle: Send {
    /// The active configuration's interfaces.
    fn interfaces(&self) -> Result<Vec<InterfaceInfo>, String>;
    fn kernel_driver_active(&self, iface: u8) -> bool;
    fn detach_kernel_driver(&mut self, iface: u8) -> Result<(), String>;
    fn attach_kernel_driver(&mut self, iface: u8) -> Result<(), String>;
    fn claim_interface(&mut self, iface: u8) -> Result<(), String>;
    fn release_interface(&mut self, iface: u8) -> Result<(), String>;
    fn set_alternate_setting(&mut self, iface: u8, setting: u8) -> Result<(), String>;
    /// Bytes taken; `Ok(0)` on a timeout with nothing taken.
    fn write_bulk(&mut self, endpoint: u8, data: &[u8], timeout: Duration)
    -> Result<usize, String>;
    /// `Ok(0)` on a timeout.
    fn read_bulk(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, String>;
}

/// A printer interface claimed on a [`UsbHandle`]. The kernel's driver
/// (usblp) is detached while the job runs and given back on drop.
pub struct Claimed<H: UsbHandle> {
    handle: H,
    iface: u8,
    out: u8,
    input: Option<u8>,
    reattach: bool,
}

impl<H: UsbHandle> Claimed<H> {
    pub fn handle(&self) -> &H {
        &self.handle
    }
}

/// The printer as libusb opens it.
pub type RusbDevice = Claimed<RusbHandle>;

/// Find the printer's bulk endpoints, detach the kernel driver from its
/// interface, claim it and select its alternate setting.
pub fn claim<H: UsbHandle>(
    mut handle: H,
    target: &str,
) -> Result<UsbPort<Claimed<H>>, PrinterError> {
    let fail = |message: String| PrinterError::Connect {
        target: target.to_string(),
        message,
    };
    let interfaces = handle.interfaces().map_err(fail)?;
    let (iface, setting, out, input) = pick_endpoints(&interfaces)
        .ok_or_else(|| fail("沒有印表機的 bulk OUT 端點 / no printer bulk OUT endpoint".into()))?;
    let reattach = handle.kernel_driver_active(iface) && handle.detach_kernel_driver(iface).is_ok();
    let claimed = handle.claim_interface(iface).and_then(|()| {
        if setting != 0 {
            handle.set_alternate_setting(iface, setting)
        } else {
            Ok(())
        }
    });
    if let Err(e) = claimed {
        let _ = handle.release_interface(iface);
        if reattach {
            let _ = handle.attach_kernel_driver(iface);
        }
        return Err(fail(e));
    }
    Ok(UsbPort::new(Claimed {
        handle,
        iface,
        out,
        input,
        reattach,
    }))
}

/// libusb's device handle.
pub struct RusbHandle(rusb::DeviceHandle<rusb::Context>);

/// Timeouts are `Ok(0)`; an unplugged printer says so.
fn transfer(r: rusb::Result<usize>) -> Result<usize, String> {
    match r {
        Ok(n) => Ok(n),
        Err(rusb::Error::Timeout) | Err(rusb::Error::Interrupted) => Ok(0),
        Err(rusb::Error::NoDevice) => Err(UNPLUGGED.to_string()),
        Err(e) => Err(format!("USB: {e}")),
    }
}

/// What a transfer to a printer that was unplugged reports.
pub const UNPLUGGED: &str = "USB 印表機已拔除 / the USB printer was unplugged";

impl UsbHandle for RusbHandle {
    fn interfaces(&self) -> Result<Vec<InterfaceInfo>, String> {
        let config = self
            .0
            .device()
            .active_config_descriptor()
            .map_err(|e| e.to_string())?;
        Ok(config
            .interfaces()
            .flat_map(|i| i.descriptors())
            .map(|d| InterfaceInfo {
                number: d.interface_number(),
                setting: d.setting_number(),
                class: d.class_code(),
                endpoints: d
                    .endpoint_descriptors()
                    .map(|e| EndpointInfo {
                        address: e.address(),
                        bulk: e.transfer_type() == rusb::TransferType::Bulk,
                        input: e.direction() == rusb::Direction::In,
                    })
                    .collect(),
            })
            .collect())
    }
    fn kernel_driver_active(&self, iface: u8) -> bool {
        matches!(self.0.kernel_driver_active(iface), Ok(true))
    }
    fn detach_kernel_driver(&mut self, iface: u8) -> Result<(), String> {
        self.0
            .detach_kernel_driver(iface)
            .map_err(|e| e.to_string())
    }
    fn attach_kernel_driver(&mut self, iface: u8) -> Result<(), String> {
        self.0
            .attach_kernel_driver(iface)
            .map_err(|e| e.to_string())
    }
    fn claim_interface(&mut self, iface: u8) -> Result<(), String> {
        self.0
            .claim_interface(iface)
            .map_err(|e| format!("USB: {e}"))
    }
    fn release_interface(&mut self, iface: u8) -> Result<(), String> {
        self.0.release_interface(iface).map_err(|e| e.to_string())
    }
    fn set_alternate_setting(&mut self, iface: u8, setting: u8) -> Result<(), String> {
        self.0
            .set_alternate_setting(iface, setting)
            .map_err(|e| format!("USB: {e}"))
    }
    fn write_bulk(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, String> {
        transfer(self.0.write_bulk(endpoint, data, timeout))
    }
    fn read_bulk(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, String> {
        transfer(self.0.read_bulk(endpoint, buf, timeout))
    }
}

pub fn open(vid: u16, pid: u16) -> Result<UsbPort<RusbDevice>, PrinterError> {
    use rusb::UsbContext as _;
    let target = format!("usb://{vid:04x}:{pid:04x}");
    let fail = |message: String| PrinterError::Connect {
        target: target.clone(),
        message,
    };
    let ctx = rusb::Context::new().map_err(|e| fail(e.to_string()))?;
    let handle = ctx.open_device_with_vid_pid(vid, pid).ok_or_else(|| {
        fail("找不到裝置或沒有權限(見 till devices 與 drivers/udev/README.md)/ not found or no permission (see till devices and drivers/udev/README.md)".into())
    })?;
    claim(RusbHandle(handle), &target)
}

impl<H: UsbHandle> BulkDevice for Claimed<H> {
    fn write_bulk(&mut self, data: &[u8], timeout: Duration) -> Result<usize, String> {
        self.handle.write_bulk(self.out, data, timeout)
    }

    fn read_bulk(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, String> {
        let Some(ep) = self.input else { return Ok(0) };
        self.handle.read_bulk(ep, buf, timeout)
    }

    fn has_input(&self) -> bool {
        self.input.is_some()
    }
}

impl<H: UsbHandle> Drop for Claimed<H> {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.iface);
        if self.reattach {
            let _ = self.handle.attach_kernel_driver(self.iface);
        }
    }
}

/// A USB device on the bus, for `till devices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbInfo {
    pub vid: u16,
    pub pid: u16,
    pub bus: u8,
    pub address: u8,
    /// Has a printer-class interface.
    pub printer: bool,
    pub product: Option<String>,
}

/// USB devices, or why they cannot be listed (no bus, no permission).
pub fn list() -> Result<Vec<UsbInfo>, String> {
    use rusb::UsbContext as _;
    let ctx = rusb::Context::new().map_err(|e| e.to_string())?;
    let devices = ctx.devices().map_err(|e| e.to_string())?;
    Ok(devices
        .iter()
        .filter_map(|d| {
            let desc = d.device_descriptor().ok()?;
            let printer = d.active_config_descriptor().is_ok_and(|c| {
                c.interfaces()
                    .flat_map(|i| i.descriptors())
                    .any(|i| i.class_code() == CLASS_PRINTER)
            });
            let product = d
                .open()
                .ok()
                .and_then(|h| h.read_product_string_ascii(&desc).ok());
            Some(UsbInfo {
                vid: desc.vendor_id(),
                pid: desc.product_id(),
                bus: d.bus_number(),
                address: d.address(),
                printer,
                product,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(address: u8, bulk: bool, input: bool) -> EndpointInfo {
        EndpointInfo {
            address,
            bulk,
            input,
        }
    }

    #[test]
    fn printer_class_interface_is_preferred_over_vendor_and_hid() {
        let ifaces = vec![
            InterfaceInfo {
                number: 0,
                setting: 0,
                class: 3,
                endpoints: vec![ep(0x81, false, true)],
            },
            InterfaceInfo {
                number: 1,
                setting: 0,
                class: 0xFF,
                endpoints: vec![ep(0x03, true, false)],
            },
            InterfaceInfo {
                number: 2,
                setting: 0,
                class: CLASS_PRINTER,
                endpoints: vec![ep(0x82, true, true), ep(0x01, true, false)],
            },
        ];
        assert_eq!(pick_endpoints(&ifaces), Some((2, 0, 0x01, Some(0x82))));
        assert_eq!(pick_endpoints(&ifaces[..2]), Some((1, 0, 0x03, None)));
        assert_eq!(pick_endpoints(&ifaces[..1]), None);
    }
}
