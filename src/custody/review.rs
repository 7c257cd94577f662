//! Spot checks (002 Art. 18: "the legal and inspection sections check the recordings at irregular
//! times and keep an inspection register"; 003 Art. 17: a review at least once a year). A reviewer
//! draws a sample of the clips recorded in a period, by a seed on record, weighted toward what
//! matters, and records a finding on each clip against the checklist (`camdock_record::review`).
//! Every draw and every finding is an event; the register is read from the events alone, with the
//! viewings of the drawn clips from the access register.
//!
//! The sample is a weighted draw without replacement that anyone can repeat from the record: each
//! candidate's key is `ln(u) / weight`, u the first 8 bytes of SHA-256("<seed>:<clip sha256>") as a
//! fraction of 2^64 (Efraimidis and Spirakis), and the `size` highest keys are drawn. A clip's key
//! depends on the seed and the clip alone: the same seed over the same clips draws the same sample
//! in any order, with `sha256sum` and a few lines of arithmetic.

use crate::ledger::queries::events_of_kinds;
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use camdock_record::detail::{
    ClipAccessedDetail, DrawnClip, RecordingGapsDetail, ReviewDrawnDetail, ReviewFindingDetail,
};
use camdock_record::review::{Answer, Check, Item};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// What to draw from.
#[derive(Clone, Debug)]
pub struct Scope {
    pub officer: Option<String>,
    pub camera: Option<String>,
    /// Recorded at or after.
    pub from: DateTime<Utc>,
    /// Recorded before.
    pub to: DateTime<Utc>,
}

/// What makes a clip weigh more: in a case, the first recording after a gap, docked late.
const WEIGHT_CASE: u32 = 3;
const WEIGHT_AFTER_GAP: u32 = 2;
const WEIGHT_LATE: u32 = 2;

/// A spot check that cannot be drawn or recorded as asked.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no spot check was drawn as event #{0}")]
    NoDraw(i64),
    #[error(
        "clip {clip} was not drawn in spot check #{draw}: only a drawn clip is reviewed (found, or viewed for the spot check)"
    )]
    NotDrawn { clip: String, draw: i64 },
    #[error(
        "the finding on clip {clip} leaves out {missing}: every item of the checklist is answered (pass, fail or not-applicable)"
    )]
    Incomplete { clip: String, missing: String },
    #[error("the finding on clip {clip} answers {item} twice")]
    Twice { clip: String, item: &'static str },
    #[error("a sample of at least one clip is drawn")]
    EmptySize,
    #[error("a spot check's period runs forward: --from {from} is not before --to {to}")]
    EmptyPeriod { from: String, to: String },
    #[error(
        "seed {0} is on no earlier spot check: a new draw takes a seed at random (a seed is given only to draw a recorded one again), so no one picks the clips by picking the seed"
    )]
    SeedNotOnRecord(u64),
    #[error("clip {clip} has a finding in spot check #{draw} already (event #{seq})")]
    FoundAlready { clip: String, draw: i64, seq: i64 },
}

