//! Canonical records and event envelopes into a shape's words ([`words`]): keys are moved only
//! when present (a field a fault removed stays removed) and values a vocabulary does not know
//! (`up`, `yesterday`) pass through untranslated, so every fault still shows.

use contract::EventFamily;
use serde_json::{Map, Value, json};

use super::words::{self, column};
use crate::config::Shape;

/// Moves each key of `table` found in `v` to where `shape`'s column points, through `convert`
/// (which may drop it); keys the table does not name stay at the top level as they are.
fn translate(v: Value, table: &[[&str; 3]], shape: Shape, convert: impl Fn(&str, Value) -> Option<Value>) -> Value {
    let Value::Object(mut src) = v else { return v };
    let mut out = Map::new();
    for row in table {
        if let Some(value) = src.remove(row[0]).and_then(|value| convert(row[0], value)) {
            put(&mut out, row[column(shape)], value);
        }
    }
    out.extend(src);
    Value::Object(out)
}

/// Sets `pointer` in `out`, making the objects on the way; a `0` segment is an array of one object.
fn put(out: &mut Map<String, Value>, pointer: &str, value: Value) {
    let mut keys = pointer.trim_start_matches('/').split('/').peekable();
    let mut at = out;
    while let Some(key) = keys.next() {
        let Some(&next) = keys.peek() else {
            at.insert(key.to_owned(), value);
            return;
        };
        let slot = at.entry(key.to_owned());
        let child = if next == "0" {
            keys.next();
            let array = slot.or_insert_with(|| json!([{}]));
            array.get_mut(0)
        } else {
            Some(slot.or_insert_with(|| json!({})))
        };
        match child.and_then(Value::as_object_mut) {
            Some(child) => at = child,
            None => return,
        }
    }
}

/// Maps a string through a vocabulary; anything it does not know passes through as it is.
pub(super) fn vocab(v: Value, table: &[[&'static str; 3]], shape: Shape) -> Value {
    match v.as_str().and_then(|s| words::word(table, shape, s)) {
        Some(word) => Value::from(word),
        None => v,
    }
}

/// An RFC 3339 string as unix milliseconds divided by `unit_ms`; anything else as it is.
fn epoch(v: Value, unit_ms: i64) -> Value {
    match v.as_str().and_then(contract::parse_rfc3339_millis) {
        Some(ms) => Value::from(ms.div_euclid(unit_ms)),
        None => v,
    }
}

/// An account in `shape`'s words.
pub(super) fn account(shape: Shape, v: Value) -> Value {
    translate(v, words::ACCOUNT, shape, |_, v| Some(v))
}

/// A site in `shape`'s words.
pub(super) fn site(shape: Shape, v: Value) -> Value {
    translate(v, words::SITE, shape, |_, v| Some(v))
}

/// A device in `shape`'s words, its type only when `typed`.
pub(super) fn device(shape: Shape, v: Value, typed: bool) -> Value {
    let time = |v| match words::said(words::CONVENTIONS, shape, "rfc3339") {
        "epoch_ms" => epoch(v, 1),
        "epoch_s" => epoch(v, 1000),
        _ => v,
    };
    translate(v, words::DEVICE, shape, |key, v| match key {
        "status" => Some(vocab(v, words::STATUS, shape)),
        "type" => typed.then(|| vocab(v, words::DEVICE_TYPE, shape)),
        "last_seen" => Some(time(v)),
        _ => Some(v),
    })
}

/// An event body in `shape`'s words, its `data` through `data` (given the family, when known).
pub(super) fn event(shape: Shape, v: Value, data: impl Fn(Option<EventFamily>, Value) -> Value) -> Value {
    let family = v.get("event_type").and_then(Value::as_str).and_then(EventFamily::parse);
    translate(v, words::EVENT, shape, |key, v| match (key, family) {
        ("event_type", Some(f)) => Some(Value::from(words::event_type(shape, f))),
        ("data", _) => Some(data(family, v)),
        _ => Some(v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_leave_strangers_alone() {
        assert_eq!(vocab(Value::from("offline"), words::STATUS, Shape::Cursor), Value::from("deviceOffline"));
        assert_eq!(vocab(Value::from("down"), words::STATUS, Shape::Cursor), Value::from("down"));
        assert_eq!(epoch(Value::from("2026-02-04T14:32:00.250Z"), 1), Value::from(1_770_215_520_250_i64));
        assert_eq!(epoch(Value::from("2026-02-04T14:32:00.250Z"), 1000), Value::from(1_770_215_520_i64));
        assert_eq!(epoch(Value::from("yesterday"), 1), Value::from("yesterday"));
    }

    #[test]
    fn devices_are_renamed_in_each_shape_and_faulted_values_pass_through() {
        let canonical = json!({
            "device_id": "d", "name": "Panel", "type": "access_panel", "site_id": "s", "status": "degraded",
            "account_id": "a", "mac_address": "00:0f:e5:14:b2:1e", "ip": "10.0.0.2", "hostname": "h",
            "site_name": "S", "last_seen": "1970-01-01T00:00:01.500Z", "model": "m",
            "firmware_version": "1.0", "parent_id": "p"
        });
        assert_eq!(device(Shape::Canonical, canonical.clone(), true), canonical);
        assert_eq!(
            device(Shape::Cursor, canonical.clone(), true),
            json!({
                "id": "d", "name": "Panel", "deviceType": "accessController", "locationId": "s", "accountId": "a",
                "status": {"connectionStatus": "error"},
                "networkInfo": {"adapters": [{"macAddress": "00:0f:e5:14:b2:1e", "ipAddress": "10.0.0.2"}]},
                "hostname": "h", "locationName": "S", "lastSeenAt": 1500, "model": "m",
                "firmwareVersion": "1.0", "parentId": "p"
            })
        );
        assert!(device(Shape::Cursor, canonical.clone(), false).get("deviceType").is_none(), "cameras carry no type");
        assert_eq!(
            device(Shape::Link, canonical, true),
            json!({
                "serial": "d", "name": "Panel", "productType": "accessPanel", "network": {"id": "s"},
                "organizationId": "a", "status": "alerting", "mac": "00:0f:e5:14:b2:1e", "lanIp": "10.0.0.2",
                "hostname": "h", "networkName": "S", "lastReportedAt": 1, "model": "m", "firmware": "1.0",
                "parentSerial": "p"
            })
        );
        let faulted = json!({"device_id": "d", "status": "up", "last_seen": "yesterday"});
        assert_eq!(
            device(Shape::Cursor, faulted.clone(), true),
            json!({"id": "d", "status": {"connectionStatus": "up"}, "lastSeenAt": "yesterday"})
        );
        assert_eq!(
            device(Shape::Link, faulted, true),
            json!({"serial": "d", "status": "up", "lastReportedAt": "yesterday"})
        );
    }

    #[test]
    fn pointers_make_their_way_and_strangers_stay_on_top() {
        let mut out = Map::new();
        put(&mut out, "/a/b/0/c", json!(1));
        put(&mut out, "/a/b/0/d", json!(2));
        put(&mut out, "/e", json!(3));
        assert_eq!(Value::Object(out), json!({"a": {"b": [{"c": 1, "d": 2}]}, "e": 3}));
        let canonical = json!({"site_id": "s", "timezone": "UTC", "extra": true});
        assert_eq!(site(Shape::Link, canonical.clone()), json!({"id": "s", "timeZone": "UTC", "extra": true}));
        assert_eq!(site(Shape::Canonical, canonical.clone()), canonical);
    }
}
