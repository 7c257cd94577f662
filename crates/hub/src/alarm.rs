//! What the hub found wrong in a station's objects, each naming where and how to repair it.

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
    /// The station's newest event in the bucket is older than the hub allows: stopped, cut off,
    /// or not replicating. Raised once per silence (`since` is that event's time).
    Silent { since: String },
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
        }
    }

    /// The event the alarm is about, where there is one.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Alarm::Rewritten { seq, .. }
            | Alarm::ChainBroken { seq, .. }
            | Alarm::CheckpointDiffers { seq, .. } => Some(*seq),
            Alarm::Unreadable { .. }
            | Alarm::Misnamed { .. }
            | Alarm::BadCheckpoint { .. }
            | Alarm::Silent { .. } => None,
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
                "check that the station runs and replicates (`camdock status` there: its replication backlog and endpoint)"
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
        }
    }
}
