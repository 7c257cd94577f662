//! The clips' objects in the bucket looked at against the stations' ledgers
//! (`camdock_hub::objects` judges; this asks the bucket): a bounded number each pass.

use super::{Pass, Rules};
use crate::replica::s3::{Bucket, Head, S3Error};
use camdock_hub::{
    Alarm, DueClip, Look, ObjectFault, ObjectSeen, Projection, look_current, look_version,
};

/// Looks at up to `rules.objects_per_pass` replicated clips' objects in the bucket (those never
/// looked at first, then the longest ago), sixteen at once: each one not as its station's ledger
/// records it is an alarm on that station's pass. One the bucket could not answer about is left
/// for the next pass and said in its station's `failed`.
pub(super) async fn check(
    bucket: &Bucket,
    hub: &Projection,
    rules: &Rules,
    passes: &mut [Pass],
) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let due = hub
        .clips_due(rules.recheck_objects_after, rules.objects_per_pass.into())
        .await?;
    let looked: Vec<_> = futures_util::stream::iter(&due)
        .map(|clip| look(bucket, clip))
        .buffered(16)
        .collect()
        .await;
    // Each station's pass by name: up to `objects_per_pass` clips over a bureau's stations.
    let of: std::collections::HashMap<String, usize> = passes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.station.clone(), i))
        .collect();
    let mut checked = Vec::new();
    for (clip, looked) in due.iter().zip(looked) {
        let Some(&i) = of.get(&clip.station) else {
            continue;
        };
        let pass = &mut passes[i];
        match looked {
            Ok(found) => {
                checked.push((clip.station.as_str(), clip.seq));
                pass.clips_checked += 1;
                if let Some(alarm) = found
                    && hub.raise(&clip.station, &alarm).await?
                {
                    pass.alarms.push(alarm);
                }
            }
            // One reason per station is enough to act on: the rest wait for the next pass.
            Err(e) if pass.failed.is_none() => {
                pass.failed = Some(format!(
                    "clip {}'s object could not be looked at in the bucket: {e}",
                    clip.clip
                ));
            }
            Err(_) => {}
        }
    }
    hub.mark_checked(&checked).await?;
    Ok(())
}

/// Whether the bucket holds the object `clip`'s `clip-replicated` records: the key's current
/// version first (one request when it is the ledger's), then the version the ledger names.
async fn look(bucket: &Bucket, clip: &DueClip) -> Result<Option<Alarm>, S3Error> {
    let recorded = match clip.recorded(&bucket.name) {
        Ok(d) => d,
        Err(alarm) => return Ok(Some(alarm)),
    };
    let seen = |h: Head| ObjectSeen {
        version_id: h.version_id,
        checksum_sha256: h.checksum_sha256,
        bytes: h.bytes,
    };
    let looked = async {
        let current = bucket.head(&recorded.key, None).await?.map(seen);
        Ok(match look_current(&recorded, current.as_ref()) {
            Look::Holds => None,
            Look::Fault(fault) => Some(fault),
            Look::AskVersion(version) => {
                let named = bucket.head(&recorded.key, Some(&version)).await?.map(seen);
                Some(look_version(&recorded, named.as_ref(), current.as_ref()))
            }
        })
    };
    // A refusal about a key the ledger names is a finding (it would be refused every pass, and
    // wait at the front of the queue); an endpoint that fails is tried again next pass.
    let fault = match looked.await {
        Ok(fault) => fault,
        Err(S3Error::Refused(why)) => Some(ObjectFault::Refused { why }),
        Err(e) => return Err(e),
    };
    Ok(fault.map(|fault| clip.alarm(&recorded.key, fault)))
}
