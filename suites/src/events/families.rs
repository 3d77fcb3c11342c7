//! EVT-4: the other declared families (`alarm`, `access`, `video`): each raised on a device of a
//! type that plausibly emits it, its `data` judged against the schema the vendor declares.

use std::collections::BTreeSet;

use contract::{DeclaredSchema, EventFamily, SchemaId};
use serde_json::{Value, json};

use super::catalogue::catalogue_entries;
use super::health::{Expected, await_events, known_devices, stray_note};
use super::{event_of, finding, finish};
use crate::act;
use crate::context::{Action, Context};
use crate::outcome::{Evidence, Finding, Outcome};

/// Data a family's event is raised with: the first example of the `data_schema` the vendor
/// declares, else the project's suggestion for the canonical families.
pub(crate) fn example_data(family: &str, entry: Option<&Value>) -> Option<Value> {
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
pub(crate) enum DataRule {
    Declared(DeclaredSchema),
    /// The catalogue entry has a `data_schema` that does not compile (EVT-5's finding).
    Broken(String),
    /// No catalogue, no entry for the family, or an entry without `data_schema`.
    Undeclared,
}

impl DataRule {
    pub(crate) fn of(entry: Option<&Value>) -> Self {
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
pub(crate) fn data_violations(rule: &DataRule, data: &Value) -> Vec<(String, String)> {
    match rule {
        DataRule::Declared(schema) => match schema.validate(data) {
            Ok(()) => Vec::new(),
            Err(all) => all.into_iter().map(|v| (format!("/data{}", v.instance_path), v.message)).collect(),
        },
        DataRule::Broken(_) | DataRule::Undeclared => Vec::new(),
    }
}

/// Where `data` departs from the project's suggested schema for a canonical family, as a hint.
pub(crate) fn suggestion_hint(family: &str, data: &Value) -> Option<String> {
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
        let Some(data) = example_data(family, entry) else {
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
