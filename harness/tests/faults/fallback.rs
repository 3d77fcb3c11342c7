//! Fallback suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    (Fault::SyncNeedsWebhook, &["fallback.bootstrap"]),
    // A retry stamped with its own send time is not the same body (DLV-2).
    (Fault::EventTimestampIsSendTime, &["fallback.late-events", "delivery.retry-same-event"]),
    (Fault::PartialCoverageStale, &["fallback.partial-coverage"]),
    (Fault::StaleInventory, &["fallback.reconcile", "fallback.partial-coverage"]),
];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
