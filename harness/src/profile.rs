//! A vendor *profile*: where a vendor keeps the contract's data, so the client can map its
//! answers onto canonical records (MAP-1, MAP-2) and the checks only ever see canonical ones.
//!
//! A profile is TOML (VENDOR-SHAPES.md, "What a profile must express"): endpoint paths and
//! methods (query or JSON body), where the list sits, the kind of pagination, field locations as
//! JSON Pointers (nested, array-indexed, inside the array element that matches a filter, taken
//! from the request or constant), inventory as a union of endpoints, status and device-type
//! vocabularies, timestamp formats, errors signalled in a 200 body, the auth kind, the webhook
//! signature format and the event fields. The canonical shape is itself a profile
//! (`harness/profiles/canonical.toml`), and so is every built-in one: [`Profile::builtin`].

use std::collections::BTreeMap;
use std::sync::LazyLock;

use anyhow::{Context as _, bail};
use contract::{Scheme, SignatureFormat};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use suites::{AuthKind, Paging, PagingKind, SizeLimits};

/// The built-in profiles, by name: the canonical shape and the mock vendor's other shapes.
pub const BUILTIN: &[(&str, &str)] = &[
    ("canonical", include_str!("../profiles/canonical.toml")),
    ("cursor", include_str!("../profiles/cursor.toml")),
    ("link", include_str!("../profiles/link.toml")),
];

static CANONICAL: LazyLock<Profile> =
    LazyLock::new(|| Profile::parse(BUILTIN[0].1).expect("profiles/canonical.toml is a valid profile"));

/// Where a request's parameters go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    /// The query string (`GET ...?page=2`).
    #[default]
    Query,
    /// Fields of the JSON request body (`POST` with `{"pageSize": 50, "lastEvaluatedKey": ...}`).
    Body,
}

fn get() -> String {
    "GET".into()
}

fn is_get(m: &String) -> bool {
    m == "GET"
}

/// An endpoint that answers one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordEndpoint {
    /// Path under the base URL.
    pub path: String,
    #[serde(default = "get", skip_serializing_if = "is_get")]
    pub method: String,
    /// The JSON body sent (for vendors whose reads are `POST`s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// JSON Pointer of the record in the answer (`""` = the whole answer).
    #[serde(default)]
    pub record: String,
    /// Canonical field name → where the vendor keeps it.
    pub fields: FieldMap,
}

/// An endpoint that answers a (paginated) list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEndpoint {
    /// Path under the base URL; `{site_id}` is replaced by the (percent-encoded) site id.
    pub path: String,
    #[serde(default = "get", skip_serializing_if = "is_get")]
    pub method: String,
    /// The JSON body sent; with a `POST` endpoint, `"{site_id}"` in a string value is replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Query parameters always sent; `{site_id}` in a value is replaced.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// JSON Pointer of the array in each page (`""` = the answer is the array).
    pub list: String,
    /// The vendor's own largest page size for this collection (PAGE-5), over `pagination.max_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// The page size it serves when none is asked for, over `pagination.default_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_size: Option<u64>,
    /// Its smallest page size (Meraki documents a `perPage` range), over `pagination.min_size`:
    /// the small-page walks start there instead of at 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<u64>,
    /// Where this endpoint's records keep the keyset value, over `pagination.past_end.from`
    /// (networks by `/id`, devices by `/serial`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past_end_from: Option<String>,
    /// Canonical field name → where the vendor keeps it.
    pub fields: FieldMap,
}

/// Where the webhook management endpoints (WHM-1, WHM-4) and the event catalogue (EVT-5) are,
/// and how their requests and answers are shaped (VENDOR-SHAPES.md, "Webhook management and
/// catalogue shapes"). Only the paths are required: the shapes default to the contract's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoints {
    /// `POST` creates, `GET` lists.
    pub collection: String,
    /// Deleted with `delete_method`; `{webhook_id}` is replaced.
    pub item: String,
    #[serde(default = "delete", skip_serializing_if = "is_delete")]
    pub delete_method: String,
    /// The test delivery (WHM-4); `{webhook_id}` is replaced.
    pub ping: String,
    #[serde(default = "post", skip_serializing_if = "is_post")]
    pub ping_method: String,
    /// The ping's JSON body; `{webhook_id}`, `{target_url}` and `{secret}` in string values are
    /// replaced (Meraki's `webhookTests` take `{"url": "{target_url}", "sharedSecret": "{secret}"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_body: Option<Value>,
    /// JSON Pointer of the ping event's `event_id` in the ping answer, when it announces one.
    #[serde(default = "ping_event_id", skip_serializing_if = "is_ping_event_id")]
    pub ping_event_id: Option<String>,
    /// `GET`: the event catalogue.
    pub event_types: String,
    /// The create request's body template and where the answer keeps id, secret and status.
    #[serde(default = "suites::CreateShape::canonical")]
    pub create: suites::CreateShape,
    /// Where the list answer keeps the webhooks, their ids, targets and statuses.
    #[serde(default = "suites::ListShape::canonical")]
    pub list: suites::ListShape,
    /// Where the catalogue keeps its entries and their fields (and its path, when it is not
    /// `event_types`).
    #[serde(default = "suites::CatalogueShape::canonical")]
    pub catalogue: suites::CatalogueShape,
}

fn delete() -> String {
    "DELETE".into()
}

fn is_delete(m: &String) -> bool {
    m == "DELETE"
}

fn post() -> String {
    "POST".into()
}

fn is_post(m: &String) -> bool {
    m == "POST"
}

fn ping_event_id() -> Option<String> {
    Some("/event_id".into())
}

fn is_ping_event_id(p: &Option<String>) -> bool {
    *p == ping_event_id()
}

impl WebhookEndpoints {
    /// The management API as checks use it.
    pub fn api(&self) -> suites::WebhookApi {
        suites::WebhookApi {
            collection: self.collection.clone(),
            item: self.item.clone(),
            delete_method: self.delete_method.clone(),
            ping: self.ping.clone(),
            ping_method: self.ping_method.clone(),
            ping_body: self.ping_body.clone(),
            ping_event_id: self.ping_event_id.clone(),
            create: self.create.clone(),
            list: self.list.clone(),
        }
    }

    /// The catalogue's path.
    pub fn catalogue_path(&self) -> &str {
        self.catalogue.path.as_deref().unwrap_or(&self.event_types)
    }

    /// Refuses shapes that cannot work, naming what is wrong.
    fn validate(&self, pointer: &dyn Fn(&str, &str) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let c = &self.create;
        pointer("webhooks.create.id", &c.id)?;
        pointer("webhooks.create.record", &c.record)?;
        for (name, p) in [("secret", &c.secret), ("status", &c.status)] {
            if let Some(p) = p {
                pointer(&format!("webhooks.create.{name}"), p)?;
            }
        }
        if !c.body.is_object() {
            bail!("`webhooks.create.body` must be a JSON object (a template with `{{name}}`, `{{target_url}}`, ...)");
        }
        let api = self.api();
        if c.secret.is_none() && !api.integrator_secret() {
            bail!(
                "`webhooks.create` names no `secret` pointer and its body holds no \"{{secret}}\": say where the vendor's answer issues the secret, or where the integrator's goes"
            );
        }
        let l = &self.list;
        pointer("webhooks.list.list", &l.list)?;
        pointer("webhooks.list.id", &l.id)?;
        for (name, p) in [("target_url", &l.target_url), ("status", &l.status)] {
            if let Some(p) = p {
                pointer(&format!("webhooks.list.{name}"), p)?;
            }
        }
        if let Some(p) = &self.ping_event_id {
            pointer("webhooks.ping_event_id", p)?;
        }
        let k = &self.catalogue;
        pointer("webhooks.catalogue.list", &k.list)?;
        pointer("webhooks.catalogue.event_type", &k.event_type)?;
        for (name, p) in [
            ("description", &k.description),
            ("data_schema", &k.data_schema),
            ("emitted_by", &k.emitted_by),
            ("not_emitted_by", &k.not_emitted_by),
        ] {
            if let Some(p) = p {
                pointer(&format!("webhooks.catalogue.{name}"), p)?;
            }
        }
        Ok(())
    }
}

