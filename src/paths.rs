//! Paths are made absolute once, where they enter (flags, config, defaults), so that nothing
//! downstream compares or joins a relative path with one the kernel reports (inotify, mountinfo
//! and the ledger all speak in absolute paths).

use std::path::{Path, PathBuf};

/// `path` against the current directory, lexically (no symlinks resolved, nothing must exist).
pub fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    std::path::absolute(path)
}

/// `path` against `base` when relative (a config file's paths are relative to the file).
pub fn against(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// The clap value parser for every path argument: absolute from the moment it is parsed.
pub fn arg(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("an empty path".into());
    }
    absolute(Path::new(text)).map_err(|e| format!("cannot make {text} absolute: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_argument_becomes_absolute_under_the_current_directory() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(arg("camdock-demo").unwrap(), cwd.join("camdock-demo"));
        assert_eq!(
            arg("/var/lib/camdock").unwrap(),
            Path::new("/var/lib/camdock")
        );
        assert!(arg("").is_err());
    }

    #[test]
    fn config_paths_are_relative_to_the_config_file() {
        assert_eq!(
            against(Path::new("/etc/camdock"), Path::new("media")),
            Path::new("/etc/camdock/media")
        );
        assert_eq!(
            against(Path::new("/etc/camdock"), Path::new("/run/m")),
            Path::new("/run/m")
        );
    }
}
