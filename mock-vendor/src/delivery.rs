//! The webhook delivery engine (CONTRACT.md §7, §8): at-least-once with a retry schedule and
//! jitter, fresh timestamp and signature per attempt over a byte-identical body, 3xx as failure,
//! 429 `Retry-After` honoured, 410 disables. Each delivery runs in its own task, so a slow or dead
//! receiver never holds up another webhook.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use contract::{Secret, SignatureFormat, WebhookStatus};
use rand::Rng;
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};

use crate::fault::Fault;
use crate::state::{AppState, AttemptRec, DeliveryState, WebhookRec};

/// How one attempt ended.
enum Answer {
    Success,
    Gone,
    RetryAfter(Duration),
    Failed,
}

fn finish(state: &AppState, id: u64, s: DeliveryState) {
    state.with_delivery(id, |d| d.state = s);
}

fn record(state: &AppState, id: u64, attempt: AttemptRec) {
    state.with_delivery(id, |d| d.attempts.push(attempt));
}

/// The waits between attempts, after the retry faults.
fn schedule(state: &AppState) -> Vec<Duration> {
    let mut schedule = state.config.retry_schedule.clone();
    if state.has(Fault::NoRetries) {
        schedule.clear();
    } else if state.has(Fault::ShortRetryHorizon) {
        schedule.truncate(1);
    }
    schedule
}

fn jittered(state: &AppState, wait: Duration) -> Duration {
    let j = state.config.jitter.clamp(0.0, 1.0);
    if j == 0.0 {
        return wait;
    }
    wait.mul_f64(rand::thread_rng().gen_range(1.0 - j..=1.0 + j))
}

/// The body of attempt `n`, after the body-changing faults (the stored body is never touched).
fn attempt_body(state: &AppState, stored: &Bytes, n: usize) -> Bytes {
    let restamp = state.has(Fault::EventTimestampIsSendTime);
    let new_id = n > 0 && state.has(Fault::RetryNewEventId);
    let counter = n > 0 && state.has(Fault::RetryChangedBody);
    if !(restamp || new_id || counter) {
        return stored.clone();
    }
    let Ok(serde_json::Value::Object(mut event)) = serde_json::from_slice::<serde_json::Value>(stored) else {
        return stored.clone();
    };
    if restamp {
        event.insert("timestamp".into(), contract::rfc3339_millis(contract::unix_now_ms()).into());
    }
    if new_id {
        event.insert("event_id".into(), uuid::Uuid::new_v4().to_string().into());
    }
    if counter {
        event.insert("delivery_attempt".into(), (n + 1).into());
    }
    Bytes::from(serde_json::to_vec(&event).expect("events serialise"))
}

