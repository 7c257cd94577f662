//! The files a real station installs: udev rules and systemd units, checked by their own tools.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `systemd-analyze verify` of a unit (its ExecStart pointed at the built binary, which must
/// exist) and its exposure score, which must stay at or below `max_exposure`.
fn verify_unit(name: &str, max_exposure: f64) {
    let dir = tempfile::tempdir().unwrap();
    for unit in [
        "camdock.service",
        "camdock-clock.service",
        "camdock-clock.path",
        "camdock-hub.service",
    ] {
        let text = std::fs::read_to_string(root().join("systemd").join(unit)).unwrap();
        let text = text.replace("/usr/bin/camdock", env!("CARGO_BIN_EXE_camdock"));
        std::fs::write(dir.path().join(unit), text).unwrap();
    }
    let path = dir.path().join(name);
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
        "systemd-analyze verify {name}: {err}"
    );
    if name.ends_with(".service") {
        let threshold = format!("--threshold={}", (max_exposure * 10.0) as u32);
        let security = Command::new("systemd-analyze")
            .args(["security", "--offline=yes", &threshold])
            .arg(&path)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&security.stdout);
        println!("{name}: {}", report.lines().last().unwrap_or_default());
        assert!(
            security.status.success(),
            "{name}: exposure above {max_exposure}: {report}"
        );
    }
}

#[test]
fn the_daemon_unit_verifies_and_stays_hardened() {
    verify_unit("camdock.service", 5.0);
}

/// The privileged clock window: root with CAP_SYS_ADMIN (remount) and CAP_DAC_OVERRIDE only.
#[test]
fn the_clock_window_units_verify() {
    verify_unit("camdock-clock.path", 0.0);
    verify_unit("camdock-clock.service", 5.0);
}

/// The bureau's hub: no capability, no device; the network for its database, bucket and dashboard.
#[test]
fn the_hub_unit_verifies_and_stays_hardened() {
    verify_unit("camdock-hub.service", 2.5);
}

/// The hub's shipped config reads, serves its dashboard on loopback only, and names a database.
#[test]
fn the_config_shipped_for_a_hub_is_valid() {
    let text = std::fs::read_to_string(root().join("systemd/hub.toml")).unwrap();
    let config = camdock::config::Config::from_toml(&text).unwrap();
    assert!(!config.hub.database.is_empty());
    let listen: std::net::SocketAddr = config.hub.listen.parse().unwrap();
    assert!(listen.ip().is_loopback());
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
