//! `camdock run`: watch the docks, run one session per docked camera, stop cleanly.

use super::slots::Slots;
use super::{DockEvent, usb, watcher};
use crate::camera::sysfs;
use crate::ingest::{IngestOptions, StopReason};
use crate::station::Station;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::sync::mpsc::unbounded_channel;
use tokio::task::JoinSet;

/// How long in-flight sessions get to stop after SIGTERM before the daemon exits anyway
/// (systemd's default stop timeout is 90 s; we promise 10).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

pub const STATUS_FILE: &str = "status.json";

/// Runs the daemon until `shutdown` resolves.
pub async fn serve(
    station: Arc<Station>,
    slots: Arc<Slots>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let configured = &station.config.dock.media_root;
    std::fs::create_dir_all(configured).map_err(|e| {
        crate::usage!(
            "cannot create the media root {}: {e} (set dock.media_root)",
            configured.display()
        )
    })?;
    // The kernel names mounts by their canonical path (mountinfo, /proc/self/mounts): a media
    // root reached through a symlink (/var/run → /run) must be compared in the same terms.
    let media_root = std::fs::canonicalize(configured).map_err(|e| {
        crate::usage!(
            "cannot resolve the media root {}: {e}",
            configured.display()
        )
    })?;
    slots.publish(true);

    let (tx, mut rx) = unbounded_channel::<DockEvent>();
    let _watcher = watcher::watch(&media_root, tx.clone()).map_err(|e| {
        anyhow::anyhow!("cannot watch the media root {}: {e}", media_root.display())
    })?;
    recover(&station, &media_root).await?;
    for volume in watcher::present(&media_root)? {
        let _ = tx.send(DockEvent::Appeared(volume));
    }
    let usb = if station.config.dock.usb {
        usb::start()
    } else {
        None
    };
    let attached = usb.as_ref().map(|u| u.attached.clone());
    tracing::info!(media_root = %media_root.display(), station = station.actor(), "dock daemon running");

    let limiter = Arc::new(Semaphore::new(station.config.dock.parallel));
    let mut sessions: JoinSet<PathBuf> = JoinSet::new();
    let every = |d: Duration| {
        let mut i = tokio::time::interval(d.max(Duration::from_secs(1)));
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    };
    let mut overdue_tick = every(station.config.notify.check_every);
    let mut checkpoint_tick = every(station.config.audit.checkpoint_every);
    let mut scrub_tick = every(station.config.audit.scrub_every);
    let mut replicate_tick = every(station.config.replica.every);
    let replicating = station.config.replica.enabled;
    scrub_tick.reset(); // the first scrub waits a full period; a fresh start has just been verified by recovery
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = overdue_tick.tick() => housekeeping(&station, Chore::Overdue),
            _ = checkpoint_tick.tick() => housekeeping(&station, Chore::Checkpoint),
            _ = scrub_tick.tick() => housekeeping(&station, Chore::Scrub),
            _ = replicate_tick.tick(), if replicating => housekeeping(&station, Chore::Replicate),
            Some(event) = rx.recv() => match event {
                DockEvent::Appeared(volume) => {
                    if let Some(cancel) = slots.add(&volume) {
                        let (station, slots, limiter, attached) = (station.clone(), slots.clone(), limiter.clone(), attached.clone());
                        sessions.spawn(async move {
                            let usb_serial = attached.and_then(|a| usb_serial_of(&a, &volume));
                            run_slot(station, slots, limiter, volume.clone(), cancel, usb_serial).await;
                            volume
                        });
                    }
                }
                DockEvent::Vanished(volume) => match slots.cancel_of(&volume) {
                    // A session in flight stops, records the undock itself, and is reaped below.
                    Some(cancel) if slots.is_busy(&volume) => cancel.stop(StopReason::Undocked),
                    _ => undock(&station, &slots, &volume).await,
                },
            },
            Some(done) = sessions.join_next() => {
                if let Ok(volume) = done {
                    if !volume.exists() {
                        undock(&station, &slots, &volume).await;
                    }
                }
            }
        }
    }

    tracing::info!("shutting down: stopping sessions in flight");
    slots.stop_all(StopReason::Shutdown);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "sessions still running after the grace period; their half-copied clips are discarded at next start"
        );
    }
    slots.publish(true);
    tracing::info!("stopped");
    Ok(())
}

