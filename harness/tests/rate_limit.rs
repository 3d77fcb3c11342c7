//! The client records every 429 it gets, whatever request it answered and whether it then waited
//! and retried, so `auth.rate-limit` judges every rate-limit answer of the run (AUTH-8).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use harness::client::{Limits, VendorClient};
use harness::profile::Profile;
use suites::{Probe, ProbeAuth, VendorApi};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> VendorClient {
    let minter = contract::TokenMinter::from_pem(&keypair().private_pem, None).unwrap();
    let limits = Limits {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        max_body_bytes: 64 * 1024,
        max_pages: 5,
        max_retry_after: Duration::from_secs(1),
        max_rate_limit_retries: 2,
    };
    VendorClient::new(&server.uri(), Profile::default(), Arc::new(minter), limits, "vendor.toml").unwrap()
}

#[tokio::test]
async fn every_429_is_recorded_retried_or_not() {
    let server = MockServer::start().await;
    // A crafted credential meets a limit without Retry-After.
    Mock::given(method("GET"))
        .and(path("/api/v1/account"))
        .and(header("authorization", "Bearer not-a-key-7f3a"))
        .respond_with(ResponseTemplate::new(429))
        .with_priority(1)
        .mount(&server)
        .await;
    // The first valid request meets a limit with Retry-After, which the client waits out.
    mount_one_429_then_account(&server).await;
    let client = client(&server);
    assert!(client.rate_limited().is_empty());
    client.account().await.unwrap();
    let crafted = ProbeAuth::Crafted { credential: contract::Secret::new("not-a-key-7f3a"), craft: "garbage".into() };
    let answer = client.probe(Probe::get("/api/v1/account").auth(crafted)).await.unwrap();
    assert_eq!(answer.status, 429);
    let limited = client.rate_limited();
    assert_eq!(limited.len(), 2, "{limited:#?}");
    assert_eq!(limited[0].response_header("retry-after"), Some("0"));
    assert_eq!(limited[1].response_header("retry-after"), None);
    assert!(limited.iter().all(|x| x.url.ends_with("/api/v1/account") && x.status == Some(429)));
    let shown = format!("{limited:?}");
    assert!(!shown.contains("not-a-key-7f3a"), "no credential is kept: {shown}");
}
