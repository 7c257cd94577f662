//! The daemon: dock events in, dock sessions out.
//!
//! `source` says where dock events come from (one trait): `mounts` reads the kernel's mount table
//! (a station: udev mounts each card), `folders` watches folders (the demo, tests). `usb` reports
//! cameras on the bus that need the vendor protocol; `slots` holds each docked camera's live state;
//! `daemon` runs a session per docked volume with bounded parallelism and stops cleanly.

pub mod daemon;
pub mod folders;
pub mod mounts;
pub mod simulated;
pub mod slots;
pub mod source;
pub mod usb;

pub use daemon::serve;
pub use source::{DockEvent, DockSource, Docked};
