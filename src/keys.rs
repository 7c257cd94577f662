//! The station's secret: one 32-byte key in the data directory, from which the binding-file MAC
//! key and the checkpoint signing key are derived (domain-separated, so one never stands in for
//! the other).

use camdock_card::binding::BindingKey;
use ed25519_dalek::SigningKey;
use rand_core::RngCore;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub const KEY_FILE: &str = "station.key";
/// The bureau hub's secret, in the hub's data directory.
pub const HUB_KEY_FILE: &str = "hub.key";

#[derive(Clone)]
pub struct StationKey {
    secret: [u8; 32],
}

impl StationKey {
    /// Loads the key, creating it (0400, from the kernel's random source) on first use.
    ///
    /// Several processes may start on a fresh station at once (cameras docked together): the key
    /// is written whole under a private name and then linked into place, so a reader never sees
    /// half a key and exactly one writer's key wins.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<StationKey> {
        Self::load_or_create_file(data_dir, KEY_FILE)
    }

    fn load_or_create_file(data_dir: &Path, file: &str) -> std::io::Result<StationKey> {
        let path = data_dir.join(file);
        let mut secret = [0u8; 32];
        match std::fs::File::open(&path) {
            Ok(mut f) => f.read_exact(&mut secret)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                rand_core::OsRng
                    .try_fill_bytes(&mut secret)
                    .map_err(std::io::Error::other)?;
                let private = data_dir.join(format!("{file}.{}.new", std::process::id()));
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o400)
                    .open(&private)?;
                f.write_all(&secret)?;
                f.sync_all()?;
                let linked = std::fs::hard_link(&private, &path);
                std::fs::remove_file(&private)?;
                match linked {
                    Ok(()) => std::fs::File::open(data_dir)?.sync_all()?,
                    // Another process placed its key first: that one is the station's.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        std::fs::File::open(&path)?.read_exact(&mut secret)?
                    }
                    Err(e) => return Err(e),
                }
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

    /// The key that seals binding files (CAMDOCK.INI).
    pub fn binding_key(&self) -> BindingKey {
        BindingKey::new(self.derive("binding"))
    }

    /// The ed25519 key that signs ledger checkpoints.
    pub fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.derive("checkpoint"))
    }
}

/// The bureau hub's key: it signs the statements of returns elsewhere that stations act on
/// (`camdock_record::returns`). Kept in the hub's data directory, never in the bucket.
pub struct HubKey(StationKey);

impl HubKey {
    /// Loads the hub's key from `data_dir`, creating it (as a station's) on first use.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<HubKey> {
        std::fs::create_dir_all(data_dir)?;
        StationKey::load_or_create_file(data_dir, HUB_KEY_FILE).map(HubKey)
    }

    pub fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.0.derive("hub-statement"))
    }
}
