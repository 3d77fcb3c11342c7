//! The checks that send spoiled page parameters: bad values (PAGE-3), a page past the end (PAGE-4)
//! and a huge `per_page` (PAGE-5), each with the pure judgement of one answer.

use futures::future::BoxFuture;
use serde_json::Value;

use super::findings::CheckFindings;
use super::ids::hash128;
use super::survey::{MaxFrom, Role, with_survey};
use super::{HUGE_PAGE, HUGE_PER_PAGE, PAGE_3, PAGE_4, PAGE_5, id_field, label, shorten};
use crate::context::{
    ApiError, Collection, Context, PageAnswer, PageAsk, PageSeen, Paging, PagingKind, refusal_in_body,
};
use crate::outcome::Outcome;
use crate::sync::overlapped;

/// One note per distinct text, naming every collection it holds for (`sites and the
/// inventories of 4 sites: ...`), in the order the texts first came: the same words once per
/// site say nothing more.
pub(super) fn grouped_notes<'a>(notes: impl IntoIterator<Item = (&'a Collection, String)>) -> Vec<String> {
    let mut groups: Vec<(String, Vec<&Collection>)> = Vec::new();
    for (collection, text) in notes {
        match groups.iter_mut().find(|(t, _)| *t == text) {
            Some((_, members)) => members.push(collection),
            None => groups.push((text, vec![collection])),
        }
    }
    groups
        .into_iter()
        .map(|(text, members)| {
            let inventories: Vec<&Collection> =
                members.iter().copied().filter(|c| matches!(c, Collection::Inventory { .. })).collect();
            let mut names: Vec<String> =
                members.iter().filter(|c| matches!(c, Collection::Sites)).map(|c| label(c)).take(1).collect();
            match inventories.as_slice() {
                [] => {}
                [one] => names.push(label(one)),
                many => names.push(format!("the inventories of {} sites", many.len())),
            }
            format!("{}: {text}", names.join(" and "))
        })
        .collect()
}

/// Which parameter a bad-parameter probe spoils.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// The page number (`page` kind).
    Page,
    /// The item offset (`offset` kind).
    Offset,
    /// The page size.
    PerPage,
    /// A cursor token the vendor never issued.
    Token,
}

/// A token no vendor issued (PAGE-3 for cursor pagination).
pub(super) const FORGED_TOKEN: &str = "not-a-token-the-vendor-issued";

/// The bad values sent (PAGE-3) for the vendor's kind of pagination.
pub(super) fn bad_values(paging: &Paging) -> Vec<(Param, &'static str)> {
    let mut values = match paging.kind {
        PagingKind::Page => {
            vec![(Param::Page, "0"), (Param::Page, "-1"), (Param::Page, "abc"), (Param::Page, HUGE_PAGE)]
        }
        PagingKind::Offset => vec![(Param::Offset, "-1"), (Param::Offset, "abc"), (Param::Offset, HUGE_PAGE)],
        PagingKind::Cursor => vec![(Param::Token, FORGED_TOKEN)],
        PagingKind::LinkHeader | PagingKind::None => Vec::new(),
    };
    if paging.size_param.is_some() {
        values.extend([(Param::PerPage, "0"), (Param::PerPage, "-1"), (Param::PerPage, "abc")]);
    }
    values
}

