//! What a check runs against: the vendor API, the webhook inbox and the trigger, as traits that
//! the harness implements (so this crate knows nothing of HTTP clients or servers).

use std::any::{Any, TypeId};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use contract::{Secret, SignatureFormat, TokenMinter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::outcome::{Exchange, Outcome};
use crate::sync::InventorySync;

/// Who is to blame when a request did not give a usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Blame {
    /// The vendor answered wrongly: the check fails.
    Vendor,
    /// The harness could not test (its network, a timeout, its configuration): the check errors.
    Harness,
}

/// One way a request can go wrong; each says who is to blame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApiErrorKind {
    /// Connection refused, DNS, TLS: the harness could not reach the vendor.
    Transport,
    /// No complete answer within the time budget (a stalled connection).
    Timeout,
    /// The harness is misconfigured (bad key, bad URL).
    Config,
    /// A non-2xx status.
    Status,
    /// A 3xx: API endpoints answer directly; redirects are not followed (the token would travel).
    Redirect,
    /// The body exceeded the size cap.
    TooLarge,
    /// The body is not JSON.
    InvalidJson,
    /// The JSON is not where the profile says (no list key, list not an array, ...).
    Shape,
    /// Pagination did not end within the page-count guard.
    TooManyPages,
}

impl ApiErrorKind {
    pub fn blame(self) -> Blame {
        match self {
            Self::Transport | Self::Timeout | Self::Config => Blame::Harness,
            _ => Blame::Vendor,
        }
    }
}

/// A request (or a walk of pages) that did not give a usable answer, with the exchanges so far.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub message: String,
    pub exchanges: Vec<Exchange>,
}

impl ApiError {
    pub fn new(kind: ApiErrorKind, message: impl Into<String>, exchanges: Vec<Exchange>) -> Self {
        Self { kind, message: message.into(), exchanges }
    }

    /// The outcome of a check whose own request failed: FAIL when the vendor is to blame,
    /// ERROR when the harness could not test.
    pub fn to_outcome(&self, what: &str) -> Outcome {
        let message = format!("{what}: {}", self.message);
        let mut outcome = match self.kind.blame() {
            Blame::Vendor => Outcome::fail(message),
            Blame::Harness => Outcome::error(message),
        };
        for exchange in &self.exchanges {
            outcome.evidence.push_exchange(exchange);
        }
        outcome
    }
}

/// One record fetched by itself (the account).
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The canonical record, mapped through the profile.
    pub record: Value,
    /// The vendor's JSON as received.
    pub raw: Value,
    pub exchange: Exchange,
}

/// One record of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The canonical record, mapped through the profile.
    pub record: Value,
    pub raw: Value,
    /// Index into [`Listing::exchanges`] of the page it came from.
    pub page: usize,
}

/// Every record of a collection, walked over all its pages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub records: Vec<Listed>,
    /// One exchange per page, in order.
    pub exchanges: Vec<Exchange>,
    /// What the walk noticed without failing (no pagination block, ...).
    pub notes: Vec<String>,
}

impl Listing {
    pub fn exchange_of(&self, listed: &Listed) -> Option<&Exchange> {
        self.exchanges.get(listed.page)
    }
}

/// How a probe authenticates.
#[derive(Debug, Clone)]
pub enum ProbeAuth {
    /// A fresh valid token of the client's own account (what every other request uses).
    Fresh,
    /// No credential header at all.
    Missing,
    /// This credential in place of the fresh one: in the profile's credential header, after its
    /// prefix (`Bearer <crafted>` for the contract's JWTs, a bogus key for an API-key vendor).
    /// `craft` names the crafted credential (`harness token --craft <name>`), so the reproduce
    /// command can rebuild it instead of embedding it; the value itself never reaches evidence.
    Crafted { credential: Secret, craft: String },
}

/// One request a check makes on purpose (bad parameters, crafted tokens, webhook management).
/// Unlike the walks, a probe answers whatever status the vendor sent; only a missing, oversized or
/// redirected answer is an `Err`. A crafted-token probe is never retried on 429: the check wants
/// to see it (AUTH-8).
#[derive(Debug, Clone)]
pub struct Probe {
    /// `GET`, `POST`, `DELETE`, ...
    pub method: String,
    /// Path under the base URL, already filled (`/api/v1/sites/<id>/inventory`); see [`Endpoints`].
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub auth: ProbeAuth,
}

