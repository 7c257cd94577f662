//! One TOML config with embedded defaults. A file names only what differs from the defaults.

use crate::time::StationZone;
use crate::usage;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Keys with no default value (absent means "none"), so they are not in the defaults file.
const OPTIONAL_KEYS: &[&str] = &[
    "camera.profiles_file",
    "notify.webhook",
    "web.token",
    "replica.access_key",
    "replica.secret_key",
];

/// The defaults, embedded so that a station runs with no config file at all.
pub const DEFAULTS: &str = include_str!("../config/defaults.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub station: StationConfig,
    pub dock: DockConfig,
    pub policy: PolicyConfig,
    pub web: WebConfig,
    pub camera: CameraConfig,
    pub media: MediaConfig,
    pub notify: NotifyConfig,
    pub audit: AuditConfig,
    pub replica: ReplicaConfig,
    pub hub: HubConfig,
}

/// The bureau's hub (`camdock hub`), which reads the stations' ledgers from the bucket that
/// `[replica]` names into PostgreSQL.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// A libpq connection string (`host=/run/postgresql dbname=camdock_hub`); "" where no hub runs.
    pub database: String,
    /// How often `camdock hub run` reads the bucket.
    #[serde(with = "humantime_serde")]
    pub every: Duration,
    /// A station whose newest event is older than this is silent (an alarm).
    #[serde(with = "humantime_serde")]
    pub silent_after: Duration,
    /// A clip stored at a station and not replicated after this is an alarm.
    #[serde(with = "humantime_serde")]
    pub replicate_within: Duration,
    /// The hub publishes each station's statement of returns elsewhere when it changes, and at
    /// least this often (so a station can tell a live hub from a stale statement).
    #[serde(with = "humantime_serde")]
    pub statements_every: Duration,
    /// The hub looks at each replicated clip's object in the bucket (its checksum and size
    /// against the ledger's) once, then again after this.
    #[serde(with = "humantime_serde")]
    pub recheck_objects_after: Duration,
    /// How many clips' objects one pass looks at, at most (those never looked at first).
    pub objects_per_pass: u32,
    /// How often a pass lists all of a station's objects again; the passes between list only
    /// the keys after those it has settled (a rewrite of an older key is found at the sweep).
    #[serde(with = "humantime_serde")]
    pub sweep_every: Duration,
    /// At a station: the hub's statement key (hex, as `camdock hub key` prints it). Its signed
    /// statements close the overdue episodes of cameras returned at other stations; "" reads none.
    pub public_key: String,
    /// At a station: a statement issued longer ago than this is stale, and the station judges
    /// overdue by its own record alone.
    #[serde(with = "humantime_serde")]
    pub statement_stale_after: Duration,
    /// The hub's dashboard address ("" serves none); beyond loopback it needs `web.token`, as a
    /// station's does.
    pub listen: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// A program and its arguments, run for each notification (no shell); `{kind}`, `{camera}`,
    /// `{clip}`, `{detail}` are filled in.
    pub command: Vec<String>,
    /// A URL that receives each notification as a JSON POST.
    pub webhook: Option<String>,
    /// How often the daemon looks for newly overdue cameras.
    #[serde(with = "humantime_serde")]
    pub check_every: Duration,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    /// How long libav may take over one clip, before a second per 20 MiB of it is added (its
    /// walled-off child is stopped after that, and the clip's media facts say the probe failed).
    #[serde(with = "humantime_serde")]
    pub probe_timeout: Duration,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// How often the daemon signs a checkpoint of the ledger head.
    #[serde(with = "humantime_serde")]
    pub checkpoint_every: Duration,
    /// How often the daemon re-hashes a sample of stored clips, and how many.
    #[serde(with = "humantime_serde")]
    pub scrub_every: Duration,
    pub scrub_sample: usize,
}

