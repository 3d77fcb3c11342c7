//! The webhooks a check creates and always deletes again: requests through the vendor's
//! [`WebhookApi`](crate::WebhookApi), their answers redacted, the secrets the run was issued remembered.

use std::sync::atomic::{AtomicU64, Ordering};

use contract::Secret;
use serde_json::Value;

use super::{WHM1, WHM2_CREATE, WHM2_DELETE};
use crate::act;
use crate::context::{Answer, Context, Delivery, Inbox, Probe};
use crate::outcome::{Exchange, Finding, Outcome, Status};
use crate::redact::{redact_exchange, redact_json, redact_text, secrets_in};
use crate::webhook_api::{Creation, ListedWebhook, create_webhook};

/// A path segment no other webhook uses, `whm-<what>-<10 hex digits>` (the clock's nanoseconds
/// and a counter): unique within the run, and unlikely to be shared with a webhook an earlier run
/// left behind at the same public URL.
pub(crate) fn unique_tag(what: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    // Fixed width, so exchanges naming it have the same size in every run.
    format!("whm-{what}-{:08x}{:02x}", nanos, NEXT.fetch_add(1, Ordering::Relaxed) % 256)
}

/// `base` with `/<tag>` appended to its path (before any query).
pub fn target_under(base: &str, tag: &str) -> String {
    let (path, query) = base.split_once('?').map_or((base, None), |(p, q)| (p, Some(q)));
    let joined = format!("{}/{tag}", path.trim_end_matches('/'));
    query.map_or(joined.clone(), |q| format!("{joined}?{q}"))
}

/// A probe's answer with its exchange redacted; a probe that got no answer ends the check,
/// quoting `rule` (the requirement the request serves) when the vendor is to blame (a redirect,
/// an oversized or unreadable body).
pub(crate) async fn send(
    cx: &Context,
    probe: Probe,
    what: &str,
    secrets: &[&str],
    rule: &str,
) -> Result<Answer, Outcome> {
    let mut answer = cx.api.probe(probe).await.map_err(|e| {
        let mut outcome = quoting(e.to_outcome(what), rule);
        for exchange in &mut outcome.evidence.exchanges {
            redact_exchange(exchange, secrets);
        }
        outcome
    })?;
    let found = answer.json.as_ref().map(secrets_in).unwrap_or_default();
    let mut all: Vec<&str> = secrets.to_vec();
    all.extend(found.iter().map(String::as_str));
    redact_exchange(&mut answer.exchange, &all);
    answer.text = redact_text(&answer.text, &all);
    answer.json = answer.json.as_ref().map(redact_json);
    Ok(answer)
}

/// A FAIL naming `rule`, the CONTRACT.md requirement broken; other outcomes (and a control
/// request's, whose `rule` is empty: see [`control_failed`](super::target)) as they are.
fn quoting(outcome: Outcome, rule: &str) -> Outcome {
    if outcome.status == Status::Fail && !rule.is_empty() {
        Outcome { message: format!("{} ({rule})", outcome.message), ..outcome }
    } else {
        outcome
    }
}

/// A webhook API found by discovery (its list answers) but not declared, whose create answers
/// 404, 405 or 501, does not offer WHM-1's endpoints: the checks that need a create do not
/// apply (console-made webhooks, a read-only list). A declared one stays held to WHM-2.
pub(crate) fn create_not_offered(cx: &Context, answer: &Answer) -> Option<Outcome> {
    let discovered = cx.declared.discovered.contains("webhook-management");
    (discovered && matches!(answer.status, 404 | 405 | 501)).then(|| {
        Outcome::not_applicable(format!(
            "the vendor lists webhooks but offers no create: WHM-1's endpoints are not all offered (the create \
             answered {}; `webhook-management` was {}: its list answered) ({WHM1})",
            answer.status,
            crate::FOUND_BY_DISCOVERY
        ))
        .with_exchange(&answer.exchange)
    })
}

/// A webhook a check created (and must delete).
pub(crate) struct Created {
    pub(crate) webhook_id: String,
    /// Issued by the vendor, or chosen by the harness; only ever handed to the receiver, sent
    /// in a test delivery's request and used to redact.
    pub(crate) secret: Option<Secret>,
    /// The path segment its deliveries arrive under.
    pub(crate) tag: String,
    pub(crate) target: String,
    /// The create answer, secrets redacted.
    pub(crate) answer: Answer,
}

impl Created {
    pub(crate) fn secrets(&self) -> Vec<&str> {
        self.secret.iter().map(|s| s.expose()).collect()
    }

    pub(crate) fn is_mine(&self, delivery: &Delivery) -> bool {
        delivery.path.contains(&self.tag)
    }
}

/// Sends a create through the profile's template; the answer comes back redacted. No answer
/// ends the check, quoting `rule` when the vendor is to blame.
pub(crate) async fn create_raw(cx: &Context, name: &str, target_url: &str, rule: &str) -> Result<Creation, Outcome> {
    create_webhook(cx.api.as_ref(), name, target_url)
        .await
        .map_err(|e| quoting(e.to_outcome("creating a webhook"), rule))
}

