//! A spot check's checklist, taken from the regulations (../shared/regulations): each item a
//! reviewer answers for a drawn clip, and the answers. Named once, for the finding's event, the
//! command line, the dashboard and the report.

use serde::{Deserialize, Serialize};

macro_rules! items {
    ($($item:ident => $name:literal, $question:literal,)*) => {
        /// One question of the checklist.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Item {
            $($item,)*
        }

        impl Item {
            /// Every item, in the order a reviewer answers them.
            pub const ALL: &'static [Item] = &[$(Item::$item,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Item::$item => $name,)*
                }
            }

            /// The question as a reviewer reads it, with where the rule comes from.
            pub fn question(self) -> &'static str {
                match self {
                    $(Item::$item => $question,)*
                }
            }

            pub fn parse(s: &str) -> Option<Item> {
                Item::ALL.iter().copied().find(|i| i.as_str() == s.trim())
            }
        }
    };
}

items! {
    RecordedThroughout => "recorded-throughout",
        "recorded from arrival to departure, with no part left out (001 Art. 18; 004 Art. 11)",
    StatementAtStart => "statement-at-start",
        "time, place and the act stated by voice at the start (001 Art. 18)",
    InterruptionsExplained => "interruptions-explained",
        "every interruption explained by voice when recording resumed, or in writing (001 Art. 19; 000 Art. 5; 003 Art. 12)",
    PictureUsable => "picture-usable",
        "the picture shows what happened (not covered, not dark, in focus)",
    SoundUsable => "sound-usable",
        "what was said can be heard",
}

/// A reviewer's answer to one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    Pass,
    Fail,
    /// The item does not apply to this clip (no interruption, a photo without sound).
    NotApplicable,
}

impl Answer {
    pub const ALL: [Answer; 3] = [Answer::Pass, Answer::Fail, Answer::NotApplicable];

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Pass => "pass",
            Answer::Fail => "fail",
            Answer::NotApplicable => "not-applicable",
        }
    }

    pub fn parse(s: &str) -> Option<Answer> {
        Answer::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }
}

/// One item answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub item: Item,
    pub answer: Answer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_as_the_items_and_answers_they_name() {
        for &i in Item::ALL {
            assert_eq!(Item::parse(i.as_str()), Some(i));
            assert_eq!(
                serde_json::to_value(i).unwrap(),
                serde_json::Value::from(i.as_str())
            );
        }
        for a in Answer::ALL {
            assert_eq!(Answer::parse(a.as_str()), Some(a));
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::Value::from(a.as_str())
            );
        }
        assert_eq!(Item::parse("made-up"), None);
    }
}
