//! The vendor API of CONTRACT.md §1–§9 under `/api/v1`, with the response-shaping faults.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use contract::{
    Account, ErrorBody, EventData, EventFamily, EventTypeCatalog, EventTypeInfo, PageParamError, PageRequest,
    Pagination, PingAccepted, PingData, SchemaId, Secret, Webhook, WebhookCreate, WebhookCreated, WebhookList,
    WebhookStatus,
};
use rand::seq::SliceRandom;
use serde_json::{Value, json};

use crate::auth::AccountCtx;
use crate::config::{OverMax, PastEnd};
use crate::events;
use crate::fault::Fault;
use crate::fleet::{DeviceJson, Fleet, Kind};
use crate::state::{AppState, WebhookRec, random_token};
use crate::targets::validate_target;

/// A JSON error body with its status: every 4xx and 5xx of the mock looks like this.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(ErrorBody::new(code, message))).into_response()
}

/// The account endpoint of each shape (canonical, cursor, link).
const ACCOUNT_PATHS: [&str; 3] = ["/api/v1/account", "/api/v3/users/self", "/api/v1/organization"];

/// The `account-not-json` fault: a successful account answer is an HTML page, so it returns none
/// of ACC-1's `{"account_id", "name"}` (a JSON body under another label breaks nothing).
pub async fn not_json_fault(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let account = ACCOUNT_PATHS.contains(&req.uri().path());
    let response = next.run(req).await;
    if account && response.status().is_success() && state.has(Fault::AccountNotJson) {
        let html = "<html><body><h1>Acme Security</h1></body></html>";
        return ([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    }
    response
}

/// The endpoints every shape serves alike: webhook management, ping, the event catalogue.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", routing::get(list_webhooks).post(create_webhook))
        .route("/api/v1/webhooks/{webhook_id}", routing::delete(delete_webhook))
        .route("/api/v1/webhooks/{webhook_id}/ping", routing::post(ping))
        .route("/api/v1/event-types", routing::get(event_types))
}

/// Account, sites and inventory in the contract's own shape (`Shape::Canonical`).
pub fn canonical_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/account", routing::get(account))
        .route("/api/v1/account/sites", routing::get(sites))
        .route("/api/v1/sites/{site_id}/inventory", routing::get(inventory))
}

pub(crate) type Params = Query<Vec<(String, String)>>;

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn account(State(state): State<AppState>, Extension(AccountCtx(a)): Extension<AccountCtx>) -> Response {
    let fleet = state.fleet.read().expect("fleet lock");
    let rec = &fleet.accounts[a as usize];
    let mut body = serde_json::to_value(Account { account_id: rec.id.to_string(), name: rec.name.clone() })
        .expect("account serialises");
    if state.has(Fault::AccountMissingName) {
        body.as_object_mut().expect("object").remove("name");
    }
    Json(body).into_response()
}

/// Reads page parameters, answering 400 (or the `bad-page-500` fault's 500).
fn page_request(state: &AppState, params: Result<Params, QueryRejection>) -> Result<PageRequest, Response> {
    let Ok(Query(params)) = params else {
        return Err(error_response(StatusCode::BAD_REQUEST, "invalid_parameter", "the query string cannot be read"));
    };
    let params = params.as_slice();
    let max = if state.has(Fault::NoPerPageMax) { u64::MAX } else { state.config.max_page_size() };
    // The canonical shape refuses a size over the maximum unless the vendor clamps (PAGE-5).
    let clamps = state.config.variations.over_max == OverMax::Clamp;
    let parsed =
        PageRequest::parse(param(params, "page"), param(params, "per_page"), if clamps { u64::MAX } else { max });
    parsed
        .map(|mut req| {
            req.per_page = req.per_page.min(max);
            req
        })
        .map_err(|e: PageParamError| {
            if state.has(Fault::BadPageServerError) {
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected error")
            } else {
                error_response(StatusCode::BAD_REQUEST, "invalid_parameter", &e.to_string())
            }
        })
}

