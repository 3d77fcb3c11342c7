//! WHM-2: a delete removes the webhook and its deliveries stop; a second delete is a 404 (or 204).

use super::created::{Created, clean_up, create, delete, is_listed, list};
use super::{WHM2_DELETE, WHM2_TWICE};
use crate::act;
use crate::context::{Context, Delivery, Inbox};
use crate::outcome::{Evidence, Finding, Outcome};

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
