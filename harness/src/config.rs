//! `vendor.toml`: what the harness needs to know about one vendor. Secrets can come from
//! environment variables and are never required inline; once loaded they live in `Secret`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use contract::{Scheme, Secret, TokenMinter};
use serde::{Deserialize, Serialize};

use crate::credential::Credential;
use crate::profile::{AuthProfile, Profile};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorConfig {
    /// A file of more `[[deviations]]` (relative to this one); its entries join those here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviations_file: Option<std::path::PathBuf>,
    pub vendor: VendorSection,
    pub auth: AuthConfig,
    /// A second account's credentials, for tenancy checks (ACC-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_account: Option<AuthConfig>,
    #[serde(default)]
    pub webhook: WebhookConfig,
    #[serde(default)]
    pub trigger: TriggerConfig,
    #[serde(default)]
    pub capabilities: CapabilitiesConfig,
    #[serde(default)]
    pub budgets: BudgetsConfig,
    /// Where the vendor keeps the contract's data: a table, or the name of a built-in profile
    /// (`canonical`, `cursor`, `link`) or of a profile file relative to this one. The default is
    /// the canonical shape.
    #[serde(default)]
    pub profile: Profile,
    /// What `harness certify` needs to know beyond the run.
    #[serde(default, skip_serializing_if = "CertifyConfig::is_empty")]
    pub certify: CertifyConfig,
    /// Deviations the integrator agreed (`[[deviations]]`): see [`crate::deviations`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deviations: Vec<crate::deviations::Deviation>,
}

/// `[certify]`: what a certificate records beyond the run itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CertifyConfig {
    /// Why `harness certify --non-interactive` may skip the checks that need an operator (the
    /// `prompt` trigger): without a reason it refuses, since those checks are MUSTs. The reason is
    /// written into the certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_interactive_reason: Option<String>,
}

impl CertifyConfig {
    pub fn is_empty(&self) -> bool {
        self.non_interactive_reason.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorSection {
    /// Shown in reports.
    pub name: String,
    /// `https://api.vendor.example` (no trailing `/api/v1`: the profile's paths carry it).
    pub base_url: String,
}

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

/// A TOML error that echoes no value: `vendor.toml` may hold an inline secret, and the parser
/// would quote the offending line (serde the offending value). Says where (line, column, key)
/// and what, with every quoted value in the message elided.
fn toml_error(error: &toml::de::Error, text: Option<&str>) -> String {
    let mut message = String::new();
    let mut quoted = false;
    for c in error.message().chars() {
        match (c, quoted) {
            ('"', false) => {
                quoted = true;
                message.push_str("\"…");
            }
            ('"', true) => {
                quoted = false;
                message.push('"');
            }
            (_, true) => {}
            (c, false) => message.push(c),
        }
    }
    let (Some(span), Some(text)) = (error.span(), text) else { return message };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    let key = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.starts_with('#'))
        .map_or(String::new(), |k| format!(" (`{k}`)"));
    format!("line {line}, column {column}{key}: {message}")
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

/// Where the webhook secret comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case", deny_unknown_fields)]
pub enum WebhookSecretSource {
    /// No secret: deliveries cannot be verified (signature checks are skipped).
    None,
    /// An environment variable holding the secret the vendor issued.
    Env { var: String },
    /// Inline (discouraged; the config file then is a secret too).
    Inline { value: Secret },
    /// Created through the vendor's management API (WHM-1) at the start of the run.
    ManagementApi,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where the receiver listens.
    pub listen: SocketAddr,
    /// The URL the vendor can reach the receiver at (a tunnel, a public host); default: `http://{listen}/webhook`.
    pub public_url: Option<String>,
    pub secret: WebhookSecretSource,
    /// The id of a webhook registered outside the run (a vendor with no management API, set up
    /// in its console), with its secret from `secret`: pings name it; it is never deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    pub scheme: Scheme,
    /// The receiver refuses bodies larger than this (413).
    pub max_body_bytes: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            public_url: None,
            secret: WebhookSecretSource::None,
            webhook_id: None,
            scheme: Scheme::Body,
            max_body_bytes: 1024 * 1024,
        }
    }
}

