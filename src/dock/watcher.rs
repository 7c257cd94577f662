//! Watches the media root with inotify (notify): a folder appearing is a docked volume, a folder
//! disappearing an undock. Only direct children of the media root count.

use super::DockEvent;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

/// Starts watching; events flow until the returned watcher is dropped.
pub fn watch(
    media_root: &Path,
    events: UnboundedSender<DockEvent>,
) -> notify::Result<RecommendedWatcher> {
    let root = media_root.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        for path in event.paths {
            if path.parent() != Some(root.as_path()) {
                continue;
            }
            // The event kind is only a hint (a rename is one event for two names): look at what is there now.
            let _ = events.send(classify(path));
        }
    })?;
    watcher.watch(media_root, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

fn classify(path: PathBuf) -> DockEvent {
    let is_volume = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
    if is_volume {
        DockEvent::Appeared(path)
    } else {
        DockEvent::Vanished(path)
    }
}

/// The volumes already under the media root (at start-up).
pub fn present(media_root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(media_root)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    found.sort();
    Ok(found)
}
