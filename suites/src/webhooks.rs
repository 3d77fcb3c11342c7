//! The webhook management suite (WHM-1 … WHM-4): create, list, delete, target validation, ping.
//!
//! Each check creates the webhooks it needs, at its own path under the receiver's URL
//! (`…/webhook/whm-<check>-<n>`), so their deliveries are told apart from the run's webhook by
//! [`Delivery::path`], and deletes them again whatever the outcome. A created webhook's secret
//! goes to the receiver (so a delivery to it verifies and is answered once, not retried) and
//! nowhere else: every exchange kept as evidence has every `secret` value redacted, including
//! secrets of other webhooks a faulty list shows.
//!
//! Requests and answers go through the vendor's [`WebhookApi`] (its profile's create template,
//! answer and list pointers, delete and ping requests): the checks never use the contract's field
//! names, never send a value neither the contract nor the profile defines, and never judge a
//! webhook's status word (`active` is the one value the contract defines; others are the
//! vendor's own, WHM-2).

use std::sync::atomic::{AtomicU64, Ordering};

use contract::Secret;
use serde_json::Value;

use crate::Check;
use crate::act;
use crate::context::{Answer, Context, Delivery, Inbox, Probe};
use crate::outcome::{Evidence, Exchange, Finding, Outcome, Status};
use crate::redact::{redact_exchange, redact_json, redact_text, secrets_in};
use crate::webhook_api::{Creation, ListedWebhook, WebhookApi, create_webhook};

/// A target no vendor should deliver to: the cloud metadata service (WHM-3, OWASP API7).
pub const METADATA_TARGET: &str = "http://169.254.169.254/latest/meta-data";

