use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::checkpoint;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Also copy the signed checkpoint here (for an auditor, off the station).
    #[arg(long, value_parser = crate::paths::arg)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let (cp, path) = checkpoint::write(&station)?;
    if let Some(out) = &a.out {
        std::fs::copy(&path, out)
            .map_err(|e| crate::usage!("cannot copy the checkpoint to {}: {e}", out.display()))?;
    }
    emit(a.json, &cp, |cp| {
        format!(
            "checkpoint of event {} ({}) signed and written to {}\n",
            cp.seq,
            cp.head_hash,
            path.display()
        )
    })?;
    Ok(OK)
}
