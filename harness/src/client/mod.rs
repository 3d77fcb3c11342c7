//! The HTTP client the checks reach the vendor through: a fresh token per request, bounded in
//! time, size and page count, never following redirects, and recording every exchange as
//! evidence with secrets redacted.

use std::time::{Duration, Instant};

use contract::Secret;
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use suites::{
    ApiError, ApiErrorKind, Collection, Exchange, Listed, Listing, PageAsk, PageSeen, PagingKind, Probe, ProbeAuth,
    TokenView, VendorApi, Walk, WalkEnd, encode_segment,
};

use crate::config::{BudgetsConfig, VendorConfig};
pub use crate::credential::Credential;
mod api;

use crate::profile::{FieldSource, FieldSpec, ListEndpoint, ParamLocation, Profile, RequestContext, RequestValue};

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
    credential: Credential,
    limits: Limits,
    /// The config path reproduce commands name (`harness token --config <this>`).
    config_hint: String,
    /// Added to `harness token` in reproduce commands (` --second-account` for the second
    /// account's client), so the command mints the credential this client used.
    token_flags: String,
    /// The credential's account id once the account endpoint answered it, for fields the
    /// profile takes `from_request = "account_id"`.
    account_id: std::sync::OnceLock<String>,
    /// Every 429 answer so far, whatever request it answered (AUTH-8 judges each), up to
    /// [`MAX_LIMITED_KEPT`].
    limited: std::sync::Mutex<Vec<Exchange>>,
}

/// At most this many 429 answers are kept for AUTH-8 (a vendor limiting a long run answers many).
pub const MAX_LIMITED_KEPT: usize = 256;

impl std::fmt::Debug for VendorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorClient").field("base_url", &self.base_url).field("profile", &self.profile.name).finish()
    }
}

pub use suites::attempts::shell_quote;

