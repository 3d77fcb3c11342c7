//! The checks that judge the survey's walks: complete walk, totals and page sizes (PAGE-1, PAGE-2),
//! next-page chains (PAGE-1) and stable order (PAGE-6).

use super::findings::{CheckFindings, example_exchange, sizes_walked, subject_of};
use super::survey::{MaxFrom, Role, with_survey};
use super::tally::Flaw;
use super::walked::Walked;
use super::{PAGE_1, PAGE_2, PAGE_6, id_field, size_shown};
use crate::context::{ApiError, ApiErrorKind, Context, PagingKind};
use crate::outcome::{Exchange, Outcome};

/// PAGE-1: every walk, at every page size, lists each item once and as many as `total_count`.
pub async fn complete_walk(cx: &Context) -> Outcome {
    with_survey(cx, async |survey| {
        let mut v = CheckFindings::default();
        let (mut walks, mut items) = (0, 0);
        for note in &survey.notes {
            v.note(note.clone());
        }
        for s in &survey.collections {
            for w in &s.walks {
                match &w.result {
                    Ok(walked) => {
                        walks += 1;
                        items += walked.items();
                        v.flaws(walked, &[Flaw::Duplicate, Flaw::Count]);
                        walked.notes().iter().for_each(|n| v.note(n.clone()));
                    }
                    // Walks at other sizes are pagination.page-sizes' to report.
                    Err(e) if matches!(w.role, Role::Default | Role::Again) => {
                        v.api_error(subject_of(s, w), "the walk failed", e)
                    }
                    Err(_) => {}
                }
            }
        }
        v.finish(
            PAGE_1,
            "walking pages 1..total_pages lists every item exactly once, as many as `total_count`",
            format!(
                "{walks} walks of {} collections at per_page {} listed {items} items, each once, as many as `total_count`",
                survey.collections.len(),
                sizes_walked(survey)
            ),
            "walk problems",
            example_exchange(survey),
        )
    })
    .await
}

/// PAGE-2: `total_pages` = ceil(`total_count` / `per_page`), the same on every page; every
/// page but the last is full.
pub async fn totals(cx: &Context) -> Outcome {
    with_survey(cx, async |survey| {
        if !(survey.paging.total_count || survey.paging.total_pages) {
            return Outcome::not_applicable(format!("its pagination ({}) reports no totals", survey.paging.kind.as_str()));
        }
        let mut v = CheckFindings::default();
        let mut pages = 0;
        for walked in survey.collections.iter().flat_map(|s| &s.walks).filter_map(|w| w.result.as_ref().ok()) {
            pages += walked.pages;
            v.flaws(walked, &[Flaw::NoTotalPages, Flaw::NotCeil, Flaw::TotalsChanged, Flaw::NotFull]);
        }
        if pages == 0 {
            return Outcome::skip("no walk completed, so no totals were seen (see pagination.complete-walk)");
        }
        v.finish(
            PAGE_2,
            "`total_pages` = ceil(`total_count` / `per_page`) and the same on every page; every page but the last is full",
            format!("{pages} pages agreed on their totals, and every page but the last was full"),
            "pagination-block problems",
            example_exchange(survey),
        )
    })
    .await
}

/// Up to three items of `ids` by name (or as many as the walks kept names for).
pub(super) fn some_names(ids: &[u128], named_by: &[&Walked], noun: &str) -> String {
    let names: Vec<String> = ids
        .iter()
        .filter_map(|id| named_by.iter().find_map(|w| w.name(id)))
        .take(3)
        .map(|n| format!("{noun} {n}"))
        .collect();
    if names.is_empty() { String::new() } else { format!(" (e.g. {})", names.join(", ")) }
}

/// Items of sorted `a` not in sorted `b`.
pub(super) fn sorted_difference(a: &[u128], b: &[u128]) -> Vec<u128> {
    a.iter().filter(|id| b.binary_search(id).is_err()).copied().collect()
}

