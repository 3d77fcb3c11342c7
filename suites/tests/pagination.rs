//! The pagination suite against an in-memory vendor that serves pages on the fly: a clean vendor
//! passes every check, each bug fails exactly the checks listed next to it (including vendor
//! behaviours the mock cannot show: visible clamps, a lower maximum, refused small pages, items
//! drifting between pages), and a million-item walk keeps ids, not pages.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use suites::pagination::{Flaw, NAMED_ITEMS, Tally};
use suites::{
    Answer, ApiError, ApiErrorKind, Budgets, Collection, Context, Endpoints, Exchange, Fetched, Listed, Listing,
    PageSeen, PageVisitor, Paging, Probe, SizeLimits, Status, VendorApi, Walk, WalkEnd,
};

const ACCOUNT: &str = "a1b2c3d4-5678-90ab-cdef-1234567890ab";
const DEFAULT: u64 = 10;

/// What the fake vendor gets wrong (or does in an unusual but conformant way).
#[derive(Debug, Clone, Default)]
struct Bugs {
    /// Each page after the first starts with the previous page's last item.
    duplicate: bool,
    /// The first item of each page after the first is left out.
    skip: bool,
    /// `total_pages` is one too many.
    wrong_totals: bool,
    /// Bad parameters answer 500.
    bad_500: bool,
    /// A page past the end repeats the last page.
    past_end_repeats: bool,
    /// `per_page` has no maximum.
    no_max: bool,
    /// Each page's items come in another order on every call.
    shuffle: bool,
    /// Ids change on every walk.
    unstable_ids: bool,
    /// Bad parameters are clamped, visibly: `page` to 1, `per_page` to the default.
    clamp_bad: bool,
    /// Bad parameters are answered 200 with the pagination block echoing them.
    clamp_invisibly: bool,
    /// A huge `per_page` is clamped to this, visibly, instead of refused.
    clamp_huge_to: Option<u64>,
    /// `per_page` under 5 is refused with a 400.
    refuse_small: bool,
    /// `per_page` under 5 is served on page 1 and refused with a 400 on later pages.
    refuse_small_later: bool,
    /// A page past the end answers 404.
    past_end_404: bool,
    /// Items shift by one position between calls (offset pagination over a changing sort).
    drift: bool,
    /// The pagination block has no `per_page` (a profile with no `per_page` pointer).
    hide_per_page: bool,
    /// A walk at this page size times out (the harness's side).
    timeout_at: Option<u64>,
    /// Listing the sites answers 500: there is nothing to survey.
    sites_refused: bool,
}

#[derive(Debug)]
struct Fake {
    /// Each site and how many devices it has.
    sites: Vec<(String, u64)>,
    bugs: Bugs,
    /// Larger page sizes are refused with a 400 (or clamped, per `bugs`).
    max: u64,
    /// The maximum the vendor's profile declares (`max_size`), if any.
    declared_max: Option<u64>,
    /// The minimum the vendor's profile declares (`min_size`), if any.
    declared_min: Option<u64>,
    /// Every page size a walk asked for (`None`: the default).
    walked_sizes: std::sync::Mutex<Vec<Option<u64>>>,
    page_numbered: bool,
    calls: AtomicU64,
    walks: AtomicU64,
}

fn site_id(i: usize) -> String {
    format!("5e6693c0-091d-47a2-b90a-{i:012x}")
}

fn fake(counts: &[u64], bugs: Bugs) -> Fake {
    let sites = counts.iter().enumerate().map(|(i, &n)| (site_id(i), n)).collect();
    Fake {
        sites,
        bugs,
        max: contract::MAX_PER_PAGE,
        declared_max: None,
        declared_min: None,
        walked_sizes: std::sync::Mutex::new(Vec::new()),
        page_numbered: true,
        calls: AtomicU64::new(0),
        walks: AtomicU64::new(0),
    }
}

