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
    // A ping is a delivery like any other (WHM-4): signed (SIG-1).
    (Fault::UnsignedPing, &["replay.signature"]),
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

/// Skip reasons that say no delivery verified: a contradiction when `replay.signature` passed.
const NOTHING_VERIFIED: &[&str] = &[
    "none of the deliveries verified",
    "none verified",
    "no verified",
    "no delivery verified",
    "no delivery's signature verified",
    "none has a signature that verifies",
];

/// No contradictions (issue 13): when `replay.signature` passes, no check skips because none of
/// the deliveries verified. A body-only signature under a timestamp-binding format meets SIG-1
/// (SIG-3 is the advisory), and a stale timestamp is SIG-2's finding alone: the deliveries are
/// the vendor's all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_check_skips_for_want_of_a_verified_delivery_when_signatures_verify() {
    let mut wrong = Vec::new();
    for fault in [Fault::UnboundTimestamp, Fault::StaleTimestamp] {
        let (summary, _out) = crate::common::demo_run(vec![fault]).await;
        let report = std::fs::read_to_string(summary.report_dir.join("report.json")).expect("report.json written");
        let report: serde_json::Value = serde_json::from_str(&report).expect("report.json is JSON");
        let checks: Vec<&serde_json::Value> = report["suites"]
            .as_array()
            .expect("suites")
            .iter()
            .flat_map(|s| s["checks"].as_array().expect("checks"))
            .collect();
        let status = |id: &str| checks.iter().find(|c| c["id"] == id).map(|c| c["status"].as_str().unwrap_or_default());
        assert_eq!(status("replay.signature"), Some("PASS"), "{fault}");
        for check in checks.iter().filter(|c| c["status"] == "SKIP") {
            let message = check["message"].as_str().unwrap_or_default().to_lowercase();
            if NOTHING_VERIFIED.iter().any(|p| message.contains(p)) {
                wrong.push(format!("{fault}: {} skipped: {message}", check["id"]));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