impl Probe {
    pub fn get(path: impl Into<String>) -> Self {
        Self { method: "GET".into(), path: path.into(), query: Vec::new(), body: None, auth: ProbeAuth::Fresh }
    }

    pub fn post(path: impl Into<String>, body: Option<Value>) -> Self {
        Self { method: "POST".into(), body, ..Self::get(path) }
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Self { method: "DELETE".into(), ..Self::get(path) }
    }

    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    pub fn auth(mut self, auth: ProbeAuth) -> Self {
        self.auth = auth;
        self
    }
}

/// What a probe got back.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// The body, when it parsed as JSON.
    pub json: Option<Value>,
    /// The whole body (UTF-8, lossy).
    pub text: String,
    pub exchange: Exchange,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.exchange.response_header(name)
    }
}

/// How a vendor splits a list into pages (MAP-1, VENDOR-SHAPES.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PagingKind {
    /// A page number and a page size (`page`/`per_page`), totals in the answer (the contract's).
    Page,
    /// An item offset and a limit (`offset`/`limit`): ends on a short page or the reported count.
    Offset,
    /// An opaque token from each answer asks for the next page; null, empty or missing ends.
    Cursor,
    /// The next page's URL in an RFC 5988 `Link: <...>; rel=next` header.
    LinkHeader,
    /// One answer holds the whole list.
    None,
}

impl PagingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Offset => "offset",
            Self::Cursor => "cursor",
            Self::LinkHeader => "link_header",
            Self::None => "none",
        }
    }

    /// Whether the next page is named by the previous answer (a token or a link), so the chain
    /// itself can loop or fail to end.
    pub fn chained(self) -> bool {
        matches!(self, Self::Cursor | Self::LinkHeader)
    }
}

/// The vendor's pagination as checks need to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub kind: PagingKind,
    /// The page-size parameter (`per_page`, `limit`, `pageSize`, `perPage`), when there is one.
    pub size_param: Option<String>,
    /// The page size the run walks with by default.
    pub size_default: u64,
    /// The page-number (`page` kind) or offset (`offset` kind) parameter.
    pub position_param: Option<String>,
    /// Whether answers report a total item count the walk is checked against.
    pub total_count: bool,
    /// Whether answers report a total page count (`page` kind).
    pub total_pages: bool,
    /// What the vendor declares of the sites' page sizes (the profile's `max_size`,
    /// `default_size`): PAGE-5 and the page-size walks judge against these, not the contract's.
    pub sites_limits: SizeLimits,
    /// ...and of an inventory's (the tightest of a union's endpoints).
    pub inventory_limits: SizeLimits,
    /// Whether chained pagination can be asked for the page after the last (keyset
    /// `startingAfter=<last item>`, the profile's `pagination.past_end`): PAGE-4 then applies.
    pub keyset_past_end: bool,
}

/// A vendor's own page-size limits for one collection, when its profile declares them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SizeLimits {
    /// The largest page size it serves.
    pub max: Option<u64>,
    /// The page size it serves when none is asked for.
    pub default: Option<u64>,
    /// The smallest page size it takes: the small-page walks start there instead of at 1.
    pub min: Option<u64>,
}

impl Paging {
    /// No pagination: one answer holds the list.
    pub fn none() -> Self {
        Self {
            kind: PagingKind::None,
            size_param: None,
            size_default: 0,
            position_param: None,
            total_count: false,
            total_pages: false,
            sites_limits: SizeLimits::default(),
            inventory_limits: SizeLimits::default(),
            keyset_past_end: false,
        }
    }

    /// The contract's `page`/`per_page` pagination with its `pagination` block.
    pub fn canonical() -> Self {
        Self {
            kind: PagingKind::Page,
            size_param: Some("per_page".into()),
            size_default: contract::DEFAULT_PER_PAGE,
            position_param: Some("page".into()),
            total_count: true,
            total_pages: true,
            sites_limits: SizeLimits::default(),
            inventory_limits: SizeLimits::default(),
            keyset_past_end: false,
        }
    }

    /// What the vendor declares of `collection`'s page sizes.
    pub fn limits(&self, collection: &Collection) -> SizeLimits {
        match collection {
            Collection::Sites => self.sites_limits,
            Collection::Inventory { .. } => self.inventory_limits,
        }
    }

