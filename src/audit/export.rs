//! Evidence export: a folder a court can check with standard tools, without trusting camdock.
//!
//! Clips are re-read from the store and verified on the way out; the package carries
//! `SHA256SUMS` and `B3SUMS` (for `sha256sum -c` / `b3sum -c` inside the folder), an ASC MHL
//! generation in `ascmhl/` (xxh128, for media-industry tools), `custody.json` with each clip's
//! trail, and `LABEL.txt` for the disc. The rules ask for two labelled copies of long-term
//! evidence: `copies` writes that many identical packages. Every exported clip is a
//! `clip-exported` event naming the approver and the reason.

use super::ascmhl::{self, MhlCreator, MhlFile};
use crate::hash::fan_out;
use crate::ledger::queries::ClipView;
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::time::stamp;
use crate::usage;
use camdock_record::detail::ClipExportedDetail;
use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct ExportRequest {
    /// Clip ids (SHA-256 or unique prefixes).
    pub clips: Vec<String>,
    /// The case named with `--case`, for the label.
    pub case: Option<String>,
    pub out: PathBuf,
    /// Who exports: the account acting (the approver is named in the detail, never as actor of
    /// an export they did not do).
    pub actor: String,
    pub approved_by: String,
    pub reason: String,
    /// Identical packages to write (the rules: two copies of long-term evidence).
    pub copies: usize,
}

#[derive(Debug, Serialize)]
pub struct ExportReport {
    pub out: String,
    /// One folder per copy (the `out` folder itself when there is one copy).
    pub packages: Vec<String>,
    pub clips: Vec<ExportedClip>,
    pub sha256sums: String,
    pub b3sums: String,
    pub ascmhl: String,
    pub custody: String,
    pub label: String,
}

#[derive(Clone, Debug, Serialize)]
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
    crate::custody::access::who_and_why(
        approved_by,
        reason,
        "an export needs --approved-by WHO and --reason WHY: copies of evidence require recorded approval",
    )
}

fn empty_or_new(dir: &Path) -> anyhow::Result<()> {
    if dir.exists()
        && fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(usage!(
            "export folder {} already exists and is not empty: choose a new folder",
            dir.display()
        ));
    }
    Ok(())
}

pub fn export(station: &Station, req: &ExportRequest) -> anyhow::Result<ExportReport> {
    if req.clips.is_empty() {
        return Err(usage!(
            "nothing to export: name clips with --clip or a case with --case"
        ));
    }
    if req.copies == 0 {
        return Err(usage!("--copies must be at least 1"));
    }
    let chosen = resolve(station, &req.clips)?;
    let packages: Vec<PathBuf> = if req.copies == 1 {
        vec![req.out.clone()]
    } else {
        (1..=req.copies)
            .map(|n| req.out.join(format!("copy-{n}")))
            .collect()
    };
    empty_or_new(&req.out)?;

    let exported_at = stamp(Utc::now());
    // Record the export first, so custody.json carries the export events themselves.
    station.ledger().write(|w| {
        for c in &chosen {
            w.append(
                NewEvent::new(EventKind::ClipExported, &req.actor)
                    .camera(&c.camera)
                    .clip(&c.sha256)
                    .typed(&ClipExportedDetail {
                        approved_by: req.approved_by.clone(),
                        reason: req.reason.clone(),
                        case: req.case.clone(),
                        station: station.actor().into(),
                        out: req.out.display().to_string(),
                        copies: req.copies as u64,
                    }),
            )?;
        }
        Ok(())
    })?;
    let mut clips = Vec::new();
    for (i, pkg) in packages.iter().enumerate() {
        clips = write_package(station, req, &chosen, pkg, &exported_at)?;
        tracing::info!(package = %pkg.display(), copy = i + 1, clips = clips.len(), "evidence package written");
    }
    let first = &packages[0];
    Ok(ExportReport {
        out: req.out.display().to_string(),
        packages: packages.iter().map(|p| p.display().to_string()).collect(),
        clips,
        sha256sums: first.join("SHA256SUMS").display().to_string(),
        b3sums: first.join("B3SUMS").display().to_string(),
        ascmhl: first.join(ascmhl::ASCMHL_DIR).display().to_string(),
        custody: first.join("custody.json").display().to_string(),
        label: first.join("LABEL.txt").display().to_string(),
    })
}

