//! Live progress of a dock session, reported from the reading thread (bytes) and the finisher
//! (clips) to whoever shows it: the slot display, `camdock status`, the dashboard.

use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default, Serialize)]
pub struct Progress {
    pub camera: String,
    /// ingesting, housekeeping (health, clock), then done, failed or interrupted.
    pub state: &'static str,
    pub clips_total: usize,
    /// Clips committed to the ledger.
    pub clips_done: usize,
    pub bytes_total: u64,
    /// Bytes read from the camera.
    pub bytes_done: u64,
}

/// How often byte progress is passed on while a large clip streams.
const BYTE_REPORT_INTERVAL: Duration = Duration::from_millis(200);

pub struct ProgressMeter<'a> {
    base: Mutex<Progress>,
    clips_done: AtomicUsize,
    bytes_read: AtomicU64,
    last_report: Mutex<Instant>,
    sink: Option<&'a (dyn Fn(&Progress) + Sync)>,
}

impl<'a> ProgressMeter<'a> {
    pub fn new(base: Progress, sink: Option<&'a (dyn Fn(&Progress) + Sync)>) -> Self {
        ProgressMeter {
            base: Mutex::new(base),
            clips_done: AtomicUsize::new(0),
            bytes_read: AtomicU64::new(0),
            last_report: Mutex::new(Instant::now()),
            sink,
        }
    }

    pub fn report(&self) {
        let Some(sink) = self.sink else { return };
        let mut p = self.base.lock().unwrap_or_else(|e| e.into_inner()).clone();
        p.clips_done = self.clips_done.load(Ordering::Relaxed);
        p.bytes_done = self.bytes_read.load(Ordering::Relaxed).min(p.bytes_total);
        sink(&p);
    }

    pub fn bytes_read(&self, n: u64) {
        self.bytes_read.fetch_add(n, Ordering::Relaxed);
        let mut last = self.last_report.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= BYTE_REPORT_INTERVAL {
            *last = Instant::now();
            drop(last);
            self.report();
        }
    }

    pub fn clip_done(&self) {
        self.clips_done.fetch_add(1, Ordering::Relaxed);
        self.report();
    }

    pub fn set_state(&self, state: &'static str) {
        self.base.lock().unwrap_or_else(|e| e.into_inner()).state = state;
        self.report();
    }

    pub fn finish(&self, state: &'static str) {
        self.base.lock().unwrap_or_else(|e| e.into_inner()).state = state;
        self.report();
    }
}
