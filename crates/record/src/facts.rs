//! The facts a dock reads from a camera and its clips, as the events record them (`health-read`,
//! `clock-checked`, `clip-probed`, `recording-gaps`, `files-skipped`, `clip-stored`): typed once
//! here so the station that writes them and whoever reads the record (`detail`) agree.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub battery_percent: Option<u8>,
    pub storage_total_bytes: Option<u64>,
    pub storage_free_bytes: Option<u64>,
    pub firmware: Option<String>,
    /// The card's FAT/exFAT "dirty" flag, where the card is a mount we can read.
    pub fs_dirty: Option<bool>,
    pub read_errors: u32,
    /// Read throughput from the card this dock, MB/s (a slowing card is failing).
    pub read_mb_per_s: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockCheck {
    /// What the camera's clock showed (zone-less wall time).
    pub camera_wall: String,
    pub camera_utc: String,
    pub station_utc: String,
    pub offset_ms: i64,
    pub tolerance_ms: i64,
    pub within_tolerance: bool,
    pub station_sync: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Integrity {
    Ok,
    Damaged,
    NotMedia,
    /// The probe itself failed (crashed, overran its limits, was killed): nothing is known of the
    /// clip's media, which is stored all the same.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaFacts {
    pub integrity: Integrity,
    /// Why the clip is damaged or not media; empty when ok.
    pub problems: Vec<String>,
    pub container: Option<String>,
    pub duration_s: Option<f64>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The container's own creation_time tag, as written by the camera.
    pub creation_time: Option<String>,
    /// Whether someone speaks in the first seconds of the recording (a voice-activity detector on
    /// the decoded sound): a hint for a reviewer (001 Art. 18 asks for time, place and the act to
    /// be stated at the start), never a verdict. None: no sound track, or none could be decoded,
    /// or probed before this was listened for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech_at_start: Option<bool>,
}

impl MediaFacts {
    pub fn not_media(why: String) -> Self {
        MediaFacts::nothing_known(Integrity::NotMedia, why)
    }

    /// The probe failed: "unknown: probe failed (why)".
    pub fn probe_failed(why: String) -> Self {
        MediaFacts::nothing_known(Integrity::Unknown, format!("probe failed: {why}"))
    }

    fn nothing_known(integrity: Integrity, why: String) -> Self {
        MediaFacts {
            integrity,
            problems: vec![why],
            container: None,
            duration_s: None,
            video_codec: None,
            audio_codec: None,
            width: None,
            height: None,
            creation_time: None,
            speech_at_start: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub after: String,
    pub before: String,
    /// Seconds between the end of one recording and the start of the next; negative = overlap.
    pub seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub source: String,
    pub reason: String,
}

/// Whether the immutable flag could be set: an auditor must know when only 0444 protects a clip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Immutability {
    Set,
    NotPermitted(String),
}

/// How the station talks to a camera (its profile's driver): what it can read and how it sets the clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Driver {
    /// Any mass-storage camera: no status, no clock setting (drift is recorded only).
    #[default]
    Generic,
    /// DEVICE.TXT gives serial, battery and clock; the clock is set with TIMESET.TXT.
    StatusFile,
    /// Consumer firmware: no clock reading; TIMESET.TXT applied at next power-on.
    TimesetFile,
    /// The vendor bulk protocol over USB: device id and clock setting frames.
    AmbaUsb,
}

impl Driver {
    /// Drivers whose correction is a TIMESET.TXT on the card.
    pub fn writes_timeset(self) -> bool {
        matches!(self, Driver::StatusFile | Driver::TimesetFile)
    }

    /// Drivers that set the clock although they cannot read it (so every dock sets it).
    pub fn sets_blind(self) -> bool {
        matches!(self, Driver::TimesetFile | Driver::AmbaUsb)
    }
}
