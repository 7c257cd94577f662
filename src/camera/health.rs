//! Battery, storage and read health at dock, and the attention reasons an equipment manager sees.

use super::attention::Attention;
use crate::config::PolicyConfig;
pub use camdock_record::facts::Health;
use serde_json::json;
use std::path::Path;

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
    identity_flags: &[Attention],
) -> Vec<Attention> {
    let mut reasons = Vec::new();
    if let Some(b) = health.battery_percent
        && b < policy.low_battery_percent
    {
        let below = policy.low_battery_percent;
        reasons.push(Attention::new(
            "low-battery",
            json!({ "percent": b, "below": below }),
            format!("low battery: {b}% (below {below}%)"),
        ));
    }
    if let (Some(total), Some(free)) = (health.storage_total_bytes, health.storage_free_bytes)
        && total > 0
        && free * 100 < total * policy.low_free_percent as u64
    {
        let free_percent = free * 100 / total;
        reasons.push(Attention::new(
            "nearly-full",
            json!({ "free_percent": free_percent }),
            format!("storage nearly full: {free_percent}% free"),
        ));
    }
    match clock_offset_ms {
        Some(off) if off.unsigned_abs() as u128 > policy.clock_tolerance.as_millis() => {
            let (offset_s, tolerance_s) =
                (off as f64 / 1000.0, policy.clock_tolerance.as_secs_f64());
            reasons.push(Attention::new(
                "clock-drift",
                json!({ "offset_s": offset_s, "tolerance_s": tolerance_s }),
                format!("clock off by {offset_s:+.1} s (tolerance {tolerance_s} s)"),
            ));
        }
        None => reasons.push(Attention::plain(
            "clock-unknown",
            "clock unknown: camera reports no time",
        )),
        _ => {}
    }
    if health.fs_dirty == Some(true) {
        reasons.push(Attention::plain(
            "card-dirty",
            "card filesystem marked dirty: the card was removed while being written",
        ));
    }
    if health.read_errors > 0 {
        reasons.push(Attention::new(
            "read-errors",
            json!({ "count": health.read_errors }),
            format!("{} read error(s) at last dock", health.read_errors),
        ));
    }
    reasons.extend(identity_flags.iter().cloned());
    reasons
}