    /// The page size parameter and its default, when pages can be sized.
    pub fn sized(&self) -> Option<(&str, u64)> {
        self.size_param.as_deref().map(|p| (p, self.size_default))
    }
}

/// Raw values of page parameters for a request a check makes on purpose: strings, so that bad
/// ones (`0`, `-1`, `abc`, a forged token) can be sent. `None` leaves the parameter out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageAsk {
    /// The page number (`page` kind) or offset (`offset` kind).
    pub position: Option<String>,
    pub size: Option<String>,
    /// A cursor token (`cursor` kind).
    pub token: Option<String>,
    /// The keyset value of the last item listed, sent in the profile's `pagination.past_end`
    /// parameter (`startingAfter`) to ask for the page after it (PAGE-4).
    pub after: Option<String>,
}

impl PageAsk {
    /// The first page at `size` (the default size when `None`).
    pub fn first(paging: &Paging, size: Option<u64>) -> Self {
        let position = match paging.kind {
            PagingKind::Page => Some("1".to_owned()),
            PagingKind::Offset => Some("0".to_owned()),
            _ => None,
        };
        let size = paging.size_param.as_ref().map(|_| size.unwrap_or(paging.size_default).to_string());
        Self { position, size, token: None, after: None }
    }
}

/// How the vendor authenticates requests (the profile's `auth.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// The contract's client-minted RS256 JWT (AUTH-*).
    Jwt,
    /// A static API key in a header.
    ApiKey,
    /// A static bearer token.
    Bearer,
    /// OAuth2 client credentials: a token from the vendor's token endpoint.
    Oauth2ClientCredentials,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::ApiKey => "api_key",
            Self::Bearer => "bearer",
            Self::Oauth2ClientCredentials => "oauth2_client_credentials",
        }
    }
}

/// Where the contract's endpoints are at this vendor (the profile's paths, filled by [`Endpoints`]'
/// helpers). Checks build probes from these, never from hard-coded paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub account: String,
    pub sites: String,
    /// Contains `{site_id}`.
    pub inventory: String,
    /// Create (POST) and list (GET).
    pub webhooks: String,
    /// Contains `{webhook_id}`: DELETE.
    pub webhook: String,
    /// Contains `{webhook_id}`: POST (WHM-4).
    pub webhook_ping: String,
    /// `GET` (EVT-5).
    pub event_types: String,
    /// How lists are paginated.
    pub paging: Paging,
    /// How requests authenticate: checks of the contract's JWTs do not apply to other kinds.
    pub auth: AuthKind,
}

/// Percent-encodes a path segment (ids come from the vendor and may hold anything).
pub fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Endpoints {
    /// The contract's paths (CONTRACT.md §1, §2, §5, §9), with no page parameters: what a
    /// canonical vendor's profile gives, and what test fakes start from.
    pub fn canonical() -> Self {
        Self {
            account: "/api/v1/account".into(),
            sites: "/api/v1/account/sites".into(),
            inventory: "/api/v1/sites/{site_id}/inventory".into(),
            webhooks: "/api/v1/webhooks".into(),
            webhook: "/api/v1/webhooks/{webhook_id}".into(),
            webhook_ping: "/api/v1/webhooks/{webhook_id}/ping".into(),
            event_types: "/api/v1/event-types".into(),
            paging: Paging::none(),
            auth: AuthKind::Jwt,
        }
    }

    pub fn inventory_of(&self, site_id: &str) -> String {
        self.inventory.replace("{site_id}", &encode_segment(site_id))
    }

    pub fn webhook_of(&self, webhook_id: &str) -> String {
        self.webhook.replace("{webhook_id}", &encode_segment(webhook_id))
    }

    pub fn ping_of(&self, webhook_id: &str) -> String {
        self.webhook_ping.replace("{webhook_id}", &encode_segment(webhook_id))
    }
}

/// A collection the client can walk page by page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collection {
    Sites,
    Inventory { site_id: String },
}

