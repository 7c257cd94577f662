//! HTTPS for the dashboard (rustls): the operator's certificate and key (`web.tls_cert`,
//! `web.tls_key`, PEM), or the station's own, made once at first start under `<data_dir>/tls/`
//! for the names the station answers to (loopback, its listen address, `web.hostnames`). A
//! browser is told to trust the station's certificate once (`station.crt`, e.g. by the
//! unit's IT); from then on sessions travel encrypted and their cookie is `Secure`.

use crate::config::WebConfig;
use crate::usage;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The certificate and key files to serve with, made if the station's own do not exist yet.
pub fn certificate(
    web: &WebConfig,
    data_dir: &Path,
    addr: SocketAddr,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    match (&web.tls_cert, &web.tls_key) {
        (Some(c), Some(k)) => return Ok((c.clone(), k.clone())),
        (None, None) => {}
        _ => {
            return Err(usage!(
                "web.tls_cert and web.tls_key go together (or neither: the station makes its own)"
            ));
        }
    }
    let dir = data_dir.join("tls");
    let (cert, key) = (dir.join("station.crt"), dir.join("station.key"));
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !addr.ip().is_unspecified() {
        names.push(addr.ip().to_string());
    }
    names.extend(web.hostnames.iter().cloned());
    let made = rcgen::generate_simple_self_signed(names.clone())
        .map_err(|e| anyhow::anyhow!("making the station's certificate failed: {e}"))?;
    std::fs::create_dir_all(&dir)?;
    write_private(&key, made.key_pair.serialize_pem().as_bytes())?;
    std::fs::write(&cert, made.cert.pem())?;
    tracing::info!(cert = %cert.display(), names = ?names, "made the station's TLS certificate: give station.crt to the browsers that use the dashboard");
    Ok((cert, key))
}

/// Written readable by the daemon's user only, before any byte of the key is in it.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
