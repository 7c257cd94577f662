//! The S3 calls replication needs, and nothing else. Every upload names its SHA-256
//! (`x-amz-checksum-sha256`) so the server checks the bytes it stores against the ledger's hash;
//! uploads to a locked bucket carry Object Lock COMPLIANCE with a retain-until date.

use crate::config::ReplicaConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart, ObjectLockEnabled,
    ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode,
};
use base64::Engine;
use chrono::{DateTime as ChronoTime, Utc};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Why a call failed: the endpoint (unreachable, timing out, 5xx: worth backing off for the whole
/// endpoint) or this request (the server refused it: a wrong checksum, a locked object).
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("the endpoint failed: {0}")]
    Endpoint(String),
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Local(String),
}

impl S3Error {
    pub fn is_endpoint(&self) -> bool {
        matches!(self, S3Error::Endpoint(_))
    }
}

fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: SdkError<E, HttpResponse>,
) -> S3Error {
    let status = e.raw_response().map(|r| r.status().as_u16());
    let text = match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => aws_smithy_types_error(&e).to_string(),
    };
    match e {
        SdkError::ServiceError(_) if status.is_some_and(|s| s < 500) => {
            S3Error::Refused(format!("{text} (HTTP {})", status.unwrap_or(0)))
        }
        _ => S3Error::Endpoint(text),
    }
}

/// The innermost cause of an SDK error (the SDK's own Display says only "dispatch failure").
fn aws_smithy_types_error(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        last = c.to_string();
        cur = c.source();
    }
    last
}

fn is_not_found<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    e.raw_response().map(|r| r.status().as_u16()) == Some(404)
}

/// Base64 of a hex SHA-256: the form `x-amz-checksum-sha256` takes.
pub fn b64_of_hex(hex_digest: &str) -> Option<String> {
    let bytes = hex::decode(hex_digest).ok().filter(|b| b.len() == 32)?;
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub fn b64_sha256(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(data))
}

/// What the server holds for a key (one version).
#[derive(Clone, Debug)]
pub struct Head {
    pub version_id: Option<String>,
    pub checksum_sha256: Option<String>,
    pub bytes: i64,
    pub lock_mode: Option<String>,
    pub retain_until: Option<String>,
}

/// What an upload left on the server.
#[derive(Clone, Debug)]
pub struct Uploaded {
    pub version_id: Option<String>,
    /// As the server reports it: the object's SHA-256, or for a multipart upload the composite
    /// `<sha256 of the parts' sha256s>-<parts>`.
    pub checksum_sha256: String,
    pub parts: Option<usize>,
}

/// Object Lock settings for one upload (None: the bucket has no lock and that was allowed).
#[derive(Clone, Copy, Debug)]
pub struct Lock {
    pub retain_until: ChronoTime<Utc>,
}

/// One version of an object, as a versioned bucket lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub key: String,
    pub version_id: String,
}

pub struct Bucket {
    client: Client,
    pub name: String,
    threshold: u64,
    part_size: u64,
}

