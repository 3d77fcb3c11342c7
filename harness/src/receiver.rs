//! The webhook receiver: verifies each delivery over the raw bytes per the profile's signature
//! format (or over the body alone, the contract's scheme `body`, which meets SIG-1 too), records
//! every delivery, dedupes on `event_id`, caps body size, and answers what a
//! check asks for during a window (to simulate outages, down to refusing connections). It also
//! records any other request (a vendor fetching a `jku` URL the auth suite planted: AUTH-7).
//!
//! Two paths under the public URL are planted: [`REDIRECT_PATH`], where the receiver's own 3xx
//! answers point (requests there are fetches, so a vendor following a redirect shows), and
//! [`GONE_PATH`], whose deliveries are always answered 410 (a throw-away webhook registered there
//! gets disabled while the run's own webhook does not: DLV-4).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::profile::Profile;
use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use contract::{Secret, SignatureFormat};
use suites::{Delivery, Fetch, GONE_PATH, Inbox, REDIRECT_PATH, ReceiverAnswer, Verification};
use tokio::sync::{oneshot, watch};

/// Shared between the server and the checks.
pub struct ReceiverState {
    format: SignatureFormat,
    secrets: Mutex<Vec<Secret>>,
    max_body_bytes: usize,
    deliveries: Mutex<Vec<Delivery>>,
    /// Each delivery's raw bytes, by `seq`, for verifying it again (SIG-3, SIG-4).
    raw: Mutex<Vec<bytes::Bytes>>,
    seen: Mutex<HashSet<String>>,
    answer: Mutex<Option<(ReceiverAnswer, Instant)>>,
    fetches: Mutex<Vec<Fetch>>,
    /// Bumped on every delivery, so waiters wake without polling.
    arrivals: watch::Sender<u64>,
    /// Bumped when a check changes the answer, so the listener closes at once for `Refuse`.
    answer_changed: watch::Sender<u64>,
    public_url: Mutex<String>,
    /// Where the receiver listens (for requests to itself).
    local_addr: Mutex<Option<SocketAddr>>,
    /// Maps delivery bodies onto canonical events (the vendor's profile; canonical by default).
    profile: std::sync::RwLock<Arc<Profile>>,
}

impl std::fmt::Debug for ReceiverState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiverState").field("format", &self.format).finish_non_exhaustive()
    }
}

