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
        crate::credential::exchange_client_credentials(&self.http, url, scope, id, secret).await
    }
}