/// PAGE-3: how an answer to one bad parameter reads; `Err` says what is wrong.
pub fn judge_bad_parameter(
    param: Param,
    value: &str,
    status: u16,
    page: Option<&PageSeen>,
    max: u64,
) -> Result<String, String> {
    match status {
        400..=499 => Ok(format!("refused with {status}")),
        500..=599 => Err(format!("answered {status}: a bad parameter gets a 4xx or a visible clamp, never a 5xx")),
        200..=299 => {
            let Some(page) = page else {
                return Err(format!("answered {status}, but the body is not a page of the collection"));
            };
            match param {
                Param::Page | Param::Offset if value == HUGE_PAGE => {
                    Ok(format!("answered {status} with {} items", page.records.len()))
                }
                // An offset has no block to show a clamp in; a page of the collection is one.
                Param::Offset => Ok(format!("answered {status} with {} items", page.records.len())),
                Param::Token => Ok(format!("answered {status} with {} items", page.records.len())),
                // A vendor whose answers report no page size (cursor, Link header, offset, or a
                // profile with no `per_page` pointer) cannot show a clamp: a page no larger than
                // its maximum (declared, else seen, else the contract's), or one with more pages
                // after it, is the clamp it has.
                Param::PerPage if page.per_page.is_none() => {
                    let items = page.records.len() as u64;
                    let partial = page.next.is_some() || page.total_count.is_some_and(|t| items < t);
                    if items <= max || partial {
                        Ok(format!(
                            "answered {status} with {items} items: no page size reported, a page within the maximum of {max}"
                        ))
                    } else {
                        Err(format!(
                            "answered {status} with {items} items on one page, more than the maximum of {max}, and no `per_page` to show a clamp"
                        ))
                    }
                }
                // A vendor whose answers report no page number cannot show a clamp: a page of
                // the collection is the clamp it has.
                Param::Page if page.page.is_none() => {
                    Ok(format!("answered {status} with {} items: no page number reported", page.records.len()))
                }
                Param::Page => match page.page {
                    Some(n) if n >= 1 => Ok(format!("clamped to page {n}")),
                    other => Err(format!(
                        "answered {status} with `page` {}: no visible clamp to a page from 1",
                        other.map_or("missing".into(), |n| n.to_string())
                    )),
                },
                Param::PerPage => match page.per_page {
                    Some(n) if n >= 1 && page.records.len() as u64 <= n => Ok(format!("clamped to per_page {n}")),
                    other => Err(format!(
                        "answered {status} with `per_page` {} and {} items: no visible clamp to a page size from 1",
                        other.map_or("missing".into(), |n| n.to_string()),
                        page.records.len()
                    )),
                },
            }
        }
        _ => Err(format!("answered {status}; a bad parameter gets a 4xx or a visible clamp")),
    }
}

/// PAGE-3: `page=0`, `page=-1`, `per_page=0`, non-numeric and overflowing values get a 4xx or a
/// clamp visible in the pagination block, never a 5xx.
pub async fn bad_parameters(cx: &Context) -> Outcome {
    with_survey(cx, async |survey| {
        let paging = &survey.paging;
        let values = bad_values(paging);
        if values.is_empty() {
            return Outcome::not_applicable(format!("its pagination ({}) has no parameter to spoil", paging.kind.as_str()));
        }
        let mut v = CheckFindings::default();
        let mut sent = 0;
        let mut example_exchange = None;
        let targets = survey.probe_targets();
        // Every bad value asked of every target: each answer is judged on its own, so the requests
        // overlap, a few at a time, and are judged in this order.
        let mut asks = Vec::new();
        for _ in &targets {
            for &(param, value) in &values {
                let mut ask = PageAsk::first(paging, None);
                let name = match param {
                    Param::Page | Param::Offset => {
                        ask.position = Some(value.to_owned());
                        paging.position_param.clone()
                    }
                    Param::PerPage => {
                        ask.size = Some(value.to_owned());
                        paging.size_param.clone()
                    }
                    Param::Token => {
                        ask.token = Some(value.to_owned());
                        Some("token".to_owned())
                    }
                };
                asks.push((param, value, format!("{}={value}", name.unwrap_or_default()), ask));
            }
        }
        let mut sends: Vec<BoxFuture<'_, Result<PageAnswer, ApiError>>> = Vec::new();
        for (i, (_, _, _, ask)) in asks.iter().enumerate() {
            sends.push(Box::pin(cx.api.ask_page(&targets[i / values.len()].collection, ask)));
        }
        let mut results = overlapped(sends).await.into_iter();
        for (s, asked_of) in targets.iter().zip(asks.chunks(values.len())) {
            let max = s.max.map_or(contract::MAX_PER_PAGE, |m| m.0);
            let mut answers = Vec::new();
            for (param, value, shown, _) in asked_of {
                let subject = format!("{}, {shown}", s.label());
                sent += 1;
                match results.next().expect("one answer per request") {
                    Ok(asked) => {
                        // An error in a 200 body is this vendor's refusal (VENDOR-SHAPES.md), as a 4xx is.
                        let judged = match asked.refusal() {
                            Some(refusal) => Ok(refusal),
                            None => judge_bad_parameter(*param, value, asked.answer.status, asked.page.as_ref(), max),
                        };
                        match judged {
                            Ok(how) => answers.push(format!("{shown} → {how}")),
                            Err(wrong) => v.finding(subject, wrong, &[&asked.answer.exchange]),
                        }
                        example_exchange.get_or_insert(asked.answer.exchange);
                    }
                    Err(e) => v.api_error(subject, "the request failed", &e),
                }
            }
            if !answers.is_empty() {
                v.note(format!("{}: {}", s.label(), answers.join("; ")));
            }
        }
        v.finish(
            PAGE_3,
            "`page=0`, `page=-1`, `per_page=0`, non-numeric and overflowing values get a 4xx or a clamp visible in `pagination`, never a 5xx",
            format!("{sent} requests with bad page parameters were refused with a 4xx or clamped visibly"),
            "bad-parameter answers",
            example_exchange.as_ref(),
        )
    })
    .await
}