/// How a list is split into pages: one variant per `kind`, with exactly the keys that kind
/// reads (a key another kind reads is refused by name). A new kind is one variant here, its
/// [`PagingKind`] and its step in the client's walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PaginationProfile {
    /// A page number counted from 1 and a page size; totals in the answer (the contract's).
    Page {
        #[serde(default)]
        location: ParamLocation,
        /// The page-number parameter.
        page_param: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size_param: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_size: Option<u64>,
        /// JSON Pointers of the pagination block, when the vendor reports one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total_pages: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total_count: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        per_page: Option<String>,
    },
    /// An item offset counted from 0 and a limit: a short page or the reported count ends.
    Offset {
        #[serde(default)]
        location: ParamLocation,
        offset_param: String,
        /// Required: a short page ends the walk, so the harness must know the size it asked for.
        size_param: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total_count: Option<String>,
    },
    /// An opaque token from each answer names the next page.
    Cursor {
        #[serde(default)]
        location: ParamLocation,
        /// The parameter the token goes back in...
        token_param: String,
        /// ...and the JSON Pointer of the next page's token in an answer (null, `""` or missing ends).
        next_token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size_param: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total_count: Option<String>,
        /// How to ask for the page after the last (keyset pagination), when the vendor allows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        past_end: Option<PastEnd>,
    },
    /// The next page's URL in an RFC 5988 `Link: <...>; rel=next` header (query parameters).
    LinkHeader {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size_param: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_size: Option<u64>,
        /// How to ask for the page after the last (`startingAfter=<serial>`), when the vendor
        /// allows it: PAGE-4 then applies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        past_end: Option<PastEnd>,
    },
    /// One answer holds the whole list.
    None {},
}

/// Keyset pagination's way past the end: send `param` set to the value at `from` (a JSON
/// Pointer into the vendor's raw record) of the last item of the last page
/// (`[pagination.past_end] param = "startingAfter", from = "/serial"`); an endpoint whose
/// records keep it elsewhere says so with its own `past_end_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastEnd {
    pub param: String,
    pub from: String,
}

impl PaginationProfile {
    pub fn kind(&self) -> PagingKind {
        match self {
            Self::Page { .. } => PagingKind::Page,
            Self::Offset { .. } => PagingKind::Offset,
            Self::Cursor { .. } => PagingKind::Cursor,
            Self::LinkHeader { .. } => PagingKind::LinkHeader,
            Self::None {} => PagingKind::None,
        }
    }

    /// Where the parameters go (a `rel=next` link carries its own).
    pub fn location(&self) -> ParamLocation {
        match self {
            Self::Page { location, .. } | Self::Offset { location, .. } | Self::Cursor { location, .. } => *location,
            Self::LinkHeader { .. } | Self::None {} => ParamLocation::Query,
        }
    }

    /// The page-size parameter, when pages can be sized.
    pub fn size_param(&self) -> Option<&String> {
        match self {
            Self::Page { size_param, .. } | Self::Cursor { size_param, .. } | Self::LinkHeader { size_param, .. } => {
                size_param.as_ref()
            }
            Self::Offset { size_param, .. } => Some(size_param),
            Self::None {} => None,
        }
    }

    /// `(size, max_size, default_size)` as written.
    fn sizes(&self) -> (Option<u64>, Option<u64>, Option<u64>) {
        match self {
            Self::Page { size, max_size, default_size, .. }
            | Self::Offset { size, max_size, default_size, .. }
            | Self::Cursor { size, max_size, default_size, .. }
            | Self::LinkHeader { size, max_size, default_size, .. } => (*size, *max_size, *default_size),
            Self::None {} => (None, None, None),
        }
    }

    /// The page size the harness asks for: `size`, else the vendor's declared default, else the
    /// contract's default; never above the declared maximum.
    pub fn size(&self) -> u64 {
        let (size, max, default) = self.sizes();
        let size = size.or(default).unwrap_or(contract::DEFAULT_PER_PAGE);
        max.map_or(size, |m| size.min(m))
    }

    /// Sets the page size the harness asks for (tests walk small pages).
    pub fn set_size(&mut self, n: u64) {
        match self {
            Self::Page { size, .. }
            | Self::Offset { size, .. }
            | Self::Cursor { size, .. }
            | Self::LinkHeader { size, .. } => *size = Some(n),
            Self::None {} => {}
        }
    }

    /// Sets the vendor's declared maximum page size for every collection.
    pub fn set_max_size(&mut self, n: Option<u64>) {
        match self {
            Self::Page { max_size, .. }
            | Self::Offset { max_size, .. }
            | Self::Cursor { max_size, .. }
            | Self::LinkHeader { max_size, .. } => *max_size = n,
            Self::None {} => {}
        }
    }

    /// The parameter that names a page by its number (`page`) or its first item (`offset`).
    pub fn position_param(&self) -> Option<&String> {
        match self {
            Self::Page { page_param, .. } => Some(page_param),
            Self::Offset { offset_param, .. } => Some(offset_param),
            _ => None,
        }
    }

    /// The cursor token's parameter and the pointer of the next one.
    pub fn token(&self) -> Option<(&String, &String)> {
        match self {
            Self::Cursor { token_param, next_token, .. } => Some((token_param, next_token)),
            _ => None,
        }
    }

    pub fn past_end(&self) -> Option<&PastEnd> {
        match self {
            Self::Cursor { past_end, .. } | Self::LinkHeader { past_end, .. } => past_end.as_ref(),
            _ => None,
        }
    }

    /// The pagination block's pointers: `(page, per_page, total_pages, total_count)`.
    pub fn block(&self) -> [Option<&String>; 4] {
        match self {
            Self::Page { page, per_page, total_pages, total_count, .. } => {
                [page.as_ref(), per_page.as_ref(), total_pages.as_ref(), total_count.as_ref()]
            }
            Self::Offset { total_count, .. } | Self::Cursor { total_count, .. } => {
                [None, None, None, total_count.as_ref()]
            }
            Self::LinkHeader { .. } | Self::None {} => [None; 4],
        }
    }

    /// The vendor's limits for an endpoint: its own `max_size`/`default_size`/`min_size` over these.
    pub fn limits_of(&self, endpoint: &ListEndpoint) -> SizeLimits {
        let (_, max, default) = self.sizes();
        SizeLimits {
            max: endpoint.max_size.or(max),
            default: endpoint.default_size.or(default),
            min: endpoint.min_size.or(self.min_size()),
        }
    }

    /// `min_size` as written.
    fn min_size(&self) -> Option<u64> {
        match self {
            Self::Page { min_size, .. }
            | Self::Offset { min_size, .. }
            | Self::Cursor { min_size, .. }
            | Self::LinkHeader { min_size, .. } => *min_size,
            Self::None {} => None,
        }
    }
}

/// The vendor's words for canonical values: vendor value → canonical value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vocabularies {
    /// → `online | offline | degraded | unknown`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub status: BTreeMap<String, String>,
    /// → the canonical device types (`camera`, `door`, `access_panel`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub device_type: BTreeMap<String, String>,
    /// Vendor event type → canonical `event_type` (`health`, `alarm`, `access`, `video`, `ping`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub event_type: BTreeMap<String, String>,
}

