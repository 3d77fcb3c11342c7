//! Verkada: epoch-second timestamps, its webhook example re-signed, and the GitHub signature
//! test vector.

use contract::{Secret, SignatureFormat};
use serde_json::{Value, json};
use wiremock::MockServer;

use crate::pager::*;
use crate::support::*;

pub(crate) const VERKADA_TOKEN: &str = "verkada-short-lived-token";
pub(crate) const VERKADA_ORG: &str = "1455hjew-ghg5-4125-a1a7-954ea4e911fe";
pub(crate) const VERKADA_HQ: &str = "b7c1f0a2-3d4e-4f5a-8b6c-7d8e9f0a1b2c";
pub(crate) const VERKADA_LAB: &str = "c8d2e1b3-4e5f-4a6b-9c7d-8e9f0a1b2c3d";

pub(crate) fn verkada_cameras() -> Vec<Value> {
    let camera = |id: &str, name: &str, site: (&str, &str), status: &str, last_online: i64| {
        json!({"camera_id": id, "name": name, "site": site.1, "site_id": site.0, "mac": "e0:a7:00:12:34:56",
               "serial": "ABCD-1234-EFGH", "model": "CD42", "status": status, "last_online": last_online,
               "timezone": "America/Los_Angeles"})
    };
    vec![
        camera("123456-eade-7890-8ee5-aaf22d01d91a", "Front Door", (VERKADA_HQ, "HQ"), "Live", VERKADA_TS - 42),
        camera("223456-eade-7890-8ee5-aaf22d01d91b", "Back Door", (VERKADA_HQ, "HQ"), "Offline", VERKADA_TS - 3600),
        camera("323456-eade-7890-8ee5-aaf22d01d91c", "Lobby", (VERKADA_HQ, "HQ"), "Live", VERKADA_TS),
        camera("423456-eade-7890-8ee5-aaf22d01d91d", "Lab Bench", (VERKADA_LAB, "Lab"), "Live", VERKADA_TS - 1),
    ]
}

pub(crate) async fn verkada() -> MockServer {
    let server = MockServer::builder().start().await;
    let auth = ("x-verkada-auth", VERKADA_TOKEN);
    mount(&server, "GET", "/core/v1/org", auth, record(json!({"org_id": VERKADA_ORG, "org_name": "Verkada Demo"})))
        .await;
    let sites = vec![
        json!({"site_id": VERKADA_HQ, "name": "HQ", "timezone": "America/Los_Angeles"}),
        json!({"site_id": VERKADA_LAB, "name": "Lab", "timezone": "America/Los_Angeles"}),
    ];
    mount(&server, "GET", "/core/v1/sites", auth, Pager::new(Style::Verkada, "sites", sites).max(200)).await;
    let cameras = Pager::new(Style::Verkada, "cameras", verkada_cameras()).filter("/site_id", "site_id").max(200);
    mount(&server, "GET", "/cameras/v1/devices", auth, cameras).await;
    server
}

#[tokio::test]
async fn verkada_cameras_map_with_epoch_second_timestamps() {
    let server = verkada().await;
    let mut profile = example(VERKADA);
    profile.pagination.set_size(2);
    let client = client(&server, profile, VERKADA_TOKEN);
    let hq = canonical_inventory(&client, VERKADA_HQ).await;
    assert_eq!(
        hq[0],
        json!({"device_id": "123456-eade-7890-8ee5-aaf22d01d91a", "name": "Front Door", "type": "camera",
               "site_id": VERKADA_HQ, "site_name": "HQ", "status": "online", "mac_address": "e0:a7:00:12:34:56",
               "model": "CD42", "last_seen": "2020-08-17T17:33:00.000Z"})
    );
    assert_eq!(hq.iter().map(|d| d["status"].as_str().unwrap()).collect::<Vec<_>>(), ["online", "offline", "online"]);
    // Two pages: the second asked for with the first's token; the second's null token ended it.
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/cameras/v1/devices")
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(asked[1].contains("page_token=tok-2"), "{asked:?}");
}

