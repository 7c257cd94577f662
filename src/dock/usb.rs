//! USB hotplug through libusb (rusb): cameras that must be spoken to before their storage appears.
//!
//! A mass-storage camera needs nothing from here: udev mounts its card and the mount is the dock
//! (`mounts.rs`, with the USB facts from sysfs). A vendor-protocol camera (amba-usb) first shows
//! only its vendor interface: the station logs in, reads its id, sets its clock and switches it to
//! storage mode (`camera::amba_usb::prepare`), after which its card appears on the same port.
//!
//! USB is optional at runtime: where there is no bus (a container) `Context::new()` fails, which
//! is logged once, and the station finds cameras by their mounts alone.

use crate::camera::amba_usb::{self, Prepared};
use rusb::{Context, Device, Hotplug, HotplugBuilder, Registration, UsbContext};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// A vendor-protocol camera was prepared (or could not be) on a USB port.
pub type PrepareOutcome = Result<Prepared, (String, String)>;

pub struct UsbWatch {
    stop: Arc<AtomicBool>,
    _registration: Registration<Context>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for UsbWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `<bus>-<port.port…>`: the same name sysfs uses, so a slot is named the same from both sides.
pub fn port_path(bus: u8, ports: &[u8]) -> String {
    let ports: Vec<String> = ports.iter().map(u8::to_string).collect();
    format!("{bus}-{}", ports.join("."))
}

struct Handler {
    prepared: UnboundedSender<PrepareOutcome>,
    zone: crate::time::StationZone,
}

impl Hotplug<Context> for Handler {
    fn device_arrived(&mut self, device: Device<Context>) {
        let Ok(desc) = device.device_descriptor() else {
            return;
        };
        let Ok(ports) = device.port_numbers() else {
            return;
        };
        let port = port_path(device.bus_number(), &ports);
        let id = (desc.vendor_id(), desc.product_id());
        tracing::debug!(port, "USB device {:04x}:{:04x} attached", id.0, id.1);
        if id != (amba_usb::VENDOR_ID, amba_usb::PRODUCT_ID) || !amba_usb::in_vendor_mode(&device) {
            return;
        }
        // No I/O inside a libusb callback: the protocol runs on a thread of its own. The serial
        // comes from sysfs, which the kernel fills before announcing the device: opening the
        // device to ask it can be denied until udev has given its node to the station's group.
        let (tx, zone) = (self.prepared.clone(), self.zone.clone());
        std::thread::spawn(move || {
            let serial = std::fs::read_to_string(format!("/sys/bus/usb/devices/{port}/serial"))
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .or_else(|| {
                    device
                        .open()
                        .ok()
                        .and_then(|h| h.read_serial_number_string_ascii(&desc).ok())
                });
            tracing::info!(port, serial = ?serial, "vendor-protocol camera: preparing it for ingest");
            let wall = || zone.utc_to_wall(chrono::Utc::now());
            let outcome = amba_usb::prepare(&port, serial.as_deref(), wall).map_err(|e| (port, e));
            let _ = tx.send(outcome);
        });
    }

    fn device_left(&mut self, device: Device<Context>) {
        if let Ok(ports) = device.port_numbers() {
            tracing::debug!(
                port = port_path(device.bus_number(), &ports),
                "USB device detached"
            );
        }
    }
}

/// Starts hotplug monitoring, or returns None (logged) where USB is unavailable.
pub fn start(
    prepared: UnboundedSender<PrepareOutcome>,
    zone: crate::time::StationZone,
) -> Option<UsbWatch> {
    let context = match Context::new() {
        Ok(c) => c,
        Err(e) => {
            tracing::info!("USB unavailable ({e}); cameras are found by their mounts only");
            return None;
        }
    };
    if !rusb::has_hotplug() {
        tracing::info!(
            "libusb has no hotplug support here; cameras are found by their mounts only"
        );
        return None;
    }
    let handler = Handler { prepared, zone };
    let registration = match HotplugBuilder::new()
        .enumerate(true)
        .register(&context, Box::new(handler))
    {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(
                "USB hotplug registration failed ({e}); cameras are found by their mounts only"
            );
            return None;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("usb-events".into())
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let _ = context.handle_events(Some(Duration::from_millis(250)));
                }
            })
            .ok()
    };
    Some(UsbWatch {
        stop,
        _registration: registration,
        thread,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn port_paths_match_sysfs_names() {
        assert_eq!(super::port_path(1, &[2, 3]), "1-2.3");
        assert_eq!(super::port_path(2, &[1]), "2-1");
    }
}
