//! Delivery semantics against a test receiver whose answer switches mid-test.

mod common;

use std::time::Duration;

use common::{Answer, Mock, Receiver, eventually, test_config};
use contract::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use contract::{SchemaId, Scheme, Secret, SignatureFormat};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

fn verify(scheme: Scheme, secret: &Secret, r: &common::Received) -> Result<(), contract::SignatureError> {
    let lookup = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok());
    SignatureFormat::canonical(scheme).verify(lookup, &r.body, &[secret], contract::unix_now()).map(|_| ())
}

async fn setup(scheme: Scheme) -> (Mock, Receiver, Secret, String) {
    let m = Mock::start(mock_vendor::MockConfig { signature: scheme, ..test_config() }).await;
    let rx = Receiver::start().await;
    let (_, secret) = m.create_webhook(0, &rx.url).await;
    let camera = m.device_of_kind(0, "camera").await;
    (m, rx, secret, camera["device_id"].as_str().unwrap().to_owned())
}

async fn flip(m: &Mock, device: &str) -> String {
    let changed = m.set_status(device, "offline").await;
    let changed = if changed["event_ids"].as_array().unwrap().is_empty() {
        m.set_status(device, "online").await
    } else {
        changed
    };
    changed["event_ids"][0].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_status_change_delivers_one_signed_health_event() {
    for scheme in [Scheme::Body, Scheme::Timestamped] {
        let (m, rx, secret, device) = setup(scheme).await;
        let event_id = flip(&m, &device).await;
        let got = rx.wait_for(1, WAIT).await;
        verify(scheme, &secret, &got[0]).unwrap();
        let event: Value = serde_json::from_slice(&got[0].body).unwrap();
        SchemaId::Event.validate(&event).unwrap();
        assert_eq!(event["event_id"], event_id.as_str());
        assert_eq!(event["event_type"], "health");
        assert_eq!(event["device_id"], device.as_str());
        assert!(got[0].headers[TIMESTAMP_HEADER].to_str().unwrap().parse::<i64>().is_ok());
        let done = eventually(WAIT, "succeeded", async || {
            let d = m.deliveries().await;
            (d.first()?["state"] == "succeeded").then_some(d)
        })
        .await;
        assert_eq!(done[0]["attempts"].as_array().unwrap().len(), 1, "DLV-3: a 2xx ends delivery");
    }
}

#[tokio::test]
async fn failures_are_retried_with_the_same_body_and_fresh_signatures() {
    let (m, rx, secret, device) = setup(Scheme::Timestamped).await;
    rx.set(Answer::Status(500));
    flip(&m, &device).await;
    rx.wait_for(2, WAIT).await;
    rx.set(Answer::Hang);
    rx.wait_for(3, WAIT).await;
    rx.set(Answer::Redirect("http://127.0.0.1:9/elsewhere".into()));
    rx.wait_for(4, WAIT).await;
    rx.set(Answer::Status(200));
    let got = rx.wait_for(5, WAIT).await;
    let first = &got[0];
    for r in &got {
        assert_eq!(r.body, first.body, "DLV-2: byte-identical body");
        assert_eq!(r.path, "/hook", "DLV-4: the redirect is not followed");
        verify(Scheme::Timestamped, &secret, r).unwrap();
    }
    let signatures: std::collections::HashSet<_> = got.iter().map(|r| r.headers[SIGNATURE_HEADER].clone()).collect();
    assert!(signatures.len() > 1, "signatures are fresh per attempt");
    let d = eventually(WAIT, "succeeded", async || {
        let d = m.deliveries().await;
        (d[0]["state"] == "succeeded").then_some(d)
    })
    .await;
    let outcomes: Vec<String> = d[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().map(|s| s.to_string()).unwrap_or_else(|| a["error"].as_str().unwrap().to_owned()))
        .collect();
    let mut seen = outcomes.clone();
    seen.dedup();
    assert_eq!(seen, ["500", "timeout", "302", "200"], "attempts in order: {outcomes:?}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (m, rx, _, device) = setup(Scheme::Body).await;
    rx.set(Answer::TooMany(1));
    flip(&m, &device).await;
    rx.wait_for(1, WAIT).await;
    rx.set(Answer::Status(200));
    let got = rx.wait_for(2, WAIT).await;
    let gap = got[1].at - got[0].at;
    assert!(gap >= Duration::from_millis(950), "waited {gap:?}, the schedule alone is 50 ms");
}

#[tokio::test]
async fn gone_disables_the_webhook() {
    let (m, rx, _, device) = setup(Scheme::Body).await;
    rx.set(Answer::Status(410));
    flip(&m, &device).await;
    eventually(WAIT, "disabled", async || {
        let d = m.deliveries().await;
        (d.first()?["state"] == "disabled").then_some(())
    })
    .await;
    let (_, _, list) = m.get(0, "/api/v1/webhooks").await;
    assert_eq!(list["webhooks"][0]["status"], "disabled");
    flip(&m, &device).await;
    assert_eq!(m.deliveries().await.len(), 1, "no delivery to a disabled webhook");
    assert_eq!(rx.count(), 1);
}

#[tokio::test]
async fn an_outage_loses_nothing() {
    let (m, rx, _, device) = setup(Scheme::Body).await;
    rx.set(Answer::Status(503));
    let mut ids = Vec::new();
    let others: Vec<String> = {
        let site = m.sites(0).await[0]["site_id"].as_str().unwrap().to_owned();
        m.devices(0, &site)
            .await
            .iter()
            .filter(|d| d["type"] == "camera")
            .map(|d| d["device_id"].as_str().unwrap().to_owned())
            .take(3)
            .collect()
    };
    for d in others.iter().chain(std::iter::once(&device)) {
        ids.push(flip(&m, d).await);
    }
    rx.wait_for(ids.len() * 2, WAIT).await;
    rx.set(Answer::Status(200));
    eventually(WAIT, "every delivery succeeded", async || {
        let d = m.deliveries().await;
        d.iter().all(|x| x["state"] == "succeeded").then_some(())
    })
    .await;
    let delivered: std::collections::HashSet<String> = rx
        .all()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["event_id"].as_str().unwrap().to_owned())
        .collect();
    for id in ids {
        assert!(delivered.contains(&id), "{id} was delivered");
    }
}

#[tokio::test]
async fn an_exhausted_schedule_is_dead_lettered_and_visible() {
    let config = mock_vendor::MockConfig { retry_schedule: vec![Duration::from_millis(10); 2], ..test_config() };
    let m = Mock::start(config).await;
    let rx = Receiver::start().await;
    m.create_webhook(0, &rx.url).await;
    rx.set(Answer::Status(500));
    let camera = m.device_of_kind(0, "camera").await;
    flip(&m, camera["device_id"].as_str().unwrap()).await;
    let d = eventually(WAIT, "dead-lettered", async || {
        let d = m.deliveries().await;
        (d.first()?["state"] == "dead_lettered").then_some(d)
    })
    .await;
    assert_eq!(d[0]["attempts"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_dead_receiver_does_not_hold_up_another_webhook() {
    let m = Mock::start(test_config()).await;
    let dead = Receiver::start().await;
    dead.set(Answer::Hang);
    let alive = Receiver::start().await;
    m.create_webhook(0, &dead.url).await;
    m.create_webhook(0, &alive.url).await;
    let camera = m.device_of_kind(0, "camera").await;
    let id = camera["device_id"].as_str().unwrap();
    flip(&m, id).await;
    m.set_status(id, "online").await;
    let got = alive.wait_for(2, Duration::from_secs(1)).await;
    assert_eq!(got.len(), 2);
}

#[tokio::test]
async fn ping_delivers_a_signed_ping() {
    let m = Mock::start(test_config()).await;
    let rx = Receiver::start().await;
    let (id, secret) = m.create_webhook(0, &rx.url).await;
    let (status, _, accepted) =
        m.send(m.http.post(m.url(&format!("/api/v1/webhooks/{id}/ping"))).bearer_auth(m.token(0))).await;
    assert_eq!(status, 202);
    let got = rx.wait_for(1, WAIT).await;
    verify(Scheme::Body, &secret, &got[0]).unwrap();
    let event: Value = serde_json::from_slice(&got[0].body).unwrap();
    SchemaId::Event.validate(&event).unwrap();
    assert_eq!(event["event_type"], "ping");
    assert_eq!(event["event_id"], accepted["event_id"]);
}

#[tokio::test]
async fn every_family_can_be_emitted_and_validates() {
    let (m, rx, _, device) = setup(Scheme::Body).await;
    for family in ["alarm", "access", "video"] {
        let (status, body) = m
            .admin(
                reqwest::Method::POST,
                &format!("/_mock/devices/{device}/events"),
                Some(serde_json::json!({"event_type": family})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let got = rx.wait_for(3, WAIT).await;
    let mut families: Vec<String> = got
        .iter()
        .map(|r| {
            let e: Value = serde_json::from_slice(&r.body).unwrap();
            SchemaId::Event.validate(&e).unwrap();
            e["event_type"].as_str().unwrap().to_owned()
        })
        .collect();
    families.sort();
    assert_eq!(families, ["access", "alarm", "video"]);
}

#[tokio::test]
async fn the_simulation_produces_events() {
    let (m, rx, _, _) = setup(Scheme::Body).await;
    let (status, _) = m
        .admin(
            reqwest::Method::POST,
            "/_mock/simulation",
            Some(serde_json::json!({"running": true, "events_per_second": 200.0})),
        )
        .await;
    assert_eq!(status, 200);
    rx.wait_for(5, WAIT).await;
    m.admin(reqwest::Method::POST, "/_mock/simulation", Some(serde_json::json!({"running": false}))).await;
    for r in rx.all() {
        let e: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(SchemaId::Event.is_valid(&e), "{e}");
    }
}

#[tokio::test]
async fn with_one_delivery_slot_every_event_still_arrives_once() {
    let m = Mock::start(mock_vendor::MockConfig { max_concurrent_deliveries: 1, ..test_config() }).await;
    let rx = Receiver::start().await;
    m.create_webhook(0, &rx.url).await;
    let camera = m.device_of_kind(0, "camera").await;
    let device = camera["device_id"].as_str().unwrap();
    // A failing receiver first: attempts waiting for their retry must not hold the only slot.
    rx.set(Answer::Status(500));
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(flip(&m, device).await);
    }
    rx.wait_for(1, WAIT).await;
    rx.set(Answer::Status(200));
    let done = eventually(WAIT, "every delivery succeeded", async || {
        let d = m.deliveries().await;
        (d.len() == ids.len() && d.iter().all(|d| d["state"] == "succeeded")).then_some(d)
    })
    .await;
    let mut delivered: Vec<&str> = done.iter().map(|d| d["event_id"].as_str().unwrap()).collect();
    delivered.sort_unstable();
    ids.sort_unstable();
    assert_eq!(delivered, ids.iter().map(String::as_str).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_webhook_has_at_most_its_share_of_attempts_in_flight_and_others_are_not_held_up() {
    let m = Mock::start(mock_vendor::MockConfig { max_deliveries_per_webhook: 2, ..test_config() }).await;
    let slow = Receiver::start().await;
    let fast = Receiver::start().await;
    m.create_webhook(0, &slow.url).await;
    m.create_webhook(0, &fast.url).await;
    let camera = m.device_of_kind(0, "camera").await;
    let device = camera["device_id"].as_str().unwrap();
    slow.set(Answer::Hang);
    for _ in 0..5 {
        flip(&m, device).await;
    }
    // Every event reaches the other webhook while the slow one holds its two attempts...
    fast.wait_for(5, WAIT).await;
    slow.wait_for(2, WAIT).await;
    // ...and the slow one sees no third attempt until one of them ends (the attempt timeout).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(slow.count(), 2, "attempts in flight to one webhook are bounded");
    slow.set(Answer::Status(200));
    eventually(WAIT, "every delivery succeeded", async || {
        let d = m.deliveries().await;
        (d.len() == 10 && d.iter().all(|d| d["state"] == "succeeded")).then_some(())
    })
    .await;
}
