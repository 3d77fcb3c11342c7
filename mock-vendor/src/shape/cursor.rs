//! The `cursor` shape (Eagle Eye Networks v3, Verkada): `pageSize`/`pageToken` cursors,
//! `results` envelopes, inventory split into cameras and other devices, camelCase records.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use contract::EventFamily;
use serde_json::{Map, Value, json};

use super::{epoch, page_request, page_token, rename, site, slice, vocab};
use crate::api::{
    Params, device_value, error_response, param, resolve_site, shuffle_if_unstable, site_value, sync_refused,
};
use crate::auth::AccountCtx;
use crate::fault::Fault;
use crate::fleet::Kind;
use crate::state::AppState;

const SIZE: &str = "pageSize";
const TOKEN: &str = "pageToken";

const STATUS: &[(&str, &str)] =
    &[("online", "online"), ("offline", "deviceOffline"), ("degraded", "error"), ("unknown", "unknown")];

const DEVICE_TYPE: &[(&str, &str)] = &[
    ("nvr", "recorder"),
    ("access_panel", "accessController"),
    ("door", "door"),
    ("reader", "cardReader"),
    ("intrusion_panel", "alarmPanel"),
    ("sensor", "sensor"),
];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/users/self", routing::get(account))
        .route("/api/v3/locations", routing::get(locations))
        .route("/api/v3/cameras", routing::get(cameras))
        .route("/api/v3/devices", routing::get(devices))
}

pub(super) fn event_type(family: EventFamily) -> &'static str {
    match family {
        EventFamily::Health => "deviceStatusUpdateEvent.v1",
        EventFamily::Alarm => "alarmEvent.v1",
        EventFamily::Access => "accessEvent.v1",
        EventFamily::Video => "videoEvent.v1",
        EventFamily::Ping => "webhookTest.v1",
    }
}

async fn account(State(state): State<AppState>, Extension(AccountCtx(a)): Extension<AccountCtx>) -> Response {
    let fleet = state.fleet.read().expect("fleet lock");
    let rec = &fleet.accounts[a as usize];
    let mut body = json!({"accountId": rec.id.to_string(), "accountName": rec.name});
    if state.has(Fault::AccountMissingName) {
        body.as_object_mut().expect("object").remove("accountName");
    }
    Json(body).into_response()
}

/// The `results` envelope of one page.
fn envelope(state: &AppState, results: Vec<Value>, page: u64, next: Option<u64>, total: usize) -> Response {
    let total = total as u64 + u64::from(state.has(Fault::WrongTotals));
    Json(json!({
        "results": results,
        "nextPageToken": next.map(page_token).unwrap_or_default(),
        "prevPageToken": if page > 1 { page_token(page - 1) } else { String::new() },
        "totalSize": total,
    }))
    .into_response()
}

async fn locations(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
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
    let mut results: Vec<Value> = all[page.range].iter().map(|&s| site(site_value(&state, &fleet, s))).collect();
    shuffle_if_unstable(&state, &mut results);
    envelope(&state, results, req.page, page.next, all.len())
}

async fn cameras(
    state: State<AppState>,
    ctx: Extension<AccountCtx>,
    params: Result<Params, QueryRejection>,
) -> Response {
    inventory(state, ctx, params, true)
}

async fn devices(
    state: State<AppState>,
    ctx: Extension<AccountCtx>,
    params: Result<Params, QueryRejection>,
) -> Response {
    inventory(state, ctx, params, false)
}

/// `/cameras` (`cameras`) or `/devices` (every other kind) of one location.
fn inventory(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    params: Result<Params, QueryRejection>,
    cameras: bool,
) -> Response {
    let location = params.as_ref().ok().and_then(|p| param(&p.0, "locationId").map(str::to_owned));
    let req = match page_request(&state, params, SIZE, TOKEN) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let Some(location) = location else {
        return error_response(StatusCode::BAD_REQUEST, "invalid_parameter", "`locationId` is required");
    };
    if let Some(refused) = sync_refused(&state, a) {
        return refused;
    }
    let fleet = state.fleet.read().expect("fleet lock");
    let Some(site) = resolve_site(&state, &fleet, a, &location) else {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such location");
    };
    let all: Vec<u32> = fleet.sites[site as usize]
        .devices
        .iter()
        .copied()
        .filter(|&d| (fleet.devices[d as usize].kind == Kind::Camera) == cameras)
        .collect();
    if let Some(not_found) = crate::api::past_end(&state, req, all.len()) {
        return not_found;
    }
    let page = slice(&state, req, all.len());
    let start = page.range.start;
    let mut results: Vec<Value> = all[page.range]
        .iter()
        .enumerate()
        .map(|(i, &d)| device(device_value(&state, &fleet, site, start + i, d), !cameras))
        .collect();
    shuffle_if_unstable(&state, &mut results);
    envelope(&state, results, req.page, page.next, all.len())
}

