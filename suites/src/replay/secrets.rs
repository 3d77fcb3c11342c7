//! SIG-4: each webhook has a secret of its own.

use contract::SignatureFormat;

use super::format_of;
use super::signed::authentic;
use crate::act;
use crate::attempts::{self, TempWebhook, delivery_exchange, secs};
use crate::context::{Context, Delivery, Inbox};
use crate::outcome::Outcome;

/// SIG-4: a newly created webhook gets a secret of its own, not the run's webhook's.
pub async fn distinct_secrets(cx: &Context) -> Outcome {
    let (inbox, format) = match (act::require_inbox(cx), format_of(cx)) {
        (Ok(inbox), Ok(format)) => (inbox, format),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let target = format!("{}/second-webhook", inbox.public_url().trim_end_matches('/'));
    let hook = match TempWebhook::create(cx, "second webhook (SIG-4)", target).await {
        Ok(hook) => hook,
        Err(outcome) => return outcome,
    };
    // Its deliveries then verify, are answered 200 and are not retried into later checks.
    inbox.add_secret(hook.secret().clone());
    let created = hook.exchange.clone();
    let outcome = compare_secrets(cx, inbox, format, &hook).await;
    let deleted = hook.delete(cx).await;
    let mut outcome = outcome.with_note(deleted);
    if outcome.status == crate::Status::Fail {
        outcome.evidence.push_exchange(&created);
    }
    outcome
}

async fn compare_secrets(cx: &Context, inbox: &dyn Inbox, format: &SignatureFormat, hook: &TempWebhook) -> Outcome {
    let produced = match attempts::produce(cx).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    // A health event reaches both webhooks; a ping only the run's. The two copies are told apart by
    // the receiver path they arrive on, not by counting: a vendor that sends a copy twice must not
    // pass for one that sent both.
    let needs_new_copy = !matches!(produced.of, attempts::EventOf::Ping { .. });
    let on_new =
        |d: &Delivery| d.path.split('?').next().unwrap_or_default().trim_end_matches('/').ends_with("/second-webhook");
    let signed = |d: &Delivery| authentic(inbox, format, d, None);
    let other_secret = |d: &Delivery| signed(d) && !authentic(inbox, format, d, Some(hook.secret()));
    let (of, since) = (&produced.of, produced.since);
    let settled = |all: &[Delivery]| {
        let mine: Vec<&Delivery> = all.iter().skip(since).filter(|d| of.matches(d)).collect();
        let runs = mine.iter().any(|d| signed(d) && !on_new(d));
        let new = mine.iter().any(|d| signed(d) && on_new(d));
        mine.iter().any(|d| other_secret(d)) || (runs && (new || !needs_new_copy))
    };
    cx.waiting(&format!("{} on both webhooks", produced.of.describe()), cx.budgets.event_wait);
    inbox.wait_for(&settled, cx.budgets.event_wait).await;
    let attempts = produced.attempts(inbox);
    if attempts.is_empty() {
        return produced.never_arrived(cx.budgets.event_wait);
    }
    let expected = "a delivery to the run's webhook does not verify with another webhook's secret";
    if let Some(d) = attempts.iter().find(|d| other_secret(d)) {
        return Outcome::pass(format!(
            "delivery #{} of {} verified with the run's webhook's secret and not with the new webhook's: the secrets differ",
            d.seq,
            produced.of.describe()
        ))
        .expected(expected);
    }
    let valid: Vec<&Delivery> = attempts.iter().filter(|d| signed(d)).collect();
    if valid.is_empty() {
        return Outcome::skip(
            "no delivery's signature verified with any secret the receiver holds, so whose secret signed them is \
             unknown (see replay.signature)",
        );
    }
    if !valid.iter().any(|d| !on_new(d)) {
        return Outcome::skip(format!(
            "only the new webhook's copy of {} arrived within {}; the run's copy is needed to compare secrets",
            produced.of.describe(),
            secs(cx.budgets.event_wait)
        ));
    }
    let mut outcome = Outcome::fail(format!(
        "SIG-4: each webhook has its own secret; the run's webhook and a newly created one share one: all {} \
         deliveries of {} verify with the new webhook's secret",
        valid.len(),
        produced.of.describe()
    ))
    .expected(expected)
    .actual("every delivery verifies with the new webhook's secret");
    for d in valid {
        outcome.evidence.push_exchange(&delivery_exchange(cx, d));
    }
    outcome
}
