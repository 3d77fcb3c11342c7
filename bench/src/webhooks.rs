//! §2 Webhook pipeline: the mock's delivery engine signing events into the harness's receiver,
//! which verifies and dedupes them, in one process, measured to saturation (issue 18, item 2).
//!
//! - Baseline: the same signed bodies (real deliveries, as the mock signed them, with their
//!   headers) POSTed by `wrk` to a trivial axum handler in this process (reads the body, answers
//!   200).
//! - Capacity: the offered rate is raised (doubling, then bisecting, in short probes) until the
//!   pipeline falls behind ([`Step::sustained`] says exactly what that means); the highest rate
//!   found is then held for the full length (30 s) and must again be carried with 0 lost and
//!   0 processed twice, else it steps down. Each step runs on a fresh mock and fresh receivers,
//!   so a backlog or a grown record of one step cannot slow the next.
//! - The same at 1,000 webhooks, one receiver each on its own loopback address (127.0.x.y), so
//!   the mock's client keeps one connection pool per target; events go round-robin, event k to
//!   webhook k mod 1,000 (`events::emit`'s `only`), so per-webhook fairness is measurable.
//! - The outage run: the receiver refusing connections for a while in the middle of a run.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use contract::{AlarmData, ConditionState, EventData, Scheme, Secret, SignatureFormat};
use harness::receiver::{Receiver, ReceiverInbox};
use mock_vendor::config::parse_schedule;
use mock_vendor::state::DeliveryState;
use mock_vendor::{FleetSpec, MockConfig};
use suites::{Inbox, ReceiverAnswer, Verification};

use crate::serving::{Load, WrkResult, run_wrk};
use crate::util::{self, thousands, verdict};

/// The last event of a step processed more than this long after the step's end (its emitter's
/// last tick) means the pipeline fell behind: a backlog of more than half a second of work.
pub const MAX_LAG_MS: i64 = 500;
/// The emitter itself (`events::emit`, part of the pipeline) must keep pace within this.
pub const MAX_EMIT_OVERRUN: Duration = Duration::from_millis(250);
/// Target: the pipeline's capacity against the wrk baseline.
pub const TARGET_RATIO: f64 = 0.5;

/// How long the steps of the search run.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    /// The first probe's rate.
    pub start: u64,
    pub probe_secs: u64,
    /// Bisections after the first failing probe.
    pub bisections: u32,
    pub confirm_secs: u64,
    /// Confirmation runs, each 15% slower than the one before, until one holds.
    pub confirm_tries: u32,
}

impl Search {
    pub fn full() -> Self {
        Self { start: 5_000, probe_secs: 5, bisections: 3, confirm_secs: 30, confirm_tries: 3 }
    }

    /// `--quick`: a smoke test, not a figure.
    pub fn quick() -> Self {
        Self { start: 5_000, probe_secs: 2, bisections: 1, confirm_secs: 5, confirm_tries: 1 }
    }
}

/// One pipeline under test: a mock, `n` receivers, one webhook per receiver.
struct Pipeline {
    mock: mock_vendor::RunningMock,
    receivers: Vec<Receiver>,
    hooks: Vec<String>,
    devices: Vec<u32>,
    _state_dir: tempfile::TempDir,
}

