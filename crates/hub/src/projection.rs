//! The hub's tables in PostgreSQL: enrolled stations, each one's head and the objects read, the
//! events keyed by (station, seq), and alarms. Each station's pass loads in one transaction that
//! moves its head only from where it was read, so a pass repeated (a crash, a failover, two hubs)
//! loads nothing twice.

use crate::alarm::Alarm;
use crate::cursor::Listed;
use crate::follow::{Enrolled, Followed, Head};
use camdock_record::checkpoint::public_key_from_hex;
use camdock_record::detail::{ClockCheckedDetail, HealthReadDetail};
use camdock_record::event::StoredEvent;
use camdock_record::facts::ClockCheck;
use camdock_record::kind::EventKind;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use tokio_postgres::{Client, GenericClient, NoTls};

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("the hub's database: {0}")]
    Database(#[from] tokio_postgres::Error),
    #[error("'{0}' is not an ed25519 public key in hex (64 digits, as `camdock key` prints it)")]
    BadKey(String),
    #[error(
        "station {station} is enrolled with another key already: a station's key is not replaced by enrolling again"
    )]
    OtherKey { station: String },
    #[error(
        "station {0} moved on while this pass read it (another hub, or a retry): read it again"
    )]
    MovedOn(String),
    #[error(
        "alarm #{id} of station {station} is not one this hub can read ({why}): an older or newer hub wrote it"
    )]
    UnreadableAlarm {
        id: i64,
        station: String,
        why: String,
    },
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hub_stations (
    station text PRIMARY KEY, unit text NOT NULL, public_key text NOT NULL);
CREATE TABLE IF NOT EXISTS hub_heads (
    station text PRIMARY KEY REFERENCES hub_stations, seq bigint NOT NULL, hash text NOT NULL,
    broken boolean NOT NULL, read_at timestamptz NOT NULL DEFAULT now());
DO $$ BEGIN
    -- Columns added since the table was first made, altered only when missing: an ALTER locks
    -- the table whole, and every connection (the dashboard's too) runs this schema.
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'hub_heads'::regclass
                   AND attname = 'sweep_at' AND NOT attisdropped) THEN
        ALTER TABLE hub_heads ADD COLUMN IF NOT EXISTS moved_at timestamptz NOT NULL DEFAULT now(),
            ADD COLUMN IF NOT EXISTS segments_after text,
            ADD COLUMN IF NOT EXISTS checkpoints_after text,
            ADD COLUMN IF NOT EXISTS sweep_at timestamptz;
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS hub_objects (
    station text NOT NULL REFERENCES hub_stations, key text NOT NULL, version text NOT NULL,
    PRIMARY KEY (station, key, version));
CREATE TABLE IF NOT EXISTS hub_events (
    station text NOT NULL REFERENCES hub_stations, seq bigint NOT NULL, at text NOT NULL,
    kind text NOT NULL, camera text, clip_sha256 text, actor text NOT NULL,
    detail_json text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL,
    PRIMARY KEY (station, seq));
CREATE INDEX IF NOT EXISTS hub_events_camera ON hub_events (camera, at) WHERE camera IS NOT NULL;
CREATE INDEX IF NOT EXISTS hub_events_tags ON hub_events (clip_sha256)
    WHERE kind IN ('clip-tagged', 'clip-untagged');
