//! Is the camera still in its dock? A pulled USB camera's reads fail (EIO, ENODEV) a moment before
//! its filesystem is unmounted, and its mount point folder outlives the mount: neither the error
//! nor the folder says whether the card went. Its block device does: the kernel removes it the
//! moment the camera leaves the bus, so a read error while the device is gone is a pull (an
//! interruption, resumed at the next dock), and one while it stays is a failing card.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long after a read error the device may take to go, if the camera was pulled.
pub const PULL_GRACE: Duration = Duration::from_secs(2);

pub struct Presence {
    volume: PathBuf,
    /// The volume's device at dock (`st_dev`).
    dev: Option<u64>,
    sys_root: PathBuf,
}

impl Presence {
    /// The volume as it is at dock.
    pub fn of(volume: &Path) -> Presence {
        Presence {
            volume: volume.to_path_buf(),
            dev: std::fs::metadata(volume).ok().map(|m| m.dev()),
            sys_root: PathBuf::from("/sys"),
        }
    }

    /// Still docked: the volume is there, on the same device, and that device (if it is a block
    /// device at all: FUSE and tmpfs have none) still exists.
    pub fn here(&self) -> bool {
        let Ok(meta) = std::fs::metadata(&self.volume) else {
            return false;
        };
        if Some(meta.dev()) != self.dev {
            return false;
        }
        let (major, minor) = (libc::major(meta.dev()), libc::minor(meta.dev()));
        major == 0
            || crate::camera::sysfs::block_device_exists(
                &self.sys_root,
                &format!("{major}:{minor}"),
            )
    }

    /// After a read error: whether the camera turns out to have left within `grace`.
    pub fn left_within(&self, grace: Duration) -> bool {
        let started = Instant::now();
        loop {
            if !self.here() {
                return true;
            }
            if started.elapsed() >= grace {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_volume_moved_away_has_left_and_one_that_stays_has_not() {
        let dir = tempfile::tempdir().unwrap();
        let vol = dir.path().join("cam");
        std::fs::create_dir(&vol).unwrap();
        let p = Presence::of(&vol);
        assert!(p.here());
        assert!(!p.left_within(Duration::from_millis(120)));
        std::fs::rename(&vol, dir.path().join("elsewhere")).unwrap();
        assert!(!p.here());
        assert!(p.left_within(Duration::ZERO));
    }

    #[test]
    fn a_card_whose_block_device_went_has_left() {
        // The same volume, but its device number is not in (fixture) sysfs: pulled.
        let dir = tempfile::tempdir().unwrap();
        let mut p = Presence::of(dir.path());
        p.sys_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sysfs");
        let dev = std::fs::metadata(dir.path()).unwrap().dev();
        let known = ["254:0", "8:17", "8:33"]
            .contains(&format!("{}:{}", libc::major(dev), libc::minor(dev)).as_str());
        assert_eq!(p.here(), libc::major(dev) == 0 || known);
    }
}