/// The config every pipeline runs with: retries that outlast an outage of several seconds, an
/// attempt timeout long enough that a loaded receiver is not mistaken for a dead one.
fn config() -> MockConfig {
    MockConfig {
        fleet: FleetSpec::Demo,
        retry_schedule: parse_schedule("250ms,500ms,1s,2s,3s,5s,8s,13s").expect("the schedule parses"),
        allow_private_targets: true,
        // Every step starts a fresh mock: its accounts' keys are set-up time, not measured.
        key_bits: 1024,
        max_concurrent_deliveries: std::env::var("BENCH_MAX_DELIVERIES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(MockConfig::default().max_concurrent_deliveries),
        ..MockConfig::default()
    }
}

/// Where receiver `i` of `n` listens: 127.0.0.1 for one, else its own loopback address
/// 127.0.x.y (Linux answers the whole 127/8 on `lo`), so each webhook is a distinct host.
fn receiver_addr(i: usize, n: usize) -> SocketAddr {
    if n == 1 {
        return SocketAddr::from(([127, 0, 0, 1], 0));
    }
    SocketAddr::from(([127, 0, 1 + (i / 250) as u8, 1 + (i % 250) as u8], 0))
}

impl Pipeline {
    async fn start(webhooks: usize) -> anyhow::Result<Self> {
        let state_dir = tempfile::tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mock = mock_vendor::start(config(), listener, state_dir.path()).await?;
        let token = util::minter(&mock.credentials.accounts[0])?.mint(contract::unix_now());
        let client = reqwest::Client::new();
        let mut receivers = Vec::with_capacity(webhooks);
        let mut hooks = Vec::with_capacity(webhooks);
        for i in 0..webhooks {
            let addr = receiver_addr(i, webhooks);
            let receiver = Receiver::bind(addr, SignatureFormat::canonical(Scheme::Body), Vec::new(), 64 * 1024)
                .await
                .with_context(|| format!("failed to bind a receiver on {addr}"))?;
            // Registered through the mock's API, as an integrator would.
            let created: serde_json::Value = client
                .post(format!("{}/api/v1/webhooks", mock.base_url))
                .bearer_auth(token.expose())
                .json(&serde_json::json!({
                    "name": format!("bench-{i}"),
                    "target_url": format!("http://{}/webhook/{i}", receiver.local_addr()),
                }))
                .send()
                .await?
                .error_for_status()
                .context("failed to register a bench webhook")?
                .json()
                .await?;
            let secret = created["secret"].as_str().context("the created webhook has a secret")?;
            let id = created["webhook_id"].as_str().context("the created webhook has an id")?;
            receiver.state().set_secrets(vec![Secret::new(secret)]);
            hooks.push(id.to_owned());
            receivers.push(receiver);
        }
        let devices: Vec<u32> = {
            let fleet = mock.state.fleet.read().expect("fleet lock");
            let first = fleet.accounts[0].sites.iter().flat_map(|&s| fleet.sites[s as usize].devices.iter().copied());
            first.filter(|&d| fleet.devices[d as usize].kind.publishes_events()).collect()
        };
        Ok(Self { mock, receivers, hooks, devices, _state_dir: state_dir })
    }

    async fn stop(self) {
        for r in self.receivers {
            r.shutdown().await;
        }
        self.mock.stop().await;
    }

    fn pending(&self) -> usize {
        let deliveries = self.mock.state.deliveries.lock().expect("deliveries lock");
        deliveries.iter().filter(|d| d.state == DeliveryState::Pending).count()
    }

    /// Offers `rate` events a second for `seconds` (paced every 10 ms against the clock), with
    /// an outage of the (first) receiver from the middle if asked, waits until no delivery is
    /// pending (at most 120 s), and counts.
    async fn step(&self, rate: u64, seconds: u64, outage: Option<Duration>) -> anyhow::Result<Step> {
        let data = EventData::Alarm(AlarmData {
            condition: "intrusion".into(),
            state: ConditionState::Active,
            severity: None,
            zone: Some("Zone 1".into()),
        });
        let total = (rate * seconds) as usize;
        let mut emitted: Vec<(String, i64)> = Vec::with_capacity(total);
        let outage_at = outage.map(|_| Duration::from_secs(seconds) / 2);
        let mut outage_started = false;
        let started = Instant::now();
        let started_ms = contract::unix_now_ms();
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        while emitted.len() < total {
            tick.tick().await;
            let elapsed = started.elapsed();
            if let (Some(at), Some(window), false) = (outage_at, outage, outage_started)
                && elapsed >= at
            {
                ReceiverInbox(self.receivers[0].state()).answer_for(ReceiverAnswer::Refuse, window);
                outage_started = true;
            }
            let due = ((elapsed.as_secs_f64() * rate as f64) as usize).min(total);
            let now_ms = contract::unix_now_ms();
            while emitted.len() < due {
                let k = emitted.len();
                let device = self.devices[k % self.devices.len()];
                let only = (self.hooks.len() > 1).then(|| self.hooks[k % self.hooks.len()].as_str());
                let id = mock_vendor::events::emit(&self.mock.state, 0, Some(device), &data, only)
                    .context("the event has an id")?;
                emitted.push((id, now_ms));
            }
        }
        let emit_secs = started.elapsed().as_secs_f64();
        // The step ends when its emitter was due to finish, not when it did.
        let end_ms = started_ms + (seconds * 1000) as i64;
        let pending_at_end = self.pending();

        let deadline = Instant::now() + Duration::from_secs(120);
        while self.pending() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (dead_lettered, failures) = {
            let deliveries = self.mock.state.deliveries.lock().expect("deliveries lock");
            let dead = deliveries.iter().filter(|d| d.state == DeliveryState::DeadLettered).count();
            let mut failures = std::collections::BTreeMap::<String, usize>::new();
            for a in deliveries.iter().flat_map(|d| &d.attempts) {
                if !a.status.is_some_and(|s| (200..300).contains(&s)) {
                    let what = a.status.map_or_else(|| a.error.clone().unwrap_or_default(), |s| s.to_string());
                    *failures.entry(what).or_default() += 1;
                }
            }
            (dead, failures)
        };
        let failed_attempts = failures.values().sum();

        // Each event's first processing: when, and by how many receivers' records.
        let emitted_at: HashMap<&str, i64> = emitted.iter().map(|(id, at)| (id.as_str(), *at)).collect();
        let mut first_ms: HashMap<&str, (i64, usize)> = HashMap::with_capacity(total);
        let mut deduped = 0;
        let mut by_end_per_hook = Vec::with_capacity(self.receivers.len());
        let mut per_second: Vec<usize> = vec![0; seconds as usize + 1];
        for r in &self.receivers {
            let mut by_end = 0usize;
            r.state().with_deliveries(|received| {
                for d in received {
                    let Some((id, _)) = d.event_id.as_deref().and_then(|id| emitted_at.get_key_value(id)) else {
                        continue;
                    };
                    let valid = matches!(d.verification, Verification::Valid { .. });
                    if !(valid && d.answered.is_some_and(|s| (200..300).contains(&s))) {
                        continue;
                    }
                    if d.duplicate {
                        deduped += 1;
                        continue;
                    }
                    let seen = first_ms.entry(id).or_insert((d.received_at_ms, 0));
                    seen.0 = seen.0.min(d.received_at_ms);
                    seen.1 += 1;
                    if d.received_at_ms <= end_ms {
                        by_end += 1;
                    }
                    let second = ((d.received_at_ms - started_ms).max(0) / 1000) as usize;
                    if let Some(n) = per_second.get_mut(second) {
                        *n += 1;
                    }
                }
            });
            by_end_per_hook.push(by_end);
        }
        let processed = first_ms.len();
        let processed_twice = first_ms.values().filter(|(_, n)| *n > 1).count();
        let lost = emitted.len() - processed;
        let last_ms = first_ms.values().map(|(at, _)| *at).max().unwrap_or(started_ms);
        let mut latencies: Vec<i64> = first_ms.iter().map(|(id, (at, _))| at - emitted_at[id]).collect();
        latencies.sort_unstable();
        let p99_ms = latencies.get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1))).copied();
        // Whole seconds inside the emitting window, the first (ramp) and any outage aside.
        let worst_second = per_second
            .iter()
            .enumerate()
            .take(seconds as usize)
            .skip(1)
            .filter(|(s, _)| match (outage_at, outage) {
                (Some(at), Some(w)) => (*s as u64) + 1 < at.as_secs() || (*s as u64) > (at + w).as_secs() + 1,
                _ => true,
            })
            .map(|(_, n)| *n)
            .min()
            .unwrap_or_default();
        Ok(Step {
            rate,
            seconds,
            emitted: emitted.len(),
            emit_secs,
            pending_at_end,
            lag_ms: last_ms - end_ms,
            drain_secs: (last_ms - started_ms) as f64 / 1000.0,
            processed,
            processed_twice,
            lost,
            deduped,
            failed_attempts,
            failures,
            dead_lettered,
            worst_second,
            p99_ms,
            per_hook_by_end: (
                by_end_per_hook.iter().copied().min().unwrap_or_default(),
                by_end_per_hook.iter().copied().max().unwrap_or_default(),
            ),
        })
    }
}

