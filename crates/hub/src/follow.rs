//! What a station's objects in the bucket say, read against what the hub already holds of it:
//! pure, so every rule is tested without a bucket or a database (`follow` says the rule).

use crate::alarm::Alarm;
use camdock_record::chain::{EventFields, GENESIS, event_hash};
use camdock_record::checkpoint::Checkpoint;
use camdock_record::event::StoredEvent;
use camdock_record::segment;
use ed25519_dalek::VerifyingKey;
use std::collections::{BTreeMap, HashMap};

/// A station the hub follows: its name in the bucket's keys, its unit, and the key its
/// checkpoints must be signed with (given at enrolment, never read from the bucket).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolled {
    pub station: String,
    pub unit: String,
    pub key: VerifyingKey,
}

/// The last event the hub holds of a station (seq 0 and the genesis hash before the first), and
/// whether the last pass found its signed head unreachable (`chain-broken`; each pass tries again).
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

/// What following a station's objects gives: the events to load (in order), the alarms to raise,
/// the head after them, and which of the objects given are settled (every event in them at or
/// below the new head, or wrong in a way an alarm says): the others are read again next pass.
#[derive(Clone, Debug, Default)]
pub struct Followed {
    pub events: Vec<StoredEvent>,
    pub alarms: Vec<Alarm>,
    pub head: Head,
    /// Indexes into the segments given.
    pub settled_segments: Vec<usize>,
    /// Indexes into the checkpoints given.
    pub settled_checkpoints: Vec<usize>,
}

/// Every event the segments hold, by seq (the same event twice is one), with the key it came in.
#[derive(Clone, Debug, Default)]
pub struct Segments {
    by_seq: BTreeMap<i64, Vec<(StoredEvent, usize)>>,
    /// Each segment's highest seq (None: nothing in it can ever load).
    highest: Vec<Option<i64>>,
    keys: Vec<String>,
    alarms: Vec<Alarm>,
}

impl Segments {
    /// Reads segment objects of `station`: a key that is not `<first>-<last>.jsonl` under the
    /// station's prefix, or whose events are not exactly first..=last, is an alarm and none of its
    /// events is a candidate; so is an unreadable line.
    pub fn read(station: &str, objects: &[Object]) -> Segments {
        let prefix = segment::segments_prefix(station);
        let mut out = Segments {
            keys: objects.iter().map(|o| o.key.clone()).collect(),
            ..Segments::default()
        };
        for (index, object) in objects.iter().enumerate() {
            let range = object
                .key
                .strip_prefix(&prefix)
                .and_then(segment::parse_key_range);
            let mut events = Vec::new();
            let mut unreadable = None;
            for line in segment::decode(&object.body) {
                match line {
                    Ok(e) => events.push(e),
                    Err(line) => {
                        unreadable.get_or_insert(line);
                    }
                }
            }
            if let Some(line) = unreadable {
                out.alarms.push(Alarm::Unreadable {
                    key: object.key.clone(),
                    line,
                });
                out.highest.push(None);
                continue;
            }
            let fits = range.is_some_and(|(first, last)| {
                events.len() as i64 == last - first + 1
                    && events.iter().zip(first..).all(|(e, seq)| e.seq == seq)
            });
            if !fits {
                out.alarms.push(Alarm::Misnamed {
                    key: object.key.clone(),
                });
                out.highest.push(None);
                continue;
            }
            out.highest.push(events.last().map(|e| e.seq));
            for e in events {
                let at = out.by_seq.entry(e.seq).or_default();
                if !at.iter().any(|(known, _)| known.hash == e.hash) {
                    at.push((e, index));
                }
            }
        }
        out
    }

    /// The lowest seq any segment holds.
    pub fn lowest(&self) -> Option<i64> {
        self.by_seq.keys().next().copied()
    }
}

/// A checkpoint object as checked against the station's enrolled key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointFinding {
    /// Signed by the enrolled key and naming the station: it vouches for `head_hash` at `seq`.
    Signed { seq: i64, head_hash: String },
    /// Wrong: the alarm to raise.
    Alarm(Alarm),
}

/// Checks a checkpoint object of `station`: signed by its enrolled key (never the key the
/// checkpoint names), naming the station, and kept under the key of its seq (a copy under
/// another name would carry the hub's listing cursor: `cursor::ceiling`).
pub fn check_checkpoint(station: &Enrolled, object: &Object) -> CheckpointFinding {
    match serde_json::from_slice::<Checkpoint>(&object.body) {
        Ok(cp)
            if cp.station == station.station
                && cp.signed_by(&station.key)
                && object.key == segment::checkpoint_key(&station.station, cp.seq) =>
        {
            CheckpointFinding::Signed {
                seq: cp.seq,
                head_hash: cp.head_hash,
            }
        }
        _ => CheckpointFinding::Alarm(Alarm::BadCheckpoint {
            key: object.key.clone(),
        }),
    }
}

