//! Webhooks suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    (Fault::SecretInList, &["webhooks.create-list"]),
    (Fault::DeliverAfterDelete, &["webhooks.delete"]),
    (Fault::DeleteTwiceServerError, &["webhooks.delete-twice"]),
    (Fault::AcceptMetadataTarget, &["webhooks.target-validation"]),
    (Fault::NoPing, &["webhooks.ping"]),
];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
