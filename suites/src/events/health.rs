//! EVT-1: a status change of a device of every publishing type brings a `health` event, matched
//! to the change by `device_id` and `event_type`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{event_of, finding, finish, str_of};
use crate::act::{self, Target};
use crate::context::{Context, Delivery, Inbox};
use crate::outcome::{Evidence, Finding, Outcome};

/// An event the run expects: what a device was made to do.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    pub(crate) target: Target,
    pub(crate) event_type: String,
    /// The status set (health) or the data sent (other families).
    pub(crate) what: String,
}

/// What arrived for a list of expected events.
pub(crate) struct Arrivals {
    /// The first delivery about each expected event, in the same order.
    pub(crate) matched: Vec<Option<Delivery>>,
    /// Deliveries of the expected types naming devices the inventory does not list.
    pub(crate) strays: Vec<Delivery>,
}

impl Arrivals {
    pub(crate) fn missing(&self) -> usize {
        self.matched.iter().filter(|m| m.is_none()).count()
    }

    /// Every expected event arrived, or enough strays did to stand for the missing ones.
    pub(crate) fn covered(&self) -> bool {
        self.missing() <= self.strays.len()
    }
}

pub(crate) fn arrivals(all: &[Delivery], since: usize, expected: &[Expected], known: &BTreeSet<String>) -> Arrivals {
    let new: Vec<(&Delivery, Value)> = all.iter().skip(since).filter_map(|d| Some((d, event_of(d)?))).collect();
    let matched = expected
        .iter()
        .map(|e| {
            new.iter()
                .find(|(_, ev)| {
                    str_of(ev, "event_type") == Some(&e.event_type)
                        && str_of(ev, "device_id") == Some(&e.target.device_id)
                })
                .map(|(d, _)| (*d).clone())
        })
        .collect();
    let types: BTreeSet<&str> = expected.iter().map(|e| e.event_type.as_str()).collect();
    let mut stray_ids = BTreeSet::new();
    let strays = new
        .iter()
        .filter(|(_, ev)| {
            str_of(ev, "event_type").is_some_and(|t| types.contains(t))
                && str_of(ev, "device_id").is_none_or(|d| !known.contains(d))
        })
        // One per event: retries and copies for other webhooks stand for one event.
        .filter(|(d, ev)| stray_ids.insert(str_of(ev, "event_id").map_or_else(|| format!("#{}", d.seq), str::to_owned)))
        .map(|(d, _)| (*d).clone())
        .collect();
    Arrivals { matched, strays }
}

/// Waits (up to `event_wait`) until every expected event arrived or strays stand for the rest.
pub(crate) async fn await_events(
    cx: &Context,
    inbox: &dyn Inbox,
    since: usize,
    expected: &[Expected],
    known: &BTreeSet<String>,
) -> Arrivals {
    let done = |all: &[Delivery]| arrivals(all, since, expected, known).covered();
    cx.waiting(&format!("{} expected event(s)", expected.len()), cx.budgets.event_wait);
    inbox.wait_for(&done, cx.budgets.event_wait).await;
    arrivals(&inbox.deliveries(), since, expected, known)
}

pub(crate) async fn known_devices(cx: &Context) -> Result<BTreeSet<String>, Outcome> {
    Ok(act::devices(cx).await?.into_iter().map(|t| t.device_id).collect())
}

/// The note saying strays stood in for missing events.
pub(crate) fn stray_note(arrived: &Arrivals) -> Option<String> {
    let missing = arrived.missing();
    (missing > 0).then(|| {
        format!(
            "{missing} expected events came naming devices the inventory does not list ({}); they are judged by events.ids-resolve",
            arrived.strays.iter().filter_map(|d| event_of(d)?.get("device_id")?.as_str().map(str::to_owned)).collect::<Vec<_>>().join(", ")
        )
    })
}

/// EVT-1: a status change of one device of every publishing type publishes a `health` event
/// with the new status.
pub async fn health(cx: &Context) -> Outcome {
    let inbox = match act::require_deliveries(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let silent = act::silent_types(cx).await;
    let (all, known) = match (act::devices(cx).await, known_devices(cx).await) {
        (Ok(all), Ok(known)) => (all, known),
        (Err(outcome), _) | (_, Err(outcome)) => return outcome,
    };
    let types: BTreeSet<String> = all.iter().map(|t| t.device_type.clone()).filter(|t| !silent.contains(t)).collect();
    if types.is_empty() {
        return Outcome::skip("the inventory lists no device whose type publishes events");
    }
    let since = inbox.deliveries().len();
    let mut expected = Vec::new();
    let mut done = Vec::new();
    for ty in &types {
        let target = match act::claim_actionable(cx, &format!("`{ty}` device"), |t| &t.device_type == ty).await {
            Ok(t) => t,
            Err(outcome) => return outcome,
        };
        match act::flip_status(cx, &target).await {
            Ok((description, status)) => {
                done.push(description);
                expected.push(Expected { target, event_type: "health".into(), what: status });
            }
            Err(outcome) => return outcome,
        }
    }
    let arrived = await_events(cx, inbox, since, &expected, &known).await;
    let mut evidence = Evidence::default();
    for (e, delivery) in expected.iter().zip(&arrived.matched) {
        let Some(delivery) = delivery else { continue };
        let event = event_of(delivery).unwrap_or(Value::Null);
        let status = event.pointer("/data/status").and_then(Value::as_str);
        if status != Some(e.what.as_str()) {
            evidence.push_finding(finding(
                delivery,
                &event,
                "/data/status",
                format!(
                    "device {} was set {}, the event says {}",
                    e.target.device_id,
                    e.what,
                    status.unwrap_or("nothing")
                ),
            ));
        }
    }
    if !arrived.covered() {
        for (e, _) in expected.iter().zip(&arrived.matched).filter(|(_, m)| m.is_none()) {
            evidence.push_finding(Finding {
                subject: format!("device {} ({}, site {})", e.target.device_id, e.target.device_type, e.target.site_id),
                pointer: String::new(),
                message: format!(
                    "set {}, but no `health` event about it arrived within {} s",
                    e.what,
                    cx.budgets.event_wait.as_secs()
                ),
                record: None,
                source: None,
            });
        }
    }
    let types_list = types.iter().cloned().collect::<Vec<_>>().join(", ");
    let mut outcome = finish(
        evidence,
        "a `health` event with the new `data.status` for every status change of a publishing device",
        format!("a status change of one device of each publishing type ({types_list}) published a `health` event"),
        "status changes without a matching health event",
        "EVT-1: health events (`event_type` `health`, `data.status` `online`/`offline`) are published when a \
         device's health changes, for every device type that publishes events",
    );
    if let Some(note) = stray_note(&arrived).filter(|_| arrived.covered()) {
        outcome = outcome.with_note(note);
    }
    if !silent.is_empty() {
        outcome = outcome.with_note(format!(
            "device types declared silent (not checked): {}",
            silent.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    outcome.with_note(format!("trigger: {}", done.join("; ")))
}