fn resolve(station: &Station, ids: &[String]) -> anyhow::Result<Vec<ClipView>> {
    let ledger = station.ledger();
    let mut chosen: Vec<ClipView> = Vec::new();
    for id in ids {
        let sha = ledger.resolve_clip(id).map_err(|e| usage!("{e}"))?;
        if chosen.iter().any(|c| c.sha256 == sha) {
            continue;
        }
        let clip = ledger
            .clip(&sha)?
            .ok_or_else(|| usage!("clip {sha} was purged and cannot be exported"))?;
        chosen.push(clip);
    }
    Ok(chosen)
}

fn write_package(
    station: &Station,
    req: &ExportRequest,
    chosen: &[ClipView],
    pkg: &Path,
    exported_at: &str,
) -> anyhow::Result<Vec<ExportedClip>> {
    empty_or_new(pkg)?;
    fs::create_dir_all(pkg.join("clips"))
        .map_err(|e| usage!("cannot create export folder {}: {e}", pkg.display()))?;
    let mut exported = Vec::new();
    for clip in chosen {
        let name = match Path::new(&clip.store_path).extension() {
            Some(e) => format!("clips/{}.{}", clip.sha256, e.to_string_lossy()),
            None => format!("clips/{}", clip.sha256),
        };
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(pkg.join(&name))?;
        let d = fan_out(station.store.open(&clip.store_path)?, Some(&mut out))?;
        out.sync_all()?;
        if d.sha256 != clip.sha256 || d.blake3 != clip.blake3 {
            let _ = fs::remove_file(pkg.join(&name));
            anyhow::bail!(
                "clip {} failed verification on the way out (the store copy hashes to {}); run `camdock verify`",
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
    write_file(&pkg.join("SHA256SUMS"), &sums(|c| &c.sha256))?;
    write_file(&pkg.join("B3SUMS"), &sums(|c| &c.blake3))?;
    let mut trails = Vec::new();
    for c in &exported {
        trails.push(json!({ "clip": c, "events": station.ledger().custody(&c.sha256)? }));
    }
    let custody = json!({
        "station": station.actor(), "exported_at": exported_at, "approved_by": req.approved_by,
        "reason": req.reason, "case": req.case, "clips": trails,
    });
    write_file(
        &pkg.join("custody.json"),
        &serde_json::to_string_pretty(&custody)?,
    )?;
    write_file(
        &pkg.join("LABEL.txt"),
        &label(station, req, &exported, exported_at),
    )?;

    // The ASC MHL manifest lists every file of the package, so it is written last.
    let mut files = Vec::new();
    for rel in exported.iter().map(|c| c.file.as_str()).chain([
        "SHA256SUMS",
        "B3SUMS",
        "custody.json",
        "LABEL.txt",
    ]) {
        let path = pkg.join(rel);
        files.push(MhlFile {
            rel_path: rel.to_string(),
            bytes: fs::metadata(&path)?.len(),
            xxh128: ascmhl::xxh128_file(&path)?,
            modified: fs::metadata(&path)?.modified()?.into(),
        });
    }
    let creator = MhlCreator {
        tool_name: "camdock".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        host_name: station.actor().into(),
        author: Some(req.approved_by.clone()),
        comment: Some(req.reason.clone()),
    };
    ascmhl::write_generation(pkg, &files, &creator, Utc::now())?;
    File::open(pkg)?.sync_all()?;
    Ok(exported)
}

fn label(station: &Station, req: &ExportRequest, clips: &[ExportedClip], at: &str) -> String {
    let mut s = String::new();
    s.push_str("EVIDENCE COPY — body-camera recordings / 执法音像记录 证据副本\n");
    s.push_str(&format!("Unit / station: {}\n", station.actor()));
    s.push_str(&format!(
        "Case:           {}\n",
        req.case.as_deref().unwrap_or("-")
    ));
    s.push_str(&format!("Made at:        {at}\n"));
    s.push_str(&format!("Approved by:    {}\n", req.approved_by));
    s.push_str(&format!("Reason:         {}\n", req.reason));
    s.push_str(&format!("Copies:         {} identical\n", req.copies));
    s.push_str(&format!("Clips:          {}\n\n", clips.len()));
    for c in clips {
        s.push_str(&format!(
            "{}  camera {}  {}  ({} bytes)\n",
            c.sha256, c.camera, c.source, c.bytes
        ));
    }
    s.push_str("\nCheck inside this folder: sha256sum -c SHA256SUMS && b3sum -c B3SUMS (ASC MHL: ascmhl-debug verify .)\n");
    s
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}
