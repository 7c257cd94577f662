//! The projection on a real PostgreSQL (Debian's server binaries, a cluster of the test's own on
//! a Unix socket): a pass loads once, a pass repeated from a stale head loads nothing, alarms
//! are kept once, and a rebuild into an empty database, reading every object in the bucket's
//! order, gives the same digest; a hub made before the clips' objects and the recorded returns
//! were checked checks what it had loaded, and one that kept health in a table of its own shows
//! it from the cameras' rows.

use camdock_hub::follow::{Head, Object, Segments, follow};
use camdock_hub::{Alarm, Listed, Projection, ProjectionError, cursor};
use camdock_record::chain::{EventFields, event_hash, link};
use camdock_record::checkpoint::Checkpoint;
use camdock_record::event::StoredEvent;
use camdock_record::segment;
use camdock_testkit::TempPostgres;
use ed25519_dalek::SigningKey;
use std::collections::HashMap;
use std::time::Duration;

fn chain(n: i64) -> Vec<StoredEvent> {
    let mut events: Vec<StoredEvent> = (1..=n)
        .map(|seq| StoredEvent {
            seq,
            at: format!("2026-12-01T00:{:02}:00.000Z", seq % 60),
            kind: "camera-docked".into(),
            camera: Some(format!("77000{:02}", seq % 7)),
            clip_sha256: None,
            actor: "station".into(),
            detail_json: "{}".into(),
            prev_hash: String::new(),
            hash: String::new(),
        })
        .collect();
    link(&mut events);
    events
}

fn seg(events: &[StoredEvent]) -> Object {
    Object {
        key: segment::segment_key("a", events[0].seq, events[events.len() - 1].seq),
        body: segment::encode(events),
    }
}

const KEY: [u8; 32] = [5; 32];

/// The station's signed checkpoint of event `e`.
fn checkpoint(e: &StoredEvent) -> Object {
    let cp = Checkpoint::sign(&SigningKey::from_bytes(&KEY), "a", e.seq, &e.hash, &e.at);
    Object {
        key: segment::checkpoint_key("a", e.seq),
        body: serde_json::to_vec(&cp).unwrap(),
    }
}

/// One pass over station "a", as `camdock hub` makes it between sweeps: every object given,
/// versions by index.
async fn pass(
    p: &mut Projection,
    segments: &[Object],
    checkpoints: &[Object],
) -> Result<Vec<Alarm>, ProjectionError> {
    pass_sweeping(p, segments, checkpoints, None).await
}

/// One pass over station "a" that leaves its cursor, and, when it is a sweep, when the next is.
async fn pass_sweeping(
    p: &mut Projection,
    segments: &[Object],
    checkpoints: &[Object],
    next_sweep: Option<Duration>,
) -> Result<Vec<Alarm>, ProjectionError> {
    let station = p.stations().await?.remove(0);
    let head = p.head("a").await?;
    let held = p.hashes_between("a", 1, head.seq).await?;
    let read = Segments::read("a", segments);
    let followed = follow(&station, &head, &held, &read, checkpoints);
    let settled: Vec<(String, String)> = followed
        .settled_segments
        .iter()
        .map(|i| (segments[*i].key.clone(), "v1".to_string()))
        .chain(
            followed
                .settled_checkpoints
                .iter()
                .map(|i| (checkpoints[*i].key.clone(), "v1".to_string())),
        )
        .collect();
    // Between sweeps the listing starts after the cursor, as `camdock hub` lists.
    let from = match next_sweep {
        Some(_) => cursor::Cursor::default(),
        None => p.cursor("a").await?,
    };
    let after = |objects: &[Object], prefix: &str, from: Option<String>| {
        cursor::advance(
            prefix,
            followed.head.seq,
            from.as_deref(),
            objects.iter().map(|o| (o.key.as_str(), "v1")),
            |k, v| settled.contains(&(k.to_string(), v.to_string())),
        )
    };
    let listed = Listed {
        segments_after: after(
            segments,
            &segment::segments_prefix("a"),
            from.segments_after,
        ),
        checkpoints_after: after(
            checkpoints,
            &segment::checkpoints_prefix("a"),
            from.checkpoints_after,
        ),
        next_sweep,
    };
    p.load("a", &head, &followed, &settled, &listed).await
}

