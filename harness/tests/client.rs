//! Odd vendor HTTP behaviour: each ends as a FAIL or an ERROR with evidence, never a hang or a crash.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use harness::client::{Limits, VendorClient};
use harness::profile::Profile;
use serde_json::json;
use suites::{ApiErrorKind, Blame, VendorApi};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(1),
        max_body_bytes: 64 * 1024,
        max_pages: 5,
        max_retry_after: Duration::from_secs(1),
        max_rate_limit_retries: 2,
    }
}

fn client(server: &MockServer) -> VendorClient {
    let minter = contract::TokenMinter::from_pem(&keypair().private_pem, None).unwrap();
    VendorClient::new(&server.uri(), Profile::default(), Arc::new(minter), limits(), "vendor.toml").unwrap()
}

async fn answer(route: &str, template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path(route)).respond_with(template).mount(&server).await;
    server
}

#[tokio::test]
async fn a_huge_body_stops_at_the_cap() {
    let server = answer("/api/v1/account", ResponseTemplate::new(200).set_body_string("x".repeat(1024 * 1024))).await;
    let err = client(&server).account().await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::TooLarge);
    assert_eq!(err.kind.blame(), Blame::Vendor);
    let exchange = &err.exchanges[0];
    assert!(exchange.truncated && exchange.body_bytes <= 64 * 1024 + 1024 * 1024);
}

#[tokio::test]
async fn invalid_json_is_the_vendors_fault_with_the_body_as_evidence() {
    let server = answer("/api/v1/account", ResponseTemplate::new(200).set_body_string("{not json")).await;
    let err = client(&server).account().await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::InvalidJson);
    assert_eq!(err.exchanges[0].body_excerpt.as_deref(), Some("{not json"));
}

#[tokio::test]
async fn endless_pages_stop_at_the_guard() {
    let body = json!({"sites": [{"site_id": "s", "name": "n", "timezone": "UTC"}],
                      "pagination": {"page": 1, "per_page": 1, "total_pages": 1_000_000, "total_count": 1_000_000}});
    let server = answer("/api/v1/account/sites", ResponseTemplate::new(200).set_body_json(body)).await;
    let err = client(&server).sites().await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::TooManyPages);
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
    assert!(err.exchanges.len() <= 4, "long walks keep only their ends as evidence");
}

#[tokio::test]
async fn a_stalled_answer_times_out_as_the_harness_could_not_test() {
    let stalled = ResponseTemplate::new(200).set_body_json(json!({})).set_delay(Duration::from_secs(30));
    let server = answer("/api/v1/account", stalled).await;
    let started = Instant::now();
    let err = client(&server).account().await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Timeout);
    assert_eq!(err.kind.blame(), Blame::Harness);
    assert!(started.elapsed() < Duration::from_secs(10), "the timeout bounds the wait");
}

#[tokio::test]
async fn redirects_are_reported_and_never_followed() {
    let server = MockServer::start().await;
    let loop_to = format!("{}/api/v1/account", server.uri());
    Mock::given(method("GET"))
        .and(path("/api/v1/account"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", loop_to.as_str()))
        .mount(&server)
        .await;
    let err = client(&server).account().await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Redirect);
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "the redirect was not followed");
    assert!(err.message.contains(&loop_to));
}

#[tokio::test]
async fn a_cross_origin_redirect_never_carries_the_token() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&elsewhere).await;
    let server = answer(
        "/api/v1/account",
        ResponseTemplate::new(307).insert_header("location", format!("{}/steal", elsewhere.uri()).as_str()),
    )
    .await;
    assert_eq!(client(&server).account().await.unwrap_err().kind, ApiErrorKind::Redirect);
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn retry_after_is_honoured_within_the_bound_and_reported() {
    let server = MockServer::start().await;
    mount_one_429_then_account(&server).await;
    let fetched = client(&server).account().await.unwrap();
    assert_eq!(fetched.record["account_id"], ACCOUNT);
    assert!(fetched.exchange.notes.iter().any(|n| n.contains("429")), "{:?}", fetched.exchange.notes);
}

#[tokio::test]
async fn a_retry_after_beyond_the_bound_is_not_waited_for() {
    let server = answer("/api/v1/account", ResponseTemplate::new(429).insert_header("retry-after", "3600")).await;
    let started = Instant::now();
    let err = client(&server).account().await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Status);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.exchanges[0].notes.iter().any(|n| n.contains("beyond")));
}