/// One page of a streaming walk, handed to the visitor and then dropped.
#[derive(Debug, Clone)]
pub struct PageSeen {
    /// 1-based position of the page in the walk.
    pub index: u64,
    /// Which of the collection's endpoints the page came from (an inventory may be the union of
    /// several, each paginated on its own: cameras, then doors), from 0.
    pub part: usize,
    /// What names the next page (a cursor token, a `rel=next` URL); `None` on a page that ends
    /// its chain or whose pagination is not chained.
    pub next: Option<String>,
    /// The keyset value of the page's last item (the profile's `pagination.past_end.from`), when
    /// the profile says how to ask for the page after it: [`PageAsk::after`].
    pub after: Option<String>,
    /// The canonical records of the page, mapped through the profile.
    pub records: Vec<Value>,
    /// The vendor's pagination block as canonical fields (`page`, `per_page`, `total_pages`,
    /// `total_count`), each `None` when absent or not a non-negative integer.
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub total_pages: Option<u64>,
    pub total_count: Option<u64>,
    pub exchange: Exchange,
}

/// What the visitor tells the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    Continue,
    Stop,
}

/// How a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkEnd {
    pub pages: u64,
    /// What the walk noticed without failing (no total page count, ...).
    pub notes: Vec<String>,
}

/// A streaming walk's visitor: sees each page once, keeps what it needs (ids, a sample of
/// exchanges), so a million-device walk holds ids, not pages.
pub type PageVisitor<'v> = dyn FnMut(PageSeen) -> Walk + Send + 'v;

/// What the webhook management API answered to a create (WHM-2), as the run registered it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredWebhook {
    pub webhook_id: String,
    pub target_url: String,
    /// The create answer (its secret redacted); empty for a webhook registered outside the run.
    pub exchange: Exchange,
    /// Its secret, for a test delivery whose request names it (a URL test sending the shared
    /// secret along, [`crate::WebhookApi::ping_probe`]); never in evidence.
    pub secret: Option<Secret>,
}

/// How the run's webhook came to be.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookSetup {
    /// Registered outside the run; its secret (if any) comes from the configuration.
    Configured,
    /// Registered outside the run (a vendor with no management API, set up in its console) and
    /// known by the id the configuration gives (`[webhook] webhook_id`): pinged, never deleted.
    External(Box<RegisteredWebhook>),
    /// The run registered it through the management API (and deletes it at the end).
    Registered(Box<RegisteredWebhook>),
    /// The run tried to register it and could not.
    Failed(ApiError),
}

impl WebhookSetup {
    pub fn registered(&self) -> Option<&RegisteredWebhook> {
        match self {
            Self::Registered(w) => Some(w),
            _ => None,
        }
    }

    /// The run's webhook when its id is known: registered by the run, or configured by id.
    pub fn known(&self) -> Option<&RegisteredWebhook> {
        match self {
            Self::Registered(w) | Self::External(w) => Some(w),
            _ => None,
        }
    }
}

