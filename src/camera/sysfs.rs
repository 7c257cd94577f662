//! From a mounted camera volume to the USB port it is plugged into, through the kernel's own
//! tables: `/proc/self/mountinfo` gives the mount's device number, `/sys/dev/block/MAJ:MIN`
//! resolves to the device path, and the USB port path (`<bus>-<port.port…>`) in it names the slot.
//!
//! Every function takes the sysfs root and mountinfo text as arguments so that tests run against
//! the tree in `fixtures/sysfs`.

use std::path::{Path, PathBuf};

/// A USB port path such as `1-2.3` (bus 1, port 2, hub port 3), the stable name of a dock slot.
pub fn port_of_device_path(device_path: &Path) -> Option<String> {
    device_path
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .rfind(|c| is_port_path(c))
        .map(str::to_string)
}

fn is_port_path(s: &str) -> bool {
    let Some((bus, ports)) = s.split_once('-') else {
        return false;
    };
    !bus.is_empty()
        && bus.chars().all(|c| c.is_ascii_digit())
        && !ports.is_empty()
        && ports
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// One line of `/proc/self/mountinfo`: which device is mounted where, as what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The kernel's id of this mount: a card unmounted and mounted again on the same point gets
    /// a new one, even when the two happen between two reads of the table.
    pub id: String,
    /// `MAJ:MIN` of the mounted filesystem's device.
    pub dev: String,
    pub point: PathBuf,
    pub fs_type: String,
    /// What was mounted (`/dev/sdb1`).
    pub source: String,
    /// Per-mount options (`ro,nosuid,…`).
    pub options: String,
}

/// Every mount in a mountinfo text, in table order (a later mount on the same point hides an
/// earlier one).
pub fn mounts(mountinfo: &str) -> Vec<Mount> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            // Optional fields end at a lone "-"; the fs type and source follow it.
            let dash = fields.iter().position(|f| *f == "-")?;
            Some(Mount {
                id: fields.first()?.to_string(),
                dev: fields.get(2)?.to_string(),
                point: PathBuf::from(unescape(fields.get(4)?)),
                options: fields.get(5)?.to_string(),
                fs_type: fields.get(dash + 1)?.to_string(),
                source: unescape(fields.get(dash + 2)?),
            })
        })
        .collect()
}

/// The device number (`MAJ:MIN`) of the filesystem mounted at `mount_point`.
pub fn device_of_mount(mountinfo: &str, mount_point: &Path) -> Option<String> {
    mounts(mountinfo)
        .into_iter()
        .rev()
        .find(|m| m.point == mount_point)
        .map(|m| m.dev)
}

/// The device number of the filesystem mounted at `volume`, from this process's mount table
/// (None: not a mount point).
pub fn device_of_mounted(volume: &Path) -> std::io::Result<Option<String>> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    Ok(device_of_mount(&mountinfo, volume))
}

/// The USB port a mounted volume's block device hangs off, if it is a USB device at all.
pub fn port_of_mount(sys_root: &Path, mountinfo: &str, mount_point: &Path) -> Option<String> {
    let dev = device_of_mount(mountinfo, mount_point)?;
    usb_device_of(sys_root, &dev).map(|d| d.port)
}

/// What the kernel knows of a USB device: its descriptor, as sysfs shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UsbDevice {
    /// The port path (`1-2.3`): where it is plugged in, the stable name of a dock slot.
    pub port: String,
    pub vid: u16,
    pub pid: u16,
    /// iSerial, when the device has one.
    pub serial: Option<String>,
    pub product: Option<String>,
}

impl UsbDevice {
    pub fn vid_pid(&self) -> String {
        format!("{:04x}:{:04x}", self.vid, self.pid)
    }
}

