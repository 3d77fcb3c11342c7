//! EVT-5: the event catalogue, `GET /event-types`, read and judged.

use std::collections::BTreeSet;

use contract::{DeclaredSchema, SchemaId};
use serde_json::Value;

use super::finish;
use crate::act;
use crate::context::{Context, Probe};
use crate::outcome::{Evidence, Finding, Outcome};

/// The vendor's event catalogue entries, when `GET event-types` answers one.
pub(crate) async fn catalogue_entries(cx: &Context) -> Option<Vec<Value>> {
    let answer = cx.api.probe(Probe::get(&cx.endpoints().event_types)).await.ok()?;
    if !answer.is_success() {
        return None;
    }
    cx.api.canonical_catalogue(answer.json?).get("event_types")?.as_array().cloned()
}

/// The event types a catalogue lists, and what is wrong with it as (pointer, message): its shape
/// (`event-types.json`), a `data_schema` that does not compile (it is what the family's `data` is
/// judged by, EVT-4), no `health`.
pub(crate) fn catalogue_problems(doc: &Value) -> (BTreeSet<String>, Vec<(String, String)>) {
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
    let answer = match cx.api.probe(Probe::get(&cx.endpoints().event_types)).await {
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
