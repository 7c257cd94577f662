//! What auditors run: verification of store and ledger, and evidence export packages; and the
//! scrub's repair of media facts a stop cut short (`reprobe`).

pub mod ascmhl;
pub mod export;
pub mod reprobe;
pub mod verify;
