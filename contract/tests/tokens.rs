//! Token minting and the vendor-side verification policy (CONTRACT.md §6).

use std::sync::OnceLock;

use contract::token::{self, KeyPair, VerifierKey, decode_unverified, sign_hs256};
use contract::{Secret, TokenError, TokenMinter, TokenPolicy, TokenVerifier};
use serde_json::json;

const NOW: i64 = 1_770_000_000;

/// Key generation is the slow part; every test shares two pairs.
fn keys() -> &'static (KeyPair, KeyPair) {
    static KEYS: OnceLock<(KeyPair, KeyPair)> = OnceLock::new();
    KEYS.get_or_init(|| (token::generate_keypair(2048).unwrap(), token::generate_keypair(2048).unwrap()))
}

fn verifier() -> TokenVerifier {
    let (a, b) = keys();
    TokenVerifier::new(
        TokenPolicy::default(),
        vec![
            VerifierKey::from_public_pem("kid-a", "account-a", &a.public_pem).unwrap(),
            VerifierKey::from_public_pem("kid-b", "account-b", &b.public_pem).unwrap(),
        ],
    )
}

fn minter() -> TokenMinter {
    TokenMinter::from_pem(&keys().0.private_pem, Some("kid-a".into())).unwrap()
}

fn check(token: &Secret) -> Result<String, TokenError> {
    verifier().verify(token.expose(), NOW).map(|v| v.owner)
}

#[test]
fn mint_then_verify_round_trips() {
    let token = minter().mint(NOW);
    let decoded = decode_unverified(token.expose()).unwrap();
    assert_eq!(decoded.header["alg"], "RS256");
    assert_eq!(decoded.header["kid"], "kid-a");
    assert_eq!(decoded.claims["iss"], "convergint");
    assert_eq!(decoded.claims["exp"], NOW + 3600);
    let verified = verifier().verify(token.expose(), NOW).unwrap();
    assert_eq!(
        (verified.kid.as_str(), verified.owner.as_str(), verified.exp),
        ("kid-a", "account-a", Some(NOW + 3600))
    );
}

#[test]
fn a_token_without_kid_finds_its_key() {
    let m = TokenMinter::from_pem(&keys().1.private_pem, None).unwrap();
    assert_eq!(check(&m.mint(NOW)).unwrap(), "account-b");
}

#[test]
fn pkcs1_keys_mint_too() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(keys().0.private_pem.expose()).unwrap();
    let pkcs1 = private.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let m = TokenMinter::from_pem(&Secret::new(pkcs1.as_str()), Some("kid-a".into())).unwrap();
    assert_eq!(check(&m.mint(NOW)).unwrap(), "account-a");
    assert_eq!(token::public_pem_of(&Secret::new(pkcs1.as_str())).unwrap(), keys().0.public_pem);
}

#[test]
fn every_rule_rejects_with_its_reason() {
    let m = minter();
    let h = m.header();
    let cases: Vec<(&str, Secret, TokenError)> = vec![
        ("not a jwt", Secret::new("garbage"), TokenError::Malformed),
        ("two segments", Secret::new("eyJhbGciOiJSUzI1NiJ9.e30"), TokenError::Malformed),
        ("four segments", Secret::new(format!("{}.x", m.mint(NOW).expose())), TokenError::Malformed),
        (
            "expired just past the leeway",
            m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW - 3631, "exp": NOW - 31})),
            TokenError::Expired(31),
        ),
        (
            "expired an hour ago",
            m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW - 7200, "exp": NOW - 3600})),
            TokenError::Expired(3600),
        ),
        ("no exp", m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW})), TokenError::MissingExp),
        (
            "exp as a string",
            m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW, "exp": (NOW + 60).to_string()})),
            TokenError::NotNumeric("exp"),
        ),
        ("no iss", m.mint_custom(&h, &json!({"iat": NOW, "exp": NOW + 60})), TokenError::MissingIssuer),
        (
            "wrong iss",
            m.mint_custom(&h, &json!({"iss": "someone", "iat": NOW, "exp": NOW + 60})),
            TokenError::WrongIssuer("someone".into()),
        ),
        (
            "lifetime over an hour",
            m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW, "exp": NOW + 7200})),
            TokenError::LifetimeTooLong(7200),
        ),
        (
            "iat in the future",
            m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW + 600, "exp": NOW + 900})),
            TokenError::IssuedInFuture(600),
        ),
        (
            "nbf in the future",
            m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW, "nbf": NOW + 600, "exp": NOW + 900})),
            TokenError::NotYetValid(600),
        ),
        (
            "unknown kid",
            m.mint_custom(
                &json!({"alg": "RS256", "kid": "nope"}),
                &json!({"iss": "convergint", "iat": NOW, "exp": NOW + 60}),
            ),
            TokenError::UnknownKid("nope".into()),
        ),
        (
            "kid of another account's key",
            m.mint_custom(
                &json!({"alg": "RS256", "kid": "kid-b"}),
                &json!({"iss": "convergint", "iat": NOW, "exp": NOW + 60}),
            ),
            TokenError::BadSignature,
        ),
    ];
    for (what, token, expected) in cases {
        assert_eq!(check(&token), Err(expected), "{what}");
    }
}

