//! The fallback suite (FB-1 … FB-4, INV-2): what keeps an integrator correct when webhooks are
//! absent, late, replayed or lost, judged by running the reference consumer ([`crate::consumer`])
//! against the vendor.
//!
//! - **Bootstrap (FB-1).** The runner registers the run's webhook before any check, so the run's
//!   own account cannot show the bootstrapping state without deleting and re-creating that
//!   webhook mid-run (which would also break the other event checks' deliveries). The check
//!   therefore syncs an account that has no webhook: the configured second account (`cx.second`,
//!   for which the run registers nothing), after listing its webhooks to confirm there are none;
//!   without a second account, the run's own account when it has no webhook (no event check was
//!   selected, so none was registered). A vendor whose inventory waits for a webhook
//!   (`sync-needs-webhook`) answers that sync with an error, which is what FB-1 forbids.
//! - **Outage and reconcile (FB-3, INV-2).** The receiver refuses connections, a device changes
//!   status, and polling the device's site must show the change; after recovery the missed event
//!   is fed to the consumer too (its arrival is reported here and judged by the delivery suite,
//!   DLV-5), and the consumer must hold the new status.
//! - **Late and replayed events (FB-2, EVT-2).** The receiver answers 500 while one device
//!   changes twice, so both events are retried. Every attempt of an event must carry the same
//!   `event_id` and `timestamp` (the change's time, not the send time), the two timestamps must
//!   order the changes, and the consumer fed the events newest-first, as a late retry or a replay
//!   delivers them, must still end at the newest status.
//! - **Partial coverage (FB-4, INV-2).** A device of a type that publishes no events changes
//!   status, and polling alone must show it.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Check;
use crate::act::{self, Target};
use crate::consumer::{Consumer, Observed};
use crate::context::{ApiError, Blame, Collection, Context, Delivery, Inbox, ReceiverAnswer, VendorApi, Walk};
use crate::outcome::{Evidence, Exchange, Finding, Outcome};
use crate::sync::InventorySync;

/// What each fallback requirement asks, quoted by the FAILs that enforce it.
const FB_1: &str =
    "FB-1: \"Empty/bootstrapping state: a full inventory sync works before any webhook exists or has been delivered\"";
const FB_2: &str = "FB-2: \"Webhook delays: timestamps and stable event ids let the integrator dedupe and order late or replayed events (latest `timestamp` wins)\"";
const FB_3: &str = "FB-3: \"Temporary webhook outage: a status change that happened while the receiver was down is visible by polling inventory (reconcile)\"";
const FB_4: &str =
    "FB-4: \"Partial coverage: devices whose class cannot publish events still have their latest status in inventory\"";
const INV_2: &str = "INV-2: \"Inventory reflects each device's latest known `status`\"";

/// A FAIL (the vendor answered unusably) prefixed with the requirement the request served;
/// other outcomes as they are.
fn citing(outcome: Outcome, rule: &str) -> Outcome {
    if outcome.status == crate::outcome::Status::Fail {
        Outcome { message: format!("{rule}: {}", outcome.message), ..outcome }
    } else {
        outcome
    }
}

