//! The delivery suite (EVT-3, DLV-1 … DLV-6): at-least-once delivery with idempotent event ids.
//!
//! Each check makes the vendor produce an event, switches what the harness's receiver answers
//! around it (500, a request held past the vendor's timeout, a 3xx, a 429 with `Retry-After`,
//! refused connections, 410 at a throw-away webhook) and watches every attempt of that event.
//! Attempts are recognised by the envelope (event type and device), never by `event_id`, so a
//! vendor that changes the id on a retry is still seen retrying.
//!
//! The retry observation (one event failed with 500s, one left unanswered) takes seconds and
//! answers four requirements, so it is made once per run ([`Context::memo`]) and judged by
//! EVT-3, DLV-1, DLV-2 and DLV-3; the 3xx and 429 checks read it too, to know how the vendor
//! treats a plain 5xx. While it waits out the vendor's timeout the receiver answers 200 again,
//! and that otherwise idle second hosts an event accepted at once (DLV-3's quiet window) and the
//! 410 observation, whose throw-away webhook's path answers 410 whatever the window.

use std::sync::Arc;
use std::time::Duration;

use contract::SignatureFormat;
use serde_json::Value;

use crate::Check;
use crate::act::{self, body_json, verified};
use crate::attempts::{self, Answering, Produced, TempWebhook, delivery_exchange, gaps_ms, header, ms, secs};
use crate::context::{Context, Delivery, GONE_PATH, Inbox, REDIRECT_PATH, ReceiverAnswer};
use crate::outcome::{Evidence, Finding, Outcome};

/// A retry sent at least this long after the first attempt must carry a later timestamp: unix
/// seconds cannot tie across a whole second (the slack covers when each arrival was stamped).
const FRESH_AFTER_MS: i64 = 1100;

/// One event whose first attempts the receiver failed on purpose, and every attempt of it.
#[derive(Debug, Clone)]
struct Failed {
    /// How the receiver failed them, in words (`answered 500`).
    how: &'static str,
    /// What the receiver's answer to a failed attempt is recorded as (`None`: held, unanswered).
    answered: Option<u16>,
    produced: Produced,
    /// Every attempt seen by the end of the observation, in arrival order.
    attempts: Vec<Delivery>,
}

impl Failed {
    /// How many attempts were failed as intended (a slow vendor's first attempt may come after
    /// the failure window).
    fn failed(&self) -> usize {
        self.attempts.iter().take_while(|d| d.answered == self.answered).count()
    }

    fn retried(&self) -> bool {
        self.failed() >= 1 && self.attempts.len() >= 2
    }
}

/// The shared retry observation: a 500 phase and an unanswered-request phase, and what was
/// observed while the second waited for its retry.
#[derive(Debug)]
struct Retries {
    server_error: Result<Failed, Outcome>,
    timeout: Result<Failed, Outcome>,
    meanwhile: Meanwhile,
}

/// What was observed while a phase waited for its retry, the receiver answering 200 again.
/// Each is `None` when the phase ended before it could be made.
#[derive(Debug, Default)]
struct Meanwhile {
    /// An event produced as soon as the receiver answered 200 again: its first attempt is
    /// accepted, and the wait for the retry is its quiet window (DLV-3).
    accepted: Option<Result<Produced, Outcome>>,
    /// The outcome of the 410 observation (DLV-4), when the vendor offers webhook management.
    gone: Option<Outcome>,
}

impl Retries {
    fn phases(&self) -> [&Result<Failed, Outcome>; 2] {
        [&self.server_error, &self.timeout]
    }

    fn observed(&self) -> impl Iterator<Item = &Failed> {
        self.phases().into_iter().filter_map(|p| p.as_ref().ok())
    }

    /// The outcome for a check that has nothing observed to judge.
    fn nothing_observed(&self) -> Outcome {
        self.phases()
            .into_iter()
            .find_map(|p| p.as_ref().err().cloned())
            .unwrap_or_else(|| Outcome::error("no retry phase ran (a harness bug)"))
    }

