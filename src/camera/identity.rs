//! Which camera this is. In order of trust: the USB serial, the serial the camera reports in its
//! status file, the station's binding file (if its MAC holds), the serial in its clip file names,
//! and last what the operator typed. An unknown, unbound or tampered camera is still ingested
//! (evidence first) and flagged.

use super::attention::Attention;
use super::binding::BindingCheck;
use super::status_file::StatusFile;
use serde::Serialize;
use serde_json::json;

#[derive(Clone, Debug, Serialize)]
pub struct Identity {
    pub camera: String,
    /// Where the id came from: usb, status-file, binding, file-names, operator, volume-name.
    pub source: &'static str,
    /// Reasons to flag the identity (unknown, unbound, tampered, conflicting sources).
    pub flags: Vec<Attention>,
}

pub struct Clues<'a> {
    pub usb_serial: Option<&'a str>,
    pub status: Option<&'a StatusFile>,
    pub binding: Option<&'a BindingCheck>,
    /// The serial most of the clips' file names carry.
    pub serial_in_names: Option<String>,
    pub operator: Option<&'a str>,
    pub volume_name: &'a str,
}

pub fn identify(c: &Clues<'_>) -> Identity {
    let from_status = c.status.and_then(|s| s.serial.clone());
    let bound = c
        .binding
        .filter(|b| b.mac_ok)
        .and_then(|b| b.binding.as_ref())
        .map(|b| b.serial.clone());
    let from_names = c.serial_in_names.clone();
    let candidates = [
        (c.usb_serial.map(str::to_string), "usb"),
        (from_status.clone(), "status-file"),
        (bound.clone(), "binding"),
        (from_names.clone(), "file-names"),
        (c.operator.map(str::to_string), "operator"),
    ];
    let (camera, source) = candidates
        .iter()
        .find_map(|(id, src)| id.clone().map(|id| (id, *src)))
        .unwrap_or_else(|| (format!("unknown-{}", c.volume_name), "volume-name"));

    let mut flags = Vec::new();
    if source == "volume-name" {
        flags.push(Attention::plain(
            "unidentified",
            "unidentified camera: no serial found; register it with camdock bind",
        ));
    }
    match c.binding {
        None => flags.push(Attention::plain(
            "unbound",
            "unbound: no CAMDOCK.INI from this station; bind it with camdock bind",
        )),
        Some(b) if !b.mac_ok => flags.push(Attention::new(
            "binding-tampered",
            json!({ "problems": b.problems.join("; ") }),
            format!("binding tampered: {}", b.problems.join("; ")),
        )),
        Some(_) => {}
    }
    for (other, what) in [
        (from_status, "status file"),
        (bound, "binding file"),
        (from_names, "file names"),
        (c.operator.map(str::to_string), "operator"),
    ] {
        if let Some(other) = other
            && other != camera
        {
            flags.push(Attention::new(
                "identity-conflict",
                json!({ "source": what, "says": other, "camera": camera }),
                format!("identity conflict: {what} says {other}, camera is {camera}"),
            ));
        }
    }
    Identity {
        camera,
        source,
        flags,
    }
}

/// The serial counted most often (a tie goes to the greatest serial, in byte order).
pub fn most_common_serial(counts: impl IntoIterator<Item = (String, usize)>) -> Option<String> {
    counts
        .into_iter()
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(s, _)| s)
}
