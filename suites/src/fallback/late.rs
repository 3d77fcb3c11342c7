//! FB-2, EVT-2: retried events keep their id and change time, the times order the changes, and the
//! reference consumer ends at the newest status whatever order the events come in.

use std::time::Duration;

use serde_json::Value;

use super::FB_2;
use super::poll::{accepted, consumer_not_knowing, is_change, receiver_and_device, recover};
use crate::act::{self, Target};
use crate::context::{Context, Delivery, ReceiverAnswer};
use crate::outcome::{Evidence, Finding, Outcome};

/// The attempts of one event, as the receiver got them.
struct Attempts<'a> {
    status: &'a str,
    all: Vec<Delivery>,
}

impl Attempts<'_> {
    fn event(&self, delivery: &Delivery) -> Value {
        act::body_json(delivery).unwrap_or(Value::Null)
    }

    /// The last attempt the receiver accepted, else the last attempt.
    fn processed(&self) -> Option<Value> {
        self.all.iter().rev().find(|d| accepted(d)).or(self.all.last()).map(|d| self.event(d))
    }

    fn timestamp_ms(&self) -> Option<i64> {
        let first = self.all.first()?;
        contract::parse_rfc3339_millis(self.event(first).get("timestamp")?.as_str()?)
    }
}

/// One line per event: each attempt's arrival (relative to recovery), answer and timestamp.
fn attempts_note(target: &Target, attempts: &Attempts<'_>, recovered_at_ms: i64) -> String {
    let list: Vec<String> = attempts
        .all
        .iter()
        .map(|d| {
            let ts = attempts.event(d).get("timestamp").and_then(Value::as_str).unwrap_or("no timestamp").to_owned();
            let answered = d.answered.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
            let verified = if act::verified(d) { "" } else { ", unverified" };
            format!("#{} at {:+} ms: {answered}{verified}, timestamp {ts}", d.seq, d.received_at_ms - recovered_at_ms)
        })
        .collect();
    format!(
        "attempts of device {}'s event going {} (times from recovery): {}",
        target.device_id,
        attempts.status,
        list.join("; ")
    )
}

/// Findings about one event's attempts: within each webhook (path), every attempt carries the
/// first attempt's `event_id` and `timestamp`.
fn attempt_findings(target: &Target, attempts: &Attempts<'_>, evidence: &mut Evidence) {
    let mut paths: Vec<&str> = attempts.all.iter().map(|d| d.path.as_str()).collect();
    paths.dedup();
    paths.sort_unstable();
    paths.dedup();
    for path in paths {
        let mine: Vec<&Delivery> = attempts.all.iter().filter(|d| d.path == path).collect();
        let Some(first) = mine.first() else { continue };
        let first_event = attempts.event(first);
        for (n, d) in mine.iter().enumerate().skip(1) {
            let event = attempts.event(d);
            for (field, what) in [
                ("timestamp", "it is when the event was sent, not when the change happened (EVT-2)"),
                ("event_id", "a consumer cannot recognise the retry as the same event (FB-2)"),
            ] {
                if event.get(field) != first_event.get(field) {
                    evidence.push_finding(Finding {
                        subject: format!(
                            "device {} going {} (attempt {} at {path})",
                            target.device_id,
                            attempts.status,
                            n + 1
                        ),
                        pointer: format!("/{field}"),
                        message: format!(
                            "`{field}` was {} on the first attempt and {} on attempt {}: {what}",
                            first_event.get(field).unwrap_or(&Value::Null),
                            event.get(field).unwrap_or(&Value::Null),
                            n + 1
                        ),
                        record: Some(event.clone()),
                        source: Some(path.to_owned()),
                    });
                }
            }
        }
    }
}

