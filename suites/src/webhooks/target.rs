//! WHM-3: `target_url` is validated: a metadata or private address is refused with a 4xx.

use super::WHM3;
use super::created::{create_not_offered, create_raw, delete, listed, remember_secret, send, target_under, unique_tag};
use crate::act;
use crate::context::{Answer, Context, Inbox, Probe};
use crate::outcome::{Outcome, Status};
use crate::webhook_api::{Creation, ListedWebhook, WebhookApi};

/// A target no vendor should deliver to: the cloud metadata service (WHM-3, OWASP API7).
pub const METADATA_TARGET: &str = "http://169.254.169.254/latest/meta-data";

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
