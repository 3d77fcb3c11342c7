//! RPL-1, the harness's own receiver: self-checks that replay a captured delivery (as is, with a
//! fresh timestamp, ten at once, with a stale or future timestamp, altered by a byte).

use std::sync::Arc;

use contract::SignatureFormat;

use super::format_of;
use super::signed::LIKELY_CAUSE;
use crate::act::{self, verified};
use crate::attempts::{self, delivery_exchange, header};
use crate::context::{Context, Delivery, Inbox, Verification};
use crate::outcome::Outcome;

/// A verified, processed delivery with an `event_id` whose body survived as text byte for byte:
/// what the receiver self-checks replay. The latest one of the run, or a fresh one.
async fn capture(cx: &Context) -> Result<Delivery, Outcome> {
    let inbox = act::require_inbox(cx)?;
    let usable = |d: &Delivery| {
        verified(d)
            && !d.duplicate
            && d.event_id.is_some()
            && d.body.len() == d.body_bytes
            && d.answered.is_some_and(|s| (200..300).contains(&s))
    };
    if let Some(d) = inbox.deliveries().into_iter().rev().find(|d| usable(d)) {
        return Ok(d);
    }
    let produced = attempts::produce(cx).await?;
    cx.waiting(&format!("the first attempt of {}", produced.of.describe()), cx.budgets.event_wait);
    produced.first(inbox, cx.budgets.event_wait).await;
    produced.attempts(inbox).into_iter().find(|d| usable(d)).ok_or_else(|| {
        Outcome::skip(
            "no delivery the receiver accepted (signature verified, timestamp within the window, answered 2xx) with \
             an `event_id` to replay: the vendor's deliveries were refused or carry no `event_id` (see \
             replay.signature, replay.timestamp and delivery.event-id)",
        )
    })
}

/// What the self-checks that need no timestamp start from: the inbox, the signature format and a
/// captured delivery ([`capture`]).
async fn captured(cx: &Context) -> Result<(&dyn Inbox, &SignatureFormat, Delivery), Outcome> {
    let inbox = act::require_inbox(cx)?;
    let format = format_of(cx)?;
    Ok((inbox, format, capture(cx).await?))
}

/// The headers a replay carries: the signature's and the content type, as captured.
pub(crate) fn replay_headers(format: &SignatureFormat, delivery: &Delivery) -> Vec<(String, String)> {
    let keep = |k: &str| {
        k.eq_ignore_ascii_case(&format.header)
            || format.timestamp_header.as_deref().is_some_and(|t| k.eq_ignore_ascii_case(t))
            || k.eq_ignore_ascii_case("content-type")
    };
    delivery.headers.iter().filter(|(k, _)| keep(k)).cloned().collect()
}

pub(crate) fn with_header(headers: &[(String, String)], name: &str, value: String) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case(name)).cloned().collect();
    out.push((name.to_owned(), value));
    out
}

/// One replay sent to the receiver and what it recorded for it.
#[derive(Debug)]
struct Replayed {
    label: String,
    status: u16,
    recorded: Option<Delivery>,
}

impl Replayed {
    /// Refused: not answered 2xx, and not verified.
    fn refused(&self) -> bool {
        !(200..300).contains(&self.status) && self.recorded.as_ref().is_none_or(|d| !verified(d))
    }

    fn describe(&self) -> String {
        let how = self.recorded.as_ref().map(|d| attempts::verdict(&d.verification)).unwrap_or_default();
        // The copy is the harness's own alteration: the receiver's likely cause (a re-serialised
        // body, say) would read as advice about something the vendor did not do.
        let how = how.split_once(&format!("; {LIKELY_CAUSE}")).map_or(how.as_str(), |(reason, _)| reason);
        format!("{}: answered {}; {how}", self.label, self.status)
    }
}

/// The copies the receiver self-checks post (headers and body): the harness's own, not the
/// vendor's, so SIG-1 and SIG-2, which judge every delivery of the run after every other check
/// (`whole_run`), leave them out.
#[derive(Default)]
/// Each with the last delivery's seq before it was posted: the original it copies came earlier
/// and stays judged.
pub(crate) struct OwnPosts(pub(crate) std::sync::Mutex<Vec<OwnPost>>);

/// One self-posted copy: the last seq before it, its headers, its body.
type OwnPost = (u64, Vec<(String, String)>, Vec<u8>);

/// Whether `d` is a copy posted as `sent`/`body`: same raw body, every posted header as sent.
pub(crate) fn is_copy(d: &Delivery, sent: &[(String, String)], body: &[u8]) -> bool {
    d.body.as_bytes() == body
        && sent.iter().all(|(k, v)| header(d, k) == Some(v.as_str()))
        && d.headers.iter().filter(|(k, _)| sent.iter().any(|(s, _)| s.eq_ignore_ascii_case(k))).count() == sent.len()
}

