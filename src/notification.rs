//! Telling people: a command (arguments passed as-is, never through a shell) and/or a webhook
//! (JSON POST). A failed notification is itself recorded, so nobody relies on one that never came.

use crate::config::NotifyConfig;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// Sends one notification. `{kind}`, `{camera}`, `{clip}` and `{detail}` in command arguments are
/// replaced by the event's values; the webhook receives the whole event as JSON.
pub fn send(
    config: &NotifyConfig,
    kind: &str,
    camera: Option<&str>,
    clip: Option<&str>,
    detail: &Value,
) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some((program, args)) = config.command.split_first() {
        let fill = |a: &String| {
            a.replace("{kind}", kind)
                .replace("{camera}", camera.unwrap_or(""))
                .replace("{clip}", clip.unwrap_or(""))
                .replace("{detail}", &detail.to_string())
        };
        match Command::new(program).args(args.iter().map(fill)).status() {
            Ok(s) if s.success() => {}
            Ok(s) => failures.push(format!("notification command {program} exited with {s}")),
            Err(e) => failures.push(format!("notification command {program} could not run: {e}")),
        }
    }
    if let Some(url) = config.webhook.as_deref().filter(|u| !u.is_empty()) {
        let body =
            serde_json::json!({ "kind": kind, "camera": camera, "clip": clip, "detail": detail });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        if let Err(e) = agent.post(url).send_json(&body) {
            failures.push(format!("webhook {url} failed: {e}"));
        }
    }
    failures
}