/// What one step measured.
#[derive(Debug, Clone)]
pub struct Step {
    pub rate: u64,
    pub seconds: u64,
    pub emitted: usize,
    pub emit_secs: f64,
    /// Deliveries still pending when the emitter finished (in flight or waiting for a slot).
    pub pending_at_end: usize,
    /// The last event's first processing, after the step's end (negative: before it).
    pub lag_ms: i64,
    /// From the first emit until the last event was first processed.
    pub drain_secs: f64,
    pub processed: usize,
    pub processed_twice: usize,
    pub lost: usize,
    /// Redeliveries the receiver recognised by `event_id` and did not process again.
    pub deduped: usize,
    /// Attempts answered otherwise than 2xx, or refused.
    pub failed_attempts: usize,
    /// Failed attempts by what failed (the status, or the client's error).
    pub failures: std::collections::BTreeMap<String, usize>,
    pub dead_lettered: usize,
    /// The slowest whole second of processing inside the emitting window.
    pub worst_second: usize,
    /// Emit to first processing, 99th percentile.
    pub p99_ms: Option<i64>,
    /// Events processed per webhook by the step's end: fewest and most.
    pub per_hook_by_end: (usize, usize),
}

impl Step {
    /// Carried: every event processed exactly once, the emitter kept pace, and the last event
    /// was processed at most [`MAX_LAG_MS`] after the step's end (no backlog built up).
    pub fn sustained(&self) -> bool {
        self.lost == 0
            && self.processed_twice == 0
            && self.processed == self.emitted
            && self.emit_secs <= (Duration::from_secs(self.seconds) + MAX_EMIT_OVERRUN).as_secs_f64()
            && self.lag_ms <= MAX_LAG_MS
    }

