//! What an account, sites or inventory request answers before a shape words it: which records a
//! page holds and what its pagination says, with every request-level and pagination fault applied
//! here and nowhere else (`records` applies the record-level ones).

use std::ops::Range;
use std::sync::RwLockReadGuard;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use contract::{PageRequest, Pagination};
use rand::seq::SliceRandom;
use serde_json::Value;

use crate::blocks::Which;
use crate::config::PastEnd;
use crate::error::error_response;
use crate::fault::Fault;
use crate::fleet::Fleet;
use crate::records::{account_value, device_value, site_value};
use crate::state::AppState;

/// The account answer of every shape (ACC-1): the account record, `shaped` into the shape's words.
pub(crate) fn account(state: &AppState, account: u16, shaped: impl FnOnce(Value) -> Value) -> Response {
    if state.has(Fault::AccountNotJson) {
        // A successful answer that is an HTML page returns none of ACC-1's `{"account_id", "name"}`
        // (a JSON body under another label would break nothing).
        let html = "<html><body><h1>Acme Security</h1></body></html>";
        return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    }
    let body = account_value(state, &state.fleet.read().expect("fleet lock"), account);
    Json(shaped(body)).into_response()
}

/// The largest page size served (PAGE-5), or none under `no-per-page-max`.
pub(crate) fn page_limit(state: &AppState) -> u64 {
    if state.has(Fault::NoPerPageMax) { u64::MAX } else { state.config.max_page_size() }
}

/// The answer to bad page parameters (PAGE-3): 400 naming the parameter, or 500 under `bad-page-500`.
pub(crate) fn page_refused(state: &AppState, why: &dyn std::fmt::Display) -> Response {
    if state.has(Fault::BadPageServerError) {
        error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected error")
    } else {
        error_response(StatusCode::BAD_REQUEST, "invalid_parameter", &why.to_string())
    }
}

/// One page of a collection, chosen as every shape serves it. It holds the fleet's read lock, so
/// what it names and what is rendered from it are one fleet generation.
pub(crate) struct Page<'a> {
    pub fleet: RwLockReadGuard<'a, Fleet>,
    pub req: PageRequest,
    /// The site of a page of devices (unused on a page of sites).
    pub site: u32,
    /// (place in the collection, record index), in the order served.
    pub items: Vec<(usize, u32)>,
    /// The canonical pagination block, `wrong-totals` applied.
    pub pagination: Pagination,
    /// The page a shape's next token or link names: the following one while there is one, and
    /// page 2 again after the last under `next-loop` (canonical pages link no next page).
    pub next: Option<u64>,
}

impl Page<'_> {
    /// The page's sites as served.
    pub fn site_values(&self, state: &AppState) -> Vec<Value> {
        self.items.iter().map(|&(_, s)| site_value(state, &self.fleet, s)).collect()
    }

    /// The page's devices as served.
    pub fn device_values(&self, state: &AppState) -> Vec<Value> {
        self.items.iter().map(|&(at, d)| device_value(state, &self.fleet, self.site, at, d)).collect()
    }
}

/// A page of an account's sites.
pub(crate) fn sites(state: &AppState, account: u16, req: PageRequest) -> Result<Page<'_>, Response> {
    let fleet = state.fleet.read().expect("fleet lock");
    let (items, pagination, next) = choose(state, req, &fleet.accounts[account as usize].sites)?;
    Ok(Page { fleet, req, site: 0, items, pagination, next })
}

/// A page of a site's devices (of the collection `which`), for an inventory request naming
/// `site_id`; `site_word` is the shape's word for a site in its 404.
pub(crate) fn devices<'a>(
    state: &'a AppState,
    account: u16,
    site_id: &str,
    req: PageRequest,
    which: Which,
    site_word: &str,
) -> Result<Page<'a>, Response> {
    if let Some(refused) = sync_refused(state, account) {
        return Err(refused);
    }
    let fleet = state.fleet.read().expect("fleet lock");
    let Some(site) = resolve_site(state, &fleet, account, site_id) else {
        return Err(error_response(StatusCode::NOT_FOUND, "not_found", &format!("no such {site_word}")));
    };
    let (items, pagination, next) = choose(state, req, which.collection(&fleet, site))?;
    Ok(Page { fleet, req, site, items, pagination, next })
}

/// The `sync-needs-webhook` fault: inventory answers 503 until the account has a webhook.
fn sync_refused(state: &AppState, account: u16) -> Option<Response> {
    let has_webhook =
        || state.webhooks.lock().expect("webhooks lock").iter().any(|w| w.account == account && !w.deleted);
    (state.has(Fault::SyncNeedsWebhook) && !has_webhook())
        .then(|| error_response(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "register a webhook before syncing"))
}

/// The site an inventory request names, when the account may read it (ACC-2, `cross-tenant-read`).
fn resolve_site(state: &AppState, fleet: &Fleet, account: u16, site_id: &str) -> Option<u32> {
    if state.has(Fault::CrossTenantRead) { fleet.any_site_index(site_id) } else { fleet.site_index(account, site_id) }
}

type Chosen = (Vec<(usize, u32)>, Pagination, Option<u64>);

/// Page `req` of `all`: a 404 past the end for a vendor that answers so (PAGE-4 allows a 200 with
/// an empty list or a 404; page 1 of an empty collection is not past the end), else its items
/// (shuffled under `unstable-order`), pagination block and next page.
fn choose(state: &AppState, req: PageRequest, all: &[u32]) -> Result<Chosen, Response> {
    let total = all.len();
    let last = contract::pagination::total_pages(total as u64, req.per_page);
    if state.config.variations.past_end == PastEnd::NotFound && req.page > last.max(1) {
        return Err(error_response(StatusCode::NOT_FOUND, "not_found", "no such page"));
    }
    let (range, pagination) = page_slice(state, req, total);
    let mut items: Vec<(usize, u32)> = range.map(|at| (at, all[at])).collect();
    if state.has(Fault::UnstableOrder) && items.len() > 1 {
        items.shuffle(&mut rand::thread_rng());
    }
    let next = if req.page < last {
        Some(req.page + 1)
    } else if state.has(Fault::NextLoop) {
        Some(2)
    } else {
        None
    };
    Ok((items, pagination, next))
}

/// The item indexes of one page and its pagination block, with the pagination faults applied.
fn page_slice(state: &AppState, req: PageRequest, total: usize) -> (Range<usize>, Pagination) {
    let mut pagination = Pagination::of(req.page, req.per_page, total as u64);
    let mut range = pagination.item_range();
    let last_page = pagination.total_pages;
    if req.page > 1 && req.page <= last_page {
        if state.has(Fault::PageDuplicateItem) {
            range = range.start - 1..if req.page == last_page { range.end } else { range.end - 1 };
        } else if state.has(Fault::PageSkipItem) {
            range = range.start + 1..range.end;
        }
    }
    if state.has(Fault::PastEndRepeats) && req.page > last_page && last_page > 0 {
        range = Pagination::of(last_page, req.per_page, total as u64).item_range();
    }
    if state.has(Fault::WrongTotals) {
        pagination.total_pages += 1;
    }
    (range, pagination)
}
