//! Client-minted RS256 bearer tokens (CONTRACT.md §6): minting on the integrator's side, the
//! verification policy on the vendor's side, and RSA key pairs for the mock vendor's "console".
//!
//! Verification parses the token itself and uses `jsonwebtoken` only for the RSA signature, so
//! every rule of the policy (including the ones `jsonwebtoken` does not check by default: `iat`,
//! `iss`, lifetime) is explicit here, each with its own error, and the clock is a parameter.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Map, Value, json};

use crate::secret::Secret;

/// The `iss` every token carries.
pub const ISSUER: &str = "convergint";
/// The guide's example lifetime, and the policy's maximum.
pub const MAX_LIFETIME_SECS: u64 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not an RSA private key in PEM (PKCS#8 or PKCS#1)")]
    PrivateKey,
    #[error("not an RSA public key in PEM")]
    PublicKey,
    #[error("failed to generate an RSA key pair: {0}")]
    Generate(String),
}

/// An account's key pair, as the vendor's console hands it out.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// PKCS#8 PEM.
    pub private_pem: Secret,
    /// SubjectPublicKeyInfo PEM.
    pub public_pem: String,
}

/// A fresh RSA key pair (2048 bits unless a test asks for fewer).
pub fn generate_keypair(bits: usize) -> Result<KeyPair, KeyError> {
    let mut rng = rand::rngs::OsRng;
    let private = RsaPrivateKey::new(&mut rng, bits).map_err(|e| KeyError::Generate(e.to_string()))?;
    keypair_from(&private)
}

fn keypair_from(private: &RsaPrivateKey) -> Result<KeyPair, KeyError> {
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).map_err(|e| KeyError::Generate(e.to_string()))?;
    let public_pem =
        RsaPublicKey::from(private).to_public_key_pem(LineEnding::LF).map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(KeyPair { private_pem: Secret::new(private_pem.as_str()), public_pem })
}

/// The public key PEM that belongs to a private key PEM (PKCS#8 or PKCS#1).
pub fn public_pem_of(private_pem: &Secret) -> Result<String, KeyError> {
    let private = RsaPrivateKey::from_pkcs8_pem(private_pem.expose())
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(private_pem.expose()))
        .map_err(|_| KeyError::PrivateKey)?;
    Ok(keypair_from(&private)?.public_pem)
}

/// A public key PEM as a JWK (`{"kty": "RSA", "n", "e"}`, base64url), the form a token header's
/// `jwk` field carries (RFC 7515 §4.1.3).
pub fn public_jwk(public_pem: &str) -> Result<Value, KeyError> {
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::traits::PublicKeyParts as _;
    let key = RsaPublicKey::from_public_key_pem(public_pem).map_err(|_| KeyError::PublicKey)?;
    let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
    Ok(json!({"kty": "RSA", "n": n, "e": e}))
}

/// Whether a token's RS256 signature verifies with the RSA key its own header's `jwk` carries:
/// what a verifier that trusts an embedded key accepts (CVE-2018-0114). [`TokenVerifier`] never
/// does this (AUTH-7); the mock vendor's `trust-embedded-jwk` fault does.
pub fn verifies_with_embedded_jwk(decoded: &DecodedToken) -> bool {
    let Some(jwk) = decoded.header.get("jwk") else { return false };
    let (Some(n), Some(e)) = (jwk.get("n").and_then(Value::as_str), jwk.get("e").and_then(Value::as_str)) else {
        return false;
    };
    let Ok(key) = DecodingKey::from_rsa_components(n, e) else { return false };
    jsonwebtoken::crypto::verify(&decoded.signature, decoded.signing_input.as_bytes(), &key, Algorithm::RS256)
        .unwrap_or(false)
}

/// Mints the integrator's tokens from the account's private key.
pub struct TokenMinter {
    key: EncodingKey,
    kid: Option<String>,
    issuer: String,
    lifetime_secs: u64,
}

