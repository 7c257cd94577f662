//! What the hub found wrong in a station's objects, each naming where and how to repair it.

use crate::objects::ObjectFault;
use crate::return_rule::ReturnFault;
use serde::{Deserialize, Serialize};

/// One finding about a station's record in the bucket. Raised once (the same finding again is
/// the same row) and kept: an alarm is on record, never a silent skip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "alarm", rename_all = "kebab-case")]
pub enum Alarm {
    /// A line of a segment is not an event.
    Unreadable { key: String, line: usize },
    /// A segment whose key is not `<first>-<last>.jsonl` or whose events are not exactly that
    /// range: none of it is loaded.
    Misnamed { key: String },
    /// Content at a seq other than the event the station's signed chain has there: a new version
    /// of a segment, a new key over old seqs, or events chained to a public hash by someone
    /// without the station's key. Never loaded; `key` is where it is.
    Rewritten { seq: i64, key: String },
    /// The bucket holds every seq up to a head the station signed, but no chain of them reaches
    /// it: broken at `seq`. Nothing past the hub's head loads until one does.
    ChainBroken { seq: i64, key: String, why: String },
    /// A checkpoint the enrolled key did not sign, or one naming another station.
    BadCheckpoint { key: String },
    /// A checkpoint signed by the station names a head the chain does not have at its seq.
    CheckpointDiffers { seq: i64, key: String },
    /// Nothing new from the station for longer than the hub allows, by its newest event's stamp
    /// or by the hub's clock (`silence::Heard`): stopped, cut off, not replicating, or its clock
    /// set ahead. Raised once per silence (`since` is that event's time).
    Silent { since: String },
    /// The hub's statement of returns to the station in the bucket is not the version the hub
    /// wrote (someone with the bucket wrote over it): published again, and the station's copy
    /// checked against the hub's key meanwhile.
    StatementReplaced { key: String, version: String },
    /// A clip the station stored (event `seq`, at `stored_at`) with no `clip-replicated` event
    /// from the station after longer than the hub allows: the bucket may not hold it.
    Unreplicated {
        clip: String,
        seq: i64,
        stored_at: String,
    },
    /// The bucket does not hold the object the station's `clip-replicated` event (`seq`) records
    /// for `clip` at `key` (empty when the event names none), as `fault` says.
    ObjectDiffers {
        clip: String,
        seq: i64,
        key: String,
        fault: ObjectFault,
    },
    /// A delete marker (`version`) on one of the station's segments or checkpoints: every
    /// version stays, but a read of `key` without a version (a restore, a plain audit) finds
    /// nothing. Stations never delete their ledger's objects.
    Hidden { key: String, version: String },
    /// The station recorded `camera` returned elsewhere (event `seq`), closing its episode out
    /// there, but the hub's record does not show that return, as `why` says.
    ReturnNotShown {
        camera: String,
        seq: i64,
        why: ReturnFault,
    },
}

