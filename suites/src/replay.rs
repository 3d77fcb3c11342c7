//! The replay suite (SIG-1 … SIG-4, RPL-1).
//!
//! The vendor's side: every delivery is signed per the declared format over its raw bytes and
//! carries a timestamp near the receiver's clock; the timestamp is bound into the signature;
//! each webhook has its own secret. The harness's side: its own receiver meets RPL-1, shown by
//! self-checks that replay a captured delivery (as is, with a fresh timestamp, ten at once, with
//! a stale or future timestamp, altered by a byte). The self-checks judge the harness, not the
//! vendor: no vendor behaviour can make them fail, and the fault table says so.
//!
//! A check never holds the run's webhook secret: the receiver verifies, and
//! [`Inbox::verify_with`] asks it to verify a recorded delivery again another way.

use std::sync::Arc;

use contract::{SignatureError, SignatureFormat};

use crate::Check;
use crate::act::{self, verified};
use crate::attempts::{self, Produced, TempWebhook, delivery_exchange, header, secs};
use crate::context::{Action, Context, Delivery, Inbox, Verification};
use crate::outcome::{Evidence, Finding, Outcome};

/// The window SIG-2 allows between a delivery's timestamp and the receiver's clock.
const SIG2_WINDOW_SECS: i64 = contract::signature::DEFAULT_TOLERANCE_SECS as i64;
/// A skew inside the window but above this is noted.
const CLOCK_SKEW_NOTE_SECS: i64 = 5;

fn format_of(cx: &Context) -> Result<&SignatureFormat, Outcome> {
    cx.signature.as_ref().ok_or_else(|| Outcome::error("the run has no signature format (a harness bug)"))
}

/// The declared format in words: `X-Webhook-Signature: sha256=<sig>`, hex HMAC-SHA256 over `{ts}.{body}`.
fn describe_format(format: &SignatureFormat) -> String {
    format!(
        "`{}: {}`, the {} HMAC-SHA256 keyed by the webhook's secret over `{}`",
        format.header,
        format.value_template.replace("{sig}", "<sig>").replace("{ts}", "<ts>"),
        format.encoding,
        format.signed_content
    )
}

/// The deliveries of one produced event, shared by the signature and timestamp checks: one
/// event serves all three (and under a signing fault, one train of refused retries, not three).
#[derive(Debug)]
struct Sample {
    produced: Produced,
    deliveries: Vec<Delivery>,
    /// What was done so that every kind of delivery is among the run's (families, a ping).
    raised: Vec<String>,
}

async fn sample(cx: &Context) -> Arc<Result<Sample, Outcome>> {
    cx.memo::<Result<Sample, Outcome>, _, _>(|| async {
        let inbox = act::require_inbox(cx)?;
        let produced = attempts::produce(cx).await?;
        cx.waiting(&format!("the first attempt of {}", produced.of.describe()), cx.budgets.event_wait);
        if produced.first(inbox, cx.budgets.event_wait).await.is_none() {
            return Err(produced.never_arrived(cx.budgets.event_wait));
        }
        let deliveries = produced.attempts(inbox);
        let raised = raise_every_kind(cx, inbox).await;
        Ok(Sample { produced, deliveries, raised })
    })
    .await
}

