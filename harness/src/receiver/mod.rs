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
//! connections served at once is bounded (the rest wait in the accept queue).//!
//! One job per file: `state` (what is kept and counted, within the bounds), `routes` (the axum
//! handlers: deliveries and fetches), `listener` (serving, bounded, and refusing connections),
//! `inbox` (the `Inbox` checks see); here the bounds, the shared state and the running receiver.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::profile::Profile;
use contract::{Secret, SignatureFormat};
use suites::{Delivery, Fetch, Inbox, ReceiverAnswer, Verification};
use tokio::sync::{Semaphore, oneshot, watch};

mod inbox;
mod listener;
mod routes;
mod state;

pub use inbox::ReceiverInbox;
use listener::{RefusingListener, serve};
pub use routes::app;
pub use state::MAX_ANSWER_WINDOWS;

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

/// What the receiver is busy with now ([`ReceiverState::in_flight`]): read-only, so a test can
/// wait until the server has taken a connection or is reading a body instead of sleeping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InFlight {
    /// Connections being served (accepted, not yet closed), at most [`Limits::max_connections`].
    pub connections: usize,
    /// Bodies being read or held whole, at most [`Limits::max_body_reads`].
    pub bodies: usize,
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
    /// Shared, not copied, by each delivery's verification (replaced whole when they change).
    secrets: Mutex<Arc<Vec<Secret>>>,
    /// Secrets replaced during the run (rotation, webhooks created mid-run): still redacted from
    /// what the run writes.
    retired_secrets: Mutex<Vec<Secret>>,
    limits: Limits,
    record: Mutex<Record>,
    /// Bounds the bodies in memory at once ([`Limits::max_body_reads`]).
    body_reads: Semaphore,
    /// Connections being served now, for [`ReceiverState::in_flight`] (the connection semaphore
    /// cannot tell: the accept loop holds a permit while it waits for the next connection).
    connections: std::sync::atomic::AtomicUsize,
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
        let listener = RefusingListener::new(listener, addr, state.clone());
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
