//! The `canonical` shape: account, sites and inventory as CONTRACT.md §1–§4 write them. An
//! inventory page without record faults is its devices' ready bytes ([`crate::blocks`]) in the
//! envelope (issue 18's serving figures; `BENCHMARKS.md`); a fault-free one asked again comes
//! from the page cache (`state::PageCache`).

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use contract::{PageParamError, PageRequest};
use serde_json::{Value, json};

use super::serve::ready_items;
use crate::answer::{self, page_limit, page_refused};
use crate::auth::AccountCtx;
use crate::blocks::{ITEMS_MARK, Which, splice};
use crate::config::{OverMax, Shape};
use crate::error::error_response;
use crate::fleet::DeviceJson;
use crate::records::devices_faulted;
use crate::state::AppState;

type Params = Query<Vec<(String, String)>>;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/account", routing::get(account))
        .route("/api/v1/account/sites", routing::get(sites))
        .route("/api/v1/sites/{site_id}/inventory", routing::get(inventory))
}

async fn account(State(state): State<AppState>, Extension(AccountCtx(a)): Extension<AccountCtx>) -> Response {
    answer::account(&state, a, |v| v)
}

/// Reads `page` and `per_page`, answering 400 (or the `bad-page-500` fault's 500).
fn page_request(state: &AppState, params: Result<Params, QueryRejection>) -> Result<PageRequest, Response> {
    let Ok(Query(params)) = params else {
        return Err(error_response(StatusCode::BAD_REQUEST, "invalid_parameter", "the query string cannot be read"));
    };
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let max = page_limit(state);
    // The canonical shape refuses a size over the maximum unless the vendor clamps (PAGE-5).
    let clamps = state.config.variations.over_max == OverMax::Clamp;
    PageRequest::parse(param("page"), param("per_page"), if clamps { u64::MAX } else { max })
        .map(|req| PageRequest { per_page: req.per_page.min(max), ..req })
        .map_err(|e: PageParamError| page_refused(state, &e))
}

async fn sites(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    params: Result<Params, QueryRejection>,
) -> Response {
    match page_request(&state, params).and_then(|req| answer::sites(&state, a, req)) {
        Ok(page) => Json(json!({"sites": page.site_values(&state), "pagination": page.pagination})).into_response(),
        Err(refused) => refused,
    }
}

/// An inventory page, keys in the order a `Value` object writes them.
#[derive(serde::Serialize)]
struct InventoryPage<'a> {
    devices: Vec<DeviceJson<'a>>,
    pagination: Value,
}

async fn inventory(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    Path(site_id): Path<String>,
    params: Result<Params, QueryRejection>,
) -> Response {
    let page = match page_request(&state, params)
        .and_then(|req| answer::devices(&state, a, &site_id, req, Which::All, "site"))
    {
        Ok(page) => page,
        Err(refused) => return refused,
    };
    let pagination = serde_json::to_value(page.pagination).expect("pagination serialises");
    if devices_faulted(&state) {
        return Json(json!({"devices": page.device_values(&state), "pagination": pagination})).into_response();
    }
    let json = [(header::CONTENT_TYPE, "application/json")];
    // A fault-free page depends only on the site, the page and the fleet: a client asking it
    // again gets it from the page cache (off with the ready bytes, so tests can compare).
    let cacheable = state.faults.is_empty() && state.blocks.enabled();
    let generation = state.fleet_generation.load(std::sync::atomic::Ordering::Acquire);
    let key = (page.site, page.req.page, page.req.per_page);
    // `try_lock`: a cache must not make a request wait (on two busy cores its holder is often
    // preempted); taken, it is a miss, and the page is assembled from the blocks.
    let cached = cacheable.then(|| state.page_cache.try_lock().ok()?.get(generation, key)).flatten();
    if let Some(pieces) = cached {
        return (json, Body::new(pieces)).into_response();
    }
    if let Some(items) = ready_items(&state, &page, Shape::Canonical, Which::All) {
        let pieces = splice(&json!({"devices": ITEMS_MARK, "pagination": pagination}), items);
        if cacheable && let Ok(mut cache) = state.page_cache.try_lock() {
            cache.insert(generation, key, pieces.clone());
        }
        return (json, Body::new(pieces)).into_response();
    }
    // The records straight from the fleet, no `Value` tree per device; sized for the page up
    // front (axum's `Json` grows a small buffer many times over).
    let devices: Vec<DeviceJson> = page.items.iter().map(|&(_, idx)| DeviceJson { fleet: &page.fleet, idx }).collect();
    let mut body = Vec::with_capacity(512 * devices.len() + 128);
    serde_json::to_writer(&mut body, &InventoryPage { devices, pagination }).expect("pages serialise");
    (json, body).into_response()
}
