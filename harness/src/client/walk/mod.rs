//! The walk engine: every page of a collection, each endpoint of a union in turn, bounded in
//! pages, handed to a visitor as it comes (nothing kept); the kinds' steps are `kinds.rs`'s.

use reqwest::Method;
use serde_json::Value;
use suites::{ApiError, ApiErrorKind, Collection, Exchange, Listed, Listing, PageAsk, PageSeen, Walk, WalkEnd};

use super::VendorClient;
use super::evidence::{json_excerpt, keep_last};
use crate::profile::{ListEndpoint, RequestContext};

mod kinds;

pub use kinds::next_link;
use kinds::{PageRead, Stepper};
pub(super) use kinds::{next_named, token_text};

impl VendorClient {
    /// Walks every page of a collection (each endpoint of a union in turn), handing each to
    /// `visit` (raw records included, as the second element) and keeping nothing: the memory a
    /// walk needs is the visitor's.
    pub async fn walk_raw(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut (dyn FnMut(PageSeen, Vec<Value>) -> Walk + Send + '_),
    ) -> Result<WalkEnd, ApiError> {
        let (endpoints, request) = self.parts_read(collection).await;
        let paging = self.profile.paging();
        let p = &self.profile.pagination;
        let kind = p.kind();
        let mut end = WalkEnd { pages: 0, notes: Vec::new() };
        // The last few exchanges, for the evidence of a walk that breaks.
        let mut recent: Vec<Exchange> = Vec::new();
        let with_recent = |mut e: ApiError, mut recent: Vec<Exchange>| {
            recent.append(&mut e.exchanges);
            e.exchanges = keep_last(recent);
            e
        };
        for (part, endpoint) in endpoints.into_iter().enumerate() {
            let mut ask = PageAsk::first(&paging, per_page);
            let size = ask.size.as_ref().and_then(|s| s.parse::<u64>().ok());
            let mut stepper = Stepper::default();
            let mut index = 0u64;
            // Record-read fields no record of the endpoint has so far, and how many records
            // were seen: what is still unmatched at the end points at the profile.
            let mut unmatched: Option<Vec<(String, String)>> = None;
            let mut records = 0usize;
            let mut first_record = None;
            loop {
                index += 1;
                let (method, url, body) = match stepper.link.take() {
                    Some(url) => (Method::GET, url, None),
                    None => {
                        let probe = self.page_request(endpoint, &request, &ask);
                        let method = Method::from_bytes(probe.method.as_bytes()).unwrap_or(Method::GET);
                        (method, self.url(&probe.path, &probe.query)?, probe.body)
                    }
                };
                let (mut doc, exchange) = match self.fetch_page(method, url.clone(), body, endpoint).await {
                    Ok(ok) => ok,
                    Err(e) => return Err(with_recent(e, recent)),
                };
                // Read in place; moved out of `doc` for the visitor once the page is read.
                let items: &[Value] = doc.pointer(&endpoint.list).and_then(Value::as_array).map_or(&[], Vec::as_slice);
                let count = items.len() as u64;
                if !items.is_empty() {
                    let missing = self.profile.unmatched(items, &endpoint.fields, &request);
                    unmatched = Some(match unmatched.take() {
                        None => missing.into_iter().filter(|(f, _)| endpoint.fields[f].reads_record()).collect(),
                        Some(before) => before.into_iter().filter(|u| missing.contains(u)).collect(),
                    });
                    records += items.iter().filter(|r| r.is_object()).count();
                    first_record.get_or_insert_with(|| json_excerpt(&items[0]));
                }
                recent.push(exchange.clone());
                if recent.len() > 4 {
                    recent.remove(0);
                }
                end.pages += 1;
                let seen = self.page_seen(&doc, items, endpoint, &request, exchange, (index, part));
                let (next, total_pages, total_count) = (seen.next.clone(), seen.total_pages, seen.total_count);
                let items = match doc.pointer_mut(&endpoint.list).map(Value::take) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                };
                if visit(seen, items) == Walk::Stop {
                    self.profile_mistakes(&mut end, endpoint, &request, unmatched, records, first_record, true);
                    return Ok(end);
                }
                let page = PageRead { index, count, size, total_pages, total_count, next, url: &url };
                let more = stepper
                    .advance(self, kind, endpoint, &mut ask, page, &mut end)
                    .map_err(|e| with_recent(e, recent.clone()))?;
                if !more {
                    break;
                }
                if end.pages >= self.limits.max_pages {
                    let reported = total_pages.map_or(String::new(), |t| format!(" (the vendor reports {t})"));
                    let message = format!("pagination did not end within {} pages{reported}", self.limits.max_pages);
                    return Err(ApiError::new(ApiErrorKind::TooManyPages, message, keep_last(recent)));
                }
            }
            self.profile_mistakes(&mut end, endpoint, &request, unmatched, records, first_record, false);
        }
        Ok(end)
    }

    /// Notes, for the walk's end, each required field the profile reads from the vendor's
    /// records that no record of `endpoint` had: a pointer that matches nothing on every record
    /// is most likely the profile's mistake, not the vendor's (MAP-1).
    #[allow(clippy::too_many_arguments)]
    fn profile_mistakes(
        &self,
        end: &mut WalkEnd,
        endpoint: &ListEndpoint,
        request: &RequestContext,
        unmatched: Option<Vec<(String, String)>>,
        records: usize,
        first_record: Option<String>,
        stopped: bool,
    ) {
        let kind = if request.site_id.is_some() { "device" } else { "site" };
        let every = if stopped {
            format!("any of the {records} records walked")
        } else {
            format!("any of its {records} records")
        };
        for (field, at) in unmatched.unwrap_or_default() {
            if !crate::profile::required(kind).contains(&field.as_str()) {
                continue;
            }
            end.notes.push(format!(
                "{}: the profile reads `{field}` from {at}, which matches nothing in {every}: {} (check it with `harness probe`; a sample: {})",
                endpoint.path,
                suites::sync::PROFILE_MISTAKE,
                first_record.as_deref().unwrap_or("{}")
            ));
        }
    }

    /// Walks every page of a collection and keeps every record and exchange (the schema sync).
    pub async fn list(&self, collection: &Collection) -> Result<Listing, ApiError> {
        let mut listing = Listing::default();
        let end = self
            .walk_raw(collection, None, &mut |seen, raws| {
                let index = listing.exchanges.len();
                listing.records.extend(seen.records.into_iter().zip(raws).map(|(record, raw)| Listed {
                    record,
                    raw,
                    page: index,
                }));
                listing.exchanges.push(seen.exchange);
                Walk::Continue
            })
            .await?;
        listing.notes = end.notes;
        Ok(listing)
    }
}
