//! The HAR document: HAR 1.2's required members in every entry, entries in order, and no secret
//! anywhere, each redacted value keeping its digest.

use super::*;
use suites::TokenView;

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
const SECRET: &str = "whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0";

fn create_exchange() -> Exchange {
    Exchange {
        method: "POST".into(),
        url: "http://127.0.0.1:1/api/v1/webhooks?x=1".into(),
        request_headers: vec![("authorization".into(), "Bearer [redacted]".into())],
        token: Some(TokenView {
            header: json!({"alg": "RS256"}),
            claims: json!({"sub": "a"}),
            signature: "[elided]".into(),
        }),
        request_body: Some(r#"{"target_url":"http://127.0.0.1:2/webhook"}"#.into()),
        status: Some(201),
        response_headers: vec![("content-type".into(), "application/json".into())],
        body_excerpt: Some(format!(r#"{{"webhook_id":"w1","secret":"{SECRET}"}}"#)),
        body_bytes: 60,
        elapsed_ms: 12,
        ..Exchange::default()
    }
}

fn delivery(seq: u64, at: i64, verification: Verification) -> Delivery {
    Delivery {
        seq,
        received_at_ms: at,
        headers: vec![("x-webhook-signature".into(), "sha256=00".into()), ("x-shared-secret".into(), SECRET.into())],
        body: format!(r#"{{"event_id":"e{seq}","note":"{SECRET}"}}"#),
        body_bytes: 40,
        verification,
        event: None,
        event_id: Some(format!("e{seq}")),
        duplicate: false,
        answered: Some(200),
        path: "/webhook".into(),
    }
}

fn recorded() -> Value {
    let har = HarRecorder::new();
    har.exchange(&create_exchange(), Some(&Secret::new(format!("Bearer {TOKEN}"))));
    har.delivery(
        &delivery(1, 1_100_000_000_000, Verification::Invalid { reason: "bad MAC".into() }),
        "http://127.0.0.1:9",
    );
    har.delivery(&delivery(0, 1_000_000_000_000, Verification::Valid { timestamp: None }), "http://127.0.0.1:9");
    har.document(&[Secret::new(SECRET)])
}

#[test]
fn every_entry_has_har_1_2s_required_members() {
    let doc = recorded();
    assert_eq!(doc["log"]["version"], "1.2");
    assert_eq!(doc["log"]["creator"]["name"], "harness");
    let entries = doc["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for e in entries {
        for member in ["startedDateTime", "time", "request", "response", "cache", "timings"] {
            assert!(e.get(member).is_some(), "{member} missing in {e}");
        }
        for member in ["method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"] {
            assert!(e["request"].get(member).is_some(), "request.{member} missing in {e}");
        }
        for member in ["status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL"] {
            assert!(e["response"].get(member).is_some(), "response.{member} missing in {e}");
        }
        assert!(e["response"]["content"]["size"].is_number() && e["response"]["content"]["mimeType"].is_string());
        for timing in ["send", "wait", "receive"] {
            assert!(e["timings"][timing].as_i64().unwrap() >= 0, "{e}");
        }
    }
    assert_eq!(entries[0]["request"]["queryString"], json!([]));
}

#[test]
fn entries_are_in_order_and_deliveries_carry_their_verification() {
    let doc = recorded();
    let entries = doc["log"]["entries"].as_array().unwrap();
    let seqs: Vec<&Value> = entries.iter().map(|e| &e["_webhook"]["seq"]).collect();
    assert_eq!(seqs[..2], [&json!(0), &json!(1)], "oldest first");
    assert_eq!(entries[0]["_webhook"]["verification"]["result"], "verified");
    assert_eq!(entries[1]["_webhook"]["verification"], json!({"result": "invalid", "reason": "bad MAC"}));
    assert_eq!(entries[1]["request"]["url"], "http://127.0.0.1:9/webhook");
    let sent = &entries[2];
    assert_eq!(sent["request"]["queryString"], json!([{"name": "x", "value": "1"}]));
    assert_eq!(sent["response"]["statusText"], "Created");
    assert_eq!(sent["_token"]["claims"], json!({"sub": "a"}));
}

#[test]
fn no_secret_is_written_and_each_redacted_value_keeps_its_digest() {
    let text = recorded().to_string();
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(!text.contains("c2lnbmF0dXJl"), "{text}");
    assert!(text.contains(&redacted(TOKEN)), "the token's digest stays: {text}");
    assert!(text.contains(&redacted(SECRET)), "the secret's digest stays: {text}");
    assert_eq!(redacted(SECRET), redacted(SECRET));
    assert_ne!(redacted(SECRET), redacted("whsec_other"));
}

#[test]
fn secret_members_are_redacted_even_when_the_run_did_not_know_them() {
    let har = HarRecorder::new();
    let mut exchange = create_exchange();
    exchange.body_excerpt = Some(r#"{"data":[{"id":"w1","signingSecret":"unknown-to-the-run"}]}"#.into());
    exchange.response_headers.push(("X-Api-Key".into(), "k-123456".into()));
    har.exchange(&exchange, None);
    let text = har.document(&[]).to_string();
    assert!(!text.contains("unknown-to-the-run") && !text.contains("k-123456"), "{text}");
    assert!(text.contains(&redacted("unknown-to-the-run")), "{text}");
}

#[test]
fn a_cut_body_loses_its_secrets_too() {
    let har = HarRecorder::new();
    let listed = format!(r#"{{"data":[{{"id":"w1","secret":"{SECRET}"}},{{"id":"w2","signing_key":"whsec_cutinthemid"#);
    let exchange = Exchange { body_excerpt: Some(listed), truncated: true, ..create_exchange() };
    har.exchange(&exchange, None);
    let text = har.document(&[]).to_string();
    assert!(!text.contains(SECRET) && !text.contains("whsec_"), "{text}");
    assert!(text.contains(&redacted("whsec_cutinthemid")), "the cut value is digested as it stands: {text}");
}

#[test]
fn a_request_without_an_answer_is_status_0_with_its_error() {
    let har = HarRecorder::new();
    let exchange =
        Exchange { status: None, error: Some("connection refused".into()), body_excerpt: None, ..create_exchange() };
    har.exchange(&exchange, None);
    let doc = har.document(&[]);
    let response = &doc["log"]["entries"][0]["response"];
    assert_eq!((response["status"].as_u64(), response["_error"].as_str()), (Some(0), Some("connection refused")));
}

#[test]
fn the_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE);
    let har = HarRecorder::new();
    har.exchange(&create_exchange(), None);
    har.write(&path, &[]).unwrap();
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["log"]["entries"].as_array().unwrap().len(), 1);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
}

#[test]
fn each_exchange_names_the_check_that_sent_it() {
    let har = HarRecorder::new();
    har.exchange(&create_exchange(), None);
    har.within_check(Some("auth.valid-token"));
    har.exchange(&create_exchange(), None);
    har.within_check(None);
    har.exchange(&create_exchange(), None);
    let doc = har.document(&[]);
    let checks: Vec<&Value> = doc["log"]["entries"].as_array().unwrap().iter().map(|e| &e["_check"]).collect();
    assert_eq!(checks, [&Value::Null, &json!("auth.valid-token"), &Value::Null]);
}
