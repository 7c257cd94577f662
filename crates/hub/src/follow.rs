//! What a station's objects in the bucket say, read against what the hub already holds of it:
//! pure, so every rule is tested without a bucket or a database.
//!
//! Segments are read in key order (seq order). An event at or below the hub's head is one it has
//! (a segment written twice by a pass that died before recording it repeats events): the same
//! hash is skipped, another is `Rewritten`. Past the head the hash chain is recomputed across
//! segments, from the head the hub holds; at the first break nothing more is loaded.

use crate::alarm::Alarm;
use camdock_record::chain::{Chain, GENESIS};
use camdock_record::checkpoint::Checkpoint;
use camdock_record::event::StoredEvent;
use camdock_record::segment;
use ed25519_dalek::VerifyingKey;
use std::collections::HashMap;

/// A station the hub follows: its name in the bucket's keys, its unit, and the key its
/// checkpoints must be signed with (given at enrolment, never read from the bucket).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolled {
    pub station: String,
    pub unit: String,
    pub key: VerifyingKey,
}

/// The last event the hub holds of a station (seq 0 and the genesis hash before the first), and
/// whether its chain broke (then nothing more is loaded until someone looks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
    pub broken: bool,
}

impl Default for Head {
    fn default() -> Head {
        Head {
            seq: 0,
            hash: GENESIS.to_string(),
            broken: false,
        }
    }
}

/// An object read from the bucket: its key and its bytes.
#[derive(Clone, Debug)]
pub struct Object {
    pub key: String,
    pub body: Vec<u8>,
}

/// What following a station's new segments gives: the events to load (in order), the alarms to
/// raise, and the head after them.
#[derive(Clone, Debug, Default)]
pub struct Followed {
    pub events: Vec<StoredEvent>,
    pub alarms: Vec<Alarm>,
    pub head: Head,
}

/// Reads `segments` (key order) on top of `head`; `held` gives the hash of an event at or below
/// the head that the hub holds (for the seqs these segments repeat).
pub fn follow_segments(head: &Head, held: &HashMap<i64, String>, segments: &[Object]) -> Followed {
    let mut chain = Chain {
        events: 0,
        head_seq: head.seq,
        head_hash: head.hash.clone(),
        first_break: None,
    };
    let mut out = Followed {
        head: head.clone(),
        ..Followed::default()
    };
    // Events of this pass by seq, to compare a repeat within the pass too.
    let mut taken: HashMap<i64, String> = HashMap::new();
    for object in segments {
        for line in segment::decode(&object.body) {
            let event = match line {
                Ok(e) => e,
                Err(line) => {
                    out.alarms.push(Alarm::Unreadable {
                        key: object.key.clone(),
                        line,
                    });
                    continue;
                }
            };
            if event.seq <= chain.head_seq {
                let known = taken.get(&event.seq).or_else(|| held.get(&event.seq));
                if known.is_some_and(|h| *h != event.hash) {
                    out.alarms.push(Alarm::Rewritten {
                        seq: event.seq,
                        key: object.key.clone(),
                    });
                }
                continue;
            }
            if out.head.broken {
                continue;
            }
            if let Some(broke) = chain.push(&event) {
                out.alarms.push(Alarm::ChainBroken {
                    seq: broke.seq(),
                    key: object.key.clone(),
                    why: broke.to_string(),
                });
                out.head.broken = true;
                continue;
            }
            taken.insert(event.seq, event.hash.clone());
            out.head.seq = event.seq;
            out.head.hash.clone_from(&event.hash);
            out.events.push(event);
        }
    }
    out
}

/// What a checkpoint object says about the chain the hub holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointFinding {
    /// Signed by the station's enrolled key, naming the head the chain has at its seq.
    Holds,
    /// Signed, but the hub does not hold the event it signs yet: read it again next pass.
    NotYet,
    /// Wrong: the alarm to raise.
    Alarm(Alarm),
}

