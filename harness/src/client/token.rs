//! The credential each request carries: a new JWT, the static key, or an OAuth2 access token
//! cached until shortly before it expires (the exchange itself is `crate::credential`'s).

use std::time::{Duration, Instant};

use contract::Secret;
use reqwest::Url;
use suites::{ApiError, ApiErrorKind};

use super::{Credential, VendorClient};

impl VendorClient {
    /// A fresh credential: a new JWT, the static key, or a (cached) OAuth2 access token.
    pub async fn fresh_credential(&self) -> Result<Secret, ApiError> {
        match &self.credential {
            Credential::Jwt(minter) => Ok(minter.mint(contract::unix_now())),
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
