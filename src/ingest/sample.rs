//! Re-docking a card that was not wiped: its clips are already stored. Reading each again whole
//! costs the card's full read time (a 32 GB card at USB 2.0 speed: 13 minutes) for nothing new; not
//! reading it at all would let the ledger assert a hash for bytes it never saw. So a recognised
//! recording (same camera, name, size and mtime as a stored one) is compared with the stored clip
//! at a sample of places, first and last window included and the rest at random offsets, and the
//! ledger says exactly that: what was compared, not a hash.
//!
//! What a sample finds (`tests/ingest.rs` measures it): any change that spans more than a window's
//! gap (a re-encoded, cut or spliced clip rewrites the whole file after the edit) is certain to be
//! found; a single altered byte is found with probability ≈ sampled bytes / clip size (1 MiB of a
//! 256 MiB clip: 0.4 %). `dock.redock_sample_windows = 0` re-reads and re-hashes every clip instead.

use super::walk::Entry;
use serde::Serialize;
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};

/// The size of one compared window.
pub const WINDOW: u64 = 64 << 10;

/// What was compared between the card and the store.
#[derive(Clone, Debug, Serialize)]
pub struct SampleCheck {
    /// Byte offsets of the windows compared (each `WINDOW` long, or to the end).
    pub offsets: Vec<u64>,
    pub bytes_compared: u64,
    /// The first offset at which the card differs from the store, if any.
    pub first_difference: Option<u64>,
}

impl SampleCheck {
    pub fn matched(&self) -> bool {
        self.first_difference.is_none()
    }
}

/// Offsets of `windows` windows over `size` bytes: the first, the last, the rest random.
fn offsets(size: u64, windows: usize) -> Vec<u64> {
    if size == 0 || windows == 0 {
        return Vec::new();
    }
    let last = size.saturating_sub(WINDOW);
    let mut offsets = vec![0, last];
    let mut rng = rand::rng();
    while offsets.len() < windows.max(2) {
        offsets.push(rand::Rng::random_range(&mut rng, 0..=last));
    }
    offsets.sort_unstable();
    offsets.dedup();
    offsets
}

/// Compares the card's file with the stored clip at `windows` places.
pub fn compare(entry: &Entry, stored: &File, windows: usize) -> io::Result<SampleCheck> {
    let card = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&entry.path)?;
    let mut check = SampleCheck {
        offsets: offsets(entry.bytes, windows),
        bytes_compared: 0,
        first_difference: None,
    };
    let (mut a, mut b) = (vec![0u8; WINDOW as usize], vec![0u8; WINDOW as usize]);
    for &at in &check.offsets {
        let len = WINDOW.min(entry.bytes - at) as usize;
        card.read_exact_at(&mut a[..len], at)?;
        stored.read_exact_at(&mut b[..len], at)?;
        check.bytes_compared += len as u64;
        if let Some(i) = a[..len].iter().zip(&b[..len]).position(|(x, y)| x != y) {
            check.first_difference = Some(at + i as u64);
            break;
        }
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_and_last_windows_are_always_compared() {
        let o = offsets(10 << 20, 16);
        assert_eq!(o[0], 0);
        assert_eq!(*o.last().unwrap(), (10 << 20) - WINDOW);
        assert!(o.len() <= 16 && o.len() >= 2);
        assert_eq!(
            offsets(1000, 16),
            vec![0],
            "a small clip is one window, whole"
        );
        assert!(offsets(0, 16).is_empty());
    }
}
