//! The receiver's routes: every POST is a delivery (verified, recorded, answered as the current
//! window says); any other request is a fetch, recorded and answered 404.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use suites::{Delivery, Fetch, GONE_PATH, REDIRECT_PATH, ReceiverAnswer, Verification};

use super::state::cut_str;
use super::{CUT_BODY_BYTES, ReceiverState};

/// Whether a request path is the planted `planted` path (under any public URL prefix).
fn is_planted(uri: &axum::http::Uri, planted: &str) -> bool {
    uri.path().trim_end_matches('/').ends_with(planted)
}

async fn deliver(
    State(state): State<Arc<ReceiverState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if is_planted(&uri, REDIRECT_PATH) {
        return record_fetch(&state, "POST", &uri).into_response();
    }
    // Held while the body is in memory whole (read, parsed, verified, recorded); the wait is not
    // the sender's, so the body's deadline starts after it.
    let reading = state.body_reads.acquire().await.expect("the semaphore is never closed");
    let received_at_ms = contract::unix_now_ms();
    let read = axum::body::to_bytes(body, state.limits.max_body_bytes);
    let (bytes, too_large) = match tokio::time::timeout(state.limits.body_read_timeout, read).await {
        Ok(Ok(b)) => (b, false),
        Ok(Err(_)) => (bytes::Bytes::new(), true),
        Err(_) => {
            // A body trickled or stalled: not a delivery, so counted only, and the connection closed.
            state.record.lock().expect("receiver lock").counts.body_timeouts += 1;
            tracing::warn!(limit = ?state.limits.body_read_timeout, "a request's body did not arrive in time; answered 408");
            return (StatusCode::REQUEST_TIMEOUT, [(axum::http::header::CONNECTION, "close")]).into_response();
        }
    };
    let gone = is_planted(&uri, GONE_PATH);
    let (answer, until) = state.current_answer();
    // Processed means answered 2xx: an attempt the receiver failed on purpose (500, held open,
    // 429, ...) was not processed, so its retry is not a duplicate.
    let event = state.event_of(&bytes);
    let event_id = event.as_ref().and_then(|e| e.get("event_id")).and_then(|id| id.as_str()).map(str::to_owned);
    let process = !gone && answer == ReceiverAnswer::Ok;
    let (verification, duplicate) = state.record(&headers, &bytes, &event_id, too_large, process);
    let status = match answer {
        _ if too_large => Some(StatusCode::PAYLOAD_TOO_LARGE),
        _ if gone => Some(StatusCode::GONE),
        ReceiverAnswer::Ok => Some(match verification {
            Verification::Invalid { .. } => StatusCode::UNAUTHORIZED,
            _ => StatusCode::OK,
        }),
        ReceiverAnswer::ServerError => Some(StatusCode::INTERNAL_SERVER_ERROR),
        ReceiverAnswer::TooManyRequests { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
        ReceiverAnswer::Gone => Some(StatusCode::GONE),
        // A connection accepted just before the window began: answer as an outage would.
        ReceiverAnswer::Refuse => Some(StatusCode::SERVICE_UNAVAILABLE),
        ReceiverAnswer::Timeout => None,
        ReceiverAnswer::Redirect => Some(StatusCode::TEMPORARY_REDIRECT),
    };
    let delivery = Delivery {
        seq: 0,
        received_at_ms,
        headers: Vec::new(),
        body: String::new(),
        body_bytes: bytes.len(),
        verification,
        event,
        event_id,
        duplicate,
        answered: status.map(|s| s.as_u16()),
        path: uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.to_string()),
    };
    if state.keep(delivery, &headers, bytes) {
        state.arrivals.send_modify(|n| *n += 1);
    }
    drop(reading);
    match (answer, status) {
        (_, Some(status)) if gone || too_large => status.into_response(),
        (ReceiverAnswer::TooManyRequests { retry_after_secs }, Some(status)) => {
            (status, [("retry-after", retry_after_secs.to_string())]).into_response()
        }
        (ReceiverAnswer::Redirect, Some(status)) => {
            let public = state.public_url.lock().expect("receiver lock").clone();
            let location = format!("{}{REDIRECT_PATH}", public.trim_end_matches('/'));
            (status, [("location", location)]).into_response()
        }
        (_, Some(status)) => status.into_response(),
        (_, None) => {
            // Hold the request open for the rest of the window: the vendor's timeout fires first.
            if let Some(until) = until {
                tokio::time::sleep_until(until.into()).await;
            }
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Any other request: recorded, answered 404.
async fn fetch(State(state): State<Arc<ReceiverState>>, request: axum::extract::Request) -> StatusCode {
    record_fetch(&state, request.method().as_str(), request.uri())
}

fn record_fetch(state: &ReceiverState, method: &str, uri: &axum::http::Uri) -> StatusCode {
    let received_at_ms = contract::unix_now_ms();
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.to_string());
    let recorded = {
        let mut fetches = state.fetches.lock().expect("receiver lock");
        let mut record = state.record.lock().expect("receiver lock");
        record.counts.fetches += 1;
        if fetches.len() < state.limits.fetches_recorded {
            let path = cut_str(&path, CUT_BODY_BYTES).to_owned();
            fetches.push(Fetch { received_at_ms, method: cut_str(method, 64).to_owned(), path });
            true
        } else {
            record.counts.fetches_unrecorded += 1;
            false
        }
    };
    if recorded {
        state.arrivals.send_modify(|n| *n += 1);
    }
    StatusCode::NOT_FOUND
}

/// The receiver's routes: every POST path is a delivery (vendors append their own paths); any
/// other method is recorded as a fetch.
pub fn app(state: Arc<ReceiverState>) -> Router {
    Router::new().fallback(axum::routing::post(deliver).fallback(fetch)).with_state(state)
}
