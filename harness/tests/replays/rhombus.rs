//! Rhombus: reads are POSTs with a body cursor and API-key headers, refusals are errors in 200
//! bodies, and the auth checks an API-key vendor gets.

use harness::config::{AuthConfig, VendorConfig};
use harness::progress::ProgressMode;
use harness::{RunOptions, run};
use serde_json::{Value, json};
use suites::{ApiErrorKind, Status, VendorApi};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::pager::*;
use crate::support::*;

pub(crate) const RHOMBUS_KEY: &str = "rhombus-api-key-0123456789";
pub(crate) const RHOMBUS_ORG: &str = "Rk3T0aWc5QeO2c8b4kLm1A";
pub(crate) const RHOMBUS_HQ: &str = "Lh8dT2yQQ0m1n9K5cVbA7w";
pub(crate) const RHOMBUS_YARD: &str = "Yd4gP7sRS1o2p0L6dWcB8x";

pub(crate) fn rhombus_locations() -> Vec<Value> {
    [(RHOMBUS_HQ, "HQ", "1 Market St, Sacramento, CA"), (RHOMBUS_YARD, "Yard", "2 Harbor Way, Oakland, CA"),
     ("Zz9hQ8tST2p3q1M7eXdC9y", "Annex", "3 Annex Rd, Davis, CA")]
        .iter()
        .map(|(uuid, name, address)| {
            json!({"uuid": uuid, "name": name, "orgUuid": RHOMBUS_ORG, "address1": address, "tz": "America/Los_Angeles"})
        })
        .collect()
}

pub(crate) fn rhombus_cameras() -> Vec<Value> {
    [
        ("Cm1aAaAaQQ0m1n9K5cVbA1", "HQ Entrance", RHOMBUS_HQ, "GREEN", "R200"),
        ("Cm1aAaAaQQ0m1n9K5cVbA2", "HQ Hallway", RHOMBUS_HQ, "YELLOW", "R100"),
        ("Cm1aAaAaQQ0m1n9K5cVbA3", "HQ Roof", RHOMBUS_HQ, "RED", "R500"),
        ("Cm1aAaAaQQ0m1n9K5cVbA4", "Yard Gate", RHOMBUS_YARD, "ORANGE", "R400"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (uuid, name, location, health, hw))| {
        json!({"uuid": uuid, "name": name, "locationUuid": location, "defaultInterfaceMac": format!("b8:a4:4f:00:00:0{i}"),
               "hwVariation": hw, "healthStatus": health})
    })
    .collect()
}

pub(crate) async fn rhombus(locations: Pager) -> MockServer {
    let server = MockServer::builder().start().await;
    let auth = ("x-auth-apikey", RHOMBUS_KEY);
    let scheme = ("x-auth-scheme", "api-token");
    let org = json!({"error": false, "org": {"uuid": RHOMBUS_ORG, "name": "Rhombus Demo"}});
    let cameras =
        Pager::new(Style::Rhombus, "cameraStates", rhombus_cameras()).filter("/locationUuid", "locationUuid").unpaged();
    let post = |route: &str| {
        Mock::given(method("POST")).and(path(route)).and(header(auth.0, auth.1)).and(header(scheme.0, scheme.1))
    };
    post("/api/org/getOrgV2").respond_with(record(org)).mount(&server).await;
    post("/api/location/getLocationsV2").respond_with(locations).mount(&server).await;
    post("/api/camera/getMinimalCameraStateList").respond_with(cameras).mount(&server).await;
    server
}

#[tokio::test]
async fn rhombus_reads_are_posts_with_a_body_cursor_and_api_key_headers() {
    let server = rhombus(Pager::new(Style::Rhombus, "locations", rhombus_locations())).await;
    let mut profile = example(RHOMBUS);
    profile.pagination.set_size(2);
    let client = client(&server, profile, RHOMBUS_KEY);
    let sites = client.sites().await.unwrap();
    assert_eq!(sites.records.len(), 3);
    assert_eq!(
        sites.records[0].record,
        json!({"site_id": RHOMBUS_HQ, "name": "HQ", "address": "1 Market St, Sacramento, CA", "timezone": "America/Los_Angeles"})
    );
    let hq = canonical_inventory(&client, RHOMBUS_HQ).await;
    assert_eq!(
        hq[1],
        json!({"device_id": "Cm1aAaAaQQ0m1n9K5cVbA2", "name": "HQ Hallway", "type": "camera", "site_id": RHOMBUS_HQ,
               "status": "degraded", "mac_address": "b8:a4:4f:00:00:01", "model": "R100"})
    );
    assert_eq!(hq.iter().map(|d| d["status"].as_str().unwrap()).collect::<Vec<_>>(), ["online", "degraded", "offline"]);
    let received = server.received_requests().await.unwrap();
    assert!(received.iter().all(|r| r.method.as_str() == "POST"
        && r.headers.get("x-auth-apikey").is_some_and(|v| v == RHOMBUS_KEY)
        && r.headers.get("x-auth-scheme").is_some_and(|v| v == "api-token")));
    let bodies: Vec<Value> = received
        .iter()
        .filter(|r| r.url.path() == "/api/location/getLocationsV2")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies, [json!({"maxPageSize": 2}), json!({"maxPageSize": 2, "lastEvaluatedKey": "tok-2"})]);
    let camera_body: Value = serde_json::from_slice(
        &received.iter().find(|r| r.url.path().ends_with("getMinimalCameraStateList")).unwrap().body,
    )
    .unwrap();
    assert_eq!(camera_body, json!({"locationUuid": RHOMBUS_HQ, "maxPageSize": 2}));
}

