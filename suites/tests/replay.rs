//! The receiver self-checks (RPL-1) against in-memory receivers, sound and broken.
//!
//! No vendor fault can fail these checks (they judge the harness's own receiver), so the fault
//! table lists them as unfailable; here each one is shown to fail against a receiver with the bug
//! it exists to catch: no dedupe, no timestamp window, verifying parsed JSON instead of the raw
//! bytes, accepting unsigned deliveries.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use contract::{Scheme, Secret, SignatureFormat};
use serde_json::{Value, json};
use suites::{
    Action, Answer, ApiError, ApiErrorKind, Collection, Context, Delivery, Endpoints, Exchange, Fetch, Fetched, Inbox,
    Listed, Listing, PageVisitor, Probe, ReceiverAnswer, Status, Trigger, TriggerError, VendorApi, Verification,
    WalkEnd,
};

const SECRET: &str = "whsec_fake_receiver";
const ACCOUNT: &str = "a1b2c3d4-5678-90ab-cdef-1234567890ab";
const SITE: &str = "5e6693c0-091d-47a2-b90a-6c15531b3c50";
const DEVICES: [&str; 2] = ["11111111-2222-4333-8444-555555555555", "33333333-2222-4333-8444-555555555555"];

/// What a broken receiver gets wrong.
#[derive(Debug, Clone, Copy, Default)]
struct Bugs {
    /// Processes every verified delivery, seen or not.
    no_dedupe: bool,
    /// Accepts any timestamp.
    no_window: bool,
    /// Verifies the JSON re-serialised after parsing, so whitespace changes pass.
    verifies_parsed_json: bool,
    /// Accepts a delivery without a signature header.
    accepts_unsigned: bool,
}

/// A receiver in memory, with `bugs`.
#[derive(Debug)]
struct FakeInbox {
    format: SignatureFormat,
    bugs: Bugs,
    deliveries: Mutex<Vec<Delivery>>,
    raw: Mutex<Vec<Vec<u8>>>,
    seen: Mutex<HashSet<String>>,
}

impl FakeInbox {
    fn new(scheme: Scheme, bugs: Bugs) -> Arc<Self> {
        Arc::new(Self {
            format: SignatureFormat::canonical(scheme),
            bugs,
            deliveries: Mutex::default(),
            raw: Mutex::default(),
            seen: Mutex::default(),
        })
    }

    fn verify(&self, format: &SignatureFormat, headers: &[(String, String)], body: &[u8], now: i64) -> Verification {
        let header = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
        if self.bugs.accepts_unsigned && header(&format.header).is_none() {
            return Verification::Valid { timestamp: None };
        }
        let mut format = format.clone();
        if self.bugs.no_window {
            format.tolerance_secs = None;
        }
        let canonical;
        let body = if self.bugs.verifies_parsed_json {
            canonical = serde_json::from_slice::<Value>(body).map(|v| v.to_string().into_bytes()).unwrap_or_default();
            canonical.as_slice()
        } else {
            body
        };
        match format.verify(header, body, &[&Secret::new(SECRET)], now) {
            Ok(v) => Verification::Valid { timestamp: v.timestamp },
            Err(e) => Verification::Invalid { reason: e.to_string() },
        }
    }

    fn receive(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> u16 {
        let verification = self.verify(&self.format, &headers, &body, contract::unix_now());
        let event_id = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("event_id").and_then(Value::as_str).map(str::to_owned));
        let duplicate = match (&event_id, &verification) {
            (Some(id), Verification::Valid { .. }) if !self.bugs.no_dedupe => {
                !self.seen.lock().unwrap().insert(id.clone())
            }
            _ => false,
        };
        let answered = if matches!(verification, Verification::Valid { .. }) { 200 } else { 401 };
        let mut deliveries = self.deliveries.lock().unwrap();
        self.raw.lock().unwrap().push(body.clone());
        let seq = deliveries.len() as u64;
        deliveries.push(Delivery {
            seq,
            received_at_ms: contract::unix_now() * 1000,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            body_bytes: body.len(),
            verification,
            event: serde_json::from_slice(&body).ok(),
            event_id,
            path: "/webhook".into(),
            duplicate,
            answered: Some(answered),
        });
        answered
    }
}