/// Checks a checkpoint object of `station`: signed by its enrolled key, naming it, and (when the
/// hub holds the event it signs, `hash_at`) naming that event's hash.
pub fn check_checkpoint(
    station: &Enrolled,
    object: &Object,
    hash_at: impl FnOnce(i64) -> Option<String>,
) -> CheckpointFinding {
    let bad = || {
        CheckpointFinding::Alarm(Alarm::BadCheckpoint {
            key: object.key.clone(),
        })
    };
    let Ok(cp) = serde_json::from_slice::<Checkpoint>(&object.body) else {
        return bad();
    };
    if cp.station != station.station || !cp.signed_by(&station.key) {
        return bad();
    }
    match hash_at(cp.seq) {
        None => CheckpointFinding::NotYet,
        Some(h) if h == cp.head_hash => CheckpointFinding::Holds,
        Some(_) => CheckpointFinding::Alarm(Alarm::CheckpointDiffers {
            seq: cp.seq,
            key: object.key.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use camdock_record::chain::{EventFields, event_hash, link};
    use ed25519_dalek::SigningKey;

    /// A chain of `n` events as a station writes them.
    fn chain(n: i64) -> Vec<StoredEvent> {
        let mut events: Vec<StoredEvent> = (1..=n)
            .map(|seq| StoredEvent {
                seq,
                at: format!("2026-12-01T00:00:{:02}.000Z", seq % 60),
                kind: "camera-docked".into(),
                camera: Some("7700001".into()),
                clip_sha256: None,
                actor: "station".into(),
                detail_json: "{}".into(),
                prev_hash: String::new(),
                hash: String::new(),
            })
            .collect();
        link(&mut events);
        events
    }

    fn seg(events: &[StoredEvent]) -> Object {
        Object {
            key: segment::segment_key("a", events[0].seq, events[events.len() - 1].seq),
            body: segment::encode(events),
        }
    }

    #[test]
    fn segments_load_in_order_across_syncs_and_a_repeated_range_is_skipped() {
        let all = chain(10);
        let first = follow_segments(&Head::default(), &HashMap::new(), &[seg(&all[..4])]);
        assert_eq!(first.events.len(), 4);
        assert!(first.alarms.is_empty(), "{:?}", first.alarms);
        // The next sync: a segment that repeats 1..=4 (a pass that died before recording it)
        // then 5..=10.
        let held: HashMap<i64, String> = all[..4].iter().map(|e| (e.seq, e.hash.clone())).collect();
        let next = follow_segments(&first.head, &held, &[seg(&all[..6]), seg(&all[6..])]);
        assert_eq!(
            next.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (5..=10).collect::<Vec<_>>()
        );
        assert!(next.alarms.is_empty(), "{:?}", next.alarms);
        assert_eq!(next.head.hash, all[9].hash);
    }

    #[test]
    fn a_rewritten_event_and_a_broken_chain_are_alarms_and_nothing_past_the_break_loads() {
        let all = chain(8);
        let held: HashMap<i64, String> = all[..4].iter().map(|e| (e.seq, e.hash.clone())).collect();
        let head = Head {
            seq: 4,
            hash: all[3].hash.clone(),
            broken: false,
        };
        // Event 3, loaded already, comes back with another actor (and a hash recomputed to match).
        let mut forged = all[..4].to_vec();
        forged[2].actor = "someone".into();
        forged[2].hash = event_hash(&EventFields::of(&forged[2]), &forged[2].prev_hash);
        let f = follow_segments(&head, &held, &[seg(&forged)]);
        assert_eq!(
            f.alarms,
            vec![Alarm::Rewritten {
                seq: 3,
                key: seg(&forged).key
            }]
        );
        // Event 6 edited in a new segment: 5 loads, 6 breaks the chain, 7 and 8 do not load.
        let mut edited = all[4..].to_vec();
        edited[1].detail_json = "{\"x\":1}".into();
        let f = follow_segments(&head, &held, &[seg(&edited)]);
        assert_eq!(f.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5]);
        assert!(f.head.broken);
        assert!(
            matches!(&f.alarms[..], [Alarm::ChainBroken { seq: 6, .. }]),
            "{:?}",
            f.alarms
        );
        // Events 5 and 6 deleted: 7 does not follow 4.
        let f = follow_segments(&head, &held, &[seg(&all[6..])]);
        assert!(matches!(&f.alarms[..], [Alarm::ChainBroken { seq: 7, .. }]));
        assert!(f.events.is_empty());
    }

    #[test]
    fn a_checkpoint_holds_only_with_the_enrolled_key_and_the_head_the_chain_has() {
        let all = chain(3);
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let station = Enrolled {
            station: "a".into(),
            unit: "squad 1".into(),
            key: key.verifying_key(),
        };
        let object = |cp: &Checkpoint| Object {
            key: "ledger/a/checkpoints/000000000003.json".into(),
            body: serde_json::to_vec_pretty(cp).unwrap(),
        };
        let at = "2026-12-01T00:00:03.000Z";
        let good = Checkpoint::sign(&key, "a", 3, &all[2].hash, at);
        let hash = |seq: i64| all.get(seq as usize - 1).map(|e| e.hash.clone());
        assert_eq!(
            check_checkpoint(&station, &object(&good), hash),
            CheckpointFinding::Holds
        );
        assert_eq!(
            check_checkpoint(&station, &object(&good), |_| None),
            CheckpointFinding::NotYet
        );
        let foreign = Checkpoint::sign(&other, "a", 3, &all[2].hash, at);
        assert!(matches!(
            check_checkpoint(&station, &object(&foreign), hash),
            CheckpointFinding::Alarm(Alarm::BadCheckpoint { .. })
        ));
        let elsewhere = Checkpoint::sign(&key, "b", 3, &all[2].hash, at);
        assert!(matches!(
            check_checkpoint(&station, &object(&elsewhere), hash),
            CheckpointFinding::Alarm(Alarm::BadCheckpoint { .. })
        ));
        let other_head = Checkpoint::sign(&key, "a", 3, &all[1].hash, at);
        assert!(matches!(
            check_checkpoint(&station, &object(&other_head), hash),
            CheckpointFinding::Alarm(Alarm::CheckpointDiffers { seq: 3, .. })
        ));
    }
}