/// PAGE-4: how an answer to a page past the end reads; `Err` says what is wrong.
pub fn judge_past_end(status: u16, page: Option<&PageSeen>) -> Result<String, String> {
    match (status, page) {
        (404, _) => Ok("answered 404".into()),
        (200..=299, Some(p)) if p.records.is_empty() => Ok(format!("answered {status} with an empty list")),
        (200..=299, Some(p)) => {
            Err(format!("answered {status} with {} items: a page past the end holds none", p.records.len()))
        }
        (200..=299, None) => Err(format!("answered {status}, but the body is not a page of the collection")),
        _ => Err(format!("answered {status}; a page past the end answers 200 with an empty list, or 404")),
    }
}

/// PAGE-4: the page after the last answers 200 with an empty list (or 404), never a 5xx, never
/// data again.
pub async fn past_end(cx: &Context) -> Outcome {
    with_survey(cx, async |survey| {
        let keyset = survey.paging.kind.chained() && survey.paging.keyset_past_end;
        if !keyset && let Some(skip) = survey.unless(&[PagingKind::Page, PagingKind::Offset], "way to ask past the end")
        {
            return skip;
        }
        let paging = &survey.paging;
        let mut targets = survey.probe_targets();
        // An empty collection's end is page 1: its page 2 is past the end too.
        if let Some(empty) =
            survey.collections.iter().skip(1).find(|s| s.walked(Role::Default).is_some_and(|w| w.items() == 0))
        {
            targets.push(empty);
        }
        let mut v = CheckFindings::default();
        let mut answers = Vec::new();
        let mut example_exchange = None;
        for s in targets {
            let Some(base) = s.walked(Role::Default) else {
                v.note(format!("{}: not probed: its walk did not complete (see pagination.complete-walk)", s.label()));
                continue;
            };
            let per_page = base.per_page.unwrap_or(paging.size_default).max(1);
            let last = base.total_pages.unwrap_or(0).max(base.items().div_ceil(per_page)).max(1);
            let mut ask = PageAsk::first(paging, None);
            let subject = if keyset {
                // The page after the last item listed; an empty collection has none to start after.
                let Some(after) = base.last_after.clone() else {
                    v.note(format!("{}: not probed: the walk listed no item to ask for the page after", s.label()));
                    continue;
                };
                let shown = format!("{}, the page after {} (the last item listed)", s.label(), shorten(&after));
                ask.after = Some(after);
                shown
            } else if paging.kind == PagingKind::Offset {
                let past = base.items().max(base.total_count.unwrap_or(0));
                ask.position = Some(past.to_string());
                format!("{}, offset {past} (the walk listed {} items)", s.label(), base.items())
            } else {
                let past = last + 1;
                ask.position = Some(past.to_string());
                format!("{}, page {past} (the last is {last})", s.label())
            };
            match cx.api.ask_page(&s.collection, &ask).await {
                Ok(PageAnswer { answer, page, body_error }) => {
                    let judged = match body_error {
                        Some(error) => Ok(format!("{}, this vendor's 404", refusal_in_body(answer.status, &error))),
                        None => judge_past_end(answer.status, page.as_ref()),
                    };
                    match judged {
                        Ok(how) => answers.push(format!("{subject}: {how}")),
                        Err(wrong) => {
                            let set = base.set();
                            let field = id_field(&s.collection).0;
                            let again = page.iter().flat_map(|p| &p.records).filter(|r| {
                                r.get(field)
                                    .and_then(Value::as_str)
                                    .is_some_and(|id| set.binary_search(&hash128(0, &id)).is_ok())
                            });
                            let again = again.count();
                            let wrong = if again > 0 {
                                format!("{wrong}; {again} of them were listed by the walk already")
                            } else {
                                wrong
                            };
                            let mut exchanges = vec![&answer.exchange];
                            exchanges.extend(&base.last);
                            v.finding(subject, wrong, &exchanges);
                        }
                    }
                    example_exchange.get_or_insert(answer.exchange);
                }
                Err(e) => v.api_error(subject, "the request failed", &e),
            }
        }
        answers.into_iter().for_each(|a| v.note(a));
        v.finish(
            PAGE_4,
            "a page past the end answers 200 with an empty list, or 404; never a 5xx, never repeated data",
            "every page past the end was empty or 404".into(),
            "pages past the end with data or errors",
            example_exchange.as_ref(),
        )
    })
    .await
}

