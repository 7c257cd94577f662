//! Reconciliation of the clips in the bucket with what the stations' ledgers say of them. Each
//! `clip-replicated` event names an object (key, version, checksum, size); the hub looks at the
//! object itself (its metadata, as the server reports it: a HEAD, not the bytes) and raises an
//! alarm when the bucket does not hold what the ledger says. Every object is looked at once soon
//! after its event loads and again after `[hub] recheck_objects_after`, a bounded number per
//! pass, so a version written over a clip or deleted later is found too.

use crate::alarm::Alarm;
use crate::projection::{Projection, ProjectionError};
use base64::Engine;
use camdock_record::detail::ClipReplicatedDetail;
use serde::{Deserialize, Serialize};

/// How the bucket differs from the ledger's record of a clip's object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "kebab-case")]
pub enum ObjectFault {
    /// The event's detail names no object this hub can read.
    NotNamed,
    /// The object is in another bucket than the one the hub reads: the hub cannot vouch for it.
    OtherBucket { bucket: String },
    /// The checksum the station recorded does not fit the clip: a single part's is not the clip's
    /// SHA-256, or a multipart one does not fit the parts recorded. The ledger itself says the
    /// object is not the clip.
    NotTheClip { checksum: String },
    /// The version the ledger names is not in the bucket (deleted, or never there).
    Missing { version: Option<String> },
    /// The version the ledger names has another checksum or size than the ledger's.
    Differs {
        checksum: Option<String>,
        bytes: i64,
    },
    /// The bucket refused to show the object (a 4xx other than not found: no permission on the
    /// key, a key it cannot take): the hub cannot vouch for it.
    Refused { why: String },
    /// The version the ledger names holds the clip, but the key's current version is another
    /// object (`version`) or a delete marker (none): what a read without a version gets is not
    /// the clip.
    WrittenOver { version: Option<String> },
}

impl std::fmt::Display for ObjectFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectFault::NotNamed => write!(f, "the event names no object the hub can read"),
            ObjectFault::OtherBucket { bucket } => {
                write!(f, "it is in bucket {bucket}, which the hub does not read")
            }
            ObjectFault::NotTheClip { checksum } => write!(
                f,
                "the recorded checksum {checksum} does not fit the clip (its SHA-256, or its parts as recorded)"
            ),
            ObjectFault::Missing { version } => match version {
                Some(v) => write!(f, "version {v} is not in the bucket"),
                None => write!(f, "it is not in the bucket"),
            },
            ObjectFault::Differs { checksum, bytes } => write!(
                f,
                "the bucket's copy has checksum {} and {bytes} bytes, not the ledger's",
                checksum.as_deref().unwrap_or("none")
            ),
            ObjectFault::Refused { why } => write!(f, "the bucket refused to show it ({why})"),
            ObjectFault::WrittenOver { version } => match version {
                Some(v) => write!(
                    f,
                    "the ledger's version holds the clip, but version {v} was written over it"
                ),
                None => write!(
                    f,
                    "the ledger's version holds the clip, but a delete marker hides it"
                ),
            },
        }
    }
}

/// An object as the server reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSeen {
    pub version_id: Option<String>,
    pub checksum_sha256: Option<String>,
    pub bytes: i64,
}

/// The next step in looking at a clip's object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Look {
    /// The key's current version is the ledger's object.
    Holds,
    /// The current version is another: look at the version the ledger names.
    AskVersion(String),
    Fault(ObjectFault),
}

/// A clip's `clip-replicated` event due to be looked at.
#[derive(Clone, Debug)]
pub struct DueClip {
    pub station: String,
    pub seq: i64,
    pub clip: String,
    pub detail_json: String,
}