/// The USB device behind block device `dev` (`MAJ:MIN`), if it sits on USB.
pub fn usb_device_of(sys_root: &Path, dev: &str) -> Option<UsbDevice> {
    let resolved = std::fs::canonicalize(sys_root.join("dev/block").join(dev)).ok()?;
    let device = resolved
        .ancestors()
        .take_while(|d| d.starts_with(sys_root) && *d != sys_root)
        .find(|d| d.join("idVendor").is_file())?;
    let read = |name: &str| {
        std::fs::read_to_string(device.join(name))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let hex = |name: &str| read(name).and_then(|s| u16::from_str_radix(&s, 16).ok());
    Some(UsbDevice {
        port: port_of_device_path(device)?,
        vid: hex("idVendor")?,
        pid: hex("idProduct")?,
        serial: read("serial"),
        product: read("product"),
    })
}

/// Whether block device `dev` (`MAJ:MIN`) still exists: it goes the moment a USB camera is
/// pulled, before its filesystem is unmounted.
pub fn block_device_exists(sys_root: &Path, dev: &str) -> bool {
    sys_root.join("dev/block").join(dev).exists()
}

/// Block devices (`sdb`, …) on the USB port `port`.
pub fn block_devices_on_port(sys_root: &Path, port: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(sys_root.join("block")) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            std::fs::canonicalize(e.path())
                .ok()
                .and_then(|p| port_of_device_path(&p))
                .as_deref()
                == Some(port)
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    found
}

/// Where the partitions of `block_device` are mounted.
pub fn mounts_of(sys_root: &Path, mountinfo: &str, block_device: &str) -> Vec<PathBuf> {
    let base = sys_root.join("block").join(block_device);
    let mut devs = Vec::new();
    for dir in std::iter::once(base.clone()).chain(
        std::fs::read_dir(&base)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .map(|e| e.path()),
    ) {
        if let Ok(dev) = std::fs::read_to_string(dir.join("dev")) {
            devs.push(dev.trim().to_string());
        }
    }
    mounts(mountinfo)
        .into_iter()
        .filter(|m| devs.contains(&m.dev))
        .map(|m| m.point)
        .collect()
}

/// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (PathBuf, String) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sysfs");
        let mountinfo = std::fs::read_to_string(root.join("mountinfo")).unwrap();
        (root, mountinfo)
    }

    #[test]
    fn port_paths_are_recognised() {
        assert!(is_port_path("1-2.3") && is_port_path("2-1"));
        assert!(
            !is_port_path("1-2.3:1.0")
                && !is_port_path("usb1")
                && !is_port_path("0000:00:14.0")
                && !is_port_path("1-")
        );
    }

    #[test]
    fn maps_a_usb_port_to_its_block_device_and_mount() {
        let (root, mountinfo) = fixture();
        assert_eq!(
            block_devices_on_port(&root, "1-2.3"),
            vec!["sdb".to_string()]
        );
        assert_eq!(block_devices_on_port(&root, "1-4"), vec!["sdc".to_string()]);
        assert_eq!(
            mounts_of(&root, &mountinfo, "sdb"),
            vec![PathBuf::from("/run/camdock/media/slot 1")]
        );
        assert_eq!(
            port_of_mount(&root, &mountinfo, Path::new("/run/camdock/media/slot 1")).as_deref(),
            Some("1-2.3")
        );
        assert_eq!(
            port_of_mount(&root, &mountinfo, Path::new("/run/camdock/media/slot2")).as_deref(),
            Some("1-4")
        );
        assert_eq!(
            port_of_mount(&root, &mountinfo, Path::new("/")),
            None,
            "the root disk is not on USB"
        );
    }

    #[test]
    fn reads_the_usb_descriptor_behind_a_mount() {
        let (root, mountinfo) = fixture();
        let dev = device_of_mount(&mountinfo, Path::new("/run/camdock/media/slot 1")).unwrap();
        let usb = usb_device_of(&root, &dev).unwrap();
        assert_eq!(usb.port, "1-2.3");
        assert_eq!(usb.vid_pid(), "2e3b:0a01");
        assert_eq!(usb.serial.as_deref(), Some("5555555"));
        assert_eq!(usb.product.as_deref(), Some("Body Camera"));
        let no_serial = usb_device_of(&root, "8:33").unwrap();
        assert_eq!((no_serial.port.as_str(), no_serial.serial), ("1-4", None));
        assert_eq!(
            usb_device_of(&root, "254:0"),
            None,
            "the root disk is not on USB"
        );
        assert!(block_device_exists(&root, "8:17") && !block_device_exists(&root, "8:99"));
    }

    #[test]
    fn mountinfo_lines_give_device_point_type_and_source() {
        let (_, mountinfo) = fixture();
        let all = mounts(&mountinfo);
        let card = all.iter().find(|m| m.dev == "8:17").unwrap();
        assert_eq!(card.point, Path::new("/run/camdock/media/slot 1"));
        assert_eq!(
            (card.fs_type.as_str(), card.source.as_str()),
            ("vfat", "/dev/sdb1")
        );
        assert!(card.options.starts_with("ro,"));
    }
}
