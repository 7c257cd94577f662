//! The facts the ledger records. Every row of `events` is one of these kinds.

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    CameraDocked,
    CameraUndocked,
    SessionInterrupted,
    ClipStored,
    ClipAlreadyStored,
    ClipFailed,
    ClipProbed,
    FilesSkipped,
    ClockChecked,
    ClockCorrected,
    ClockCorrectionFailed,
    HealthRead,
    RecordingGaps,
    CameraWiped,
    CameraWipeRefused,
    CameraBound,
    SlotState,
    SequenceGap,
    CameraOverdue,
    CameraAssigned,
    ClipAccessed,
    ClipExported,
    StagingCleaned,
    LedgerGuardRestored,
    VerifyRun,
    ClipTagged,
    HoldPlaced,
    HoldReleased,
    ClipPurged,
    Checkpoint,
    NotificationFailed,
    ClipReplicated,
    CameraPrepared,
    ClipUntagged,
    ClipPurgeStarted,
    RecordingChanged,
    ReplicaHoldChanged,
    AccountCreated,
    AccountChanged,
    AccountDisabled,
    ApprovalRequested,
    ApprovalDecided,
    AttentionAcknowledged,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        use EventKind::*;
        match self {
            CameraDocked => "camera-docked",
            CameraUndocked => "camera-undocked",
            SessionInterrupted => "session-interrupted",
            ClipStored => "clip-stored",
            ClipAlreadyStored => "clip-already-stored",
            ClipFailed => "clip-failed",
            ClipProbed => "clip-probed",
            FilesSkipped => "files-skipped",
            ClockChecked => "clock-checked",
            ClockCorrected => "clock-corrected",
            ClockCorrectionFailed => "clock-correction-failed",
            HealthRead => "health-read",
            RecordingGaps => "recording-gaps",
            CameraWiped => "camera-wiped",
            CameraWipeRefused => "camera-wipe-refused",
            CameraBound => "camera-bound",
            SlotState => "slot-state",
            SequenceGap => "sequence-gap",
            CameraOverdue => "camera-overdue",
            CameraAssigned => "camera-assigned",
            ClipAccessed => "clip-accessed",
            ClipExported => "clip-exported",
            StagingCleaned => "staging-cleaned",
            LedgerGuardRestored => "ledger-guard-restored",
            VerifyRun => "verify-run",
            ClipTagged => "clip-tagged",
            HoldPlaced => "hold-placed",
            HoldReleased => "hold-released",
            ClipPurged => "clip-purged",
            Checkpoint => "checkpoint",
            NotificationFailed => "notification-failed",
            ClipReplicated => "clip-replicated",
            CameraPrepared => "camera-prepared",
            ClipUntagged => "clip-untagged",
            ClipPurgeStarted => "clip-purge-started",
            RecordingChanged => "recording-changed",
            ReplicaHoldChanged => "replica-hold-changed",
            AccountCreated => "account-created",
            AccountChanged => "account-changed",
            AccountDisabled => "account-disabled",
            ApprovalRequested => "approval-requested",
            ApprovalDecided => "approval-decided",
            AttentionAcknowledged => "attention-acknowledged",
        }
    }
}

/// An event about to be appended; `seq`, `at` and the hashes are assigned by the ledger.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: EventKind,
    pub camera: Option<String>,
    pub clip: Option<String>,
    pub actor: String,
    pub detail: Value,
}

impl NewEvent {
    pub fn new(kind: EventKind, actor: &str) -> Self {
        NewEvent {
            kind,
            camera: None,
            clip: None,
            actor: actor.to_string(),
            detail: Value::Object(Default::default()),
        }
    }
    pub fn camera(mut self, camera: &str) -> Self {
        self.camera = Some(camera.to_string());
        self
    }
    pub fn clip(mut self, sha256: &str) -> Self {
        self.clip = Some(sha256.to_string());
        self
    }
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}
