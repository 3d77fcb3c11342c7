//! What the outage, late-event and coverage checks share: polling one device's site into the
//! reference consumer, telling its events apart, ending a receiver window.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::INV_2;
use crate::act::{self, Target};
use crate::consumer::{Consumer, Observed};
use crate::context::{Collection, Context, Delivery, Inbox, ReceiverAnswer, Walk};
use crate::outcome::{Exchange, Outcome};

/// One poll of a device's site, walked until the device is found.
pub(crate) struct Poll {
    /// When the request was sent (the harness's clock): the observation holds as of then.
    pub(crate) asked_at_ms: i64,
    /// Every record of the pages walked.
    pub(crate) records: Vec<Value>,
    /// The device's record and the exchange of its page.
    pub(crate) found: Option<(Value, Exchange)>,
}

impl Poll {
    pub(crate) fn status(&self) -> Option<&str> {
        self.found.as_ref()?.0.get("status")?.as_str()
    }

    pub(crate) fn observed(&self) -> Vec<Observed> {
        self.records.iter().filter_map(Observed::from_record).collect()
    }
}

pub(crate) async fn poll(cx: &Context, target: &Target) -> Result<Poll, Outcome> {
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
        .map_err(|e| e.to_outcome(&format!("polling the inventory of site {}", target.site_id)).citing(INV_2))?;
    Ok(Poll { asked_at_ms, records, found })
}

/// How polling for a status ended.
pub(crate) struct Polled {
    pub(crate) seen: bool,
    pub(crate) polls: u32,
    /// From the change to the poll that showed it (or to the last poll).
    pub(crate) elapsed: Duration,
    pub(crate) last: Poll,
}

/// Polls `target`'s site, feeding `consumer`, until the device shows `status` or `within` passes.
/// The interval starts short and doubles, so a fast vendor is seen at once and a slow one is
/// not hammered.
pub(crate) async fn poll_until(
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
pub(crate) fn consumer_not_knowing(target: &Target) -> Consumer {
    let mut consumer = Consumer::new();
    let observed = Observed {
        device_id: target.device_id.clone(),
        site_id: Some(target.site_id.clone()),
        status: "unknown".into(),
    };
    consumer.reconcile(0, [observed]);
    consumer
}

pub(crate) fn accepted(delivery: &Delivery) -> bool {
    delivery.answered.is_some_and(|s| (200..300).contains(&s))
}

/// Whether a delivery is the `health` event of `target` going `status`.
pub(crate) fn is_change(delivery: &Delivery, target: &Target, status: &str) -> bool {
    act::is_event(delivery, "health", &target.device_id)
        && act::body_json(delivery).and_then(|b| b.pointer("/data/status")?.as_str().map(str::to_owned)).as_deref()
            == Some(status)
}

/// Ends a receiver window early (the window would end by itself anyway).
pub(crate) fn recover(inbox: &dyn Inbox) {
    inbox.answer_for(ReceiverAnswer::Ok, Duration::ZERO);
}

/// What the outage and late-event checks start from: the receiver's deliveries and a device that
/// publishes events and that the run has not acted on yet.
pub(crate) async fn receiver_and_device(cx: &Context) -> Result<(&dyn Inbox, Target), Outcome> {
    let inbox = act::require_deliveries(cx)?;
    Ok((inbox, act::claim_fresh_publishing_device(cx).await?))
}
