//! Replay suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    (Fault::UnsignedDeliveries, &["replay.signature"]),
    (Fault::WrongSignature, &["replay.signature"]),
    // The MAC is right, so the signature check passes (with a note) and leaves it to SIG-2.
    (Fault::StaleTimestamp, &["replay.timestamp"]),
    // The declared format signs the missing timestamp: the signature check skips, SIG-2 fails.
    (Fault::MissingTimestamp, &["replay.timestamp"]),
    // A valid `body`-scheme signature (SIG-1 holds) where the declared format binds the timestamp.
    (Fault::UnboundTimestamp, &["replay.timestamp-bound"]),
    (Fault::SharedSecret, &["replay.distinct-secrets"]),
];

/// Why no vendor fault reaches the receiver self-checks (`suites/tests/replay.rs` fails each of
/// them against a receiver with the bug it exists to catch).
const SELF_CHECK: &str = "a self-check of the harness's own receiver (RPL-1): it replays a captured delivery to the \
                          receiver directly, so no vendor behaviour reaches what it judges";

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[
    ("replay.receiver-dedupes", SELF_CHECK),
    ("replay.receiver-window", SELF_CHECK),
    ("replay.receiver-raw-bytes", SELF_CHECK),
];
