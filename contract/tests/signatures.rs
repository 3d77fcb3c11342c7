//! Webhook signature vectors and properties (CONTRACT.md §7).

use contract::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use contract::{Scheme, Secret, SignatureError, SignatureFormat};
use proptest::prelude::*;

fn lookup<'h>(headers: &'h [(String, String)]) -> impl Fn(&str) -> Option<&'h str> {
    move |name| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn headers(sig: &str, ts: &str) -> Vec<(String, String)> {
    vec![(SIGNATURE_HEADER.to_owned(), sig.to_owned()), (TIMESTAMP_HEADER.to_owned(), ts.to_owned())]
}

/// GitHub's documented vector for the body-only `sha256=<hex>` form (VENDOR-SHAPES.md).
#[test]
fn body_scheme_matches_the_public_vector() {
    let secret = Secret::new("It's a Secret to Everybody");
    let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let format = SignatureFormat::canonical(Scheme::Body);
    let signed = format.sign(&secret, b"Hello, World!", 1_700_000_000);
    assert_eq!(signed[0], (SIGNATURE_HEADER.to_owned(), expected.to_owned()));
    let h = headers(expected, "1700000000");
    assert!(format.verify(lookup(&h), b"Hello, World!", &[&secret], 1_700_000_000).is_ok());
}

/// Computed independently with Python:
/// `hmac.new(secret, b"1770215520." + body, hashlib.sha256).hexdigest()`.
#[test]
fn timestamped_scheme_matches_an_independent_vector() {
    let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let body = br#"{"event_id":"698219ad-4de9-896d-3be0-66cb00000001","event_type":"ping"}"#;
    let expected = "sha256=ddf6984c3351349f5f0423f9a863069477bf4069373b0a6598171576d22856ba";
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    assert_eq!(format.sign(&secret, body, 1_770_215_520)[0].1, expected);
    let h = headers(expected, "1770215520");
    assert!(format.verify(lookup(&h), body, &[&secret], 1_770_215_600).is_ok());
    // The same bytes verified as scheme `body` do not match: the timestamp is in the MAC.
    let body_scheme = SignatureFormat::canonical(Scheme::Body);
    assert_eq!(body_scheme.verify(lookup(&h), body, &[&secret], 1_770_215_600), Err(SignatureError::Mismatch));
}

#[test]
fn body_scheme_does_not_bind_the_timestamp() {
    // The weakness SIG-3 reports: a captured delivery re-sent with a fresh timestamp verifies.
    let secret = Secret::new("s");
    let format = SignatureFormat::canonical(Scheme::Body);
    let signed = format.sign(&secret, b"{}", 1000);
    let replayed = headers(&signed[0].1, "5000");
    assert!(format.verify(lookup(&replayed), b"{}", &[&secret], 5000).is_ok());
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let signed = format.sign(&secret, b"{}", 1000);
    let replayed = headers(&signed[0].1, "5000");
    assert_eq!(format.verify(lookup(&replayed), b"{}", &[&secret], 5000), Err(SignatureError::Mismatch));
}