    /// The gap between the first two attempts after a 500, when the vendor retried.
    fn natural_gap_ms(&self) -> Option<i64> {
        self.server_error.as_ref().ok().filter(|f| f.retried()).and_then(|f| gaps_ms(&f.attempts).first().copied())
    }
}

async fn retries(cx: &Context) -> Arc<Retries> {
    cx.memo::<Retries, _, _>(|| async {
        // Two 500s show the start of the backoff; one is enough for a vendor that gives up early.
        let (server_error, _) =
            fail_first(cx, ReceiverAnswer::ServerError, 2, "answered 500", Some(500), None, false).await;
        // Held for twice the outage budget, so a vendor whose timeout is that budget gives up first.
        let hold = cx.budgets.outage * 2;
        let (timeout, meanwhile) =
            fail_first(cx, ReceiverAnswer::Timeout, 1, "held open without an answer", None, Some(hold), true).await;
        Retries { server_error, timeout, meanwhile }
    })
    .await
}

/// The outcome of a phase, and what was observed while it waited for its retry.
type Phase = (Result<Failed, Outcome>, Meanwhile);

/// Makes one event, fails its first `failing` attempts with `answer` (holding a request for
/// `hold` when `answer` is a timeout), then answers 200 and waits for the next attempt. With
/// `meanwhile`, the wait also hosts an event accepted at once and the 410 observation.
async fn fail_first(
    cx: &Context,
    answer: ReceiverAnswer,
    failing: usize,
    how: &'static str,
    answered: Option<u16>,
    hold: Option<Duration>,
    meanwhile: bool,
) -> Phase {
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return (Err(outcome), Meanwhile::default()),
    };
    let horizon = cx.budgets.retry_horizon;
    let answering = Answering::start(inbox, answer, hold.unwrap_or(cx.budgets.event_wait + horizon));
    let produced = match attempts::produce(cx).await {
        Ok(p) => p,
        Err(outcome) => return (Err(outcome), Meanwhile::default()),
    };
    cx.waiting(&format!("the first attempt of {}", produced.of.describe()), cx.budgets.event_wait);
    if produced.first(inbox, cx.budgets.event_wait).await.is_none() {
        return (Err(produced.never_arrived(cx.budgets.event_wait)), Meanwhile::default());
    }
    cx.waiting(&format!("attempt #{failing} of {} (retries)", produced.of.describe()), horizon);
    let seen = produced.wait_attempts(inbox, failing, horizon).await;
    drop(answering);
    let retry = async {
        if seen.len() >= failing {
            cx.waiting(&format!("attempt #{} of {} (a retry)", failing + 1, produced.of.describe()), horizon);
            produced.wait_attempts(inbox, failing + 1, horizon).await;
        }
    };
    let meanwhile = if meanwhile {
        let accepted = Some(attempts::produce(cx).await);
        let gone = async {
            if cx.declared.capabilities.contains("webhook-management") { Some(observe_gone(cx).await) } else { None }
        };
        let ((), gone) = tokio::join!(retry, gone);
        Meanwhile { accepted, gone }
    } else {
        retry.await;
        Meanwhile::default()
    };
    let attempts = produced.attempts(inbox);
    (Ok(Failed { how, answered, produced, attempts }), meanwhile)
}

/// The intervals between attempts, in words.
fn schedule(attempts: &[Delivery]) -> String {
    gaps_ms(attempts).into_iter().map(ms).collect::<Vec<_>>().join(", ")
}

fn attempt_finding(cx: &Context, evidence: &mut Evidence, delivery: &Delivery, subject: String, message: String) {
    let exchange = delivery_exchange(cx, delivery);
    evidence.push_exchange(&exchange);
    evidence.push_finding(Finding {
        subject,
        pointer: String::new(),
        message,
        record: body_json(delivery),
        source: Some(exchange.url),
    });
}

