//! The facts the ledger records: every event is one of these kinds, named here once.

/// Declares the kinds once: the enum, every kind in order (`ALL`) and each one's stored name
/// come from the same list, so none can be added to one and forgotten in another.
macro_rules! event_kinds {
    ($($kind:ident => $name:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum EventKind {
            $($kind,)*
        }

        impl EventKind {
            /// Every kind, in the order they were added.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$kind,)*];

            /// The kind's name as stored in the ledger (`clip-stored`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$kind => $name,)*
                }
            }
        }
    };
}

event_kinds! {
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
    ApprovalUsed => "approval-used",
    ApprovalsVoided => "approvals-voided",
    CustodyTablesDiffer => "custody-tables-differ",
    ReviewDrawn => "review-drawn",
    ReviewFinding => "review-finding",
    GapExplained => "gap-explained",
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