impl Alarm {
    /// The alarm's kind, as stored and shown.
    pub fn code(&self) -> &'static str {
        match self {
            Alarm::Unreadable { .. } => "unreadable",
            Alarm::Misnamed { .. } => "misnamed",
            Alarm::Rewritten { .. } => "rewritten",
            Alarm::ChainBroken { .. } => "chain-broken",
            Alarm::BadCheckpoint { .. } => "bad-checkpoint",
            Alarm::CheckpointDiffers { .. } => "checkpoint-differs",
            Alarm::Silent { .. } => "silent",
            Alarm::Unreplicated { .. } => "unreplicated",
            Alarm::StatementReplaced { .. } => "statement-replaced",
            Alarm::ObjectDiffers { .. } => "object-differs",
            Alarm::ReturnNotShown { .. } => "return-not-shown",
            Alarm::Hidden { .. } => "hidden",
        }
    }

    /// The event the alarm is about, where there is one.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Alarm::Rewritten { seq, .. }
            | Alarm::ChainBroken { seq, .. }
            | Alarm::CheckpointDiffers { seq, .. }
            | Alarm::Unreplicated { seq, .. }
            | Alarm::ObjectDiffers { seq, .. }
            | Alarm::ReturnNotShown { seq, .. } => Some(*seq),
            Alarm::Unreadable { .. }
            | Alarm::Misnamed { .. }
            | Alarm::BadCheckpoint { .. }
            | Alarm::Silent { .. }
            | Alarm::StatementReplaced { .. }
            | Alarm::Hidden { .. } => None,
        }
    }

    /// What a person does about it.
    pub fn repair(&self) -> &'static str {
        match self {
            Alarm::Unreadable { .. }
            | Alarm::Misnamed { .. }
            | Alarm::Rewritten { .. }
            | Alarm::ChainBroken { .. } => {
                "compare the object with the station's own ledger (`camdock verify --replica` at the station) and treat the bucket's copy as tampered until explained"
            }
            Alarm::BadCheckpoint { .. } => {
                "check the station's enrolled key (`camdock key` at the station); a checkpoint signed by another key is not the station's"
            }
            Alarm::CheckpointDiffers { .. } => {
                "the station signed another history than the bucket holds: audit the station and the bucket (`camdock verify --replica` at the station, tools/audit/bucket_audit.py)"
            }
            Alarm::Silent { .. } => {
                "check that the station runs and replicates (`camdock status` there, and its replication backlog and endpoint on the dashboard), and that its clock is right (one whose events are stamped ahead of the hub's clock is judged by the hub's)"
            }
            Alarm::StatementReplaced { .. } => {
                "find who wrote to the hub's statements in the bucket (its access log); stations act only on what the hub's key signed, and the hub has published the statement again"
            }
            Alarm::Unreplicated { .. } => {
                "at the station, `camdock replicate` names why the clip fails (the dashboard's replication health too) and `camdock verify` checks the stored copy; keep the camera's copy until the clip is replicated"
            }
            Alarm::Hidden { .. } => {
                "find who deleted it (the bucket's access log) and remove the delete marker (delete that marker's version), so that the key reads as the station wrote it; the hub read every version at its sweeps"
            }
            Alarm::ReturnNotShown { .. } => {
                "the hub never stated this return: find who appended the event at the station (its actor, the station's access register and system log); the camera is out as far as the bureau knows (`camdock hub fleet`)"
            }
            Alarm::ObjectDiffers { .. } => {
                "the station's store still holds the clip (`camdock verify` there checks it against the ledger): find who changed the bucket (its access log), and read the clip by the version the ledger names, never the key's latest"
            }
        }
    }
}

impl std::fmt::Display for Alarm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Alarm::Unreadable { key, line } => write!(f, "{key} line {line} is not an event"),
            Alarm::Misnamed { key } => write!(
                f,
                "{key} is not a segment: its name or its events are not one run first..=last"
            ),
            Alarm::Rewritten { seq, key } => {
                write!(
                    f,
                    "event {seq} in {key} differs from the event the hub loaded"
                )
            }
            Alarm::ChainBroken { key, why, .. } => write!(f, "{key}: {why}"),
            Alarm::BadCheckpoint { key } => {
                write!(f, "{key} is not signed by the station's enrolled key")
            }
            Alarm::CheckpointDiffers { seq, key } => {
                write!(
                    f,
                    "{key} signs a head at event {seq} the chain does not have"
                )
            }
            Alarm::Silent { since } => {
                write!(f, "nothing new from the station since its event at {since}")
            }
            Alarm::StatementReplaced { key, version } => write!(
                f,
                "{key} was written over (version {version} is not the hub's)"
            ),
            Alarm::Unreplicated {
                clip, stored_at, ..
            } => write!(
                f,
                "clip {clip}, stored at {stored_at}, is not replicated to the bucket"
            ),
            Alarm::Hidden { key, version } => {
                write!(f, "{key} is hidden by a delete marker (version {version})")
            }
            Alarm::ReturnNotShown { camera, seq, why } => write!(
                f,
                "event {seq} says camera {camera} returned elsewhere, but {why}"
            ),
            Alarm::ObjectDiffers {
                clip,
                seq,
                key,
                fault,
            } => {
                let at = if key.is_empty() {
                    String::new()
                } else {
                    format!(" at {key}")
                };
                write!(
                    f,
                    "clip {clip}{at} (event {seq}) is not what the ledger records: {fault}"
                )
            }
        }
    }
}
