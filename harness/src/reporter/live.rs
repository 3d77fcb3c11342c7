//! The live view (`harness run --live [ADDR]`, `harness demo --live [ADDR]`): the harness's own
//! small web server showing a run as it happens, for the screen in front of a customer. It serves
//! one self-contained page (`live.html`: inline CSS and JS, no CDN, works offline) and
//! `GET /events`, a Server-Sent Events stream of the run's events as JSON (one object per event,
//! its `type` saying which; [`project`] is the wire format).
//!
//! A page that joins late first gets the events so far, then live ones; a page that reconnects
//! (the browser sends `Last-Event-ID`) gets only what it missed. The events so far are kept in
//! memory, bounded: the run's start, every finished check and the end are always kept (there are
//! as many as checks), the waits and deliveries only the last [`MAX_TRANSIENT`]. A stream ends
//! after the run's last event, so a page has the verdict before the server stops.
//!
//! It binds where it is told: the page and its stream carry the run's progress (check messages,
//! event ids, never a header, body or secret) to whoever can reach the address, without
//! authentication; the default is loopback. Bound to loopback, it answers only requests for a
//! loopback host, so a web page elsewhere cannot read the run through a name pointed at 127.0.0.1
//! (DNS rebinding).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures::Stream;
use serde_json::{Value, json};
use suites::Status;
use tokio::sync::{broadcast, oneshot};

use crate::events::{EventKind, Reporter, RunEvent};

/// The page: markup, style and script in one file, embedded in the binary.
const PAGE: &str = include_str!("live.html");

/// The address `--live` binds when given without one.
pub const DEFAULT_ADDR: &str = "127.0.0.1:0";

/// How many waits and deliveries a late-joining page gets (the most recent): a run of many
/// minutes against a busy vendor must not grow the harness's memory without end.
pub const MAX_TRANSIENT: usize = 2000;

/// How long stopping waits for open pages to take the stream's last event.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// One event as sent: its id (from 1, for `Last-Event-ID`) and JSON.
#[derive(Debug)]
struct Entry {
    id: u64,
    data: String,
    /// Always kept for late joiners (the run's start, a finished check, the end).
    pinned: bool,
    /// The stream's last event.
    last: bool,
    /// Sent through [`LiveFeed::publish_latest`]: a later one of the same type replaces it.
    slot: Option<String>,
}

#[derive(Debug, Default)]
struct Log {
    entries: VecDeque<Arc<Entry>>,
    next_id: u64,
    /// How many entries are not pinned.
    transient: usize,
    /// The last event was sent: nothing follows.
    ended: bool,
}

/// The events so far and the channel live ones go out on. Sending happens under the log's lock,
/// so a page that subscribes takes the backlog and the live feed with no gap and no repeat.
#[derive(Debug)]
struct Shared {
    log: Mutex<Log>,
    live: broadcast::Sender<Arc<Entry>>,
}

impl Shared {
    fn new() -> Self {
        Self { log: Mutex::new(Log::default()), live: broadcast::channel(1024).0 }
    }

    fn push(&self, value: &Value, pinned: bool, last: bool) {
        self.push_entry(value, pinned, last, None);
    }

    /// Keeps only the latest event of `value`'s type for late joiners.
    fn push_latest(&self, value: &Value) {
        let slot = value["type"].as_str().unwrap_or_default().to_owned();
        self.push_entry(value, true, false, Some(slot));
    }

    fn push_entry(&self, value: &Value, pinned: bool, last: bool, slot: Option<String>) {
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        if log.ended {
            return;
        }
        if slot.is_some() {
            log.entries.retain(|e| e.slot != slot);
        }
        log.next_id += 1;
        let entry = Arc::new(Entry { id: log.next_id, data: value.to_string(), pinned, last, slot });
        log.ended = last;
        if !pinned {
            log.transient += 1;
            if log.transient > MAX_TRANSIENT
                && let Some(at) = log.entries.iter().position(|e| !e.pinned)
            {
                log.entries.remove(at);
                log.transient -= 1;
            }
        }
        log.entries.push_back(entry.clone());
        // No page connected is not an error.
        let _ = self.live.send(entry);
    }

