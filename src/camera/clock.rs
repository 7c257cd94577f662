//! Camera clock: measure the offset at dock, and correct it through the camera's driver.
//!
//! offset = camera clock − station clock. The camera's own times are never rewritten; a corrected
//! time (camera time − offset) is stored beside them. Whether the station's own clock was
//! NTP-synchronised is recorded with every check, since an offset is only as good as the reference.

use crate::time::StationZone;
use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use std::io::Write;
use std::path::Path;

/// The `timeset-file` driver's file: one line `YYYY-MM-DD HH:MM:SS`, applied at next power-on.
pub const TIMESET_FILE: &str = "TIMESET.TXT";
/// How far ahead TIMESET.TXT is written: the camera applies it a few seconds after it is read.
const TIMESET_LEAD_SECONDS: i64 = 3;

pub use camdock_record::facts::ClockCheck;

pub fn check(
    camera_wall: NaiveDateTime,
    station_now: DateTime<Utc>,
    zone: &StationZone,
    tolerance_ms: i64,
) -> Option<ClockCheck> {
    let camera_utc = zone.wall_to_utc(camera_wall)?;
    let offset_ms = (camera_utc - station_now).num_milliseconds();
    Some(ClockCheck {
        camera_wall: camera_wall.format("%Y-%m-%d %H:%M:%S").to_string(),
        camera_utc: crate::time::stamp(camera_utc),
        station_utc: crate::time::stamp(station_now),
        offset_ms,
        tolerance_ms,
        within_tolerance: offset_ms.abs() <= tolerance_ms,
        station_sync: station_sync_state().to_string(),
    })
}

/// A camera time corrected by a measured offset.
pub fn corrected(camera_utc: DateTime<Utc>, offset_ms: i64) -> DateTime<Utc> {
    camera_utc - Duration::milliseconds(offset_ms)
}

/// The kernel's view of its own clock: "synchronized" when NTP discipline is active.
pub fn station_sync_state() -> &'static str {
    // SAFETY: adjtimex with modes = 0 only reads the kernel's clock state into the struct.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    if state < 0 {
        "unknown"
    } else if state == libc::TIME_ERROR || tx.status & libc::STA_UNSYNC != 0 {
        "unsynchronized"
    } else {
        "synchronized"
    }
}

/// The line written to TIMESET.TXT: station wall time a few seconds ahead, never at second :00
/// (a common firmware bug turns 00 into 01).
pub fn timeset_line(now: DateTime<Utc>, zone: &StationZone) -> String {
    let mut wall = zone.utc_to_wall(now + Duration::seconds(TIMESET_LEAD_SECONDS));
    if wall.second() == 0 {
        wall += Duration::seconds(1);
    }
    wall.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Writes TIMESET.TXT at the volume root and flushes it to the card.
pub fn write_timeset(volume: &Path, line: &str) -> std::io::Result<()> {
    let path = volume.join(TIMESET_FILE);
    if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
        return Err(std::io::Error::other(
            "TIMESET.TXT on the card is not a regular file",
        ));
    }
    let mut f = std::fs::File::create(&path)?;
    f.write_all(format!("{line}\n").as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeset_is_ahead_and_never_on_the_minute() {
        let zone = StationZone::parse(Some("Asia/Shanghai")).unwrap();
        let now = "2026-11-24T00:00:57Z".parse::<DateTime<Utc>>().unwrap();
        // 00:00:57 UTC + 3 s = 08:01:00 in UTC+8 → bumped to :01.
        assert_eq!(timeset_line(now, &zone), "2026-11-24 08:01:01");
        let now = "2026-11-24T00:00:10Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(timeset_line(now, &zone), "2026-11-24 08:00:13");
    }

    #[test]
    fn offset_of_a_camera_an_hour_fast_in_utc_plus_8() {
        let zone = StationZone::parse(Some("Asia/Shanghai")).unwrap();
        let now = "2026-11-24T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let wall =
            NaiveDateTime::parse_from_str("2026-11-24 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let c = check(wall, now, &zone, 2000).unwrap();
        assert_eq!(c.offset_ms, 3_600_000);
        assert!(!c.within_tolerance);
        let recorded = zone.wall_to_utc(wall).unwrap();
        assert_eq!(corrected(recorded, c.offset_ms), now);
    }
}
