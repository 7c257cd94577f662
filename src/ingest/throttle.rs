//! A reader capped at a byte rate: how a USB 2.0 card (about 40 MB/s) behaves, for benchmarks and
//! tests that must show the pipeline keeps pace with a slow source.

use std::io::{self, Read};
use std::time::{Duration, Instant};

pub struct Throttled<R> {
    inner: R,
    bytes_per_s: u64,
    started: Instant,
    delivered: u64,
}

impl<R: Read> Throttled<R> {
    pub fn new(inner: R, bytes_per_s: u64) -> Self {
        Throttled {
            inner,
            bytes_per_s: bytes_per_s.max(1),
            started: Instant::now(),
            delivered: 0,
        }
    }
}

impl<R: Read> Read for Throttled<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Small reads keep the pace smooth instead of bursting a whole buffer and then sleeping.
        let cap = buf.len().min((self.bytes_per_s / 20).max(4096) as usize);
        let n = self.inner.read(&mut buf[..cap])?;
        self.delivered += n as u64;
        let due = Duration::from_secs_f64(self.delivered as f64 / self.bytes_per_s as f64);
        if let Some(wait) = due.checked_sub(self.started.elapsed()) {
            std::thread::sleep(wait);
        }
        Ok(n)
    }
}