pub(crate) async fn own_posts(cx: &Context) -> Arc<OwnPosts> {
    cx.memo::<OwnPosts, _, _>(|| async { OwnPosts::default() }).await
}

async fn replay(
    cx: &Context,
    inbox: &dyn Inbox,
    label: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Result<Replayed, Outcome> {
    let before = inbox.deliveries().last().map_or(0, |d| d.seq);
    own_posts(cx).await.0.lock().expect("own posts lock").push((before, headers.clone(), body.clone()));
    let since = inbox.deliveries().len();
    let sent = headers.clone();
    let status = inbox
        .post_to_self(headers, body.clone())
        .await
        .map_err(|e| Outcome::error(format!("the receiver's self-check could not reach it: {e}")))?;
    let same = |d: &Delivery| is_copy(d, &sent, &body);
    let recorded = inbox.deliveries().into_iter().skip(since).rev().find(|d| same(d));
    Ok(Replayed { label: label.to_owned(), status, recorded })
}

/// Ends a self-check: PASS when every replay was refused, else FAIL naming the ones that were not.
fn all_refused(cx: &Context, capture: &Delivery, replays: &[Replayed], expected: &str, pass: String) -> Outcome {
    let accepted: Vec<&Replayed> = replays.iter().filter(|r| !r.refused()).collect();
    let mut outcome = if accepted.is_empty() {
        Outcome::pass(pass).expected(expected)
    } else {
        let mut outcome = Outcome::fail(format!(
            "RPL-1 (receiver): the receiver verifies the signature over the raw bytes before parsing and rejects \
             timestamps outside the window; it accepted {} of {} altered replays of delivery #{}: {}",
            accepted.len(),
            replays.len(),
            capture.seq,
            accepted[0].describe()
        ))
        .expected(expected)
        .actual(accepted[0].describe());
        for r in &accepted {
            if let Some(d) = &r.recorded {
                outcome.evidence.push_exchange(&delivery_exchange(cx, d));
            }
        }
        outcome
    };
    outcome.evidence.notes.extend(replays.iter().map(Replayed::describe));
    outcome
}

/// RPL-1: the receiver processes a replayed `event_id` at most once: the capture resent as is,
/// with a fresh timestamp, and ten times at once.
pub async fn receiver_dedupes(cx: &Context) -> Outcome {
    let (inbox, format, capture) = match captured(cx).await {
        Ok(got) => got,
        Err(outcome) => return outcome,
    };
    let event_id = capture.event_id.clone().unwrap_or_default();
    let headers = replay_headers(format, &capture);
    let body = capture.body.as_bytes().to_vec();
    let mut replays = Vec::new();
    match replay(cx, inbox, "resent as captured", headers.clone(), body.clone()).await {
        Ok(r) => replays.push(r),
        Err(o) => return o,
    }
    let mut notes = Vec::new();
    match &format.timestamp_header {
        Some(name) => {
            // A second later at least: the capture may be from this very second.
            let captured = header(&capture, name).and_then(|ts| ts.trim().parse::<i64>().ok()).unwrap_or_default();
            let fresh = with_header(&headers, name, contract::unix_now().max(captured + 1).to_string());
            match replay(cx, inbox, "resent with a fresh timestamp", fresh, body.clone()).await {
                Ok(r) => replays.push(r),
                Err(o) => return o,
            }
        }
        None => notes.push("the format has no timestamp header, so no fresh-timestamp replay was sent".to_owned()),
    }
    let Some(shared) = cx.inbox.clone() else { return Outcome::error("no webhook receiver (a harness bug)") };
    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (inbox, headers, body) = (shared.clone(), headers.clone(), body.clone());
        at_once.spawn(async move { inbox.post_to_self(headers, body).await });
    }
    let mut statuses = Vec::new();
    while let Some(joined) = at_once.join_next().await {
        match joined {
            Ok(Ok(status)) => statuses.push(status),
            Ok(Err(e)) => return Outcome::error(format!("the receiver's self-check could not reach it: {e}")),
            Err(e) => return Outcome::error(format!("a concurrent replay task failed: {e}")),
        }
    }
    statuses.sort_unstable();
    notes.push(format!("ten concurrent replays as captured: answered {statuses:?}"));
    let processed: Vec<Delivery> = inbox
        .deliveries()
        .into_iter()
        .filter(|d| d.event_id.as_deref() == Some(event_id.as_str()) && verified(d) && !d.duplicate)
        .collect();
    let expected = "each `event_id` is processed at most once, whatever the replays carry";
    let sent = replays.len() + statuses.len();
    let mut outcome = if processed.len() == 1 {
        Outcome::pass(format!(
            "`event_id` {event_id} was processed once: delivery #{} and none of its {sent} replays",
            capture.seq
        ))
        .expected(expected)
    } else {
        let mut outcome = Outcome::fail(format!(
            "RPL-1 (receiver): each `event_id` is processed at most once, even when a replay carries a fresh \
             timestamp; `event_id` {event_id} was processed {} times after {sent} replays of delivery #{}",
            processed.len(),
            capture.seq
        ))
        .expected(expected)
        .actual(format!("processed {} times", processed.len()));
        for d in &processed {
            outcome.evidence.push_exchange(&delivery_exchange(cx, d));
        }
        outcome
    };
    outcome.evidence.notes.extend(replays.iter().map(Replayed::describe));
    outcome.evidence.notes.extend(notes);
    outcome
}

