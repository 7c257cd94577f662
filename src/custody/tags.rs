//! Case tags: the rules classify evidence by case name, party and matter ("one place per
//! enforcement target"). A clip belongs to every case it was tagged with until it is explicitly
//! taken out of one (`clip-untagged`, with a reason); party and matter are the latest tag's.

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use camdock_record::detail::{TagDetail, UntagDetail};

pub struct Tag<'a> {
    pub case: Option<&'a str>,
    pub party: Option<&'a str>,
    pub matter: Option<&'a str>,
}

pub fn tag(station: &Station, sha256: &str, tag: &Tag<'_>, actor: &str) -> anyhow::Result<i64> {
    station.ledger().write(|w| {
        let seq = w.append(
            NewEvent::new(EventKind::ClipTagged, actor)
                .clip(sha256)
                .typed(&TagDetail {
                    case: tag.case.map(Into::into),
                    party: tag.party.map(Into::into),
                    matter: tag.matter.map(Into::into),
                }),
        )?;
        w.tx().execute(
            "INSERT INTO tags(sha256, case_name, party, matter, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![sha256, tag.case, tag.party, tag.matter, seq],
        )?;
        if let Some(case) = tag.case {
            // Adding: a clip already in the case stays in it once.
            w.tx().execute(
                "INSERT INTO case_clips(case_name, sha256, added_seq)
                 SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM case_clips
                   WHERE case_name = ?1 AND sha256 = ?2 AND removed_seq IS NULL)",
                rusqlite::params![case, sha256, seq],
            )?;
        }
        Ok(seq)
    })
}

/// Takes a clip out of a case: a recorded act with its reason. False if it was not in the case.
pub fn untag(
    station: &Station,
    sha256: &str,
    case: &str,
    reason: &str,
    actor: &str,
) -> anyhow::Result<bool> {
    station.ledger().write(|w| {
        // Membership and the case's holds as the events make them, not as the tables say.
        let (custody, _) = crate::ledger::replay::clip(w.tx(), sha256)?;
        if !custody.cases_of(sha256).any(|c| c == case) {
            return Ok(false);
        }
        if custody
            .case_holds
            .iter()
            .any(|h| h.on == case && h.released_seq.is_none())
        {
            // A hold on a case keeps its clips; taking one out would slip it past the hold.
            return Err(crate::usage!(
                "case '{case}' is on hold: release the hold before taking a clip out of it"
            ));
        }
        let seq = w.append(
            NewEvent::new(EventKind::ClipUntagged, actor)
                .clip(sha256)
                .typed(&UntagDetail {
                    case: case.into(),
                    reason: reason.into(),
                }),
        )?;
        w.tx().execute(
            "UPDATE case_clips SET removed_seq = ?3 WHERE case_name = ?1 AND sha256 = ?2 AND removed_seq IS NULL",
            rusqlite::params![case, sha256, seq],
        )?;
        Ok(true)
    })
}

/// The clips in `case` now.
pub fn clips_of_case(station: &Station, case: &str) -> anyhow::Result<Vec<String>> {
    let ledger = station.ledger();
    let mut stmt = ledger.conn().prepare(
        "SELECT sha256 FROM case_clips WHERE case_name = ?1 AND removed_seq IS NULL ORDER BY added_seq",
    )?;
    let rows = stmt.query_map([case], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
