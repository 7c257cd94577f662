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
use crate::media::is_media_extension;
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
    /// The station's zone, in which the camera's wall-clock file names are read.
    pub zone: StationZone,
    pub status: Option<StatusFile>,
    pub profile: Profile,
    pub binding: Option<BindingCheck>,
    pub identity: Identity,
    pub officer: Option<String>,
    pub clock: Option<ClockCheck>,
    /// The content of a TIMESET.TXT found on the card at dock.
    pub timeset_on_card: Option<String>,
    /// The card's size and free space (bytes), read at dock: at the session's end a pulled
    /// camera's mount point folder is still there, and would give the figures of the
    /// filesystem under it (the station's /run).
    pub storage: Option<(u64, u64)>,
    /// The card's FAT/exFAT dirty flag, read at dock (for the same reason).
    pub fs_dirty: Option<bool>,
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
    let profile = inp.profiles.select(inp.usb, volume).clone();
    let is_clip = |e: &Entry| {
        // This camera family keeps evidence in non-media files too (logs, GPS tracks); otherwise
        // a recording is a media type, or one the camera's profile adds, inside the camera's clip
        // folders (media elsewhere is listed, not taken for its recordings).
        profile.keep_other
            || ((is_media_extension(&e.ext) || profile.records_extension(&e.ext))
                && profile.in_clip_roots(&e.source))
    };
    let listing = walk(volume, is_clip)
        .map_err(|e| usage!("camera volume {} cannot be listed: {e}", volume.display()))?;
    // What the clips' names say of the camera, gathered clip by clip (nothing kept per clip).
    let mut serials = std::collections::HashMap::<String, usize>::new();
    let mut first_officer = None;
    for e in listing.clips.iter() {
        if let Some(n) = parse_name(&profile, &e) {
            *serials.entry(n.serial).or_default() += 1;
            first_officer.get_or_insert(n.officer);
        }
    }
    let serial_in_names = identity::most_common_serial(serials);
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
        serial_in_names,
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
        .or(first_officer);
    let clock = status
        .as_ref()
        .and_then(|s| s.clock)
        .and_then(|w| clock::check(w, Utc::now(), inp.zone, inp.tolerance_ms));
    let timeset_on_card = crate::camera::read_control_file(volume, clock::TIMESET_FILE, 256)
        .map(|t| t.trim().to_string());
    Ok(DockFacts {
        listing,
        zone: inp.zone.clone(),
        status,
        profile,
        binding,
        identity,
        officer,
        clock,
        timeset_on_card,
        storage: crate::camera::health::storage(volume),
        fs_dirty: crate::camera::dirty_flag::of_mount(volume),
    })
}

/// A clip's name, parsed by the profile's pattern (None when it does not follow it).
fn parse_name(profile: &Profile, e: &Entry) -> Option<ClipName> {
    if profile.file_names == "police" {
        filename::parse(&e.file_name)
    } else {
        None
    }
}

impl DockFacts {
    /// Clip `e`'s name, parsed by the profile's pattern (None when it does not follow it).
    pub fn clip_name(&self, e: &Entry) -> Option<ClipName> {
        parse_name(&self.profile, e)
    }

    /// What the camera side says of clip `e`, for its recording row: made when asked for, so a
    /// card of many clips keeps nothing per clip.
    pub fn context(&self, e: &Entry) -> ClipContext {
        let name = self.clip_name(e);
        ClipContext {
            officer: name
                .as_ref()
                .map(|n| n.officer.clone())
                .or_else(|| self.officer.clone()),
            sequence: name.as_ref().map(|n| n.sequence),
            important: name.as_ref().is_some_and(|n| n.important),
            recorded_at: name
                .and_then(|n| self.zone.wall_to_utc(n.started))
                .or_else(|| e.mtime.map(DateTime::<Utc>::from)),
        }
    }
}
