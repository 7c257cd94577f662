//! Correcting the clock of a card the station mounts read-only: a short read-write window, opened
//! by a separate, privileged step only after every clip of the session is committed.
//!
//! The daemon cannot write to a card (udev mounts it `ro`, and the daemon may not remount), by
//! design. When a clock needs correcting it leaves a request in the spool; `camdock clock-window`,
//! run as root by `camdock-clock.service` when a request appears (`camdock-clock.path`), checks that
//! the request names a USB card mounted directly under the media root, remounts that filesystem
//! read-write in its own mount namespace only (the system's and the daemon's views of the card stay
//! read-only), writes and fsyncs TIMESET.TXT and nothing else, remounts it read-only and leaves a
//! reply with the window's opening and closing times, which the daemon records in the ledger.

use super::clock::{self, TIMESET_FILE};
use super::sysfs;
use crate::time::{StationZone, stamp};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long the daemon waits for the privileged step's reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// Asked by the daemon: write the current time to the card mounted at `volume`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub volume: PathBuf,
    /// `MAJ:MIN` of the card's filesystem when the request was made: the window opens on that
    /// card only, never on another mounted there since.
    pub dev: String,
    pub camera: String,
}

/// Answered by the privileged step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reply {
    pub id: String,
    /// The line written to TIMESET.TXT, when it was.
    pub timeset: Option<String>,
    /// When the card's filesystem was remounted read-write, and read-only again.
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub error: Option<String>,
}

fn requests(spool: &Path) -> PathBuf {
    spool.join("requests")
}

fn replies(spool: &Path) -> PathBuf {
    spool.join("replies")
}

/// Whether a privileged clock window is installed on this station (its spool exists).
pub fn available(spool: &Path) -> bool {
    requests(spool).is_dir()
}

