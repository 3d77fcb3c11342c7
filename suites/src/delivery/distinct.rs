//! DLV-6 (and EVT-3): two distinct events of one device carry distinct `event_id`s.

use serde_json::Value;

use crate::act::{self, body_json};
use crate::attempts::{self, delivery_exchange};
use crate::context::{Context, Delivery};
use crate::outcome::Outcome;

/// The part of a delivery that tells two events of one device apart (`data`), or for a ping
/// its whole body.
pub(crate) fn distinguishing(delivery: &Delivery) -> Value {
    match body_json(delivery) {
        Some(body) if body.get("event_type").and_then(Value::as_str) != Some("ping") => {
            body.get("data").cloned().unwrap_or(Value::Null)
        }
        _ => Value::String(delivery.body.clone()),
    }
}

/// DLV-6 (and EVT-3): two distinct events of one device carry distinct `event_id`s.
pub async fn distinct_event_ids(cx: &Context) -> Outcome {
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return outcome,
    };
    let first_event = match attempts::produce(cx).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    cx.waiting(&format!("the first attempt of {}", first_event.of.describe()), cx.budgets.event_wait);
    let Some(one) = first_event.first(inbox, cx.budgets.event_wait).await else {
        return first_event.never_arrived(cx.budgets.event_wait);
    };
    // The same device back again: a vendor deriving ids from the device shows here.
    let second_event = match attempts::produce_with(cx, first_event.device.as_ref(), None).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let seen = distinguishing(&one);
    let (of, since) = (&second_event.of, second_event.since);
    let other = |d: &Delivery| of.matches(d) && distinguishing(d) != seen;
    cx.waiting(&format!("{} (the same device again)", second_event.of.describe()), cx.budgets.event_wait);
    inbox.wait_for(&|all: &[Delivery]| all.iter().skip(since).any(other), cx.budgets.event_wait).await;
    let Some(two) = second_event.attempts(inbox).into_iter().find(|d| distinguishing(d) != seen) else {
        return second_event.never_arrived(cx.budgets.event_wait);
    };
    let events = match &first_event.of {
        attempts::EventOf::Health { device_id, .. } => {
            format!("device {device_id} changed status twice: its two events")
        }
        attempts::EventOf::Ping { .. } => "two pings".to_owned(),
    };
    let expected = "distinct events carry distinct `event_id`s";
    match (&one.event_id, &two.event_id) {
        (Some(a), Some(b)) if a != b => {
            Outcome::pass(format!("{events} carried distinct `event_id`s {a} and {b}")).expected(expected)
        }
        (Some(a), Some(_)) => Outcome::fail(format!(
            "DLV-6: distinct events have distinct `event_id`s; {events} both carry `event_id` {a}"
        ))
        .expected(expected)
        .actual(format!("`event_id` {a} twice"))
        .with_exchange(&delivery_exchange(cx, &one))
        .with_exchange(&delivery_exchange(cx, &two)),
        _ => Outcome::skip("the events carry no `event_id` to compare (see delivery.event-id)"),
    }
}
