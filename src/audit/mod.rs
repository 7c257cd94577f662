//! What auditors run: verification of store and ledger, and evidence export packages.

pub mod ascmhl;
pub mod export;
pub mod verify;
