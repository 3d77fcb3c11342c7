//! The events suite (EVT-1, EVT-2, EVT-4 … EVT-6): health events for every publishing device
//! type, the other declared families, the event catalogue, every event's envelope, and ids that
//! resolve to inventory.
//!
//! The checks make devices act through the trigger (`act`) and judge what reaches the receiver.
//! Envelopes and ids are judged over every authentic delivery of the run so far (other suites'
//! events included), so a vendor is held to the contract on every event it sent, not only on the
//! ones this suite asked for. Every distinct body counts, not one per `event_id`: a vendor that
//! reuses an id for another event must not hide that event's envelope behind the first. A
//! delivery whose signature is right counts even when the receiver refused it for its timestamp
//! (that is SIG-2's finding, not a reason to ignore the event); forged or unsigned ones are left
//! out, as their content cannot be attributed to the vendor (the replay suite judges signatures).
//!
//! EVT-2 judges the envelope only (`event.json`). Inside `data` the contract defines `status` of
//! `health` (EVT-1) and nothing else: an `alarm`, `access` or `video` event's `data` is judged
//! against the `data_schema` the vendor declares for it in its catalogue (EVT-4, EVT-5), as an
//! advisory. The project's `event-data-<family>.json` are suggestions, shown as a hint when a
//! vendor declares no schema, never a failure.
//!
//! An event is matched to the change that caused it by `device_id` and `event_type`. When events
//! arrive that name a device the inventory does not list, they are counted for the changes that
//! got no event of their own, so a vendor that mislabels devices fails EVT-6 (ids), not EVT-1.

use std::collections::{BTreeMap, BTreeSet};

use contract::{DeclaredSchema, EventFamily, SchemaId, SignatureFormat};
use serde_json::{Value, json};

use crate::Check;
use crate::act::{self, Target};
use crate::context::{Action, Context, Delivery, Inbox, Probe, Verification};
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

/// PASS with `pass` when nothing was found, else FAIL naming `what` and quoting `requirement`,
/// the CONTRACT.md text the findings break.
fn finish(evidence: Evidence, expected: &str, pass: String, what: &str, requirement: &str) -> Outcome {
    let n = evidence.total_findings;
    if n == 0 {
        return Outcome::pass(pass).expected(expected).with_evidence(evidence);
    }
    let first = evidence.findings.first().map(|f| format!(": {} at `{}`: {}", f.subject, f.pointer, f.message));
    Outcome::fail(format!("{requirement}; {n} {what}{}", first.unwrap_or_default()))
        .expected(expected)
        .actual(format!("{n} {what}"))
        .with_evidence(evidence)
}

/// The vendor's event catalogue entries, when `GET event-types` answers one.
pub(crate) async fn catalogue_entries(cx: &Context) -> Option<Vec<Value>> {
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
    cx.waiting(&format!("{} expected event(s)", expected.len()), cx.budgets.event_wait);
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

/// Data a family's event is raised with: the first example of the `data_schema` the vendor
/// declares, else the project's suggestion for the canonical families.
pub(crate) fn sample_data(family: &str, entry: Option<&Value>) -> Option<Value> {
    if let Some(example) = entry.and_then(|e| e.pointer("/data_schema/examples/0")) {
        return Some(example.clone());
    }
    match EventFamily::parse(family) {
        Some(EventFamily::Alarm) => {
            Some(json!({"condition": "intrusion", "state": "active", "severity": "major", "zone": "Zone 1"}))
        }
        Some(EventFamily::Access) => Some(json!({"action": "door_forced"})),
        Some(EventFamily::Video) => Some(json!({"condition": "stream_loss", "state": "active"})),
        Some(EventFamily::Health) => Some(json!({"status": "offline"})),
        Some(EventFamily::Ping) => Some(json!({})),
        None => None,
    }
}

/// Device types that most plausibly raise a family (used when the catalogue does not say).
pub(crate) fn likely_types(family: &str) -> &'static [&'static str] {
    match family {
        "alarm" => &["intrusion_panel", "access_panel"],
        "access" => &["door", "reader", "access_panel"],
        "video" => &["camera", "nvr"],
        _ => &[],
    }
}

/// How a family's `data` is judged: against what the vendor declares (EVT-5), or, when it
/// declares nothing usable, not at all (with the project's suggestion as a hint).
#[derive(Debug)]
enum DataRule {
    Declared(DeclaredSchema),
    /// The catalogue entry has a `data_schema` that does not compile (EVT-5's finding).
    Broken(String),
    /// No catalogue, no entry for the family, or an entry without `data_schema`.
    Undeclared,
}