fn exchange(url: String, status: u16) -> Exchange {
    Exchange { method: "GET".into(), url, status: Some(status), reproduce: "curl".into(), ..Exchange::default() }
}

impl Fake {
    fn total(&self, collection: &Collection) -> u64 {
        match collection {
            Collection::Sites => self.sites.len() as u64,
            Collection::Inventory { site_id } => self.sites.iter().find(|(s, _)| s == site_id).map_or(0, |s| s.1),
        }
    }

    fn item(&self, collection: &Collection, i: u64) -> Value {
        let generation = if self.bugs.unstable_ids { self.walks.load(Ordering::SeqCst) } else { 0 };
        match collection {
            Collection::Sites => json!({"site_id": site_id(i as usize), "name": format!("site {i}")}),
            Collection::Inventory { site_id } => {
                json!({"device_id": format!("{site_id}-{generation}-{i}"), "site_id": site_id, "name": format!("device {i}")})
            }
        }
    }

    fn url(collection: &Collection, page: Option<&str>, per_page: Option<&str>) -> String {
        let path = match collection {
            Collection::Sites => "/api/v1/account/sites".to_owned(),
            Collection::Inventory { site_id } => format!("/api/v1/sites/{site_id}/inventory"),
        };
        format!("http://v{path}?page={}&per_page={}", page.unwrap_or(""), per_page.unwrap_or(""))
    }

    /// The vendor's answer to one page request: status and body.
    fn serve(&self, collection: &Collection, page: Option<&str>, per_page: Option<&str>) -> (u16, Value) {
        let b = &self.bugs;
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let key = if *collection == Collection::Sites { "sites" } else { "devices" };
        if !self.page_numbered {
            let items: Vec<Value> = (0..self.total(collection)).map(|i| self.item(collection, i)).collect();
            return (200, json!({key: items}));
        }
        let bad = || if b.bad_500 { 500 } else { 400 };
        let parse = |raw: Option<&str>, default: u64| raw.map_or(Ok(default as i128), |r| r.parse::<i128>());
        let (mut page_n, mut per_page_n) = match (parse(page, 1), parse(per_page, DEFAULT)) {
            (Ok(p), Ok(n)) => (p, n),
            _ if b.clamp_bad => (1, DEFAULT as i128),
            _ => return (bad(), json!({"error": "not a number"})),
        };
        if page_n < 1 || per_page_n < 1 {
            if b.clamp_bad {
                page_n = page_n.max(1);
                per_page_n = if per_page_n < 1 { DEFAULT as i128 } else { per_page_n };
            } else if !b.clamp_invisibly {
                return (bad(), json!({"error": "out of range"}));
            }
        }
        if b.refuse_small_later && (1..5).contains(&per_page_n) && page_n > 1 {
            return (400, json!({"error": "per_page must be at least 5"}));
        }
        if b.refuse_small && (1..5).contains(&per_page_n) {
            return (400, json!({"error": "per_page must be at least 5"}));
        }
        if per_page_n > i128::from(self.max) && !b.no_max && !b.clamp_invisibly {
            match b.clamp_huge_to {
                Some(to) => per_page_n = i128::from(to),
                None => return (bad(), json!({"error": "per_page too large"})),
            }
        }
        let total = self.total(collection);
        let per_page_u = u64::try_from(per_page_n.max(1)).unwrap_or(u64::MAX);
        let page_u = u64::try_from(page_n.max(1)).unwrap_or(u64::MAX);
        let pages = total.div_ceil(per_page_u);
        let mut shown_page = page_u;
        let mut start = (page_u - 1).saturating_mul(per_page_u).min(total);
        let mut end = start.saturating_add(per_page_u).min(total);
        if page_u > pages.max(1) {
            if b.past_end_404 {
                return (404, json!({"error": "no such page"}));
            }
            if b.past_end_repeats && pages > 0 {
                start = (pages - 1) * per_page_u;
                end = total;
            }
        } else if page_u > 1 {
            if b.duplicate {
                start -= 1;
                end -= u64::from(page_u != pages);
            } else if b.skip {
                start += 1;
            }
        }
        let shift = if b.drift { call % 2 } else { 0 };
        let mut items: Vec<Value> = (start..end).map(|i| self.item(collection, (i + shift) % total.max(1))).collect();
        if b.shuffle && items.len() > 1 {
            let k = (call as usize) % items.len();
            items.rotate_left(k.max(1));
        }
        if b.clamp_invisibly {
            shown_page = u64::try_from(page_n).unwrap_or(0);
        }
        let total_pages = pages + u64::from(b.wrong_totals);
        let shown_per_page = if b.clamp_invisibly { u64::try_from(per_page_n).unwrap_or(0) } else { per_page_u };
        let mut pagination =
            json!({"page": shown_page, "per_page": shown_per_page, "total_pages": total_pages, "total_count": total});
        if b.hide_per_page {
            pagination.as_object_mut().unwrap().remove("per_page");
        }
        (200, json!({key: items, "pagination": pagination}))
    }

