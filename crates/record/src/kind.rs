//! The facts the ledger records: every event is one of these kinds, named here once.

/// A kind's words for people, in the dashboard's two languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Label {
    pub en: &'static str,
    pub zh: &'static str,
}

/// Declares the kinds once: the enum, every kind in order (`ALL`), each one's stored name and its
/// words in English and Chinese come from the same list, so none can be added to one and forgotten
/// in another.
macro_rules! event_kinds {
    ($($kind:ident => $name:literal, $en:literal, $zh:literal,)*) => {
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

            /// What a person reads for the kind, in English and in Chinese (the dashboard's
            /// timelines and registers show these, never the stored name).
            pub fn label(self) -> Label {
                match self {
                    $(EventKind::$kind => Label { en: $en, zh: $zh },)*
                }
            }
        }
    };
}

event_kinds! {
    CameraDocked => "camera-docked", "Camera docked", "记录仪插入底座",
    CameraUndocked => "camera-undocked", "Camera undocked", "记录仪已取出",
    SessionInterrupted => "session-interrupted", "Dock interrupted", "采集中断",
    ClipStored => "clip-stored", "Written to write-once store", "已写入只写一次存储",
    ClipAlreadyStored => "clip-already-stored", "Already stored", "已存储过",
    ClipFailed => "clip-failed", "Clip not stored", "录像未能存储",
    ClipProbed => "clip-probed", "Media checked", "媒体已检查",
    FilesSkipped => "files-skipped", "Files skipped", "已跳过文件",
    ClockChecked => "clock-checked", "Clock checked", "时钟已检查",
    ClockCorrected => "clock-corrected", "Clock corrected", "时钟已校正",
    ClockCorrectionFailed => "clock-correction-failed", "Clock correction failed", "时钟校正失败",
    HealthRead => "health-read", "Battery and storage read", "已读取电池与存储状态",
    RecordingGaps => "recording-gaps", "Gaps between recordings", "录像间断",
    CameraWiped => "camera-wiped", "Camera wiped", "记录仪已清空",
    CameraWipeRefused => "camera-wipe-refused", "Wipe refused", "拒绝清空",
    CameraBound => "camera-bound", "Camera bound", "记录仪已登记",
    SlotState => "slot-state", "Dock slot state", "底座插槽状态",
    SequenceGap => "sequence-gap", "File numbers missing", "文件编号缺失",
    CameraOverdue => "camera-overdue", "Camera overdue", "记录仪逾期未归还",
    CameraAssigned => "camera-assigned", "Camera assigned", "记录仪已分配",
    ClipAccessed => "clip-accessed", "Clip viewed or copied", "录像已调阅",
    ClipExported => "clip-exported", "Exported", "已导出",
    StagingCleaned => "staging-cleaned", "Staging cleaned", "暂存区已清理",
    LedgerGuardRestored => "ledger-guard-restored", "Ledger guard restored", "台账保护已恢复",
    VerifyRun => "verify-run", "Re-verified", "已重新校验",
    ClipTagged => "clip-tagged", "Assigned to case", "已关联案件",
    HoldPlaced => "hold-placed", "Hold placed", "已保全",
    HoldReleased => "hold-released", "Hold released", "已解除保全",
    ClipPurged => "clip-purged", "Purged", "已清除",
    Checkpoint => "checkpoint", "Ledger checkpoint", "台账检查点",
    NotificationFailed => "notification-failed", "Notification failed", "通知发送失败",
    ClipReplicated => "clip-replicated", "Copied off the station", "已复制到异地",
    CameraPrepared => "camera-prepared", "Camera prepared", "记录仪已准备",
    ClipUntagged => "clip-untagged", "Removed from case", "已移出案件",
    ClipPurgeStarted => "clip-purge-started", "Purge started", "开始清除",
    RecordingChanged => "recording-changed", "Recording facts changed", "录像信息已变更",
    ReplicaHoldChanged => "replica-hold-changed", "Off-station hold changed", "异地保全已变更",
    AccountCreated => "account-created", "Account created", "账号已创建",
    AccountChanged => "account-changed", "Account changed", "账号已变更",
    AccountDisabled => "account-disabled", "Account disabled", "账号已停用",
    ApprovalRequested => "approval-requested", "Access requested", "已申请调阅",
    ApprovalDecided => "approval-decided", "Request decided", "申请已审批",
    AttentionAcknowledged => "attention-acknowledged", "Attention item seen to", "已处理提醒事项",
    ApprovalUsed => "approval-used", "Approval used", "审批已使用",
    ApprovalsVoided => "approvals-voided", "Approvals voided", "审批已作废",
    CustodyTablesDiffer => "custody-tables-differ", "Custody tables differ from the record", "保管表与账本不一致",
    ReviewDrawn => "review-drawn", "Spot check drawn", "抽查",
    ReviewFinding => "review-finding", "Spot-check finding", "检查结论",
    GapExplained => "gap-explained", "Interruption explained", "中断原因已说明",
    CameraReturnedElsewhere => "camera-returned-elsewhere", "Returned at another station", "已在其他站归还",
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