/// Ends a check with findings: FAIL quoting `requirement` (the CONTRACT.md text broken) and
/// naming the first finding, else PASS with `pass`.
fn finish(evidence: Evidence, expected: &str, pass: String, requirement: &str) -> Outcome {
    let Some(first) = evidence.findings.first() else { return Outcome::pass(pass).expected(expected) };
    let message = format!("{}: {}", first.subject, first.message);
    Outcome::fail(format!("{requirement}; {message}")).expected(expected).actual(message).with_evidence(evidence)
}

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
fn retry_differences(format: Option<&SignatureFormat>, first: &Delivery, retry: &Delivery) -> Vec<String> {
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

/// Whether a fetch of the receiver is of its planted redirect target.
fn is_redirect_target(path: &str) -> bool {
    path.split('?').next().unwrap_or_default().trim_end_matches('/').ends_with(REDIRECT_PATH)
}

/// DLV-4: a 3xx is a failed attempt: its `Location` is not followed, and the event is retried as
/// after a 5xx.
pub async fn redirect_not_followed(cx: &Context) -> Outcome {
    let retries = retries(cx).await;
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return outcome,
    };
    let retries_5xx = retries.server_error.as_ref().is_ok_and(Failed::retried);
    let horizon = cx.budgets.retry_horizon;
    let fetches_before = inbox.fetches().len();
    let answering = Answering::start(inbox, ReceiverAnswer::Redirect, cx.budgets.event_wait + horizon);
    let (produced, first) = match attempts::produce_first(cx, inbox).await {
        Ok(pair) => pair,
        Err(outcome) => return outcome,
    };
    drop(answering);
    if first.answered != Some(307) {
        return Outcome::skip(format!(
            "the first attempt of {} arrived after the redirect window",
            produced.of.describe()
        ));
    }
    let followed = || -> Vec<crate::Fetch> {
        inbox.fetches().into_iter().skip(fetches_before).filter(|f| is_redirect_target(&f.path)).collect()
    };
    if retries_5xx {
        cx.waiting(&format!("attempt #2 of {} (a retry)", produced.of.describe()), horizon);
        produced.wait_attempts(inbox, 2, horizon).await;
    } else {
        cx.waiting("a request following the receiver's 307 (none should come)", cx.budgets.quiet_window);
        inbox.wait_for(&|_| !followed().is_empty(), cx.budgets.quiet_window).await;
    }
    let attempts = produced.attempts(inbox);
    let event = produced.of.describe();
    let expected = "a 3xx is not followed; the event is retried as after a 5xx";
    let followed = followed();
    let mut outcome = if let Some(fetch) = followed.first() {
        Outcome::fail(format!(
            "DLV-4: a 3xx is a failed attempt (the redirect is not followed); the vendor followed the 307 to its \
             `Location`: {} {} reached the receiver {} after the attempt",
            fetch.method,
            fetch.path,
            ms(fetch.received_at_ms - first.received_at_ms)
        ))
        .expected(expected)
        .actual(format!("{} {}", fetch.method, fetch.path))
    } else if retries_5xx && attempts.len() < 2 {
        Outcome::fail(format!(
            "DLV-4: a 3xx is a failed attempt, retried like a 5xx; a 307 ended delivery of {event}: no retry within \
             {}, though a 500 is retried",
            secs(horizon)
        ))
        .expected(expected)
        .actual("no retry after the 3xx")
    } else if retries_5xx {
        return Outcome::pass(format!(
            "the 307 was not followed, and {event} was retried {} later, as after a 500",
            ms(attempts[1].received_at_ms - first.received_at_ms)
        ))
        .expected(expected);
    } else {
        return Outcome::pass("the 307 was not followed")
            .expected(expected)
            .with_note("the vendor retries neither a 3xx nor a 5xx (see delivery.retry-on-failure)");
    };
    outcome.evidence.push_exchange(&delivery_exchange(cx, &first));
    for d in attempts.iter().skip(1) {
        outcome.evidence.push_exchange(&delivery_exchange(cx, d));
    }
    outcome.with_note(format!("the receiver's `Location` pointed at its own `{REDIRECT_PATH}`, recorded when fetched"))
}

