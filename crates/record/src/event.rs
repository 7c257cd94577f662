//! An event about to be appended, and one as the ledger stores it.

use crate::kind::EventKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event about to be appended; `seq`, `at` and the hashes are assigned by the ledger.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub kind: EventKind,
    pub camera: Option<String>,
    pub clip: Option<String>,
    pub actor: String,
    pub detail: Value,
}

impl NewEvent {
    pub fn new(kind: EventKind, actor: &str) -> Self {
        NewEvent {
            kind,
            camera: None,
            clip: None,
            actor: actor.to_string(),
            detail: Value::Object(Default::default()),
        }
    }
    pub fn camera(mut self, camera: &str) -> Self {
        self.camera = Some(camera.to_string());
        self
    }
    pub fn clip(mut self, sha256: &str) -> Self {
        self.clip = Some(sha256.to_string());
        self
    }
    /// The event's detail, of its kind's type (`crate::detail`), stored as its JSON. There is no
    /// way to give an untyped one; the ledger checks the type fits the kind (`Details::check`).
    pub fn typed<T: Serialize>(mut self, detail: &T) -> Self {
        self.detail = serde_json::to_value(detail).expect("event details serialise");
        self
    }
}

/// One stored event: exactly the columns of `events`. Also one line of a ledger segment in the
/// bucket (`segment`), so the chain can be recomputed from the bucket alone (docs/LEDGER.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub camera: Option<String>,
    pub clip_sha256: Option<String>,
    pub actor: String,
    pub detail_json: String,
    pub prev_hash: String,
    pub hash: String,
}
