//! Case tags: the rules classify evidence by case name, party and matter ("one place per
//! enforcement target"). A tag is an event; the latest tag of a clip is its classification.

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use serde_json::json;

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
                .detail(json!({
                    "case": tag.case, "party": tag.party, "matter": tag.matter,
                })),
        )?;
        w.tx().execute(
            "INSERT INTO tags(sha256, case_name, party, matter, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![sha256, tag.case, tag.party, tag.matter, seq],
        )?;
        Ok(seq)
    })
}

/// The clips whose latest tag names `case`.
pub fn clips_of_case(station: &Station, case: &str) -> anyhow::Result<Vec<String>> {
    let ledger = station.ledger();
    let mut stmt = ledger.conn().prepare(
        "SELECT t.sha256 FROM tags t WHERE t.case_name = ?1
           AND t.seq = (SELECT max(seq) FROM tags WHERE sha256 = t.sha256) ORDER BY t.seq",
    )?;
    let rows = stmt.query_map([case], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