/// PAGE-1: walks at page sizes 1, a prime, the default and the maximum list the same items.
pub async fn page_sizes(cx: &Context) -> Outcome {
    with_survey(cx, async |survey| {
        if let Some(skip) = survey.without_sizes() {
            return skip;
        }
        let mut v = CheckFindings::default();
        let mut compared = 0;
        for s in &survey.collections {
            s.notes.iter().for_each(|n| v.note(n.clone()));
            let Some(base) = s.walked(Role::Default) else {
                v.note(format!("{}: no walk at the default page size completed (see pagination.complete-walk)", s.label()));
                continue;
            };
            let base_set = base.set();
            if let Some(again) = s.walked(Role::Again)
                && again.set() != base_set
            {
                v.note(format!(
                    "{}: not compared: two walks at the default page size listed different items, so the collection or its ids changed between walks (ID-1, see schema.stable-ids)",
                    s.label()
                ));
                continue;
            }
            let noun = id_field(&s.collection).1;
            for w in s.walks.iter().filter(|w| matches!(w.role, Role::One | Role::Prime | Role::Max)) {
                let walked = match &w.result {
                    Ok(walked) => walked,
                    Err(e)
                        if w.role == Role::Max
                            && w.served == 0
                            && s.max.is_some_and(|m| m.1 == MaxFrom::Contract)
                            && refused_first_page(e) =>
                    {
                        v.note(format!(
                            "{}: per_page {} (the contract's documented maximum) was refused with a 4xx and the vendor reports no clamp of its own, so no larger page size was walked",
                            s.label(),
                            w.per_page.unwrap_or_default()
                        ));
                        continue;
                    }
                    // PAGE-3 lets a vendor refuse sizes it does not take with a 4xx (VENDOR-SHAPES:
                    // Meraki documents a `perPage` range): a refused first page is its minimum, not a
                    // broken walk. A refusal after pages were served stays a failure.
                    Err(e) if matches!(w.role, Role::One | Role::Prime) && w.served == 0 && refused_first_page(e) => {
                        let size = w.per_page.unwrap_or_default();
                        v.note(format!(
                            "{}: the vendor refuses per_page={size} with a 4xx: below its minimum page size, which PAGE-3 allows, so no walk at per_page {size} was compared",
                            s.label()
                        ));
                        continue;
                    }
                    Err(e) => {
                        v.api_error(subject_of(s, w), "the walk failed", e);
                        continue;
                    }
                };
                compared += 1;
                let set = walked.set();
                let missing = sorted_difference(&base_set, &set);
                let extra = sorted_difference(&set, &base_set);
                if missing.is_empty() && extra.is_empty() {
                    continue;
                }
                let named_by = [base.as_ref(), walked.as_ref()];
                let message = format!(
                    "listed {} distinct items where the walk at {} listed {}: {} missing{}, {} not listed at the default size{}",
                    set.len(),
                    size_shown(base.requested),
                    base_set.len(),
                    missing.len(),
                    some_names(&missing, &named_by, noun),
                    extra.len(),
                    some_names(&extra, &named_by, noun)
                );
                let exchanges: Vec<&Exchange> = walked.exchanges().into_iter().chain(base.first.as_ref()).collect();
                v.finding(subject_of(s, w), message, &exchanges);
            }
        }
        if compared == 0 && v.evidence.total_findings == 0 && v.errors.is_empty() {
            let mut skip = Outcome::skip("no collection was walked at a second page size that could be compared");
            skip.evidence.notes = v.evidence.notes;
            return skip;
        }
        v.finish(
            PAGE_1,
            "walks at per_page 1, a prime, the default and the maximum list the same items",
            format!("{compared} walks at per_page {} listed the same items as the default page size", sizes_walked(survey)),
            "page sizes listing different items",
            example_exchange(survey),
        )
    })
    .await
}

/// A walk refused on its first page with a 4xx: the vendor's limit, not a broken walk.
pub(super) fn refused_first_page(e: &ApiError) -> bool {
    e.kind == crate::context::ApiErrorKind::Status
        && e.exchanges.len() == 1
        && e.exchanges[0].status.is_some_and(|s| (400..500).contains(&s))
}

/// PAGE-1 for chained pagination (cursor tokens, `Link: rel=next`): no page names a next page
/// the walk was already sent to, and every chain ends with its end marker (a null, empty or
/// missing token; no `rel=next`) within the page-count guard.
pub async fn next_chain(cx: &Context) -> Outcome {
    with_survey(cx, async |survey| {
        if let Some(skip) = survey.unless(&[PagingKind::Cursor, PagingKind::LinkHeader], "next-page chain") {
            return skip;
        }
        let mut v = CheckFindings::default();
        let (mut walks, mut pages) = (0, 0);
        for s in &survey.collections {
            for w in &s.walks {
                match &w.result {
                    Ok(walked) => {
                        walks += 1;
                        pages += walked.pages;
                        v.flaws(walked, &[Flaw::Loop]);
                    }
                    Err(e) if e.kind == ApiErrorKind::TooManyPages => {
                        v.api_error(subject_of(s, w), "the chain did not end", e)
                    }
                    Err(_) => {}
                }
            }
        }
        if walks == 0 && v.evidence.total_findings == 0 {
            return Outcome::skip("no walk completed (see pagination.complete-walk)");
        }
        let marker = if survey.paging.kind == PagingKind::Cursor {
            "a null, empty or missing next-page token"
        } else {
            "a last page without `rel=next`"
        };
        v.finish(
            PAGE_1,
            &format!("each page names a page not yet walked as its next, and the chain ends with {marker}"),
            format!("{walks} walks followed {pages} pages; no chain looped, and each ended with {marker}"),
            "chains that loop or do not end",
            example_exchange(survey),
        )
    })
    .await
}

/// PAGE-6: two walks at the default page size, with the other walks in between, list items in
/// the same order.
pub async fn stable_order(cx: &Context) -> Outcome {
    with_survey(cx, async |survey| {
        let mut v = CheckFindings::default();
        let mut compared = 0;
        for s in &survey.collections {
            let (Some(first), Some(again)) = (s.walked(Role::Default), s.walked(Role::Again)) else {
                v.note(format!("{}: not compared: a walk did not complete (see pagination.complete-walk)", s.label()));
                continue;
            };
            if first.multiset() != again.multiset() {
                v.note(format!(
                    "{}: not compared: the two walks listed different items, so the collection or its ids changed between them (ID-1, see schema.stable-ids)",
                    s.label()
                ));
                continue;
            }
            compared += 1;
            if again.count(Flaw::Order) > 0 {
                v.flaws(again, &[Flaw::Order]);
                for e in first.exchanges() {
                    v.evidence.push_exchange(e);
                }
            }
        }
        if compared == 0 && v.evidence.total_findings == 0 {
            let mut skip =
                Outcome::skip("no collection was walked twice with the same items, so no order could be compared");
            skip.evidence.notes = v.evidence.notes;
            return skip;
        }
        v.finish(
            PAGE_6,
            "two walks with no change in between list the items in the same order",
            format!("{compared} collections listed their items in the same order on two walks"),
            "collections whose order changed between two walks",
            example_exchange(survey),
        )
    })
    .await
}