impl WebhookConfig {
    /// Refuses a `webhook_id` with a secret the run creates (the run registers its own webhook).
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.webhook_id.is_some() && self.secret == WebhookSecretSource::ManagementApi {
            bail!(
                "`webhook.webhook_id` names a webhook registered outside the run, but `webhook.secret` is `management-api` (the run registers its own): give the secret of that webhook (`from = \"env\"`), or drop `webhook_id`"
            );
        }
        if self.webhook_id.as_deref().is_some_and(str::is_empty) {
            bail!("`webhook.webhook_id` is empty");
        }
        Ok(())
    }

    /// The secret, when it is known before the run (not for `management-api`).
    pub fn resolve_secret(&self) -> anyhow::Result<Option<Secret>> {
        match &self.secret {
            WebhookSecretSource::None | WebhookSecretSource::ManagementApi => Ok(None),
            WebhookSecretSource::Inline { value } => Ok(Some(value.clone())),
            WebhookSecretSource::Env { var } => std::env::var(var)
                .map(|v| Some(Secret::new(v)))
                .with_context(|| format!("failed to read the webhook secret from ${var}")),
        }
    }
}

/// How the harness makes the vendor act (CONTRACT.md §12).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TriggerConfig {
    /// Run a program (no shell); `{action}`, `{site_id}`, `{device_id}`, `{status}`,
    /// `{event_type}`, `{webhook_id}` and `{data}` (the data the check asks for, as JSON) in the
    /// arguments are replaced. Exit status 0 means done. One command per action
    /// (`status_argv`: a device's health; `event_argv`: a family event; `ping_argv`: a ping to
    /// a webhook), with `argv` for every action that has none of its own.
    Command {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status_argv: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_argv: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ping_argv: Option<Vec<String>>,
        #[serde(default = "default_command_timeout")]
        timeout_secs: u64,
    },
    /// The mock vendor's control API (`POST {admin_url}/_mock/devices/{id}/status|events`),
    /// authorised by `X-Admin-Token`: from the environment variable `admin_token_env`, or
    /// `admin_token` inline (the embedded demo mock, whose token is made up per run).
    MockControl {
        admin_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        admin_token_env: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        admin_token: Option<Secret>,
    },
    /// Only the ping extension (WHM-4): no device changes.
    Ping,
    /// Print what to do and wait for the operator (skipped in non-interactive runs).
    Prompt {
        #[serde(default = "default_prompt_wait")]
        wait_secs: u64,
    },
    /// Wait for organic events only.
    #[default]
    Passive,
}

fn default_command_timeout() -> u64 {
    60
}

fn default_prompt_wait() -> u64 {
    120
}

/// What the vendor declares it offers; optional checks apply only to what is declared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapabilitiesConfig {
    /// `webhook-management`, `ping`, `event-types`, `secret-rotation`.
    pub declared: Vec<String>,
    /// Event families emitted: `health`, `alarm`, `access`, `video`.
    pub event_families: Vec<String>,
    /// Device types that publish no events (partial coverage, FB-4), for a vendor without an
    /// event catalogue (EVT-5) that says so.
    pub silent_device_types: Vec<String>,
}