/// Makes every kind of delivery the vendor declares happen once, so SIG-1 and SIG-2 judge each:
/// an event of every declared family besides health (through the trigger, on a device of a type
/// that plausibly emits it) and, when the vendor declares the ping extension and none came yet, a
/// ping. The suites that judge these events run later; a signature is judged here. Returns notes
/// on what was raised and what could not be.
async fn raise_every_kind(cx: &Context, inbox: &dyn Inbox) -> Vec<String> {
    let mut notes = Vec::new();
    let since = inbox.deliveries().len();
    let mut raised: Vec<(String, String)> = Vec::new();
    let families: Vec<&String> = cx.declared.event_families.iter().filter(|f| *f != "health" && *f != "ping").collect();
    if !families.is_empty() {
        match (act::require_trigger(cx), act::devices(cx).await) {
            (Ok(trigger), Ok(devices)) => {
                let catalogue = crate::events::catalogue_entries(cx).await;
                let silent = act::silent_types(cx).await;
                for family in families {
                    let entry = catalogue.as_ref().and_then(|c| {
                        c.iter().find(|e| e.get("event_type").and_then(serde_json::Value::as_str) == Some(family))
                    });
                    let Some(data) = crate::events::sample_data(family, entry) else {
                        notes.push(format!("`{family}` not raised: no example of its `data` to raise it with"));
                        continue;
                    };
                    let emitters: Vec<String> = entry
                        .and_then(|e| e.get("emitted_by")?.as_array().cloned())
                        .map(|t| t.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                        .unwrap_or_else(|| {
                            crate::events::likely_types(family).iter().map(|t| (*t).to_owned()).collect()
                        });
                    let publishing = |t: &&act::Target| !silent.contains(&t.device_type);
                    let Some(target) = devices
                        .iter()
                        .filter(publishing)
                        .find(|t| emitters.contains(&t.device_type))
                        .or_else(|| devices.iter().find(publishing))
                    else {
                        continue;
                    };
                    let action = Action::DeviceEvent {
                        site_id: target.site_id.clone(),
                        device_id: target.device_id.clone(),
                        event_type: family.clone(),
                        data,
                    };
                    match trigger.act(&action).await {
                        Ok(_) => raised.push((family.clone(), target.device_id.clone())),
                        Err(e) => notes.push(format!("`{family}` not raised: {}", act::trigger_outcome(&e).message)),
                    }
                }
            }
            (Err(o), _) | (_, Err(o)) => notes.push(format!("declared families not raised: {}", o.message)),
        }
    }
    let pinged = inbox.deliveries().iter().any(|d| {
        act::body_json(d).is_some_and(|b| b.get("event_type").and_then(serde_json::Value::as_str) == Some("ping"))
    });
    let mut ping = None;
    if cx.declared.capabilities.contains("ping") && !pinged {
        match attempts::ping(cx, None).await {
            Ok(p) => ping = Some(p),
            Err(o) => notes.push(format!("no ping sent: {}", o.message)),
        }
    }
    let arrived = |all: &[Delivery]| {
        raised.iter().all(|(f, d)| all.iter().skip(since).any(|x| act::is_event(x, f, d)))
            && ping.as_ref().is_none_or(|p| all.iter().skip(p.since).any(|x| p.of.matches(x)))
    };
    cx.waiting("the events raised (and the ping)", cx.budgets.event_wait);
    inbox.wait_for(&arrived, cx.budgets.event_wait).await;
    let all = inbox.deliveries();
    let (came, missing): (Vec<_>, Vec<_>) =
        raised.iter().partition(|(f, d)| all.iter().skip(since).any(|x| act::is_event(x, f, d)));
    if !came.is_empty() {
        notes.push(format!(
            "raised so their deliveries are judged too: {}",
            came.iter().map(|(f, d)| format!("`{f}` on device {d}")).collect::<Vec<_>>().join(", ")
        ));
    }
    if !missing.is_empty() {
        notes.push(format!(
            "raised but not delivered within {} (see events.families): {}",
            secs(cx.budgets.event_wait),
            missing.iter().map(|(f, d)| format!("`{f}` on device {d}")).collect::<Vec<_>>().join(", ")
        ));
    }
    notes
}

/// How one delivery's signature stands, told apart by verifying it again other ways.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Signed {
    /// Verified as declared.
    Valid,
    /// The MAC is right; only the timestamp window failed (SIG-2's finding, not SIG-1's).
    OutsideWindow,
    /// The MAC is right over the body alone, although the declared format binds the timestamp:
    /// a valid `body`-scheme signature (SIG-1 holds), and SIG-3's finding.
    BodyOnly,
    /// The declared format signs the timestamp and the delivery has none: the MAC cannot be
    /// checked (SIG-2's finding).
    NoTimestamp,
    /// The receiver holds no secret.
    NoSecret,
    /// A wrong, missing or malformed signature.
    Invalid(String),
}