#[tokio::test]
async fn rhombus_passes_the_schema_and_pagination_suites_refusing_in_200_bodies() {
    let server = rhombus(Pager::new(Style::Rhombus, "locations", rhombus_locations())).await;
    let (_, report) = run_suites(&server, example(RHOMBUS), RHOMBUS_KEY).await;
    use Expect::*;
    assert_checks(
        &report,
        &[
            ("schema.account", Pass),
            ("schema.sites", Pass),
            ("schema.site-location", Pass),
            ("schema.device-fields", Pass),
            ("schema.device-status", Pass),
            ("schema.mac-address", Pass),
            ("schema.device-site", Pass),
            ("schema.stable-ids", Pass),
            ("schema.uuid-ids", Fail),
            ("pagination.complete-walk", Pass),
            ("pagination.totals", NotApplicable),
            ("pagination.page-sizes", Pass),
            ("pagination.next-chain", Pass),
            // Rhombus refuses a bad `maxPageSize` or a forged cursor with HTTP 200 and
            // `{"error": true, ...}`: the profile's `[errors]` make that a refusal.
            ("pagination.bad-parameters", Pass),
            ("pagination.past-end", NotApplicable),
            ("pagination.per-page-max", Pass),
            ("pagination.stable-order", Pass),
        ],
    );
    let refused = row(&report, "pagination.bad-parameters");
    let notes = serde_json::to_string(&refused.evidence).unwrap();
    assert!(notes.contains("refused with 200 and an error in its body"), "{notes}");
}

/// The Rhombus replay behind a gate that answers any request without its key with `refusal`
/// (wiremock alone would answer an unmatched request 404).
pub(crate) async fn rhombus_behind_its_key(refusal: ResponseTemplate) -> MockServer {
    let server = rhombus(Pager::new(Style::Rhombus, "locations", rhombus_locations())).await;
    Mock::given(wiremock::matchers::any()).respond_with(refusal).with_priority(10).mount(&server).await;
    server
}

/// The auth rows of an API-key vendor: the crafted-JWT checks do not apply, the keyless ones
/// (no key, an empty and a garbage key) run as they do for the contract's tokens.
pub(crate) const API_KEY_AUTH_ROWS: &[(&str, Expect)] = &[
    ("auth.valid-token", Expect::Pass),
    ("auth.malformed", Expect::Pass),
    ("auth.expired", Expect::NotApplicable),
    ("auth.bad-signature", Expect::NotApplicable),
    ("auth.alg-none", Expect::NotApplicable),
    ("auth.hs256-public-key", Expect::NotApplicable),
    ("auth.no-exp", Expect::NotApplicable),
    ("auth.issuer", Expect::NotApplicable),
    ("auth.tampered", Expect::NotApplicable),
    ("auth.long-lifetime", Expect::NotApplicable),
    ("auth.future-iat", Expect::NotApplicable),
    ("auth.www-authenticate", Expect::NotApplicable),
    ("auth.no-leak", Expect::Pass),
];

#[tokio::test]
async fn an_api_key_vendor_gets_the_auth_checks_that_need_no_signing_key() {
    let refused = ResponseTemplate::new(401).set_body_json(json!({"error": true, "errorMsg": "Unauthorized"}));
    let server = rhombus_behind_its_key(refused).await;
    let (_, report) = run_named(&server, example(RHOMBUS), RHOMBUS_KEY, &["auth"]).await;
    assert_checks(&report, API_KEY_AUTH_ROWS);
    let malformed = row(&report, "auth.malformed");
    assert!(malformed.message.starts_with("3 missing or malformed credentials"), "{}", malformed.message);
    let notes = malformed.evidence.notes.join("\n");
    assert!(notes.contains("`garbage`") && notes.contains("not sent: `two-segments`"), "{notes}");
    // The bad keys went in the vendor's key header, next to its fixed headers.
    let received = server.received_requests().await.unwrap();
    let keys: Vec<Option<&str>> = received
        .iter()
        .filter(|r| r.url.path() == "/api/org/getOrgV2")
        .map(|r| r.headers.get("x-auth-apikey").and_then(|v| v.to_str().ok()))
        .collect();
    for sent in [None, Some(""), Some("not-a-jwt"), Some(RHOMBUS_KEY)] {
        assert!(keys.contains(&sent), "{sent:?} was not sent: {keys:?}");
    }
    assert!(received.iter().all(|r| r.headers.get("x-auth-scheme").is_some_and(|v| v == "api-token")));
    // run_named has checked that the key reaches no report file.
    // summary.md names the checks that do not apply on one line, not in its table of failures.
    let out = tempfile::tempdir().unwrap();
    report.write_all(out.path()).unwrap();
    let summary = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(summary.contains("Not applicable to this vendor (") && summary.contains("`auth.alg-none`"), "{summary}");
    assert!(!summary.contains("| SKIP | `auth.alg-none`"), "{summary}");
}

