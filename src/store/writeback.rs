//! Streaming writes that keep the disk busy while the camera is still being read.
//!
//! Without help the kernel holds a clip's pages dirty for up to 30 s and the final fsync then
//! writes the whole clip at once, after the last byte came off the camera. Starting writeback
//! every few MiB (`sync_file_range`) spreads that work over the copy, so the fsync at the end is
//! short, and dropping written pages keeps a 4 GiB clip from filling the page cache.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;

const WINDOW: u64 = 32 << 20;

pub struct EagerWriteback<'a> {
    file: &'a mut File,
    written: u64,
    started_to: u64,
    settled_to: u64,
}

impl<'a> EagerWriteback<'a> {
    pub fn new(file: &'a mut File) -> Self {
        EagerWriteback {
            file,
            written: 0,
            started_to: 0,
            settled_to: 0,
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
                // The window before this one: wait for it to reach the disk, then drop it from
                // the cache so the read-back reads the disk, not memory.
                let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
                    | libc::SYNC_FILE_RANGE_WRITE
                    | libc::SYNC_FILE_RANGE_WAIT_AFTER;
                self.sync_range(self.settled_to, self.started_to, flags);
                let _ = rustix::fs::fadvise(
                    &*self.file,
                    self.settled_to,
                    std::num::NonZeroU64::new(self.started_to - self.settled_to),
                    rustix::fs::Advice::DontNeed,
                );
                self.settled_to = self.started_to;
            }
            self.started_to = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
