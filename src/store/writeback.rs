//! Streaming writes that keep the disk busy, and the copy checked, while the camera is still
//! being read.
//!
//! Without help the kernel holds a clip's pages dirty for up to 30 s and the final fsync then
//! writes the whole clip at once, after the last byte came off the camera. Starting writeback
//! every few MiB (`sync_file_range`) spreads that work over the copy, so the fsync at the end is
//! short, and dropping written pages keeps a 4 GiB clip from filling the page cache.
//!
//! Each window, once it is on the disk and out of the cache, is read back from the disk and hashed
//! by a worker thread. When the last byte arrives only the last window or two are left to check, so
//! the read-back no longer trails the copy by a whole clip (which, with several cameras docked,
//! meant several whole clips read back at once after the copies ended).

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

const WINDOW: u64 = 32 << 20;
const READ_BACK_CHUNK: usize = 1 << 20;

/// The read-back leaves what it brought in from the disk in the page cache, up to this much of a
/// clip, for the media probe that follows: the probe then parses the very bytes the read-back read
/// from the disk instead of reading the clip from the disk once more (the store disk read 2.00
/// bytes per byte ingested before, docs/BENCHMARKS.md), and drops them when it is done
/// (`media::probe_isolated`). Past this much of a clip the checked pages are dropped at once, as
/// they always were, so a 4 GiB clip still cannot push the station's page cache out; the probe
/// reads that part from the disk again. Clean pages: under memory pressure the kernel takes them
/// back first, and the probe then reads them from the disk, never from anywhere else.
pub const KEPT_FOR_PROBE: u64 = 1 << 30;

/// A staging file's copy as read back from the disk so far.
///
/// Hashed with BLAKE3 alone: the read-back asks whether the disk returns the very bytes that came
/// off the camera, and one collision-resistant digest equal to the camera stream's answers that
/// (equal BLAKE3, equal bytes, so equal SHA-256). SHA-256 runs at about a quarter of BLAKE3's speed
/// here (SHA-NI: 263 MiB in 0.27 s against 0.10 s), and with eight cameras docked at once the
/// read-back's second SHA-256 was the largest share of the two cores' work after the copy ended.
/// `camdock verify` still recomputes both digests of every stored clip.
pub struct ReadBack {
    blake3: blake3::Hasher,
    bytes: u64,
    failed: Option<io::Error>,
    /// How much of the clip's read-back pages stay cached for the probe (`KEPT_FOR_PROBE`).
    keep_for_probe: u64,
}

impl Default for ReadBack {
    fn default() -> Self {
        ReadBack {
            blake3: blake3::Hasher::new(),
            bytes: 0,
            failed: None,
            keep_for_probe: KEPT_FOR_PROBE,
        }
    }
}

impl ReadBack {
    /// Reads `[checked so far, to)` from the disk and hashes it.
    fn advance(&mut self, file: &File, to: u64) -> io::Result<()> {
        let from = self.bytes;
        let Some(len) = to.checked_sub(from).and_then(std::num::NonZeroU64::new) else {
            return Ok(());
        };
        // The range is written back, so its cached pages are clean: dropping them makes the read
        // below come from the device, not from memory.
        rustix::fs::fadvise(file, from, Some(len), rustix::fs::Advice::DontNeed)?;
        let mut buf = vec![0u8; READ_BACK_CHUNK];
        let mut at = from;
        while at < to {
            let want = buf.len().min((to - at) as usize);
            let n = match file.read_at(&mut buf[..want], at) {
                Ok(0) => break, // shorter than written: the size comparison catches it
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.blake3.update(&buf[..n]);
            self.bytes += n as u64;
            at += n as u64;
        }
        // Checked pages are kept for the probe up to KEPT_FOR_PROBE; past it they are not needed
        // again: a 4 GiB clip must not push the page cache out.
        let drop_from = from.max(self.keep_for_probe);
        if let Some(len) = to
            .checked_sub(drop_from)
            .and_then(std::num::NonZeroU64::new)
        {
            rustix::fs::fadvise(file, drop_from, Some(len), rustix::fs::Advice::DontNeed)?;
        }
        Ok(())
    }

    /// After the file is fsynced: reads what is left from the disk and returns the whole copy's
    /// digest as the disk holds it.
    pub fn finish(mut self, file: &File) -> io::Result<ReadBackDigest> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        self.advance(file, file.metadata()?.len())?;
        Ok(ReadBackDigest {
            blake3: self.blake3.finalize().to_hex().to_string(),
            bytes: self.bytes,
        })
    }
}