/// Replication to S3-compatible object storage with Object Lock (MinIO, Ceph RGW, AWS S3).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaConfig {
    pub enabled: bool,
    /// The S3 endpoint URL; empty for AWS S3 itself.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Path-style addressing (`endpoint/bucket/key`), which MinIO and Ceph RGW expect.
    pub path_style: bool,
    /// Static credentials; absent means the SDK's usual sources (environment, profile).
    pub access_key: Option<String>,
    #[serde(skip_serializing)]
    pub secret_key: Option<String>,
    /// Replicate to a bucket without Object Lock: the copy could then be deleted or overwritten.
    pub allow_without_object_lock: bool,
    pub multipart_threshold_mb: u64,
    pub part_size_mb: u64,
    /// How often the daemon runs a replication pass.
    #[serde(with = "humantime_serde")]
    pub every: Duration,
    #[serde(with = "humantime_serde")]
    pub retry_base: Duration,
    #[serde(with = "humantime_serde")]
    pub retry_max: Duration,
    pub breaker_failures: u32,
    #[serde(with = "humantime_serde")]
    pub breaker_cooldown: Duration,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// The station's own camera profiles (TOML), tried before the shipped ones.
    pub profiles_file: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    /// Appears in every ledger event as the acting station.
    pub id: String,
    /// IANA zone in which camera wall clocks are read; "system" for the machine's zone.
    pub timezone: String,
    /// Where the ledger and the store live (overridden by `--data-dir`).
    pub data_dir: PathBuf,
    /// A station with no accounts yet serves no evidence: its dashboard shows the docks only, and
    /// an export takes no typed approver. `open = true` lifts that for a demo or a bench (anyone
    /// on the dashboard's loopback reads every clip, an export names its approver by hand).
    pub open: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DockConfig {
    /// Camera volumes appear here as directories (mounts).
    pub media_root: PathBuf,
    /// Watch the USB bus for cameras; off where there is no USB.
    pub usb: bool,
    /// How many docked cameras are ingested at once.
    pub parallel: usize,
    /// Quiet time after a volume appears before ingest starts (a mount appears whole at once).
    #[serde(with = "humantime_serde")]
    pub settle: Duration,
    /// Cap on the read rate from each camera, MB/s; 0 for none.
    pub read_limit_mb_per_s: f64,
    /// What means "docked": a filesystem mounted under the media root (a station, where udev
    /// mounts each card), or a folder appearing there (the demo, tests).
    pub source: SourceKind,
    /// Dock slot names by USB port path, as the kernel names ports: `"1-2.3" = "slot 3"`.
    pub slots: std::collections::BTreeMap<String, String>,
    /// Where the daemon asks the privileged step (`camdock clock-window`) to write a clock
    /// correction to a card mounted read-only.
    pub clock_spool: PathBuf,
    /// A clip seen at an earlier dock (same name, size, mtime) is compared with the stored clip
    /// in this many 64 KiB windows instead of being read again; 0 reads and hashes it whole.
    pub redock_sample_windows: usize,
}

/// `dock.source`: which events mean "docked".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Filesystems mounted directly under the media root (a real station).
    Mounts,
    /// Folders under the media root (the demo, tests).
    Folders,
}

impl DockConfig {
    pub fn read_limit_bytes_per_s(&self) -> Option<u64> {
        (self.read_limit_mb_per_s > 0.0).then_some((self.read_limit_mb_per_s * 1e6) as u64)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    #[serde(with = "humantime_serde")]
    pub overdue_after: Duration,
    #[serde(with = "humantime_serde")]
    pub late_after: Duration,
    #[serde(with = "humantime_serde")]
    pub clock_tolerance: Duration,
    pub low_battery_percent: u8,
    pub low_free_percent: u8,
    /// How long an ordinary clip is kept (at least 6 months).
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// How long a clip the camera marked important (`_IMP`) is kept; clips in a case are kept
    /// as long as they are in it.
    #[serde(with = "humantime_serde")]
    pub retention_important: Duration,
    pub wipe_after_ingest: bool,
    /// With `wipe_after_ingest`: a clip leaves the camera only once the bucket holds it too (a
    /// `clip-replicated` on record), so the camera keeps the only other copy until then; the
    /// clips not yet replicated are wiped at a later dock.
    pub wipe_waits_for_replica: bool,
    /// How long an approval to view, copy, export or purge stands once given.
    #[serde(with = "humantime_serde")]
    pub approval_valid_for: Duration,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Dashboard, /api/v1 and /metrics; empty to run without them.
    pub listen: String,
    /// Required on every request when listening beyond loopback.
    pub token: Option<String>,
    /// Names the station is reached by beyond loopback (its loopback names and listen address are
    /// always answered); a request for any other host is refused (DNS rebinding).
    pub hostnames: Vec<String>,
    /// Serve HTTPS (rustls): with `tls_cert` and `tls_key` (PEM), or else a station certificate
    /// made at first start under `<data_dir>/tls/`.
    pub tls: bool,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// Durations written the way people write them: "24h", "2s", "365days".
mod humantime_serde {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(|e| {
            serde::de::Error::custom(format!(
                "'{text}' is not a duration ({e}); write e.g. \"24h\" or \"2s\""
            ))
        })
    }
}

impl Config {
    /// The built-in defaults alone.
    pub fn defaults() -> Config {
        toml::from_str(DEFAULTS).expect("embedded defaults parse")
    }

