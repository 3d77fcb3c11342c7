//! The control API under `/_mock/`: what a vendor's own tooling would do, and the harness's
//! trigger for the mock. Authorised by `X-Admin-Token` from credentials.json.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use contract::{
    AccessAction, AccessData, AlarmData, ConditionState, DeviceStatus, EventData, EventFamily, Severity,
    VideoCondition, VideoData,
};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::config::FamilyData;
use crate::error::{error_response, rejection_response};
use crate::events;
use crate::fault::Fault;
use crate::state::{AppState, WebhookRec, random_token};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_mock/devices/{device_id}/status", routing::post(set_status))
        .route("/_mock/devices/{device_id}/events", routing::post(emit_event))
        .route("/_mock/webhooks", routing::post(register))
        .route("/_mock/deliveries", routing::get(deliveries))
        .route("/_mock/faults", routing::get(list_faults).put(replace_faults))
        .route("/_mock/faults/{name}", routing::post(enable_fault).delete(disable_fault))
        .route("/_mock/simulation", routing::post(simulation))
        .route("/_mock/reset", routing::post(reset))
}

pub async fn require_admin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let given = req.headers().get("x-admin-token").map(|v| v.as_bytes()).unwrap_or_default();
    if bool::from(given.ct_eq(state.admin_token.expose().as_bytes())) {
        next.run(req).await
    } else {
        error_response(StatusCode::UNAUTHORIZED, "unauthorized", "missing or wrong X-Admin-Token")
    }
}

fn device(state: &AppState, device_id: &str) -> Result<u32, Response> {
    let fleet = state.fleet.read().expect("fleet lock");
    // Under `non-uuid-ids` inventory serves `dev-<index>`: the vendor's own tooling knows those ids too.
    let served = device_id
        .strip_prefix("dev-")
        .filter(|_| state.has(Fault::NonUuidIds))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|&n| (n as usize) < fleet.devices.len());
    served
        .or_else(|| fleet.device_by_id(device_id))
        .ok_or_else(|| error_response(StatusCode::NOT_FOUND, "not_found", "no such device"))
}

#[derive(Deserialize)]
struct StatusChange {
    status: DeviceStatus,
}

async fn set_status(
    State(state): State<AppState>,
    Path(device_id): Path<String>,
    body: Result<Json<StatusChange>, JsonRejection>,
) -> Response {
    let Json(change) = match body {
        Ok(b) => b,
        Err(r) => return rejection_response(r),
    };
    match device(&state, &device_id) {
        Ok(d) => Json(events::set_status(&state, d, change.status)).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct EmitRequest {
    event_type: String,
    #[serde(default)]
    data: Option<Value>,
}

async fn emit_event(
    State(state): State<AppState>,
    Path(device_id): Path<String>,
    body: Result<Json<EmitRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(r) => return rejection_response(r),
    };
    let d = match device(&state, &device_id) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Some(family) = EventFamily::parse(&req.event_type) else {
        return error_response(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "unknown event_type");
    };
    // A vendor whose family data is its own fills it in itself (`events::emit`); what a caller
    // asks for is read in the project's suggested attributes only.
    let asked = req.data.filter(|_| state.config.variations.family_data == FamilyData::Suggested);
    let data = match EventData::parse(family, asked.unwrap_or_else(|| events::default_data(family))) {
        Ok(data) => data,
        Err(e) => return error_response(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", &e.to_string()),
    };
    if let EventData::Health(h) = &data {
        return Json(events::set_status(&state, d, h.status)).into_response();
    }
    Json(events::emit_for_device(&state, d, &data)).into_response()
}

#[derive(Deserialize)]
struct Registration {
    /// The account it delivers for; the first account when absent.
    #[serde(default)]
    account_id: Option<String>,
    target_url: String,
    #[serde(default)]
    name: Option<String>,
}

/// Registers a webhook as the vendor's admin console would, for vendors with no webhook management
/// API (WHM-1 is a MAY): `201 {"webhook_id", "secret"}`.
async fn register(State(state): State<AppState>, body: Result<Json<Registration>, JsonRejection>) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(r) => return rejection_response(r),
    };
    let account = match &req.account_id {
        None => Some(0),
        Some(id) => {
            let fleet = state.fleet.read().expect("fleet lock");
            fleet.accounts.iter().position(|a| a.id.to_string() == *id).map(|i| i as u16)
        }
    };
    let Some(account) = account else {
        return error_response(StatusCode::NOT_FOUND, "not_found", "no such account");
    };
    match register_webhook(&state, account, req.name.as_deref().unwrap_or("console"), &req.target_url) {
        Ok(w) => (StatusCode::CREATED, Json(json!({"webhook_id": w.id, "secret": w.secret.expose()}))).into_response(),
        Err(reason) => error_response(StatusCode::UNPROCESSABLE_ENTITY, "invalid_target_url", &reason),
    }
}

