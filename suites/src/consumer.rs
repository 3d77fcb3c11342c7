//! The reference consumer: the integrator's side of the contract, as a small state machine that
//! the fallback checks run and that explains, in a few rules, how an integrator stays correct
//! when webhooks are late, replayed, duplicated or lost (CONTRACT.md §10).
//!
//! The consumer keeps one row per device: its status, the time that status is known *as of*, and
//! where it came from. Two feeds write to it:
//!
//! 1. **Inventory** (a full sync at start-up, then polls to reconcile, FB-1, FB-3, FB-4): a page of
//!    inventory is what the vendor knew when it answered (INV-2), so a device's listed status
//!    holds as of the moment the request was sent.
//! 2. **Events** (webhook deliveries, FB-2): only deliveries whose signature verified are read
//!    (RPL-1); each `event_id` is processed at most once (EVT-3); a `health` event holds as of its
//!    `timestamp`, the time of the change (EVT-2).
//!
//! One rule joins them: **the latest observation wins**. An event or a poll changes a device only
//! when it is newer than what the row already holds, so a late retry or a replayed older event
//! never overwrites a newer status, and a poll that answered before an event was raised never
//! undoes it. Nothing is ever lost for good: whatever an outage swallowed, the next poll brings.
//!
//! The consumer takes times as arguments (inventory observations) or from the events
//! themselves, so it is deterministic under test. Event times are the vendor's clock and poll
//! times the integrator's; a production consumer should stamp polls with the vendor's clock (the
//! response's `Date`) when the two may drift. Devices the inventory never listed are not tracked:
//! an event about one is reported ([`Applied::UnknownDevice`]) and the next sync settles it.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use crate::context::{Delivery, Verification};

/// Where a device's current status came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An inventory sync or poll.
    Inventory,
    /// A `health` event.
    Event { event_id: String },
}

/// What the consumer holds about one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub site_id: Option<String>,
    pub status: String,
    /// Unix milliseconds the status is known as of: the poll's request time, or the event's
    /// `timestamp`.
    pub as_of_ms: i64,
    pub source: Source,
}

/// One device as an inventory page lists it (a canonical record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub device_id: String,
    pub site_id: Option<String>,
    pub status: String,
}

impl Observed {
    /// Reads a canonical device record; `None` without a `device_id` or a `status`.
    pub fn from_record(record: &Value) -> Option<Self> {
        Some(Self {
            device_id: record.get("device_id")?.as_str()?.to_owned(),
            site_id: record.get("site_id").and_then(Value::as_str).map(str::to_owned),
            status: record.get("status")?.as_str()?.to_owned(),
        })
    }
}

/// A status the consumer changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub device_id: String,
    /// `None` for a device seen for the first time.
    pub from: Option<String>,
    pub to: String,
}

/// Why an event was refused before it was processed (it does not count as seen, so a valid
/// copy can still be processed later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The receiver could not verify the signature (RPL-1): the content cannot be trusted.
    Unverified(String),
    NotJson,
    /// A field the consumer needs is missing or not a string.
    MissingField(&'static str),
    /// The `timestamp` is not RFC 3339.
    BadTimestamp(String),
}

/// What one event did to the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A `health` event newer than the row: the device's status is now `status` (maybe unchanged).
    Updated {
        device_id: String,
        from: String,
        status: String,
    },
    /// A `health` event no newer than the row (late or replayed): ignored.
    Stale {
        device_id: String,
        event_ms: i64,
        as_of_ms: i64,
    },
    /// This `event_id` was processed before: ignored.
    Duplicate {
        event_id: String,
    },
    /// Not a `health` event: remembered for dedupe, no status to change.
    Recorded {
        event_type: String,
    },
    /// A `health` event about a device the inventory never listed.
    UnknownDevice {
        device_id: String,
    },
    Rejected(Rejection),
}

/// The integrator's device status table.
#[derive(Debug, Clone, Default)]
pub struct Consumer {
    devices: BTreeMap<String, DeviceRow>,
    processed: HashSet<String>,
}

impl Consumer {
    pub fn new() -> Self {
        Self::default()
    }

    /// A full inventory sync requested at `observed_at_ms`: every listed device is observed, and
    /// devices no longer listed are forgotten (the inventory is the truth about which exist).
    pub fn sync(&mut self, observed_at_ms: i64, devices: impl IntoIterator<Item = Observed>) -> Vec<Change> {
        let listed: Vec<Observed> = devices.into_iter().collect();
        let keep: HashSet<&str> = listed.iter().map(|o| o.device_id.as_str()).collect();
        self.devices.retain(|id, _| keep.contains(id.as_str()));
        self.reconcile(observed_at_ms, listed)
    }

