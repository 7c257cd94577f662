//! The `status-file` format: `DEVICE.TXT` at the volume root, `key=value` lines written by the
//! camera at dock. Known keys are parsed; unknown keys are kept as they are.

use chrono::NaiveDateTime;
use std::collections::BTreeMap;

pub const FILE_NAME: &str = "DEVICE.TXT";
/// A status file is a few lines; anything larger is a hostile or broken card.
pub const MAX_BYTES: u64 = 64 * 1024;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusFile {
    pub serial: Option<String>,
    pub officer: Option<String>,
    pub battery_percent: Option<u8>,
    /// Camera wall time when the file was written (zone-less).
    pub clock: Option<NaiveDateTime>,
    pub firmware: Option<String>,
    /// Every key as written, including unknown ones.
    pub raw: BTreeMap<String, String>,
    /// Lines or values that could not be understood.
    pub problems: Vec<String>,
}

pub fn parse(text: &str) -> StatusFile {
    let mut s = StatusFile::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            s.problems.push(format!("line {} is not key=value", n + 1));
            continue;
        };
        let (key, value) = (key.trim().to_ascii_lowercase(), value.trim().to_string());
        match key.as_str() {
            "serial" if valid_id(&value) => s.serial = Some(value.clone()),
            "officer" if valid_id(&value) => s.officer = Some(value.clone()),
            "battery" => match value.trim_end_matches('%').parse::<u8>() {
                Ok(p) if p <= 100 => s.battery_percent = Some(p),
                _ => s
                    .problems
                    .push(format!("battery '{value}' is not a percentage")),
            },
            "clock" => match NaiveDateTime::parse_from_str(&value, "%Y-%m-%d %H:%M:%S") {
                Ok(t) => s.clock = Some(t),
                Err(_) => s
                    .problems
                    .push(format!("clock '{value}' is not YYYY-MM-DD HH:MM:SS")),
            },
            "firmware" => s.firmware = Some(value.clone()),
            "serial" | "officer" => s
                .problems
                .push(format!("{key} '{value}' is not a plain identifier")),
            _ => {}
        }
        s.raw.insert(key, value);
    }
    s
}

/// Identifiers end up in file names, logs and the ledger: letters, digits, '-' and '_' only.
pub fn valid_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_and_keeps_unknown_keys() {
        let s = parse(
            "serial=1234567\nofficer=100234\nbattery=87\nclock=2026-11-24 08:00:00\nfirmware=V2.3.1\ngps=off\n",
        );
        assert_eq!(s.serial.as_deref(), Some("1234567"));
        assert_eq!(s.battery_percent, Some(87));
        assert_eq!(s.clock.unwrap().to_string(), "2026-11-24 08:00:00");
        assert_eq!(s.raw.get("gps").map(String::as_str), Some("off"));
        assert!(s.problems.is_empty());
    }

    #[test]
    fn malformed_values_are_problems_not_panics() {
        let s = parse("battery=250\nclock=yesterday\nserial=../../etc\nnonsense\n");
        assert_eq!(s.battery_percent, None);
        assert_eq!(s.clock, None);
        assert_eq!(s.serial, None);
        assert_eq!(s.problems.len(), 4);
    }
}