/// DLV-4: after a 429 with `Retry-After`, the next attempt waits at least that long.
pub async fn retry_after(cx: &Context) -> Outcome {
    let retries = retries(cx).await;
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return outcome,
    };
    let Some(natural) = retries.natural_gap_ms() else {
        return match retries.server_error.as_ref() {
            Err(outcome) => outcome.clone(),
            Ok(_) => Outcome::skip(
                "the vendor did not retry after a 500, so whether it waits for `Retry-After` cannot be timed \
                 (see delivery.retry-on-failure)",
            ),
        };
    };
    // Longer than the vendor's own first interval, so only honouring the header explains the wait.
    let wait_secs = u64::try_from((natural * 2 + 999) / 1000).unwrap_or(1).clamp(1, 60);
    let horizon = cx.budgets.retry_horizon;
    let answering = Answering::start(
        inbox,
        ReceiverAnswer::TooManyRequests { retry_after_secs: wait_secs },
        cx.budgets.event_wait + horizon,
    );
    let (produced, first) = match attempts::produce_first(cx, inbox).await {
        Ok(pair) => pair,
        Err(outcome) => return outcome,
    };
    drop(answering);
    if first.answered != Some(429) {
        return Outcome::skip(format!("the first attempt of {} arrived after the 429 window", produced.of.describe()));
    }
    cx.waiting(
        &format!("the retry of {} after the 429's Retry-After", produced.of.describe()),
        Duration::from_secs(wait_secs) + horizon,
    );
    let attempts = produced.wait_attempts(inbox, 2, Duration::from_secs(wait_secs) + horizon).await;
    let event = produced.of.describe();
    let expected =
        format!("after `429` with `Retry-After: {wait_secs}`, the next attempt comes {wait_secs} s later or after");
    let mut outcome = match attempts.get(1) {
        None => Outcome::fail(format!(
            "DLV-4: 429 with `Retry-After` is honoured (a failed attempt, retried after the wait); a 429 ended \
             delivery of {event}: no retry within {}, though a 500 is retried",
            secs(Duration::from_secs(wait_secs) + horizon)
        ))
        .expected(expected)
        .actual("no retry after the 429"),
        Some(retry) => {
            let gap = retry.received_at_ms - first.received_at_ms;
            if gap + 10 < (wait_secs * 1000) as i64 {
                let outcome = Outcome::fail(format!(
                    "DLV-4: 429 with `Retry-After` is honoured; {event} was retried {} after a 429 with \
                     `Retry-After: {wait_secs}`",
                    ms(gap)
                ))
                .expected(expected)
                .actual(format!("retried after {}", ms(gap)));
                outcome.with_exchange(&delivery_exchange(cx, retry))
            } else {
                return Outcome::pass(format!(
                    "{event} was retried {} after a 429 with `Retry-After: {wait_secs}` (after a 500, {})",
                    ms(gap),
                    ms(natural)
                ))
                .expected(expected);
            }
        }
    };
    outcome.evidence.exchanges.insert(0, delivery_exchange(cx, &first));
    outcome
}

/// DLV-4: a 410 disables the webhook: the event is not retried and later events do not come.
/// Observed while the retry observation waits out the vendor's timeout, when it got that far.
pub async fn gone_disables(cx: &Context) -> Outcome {
    match &retries(cx).await.meanwhile.gone {
        Some(outcome) => outcome.clone(),
        None => observe_gone(cx).await,
    }
}

/// Registers a throw-away webhook at the receiver's 410 path, makes an event reach it, then
/// watches the quiet window for a retry of that delivery or a later event delivered to it.
async fn observe_gone(cx: &Context) -> Outcome {
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return outcome,
    };
    // The receiver answers 410 on this path only: the run's own webhook must not be disabled.
    let target = format!("{}{GONE_PATH}", inbox.public_url().trim_end_matches('/'));
    let hook = match TempWebhook::create(cx, "gone (DLV-4)", target).await {
        Ok(hook) => hook,
        Err(outcome) => return outcome,
    };
    inbox.add_secret(hook.secret().clone());
    let outcome = watch_gone(cx, inbox, &hook).await;
    let deleted = hook.delete(cx).await;
    outcome.with_note(deleted)
}