/// A canonical device in this shape; `typed` for `/devices` (cameras carry no type field).
fn device(v: Value, typed: bool) -> Value {
    let Value::Object(mut src) = v else { return v };
    let mut out = Map::new();
    rename(&mut src, &mut out, "device_id", "id", |v| v);
    rename(&mut src, &mut out, "name", "name", |v| v);
    match src.remove("type") {
        Some(t) if typed => {
            out.insert("deviceType".into(), vocab(t, DEVICE_TYPE));
        }
        _ => {}
    }
    rename(&mut src, &mut out, "site_id", "locationId", |v| v);
    rename(&mut src, &mut out, "account_id", "accountId", |v| v);
    rename(&mut src, &mut out, "status", "status", |v| json!({"connectionStatus": vocab(v, STATUS)}));
    let mut adapter = Map::new();
    rename(&mut src, &mut adapter, "mac_address", "macAddress", |v| v);
    rename(&mut src, &mut adapter, "ip", "ipAddress", |v| v);
    if !adapter.is_empty() {
        out.insert("networkInfo".into(), json!({"adapters": [adapter]}));
    }
    rename(&mut src, &mut out, "hostname", "hostname", |v| v);
    rename(&mut src, &mut out, "site_name", "locationName", |v| v);
    rename(&mut src, &mut out, "last_seen", "lastSeenAt", |v| epoch(v, 1));
    rename(&mut src, &mut out, "model", "model", |v| v);
    rename(&mut src, &mut out, "firmware_version", "firmwareVersion", |v| v);
    rename(&mut src, &mut out, "parent_id", "parentId", |v| v);
    out.extend(src);
    Value::Object(out)
}

/// A canonical event body in this shape.
pub(super) fn event(mut src: Map<String, Value>) -> Value {
    let family = src.get("event_type").and_then(Value::as_str).and_then(EventFamily::parse);
    let mut out = Map::new();
    rename(&mut src, &mut out, "event_id", "id", |v| v);
    rename(&mut src, &mut out, "event_type", "type", |v| match family {
        Some(f) => Value::from(event_type(f)),
        None => v,
    });
    rename(&mut src, &mut out, "device_id", "actorId", |v| v);
    rename(&mut src, &mut out, "account_id", "accountId", |v| v);
    rename(&mut src, &mut out, "site_id", "locationId", |v| v);
    rename(&mut src, &mut out, "timestamp", "startTimestamp", |v| v);
    rename(&mut src, &mut out, "data", "data", |data| match family {
        Some(EventFamily::Health) => {
            let status = data.get("status").cloned().map(|s| vocab(s, STATUS));
            let new_status = status.map_or_else(|| json!({}), |s| json!({"connectionStatus": s}));
            json!([{"type": "deviceStatusUpdate.v1", "newStatus": new_status}])
        }
        Some(EventFamily::Ping) => json!([{"type": "webhookTest.v1", "attributes": {}}]),
        Some(f) => json!([{"type": format!("{f}Details.v1"), "attributes": data}]),
        None => data,
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
            "device_id": "d", "name": "Door", "type": "door", "site_id": "s", "status": "degraded",
            "account_id": "a", "mac_address": "00:0f:e5:14:b2:1e", "ip": "10.0.0.2", "hostname": "h",
            "site_name": "S", "last_seen": "1970-01-01T00:00:01.500Z", "model": "m",
            "firmware_version": "1.0", "parent_id": "p"
        });
        assert_eq!(
            device(canonical.clone(), true),
            json!({
                "id": "d", "name": "Door", "deviceType": "door", "locationId": "s", "accountId": "a",
                "status": {"connectionStatus": "error"},
                "networkInfo": {"adapters": [{"macAddress": "00:0f:e5:14:b2:1e", "ipAddress": "10.0.0.2"}]},
                "hostname": "h", "locationName": "S", "lastSeenAt": 1500, "model": "m",
                "firmwareVersion": "1.0", "parentId": "p"
            })
        );
        assert!(device(canonical, false).get("deviceType").is_none(), "cameras carry no type");
        let faulted = device(json!({"device_id": "d", "status": "up", "last_seen": "yesterday"}), true);
        assert_eq!(faulted, json!({"id": "d", "status": {"connectionStatus": "up"}, "lastSeenAt": "yesterday"}));
    }

    #[test]
    fn events_wrap_their_data() {
        let health = json!({"event_id": "e", "event_type": "health", "device_id": "d", "timestamp": "t",
            "account_id": "a", "site_id": "s", "data": {"status": "offline", "previous_status": "online"}});
        assert_eq!(
            event(health.as_object().unwrap().clone()),
            json!({"id": "e", "type": "deviceStatusUpdateEvent.v1", "actorId": "d", "accountId": "a",
                "locationId": "s", "startTimestamp": "t",
                "data": [{"type": "deviceStatusUpdate.v1", "newStatus": {"connectionStatus": "deviceOffline"}}]})
        );
        let alarm = json!({"event_type": "alarm", "data": {"condition": "fire"}, "delivery_attempt": 2});
        assert_eq!(
            event(alarm.as_object().unwrap().clone()),
            json!({"type": "alarmEvent.v1", "data": [{"type": "alarmDetails.v1", "attributes": {"condition": "fire"}}],
                "delivery_attempt": 2})
        );
    }
}
