//! The ledger in an S3 bucket: its events as immutable segment objects, each a contiguous run of
//! events as JSON lines (`StoredEvent`, every column), and the signed checkpoints beside them.
//! In key order the bucket holds the chain in order (a pass that died between an upload and its
//! record may have left a segment that repeats events of the next: a reader skips identical ones).

use crate::event::StoredEvent;

/// At most this many events per segment object.
pub const SEGMENT_EVENTS: i64 = 10_000;

/// Where `station`'s segments are: `ledger/<station>/segments/`.
pub fn segments_prefix(station: &str) -> String {
    format!("ledger/{station}/segments/")
}

/// Where `station`'s checkpoints are: `ledger/<station>/checkpoints/`.
pub fn checkpoints_prefix(station: &str) -> String {
    format!("ledger/{station}/checkpoints/")
}

/// The key of the segment holding events `first..=last`: zero-padded, so key order is seq order.
pub fn segment_key(station: &str, first: i64, last: i64) -> String {
    format!("{}{first:012}-{last:012}.jsonl", segments_prefix(station))
}

/// The key of the checkpoint of event `seq`: zero-padded, as the station names its file.
pub fn checkpoint_key(station: &str, seq: i64) -> String {
    format!("{}{seq:012}.json", checkpoints_prefix(station))
}

/// The range a segment's name (the key after its station's prefix) says it holds: exactly
/// `<12 digits>-<12 digits>.jsonl`, first no greater than last; None for any other name.
pub fn parse_key_range(name: &str) -> Option<(i64, i64)> {
    let (first, last) = name.strip_suffix(".jsonl")?.split_once('-')?;
    let number = |s: &str| {
        (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i64>().ok())
            .flatten()
    };
    let (first, last) = (number(first)?, number(last)?);
    (first >= 1 && first <= last).then_some((first, last))
}

/// A segment's body: one JSON line per event.
pub fn encode(events: &[StoredEvent]) -> Vec<u8> {
    let mut body = Vec::new();
    for e in events {
        body.extend(serde_json::to_vec(e).expect("plain values serialise"));
        body.push(b'\n');
    }
    body
}

/// A segment's lines, each an event or the line's number (from 1) where it is none.
pub fn decode(body: &[u8]) -> impl Iterator<Item = Result<StoredEvent, usize>> + '_ {
    body.split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| serde_json::from_slice(l).map_err(|_| i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_name_says_its_range_or_nothing() {
        let name = |k: String| k.strip_prefix(&segments_prefix("s")).unwrap().to_string();
        assert_eq!(
            parse_key_range(&name(segment_key("s", 3, 42))),
            Some((3, 42))
        );
        for bad in [
            "!.jsonl",
            "000000000003-000000000002.jsonl",
            "3-42.jsonl",
            "000000000003-000000000042.json",
            "000000000000-000000000001.jsonl",
            "00000000000a-000000000042.jsonl",
        ] {
            assert_eq!(parse_key_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_sort_by_seq_and_bodies_read_back() {
        assert!(segment_key("s", 9, 10) < segment_key("s", 11, 12));
        assert_eq!(
            segment_key("s", 1, 2),
            "ledger/s/segments/000000000001-000000000002.jsonl"
        );
        let e = StoredEvent {
            seq: 1,
            at: "2026-12-03T10:00:00.000Z".into(),
            kind: "checkpoint".into(),
            camera: None,
            clip_sha256: None,
            actor: "s".into(),
            detail_json: "{}".into(),
            prev_hash: crate::GENESIS.into(),
            hash: "ab".into(),
        };
        let mut body = encode(std::slice::from_ref(&e));
        body.extend(b"not an event\n");
        let lines: Vec<_> = decode(&body).collect();
        assert_eq!(lines, vec![Ok(e), Err(2)]);
    }
}