async fn watch_gone(cx: &Context, inbox: &dyn Inbox, hook: &TempWebhook) -> Outcome {
    let gone = |d: &Delivery| d.answered == Some(410);
    let first_event = match attempts::produce_with(cx, None, Some(&hook.webhook_id)).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let (of, since) = (&first_event.of, first_event.since);
    let reached = move |all: &[Delivery]| all.iter().skip(since).any(|d| of.matches(d) && gone(d));
    cx.waiting(
        &format!("{} to reach the webhook answering 410 Gone", first_event.of.describe()),
        cx.budgets.event_wait,
    );
    if !inbox.wait_for(&reached, cx.budgets.event_wait).await {
        return Outcome::skip(format!(
            "no delivery of {} reached the webhook registered at the receiver's `{GONE_PATH}` within {}",
            first_event.of.describe(),
            secs(cx.budgets.event_wait)
        ));
    }
    let refused = first_event.attempts(inbox).into_iter().find(|d| gone(d)).expect("the wait saw it");
    // The receiver records the 410 before the vendor has read it: give the vendor a moment to act
    // on it, or an event made at once can race the disabling (seen under load as a false FAIL).
    tokio::time::sleep(cx.budgets.quiet_window / 4).await;
    // A second, distinct event: a disabled webhook gets none.
    let second_event = match attempts::produce_with(cx, None, Some(&hook.webhook_id)).await {
        Ok(p) => Some(p),
        Err(outcome) => {
            let ping_refused =
                outcome.status == crate::Status::Skip && matches!(first_event.of, attempts::EventOf::Ping { .. });
            if !ping_refused {
                return outcome;
            }
            None
        }
    };
    let left = refused.received_at_ms + cx.budgets.quiet_window.as_millis() as i64 - contract::unix_now_ms();
    let after = |d: &Delivery| gone(d) && d.seq > refused.seq;
    let mine = |d: &Delivery| {
        first_event.of.matches(d) || second_event.as_ref().is_some_and(|p| d.seq >= p.since as u64 && p.of.matches(d))
    };
    if left > 0 {
        cx.waiting("an attempt after the 410 Gone (none should come)", Duration::from_millis(left as u64));
        inbox
            .wait_for(&|all: &[Delivery]| all.iter().any(|d| after(d) && mine(d)), Duration::from_millis(left as u64))
            .await;
    }
    let again: Vec<Delivery> = inbox.deliveries().into_iter().filter(|d| after(d) && mine(d)).collect();
    let expected = "after a 410 the webhook is disabled: no retry of that delivery, no later event";
    if again.is_empty() {
        return Outcome::pass(format!(
            "after one delivery answered 410, the webhook received nothing more in {} (no retry{})",
            secs(cx.budgets.quiet_window),
            if second_event.is_some() { ", not the next event" } else { "" }
        ))
        .expected(expected);
    }
    let what = if first_event.of.matches(&again[0]) && again[0].body == refused.body {
        "the same event again"
    } else {
        "a later event"
    };
    let mut outcome = Outcome::fail(format!(
        "DLV-4: 410 disables the webhook; the webhook answered 410 and still received {what} {} later ({} \
         deliveries after the 410)",
        ms(again[0].received_at_ms - refused.received_at_ms),
        again.len()
    ))
    .expected(expected)
    .actual(format!("{} deliveries after the 410", again.len()))
    .with_exchange(&delivery_exchange(cx, &refused));
    for d in &again {
        outcome.evidence.push_exchange(&delivery_exchange(cx, d));
    }
    outcome
}

