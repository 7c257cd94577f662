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
        .filter(|c| is_port_path(c))
        .last()
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

/// The device number (`MAJ:MIN`) of the filesystem mounted at `mount_point`.
pub fn device_of_mount(mountinfo: &str, mount_point: &Path) -> Option<String> {
    mountinfo.lines().rev().find_map(|line| {
        let fields: Vec<&str> = line.split(' ').collect();
        let (dev, point) = (fields.get(2)?, fields.get(4)?);
        (Path::new(&unescape(point)) == mount_point).then(|| dev.to_string())
    })
}

/// The USB port a mounted volume's block device hangs off, if it is a USB device at all.
pub fn port_of_mount(sys_root: &Path, mountinfo: &str, mount_point: &Path) -> Option<String> {
    let dev = device_of_mount(mountinfo, mount_point)?;
    let resolved = std::fs::canonicalize(sys_root.join("dev/block").join(dev)).ok()?;
    port_of_device_path(&resolved)
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
    mountinfo
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let (dev, point) = (fields.get(2)?, fields.get(4)?);
            devs.iter()
                .any(|d| d == dev)
                .then(|| PathBuf::from(unescape(point)))
        })
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
}