/// Which vocabulary a field's values go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VocabularyName {
    Status,
    DeviceType,
    EventType,
}

/// How the vendor writes a timestamp; the canonical records carry RFC 3339 in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampFormat {
    Rfc3339,
    EpochSeconds,
    EpochMillis,
}

/// A value of the request a field can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestValue {
    /// The site whose inventory was asked for (`/networks/{site_id}/devices`).
    SiteId,
    /// The account the credential is bound to, as the account endpoint answered it (devices
    /// and events of a vendor whose records carry no account id).
    AccountId,
}

/// Where one canonical field comes from: a JSON Pointer, or a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFieldSpec", into = "RawFieldSpec")]
pub enum FieldSpec {
    Pointer(String),
    Rule(FieldRule),
}

/// A field with more to it than a pointer: where its value comes from (exactly one source),
/// and how it is translated.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRule {
    pub source: FieldSource,
    /// The vocabulary its values go through.
    pub vocabulary: Option<VocabularyName>,
    /// How the vendor writes it, when it is a timestamp.
    pub timestamp: Option<TimestampFormat>,
}

/// Where a rule's value comes from. A new source is one variant here, its keys in
/// [`RawFieldRule`] and its reading in `Profile::field_value`.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// `{ pointer = "/x" }`, optionally read inside the first element of an array that matches a
    /// filter (`array`, `where`, `equals`: an event whose status sits in `data[]`).
    Pointer { pointer: String, within: Option<ArrayElement> },
    /// `{ from_request = "site_id" | "account_id" }`.
    FromRequest(RequestValue),
    /// `{ constant = "camera" }`.
    Constant(Value),
    /// `{ join = ["/address/street", "/address/city"], separator = ", " }`: the string (or
    /// number) values found, joined; parts that are missing or empty are left out.
    Join { pointers: Vec<String>, separator: String },
}

/// The element of an array a pointer is read in: the first whose `element_where` is `equals`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayElement {
    pub array: String,
    pub element_where: String,
    pub equals: Value,
}

/// A field as TOML writes it: a pointer or an inline table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawFieldSpec {
    Pointer(String),
    Rule(RawFieldRule),
}

/// A field rule's keys as written; [`FieldRule`] refuses combinations that cannot work.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawFieldRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_request: Option<RequestValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constant: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<String>,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub element_where: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary: Option<VocabularyName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampFormat>,
}

impl TryFrom<RawFieldRule> for FieldRule {
    type Error = String;

    fn try_from(raw: RawFieldRule) -> Result<Self, String> {
        let sources = [raw.pointer.is_some(), raw.from_request.is_some(), raw.constant.is_some(), raw.join.is_some()];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err("a field rule needs exactly one of `pointer`, `from_request`, `constant` and `join`".into());
        }
        let filter = (raw.array, raw.element_where, raw.equals);
        let within = match filter {
            (Some(array), Some(element_where), Some(equals)) if raw.pointer.is_some() => {
                Some(ArrayElement { array, element_where, equals })
            }
            (None, None, None) => None,
            _ => return Err("`array`, `where` and `equals` go together, with `pointer`".into()),
        };
        if raw.separator.is_some() && raw.join.is_none() {
            return Err("`separator` goes with `join`".into());
        }
        let source = if let Some(pointer) = raw.pointer {
            FieldSource::Pointer { pointer, within }
        } else if let Some(value) = raw.from_request {
            FieldSource::FromRequest(value)
        } else if let Some(constant) = raw.constant {
            FieldSource::Constant(constant)
        } else {
            let pointers = raw.join.unwrap_or_default();
            if pointers.is_empty() {
                return Err("`join` lists no pointer".into());
            }
            FieldSource::Join { pointers, separator: raw.separator.unwrap_or_else(|| ", ".into()) }
        };
        Ok(Self { source, vocabulary: raw.vocabulary, timestamp: raw.timestamp })
    }
}

impl From<FieldRule> for RawFieldRule {
    fn from(rule: FieldRule) -> Self {
        let mut raw = RawFieldRule { vocabulary: rule.vocabulary, timestamp: rule.timestamp, ..Self::default() };
        match rule.source {
            FieldSource::Pointer { pointer, within } => {
                raw.pointer = Some(pointer);
                if let Some(e) = within {
                    (raw.array, raw.element_where, raw.equals) = (Some(e.array), Some(e.element_where), Some(e.equals));
                }
            }
            FieldSource::FromRequest(value) => raw.from_request = Some(value),
            FieldSource::Constant(value) => raw.constant = Some(value),
            FieldSource::Join { pointers, separator } => {
                raw.join = Some(pointers);
                raw.separator = Some(separator);
            }
        }
        raw
    }
}

impl TryFrom<RawFieldSpec> for FieldSpec {
    type Error = String;

    fn try_from(raw: RawFieldSpec) -> Result<Self, String> {
        Ok(match raw {
            RawFieldSpec::Pointer(p) => Self::Pointer(p),
            RawFieldSpec::Rule(rule) => Self::Rule(rule.try_into()?),
        })
    }
}

impl From<FieldSpec> for RawFieldSpec {
    fn from(spec: FieldSpec) -> Self {
        match spec {
            FieldSpec::Pointer(p) => Self::Pointer(p),
            FieldSpec::Rule(rule) => Self::Rule(rule.into()),
        }
    }
}

impl FieldRule {
    /// A rule with `source` and no translation.
    pub fn of(source: FieldSource) -> Self {
        Self { source, vocabulary: None, timestamp: None }
    }
}

/// Canonical field name → where the vendor keeps it.
pub type FieldMap = BTreeMap<String, FieldSpec>;

/// Errors signalled in a 2xx body (`{"error": true, "errorMsg": ...}`, `{"code": "0"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyErrors {
    /// JSON Pointer of the flag. Without `ok`, the answer is an error when the flag is present
    /// and neither `false`, `null`, `0` nor `""`.
    pub flag: String,
    /// Values of the flag that mean success (`["0"]` for a `code` field), when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ok: Vec<Value>,
    /// JSON Pointer of the error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl BodyErrors {
    /// The error a 2xx body signals, if it does.
    pub fn error_in(&self, doc: &Value) -> Option<String> {
        let flag = doc.pointer(&self.flag)?;
        let error = if self.ok.is_empty() {
            !matches!(flag, Value::Null | Value::Bool(false)) && flag != &Value::from(0) && flag != &Value::from("")
        } else {
            !self.ok.contains(flag)
        };
        error.then(|| {
            let message = self.message.as_deref().and_then(|p| doc.pointer(p)).map(|m| match m {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            message.unwrap_or_else(|| format!("`{}` is {flag}", self.flag))
        })
    }
}

/// How requests authenticate, one variant per `kind` with the keys that kind reads (a
/// `token_url` only with OAuth2). The secrets themselves come from the configuration's `[auth]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthProfile {
    /// The contract's client-minted RS256 JWT.
    Jwt {
        #[serde(default = "authorization")]
        header: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        extra_headers: BTreeMap<String, String>,
    },
    /// A static API key in a header (no prefix unless given).
    ApiKey {
        #[serde(default = "authorization")]
        header: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        extra_headers: BTreeMap<String, String>,
    },
    /// A static bearer token.
    Bearer {
        #[serde(default = "authorization")]
        header: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        extra_headers: BTreeMap<String, String>,
    },
    /// OAuth2 client credentials: a token from `token_url` (a path under the base URL, or a URL).
    Oauth2ClientCredentials {
        token_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        #[serde(default = "authorization")]
        header: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        extra_headers: BTreeMap<String, String>,
    },
}

