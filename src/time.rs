//! Instants as the ledger writes them, and the station's time zone for reading camera wall clocks.
//!
//! Cameras keep zone-less local wall time. The station interprets it in its configured zone and
//! stores UTC; a DST change or a wrong zone then shows up as clock offset instead of vanishing.

use chrono::{DateTime, LocalResult, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// The one text form of an instant in the ledger and the JSON output: RFC 3339, UTC, milliseconds.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The instant `age` before `at`, as the ledger writes instants: a record stamped before it is
/// older than `age` (overdue, silent, not replicated in time; the hub's passes and its dashboard
/// judge by it alike). An age too large to subtract reaches back to the earliest instant.
pub fn stamp_before(at: DateTime<Utc>, age: std::time::Duration) -> String {
    let back = chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
    stamp(
        at.checked_sub_signed(back)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    )
}

pub fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An instant a person typed (a flag or a form field named `what`), or a usage error that says
/// what an instant looks like: the command line and the dashboard refuse a bad one alike.
pub fn typed_instant(what: &str, value: &str) -> anyhow::Result<DateTime<Utc>> {
    parse_stamp(value).ok_or_else(|| {
        crate::usage!("{what} '{value}' is not an RFC 3339 time such as 2026-11-24T08:00:00Z")
    })
}

/// The station's zone: the system's, or a named IANA zone from the config.
#[derive(Clone, Debug)]
pub enum StationZone {
    System,
    Named(chrono_tz::Tz),
}

impl StationZone {
    pub fn parse(name: Option<&str>) -> Result<Self, String> {
        match name {
            None | Some("") | Some("system") => Ok(StationZone::System),
            Some(n) => n
                .parse::<chrono_tz::Tz>()
                .map(StationZone::Named)
                .map_err(|_| {
                    format!("'{n}' is not an IANA time zone name (for example Asia/Shanghai)")
                }),
        }
    }

    /// Camera wall time → UTC. In a DST fold the earlier reading is taken; in a gap, none.
    pub fn wall_to_utc(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        fn pick<Tz: TimeZone>(r: LocalResult<DateTime<Tz>>) -> Option<DateTime<Utc>> {
            r.earliest().map(|t| t.with_timezone(&Utc))
        }
        match self {
            StationZone::System => pick(chrono::Local.from_local_datetime(&wall)),
            StationZone::Named(tz) => pick(tz.from_local_datetime(&wall)),
        }
    }

    /// UTC → wall time in this zone (what a camera clock should show now).
    pub fn utc_to_wall(&self, t: DateTime<Utc>) -> NaiveDateTime {
        match self {
            StationZone::System => t.with_timezone(&chrono::Local).naive_local(),
            StationZone::Named(tz) => t.with_timezone(tz).naive_local(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_in_utc_plus_8_reads_as_utc() {
        let zone = StationZone::parse(Some("Asia/Shanghai")).unwrap();
        let wall =
            NaiveDateTime::parse_from_str("2026-11-24 08:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            stamp(zone.wall_to_utc(wall).unwrap()),
            "2026-11-24T00:00:00.000Z"
        );
        assert_eq!(zone.utc_to_wall(zone.wall_to_utc(wall).unwrap()), wall);
        assert!(StationZone::parse(Some("Mars/Olympus")).is_err());
    }
}
