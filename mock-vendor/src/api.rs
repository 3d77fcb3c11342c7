//! The endpoints every shape serves alike (CONTRACT.md §5, §9): webhook management, ping and the
//! event catalogue, with their faults. Account, sites and inventory are each shape's (`shape`).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use contract::{
    ErrorBody, EventData, EventFamily, EventTypeCatalog, EventTypeInfo, PingAccepted, PingData, SchemaId, Secret,
    Webhook, WebhookCreate, WebhookCreated, WebhookList, WebhookStatus,
};
use serde_json::{Value, json};

use crate::auth::AccountCtx;
use crate::error::{error_response, rejection_response};
use crate::events;
use crate::fault::Fault;
use crate::fleet::Kind;
use crate::state::{AppState, WebhookRec, random_token};
use crate::targets::validate_target;

/// The endpoints every shape serves alike: webhook management, ping, the event catalogue.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", routing::get(list_webhooks).post(create_webhook))
        .route("/api/v1/webhooks/{webhook_id}", routing::delete(delete_webhook))
        .route("/api/v1/webhooks/{webhook_id}/ping", routing::post(ping))
        .route("/api/v1/event-types", routing::get(event_types))
}

/// Waits [`crate::MockConfig::answer_delay`] before answering anything (`--answer-delay`): the
/// latency of a vendor across the internet, so the harness's run can be measured against one
/// (issue 18). Before the request is handled, as a network would hold it, so what the answer says
/// (a token's expiry, a rate limit's window) is decided when it arrives.
pub async fn delay_answer(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    tokio::time::sleep(state.config.answer_delay).await;
    next.run(request).await
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