/// A page past the end of a collection of `total` items, for a vendor that answers it 404 (PAGE-4
/// allows a 200 with an empty list or a 404). Page 1 of an empty collection is not past the end.
pub(crate) fn past_end(state: &AppState, req: PageRequest, total: usize) -> Option<Response> {
    let last = contract::pagination::total_pages(total as u64, req.per_page).max(1);
    (state.config.variations.past_end == PastEnd::NotFound && req.page > last)
        .then(|| error_response(StatusCode::NOT_FOUND, "not_found", "no such page"))
}

/// The item indexes of one page and its pagination block, with the pagination faults applied.
pub(crate) fn page_slice(state: &AppState, req: PageRequest, total: usize) -> (std::ops::Range<usize>, Pagination) {
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

pub(crate) fn shuffle_if_unstable<T>(state: &AppState, items: &mut [T]) {
    if state.has(Fault::UnstableOrder) && items.len() > 1 {
        items.shuffle(&mut rand::thread_rng());
    }
}

async fn sites(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    params: Result<Params, QueryRejection>,
) -> Response {
    let req = match page_request(&state, params) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let fleet = state.fleet.read().expect("fleet lock");
    let all = &fleet.accounts[a as usize].sites;
    if let Some(not_found) = past_end(&state, req, all.len()) {
        return not_found;
    }
    let (range, pagination) = page_slice(&state, req, all.len());
    let mut sites: Vec<Value> = all[range].iter().map(|&s| site_value(&state, &fleet, s)).collect();
    shuffle_if_unstable(&state, &mut sites);
    Json(json!({"sites": sites, "pagination": pagination})).into_response()
}

/// A site as served, with the site faults applied.
pub(crate) fn site_value(state: &AppState, fleet: &Fleet, site: u32) -> Value {
    let mut v = serde_json::to_value(fleet.site_wire(site)).expect("site serialises");
    let obj = v.as_object_mut().expect("object");
    if state.has(Fault::SiteMissingDescriptor) {
        obj.remove("address");
        obj.remove("coordinates");
        obj.remove("timezone");
    }
    if state.has(Fault::SiteNoTimezone) {
        obj.remove("timezone");
    }
    v
}

/// The site an inventory request names, when the account may read it (ACC-2, `cross-tenant-read`).
pub(crate) fn resolve_site(state: &AppState, fleet: &Fleet, account: u16, site_id: &str) -> Option<u32> {
    if state.has(Fault::CrossTenantRead) { fleet.any_site_index(site_id) } else { fleet.site_index(account, site_id) }
}

const DEVICE_FAULTS: &[Fault] = &[
    Fault::BadStatusValue,
    Fault::BadLastSeen,
    Fault::DeviceMissingType,
    Fault::DuplicateDeviceId,
    Fault::BadMacFormat,
    Fault::DanglingParent,
    Fault::DeviceWrongSite,
    Fault::UnstableIds,
    Fault::NonUuidIds,
];

/// A device as served, with the record-level faults applied. `position` is its place in the site.
pub(crate) fn device_value(state: &AppState, fleet: &Fleet, site: u32, position: usize, idx: u32) -> Value {
    let mut v = serde_json::to_value(fleet.device_wire(idx)).expect("device serialises");
    if !DEVICE_FAULTS.iter().any(|f| state.has(*f)) {
        return v;
    }
    let obj = v.as_object_mut().expect("object");
    if state.has(Fault::DeviceMissingType) {
        obj.remove("type");
    }
    if state.has(Fault::BadStatusValue) {
        let up = obj.get("status") == Some(&json!("online"));
        obj.insert("status".into(), json!(if up { "up" } else { "down" }));
    }
    if state.has(Fault::BadLastSeen) && obj.contains_key("last_seen") {
        obj.insert("last_seen".into(), json!("yesterday"));
    }
    let site_devices = &fleet.sites[site as usize].devices;
    if state.has(Fault::DuplicateDeviceId) && position == 1 {
        obj.insert("device_id".into(), json!(fleet.devices[site_devices[0] as usize].id.to_string()));
    }
    if state.has(Fault::BadMacFormat)
        && let Some(Value::String(mac)) = obj.get("mac_address")
    {
        let bad = mac.replace(':', "").to_uppercase();
        obj.insert("mac_address".into(), json!(bad));
    }
    if state.has(Fault::DanglingParent) && obj.contains_key("parent_id") {
        obj.insert("parent_id".into(), json!("00000000-0000-4000-8000-00000000dead"));
    }
    if state.has(Fault::DeviceWrongSite) && position == 0 {
        let account = &fleet.accounts[fleet.sites[site as usize].account as usize];
        let other = account.sites.iter().find(|&&s| s != site).map(|&s| fleet.sites[s as usize].id.to_string());
        obj.insert("site_id".into(), json!(other.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())));
    }
    if state.has(Fault::UnstableIds) {
        obj.insert("device_id".into(), json!(uuid::Uuid::new_v4().to_string()));
    }
    if state.has(Fault::NonUuidIds) {
        obj.insert("device_id".into(), json!(format!("dev-{idx}")));
    }
    v
}

