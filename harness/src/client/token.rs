//! The credential each request carries: a new JWT, the static key, or an OAuth2 access token
//! cached until shortly before it expires (the exchange itself is `crate::credential`'s).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contract::{Secret, TokenMinter};
use reqwest::Url;
use suites::{ApiError, ApiErrorKind};

use super::{Credential, VendorClient};

impl VendorClient {
    /// A fresh credential: a new JWT, the static key, or a (cached) OAuth2 access token.
    pub async fn fresh_credential(&self) -> Result<Secret, ApiError> {
        match &self.credential {
            Credential::Jwt(minter) => Ok(self.minted.next(minter).await),
            Credential::Static(secret) => Ok(secret.clone()),
            Credential::ClientCredentials { client_id, client_secret, cached } => {
                let mut cached = cached.lock().await;
                if let Some((token, until)) = cached.as_ref()
                    && Instant::now() < *until
                {
                    return Ok(token.clone());
                }
                let (token, lifetime) = self.exchange_client_credentials(client_id, client_secret).await?;
                let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(30));
                *cached = Some((token.clone(), until));
                Ok(token)
            }
        }
    }

    /// OAuth2 client credentials at the profile's token endpoint (absolute, or under the base URL).
    async fn exchange_client_credentials(&self, id: &str, secret: &Secret) -> Result<(Secret, Duration), ApiError> {
        let (at, scope) = self.profile.auth.oauth2().unwrap_or(("/oauth2/token", None));
        let url = if at.starts_with("http://") || at.starts_with("https://") {
            Url::parse(at)
                .map_err(|e| ApiError::new(ApiErrorKind::Config, format!("bad `auth.token_url`: {e}"), vec![]))?
        } else {
            self.url(at, &[])?
        };
        let started = Instant::now();
        let result = crate::credential::exchange_client_credentials(&self.http, url.clone(), scope, id, secret).await;
        if let Some(har) = &self.har {
            har.exchange(&token_exchange(&url, scope, &result, started), Some(&basic(id, secret)));
        }
        result
    }
}

/// The next JWT, minted on a blocking thread while the request before it is in flight: signing
/// costs about 1.4 ms, which a walk would otherwise add to every page. Each token is still used
/// for exactly one request (it is taken out of the slot), and one minted more than
/// [`MintAhead::FRESH`] before it is asked for is thrown away rather than sent: a token is as
/// fresh as one minted for its request (its `iat` is a whole second, and the contract's token
/// has no `jti`; AUTH-1, AUTH-5).
#[derive(Debug, Default)]
pub(super) struct MintAhead(Mutex<Option<Ahead>>);

#[derive(Debug)]
struct Ahead {
    started: Instant,
    minter: Arc<TokenMinter>,
    token: tokio::task::JoinHandle<Secret>,
}

impl MintAhead {
    /// The oldest a minted-ahead token may be when it is sent.
    pub(super) const FRESH: Duration = Duration::from_secs(1);

    /// A token for one request, and the next one started.
    pub(super) async fn next(&self, minter: &Arc<TokenMinter>) -> Secret {
        let ahead = {
            let mut slot = self.0.lock().expect("mint-ahead lock");
            let ahead = slot.take();
            let m = minter.clone();
            let token = tokio::task::spawn_blocking(move || m.mint(contract::unix_now()));
            *slot = Some(Ahead { started: Instant::now(), minter: minter.clone(), token });
            ahead
        };
        match ahead {
            Some(a) if a.started.elapsed() < Self::FRESH && Arc::ptr_eq(&a.minter, minter) => match a.token.await {
                Ok(token) => token,
                Err(_) => minter.mint(contract::unix_now()),
            },
            Some(stale) => {
                stale.token.abort();
                minter.mint(contract::unix_now())
            }
            None => minter.mint(contract::unix_now()),
        }
    }
}

/// The `Authorization: Basic` value of an OAuth2 client (for the HAR's digest only).
fn basic(id: &str, secret: &Secret) -> Secret {
    use base64::Engine as _;
    let pair = format!("{id}:{}", secret.expose());
    Secret::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
}

/// The token request as `exchanges.har` records it: the form, the answer's access token (which
/// the HAR digests like any secret-named member), or the failure.
fn token_exchange(
    url: &Url,
    scope: Option<&str>,
    result: &Result<(Secret, Duration), ApiError>,
    started: Instant,
) -> suites::Exchange {
    let form = match scope {
        Some(scope) => format!("grant_type=client_credentials&scope={scope}"),
        None => "grant_type=client_credentials".to_owned(),
    };
    let mut exchange = suites::Exchange {
        method: "POST".into(),
        url: url.to_string(),
        request_headers: vec![
            ("authorization".into(), "Basic [redacted]".into()),
            ("content-type".into(), "application/x-www-form-urlencoded".into()),
        ],
        request_body: Some(form),
        elapsed_ms: started.elapsed().as_millis() as u64,
        ..suites::Exchange::default()
    };
    match result {
        Ok((token, lifetime)) => {
            exchange.status = Some(200);
            let body =
                serde_json::json!({"access_token": token.expose(), "expires_in": lifetime.as_secs()}).to_string();
            exchange.body_bytes = body.len() as u64;
            exchange.body_excerpt = Some(body);
            exchange.response_headers = vec![("content-type".into(), "application/json".into())];
        }
        Err(e) => exchange.error = Some(e.message.clone()),
    }
    exchange
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minter() -> Arc<TokenMinter> {
        let pair = contract::token::generate_keypair(1024).unwrap();
        Arc::new(TokenMinter::from_pem(&pair.private_pem, Some("k".into())).unwrap())
    }

    #[tokio::test]
    async fn a_minted_ahead_token_is_used_once_and_only_while_fresh() {
        let (minter, ahead) = (minter(), MintAhead::default());
        let first = ahead.next(&minter).await;
        assert!(ahead.0.lock().unwrap().is_some(), "the next token is on its way");
        let second = ahead.next(&minter).await;
        // Taken out of the slot: a third request gets the token minted during the second.
        let third = ahead.next(&minter).await;
        for token in [&first, &second, &third] {
            let claims = contract::token::decode_unverified(token.expose()).unwrap().claims;
            let iat = claims["iat"].as_i64().unwrap();
            assert!((contract::unix_now() - iat).abs() <= 2, "fresh: {claims:?}");
            assert_eq!(claims["exp"].as_i64().unwrap() - iat, contract::token::MAX_LIFETIME_SECS as i64);
        }
        // A token minted ahead too long ago is thrown away, not sent.
        let stale = MintAhead::default();
        *stale.0.lock().unwrap() = Some(Ahead {
            started: Instant::now() - MintAhead::FRESH * 2,
            minter: minter.clone(),
            token: tokio::spawn(async { Secret::new("stale") }),
        });
        assert_ne!(stale.next(&minter).await.expose(), "stale");
        // So is one another minter made.
        let other = MintAhead::default();
        *other.0.lock().unwrap() = Some(Ahead {
            started: Instant::now(),
            minter: self::minter(),
            token: tokio::spawn(async { Secret::new("another key's") }),
        });
        assert_ne!(other.next(&minter).await.expose(), "another key's");
    }
}
