//! One event made to happen and every delivery attempt of it: what the replay and delivery
//! suites watch. Events come from the trigger (a device's status flips) or, when the trigger
//! cannot act, from a ping (the ping extension, WHM-4, or for a vendor without that API the
//! trigger's own ping command; CONTRACT.md §12); the receiver's answer is switched
//! around them, throw-away webhooks are registered and always deleted, and deliveries become
//! evidence that holds no secret.

use std::time::Duration;

use contract::{Secret, SignatureFormat};
use serde_json::Value;

use crate::act::{self, Target};
use crate::context::{Action, Context, Delivery, Inbox, ReceiverAnswer, TriggerError, VendorApi, Verification};
use crate::outcome::{Exchange, Outcome, Status};
use crate::webhook_api::{Creation, create_webhook};

/// Which deliveries belong to one produced event (every attempt of it, retries included).
/// Matched on the envelope, not on `event_id`: a vendor that changes the id on a retry
/// (DLV-2) must still have its retries recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOf {
    /// The health event of one device's status change, to any webhook but those the run had
    /// deleted when the event was made (`retired`: their deliveries are WHM-2's business).
    Health { device_id: String, retired: Vec<String> },
    /// A ping (WHM-4), by the `event_id` the ping answer named (any ping when it named none:
    /// pings carry no device to tell them apart by). A retry that changes its id is then not
    /// recognised as this ping's: a limit of events made by pinging.
    Ping { event_id: Option<String> },
}

impl EventOf {
    pub fn matches(&self, delivery: &Delivery) -> bool {
        match self {
            Self::Health { device_id, retired } => {
                act::is_event(delivery, "health", device_id)
                    && !retired.iter().any(|p| delivery.path.contains(p.as_str()))
            }
            Self::Ping { event_id } => act::body_json(delivery).is_some_and(|b| {
                b.get("event_type").and_then(Value::as_str) == Some("ping")
                    && event_id.as_ref().is_none_or(|id| delivery.event_id.as_ref() == Some(id))
            }),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Health { device_id, .. } => format!("the health event of device {device_id}"),
            Self::Ping { event_id: Some(id) } => format!("the ping {id}"),
            Self::Ping { event_id: None } => "the ping".into(),
        }
    }
}

/// An event the check made happen.
#[derive(Debug, Clone)]
pub struct Produced {
    /// What was done, for evidence (the trigger's one-line description, or the ping).
    pub done: String,
    /// How many deliveries the receiver had before: the event's attempts come after.
    pub since: usize,
    pub of: EventOf,
    /// The device that changed, with the status it was set to (`None` for a ping).
    pub device: Option<Target>,
}

impl Produced {
    /// Every attempt of the event so far, in arrival order.
    pub fn attempts(&self, inbox: &dyn Inbox) -> Vec<Delivery> {
        act::arrived_since(inbox, self.since, |d| self.of.matches(d))
    }

    /// Waits up to `within` until at least `n` attempts arrived; returns the attempts so far.
    pub async fn wait_attempts(&self, inbox: &dyn Inbox, n: usize, within: Duration) -> Vec<Delivery> {
        let (of, since) = (&self.of, self.since);
        let enough = move |all: &[Delivery]| all.iter().skip(since).filter(|d| of.matches(d)).count() >= n;
        inbox.wait_for(&enough, within).await;
        self.attempts(inbox)
    }

    /// The first attempt, waiting up to `within`.
    pub async fn first(&self, inbox: &dyn Inbox, within: Duration) -> Option<Delivery> {
        self.wait_attempts(inbox, 1, within).await.into_iter().next()
    }

    /// The outcome of a check whose event never arrived: whether events are published at all is
    /// the events suite's judgement (EVT-1), so here it is a missing precondition.
    pub fn never_arrived(&self, within: Duration) -> Outcome {
        Outcome::skip(format!(
            "no delivery of {} arrived within {} after the vendor was made to act ({}); whether events \
             are published is judged by the events checks",
            self.of.describe(),
            secs(within),
            self.done
        ))
    }
}