    /// The kept events after `after`, and the live feed from then on.
    fn subscribe(&self, after: u64) -> (VecDeque<Arc<Entry>>, broadcast::Receiver<Arc<Entry>>) {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let backlog = log.entries.iter().filter(|e| e.id > after).cloned().collect();
        (backlog, self.live.subscribe())
    }
}

/// What the handlers share: the events, and whether only loopback hosts are answered.
#[derive(Debug, Clone)]
struct App {
    shared: Arc<Shared>,
    loopback: bool,
}

impl App {
    /// `Err` with a 403 for a request naming a host other than loopback, when bound to loopback.
    fn admit(&self, headers: &HeaderMap) -> Result<(), Response> {
        if !self.loopback || loopback_host(headers.get(header::HOST)) {
            return Ok(());
        }
        let why = "the live view is bound to loopback and answers only requests for 127.0.0.1, [::1] or localhost";
        Err((StatusCode::FORBIDDEN, why).into_response())
    }
}

/// Whether a `Host` header names a loopback address (`127.0.0.1:8080`, `[::1]:8080`, `localhost`).
fn loopback_host(host: Option<&HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else { return false };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The live view's server, running. [`LiveView::reporter`] feeds it; [`LiveView::stop`] ends it.
#[derive(Debug)]
pub struct LiveView {
    url: String,
    shared: Arc<Shared>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl LiveView {
    /// Binds `addr` (port 0: a free one) and serves the page and its stream.
    pub async fn start(addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("failed to bind the live view on {addr} (`--live`)"))?;
        let local = listener.local_addr().context("failed to read the live view's address")?;
        let shared = Arc::new(Shared::new());
        let app = axum::Router::new()
            .route("/", get(page))
            .route("/events", get(events))
            .with_state(App { shared: shared.clone(), loopback: local.ip().is_loopback() });
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::warn!("the live view stopped serving: {e}");
            }
        });
        Ok(Self { url: format!("http://{local}/"), shared, stop, task })
    }

    /// [`LiveView::start`] for `--live`, saying where on stderr (stdout keeps the run's result
    /// alone).
    pub async fn announce(addr: SocketAddr) -> anyhow::Result<Self> {
        let view = Self::start(addr).await?;
        eprintln!("live view: {}", view.url());
        if !addr.ip().is_loopback() {
            eprintln!("  bound to {addr}: whoever can reach it sees the run's progress (no authentication)");
        }
        Ok(view)
    }

    /// [`LiveView::stop`], saying so on stderr.
    pub async fn stop_after_run(self) {
        let url = self.url.clone();
        self.stop().await;
        eprintln!("live view: the run has ended; stopped serving {url}");
    }

    /// The page's address (`http://127.0.0.1:PORT/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A handle to send the pages more than the run's events (the demo's fleet).
    pub fn feed(&self) -> LiveFeed {
        LiveFeed { shared: self.shared.clone() }
    }

    /// The reporter that feeds this view, for [`crate::runner::run_with`].
    pub fn reporter(&self) -> Box<dyn Reporter> {
        Box::new(LiveReporter { shared: self.shared.clone() })
    }

    /// Stops serving: open pages get the run's last event first (or, when the run ended without
    /// one, an event saying so), within a few seconds.
    pub async fn stop(self) {
        self.shared.push(
            &json!({"type": "closed", "reason": "the harness stopped before the run finished: its terminal says why"}),
            true,
            true,
        );
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            task.abort();
        }
    }
}

/// Sends the view's pages something besides the run's events; cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveFeed {
    shared: Arc<Shared>,
}

impl LiveFeed {
    /// Sends `value` (an object whose `type` the page knows) to the pages; a page that joins later
    /// gets only the latest of each type sent this way. Nothing is sent after the run's end.
    pub fn publish_latest(&self, value: &Value) {
        self.shared.push_latest(value);
    }
}

/// The reporter half: every event, as JSON, to the view's pages.
#[derive(Debug)]
pub struct LiveReporter {
    shared: Arc<Shared>,
}

impl Reporter for LiveReporter {
    fn event(&mut self, event: &RunEvent) -> anyhow::Result<()> {
        let pinned = matches!(
            event.kind,
            EventKind::RunStarted { .. } | EventKind::CheckFinished { .. } | EventKind::RunFinished { .. }
        );
        let last = matches!(event.kind, EventKind::RunFinished { .. });
        self.shared.push(&project(event), pinned, last);
        Ok(())
    }
}

