//! The pagination suite against an in-memory vendor that serves pages on the fly: a clean vendor
//! passes every check, each bug fails exactly the checks listed next to it (including vendor
//! behaviours the mock cannot show: visible clamps, a lower maximum, refused small pages, items
//! drifting between pages), and a million-item walk keeps ids, not pages.

mod fake;
mod million;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use suites::{Context, Status};

use fake::*;

/// Runs the pagination suite over `api` and returns each check's outcome.
/// The outcomes that neither pass nor are not applicable to the vendor's kind of pagination.
fn not_passing<'a>(outcomes: &'a [(&'static str, suites::Outcome)]) -> Vec<&'a (&'static str, suites::Outcome)> {
    outcomes.iter().filter(|(_, o)| o.status != Status::Pass && !o.is_not_applicable()).collect()
}

async fn run(api: impl Into<Arc<Fake>>) -> Vec<(&'static str, suites::Outcome)> {
    let cx = Context::new(api.into());
    let mut outcomes = Vec::new();
    for c in suites::checks().iter().filter(|c| c.meta.suite == "pagination") {
        let outcome = (c.run)(&cx).await;
        if outcome.status == Status::Fail {
            assert!(!outcome.evidence.findings.is_empty(), "{}: a FAIL without findings: {outcome:#?}", c.meta.id);
            // Every FAIL names the CONTRACT.md requirement it enforces, and quotes it.
            let rule = c.meta.requirements[0];
            assert!(
                outcome.message.contains(&format!("{rule} (")) && outcome.message.matches('"').count() >= 2,
                "{}: a FAIL that does not quote {rule}: {}",
                c.meta.id,
                outcome.message
            );
            assert!(!outcome.evidence.exchanges.is_empty(), "{}: a FAIL without exchanges: {outcome:#?}", c.meta.id);
        }
        outcomes.push((c.meta.id, outcome));
    }
    outcomes
}

fn with_status(outcomes: &[(&'static str, suites::Outcome)], status: Status) -> BTreeSet<&'static str> {
    outcomes.iter().filter(|(_, o)| o.status == status).map(|(id, _)| *id).collect()
}

fn ids(list: &[&'static str]) -> BTreeSet<&'static str> {
    list.iter().map(|id| format!("pagination.{id}").leak() as &'static str).collect()
}

/// Sites plus inventories of 23, 0 and 7 devices: several pages at the default size of 10.
const FLEET: &[u64] = &[23, 0, 7];

#[tokio::test]
async fn a_clean_vendor_passes_every_check() {
    let api = Arc::new(fake(FLEET, Bugs::default()));
    let outcomes = run(api.clone()).await;
    let not_passing = not_passing(&outcomes);
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    assert_eq!(outcomes.len(), 8);
    // One survey serves the eight checks: sites and three inventories, each walked at the
    // default size, 1, 7 and 500, and at the default again.
    assert_eq!(api.walks.load(Ordering::SeqCst), 4 * 5);
    // Independent walks overlap (a vendor across the internet is not waited on one page at a
    // time), a few at once.
    let most = api.most_in_flight.load(Ordering::SeqCst);
    assert_eq!(most, suites::sync::READS_AT_ONCE as u64, "at most {} walks at once", suites::sync::READS_AT_ONCE);
    // The bad-parameter requests too (the huge-page probes go two at once).
    let most = api.most_probes_in_flight.load(Ordering::SeqCst);
    assert_eq!(most, suites::sync::READS_AT_ONCE as u64, "at most {} requests at once", suites::sync::READS_AT_ONCE);
}

#[tokio::test]
async fn each_bug_fails_exactly_its_checks() {
    let cases: Vec<(&str, Bugs, &[&str])> = vec![
        ("a repeated item", Bugs { duplicate: true, ..Bugs::default() }, &["complete-walk"]),
        ("a skipped item", Bugs { skip: true, ..Bugs::default() }, &["complete-walk", "totals", "page-sizes"]),
        ("total_pages one too many", Bugs { wrong_totals: true, ..Bugs::default() }, &["totals"]),
        ("500 on bad parameters", Bugs { bad_500: true, ..Bugs::default() }, &["bad-parameters", "per-page-max"]),
        ("the last page again past the end", Bugs { past_end_repeats: true, ..Bugs::default() }, &["past-end"]),
        ("no maximum", Bugs { no_max: true, ..Bugs::default() }, &["per-page-max"]),
        ("another order on every call", Bugs { shuffle: true, ..Bugs::default() }, &["stable-order"]),
        (
            "bad parameters answered 200 and echoed",
            Bugs { clamp_invisibly: true, ..Bugs::default() },
            &["bad-parameters", "per-page-max"],
        ),
        // A refusal after pages were served breaks the walk (a refusal of page 1 is a minimum
        // page size: a_minimum_page_size_refused_with_a_4xx_is_conformant).
        (
            "per_page under 5 refused after page 1",
            Bugs { refuse_small_later: true, ..Bugs::default() },
            &["page-sizes"],
        ),
        // Whether the two default walks happen to agree depends on the drift's phase (their
        // order is not judged when they list different items). The survey's walks overlap, so
        // the two one-page walks of the sites fall on calls of another parity: the same three
        // sites, rotated, which is PAGE-6's finding too.
        (
            "items drifting between pages",
            Bugs { drift: true, ..Bugs::default() },
            &["complete-walk", "page-sizes", "stable-order"],
        ),
    ];
    let mut wrong = Vec::new();
    for (name, bugs, expected) in cases {
        let outcomes = run(fake(FLEET, bugs)).await;
        let failed = with_status(&outcomes, Status::Fail);
        if failed != ids(expected) {
            wrong.push(format!("{name}: expected {expected:?}, failed {failed:?}"));
        }
        let other: Vec<_> = outcomes
            .iter()
            .filter(|(_, o)| matches!(o.status, Status::Error | Status::Skip) && !o.is_not_applicable())
            .collect();
        if !other.is_empty() {
            wrong.push(format!("{name}: {other:#?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn visible_clamps_and_404s_are_conformant() {
    let bugs = Bugs { clamp_bad: true, clamp_huge_to: Some(40), past_end_404: true, ..Bugs::default() };
    let outcomes = run(fake(FLEET, bugs)).await;
    let not_passing = not_passing(&outcomes);
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let max = &outcomes.iter().find(|(id, _)| *id == "pagination.per-page-max").unwrap().1;
    assert!(max.evidence.notes.iter().any(|n| n.contains("per_page 40")), "{max:#?}");
    let sizes = &outcomes.iter().find(|(id, _)| *id == "pagination.page-sizes").unwrap().1;
    assert!(sizes.message.contains("40"), "the reported maximum is walked: {sizes:#?}");
}

#[tokio::test]
async fn ids_that_change_between_walks_are_not_blamed_on_pagination() {
    let outcomes = run(fake(FLEET, Bugs { unstable_ids: true, ..Bugs::default() })).await;
    assert!(with_status(&outcomes, Status::Fail).is_empty(), "{outcomes:#?}");
    let order = &outcomes.iter().find(|(id, _)| *id == "pagination.stable-order").unwrap().1;
    assert!(order.evidence.notes.iter().any(|n| n.contains("ID-1")), "{order:#?}");
}

#[tokio::test]
async fn a_harness_timeout_is_an_error_not_a_failure() {
    let outcomes = run(fake(FLEET, Bugs { timeout_at: Some(1), ..Bugs::default() })).await;
    assert_eq!(with_status(&outcomes, Status::Error), ids(&["page-sizes"]), "{outcomes:#?}");
    assert!(with_status(&outcomes, Status::Fail).is_empty(), "{outcomes:#?}");
}

#[tokio::test]
async fn a_vendor_without_page_numbers_skips_the_page_parameter_checks() {
    let mut api = fake(FLEET, Bugs::default());
    api.page_numbered = false;
    let outcomes = run(api).await;
    assert_eq!(with_status(&outcomes, Status::Pass), ids(&["complete-walk", "stable-order"]), "{outcomes:#?}");
    let skipped = with_status(&outcomes, Status::Skip);
    assert_eq!(skipped, ids(&["totals", "page-sizes", "next-chain", "bad-parameters", "past-end", "per-page-max"]));
    for (_, o) in outcomes.iter().filter(|(_, o)| o.status == Status::Skip) {
        assert!(o.message.contains("not applicable to this vendor's profile"), "{o:#?}");
    }
}

#[tokio::test]
async fn a_lower_maximum_refused_with_a_4xx_is_conformant() {
    let mut api = fake(FLEET, Bugs::default());
    api.max = 100;
    let outcomes = run(api).await;
    let not_passing = not_passing(&outcomes);
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let sizes = &outcomes.iter().find(|(id, _)| *id == "pagination.page-sizes").unwrap().1;
    assert!(sizes.evidence.notes.iter().any(|n| n.contains("was refused with a 4xx")), "{sizes:#?}");
}

#[tokio::test]
async fn a_minimum_page_size_refused_with_a_4xx_is_conformant() {
    // PAGE-3 allows a 4xx for a page size the vendor does not take (Meraki documents a
    // `perPage` range): per_page 1 refused on its first page is a note, not a PAGE-1 failure.
    let outcomes = run(fake(FLEET, Bugs { refuse_small: true, ..Bugs::default() })).await;
    let not_passing = not_passing(&outcomes);
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let sizes = &outcomes.iter().find(|(id, _)| *id == "pagination.page-sizes").unwrap().1;
    assert!(sizes.evidence.notes.iter().any(|n| n.contains("refuses per_page=1 with a 4xx")), "{sizes:#?}");
}

#[tokio::test]
async fn a_declared_minimum_is_the_smallest_size_walked() {
    // A vendor that takes per_page 5 and up, declaring it: the small walks are at 5 and 7.
    let mut api = fake(FLEET, Bugs { refuse_small: true, ..Bugs::default() });
    api.declared_min = Some(5);
    let api = Arc::new(api);
    let outcomes = run(api.clone()).await;
    let not_passing = not_passing(&outcomes);
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let sizes = api.walked_sizes.lock().unwrap().clone();
    assert!(sizes.contains(&Some(5)) && sizes.contains(&Some(7)) && !sizes.contains(&Some(1)), "{sizes:?}");
    let page_sizes = &outcomes.iter().find(|(id, _)| *id == "pagination.page-sizes").unwrap().1;
    assert!(page_sizes.evidence.notes.iter().all(|n| !n.contains("refuses")), "{page_sizes:#?}");
}

#[tokio::test]
async fn a_vendor_reporting_no_page_size_meets_the_musts_with_silent_clamps() {
    // No `per_page` in its answers: a maximum of 100 applied silently to the walk at 500, and
    // per_page=0 answered with a default page, are clamps it cannot show. PAGE-2 judges its
    // pages at the size it used; PAGE-3 by the page's length.
    let bugs = Bugs { hide_per_page: true, clamp_bad: true, clamp_huge_to: Some(100), ..Bugs::default() };
    let mut api = fake(&[250], bugs);
    api.max = 100;
    let outcomes = run(api).await;
    let musts = ids(&["complete-walk", "totals", "page-sizes", "bad-parameters"]);
    let failed: Vec<_> = outcomes.iter().filter(|(id, o)| musts.contains(id) && o.status != Status::Pass).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    // A silent clamp that breaks the walk is still found: a skipped item leaves pages short.
    let bugs = Bugs { hide_per_page: true, clamp_huge_to: Some(100), skip: true, ..Bugs::default() };
    let mut api = fake(&[250], bugs);
    api.max = 100;
    let failed = with_status(&run(api).await, Status::Fail);
    assert!(failed.contains("pagination.complete-walk") && failed.contains("pagination.totals"), "{failed:?}");
}

#[tokio::test]
async fn a_declared_maximum_is_the_maximum_walked_and_judged() {
    // A vendor whose maximum is 100, declared in its profile, refusing anything above: nothing
    // fails for not serving the contract's 500, and the maximum walk is at 100.
    let mut api = fake(FLEET, Bugs::default());
    (api.max, api.declared_max) = (100, Some(100));
    let api = Arc::new(api);
    let outcomes = run(api.clone()).await;
    let not_passing = not_passing(&outcomes);
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let sizes = api.walked_sizes.lock().unwrap().clone();
    assert!(sizes.contains(&Some(100)) && !sizes.contains(&Some(contract::MAX_PER_PAGE)), "{sizes:?}");
    let max = &outcomes.iter().find(|(id, _)| *id == "pagination.per-page-max").unwrap().1;
    assert!(max.evidence.notes.iter().any(|n| n.contains("declared maximum: per_page 100")), "{max:#?}");
    // The same vendor clamping a huge per_page visibly to 100 passes too...
    let mut api = fake(FLEET, Bugs { clamp_huge_to: Some(100), ..Bugs::default() });
    (api.max, api.declared_max) = (100, Some(100));
    let outcomes = run(api).await;
    assert!(with_status(&outcomes, Status::Fail).is_empty(), "{outcomes:#?}");
    // ...but a clamp above what the vendor declares is PAGE-5's failure, naming the declaration.
    let mut api = fake(FLEET, Bugs { clamp_huge_to: Some(200), ..Bugs::default() });
    (api.max, api.declared_max) = (100, Some(100));
    let outcomes = run(api).await;
    assert_eq!(with_status(&outcomes, Status::Fail), ids(&["per-page-max"]), "{outcomes:#?}");
    let max = &outcomes.iter().find(|(id, _)| *id == "pagination.per-page-max").unwrap().1;
    assert!(max.message.contains("above the maximum of 100 the vendor's profile declares"), "{}", max.message);
    assert!(max.message.contains("PAGE-5 (SHOULD)"), "{}", max.message);
}

#[tokio::test]
async fn large_collections_are_not_walked_one_item_a_page() {
    let outcomes = run(fake(&[2_000], Bugs::default())).await;
    let not_passing = not_passing(&outcomes);
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let sizes = &outcomes.iter().find(|(id, _)| *id == "pagination.page-sizes").unwrap().1;
    let skipped: Vec<_> = sizes.evidence.notes.iter().filter(|n| n.contains("not walked at per_page")).collect();
    assert_eq!(skipped.len(), 2, "per_page 1 and 7 are beyond the small-walk budget: {sizes:#?}");
}

#[tokio::test]
async fn every_check_skips_without_walking_when_the_sites_cannot_be_listed() {
    // The survey's precondition is every check's: each ends with the one SKIP pointing at
    // schema.sites, and no walk or probe is sent.
    let api = Arc::new(fake(FLEET, Bugs { sites_refused: true, ..Bugs::default() }));
    let outcomes = run(api.clone()).await;
    assert_eq!(outcomes.len(), 8, "{outcomes:#?}");
    for (id, o) in &outcomes {
        assert_eq!(o.status, Status::Skip, "{id}: {o:#?}");
        assert!(o.message.contains("the sites could not be listed (see schema.sites)"), "{id}: {}", o.message);
    }
    assert_eq!(api.walks.load(Ordering::SeqCst), 0);
    assert_eq!(api.calls.load(Ordering::SeqCst), 0);
}
