//! What the retry observation shows: ids kept across retries (EVT-3), retries at all (DLV-1), the
//! same event retried (DLV-2), and no retry after a 2xx (DLV-3).

use std::time::Duration;

use contract::SignatureFormat;
use serde_json::Value;

use super::retries::{FRESH_AFTER_MS, attempt_finding, finish, retries, schedule};
use crate::act::{self, body_json, verified};
use crate::attempts::{self, delivery_exchange, header, ms, secs};
use crate::context::{Context, Delivery};
use crate::outcome::{Evidence, Outcome};

/// EVT-3: every event carries an `event_id`.
pub async fn event_id(cx: &Context) -> Outcome {
    let retries = retries(cx).await;
    let mut evidence = Evidence::default();
    let mut ids = Vec::new();
    for failed in retries.observed() {
        let Some(first) = failed.attempts.first() else { continue };
        match body_json(first).as_ref().and_then(|b| b.get("event_id")) {
            Some(Value::String(id)) if !id.trim().is_empty() => ids.push(id.clone()),
            Some(other) => attempt_finding(
                cx,
                &mut evidence,
                first,
                failed.produced.of.describe(),
                format!("`event_id` is {other}, not a non-empty string"),
            ),
            None => attempt_finding(cx, &mut evidence, first, failed.produced.of.describe(), "no `event_id`".into()),
        }
    }
    if ids.is_empty() && evidence.total_findings == 0 {
        return retries.nothing_observed();
    }
    finish(
        evidence,
        "every event carries a non-empty string `event_id`, the key integrators dedupe on",
        format!("{} carried an `event_id` ({})", attempts::count(ids.len(), "event", "events"), ids.join(", ")),
        "EVT-3: every event carries a stable `event_id`, unique per event, used for idempotency and dedupe",
    )
}

/// DLV-1: a failed attempt (a 500, a request left unanswered past the vendor's timeout) is retried.
pub async fn retry_on_failure(cx: &Context) -> Outcome {
    let retries = retries(cx).await;
    let mut evidence = Evidence::default();
    let mut retried = Vec::new();
    let mut notes = Vec::new();
    for phase in retries.phases() {
        let failed = match phase {
            Ok(failed) => failed,
            Err(skipped) => {
                notes.push(format!("not observed: {}", skipped.message));
                continue;
            }
        };
        let event = failed.produced.of.describe();
        let Some(first) = failed.attempts.first() else { continue };
        if failed.failed() == 0 {
            notes.push(format!(
                "{event}: its first attempt arrived after the window in which it would be {}",
                failed.how
            ));
        } else if !failed.retried() {
            attempt_finding(
                cx,
                &mut evidence,
                first,
                event,
                format!(
                    "its first attempt was {}, and no retry came within {}",
                    failed.how,
                    secs(cx.budgets.retry_horizon)
                ),
            );
        } else {
            retried.push(format!(
                "{event} after an attempt {} (next attempts after {})",
                failed.how,
                schedule(&failed.attempts)
            ));
            if failed.answered.is_none() {
                let first_gap = failed.attempts[1].received_at_ms - first.received_at_ms;
                let hold = (cx.budgets.outage * 2).as_millis() as i64;
                notes.push(if first_gap < hold {
                    format!("the vendor gave up on the held attempt after about {} and retried", ms(first_gap))
                } else {
                    format!(
                        "the vendor waited out the {} hold (its timeout is longer) and retried after the receiver's 503",
                        ms(hold)
                    )
                });
            }
        }
    }
    if evidence.total_findings == 0 && retried.is_empty() {
        return retries.nothing_observed().with_note(notes.join("; "));
    }
    let mut outcome = finish(
        evidence,
        "an attempt answered 5xx or left unanswered is retried, with backoff",
        format!("the vendor retried {}", retried.join(" and ")),
        "DLV-1: delivery is at-least-once: any answer other than 2xx (410 aside), a timeout or a refused connection \
         is a failed attempt and is retried with backoff",
    );
    outcome.evidence.notes.extend(notes);
    outcome.with_note("refused connections are covered by delivery.outage-recovery")
}