/// The vendor's API, seen through its profile: canonical records plus the raw exchanges.
#[async_trait]
pub trait VendorApi: Send + Sync + std::fmt::Debug {
    /// `GET` the account bound to the credential (ACC-1).
    async fn account(&self) -> Result<Fetched, ApiError>;
    /// Every site of the account, all pages (SITE-1).
    async fn sites(&self) -> Result<Listing, ApiError>;
    /// Every device of one site, all pages (INV-*).
    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError>;
    /// Where the endpoints are.
    fn endpoints(&self) -> Endpoints;
    /// One request as the check builds it.
    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError>;
    /// Walks a collection page by page with `per_page` (the profile's default when `None`),
    /// handing each page to `visit` and keeping nothing itself. `Err` when a page did not give a
    /// usable answer (with that exchange) or the walk exceeded the page-count guard.
    async fn walk(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError>;
    /// The request that reads the account (ACC-1) as the profile makes it (`POST` with a body for
    /// some vendors); the auth checks send their credentials with it. The default is the
    /// contract's `GET` of the account path.
    fn account_probe(&self) -> Probe {
        Probe::get(self.endpoints().account)
    }
    /// The request for one page of `collection` with these raw parameter values, in the query or
    /// the body as the profile says. The default builds the contract's `GET ?page=&per_page=`.
    fn page_probe(&self, collection: &Collection, ask: &PageAsk) -> Probe {
        let endpoints = self.endpoints();
        let path = match collection {
            Collection::Sites => endpoints.sites.clone(),
            Collection::Inventory { site_id } => endpoints.inventory_of(site_id),
        };
        let mut probe = Probe::get(path);
        if let (Some(value), Some(param)) = (&ask.position, &endpoints.paging.position_param) {
            probe = probe.query(param.clone(), value.clone());
        }
        if let (Some(value), Some(param)) = (&ask.size, &endpoints.paging.size_param) {
            probe = probe.query(param.clone(), value.clone());
        }
        probe
    }
    /// How the vendor's webhook management API is shaped (MAP-1): create body, answer and list
    /// pointers, delete and ping requests. The default is the contract's, at
    /// [`VendorApi::endpoints`]' paths.
    fn webhook_api(&self) -> crate::WebhookApi {
        let endpoints = self.endpoints();
        crate::WebhookApi {
            collection: endpoints.webhooks,
            item: endpoints.webhook,
            ping: endpoints.webhook_ping,
            ..crate::WebhookApi::canonical()
        }
    }
    /// Where the vendor's event catalogue (EVT-5) keeps its entries and their fields (MAP-1),
    /// so a read can tell a catalogue from another document. The default is the contract's.
    fn catalogue_shape(&self) -> crate::CatalogueShape {
        crate::CatalogueShape::canonical()
    }
    /// The event catalogue (EVT-5) with the vendor's event type names (`deviceStatusChanged` →
    /// `health`) and device types mapped to canonical ones. The default is the contract's names.
    fn canonical_catalogue(&self, doc: Value) -> Value {
        doc
    }
    /// The error a 2xx answer's body signals, for vendors whose profile says they refuse with
    /// HTTP 200 and an error flag (`{"error": true, "errorMsg": ...}`). The contract's vendors
    /// refuse with a 4xx, so the default reads none.
    fn body_error(&self, _answer: &Answer) -> Option<String> {
        None
    }
    /// How checks word a [`VendorApi::body_error`]: "refused with 200 and an error in its body (…)".
    fn body_refusal(&self, answer: &Answer) -> Option<String> {
        let error = self.body_error(answer)?;
        Some(format!("refused with {} and an error in its body ({error})", answer.status))
    }
    /// Every 429 answer this client got so far in the run, in order, whatever request it answered
    /// (walks, probes and retried requests included): AUTH-8 judges the form of each. The default
    /// records none.
    fn rate_limited(&self) -> Vec<Exchange> {
        Vec::new()
    }
    /// Reads a probe's answer as one page of `collection`, as a walk would see it (records mapped
    /// through the profile, the pagination block as canonical fields), so a check can judge a page
    /// it asked for with parameters of its own (`page=0`, a page past the end). `None` when the
    /// answer holds no list where the profile says. `index` is the reported `page`, else 0.
    /// The default reads the canonical shape (CONTRACT.md §4).
    fn read_page(&self, collection: &Collection, answer: &Answer) -> Option<PageSeen> {
        canonical_page(collection, answer)
    }
}

/// A page in the canonical shape: the list under `sites` or `devices`, the block under `pagination`.
pub fn canonical_page(collection: &Collection, answer: &Answer) -> Option<PageSeen> {
    let json = answer.json.as_ref()?;
    let key = match collection {
        Collection::Sites => "sites",
        Collection::Inventory { .. } => "devices",
    };
    let records = json.get(key)?.as_array()?.clone();
    let number = |name: &str| json.get("pagination").and_then(|p| p.get(name)).and_then(Value::as_u64);
    Some(PageSeen {
        index: number("page").unwrap_or(0),
        part: 0,
        next: None,
        after: None,
        records,
        page: number("page"),
        per_page: number("per_page"),
        total_pages: number("total_pages"),
        total_count: number("total_count"),
        exchange: answer.exchange.clone(),
    })
}

/// How a webhook delivery's signature check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Verification {
    Valid {
        timestamp: Option<i64>,
    },
    Invalid {
        reason: String,
    },
    /// The receiver holds no secret yet.
    NoSecret,
}

