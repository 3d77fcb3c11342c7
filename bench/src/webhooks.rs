//! §2 Webhook pipeline: the mock's delivery engine signing events into the harness's receiver,
//! which verifies and dedupes them, in one process. Counts distinct events processed, events
//! processed twice and events lost (emitted but never processed); optionally with the receiver
//! refusing connections for a while in the middle of the run.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use contract::{AlarmData, ConditionState, EventData, Scheme, Secret, SignatureFormat, TokenMinter};
use harness::receiver::{Receiver, ReceiverInbox};
use mock_vendor::config::parse_schedule;
use mock_vendor::state::DeliveryState;
use mock_vendor::{FleetSpec, MockConfig};
use suites::{Inbox, ReceiverAnswer, Verification};

use crate::util::{thousands, verdict};

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub rate: u64,
    pub seconds: u64,
    /// Refuse connections for this long, starting halfway through.
    pub outage: Option<Duration>,
}

#[derive(Debug)]
pub struct PipelineResult {
    pub plan: Plan,
    pub emitted: usize,
    pub emit_secs: f64,
    /// From the first emit until the last event was first processed.
    pub drain_secs: f64,
    pub processed: usize,
    pub processed_twice: usize,
    pub lost: usize,
    /// Redeliveries the receiver recognised by `event_id` and did not process again.
    pub deduped: usize,
    /// Attempts answered otherwise than 2xx, or refused.
    pub failed_attempts: usize,
    pub dead_lettered: usize,
    /// The slowest whole second of processing inside the emitting window.
    pub worst_second: usize,
}

impl PipelineResult {
    pub fn rate(&self) -> f64 {
        self.processed as f64 / self.drain_secs
    }

    pub fn line(&self) -> String {
        let counts = format!(
            "lost {}, processed twice {}, redeliveries deduped {}, failed attempts {}, dead-lettered {}",
            self.lost, self.processed_twice, self.deduped, self.failed_attempts, self.dead_lettered
        );
        let once = self.lost == 0 && self.processed_twice == 0 && self.processed == self.emitted;
        match self.plan.outage {
            None => {
                let ok = once && self.rate() >= self.plan.rate as f64 * 0.99;
                format!(
                    "webhook pipeline ({} s): {} deliveries/s processed ({} emitted in {:.1} s, all processed by {:.1} s; slowest second {}) / offered {} /s = {:.2}; {counts} (target ≥ {} /s, 0 lost, 0 twice) {}",
                    self.plan.seconds,
                    thousands(self.rate()),
                    thousands(self.emitted as f64),
                    self.emit_secs,
                    self.drain_secs,
                    thousands(self.worst_second as f64),
                    thousands(self.plan.rate as f64),
                    self.rate() / self.plan.rate as f64,
                    thousands(self.plan.rate as f64),
                    verdict(ok)
                )
            }
            Some(outage) => format!(
                "webhook pipeline with a {} s outage (receiver refusing connections from {} s of a {} s run at {} /s): {} of {} events processed, the last at {:.1} s; {counts} (target: every event processed once) {}",
                outage.as_secs(),
                self.plan.seconds / 2,
                self.plan.seconds,
                thousands(self.plan.rate as f64),
                thousands(self.processed as f64),
                thousands(self.emitted as f64),
                self.drain_secs,
                verdict(once)
            ),
        }
    }
}