    /// One line for a probe, on stderr while searching.
    pub fn probe_line(&self) -> String {
        format!(
            "  {} /s for {} s: {}; emitted in {:.2} s, {} pending at the end, last processed {:+} ms after the end, p99 {} ms, lost {}, twice {}, failed attempts {:?}",
            thousands(self.rate as f64),
            self.seconds,
            if self.sustained() { "held" } else { "fell behind" },
            self.emit_secs,
            thousands(self.pending_at_end as f64),
            self.lag_ms,
            self.p99_ms.map_or("-".into(), |p| p.to_string()),
            self.lost,
            self.processed_twice,
            self.failures,
        )
    }

    fn counts(&self) -> String {
        format!(
            "lost {}, processed twice {}, redeliveries deduped {}, failed attempts {}, dead-lettered {}",
            self.lost, self.processed_twice, self.deduped, self.failed_attempts, self.dead_lettered
        )
    }
}

/// The search's outcome at one number of webhooks.
#[derive(Debug)]
pub struct Capacity {
    pub webhooks: usize,
    pub probes: Vec<Step>,
    /// The confirmation runs, the last of which held (if any did).
    pub confirmations: Vec<Step>,
}

impl Capacity {
    /// The confirmed rate: the last confirmation, if it held.
    pub fn held(&self) -> Option<&Step> {
        self.confirmations.last().filter(|s| s.sustained())
    }

