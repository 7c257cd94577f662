//! A card's FAT/exFAT "volume dirty" flag, read at dock: set on a card pulled out of its camera
//! mid-write, so the fleet can say the card needs a look.
//!
//! The daemon runs as its own user and may not open the card's block device (nor should it: the
//! unit's device policy is closed). The udev rule that mounts a camera reads the flag as root
//! first (`camdock card-flags`, an `IMPORT{program}`) into the device's udev properties, which any
//! user may read under /run/udev/data, written before the mount starts. The direct read comes
//! first: it is what works for root (a one-shot `camdock ingest` of a card mounted by hand).

use crate::camera::sysfs;
use std::path::Path;

/// The udev property the rule sets: `1` dirty, `0` clean, absent for anything not FAT/exFAT.
pub const UDEV_PROPERTY: &str = "CAMDOCK_FS_DIRTY";
/// Where udev keeps each device's properties (`b` + `MAJ:MIN` for a block device).
const UDEV_DATA: &str = "/run/udev/data";

/// The flag of the card mounted at `volume`; None if nobody could read it or it is not FAT/exFAT.
pub fn of_mount(volume: &Path) -> Option<bool> {
    let dev = sysfs::device_of_mounted(volume).ok()??;
    camdock_card::fat::read_dirty_flag(&Path::new("/dev/block").join(&dev))
        .or_else(|| from_udev_db(Path::new(UDEV_DATA), &dev))
}

/// The flag as the udev rule recorded it for block device `dev` (`MAJ:MIN`).
pub fn from_udev_db(udev_data: &Path, dev: &str) -> Option<bool> {
    let db = std::fs::read_to_string(udev_data.join(format!("b{dev}"))).ok()?;
    let prefix = format!("E:{UDEV_PROPERTY}=");
    match db.lines().find_map(|l| l.strip_prefix(&prefix))? {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// What `camdock card-flags` prints for udev's `IMPORT{program}`: `KEY=VALUE` lines.
pub fn udev_properties(dirty: Option<bool>) -> String {
    dirty.map_or_else(String::new, |d| {
        format!("{UDEV_PROPERTY}={}\n", u8::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_udev_recorded_is_read_back_and_anything_else_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        // As udevd writes it (systemd 252), with the rule's property among the others.
        let db = |name: &str, line: &str| {
            std::fs::write(
                dir.path().join(name),
                format!("S:disk/by-id/usb-Linux_File-Stor_Gadget_5700001-0:0-part1\nI:7001\nE:ID_FS_TYPE=vfat\n{line}\nG:camdock\n"),
            )
            .unwrap()
        };
        // What `card-flags` printed, as udevd keeps it ("E:" + the program's KEY=VALUE line).
        let kept = |dirty| format!("E:{}", udev_properties(Some(dirty)).trim_end());
        db("b8:17", &kept(true));
        db("b8:33", &kept(false));
        db("b8:49", "E:ID_FS_USAGE=filesystem");
        db("b8:65", "E:CAMDOCK_FS_DIRTY=yes");
        assert_eq!(from_udev_db(dir.path(), "8:17"), Some(true));
        assert_eq!(from_udev_db(dir.path(), "8:33"), Some(false));
        assert_eq!(
            from_udev_db(dir.path(), "8:49"),
            None,
            "the rule did not run"
        );
        assert_eq!(
            from_udev_db(dir.path(), "8:65"),
            None,
            "not a value the rule writes"
        );
        assert_eq!(from_udev_db(dir.path(), "8:81"), None, "no such device");
        assert_eq!(udev_properties(None), "");
    }
}
