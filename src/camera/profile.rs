//! Camera profiles: which driver reads a camera's status and sets its clock, chosen by USB id or
//! by a marker file on the card.

use serde::Deserialize;
use std::path::Path;

pub const BUILTIN: &str = include_str!("../../config/profiles.toml");

pub use camdock_record::facts::Driver;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub usb: Vec<String>,
    pub marker: Option<String>,
    pub driver: Driver,
    /// Folders (from the volume root) where recordings live; empty: anywhere on the card.
    #[serde(default)]
    pub clip_roots: Vec<String>,
    /// How file names encode facts: "police" (`<serial>_<officer>_<time>_<seq>`) or "none".
    #[serde(default = "police")]
    pub file_names: String,
    #[serde(default)]
    pub keep_other: bool,
    /// Recording types this camera writes beyond the built-in ones (`dav`, `h264`, …), stored
    /// like any recording.
    #[serde(default)]
    pub extensions: Vec<String>,
}

fn police() -> String {
    "police".into()
}

impl Profile {
    /// Whether this camera family records files with the extension `ext` (beyond the built-in types).
    pub fn records_extension(&self, ext: &str) -> bool {
        self.extensions
            .iter()
            .any(|e| e.trim_start_matches('.').eq_ignore_ascii_case(ext))
    }

    /// Whether a clip found at `source` (relative to the volume root) lies where this camera records.
    pub fn in_clip_roots(&self, source: &str) -> bool {
        self.clip_roots.is_empty()
            || self
                .clip_roots
                .iter()
                .any(|r| source.starts_with(&format!("{}/", r.trim_end_matches('/'))))
    }
}

#[derive(Deserialize)]
struct File {
    profile: Vec<Profile>,
}

#[derive(Clone, Debug)]
pub struct Profiles(Vec<Profile>);

impl Profiles {
    /// The station's own profiles (if any) before the shipped ones.
    pub fn load(extra: Option<&str>) -> Result<Profiles, String> {
        let mut all = Vec::new();
        if let Some(text) = extra {
            all.extend(
                toml::from_str::<File>(text)
                    .map_err(|e| e.message().to_string())?
                    .profile,
            );
        }
        all.extend(
            toml::from_str::<File>(BUILTIN)
                .expect("shipped profiles parse")
                .profile,
        );
        for p in &all {
            if !matches!(p.file_names.as_str(), "police" | "none") {
                return Err(format!(
                    "profile {}: file_names must be \"police\" or \"none\"",
                    p.name
                ));
            }
            for id in &p.usb {
                parse_usb_id(id).ok_or_else(|| {
                    format!("profile {}: usb id '{id}' is not VID:PID in hex", p.name)
                })?;
            }
        }
        Ok(Profiles(all))
    }

    /// The profile for a camera: by USB id first, then by marker, else the catch-all.
    pub fn select(&self, usb: Option<(u16, u16)>, volume: &Path) -> &Profile {
        let by_usb = usb.and_then(|id| {
            self.0
                .iter()
                .find(|p| p.usb.iter().any(|u| parse_usb_id(u) == Some(id)))
        });
        let by_marker = || {
            self.0.iter().find(|p| {
                p.marker
                    .as_deref()
                    .is_some_and(|m| std::fs::symlink_metadata(volume.join(m)).is_ok())
            })
        };
        let catch_all = || {
            self.0
                .iter()
                .find(|p| p.usb.is_empty() && p.marker.is_none())
                .expect("a catch-all profile ships")
        };
        by_usb.or_else(by_marker).unwrap_or_else(catch_all)
    }
}

fn parse_usb_id(id: &str) -> Option<(u16, u16)> {
    let (v, p) = id.split_once(':')?;
    Some((
        u16::from_str_radix(v, 16).ok()?,
        u16::from_str_radix(p, 16).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_usb_then_marker_then_generic() {
        let profiles = Profiles::load(Some(
            "[[profile]]\nname = \"ours\"\nmarker = \"OURS.TXT\"\ndriver = \"timeset-file\"\nkeep_other = true\nclip_roots = [\"DCIM\"]\n",
        ))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            profiles.select(Some((0x4255, 1)), dir.path()).driver,
            Driver::AmbaUsb
        );
        assert_eq!(profiles.select(None, dir.path()).name, "generic");
        std::fs::write(dir.path().join("DEVICE.TXT"), "serial=1").unwrap();
        assert_eq!(profiles.select(None, dir.path()).driver, Driver::StatusFile);
        std::fs::write(dir.path().join("OURS.TXT"), "").unwrap();
        let ours = profiles.select(None, dir.path());
        assert!(
            ours.name == "ours" && ours.keep_other,
            "station profiles come first"
        );
        assert!(
            ours.in_clip_roots("DCIM/100MEDIA/a.mp4")
                && !ours.in_clip_roots("DCIMX/a.mp4")
                && !ours.in_clip_roots("MISC/a.mp4")
        );
        assert!(
            Profiles::load(Some(
                "[[profile]]\nname = \"x\"\nusb = [\"zz\"]\ndriver = \"generic\"\n"
            ))
            .is_err()
        );
    }
}