    fn answer(&self, collection: &Collection, page: Option<&str>, per_page: Option<&str>) -> Answer {
        let (status, json) = self.serve(collection, page, per_page);
        Answer {
            status,
            text: json.to_string(),
            json: Some(json),
            exchange: exchange(Self::url(collection, page, per_page), status),
        }
    }

    fn listing(&self, collection: &Collection) -> Listing {
        let records = (0..self.total(collection))
            .map(|i| {
                let record = self.item(collection, i);
                Listed { raw: record.clone(), record, page: 0 }
            })
            .collect();
        Listing { records, exchanges: vec![exchange(Self::url(collection, None, None), 200)], notes: vec![] }
    }
}

#[async_trait]
impl VendorApi for Fake {
    async fn account(&self) -> Result<Fetched, ApiError> {
        let record = json!({"account_id": ACCOUNT, "name": "Acme"});
        Ok(Fetched { raw: record.clone(), record, exchange: exchange("http://v/api/v1/account".into(), 200) })
    }

    async fn sites(&self) -> Result<Listing, ApiError> {
        if self.bugs.sites_refused {
            let e = exchange("http://v/api/v1/sites".into(), 500);
            return Err(ApiError::new(ApiErrorKind::Status, "answered 500", vec![e]));
        }
        Ok(self.listing(&Collection::Sites))
    }

    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
        Ok(self.listing(&Collection::Inventory { site_id: site_id.to_owned() }))
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints {
            paging: if self.page_numbered {
                let limits = SizeLimits { max: self.declared_max, default: None, min: self.declared_min };
                Paging { size_default: DEFAULT, sites_limits: limits, inventory_limits: limits, ..Paging::canonical() }
            } else {
                Paging::none()
            },
            ..Endpoints::canonical()
        }
    }

    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        let collection = match probe.path.strip_prefix("/api/v1/sites/") {
            Some(rest) => Collection::Inventory { site_id: rest.trim_end_matches("/inventory").to_owned() },
            None => Collection::Sites,
        };
        let param = |name: &str| probe.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        Ok(self.answer(&collection, param("page"), param("per_page")))
    }

    async fn walk(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError> {
        self.walks.fetch_add(1, Ordering::SeqCst);
        self.walked_sizes.lock().unwrap().push(per_page);
        let size = per_page.unwrap_or(DEFAULT).to_string();
        if per_page.is_some() && self.bugs.timeout_at == per_page {
            let e = exchange(Self::url(collection, Some("1"), Some(&size)), 0);
            return Err(ApiError::new(ApiErrorKind::Timeout, "no complete answer within 2 s", vec![e]));
        }
        let mut end = WalkEnd { pages: 0, notes: vec![] };
        for page in 1.. {
            let number = page.to_string();
            let answer = self.answer(collection, Some(&number), Some(&size));
            if answer.status != 200 {
                let message = format!("answered {}", answer.status);
                return Err(ApiError::new(ApiErrorKind::Status, message, vec![answer.exchange]));
            }
            let exchange = answer.exchange.clone();
            let mut seen = suites::context::canonical_page(collection, &answer).expect("a page");
            seen.index = page;
            let (count, total_pages) = (seen.records.len(), seen.total_pages);
            end.pages += 1;
            if visit(seen) == Walk::Stop || !self.page_numbered {
                break;
            }
            match total_pages {
                Some(total) if page < total && count > 0 => {}
                _ => break,
            }
            if page >= Budgets::default().max_pages {
                return Err(ApiError::new(ApiErrorKind::TooManyPages, "too many pages", vec![exchange]));
            }
        }
        Ok(end)
    }
}

