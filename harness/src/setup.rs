//! The run's webhook: registered through the vendor's management API (WHM-1) before the checks
//! when the configuration says so, and deleted after them, whatever happened in between; or
//! registered outside the run and named by `[webhook] webhook_id`. Requests and answers go
//! through the profile's webhook shapes (`[webhooks.create]`, ...), never the contract's names.

use suites::{ApiError, ApiErrorKind, Inbox, RegisteredWebhook, VendorApi, WebhookSetup};

use crate::config::{WebhookConfig, WebhookSecretSource};

/// The run's webhook as the configuration says: registered now (`secret = management-api`),
/// named by id (`webhook_id`, registered outside the run), or configured without an id.
pub async fn for_run(
    config: &WebhookConfig,
    api: &dyn VendorApi,
    inbox: &dyn Inbox,
    name: &str,
    target_url: &str,
) -> anyhow::Result<WebhookSetup> {
    if config.secret == WebhookSecretSource::ManagementApi {
        return Ok(register(api, inbox, name, target_url).await);
    }
    Ok(match &config.webhook_id {
        Some(webhook_id) => WebhookSetup::External(Box::new(RegisteredWebhook {
            webhook_id: webhook_id.clone(),
            target_url: target_url.to_owned(),
            exchange: Default::default(),
            secret: config.resolve_secret()?,
        })),
        None => WebhookSetup::Configured,
    })
}

/// Creates a webhook named `name` delivering to `target_url`. The secret (issued by the vendor,
/// or chosen by the harness when the profile's create template holds `{secret}`) goes to
/// `inbox` and nowhere else: the exchange kept as evidence has it redacted.
pub async fn register(api: &dyn VendorApi, inbox: &dyn Inbox, name: &str, target_url: &str) -> WebhookSetup {
    let suites::webhook_api::Creation { answer, created } =
        match suites::webhook_api::create_webhook(api, name, target_url).await {
            Ok(creation) => creation,
            Err(e) => return WebhookSetup::Failed(e),
        };
    let shape = api.webhook_api();
    if !answer.is_success() || api.body_error(&answer).is_some() {
        let how = api.body_refusal(&answer).unwrap_or_else(|| format!("answered {}", answer.status));
        let message = format!("creating the run's webhook {how}");
        return WebhookSetup::Failed(ApiError::new(ApiErrorKind::Status, message, vec![answer.exchange]));
    }
    let (Some(webhook_id), Some(secret)) = (created.id, created.secret.filter(|s| !s.expose().is_empty())) else {
        let message = format!(
            "the create answer has no webhook id at `{}` or no secret{} (WHM-2)",
            shape.create.id,
            shape.create.secret.as_deref().map(|p| format!(" at `{p}`")).unwrap_or_default()
        );
        return WebhookSetup::Failed(ApiError::new(ApiErrorKind::Shape, message, vec![answer.exchange]));
    };
    inbox.add_secret(secret.clone());
    WebhookSetup::Registered(Box::new(RegisteredWebhook {
        webhook_id,
        target_url: target_url.to_owned(),
        exchange: answer.exchange,
        secret: Some(secret),
    }))
}

/// Deletes the run's webhook; a failure is logged, not fatal (the report is what matters).
pub async fn unregister(api: &dyn VendorApi, webhook: &RegisteredWebhook) {
    match api.probe(api.webhook_api().delete_probe(&webhook.webhook_id)).await {
        Ok(answer) if answer.is_success() || answer.status == 404 => {}
        Ok(answer) => {
            eprintln!("warning: deleting the run's webhook {} answered {}", webhook.webhook_id, answer.status)
        }
        Err(e) => eprintln!("warning: deleting the run's webhook {} failed: {e}", webhook.webhook_id),
    }
}