/// `FAIL`, `ADVISORY`, ... as the page shows a row (an advisory is a FAIL below MUST).
fn label(status: Status, advisory: bool) -> &'static str {
    match status {
        Status::Fail if advisory => "ADVISORY",
        Status::Fail => "FAIL",
        Status::Error => "ERROR",
        Status::Skip => "SKIP",
        Status::Pass => "PASS",
        Status::Waived => "WAIVED",
    }
}

/// The event as the stream sends it. A check's row goes without its evidence (the report keeps
/// it; the page shows the message and the contract's words); a delivery never had its headers
/// or body.
pub fn project(event: &RunEvent) -> Value {
    let elapsed_ms = event.elapsed.as_millis() as u64;
    let mut value = match &event.kind {
        EventKind::RunStarted { run_id, vendor, checks, capabilities } => json!({
            "type": "run-started",
            "run_id": run_id,
            "vendor": vendor,
            "checks": checks,
            "capabilities": capabilities,
        }),
        EventKind::CheckStarted { index, total, meta } => json!({
            "type": "check-started",
            "index": index,
            "total": total,
            "id": meta.id,
            "title": meta.title,
        }),
        EventKind::Waiting { what, within } => json!({
            "type": "waiting",
            "what": what,
            "within_ms": within.as_millis() as u64,
        }),
        EventKind::DeliveryReceived(d) => json!({
            "type": "delivery",
            "seq": d.seq,
            "path": d.path,
            "event_type": d.event_type,
            "event_id": d.event_id,
            "duplicate": d.duplicate,
            "answered": d.answered,
            "verified": d.verified.is_ok(),
            "why": d.verified.as_ref().err(),
            "line": d.line(),
        }),
        EventKind::ReceiverAnswering { answer, within } => json!({
            "type": "receiver-answer",
            "answer": answer,
            "within_ms": within.as_millis() as u64,
        }),
        EventKind::CheckFinished { index, total, row } => {
            let mut shown = serde_json::to_value(row.as_ref()).unwrap_or_else(|_| json!({"id": row.id}));
            if let Some(fields) = shown.as_object_mut() {
                fields.remove("evidence");
                fields.insert("label".into(), label(row.status, row.advisory).into());
            }
            json!({"type": "check-finished", "index": index, "total": total, "row": shown})
        }
        EventKind::RunFinished { report, report_dir } => json!({
            "type": "run-finished",
            "verdict": report.verdict,
            "headline": report.headline(),
            "exit_code": report.exit_code,
            "interrupted": report.interrupted,
            "counts": report.counts,
            "report": report_dir.join("report.html").display().to_string(),
        }),
    };
    if let Some(fields) = value.as_object_mut() {
        fields.insert("elapsed_ms".into(), elapsed_ms.into());
    }
    value
}