/// Follows a station from the `head` the hub holds. The chain has no key (anyone who can write to
/// the bucket can chain an event to a public hash), so only what a checkpoint signed by the
/// station vouches for loads: from the newest signed checkpoint past the head, walked back event
/// by event by hash (each event's own hash recomputed) to the head. Which object an event came in,
/// and in which order objects are listed, decide nothing. Any other content at a seq up to the new
/// head is `rewritten` (naming its key); what lies past the newest checkpoint that walks back
/// waits, unread, for the next pass. `held` gives the hub's hash of each seq at or below its head
/// that the segments or checkpoints repeat.
pub fn follow(
    station: &Enrolled,
    head: &Head,
    held: &HashMap<i64, String>,
    segments: &Segments,
    checkpoints: &[Object],
) -> Followed {
    let mut out = Followed {
        head: Head {
            broken: false,
            ..head.clone()
        },
        alarms: segments.alarms.clone(),
        ..Followed::default()
    };
    let mut signed: Vec<(i64, String, usize)> = Vec::new();
    for (index, object) in checkpoints.iter().enumerate() {
        match check_checkpoint(station, object) {
            CheckpointFinding::Signed { seq, head_hash } => signed.push((seq, head_hash, index)),
            CheckpointFinding::Alarm(a) => {
                out.alarms.push(a);
                out.settled_checkpoints.push(index);
            }
        }
    }
    signed.sort_by_key(|c| std::cmp::Reverse(c.0));
    // The newest signed head past ours that the objects reach, walked back to ours.
    let mut chain: Vec<&StoredEvent> = Vec::new();
    let mut first_failure = None;
    for (seq, head_hash, _) in signed.iter().filter(|c| c.0 > head.seq) {
        match walk_back(segments, head, *seq, head_hash) {
            Ok(events) => {
                chain = events;
                break;
            }
            Err(at) => {
                first_failure.get_or_insert((*seq, at));
            }
        }
    }
    if let Some(last) = chain.last() {
        out.head.seq = last.seq;
        out.head.hash.clone_from(&last.hash);
    }
    let on_chain: HashMap<i64, &str> = chain.iter().map(|e| (e.seq, e.hash.as_str())).collect();
    // The hash the hub will hold at a seq at or below the new head.
    let holds = |seq: i64| -> Option<&str> {
        on_chain
            .get(&seq)
            .copied()
            .or_else(|| held.get(&seq).map(String::as_str))
    };
    for (seq, found) in segments.by_seq.range(..=out.head.seq) {
        for (event, index) in found {
            if holds(*seq).is_some_and(|h| h != event.hash) {
                out.alarms.push(Alarm::Rewritten {
                    seq: *seq,
                    key: segments.keys[*index].clone(),
                });
            }
        }
    }
    for (seq, head_hash, index) in &signed {
        if *seq > out.head.seq {
            continue;
        }
        if holds(*seq).is_some_and(|h| h != head_hash) {
            out.alarms.push(Alarm::CheckpointDiffers {
                seq: *seq,
                key: checkpoints[*index].key.clone(),
            });
        }
        out.settled_checkpoints.push(*index);
    }
    // A signed head the objects hold every seq up to, yet no chain reaches: broken where the walk
    // stopped. (With seqs missing, the rest may not have arrived yet.)
    if chain.is_empty()
        && let Some((signed_seq, at)) = first_failure
        && (head.seq + 1..=signed_seq).all(|s| segments.by_seq.contains_key(&s))
    {
        let key = segments.by_seq[&at][0].1;
        out.alarms.push(Alarm::ChainBroken {
            seq: at,
            key: segments.keys[key].clone(),
            why: format!(
                "no event {at} in the bucket links to the head the station signed at event {signed_seq}"
            ),
        });
        out.head.broken = true;
    }
    out.events = chain.into_iter().cloned().collect();
    for (index, highest) in segments.highest.iter().enumerate() {
        if highest.is_none_or(|h| h <= out.head.seq) {
            out.settled_segments.push(index);
        }
    }
    out
}

