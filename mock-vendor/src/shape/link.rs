//! The `link` shape (Cisco Meraki): root JSON arrays, `perPage`/`startingAfter` with the next
//! page in an RFC 5988 `Link` header, no totals, devices named by `serial`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use contract::{EventFamily, PageRequest};
use serde_json::{Map, Value, json};

use super::{Slice, epoch, page_request, page_token, rename, site, slice, vocab};
use crate::api::{Params, device_value, error_response, resolve_site, shuffle_if_unstable, site_value, sync_refused};
use crate::auth::AccountCtx;
use crate::fault::Fault;
use crate::state::AppState;

const SIZE: &str = "perPage";
const TOKEN: &str = "startingAfter";

const STATUS: &[(&str, &str)] =
    &[("online", "online"), ("offline", "offline"), ("degraded", "alerting"), ("unknown", "dormant")];

const PRODUCT_TYPE: &[(&str, &str)] = &[
    ("camera", "camera"),
    ("nvr", "recorder"),
    ("access_panel", "accessPanel"),
    ("door", "door"),
    ("reader", "reader"),
    ("intrusion_panel", "intrusionPanel"),
    ("sensor", "sensor"),
];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organization", routing::get(organization))
        .route("/api/v1/networks", routing::get(networks))
        .route("/api/v1/networks/{site_id}/devices", routing::get(devices))
}

pub(super) fn event_type(family: EventFamily) -> &'static str {
    match family {
        EventFamily::Health => "deviceStatusChanged",
        EventFamily::Alarm => "alarm",
        EventFamily::Access => "accessEvent",
        EventFamily::Video => "videoEvent",
        EventFamily::Ping => "webhookTest",
    }
}

async fn organization(State(state): State<AppState>, Extension(AccountCtx(a)): Extension<AccountCtx>) -> Response {
    let fleet = state.fleet.read().expect("fleet lock");
    let rec = &fleet.accounts[a as usize];
    let mut body = json!({"id": rec.id.to_string(), "name": rec.name});
    if state.has(Fault::AccountMissingName) {
        body.as_object_mut().expect("object").remove("name");
    }
    Json(body).into_response()
}

/// The `Link` header of a page: `rel=first` always, `rel=next` while a next page exists. URLs are
/// absolute, built from the request's `Host`, and name the page size actually used.
fn link_header(headers: &HeaderMap, uri: &Uri, req: PageRequest, page: &Slice) -> Option<HeaderValue> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let base = format!("http://{host}{}?{SIZE}={}", uri.path(), req.per_page);
    let mut links = vec![format!("<{base}>; rel=first")];
    if let Some(next) = page.next {
        links.push(format!("<{base}&{TOKEN}={}>; rel=next", page_token(next)));
    }
    HeaderValue::from_str(&links.join(", ")).ok()
}