/// Runs one delivery to completion. `position` is where its webhook was in `state.webhooks`
/// when the event was emitted: looked at first on every attempt (an O(1) check rather than a scan
/// of every webhook, at 1,000 webhooks most of an attempt's work), and searched for only if
/// another webhook is there now (a reset).
pub async fn deliver(state: AppState, id: u64, position: usize) {
    let Some((webhook_id, stored, ping)) =
        state.with_delivery(id, |d| (d.webhook_id.clone(), d.body.clone(), d.event_type == "ping"))
    else {
        return;
    };
    let unsigned = state.has(Fault::UnsignedDeliveries) || (ping && state.has(Fault::UnsignedPing));
    let waits = schedule(&state);
    let format = delivery_format(&state);
    let mut first_signature: Option<Vec<(String, String)>> = None;
    let own_slots = webhook_slots(&state, &webhook_id);
    // The target as last parsed: parsed again only if the webhook's URL changed.
    let mut parsed: Option<(String, reqwest::Url)> = None;
    let mut attempt = 0usize;
    loop {
        let target = {
            let hooks = state.webhooks.lock().expect("webhooks lock");
            webhook_at(&state, &hooks, &webhook_id, position)
                .map(|at| &hooks[at])
                .map(|w| (w.target_url.clone(), w.secret.clone(), w.deleted, w.status))
        };
        let Some((url, secret, deleted, status)) = target else { return finish(&state, id, DeliveryState::Cancelled) };
        if deleted && !state.has(Fault::DeliverAfterDelete) {
            return finish(&state, id, DeliveryState::Cancelled);
        }
        if status == WebhookStatus::Disabled {
            return finish(&state, id, DeliveryState::Disabled);
        }
        // Waiting for a slot is not part of the attempt: it is signed and timed once it has one.
        // The webhook's own slot first, so waiting behind a slow webhook holds no global slot.
        let own = own_slots.acquire().await.expect("a webhook's semaphore is never closed");
        let slot = (own, state.delivery_slots.acquire().await.expect("the delivery semaphore is never closed"));
        let body = state.config.shape.event_body(attempt_body(&state, &stored, attempt));
        let headers = signed_headers(&state, &format, &secret, &body, unsigned, &mut first_signature);
        if parsed.as_ref().is_none_or(|(was, _)| *was != url) {
            parsed = reqwest::Url::parse(&url).ok().map(|u| (url.clone(), u));
        }
        let target = parsed.as_ref().map(|(_, u)| u);
        let answer = send(&state, id, &url, target, &headers, &body).await;
        match answer {
            Answer::Success => {
                if state.has(Fault::DeliverAfterSuccess) && attempt == 0 {
                    let again = signed_headers(&state, &format, &secret, &body, unsigned, &mut None);
                    let _ = send(&state, id, &url, target, &again, &body).await;
                }
                drop(slot);
                return finish(&state, id, DeliveryState::Succeeded);
            }
            Answer::Gone if !state.has(Fault::Ignore410) => {
                let mut hooks = state.webhooks.lock().expect("webhooks lock");
                if let Some(at) = webhook_at(&state, &hooks, &webhook_id, position) {
                    hooks[at].status = WebhookStatus::Disabled;
                }
                drop(hooks);
                return finish(&state, id, DeliveryState::Disabled);
            }
            _ => {}
        }
        drop(slot);
        let Some(&scheduled) = waits.get(attempt) else {
            tracing::warn!(delivery = id, "delivery dead-lettered after {} attempts", attempt + 1);
            return finish(&state, id, DeliveryState::DeadLettered);
        };
        let mut wait = jittered(&state, scheduled);
        if let Answer::RetryAfter(asked) = answer
            && !state.has(Fault::IgnoreRetryAfter)
        {
            wait = wait.max(asked.min(state.config.max_retry_after));
        }
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// Where webhook `id` is in `hooks` (the locked `webhooks`): at `position`, where `emit` found
/// it, while it still is; else wherever the state's index finds it.
fn webhook_at(state: &AppState, hooks: &[WebhookRec], id: &str, position: usize) -> Option<usize> {
    let still = hooks.get(position).is_some_and(|w| w.id == id);
    if still { Some(position) } else { state.webhook_position(hooks, id) }
}

/// The semaphore bounding `webhook_id`'s attempts in flight.
fn webhook_slots(state: &AppState, webhook_id: &str) -> Arc<tokio::sync::Semaphore> {
    let mut slots = state.webhook_slots.lock().expect("webhook slots lock");
    if let Some(s) = slots.get(webhook_id) {
        return s.clone();
    }
    let s = Arc::new(tokio::sync::Semaphore::new(state.config.max_deliveries_per_webhook.max(1)));
    slots.insert(webhook_id.to_owned(), s.clone());
    s
}

/// The shape's signature format after the signature faults that change the format itself.
fn delivery_format(state: &AppState) -> SignatureFormat {
    let mut format = state.config.signature_format();
    if state.has(Fault::UnboundTimestamp) {
        format.signed_content = "{body}".to_owned();
    }
    if state.has(Fault::MissingTimestamp) && format.timestamp_header.is_none() {
        // The timestamp sits inside the signature value (`{ts}|{sig}`): leave it out, separator
        // and all. A format with a timestamp header loses the header in `signed_headers`.
        let value = format.value_template.replace("{ts}", "");
        format.value_template = value.trim_matches(|c: char| "|,.;: ".contains(c)).to_owned();
    }
    format
}

fn signed_headers(
    state: &AppState,
    format: &SignatureFormat,
    secret: &Secret,
    body: &[u8],
    unsigned: bool,
    first: &mut Option<Vec<(String, String)>>,
) -> Vec<(String, String)> {
    if state.has(Fault::RetryStaleSignature)
        && let Some(headers) = first
    {
        return headers.clone();
    }
    let mut ts = contract::unix_now();
    if state.has(Fault::StaleTimestamp) {
        ts -= 3600;
    }
    let wrong = Secret::new("whsec_not_the_webhooks_secret");
    let mut headers = format.sign(if state.has(Fault::WrongSignature) { &wrong } else { secret }, body, ts);
    if unsigned {
        headers.retain(|(k, _)| k != &format.header);
    }
    if state.has(Fault::MissingTimestamp) {
        headers.retain(|(k, _)| Some(k) != format.timestamp_header.as_ref());
    }
    if state.has(Fault::RetryStaleSignature) {
        first.get_or_insert_with(|| headers.clone());
    }
    headers
}

/// One attempt to `url` (`parsed`, when it parsed), recorded.
async fn send(
    state: &AppState,
    id: u64,
    url: &str,
    parsed: Option<&reqwest::Url>,
    headers: &[(String, String)],
    body: &Bytes,
) -> Answer {
    let started = Instant::now();
    let at_ms = contract::unix_now_ms();
    let mut target = url.to_owned();
    let mut result = post(state, &target, parsed, headers, body).await;
    if state.has(Fault::FollowRedirects)
        && let Ok(r) = &result
        && r.status().is_redirection()
        && let Some(next) = r
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| reqwest::Url::parse(url).ok()?.join(l).ok())
    {
        target = next.to_string();
        result = post(state, &target, Some(&next), headers, body).await;
    }
    let duration_ms = started.elapsed().as_millis() as u64;
    let (answer, status, error) = match result {
        Ok(r) => {
            let code = r.status();
            let answer = if code.is_success() {
                Answer::Success
            } else if code.as_u16() == 410 {
                Answer::Gone
            } else if code.as_u16() == 429 {
                let secs = r
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                secs.map_or(Answer::Failed, |s| Answer::RetryAfter(Duration::from_secs(s)))
            } else {
                Answer::Failed
            };
            (answer, Some(code.as_u16()), None)
        }
        Err(what) => (Answer::Failed, None, Some(what)),
    };
    record(state, id, AttemptRec { at_ms, status, error, duration_ms, target_url: target });
    answer
}

/// One POST behind the egress guard (WHM-3): an IP-literal host is judged here, a host name by
/// the client's resolver (`targets::GuardedResolver`) at every connection, so a target that was
/// fine at create time but now reaches a refused address (DNS rebinding, a redirect) is never
/// connected to. The error is the attempt's recorded `error`.
async fn post(
    state: &AppState,
    url: &str,
    parsed: Option<&reqwest::Url>,
    headers: &[(String, String)],
    body: &Bytes,
) -> Result<reqwest::Response, String> {
    let Some(parsed) = parsed else {
        // The engine's parse failed: the guard says why in its own words.
        let why = crate::targets::check_egress_url(url, state.config.allow_private_targets).err().unwrap_or_default();
        tracing::warn!(%url, "delivery refused by the egress guard: {why}");
        return Err(EGRESS_REFUSED.to_owned());
    };
    if let Err(why) = crate::targets::check_egress_parsed(parsed, state.config.allow_private_targets) {
        tracing::warn!(%url, "delivery refused by the egress guard: {why}");
        return Err(EGRESS_REFUSED.to_owned());
    }
    // The parsed URL, not the text: reqwest would parse it again.
    let mut req = state.http.post(parsed.clone()).header(CONTENT_TYPE, "application/json").body(body.clone());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    req.send().await.map_err(|e| {
        let what = if format!("{e:?}").contains(crate::targets::EGRESS_GUARD) {
            EGRESS_REFUSED
        } else if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connection refused"
        } else {
            "request failed"
        };
        what.to_owned()
    })
}

/// The recorded error of an attempt the egress guard stopped.
const EGRESS_REFUSED: &str = "refused by the egress guard";
