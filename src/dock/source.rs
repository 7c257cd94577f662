//! Where dock events come from: one trait, two sources behind it.
//!
//! On a station the kernel says when a camera docks: udev mounts its card under the media root
//! (`udev/90-camdock.rules`) and the mount table changes (`mounts.rs`). For the demo and fast tests a
//! folder moved into the media root stands in for that mount (`folders.rs`). Both feed the same
//! slot path in `daemon.rs`, so the demo runs exactly what a station runs from the event on.

use crate::camera::sysfs::UsbDevice;
use crate::config::{DockConfig, SourceKind};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

/// A camera volume in a dock slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Docked {
    /// Where its files are (a mount point, or a folder under the media root).
    pub volume: PathBuf,
    /// The dock slot's name, as the station's staff know it ("slot 3").
    pub slot: String,
    /// The USB device the card is on, when the kernel knows it.
    pub usb: Option<UsbDevice>,
}

/// Something happened at a dock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DockEvent {
    /// A camera volume appeared (a card mounted, or a folder moved in).
    Appeared(Docked),
    /// A camera volume went away (unmounted, camera pulled).
    Vanished(PathBuf),
}

/// Reports docks and undocks under the media root.
pub trait DockSource: Send {
    /// Starts reporting: first an `Appeared` for every volume docked now, then each change as it
    /// happens, until the returned guard is dropped.
    fn watch(&self, events: UnboundedSender<DockEvent>) -> anyhow::Result<Box<dyn Send>>;

    /// The volumes docked now.
    fn present(&self) -> anyhow::Result<Vec<Docked>>;
}

/// The source the config asks for, watching `media_root` (canonical).
pub fn from_config(config: &DockConfig, media_root: &Path) -> Box<dyn DockSource> {
    let names = SlotNames(config.slots.clone());
    match config.source {
        SourceKind::Mounts => Box::new(super::mounts::MountWatch::new(media_root, names)),
        SourceKind::Folders => Box::new(super::folders::FolderWatch::new(media_root, names)),
    }
}

/// `[dock.slots]`: USB port path → the slot's name on the station ("1-2.3" = "slot 3").
#[derive(Clone, Debug, Default)]
pub struct SlotNames(pub std::collections::BTreeMap<String, String>);

impl SlotNames {
    /// A USB card's slot is its port's name (or "port 1-2.3" when the map has none); a folder's
    /// is its own name.
    pub fn name(&self, volume: &Path, usb: Option<&UsbDevice>) -> String {
        match usb {
            Some(d) => self
                .0
                .get(&d.port)
                .cloned()
                .unwrap_or_else(|| format!("port {}", d.port)),
            None => volume
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| volume.display().to_string()),
        }
    }
}
