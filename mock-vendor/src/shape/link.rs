//! The `link` shape (Cisco Meraki): root JSON arrays, `perPage`/`startingAfter` with the next
//! page in an RFC 5988 `Link` header, no totals, devices named by `serial`.

use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::{Router, routing};
use contract::EventFamily;
use serde_json::Value;

use super::serve::{self, Asked, Wire, page_token};
use super::translate::{self, vocab};
use super::words::{self, CONVENTIONS, said};
use crate::answer::Page;
use crate::auth::AccountCtx;
use crate::blocks::Which;
use crate::config::Shape;
use crate::state::AppState;

pub(super) struct Link;

impl Wire for Link {
    const SHAPE: Shape = Shape::Link;

    /// A root array with its `Link` header: `rel=first` always, `rel=next` while a next page
    /// exists. URLs are absolute, built from the request's `Host`, and name the page size
    /// actually used, so a clamp shows.
    fn envelope(asked: &Asked, page: &Page, items: Value) -> (Value, HeaderMap) {
        let host = asked.host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        let (size, token) = (said(CONVENTIONS, Self::SHAPE, "per_page"), said(CONVENTIONS, Self::SHAPE, "page"));
        let base = format!("http://{host}{}?{size}={}", asked.uri.path(), page.req.per_page);
        let mut links = vec![format!("<{base}>; rel=first")];
        if let Some(next) = page.next {
            links.push(format!("<{base}&{token}={}>; rel=next", page_token(next)));
        }
        let mut headers = HeaderMap::new();
        if let Ok(link) = HeaderValue::from_str(&links.join(", ")) {
            headers.insert(header::LINK, link);
        }
        (items, headers)
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organization", routing::get(serve::account::<Link>))
        .route("/api/v1/networks", routing::get(serve::sites::<Link>))
        .route("/api/v1/networks/{site_id}/devices", routing::get(devices))
}

async fn devices(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    Path(site_id): Path<String>,
    asked: Asked,
) -> Response {
    serve::devices::<Link>(&state, a, asked, Ok(site_id), Which::All)
}

/// A canonical event body in this shape: `alertData` is the canonical data, health statuses in
/// this shape's vocabulary.
pub(super) fn event(v: Value) -> Value {
    translate::event(Shape::Link, v, |family, mut data| {
        if family == Some(EventFamily::Health)
            && let Some(obj) = data.as_object_mut()
        {
            for key in ["status", "previous_status"] {
                if let Some(v) = obj.remove(key) {
                    obj.insert(key.to_owned(), vocab(v, words::STATUS, Shape::Link));
                }
            }
        }
        data
    })
}
