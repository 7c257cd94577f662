//! The details of the events custody decisions are taken from, typed once: the station writes
//! them with these, and the replay (`custody`) reads them back with the same types, so a field
//! renamed on one side cannot silently stop counting on the other.

use serde::{Deserialize, Serialize};

/// `hold-placed` and `hold-released`: on the event's clip, or (no clip) on `case`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HoldDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    pub reason: String,
}

/// What the replay reads of `clip-stored` and `clip-already-stored`: whether the camera marked
/// the recording important (`_IMP`: kept longer). Absent in events written before it was recorded.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RecordingMark {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub important: Option<bool>,
}

/// `clip-tagged`: the clip joins `case` (if named); party and matter are descriptive.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TagDetail {
    pub case: Option<String>,
    pub party: Option<String>,
    pub matter: Option<String>,
}

/// `clip-untagged`: the clip leaves `case`, for `reason`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UntagDetail {
    pub case: String,
    pub reason: String,
}

/// `account-created`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AccountCreatedDetail {
    pub account: String,
    pub roles: Vec<String>,
    pub how: String,
    pub one_time_secret: bool,
}

/// `account-changed`: a password (`one_time_secret` when someone else set it) or the roles.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AccountChangedDetail {
    pub account: String,
    pub change: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_time_secret: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

/// `account-disabled`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AccountDisabledDetail {
    pub account: String,
    pub reason: String,
}

/// `approval-requested`: the act, on the event's clip or on `case`, and why. `clips` is what the
/// approver is shown and approves: the clips the act will touch, fixed at the request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApprovalRequestedDetail {
    pub act: String,
    pub case: Option<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clips: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<u32>,
}

/// `approval-decided`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApprovalDecidedDetail {
    pub request: i64,
    pub act: String,
    pub case: Option<String>,
    pub requested_by: String,
    pub approved: bool,
    pub note: String,
    pub expires_at: Option<String>,
}

/// `approval-used`: a once-only approval spent, just before its act.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApprovalUsedDetail {
    pub request: i64,
    pub act: String,
}

/// `approvals-voided`: the approvals an approver gave and that were not used, when the approver
/// was disabled.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApprovalsVoidedDetail {
    pub approver: String,
    pub requests: Vec<i64>,
}
