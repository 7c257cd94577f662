//! Compliance per officer and period: what the rules ask of each officer's recordings, as the
//! record shows it. Recordings and hours recorded; stored within the policy's time of the
//! recording's end or late (`policy.late_after`, 24 h by default: 001 Art. 22, 004 Art. 13); gaps
//! between recordings and whether each was explained (003 Art. 12); spot-check findings (002 Art.
//! 18). Read from the ledger's recordings and from the events of gaps, explanations and findings.

use super::interruptions;
use crate::ledger::EventKind;
use crate::ledger::queries::events_of_kinds;
use crate::time::{parse_stamp, stamp};
use camdock_record::detail::ReviewFindingDetail;
use camdock_record::review::Answer;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One officer's figures for the period.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct OfficerCompliance {
    /// The officer number the camera wrote in its file names (`-` where it wrote none).
    pub officer: String,
    pub recordings: u64,
    pub hours_recorded: f64,
    pub stored_in_time: u64,
    pub stored_late: u64,
    pub gaps: u64,
    pub gaps_explained: u64,
    pub gaps_open: u64,
    /// Findings recorded on this officer's recordings of the period.
    pub findings: u64,
    /// Findings with at least one item failed.
    pub findings_failed: u64,
    /// Items failed, by item.
    pub failed_items: BTreeMap<String, u64>,
}

/// Every officer with a recording, a gap or a finding in `[from, to)` (recorded time), or only
/// `officer`.
pub fn report(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    officer: Option<&str>,
) -> anyhow::Result<Vec<OfficerCompliance>> {
    if from >= to {
        return Err(crate::usage!(
            "the period runs forward: from {} is not before to {}",
            stamp(from),
            stamp(to)
        ));
    }
    let name = |o: Option<String>| o.unwrap_or_else(|| "-".into());
    let mut by_officer: BTreeMap<String, OfficerCompliance> = BTreeMap::new();
    let wanted = |o: &str| officer.is_none_or(|w| w == o);

    // Each stored clip once, by its first recording.
    let mut stmt = conn.prepare(
        "SELECT c.sha256, r.officer, r.late, json_extract(c.media_json, '$.duration_s')
         FROM clips c JOIN recordings r ON r.id = (SELECT min(id) FROM recordings WHERE sha256 = c.sha256)
         WHERE c.purged_seq IS NULL
           AND julianday(coalesce(r.recorded_at_corrected, r.recorded_at)) >= julianday(?1)
           AND julianday(coalesce(r.recorded_at_corrected, r.recorded_at)) < julianday(?2)",
    )?;
    let rows = stmt.query_map([stamp(from), stamp(to)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, Option<f64>>(3)?,
        ))
    })?;
    let mut officer_of_clip: HashMap<String, String> = HashMap::new();
    for row in rows {
        let (sha, o, late, seconds) = row?;
        let o = name(o);
        if !wanted(&o) {
            continue;
        }
        let e = entry(&mut by_officer, &o);
        e.recordings += 1;
        e.hours_recorded += seconds.unwrap_or(0.0) / 3600.0;
        if late {
            e.stored_late += 1;
        } else {
            e.stored_in_time += 1;
        }
        officer_of_clip.insert(sha, o);
    }

    for gap in interruptions::all(conn)? {
        let Some(resumed) = gap.resumed_at.as_deref().and_then(parse_stamp) else {
            continue;
        };
        let o = name(gap.officer);
        if resumed < from || resumed >= to || !wanted(&o) {
            continue;
        }
        let e = entry(&mut by_officer, &o);
        e.gaps += 1;
        if gap.explained.is_some() {
            e.gaps_explained += 1;
        } else {
            e.gaps_open += 1;
        }
    }

    for event in events_of_kinds(conn, &[EventKind::ReviewFinding])? {
        let Some(sha) = event.clip else { continue };
        let Some(o) = officer_of_clip.get(&sha) else {
            continue;
        };
        let finding: ReviewFindingDetail = serde_json::from_value(event.detail)?;
        let e = entry(&mut by_officer, o);
        e.findings += 1;
        let failed: Vec<_> = finding
            .checks
            .iter()
            .filter(|c| c.answer == Answer::Fail)
            .collect();
        if !failed.is_empty() {
            e.findings_failed += 1;
        }
        for c in failed {
            *e.failed_items.entry(c.item.as_str().into()).or_default() += 1;
        }
    }
    Ok(by_officer.into_values().collect())
}

fn entry<'a>(
    by_officer: &'a mut BTreeMap<String, OfficerCompliance>,
    officer: &str,
) -> &'a mut OfficerCompliance {
    by_officer
        .entry(officer.to_string())
        .or_insert_with(|| OfficerCompliance {
            officer: officer.to_string(),
            ..Default::default()
        })
}
