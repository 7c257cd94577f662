//! One clip from the camera into a staging file: one read, hashed twice and written once.

use super::cancel::{Cancel, Cancellable};
use super::throttle::Throttled;
use super::walk::Entry;
use crate::hash::{Digests, FanOutError, fan_out};
use crate::store::writeback::EagerWriteback;
use crate::store::{ClipStore, Staging};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("cannot open the clip on the camera: {0}")]
    Open(io::Error),
    #[error("the clip changed on the camera after it was listed")]
    Changed,
    #[error("reading the clip from the camera failed: {0}")]
    Read(io::Error),
    #[error("writing the clip to the store failed: {0}")]
    Write(io::Error),
    #[error(
        "the store has {} free, not enough for this clip of {}",
        bytesize::ByteSize(*free).display().iec(),
        bytesize::ByteSize(*needed).display().iec()
    )]
    NoSpace { needed: u64, free: u64 },
    #[error("copy stopped: {0}")]
    Stopped(io::Error),
}

impl CopyError {
    /// Read-side faults point at the camera (pulled out, failing card); the rest at the station.
    pub fn is_camera_fault(&self) -> bool {
        matches!(
            self,
            CopyError::Open(_) | CopyError::Read(_) | CopyError::Changed
        )
    }
}

/// Opens a listed clip without following a symlink that appeared since the listing.
fn open_listed(entry: &Entry) -> Result<File, CopyError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&entry.path)
        .map_err(CopyError::Open)?;
    let meta = file.metadata().map_err(CopyError::Open)?;
    if !meta.is_file() || meta.ino() != entry.inode {
        return Err(CopyError::Changed);
    }
    Ok(file)
}

/// Streams `entry` into a new staging file of `store`. On error nothing is left staged.
pub fn copy_clip(
    store: &dyn ClipStore,
    entry: &Entry,
    throttle_bytes_per_s: Option<u64>,
    cancel: &Cancel,
    on_read: &dyn Fn(usize),
) -> Result<(Digests, Staging), CopyError> {
    let source = open_listed(entry)?;
    if let Some(free) = store.free_bytes()
        && entry.bytes > free
    {
        return Err(CopyError::NoSpace {
            needed: entry.bytes,
            free,
        });
    }
    let mut staging = store.stage().map_err(CopyError::Write)?;
    let source: Box<dyn Read> = match throttle_bytes_per_s {
        Some(rate) => Box::new(Throttled::new(source, rate)),
        None => Box::new(source),
    };
    let reader = Cancellable {
        inner: source,
        cancel,
        on_read,
    };
    let mut sink = EagerWriteback::new(&mut staging.file);
    let copied = fan_out(reader, Some(&mut sink));
    staging.read_back = sink.into_read_back();
    match copied {
        Ok(d) => Ok((d, staging)),
        Err(e) => {
            let _ = std::fs::remove_file(&staging.path);
            Err(match e {
                FanOutError::Read(e) if cancel.reason().is_some() => CopyError::Stopped(e),
                FanOutError::Read(e) => CopyError::Read(e),
                FanOutError::Write(e) => CopyError::Write(e),
            })
        }
    }
}