/// [`produce`], then its first attempt within `event_wait`; no attempt is a missing precondition
/// ([`Produced::never_arrived`]).
pub async fn produce_first(cx: &Context, inbox: &dyn Inbox) -> Result<(Produced, Delivery), Outcome> {
    let produced = produce(cx).await?;
    cx.waiting(&format!("the first attempt of {}", produced.of.describe()), cx.budgets.event_wait);
    match produced.first(inbox, cx.budgets.event_wait).await {
        Some(first) => Ok((produced, first)),
        None => Err(produced.never_arrived(cx.budgets.event_wait)),
    }
}

/// Makes one event happen: a publishing device's status flips through the trigger or, when the
/// trigger cannot act, the run's webhook is pinged.
pub async fn produce(cx: &Context) -> Result<Produced, Outcome> {
    produce_with(cx, None, None).await
}

/// As [`produce`], flipping `device` when given (else the next publishing device), and pinging
/// `ping_webhook` (else the run's webhook) when the trigger cannot act.
pub async fn produce_with(
    cx: &Context,
    device: Option<&Target>,
    ping_webhook: Option<&str>,
) -> Result<Produced, Outcome> {
    let flipped = match device {
        Some(target) => flip(cx, target).await,
        None => match act::claim_publishing_device(cx).await {
            Ok(target) => flip(cx, &target).await,
            Err(outcome) => Err(outcome),
        },
    };
    match flipped {
        Err(skipped) if skipped.status == Status::Skip => ping(cx, ping_webhook).await.map_err(|ping| {
            if ping.status == Status::Skip {
                Outcome::skip(format!("no way to make the vendor deliver: {}; and {}", skipped.message, ping.message))
            } else {
                ping
            }
        }),
        other => other,
    }
}

/// Flips `target`'s status through the trigger.
async fn flip(cx: &Context, target: &Target) -> Result<Produced, Outcome> {
    let inbox = act::require_inbox(cx)?;
    let since = inbox.deliveries().len();
    let (done, status) = act::flip_status(cx, target).await?;
    Ok(Produced {
        done,
        since,
        of: EventOf::Health { device_id: target.device_id.clone(), retired: act::retired_paths(cx) },
        device: Some(Target { status, ..target.clone() }),
    })
}

/// Pings `webhook` (else the run's webhook, when its id is known) through the ping extension
/// (WHM-4), as the profile asks for a test delivery; for a vendor that neither declares nor
/// offers that API, through the trigger's ping (a console button, a CLI: [`Action::Ping`]) when
/// it has one.
pub async fn ping(cx: &Context, webhook: Option<&str>) -> Result<Produced, Outcome> {
    let inbox = act::require_inbox(cx)?;
    let api = cx.declared.capabilities.contains("ping");
    let no_api = "the vendor neither declares nor offers the `ping` extension (WHM-4)";
    let run = cx.webhook.known();
    let Some(webhook_id) = webhook.or(run.map(|w| w.webhook_id.as_str())) else {
        let none = "the run has no webhook it could ping (`webhook.secret` is not `management-api` and `webhook.webhook_id` is not set)";
        return Err(Outcome::skip(if api { none.to_owned() } else { format!("{no_api}, and {none}") }));
    };
    if !api {
        return trigger_ping(cx, inbox, webhook_id, no_api).await;
    }
    // What a ping request may name besides the id: the target and the secret (a URL test).
    let (target_url, secret) = match run.filter(|w| w.webhook_id == webhook_id) {
        Some(w) => (w.target_url.clone(), w.secret.clone()),
        None => {
            temp_webhooks(cx).await.lock().expect("temp webhooks lock").get(webhook_id).cloned().unwrap_or_default()
        }
    };
    let since = inbox.deliveries().len();
    let shape = cx.api.webhook_api();
    let mut answer = match cx.api.probe(shape.ping_probe(webhook_id, &target_url, secret.as_ref())).await {
        Ok(answer) => answer,
        Err(e) if e.kind.blame() == crate::Blame::Harness => return Err(e.to_outcome("pinging the webhook")),
        Err(e) => return Err(Outcome::skip(format!("pinging the webhook failed ({e}); see the webhooks checks"))),
    };
    if let Some(secret) = &secret {
        redact(&mut answer.exchange, secret);
    }
    if !answer.is_success() {
        return Err(Outcome::skip(format!("pinging the webhook answered {} (see the webhooks checks)", answer.status))
            .with_exchange(&answer.exchange));
    }
    let event_id = shape.ping_event_id(answer.json.as_ref());
    Ok(Produced {
        done: format!("pinged webhook {webhook_id} (WHM-4)"),
        since,
        of: EventOf::Ping { event_id },
        device: None,
    })
}