async fn page(State(app): State<App>, headers: HeaderMap) -> Result<impl IntoResponse, Response> {
    app.admit(&headers)?;
    // The page may load nothing from elsewhere: what it shows must work offline.
    let policy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'";
    Ok((
        [
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Html(PAGE),
    ))
}

/// What one page's stream has to send next.
struct Feed {
    shared: Arc<Shared>,
    backlog: VecDeque<Arc<Entry>>,
    live: broadcast::Receiver<Arc<Entry>>,
    /// The id of the last event sent.
    sent: u64,
    done: bool,
}

impl Feed {
    async fn next(&mut self) -> Option<Arc<Entry>> {
        if self.done {
            return None;
        }
        loop {
            let entry = match self.backlog.pop_front() {
                Some(entry) => entry,
                None => match self.live.recv().await {
                    Ok(entry) => entry,
                    // A page too slow for the live feed catches up from the log.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        (self.backlog, self.live) = self.shared.subscribe(self.sent);
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            if entry.id <= self.sent {
                continue;
            }
            self.sent = entry.id;
            self.done = entry.last;
            return Some(entry);
        }
    }
}

async fn events(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    app.admit(&headers)?;
    let shared = app.shared;
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let (backlog, live) = shared.subscribe(after);
    let feed = Feed { shared, backlog, live, sent: after, done: false };
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        let entry = feed.next().await?;
        let event = Event::default().id(entry.id.to_string()).data(entry.data.as_str());
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_count_as_loopback() {
        let host = |h: &'static str| loopback_host(Some(&HeaderValue::from_static(h)));
        for h in ["127.0.0.1:4000", "127.0.0.1", "[::1]:4000", "localhost:4000", "LOCALHOST"] {
            assert!(host(h), "{h}");
        }
        for h in ["evil.example:4000", "10.0.0.1:4000", "[2001:db8::1]:80", "localhost.evil.example", ""] {
            assert!(!host(h), "{h}");
        }
        assert!(!loopback_host(None));
    }

    fn waiting(what: &str) -> Value {
        json!({"type": "waiting", "what": what})
    }

    #[test]
    fn a_late_joiner_gets_every_pinned_event_and_the_latest_transient_ones() {
        let shared = Shared::new();
        shared.push(&json!({"type": "run-started"}), true, false);
        for i in 0..MAX_TRANSIENT + 10 {
            shared.push(&waiting(&i.to_string()), false, false);
            if i == 5 {
                shared.push(&json!({"type": "check-finished"}), true, false);
            }
        }
        let (backlog, _) = shared.subscribe(0);
        assert_eq!(backlog.len(), MAX_TRANSIENT + 2, "two pinned and the bound's worth of waits");
        assert!(backlog[0].data.contains("run-started"));
        assert!(backlog[1].data.contains("check-finished"), "{}", backlog[1].data);
        assert!(backlog[2].data.contains("\"10\""), "the oldest waits went first: {}", backlog[2].data);
        assert!(backlog.iter().zip(backlog.iter().skip(1)).all(|(a, b)| a.id < b.id), "in order");
        let last = backlog.back().unwrap().id;
        assert_eq!(shared.subscribe(last - 3).0.len(), 3, "a reconnecting page gets what it missed");
    }

    #[test]
    fn a_late_joiner_gets_only_the_latest_of_a_published_kind() {
        let shared = Shared::new();
        shared.push_latest(&json!({"type": "fleet", "n": 1}));
        for i in 0..MAX_TRANSIENT + 1 {
            shared.push(&waiting(&i.to_string()), false, false);
        }
        shared.push_latest(&json!({"type": "fleet", "n": 2}));
        shared.push_latest(&json!({"type": "other", "n": 3}));
        let (backlog, _) = shared.subscribe(0);
        let fleets: Vec<&str> = backlog.iter().map(|e| e.data.as_str()).filter(|d| d.contains("fleet")).collect();
        assert_eq!(fleets, [r#"{"n":2,"type":"fleet"}"#]);
        assert!(backlog.back().unwrap().data.contains("other"), "another type is kept beside it");
    }

    #[tokio::test]
    async fn a_stream_ends_after_the_last_event_and_nothing_is_sent_after_it() {
        let shared = Arc::new(Shared::new());
        shared.push(&waiting("a"), false, false);
        let (backlog, live) = shared.subscribe(0);
        let mut feed = Feed { shared: shared.clone(), backlog, live, sent: 0, done: false };
        shared.push(&json!({"type": "run-finished"}), true, true);
        shared.push(&json!({"type": "closed"}), true, true);
        assert!(feed.next().await.unwrap().data.contains("\"a\""));
        let last = feed.next().await.unwrap();
        assert!(last.data.contains("run-finished") && last.last);
        assert!(feed.next().await.is_none());
        assert_eq!(shared.subscribe(0).0.len(), 2, "the `closed` after the end was not kept");
    }

    #[tokio::test]
    async fn a_page_that_falls_behind_the_live_feed_catches_up_from_the_log() {
        let shared = Arc::new(Shared::new());
        let (backlog, live) = shared.subscribe(0);
        let mut feed = Feed { shared: shared.clone(), backlog, live, sent: 0, done: false };
        // More than the broadcast channel holds, before the page reads any.
        for i in 0..1500 {
            shared.push(&json!({"type": "check-finished", "i": i}), true, false);
        }
        let mut ids = Vec::new();
        for _ in 0..1500 {
            ids.push(feed.next().await.unwrap().id);
        }
        assert_eq!(ids, (1..=1500).collect::<Vec<u64>>());
    }
}