/// One delivery the receiver got, verified or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Arrival order, from 0.
    pub seq: u64,
    pub received_at_ms: i64,
    pub headers: Vec<(String, String)>,
    /// The body (UTF-8, lossy), cut at the receiver's cap; a receiver bounding its memory may
    /// keep less of a delivery that did not verify, or of an old one (`body_bytes` is the length).
    pub body: String,
    pub body_bytes: usize,
    pub verification: Verification,
    /// The body as a canonical event (`event_id`, `event_type`, `device_id`, ...), mapped through
    /// the vendor's profile; `None` when the body is not JSON. Checks read events here, never
    /// the vendor's names in `body`.
    #[serde(default)]
    pub event: Option<Value>,
    pub event_id: Option<String>,
    /// An `event_id` seen before (RPL-1: processed at most once).
    pub duplicate: bool,
    /// What the receiver answered: a status code, or `None` for a deliberate timeout.
    pub answered: Option<u16>,
    /// The request path (and query): tells apart webhooks a check registered at their own paths
    /// under the receiver's URL.
    #[serde(default)]
    pub path: String,
}

/// A request to the receiver that was not a delivery (a `GET` of a `jku`/`x5u` URL the harness
/// planted in a token header: AUTH-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetch {
    pub received_at_ms: i64,
    pub method: String,
    /// Path and query.
    pub path: String,
}

/// What the receiver answers while a check simulates an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "answer")]
pub enum ReceiverAnswer {
    Ok,
    ServerError,
    /// Hold the request open past the vendor's timeout.
    Timeout,
    TooManyRequests {
        retry_after_secs: u64,
    },
    Gone,
    /// Refuse connections outright (the listener is closed for the window).
    Refuse,
    /// Answer `307 Temporary Redirect` with a `Location` on the receiver itself (its public URL
    /// plus [`REDIRECT_PATH`]), so a vendor that follows redirects shows up as a fetch (DLV-4).
    Redirect,
}

/// Where the receiver's 3xx answers point, under its public URL. Requests to it, whatever the
/// method, are recorded as [`Fetch`]es, never as deliveries: a vendor following the redirect
/// shows there.
pub const REDIRECT_PATH: &str = "/redirected";

/// A path under the receiver's public URL whose deliveries are always answered `410 Gone`. A
/// check registers a throw-away webhook there to see it disabled (DLV-4), while the run's own
/// webhook keeps its answers and is never disabled.
pub const GONE_PATH: &str = "/gone";

/// The harness's webhook receiver, as checks see it.
#[async_trait]
pub trait Inbox: Send + Sync + std::fmt::Debug {
    /// The URL the vendor delivers to.
    fn public_url(&self) -> String;
    fn deliveries(&self) -> Vec<Delivery>;
    /// Waits until `done` holds over the deliveries so far, or `within` passes; returns whether it held.
    async fn wait_for(&self, done: &(dyn for<'d> Fn(&'d [Delivery]) -> bool + Send + Sync), within: Duration) -> bool;
    /// Answers `answer` for `window`, then 200 again.
    fn answer_for(&self, answer: ReceiverAnswer, window: Duration);
    /// Requests other than deliveries (`GET`s of planted URLs), in arrival order.
    fn fetches(&self) -> Vec<Fetch>;
    /// Adds a secret deliveries are verified with (a webhook the run or a check created).
    fn add_secret(&self, secret: Secret);
    /// Sends a request to the receiver itself, as an attacker replaying a capture would: the
    /// receiver's self-checks (RPL-1). Returns the status it answered.
    async fn post_to_self(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<u16, String>;
    /// Verifies a recorded delivery's raw bytes again, as if it had arrived with `format` (the
    /// receiver's clock then being the delivery's arrival time), against `secret` alone or, when
    /// `None`, against the receiver's own secrets. Tells a delivery signed over the body alone
    /// from a wrong signature (SIG-3) and one webhook's secret from another's (SIG-4) without a
    /// secret ever reaching a check. An inbox that keeps no raw bytes answers `NoSecret`.
    fn verify_with(&self, delivery: &Delivery, format: &SignatureFormat, secret: Option<&Secret>) -> Verification {
        let _ = (delivery, format, secret);
        Verification::NoSecret
    }
}

/// What a check wants the vendor to do (CONTRACT.md §12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Make a device's health change.
    DeviceStatus { site_id: String, device_id: String, status: String },
    /// Make a device emit an event of a family (`alarm`, `access`, `video`).
    DeviceEvent { site_id: String, device_id: String, event_type: String, data: Value },
    /// Make the vendor send a ping to a webhook (WHM-4), for vendors whose ping is not an API
    /// call (a console button, a CLI): a trigger with a ping command does it.
    Ping { webhook_id: String },
}