/// One docked camera: wait for the mount to settle, take a parallelism permit, ingest.
async fn run_slot(
    station: Arc<Station>,
    slots: Arc<Slots>,
    limiter: Arc<Semaphore>,
    volume: PathBuf,
    cancel: Arc<crate::ingest::Cancel>,
    usb_serial: Option<String>,
) {
    let moved = |from: Option<&'static str>, to: &'static str| {
        if let Some(from) = from {
            let (st, vol) = (station.clone(), volume.clone());
            tokio::task::spawn_blocking(move || record_transition(&st, &vol, None, from, to));
        }
    };
    moved(Some("appeared"), "mounted");
    tokio::time::sleep(station.config.dock.settle).await;
    if station.config.dock.mounts_only && !wait_for_mount(&volume).await {
        tracing::warn!(volume = %volume.display(), "a folder under the media root that is not a mount: ignored");
        moved(slots.set_state(&volume, "ignored"), "ignored");
        return;
    }
    let Ok(_permit) = limiter.acquire_owned().await else {
        return;
    };
    if cancel.reason().is_some() || !volume.is_dir() {
        return;
    }
    moved(slots.set_state(&volume, "ingesting"), "ingesting");
    let (st, sl, vol) = (station.clone(), slots.clone(), volume.clone());
    let result = tokio::task::spawn_blocking(move || {
        let progress = |p: &crate::ingest::Progress| {
            if let Some(from) = sl.progress(&vol, p) {
                record_transition(&st, &vol, Some(&p.camera), from, p.state);
            }
        };
        let opts = IngestOptions {
            keep_docked: true,
            cancel: Some(&cancel),
            progress: Some(&progress),
            usb_serial,
            throttle_bytes_per_s: st.config.dock.read_limit_bytes_per_s(),
            ..Default::default()
        };
        st.ingest(&vol, &opts)
    })
    .await;
    match result {
        Ok(Ok(report)) => tracing::info!(
            camera = report.camera,
            stored = report.stored,
            already_stored = report.already_stored,
            failed = report.failed,
            "slot {}: {}",
            volume.display(),
            if report.failed == 0 && !report.interrupted {
                "done, safe to undock"
            } else {
                "needs attention"
            }
        ),
        Ok(Err(e)) => {
            tracing::error!(volume = %volume.display(), "dock session failed: {e:#}");
            moved(slots.set_state(&volume, "failed"), "failed");
        }
        Err(e) => {
            tracing::error!(volume = %volume.display(), "dock session crashed: {e}");
            moved(slots.set_state(&volume, "failed"), "failed");
        }
    }
}

/// Each slot transition (mounted → ingesting → housekeeping → done / failed / interrupted) is a
/// `slot-state` event, so the ledger shows what the officer at the dock was shown.
fn record_transition(station: &Station, volume: &Path, camera: Option<&str>, from: &str, to: &str) {
    let mut event =
        crate::ledger::NewEvent::new(crate::ledger::EventKind::SlotState, station.actor()).detail(
            serde_json::json!({ "slot": volume.display().to_string(), "from": from, "to": to }),
        );
    if let Some(c) = camera {
        event = event.camera(c);
    }
    if let Err(e) = station.ledger().append(event) {
        tracing::error!(volume = %volume.display(), "recording the slot state failed: {e:#}");
    }
}

