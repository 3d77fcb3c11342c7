//! How a vendor's requests authenticate, as a profile writes it: one variant per kind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use suites::AuthKind;

with_shared_keys! {
    shared {
        /// The header the credential goes in.
        #[serde(default = "authorization")]
        header: String,
        /// Written before the credential.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        /// Fixed headers sent with every request.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        extra_headers: BTreeMap<String, String>,
    }
    /// How requests authenticate, one variant per `kind` with the keys that kind reads (a
    /// `token_url` only with OAuth2). The secrets themselves come from the configuration's `[auth]`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    pub enum AuthProfile {
        /// The contract's client-minted RS256 JWT.
        Jwt {
            ..shared,
        },
        /// A static API key in a header (no prefix unless given).
        ApiKey {
            ..shared,
        },
        /// A static bearer token.
        Bearer {
            ..shared,
        },
        /// OAuth2 client credentials: a token from `token_url` (a path under the base URL, or a URL).
        Oauth2ClientCredentials {
            token_url: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            scope: Option<String>,
            ..shared,
        },
    }
}

fn authorization() -> String {
    "Authorization".into()
}

impl Default for AuthProfile {
    fn default() -> Self {
        Self::Jwt { header: authorization(), prefix: None, extra_headers: BTreeMap::new() }
    }
}

impl AuthProfile {
    /// A static API key in `header`, with no prefix.
    pub fn api_key(header: impl Into<String>) -> Self {
        Self::ApiKey { header: header.into(), prefix: None, extra_headers: BTreeMap::new() }
    }

    pub fn kind(&self) -> AuthKind {
        match self {
            Self::Jwt { .. } => AuthKind::Jwt,
            Self::ApiKey { .. } => AuthKind::ApiKey,
            Self::Bearer { .. } => AuthKind::Bearer,
            Self::Oauth2ClientCredentials { .. } => AuthKind::Oauth2ClientCredentials,
        }
    }

    /// The header the credential goes in.
    pub fn header(&self) -> &str {
        self.header_keys().0
    }

    /// Written before the credential (`"Bearer "`; `""` for a raw JWT or an API key). When
    /// absent: `"Bearer "` for tokens, nothing for an API key.
    pub fn prefix(&self) -> &str {
        let (_, prefix, _) = self.header_keys();
        prefix.as_deref().unwrap_or(if self.kind() == AuthKind::ApiKey { "" } else { "Bearer " })
    }

    /// Fixed headers sent with every request (`x-auth-scheme = "api-token"`).
    pub fn extra_headers(&self) -> &BTreeMap<String, String> {
        self.header_keys().2
    }

    /// `(header, prefix, extra_headers)` as written.
    fn header_keys(&self) -> (&String, &Option<String>, &BTreeMap<String, String>) {
        match self {
            Self::Jwt { header, prefix, extra_headers }
            | Self::ApiKey { header, prefix, extra_headers }
            | Self::Bearer { header, prefix, extra_headers }
            | Self::Oauth2ClientCredentials { header, prefix, extra_headers, .. } => (header, prefix, extra_headers),
        }
    }

    /// OAuth2's token endpoint and scope.
    pub fn oauth2(&self) -> Option<(&str, Option<&str>)> {
        match self {
            Self::Oauth2ClientCredentials { token_url, scope, .. } => Some((token_url, scope.as_deref())),
            _ => None,
        }
    }
}
