//! Where clips live once they are off the camera. Content-addressed by SHA-256 and write-once.
//!
//! [`ClipStore`] is the seam for backends: the local directory store is the primary; replicas
//! (object storage) sit behind the same trait.

pub mod local;
pub mod writeback;

pub use local::LocalStore;

use crate::hash::Digests;
use std::fs::File;
use std::io;
use std::path::PathBuf;

/// A file being written on the store's own filesystem, not yet part of the store.
pub struct Staging {
    /// Open for reading too: the copy is read back through it.
    pub file: File,
    pub path: PathBuf,
    /// What was already read back from the disk while the copy was written.
    pub read_back: writeback::ReadBack,
}

pub use camdock_record::facts::Immutability;

#[derive(Clone, Debug)]
pub struct Placement {
    /// The clip's address relative to the data directory.
    pub store_path: String,
    /// False when the same content was already in the store (placed by another camera, or by a
    /// run that crashed before its ledger commit).
    pub newly_placed: bool,
    pub immutable: Immutability,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the copy read back from disk does not match what was read from the camera (read from the camera: {expected_bytes} bytes, BLAKE3 {expected}; read back: {actual_bytes} bytes, BLAKE3 {actual})"
    )]
    ReadBackMismatch {
        expected: String,
        expected_bytes: u64,
        actual: String,
        actual_bytes: u64,
    },
    #[error(
        "the store already holds a file under this clip's name that is not this clip ({path}: {bytes} bytes, SHA-256 {actual}); the clip stays on the camera, and `camdock verify` names the file"
    )]
    OccupiedByOther {
        path: String,
        bytes: u64,
        actual: String,
    },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// A stored object found when listing the store.
#[derive(Clone, Debug)]
pub struct StoredObject {
    pub sha256: String,
    pub store_path: String,
}

pub trait ClipStore: Send + Sync {
    /// A new staging file on the store's filesystem.
    fn stage(&self) -> io::Result<Staging>;

    /// Makes a written staging file a stored clip: fsync, read back from disk and compare with
    /// `expected`, read-only + immutable, link into its content address without overwriting,
    /// fsync the directory. On any error the staging file is removed and nothing is placed.
    fn place(
        &self,
        staging: Staging,
        expected: &Digests,
        ext: &str,
    ) -> Result<Placement, StoreError>;

    /// Opens a stored clip for reading.
    fn open(&self, store_path: &str) -> io::Result<File>;

    /// The absolute location of a stored clip, for people and standard tools.
    fn locate(&self, store_path: &str) -> PathBuf;

    /// Whether the immutable flag is set on a stored clip (None: cannot tell on this filesystem).
    fn is_immutable(&self, store_path: &str) -> Option<bool>;

    /// Every object in the store (for `verify`: missing and unexpected files).
    fn list(&self) -> io::Result<Vec<StoredObject>>;

    /// Deletes a stored clip whose retention has ended: the one deletion the store allows, and only
    /// at the ledger's request (a `clip-purged` event).
    fn purge(&self, store_path: &str) -> io::Result<()> {
        Err(io::Error::other(format!(
            "this store cannot purge {store_path}"
        )))
    }

    /// Bytes a new clip may still take (None: this store cannot tell), so that a clip too large for
    /// the disk fails at once, by name, instead of after filling the disk for everyone.
    fn free_bytes(&self) -> Option<u64> {
        None
    }

    /// Removes staging files left by a process that died; returns what was removed.
    fn clean_abandoned_staging(&self) -> io::Result<Vec<String>>;
}
