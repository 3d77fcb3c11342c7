//! Every data and event fault shows through the non-canonical shapes as it does canonically: the
//! records and deliveries a fault breaks, found through each shape's own keys.

mod common;

use std::collections::BTreeSet;

use common::shaped::{WAIT, cursor_walk, link_walk, start, subscribe};
use common::{Mock, Receiver};
use mock_vendor::Shape;
use serde_json::{Value, json};

/// Where a shape keeps what the data faults break, as JSON Pointers into its records.
struct Keys {
    device_id: &'static str,
    device_type: &'static str,
    status: &'static str,
    mac: &'static str,
    last_seen: &'static str,
    parent: &'static str,
    site: &'static str,
}

impl Keys {
    fn of(shape: Shape) -> Self {
        match shape {
            Shape::Cursor => Self {
                device_id: "/id",
                device_type: "/deviceType",
                status: "/status/connectionStatus",
                mac: "/networkInfo/adapters/0/macAddress",
                last_seen: "/lastSeenAt",
                parent: "/parentId",
                site: "/locationId",
            },
            Shape::Link => Self {
                device_id: "/serial",
                device_type: "/productType",
                status: "/status",
                mac: "/mac",
                last_seen: "/lastReportedAt",
                parent: "/parentSerial",
                site: "/network/id",
            },
            Shape::Canonical => unreachable!("the canonical shape has its own probe in symptoms.rs"),
        }
    }
}

async fn shaped_sites(m: &Mock, shape: Shape, account: usize) -> (u16, Vec<Value>) {
    let (status, _, body) = match shape {
        Shape::Cursor => m.get(account, "/api/v3/locations?pageSize=500").await,
        _ => m.get(account, "/api/v1/networks?perPage=500").await,
    };
    let items = match shape {
        Shape::Cursor => body["results"].as_array().cloned(),
        _ => body.as_array().cloned(),
    };
    (status, items.unwrap_or_default())
}

/// One site's whole inventory (both endpoints in `cursor`), and the worst status answered.
async fn shaped_devices(m: &Mock, shape: Shape, site: &str) -> (u16, Vec<Value>) {
    let paths = match shape {
        Shape::Cursor => vec![
            format!("/api/v3/cameras?locationId={site}&pageSize=500"),
            format!("/api/v3/devices?locationId={site}&pageSize=500"),
        ],
        _ => vec![format!("/api/v1/networks/{site}/devices?perPage=500")],
    };
    let (mut worst, mut items) = (200, Vec::new());
    for path in paths {
        let (status, _, body) = m.get(0, &path).await;
        worst = worst.max(status);
        let page = if shape == Shape::Cursor { body["results"].as_array().cloned() } else { body.as_array().cloned() };
        items.extend(page.unwrap_or_default());
    }
    (worst, items)
}

/// A walk at page size 1 of the account's first populated site.
async fn walk_of_one(m: &Mock, shape: Shape, site: &str) -> Vec<Value> {
    match shape {
        Shape::Cursor => cursor_walk(m, &format!("/api/v3/devices?locationId={site}"), 1).await.items,
        _ => link_walk(m, &format!("/api/v1/networks/{site}/devices"), 1).await.items,
    }
}

/// Whether `fault`'s symptom shows through `shape`: the data faults, whose symptom is in the
/// translated records rather than in a format of the shape's own.
async fn shaped_symptom(m: &Mock, shape: Shape, fault: &str) -> bool {
    let k = Keys::of(shape);
    let (_, sites) = shaped_sites(m, shape, 0).await;
    let site = sites[0]["id"].as_str().unwrap().to_owned();
    let (status, devices) = shaped_devices(m, shape, &site).await;
    let any = |f: &dyn Fn(&Value) -> bool| devices.iter().any(f);
    match fault {
        "account-missing-name" => {
            let (path, name) = if shape == Shape::Cursor {
                ("/api/v3/users/self", "accountName")
            } else {
                ("/api/v1/organization", "name")
            };
            m.get(0, path).await.2.get(name).is_none()
        }
        "account-not-json" => {
            let path = match shape {
                Shape::Cursor => "/api/v3/users/self",
                Shape::Link => "/api/v1/organization",
                Shape::Canonical => "/api/v1/account",
            };
            let (status, headers, body) = m.get(0, path).await;
            status == 200 && body.is_null() && headers["content-type"].to_str().unwrap().starts_with("text/html")
        }
        "site-missing-descriptor" => sites.iter().all(|s| s.get("address").is_none() && s.get("coordinates").is_none()),
        "site-no-timezone" => sites.iter().all(|s| s.get("timeZone").is_none()),
        // Cursor cameras are typed by their endpoint: the field is only on `/devices`.
        "device-missing-type" => !any(&|d| d.pointer(k.device_type).is_some()),
        "duplicate-device-id" => {
            let ids: BTreeSet<_> =
                devices.iter().map(|d| d.pointer(k.device_id).unwrap().clone().to_string()).collect();
            ids.len() < devices.len()
        }
        "bad-mac-format" => any(&|d| d.pointer(k.mac).and_then(Value::as_str).is_some_and(|m| !m.contains(':'))),
        "bad-status-value" => any(&|d| matches!(d.pointer(k.status).and_then(Value::as_str), Some("up" | "down"))),
        "bad-last-seen" => any(&|d| d.pointer(k.last_seen) == Some(&json!("yesterday"))),
        "dangling-parent" => any(&|d| d.pointer(k.parent) == Some(&json!("00000000-0000-4000-8000-00000000dead"))),
        "device-wrong-site" => any(&|d| d.pointer(k.site) != Some(&json!(site))),
        "unstable-ids" => {
            let again = shaped_devices(m, shape, &site).await.1;
            devices.first().and_then(|d| d.pointer(k.device_id)) != again.first().and_then(|d| d.pointer(k.device_id))
        }
        "non-uuid-ids" => {
            any(&|d| d.pointer(k.device_id).and_then(Value::as_str).is_some_and(|id| id.starts_with("dev-")))
        }
        "page-duplicate-item" => {
            let walked = walk_of_one(m, shape, &site).await;
            let unique: BTreeSet<_> = walked.iter().map(|d| d.pointer(k.device_id).unwrap().to_string()).collect();
            unique.len() < walked.len()
        }
        "page-skip-item" => {
            // The walk covers `/devices` only in `cursor`: the devices that carry a type.
            let expected = devices.iter().filter(|d| d.pointer(k.device_type).is_some()).count();
            walk_of_one(m, shape, &site).await.len() < expected
        }
        "cross-tenant-read" => {
            let other = shaped_sites(m, shape, 1).await.1[0]["id"].as_str().unwrap().to_owned();
            shaped_devices(m, shape, &other).await.0 == 200
        }
        "sync-needs-webhook" => status == 503,
        other => panic!("no shaped probe for {other}"),
    }
}

