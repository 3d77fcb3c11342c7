//! Unit tests of the attempts plumbing: envelopes told apart, evidence without secrets, pings
//! through the trigger.

use std::time::Duration;

use contract::{Secret, SignatureFormat};

use super::scoped::path_of;
use super::*;
use crate::context::{Action, Context, Delivery, Inbox, ReceiverAnswer, TriggerError, VendorApi, Verification};
use crate::outcome::{Exchange, Status};

fn delivery(seq: u64, at: i64, body: &str) -> Delivery {
    Delivery {
        seq,
        received_at_ms: at,
        headers: vec![
            ("x-webhook-signature".into(), "sha256=ab".into()),
            ("x-webhook-timestamp".into(), "1770000000".into()),
            ("authorization".into(), "Basic c2VjcmV0".into()),
        ],
        body: body.into(),
        body_bytes: body.len(),
        verification: Verification::Valid { timestamp: Some(1_770_000_000) },
        event: serde_json::from_str(body).ok(),
        event_id: None,
        path: "/webhook".into(),
        duplicate: false,
        answered: Some(200),
    }
}

#[test]
fn target_paths() {
    assert_eq!(path_of("http://127.0.0.1:9/webhook/gone?x=1"), "/webhook/gone");
    assert_eq!(path_of("https://h.example"), "/");
}

