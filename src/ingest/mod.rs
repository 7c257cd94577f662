//! From a mounted camera volume to stored, verified, committed clips.
//!
//! `walk` lists what is on the card (safely), `copy` streams one clip through the single-pass
//! fan-out into a staging file, and `session` runs one dock session end to end.

pub mod cancel;
pub mod clip_log;
pub mod commit;
pub mod copy;
pub mod facts;
pub mod housekeeping;
pub mod presence;
pub mod progress;
pub mod sample;
pub mod session;
pub mod throttle;
pub mod walk;

pub use cancel::{Cancel, StopReason};
pub use progress::Progress;
pub use session::{ClipLog, ClipOutcome, IngestOptions, IngestReport, Ingestor, Outcome};