#[tokio::test]
async fn data_faults_show_through_every_shape() {
    let faults = [
        "account-missing-name",
        "account-not-json",
        "site-missing-descriptor",
        "site-no-timezone",
        "device-missing-type",
        "duplicate-device-id",
        "bad-mac-format",
        "bad-status-value",
        "bad-last-seen",
        "dangling-parent",
        "device-wrong-site",
        "unstable-ids",
        "non-uuid-ids",
        "page-duplicate-item",
        "page-skip-item",
        "cross-tenant-read",
        "sync-needs-webhook",
    ];
    let mut wrong = Vec::new();
    for shape in [Shape::Cursor, Shape::Link] {
        let m = start(shape).await;
        for fault in faults {
            for on in [false, true] {
                assert_eq!(m.admin(reqwest::Method::POST, "/_mock/reset", None).await.0, 204);
                m.fault(fault, on).await;
                if shaped_symptom(&m, shape, fault).await != on {
                    wrong.push(format!("{shape} {fault} {}", if on { "on: no symptom" } else { "off: symptom" }));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The envelope keys of a shape's events: id, device, site, timestamp.
fn event_keys(shape: Shape) -> [&'static str; 4] {
    match shape {
        Shape::Cursor => ["id", "actorId", "locationId", "startTimestamp"],
        _ => ["alertId", "deviceSerial", "networkId", "occurredAt"],
    }
}

#[tokio::test]
async fn event_faults_show_through_every_shape() {
    // Each fault, whether its first attempt fails (so a retry follows), and its symptom in the
    // first two attempts' bodies.
    type Symptom = fn(&[&str; 4], &str, &Value, &Value) -> bool;
    let table: [(&str, bool, Symptom); 6] = [
        ("missing-event-id", false, |k, _, first, _| first.get(k[0]).is_none()),
        ("event-missing-site-id", false, |k, _, first, _| first.get(k[2]).is_none()),
        ("event-non-utc-timestamp", false, |k, _, first, _| first[k[3]].as_str().unwrap().ends_with("+02:00")),
        ("event-unknown-device", false, |k, device, first, _| first[k[1]] != device),
        ("retry-new-event-id", true, |k, _, first, second| first[k[0]] != second[k[0]]),
        ("retry-changed-body", true, |_, _, first, second| first != second),
    ];
    let mut wrong = Vec::new();
    for shape in [Shape::Cursor, Shape::Link] {
        let m = start(shape).await;
        let rx = Receiver::start().await;
        let k = event_keys(shape);
        let (_, sites) = shaped_sites(&m, shape, 0).await;
        let device = shaped_devices(&m, shape, sites[0]["id"].as_str().unwrap()).await.1[0]
            .pointer(Keys::of(shape).device_id)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        for (fault, retry, symptom) in table {
            for on in [false, true] {
                assert_eq!(m.admin(reqwest::Method::POST, "/_mock/reset", None).await.0, 204);
                m.fault(fault, on).await;
                rx.clear();
                rx.set(common::Answer::Status(if retry { 500 } else { 200 }));
                subscribe(&m, &rx, &device).await;
                let got = rx.wait_for(1, WAIT).await;
                rx.set(common::Answer::Status(200));
                let got = if retry { rx.wait_for(2, WAIT).await } else { got };
                let bodies: Vec<Value> = got.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
                let shown = symptom(&k, &device, &bodies[0], bodies.last().unwrap());
                if shown != on {
                    wrong.push(format!("{shape} {fault} {}", if on { "on: no symptom" } else { "off: symptom" }));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