CREATE TABLE IF NOT EXISTS hub_cameras (
    camera text PRIMARY KEY, docked_at text, docked_station text, undocked_at text,
    undocked_station text);
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'hub_cameras'::regclass
                   AND attname = 'clock_within' AND NOT attisdropped) THEN
        ALTER TABLE hub_cameras ADD COLUMN IF NOT EXISTS health_at text,
            ADD COLUMN IF NOT EXISTS health_station text,
            ADD COLUMN IF NOT EXISTS battery_percent integer,
            ADD COLUMN IF NOT EXISTS storage_free_bytes bigint,
            ADD COLUMN IF NOT EXISTS attention text, ADD COLUMN IF NOT EXISTS clock_at text,
            ADD COLUMN IF NOT EXISTS clock_offset_ms bigint,
            ADD COLUMN IF NOT EXISTS clock_within boolean;
    END IF;
    -- A hub from before kept each camera's health and clock in a table of their own: moved into
    -- the camera's row, so the fleet is read from one table (the join was a fifth of its time);
    -- each reading only over an older one, as the passes keep them (an older hub process still
    -- running may have made the table again since).
    IF to_regclass('hub_health') IS NOT NULL THEN
        INSERT INTO hub_cameras(camera, health_at, health_station, battery_percent,
                storage_free_bytes, attention)
            SELECT camera, health_at, health_station, battery_percent, storage_free_bytes,
                attention FROM hub_health WHERE health_at IS NOT NULL
        ON CONFLICT (camera) DO UPDATE SET health_at = EXCLUDED.health_at,
            health_station = EXCLUDED.health_station, battery_percent = EXCLUDED.battery_percent,
            storage_free_bytes = EXCLUDED.storage_free_bytes, attention = EXCLUDED.attention
        WHERE hub_cameras.health_at IS NULL OR hub_cameras.health_at < EXCLUDED.health_at;
        INSERT INTO hub_cameras(camera, clock_at, clock_offset_ms, clock_within)
            SELECT camera, clock_at, clock_offset_ms, clock_within FROM hub_health
            WHERE clock_at IS NOT NULL
        ON CONFLICT (camera) DO UPDATE SET clock_at = EXCLUDED.clock_at,
            clock_offset_ms = EXCLUDED.clock_offset_ms, clock_within = EXCLUDED.clock_within
        WHERE hub_cameras.clock_at IS NULL OR hub_cameras.clock_at < EXCLUDED.clock_at;
        DROP TABLE hub_health;
    END IF;
END $$;
CREATE TABLE IF NOT EXISTS hub_undocks (
    station text NOT NULL REFERENCES hub_stations, camera text NOT NULL, seq bigint NOT NULL,
    at text NOT NULL, PRIMARY KEY (station, camera));
CREATE TABLE IF NOT EXISTS hub_unreplicated (
    station text NOT NULL REFERENCES hub_stations, clip text NOT NULL, seq bigint NOT NULL,
    stored_at text NOT NULL, PRIMARY KEY (station, clip));
CREATE INDEX IF NOT EXISTS hub_unreplicated_age ON hub_unreplicated (stored_at);
DO $$ BEGIN
    -- Made with every replicated clip and recorded return already loaded (a hub from before
    -- these checks): those are looked at too, not only the ones loaded from now on.
    IF to_regclass('hub_clip_checks') IS NULL THEN
        CREATE TABLE hub_clip_checks (
            station text NOT NULL, seq bigint NOT NULL, checked_at timestamptz,
            PRIMARY KEY (station, seq), FOREIGN KEY (station, seq) REFERENCES hub_events);
        INSERT INTO hub_clip_checks(station, seq)
            SELECT station, seq FROM hub_events WHERE kind = 'clip-replicated';
    END IF;
    IF to_regclass('hub_return_checks') IS NULL THEN
        CREATE TABLE hub_return_checks (
            station text NOT NULL, seq bigint NOT NULL,
            PRIMARY KEY (station, seq), FOREIGN KEY (station, seq) REFERENCES hub_events);
        INSERT INTO hub_return_checks(station, seq)
            SELECT station, seq FROM hub_events WHERE kind = 'camera-returned-elsewhere';
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS hub_clip_checks_due ON hub_clip_checks (checked_at NULLS FIRST, station, seq);
CREATE TABLE IF NOT EXISTS hub_published (
    station text PRIMARY KEY REFERENCES hub_stations, body_sha256 text NOT NULL,
    version text, issued_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS hub_alarms (
    id bigserial PRIMARY KEY, station text NOT NULL, code text NOT NULL, seq bigint,
    alarm text NOT NULL, raised_at timestamptz NOT NULL DEFAULT now(), UNIQUE (station, alarm));
";

/// Raises `alarm` about `station` on `c` (the connection, or a pass's transaction) once: the
/// same alarm of a station again is the same row. True when it was not on record before.
pub(crate) async fn raise_on(
    c: &impl GenericClient,
    station: &str,
    alarm: &Alarm,
) -> Result<bool, ProjectionError> {
    let text = serde_json::to_string(alarm).expect("plain values serialise");
    Ok(c.execute(
        "INSERT INTO hub_alarms(station, code, seq, alarm) VALUES ($1, $2, $3, $4)
         ON CONFLICT (station, alarm) DO NOTHING",
        &[&station, &alarm.code(), &alarm.seq(), &text],
    )
    .await?
        == 1)
}

/// An alarm as the hub holds it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RaisedAlarm {
    pub station: String,
    pub code: String,
    pub seq: Option<i64>,
    pub alarm: Alarm,
    pub says: String,
    pub repair: &'static str,
    pub raised_at: String,
}

