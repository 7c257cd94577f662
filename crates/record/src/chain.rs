//! The hash chain: each event's hash covers its fields and the previous event's hash, so changing,
//! inserting or deleting any past event breaks every hash after it.
//!
//! `hash = SHA-256(canonical(seq, at, kind, camera, clip, actor, detail) ‖ prev_hash)`, where the
//! canonical form is the compact JSON array of those seven values (detail as its stored JSON text).
//! An auditor can recompute it with `sqlite3` and a few lines of Python; see docs/LEDGER.md.

use crate::event::StoredEvent;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an event's hash covers.
pub struct EventFields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub kind: &'a str,
    pub camera: Option<&'a str>,
    pub clip: Option<&'a str>,
    pub actor: &'a str,
    pub detail_json: &'a str,
}

impl<'a> EventFields<'a> {
    pub fn of(e: &'a StoredEvent) -> EventFields<'a> {
        EventFields {
            seq: e.seq,
            at: &e.at,
            kind: &e.kind,
            camera: e.camera.as_deref(),
            clip: e.clip_sha256.as_deref(),
            actor: &e.actor,
            detail_json: &e.detail_json,
        }
    }
}

pub fn event_hash(e: &EventFields<'_>, prev_hash: &str) -> String {
    let canonical = serde_json::to_string(&(
        e.seq,
        e.at,
        e.kind,
        e.camera,
        e.clip,
        e.actor,
        e.detail_json,
    ))
    .expect("plain values serialise");
    let mut h = Sha256::new();
    h.update(canonical.as_bytes());
    h.update(prev_hash.as_bytes());
    hex::encode(h.finalize())
}

/// Where a chain breaks, and how: what an auditor is told.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The sequence jumps: events between were deleted (or the first is not event 1).
    #[error("event {seq} follows event {after}: events are missing")]
    Missing { seq: i64, after: i64 },
    /// The event names another predecessor's hash than the one before it has.
    #[error("event {seq} does not link to the hash of event {after}")]
    Unlinked { seq: i64, after: i64 },
    /// The event's own hash no longer covers its fields: it was edited.
    #[error("event {seq} ({kind}) was changed after it was written")]
    Changed { seq: i64, kind: String },
}

impl ChainBreak {
    /// The event at which the chain breaks.
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::Missing { seq, .. }
            | ChainBreak::Unlinked { seq, .. }
            | ChainBreak::Changed { seq, .. } => *seq,
        }
    }
}

/// A chain walked event by event, in order, from wherever the events are (a ledger, a bucket's
/// segments, a hub's copy): the head so far, and the first break.
#[derive(Clone, Debug)]
pub struct Chain {
    pub events: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub first_break: Option<ChainBreak>,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain {
            events: 0,
            head_seq: 0,
            head_hash: GENESIS.to_string(),
            first_break: None,
        }
    }
}

impl Chain {
    /// Takes the next event. Returns the break it makes, if the chain held until it; after the
    /// first break the walk only follows the head (every later hash is off anyway).
    pub fn push(&mut self, e: &StoredEvent) -> Option<ChainBreak> {
        let mut found = None;
        if self.first_break.is_none() {
            found = if e.seq != self.head_seq + 1 {
                Some(ChainBreak::Missing {
                    seq: e.seq,
                    after: self.head_seq,
                })
            } else if e.prev_hash != self.head_hash {
                Some(ChainBreak::Unlinked {
                    seq: e.seq,
                    after: self.head_seq,
                })
            } else if event_hash(&EventFields::of(e), &e.prev_hash) != e.hash {
                Some(ChainBreak::Changed {
                    seq: e.seq,
                    kind: e.kind.clone(),
                })
            } else {
                None
            };
            self.first_break.clone_from(&found);
        }
        self.events += 1;
        self.head_seq = e.seq;
        self.head_hash.clone_from(&e.hash);
        found
    }

    pub fn holds(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Links `events` into a chain from the genesis, in order: each one's `prev_hash` and `hash` set as
/// a ledger sets them when it appends (for simulated stations, benchmarks and tests).
pub fn link(events: &mut [StoredEvent]) {
    link_after(GENESIS, events);
}

/// Links `events` on from the event whose hash is `prev` (a chain continued, or a forger's).
pub fn link_after(prev: &str, events: &mut [StoredEvent]) {
    let mut prev = prev.to_string();
    for e in events {
        e.prev_hash.clone_from(&prev);
        e.hash = event_hash(&EventFields::of(e), &prev);
        prev.clone_from(&e.hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chained(n: i64) -> Vec<StoredEvent> {
        let mut events: Vec<StoredEvent> = (1..=n)
            .map(|seq| StoredEvent {
                seq,
                at: format!("2026-12-03T10:00:{seq:02}.000Z"),
                kind: "clip-stored".into(),
                camera: Some("1234567".into()),
                clip_sha256: None,
                actor: "station".into(),
                detail_json: format!("{{\"n\":{seq}}}"),
                prev_hash: String::new(),
                hash: String::new(),
            })
            .collect();
        link(&mut events);
        events
    }

    fn walk(events: &[StoredEvent]) -> Chain {
        let mut c = Chain::default();
        for e in events {
            c.push(e);
        }
        c
    }

    #[test]
    fn a_whole_chain_holds_and_each_kind_of_break_is_named() {
        let events = chained(5);
        let c = walk(&events);
        assert!(c.holds() && c.head_seq == 5 && c.head_hash == events[4].hash);

        let mut edited = events.clone();
        edited[2].detail_json = "{\"n\":99}".into();
        assert_eq!(
            walk(&edited).first_break,
            Some(ChainBreak::Changed {
                seq: 3,
                kind: "clip-stored".into()
            })
        );
        let mut deleted = events.clone();
        deleted.remove(1);
        assert_eq!(
            walk(&deleted).first_break,
            Some(ChainBreak::Missing { seq: 3, after: 1 })
        );
        let mut relinked = events.clone();
        relinked[3].prev_hash = GENESIS.into();
        assert_eq!(
            walk(&relinked)
                .first_break
                .map(|b| b.to_string())
                .as_deref(),
            Some("event 4 does not link to the hash of event 3")
        );
    }
}
