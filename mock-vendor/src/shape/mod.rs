//! Vendor shapes: the same fleet, webhooks, auth and faults served in the contract's own shape or
//! in the image of a real vendor cloud (`VENDOR-SHAPES.md`), so that the harness's vendor profiles
//! (MAP-1, MAP-2) have a live vendor to map.
//!
//! Every shape serves the same webhook management API (`/api/v1/webhooks...`, ping,
//! `/api/v1/event-types`), the same control API and the same RS256 bearer tokens (CONTRACT.md §6).
//! A shape changes only account, sites and inventory (which replace the canonical endpoints: a
//! vendor in the `cursor` shape does not also serve `/api/v1/account`), the event body, the event
//! type names in the catalogue and the webhook signature format. Each shaped answer is the
//! canonical answer, faults applied (`crate::answer`, `crate::records`: every fault in one place),
//! translated (`translate`, through the side-by-side vocabularies of `words`): keys are renamed
//! only when present (a field a fault removed stays removed) and values a vocabulary does not know
//! (`up`, `yesterday`) pass through untranslated. Pagination reuses the canonical page choice (and
//! so its faults) with the page number an opaque token decodes to: base64url (no padding) of
//! `p:<page>`. A shape module holds only what it says its own way (its `serve::Wire` envelope
//! and its event `data`; its words are columns of `words`) and its routes.
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

mod canonical;
mod cursor;
mod link;
mod serve;
mod translate;
mod words;

use axum::Router;
use bytes::Bytes;
use contract::EventFamily;
use serde_json::Value;

pub use crate::config::Shape;
use crate::fault::Fault;
use crate::state::AppState;
pub use serve::{ShapeParamError, page_token};

impl Shape {
    /// The account, sites and inventory endpoints of this shape.
    pub(crate) fn routes(self) -> Router<AppState> {
        match self {
            Self::Canonical => canonical::routes(),
            Self::Cursor => cursor::routes(),
            Self::Link => link::routes(),
        }
    }

    /// The `event_type` this shape gives a family, in bodies and in the event catalogue.
    pub fn event_type(self, family: EventFamily) -> &'static str {
        words::event_type(self, family)
    }

    /// A canonical event body (faults applied) as this shape delivers it. Deterministic, so a
    /// retry's body stays byte-identical (DLV-2).
    pub(crate) fn event_body(self, canonical: Bytes) -> Bytes {
        let translate = match self {
            Self::Canonical => return canonical,
            Self::Cursor => cursor::event,
            Self::Link => link::event,
        };
        match serde_json::from_slice::<Value>(&canonical) {
            Ok(event @ Value::Object(_)) => {
                Bytes::from(serde_json::to_vec(&translate(event)).expect("events serialise"))
            }
            _ => canonical,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_pairs_do_not_apply() {
        let excluded: Vec<(Fault, Shape)> = Fault::ALL
            .iter()
            .flat_map(|f| Shape::ALL.iter().map(move |s| (*f, *s)))
            .filter(|(f, s)| !applies(*f, *s))
            .collect();
        assert_eq!(excluded.len(), 5, "{excluded:?}");
    }

    fn shaped(shape: Shape, event: serde_json::Value) -> serde_json::Value {
        let body = shape.event_body(Bytes::from(serde_json::to_vec(&event).unwrap()));
        serde_json::from_slice(&body).unwrap()
    }

    #[test]
    fn event_bodies_are_translated_per_shape() {
        use serde_json::json;
        let health = json!({"event_id": "e", "event_type": "health", "device_id": "d", "timestamp": "t",
            "account_id": "a", "site_id": "s", "data": {"status": "degraded", "previous_status": "online"}});
        assert_eq!(shaped(Shape::Canonical, health.clone()), health);
        assert_eq!(
            shaped(Shape::Cursor, health.clone()),
            json!({"id": "e", "type": "deviceStatusUpdateEvent.v1", "actorId": "d", "accountId": "a",
                "locationId": "s", "startTimestamp": "t",
                "data": [{"type": "deviceStatusUpdate.v1", "newStatus": {"connectionStatus": "error"}}]})
        );
        assert_eq!(
            shaped(Shape::Link, health),
            json!({"alertId": "e", "alertType": "deviceStatusChanged", "deviceSerial": "d", "organizationId": "a",
                "networkId": "s", "occurredAt": "t", "alertData": {"status": "alerting", "previous_status": "online"}})
        );
        let alarm = json!({"event_type": "alarm", "data": {"condition": "fire"}, "delivery_attempt": 2});
        assert_eq!(
            shaped(Shape::Cursor, alarm.clone()),
            json!({"type": "alarmEvent.v1", "data": [{"type": "alarmDetails.v1", "attributes": {"condition": "fire"}}],
                "delivery_attempt": 2})
        );
        assert_eq!(
            shaped(Shape::Link, alarm),
            json!({"alertType": "alarm", "alertData": {"condition": "fire"}, "delivery_attempt": 2})
        );
        let not_json = Bytes::from_static(b"not json");
        assert_eq!(Shape::Cursor.event_body(not_json.clone()), not_json, "a body that is no object stays as it is");
    }
}