/// Runs the pagination suite over `api` and returns each check's outcome.
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

/// A SKIP because the check does not apply to the vendor's kind of pagination (next-chain
/// for page-numbered vendors).
fn not_applicable(o: &suites::Outcome) -> bool {
    o.status == Status::Skip && o.message.starts_with("not applicable to this vendor's profile")
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
    let not_passing: Vec<_> = outcomes.iter().filter(|(_, o)| o.status != Status::Pass && !not_applicable(o)).collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    assert_eq!(outcomes.len(), 8);
    // One survey serves the eight checks: sites and three inventories, each walked at the
    // default size, 1, 7 and 500, and at the default again.
    assert_eq!(api.walks.load(Ordering::SeqCst), 4 * 5);
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
        // Whether the two default walks happen to agree depends on the drift's phase: their
        // order is not judged when they list different items.
        ("items drifting between pages", Bugs { drift: true, ..Bugs::default() }, &["complete-walk", "page-sizes"]),
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
            .filter(|(_, o)| matches!(o.status, Status::Error | Status::Skip) && !not_applicable(o))
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
    let not_passing: Vec<_> = outcomes.iter().filter(|(_, o)| o.status != Status::Pass && !not_applicable(o)).collect();
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
    let not_passing: Vec<_> = outcomes.iter().filter(|(_, o)| o.status != Status::Pass && !not_applicable(o)).collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let sizes = &outcomes.iter().find(|(id, _)| *id == "pagination.page-sizes").unwrap().1;
    assert!(sizes.evidence.notes.iter().any(|n| n.contains("was refused with a 4xx")), "{sizes:#?}");
}

#[tokio::test]
async fn a_minimum_page_size_refused_with_a_4xx_is_conformant() {
    // PAGE-3 allows a 4xx for a page size the vendor does not take (Meraki documents a
    // `perPage` range): per_page 1 refused on its first page is a note, not a PAGE-1 failure.
    let outcomes = run(fake(FLEET, Bugs { refuse_small: true, ..Bugs::default() })).await;
    let not_passing: Vec<_> = outcomes.iter().filter(|(_, o)| o.status != Status::Pass && !not_applicable(o)).collect();
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
    let not_passing: Vec<_> = outcomes.iter().filter(|(_, o)| o.status != Status::Pass && !not_applicable(o)).collect();
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
    let not_passing: Vec<_> = outcomes.iter().filter(|(_, o)| o.status != Status::Pass && !not_applicable(o)).collect();
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
    let not_passing: Vec<_> = outcomes.iter().filter(|(_, o)| o.status != Status::Pass && !not_applicable(o)).collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let sizes = &outcomes.iter().find(|(id, _)| *id == "pagination.page-sizes").unwrap().1;
    let skipped: Vec<_> = sizes.evidence.notes.iter().filter(|n| n.contains("not walked at per_page")).collect();
    assert_eq!(skipped.len(), 2, "per_page 1 and 7 are beyond the small-walk budget: {sizes:#?}");
}

