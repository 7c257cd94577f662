use super::{OK, emit, open};
use crate::camera::binding::Binding;
use crate::camera::status_file::valid_id;
use crate::config::Config;
use crate::ledger::{EventKind, NewEvent};
use crate::time::stamp;
use crate::usage;
use camdock_record::detail::CameraBoundDetail;
use chrono::Utc;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The camera volume, mounted writable for this one step.
    #[arg(value_parser = crate::paths::arg)]
    pub volume: PathBuf,
    #[arg(long)]
    pub serial: String,
    #[arg(long)]
    pub officer: String,
    #[arg(long)]
    pub unit: String,
    /// Who binds it (on a station with accounts: an equipment manager's account).
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// Writes CAMDOCK.INI (sealed with the station key) to a camera and records the binding.
pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    for (what, v) in [
        ("--serial", &a.serial),
        ("--officer", &a.officer),
        ("--unit", &a.unit),
    ] {
        if !valid_id(v) {
            return Err(usage!("{what} '{v}' must be letters, digits, '-' or '_'"));
        }
    }
    let station = open(config, data_dir)?;
    let by = super::people::actor(&station, a.by.as_deref(), crate::people::Act::AssignCamera)?;
    let binding = Binding {
        serial: a.serial,
        officer: a.officer,
        unit: a.unit,
        bound_at: stamp(Utc::now()),
    };
    crate::camera::binding::write(&binding, &a.volume, &station.key.binding_key()).map_err(
        |e| {
            usage!(
                "cannot write the binding file to {}: {e} (is the camera mounted writable?)",
                a.volume.display()
            )
        },
    )?;
    station.ledger().append(
        NewEvent::new(EventKind::CameraBound, &by)
            .camera(&binding.serial)
            .typed(&CameraBoundDetail {
                binding: binding.clone(),
                volume: a.volume.display().to_string(),
            }),
    )?;
    emit(a.json, &binding, |b| {
        format!(
            "camera {} bound to officer {} of {} at {}\n",
            b.serial, b.officer, b.unit, b.bound_at
        )
    })?;
    Ok(OK)
}
