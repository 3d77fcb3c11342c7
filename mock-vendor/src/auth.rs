//! Bearer-JWT authentication of `/api/v1` (CONTRACT.md §6), with the auth faults.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use contract::token::decode_unverified;
use contract::{TokenError, TokenPolicy};
use serde_json::Value;

use crate::config::{RateLimit, RateLimitScope};
use crate::error::error_response;
use crate::fault::Fault;
use crate::state::AppState;

/// The account a request is bound to (ACC-2), put in the request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct AccountCtx(pub u16);

#[derive(Debug)]
enum Refusal {
    Missing,
    NotBearer,
    Token(TokenError),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("no Authorization header"),
            Self::NotBearer => f.write_str("Authorization is not a Bearer credential"),
            Self::Token(e) => write!(f, "{e}"),
        }
    }
}

pub async fn require_token(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let valid_refused = state.has(Fault::RejectValidToken)
        && (path.starts_with("/api/v1/webhooks") || path.starts_with("/api/v1/event-types"));
    match authenticate(&state, req.headers()) {
        Ok(account) if !valid_refused => {
            if let Some(limited) = account_limited(&state, account) {
                return limited;
            }
            req.extensions_mut().insert(AccountCtx(account));
            next.run(req).await
        }
        Ok(_) => unauthorized(&state, &Refusal::Token(TokenError::BadSignature)),
        Err(refusal) => {
            if state.has(Fault::AuthServerError) && matches!(refusal, Refusal::Token(TokenError::Malformed)) {
                return error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", "token parser crashed");
            }
            if let Some(limited) = rate_limited(&state) {
                return limited;
            }
            tracing::debug!(reason = %refusal, "refused a request");
            unauthorized(&state, &refusal)
        }
    }
}

fn unauthorized(state: &AppState, refusal: &Refusal) -> Response {
    let message = if state.has(Fault::LeakyUnauthorized) {
        format!(
            "jsonwebtoken::errors::Error: {refusal}\n   at mock_vendor::auth::authenticate (src/auth.rs:88)\n   stack backtrace:\n     0: rsa::pkcs1v15::verify"
        )
    } else {
        "missing or invalid bearer token".to_owned()
    };
    let mut response = error_response(StatusCode::UNAUTHORIZED, "unauthorized", &message);
    if !state.has(Fault::NoWwwAuthenticate) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"mock-vendor\", error=\"invalid_token\""),
        );
    }
    response
}

/// Counts a failed authentication; past the window's allowance, answers 429 (AUTH-8). Only
/// when the vendor limits failed authentications ([`RateLimitScope::FailedAuth`]).
fn rate_limited(state: &AppState) -> Option<Response> {
    if state.config.variations.rate_limit_scope != RateLimitScope::FailedAuth {
        return None;
    }
    let limit = state.config.rate_limit;
    let over = count(&mut state.auth_failures.lock().expect("limiter lock"), &limit);
    over.then(|| too_many(state, &limit, "too many failed authentications"))
}

/// Takes an account's authenticated request from its bucket; with the bucket empty, answers 429
/// (AUTH-8), when the vendor limits per account ([`RateLimitScope::Account`]).
fn account_limited(state: &AppState, account: u16) -> Option<Response> {
    if state.config.variations.rate_limit_scope != RateLimitScope::Account {
        return None;
    }
    let limit = state.config.variations.account_rate_limit;
    let mut buckets = state.account_requests.lock().expect("limiter lock");
    let bucket = buckets.entry(account).or_insert_with(|| (Instant::now(), f64::from(limit.max_failures)));
    let over = take(bucket, &limit);
    over.then(|| too_many(state, &limit, "too many requests for this account"))
}

/// A token bucket of `limit.max_failures` requests, refilled at that many per `limit.window`:
/// takes one request's token; whether there was none. A bucket rather than a fixed window, so a
/// burst is met however slowly its client sends, as long as it sends faster than the refill.
fn take(bucket: &mut (Instant, f64), limit: &RateLimit) -> bool {
    let capacity = f64::from(limit.max_failures);
    let rate = capacity / limit.window.as_secs_f64().max(0.001);
    bucket.1 = (bucket.1 + bucket.0.elapsed().as_secs_f64() * rate).min(capacity);
    bucket.0 = Instant::now();
    if bucket.1 >= 1.0 {
        bucket.1 -= 1.0;
        false
    } else {
        true
    }
}

/// Counts one request in `window`, starting a new window when the last one ended; whether it is
/// over the allowance.
fn count(window: &mut (Instant, u32), limit: &RateLimit) -> bool {
    if window.0.elapsed() > limit.window {
        *window = (Instant::now(), 0);
    }
    window.1 = window.1.saturating_add(1);
    window.1 > limit.max_failures
}

/// 429 with `Retry-After` (without it under `rate-limit-no-retry-after`).
fn too_many(state: &AppState, limit: &RateLimit, message: &str) -> Response {
    let mut response = error_response(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
    if !state.has(Fault::RateLimitNoRetryAfter) {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(limit.retry_after_secs));
    }
    response
}

fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<u16, Refusal> {
    let value = headers.get(header::AUTHORIZATION).ok_or(Refusal::Missing)?;
    let value = value.to_str().map_err(|_| Refusal::NotBearer)?;
    let token = value
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("bearer "))
        .map(|_| value[7..].trim())
        .ok_or(Refusal::NotBearer)?;
    if state.has(Fault::NoKeyRotation)
        && let Some(kid) = decode_unverified(token).ok().and_then(|d| d.header.get("kid").cloned())
        && state.accounts.iter().any(|a| kid == a.rotation_kid.as_str())
    {
        return Err(Refusal::Token(TokenError::UnknownKid(a_kid(&kid))));
    }
    let now = contract::unix_now();
    let cached = state.token_cache.read().expect("cache lock").get(token).copied();
    if let Some((account, exp)) = cached
        && now <= exp.saturating_add(state.verifier.policy.exp_leeway_secs as i64)
    {
        return Ok(account);
    }
    if state.has(Fault::FetchJku) {
        fetch_key_url(state, token);
    }
    match state.verifier.verify(token, now) {
        Ok(verified) => {
            let account = verified.owner.parse().expect("owners are account indexes");
            let mut cache = state.token_cache.write().expect("cache lock");
            if cache.len() > 100_000 {
                cache.clear();
            }
            // The strict policy requires `exp`, so every verified token has one to cache by.
            if let Some(exp) = verified.exp {
                cache.insert(token.to_owned(), (account, exp));
            }
            Ok(account)
        }
        Err(error) => accept_by_fault(state, token, now, &error).ok_or(Refusal::Token(error)),
    }
}

/// The account a token names through `kid` (either of its keys), or the first account.
fn account_by_kid(state: &AppState, header: &serde_json::Map<String, Value>) -> u16 {
    let kid = header.get("kid").and_then(Value::as_str);
    state.accounts.iter().position(|a| kid == Some(a.kid.as_str()) || kid == Some(a.rotation_kid.as_str())).unwrap_or(0)
        as u16
}

/// A `kid` as a refusal shows it.
fn a_kid(kid: &Value) -> String {
    kid.as_str().unwrap_or_default().chars().take(64).collect()
}

/// What a broken vendor would have let through.
fn accept_by_fault(state: &AppState, token: &str, now: i64, error: &TokenError) -> Option<u16> {
    let decoded = decode_unverified(token).ok()?;
    match error {
        TokenError::UnsupportedAlgorithm(alg) if alg.eq_ignore_ascii_case("none") => {
            state.has(Fault::AcceptAlgNone).then(|| account_by_kid(state, &decoded.header))
        }
        TokenError::UnsupportedAlgorithm(alg) if alg == "HS256" && state.has(Fault::AcceptHs256PublicKey) => {
            hs256_with_public_key(state, &decoded)
        }
        TokenError::BadSignature | TokenError::UnknownKid(_) => {
            let trusted = state.has(Fault::AcceptBadSignature)
                || (state.has(Fault::TrustEmbeddedJwk) && contract::token::verifies_with_embedded_jwk(&decoded));
            trusted.then(|| account_by_kid(state, &decoded.header))
        }
        _ => {
            let mut relaxed: TokenPolicy = state.verifier.policy.clone();
            let far = 10 * 365 * 86_400;
            if state.has(Fault::AcceptExpired) {
                relaxed.exp_leeway_secs = far;
            }
            if state.has(Fault::AcceptNoExp) {
                relaxed.require_exp = false;
            }
            if state.has(Fault::AcceptWrongIssuer) {
                relaxed.issuer = None;
            }
            if state.has(Fault::AcceptLongLifetime) {
                relaxed.max_lifetime_secs = far;
            }
            if state.has(Fault::AcceptFutureIat) {
                relaxed.future_leeway_secs = far;
            }
            // The saturating verifier this fault reproduces read such an `exp` as "none".
            let huge = decoded.claims.get("exp").and_then(Value::as_f64).is_some_and(|e| e >= i64::MAX as f64);
            if state.has(Fault::AcceptHugeExp) && huge {
                relaxed.max_lifetime_secs = u64::MAX;
            }
            if state.has(Fault::AcceptCrit) {
                relaxed.reject_crit = false;
            }
            if relaxed == state.verifier.policy {
                return None;
            }
            let verified = state.verifier.verify_with(token, now, &relaxed).ok()?;
            verified.owner.parse().ok()
        }
    }
}

/// The algorithm-confusion bug: the public key PEM (or its DER) used as an HMAC secret.
fn hs256_with_public_key(state: &AppState, decoded: &contract::token::DecodedToken) -> Option<u16> {
    use base64::Engine as _;
    let account = account_by_kid(state, &decoded.header);
    let pem = &state.accounts[account as usize].keys.public_pem;
    let der_b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(der_b64).ok()?;
    let header = Value::Object(decoded.header.clone());
    let claims = Value::Object(decoded.claims.clone());
    [pem.as_bytes(), der.as_slice()]
        .into_iter()
        .any(|key| {
            contract::token::sign_hs256(&header, &claims, key).expose().ends_with(&format!(".{}", decoded.signature))
        })
        .then_some(account)
}

/// The `fetch-jku` fault: dereference `jku`/`x5u` like a naive verifier would. Only loopback
/// URLs are ever fetched, so the fault cannot send traffic off the machine.
fn fetch_key_url(state: &AppState, token: &str) {
    let Ok(decoded) = decode_unverified(token) else { return };
    for field in ["jku", "x5u"] {
        let Some(url) = decoded.header.get(field).and_then(Value::as_str) else { continue };
        let Ok(parsed) = reqwest::Url::parse(url) else { continue };
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
        if loopback {
            let http = state.http.clone();
            tokio::spawn(async move {
                let _ = http.get(parsed).send().await;
            });
        }
    }
}
