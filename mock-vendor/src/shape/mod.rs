//! Vendor shapes: the same fleet, webhooks, auth and faults served in the contract's own shape or
//! in the image of a real vendor cloud (`VENDOR-SHAPES.md`), so that the harness's vendor profiles
//! (MAP-1, MAP-2) have a live vendor to map.
//!
//! Every shape serves the same webhook management API (`/api/v1/webhooks...`, ping,
//! `/api/v1/event-types`), the same control API and the same RS256 bearer tokens (CONTRACT.md §6).
//! A shape changes only account, sites and inventory (which replace the canonical endpoints: a
//! vendor in the `cursor` shape does not also serve `/api/v1/account`), the event body, the event
//! type names in the catalogue and the webhook signature format. Each shaped answer is the
//! canonical answer, faults applied, translated: keys are renamed only when present (a field a
//! fault removed stays removed) and values a vocabulary does not know (`up`, `yesterday`) pass
//! through untranslated. Pagination reuses the canonical page slicing (and so its faults) with the
//! page number an opaque token decodes to: base64url (no padding) of `p:<page>`.
//!
//! # `canonical` (the default)
//! CONTRACT.md exactly.
//!
//! # `cursor` (in the image of Eagle Eye Networks v3 and Verkada)
//! - `GET /api/v3/users/self` → `{"accountId", "accountName"}`.
//! - `GET /api/v3/locations?pageSize=&pageToken=` → `{"results": [site], "nextPageToken",
//!   "prevPageToken", "totalSize"}`; a site is `{"id", "name", "address", "coordinates":
//!   {"latitude", "longitude"}, "timeZone"}`.
//! - Inventory is the union of `GET /api/v3/cameras?locationId=&pageSize=&pageToken=` (cameras,
//!   no type field: the endpoint is the type) and `GET /api/v3/devices?locationId=&...` (every
//!   other kind, `deviceType` ∈ `recorder accessController door cardReader alarmPanel sensor`),
//!   each paginated on its own in the same envelope. A device is `{"id", "name", "deviceType",
//!   "locationId", "accountId", "status": {"connectionStatus"}, "networkInfo": {"adapters":
//!   [{"macAddress", "ipAddress"}]}, "hostname", "locationName", "lastSeenAt" (epoch ms), "model",
//!   "firmwareVersion", "parentId"}`; `connectionStatus` ∈ `online deviceOffline error unknown`.
//! - `pageSize` defaults to 50 and is silently clamped to 500; 0, negative or non-numeric sizes
//!   and undecodable tokens answer 400. `nextPageToken` is `""` on the last page, `prevPageToken`
//!   `""` on the first.
//! - Events: `{"id", "type", "actorId", "accountId", "locationId", "startTimestamp" (RFC 3339),
//!   "data": [{"type": "deviceStatusUpdate.v1", "newStatus": {"connectionStatus"}}]}` for health,
//!   `"data": [{"type": "<family>Details.v1", "attributes": {<canonical data>}}]` for the others;
//!   types `deviceStatusUpdateEvent.v1 alarmEvent.v1 accessEvent.v1 videoEvent.v1 webhookTest.v1`.
//! - Signature: `X-Vendor-Signature: <ts>|<hex>`, hex = HMAC-SHA256(secret, `<body>|<ts>`), no
//!   timestamp header (Verkada's format).
//!
//! # `link` (in the image of Cisco Meraki)
//! - `GET /api/v1/organization` → `{"id", "name"}`.
//! - `GET /api/v1/networks?perPage=&startingAfter=` → a root array of sites `{"id", "name",
//!   "address", "coordinates", "timeZone"}`; no totals anywhere.
//! - `GET /api/v1/networks/{site_id}/devices?perPage=&startingAfter=` → a root array of devices
//!   `{"serial", "name", "productType", "network": {"id"}, "organizationId", "status", "mac",
//!   "lanIp", "hostname", "networkName", "lastReportedAt" (epoch s), "model", "firmware",
//!   "parentSerial"}`; `productType` ∈ `camera recorder accessPanel door reader intrusionPanel
//!   sensor`, `status` ∈ `online offline alerting dormant`.
//! - Pagination by RFC 5988 `Link` header: `<http://HOST/path?perPage=N>; rel=first` on every
//!   page (N is the size actually used, so the clamp shows), `, <...&startingAfter=T>; rel=next`
//!   while a next page exists. `perPage` as `pageSize` above.
//! - Events: `{"alertId", "alertType", "deviceSerial", "organizationId", "networkId",
//!   "occurredAt" (RFC 3339), "alertData": {<canonical data, statuses in this vocabulary>}}`; types
//!   `deviceStatusChanged alarm accessEvent videoEvent webhookTest`.
//! - Signature: `X-Signature: sha256=<base64>` over `<ts>.<body>`, `X-Sent-At: <unix seconds>`.
//!
//! Which faults cannot show in which shape, and why: [`applies`].

