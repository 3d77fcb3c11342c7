//! `exchanges.har` of a demo run: HAR 1.2 with every request to the vendor and every delivery the
//! receiver got, in order, and no secret (each redacted value keeping its digest).

mod common;

use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_run_records_its_exchanges_and_deliveries_as_har() {
    let (summary, _out) = common::demo_run(Vec::new()).await;
    let text = std::fs::read_to_string(summary.report_dir.join(harness::har::FILE)).unwrap();
    let har: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().unwrap();
    let started: Vec<&str> = entries.iter().map(|e| e["startedDateTime"].as_str().unwrap()).collect();
    assert!(started.windows(2).all(|w| w[0] <= w[1]), "entries in order of their start");

    let sent: Vec<&Value> = entries.iter().filter(|e| e.get("_webhook").is_none()).collect();
    let received: Vec<&Value> = entries.iter().filter(|e| e.get("_webhook").is_some()).collect();
    assert!(sent.len() > 50, "every request of the run: {}", sent.len());
    let urls: Vec<&str> = sent.iter().map(|e| e["request"]["url"].as_str().unwrap()).collect();
    for path in ["/api/v1/account", "/api/v1/account/sites", "/api/v1/webhooks"] {
        assert!(urls.iter().any(|u| u.contains(path)), "a request to {path}");
    }
    // Bad tokens the auth suite sent are there, answered 401; every credential sent is digested.
    assert!(sent.iter().any(|e| e["response"]["status"] == 401), "a refused request");
    let credentials: Vec<&str> = sent
        .iter()
        .flat_map(|e| e["request"]["headers"].as_array().unwrap())
        .filter(|h| h["name"] == "authorization")
        .map(|h| h["value"].as_str().unwrap())
        .collect();
    assert!(credentials.len() > 50, "{} credentials", credentials.len());
    for value in credentials {
        assert!(value.starts_with("Bearer [redacted sha256:") && value.ends_with(']'), "{value}");
    }
    // Each request of a check names it (`_check`); the preflight's, before any check, none.
    let known: Vec<&str> = suites::checks().iter().map(|c| c.meta.id).collect();
    assert!(sent[0].get("_check").is_none(), "the preflight runs before any check: {}", sent[0]);
    for e in sent.iter().filter_map(|e| e.get("_check")) {
        assert!(known.contains(&e.as_str().unwrap()), "{e} is a check's id");
    }
    for suite in ["schema", "pagination", "auth"] {
        assert!(
            sent.iter().any(|e| e["_check"].as_str().is_some_and(|c| c.starts_with(&format!("{suite}.")))),
            "a request of the {suite} suite"
        );
    }
    // A fresh token's header and claims, its signature elided.
    let minted = sent.iter().find(|e| e["_token"]["claims"]["iss"].is_string()).expect("a token's claims");
    assert_eq!(minted["_token"]["signature"], "[elided]");

    // The mock's control API (the demo's trigger), its admin token digested.
    let control = sent
        .iter()
        .find(|e| e["request"]["url"].as_str().unwrap().contains("/_mock/devices/"))
        .expect("a request to the mock's control API");
    let admin =
        control["request"]["headers"].as_array().unwrap().iter().find(|h| h["name"] == "x-admin-token").unwrap();
    assert!(admin["value"].as_str().unwrap().starts_with("[redacted sha256:"), "{control}");
    assert!(!received.is_empty(), "the receiver's deliveries");
    assert!(received.iter().any(|e| e["_webhook"]["verification"]["result"] == "verified"), "a verified delivery");
    for e in &received {
        assert_eq!(e["request"]["method"], "POST");
        assert!(e["request"]["url"].as_str().unwrap().starts_with("http://127.0.0.1:"), "{e}");
        assert!(e["request"]["postData"]["text"].is_string());
    }
    // No secret: the markers of keys, webhook secrets, admin tokens and compact JWTs.
    for marker in ["PRIVATE KEY", "whsec_", "adm_", "eyJ"] {
        assert!(!text.contains(marker), "exchanges.har contains `{marker}`");
    }
}