fn authorization() -> String {
    "Authorization".into()
}

impl Default for AuthProfile {
    fn default() -> Self {
        Self::Jwt { header: authorization(), prefix: None, extra_headers: BTreeMap::new() }
    }
}

impl AuthProfile {
    /// A static API key in `header`, with no prefix.
    pub fn api_key(header: impl Into<String>) -> Self {
        Self::ApiKey { header: header.into(), prefix: None, extra_headers: BTreeMap::new() }
    }

    pub fn kind(&self) -> AuthKind {
        match self {
            Self::Jwt { .. } => AuthKind::Jwt,
            Self::ApiKey { .. } => AuthKind::ApiKey,
            Self::Bearer { .. } => AuthKind::Bearer,
            Self::Oauth2ClientCredentials { .. } => AuthKind::Oauth2ClientCredentials,
        }
    }

    /// The header the credential goes in.
    pub fn header(&self) -> &str {
        match self {
            Self::Jwt { header, .. }
            | Self::ApiKey { header, .. }
            | Self::Bearer { header, .. }
            | Self::Oauth2ClientCredentials { header, .. } => header,
        }
    }

    /// Written before the credential (`"Bearer "`; `""` for a raw JWT or an API key). When
    /// absent: `"Bearer "` for tokens, nothing for an API key.
    pub fn prefix(&self) -> &str {
        let (Self::Jwt { prefix, .. }
        | Self::ApiKey { prefix, .. }
        | Self::Bearer { prefix, .. }
        | Self::Oauth2ClientCredentials { prefix, .. }) = self;
        prefix.as_deref().unwrap_or(if self.kind() == AuthKind::ApiKey { "" } else { "Bearer " })
    }

    /// Fixed headers sent with every request (`x-auth-scheme = "api-token"`).
    pub fn extra_headers(&self) -> &BTreeMap<String, String> {
        match self {
            Self::Jwt { extra_headers, .. }
            | Self::ApiKey { extra_headers, .. }
            | Self::Bearer { extra_headers, .. }
            | Self::Oauth2ClientCredentials { extra_headers, .. } => extra_headers,
        }
    }

    /// OAuth2's token endpoint and scope.
    pub fn oauth2(&self) -> Option<(&str, Option<&str>)> {
        match self {
            Self::Oauth2ClientCredentials { token_url, scope, .. } => Some((token_url, scope.as_deref())),
            _ => None,
        }
    }
}

/// Where an event's canonical fields are in a delivery body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventProfile {
    /// `event_id`, `event_type`, `device_id`, `account_id`, `site_id`, `timestamp`, `data`, and
    /// `status` (written into `data.status`, for health events).
    pub fields: FieldMap,
}

/// A whole profile: every endpoint is stated (no field silently falls back to the canonical
/// shape); what a vendor may not have (errors in bodies, vocabularies, its own signature
/// format) is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Shown in reports (MAP-2: the harness reports the profile it used).
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub auth: AuthProfile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BodyErrors>,
    pub account: RecordEndpoint,
    pub sites: ListEndpoint,
    /// One endpoint, or several whose union is a site's inventory (cameras + doors + ...).
    pub inventory: Vec<ListEndpoint>,
    pub pagination: PaginationProfile,
    #[serde(default)]
    pub vocabulary: Vocabularies,
    /// The webhook management API (WHM-1) and the event catalogue (EVT-5).
    pub webhooks: WebhookEndpoints,
    /// The webhook signature format; `None` = the contract's format for the configured scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureFormat>,
    pub events: EventProfile,
}

impl Default for Profile {
    /// The canonical profile, read from `profiles/canonical.toml`.
    fn default() -> Self {
        CANONICAL.clone()
    }
}

/// The canonical fields every record of a kind must be mapped from (a profile that cannot give
/// them cannot certify).
const ACCOUNT_REQUIRED: &[&str] = &["account_id", "name"];
const SITE_REQUIRED: &[&str] = &["site_id", "name"];
const DEVICE_REQUIRED: &[&str] = &["device_id", "name", "type", "site_id", "status"];
const EVENT_REQUIRED: &[&str] = &["event_id", "event_type", "timestamp", "account_id"];

