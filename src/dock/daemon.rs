//! `camdock run`: watch the docks, run one session per docked camera, stop cleanly.

use super::slots::{SlotId, Slots};
use super::source::{self, DockEvent, Docked};
use super::usb;
use crate::camera::amba_usb::Prepared;
use crate::ingest::{IngestOptions, StopReason};
use crate::station::Station;
use camdock_record::detail::CameraPreparedDetail;
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

    let source = source::from_config(&station.config.dock, &media_root);
    let (tx, mut rx) = unbounded_channel::<DockEvent>();
    recover(&station, &media_root, &source.present()?).await?;
    // The custody tables against the replayed chain, beside the docking (a million events take
    // seconds); a difference goes on the record and the log.
    let checking = station.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = crate::audit::verify::check_custody_tables(&checking) {
            tracing::error!("the custody tables could not be checked: {e}");
        }
    });
    let _watching = source.watch(tx)?;
    let (prep_tx, mut prep_rx) = unbounded_channel::<usb::PrepareOutcome>();
    let _usb = if station.config.dock.usb {
        usb::start(prep_tx, station.config.zone())
    } else {
        None
    };
    // Vendor-protocol cameras switched to storage mode, by port, until their card mounts.
    let mut prepared: std::collections::BTreeMap<String, Prepared> = Default::default();
    tracing::info!(media_root = %media_root.display(), source = ?station.config.dock.source, station = station.actor(), "dock daemon running");

    let limiter = Arc::new(Semaphore::new(station.config.dock.parallel));
    let mut sessions: JoinSet<(PathBuf, SlotId)> = JoinSet::new();
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
    // A probe the last stop (or a crash) cut short leaves no clip half-known for long.
    housekeeping(&station, Chore::Reprobe);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = overdue_tick.tick() => housekeeping(&station, Chore::Overdue),
            _ = checkpoint_tick.tick() => housekeeping(&station, Chore::Checkpoint),
            _ = scrub_tick.tick() => {
                housekeeping(&station, Chore::Scrub);
                housekeeping(&station, Chore::Reprobe);
            }
            _ = replicate_tick.tick(), if replicating => housekeeping(&station, Chore::Replicate),
            Some(outcome) = prep_rx.recv() => {
                if let Some(p) = record_prepared(&station, outcome).await {
                    prepared.insert(p.port.clone(), p);
                }
            }
            Some(event) = rx.recv() => match event {
                DockEvent::Appeared(docked) => {
                    if let Some((id, cancel)) = slots.add(&docked) {
                        let prep = docked.usb.as_ref().and_then(|u| prepared.remove(&u.port));
                        let (station, slots, limiter) = (station.clone(), slots.clone(), limiter.clone());
                        sessions.spawn(async move {
                            let volume = docked.volume.clone();
                            run_slot(station, slots, limiter, docked, prep, (id, cancel)).await;
                            (volume, id)
                        });
                    }
                }
                DockEvent::Vanished(volume) => {
                    // A session in flight stops within one buffer and is reaped below; it may
                    // still be committing the clip it had read (fsync, read-back, probe: seconds
                    // with other cameras copying), so the pull goes on the record now, not then.
                    if let Some(d) = slots.depart(&volume)
                        && d.busy
                    {
                        d.cancel.stop(StopReason::Undocked);
                    }
                    undock(&station, &volume).await;
                }
            },
            Some(done) = sessions.join_next() => {
                // A session that stopped because its volume went records that itself; a volume
                // that went after the session ended is undocked here.
                if let Ok((volume, id)) = done
                    && !still_docked(source.as_ref(), &volume)
                {
                    slots.remove(id);
                    undock(&station, &volume).await;
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

/// One docked camera: let the mount settle, take a parallelism permit, ingest.
async fn run_slot(
    station: Arc<Station>,
    slots: Arc<Slots>,
    limiter: Arc<Semaphore>,
    docked: Docked,
    prepared: Option<Prepared>,
    (id, cancel): (SlotId, Arc<crate::ingest::Cancel>),
) {
    let volume = docked.volume.clone();
    let moved = |from: Option<&'static str>, to: &'static str| {
        if let Some(from) = from {
            let (st, vol) = (station.clone(), volume.clone());
            tokio::task::spawn_blocking(move || record_transition(&st, &vol, None, from, to));
        }
    };
    moved(Some("appeared"), "mounted");
    tokio::time::sleep(station.config.dock.settle).await;
    let Ok(_permit) = limiter.acquire_owned().await else {
        return;
    };
    if cancel.reason().is_some() || !volume.is_dir() {
        return;
    }
    moved(slots.set_state(id, "ingesting"), "ingesting");
    let (st, sl, vol) = (station.clone(), slots.clone(), volume.clone());
    let result = tokio::task::spawn_blocking(move || {
        let progress = |p: &crate::ingest::Progress| {
            if let Some(from) = sl.progress(id, p) {
                record_transition(&st, &vol, Some(&p.camera), from, p.state);
            }
        };
        let opts = IngestOptions {
            keep_docked: true,
            cancel: Some(&cancel),
            progress: Some(&progress),
            usb: docked.usb,
            slot: Some(docked.slot),
            prepared,
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
            moved(slots.set_state(id, "failed"), "failed");
        }
        Err(e) => {
            tracing::error!(volume = %volume.display(), "dock session crashed: {e}");
            moved(slots.set_state(id, "failed"), "failed");
        }
    }
}

/// Each slot transition (mounted → ingesting → housekeeping → done / failed / interrupted) is a
/// `slot-state` event, so the ledger shows what the officer at the dock was shown.
fn record_transition(station: &Station, volume: &Path, camera: Option<&str>, from: &str, to: &str) {
    let mut event =
        crate::ledger::NewEvent::new(crate::ledger::EventKind::SlotState, station.actor()).typed(
            &camdock_record::detail::SlotStateDetail {
                slot: volume.display().to_string(),
                from: from.into(),
                to: to.into(),
            },
        );
    if let Some(c) = camera {
        event = event.camera(c);
    }
    if let Err(e) = station.ledger().append(event) {
        tracing::error!(volume = %volume.display(), "recording the slot state failed: {e:#}");
    }
}

async fn undock(station: &Arc<Station>, volume: &Path) {
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

/// Records what was done to a vendor-protocol camera; returns it when it worked, to be joined
/// with the card that mounts on its port next.
async fn record_prepared(station: &Arc<Station>, outcome: usb::PrepareOutcome) -> Option<Prepared> {
    use crate::ledger::{EventKind, NewEvent};
    let event = match &outcome {
        Ok(p) => NewEvent::new(EventKind::CameraPrepared, station.actor())
            .camera(p.usb_serial.as_deref().unwrap_or(&p.device_id))
            .typed(&CameraPreparedDetail {
                ok: true,
                port: p.port.clone(),
                usb_serial: p.usb_serial.clone(),
                device_id: Some(p.device_id.clone()),
                clock_set: Some(p.clock_set.clone()),
                storage_mode: Some(true),
                note: Some("vendor protocol: logged in, read the device id, set the clock, switched to storage mode".into()),
                error: None,
            }),
        Err((port, why)) => NewEvent::new(EventKind::CameraPrepared, station.actor())
            .typed(&CameraPreparedDetail {
                ok: false,
                port: port.clone(),
                error: Some(why.to_string()),
                ..Default::default()
            }),
    };
    let st = station.clone();
    match tokio::task::spawn_blocking(move || st.ledger().append(event)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!("recording a prepared camera failed: {e:#}"),
        Err(e) => tracing::error!("recording a prepared camera failed: {e}"),
    }
    match outcome {
        Ok(p) => {
            tracing::info!(
                port = p.port,
                device_id = p.device_id,
                "vendor camera switched to storage mode"
            );
            Some(p)
        }
        Err((port, why)) => {
            tracing::error!(port, "vendor-protocol camera could not be prepared: {why}");
            None
        }
    }
}

/// Whether `volume` is still docked; when the source cannot tell, it is taken to be (an undock
/// recorded in error would start the overdue clock of a camera still in its slot).
fn still_docked(source: &dyn source::DockSource, volume: &Path) -> bool {
    source
        .present()
        .map(|p| p.iter().any(|d| d.volume == volume))
        .unwrap_or(true)
}

/// After a crash or stop: sessions whose volume is no longer docked are closed as undocked;
/// those whose volume is still docked are resumed by the source's first report.
async fn recover(
    station: &Arc<Station>,
    media_root: &Path,
    present: &[Docked],
) -> anyhow::Result<()> {
    let open = station.ledger().open_sessions()?;
    for (_, camera, volume) in open {
        let docked = present.iter().any(|d| d.volume == Path::new(&volume));
        if !docked || !Path::new(&volume).starts_with(media_root) {
            station.record_undock(&volume, "volume gone while the station was stopped")?;
            tracing::info!(camera, volume, "closed a session left open by the last run");
        }
    }
    Ok(())
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
    /// Probe again the clips whose probe failed (cut by a stop or a crash): at start and with
    /// each scrub.
    Reprobe,
}

/// Chores still running from their last tick: a slow replication pass or scrub is not started
/// again beside itself (an upload over a slow link can outlast `replica.every`).
static RUNNING: [std::sync::atomic::AtomicBool; 5] =
    [const { std::sync::atomic::AtomicBool::new(false) }; 5];

/// Runs a chore on a blocking thread; its failure is logged and never stops the docks.
fn housekeeping(station: &Arc<Station>, chore: Chore) {
    use std::sync::atomic::Ordering;
    let running = &RUNNING[chore as usize];
    if running.swap(true, Ordering::SeqCst) {
        tracing::debug!(
            ?chore,
            "still running from its last tick: not started again"
        );
        return;
    }
    let station = station.clone();
    tokio::task::spawn_blocking(move || {
        let _done = scopeguard(|| running.store(false, Ordering::SeqCst));
        let result = match chore {
            Chore::Overdue => {
                crate::custody::overdue::record_episodes(&station, chrono::Utc::now())
                    .map(|c| format!("{} newly overdue", c.len()))
            }
            Chore::Checkpoint => crate::custody::checkpoint::write_if_new(&station)
                .map(|cp| format!("checkpoint: {:?}", cp.map(|c| c.seq))),
            Chore::Replicate => crate::replica::pass(&station, chrono::Utc::now()).map(|r| {
                if !r.failed.is_empty() || r.endpoint_error.is_some() {
                    // Someone must hear that the off-station copy is falling behind.
                    tracing::error!(failed = r.failed.len(), backlog = r.backlog, endpoint = ?r.endpoint_error, "replication pass failed");
                    let detail = serde_json::json!({
                        "failed": r.failed, "endpoint_error": r.endpoint_error, "backlog": r.backlog,
                    });
                    for failure in crate::notification::send(&station.config.notify, "replication-failed", None, None, &detail) {
                        tracing::error!("{failure}");
                    }
                }
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
            Chore::Reprobe => crate::audit::reprobe::probe_again(&station)
                .map(|r| format!("{} clip(s) probed again", r.len())),
            Chore::Scrub => {
                let scope = crate::audit::verify::Scope {
                    sample: Some(station.config.audit.scrub_sample),
                    ..Default::default()
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

/// Runs `f` when dropped (also when the chore panics).
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}
