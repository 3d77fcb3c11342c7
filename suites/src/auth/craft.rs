//! The crafted-token catalogue: every bad (or suspicious) bearer token the auth suite sends, by
//! name. The suite and `harness token --craft <name>` build tokens from this one place, so the
//! reproduce command of a crafted-token probe rebuilds the same kind of token the check sent
//! (with fresh times: `expired:60` is expired by 60 s when it is minted, not when the run was).
//!
//! A name is `kind` or `kind:<arg>` (`expired:3600`, `jku-x5u:http://127.0.0.1:8080/keys`).

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use contract::token::{ISSUER, b64_json, decode_unverified, generate_keypair, public_jwk, sign_hs256};
use contract::{Secret, TokenMinter};
use serde_json::{Map, Value, json};

use crate::context::TokenKit;

/// One kind of crafted token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CraftKind {
    /// The name before any `:<arg>`.
    pub kind: &'static str,
    /// What the argument is, when the kind takes one (`<secs>`, `<url>`).
    pub arg: Option<&'static str>,
    /// What the token is, in one line.
    pub what: &'static str,
}

macro_rules! crafts {
    ($($kind:literal $(: $arg:literal)? => $what:literal;)+) => {
        /// Every kind of crafted token, in the order `harness token --list-crafts` prints them.
        pub const CRAFTS: &[CraftKind] = &[$(CraftKind { kind: $kind, arg: crafts!(@arg $($arg)?), what: $what }),+];
    };
    (@arg) => { None };
    (@arg $arg:literal) => { Some($arg) };
}

crafts! {
    "garbage" => "not a JWT at all";
    "empty" => "an empty bearer credential";
    "two-segments" => "a valid token's header and claims without its signature segment";
    "four-segments" => "a valid token with a fourth segment appended";
    "not-base64" => "three segments that are not base64url";
    "header-not-json" => "a header segment that decodes to text, not a JSON object";
    "expired": "<secs>" => "valid in every way except that `exp` passed <secs> seconds ago";
    "foreign-key" => "signed by a key the vendor has never seen, with the account's `kid`";
    "foreign-key-no-kid" => "signed by a key the vendor has never seen, without `kid`";
    "embedded-jwk" => "signed by a key the vendor has never seen, with the account's `kid` and that key in header `jwk` (CVE-2018-0114)";
    "unsigned" => "`alg: RS256` with an empty signature";
    "tampered-claim" => "a valid token with a claim (`admin: true`) added under the original signature";
    "tampered-exp" => "a valid token with `exp` moved 60 s later under the original signature";
    "alg-none": "<spelling>" => "`alg` set to <spelling> (`none`, `None`, `NONE`, ...), empty signature";
    "alg-none-signed" => "`alg: none` but the original RS256 signature kept";
    "no-alg" => "no `alg` in the header, original RS256 signature";
    "hs256-public-pem" => "HS256 keyed with the account's public key PEM (RFC 8725 §2.1)";
    "hs256-public-pem-trimmed" => "HS256 keyed with the account's public key PEM without its final newline";
    "hs256-public-der" => "HS256 keyed with the account's public key DER (SubjectPublicKeyInfo)";
    "hs256-random" => "HS256 keyed with bytes no vendor knows: a bad token no rule relaxation lets through";
    "no-exp" => "signed by the account's key, no `exp`";
    "exp-null" => "signed by the account's key, `exp: null`";
    "exp-string" => "signed by the account's key, `exp` as a string of digits";
    "wrong-iss" => "signed by the account's key, `iss: not-convergint`";
    "no-iss" => "signed by the account's key, no `iss`";
    "iss-case" => "signed by the account's key, `iss` in upper case";
    "lifetime": "<secs>" => "signed by the account's key, `exp - iat` = <secs>";
    "exp-huge" => "signed by the account's key, `exp` = 2^63 - 1 (a verifier that saturates it to \"no exp\" never expires it)";
    "future-iat": "<secs>" => "signed by the account's key, `iat` <secs> s in the future (`exp` 20 min after it)";
    "future-nbf": "<secs>" => "signed by the account's key, `nbf` <secs> s in the future (`exp` 20 min after it)";
    "rotation-key" => "valid in every way, signed by the account's second (rotation) key and naming its `kid`";
    "rotation-key-wrong-kid" => "signed by the account's second key but naming the first key's `kid`";
    "crit-unknown" => "valid in every way except header `crit` naming an extension no verifier knows (RFC 7515 §4.1.11)";
    "b64-false" => "valid in every way except header `b64: false`, listed in `crit` (RFC 7797 unencoded payload)";
    "jku-x5u": "<url>" => "signed by an unknown key with an unknown `kid`, header `jku` <url>/jwks.json and `x5u` <url>/cert.pem";
}