/// SIG-2 breaks alone: a format that signs the body alone verifies without its timestamp once the
/// window is off, so a missing or stale timestamp is never also a signature failure (SIG-1).
#[test]
fn body_only_formats_verify_without_a_timestamp() {
    let secret = Secret::new("whsec_body_only");
    let body = br#"{"event_id":"e"}"#;
    let format = SignatureFormat::canonical(Scheme::Body);
    let signed = format.sign(&secret, body, 1_770_000_000);
    let no_ts = vec![signed[0].clone()];
    // The receiver's window still refuses it ...
    assert_eq!(format.verify(lookup(&no_ts), body, &[&secret], 1_770_000_000), Err(SignatureError::MissingTimestamp));
    // ... but the MAC is right: without the window it verifies, with no timestamp to report.
    let verified = format.without_window().verify(lookup(&no_ts), body, &[&secret], 1_770_000_000).unwrap();
    assert_eq!(verified.timestamp, None);
    let garbled = vec![signed[0].clone(), (TIMESTAMP_HEADER.to_owned(), "soon".to_owned())];
    assert!(format.without_window().verify(lookup(&garbled), body, &[&secret], 0).is_ok());
    // A stale one: the window's finding only.
    assert!(format.without_window().verify(lookup(&signed), body, &[&secret], 1_770_099_999).is_ok());
    // A wrong MAC is still a mismatch whatever the timestamp, not a missing timestamp.
    let forged = vec![(SIGNATURE_HEADER.to_owned(), format!("sha256={}", "0".repeat(64)))];
    assert_eq!(format.verify(lookup(&forged), body, &[&secret], 0), Err(SignatureError::Mismatch));
    // A format that binds the timestamp cannot check its MAC without one.
    let bound = SignatureFormat::canonical(Scheme::Timestamped);
    let signed = bound.sign(&secret, body, 1_770_000_000);
    assert_eq!(
        bound.without_window().verify(lookup(&signed[..1]), body, &[&secret], 0),
        Err(SignatureError::MissingTimestamp)
    );
    // Its body-only variant verifies a delivery signed over the body alone.
    let body_signed = format.sign(&secret, body, 1_770_000_000);
    assert!(bound.body_only().verify(lookup(&body_signed), body, &[&secret], 1_770_000_000).is_ok());
}

fn schemes() -> impl Strategy<Value = Scheme> {
    prop_oneof![Just(Scheme::Body), Just(Scheme::Timestamped)]
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(
        scheme in schemes(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        secret in "[ -~]{1,64}",
        ts in 0i64..4_000_000_000,
    ) {
        let format = SignatureFormat::canonical(scheme);
        let secret = Secret::new(secret);
        let h = format.sign(&secret, &body, ts);
        let verified = format.verify(lookup(&h), &body, &[&secret], ts).unwrap();
        prop_assert_eq!(verified.timestamp, Some(ts));
    }

    #[test]
    fn flipping_any_body_byte_fails(
        scheme in schemes(),
        body in proptest::collection::vec(any::<u8>(), 1..256),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let format = SignatureFormat::canonical(scheme);
        let secret = Secret::new("k");
        let h = format.sign(&secret, &body, 100);
        let mut tampered = body.clone();
        let i = index.index(tampered.len());
        tampered[i] ^= flip;
        prop_assert_eq!(format.verify(lookup(&h), &tampered, &[&secret], 100), Err(SignatureError::Mismatch));
    }

    #[test]
    fn flipping_any_signature_character_fails(
        scheme in schemes(),
        index in any::<prop::sample::Index>(),
        replacement in "[0-9a-f]",
    ) {
        let format = SignatureFormat::canonical(scheme);
        let secret = Secret::new("k");
        let h = format.sign(&secret, b"payload", 100);
        let value = &h[0].1;
        let hex_start = "sha256=".len();
        let i = hex_start + index.index(value.len() - hex_start);
        let old = &value[i..i + 1];
        prop_assume!(!old.eq_ignore_ascii_case(&replacement));
        let mut changed = value.clone();
        changed.replace_range(i..i + 1, &replacement);
        let tampered = headers(&changed, "100");
        prop_assert_eq!(format.verify(lookup(&tampered), b"payload", &[&secret], 100), Err(SignatureError::Mismatch));
    }

    #[test]
    fn changing_the_timestamp_fails_when_it_is_signed(ts in 1_000i64..1_000_000, delta in 1i64..200) {
        let format = SignatureFormat::canonical(Scheme::Timestamped);
        let secret = Secret::new("k");
        let h = format.sign(&secret, b"payload", ts);
        let moved = headers(&h[0].1, &(ts + delta).to_string());
        prop_assert_eq!(format.verify(lookup(&moved), b"payload", &[&secret], ts), Err(SignatureError::Mismatch));
    }

    #[test]
    fn malformed_header_values_never_panic(sig in "\\PC{0,120}", ts in "\\PC{0,24}", scheme in schemes()) {
        let format = SignatureFormat::canonical(scheme);
        let h = headers(&sig, &ts);
        let result = format.verify(lookup(&h), b"body", &[&Secret::new("k")], 0);
        prop_assert!(result.is_err());
    }
}