/// The whole copy as read back from the disk.
#[derive(Debug, PartialEq, Eq)]
pub struct ReadBackDigest {
    pub blake3: String,
    pub bytes: u64,
}

impl ReadBackDigest {
    /// Whether the disk gave back exactly the bytes `read` says came off the camera.
    pub fn matches(&self, read: &crate::hash::Digests) -> bool {
        self.blake3 == read.blake3 && self.bytes == read.bytes
    }
}

struct ReadBackWorker {
    settled: Sender<u64>,
    done: JoinHandle<ReadBack>,
}

impl ReadBackWorker {
    fn start(file: File) -> Option<ReadBackWorker> {
        let (settled, offsets) = channel::<u64>();
        let done = std::thread::Builder::new()
            .name("read-back".into())
            .spawn(move || {
                let mut read_back = ReadBack::default();
                for to in offsets {
                    if read_back.failed.is_none()
                        && let Err(e) = read_back.advance(&file, to)
                    {
                        read_back.failed = Some(e);
                    }
                }
                read_back
            })
            .ok()?;
        Some(ReadBackWorker { settled, done })
    }
}

pub struct EagerWriteback<'a> {
    file: &'a mut File,
    written: u64,
    started_to: u64,
    settled_to: u64,
    /// Started when the first window has reached the disk (a clip shorter than two windows is read
    /// back whole at the end, with no thread of its own); None when no thread could be started:
    /// then the whole copy is read back at the end.
    read_back: Option<ReadBackWorker>,
}

impl<'a> EagerWriteback<'a> {
    /// `file` must be open for reading as well: the worker reads back through a clone of it.
    pub fn new(file: &'a mut File) -> Self {
        EagerWriteback {
            file,
            written: 0,
            started_to: 0,
            settled_to: 0,
            read_back: None,
        }
    }

    /// What has been read back so far, once the last byte is written; the store finishes it.
    pub fn into_read_back(self) -> ReadBack {
        match self.read_back {
            Some(ReadBackWorker { settled, done }) => {
                drop(settled);
                done.join().unwrap_or_default()
            }
            None => ReadBack::default(),
        }
    }

    fn sync_range(&self, from: u64, to: u64, flags: libc::c_uint) {
        // SAFETY: a plain syscall on our own open descriptor; failures are caught by the fsync
        // that seals the clip, so this stays a hint.
        unsafe {
            libc::sync_file_range(
                self.file.as_raw_fd(),
                from as i64,
                (to - from) as i64,
                flags,
            )
        };
    }
}

