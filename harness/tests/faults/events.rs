//! Events suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    (Fault::NoHealthEvents, &["events.health"]),
    (Fault::EventMissingSiteId, &["events.envelope"]),
    (Fault::EventNonUtcTimestamp, &["events.envelope"]),
    (Fault::NoExtraFamilies, &["events.families"]),
    (Fault::NoEventCatalog, &["events.catalog"]),
    (Fault::EventUnknownDevice, &["events.ids-resolve"]),
    // Another event under an earlier event's id: judged all the same, not hidden by dedupe.
    (Fault::ReusedEventId, &["events.envelope"]),
];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