    pub fn lines(&self, baseline: Option<&WrkResult>) -> Vec<String> {
        let what = if self.webhooks == 1 {
            "webhook capacity (1 webhook)".to_owned()
        } else {
            format!(
                "webhook capacity ({} webhooks on {} loopback addresses)",
                thousands(self.webhooks as f64),
                thousands(self.webhooks as f64)
            )
        };
        let probes: Vec<String> = self
            .probes
            .iter()
            .map(|p| format!("{}{}", thousands(p.rate as f64), if p.sustained() { "✓" } else { "✗" }))
            .collect();
        let mut lines = Vec::new();
        match self.held() {
            Some(s) => {
                let ratio = baseline.map(|b| s.rate as f64 / b.requests_per_sec);
                let fair = if self.webhooks > 1 {
                    format!(
                        "; per webhook by the end of the run: fewest {} / most {} of {} each",
                        thousands(s.per_hook_by_end.0 as f64),
                        thousands(s.per_hook_by_end.1 as f64),
                        thousands((s.emitted / self.webhooks) as f64)
                    )
                } else {
                    String::new()
                };
                lines.push(format!(
                    "{what}: {} events/s held for {} s ({} processed once, the last {:+} ms after the run's end, emit→processed p99 {} ms, slowest second {}; {}{fair}) / wrk baseline {} = {} (target ≥ {TARGET_RATIO}) {}",
                    thousands(s.rate as f64),
                    s.seconds,
                    thousands(s.processed as f64),
                    s.lag_ms,
                    s.p99_ms.map_or("-".into(), |p| p.to_string()),
                    thousands(s.worst_second as f64),
                    s.counts(),
                    baseline.map_or("not measured".into(), |b| format!("{} req/s", thousands(b.requests_per_sec))),
                    ratio.map_or("-".into(), |r| format!("{r:.2}")),
                    verdict(ratio.is_some_and(|r| r >= TARGET_RATIO)),
                ));
            }
            None => lines.push(format!(
                "{what}: no rate held for the full run (confirmations: {}) MISS",
                self.confirmations.iter().map(Step::probe_line).collect::<Vec<_>>().join("; ")
            )),
        }
        lines.push(format!(
            "  (probes of {} s: {}; confirmation tries: {}; falls behind = an event lost or processed twice, the emitter more than {} ms late, or the last event processed more than {MAX_LAG_MS} ms after the run's end)",
            self.probes.first().map_or(0, |p| p.seconds),
            probes.join(", "),
            self.confirmations
                .iter()
                .map(|c| format!("{} /s {}", thousands(c.rate as f64), if c.sustained() { "held" } else { "fell behind" }))
                .collect::<Vec<_>>()
                .join(", "),
            MAX_EMIT_OVERRUN.as_millis(),
        ));
        lines
    }
}

/// Runs one step on a fresh pipeline.
async fn fresh_step(webhooks: usize, rate: u64, seconds: u64) -> anyhow::Result<Step> {
    let pipeline = Pipeline::start(webhooks).await?;
    let step = pipeline.step(rate, seconds, None).await;
    pipeline.stop().await;
    let step = step?;
    eprintln!("{}", step.probe_line());
    Ok(step)
}

/// Rounds a rate to two significant figures (probe rates read better, and the bisection's last
/// digits are noise anyway).
fn round_rate(rate: u64) -> u64 {
    let magnitude = 10u64.pow((rate.max(1) as f64).log10().floor() as u32).max(10) / 10;
    (rate / magnitude).max(1) * magnitude
}