impl std::fmt::Debug for TokenMinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenMinter")
            .field("key", &"[redacted]")
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .field("lifetime_secs", &self.lifetime_secs)
            .finish()
    }
}

impl TokenMinter {
    /// From a PEM private key, PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(private_pem: &Secret, kid: Option<String>) -> Result<Self, KeyError> {
        let key = EncodingKey::from_rsa_pem(private_pem.expose().as_bytes()).map_err(|_| KeyError::PrivateKey)?;
        Ok(Self { key, kid, issuer: ISSUER.to_owned(), lifetime_secs: MAX_LIFETIME_SECS })
    }

    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    pub fn with_lifetime(mut self, secs: u64) -> Self {
        self.lifetime_secs = secs;
        self
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The contract's token: `{"iss", "iat": now, "exp": now + lifetime}`, `kid` when known.
    pub fn mint(&self, now: i64) -> Secret {
        let claims = json!({"iss": self.issuer, "iat": now, "exp": now + self.lifetime_secs as i64});
        self.mint_custom(&self.header(), &claims)
    }

    /// The header this minter puts on its tokens.
    pub fn header(&self) -> Value {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        header
    }

    /// A token with any header and claims, RS256-signed with this key (the harness's crafted
    /// tokens: no `exp`, wrong `iss`, `exp` as a string, ...). The header's `alg` is not looked at.
    pub fn mint_custom(&self, header: &Value, claims: &Value) -> Secret {
        let message = format!("{}.{}", b64_json(header), b64_json(claims));
        let sig = jsonwebtoken::crypto::sign(message.as_bytes(), &self.key, Algorithm::RS256)
            .expect("RS256 signing with a parsed RSA key does not fail");
        Secret::new(format!("{message}.{sig}"))
    }
}

/// base64url (no padding) of a JSON value's compact form: a JWT segment.
pub fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON values serialise"))
}

/// HS256 over `header.claims` keyed with arbitrary bytes: the algorithm-confusion attack of
/// RFC 8725 §2.1 (keyed with the account's public key) is built from this.
pub fn sign_hs256(header: &Value, claims: &Value, key: &[u8]) -> Secret {
    let message = format!("{}.{}", b64_json(header), b64_json(claims));
    let sig = jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(key), Algorithm::HS256)
        .expect("HMAC signing does not fail");
    Secret::new(format!("{message}.{sig}"))
}

/// The vendor side's rules (CONTRACT.md AUTH-1 … AUTH-5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPolicy {
    /// The required `iss`; `None` skips the check (only the mock vendor's faults do that).
    pub issuer: Option<String>,
    /// Whether a token without `exp` is refused (AUTH-4); only the mock vendor's faults turn it off.
    pub require_exp: bool,
    /// `exp - iat` may not exceed this (AUTH-5)...
    pub max_lifetime_secs: u64,
    /// ...plus this much.
    pub lifetime_leeway_secs: u64,
    /// How long past `exp` a token is still accepted, for clock skew (AUTH-2 allows up to 300 s).
    pub exp_leeway_secs: u64,
    /// How far in the future `iat` and `nbf` may be (AUTH-5 allows up to 300 s).
    pub future_leeway_secs: u64,
    /// Whether a header `crit` (RFC 7515 §4.1.11) or `b64: false` (RFC 7797) is refused: this
    /// verifier understands no extension, so it must; only the mock vendor's faults turn it off.
    pub reject_crit: bool,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            issuer: Some(ISSUER.to_owned()),
            require_exp: true,
            max_lifetime_secs: MAX_LIFETIME_SECS,
            lifetime_leeway_secs: 60,
            exp_leeway_secs: 30,
            future_leeway_secs: 60,
            reject_crit: true,
        }
    }
}