impl DataRule {
    fn of(entry: Option<&Value>) -> Self {
        match entry.and_then(|e| e.get("data_schema")) {
            None | Some(Value::Null) => Self::Undeclared,
            Some(schema) => match DeclaredSchema::compile(schema) {
                Ok(declared) => Self::Declared(declared),
                Err(e) => Self::Broken(e.to_string()),
            },
        }
    }
}

/// A family's `data` against the schema the vendor declares for it: (pointer, message) for each
/// violation. `data` that is not an object is EVT-2's finding (`events.envelope`), not this one's.
fn data_violations(rule: &DataRule, data: &Value) -> Vec<(String, String)> {
    match rule {
        DataRule::Declared(schema) => match schema.validate(data) {
            Ok(()) => Vec::new(),
            Err(all) => all.into_iter().map(|v| (format!("/data{}", v.instance_path), v.message)).collect(),
        },
        DataRule::Broken(_) | DataRule::Undeclared => Vec::new(),
    }
}

/// Where `data` departs from the project's suggested schema for a canonical family, as a hint.
fn suggestion_hint(family: &str, data: &Value) -> Option<String> {
    let id = SchemaId::for_event_data(EventFamily::parse(family)?);
    let violations = id.validate(data).err()?;
    Some(format!(
        "`{family}` `data` differs from the project's suggested schema (`schemas/{}`, not a requirement): {}",
        id.file_name(),
        violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    ))
}

