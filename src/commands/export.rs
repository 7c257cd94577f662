use super::{OK, emit, open};
use crate::audit::export::{ExportRequest, export, require_approval};
use crate::config::Config;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A clip to export (SHA-256 or a unique prefix); repeat for more.
    #[arg(long = "clip", value_name = "SHA")]
    pub clips: Vec<String>,
    /// The folder to write the package into (new or empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Who approved this copy of evidence.
    #[arg(long)]
    pub approved_by: Option<String>,
    /// Why the copy is made.
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let (approved_by, reason) = require_approval(a.approved_by.as_deref(), a.reason.as_deref())?;
    let station = open(config, data_dir)?;
    let report = export(
        &station,
        &ExportRequest {
            clips: a.clips,
            out: a.out,
            approved_by,
            reason,
        },
    )?;
    emit(a.json, &report, |r| {
        format!(
            "exported {} clip(s) to {}\ncheck there with: sha256sum -c SHA256SUMS && b3sum -c B3SUMS\n",
            r.clips.len(),
            r.out
        )
    })?;
    Ok(OK)
}
