//! The survey: every walk of the run (each collection at 1, a prime, the default and the maximum
//! page size, and the default again) and the huge-`per_page` probes, made once and shared by the
//! checks; independent walks overlap a few at a time.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::tally::Tally;
use super::walked::Walked;
use super::{HUGE_PER_PAGE, label};
use crate::context::{ApiError, Collection, Context, PageAnswer, PageAsk, Paging, PagingKind};
use crate::outcome::Outcome;
use crate::sync::overlapped;

/// Page sizes tried as "a prime", in order of preference: one that is neither the default nor 1
/// makes page boundaries fall where the default's do not.
pub(super) const PRIMES: [u64; 4] = [7, 3, 11, 13];
/// A walk at page size 1 or the prime is made only if it takes at most this many pages...
pub(super) const SMALL_WALK_PAGES: u64 = 100;
/// ...and while the run's small walks together stay within this many pages (a vendor with
/// thousands of sites is not asked for each inventory one device at a time).
pub(super) const SMALL_WALK_BUDGET: u64 = 400;

/// Which walk of a collection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// At the profile's page size: the reference for every comparison.
    Default,
    One,
    Prime,
    Max,
    /// At the default size again, after the others (PAGE-6).
    Again,
}

#[derive(Debug)]
pub(super) struct SizedWalk {
    pub(super) role: Role,
    pub(super) per_page: Option<u64>,
    /// Pages served before the walk ended: a refusal of page 1 is a size the vendor does not
    /// take (PAGE-3), a refusal after pages were served is a broken walk.
    pub(super) served: u64,
    pub(super) result: Result<Arc<Walked>, ApiError>,
}

/// Where the largest page size walked came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MaxFrom {
    /// The vendor's profile declares it (`max_size`): PAGE-5 and the walks judge against it.
    Declared,
    /// The vendor clamped a huge `per_page` to it, visibly.
    Reported,
    /// Neither: the contract's documented maximum stands in.
    Contract,
}

/// One collection and its walks.
#[derive(Debug)]
pub(super) struct Surveyed {
    pub(super) collection: Collection,
    /// The largest page size walked, and where it came from (`None`: pages cannot be sized).
    pub(super) max: Option<(u64, MaxFrom)>,
    pub(super) walks: Vec<SizedWalk>,
    /// Page sizes not walked, and why.
    pub(super) notes: Vec<String>,
}

impl Surveyed {
    pub(super) fn label(&self) -> String {
        label(&self.collection)
    }

    pub(super) fn walk(&self, role: Role) -> Option<&SizedWalk> {
        self.walks.iter().find(|w| w.role == role)
    }

    pub(super) fn walked(&self, role: Role) -> Option<&Arc<Walked>> {
        self.walk(role).and_then(|w| w.result.as_ref().ok())
    }
}

/// A `per_page` far above any sane maximum, asked of one collection.
#[derive(Debug)]
pub(super) struct HugeProbe {
    pub(super) collection: Collection,
    pub(super) result: Result<PageAnswer, ApiError>,
}

/// Every walk of the run and the huge-`per_page` probes, made once and shared by the checks.
#[derive(Debug)]
pub(super) struct Survey {
    pub(super) paging: Paging,
    pub(super) collections: Vec<Surveyed>,
    pub(super) huge: Vec<HugeProbe>,
    pub(super) notes: Vec<String>,
}

/// The survey, or the outcome every check ends with when there is nothing to walk.
pub(super) type SurveyResult = Result<Survey, Outcome>;

/// How every pagination check starts: `judge` runs on the run's one survey (taken by the first
/// check to ask), or the check ends with the outcome the survey ended with (no sites to walk).
pub(super) async fn with_survey(cx: &Context, judge: impl AsyncFnOnce(&Survey) -> Outcome) -> Outcome {
    match cx.memo::<SurveyResult, _, _>(|| Survey::take(cx)).await.as_ref() {
        Ok(survey) => judge(survey).await,
        Err(outcome) => outcome.clone(),
    }
}

/// The one prime page size walked: not the default, not above the maximum.
pub(super) fn prime_size(default: u64, max: u64) -> Option<u64> {
    PRIMES.into_iter().find(|&p| p != default && p <= max)
}

