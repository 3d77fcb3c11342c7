//! The account, sites and inventory handlers of the vendor shapes (`cursor`, `link`): each reads
//! the shape's paging parameters, asks [`answer`] for the canonical page (faults applied there)
//! and hands its records, translated, to the shape's envelope ([`Wire`]). Fault-free device records
//! come ready rendered from [`crate::blocks`].

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Extension, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use contract::PageRequest;
use serde_json::Value;

use super::translate;
use super::words::{CONVENTIONS, said};
use crate::answer::{self, Page, page_limit, page_refused};
use crate::auth::AccountCtx;
use crate::blocks::{ITEMS_MARK, Which, splice};
use crate::config::{OverMax, Shape};
use crate::fleet::DeviceJson;
use crate::records::devices_faulted;
use crate::state::AppState;

/// What a vendor shape says its own way beyond its words ([`super::words`]).
pub(super) trait Wire {
    const SHAPE: Shape;
    /// The body of a page holding `items` (the JSON array of its translated records, or
    /// [`ITEMS_MARK`] in their place) in the shape's envelope, and the headers it adds.
    fn envelope(asked: &Asked, page: &Page, items: Value) -> (Value, HeaderMap);
}

/// A JSON body as `axum::Json` answers it, with the envelope's headers.
fn respond(body: impl Into<Body>, headers: HeaderMap) -> Response {
    let json = [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    let mut response = (json, body.into()).into_response();
    response.headers_mut().extend(headers);
    response
}

fn respond_with<W: Wire>(asked: &Asked, page: &Page, items: Vec<Value>) -> Response {
    let (body, headers) = W::envelope(asked, page, Value::Array(items));
    respond(serde_json::to_vec(&body).expect("pages serialise"), headers)
}

/// What a page request asked: its query parameters (decoded as forms are, so any query reads),
/// and its `Host` and path, for envelopes that link to other pages.
pub(super) struct Asked {
    pub query: Vec<(String, String)>,
    pub host: Option<HeaderValue>,
    pub uri: Uri,
}

impl Asked {
    /// The value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Asked {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        // What `Query<Vec<(String, String)>>` reads, without its serde layers (a page request's
        // parameters are read on every page).
        let pairs = url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes());
        let query = pairs.map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        Ok(Self { query, host: parts.headers.get(header::HOST).cloned(), uri: parts.uri.clone() })
    }
}

pub(super) async fn account<W: Wire>(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
) -> Response {
    answer::account(&state, a, |v| translate::account(W::SHAPE, v))
}

pub(super) async fn sites<W: Wire>(
    State(state): State<AppState>,
    Extension(AccountCtx(a)): Extension<AccountCtx>,
    asked: Asked,
) -> Response {
    let page = page_request(&state, W::SHAPE, &asked).and_then(|req| answer::sites(&state, a, req));
    match page {
        Ok(page) => {
            let items = page.site_values(&state).into_iter().map(|v| translate::site(W::SHAPE, v)).collect();
            respond_with::<W>(&asked, &page, items)
        }
        Err(refused) => refused,
    }
}

/// A page of the devices of the site `site` names (or the answer to its naming none), of the
/// collection (`which`) the endpoint serves.
pub(super) fn devices<W: Wire>(
    state: &AppState,
    a: u16,
    asked: Asked,
    site: Result<String, Response>,
    which: Which,
) -> Response {
    let site_word = said(CONVENTIONS, W::SHAPE, "site");
    let page = page_request(state, W::SHAPE, &asked)
        .and_then(|req| Ok((req, site?)))
        .and_then(|(req, site)| answer::devices(state, a, &site, req, which, site_word));
    let page = match page {
        Ok(page) => page,
        Err(refused) => return refused,
    };
    if let Some(items) = ready_items(state, &page, W::SHAPE, which) {
        let (envelope, headers) = W::envelope(&asked, &page, Value::from(ITEMS_MARK));
        return respond(Body::new(splice(&envelope, items)), headers);
    }
    let translate = |v| translate::device(W::SHAPE, v, which.typed());
    let items = page.device_values(state).into_iter().map(translate).collect();
    respond_with::<W>(&asked, &page, items)
}