/// Why a trigger could not act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// This trigger cannot do that action: the check is skipped.
    #[error("the `{trigger}` trigger cannot {action}")]
    Unsupported { trigger: &'static str, action: String },
    /// An operator prompt in a non-interactive run: the check is skipped.
    #[error("an operator is needed but the run is non-interactive")]
    NonInteractive,
    /// The trigger tried and failed: the check errors.
    #[error("trigger failed: {0}")]
    Failed(String),
    /// The vendor's own tooling does not know a device its inventory lists (ids that change or
    /// are not the tooling's): the check is skipped, the inventory checks report the ids.
    #[error("the vendor's tooling does not know device {device_id}, which its inventory lists: {detail}")]
    UnknownDevice { device_id: String, detail: String },
}

/// A way to make the vendor act.
#[async_trait]
pub trait Trigger: Send + Sync + std::fmt::Debug {
    /// `command`, `mock-control`, `ping`, `prompt`, `passive`.
    fn kind(&self) -> &'static str;
    /// Does it (or asks for it). Returns a one-line description of what was done, for evidence.
    async fn act(&self, action: &Action) -> Result<String, TriggerError>;
}

/// What the vendor declares about itself in the harness configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    /// Optional capabilities (`webhook-management`, `ping`, `event-types`, ...).
    pub capabilities: BTreeSet<String>,
    /// Event families the vendor emits (`health`, `alarm`, ...).
    pub event_families: BTreeSet<String>,
    /// Device types that publish no events (partial coverage, FB-4), when the vendor has no
    /// event catalogue saying so.
    pub silent_device_types: BTreeSet<String>,
    /// Capabilities not declared but found offered by the runner's discovery (also in
    /// `capabilities`): held to their requirements where offered, while a part not offered (a
    /// webhook list without a create) makes its checks not applicable rather than failing.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub discovered: BTreeSet<String>,
}

/// Time budgets checks wait within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// How long to wait for a webhook delivery after the vendor was made to act.
    pub event_wait: Duration,
    /// How long to watch for attempts that should not come (after a 2xx, after a delete).
    pub quiet_window: Duration,
    /// How long a simulated receiver outage lasts.
    pub outage: Duration,
    /// The vendor's declared retry horizon: how long after an outage began its events may still
    /// arrive (DLV-5). Waits for retries are bounded by this and `event_wait`.
    pub retry_horizon: Duration,
    /// At most this many bad-token requests, then as many valid ones, probe for a rate limit
    /// (AUTH-8); 0 = do not probe.
    pub rate_limit_burst: u32,
    /// The client's page guard: a walk of more pages is a failure, so checks that choose their
    /// own page size (the pagination suite's `per_page=1` walks) stay under it.
    pub max_pages: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            event_wait: Duration::from_secs(30),
            quiet_window: Duration::from_secs(10),
            outage: Duration::from_secs(30),
            retry_horizon: Duration::from_secs(300),
            rate_limit_burst: 0,
            max_pages: 1000,
        }
    }
}

/// What the auth suite crafts tokens from: the account's signing key and its public key.
pub struct TokenKit {
    pub minter: Arc<TokenMinter>,
    /// The account's public key (SubjectPublicKeyInfo PEM): the HS256 confusion attack keys with it.
    pub public_pem: String,
    /// The lifetime the run's own tokens have.
    pub lifetime_secs: u64,
    /// The account's second key (a rotation), minting with its own `kid`, when configured.
    pub rotation: Option<Arc<TokenMinter>>,
}

impl std::fmt::Debug for TokenKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKit").field("minter", &self.minter).finish_non_exhaustive()
    }
}

/// Told when a check starts waiting for the vendor (`what` it waits for, at most how long), so
/// the run's display can say why it sits still. The harness sends it on as an event.
pub type WaitingHook = Arc<dyn Fn(&str, Duration) + Send + Sync>;

/// The hook, or none (tests, a library user): `Debug` for [`Context`].
#[derive(Clone, Default)]
struct Waiting(Option<WaitingHook>);

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Waiting(hook)" } else { "Waiting(none)" })
    }
}

