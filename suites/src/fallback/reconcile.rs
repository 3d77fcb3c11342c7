//! FB-3, INV-2: a status change during a receiver outage is visible by polling inventory, and the
//! reference consumer converges on it.

use std::time::Instant;

use serde_json::Value;

use super::poll::{accepted, is_change, poll, poll_until, receiver_and_device, recover};
use super::{FB_2, FB_3};
use crate::act;
use crate::consumer::Consumer;
use crate::context::{Context, ReceiverAnswer};
use crate::outcome::{Evidence, Finding, Outcome};

/// FB-3, INV-2: a status change during a receiver outage is visible by polling inventory, and
/// the reference consumer converges on it.
pub async fn reconcile(cx: &Context) -> Outcome {
    let (inbox, target) = match receiver_and_device(cx).await {
        Ok(got) => got,
        Err(outcome) => return outcome,
    };
    let mut consumer = Consumer::new();
    match poll(cx, &target).await {
        Ok(p) => consumer.reconcile(p.asked_at_ms, p.observed()),
        Err(outcome) => return outcome,
    };
    let since = inbox.deliveries().len();
    inbox.answer_for(ReceiverAnswer::Refuse, cx.budgets.outage);
    let outage = Instant::now();
    let (done, status) = match act::flip_status(cx, &target).await {
        Ok(d) => d,
        Err(outcome) => {
            recover(inbox);
            return outcome;
        }
    };
    let polled = poll_until(cx, &mut consumer, &target, &status, cx.budgets.event_wait).await;
    let down_while_polling = outage.elapsed() < cx.budgets.outage;
    recover(inbox);
    let polled = match polled {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let expected = "polling the device's site shows the status it took while the receiver was down";
    if !polled.seen {
        let shown = polled.last.status().unwrap_or("no record of the device").to_owned();
        let mut outcome = Outcome::fail(format!(
            "{FB_3}: device {} was set {status} while the receiver was down, but its site's inventory still showed {shown} after {} polls over {} ms",
            target.device_id,
            polled.polls,
            polled.elapsed.as_millis()
        ))
        .expected(expected)
        .actual(shown);
        if let Some((record, exchange)) = &polled.last.found {
            let mut evidence = Evidence::default();
            evidence.push_exchange(exchange);
            evidence.push_finding(Finding {
                subject: format!("device {} (site {})", target.device_id, target.site_id),
                pointer: "/status".into(),
                message: format!(
                    "set {status}, listed {}",
                    record.get("status").and_then(Value::as_str).unwrap_or("without a status")
                ),
                record: Some(record.clone()),
                source: Some(exchange.url.clone()),
            });
            outcome = outcome.with_evidence(evidence);
        }
        return outcome.with_note(format!("trigger: {done}"));
    }
    // After recovery the vendor should deliver what the outage swallowed (DLV-5): the consumer
    // takes it too, and must not be thrown off by it.
    let horizon = cx.budgets.event_wait.min(cx.budgets.retry_horizon);
    cx.waiting(&format!("the change of device {} the outage swallowed (a retry)", target.device_id), horizon);
    let missed = act::wait_for_first(inbox, since, horizon, |d| accepted(d) && is_change(d, &target, &status)).await;
    for delivery in act::arrived_since(inbox, since, |d| accepted(d) && act::is_event(d, "health", &target.device_id)) {
        consumer.deliver(&delivery);
    }
    let held = consumer.status(&target.device_id).unwrap_or("nothing").to_owned();
    let mut outcome = if held == status {
        Outcome::pass(format!(
            "device {} went {status} while the receiver refused connections; polling its site showed it after {} polls, and the reference consumer holds {status}",
            target.device_id, polled.polls
        ))
    } else {
        Outcome::fail(format!(
            "{FB_2}: polling showed device {} {status}, but after the late event the reference consumer holds {held}: the event contradicts the inventory",
            target.device_id
        ))
        .actual(held)
    };
    outcome = outcome.expected(expected);
    if let Some((_, exchange)) = &polled.last.found {
        outcome = outcome.with_exchange(exchange);
    }
    if !down_while_polling {
        outcome = outcome.with_note(format!(
            "the outage window ({} s) ended before polling showed the change",
            cx.budgets.outage.as_secs_f64()
        ));
    }
    outcome = outcome.with_note(match missed {
        Some(_) => "the missed `health` event arrived after recovery".to_owned(),
        None => format!(
            "the missed `health` event did not arrive within {} s of recovery (DLV-5 is judged by the delivery suite)",
            horizon.as_secs()
        ),
    });
    outcome.with_note(format!("trigger: {done}"))
}
