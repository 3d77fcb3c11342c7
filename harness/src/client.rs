//! The HTTP client the checks reach the vendor through: a fresh token per request, bounded in
//! time, size and page count, never following redirects, and recording every exchange as
//! evidence with secrets redacted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use contract::{Secret, TokenMinter};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use suites::{
    Answer, ApiError, ApiErrorKind, Collection, Endpoints, Exchange, Fetched, Listed, Listing, PageParams, PageSeen,
    PageVisitor, Probe, ProbeAuth, TokenView, VendorApi, Walk, WalkEnd, encode_segment,
};

use crate::config::{BudgetsConfig, VendorConfig};
use crate::profile::{ListEndpoint, PaginationProfile, Profile, map_record};

/// At most this much of a body is kept as evidence.
pub const EXCERPT_BYTES: usize = 4096;

/// The client's bounds, from the configuration's budgets.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_body_bytes: u64,
    pub max_pages: u64,
    pub max_retry_after: Duration,
    pub max_rate_limit_retries: u32,
}

impl From<&BudgetsConfig> for Limits {
    fn from(b: &BudgetsConfig) -> Self {
        Self {
            connect_timeout: Duration::from_secs(b.connect_timeout_secs),
            request_timeout: Duration::from_secs(b.request_timeout_secs),
            max_body_bytes: b.max_body_bytes,
            max_pages: b.max_pages,
            max_retry_after: Duration::from_secs(b.max_retry_after_secs),
            max_rate_limit_retries: b.max_rate_limit_retries,
        }
    }
}

/// A complete answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub body: bytes::Bytes,
    pub exchange: Exchange,
}

pub struct VendorClient {
    http: reqwest::Client,
    base_url: String,
    profile: Profile,
    minter: Arc<TokenMinter>,
    limits: Limits,
    /// The config path reproduce commands name (`harness token --config <this>`).
    config_hint: String,
    /// Added to `harness token` in reproduce commands (` --second-account` for the second
    /// account's client), so the command mints the credential this client used.
    token_flags: String,
}

impl std::fmt::Debug for VendorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorClient").field("base_url", &self.base_url).field("profile", &self.profile.name).finish()
    }
}

