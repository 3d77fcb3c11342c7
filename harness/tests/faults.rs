//! The proof that the checks are real: one table per suite of (mock fault → checks it must make
//! fail), in `faults/<suite>.rs`.
//!
//! A clean mock passes every check; each fault makes exactly its listed checks fail and no other;
//! every check in the catalogue is made to fail by at least one fault, or is listed as unfailable
//! with a reason (the harness's own receiver self-checks: no vendor fault can break them).
//! One test per table and shape, so a suite's faults can be run alone (`cargo test -p harness --test
//! faults pagination`): the mock serves the canonical shape and each other shape it knows
//! (`mock-vendor serve --shape`), read through the built-in profile of that name. A fault is
//! caught in every shape, by the checks its table lists unless [`SHAPED`] says otherwise for
//! that shape, and is left out only where `mock_vendor::shape::applies` (or [`NOT_SEEN`]) says
//! the shape's wire format cannot show it.

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
use mock_vendor::shape::Shape;
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

/// Where a shape shows a fault through other checks than the table's.
const SHAPED: &[(Shape, Fault, &[&str])] = &[
    // A huge page size is a valid size the cursor and link shapes clamp silently; only malformed
    // sizes and tokens meet the 500.
    (Shape::Cursor, Fault::BadPageServerError, &["pagination.bad-parameters"]),
    // `totalSize` one more than the items: a count the walk cannot reach (PAGE-1); there is no
    // page count to be wrong.
    (Shape::Cursor, Fault::WrongTotals, &["pagination.complete-walk"]),
    // Chained pagination may serve short pages anywhere: only the missing items show.
    (Shape::Cursor, Fault::PageSkipItem, &["pagination.complete-walk", "pagination.page-sizes"]),
    (Shape::Link, Fault::BadPageServerError, &["pagination.bad-parameters"]),
    // No totals: only the walks at other page sizes, which list other items, show the gaps.
    (Shape::Link, Fault::PageSkipItem, &["pagination.page-sizes"]),
    // The timestamp lives inside the signature value: without it (or without the header) the
    // value does not parse, so neither the signature nor the timestamp can be read.
    (Shape::Cursor, Fault::MissingTimestamp, &["replay.signature", "replay.timestamp"]),
    (Shape::Cursor, Fault::UnsignedDeliveries, &["replay.signature", "replay.timestamp"]),
    (Shape::Cursor, Fault::UnsignedPing, &["replay.signature", "replay.timestamp"]),
    // The two records sharing an id are of different types here (a camera on the cameras
    // endpoint, the other on the devices endpoint): the event suite's device of that type and
    // the parent references resolve to the wrong record too.
    (Shape::Cursor, Fault::DuplicateDeviceId, &["schema.device-fields", "schema.parent-ids", "events.health"]),
];

/// Faults the mock can show in a shape but the harness cannot see through its profile, each
/// with the reason.
const NOT_SEEN: &[(Shape, Fault, &str)] = &[(
    Shape::Link,
    Fault::NoPerPageMax,
    "link pages report no page size, and the demo fleet's collections all fit within 500 items: an unclamped \
     huge page looks like a clamped one (the mock's `rel=first` echoes the size, which no profile field reads)",
)];

/// Whether `fault` is in the matrix for `shape`, and the checks it must make fail there.
fn expected_in(shape: Shape, fault: Fault, table: &'static [&'static str]) -> Option<&'static [&'static str]> {
    if !mock_vendor::shape::applies(fault, shape) || NOT_SEEN.iter().any(|(s, f, _)| (*s, *f) == (shape, fault)) {
        return None;
    }
    Some(SHAPED.iter().find(|(s, f, _)| (*s, *f) == (shape, fault)).map_or(table, |(_, _, checks)| *checks))
}
fn failing(summary: &RunSummary) -> BTreeSet<String> {
    summary.with_status(Status::Fail).into_iter().map(str::to_owned).collect()
}

/// A clean mock in `shape` passes every check that applies to its profile; the others SKIP as
/// not applicable, and the verdict is CONFORMANT.
async fn clean(shape: Shape) {
    let (summary, _out) = common::demo_run_shaped(shape, Vec::new()).await;
    let not_passing: Vec<_> = summary
        .outcomes
        .iter()
        // A SKIP of a check the profile makes moot is not "not passing".
        .filter(|o| o.status != Status::Pass && (o.status != Status::Skip || o.applicable))
        .collect();
    assert!(not_passing.is_empty(), "{shape}: {not_passing:#?}");
    assert_eq!(summary.outcomes.len(), suites::catalogue().len(), "every check ran");
    assert_eq!(summary.exit_code, 0, "{shape}: {}", summary.verdict);
}

/// Runs each fault of `table` that applies to `shape` (several at a time) and lists every mismatch.
async fn check_table(shape: Shape, table: Table) {
    let runs = table.iter().filter_map(|(fault, listed)| expected_in(shape, *fault, listed).map(|e| (*fault, e)));
    let results: Vec<(Fault, &[&str], RunSummary)> = futures::stream::iter(runs)
        .map(|(fault, expected)| async move {
            let (summary, _out) = common::demo_run_shaped(shape, vec![fault]).await;
            (fault, expected, summary)
        })
        .buffer_unordered(CONCURRENT_RUNS)
        .collect()
        .await;
    let mut wrong = Vec::new();
    for (fault, expected, summary) in results {
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        let got = failing(&summary);
        if got != expected {
            wrong.push(format!("{shape} {fault}: expected {expected:?}, failed {got:?}"));
        }
        let errored = summary.with_status(Status::Error);
        if !errored.is_empty() {
            wrong.push(format!("{shape} {fault}: the harness errored on {errored:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

macro_rules! shape_tests {
    ($($shape:ident => $value:expr),*) => {$(
        /// The clean run and every table, with the mock serving this shape.
        mod $shape {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_clean_mock_passes_every_applicable_check() {
                clean($value).await;
            }

            shape_tests!(@tables $value; schema, pagination, auth, webhooks, replay, delivery, events, fallback);
        }
    )*};
    (@tables $value:expr; $($name:ident),*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            check_table($value, super::$name::TABLE).await;
        }
    )*};
}

shape_tests!(canonical => Shape::Canonical, cursor => Shape::Cursor, link => Shape::Link);

#[test]
fn every_fault_is_caught_in_every_shape_it_can_show_in() {
    let listed: BTreeSet<Fault> = TABLES.iter().flat_map(|(_, table, _)| table.iter().map(|(f, _)| *f)).collect();
    let missing: Vec<Fault> = Fault::ALL.iter().copied().filter(|f| !listed.contains(f)).collect();
    assert!(missing.is_empty(), "faults in no table: {missing:?}");
    for fault in Fault::ALL {
        let shown = Shape::ALL.iter().filter(|s| mock_vendor::shape::applies(*fault, **s)).count();
        assert!(shown > 0, "{fault} shows in no shape");
    }
    for (shape, fault, reason) in NOT_SEEN {
        assert!(mock_vendor::shape::applies(*fault, *shape), "{shape} {fault}: already not applicable in the mock");
        assert!(reason.len() > 20, "{shape} {fault}: say why the harness cannot see it");
    }
}

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
