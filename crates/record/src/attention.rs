//! Why a camera needs attention: a code the dashboard translates, the figures the sentence needs,
//! and the sentence itself, in English, for the command line and the record.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attention {
    /// Stable, kebab-case: `low-battery`, `clock-drift`, `overdue`, … (docs/ARCHITECTURE.md lists them).
    pub code: String,
    /// The figures in the sentence, by name, for the page to put into its own language.
    pub params: Value,
    pub text: String,
    /// Someone has seen to it since the camera last docked (`custody::attention`); the item stays
    /// listed, with who and why, until the next dock judges the camera afresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Acknowledgement {
    /// The account.
    pub by: String,
    pub at: String,
    pub note: String,
    /// The `attention-acknowledged` event.
    pub seq: i64,
}

impl Attention {
    pub fn new(code: &str, params: Value, text: impl Into<String>) -> Attention {
        Attention {
            code: code.to_string(),
            params,
            text: text.into(),
            acknowledged: None,
        }
    }

    /// An item with no figures.
    pub fn plain(code: &str, text: impl Into<String>) -> Attention {
        Attention::new(code, json!({}), text)
    }
}

impl std::fmt::Display for Attention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)?;
        match &self.acknowledged {
            Some(a) => write!(f, " [acknowledged by {}: {}]", a.by, a.note),
            None => Ok(()),
        }
    }
}

/// Ledgers written before items had codes hold bare sentences: read as code `note`.
impl<'de> Deserialize<'de> for Attention {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Attention, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Item {
                code: String,
                #[serde(default)]
                params: Value,
                text: String,
            },
            Sentence(String),
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Item { code, params, text } => Attention::new(&code, params, text),
            Stored::Sentence(text) => Attention::plain("note", text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_and_old_sentences_read_as_notes() {
        let item = Attention::new("low-battery", json!({"percent": 12}), "low battery: 12%");
        let back: Vec<Attention> =
            serde_json::from_str(&serde_json::to_string(&vec![item.clone()]).unwrap()).unwrap();
        assert_eq!(back, [item]);
        let old: Vec<Attention> =
            serde_json::from_str(r#"["low battery: 9% (below 20%)"]"#).unwrap();
        assert_eq!(old[0].code, "note");
        assert_eq!(old[0].text, "low battery: 9% (below 20%)");
    }
}
