//! `DEVICE.TXT`, the camera's status file (`camdock_card::status_file`), read from a docked volume.

pub use camdock_card::status_file::*;

use std::path::Path;

/// Reads `DEVICE.TXT` from a volume root, if there is one. Never follows a symlink.
pub fn read(volume: &Path) -> Option<StatusFile> {
    Some(parse(&super::read_control_file(
        volume, FILE_NAME, MAX_BYTES,
    )?))
}