/// Pings `webhook_id` through the trigger ([`Action::Ping`]); a trigger that cannot ping leaves
/// the vendor with no way to be pinged (`no_api` says why the API is not used).
async fn trigger_ping(cx: &Context, inbox: &dyn Inbox, webhook_id: &str, no_api: &str) -> Result<Produced, Outcome> {
    let Some(trigger) = cx.trigger.as_deref() else {
        return Err(Outcome::skip(format!("{no_api}, and no trigger is configured to ping (`[trigger]`)")));
    };
    let since = inbox.deliveries().len();
    match trigger.act(&Action::Ping { webhook_id: webhook_id.to_owned() }).await {
        Ok(done) => Ok(Produced { done, since, of: EventOf::Ping { event_id: None }, device: None }),
        Err(TriggerError::Unsupported { .. }) => Err(Outcome::skip(format!(
            "{no_api}, and the `{}` trigger cannot ping (a `command` trigger pings with `ping_argv` or `argv`)",
            trigger.kind()
        ))),
        Err(e) => Err(act::trigger_outcome(&e)),
    }
}

/// The run's throw-away webhooks by id: their target and secret, for a ping request that names
/// them ([`crate::WebhookApi::ping_probe`]).
#[derive(Debug, Default)]
struct TempWebhooks(std::sync::Mutex<std::collections::HashMap<String, (String, Option<Secret>)>>);

impl std::ops::Deref for TempWebhooks {
    type Target = std::sync::Mutex<std::collections::HashMap<String, (String, Option<Secret>)>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

async fn temp_webhooks(cx: &Context) -> std::sync::Arc<TempWebhooks> {
    cx.memo(|| async { TempWebhooks::default() }).await
}

/// The receiver answers `answer` while this lives, and 200 again once it is dropped, whichever
/// way the check ends (an early return, a panic, the runner's timeout dropping the check).
#[derive(Debug)]
pub struct Answering<'a> {
    inbox: &'a dyn Inbox,
}

impl<'a> Answering<'a> {
    /// Starts answering `answer` for at most `window`.
    pub fn start(inbox: &'a dyn Inbox, answer: ReceiverAnswer, window: Duration) -> Self {
        inbox.answer_for(answer, window);
        Self { inbox }
    }
}

impl Drop for Answering<'_> {
    fn drop(&mut self) {
        self.inbox.answer_for(ReceiverAnswer::Ok, Duration::ZERO);
    }
}

/// A webhook a check registers for itself (a second secret to compare, a target to disable),
/// deleted when the check is done with it. Its secret is handed to the receiver and kept here
/// only to verify against: never in evidence.
#[derive(Debug)]
pub struct TempWebhook {
    api: std::sync::Arc<dyn VendorApi>,
    pub webhook_id: String,
    /// The path of its target URL, retired when it is deleted ([`act::retire_path`]).
    target_path: String,
    secret: Secret,
    /// The create answer, its secret redacted.
    pub exchange: Exchange,
    deleted: bool,
}

