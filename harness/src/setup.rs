//! The run's webhook: registered through the vendor's management API (WHM-1) before the checks
//! when the configuration says so, and deleted after them, whatever happened in between.

use contract::Secret;
use serde_json::{Value, json};
use suites::{ApiError, ApiErrorKind, Inbox, Probe, RegisteredWebhook, VendorApi, WebhookSetup};

/// Creates a webhook named `name` delivering to `target_url`. The secret goes to `inbox` and
/// nowhere else: the exchange kept as evidence has it redacted.
pub async fn register(api: &dyn VendorApi, inbox: &dyn Inbox, name: &str, target_url: &str) -> WebhookSetup {
    let probe = Probe::post(
        api.endpoints().webhooks,
        Some(json!({"name": name, "target_url": target_url, "status": "active"})),
    );
    let mut answer = match api.probe(probe).await {
        Ok(answer) => answer,
        Err(e) => return WebhookSetup::Failed(e),
    };
    let secret = answer.json.as_ref().and_then(|j| j.get("secret")).and_then(Value::as_str).map(str::to_owned);
    if let Some(secret) = &secret {
        suites::redact::redact_exchange(&mut answer.exchange, &[secret]);
    }
    if !answer.is_success() {
        let message = format!("creating the run's webhook answered {}", answer.status);
        return WebhookSetup::Failed(ApiError::new(ApiErrorKind::Status, message, vec![answer.exchange]));
    }
    let webhook_id = answer.json.as_ref().and_then(|j| j.get("webhook_id")).and_then(Value::as_str);
    let (Some(webhook_id), Some(secret)) = (webhook_id, secret) else {
        let message = "the create answer has no `webhook_id` or no `secret` (WHM-2)";
        return WebhookSetup::Failed(ApiError::new(ApiErrorKind::Shape, message, vec![answer.exchange]));
    };
    inbox.add_secret(Secret::new(secret));
    WebhookSetup::Registered(Box::new(RegisteredWebhook {
        webhook_id: webhook_id.to_owned(),
        target_url: target_url.to_owned(),
        exchange: answer.exchange,
    }))
}

/// Deletes the run's webhook; a failure is logged, not fatal (the report is what matters).
pub async fn unregister(api: &dyn VendorApi, webhook: &RegisteredWebhook) {
    let path = api.endpoints().webhook_of(&webhook.webhook_id);
    match api.probe(Probe::delete(path)).await {
        Ok(answer) if answer.is_success() || answer.status == 404 => {}
        Ok(answer) => {
            eprintln!("warning: deleting the run's webhook {} answered {}", webhook.webhook_id, answer.status)
        }
        Err(e) => eprintln!("warning: deleting the run's webhook {} failed: {e}", webhook.webhook_id),
    }
}
