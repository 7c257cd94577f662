//! The bureau's hub: every station's ledger, read from the shared bucket, checked, and projected
//! into PostgreSQL. The bucket stays the system of record; every table here is a projection that
//! can be made again from it (`camdock hub rebuild` empties it and reads the bucket again).

pub mod alarm;
pub mod audit;
pub mod cursor;
pub mod enrolment;
pub mod fleet;
pub mod follow;
pub mod objects;
pub mod overview;
pub mod projection;
pub mod recorded_returns;
pub mod replication;
pub mod return_rule;
pub mod silence;

pub use alarm::Alarm;
pub use audit::{AuditFinding, check_recorded_returns, check_returns};
pub use cursor::{Cursor, Listed};
pub use enrolment::{ENROLMENTS, Enrolment};
pub use fleet::{BureauCamera, Published};
pub use follow::{
    CheckpointFinding, Enrolled, Followed, Head, Object, Segments, check_checkpoint, follow,
};
pub use objects::{DueClip, Look, ObjectFault, ObjectSeen, look_current, look_version};
pub use overview::{ClipQuery, FoundClip, StationStanding};
pub use projection::{Projection, ProjectionError, RaisedAlarm};
pub use return_rule::ReturnFault;
pub use silence::Heard;
