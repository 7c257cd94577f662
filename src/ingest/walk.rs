//! Listing a camera volume as a hostile card could present it.
//!
//! Symlinks are never followed (a link out of the volume, or a loop, is reported and skipped);
//! devices, fifos and sockets are reported and skipped; names are kept as raw bytes so newlines
//! and invalid UTF-8 survive; the walk is iterative, so a deep tree cannot exhaust the stack.

use crate::camera::CONTROL_FILES;
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
    pub clips: ClipList,
    /// Regular files that are not recordings (listed, left on the card).
    pub other: Vec<Entry>,
    pub skipped: Vec<Skipped>,
}

/// The recordings of a card, kept small: a card of 100,000 clips must not cost the station
/// memory per clip beyond a few dozen bytes. Each clip is its path's bytes (relative to the
/// volume, in one shared buffer) and what its `stat` said; its `Entry` is made again when asked for.
#[derive(Debug, Default)]
pub struct ClipList {
    volume: PathBuf,
    /// Every clip's path relative to the volume, one after another.
    paths: Vec<u8>,
    clips: Vec<Listed>,
}

#[derive(Debug)]
struct Listed {
    /// Where this clip's relative path ends in `paths` (it starts where the previous one ended).
    path_end: usize,
    bytes: u64,
    mtime: Option<SystemTime>,
    inode: u64,
}

impl ClipList {
    fn new(volume: &Path) -> ClipList {
        ClipList {
            volume: volume.to_path_buf(),
            ..Default::default()
        }
    }

    fn push(&mut self, e: &Entry) {
        let relative = e.path.strip_prefix(&self.volume).unwrap_or(&e.path);
        self.paths
            .extend_from_slice(relative.as_os_str().as_bytes());
        self.clips.push(Listed {
            path_end: self.paths.len(),
            bytes: e.bytes,
            mtime: e.mtime,
            inode: e.inode,
        });
    }

    pub fn len(&self) -> usize {
        self.clips.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clips.is_empty()
    }

    pub fn total_bytes(&self) -> u64 {
        self.clips.iter().map(|c| c.bytes).sum()
    }

    /// Clip `index` as the walk listed it.
    pub fn get(&self, index: usize) -> Entry {
        let listed = &self.clips[index];
        let start = index.checked_sub(1).map_or(0, |i| self.clips[i].path_end);
        let relative = Path::new(std::ffi::OsStr::from_bytes(
            &self.paths[start..listed.path_end],
        ));
        entry(
            self.volume.join(relative),
            relative,
            listed.bytes,
            listed.mtime,
            listed.inode,
        )
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Entry> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// A regular file's entry; `relative` is its path inside the volume.
fn entry(
    path: PathBuf,
    relative: &Path,
    bytes: u64,
    mtime: Option<SystemTime>,
    inode: u64,
) -> Entry {
    let name = relative.file_name().unwrap_or(relative.as_os_str());
    Entry {
        source: printable(relative.as_os_str()),
        file_name: printable(name),
        ext: Path::new(name)
            .extension()
            .map(|x| printable(x).to_ascii_lowercase())
            .unwrap_or_default(),
        path,
        bytes,
        mtime,
        inode,
    }
}

pub use crate::printable::printable;

/// Lists `volume`; `is_clip` says which regular files are recordings (the rest are listed as
/// other files).
pub fn walk(volume: &Path, is_clip: impl Fn(&Entry) -> bool) -> std::io::Result<Listing> {
    let mut listing = Listing {
        clips: ClipList::new(volume),
        ..Default::default()
    };
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
                let relative = rel_dir.join(e.file_name());
                let entry = entry(
                    path,
                    &relative,
                    meta.len(),
                    meta.modified().ok(),
                    meta.ino(),
                );
                if is_clip(&entry) {
                    listing.clips.push(&entry)
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
