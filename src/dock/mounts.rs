//! Dock events from the kernel's mount table: a filesystem mounted directly under the media root
//! is a docked camera (udev mounts each card there, `udev/90-camdock.rules`), its unmount an undock.
//!
//! The mount point folder may outlive the mount (systemd-mount leaves it), and the next dock of
//! the same camera mounts on the same folder: so a folder means nothing here, only the mount does.
//! The kernel wakes a poll on `/proc/self/mountinfo` (POLLPRI) at every mount change; the table is
//! then read again and compared with the last one. The USB device behind each mount (serial,
//! VID:PID, port = slot) comes from sysfs.

use super::source::{DockEvent, DockSource, Docked, SlotNames};
use crate::camera::sysfs;
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc::UnboundedSender;

const MOUNTINFO: &str = "/proc/self/mountinfo";

pub struct MountWatch {
    root: PathBuf,
    sys_root: PathBuf,
    names: SlotNames,
}

impl MountWatch {
    pub fn new(root: &Path, names: SlotNames) -> Self {
        MountWatch {
            root: root.to_path_buf(),
            sys_root: PathBuf::from("/sys"),
            names,
        }
    }

    /// Mounts directly under the media root: mount point → (device `MAJ:MIN`, mount id). The id
    /// tells a re-dock from no change when the pull and the re-dock fall between two reads.
    fn docked_mounts(&self, mountinfo: &str) -> BTreeMap<PathBuf, (String, String)> {
        // A later mount on the same point hides an earlier one: table order, last wins.
        sysfs::mounts(mountinfo)
            .into_iter()
            .filter(|m| m.point.parent() == Some(self.root.as_path()))
            .map(|m| (m.point, (m.dev, m.id)))
            .collect()
    }

    /// The docks now: the mounts under the media root whose card is still there. A pulled card's
    /// block device leaves sysfs as the kernel sees the USB disconnect, while its unmount waits for
    /// systemd: on a station busy mounting other cameras, 2.4 s later in the bed's shift change
    /// (a pull on the record 3.2 s after the unbind). A mount on a block device (major not 0:
    /// tmpfs, FUSE and other anonymous devices have none) that sysfs no longer has is a pull.
    /// Where sysfs cannot be read at all, the mount alone says (never every card pulled at once).
    fn docks(&self, mountinfo: &str) -> BTreeMap<PathBuf, (String, String)> {
        let mut docks = self.docked_mounts(mountinfo);
        let devices = self.sys_root.join("dev/block");
        if devices.is_dir() {
            docks
                .retain(|_, (dev, _)| dev.starts_with("0:") || devices.join(dev.as_str()).exists());
        }
        docks
    }

    fn describe(&self, volume: &Path, dev: &str) -> Docked {
        let usb = sysfs::usb_device_of(&self.sys_root, dev);
        Docked {
            slot: self.names.name(volume, usb.as_ref()),
            volume: volume.to_path_buf(),
            usb,
        }
    }
}

