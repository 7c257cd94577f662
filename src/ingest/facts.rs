//! Everything the station learns from a camera at the moment it docks, before a byte of any clip
//! is read: what is on the card, which profile and driver apply, who the camera is, what its clock
//! says, and whether our last clock correction was applied.

use super::walk::{Entry, Listing, walk};
use crate::camera::binding::{self, BindingCheck};
use crate::camera::clock::{self, ClockCheck};
use crate::camera::filename::{self, ClipName};
use crate::camera::identity::{self, Clues, Identity};
use crate::camera::profile::{Profile, Profiles};
use crate::camera::status_file::{self, StatusFile};
use crate::keys::StationKey;
use crate::time::StationZone;
use crate::usage;
use chrono::{DateTime, Utc};
use std::path::Path;

/// Facts of one clip that come from the camera side (file name, listing), for its recording row.
pub struct ClipContext {
    pub officer: Option<String>,
    pub sequence: Option<u32>,
    pub important: bool,
    /// Start of recording by the camera's clock, read in the station's zone.
    pub recorded_at: Option<DateTime<Utc>>,
}

pub struct DockFacts {
    pub listing: Listing,
    /// Each listed clip's name, parsed by the profile's pattern (None when it does not follow it).
    pub names_by_clip: Vec<Option<ClipName>>,
    pub contexts: Vec<ClipContext>,
    pub status: Option<StatusFile>,
    pub profile: Profile,
    pub binding: Option<BindingCheck>,
    pub identity: Identity,
    pub officer: Option<String>,
    pub clock: Option<ClockCheck>,
    /// The content of a TIMESET.TXT found on the card at dock.
    pub timeset_on_card: Option<String>,
}

pub struct Inputs<'a> {
    pub usb: Option<(u16, u16)>,
    pub usb_serial: Option<&'a str>,
    pub operator_camera: Option<&'a str>,
    pub zone: &'a StationZone,
    pub tolerance_ms: i64,
    pub profiles: &'a Profiles,
    pub key: &'a StationKey,
}

pub fn gather(volume: &Path, inp: &Inputs<'_>) -> anyhow::Result<DockFacts> {
    let meta = std::fs::metadata(volume)
        .map_err(|e| usage!("camera volume {} cannot be opened: {e}", volume.display()))?;
    if !meta.is_dir() {
        return Err(usage!(
            "camera volume {} is not a folder (a mounted camera is a folder)",
            volume.display()
        ));
    }
    let mut listing = walk(volume)
        .map_err(|e| usage!("camera volume {} cannot be listed: {e}", volume.display()))?;
    let profile = inp.profiles.select(inp.usb, volume).clone();
    // Recording types the camera's profile adds are recordings like the built-in ones.
    let (added, other): (Vec<_>, Vec<_>) = std::mem::take(&mut listing.other)
        .into_iter()
        .partition(|e| profile.records_extension(&e.ext));
    listing.other = other;
    listing.clips.extend(added);
    // Media outside the camera's clip folders is listed, not taken for its recordings.
    let (inside, outside): (Vec<_>, Vec<_>) = std::mem::take(&mut listing.clips)
        .into_iter()
        .partition(|e| profile.in_clip_roots(&e.source));
    listing.clips = inside;
    listing.other.extend(outside);
    if profile.keep_other {
        // This camera family keeps evidence in non-media files too (logs, GPS tracks).
        listing.clips.append(&mut listing.other);
    }
    let parsed: Vec<Option<ClipName>> = listing
        .clips
        .iter()
        .map(|e| {
            if profile.file_names == "police" {
                filename::parse(&e.file_name)
            } else {
                None
            }
        })
        .collect();
    let names: Vec<ClipName> = parsed.iter().flatten().cloned().collect();
    let status = if profile.driver == crate::camera::profile::Driver::StatusFile {
        status_file::read(volume)
    } else {
        None
    };
    let binding = binding::read(volume, &inp.key.binding_key());
    let volume_name = volume
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let identity = identity::identify(&Clues {
        usb_serial: inp.usb_serial,
        status: status.as_ref(),
        binding: binding.as_ref(),
        names: &names,
        operator: inp.operator_camera,
        volume_name: &volume_name,
    });
    let officer = status
        .as_ref()
        .and_then(|s| s.officer.clone())
        .or_else(|| {
            binding
                .as_ref()
                .filter(|b| b.mac_ok)
                .and_then(|b| b.binding.as_ref())
                .map(|b| b.officer.clone())
        })
        .or_else(|| names.first().map(|n| n.officer.clone()));
    let clock = status
        .as_ref()
        .and_then(|s| s.clock)
        .and_then(|w| clock::check(w, Utc::now(), inp.zone, inp.tolerance_ms));
    let timeset_on_card = crate::camera::read_control_file(volume, clock::TIMESET_FILE, 256)
        .map(|t| t.trim().to_string());
    let contexts = listing
        .clips
        .iter()
        .zip(&parsed)
        .map(|(e, n)| context(e, n.as_ref(), officer.as_ref(), inp.zone))
        .collect();
    Ok(DockFacts {
        listing,
        names_by_clip: parsed,
        contexts,
        status,
        profile,
        binding,
        identity,
        officer,
        clock,
        timeset_on_card,
    })
}

fn context(
    e: &Entry,
    name: Option<&ClipName>,
    officer: Option<&String>,
    zone: &StationZone,
) -> ClipContext {
    ClipContext {
        officer: name.map(|n| n.officer.clone()).or_else(|| officer.cloned()),
        sequence: name.map(|n| n.sequence),
        important: name.is_some_and(|n| n.important),
        recorded_at: name
            .and_then(|n| zone.wall_to_utc(n.started))
            .or_else(|| e.mtime.map(DateTime::<Utc>::from)),
    }
}
