//! The files a real station installs: udev rules and systemd units, checked by their own tools.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `systemd-analyze verify` needs the unit's ExecStart to exist: point it at the built binary.
#[test]
fn the_service_unit_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let unit = std::fs::read_to_string(root().join("systemd/camdock.service")).unwrap();
    let unit = unit.replace("/usr/bin/camdock", env!("CARGO_BIN_EXE_camdock"));
    let path = dir.path().join("camdock.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze is installed (./dev installs systemd)");
    let err = String::from_utf8_lossy(&out.stderr);
    // Lines about other units on the machine are not ours to judge.
    let ours: Vec<&str> = err.lines().filter(|l| l.contains("camdock")).collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify: {err}"
    );
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=50"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        security.status.success(),
        "exposure above 5.0: {}",
        String::from_utf8_lossy(&security.stdout)
    );
}

#[test]
fn the_config_shipped_for_a_station_is_valid() {
    let text = std::fs::read_to_string(root().join("systemd/camdock.toml")).unwrap();
    let config = camdock::config::Config::from_toml(&text).unwrap();
    assert!(config.dock.source == camdock::config::SourceKind::Mounts && config.dock.usb);
}

/// `udevadm test` in a private mount namespace (it would otherwise change /dev permissions):
/// our rules file replaces /etc/udev/rules.d there, and udev must read it without complaint.
#[test]
fn the_udev_rules_parse() {
    let rules = root().join("udev/90-camdock.rules");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&rules, dir.path().join("90-camdock.rules")).unwrap();
    let device = [
        "/sys/class/block/vda",
        "/sys/class/block/sda",
        "/sys/class/net/lo",
    ]
    .into_iter()
    .find(|d| Path::new(d).exists())
    .unwrap();
    // The group the rules name exists on a station (systemd/camdock.conf creates it): add it here too.
    let group = dir.path().join("group");
    let mut groups = std::fs::read_to_string("/etc/group").unwrap();
    groups.push_str("camdock:x:64999:\n");
    std::fs::write(&group, groups).unwrap();
    let rules_dir = dir.path().join("rules.d");
    std::fs::create_dir(&rules_dir).unwrap();
    std::fs::rename(
        dir.path().join("90-camdock.rules"),
        rules_dir.join("90-camdock.rules"),
    )
    .unwrap();
    let script = format!(
        "mount --bind {} /etc/udev/rules.d && mount --bind {} /etc/group && udevadm test --action=add {device} 2>&1",
        rules_dir.display(),
        group.display()
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .output()
        .expect("unshare runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("90-camdock.rules"),
        "udev did not read our rules: {text}"
    );
    let complaints: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("90-camdock.rules")
                && (l.contains("nvalid") || l.contains("rror") || l.contains("gnor"))
        })
        .collect();
    assert!(
        complaints.is_empty(),
        "udev complains about our rules: {complaints:?}"
    );
}