pub mod cursor;
pub mod link;

use std::fmt;
use std::str::FromStr;

use axum::Router;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use contract::{EventFamily, PageRequest, Scheme, SigEncoding, SignatureFormat};
use serde_json::{Map, Value};

use crate::api::{self, Params, error_response, param};
use crate::config::OverMax;
use crate::fault::Fault;
use crate::state::AppState;

/// How the mock vendor shapes its data on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Shape {
    /// CONTRACT.md exactly.
    #[default]
    Canonical,
    /// Cursor tokens and camelCase envelopes (Eagle Eye Networks v3, Verkada).
    Cursor,
    /// Root arrays and `Link` header pagination (Cisco Meraki).
    Link,
}

impl Shape {
    pub const ALL: &'static [Shape] = &[Shape::Canonical, Shape::Cursor, Shape::Link];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Canonical => "canonical",
            Self::Cursor => "cursor",
            Self::Link => "link",
        }
    }

    /// The account, sites and inventory endpoints of this shape.
    pub(crate) fn routes(self) -> Router<AppState> {
        match self {
            Self::Canonical => api::canonical_routes(),
            Self::Cursor => cursor::routes(),
            Self::Link => link::routes(),
        }
    }

    /// The `event_type` this shape gives a family, in bodies and in the event catalogue.
    pub fn event_type(self, family: EventFamily) -> &'static str {
        match self {
            Self::Canonical => family.as_str(),
            Self::Cursor => cursor::event_type(family),
            Self::Link => link::event_type(family),
        }
    }

    /// How this shape signs deliveries. `scheme` (`--signature`) only matters to the canonical
    /// shape: the others have one fixed format each, whatever the scheme.
    pub fn signature_format(self, scheme: Scheme) -> SignatureFormat {
        match self {
            Self::Canonical => SignatureFormat::canonical(scheme),
            Self::Cursor => SignatureFormat {
                header: "X-Vendor-Signature".to_owned(),
                value_template: "{ts}|{sig}".to_owned(),
                encoding: SigEncoding::Hex,
                signed_content: "{body}|{ts}".to_owned(),
                timestamp_header: None,
                tolerance_secs: Some(contract::signature::DEFAULT_TOLERANCE_SECS),
                value_separator: None,
            },
            Self::Link => SignatureFormat {
                header: "X-Signature".to_owned(),
                value_template: "sha256={sig}".to_owned(),
                encoding: SigEncoding::Base64,
                signed_content: "{ts}.{body}".to_owned(),
                timestamp_header: Some("X-Sent-At".to_owned()),
                tolerance_secs: Some(contract::signature::DEFAULT_TOLERANCE_SECS),
                value_separator: None,
            },
        }
    }

    /// A canonical event body (faults applied) as this shape delivers it. Deterministic, so a
    /// retry's body stays byte-identical (DLV-2).
    pub(crate) fn event_body(self, canonical: Bytes) -> Bytes {
        if self == Self::Canonical {
            return canonical;
        }
        let Ok(Value::Object(event)) = serde_json::from_slice::<Value>(&canonical) else {
            return canonical;
        };
        let shaped = match self {
            Self::Canonical => unreachable!("returned above"),
            Self::Cursor => cursor::event(event),
            Self::Link => link::event(event),
        };
        Bytes::from(serde_json::to_vec(&shaped).expect("events serialise"))
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.iter().copied().find(|shape| shape.name() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|s| s.name()).collect();
            format!("unknown shape `{s}` (expected one of {})", names.join(", "))
        })
    }
}