/// A page's devices from their ready bytes ([`crate::blocks`]), comma-separated, when no record
/// fault is active and the ready bytes serve this page.
pub(super) fn ready_items(state: &AppState, page: &Page, shape: Shape, which: Which) -> Option<Bytes> {
    if devices_faulted(state) {
        return None;
    }
    let fleet = &*page.fleet;
    let render = |idx: u32, out: &mut Vec<u8>| {
        let written = match shape {
            Shape::Canonical => serde_json::to_writer(out, &DeviceJson { fleet, idx }),
            _ => {
                // What `device_value` gives with no record fault, without looking at the faults
                // again: one switched on meanwhile must not end up in bytes that are kept.
                let value = serde_json::to_value(fleet.device_wire(idx)).expect("devices serialise");
                serde_json::to_writer(out, &translate::device(shape, value, which.typed()))
            }
        };
        written.expect("devices serialise");
    };
    state.blocks.block(fleet, shape, which, page.site, &render)?.items(&page.items)
}

/// Why a shaped page request was refused: each answers 400 (or 500 under `bad-page-500`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeParamError {
    #[error("`{name}` must be a whole number, got `{value}`")]
    NotANumber { name: &'static str, value: String },
    #[error("`{name}` must be at least 1, got {value}")]
    SizeTooSmall { name: &'static str, value: i128 },
    #[error("`{name}` must be at most {max}, got {value}")]
    SizeTooLarge { name: &'static str, value: i128, max: u64 },
    #[error("`{name}` is not a token this server issued")]
    BadToken { name: &'static str },
}

/// The opaque token of page `page`: base64url (no padding) of `p:<page>`.
pub fn page_token(page: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("p:{page}"))
}

/// The page a token names, if this server issued it.
fn decode_token(token: &str) -> Option<u64> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let page: u64 = std::str::from_utf8(&raw).ok()?.strip_prefix("p:")?.parse().ok()?;
    (page >= 1).then_some(page)
}

/// Reads the shape's size and token parameters: the size defaults to the canonical default and
/// is clamped silently (unless the vendor refuses sizes over its maximum); an absent or empty
/// token is the first page.
fn page_request(state: &AppState, shape: Shape, asked: &Asked) -> Result<PageRequest, Response> {
    parse_page(state, shape, asked).map_err(|e| page_refused(state, &e))
}

fn parse_page(state: &AppState, shape: Shape, asked: &Asked) -> Result<PageRequest, ShapeParamError> {
    let (size_name, token_name) = (said(CONVENTIONS, shape, "per_page"), said(CONVENTIONS, shape, "page"));
    let max = page_limit(state);
    // These shapes clamp silently unless the vendor refuses sizes over its maximum (PAGE-5).
    let rejects = state.config.variations.over_max == OverMax::Reject;
    let per_page = match asked.param(size_name) {
        None => contract::DEFAULT_PER_PAGE.min(max),
        Some(raw) => {
            // A whole number too long for i128 is still one: clamped (or refused) by its size.
            let n: i128 = raw.trim().parse().or_else(|e: std::num::ParseIntError| match e.kind() {
                std::num::IntErrorKind::PosOverflow => Ok(i128::MAX),
                std::num::IntErrorKind::NegOverflow => Ok(i128::MIN),
                _ => Err(ShapeParamError::NotANumber { name: size_name, value: raw.chars().take(64).collect() }),
            })?;
            if n < 1 {
                return Err(ShapeParamError::SizeTooSmall { name: size_name, value: n });
            }
            if rejects && n > i128::from(max) {
                return Err(ShapeParamError::SizeTooLarge { name: size_name, value: n, max });
            }
            u64::try_from(n).unwrap_or(u64::MAX).min(max)
        }
    };
    let page = match asked.param(token_name).filter(|t| !t.is_empty()) {
        None => 1,
        Some(token) => decode_token(token).ok_or(ShapeParamError::BadToken { name: token_name })?,
    };
    Ok(PageRequest { page, per_page })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_strangers_are_refused() {
        for page in [1, 2, 3, 999, u64::MAX] {
            assert_eq!(decode_token(&page_token(page)), Some(page));
        }
        assert_eq!(page_token(3), "cDoz");
        for bad in ["", "!!!", "cDow", "eDoz", "cDotMQ", "cDpmb28"] {
            assert_eq!(decode_token(bad), None, "{bad}");
        }
    }
}