/// Creates a webhook delivering to the receiver under a fresh path, and hands its secret to the
/// receiver. A refusal ends the check with `refused` (FAIL for the checks that judge the create,
/// SKIP for those that only need a webhook).
pub(crate) async fn create(
    cx: &Context,
    inbox: &dyn Inbox,
    what: &str,
    refused: fn(String) -> Outcome,
) -> Result<Created, Outcome> {
    let tag = unique_tag(what);
    let target = target_under(&inbox.public_url(), &tag);
    // The webhook lives only for this check: what reaches its path is never an attempt of an
    // event a later check watches, even from a vendor that keeps delivering after the delete.
    act::retire_path(cx, &tag);
    let Creation { answer, created } =
        create_raw(cx, &format!("conformance-harness {tag}"), &target, WHM2_CREATE).await?;
    if let Some(skip) = act::refused_token(&answer, "creating a webhook") {
        return Err(skip);
    }
    if let Some(moot) = create_not_offered(cx, &answer) {
        return Err(moot);
    }
    if let Some(secret) = &created.secret {
        inbox.add_secret(secret.clone());
        remember_secret(cx, secret).await;
    }
    let id_at = &cx.api.webhook_api().create.id;
    let refusal = cx.api.body_refusal(&answer);
    match created.id {
        Some(webhook_id) if answer.is_success() && refusal.is_none() => {
            Ok(Created { webhook_id, secret: created.secret, tag, target, answer })
        }
        Some(webhook_id) => {
            // A vendor that answers an error yet creates the webhook still gets it deleted.
            delete(cx, &webhook_id, &[], WHM2_DELETE).await.ok();
            let how = refusal.unwrap_or_else(|| format!("answered {}", answer.status));
            Err(refused(format!("creating a webhook {how} ({WHM2_CREATE})")).with_exchange(&answer.exchange))
        }
        None if answer.is_success() && refusal.is_none() => Err(refused(format!(
            "creating a webhook answered {} without an id at `{id_at}`, so it cannot be listed or deleted ({WHM2_CREATE})",
            answer.status
        ))
        .with_exchange(&answer.exchange)),
        None => {
            let how = refusal.unwrap_or_else(|| format!("answered {}", answer.status));
            Err(refused(format!("creating a webhook {how} ({WHM2_CREATE})")).with_exchange(&answer.exchange))
        }
    }
}

pub(crate) async fn delete(cx: &Context, webhook_id: &str, secrets: &[&str], rule: &str) -> Result<Answer, Outcome> {
    send(cx, cx.api.webhook_api().delete_probe(webhook_id), "deleting a webhook", secrets, rule).await
}

pub(crate) async fn list(cx: &Context, secrets: &[&str], rule: &str) -> Result<Answer, Outcome> {
    send(cx, cx.api.webhook_api().list_probe(), "listing webhooks", secrets, rule).await
}

/// Deletes a webhook the check created, adding a note to `outcome` when that failed (the
/// operator should remove it by hand).
pub(crate) async fn clean_up(cx: &Context, created: &Created, outcome: Outcome) -> Outcome {
    match delete(cx, &created.webhook_id, &created.secrets(), WHM2_DELETE).await {
        Ok(answer) if answer.is_success() || answer.status == 404 => outcome,
        Ok(answer) => outcome.with_note(format!(
            "deleting the check's webhook {} answered {}: remove it by hand",
            created.webhook_id, answer.status
        )),
        Err(e) => outcome.with_note(format!(
            "deleting the check's webhook {} failed ({}): remove it by hand",
            created.webhook_id, e.message
        )),
    }
}

/// The webhooks of a list answer, read through the profile.
pub(crate) fn listed(cx: &Context, answer: &Answer) -> Option<Vec<ListedWebhook>> {
    cx.api.webhook_api().read_list(answer.json.as_ref())
}

pub(crate) fn is_listed(cx: &Context, answer: &Answer, webhook_id: &str) -> bool {
    listed(cx, answer).is_some_and(|all| all.iter().any(|w| w.id.as_deref() == Some(webhook_id)))
}

pub(crate) fn finding(
    subject: String,
    pointer: &str,
    message: String,
    record: Option<Value>,
    exchange: &Exchange,
) -> Finding {
    Finding { subject, pointer: pointer.to_owned(), message, record, source: Some(exchange.url.clone()) }
}

/// The secrets webhooks of the run were issued or given: the ones this suite's checks created
/// (kept for the run, [`Context::memo`]) and the run's own webhook's.
#[derive(Default)]
struct Issued(std::sync::Mutex<Vec<Secret>>);

pub(crate) async fn remember_secret(cx: &Context, secret: &Secret) {
    let issued = cx.memo::<Issued, _, _>(|| async { Issued::default() }).await;
    issued.0.lock().expect("issued secrets lock").push(secret.clone());
}

/// Every secret of the run a listed value is compared with (non-empty ones only).
pub(crate) async fn known_secrets(cx: &Context, created: &Created) -> Vec<String> {
    let mut known: Vec<String> = created.secret.iter().map(|s| s.expose().to_owned()).collect();
    let issued = cx.memo::<Issued, _, _>(|| async { Issued::default() }).await;
    known.extend(issued.0.lock().expect("issued secrets lock").iter().map(|s| s.expose().to_owned()));
    if let Some(w) = cx.webhook.known().and_then(|w| w.secret.as_ref()) {
        known.push(w.expose().to_owned());
    }
    known.retain(|s| !s.is_empty());
    known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_get_their_own_path() {
        assert_eq!(target_under("http://127.0.0.1:9/webhook", "whm-a"), "http://127.0.0.1:9/webhook/whm-a");
        assert_eq!(target_under("https://h.example/hook/?k=v", "whm-a"), "https://h.example/hook/whm-a?k=v");
        assert_ne!(unique_tag("x"), unique_tag("x"));
    }
}