#[async_trait]
impl Inbox for FakeInbox {
    fn public_url(&self) -> String {
        "http://receiver.invalid/webhook".into()
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Deliveries arrive while the trigger acts, so there is never anything to wait for.
    async fn wait_for(&self, done: &(dyn for<'d> Fn(&'d [Delivery]) -> bool + Send + Sync), _: Duration) -> bool {
        done(&self.deliveries())
    }

    fn answer_for(&self, _: ReceiverAnswer, _: Duration) {}

    fn fetches(&self) -> Vec<Fetch> {
        Vec::new()
    }

    fn add_secret(&self, _: Secret) {}

    async fn post_to_self(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<u16, String> {
        Ok(self.receive(headers, body))
    }

    fn verify_with(&self, delivery: &Delivery, format: &SignatureFormat, _: Option<&Secret>) -> Verification {
        let raw = self.raw.lock().unwrap()[delivery.seq as usize].clone();
        self.verify(format, &delivery.headers, &raw, delivery.received_at_ms / 1000)
    }
}

/// A vendor whose status changes are delivered, signed, at once.
#[derive(Debug)]
struct FakeVendor {
    inbox: Arc<FakeInbox>,
    sent: Mutex<u32>,
}

#[async_trait]
impl Trigger for FakeVendor {
    fn kind(&self) -> &'static str {
        "command"
    }

    async fn act(&self, action: &Action) -> Result<String, TriggerError> {
        let Action::DeviceStatus { device_id, status, .. } = action else {
            return Err(TriggerError::Unsupported { trigger: "command", action: "other families".into() });
        };
        let n = {
            let mut sent = self.sent.lock().unwrap();
            *sent += 1;
            *sent
        };
        let body = json!({"event_id": format!("00000000-0000-4000-8000-{n:012}"), "event_type": "health",
                          "device_id": device_id, "site_id": SITE, "account_id": ACCOUNT,
                          "timestamp": "2026-02-04T14:32:00.000Z", "data": {"status": status}})
        .to_string();
        let headers = self.inbox.format.sign(&Secret::new(SECRET), body.as_bytes(), contract::unix_now());
        self.inbox.receive(headers, body.into_bytes());
        Ok(format!("set device {device_id} {status}"))
    }
}

#[derive(Debug)]
struct FakeApi;

fn listing(records: Vec<Value>) -> Listing {
    let exchange =
        Exchange { method: "GET".into(), status: Some(200), reproduce: "curl".into(), ..Exchange::default() };
    Listing {
        records: records.into_iter().map(|r| Listed { raw: r.clone(), record: r, page: 0 }).collect(),
        exchanges: vec![exchange],
        notes: vec![],
    }
}

#[async_trait]
impl VendorApi for FakeApi {
    async fn account(&self) -> Result<Fetched, ApiError> {
        let record = json!({"account_id": ACCOUNT, "name": "Acme"});
        Ok(Fetched { raw: record.clone(), record, exchange: Exchange::default() })
    }

    async fn sites(&self) -> Result<Listing, ApiError> {
        Ok(listing(vec![json!({"site_id": SITE, "name": "HQ", "timezone": "UTC"})]))
    }

    async fn inventory(&self, _: &str) -> Result<Listing, ApiError> {
        let device =
            |id: &str| json!({"device_id": id, "name": "cam", "type": "camera", "site_id": SITE, "status": "online"});
        Ok(listing(DEVICES.iter().map(|id| device(id)).collect()))
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints::canonical()
    }

    /// No event catalogue: every camera publishes.
    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        let exchange = Exchange { method: probe.method, url: probe.path, status: Some(404), ..Exchange::default() };
        Ok(Answer { status: 404, json: None, text: String::new(), exchange })
    }

    async fn walk(&self, _: &Collection, _: Option<u64>, _: &mut PageVisitor<'_>) -> Result<WalkEnd, ApiError> {
        Err(ApiError::new(ApiErrorKind::Config, "the fake serves no walk", vec![]))
    }
}