#[tokio::test(flavor = "current_thread")]
async fn passes_load_once_and_a_rebuild_gives_the_same_projection() {
    let Some(bin) = camdock_testkit::postgres().find("the hub's projection (crates/hub)") else {
        return;
    };
    let dir = tempdir();
    let pg = TempPostgres::start(&bin, &dir);
    let key = hex::encode(SigningKey::from_bytes(&KEY).verifying_key().to_bytes());
    let all = chain(30);
    let mut forged = all[..3].to_vec();
    forged[1].actor = "someone".into();
    forged[1].hash = event_hash(&EventFields::of(&forged[1]), &forged[1].prev_hash);
    // In the order the bucket lists them: the forged 1..=3 sorts before the real 1..=10.
    let objects = [
        seg(&forged),
        seg(&all[..10]),
        seg(&all[10..20]),
        seg(&all[20..]),
    ];
    let checkpoints = [checkpoint(&all[19]), checkpoint(&all[29])];

    let mut hub = Projection::connect(&pg.url()).await.unwrap();
    hub.enrol("a", "squad 1", &key).await.unwrap();
    // Another key for an enrolled station is refused; a key that is no key too.
    let other = hex::encode(SigningKey::from_bytes(&[6; 32]).verifying_key().to_bytes());
    assert!(matches!(
        hub.enrol("a", "squad 1", &other).await,
        Err(ProjectionError::OtherKey { .. })
    ));
    assert!(matches!(
        hub.enrol("b", "squad 1", "00zz").await,
        Err(ProjectionError::BadKey(_))
    ));

    // The first pass, a sweep: up to the checkpoint at 20, the forged event 2 named, not
    // loaded. Its cursor is loaded with it: the last keys every version of which settled.
    let hour = Duration::from_secs(3600);
    pass_sweeping(&mut hub, &objects[1..3], &checkpoints[..1], Some(hour))
        .await
        .unwrap();
    assert_eq!(hub.event_count(Some("a")).await.unwrap(), 20);
    let cursor = hub.cursor("a").await.unwrap();
    assert_eq!(
        (
            cursor.segments_after.as_deref(),
            cursor.checkpoints_after.as_deref()
        ),
        (
            Some(objects[2].key.as_str()),
            Some(checkpoints[0].key.as_str())
        )
    );
    let due = cursor.sweep_in_seconds.unwrap();
    assert!(due > 3000.0 && due <= 3600.0, "{cursor:?}");
    // A segment past the last signed checkpoint waits: the cursor stays before it, and a pass
    // between sweeps leaves the next sweep where it was.
    pass(&mut hub, &objects[3..], &[]).await.unwrap();
    let cursor = hub.cursor("a").await.unwrap();
    assert_eq!(
        cursor.segments_after.as_deref(),
        Some(objects[2].key.as_str())
    );
    assert!(
        !cursor.sweep_due() && cursor.sweep_in_seconds.unwrap() <= due,
        "{cursor:?}"
    );
    // A pass read from a head that has moved on since is refused whole: nothing twice. So is one
    // from a head in the middle of a station the hub does not hold (a rebuild emptied it).
    let stale = Head::default();
    let station = hub.stations().await.unwrap().remove(0);
    let again = follow(
        &station,
        &stale,
        &HashMap::new(),
        &Segments::read("a", &objects[1..3]),
        &checkpoints[..1],
    );
    assert!(matches!(
        hub.load("a", &stale, &again, &[], &Listed::default()).await,
        Err(ProjectionError::MovedOn(_))
    ));
    assert_eq!(hub.event_count(None).await.unwrap(), 20);
    pass(&mut hub, &objects, &checkpoints).await.unwrap();
    pass(&mut hub, &objects, &checkpoints).await.unwrap();
    assert_eq!(hub.event_count(Some("a")).await.unwrap(), 30);
    let cursor = hub.cursor("a").await.unwrap();
    assert_eq!(
        (
            cursor.segments_after.as_deref(),
            cursor.checkpoints_after.as_deref()
        ),
        (
            Some(objects[3].key.as_str()),
            Some(checkpoints[1].key.as_str())
        )
    );
    let alarms = hub.alarms().await.unwrap();
    assert_eq!(
        alarms.len(),
        1,
        "the same finding twice is one alarm: {alarms:?}"
    );
    assert_eq!(alarms[0].station, "a");
    assert_eq!(alarms[0].seq, Some(2));
    assert!(matches!(alarms[0].alarm, Alarm::Rewritten { seq: 2, .. }));
    assert_eq!(
        hub.event("a", 2).await.unwrap().unwrap(),
        all[1],
        "the station's event is the one loaded"
    );
    let digest = hub.digest().await.unwrap();

    // A rebuild: emptied, enrolled again, everything read at once in the bucket's order: the
    // same digest.
    hub.clear().await.unwrap();
    assert_eq!(hub.event_count(None).await.unwrap(), 0);
    assert!(
        hub.cursor("a").await.unwrap().sweep_due(),
        "a rebuild lists everything"
    );
    assert_ne!(hub.digest().await.unwrap(), digest);
    hub.enrol("a", "squad 1", &key).await.unwrap();
    let mid = Head {
        seq: 20,
        hash: all[19].hash.clone(),
        broken: false,
    };
    let from_mid = follow(
        &station,
        &mid,
        &HashMap::new(),
        &Segments::read("a", &objects[3..]),
        &checkpoints[1..],
    );
    assert!(matches!(
        hub.load("a", &mid, &from_mid, &[], &Listed::default())
            .await,
        Err(ProjectionError::MovedOn(_))
    ));
    pass(&mut hub, &objects, &checkpoints).await.unwrap();
    assert_eq!(hub.digest().await.unwrap(), digest);
}

