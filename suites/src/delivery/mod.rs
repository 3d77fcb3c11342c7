//! The delivery suite (EVT-3, DLV-1 … DLV-6): at-least-once delivery with idempotent event ids.
//!
//! Each check makes the vendor produce an event, switches what the harness's receiver answers
//! around it (500, a request held past the vendor's timeout, a 3xx, a 429 with `Retry-After`,
//! refused connections, 410 at a throw-away webhook) and watches every attempt of that event.
//! Attempts are recognised by the envelope (event type and device), never by `event_id`, so a
//! vendor that changes the id on a retry is still seen retrying.
//!
//! The retry observation (one event failed with 500s, one left unanswered) takes seconds and
//! answers four requirements, so it is made once per run ([`Context::memo`](crate::Context::memo)) and judged by
//! EVT-3, DLV-1, DLV-2 and DLV-3; the 3xx and 429 checks read it too, to know how the vendor
//! treats a plain 5xx. While it waits out the vendor's timeout the receiver answers 200 again,
//! and that otherwise idle second hosts an event accepted at once (DLV-3's quiet window) and the
//! 410 observation, whose throw-away webhook's path answers 410 whatever the window.
//!
//! Cut by job: `retries` (the retry observation, made once), `retried` (EVT-3, DLV-1 … DLV-3, judged
//! from it), `answers` (DLV-4: 3xx, 429, 410), `outage` (DLV-5), `distinct` (DLV-6); this file holds
//! `CHECKS`.

mod answers;
mod distinct;
mod outage;
mod retried;
mod retries;
#[cfg(test)]
mod tests;

pub use answers::{gone_disables, redirect_not_followed, retry_after};
pub use distinct::distinct_event_ids;
pub use outage::outage_recovery;
pub use retried::{event_id, retry_on_failure, retry_same_event, stop_after_2xx};

use crate::Check;

/// The delivery suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        event_id,
        "delivery.event-id",
        "delivery",
        Should,
        ["EVT-3"],
        "Every event carries an `event_id`",
        needs = [Inbox, Trigger]
    ),
    check!(
        retry_on_failure,
        "delivery.retry-on-failure",
        "delivery",
        Must,
        ["DLV-1"],
        "An attempt answered 500, or left unanswered past the vendor's timeout, is retried",
        needs = [Inbox, Trigger]
    ),
    check!(
        retry_same_event,
        "delivery.retry-same-event",
        "delivery",
        Must,
        ["DLV-2"],
        "A retry carries the same `event_id` and bytes, with a fresh timestamp and a valid signature",
        needs = [Inbox, Trigger]
    ),
    check!(
        stop_after_2xx,
        "delivery.stop-after-2xx",
        "delivery",
        Should,
        ["DLV-3"],
        "No attempt follows one answered 2xx",
        needs = [Inbox, Trigger]
    ),
    check!(
        redirect_not_followed,
        "delivery.redirect-not-followed",
        "delivery",
        Should,
        ["DLV-4"],
        "A 3xx is not followed and is retried like a 5xx",
        needs = [Inbox, Trigger]
    ),
    check!(
        retry_after,
        "delivery.retry-after",
        "delivery",
        Should,
        ["DLV-4"],
        "After a 429 with `Retry-After`, the next attempt waits at least that long",
        needs = [Inbox, Trigger]
    ),
    check!(
        gone_disables,
        "delivery.gone-disables",
        "delivery",
        Should,
        ["DLV-4"],
        "A 410 disables the webhook: no retry, no later event",
        capability = "webhook-management",
        needs = [Inbox, Trigger]
    ),
    check!(
        outage_recovery,
        "delivery.outage-recovery",
        "delivery",
        Should,
        ["DLV-5", "DLV-1"],
        "An event from a receiver outage (connections refused) arrives after it, within the declared retry horizon",
        needs = [Inbox, Trigger]
    ),
    check!(
        distinct_event_ids,
        "delivery.distinct-event-ids",
        "delivery",
        Should,
        ["DLV-6", "EVT-3"],
        "Distinct events carry distinct `event_id`s",
        needs = [Inbox, Trigger]
    ),
];
