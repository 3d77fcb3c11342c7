//! DLV-5: deliveries held back during an outage of the receiver arrive once it is back.

use std::time::Duration;

use super::retries::retries;
use crate::act;
use crate::attempts::{self, Answering, delivery_exchange, ms, secs};
use crate::context::{Context, Delivery, ReceiverAnswer};
use crate::outcome::Outcome;

/// DLV-5 (and DLV-1 for refused connections): an event produced while the receiver refuses
/// connections arrives after the outage ends, within the vendor's declared retry horizon.
pub async fn outage_recovery(cx: &Context) -> Outcome {
    let retries = retries(cx).await;
    if retries.observed().next().is_none() {
        return retries.nothing_observed();
    }
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return outcome,
    };
    // A change delivered just before the outage shows that changing this device back makes an
    // event, so an event missing after the outage is the vendor's loss, not a change that never was.
    let before = match attempts::produce(cx).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    cx.waiting(&format!("the first attempt of {}", before.of.describe()), cx.budgets.event_wait);
    if before.first(inbox, cx.budgets.event_wait).await.is_none() {
        return before.never_arrived(cx.budgets.event_wait);
    }
    let (outage, horizon) = (cx.budgets.outage, cx.budgets.retry_horizon);
    let began = contract::unix_now_ms();
    let ended = began + outage.as_millis() as i64;
    let answering = Answering::start(inbox, ReceiverAnswer::Refuse, outage);
    let produced = match attempts::produce_with(cx, before.device.as_ref(), None).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let (of, since) = (&produced.of, produced.since);
    let after_outage = move |d: &Delivery| d.received_at_ms >= ended;
    let recovered = move |all: &[Delivery]| all.iter().skip(since).any(|d| of.matches(d) && after_outage(d));
    let left = began + horizon.as_millis() as i64 - contract::unix_now_ms();
    cx.waiting(
        &format!("{} after the receiver's outage (a retry)", produced.of.describe()),
        Duration::from_millis(left.max(0) as u64),
    );
    inbox.wait_for(&recovered, Duration::from_millis(left.max(0) as u64)).await;
    drop(answering);
    let attempts = produced.attempts(inbox);
    let event = produced.of.describe();
    let expected = format!(
        "an event produced during a {} outage (connections refused) arrives after it, within the declared retry horizon ({})",
        secs(outage),
        secs(horizon)
    );
    match attempts.iter().find(|d| after_outage(d)) {
        Some(d) => Outcome::pass(format!(
            "{event}, produced while the receiver refused connections, arrived {} after the outage began ({} after it \
             ended; declared retry horizon {})",
            ms(d.received_at_ms - began),
            ms(d.received_at_ms - ended),
            secs(horizon)
        ))
        .expected(expected),
        None => {
            let mut outcome = Outcome::fail(format!(
                "DLV-5: after a receiver outage ends, events from the outage are delivered; {event}, produced while the \
                 receiver refused connections for {}, was not delivered within the declared retry horizon ({})",
                secs(outage),
                secs(horizon)
            ))
            .expected(expected)
            .actual("not delivered")
            .with_note(format!("the event: {}", produced.done));
            for d in &attempts {
                outcome.evidence.push_exchange(&delivery_exchange(cx, d));
            }
            outcome
        }
    }
}