/// DLV-5 (and DLV-1 for refused connections): an event produced while the receiver refuses
/// connections arrives after the outage ends, within the vendor's declared retry horizon.
pub async fn outage_recovery(cx: &Context) -> Outcome {
    let retries = retries(cx).await;
    if retries.observed().next().is_none() {
        return retries.nothing_observed();
    }
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return outcome,
    };
    // A change delivered just before the outage shows that changing this device back makes an
    // event, so an event missing after the outage is the vendor's loss, not a change that never was.
    let before = match attempts::produce(cx).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    cx.waiting(&format!("the first attempt of {}", before.of.describe()), cx.budgets.event_wait);
    if before.first(inbox, cx.budgets.event_wait).await.is_none() {
        return before.never_arrived(cx.budgets.event_wait);
    }
    let (outage, horizon) = (cx.budgets.outage, cx.budgets.retry_horizon);
    let began = contract::unix_now_ms();
    let ended = began + outage.as_millis() as i64;
    let answering = Answering::start(inbox, ReceiverAnswer::Refuse, outage);
    let produced = match attempts::produce_with(cx, before.device.as_ref(), None).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let (of, since) = (&produced.of, produced.since);
    let after_outage = move |d: &Delivery| d.received_at_ms >= ended;
    let recovered = move |all: &[Delivery]| all.iter().skip(since).any(|d| of.matches(d) && after_outage(d));
    let left = began + horizon.as_millis() as i64 - contract::unix_now_ms();
    cx.waiting(
        &format!("{} after the receiver's outage (a retry)", produced.of.describe()),
        Duration::from_millis(left.max(0) as u64),
    );
    inbox.wait_for(&recovered, Duration::from_millis(left.max(0) as u64)).await;
    drop(answering);
    let attempts = produced.attempts(inbox);
    let event = produced.of.describe();
    let expected = format!(
        "an event produced during a {} outage (connections refused) arrives after it, within the declared retry horizon ({})",
        secs(outage),
        secs(horizon)
    );
    match attempts.iter().find(|d| after_outage(d)) {
        Some(d) => Outcome::pass(format!(
            "{event}, produced while the receiver refused connections, arrived {} after the outage began ({} after it \
             ended; declared retry horizon {})",
            ms(d.received_at_ms - began),
            ms(d.received_at_ms - ended),
            secs(horizon)
        ))
        .expected(expected),
        None => {
            let mut outcome = Outcome::fail(format!(
                "DLV-5: after a receiver outage ends, events from the outage are delivered; {event}, produced while the \
                 receiver refused connections for {}, was not delivered within the declared retry horizon ({})",
                secs(outage),
                secs(horizon)
            ))
            .expected(expected)
            .actual("not delivered")
            .with_note(format!("the event: {}", produced.done));
            for d in &attempts {
                outcome.evidence.push_exchange(&delivery_exchange(cx, d));
            }
            outcome
        }
    }
}

/// The part of a delivery that tells two events of one device apart (`data`), or for a ping
/// its whole body.
fn distinguishing(delivery: &Delivery) -> Value {
    match body_json(delivery) {
        Some(body) if body.get("event_type").and_then(Value::as_str) != Some("ping") => {
            body.get("data").cloned().unwrap_or(Value::Null)
        }
        _ => Value::String(delivery.body.clone()),
    }
}

/// DLV-6 (and EVT-3): two distinct events of one device carry distinct `event_id`s.
pub async fn distinct_event_ids(cx: &Context) -> Outcome {
    let inbox = match act::require_inbox(cx) {
        Ok(inbox) => inbox,
        Err(outcome) => return outcome,
    };
    let first_event = match attempts::produce(cx).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    cx.waiting(&format!("the first attempt of {}", first_event.of.describe()), cx.budgets.event_wait);
    let Some(one) = first_event.first(inbox, cx.budgets.event_wait).await else {
        return first_event.never_arrived(cx.budgets.event_wait);
    };
    // The same device back again: a vendor deriving ids from the device shows here.
    let second_event = match attempts::produce_with(cx, first_event.device.as_ref(), None).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let seen = distinguishing(&one);
    let (of, since) = (&second_event.of, second_event.since);
    let other = |d: &Delivery| of.matches(d) && distinguishing(d) != seen;
    cx.waiting(&format!("{} (the same device again)", second_event.of.describe()), cx.budgets.event_wait);
    inbox.wait_for(&|all: &[Delivery]| all.iter().skip(since).any(other), cx.budgets.event_wait).await;
    let Some(two) = second_event.attempts(inbox).into_iter().find(|d| distinguishing(d) != seen) else {
        return second_event.never_arrived(cx.budgets.event_wait);
    };
    let events = match &first_event.of {
        attempts::EventOf::Health { device_id, .. } => {
            format!("device {device_id} changed status twice: its two events")
        }
        attempts::EventOf::Ping { .. } => "two pings".to_owned(),
    };
    let expected = "distinct events carry distinct `event_id`s";
    match (&one.event_id, &two.event_id) {
        (Some(a), Some(b)) if a != b => {
            Outcome::pass(format!("{events} carried distinct `event_id`s {a} and {b}")).expected(expected)
        }
        (Some(a), Some(_)) => Outcome::fail(format!(
            "DLV-6: distinct events have distinct `event_id`s; {events} both carry `event_id` {a}"
        ))
        .expected(expected)
        .actual(format!("`event_id` {a} twice"))
        .with_exchange(&delivery_exchange(cx, &one))
        .with_exchange(&delivery_exchange(cx, &two)),
        _ => Outcome::skip("the events carry no `event_id` to compare (see delivery.event-id)"),
    }
}

