//! Delivery suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    // Nothing is retried: neither a 500 nor an unanswered attempt, nor an event from an outage.
    (Fault::NoRetries, &["delivery.retry-on-failure", "delivery.outage-recovery"]),
    // The consumer cannot dedupe or order what the vendor renames (FB-2).
    (Fault::RetryNewEventId, &["delivery.retry-same-event", "fallback.late-events"]),
    (Fault::RetryChangedBody, &["delivery.retry-same-event"]),
    (Fault::RetryStaleSignature, &["delivery.retry-same-event"]),
    (Fault::DeliverAfterSuccess, &["delivery.stop-after-2xx"]),
    (Fault::FollowRedirects, &["delivery.redirect-not-followed"]),
    (Fault::IgnoreRetryAfter, &["delivery.retry-after"]),
    (Fault::Ignore410, &["delivery.gone-disables"]),
    // One retry is enough for a 500 or a timeout, not for a 1.5 s outage.
    (Fault::ShortRetryHorizon, &["delivery.outage-recovery"]),
    // EVT-3 (SHOULD), never an EVT-2 envelope failure; without it the consumer cannot dedupe (FB-2).
    (Fault::MissingEventId, &["delivery.event-id", "fallback.late-events"]),
    (Fault::DuplicateEventIds, &["delivery.distinct-event-ids", "fallback.late-events"]),
];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