impl Profile {
    /// Parses and validates a profile's TOML.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let profile: Self = toml::from_str(text)?;
        profile.validate()?;
        Ok(profile)
    }

    /// A built-in profile's TOML by name, for a profile that starts from it.
    pub fn builtin_text(name: &str) -> String {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, text)| (*text).to_owned()).unwrap_or_default()
    }

    /// A built-in profile by name (`canonical`, `cursor`, `link`).
    pub fn builtin(name: &str) -> Option<Self> {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(n, text)| {
            Self::parse(text).unwrap_or_else(|e| panic!("profiles/{n}.toml is not a valid profile: {e:#}"))
        })
    }

    /// Refuses a profile that cannot work, naming what is missing or wrong. (What the types
    /// cannot express: a pointer's form, required fields, sizes that contradict each other.)
    pub fn validate(&self) -> anyhow::Result<()> {
        let pointer = |what: &str, p: &str| -> anyhow::Result<()> {
            if !p.is_empty() && !p.starts_with('/') {
                bail!(
                    "`{what}` = `{p}` is not a JSON Pointer (it starts with `/`, or is empty for the whole document)"
                );
            }
            Ok(())
        };
        let fields = |what: &str, map: &FieldMap, required: &[&str]| -> anyhow::Result<()> {
            for name in required {
                if !map.contains_key(*name) {
                    bail!("`{what}.fields` has no `{name}`: every record needs one");
                }
            }
            for (name, spec) in map {
                let at = format!("{what}.fields.{name}");
                let rule = match spec {
                    FieldSpec::Pointer(p) => {
                        pointer(&at, p)?;
                        continue;
                    }
                    FieldSpec::Rule(rule) => rule,
                };
                match &rule.source {
                    FieldSource::Pointer { pointer: p, within } => {
                        pointer(&at, p)?;
                        if let Some(e) = within {
                            pointer(&at, &e.array)?;
                            pointer(&at, &e.element_where)?;
                        }
                    }
                    FieldSource::Join { pointers, .. } => {
                        for p in pointers {
                            pointer(&at, p)?;
                        }
                    }
                    FieldSource::FromRequest(RequestValue::SiteId) if matches!(what, "sites" | "account") => {
                        bail!("`{at}`: `from_request = \"site_id\"` is for inventory endpoints (the site asked for)");
                    }
                    FieldSource::FromRequest(RequestValue::AccountId) if what == "events" => {
                        bail!(
                            "`{at}`: a delivery is not a request the harness made; write the account id as `{{ constant = \"...\" }}`"
                        );
                    }
                    FieldSource::FromRequest(_) | FieldSource::Constant(_) => {}
                }
            }
            Ok(())
        };
        pointer("account.record", &self.account.record)?;
        fields("account", &self.account.fields, ACCOUNT_REQUIRED)?;
        if let Some((name, FieldSpec::Rule(rule))) = self.account.fields.iter().find(|(n, _)| *n == "account_id")
            && rule.source == FieldSource::FromRequest(RequestValue::AccountId)
        {
            bail!("`account.fields.{name}` cannot come from the account itself (give a pointer or a constant)");
        }
        pointer("sites.list", &self.sites.list)?;
        fields("sites", &self.sites.fields, SITE_REQUIRED)?;
        if self.inventory.is_empty() {
            bail!("`inventory` lists no endpoint");
        }
        for (i, endpoint) in self.inventory.iter().enumerate() {
            pointer(&format!("inventory[{i}].list"), &endpoint.list)?;
            fields(&format!("inventory[{i}]"), &endpoint.fields, DEVICE_REQUIRED)?;
        }
        fields("events", &self.events.fields, EVENT_REQUIRED)?;
        let p = &self.pagination;
        let kind = p.kind().as_str();
        let (size, max, default) = p.sizes();
        for (name, n) in [("size", size), ("max_size", max), ("default_size", default), ("min_size", p.min_size())] {
            if n == Some(0) {
                bail!("`pagination.{name}` must be at least 1");
            }
        }
        let endpoints = std::iter::once(("sites".to_owned(), &self.sites))
            .chain(self.inventory.iter().enumerate().map(|(i, e)| (format!("inventory[{i}]"), e)));
        for (what, endpoint) in endpoints {
            let limits = p.limits_of(endpoint);
            if p.size_param().is_none()
                && (endpoint.max_size.is_some() || endpoint.default_size.is_some() || endpoint.min_size.is_some())
            {
                bail!("`{what}` declares page sizes, but `kind = \"{kind}\"` has no `size_param` to ask for one");
            }
            if let Some(from) = &endpoint.past_end_from {
                if p.past_end().is_none() {
                    bail!("`{what}.past_end_from` needs `[pagination.past_end]` (the parameter it goes in)");
                }
                pointer(&format!("{what}.past_end_from"), from)?;
            }
            if [endpoint.max_size, endpoint.default_size, endpoint.min_size].contains(&Some(0)) {
                bail!("`{what}.max_size`, `{what}.default_size` and `{what}.min_size` must be at least 1");
            }
            for (name, n) in [("maximum", limits.max), ("default", limits.default), ("size asked for", size)] {
                if let (Some(min), Some(n)) = (limits.min, n)
                    && n < min
                {
                    bail!("`{what}`: the {name} page size {n} is below the minimum {min}");
                }
            }
            if let (Some(max), Some(default)) = (limits.max, limits.default)
                && default > max
            {
                bail!("`{what}`: the default page size {default} is above the maximum {max}");
            }
            if let (Some(asked), Some(max)) = (size, limits.max)
                && asked > max
            {
                bail!("`pagination.size` = {asked} is above `{what}`'s maximum page size {max}");
            }
        }
        let mut pointers: Vec<(&str, &String)> = ["page", "per_page", "total_pages", "total_count"]
            .into_iter()
            .zip(p.block())
            .filter_map(|(n, p)| Some((n, p?)))
            .collect();
        if let Some((_, next)) = p.token() {
            pointers.push(("next_token", next));
        }
        if let Some(past_end) = p.past_end() {
            pointers.push(("past_end.from", &past_end.from));
        }
        for (name, ptr) in pointers {
            pointer(&format!("pagination.{name}"), ptr)?;
        }
        if p.location() == ParamLocation::Body {
            let all = std::iter::once(&self.sites).chain(&self.inventory);
            if let Some(get) = all.into_iter().find(|e| e.method.eq_ignore_ascii_case("GET")) {
                bail!("`pagination.location = \"body\"` needs `POST` list endpoints; `{}` is a GET", get.path);
            }
        }
        if let Some(errors) = &self.errors {
            pointer("errors.flag", &errors.flag)?;
        }
        self.webhooks.validate(&pointer)?;
        if let Some(format) = &self.signature {
            format.validate().context("`signature` cannot work")?;
        }
        Ok(())
    }

    /// The signature format deliveries are verified with.
    pub fn signature_format(&self, scheme: Scheme) -> SignatureFormat {
        self.signature.clone().unwrap_or_else(|| SignatureFormat::canonical(scheme))
    }

    /// The pagination as checks see it.
    pub fn paging(&self) -> Paging {
        let p = &self.pagination;
        let kind = p.kind();
        let [_, _, total_pages, total_count] = p.block();
        // A union's walk asks every endpoint for the same size: the tightest maximum bounds it.
        let parts: Vec<SizeLimits> = self.inventory.iter().map(|e| p.limits_of(e)).collect();
        let inventory_limits = SizeLimits {
            max: parts.iter().filter_map(|l| l.max).min(),
            default: parts.first().and_then(|l| l.default),
            // ...and the largest minimum.
            min: parts.iter().filter_map(|l| l.min).max(),
        };
        Paging {
            kind,
            size_param: p.size_param().cloned(),
            size_default: p.size(),
            position_param: p.position_param().cloned(),
            total_count: total_count.is_some(),
            total_pages: total_pages.is_some(),
            sites_limits: p.limits_of(&self.sites),
            inventory_limits,
            keyset_past_end: p.past_end().is_some(),
        }
    }

    fn vocabulary(&self, name: VocabularyName) -> &BTreeMap<String, String> {
        match name {
            VocabularyName::Status => &self.vocabulary.status,
            VocabularyName::DeviceType => &self.vocabulary.device_type,
            VocabularyName::EventType => &self.vocabulary.event_type,
        }
    }

    /// Maps a vendor record onto a canonical one through `fields`. Fields whose source resolves
    /// are copied (a present `null` stays `null`, so the schema sees it) and translated; a record
    /// that is not an object is kept as it is so that validation reports it.
    pub fn map_record(&self, raw: &Value, fields: &FieldMap, request: &RequestContext) -> Value {
        self.map_fields(raw, fields.iter(), request)
    }

    fn map_fields<'f>(
        &self,
        raw: &Value,
        fields: impl Iterator<Item = (&'f String, &'f FieldSpec)>,
        request: &RequestContext,
    ) -> Value {
        if !raw.is_object() {
            return raw.clone();
        }
        let mut out = Map::new();
        for (name, spec) in fields {
            if let Some(v) = self.field_value(raw, spec, request) {
                out.insert(name.clone(), canonical_id(name, v));
            }
        }
        Value::Object(out)
    }

    fn field_value(&self, raw: &Value, spec: &FieldSpec, request: &RequestContext) -> Option<Value> {
        let rule = match spec {
            FieldSpec::Pointer(p) => return raw.pointer(p).cloned(),
            FieldSpec::Rule(rule) => rule,
        };
        let value = match &rule.source {
            FieldSource::Constant(constant) => constant.clone(),
            FieldSource::FromRequest(RequestValue::SiteId) => Value::String(request.site_id.clone()?),
            FieldSource::FromRequest(RequestValue::AccountId) => Value::String(request.account_id.clone()?),
            FieldSource::Pointer { pointer, within } => {
                let within = match within {
                    Some(e) => raw
                        .pointer(&e.array)?
                        .as_array()?
                        .iter()
                        .find(|item| item.pointer(&e.element_where) == Some(&e.equals))?,
                    None => raw,
                };
                within.pointer(pointer)?.clone()
            }
            FieldSource::Join { pointers, separator } => {
                let parts: Vec<String> = pointers
                    .iter()
                    .filter_map(|p| match raw.pointer(p)? {
                        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect();
                if parts.is_empty() {
                    return None;
                }
                Value::String(parts.join(separator))
            }
        };
        let value = match (rule.vocabulary, &value) {
            (Some(name), Value::String(s)) => {
                self.vocabulary(name).get(s).map_or(value.clone(), |canonical| Value::String(canonical.clone()))
            }
            _ => value,
        };
        Some(match (rule.timestamp, &value) {
            (Some(TimestampFormat::EpochSeconds), Value::Number(n)) => n
                .as_i64()
                .and_then(|s| s.checked_mul(1000))
                .map_or(value.clone(), |ms| Value::String(contract::rfc3339_millis(ms))),
            (Some(TimestampFormat::EpochMillis), Value::Number(n)) => {
                n.as_i64().map_or(value.clone(), |ms| Value::String(contract::rfc3339_millis(ms)))
            }
            _ => value,
        })
    }

    /// Maps a delivery body onto a canonical event: the event fields, with `status` (when the
    /// profile maps one) written into `data.status`.
    pub fn map_event(&self, raw: &Value) -> Value {
        let fields = &self.events.fields;
        let request = RequestContext::default();
        let mut event = self.map_fields(raw, fields.iter().filter(|(name, _)| *name != "status"), &request);
        if let (Some(status), Some(obj)) = (fields.get("status"), event.as_object_mut())
            && let Some(value) = self.field_value(raw, status, &request)
        {
            let data = obj.entry("data").or_insert_with(|| Value::Object(Map::new()));
            if let Some(data) = data.as_object_mut() {
                data.insert("status".into(), value);
            }
        }
        event
    }

    /// The event catalogue in the contract's shape (`{"event_types": [...]}`, through
    /// `webhooks.catalogue`) with event types and device types in canonical words.
    pub fn map_catalogue(&self, doc: Value) -> Value {
        let mut doc = self.webhooks.catalogue.to_canonical(doc);
        let translate = |v: &mut Value, vocabulary: &BTreeMap<String, String>| {
            if let Value::String(s) = v
                && let Some(canonical) = vocabulary.get(s.as_str())
            {
                *s = canonical.clone();
            }
        };
        if let Some(entries) = doc.get_mut("event_types").and_then(Value::as_array_mut) {
            for entry in entries {
                if let Some(t) = entry.get_mut("event_type") {
                    translate(t, &self.vocabulary.event_type);
                }
                for key in ["emitted_by", "not_emitted_by"] {
                    if let Some(list) = entry.get_mut(key).and_then(Value::as_array_mut) {
                        list.iter_mut().for_each(|t| translate(t, &self.vocabulary.device_type));
                    }
                }
            }
        }
        doc
    }

    /// The canonical fields of `fields` whose source is in none of `raws` (for the clear error
    /// naming the pointer): `(field, where the profile looked)`.
    pub fn unmatched(&self, raws: &[Value], fields: &FieldMap, request: &RequestContext) -> Vec<(String, String)> {
        let objects: Vec<&Value> = raws.iter().filter(|r| r.is_object()).collect();
        if objects.is_empty() {
            return Vec::new();
        }
        fields
            .iter()
            .filter(|(_, spec)| objects.iter().all(|raw| self.field_value(raw, spec, request).is_none()))
            .map(|(name, spec)| (name.clone(), spec.shown()))
            .collect()
    }
}

impl FieldSpec {
    /// Where the profile looks, as a message shows it.
    pub fn shown(&self) -> String {
        let rule = match self {
            Self::Pointer(p) => return format!("`{p}`"),
            Self::Rule(rule) => rule,
        };
        match &rule.source {
            FieldSource::Pointer { pointer, within: Some(e) } => {
                format!("`{pointer}` in the element of `{}` whose `{}` is {}", e.array, e.element_where, e.equals)
            }
            FieldSource::Pointer { pointer, within: None } => format!("`{pointer}`"),
            FieldSource::Join { pointers, .. } => {
                let each: Vec<String> = pointers.iter().map(|p| format!("`{p}`")).collect();
                format!("{} (joined)", each.join(", "))
            }
            FieldSource::FromRequest(RequestValue::SiteId) => "the request's site id".into(),
            FieldSource::FromRequest(RequestValue::AccountId) => {
                "the credential's account (its account endpoint)".into()
            }
            FieldSource::Constant(_) => "a constant".into(),
        }
    }

    /// Whether the value depends on the vendor's record (a pointer or a join), so a value
    /// missing on every record points at the profile.
    pub fn reads_record(&self) -> bool {
        match self {
            Self::Pointer(_) => true,
            Self::Rule(rule) => matches!(rule.source, FieldSource::Pointer { .. } | FieldSource::Join { .. }),
        }
    }
}

/// Canonical fields that hold ids: the contract gives ids no type, and canonical records carry
/// them as strings, so a vendor's integer ids (Hikvision-like) meet INV-1/SITE-1/ACC-1/EVT-2.
const ID_FIELDS: [&str; 5] = ["account_id", "site_id", "device_id", "parent_id", "event_id"];

/// `value` as the canonical record carries it: a number in an id field as its decimal text.
fn canonical_id(name: &str, value: Value) -> Value {
    match value {
        Value::Number(n) if ID_FIELDS.contains(&name) => Value::String(n.to_string()),
        other => other,
    }
}

/// What a request was for, for fields that come from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub site_id: Option<String>,
    /// The credential's account id, as the account endpoint answered it.
    pub account_id: Option<String>,
}