/// The smallest prime above a declared minimum `min` that is neither the default nor above `max`.
pub(super) fn prime_above(min: u64, default: u64, max: u64) -> Option<u64> {
    let is_prime = |n: u64| n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d));
    (min + 1..=max).find(|&n| is_prime(n) && n != default)
}

pub(super) async fn walk(
    cx: &Context,
    collection: &Collection,
    role: Role,
    per_page: Option<u64>,
    after: Option<Arc<Walked>>,
) -> SizedWalk {
    let mut tally = Tally::new(collection, &cx.endpoints().paging, per_page);
    if let Some(earlier) = after {
        tally = tally.following(earlier);
    }
    let mut served = 0;
    let result = cx
        .api
        .walk(collection, per_page, &mut |seen| {
            served += 1;
            tally.visit(seen)
        })
        .await;
    let result = result.map(|end| Arc::new(tally.finish(end)));
    SizedWalk { role, per_page, served, result }
}

impl Survey {
    /// Every walk, in three rounds: each collection at the default size; then the small sizes and
    /// the maximum, chosen from what the first round found; then the default again (PAGE-6: after
    /// every other walk of its collection). Walks within a round are independent and overlap,
    /// [`READS_AT_ONCE`](crate::sync::READS_AT_ONCE) at a time; each follows its own pages in
    /// order, and every result keeps its place, so the checks judge the same walks as when they
    /// were made one by one.
    pub(super) async fn take(cx: &Context) -> SurveyResult {
        let sync = cx.sync().await;
        sync.require_sites()?;
        let paging = cx.endpoints().paging.clone();
        let mut notes = Vec::new();
        let mut subjects = vec![(Collection::Sites, 0)];
        for inventory in &sync.inventories {
            match &inventory.result {
                Ok(listing) => subjects
                    .push((Collection::Inventory { site_id: inventory.site_id.clone() }, listing.records.len())),
                Err(_) => notes.push(format!(
                    "the inventory of site {} was not walked: the inventory sync could not read it (see schema.device-fields)",
                    inventory.site_id
                )),
            }
        }
        let mut huge = Vec::new();
        let mut reported = None;
        if paging.sized().is_some() {
            // Sites and the largest inventory: a clamp shows best where there is most to clamp.
            let largest = subjects.iter().skip(1).max_by_key(|s| s.1).filter(|s| s.1 > 0);
            let probed: Vec<&Collection> = std::iter::once(&subjects[0]).chain(largest).map(|s| &s.0).collect();
            let ask = PageAsk::first(&paging, Some(HUGE_PER_PAGE));
            let asked = futures::future::join_all(probed.iter().map(|c| cx.api.ask_page(c, &ask))).await;
            for (collection, result) in probed.into_iter().zip(asked) {
                let page = result.as_ref().ok().and_then(|a| a.page.as_ref());
                if let Some(used) = page.and_then(|p| p.per_page).filter(|&n| (1..HUGE_PER_PAGE).contains(&n)) {
                    reported = Some(reported.map_or(used, |m: u64| m.min(used)));
                }
                huge.push(HugeProbe { collection: collection.clone(), result });
            }
        }
        let default = paging.sized().map(|(_, default)| default);
        let mut reads: Vec<BoxFuture<'_, SizedWalk>> = Vec::new();
        for (collection, _) in &subjects {
            reads.push(Box::pin(walk(cx, collection, Role::Default, default, None)));
        }
        let firsts = overlapped(reads).await;

        // The second round's walks, chosen collection by collection in order (the small walks'
        // page budget is spent in that order), as (collection's index, role, size).
        let mut budget = SMALL_WALK_BUDGET;
        let mut planned = Vec::new();
        let mut collections = Vec::new();
        for (index, ((collection, _), first)) in subjects.iter().zip(&firsts).enumerate() {
            // What the vendor declares wins over what a clamp showed; the contract's documented
            // maximum stands in for neither (a vendor whose maximum is 100 is walked at 100).
            let max = paging.sized().map(|_| match (paging.limits(collection).max, reported) {
                (Some(declared), _) => (declared, MaxFrom::Declared),
                (None, Some(clamp)) => (clamp, MaxFrom::Reported),
                (None, None) => (contract::MAX_PER_PAGE, MaxFrom::Contract),
            });
            let mut size_notes = Vec::new();
            if let (Some(default), Some((max, _)), Ok(walked)) = (default, max, &first.result) {
                let items = walked.items().max(walked.total_count.unwrap_or(0));
                let limit = SMALL_WALK_PAGES.min(cx.budgets.max_pages);
                // A declared minimum (Meraki's `perPage` range) replaces 1 and bounds the prime.
                let min = paging.limits(collection).min.unwrap_or(1);
                let prime = prime_size(default, max).filter(|&p| p > min).or_else(|| prime_above(min, default, max));
                let small = [(Role::One, Some(min)), (Role::Prime, prime)];
                for (role, size) in small {
                    let Some(size) = size.filter(|&s| s != default) else { continue };
                    let pages = items.div_ceil(size).max(1);
                    let why = if pages > limit {
                        format!("beyond the {limit}-page limit of a walk at a small page size")
                    } else if pages > budget {
                        format!("beyond what is left of the run's {SMALL_WALK_BUDGET} pages for small page sizes")
                    } else {
                        String::new()
                    };
                    if !why.is_empty() {
                        let what = label(collection);
                        size_notes.push(format!(
                            "{what}: not walked at per_page {size}: {items} items take {pages} pages, {why}"
                        ));
                        continue;
                    }
                    budget -= pages;
                    planned.push((index, role, size));
                }
                if max != default {
                    planned.push((index, Role::Max, max));
                }
            }
            collections.push(Surveyed { collection: collection.clone(), max, walks: Vec::new(), notes: size_notes });
        }
        let mut reads: Vec<BoxFuture<'_, SizedWalk>> = Vec::new();
        for &(index, role, size) in &planned {
            reads.push(Box::pin(walk(cx, &subjects[index].0, role, Some(size), None)));
        }
        let sized = overlapped(reads).await;
        let mut reads: Vec<BoxFuture<'_, SizedWalk>> = Vec::new();
        for ((collection, _), first) in subjects.iter().zip(&firsts) {
            reads.push(Box::pin(walk(cx, collection, Role::Again, default, first.result.as_ref().ok().cloned())));
        }
        let agains = overlapped(reads).await;
        for (surveyed, first) in collections.iter_mut().zip(firsts) {
            surveyed.walks.push(first);
        }
        for (&(index, _, _), walked) in planned.iter().zip(sized) {
            collections[index].walks.push(walked);
        }
        for (surveyed, again) in collections.iter_mut().zip(agains) {
            surveyed.walks.push(again);
        }
        Ok(Survey { paging, collections, huge, notes })
    }

