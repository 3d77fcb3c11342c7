//! Making the vendor act and watching what arrives: what every event-side check (webhooks,
//! replay, delivery, events, fallback) shares, so each check is the judgement, not the plumbing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::context::{Action, Context, Delivery, Inbox, Trigger, TriggerError, Verification};
use crate::outcome::Outcome;

/// A device a check can make act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub site_id: String,
    pub device_id: String,
    pub device_type: String,
    /// Its status as last known to the run (inventory, or what the run last set).
    pub status: String,
}

/// What the run has done to devices: the status it last set per device, and which device it
/// handed out last, so consecutive checks use different devices and late retries of one check's
/// events cannot be mistaken for the next check's. One per run, kept in the context's memo
/// ([`acted`]).
#[derive(Debug, Default)]
struct Acted {
    statuses: Mutex<BTreeMap<String, String>>,
    next: Mutex<usize>,
    /// Receiver paths of webhooks the run created and deleted. A vendor that keeps delivering
    /// to them breaks WHM-2, which the webhooks suite judges; to every other check those
    /// deliveries are noise, not attempts of what it watches.
    /// Each path with the time (unix ms) it was retired.
    retired: Mutex<BTreeMap<String, i64>>,
}

/// The run's record of what it made devices do.
fn acted(cx: &Context) -> Arc<Acted> {
    cx.shared::<Acted>()
}

/// Records that the webhook delivering to receiver paths containing `path` (a unique path
/// segment) was deleted by the run.
pub fn retire_path(cx: &Context, path: &str) {
    acted(cx).retired.lock().expect("acted lock").entry(path.to_owned()).or_insert_with(contract::unix_now_ms);
}

/// The receiver paths of webhooks the run deleted so far.
pub fn retired_paths(cx: &Context) -> Vec<String> {
    acted(cx).retired.lock().expect("acted lock").keys().cloned().collect()
}

/// Whether `delivery` reached a webhook after the run deleted it: WHM-2's business (the webhooks
/// suite judges that deliveries stop), not a delivery the vendor still owes a signature to.
pub fn after_retirement(cx: &Context, delivery: &Delivery) -> bool {
    let acted = acted(cx);
    let retired = acted.retired.lock().expect("acted lock");
    retired.iter().any(|(path, at)| delivery.path.contains(path.as_str()) && delivery.received_at_ms >= *at)
}

/// The inbox, or the outcome a check that needs one ends with.
pub fn require_inbox(cx: &Context) -> Result<&dyn Inbox, Outcome> {
    cx.inbox.as_deref().ok_or_else(|| Outcome::error("no webhook receiver was started for this run (a harness bug)"))
}

/// The inbox, when deliveries can reach it: a run that failed to register its webhook through
/// the management API gets none, so checks that wait for events are skipped with the reason.
pub fn require_deliveries(cx: &Context) -> Result<&dyn Inbox, Outcome> {
    let inbox = require_inbox(cx)?;
    match &cx.webhook {
        crate::context::WebhookSetup::Failed(e) => Err(Outcome::skip(format!(
            "the run's webhook could not be registered ({}), so no delivery can arrive",
            e.message
        ))),
        _ => Ok(inbox),
    }
}

/// The SKIP for an answer that refused the run's fresh, valid token (401/403): the auth suite
/// reports that (AUTH-1); this check could not test.
pub fn refused_token(answer: &crate::context::Answer, what: &str) -> Option<Outcome> {
    matches!(answer.status, 401 | 403).then(|| {
        Outcome::skip(format!("{what} answered {} to a fresh valid token (see the auth suite, AUTH-1)", answer.status))
            .with_exchange(&answer.exchange)
    })
}

/// The trigger, or the outcome a check that needs one ends with.
pub fn require_trigger(cx: &Context) -> Result<&dyn Trigger, Outcome> {
    cx.trigger.as_deref().ok_or_else(|| Outcome::skip("no trigger is configured (`[trigger]`, CONTRACT.md §12)"))
}

/// The outcome of a check whose trigger could not act.
pub fn trigger_outcome(error: &TriggerError) -> Outcome {
    match error {
        TriggerError::Unsupported { .. } | TriggerError::NonInteractive | TriggerError::UnknownDevice { .. } => {
            Outcome::skip(error.to_string())
        }
        TriggerError::Failed(_) => Outcome::error(error.to_string()),
    }
}

