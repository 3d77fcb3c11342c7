//! The non-canonical shapes against the canonical mock of the same seed: same accounts, sites and
//! devices walked through cursor tokens or `Link` headers, clamping, bad parameters, the
//! `next-loop` fault, and signed deliveries in each shape's own body and signature format.

mod common;

use std::collections::BTreeSet;

use common::shaped::{MAX_PAGES, WAIT, cursor_walk, link, link_walk, start, subscribe};
use common::{Mock, Receiver, test_config};
use contract::{Scheme, Secret};
use mock_vendor::{FleetSpec, MockConfig, Shape};
use serde_json::{Value, json};

/// Every item of a canonical collection (one big page; the demo fleet fits).
async fn canonical_ids(m: &Mock, path: &str, list: &str, id: &str) -> Vec<String> {
    let (status, _, body) = m.get(0, &format!("{path}?per_page=500")).await;
    assert_eq!(status, 200, "{path}: {body}");
    body[list].as_array().unwrap().iter().map(|d| d[id].as_str().unwrap().to_owned()).collect()
}

fn ids(items: &[Value], key: &str) -> Vec<String> {
    items.iter().map(|d| d[key].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn cursor_walks_equal_the_canonical_walk() {
    let (canonical, m) = tokio::join!(start(Shape::Canonical), start(Shape::Cursor));
    let (status, _, account) = m.get(0, "/api/v3/users/self").await;
    assert_eq!(status, 200);
    let (_, _, expected) = canonical.get(0, "/api/v1/account").await;
    assert_eq!(account, json!({"accountId": expected["account_id"], "accountName": expected["name"]}));

    let sites = cursor_walk(&m, "/api/v3/locations", 3).await;
    let site_ids = ids(&sites.items, "id");
    assert_eq!(site_ids, canonical_ids(&canonical, "/api/v1/account/sites", "sites", "site_id").await);
    assert_eq!(sites.totals, BTreeSet::from([site_ids.len() as u64]));
    assert!(sites.items.iter().all(|s| s["timeZone"].is_string() && s.get("timezone").is_none()));

    let mut seen_types = BTreeSet::new();
    for site in &site_ids {
        let cameras = cursor_walk(&m, &format!("/api/v3/cameras?locationId={site}"), 2).await;
        let devices = cursor_walk(&m, &format!("/api/v3/devices?locationId={site}"), 3).await;
        assert_eq!(cameras.totals.len(), 1, "one totalSize per walk");
        assert_eq!(*cameras.totals.first().unwrap(), cameras.items.len() as u64);
        assert_eq!(*devices.totals.first().unwrap(), devices.items.len() as u64);
        let canonical_devices = canonical.devices(0, site).await;
        let mut union: Vec<String> = ids(&cameras.items, "id");
        union.extend(ids(&devices.items, "id"));
        let expected: Vec<String> = ids(&canonical_devices, "device_id");
        assert_eq!(union.len(), expected.len(), "same count");
        assert_eq!(union.iter().collect::<BTreeSet<_>>(), expected.iter().collect::<BTreeSet<_>>(), "same ids");
        for d in cameras.items.iter().chain(&devices.items) {
            let c = canonical_devices.iter().find(|c| c["device_id"] == d["id"]).unwrap();
            assert_eq!(d["locationId"], site.as_str());
            assert_eq!(d["accountId"], c["account_id"]);
            assert_eq!(d.get("parentId"), c.get("parent_id"));
            assert_eq!(d.pointer("/networkInfo/adapters/0/macAddress"), c.get("mac_address"));
            let status = d["status"]["connectionStatus"].as_str().unwrap();
            assert_eq!(status, if c["status"] == "online" { "online" } else { "deviceOffline" });
            let last_seen = contract::parse_rfc3339_millis(c["last_seen"].as_str().unwrap()).unwrap();
            // Both fleets are dated from their own start (whole seconds, which may differ by one).
            let reported = d["lastSeenAt"].as_i64().expect("epoch milliseconds");
            assert!((reported - last_seen).abs() <= 5_000, "{reported} vs {last_seen}");
        }
        assert!(cameras.items.iter().all(|d| d.get("deviceType").is_none()), "the endpoint is the type");
        seen_types.extend(devices.items.iter().map(|d| d["deviceType"].as_str().unwrap().to_owned()));
    }
    let vocabulary = ["recorder", "accessController", "door", "cardReader", "alarmPanel", "sensor"];
    assert_eq!(seen_types, vocabulary.into_iter().map(str::to_owned).collect());
}

#[tokio::test]
async fn link_walks_equal_the_canonical_walk() {
    let (canonical, m) = tokio::join!(start(Shape::Canonical), start(Shape::Link));
    let (status, _, org) = m.get(0, "/api/v1/organization").await;
    assert_eq!(status, 200);
    let (_, _, expected) = canonical.get(0, "/api/v1/account").await;
    assert_eq!(org, json!({"id": expected["account_id"], "name": expected["name"]}));
    assert_eq!(m.get(0, "/api/v1/account").await.0, 404, "the canonical endpoints are not served");

    let sites = link_walk(&m, "/api/v1/networks", 3).await;
    assert_eq!(sites.nexts.len(), 1, "four sites in pages of three");
    let site_ids = ids(&sites.items, "id");
    assert_eq!(site_ids, canonical_ids(&canonical, "/api/v1/account/sites", "sites", "site_id").await);
    let mut seen_types = BTreeSet::new();
    for site in &site_ids {
        let devices = link_walk(&m, &format!("/api/v1/networks/{site}/devices"), 4).await;
        let canonical_devices = canonical.devices(0, site).await;
        assert_eq!(ids(&devices.items, "serial"), ids(&canonical_devices, "device_id"), "same ids, same order");
        for (d, c) in devices.items.iter().zip(&canonical_devices) {
            assert_eq!(d["network"], json!({"id": site}));
            assert_eq!(d["organizationId"], c["account_id"]);
            assert_eq!(d.get("mac"), c.get("mac_address"));
            assert_eq!(d.get("parentSerial"), c.get("parent_id"));
            assert_eq!(d["status"], c["status"], "online and offline keep their names");
            let last_seen = contract::parse_rfc3339_millis(c["last_seen"].as_str().unwrap()).unwrap();
            // The two mocks' fleets are drawn from one seed but dated from their own start (whole
            // seconds, which may differ by one when their key generation straddles a second).
            let reported = d["lastReportedAt"].as_i64().expect("epoch seconds");
            assert!((reported - last_seen / 1000).abs() <= 5, "{reported} vs {}", last_seen / 1000);
        }
        seen_types.extend(devices.items.iter().map(|d| d["productType"].as_str().unwrap().to_owned()));
    }
    let vocabulary = ["camera", "recorder", "accessPanel", "door", "reader", "intrusionPanel", "sensor"];
    assert_eq!(seen_types, vocabulary.into_iter().map(str::to_owned).collect());
}

#[tokio::test]
async fn page_sizes_default_and_clamp_silently() {
    let config = |shape| MockConfig { shape, fleet: FleetSpec::Synthetic(1_200), ..test_config() };
    let (cursor, link_mock) = tokio::join!(Mock::start(config(Shape::Cursor)), Mock::start(config(Shape::Link)));
    let site = cursor.get(0, "/api/v3/locations").await.2["results"][0]["id"].as_str().unwrap().to_owned();
    let devices = format!("/api/v3/devices?locationId={site}");
    let (_, _, page) = cursor.get(0, &devices).await;
    assert_eq!(page["results"].as_array().unwrap().len(), 50, "default pageSize");
    let (status, _, page) = cursor.get(0, &format!("{devices}&pageSize=100000")).await;
    assert_eq!(status, 200);
    assert_eq!(page["results"].as_array().unwrap().len(), 500, "clamped");
    assert!(page["totalSize"].as_u64().unwrap() > 500);
    assert_ne!(page["nextPageToken"], "");
    assert_eq!(page["prevPageToken"], "");

    let path = format!("/api/v1/networks/{site}/devices");
    let (_, headers, page) = link_mock.get(0, &path).await;
    assert_eq!(page.as_array().unwrap().len(), 50, "default perPage");
    assert!(link(&headers, "first").unwrap().ends_with("perPage=50"));
    let (status, headers, page) = link_mock.get(0, &format!("{path}?perPage=100000")).await;
    assert_eq!(status, 200);
    assert_eq!(page.as_array().unwrap().len(), 500, "clamped");
    assert!(link(&headers, "first").unwrap().ends_with("perPage=500"), "the clamp shows in the links");
    assert!(link(&headers, "next").unwrap().contains("perPage=500&startingAfter="));
}

#[tokio::test]
async fn bad_page_parameters_get_a_400_or_the_faults_500() {
    let (cursor, link_mock) = tokio::join!(start(Shape::Cursor), start(Shape::Link));
    let site = cursor.get(0, "/api/v3/locations").await.2["results"][0]["id"].as_str().unwrap().to_owned();
    let bad = ["0", "-1", "abc", "1e3"];
    let bad_tokens = ["!!!", "bm9wZQ", "cDow"];
    let cases = |base: &str, size: &str, token: &str| -> Vec<String> {
        let sep = if base.contains('?') { '&' } else { '?' };
        bad.iter()
            .map(|v| format!("{base}{sep}{size}={v}"))
            .chain(bad_tokens.iter().map(|t| format!("{base}{sep}{token}={t}")))
            .collect()
    };
    let mut all = Vec::new();
    for base in ["/api/v3/locations".to_owned(), format!("/api/v3/cameras?locationId={site}")] {
        all.extend(cases(&base, "pageSize", "pageToken").into_iter().map(|q| (&cursor, q)));
    }
    for base in ["/api/v1/networks".to_owned(), format!("/api/v1/networks/{site}/devices")] {
        all.extend(cases(&base, "perPage", "startingAfter").into_iter().map(|q| (&link_mock, q)));
    }
    for (m, path) in &all {
        let (status, _, body) = m.get(0, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        contract::SchemaId::Error.validate(&body).unwrap();
    }
    cursor.fault("bad-page-500", true).await;
    link_mock.fault("bad-page-500", true).await;
    for (m, path) in &all {
        assert_eq!(m.get(0, path).await.0, 500, "{path} under bad-page-500");
    }
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(cursor.get(0, &format!("/api/v3/devices?locationId={unknown}")).await.0, 404);
    assert_eq!(cursor.get(0, "/api/v3/devices").await.0, 400, "locationId is required");
    assert_eq!(link_mock.get(0, &format!("/api/v1/networks/{unknown}/devices")).await.0, 404);
    let other = link_mock.get(1, "/api/v1/networks").await.2[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(link_mock.get(0, &format!("/api/v1/networks/{other}/devices")).await.0, 404, "ACC-2");
}

#[tokio::test]
async fn next_loop_never_ends_the_chain() {
    let (cursor, link_mock) = tokio::join!(start(Shape::Cursor), start(Shape::Link));
    cursor.fault("next-loop", true).await;
    link_mock.fault("next-loop", true).await;
    let walk = cursor_walk(&cursor, "/api/v3/locations", 3).await;
    assert_eq!(walk.tokens.len(), MAX_PAGES, "the walk never ends");
    assert!(walk.tokens.iter().all(|t| *t == walk.tokens[0]), "the last page points back at page 2");
    let walk = link_walk(&link_mock, "/api/v1/networks", 3).await;
    assert_eq!(walk.nexts.len(), MAX_PAGES, "the walk never ends");
    assert!(walk.nexts.iter().all(|n| *n == walk.nexts[0]), "the last page links back to page 2");
    let unique: BTreeSet<_> = ids(&walk.items, "id").into_iter().collect();
    assert_eq!(unique.len(), 4, "pages 1 and 2 over and over");
}

#[tokio::test]
async fn wrong_totals_shows_in_cursor_totals() {
    let m = start(Shape::Cursor).await;
    m.fault("wrong-totals", true).await;
    let walk = cursor_walk(&m, "/api/v3/locations", 3).await;
    assert_eq!(walk.totals, BTreeSet::from([walk.items.len() as u64 + 1]));
}

fn verify(shape: Shape, secret: &Secret, r: &common::Received) -> Result<(), contract::SignatureError> {
    let lookup = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok());
    // `--signature` does not matter outside the canonical shape: any scheme gives the same format.
    shape.signature_format(Scheme::Body).verify(lookup, &r.body, &[secret], contract::unix_now()).map(|_| ())
}

/// Whether a delivery carries no canonical envelope key.
fn no_canonical_keys(event: &Value) -> bool {
    ["event_id", "event_type", "device_id", "timestamp", "account_id", "site_id"].iter().all(|k| event.get(k).is_none())
}

#[tokio::test]
async fn cursor_events_are_signed_and_shaped() {
    let m = start(Shape::Cursor).await;
    let rx = Receiver::start().await;
    let site = m.get(0, "/api/v3/locations").await.2["results"][0]["id"].as_str().unwrap().to_owned();
    let camera = m.get(0, &format!("/api/v3/cameras?locationId={site}")).await.2["results"][0].clone();
    let device = camera["id"].as_str().unwrap();
    let (webhook, secret, event_id) = subscribe(&m, &rx, device).await;
    let got = rx.wait_for(1, WAIT).await;
    verify(Shape::Cursor, &secret, &got[0]).unwrap();
    let value = got[0].headers["x-vendor-signature"].to_str().unwrap();
    let (ts, hex) = value.split_once('|').unwrap();
    assert!(ts.parse::<i64>().is_ok() && hex.len() == 64, "{value}");
    assert!(got[0].headers.get("x-webhook-timestamp").is_none(), "no separate timestamp header");
    let event: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert!(no_canonical_keys(&event), "{event}");
    assert_eq!(event["id"], event_id.as_str());
    assert_eq!(event["type"], "deviceStatusUpdateEvent.v1");
    assert_eq!(event["actorId"], device);
    assert_eq!(event["locationId"], site.as_str());
    assert_eq!(event["accountId"], m.mock.credentials.accounts[0].account_id.as_str());
    assert!(contract::parse_rfc3339_millis(event["startTimestamp"].as_str().unwrap()).is_some());
    let status = event["data"][0]["newStatus"]["connectionStatus"].as_str().unwrap();
    assert_eq!(event["data"][0]["type"], "deviceStatusUpdate.v1");
    assert!(["online", "deviceOffline"].contains(&status), "{status}");

    rx.clear();
    let (status, _, _) =
        m.send(m.http.post(m.url(&format!("/api/v1/webhooks/{webhook}/ping"))).bearer_auth(m.token(0))).await;
    assert_eq!(status, 202);
    let got = rx.wait_for(1, WAIT).await;
    verify(Shape::Cursor, &secret, &got[0]).unwrap();
    let ping: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(ping["type"], "webhookTest.v1");
    assert_eq!(ping["data"], json!([{"type": "webhookTest.v1", "attributes": {}}]));
    assert!(ping.get("actorId").is_none());

    rx.clear();
    let (code, _) = m
        .admin(
            reqwest::Method::POST,
            &format!("/_mock/devices/{device}/events"),
            Some(json!({"event_type": "video", "data": {"condition": "stream_loss", "state": "active"}})),
        )
        .await;
    assert_eq!(code, 200);
    let got = rx.wait_for(1, WAIT).await;
    let video: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(video["type"], "videoEvent.v1");
    assert_eq!(
        video["data"],
        json!([{"type": "videoDetails.v1", "attributes": {"condition": "stream_loss", "state": "active"}}])
    );

    let (_, _, types) = m.get(0, "/api/v1/event-types").await;
    let names: Vec<&str> =
        types["event_types"].as_array().unwrap().iter().map(|t| t["event_type"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["deviceStatusUpdateEvent.v1", "alarmEvent.v1", "accessEvent.v1", "videoEvent.v1", "webhookTest.v1"]
    );
}

#[tokio::test]
async fn link_events_are_signed_and_shaped() {
    let m = start(Shape::Link).await;
    let rx = Receiver::start().await;
    let site = m.get(0, "/api/v1/networks").await.2[0]["id"].as_str().unwrap().to_owned();
    let devices = m.get(0, &format!("/api/v1/networks/{site}/devices")).await.2;
    let camera = devices.as_array().unwrap().iter().find(|d| d["productType"] == "camera").unwrap().clone();
    let device = camera["serial"].as_str().unwrap();
    let (webhook, secret, event_id) = subscribe(&m, &rx, device).await;
    let got = rx.wait_for(1, WAIT).await;
    verify(Shape::Link, &secret, &got[0]).unwrap();
    let value = got[0].headers["x-signature"].to_str().unwrap();
    assert!(value.starts_with("sha256=") && value.len() == "sha256=".len() + 44, "base64: {value}");
    assert!(got[0].headers["x-sent-at"].to_str().unwrap().parse::<i64>().is_ok());
    let event: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert!(no_canonical_keys(&event), "{event}");
    assert_eq!(event["alertId"], event_id.as_str());
    assert_eq!(event["alertType"], "deviceStatusChanged");
    assert_eq!(event["deviceSerial"], device);
    assert_eq!(event["networkId"], site.as_str());
    assert_eq!(event["organizationId"], m.mock.credentials.accounts[0].account_id.as_str());
    assert!(contract::parse_rfc3339_millis(event["occurredAt"].as_str().unwrap()).is_some());
    assert!(["online", "offline"].contains(&event["alertData"]["status"].as_str().unwrap()));

    rx.clear();
    let (status, _, _) =
        m.send(m.http.post(m.url(&format!("/api/v1/webhooks/{webhook}/ping"))).bearer_auth(m.token(0))).await;
    assert_eq!(status, 202);
    let got = rx.wait_for(1, WAIT).await;
    verify(Shape::Link, &secret, &got[0]).unwrap();
    let ping: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(ping["alertType"], "webhookTest");

    let (_, _, types) = m.get(0, "/api/v1/event-types").await;
    let names: Vec<&str> =
        types["event_types"].as_array().unwrap().iter().map(|t| t["event_type"].as_str().unwrap()).collect();
    assert_eq!(names, ["deviceStatusChanged", "alarm", "accessEvent", "videoEvent", "webhookTest"]);
}

#[tokio::test]
async fn signature_faults_act_on_the_shapes_format() {
    let m = start(Shape::Cursor).await;
    let rx = Receiver::start().await;
    let (webhook, secret) = m.create_webhook(0, &rx.url).await;
    let ping = async |fault: &str| {
        m.fault(fault, true).await;
        rx.clear();
        m.send(m.http.post(m.url(&format!("/api/v1/webhooks/{webhook}/ping"))).bearer_auth(m.token(0))).await;
        let got = rx.wait_for(1, WAIT).await.remove(0);
        m.fault(fault, false).await;
        got
    };
    let got = ping("missing-timestamp").await;
    let value = got.headers["x-vendor-signature"].to_str().unwrap().to_owned();
    assert!(!value.contains('|') && value.len() == 64, "the timestamp is left out of the value: {value}");
    assert!(verify(Shape::Cursor, &secret, &got).is_err());

    let got = ping("unbound-timestamp").await;
    assert!(verify(Shape::Cursor, &secret, &got).is_err(), "not over `<body>|<ts>`");
    let body_only =
        contract::SignatureFormat { signed_content: "{body}".into(), ..Shape::Cursor.signature_format(Scheme::Body) };
    let lookup = |name: &str| got.headers.get(name).and_then(|v| v.to_str().ok());
    body_only.verify(lookup, &got.body, &[&secret], contract::unix_now()).unwrap();

    let got = ping("stale-timestamp").await;
    assert!(matches!(verify(Shape::Cursor, &secret, &got), Err(contract::SignatureError::OutsideTolerance { .. })));
    let got = ping("unsigned-deliveries").await;
    assert!(got.headers.get("x-vendor-signature").is_none());
}