#[tokio::test]
async fn an_api_key_vendor_that_refuses_bad_keys_in_a_200_body_fails_auth_malformed_saying_so() {
    // VENDOR-SHAPES: Rhombus signals errors as HTTP 200 with `{"error": true}`; AUTH-2 asks for 401.
    let refused = ResponseTemplate::new(200).set_body_json(json!({"error": true, "errorMsg": "Unauthorized"}));
    let server = rhombus_behind_its_key(refused).await;
    let (_, report) = run_named(&server, example(RHOMBUS), RHOMBUS_KEY, &["auth"]).await;
    assert_eq!(row(&report, "auth.valid-token").status, Status::Pass);
    let malformed = row(&report, "auth.malformed");
    assert_eq!(malformed.status, Status::Fail, "{}", malformed.message);
    assert!(
        malformed.message.contains("refused with 200 and an error in its body (Unauthorized), not 401"),
        "{}",
        malformed.message
    );
    assert!(!malformed.message.contains("accepted"), "{}", malformed.message);
    // The empty key's reproduce command sends the header empty (curl drops a blank `name: `).
    let empty = malformed.evidence.exchanges.iter().find(|x| x.reproduce.contains("x-auth-apikey;"));
    assert!(empty.is_some(), "{:#?}", malformed.evidence.exchanges.iter().map(|x| &x.reproduce).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_vendor_whose_every_answer_is_an_error_in_a_200_body_is_not_seen_accepting_a_credential() {
    let server = MockServer::builder().start().await;
    let broken = ResponseTemplate::new(200).set_body_json(json!({"error": true, "errorMsg": "Unauthorized"}));
    Mock::given(wiremock::matchers::any()).respond_with(broken).mount(&server).await;
    // The account request is refused in its body: the preflight stops the run there, naming the
    // refusal and the config keys of the credential, rather than reporting every check.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credential");
    std::fs::write(&file, RHOMBUS_KEY).unwrap();
    let mut auth = AuthConfig::from_key_path(dir.path().join("unused.pem"), None);
    (auth.private_key_path, auth.credential_path) = (None, Some(file));
    let profile = example(RHOMBUS);
    let mut config = VendorConfig::new(profile.name.clone(), server.uri(), auth);
    config.profile = profile;
    let options = RunOptions {
        out_dir: dir.path().join("reports"),
        suites: vec!["auth".into()],
        progress: ProgressMode::Quiet,
        non_interactive: true,
        ..RunOptions::default()
    };
    let err = run(config, options).await.expect_err("the preflight stops the run");
    let err = err.downcast_ref::<harness::runner::PreflightError>().expect("a preflight error");
    assert_eq!(err.cause, harness::runner::PreflightCause::CredentialRefused);
    assert!(err.message.contains("error in its body (Unauthorized)"), "{}", err.message);
    assert!(err.message.contains("credential_path") && !err.message.contains(RHOMBUS_KEY), "{}", err.message);
}

#[tokio::test]
async fn an_api_key_vendor_that_serves_any_key_fails_auth_malformed() {
    // No gate: the routes answer whatever key (or none) comes with the request.
    let server = MockServer::builder().start().await;
    let org = json!({"error": false, "org": {"uuid": RHOMBUS_ORG, "name": "Rhombus Demo"}});
    Mock::given(method("POST")).and(path("/api/org/getOrgV2")).respond_with(record(org)).mount(&server).await;
    let (_, report) = run_named(&server, example(RHOMBUS), RHOMBUS_KEY, &["auth"]).await;
    let malformed = row(&report, "auth.malformed");
    assert_eq!(malformed.status, Status::Fail, "{}", malformed.message);
    assert!(malformed.message.contains("accepted"), "{}", malformed.message);
    let reproduce = &malformed.evidence.exchanges[0].reproduce;
    assert!(!reproduce.contains(RHOMBUS_KEY), "{reproduce}");
}

#[tokio::test]
async fn a_rhombus_error_in_a_200_body_fails_the_walk_with_its_message() {
    let refusing = ResponseTemplate::new(200).set_body_json(
        json!({"error": true, "errorMsg": "Unauthorized: API token is not valid for this organization"}),
    );
    let server = MockServer::builder().start().await;
    Mock::given(method("POST")).and(path("/api/location/getLocationsV2")).respond_with(refusing).mount(&server).await;
    let client = client(&server, example(RHOMBUS), RHOMBUS_KEY);
    let err = client.sites().await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Status);
    assert!(
        err.message.contains("answered 200 OK with an error in its body")
            && err.message.contains("API token is not valid for this organization"),
        "{}",
        err.message
    );
    assert_eq!(err.exchanges.last().unwrap().status, Some(200));
}