/// Device types the vendor declares publish no events (partial coverage, EVT-1 / FB-4): from the
/// event catalogue's `not_emitted_by` when it answers, else from the configuration.
pub async fn silent_types(cx: &Context) -> BTreeSet<String> {
    /// The run's answer, asked once: every event check claims devices through it.
    struct Silent(BTreeSet<String>);
    let silent = cx
        .memo::<Silent, _, _>(|| async {
            let mut silent: BTreeSet<String> = cx.declared.silent_device_types.clone();
            if let Ok(answer) = cx.api.probe(crate::context::Probe::get(cx.endpoints().event_types.clone())).await
                && answer.is_success()
                && let Some(doc) = answer.json.map(|j| cx.api.canonical_catalogue(j))
                && let Some(types) = doc.get("event_types").and_then(Value::as_array)
            {
                for entry in types {
                    if let Some(list) = entry.get("not_emitted_by").and_then(Value::as_array) {
                        silent.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                }
            }
            Silent(silent)
        })
        .await;
    silent.0.clone()
}

/// Every device of the first sync, with the status the run last set (or inventory's).
pub async fn devices(cx: &Context) -> Result<Vec<Target>, Outcome> {
    let sync = cx.sync().await;
    let devices = sync.require_devices()?;
    let acted = acted(cx);
    let statuses = acted.statuses.lock().expect("acted lock");
    Ok(devices
        .iter()
        .filter_map(|d| {
            let device_id = d.str_field("device_id")?.to_owned();
            Some(Target {
                site_id: d.listed_under.to_owned(),
                status: statuses
                    .get(&device_id)
                    .cloned()
                    .or_else(|| d.str_field("status").map(str::to_owned))
                    .unwrap_or_else(|| "online".into()),
                device_type: d.str_field("type").unwrap_or_default().to_owned(),
                device_id,
            })
        })
        .collect())
}

/// Device ids a second sync listed again: only those can address a device through the trigger.
/// `None` when the second sync could not list devices (then nothing is ruled out).
async fn stable_device_ids(cx: &Context) -> Option<BTreeSet<String>> {
    let second = cx.second_sync().await;
    let devices = second.require_devices().ok()?;
    Some(devices.iter().filter_map(|d| d.str_field("device_id").map(str::to_owned)).collect())
}

/// The next device whose type publishes events, round-robin over the fleet. Only a device whose
/// id two syncs agree on is handed out: an id that changes between calls (ID-1) names no device
/// the trigger could act on, and the check would blame the harness for the vendor's ids.
pub async fn claim_publishing_device(cx: &Context) -> Result<Target, Outcome> {
    let silent = silent_types(cx).await;
    let publishing: Vec<Target> = devices(cx).await?.into_iter().filter(|t| !silent.contains(&t.device_type)).collect();
    if publishing.is_empty() {
        return Err(Outcome::skip("the inventory lists no device whose type publishes events"));
    }
    let publishing: Vec<Target> = match stable_device_ids(cx).await {
        Some(stable) => publishing.into_iter().filter(|t| stable.contains(&t.device_id)).collect(),
        None => publishing,
    };
    if publishing.is_empty() {
        return Err(Outcome::skip(
            "no publishing device had the same id on two inventory syncs, so none can be addressed (see schema.stable-ids)",
        ));
    }
    let acted = acted(cx);
    let mut next = acted.next.lock().expect("acted lock");
    let target = publishing[*next % publishing.len()].clone();
    *next += 1;
    Ok(target)
}

/// The next device, in fleet order from the run's round-robin cursor, for which `wanted` holds
/// (a device of a given type, a silent one), preferring one the run has not acted on yet, so a
/// late retry of an earlier check's event cannot be taken for this check's. `None` when no
/// device of the fleet qualifies.
pub async fn claim_device_where(cx: &Context, wanted: impl Fn(&Target) -> bool) -> Result<Option<Target>, Outcome> {
    let all = devices(cx).await?;
    if all.is_empty() {
        return Ok(None);
    }
    let record = acted(cx);
    let acted: BTreeSet<String> = record.statuses.lock().expect("acted lock").keys().cloned().collect();
    let mut next = record.next.lock().expect("acted lock");
    let start = *next;
    let at = |i: usize| &all[i % all.len()];
    let found = (start..start + all.len())
        .find(|&i| wanted(at(i)) && !acted.contains(&at(i).device_id))
        .or_else(|| (start..start + all.len()).find(|&i| wanted(at(i))));
    Ok(found.map(|i| {
        *next = i + 1;
        at(i).clone()
    }))
}

/// Whether the device's status is in the canonical vocabulary, so that the run knows which
/// change to ask for and can recognise it in inventory (a vendor's own vocabulary without a
/// mapping is reported by the schema suite).
pub fn has_canonical_status(target: &Target) -> bool {
    contract::DeviceStatus::parse(&target.status).is_some()
}

/// The next device matching `wanted` with a canonical status (see [`claim_device_where`]), or
/// the SKIP naming what is missing (`what`: the kind of device the check needs).
pub async fn claim_actionable(cx: &Context, what: &str, wanted: impl Fn(&Target) -> bool) -> Result<Target, Outcome> {
    if let Some(t) = claim_device_where(cx, |t| wanted(t) && has_canonical_status(t)).await? {
        return Ok(t);
    }
    Err(match claim_device_where(cx, &wanted).await? {
        Some(t) => Outcome::skip(format!(
            "no {what} has a status in the canonical vocabulary (device {} reads `{}`), so the change to ask for is unknown (see schema.device-status)",
            t.device_id, t.status
        )),
        None => Outcome::skip(format!("the inventory lists no {what}")),
    })
}

/// The next publishing device the run has not acted on yet (else any publishing device), with a
/// canonical status: like [`claim_publishing_device`], for checks that must not see an earlier
/// check's events.
pub async fn claim_fresh_publishing_device(cx: &Context) -> Result<Target, Outcome> {
    let silent = silent_types(cx).await;
    claim_actionable(cx, "device whose type publishes events", |t| !silent.contains(&t.device_type)).await
}

/// The status a flip sets: `offline` for an online device, `online` otherwise.
pub fn flipped(status: &str) -> &'static str {
    if status == "online" { "offline" } else { "online" }
}