/// A path segment no other webhook uses, `whm-<what>-<10 hex digits>` (the clock's nanoseconds
/// and a counter): unique within the run, and unlikely to be shared with a webhook an earlier run
/// left behind at the same public URL.
fn unique_tag(what: &str) -> String {
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
async fn send(cx: &Context, probe: Probe, what: &str, secrets: &[&str], rule: &str) -> Result<Answer, Outcome> {
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
/// request's, whose `rule` is empty: see [`control_failed`]) as they are.
fn quoting(outcome: Outcome, rule: &str) -> Outcome {
    if outcome.status == Status::Fail && !rule.is_empty() {
        Outcome { message: format!("{} ({rule})", outcome.message), ..outcome }
    } else {
        outcome
    }
}

/// What WHM-2 asks of create and list, quoted in every failure of them.
const WHM2_CREATE: &str =
    "WHM-2: \"Create returns a new `webhook_id` and a `secret`; list shows the webhook without its secret\"";
/// What WHM-2 asks of a delete.
const WHM2_DELETE: &str = "WHM-2: \"delete removes it and deliveries to it stop\"";
/// What WHM-2 asks of a second delete.
const WHM2_TWICE: &str = "WHM-2: \"Deleting twice gives 404 (or 204), never a 5xx\"";
/// What WHM-3 asks.
const WHM3: &str = "WHM-3: \"`target_url` is validated: ... no link-local/metadata or private addresses ... a target such as `http://169.254.169.254/latest/meta-data` is refused with a 4xx\"";
/// What WHM-4 asks.
const WHM4: &str =
    "WHM-4: \"`POST /api/v1/webhooks/{webhook_id}/ping` sends one signed test delivery (`event_type` `ping`) now\"";

/// What WHM-1 asks: the endpoints, all of them; WHM-2 binds a vendor that offers them.
const WHM1: &str = "WHM-1: \"The three endpoints exist\"";

/// A webhook API found by discovery (its list answers) but not declared, whose create answers
/// 404, 405 or 501, does not offer WHM-1's endpoints: the checks that need a create do not
/// apply (console-made webhooks, a read-only list). A declared one stays held to WHM-2.
fn create_not_offered(cx: &Context, answer: &Answer) -> Option<Outcome> {
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
struct Created {
    webhook_id: String,
    /// Issued by the vendor, or chosen by the harness; only ever handed to the receiver, sent
    /// in a test delivery's request and used to redact.
    secret: Option<Secret>,
    /// The path segment its deliveries arrive under.
    tag: String,
    target: String,
    /// The create answer, secrets redacted.
    answer: Answer,
}

impl Created {
    fn secrets(&self) -> Vec<&str> {
        self.secret.iter().map(|s| s.expose()).collect()
    }

    fn is_mine(&self, delivery: &Delivery) -> bool {
        delivery.path.contains(&self.tag)
    }
}

/// Sends a create through the profile's template; the answer comes back redacted. No answer
/// ends the check, quoting `rule` when the vendor is to blame.
async fn create_raw(cx: &Context, name: &str, target_url: &str, rule: &str) -> Result<Creation, Outcome> {
    create_webhook(cx.api.as_ref(), name, target_url)
        .await
        .map_err(|e| quoting(e.to_outcome("creating a webhook"), rule))
}

/// Creates a webhook delivering to the receiver under a fresh path, and hands its secret to the
/// receiver. A refusal ends the check with `refused` (FAIL for the checks that judge the create,
/// SKIP for those that only need a webhook).
async fn create(
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

async fn delete(cx: &Context, webhook_id: &str, secrets: &[&str], rule: &str) -> Result<Answer, Outcome> {
    send(cx, cx.api.webhook_api().delete_probe(webhook_id), "deleting a webhook", secrets, rule).await
}

async fn list(cx: &Context, secrets: &[&str], rule: &str) -> Result<Answer, Outcome> {
    send(cx, cx.api.webhook_api().list_probe(), "listing webhooks", secrets, rule).await
}

/// Deletes a webhook the check created, adding a note to `outcome` when that failed (the
/// operator should remove it by hand).
async fn clean_up(cx: &Context, created: &Created, outcome: Outcome) -> Outcome {
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
fn listed(cx: &Context, answer: &Answer) -> Option<Vec<ListedWebhook>> {
    cx.api.webhook_api().read_list(answer.json.as_ref())
}

fn is_listed(cx: &Context, answer: &Answer, webhook_id: &str) -> bool {
    listed(cx, answer).is_some_and(|all| all.iter().any(|w| w.id.as_deref() == Some(webhook_id)))
}

fn finding(subject: String, pointer: &str, message: String, record: Option<Value>, exchange: &Exchange) -> Finding {
    Finding { subject, pointer: pointer.to_owned(), message, record, source: Some(exchange.url.clone()) }
}

/// The secrets webhooks of the run were issued or given: the ones this suite's checks created
/// (kept for the run, [`Context::memo`]) and the run's own webhook's.
#[derive(Default)]
struct Issued(std::sync::Mutex<Vec<Secret>>);

async fn remember_secret(cx: &Context, secret: &Secret) {
    let issued = cx.memo::<Issued, _, _>(|| async { Issued::default() }).await;
    issued.0.lock().expect("issued secrets lock").push(secret.clone());
}

/// Every secret of the run a listed value is compared with (non-empty ones only).
async fn known_secrets(cx: &Context, created: &Created) -> Vec<String> {
    let mut known: Vec<String> = created.secret.iter().map(|s| s.expose().to_owned()).collect();
    let issued = cx.memo::<Issued, _, _>(|| async { Issued::default() }).await;
    known.extend(issued.0.lock().expect("issued secrets lock").iter().map(|s| s.expose().to_owned()));
    if let Some(w) = cx.webhook.known().and_then(|w| w.secret.as_ref()) {
        known.push(w.expose().to_owned());
    }
    known.retain(|s| !s.is_empty());
    known
}

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

/// WHM-2: a deleted webhook leaves the list and gets no delivery of an event raised after.
pub async fn delete_stops_deliveries(cx: &Context) -> Outcome {
    let inbox = match act::require_inbox(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let created = match create(cx, inbox, "delete", |m| Outcome::skip(format!("{m} (see webhooks.create-list)"))).await
    {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let outcome = judge_delete(cx, inbox, &created).await;
    clean_up(cx, &created, outcome).await
}

async fn judge_delete(cx: &Context, inbox: &dyn Inbox, created: &Created) -> Outcome {
    let secrets = created.secrets();
    let expected = "delete answers 2xx; the list no longer shows the webhook; no delivery reaches it afterwards";
    let deleted = match delete(cx, &created.webhook_id, &secrets, WHM2_DELETE).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    if !deleted.is_success() {
        return Outcome::fail(format!(
            "deleting webhook {} answered {} ({WHM2_DELETE})",
            created.webhook_id, deleted.status
        ))
        .expected(expected)
        .with_exchange(&deleted.exchange);
    }
    let deleted_at = contract::unix_now_ms();
    let after = match list(cx, &secrets, WHM2_DELETE).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    if is_listed(cx, &after, &created.webhook_id) {
        return Outcome::fail(format!(
            "webhook {} is still listed after its delete answered {} ({WHM2_DELETE})",
            created.webhook_id, deleted.status
        ))
        .expected(expected)
        .with_exchange(&deleted.exchange)
        .with_exchange(&after.exchange);
    }
    let target = match act::claim_fresh_publishing_device(cx).await {
        Ok(t) => t,
        Err(outcome) => return outcome,
    };
    let since = inbox.deliveries().len();
    let (done, status) = match act::flip_status(cx, &target).await {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let device_id = target.device_id.clone();
    let tag = created.tag.clone();
    cx.waiting(&format!("the health event of device {}", target.device_id), cx.budgets.event_wait);
    let reached_run = act::wait_for_first(inbox, since, cx.budgets.event_wait, move |d| {
        !d.path.contains(&tag) && act::is_event(d, "health", &device_id)
    })
    .await;
    // Watch the quiet window after the event reached the run's own webhook: a copy for the
    // deleted one would have been sent at the same time.
    let mine = |all: &[Delivery]| all.iter().skip(since).any(|d| created.is_mine(d));
    cx.waiting("a delivery to the deleted webhook (none should come)", cx.budgets.quiet_window);
    inbox.wait_for(&mine, cx.budgets.quiet_window).await;
    let strays: Vec<Delivery> = act::arrived_since(inbox, since, |d| created.is_mine(d));
    let quiet = cx.budgets.quiet_window.as_secs_f64();
    if let Some(first) = strays.first() {
        let mut evidence = Evidence::default();
        evidence.push_exchange(&deleted.exchange);
        evidence.push_exchange(&after.exchange);
        for d in &strays {
            evidence.push_finding(Finding {
                subject: format!("delivery #{} to {}", d.seq, d.path),
                pointer: String::new(),
                message: format!(
                    "`{}` event {} arrived {} ms after the webhook was deleted",
                    act::body_json(d)
                        .and_then(|b| b.get("event_type")?.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    d.event_id.as_deref().unwrap_or("<no event_id>"),
                    d.received_at_ms - deleted_at
                ),
                record: act::body_json(d),
                source: None,
            });
        }
        return Outcome::fail(format!(
            "the deleted webhook {} received {} deliveries (first: #{} at {}) ({WHM2_DELETE})",
            created.webhook_id,
            strays.len(),
            first.seq,
            first.path
        ))
        .expected(expected)
        .actual(format!("{} deliveries after the delete", strays.len()))
        .with_evidence(evidence)
        .with_note(format!("trigger: {done}"));
    }
    if reached_run.is_none() {
        return Outcome::skip(format!(
            "the `health` event of device {} (set {status}) did not reach the run's webhook within {} s, so silence at the deleted webhook proves nothing (see events.health)",
            target.device_id,
            cx.budgets.event_wait.as_secs()
        ));
    }
    Outcome::pass(format!(
        "deleted webhook {} left the list and got no delivery of device {}'s `health` event within {quiet} s",
        created.webhook_id, target.device_id
    ))
    .expected(expected)
    .with_exchange(&deleted.exchange)
    .with_exchange(&after.exchange)
    .with_note(format!("trigger: {done}"))
}

/// WHM-2: deleting a deleted webhook answers 404 (or 204), never a 5xx.
pub async fn delete_twice(cx: &Context) -> Outcome {
    let inbox = match act::require_inbox(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let created = match create(cx, inbox, "twice", |m| Outcome::skip(format!("{m} (see webhooks.create-list)"))).await {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let secrets = created.secrets();
    let first = match delete(cx, &created.webhook_id, &secrets, WHM2_DELETE).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    if !first.is_success() {
        let outcome = Outcome::skip(format!(
            "the first delete of webhook {} answered {} (see webhooks.delete)",
            created.webhook_id, first.status
        ));
        return clean_up(cx, &created, outcome).await;
    }
    let second = match delete(cx, &created.webhook_id, &secrets, WHM2_TWICE).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    let expected = "the second delete answers 404 (or 204), never a 5xx";
    let outcome = match second.status {
        404 | 204 => {
            Outcome::pass(format!("the second delete of webhook {} answered {}", created.webhook_id, second.status))
        }
        200..=299 | 410 => {
            Outcome::pass(format!("the second delete of webhook {} answered {}", created.webhook_id, second.status))
                .with_note("the contract names 404 (or 204); this answer is as idempotent")
        }
        s => Outcome::fail(format!("the second delete of webhook {} answered {s} ({WHM2_TWICE})", created.webhook_id))
            .actual(s.to_string()),
    };
    outcome.expected(expected).with_exchange(&first.exchange).with_exchange(&second.exchange)
}

/// WHM-3: a link-local (cloud metadata) target is refused with a 4xx.
///
/// Both creates use the profile's create template (the contract's `active` by default: the
/// harness sends only values the contract or the profile defines), and a metadata webhook a
/// vendor accepts is deleted at once. So that a refusal is known to be about the target, the
/// harness's control requests must work: the same create with the receiver's own URL, the list
/// and the delete. When one of those is refused the harness could not test: ERROR, naming it.
pub async fn target_validation(cx: &Context) -> Outcome {
    let inbox = match act::require_inbox(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let shape = cx.api.webhook_api();
    let tag = unique_tag("ssrf");
    let name = format!("conformance-harness {tag}");
    let expected = format!("a create with target {METADATA_TARGET} answers 4xx");
    let Creation { answer, created } = match create_raw(cx, &name, METADATA_TARGET, WHM3).await {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let secrets: Vec<&str> = created.secret.iter().map(|s| s.expose()).collect();
    let refusal = cx.api.body_refusal(&answer);
    if answer.is_success() && refusal.is_none() {
        let mut outcome = Outcome::fail(format!(
            "a webhook delivering to the cloud metadata service was accepted ({}) ({WHM3})",
            answer.status
        ))
        .expected(expected)
        .actual(answer.status.to_string())
        .with_exchange(&answer.exchange);
        if let Some(id) = &created.id {
            match delete(cx, id, &secrets, WHM3).await {
                Ok(gone) if gone.is_success() => {}
                _ => outcome = outcome.with_note(format!("deleting webhook {id} failed: remove it by hand")),
            }
        }
        return outcome;
    }
    if refusal.is_none() && !(400..500).contains(&answer.status) {
        return Outcome::fail(format!(
            "a create with a metadata target answered {}, not a 4xx refusal ({WHM3})",
            answer.status
        ))
        .expected(expected)
        .actual(answer.status.to_string())
        .with_exchange(&answer.exchange);
    }
    let control = match control_requests(cx, &shape, inbox, &name, &tag).await {
        Ok(control) => control,
        Err(outcome) => return outcome.with_exchange(&answer.exchange),
    };
    let Control { accepted, list, deleted } = control;
    // A refusal that still left the webhook behind is no refusal.
    let kept: Vec<ListedWebhook> = listed(cx, &list)
        .unwrap_or_default()
        .into_iter()
        .filter(|w| w.target_url.as_deref() == Some(METADATA_TARGET))
        .collect();
    if let Some(w) = kept.first() {
        let id = w.id.clone().unwrap_or_default();
        let mut outcome = Outcome::fail(format!(
            "the create with a metadata target answered {}, yet the list shows webhook {id} delivering to it ({WHM3})",
            answer.status
        ))
        .expected(expected)
        .with_exchange(&answer.exchange)
        .with_exchange(&list.exchange);
        if !id.is_empty() && !delete(cx, &id, &secrets, WHM3).await.is_ok_and(|a| a.is_success()) {
            outcome = outcome.with_note(format!("deleting webhook {id} failed: remove it by hand"));
        }
        return outcome;
    }
    let how = refusal.unwrap_or_else(|| format!("refused with {}", answer.status));
    let mut outcome =
        Outcome::pass(format!("the metadata target was {how}; the same request with the receiver's URL was accepted"))
            .expected(expected)
            .with_exchange(&answer.exchange)
            .with_exchange(&accepted.exchange)
            .with_exchange(&list.exchange)
            .with_exchange(&deleted.exchange);
    if shape.list.target_url.is_none() {
        outcome = outcome.with_note(
            "the profile maps no `target_url` in the webhook list, so whether a refused webhook was kept anyway was not seen",
        );
    }
    outcome
}

/// The harness's own requests around the metadata create: the same create with the receiver's
/// URL, the list and the delete of that webhook.
struct Control {
    accepted: Answer,
    list: Answer,
    deleted: Answer,
}

/// The ERROR for a control request that got no usable answer, even by the vendor's fault (a
/// redirect, an oversized body): the harness could not test the metadata target.
fn control_failed(outcome: Outcome) -> Outcome {
    if outcome.status != Status::Fail {
        return outcome;
    }
    let message = format!(
        "the harness's control request failed ({}), so a refusal of the metadata target says nothing about the target",
        outcome.message
    );
    Outcome { status: Status::Error, message, ..outcome }
}

/// The ERROR for a control request the vendor refused: the harness could not test. A refusal
/// of the run's fresh, valid token (401/403) is the auth suite's finding (AUTH-1): a SKIP.
fn control_refused(probe: &Probe, answer: &Answer, why: &str) -> Outcome {
    let what = format!("the harness's control request `{} {}`", probe.method, probe.path);
    if let Some(skip) = act::refused_token(answer, &what) {
        return skip;
    }
    Outcome::error(format!(
        "the harness's control request `{} {}` answered {}{why}, so a refusal of the metadata target says nothing about the target",
        probe.method, probe.path, answer.status
    ))
    .with_exchange(&answer.exchange)
}

async fn control_requests(
    cx: &Context,
    shape: &WebhookApi,
    inbox: &dyn Inbox,
    name: &str,
    tag: &str,
) -> Result<Control, Outcome> {
    let target = target_under(&inbox.public_url(), tag);
    act::retire_path(cx, tag);
    // The control requests only make the metadata refusal meaningful: a vendor-blamed failure
    // of one (a redirect, an oversized body) means the harness could not test, as a refusal does.
    let Creation { answer: accepted, created } = create_raw(cx, name, &target, "").await.map_err(control_failed)?;
    if let Some(moot) = create_not_offered(cx, &accepted) {
        return Err(moot);
    }
    // Its deliveries (a vendor that keeps delivering after the delete, WHM-2) are the vendor's,
    // judged by SIG-1 at the end of the run: the receiver verifies them with its secret.
    if let Some(secret) = &created.secret {
        inbox.add_secret(secret.clone());
        remember_secret(cx, secret).await;
    }
    let secrets: Vec<&str> = created.secret.iter().map(|s| s.expose()).collect();
    let (create_probe, _) = shape.create_probe(name, &target);
    if !accepted.is_success() || cx.api.body_error(&accepted).is_some() {
        return Err(control_refused(&create_probe, &accepted, " (the same create with the receiver's own URL)"));
    }
    let Some(id) = created.id else {
        return Err(control_refused(
            &create_probe,
            &accepted,
            &format!(" without an id at `{}`, so it could not be deleted", shape.create.id),
        ));
    };
    let list_probe = shape.list_probe();
    let list = send(cx, list_probe.clone(), "listing webhooks", &secrets, "").await;
    let delete_probe = shape.delete_probe(&id);
    let deleted = send(cx, delete_probe.clone(), "deleting a webhook", &secrets, "").await.map_err(control_failed)?;
    let list = list.map_err(control_failed)?;
    if !list.is_success() || listed(cx, &list).is_none() {
        return Err(control_refused(&list_probe, &list, &format!(" (expected {})", shape.list_shown())));
    }
    if !deleted.is_success() && deleted.status != 404 {
        return Err(control_refused(&delete_probe, &deleted, ""));
    }
    Ok(Control { accepted, list, deleted })
}

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

/// The webhooks suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        create_list,
        "webhooks.create-list",
        "webhooks",
        Must,
        ["WHM-1", "WHM-2"],
        "A created webhook gets an id and a secret, and the list shows it without any secret",
        capability = "webhook-management",
        needs = [Inbox]
    ),
    check!(
        delete_stops_deliveries,
        "webhooks.delete",
        "webhooks",
        Must,
        ["WHM-2"],
        "A deleted webhook leaves the list and receives no further deliveries",
        capability = "webhook-management",
        needs = [Inbox, Trigger]
    ),
    check!(
        delete_twice,
        "webhooks.delete-twice",
        "webhooks",
        Must,
        ["WHM-2"],
        "Deleting a deleted webhook answers 404 (or 204), never a 5xx",
        capability = "webhook-management",
        needs = [Inbox]
    ),
    check!(
        target_validation,
        "webhooks.target-validation",
        "webhooks",
        Should,
        ["WHM-3"],
        "A link-local (cloud metadata) target URL is refused with a 4xx",
        capability = "webhook-management",
        needs = [Inbox]
    ),
    check!(
        ping,
        "webhooks.ping",
        "webhooks",
        Should,
        ["WHM-4"],
        "Ping makes the vendor deliver a `ping` event now",
        capability = "ping",
        needs = [Inbox]
    ),
];

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