/// FB-1: a full inventory sync of an account with no webhook works.
pub async fn bootstrap(cx: &Context) -> Outcome {
    let (api, whose): (&dyn VendorApi, &str) = match &cx.second {
        Some(second) => (second.as_ref(), "the second account"),
        None => (cx.api.as_ref(), "the account"),
    };
    let mut notes = Vec::new();
    if cx.declared.capabilities.contains("webhook-management") {
        let answer = match api.probe(api.webhook_api().list_probe()).await {
            Ok(a) => a,
            Err(e) => return citing(e.to_outcome(&format!("listing the webhooks of {whose}")), FB_1),
        };
        if let Some(skip) = act::refused_token(&answer, &format!("listing the webhooks of {whose}")) {
            return skip;
        }
        let listed = api.webhook_api().read_list(answer.json.as_ref()).map(|all| all.len());
        match listed {
            Some(0) => notes.push(format!("{whose} has no webhook (its webhook list is empty)")),
            Some(n) => {
                return Outcome::skip(format!(
                    "{whose} has {n} webhooks, so its sync cannot show the bootstrapping state: configure `[second_account]` with an account that has none"
                ));
            }
            None => {
                return Outcome::skip(format!(
                    "listing the webhooks of {whose} answered {} without {}, so whether it has none is unknown (see webhooks.create-list)",
                    answer.status,
                    api.webhook_api().list_shown()
                ));
            }
        }
    } else if cx.second.is_none() && cx.inbox.is_some() {
        return Outcome::skip(
            "the account receives the run's webhook and the configuration has no `[second_account]` (with no webhook) to sync instead",
        );
    } else {
        notes.push(format!(
            "{whose} is assumed to have no webhook: the vendor does not declare `webhook-management` to list them"
        ));
    }
    let sync = InventorySync::fetch(api).await;
    let expected = "the account, its sites and every site's inventory answer while no webhook exists";
    let failed: Option<(String, &ApiError)> = match (&sync.account, &sync.sites) {
        (Err(e), _) => Some(("the account".into(), e)),
        (_, Err(e)) => Some(("the sites".into(), e)),
        _ => sync
            .inventories
            .iter()
            .find_map(|i| i.result.as_ref().err().map(|e| (format!("the inventory of site {}", i.site_id), e))),
    };
    let mut outcome = match failed {
        Some((what, e)) if e.kind.blame() == Blame::Vendor => {
            let mut outcome =
                citing(e.to_outcome(&format!("syncing {whose} with no webhook: {what} could not be read")), FB_1);
            outcome.expected = Some(expected.into());
            outcome
        }
        Some((what, e)) => citing(e.to_outcome(&format!("syncing {whose}: {what} could not be read")), FB_1),
        None => {
            let devices: usize =
                sync.inventories.iter().filter_map(|i| i.result.as_ref().ok()).map(|l| l.records.len()).sum();
            Outcome::pass(format!(
                "a full sync of {whose} ({} sites, {devices} devices) worked with no webhook registered",
                sync.inventories.len()
            ))
            .expected(expected)
        }
    };
    for note in notes {
        outcome = outcome.with_note(note);
    }
    outcome
}

/// One poll of a device's site, walked until the device is found.
struct Poll {
    /// When the request was sent (the harness's clock): the observation holds as of then.
    asked_at_ms: i64,
    /// Every record of the pages walked.
    records: Vec<Value>,
    /// The device's record and the exchange of its page.
    found: Option<(Value, Exchange)>,
}

impl Poll {
    fn status(&self) -> Option<&str> {
        self.found.as_ref()?.0.get("status")?.as_str()
    }

    fn observed(&self) -> Vec<Observed> {
        self.records.iter().filter_map(Observed::from_record).collect()
    }
}

async fn poll(cx: &Context, target: &Target) -> Result<Poll, Outcome> {
    let asked_at_ms = contract::unix_now_ms();
    let mut records = Vec::new();
    let mut found = None;
    let mut visit = |page: crate::context::PageSeen| {
        let hit = page
            .records
            .iter()
            .find(|r| r.get("device_id").and_then(Value::as_str) == Some(target.device_id.as_str()))
            .cloned();
        records.extend(page.records);
        match hit {
            Some(record) => {
                found = Some((record, page.exchange));
                Walk::Stop
            }
            None => Walk::Continue,
        }
    };
    let collection = Collection::Inventory { site_id: target.site_id.clone() };
    cx.api
        .walk(&collection, None, &mut visit)
        .await
        .map_err(|e| citing(e.to_outcome(&format!("polling the inventory of site {}", target.site_id)), INV_2))?;
    Ok(Poll { asked_at_ms, records, found })
}

/// How polling for a status ended.
struct Polled {
    seen: bool,
    polls: u32,
    /// From the change to the poll that showed it (or to the last poll).
    elapsed: Duration,
    last: Poll,
}

/// Polls `target`'s site, feeding `consumer`, until the device shows `status` or `within` passes.
/// The interval starts short and doubles, so a fast vendor is seen at once and a slow one is
/// not hammered.
async fn poll_until(
    cx: &Context,
    consumer: &mut Consumer,
    target: &Target,
    status: &str,
    within: Duration,
) -> Result<Polled, Outcome> {
    let started = Instant::now();
    let mut interval = Duration::from_millis(50);
    let mut polls = 0;
    loop {
        let last = poll(cx, target).await?;
        polls += 1;
        consumer.reconcile(last.asked_at_ms, last.observed());
        let seen = last.status() == Some(status);
        if seen || started.elapsed() >= within {
            return Ok(Polled { seen, polls, elapsed: started.elapsed(), last });
        }
        tokio::time::sleep(interval.min(within.saturating_sub(started.elapsed()))).await;
        interval = (interval * 2).min(Duration::from_secs(2));
    }
}

