//! The HTTP client the checks reach the vendor through: a fresh token per request, bounded in
//! time, size and page count, never following redirects, and recording every exchange as
//! evidence with secrets redacted. One job per file, as cargo-nextest splits its reporter:
//! `transport` (one request sent, bounded, recorded), `rate_limit` (429s kept and waited out),
//! `token` (the credential each request carries), `reproduce` (curl commands), `pages` (a page
//! asked and read through the profile), `walk` (the engine; `walk/kinds.rs` the kinds' steps),
//! `evidence` (excerpts and redaction), `api` (the `VendorApi` the suites see).

use std::time::Duration;

use reqwest::{StatusCode, Url};
use suites::{ApiError, ApiErrorKind, Exchange};

use crate::config::{BudgetsConfig, VendorConfig};
pub use crate::credential::Credential;
use crate::profile::Profile;

mod api;
mod evidence;
mod pages;
mod rate_limit;
mod reproduce;
mod token;
mod transport;
mod walk;

pub use evidence::{EXCERPT_BYTES, token_view};
// `api.rs` reads these under their names (the excerpt is `json_excerpt` here).
use evidence::{json_excerpt, pointer_shown};
pub use pages::FirstPage;
pub use rate_limit::MAX_LIMITED_KEPT;
pub use reproduce::shell_quote;
pub use walk::next_link;

/// The client's bounds, from the configuration's budgets.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_body_bytes: u64,
    pub max_pages: u64,
    pub max_retry_after: Duration,
    pub max_rate_limit_retries: u32,
}

impl From<&BudgetsConfig> for Limits {
    fn from(b: &BudgetsConfig) -> Self {
        Self {
            connect_timeout: Duration::from_secs(b.connect_timeout_secs),
            request_timeout: Duration::from_secs(b.request_timeout_secs),
            max_body_bytes: b.max_body_bytes,
            max_pages: b.max_pages,
            max_retry_after: Duration::from_secs(b.max_retry_after_secs),
            max_rate_limit_retries: b.max_rate_limit_retries,
        }
    }
}

/// A complete answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub body: bytes::Bytes,
    pub exchange: Exchange,
}

pub struct VendorClient {
    http: reqwest::Client,
    base_url: String,
    profile: Profile,
    credential: Credential,
    limits: Limits,
    /// The config path reproduce commands name (`harness token --config <this>`).
    config_hint: String,
    /// Added to `harness token` in reproduce commands (` --second-account` for the second
    /// account's client), so the command mints the credential this client used.
    token_flags: String,
    /// The credential's account id once the account endpoint answered it, for fields the
    /// profile takes `from_request = "account_id"`.
    account_id: std::sync::OnceLock<String>,
    /// Every 429 answer so far, whatever request it answered (AUTH-8 judges each), up to
    /// [`MAX_LIMITED_KEPT`].
    limited: std::sync::Mutex<Vec<Exchange>>,
    /// The run's recording of every exchange (`exchanges.har`), when it keeps one.
    har: Option<std::sync::Arc<crate::har::HarRecorder>>,
    /// The next JWT, minted while the current request is in flight.
    minted: token::MintAhead,
}

impl std::fmt::Debug for VendorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorClient").field("base_url", &self.base_url).field("profile", &self.profile.name).finish()
    }
}

impl VendorClient {
    pub fn new(
        base_url: &str,
        profile: Profile,
        credential: impl Into<Credential>,
        limits: Limits,
        config_hint: impl Into<String>,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .user_agent(concat!("conformance-harness/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            profile,
            credential: credential.into(),
            limits,
            config_hint: config_hint.into(),
            token_flags: String::new(),
            account_id: std::sync::OnceLock::new(),
            limited: Default::default(),
            har: None,
            minted: Default::default(),
        })
    }

    /// Records every exchange in `har` (the run's `exchanges.har`).
    pub fn with_har(mut self, har: std::sync::Arc<crate::har::HarRecorder>) -> Self {
        self.har = Some(har);
        self
    }

    /// Reproduce commands mint their token with `harness token ... <flags>` (` --second-account`).
    pub fn with_token_flags(mut self, flags: impl Into<String>) -> Self {
        self.token_flags = flags.into();
        self
    }

    pub fn from_config(config: &VendorConfig, config_hint: impl Into<String>) -> anyhow::Result<Self> {
        let credential = config.auth.credential(&config.profile.auth)?;
        Self::new(
            &config.vendor.base_url,
            config.profile.clone(),
            credential,
            Limits::from(&config.budgets),
            config_hint,
        )
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// `base_url` + `path` + query.
    pub fn url(&self, path: &str, query: &[(String, String)]) -> Result<Url, ApiError> {
        let mut url = Url::parse(&format!("{}{path}", self.base_url))
            .map_err(|e| ApiError::new(ApiErrorKind::Config, format!("bad URL for `{path}`: {e}"), vec![]))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }
}
