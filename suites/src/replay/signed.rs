//! How each delivery's signature stands, told apart by verifying it again other ways, and the
//! run's deliveries those checks judge.

use contract::{SignatureError, SignatureFormat};

use super::event::EventDeliveries;
use super::receiver::{is_copy, own_posts};
use crate::act;
use crate::attempts::{delivery_exchange, header};
use crate::context::{Context, Delivery, Inbox, Verification};
use crate::outcome::{Evidence, Finding};

/// How one delivery's signature stands, told apart by verifying it again other ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Signed {
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
pub(crate) fn classify(
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
pub(crate) const LIKELY_CAUSE: &str = "likely cause: ";

/// Whether a delivery's signature is right (SIG-1), whatever its timestamp (SIG-2's business)
/// and whether or not the format's signed content binds the timestamp (SIG-3's).
pub(crate) fn authentic(
    inbox: &dyn Inbox,
    format: &SignatureFormat,
    delivery: &Delivery,
    secret: Option<&contract::Secret>,
) -> bool {
    [format.without_window(), format.body_only().without_window()]
        .iter()
        .any(|f| matches!(inbox.verify_with(delivery, f, secret), Verification::Valid { .. }))
}

pub(crate) fn classify_all(inbox: &dyn Inbox, format: &SignatureFormat, deliveries: &[Delivery]) -> Vec<Signed> {
    deliveries.iter().map(|d| classify(format, d, |f| inbox.verify_with(d, f, None))).collect()
}

pub(crate) fn finding(cx: &Context, evidence: &mut Evidence, delivery: &Delivery, pointer: &str, message: String) {
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
/// webhooks the checks created for themselves), the shared event's included: SIG-1 and SIG-2 hold for
/// every delivery, not only for the event these checks asked for. The altered copies the receiver
/// self-checks post are the harness's, not the vendor's, and are left out; so are deliveries that
/// reached a webhook after the run deleted it: WHM-2 says they must not come at all, and the
/// webhooks suite judges that (a deleted webhook's secret may rightly be gone at the vendor).
pub(crate) async fn run_deliveries(cx: &Context, inbox: &dyn Inbox, event: &EventDeliveries) -> Vec<Delivery> {
    let own = own_posts(cx).await;
    let own = own.0.lock().expect("own posts lock").clone();
    let mut all: Vec<Delivery> = inbox
        .deliveries()
        .into_iter()
        .filter(|d| !own.iter().any(|(at, h, b)| d.seq > *at && is_copy(d, h, b)))
        .filter(|d| !act::after_retirement(cx, d))
        .collect();
    for d in &event.deliveries {
        if !all.iter().any(|a| a.seq == d.seq) {
            all.push(d.clone());
        }
    }
    all
}

/// `delivery #3 (ping at /webhook)`: which delivery, of what, where.
pub(crate) fn describe_delivery(delivery: &Delivery) -> String {
    let what = act::body_json(delivery)
        .and_then(|b| b.get("event_type").and_then(serde_json::Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "no event type".to_owned());
    format!("delivery #{} ({what} at {})", delivery.seq, delivery.path)
}

/// `#3, #5 and 2 more`.
pub(crate) fn seqs(deliveries: &[&Delivery]) -> String {
    let mut shown: Vec<String> = deliveries.iter().take(5).map(|d| format!("#{}", d.seq)).collect();
    if deliveries.len() > 5 {
        shown.push(format!("{} more", deliveries.len() - 5));
    }
    shown.join(", ")
}