impl ReceiverState {
    pub fn new(format: SignatureFormat, secrets: Vec<Secret>, max_body_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            format,
            secrets: Mutex::new(secrets),
            max_body_bytes,
            deliveries: Mutex::new(Vec::new()),
            raw: Mutex::new(Vec::new()),
            seen: Mutex::new(HashSet::new()),
            answer: Mutex::new(None),
            fetches: Mutex::new(Vec::new()),
            arrivals: watch::channel(0).0,
            answer_changed: watch::channel(0).0,
            public_url: Mutex::new(String::new()),
            local_addr: Mutex::new(None),
            profile: std::sync::RwLock::new(Arc::new(Profile::default())),
        })
    }

    /// The profile delivery bodies are read through (event ids, types, fields).
    pub fn set_profile(&self, profile: Profile) {
        *self.profile.write().expect("receiver lock") = Arc::new(profile);
    }

    /// A body as a canonical event, when it is JSON.
    fn event_of(&self, body: &[u8]) -> Option<serde_json::Value> {
        let raw = serde_json::from_slice::<serde_json::Value>(body).ok()?;
        Some(self.profile.read().expect("receiver lock").map_event(&raw))
    }

    /// Replaces the secrets deliveries are verified with (a webhook created mid-run, rotation).
    pub fn set_secrets(&self, secrets: Vec<Secret>) {
        *self.secrets.lock().expect("receiver lock") = secrets;
    }

    /// Until when connections are refused, if they are now.
    fn refusing_until(&self) -> Option<Instant> {
        match self.current_answer() {
            (ReceiverAnswer::Refuse, until) => until,
            _ => None,
        }
    }

    fn current_answer(&self) -> (ReceiverAnswer, Option<Instant>) {
        let mut answer = self.answer.lock().expect("receiver lock");
        match *answer {
            Some((a, until)) if Instant::now() < until => (a, Some(until)),
            _ => {
                *answer = None;
                (ReceiverAnswer::Ok, None)
            }
        }
    }

    /// Verifies a delivery and, when `process` and it verified, marks its `event_id` seen.
    fn record(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        event_id: &Option<String>,
        too_large: bool,
        process: bool,
    ) -> (Verification, bool) {
        let now = contract::unix_now();
        let verification = if too_large {
            Verification::Invalid { reason: format!("body larger than {} bytes", self.max_body_bytes) }
        } else {
            let secrets = self.secrets.lock().expect("receiver lock").clone();
            if secrets.is_empty() {
                Verification::NoSecret
            } else {
                let refs: Vec<&Secret> = secrets.iter().collect();
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
                // The contract's scheme `body` meets SIG-1 whatever the profile declares (SIG-3
                // reports the weakness), so a delivery signed over the body alone is authentic and
                // processed; its timestamp is still held to the window (RPL-1).
                let verified = self.format.verify(header, body, &refs, now).or_else(|e| {
                    let body_only = self.format.binds_timestamp().then(|| self.format.body_only());
                    body_only.and_then(|f| f.verify(header, body, &refs, now).ok()).ok_or(e)
                });
                match verified {
                    Ok(v) => Verification::Valid { timestamp: v.timestamp },
                    // Which common mistake explains it, for the vendor's engineer (bounded in cost).
                    Err(e) => Verification::Invalid {
                        reason: contract::diagnose::with_likely_cause(
                            e.to_string(),
                            contract::diagnose::diagnose(&self.format, header, body, &refs, &[], now).as_ref(),
                        ),
                    },
                }
            }
        };
        // Only verified deliveries count as processed: a forged one must not block the real one.
        // One answered otherwise than 2xx (an outage, the planted 410 path) is not processed either.
        let duplicate = match (event_id, &verification) {
            (Some(id), Verification::Valid { .. }) if process => {
                !self.seen.lock().expect("receiver lock").insert(id.clone())
            }
            (Some(id), Verification::Valid { .. }) => self.seen.lock().expect("receiver lock").contains(id),
            _ => false,
        };
        (verification, duplicate)
    }
}

/// Whether a request path is the planted `planted` path (under any public URL prefix).
fn is_planted(uri: &axum::http::Uri, planted: &str) -> bool {
    uri.path().trim_end_matches('/').ends_with(planted)
}