#[test]
fn a_key_that_is_not_the_accounts_is_refused() {
    let stranger = token::generate_keypair(1024).unwrap();
    let m = TokenMinter::from_pem(&stranger.private_pem, None).unwrap();
    assert_eq!(check(&m.mint(NOW)), Err(TokenError::BadSignature));
}

#[test]
fn tampered_payload_under_the_original_signature_is_refused() {
    let token = minter().mint(NOW);
    let decoded = decode_unverified(token.expose()).unwrap();
    let mut claims = serde_json::Value::Object(decoded.claims);
    claims["exp"] = json!(NOW + 3599);
    let forged = format!(
        "{}.{}.{}",
        decoded.signing_input.split('.').next().unwrap(),
        token::b64_json(&claims),
        decoded.signature
    );
    assert_eq!(check(&Secret::new(forged)), Err(TokenError::BadSignature));
}

#[test]
fn algorithm_attacks_are_refused() {
    let claims = json!({"iss": "convergint", "iat": NOW, "exp": NOW + 60});
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "typ": "JWT"});
        let token = format!("{}.{}.", token::b64_json(&header), token::b64_json(&claims));
        assert_eq!(check(&Secret::new(token)), Err(TokenError::UnsupportedAlgorithm(alg.into())), "{alg}");
    }
    // HS256 keyed with the account's public key, PEM and DER (RFC 8725 §2.1).
    let pem = keys().0.public_pem.as_bytes();
    let header = json!({"alg": "HS256", "kid": "kid-a"});
    assert_eq!(check(&sign_hs256(&header, &claims, pem)), Err(TokenError::UnsupportedAlgorithm("HS256".into())));
    use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
    let der = rsa::RsaPublicKey::from_public_key_pem(&keys().0.public_pem).unwrap().to_public_key_der().unwrap();
    assert_eq!(
        check(&sign_hs256(&header, &claims, der.as_bytes())),
        Err(TokenError::UnsupportedAlgorithm("HS256".into()))
    );
}

#[test]
fn leeways_are_the_policys() {
    let m = minter();
    let h = m.header();
    let within = m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW - 3630, "exp": NOW - 30}));
    assert!(check(&within).is_ok(), "30 s past exp is inside the default leeway");
    let strict = TokenVerifier::new(
        TokenPolicy { exp_leeway_secs: 0, ..TokenPolicy::default() },
        vec![VerifierKey::from_public_pem("kid-a", "account-a", &keys().0.public_pem).unwrap()],
    );
    assert_eq!(strict.verify(within.expose(), NOW), Err(TokenError::Expired(30)));
    let slightly_long = m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW, "exp": NOW + 3650}));
    assert!(check(&slightly_long).is_ok(), "lifetime leeway is 60 s");
}

#[test]
fn minter_debug_hides_the_key() {
    let shown = format!("{:?}", minter());
    assert!(!shown.contains("PRIVATE"), "{shown}");
    assert!(shown.contains("[redacted]"));
}

