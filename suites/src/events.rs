//! The events suite (EVT-1, EVT-2, EVT-4 … EVT-6): health events for every publishing device
//! type, the other declared families, the event catalogue, every event's envelope, and ids that
//! resolve to inventory.
//!
//! The checks make devices act through the trigger (`act`) and judge what reaches the receiver.
//! Envelopes and ids are judged over every verified delivery of the run so far (other suites'
//! events included), so a vendor is held to the contract on every event it sent, not only on the
//! ones this suite asked for. Unverified deliveries are left out: their content cannot be
//! attributed to the vendor (the replay suite judges signatures).
//!
//! An event is matched to the change that caused it by `device_id` and `event_type`. When events
//! arrive that name a device the inventory does not list, they are counted for the changes that
//! got no event of their own, so a vendor that mislabels devices fails EVT-6 (ids), not EVT-1.

use std::collections::{BTreeMap, BTreeSet};

use contract::{EventData, EventFamily, SchemaId};
use serde_json::{Value, json};

use crate::Check;
use crate::act::{self, Target};
use crate::context::{Action, Context, Delivery, Inbox, Probe};
use crate::outcome::{Evidence, Finding, Outcome};

/// The event of a delivery, when it is a JSON object with an `event_type`.
fn event_of(delivery: &Delivery) -> Option<Value> {
    act::body_json(delivery).filter(|b| b.get("event_type").and_then(Value::as_str).is_some())
}

fn str_of<'a>(event: &'a Value, field: &str) -> Option<&'a str> {
    event.get(field).and_then(Value::as_str)
}

/// `event <id> (<type>, delivery #<seq>)`.
fn subject(delivery: &Delivery, event: &Value) -> String {
    format!(
        "event {} ({}, delivery #{})",
        str_of(event, "event_id").unwrap_or("<no event_id>"),
        str_of(event, "event_type").unwrap_or("?"),
        delivery.seq
    )
}

fn finding(delivery: &Delivery, event: &Value, pointer: &str, message: String) -> Finding {
    Finding {
        subject: subject(delivery, event),
        pointer: pointer.to_owned(),
        message,
        record: Some(event.clone()),
        source: Some(delivery.path.clone()),
    }
}

/// PASS with `pass` when nothing was found, else FAIL naming `what`.
fn finish(evidence: Evidence, expected: &str, pass: String, what: &str) -> Outcome {
    let n = evidence.total_findings;
    if n == 0 {
        return Outcome::pass(pass).expected(expected).with_evidence(evidence);
    }
    let first = evidence.findings.first().map(|f| format!(": {} at `{}`: {}", f.subject, f.pointer, f.message));
    Outcome::fail(format!("{n} {what}{}", first.unwrap_or_default()))
        .expected(expected)
        .actual(format!("{n} {what}"))
        .with_evidence(evidence)
}

/// The vendor's event catalogue entries, when `GET event-types` answers one.
async fn catalogue_entries(cx: &Context) -> Option<Vec<Value>> {
    let answer = cx.api.probe(Probe::get(cx.api.endpoints().event_types)).await.ok()?;
    if !answer.is_success() {
        return None;
    }
    cx.api.canonical_catalogue(answer.json?).get("event_types")?.as_array().cloned()
}

/// An event the run expects: what a device was made to do.
#[derive(Debug, Clone)]
struct Expected {
    target: Target,
    event_type: String,
    /// The status set (health) or the data sent (other families).
    what: String,
}

/// What arrived for a list of expected events.
struct Arrivals {
    /// The first delivery about each expected event, in the same order.
    matched: Vec<Option<Delivery>>,
    /// Deliveries of the expected types naming devices the inventory does not list.
    strays: Vec<Delivery>,
}

impl Arrivals {
    fn missing(&self) -> usize {
        self.matched.iter().filter(|m| m.is_none()).count()
    }

    /// Every expected event arrived, or enough strays did to stand for the missing ones.
    fn covered(&self) -> bool {
        self.missing() <= self.strays.len()
    }
}

