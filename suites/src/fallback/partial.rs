//! FB-4, INV-2: a device whose type publishes no events changes status, and inventory shows it.

use super::FB_4;
use super::poll::{poll, poll_until};
use crate::act;
use crate::consumer::Consumer;
use crate::context::Context;
use crate::outcome::Outcome;

/// FB-4, INV-2: a device whose type publishes no events changes status, and inventory shows it.
pub async fn partial_coverage(cx: &Context) -> Outcome {
    let silent = act::silent_types(cx).await;
    if silent.is_empty() {
        return Outcome::skip(
            "the vendor declares every device type publishes events (no `not_emitted_by` in the event catalogue, no `silent_device_types`), so there is no partial coverage to check",
        );
    }
    let types = silent.iter().cloned().collect::<Vec<_>>().join(", ");
    let what = format!("device of a type that publishes no events ({types})");
    let target = match act::claim_actionable(cx, &what, |t| silent.contains(&t.device_type)).await {
        Ok(t) => t,
        Err(outcome) => return outcome,
    };
    let mut consumer = Consumer::new();
    match poll(cx, &target).await {
        Ok(p) => consumer.reconcile(p.asked_at_ms, p.observed()),
        Err(outcome) => return outcome,
    };
    let (done, status) = match act::flip_status(cx, &target).await {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let polled = match poll_until(cx, &mut consumer, &target, &status, cx.budgets.event_wait).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let expected = "inventory shows the latest status of a device whose type publishes no events";
    let exchange = polled.last.found.as_ref().map(|(_, e)| e.clone());
    let mut outcome = if polled.seen {
        let held = consumer.status(&target.device_id).unwrap_or("nothing");
        Outcome::pass(format!(
            "{} {} went {status}; polling showed it after {} polls, and the reference consumer, fed by polling alone, holds {held}",
            target.device_type, target.device_id, polled.polls
        ))
    } else {
        let shown = polled.last.status().unwrap_or("no record of the device").to_owned();
        Outcome::fail(format!(
            "{FB_4}: {} {} was set {status}, but its site's inventory still showed {shown} after {} polls over {} ms",
            target.device_type,
            target.device_id,
            polled.polls,
            polled.elapsed.as_millis()
        ))
        .actual(shown)
    }
    .expected(expected);
    if let Some(exchange) = &exchange {
        outcome = outcome.with_exchange(exchange);
    }
    outcome.with_note(format!("trigger: {done}"))
}