#[test]
fn events_are_told_apart_by_their_envelope() {
    let health = delivery(0, 0, r#"{"event_type":"health","device_id":"d-1","event_id":"x"}"#);
    let mut ping = delivery(1, 0, r#"{"event_type":"ping","event_id":"p-1"}"#);
    ping.event_id = Some("p-1".into());
    let of = EventOf::Health { device_id: "d-1".into(), retired: vec!["/old".into()] };
    assert!(of.matches(&health) && !of.matches(&ping));
    assert!(!EventOf::Health { device_id: "d-2".into(), retired: vec![] }.matches(&health));
    assert!(!of.matches(&Delivery { path: "/old/x".into(), ..health.clone() }));
    let any_ping = EventOf::Ping { event_id: None };
    assert!(any_ping.matches(&ping) && !any_ping.matches(&health));
    assert!(EventOf::Ping { event_id: Some("p-1".into()) }.matches(&ping));
    assert!(!EventOf::Ping { event_id: Some("p-2".into()) }.matches(&ping));
}

#[test]
fn a_delivery_as_evidence_hides_credentials_and_reproduces_without_a_secret() {
    let d = delivery(3, 1_770_000_000_250, r#"{"event_id":"it's"}"#);
    let mut cx = Context::new(std::sync::Arc::new(NoApi));
    cx.signature = Some(SignatureFormat::canonical(contract::Scheme::Timestamped));
    let e = delivery_exchange(&cx, &d);
    assert_eq!(e.request_headers[2].1, "[redacted]");
    assert_eq!(e.status, Some(200));
    assert!(e.notes[0].contains("delivery #3") && e.notes[0].contains("2026-02-02T02:40:00.250Z"));
    assert_eq!(
        e.reproduce,
        "printf '%s' '{\"event_id\":\"it'\\''s\"}' > delivery-3.json && WEBHOOK_SECRET=<the webhook's secret> \
         harness verify --body delivery-3.json --secret-env WEBHOOK_SECRET --scheme timestamped \
         --signature 'sha256=ab' --timestamp '1770000000' --ignore-window"
    );
    let mut unsigned = d.clone();
    unsigned.headers.remove(0);
    assert!(delivery_exchange(&cx, &unsigned).reproduce.contains("no `X-Webhook-Signature` header"));
}

#[test]
fn secrets_are_redacted_and_durations_read_well() {
    let mut e = Exchange { body_excerpt: Some(r#"{"secret":"whsec_abc"}"#.into()), ..Exchange::default() };
    redact(&mut e, &Secret::new("whsec_abc"));
    assert_eq!(e.body_excerpt.as_deref(), Some(r#"{"secret":"[redacted]"}"#));
    assert_eq!(
        (ms(52), ms(1550), secs(Duration::from_millis(1500))),
        ("52 ms".into(), "1.55 s".into(), "1.5 s".into())
    );
    let attempts = [delivery(0, 100, "{}"), delivery(1, 150, "{}"), delivery(2, 1700, "{}")];
    assert_eq!(gaps_ms(&attempts), [50, 1550]);
}

/// A trigger that records what it was asked and can only ping.
#[derive(Debug, Default)]
struct PingOnly(std::sync::Mutex<Vec<Action>>);

#[async_trait::async_trait]
impl crate::Trigger for PingOnly {
    fn kind(&self) -> &'static str {
        "command"
    }
    async fn act(&self, action: &Action) -> Result<String, TriggerError> {
        self.0.lock().unwrap().push(action.clone());
        match action {
            Action::Ping { webhook_id } => Ok(format!("ran `vendor-cli ping {webhook_id}`")),
            _ => Err(TriggerError::Unsupported { trigger: "command", action: "set a status".into() }),
        }
    }
}

/// An inbox that has received nothing.
#[derive(Debug)]
struct Empty;

#[async_trait::async_trait]
impl Inbox for Empty {
    fn public_url(&self) -> String {
        "http://127.0.0.1:9/webhook".into()
    }
    fn deliveries(&self) -> Vec<Delivery> {
        Vec::new()
    }
    async fn wait_for(&self, _: &(dyn for<'d> Fn(&'d [Delivery]) -> bool + Send + Sync), _: Duration) -> bool {
        false
    }
    fn answer_for(&self, _: ReceiverAnswer, _: Duration) {}
    fn fetches(&self) -> Vec<crate::context::Fetch> {
        Vec::new()
    }
    fn add_secret(&self, _: Secret) {}
    async fn post_to_self(&self, _: Vec<(String, String)>, _: Vec<u8>) -> Result<u16, String> {
        Ok(200)
    }
}

fn console_webhook() -> crate::WebhookSetup {
    crate::WebhookSetup::External(Box::new(crate::RegisteredWebhook {
        webhook_id: "wh-console".into(),
        target_url: "http://127.0.0.1:9/webhook".into(),
        exchange: Exchange::default(),
        secret: None,
    }))
}

#[tokio::test]
async fn with_no_ping_api_the_trigger_pings_the_webhook() {
    let trigger = std::sync::Arc::new(PingOnly::default());
    // NoApi panics on any request: the ping API is never called.
    let cx = Context::new(std::sync::Arc::new(NoApi))
        .with_inbox(std::sync::Arc::new(Empty))
        .with_trigger(trigger.clone())
        .with_webhook(console_webhook());
    let produced = ping(&cx, None).await.unwrap();
    assert_eq!(*trigger.0.lock().unwrap(), [Action::Ping { webhook_id: "wh-console".into() }]);
    assert_eq!(produced.of, EventOf::Ping { event_id: None });
    assert!(produced.done.contains("vendor-cli ping wh-console"), "{}", produced.done);
}

#[tokio::test]
async fn a_trigger_that_cannot_ping_says_so_with_the_missing_api() {
    #[derive(Debug)]
    struct Passive;
    #[async_trait::async_trait]
    impl crate::Trigger for Passive {
        fn kind(&self) -> &'static str {
            "passive"
        }
        async fn act(&self, _: &Action) -> Result<String, TriggerError> {
            Err(TriggerError::Unsupported { trigger: "passive", action: "ping".into() })
        }
    }
    let cx = Context::new(std::sync::Arc::new(NoApi))
        .with_inbox(std::sync::Arc::new(Empty))
        .with_trigger(std::sync::Arc::new(Passive))
        .with_webhook(console_webhook());
    let skipped = ping(&cx, None).await.unwrap_err();
    assert_eq!(skipped.status, Status::Skip);
    assert!(skipped.message.contains("`ping` extension") && skipped.message.contains("`passive` trigger cannot ping"));
}

#[derive(Debug)]
struct NoApi;

#[async_trait::async_trait]
impl VendorApi for NoApi {
    async fn account(&self) -> Result<crate::Fetched, crate::ApiError> {
        unreachable!("not used")
    }
    async fn sites(&self) -> Result<crate::Listing, crate::ApiError> {
        unreachable!("not used")
    }
    async fn inventory(&self, _: &str) -> Result<crate::Listing, crate::ApiError> {
        unreachable!("not used")
    }
    // The context reads them once when it is built.
    fn endpoints(&self) -> crate::Endpoints {
        crate::Endpoints::canonical()
    }
    async fn probe(&self, _: crate::Probe) -> Result<crate::Answer, crate::ApiError> {
        unreachable!("not used")
    }
    async fn walk(
        &self,
        _: &crate::Collection,
        _: Option<u64>,
        _: &mut crate::PageVisitor<'_>,
    ) -> Result<crate::WalkEnd, crate::ApiError> {
        unreachable!("not used")
    }
}
