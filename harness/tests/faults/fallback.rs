//! Fallback suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    (Fault::SyncNeedsWebhook, &["fallback.bootstrap"]),
    (Fault::EventTimestampIsSendTime, &["fallback.late-events"]),
    (Fault::PartialCoverageStale, &["fallback.partial-coverage"]),
    (Fault::StaleInventory, &["fallback.reconcile", "fallback.partial-coverage"]),
];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