/// The candidates of `scope` with their weights, in clip order.
fn candidates(conn: &Connection, scope: &Scope) -> anyhow::Result<Vec<DrawnClip>> {
    let after_gap = clips_after_a_gap(conn)?;
    let mut stmt = conn.prepare(
        "SELECT c.sha256, r.camera, r.officer, r.source, r.late, r.session_id,
                EXISTS(SELECT 1 FROM case_clips k WHERE k.sha256 = c.sha256 AND k.removed_seq IS NULL)
         FROM clips c JOIN recordings r ON r.id = (SELECT min(id) FROM recordings WHERE sha256 = c.sha256)
         WHERE c.purged_seq IS NULL
           AND (?1 IS NULL OR r.officer = ?1)
           AND (?2 IS NULL OR r.camera = ?2)
           AND julianday(coalesce(r.recorded_at_corrected, r.recorded_at)) >= julianday(?3)
           AND julianday(coalesce(r.recorded_at_corrected, r.recorded_at)) < julianday(?4)
         ORDER BY c.sha256",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![
            scope.officer,
            scope.camera,
            crate::time::stamp(scope.from),
            crate::time::stamp(scope.to),
        ],
        |r| {
            let (sha256, camera, officer, source): (String, String, Option<String>, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let (late, session, in_case): (bool, i64, bool) = (r.get(4)?, r.get(5)?, r.get(6)?);
            let mut why = Vec::new();
            let mut weight = 1;
            if in_case {
                weight += WEIGHT_CASE;
                why.push("case".to_string());
            }
            if after_gap.contains(&(camera.clone(), session, source)) {
                weight += WEIGHT_AFTER_GAP;
                why.push("after-gap".to_string());
            }
            if late {
                weight += WEIGHT_LATE;
                why.push("late".to_string());
            }
            Ok(DrawnClip {
                sha256,
                officer,
                camera,
                weight,
                why,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// (camera, dock session, source) of every recording that followed a gap found at a dock: a
/// camera reuses its file names from card to card.
fn clips_after_a_gap(conn: &Connection) -> anyhow::Result<HashSet<(String, i64, String)>> {
    let mut out = HashSet::new();
    for event in events_of_kinds(conn, &[EventKind::RecordingGaps])? {
        let Some(camera) = event.camera else { continue };
        let detail: RecordingGapsDetail = serde_json::from_value(event.detail)?;
        for gap in detail.gaps.iter().filter(|g| g.seconds > 0.0) {
            out.insert((camera.clone(), detail.session, gap.before.clone()));
        }
    }
    Ok(out)
}

/// A clip's key in the draw of `seed`: higher is drawn first.
pub fn key(seed: u64, sha256: &str, weight: u32) -> f64 {
    let digest = Sha256::digest(format!("{seed}:{sha256}").as_bytes());
    let x = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    // u in (0, 1): never 0, whose logarithm has no order.
    let u = (x as f64 + 0.5) / 18_446_744_073_709_551_616.0;
    u.ln() / f64::from(weight.max(1))
}

/// The sample `seed` draws from `candidates`: the `size` highest keys, highest first.
pub fn sample(seed: u64, mut candidates: Vec<DrawnClip>, size: u32) -> Vec<DrawnClip> {
    let mut keyed: Vec<(f64, DrawnClip)> = candidates
        .drain(..)
        .map(|c| (key(seed, &c.sha256, c.weight), c))
        .collect();
    keyed.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.sha256.cmp(&b.1.sha256))
    });
    keyed
        .into_iter()
        .take(size as usize)
        .map(|(_, c)| c)
        .collect()
}

/// Draws a spot check and puts it on the record; a seed is picked at random unless given.
pub fn draw(
    station: &Station,
    scope: &Scope,
    size: u32,
    seed: Option<u64>,
    actor: &str,
) -> anyhow::Result<(i64, ReviewDrawnDetail)> {
    if size == 0 {
        return Err(crate::error::refusal(ReviewError::EmptySize));
    }
    if scope.from >= scope.to {
        return Err(crate::error::refusal(ReviewError::EmptyPeriod {
            from: crate::time::stamp(scope.from),
            to: crate::time::stamp(scope.to),
        }));
    }
    station.ledger().write(|w| {
        let seed = match seed {
            None => rand::random(),
            // Drawn again: only a seed some earlier draw took at random.
            Some(seed) => {
                let recorded = events_of_kinds(w.tx(), &[EventKind::ReviewDrawn])?
                    .into_iter()
                    .any(|e| {
                        e.detail["seed"]
                            .as_str()
                            .and_then(|s| s.parse::<u64>().ok())
                            == Some(seed)
                    });
                if !recorded {
                    return Err(crate::error::refusal(ReviewError::SeedNotOnRecord(seed)));
                }
                seed
            }
        };
        let all = candidates(w.tx(), scope)?;
        let detail = ReviewDrawnDetail {
            seed: seed.to_string(),
            officer: scope.officer.clone(),
            camera: scope.camera.clone(),
            from: crate::time::stamp(scope.from),
            to: crate::time::stamp(scope.to),
            size,
            candidates: all.len() as u64,
            clips: sample(seed, all, size),
        };
        let seq = w.append(NewEvent::new(EventKind::ReviewDrawn, actor).typed(&detail))?;
        Ok((seq, detail))
    })
}

/// A draw as the record holds it.
pub fn drawn(conn: &Connection, draw: i64) -> anyhow::Result<ReviewDrawnDetail> {
    let detail: Option<String> = conn
        .query_row(
            "SELECT detail_json FROM events WHERE seq = ?1 AND kind = ?2",
            rusqlite::params![draw, EventKind::ReviewDrawn.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    let detail = detail.ok_or_else(|| crate::error::refusal(ReviewError::NoDraw(draw)))?;
    Ok(serde_json::from_str(&detail)?)
}

/// Refuses unless spot check `draw` drew `sha256`: the draw as the chained event says, not as
/// anything else holds it. A finding, a request to view for a spot check and the viewing check it.
pub fn require_drawn(conn: &Connection, draw: i64, sha256: &str) -> anyhow::Result<()> {
    if drawn(conn, draw)?.clips.iter().any(|c| c.sha256 == sha256) {
        Ok(())
    } else {
        Err(crate::error::refusal(ReviewError::NotDrawn {
            clip: sha256.into(),
            draw,
        }))
    }
}

/// Records a finding on a drawn clip: every item answered once.
pub fn record_finding(
    station: &Station,
    draw: i64,
    sha256: &str,
    checks: &[Check],
    note: &str,
    actor: &str,
) -> anyhow::Result<i64> {
    for (i, c) in checks.iter().enumerate() {
        if checks[..i].iter().any(|earlier| earlier.item == c.item) {
            return Err(crate::error::refusal(ReviewError::Twice {
                clip: sha256.into(),
                item: c.item.as_str(),
            }));
        }
    }
    let missing: Vec<&str> = Item::ALL
        .iter()
        .filter(|i| !checks.iter().any(|c| c.item == **i))
        .map(|i| i.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(crate::error::refusal(ReviewError::Incomplete {
            clip: sha256.into(),
            missing: missing.join(", "),
        }));
    }
    station.ledger().write(|w| {
        require_drawn(w.tx(), draw, sha256)?;
        if let Some(earlier) = events_of_kinds(w.tx(), &[EventKind::ReviewFinding])?
            .into_iter()
            .find(|e| e.clip.as_deref() == Some(sha256) && e.detail["draw"] == draw)
        {
            return Err(crate::error::refusal(ReviewError::FoundAlready {
                clip: sha256.into(),
                draw,
                seq: earlier.seq,
            }));
        }
        let mut ordered = checks.to_vec();
        ordered.sort_by_key(|c| c.item);
        w.append(
            NewEvent::new(EventKind::ReviewFinding, actor)
                .clip(sha256)
                .typed(&ReviewFindingDetail {
                    draw,
                    checks: ordered,
                    note: note.into(),
                }),
        )
    })
}

/// One line of the inspection register.
#[derive(Clone, Debug, Serialize)]
pub struct RegisterEntry {
    pub seq: i64,
    pub at: String,
    /// `draw`, `viewing` or `finding`.
    pub entry: &'static str,
    pub actor: String,
    pub clip: Option<String>,
    /// The draw a viewing or finding belongs to (a viewing: the draw its request or command named).
    pub draw: Option<i64>,
    pub detail: serde_json::Value,
}

/// The inspection register: every draw, every finding, and every viewing made for a spot check,
/// in the record's order.
pub fn register(conn: &Connection) -> anyhow::Result<Vec<RegisterEntry>> {
    let events = events_of_kinds(
        conn,
        &[
            EventKind::ReviewDrawn,
            EventKind::ReviewFinding,
            EventKind::ClipAccessed,
        ],
    )?;
    let mut out = Vec::new();
    for event in events {
        let (seq, at, kind, actor, clip, detail) = (
            event.seq,
            event.at,
            event.kind,
            event.actor,
            event.clip,
            event.detail,
        );
        let (entry, draw) = if kind == EventKind::ReviewDrawn.as_str() {
            ("draw", Some(seq))
        } else if kind == EventKind::ReviewFinding.as_str() {
            let d: ReviewFindingDetail = serde_json::from_value(detail.clone())?;
            ("finding", Some(d.draw))
        } else {
            // A viewing for a spot check names its draw (checked when it was recorded); any other
            // viewing of the same clip is not the spot check's.
            let d: ClipAccessedDetail = serde_json::from_value(detail.clone())?;
            match d.review {
                Some(draw) if d.action == "view" => ("viewing", Some(draw)),
                _ => continue,
            }
        };
        out.push(RegisterEntry {
            seq,
            at,
            entry,
            actor,
            clip,
            draw,
            detail,
        });
    }
    Ok(out)
}

/// Parses `item=answer`.
pub fn parse_check(s: &str) -> Option<Check> {
    let (item, answer) = s.split_once('=')?;
    Some(Check {
        item: Item::parse(item)?,
        answer: Answer::parse(answer)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(n: u8, weight: u32) -> DrawnClip {
        DrawnClip {
            sha256: format!("{n:02x}").repeat(32),
            camera: "1".into(),
            weight,
            ..DrawnClip::default()
        }
    }

    #[test]
    fn a_clips_key_is_its_own_so_the_order_of_the_candidates_does_not_matter() {
        let forward: Vec<_> = (0..50).map(|n| clip(n, 1)).collect();
        let backward: Vec<_> = forward.iter().rev().cloned().collect();
        assert_eq!(sample(7, forward.clone(), 5), sample(7, backward, 5));
        assert_ne!(
            sample(7, forward.clone(), 5),
            sample(8, forward, 5),
            "another seed, another sample"
        );
    }

    #[test]
    fn weight_draws_a_clip_more_often() {
        // Over 400 seeds, one clip of weight 8 among 19 of weight 1, one drawn each time: by
        // weight it is drawn 8/27 of the time (about 119), unweighted 1/20 (20).
        let mut candidates: Vec<_> = (0..19).map(|n| clip(n, 1)).collect();
        candidates.push(clip(200, 8));
        let heavy = clip(200, 8).sha256;
        let drawn = (0..400u64)
            .filter(|&seed| sample(seed, candidates.clone(), 1)[0].sha256 == heavy)
            .count();
        assert!((80..160).contains(&drawn), "drawn {drawn} times of 400");
    }

    #[test]
    fn checks_parse_from_item_and_answer() {
        assert_eq!(
            parse_check("sound-usable=fail"),
            Some(Check {
                item: Item::SoundUsable,
                answer: Answer::Fail
            })
        );
        assert_eq!(parse_check("sound-usable"), None);
        assert_eq!(parse_check("loudness=pass"), None);
    }
}
