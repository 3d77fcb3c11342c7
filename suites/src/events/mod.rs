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
//!
//! Cut by job: `health` (EVT-1), `families` (EVT-4), `catalogue` (EVT-5), `run` (every event of the
//! run: envelope, EVT-2, and ids, EVT-6); this file holds what they share (an event's fields,
//! findings, the outcome) and `CHECKS`.

mod catalogue;
mod families;
mod health;
mod run;
#[cfg(test)]
mod tests;

pub use catalogue::catalogue;
pub(crate) use catalogue::catalogue_entries;
pub use families::families;
pub(crate) use families::{example_data, likely_types};
pub use health::health;
pub use run::{envelope, ids_resolve};

use serde_json::Value;

use crate::Check;
use crate::act;
use crate::context::Delivery;
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
