//! Making the vendor act (`Trigger`): the actions a check asks for and why one could not be done.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a check wants the vendor to do (CONTRACT.md §12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Make a device's health change.
    DeviceStatus { site_id: String, device_id: String, status: String },
    /// Make a device emit an event of a family (`alarm`, `access`, `video`).
    DeviceEvent { site_id: String, device_id: String, event_type: String, data: Value },
    /// Make the vendor send a ping to a webhook (WHM-4), for vendors whose ping is not an API
    /// call (a console button, a CLI): a trigger with a ping command does it.
    Ping { webhook_id: String },
}

/// Why a trigger could not act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// This trigger cannot do that action: the check is skipped.
    #[error("the `{trigger}` trigger cannot {action}")]
    Unsupported { trigger: &'static str, action: String },
    /// An operator prompt in a non-interactive run: the check is skipped.
    #[error("an operator is needed but the run is non-interactive")]
    NonInteractive,
    /// The trigger tried and failed: the check errors.
    #[error("trigger failed: {0}")]
    Failed(String),
    /// The vendor's own tooling does not know a device its inventory lists (ids that change or
    /// are not the tooling's): the check is skipped, the inventory checks report the ids.
    #[error("the vendor's tooling does not know device {device_id}, which its inventory lists: {detail}")]
    UnknownDevice { device_id: String, detail: String },
}

/// A way to make the vendor act.
#[async_trait]
pub trait Trigger: Send + Sync + std::fmt::Debug {
    /// `command`, `mock-control`, `ping`, `prompt`, `passive`.
    fn kind(&self) -> &'static str;
    /// Does it (or asks for it). Returns a one-line description of what was done, for evidence.
    async fn act(&self, action: &Action) -> Result<String, TriggerError>;
}
