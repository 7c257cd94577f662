//! Where a pass starts listing a station's objects. A station's segment and checkpoint keys are
//! zero-padded seqs, so what it exports next sorts after what the hub has read: a pass lists each
//! prefix after the last key up to which every version is settled, and reads only what is new
//! (on S3 one listing request per prefix, however long its ledger: measured on LocalStack, 9×
//! less than listing a year's 2,000 segments whole). What sorts before the cursor (a new version
//! of a locked segment, a new key over old seqs, a delete marker; or a station restored from a
//! backup exporting again what the hub holds) is found when a pass lists the station's objects
//! whole again: a sweep, due at a random instant in the second half of each `[hub] sweep_every`
//! after the last, so that the stations' sweeps spread over the passes and an insider cannot
//! time a change between two of them.

use crate::follow::Head;
use crate::projection::{Projection, ProjectionError};
use std::time::Duration;

/// A station's cursor: the last key of each prefix up to which every version the hub listed is
/// settled (None: list from the start), and how long until its next sweep (None: never swept).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cursor {
    pub segments_after: Option<String>,
    pub checkpoints_after: Option<String>,
    pub sweep_in_seconds: Option<f64>,
}

impl Cursor {
    /// Whether this pass lists everything: never swept, or its next sweep is due.
    pub fn sweep_due(&self) -> bool {
        self.sweep_in_seconds.is_none_or(|s| s <= 0.0)
    }
}

/// What a pass over a station listed: the cursor it leaves (loaded with its events, in one
/// transaction), and, when it listed everything, how long until the next sweep.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listed {
    pub segments_after: Option<String>,
    pub checkpoints_after: Option<String>,
    pub next_sweep: Option<Duration>,
}

/// When the sweep after one is due: `draw` (uniform in 0..1) places it in the second half of
/// `sweep_every`, so it is never later than that.
pub fn next_sweep(sweep_every: Duration, draw: f64) -> Duration {
    sweep_every.mul_f64(0.5 + draw.clamp(0.0, 1.0) / 2.0)
}

/// The highest a cursor of `prefix` may stand for a station whose head is `head`: the key of
/// seq `head + 1` without its end, which sorts before every key the station exports next (a
/// segment `<head + 1>-<last>.jsonl`, a checkpoint `<seq>.json`). A settled key that sorts
/// higher (an insider's misnamed object, a checkpoint copied to a high name) would otherwise
/// move the cursor past them, and nothing would load until a sweep.
pub fn ceiling(prefix: &str, head: i64) -> String {
    format!("{prefix}{:012}", head + 1)
}

/// The cursor of `prefix` after a listing that began after `after`, for a station whose head
/// is now `head`: the last key of `listed` (key order; each key's versions together) whose every
/// version `settled` holds, or `after` when the first key listed has one that is not; never
/// above `ceiling(prefix, head)`. A key left unsettled (past the station's last signed
/// checkpoint, say) stops it there, so the next pass reads that key again.
pub fn advance<'a>(
    prefix: &str,
    head: i64,
    after: Option<&str>,
    listed: impl IntoIterator<Item = (&'a str, &'a str)>,
    settled: impl Fn(&str, &str) -> bool,
) -> Option<String> {
    let ceiling = ceiling(prefix, head);
    let mut cursor = after.map(str::to_string);
    let mut current: Option<&str> = None;
    let mut whole = true;
    // A listing that repeats keys at or before `after` says nothing new of them.
    let listed = listed
        .into_iter()
        .filter(|(key, _)| after.is_none_or(|a| *key > a));
    for (key, version) in listed {
        if current != Some(key) {
            if !whole {
                break;
            }
            if let Some(done) = current {
                cursor = Some(done.to_string());
            }
            current = Some(key);
        }
        whole &= settled(key, version);
    }
    if whole && let Some(last) = current {
        cursor = Some(last.to_string());
    }
    cursor.map(|c| if c > ceiling { ceiling } else { c })
}

