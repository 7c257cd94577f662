use super::{OK, emit, open};
use crate::audit::export::{ExportRequest, export, require_approval};
use crate::config::Config;
use crate::custody::tags;
use crate::usage;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A clip to export (SHA-256 or a unique prefix); repeat for more.
    #[arg(long = "clip", value_name = "SHA")]
    pub clips: Vec<String>,
    /// Export every clip tagged with this case.
    #[arg(long = "case", value_name = "NAME")]
    pub case_name: Option<String>,
    /// The folder to write the package into (new or empty).
    #[arg(long, value_parser = crate::paths::arg)]
    pub out: PathBuf,
    /// Who approved this copy of evidence.
    #[arg(long)]
    pub approved_by: Option<String>,
    /// Why the copy is made.
    #[arg(long)]
    pub reason: Option<String>,
    /// Identical packages to write (copy-1, copy-2, … under --out).
    #[arg(long, default_value_t = 1)]
    pub copies: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let (approved_by, reason) = require_approval(a.approved_by.as_deref(), a.reason.as_deref())?;
    let station = open(config, data_dir)?;
    let mut clips = a.clips;
    if let Some(case) = &a.case_name {
        let of_case = tags::clips_of_case(&station, case)?;
        if of_case.is_empty() {
            return Err(usage!("no clip is tagged with case '{case}'"));
        }
        clips.extend(of_case);
    }
    let report = export(
        &station,
        &ExportRequest {
            clips,
            case: a.case_name,
            out: a.out,
            approved_by,
            reason,
            copies: a.copies,
        },
    )?;
    emit(a.json, &report, |r| {
        format!(
            "exported {} clip(s) to {}\ncheck there with: sha256sum -c SHA256SUMS && b3sum -c B3SUMS\n",
            r.clips.len(),
            r.packages.join(" and ")
        )
    })?;
    Ok(OK)
}
