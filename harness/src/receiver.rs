//! The webhook receiver: verifies each delivery over the raw bytes per the profile's signature
//! format (or over the body alone, the contract's scheme `body`, which meets SIG-1 too), records
//! each delivery (within the bounds below), dedupes on `event_id`, caps body size, and answers what a
//! check asks for during a window (to simulate outages, down to refusing connections). It also
//! records any other request (a vendor fetching a `jku` URL the auth suite planted: AUTH-7).
//!
//! Two paths under the public URL are planted: [`REDIRECT_PATH`], where the receiver's own 3xx
//! answers point (requests there are fetches, so a vendor following a redirect shows), and
//! [`GONE_PATH`], whose deliveries are always answered 410 (a throw-away webhook registered there
//! gets disabled while the run's own webhook does not: DLV-4).
//!
//! It survives a long exposure (`harness listen` for days, anyone able to reach its port): what it
//! keeps is bounded by [`Limits`] (verified deliveries whole up to a byte budget, then their raw
//! bytes dropped oldest first; a bounded sample of unverified ones whole, then cut records, then
//! only counts), a client must send its headers and body within a deadline, and the number of
//! connections served at once is bounded (the rest wait in the accept queue).

use std::collections::{BTreeMap, HashSet, VecDeque};
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
use tokio::sync::{Semaphore, oneshot, watch};

/// How long a client may take to send a request's headers, counted from the connection (or the
/// previous answer on a kept-alive one): a client trickling them is cut off.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's body once its headers are in: answered 408.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once; more wait in the accept queue until one closes.
pub const MAX_CONNECTIONS: usize = 256;
/// Bodies read (buffered up to the body cap, then parsed and verified) at once; more wait. With
/// the connection bound alone, 256 bodies of the cap could be in memory together.
pub const MAX_BODY_READS: usize = 32;
/// Bytes (raw plus text) kept whole of verified deliveries; beyond, the oldest lose their raw
/// bytes and have their body cut, their metadata kept. A run's traffic is far below it.
pub const VERIFIED_KEPT_BYTES: usize = 128 * 1024 * 1024;
/// Bytes (raw plus text) kept whole of deliveries that did not verify (anyone can send those).
pub const UNVERIFIED_KEPT_BYTES: usize = 16 * 1024 * 1024;
/// An unverified delivery's body larger than this is never kept whole.
pub const UNVERIFIED_WHOLE_MAX_BODY: usize = 64 * 1024;
/// Records of unverified deliveries, whole or cut; beyond, they are only counted.
pub const UNVERIFIED_RECORDS: usize = 2048;
/// What is kept of a body that is not kept whole.
pub const CUT_BODY_BYTES: usize = 1024;
/// Header bytes (names and values) kept of a cut record; a single longer header is left out.
pub const CUT_HEADER_BYTES: usize = 4096;
/// Fetches recorded (paths cut to [`CUT_BODY_BYTES`]); beyond, they are only counted.
pub const FETCHES_RECORDED: usize = 4096;

/// The receiver's bounds; [`Limits::default`] is the named constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A larger body is answered 413 (`[webhook] max_body_bytes`).
    pub max_body_bytes: usize,
    pub header_read_timeout: Duration,
    pub body_read_timeout: Duration,
    pub max_connections: usize,
    pub max_body_reads: usize,
    pub verified_kept_bytes: usize,
    pub unverified_kept_bytes: usize,
    pub unverified_whole_max_body: usize,
    pub unverified_records: usize,
    pub fetches_recorded: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_body_reads: MAX_BODY_READS,
            verified_kept_bytes: VERIFIED_KEPT_BYTES,
            unverified_kept_bytes: UNVERIFIED_KEPT_BYTES,
            unverified_whole_max_body: UNVERIFIED_WHOLE_MAX_BODY,
            unverified_records: UNVERIFIED_RECORDS,
            fetches_recorded: FETCHES_RECORDED,
        }
    }
}

