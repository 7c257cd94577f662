//! Every event's detail, typed once: the station writes each kind's detail with its type here,
//! and whoever reads the record (the custody replay, the bureau hub, an auditor's verifier) reads
//! it back with the same type, so a field renamed on one side cannot silently stop counting on the
//! other. `Details` names the type of every kind (`details!` below: a kind without one does not
//! compile), and the ledger refuses to append a detail that does not fit its kind's type
//! (`Details::check`: a field the type lacks, or of another type).
//!
//! The types of the kinds custody decisions are taken from (holds, tags, accounts, approvals) are
//! read strictly by the replay; the others default a field that is absent, so a record written
//! before the field was added still reads.

use crate::attention::Attention;
use crate::custody::Difference;
use crate::facts::{ClockCheck, Driver, Gap, Health, Immutability, MediaFacts, Skipped};
use crate::kind::EventKind;
use camdock_card::binding::{Binding, BindingCheck};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `hold-placed` and `hold-released`: on the event's clip, or (no clip) on `case`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HoldDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    pub reason: String,
}

/// What the replay reads of `clip-stored` and `clip-already-stored`: whether the camera marked
/// the recording important (`_IMP`: kept longer). Absent in events written before it was recorded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordingMark {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub important: Option<bool>,
}

/// `clip-tagged`: the clip joins `case` (if named); party and matter are descriptive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TagDetail {
    pub case: Option<String>,
    pub party: Option<String>,
    pub matter: Option<String>,
}

/// `clip-untagged`: the clip leaves `case`, for `reason`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UntagDetail {
    pub case: String,
    pub reason: String,
}

/// `account-created`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountCreatedDetail {
    pub account: String,
    pub roles: Vec<String>,
    pub how: String,
    pub one_time_secret: bool,
}

/// `account-changed`: a password (`one_time_secret` when someone else set it) or the roles.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountChangedDetail {
    pub account: String,
    pub change: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_time_secret: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

/// `account-disabled`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountDisabledDetail {
    pub account: String,
    pub reason: String,
}

/// `approval-requested`: the act, on the event's clip or on `case`, and why. `clips` is what the
/// approver is shown and approves: the clips the act will touch, fixed at the request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequestedDetail {
    pub act: String,
    pub case: Option<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clips: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<u32>,
    /// For a view asked for a spot check: the draw (its `review-drawn` seq) that holds the clip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<i64>,
}

/// `approval-decided`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApprovalUsedDetail {
    pub request: i64,
    pub act: String,
}

/// `approvals-voided`: the approvals an approver gave and that were not used, when the approver
/// was disabled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApprovalsVoidedDetail {
    pub approver: String,
    pub requests: Vec<i64>,
}

