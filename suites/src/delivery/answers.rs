//! DLV-4: what the vendor does with the receiver's other answers: a 3xx is not followed, a 429's
//! `Retry-After` is honoured, a 410 disables the webhook.

use std::time::Duration;

use super::retries::{Failed, retries};
use crate::act;
use crate::attempts::{self, Answering, TempWebhook, delivery_exchange, ms, secs};
use crate::context::{Context, Delivery, GONE_PATH, Inbox, REDIRECT_PATH, ReceiverAnswer};
use crate::outcome::Outcome;

/// Whether a fetch of the receiver is of its planted redirect target.
pub(crate) fn is_redirect_target(path: &str) -> bool {
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
pub(crate) async fn observe_gone(cx: &Context) -> Outcome {
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