/// A root array with its `Link` header.
fn answer(headers: &HeaderMap, uri: &Uri, req: PageRequest, page: &Slice, items: Vec<Value>) -> Response {
    let mut response = Json(items).into_response();
    if let Some(link) = link_header(headers, uri, req, page) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

async fn networks(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    headers: HeaderMap,
    uri: Uri,
    params: Result<Params, QueryRejection>,
) -> Response {
    let req = match page_request(&state, params, SIZE, TOKEN) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let fleet = state.fleet.read().expect("fleet lock");
    let all = &fleet.accounts[a as usize].sites;
    if let Some(not_found) = crate::api::past_end(&state, req, all.len()) {
        return not_found;
    }
    let page = slice(&state, req, all.len());
    let mut items: Vec<Value> = all[page.range.clone()].iter().map(|&s| site(site_value(&state, &fleet, s))).collect();
    shuffle_if_unstable(&state, &mut items);
    answer(&headers, &uri, req, &page, items)
}

async fn devices(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    Path(site_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    params: Result<Params, QueryRejection>,
) -> Response {
    let req = match page_request(&state, params, SIZE, TOKEN) {
        Ok(r) => r,
        Err(response) => return response,
    };
    if let Some(refused) = sync_refused(&state, a) {
        return refused;
    }
    let fleet = state.fleet.read().expect("fleet lock");
    let Some(site) = resolve_site(&state, &fleet, a, &site_id) else {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such network");
    };
    let all = &fleet.sites[site as usize].devices;
    if let Some(not_found) = crate::api::past_end(&state, req, all.len()) {
        return not_found;
    }
    let page = slice(&state, req, all.len());
    let start = page.range.start;
    let mut items: Vec<Value> = all[page.range.clone()]
        .iter()
        .enumerate()
        .map(|(i, &d)| device(device_value(&state, &fleet, site, start + i, d)))
        .collect();
    shuffle_if_unstable(&state, &mut items);
    answer(&headers, &uri, req, &page, items)
}

/// A canonical device in this shape.
fn device(v: Value) -> Value {
    let Value::Object(mut src) = v else { return v };
    let mut out = Map::new();
    rename(&mut src, &mut out, "device_id", "serial", |v| v);
    rename(&mut src, &mut out, "name", "name", |v| v);
    rename(&mut src, &mut out, "type", "productType", |v| vocab(v, PRODUCT_TYPE));
    rename(&mut src, &mut out, "site_id", "network", |v| json!({"id": v}));
    rename(&mut src, &mut out, "account_id", "organizationId", |v| v);
    rename(&mut src, &mut out, "status", "status", |v| vocab(v, STATUS));
    rename(&mut src, &mut out, "mac_address", "mac", |v| v);
    rename(&mut src, &mut out, "ip", "lanIp", |v| v);
    rename(&mut src, &mut out, "hostname", "hostname", |v| v);
    rename(&mut src, &mut out, "site_name", "networkName", |v| v);
    rename(&mut src, &mut out, "last_seen", "lastReportedAt", |v| epoch(v, 1000));
    rename(&mut src, &mut out, "model", "model", |v| v);
    rename(&mut src, &mut out, "firmware_version", "firmware", |v| v);
    rename(&mut src, &mut out, "parent_id", "parentSerial", |v| v);
    out.extend(src);
    Value::Object(out)
}

/// A canonical event body in this shape.
pub(super) fn event(mut src: Map<String, Value>) -> Value {
    let family = src.get("event_type").and_then(Value::as_str).and_then(EventFamily::parse);
    let mut out = Map::new();
    rename(&mut src, &mut out, "event_id", "alertId", |v| v);
    rename(&mut src, &mut out, "event_type", "alertType", |v| match family {
        Some(f) => Value::from(event_type(f)),
        None => v,
    });
    rename(&mut src, &mut out, "device_id", "deviceSerial", |v| v);
    rename(&mut src, &mut out, "account_id", "organizationId", |v| v);
    rename(&mut src, &mut out, "site_id", "networkId", |v| v);
    rename(&mut src, &mut out, "timestamp", "occurredAt", |v| v);
    rename(&mut src, &mut out, "data", "alertData", |mut data| {
        if family == Some(EventFamily::Health)
            && let Some(obj) = data.as_object_mut()
        {
            for key in ["status", "previous_status"] {
                if let Some(v) = obj.remove(key) {
                    obj.insert(key.to_owned(), vocab(v, STATUS));
                }
            }
        }
        data
    });
    out.extend(src);
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_renamed_and_faulted_values_pass_through() {
        let canonical = json!({
            "device_id": "d", "name": "Panel", "type": "access_panel", "site_id": "s", "status": "unknown",
            "account_id": "a", "mac_address": "00:0f:e5:14:b2:1e", "ip": "10.0.0.2", "hostname": "h",
            "site_name": "S", "last_seen": "1970-01-01T00:00:01.500Z", "model": "m",
            "firmware_version": "1.0", "parent_id": "p"
        });
        assert_eq!(
            device(canonical),
            json!({
                "serial": "d", "name": "Panel", "productType": "accessPanel", "network": {"id": "s"},
                "organizationId": "a", "status": "dormant", "mac": "00:0f:e5:14:b2:1e", "lanIp": "10.0.0.2",
                "hostname": "h", "networkName": "S", "lastReportedAt": 1, "model": "m", "firmware": "1.0",
                "parentSerial": "p"
            })
        );
        assert_eq!(
            device(json!({"status": "down", "last_seen": "yesterday"})),
            json!({"status": "down", "lastReportedAt": "yesterday"})
        );
    }

    #[test]
    fn health_events_use_this_vocabulary() {
        let health = json!({"event_id": "e", "event_type": "health", "device_id": "d", "timestamp": "t",
            "account_id": "a", "site_id": "s", "data": {"status": "degraded", "previous_status": "online"}});
        assert_eq!(
            event(health.as_object().unwrap().clone()),
            json!({"alertId": "e", "alertType": "deviceStatusChanged", "deviceSerial": "d", "organizationId": "a",
                "networkId": "s", "occurredAt": "t", "alertData": {"status": "alerting", "previous_status": "online"}})
        );
    }
}
