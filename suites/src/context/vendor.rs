//! The vendor's API as checks see it (`VendorApi`, the harness's client implements it): requests
//! and probes, what they answer and how they fail, the endpoints, the run's webhook.

use async_trait::async_trait;
use contract::Secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::paging::{Collection, PageAnswer, PageAsk, PageVisitor, Paging, WalkEnd, canonical_page};
use crate::outcome::{Exchange, Outcome};

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

/// What the webhook management API answered to a create (WHM-2), as the run registered it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredWebhook {
    pub webhook_id: String,
    pub target_url: String,
    /// The create answer (its secret redacted); empty for a webhook registered outside the run.
    pub exchange: Exchange,
    /// Its secret, for a test delivery whose request names it (a URL test sending the shared
    /// secret along, [`super::webhook_api::WebhookApi::ping_probe`]); never in evidence.
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
    /// the body as the profile says, for a check that sends it as it is (AUTH-1); a check that
    /// judges the page asks with [`VendorApi::ask_page`]. The default builds the contract's
    /// `GET ?page=&per_page=`.
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
    fn webhook_api(&self) -> super::webhook_api::WebhookApi {
        let endpoints = self.endpoints();
        super::webhook_api::WebhookApi {
            collection: endpoints.webhooks,
            item: endpoints.webhook,
            ping: endpoints.webhook_ping,
            ..super::webhook_api::WebhookApi::canonical()
        }
    }
    /// Where the vendor's event catalogue (EVT-5) keeps its entries and their fields (MAP-1),
    /// so a read can tell a catalogue from another document. The default is the contract's.
    fn catalogue_shape(&self) -> super::webhook_api::CatalogueShape {
        super::webhook_api::CatalogueShape::canonical()
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
        Some(refusal_in_body(answer.status, &self.body_error(answer)?))
    }
    /// Every 429 answer this client got so far in the run, in order, whatever request it answered
    /// (walks, probes and retried requests included): AUTH-8 judges the form of each. The default
    /// records none.
    fn rate_limited(&self) -> Vec<Exchange> {
        Vec::new()
    }
    /// Asks for one page of `collection` with these raw parameter values ([`VendorApi::page_probe`])
    /// and reads the answer in one call: the answer as sent, the answer read as one page of the
    /// collection as a walk would see it (records mapped through the profile, the pagination
    /// block as canonical fields; `None` unless a 2xx holds a list where the profile says; `index`
    /// is the reported `page`, else 0) and the error its body signals ([`VendorApi::body_error`]),
    /// so a check judges a page it asked for (`page=0`, a page past the end) without reading the
    /// answer itself. The default reads the canonical shape (CONTRACT.md §4).
    async fn ask_page(&self, collection: &Collection, ask: &PageAsk) -> Result<PageAnswer, ApiError> {
        let answer = self.probe(self.page_probe(collection, ask)).await?;
        let body_error = self.body_error(&answer);
        Ok(PageAnswer::read(answer, |a| canonical_page(collection, a), body_error))
    }
}

/// How checks word an error a 2xx body signals: "refused with 200 and an error in its body (…)".
pub fn refusal_in_body(status: u16, error: &str) -> String {
    format!("refused with {status} and an error in its body ({error})")
}
