//! Schema and migrations. `PRAGMA user_version` counts the migrations applied; each runs once,
//! in its own transaction, in order.
//!
//! `events` is the truth and is append-only (the triggers refuse UPDATE and DELETE). The other
//! tables are projections written in the same transaction as the event that justifies them; they
//! make the views fast and can be checked against the events.

use rusqlite::{Connection, OptionalExtension};

const MIGRATIONS: &[&str] = &[
    // 1: the custody ledger and its projections.
    r#"
    CREATE TABLE events (
        seq         INTEGER PRIMARY KEY,
        at          TEXT NOT NULL,
        kind        TEXT NOT NULL,
        camera      TEXT,
        clip_sha256 TEXT,
        actor       TEXT NOT NULL,
        detail_json TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL UNIQUE
    );
    CREATE INDEX events_by_clip ON events(clip_sha256, seq) WHERE clip_sha256 IS NOT NULL;
    CREATE INDEX events_by_camera_kind ON events(camera, kind, seq);

    CREATE TABLE clips (
        sha256      TEXT PRIMARY KEY,
        blake3      TEXT NOT NULL,
        bytes       INTEGER NOT NULL,
        store_path  TEXT NOT NULL,
        stored_seq  INTEGER NOT NULL REFERENCES events(seq),
        stored_at   TEXT NOT NULL,
        immutable   INTEGER NOT NULL,
        media_json  TEXT
    );

    CREATE TABLE sessions (
        id          INTEGER PRIMARY KEY,
        camera      TEXT NOT NULL,
        volume      TEXT NOT NULL,
        docked_at   TEXT NOT NULL,
        undocked_at TEXT,
        state       TEXT NOT NULL
    );
    CREATE INDEX sessions_open ON sessions(volume) WHERE undocked_at IS NULL;

    -- One row per clip file seen on a camera: the same content from two cameras is two recordings
    -- of one stored clip.
    CREATE TABLE recordings (
        id                    INTEGER PRIMARY KEY,
        sha256                TEXT NOT NULL REFERENCES clips(sha256),
        camera                TEXT NOT NULL,
        session_id            INTEGER NOT NULL REFERENCES sessions(id),
        source                TEXT NOT NULL,
        source_bytes          INTEGER NOT NULL,
        source_mtime          TEXT,
        officer               TEXT,
        sequence              INTEGER,
        important             INTEGER NOT NULL DEFAULT 0,
        recorded_at           TEXT,
        recorded_at_corrected TEXT,
        ingested_at           TEXT NOT NULL,
        late                  INTEGER NOT NULL,
        seq                   INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE INDEX recordings_by_camera ON recordings(camera, id);
    CREATE INDEX recordings_by_sha ON recordings(sha256);
    CREATE UNIQUE INDEX recordings_fingerprint ON recordings(camera, source, source_bytes, source_mtime, sha256);

    CREATE TABLE cameras (
        camera            TEXT PRIMARY KEY,
        first_seen_at     TEXT NOT NULL,
        docked            INTEGER NOT NULL,
        last_docked_at    TEXT,
        last_undocked_at  TEXT,
        officer           TEXT,
        battery_percent   INTEGER,
        storage_total_bytes INTEGER,
        storage_free_bytes  INTEGER,
        clock_offset_ms   INTEGER,
        firmware          TEXT,
        attention_json    TEXT NOT NULL DEFAULT '[]'
    );
    "#,
    // 2: custody workflows: case tags, holds, purges, handovers.
    r#"
    CREATE TABLE tags (
        sha256    TEXT NOT NULL REFERENCES clips(sha256),
        case_name TEXT,
        party     TEXT,
        matter    TEXT,
        seq       INTEGER NOT NULL REFERENCES events(seq)
    );
    CREATE INDEX tags_by_clip ON tags(sha256, seq);
    CREATE INDEX tags_by_case ON tags(case_name);

    CREATE TABLE holds (
        id           INTEGER PRIMARY KEY,
        sha256       TEXT NOT NULL REFERENCES clips(sha256),
        reason       TEXT NOT NULL,
        placed_seq   INTEGER NOT NULL REFERENCES events(seq),
        released_seq INTEGER REFERENCES events(seq)
    );
    CREATE INDEX holds_active ON holds(sha256) WHERE released_seq IS NULL;

    ALTER TABLE clips ADD COLUMN purged_seq INTEGER REFERENCES events(seq);
    CREATE INDEX events_by_kind ON events(kind, seq);
    "#,
    // 3: replication to object storage. Working state, not custody facts: what the bucket holds
    // is on the record as `clip-replicated` events and in the replicated ledger itself.
    r#"
    CREATE TABLE replication_queue (
        sha256          TEXT PRIMARY KEY REFERENCES clips(sha256),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error      TEXT,
        done_seq        INTEGER REFERENCES events(seq)
    );
    CREATE INDEX replication_pending ON replication_queue(next_attempt_at) WHERE done_seq IS NULL;

    -- Ledger objects already in the bucket: segments (with the last event each holds) and checkpoints.
    CREATE TABLE replica_objects (
        key         TEXT PRIMARY KEY,
        last_seq    INTEGER,
        uploaded_at TEXT NOT NULL
    );

    -- The circuit breaker, kept across restarts so a restart does not hammer a failing endpoint.
    CREATE TABLE replica_breaker (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        failures   INTEGER NOT NULL,
        open_until TEXT
    );
    "#,
    // 4: cases as sets, case holds, purges in two steps.
    r#"
    -- A clip belongs to any number of cases; leaving one is an explicit, recorded act. Every case
    -- a clip was ever tagged with counts, whatever was tagged after it (the old latest-tag-wins
    -- reading lost clips from their cases).
    CREATE TABLE case_clips (
        case_name   TEXT NOT NULL,
        sha256      TEXT NOT NULL REFERENCES clips(sha256),
        added_seq   INTEGER NOT NULL REFERENCES events(seq),
        removed_seq INTEGER REFERENCES events(seq)
    );
    CREATE INDEX case_clips_active ON case_clips(case_name, sha256) WHERE removed_seq IS NULL;
    CREATE INDEX case_clips_by_clip ON case_clips(sha256) WHERE removed_seq IS NULL;
    INSERT INTO case_clips(case_name, sha256, added_seq)
        SELECT case_name, sha256, min(seq) FROM tags WHERE case_name IS NOT NULL GROUP BY case_name, sha256;

    -- A hold on a case, with or without clips yet: it keeps every clip in the case at purge time.
    CREATE TABLE case_holds (
        id           INTEGER PRIMARY KEY,
        case_name    TEXT NOT NULL,
        reason       TEXT NOT NULL,
        placed_seq   INTEGER NOT NULL REFERENCES events(seq),
        released_seq INTEGER REFERENCES events(seq)
    );
    CREATE INDEX case_holds_active ON case_holds(case_name) WHERE released_seq IS NULL;

    -- A purge is recorded before the file goes (started) and after (purged).
    ALTER TABLE clips ADD COLUMN purge_started_seq INTEGER REFERENCES events(seq);
    "#,
    // 5: the legal hold each replica object carries, as last set by a `replica-hold-changed` event.
    r#"
    CREATE TABLE replica_legal_holds (
        sha256      TEXT PRIMARY KEY REFERENCES clips(sha256),
        on_hold     INTEGER NOT NULL,
        changed_seq INTEGER NOT NULL REFERENCES events(seq)
    );
    -- The clip list pages newest first by stored order.
    CREATE INDEX clips_by_stored ON clips(stored_seq);
    "#,
    // 6: people. Accounts (the password's argon2 hash lives here, never in an event) and the
    // two-person approvals of access to evidence, each row written with its event.
    r#"
    CREATE TABLE accounts (
        name          TEXT PRIMARY KEY,
        roles         TEXT NOT NULL,            -- JSON array of role names
        password_hash TEXT NOT NULL,
        must_change   INTEGER NOT NULL,         -- signed in with a one-time secret: change it first
        created_seq   INTEGER NOT NULL REFERENCES events(seq),
        disabled_seq  INTEGER REFERENCES events(seq)
    );
    CREATE TABLE approvals (
        id           INTEGER PRIMARY KEY,
        act          TEXT NOT NULL,             -- view | copy | export | purge
        sha256       TEXT,
        case_name    TEXT,
        reason       TEXT NOT NULL,
        requested_by TEXT NOT NULL REFERENCES accounts(name),
        requested_seq INTEGER NOT NULL REFERENCES events(seq),
        decided_by   TEXT REFERENCES accounts(name),
        approved     INTEGER,
        decided_seq  INTEGER REFERENCES events(seq),
        expires_at   TEXT,
        used_at      TEXT                       -- a copy, export or purge done with it (once)
    );
    CREATE INDEX approvals_pending ON approvals(id) WHERE decided_seq IS NULL;
    "#,
    // 7: an approval voided (its approver disabled before it was used), by an `approvals-voided`
    // event.
    r#"
    ALTER TABLE approvals ADD COLUMN voided_seq INTEGER REFERENCES events(seq);
    "#,
];

/// The guard that makes `events` append-only. Re-created at every open, so a dropped trigger is
/// restored (and the restoration recorded) rather than silently staying off.
pub const GUARD_TRIGGERS: &[(&str, &str)] = &[
    (
        "events_no_update",
        "CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: events cannot be changed'); END",
    ),
    (
        "events_no_delete",
        "CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the custody ledger is append-only: events cannot be deleted'); END",
    ),
];

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        // Several processes may open a fresh ledger at once (the daemon and a CLI, or parallel
        // ingests): take the write lock first, then look again at what is applied.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let applied = tx.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
        if applied > i {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// The definition SQLite keeps for a guard trigger (it drops `IF NOT EXISTS`).
fn stored_definition(sql: &str) -> String {
    sql.replacen("CREATE TRIGGER IF NOT EXISTS ", "CREATE TRIGGER ", 1)
}

/// Installs the guard triggers that are missing or whose definition is not the guard's (a
/// same-named trigger that does nothing would otherwise silence the guard for good); returns the
/// names that had to be restored.
pub fn ensure_guards(conn: &Connection) -> rusqlite::Result<Vec<&'static str>> {
    let mut restored = Vec::new();
    for (name, sql) in GUARD_TRIGGERS {
        let present: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if present.as_deref() == Some(stored_definition(sql).as_str()) {
            continue;
        }
        if present.is_some() {
            conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
        }
        conn.execute_batch(sql)?;
        restored.push(*name);
    }
    Ok(restored)
}

/// A trigger in the ledger that is not the append-only guard: camdock makes no other, and one
/// on `events` could drop or rewrite what is appended.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ForeignTrigger {
    pub name: String,
    pub table: String,
    pub sql: Option<String>,
}

pub fn foreign_triggers(conn: &Connection) -> rusqlite::Result<Vec<ForeignTrigger>> {
    let guards: Vec<&str> = GUARD_TRIGGERS.iter().map(|(n, _)| *n).collect();
    let mut stmt = conn.prepare(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
    )?;
    let all = stmt.query_map([], |r| {
        Ok(ForeignTrigger {
            name: r.get(0)?,
            table: r.get(1)?,
            sql: r.get(2)?,
        })
    })?;
    let mut out = Vec::new();
    for t in all {
        let t = t?;
        if !guards.contains(&t.name.as_str()) {
            out.push(t);
        }
    }
    Ok(out)
}