impl Bucket {
    /// A client for the configured endpoint. Checksums are only the ones camdock computes: the
    /// SDK's own (CRC) are turned off so what the server checks is the ledger's SHA-256.
    pub async fn connect(cfg: &ReplicaConfig) -> Bucket {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(cfg.region.clone()))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(std::time::Duration::from_secs(5))
                    .build(),
            );
        if let (Some(k), Some(s)) = (&cfg.access_key, &cfg.secret_key) {
            loader =
                loader.credentials_provider(Credentials::new(k, s, None, None, "camdock-config"));
        }
        if !cfg.endpoint.is_empty() {
            loader = loader.endpoint_url(&cfg.endpoint);
        }
        let shared = loader.load().await;
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(cfg.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            // Retries are the queue's business (with backoff across passes), not the SDK's.
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .build();
        Bucket {
            client: Client::from_conf(conf),
            name: cfg.bucket.clone(),
            threshold: cfg.multipart_threshold_mb * 1024 * 1024,
            part_size: cfg.part_size_mb * 1024 * 1024,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether the bucket has Object Lock enabled.
    pub async fn object_lock_enabled(&self) -> Result<bool, S3Error> {
        match self
            .client
            .get_object_lock_configuration()
            .bucket(&self.name)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .object_lock_configuration()
                .and_then(|c| c.object_lock_enabled())
                == Some(&ObjectLockEnabled::Enabled)),
            Err(e) if e.code() == Some("ObjectLockConfigurationNotFoundError") => Ok(false),
            Err(e) if e.code() == Some("NoSuchBucket") => Err(S3Error::Refused(format!(
                "bucket {} does not exist",
                self.name
            ))),
            Err(e) => Err(classify(e)),
        }
    }

    /// The current (or given) version of `key`, with its checksum; None when there is none.
    pub async fn head(&self, key: &str, version: Option<&str>) -> Result<Option<Head>, S3Error> {
        match self
            .client
            .head_object()
            .bucket(&self.name)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(h) => Ok(Some(Head {
                version_id: h.version_id().map(str::to_string),
                checksum_sha256: h.checksum_sha256().map(str::to_string),
                bytes: h.content_length().unwrap_or(0),
                lock_mode: h.object_lock_mode().map(|m| m.as_str().to_string()),
                retain_until: h
                    .object_lock_retain_until_date()
                    .and_then(|d| d.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok()),
            })),
            Err(e) if is_not_found(&e) => Ok(None),
            // A version id the server never issued (or of a key gone) is a 400 on some servers.
            Err(e) if version.is_some() && e.code() == Some("InvalidArgument") => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    /// Sets or clears the Object Lock legal hold on one version of `key`.
    pub async fn set_legal_hold(
        &self,
        key: &str,
        version: Option<&str>,
        on: bool,
    ) -> Result<(), S3Error> {
        let status = if on {
            ObjectLockLegalHoldStatus::On
        } else {
            ObjectLockLegalHoldStatus::Off
        };
        self.client
            .put_object_legal_hold()
            .bucket(&self.name)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .legal_hold(ObjectLockLegalHold::builder().status(status).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Whether one version of `key` is under a legal hold.
    pub async fn legal_hold(&self, key: &str, version: Option<&str>) -> Result<bool, S3Error> {
        match self
            .client
            .get_object_legal_hold()
            .bucket(&self.name)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
        {
            Ok(out) => {
                Ok(out.legal_hold().and_then(|h| h.status())
                    == Some(&ObjectLockLegalHoldStatus::On))
            }
            Err(e) if e.code() == Some("NoSuchObjectLockConfiguration") => Ok(false),
            Err(e) => Err(classify(e)),
        }
    }

    /// Uploads a stored clip whose SHA-256 (hex) the ledger holds: one PUT, or a multipart upload
    /// above the threshold with a SHA-256 per part.
    pub async fn put_file(
        &self,
        key: &str,
        path: &Path,
        sha256_hex: &str,
        lock: Option<Lock>,
    ) -> Result<Uploaded, S3Error> {
        let bytes = std::fs::metadata(path)
            .map_err(|e| S3Error::Local(format!("cannot read {}: {e}", path.display())))?
            .len();
        if bytes > self.threshold {
            return self.put_multipart(key, path, lock).await;
        }
        let sum = b64_of_hex(sha256_hex)
            .ok_or_else(|| S3Error::Local(format!("'{sha256_hex}' is not a SHA-256")))?;
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| S3Error::Local(format!("cannot read {}: {e}", path.display())))?;
        let req = self
            .client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .body(body)
            .checksum_sha256(&sum);
        let out = with_lock_put(req, lock).send().await.map_err(classify)?;
        Ok(Uploaded {
            version_id: out.version_id().map(str::to_string),
            checksum_sha256: out.checksum_sha256().unwrap_or(&sum).to_string(),
            parts: None,
        })
    }

    /// Uploads bytes (ledger segments, checkpoints) with their SHA-256.
    pub async fn put_bytes(
        &self,
        key: &str,
        data: Vec<u8>,
        lock: Option<Lock>,
    ) -> Result<Uploaded, S3Error> {
        let sum = b64_sha256(&data);
        let req = self
            .client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .body(ByteStream::from(data))
            .checksum_sha256(&sum);
        let out = with_lock_put(req, lock).send().await.map_err(classify)?;
        Ok(Uploaded {
            version_id: out.version_id().map(str::to_string),
            checksum_sha256: out.checksum_sha256().unwrap_or(&sum).to_string(),
            parts: None,
        })
    }

    async fn put_multipart(
        &self,
        key: &str,
        path: &Path,
        lock: Option<Lock>,
    ) -> Result<Uploaded, S3Error> {
        let mut req = self
            .client
            .create_multipart_upload()
            .bucket(&self.name)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Sha256);
        if let Some(l) = lock {
            req = req
                .object_lock_mode(ObjectLockMode::Compliance)
                .object_lock_retain_until_date(to_s3_time(l.retain_until));
        }
        let created = req.send().await.map_err(classify)?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| S3Error::Refused("no upload id in the server's answer".into()))?
            .to_string();
        let result = self.upload_parts(key, path, &upload_id).await;
        if result.is_err() {
            // An abandoned upload holds storage until aborted; the retry starts a new one.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.name)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    async fn upload_parts(
        &self,
        key: &str,
        path: &Path,
        upload_id: &str,
    ) -> Result<Uploaded, S3Error> {
        let local =
            |e: std::io::Error| S3Error::Local(format!("cannot read {}: {e}", path.display()));
        let mut file = std::fs::File::open(path).map_err(local)?;
        let mut parts = Vec::new();
        let mut composite = Sha256::new();
        for number in 1.. {
            let mut buf = Vec::with_capacity(self.part_size as usize);
            (&mut file)
                .take(self.part_size)
                .read_to_end(&mut buf)
                .map_err(local)?;
            if buf.is_empty() && number > 1 {
                break;
            }
            let digest = Sha256::digest(&buf);
            composite.update(digest);
            let sum = base64::engine::general_purpose::STANDARD.encode(digest);
            let last = (buf.len() as u64) < self.part_size;
            let out = self
                .client
                .upload_part()
                .bucket(&self.name)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(buf))
                .checksum_sha256(&sum)
                .send()
                .await
                .map_err(classify)?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_string))
                    .checksum_sha256(sum)
                    .build(),
            );
            if last {
                break;
            }
        }
        let n = parts.len();
        let expected = format!(
            "{}-{n}",
            base64::engine::general_purpose::STANDARD.encode(composite.finalize())
        );
        let done = self
            .client
            .complete_multipart_upload()
            .bucket(&self.name)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(Uploaded {
            version_id: done.version_id().map(str::to_string),
            checksum_sha256: done.checksum_sha256().unwrap_or(&expected).to_string(),
            parts: Some(n),
        })
    }

    /// Keys under `prefix`, in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, S3Error> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.name)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(classify)?;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            token = out.next_continuation_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Every version of every object under `prefix` (delete markers aside): in key order, and
    /// within a key oldest first, so the version first written comes before any that replaced it.
    pub async fn list_versions(&self, prefix: &str) -> Result<Vec<Version>, S3Error> {
        Ok(self.list_versions_and_markers(prefix).await?.0)
    }

    /// Every version of every object under `prefix` (as `list_versions`), and every delete
    /// marker there (a delete without a version: the versions stay, but a read of the key
    /// without one finds nothing), by key.
    pub async fn list_versions_and_markers(
        &self,
        prefix: &str,
    ) -> Result<(Vec<Version>, Vec<Version>), S3Error> {
        self.list_versions_and_markers_after(prefix, None).await
    }

    /// As `list_versions_and_markers`, of the keys that sort after `after` only (the listing
    /// starts there: one request, however many keys sort before it).
    pub async fn list_versions_and_markers_after(
        &self,
        prefix: &str,
        after: Option<&str>,
    ) -> Result<(Vec<Version>, Vec<Version>), S3Error> {
        let mut all: Vec<Version> = Vec::new();
        let mut markers: Vec<Version> = Vec::new();
        let (mut key_marker, mut version_marker) = (after.map(str::to_string), None);
        loop {
            let out = self
                .client
                .list_object_versions()
                .bucket(&self.name)
                .prefix(prefix)
                .set_key_marker(key_marker)
                .set_version_id_marker(version_marker)
                .send()
                .await
                .map_err(classify)?;
            all.extend(out.versions().iter().filter_map(|v| {
                Some(Version {
                    key: v.key()?.to_string(),
                    version_id: v.version_id().unwrap_or("null").to_string(),
                })
            }));
            markers.extend(out.delete_markers().iter().filter_map(|m| {
                Some(Version {
                    key: m.key()?.to_string(),
                    version_id: m.version_id().unwrap_or("null").to_string(),
                })
            }));
            if out.is_truncated() != Some(true) {
                break;
            }
            // A truncated page without its marker would start the listing over (and from the
            // prefix's start, past a cursor): refused rather than looped or widened.
            key_marker = Some(out.next_key_marker().map(str::to_string).ok_or_else(|| {
                S3Error::Refused(format!(
                    "a listing of {prefix} was cut short without saying where to go on"
                ))
            })?);
            version_marker = out.next_version_id_marker().map(str::to_string);
        }
        // S3 lists a key's versions newest first.
        let mut ordered = Vec::with_capacity(all.len());
        for run in all.chunk_by(|a, b| a.key == b.key) {
            ordered.extend(run.iter().rev().cloned());
        }
        ordered.sort_by(|a, b| a.key.cmp(&b.key));
        markers.sort_by(|a, b| a.key.cmp(&b.key));
        // Only keys after `after`, whether or not a server starts its listing at the marker.
        if let Some(after) = after {
            ordered.retain(|v| v.key.as_str() > after);
            markers.retain(|v| v.key.as_str() > after);
        }
        Ok((ordered, markers))
    }

    /// One version of an object.
    pub async fn get_version(&self, key: &str, version_id: &str) -> Result<Vec<u8>, S3Error> {
        self.fetch(key, Some(version_id)).await
    }

    /// The current version of an object.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, S3Error> {
        self.fetch(key, None).await
    }

    async fn fetch(&self, key: &str, version_id: Option<&str>) -> Result<Vec<u8>, S3Error> {
        let out = self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await
            .map_err(classify)?;
        let data = out
            .body
            .collect()
            .await
            .map_err(|e| S3Error::Endpoint(format!("reading {key}: {e}")))?;
        Ok(data.into_bytes().to_vec())
    }
}