impl TempWebhook {
    /// Registers a webhook named after `purpose`, delivering to `target_url`, through the
    /// profile's create template. A vendor that cannot is the webhooks suite's finding (WHM-2),
    /// so here it is a missing precondition.
    pub async fn create(cx: &Context, purpose: &str, target_url: String) -> Result<Self, Outcome> {
        let name = format!("conformance-harness {purpose}");
        let Creation { answer, created } = match create_webhook(cx.api.as_ref(), &name, &target_url).await {
            Ok(creation) => creation,
            Err(e) if e.kind.blame() == crate::Blame::Harness => return Err(e.to_outcome("creating a webhook")),
            Err(e) => return Err(Outcome::skip(format!("creating a webhook failed ({e}); see the webhooks checks"))),
        };
        let refused = !answer.is_success() || cx.api.body_error(&answer).is_some();
        match (refused, created.id, created.secret) {
            (false, Some(id), Some(secret)) => {
                temp_webhooks(cx)
                    .await
                    .lock()
                    .expect("temp webhooks lock")
                    .insert(id.clone(), (target_url.clone(), Some(secret.clone())));
                Ok(Self {
                    api: cx.api.clone(),
                    webhook_id: id,
                    target_path: path_of(&target_url),
                    secret,
                    exchange: answer.exchange,
                    deleted: false,
                })
            }
            (true, id, _) => {
                // A vendor that answers an error yet creates the webhook still gets it deleted.
                if let Some(id) = id {
                    let _ = cx.api.probe(cx.api.webhook_api().delete_probe(&id)).await;
                }
                Err(Outcome::skip(format!("creating a webhook answered {} (see the webhooks checks)", answer.status))
                    .with_exchange(&answer.exchange))
            }
            (false, id, _) => {
                if let Some(id) = id {
                    let _ = cx.api.probe(cx.api.webhook_api().delete_probe(&id)).await;
                }
                Err(Outcome::skip("the create answer has no webhook id or no secret (see the webhooks checks)")
                    .with_exchange(&answer.exchange))
            }
        }
    }

    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Deletes it; returns a note on how that went, for evidence. Its deliveries from now on
    /// are no attempt of anything later checks watch.
    pub async fn delete(mut self, cx: &Context) -> String {
        self.deleted = true;
        act::retire_path(cx, &self.target_path);
        match self.api.probe(self.api.webhook_api().delete_probe(&self.webhook_id)).await {
            Ok(answer) => format!("deleted the check's webhook {} afterwards ({})", self.webhook_id, answer.status),
            Err(e) => format!("deleting the check's webhook {} afterwards failed: {e}", self.webhook_id),
        }
    }
}

impl Drop for TempWebhook {
    /// A check that ended without [`TempWebhook::delete`] (a panic, the runner's timeout) still
    /// leaves no webhook behind: the delete is sent from a task of its own.
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let api = self.api.clone();
            let probe = api.webhook_api().delete_probe(&self.webhook_id);
            runtime.spawn(async move {
                let _ = api.probe(probe).await;
            });
        }
    }
}

/// The path of a URL (`http://h:1/webhook/x?q` → `/webhook/x`).
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("/").to_owned()
}

/// Replaces a secret (and any secret-like member's value) everywhere an exchange shows text.
pub fn redact(exchange: &mut Exchange, secret: &Secret) {
    crate::redact::redact_exchange(exchange, &[secret.expose()]);
}

/// At most this much of a delivery's body is shown.
const BODY_SHOWN: usize = 2048;

/// A header of a delivery, by case-insensitive name.
pub fn header<'d>(delivery: &'d Delivery, name: &str) -> Option<&'d str> {
    delivery.headers.iter().find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty()).map(|(_, v)| v.as_str())
}

/// A POSIX shell single-quoted word (every reproduce command's quoting, the harness's too).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What a verification said, in words.
pub fn verdict(verification: &Verification) -> String {
    match verification {
        Verification::Valid { .. } => "the signature verified".into(),
        Verification::Invalid { reason } => format!("the signature did not verify: {reason}"),
        Verification::NoSecret => "not verified (the receiver holds no secret)".into(),
    }
}