fn arrivals(all: &[Delivery], since: usize, expected: &[Expected], known: &BTreeSet<String>) -> Arrivals {
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
async fn await_events(
    cx: &Context,
    inbox: &dyn Inbox,
    since: usize,
    expected: &[Expected],
    known: &BTreeSet<String>,
) -> Arrivals {
    let done = |all: &[Delivery]| arrivals(all, since, expected, known).covered();
    inbox.wait_for(&done, cx.budgets.event_wait).await;
    arrivals(&inbox.deliveries(), since, expected, known)
}

async fn known_devices(cx: &Context) -> Result<BTreeSet<String>, Outcome> {
    Ok(act::devices(cx).await?.into_iter().map(|t| t.device_id).collect())
}

/// The note saying strays stood in for missing events.
fn stray_note(arrived: &Arrivals) -> Option<String> {
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

/// Data a family's event is raised with: the contract's example for the four canonical
/// families, else the first example of the catalogue's `data_schema`.
fn sample_data(family: &str, entry: Option<&Value>) -> Option<Value> {
    match EventFamily::parse(family) {
        Some(EventFamily::Alarm) => {
            Some(json!({"condition": "intrusion", "state": "active", "severity": "major", "zone": "Zone 1"}))
        }
        Some(EventFamily::Access) => Some(json!({"action": "door_forced"})),
        Some(EventFamily::Video) => Some(json!({"condition": "stream_loss", "state": "active"})),
        Some(EventFamily::Health) => Some(json!({"status": "offline"})),
        Some(EventFamily::Ping) => Some(json!({})),
        None => entry?.pointer("/data_schema/examples/0").cloned(),
    }
}

/// Device types that most plausibly raise a family (used when the catalogue does not say).
fn likely_types(family: &str) -> &'static [&'static str] {
    match family {
        "alarm" => &["intrusion_panel", "access_panel"],
        "access" => &["door", "reader", "access_panel"],
        "video" => &["camera", "nvr"],
        _ => &[],
    }
}

/// A family's `data` against its schema: the contract's for the canonical families (the schema
/// the catalogue declares for them), an object for any other.
fn data_violations(family: &str, data: &Value) -> Vec<(String, String)> {
    match EventFamily::parse(family) {
        Some(f) => {
            let mut out: Vec<(String, String)> = match SchemaId::for_event_data(f).validate(data) {
                Ok(()) => Vec::new(),
                Err(all) => all.into_iter().map(|v| (format!("/data{}", v.instance_path), v.message)).collect(),
            };
            if out.is_empty()
                && let Err(e) = EventData::parse(f, data.clone())
            {
                out.push(("/data".into(), e.to_string()));
            }
            out
        }
        None if data.is_object() => Vec::new(),
        None => vec![("/data".into(), "`data` is not an object".into())],
    }
}

/// EVT-4: every declared family besides `health` is raised through the trigger and arrives with
/// `data` matching the family's schema.
pub async fn families(cx: &Context) -> Outcome {
    let inbox = match act::require_deliveries(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let declared: Vec<String> =
        cx.declared.event_families.iter().filter(|f| *f != "health" && *f != "ping").cloned().collect();
    if declared.is_empty() {
        return Outcome::skip("the vendor declares no event family besides `health` (`[capabilities] event_families`)");
    }
    let known = match known_devices(cx).await {
        Ok(k) => k,
        Err(outcome) => return outcome,
    };
    let catalogue = catalogue_entries(cx).await;
    let entry_of = |family: &str| {
        catalogue.as_ref().and_then(|c| c.iter().find(|e| e.get("event_type").and_then(Value::as_str) == Some(family)))
    };
    let silent = act::silent_types(cx).await;
    let since = inbox.deliveries().len();
    let mut expected = Vec::new();
    let mut notes = Vec::new();
    let mut done = Vec::new();
    for family in &declared {
        let entry = entry_of(family);
        let Some(data) = sample_data(family, entry) else {
            notes.push(format!(
                "`{family}` not raised: neither the contract nor the catalogue gives an example of its `data`"
            ));
            continue;
        };
        let emitters: Vec<String> = entry
            .and_then(|e| e.get("emitted_by")?.as_array().cloned())
            .map(|types| types.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_else(|| likely_types(family).iter().map(|t| (*t).to_owned()).collect());
        let preferred =
            act::claim_device_where(cx, |t| emitters.contains(&t.device_type) && !silent.contains(&t.device_type))
                .await;
        let target = match preferred {
            Ok(Some(t)) => t,
            Ok(None) => match act::claim_device_where(cx, |t| !silent.contains(&t.device_type)).await {
                Ok(Some(t)) => t,
                Ok(None) => return Outcome::skip("the inventory lists no device whose type publishes events"),
                Err(outcome) => return outcome,
            },
            Err(outcome) => return outcome,
        };
        let trigger = match act::require_trigger(cx) {
            Ok(t) => t,
            Err(outcome) => return outcome,
        };
        let action = Action::DeviceEvent {
            site_id: target.site_id.clone(),
            device_id: target.device_id.clone(),
            event_type: family.clone(),
            data: data.clone(),
        };
        match trigger.act(&action).await {
            Ok(description) => done.push(description),
            Err(e) => return act::trigger_outcome(&e),
        }
        expected.push(Expected { target, event_type: family.clone(), what: data.to_string() });
    }
    if expected.is_empty() {
        return Outcome::skip(format!("no declared family could be raised: {}", notes.join("; ")));
    }
    let arrived = await_events(cx, inbox, since, &expected, &known).await;
    let mut evidence = Evidence::default();
    for (e, delivery) in expected.iter().zip(&arrived.matched) {
        let Some(delivery) = delivery else { continue };
        let event = event_of(delivery).unwrap_or(Value::Null);
        for (pointer, message) in data_violations(&e.event_type, event.get("data").unwrap_or(&Value::Null)) {
            evidence.push_finding(finding(delivery, &event, &pointer, message));
        }
    }
    let strays_cover = arrived.covered();
    if !strays_cover {
        for (e, _) in expected.iter().zip(&arrived.matched).filter(|(_, m)| m.is_none()) {
            evidence.push_finding(Finding {
                subject: format!("device {} ({})", e.target.device_id, e.target.device_type),
                pointer: String::new(),
                message: format!(
                    "asked to raise `{}` with data {}; no such event arrived within {} s",
                    e.event_type,
                    e.what,
                    cx.budgets.event_wait.as_secs()
                ),
                record: None,
                source: None,
            });
        }
    }
    let raised: Vec<&str> = expected.iter().map(|e| e.event_type.as_str()).collect();
    let mut outcome = finish(
        evidence,
        "each declared family arrives in the common envelope with `data` matching its schema",
        format!("{} events arrived with valid `data`", raised.join(", ")),
        "family problems",
    );
    if let Some(note) = stray_note(&arrived).filter(|_| strays_cover) {
        outcome = outcome.with_note(note);
    }
    for note in notes {
        outcome = outcome.with_note(note);
    }
    outcome.with_note(format!("trigger: {}", done.join("; ")))
}

/// EVT-5: `GET event-types` answers a catalogue listing at least `health`, each entry with a
/// description and a data schema.
pub async fn catalogue(cx: &Context) -> Outcome {
    let expected = "`{\"event_types\": [{\"event_type\", \"description\", \"data_schema\"}]}` listing `health`";
    let answer = match cx.api.probe(Probe::get(cx.api.endpoints().event_types)).await {
        Ok(a) => a,
        Err(e) => return e.to_outcome("the event catalogue could not be read"),
    };
    if let Some(skip) = act::refused_token(&answer, "`GET event-types`") {
        return skip;
    }
    if !answer.is_success() {
        return Outcome::fail(format!("`GET event-types` answered {}", answer.status))
            .expected(expected)
            .actual(answer.status.to_string())
            .with_exchange(&answer.exchange);
    }
    let Some(doc) = answer.json.clone().map(|doc| cx.api.canonical_catalogue(doc)) else {
        return Outcome::fail("`GET event-types` answered a body that is not JSON")
            .expected(expected)
            .with_exchange(&answer.exchange);
    };
    let mut evidence = Evidence::default();
    evidence.push_exchange(&answer.exchange);
    let mut push = |pointer: String, message: String| {
        evidence.push_finding(Finding {
            subject: "event catalogue".into(),
            pointer,
            message,
            record: None,
            source: Some(answer.exchange.url.clone()),
        });
    };
    if let Err(violations) = SchemaId::EventTypes.validate(&doc) {
        for v in violations {
            push(v.instance_path, v.message);
        }
    }
    let listed: BTreeSet<String> = doc
        .get("event_types")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("event_type")?.as_str().map(str::to_owned))
        .collect();
    if !listed.contains("health") {
        push("/event_types".into(), "the catalogue does not list `health` (EVT-1)".into());
    }
    let mut outcome = finish(
        evidence,
        expected,
        format!("the catalogue lists {}", listed.iter().cloned().collect::<Vec<_>>().join(", ")),
        "catalogue problems",
    );
    let unlisted: Vec<&String> = cx.declared.event_families.iter().filter(|f| !listed.contains(*f)).collect();
    if !unlisted.is_empty() {
        outcome = outcome.with_note(format!(
            "declared in the configuration but not in the catalogue: {}",
            unlisted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    outcome
}

/// Every verified delivery of the run that carries an event, one per `event_id`. When none is a
/// device event yet, the check makes one happen.
async fn run_events(cx: &Context, inbox: &dyn Inbox) -> Result<(Vec<(Delivery, Value)>, Option<String>), Outcome> {
    let collect = |all: &[Delivery]| {
        let mut seen = BTreeSet::new();
        all.iter()
            .filter(|d| act::verified(d))
            .filter_map(|d| Some((d.clone(), event_of(d)?)))
            .filter(|(d, ev)| seen.insert(str_of(ev, "event_id").map_or_else(|| format!("#{}", d.seq), str::to_owned)))
            .collect::<Vec<_>>()
    };
    let is_device_event = |(_, ev): &(Delivery, Value)| str_of(ev, "event_type") != Some("ping");
    let all = inbox.deliveries();
    let events = collect(&all);
    if events.iter().any(is_device_event) {
        return Ok((events, None));
    }
    let unverified = all.iter().filter(|d| !act::verified(d) && event_of(d).is_some()).count();
    if unverified > 0 {
        return Err(Outcome::skip(format!(
            "{unverified} deliveries of the run carry events, but none verified, so none can be attributed to the vendor (see the replay suite)"
        )));
    }
    let target = act::claim_fresh_publishing_device(cx).await?;
    let since = inbox.deliveries().len();
    let (done, _) = act::flip_status(cx, &target).await?;
    let arrived = act::wait_for_first(inbox, since, cx.budgets.event_wait, |d| {
        act::verified(d) && event_of(d).is_some_and(|ev| str_of(&ev, "event_type") != Some("ping"))
    })
    .await;
    if arrived.is_none() {
        return Err(Outcome::skip(format!(
            "no verified device event arrived within {} s of a status change (see events.health and the replay suite)",
            cx.budgets.event_wait.as_secs()
        )));
    }
    Ok((collect(&inbox.deliveries()), Some(format!("trigger: {done}"))))
}

/// EVT-2: every event's envelope matches `event.json`: `event_type`, `device_id`, `timestamp`
/// in UTC, `account_id`, `site_id`, `data` (a ping may omit the device and site).
pub async fn envelope(cx: &Context) -> Outcome {
    let inbox = match act::require_deliveries(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let (events, note) = match run_events(cx, inbox).await {
        Ok(e) => e,
        Err(outcome) => return outcome,
    };
    let mut evidence = Evidence::default();
    for (delivery, event) in &events {
        if let Err(violations) = SchemaId::Event.validate(event) {
            for v in violations {
                evidence.push_finding(finding(delivery, event, &v.instance_path, v.message));
            }
        }
    }
    let types: BTreeMap<&str, usize> = events.iter().fold(BTreeMap::new(), |mut m, (_, ev)| {
        *m.entry(str_of(ev, "event_type").unwrap_or("?")).or_default() += 1;
        m
    });
    let mix = types.iter().map(|(t, n)| format!("{n} {t}")).collect::<Vec<_>>().join(", ");
    let outcome = finish(
        evidence,
        "every event matches event.json: `event_id`, `event_type`, `timestamp` (RFC 3339, UTC), `account_id`, `data`, and `device_id` and `site_id` unless a ping",
        format!("{} events of the run ({mix}) have a valid envelope", events.len()),
        "envelope violations",
    );
    match note {
        Some(note) => outcome.with_note(note),
        None => outcome,
    }
}

/// EVT-6: every event's `account_id`, `site_id` and `device_id` name the entities inventory lists.
pub async fn ids_resolve(cx: &Context) -> Outcome {
    let inbox = match act::require_deliveries(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let (events, note) = match run_events(cx, inbox).await {
        Ok(e) => e,
        Err(outcome) => return outcome,
    };
    let sync = cx.sync().await;
    let devices = match sync.require_devices() {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let account = sync.account_id().map(str::to_owned);
    let sites: BTreeSet<&str> = sync.inventories.iter().map(|i| i.site_id.as_str()).collect();
    let site_of: BTreeMap<&str, &str> =
        devices.iter().filter_map(|d| Some((d.str_field("device_id")?, d.listed_under))).collect();
    let mut evidence = Evidence::default();
    for (delivery, event) in &events {
        if let (Some(own), Some(account)) = (str_of(event, "account_id"), &account)
            && own != account
        {
            evidence.push_finding(finding(
                delivery,
                event,
                "/account_id",
                format!("`account_id` {own} is not the credential's account {account}"),
            ));
        }
        let site = str_of(event, "site_id");
        if let Some(site) = site
            && !sites.contains(site)
        {
            evidence.push_finding(finding(
                delivery,
                event,
                "/site_id",
                format!("site {site} is not a site of the account"),
            ));
        }
        if let Some(device) = str_of(event, "device_id") {
            match site_of.get(device) {
                None => evidence.push_finding(finding(
                    delivery,
                    event,
                    "/device_id",
                    format!("device {device} is not in the inventory"),
                )),
                Some(listed) if site.is_some_and(|s| s != *listed && sites.contains(s)) => {
                    evidence.push_finding(finding(
                        delivery,
                        event,
                        "/site_id",
                        format!(
                            "device {device} is listed under site {listed}, the event names site {}",
                            site.unwrap_or_default()
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    let outcome = finish(
        evidence,
        "`account_id` is the credential's account; `site_id` and `device_id` name a site and a device of its inventory",
        format!("the ids of {} events resolve to the account's inventory", events.len()),
        "ids that do not resolve",
    );
    match note {
        Some(note) => outcome.with_note(note),
        None => outcome,
    }
}

/// The events suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        health,
        "events.health",
        "events",
        Must,
        ["EVT-1"],
        "A status change of every publishing device type publishes a `health` event with the new status",
        needs = [Inbox, Trigger]
    ),
    check!(
        families,
        "events.families",
        "events",
        Should,
        ["EVT-4"],
        "Each declared family besides health arrives with `data` matching its schema",
        needs = [Inbox, Trigger]
    ),
    check!(
        catalogue,
        "events.catalog",
        "events",
        Should,
        ["EVT-5"],
        "The event catalogue lists the event types with a description and a data schema",
        capability = "event-types"
    ),
    check!(
        envelope,
        "events.envelope",
        "events",
        Must,
        ["EVT-2"],
        "Every event of the run has the common envelope with a UTC `timestamp`",
        needs = [Inbox, Trigger]
    ),
    check!(
        ids_resolve,
        "events.ids-resolve",
        "events",
        Must,
        ["EVT-6"],
        "Every event's account, site and device ids resolve to the inventory",
        needs = [Inbox, Trigger]
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Verification;

    fn delivery(seq: u64, event: Value) -> Delivery {
        Delivery {
            seq,
            received_at_ms: 0,
            headers: vec![],
            body: event.to_string(),
            body_bytes: 0,
            verification: Verification::Valid { timestamp: None },
            event: Some(event.clone()),
            event_id: None,
            duplicate: false,
            answered: Some(200),
            path: "/webhook".into(),
        }
    }

    fn expected(device: &str) -> Expected {
        Expected {
            target: Target {
                site_id: "s".into(),
                device_id: device.into(),
                device_type: "camera".into(),
                status: "online".into(),
            },
            event_type: "health".into(),
            what: "offline".into(),
        }
    }

    #[test]
    fn strays_stand_for_missing_events_once_per_event_id() {
        let known: BTreeSet<String> = ["d1", "d2"].map(String::from).into();
        let ev = |id: &str, device: &str| json!({"event_id": id, "event_type": "health", "device_id": device, "data": {"status": "offline"}});
        let all = vec![
            delivery(0, ev("old", "d1")),
            delivery(1, ev("e1", "d1")),
            delivery(2, ev("e2", "unknown")),
            delivery(3, ev("e2", "unknown")),
        ];
        let wanted = [expected("d1"), expected("d2")];
        let a = arrivals(&all, 1, &wanted, &known);
        assert_eq!(a.matched[0].as_ref().map(|d| d.seq), Some(1));
        assert!(a.matched[1].is_none());
        assert_eq!(a.strays.len(), 1, "one stray event, however many copies");
        assert!(a.covered());
        let a = arrivals(&all[..2], 1, &wanted, &known);
        assert!(!a.covered());
    }

    #[test]
    fn family_data_is_judged_by_the_family_schema() {
        assert!(data_violations("alarm", &json!({"condition": "intrusion", "state": "active"})).is_empty());
        assert!(!data_violations("alarm", &json!({"condition": "intrusion"})).is_empty());
        assert!(!data_violations("access", &json!({"action": "opened_by_magic"})).is_empty());
        assert!(data_violations("vendor_thing", &json!({"anything": 1})).is_empty());
        assert!(!data_violations("vendor_thing", &json!("text")).is_empty());
    }

    #[test]
    fn every_canonical_family_has_valid_sample_data() {
        for family in ["alarm", "access", "video"] {
            let data = sample_data(family, None).unwrap();
            assert!(data_violations(family, &data).is_empty(), "{family}");
        }
        let entry = json!({"event_type": "intercom", "data_schema": {"examples": [{"call": "started"}]}});
        assert_eq!(sample_data("intercom", Some(&entry)), Some(json!({"call": "started"})));
        assert_eq!(sample_data("intercom", None), None);
    }
}