/// The search: doubling (or halving, if the first probe falls behind) until the outcome turns,
/// bisecting between the highest rate held and the lowest not, then the confirmation run.
pub async fn capacity(webhooks: usize, search: Search) -> anyhow::Result<Capacity> {
    let mut probes = Vec::new();
    let mut held: Option<u64> = None;
    let mut failed: Option<u64> = None;
    let mut rate = search.start;
    loop {
        let step = fresh_step(webhooks, rate, search.probe_secs).await?;
        let ok = step.sustained();
        probes.push(step);
        if ok {
            held = Some(rate);
            if failed.is_some() || rate >= 1_000_000 {
                break;
            }
            rate *= 2;
        } else {
            failed = Some(rate);
            if held.is_some() || rate <= 100 {
                break;
            }
            rate = round_rate(rate / 2);
        }
    }
    for _ in 0..search.bisections {
        let (Some(lo), Some(hi)) = (held, failed) else { break };
        let mid = round_rate((lo + hi) / 2);
        if mid <= lo || mid >= hi {
            break;
        }
        let step = fresh_step(webhooks, mid, search.probe_secs).await?;
        if step.sustained() {
            held = Some(mid);
        } else {
            failed = Some(mid);
        }
        probes.push(step);
    }
    let mut confirmations = Vec::new();
    if let Some(mut rate) = held {
        for _ in 0..search.confirm_tries.max(1) {
            let step = fresh_step(webhooks, rate, search.confirm_secs).await?;
            let ok = step.sustained();
            confirmations.push(step);
            if ok {
                break;
            }
            rate = round_rate(rate * 85 / 100);
        }
    }
    Ok(Capacity { webhooks, probes, confirmations })
}

/// The outage run: `rate` for `seconds`, the receiver refusing connections for `outage` from
/// the middle; every event must still be processed exactly once.
pub async fn outage(rate: u64, seconds: u64, outage: Duration) -> anyhow::Result<String> {
    let pipeline = Pipeline::start(1).await?;
    let step = pipeline.step(rate, seconds, Some(outage)).await;
    pipeline.stop().await;
    let s = step?;
    let once = s.lost == 0 && s.processed_twice == 0 && s.processed == s.emitted;
    Ok(format!(
        "webhook pipeline with a {} s outage (receiver refusing connections from {} s of a {} s run at {} /s): {} of {} events processed, the last at {:.1} s; {} (target: every event processed once) {}",
        outage.as_secs(),
        seconds / 2,
        seconds,
        thousands(rate as f64),
        thousands(s.processed as f64),
        thousands(s.emitted as f64),
        s.drain_secs,
        s.counts(),
        verdict(once)
    ))
}

/// Signed deliveries as the mock sends them: `n` events through a real pipeline, read back from
/// the receiver (headers as received, the body's exact bytes).
async fn sample_deliveries(n: usize) -> anyhow::Result<Vec<(Vec<(String, String)>, String)>> {
    let pipeline = Pipeline::start(1).await?;
    let step = pipeline.step(n as u64, 1, None).await;
    let sample = pipeline.receivers[0].state().with_deliveries(|ds| {
        ds.iter()
            .filter(|d| matches!(d.verification, Verification::Valid { .. }) && !d.duplicate)
            .map(|d| {
                // What the mock chose to send, not what hyper adds (wrk writes its own Host and
                // Content-Length).
                let headers = d
                    .headers
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "host" | "content-length"))
                    .cloned()
                    .collect();
                (headers, d.body.clone())
            })
            .collect::<Vec<_>>()
    });
    pipeline.stop().await;
    step?;
    anyhow::ensure!(sample.len() >= n / 2, "only {} deliveries arrived to sample", sample.len());
    Ok(sample)
}

/// A Lua long bracket that `text` cannot close early.
fn lua_string(text: &str) -> String {
    let mut level = 0;
    while text.contains(&format!("]{}]", "=".repeat(level))) {
        level += 1;
    }
    let eq = "=".repeat(level);
    format!("[{eq}[{text}]{eq}]")
}

