//! Unit tests of the events suite.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::catalogue::catalogue_problems;
use super::families::{DataRule, data_violations, example_data, suggestion_hint};
use super::health::{Expected, arrivals};
use super::run::{distinct_events, envelope_violations};
use crate::act::Target;
use crate::context::{Delivery, Verification};

fn delivery(seq: u64, event: Value) -> Delivery {
    Delivery {
        seq,
        received_at_ms: 0,
        headers: vec![],
        body: event.to_string(),
        body_bytes: 0,
        verification: Verification::Valid { timestamp: None },
        event: Some(event.clone()),
        event_id: None,
        duplicate: false,
        answered: Some(200),
        path: "/webhook".into(),
    }
}

fn expected(device: &str) -> Expected {
    Expected {
        target: Target {
            site_id: "s".into(),
            device_id: device.into(),
            device_type: "camera".into(),
            status: "online".into(),
        },
        event_type: "health".into(),
        what: "offline".into(),
    }
}

#[test]
fn strays_stand_for_missing_events_once_per_event_id() {
    let known: BTreeSet<String> = ["d1", "d2"].map(String::from).into();
    let ev = |id: &str, device: &str| json!({"event_id": id, "event_type": "health", "device_id": device, "data": {"status": "offline"}});
    let all = vec![
        delivery(0, ev("old", "d1")),
        delivery(1, ev("e1", "d1")),
        delivery(2, ev("e2", "unknown")),
        delivery(3, ev("e2", "unknown")),
    ];
    let wanted = [expected("d1"), expected("d2")];
    let a = arrivals(&all, 1, &wanted, &known);
    assert_eq!(a.matched[0].as_ref().map(|d| d.seq), Some(1));
    assert!(a.matched[1].is_none());
    assert_eq!(a.strays.len(), 1, "one stray event, however many copies");
    assert!(a.covered());
    let a = arrivals(&all[..2], 1, &wanted, &known);
    assert!(!a.covered());
}

#[test]
fn family_data_is_judged_by_what_the_vendor_declares() {
    let declared = |schema: Value| DataRule::of(Some(&json!({"event_type": "access", "data_schema": schema})));
    // The vendor's own attributes: an access event with no `action`, an alarm severity `high`.
    let own = declared(
        json!({"type": "object", "required": ["result"], "properties": {"severity": {"enum": ["high", "low"]}}}),
    );
    assert!(data_violations(&own, &json!({"result": "granted", "severity": "high"})).is_empty());
    let wrong = data_violations(&own, &json!({"action": "granted", "severity": "major"}));
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong.iter().any(|(p, _)| p == "/data/severity"), "{wrong:?}");
    // Nothing declared: nothing judged, whatever the project would suggest.
    assert!(matches!(DataRule::of(None), DataRule::Undeclared));
    assert!(matches!(DataRule::of(Some(&json!({"event_type": "access"}))), DataRule::Undeclared));
    assert!(data_violations(&DataRule::Undeclared, &json!({"opened_by": "magic"})).is_empty());
    assert!(suggestion_hint("access", &json!({"opened_by": "magic"})).unwrap().contains("event-data-access.json"));
    assert_eq!(suggestion_hint("intercom", &json!({})), None);
    // A declaration that does not compile is reported as such, not a crash.
    assert!(matches!(declared(json!({"type": 7})), DataRule::Broken(_)));
}

#[test]
fn a_catalogue_data_schema_that_does_not_compile_is_an_evt_5_problem() {
    let entry = |name: &str, schema: Value| json!({"event_type": name, "description": "d", "data_schema": schema});
    let good = json!({"event_types": [entry("health", json!({"type": "object"})), entry("access", json!({"required": ["result"]}))]});
    let (listed, problems) = catalogue_problems(&good);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(listed.len(), 2);
    let broken =
        json!({"event_types": [entry("health", json!({"type": "object"})), entry("alarm", json!({"type": "severe"}))]});
    let (_, problems) = catalogue_problems(&broken);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "/event_types/1/data_schema");
    assert!(problems[0].1.contains("`alarm`"), "{problems:?}");
}

#[test]
fn the_envelope_is_judged_without_family_attributes_or_event_id() {
    let ev = |event_type: &str, data: Value| {
        json!({"event_id": "e", "event_type": event_type, "device_id": "d", "site_id": "s", "account_id": "a",
               "timestamp": "2026-02-04T14:32:00.123Z", "data": data})
    };
    assert!(envelope_violations(&ev("access", json!({"result": "granted"}))).is_empty(), "no `action` needed");
    assert!(envelope_violations(&ev("alarm", json!({"severity": "high"}))).is_empty(), "any severity");
    assert!(envelope_violations(&ev("intercom", json!({}))).is_empty());
    let mut no_id = ev("health", json!({"status": "offline"}));
    no_id.as_object_mut().unwrap().remove("event_id");
    assert!(envelope_violations(&no_id).is_empty(), "a missing event_id is EVT-3's, not EVT-2's");
    let ping = json!({"event_id": "p", "event_type": "ping", "timestamp": "2026-02-04T14:32:00Z", "account_id": "a"});
    assert!(envelope_violations(&ping).is_empty(), "{:?}", envelope_violations(&ping));
    let mut no_site = ev("alarm", json!({}));
    no_site.as_object_mut().unwrap().remove("site_id");
    assert!(!envelope_violations(&no_site).is_empty());
    assert!(!envelope_violations(&ev("health", json!({"state": "offline"}))).is_empty(), "EVT-1's `status`");
    assert!(!envelope_violations(&ev("video", json!("lost"))).is_empty(), "`data` is an object");
}

#[test]
fn a_reused_event_id_does_not_hide_another_event() {
    let first = json!({"event_id": "e1", "event_type": "health", "device_id": "d", "data": {"status": "offline"}});
    let other = json!({"event_id": "e1", "event_type": "alarm", "device_id": "d", "data": {}});
    let all = vec![delivery(0, first.clone()), delivery(1, first), delivery(2, other), delivery(3, json!({"x": 1}))];
    let events = distinct_events(&all, |_| true);
    let seqs: Vec<u64> = events.iter().map(|(d, _)| d.seq).collect();
    assert_eq!(seqs, [0, 2], "a retry is one event; another event under its id is another");
    assert_eq!(distinct_events(&all, |d| d.seq != 0).iter().map(|(d, _)| d.seq).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn every_canonical_family_has_example_data_in_the_suggested_shape() {
    for family in ["alarm", "access", "video"] {
        let data = example_data(family, None).unwrap();
        assert_eq!(suggestion_hint(family, &data), None, "{family}");
    }
    let entry = json!({"event_type": "intercom", "data_schema": {"examples": [{"call": "started"}]}});
    assert_eq!(example_data("intercom", Some(&entry)), Some(json!({"call": "started"})));
    assert_eq!(example_data("intercom", None), None);
    let own = json!({"event_type": "access", "data_schema": {"examples": [{"result": "granted"}]}});
    assert_eq!(example_data("access", Some(&own)), Some(json!({"result": "granted"})), "the vendor's example first");
}