impl Write for EagerWriteback<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started_to >= WINDOW {
            self.sync_range(self.started_to, self.written, libc::SYNC_FILE_RANGE_WRITE);
            if self.started_to > self.settled_to {
                // The window before this one: wait for it to reach the disk, then have it read back.
                let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
                    | libc::SYNC_FILE_RANGE_WRITE
                    | libc::SYNC_FILE_RANGE_WAIT_AFTER;
                self.sync_range(self.settled_to, self.started_to, flags);
                self.settled_to = self.started_to;
                if self.read_back.is_none() {
                    self.read_back = self.file.try_clone().ok().and_then(ReadBackWorker::start);
                }
                if let Some(worker) = &self.read_back {
                    let _ = worker.settled.send(self.settled_to);
                }
            }
            self.started_to = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// How many of `file`'s pages are in the page cache, and of how many (mincore over a read-only
/// mapping): what the tests of the read-back and the probe see of the cache they share.
#[cfg(test)]
pub(crate) fn cached_pages(file: &File) -> (usize, usize) {
    let len = file.metadata().unwrap().len() as usize;
    // SAFETY: sysconf reads a constant of the system.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let pages = len.div_ceil(page);
    if pages == 0 {
        return (0, 0);
    }
    let mut resident = vec![0u8; pages];
    // SAFETY: a private read-only mapping of our own file, only passed to mincore and unmapped.
    unsafe {
        let at = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        assert_ne!(at, libc::MAP_FAILED, "{}", io::Error::last_os_error());
        assert_eq!(libc::mincore(at, len, resident.as_mut_ptr()), 0);
        libc::munmap(at, len);
    }
    (resident.iter().filter(|&&r| r & 1 == 1).count(), pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::digest_of;
    use std::fs::OpenOptions;
    use std::os::unix::fs::FileExt;

    #[test]
    fn the_read_back_leaves_what_it_read_from_the_disk_for_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = staging_file(dir.path());
        let data: Vec<u8> = (0..(3 * WINDOW + 4096) as usize)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut sink = EagerWriteback::new(&mut file);
        for piece in data.chunks(1 << 20) {
            sink.write_all(piece).unwrap();
        }
        let read_back = sink.into_read_back();
        file.sync_all().unwrap();
        // Out of the cache, as the read-back's own first step makes it: what is cached after the
        // read-back is what it read from the disk.
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
        assert_eq!(cached_pages(&file).0, 0, "dropped before the read-back");
        drop(read_back);
        let read_back = ReadBack::default();
        assert!(
            read_back
                .finish(&file)
                .unwrap()
                .matches(&digest_of(&data[..]).unwrap())
        );
        let (cached, pages) = cached_pages(&file);
        assert_eq!(cached, pages, "every page read back is left for the probe");

        // Past the limit (here one window, in place of KEPT_FOR_PROBE) the pages go as they are
        // checked: a 4 GiB clip does not fill the cache.
        rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
        let read_back = ReadBack {
            keep_for_probe: WINDOW,
            ..ReadBack::default()
        };
        assert!(
            read_back
                .finish(&file)
                .unwrap()
                .matches(&digest_of(&data[..]).unwrap())
        );
        let (cached, _) = cached_pages(&file);
        let window_pages = (WINDOW / 4096) as usize;
        assert!(
            cached <= window_pages + 1,
            "{cached} pages cached, the limit is {window_pages}"
        );
    }

    fn staging_file(dir: &std::path::Path) -> File {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(dir.join("clip.partial"))
            .unwrap()
    }

    #[test]
    fn windows_are_read_back_during_the_copy_and_the_rest_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = staging_file(dir.path());
        let data: Vec<u8> = (0..(3 * WINDOW + 12345) as usize)
            .map(|i| (i * 31 % 253) as u8)
            .collect();
        let mut sink = EagerWriteback::new(&mut file);
        for piece in data.chunks(512 << 10) {
            sink.write_all(piece).unwrap();
        }
        let read_back = sink.into_read_back();
        // Two whole windows reached the disk while the copy ran, and were checked then.
        assert_eq!(read_back.bytes, 2 * WINDOW);
        file.sync_all().unwrap();
        assert!(
            read_back
                .finish(&file)
                .unwrap()
                .matches(&digest_of(&data[..]).unwrap())
        );
    }

    #[test]
    fn a_byte_changed_in_the_unchecked_tail_shows_in_the_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = staging_file(dir.path());
        let data = vec![7u8; (WINDOW + 100) as usize];
        let mut sink = EagerWriteback::new(&mut file);
        sink.write_all(&data).unwrap();
        let read_back = sink.into_read_back();
        // Not yet read back (the last window or two are checked at the end): a failing disk that
        // returns other bytes there is caught by finish.
        file.write_at(b"X", WINDOW + 50).unwrap();
        file.sync_all().unwrap();
        assert!(
            !read_back
                .finish(&file)
                .unwrap()
                .matches(&digest_of(&data[..]).unwrap())
        );
    }
}
