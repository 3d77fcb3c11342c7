//! The retry observation, made once per run: one event whose first attempts the receiver fails
//! with 500s, one left unanswered past the vendor's timeout, and every attempt of each.

use std::sync::Arc;
use std::time::Duration;

use super::answers::observe_gone;
use crate::act::{self, body_json};
use crate::attempts::{self, Answering, Produced, delivery_exchange, gaps_ms, ms};
use crate::context::{Context, Delivery, ReceiverAnswer};
use crate::outcome::{Evidence, Finding, Outcome};

/// A retry sent at least this long after the first attempt must carry a later timestamp: unix
/// seconds cannot tie across a whole second (the slack covers when each arrival was stamped).
pub(crate) const FRESH_AFTER_MS: i64 = 1100;

/// One event whose first attempts the receiver failed on purpose, and every attempt of it.
#[derive(Debug, Clone)]
pub(crate) struct Failed {
    /// How the receiver failed them, in words (`answered 500`).
    pub(crate) how: &'static str,
    /// What the receiver's answer to a failed attempt is recorded as (`None`: held, unanswered).
    pub(crate) answered: Option<u16>,
    pub(crate) produced: Produced,
    /// Every attempt seen by the end of the observation, in arrival order.
    pub(crate) attempts: Vec<Delivery>,
}

impl Failed {
    /// How many attempts were failed as intended (a slow vendor's first attempt may come after
    /// the failure window).
    pub(crate) fn failed(&self) -> usize {
        self.attempts.iter().take_while(|d| d.answered == self.answered).count()
    }

    pub(crate) fn retried(&self) -> bool {
        self.failed() >= 1 && self.attempts.len() >= 2
    }
}

/// The shared retry observation: a 500 phase and an unanswered-request phase, and what was
/// observed while the second waited for its retry.
#[derive(Debug)]
pub(crate) struct Retries {
    pub(crate) server_error: Result<Failed, Outcome>,
    pub(crate) timeout: Result<Failed, Outcome>,
    pub(crate) meanwhile: Meanwhile,
}

/// What was observed while a phase waited for its retry, the receiver answering 200 again.
/// Each is `None` when the phase ended before it could be made.
#[derive(Debug, Default)]
pub(crate) struct Meanwhile {
    /// An event produced as soon as the receiver answered 200 again: its first attempt is
    /// accepted, and the wait for the retry is its quiet window (DLV-3).
    pub(crate) accepted: Option<Result<Produced, Outcome>>,
    /// The outcome of the 410 observation (DLV-4), when the vendor offers webhook management.
    pub(crate) gone: Option<Outcome>,
}

impl Retries {
    pub(crate) fn phases(&self) -> [&Result<Failed, Outcome>; 2] {
        [&self.server_error, &self.timeout]
    }

    pub(crate) fn observed(&self) -> impl Iterator<Item = &Failed> {
        self.phases().into_iter().filter_map(|p| p.as_ref().ok())
    }

    /// The outcome for a check that has nothing observed to judge.
    pub(crate) fn nothing_observed(&self) -> Outcome {
        self.phases()
            .into_iter()
            .find_map(|p| p.as_ref().err().cloned())
            .unwrap_or_else(|| Outcome::error("no retry phase ran (a harness bug)"))
    }

    /// The gap between the first two attempts after a 500, when the vendor retried.
    pub(crate) fn natural_gap_ms(&self) -> Option<i64> {
        self.server_error.as_ref().ok().filter(|f| f.retried()).and_then(|f| gaps_ms(&f.attempts).first().copied())
    }
}

pub(crate) async fn retries(cx: &Context) -> Arc<Retries> {
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
pub(crate) fn schedule(attempts: &[Delivery]) -> String {
    gaps_ms(attempts).into_iter().map(ms).collect::<Vec<_>>().join(", ")
}

pub(crate) fn attempt_finding(
    cx: &Context,
    evidence: &mut Evidence,
    delivery: &Delivery,
    subject: String,
    message: String,
) {
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
pub(crate) fn finish(evidence: Evidence, expected: &str, pass: String, requirement: &str) -> Outcome {
    let Some(first) = evidence.findings.first() else { return Outcome::pass(pass).expected(expected) };
    let message = format!("{}: {}", first.subject, first.message);
    Outcome::fail(format!("{requirement}; {message}")).expected(expected).actual(message).with_evidence(evidence)
}
