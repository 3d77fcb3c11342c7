//! Wire types for every payload of CONTRACT.md §1–§9, in the canonical shape.
//!
//! Parsing tolerates unknown fields (vendors add fields) and optional fields are `Option`.
//! Serialising skips absent optional fields, so what the mock vendor serves is exactly the
//! canonical shape.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::secret::Secret;

/// `GET /api/v1/account` (ACC-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub account_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// One site (SITE-1, SITE-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub site_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    /// An IANA time-zone name such as `America/Chicago`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// The canonical pagination block (CONTRACT.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    pub page: u64,
    pub per_page: u64,
    pub total_pages: u64,
    pub total_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SitesPage {
    pub sites: Vec<Site>,
    pub pagination: Pagination,
}

/// A device's health in the canonical vocabulary (INV-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceStatus {
    Online,
    Offline,
    Degraded,
    Unknown,
}

impl DeviceStatus {
    pub const ALL: [DeviceStatus; 4] = [Self::Online, Self::Offline, Self::Degraded, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Offline => "offline",
            Self::Degraded => "degraded",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for DeviceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The canonical device taxonomy (INV-1 `type`). Vendor kinds map onto these (MAP-1).
pub const DEVICE_TYPES: &[&str] =
    &["camera", "nvr", "access_panel", "door", "reader", "intrusion_panel", "sensor", "intercom", "bridge"];

/// One device of a site's inventory (INV-1 … INV-5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub device_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub device_type: String,
    pub site_id: String,
    pub status: DeviceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryPage {
    pub devices: Vec<Device>,
    pub pagination: Pagination,
}

/// The event families of CONTRACT.md §5 (EVT-1, EVT-4) and the ping of WHM-4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventFamily {
    Health,
    Alarm,
    Access,
    Video,
    Ping,
}

impl EventFamily {
    pub const ALL: [EventFamily; 5] = [Self::Health, Self::Alarm, Self::Access, Self::Video, Self::Ping];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::Alarm => "alarm",
            Self::Access => "access",
            Self::Video => "video",
            Self::Ping => "ping",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether events of this family are device events (EVT-2: a ping is not).
    pub fn is_device_event(self) -> bool {
        self != Self::Ping
    }
}

impl std::fmt::Display for EventFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthData {
    pub status: DeviceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<DeviceStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Whether a condition (alarm, video trouble) has started or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionState {
    Active,
    Cleared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Major,
    Minor,
    Info,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmData {
    /// `intrusion`, `tamper`, `trouble`, `fire`, `panic`, ...
    pub condition: String,
    pub state: ConditionState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    Granted,
    Denied,
    DoorForced,
    DoorHeld,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessData {
    pub action: AccessAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub door_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoCondition {
    RecordingFailure,
    StreamLoss,
    StorageIssue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoData {
    pub condition: VideoCondition,
    pub state: ConditionState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PingData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The typed `data` of one event family.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    Health(HealthData),
    Alarm(AlarmData),
    Access(AccessData),
    Video(VideoData),
    Ping(PingData),
}

impl EventData {
    pub fn family(&self) -> EventFamily {
        match self {
            Self::Health(_) => EventFamily::Health,
            Self::Alarm(_) => EventFamily::Alarm,
            Self::Access(_) => EventFamily::Access,
            Self::Video(_) => EventFamily::Video,
            Self::Ping(_) => EventFamily::Ping,
        }
    }

    pub fn to_value(&self) -> Value {
        let v = match self {
            Self::Health(d) => serde_json::to_value(d),
            Self::Alarm(d) => serde_json::to_value(d),
            Self::Access(d) => serde_json::to_value(d),
            Self::Video(d) => serde_json::to_value(d),
            Self::Ping(d) => serde_json::to_value(d),
        };
        v.expect("event data is plain data and always serialises")
    }
}

/// Why an event's `data` could not be read as its family's typed data.
#[derive(Debug, thiserror::Error)]
pub enum EventDataError {
    #[error("unknown event type `{0}`")]
    UnknownFamily(String),
    #[error("`data` does not match the `{family}` family: {source}")]
    Invalid {
        family: EventFamily,
        #[source]
        source: serde_json::Error,
    },
}

/// The event envelope of CONTRACT.md §5, for every family.
///
/// `event_type` and `data` stay untyped so that an event of a family this crate does not know
/// still parses (vendors may emit more families); [`Event::typed_data`] reads a known family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event_id: String,
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// RFC 3339 in UTC: when the change happened, not when it was delivered (EVT-2).
    pub timestamp: String,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    #[serde(default)]
    pub data: Value,
}

impl Event {
    /// An event whose `event_type` is taken from its data, so the two cannot disagree.
    pub fn new(
        event_id: impl Into<String>,
        timestamp: impl Into<String>,
        account_id: impl Into<String>,
        device: Option<(&str, &str)>,
        data: &EventData,
    ) -> Self {
        Self {
            event_id: event_id.into(),
            event_type: data.family().as_str().to_owned(),
            device_id: device.map(|(d, _)| d.to_owned()),
            timestamp: timestamp.into(),
            account_id: account_id.into(),
            site_id: device.map(|(_, s)| s.to_owned()),
            data: data.to_value(),
        }
    }

    pub fn family(&self) -> Option<EventFamily> {
        EventFamily::parse(&self.event_type)
    }

    pub fn typed_data(&self) -> Result<EventData, EventDataError> {
        let family = self.family().ok_or_else(|| EventDataError::UnknownFamily(self.event_type.clone()))?;
        EventData::parse(family, self.data.clone())
    }
}

impl EventData {
    /// Reads `data` as the typed data of `family` (a ping's data may be absent).
    pub fn parse(family: EventFamily, data: Value) -> Result<EventData, EventDataError> {
        let invalid = |source| EventDataError::Invalid { family, source };
        Ok(match family {
            EventFamily::Health => EventData::Health(serde_json::from_value(data).map_err(invalid)?),
            EventFamily::Alarm => EventData::Alarm(serde_json::from_value(data).map_err(invalid)?),
            EventFamily::Access => EventData::Access(serde_json::from_value(data).map_err(invalid)?),
            EventFamily::Video => EventData::Video(serde_json::from_value(data).map_err(invalid)?),
            EventFamily::Ping => {
                let data = if data.is_null() { Value::Object(Default::default()) } else { data };
                EventData::Ping(serde_json::from_value(data).map_err(invalid)?)
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStatus {
    Active,
    Inactive,
    /// Disabled by the vendor, for example after a 410 from the receiver (DLV-4).
    Disabled,
}

/// `POST /api/v1/webhooks` request body (WHM-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookCreate {
    pub name: String,
    pub target_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WebhookStatus>,
}

/// A webhook as listed: never with its secret (WHM-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub webhook_id: String,
    pub name: String,
    pub target_url: String,
    pub status: WebhookStatus,
}

/// `201` answer to a create: the only place the secret is ever shown (WHM-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub secret: Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// `202` answer to `POST /api/v1/webhooks/{id}/ping` (WHM-4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PingAccepted {
    pub event_id: String,
}

/// One entry of the event catalog (EVT-5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTypeInfo {
    pub event_type: String,
    pub description: String,
    pub data_schema: Value,
    /// Device types that emit this family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emitted_by: Option<Vec<String>>,
    /// Device types that do not (partial coverage, EVT-1 / FB-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_emitted_by: Option<Vec<String>>,
}

/// `GET /api/v1/event-types` (EVT-5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTypeCatalog {
    pub event_types: Vec<EventTypeInfo>,
}

/// The JSON error body every 4xx carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A machine code: `invalid_parameter`, `unauthorized`, `not_found`, `invalid_body`, ...
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ErrorBody {
    pub fn new(error: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: error.into(), message: message.into(), details: None }
    }
}