fn to_s3_time(t: ChronoTime<Utc>) -> DateTime {
    DateTime::from_secs(t.timestamp())
}

fn with_lock_put(
    req: aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder,
    lock: Option<Lock>,
) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
    match lock {
        Some(l) => req
            .object_lock_mode(ObjectLockMode::Compliance)
            .object_lock_retain_until_date(to_s3_time(l.retain_until)),
        None => req,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_the_base64_of_the_ledger_hash() {
        // sha256("abc")
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            b64_of_hex(hex).unwrap(),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        assert_eq!(b64_sha256(b"abc"), b64_of_hex(hex).unwrap());
        assert!(b64_of_hex("abc").is_none());
    }

    /// LocalStack does not enforce that an Object Lock PUT carries a checksum (AWS does), so the
    /// rule is held here: every upload call in this file names its SHA-256.
    #[test]
    fn every_upload_sets_checksum_sha256() {
        let src = include_str!("s3.rs");
        let body = &src[..src.find("#[cfg(test)]").unwrap()];
        for call in [".put_object()", ".upload_part()"] {
            for (at, _) in body.match_indices(call) {
                let rest = &body[at..];
                let end = rest.find(".send()").expect("a request is sent");
                assert!(
                    rest[..end].contains(".checksum_sha256("),
                    "an upload ({call}) without checksum_sha256"
                );
            }
        }
        assert!(body.contains(".checksum_algorithm(ChecksumAlgorithm::Sha256)"));
    }
}