    /// A poll of part of the inventory (one site, one page) requested at `observed_at_ms`: each
    /// listed device takes the listed status unless the row holds a newer observation.
    pub fn reconcile(&mut self, observed_at_ms: i64, devices: impl IntoIterator<Item = Observed>) -> Vec<Change> {
        let mut changes = Vec::new();
        for o in devices {
            let from = match self.devices.get(&o.device_id) {
                Some(row) if row.as_of_ms >= observed_at_ms => continue,
                Some(row) => Some(row.status.clone()),
                None => None,
            };
            if from.as_deref() != Some(o.status.as_str()) {
                changes.push(Change { device_id: o.device_id.clone(), from, to: o.status.clone() });
            }
            let row =
                DeviceRow { site_id: o.site_id, status: o.status, as_of_ms: observed_at_ms, source: Source::Inventory };
            self.devices.insert(o.device_id, row);
        }
        changes
    }

    /// One webhook delivery as the receiver recorded it: refused unless its signature verified.
    pub fn deliver(&mut self, delivery: &Delivery) -> Applied {
        match &delivery.verification {
            Verification::Valid { .. } => {}
            Verification::Invalid { reason } => return Applied::Rejected(Rejection::Unverified(reason.clone())),
            Verification::NoSecret => {
                return Applied::Rejected(Rejection::Unverified("the receiver holds no secret".into()));
            }
        }
        match &delivery.event {
            Some(event) => self.apply(event),
            None => Applied::Rejected(Rejection::NotJson),
        }
    }

    /// One event whose delivery has been verified.
    pub fn apply(&mut self, event: &Value) -> Applied {
        let field = |name: &'static str| event.get(name).and_then(Value::as_str).ok_or(Rejection::MissingField(name));
        let (event_id, event_type) = match (field("event_id"), field("event_type")) {
            (Ok(id), Ok(ty)) => (id, ty),
            (Err(r), _) | (_, Err(r)) => return Applied::Rejected(r),
        };
        if event_type != "health" {
            if !self.processed.insert(event_id.to_owned()) {
                return Applied::Duplicate { event_id: event_id.to_owned() };
            }
            return Applied::Recorded { event_type: event_type.to_owned() };
        }
        let device_id = match field("device_id") {
            Ok(d) => d,
            Err(r) => return Applied::Rejected(r),
        };
        let Some(status) = event.pointer("/data/status").and_then(Value::as_str) else {
            return Applied::Rejected(Rejection::MissingField("data.status"));
        };
        let timestamp = match field("timestamp") {
            Ok(t) => t,
            Err(r) => return Applied::Rejected(r),
        };
        let Some(event_ms) = contract::parse_rfc3339_millis(timestamp) else {
            return Applied::Rejected(Rejection::BadTimestamp(timestamp.to_owned()));
        };
        if !self.processed.insert(event_id.to_owned()) {
            return Applied::Duplicate { event_id: event_id.to_owned() };
        }
        let Some(row) = self.devices.get_mut(device_id) else {
            return Applied::UnknownDevice { device_id: device_id.to_owned() };
        };
        if event_ms <= row.as_of_ms {
            return Applied::Stale { device_id: device_id.to_owned(), event_ms, as_of_ms: row.as_of_ms };
        }
        let from = std::mem::replace(&mut row.status, status.to_owned());
        row.as_of_ms = event_ms;
        row.source = Source::Event { event_id: event_id.to_owned() };
        Applied::Updated { device_id: device_id.to_owned(), from, status: status.to_owned() }
    }

    pub fn device(&self, device_id: &str) -> Option<&DeviceRow> {
        self.devices.get(device_id)
    }

    /// The device's status as the integrator knows it.
    pub fn status(&self, device_id: &str) -> Option<&str> {
        self.devices.get(device_id).map(|r| r.status.as_str())
    }

    /// How many devices are tracked.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const D: &str = "652efeac-8567-4253-9d61-bbc842863d33";
    /// 2026-02-04T14:32:00Z.
    const T: i64 = 1_770_215_520_000;

    fn seen(status: &str) -> Observed {
        Observed { device_id: D.into(), site_id: Some("s".into()), status: status.into() }
    }

    fn health(id: &str, at_ms: i64, status: &str) -> Value {
        json!({"event_id": id, "event_type": "health", "device_id": D, "site_id": "s", "account_id": "a",
               "timestamp": contract::rfc3339_millis(at_ms), "data": {"status": status}})
    }

    fn delivery(body: &Value, verification: Verification) -> Delivery {
        Delivery {
            seq: 0,
            received_at_ms: 0,
            headers: vec![],
            body: body.to_string(),
            body_bytes: 0,
            verification,
            event: Some(body.clone()),
            event_id: None,
            duplicate: false,
            answered: Some(200),
            path: "/webhook".into(),
        }
    }

    /// Feeds `steps` to a consumer that synced `online` at `T` and returns its final status.
    fn check(steps: &[Value], expected: &str) {
        let mut c = Consumer::new();
        c.sync(T, [seen("online")]);
        for step in steps {
            c.apply(step);
        }
        assert_eq!(c.status(D), Some(expected), "{steps:#?}");
    }

    #[test]
    fn the_latest_timestamp_wins_whatever_the_arrival_order() {
        let older = health("e1", T + 1_000, "offline");
        let newer = health("e2", T + 2_000, "online");
        check(&[older.clone(), newer.clone()], "online");
        check(&[newer.clone(), older.clone()], "online");
        check(&[newer, older.clone(), older], "online");
        check(&[health("e3", T - 1, "offline")], "online");
    }