pub struct Projection {
    pub(crate) client: Client,
}

impl Projection {
    /// Connects (a libpq connection string: `host=/run/postgresql dbname=hub`) and makes the
    /// tables if they are not there. The connection runs on the current tokio runtime.
    pub async fn connect(url: &str) -> Result<Projection, ProjectionError> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(async move {
            // Ends with the client; an error then shows on the next query.
            let _ = connection.await;
        });
        // The schema's "already exists, skipping" notices are not news at every start.
        client
            .batch_execute("SET client_min_messages = warning")
            .await?;
        client.batch_execute(SCHEMA).await?;
        Ok(Projection { client })
    }

    /// Every statement on this connection stops after `limit` (the dashboard's reads).
    pub async fn limit_statements(
        &self,
        limit: std::time::Duration,
    ) -> Result<(), ProjectionError> {
        self.client
            .batch_execute(&format!("SET statement_timeout = {}", limit.as_millis()))
            .await?;
        Ok(())
    }

    /// The connection is gone (the server stopped, or failed over to another node): every query
    /// will fail until the hub connects again.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Every table emptied, for a rebuild from the bucket.
    pub async fn clear(&self) -> Result<(), ProjectionError> {
        self.client
            .batch_execute(
                "TRUNCATE hub_alarms, hub_clip_checks, hub_return_checks, hub_published, hub_unreplicated, hub_undocks, hub_cameras, hub_events, hub_objects, hub_heads, hub_stations RESTART IDENTITY",
            )
            .await?;
        Ok(())
    }

    /// Enrols `station` of `unit` with its checkpoint key (hex). Enrolling again with the same key
    /// changes nothing (the unit may change); another key is refused.
    pub async fn enrol(
        &self,
        station: &str,
        unit: &str,
        key_hex: &str,
    ) -> Result<Enrolled, ProjectionError> {
        let key = parse_key(key_hex)?;
        let key_hex = hex::encode(key.to_bytes());
        let known: Option<String> = self
            .client
            .query_opt(
                "SELECT public_key FROM hub_stations WHERE station = $1",
                &[&station],
            )
            .await?
            .map(|r| r.get(0));
        if known.as_ref().is_some_and(|k| *k != key_hex) {
            return Err(ProjectionError::OtherKey {
                station: station.into(),
            });
        }
        self.client
            .execute(
                "INSERT INTO hub_stations(station, unit, public_key) VALUES ($1, $2, $3)
                 ON CONFLICT (station) DO UPDATE SET unit = EXCLUDED.unit",
                &[&station, &unit, &key_hex],
            )
            .await?;
        Ok(Enrolled {
            station: station.into(),
            unit: unit.into(),
            key,
        })
    }

    pub async fn stations(&self) -> Result<Vec<Enrolled>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT station, unit, public_key FROM hub_stations ORDER BY station",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Enrolled {
                    station: r.get(0),
                    unit: r.get(1),
                    key: parse_key(r.get(2))?,
                })
            })
            .collect()
    }

    /// The last event the hub holds of `station` (`head_and_cursor` reads it with the cursor).
    pub async fn head(&self, station: &str) -> Result<Head, ProjectionError> {
        Ok(self.head_and_cursor(station).await?.0)
    }

    /// The objects of `station` under `keys` read so far: each (key, version).
    pub async fn versions_read(
        &self,
        station: &str,
        keys: &[&str],
    ) -> Result<HashSet<(String, String)>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT key, version FROM hub_objects WHERE station = $1 AND key = ANY($2)",
                &[&station, &keys],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The hashes the hub holds of `station`'s events `from..=to`.
    pub async fn hashes_between(
        &self,
        station: &str,
        from: i64,
        to: i64,
    ) -> Result<HashMap<i64, String>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT seq, hash FROM hub_events WHERE station = $1 AND seq BETWEEN $2 AND $3",
                &[&station, &from, &to],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Loads one pass over `station`: its new events, its alarms, the object versions settled,
    /// the cursor it leaves; the head moves from `from` (as read before the pass) to the pass's,
    /// or the pass is refused. The alarms raised (those not already on record).
    pub async fn load(
        &mut self,
        station: &str,
        from: &Head,
        followed: &Followed,
        read: &[(String, String)],
        listed: &Listed,
    ) -> Result<Vec<Alarm>, ProjectionError> {
        let next_sweep = listed.next_sweep.map(|d| d.as_secs_f64());
        let tx = self.client.transaction().await?;
        let mut moved = tx
            .execute(
                "UPDATE hub_heads SET seq = $2, hash = $3, broken = $4, read_at = now(),
                     moved_at = CASE WHEN seq = $2 THEN moved_at ELSE now() END,
                     segments_after = $7, checkpoints_after = $8,
                     sweep_at = coalesce(now() + make_interval(secs => $9), sweep_at)
                 WHERE station = $1 AND seq = $5 AND hash = $6",
                &[
                    &station,
                    &followed.head.seq,
                    &followed.head.hash,
                    &followed.head.broken,
                    &from.seq,
                    &from.hash,
                    &listed.segments_after,
                    &listed.checkpoints_after,
                    &next_sweep,
                ],
            )
            .await?;
        // A first head only from nothing: a pass read before a rebuild emptied the table does
        // not start the station from its middle.
        if moved == 0 && *from == Head::default() {
            moved = tx
                .execute(
                    "INSERT INTO hub_heads(station, seq, hash, broken, segments_after,
                         checkpoints_after, sweep_at)
                     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
                     ON CONFLICT (station) DO NOTHING",
                    &[
                        &station,
                        &followed.head.seq,
                        &followed.head.hash,
                        &followed.head.broken,
                        &listed.segments_after,
                        &listed.checkpoints_after,
                        &next_sweep,
                    ],
                )
                .await?;
        }
        if moved == 0 {
            return Err(ProjectionError::MovedOn(station.into()));
        }
        // Each table written with one statement per pass (arrays unnested by the server): a
        // statement per event made the first pass over a bureau a round trip per row.
        let e = &followed.events;
        tx.execute(
            "INSERT INTO hub_events(station, seq, at, kind, camera, clip_sha256, actor, detail_json, prev_hash, hash)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                                      $7::text[], $8::text[], $9::text[], $10::text[])",
            &[
                &station,
                &e.iter().map(|e| e.seq).collect::<Vec<_>>(),
                &e.iter().map(|e| e.at.as_str()).collect::<Vec<_>>(),
                &e.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
                &e.iter().map(|e| e.camera.as_deref()).collect::<Vec<_>>(),
                &e.iter().map(|e| e.clip_sha256.as_deref()).collect::<Vec<_>>(),
                &e.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(),
                &e.iter().map(|e| e.detail_json.as_str()).collect::<Vec<_>>(),
                &e.iter().map(|e| e.prev_hash.as_str()).collect::<Vec<_>>(),
                &e.iter().map(|e| e.hash.as_str()).collect::<Vec<_>>(),
            ],
        )
        .await?;
        let kept = Kept::of(e);
        // The bureau's fleet: each camera's latest dock and undock at any station, kept as the
        // events load (a view over every event would grow with them).
        for (column, latest) in [("docked", &kept.docked), ("undocked", &kept.undocked)] {
            let (cameras, _, ats) = columns(latest);
            tx.execute(
                &format!(
                    "INSERT INTO hub_cameras(camera, {column}_at, {column}_station)
                     SELECT c, a, $3 FROM unnest($1::text[], $2::text[]) AS u(c, a)
                     ON CONFLICT (camera) DO UPDATE SET {column}_at = EXCLUDED.{column}_at,
                         {column}_station = EXCLUDED.{column}_station
                     WHERE hub_cameras.{column}_at IS NULL OR hub_cameras.{column}_at < EXCLUDED.{column}_at"
                ),
                &[&cameras, &ats, &station],
            )
            .await?;
        }
        // Each camera's latest health and clock check at any station: what the bureau's fleet
        // shows of it (a detail this hub cannot read leaves the figures empty, never the row).
        let health: Vec<(&str, &str, Option<HealthReadDetail>)> = kept
            .health
            .iter()
            .map(|(camera, e)| {
                (
                    *camera,
                    e.at.as_str(),
                    serde_json::from_str(&e.detail_json).ok(),
                )
            })
            .collect();
        tx.execute(
            "INSERT INTO hub_cameras(camera, health_at, health_station, battery_percent, storage_free_bytes, attention)
             SELECT c, a, $2, b, f, t FROM unnest($1::text[], $3::text[], $4::integer[], $5::bigint[], $6::text[])
                 AS u(c, a, b, f, t)
             ON CONFLICT (camera) DO UPDATE SET health_at = EXCLUDED.health_at,
                 health_station = EXCLUDED.health_station, battery_percent = EXCLUDED.battery_percent,
                 storage_free_bytes = EXCLUDED.storage_free_bytes, attention = EXCLUDED.attention
             WHERE hub_cameras.health_at IS NULL OR hub_cameras.health_at < EXCLUDED.health_at",
            &[
                &health.iter().map(|h| h.0).collect::<Vec<_>>(),
                &station,
                &health.iter().map(|h| h.1).collect::<Vec<_>>(),
                &health
                    .iter()
                    .map(|h| h.2.as_ref().and_then(|d| d.health.battery_percent).map(i32::from))
                    .collect::<Vec<_>>(),
                &health
                    .iter()
                    .map(|h| h.2.as_ref().and_then(|d| d.health.storage_free_bytes).map(|b| b as i64))
                    .collect::<Vec<_>>(),
                &health
                    .iter()
                    .map(|h| {
                        h.2.as_ref()
                            .and_then(|d| serde_json::to_string(&d.attention).ok())
                    })
                    .collect::<Vec<_>>(),
            ],
        )
        .await?;
        let clocks: Vec<(&str, &str, Option<ClockCheck>)> = kept
            .clock
            .iter()
            .map(|(camera, e)| {
                let check = serde_json::from_str::<ClockCheckedDetail>(&e.detail_json)
                    .ok()
                    .and_then(|d| d.check);
                (*camera, e.at.as_str(), check)
            })
            .collect();
        tx.execute(
            "INSERT INTO hub_cameras(camera, clock_at, clock_offset_ms, clock_within)
             SELECT c, a, o, w FROM unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[])
                 AS u(c, a, o, w)
             ON CONFLICT (camera) DO UPDATE SET clock_at = EXCLUDED.clock_at,
                 clock_offset_ms = EXCLUDED.clock_offset_ms, clock_within = EXCLUDED.clock_within
             WHERE hub_cameras.clock_at IS NULL OR hub_cameras.clock_at < EXCLUDED.clock_at",
            &[
                &clocks.iter().map(|c| c.0).collect::<Vec<_>>(),
                &clocks.iter().map(|c| c.1).collect::<Vec<_>>(),
                &clocks
                    .iter()
                    .map(|c| c.2.as_ref().map(|k| k.offset_ms))
                    .collect::<Vec<_>>(),
                &clocks
                    .iter()
                    .map(|c| c.2.as_ref().map(|k| k.within_tolerance))
                    .collect::<Vec<_>>(),
            ],
        )
        .await?;
        // Each station's latest undock of each camera (by seq): what its statement of returns
        // elsewhere is judged from.
        let (cameras, seqs, ats) = columns(&kept.undocked_last);
        tx.execute(
            "INSERT INTO hub_undocks(station, camera, seq, at)
             SELECT $1, c, s, a FROM unnest($2::text[], $3::bigint[], $4::text[]) AS u(c, s, a)
             ON CONFLICT (station, camera) DO UPDATE SET seq = EXCLUDED.seq, at = EXCLUDED.at
             WHERE hub_undocks.seq < EXCLUDED.seq",
            &[&station, &cameras, &seqs, &ats],
        )
        .await?;
        // Clips stored and not yet replicated: those replicated now leave, then those stored now
        // and not replicated since come in.
        tx.execute(
            "DELETE FROM hub_unreplicated WHERE station = $1 AND clip = ANY($2::text[])",
            &[&station, &kept.replicated],
        )
        .await?;
        let (clips, seqs, ats) = columns(&kept.unreplicated);
        tx.execute(
            "INSERT INTO hub_unreplicated(station, clip, seq, stored_at)
             SELECT $1, c, s, a FROM unnest($2::text[], $3::bigint[], $4::text[]) AS u(c, s, a)
             ON CONFLICT DO NOTHING",
            &[&station, &clips, &seqs, &ats],
        )
        .await?;
        // Each object a `clip-replicated` of the pass names, to be looked at in the bucket, and
        // each return elsewhere the station recorded, to be judged once every station is loaded.
        for (table, kind) in [
            ("hub_clip_checks", EventKind::ClipReplicated),
            ("hub_return_checks", EventKind::CameraReturnedElsewhere),
        ] {
            tx.execute(
                &format!(
                    "INSERT INTO {table}(station, seq)
                     SELECT station, seq FROM hub_events
                     WHERE station = $1 AND seq > $2 AND kind = $3 ON CONFLICT DO NOTHING"
                ),
                &[&station, &from.seq, &kind.as_str()],
            )
            .await?;
        }
        let mut raised = Vec::new();
        for a in &followed.alarms {
            if raise_on(&tx, station, a).await? {
                raised.push(a.clone());
            }
        }
        let (keys, versions): (Vec<&str>, Vec<&str>) =
            read.iter().map(|(k, v)| (k.as_str(), v.as_str())).unzip();
        tx.execute(
            "INSERT INTO hub_objects(station, key, version)
             SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS u(k, v) ON CONFLICT DO NOTHING",
            &[&station, &keys, &versions],
        )
        .await?;
        tx.commit().await?;
        Ok(raised)
    }

    /// Every alarm, oldest first.
    pub async fn alarms(&self) -> Result<Vec<RaisedAlarm>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT station, code, seq, alarm, raised_at::text, id FROM hub_alarms ORDER BY id",
                &[],
            )
            .await?;
        // An alarm this hub cannot read is an error, never a row left out of the list.
        rows.iter()
            .map(|r| {
                let alarm: Alarm = serde_json::from_str(r.get::<_, &str>(3)).map_err(|e| {
                    ProjectionError::UnreadableAlarm {
                        id: r.get(5),
                        station: r.get(0),
                        why: e.to_string(),
                    }
                })?;
                Ok(RaisedAlarm {
                    station: r.get(0),
                    code: r.get(1),
                    seq: r.get(2),
                    says: alarm.to_string(),
                    repair: alarm.repair(),
                    alarm,
                    raised_at: r.get(4),
                })
            })
            .collect()
    }

    /// How many events the hub holds of `station` (of every station: None).
    pub async fn event_count(&self, station: Option<&str>) -> Result<i64, ProjectionError> {
        Ok(self
            .client
            .query_one(
                "SELECT count(*) FROM hub_events WHERE $1::text IS NULL OR station = $1",
                &[&station],
            )
            .await?
            .get(0))
    }

    /// Raises `alarm` about `station` (once: the same alarm again is the same row). True when it
    /// was not on record before.
    pub async fn raise(&self, station: &str, alarm: &Alarm) -> Result<bool, ProjectionError> {
        raise_on(&self.client, station, alarm).await
    }

    /// The event `seq` of `station`, as loaded.
    pub async fn event(
        &self,
        station: &str,
        seq: i64,
    ) -> Result<Option<StoredEvent>, ProjectionError> {
        Ok(self
            .client
            .query_opt(
                "SELECT seq, at, kind, camera, clip_sha256, actor, detail_json, prev_hash, hash
                 FROM hub_events WHERE station = $1 AND seq = $2",
                &[&station, &seq],
            )
            .await?
            .map(|r| StoredEvent {
                seq: r.get(0),
                at: r.get(1),
                kind: r.get(2),
                camera: r.get(3),
                clip_sha256: r.get(4),
                actor: r.get(5),
                detail_json: r.get(6),
                prev_hash: r.get(7),
                hash: r.get(8),
            }))
    }

    /// A SHA-256 over every projection in a fixed order (stations, heads, objects, events, fleet,
    /// undocks, clips not replicated, the alarms found in the bucket's record; never when
    /// something was read, raised or published):
    /// two hubs that have each read the same bucket whole (a rebuild; a sweep of every station,
    /// `camdock hub sync --sweep`) have the same digest, so a rebuild is compared with the hub it
    /// replaces.
    pub async fn digest(&self) -> Result<String, ProjectionError> {
        let mut h = Sha256::new();
        for sql in [
            "SELECT station || ' ' || unit || ' ' || public_key FROM hub_stations ORDER BY station",
            "SELECT station || ' ' || seq || ' ' || hash || ' ' || broken FROM hub_heads ORDER BY station",
            "SELECT station || ' ' || key || ' ' || version FROM hub_objects ORDER BY station, key, version",
            "SELECT station || ' ' || seq || ' ' || hash FROM hub_events ORDER BY station, seq",
            "SELECT camera || ' ' || coalesce(docked_at, '-') || ' ' || coalesce(docked_station, '-') || ' ' || coalesce(undocked_at, '-') || ' ' || coalesce(undocked_station, '-') || ' ' || coalesce(health_at, '-') || ' ' || coalesce(health_station, '-') || ' ' || coalesce(battery_percent::text, '-') || ' ' || coalesce(storage_free_bytes::text, '-') || ' ' || coalesce(attention, '-') || ' ' || coalesce(clock_at, '-') || ' ' || coalesce(clock_offset_ms::text, '-') || ' ' || coalesce(clock_within::text, '-') FROM hub_cameras ORDER BY camera",
            "SELECT station || ' ' || camera || ' ' || seq || ' ' || at FROM hub_undocks ORDER BY station, camera",
            "SELECT station || ' ' || clip || ' ' || seq || ' ' || stored_at FROM hub_unreplicated ORDER BY station, clip",
            // Alarms judged by the hub's clock (silence, a clip not replicated in time), about
            // what this hub published (a statement written over), by looking at the clips'
            // objects (a bounded number each pass) or at delete markers (removed once repaired)
            // are not the ledgers' record: a rebuild made at another time cannot give the same,
            // so they are not compared.
            "SELECT station || ' ' || alarm FROM hub_alarms
             WHERE code NOT IN ('silent', 'unreplicated', 'statement-replaced', 'object-differs', 'hidden')
             ORDER BY station, alarm",
        ] {
            h.update(sql.as_bytes());
            for row in self.client.query(sql, &[]).await? {
                h.update(row.get::<_, &str>(0).as_bytes());
                h.update(b"\n");
            }
        }
        Ok(hex::encode(h.finalize()))
    }
}