/// `reverify` verifies the delivery's raw bytes again with another format (the receiver's own
/// secrets, the delivery's arrival as the clock). The receiver's own verdict is not enough: it
/// accepts a body-only signature under a format that binds the timestamp (SIG-1 holds), which
/// SIG-3 must still tell apart.
fn classify(
    format: &SignatureFormat,
    delivery: &Delivery,
    reverify: impl Fn(&SignatureFormat) -> Verification,
) -> Signed {
    if delivery.verification == Verification::NoSecret {
        return Signed::NoSecret;
    }
    let reason = match reverify(format) {
        Verification::Valid { .. } => return Signed::Valid,
        Verification::NoSecret => return Signed::NoSecret,
        Verification::Invalid { reason } => reason,
    };
    let valid = |f: &SignatureFormat| matches!(reverify(f), Verification::Valid { .. });
    if valid(&format.without_window()) {
        return Signed::OutsideWindow;
    }
    if format.binds_timestamp() {
        if valid(&format.body_only().without_window()) {
            return Signed::BodyOnly;
        }
        if format.read_timestamp(|name| header(delivery, name)) == Err(SignatureError::MissingTimestamp) {
            return Signed::NoTimestamp;
        }
    }
    // The receiver named the common mistake that explains it (`contract::diagnose`), for the
    // vendor's engineer: the finding quotes it.
    let cause = match &delivery.verification {
        Verification::Invalid { reason: recorded } => recorded.find(LIKELY_CAUSE).map(|at| &recorded[at..]),
        _ => None,
    };
    match cause {
        Some(cause) if !reason.contains(cause) => Signed::Invalid(format!("{reason}; {cause}")),
        _ => Signed::Invalid(reason),
    }
}

/// How [`contract::diagnose::Mistake::likely_cause`] opens.
const LIKELY_CAUSE: &str = "likely cause: ";

/// Whether a delivery's signature is right (SIG-1), whatever its timestamp (SIG-2's business)
/// and whether or not the format's signed content binds the timestamp (SIG-3's).
fn authentic(
    inbox: &dyn Inbox,
    format: &SignatureFormat,
    delivery: &Delivery,
    secret: Option<&contract::Secret>,
) -> bool {
    [format.without_window(), format.body_only().without_window()]
        .iter()
        .any(|f| matches!(inbox.verify_with(delivery, f, secret), Verification::Valid { .. }))
}

fn classify_all(inbox: &dyn Inbox, format: &SignatureFormat, deliveries: &[Delivery]) -> Vec<Signed> {
    deliveries.iter().map(|d| classify(format, d, |f| inbox.verify_with(d, f, None))).collect()
}

fn finding(cx: &Context, evidence: &mut Evidence, delivery: &Delivery, pointer: &str, message: String) {
    let exchange = delivery_exchange(cx, delivery);
    evidence.push_exchange(&exchange);
    evidence.push_finding(Finding {
        subject: format!("delivery #{}", delivery.seq),
        pointer: pointer.into(),
        message,
        record: act::body_json(delivery),
        source: Some(exchange.url),
    });
}

/// Every delivery the receiver got in the run so far (pings, every family, every receiver path,
/// webhooks the checks created for themselves), the sample included: SIG-1 and SIG-2 hold for
/// every delivery, not only for the event these checks asked for. The altered copies the receiver
/// self-checks post are the harness's, not the vendor's, and are left out; so are deliveries that
/// reached a webhook after the run deleted it: WHM-2 says they must not come at all, and the
/// webhooks suite judges that (a deleted webhook's secret may rightly be gone at the vendor).
async fn run_deliveries(cx: &Context, inbox: &dyn Inbox, sample: &Sample) -> Vec<Delivery> {
    let own = own_posts(cx).await;
    let own = own.0.lock().expect("own posts lock").clone();
    let mut all: Vec<Delivery> = inbox
        .deliveries()
        .into_iter()
        .filter(|d| !own.iter().any(|(at, h, b)| d.seq > *at && is_copy(d, h, b)))
        .filter(|d| !act::after_retirement(cx, d))
        .collect();
    for d in &sample.deliveries {
        if !all.iter().any(|a| a.seq == d.seq) {
            all.push(d.clone());
        }
    }
    all
}

