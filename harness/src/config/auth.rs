//! `[auth]`: an account's credential, read from a key file, an environment variable or a
//! credential file, never required inline.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use contract::{Secret, TokenMinter};
use serde::{Deserialize, Serialize};

use crate::credential::Credential;
use crate::profile::AuthProfile;

/// An account's credential. With the contract's JWTs (the profile's `auth.kind = "jwt"`): the
/// private key the vendor's console issued, and its `kid`. With an API key or a static bearer
/// token: `credential_env` or `credential_path`. With OAuth2 client credentials: `client_id`
/// and the client secret in `credential_env` or `credential_path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// An environment variable holding the API key, bearer token or OAuth2 client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_env: Option<String>,
    /// Or a file holding it (relative paths are relative to the config file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_path: Option<PathBuf>,
    /// The OAuth2 client id (not a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// A PEM file (PKCS#8 or PKCS#1). Relative paths are relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_path: Option<PathBuf>,
    /// Or an environment variable holding the PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// A second key registered for the same account, as during a rotation (AUTH-7: `kid` selects
    /// among an account's keys). Without it `auth.kid-rotation` is skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_key_path: Option<PathBuf>,
    /// The second key's `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_kid: Option<String>,
    /// Token lifetime in seconds (default 300: short-lived, well under the contract's hour).
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_secs: u64,
}

/// A PEM key file's text; `what` names it in the error.
fn read_key(path: &std::path::Path, what: &str) -> anyhow::Result<Secret> {
    let text = std::fs::read_to_string(path).with_context(|| format!("failed to read {what} {}", path.display()))?;
    Ok(Secret::new(text))
}

fn default_token_lifetime() -> u64 {
    300
}

impl AuthConfig {
    pub fn from_key_path(path: impl Into<PathBuf>, kid: Option<String>) -> Self {
        Self {
            credential_env: None,
            credential_path: None,
            client_id: None,
            private_key_path: Some(path.into()),
            private_key_env: None,
            kid,
            rotation_key_path: None,
            rotation_kid: None,
            token_lifetime_secs: default_token_lifetime(),
        }
    }

    /// With a second key of the account, for the rotation check.
    pub fn with_rotation_key(mut self, path: impl Into<PathBuf>, kid: impl Into<String>) -> Self {
        self.rotation_key_path = Some(path.into());
        self.rotation_kid = Some(kid.into());
        self
    }

    /// The minter and the public key that goes with it (for the auth suite's crafted tokens).
    pub fn token_kit(&self) -> anyhow::Result<suites::TokenKit> {
        let pem = self.private_pem()?;
        let public_pem = contract::token::public_pem_of(&pem).context("failed to load the private key")?;
        let rotation = match (&self.rotation_key_path, &self.rotation_kid) {
            (Some(path), Some(kid)) => {
                let pem = read_key(path, "the rotation key")?;
                Some(std::sync::Arc::new(self.minter_with(&pem, Some(kid.clone()))?))
            }
            (None, None) => None,
            _ => bail!("`rotation_key_path` and `rotation_kid` go together"),
        };
        Ok(suites::TokenKit {
            minter: std::sync::Arc::new(self.minter_with(&pem, self.kid.clone())?),
            public_pem,
            lifetime_secs: self.token_lifetime_secs,
            rotation,
        })
    }

    /// What requests authenticate with, for the profile's kind of auth.
    pub fn credential(&self, profile: &AuthProfile) -> anyhow::Result<Credential> {
        match profile.kind() {
            suites::AuthKind::Jwt => Ok(Credential::Jwt(std::sync::Arc::new(self.minter()?))),
            suites::AuthKind::ApiKey | suites::AuthKind::Bearer => Ok(Credential::Static(self.static_secret()?)),
            suites::AuthKind::Oauth2ClientCredentials => {
                let Some(id) = &self.client_id else {
                    bail!("`[auth]` needs `client_id` for OAuth2 client credentials");
                };
                Ok(Credential::client_credentials(id.clone(), self.static_secret()?))
            }
        }
    }

    /// The API key, bearer token or client secret (file or environment).
    fn static_secret(&self) -> anyhow::Result<Secret> {
        let text = match (&self.credential_path, &self.credential_env) {
            (Some(path), _) => std::fs::read_to_string(path)
                .with_context(|| format!("failed to read the credential {}", path.display()))?,
            (None, Some(var)) => {
                std::env::var(var).with_context(|| format!("failed to read the credential from ${var}"))?
            }
            (None, None) => bail!("`[auth]` needs `credential_path` or `credential_env` for this profile's auth kind"),
        };
        Ok(Secret::new(text.trim()))
    }

    /// Reads the key (file or environment) and builds the token minter.
    pub fn minter(&self) -> anyhow::Result<TokenMinter> {
        self.minter_with(&self.private_pem()?, self.kid.clone())
    }

    /// A minter of this account's tokens (its lifetime) from `pem`, naming `kid`.
    fn minter_with(&self, pem: &Secret, kid: Option<String>) -> anyhow::Result<TokenMinter> {
        let minter = TokenMinter::from_pem(pem, kid).context("failed to load the private key")?;
        Ok(minter.with_lifetime(self.token_lifetime_secs))
    }

    fn private_pem(&self) -> anyhow::Result<Secret> {
        let pem = match (&self.private_key_path, &self.private_key_env) {
            (Some(path), _) => read_key(path, "the private key")?,
            (None, Some(var)) => {
                Secret::new(std::env::var(var).with_context(|| format!("failed to read the private key from ${var}"))?)
            }
            (None, None) => bail!("`[auth]` needs `private_key_path` or `private_key_env`"),
        };
        Ok(pem)
    }
}
