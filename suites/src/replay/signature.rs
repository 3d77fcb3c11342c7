//! The vendor signs (SIG-1), timestamps (SIG-2) and binds the timestamp into the signature (SIG-3).

use contract::{SignatureError, SignatureFormat};

use super::event::event_deliveries;
use super::signed::{Signed, authentic, classify_all, describe_delivery, finding, run_deliveries, seqs};
use super::{describe_format, format_of};
use crate::act;
use crate::attempts::{self, delivery_exchange, header};
use crate::context::{Context, Delivery};
use crate::outcome::{Evidence, Outcome};

/// The window SIG-2 allows between a delivery's timestamp and the receiver's clock.
const SIG2_WINDOW_SECS: i64 = contract::signature::DEFAULT_TOLERANCE_SECS as i64;
/// A skew inside the window but above this is noted.
const CLOCK_SKEW_NOTE_SECS: i64 = 5;

/// SIG-1: every delivery's signature verifies with the webhook's secret over the raw body.
pub async fn signature(cx: &Context) -> Outcome {
    let (inbox, format) = match (act::require_inbox(cx), format_of(cx)) {
        (Ok(inbox), Ok(format)) => (inbox, format),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let event = event_deliveries(cx).await;
    let event = match event.as_ref() {
        Ok(s) => s,
        Err(o) => return o.clone(),
    };
    let deliveries = run_deliveries(cx, inbox, event).await;
    let signed = classify_all(inbox, format, &deliveries);
    let expected = format!("every delivery carries {}", describe_format(format));
    let mut evidence = Evidence::default();
    let (mut outside, mut body_only) = (Vec::new(), Vec::new());
    for (delivery, how) in deliveries.iter().zip(&signed) {
        match how {
            Signed::Invalid(reason) => {
                finding(cx, &mut evidence, delivery, "", format!("{}: {reason}", describe_delivery(delivery)))
            }
            Signed::OutsideWindow => outside.push(delivery),
            Signed::BodyOnly => body_only.push(delivery),
            Signed::Valid | Signed::NoTimestamp | Signed::NoSecret => {}
        }
    }
    let n = deliveries.len();
    let mut outcome = if evidence.total_findings > 0 {
        let first = evidence.findings.first().map(|f| f.message.clone()).unwrap_or_default();
        Outcome::fail(format!(
            "SIG-1: every delivery carries {}; {} of the run's {n} deliveries did not verify: {first}",
            describe_format(format),
            evidence.total_findings,
        ))
        .expected(expected)
        .actual(first)
        .with_evidence(evidence)
    } else if signed.iter().all(|s| *s == Signed::NoSecret) {
        return Outcome::skip(
            "the receiver holds no webhook secret, so no signature can be verified: set `webhook.secret` \
             (an environment variable, or `management-api` to register the run's webhook)",
        );
    } else if signed.iter().all(|s| matches!(s, Signed::NoTimestamp | Signed::NoSecret)) {
        let mut outcome = Outcome::skip(
            "the declared format signs the timestamp, and the deliveries carry none, so their signatures cannot be \
             checked (see replay.timestamp)",
        );
        for d in &event.deliveries {
            outcome.evidence.push_exchange(&delivery_exchange(cx, d));
        }
        return outcome;
    } else {
        let judged = signed.iter().filter(|s| !matches!(s, Signed::NoTimestamp | Signed::NoSecret)).count();
        Outcome::pass(format!(
            "{} of the run so far, {} among them, verified with the webhook's secret over the raw bytes",
            attempts::count(judged, "delivery", "deliveries"),
            event.produced.of.describe()
        ))
        .expected(expected)
    };
    if !outside.is_empty() {
        outcome = outcome.with_note(format!(
            "{}: the signature is right but the timestamp is missing or outside the window (see replay.timestamp)",
            seqs(&outside)
        ));
    }
    if !body_only.is_empty() {
        outcome = outcome.with_note(format!(
            "{}: signed over the body alone (a valid `body`-scheme signature), not over the declared `{}` (see \
             replay.timestamp-bound)",
            seqs(&body_only),
            format.signed_content
        ));
    }
    let unjudged = signed.iter().filter(|s| matches!(s, Signed::NoTimestamp | Signed::NoSecret)).count();
    if unjudged > 0 {
        outcome = outcome.with_note(format!(
            "{} not judged: no secret held when they arrived, or no timestamp to check a timestamp-bound signature with",
            attempts::count(unjudged, "delivery", "deliveries")
        ));
    }
    outcome.evidence.notes.extend(event.raised.iter().cloned());
    outcome.with_note(format!("the event: {}", event.produced.done))
}

/// How far a delivery's timestamp is from the receiver's clock at arrival, in seconds
/// (positive: behind), or what is wrong with it.
pub(crate) fn timestamp_skew(format: &SignatureFormat, delivery: &Delivery) -> Result<i64, String> {
    let name = format.timestamp_header.as_deref().unwrap_or("timestamp");
    match format.read_timestamp(|n| header(delivery, n)) {
        Ok(ts) => {
            let skew = delivery.received_at_ms.div_euclid(1000) - ts;
            if skew.abs() > SIG2_WINDOW_SECS {
                let side = if skew > 0 { "behind" } else { "ahead of" };
                Err(format!(
                    "`{name}` is {ts}, {} s {side} the receiver's clock at arrival (at most {SIG2_WINDOW_SECS} s allowed)",
                    skew.abs()
                ))
            } else {
                Ok(skew)
            }
        }
        Err(SignatureError::MissingTimestamp) => Err(format!("no `{name}` header")),
        Err(SignatureError::MissingHeader(h)) => Err(format!("no `{h}` header to read the timestamp from")),
        Err(e) => Err(e.to_string()),
    }
}

/// SIG-2: every delivery carries a timestamp within 300 s of the receiver's clock.
pub async fn timestamp(cx: &Context) -> Outcome {
    let format = match format_of(cx) {
        Ok(f) => f,
        Err(o) => return o,
    };
    let event = event_deliveries(cx).await;
    let event = match event.as_ref() {
        Ok(s) => s,
        Err(o) => return o.clone(),
    };
    let Ok(inbox) = act::require_inbox(cx) else { return Outcome::error("no webhook receiver (a harness bug)") };
    let deliveries = run_deliveries(cx, inbox, event).await;
    let name = format.timestamp_header.as_deref().unwrap_or("timestamp");
    let expected =
        format!("every delivery carries `{name}` (unix seconds) within {SIG2_WINDOW_SECS} s of the receiver's clock");
    let mut evidence = Evidence::default();
    let mut largest = 0;
    for delivery in &deliveries {
        match timestamp_skew(format, delivery) {
            Ok(skew) => largest = largest.max(skew.abs()),
            Err(problem) => {
                finding(cx, &mut evidence, delivery, "", format!("{}: {problem}", describe_delivery(delivery)))
            }
        }
    }
    let n = deliveries.len();
    if evidence.total_findings > 0 {
        let first = evidence.findings.first().map(|f| f.message.clone()).unwrap_or_default();
        return Outcome::fail(format!(
            "SIG-2: every delivery carries `{name}` (unix seconds) within {SIG2_WINDOW_SECS} s of the receiver's \
             clock; {} of the run's {n} deliveries: {first}",
            evidence.total_findings
        ))
        .expected(expected)
        .actual(first)
        .with_evidence(evidence);
    }
    let outcome = Outcome::pass(format!(
        "{} of the run so far carried `{name}` within {SIG2_WINDOW_SECS} s of the receiver's clock",
        attempts::count(n, "delivery", "deliveries")
    ))
    .expected(expected);
    // A second or two is the wire and rounding; more is a clock worth a look before it drifts out.
    if largest > CLOCK_SKEW_NOTE_SECS {
        return outcome.with_note(format!("the largest skew was {largest} s: the vendor's clock may be drifting"));
    }
    outcome
}

/// SIG-3: the timestamp is inside the signed content, so a captured delivery resent with a fresh
/// timestamp no longer verifies.
pub async fn timestamp_bound(cx: &Context) -> Outcome {
    let (inbox, format) = match (act::require_inbox(cx), format_of(cx)) {
        (Ok(inbox), Ok(format)) => (inbox, format),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let expected = "the signed content includes the timestamp (scheme `timestamped`: `<ts>.<body>`)";
    let event = event_deliveries(cx).await;
    let event = match event.as_ref() {
        Ok(s) => s,
        Err(o) => return o.clone(),
    };
    if !format.binds_timestamp() {
        // The declared scheme is the weakness; a delivery that verifies under it shows the vendor uses it.
        let Some(delivery) = event.deliveries.iter().find(|d| authentic(inbox, format, d, None)) else {
            return Outcome::skip(
                "no delivery's signature verified, so the scheme in use is unconfirmed (see replay.signature)",
            );
        };
        return Outcome::fail(format!(
            "SIG-3: the timestamp is bound into the signature (scheme `timestamped`); the vendor signs `{}` alone: \
             anyone who captured one delivery can resend it with a fresh timestamp \
             and it still verifies, so the timestamp window protects nothing and only dedupe on `event_id` \
             (RPL-1) stops the replay",
            format.signed_content
        ))
        .expected(expected)
        .actual(format!("signed content `{}`", format.signed_content))
        .with_exchange(&delivery_exchange(cx, delivery));
    }
    let signed = classify_all(inbox, format, &event.deliveries);
    let mut evidence = Evidence::default();
    let mut bound = 0;
    for (delivery, how) in event.deliveries.iter().zip(&signed) {
        match how {
            Signed::Valid | Signed::OutsideWindow => bound += 1,
            Signed::BodyOnly => finding(
                cx,
                &mut evidence,
                delivery,
                "",
                format!(
                    "signed over the body alone, not over the declared `{}`: a replay with a fresh timestamp verifies",
                    format.signed_content
                ),
            ),
            Signed::NoTimestamp | Signed::NoSecret | Signed::Invalid(_) => {}
        }
    }
    if evidence.total_findings > 0 {
        let n = evidence.total_findings;
        return Outcome::fail(format!(
            "SIG-3: the timestamp is bound into the signature; {n} deliveries of {} were signed over the body alone \
             although the declared format binds the timestamp",
            event.produced.of.describe()
        ))
        .expected(expected)
        .actual("the signature verifies over `{body}` alone")
        .with_evidence(evidence);
    }
    if bound == 0 {
        return Outcome::skip(
            "no delivery's signature verified either way, so what it covers is unknown (see replay.signature)",
        );
    }
    Outcome::pass(format!(
        "the signature of {} covers the timestamp (`{}`): a replay with a fresh timestamp does not verify",
        attempts::count(bound, "delivery", "deliveries"),
        format.signed_content
    ))
    .expected(expected)
}
