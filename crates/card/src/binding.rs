//! The binding file `CAMDOCK.INI`, written on the card by `camdock bind`: which serial, officer
//! and unit the station bound the camera to, and when, sealed with a MAC under the station's
//! binding key. A swapped card or an edited identity no longer matches its MAC.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const FILE_NAME: &str = "CAMDOCK.INI";
/// A binding is five lines; anything larger is a hostile or broken card.
pub const MAX_BYTES: u64 = 16 * 1024;

/// The key a station seals its bindings with (HMAC-SHA-256), derived from the station's secret.
#[derive(Clone)]
pub struct BindingKey([u8; 32]);

impl BindingKey {
    pub fn new(key: [u8; 32]) -> BindingKey {
        BindingKey(key)
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    /// The MAC of `message`, hex.
    pub fn seal(&self, message: &str) -> String {
        let mut mac = self.mac();
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `mac_hex` is the MAC of `message`, compared in constant time (hmac's own check).
    pub fn opens(&self, message: &str, mac_hex: &str) -> bool {
        let Ok(tag) = hex::decode(mac_hex) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(message.as_bytes());
        mac.verify_slice(&tag).is_ok()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Binding {
    pub serial: String,
    pub officer: String,
    pub unit: String,
    pub bound_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

    /// The file's text, sealed with `key`.
    pub fn render(&self, key: &BindingKey) -> String {
        let body = self.signed_text();
        format!("[camdock]\n{body}mac={}\n", key.seal(&body))
    }
}

pub fn parse(text: &str, key: &BindingKey) -> BindingCheck {
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
        (Some(b), Some(mac)) => key.opens(&b.signed_text(), &mac),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_card_checks_out_and_an_edited_one_does_not() {
        let key = BindingKey::new([7; 32]);
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
        let upper = parse(&text.replace("mac=", "MAC="), &key);
        assert!(upper.mac_ok, "keys are read case-insensitively");
        let edited = parse(&text.replace("officer=100234", "officer=100999"), &key);
        assert!(!edited.mac_ok && !edited.problems.is_empty());
        assert!(
            !parse(&text, &BindingKey::new([8; 32])).mac_ok,
            "a binding made by another station does not verify here"
        );
        assert!(!parse("garbage", &key).mac_ok);
        assert!(!parse(&text.replace("mac=", "mac=zz"), &key).mac_ok);
    }
}