/// What a retry got wrong against the first attempt of its event (DLV-2).
pub(crate) fn retry_differences(format: Option<&SignatureFormat>, first: &Delivery, retry: &Delivery) -> Vec<String> {
    let mut wrong = Vec::new();
    if first.event_id.is_some() && retry.event_id != first.event_id {
        wrong.push(format!(
            "carries `event_id` {} instead of the first attempt's {}",
            retry.event_id.as_deref().unwrap_or("(none)"),
            first.event_id.as_deref().unwrap_or_default()
        ));
    }
    if retry.body != first.body || retry.body_bytes != first.body_bytes {
        wrong.push(format!("its body differs from the first attempt's{}", changed_fields(first, retry)));
    }
    let gap = retry.received_at_ms - first.received_at_ms;
    if let Some(format) = format
        && let (Ok(ts_first), Ok(ts_retry)) =
            (format.read_timestamp(|n| header(first, n)), format.read_timestamp(|n| header(retry, n)))
        && (ts_retry < ts_first || (gap >= FRESH_AFTER_MS && ts_retry == ts_first))
    {
        wrong.push(format!(
            "sent {} after the first attempt, it carries timestamp {ts_retry} (the first carried {ts_first}): its \
             timestamp and signature were not made afresh",
            ms(gap)
        ));
    }
    if verified(first) && !verified(retry) {
        wrong.push(format!("{}, though the first attempt's did", attempts::verdict(&retry.verification)));
    }
    wrong
}

/// `` (`timestamp` changed, `delivery_attempt` added)``: the top-level fields that differ.
fn changed_fields(first: &Delivery, retry: &Delivery) -> String {
    let (Some(Value::Object(a)), Some(Value::Object(b))) = (body_json(first), body_json(retry)) else {
        return String::new();
    };
    let mut changes = Vec::new();
    for (k, v) in &a {
        match b.get(k) {
            None => changes.push(format!("`{k}` removed")),
            Some(w) if w != v => changes.push(format!("`{k}` changed")),
            Some(_) => {}
        }
    }
    changes.extend(b.keys().filter(|k| !a.contains_key(*k)).map(|k| format!("`{k}` added")));
    if changes.is_empty() { " (same JSON, different bytes)".into() } else { format!(" ({})", changes.join(", ")) }
}

/// DLV-2: a retry carries the first attempt's `event_id` and bytes, with a fresh timestamp and
/// a signature that verifies.
pub async fn retry_same_event(cx: &Context) -> Outcome {
    let retries = retries(cx).await;
    let mut evidence = Evidence::default();
    let (mut compared, mut fresh_seen) = (0, false);
    for failed in retries.observed().filter(|f| f.retried()) {
        let first = &failed.attempts[0];
        for retry in &failed.attempts[1..] {
            compared += 1;
            fresh_seen |= retry.received_at_ms - first.received_at_ms >= FRESH_AFTER_MS;
            for wrong in retry_differences(cx.signature.as_ref(), first, retry) {
                evidence.push_exchange(&delivery_exchange(cx, first));
                let subject = format!("attempt #{} of {}", retry.seq, failed.produced.of.describe());
                attempt_finding(cx, &mut evidence, retry, subject, wrong);
            }
        }
    }
    if compared == 0 {
        return match retries.observed().next() {
            Some(_) => Outcome::skip(
                "the vendor retried nothing, so no retry could be compared (see delivery.retry-on-failure)",
            ),
            None => retries.nothing_observed(),
        };
    }
    let mut outcome = finish(
        evidence,
        "a retry carries the same `event_id` and byte-identical body; its timestamp and signature are fresh and valid",
        format!(
            "{} carried the first attempt's `event_id` and exact bytes, with fresh, valid signatures",
            attempts::count(compared, "retry", "retries")
        ),
        "DLV-2: a retried delivery carries the same `event_id` and the same body; its timestamp and signature are \
         fresh and valid",
    );
    if !fresh_seen {
        outcome = outcome.with_note(
            "no retry came a second or more after its first attempt, so timestamp freshness was not observable",
        );
    }
    outcome
}