impl CapabilitiesConfig {
    /// Refuses a name the harness does not know: a misspelt `webhook-managment` would otherwise
    /// make every check of that capability "not applicable" and buy a CONFORMANT.
    pub fn validate(&self) -> anyhow::Result<()> {
        let capabilities: Vec<&str> = suites::CAPABILITIES.iter().map(|(name, _)| *name).collect();
        for name in &self.declared {
            if !capabilities.contains(&name.as_str()) {
                bail!(
                    "unknown capability `{name}` in `[capabilities] declared` (valid: {})",
                    capabilities.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                );
            }
        }
        for name in &self.event_families {
            if !suites::EVENT_FAMILIES.contains(&name.as_str()) {
                bail!(
                    "unknown event family `{name}` in `[capabilities] event_families` (valid: {})",
                    suites::EVENT_FAMILIES.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                );
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetsConfig {
    pub connect_timeout_secs: u64,
    /// One request, body included.
    pub request_timeout_secs: u64,
    /// A body larger than this is a FAIL, not a memory problem.
    pub max_body_bytes: u64,
    /// A walk of more pages than this is a FAIL (endless pagination).
    pub max_pages: u64,
    /// The longest `Retry-After` the client waits for.
    pub max_retry_after_secs: u64,
    /// How often one request is retried after a 429.
    pub max_rate_limit_retries: u32,
    /// How long an event check waits for a delivery.
    pub event_wait_secs: u64,
    /// How long to watch for attempts that should not come (after a 2xx, after a delete).
    pub quiet_window_secs: f64,
    /// How long a simulated receiver outage lasts.
    pub outage_secs: f64,
    /// The retry horizon the vendor declares (DLV-5): how long after an outage its events may
    /// still arrive.
    pub retry_horizon_secs: u64,
    /// At most this many bad-token requests, then as many valid ones, probe for a rate limit
    /// (AUTH-8). 0 (the default) skips the probe: it may lock the account out of a production API
    /// for a while.
    pub rate_limit_burst: u32,
    /// One check, all its requests and waits included.
    pub check_timeout_secs: u64,
    /// The whole run: when it passes, the checks not yet finished are ERROR with that reason and
    /// the report is still written.
    pub run_deadline_secs: u64,
}

impl Default for BudgetsConfig {
    fn default() -> Self {
        Self {
            connect_timeout_secs: 5,
            request_timeout_secs: 20,
            max_body_bytes: 8 * 1024 * 1024,
            max_pages: 1000,
            max_retry_after_secs: 30,
            max_rate_limit_retries: 3,
            event_wait_secs: 30,
            quiet_window_secs: 10.0,
            outage_secs: 30.0,
            retry_horizon_secs: 300,
            rate_limit_burst: 0,
            check_timeout_secs: 300,
            run_deadline_secs: 3600,
        }
    }
}

impl BudgetsConfig {
    pub fn check_timeout(&self) -> Duration {
        Duration::from_secs(self.check_timeout_secs)
    }

    pub fn run_deadline(&self) -> Duration {
        Duration::from_secs(self.run_deadline_secs)
    }

    /// The budgets checks see.
    pub fn for_checks(&self) -> suites::Budgets {
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.0));
        suites::Budgets {
            event_wait: Duration::from_secs(self.event_wait_secs),
            quiet_window: secs(self.quiet_window_secs),
            outage: secs(self.outage_secs),
            retry_horizon: Duration::from_secs(self.retry_horizon_secs),
            rate_limit_burst: self.rate_limit_burst,
            max_pages: self.max_pages,
        }
    }
}

impl VendorConfig {
    /// A configuration for `base_url` with the canonical profile and every default.
    pub fn new(name: impl Into<String>, base_url: impl Into<String>, auth: AuthConfig) -> Self {
        Self {
            vendor: VendorSection { name: name.into(), base_url: base_url.into() },
            auth,
            second_account: None,
            webhook: WebhookConfig::default(),
            trigger: TriggerConfig::default(),
            capabilities: CapabilitiesConfig::default(),
            budgets: BudgetsConfig::default(),
            profile: Profile::default(),
            certify: CertifyConfig::default(),
            deviations_file: None,
            deviations: Vec::new(),
        }
    }

    /// Reads `path`; relative key paths become relative to the file's directory.
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))?;
        let mut table: toml::Table = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}", toml_error(&e, Some(&text))))
            .with_context(|| format!("failed to parse {}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        // `profile = "name"`: a built-in profile, else a file relative to this one.
        if let Some(toml::Value::String(named)) = table.get("profile") {
            let profile_text = match crate::profile::BUILTIN.iter().find(|(n, _)| n == named) {
                Some((_, text)) => (*text).to_owned(),
                None => {
                    let file = dir.join(named);
                    std::fs::read_to_string(&file).with_context(|| {
                        format!(
                            "`profile = \"{named}\"` is neither a built-in profile nor a readable file ({})",
                            file.display()
                        )
                    })?
                }
            };
            let profile: toml::Table =
                toml::from_str(&profile_text).with_context(|| format!("failed to parse the profile `{named}`"))?;
            table.insert("profile".into(), toml::Value::Table(profile));
        }
        let mut config: Self = table
            .try_into()
            .map_err(|e| anyhow::anyhow!("{}", toml_error(&e, None)))
            .with_context(|| format!("failed to parse {}", path.display()))?;
        for auth in std::iter::once(&mut config.auth).chain(config.second_account.as_mut()) {
            let files = [&mut auth.private_key_path, &mut auth.credential_path, &mut auth.rotation_key_path];
            for file in files.into_iter().flatten() {
                if file.is_relative() {
                    *file = dir.join(&file);
                }
            }
        }
        if let Some(file) = config.deviations_file.take() {
            let file = dir.join(file);
            config.deviations.extend(crate::deviations::load_file(&file)?);
        }
        config.validate()?;
        Ok(config)
    }

    /// Refuses what cannot work, before any request is made.
    pub fn validate(&self) -> anyhow::Result<()> {
        let base = reqwest::Url::parse(&self.vendor.base_url)
            .with_context(|| format!("`vendor.base_url` `{}` is not a URL", self.vendor.base_url))?;
        if !matches!(base.scheme(), "http" | "https") {
            bail!("`vendor.base_url` must be http or https");
        }
        self.profile.validate().with_context(|| format!("the profile `{}` cannot work", self.profile.name))?;
        self.webhook.validate()?;
        if let TriggerConfig::Command { argv, status_argv, event_argv, ping_argv, .. } = &self.trigger {
            let own = [("status_argv", status_argv), ("event_argv", event_argv), ("ping_argv", ping_argv)];
            if let Some((name, _)) = own.iter().find(|(_, a)| a.as_ref().is_some_and(Vec::is_empty)) {
                bail!("`trigger.{name}` is empty");
            }
            if argv.is_empty() && own.iter().all(|(_, a)| a.is_none()) {
                bail!("`trigger.argv` is empty (give `argv`, or `status_argv`, `event_argv`, `ping_argv`)");
            }
        }
        self.capabilities.validate()?;
        crate::deviations::validate(&self.deviations)?;
        if self.budgets.run_deadline_secs == 0 {
            bail!("`budgets.run_deadline_secs` must be more than 0");
        }
        Ok(())
    }

    /// The URL the vendor delivers webhooks to.
    pub fn webhook_public_url(&self, bound: SocketAddr) -> String {
        self.webhook.public_url.clone().unwrap_or_else(|| format!("http://{bound}/webhook"))
    }

    /// The template `harness init` writes.
    pub const TEMPLATE: &'static str = include_str!("vendor.template.toml");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vendor.toml");
        std::fs::write(&path, VendorConfig::TEMPLATE).unwrap();
        let config = VendorConfig::load(&path).unwrap();
        assert_eq!(config.profile, Profile::default());
        assert_eq!(config.auth.private_key_path, Some(dir.path().join("keys/vendor.pem")));
        assert!(matches!(config.trigger, TriggerConfig::Passive));
    }

    #[test]
    fn deviations_load_from_the_config_and_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let entry = |check: &str, requirement: &str| {
            format!(
                "[[deviations]]\ncheck = \"{check}\"\nrequirement = \"{requirement}\"\nreason = \"r\"\nreference = \"T-1\"\nexpires = \"2027-03-31\"\n"
            )
        };
        std::fs::write(dir.path().join("agreed.toml"), entry("webhooks.ping", "WHM-4")).unwrap();
        let path = dir.path().join("vendor.toml");
        let text = format!(
            "deviations_file = \"agreed.toml\"\n{}\n{}",
            VendorConfig::TEMPLATE,
            entry("events.catalog", "EVT-5")
        );
        std::fs::write(&path, &text).unwrap();
        let config = VendorConfig::load(&path).unwrap();
        let checks: Vec<&str> = config.deviations.iter().map(|d| d.check.as_str()).collect();
        assert_eq!(checks, ["events.catalog", "webhooks.ping"]);
        std::fs::write(&path, text.replace("EVT-5", "EVT-9")).unwrap();
        let err = format!("{:#}", VendorConfig::load(&path).unwrap_err());
        assert!(err.contains("`deviations[0].requirement`: `EVT-9`"), "{err}");
    }

    #[test]
    fn trigger_kinds_parse() {
        let parse = |t: &str| toml::from_str::<TriggerConfig>(t).unwrap();
        assert_eq!(
            parse("kind = \"mock-control\"\nadmin_url = \"http://127.0.0.1:1\"\nadmin_token_env = \"T\""),
            TriggerConfig::MockControl {
                admin_url: "http://127.0.0.1:1".into(),
                admin_token_env: Some("T".into()),
                admin_token: None
            }
        );
        assert_eq!(
            parse("kind = \"command\"\nargv = [\"x\", \"{device_id}\"]"),
            TriggerConfig::Command {
                argv: vec!["x".into(), "{device_id}".into()],
                status_argv: None,
                event_argv: None,
                ping_argv: None,
                timeout_secs: 60
            }
        );
        assert!(matches!(
            parse("kind = \"command\"\nevent_argv = [\"emit\", \"{data}\"]"),
            TriggerConfig::Command { argv, event_argv: Some(e), .. } if argv.is_empty() && e[1] == "{data}"
        ));
        assert_eq!(parse("kind = \"prompt\""), TriggerConfig::Prompt { wait_secs: 120 });
        assert_eq!(parse("kind = \"ping\""), TriggerConfig::Ping);
    }

    #[test]
    fn a_config_round_trips_and_never_prints_an_inline_secret() {
        let mut config = VendorConfig::new("v", "http://127.0.0.1:9", AuthConfig::from_key_path("k.pem", None));
        config.webhook.secret = WebhookSecretSource::Inline { value: Secret::new("whsec_topsecret") };
        assert!(!format!("{config:?}").contains("whsec_topsecret"));
        let back: VendorConfig = toml::from_str(&toml::to_string(&config).unwrap()).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn unknown_capability_and_family_names_are_refused_with_the_valid_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vendor.toml");
        let with = |capabilities: &str| {
            let text = VendorConfig::TEMPLATE
                .replace("declared = []\n", "")
                .replace("event_families = [\"health\"]", capabilities);
            std::fs::write(&path, text).unwrap();
            VendorConfig::load(&path).map_err(|e| format!("{e:#}"))
        };
        let err = with("declared = [\"webhook-managment\"]").unwrap_err();
        assert!(err.contains("unknown capability `webhook-managment`"), "{err}");
        for (name, _) in suites::CAPABILITIES {
            assert!(err.contains(&format!("`{name}`")), "{err} does not list {name}");
        }
        let err = with("event_families = [\"alarms\"]").unwrap_err();
        assert!(err.contains("unknown event family `alarms`") && err.contains("`video`"), "{err}");
        with("declared = [\"webhook-management\", \"ping\", \"event-types\", \"secret-rotation\"]").unwrap();
    }

    #[test]
    fn a_webhook_registered_outside_the_run_is_named_by_id_with_its_secret() {
        let text = "webhook_id = \"2fd2826d\"\nsecret = { from = \"inline\", value = \"whsec_console\" }";
        let webhook: WebhookConfig = toml::from_str(text).unwrap();
        assert_eq!(webhook.webhook_id.as_deref(), Some("2fd2826d"));
        webhook.validate().unwrap();
        let created = WebhookConfig { secret: WebhookSecretSource::ManagementApi, ..webhook.clone() };
        assert!(format!("{:#}", created.validate().unwrap_err()).contains("registered outside the run"));
        let empty = WebhookConfig { webhook_id: Some(String::new()), ..webhook };
        assert!(empty.validate().is_err());
    }

    #[test]
    fn a_toml_error_names_the_line_but_never_echoes_a_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vendor.toml");
        let secret = "whsec_do_not_print_me";
        // A syntax error on the line of an inline secret (the parser quotes that line)...
        let broken = VendorConfig::TEMPLATE.replace(
            "secret = { from = \"none\" }",
            &format!("secret = {{ from = \"inline\", value = \"{secret}\" }} oops"),
        );
        std::fs::write(&path, broken).unwrap();
        let err = format!("{:#}", VendorConfig::load(&path).unwrap_err());
        assert!(!err.contains(secret), "{err}");
        assert!(err.contains("line ") && err.contains("(`secret`)"), "{err}");
        // ...and a value of the wrong type, which serde would quote.
        let wrong = VendorConfig::TEMPLATE.replace("secret = { from = \"none\" }", &format!("secret = \"{secret}\""));
        std::fs::write(&path, wrong).unwrap();
        let err = format!("{:#}", VendorConfig::load(&path).unwrap_err());
        assert!(!err.contains(secret), "{err}");
        assert!(err.contains("failed to parse"), "{err}");
    }

    #[test]
    fn bad_configs_are_refused_up_front() {
        let config = VendorConfig::new("v", "ftp://x", AuthConfig::from_key_path("k.pem", None));
        assert!(config.validate().is_err());
    }
}