#[tokio::test]
async fn verkada_passes_the_schema_and_pagination_suites() {
    let server = verkada().await;
    let (_, report) = run_suites(&server, example(VERKADA), VERKADA_TOKEN).await;
    use Expect::*;
    assert_checks(
        &report,
        &[
            ("schema.account", Pass),
            ("schema.sites", Pass),
            ("schema.site-location", Fail),
            ("schema.device-fields", Pass),
            ("schema.device-status", Pass),
            ("schema.mac-address", Pass),
            ("schema.optional-fields", Pass),
            ("schema.device-site", Pass),
            ("schema.stable-ids", Pass),
            // The org id and camera ids are not UUID-shaped.
            ("schema.uuid-ids", Fail),
            ("pagination.complete-walk", Pass),
            ("pagination.totals", NotApplicable),
            ("pagination.page-sizes", Pass),
            ("pagination.next-chain", Pass),
            ("pagination.bad-parameters", Pass),
            ("pagination.past-end", NotApplicable),
            ("pagination.per-page-max", Pass),
            ("pagination.stable-order", Pass),
        ],
    );
}

#[test]
fn verkada_webhook_example_verifies_when_resigned_and_maps_to_a_canonical_event() {
    let profile = example(VERKADA);
    let format = profile.signature_format(contract::Scheme::Body);
    let secret = Secret::new("verkada-test-secret");
    let headers = format.sign(&secret, VERKADA_WEBHOOK.as_bytes(), VERKADA_TS);
    assert_eq!(headers.len(), 1);
    let (name, value) = &headers[0];
    assert_eq!(name, "Verkada-Signature");
    // `<ts>|<hex>` where hex is HMAC-SHA256 over `<body>|<ts>`.
    let (ts, hex) = value.split_once('|').unwrap();
    assert_eq!(ts, VERKADA_TS.to_string());
    assert!(hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()), "{hex}");
    assert_eq!(
        format.signed_bytes(VERKADA_WEBHOOK.as_bytes(), VERKADA_TS),
        format!("{VERKADA_WEBHOOK}|{VERKADA_TS}").into_bytes()
    );
    let lookup = |n: &str| n.eq_ignore_ascii_case("verkada-signature").then_some(value.as_str());
    let verified = format.verify(lookup, VERKADA_WEBHOOK.as_bytes(), &[&secret], VERKADA_TS + 5).unwrap();
    assert_eq!(verified.timestamp, Some(VERKADA_TS));
    // The timestamp is bound: the same signature under another timestamp does not verify, nor
    // does a stale delivery, nor another secret.
    let moved = value.replacen(&VERKADA_TS.to_string(), &(VERKADA_TS + 1).to_string(), 1);
    let lookup_moved = |n: &str| n.eq_ignore_ascii_case("verkada-signature").then_some(moved.as_str());
    assert!(format.verify(lookup_moved, VERKADA_WEBHOOK.as_bytes(), &[&secret], VERKADA_TS).is_err());
    assert!(format.verify(lookup, VERKADA_WEBHOOK.as_bytes(), &[&secret], VERKADA_TS + 301).is_err());
    assert!(format.verify(lookup, VERKADA_WEBHOOK.as_bytes(), &[&Secret::new("other")], VERKADA_TS).is_err());

    let event = profile.map_event(&serde_json::from_str(VERKADA_WEBHOOK).unwrap());
    assert_eq!(
        event,
        json!({"event_id": "2fd2826d-4645-47ac-b0e6-a4b2ae634480", "event_type": "video",
               "device_id": "123456-eade-7890-8ee5-aaf22d01d91a", "account_id": VERKADA_ORG,
               "timestamp": "2020-08-17T17:33:00.000Z",
               "data": {"camera_id": "123456-eade-7890-8ee5-aaf22d01d91a", "notification_type": "motion",
                        "created": 1_597_685_580, "image_url": null}})
    );
}

#[test]
fn the_github_test_vector_verifies_with_a_body_only_sha256_signature() {
    let format: SignatureFormat = toml::from_str(
        r#"
        header = "X-Hub-Signature-256"
        value_template = "sha256={sig}"
        encoding = "hex"
        signed_content = "{body}"
        "#,
    )
    .unwrap();
    format.validate().unwrap();
    let secret = Secret::new("It's a Secret to Everybody");
    let value = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let lookup = |n: &str| n.eq_ignore_ascii_case("x-hub-signature-256").then_some(value);
    let verified = format.verify(lookup, b"Hello, World!", &[&secret], 0).unwrap();
    assert_eq!(verified.timestamp, None);
    assert!(!format.binds_timestamp());
    assert_eq!(format.sign(&secret, b"Hello, World!", 0), [("X-Hub-Signature-256".to_owned(), value.to_owned())]);
    assert!(format.verify(lookup, b"Hello, World?", &[&secret], 0).is_err());
}