/// The events from `head` (exclusive) to `seq`, found by hash from `head_hash` down, each one's
/// hash recomputed; or the seq where no event links.
fn walk_back<'a>(
    segments: &'a Segments,
    head: &Head,
    seq: i64,
    head_hash: &str,
) -> Result<Vec<&'a StoredEvent>, i64> {
    let mut want = head_hash.to_string();
    let mut events = Vec::with_capacity((seq - head.seq) as usize);
    for s in (head.seq + 1..=seq).rev() {
        let event = segments
            .by_seq
            .get(&s)
            .and_then(|found| {
                found.iter().map(|(e, _)| e).find(|e| {
                    e.hash == want && event_hash(&EventFields::of(e), &e.prev_hash) == e.hash
                })
            })
            .ok_or(s)?;
        want.clone_from(&event.prev_hash);
        events.push(event);
    }
    if want != head.hash {
        return Err(head.seq + 1);
    }
    events.reverse();
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use camdock_record::chain::{link, link_after};
    use ed25519_dalek::SigningKey;

    const KEY: [u8; 32] = [7; 32];

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

    fn station() -> Enrolled {
        Enrolled {
            station: "a".into(),
            unit: "squad 1".into(),
            key: SigningKey::from_bytes(&KEY).verifying_key(),
        }
    }

    fn seg(events: &[StoredEvent]) -> Object {
        Object {
            key: segment::segment_key("a", events[0].seq, events[events.len() - 1].seq),
            body: segment::encode(events),
        }
    }

    /// The station's checkpoint of `e`, signed with `key`.
    fn signed(e: &StoredEvent, key: [u8; 32]) -> Object {
        let cp = Checkpoint::sign(&SigningKey::from_bytes(&key), "a", e.seq, &e.hash, &e.at);
        Object {
            key: segment::checkpoint_key("a", e.seq),
            body: serde_json::to_vec_pretty(&cp).unwrap(),
        }
    }

    fn run(head: &Head, held: &HashMap<i64, String>, segs: &[Object], cps: &[Object]) -> Followed {
        follow(&station(), head, held, &Segments::read("a", segs), cps)
    }

    fn seqs(f: &Followed) -> Vec<i64> {
        f.events.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn only_what_a_signed_checkpoint_vouches_for_loads_and_the_rest_waits_unread() {
        let all = chain(10);
        // Events 1..=10 in two segments, a checkpoint at 6: 1..=6 load, the second segment (up to
        // 10) is not settled, so the next pass reads it again.
        let segs = [seg(&all[..4]), seg(&all[4..])];
        let f = run(
            &Head::default(),
            &HashMap::new(),
            &segs,
            &[signed(&all[5], KEY)],
        );
        assert_eq!(seqs(&f), (1..=6).collect::<Vec<_>>());
        assert!(f.alarms.is_empty(), "{:?}", f.alarms);
        assert_eq!(f.settled_segments, vec![0]);
        assert_eq!(f.settled_checkpoints, vec![0]);
        // No checkpoint: nothing loads, nothing is settled, no alarm (it may come next pass).
        let f = run(&Head::default(), &HashMap::new(), &segs, &[]);
        assert!(f.events.is_empty() && f.alarms.is_empty() && f.settled_segments.is_empty());
        // From head 6 with the checkpoint at 10, a segment repeating 1..=6 identically: 7..=10.
        let held: HashMap<i64, String> = all[..6].iter().map(|e| (e.seq, e.hash.clone())).collect();
        let head = Head {
            seq: 6,
            hash: all[5].hash.clone(),
            broken: false,
        };
        let f = run(
            &head,
            &held,
            &[seg(&all[..6]), seg(&all[4..])],
            &[signed(&all[9], KEY)],
        );
        assert_eq!(seqs(&f), (7..=10).collect::<Vec<_>>());
        assert!(f.alarms.is_empty(), "{:?}", f.alarms);
        assert_eq!(f.head.hash, all[9].hash);
    }

    #[test]
    fn events_chained_to_the_public_head_by_someone_without_the_key_never_load() {
        let all = chain(6);
        let held: HashMap<i64, String> = all[..3].iter().map(|e| (e.seq, e.hash.clone())).collect();
        let head = Head {
            seq: 3,
            hash: all[2].hash.clone(),
            broken: false,
        };
        // A forged event 4, chained from the public hash of event 3, in a key of its own.
        let mut forged = vec![all[3].clone()];
        forged[0].actor = "someone".into();
        link_after(&all[2].hash, &mut forged);
        let forged_seg = seg(&forged);
        // Alone, or signed by another key: nothing loads.
        for cps in [vec![], vec![signed(&forged[0], [9; 32])]] {
            let f = run(&head, &held, std::slice::from_ref(&forged_seg), &cps);
            assert!(f.events.is_empty(), "{:?}", seqs(&f));
        }
        // With the station's own segment and checkpoint, in either order: the station's events
        // load and the forgery is named where it is.
        let real = seg(&all[3..]);
        for segs in [
            [forged_seg.clone(), real.clone()],
            [real.clone(), forged_seg.clone()],
        ] {
            let f = run(&head, &held, &segs, &[signed(&all[5], KEY)]);
            assert_eq!(f.events, all[3..].to_vec());
            assert_eq!(
                f.alarms,
                vec![Alarm::Rewritten {
                    seq: 4,
                    key: forged_seg.key.clone()
                }]
            );
        }
    }

    #[test]
    fn a_rewritten_old_event_a_misnamed_key_and_a_broken_chain_are_alarms() {
        let all = chain(8);
        let held: HashMap<i64, String> = all[..4].iter().map(|e| (e.seq, e.hash.clone())).collect();
        let head = Head {
            seq: 4,
            hash: all[3].hash.clone(),
            broken: false,
        };
        // Event 3, loaded already, comes back with another actor in a new version of its key.
        let mut old = all[..4].to_vec();
        old[2].actor = "someone".into();
        old[2].hash = event_hash(&EventFields::of(&old[2]), &old[2].prev_hash);
        let f = run(&head, &held, &[seg(&old)], &[]);
        assert_eq!(
            f.alarms,
            vec![Alarm::Rewritten {
                seq: 3,
                key: seg(&old).key
            }]
        );
        assert_eq!(f.settled_segments, vec![0]);
        // A key whose name is not its content, and one outside the pattern: never candidates.
        let mut lying = seg(&all[4..]);
        lying.key = segment::segment_key("a", 999, 999);
        let mut odd = seg(&all[4..]);
        odd.key = "ledger/a/segments/!.jsonl".into();
        let f = run(
            &head,
            &held,
            &[lying.clone(), odd.clone()],
            &[signed(&all[7], KEY)],
        );
        assert!(f.events.is_empty());
        assert_eq!(
            f.alarms,
            vec![
                Alarm::Misnamed { key: lying.key },
                Alarm::Misnamed { key: odd.key }
            ]
        );
        // Event 6 edited (its hash recomputed): every seq is there, none reaches the signed head.
        let mut edited = all[4..].to_vec();
        edited[1].detail_json = "{\"x\":1}".into();
        edited[1].hash = event_hash(&EventFields::of(&edited[1]), &edited[1].prev_hash);
        let f = run(&head, &held, &[seg(&edited)], &[signed(&all[7], KEY)]);
        assert!(f.events.is_empty() && f.head.broken);
        assert!(
            matches!(&f.alarms[..], [Alarm::ChainBroken { seq: 6, .. }]),
            "{:?}",
            f.alarms
        );
    }

    #[test]
    fn a_checkpoint_holds_only_with_the_enrolled_key_and_the_head_the_chain_has() {
        let all = chain(3);
        let held: HashMap<i64, String> = all.iter().map(|e| (e.seq, e.hash.clone())).collect();
        let head = Head {
            seq: 3,
            hash: all[2].hash.clone(),
            broken: false,
        };
        let good = signed(&all[2], KEY);
        assert!(matches!(
            check_checkpoint(&station(), &good),
            CheckpointFinding::Signed { seq: 3, .. }
        ));
        let foreign = signed(&all[2], [8; 32]);
        let mut elsewhere = good.clone();
        let mut cp: Checkpoint = serde_json::from_slice(&good.body).unwrap();
        cp.station = "b".into();
        elsewhere.body = serde_json::to_vec(&cp).unwrap();
        // The station's own checkpoint copied under a higher name.
        let mut renamed = good.clone();
        renamed.key = segment::checkpoint_key("a", 999_999_999_999);
        for bad in [&foreign, &elsewhere, &renamed] {
            assert_eq!(
                check_checkpoint(&station(), bad),
                CheckpointFinding::Alarm(Alarm::BadCheckpoint {
                    key: bad.key.clone()
                })
            );
        }
        // Signed, at a seq the hub holds, naming another head.
        let other = Checkpoint::sign(
            &SigningKey::from_bytes(&KEY),
            "a",
            3,
            &all[1].hash,
            &all[2].at,
        );
        let other = Object {
            key: good.key.clone(),
            body: serde_json::to_vec(&other).unwrap(),
        };
        let f = run(&head, &held, &[], &[good, other.clone()]);
        assert_eq!(
            f.alarms,
            vec![Alarm::CheckpointDiffers {
                seq: 3,
                key: other.key
            }]
        );
        assert_eq!(f.settled_checkpoints.len(), 2);
    }
}