    /// Sites and the inventory with the most items: where parameter probes are sent.
    pub(super) fn probe_targets(&self) -> Vec<&Surveyed> {
        let items = |s: &Surveyed| s.walked(Role::Default).map_or(0, |w| w.items());
        let largest = self.collections.iter().skip(1).filter(|s| items(s) > 0).max_by_key(|s| items(s));
        self.collections.iter().take(1).chain(largest).collect()
    }

    /// SKIP for a check that needs page sizes, when the vendor's pagination has none.
    pub(super) fn without_sizes(&self) -> Option<Outcome> {
        self.paging.sized().is_none().then(|| {
            Outcome::not_applicable(format!(
                "its pagination ({}) has no page-size parameter",
                self.paging.kind.as_str()
            ))
        })
    }

    /// SKIP for a check of what `kinds` of pagination alone have.
    pub(super) fn unless(&self, kinds: &[PagingKind], what: &str) -> Option<Outcome> {
        (!kinds.contains(&self.paging.kind))
            .then(|| Outcome::not_applicable(format!("its pagination ({}) has no {what}", self.paging.kind.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn prime_sizes_avoid_the_default_and_the_maximum() {
        assert_eq!(prime_size(50, 500), Some(7));
        assert_eq!(prime_size(7, 500), Some(3));
        assert_eq!(prime_size(50, 5), Some(3));
        assert_eq!(prime_size(2, 2), None);
        assert_eq!(prime_above(20, 50, 500), Some(23));
        assert_eq!(prime_above(22, 23, 500), Some(29));
        assert_eq!(prime_above(500, 50, 500), None);
    }
}
