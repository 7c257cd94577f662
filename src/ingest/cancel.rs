//! Stopping a dock session early: the camera was pulled, or the station is shutting down.
//!
//! The copy in flight checks the signal between buffers, so a pulled camera or a SIGTERM stops
//! within one buffer; the half-copied clip is discarded and never counted.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The volume went away: the camera left the dock.
    Undocked,
    /// The station is stopping; the camera is still in its dock.
    Shutdown,
}

#[derive(Debug, Default)]
pub struct Cancel(AtomicU8);

impl Cancel {
    pub fn new() -> Self {
        Cancel(AtomicU8::new(0))
    }

    pub fn stop(&self, why: StopReason) {
        let code = match why {
            StopReason::Undocked => 1,
            StopReason::Shutdown => 2,
        };
        // The first reason wins: an undock during shutdown is still an undock.
        let _ = self
            .0
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
    }

    pub fn reason(&self) -> Option<StopReason> {
        match self.0.load(Ordering::SeqCst) {
            1 => Some(StopReason::Undocked),
            2 => Some(StopReason::Shutdown),
            _ => None,
        }
    }
}

/// The camera-side reader of a copy: fails once the session is told to stop, and reports each
/// read so the slot display can show bytes moving within a large clip.
pub struct Cancellable<'a, R> {
    pub inner: R,
    pub cancel: &'a Cancel,
    pub on_read: &'a dyn Fn(usize),
}

impl<R: Read> Read for Cancellable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(why) = self.cancel.reason() {
            return Err(io::Error::other(match why {
                StopReason::Undocked => "the camera left the dock mid-copy",
                StopReason::Shutdown => "the station is shutting down",
            }));
        }
        let n = self.inner.read(buf)?;
        (self.on_read)(n);
        Ok(n)
    }
}
