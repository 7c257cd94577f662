//! Media facts from libav (ffmpeg-next over the system's FFmpeg).

pub mod probe;
pub mod sandbox;
pub mod speech;

pub use probe::{Integrity, MediaFacts, probe};
pub use sandbox::{PendingProbe, probe_isolated, start_probe};

/// Extensions the station treats as recordings (design §4).
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "mp4", "mov", "avi", "flv", "mkv", "ts", "mts", "m2ts", "3gp", "wav", "mp3", "aac", "amr",
    "jpg", "jpeg", "png", "bmp",
];

pub fn is_media_extension(ext: &str) -> bool {
    MEDIA_EXTENSIONS.iter().any(|m| m.eq_ignore_ascii_case(ext))
}

/// libav keeps global state and logs to stderr; initialise once and keep it quiet.
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        ffmpeg_next::init().expect("libav initialises");
        ffmpeg_next::util::log::set_level(ffmpeg_next::util::log::Level::Quiet);
    });
}