/// Why a token was refused: one variant per rule, so a 401 can be explained in logs (never in
/// the response body, which leaks nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is not three base64url segments of JSON")]
    Malformed,
    #[error("algorithm `{0}` is not accepted (RS256 only)")]
    UnsupportedAlgorithm(String),
    #[error("no key with kid `{0}`")]
    UnknownKid(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("`exp` is missing")]
    MissingExp,
    #[error("claim `{0}` is not a number")]
    NotNumeric(&'static str),
    #[error("claim `{0}` is not a finite number of seconds in range")]
    OutOfRange(&'static str),
    #[error("header `crit` names extensions this verifier does not understand")]
    CriticalHeader,
    #[error("header `b64: false` (unencoded payload) is not supported")]
    UnencodedPayload,
    #[error("token expired {0} s ago")]
    Expired(i64),
    #[error("`iss` is missing")]
    MissingIssuer,
    #[error("`iss` is `{0}`, not the expected issuer")]
    WrongIssuer(String),
    #[error("token lives {0} s, longer than allowed")]
    LifetimeTooLong(i64),
    #[error("`iat` is {0} s in the future")]
    IssuedInFuture(i64),
    #[error("`nbf` is {0} s in the future")]
    NotYetValid(i64),
}

/// One verification key of an account.
pub struct VerifierKey {
    pub kid: String,
    /// Whose key it is (the mock vendor puts the account id here).
    pub owner: String,
    key: DecodingKey,
}

impl std::fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierKey").field("kid", &self.kid).field("owner", &self.owner).finish()
    }
}

impl VerifierKey {
    pub fn from_public_pem(kid: impl Into<String>, owner: impl Into<String>, pem: &str) -> Result<Self, KeyError> {
        let key = DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| KeyError::PublicKey)?;
        Ok(Self { kid: kid.into(), owner: owner.into(), key })
    }
}

/// A token that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedToken {
    pub kid: String,
    pub owner: String,
    /// `None` only when the policy does not require `exp` and the token has none.
    pub exp: Option<i64>,
    pub claims: Map<String, Value>,
}

/// The three segments of a compact JWT, decoded but not verified.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `header.claims`, the signed message.
    pub signing_input: String,
    pub signature: String,
}

/// Splits and decodes a compact JWT without verifying it (also how evidence shows a token:
/// header and claims decoded, signature elided).
pub fn decode_unverified(token: &str) -> Result<DecodedToken, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Malformed);
    };
    let segment = |seg: &str| -> Result<Map<String, Value>, TokenError> {
        let bytes = URL_SAFE_NO_PAD.decode(seg).map_err(|_| TokenError::Malformed)?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(TokenError::Malformed),
        }
    };
    Ok(DecodedToken {
        header: segment(h)?,
        claims: segment(c)?,
        signing_input: format!("{h}.{c}"),
        signature: s.to_owned(),
    })
}

/// Verifies tokens against a set of keys under a policy.
#[derive(Debug)]
pub struct TokenVerifier {
    pub policy: TokenPolicy,
    keys: Vec<VerifierKey>,
}

/// A NumericDate claim as whole seconds. Absent (or null) is `None`; a number outside `i64`
/// (`u64` above `i64::MAX`, a float at or beyond ±2^63, `1e300`) is refused rather than
/// saturated, so no value can stand in for "absent" or dodge the lifetime rule.
fn numeric(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, TokenError> {
    // 2^63 as f64, exactly; `f < LIMIT` keeps the floor inside i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None if n.is_u64() => Err(TokenError::OutOfRange(name)),
            None => match n.as_f64() {
                Some(f) if f.is_finite() && (-LIMIT..LIMIT).contains(&f) => Ok(Some(f.floor() as i64)),
                _ => Err(TokenError::OutOfRange(name)),
            },
        },
        Some(_) => Err(TokenError::NotNumeric(name)),
    }
}

impl TokenVerifier {
    pub fn new(policy: TokenPolicy, keys: Vec<VerifierKey>) -> Self {
        Self { policy, keys }
    }

    pub fn keys(&self) -> &[VerifierKey] {
        &self.keys
    }

