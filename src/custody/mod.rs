//! Custody workflows over the ledger: overdue cameras and notifications, attention items seen to,
//! handovers, interruptions explained, the access register, case tags, holds and retention, spot checks, compliance per officer, and signed checkpoints of the
//! chain head.

pub mod access;
pub mod attention;
pub mod checkpoint;
pub mod compliance;
pub mod handover;
pub mod interruptions;
pub mod overdue;
pub mod retention;
pub mod returns;
pub mod review;
pub mod tags;
