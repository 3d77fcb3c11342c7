//! WHM-1, WHM-2: a created webhook gets an id and a secret, and the list shows it without the secret.

use serde_json::Value;

use super::WHM2_CREATE;
use super::created::{Created, clean_up, create, finding, known_secrets, list, listed};
use crate::act;
use crate::context::Context;
use crate::outcome::{Evidence, Outcome};
use crate::redact::redact_json;

/// WHM-1, WHM-2: a create answers a new webhook id and a secret (or takes the integrator's);
/// the list shows the webhook and no secret at all. Statuses are not judged: `active` is the one
/// value the contract defines, other values are the vendor's own.
pub async fn create_list(cx: &Context) -> Outcome {
    let inbox = match act::require_inbox(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let created = match create(cx, inbox, "create", Outcome::fail).await {
        Ok(c) => c,
        Err(outcome) => return outcome.expected("2xx with a new webhook id and a secret"),
    };
    let outcome = judge_create_list(cx, &created).await;
    clean_up(cx, &created, outcome).await
}

async fn judge_create_list(cx: &Context, created: &Created) -> Outcome {
    let shape = cx.api.webhook_api();
    let mut evidence = Evidence::default();
    evidence.push_exchange(&created.answer.exchange);
    let created_json = created.answer.json.clone().unwrap_or(Value::Null);
    let subject = format!("webhook {}", created.webhook_id);
    if let Some(at) = &shape.create.secret
        && created.secret.as_ref().is_none_or(|s| s.expose().is_empty())
    {
        evidence.push_finding(finding(
            subject.clone(),
            at,
            format!("the create answer carries no secret at `{at}`: deliveries cannot be verified"),
            Some(created_json.clone()),
            &created.answer.exchange,
        ));
    }
    let answer = match list(cx, &created.secrets(), WHM2_CREATE).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    evidence.push_exchange(&answer.exchange);
    if let Some(skip) = act::refused_token(&answer, "listing webhooks") {
        return skip;
    }
    let expected = "create: a new webhook id and a secret; list: the webhook, no secret";
    let Some(all) = listed(cx, &answer).filter(|_| answer.is_success()) else {
        let outcome = Outcome::fail(format!(
            "listing webhooks answered {} without {} ({WHM2_CREATE})",
            answer.status,
            shape.list_shown()
        ))
        .expected(format!("2xx with {}", shape.list_shown()));
        return outcome.with_evidence(evidence);
    };
    if !all.iter().any(|w| w.id.as_deref() == Some(created.webhook_id.as_str())) {
        evidence.push_finding(finding(
            subject.clone(),
            &shape.list.list,
            format!("the list does not show the webhook just created (ids read at `{}`)", shape.list.id),
            None,
            &answer.exchange,
        ));
    }
    // WHM-2 forbids the secret in the list, not a field of that name: a listed value is the
    // secret when it holds one the run was issued or chose (this check's, an earlier check's, the
    // run's own webhook's). Other values under the contract's `secret` or the create's secret
    // pointer (a mask such as `whsec_****`) are noted. The answer kept as evidence is redacted, so
    // the list is read again, raw, here and nowhere else.
    let known = known_secrets(cx, created).await;
    let raw = cx.api.probe(shape.list_probe()).await.ok();
    let raw_all = raw.as_ref().and_then(|r| shape.read_list(r.json.as_ref())).unwrap_or_default();
    let holds_known = |s: &str| known.iter().any(|k| s.contains(k.as_str()));
    let mut leaked = 0;
    for w in &raw_all {
        let id = w.id.as_deref().unwrap_or("<no id>");
        let issued_at = shape.create.secret.as_deref();
        let values = [
            ("/secret", w.raw.get("secret")),
            (issued_at.unwrap_or("/secret"), issued_at.and_then(|p| w.raw.pointer(p))),
        ];
        let mut noted = false;
        for (at, value) in values {
            let Some(value) = value.filter(|v| !v.is_null()) else { continue };
            let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            if holds_known(&text) {
                leaked += 1;
                evidence.push_finding(finding(
                    format!("webhook {id}"),
                    at,
                    "the list shows the webhook's secret (shown here redacted); it must be shown once, at create"
                        .into(),
                    Some(redact_json(&w.raw)),
                    &answer.exchange,
                ));
                break;
            } else if !noted {
                noted = true;
                evidence.notes.push(format!(
                    "the list shows webhook {id} with a value at `{at}` that is none of the run's secrets (a mask, \
                     such as `whsec_****`): not judged"
                ));
            }
        }
    }
    // A secret under another name (or in free text) would still leak: look for ours anywhere.
    if leaked == 0 && raw.as_ref().is_some_and(|r| holds_known(&r.text)) {
        evidence.push_finding(finding(
            subject,
            "",
            "the list carries the webhook's secret under another name".into(),
            None,
            &answer.exchange,
        ));
    }
    let n = evidence.total_findings;
    if n == 0 {
        let secret = if shape.create.secret.is_some() {
            "with an id and a secret"
        } else {
            "with an id (the secret is the integrator's, sent in the create)"
        };
        return Outcome::pass(format!(
            "the create answered {} {secret}; the list of {} webhooks shows it without any secret",
            created.answer.status,
            all.len()
        ))
        .expected(expected)
        .with_evidence(evidence);
    }
    let first = evidence.findings.first().map(|f| format!("{}: {}", f.subject, f.message)).unwrap_or_default();
    Outcome::fail(format!("{n} webhook management problems: {first} ({WHM2_CREATE})"))
        .expected(expected)
        .actual(format!("{n} problems"))
        .with_evidence(evidence)
}
