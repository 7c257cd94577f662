//! The binding file `CAMDOCK.INI`, written on the card by `camdock bind`: which serial, officer
//! and unit the station bound the camera to, and when, sealed with a MAC under the station key.
//! A swapped card or an edited identity no longer matches its MAC.

use crate::keys::StationKey;
use std::io::Write;
use std::path::Path;

pub const FILE_NAME: &str = "CAMDOCK.INI";
const MAX_BYTES: u64 = 16 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Binding {
    pub serial: String,
    pub officer: String,
    pub unit: String,
    pub bound_at: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct BindingCheck {
    pub binding: Option<Binding>,
    /// False when the MAC is missing or does not match: the file was edited or made elsewhere.
    pub mac_ok: bool,
    pub problems: Vec<String>,
}

impl Binding {
    fn signed_text(&self) -> String {
        format!(
            "serial={}\nofficer={}\nunit={}\nbound_at={}\n",
            self.serial, self.officer, self.unit, self.bound_at
        )
    }

    pub fn render(&self, key: &StationKey) -> String {
        let body = self.signed_text();
        format!("[camdock]\n{body}mac={}\n", key.binding_mac(&body))
    }

    /// Writes the binding file to the card and flushes it.
    pub fn write(&self, volume: &Path, key: &StationKey) -> std::io::Result<()> {
        let path = volume.join(FILE_NAME);
        let mut f = std::fs::File::create(path)?;
        f.write_all(self.render(key).as_bytes())?;
        f.sync_all()
    }
}

pub fn parse(text: &str, key: &StationKey) -> BindingCheck {
    let mut fields = std::collections::BTreeMap::new();
    let mut problems = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('[') && !l.starts_with(';'))
    {
        match line.split_once('=') {
            Some((k, v)) => {
                fields.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
            None => problems.push(format!("line '{line}' is not key=value")),
        }
    }
    let get = |k: &str| fields.get(k).cloned();
    let binding = match (get("serial"), get("officer"), get("unit"), get("bound_at")) {
        (Some(serial), Some(officer), Some(unit), Some(bound_at)) => Some(Binding {
            serial,
            officer,
            unit,
            bound_at,
        }),
        _ => {
            problems.push("serial, officer, unit or bound_at is missing".into());
            None
        }
    };
    let mac_ok = match (&binding, get("mac")) {
        (Some(b), Some(mac)) => {
            let expected = key.binding_mac(&b.signed_text());
            // Constant-time enough for a MAC checked once per dock; the comparison leaks no key.
            expected.len() == mac.len()
                && expected
                    .bytes()
                    .zip(mac.to_ascii_lowercase().bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
        _ => false,
    };
    if binding.is_some() && !mac_ok {
        problems.push(
            "the MAC does not match: the file was edited or written by another station".into(),
        );
    }
    BindingCheck {
        binding,
        mac_ok,
        problems,
    }
}

/// Reads and checks the binding file on a volume, if there is one (never following a symlink).
pub fn read(volume: &Path, key: &StationKey) -> Option<BindingCheck> {
    Some(parse(
        &super::read_control_file(volume, FILE_NAME, MAX_BYTES)?,
        key,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_card_checks_out_and_an_edited_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::load_or_create(dir.path()).unwrap();
        let b = Binding {
            serial: "1234567".into(),
            officer: "100234".into(),
            unit: "Traffic-3".into(),
            bound_at: "2026-11-24T08:00:00.000Z".into(),
        };
        let text = b.render(&key);
        let ok = parse(&text, &key);
        assert!(ok.mac_ok && ok.problems.is_empty());
        assert_eq!(ok.binding, Some(b));
        let edited = parse(&text.replace("officer=100234", "officer=100999"), &key);
        assert!(!edited.mac_ok && !edited.problems.is_empty());
        let other_station =
            StationKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert!(
            !parse(&text, &other_station).mac_ok,
            "a binding made by another station does not verify here"
        );
        assert!(!parse("garbage", &key).mac_ok);
    }
}