/// A consumer that tracks the device but knows nothing of its status (`unknown`, as of the
/// epoch): only the vendor's events, ordered by their timestamps, decide what it ends with.
fn consumer_not_knowing(target: &Target) -> Consumer {
    let mut consumer = Consumer::new();
    let observed = Observed {
        device_id: target.device_id.clone(),
        site_id: Some(target.site_id.clone()),
        status: "unknown".into(),
    };
    consumer.reconcile(0, [observed]);
    consumer
}

fn accepted(delivery: &Delivery) -> bool {
    delivery.answered.is_some_and(|s| (200..300).contains(&s))
}

/// Whether a delivery is the `health` event of `target` going `status`.
fn is_change(delivery: &Delivery, target: &Target, status: &str) -> bool {
    act::is_event(delivery, "health", &target.device_id)
        && act::body_json(delivery).and_then(|b| b.pointer("/data/status")?.as_str().map(str::to_owned)).as_deref()
            == Some(status)
}

/// Ends a receiver window early (the window would end by itself anyway).
fn recover(inbox: &dyn Inbox) {
    inbox.answer_for(ReceiverAnswer::Ok, Duration::ZERO);
}

/// FB-3, INV-2: a status change during a receiver outage is visible by polling inventory, and
/// the reference consumer converges on it.
pub async fn reconcile(cx: &Context) -> Outcome {
    let inbox = match act::require_deliveries(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let target = match act::claim_fresh_publishing_device(cx).await {
        Ok(t) => t,
        Err(outcome) => return outcome,
    };
    let mut consumer = Consumer::new();
    match poll(cx, &target).await {
        Ok(p) => consumer.reconcile(p.asked_at_ms, p.observed()),
        Err(outcome) => return outcome,
    };
    let since = inbox.deliveries().len();
    inbox.answer_for(ReceiverAnswer::Refuse, cx.budgets.outage);
    let outage = Instant::now();
    let (done, status) = match act::flip_status(cx, &target).await {
        Ok(d) => d,
        Err(outcome) => {
            recover(inbox);
            return outcome;
        }
    };
    let polled = poll_until(cx, &mut consumer, &target, &status, cx.budgets.event_wait).await;
    let down_while_polling = outage.elapsed() < cx.budgets.outage;
    recover(inbox);
    let polled = match polled {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let expected = "polling the device's site shows the status it took while the receiver was down";
    if !polled.seen {
        let shown = polled.last.status().unwrap_or("no record of the device").to_owned();
        let mut outcome = Outcome::fail(format!(
            "{FB_3}: device {} was set {status} while the receiver was down, but its site's inventory still showed {shown} after {} polls over {} ms",
            target.device_id,
            polled.polls,
            polled.elapsed.as_millis()
        ))
        .expected(expected)
        .actual(shown);
        if let Some((record, exchange)) = &polled.last.found {
            let mut evidence = Evidence::default();
            evidence.push_exchange(exchange);
            evidence.push_finding(Finding {
                subject: format!("device {} (site {})", target.device_id, target.site_id),
                pointer: "/status".into(),
                message: format!(
                    "set {status}, listed {}",
                    record.get("status").and_then(Value::as_str).unwrap_or("without a status")
                ),
                record: Some(record.clone()),
                source: Some(exchange.url.clone()),
            });
            outcome = outcome.with_evidence(evidence);
        }
        return outcome.with_note(format!("trigger: {done}"));
    }
    // After recovery the vendor should deliver what the outage swallowed (DLV-5): the consumer
    // takes it too, and must not be thrown off by it.
    let horizon = cx.budgets.event_wait.min(cx.budgets.retry_horizon);
    cx.waiting(&format!("the change of device {} the outage swallowed (a retry)", target.device_id), horizon);
    let missed = act::wait_for_first(inbox, since, horizon, |d| accepted(d) && is_change(d, &target, &status)).await;
    for delivery in act::arrived_since(inbox, since, |d| accepted(d) && act::is_event(d, "health", &target.device_id)) {
        consumer.deliver(&delivery);
    }
    let held = consumer.status(&target.device_id).unwrap_or("nothing").to_owned();
    let mut outcome = if held == status {
        Outcome::pass(format!(
            "device {} went {status} while the receiver refused connections; polling its site showed it after {} polls, and the reference consumer holds {status}",
            target.device_id, polled.polls
        ))
    } else {
        Outcome::fail(format!(
            "{FB_2}: polling showed device {} {status}, but after the late event the reference consumer holds {held}: the event contradicts the inventory",
            target.device_id
        ))
        .actual(held)
    };
    outcome = outcome.expected(expected);
    if let Some((_, exchange)) = &polled.last.found {
        outcome = outcome.with_exchange(exchange);
    }
    if !down_while_polling {
        outcome = outcome.with_note(format!(
            "the outage window ({} s) ended before polling showed the change",
            cx.budgets.outage.as_secs_f64()
        ));
    }
    outcome = outcome.with_note(match missed {
        Some(_) => "the missed `health` event arrived after recovery".to_owned(),
        None => format!(
            "the missed `health` event did not arrive within {} s of recovery (DLV-5 is judged by the delivery suite)",
            horizon.as_secs()
        ),
    });
    outcome.with_note(format!("trigger: {done}"))
}

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
    let inbox = match act::require_deliveries(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let target = match act::claim_fresh_publishing_device(cx).await {
        Ok(t) => t,
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

/// FB-4, INV-2: a device whose type publishes no events changes status, and inventory shows it.
pub async fn partial_coverage(cx: &Context) -> Outcome {
    let silent = act::silent_types(cx).await;
    if silent.is_empty() {
        return Outcome::skip(
            "the vendor declares every device type publishes events (no `not_emitted_by` in the event catalogue, no `silent_device_types`), so there is no partial coverage to check",
        );
    }
    let types = silent.iter().cloned().collect::<Vec<_>>().join(", ");
    let what = format!("device of a type that publishes no events ({types})");
    let target = match act::claim_actionable(cx, &what, |t| silent.contains(&t.device_type)).await {
        Ok(t) => t,
        Err(outcome) => return outcome,
    };
    let mut consumer = Consumer::new();
    match poll(cx, &target).await {
        Ok(p) => consumer.reconcile(p.asked_at_ms, p.observed()),
        Err(outcome) => return outcome,
    };
    let (done, status) = match act::flip_status(cx, &target).await {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let polled = match poll_until(cx, &mut consumer, &target, &status, cx.budgets.event_wait).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let expected = "inventory shows the latest status of a device whose type publishes no events";
    let exchange = polled.last.found.as_ref().map(|(_, e)| e.clone());
    let mut outcome = if polled.seen {
        let held = consumer.status(&target.device_id).unwrap_or("nothing");
        Outcome::pass(format!(
            "{} {} went {status}; polling showed it after {} polls, and the reference consumer, fed by polling alone, holds {held}",
            target.device_type, target.device_id, polled.polls
        ))
    } else {
        let shown = polled.last.status().unwrap_or("no record of the device").to_owned();
        Outcome::fail(format!(
            "{FB_4}: {} {} was set {status}, but its site's inventory still showed {shown} after {} polls over {} ms",
            target.device_type,
            target.device_id,
            polled.polls,
            polled.elapsed.as_millis()
        ))
        .actual(shown)
    }
    .expected(expected);
    if let Some(exchange) = &exchange {
        outcome = outcome.with_exchange(exchange);
    }
    outcome.with_note(format!("trigger: {done}"))
}

/// The fallback suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        bootstrap,
        "fallback.bootstrap",
        "fallback",
        Must,
        ["FB-1"],
        "A full inventory sync works for an account with no webhook"
    ),
    check!(
        reconcile,
        "fallback.reconcile",
        "fallback",
        Must,
        ["FB-3", "INV-2"],
        "A status change during a receiver outage is visible by polling inventory",
        needs = [Inbox, Trigger]
    ),
    check!(
        late_events,
        "fallback.late-events",
        "fallback",
        Must,
        ["FB-2", "EVT-2"],
        "Retried events keep their id and change time, so late or replayed events never undo a newer status",
        needs = [Inbox, Trigger]
    ),
    check!(
        partial_coverage,
        "fallback.partial-coverage",
        "fallback",
        Must,
        ["FB-4", "INV-2"],
        "A device whose type publishes no events still shows its latest status in inventory",
        needs = [Trigger]
    ),
];
