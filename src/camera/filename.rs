//! The clip file names a camera writes (`camdock_card::file_name`), and what their numbers tell an
//! equipment manager.

pub use camdock_card::file_name::*;

use super::attention::Attention;
use serde_json::json;

/// The item an equipment manager reads for one finding in a camera's clip numbers.
pub fn describe(finding: &SequenceFinding) -> Attention {
    match *finding {
        SequenceFinding::Missing(a, b) => Attention::new(
            "clips-missing",
            json!({ "first": format!("{a:04}"), "last": format!("{b:04}") }),
            if a == b {
                format!("clip number {a:04} missing on the camera (a possible deletion to explain)")
            } else {
                format!(
                    "clip numbers {a:04}-{b:04} missing on the camera (a possible deletion to explain)"
                )
            },
        ),
        SequenceFinding::Reset { from, to } => Attention::new(
            "counter-reset",
            json!({ "from": format!("{from:04}"), "to": format!("{to:04}") }),
            format!(
                "clip counter went back from {from:04} to {to:04} without reaching 9999 (reset: clips after {from:04} may be gone)"
            ),
        ),
    }
}