/// EVT-4, EVT-5: every declared family besides `health` is raised through the trigger and arrives
/// with `data` matching the `data_schema` the vendor's catalogue declares for it.
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
    let mut undeclared = BTreeSet::new();
    for (e, delivery) in expected.iter().zip(&arrived.matched) {
        let Some(delivery) = delivery else { continue };
        let event = event_of(delivery).unwrap_or(Value::Null);
        let data = event.get("data").unwrap_or(&Value::Null);
        let rule = DataRule::of(entry_of(&e.event_type));
        match &rule {
            DataRule::Broken(why) => evidence.push_finding(finding(
                delivery,
                &event,
                "/data",
                format!(
                    "EVT-5: the catalogue declares a `data_schema` for `{}` that cannot judge it: {why}",
                    e.event_type
                ),
            )),
            DataRule::Undeclared => {
                if undeclared.insert(e.event_type.clone()) {
                    notes.push(format!(
                        "`{}` `data` not judged: the vendor's catalogue declares no `data_schema` for it (EVT-5), and the \
                         contract defines none (EVT-4)",
                        e.event_type
                    ));
                    notes.extend(suggestion_hint(&e.event_type, data));
                }
            }
            DataRule::Declared(_) => {}
        }
        for (pointer, message) in data_violations(&rule, data) {
            evidence.push_finding(finding(
                delivery,
                &event,
                &pointer,
                format!(
                    "`data` does not match the `data_schema` the vendor's catalogue declares for `{}`: {message}",
                    e.event_type
                ),
            ));
        }
    }
    let strays_cover = arrived.covered();
    if !strays_cover {
        for (e, _) in expected.iter().zip(&arrived.matched).filter(|(_, m)| m.is_none()) {
            evidence.push_finding(Finding {
                subject: format!("device {} ({})", e.target.device_id, e.target.device_type),
                pointer: String::new(),
                message: format!(
                    "EVT-4: declared families use the same envelope and are published; asked to raise `{}` with data {}, \
                     no such event arrived within {} s",
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
        "each declared family arrives in the common envelope with `data` matching the `data_schema` its catalogue entry declares (EVT-4, EVT-5)",
        format!("{} events arrived, their `data` as the vendor declares it", raised.join(", ")),
        "family problems",
        "EVT-4/EVT-5: more families use the same envelope, and a family's `data` is judged against the \
         `data_schema` the vendor's catalog declares for it",
    );
    if let Some(note) = stray_note(&arrived).filter(|_| strays_cover) {
        outcome = outcome.with_note(note);
    }
    for note in notes {
        outcome = outcome.with_note(note);
    }
    outcome.with_note(format!("trigger: {}", done.join("; ")))
}

/// The event types a catalogue lists, and what is wrong with it as (pointer, message): its shape
/// (`event-types.json`), a `data_schema` that does not compile (it is what the family's `data` is
/// judged by, EVT-4), no `health`.
fn catalogue_problems(doc: &Value) -> (BTreeSet<String>, Vec<(String, String)>) {
    let mut problems: Vec<(String, String)> = match SchemaId::EventTypes.validate(doc) {
        Ok(()) => Vec::new(),
        Err(violations) => violations.into_iter().map(|v| (v.instance_path, v.message)).collect(),
    };
    let entries = doc.get("event_types").and_then(Value::as_array).cloned().unwrap_or_default();
    let listed: BTreeSet<String> =
        entries.iter().filter_map(|e| e.get("event_type")?.as_str().map(str::to_owned)).collect();
    for (i, entry) in entries.iter().enumerate() {
        if let Some(schema) = entry.get("data_schema").filter(|s| !s.is_null())
            && let Err(e) = DeclaredSchema::compile(schema)
        {
            let name = entry.get("event_type").and_then(Value::as_str).unwrap_or("?");
            problems.push((
                format!("/event_types/{i}/data_schema"),
                format!("the `data_schema` of `{name}` cannot judge its `data`: {e}"),
            ));
        }
    }
    if !listed.contains("health") {
        problems.push((
            "/event_types".into(),
            "the catalogue does not list `health` (EVT-1: health events are published)".into(),
        ));
    }
    (listed, problems)
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
        return Outcome::fail(format!(
            "EVT-5: the vendor publishes an event catalog (`GET /api/v1/event-types`); `GET event-types` answered {}",
            answer.status
        ))
        .expected(expected)
        .actual(answer.status.to_string())
        .with_exchange(&answer.exchange);
    }
    let Some(doc) = answer.json.clone().map(|doc| cx.api.canonical_catalogue(doc)) else {
        return Outcome::fail(
            "EVT-5: the vendor publishes an event catalog, `{\"event_types\": [...]}`; `GET event-types` answered a \
             body that is not JSON",
        )
        .expected(expected)
        .with_exchange(&answer.exchange);
    };
    let mut evidence = Evidence::default();
    evidence.push_exchange(&answer.exchange);
    let (listed, problems) = catalogue_problems(&doc);
    for (pointer, message) in problems {
        evidence.push_finding(Finding {
            subject: "event catalogue".into(),
            pointer,
            message,
            record: None,
            source: Some(answer.exchange.url.clone()),
        });
    }
    let mut outcome = finish(
        evidence,
        expected,
        format!("the catalogue lists {}", listed.iter().cloned().collect::<Vec<_>>().join(", ")),
        "catalogue problems",
        "EVT-5: the vendor publishes an event catalog, `GET /api/v1/event-types` → \
         `{\"event_types\": [{\"event_type\", \"description\", \"data_schema\"}]}`",
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

/// Whether a delivery's content can be attributed to the vendor: it verified, or its signature
/// is right and only its timestamp kept the receiver from accepting it (SIG-2's finding), or it
/// is signed over the body alone where the format binds the timestamp (SIG-3's).
fn authentic(inbox: &dyn Inbox, format: Option<&SignatureFormat>, delivery: &Delivery) -> bool {
    if act::verified(delivery) {
        return true;
    }
    let Some(format) = format else { return false };
    [format.without_window(), format.body_only().without_window()]
        .iter()
        .any(|f| matches!(inbox.verify_with(delivery, f, None), Verification::Valid { .. }))
}

/// The deliveries in `all` that carry an event and are `authentic`, one per distinct body.
fn distinct_events(all: &[Delivery], authentic: impl Fn(&Delivery) -> bool) -> Vec<(Delivery, Value)> {
    let mut seen = BTreeSet::new();
    all.iter()
        .filter_map(|d| Some((d, event_of(d)?)))
        .filter(|(d, _)| authentic(d))
        .filter(|(d, _)| seen.insert(d.body.clone()))
        .map(|(d, ev)| (d.clone(), ev))
        .collect()
}

/// Every authentic delivery of the run that carries an event, one per distinct body: retries and
/// copies for other webhooks are byte-identical (DLV-2), while another event under a reused
/// `event_id` is not, so it is judged too. When none is a device event yet, the check makes one
/// happen.
async fn run_events(cx: &Context, inbox: &dyn Inbox) -> Result<(Vec<(Delivery, Value)>, Option<String>), Outcome> {
    let format = cx.signature.as_ref();
    let collect = |all: &[Delivery]| distinct_events(all, |d| authentic(inbox, format, d));
    let is_device_event = |(_, ev): &(Delivery, Value)| str_of(ev, "event_type") != Some("ping");
    let all = inbox.deliveries();
    let events = collect(&all);
    if events.iter().any(is_device_event) {
        return Ok((events, None));
    }
    let unverified = all.iter().filter(|d| event_of(d).is_some() && !authentic(inbox, format, d)).count();
    if unverified > 0 {
        return Err(Outcome::skip(format!(
            "{unverified} deliveries of the run carry events, but none has a signature that verifies, so none can be \
             attributed to the vendor (see replay.signature)"
        )));
    }
    let target = act::claim_fresh_publishing_device(cx).await?;
    let since = inbox.deliveries().len();
    let (done, _) = act::flip_status(cx, &target).await?;
    cx.waiting(&format!("an event of device {}", target.device_id), cx.budgets.event_wait);
    let arrived = act::wait_for_first(inbox, since, cx.budgets.event_wait, |d| {
        event_of(d).is_some_and(|ev| str_of(&ev, "event_type") != Some("ping")) && authentic(inbox, format, d)
    })
    .await;
    if arrived.is_none() {
        return Err(Outcome::skip(format!(
            "no device event with a signature that verifies arrived within {} s of a status change (see events.health \
             and replay.signature)",
            cx.budgets.event_wait.as_secs()
        )));
    }
    Ok((collect(&inbox.deliveries()), Some(format!("trigger: {done}"))))
}

/// EVT-2: every event's envelope matches `event.json`: `event_type`, `device_id`, `timestamp`
/// in UTC, `account_id`, `site_id`, `data` (a ping may omit the device and site). Nothing inside
/// `data` but a health event's `status` (EVT-1); no `event_id` (EVT-3, `delivery.event-id`).
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
        for (pointer, message) in envelope_violations(event) {
            evidence.push_finding(finding(delivery, event, &pointer, message));
        }
    }
    let types: BTreeMap<&str, usize> = events.iter().fold(BTreeMap::new(), |mut m, (_, ev)| {
        *m.entry(str_of(ev, "event_type").unwrap_or("?")).or_default() += 1;
        m
    });
    let mix = types.iter().map(|(t, n)| format!("{n} {t}")).collect::<Vec<_>>().join(", ");
    let mut outcome = finish(
        evidence,
        "every event carries `event_type`, `timestamp` (RFC 3339, UTC) and `account_id`; every device event also \
         `device_id`, `site_id` and `data` (a health event's with `status`); a ping may omit `device_id` and `site_id`",
        format!("{} events of the run ({mix}) have a valid envelope", events.len()),
        "envelope violations",
        "EVT-2: every device event carries `event_type`, `device_id`, `timestamp` (RFC 3339 in UTC), `account_id`, \
         `site_id`; `data` holds the family's attributes (a `ping` carries `event_id`, `event_type`, `timestamp`, \
         `account_id`)",
    );
    let without_id = events.iter().filter(|(_, ev)| ev.get("event_id").is_none()).count();
    if without_id > 0 {
        outcome = outcome.with_note(format!(
            "{without_id} events carry no `event_id`: EVT-3 (SHOULD), judged by delivery.event-id, not part of the envelope"
        ));
    }
    match note {
        Some(note) => outcome.with_note(note),
        None => outcome,
    }
}

/// Where an event departs from the envelope (`event.json`), as (pointer, message).
fn envelope_violations(event: &Value) -> Vec<(String, String)> {
    match SchemaId::Event.validate(event) {
        Ok(()) => Vec::new(),
        Err(all) => all.into_iter().map(|v| (v.instance_path, v.message)).collect(),
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
        "EVT-6: event ids (`account_id`, `site_id`, `device_id`) resolve to the same entities the inventory API lists",
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
        ["EVT-4", "EVT-5"],
        "Each declared family besides health arrives, its `data` matching the schema the vendor's catalogue declares",
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
    fn family_data_is_judged_by_what_the_vendor_declares() {
        let declared = |schema: Value| DataRule::of(Some(&json!({"event_type": "access", "data_schema": schema})));
        // The vendor's own attributes: an access event with no `action`, an alarm severity `high`.
        let own = declared(
            json!({"type": "object", "required": ["result"], "properties": {"severity": {"enum": ["high", "low"]}}}),
        );
        assert!(data_violations(&own, &json!({"result": "granted", "severity": "high"})).is_empty());
        let wrong = data_violations(&own, &json!({"action": "granted", "severity": "major"}));
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        assert!(wrong.iter().any(|(p, _)| p == "/data/severity"), "{wrong:?}");
        // Nothing declared: nothing judged, whatever the project would suggest.
        assert!(matches!(DataRule::of(None), DataRule::Undeclared));
        assert!(matches!(DataRule::of(Some(&json!({"event_type": "access"}))), DataRule::Undeclared));
        assert!(data_violations(&DataRule::Undeclared, &json!({"opened_by": "magic"})).is_empty());
        assert!(suggestion_hint("access", &json!({"opened_by": "magic"})).unwrap().contains("event-data-access.json"));
        assert_eq!(suggestion_hint("intercom", &json!({})), None);
        // A declaration that does not compile is reported as such, not a crash.
        assert!(matches!(declared(json!({"type": 7})), DataRule::Broken(_)));
    }

    #[test]
    fn a_catalogue_data_schema_that_does_not_compile_is_an_evt_5_problem() {
        let entry = |name: &str, schema: Value| json!({"event_type": name, "description": "d", "data_schema": schema});
        let good = json!({"event_types": [entry("health", json!({"type": "object"})), entry("access", json!({"required": ["result"]}))]});
        let (listed, problems) = catalogue_problems(&good);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(listed.len(), 2);
        let broken = json!({"event_types": [entry("health", json!({"type": "object"})), entry("alarm", json!({"type": "severe"}))]});
        let (_, problems) = catalogue_problems(&broken);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "/event_types/1/data_schema");
        assert!(problems[0].1.contains("`alarm`"), "{problems:?}");
    }

    #[test]
    fn the_envelope_is_judged_without_family_attributes_or_event_id() {
        let ev = |event_type: &str, data: Value| {
            json!({"event_id": "e", "event_type": event_type, "device_id": "d", "site_id": "s", "account_id": "a",
                   "timestamp": "2026-02-04T14:32:00.123Z", "data": data})
        };
        assert!(envelope_violations(&ev("access", json!({"result": "granted"}))).is_empty(), "no `action` needed");
        assert!(envelope_violations(&ev("alarm", json!({"severity": "high"}))).is_empty(), "any severity");
        assert!(envelope_violations(&ev("intercom", json!({}))).is_empty());
        let mut no_id = ev("health", json!({"status": "offline"}));
        no_id.as_object_mut().unwrap().remove("event_id");
        assert!(envelope_violations(&no_id).is_empty(), "a missing event_id is EVT-3's, not EVT-2's");
        let ping =
            json!({"event_id": "p", "event_type": "ping", "timestamp": "2026-02-04T14:32:00Z", "account_id": "a"});
        assert!(envelope_violations(&ping).is_empty(), "{:?}", envelope_violations(&ping));
        let mut no_site = ev("alarm", json!({}));
        no_site.as_object_mut().unwrap().remove("site_id");
        assert!(!envelope_violations(&no_site).is_empty());
        assert!(!envelope_violations(&ev("health", json!({"state": "offline"}))).is_empty(), "EVT-1's `status`");
        assert!(!envelope_violations(&ev("video", json!("lost"))).is_empty(), "`data` is an object");
    }

    #[test]
    fn a_reused_event_id_does_not_hide_another_event() {
        let first = json!({"event_id": "e1", "event_type": "health", "device_id": "d", "data": {"status": "offline"}});
        let other = json!({"event_id": "e1", "event_type": "alarm", "device_id": "d", "data": {}});
        let all =
            vec![delivery(0, first.clone()), delivery(1, first), delivery(2, other), delivery(3, json!({"x": 1}))];
        let events = distinct_events(&all, |_| true);
        let seqs: Vec<u64> = events.iter().map(|(d, _)| d.seq).collect();
        assert_eq!(seqs, [0, 2], "a retry is one event; another event under its id is another");
        assert_eq!(distinct_events(&all, |d| d.seq != 0).iter().map(|(d, _)| d.seq).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn every_canonical_family_has_sample_data_in_the_suggested_shape() {
        for family in ["alarm", "access", "video"] {
            let data = sample_data(family, None).unwrap();
            assert_eq!(suggestion_hint(family, &data), None, "{family}");
        }
        let entry = json!({"event_type": "intercom", "data_schema": {"examples": [{"call": "started"}]}});
        assert_eq!(sample_data("intercom", Some(&entry)), Some(json!({"call": "started"})));
        assert_eq!(sample_data("intercom", None), None);
        let own = json!({"event_type": "access", "data_schema": {"examples": [{"result": "granted"}]}});
        assert_eq!(sample_data("access", Some(&own)), Some(json!({"result": "granted"})), "the vendor's example first");
    }
}