pub async fn run(plan: Plan) -> anyhow::Result<PipelineResult> {
    let state_dir = tempfile::tempdir()?;
    // Retries that outlast an outage of several seconds, and an attempt timeout long enough that
    // a loaded receiver is not mistaken for a dead one.
    let config = MockConfig {
        fleet: FleetSpec::Demo,
        retry_schedule: parse_schedule("250ms,500ms,1s,2s,3s,5s,8s,13s").expect("the schedule parses"),
        allow_private_targets: true,
        max_concurrent_deliveries: std::env::var("BENCH_MAX_DELIVERIES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        ..MockConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mock = mock_vendor::start(config, listener, state_dir.path()).await?;
    let receiver =
        Receiver::bind("127.0.0.1:0".parse()?, SignatureFormat::canonical(Scheme::Body), Vec::new(), 64 * 1024).await?;
    let inbox = ReceiverInbox(receiver.state());

    let account = &mock.credentials.accounts[0];
    let pem = Secret::new(std::fs::read_to_string(&account.private_key_path)?);
    let token = TokenMinter::from_pem(&pem, Some(account.kid.clone()))?.mint(contract::unix_now());
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/webhooks", mock.base_url))
        .bearer_auth(token.expose())
        .json(&serde_json::json!({"name": "bench", "target_url": format!("http://{}/webhook", receiver.local_addr())}))
        .send()
        .await?
        .error_for_status()
        .context("failed to register the bench's webhook")?
        .json()
        .await?;
    let secret = created["secret"].as_str().context("the created webhook has a secret")?;
    receiver.state().set_secrets(vec![Secret::new(secret)]);

    let devices: Vec<u32> = {
        let fleet = mock.state.fleet.read().expect("fleet lock");
        let first = fleet.accounts[0].sites.iter().flat_map(|&s| fleet.sites[s as usize].devices.iter().copied());
        first.filter(|&d| fleet.devices[d as usize].kind.publishes_events()).collect()
    };
    let data = EventData::Alarm(AlarmData {
        condition: "intrusion".into(),
        state: ConditionState::Active,
        severity: None,
        zone: Some("Zone 1".into()),
    });

    // Offer `rate` events a second, paced every 10 ms against the clock so the average holds.
    let total = (plan.rate * plan.seconds) as usize;
    let mut emitted: Vec<String> = Vec::with_capacity(total);
    let started = Instant::now();
    let outage_at = plan.outage.map(|_| Duration::from_secs(plan.seconds) / 2);
    let mut outage_started = false;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while emitted.len() < total {
        tick.tick().await;
        let elapsed = started.elapsed();
        if let (Some(at), Some(window), false) = (outage_at, plan.outage, outage_started)
            && elapsed >= at
        {
            inbox.answer_for(ReceiverAnswer::Refuse, window);
            outage_started = true;
        }
        let due = ((elapsed.as_secs_f64() * plan.rate as f64) as usize).min(total);
        while emitted.len() < due {
            let device = devices[emitted.len() % devices.len()];
            let id =
                mock_vendor::events::emit(&mock.state, 0, Some(device), &data, None).context("the event has an id")?;
            emitted.push(id);
        }
    }
    let emit_secs = started.elapsed().as_secs_f64();

    // Done when no delivery is pending, bounded by the retry schedule's horizon.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pending = {
            let deliveries = mock.state.deliveries.lock().expect("deliveries lock");
            deliveries.iter().filter(|d| d.state == DeliveryState::Pending).count()
        };
        if pending == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (dead_lettered, failed_attempts) = {
        let deliveries = mock.state.deliveries.lock().expect("deliveries lock");
        let dead = deliveries.iter().filter(|d| d.state == DeliveryState::DeadLettered).count();
        let failed = deliveries
            .iter()
            .flat_map(|d| &d.attempts)
            .filter(|a| !a.status.is_some_and(|s| (200..300).contains(&s)))
            .count();
        (dead, failed)
    };

    let received = inbox.deliveries();
    let start_ms = received.first().map(|d| d.received_at_ms).unwrap_or_default();
    let mut processed_by_id: HashMap<&str, usize> = HashMap::with_capacity(total);
    let mut deduped = 0;
    let mut last_ms = start_ms;
    let mut per_second: Vec<usize> = Vec::new();
    for d in &received {
        let Some(id) = d.event_id.as_deref() else { continue };
        let valid = matches!(d.verification, Verification::Valid { .. });
        let answered_ok = d.answered.is_some_and(|s| (200..300).contains(&s));
        if !(valid && answered_ok) {
            continue;
        }
        if d.duplicate {
            deduped += 1;
            continue;
        }
        *processed_by_id.entry(id).or_default() += 1;
        last_ms = last_ms.max(d.received_at_ms);
        let second = ((d.received_at_ms - start_ms) / 1000) as usize;
        if per_second.len() <= second {
            per_second.resize(second + 1, 0);
        }
        per_second[second] += 1;
    }
    let processed = processed_by_id.len();
    let processed_twice = processed_by_id.values().filter(|&&n| n > 1).count();
    let lost = emitted.iter().filter(|id| !processed_by_id.contains_key(id.as_str())).count();
    // Whole seconds inside the emitting window, outside any outage.
    let whole = (plan.seconds as usize).saturating_sub(1);
    let worst_second = per_second
        .iter()
        .enumerate()
        .take(whole)
        .skip(1)
        .filter(|(s, _)| match (outage_at, plan.outage) {
            (Some(at), Some(w)) => (*s as u64) + 1 < at.as_secs() || (*s as u64) > (at + w).as_secs() + 1,
            _ => true,
        })
        .map(|(_, n)| *n)
        .min()
        .unwrap_or_default();
    let drain_secs = (last_ms - start_ms) as f64 / 1000.0 + 0.001;

    receiver.shutdown().await;
    mock.stop().await;
    Ok(PipelineResult {
        plan,
        emitted: emitted.len(),
        emit_secs,
        drain_secs,
        processed,
        processed_twice,
        lost,
        deduped,
        failed_attempts,
        dead_lettered,
        worst_second,
    })
}