/// A million items, generated a page at a time: nothing keeps a page but the visitor's example exchanges.
fn million_pages(per_page: u64, duplicate_on: Option<u64>) -> impl Iterator<Item = PageSeen> {
    const TOTAL: u64 = 1_000_000;
    let pages = TOTAL.div_ceil(per_page);
    (1..=pages).map(move |index| {
        let start = (index - 1) * per_page;
        let mut ids: Vec<u64> = (start..(start + per_page).min(TOTAL)).collect();
        if duplicate_on == Some(index) {
            ids[0] = start - 1;
        }
        let records = ids.iter().map(|i| json!({"device_id": format!("d-{i:07}")})).collect();
        let url = format!("http://v/api/v1/sites/s/inventory?page={index}&per_page={per_page}");
        let body = "x".repeat(4096);
        PageSeen {
            part: 0,
            next: None,
            after: None,
            index,
            records,
            page: Some(index),
            per_page: Some(per_page),
            total_pages: Some(pages),
            total_count: Some(TOTAL),
            exchange: Exchange { url, body_excerpt: Some(body), ..Exchange::default() },
        }
    })
}

#[test]
fn a_million_item_walk_keeps_ids_not_pages() {
    let collection = Collection::Inventory { site_id: "s".into() };
    let mut tally = Tally::new(&collection, &Paging::canonical(), Some(500));
    let mut peak = 0;
    for page in million_pages(500, Some(1_500)) {
        tally.visit(page);
        peak = peak.max(tally.retained_bytes());
    }
    let walked = tally.finish(WalkEnd { pages: 2_000, notes: vec![] });
    // The duplicate on page 1500 is found, named and its page kept; the item it replaced is
    // missing from the distinct count; nothing else is wrong.
    assert_eq!(walked.count(Flaw::Duplicate), 1);
    assert_eq!(walked.count(Flaw::Count), 1);
    let count = walked.problems(Flaw::Count).next().unwrap();
    assert!(count.message.contains("999999 of them distinct") && count.message.contains("1 never listed"), "{count:?}");
    let flaws = [Flaw::NoTotalPages, Flaw::NotCeil, Flaw::TotalsChanged, Flaw::NotFull, Flaw::Order];
    assert!(flaws.iter().all(|f| walked.count(*f) == 0));
    let dup = walked.problems(Flaw::Duplicate).next().unwrap();
    assert!(dup.subject.contains("d-0749499") && dup.message.contains("page 1500"), "{dup:?}");
    assert!(dup.exchange.as_ref().unwrap().url.contains("page=1500&"));
    // Page 1, the last page and the failing pages: not 2,000 pages of 4 KiB excerpts.
    assert!(walked.exchanges().len() <= 3, "{}", walked.exchanges().len());
    // Once finished: 16 bytes per item, the names of the first items and a few exchanges.
    // While walking, also the id → content map: under 100 bytes per item in all, where the
    // pages' records as JSON values would take several hundred bytes per device.
    let ids = 1_000_000 * 16;
    let named = NAMED_ITEMS * 100;
    assert!(walked.retained_bytes() <= ids + named + 64 * 1024, "{}", walked.retained_bytes());
    assert!(peak <= 100 * 1_000_000, "{peak}");
}

#[test]
fn a_clean_million_item_walk_is_clean() {
    let collection = Collection::Inventory { site_id: "s".into() };
    let mut tally = Tally::new(&collection, &Paging::canonical(), Some(500));
    for page in million_pages(500, None) {
        tally.visit(page);
    }
    let walked = tally.finish(WalkEnd { pages: 2_000, notes: vec![] });
    assert_eq!(walked.items(), 1_000_000);
    for flaw in [Flaw::Duplicate, Flaw::Count, Flaw::NotCeil, Flaw::TotalsChanged, Flaw::NotFull] {
        assert_eq!(walked.count(flaw), 0, "{flaw:?}");
    }
    assert_eq!(walked.exchanges().len(), 2, "page 1 and the last page");
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