/// Makes `target` change status through the trigger; returns the trigger's description and the
/// status set. The run remembers it, so the next flip of the same device goes back.
pub async fn flip_status(cx: &Context, target: &Target) -> Result<(String, String), Outcome> {
    let trigger = require_trigger(cx)?;
    let status = flipped(&target.status).to_owned();
    let action = Action::DeviceStatus {
        site_id: target.site_id.clone(),
        device_id: target.device_id.clone(),
        status: status.clone(),
    };
    let done = trigger.act(&action).await.map_err(|e| trigger_outcome(&e))?;
    acted(cx).statuses.lock().expect("acted lock").insert(target.device_id.clone(), status.clone());
    Ok((done, status))
}

/// A delivery's event as a canonical record (mapped through the profile), when its body is JSON.
pub fn body_json(delivery: &Delivery) -> Option<Value> {
    delivery.event.clone()
}

/// Whether a delivery is a (verified or not) event about `device_id` of `event_type`.
pub fn is_event(delivery: &Delivery, event_type: &str, device_id: &str) -> bool {
    body_json(delivery).is_some_and(|b| {
        b.get("event_type").and_then(Value::as_str) == Some(event_type)
            && b.get("device_id").and_then(Value::as_str) == Some(device_id)
    })
}

/// Whether a delivery verified.
pub fn verified(delivery: &Delivery) -> bool {
    matches!(delivery.verification, Verification::Valid { .. })
}

/// Deliveries after `since` (a count of deliveries seen before acting) that match `matches`.
pub fn arrived_since(inbox: &dyn Inbox, since: usize, matches: impl Fn(&Delivery) -> bool) -> Vec<Delivery> {
    inbox.deliveries().into_iter().skip(since).filter(|d| matches(d)).collect()
}

/// Waits up to `within` for the first delivery after `since` that matches.
pub async fn wait_for_first(
    inbox: &dyn Inbox,
    since: usize,
    within: Duration,
    matches: impl Fn(&Delivery) -> bool + Send + Sync,
) -> Option<Delivery> {
    let done = |all: &[Delivery]| all.iter().skip(since).any(&matches);
    inbox.wait_for(&done, within).await;
    inbox.deliveries().into_iter().skip(since).find(|d| matches(d))
}

/// Flips a publishing device and waits for the health event about it: the common case of
/// "make one event happen". Returns the target, the new status and the first delivery of the
/// event (`None` when none came within `event_wait`), plus the trigger's description.
pub async fn health_event(cx: &Context) -> Result<(Target, String, Option<Delivery>, String), Outcome> {
    let inbox = require_inbox(cx)?;
    let target = claim_publishing_device(cx).await?;
    let since = inbox.deliveries().len();
    let (done, status) = flip_status(cx, &target).await?;
    let device_id = target.device_id.clone();
    cx.waiting(&format!("the health event of device {}", target.device_id), cx.budgets.event_wait);
    let first = wait_for_first(inbox, since, cx.budgets.event_wait, move |d| is_event(d, "health", &device_id)).await;
    Ok((target, status, first, done))
}
