//! A signed checkpoint of the chain head: a hash chain shows any change to the events it has, but
//! not that its newest events were cut off; a head signed with the station's ed25519 key and kept
//! out of the ledger's reach does (docs/LEDGER.md).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub station: String,
    pub seq: i64,
    pub head_hash: String,
    pub at: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// Signature over `signed_text()`, hex.
    pub signature: String,
}

impl Checkpoint {
    /// Signs head `seq`/`head_hash` of `station`'s chain at `at`.
    pub fn sign(
        key: &SigningKey,
        station: &str,
        seq: i64,
        head_hash: &str,
        at: &str,
    ) -> Checkpoint {
        let text = signed_text(station, seq, head_hash, at);
        Checkpoint {
            station: station.to_string(),
            seq,
            head_hash: head_hash.to_string(),
            at: at.to_string(),
            public_key: hex::encode(key.verifying_key().to_bytes()),
            signature: hex::encode(key.sign(text.as_bytes()).to_bytes()),
        }
    }

    /// The key that signed this checkpoint, when its signature holds (an auditor with only the
    /// replica checks that every checkpoint names the same key).
    pub fn signer(&self) -> Option<VerifyingKey> {
        let signed = signed_text(&self.station, self.seq, &self.head_hash, &self.at);
        let sig = hex::decode(&self.signature)
            .ok()
            .and_then(|s| Signature::from_slice(&s).ok())?;
        let key = public_key_from_hex(&self.public_key)?;
        key.verify(signed.as_bytes(), &sig).is_ok().then_some(key)
    }

    /// Whether `key` signed it.
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        self.signer().as_ref() == Some(key)
    }
}

/// An ed25519 public key written in hex (64 digits, as `camdock key` and `camdock hub key` print
/// them), if it is one.
pub fn public_key_from_hex(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The exact bytes a checkpoint's signature covers.
fn signed_text(station: &str, seq: i64, head_hash: &str, at: &str) -> String {
    format!("camdock-checkpoint\n{station}\n{seq}\n{head_hash}\n{at}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_names_its_signer_and_an_edit_unsigns_it() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let cp = Checkpoint::sign(&key, "station-1", 42, "ab", "2026-12-03T10:00:00.000Z");
        assert!(cp.signed_by(&key.verifying_key()));
        let other = SigningKey::from_bytes(&[4; 32]);
        assert!(!cp.signed_by(&other.verifying_key()));
        let moved = Checkpoint {
            seq: 41,
            ..cp.clone()
        };
        assert_eq!(moved.signer(), None, "a signature covers the seq");
        let rekeyed = Checkpoint {
            public_key: hex::encode(other.verifying_key().to_bytes()),
            ..cp
        };
        assert_eq!(rekeyed.signer(), None, "another key does not take it over");
    }
}
