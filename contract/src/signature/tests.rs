//! Signing and verifying formats: timestamps read from their header or the value, formats
//! valid or refused, one error variant per failure, rotation, and vendor formats round-tripping.

use super::*;

fn lookup<'h>(headers: &'h [(String, String)]) -> impl Fn(&str) -> Option<&'h str> {
    move |name| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[test]
fn timestamps_are_read_from_their_header_or_the_value() {
    let canonical = SignatureFormat::canonical(Scheme::Timestamped);
    let headers = canonical.sign(&Secret::new("k"), b"{}", 1_770_000_000);
    assert_eq!(canonical.read_timestamp(lookup(&headers)), Ok(1_770_000_000));
    assert_eq!(canonical.read_timestamp(lookup(&headers[..1])), Err(SignatureError::MissingTimestamp));
    let garbled = vec![(TIMESTAMP_HEADER.to_owned(), "soon".to_owned())];
    assert!(matches!(canonical.read_timestamp(lookup(&garbled)), Err(SignatureError::UnparsableTimestamp(_))));
    let inline = SignatureFormat {
        header: "X-Sig".into(),
        value_template: "t={ts},v1={sig}".into(),
        signed_content: "{ts}.{body}".into(),
        timestamp_header: None,
        value_separator: Some(";".into()),
        ..canonical
    };
    let headers = inline.sign(&Secret::new("k"), b"{}", 1_770_000_123);
    assert_eq!(inline.read_timestamp(lookup(&headers)), Ok(1_770_000_123));
    assert!(matches!(inline.read_timestamp(lookup(&[])), Err(SignatureError::MissingHeader(_))));
}

#[test]
fn canonical_formats_are_valid() {
    SignatureFormat::canonical(Scheme::Body).validate().unwrap();
    SignatureFormat::canonical(Scheme::Timestamped).validate().unwrap();
    assert!(!SignatureFormat::canonical(Scheme::Body).binds_timestamp());
    assert!(SignatureFormat::canonical(Scheme::Timestamped).binds_timestamp());
}

#[test]
fn broken_formats_are_refused() {
    let mut f = SignatureFormat::canonical(Scheme::Body);
    f.value_template = "sha256=".into();
    assert!(matches!(f.validate(), Err(FormatError::SigPlaceholder(_))));
    let mut f = SignatureFormat::canonical(Scheme::Body);
    f.value_template = "{ts}{sig}".into();
    assert!(matches!(f.validate(), Err(FormatError::AdjacentPlaceholders(_))));
    let mut f = SignatureFormat::canonical(Scheme::Timestamped);
    f.timestamp_header = None;
    assert_eq!(f.validate(), Err(FormatError::NoTimestampSource));
    let mut f = SignatureFormat::canonical(Scheme::Body);
    f.signed_content = "{ts}".into();
    assert!(matches!(f.validate(), Err(FormatError::BodyPlaceholder(_))));
}

#[test]
fn each_failure_has_its_own_variant() {
    let f = SignatureFormat::canonical(Scheme::Body);
    let secret = Secret::new("s");
    let good = f.sign(&secret, b"{}", 1000);
    let sig = good[0].1.clone();
    let check = |sig: Option<&str>, ts: Option<&str>| {
        let mut h = Vec::new();
        if let Some(s) = sig {
            h.push((SIGNATURE_HEADER.to_owned(), s.to_owned()));
        }
        if let Some(t) = ts {
            h.push((TIMESTAMP_HEADER.to_owned(), t.to_owned()));
        }
        f.verify(lookup(&h), b"{}", &[&secret], 1000)
    };
    assert!(check(Some(&sig), Some("1000")).is_ok());
    assert!(check(Some(&sig.to_uppercase().replace("SHA256=", "sha256=")), Some("1000")).is_ok());
    assert_eq!(check(None, Some("1000")), Err(SignatureError::MissingHeader(SIGNATURE_HEADER.into())));
    assert!(matches!(check(Some("garbage"), Some("1000")), Err(SignatureError::MalformedHeader(_))));
    assert_eq!(check(Some("sha1=abcd"), Some("1000")), Err(SignatureError::UnknownPrefix("sha1=".into())));
    assert_eq!(check(Some("sha256=zz"), Some("1000")), Err(SignatureError::BadEncoding(SigEncoding::Hex)));
    assert_eq!(check(Some("sha256=abcd"), Some("1000")), Err(SignatureError::WrongLength { found: 2 }));
    assert_eq!(check(Some(&format!("sha256={}", "0".repeat(64))), Some("1000")), Err(SignatureError::Mismatch));
    assert_eq!(check(Some(&sig), None), Err(SignatureError::MissingTimestamp));
    assert!(matches!(check(Some(&sig), Some("soon")), Err(SignatureError::UnparsableTimestamp(_))));
    assert_eq!(check(Some(&sig), Some("1301")), Err(SignatureError::OutsideTolerance { skew: -301, tolerance: 300 }));
}

#[test]
fn rotation_accepts_any_listed_value() {
    let f = SignatureFormat::canonical(Scheme::Timestamped);
    let (old, new) = (Secret::new("old"), Secret::new("new"));
    let headers = f.sign_with_all(&[&old, &new], b"x", 50);
    assert!(headers[0].1.contains(','));
    assert_eq!(f.verify(lookup(&headers), b"x", &[&new], 50).unwrap().secret_index, 0);
    assert!(f.verify(lookup(&headers), b"x", &[&old], 50).is_ok());
    assert_eq!(f.verify(lookup(&headers), b"x", &[&Secret::new("other")], 50), Err(SignatureError::Mismatch));
}

#[test]
fn vendor_formats_round_trip() {
    // Verkada-style: `Verkada-Signature: <ts>|<hex>` over `<body>|<ts>`.
    let verkada = pipe_format("Verkada-Signature");
    verkada.validate().unwrap();
    let secret = Secret::new("k");
    let headers = verkada.sign(&secret, b"{\"a\":1}", 1597685622);
    assert_eq!(headers.len(), 1);
    assert!(headers[0].1.starts_with("1597685622|"));
    assert!(verkada.verify(lookup(&headers), b"{\"a\":1}", &[&secret], 1597685622).is_ok());
    // Base64, no prefix, no timestamp at all.
    let plain = SignatureFormat {
        header: "X-Signature".into(),
        value_template: "{sig}".into(),
        encoding: SigEncoding::Base64,
        signed_content: "{body}".into(),
        timestamp_header: None,
        tolerance_secs: None,
        value_separator: None,
    };
    let headers = plain.sign(&secret, b"b", 0);
    assert_eq!(plain.verify(lookup(&headers), b"b", &[&secret], 99_999).unwrap().timestamp, None);
}
