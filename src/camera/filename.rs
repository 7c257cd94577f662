//! The common police file-name pattern `<serial 7>_<officer 6>_<YYYYMMDDhhmmss>_<seq 4>[_IMP].<ext>`.

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

/// Gaps in a camera's sequence numbers (a possible deletion on the camera): each missing range as
/// (first missing, last missing). `previous` is the highest number already seen at earlier docks.
pub fn sequence_gaps(previous: Option<u32>, mut seen: Vec<u32>) -> Vec<(u32, u32)> {
    seen.sort_unstable();
    seen.dedup();
    let mut gaps = Vec::new();
    let mut last = previous;
    for s in seen {
        if let Some(l) = last {
            if s > l + 1 {
                gaps.push((l + 1, s - 1));
            }
        }
        last = Some(last.map_or(s, |l| l.max(s)));
    }
    gaps
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
    fn finds_gaps_including_across_docks() {
        assert_eq!(sequence_gaps(None, vec![1, 2, 3]), vec![]);
        assert_eq!(sequence_gaps(None, vec![1, 4, 2, 7]), vec![(3, 3), (5, 6)]);
        assert_eq!(sequence_gaps(Some(5), vec![8, 9]), vec![(6, 7)]);
        assert_eq!(sequence_gaps(Some(5), vec![6]), vec![]);
    }
}
