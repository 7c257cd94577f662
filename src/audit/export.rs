//! Evidence export: a folder a court can check with standard tools, without trusting camdock.
//!
//! Clips are re-read from the store and verified on the way out; the package carries
//! `SHA256SUMS` and `B3SUMS` (for `sha256sum -c` / `b3sum -c` inside the folder), `custody.json`
//! with each clip's trail, and `LABEL.txt` for the disc. Every exported clip is a `clip-exported`
//! event naming the approver and the reason.

use crate::hash::fan_out;
use crate::ledger::queries::ClipView;
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::time::stamp;
use crate::usage;
use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct ExportRequest {
    pub clips: Vec<String>,
    pub out: PathBuf,
    pub approved_by: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct ExportReport {
    pub out: String,
    pub clips: Vec<ExportedClip>,
    pub sha256sums: String,
    pub b3sums: String,
    pub custody: String,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct ExportedClip {
    pub sha256: String,
    pub blake3: String,
    pub bytes: u64,
    pub file: String,
    pub camera: String,
    pub source: String,
}

/// Checks an approver and a reason were given: exports need both (the access rules).
pub fn require_approval(
    approved_by: Option<&str>,
    reason: Option<&str>,
) -> anyhow::Result<(String, String)> {
    match (
        approved_by.map(str::trim).filter(|s| !s.is_empty()),
        reason.map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(a), Some(r)) => Ok((a.to_string(), r.to_string())),
        _ => Err(usage!(
            "an export needs --approved-by WHO and --reason WHY: copies of evidence require recorded approval"
        )),
    }
}

pub fn export(station: &Station, req: &ExportRequest) -> anyhow::Result<ExportReport> {
    if req.clips.is_empty() {
        return Err(usage!("nothing to export: name clips with --clip"));
    }
    let mut chosen: Vec<ClipView> = Vec::new();
    {
        let ledger = station.ledger();
        let all = ledger.clips(None)?;
        for id in &req.clips {
            let sha = ledger.resolve_clip(id).map_err(|e| usage!("{e}"))?;
            if !chosen.iter().any(|c| c.sha256 == sha) {
                chosen.push(
                    all.iter()
                        .find(|c| c.sha256 == sha)
                        .cloned()
                        .expect("resolved clips are listed"),
                );
            }
        }
    }
    if req.out.exists()
        && fs::read_dir(&req.out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(usage!(
            "export folder {} already exists and is not empty: choose a new folder",
            req.out.display()
        ));
    }
    fs::create_dir_all(req.out.join("clips"))
        .map_err(|e| usage!("cannot create export folder {}: {e}", req.out.display()))?;

    let mut exported = Vec::new();
    for clip in &chosen {
        let ext = Path::new(&clip.store_path)
            .extension()
            .map(|e| e.to_string_lossy().into_owned());
        let name = match &ext {
            Some(e) => format!("clips/{}.{e}", clip.sha256),
            None => format!("clips/{}", clip.sha256),
        };
        let source = station.store.open(&clip.store_path)?;
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(req.out.join(&name))?;
        let d = fan_out(source, Some(&mut out))?;
        out.sync_all()?;
        if d.sha256 != clip.sha256 || d.blake3 != clip.blake3 {
            let _ = fs::remove_file(req.out.join(&name));
            anyhow::bail!(
                "clip {} failed verification on the way out (store copy hashes to {}); run `camdock verify`",
                clip.sha256,
                d.sha256
            );
        }
        exported.push(ExportedClip {
            sha256: d.sha256,
            blake3: d.blake3,
            bytes: d.bytes,
            file: name,
            camera: clip.camera.clone(),
            source: clip.source.clone(),
        });
    }

    let sums = |pick: fn(&ExportedClip) -> &str| -> String {
        exported
            .iter()
            .map(|c| format!("{}  {}\n", pick(c), c.file))
            .collect()
    };
    write_file(&req.out.join("SHA256SUMS"), &sums(|c| &c.sha256))?;
    write_file(&req.out.join("B3SUMS"), &sums(|c| &c.blake3))?;

    let exported_at = stamp(Utc::now());
    // Record the export first, so custody.json carries the export events themselves.
    station.ledger().write(|w| {
        for c in &exported {
            w.append(
                NewEvent::new(EventKind::ClipExported, &req.approved_by)
                    .camera(&c.camera)
                    .clip(&c.sha256)
                    .detail(json!({
                        "approved_by": req.approved_by,
                        "reason": req.reason,
                        "station": station.actor(),
                        "out": req.out.display().to_string(),
                        "file": c.file,
                    })),
            )?;
        }
        Ok(())
    })?;
    let mut trails = Vec::new();
    for c in &exported {
        trails.push(json!({ "clip": c, "events": station.ledger().custody(&c.sha256)? }));
    }
    let custody = json!({
        "station": station.actor(),
        "exported_at": exported_at,
        "approved_by": req.approved_by,
        "reason": req.reason,
        "clips": trails,
    });
    write_file(
        &req.out.join("custody.json"),
        &serde_json::to_string_pretty(&custody)?,
    )?;
    write_file(
        &req.out.join("LABEL.txt"),
        &label(station, req, &exported, &exported_at),
    )?;
    File::open(&req.out)?.sync_all()?;

    Ok(ExportReport {
        out: req.out.display().to_string(),
        clips: exported,
        sha256sums: req.out.join("SHA256SUMS").display().to_string(),
        b3sums: req.out.join("B3SUMS").display().to_string(),
        custody: req.out.join("custody.json").display().to_string(),
        label: req.out.join("LABEL.txt").display().to_string(),
    })
}

fn label(station: &Station, req: &ExportRequest, clips: &[ExportedClip], at: &str) -> String {
    let mut s = String::new();
    s.push_str("EVIDENCE COPY — body-camera recordings\n");
    s.push_str(&format!("Unit / station: {}\n", station.actor()));
    s.push_str(&format!("Made at:        {at}\n"));
    s.push_str(&format!("Approved by:    {}\n", req.approved_by));
    s.push_str(&format!("Reason:         {}\n", req.reason));
    s.push_str(&format!("Clips:          {}\n\n", clips.len()));
    for c in clips {
        s.push_str(&format!(
            "{}  camera {}  {}  ({} bytes)\n",
            c.sha256, c.camera, c.source, c.bytes
        ));
    }
    s.push_str("\nCheck inside this folder: sha256sum -c SHA256SUMS && b3sum -c B3SUMS\n");
    s
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}
