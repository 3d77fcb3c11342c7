//! The deliveries of one produced event that the signature and timestamp checks share, and the
//! raising of every kind of delivery the vendor declares, so SIG-1 and SIG-2 judge each.

use std::sync::Arc;

use crate::act;
use crate::attempts::{self, Produced, secs};
use crate::context::{Action, Context, Delivery, Inbox};
use crate::outcome::Outcome;

/// The deliveries of one produced event, shared by the signature and timestamp checks: one
/// event serves all three (and under a signing fault, one train of refused retries, not three).
#[derive(Debug)]
pub(crate) struct EventDeliveries {
    pub(crate) produced: Produced,
    pub(crate) deliveries: Vec<Delivery>,
    /// What was done so that every kind of delivery is among the run's (families, a ping).
    pub(crate) raised: Vec<String>,
}

pub(crate) async fn event_deliveries(cx: &Context) -> Arc<Result<EventDeliveries, Outcome>> {
    cx.memo::<Result<EventDeliveries, Outcome>, _, _>(|| async {
        let inbox = act::require_inbox(cx)?;
        let produced = attempts::produce(cx).await?;
        cx.waiting(&format!("the first attempt of {}", produced.of.describe()), cx.budgets.event_wait);
        if produced.first(inbox, cx.budgets.event_wait).await.is_none() {
            return Err(produced.never_arrived(cx.budgets.event_wait));
        }
        let deliveries = produced.attempts(inbox);
        let raised = raise_every_kind(cx, inbox).await;
        Ok(EventDeliveries { produced, deliveries, raised })
    })
    .await
}

/// Makes every kind of delivery the vendor declares happen once, so SIG-1 and SIG-2 judge each:
/// an event of every declared family besides health (through the trigger, on a device of a type
/// that plausibly emits it) and, when the vendor declares the ping extension and none came yet, a
/// ping. The suites that judge these events run later; a signature is judged here. Returns notes
/// on what was raised and what could not be.
async fn raise_every_kind(cx: &Context, inbox: &dyn Inbox) -> Vec<String> {
    let mut notes = Vec::new();
    let since = inbox.deliveries().len();
    let mut raised: Vec<(String, String)> = Vec::new();
    let families: Vec<&String> = cx.declared.event_families.iter().filter(|f| *f != "health" && *f != "ping").collect();
    if !families.is_empty() {
        match (act::require_trigger(cx), act::devices(cx).await) {
            (Ok(trigger), Ok(devices)) => {
                let catalogue = crate::events::catalogue_entries(cx).await;
                let silent = act::silent_types(cx).await;
                for family in families {
                    let entry = catalogue.as_ref().and_then(|c| {
                        c.iter().find(|e| e.get("event_type").and_then(serde_json::Value::as_str) == Some(family))
                    });
                    let Some(data) = crate::events::example_data(family, entry) else {
                        notes.push(format!("`{family}` not raised: no example of its `data` to raise it with"));
                        continue;
                    };
                    let emitters: Vec<String> = entry
                        .and_then(|e| e.get("emitted_by")?.as_array().cloned())
                        .map(|t| t.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                        .unwrap_or_else(|| {
                            crate::events::likely_types(family).iter().map(|t| (*t).to_owned()).collect()
                        });
                    let publishing = |t: &&act::Target| !silent.contains(&t.device_type);
                    let Some(target) = devices
                        .iter()
                        .filter(publishing)
                        .find(|t| emitters.contains(&t.device_type))
                        .or_else(|| devices.iter().find(publishing))
                    else {
                        continue;
                    };
                    let action = Action::DeviceEvent {
                        site_id: target.site_id.clone(),
                        device_id: target.device_id.clone(),
                        event_type: family.clone(),
                        data,
                    };
                    match trigger.act(&action).await {
                        Ok(_) => raised.push((family.clone(), target.device_id.clone())),
                        Err(e) => notes.push(format!("`{family}` not raised: {}", act::trigger_outcome(&e).message)),
                    }
                }
            }
            (Err(o), _) | (_, Err(o)) => notes.push(format!("declared families not raised: {}", o.message)),
        }
    }
    let pinged = inbox.deliveries().iter().any(|d| {
        act::body_json(d).is_some_and(|b| b.get("event_type").and_then(serde_json::Value::as_str) == Some("ping"))
    });
    let mut ping = None;
    if cx.declared.capabilities.contains("ping") && !pinged {
        match attempts::ping(cx, None).await {
            Ok(p) => ping = Some(p),
            Err(o) => notes.push(format!("no ping sent: {}", o.message)),
        }
    }
    let arrived = |all: &[Delivery]| {
        raised.iter().all(|(f, d)| all.iter().skip(since).any(|x| act::is_event(x, f, d)))
            && ping.as_ref().is_none_or(|p| all.iter().skip(p.since).any(|x| p.of.matches(x)))
    };
    cx.waiting("the events raised (and the ping)", cx.budgets.event_wait);
    inbox.wait_for(&arrived, cx.budgets.event_wait).await;
    let all = inbox.deliveries();
    let (came, missing): (Vec<_>, Vec<_>) =
        raised.iter().partition(|(f, d)| all.iter().skip(since).any(|x| act::is_event(x, f, d)));
    if !came.is_empty() {
        notes.push(format!(
            "raised so their deliveries are judged too: {}",
            came.iter().map(|(f, d)| format!("`{f}` on device {d}")).collect::<Vec<_>>().join(", ")
        ));
    }
    if !missing.is_empty() {
        notes.push(format!(
            "raised but not delivered within {} (see events.families): {}",
            secs(cx.budgets.event_wait),
            missing.iter().map(|(f, d)| format!("`{f}` on device {d}")).collect::<Vec<_>>().join(", ")
        ));
    }
    notes
}