/// PAGE-5: how the answer to a huge `per_page` reads, against the maximum the vendor's
/// profile declares when it declares one; `Err` says what is wrong.
pub fn judge_huge_per_page(
    status: u16,
    page: Option<&PageSeen>,
    chained: bool,
    declared: Option<u64>,
) -> Result<String, String> {
    match (status, page) {
        (400..=499, _) => Ok(format!("refused with {status}")),
        (200..=299, Some(p)) => {
            let items = p.records.len() as u64;
            match (p.per_page, declared) {
                (Some(n), Some(max)) if n < HUGE_PER_PAGE && items <= n && n > max => {
                    Err(format!("clamped to per_page {n}, above the maximum of {max} the vendor's profile declares"))
                }
                (Some(n), _) if n < HUGE_PER_PAGE && items <= n => Ok(format!("clamped to per_page {n}")),
                (Some(n), _) => Err(format!("served unclamped: `per_page` {n}, {items} items on one page")),
                // No page size in the answer: the declared maximum is what a page may hold.
                (None, Some(max)) if items <= max => {
                    Ok(format!("answered {status} with {items} items, within the maximum of {max} the vendor declares"))
                }
                (None, Some(max)) => Err(format!(
                    "answered {status} with {items} items on one page, more than the maximum of {max} the vendor's profile declares"
                )),
                // Chained pagination reports no page size: a next page shows the clamp; a last
                // page within the contract's maximum cannot show whether there is one.
                (None, None) if p.next.is_some() && items < HUGE_PER_PAGE => {
                    Ok(format!("clamped: {items} items and a next page"))
                }
                (None, None) if p.next.is_none() && chained && items <= contract::MAX_PER_PAGE => Ok(format!(
                    "answered {status} with all {items} items on one page, no more than any maximum, so a clamp could not be seen"
                )),
                (None, None) => Err(format!("answered {status} with {items} items and no `per_page` to show a clamp")),
            }
        }
        (200..=299, None) => Err(format!("answered {status}, but the body is not a page of the collection")),
        _ => Err(format!("answered {status}; a huge per_page is clamped visibly or refused with a 4xx")),
    }
}