/// A context whose receiver is `inbox`, with a fake vendor delivering to it signed per `scheme`.
fn context(inbox: &Arc<FakeInbox>, scheme: Scheme) -> Context {
    let vendor = Arc::new(FakeVendor { inbox: inbox.clone(), sent: Mutex::new(0) });
    Context::new(Arc::new(FakeApi))
        .with_inbox(inbox.clone())
        .with_trigger(vendor)
        .with_signature(SignatureFormat::canonical(scheme))
}

/// The three self-checks against a receiver with `bugs`, after one genuine delivery.
async fn self_checks(scheme: Scheme, bugs: Bugs) -> Vec<(&'static str, Status, String)> {
    let inbox = FakeInbox::new(scheme, bugs);
    let cx = context(&inbox, scheme);
    let mut outcomes = Vec::new();
    for id in ["replay.receiver-dedupes", "replay.receiver-window", "replay.receiver-raw-bytes"] {
        let outcome = (suites::find(id).expect("a catalogued check").run)(&cx).await;
        if outcome.status == Status::Fail {
            assert!(!outcome.evidence.exchanges.is_empty(), "{id}: a FAIL carries the accepted replay: {outcome:#?}");
        }
        outcomes.push((id, outcome.status, outcome.message));
    }
    outcomes
}