/// `delivery #3 (ping at /webhook)`: which delivery, of what, where.
fn describe_delivery(delivery: &Delivery) -> String {
    let what = act::body_json(delivery)
        .and_then(|b| b.get("event_type").and_then(serde_json::Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "no event type".to_owned());
    format!("delivery #{} ({what} at {})", delivery.seq, delivery.path)
}

/// `#3, #5 and 2 more`.
fn seqs(deliveries: &[&Delivery]) -> String {
    let mut shown: Vec<String> = deliveries.iter().take(5).map(|d| format!("#{}", d.seq)).collect();
    if deliveries.len() > 5 {
        shown.push(format!("{} more", deliveries.len() - 5));
    }
    shown.join(", ")
}

/// SIG-1: every delivery's signature verifies with the webhook's secret over the raw body.
pub async fn signature(cx: &Context) -> Outcome {
    let (inbox, format) = match (act::require_inbox(cx), format_of(cx)) {
        (Ok(inbox), Ok(format)) => (inbox, format),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let sample = sample(cx).await;
    let sample = match sample.as_ref() {
        Ok(s) => s,
        Err(o) => return o.clone(),
    };
    let deliveries = run_deliveries(cx, inbox, sample).await;
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
        for d in &sample.deliveries {
            outcome.evidence.push_exchange(&delivery_exchange(cx, d));
        }
        return outcome;
    } else {
        let judged = signed.iter().filter(|s| !matches!(s, Signed::NoTimestamp | Signed::NoSecret)).count();
        Outcome::pass(format!(
            "{} of the run so far, {} among them, verified with the webhook's secret over the raw bytes",
            attempts::count(judged, "delivery", "deliveries"),
            sample.produced.of.describe()
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
    outcome.evidence.notes.extend(sample.raised.iter().cloned());
    outcome.with_note(format!("the event: {}", sample.produced.done))
}

/// How far a delivery's timestamp is from the receiver's clock at arrival, in seconds
/// (positive: behind), or what is wrong with it.
fn timestamp_skew(format: &SignatureFormat, delivery: &Delivery) -> Result<i64, String> {
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
    let sample = sample(cx).await;
    let sample = match sample.as_ref() {
        Ok(s) => s,
        Err(o) => return o.clone(),
    };
    let Ok(inbox) = act::require_inbox(cx) else { return Outcome::error("no webhook receiver (a harness bug)") };
    let deliveries = run_deliveries(cx, inbox, sample).await;
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
    let sample = sample(cx).await;
    let sample = match sample.as_ref() {
        Ok(s) => s,
        Err(o) => return o.clone(),
    };
    if !format.binds_timestamp() {
        // The declared scheme is the weakness; a delivery that verifies under it shows the vendor uses it.
        let Some(delivery) = sample.deliveries.iter().find(|d| authentic(inbox, format, d, None)) else {
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
    let signed = classify_all(inbox, format, &sample.deliveries);
    let mut evidence = Evidence::default();
    let mut bound = 0;
    for (delivery, how) in sample.deliveries.iter().zip(&signed) {
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
            sample.produced.of.describe()
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

/// SIG-4: a newly created webhook gets a secret of its own, not the run's webhook's.
pub async fn distinct_secrets(cx: &Context) -> Outcome {
    let (inbox, format) = match (act::require_inbox(cx), format_of(cx)) {
        (Ok(inbox), Ok(format)) => (inbox, format),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let target = format!("{}/second-webhook", inbox.public_url().trim_end_matches('/'));
    let hook = match TempWebhook::create(cx, "second webhook (SIG-4)", target).await {
        Ok(hook) => hook,
        Err(outcome) => return outcome,
    };
    // Its deliveries then verify, are answered 200 and are not retried into later checks.
    inbox.add_secret(hook.secret().clone());
    let created = hook.exchange.clone();
    let outcome = compare_secrets(cx, inbox, format, &hook).await;
    let deleted = hook.delete(cx).await;
    let mut outcome = outcome.with_note(deleted);
    if outcome.status == crate::Status::Fail {
        outcome.evidence.push_exchange(&created);
    }
    outcome
}

async fn compare_secrets(cx: &Context, inbox: &dyn Inbox, format: &SignatureFormat, hook: &TempWebhook) -> Outcome {
    let produced = match attempts::produce(cx).await {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    // A health event reaches both webhooks; a ping only the run's. The two copies are told apart by
    // the receiver path they arrive on, not by counting: a vendor that sends a copy twice must not
    // pass for one that sent both.
    let needs_new_copy = !matches!(produced.of, attempts::EventOf::Ping { .. });
    let on_new =
        |d: &Delivery| d.path.split('?').next().unwrap_or_default().trim_end_matches('/').ends_with("/second-webhook");
    let signed = |d: &Delivery| authentic(inbox, format, d, None);
    let other_secret = |d: &Delivery| signed(d) && !authentic(inbox, format, d, Some(hook.secret()));
    let (of, since) = (&produced.of, produced.since);
    let settled = |all: &[Delivery]| {
        let mine: Vec<&Delivery> = all.iter().skip(since).filter(|d| of.matches(d)).collect();
        let runs = mine.iter().any(|d| signed(d) && !on_new(d));
        let new = mine.iter().any(|d| signed(d) && on_new(d));
        mine.iter().any(|d| other_secret(d)) || (runs && (new || !needs_new_copy))
    };
    cx.waiting(&format!("{} on both webhooks", produced.of.describe()), cx.budgets.event_wait);
    inbox.wait_for(&settled, cx.budgets.event_wait).await;
    let attempts = produced.attempts(inbox);
    if attempts.is_empty() {
        return produced.never_arrived(cx.budgets.event_wait);
    }
    let expected = "a delivery to the run's webhook does not verify with another webhook's secret";
    if let Some(d) = attempts.iter().find(|d| other_secret(d)) {
        return Outcome::pass(format!(
            "delivery #{} of {} verified with the run's webhook's secret and not with the new webhook's: the secrets differ",
            d.seq,
            produced.of.describe()
        ))
        .expected(expected);
    }
    let valid: Vec<&Delivery> = attempts.iter().filter(|d| signed(d)).collect();
    if valid.is_empty() {
        return Outcome::skip(
            "no delivery's signature verified with any secret the receiver holds, so whose secret signed them is \
             unknown (see replay.signature)",
        );
    }
    if !valid.iter().any(|d| !on_new(d)) {
        return Outcome::skip(format!(
            "only the new webhook's copy of {} arrived within {}; the run's copy is needed to compare secrets",
            produced.of.describe(),
            secs(cx.budgets.event_wait)
        ));
    }
    let mut outcome = Outcome::fail(format!(
        "SIG-4: each webhook has its own secret; the run's webhook and a newly created one share one: all {} \
         deliveries of {} verify with the new webhook's secret",
        valid.len(),
        produced.of.describe()
    ))
    .expected(expected)
    .actual("every delivery verifies with the new webhook's secret");
    for d in valid {
        outcome.evidence.push_exchange(&delivery_exchange(cx, d));
    }
    outcome
}

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

/// The headers a replay carries: the signature's and the content type, as captured.
fn replay_headers(format: &SignatureFormat, delivery: &Delivery) -> Vec<(String, String)> {
    let keep = |k: &str| {
        k.eq_ignore_ascii_case(&format.header)
            || format.timestamp_header.as_deref().is_some_and(|t| k.eq_ignore_ascii_case(t))
            || k.eq_ignore_ascii_case("content-type")
    };
    delivery.headers.iter().filter(|(k, _)| keep(k)).cloned().collect()
}

fn with_header(headers: &[(String, String)], name: &str, value: String) -> Vec<(String, String)> {
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
struct OwnPosts(std::sync::Mutex<Vec<OwnPost>>);

/// One self-posted copy: the last seq before it, its headers, its body.
type OwnPost = (u64, Vec<(String, String)>, Vec<u8>);

/// Whether `d` is a copy posted as `sent`/`body`: same raw body, every posted header as sent.
fn is_copy(d: &Delivery, sent: &[(String, String)], body: &[u8]) -> bool {
    d.body.as_bytes() == body
        && sent.iter().all(|(k, v)| header(d, k) == Some(v.as_str()))
        && d.headers.iter().filter(|(k, _)| sent.iter().any(|(s, _)| s.eq_ignore_ascii_case(k))).count() == sent.len()
}

async fn own_posts(cx: &Context) -> Arc<OwnPosts> {
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
    let (inbox, format) = match (act::require_inbox(cx), format_of(cx)) {
        (Ok(inbox), Ok(format)) => (inbox, format),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let capture = match capture(cx).await {
        Ok(d) => d,
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
    let (inbox, format) = match (act::require_inbox(cx), format_of(cx)) {
        (Ok(inbox), Ok(format)) => (inbox, format),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let capture = match capture(cx).await {
        Ok(d) => d,
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

/// The replay suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        signature,
        "replay.signature",
        "replay",
        Must,
        ["SIG-1"],
        "Every delivery carries a signature that verifies with the webhook's secret over the raw body",
        needs = [Inbox, Trigger],
        whole_run = true
    ),
    check!(
        timestamp,
        "replay.timestamp",
        "replay",
        Must,
        ["SIG-2"],
        "Every delivery carries a timestamp within 300 s of the receiver's clock",
        needs = [Inbox, Trigger],
        whole_run = true
    ),
    check!(
        timestamp_bound,
        "replay.timestamp-bound",
        "replay",
        Should,
        ["SIG-3"],
        "The signature covers the timestamp, so a replay with a fresh timestamp does not verify",
        needs = [Inbox, Trigger]
    ),
    check!(
        distinct_secrets,
        "replay.distinct-secrets",
        "replay",
        Should,
        ["SIG-4"],
        "A newly created webhook gets a secret of its own",
        capability = "webhook-management",
        needs = [Inbox, Trigger]
    ),
    check!(
        receiver_dedupes,
        "replay.receiver-dedupes",
        "replay",
        Must,
        ["RPL-1"],
        "The harness receiver processes a replayed `event_id` once: as captured, with a fresh timestamp, ten at once",
        needs = [Inbox, Trigger]
    ),
    check!(
        receiver_window,
        "replay.receiver-window",
        "replay",
        Must,
        ["RPL-1"],
        "The harness receiver refuses a captured delivery with a stale or future timestamp",
        needs = [Inbox, Trigger]
    ),
    check!(
        receiver_raw_bytes,
        "replay.receiver-raw-bytes",
        "replay",
        Must,
        ["RPL-1"],
        "The harness receiver verifies the raw bytes: altered copies of a delivery are refused",
        needs = [Inbox, Trigger]
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use contract::{Scheme, Secret};

    const SECRET: &str = "whsec_unit";

    /// A delivery of `body` signed by `sign` at `ts`, arriving at `arrival` (unix seconds),
    /// verified by the receiver's rules.
    fn delivery(format: &SignatureFormat, signer: &SignatureFormat, body: &str, ts: i64, arrival: i64) -> Delivery {
        let headers = signer.sign(&Secret::new(SECRET), body.as_bytes(), ts);
        Delivery {
            seq: 0,
            received_at_ms: arrival * 1000 + 250,
            verification: reverify(format, &headers, body, arrival),
            headers,
            body: body.into(),
            body_bytes: body.len(),
            event: serde_json::from_str(body).ok(),
            event_id: None,
            path: "/webhook".into(),
            duplicate: false,
            answered: Some(200),
        }
    }

    fn reverify(format: &SignatureFormat, headers: &[(String, String)], body: &str, now: i64) -> Verification {
        let header = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
        match format.verify(header, body.as_bytes(), &[&Secret::new(SECRET)], now) {
            Ok(v) => Verification::Valid { timestamp: v.timestamp },
            Err(e) => Verification::Invalid { reason: e.to_string() },
        }
    }

    fn classified(format: &SignatureFormat, d: &Delivery) -> Signed {
        classify(format, d, |f| reverify(f, &d.headers, &d.body, d.received_at_ms / 1000))
    }

    #[test]
    fn signatures_are_classified_by_verifying_again() {
        let ts_format = SignatureFormat::canonical(Scheme::Timestamped);
        let body_format = SignatureFormat::canonical(Scheme::Body);
        let now = 1_770_000_000;
        let body = r#"{"event_id":"e"}"#;
        assert_eq!(classified(&ts_format, &delivery(&ts_format, &ts_format, body, now, now)), Signed::Valid);
        // Signed as declared an hour ago: the MAC is right, the window is SIG-2's business.
        assert_eq!(
            classified(&ts_format, &delivery(&ts_format, &ts_format, body, now - 3600, now)),
            Signed::OutsideWindow
        );
        // Signed over the body alone although the format binds the timestamp.
        assert_eq!(classified(&ts_format, &delivery(&ts_format, &body_format, body, now, now)), Signed::BodyOnly);
        let mut no_ts = delivery(&ts_format, &ts_format, body, now, now);
        no_ts.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("x-webhook-timestamp"));
        no_ts.verification = reverify(&ts_format, &no_ts.headers, body, now);
        assert_eq!(classified(&ts_format, &no_ts), Signed::NoTimestamp);
        let mut forged = delivery(&body_format, &body_format, body, now, now);
        forged.body = r#"{"event_id":"f"}"#.into();
        forged.verification = reverify(&body_format, &forged.headers, &forged.body, now);
        assert_eq!(classified(&body_format, &forged), Signed::Invalid("signature does not match the body".into()));
        let mut unsigned = forged.clone();
        unsigned.verification = Verification::NoSecret;
        assert_eq!(classified(&body_format, &unsigned), Signed::NoSecret);
    }

    #[test]
    fn the_receivers_likely_cause_reaches_the_finding() {
        let format = SignatureFormat::canonical(Scheme::Timestamped);
        let now = 1_770_000_000;
        let sent = r#"{"event_id": "e", "n": 1}"#;
        // Signed over the compact body, sent as Python writes it.
        let mut d = delivery(&format, &format, r#"{"event_id":"e","n":1}"#, now, now);
        d.body = sent.into();
        let header = |n: &str| d.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
        let secret = Secret::new(SECRET);
        let mistake = contract::diagnose::diagnose(&format, header, sent.as_bytes(), &[&secret], &[], now);
        assert!(mistake.is_some());
        d.verification = Verification::Invalid {
            reason: contract::diagnose::with_likely_cause("signature does not match the body", mistake.as_ref()),
        };
        let Signed::Invalid(reason) = classified(&format, &d) else { panic!("a wrong signature is invalid") };
        assert!(
            reason
                .starts_with("signature does not match the body; likely cause: the MAC is over the body re-serialised"),
            "{reason}"
        );
    }

    #[test]
    fn a_missing_or_stale_timestamp_under_a_body_only_format_is_sig_2_alone() {
        let body_format = SignatureFormat::canonical(Scheme::Body);
        let now = 1_770_000_000;
        let body = r#"{"event_id":"e"}"#;
        let mut no_ts = delivery(&body_format, &body_format, body, now, now);
        no_ts.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("x-webhook-timestamp"));
        no_ts.verification = reverify(&body_format, &no_ts.headers, body, now);
        assert!(matches!(no_ts.verification, Verification::Invalid { .. }), "the receiver refuses it (RPL-1)");
        assert_eq!(classified(&body_format, &no_ts), Signed::OutsideWindow, "but its signature is right (SIG-1)");
        let stale = delivery(&body_format, &body_format, body, now - 3600, now);
        assert_eq!(classified(&body_format, &stale), Signed::OutsideWindow);
        // The receiver accepts a body-only signature under a timestamp-binding format (SIG-1
        // holds); the classification still tells SIG-3's finding apart.
        let ts_format = SignatureFormat::canonical(Scheme::Timestamped);
        let mut accepted = delivery(&ts_format, &body_format, body, now, now);
        accepted.verification = Verification::Valid { timestamp: Some(now) };
        assert_eq!(classified(&ts_format, &accepted), Signed::BodyOnly);
    }

    #[test]
    fn timestamps_are_judged_against_the_arrival() {
        let format = SignatureFormat::canonical(Scheme::Timestamped);
        let now = 1_770_000_000;
        assert_eq!(timestamp_skew(&format, &delivery(&format, &format, "{}", now - 3, now)), Ok(3));
        assert_eq!(timestamp_skew(&format, &delivery(&format, &format, "{}", now + 300, now)), Ok(-300));
        let stale = timestamp_skew(&format, &delivery(&format, &format, "{}", now - 3600, now)).unwrap_err();
        assert!(stale.contains("3600 s behind"), "{stale}");
        let future = timestamp_skew(&format, &delivery(&format, &format, "{}", now + 301, now)).unwrap_err();
        assert!(future.contains("301 s ahead of"), "{future}");
        let mut missing = delivery(&format, &format, "{}", now, now);
        missing.headers.truncate(1);
        assert_eq!(timestamp_skew(&format, &missing), Err("no `X-Webhook-Timestamp` header".into()));
    }

    #[test]
    fn replays_keep_only_the_signature_headers() {
        let format = SignatureFormat::canonical(Scheme::Body);
        let mut d = delivery(&format, &format, "{}", 1, 1);
        d.headers.push(("content-type".into(), "application/json".into()));
        d.headers.push(("user-agent".into(), "vendor/1".into()));
        let kept = replay_headers(&format, &d);
        let kept: Vec<&str> = kept.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kept, ["X-Webhook-Signature", "X-Webhook-Timestamp", "content-type"]);
        let moved = with_header(&replay_headers(&format, &d), "x-webhook-timestamp", "9".into());
        assert_eq!(moved.iter().filter(|(k, _)| k.eq_ignore_ascii_case("x-webhook-timestamp")).count(), 1);
        assert_eq!(moved.last().map(|(_, v)| v.as_str()), Some("9"));
    }
}