#[tokio::test(flavor = "current_thread")]
async fn a_hub_from_an_older_version_checks_and_shows_what_it_loaded() {
    let Some(bin) = camdock_testkit::postgres().find("the hub's projection (crates/hub)") else {
        return;
    };
    let pg = TempPostgres::start(&bin, &tempdir());
    let key = hex::encode(SigningKey::from_bytes(&KEY).verifying_key().to_bytes());
    let mut events = chain(4);
    events[1].kind = "clip-replicated".into();
    events[1].clip_sha256 = Some("ab".repeat(32));
    events[2].kind = "camera-returned-elsewhere".into();
    link(&mut events);
    let mut hub = Projection::connect(&pg.url()).await.unwrap();
    hub.enrol("a", "squad 1", &key).await.unwrap();
    pass(&mut hub, &[seg(&events)], &[checkpoint(&events[3])])
        .await
        .unwrap();
    // A hub made before the checks had neither table: made again at its next start, with what
    // it had loaded.
    let (client, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("DROP TABLE hub_clip_checks, hub_return_checks")
        .await
        .unwrap();
    // It kept each camera's health and clock in a table of their own: moved into the camera's
    // row.
    let camera = events[0].camera.clone().unwrap();
    client
        .batch_execute(&format!(
            "ALTER TABLE hub_cameras DROP COLUMN health_at, DROP COLUMN health_station,
                 DROP COLUMN battery_percent, DROP COLUMN storage_free_bytes, DROP COLUMN attention,
                 DROP COLUMN clock_at, DROP COLUMN clock_offset_ms, DROP COLUMN clock_within;
             CREATE TABLE hub_health (
                 camera text PRIMARY KEY, health_at text, health_station text,
                 battery_percent integer, storage_free_bytes bigint, attention text,
                 clock_at text, clock_offset_ms bigint, clock_within boolean);
             INSERT INTO hub_health VALUES ('{camera}', '2026-12-01T00:00:00.000Z', 'a', 55, 123,
                 '[]', '2026-12-01T00:00:00.000Z', -40, true)"
        ))
        .await
        .unwrap();
    let hub = Projection::connect(&pg.url()).await.unwrap();
    let fleet = hub.fleet("2026-12-01T00:00:00.000Z").await.unwrap();
    let moved = fleet.iter().find(|c| c.camera == camera).unwrap();
    assert_eq!(
        (
            moved.health.as_ref().and_then(|h| h.battery_percent),
            moved.clock.as_ref().and_then(|c| c.offset_ms)
        ),
        (Some(55), Some(-40))
    );
    let gone = || async {
        client
            .query_one("SELECT to_regclass('hub_health')::text", &[])
            .await
            .unwrap()
            .get::<_, Option<String>>(0)
    };
    assert_eq!(gone().await, None);
    // An older hub process still running makes the table again and writes to it: at the next
    // start each reading is moved only over an older one, and a row holding only a clock check
    // leaves the health as it was.
    let other = events[3].camera.clone().unwrap();
    client
        .batch_execute(&format!(
            "CREATE TABLE hub_health (
                 camera text PRIMARY KEY, health_at text, health_station text,
                 battery_percent integer, storage_free_bytes bigint, attention text,
                 clock_at text, clock_offset_ms bigint, clock_within boolean);
             INSERT INTO hub_health VALUES
                 ('{camera}', '2026-11-01T00:00:00.000Z', 'a', 10, 1, '[]', NULL, NULL, NULL),
                 ('{other}', NULL, NULL, NULL, NULL, NULL, '2026-12-01T00:00:00.000Z', -7, true)"
        ))
        .await
        .unwrap();
    let mut hub = Projection::connect(&pg.url()).await.unwrap();
    let fleet = hub.fleet("2026-12-01T00:00:00.000Z").await.unwrap();
    let seen = |c: &str| {
        let c = fleet.iter().find(|f| f.camera == c).unwrap();
        (
            c.health.as_ref().and_then(|h| h.battery_percent),
            c.clock.as_ref().and_then(|c| c.offset_ms),
        )
    };
    assert_eq!(seen(&camera), (Some(55), Some(-40)));
    assert_eq!(seen(&other), (None, Some(-7)));
    assert_eq!(gone().await, None);
    let due = hub
        .clips_due(std::time::Duration::from_secs(3600), 10)
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [events[1].seq]
    );
    let judged = hub.judge_recorded_returns(&[]).await.unwrap();
    assert_eq!(judged.len(), 1, "{judged:?}");
    assert!(
        matches!(&judged[0].1, Alarm::ReturnNotShown { seq, .. } if *seq == events[2].seq),
        "{judged:?}"
    );
}

/// A folder of the test's own under the system's temporary folder, removed by the OS later.
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "camdock-hub-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