#[tokio::test]
async fn every_request_carries_a_fresh_token_and_evidence_shows_only_its_claims() {
    let server =
        answer("/api/v1/account", ResponseTemplate::new(200).set_body_json(json!({"account_id": "a", "name": "n"})))
            .await;
    let c = client(&server);
    let first = c.account().await.unwrap();
    c.account().await.unwrap();
    let received = server.received_requests().await.unwrap();
    let auth: Vec<&str> = received.iter().map(|r| r.headers.get("authorization").unwrap().to_str().unwrap()).collect();
    assert!(auth.iter().all(|a| a.starts_with("Bearer ey")));
    let token = first.exchange.token.as_ref().unwrap();
    assert_eq!(token.header["alg"], "RS256");
    assert_eq!(token.signature, "[elided]");
    let shown = serde_json::to_string(&first.exchange).unwrap();
    assert!(!shown.contains(auth[0].trim_start_matches("Bearer ")));
}

#[tokio::test]
async fn a_probed_page_reads_through_the_vendors_profile() {
    let body = json!({"data": {"items": [{"id": "s-1", "title": "Depot"}]},
                      "meta": {"pg": 3, "size": 25, "pages": 2, "count": 26}});
    let server = answer("/v2/locations", ResponseTemplate::new(200).set_body_json(body)).await;
    let mut profile = Profile::default();
    profile.sites.path = "/v2/locations".into();
    profile.sites.list = "/data/items".into();
    profile.sites.fields = [("site_id", "/id"), ("name", "/title")]
        .map(|(k, v)| (k.into(), harness::profile::FieldSpec::Pointer(v.into())))
        .into();
    profile.pagination = harness::profile::PaginationProfile::Page {
        location: Default::default(),
        page_param: "pg".into(),
        size_param: Some("size".into()),
        size: Some(25),
        max_size: None,
        min_size: None,
        default_size: None,
        total_pages: Some("/meta/pages".into()),
        total_count: Some("/meta/count".into()),
        page: Some("/meta/pg".into()),
        per_page: Some("/meta/size".into()),
    };
    let minter = contract::TokenMinter::from_pem(&keypair().private_pem, None).unwrap();
    let client = VendorClient::new(&server.uri(), profile, Arc::new(minter), limits(), "vendor.toml").unwrap();
    let answer = client.probe(suites::Probe::get("/v2/locations").query("pg", "3")).await.unwrap();
    let page = client.read_page(&suites::Collection::Sites, &answer).expect("a page");
    assert_eq!(page.records, [json!({"site_id": "s-1", "name": "Depot"})]);
    assert_eq!(
        (page.index, page.page, page.per_page, page.total_pages, page.total_count),
        (3, Some(3), Some(25), Some(2), Some(26))
    );
    let inventory = suites::Collection::Inventory { site_id: "s-1".into() };
    assert!(client.read_page(&inventory, &answer).is_none(), "no inventory list where the profile says");
}

/// One call asks for a page and reads it: the answer, the page through the profile and the error
/// a 200 body signals (a vendor that refuses with 200 and an error flag), with no further requests.
#[tokio::test]
async fn one_call_asks_a_page_and_reads_the_page_and_any_body_error() {
    let server = MockServer::start().await;
    let page = json!({"data": {"sites": [{"site_id": "s-2", "name": "Depot"}]},
                      "pagination": {"page": 2, "per_page": 1, "total_pages": 2, "total_count": 2}});
    Mock::given(method("GET"))
        .and(path("/api/v1/account/sites"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/account/sites"))
        .and(query_param("page", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"error": true, "errorMsg": "bad page"})))
        .mount(&server)
        .await;
    let mut profile = Profile::default();
    // The list where no canonical reading would find it: the page is read through the profile.
    profile.sites.list = "/data/sites".into();
    profile.errors =
        Some(harness::profile::BodyErrors { flag: "/error".into(), ok: vec![], message: Some("/errorMsg".into()) });
    let minter = contract::TokenMinter::from_pem(&keypair().private_pem, None).unwrap();
    let client = VendorClient::new(&server.uri(), profile, Arc::new(minter), limits(), "vendor.toml").unwrap();
    let ask =
        |page: &str| suites::PageAsk { position: Some(page.into()), size: Some("1".into()), ..Default::default() };

    let second = client.ask_page(&suites::Collection::Sites, &ask("2")).await.unwrap();
    assert_eq!(second.answer.status, 200);
    assert!(second.answer.exchange.url.contains("page=2") && second.answer.exchange.url.contains("per_page=1"));
    let seen = second.page.as_ref().expect("a page");
    assert_eq!(seen.records, [json!({"site_id": "s-2", "name": "Depot"})]);
    assert_eq!((seen.index, seen.per_page, seen.total_count), (2, Some(1), Some(2)));
    assert_eq!((second.body_error.as_deref(), second.refusal()), (None, None));

    let refused = client.ask_page(&suites::Collection::Sites, &ask("0")).await.unwrap();
    assert!(refused.page.is_none(), "no list where the profile says");
    assert_eq!(refused.body_error.as_deref(), Some("bad page"));
    assert_eq!(refused.refusal().as_deref(), Some("refused with 200 and an error in its body (bad page)"));

    let missing = client.ask_page(&suites::Collection::Inventory { site_id: "gone".into() }, &ask("1")).await.unwrap();
    assert_eq!((missing.answer.status, missing.page.is_none()), (404, true));
    assert_eq!(server.received_requests().await.unwrap().len(), 3, "one request per page asked");
}