impl Projection {
    /// The head the hub holds of `station` and where its next pass lists from, in one read.
    pub async fn head_and_cursor(&self, station: &str) -> Result<(Head, Cursor), ProjectionError> {
        Ok(self
            .client
            .query_opt(
                "SELECT seq, hash, broken, segments_after, checkpoints_after,
                     extract(epoch FROM sweep_at - now())::float8
                 FROM hub_heads WHERE station = $1",
                &[&station],
            )
            .await?
            .map(|r| {
                let head = Head {
                    seq: r.get(0),
                    hash: r.get(1),
                    broken: r.get(2),
                };
                let cursor = Cursor {
                    segments_after: r.get(3),
                    checkpoints_after: r.get(4),
                    sweep_in_seconds: r.get(5),
                };
                (head, cursor)
            })
            .unwrap_or_default())
    }

    /// Where the next pass over `station` lists from.
    pub async fn cursor(&self, station: &str) -> Result<Cursor, ProjectionError> {
        Ok(self.head_and_cursor(station).await?.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys "a", "b", "c" under no digits: a prefix that sorts above them leaves the ceiling out.
    fn advanced(
        after: Option<&str>,
        listed: &[(&str, &str)],
        settled: &[(&str, &str)],
    ) -> Option<String> {
        advance("~", 0, after, listed.iter().copied(), |k, v| {
            settled.contains(&(k, v))
        })
    }

    #[test]
    fn stops_before_the_first_key_with_a_version_unsettled() {
        let listed = [("a", "1"), ("b", "1"), ("b", "2"), ("c", "1")];
        assert_eq!(advanced(None, &listed, &listed), Some("c".into()));
        assert_eq!(
            advanced(None, &listed, &[("a", "1"), ("b", "1"), ("c", "1")]),
            Some("a".into()),
            "b's second version is not settled: b is read again"
        );
        assert_eq!(advanced(None, &listed, &[("b", "1"), ("b", "2")]), None);
        assert_eq!(advanced(Some("0"), &listed, &[]), Some("0".into()));
        assert_eq!(
            advanced(Some("c"), &[], &[]),
            Some("c".into()),
            "nothing new"
        );
        assert_eq!(advanced(None, &[], &[]), None);
        assert_eq!(
            advanced(Some("b"), &listed, &[("a", "1"), ("c", "1")]),
            Some("c".into()),
            "keys up to the cursor listed again are not looked at"
        );
    }

    #[test]
    fn never_past_the_next_seq_of_the_head() {
        use camdock_record::segment::{
            checkpoint_key, checkpoints_prefix, segment_key, segments_prefix,
        };
        let top = ceiling(&segments_prefix("s"), 10);
        assert!(segment_key("s", 1, 10) < top && top < segment_key("s", 11, 20));
        let top_checkpoint = ceiling(&checkpoints_prefix("s"), 10);
        assert!(
            checkpoint_key("s", 10) < top_checkpoint && top_checkpoint < checkpoint_key("s", 11)
        );
        let planted = segment_key("s", 999_999_999_999, 999_999_999_999);
        assert_eq!(
            advance(
                &segments_prefix("s"),
                10,
                None,
                [(planted.as_str(), "1")],
                |_, _| true
            ),
            Some(top.clone()),
            "a settled key planted above it does not carry the cursor there"
        );
    }

    #[test]
    fn a_sweep_is_due_when_never_made_or_its_time_has_come() {
        assert!(Cursor::default().sweep_due());
        let due_in = |s| Cursor {
            sweep_in_seconds: Some(s),
            ..Cursor::default()
        };
        assert!(!due_in(10.0).sweep_due());
        assert!(due_in(0.0).sweep_due());
        assert!(due_in(-5.0).sweep_due());
        let every = Duration::from_secs(3600);
        assert_eq!(next_sweep(every, 0.0), Duration::from_secs(1800));
        assert_eq!(next_sweep(every, 1.0), every);
        assert_eq!(next_sweep(Duration::ZERO, 0.7), Duration::ZERO);
    }
}