/// What the receiver saw, counted whether or not it was kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Deliveries (POSTs) whose body was read, recorded or not.
    pub deliveries: u64,
    pub verified: u64,
    /// Invalid or unverifiable (no secret yet).
    pub unverified: u64,
    /// Unverified deliveries recorded without their raw bytes, body cut.
    pub cut: u64,
    /// Unverified deliveries beyond [`Limits::unverified_records`]: counted only.
    pub unrecorded: u64,
    /// Verified deliveries whose raw bytes were dropped for [`Limits::verified_kept_bytes`].
    pub evicted: u64,
    /// Requests whose body did not arrive within [`Limits::body_read_timeout`] (answered 408).
    pub body_timeouts: u64,
    pub fetches: u64,
    pub fetches_unrecorded: u64,
}

/// The deliveries kept, and what was counted. One lock: a delivery and its raw bytes go together.
#[derive(Debug, Default)]
struct Record {
    /// In arrival order; `seq` is the index (a delivery only counted gets none), so a check's
    /// `deliveries().len()` marks where later ones start.
    deliveries: Vec<Delivery>,
    /// Raw bytes by `seq`, of the deliveries kept whole, for verifying them again (SIG-3, SIG-4).
    raw: BTreeMap<u64, bytes::Bytes>,
    /// For unverified deliveries recorded cut: the second looks a check asks for, taken on
    /// arrival (the receiver's format without its window, and over the body alone), so a
    /// signature right but stale is still told from a wrong one (SIG-2 rather than SIG-1).
    second_looks: BTreeMap<u64, Vec<(SignatureFormat, Verification)>>,
    /// Verified deliveries kept whole, oldest first, and their bytes.
    verified_whole: VecDeque<(u64, usize)>,
    verified_bytes: usize,
    unverified_bytes: usize,
    unverified_records: usize,
    counts: Counts,
}