#[test]
fn a_relaxed_policy_skips_exactly_its_rules() {
    let m = minter();
    let relaxed = TokenPolicy { issuer: None, require_exp: false, ..TokenPolicy::default() };
    let no_exp_wrong_iss = m.mint_custom(&m.header(), &json!({"iss": "someone", "iat": NOW}));
    assert_eq!(check(&no_exp_wrong_iss), Err(TokenError::MissingExp));
    assert!(verifier().verify_with(no_exp_wrong_iss.expose(), NOW, &relaxed).is_ok());
    let expired = m.mint_custom(&m.header(), &json!({"iss": "convergint", "iat": NOW - 7200, "exp": NOW - 3600}));
    assert_eq!(verifier().verify_with(expired.expose(), NOW, &relaxed), Err(TokenError::Expired(3600)));
}

/// `exp` at or beyond 2^63 - 1 used to saturate to `i64::MAX`, the verifier's stand-in for "no
/// `exp`", and so skipped both expiry and the lifetime rule.
#[test]
fn huge_or_out_of_range_times_are_refused() {
    let m = minter();
    let h = m.header();
    let with_exp = |exp: serde_json::Value| m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW, "exp": exp}));
    assert_eq!(check(&with_exp(json!(i64::MAX))), Err(TokenError::LifetimeTooLong(i64::MAX - NOW)));
    for exp in [json!(1e300), json!(9.3e18), json!(u64::MAX), json!(9_223_372_036_854_775_808u64), json!(-1e300)] {
        assert_eq!(check(&with_exp(exp.clone())), Err(TokenError::OutOfRange("exp")), "{exp}");
    }
    // Far past, even i64::MIN, is expired (and does not overflow the reported age).
    assert_eq!(check(&with_exp(json!(i64::MIN))), Err(TokenError::Expired(i64::MAX)));
    for claim in ["iat", "nbf"] {
        let token = m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW, "exp": NOW + 60, claim: 1e300}));
        assert_eq!(check(&token), Err(TokenError::OutOfRange(claim)), "{claim}");
    }
    // A relaxed policy that allows no `exp` still measures a huge one.
    let relaxed = TokenPolicy { require_exp: false, ..TokenPolicy::default() };
    assert_eq!(
        verifier().verify_with(with_exp(json!(i64::MAX)).expose(), NOW, &relaxed),
        Err(TokenError::LifetimeTooLong(i64::MAX - NOW))
    );
    // No `exp` is still refused by the strict policy, and absent (not a sentinel) when allowed.
    let no_exp = m.mint_custom(&h, &json!({"iss": "convergint", "iat": NOW}));
    assert_eq!(check(&no_exp), Err(TokenError::MissingExp));
    assert_eq!(verifier().verify_with(no_exp.expose(), NOW, &relaxed).unwrap().exp, None);
    // An ordinary float `exp` is still fine.
    assert!(check(&with_exp(json!((NOW + 600) as f64 + 0.5))).is_ok());
}

/// RFC 7515 §4.1.11: a `crit` extension the verifier does not understand invalidates the token,
/// and RFC 7797's `b64: false` is such an extension here.
#[test]
fn critical_headers_are_refused() {
    let m = minter();
    let claims = json!({"iss": "convergint", "iat": NOW, "exp": NOW + 60});
    let with = |extra: serde_json::Value| {
        let mut header = m.header();
        header.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        m.mint_custom(&header, &claims)
    };
    let crit = with(json!({"crit": ["exp-ext"], "exp-ext": 1}));
    assert_eq!(check(&crit), Err(TokenError::CriticalHeader));
    assert_eq!(check(&with(json!({"crit": []}))), Err(TokenError::CriticalHeader));
    assert_eq!(check(&with(json!({"b64": false, "crit": ["b64"]}))), Err(TokenError::CriticalHeader));
    assert_eq!(check(&with(json!({"b64": false}))), Err(TokenError::UnencodedPayload));
    assert!(check(&with(json!({"b64": true}))).is_ok(), "`b64: true` is the default encoding");
    let lax = TokenPolicy { reject_crit: false, ..TokenPolicy::default() };
    assert!(verifier().verify_with(crit.expose(), NOW, &lax).is_ok(), "only the header rule refused it");
}