/// FB-2, EVT-2: retried events keep their id and change time, the times order the changes, and
/// the reference consumer ends at the newest status whatever order the events come in.
pub async fn late_events(cx: &Context) -> Outcome {
    let (inbox, target) = match receiver_and_device(cx).await {
        Ok(got) => got,
        Err(outcome) => return outcome,
    };
    let since = inbox.deliveries().len();
    inbox.answer_for(ReceiverAnswer::ServerError, cx.budgets.outage);
    let mut changes: Vec<(String, String)> = Vec::new();
    let mut current = target.clone();
    for _ in 0..2 {
        match act::flip_status(cx, &current).await {
            Ok((done, status)) => {
                // Wait for the first (failed) attempt, and until the harness's clock is past its
                // timestamp, so the second change happens at a later instant (a vendor stamping
                // whole seconds can still tie: that is reported, not failed).
                let first = |d: &Delivery| is_change(d, &target, &status);
                cx.waiting(
                    &format!("the first (failed) attempt of the change of device {}", target.device_id),
                    cx.budgets.outage,
                );
                let Some(attempt) = act::wait_for_first(inbox, since, cx.budgets.outage, first).await else {
                    recover(inbox);
                    return Outcome::skip(format!(
                        "no `health` event of device {} going {status} arrived within {} s, so there is no retry to judge (see events.health)",
                        target.device_id,
                        cx.budgets.outage.as_secs_f64()
                    ))
                    .with_note(format!("trigger: {done}"));
                };
                let stamped = act::body_json(&attempt)
                    .and_then(|b| contract::parse_rfc3339_millis(b.get("timestamp")?.as_str()?));
                if let Some(stamped) = stamped {
                    let ahead = Duration::from_millis((stamped + 1 - contract::unix_now_ms()).clamp(0, 1_000) as u64);
                    tokio::time::sleep(ahead).await;
                }
                current.status = status.clone();
                changes.push((done, status));
            }
            Err(outcome) => {
                recover(inbox);
                return outcome;
            }
        }
    }
    recover(inbox);
    let recovered_at = contract::unix_now_ms();
    let (older, newer) = (changes[0].1.clone(), changes[1].1.clone());
    let horizon = cx.budgets.event_wait.min(cx.budgets.retry_horizon);
    // For both events, an attempt the receiver answered as usual again: accepted, or (after
    // recovery) refused for its signature, which the replay suite judges.
    let normal =
        |d: &Delivery| accepted(d) || (d.received_at_ms >= recovered_at && d.answered.is_some_and(|s| s < 500));
    let both = |all: &[Delivery]| {
        [&older, &newer].iter().all(|s| all.iter().skip(since).any(|d| normal(d) && is_change(d, &target, s)))
    };
    cx.waiting(&format!("both changes of device {} after the outage (retries)", target.device_id), horizon);
    inbox.wait_for(&both, horizon).await;
    let attempts_of =
        |status| Attempts { status, all: act::arrived_since(inbox, since, |d| is_change(d, &target, status)) };
    let (first, second) = (attempts_of(&older), attempts_of(&newer));
    for a in [&first, &second] {
        if a.all.is_empty() {
            return Outcome::skip(format!(
                "no `health` event of device {} going {} arrived within {} s (see events.health)",
                target.device_id,
                a.status,
                horizon.as_secs()
            ));
        }
    }
    let mut evidence = Evidence::default();
    let id_of =
        |a: &Attempts<'_>| a.all.first().and_then(|d| act::body_json(d)?.get("event_id")?.as_str().map(str::to_owned));
    match (id_of(&first), id_of(&second)) {
        (Some(a), Some(b)) if a == b => evidence.push_finding(Finding {
            subject: format!("device {}", target.device_id),
            pointer: "/event_id".into(),
            message: format!(
                "the changes to {older} and to {newer} carry the same `event_id` {a}: a consumer drops the newer one as a duplicate (EVT-3, DLV-6)"
            ),
            record: second.processed(),
            source: None,
        }),
        (None, _) | (_, None) => evidence.push_finding(Finding {
            subject: format!("device {}", target.device_id),
            pointer: "/event_id".into(),
            message: "the events carry no `event_id`: a consumer cannot tell a retry or a replay from a new event (EVT-3)".into(),
            record: first.processed(),
            source: None,
        }),
        _ => {}
    }
    attempt_findings(&target, &first, &mut evidence);
    attempt_findings(&target, &second, &mut evidence);
    let mut notes = Vec::new();
    match (first.timestamp_ms(), second.timestamp_ms()) {
        (Some(t1), Some(t2)) if t1 > t2 => evidence.push_finding(Finding {
            subject: format!("device {}", target.device_id),
            pointer: "/timestamp".into(),
            message: format!("the change to {newer} is stamped {} ms before the earlier change to {older}", t1 - t2),
            record: second.processed(),
            source: None,
        }),
        (Some(t1), Some(t2)) if t1 == t2 => {
            notes.push("both changes carry the same timestamp, so no consumer can order them: ordering was not judged (millisecond precision is recommended, EVT-2)".to_owned());
        }
        (Some(_), Some(_)) => {}
        _ => evidence.push_finding(Finding {
            subject: format!("device {}", target.device_id),
            pointer: "/timestamp".into(),
            message: "an event's `timestamp` is not RFC 3339, so the changes cannot be ordered".into(),
            record: first.processed(),
            source: None,
        }),
    }
    // The integrator's view: newest first (a late retry or a replay of the older event after
    // the newer), and in the order the receiver accepted them.
    let mut newest_first = consumer_not_knowing(&target);
    for event in [second.processed(), first.processed(), first.processed()].into_iter().flatten() {
        newest_first.apply(&event);
    }
    let mut ways = vec![("newest first, then the older one replayed", newest_first)];
    let verified: Vec<Delivery> = act::arrived_since(inbox, since, |d| {
        accepted(d) && act::verified(d) && act::is_event(d, "health", &target.device_id)
    });
    if verified.is_empty() {
        notes.push("no verified delivery was accepted, so the consumer was not fed in arrival order (signatures are judged by the replay suite)".to_owned());
    } else {
        let mut arrival = consumer_not_knowing(&target);
        for d in &verified {
            arrival.deliver(d);
        }
        ways.push(("in the order they were accepted", arrival));
    }
    let tie = first.timestamp_ms().is_some() && first.timestamp_ms() == second.timestamp_ms();
    for (how, consumer) in ways.iter().filter(|_| !tie) {
        let held = consumer.status(&target.device_id).unwrap_or("nothing");
        if held != newer {
            evidence.push_finding(Finding {
                subject: format!("device {}", target.device_id),
                pointer: String::new(),
                message: format!(
                    "fed the events {how}, the reference consumer ends with {held}, not the newest status {newer}"
                ),
                record: None,
                source: None,
            });
        }
    }
    // The observed attempts explain a failure (a passing run's timings would only add noise).
    if evidence.total_findings > 0 {
        for a in [&first, &second] {
            notes.push(attempts_note(&target, a, recovered_at));
        }
    }
    let n = first.all.len() + second.all.len();
    let mut outcome = if evidence.total_findings == 0 {
        Outcome::pass(format!(
            "device {} went {older} then {newer} while the receiver answered 500: across {n} attempts each event kept its id and change time, and the reference consumer ends at {newer} in any order",
            target.device_id
        ))
        .with_evidence(evidence)
    } else {
        let first = evidence.findings.first().map(|f| f.message.clone()).unwrap_or_default();
        Outcome::fail(format!("{FB_2}: late or replayed events cannot be ordered: {first}")).with_evidence(evidence)
    }
    .expected("every attempt of an event carries its `event_id` and the change's `timestamp`; the newer change has the later timestamp");
    for note in notes {
        outcome = outcome.with_note(note);
    }
    for (done, _) in &changes {
        outcome = outcome.with_note(format!("trigger: {done}"));
    }
    outcome
}
