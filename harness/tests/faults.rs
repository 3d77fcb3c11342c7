//! The proof that the checks are real: one table of (mock fault → checks it must make fail).
//!
//! A clean mock passes every check; each fault makes exactly its listed checks fail and no other;
//! every check in the catalogue is made to fail by at least one fault.

use std::collections::BTreeSet;

mod common;

use harness::runner::RunSummary;
use mock_vendor::Fault;
use suites::Status;

/// Each fault and the checks it must make fail: these and no others.
const TABLE: &[(Fault, &[&str])] = &[
    (Fault::AccountMissingName, &["schema.account"]),
    (Fault::WrongContentType, &["schema.json-content-type"]),
    (Fault::SiteMissingDescriptor, &["schema.sites", "schema.site-location"]),
    (Fault::SiteNoTimezone, &["schema.site-location"]),
    (Fault::DeviceMissingType, &["schema.device-fields"]),
    (Fault::DuplicateDeviceId, &["schema.device-fields"]),
    (Fault::BadStatusValue, &["schema.device-status"]),
    (Fault::BadMacFormat, &["schema.mac-address"]),
    (Fault::BadLastSeen, &["schema.optional-fields"]),
    (Fault::DanglingParent, &["schema.parent-ids"]),
    (Fault::DeviceWrongSite, &["schema.device-site"]),
    (Fault::UnstableIds, &["schema.stable-ids", "schema.parent-ids"]),
    (Fault::NonUuidIds, &["schema.uuid-ids", "schema.parent-ids"]),
];

fn failing(summary: &RunSummary) -> BTreeSet<String> {
    summary.with_status(Status::Fail).into_iter().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_mock_passes_every_check() {
    let (summary, _out) = common::demo_run(Vec::new()).await;
    let not_passing: Vec<_> = summary.outcomes.iter().filter(|o| o.status != Status::Pass).collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    assert_eq!(summary.outcomes.len(), suites::catalogue().len(), "every check ran");
    assert_eq!(summary.exit_code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_fails_exactly_its_checks() {
    let mut wrong = Vec::new();
    for (fault, expected) in TABLE {
        let (summary, _out) = common::demo_run(vec![*fault]).await;
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        let got = failing(&summary);
        if got != expected {
            wrong.push(format!("{fault}: expected {expected:?}, failed {got:?}"));
        }
        let errored = summary.with_status(Status::Error);
        if !errored.is_empty() {
            wrong.push(format!("{fault}: the harness errored on {errored:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_check_is_made_to_fail_by_some_fault() {
    let covered: BTreeSet<&str> = TABLE.iter().flat_map(|(_, checks)| checks.iter().copied()).collect();
    let uncovered: Vec<&str> = suites::catalogue().iter().map(|c| c.id).filter(|id| !covered.contains(id)).collect();
    assert!(uncovered.is_empty(), "checks no fault makes fail: {uncovered:?}");
    for (_, checks) in TABLE {
        for id in *checks {
            assert!(suites::catalogue().iter().any(|c| c.id == *id), "the table names an unknown check {id}");
        }
    }
}