/// Stops the watching thread when dropped.
struct Watching {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl DockSource for MountWatch {
    fn watch(&self, events: UnboundedSender<DockEvent>) -> anyhow::Result<Box<dyn Send>> {
        let mut table = std::fs::File::open(MOUNTINFO)
            .map_err(|e| anyhow::anyhow!("cannot read the mount table {MOUNTINFO}: {e}"))?;
        let watch = MountWatch {
            root: self.root.clone(),
            sys_root: self.sys_root.clone(),
            names: self.names.clone(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("mount-watch".into())
            .spawn(move || {
                let mut known: BTreeMap<PathBuf, (String, String)> = BTreeMap::new();
                let mut text = String::new();
                while !stopping.load(Ordering::SeqCst) {
                    text.clear();
                    if table
                        .rewind()
                        .and_then(|_| table.read_to_string(&mut text))
                        .is_err()
                    {
                        tracing::error!("reading {MOUNTINFO} failed; dock events stop");
                        return;
                    }
                    let now = watch.docks(&text);
                    for (point, mounted) in &known {
                        if now.get(point) != Some(mounted) {
                            let _ = events.send(DockEvent::Vanished(point.clone()));
                        }
                    }
                    for (point, mounted) in &now {
                        if known.get(point) != Some(mounted) {
                            let _ =
                                events.send(DockEvent::Appeared(watch.describe(point, &mounted.0)));
                        }
                    }
                    known = now;
                    wait_for_change(&table);
                }
            })?;
        Ok(Box::new(Watching {
            stop,
            thread: Some(thread),
        }))
    }

    fn present(&self) -> anyhow::Result<Vec<Docked>> {
        let text = std::fs::read_to_string(MOUNTINFO)?;
        Ok(self
            .docks(&text)
            .iter()
            .map(|(point, (dev, _))| self.describe(point, dev))
            .collect())
    }
}

/// Blocks until the mount table changes, or a fifth of a second passes: to see a stop request,
/// and a card's block device gone before its unmount (sysfs has no poll for that).
fn wait_for_change(table: &std::fs::File) {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = [PollFd::new(table, PollFlags::PRI)];
    let tick = Timespec {
        tv_sec: 0,
        tv_nsec: 200_000_000,
    };
    let _ = poll(&mut fds, Some(&tick));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mounts_directly_under_the_media_root_are_docks() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sysfs");
        let mountinfo = std::fs::read_to_string(root.join("mountinfo")).unwrap();
        let mut watch = MountWatch::new(Path::new("/run/camdock/media"), SlotNames::default());
        watch.sys_root = root;
        let docked = watch.docked_mounts(&mountinfo);
        assert_eq!(
            docked.keys().collect::<Vec<_>>(),
            [
                Path::new("/run/camdock/media/slot 1"),
                Path::new("/run/camdock/media/slot2")
            ]
        );
        let names = SlotNames([("1-2.3".to_string(), "slot 3".to_string())].into());
        watch.names = names;
        let d = watch.describe(Path::new("/run/camdock/media/slot 1"), "8:17");
        assert_eq!(d.slot, "slot 3");
        assert_eq!(d.usb.unwrap().serial.as_deref(), Some("5555555"));
        let unnamed = watch.describe(Path::new("/run/camdock/media/slot2"), "8:33");
        assert_eq!(unnamed.slot, "port 1-4");
    }

    #[test]
    fn a_card_whose_block_device_went_is_pulled_while_still_mounted() {
        let sys = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(sys.path().join("dev/block/8:33")).unwrap();
        let mut watch = MountWatch::new(Path::new("/run/camdock/media"), SlotNames::default());
        watch.sys_root = sys.path().to_path_buf();
        let table = "812 30 8:33 / /run/camdock/media/slot2 ro,nosuid - vfat /dev/sdc1 ro\n\
                     813 30 0:52 / /run/camdock/media/folder rw - tmpfs tmpfs rw\n";
        let point = Path::new("/run/camdock/media/slot2");
        let folder = Path::new("/run/camdock/media/folder");
        let docks = watch.docks(table);
        assert!(docks.contains_key(point) && docks.contains_key(folder));
        std::fs::remove_dir(sys.path().join("dev/block/8:33")).unwrap();
        let docks = watch.docks(table);
        assert!(!docks.contains_key(point), "its device went: pulled");
        assert!(
            docks.contains_key(folder),
            "no block device: a mount alone says"
        );
        watch.sys_root = sys.path().join("not-there");
        assert!(
            watch.docks(table).contains_key(point),
            "no sysfs to read: the mount alone says"
        );
    }

    #[test]
    fn a_redock_between_two_reads_of_the_table_is_still_a_new_mount() {
        let watch = MountWatch::new(Path::new("/run/camdock/media"), SlotNames::default());
        let line = |id: u32| {
            format!("{id} 30 8:33 / /run/camdock/media/slot2 ro,nosuid - vfat /dev/sdc1 ro\n")
        };
        let before = watch.docked_mounts(&line(812));
        let after = watch.docked_mounts(&line(845));
        let point = Path::new("/run/camdock/media/slot2");
        assert_eq!(before[point].0, after[point].0, "same card, same device");
        assert_ne!(
            before[point], after[point],
            "pulled and docked again: not the same mount"
        );
    }
}
