//! Dock events from folders: a folder appearing under the media root is a docked volume, one
//! disappearing an undock (inotify through notify; only direct children count). The demo and the
//! fast tests dock this way; a station whose cards are mounted by something other than udev can too.

use super::source::{DockEvent, DockSource, Docked, SlotNames};
use notify::{EventKind, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

pub struct FolderWatch {
    root: PathBuf,
    names: SlotNames,
}

impl FolderWatch {
    pub fn new(root: &Path, names: SlotNames) -> Self {
        FolderWatch {
            root: root.to_path_buf(),
            names,
        }
    }
}

fn docked(names: &SlotNames, volume: PathBuf) -> Docked {
    Docked {
        slot: names.name(&volume, None),
        volume,
        usb: None,
    }
}

impl DockSource for FolderWatch {
    fn watch(&self, events: UnboundedSender<DockEvent>) -> anyhow::Result<Box<dyn Send>> {
        let (root, names, tx) = (self.root.clone(), self.names.clone(), events.clone());
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            for path in event.paths {
                if path.parent() != Some(root.as_path()) {
                    continue;
                }
                // The event kind is only a hint (a rename is one event for two names): look at
                // what is there now.
                let is_volume = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
                let _ = tx.send(if is_volume {
                    DockEvent::Appeared(docked(&names, path))
                } else {
                    DockEvent::Vanished(path)
                });
            }
        })
        .map_err(|e| anyhow::anyhow!("cannot watch the media root {}: {e}", self.root.display()))?;
        watcher
            .watch(&self.root, RecursiveMode::NonRecursive)
            .map_err(|e| {
                anyhow::anyhow!("cannot watch the media root {}: {e}", self.root.display())
            })?;
        // Armed first, listed second: a folder arriving in between is reported twice, never missed.
        for d in self.present()? {
            let _ = events.send(DockEvent::Appeared(d));
        }
        Ok(Box::new(watcher))
    }

    fn present(&self) -> anyhow::Result<Vec<Docked>> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&self.root)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        found.sort();
        Ok(found.into_iter().map(|v| docked(&self.names, v)).collect())
    }
}