/// An inventory page, keys in the order a `Value` object writes them.
#[derive(serde::Serialize)]
struct InventoryPage<'a> {
    devices: Vec<DeviceJson<'a>>,
    pagination: Value,
}

/// Sized for the page up front: axum's `Json` grows a small buffer many times over.
fn render_page(page: InventoryPage) -> bytes::Bytes {
    let mut body = Vec::with_capacity(512 * page.devices.len() + 128);
    serde_json::to_writer(&mut body, &page).expect("pages serialise");
    body.into()
}

fn json_bytes(body: bytes::Bytes) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn inventory(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    Path(site_id): Path<String>,
    params: Result<Params, QueryRejection>,
) -> Response {
    let req = match page_request(&state, params) {
        Ok(r) => r,
        Err(response) => return response,
    };
    if let Some(refused) = sync_refused(&state, a) {
        return refused;
    }
    let fleet = state.fleet.read().expect("fleet lock");
    let Some(site) = resolve_site(&state, &fleet, a, &site_id) else {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such site");
    };
    let all = &fleet.sites[site as usize].devices;
    if let Some(not_found) = past_end(&state, req, all.len()) {
        return not_found;
    }
    let (range, pagination) = page_slice(&state, req, all.len());
    let pagination = serde_json::to_value(pagination).expect("pagination serialises");
    if state.faults.is_empty() {
        // A fault-free page depends only on the site, the page and the fleet: render it once.
        let generation = state.fleet_generation.load(std::sync::atomic::Ordering::Acquire);
        let key = (site, req.page, req.per_page);
        let cached = state.page_cache.lock().expect("page cache lock").get(generation, key);
        let body = cached.unwrap_or_else(|| {
            let devices = all[range].iter().map(|&idx| DeviceJson { fleet: &fleet, idx }).collect();
            let body = render_page(InventoryPage { devices, pagination });
            state.page_cache.lock().expect("page cache lock").insert(generation, key, body.clone());
            body
        });
        return json_bytes(body);
    }
    if !DEVICE_FAULTS.iter().any(|f| state.has(*f)) {
        // The records straight from the fleet, no `Value` tree per device.
        let mut devices: Vec<DeviceJson> = all[range].iter().map(|&idx| DeviceJson { fleet: &fleet, idx }).collect();
        shuffle_if_unstable(&state, &mut devices);
        return json_bytes(render_page(InventoryPage { devices, pagination }));
    }
    let start = range.start;
    let mut devices: Vec<Value> =
        all[range].iter().enumerate().map(|(i, &d)| device_value(&state, &fleet, site, start + i, d)).collect();
    shuffle_if_unstable(&state, &mut devices);
    Json(json!({"devices": devices, "pagination": pagination})).into_response()
}

/// The `sync-needs-webhook` fault: inventory (in any shape) answers 503 until the account has a
/// webhook.
pub(crate) fn sync_refused(state: &AppState, account: u16) -> Option<Response> {
    (state.has(Fault::SyncNeedsWebhook) && !has_active_webhook(state, account))
        .then(|| error_response(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "register a webhook before syncing"))
}

