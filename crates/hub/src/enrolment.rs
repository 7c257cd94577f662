//! A station's enrolment as the hub keeps it in the bucket (`hub/stations/<station>.json`), so a
//! rebuild needs the bucket alone: the station's name, its unit and its checkpoint key, signed
//! with the hub's own key. Whoever can write to the bucket could otherwise swap a station's key
//! (and then sign a history of their own) before the next rebuild: a rebuild follows only what
//! the hub's key signed.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Where the hub keeps its enrolments in the bucket.
pub const ENROLMENTS: &str = "hub/stations/";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub station: String,
    pub unit: String,
    /// The station's checkpoint key, hex.
    pub public_key: String,
    /// The hub's ed25519 signature over `signed_text`, hex.
    pub signature: String,
}

impl Enrolment {
    pub fn sign(hub: &SigningKey, station: &str, unit: &str, public_key: &str) -> Enrolment {
        let signature = hex::encode(
            hub.sign(signed_text(station, unit, public_key).as_bytes())
                .to_bytes(),
        );
        Enrolment {
            station: station.into(),
            unit: unit.into(),
            public_key: public_key.into(),
            signature,
        }
    }

    /// Whether `hub` signed it as it reads.
    pub fn signed_by(&self, hub: &VerifyingKey) -> bool {
        hex::decode(&self.signature)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .is_some_and(|sig| {
                hub.verify(
                    signed_text(&self.station, &self.unit, &self.public_key).as_bytes(),
                    &sig,
                )
                .is_ok()
            })
    }

    /// The bucket key of this enrolment.
    pub fn key(&self) -> String {
        format!("{ENROLMENTS}{}.json", self.station)
    }
}

fn signed_text(station: &str, unit: &str, public_key: &str) -> String {
    format!("camdock-enrolment\n{station}\n{unit}\n{public_key}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrolment_holds_only_as_the_hub_signed_it() {
        let hub = SigningKey::from_bytes(&[5; 32]);
        let e = Enrolment::sign(&hub, "station-a", "squad 1", "ab");
        assert!(e.signed_by(&hub.verifying_key()));
        let swapped = Enrolment {
            public_key: "cd".into(),
            ..e.clone()
        };
        assert!(!swapped.signed_by(&hub.verifying_key()), "a key swapped");
        let other = SigningKey::from_bytes(&[6; 32]);
        assert!(!e.signed_by(&other.verifying_key()));
        assert_eq!(e.key(), "hub/stations/station-a.json");
    }
}