async fn deliver(
    State(state): State<Arc<ReceiverState>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if is_planted(&uri, REDIRECT_PATH) {
        return record_fetch(&state, "POST", &uri).into_response();
    }
    let received_at_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000;
    let (bytes, too_large) = match axum::body::to_bytes(body, state.max_body_bytes).await {
        Ok(b) => (b, false),
        Err(_) => (bytes::Bytes::new(), true),
    };
    let gone = is_planted(&uri, GONE_PATH);
    let (answer, until) = state.current_answer();
    // Processed means answered 2xx: an attempt the receiver failed on purpose (500, held open,
    // 429, ...) was not processed, so its retry is not a duplicate.
    let event = state.event_of(&bytes);
    let event_id = event.as_ref().and_then(|e| e.get("event_id")).and_then(|id| id.as_str()).map(str::to_owned);
    let process = !gone && answer == ReceiverAnswer::Ok;
    let (verification, duplicate) = state.record(&headers, &bytes, &event_id, too_large, process);
    let status = match answer {
        _ if too_large => Some(StatusCode::PAYLOAD_TOO_LARGE),
        _ if gone => Some(StatusCode::GONE),
        ReceiverAnswer::Ok => Some(match verification {
            Verification::Invalid { .. } => StatusCode::UNAUTHORIZED,
            _ => StatusCode::OK,
        }),
        ReceiverAnswer::ServerError => Some(StatusCode::INTERNAL_SERVER_ERROR),
        ReceiverAnswer::TooManyRequests { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
        ReceiverAnswer::Gone => Some(StatusCode::GONE),
        // A connection accepted just before the window began: answer as an outage would.
        ReceiverAnswer::Refuse => Some(StatusCode::SERVICE_UNAVAILABLE),
        ReceiverAnswer::Timeout => None,
        ReceiverAnswer::Redirect => Some(StatusCode::TEMPORARY_REDIRECT),
    };
    {
        let mut deliveries = state.deliveries.lock().expect("receiver lock");
        state.raw.lock().expect("receiver lock").push(bytes.clone());
        let seq = deliveries.len() as u64;
        deliveries.push(Delivery {
            seq,
            received_at_ms,
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            body_bytes: bytes.len(),
            verification,
            event,
            event_id,
            duplicate,
            answered: status.map(|s| s.as_u16()),
            path: uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.to_string()),
        });
    }
    state.arrivals.send_modify(|n| *n += 1);
    match (answer, status) {
        (_, Some(status)) if gone || too_large => status.into_response(),
        (ReceiverAnswer::TooManyRequests { retry_after_secs }, Some(status)) => {
            (status, [("retry-after", retry_after_secs.to_string())]).into_response()
        }
        (ReceiverAnswer::Redirect, Some(status)) => {
            let public = state.public_url.lock().expect("receiver lock").clone();
            let location = format!("{}{REDIRECT_PATH}", public.trim_end_matches('/'));
            (status, [("location", location)]).into_response()
        }
        (_, Some(status)) => status.into_response(),
        (_, None) => {
            // Hold the request open for the rest of the window: the vendor's timeout fires first.
            if let Some(until) = until {
                tokio::time::sleep_until(until.into()).await;
            }
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Any other request: recorded, answered 404.
async fn fetch(State(state): State<Arc<ReceiverState>>, request: axum::extract::Request) -> StatusCode {
    record_fetch(&state, request.method().as_str(), request.uri())
}

fn record_fetch(state: &ReceiverState, method: &str, uri: &axum::http::Uri) -> StatusCode {
    let received_at_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000;
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.to_string());
    state.fetches.lock().expect("receiver lock").push(Fetch { received_at_ms, method: method.to_owned(), path });
    state.arrivals.send_modify(|n| *n += 1);
    StatusCode::NOT_FOUND
}

/// The receiver's routes: every POST path is a delivery (vendors append their own paths); any
/// other method is recorded as a fetch.
pub fn app(state: Arc<ReceiverState>) -> Router {
    Router::new().fallback(axum::routing::post(deliver).fallback(fetch)).with_state(state)
}

/// A listener that closes its socket while the receiver refuses connections and binds the same
/// address again afterwards, so the vendor sees a refused connection, not an answer.
struct RefusingListener {
    inner: Option<tokio::net::TcpListener>,
    addr: SocketAddr,
    state: Arc<ReceiverState>,
    changed: watch::Receiver<u64>,
}

impl axum::serve::Listener for RefusingListener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Some(until) = self.state.refusing_until() {
                self.inner = None;
                tokio::select! {
                    _ = tokio::time::sleep_until(until.into()) => {}
                    _ = self.changed.changed() => {}
                }
                continue;
            }
            if self.inner.is_none() {
                match tokio::net::TcpListener::bind(self.addr).await {
                    Ok(listener) => self.inner = Some(listener),
                    Err(e) => {
                        tracing::warn!(error = %e, "the receiver failed to listen again; retrying");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                }
            }
            let Some(listener) = self.inner.as_ref() else { continue };
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => return pair,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                _ = self.changed.changed() => {}
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// The inbox checks see.
#[derive(Debug, Clone)]
pub struct ReceiverInbox(pub Arc<ReceiverState>);

#[async_trait]
impl Inbox for ReceiverInbox {
    fn public_url(&self) -> String {
        self.0.public_url.lock().expect("receiver lock").clone()
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.0.deliveries.lock().expect("receiver lock").clone()
    }

    async fn wait_for(&self, done: &(dyn for<'d> Fn(&'d [Delivery]) -> bool + Send + Sync), within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        let mut arrivals = self.0.arrivals.subscribe();
        loop {
            let so_far = self.deliveries();
            if done(&so_far) {
                return true;
            }
            match tokio::time::timeout_at(deadline, arrivals.changed()).await {
                Ok(Ok(())) => continue,
                _ => {
                    let so_far = self.deliveries();
                    return done(&so_far);
                }
            }
        }
    }

    fn answer_for(&self, answer: ReceiverAnswer, window: Duration) {
        *self.0.answer.lock().expect("receiver lock") = Some((answer, Instant::now() + window));
        self.0.answer_changed.send_modify(|n| *n += 1);
    }

    fn fetches(&self) -> Vec<Fetch> {
        self.0.fetches.lock().expect("receiver lock").clone()
    }

    fn add_secret(&self, secret: Secret) {
        let mut secrets = self.0.secrets.lock().expect("receiver lock");
        if !secrets.iter().any(|s| s.expose() == secret.expose()) {
            secrets.push(secret);
        }
    }

    fn verify_with(&self, delivery: &Delivery, format: &SignatureFormat, secret: Option<&Secret>) -> Verification {
        let Some(raw) = self.0.raw.lock().expect("receiver lock").get(delivery.seq as usize).cloned() else {
            return Verification::NoSecret;
        };
        let secrets = match secret {
            Some(secret) => vec![secret.clone()],
            None => self.0.secrets.lock().expect("receiver lock").clone(),
        };
        if secrets.is_empty() {
            return Verification::NoSecret;
        }
        let refs: Vec<&Secret> = secrets.iter().collect();
        let header =
            |name: &str| delivery.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        match format.verify(header, &raw, &refs, delivery.received_at_ms.div_euclid(1000)) {
            Ok(v) => Verification::Valid { timestamp: v.timestamp },
            Err(e) => Verification::Invalid { reason: e.to_string() },
        }
    }

    async fn post_to_self(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<u16, String> {
        let addr = self.0.local_addr.lock().expect("receiver lock").ok_or("the receiver is not listening")?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("failed to build a client: {e}"))?;
        let mut request = client.post(format!("http://{addr}/webhook")).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| format!("POST to the receiver failed: {e}"))?;
        Ok(response.status().as_u16())
    }
}

/// A running receiver.
#[derive(Debug)]
pub struct Receiver {
    addr: SocketAddr,
    state: Arc<ReceiverState>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Binds `addr` (port 0 picks a free port) and serves until [`Receiver::shutdown`].
    pub async fn bind(
        addr: SocketAddr,
        format: SignatureFormat,
        secrets: Vec<Secret>,
        max_body_bytes: usize,
    ) -> std::io::Result<Self> {
        let state = ReceiverState::new(format, secrets, max_body_bytes);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        *state.local_addr.lock().expect("receiver lock") = Some(addr);
        let listener = RefusingListener {
            inner: Some(listener),
            addr,
            state: state.clone(),
            changed: state.answer_changed.subscribe(),
        };
        let (stop, stopped) = oneshot::channel();
        let router = app(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self { addr, state, stop: Some(stop), task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> Arc<ReceiverState> {
        self.state.clone()
    }

    /// The inbox, announcing `public_url` as where the vendor delivers.
    pub fn inbox(&self, public_url: String) -> Arc<dyn Inbox> {
        *self.state.public_url.lock().expect("receiver lock") = public_url;
        Arc::new(ReceiverInbox(self.state.clone()))
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // A request held open by a `Timeout` answer must not keep the run waiting.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.task).await;
        self.task.abort();
    }
}
