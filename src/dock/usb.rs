//! USB hotplug through libusb (rusb): which camera is on which port (= dock slot).
//!
//! USB is optional at runtime: where there is no bus (a VM, a container) `Context::new()` fails,
//! which is logged once, and the station finds cameras by their mounts alone.

use rusb::{Context, Device, Hotplug, HotplugBuilder, Registration, UsbContext};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the bus said about a device on a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsbCamera {
    pub port: String,
    pub vid: u16,
    pub pid: u16,
    pub serial: Option<String>,
}

/// Devices currently on the bus, by port path.
pub type Attached = Arc<Mutex<BTreeMap<String, UsbCamera>>>;

pub struct UsbWatch {
    pub attached: Attached,
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

fn describe<T: UsbContext>(device: &Device<T>) -> Option<UsbCamera> {
    let desc = device.device_descriptor().ok()?;
    let port = port_path(device.bus_number(), &device.port_numbers().ok()?);
    let serial = device
        .open()
        .ok()
        .and_then(|h| h.read_serial_number_string_ascii(&desc).ok());
    Some(UsbCamera {
        port,
        vid: desc.vendor_id(),
        pid: desc.product_id(),
        serial,
    })
}

struct Handler(Attached);

impl Hotplug<Context> for Handler {
    fn device_arrived(&mut self, device: Device<Context>) {
        if let Some(cam) = describe(&device) {
            tracing::info!(port = cam.port, vid = format!("{:04x}", cam.vid), pid = format!("{:04x}", cam.pid), serial = ?cam.serial, "USB device attached");
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(cam.port.clone(), cam);
        }
    }

    fn device_left(&mut self, device: Device<Context>) {
        if let Ok(ports) = device.port_numbers() {
            let port = port_path(device.bus_number(), &ports);
            tracing::info!(port, "USB device detached");
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&port);
        }
    }
}

/// Starts hotplug monitoring, or returns None (logged) where USB is unavailable.
pub fn start() -> Option<UsbWatch> {
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
    let attached: Attached = Default::default();
    let registration = match HotplugBuilder::new()
        .enumerate(true)
        .register(&context, Box::new(Handler(attached.clone())))
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
        attached,
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
