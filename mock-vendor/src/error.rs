//! The mock's error answers: every 4xx and 5xx it sends is an `ErrorBody` with its status.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use contract::ErrorBody;

/// A JSON error body with its status: every 4xx and 5xx of the mock looks like this.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(ErrorBody::new(code, message))).into_response()
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