fn has_active_webhook(state: &AppState, account: u16) -> bool {
    state.webhooks.lock().expect("webhooks lock").iter().any(|w| w.account == account && !w.deleted)
}

fn wire(w: &WebhookRec) -> Webhook {
    Webhook { webhook_id: w.id.clone(), name: w.name.clone(), target_url: w.target_url.clone(), status: w.status }
}

/// A webhook answer (typed, so its keys keep their order), with active webhooks shown under the
/// vendor's own status word when it has one.
fn webhook_answer(state: &AppState, status: StatusCode, body: impl serde::Serialize) -> Response {
    let Some(word) = &state.config.variations.webhook_status else {
        return (status, Json(body)).into_response();
    };
    fn own_word(v: &mut Value, word: &str) {
        match v {
            Value::Array(items) => items.iter_mut().for_each(|i| own_word(i, word)),
            Value::Object(obj) => {
                if obj.contains_key("webhook_id") && obj.get("status") == Some(&json!("active")) {
                    obj.insert("status".into(), json!(word));
                }
                obj.values_mut().for_each(|i| own_word(i, word));
            }
            _ => {}
        }
    }
    let mut v = serde_json::to_value(body).expect("webhooks serialise");
    own_word(&mut v, word);
    (status, Json(v)).into_response()
}

/// The webhook endpoints of a vendor that offers no webhook management (WHM-1 is a MAY): 404,
/// as any route it does not serve.
fn no_webhook_api(state: &AppState) -> Option<Response> {
    (!state.config.variations.webhook_api).then(|| error_response(StatusCode::NOT_FOUND, "not_found", "no such route"))
}

async fn list_webhooks(State(state): State<AppState>, Extension(AccountCtx(a)): Extension<AccountCtx>) -> Response {
    if let Some(not_found) = no_webhook_api(&state) {
        return not_found;
    }
    let hooks = state.webhooks.lock().expect("webhooks lock");
    let visible = hooks.iter().filter(|w| !w.deleted && (w.account == a || state.has(Fault::CrossTenantRead)));
    if state.has(Fault::SecretInList) {
        let list: Vec<WebhookCreated> =
            visible.map(|w| WebhookCreated { webhook: wire(w), secret: w.secret.clone() }).collect();
        return webhook_answer(&state, StatusCode::OK, json!({"webhooks": list}));
    }
    webhook_answer(&state, StatusCode::OK, WebhookList { webhooks: visible.map(wire).collect() })
}

/// Turns an axum body rejection into the mock's JSON error (400, 413 or 415, never a 5xx).
pub fn rejection_response(rejection: JsonRejection) -> Response {
    let status = rejection.status();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "invalid_body",
    };
    let status = if status.is_server_error() { StatusCode::BAD_REQUEST } else { status };
    error_response(status, code, &rejection.body_text())
}

async fn create_webhook(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    if let Some(not_found) = no_webhook_api(&state) {
        return not_found;
    }
    let mut body = match body {
        Ok(Json(v)) => v,
        Err(rejection) => return rejection_response(rejection),
    };
    if let Some(word) = &state.config.variations.webhook_status {
        // The vendor's own status word is required; the contract's `active` is not its word.
        if body.get("status").and_then(Value::as_str) != Some(word.as_str()) {
            let message = format!("`status` must be `{word}`");
            return error_response(StatusCode::BAD_REQUEST, "invalid_status", &message);
        }
        if let Some(obj) = body.as_object_mut() {
            obj.remove("status");
        }
    }
    if let Err(violations) = SchemaId::WebhookCreate.validate(&body) {
        let details = json!(violations.iter().map(ToString::to_string).collect::<Vec<_>>());
        let mut err = ErrorBody::new("invalid_body", "the webhook does not match webhook-create.json");
        err.details = Some(json!({"violations": details}));
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(err)).into_response();
    }
    let create: WebhookCreate = match serde_json::from_value(body) {
        Ok(c) => c,
        Err(e) => return error_response(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", &e.to_string()),
    };
    if create.name.trim().is_empty() {
        return error_response(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "`name` is empty");
    }
    if !state.has(Fault::AcceptMetadataTarget)
        && let Err(reason) = validate_target(&create.target_url, state.config.allow_private_targets)
    {
        return error_response(StatusCode::UNPROCESSABLE_ENTITY, "invalid_target_url", &reason);
    }
    let secret = if state.has(Fault::SharedSecret) {
        state.shared_secret.clone()
    } else {
        Secret::new(format!("whsec_{}", random_token(32)))
    };
    let rec = WebhookRec {
        id: uuid::Uuid::new_v4().to_string(),
        account: a,
        name: create.name,
        target_url: create.target_url,
        status: create.status.unwrap_or(WebhookStatus::Active),
        secret,
        deleted: false,
    };
    let created = WebhookCreated { webhook: wire(&rec), secret: rec.secret.clone() };
    state.webhooks.lock().expect("webhooks lock").push(rec);
    webhook_answer(&state, StatusCode::CREATED, created)
}

