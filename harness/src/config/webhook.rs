//! `[webhook]`: where the harness's receiver listens, the URL the vendor delivers to, and where
//! the webhook secret comes from.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use contract::{Scheme, Secret};
use serde::{Deserialize, Serialize};

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