impl VendorClient {
    pub fn new(
        base_url: &str,
        profile: Profile,
        credential: impl Into<Credential>,
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
            credential: credential.into(),
            limits,
            config_hint: config_hint.into(),
            token_flags: String::new(),
            account_id: std::sync::OnceLock::new(),
            limited: Default::default(),
        })
    }

    /// Reproduce commands mint their token with `harness token ... <flags>` (` --second-account`).
    pub fn with_token_flags(mut self, flags: impl Into<String>) -> Self {
        self.token_flags = flags.into();
        self
    }

    pub fn from_config(config: &VendorConfig, config_hint: impl Into<String>) -> anyhow::Result<Self> {
        let credential = config.auth.credential(&config.profile.auth)?;
        Self::new(
            &config.vendor.base_url,
            config.profile.clone(),
            credential,
            Limits::from(&config.budgets),
            config_hint,
        )
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
        let (header, prefix) = (self.profile.auth.header(), self.profile.auth.prefix());
        match auth {
            ProbeAuth::Fresh => cmd.push_str(&format!(" -H \"{header}: {prefix}$(harness token --config {config})\"")),
            // curl leaves out a header whose value is blank; `name;` sends it empty.
            ProbeAuth::Crafted { craft, .. } if craft == "empty" && prefix.trim().is_empty() => {
                cmd.push_str(&format!(" -H {}", shell_quote(&format!("{header};"))))
            }
            ProbeAuth::Crafted { craft, .. } => cmd.push_str(&format!(
                " -H \"{header}: {prefix}$(harness token --config {config} --craft {})\"",
                shell_quote(craft)
            )),
            ProbeAuth::Missing => {}
        }
        for (name, value) in self.profile.auth.extra_headers() {
            cmd.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
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
            if response.status == StatusCode::TOO_MANY_REQUESTS {
                let mut limited = self.limited.lock().expect("limited lock");
                if limited.len() < MAX_LIMITED_KEPT {
                    limited.push(response.exchange.clone());
                }
            }
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
        // What goes in the credential header, and the credential an echo must not leak.
        let (header, token) = match auth {
            ProbeAuth::Fresh => {
                let token = self.fresh_credential().await?;
                (Some(Secret::new(format!("{}{}", self.profile.auth.prefix(), token.expose()))), token)
            }
            ProbeAuth::Missing => (None, Secret::new("")),
            ProbeAuth::Crafted { credential, .. } => (
                Some(Secret::new(format!("{}{}", self.profile.auth.prefix(), credential.expose()))),
                credential.clone(),
            ),
        };
        let body_text = body.map(|b| b.to_string());
        let header_name = self.profile.auth.header().to_ascii_lowercase();
        let mut request_headers = vec![("accept".to_owned(), "application/json".to_owned())];
        if let Some(header) = &header {
            let shown = if self.profile.auth.prefix().is_empty() {
                "[redacted]".to_owned()
            } else {
                redacted_authorization(header)
            };
            request_headers.push((header_name.clone(), shown));
        }
        request_headers
            .extend(self.profile.auth.extra_headers().iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())));
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
            request = request.header(header_name.as_str(), header.expose());
        }
        for (name, value) in self.profile.auth.extra_headers() {
            request = request.header(name.as_str(), value.as_str());
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

    /// A fresh credential: a new JWT, the static key, or a (cached) OAuth2 access token.
    pub async fn fresh_credential(&self) -> Result<Secret, ApiError> {
        match &self.credential {
            Credential::Jwt(minter) => Ok(minter.mint(contract::unix_now())),
            Credential::Static(secret) => Ok(secret.clone()),
            Credential::ClientCredentials { client_id, client_secret, cached } => {
                let mut cached = cached.lock().await;
                if let Some((token, until)) = cached.as_ref()
                    && Instant::now() < *until
                {
                    return Ok(token.clone());
                }
                let (token, lifetime) = self.exchange_client_credentials(client_id, client_secret).await?;
                let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(30));
                *cached = Some((token.clone(), until));
                Ok(token)
            }
        }
    }

    /// OAuth2 client credentials at the profile's token endpoint (absolute, or under the base URL).
    async fn exchange_client_credentials(&self, id: &str, secret: &Secret) -> Result<(Secret, Duration), ApiError> {
        let (at, scope) = self.profile.auth.oauth2().unwrap_or(("/oauth2/token", None));
        let url = if at.starts_with("http://") || at.starts_with("https://") {
            Url::parse(at)
                .map_err(|e| ApiError::new(ApiErrorKind::Config, format!("bad `auth.token_url`: {e}"), vec![]))?
        } else {
            self.url(at, &[])?
        };
        crate::credential::exchange_client_credentials(&self.http, url, scope, id, secret).await
    }

    fn timeout_message(&self) -> String {
        format!("no complete answer within {} s", self.limits.request_timeout.as_secs())
    }

    /// The endpoints whose union is a collection, and the request context their fields may read.
    fn parts(&self, collection: &Collection) -> (Vec<&ListEndpoint>, RequestContext) {
        let account_id = self.account_id.get().cloned();
        match collection {
            Collection::Sites => (vec![&self.profile.sites], RequestContext { site_id: None, account_id }),
            Collection::Inventory { site_id } => {
                (self.profile.inventory.iter().collect(), RequestContext { site_id: Some(site_id.clone()), account_id })
            }
        }
    }

    /// [`Self::parts`], having read the account first when a field takes its id from it and it
    /// was not read yet (a walk before the sync).
    async fn parts_read(&self, collection: &Collection) -> (Vec<&ListEndpoint>, RequestContext) {
        let needs_account = |e: &ListEndpoint| {
            e.fields.values().any(|spec| {
                matches!(spec, FieldSpec::Rule(r) if r.source == FieldSource::FromRequest(RequestValue::AccountId))
            })
        };
        let (endpoints, _) = self.parts(collection);
        if self.account_id.get().is_none() && endpoints.iter().any(|e| needs_account(e)) {
            // A failed read leaves the field missing, and the schema checks say so.
            let _ = self.account().await;
        }
        self.parts(collection)
    }

    /// The request for one page of `endpoint`: its path (site id filled), fixed query, method and
    /// body, with the page parameters of `ask` in the query or the body as the profile says.
    fn page_request(&self, endpoint: &ListEndpoint, request: &RequestContext, ask: &PageAsk) -> Probe {
        let site = request.site_id.as_deref().unwrap_or_default();
        let mut probe = Probe::get(endpoint.path.replace("{site_id}", &encode_segment(site)));
        probe.method = endpoint.method.to_ascii_uppercase();
        probe.query = endpoint.query.iter().map(|(k, v)| (k.clone(), v.replace("{site_id}", site))).collect();
        probe.body = endpoint.body.clone().map(|mut body| {
            fill_site(&mut body, site);
            body
        });
        let p = &self.profile.pagination;
        let params = [
            (p.position_param(), ask.position.as_ref(), false),
            (p.size_param(), ask.size.as_ref(), false),
            (p.token().map(|t| t.0), ask.token.as_ref(), true),
            (p.past_end().map(|e| &e.param), ask.after.as_ref(), true),
        ];
        for (name, value, text) in params {
            let (Some(name), Some(value)) = (name, value) else { continue };
            match p.location() {
                ParamLocation::Query => probe.query.push((name.clone(), value.clone())),
                ParamLocation::Body => {
                    // Numbers as JSON numbers (a bad value such as `abc` stays a string).
                    let json = match value.parse::<i64>() {
                        Ok(n) if !text => Value::from(n),
                        _ => Value::String(value.clone()),
                    };
                    let body = probe.body.get_or_insert_with(|| Value::Object(Default::default()));
                    if let Some(obj) = body.as_object_mut() {
                        obj.insert(name.clone(), json);
                    }
                }
            }
        }
        probe
    }

    /// Sends a page request and reads the answer as a page: a 2xx JSON answer with no error
    /// flagged in its body and a list where the profile says.
    async fn fetch_page(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
        endpoint: &ListEndpoint,
    ) -> Result<(Value, Exchange), ApiError> {
        let response = self.send(method, url, body).await?;
        let doc = self.read_json(response)?;
        match doc.0.pointer(&endpoint.list) {
            Some(Value::Array(_)) => Ok(doc),
            other => {
                let what = pointer_shown(&endpoint.list);
                let message = if other.is_some() {
                    format!("the profile's list pointer `{what}` is not an array in the answer: {}", sample(&doc.0))
                } else {
                    format!("the profile's list pointer `{what}` matches nothing in the answer: {}", sample(&doc.0))
                };
                Err(ApiError::new(ApiErrorKind::Shape, message, vec![doc.1]))
            }
        }
    }

    /// A 2xx answer's JSON, unless its body signals an error the profile knows how to read.
    fn read_json(&self, response: Response) -> Result<(Value, Exchange), ApiError> {
        if !response.status.is_success() {
            let message = format!("answered {}", response.status);
            return Err(ApiError::new(ApiErrorKind::Status, message, vec![response.exchange]));
        }
        let doc: Value = serde_json::from_slice(&response.body).map_err(|e| {
            ApiError::new(
                ApiErrorKind::InvalidJson,
                format!("the body is not JSON: {e}"),
                vec![response.exchange.clone()],
            )
        })?;
        if let Some(error) = self.profile.errors.as_ref().and_then(|e| e.error_in(&doc)) {
            let message = format!("answered {} with an error in its body: {error}", response.status);
            return Err(ApiError::new(ApiErrorKind::Status, message, vec![response.exchange]));
        }
        Ok((doc, response.exchange))
    }

    /// Walks every page of a collection (each endpoint of a union in turn), handing each to
    /// `visit` (raw records included, as the second element) and keeping nothing: the memory a
    /// walk needs is the visitor's.
    pub async fn walk_raw(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut (dyn FnMut(PageSeen, Vec<Value>) -> Walk + Send + '_),
    ) -> Result<WalkEnd, ApiError> {
        let (endpoints, request) = self.parts_read(collection).await;
        let paging = self.profile.paging();
        let p = &self.profile.pagination;
        let kind = p.kind();
        let mut end = WalkEnd { pages: 0, notes: Vec::new() };
        // The last few exchanges, for the evidence of a walk that breaks.
        let mut recent: Vec<Exchange> = Vec::new();
        let with_recent = |mut e: ApiError, mut recent: Vec<Exchange>| {
            recent.append(&mut e.exchanges);
            e.exchanges = keep_last(recent);
            e
        };
        for (part, endpoint) in endpoints.into_iter().enumerate() {
            let mut ask = PageAsk::first(&paging, per_page);
            let size = ask.size.as_ref().and_then(|s| s.parse::<u64>().ok());
            let mut link: Option<Url> = None;
            let mut nexts = std::collections::HashSet::new();
            let mut offset = 0u64;
            let mut index = 0u64;
            // Record-read fields no record of the endpoint has so far, and how many records
            // were seen: what is still unmatched at the end points at the profile.
            let mut unmatched: Option<Vec<(String, String)>> = None;
            let mut records = 0usize;
            let mut sample_record = None;
            loop {
                index += 1;
                let (method, url, body) = match link.take() {
                    Some(url) => (Method::GET, url, None),
                    None => {
                        let probe = self.page_request(endpoint, &request, &ask);
                        let method = Method::from_bytes(probe.method.as_bytes()).unwrap_or(Method::GET);
                        (method, self.url(&probe.path, &probe.query)?, probe.body)
                    }
                };
                let (doc, exchange) = match self.fetch_page(method, url.clone(), body, endpoint).await {
                    Ok(ok) => ok,
                    Err(e) => return Err(with_recent(e, recent)),
                };
                let items = doc.pointer(&endpoint.list).and_then(Value::as_array).cloned().unwrap_or_default();
                let count = items.len() as u64;
                if !items.is_empty() {
                    let missing = self.profile.unmatched(&items, &endpoint.fields, &request);
                    unmatched = Some(match unmatched.take() {
                        None => missing.into_iter().filter(|(f, _)| endpoint.fields[f].reads_record()).collect(),
                        Some(before) => before.into_iter().filter(|u| missing.contains(u)).collect(),
                    });
                    records += items.iter().filter(|r| r.is_object()).count();
                    sample_record.get_or_insert_with(|| sample(&items[0]));
                }
                recent.push(exchange.clone());
                if recent.len() > 4 {
                    recent.remove(0);
                }
                end.pages += 1;
                let seen = self.page_seen(&doc, &items, endpoint, &request, exchange, (index, part));
                let (next, total_pages, total_count) = (seen.next.clone(), seen.total_pages, seen.total_count);
                if visit(seen, items) == Walk::Stop {
                    self.profile_mistakes(&mut end, endpoint, &request, unmatched, records, sample_record, true);
                    return Ok(end);
                }
                let more = match kind {
                    PagingKind::None => false,
                    PagingKind::Page => match total_pages {
                        Some(total_pages) => index < total_pages && count > 0,
                        None => {
                            end.notes.push(format!("page {index} has no total page count; the walk stopped there"));
                            false
                        }
                    },
                    PagingKind::Offset => {
                        offset += count;
                        let short = size.is_some_and(|s| count < s);
                        let all = total_count.is_some_and(|t| offset >= t);
                        ask.position = Some(offset.to_string());
                        count > 0 && !short && !all
                    }
                    PagingKind::Cursor | PagingKind::LinkHeader => match &next {
                        None => false,
                        // Every page up to here was walked once: what they listed stands, and
                        // pagination.next-chain judges the loop.
                        Some(next) if !nexts.insert(next.clone()) => {
                            end.notes.push(format!(
                                "{}: page {index} names `{next}` as its next page, which an earlier page named already; the chain loops, so the walk stopped there (see pagination.next-chain)",
                                endpoint.path
                            ));
                            false
                        }
                        Some(next) if kind == PagingKind::Cursor => {
                            ask.token = Some(next.clone());
                            true
                        }
                        Some(next) => {
                            link = Some(self.same_origin(&url, next).map_err(|e| with_recent(e, recent.clone()))?);
                            true
                        }
                    },
                };
                if !more {
                    break;
                }
                if end.pages >= self.limits.max_pages {
                    let reported = total_pages.map_or(String::new(), |t| format!(" (the vendor reports {t})"));
                    let message = format!("pagination did not end within {} pages{reported}", self.limits.max_pages);
                    return Err(ApiError::new(ApiErrorKind::TooManyPages, message, keep_last(recent)));
                }
                if kind == PagingKind::Page {
                    ask.position = Some((index + 1).to_string());
                }
            }
            self.profile_mistakes(&mut end, endpoint, &request, unmatched, records, sample_record, false);
        }
        Ok(end)
    }

    /// Notes, for the walk's end, each required field the profile reads from the vendor's
    /// records that no record of `endpoint` had: a pointer that matches nothing on every record
    /// is most likely the profile's mistake, not the vendor's (MAP-1).
    #[allow(clippy::too_many_arguments)]
    fn profile_mistakes(
        &self,
        end: &mut WalkEnd,
        endpoint: &ListEndpoint,
        request: &RequestContext,
        unmatched: Option<Vec<(String, String)>>,
        records: usize,
        sample: Option<String>,
        stopped: bool,
    ) {
        let kind = if request.site_id.is_some() { "device" } else { "site" };
        let every = if stopped {
            format!("any of the {records} records walked")
        } else {
            format!("any of its {records} records")
        };
        for (field, at) in unmatched.unwrap_or_default() {
            if !crate::profile::required(kind).contains(&field.as_str()) {
                continue;
            }
            end.notes.push(format!(
                "{}: the profile reads `{field}` from {at}, which matches nothing in {every}: {} (check it with `harness probe`; a sample: {})",
                endpoint.path,
                suites::sync::PROFILE_MISTAKE,
                sample.as_deref().unwrap_or("{}")
            ));
        }
    }

    /// The first page of each endpoint of a collection (for `harness probe`): the request, the
    /// raw records, their canonical mapping and the pagination seen; or why it could not be read.
    pub async fn first_pages(&self, collection: &Collection) -> Vec<(String, Result<FirstPage, ApiError>)> {
        let (endpoints, request) = self.parts_read(collection).await;
        let paging = self.profile.paging();
        let mut out = Vec::new();
        for endpoint in endpoints {
            let probe = self.page_request(endpoint, &request, &PageAsk::first(&paging, None));
            let method = Method::from_bytes(probe.method.as_bytes()).unwrap_or(Method::GET);
            let shown = format!("{} {}", probe.method, endpoint.path);
            let result = match self.url(&probe.path, &probe.query) {
                Ok(url) => self.fetch_page(method, url, probe.body, endpoint).await,
                Err(e) => Err(e),
            };
            let page = result.map(|(doc, exchange)| {
                let raws = doc.pointer(&endpoint.list).and_then(Value::as_array).cloned().unwrap_or_default();
                let unmatched = self.profile.unmatched(&raws, &endpoint.fields, &request);
                let seen = self.page_seen(&doc, &raws, endpoint, &request, exchange, (1, 0));
                FirstPage { raws, unmatched, seen }
            });
            out.push((shown, page));
        }
        out
    }

    /// A `rel=next` link resolved against the page that named it; refused when it leaves the
    /// vendor's base URL (the credential would travel with it).
    fn same_origin(&self, from: &Url, next: &str) -> Result<Url, ApiError> {
        let url = from.join(next).map_err(|e| {
            ApiError::new(ApiErrorKind::Shape, format!("the `rel=next` link `{next}` is not a URL: {e}"), vec![])
        })?;
        let base = Url::parse(&self.base_url).ok();
        let origin = |u: &Url| (u.scheme().to_owned(), u.host_str().map(str::to_owned), u.port_or_known_default());
        if base.as_ref().map(origin) != Some(origin(&url)) {
            let message = format!(
                "the `rel=next` link `{url}` leaves the vendor's base URL {}; the harness does not follow it (the credential would travel with it)",
                self.base_url
            );
            return Err(ApiError::new(ApiErrorKind::Shape, message, vec![]));
        }
        Ok(url)
    }

    /// An answer read as a page: its records mapped through `endpoint`'s fields, the next page
    /// it names (a cursor token, a `rel=next` link), and its pagination block as canonical fields
    /// (each `None` when absent or not a non-negative integer). `at` is (index, part).
    fn page_seen(
        &self,
        doc: &Value,
        items: &[Value],
        endpoint: &ListEndpoint,
        request: &RequestContext,
        exchange: Exchange,
        (index, part): (u64, usize),
    ) -> PageSeen {
        let p = &self.profile.pagination;
        let number = |pointer: Option<&String>| pointer.and_then(|p| doc.pointer(p)).and_then(Value::as_u64);
        let next = match p.kind() {
            PagingKind::Cursor => p.token().and_then(|(_, ptr)| doc.pointer(ptr)).and_then(token_text),
            PagingKind::LinkHeader => exchange.response_header("link").and_then(next_link),
            _ => None,
        };
        let after = p
            .past_end()
            .and_then(|e| items.last()?.pointer(endpoint.past_end_from.as_deref().unwrap_or(&e.from)))
            .and_then(token_text);
        let [page, per_page, total_pages, total_count] = p.block();
        PageSeen {
            index,
            part,
            next,
            after,
            records: items.iter().map(|raw| self.profile.map_record(raw, &endpoint.fields, request)).collect(),
            page: number(page),
            per_page: number(per_page),
            total_pages: number(total_pages),
            total_count: number(total_count),
            exchange,
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

/// One endpoint's first page as `harness probe` shows it: the page as a walk sees it, with the
/// vendor's records beside it.
#[derive(Debug, Clone)]
pub struct FirstPage {
    pub raws: Vec<Value>,
    /// Canonical fields whose source is in no record of the page, and where the profile looked.
    pub unmatched: Vec<(String, String)>,
    pub seen: PageSeen,
}

/// A next-page token as text: `None` for null, empty or missing (the end marker).
fn token_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `rel=next` target of an RFC 8288 (5988) `Link` header value.
pub fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |n| close + n);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r.eq_ignore_ascii_case("next")))
                .unwrap_or(false)
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

/// At most 300 characters of a JSON value, for a message that shows what the vendor returned.
fn sample(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= 300 { text } else { format!("{}…", text.chars().take(300).collect::<String>()) }
}

/// Replaces `{site_id}` in every string of a request body template.
fn fill_site(v: &mut Value, site: &str) {
    match v {
        Value::String(s) if s.contains("{site_id}") => *s = s.replace("{site_id}", site),
        Value::Array(items) => items.iter_mut().for_each(|i| fill_site(i, site)),
        Value::Object(map) => map.values_mut().for_each(|i| fill_site(i, site)),
        _ => {}
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

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
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