/// Everything one run's checks share.
#[derive(Debug)]
pub struct Context {
    pub api: Arc<dyn VendorApi>,
    pub inbox: Option<Arc<dyn Inbox>>,
    pub trigger: Option<Arc<dyn Trigger>>,
    pub declared: Declared,
    pub budgets: Budgets,
    /// The account's keys, for crafted tokens (auth suite).
    pub tokens: Option<Arc<TokenKit>>,
    /// The second account's API, when the configuration has one (tenancy, ACC-2).
    pub second: Option<Arc<dyn VendorApi>>,
    /// The signature format deliveries are verified with (the profile's, or the contract's for
    /// the configured scheme).
    pub signature: Option<SignatureFormat>,
    /// The webhook deliveries come through: registered by the run, or configured.
    pub webhook: WebhookSetup,
    /// What the run has made devices do.
    pub acted: crate::act::Acted,
    sync: OnceCell<Arc<InventorySync>>,
    second_sync: OnceCell<Arc<InventorySync>>,
    /// What a suite computes once per run for several of its checks, one value per type.
    memo: Mutex<HashMap<TypeId, Arc<MemoCell>>>,
    waiting: Waiting,
}

type MemoCell = OnceCell<Arc<dyn Any + Send + Sync>>;

impl Context {
    pub fn new(api: Arc<dyn VendorApi>) -> Self {
        Self {
            api,
            inbox: None,
            trigger: None,
            declared: Declared::default(),
            budgets: Budgets::default(),
            tokens: None,
            second: None,
            signature: None,
            webhook: WebhookSetup::Configured,
            acted: crate::act::Acted::default(),
            sync: OnceCell::new(),
            second_sync: OnceCell::new(),
            memo: Mutex::new(HashMap::new()),
            waiting: Waiting::default(),
        }
    }

    pub fn with_waiting(mut self, hook: WaitingHook) -> Self {
        self.waiting = Waiting(Some(hook));
        self
    }

    /// Says that the check now waits up to `within` for `what` ("attempt #3 of the health event
    /// of device …"): call it right before a wait that can take seconds.
    pub fn waiting(&self, what: &str, within: Duration) {
        if let Some(hook) = &self.waiting.0 {
            hook(what, within);
        }
    }

    pub fn with_inbox(mut self, inbox: Arc<dyn Inbox>) -> Self {
        self.inbox = Some(inbox);
        self
    }

    pub fn with_trigger(mut self, trigger: Arc<dyn Trigger>) -> Self {
        self.trigger = Some(trigger);
        self
    }

    pub fn with_declared(mut self, declared: Declared) -> Self {
        self.declared = declared;
        self
    }

    pub fn with_budgets(mut self, budgets: Budgets) -> Self {
        self.budgets = budgets;
        self
    }

    pub fn with_tokens(mut self, tokens: Arc<TokenKit>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    pub fn with_second(mut self, second: Arc<dyn VendorApi>) -> Self {
        self.second = Some(second);
        self
    }

    pub fn with_signature(mut self, format: SignatureFormat) -> Self {
        self.signature = Some(format);
        self
    }

    pub fn with_webhook(mut self, webhook: WebhookSetup) -> Self {
        self.webhook = webhook;
        self
    }

    /// The run's full inventory sync (account, every site, every site's devices, all pages),
    /// done on first use and shared by every check.
    pub async fn sync(&self) -> Arc<InventorySync> {
        self.sync.get_or_init(|| async { Arc::new(InventorySync::fetch(self.api.as_ref()).await) }).await.clone()
    }

    /// The run's one value of type `T`, computed by `init` on first use and shared by every check
    /// that asks for a `T` (the pagination suite's walks serve several of its checks). Each suite
    /// keys by a type of its own, so suites cannot read each other's values. A first use that is
    /// cancelled (a check's timeout) leaves nothing behind: the next use computes afresh.
    pub async fn memo<T, F, Fut>(&self, init: F) -> Arc<T>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = self.memo.lock().expect("memo lock").entry(TypeId::of::<T>()).or_default().clone();
        let value = cell.get_or_init(|| async { Arc::new(init().await) as Arc<dyn Any + Send + Sync> }).await.clone();
        value.downcast::<T>().expect("the memo holds a T under T's type id")
    }

    /// A second, independent sync after the first, for stability checks (ID-1).
    pub async fn second_sync(&self) -> Arc<InventorySync> {
        self.sync().await;
        self.second_sync.get_or_init(|| async { Arc::new(InventorySync::fetch(self.api.as_ref()).await) }).await.clone()
    }
}