/// The daemon's side: asks for a window on the card at `volume` and waits for the reply.
pub fn request(spool: &Path, volume: &Path, camera: &str) -> Result<Reply, String> {
    let dev = sysfs::device_of_mounted(volume)
        .map_err(|e| format!("cannot read the mount table: {e}"))?
        .ok_or_else(|| format!("{} is not a mount", volume.display()))?;
    let id = format!(
        "{}-{}",
        Utc::now().format("%Y%m%dT%H%M%S%.3f"),
        std::process::id()
    );
    let req = Request {
        id: id.clone(),
        volume: volume.to_path_buf(),
        dev,
        camera: camera.to_string(),
    };
    let text = serde_json::to_vec(&req).expect("a request serialises");
    // Written whole, then named: the privileged step never reads half a request.
    let tmp = requests(spool).join(format!(".{id}.tmp"));
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, requests(spool).join(format!("{id}.json"))))
        .map_err(|e| {
            format!(
                "cannot leave a clock-window request in {}: {e}",
                spool.display()
            )
        })?;
    let reply_path = replies(spool).join(format!("{id}.json"));
    let started = Instant::now();
    while started.elapsed() < REPLY_TIMEOUT {
        if let Ok(text) = std::fs::read(&reply_path) {
            let _ = std::fs::remove_file(&reply_path);
            return serde_json::from_slice(&text)
                .map_err(|e| format!("the clock window's reply is unreadable: {e}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_file(requests(spool).join(format!("{id}.json")));
    Err(format!(
        "no clock window opened within {} s (is camdock-clock.path active?)",
        REPLY_TIMEOUT.as_secs()
    ))
}

/// The privileged side: answers every pending request, oldest first. Must run as root, in a
/// mount namespace of its own (it makes one when it is not given one).
pub fn serve_pending(
    spool: &Path,
    media_root: &Path,
    zone: &StationZone,
) -> anyhow::Result<Vec<Reply>> {
    private_mount_namespace()?;
    forget_old_replies(spool);
    let mut pending: Vec<PathBuf> = std::fs::read_dir(requests(spool))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    pending.sort();
    let mut answered = Vec::new();
    for path in pending {
        let reply = match read_request(&path) {
            Ok(req) => open_window(&req, media_root, zone),
            Err(e) => Reply {
                id: path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                timeset: None,
                opened_at: None,
                closed_at: None,
                error: Some(e),
            },
        };
        let _ = std::fs::remove_file(&path);
        let out = replies(spool).join(format!("{}.json", reply.id));
        let tmp = replies(spool).join(format!(".{}.tmp", reply.id));
        std::fs::write(&tmp, serde_json::to_vec(&reply)?)?;
        std::fs::rename(&tmp, &out)?;
        answered.push(reply);
    }
    Ok(answered)
}

/// Replies the daemon has had time to read (it cannot delete them: the folder is root's).
fn forget_old_replies(spool: &Path) {
    let old = |e: &std::fs::DirEntry| {
        e.metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().unwrap_or_default() > 2 * REPLY_TIMEOUT)
    };
    for entry in std::fs::read_dir(replies(spool))
        .into_iter()
        .flatten()
        .flatten()
    {
        if old(&entry) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn read_request(path: &Path) -> Result<Request, String> {
    let text = super::read_control_file(
        path.parent().unwrap_or(Path::new("/")),
        &path.file_name().unwrap_or_default().to_string_lossy(),
        4096,
    )
    .ok_or("the request is not a readable file")?;
    let req: Request = serde_json::from_str(&text).map_err(|e| format!("bad request: {e}"))?;
    if req.id.is_empty()
        || !req
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
    {
        return Err("bad request id".into());
    }
    Ok(req)
}

/// Checks the request names a USB card mounted right under the media root, then writes
/// TIMESET.TXT through a read-write window that is closed whatever happens.
fn open_window(req: &Request, media_root: &Path, zone: &StationZone) -> Reply {
    let mut reply = Reply {
        id: req.id.clone(),
        timeset: None,
        opened_at: None,
        closed_at: None,
        error: None,
    };
    if let Err(e) = check_card(req, media_root) {
        reply.error = Some(e);
        return reply;
    }
    let volume = &req.volume;
    if let Err(e) = remount(volume, false) {
        reply.error = Some(format!("cannot open the read-write window: {e}"));
        return reply;
    }
    reply.opened_at = Some(stamp(Utc::now()));
    let line = clock::timeset_line(Utc::now(), zone);
    let written = write_timeset(volume, &line);
    let closed = remount(volume, true);
    reply.closed_at = closed.is_ok().then(|| stamp(Utc::now()));
    match (written, closed) {
        (Ok(()), Ok(())) => reply.timeset = Some(line),
        (Err(e), _) => reply.error = Some(format!("writing TIMESET.TXT failed: {e}")),
        (Ok(()), Err(e)) => {
            reply.timeset = Some(line);
            reply.error = Some(format!(
                "TIMESET.TXT written, but the card could not be made read-only again: {e}"
            ));
        }
    }
    reply
}

fn check_card(req: &Request, media_root: &Path) -> Result<(), String> {
    let volume =
        std::fs::canonicalize(&req.volume).map_err(|e| format!("{}: {e}", req.volume.display()))?;
    if volume != req.volume || volume.parent() != Some(media_root) {
        return Err(format!(
            "{} is not a card under {}",
            req.volume.display(),
            media_root.display()
        ));
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
    let mount = sysfs::mounts(&mountinfo)
        .into_iter()
        .rev()
        .find(|m| m.point == volume)
        .ok_or_else(|| format!("{} is no longer mounted", volume.display()))?;
    if mount.dev != req.dev {
        return Err(format!(
            "another card is mounted at {} now",
            volume.display()
        ));
    }
    if !matches!(mount.fs_type.as_str(), "vfat" | "exfat") {
        return Err(format!(
            "{} is {}, not a camera card",
            volume.display(),
            mount.fs_type
        ));
    }
    if sysfs::usb_device_of(Path::new("/sys"), &mount.dev).is_none() {
        return Err(format!("{} is not a USB card", volume.display()));
    }
    Ok(())
}

/// TIMESET.TXT at the card's root, never through a link, flushed to the card with its folder.
fn write_timeset(volume: &Path, line: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(volume.join(TIMESET_FILE))?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "TIMESET.TXT on the card is not a regular file",
        ));
    }
    f.write_all(format!("{line}\n").as_bytes())?;
    f.sync_all()?;
    std::fs::File::open(volume)?.sync_all()
}

/// Remounts the filesystem at `point` read-only or read-write, keeping nosuid/nodev/noexec.
fn remount(point: &Path, read_only: bool) -> std::io::Result<()> {
    use rustix::mount::{MountFlags, mount_remount};
    let mut flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    if read_only {
        flags |= MountFlags::RDONLY;
    }
    // No options in the data (the card's own stay as they were mounted).
    mount_remount(point, flags, "").map_err(std::io::Error::from)
}

/// Remounts made from here on are seen in this process's own mount namespace only.
fn private_mount_namespace() -> anyhow::Result<()> {
    use rustix::mount::{MountPropagationFlags, mount_change};
    use rustix::thread::{UnshareFlags, unshare_unsafe};
    // SAFETY: a new mount namespace, asked before any thread is started (unshare's hazard is
    // threads that would be left in the old one).
    unsafe { unshare_unsafe(UnshareFlags::NEWNS) }
        .map_err(|e| anyhow::anyhow!("cannot make a private mount namespace (run as root): {e}"))?;
    mount_change(
        "/",
        MountPropagationFlags::REC | MountPropagationFlags::DOWNSTREAM,
    )
    .map_err(|e| anyhow::anyhow!("cannot make mounts private: {e}"))
}
