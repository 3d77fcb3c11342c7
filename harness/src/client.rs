//! The HTTP client the checks reach the vendor through: a fresh token per request, bounded in
//! time, size and page count, never following redirects, and recording every exchange as
//! evidence with secrets redacted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use contract::{Secret, TokenMinter};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use suites::{ApiError, ApiErrorKind, Exchange, Fetched, Listed, Listing, TokenView, VendorApi};

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

/// Percent-encodes a path segment (ids come from the vendor and may hold anything).
fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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
        })
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

    fn reproduce(&self, method: &Method, url: &Url, body: Option<&str>) -> String {
        let mut cmd = format!(
            "curl -sS -i -X {method} -H \"Authorization: Bearer $(harness token --config {})\"",
            shell_quote(&self.config_hint)
        );
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
        let mut notes = Vec::new();
        let mut attempt = 0;
        loop {
            let response = self.send_once(method.clone(), url.clone(), body.as_ref()).await;
            let mut response = match response {
                Ok(r) => r,
                Err(mut e) => {
                    if let Some(x) = e.exchanges.last_mut() {
                        x.notes.splice(0..0, notes);
                    }
                    return Err(e);
                }
            };
            if response.status == StatusCode::TOO_MANY_REQUESTS && attempt < self.limits.max_rate_limit_retries {
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
                    None => notes.push("answered 429 without a usable Retry-After (AUTH-8)".into()),
                }
            }
            response.exchange.notes.splice(0..0, notes);
            return Ok(response);
        }
    }

    async fn send_once(&self, method: Method, url: Url, body: Option<&Value>) -> Result<Response, ApiError> {
        let token = self.minter.mint(contract::unix_now());
        let body_text = body.map(|b| b.to_string());
        let mut exchange = Exchange {
            method: method.to_string(),
            url: url.to_string(),
            request_headers: vec![
                ("accept".into(), "application/json".into()),
                ("authorization".into(), "Bearer [redacted]".into()),
            ],
            token: token_view(&token),
            request_body: body_text.clone(),
            reproduce: self.reproduce(&method, &url, body_text.as_deref()),
            ..Exchange::default()
        };
        let mut request = self
            .http
            .request(method, url.clone())
            .header("accept", "application/json")
            .header("authorization", format!("Bearer {}", token.expose()));
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

    /// Walks every page of a list endpoint.
    pub async fn list(
        &self,
        endpoint: &ListEndpoint,
        path: &str,
        fields: &crate::profile::FieldMap,
    ) -> Result<Listing, ApiError> {
        let mut listing = Listing::default();
        let mut page = 1u64;
        loop {
            let query = match &self.profile.pagination {
                PaginationProfile::Page { page_param, per_page_param, per_page, .. } => {
                    vec![(page_param.clone(), page.to_string()), (per_page_param.clone(), per_page.to_string())]
                }
                PaginationProfile::None => vec![],
            };
            let url = self.url(path, &query)?;
            let (doc, exchange) = match self.get_json(url).await {
                Ok(ok) => ok,
                Err(mut e) => {
                    let mut all = std::mem::take(&mut listing.exchanges);
                    all.append(&mut e.exchanges);
                    e.exchanges = keep_last(all);
                    return Err(e);
                }
            };
            let index = listing.exchanges.len();
            listing.exchanges.push(exchange);
            let shape = |message: String, listing: Listing| {
                ApiError::new(ApiErrorKind::Shape, message, keep_last(listing.exchanges))
            };
            let items = match doc.pointer(&endpoint.list_pointer) {
                Some(Value::Array(items)) => items,
                Some(_) => {
                    return Err(shape(format!("`{}` is not an array", pointer_shown(&endpoint.list_pointer)), listing));
                }
                None => {
                    return Err(shape(
                        format!("the answer has no `{}` list", pointer_shown(&endpoint.list_pointer)),
                        listing,
                    ));
                }
            };
            let count = items.len();
            listing.records.extend(items.iter().map(|raw| Listed {
                record: map_record(raw, fields),
                raw: raw.clone(),
                page: index,
            }));
            let total_pages = match &self.profile.pagination {
                PaginationProfile::None => break,
                PaginationProfile::Page { total_pages_pointer, .. } => {
                    doc.pointer(total_pages_pointer).and_then(Value::as_u64)
                }
            };
            let Some(total_pages) = total_pages else {
                listing.notes.push(format!("page {page} has no total page count; the walk stopped there"));
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
                return Err(ApiError::new(ApiErrorKind::TooManyPages, message, keep_last(listing.exchanges)));
            }
            page += 1;
        }
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
        let endpoint = self.profile.sites.clone();
        self.list(&endpoint, &endpoint.path, &self.profile.site_fields).await
    }

    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
        let endpoint = self.profile.inventory.clone();
        let path = endpoint.path.replace("{site_id}", &encode_segment(site_id));
        self.list(&endpoint, &path, &self.profile.device_fields).await
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
    fn long_walks_keep_their_ends_as_evidence() {
        let ex = |i: usize| Exchange { url: i.to_string(), ..Exchange::default() };
        let kept: Vec<String> = keep_last((0..10).map(ex).collect()).into_iter().map(|e| e.url).collect();
        assert_eq!(kept, ["0", "7", "8", "9"]);
    }
}