    /// Verifies `token` at time `now` (unix seconds). The key is chosen by `kid`; a token without
    /// `kid` is tried against every key. Header fields `jku`, `x5u` and `jwk` are ignored, never
    /// fetched (AUTH-7).
    pub fn verify(&self, token: &str, now: i64) -> Result<VerifiedToken, TokenError> {
        self.verify_with(token, now, &self.policy)
    }

    /// [`TokenVerifier::verify`] under another policy (the mock vendor relaxes rules to inject faults).
    pub fn verify_with(&self, token: &str, now: i64, policy: &TokenPolicy) -> Result<VerifiedToken, TokenError> {
        let decoded = decode_unverified(token)?;
        let alg = decoded.header.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg != "RS256" {
            return Err(TokenError::UnsupportedAlgorithm(alg.chars().take(32).collect()));
        }
        let candidates: Vec<&VerifierKey> = match decoded.header.get("kid").and_then(Value::as_str) {
            Some(kid) => {
                let key = self.keys.iter().find(|k| k.kid == kid);
                vec![key.ok_or_else(|| TokenError::UnknownKid(kid.chars().take(64).collect()))?]
            }
            None => self.keys.iter().collect(),
        };
        let key = candidates
            .into_iter()
            .find(|k| {
                jsonwebtoken::crypto::verify(
                    &decoded.signature,
                    decoded.signing_input.as_bytes(),
                    &k.key,
                    Algorithm::RS256,
                )
                .unwrap_or(false)
            })
            .ok_or(TokenError::BadSignature)?;
        let p = policy;
        // RFC 7515 §4.1.11: a `crit` the recipient does not understand makes the token invalid, and
        // this verifier understands none; RFC 7797's `b64: false` would change the signing input.
        if p.reject_crit {
            if decoded.header.contains_key("crit") {
                return Err(TokenError::CriticalHeader);
            }
            if decoded.header.get("b64").is_some_and(|b| b != &Value::Bool(true)) {
                return Err(TokenError::UnencodedPayload);
            }
        }
        let claims = decoded.claims;
        let exp = match numeric(&claims, "exp")? {
            Some(exp) => Some(exp),
            None if p.require_exp => return Err(TokenError::MissingExp),
            None => None,
        };
        if let Some(exp) = exp.filter(|&exp| now > exp.saturating_add(p.exp_leeway_secs as i64)) {
            return Err(TokenError::Expired(now.saturating_sub(exp)));
        }
        if let Some(issuer) = &p.issuer {
            match claims.get("iss") {
                None | Some(Value::Null) => return Err(TokenError::MissingIssuer),
                Some(Value::String(iss)) if iss == issuer => {}
                Some(other) => {
                    let shown = other.as_str().map(str::to_owned).unwrap_or_else(|| other.to_string());
                    return Err(TokenError::WrongIssuer(shown.chars().take(64).collect()));
                }
            }
        }
        let iat = numeric(&claims, "iat")?;
        let future = p.future_leeway_secs as i64;
        if let Some(iat) = iat.filter(|&iat| iat > now.saturating_add(future)) {
            return Err(TokenError::IssuedInFuture(iat.saturating_sub(now)));
        }
        if let Some(nbf) = numeric(&claims, "nbf")?.filter(|&nbf| nbf > now.saturating_add(future)) {
            return Err(TokenError::NotYetValid(nbf.saturating_sub(now)));
        }
        // Without `iat` the lifetime is measured from now: a token valid for days is refused either
        // way. No `exp` (allowed only by a relaxed policy) has no lifetime to measure.
        let max = i64::try_from(p.max_lifetime_secs.saturating_add(p.lifetime_leeway_secs)).unwrap_or(i64::MAX);
        if let Some(lifetime) = exp.map(|exp| exp.saturating_sub(iat.unwrap_or(now))).filter(|&l| l > max) {
            return Err(TokenError::LifetimeTooLong(lifetime));
        }
        Ok(VerifiedToken { kid: key.kid.clone(), owner: key.owner.clone(), exp, claims })
    }
}