async fn delete_webhook(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    Path(webhook_id): Path<String>,
) -> Response {
    if let Some(not_found) = no_webhook_api(&state) {
        return not_found;
    }
    let mut hooks = state.webhooks.lock().expect("webhooks lock");
    let cross = state.has(Fault::CrossTenantRead);
    let found = hooks.iter_mut().find(|w| w.id == webhook_id && (w.account == a || cross));
    match found {
        Some(w) if !w.deleted => {
            w.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        Some(_) if state.has(Fault::DeleteTwiceServerError) => {
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", "webhook already gone")
        }
        _ => error_response(StatusCode::NOT_FOUND, "not_found", "no such webhook"),
    }
}

async fn ping(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    Path(webhook_id): Path<String>,
) -> Response {
    if state.has(Fault::NoPing) || !state.config.variations.webhook_api {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such route");
    }
    let exists = state
        .webhooks
        .lock()
        .expect("webhooks lock")
        .iter()
        .any(|w| w.id == webhook_id && w.account == a && !w.deleted);
    if !exists {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such webhook");
    }
    let data = EventData::Ping(PingData { message: Some("test delivery requested through the API".into()) });
    let event_id = events::emit(&state, a, None, &data, Some(&webhook_id)).unwrap_or_default();
    (StatusCode::ACCEPTED, Json(PingAccepted { event_id })).into_response()
}

async fn event_types(State(state): State<AppState>) -> Response {
    if state.has(Fault::NoEventCatalog) || !state.config.variations.event_catalogue {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such route");
    }
    let (publishing, silent): (Vec<Kind>, Vec<Kind>) = Kind::ALL.into_iter().partition(|k| k.publishes_events());
    let names = |kinds: &[Kind]| kinds.iter().map(|k| k.as_str().to_owned()).collect::<Vec<_>>();
    let description = |f: EventFamily| match f {
        EventFamily::Health => "a device went online or offline (EVT-1)",
        EventFamily::Alarm => "an alarm or trouble condition started or cleared",
        EventFamily::Access => "access granted or denied, door forced open, door held open",
        EventFamily::Video => "recording failure, stream loss or storage issue started or cleared",
        EventFamily::Ping => "a test delivery requested through POST /webhooks/{id}/ping (WHM-4)",
    };
    let event_types = EventFamily::ALL
        .into_iter()
        .filter(|f| !state.has(Fault::NoExtraFamilies) || matches!(f, EventFamily::Health | EventFamily::Ping))
        .map(|f| EventTypeInfo {
            event_type: state.config.shape.event_type(f).to_owned(),
            description: description(f).to_owned(),
            data_schema: state
                .config
                .variations
                .family_data
                .schema(f)
                .unwrap_or_else(|| SchemaId::for_event_data(f).json().clone()),
            emitted_by: f.is_device_event().then(|| names(&publishing)),
            not_emitted_by: f.is_device_event().then(|| names(&silent)),
        })
        .collect();
    Json(EventTypeCatalog { event_types }).into_response()
}
