//! What the station knows about a docked camera: who it is, what its clock says, how healthy it is,
//! and what its file names tell about each recording.

pub mod clock;
pub mod filename;
pub mod health;
pub mod identity;
pub mod status_file;

/// Files the camera or the station keep at the volume root that are not recordings.
pub const CONTROL_FILES: &[&str] = &[
    status_file::FILE_NAME,
    clock::TIMESET_FILE,
    identity::BINDING_FILE,
];