/// Registers an active webhook for `account` outside the API (the console, or start-up).
pub fn register_webhook(state: &AppState, account: u16, name: &str, target_url: &str) -> Result<WebhookRec, String> {
    crate::targets::validate_target(target_url, state.config.allow_private_targets)?;
    let rec = WebhookRec {
        id: uuid::Uuid::new_v4().to_string(),
        account,
        name: name.to_owned(),
        target_url: target_url.to_owned(),
        status: contract::WebhookStatus::Active,
        secret: contract::Secret::new(format!("whsec_{}", random_token(32))),
        deleted: false,
    };
    state.webhooks.lock().expect("webhooks lock").push(rec.clone());
    Ok(rec)
}

async fn deliveries(State(state): State<AppState>) -> Response {
    let deliveries = state.deliveries.lock().expect("deliveries lock").clone();
    Json(json!({"deliveries": deliveries})).into_response()
}

fn fault_listing(state: &AppState) -> Value {
    let catalogue: Vec<Value> = Fault::ALL
        .iter()
        .map(|f| json!({"name": f.name(), "requirements": f.requirements(), "description": f.description()}))
        .collect();
    json!({"active": state.faults.active(), "catalogue": catalogue})
}

async fn list_faults(State(state): State<AppState>) -> Response {
    Json(fault_listing(&state)).into_response()
}

#[derive(Deserialize)]
struct FaultList {
    faults: Vec<String>,
}

async fn replace_faults(State(state): State<AppState>, body: Result<Json<FaultList>, JsonRejection>) -> Response {
    let Json(list) = match body {
        Ok(b) => b,
        Err(r) => return rejection_response(r),
    };
    let parsed: Result<Vec<Fault>, String> = list.faults.iter().map(|n| n.parse()).collect();
    match parsed {
        Ok(faults) => {
            state.faults.replace(&faults);
            Json(fault_listing(&state)).into_response()
        }
        Err(e) => error_response(StatusCode::UNPROCESSABLE_ENTITY, "unknown_fault", &e),
    }
}

async fn toggle(state: AppState, name: String, on: bool) -> Response {
    match name.parse::<Fault>() {
        Ok(f) => {
            state.faults.set(f, on);
            Json(fault_listing(&state)).into_response()
        }
        Err(e) => error_response(StatusCode::NOT_FOUND, "unknown_fault", &e),
    }
}

async fn enable_fault(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    toggle(state, name, true).await
}

async fn disable_fault(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    toggle(state, name, false).await
}

#[derive(Deserialize)]
struct SimulationRequest {
    running: bool,
    #[serde(default)]
    events_per_second: Option<f64>,
}

async fn simulation(State(state): State<AppState>, body: Result<Json<SimulationRequest>, JsonRejection>) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(r) => return rejection_response(r),
    };
    let rate = req.events_per_second.unwrap_or(state.config.simulation_rate);
    if !(rate > 0.0 && rate <= crate::config::MAX_SIMULATION_RATE) {
        return error_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "events_per_second must be in (0, 10000]",
        );
    }
    set_simulation(&state, req.running.then_some(rate));
    Json(json!({"running": req.running, "events_per_second": rate})).into_response()
}

async fn reset(State(state): State<AppState>) -> Response {
    set_simulation(&state, None);
    state.reset();
    StatusCode::NO_CONTENT.into_response()
}

/// Starts (with a rate) or stops the fleet simulation: devices flap, and alarm, access and video
/// events go out at a realistic mix.
pub fn set_simulation(state: &AppState, rate: Option<f64>) {
    let mut slot = state.simulation.lock().expect("simulation lock");
    if let Some(running) = slot.take() {
        running.abort();
    }
    let Some(rate) = rate else { return };
    let sim_state = state.clone();
    *slot = Some(tokio::spawn(async move {
        let period = Duration::from_secs_f64(1.0 / rate);
        let mut ticker = tokio::time::interval(period);
        loop {
            ticker.tick().await;
            simulate_one(&sim_state);
        }
    }));
}

fn simulate_one(state: &AppState) {
    let (device, status) = {
        let fleet = state.fleet.read().expect("fleet lock");
        if fleet.devices.is_empty() {
            return;
        }
        let d = rand::thread_rng().gen_range(0..fleet.devices.len()) as u32;
        (d, fleet.devices[d as usize].live)
    };
    let roll = rand::thread_rng().gen_range(0..100);
    let data = match roll {
        0..40 => {
            let next = if status == DeviceStatus::Online { DeviceStatus::Offline } else { DeviceStatus::Online };
            events::set_status(state, device, next);
            return;
        }
        40..60 => EventData::Alarm(AlarmData {
            condition: "trouble".into(),
            state: ConditionState::Active,
            severity: Some(Severity::Minor),
            zone: None,
        }),
        60..90 => EventData::Access(AccessData {
            action: if roll % 3 == 0 { AccessAction::Denied } else { AccessAction::Granted },
            credential_id: Some(format!("card-{roll:04}")),
            holder_name: None,
            reason: None,
            door_id: None,
        }),
        _ => EventData::Video(VideoData {
            condition: VideoCondition::StreamLoss,
            state: ConditionState::Active,
            detail: None,
        }),
    };
    events::emit_for_device(state, device, &data);
}