/// Why a crafted token could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CraftError {
    #[error("unknown crafted token `{0}` (`harness token --list-crafts` lists them)")]
    Unknown(String),
    #[error("crafted token `{kind}` needs an argument: `{kind}:{arg}`")]
    MissingArg { kind: String, arg: &'static str },
    #[error("crafted token `{kind}` takes no argument (got `{value}`)")]
    UnexpectedArg { kind: String, value: String },
    #[error("`{value}` is not a number of seconds for `{kind}`")]
    BadSeconds { kind: String, value: String },
    #[error("failed to generate the foreign signing key: {0}")]
    ForeignKey(String),
    #[error("the account's public key PEM has no base64 body, so its DER form cannot be built")]
    PublicKey,
    #[error(
        "`{name}` is a crafted JWT, and this vendor's profile authenticates with `{kind}`: only garbage, empty apply"
    )]
    NotKeyless { name: String, kind: &'static str },
    #[error(
        "crafted token `{0}` needs the account's second key (`rotation_key_path` and `rotation_kid` under `[auth]`)"
    )]
    NoRotationKey(String),
}

/// The kind of a crafted token's name, and its argument.
pub fn parse_name(name: &str) -> Result<(&'static CraftKind, Option<&str>), CraftError> {
    let (kind, arg) = match name.split_once(':') {
        Some((kind, arg)) => (kind, Some(arg)),
        None => (name, None),
    };
    let found = CRAFTS.iter().find(|c| c.kind == kind).ok_or_else(|| CraftError::Unknown(name.to_owned()))?;
    match (found.arg, arg) {
        (Some(what), None) => Err(CraftError::MissingArg { kind: kind.to_owned(), arg: what }),
        (None, Some(value)) => Err(CraftError::UnexpectedArg { kind: kind.to_owned(), value: value.to_owned() }),
        _ => Ok((found, arg)),
    }
}

/// A key that belongs to no account, and its public half as a JWK.
#[derive(Debug)]
pub struct ForeignKey {
    pub minter: TokenMinter,
    pub jwk: Value,
}

static FOREIGN: OnceLock<Result<ForeignKey, String>> = OnceLock::new();

/// Whether the foreign key was generated already (the runner starts it early, off the runtime).
pub fn foreign_key_ready() -> bool {
    FOREIGN.get().is_some()
}

/// The key that belongs to no account: generated once per process (2048 bits, like a real
/// attacker's), because generating one takes a moment.
pub fn foreign_key() -> Result<&'static ForeignKey, CraftError> {
    FOREIGN
        .get_or_init(|| {
            let pair = generate_keypair(2048).map_err(|e| e.to_string())?;
            let minter = TokenMinter::from_pem(&pair.private_pem, None).map_err(|e| e.to_string())?;
            let jwk = public_jwk(&pair.public_pem).map_err(|e| e.to_string())?;
            Ok(ForeignKey { minter, jwk })
        })
        .as_ref()
        .map_err(|e| CraftError::ForeignKey(e.clone()))
}

/// The foreign key's minter.
pub fn foreign_minter() -> Result<&'static TokenMinter, CraftError> {
    foreign_key().map(|k| &k.minter)
}

/// Whether building `name` needs the foreign key (so an async caller can generate it off the
/// runtime's threads first).
pub fn needs_foreign_key(name: &str) -> bool {
    ["foreign-key", "foreign-key-no-kid", "embedded-jwk", "jku-x5u"]
        .contains(&name.split(':').next().unwrap_or_default())
}

/// The HMAC key of `hs256-random`: known to the harness alone, so no vendor can verify with it.
const UNKNOWN_HMAC_KEY: &[u8] = b"conformance-harness: an HMAC key that belongs to no account";

/// The account's valid token at `now`, as header, claims and signature.
struct Valid {
    header: Value,
    claims: Map<String, Value>,
    signature: String,
}

