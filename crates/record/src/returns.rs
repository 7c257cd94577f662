//! The hub's statement to one station of the cameras it saw return elsewhere: a camera undocked
//! at station A and docked next at station B is back, but A's ledger alone would judge it overdue
//! for ever. The hub (which reads every station's signed ledger from the bucket) writes to the
//! bucket, per station, the cameras whose last undock there was followed by a dock at another
//! station, signed with the hub's ed25519 key; a station that holds the hub's public key closes
//! its local episode on record from it, and keeps its own rule when the statement is stale or its
//! signature fails (docs/LEDGER.md, "The bureau's hub").

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// A camera seen back at another station after its last undock at the station addressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Return {
    pub camera: String,
    /// The undock (or checkout at the desk) at the station addressed that began the episode this
    /// closes: its seq and time there, as its own ledger wrote them.
    pub undocked_seq: i64,
    pub undocked_at: String,
    /// Where and when it docked next.
    pub docked_station: String,
    pub docked_at: String,
}

/// What the signature covers, in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnsBody {
    /// The station addressed.
    pub station: String,
    pub issued_at: String,
    pub returns: Vec<Return>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnsStatement {
    #[serde(flatten)]
    pub body: ReturnsBody,
    /// ed25519 signature over `signed_bytes(body)`, hex.
    pub signature: String,
}

/// Why a station does not act on a statement.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatementRefused {
    #[error("the hub's statement is not one (unreadable: {0})")]
    Unreadable(String),
    #[error("the hub's statement is not signed by the hub's key this station holds")]
    BadSignature,
    #[error("the hub's statement is addressed to station {0}, not this one")]
    OtherStation(String),
    #[error(
        "the hub's statement was issued at {issued_at}, more than {allowed} from this station's clock (stale)"
    )]
    Stale { issued_at: String, allowed: String },
    #[error("the hub's statement says it was issued at {0}, which is not an instant")]
    BadTime(String),
}

/// Where the hub keeps its statements in the bucket.
pub const STATEMENTS: &str = "hub/returns/";

/// The bucket key of `station`'s statement.
pub fn statement_key(station: &str) -> String {
    format!("{STATEMENTS}{station}.json")
}

fn signed_bytes(body: &ReturnsBody) -> Vec<u8> {
    let mut bytes = b"camdock-returns\n".to_vec();
    bytes.extend(serde_json::to_vec(body).expect("plain values serialise"));
    bytes
}

impl ReturnsStatement {
    pub fn sign(key: &SigningKey, body: ReturnsBody) -> ReturnsStatement {
        let signature = hex::encode(key.sign(&signed_bytes(&body)).to_bytes());
        ReturnsStatement { body, signature }
    }

    /// The statement in `bytes` for `station`, when `hub` signed it; `issued_at` is then checked
    /// by the caller against its own clock (`fresh`).
    pub fn read(
        bytes: &[u8],
        hub: &VerifyingKey,
        station: &str,
    ) -> Result<ReturnsStatement, StatementRefused> {
        let s: ReturnsStatement = serde_json::from_slice(bytes)
            .map_err(|e| StatementRefused::Unreadable(e.to_string()))?;
        let sig = hex::decode(&s.signature)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or(StatementRefused::BadSignature)?;
        hub.verify(&signed_bytes(&s.body), &sig)
            .map_err(|_| StatementRefused::BadSignature)?;
        if s.body.station != station {
            return Err(StatementRefused::OtherStation(s.body.station));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> ReturnsBody {
        ReturnsBody {
            station: "station-a".into(),
            issued_at: "2026-12-05T08:00:00.000Z".into(),
            returns: vec![Return {
                camera: "7100009".into(),
                undocked_seq: 12,
                undocked_at: "2026-12-03T08:00:00.000Z".into(),
                docked_station: "station-b".into(),
                docked_at: "2026-12-05T07:00:00.000Z".into(),
            }],
        }
    }

    #[test]
    fn a_statement_reads_back_only_under_the_hubs_key_and_for_its_station() {
        let hub = SigningKey::from_bytes(&[7; 32]);
        let bytes = serde_json::to_vec(&ReturnsStatement::sign(&hub, body())).unwrap();
        let read = ReturnsStatement::read(&bytes, &hub.verifying_key(), "station-a").unwrap();
        assert_eq!(read.body, body());
        let other = SigningKey::from_bytes(&[8; 32]);
        assert_eq!(
            ReturnsStatement::read(&bytes, &other.verifying_key(), "station-a"),
            Err(StatementRefused::BadSignature)
        );
        assert_eq!(
            ReturnsStatement::read(&bytes, &hub.verifying_key(), "station-b"),
            Err(StatementRefused::OtherStation("station-a".into()))
        );
        // A return added by someone with the bucket but not the hub's key unsigns it.
        let mut edited: ReturnsStatement = serde_json::from_slice(&bytes).unwrap();
        edited.body.returns[0].docked_station = "station-c".into();
        assert_eq!(
            ReturnsStatement::read(
                &serde_json::to_vec(&edited).unwrap(),
                &hub.verifying_key(),
                "station-a"
            ),
            Err(StatementRefused::BadSignature)
        );
    }
}