/// A wrk script POSTing the sampled deliveries in turn, each with its own signature headers.
fn wrk_script(sample: &[(Vec<(String, String)>, String)]) -> String {
    let mut script = String::from("wrk.method = \"POST\"\nlocal requests = {}\nlocal n = 0\ninit = function(args)\n");
    for (headers, body) in sample {
        let headers: Vec<String> =
            // `[ [[k]] ]`, spaced: `[[[` would open a long string.
            headers.iter().map(|(k, v)| format!("[ {} ] = {}", lua_string(k), lua_string(v))).collect();
        script.push_str(&format!(
            "  requests[#requests + 1] = wrk.format(\"POST\", \"/webhook\", {{{}}}, {})\n",
            headers.join(", "),
            lua_string(body)
        ));
    }
    script.push_str("end\nrequest = function()\n  n = n + 1\n  return requests[(n % #requests) + 1]\nend\n");
    script
}

/// The baseline: a handler that reads the body and answers 200.
async fn baseline_server(listener: tokio::net::TcpListener) {
    async fn take(body: bytes::Bytes) -> axum::http::StatusCode {
        std::hint::black_box(body.len());
        axum::http::StatusCode::OK
    }
    let app = axum::Router::new().fallback(axum::routing::post(take));
    let _ = axum::serve(listener, app).await;
}

/// The baseline's figure: `sample` bodies POSTed by wrk (`load`) to the trivial handler.
pub fn baseline(rt: &tokio::runtime::Runtime, load: Load, scripts: &Path) -> anyhow::Result<(WrkResult, usize)> {
    anyhow::ensure!(crate::util::have("wrk", "--version"), "wrk is missing: run `sudo apt-get install -y wrk`");
    let sample = rt.block_on(sample_deliveries(300))?;
    let script = scripts.join("webhooks.lua");
    std::fs::write(&script, wrk_script(&sample))?;
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(baseline_server(listener));
        anyhow::Ok(addr)
    })?;
    let url = format!("http://{addr}/webhook");
    // One sample by hand first: a baseline answering otherwise than 200 measures nothing.
    let (headers, body) = &sample[0];
    let answer = rt.block_on(async {
        let mut request = reqwest::Client::new().post(&url).body(body.clone());
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let response = request.send().await?;
        anyhow::Ok((response.status(), response.text().await?))
    })?;
    anyhow::ensure!(
        answer.0.is_success(),
        "the baseline answered {} {} (headers sent: {headers:?})",
        answer.0,
        answer.1
    );
    run_wrk(load, &script, &url, 2)?;
    let result = run_wrk(load, &script, &url, load.seconds)?;
    anyhow::ensure!(result.non_2xx == 0, "the baseline answered non-2xx: {result}");
    Ok((result, sample.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_strings_cannot_be_closed_by_their_text() {
        assert_eq!(lua_string("a\"b"), "[[a\"b]]");
        assert_eq!(lua_string("x]]y"), "[=[x]]y]=]");
        assert_eq!(lua_string("x]]y]=]"), "[==[x]]y]=]]==]");
    }

    #[test]
    fn rates_round_to_two_figures() {
        assert_eq!(round_rate(15_000), 15_000);
        assert_eq!(round_rate(17_500), 17_000);
        assert_eq!(round_rate(2_500), 2_500);
        assert_eq!(round_rate(99), 99);
    }

    #[test]
    fn a_step_with_a_late_last_event_fell_behind() {
        let step = Step {
            rate: 1000,
            seconds: 5,
            emitted: 5000,
            emit_secs: 5.0,
            pending_at_end: 10,
            lag_ms: 20,
            drain_secs: 5.0,
            processed: 5000,
            processed_twice: 0,
            lost: 0,
            deduped: 0,
            failed_attempts: 0,
            failures: Default::default(),
            dead_lettered: 0,
            worst_second: 1000,
            p99_ms: Some(3),
            per_hook_by_end: (5000, 5000),
        };
        assert!(step.sustained());
        assert!(!Step { lag_ms: MAX_LAG_MS + 1, ..step.clone() }.sustained());
        assert!(!Step { lost: 1, processed: 4999, ..step.clone() }.sustained());
        assert!(!Step { processed_twice: 1, ..step.clone() }.sustained());
        assert!(!Step { emit_secs: 5.3, ..step }.sustained());
    }
}