fn valid(kit: &TokenKit, now: i64) -> Valid {
    let token = kit.minter.mint(now);
    let decoded = decode_unverified(token.expose()).expect("the minter's own tokens decode");
    Valid { header: Value::Object(decoded.header), claims: decoded.claims, signature: decoded.signature }
}

fn seconds(kind: &str, arg: Option<&str>) -> Result<i64, CraftError> {
    let value = arg.unwrap_or_default();
    value
        .parse::<u32>()
        .map(i64::from)
        .map_err(|_| CraftError::BadSeconds { kind: kind.to_owned(), value: value.to_owned() })
}

/// Header and claims re-encoded around a signature (which then no longer matches).
fn assemble(header: &Value, claims: &Map<String, Value>, signature: &str) -> Secret {
    Secret::new(format!("{}.{}.{signature}", b64_json(header), b64_json(&Value::Object(claims.clone()))))
}

/// The account's public key as DER (the base64 body of its PEM).
fn public_der(pem: &str) -> Result<Vec<u8>, CraftError> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    STANDARD.decode(body).ok().filter(|d| !d.is_empty()).ok_or(CraftError::PublicKey)
}

/// The crafted credentials that need no signing key. They are what the suite can send a vendor
/// whose profile authenticates with an API key, a static bearer token or OAuth2 client
/// credentials: there is no client-minted JWT to craft the others from.
pub const KEYLESS: &[&str] = &["garbage", "empty"];

/// [`craft_keyless`] for a vendor whose profile authenticates with `kind` (not the contract's
/// JWTs): the error names the kind when `name` needs a signing key.
pub fn craft_keyless_for(kind: crate::AuthKind, name: &str) -> Result<Secret, CraftError> {
    craft_keyless(name).ok_or_else(|| CraftError::NotKeyless { name: name.to_owned(), kind: kind.as_str() })
}

/// Builds a crafted credential that needs no key (see [`KEYLESS`]); `None` for the others.
pub fn craft_keyless(name: &str) -> Option<Secret> {
    match name {
        "garbage" => Some(Secret::new("not-a-jwt")),
        "empty" => Some(Secret::new("")),
        _ => None,
    }
}

