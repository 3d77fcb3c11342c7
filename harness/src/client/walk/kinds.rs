//! The pagination kinds' steps, one place for all of them: where a page names the next one, and
//! where a walk goes after a page. A new kind is its `PaginationProfile` variant, its
//! `PagingKind`, and its arms here; the engine (`walk/mod.rs`) knows no kind.

use std::collections::HashSet;

use reqwest::Url;
use serde_json::Value;
use suites::{ApiError, Exchange, PageAsk, PagingKind, WalkEnd};

use crate::client::VendorClient;
use crate::profile::{ListEndpoint, PaginationProfile};

/// The next page an answer names: a cursor's token, a `rel=next` link; `None` for the other kinds.
pub(in crate::client) fn next_named(p: &PaginationProfile, doc: &Value, exchange: &Exchange) -> Option<String> {
    match p.kind() {
        PagingKind::Cursor => p.token().and_then(|(_, ptr)| doc.pointer(ptr)).and_then(token_text),
        PagingKind::LinkHeader => exchange.response_header("link").and_then(next_link),
        PagingKind::Page | PagingKind::Offset | PagingKind::None => None,
    }
}

/// What a walk knows of the page it just read, for the step to the next.
pub(super) struct PageRead<'a> {
    pub index: u64,
    /// How many records the page listed.
    pub count: u64,
    /// The page size asked for, when the walk asks one.
    pub size: Option<u64>,
    pub total_pages: Option<u64>,
    pub total_count: Option<u64>,
    pub next: Option<String>,
    /// The page's URL (a `rel=next` link resolves against it).
    pub url: &'a Url,
}

/// One endpoint's walk as the kinds step it: what the next request asks, or the link it follows.
#[derive(Default)]
pub(super) struct Stepper {
    /// A `rel=next` link to follow as is instead of building the next request.
    pub link: Option<Url>,
    /// Items listed so far (offset).
    offset: u64,
    /// Next-page names seen so far (cursor, link): one named twice is a loop.
    nexts: HashSet<String>,
}

impl Stepper {
    /// Sets up the next request after `page` and says whether there is one; notes why a walk
    /// stopped early in `end`. An `Err` is a next page the harness refuses to ask.
    pub fn advance(
        &mut self,
        client: &VendorClient,
        kind: PagingKind,
        endpoint: &ListEndpoint,
        ask: &mut PageAsk,
        page: PageRead<'_>,
        end: &mut WalkEnd,
    ) -> Result<bool, ApiError> {
        let PageRead { index, count, size, total_pages, total_count, next, url } = page;
        Ok(match kind {
            PagingKind::None => false,
            PagingKind::Page => match total_pages {
                Some(total_pages) => {
                    ask.position = Some((index + 1).to_string());
                    index < total_pages && count > 0
                }
                None => {
                    end.notes.push(format!("page {index} has no total page count; the walk stopped there"));
                    false
                }
            },
            PagingKind::Offset => {
                self.offset += count;
                let short = size.is_some_and(|s| count < s);
                let all = total_count.is_some_and(|t| self.offset >= t);
                ask.position = Some(self.offset.to_string());
                count > 0 && !short && !all
            }
            PagingKind::Cursor | PagingKind::LinkHeader => match next {
                None => false,
                // Every page up to here was walked once: what they listed stands, and
                // pagination.next-chain judges the loop.
                Some(next) if !self.nexts.insert(next.clone()) => {
                    end.notes.push(format!(
                        "{}: page {index} names `{next}` as its next page, which an earlier page named already; the chain loops, so the walk stopped there (see pagination.next-chain)",
                        endpoint.path
                    ));
                    false
                }
                Some(next) if kind == PagingKind::Cursor => {
                    ask.token = Some(next);
                    true
                }
                Some(next) => {
                    self.link = Some(client.same_origin(url, &next)?);
                    true
                }
            },
        })
    }
}

/// A next-page token as text: `None` for null, empty or missing (the end marker).
pub(in crate::client) fn token_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `rel=next` target of an RFC 8288 (5988) `Link` header value.
pub fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |n| close + n);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r.eq_ignore_ascii_case("next")))
                .unwrap_or(false)
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}
