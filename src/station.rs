//! The station: config + ledger + store. The one API that the commands and the daemon share.

use crate::camera::profile::Profiles;
use crate::config::Config;
use crate::ingest::{IngestOptions, IngestReport, Ingestor};
use crate::keys::StationKey;
use crate::ledger::{EventKind, Ledger, NewEvent};
use crate::store::{ClipStore, LocalStore};
use crate::usage;
use camdock_record::detail::{CameraUndockedDetail, StagingCleanedDetail};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

pub struct Station {
    pub config: Config,
    pub data_dir: PathBuf,
    pub store: Box<dyn ClipStore>,
    pub key: StationKey,
    pub profiles: Profiles,
    ledger: Mutex<Ledger>,
}

pub const LEDGER_FILE: &str = "ledger.sqlite3";

impl Station {
    /// Opens the station's data directory, creating it on first use, and recovers from a crash:
    /// staging files a dead process left behind are removed and the removal recorded.
    pub fn open(config: Config, data_dir: Option<&Path>) -> anyhow::Result<Station> {
        let data_dir = data_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| config.station.data_dir.clone());
        let data_dir = crate::paths::absolute(&data_dir).map_err(|e| {
            usage!(
                "cannot locate the data directory {}: {e}",
                data_dir.display()
            )
        })?;
        std::fs::create_dir_all(&data_dir).map_err(|e| {
            usage!(
                "cannot create the data directory {}: {e}; pass --data-dir or set station.data_dir",
                data_dir.display()
            )
        })?;
        let store = LocalStore::open(&data_dir)
            .map_err(|e| usage!("cannot open the store under {}: {e}", data_dir.display()))?;
        Station::with_store(config, &data_dir, Box::new(store))
    }

    /// Builds a station over any store (tests use a faulty one).
    pub fn with_store(
        mut config: Config,
        data_dir: &Path,
        store: Box<dyn ClipStore>,
    ) -> anyhow::Result<Station> {
        // A config built in code (tests, the demo) may still hold relative paths: the station
        // works only with absolute ones, as a config file's are after `Config::load`.
        let cwd = std::env::current_dir()
            .map_err(|e| usage!("cannot read the current directory: {e}"))?;
        config.resolve_paths(&cwd);
        let data_dir = &crate::paths::against(&cwd, data_dir);
        let ledger_path = data_dir.join(LEDGER_FILE);
        let ledger = Ledger::open(&ledger_path, &config.station.id)
            .map_err(|e| usage!("cannot open the ledger {}: {e}", ledger_path.display()))?;
        let key = StationKey::load_or_create(data_dir).map_err(|e| {
            usage!(
                "cannot read or create the station key in {}: {e}",
                data_dir.display()
            )
        })?;
        let extra =
            match &config.camera.profiles_file {
                Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                    usage!("cannot read camera.profiles_file {}: {e}", path.display())
                })?),
                None => None,
            };
        let profiles =
            Profiles::load(extra.as_deref()).map_err(|e| usage!("camera.profiles_file: {e}"))?;
        let station = Station {
            config,
            data_dir: data_dir.to_path_buf(),
            store,
            key,
            profiles,
            ledger: Mutex::new(ledger),
        };
        station.clean_staging()?;
        Ok(station)
    }

    fn clean_staging(&self) -> anyhow::Result<()> {
        let removed = self.store.clean_abandoned_staging()?;
        if !removed.is_empty() {
            tracing::warn!(
                files = removed.len(),
                "removed half-written staging files left by a crash"
            );
            self.ledger().append(NewEvent::new(EventKind::StagingCleaned, &self.config.station.id).typed(
                &StagingCleanedDetail {
                    removed: removed.iter().map(|r| r.to_string()).collect(),
                    note: "half-written copies from an interrupted run; none was ever counted as stored".into(),
                },
            ))?;
        }
        Ok(())
    }

    pub fn actor(&self) -> &str {
        &self.config.station.id
    }

    /// The ledger, locked for this caller.
    pub fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn ingest(&self, volume: &Path, opts: &IngestOptions<'_>) -> anyhow::Result<IngestReport> {
        self.ingestor().ingest(volume, opts)
    }

    fn ingestor(&self) -> Ingestor<'_> {
        Ingestor {
            store: self.store.as_ref(),
            ledger: &self.ledger,
            config: &self.config,
            profiles: &self.profiles,
            key: &self.key,
        }
    }

    /// Records that the camera on `volume` left its dock (the daemon saw the volume go).
    pub fn record_undock(&self, volume: &str, why: &str) -> anyhow::Result<Option<String>> {
        let mut ledger = self.ledger();
        let Some((session, camera)) = ledger.open_session_on(volume)? else {
            return Ok(None);
        };
        let undocked = NewEvent::new(EventKind::CameraUndocked, &self.config.station.id)
            .camera(&camera)
            .typed(&CameraUndockedDetail {
                session,
                volume: Some(volume.to_string()),
                how: Some(why.to_string()),
                ..Default::default()
            });
        ledger.write(|w| w.undock(session, &camera, undocked))?;
        Ok(Some(camera))
    }

    /// Absolute location of a stored clip for output (the ledger keeps it relative).
    pub fn locate(&self, store_path: &str) -> String {
        self.store.locate(store_path).display().to_string()
    }
}
