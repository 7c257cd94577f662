//! `camdock clock-window`: the privileged step that writes clock corrections to cards the station
//! mounts read-only. Run as root by `camdock-clock.service` when the daemon leaves a request
//! (`camdock-clock.path`); not for people to run (see `camera::clock_window`).

use super::OK;
use crate::camera::clock_window;
use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(config: Config, _a: Args) -> anyhow::Result<i32> {
    let media_root = std::fs::canonicalize(&config.dock.media_root).map_err(|e| {
        crate::usage!(
            "cannot resolve the media root {}: {e}",
            config.dock.media_root.display()
        )
    })?;
    for reply in clock_window::serve_pending(&config.dock.clock_spool, &media_root, &config.zone())?
    {
        match (&reply.timeset, &reply.error) {
            (Some(line), None) => println!(
                "{}: TIMESET.TXT {line} written (window {} to {})",
                reply.id,
                reply.opened_at.as_deref().unwrap_or("?"),
                reply.closed_at.as_deref().unwrap_or("?")
            ),
            (_, e) => eprintln!(
                "{}: {}",
                reply.id,
                e.as_deref().unwrap_or("nothing written")
            ),
        }
    }
    Ok(OK)
}