async fn undock(station: &Arc<Station>, slots: &Slots, volume: &Path) {
    slots.remove(volume);
    let (st, vol) = (station.clone(), volume.display().to_string());
    match tokio::task::spawn_blocking(move || st.record_undock(&vol, "volume disappeared")).await {
        Ok(Ok(Some(camera))) => {
            tracing::info!(camera, volume = %volume.display(), "camera undocked")
        }
        Ok(Ok(None)) => {}
        Ok(Err(e)) => {
            tracing::error!(volume = %volume.display(), "recording the undock failed: {e:#}")
        }
        Err(e) => tracing::error!("undock task failed: {e}"),
    }
}

/// After a crash or stop: sessions whose volume is gone are closed as undocked; those whose
/// volume is still there are resumed by the start-up scan.
async fn recover(station: &Arc<Station>, media_root: &Path) -> anyhow::Result<()> {
    let open = station.ledger().open_sessions()?;
    for (_, camera, volume) in open {
        if !Path::new(&volume).is_dir() || !Path::new(&volume).starts_with(media_root) {
            station.record_undock(&volume, "volume gone while the station was stopped")?;
            tracing::info!(camera, volume, "closed a session left open by the last run");
        }
    }
    Ok(())
}

/// The iSerial of the USB camera whose block device is mounted at `volume`, via sysfs.
fn usb_serial_of(attached: &usb::Attached, volume: &Path) -> Option<String> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let port = sysfs::port_of_mount(Path::new("/sys"), &mountinfo, volume)?;
    attached
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&port)?
        .serial
        .clone()
}

/// Waits (briefly) for `volume` to become a mount point: its device differs from its parent's.
async fn wait_for_mount(volume: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let is_mount = || {
        let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
        matches!((dev(volume), volume.parent().and_then(dev)), (Some(a), Some(b)) if a != b)
    };
    for _ in 0..100 {
        if is_mount() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The station's periodic duties besides docking.
#[derive(Clone, Copy, Debug)]
enum Chore {
    /// Record and notify newly overdue cameras.
    Overdue,
    /// Sign a checkpoint of the ledger head.
    Checkpoint,
    /// Re-hash a random sample of stored clips.
    Scrub,
    /// A replication pass to the S3 bucket.
    Replicate,
}

/// Runs a chore on a blocking thread; its failure is logged and never stops the docks.
fn housekeeping(station: &Arc<Station>, chore: Chore) {
    let station = station.clone();
    tokio::task::spawn_blocking(move || {
        let result = match chore {
            Chore::Overdue => {
                crate::custody::overdue::record_episodes(&station, chrono::Utc::now())
                    .map(|c| format!("{} newly overdue", c.len()))
            }
            Chore::Checkpoint => crate::custody::checkpoint::write_if_new(&station)
                .map(|cp| format!("checkpoint: {:?}", cp.map(|c| c.seq))),
            Chore::Replicate => crate::replica::pass(&station, chrono::Utc::now()).map(|r| {
                format!(
                    "replication: {} replicated, {} failed, backlog {}{}",
                    r.replicated.len(),
                    r.failed.len(),
                    r.backlog,
                    r.endpoint_error
                        .map(|e| format!(", {e}"))
                        .unwrap_or_default()
                )
            }),
            Chore::Scrub => {
                let scope = crate::audit::verify::Scope {
                    sample: Some(station.config.audit.scrub_sample),
                    since: None,
                };
                crate::audit::verify::verify_scope(&station, &scope).map(|r| {
                    if !r.ok {
                        let detail = serde_json::json!({ "problems": r.problems });
                        for failure in crate::notification::send(
                            &station.config.notify,
                            "verify-problem",
                            None,
                            None,
                            &detail,
                        ) {
                            tracing::error!("{failure}");
                        }
                    }
                    format!(
                        "scrub of {} clip(s): {}",
                        r.clips_checked,
                        if r.ok { "ok" } else { "PROBLEMS" }
                    )
                })
            }
        };
        match result {
            Ok(what) => tracing::debug!(?chore, "{what}"),
            Err(e) => tracing::error!(?chore, "{e:#}"),
        }
    });
}