impl DueClip {
    /// What the ledger says of the object, as far as the hub can judge before asking the bucket
    /// (`bucket`, the hub's); the alarm when that is already wrong.
    pub fn recorded(&self, bucket: &str) -> Result<ClipReplicatedDetail, Alarm> {
        let d: ClipReplicatedDetail = serde_json::from_str(&self.detail_json)
            .map_err(|_| self.alarm("", ObjectFault::NotNamed))?;
        // Every field has a default: an object is named only with its key.
        if d.key.is_empty() {
            return Err(self.alarm("", ObjectFault::NotNamed));
        }
        if d.bucket != bucket {
            return Err(self.alarm(&d.key, ObjectFault::OtherBucket { bucket: d.bucket }));
        }
        // A single part's checksum is the clip's own SHA-256. A multipart one (`<b64>-<parts>`)
        // is of its parts' SHA-256s: it must fit the parts and part size recorded, but the hub
        // cannot tie it to the clip without reading the object's bytes, which it does not.
        let composite = d
            .checksum_sha256
            .rsplit_once('-')
            .map(|(_, n)| n.parse::<u64>().ok());
        let fits = match (d.parts, composite) {
            (None, None) => {
                hex::decode(&self.clip)
                    .ok()
                    .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
                    .as_deref()
                    == Some(d.checksum_sha256.as_str())
            }
            (Some(parts), Some(Some(n))) => {
                parts == n
                    && d.part_size
                        .is_some_and(|size| size > 0 && d.bytes.div_ceil(size) == n)
            }
            _ => false,
        };
        if !fits {
            return Err(self.alarm(
                &d.key,
                ObjectFault::NotTheClip {
                    checksum: d.checksum_sha256,
                },
            ));
        }
        Ok(d)
    }

    /// The alarm for `fault` in this clip's object at `key`.
    pub fn alarm(&self, key: &str, fault: ObjectFault) -> Alarm {
        Alarm::ObjectDiffers {
            clip: self.clip.clone(),
            seq: self.seq,
            key: key.into(),
            fault,
        }
    }
}

fn same(recorded: &ClipReplicatedDetail, seen: &ObjectSeen) -> bool {
    seen.checksum_sha256.as_deref() == Some(recorded.checksum_sha256.as_str())
        && u64::try_from(seen.bytes).ok() == Some(recorded.bytes)
}

/// Judges the key's current version (`None`: no object, or a delete marker) against the record.
pub fn look_current(recorded: &ClipReplicatedDetail, current: Option<&ObjectSeen>) -> Look {
    let version_matches =
        |seen: &ObjectSeen| recorded.version_id.is_none() || seen.version_id == recorded.version_id;
    match (current, &recorded.version_id) {
        (Some(seen), _) if version_matches(seen) && same(recorded, seen) => Look::Holds,
        (Some(seen), Some(v)) if !version_matches(seen) => Look::AskVersion(v.clone()),
        (None, Some(v)) => Look::AskVersion(v.clone()),
        (None, None) => Look::Fault(ObjectFault::Missing { version: None }),
        (Some(seen), _) => Look::Fault(ObjectFault::Differs {
            checksum: seen.checksum_sha256.clone(),
            bytes: seen.bytes,
        }),
    }
}

/// Judges the version the ledger names (`named`), asked because the current version was not it.
pub fn look_version(
    recorded: &ClipReplicatedDetail,
    named: Option<&ObjectSeen>,
    current: Option<&ObjectSeen>,
) -> ObjectFault {
    match named {
        None => ObjectFault::Missing {
            version: recorded.version_id.clone(),
        },
        Some(seen) if !same(recorded, seen) => ObjectFault::Differs {
            checksum: seen.checksum_sha256.clone(),
            bytes: seen.bytes,
        },
        Some(_) => ObjectFault::WrittenOver {
            version: current.and_then(|c| c.version_id.clone()),
        },
    }
}

