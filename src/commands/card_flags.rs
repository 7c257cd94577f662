//! `camdock card-flags DEVICE`: the udev rule's helper, run as root by udevd when a camera's
//! filesystem appears, before it is mounted. Prints what the unprivileged daemon cannot read
//! itself (the card's dirty flag) as udev properties (`camera::dirty_flag`). Reads the boot
//! sector, never writes.

use crate::camera::dirty_flag;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The card's filesystem device (udev's `$devnode`).
    pub device: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<i32> {
    let flag = camdock_card::fat::read_dirty_flag(&a.device);
    std::io::stdout().write_all(dirty_flag::udev_properties(flag).as_bytes())?;
    Ok(0)
}
