//! The shapes' words for the contract's, side by side: one row per canonical key or value, one
//! column per shape (canonical, cursor, link). Keys are JSON Pointers into the shaped record.

use contract::EventFamily;

use crate::config::Shape;

/// A table's column for `shape`.
pub(super) fn column(shape: Shape) -> usize {
    match shape {
        Shape::Canonical => 0,
        Shape::Cursor => 1,
        Shape::Link => 2,
    }
}

/// Conventions: the page size and page token query parameters, the word for a site in an inventory 404,
/// and how `last_seen` is written (RFC 3339, epoch milliseconds, epoch seconds).
pub(super) const CONVENTIONS: &[[&str; 3]] = &[
    ["per_page", "pageSize", "perPage"],
    ["page", "pageToken", "startingAfter"],
    ["site", "location", "network"],
    ["rfc3339", "epoch_ms", "epoch_s"],
];

/// The account (`GET /account`, `/users/self`, `/organization`).
pub(super) const ACCOUNT: &[[&str; 3]] = &[["account_id", "/accountId", "/id"], ["name", "/accountName", "/name"]];

/// A site: both vendor shapes name it alike.
pub(super) const SITE: &[[&str; 3]] = &[
    ["site_id", "/id", "/id"],
    ["name", "/name", "/name"],
    ["address", "/address", "/address"],
    ["coordinates", "/coordinates", "/coordinates"],
    ["timezone", "/timeZone", "/timeZone"],
];

/// A device. Cursor cameras carry no type (their endpoint is their type).
pub(super) const DEVICE: &[[&str; 3]] = &[
    ["device_id", "/id", "/serial"],
    ["name", "/name", "/name"],
    ["type", "/deviceType", "/productType"],
    ["site_id", "/locationId", "/network/id"],
    ["account_id", "/accountId", "/organizationId"],
    ["status", "/status/connectionStatus", "/status"],
    ["mac_address", "/networkInfo/adapters/0/macAddress", "/mac"],
    ["ip", "/networkInfo/adapters/0/ipAddress", "/lanIp"],
    ["hostname", "/hostname", "/hostname"],
    ["site_name", "/locationName", "/networkName"],
    ["last_seen", "/lastSeenAt", "/lastReportedAt"],
    ["model", "/model", "/model"],
    ["firmware_version", "/firmwareVersion", "/firmware"],
    ["parent_id", "/parentId", "/parentSerial"],
];

/// An event's envelope; what goes inside `data` is each shape's own.
pub(super) const EVENT: &[[&str; 3]] = &[
    ["event_id", "/id", "/alertId"],
    ["event_type", "/type", "/alertType"],
    ["device_id", "/actorId", "/deviceSerial"],
    ["account_id", "/accountId", "/organizationId"],
    ["site_id", "/locationId", "/networkId"],
    ["timestamp", "/startTimestamp", "/occurredAt"],
    ["data", "/data", "/alertData"],
];

/// Device statuses (INV-2).
pub(super) const STATUS: &[[&str; 3]] = &[
    ["online", "online", "online"],
    ["offline", "deviceOffline", "offline"],
    ["degraded", "error", "alerting"],
    ["unknown", "unknown", "dormant"],
];

/// Device kinds.
pub(super) const DEVICE_TYPE: &[[&str; 3]] = &[
    ["camera", "camera", "camera"],
    ["nvr", "recorder", "recorder"],
    ["access_panel", "accessController", "accessPanel"],
    ["door", "door", "door"],
    ["reader", "cardReader", "reader"],
    ["intrusion_panel", "alarmPanel", "intrusionPanel"],
    ["sensor", "sensor", "sensor"],
];

/// Event types, in bodies and in the event catalogue.
const EVENT_TYPE: &[[&str; 3]] = &[
    ["health", "deviceStatusUpdateEvent.v1", "deviceStatusChanged"],
    ["alarm", "alarmEvent.v1", "alarm"],
    ["access", "accessEvent.v1", "accessEvent"],
    ["video", "videoEvent.v1", "videoEvent"],
    ["ping", "webhookTest.v1", "webhookTest"],
];

/// The `event_type` `shape` gives `family`.
pub(super) fn event_type(shape: Shape, family: EventFamily) -> &'static str {
    let row = EVENT_TYPE.iter().find(|row| row[0] == family.as_str()).expect("every family has a row");
    row[column(shape)]
}

/// `shape`'s word for `word` of a table that has a row for it.
pub(super) fn said(table: &[[&'static str; 3]], shape: Shape, word: &str) -> &'static str {
    self::word(table, shape, word).expect("the table has a row for every word it is asked")
}

/// `word` of `table` in `shape`'s column, when the table knows it.
pub(super) fn word(table: &[[&'static str; 3]], shape: Shape, word: &str) -> Option<&'static str> {
    table.iter().find(|row| row[0] == word).map(|row| row[column(shape)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_its_canonical_name_in_the_first_column() {
        for family in EventFamily::ALL {
            assert_eq!(event_type(Shape::Canonical, family), family.as_str());
        }
        assert_eq!(event_type(Shape::Cursor, EventFamily::Health), "deviceStatusUpdateEvent.v1");
        assert_eq!(event_type(Shape::Link, EventFamily::Ping), "webhookTest");
    }

    #[test]
    fn every_device_kind_and_status_has_a_row() {
        for kind in crate::fleet::Kind::ALL {
            assert!(word(DEVICE_TYPE, Shape::Link, kind.as_str()).is_some(), "{kind:?}");
        }
        for status in contract::DeviceStatus::ALL {
            assert!(word(STATUS, Shape::Cursor, status.as_str()).is_some(), "{status:?}");
        }
    }
}
