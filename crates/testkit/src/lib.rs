//! What camdock's tests share: the outside tools a suite needs, and one line for each suite that
//! could not run (see README.md).

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
