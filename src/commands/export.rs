use super::{OK, emit, open};
use crate::audit::export::{ExportRequest, export, require_approval};
use crate::config::Config;
use crate::custody::tags;
use crate::people::approvals::Use;
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
    /// The approval, on a station with accounts (`camdock approval request export`); then
    /// --actor names the account exporting.
    #[arg(long)]
    pub approval: Option<i64>,
    #[arg(long)]
    pub actor: Option<String>,
    /// Identical packages to write (copy-1, copy-2, … under --out).
    #[arg(long, default_value_t = 1)]
    pub copies: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let (actor, approved_by, reason) = if crate::people::accounts::any(&station)? {
        let actor = super::people::actor(
            &station,
            a.actor.as_deref(),
            crate::people::Act::RequestAccess,
        )?;
        let (clip, case) = match (&a.case_name, a.clips.as_slice()) {
            (Some(case), []) => (None, Some(case.as_str())),
            (None, [one]) => (
                Some(
                    station
                        .ledger()
                        .resolve_clip(one)
                        .map_err(|e| usage!("{e}"))?,
                ),
                None,
            ),
            _ => {
                return Err(usage!(
                    "on a station with accounts an export names one clip or one case, as its approval does"
                ));
            }
        };
        // What the export will write, to be matched against what was approved.
        let clips = match (&clip, case) {
            (Some(sha), _) => vec![sha.clone()],
            (None, Some(case)) => tags::clips_of_case(&station, case)?,
            (None, None) => Vec::new(),
        };
        let target = crate::people::approvals::Target {
            clip: clip.as_deref(),
            case,
            clips,
            copies: u32::try_from(a.copies).unwrap_or(u32::MAX),
        };
        let granted = super::people::approval(
            &station,
            &actor,
            a.approval,
            Use::Export,
            &target,
            (None, None),
        )?
        .expect("with accounts an approval is required or refused");
        (actor, granted.by, granted.reason)
    } else {
        super::people::refuse_unless_open(&station, "export")?;
        let (by, why) = require_approval(a.approved_by.as_deref(), a.reason.as_deref())?;
        let actor = a
            .actor
            .clone()
            .unwrap_or_else(|| station.actor().to_string());
        (actor, by, why)
    };
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
            actor,
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
