//! The `cursor` shape (Eagle Eye Networks v3, Verkada): `pageSize`/`pageToken` cursors,
//! `results` envelopes, inventory split into cameras and other devices, camelCase records.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Router, routing};
use contract::{EventFamily, Pagination};
use serde_json::{Value, json};

use super::serve::{self, Asked, Wire, page_token};
use super::translate::{self, vocab};
use super::words;
use crate::answer::Page;
use crate::auth::AccountCtx;
use crate::blocks::Which;
use crate::config::Shape;
use crate::error::error_response;
use crate::state::AppState;

pub(super) struct Cursor;

impl Wire for Cursor {
    const SHAPE: Shape = Shape::Cursor;

    /// The `results` envelope: `nextPageToken` `""` on the last page, `prevPageToken` `""` on the
    /// first.
    fn envelope(_: &Asked, page: &Page, results: Value) -> (Value, HeaderMap) {
        let p = page.req.page;
        let body = json!({
            "results": results,
            "nextPageToken": page.next.map(page_token).unwrap_or_default(),
            "prevPageToken": if p > 1 { page_token(p - 1) } else { String::new() },
            "totalSize": claimed_count(&page.pagination),
        });
        (body, HeaderMap::new())
    }
}

/// The item count a canonical pagination block claims. The envelope carries no page count, so
/// pages the block claims beyond its count (`wrong-totals`) show here as as many extra items.
fn claimed_count(p: &Pagination) -> u64 {
    let pages = contract::pagination::total_pages(p.total_count, p.per_page);
    p.total_count + p.total_pages.saturating_sub(pages)
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/users/self", routing::get(serve::account::<Cursor>))
        .route("/api/v3/locations", routing::get(serve::sites::<Cursor>))
        .route("/api/v3/cameras", routing::get(inventory))
        .route("/api/v3/devices", routing::get(inventory))
}

/// `/cameras` (cameras, no type field: the endpoint is the type) or `/devices` (every other
/// kind) of one location (`locationId`).
async fn inventory(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    asked: Asked,
) -> Response {
    let location = asked.param("locationId").map(str::to_owned);
    let location = location
        .ok_or_else(|| error_response(StatusCode::BAD_REQUEST, "invalid_parameter", "`locationId` is required"));
    let which = if asked.uri.path().ends_with("/cameras") { Which::Cameras } else { Which::NotCameras };
    serve::devices::<Cursor>(&state, a, asked, location, which)
}

/// A canonical event body in this shape: health data becomes a `deviceStatusUpdate.v1` element,
/// the other families' data the `attributes` of a `<family>Details.v1` element.
pub(super) fn event(v: Value) -> Value {
    translate::event(Shape::Cursor, v, |family, data| match family {
        Some(EventFamily::Health) => {
            let status = data.get("status").cloned().map(|s| vocab(s, words::STATUS, Shape::Cursor));
            let new_status = status.map_or_else(|| json!({}), |s| json!({"connectionStatus": s}));
            json!([{"type": "deviceStatusUpdate.v1", "newStatus": new_status}])
        }
        Some(EventFamily::Ping) => json!([{"type": "webhookTest.v1", "attributes": {}}]),
        Some(f) => json!([{"type": format!("{f}Details.v1"), "attributes": data}]),
        None => data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overstated_page_counts_show_as_extra_items() {
        let mut p = Pagination::of(1, 50, 120);
        assert_eq!(claimed_count(&p), 120);
        p.total_pages += 1;
        assert_eq!(claimed_count(&p), 121);
        assert_eq!(claimed_count(&Pagination { total_pages: 1, ..Pagination::of(1, 50, 0) }), 1);
    }
}
