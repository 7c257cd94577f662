//! What the station knows about a docked camera: who it is, what its clock says, how healthy it is,
//! and what its file names tell about each recording.

pub mod amba_usb;
pub mod attention;
pub mod binding;
pub mod clock;
pub mod clock_window;
pub mod dirty_flag;
pub mod filename;
pub mod health;
pub mod identity;
pub mod profile;
pub mod status_file;
pub mod sysfs;

/// Reads a small control file at the volume root: never through a symlink, never more than
/// `max` bytes (a hostile card can make any file huge), invalid UTF-8 replaced.
pub fn read_control_file(volume: &std::path::Path, name: &str, max: u64) -> Option<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // Checked on the open file itself, so a link or fifo swapped in after a check cannot be opened
    // through (O_NOFOLLOW) or block the dock (O_NONBLOCK).
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(volume.join(name))
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Files the camera or the station keep at the volume root that are not recordings.
pub const CONTROL_FILES: &[&str] = &[
    status_file::FILE_NAME,
    clock::TIMESET_FILE,
    binding::FILE_NAME,
];
