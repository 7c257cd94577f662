//! The station's secret: one 32-byte key in the data directory, from which the binding-file MAC
//! key and the checkpoint signing key are derived (domain-separated, so one never stands in for
//! the other).

use ed25519_dalek::SigningKey;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub const KEY_FILE: &str = "station.key";

#[derive(Clone)]
pub struct StationKey {
    secret: [u8; 32],
}

impl StationKey {
    /// Loads the key, creating it (0400, from the kernel's random source) on first use.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<StationKey> {
        let path = data_dir.join(KEY_FILE);
        let mut secret = [0u8; 32];
        match std::fs::File::open(&path) {
            Ok(mut f) => f.read_exact(&mut secret)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::File::open("/dev/urandom")?.read_exact(&mut secret)?;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o400)
                    .open(&path)?;
                f.write_all(&secret)?;
                f.sync_all()?;
            }
            Err(e) => return Err(e),
        }
        Ok(StationKey { secret })
    }

    fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"camdock/");
        h.update(purpose.as_bytes());
        h.update(self.secret);
        h.finalize().into()
    }

    /// HMAC-SHA-256 over `message` with the binding key, hex.
    pub fn binding_mac(&self, message: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.derive("binding")).expect("any key length");
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The ed25519 key that signs ledger checkpoints.
    pub fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.derive("checkpoint"))
    }
}
