//! The primary store: a directory tree `store/sha256/ab/cd/<64 hex>.<ext>` that an auditor can
//! check with `sha256sum` alone.
//!
//! Each process stages into its own `staging/<pid>-<n>/` folder guarded by an flock, so start-up
//! recovery removes only what a dead process left and never a live neighbour's half-written clip.

use super::{ClipStore, Immutability, Placement, Staging, StoreError, StoredObject};
use crate::hash::Digests;
use rustix::fs::{FlockOperation, IFlags};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct LocalStore {
    /// The data directory; store paths are relative to it.
    data_dir: PathBuf,
    staging_dir: PathBuf,
    /// Held for the life of the store: the flock says "this staging folder is alive".
    _staging_lock: File,
    counter: AtomicU64,
    /// Held while a clip's name in the store is chosen and linked (the mutex for this process's
    /// sessions, the flock on `store/.naming` for another process): one content, one
    /// object, whatever extension each copy of it came under.
    naming: Mutex<File>,
}

const OBJECTS: &str = "store/sha256";

impl LocalStore {
    pub fn open(data_dir: &Path) -> io::Result<LocalStore> {
        fs::create_dir_all(data_dir.join(OBJECTS))?;
        let staging_root = data_dir.join("store/staging");
        fs::create_dir_all(&staging_root)?;
        let staging_dir = staging_root.join(format!("{}-{}", std::process::id(), unique_suffix()));
        // Folder and lock appear together under the root's lock, so a neighbour's clean-up never
        // finds this folder between its creation and its lock and takes it for a dead one.
        let _creating = lock_staging_root(&staging_root)?;
        fs::create_dir(&staging_dir)?;
        let lock = File::create(staging_dir.join(".lock"))?;
        rustix::fs::flock(&lock, FlockOperation::NonBlockingLockExclusive)?;
        let naming = File::create(data_dir.join("store/.naming"))?;
        Ok(LocalStore {
            data_dir: data_dir.to_path_buf(),
            staging_dir,
            _staging_lock: lock,
            counter: AtomicU64::new(0),
            naming: Mutex::new(naming),
        })
    }

    /// The store path this content already has under any extension (a copy of the clip that came
    /// under another name, sealed a moment ago by this dock or another, or by a run that crashed
    /// before committing it), if any.
    fn stored_as(&self, sha256: &str, ext: &str) -> io::Result<Option<String>> {
        // Under its own extension first: a stray `<sha>.x` beside it is never preferred.
        let own = Self::object_path(sha256, ext);
        if self.locate(&own).exists() {
            return Ok(Some(own));
        }
        let bare = Self::object_path(sha256, "");
        let dir = self.locate(&bare);
        let dir = dir.parent().expect("object paths have a parent");
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            match name.strip_prefix(sha256) {
                Some("") => return Ok(Some(bare)),
                Some(ext) if ext.starts_with('.') => {
                    return Ok(Some(Self::object_path(sha256, &ext[1..])));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    fn object_path(sha256: &str, ext: &str) -> String {
        let ext = if ext.is_empty() {
            String::new()
        } else {
            format!(".{ext}")
        };
        format!(
            "{OBJECTS}/{}/{}/{sha256}{ext}",
            &sha256[0..2],
            &sha256[2..4]
        )
    }
}

impl Drop for LocalStore {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.staging_dir);
    }
}

/// The naming lock held: the process's mutex and the flock on `store/.naming`, both let go when
/// it drops (an error or a panic on the way included).
struct NamingLock<'a>(std::sync::MutexGuard<'a, File>);

impl<'a> NamingLock<'a> {
    fn take(naming: &'a Mutex<File>) -> io::Result<NamingLock<'a>> {
        let held = naming.lock().unwrap_or_else(|e| e.into_inner());
        rustix::fs::flock(&*held, FlockOperation::LockExclusive).map_err(io::Error::from)?;
        Ok(NamingLock(held))
    }
}

impl Drop for NamingLock<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(&*self.0, FlockOperation::Unlock);
    }
}