/// Quotes a string for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl VendorClient {
    pub fn new(
        base_url: &str,
        profile: Profile,
        minter: Arc<TokenMinter>,
        limits: Limits,
        config_hint: impl Into<String>,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .user_agent(concat!("conformance-harness/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            profile,
            minter,
            limits,
            config_hint: config_hint.into(),
            token_flags: String::new(),
        })
    }

    /// Reproduce commands mint their token with `harness token ... <flags>` (` --second-account`).
    pub fn with_token_flags(mut self, flags: impl Into<String>) -> Self {
        self.token_flags = flags.into();
        self
    }

    pub fn from_config(config: &VendorConfig, config_hint: impl Into<String>) -> anyhow::Result<Self> {
        let minter = Arc::new(config.auth.minter()?);
        Self::new(&config.vendor.base_url, config.profile.clone(), minter, Limits::from(&config.budgets), config_hint)
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// `base_url` + `path` + query.
    pub fn url(&self, path: &str, query: &[(String, String)]) -> Result<Url, ApiError> {
        let mut url = Url::parse(&format!("{}{path}", self.base_url))
            .map_err(|e| ApiError::new(ApiErrorKind::Config, format!("bad URL for `{path}`: {e}"), vec![]))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    fn reproduce(&self, method: &Method, url: &Url, body: Option<&str>, auth: &ProbeAuth) -> String {
        let config = format!("{}{}", shell_quote(&self.config_hint), self.token_flags);
        let mut cmd = format!("curl -sS -i -X {method}");
        match auth {
            ProbeAuth::Fresh => {
                cmd.push_str(&format!(" -H \"Authorization: Bearer $(harness token --config {config})\""))
            }
            ProbeAuth::Header { craft: Some(name), .. } => cmd.push_str(&format!(
                " -H \"Authorization: Bearer $(harness token --config {config} --craft {})\"",
                shell_quote(name)
            )),
            ProbeAuth::Header { craft: None, .. } => {
                cmd.push_str(" -H 'Authorization: <the header shown in the evidence>'")
            }
            ProbeAuth::Missing => {}
        }
        if let Some(body) = body {
            cmd.push_str(&format!(" -H 'Content-Type: application/json' --data {}", shell_quote(body)));
        }
        cmd.push(' ');
        cmd.push_str(&shell_quote(url.as_str()));
        cmd
    }

    /// Sends one request with a fresh token, honouring 429 `Retry-After` within the bounds.
    /// Any answer (4xx and 5xx included) is `Ok`; only a missing, oversized or redirected answer is `Err`.
    pub async fn send(&self, method: Method, url: Url, body: Option<Value>) -> Result<Response, ApiError> {
        self.send_as(method, url, body, &ProbeAuth::Fresh).await
    }

    /// [`VendorClient::send`] with any authentication; only `Fresh` requests wait out a 429.
    pub async fn send_as(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
        auth: &ProbeAuth,
    ) -> Result<Response, ApiError> {
        let mut notes = Vec::new();
        let mut attempt = 0;
        let retries = if matches!(auth, ProbeAuth::Fresh) { self.limits.max_rate_limit_retries } else { 0 };
        loop {
            let response = self.send_once(method.clone(), url.clone(), body.as_ref(), auth).await;
            let mut response = match response {
                Ok(r) => r,
                Err(mut e) => {
                    if let Some(x) = e.exchanges.last_mut() {
                        x.notes.splice(0..0, notes);
                    }
                    return Err(e);
                }
            };
            if response.status == StatusCode::TOO_MANY_REQUESTS && attempt < retries {
                let retry_after =
                    response.exchange.response_header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
                match retry_after {
                    Some(secs) if Duration::from_secs(secs) <= self.limits.max_retry_after => {
                        notes.push(format!("answered 429 with Retry-After {secs} s: waited and retried"));
                        tokio::time::sleep(Duration::from_secs(secs)).await;
                        attempt += 1;
                        continue;
                    }
                    Some(secs) => notes.push(format!(
                        "answered 429 with Retry-After {secs} s, beyond the {} s the harness waits",
                        self.limits.max_retry_after.as_secs()
                    )),
                    None if retries > 0 => notes.push("answered 429 without a usable Retry-After (AUTH-8)".into()),
                    None => {}
                }
            }
            response.exchange.notes.splice(0..0, notes);
            return Ok(response);
        }
    }

    async fn send_once(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        auth: &ProbeAuth,
    ) -> Result<Response, ApiError> {
        // What goes in `Authorization`, and the token text an echo must not leak.
        let (header, token) = match auth {
            ProbeAuth::Fresh => {
                let token = self.minter.mint(contract::unix_now());
                (Some(Secret::new(format!("Bearer {}", token.expose()))), token)
            }
            ProbeAuth::Missing => (None, Secret::new("")),
            ProbeAuth::Header { value, .. } => {
                let token = value.expose().split_once(' ').map_or(value.expose(), |(_, t)| t).trim();
                (Some(value.clone()), Secret::new(token))
            }
        };
        let body_text = body.map(|b| b.to_string());
        let mut request_headers = vec![("accept".to_owned(), "application/json".to_owned())];
        if let Some(header) = &header {
            request_headers.push(("authorization".into(), redacted_authorization(header)));
        }
        let mut exchange = Exchange {
            method: method.to_string(),
            url: url.to_string(),
            request_headers,
            token: token_view(&token),
            request_body: body_text.clone(),
            reproduce: self.reproduce(&method, &url, body_text.as_deref(), auth),
            ..Exchange::default()
        };
        let mut request = self.http.request(method, url.clone()).header("accept", "application/json");
        if let Some(header) = &header {
            request = request.header("authorization", header.expose());
        }
        if let Some(text) = body_text {
            exchange.request_headers.push(("content-type".into(), "application/json".into()));
            request = request.header("content-type", "application/json").body(text);
        }
        let started = Instant::now();
        let fail = |mut exchange: Exchange, kind: ApiErrorKind, message: String| {
            exchange.elapsed_ms = started.elapsed().as_millis() as u64;
            exchange.error = Some(message.clone());
            ApiError::new(kind, message, vec![exchange])
        };
        // The client's own timeout covers the body too; this one is a backstop.
        let backstop = self.limits.request_timeout + Duration::from_secs(1);
        let response = match tokio::time::timeout(backstop, request.send()).await {
            Err(_) => return Err(fail(exchange, ApiErrorKind::Timeout, self.timeout_message())),
            Ok(Err(e)) if e.is_timeout() => return Err(fail(exchange, ApiErrorKind::Timeout, self.timeout_message())),
            Ok(Err(e)) => {
                return Err(fail(exchange, ApiErrorKind::Transport, format!("request failed: {}", error_chain(&e))));
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        exchange.status = Some(status.as_u16());
        exchange.response_headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), redact(&String::from_utf8_lossy(v.as_bytes()), &token)))
            .collect();
        let mut response = response;
        let mut body = Vec::new();
        loop {
            let chunk = match tokio::time::timeout_at((started + backstop).into(), response.chunk()).await {
                Err(_) => return Err(fail(exchange, ApiErrorKind::Timeout, self.timeout_message())),
                Ok(Err(e)) if e.is_timeout() => {
                    excerpt(&mut exchange, &body, &token);
                    return Err(fail(exchange, ApiErrorKind::Timeout, self.timeout_message()));
                }
                Ok(Err(e)) => {
                    excerpt(&mut exchange, &body, &token);
                    return Err(fail(
                        exchange,
                        ApiErrorKind::Transport,
                        format!("reading the body failed: {}", error_chain(&e)),
                    ));
                }
                Ok(Ok(chunk)) => chunk,
            };
            let Some(chunk) = chunk else { break };
            body.extend_from_slice(&chunk);
            if body.len() as u64 > self.limits.max_body_bytes {
                excerpt(&mut exchange, &body, &token);
                exchange.notes.push(format!("stopped reading at the {} byte cap", self.limits.max_body_bytes));
                let message = format!("the body is larger than the {} byte cap", self.limits.max_body_bytes);
                return Err(fail(exchange, ApiErrorKind::TooLarge, message));
            }
        }
        exchange.elapsed_ms = started.elapsed().as_millis() as u64;
        excerpt(&mut exchange, &body, &token);
        if status.is_redirection() {
            let to = exchange.response_header("location").unwrap_or("nowhere").to_owned();
            let message = format!(
                "answered {status} redirecting to {to}; API endpoints answer directly and the harness follows no redirect (the token would travel with it)"
            );
            return Err(ApiError::new(ApiErrorKind::Redirect, message, vec![exchange]));
        }
        Ok(Response { status, body: body.into(), exchange })
    }

    fn timeout_message(&self) -> String {
        format!("no complete answer within {} s", self.limits.request_timeout.as_secs())
    }

    /// `GET` a JSON document: a 2xx answer whose body parses.
    pub async fn get_json(&self, url: Url) -> Result<(Value, Exchange), ApiError> {
        let response = self.send(Method::GET, url, None).await?;
        if !response.status.is_success() {
            let message = format!("answered {}", response.status);
            return Err(ApiError::new(ApiErrorKind::Status, message, vec![response.exchange]));
        }
        match serde_json::from_slice(&response.body) {
            Ok(v) => Ok((v, response.exchange)),
            Err(e) => Err(ApiError::new(
                ApiErrorKind::InvalidJson,
                format!("the body is not JSON: {e}"),
                vec![response.exchange],
            )),
        }
    }

    /// The path of a collection.
    fn collection_path(&self, collection: &Collection) -> (String, &ListEndpoint, &crate::profile::FieldMap) {
        match collection {
            Collection::Sites => (self.profile.sites.path.clone(), &self.profile.sites, &self.profile.site_fields),
            Collection::Inventory { site_id } => (
                self.profile.inventory.path.replace("{site_id}", &encode_segment(site_id)),
                &self.profile.inventory,
                &self.profile.device_fields,
            ),
        }
    }

    /// Walks every page of a collection, handing each to `visit` (raw records included, as the
    /// second element) and keeping nothing: the memory a walk needs is the visitor's.
    pub async fn walk_raw(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut (dyn FnMut(PageSeen, Vec<Value>) -> Walk + Send + '_),
    ) -> Result<WalkEnd, ApiError> {
        let (path, endpoint, fields) = self.collection_path(collection);
        let mut end = WalkEnd { pages: 0, notes: Vec::new() };
        // The last few exchanges, for the evidence of a walk that breaks.
        let mut recent: Vec<Exchange> = Vec::new();
        let with_recent = |mut e: ApiError, mut recent: Vec<Exchange>| {
            recent.append(&mut e.exchanges);
            e.exchanges = keep_last(recent);
            e
        };
        let mut page = 1u64;
        loop {
            let query = match &self.profile.pagination {
                PaginationProfile::Page { page_param, per_page_param, per_page: default, .. } => vec![
                    (page_param.clone(), page.to_string()),
                    (per_page_param.clone(), per_page.unwrap_or(*default).to_string()),
                ],
                PaginationProfile::None => vec![],
            };
            let url = self.url(&path, &query)?;
            let (doc, exchange) = match self.get_json(url).await {
                Ok(ok) => ok,
                Err(e) => return Err(with_recent(e, recent)),
            };
            let items = match doc.pointer(&endpoint.list_pointer) {
                Some(Value::Array(items)) => items,
                other => {
                    let what = pointer_shown(&endpoint.list_pointer);
                    let message = if other.is_some() {
                        format!("`{what}` is not an array")
                    } else {
                        format!("the answer has no `{what}` list")
                    };
                    return Err(with_recent(ApiError::new(ApiErrorKind::Shape, message, vec![exchange]), recent));
                }
            };
            let count = items.len();
            let (seen_page, seen_per_page, total_pages, total_count) = self.pagination_block(&doc);
            recent.push(exchange.clone());
            if recent.len() > 4 {
                recent.remove(0);
            }
            end.pages += 1;
            let seen = PageSeen {
                index: page,
                records: items.iter().map(|raw| map_record(raw, fields)).collect(),
                page: seen_page,
                per_page: seen_per_page,
                total_pages,
                total_count,
                exchange,
            };
            let raws = items.clone();
            if visit(seen, raws) == Walk::Stop {
                break;
            }
            if matches!(self.profile.pagination, PaginationProfile::None) {
                break;
            }
            let Some(total_pages) = total_pages else {
                end.notes.push(format!("page {page} has no total page count; the walk stopped there"));
                break;
            };
            if page >= total_pages || count == 0 {
                break;
            }
            if page >= self.limits.max_pages {
                let message = format!(
                    "pagination did not end within {} pages (the vendor reports {total_pages})",
                    self.limits.max_pages
                );
                return Err(ApiError::new(ApiErrorKind::TooManyPages, message, keep_last(recent)));
            }
            page += 1;
        }
        Ok(end)
    }

    /// The pagination block of an answer as canonical fields (`page`, `per_page`, `total_pages`,
    /// `total_count`), each `None` when absent or not a non-negative integer.
    fn pagination_block(&self, doc: &Value) -> (Option<u64>, Option<u64>, Option<u64>, Option<u64>) {
        let number = |pointer: &Option<String>| pointer.as_deref().and_then(|p| doc.pointer(p)).and_then(Value::as_u64);
        match &self.profile.pagination {
            PaginationProfile::None => (None, None, None, None),
            PaginationProfile::Page {
                page_pointer,
                per_page_pointer,
                total_pages_pointer,
                total_count_pointer,
                ..
            } => (
                number(page_pointer),
                number(per_page_pointer),
                doc.pointer(total_pages_pointer).and_then(Value::as_u64),
                number(total_count_pointer),
            ),
        }
    }

    /// Walks every page of a collection and keeps every record and exchange (the schema sync).
    pub async fn list(&self, collection: &Collection) -> Result<Listing, ApiError> {
        let mut listing = Listing::default();
        let end = self
            .walk_raw(collection, None, &mut |seen, raws| {
                let index = listing.exchanges.len();
                listing.records.extend(seen.records.into_iter().zip(raws).map(|(record, raw)| Listed {
                    record,
                    raw,
                    page: index,
                }));
                listing.exchanges.push(seen.exchange);
                Walk::Continue
            })
            .await?;
        listing.notes = end.notes;
        Ok(listing)
    }
}

fn pointer_shown(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

/// Evidence keeps the first and the last few exchanges of a long walk.
fn keep_last(mut exchanges: Vec<Exchange>) -> Vec<Exchange> {
    if exchanges.len() > 4 {
        exchanges.drain(1..exchanges.len() - 3);
    }
    exchanges
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// A token's header and claims, signature elided.
pub fn token_view(token: &Secret) -> Option<TokenView> {
    let decoded = contract::token::decode_unverified(token.expose()).ok()?;
    Some(TokenView {
        header: Value::Object(decoded.header),
        claims: Value::Object(decoded.claims),
        signature: "[elided]".into(),
    })
}

/// Removes the token from text the vendor sent back (an echo must not leak it into a report).
fn redact(text: &str, token: &Secret) -> String {
    if token.is_empty() { text.to_owned() } else { text.replace(token.expose(), "[redacted]") }
}

fn excerpt(exchange: &mut Exchange, body: &[u8], token: &Secret) {
    exchange.body_bytes = body.len() as u64;
    exchange.truncated = body.len() > EXCERPT_BYTES;
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    exchange.body_excerpt = (!body.is_empty()).then(|| redact(&String::from_utf8_lossy(cut), token));
}

#[async_trait]
impl VendorApi for VendorClient {
    async fn account(&self) -> Result<Fetched, ApiError> {
        let (doc, exchange) = self.get_json(self.url(&self.profile.account.path, &[])?).await?;
        let pointer = &self.profile.account.record_pointer;
        let Some(raw) = doc.pointer(pointer).cloned() else {
            let message = format!("the answer has no record at `{}`", pointer_shown(pointer));
            return Err(ApiError::new(ApiErrorKind::Shape, message, vec![exchange]));
        };
        Ok(Fetched { record: map_record(&raw, &self.profile.account_fields), raw, exchange })
    }

    async fn sites(&self) -> Result<Listing, ApiError> {
        self.list(&Collection::Sites).await
    }

    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
        self.list(&Collection::Inventory { site_id: site_id.to_owned() }).await
    }

    fn endpoints(&self) -> Endpoints {
        let p = &self.profile;
        Endpoints {
            account: p.account.path.clone(),
            sites: p.sites.path.clone(),
            inventory: p.inventory.path.clone(),
            webhooks: p.webhooks.collection.clone(),
            webhook: p.webhooks.item.clone(),
            webhook_ping: p.webhooks.ping.clone(),
            event_types: p.webhooks.event_types.clone(),
            page_params: match &p.pagination {
                PaginationProfile::Page { page_param, per_page_param, per_page, .. } => Some(PageParams {
                    page: page_param.clone(),
                    per_page: per_page_param.clone(),
                    per_page_default: *per_page,
                }),
                PaginationProfile::None => None,
            },
        }
    }

    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        let method = Method::from_bytes(probe.method.as_bytes())
            .map_err(|_| ApiError::new(ApiErrorKind::Config, format!("bad method `{}`", probe.method), vec![]))?;
        let url = self.url(&probe.path, &probe.query)?;
        let response = self.send_as(method, url, probe.body, &probe.auth).await?;
        let text = String::from_utf8_lossy(&response.body).into_owned();
        let json = serde_json::from_slice(&response.body).ok();
        Ok(Answer { status: response.status.as_u16(), json, text, exchange: response.exchange })
    }

    async fn walk(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError> {
        self.walk_raw(collection, per_page, &mut |seen, _raw| visit(seen)).await
    }

    fn read_page(&self, collection: &Collection, answer: &Answer) -> Option<PageSeen> {
        let doc = answer.json.as_ref()?;
        let (_, endpoint, fields) = self.collection_path(collection);
        let items = doc.pointer(&endpoint.list_pointer)?.as_array()?;
        let (page, per_page, total_pages, total_count) = self.pagination_block(doc);
        Some(PageSeen {
            index: page.unwrap_or(0),
            records: items.iter().map(|raw| map_record(raw, fields)).collect(),
            page,
            per_page,
            total_pages,
            total_count,
            exchange: answer.exchange.clone(),
        })
    }
}

/// `Authorization` as evidence shows it: the scheme, and the credential redacted.
fn redacted_authorization(header: &Secret) -> String {
    match header.expose().split_once(' ') {
        Some((scheme, _)) if scheme.len() <= 16 => format!("{scheme} [redacted]"),
        _ if header.is_empty() => String::new(),
        _ => "[redacted]".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_encoding() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("5e6693c0-091d"), "5e6693c0-091d");
    }

    #[test]
    fn authorization_headers_are_redacted_in_evidence() {
        assert_eq!(redacted_authorization(&Secret::new("Bearer abc.def.ghi")), "Bearer [redacted]");
        assert_eq!(redacted_authorization(&Secret::new("garbage")), "[redacted]");
        assert_eq!(redacted_authorization(&Secret::new("")), "");
    }

    #[test]
    fn long_walks_keep_their_ends_as_evidence() {
        let ex = |i: usize| Exchange { url: i.to_string(), ..Exchange::default() };
        let kept: Vec<String> = keep_last((0..10).map(ex).collect()).into_iter().map(|e| e.url).collect();
        assert_eq!(kept, ["0", "7", "8", "9"]);
    }
}