impl Projection {
    /// Up to `limit` replicated clips whose objects were never looked at, then those looked at
    /// longer than `recheck_after` ago, longest first.
    pub async fn clips_due(
        &self,
        recheck_after: std::time::Duration,
        limit: i64,
    ) -> Result<Vec<DueClip>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT c.station, c.seq, e.clip_sha256, e.detail_json
                 FROM hub_clip_checks c JOIN hub_events e USING (station, seq)
                 WHERE c.checked_at IS NULL OR c.checked_at < now() - make_interval(secs => $1)
                 ORDER BY c.checked_at NULLS FIRST, c.station, c.seq LIMIT $2",
                &[&recheck_after.as_secs_f64(), &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DueClip {
                station: r.get(0),
                seq: r.get(1),
                clip: r.get::<_, Option<String>>(2).unwrap_or_default(),
                detail_json: r.get(3),
            })
            .collect())
    }

    /// Marks these clips' objects looked at now.
    pub async fn mark_checked(&self, clips: &[(&str, i64)]) -> Result<(), ProjectionError> {
        let (stations, seqs): (Vec<&str>, Vec<i64>) = clips.iter().copied().unzip();
        self.client
            .execute(
                "UPDATE hub_clip_checks c SET checked_at = now()
                 FROM unnest($1::text[], $2::bigint[]) AS u(s, q)
                 WHERE c.station = u.s AND c.seq = u.q",
                &[&stations, &seqs],
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIP: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const B64: &str = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";

    fn due(detail: serde_json::Value) -> DueClip {
        DueClip {
            station: "station-a".into(),
            seq: 7,
            clip: CLIP.into(),
            detail_json: detail.to_string(),
        }
    }

    fn detail(checksum: &str, version: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "bucket": "bureau", "key": "clips/9f/x.mp4", "version_id": version,
            "checksum_sha256": checksum, "parts": null, "part_size": null, "bytes": 4,
            "object_lock": null, "retain_until": null, "already_present": false,
        })
    }

    fn seen(version: &str, checksum: &str, bytes: i64) -> ObjectSeen {
        ObjectSeen {
            version_id: Some(version.into()),
            checksum_sha256: Some(checksum.into()),
            bytes,
        }
    }

    #[test]
    fn the_record_is_judged_before_the_bucket_is_asked() {
        assert!(due(detail(B64, Some("v1"))).recorded("bureau").is_ok());
        let fault = |d: &DueClip, bucket: &str| match d.recorded(bucket).unwrap_err() {
            Alarm::ObjectDiffers { fault, seq: 7, .. } => fault,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fault(&due(serde_json::json!({})), "bureau"),
            ObjectFault::NotNamed
        );
        assert_eq!(
            fault(&due(detail(B64, Some("v1"))), "other"),
            ObjectFault::OtherBucket {
                bucket: "bureau".into()
            }
        );
        let wrong = "AAAAgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";
        assert_eq!(
            fault(&due(detail(wrong, Some("v1"))), "bureau"),
            ObjectFault::NotTheClip {
                checksum: wrong.into()
            }
        );
        // A multipart checksum is of the parts: it must fit them, and is not compared with the
        // clip's.
        let parts = |checksum: &str, parts: Option<u64>, part_size: Option<u64>| {
            let mut d = detail(checksum, Some("v1"));
            d["parts"] = parts.into();
            d["part_size"] = part_size.into();
            due(d)
        };
        assert!(parts("AAAA-2", Some(2), Some(2)).recorded("bureau").is_ok());
        for (checksum, n, size) in [
            ("AAAA-2", None, None),
            ("AAAA-3", Some(3), Some(2)),
            ("AAAA-2", Some(3), Some(2)),
            (B64, Some(1), Some(4)),
        ] {
            assert_eq!(
                fault(&parts(checksum, n, size), "bureau"),
                ObjectFault::NotTheClip {
                    checksum: checksum.into()
                },
                "{checksum} {n:?} {size:?}"
            );
        }
    }

    #[test]
    fn each_way_the_bucket_can_differ_is_named() {
        let d = due(detail(B64, Some("v1"))).recorded("bureau").unwrap();
        let own = seen("v1", B64, 4);
        assert_eq!(look_current(&d, Some(&own)), Look::Holds);
        let other = seen("v2", "other", 9);
        assert_eq!(
            look_current(&d, Some(&other)),
            Look::AskVersion("v1".into())
        );
        assert_eq!(look_current(&d, None), Look::AskVersion("v1".into()));
        assert_eq!(
            look_current(&d, Some(&seen("v1", B64, 5))),
            Look::Fault(ObjectFault::Differs {
                checksum: Some(B64.into()),
                bytes: 5
            })
        );
        assert_eq!(
            look_version(&d, Some(&own), Some(&other)),
            ObjectFault::WrittenOver {
                version: Some("v2".into())
            }
        );
        assert_eq!(
            look_version(&d, Some(&own), None),
            ObjectFault::WrittenOver { version: None }
        );
        assert_eq!(
            look_version(&d, None, Some(&other)),
            ObjectFault::Missing {
                version: Some("v1".into())
            }
        );
        // An unversioned bucket: the current object is the only one.
        let d = due(detail(B64, None)).recorded("bureau").unwrap();
        assert_eq!(look_current(&d, Some(&own)), Look::Holds);
        assert_eq!(
            look_current(&d, None),
            Look::Fault(ObjectFault::Missing { version: None })
        );
    }
}