fn unique_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Held while a staging folder is created or the folders are scanned for dead ones.
fn lock_staging_root(root: &Path) -> io::Result<File> {
    let lock = File::create(root.join(".lock"))?;
    rustix::fs::flock(&lock, FlockOperation::LockExclusive)?;
    Ok(lock)
}

fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Sets FS_IMMUTABLE_FL where the filesystem and our capabilities allow it.
fn make_immutable(path: &Path) -> Immutability {
    let attempt = || -> io::Result<()> {
        let f = File::open(path)?;
        let current = rustix::fs::ioctl_getflags(&f)?;
        rustix::fs::ioctl_setflags(&f, current | IFlags::IMMUTABLE)?;
        Ok(())
    };
    match attempt() {
        Ok(()) => Immutability::Set,
        Err(e) => Immutability::NotPermitted(e.to_string()),
    }
}

impl ClipStore for LocalStore {
    fn stage(&self) -> io::Result<Staging> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let path = self.staging_dir.join(format!("{n}.partial"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        Ok(Staging {
            file,
            path,
            read_back: Default::default(),
        })
    }

    fn place(
        &self,
        staging: Staging,
        expected: &Digests,
        ext: &str,
    ) -> Result<Placement, StoreError> {
        let staging_path = staging.path.clone();
        let result = self.place_inner(staging, expected, ext);
        let _ = fs::remove_file(&staging_path);
        result
    }

    fn open(&self, store_path: &str) -> io::Result<File> {
        File::open(self.locate(store_path))
    }

    fn locate(&self, store_path: &str) -> PathBuf {
        self.data_dir.join(store_path)
    }

    fn is_immutable(&self, store_path: &str) -> Option<bool> {
        let f = File::open(self.locate(store_path)).ok()?;
        rustix::fs::ioctl_getflags(&f)
            .ok()
            .map(|flags| flags.contains(IFlags::IMMUTABLE))
    }

    fn list(&self) -> io::Result<Vec<StoredObject>> {
        let mut found = Vec::new();
        let root = self.data_dir.join(OBJECTS);
        for a in fs::read_dir(&root)? {
            let a = a?;
            if !a.file_type()?.is_dir() {
                found.push(unexpected(&self.data_dir, &a.path()));
                continue;
            }
            for b in fs::read_dir(a.path())? {
                let b = b?;
                if !b.file_type()?.is_dir() {
                    found.push(unexpected(&self.data_dir, &b.path()));
                    continue;
                }
                for f in fs::read_dir(b.path())? {
                    let path = f?.path();
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let sha256 = name.split('.').next().unwrap_or_default().to_string();
                    found.push(StoredObject {
                        sha256,
                        store_path: relative(&self.data_dir, &path),
                    });
                }
            }
        }
        Ok(found)
    }

    fn purge(&self, store_path: &str) -> io::Result<()> {
        let path = self.locate(store_path);
        if let Ok(f) = File::open(&path) {
            // Lifting the immutable flag needs the same capability that set it.
            if let Ok(flags) = rustix::fs::ioctl_getflags(&f) {
                rustix::fs::ioctl_setflags(&f, flags - IFlags::IMMUTABLE)?;
            }
        }
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        fsync_dir(path.parent().expect("object paths have a parent"))
    }

    fn free_bytes(&self) -> Option<u64> {
        let s = rustix::fs::statvfs(&self.staging_dir).ok()?;
        Some(s.f_bavail.saturating_mul(s.f_frsize))
    }

    fn clean_abandoned_staging(&self) -> io::Result<Vec<String>> {
        let mut removed = Vec::new();
        let root = self.data_dir.join("store/staging");
        let _scanning = lock_staging_root(&root)?;
        for entry in fs::read_dir(&root)? {
            let entry = entry?;
            let dir = entry.path();
            if dir == self.staging_dir || !entry.file_type()?.is_dir() {
                continue;
            }
            // A live process holds the lock; taking it proves its owner is gone.
            let alive = match File::open(dir.join(".lock")) {
                Ok(lock) => {
                    rustix::fs::flock(&lock, FlockOperation::NonBlockingLockExclusive).is_err()
                }
                Err(_) => false,
            };
            if alive {
                continue;
            }
            if let Ok(files) = fs::read_dir(&dir) {
                for f in files.flatten() {
                    if f.file_name() != ".lock" {
                        removed.push(relative(&self.data_dir, &f.path()));
                    }
                }
            }
            fs::remove_dir_all(&dir)?;
        }
        Ok(removed)
    }
}

impl LocalStore {
    /// Chooses the sealed clip's name and links it there (the naming lock held): the store path,
    /// and the link's own outcome (`AlreadyExists` when that name is taken).
    fn name_and_link(
        &self,
        staging_path: &Path,
        sha256: &str,
        ext: &str,
    ) -> io::Result<(String, io::Result<()>)> {
        // The same bytes under two names on a card (a.MP4 and a copy b.WAV) are one clip: the
        // second copy adopts the first's object rather than leave a second that no record names.
        let store_path = match self.stored_as(sha256, ext)? {
            Some(existing) => existing,
            None => Self::object_path(sha256, ext),
        };
        let target = self.locate(&store_path);
        fs::create_dir_all(target.parent().expect("object paths have a parent"))?;
        // link() never replaces an existing name: a clip already in the store is left untouched.
        // The crash-state replay's broken variant (a test build only) copies the sealed clip into
        // place instead: a new file whose data nothing flushes before the clip is on record.
        let placed = if cfg!(feature = "broken-clip-copy") && !target.exists() {
            fs::copy(staging_path, &target).map(drop)
        } else {
            fs::hard_link(staging_path, &target)
        };
        Ok((store_path, placed))
    }

