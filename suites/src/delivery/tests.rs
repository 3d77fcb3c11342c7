//! Unit tests of the delivery suite: retries compared, failed phases counted, redirect targets.

use contract::{Scheme, Secret, SignatureFormat};
use serde_json::Value;

use super::answers::is_redirect_target;
use super::distinct::distinguishing;
use super::retried::retry_differences;
use super::retries::{Failed, schedule};
use crate::attempts::{self, Produced};
use crate::context::Delivery;

fn attempt(seq: u64, at_ms: i64, body: &str, ts: i64) -> Delivery {
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let headers = format.sign(&Secret::new("whsec_unit"), body.as_bytes(), ts);
    Delivery {
        seq,
        received_at_ms: at_ms,
        headers,
        body: body.into(),
        body_bytes: body.len(),
        verification: crate::Verification::Valid { timestamp: Some(ts) },
        event: serde_json::from_str(body).ok(),
        event_id: body_json_str(body),
        path: "/webhook".into(),
        duplicate: false,
        answered: Some(200),
    }
}

fn body_json_str(body: &str) -> Option<String> {
    serde_json::from_str::<Value>(body).ok()?.get("event_id")?.as_str().map(str::to_owned)
}

fn check(first: &Delivery, retry: &Delivery) -> Vec<String> {
    retry_differences(Some(&SignatureFormat::canonical(Scheme::Timestamped)), first, retry)
}

const BODY: &str = r#"{"event_id":"e-1","timestamp":"2026-02-04T14:32:00.000Z","data":{"status":"offline"}}"#;

#[test]
fn a_faithful_retry_differs_in_nothing() {
    let first = attempt(0, 1_000, BODY, 1_770_000_000);
    assert!(check(&first, &attempt(1, 1_050, BODY, 1_770_000_000)).is_empty(), "50 ms later the second may tie");
    assert!(check(&first, &attempt(1, 2_600, BODY, 1_770_000_002)).is_empty());
}

#[test]
fn each_retry_fault_is_named() {
    let first = attempt(0, 1_000, BODY, 1_770_000_000);
    let new_id = attempt(1, 1_050, &BODY.replace("e-1", "e-2"), 1_770_000_000);
    let wrong = check(&first, &new_id);
    assert!(wrong[0].contains("`event_id` e-2 instead of the first attempt's e-1"), "{wrong:?}");
    let counter = attempt(1, 1_050, &format!(r#"{},"delivery_attempt":2}}"#, &BODY[..BODY.len() - 1]), 1_770_000_000);
    let wrong = check(&first, &counter);
    assert!(wrong.iter().any(|w| w.contains("`delivery_attempt` added")), "{wrong:?}");
    let restamped = attempt(1, 1_050, &BODY.replace("32:00.000", "32:01.550"), 1_770_000_000);
    assert!(check(&first, &restamped).iter().any(|w| w.contains("`timestamp` changed")));
    let spaced = attempt(1, 1_050, &BODY.replacen('{', "{ ", 1), 1_770_000_000);
    assert!(check(&first, &spaced).iter().any(|w| w.contains("same JSON, different bytes")));
    // The first attempt's headers resent 1.55 s later.
    let mut stale = attempt(1, 2_550, BODY, 1_770_000_000);
    stale.headers = first.headers.clone();
    assert!(check(&first, &stale).iter().any(|w| w.contains("not made afresh")));
    let mut unverified = attempt(1, 1_050, BODY, 1_770_000_000);
    unverified.verification = crate::Verification::Invalid { reason: "signature does not match the body".into() };
    assert!(check(&first, &unverified).iter().any(|w| w.contains("did not verify")));
}

#[test]
fn a_retry_of_an_unverified_first_attempt_is_not_blamed_for_its_signature() {
    let mut first = attempt(0, 1_000, BODY, 1_770_000_000);
    first.verification = crate::Verification::Invalid { reason: "missing header".into() };
    let mut retry = attempt(1, 1_050, BODY, 1_770_000_000);
    retry.verification = first.verification.clone();
    assert!(check(&first, &retry).is_empty());
    let mut no_ts = retry.clone();
    no_ts.headers.truncate(1);
    assert!(check(&first, &no_ts).is_empty(), "a missing timestamp is SIG-2's finding");
}

#[test]
fn failed_phases_count_only_the_attempts_failed_as_intended() {
    let mut attempts = vec![attempt(0, 0, BODY, 1), attempt(1, 50, BODY, 1), attempt(2, 150, BODY, 1)];
    attempts[0].answered = Some(500);
    attempts[1].answered = Some(500);
    let produced =
        Produced { done: String::new(), since: 0, of: attempts::EventOf::Ping { event_id: None }, device: None };
    let failed = Failed { how: "answered 500", answered: Some(500), produced, attempts };
    assert_eq!((failed.failed(), failed.retried()), (2, true));
    assert_eq!(schedule(&failed.attempts), "50 ms, 100 ms");
    let late = Failed { attempts: failed.attempts[2..].to_vec(), ..failed.clone() };
    assert_eq!((late.failed(), late.retried()), (0, false));
}

#[test]
fn redirect_targets_and_distinguishing_parts() {
    assert!(is_redirect_target("/webhook/redirected"));
    assert!(is_redirect_target("/redirected/?x=1"));
    assert!(!is_redirect_target("/webhook"));
    let health = attempt(0, 0, BODY, 1);
    assert_eq!(distinguishing(&health), serde_json::json!({"status": "offline"}));
    let ping = attempt(0, 0, r#"{"event_type":"ping","event_id":"p"}"#, 1);
    assert_eq!(distinguishing(&ping), Value::String(ping.body.clone()));
}
