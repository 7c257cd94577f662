//! LocalStack (S3 only, no Docker) started for one test from the venv `./dev test` installs under
//! target/localstack: it enforces Object Lock and checks `x-amz-checksum-sha256`.

use super::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_WITHIN: Duration = Duration::from_secs(300);

/// A LocalStack process of this test, stopped (its whole process group) when dropped.
pub struct LocalStack {
    child: Child,
    port: u16,
}

/// LocalStack's Python, or None (and one skip line) under plain `cargo test` without it.
pub fn venv_python() -> Option<PathBuf> {
    camdock_testkit::localstack().find("the S3 suites (tests/replica.rs, tests/hub.rs)")
}

impl LocalStack {
    /// None when LocalStack is not installed (see `venv_python`).
    pub fn start(dir: &Path) -> Option<LocalStack> {
        let python = venv_python()?;
        let port = free_port();
        let root = dir.join("localstack");
        std::fs::create_dir_all(&root).unwrap();
        let log = std::fs::File::create(dir.join("localstack.log")).unwrap();
        let listen = format!("127.0.0.1:{port}");
        use std::os::unix::process::CommandExt;
        let child = Command::new(&python)
            .args(["-m", "localstack.runtime.main"])
            .env("SERVICES", "s3")
            .env("EAGER_SERVICE_LOADING", "1")
            .env("GATEWAY_LISTEN", &listen)
            .env("LOCALSTACK_HOST", &listen)
            .env("GATEWAY_SERVER", "hypercorn")
            .env("DNS_ADDRESS", "0")
            .env("DISABLE_EVENTS", "1")
            .env("LOCALSTACK_TELEMETRY_DISABLED", "1")
            .env("SKIP_SSL_CERT_DOWNLOAD", "1")
            .env("PERSISTENCE", "0")
            .env("FILESYSTEM_ROOT", &root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("LocalStack starts");
        let mut ls = LocalStack { child, port };
        let url = format!("http://{listen}/_localstack/health");
        let start = Instant::now();
        // Waits for LocalStack to say S3 is up (or to exit). The limit only catches a hang: a
        // loaded 2-core machine has taken over 90 s to start it (two tests starting theirs while
        // another suite builds), so it is generous.
        while start.elapsed() < READY_WITHIN {
            let health = ureq::get(&url)
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .unwrap_or_default();
            if health.contains("\"s3\": \"running\"") || health.contains("\"s3\": \"available\"") {
                return Some(ls);
            }
            if let Ok(Some(status)) = ls.child.try_wait() {
                panic!(
                    "LocalStack exited ({status}): {}",
                    std::fs::read_to_string(dir.join("localstack.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "LocalStack was not ready after {READY_WITHIN:?}: {}",
            std::fs::read_to_string(dir.join("localstack.log")).unwrap_or_default()
        );
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}