fn statuses(outcomes: &[(&'static str, Status, String)]) -> Vec<(&'static str, Status)> {
    outcomes.iter().map(|(id, status, _)| (*id, *status)).collect()
}

#[tokio::test]
async fn a_sound_receiver_passes_every_self_check_under_both_schemes() {
    for scheme in [Scheme::Timestamped, Scheme::Body] {
        let outcomes = self_checks(scheme, Bugs::default()).await;
        assert!(outcomes.iter().all(|(_, status, _)| *status == Status::Pass), "{scheme}: {outcomes:#?}");
    }
}

#[tokio::test]
async fn a_receiver_without_dedupe_processes_a_replay_again() {
    // With the `body` scheme even the fresh-timestamp replay verifies: dedupe is the only defence.
    let outcomes = self_checks(Scheme::Body, Bugs { no_dedupe: true, ..Bugs::default() }).await;
    assert_eq!(statuses(&outcomes)[0], ("replay.receiver-dedupes", Status::Fail));
    assert!(outcomes[0].2.contains("was processed 13 times"), "{}", outcomes[0].2);
}

#[tokio::test]
async fn a_receiver_without_a_window_accepts_a_stale_replay_of_an_unbound_timestamp() {
    let outcomes = self_checks(Scheme::Body, Bugs { no_window: true, ..Bugs::default() }).await;
    assert_eq!(statuses(&outcomes)[1], ("replay.receiver-window", Status::Fail));
    // With the timestamp signed, moving it breaks the signature: the window is not the only guard.
    let bound = self_checks(Scheme::Timestamped, Bugs { no_window: true, ..Bugs::default() }).await;
    assert_eq!(statuses(&bound)[1], ("replay.receiver-window", Status::Pass));
}

#[tokio::test]
async fn a_receiver_that_verifies_parsed_json_or_no_signature_fails_the_raw_bytes_check() {
    for bugs in
        [Bugs { verifies_parsed_json: true, ..Bugs::default() }, Bugs { accepts_unsigned: true, ..Bugs::default() }]
    {
        let outcomes = self_checks(Scheme::Timestamped, bugs).await;
        assert_eq!(statuses(&outcomes)[2], ("replay.receiver-raw-bytes", Status::Fail), "{bugs:?}");
    }
}

/// `replay.signature` and `replay.timestamp` over a run that got `earlier` (headers, body) first.
async fn signature_checks(scheme: Scheme, earlier: Vec<(Vec<(String, String)>, Value)>) -> Vec<(Status, String)> {
    let inbox = FakeInbox::new(scheme, Bugs::default());
    for (headers, body) in earlier {
        inbox.receive(headers, body.to_string().into_bytes());
    }
    let cx = context(&inbox, scheme);
    let mut outcomes = Vec::new();
    for id in ["replay.signature", "replay.timestamp"] {
        let outcome = (suites::find(id).expect("a catalogued check").run)(&cx).await;
        outcomes.push((outcome.status, outcome.message));
    }
    outcomes
}

fn ping() -> Value {
    json!({"event_id": "00000000-0000-4000-8000-00000000beef", "event_type": "ping", "account_id": ACCOUNT,
           "timestamp": "2026-02-04T14:32:00.000Z", "data": {}})
}

#[tokio::test]
async fn every_delivery_of_the_run_is_judged_for_sig_1_an_unsigned_ping_included() {
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let signed = format.sign(&Secret::new(SECRET), ping().to_string().as_bytes(), contract::unix_now());
    let outcomes = signature_checks(Scheme::Timestamped, vec![(signed.clone(), ping())]).await;
    assert_eq!(outcomes[0].0, Status::Pass, "{outcomes:#?}");
    // The same ping without its signature header: a delivery like any other (WHM-4, SIG-1).
    let unsigned: Vec<(String, String)> = signed.into_iter().filter(|(k, _)| k != "X-Webhook-Signature").collect();
    let outcomes = signature_checks(Scheme::Timestamped, vec![(unsigned, ping())]).await;
    assert_eq!(outcomes[0].0, Status::Fail, "{outcomes:#?}");
    assert!(outcomes[0].1.starts_with("SIG-1: every delivery carries"), "{}", outcomes[0].1);
    assert!(outcomes[0].1.contains("(ping at /webhook)"), "{}", outcomes[0].1);
    assert_eq!(outcomes[1].0, Status::Pass, "the timestamp is there: {outcomes:#?}");
}

#[tokio::test]
async fn under_the_body_scheme_a_missing_timestamp_breaks_sig_2_alone() {
    let format = SignatureFormat::canonical(Scheme::Body);
    let signed = format.sign(&Secret::new(SECRET), ping().to_string().as_bytes(), contract::unix_now());
    let no_timestamp: Vec<(String, String)> = signed.into_iter().filter(|(k, _)| k != "X-Webhook-Timestamp").collect();
    let outcomes = signature_checks(Scheme::Body, vec![(no_timestamp, ping())]).await;
    assert_eq!(outcomes[0].0, Status::Pass, "the body alone is signed, so SIG-1 holds: {outcomes:#?}");
    assert_eq!(outcomes[1].0, Status::Fail, "{outcomes:#?}");
    assert!(outcomes[1].1.starts_with("SIG-2: every delivery carries `X-Webhook-Timestamp`"), "{}", outcomes[1].1);
}

/// A delivery to a webhook the run deleted is WHM-2's business (the webhooks suite judges that
/// deliveries stop; the vendor may rightly have dropped the secret), not SIG-1's; one that
/// reached the same path before the delete is judged like any other.
#[tokio::test]
async fn deliveries_after_a_webhook_was_deleted_are_left_to_whm_2() {
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let signed = format.sign(&Secret::new(SECRET), ping().to_string().as_bytes(), contract::unix_now());
    let unsigned: Vec<(String, String)> = signed.iter().filter(|(k, _)| k != "X-Webhook-Signature").cloned().collect();
    let judge = |after_delete: bool| {
        let (signed, unsigned) = (signed.clone(), unsigned.clone());
        async move {
            let inbox = FakeInbox::new(Scheme::Timestamped, Bugs::default());
            inbox.receive(signed, ping().to_string().into_bytes());
            inbox.receive(unsigned, ping().to_string().into_bytes());
            let cx = context(&inbox, Scheme::Timestamped);
            suites::act::retire_path(&cx, "/whm-delete-0123456789");
            {
                let mut deliveries = inbox.deliveries.lock().unwrap();
                let last = deliveries.last_mut().unwrap();
                last.path = "/webhook/whm-delete-0123456789".into();
                last.received_at_ms = if after_delete { i64::MAX } else { 0 };
            }
            let outcome = (suites::find("replay.signature").unwrap().run)(&cx).await;
            (outcome.status, outcome.message)
        }
    };
    let (status, message) = judge(true).await;
    assert_eq!(status, Status::Pass, "{message}");
    let (status, message) = judge(false).await;
    assert_eq!(status, Status::Fail, "{message}");
    assert!(message.contains("whm-delete-0123456789"), "{message}");
}
