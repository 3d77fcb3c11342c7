//! One event made to happen (a device's status flipped through the trigger, or a ping) and every
//! delivery attempt of it, recognised by its envelope.

use std::time::Duration;

use serde_json::Value;

use super::evidence::{redact, secs};
use super::scoped::temp_webhooks;
use crate::act::{self, Target};
use crate::context::{Action, Context, Delivery, Inbox, TriggerError};
use crate::outcome::{Outcome, Status};

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
