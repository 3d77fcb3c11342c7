//! What a request to the vendor authenticates with: the contract's client-minted JWT, a static
//! key, or OAuth2 client credentials exchanged at the profile's token endpoint. The client
//! ([`crate::client`]) sends it; the configuration ([`crate::config`]) makes it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use contract::{Secret, TokenMinter};
use reqwest::Url;
use serde_json::Value;
use suites::{ApiError, ApiErrorKind, Exchange};

/// What a request authenticates with (the profile's `auth.kind`, the configuration's secrets).
#[derive(Clone)]
pub enum Credential {
    /// The contract's client-minted RS256 JWT, fresh for every request.
    Jwt(Arc<TokenMinter>),
    /// A static API key or bearer token.
    Static(Secret),
    /// OAuth2 client credentials, exchanged at the profile's token endpoint and cached.
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
        cached: Arc<tokio::sync::Mutex<Option<(Secret, Instant)>>>,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Jwt(_) => "Credential::Jwt",
            Self::Static(_) => "Credential::Static",
            Self::ClientCredentials { .. } => "Credential::ClientCredentials",
        })
    }
}

impl Credential {
    pub fn client_credentials(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self::ClientCredentials { client_id: client_id.into(), client_secret, cached: Default::default() }
    }
}

impl From<Arc<TokenMinter>> for Credential {
    fn from(minter: Arc<TokenMinter>) -> Self {
        Self::Jwt(minter)
    }
}

/// OAuth2 client credentials (RFC 6749 §4.4) at `url`: the secret goes in HTTP Basic, never in
/// evidence. The access token and its lifetime (`expires_in`, 300 s when absent).
pub async fn exchange_client_credentials(
    http: &reqwest::Client,
    url: Url,
    scope: Option<&str>,
    id: &str,
    secret: &Secret,
) -> Result<(Secret, Duration), ApiError> {
    let mut form = vec![("grant_type", "client_credentials".to_owned())];
    if let Some(scope) = scope {
        form.push(("scope", scope.to_owned()));
    }
    let fail = |message: String| {
        let exchange = Exchange { method: "POST".into(), url: url.to_string(), ..Exchange::default() };
        ApiError::new(ApiErrorKind::Config, message, vec![exchange])
    };
    let response = http
        .post(url.clone())
        .basic_auth(id, Some(secret.expose()))
        .form(&form)
        .send()
        .await
        .map_err(|e| fail(format!("the OAuth2 token request failed: {}", error_chain(&e))))?;
    let status = response.status();
    let doc: Value = response
        .json()
        .await
        .map_err(|e| fail(format!("the OAuth2 token endpoint answered {status} without JSON: {e}")))?;
    let Some(token) = doc.get("access_token").and_then(Value::as_str) else {
        return Err(fail(format!("the OAuth2 token endpoint answered {status} without `access_token`")));
    };
    let lifetime = doc.get("expires_in").and_then(Value::as_u64).unwrap_or(300);
    Ok((Secret::new(token), Duration::from_secs(lifetime)))
}

/// An error with its sources, `: `-joined (what reqwest hides behind "error sending request").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