/// The delivery suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        event_id,
        "delivery.event-id",
        "delivery",
        Should,
        ["EVT-3"],
        "Every event carries an `event_id`",
        needs = [Inbox, Trigger]
    ),
    check!(
        retry_on_failure,
        "delivery.retry-on-failure",
        "delivery",
        Must,
        ["DLV-1"],
        "An attempt answered 500, or left unanswered past the vendor's timeout, is retried",
        needs = [Inbox, Trigger]
    ),
    check!(
        retry_same_event,
        "delivery.retry-same-event",
        "delivery",
        Must,
        ["DLV-2"],
        "A retry carries the same `event_id` and bytes, with a fresh timestamp and a valid signature",
        needs = [Inbox, Trigger]
    ),
    check!(
        stop_after_2xx,
        "delivery.stop-after-2xx",
        "delivery",
        Should,
        ["DLV-3"],
        "No attempt follows one answered 2xx",
        needs = [Inbox, Trigger]
    ),
    check!(
        redirect_not_followed,
        "delivery.redirect-not-followed",
        "delivery",
        Should,
        ["DLV-4"],
        "A 3xx is not followed and is retried like a 5xx",
        needs = [Inbox, Trigger]
    ),
    check!(
        retry_after,
        "delivery.retry-after",
        "delivery",
        Should,
        ["DLV-4"],
        "After a 429 with `Retry-After`, the next attempt waits at least that long",
        needs = [Inbox, Trigger]
    ),
    check!(
        gone_disables,
        "delivery.gone-disables",
        "delivery",
        Should,
        ["DLV-4"],
        "A 410 disables the webhook: no retry, no later event",
        capability = "webhook-management",
        needs = [Inbox, Trigger]
    ),
    check!(
        outage_recovery,
        "delivery.outage-recovery",
        "delivery",
        Should,
        ["DLV-5", "DLV-1"],
        "An event from a receiver outage (connections refused) arrives after it, within the declared retry horizon",
        needs = [Inbox, Trigger]
    ),
    check!(
        distinct_event_ids,
        "delivery.distinct-event-ids",
        "delivery",
        Should,
        ["DLV-6", "EVT-3"],
        "Distinct events carry distinct `event_id`s",
        needs = [Inbox, Trigger]
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use contract::{Scheme, Secret};

    fn attempt(seq: u64, at_ms: i64, body: &str, ts: i64) -> Delivery {
        let format = SignatureFormat::canonical(Scheme::Timestamped);
        let headers = format.sign(&Secret::new("whsec_unit"), body.as_bytes(), ts);
        Delivery {
            seq,
            received_at_ms: at_ms,
            headers,
            body: body.into(),
            body_bytes: body.len(),
            verification: crate::Verification::Valid { timestamp: Some(ts) },
            event: serde_json::from_str(body).ok(),
            event_id: body_json_str(body),
            path: "/webhook".into(),
            duplicate: false,
            answered: Some(200),
        }
    }

    fn body_json_str(body: &str) -> Option<String> {
        serde_json::from_str::<Value>(body).ok()?.get("event_id")?.as_str().map(str::to_owned)
    }

    fn check(first: &Delivery, retry: &Delivery) -> Vec<String> {
        retry_differences(Some(&SignatureFormat::canonical(Scheme::Timestamped)), first, retry)
    }

    const BODY: &str = r#"{"event_id":"e-1","timestamp":"2026-02-04T14:32:00.000Z","data":{"status":"offline"}}"#;

    #[test]
    fn a_faithful_retry_differs_in_nothing() {
        let first = attempt(0, 1_000, BODY, 1_770_000_000);
        assert!(check(&first, &attempt(1, 1_050, BODY, 1_770_000_000)).is_empty(), "50 ms later the second may tie");
        assert!(check(&first, &attempt(1, 2_600, BODY, 1_770_000_002)).is_empty());
    }

    #[test]
    fn each_retry_fault_is_named() {
        let first = attempt(0, 1_000, BODY, 1_770_000_000);
        let new_id = attempt(1, 1_050, &BODY.replace("e-1", "e-2"), 1_770_000_000);
        let wrong = check(&first, &new_id);
        assert!(wrong[0].contains("`event_id` e-2 instead of the first attempt's e-1"), "{wrong:?}");
        let counter =
            attempt(1, 1_050, &format!(r#"{},"delivery_attempt":2}}"#, &BODY[..BODY.len() - 1]), 1_770_000_000);
        let wrong = check(&first, &counter);
        assert!(wrong.iter().any(|w| w.contains("`delivery_attempt` added")), "{wrong:?}");
        let restamped = attempt(1, 1_050, &BODY.replace("32:00.000", "32:01.550"), 1_770_000_000);
        assert!(check(&first, &restamped).iter().any(|w| w.contains("`timestamp` changed")));
        let spaced = attempt(1, 1_050, &BODY.replacen('{', "{ ", 1), 1_770_000_000);
        assert!(check(&first, &spaced).iter().any(|w| w.contains("same JSON, different bytes")));
        // The first attempt's headers resent 1.55 s later.
        let mut stale = attempt(1, 2_550, BODY, 1_770_000_000);
        stale.headers = first.headers.clone();
        assert!(check(&first, &stale).iter().any(|w| w.contains("not made afresh")));
        let mut unverified = attempt(1, 1_050, BODY, 1_770_000_000);
        unverified.verification = crate::Verification::Invalid { reason: "signature does not match the body".into() };
        assert!(check(&first, &unverified).iter().any(|w| w.contains("did not verify")));
    }

    #[test]
    fn a_retry_of_an_unverified_first_attempt_is_not_blamed_for_its_signature() {
        let mut first = attempt(0, 1_000, BODY, 1_770_000_000);
        first.verification = crate::Verification::Invalid { reason: "missing header".into() };
        let mut retry = attempt(1, 1_050, BODY, 1_770_000_000);
        retry.verification = first.verification.clone();
        assert!(check(&first, &retry).is_empty());
        let mut no_ts = retry.clone();
        no_ts.headers.truncate(1);
        assert!(check(&first, &no_ts).is_empty(), "a missing timestamp is SIG-2's finding");
    }

    #[test]
    fn failed_phases_count_only_the_attempts_failed_as_intended() {
        let mut attempts = vec![attempt(0, 0, BODY, 1), attempt(1, 50, BODY, 1), attempt(2, 150, BODY, 1)];
        attempts[0].answered = Some(500);
        attempts[1].answered = Some(500);
        let produced =
            Produced { done: String::new(), since: 0, of: attempts::EventOf::Ping { event_id: None }, device: None };
        let failed = Failed { how: "answered 500", answered: Some(500), produced, attempts };
        assert_eq!((failed.failed(), failed.retried()), (2, true));
        assert_eq!(schedule(&failed.attempts), "50 ms, 100 ms");
        let late = Failed { attempts: failed.attempts[2..].to_vec(), ..failed.clone() };
        assert_eq!((late.failed(), late.retried()), (0, false));
    }

    #[test]
    fn redirect_targets_and_distinguishing_parts() {
        assert!(is_redirect_target("/webhook/redirected"));
        assert!(is_redirect_target("/redirected/?x=1"));
        assert!(!is_redirect_target("/webhook"));
        let health = attempt(0, 0, BODY, 1);
        assert_eq!(distinguishing(&health), serde_json::json!({"status": "offline"}));
        let ping = attempt(0, 0, r#"{"event_type":"ping","event_id":"p"}"#, 1);
        assert_eq!(distinguishing(&ping), Value::String(ping.body.clone()));
    }
}
