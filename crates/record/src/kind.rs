//! The facts the ledger records: every event is one of these kinds, named here once.

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
    /// Every kind, in the order they were added.
    pub const ALL: &'static [EventKind] = &[
        EventKind::CameraDocked,
        EventKind::CameraUndocked,
        EventKind::SessionInterrupted,
        EventKind::ClipStored,
        EventKind::ClipAlreadyStored,
        EventKind::ClipFailed,
        EventKind::ClipProbed,
        EventKind::FilesSkipped,
        EventKind::ClockChecked,
        EventKind::ClockCorrected,
        EventKind::ClockCorrectionFailed,
        EventKind::HealthRead,
        EventKind::RecordingGaps,
        EventKind::CameraWiped,
        EventKind::CameraWipeRefused,
        EventKind::CameraBound,
        EventKind::SlotState,
        EventKind::SequenceGap,
        EventKind::CameraOverdue,
        EventKind::CameraAssigned,
        EventKind::ClipAccessed,
        EventKind::ClipExported,
        EventKind::StagingCleaned,
        EventKind::LedgerGuardRestored,
        EventKind::VerifyRun,
        EventKind::ClipTagged,
        EventKind::HoldPlaced,
        EventKind::HoldReleased,
        EventKind::ClipPurged,
        EventKind::Checkpoint,
        EventKind::NotificationFailed,
        EventKind::ClipReplicated,
        EventKind::CameraPrepared,
        EventKind::ClipUntagged,
        EventKind::ClipPurgeStarted,
        EventKind::RecordingChanged,
        EventKind::ReplicaHoldChanged,
        EventKind::AccountCreated,
        EventKind::AccountChanged,
        EventKind::AccountDisabled,
        EventKind::ApprovalRequested,
        EventKind::ApprovalDecided,
        EventKind::AttentionAcknowledged,
    ];

    /// The kind's name as stored in the ledger (`clip-stored`).
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

/// A name that is no event kind this station knows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an event kind")]
pub struct UnknownKind(pub String);

impl std::str::FromStr for EventKind {
    type Err = UnknownKind;
    fn from_str(name: &str) -> Result<EventKind, UnknownKind> {
        EventKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| UnknownKind(name.to_string()))
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name_and_names_are_distinct() {
        let mut names = std::collections::BTreeSet::new();
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(*k));
            assert!(names.insert(k.as_str()), "{k} twice");
        }
        assert!("clip-stolen".parse::<EventKind>().is_err());
    }
}