/// Whether `fault` can be observed through `shape`'s wire format. Every pair not listed below
/// applies; the exceptions, each with its reason:
///
/// - `next-loop` in `canonical`: canonical pages carry no link to the next page (the client counts
///   pages from `total_pages`), so there is no next link to loop.
/// - `past-end-repeats` in `cursor` and `link`: a client only follows the server's next token or
///   link, which never points past the end, so there is no way to ask for a page past the end.
/// - `wrong-totals` in `link`: link pages carry no totals at all.
/// - `no-per-page-max` in `cursor`: the clamp is silent and the envelope echoes no page size, so
///   a missing maximum shows only as a page of more than 500 items, which needs a collection
///   larger than any the demo fleet (the fault matrix's) has. (`link` echoes the size it used in
///   its `rel=first` link, so there the fault shows.)
pub fn applies(fault: Fault, shape: Shape) -> bool {
    !matches!(
        (fault, shape),
        (Fault::NextLoop, Shape::Canonical)
            | (Fault::PastEndRepeats, Shape::Cursor | Shape::Link)
            | (Fault::WrongTotals, Shape::Link)
            | (Fault::NoPerPageMax, Shape::Cursor)
    )
}

/// Why a shaped page request was refused: each answers 400 (or 500 under `bad-page-500`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeParamError {
    #[error("the query string cannot be read")]
    Unreadable,
    #[error("`{name}` must be a whole number, got `{value}`")]
    NotANumber { name: &'static str, value: String },
    #[error("`{name}` must be at least 1, got {value}")]
    SizeTooSmall { name: &'static str, value: i128 },
    #[error("`{name}` must be at most {max}, got {value}")]
    SizeTooLarge { name: &'static str, value: i128, max: u64 },
    #[error("`{name}` is not a token this server issued")]
    BadToken { name: &'static str },
}

/// The opaque token of page `page`.
pub fn page_token(page: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("p:{page}"))
}

/// The page a token names, if this server issued it.
fn decode_token(token: &str) -> Option<u64> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let page: u64 = std::str::from_utf8(&raw).ok()?.strip_prefix("p:")?.parse().ok()?;
    (page >= 1).then_some(page)
}

/// Reads a size parameter and a token parameter: the size defaults to the canonical default and
/// is clamped silently (unless `no-per-page-max`); an absent or empty token is the first page.
pub(crate) fn page_request(
    state: &AppState,
    params: Result<Params, QueryRejection>,
    size_name: &'static str,
    token_name: &'static str,
) -> Result<PageRequest, Response> {
    parse_page(state, params, size_name, token_name).map_err(|e| {
        if state.has(Fault::BadPageServerError) {
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected error")
        } else {
            error_response(StatusCode::BAD_REQUEST, "invalid_parameter", &e.to_string())
        }
    })
}

fn parse_page(
    state: &AppState,
    params: Result<Params, QueryRejection>,
    size_name: &'static str,
    token_name: &'static str,
) -> Result<PageRequest, ShapeParamError> {
    let Ok(Query(params)) = params else { return Err(ShapeParamError::Unreadable) };
    let max = if state.has(Fault::NoPerPageMax) { u64::MAX } else { state.config.max_page_size() };
    // These shapes clamp silently unless the vendor refuses sizes over its maximum (PAGE-5).
    let rejects = state.config.variations.over_max == OverMax::Reject;
    let per_page = match param(&params, size_name) {
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
    let page = match param(&params, token_name).filter(|t| !t.is_empty()) {
        None => 1,
        Some(token) => decode_token(token).ok_or(ShapeParamError::BadToken { name: token_name })?,
    };
    Ok(PageRequest { page, per_page })
}

/// One shaped page: which items, and which page comes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slice {
    pub range: std::ops::Range<usize>,
    pub next: Option<u64>,
}

/// The canonical slicing of page `req` (with its pagination faults), plus the next page: the
/// following one while there is one, and page 2 again after the last under `next-loop`.
pub(crate) fn slice(state: &AppState, req: PageRequest, total: usize) -> Slice {
    let (range, _) = api::page_slice(state, req, total);
    let last = contract::pagination::total_pages(total as u64, req.per_page);
    let next = if req.page < last {
        Some(req.page + 1)
    } else if state.has(Fault::NextLoop) {
        Some(2)
    } else {
        None
    };
    Slice { range, next }
}

/// Moves `from` of `src` to `to` of `dst` when present, mapping the value.
fn rename(
    src: &mut Map<String, Value>,
    dst: &mut Map<String, Value>,
    from: &str,
    to: &str,
    map: impl Fn(Value) -> Value,
) {
    if let Some(v) = src.remove(from) {
        dst.insert(to.to_owned(), map(v));
    }
}

/// Maps a string through a vocabulary; anything it does not know passes through as it is.
fn vocab(v: Value, table: &[(&str, &str)]) -> Value {
    match v.as_str().and_then(|s| table.iter().find(|(from, _)| *from == s)) {
        Some((_, to)) => Value::from(*to),
        None => v,
    }
}

/// An RFC 3339 string as unix milliseconds divided by `unit_ms`; anything else as it is.
fn epoch(v: Value, unit_ms: i64) -> Value {
    match v.as_str().and_then(contract::parse_rfc3339_millis) {
        Some(ms) => Value::from(ms.div_euclid(unit_ms)),
        None => v,
    }
}

/// The canonical site keys every non-canonical shape renames alike.
fn site(v: Value) -> Value {
    let Value::Object(mut src) = v else { return v };
    let mut out = Map::new();
    rename(&mut src, &mut out, "site_id", "id", |v| v);
    rename(&mut src, &mut out, "name", "name", |v| v);
    rename(&mut src, &mut out, "address", "address", |v| v);
    rename(&mut src, &mut out, "coordinates", "coordinates", |v| v);
    rename(&mut src, &mut out, "timezone", "timeZone", |v| v);
    out.extend(src);
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for s in Shape::ALL {
            assert_eq!(s.name().parse::<Shape>().unwrap(), *s);
            assert_eq!(s.to_string(), s.name());
        }
        assert!("meraki".parse::<Shape>().unwrap_err().contains("canonical, cursor, link"));
        assert_eq!(Shape::default(), Shape::Canonical);
    }

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

    #[test]
    fn every_shape_signs_in_a_valid_format_that_verifies() {
        let secret = contract::Secret::new("whsec_test");
        for shape in Shape::ALL {
            for scheme in [Scheme::Body, Scheme::Timestamped] {
                let format = shape.signature_format(scheme);
                format.validate().unwrap();
                let headers = format.sign(&secret, b"{}", 1_770_000_000);
                let lookup =
                    |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
                format.verify(lookup, b"{}", &[&secret], 1_770_000_000).unwrap();
                if *shape != Shape::Canonical {
                    assert!(format.binds_timestamp(), "{shape}");
                }
            }
        }
    }

    #[test]
    fn vocabularies_leave_strangers_alone() {
        let t = &[("online", "up")];
        assert_eq!(vocab(Value::from("online"), t), Value::from("up"));
        assert_eq!(vocab(Value::from("down"), t), Value::from("down"));
        assert_eq!(epoch(Value::from("2026-02-04T14:32:00.250Z"), 1), Value::from(1_770_215_520_250_i64));
        assert_eq!(epoch(Value::from("2026-02-04T14:32:00.250Z"), 1000), Value::from(1_770_215_520_i64));
        assert_eq!(epoch(Value::from("yesterday"), 1), Value::from("yesterday"));
    }

    #[test]
    fn only_the_listed_pairs_do_not_apply() {
        let excluded: Vec<(Fault, Shape)> = Fault::ALL
            .iter()
            .flat_map(|f| Shape::ALL.iter().map(move |s| (*f, *s)))
            .filter(|(f, s)| !applies(*f, *s))
            .collect();
        assert_eq!(excluded.len(), 5, "{excluded:?}");
    }
}