    fn place_inner(
        &self,
        staging: Staging,
        expected: &Digests,
        ext: &str,
    ) -> Result<Placement, StoreError> {
        let Staging {
            file,
            path: staging_path,
            read_back,
        } = staging;
        file.sync_all()?;
        let actual = read_back.finish(&file)?;
        drop(file);
        if !actual.matches(expected) {
            return Err(StoreError::ReadBackMismatch {
                expected: expected.blake3.clone(),
                expected_bytes: expected.bytes,
                actual: actual.blake3,
                actual_bytes: actual.bytes,
            });
        }
        fs::set_permissions(&staging_path, fs::Permissions::from_mode(0o444))?;

        let named = {
            let _naming = NamingLock::take(&self.naming)?;
            self.name_and_link(&staging_path, &expected.sha256, ext)
        };
        let (store_path, placed) = named?;
        let target = self.locate(&store_path);
        let dir = target.parent().expect("object paths have a parent");
        let newly_placed = match placed {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // Placed by a run that crashed before committing it (or by another camera's copy
                // of the same clip a moment ago): adopted only if it is this clip, byte for byte.
                // Rare, so read whole: a file the disk lost or that someone put there is refused.
                let found = crate::hash::digest_of(File::open(&target)?)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                if found != *expected {
                    return Err(StoreError::OccupiedByOther {
                        path: target.display().to_string(),
                        bytes: found.bytes,
                        actual: found.sha256,
                    });
                }
                false
            }
            Err(e) => return Err(e.into()),
        };
        fs::remove_file(&staging_path)?;
        // A run that crashed after link() may have left the object without its protections.
        if fs::metadata(&target)?.permissions().mode() & 0o222 != 0
            && self.is_immutable(&store_path) != Some(true)
        {
            fs::set_permissions(&target, fs::Permissions::from_mode(0o444))?;
        }
        let immutable = if self.is_immutable(&store_path) == Some(true) {
            Immutability::Set
        } else {
            make_immutable(&target)
        };
        fsync_dir(dir)?;
        fsync_dir(dir.parent().expect("object folders have a parent"))?;
        fsync_dir(&self.staging_dir)?;
        Ok(Placement {
            store_path,
            newly_placed,
            immutable,
        })
    }
}

fn relative(data_dir: &Path, path: &Path) -> String {
    path.strip_prefix(data_dir)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn unexpected(data_dir: &Path, path: &Path) -> StoredObject {
    StoredObject {
        sha256: String::new(),
        store_path: relative(data_dir, path),
    }
}
