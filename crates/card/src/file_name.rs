//! The common police file-name pattern `<serial 7>_<officer 6>_<YYYYMMDDhhmmss>_<seq 4>[_IMP].<ext>`,
//! and what a camera's clip numbers say in the order it recorded them.

use chrono::NaiveDateTime;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClipName {
    pub serial: String,
    pub officer: String,
    /// Recording start by the camera's (zone-less) wall clock.
    pub started: NaiveDateTime,
    pub sequence: u32,
    pub important: bool,
}

/// Parses a file name (not a path). Returns None for anything that does not follow the pattern.
pub fn parse(name: &str) -> Option<ClipName> {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let mut parts = stem.split('_');
    let serial = parts.next()?;
    let officer = parts.next()?;
    let stamp = parts.next()?;
    let seq = parts.next()?;
    let important = match parts.next() {
        None => false,
        Some(flag) if flag.eq_ignore_ascii_case("IMP") => true,
        Some(_) => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    let alnum = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_alphanumeric());
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    if !alnum(serial, 7) || !alnum(officer, 6) || !digits(stamp, 14) || !digits(seq, 4) {
        return None;
    }
    let started = NaiveDateTime::parse_from_str(stamp, "%Y%m%d%H%M%S").ok()?;
    Some(ClipName {
        serial: serial.to_string(),
        officer: officer.to_string(),
        started,
        sequence: seq.parse().ok()?,
        important,
    })
}

/// A camera's clip counter runs 0001..=9999 and then starts again at 0001.
pub const COUNTER_MAX: u32 = 9999;
/// A counter that goes back to the start from within this many numbers of the end has wrapped;
/// from lower, it was reset (a format, a firmware update).
const WRAP_NEAR: u32 = 100;

/// What a camera's clip numbers say, in the order it recorded them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SequenceFinding {
    /// Numbers missing (first, last): a possible deletion on the camera.
    Missing(u32, u32),
    /// The counter went back from `from` to `to` without reaching its end.
    Reset { from: u32, to: u32 },
}

/// Checks clip numbers in recording order against the camera's last number at earlier docks
/// (`previous`): gaps, also across a wrap from 9999 to 0001, and resets.
pub fn sequence_findings(
    previous: Option<u32>,
    in_recording_order: &[u32],
) -> Vec<SequenceFinding> {
    let mut found = Vec::new();
    let mut last = previous;
    for &s in in_recording_order {
        if let Some(l) = last {
            if s == l {
                continue;
            }
            if s > l {
                if s > l + 1 {
                    found.push(SequenceFinding::Missing(l + 1, s - 1));
                }
            } else if l > COUNTER_MAX - WRAP_NEAR {
                if l < COUNTER_MAX {
                    found.push(SequenceFinding::Missing(l + 1, COUNTER_MAX));
                }
                if s > 1 {
                    found.push(SequenceFinding::Missing(1, s - 1));
                }
            } else {
                found.push(SequenceFinding::Reset { from: l, to: s });
            }
        }
        last = Some(s);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_police_pattern() {
        let c = parse("1234567_100234_20261123091000_0001.MP4").unwrap();
        assert_eq!(
            (
                c.serial.as_str(),
                c.officer.as_str(),
                c.sequence,
                c.important
            ),
            ("1234567", "100234", 1, false)
        );
        assert_eq!(c.started.to_string(), "2026-11-23 09:10:00");
        assert!(
            parse("1234567_100234_20261123091000_0002_IMP.mp4")
                .unwrap()
                .important
        );
        for bad in [
            "DSC0001.JPG",
            "1234567_100234_20261399091000_0001.MP4",
            "1234567_100234_20261123091000_1.MP4",
            "a_b_c_d.mp4",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn finds_gaps_including_across_docks_wraps_and_resets() {
        use SequenceFinding::*;
        assert_eq!(sequence_findings(None, &[1, 2, 3]), vec![]);
        assert_eq!(
            sequence_findings(None, &[1, 2, 4, 7]),
            vec![Missing(3, 3), Missing(5, 6)]
        );
        assert_eq!(sequence_findings(Some(5), &[8, 9]), vec![Missing(6, 7)]);
        assert_eq!(sequence_findings(Some(5), &[6]), vec![]);
        // Issue: after 9999 → 0001 no later gap was ever found (max(sequence) stayed 9999).
        assert_eq!(sequence_findings(Some(9998), &[9999, 1, 2]), vec![]);
        assert_eq!(
            sequence_findings(Some(9999), &[1, 2, 5]),
            vec![Missing(3, 4)]
        );
        assert_eq!(
            sequence_findings(Some(9997), &[3]),
            vec![Missing(9998, 9999), Missing(1, 2)]
        );
        assert_eq!(
            sequence_findings(Some(412), &[1, 2]),
            vec![Reset { from: 412, to: 1 }]
        );
    }
}
