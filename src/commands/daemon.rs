use super::OK;
use crate::config::Config;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct RunArgs {}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {}

pub fn run(_config: Config, _data_dir: Option<&Path>, _a: RunArgs) -> anyhow::Result<i32> {
    anyhow::bail!("not yet")
}

pub fn demo(_config: Config, _data_dir: Option<&Path>, _a: DemoArgs) -> anyhow::Result<i32> {
    let _ = OK;
    anyhow::bail!("not yet")
}