/// Builds the crafted token `name` for the account of `kit` at time `now` (unix seconds): the
/// text that follows `Bearer `.
pub fn craft(kit: &TokenKit, name: &str, now: i64) -> Result<Secret, CraftError> {
    let (kind, arg) = parse_name(name)?;
    if let Some(token) = craft_keyless(kind.kind) {
        return Ok(token);
    }
    let Valid { header, mut claims, signature } = valid(kit, now);
    let sign = |claims: &Map<String, Value>| kit.minter.mint_custom(&header, &Value::Object(claims.clone()));
    let token = match kind.kind {
        "two-segments" => Secret::new(format!("{}.{}", b64_json(&header), b64_json(&Value::Object(claims)))),
        "four-segments" => Secret::new(format!("{}.e30", kit.minter.mint(now).expose())),
        "not-base64" => Secret::new("%%%.!!!.***"),
        "header-not-json" => Secret::new(format!(
            "{}.{}.{signature}",
            URL_SAFE_NO_PAD.encode("RS256 token, honest"),
            b64_json(&Value::Object(claims))
        )),
        "expired" => {
            let by = seconds(kind.kind, arg)?;
            // Ten minutes of life that ended `by` seconds ago: only `exp` is wrong.
            claims.insert("exp".into(), json!(now - by));
            claims.insert("iat".into(), json!(now - by - 600));
            sign(&claims)
        }
        "foreign-key" | "foreign-key-no-kid" => {
            let mut header = header.clone();
            if kind.kind == "foreign-key-no-kid"
                && let Some(h) = header.as_object_mut()
            {
                h.remove("kid");
            }
            foreign_minter()?.mint_custom(&header, &Value::Object(claims))
        }
        "embedded-jwk" => {
            let foreign = foreign_key()?;
            let mut header = header.clone();
            if let Some(h) = header.as_object_mut() {
                h.insert("jwk".into(), foreign.jwk.clone());
            }
            foreign.minter.mint_custom(&header, &Value::Object(claims))
        }
        "unsigned" => assemble(&header, &claims, ""),
        "tampered-claim" => {
            claims.insert("admin".into(), json!(true));
            assemble(&header, &claims, &signature)
        }
        "tampered-exp" => {
            let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
            claims.insert("exp".into(), json!(exp + 60));
            assemble(&header, &claims, &signature)
        }
        "alg-none" | "alg-none-signed" | "no-alg" => {
            let mut header = header.clone();
            let h = header.as_object_mut().expect("the minter's header is an object");
            match kind.kind {
                "alg-none" => {
                    h.insert("alg".into(), json!(arg.unwrap_or("none")));
                    return Ok(assemble(&header, &claims, ""));
                }
                "alg-none-signed" => {
                    h.insert("alg".into(), json!("none"));
                }
                _ => {
                    h.remove("alg");
                }
            }
            assemble(&header, &claims, &signature)
        }
        "hs256-public-pem" | "hs256-public-pem-trimmed" | "hs256-public-der" | "hs256-random" => {
            let mut header = header.clone();
            header["alg"] = json!("HS256");
            let key: Vec<u8> = match kind.kind {
                "hs256-public-pem" => kit.public_pem.as_bytes().to_vec(),
                "hs256-public-pem-trimmed" => kit.public_pem.trim_end().as_bytes().to_vec(),
                "hs256-public-der" => public_der(&kit.public_pem)?,
                _ => UNKNOWN_HMAC_KEY.to_vec(),
            };
            sign_hs256(&header, &Value::Object(claims), &key)
        }
        "no-exp" | "exp-null" | "exp-string" => {
            let exp = claims.remove("exp").unwrap_or(json!(now + 300));
            match kind.kind {
                "exp-null" => {
                    claims.insert("exp".into(), Value::Null);
                }
                "exp-string" => {
                    claims.insert("exp".into(), json!(exp.to_string()));
                }
                _ => {}
            }
            sign(&claims)
        }
        "wrong-iss" | "no-iss" | "iss-case" => {
            match kind.kind {
                "wrong-iss" => claims.insert("iss".into(), json!(format!("not-{ISSUER}"))),
                "iss-case" => claims.insert("iss".into(), json!(ISSUER.to_uppercase())),
                _ => claims.remove("iss"),
            };
            sign(&claims)
        }
        "lifetime" => {
            claims.insert("iat".into(), json!(now));
            claims.insert("exp".into(), json!(now + seconds(kind.kind, arg)?));
            sign(&claims)
        }
        "exp-huge" => {
            claims.insert("exp".into(), json!(i64::MAX));
            sign(&claims)
        }
        "crit-unknown" | "b64-false" => {
            let mut header = header.clone();
            let h = header.as_object_mut().expect("the minter's header is an object");
            if kind.kind == "b64-false" {
                // Signed over the base64url payload as usual: only a verifier that ignores the
                // header accepts it, which is the defect this token finds.
                h.insert("b64".into(), json!(false));
                h.insert("crit".into(), json!(["b64"]));
            } else {
                h.insert("crit".into(), json!(["urn:conformance-harness:unknown"]));
                h.insert("urn:conformance-harness:unknown".into(), json!(true));
            }
            kit.minter.mint_custom(&header, &Value::Object(claims))
        }
        "future-iat" | "future-nbf" => {
            let ahead = now + seconds(kind.kind, arg)?;
            let field = if kind.kind == "future-iat" { "iat" } else { "nbf" };
            claims.insert(field.into(), json!(ahead));
            claims.insert("exp".into(), json!(ahead + 1200));
            sign(&claims)
        }
        "rotation-key" | "rotation-key-wrong-kid" => {
            let rotation = kit.rotation.as_ref().ok_or_else(|| CraftError::NoRotationKey(kind.kind.to_owned()))?;
            let mut header = rotation.header();
            if kind.kind == "rotation-key-wrong-kid"
                && let (Some(h), Some(kid)) = (header.as_object_mut(), kit.minter.kid())
            {
                h.insert("kid".into(), json!(kid));
            }
            rotation.mint_custom(&header, &Value::Object(claims))
        }
        "jku-x5u" => {
            let base = arg.unwrap_or_default().trim_end_matches('/');
            let header = json!({
                "alg": "RS256", "typ": "JWT", "kid": "conformance-harness-planted-key",
                "jku": format!("{base}/jwks.json"), "x5u": format!("{base}/cert.pem"),
            });
            foreign_minter()?.mint_custom(&header, &Value::Object(claims))
        }
        other => unreachable!("crafted token kind `{other}` is in CRAFTS but not built"),
    };
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::token::{TokenVerifier, VerifierKey};
    use contract::{TokenError, TokenPolicy};
    use std::sync::Arc;

    fn kit() -> (TokenKit, TokenVerifier) {
        static PAIR: OnceLock<contract::token::KeyPair> = OnceLock::new();
        let pair = PAIR.get_or_init(|| generate_keypair(1024).unwrap());
        let minter = TokenMinter::from_pem(&pair.private_pem, Some("k1".into())).unwrap().with_lifetime(300);
        let kit = TokenKit {
            minter: Arc::new(minter),
            public_pem: pair.public_pem.clone(),
            lifetime_secs: 300,
            rotation: None,
        };
        let key = VerifierKey::from_public_pem("k1", "0", &pair.public_pem).unwrap();
        (kit, TokenVerifier::new(TokenPolicy::default(), vec![key]))
    }

    const NOW: i64 = 1_770_000_000;

    /// What the contract's strict verifier says of each crafted token: each fails for the
    /// reason its name gives, so a vendor that accepts it has relaxed exactly that rule.
    #[test]
    fn every_crafted_token_breaks_the_rule_its_name_says() {
        let (kit, verifier) = kit();
        let refused = |name: &str| {
            let token = craft(&kit, name, NOW).unwrap();
            verifier.verify(token.expose(), NOW).expect_err(name)
        };
        for name in ["garbage", "empty", "two-segments", "four-segments", "not-base64", "header-not-json"] {
            assert_eq!(refused(name), TokenError::Malformed, "{name}");
        }
        assert_eq!(refused("expired:3600"), TokenError::Expired(3600));
        assert_eq!(refused("expired:31"), TokenError::Expired(31));
        assert!(
            verifier.verify(craft(&kit, "expired:30", NOW).unwrap().expose(), NOW).is_ok(),
            "30 s is in the leeway"
        );
        for name in ["foreign-key", "foreign-key-no-kid", "embedded-jwk", "unsigned", "tampered-claim", "tampered-exp"]
        {
            assert_eq!(refused(name), TokenError::BadSignature, "{name}");
        }
        // The embedded key does verify it: a vendor that trusts header `jwk` lets it in.
        let embedded = decode_unverified(craft(&kit, "embedded-jwk", NOW).unwrap().expose()).unwrap();
        assert_eq!(embedded.header["jwk"]["kty"], "RSA");
        assert!(contract::token::verifies_with_embedded_jwk(&embedded));
        let honest = decode_unverified(kit.minter.mint(NOW).expose()).unwrap();
        assert!(!contract::token::verifies_with_embedded_jwk(&honest));
        for (name, alg) in [("alg-none:none", "none"), ("alg-none:nOnE", "nOnE"), ("alg-none-signed", "none")] {
            assert_eq!(refused(name), TokenError::UnsupportedAlgorithm(alg.into()), "{name}");
        }
        assert_eq!(refused("no-alg"), TokenError::UnsupportedAlgorithm(String::new()));
        for name in ["hs256-public-pem", "hs256-public-pem-trimmed", "hs256-public-der", "hs256-random"] {
            assert_eq!(refused(name), TokenError::UnsupportedAlgorithm("HS256".into()), "{name}");
        }
        assert_eq!(refused("no-exp"), TokenError::MissingExp);
        assert_eq!(refused("exp-null"), TokenError::MissingExp);
        assert_eq!(refused("exp-string"), TokenError::NotNumeric("exp"));
        assert_eq!(refused("wrong-iss"), TokenError::WrongIssuer("not-convergint".into()));
        assert_eq!(refused("iss-case"), TokenError::WrongIssuer("CONVERGINT".into()));
        assert_eq!(refused("no-iss"), TokenError::MissingIssuer);
        assert_eq!(refused("lifetime:3720"), TokenError::LifetimeTooLong(3720));
        assert_eq!(refused("future-iat:1800"), TokenError::IssuedInFuture(1800));
        assert_eq!(refused("future-nbf:1800"), TokenError::NotYetValid(1800));
        assert_eq!(refused("exp-huge"), TokenError::LifetimeTooLong(i64::MAX - NOW));
        assert_eq!(refused("crit-unknown"), TokenError::CriticalHeader);
        assert_eq!(refused("b64-false"), TokenError::CriticalHeader);
        // Only the header rule refuses them: a verifier that ignores `crit`/`b64` lets them in.
        let lax = TokenPolicy { reject_crit: false, ..TokenPolicy::default() };
        for name in ["crit-unknown", "b64-false"] {
            let token = craft(&kit, name, NOW).unwrap();
            assert!(verifier.verify_with(token.expose(), NOW, &lax).is_ok(), "{name}");
        }
        assert_eq!(
            refused("jku-x5u:http://127.0.0.1:9/x"),
            TokenError::UnknownKid("conformance-harness-planted-key".into())
        );
    }

    #[test]
    fn rotation_tokens_are_signed_by_the_second_key() {
        let (mut kit, _) = kit();
        assert_eq!(craft(&kit, "rotation-key", NOW), Err(CraftError::NoRotationKey("rotation-key".into())));
        let second = generate_keypair(1024).unwrap();
        kit.rotation = Some(Arc::new(TokenMinter::from_pem(&second.private_pem, Some("k2".into())).unwrap()));
        let first = VerifierKey::from_public_pem("k1", "0", &kit.public_pem).unwrap();
        let both = vec![first, VerifierKey::from_public_pem("k2", "0", &second.public_pem).unwrap()];
        let verifier = TokenVerifier::new(TokenPolicy::default(), both);
        let rotated = craft(&kit, "rotation-key", NOW).unwrap();
        assert_eq!(verifier.verify(rotated.expose(), NOW).unwrap().kid, "k2");
        let crossed = craft(&kit, "rotation-key-wrong-kid", NOW).unwrap();
        assert_eq!(decode_unverified(crossed.expose()).unwrap().header["kid"], "k1");
        assert_eq!(verifier.verify(crossed.expose(), NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn the_hs256_confusion_tokens_are_keyed_with_the_public_key() {
        let (kit, _) = kit();
        let token = craft(&kit, "hs256-public-pem", NOW).unwrap();
        let decoded = decode_unverified(token.expose()).unwrap();
        let header = Value::Object(decoded.header.clone());
        let claims = Value::Object(decoded.claims.clone());
        assert_eq!(sign_hs256(&header, &claims, kit.public_pem.as_bytes()).expose(), token.expose());
        let der = craft(&kit, "hs256-public-der", NOW).unwrap();
        let der_key = public_der(&kit.public_pem).unwrap();
        assert_eq!(der_key[0], 0x30, "DER starts with a SEQUENCE");
        assert_eq!(sign_hs256(&header, &claims, &der_key).expose(), der.expose());
    }

    #[test]
    fn planted_urls_and_tampering_are_visible_in_the_decoded_token() {
        let (kit, _) = kit();
        let jku = decode_unverified(craft(&kit, "jku-x5u:http://127.0.0.1:9/p/", NOW).unwrap().expose()).unwrap();
        assert_eq!(jku.header["jku"], "http://127.0.0.1:9/p/jwks.json");
        assert_eq!(jku.header["x5u"], "http://127.0.0.1:9/p/cert.pem");
        let tampered = decode_unverified(craft(&kit, "tampered-claim", NOW).unwrap().expose()).unwrap();
        assert_eq!(tampered.claims["admin"], true);
        let valid = decode_unverified(kit.minter.mint(NOW).expose()).unwrap();
        assert_eq!(tampered.signature, valid.signature, "the original signature is kept");
    }

    #[test]
    fn names_parse_with_their_arguments() {
        let (kit, _) = kit();
        assert_eq!(parse_name("expired:60").unwrap().1, Some("60"));
        assert!(matches!(parse_name("expired"), Err(CraftError::MissingArg { .. })));
        assert!(matches!(parse_name("garbage:1"), Err(CraftError::UnexpectedArg { .. })));
        assert!(matches!(parse_name("nope"), Err(CraftError::Unknown(_))));
        assert!(matches!(craft(&kit, "expired:soon", NOW), Err(CraftError::BadSeconds { .. })));
        for kind in CRAFTS {
            let name = match kind.arg {
                Some("<url>") => format!("{}:http://127.0.0.1:9", kind.kind),
                Some("<spelling>") => format!("{}:none", kind.kind),
                Some(_) => format!("{}:60", kind.kind),
                None => kind.kind.to_owned(),
            };
            match craft(&kit, &name, NOW) {
                Err(CraftError::NoRotationKey(_)) if name.starts_with("rotation-key") => {}
                other => drop(other.unwrap_or_else(|e| panic!("{name}: {e}"))),
            }
        }
    }
}
