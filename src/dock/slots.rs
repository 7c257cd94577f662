//! The live state of every dock slot: what the slot display, `camdock status` and the dashboard
//! show. Kept in memory and mirrored to `status.json` in the data directory.

use crate::ingest::{Cancel, Progress};
use crate::time::stamp;
use chrono::Utc;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// mounted → ingesting → housekeeping → done / failed / interrupted;
/// a slot is removed when its volume goes.
#[derive(Clone, Debug, Serialize)]
pub struct SlotView {
    /// The slot's name ("slot 3"; the USB port's path, or the folder's name, when unnamed).
    pub slot: String,
    pub volume: String,
    /// The USB device in the slot, when the kernel knows it.
    pub usb: Option<crate::camera::sysfs::UsbDevice>,
    pub camera: Option<String>,
    pub state: &'static str,
    pub clips_total: usize,
    pub clips_done: usize,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub rate_mb_per_s: Option<f64>,
    pub eta_s: Option<f64>,
    /// True once every clip is committed: the officer may take the camera.
    pub safe_to_undock: bool,
    pub since: String,
}

struct Slot {
    id: SlotId,
    view: SlotView,
    started: Instant,
    cancel: Arc<Cancel>,
}

/// One docking of one volume. A camera pulled and docked again into the same mount point is a new
/// docking: the session still winding down for the old one must not touch the new one's slot.
pub type SlotId = u64;

/// A slot whose volume went, taken off the board.
pub struct Departed {
    pub cancel: Arc<Cancel>,
    /// A session was still to run or running: it stops and records the undock itself.
    pub busy: bool,
}

#[derive(Default)]
pub struct Slots {
    inner: Mutex<BTreeMap<PathBuf, Slot>>,
    next_id: std::sync::atomic::AtomicU64,
    status_file: Option<PathBuf>,
    last_write: Mutex<Option<Instant>>,
}

#[derive(Serialize)]
struct StatusDoc<'a> {
    pid: u32,
    written_at: String,
    slots: &'a [SlotView],
}

impl Slots {
    pub fn new(status_file: Option<PathBuf>) -> Self {
        Slots {
            status_file,
            ..Default::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<PathBuf, Slot>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a slot for a newly docked volume; None if it is already on the board.
    pub fn add(&self, docked: &crate::dock::Docked) -> Option<(SlotId, Arc<Cancel>)> {
        let mut slots = self.lock();
        if slots.contains_key(&docked.volume) {
            return None;
        }
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let cancel = Arc::new(Cancel::new());
        slots.insert(
            docked.volume.clone(),
            Slot {
                id,
                view: SlotView {
                    slot: docked.slot.clone(),
                    volume: docked.volume.display().to_string(),
                    usb: docked.usb.clone(),
                    camera: None,
                    state: "mounted",
                    clips_total: 0,
                    clips_done: 0,
                    bytes_total: 0,
                    bytes_done: 0,
                    rate_mb_per_s: None,
                    eta_s: None,
                    safe_to_undock: false,
                    since: stamp(Utc::now()),
                },
                started: Instant::now(),
                cancel: cancel.clone(),
            },
        );
        drop(slots);
        self.publish(true);
        Some((id, cancel))
    }

    /// The volume went: its slot leaves the board at once, so the next docking there is new.
    pub fn depart(&self, volume: &Path) -> Option<Departed> {
        let slot = self.lock().remove(volume)?;
        self.publish(true);
        Some(Departed {
            busy: matches!(slot.view.state, "mounted" | "ingesting"),
            cancel: slot.cancel,
        })
    }

    /// Removes docking `id` from the board, if it is still there.
    pub fn remove(&self, id: SlotId) {
        self.lock().retain(|_, s| s.id != id);
        self.publish(true);
    }

    fn with_slot<T>(&self, id: SlotId, f: impl FnOnce(&mut Slot) -> T) -> Option<T> {
        self.lock().values_mut().find(|s| s.id == id).map(f)
    }

    /// Takes a session's progress; returns the slot's previous state when this changed it.
    pub fn progress(&self, id: SlotId, p: &Progress) -> Option<&'static str> {
        let previous = self.with_slot(id, |slot| {
            let previous = slot.view.state;
            let secs = slot.started.elapsed().as_secs_f64();
            let v = &mut slot.view;
            v.camera = Some(p.camera.clone());
            v.state = p.state;
            v.clips_total = p.clips_total;
            v.clips_done = p.clips_done;
            v.bytes_total = p.bytes_total;
            v.bytes_done = p.bytes_done;
            v.rate_mb_per_s =
                (secs > 0.0 && p.bytes_done > 0).then(|| p.bytes_done as f64 / secs / 1e6);
            v.eta_s = v
                .rate_mb_per_s
                .filter(|r| *r > 0.0)
                .map(|r| (p.bytes_total - p.bytes_done) as f64 / 1e6 / r);
            v.safe_to_undock = p.state == "done";
            previous
        })?;
        self.publish(p.state != "ingesting");
        (previous != p.state).then_some(previous)
    }

    /// Sets a slot's state; returns the previous one when this changed it.
    pub fn set_state(&self, id: SlotId, state: &'static str) -> Option<&'static str> {
        let previous = self.with_slot(id, |slot| {
            let previous = slot.view.state;
            slot.view.state = state;
            slot.view.safe_to_undock = state == "done";
            previous
        });
        self.publish(true);
        previous.filter(|p| *p != state)
    }

    pub fn snapshot(&self) -> Vec<SlotView> {
        self.lock().values().map(|s| s.view.clone()).collect()
    }

    pub fn stop_all(&self, why: crate::ingest::StopReason) {
        for slot in self.lock().values() {
            slot.cancel.stop(why);
        }
    }

    /// Mirrors the slots to status.json (atomically), at most a few times a second unless forced.
    pub fn publish(&self, force: bool) {
        let Some(path) = &self.status_file else {
            return;
        };
        // One writer at a time, snapshot taken under the lock: slots finishing together on
        // different threads must not leave an older snapshot as the last one written.
        let mut last = self.last_write.lock().unwrap_or_else(|p| p.into_inner());
        if !force && last.is_some_and(|t| t.elapsed().as_millis() < 250) {
            return;
        }
        *last = Some(Instant::now());
        let slots = self.snapshot();
        let doc = StatusDoc {
            pid: std::process::id(),
            written_at: stamp(Utc::now()),
            slots: &slots,
        };
        let tmp = path.with_extension("json.tmp");
        if let Ok(text) = serde_json::to_string_pretty(&doc)
            && std::fs::write(&tmp, text).is_ok()
        {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}
