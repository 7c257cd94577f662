//! Listing a camera volume as a hostile card could present it.
//!
//! Symlinks are never followed (a link out of the volume, or a loop, is reported and skipped);
//! devices, fifos and sockets are reported and skipped; names are kept as raw bytes so newlines
//! and invalid UTF-8 survive; the walk is iterative, so a deep tree cannot exhaust the stack.

use crate::camera::CONTROL_FILES;
use crate::media::is_media_extension;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Deeper than any camera's folder layout; past it a tree is reported, not walked.
const MAX_DEPTH: usize = 32;

#[derive(Clone, Debug)]
pub struct Entry {
    pub path: PathBuf,
    /// Path inside the volume, printable (invalid UTF-8 bytes as \xNN).
    pub source: String,
    pub file_name: String,
    pub ext: String,
    pub bytes: u64,
    pub mtime: Option<SystemTime>,
    pub inode: u64,
}

pub use camdock_record::facts::Skipped;

#[derive(Debug, Default)]
pub struct Listing {
    pub clips: Vec<Entry>,
    /// Regular files that are not recordings (listed, left on the card).
    pub other: Vec<Entry>,
    pub skipped: Vec<Skipped>,
}

pub use crate::printable::printable;

pub fn walk(volume: &Path) -> std::io::Result<Listing> {
    let mut listing = Listing::default();
    let mut stack = vec![(volume.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let rel_dir = dir.strip_prefix(volume).unwrap_or(&dir).to_path_buf();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if depth == 0 => return Err(e),
            Err(e) => {
                listing.skipped.push(Skipped {
                    source: printable(rel_dir.as_os_str()),
                    reason: format!("folder unreadable: {e}"),
                });
                continue;
            }
        };
        let mut names: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        names.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for e in names {
            let path = e.path();
            let source = printable(rel_dir.join(e.file_name()).as_os_str());
            let meta = match fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(err) => {
                    listing.skipped.push(Skipped {
                        source,
                        reason: format!("unreadable: {err}"),
                    });
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                let target = fs::read_link(&path)
                    .map(|t| printable(t.as_os_str()))
                    .unwrap_or_default();
                listing.skipped.push(Skipped {
                    source,
                    reason: format!("symbolic link to '{target}' not followed"),
                });
            } else if ft.is_dir() {
                if depth + 1 >= MAX_DEPTH {
                    listing.skipped.push(Skipped {
                        source,
                        reason: format!("folder deeper than {MAX_DEPTH} levels not walked"),
                    });
                } else {
                    subdirs.push(path);
                }
            } else if ft.is_file() {
                if depth == 0
                    && CONTROL_FILES
                        .iter()
                        .any(|c| e.file_name().as_bytes().eq_ignore_ascii_case(c.as_bytes()))
                {
                    continue;
                }
                let file_name = printable(&e.file_name());
                let ext = Path::new(&e.file_name())
                    .extension()
                    .map(|x| printable(x).to_ascii_lowercase())
                    .unwrap_or_default();
                let entry = Entry {
                    path,
                    source,
                    file_name,
                    ext: ext.clone(),
                    bytes: meta.len(),
                    mtime: meta.modified().ok(),
                    inode: meta.ino(),
                };
                if is_media_extension(&ext) {
                    listing.clips.push(entry)
                } else {
                    listing.other.push(entry)
                }
            } else {
                let kind = if ft.is_fifo() {
                    "fifo"
                } else if ft.is_socket() {
                    "socket"
                } else if ft.is_block_device() || ft.is_char_device() {
                    "device"
                } else {
                    "special file"
                };
                listing.skipped.push(Skipped {
                    source,
                    reason: format!("{kind} skipped"),
                });
            }
        }
        // Depth-first in name order: push reversed so the first name is walked first.
        for d in subdirs.into_iter().rev() {
            stack.push((d, depth + 1));
        }
    }
    Ok(listing)
}
