//! Where a pass starts listing a station's objects. A station's segment and checkpoint keys are
//! zero-padded seqs, so what it writes next sorts after what the hub has read: a pass lists each
//! prefix after the last key up to which every version is settled, and reads only what is new
//! (one listing request a station on S3, however long its ledger). What sorts before the cursor
//! (a new version of a locked segment, a new key over old seqs, a delete marker) is what an
//! insider writes, never the station: a sweep lists everything again every `[hub] sweep_every`,
//! and is when those alarms are raised.

use crate::projection::{Projection, ProjectionError};
use std::time::Duration;

/// A station's cursor: the last key of each prefix up to which every version the hub listed is
/// settled (None: list from the start), and how long ago a pass last listed everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cursor {
    pub segments_after: Option<String>,
    pub checkpoints_after: Option<String>,
    pub swept_seconds_ago: Option<f64>,
}

impl Cursor {
    /// Whether this pass lists everything: never swept, or last swept `sweep_every` ago.
    pub fn sweep_due(&self, sweep_every: Duration) -> bool {
        self.swept_seconds_ago
            .is_none_or(|ago| ago >= sweep_every.as_secs_f64())
    }
}

/// The cursor after a listing that began after `after`: the last key of `listed` (key order;
/// each key's versions together) whose every version `settled` holds, or `after` when the
/// first key listed has one that is not. A key left unsettled (past the station's last signed
/// checkpoint, say) stops it there, so the next pass reads that key again.
pub fn advance<'a>(
    after: Option<&str>,
    listed: impl IntoIterator<Item = (&'a str, &'a str)>,
    settled: impl Fn(&str, &str) -> bool,
) -> Option<String> {
    let mut cursor = after.map(str::to_string);
    let mut current: Option<&str> = None;
    let mut whole = true;
    for (key, version) in listed {
        if current != Some(key) {
            if let Some(done) = current
                && whole
            {
                cursor = Some(done.to_string());
            }
            if !whole {
                return cursor;
            }
            current = Some(key);
        }
        whole &= settled(key, version);
    }
    match current {
        Some(last) if whole => Some(last.to_string()),
        _ => cursor,
    }
}

/// What a pass over a station listed: the cursor it leaves (loaded with its events, in one
/// transaction) and whether it listed everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listed {
    pub segments_after: Option<String>,
    pub checkpoints_after: Option<String>,
    pub swept: bool,
}

impl Projection {
    /// Where the next pass over `station` lists from.
    pub async fn cursor(&self, station: &str) -> Result<Cursor, ProjectionError> {
        Ok(self
            .client
            .query_opt(
                "SELECT segments_after, checkpoints_after,
                     extract(epoch FROM now() - swept_at)::float8
                 FROM hub_heads WHERE station = $1",
                &[&station],
            )
            .await?
            .map(|r| Cursor {
                segments_after: r.get(0),
                checkpoints_after: r.get(1),
                swept_seconds_ago: r.get(2),
            })
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advanced(
        after: Option<&str>,
        listed: &[(&str, &str)],
        settled: &[(&str, &str)],
    ) -> Option<String> {
        advance(after, listed.iter().copied(), |k, v| {
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
    }

    #[test]
    fn a_sweep_is_due_when_never_made_or_old() {
        let every = Duration::from_secs(3600);
        assert!(Cursor::default().sweep_due(every));
        let swept = |ago| Cursor {
            swept_seconds_ago: Some(ago),
            ..Cursor::default()
        };
        assert!(!swept(10.0).sweep_due(every));
        assert!(swept(3600.0).sweep_due(every));
        assert!(swept(0.0).sweep_due(Duration::ZERO));
    }
}