fn parse_key(hex_key: &str) -> Result<VerifyingKey, ProjectionError> {
    public_key_from_hex(hex_key).ok_or_else(|| ProjectionError::BadKey(hex_key.into()))
}

/// What one pass's events change in the tables kept as events load, each camera or clip once
/// (one statement cannot change a row twice): per camera its latest dock and undock of the pass
/// (by time, as the fleet compares across stations) and its last undock by seq (for the station's
/// statement), the clips replicated, and the clips stored and not replicated later in the pass.
struct Kept<'a> {
    docked: BTreeMap<&'a str, (i64, &'a str)>,
    undocked: BTreeMap<&'a str, (i64, &'a str)>,
    /// The undock or checkout at the desk with the highest seq (the station's own order): where
    /// the station's latest episode out began.
    undocked_last: BTreeMap<&'a str, (i64, &'a str)>,
    replicated: Vec<&'a str>,
    unreplicated: BTreeMap<&'a str, (i64, &'a str)>,
    /// Each camera's latest `health-read` and `clock-checked` (by time, as the fleet).
    health: BTreeMap<&'a str, &'a StoredEvent>,
    clock: BTreeMap<&'a str, &'a StoredEvent>,
}

impl<'a> Kept<'a> {
    fn of(events: &'a [StoredEvent]) -> Kept<'a> {
        let mut k = Kept {
            docked: BTreeMap::new(),
            undocked: BTreeMap::new(),
            undocked_last: BTreeMap::new(),
            replicated: Vec::new(),
            unreplicated: BTreeMap::new(),
            health: BTreeMap::new(),
            clock: BTreeMap::new(),
        };
        let latest =
            |map: &mut BTreeMap<&'a str, &'a StoredEvent>, camera: &'a str, e: &'a StoredEvent| {
                let entry = map.entry(camera).or_insert(e);
                if entry.at <= e.at {
                    *entry = e;
                }
            };
        // Events come in seq order: a later one of the pass replaces an earlier one, unless its
        // time is earlier (the fleet keeps the latest time, as across passes).
        let later =
            |map: &mut BTreeMap<&'a str, (i64, &'a str)>, key: &'a str, e: &'a StoredEvent| {
                let entry = map.entry(key).or_insert((e.seq, e.at.as_str()));
                if entry.1 <= e.at.as_str() {
                    *entry = (e.seq, e.at.as_str());
                }
            };
        for e in events {
            match (
                e.kind.parse::<EventKind>(),
                e.camera.as_deref(),
                e.clip_sha256.as_deref(),
            ) {
                (Ok(EventKind::CameraDocked), Some(camera), _) => later(&mut k.docked, camera, e),
                (Ok(EventKind::CameraUndocked), Some(camera), _) => {
                    later(&mut k.undocked, camera, e);
                    k.undocked_last.insert(camera, (e.seq, e.at.as_str()));
                }
                // Handed out at the desk while not docked: an episode out begins here as with an
                // undock, and a dock elsewhere ends it.
                (Ok(EventKind::CameraAssigned), Some(camera), _) if checked_out(e) => {
                    k.undocked_last.insert(camera, (e.seq, e.at.as_str()));
                }
                (Ok(EventKind::ClipStored), _, Some(clip)) => {
                    k.unreplicated.entry(clip).or_insert((e.seq, e.at.as_str()));
                }
                (Ok(EventKind::ClipReplicated), _, Some(clip)) => {
                    k.unreplicated.remove(clip);
                    k.replicated.push(clip);
                }
                (Ok(EventKind::HealthRead), Some(camera), _) => latest(&mut k.health, camera, e),
                (Ok(EventKind::ClockChecked), Some(camera), _) => latest(&mut k.clock, camera, e),
                _ => {}
            }
        }
        k
    }
}

/// Whether a `camera-assigned` event handed the camera out (not docked).
pub(crate) fn checked_out(e: &StoredEvent) -> bool {
    serde_json::from_str::<camdock_record::detail::CameraAssignedDetail>(&e.detail_json)
        .is_ok_and(|d| d.checked_out)
}

/// A map of names to (seq, at) as three arrays, for one statement over `unnest`.
fn columns<'a>(map: &BTreeMap<&'a str, (i64, &'a str)>) -> (Vec<&'a str>, Vec<i64>, Vec<&'a str>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for (name, (seq, at)) in map {
        out.0.push(*name);
        out.1.push(*seq);
        out.2.push(*at);
    }
    out
}
