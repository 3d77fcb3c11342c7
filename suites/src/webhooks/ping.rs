//! WHM-4: a ping sends one signed test delivery now.

use contract::Secret;
use serde_json::Value;

use super::WHM4;
use super::created::{clean_up, create, send};
use crate::act;
use crate::context::{Context, Delivery, Inbox};
use crate::outcome::Outcome;

/// WHM-4: ping makes the vendor deliver a `ping` event now (its signature and envelope are
/// judged with every other delivery, by the replay suite and events.envelope).
pub async fn ping(cx: &Context) -> Outcome {
    let inbox = match act::require_inbox(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    if let Some(run) = cx.webhook.known() {
        return judge_ping(cx, inbox, &run.webhook_id, &run.target_url, run.secret.as_ref(), None).await;
    }
    if !cx.declared.capabilities.contains("webhook-management") {
        return Outcome::skip(
            "the run's webhook was registered outside the run and `[webhook] webhook_id` does not name it, and the vendor does not declare `webhook-management` to create one",
        );
    }
    let created = match create(cx, inbox, "ping", |m| Outcome::skip(format!("{m} (see webhooks.create-list)"))).await {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let outcome =
        judge_ping(cx, inbox, &created.webhook_id, &created.target, created.secret.as_ref(), Some(&created.tag)).await;
    clean_up(cx, &created, outcome).await
}

async fn judge_ping(
    cx: &Context,
    inbox: &dyn Inbox,
    webhook_id: &str,
    target_url: &str,
    secret: Option<&Secret>,
    tag: Option<&str>,
) -> Outcome {
    let expected = "2xx, then a delivery of a `ping` event";
    let since = inbox.deliveries().len();
    let shape = cx.api.webhook_api();
    let secrets: Vec<&str> = secret.iter().map(|s| s.expose()).collect();
    let answer =
        match send(cx, shape.ping_probe(webhook_id, target_url, secret), "pinging a webhook", &secrets, WHM4).await {
            Ok(a) => a,
            Err(outcome) => return outcome,
        };
    if !answer.is_success() {
        return Outcome::fail(format!("pinging webhook {webhook_id} answered {} ({WHM4})", answer.status))
            .expected(expected)
            .actual(answer.status.to_string())
            .with_exchange(&answer.exchange);
    }
    // The ping's `event_id`, when the answer announces one, tells this ping from any other.
    let announced = shape.ping_event_id(answer.json.as_ref());
    let tag = tag.map(str::to_owned);
    let is_ping = move |d: &Delivery| {
        tag.as_deref().is_none_or(|t| d.path.contains(t))
            && act::body_json(d).is_some_and(|b| {
                let id = b.get("event_id").and_then(Value::as_str);
                b.get("event_type").and_then(Value::as_str) == Some("ping")
                    && (announced.is_none() || id.is_none() || id == announced.as_deref())
            })
    };
    cx.waiting("the ping", cx.budgets.event_wait);
    let Some(delivery) = act::wait_for_first(inbox, since, cx.budgets.event_wait, is_ping).await else {
        return Outcome::fail(format!(
            "pinging webhook {webhook_id} answered {} but no `ping` delivery arrived within {} s ({WHM4})",
            answer.status,
            cx.budgets.event_wait.as_secs()
        ))
        .expected(expected)
        .with_exchange(&answer.exchange);
    };
    let outcome = Outcome::pass(format!("pinging webhook {webhook_id} answered {} and a `ping` event arrived", answer.status))
        .expected(expected)
        .with_exchange(&answer.exchange)
        .with_note("its signature is judged by the replay suite and its envelope by events.envelope, with every other delivery of the run");
    match &delivery.verification {
        crate::context::Verification::Invalid { reason } => {
            outcome.with_note(format!("the ping's signature did not verify: {reason}"))
        }
        _ => outcome,
    }
}