    #[test]
    fn each_event_id_is_processed_once() {
        let mut c = Consumer::new();
        c.sync(T, [seen("online")]);
        assert!(matches!(c.apply(&health("e1", T + 1, "offline")), Applied::Updated { .. }));
        assert_eq!(c.apply(&health("e1", T + 5, "online")), Applied::Duplicate { event_id: "e1".into() });
        assert_eq!(c.status(D), Some("offline"));
    }

    #[test]
    fn a_stale_event_reports_both_times() {
        let mut c = Consumer::new();
        c.sync(T, [seen("online")]);
        assert_eq!(
            c.apply(&health("e1", T - 10, "offline")),
            Applied::Stale { device_id: D.into(), event_ms: T - 10, as_of_ms: T }
        );
    }

    #[test]
    fn polling_reconciles_what_an_outage_swallowed_and_never_undoes_a_newer_event() {
        let mut c = Consumer::new();
        c.sync(T, [seen("online")]);
        // The device went offline during an outage: no event came, the poll shows it.
        let changes = c.reconcile(T + 5_000, [seen("offline")]);
        assert_eq!(changes, [Change { device_id: D.into(), from: Some("online".into()), to: "offline".into() }]);
        // The missed event arrives after recovery: it is older than the poll, nothing changes.
        assert!(matches!(c.apply(&health("e1", T + 1_000, "offline")), Applied::Stale { .. }));
        // A newer event wins; a poll sent before it answered does not undo it.
        assert!(matches!(c.apply(&health("e2", T + 9_000, "online")), Applied::Updated { .. }));
        assert!(c.reconcile(T + 8_000, [seen("offline")]).is_empty());
        assert_eq!(c.status(D), Some("online"));
        assert_eq!(c.device(D).unwrap().source, Source::Event { event_id: "e2".into() });
    }

    #[test]
    fn a_full_sync_forgets_devices_no_longer_listed() {
        let mut c = Consumer::new();
        c.sync(T, [seen("online"), Observed { device_id: "gone".into(), site_id: None, status: "online".into() }]);
        assert_eq!(c.len(), 2);
        c.sync(T + 1, [seen("online")]);
        assert_eq!(c.len(), 1);
        assert!(c.status("gone").is_none());
    }

    #[test]
    fn unverified_or_malformed_deliveries_are_refused_and_not_remembered() {
        let mut c = Consumer::new();
        c.sync(T, [seen("online")]);
        let event = health("e1", T + 1, "offline");
        let forged = delivery(&event, Verification::Invalid { reason: "signature mismatch".into() });
        assert!(matches!(c.deliver(&forged), Applied::Rejected(Rejection::Unverified(_))));
        assert!(matches!(c.deliver(&delivery(&event, Verification::NoSecret)), Applied::Rejected(_)));
        // The genuine copy is still processed.
        let genuine = delivery(&event, Verification::Valid { timestamp: None });
        assert!(matches!(c.deliver(&genuine), Applied::Updated { .. }));
        let mut no_time = health("e2", T, "online");
        no_time["timestamp"] = json!("yesterday");
        assert_eq!(c.apply(&no_time), Applied::Rejected(Rejection::BadTimestamp("yesterday".into())));
        no_time.as_object_mut().unwrap().remove("event_id");
        assert_eq!(c.apply(&no_time), Applied::Rejected(Rejection::MissingField("event_id")));
        let mut no_status = health("e3", T + 2, "online");
        no_status["data"] = json!({});
        assert_eq!(c.apply(&no_status), Applied::Rejected(Rejection::MissingField("data.status")));
        assert_eq!(c.status(D), Some("offline"));
    }

    #[test]
    fn other_families_are_deduped_but_change_no_status() {
        let mut c = Consumer::new();
        c.sync(T, [seen("online")]);
        let alarm = json!({"event_id": "a1", "event_type": "alarm", "device_id": D, "timestamp": "2026-02-04T14:33:00Z",
                           "account_id": "a", "site_id": "s", "data": {"condition": "intrusion", "state": "active"}});
        assert_eq!(c.apply(&alarm), Applied::Recorded { event_type: "alarm".into() });
        assert_eq!(c.apply(&alarm), Applied::Duplicate { event_id: "a1".into() });
        assert_eq!(c.status(D), Some("online"));
    }

    #[test]
    fn events_about_unknown_devices_are_reported() {
        let mut c = Consumer::new();
        let mut event = health("e1", T, "offline");
        event["device_id"] = json!("not-in-inventory");
        assert_eq!(c.apply(&event), Applied::UnknownDevice { device_id: "not-in-inventory".into() });
    }

    #[test]
    fn non_utc_offsets_are_read_as_the_same_instant() {
        let mut c = Consumer::new();
        c.sync(T, [seen("online")]);
        let mut event = health("e1", 0, "offline");
        event["timestamp"] = json!("2026-02-04T16:32:00.001+02:00");
        assert!(matches!(c.apply(&event), Applied::Updated { .. }));
        assert_eq!(c.device(D).unwrap().as_of_ms, T + 1);
    }
}
