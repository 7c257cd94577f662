//! The daemon: dock events in, dock sessions out.
//!
//! `watcher` turns the media root into volume-appeared / volume-vanished events (notify, no
//! polling); `usb` reports cameras on the bus (`camera::sysfs` maps a USB port to its block device and
//! mount); `slots` holds each docked camera's live state; `daemon` runs sessions for them with
//! bounded parallelism and stops cleanly.

pub mod daemon;
pub mod simulated;
pub mod slots;
pub mod usb;
pub mod watcher;

pub use daemon::serve;

use std::path::PathBuf;

/// Something happened at a dock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DockEvent {
    /// A camera volume appeared under the media root (a mount, or a folder moved in).
    Appeared(PathBuf),
    /// A camera volume went away (unmounted, camera pulled).
    Vanished(PathBuf),
}