/// The derives of every detail below: absent fields default (older records), unknown ones are
/// refused (a writer that adds a field adds it here first).
macro_rules! detail {
    ($(#[$doc:meta])* $name:ident { $($body:tt)* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name { $($body)* }
    };
}

detail! {
    /// `camera-docked`: who the camera is and how the station knew it, where it was docked.
    CameraDockedDetail {
        pub session: i64,
        pub volume: String,
        pub profile: String,
        pub driver: Driver,
        /// Where the camera's id came from: usb, status-file, binding, file-names, operator, volume-name.
        pub identity_source: String,
        pub identity_flags: Vec<Attention>,
        pub binding: Option<BindingCheck>,
        pub officer: Option<String>,
        pub slot: Option<String>,
        pub usb_serial: Option<String>,
        /// `vvvv:pppp`.
        pub usb_id: Option<String>,
        pub usb_port: Option<String>,
        pub resumes_session: Option<i64>,
        pub clips_listed: u64,
        /// DEVICE.TXT as read, key by key.
        pub status_file: Option<BTreeMap<String, String>>,
        pub status_file_problems: Option<Vec<String>>,
    }
}

detail! {
    /// `camera-undocked`: at the end of a session (`state` and the counts), or found gone by the
    /// station (`volume` and `how`).
    CameraUndockedDetail {
        pub session: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub state: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub stored: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub already_stored: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub failed: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub at: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub volume: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub how: Option<String>,
    }
}

detail! {
    /// `session-interrupted`.
    SessionInterruptedDetail {
        pub session: i64,
        pub clips_listed: u64,
        pub clips_handled: u64,
        pub why: String,
    }
}

detail! {
    /// How a stored clip was checked at this dock.
    Checked {
        /// `read and hashed in full`, or `sample` (recognised by name, size, mtime and sampled bytes).
        pub how: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub offsets: Option<Vec<u64>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub window_bytes: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub bytes_compared: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub note: Option<String>,
    }
}

detail! {
    /// `clip-stored` and `clip-already-stored`.
    ClipStoredDetail {
        pub session: i64,
        pub source: String,
        pub bytes: u64,
        /// None when the clip was recognised without being hashed again.
        pub blake3: Option<String>,
        pub checked: Checked,
        pub store_path: String,
        pub immutable: Option<Immutability>,
        pub officer: Option<String>,
        pub sequence: Option<u32>,
        pub recorded_at: Option<String>,
        pub recorded_at_corrected: Option<String>,
        pub late: bool,
        /// The camera marked it important (`_IMP`): kept longer. Absent before it was recorded.
        pub important: Option<bool>,
    }
}

detail! {
    /// `clip-failed`: the stage (`read`, `store`, …) and the error.
    ClipFailedDetail {
        pub session: i64,
        pub source: String,
        pub stage: String,
        pub error: String,
    }
}

detail! {
    /// `clip-probed`.
    ClipProbedDetail {
        pub session: i64,
        pub media: Option<MediaFacts>,
        /// Why the clip was probed after its dock: its earlier probe failed (a stop or a crash).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub probed_again: Option<String>,
    }
}

detail! {
    /// `files-skipped`: names refused, and files that are not recordings by their type.
    FilesSkippedDetail {
        pub session: i64,
        pub skipped: Vec<Skipped>,
        pub other_files: Vec<String>,
    }
}

detail! {
    /// Whether the station's last correction reached the camera.
    PreviousCorrection {
        pub timeset: String,
        pub applied: bool,
    }
}

detail! {
    /// `clock-checked`.
    ClockCheckedDetail {
        pub session: i64,
        pub check: Option<ClockCheck>,
        pub previous_correction: Option<PreviousCorrection>,
        pub unrecorded_timeset_on_card: Option<String>,
    }
}

detail! {
    /// When the card was writable for the correction.
    ReadWriteWindow {
        pub opened_at: Option<String>,
        pub closed_at: Option<String>,
        pub by: String,
    }
}

detail! {
    /// `clock-corrected`.
    ClockCorrectedDetail {
        pub session: i64,
        pub driver: Driver,
        /// The line written to TIMESET.TXT (or the time set over the vendor protocol).
        pub timeset: String,
        pub offset_ms_before: Option<i64>,
        pub read_write_window: Option<ReadWriteWindow>,
        pub note: String,
    }
}

detail! {
    /// `clock-correction-failed`.
    ClockCorrectionFailedDetail {
        pub session: i64,
        pub driver: Driver,
        pub reason: String,
        pub offset_ms: Option<i64>,
    }
}

detail! {
    /// `health-read`: battery, storage and reads, and why the camera needs attention.
    HealthReadDetail {
        pub session: i64,
        pub health: Health,
        pub attention: Vec<Attention>,
    }
}

detail! {
    /// `recording-gaps`.
    RecordingGapsDetail {
        pub session: i64,
        pub gaps: Vec<Gap>,
        pub note: String,
    }
}

detail! {
    /// `camera-wiped`: one recording deleted from the camera after its clip was committed.
    CameraWipedDetail {
        pub session: i64,
        pub source: String,
    }
}

detail! {
    /// `camera-wipe-refused`.
    CameraWipeRefusedDetail {
        pub session: i64,
        pub reason: String,
    }
}

detail! {
    /// `camera-bound`: the binding written to the card.
    CameraBoundDetail {
        pub binding: Binding,
        pub volume: String,
    }
}

detail! {
    /// `slot-state`: what the officer at the dock was shown.
    SlotStateDetail {
        pub slot: String,
        pub from: String,
        pub to: String,
    }
}

detail! {
    /// `sequence-gap`: clip numbers missing (`missing_from`..`missing_to`), or the counter reset
    /// (`counter_reset_from` → `to`).
    SequenceGapDetail {
        pub session: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub missing_from: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub missing_to: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub counter_reset_from: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub to: Option<u32>,
        pub note: String,
    }
}

detail! {
    /// `camera-overdue`.
    CameraOverdueDetail {
        pub out_since: String,
        pub hours_out: f64,
        pub officer: Option<String>,
        pub limit_hours: u64,
    }
}

detail! {
    /// `camera-returned-elsewhere`: the hub's signed statement says the camera docked at another
    /// station after its last undock here, which closes the episode (and any overdue of it).
    CameraReturnedElsewhereDetail {
        /// The undock here that the return closes (its seq and time).
        pub undocked_seq: i64,
        pub undocked_at: String,
        pub docked_station: String,
        pub docked_at: String,
        /// The statement it was read from: when the hub issued it, and its SHA-256 as read.
        pub statement_issued_at: String,
        pub statement_sha256: String,
    }
}

detail! {
    /// `camera-assigned`: checked out to an officer at the desk.
    CameraAssignedDetail {
        pub officer: String,
        pub station: String,
        pub docked: bool,
        pub checked_out: bool,
    }
}

detail! {
    /// `clip-accessed`: a viewing (`via`) or a verified copy (`approved_by`, `to`).
    ClipAccessedDetail {
        pub action: String,
        pub reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub via: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub station: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub approved_by: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub to: Option<String>,
        /// A viewing for a spot check: the draw that holds the clip (checked when recorded), so
        /// the inspection register shows this viewing and no other.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub review: Option<i64>,
    }
}

detail! {
    /// `clip-exported`.
    ClipExportedDetail {
        pub approved_by: String,
        pub reason: String,
        pub case: Option<String>,
        pub station: String,
        pub out: String,
        pub copies: u64,
    }
}

detail! {
    /// `staging-cleaned`: half-written copies removed at start.
    StagingCleanedDetail {
        pub removed: Vec<String>,
        pub note: String,
    }
}

detail! {
    /// `ledger-guard-restored`.
    LedgerGuardRestoredDetail {
        pub restored_triggers: Vec<String>,
        pub note: String,
    }
}

detail! {
    /// `verify-run`.
    VerifyRunDetail {
        pub ok: bool,
        pub clips_checked: u64,
        pub bytes_checked: u64,
        pub problems: u64,
        pub chain_ok: bool,
        pub chain_head_seq: i64,
        pub chain_head: String,
        pub custody_differences: Option<u64>,
        pub full: bool,
    }
}

detail! {
    /// `clip-purge-started`: written before the store file goes.
    ClipPurgeStartedDetail {
        /// ordinary, important or evidence.
        pub class: String,
        pub stored_at: String,
        pub expired_at: String,
        pub store_path: String,
        pub reason: String,
        pub approved_by: String,
    }
}

detail! {
    /// `clip-purged`.
    ClipPurgedDetail {
        pub reason: String,
        pub approved_by: String,
        pub finished_after_an_interruption: bool,
    }
}

detail! {
    /// `checkpoint`: the signed head written to a file (and the bucket).
    CheckpointDetail {
        pub seq: i64,
        pub head_hash: String,
        pub public_key: String,
        pub file: String,
    }
}

detail! {
    /// `notification-failed`.
    NotificationFailedDetail {
        pub about: String,
        pub error: String,
    }
}

detail! {
    /// `clip-replicated`: the object in the bucket, as the server reported it.
    ClipReplicatedDetail {
        pub bucket: String,
        pub key: String,
        pub version_id: Option<String>,
        pub checksum_sha256: String,
        pub parts: Option<u64>,
        pub part_size: Option<u64>,
        pub bytes: u64,
        pub object_lock: Option<String>,
        pub retain_until: Option<String>,
        pub already_present: bool,
    }
}

detail! {
    /// `camera-prepared`: a vendor-protocol camera logged in, clock set and switched to storage
    /// (`ok`), or the error.
    CameraPreparedDetail {
        pub ok: bool,
        pub port: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub usb_serial: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub device_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub clock_set: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub storage_mode: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub note: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub error: Option<String>,
    }
}

detail! {
    /// `recording-changed`: the card's file differs from the clip stored under its name.
    RecordingChangedDetail {
        pub session: i64,
        pub source: String,
        pub bytes: u64,
        pub first_difference_at: Option<u64>,
        pub offsets_compared: Vec<u64>,
        pub note: String,
    }
}

detail! {
    /// `replica-hold-changed`: the object's S3 legal hold set or cleared.
    ReplicaHoldChangedDetail {
        pub bucket: String,
        pub key: String,
        pub version_id: Option<String>,
        pub legal_hold: bool,
    }
}

detail! {
    /// `attention-acknowledged`.
    AttentionAcknowledgedDetail {
        pub code: String,
        pub note: String,
    }
}

detail! {
    /// `custody-tables-differ`: the first differences found and how to repair them.
    CustodyTablesDifferDetail {
        pub rows: u64,
        pub first: Vec<Difference>,
        pub repair: String,
    }
}

detail! {
    /// `review-drawn`: a spot check's sample, drawn by a seed on record. Anyone can draw it again:
    /// each candidate's key is the SHA-256 of `"<seed>:<clip sha256>"` (its first 8 bytes, big-endian,
    /// as a fraction u of 2^64), weighted as ln(u) / weight; the `size` highest keys are the
    /// sample (`camdock::custody::review`).
    ReviewDrawnDetail {
        /// A u64 in decimal (a JSON number would lose digits past 2^53 in a browser).
        pub seed: String,
        pub officer: Option<String>,
        pub camera: Option<String>,
        /// Recorded from (inclusive) and to (exclusive), RFC 3339.
        pub from: String,
        pub to: String,
        pub size: u32,
        /// Clips that could have been drawn.
        pub candidates: u64,
        pub clips: Vec<DrawnClip>,
    }
}

/// One clip of a spot check's sample, with why it weighed what it did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DrawnClip {
    pub sha256: String,
    pub officer: Option<String>,
    pub camera: String,
    pub weight: u32,
    /// `case` (in a case), `after-gap` (the first recording after a gap), `late` (docked late).
    pub why: Vec<String>,
}

