//! `vendor.toml`: what the harness needs to know about one vendor. Secrets can come from
//! environment variables and are never required inline; once loaded they live in `Secret`.
//!
//! A file per large section (`auth`, `webhook`, `trigger`, `budgets`), re-exported here; here the
//! whole file (`VendorConfig`, its load and validation) and the small sections.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use crate::profile::Profile;

mod auth;
mod budgets;
#[cfg(test)]
mod tests;
mod trigger;
mod webhook;

pub use auth::AuthConfig;
pub use budgets::BudgetsConfig;
pub use trigger::TriggerConfig;
pub use webhook::{WebhookConfig, WebhookSecretSource};

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
            let agreed = crate::deviations::load_file(&file)?;
            // Named by its place in its own file, so the entry to fix is found there.
            crate::deviations::validate(&agreed).with_context(|| format!("in {}", file.display()))?;
            config.deviations.extend(agreed);
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
    pub const TEMPLATE: &'static str = include_str!("../vendor.template.toml");
}