/// A delivery as evidence: the vendor's request to the receiver (headers, body excerpt), what
/// the receiver answered, and a command that verifies the captured signature offline with a
/// secret the reader holds (it is never in the command).
pub fn delivery_exchange(cx: &Context, delivery: &Delivery) -> Exchange {
    // The URL the vendor posted to: the receiver's origin and the delivery's own path (a
    // check's webhook has a path of its own under the run's).
    let public = cx.inbox.as_deref().map(Inbox::public_url).unwrap_or_default();
    let origin_len = public.len() - path_of(&public).len().min(public.len());
    let url = if delivery.path.is_empty() || !public.ends_with(&path_of(&public)) {
        public
    } else {
        format!("{}{}", &public[..origin_len], delivery.path)
    };
    let body: String = delivery.body.chars().take(BODY_SHOWN).collect();
    let truncated = body.len() < delivery.body.len();
    let request_headers = delivery
        .headers
        .iter()
        .map(|(k, v)| {
            let shown = if k.eq_ignore_ascii_case("authorization") { "[redacted]".to_owned() } else { v.clone() };
            (k.clone(), shown)
        })
        .collect();
    let answered = match delivery.answered {
        Some(status) => format!("answered {status}"),
        None => "held open without an answer".into(),
    };
    Exchange {
        method: "POST".into(),
        url,
        request_headers,
        token: None,
        request_body: Some(body),
        status: delivery.answered,
        response_headers: Vec::new(),
        body_excerpt: None,
        body_bytes: 0,
        truncated,
        elapsed_ms: 0,
        error: None,
        notes: vec![format!(
            "delivery #{} of the vendor to the harness receiver at {}, {} bytes, {answered}; {}",
            delivery.seq,
            contract::rfc3339_millis(delivery.received_at_ms),
            delivery.body_bytes,
            verdict(&delivery.verification)
        )],
        reproduce: reproduce(cx.signature.as_ref(), delivery, truncated),
    }
}

fn reproduce(format: Option<&SignatureFormat>, delivery: &Delivery, truncated: bool) -> String {
    let Some(format) = format else { return "no signature format was configured for the run".into() };
    let Some(signature) = header(delivery, &format.header) else {
        return format!("the delivery carried no `{}` header: there is nothing to verify", format.header);
    };
    let scheme = if format.binds_timestamp() { contract::Scheme::Timestamped } else { contract::Scheme::Body };
    if *format != SignatureFormat::canonical(scheme) {
        return format!(
            "verify `{}` with the vendor profile's signature format (signed content `{}`) and the webhook's secret",
            format.header, format.signed_content
        );
    }
    let file = format!("delivery-{}.json", delivery.seq);
    let save = if truncated {
        format!("save the delivery's body ({} bytes) as {file}, then: ", delivery.body_bytes)
    } else {
        format!("printf '%s' {} > {file} && ", shell_quote(&delivery.body))
    };
    let timestamp = format
        .timestamp_header
        .as_deref()
        .and_then(|name| header(delivery, name))
        .map(|ts| format!(" --timestamp {}", shell_quote(ts)))
        .unwrap_or_default();
    format!(
        "{save}WEBHOOK_SECRET=<the webhook's secret> harness verify --body {file} --secret-env WEBHOOK_SECRET \
         --scheme {scheme} --signature {}{timestamp} --ignore-window",
        shell_quote(signature)
    )
}

/// Milliseconds between consecutive attempts.
pub fn gaps_ms(attempts: &[Delivery]) -> Vec<i64> {
    attempts.windows(2).map(|w| w[1].received_at_ms - w[0].received_at_ms).collect()
}

/// A duration for people: `52 ms`, `1.55 s`.
pub fn ms(ms: i64) -> String {
    if ms.abs() < 1000 { format!("{ms} ms") } else { format!("{:.2} s", ms as f64 / 1000.0) }
}

/// A budget for people: `5 s`, `1.5 s`.
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s} s") }
}

/// `1 delivery`, `3 deliveries`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(
            skipped.message.contains("`ping` extension") && skipped.message.contains("`passive` trigger cannot ping")
        );
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
}