detail! {
    /// `review-finding`: a reviewer's finding on one clip of a draw, item by item of the checklist.
    ReviewFindingDetail {
        /// The `review-drawn` event's seq.
        pub draw: i64,
        pub checks: Vec<crate::review::Check>,
        pub note: String,
    }
}

/// Why recording stopped, from the regulations' list (003 Art. 12; 001 Art. 19).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GapReason {
    EquipmentFault,
    BatteryOrStorage,
    Weather,
    Obstruction,
    /// Explained in words (`text`).
    #[default]
    Other,
}

impl GapReason {
    pub const ALL: [GapReason; 5] = [
        GapReason::EquipmentFault,
        GapReason::BatteryOrStorage,
        GapReason::Weather,
        GapReason::Obstruction,
        GapReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::EquipmentFault => "equipment-fault",
            GapReason::BatteryOrStorage => "battery-or-storage",
            GapReason::Weather => "weather",
            GapReason::Obstruction => "obstruction",
            GapReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<GapReason> {
        GapReason::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

detail! {
    /// `gap-explained`: the written reason for one gap between two recordings (the event's camera),
    /// on the officer's word; the event's actor recorded it (the officer, or a manager).
    GapExplainedDetail {
        /// `<recording-gaps event seq>.<index of the gap in it>`.
        pub gap: String,
        pub after: String,
        pub before: String,
        pub reason: GapReason,
        pub text: String,
        pub officer: String,
    }
}

/// Names each kind's detail type: the enum `Details` and the check come from one list, and the
/// match in `Details::from_value` makes a kind without a type a compile error.
macro_rules! details {
    ($($kind:ident => $ty:ty,)*) => {
        /// An event's detail, read with its kind's type.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Details {
            $($kind($ty),)*
        }

        impl Details {
            /// Reads a detail as its kind's type.
            pub fn from_value(kind: EventKind, detail: &serde_json::Value) -> Result<Details, serde_json::Error> {
                use serde::de::Deserialize as _;
                Ok(match kind {
                    $(EventKind::$kind => Details::$kind(<$ty>::deserialize(detail)?),)*
                })
            }
        }
    };
}

details! {
    CameraDocked => CameraDockedDetail,
    CameraUndocked => CameraUndockedDetail,
    SessionInterrupted => SessionInterruptedDetail,
    ClipStored => ClipStoredDetail,
    ClipAlreadyStored => ClipStoredDetail,
    ClipFailed => ClipFailedDetail,
    ClipProbed => ClipProbedDetail,
    FilesSkipped => FilesSkippedDetail,
    ClockChecked => ClockCheckedDetail,
    ClockCorrected => ClockCorrectedDetail,
    ClockCorrectionFailed => ClockCorrectionFailedDetail,
    HealthRead => HealthReadDetail,
    RecordingGaps => RecordingGapsDetail,
    CameraWiped => CameraWipedDetail,
    CameraWipeRefused => CameraWipeRefusedDetail,
    CameraBound => CameraBoundDetail,
    SlotState => SlotStateDetail,
    SequenceGap => SequenceGapDetail,
    CameraOverdue => CameraOverdueDetail,
    CameraAssigned => CameraAssignedDetail,
    ClipAccessed => ClipAccessedDetail,
    ClipExported => ClipExportedDetail,
    StagingCleaned => StagingCleanedDetail,
    LedgerGuardRestored => LedgerGuardRestoredDetail,
    VerifyRun => VerifyRunDetail,
    ClipTagged => TagDetail,
    HoldPlaced => HoldDetail,
    HoldReleased => HoldDetail,
    ClipPurged => ClipPurgedDetail,
    Checkpoint => CheckpointDetail,
    NotificationFailed => NotificationFailedDetail,
    ClipReplicated => ClipReplicatedDetail,
    CameraPrepared => CameraPreparedDetail,
    ClipUntagged => UntagDetail,
    ClipPurgeStarted => ClipPurgeStartedDetail,
    RecordingChanged => RecordingChangedDetail,
    ReplicaHoldChanged => ReplicaHoldChangedDetail,
    AccountCreated => AccountCreatedDetail,
    AccountChanged => AccountChangedDetail,
    AccountDisabled => AccountDisabledDetail,
    ApprovalRequested => ApprovalRequestedDetail,
    ApprovalDecided => ApprovalDecidedDetail,
    AttentionAcknowledged => AttentionAcknowledgedDetail,
    ApprovalUsed => ApprovalUsedDetail,
    ApprovalsVoided => ApprovalsVoidedDetail,
    CustodyTablesDiffer => CustodyTablesDifferDetail,
    ReviewDrawn => ReviewDrawnDetail,
    ReviewFinding => ReviewFindingDetail,
    GapExplained => GapExplainedDetail,
    CameraReturnedElsewhere => CameraReturnedElsewhereDetail,
}

/// A detail that does not fit its kind's type.
#[derive(Debug, thiserror::Error)]
#[error("a {kind} event's detail does not fit its type: {error}")]
pub struct Misfit {
    pub kind: EventKind,
    pub error: serde_json::Error,
}

impl Details {
    /// Whether `detail` fits `kind`'s type: the ledger checks every event before appending it.
    pub fn check(kind: EventKind, detail: &serde_json::Value) -> Result<(), Misfit> {
        Details::from_value(kind, detail)
            .map(drop)
            .map_err(|error| Misfit { kind, error })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_detail_fits_its_kind_or_is_refused_naming_it() {
        let stored = json!({ "session": 4, "source": "DCIM/1.MP4", "bytes": 10, "checked": { "how": "sample" } });
        assert!(Details::check(EventKind::ClipStored, &stored).is_ok());
        // Written before `important` and `late` were recorded: still reads, as absent.
        let Details::ClipStored(d) = Details::from_value(EventKind::ClipStored, &stored).unwrap()
        else {
            panic!("not a clip-stored detail")
        };
        assert_eq!((d.important, d.late, d.session), (None, false, 4));
        // A field the type lacks, a field of another type, a shape of another kind: refused.
        let extra = json!({ "session": 4, "officer_note": "x" });
        let e = Details::check(EventKind::CameraWiped, &extra).unwrap_err();
        assert!(
            e.to_string().contains("camera-wiped") && e.to_string().contains("officer_note"),
            "{e}"
        );
        assert!(Details::check(EventKind::ClipStored, &json!({ "checked": "read-back" })).is_err());
        assert!(Details::check(EventKind::HoldPlaced, &json!({ "case": "C-1" })).is_err());
    }
}
