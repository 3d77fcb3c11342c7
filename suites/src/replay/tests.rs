//! Unit tests of the replay suite: signatures classified, timestamps judged, replay headers kept.

use contract::SignatureFormat;

use super::receiver::{replay_headers, with_header};
use super::signature::timestamp_skew;
use super::signed::{Signed, classify};
use crate::context::{Delivery, Verification};
use contract::{Scheme, Secret};

const SECRET: &str = "whsec_unit";

/// A delivery of `body` signed by `sign` at `ts`, arriving at `arrival` (unix seconds),
/// verified by the receiver's rules.
fn delivery(format: &SignatureFormat, signer: &SignatureFormat, body: &str, ts: i64, arrival: i64) -> Delivery {
    let headers = signer.sign(&Secret::new(SECRET), body.as_bytes(), ts);
    Delivery {
        seq: 0,
        received_at_ms: arrival * 1000 + 250,
        verification: reverify(format, &headers, body, arrival),
        headers,
        body: body.into(),
        body_bytes: body.len(),
        event: serde_json::from_str(body).ok(),
        event_id: None,
        path: "/webhook".into(),
        duplicate: false,
        answered: Some(200),
    }
}

fn reverify(format: &SignatureFormat, headers: &[(String, String)], body: &str, now: i64) -> Verification {
    let header = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    match format.verify(header, body.as_bytes(), &[&Secret::new(SECRET)], now) {
        Ok(v) => Verification::Valid { timestamp: v.timestamp },
        Err(e) => Verification::Invalid { reason: e.to_string() },
    }
}

fn classified(format: &SignatureFormat, d: &Delivery) -> Signed {
    classify(format, d, |f| reverify(f, &d.headers, &d.body, d.received_at_ms / 1000))
}

#[test]
fn signatures_are_classified_by_verifying_again() {
    let ts_format = SignatureFormat::canonical(Scheme::Timestamped);
    let body_format = SignatureFormat::canonical(Scheme::Body);
    let now = 1_770_000_000;
    let body = r#"{"event_id":"e"}"#;
    assert_eq!(classified(&ts_format, &delivery(&ts_format, &ts_format, body, now, now)), Signed::Valid);
    // Signed as declared an hour ago: the MAC is right, the window is SIG-2's business.
    assert_eq!(classified(&ts_format, &delivery(&ts_format, &ts_format, body, now - 3600, now)), Signed::OutsideWindow);
    // Signed over the body alone although the format binds the timestamp.
    assert_eq!(classified(&ts_format, &delivery(&ts_format, &body_format, body, now, now)), Signed::BodyOnly);
    let mut no_ts = delivery(&ts_format, &ts_format, body, now, now);
    no_ts.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("x-webhook-timestamp"));
    no_ts.verification = reverify(&ts_format, &no_ts.headers, body, now);
    assert_eq!(classified(&ts_format, &no_ts), Signed::NoTimestamp);
    let mut forged = delivery(&body_format, &body_format, body, now, now);
    forged.body = r#"{"event_id":"f"}"#.into();
    forged.verification = reverify(&body_format, &forged.headers, &forged.body, now);
    assert_eq!(classified(&body_format, &forged), Signed::Invalid("signature does not match the body".into()));
    let mut unsigned = forged.clone();
    unsigned.verification = Verification::NoSecret;
    assert_eq!(classified(&body_format, &unsigned), Signed::NoSecret);
}

#[test]
fn the_receivers_likely_cause_reaches_the_finding() {
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let now = 1_770_000_000;
    let sent = r#"{"event_id": "e", "n": 1}"#;
    // Signed over the compact body, sent as Python writes it.
    let mut d = delivery(&format, &format, r#"{"event_id":"e","n":1}"#, now, now);
    d.body = sent.into();
    let header = |n: &str| d.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    let secret = Secret::new(SECRET);
    let mistake = contract::diagnose::diagnose(&format, header, sent.as_bytes(), &[&secret], &[], now);
    assert!(mistake.is_some());
    d.verification = Verification::Invalid {
        reason: contract::diagnose::with_likely_cause("signature does not match the body", mistake.as_ref()),
    };
    let Signed::Invalid(reason) = classified(&format, &d) else { panic!("a wrong signature is invalid") };
    assert!(
        reason.starts_with("signature does not match the body; likely cause: the MAC is over the body re-serialised"),
        "{reason}"
    );
}

#[test]
fn a_missing_or_stale_timestamp_under_a_body_only_format_is_sig_2_alone() {
    let body_format = SignatureFormat::canonical(Scheme::Body);
    let now = 1_770_000_000;
    let body = r#"{"event_id":"e"}"#;
    let mut no_ts = delivery(&body_format, &body_format, body, now, now);
    no_ts.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("x-webhook-timestamp"));
    no_ts.verification = reverify(&body_format, &no_ts.headers, body, now);
    assert!(matches!(no_ts.verification, Verification::Invalid { .. }), "the receiver refuses it (RPL-1)");
    assert_eq!(classified(&body_format, &no_ts), Signed::OutsideWindow, "but its signature is right (SIG-1)");
    let stale = delivery(&body_format, &body_format, body, now - 3600, now);
    assert_eq!(classified(&body_format, &stale), Signed::OutsideWindow);
    // The receiver accepts a body-only signature under a timestamp-binding format (SIG-1
    // holds); the classification still tells SIG-3's finding apart.
    let ts_format = SignatureFormat::canonical(Scheme::Timestamped);
    let mut accepted = delivery(&ts_format, &body_format, body, now, now);
    accepted.verification = Verification::Valid { timestamp: Some(now) };
    assert_eq!(classified(&ts_format, &accepted), Signed::BodyOnly);
}

#[test]
fn timestamps_are_judged_against_the_arrival() {
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let now = 1_770_000_000;
    assert_eq!(timestamp_skew(&format, &delivery(&format, &format, "{}", now - 3, now)), Ok(3));
    assert_eq!(timestamp_skew(&format, &delivery(&format, &format, "{}", now + 300, now)), Ok(-300));
    let stale = timestamp_skew(&format, &delivery(&format, &format, "{}", now - 3600, now)).unwrap_err();
    assert!(stale.contains("3600 s behind"), "{stale}");
    let future = timestamp_skew(&format, &delivery(&format, &format, "{}", now + 301, now)).unwrap_err();
    assert!(future.contains("301 s ahead of"), "{future}");
    let mut missing = delivery(&format, &format, "{}", now, now);
    missing.headers.truncate(1);
    assert_eq!(timestamp_skew(&format, &missing), Err("no `X-Webhook-Timestamp` header".into()));
}

#[test]
fn replays_keep_only_the_signature_headers() {
    let format = SignatureFormat::canonical(Scheme::Body);
    let mut d = delivery(&format, &format, "{}", 1, 1);
    d.headers.push(("content-type".into(), "application/json".into()));
    d.headers.push(("user-agent".into(), "vendor/1".into()));
    let kept = replay_headers(&format, &d);
    let kept: Vec<&str> = kept.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kept, ["X-Webhook-Signature", "X-Webhook-Timestamp", "content-type"]);
    let moved = with_header(&replay_headers(&format, &d), "x-webhook-timestamp", "9".into());
    assert_eq!(moved.iter().filter(|(k, _)| k.eq_ignore_ascii_case("x-webhook-timestamp")).count(), 1);
    assert_eq!(moved.last().map(|(_, v)| v.as_str()), Some("9"));
}
