//! The custody record's vocabulary (see README.md): event kinds, the hash chain, signed
//! checkpoints and the segment format, with no storage of their own.

#![forbid(unsafe_code)]

pub mod attention;
pub mod chain;
pub mod checkpoint;
pub mod custody;
pub mod detail;
pub mod event;
pub mod facts;
pub mod kind;
pub mod returns;
pub mod review;
pub mod segment;

pub use chain::{Chain, ChainBreak, GENESIS, event_hash};
pub use checkpoint::Checkpoint;
pub use event::{NewEvent, StoredEvent};
pub use kind::EventKind;