/// A site address built from several pointers, and devices that carry no account id taking the
/// credential's (read from the account endpoint first, as INV-1's "equivalent derivable from
/// the request"), through the TOML a vendor writes.
#[tokio::test]
async fn joined_descriptors_and_the_credentials_account_fill_canonical_fields() {
    let server = MockServer::start().await;
    let serve = |route: &str, body: serde_json::Value| {
        Mock::given(method("GET"))
            .and(path(route.to_owned()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    serve("/api/v1/account", json!({"account_id": "acct-7", "name": "Acme"})).expect(1).mount(&server).await;
    let pagination = json!({"page": 1, "per_page": 50, "total_pages": 1, "total_count": 1});
    let site = json!({"site_id": "s-1", "name": "HQ",
                      "address": {"street": "233 S Wacker Dr", "city": "Chicago", "zip": 60606}});
    serve("/api/v1/account/sites", json!({"sites": [site], "pagination": pagination})).mount(&server).await;
    let device = json!({"device_id": "d-1", "name": "Cam", "type": "camera", "site_id": "s-1", "status": "online"});
    serve("/api/v1/sites/s-1/inventory", json!({"devices": [device], "pagination": pagination})).mount(&server).await;
    let text = Profile::builtin_text("canonical")
        .replace(
            "address = \"/address\"",
            "address = { join = [\"/address/street\", \"/address/city\", \"/address/zip\"], separator = \", \" }",
        )
        .replace(
            "account_id = \"/account_id\"\nmac_address",
            "account_id = { from_request = \"account_id\" }\nmac_address",
        );
    let profile = Profile::parse(&text).unwrap();
    let minter = contract::TokenMinter::from_pem(&keypair().private_pem, None).unwrap();
    let client = VendorClient::new(&server.uri(), profile, Arc::new(minter), limits(), "vendor.toml").unwrap();
    let sites = client.sites().await.unwrap();
    assert_eq!(sites.records[0].record["address"], "233 S Wacker Dr, Chicago, 60606");
    // No sync read the account yet: the walk reads it once, for the field that needs it.
    let devices = client.inventory("s-1").await.unwrap();
    assert_eq!(devices.records[0].record["account_id"], "acct-7");
    let again = client.inventory("s-1").await.unwrap();
    assert_eq!(again.records[0].record["account_id"], "acct-7");
    assert!(devices.notes.is_empty(), "{:?}", devices.notes);
}

/// OAuth2 client credentials (RFC 6749 §4.4): the token is asked for once with HTTP Basic, cached
/// for the requests that follow, and recorded in the run's HAR with both secrets digested.
#[tokio::test]
async fn an_oauth2_client_exchanges_once_and_its_har_holds_no_secret() {
    use wiremock::matchers::header;
    let server = MockServer::start().await;
    // `client-1:s3cr3t-client` in HTTP Basic.
    let basic = "Basic Y2xpZW50LTE6czNjcjN0LWNsaWVudA==";
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .and(header("authorization", basic))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "at-9f8e7d6c", "expires_in": 600})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/account"))
        .and(header("authorization", "Bearer at-9f8e7d6c"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"account_id": ACCOUNT, "name": "n"})))
        .expect(2)
        .mount(&server)
        .await;
    let auth = toml::from_str("kind = \"oauth2_client_credentials\"\ntoken_url = \"/oauth2/token\"").unwrap();
    let profile = Profile { auth, ..Profile::default() };
    let credential =
        harness::client::Credential::client_credentials("client-1", contract::Secret::new("s3cr3t-client"));
    let har = Arc::new(harness::har::HarRecorder::new());
    let client =
        VendorClient::new(&server.uri(), profile, credential, limits(), "vendor.toml").unwrap().with_har(har.clone());
    client.account().await.unwrap();
    client.account().await.unwrap();
    let doc = har.document(&[]);
    let text = doc.to_string();
    assert!(!text.contains("at-9f8e7d6c") && !text.contains("s3cr3t-client") && !text.contains("Y2xpZW50"), "{text}");
    let entries = doc["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "one token request, two account requests: {text}");
    let token = &entries[0];
    assert_eq!(token["request"]["postData"]["mimeType"], "application/x-www-form-urlencoded");
    assert!(token["request"]["headers"][0]["value"].as_str().unwrap().starts_with("Basic [redacted sha256:"));
    assert!(token["response"]["content"]["text"].as_str().unwrap().contains("[redacted sha256:"), "{token}");
}
