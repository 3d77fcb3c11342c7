//! Schema violations shared among the checks by the field they concern, and what every check's
//! outcome carries (walk and profile notes).

use contract::SchemaId;
use serde_json::Value;

use crate::outcome::{Evidence, Exchange, Finding, Outcome};
use crate::sync::{InventorySync, ListedDevice};

/// The field a violation concerns: the first segment of its instance path, or for a missing
/// required property at the root, that property (`""` for anything else at the root).
pub(crate) fn violation_field(v: &contract::Violation) -> String {
    let path = v.instance_path.trim_start_matches('/');
    if !path.is_empty() {
        return path.split('/').next().unwrap_or_default().replace("~1", "/").replace("~0", "~");
    }
    match v.message.strip_suffix(" is a required property") {
        Some(quoted) => quoted.trim_matches('"').to_owned(),
        None => String::new(),
    }
}

/// The violations of `record` against `schema` that concern one of `fields`.
pub(crate) fn violations(schema: SchemaId, record: &Value, fields: &[&str]) -> Vec<contract::Violation> {
    match schema.validate(record) {
        Ok(()) => Vec::new(),
        Err(all) => all.into_iter().filter(|v| fields.contains(&violation_field(v).as_str())).collect(),
    }
}

/// Collects findings and the exchanges they came from, and ends as PASS or FAIL.
#[derive(Default)]
pub(crate) struct Collector {
    pub(crate) evidence: Evidence,
}

impl Collector {
    pub(crate) fn add(
        &mut self,
        subject: String,
        pointer: &str,
        message: String,
        record: &Value,
        exchange: Option<&Exchange>,
    ) {
        if self.evidence.findings.len() < crate::outcome::MAX_FINDINGS
            && let Some(exchange) = exchange
        {
            self.evidence.push_exchange(exchange);
        }
        self.evidence.push_finding(Finding {
            subject,
            pointer: pointer.to_owned(),
            message,
            record: Some(record.clone()),
            source: exchange.map(|e| e.url.clone()),
        });
    }

    pub(crate) fn device(&mut self, device: &ListedDevice<'_>, pointer: &str, message: String) {
        self.add(device.subject(), pointer, message, device.record(), device.exchange);
    }

    pub(crate) fn device_violations(&mut self, device: &ListedDevice<'_>, fields: &[&str]) {
        for v in violations(SchemaId::Device, device.record(), fields) {
            self.device(device, &v.instance_path, v.message);
        }
    }

    /// PASS with `pass` when nothing was found, else FAIL naming `what`, how many, and `rule`
    /// (the CONTRACT.md requirement broken, quoted).
    pub(crate) fn finish(self, rule: &str, expected: &str, pass: String, what: &str) -> Outcome {
        let n = self.evidence.total_findings;
        if n == 0 {
            return Outcome::pass(pass).expected(expected);
        }
        let first = self
            .evidence
            .findings
            .first()
            .map(|f| format!(": {} at `{}`: {}", f.subject, pointer_shown(&f.pointer), f.message));
        Outcome::fail(format!("{n} {what}{}. {rule}", first.unwrap_or_default()))
            .expected(expected)
            .actual(format!("{n} {what}"))
            .with_evidence(self.evidence)
    }
}

/// A read that gave no usable answer: FAIL (quoting `rule`) when the vendor's answer was the
/// problem, ERROR when the harness could not test.
pub(crate) fn unreadable(error: &crate::context::ApiError, what: &str, rule: &str) -> Outcome {
    let outcome = error.to_outcome(what);
    if outcome.status == crate::Status::Fail {
        Outcome { message: format!("{}. {rule}", outcome.message), ..outcome }
    } else {
        outcome
    }
}

fn pointer_shown(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// A failing device check also shows what the inventory walks noticed: a profile pointer that
/// matched nothing is the likeliest cause of a field every device lacks, and the message says so.
pub(crate) fn with_walk_notes(outcome: Outcome, sync: &InventorySync) -> Outcome {
    let notes = sync.inventories.iter().filter_map(|i| i.result.as_ref().ok()).flat_map(|l| l.notes.iter());
    with_profile_notes(outcome, notes)
}

/// On a FAIL: `notes` go into the evidence, and a likely profile mistake among them (a pointer
/// that matched nothing on any record) is named in the message, as the profile's, not the vendor's.
pub(crate) fn with_profile_notes<'n>(mut outcome: Outcome, notes: impl IntoIterator<Item = &'n String>) -> Outcome {
    if outcome.status != crate::Status::Fail {
        return outcome;
    }
    let notes: Vec<&String> = notes.into_iter().collect();
    for note in &notes {
        if !outcome.evidence.notes.contains(note) {
            outcome.evidence.notes.push((*note).clone());
        }
    }
    let mistakes = crate::sync::profile_mistakes(notes);
    if let Some(first) = mistakes.first() {
        let more = match mistakes.len() {
            1 => String::new(),
            n => format!(" (and {} more, in the notes)", n - 1),
        };
        outcome.message = format!("{}. Likely a profile mistake: {first}{more}", outcome.message);
    }
    outcome
}

/// Runs `f` over every device, or ends with the missing precondition.
pub(crate) fn over_devices(
    sync: &InventorySync,
    mut f: impl FnMut(&mut Collector, &ListedDevice<'_>),
) -> Result<(Collector, usize), Outcome> {
    let devices = sync.require_devices()?;
    let mut c = Collector::default();
    for device in &devices {
        f(&mut c, device);
    }
    Ok((c, devices.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{DEVICE_MAC, DEVICE_OPTIONAL, DEVICE_REQUIRED, DEVICE_STATUS};

    #[test]
    fn violations_are_attributed_to_fields() {
        let device = serde_json::json!({"device_id": "d", "name": "n", "type": "camera", "mac_address": "nope"});
        let fields = |owned: &[&str]| -> Vec<String> {
            violations(SchemaId::Device, &device, owned).iter().map(violation_field).collect()
        };
        assert_eq!(fields(DEVICE_REQUIRED), ["site_id"]);
        assert_eq!(fields(DEVICE_STATUS), ["status"]);
        assert_eq!(fields(DEVICE_MAC), ["mac_address"]);
        assert!(fields(DEVICE_OPTIONAL).is_empty());
    }
}
