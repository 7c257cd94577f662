//! People and permissions: accounts with roles (`accounts.rs`), the role table (`role.rs`) and
//! two-person approvals of access to evidence (`approvals.rs`). The dashboard's sessions and the
//! command line's `--as` both end in an `Account`, whose name is the actor on every event.

pub mod accounts;
pub mod approvals;
pub mod role;

pub use accounts::Account;
pub use role::{Act, Role};
