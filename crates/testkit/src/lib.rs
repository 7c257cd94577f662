//! What camdock's tests share: the outside tools a suite needs, and one line for each suite that
//! could not run (see README.md).

pub mod patroni;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Set by `./dev test` (and so CI): a missing tool is a failure, never a skip.
pub const REQUIRE_TOOLS: &str = "CAMDOCK_REQUIRE_TOOLS";

/// An outside tool: what it is, where it is looked for, and who installs it.
pub struct OutsideTool {
    /// As the skip line names it: "LocalStack".
    pub name: &'static str,
    /// The paths that must all exist for it to be there.
    pub paths: Vec<PathBuf>,
    /// How to get it: "./dev test installs it under target/localstack".
    pub install: &'static str,
}

impl OutsideTool {
    /// The tool's first path when it is there. When it is not: under `./dev test` this panics,
    /// naming the tool; under plain `cargo test` it prints one line on the terminal for `suite`
    /// (once per test binary) and returns None, and the caller returns without testing.
    pub fn find(&self, suite: &str) -> Option<PathBuf> {
        if let Some(missing) = self.paths.iter().find(|p| !p.exists()) {
            let why = format!(
                "{} not installed ({} is missing): {}",
                self.name,
                missing.display(),
                self.install
            );
            if std::env::var_os(REQUIRE_TOOLS).is_some_and(|v| v == "1") {
                panic!("{suite} needs {why}");
            }
            skipped(suite, &why);
            return None;
        }
        self.paths.first().cloned()
    }
}

/// The repository's root (the station crate's folder), where `./dev test` installs its tools.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/testkit sits two levels below the root")
        .to_path_buf()
}

/// LocalStack (S3 with Object Lock) in the venv `./dev test` makes; the path is its Python.
pub fn localstack() -> OutsideTool {
    OutsideTool {
        name: "LocalStack",
        paths: vec![repo_root().join("target/localstack/bin/python")],
        install: "./dev test installs it under target/localstack",
    }
}

/// Debian's Chromium driven by playwright-core from npm; the path is the browser tests' folder.
pub fn browser() -> OutsideTool {
    let dir = repo_root().join("tests/browser");
    OutsideTool {
        name: "Chromium with playwright-core",
        paths: vec![
            dir.clone(),
            dir.join("node_modules/playwright-core"),
            PathBuf::from("/usr/bin/chromium"),
        ],
        install: "./dev test installs chromium (apt) and playwright-core (npm ci in tests/browser)",
    }
}

/// The ASC MHL reference tool from PyPI; the path is its `ascmhl` command (`ascmhl-debug` beside it).
pub fn ascmhl() -> OutsideTool {
    let bin = repo_root().join("target/pytools/bin");
    OutsideTool {
        name: "the ASC MHL reference tool",
        paths: vec![bin.join("ascmhl"), bin.join("ascmhl-debug")],
        install: "./dev test installs it (pip ascmhl) under target/pytools",
    }
}

/// Prints the skip line once per test binary and suite, past the test harness's capture (straight
/// to the terminal), so `cargo test` says what it did not run.
fn skipped(suite: &str, why: &str) {
    static SAID: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.insert(suite.to_string()) {
        let _ = writeln!(std::io::stderr(), "cargo test: skipped {suite}: {why}");
    }
}

/// Debian's PostgreSQL 15 server binaries (package `postgresql-15`); the path is their folder.
pub fn postgres() -> OutsideTool {
    let bin = PathBuf::from("/usr/lib/postgresql/15/bin");
    OutsideTool {
        name: "PostgreSQL 15",
        paths: vec![bin.clone(), bin.join("initdb"), bin.join("pg_ctl")],
        install: "./dev test installs postgresql (apt)",
    }
}

/// A PostgreSQL server of its own for one test: a fresh cluster in `dir` (made by `initdb`, trust
/// authentication), listening on a Unix socket only (no TCP port to collide on), stopped on drop.
/// Run as the `postgres` account when the test runs as root (the server refuses root).
pub struct TempPostgres {
    bin: PathBuf,
    data: PathBuf,
    /// The folder holding the server's socket: the `host` of a connection string.
    pub socket_dir: PathBuf,
    as_postgres: bool,
}

impl TempPostgres {
    /// Starts a server under `dir` (created); `bin` from [`postgres`]. Takes about a second.
    pub fn start(bin: &Path, dir: &Path) -> TempPostgres {
        let data = dir.join("cluster");
        let socket_dir = dir.join("socket");
        std::fs::create_dir_all(&socket_dir).expect("socket folder");
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if root {
            let ok = std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown {} to postgres", dir.display());
        }
        let pg = TempPostgres {
            bin: bin.to_path_buf(),
            data,
            socket_dir,
            as_postgres: root,
        };
        pg.run(
            "initdb",
            &[
                "-D",
                &pg.data.to_string_lossy(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off",
            pg.socket_dir.display()
        );
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &pg.data.to_string_lossy(),
                "-o",
                &options,
                "-l",
                &dir.join("server.log").to_string_lossy(),
                "-w",
                "start",
            ],
        );
        pg
    }

    /// A libpq connection string for database `postgres` as user `postgres`.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// A libpq connection string for database `name`.
    pub fn url_of(&self, name: &str) -> String {
        format!(
            "host={} user=postgres dbname={name}",
            self.socket_dir.display()
        )
    }

    /// Makes another, empty database `name` in the cluster.
    pub fn create_database(&self, name: &str) {
        self.run(
            "createdb",
            &[
                "-h",
                &self.socket_dir.to_string_lossy(),
                "-U",
                "postgres",
                name,
            ],
        );
    }

    /// `tool` of the server's binaries, as the account that owns the cluster.
    fn command(&self, tool: &str) -> std::process::Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = std::process::Command::new("setpriv");
            c.args([
                "--reuid=postgres",
                "--regid=postgres",
                "--clear-groups",
                "--",
            ])
            .arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        cmd.stdin(std::process::Stdio::null());
        cmd
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        // Fast shutdown; a test that failed still leaves no server behind.
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"])
            .output();
    }
}
