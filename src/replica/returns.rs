//! A station reads the hub's statement of its cameras returned elsewhere from the bucket, checks
//! it against the hub's key it holds (`[hub] public_key`) and its own clock, and closes those
//! episodes (`custody::returns`). A statement missing, stale or not the hub's changes nothing:
//! the station judges by its own record, and says why.

use super::s3::Bucket;
use crate::station::Station;
use crate::time::parse_stamp;
use camdock_record::checkpoint::public_key_from_hex;
use camdock_record::returns::{ReturnsStatement, StatementRefused, statement_key};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What reading the hub's statement did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReturnsRead {
    /// When the statement acted on was issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// Cameras whose episode here it closed.
    pub closed: Vec<String>,
    /// Why the station did not act on it (none yet, stale, not the hub's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Reads and acts on the hub's statement to this station.
pub async fn read(
    station: &Station,
    bucket: &Bucket,
    now: DateTime<Utc>,
) -> Result<ReturnsRead, super::s3::S3Error> {
    // A key mistyped in the config refuses the statement; the clips still go off the station.
    let Some(hub) = public_key_from_hex(&station.config.hub.public_key) else {
        return Ok(ReturnsRead {
            refused: Some(
                "[hub] public_key is not an ed25519 public key in hex (64 digits, as `camdock hub key` prints it): overdue is judged by this station's record alone".into(),
            ),
            ..ReturnsRead::default()
        });
    };
    let hub = &hub;
    let key = statement_key(station.actor());
    if bucket.head(&key, None).await?.is_none() {
        return Ok(ReturnsRead {
            refused: Some(format!(
                "the hub has published no statement to this station ({key})"
            )),
            ..ReturnsRead::default()
        });
    }
    let bytes = bucket.get(&key).await?;
    let allowed = station.config.hub.statement_stale_after;
    let statement = ReturnsStatement::read(&bytes, hub, station.actor()).and_then(|s| {
        let issued = parse_stamp(&s.body.issued_at)
            .ok_or_else(|| StatementRefused::BadTime(s.body.issued_at.clone()))?;
        let age = (now - issued).abs().to_std().unwrap_or_default();
        if age > allowed {
            return Err(StatementRefused::Stale {
                issued_at: s.body.issued_at.clone(),
                allowed: humantime::format_duration(allowed).to_string(),
            });
        }
        Ok(s)
    });
    let statement = match statement {
        Ok(s) => s,
        Err(why) => {
            tracing::warn!(%why, "the hub's statement of returns is not acted on: overdue is judged here alone");
            return Ok(ReturnsRead {
                refused: Some(format!(
                    "{why}: overdue is judged by this station's record alone"
                )),
                ..ReturnsRead::default()
            });
        }
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let closed = crate::custody::returns::close(station, &statement, &sha256)
        .map_err(|e| super::s3::S3Error::Local(format!("ledger: {e}")))?;
    Ok(ReturnsRead {
        issued_at: Some(statement.body.issued_at),
        closed,
        refused: None,
    })
}
