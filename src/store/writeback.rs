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

use crate::hash::{Digests, RunningDigests};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;

const WINDOW: u64 = 32 << 20;
const READ_BACK_CHUNK: usize = 1 << 20;

/// A staging file's copy as read back from the disk so far.
#[derive(Default)]
pub struct ReadBack {
    digests: RunningDigests,
    failed: Option<io::Error>,
}

impl ReadBack {
    /// Reads `[checked so far, to)` from the disk and hashes it.
    fn advance(&mut self, file: &File, to: u64) -> io::Result<()> {
        let from = self.digests.bytes();
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
            self.digests.update(&buf[..n]);
            at += n as u64;
        }
        // Checked pages are not needed again: a 4 GiB clip must not push the page cache out.
        rustix::fs::fadvise(file, from, Some(len), rustix::fs::Advice::DontNeed)?;
        Ok(())
    }

    /// After the file is fsynced: reads what is left from the disk and returns the digests of the
    /// whole copy as the disk holds it.
    pub fn finish(mut self, file: &File) -> io::Result<Digests> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        self.advance(file, file.metadata()?.len())?;
        Ok(self.digests.finish())
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
    /// None when no thread could be started: then the whole copy is read back at the end.
    read_back: Option<ReadBackWorker>,
}

impl<'a> EagerWriteback<'a> {
    /// `file` must be open for reading as well: the worker reads back through a clone of it.
    pub fn new(file: &'a mut File) -> Self {
        let read_back = file.try_clone().ok().and_then(ReadBackWorker::start);
        EagerWriteback {
            file,
            written: 0,
            started_to: 0,
            settled_to: 0,
            read_back,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::digest_of;
    use std::fs::OpenOptions;
    use std::os::unix::fs::FileExt;

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
        assert_eq!(read_back.digests.bytes(), 2 * WINDOW);
        file.sync_all().unwrap();
        assert_eq!(
            read_back.finish(&file).unwrap(),
            digest_of(&data[..]).unwrap()
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
        assert_ne!(
            read_back.finish(&file).unwrap(),
            digest_of(&data[..]).unwrap()
        );
    }
}
