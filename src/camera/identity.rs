//! Which camera this is. In order of trust: the USB serial, the serial the camera reports in its
//! status file, the station's binding file, the serial in its clip file names, and last what the
//! operator typed. An unknown camera is still ingested (evidence first) and flagged.

use super::filename::ClipName;
use super::status_file::StatusFile;
use serde::Serialize;

pub const BINDING_FILE: &str = "CAMDOCK.INI";

#[derive(Clone, Debug, Serialize)]
pub struct Identity {
    pub camera: String,
    /// Where the id came from: usb, status-file, file-names, operator, volume-name.
    pub source: &'static str,
    /// Reasons to flag the identity (unknown, conflicting sources).
    pub flags: Vec<String>,
}

pub fn identify(
    usb_serial: Option<&str>,
    status: Option<&StatusFile>,
    names: &[ClipName],
    operator: Option<&str>,
    volume_name: &str,
) -> Identity {
    let from_status = status.and_then(|s| s.serial.clone());
    let from_names = most_common(names.iter().map(|n| n.serial.as_str()));
    let (camera, source) = if let Some(s) = usb_serial {
        (s.to_string(), "usb")
    } else if let Some(s) = from_status.clone() {
        (s, "status-file")
    } else if let Some(s) = from_names.clone() {
        (s, "file-names")
    } else if let Some(s) = operator {
        (s.to_string(), "operator")
    } else {
        (format!("unknown-{volume_name}"), "volume-name")
    };
    let mut flags = Vec::new();
    if source == "volume-name" {
        flags.push("unidentified camera: no serial found; register it".to_string());
    }
    for (other, what) in [
        (from_status, "status file"),
        (from_names, "file names"),
        (operator.map(str::to_string), "operator"),
    ] {
        if let Some(other) = other {
            if other != camera {
                flags.push(format!(
                    "identity conflict: {what} says {other}, camera is {camera}"
                ));
            }
        }
    }
    Identity {
        camera,
        source,
        flags,
    }
}

fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for i in items {
        *counts.entry(i).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(s, _)| s.to_string())
}
