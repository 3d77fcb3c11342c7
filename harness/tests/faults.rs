//! The proof that the checks are real: one table per suite of (mock fault → checks it must make
//! fail), in `faults/<suite>.rs`.
//!
//! A clean mock passes every check; each fault makes exactly its listed checks fail and no other;
//! every check in the catalogue is made to fail by at least one fault, or is listed as unfailable
//! with a reason (the harness's own receiver self-checks: no vendor fault can break them).
//! One test per table, so a suite's faults can be run alone (`cargo test -p harness --test faults pagination`).

use std::collections::BTreeSet;

use futures::StreamExt as _;

#[path = "faults/auth.rs"]
mod auth;
mod common;
#[path = "faults/delivery.rs"]
mod delivery;
#[path = "faults/events.rs"]
mod events;
#[path = "faults/fallback.rs"]
mod fallback;
#[path = "faults/pagination.rs"]
mod pagination;
#[path = "faults/replay.rs"]
mod replay;
#[path = "faults/schema.rs"]
mod schema;
#[path = "faults/webhooks.rs"]
mod webhooks;

use harness::runner::RunSummary;
use mock_vendor::Fault;
use suites::Status;

type Table = &'static [(Fault, &'static [&'static str])];
/// Check id and why no fault can make it fail.
type Unfailable = &'static [(&'static str, &'static str)];

/// Every suite's table and unfailable list.
const TABLES: &[(&str, Table, Unfailable)] = &[
    ("schema", schema::TABLE, schema::UNFAILABLE),
    ("pagination", pagination::TABLE, pagination::UNFAILABLE),
    ("auth", auth::TABLE, auth::UNFAILABLE),
    ("webhooks", webhooks::TABLE, webhooks::UNFAILABLE),
    ("replay", replay::TABLE, replay::UNFAILABLE),
    ("delivery", delivery::TABLE, delivery::UNFAILABLE),
    ("events", events::TABLE, events::UNFAILABLE),
    ("fallback", fallback::TABLE, fallback::UNFAILABLE),
];

/// Demo runs in flight at once: they mostly wait on timers, so more than the cores.
const CONCURRENT_RUNS: usize = 4;
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

/// Runs each fault of `table` (several at a time) and lists every mismatch.
async fn check_table(table: Table) {
    let results: Vec<(Fault, &[&str], RunSummary)> = futures::stream::iter(table.iter())
        .map(|(fault, expected)| async move {
            let (summary, _out) = common::demo_run(vec![*fault]).await;
            (*fault, *expected, summary)
        })
        .buffer_unordered(CONCURRENT_RUNS)
        .collect()
        .await;
    let mut wrong = Vec::new();
    for (fault, expected, summary) in results {
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

macro_rules! table_test {
    ($($name:ident),*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            check_table($name::TABLE).await;
        }
    )*};
}

table_test!(schema, pagination, auth, webhooks, replay, delivery, events, fallback);

#[test]
fn every_check_is_made_to_fail_by_some_fault() {
    let covered: BTreeSet<&str> =
        TABLES.iter().flat_map(|(_, table, _)| table.iter().flat_map(|(_, checks)| checks.iter().copied())).collect();
    let unfailable: BTreeSet<&str> = TABLES.iter().flat_map(|(_, _, u)| u.iter().map(|(id, _)| *id)).collect();
    let uncovered: Vec<&str> = suites::catalogue()
        .iter()
        .map(|c| c.id)
        .filter(|id| !covered.contains(id) && !unfailable.contains(id))
        .collect();
    assert!(uncovered.is_empty(), "checks no fault makes fail: {uncovered:?}");
    for (suite, table, unfailable) in TABLES {
        for id in table.iter().flat_map(|(_, checks)| checks.iter()).chain(unfailable.iter().map(|(id, _)| id)) {
            assert!(suites::catalogue().iter().any(|c| c.id == *id), "the {suite} table names an unknown check {id}");
        }
        for (id, reason) in *unfailable {
            assert!(!covered.contains(id), "{id} is listed as unfailable but a fault fails it");
            assert!(reason.len() > 20, "{id}: say why no fault can fail it");
        }
    }
    let mut faults = BTreeSet::new();
    for (_, table, _) in TABLES {
        for (fault, _) in *table {
            assert!(faults.insert(*fault), "{fault} is in two tables");
        }
    }
}