    /// `--config`, else `$CAMDOCK_CONFIG`, else the defaults; the file is laid over the defaults.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        let path = explicit
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("CAMDOCK_CONFIG").map(PathBuf::from));
        let Some(path) = path else {
            return Ok(Config::defaults());
        };
        let path = crate::paths::absolute(&path)
            .map_err(|e| usage!("cannot locate config file {}: {e}", path.display()))?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| usage!("cannot read config file {}: {e}", path.display()))?;
        let mut config =
            Config::from_toml(&text).map_err(|e| usage!("config file {}: {e}", path.display()))?;
        config.resolve_paths(path.parent().unwrap_or(Path::new("/")));
        Ok(config)
    }

    /// Makes every path in the config absolute: a relative one is taken relative to `base`, the
    /// folder of the config file it came from (the embedded defaults are absolute already).
    pub fn resolve_paths(&mut self, base: &Path) {
        use crate::paths::against;
        self.station.data_dir = against(base, &self.station.data_dir);
        self.dock.media_root = against(base, &self.dock.media_root);
        self.dock.clock_spool = against(base, &self.dock.clock_spool);
        if let Some(p) = &self.camera.profiles_file {
            self.camera.profiles_file = Some(against(base, p));
        }
        for p in [&mut self.web.tls_cert, &mut self.web.tls_key]
            .into_iter()
            .flatten()
        {
            *p = against(base, p);
        }
    }

    /// Parses a config text laid over the defaults, then validates it.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let mut merged: toml::Table = toml::from_str(DEFAULTS).expect("embedded defaults parse");
        let overlay: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
        for (section, value) in overlay {
            match (merged.get_mut(&section), value) {
                (Some(toml::Value::Table(base)), toml::Value::Table(over)) => {
                    for (k, v) in over {
                        if !base.contains_key(&k)
                            && !OPTIONAL_KEYS.contains(&format!("{section}.{k}").as_str())
                        {
                            return Err(format!("unknown key {section}.{k}"));
                        }
                        base.insert(k, v);
                    }
                }
                (None, _) => return Err(format!("unknown section [{section}]")),
                (Some(_), _) => return Err(format!("{section} must be a [{section}] table")),
            }
        }
        let config: Config = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        StationZone::parse(Some(&self.station.timezone))
            .map_err(|e| format!("station.timezone: {e}"))?;
        if self.station.id.trim().is_empty() {
            return Err("station.id must not be empty".into());
        }
        if self.dock.parallel == 0 {
            return Err("dock.parallel must be at least 1".into());
        }
        if self.policy.low_battery_percent > 100 || self.policy.low_free_percent > 100 {
            return Err(
                "policy.low_battery_percent and policy.low_free_percent are percentages (0-100)"
                    .into(),
            );
        }
        if self.policy.retention < Duration::from_secs(180 * 86400) {
            return Err("policy.retention is below the 6 months the regulations require".into());
        }
        if self.policy.retention_important < self.policy.retention {
            return Err(
                "policy.retention_important must not be shorter than policy.retention".into(),
            );
        }
        if self.replica.enabled && self.replica.bucket.trim().is_empty() {
            return Err("replica.bucket must name a bucket when replica.enabled is true".into());
        }
        if self.replica.part_size_mb < 5 {
            return Err("replica.part_size_mb must be at least 5 (an S3 rule for parts)".into());
        }
        if self.replica.access_key.is_some() != self.replica.secret_key.is_some() {
            return Err("replica.access_key and replica.secret_key go together".into());
        }
        Ok(())
    }

    pub fn zone(&self) -> StationZone {
        StationZone::parse(Some(&self.station.timezone)).expect("validated")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_changes_only_what_it_names() {
        let c = Config::from_toml("[policy]\noverdue_after = \"12h\"\n").unwrap();
        assert_eq!(c.policy.overdue_after, Duration::from_secs(12 * 3600));
        assert_eq!(c.policy.clock_tolerance, Duration::from_secs(2));
    }

    #[test]
    fn relative_paths_in_a_config_file_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("station.toml");
        std::fs::write(
            &file,
            "[station]\ndata_dir = \"data\"\n[dock]\nmedia_root = \"../media\"\n[camera]\nprofiles_file = \"p.toml\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&file)).unwrap();
        assert_eq!(c.station.data_dir, dir.path().join("data"));
        assert_eq!(c.dock.media_root, dir.path().join("../media"));
        assert_eq!(c.camera.profiles_file, Some(dir.path().join("p.toml")));
        assert!(Config::defaults().dock.media_root.is_absolute());
    }

    #[test]
    fn errors_name_the_key() {
        assert!(
            Config::from_toml("[dock]\nmedia_rot = \"/x\"\n")
                .unwrap_err()
                .contains("dock.media_rot")
        );
        assert!(
            Config::from_toml("[station]\ntimezone = \"Nowhere/City\"\n")
                .unwrap_err()
                .contains("station.timezone")
        );
        assert!(
            Config::from_toml("[policy]\nclock_tolerance = \"soon\"\n")
                .unwrap_err()
                .contains("soon")
        );
    }
}