impl RequestContext {
    pub fn site(site_id: impl Into<String>) -> Self {
        Self { site_id: Some(site_id.into()), account_id: None }
    }
}

/// Whether a canonical field is required of a record kind (for `harness probe`).
pub fn required(kind: &str) -> &'static [&'static str] {
    match kind {
        "account" => ACCOUNT_REQUIRED,
        "site" => SITE_REQUIRED,
        "device" => DEVICE_REQUIRED,
        _ => EVENT_REQUIRED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(source: FieldSource, f: impl FnOnce(&mut FieldRule)) -> FieldSpec {
        let mut r = FieldRule::of(source);
        f(&mut r);
        FieldSpec::Rule(r)
    }

    fn pointer(p: &str) -> FieldSource {
        FieldSource::Pointer { pointer: p.into(), within: None }
    }

    #[test]
    fn the_canonical_profile_maps_records_onto_themselves() {
        let p = Profile::default();
        let device =
            json!({"device_id": "d", "name": "n", "type": "camera", "site_id": "s", "status": "online", "ip": null});
        assert_eq!(p.map_record(&device, &p.inventory[0].fields, &RequestContext::default()), device);
        let extra = json!({"site_id": "s", "name": "n", "vendor_thing": 1});
        assert_eq!(
            p.map_record(&extra, &p.sites.fields, &RequestContext::default()),
            json!({"site_id": "s", "name": "n"})
        );
        assert_eq!(p.map_record(&json!([1]), &p.sites.fields, &RequestContext::default()), json!([1]));
        // Integer ids (Hikvision-like) are ids: the canonical record carries them as strings;
        // other numbers stay numbers.
        let numeric = json!({"device_id": 1042, "name": "n", "type": "camera", "site_id": 7, "parent_id": 1001,
            "account_id": 3, "status": "online", "ip": 5});
        assert_eq!(
            p.map_record(&numeric, &p.inventory[0].fields, &RequestContext::default()),
            json!({"device_id": "1042", "name": "n", "type": "camera", "site_id": "7", "parent_id": "1001",
                "account_id": "3", "status": "online", "ip": 5})
        );
        let numeric_event = json!({"event_id": 9, "event_type": "health", "device_id": 1042, "site_id": 7,
            "account_id": 3, "timestamp": "2026-01-01T00:00:00.000Z", "data": {"status": "offline"}});
        assert_eq!(
            p.map_event(&numeric_event),
            json!({"event_id": "9", "event_type": "health", "device_id": "1042", "site_id": "7", "account_id": "3",
                "timestamp": "2026-01-01T00:00:00.000Z", "data": {"status": "offline"}})
        );
        let event = json!({"event_id": "e", "event_type": "health", "device_id": "d", "site_id": "s", "account_id": "a",
            "timestamp": "2026-01-01T00:00:00.000Z", "data": {"status": "offline"}});
        assert_eq!(p.map_event(&event), event);
    }

    #[test]
    fn every_builtin_profile_parses_and_validates() {
        for (name, _) in BUILTIN {
            let p = Profile::builtin(name).unwrap();
            assert_eq!(&p.name, name);
        }
    }

    #[test]
    fn rules_map_nested_indexed_filtered_constant_and_request_values() {
        let mut p = Profile::default();
        p.vocabulary.status.insert("deviceOffline".into(), "offline".into());
        let fields: FieldMap = [
            ("device_id".to_owned(), FieldSpec::Pointer("/id".into())),
            ("mac_address".to_owned(), FieldSpec::Pointer("/networkInfo/adapters/0/macAddress".into())),
            ("type".to_owned(), rule(FieldSource::Constant(json!("camera")), |_| {})),
            ("site_id".to_owned(), rule(FieldSource::FromRequest(RequestValue::SiteId), |_| {})),
            ("account_id".to_owned(), rule(FieldSource::FromRequest(RequestValue::AccountId), |_| {})),
            (
                "status".to_owned(),
                rule(
                    FieldSource::Pointer {
                        pointer: "/newStatus/connectionStatus".into(),
                        within: Some(ArrayElement {
                            array: "/data".into(),
                            element_where: "/type".into(),
                            equals: json!("status"),
                        }),
                    },
                    |r| r.vocabulary = Some(VocabularyName::Status),
                ),
            ),
            ("last_seen".to_owned(), rule(pointer("/seen"), |r| r.timestamp = Some(TimestampFormat::EpochMillis))),
            (
                "address".to_owned(),
                rule(
                    FieldSource::Join {
                        pointers: vec!["/addr/street".into(), "/addr/city".into(), "/addr/zip".into()],
                        separator: ", ".into(),
                    },
                    |_| {},
                ),
            ),
        ]
        .into_iter()
        .collect();
        let raw = json!({"id": "x", "networkInfo": {"adapters": [{"macAddress": "00:11:22:33:44:55"}]},
            "data": [{"type": "other"}, {"type": "status", "newStatus": {"connectionStatus": "deviceOffline"}}],
            "seen": 1_700_000_000_123i64, "addr": {"street": "1 Main St", "city": "Springfield", "zip": 12345}});
        let request = RequestContext { site_id: Some("s1".into()), account_id: Some("acct-9".into()) };
        assert_eq!(
            p.map_record(&raw, &fields, &request),
            json!({"device_id": "x", "mac_address": "00:11:22:33:44:55", "type": "camera", "site_id": "s1",
                "account_id": "acct-9", "status": "offline", "last_seen": "2023-11-14T22:13:20.123Z",
                "address": "1 Main St, Springfield, 12345"})
        );
        // A join leaves out what is missing or blank, and is missing only when every part is.
        let partial = json!({"id": "p", "addr": {"street": " ", "city": "Springfield"}});
        assert_eq!(p.map_record(&partial, &fields, &request)["address"], "Springfield");
        assert!(p.map_record(&json!({"id": "q"}), &fields, &request).get("address").is_none());
        // Values the vocabulary or the format does not know pass through, for the schema to see.
        let odd = json!({"id": "y", "data": [{"type": "status", "newStatus": {"connectionStatus": "up"}}], "seen": "yesterday"});
        let mapped = p.map_record(&odd, &fields, &request);
        assert_eq!(mapped["status"], "up");
        assert_eq!(mapped["last_seen"], "yesterday");
        let unmatched = p.unmatched(&[json!({"id": "z"})], &fields, &request);
        assert!(
            unmatched.iter().any(|(f, at)| f == "mac_address" && at.contains("/networkInfo/adapters/0/macAddress"))
        );
        assert!(unmatched.iter().any(|(f, at)| f == "address" && at.contains("`/addr/city`") && at.contains("joined")));
    }

    #[test]
    fn errors_in_a_200_body_are_read() {
        let flag = BodyErrors { flag: "/error".into(), ok: vec![], message: Some("/errorMsg".into()) };
        assert_eq!(flag.error_in(&json!({"error": true, "errorMsg": "bad key"})), Some("bad key".into()));
        assert_eq!(flag.error_in(&json!({"error": false})), None);
        assert_eq!(flag.error_in(&json!({"data": 1})), None);
        let code = BodyErrors { flag: "/code".into(), ok: vec![json!("0")], message: Some("/msg".into()) };
        assert_eq!(code.error_in(&json!({"code": "0"})), None);
        assert_eq!(code.error_in(&json!({"code": "VMS001", "msg": "no"})), Some("no".into()));
    }

    #[test]
    fn a_profile_that_cannot_work_is_refused_naming_what_is_wrong() {
        let bad = |edit: &dyn Fn(&mut Profile)| {
            let mut p = Profile::default();
            edit(&mut p);
            format!("{:#}", p.validate().unwrap_err())
        };
        assert!(
            bad(&|p| {
                p.inventory[0].fields.insert("device_id".into(), FieldSpec::Pointer("serial".into()));
            })
            .contains("`inventory[0].fields.device_id` = `serial` is not a JSON Pointer")
        );
        assert!(bad(&|p| p.pagination.set_max_size(Some(20))).contains("above `sites`'s maximum page size 20"));
        assert!(
            bad(&|p| {
                p.events.fields.insert(
                    "account_id".into(),
                    FieldSpec::Rule(FieldRule::of(FieldSource::FromRequest(RequestValue::AccountId))),
                );
            })
            .contains("constant")
        );
        assert!(
            bad(&|p| {
                p.inventory[0].fields.remove("device_id");
            })
            .contains("`inventory[0].fields` has no `device_id`")
        );
        assert!(bad(&|p| p.sites.list = "sites".into()).contains("not a JSON Pointer"));
        assert!(bad(&|p| p.inventory.clear()).contains("no endpoint"));
    }

    /// The canonical profile's TOML with its `[pagination]` (or `[auth]`) table replaced.
    fn with_table(table: &str, replacement: &str) -> anyhow::Result<Profile> {
        let text = BUILTIN[0].1;
        let start = text.find(&format!("\n[{table}]\n")).unwrap() + 1;
        let end = start + 1 + text[start + 1..].find("\n[").unwrap();
        Profile::parse(&format!("{}{replacement}\n{}", &text[..start], &text[end..]))
    }

    #[test]
    fn each_pagination_kind_takes_exactly_its_keys() {
        let err = |t: &str| format!("{:#}", with_table("pagination", t).unwrap_err());
        assert!(err("[pagination]\nkind = \"cursor\"\nsize_param = \"n\"").contains("missing field `token_param`"));
        assert!(
            err("[pagination]\nkind = \"page\"\npage_param = \"p\"\ntoken_param = \"t\"")
                .contains("unknown field `token_param`")
        );
        assert!(err("[pagination]\nkind = \"none\"\nsize = 5").contains("unknown field `size`"));
        assert!(err("[pagination]\nkind = \"offset\"\noffset_param = \"o\"").contains("missing field `size_param`"));
        assert!(
            err("[pagination]\nkind = \"page\"\npage_param = \"p\"\npast_end = { param = \"a\", from = \"/id\" }")
                .contains("unknown field `past_end`")
        );
        let link = with_table(
            "pagination",
            "[pagination]\nkind = \"link_header\"\nsize_param = \"perPage\"\nmax_size = 100\ndefault_size = 10\n[pagination.past_end]\nparam = \"startingAfter\"\nfrom = \"/serial\"",
        )
        .unwrap();
        let paging = link.paging();
        assert_eq!(paging.kind, PagingKind::LinkHeader);
        assert!(paging.keyset_past_end);
        assert_eq!(paging.sites_limits, SizeLimits { max: Some(100), default: Some(10), min: None });
        // No `size`: the harness asks for the vendor's declared default.
        assert_eq!(paging.size_default, 10);
        assert_eq!(link.pagination.past_end().unwrap().param, "startingAfter");
        // A documented `perPage` range: its minimum bounds the small-page walks.
        let ranged = with_table(
            "pagination",
            "[pagination]\nkind = \"link_header\"\nsize_param = \"perPage\"\nmin_size = 3\nmax_size = 1000\ndefault_size = 10",
        )
        .unwrap();
        assert_eq!(ranged.paging().sites_limits, SizeLimits { max: Some(1000), default: Some(10), min: Some(3) });
        assert!(
            err("[pagination]\nkind = \"link_header\"\nsize_param = \"perPage\"\nmin_size = 20\ndefault_size = 10")
                .contains("the default page size 10 is below the minimum 20")
        );
    }

    #[test]
    fn page_size_limits_are_declared_per_collection() {
        let mut p = Profile::default();
        p.pagination.set_max_size(Some(100));
        p.inventory[0].max_size = Some(60);
        p.inventory.push(p.inventory[0].clone());
        p.inventory[1].max_size = Some(80);
        p.validate().unwrap();
        let paging = p.paging();
        assert_eq!(paging.sites_limits.max, Some(100));
        // A union is walked at one size for every part: the tightest maximum bounds it.
        assert_eq!(paging.inventory_limits.max, Some(60));
        assert_eq!(Profile::default().paging().sites_limits, SizeLimits::default());
        let mut none = Profile { pagination: PaginationProfile::None {}, ..Profile::default() };
        none.sites.max_size = Some(10);
        assert!(format!("{:#}", none.validate().unwrap_err()).contains("no `size_param`"));
    }

    #[test]
    fn auth_kinds_take_exactly_their_keys() {
        let err = |t: &str| format!("{:#}", with_table("auth", t).unwrap_err());
        assert!(err("[auth]\nkind = \"oauth2_client_credentials\"").contains("missing field `token_url`"));
        assert!(err("[auth]\nkind = \"api_key\"\ntoken_url = \"/t\"").contains("unknown field `token_url`"));
        let oauth =
            with_table("auth", "[auth]\nkind = \"oauth2_client_credentials\"\ntoken_url = \"/t\"\nscope = \"r\"")
                .unwrap();
        assert_eq!(oauth.auth.oauth2(), Some(("/t", Some("r"))));
        assert_eq!(oauth.auth.header(), "Authorization");
        assert_eq!(oauth.auth.prefix(), "Bearer ");
        let key = with_table("auth", "[auth]\nkind = \"api_key\"\nheader = \"x-key\"").unwrap();
        assert_eq!((key.auth.kind(), key.auth.header(), key.auth.prefix()), (AuthKind::ApiKey, "x-key", ""));
    }

    #[test]
    fn field_rules_refuse_impossible_combinations() {
        let err = |fields: &str| {
            let text = BUILTIN[0].1.replace("model = \"/model\"", &format!("model = {fields}"));
            format!("{:#}", Profile::parse(&text).unwrap_err())
        };
        assert!(err("{ pointer = \"/m\", constant = \"x\" }").contains("exactly one of"));
        assert!(err("{ pointer = \"/m\", array = \"/a\" }").contains("go together"));
        assert!(err("{ constant = \"x\", separator = \"-\" }").contains("`separator` goes with `join`"));
        assert!(err("{ join = [] }").contains("lists no pointer"));
        let text = BUILTIN[0].1.replace("model = \"/model\"", "model = { join = [\"/a\", \"/b\"], separator = \" \" }");
        let p = Profile::parse(&text).unwrap();
        let out = p.map_record(&json!({"a": "X", "b": 2}), &p.inventory[0].fields, &RequestContext::default());
        assert_eq!(out["model"], "X 2");
    }

    #[test]
    fn every_builtin_and_example_profile_round_trips_through_its_typed_form() {
        let examples = [
            include_str!("../profiles/examples/brivo.toml"),
            include_str!("../profiles/examples/eagle-eye.toml"),
            include_str!("../profiles/examples/meraki.toml"),
            include_str!("../profiles/examples/rhombus.toml"),
            include_str!("../profiles/examples/verkada.toml"),
        ];
        for text in BUILTIN.iter().map(|(_, t)| *t).chain(examples) {
            let p = Profile::parse(text).unwrap();
            let again = Profile::parse(&toml::to_string(&p).unwrap()).unwrap();
            assert_eq!(again, p, "{}", p.name);
        }
    }

    #[test]
    fn the_canonical_profile_states_the_contracts_webhook_shapes_which_are_also_the_defaults() {
        let p = Profile::default();
        assert_eq!(p.webhooks.api(), suites::WebhookApi::canonical());
        assert_eq!(p.webhooks.catalogue, suites::CatalogueShape::canonical());
        assert_eq!(p.webhooks.catalogue_path(), "/api/v1/event-types");
        // A profile that states only the paths (cursor.toml) gets the contract's shapes.
        let cursor = Profile::builtin("cursor").unwrap();
        assert_eq!(cursor.webhooks.api(), p.webhooks.api());
    }

    #[test]
    fn webhook_shapes_of_other_vendors_parse_and_map_the_catalogue() {
        let text = BUILTIN[0].1.replace(
            "[webhooks.create]\nbody = { name = \"{name}\", target_url = \"{target_url}\", status = \"active\" }",
            "[webhooks.create]\nbody = { name = \"{name}\", url = \"{target_url}\", sharedSecret = \"{secret}\" }",
        );
        let text = text.replace("secret = \"/secret\"", "").replace("list = \"/event_types\"", "list = \"\"");
        let text = text.replace("event_type = \"/event_type\"", "event_type = \"/alertType\"");
        let mut p = Profile::parse(&text).unwrap();
        assert!(p.webhooks.api().integrator_secret());
        p.vocabulary.event_type.insert("deviceDown".into(), "health".into());
        assert_eq!(
            p.map_catalogue(json!([{"alertType": "deviceDown", "description": "d"}])),
            json!({"event_types": [{"event_type": "health", "description": "d"}]})
        );
    }

    #[test]
    fn webhook_shapes_that_cannot_work_are_refused() {
        let bad = |edit: &dyn Fn(&mut Profile)| {
            let mut p = Profile::default();
            edit(&mut p);
            format!("{:#}", p.validate().unwrap_err())
        };
        assert!(bad(&|p| p.webhooks.create.secret = None).contains("no `secret` pointer"));
        assert!(
            bad(&|p| p.webhooks.create.id = "id".into()).contains("`webhooks.create.id` = `id` is not a JSON Pointer")
        );
        assert!(bad(&|p| p.webhooks.list.list = "results".into()).contains("webhooks.list.list"));
        assert!(bad(&|p| p.webhooks.catalogue.event_type = "type".into()).contains("webhooks.catalogue.event_type"));
        assert!(bad(&|p| p.webhooks.create.body = json!("x")).contains("JSON object"));
    }

    #[test]
    fn the_default_profile_round_trips_through_toml() {
        let p = Profile::default();
        let text = toml::to_string(&p).unwrap();
        assert_eq!(toml::from_str::<Profile>(&text).unwrap(), p);
        let missing = toml::from_str::<Profile>("name = \"x\"").unwrap_err().to_string();
        assert!(missing.contains("missing field"), "{missing}");
    }
}