/// Shared between the server and the checks.
pub struct ReceiverState {
    format: SignatureFormat,
    secrets: Mutex<Vec<Secret>>,
    limits: Limits,
    record: Mutex<Record>,
    /// Bounds the bodies in memory at once ([`Limits::max_body_reads`]).
    body_reads: Semaphore,
    seen: Mutex<HashSet<String>>,
    answer: Mutex<Option<(ReceiverAnswer, Instant)>>,
    /// Every answer window a check set (unix ms from, to), for the report's delivery timeline;
    /// at most [`MAX_ANSWER_WINDOWS`].
    windows: Mutex<Vec<(ReceiverAnswer, i64, i64)>>,
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
        Self::with_limits(format, secrets, Limits { max_body_bytes, ..Limits::default() })
    }

    pub fn with_limits(format: SignatureFormat, secrets: Vec<Secret>, limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            format,
            secrets: Mutex::new(secrets),
            limits,
            record: Mutex::new(Record::default()),
            body_reads: Semaphore::new(limits.max_body_reads.max(1)),
            seen: Mutex::new(HashSet::new()),
            answer: Mutex::new(None),
            windows: Mutex::new(Vec::new()),
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
            Verification::Invalid { reason: format!("body larger than {} bytes", self.limits.max_body_bytes) }
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

/// Answer windows kept for the report's timeline (a run sets a few dozen).
pub const MAX_ANSWER_WINDOWS: usize = 1024;

impl ReceiverState {
    /// The answer windows checks set (an outage, 429s, a held request, ...), as (answer, unix ms
    /// from, unix ms to), in order.
    pub fn answer_windows(&self) -> Vec<(ReceiverAnswer, i64, i64)> {
        self.windows.lock().expect("receiver lock").clone()
    }

    /// What the receiver saw, kept or not.
    pub fn counts(&self) -> Counts {
        self.record.lock().expect("receiver lock").counts
    }

    /// The bounds the receiver keeps to.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Records `delivery` (its `seq`, headers and body filled in here) within the bounds: a
    /// verified one whole, evicting the oldest verified raw bytes over the budget; an unverified
    /// one whole while the sample has room and its body is small, else cut (no raw bytes, body
    /// and headers cut, event reduced to its short top-level fields), and beyond the record count
    /// only counted. Returns whether it was recorded.
    fn keep(&self, mut delivery: Delivery, headers: &HeaderMap, bytes: bytes::Bytes) -> bool {
        let limits = &self.limits;
        let mut guard = self.record.lock().expect("receiver lock");
        let record = &mut *guard;
        record.counts.deliveries += 1;
        let seq = record.deliveries.len() as u64;
        delivery.seq = seq;
        let all_headers = || -> Vec<(String, String)> {
            headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect()
        };
        if matches!(delivery.verification, Verification::Valid { .. }) {
            record.counts.verified += 1;
            delivery.headers = all_headers();
            delivery.body = String::from_utf8_lossy(&bytes).into_owned();
            let cost = whole_cost(&delivery, bytes.len());
            record.raw.insert(seq, bytes);
            record.verified_whole.push_back((seq, cost));
            record.verified_bytes += cost;
            record.deliveries.push(delivery);
            while record.verified_bytes > limits.verified_kept_bytes {
                let Some((old, cost)) = record.verified_whole.pop_front() else { break };
                record.verified_bytes -= cost;
                record.raw.remove(&old);
                let evicted = &mut record.deliveries[old as usize];
                evicted.body = cut_str(&evicted.body, CUT_BODY_BYTES).to_owned();
                // No event rather than a partial one a check might judge as the vendor's.
                evicted.event = None;
                record.counts.evicted += 1;
            }
            return true;
        }
        record.counts.unverified += 1;
        if record.unverified_records >= limits.unverified_records {
            record.counts.unrecorded += 1;
            return false;
        }
        record.unverified_records += 1;
        let header_bytes: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
        let cost = 2 * bytes.len() + header_bytes + delivery.event.as_ref().map_or(0, |_| bytes.len());
        if bytes.len() <= limits.unverified_whole_max_body
            && record.unverified_bytes + cost <= limits.unverified_kept_bytes
        {
            record.unverified_bytes += cost;
            delivery.headers = all_headers();
            delivery.body = String::from_utf8_lossy(&bytes).into_owned();
            record.raw.insert(seq, bytes);
        } else {
            record.counts.cut += 1;
            let looks = self.second_looks(headers, &bytes, delivery.received_at_ms.div_euclid(1000));
            record.second_looks.insert(seq, looks);
            delivery.headers = cut_headers(headers);
            delivery.body = String::from_utf8_lossy(&bytes[..bytes.len().min(CUT_BODY_BYTES)]).into_owned();
            delivery.event = delivery.event.take().and_then(trim_event);
        }
        record.deliveries.push(delivery);
        true
    }
}

impl ReceiverState {
    /// A delivery verified, as of `at`, the ways a check may ask about once its bytes are gone.
    fn second_looks(&self, headers: &HeaderMap, body: &[u8], at: i64) -> Vec<(SignatureFormat, Verification)> {
        let secrets = self.secrets.lock().expect("receiver lock").clone();
        if secrets.is_empty() {
            return Vec::new();
        }
        let refs: Vec<&Secret> = secrets.iter().collect();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        [self.format.without_window(), self.format.body_only().without_window()]
            .into_iter()
            .map(|f| {
                let verification = match f.verify(header, body, &refs, at) {
                    Ok(v) => Verification::Valid { timestamp: v.timestamp },
                    Err(e) => Verification::Invalid { reason: e.to_string() },
                };
                (f, verification)
            })
            .collect()
    }
}

/// Roughly what a delivery kept whole holds: raw bytes, body text, headers, mapped event.
fn whole_cost(delivery: &Delivery, raw: usize) -> usize {
    let headers: usize = delivery.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
    raw + delivery.body.len() + headers + delivery.event.as_ref().map_or(0, |_| raw)
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn cut_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A cut record's headers: in order, each at most 1 KiB, up to [`CUT_HEADER_BYTES`] in all.
fn cut_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    let mut total = 0;
    for (name, value) in headers {
        let len = name.as_str().len() + value.len();
        if len > 1024 || total + len > CUT_HEADER_BYTES {
            continue;
        }
        total += len;
        kept.push((name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()));
    }
    kept
}

/// What is kept of a cut record's event: its top-level fields with short scalar values
/// (`event_id`, `event_type`, `device_id`, ...), enough to tell which event a delivery carried.
fn trim_event(event: serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value;
    let Value::Object(fields) = event else { return None };
    let short = |v: &Value| match v {
        Value::String(s) => s.len() <= 256,
        Value::Number(_) | Value::Bool(_) | Value::Null => true,
        Value::Array(_) | Value::Object(_) => false,
    };
    Some(Value::Object(fields.into_iter().filter(|(k, v)| k.len() <= 64 && short(v)).collect()))
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
    // Held while the body is in memory whole (read, parsed, verified, recorded); the wait is not
    // the sender's, so the body's deadline starts after it.
    let reading = state.body_reads.acquire().await.expect("the semaphore is never closed");
    let received_at_ms = contract::unix_now_ms();
    let read = axum::body::to_bytes(body, state.limits.max_body_bytes);
    let (bytes, too_large) = match tokio::time::timeout(state.limits.body_read_timeout, read).await {
        Ok(Ok(b)) => (b, false),
        Ok(Err(_)) => (bytes::Bytes::new(), true),
        Err(_) => {
            // A body trickled or stalled: not a delivery, so counted only, and the connection closed.
            state.record.lock().expect("receiver lock").counts.body_timeouts += 1;
            tracing::warn!(limit = ?state.limits.body_read_timeout, "a request's body did not arrive in time; answered 408");
            return (StatusCode::REQUEST_TIMEOUT, [(axum::http::header::CONNECTION, "close")]).into_response();
        }
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
    let delivery = Delivery {
        seq: 0,
        received_at_ms,
        headers: Vec::new(),
        body: String::new(),
        body_bytes: bytes.len(),
        verification,
        event,
        event_id,
        duplicate,
        answered: status.map(|s| s.as_u16()),
        path: uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.to_string()),
    };
    if state.keep(delivery, &headers, bytes) {
        state.arrivals.send_modify(|n| *n += 1);
    }
    drop(reading);
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
    let received_at_ms = contract::unix_now_ms();
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.to_string());
    let recorded = {
        let mut fetches = state.fetches.lock().expect("receiver lock");
        let mut record = state.record.lock().expect("receiver lock");
        record.counts.fetches += 1;
        if fetches.len() < state.limits.fetches_recorded {
            let path = cut_str(&path, CUT_BODY_BYTES).to_owned();
            fetches.push(Fetch { received_at_ms, method: cut_str(method, 64).to_owned(), path });
            true
        } else {
            record.counts.fetches_unrecorded += 1;
            false
        }
    };
    if recorded {
        state.arrivals.send_modify(|n| *n += 1);
    }
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

impl RefusingListener {
    async fn accept(&mut self) -> (tokio::net::TcpStream, SocketAddr) {
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
}

/// Serves `router` on `listener` until `stop`: at most `limits.max_connections` connections at
/// once (the next is accepted when one closes), each cut off when its headers take longer than
/// `limits.header_read_timeout` (hyper's timer; also bounds an idle kept-alive connection). On
/// `stop` it closes the listener and lets every request in flight finish: a delivery answered
/// is in the inbox.
async fn serve(mut listener: RefusingListener, router: Router, limits: Limits, mut stop: oneshot::Receiver<()>) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = &mut stop => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
        };
        while connections.try_join_next().is_some() {}
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let mut closing = closing_seen.clone();
        connections.spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = closing.wait_for(|closing| *closing) => {}
            }
            // Finishes the request in flight, if any, then closes.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
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
        self.0.record.lock().expect("receiver lock").deliveries.clone()
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
        let from = contract::unix_now_ms();
        let mut windows = self.0.windows.lock().expect("receiver lock");
        if let Some(last) = windows.last_mut().filter(|w| w.2 > from) {
            // A new answer ends the one before it.
            last.2 = from;
        }
        if windows.len() < MAX_ANSWER_WINDOWS && answer != ReceiverAnswer::Ok {
            windows.push((answer, from, from + window.as_millis() as i64));
        }
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
        let raw = {
            let record = self.0.record.lock().expect("receiver lock");
            match record.raw.get(&delivery.seq) {
                Some(raw) => raw.clone(),
                // Not kept (an unverified delivery beyond the sample): a second look taken on
                // arrival answers, else what the receiver judged on arrival still stands, so a
                // check fails it with that reason rather than passing it unseen. A verified one
                // whose bytes were evicted cannot be looked at again.
                None => {
                    let looked = record.second_looks.get(&delivery.seq).into_iter().flatten();
                    if let Some((_, seen)) = looked.filter(|_| secret.is_none()).find(|(f, _)| f == format) {
                        return seen.clone();
                    }
                    return match record.deliveries.get(delivery.seq as usize).map(|d| &d.verification) {
                        Some(Verification::Invalid { reason }) => Verification::Invalid {
                            reason: format!(
                                "{reason} (as judged on arrival: the receiver kept no raw bytes of this delivery \
                                 to verify it again)"
                            ),
                        },
                        _ => Verification::NoSecret,
                    };
                }
            }
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
    /// Binds `addr` (port 0 picks a free port) and serves until [`Receiver::shutdown`], within
    /// the default [`Limits`] and a body cap of `max_body_bytes`.
    pub async fn bind(
        addr: SocketAddr,
        format: SignatureFormat,
        secrets: Vec<Secret>,
        max_body_bytes: usize,
    ) -> std::io::Result<Self> {
        Self::bind_with(addr, format, secrets, Limits { max_body_bytes, ..Limits::default() }).await
    }

    /// [`Receiver::bind`] within `limits`.
    pub async fn bind_with(
        addr: SocketAddr,
        format: SignatureFormat,
        secrets: Vec<Secret>,
        limits: Limits,
    ) -> std::io::Result<Self> {
        let state = ReceiverState::with_limits(format, secrets, limits);
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
        let task = tokio::spawn(serve(listener, router, limits, stopped));
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

    /// Stops accepting and lets requests in flight finish (for at most 2 s): every delivery
    /// answered stays in the inbox, which outlives the receiver.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // A request held open by a `Timeout` answer must not keep the run waiting; aborting the
        // task drops the connections still open.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.task).await;
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutting_keeps_whole_characters() {
        assert_eq!(cut_str("abc", 5), "abc");
        assert_eq!(cut_str("aé", 2), "a");
        assert_eq!(cut_str("aé", 3), "aé");
    }

    #[test]
    fn a_trimmed_event_keeps_its_short_top_level_fields_only() {
        let event = serde_json::json!({
            "event_id": "e-1", "seq": 3, "ok": true, "data": {"zone": "1"}, "list": [1],
            "pad": "x".repeat(300),
        });
        assert_eq!(trim_event(event), Some(serde_json::json!({"event_id": "e-1", "seq": 3, "ok": true})));
        assert_eq!(trim_event(serde_json::json!([1, 2])), None);
    }

    #[test]
    fn cut_headers_leave_out_long_ones_and_stop_at_the_budget() {
        let mut headers = HeaderMap::new();
        headers.insert("x-long", "l".repeat(2000).parse().unwrap());
        headers.insert("x-webhook-signature", "sha256=abc".parse().unwrap());
        for i in 0..10 {
            headers.insert(
                axum::http::HeaderName::try_from(format!("x-pad-{i}")).unwrap(),
                "p".repeat(900).parse().unwrap(),
            );
        }
        let kept = cut_headers(&headers);
        assert!(kept.iter().all(|(k, _)| k != "x-long"));
        assert!(kept.iter().any(|(k, v)| k == "x-webhook-signature" && v == "sha256=abc"));
        assert!(kept.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() <= CUT_HEADER_BYTES);
        assert_eq!(kept.len(), 5);
    }
}