/// PAGE-5: `per_page=1000000` is clamped (visibly in `pagination.per_page`) or refused with a 4xx.
pub async fn per_page_max(cx: &Context) -> Outcome {
    with_survey(cx, async |survey| {
        if let Some(skip) = survey.without_sizes() {
            return skip;
        }
        let mut v = CheckFindings::default();
        let mut example_exchange = None;
        for probe in &survey.huge {
            let subject = format!("{}, per_page {HUGE_PER_PAGE}", label(&probe.collection));
            match &probe.result {
                Ok(asked) => {
                    let declared = survey.paging.limits(&probe.collection).max;
                    let judged = match asked.refusal() {
                        Some(refusal) => Ok(refusal),
                        None => judge_huge_per_page(
                            asked.answer.status,
                            asked.page.as_ref(),
                            survey.paging.kind.chained(),
                            declared,
                        ),
                    };
                    match judged {
                        Ok(how) => v.note(format!("{subject}: {how}")),
                        Err(wrong) => v.finding(subject, wrong, &[&asked.answer.exchange]),
                    }
                    example_exchange.get_or_insert(&asked.answer.exchange);
                }
                Err(e) => v.api_error(subject, "the request failed", e),
            }
        }
        let maxima = survey.collections.iter().filter_map(|s| {
            let (max, from) = s.max?;
            Some((
                &s.collection,
                match from {
                    MaxFrom::Declared => format!("the vendor's declared maximum: per_page {max}"),
                    MaxFrom::Reported => format!("the vendor's maximum, as its clamp reports it: per_page {max}"),
                    MaxFrom::Contract => format!(
                        "the vendor declares and reports no maximum of its own; the walks used the contract's documented {max}"
                    ),
                },
            ))
        });
        for note in grouped_notes(maxima) {
            v.note(note);
        }
        v.finish(
            PAGE_5,
            "a huge `per_page` is clamped, visibly in `pagination.per_page`, or refused with a 4xx",
            format!("per_page {HUGE_PER_PAGE} was clamped or refused on {} collections", survey.huge.len()),
            "huge page sizes not clamped or refused",
            example_exchange,
        )
    })
    .await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pagination::tally::tests::page;

    #[test]
    fn a_note_shared_by_collections_is_said_once() {
        let inv = |id: &str| Collection::Inventory { site_id: id.into() };
        let (sites, a, b, c) = (Collection::Sites, inv("a"), inv("b"), inv("c"));
        let same = "no maximum of its own".to_owned();
        let notes = grouped_notes([
            (&sites, same.clone()),
            (&a, same.clone()),
            (&b, "declared 100".to_owned()),
            (&c, same.clone()),
        ]);
        assert_eq!(
            notes,
            ["sites and the inventories of 2 sites: no maximum of its own", "the inventory of site b: declared 100"]
        );
        assert_eq!(grouped_notes([(&a, same.clone())]), ["the inventory of site a: no maximum of its own"]);
    }

    #[test]
    fn bad_parameter_answers() {
        let clamped = page(1, &["a"], 2, 1, 1);
        assert!(judge_bad_parameter(Param::Page, "0", 400, None, 500).is_ok());
        assert!(judge_bad_parameter(Param::Page, "0", 500, None, 500).is_err());
        assert!(judge_bad_parameter(Param::Page, "0", 200, Some(&clamped), 500).is_ok());
        assert!(judge_bad_parameter(Param::Page, "0", 200, None, 500).is_err());
        let mut zero = clamped.clone();
        zero.page = Some(0);
        zero.per_page = Some(0);
        assert!(judge_bad_parameter(Param::Page, "0", 200, Some(&zero), 500).is_err());
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&zero), 500).is_err());
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&clamped), 500).is_ok());
        assert!(judge_bad_parameter(Param::Page, HUGE_PAGE, 200, Some(&zero), 500).is_ok());
        let mut numberless = clamped.clone();
        numberless.page = None;
        assert!(judge_bad_parameter(Param::Page, "0", 200, Some(&numberless), 500).is_ok(), "no page number reported");
        // No page size in the answer (offset pagination, or no `per_page` pointer): a page
        // within the maximum is the clamp the vendor cannot show; a larger one is not.
        let mut unsized_page = clamped.clone();
        unsized_page.per_page = None;
        unsized_page.total_count = None;
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&unsized_page), 500).is_ok());
        assert!(judge_bad_parameter(Param::PerPage, "-1", 200, Some(&unsized_page), 1).is_ok());
        unsized_page.records.push(json!({"site_id": "b"}));
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&unsized_page), 1).is_err());
        unsized_page.total_count = Some(5);
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&unsized_page), 1).is_ok(), "a partial page");
    }

    #[test]
    fn past_end_and_huge_answers() {
        let empty = page(9, &[], 2, 3, 2);
        let full = page(9, &["c"], 2, 3, 2);
        assert!(judge_past_end(404, None).is_ok());
        assert!(judge_past_end(200, Some(&empty)).is_ok());
        assert!(judge_past_end(200, Some(&full)).is_err());
        assert!(judge_past_end(500, None).is_err());
        assert!(judge_past_end(400, None).is_err());
        assert!(judge_huge_per_page(400, None, false, None).is_ok());
        assert!(judge_huge_per_page(500, None, false, None).is_err());
        assert!(judge_huge_per_page(200, Some(&full), false, None).is_ok());
        let mut unclamped = full.clone();
        unclamped.per_page = Some(HUGE_PER_PAGE);
        assert!(judge_huge_per_page(200, Some(&unclamped), false, None).is_err());
        unclamped.per_page = None;
        assert!(judge_huge_per_page(200, Some(&unclamped), false, None).is_err());
    }

    #[test]
    fn a_huge_per_page_is_judged_against_the_declared_maximum() {
        // Clamped to 100 by a vendor that declares 100: a clamp, not a failure to serve 500.
        let hundred = page(1, &["a"], 100, 300, 3);
        assert!(judge_huge_per_page(200, Some(&hundred), false, Some(100)).is_ok());
        // Clamped, but above what the vendor itself declares.
        let above = page(1, &["a"], 200, 300, 2);
        let err = judge_huge_per_page(200, Some(&above), false, Some(100)).unwrap_err();
        assert!(err.contains("above the maximum of 100"), "{err}");
        // No page size in the answer: the page's length against the declared maximum.
        let mut silent = page(1, &["a", "b", "c"], 0, 0, 0);
        silent.per_page = None;
        assert!(judge_huge_per_page(200, Some(&silent), false, Some(3)).is_ok());
        let err = judge_huge_per_page(200, Some(&silent), false, Some(2)).unwrap_err();
        assert!(err.contains("more than the maximum of 2"), "{err}");
        // Refused with a 4xx is always PAGE-5's other answer.
        assert!(judge_huge_per_page(422, None, true, Some(100)).is_ok());
    }
}
