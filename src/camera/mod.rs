//! What the station knows about a docked camera: who it is, what its clock says, how healthy it is,
//! and what its file names tell about each recording.

pub mod amba_usb;
pub mod binding;
pub mod clock;
pub mod fat;
pub mod filename;
pub mod health;
pub mod identity;
pub mod profile;
pub mod status_file;
pub mod sysfs;

/// Files the camera or the station keep at the volume root that are not recordings.
pub const CONTROL_FILES: &[&str] = &[
    status_file::FILE_NAME,
    clock::TIMESET_FILE,
    binding::FILE_NAME,
];
