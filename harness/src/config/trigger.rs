//! `[trigger]`: how the harness makes the vendor act (CONTRACT.md §12).

use contract::Secret;
use serde::{Deserialize, Serialize};

/// How the harness makes the vendor act (CONTRACT.md §12).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TriggerConfig {
    /// Run a program (no shell); `{action}`, `{site_id}`, `{device_id}`, `{status}`,
    /// `{event_type}`, `{webhook_id}` and `{data}` (the data the check asks for, as JSON) in the
    /// arguments are replaced. Exit status 0 means done. One command per action
    /// (`status_argv`: a device's health; `event_argv`: a family event; `ping_argv`: a ping to
    /// a webhook), with `argv` for every action that has none of its own.
    Command {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status_argv: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_argv: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ping_argv: Option<Vec<String>>,
        #[serde(default = "default_command_timeout")]
        timeout_secs: u64,
    },
    /// The mock vendor's control API (`POST {admin_url}/_mock/devices/{id}/status|events`),
    /// authorised by `X-Admin-Token`: from the environment variable `admin_token_env`, or
    /// `admin_token` inline (the embedded demo mock, whose token is made up per run).
    MockControl {
        admin_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        admin_token_env: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        admin_token: Option<Secret>,
    },
    /// Only the ping extension (WHM-4): no device changes.
    Ping,
    /// Print what to do and wait for the operator (skipped in non-interactive runs).
    Prompt {
        #[serde(default = "default_prompt_wait")]
        wait_secs: u64,
    },
    /// Wait for organic events only.
    #[default]
    Passive,
}

fn default_command_timeout() -> u64 {
    60
}

fn default_prompt_wait() -> u64 {
    120
}
