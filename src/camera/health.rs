//! Battery, storage and read health at dock, and the attention reasons an equipment manager sees.

use crate::config::PolicyConfig;
use serde::Serialize;
use std::path::Path;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Health {
    pub battery_percent: Option<u8>,
    pub storage_total_bytes: Option<u64>,
    pub storage_free_bytes: Option<u64>,
    pub firmware: Option<String>,
    /// The card's FAT/exFAT "dirty" flag, where the card is a mount we can read.
    pub fs_dirty: Option<bool>,
    pub read_errors: u32,
    /// Read throughput from the card this dock, MB/s (a slowing card is failing).
    pub read_mb_per_s: Option<f64>,
}

/// Total and free bytes of the filesystem holding the volume.
pub fn storage(volume: &Path) -> Option<(u64, u64)> {
    let s = rustix::fs::statvfs(volume).ok()?;
    Some((s.f_blocks * s.f_frsize, s.f_bavail * s.f_frsize))
}

/// Why a camera needs attention, in words an equipment manager understands.
pub fn attention(
    policy: &PolicyConfig,
    health: &Health,
    clock_offset_ms: Option<i64>,
    identity_flags: &[String],
) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(b) = health.battery_percent {
        if b < policy.low_battery_percent {
            reasons.push(format!(
                "low battery: {b}% (below {}%)",
                policy.low_battery_percent
            ));
        }
    }
    if let (Some(total), Some(free)) = (health.storage_total_bytes, health.storage_free_bytes) {
        if total > 0 && free * 100 < total * policy.low_free_percent as u64 {
            reasons.push(format!("storage nearly full: {}% free", free * 100 / total));
        }
    }
    match clock_offset_ms {
        Some(off) if off.unsigned_abs() as u128 > policy.clock_tolerance.as_millis() => {
            reasons.push(format!(
                "clock off by {:+.1} s (tolerance {} s)",
                off as f64 / 1000.0,
                policy.clock_tolerance.as_secs_f64()
            ));
        }
        None => reasons.push("clock unknown: camera reports no time".to_string()),
        _ => {}
    }
    if health.fs_dirty == Some(true) {
        reasons.push(
            "card filesystem marked dirty: the card was removed while being written".to_string(),
        );
    }
    if health.read_errors > 0 {
        reasons.push(format!("{} read error(s) at last dock", health.read_errors));
    }
    reasons.extend(identity_flags.iter().cloned());
    reasons
}