/// DLV-3: once an attempt is answered 2xx, no further attempt of that event comes.
pub async fn stop_after_2xx(cx: &Context) -> Outcome {
    let retries = retries(cx).await;
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return outcome,
    };
    let success = |d: &Delivery| d.answered.is_some_and(|s| (200..300).contains(&s));
    // An event accepted at its first attempt; else one accepted after retries.
    let meanwhile = retries.meanwhile.accepted.as_ref().and_then(|p| p.as_ref().ok());
    let mut accepted = meanwhile
        .into_iter()
        .chain(retries.observed().map(|f| &f.produced))
        .find_map(|p| p.attempts(inbox).into_iter().find(success).map(|ok| (p.clone(), ok)));
    if accepted.is_none() {
        let produced = match attempts::produce(cx).await {
            Ok(p) => p,
            Err(outcome) => return outcome,
        };
        cx.waiting(&format!("the first attempt of {}", produced.of.describe()), cx.budgets.event_wait);
        match produced.first(inbox, cx.budgets.event_wait).await {
            Some(first) if success(&first) => accepted = Some((produced, first)),
            Some(first) => {
                let why = match &first.verification {
                    crate::Verification::Invalid { reason } => format!("the receiver refused it: {reason}"),
                    other => attempts::verdict(other),
                };
                return Outcome::skip(format!(
                    "no delivery was answered 2xx: the receiver answered {} ({why}; see replay.signature and \
                     replay.timestamp)",
                    first.answered.map_or("nothing".into(), |s| s.to_string()),
                ));
            }
            None => return produced.never_arrived(cx.budgets.event_wait),
        }
    }
    let Some((produced, ok)) = accepted else { return Outcome::error("no accepted delivery (a harness bug)") };
    let quiet = cx.budgets.quiet_window;
    let left = ok.received_at_ms + quiet.as_millis() as i64 - contract::unix_now_ms();
    if left > 0 {
        let (of, since, seq) = (&produced.of, produced.since, ok.seq);
        let again = move |all: &[Delivery]| all.iter().skip(since).any(|d| d.seq > seq && of.matches(d));
        cx.waiting(
            &format!("a further attempt of {} after its 2xx (none should come)", produced.of.describe()),
            Duration::from_millis(left as u64),
        );
        inbox.wait_for(&again, Duration::from_millis(left as u64)).await;
    }
    let later: Vec<Delivery> = produced.attempts(inbox).into_iter().filter(|d| d.seq > ok.seq).collect();
    let event = produced.of.describe();
    let expected = "no attempt follows one answered 2xx";
    if later.is_empty() {
        return Outcome::pass(format!(
            "no attempt of {event} came in the {} after one was answered {}",
            secs(quiet),
            ok.answered.unwrap_or_default()
        ))
        .expected(expected);
    }
    let mut outcome = Outcome::fail(format!(
        "DLV-3: a 2xx ends delivery, no further attempts; {event} was answered {} and delivered again {} later{}",
        ok.answered.unwrap_or_default(),
        ms(later[0].received_at_ms - ok.received_at_ms),
        if later.len() > 1 { format!(" ({} more attempts)", later.len()) } else { String::new() }
    ))
    .expected(expected)
    .actual(format!("{} attempts after the 2xx", later.len()))
    .with_exchange(&delivery_exchange(cx, &ok));
    for d in &later {
        outcome.evidence.push_exchange(&delivery_exchange(cx, d));
    }
    outcome
}
