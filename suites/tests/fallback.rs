//! The fallback suite against the in-memory vendor, for what the mock vendor cannot show:
//! clocks that tie or run backwards, retries that arrive newest first, an inventory that lags,
//! accounts that already have webhooks or refuse to sync.

mod fake;

use fake::{Knobs, World};
use suites::{Outcome, Status};

/// Runs one fallback check against a vendor with `knobs`; asserts its status and that the
/// message mentions `says`.
async fn check(id: &str, knobs: Knobs, status: Status, says: &str) -> Outcome {
    let world = World::new(knobs);
    let cx = world.context();
    let check = suites::find(id).unwrap_or_else(|| panic!("no check {id}"));
    let outcome = (check.run)(&cx).await;
    let text = format!("{} {:?}", outcome.message, outcome.evidence.notes);
    assert_eq!(outcome.status, status, "{id}: {outcome:#?}");
    assert!(text.contains(says), "{id}: `{says}` not in {text}");
    if status == Status::Fail {
        assert!(!outcome.evidence.is_empty(), "{id}: a FAIL carries evidence");
    }
    outcome
}

#[tokio::test]
async fn late_events_pass_when_retries_come_newest_first() {
    let knobs = Knobs { retry_newest_first: true, ..Knobs::default() };
    check("fallback.late-events", knobs, Status::Pass, "ends at online in any order").await;
}

#[tokio::test]
async fn late_events_report_a_whole_second_clock_without_failing_it() {
    let knobs = Knobs { tick_ms: 0, retry_newest_first: true, ..Knobs::default() };
    check("fallback.late-events", knobs, Status::Pass, "same timestamp").await;
}

#[tokio::test]
async fn late_events_fail_when_the_later_change_is_stamped_earlier() {
    let knobs = Knobs { backwards: true, ..Knobs::default() };
    let outcome = check("fallback.late-events", knobs, Status::Fail, "stamped").await;
    assert!(outcome.evidence.findings.iter().any(|f| f.message.contains("reference consumer ends with offline")));
}

#[tokio::test]
async fn reconcile_waits_for_an_inventory_that_lags() {
    let knobs = Knobs { inventory_lag_polls: 3, ..Knobs::default() };
    check("fallback.reconcile", knobs, Status::Pass, "after 3 polls").await;
}

#[tokio::test]
async fn reconcile_fails_when_polling_never_shows_the_change() {
    let knobs = Knobs { inventory_lag_polls: u32::MAX, ..Knobs::default() };
    check("fallback.reconcile", knobs, Status::Fail, "still showed online").await;
}

#[tokio::test]
async fn bootstrap_needs_an_account_without_webhooks() {
    check("fallback.bootstrap", Knobs::default(), Status::Pass, "with no webhook registered").await;
    let busy = Knobs { second_webhooks: 2, ..Knobs::default() };
    check("fallback.bootstrap", busy, Status::Skip, "has 2 webhooks").await;
    let waiting = Knobs { second_inventory_status: 503, ..Knobs::default() };
    check("fallback.bootstrap", waiting, Status::Fail, "could not be read").await;
}

#[tokio::test]
async fn bootstrap_without_a_second_account_skips_while_the_run_receives_webhooks() {
    let world = World::new(Knobs::default());
    let mut cx = world.context();
    cx.second = None;
    cx.declared.capabilities.remove("webhook-management");
    let outcome = (suites::find("fallback.bootstrap").unwrap().run)(&cx).await;
    assert_eq!(outcome.status, Status::Skip, "{outcome:#?}");
    assert!(outcome.message.contains("second_account"), "{}", outcome.message);
}

#[tokio::test]
async fn partial_coverage_needs_a_declared_silent_type() {
    check("fallback.partial-coverage", Knobs::default(), Status::Pass, "fed by polling alone").await;
    let everyone_publishes = Knobs { silent: vec![], ..Knobs::default() };
    check("fallback.partial-coverage", everyone_publishes, Status::Skip, "no partial coverage").await;
    let frozen = Knobs { inventory_lag_polls: u32::MAX, ..Knobs::default() };
    check("fallback.partial-coverage", frozen, Status::Fail, "still showed online").await;
}

#[tokio::test]
async fn every_failure_of_the_suite_quotes_the_contract() {
    let scenarios = [
        Knobs { backwards: true, ..Knobs::default() },
        Knobs { inventory_lag_polls: u32::MAX, ..Knobs::default() },
        Knobs { second_inventory_status: 503, ..Knobs::default() },
        Knobs { redirect: Some("GET sites"), ..Knobs::default() },
        Knobs { redirect: Some("GET webhooks"), ..Knobs::default() },
    ];
    let mut failures = 0;
    for knobs in scenarios {
        for meta in suites::catalogue().iter().filter(|m| m.suite == "fallback") {
            let world = World::new(knobs.clone());
            let outcome = (suites::find(meta.id).unwrap().run)(&world.context()).await;
            if outcome.status != Status::Fail {
                continue;
            }
            failures += 1;
            if let Some(why) = fake::unquoted(&outcome.message) {
                panic!("{} under {knobs:?}: {why}: {}", meta.id, outcome.message);
            }
        }
    }
    assert!(failures >= 5, "the scenarios make the suite fail ({failures} FAILs)");
}