/// RPL-1: the receiver refuses a captured delivery whose timestamp is outside its window, in the
/// past or in the future.
pub async fn receiver_window(cx: &Context) -> Outcome {
    let (inbox, format) = match (act::require_inbox(cx), format_of(cx)) {
        (Ok(inbox), Ok(format)) => (inbox, format),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    if !format.has_timestamp() {
        return Outcome::skip("the vendor's signature format carries no timestamp, so there is no window to enforce");
    }
    let Some(tolerance) = format.tolerance_secs else {
        return Outcome::fail(
            "RPL-1 (receiver): the receiver rejects timestamps outside the window; the signature format has no \
             timestamp tolerance, so the receiver accepts any timestamp",
        )
        .expected("a tolerance (300 s in the contract's formats)");
    };
    let capture = match capture(cx).await {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let headers = replay_headers(format, &capture);
    let body = capture.body.as_bytes().to_vec();
    let beyond = tolerance as i64 + 60;
    // The timestamp moves where the format keeps it: its own header, or inside the signature
    // value (`{ts}|{sig}`), where the captured timestamp is replaced.
    let captured_ts = match &capture.verification {
        Verification::Valid { timestamp: Some(ts) } => Some(*ts),
        _ => None,
    };
    let mut replays = Vec::new();
    for (label, offset) in [("stale", -beyond), ("future", beyond)] {
        let moved_ts = (contract::unix_now() + offset).to_string();
        let moved = match (&format.timestamp_header, captured_ts, header(&capture, &format.header)) {
            (Some(name), _, _) => with_header(&headers, name, moved_ts),
            (None, Some(ts), Some(value)) => {
                with_header(&headers, &format.header, value.replacen(&ts.to_string(), &moved_ts, 1))
            }
            _ => {
                return Outcome::skip(
                    "the captured delivery's timestamp could not be read from its signature value, so it could not be moved",
                );
            }
        };
        let label = format!("resent with a {label} timestamp ({offset:+} s)");
        match replay(cx, inbox, &label, moved, body.clone()).await {
            Ok(r) => replays.push(r),
            Err(o) => return o,
        }
    }
    let mut outcome = all_refused(
        cx,
        &capture,
        &replays,
        &format!("a timestamp more than {tolerance} s from the receiver's clock is refused"),
        format!(
            "delivery #{} resent {beyond} s in the past and {beyond} s in the future was refused both times",
            capture.seq
        ),
    );
    if format.binds_timestamp() {
        outcome = outcome.with_note("the signature covers the timestamp, so moving it also breaks the signature");
    }
    outcome
}

/// RPL-1: the receiver verifies the raw bytes before parsing: copies that parse to the same
/// JSON, or carry a missing or altered signature, are refused.
pub async fn receiver_raw_bytes(cx: &Context) -> Outcome {
    let (inbox, format, capture) = match captured(cx).await {
        Ok(got) => got,
        Err(outcome) => return outcome,
    };
    let headers = replay_headers(format, &capture);
    let body = capture.body.clone();
    let unsigned: Vec<(String, String)> =
        headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case(&format.header)).cloned().collect();
    let altered_signature = header(&capture, &format.header).map(|sig| {
        let mut chars: Vec<char> = sig.chars().collect();
        if let Some(last) = chars.last_mut() {
            *last = if *last == '0' { '1' } else { '0' };
        }
        with_header(&headers, &format.header, chars.into_iter().collect())
    });
    let mut variants = vec![
        ("the same JSON with a space after its first `{`", headers.clone(), body.replacen('{', "{ ", 1)),
        ("the same JSON with a trailing newline", headers.clone(), format!("{body}\n")),
        ("without its signature header", unsigned, body.clone()),
    ];
    if let Some(altered) = altered_signature {
        variants.push(("with the last character of its signature changed", altered, body.clone()));
    }
    let mut replays = Vec::new();
    for (label, headers, body) in variants {
        match replay(cx, inbox, label, headers, body.into_bytes()).await {
            Ok(r) => replays.push(r),
            Err(o) => return o,
        }
    }
    all_refused(
        cx,
        &capture,
        &replays,
        "a copy whose bytes or signature differ from what was signed is refused before it is parsed",
        format!(
            "{} altered copies of delivery #{} were refused: the receiver verifies the raw bytes, not the parsed JSON",
            replays.len(),
            capture.seq
        ),
    )
    .with_note("the MAC comparison is constant-time (`hmac`'s `verify_slice`), which no black-box test can show")
}
