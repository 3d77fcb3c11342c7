//! Deliveries as evidence that holds no secret (headers, body, verdict, a reproduce command), and
//! how durations and counts read.

use std::time::Duration;

use contract::{Secret, SignatureFormat};

use super::scoped::path_of;
use crate::context::{Context, Delivery, Inbox, Verification};
use crate::outcome::Exchange;

/// Replaces a secret (and any secret-like member's value) everywhere an exchange shows text.
pub fn redact(exchange: &mut Exchange, secret: &Secret) {
    crate::redact::redact_exchange(exchange, &[secret.expose()]);
}

/// At most this much of a delivery's body is shown.
const BODY_SHOWN: usize = 2048;

/// A header of a delivery, by case-insensitive name.
pub fn header<'d>(delivery: &'d Delivery, name: &str) -> Option<&'d str> {
    delivery.headers.iter().find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty()).map(|(_, v)| v.as_str())
}

/// A POSIX shell single-quoted word (every reproduce command's quoting, the harness's too).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What a verification said, in words.
pub fn verdict(verification: &Verification) -> String {
    match verification {
        Verification::Valid { .. } => "the signature verified".into(),
        Verification::Invalid { reason } => format!("the signature did not verify: {reason}"),
        Verification::NoSecret => "not verified (the receiver holds no secret)".into(),
    }
}

/// A delivery as evidence: the vendor's request to the receiver (headers, body excerpt), what
/// the receiver answered, and a command that verifies the captured signature offline with a
/// secret the reader holds (it is never in the command).
pub fn delivery_exchange(cx: &Context, delivery: &Delivery) -> Exchange {
    // The URL the vendor posted to: the receiver's origin and the delivery's own path (a
    // check's webhook has a path of its own under the run's).
    let public = cx.inbox.as_deref().map(Inbox::public_url).unwrap_or_default();
    let origin_len = public.len() - path_of(&public).len().min(public.len());
    let url = if delivery.path.is_empty() || !public.ends_with(&path_of(&public)) {
        public
    } else {
        format!("{}{}", &public[..origin_len], delivery.path)
    };
    let body: String = delivery.body.chars().take(BODY_SHOWN).collect();
    let truncated = body.len() < delivery.body.len();
    let request_headers = delivery
        .headers
        .iter()
        .map(|(k, v)| {
            let shown = if k.eq_ignore_ascii_case("authorization") { "[redacted]".to_owned() } else { v.clone() };
            (k.clone(), shown)
        })
        .collect();
    let answered = match delivery.answered {
        Some(status) => format!("answered {status}"),
        None => "held open without an answer".into(),
    };
    Exchange {
        method: "POST".into(),
        url,
        request_headers,
        token: None,
        request_body: Some(body),
        status: delivery.answered,
        response_headers: Vec::new(),
        body_excerpt: None,
        body_bytes: 0,
        truncated,
        elapsed_ms: 0,
        error: None,
        notes: vec![format!(
            "delivery #{} of the vendor to the harness receiver at {}, {} bytes, {answered}; {}",
            delivery.seq,
            contract::rfc3339_millis(delivery.received_at_ms),
            delivery.body_bytes,
            verdict(&delivery.verification)
        )],
        reproduce: reproduce(cx.signature.as_ref(), delivery, truncated),
    }
}

pub(crate) fn reproduce(format: Option<&SignatureFormat>, delivery: &Delivery, truncated: bool) -> String {
    let Some(format) = format else { return "no signature format was configured for the run".into() };
    let Some(signature) = header(delivery, &format.header) else {
        return format!("the delivery carried no `{}` header: there is nothing to verify", format.header);
    };
    let scheme = if format.binds_timestamp() { contract::Scheme::Timestamped } else { contract::Scheme::Body };
    if *format != SignatureFormat::canonical(scheme) {
        return format!(
            "verify `{}` with the vendor profile's signature format (signed content `{}`) and the webhook's secret",
            format.header, format.signed_content
        );
    }
    let file = format!("delivery-{}.json", delivery.seq);
    let save = if truncated {
        format!("save the delivery's body ({} bytes) as {file}, then: ", delivery.body_bytes)
    } else {
        format!("printf '%s' {} > {file} && ", shell_quote(&delivery.body))
    };
    let timestamp = format
        .timestamp_header
        .as_deref()
        .and_then(|name| header(delivery, name))
        .map(|ts| format!(" --timestamp {}", shell_quote(ts)))
        .unwrap_or_default();
    format!(
        "{save}WEBHOOK_SECRET=<the webhook's secret> harness verify --body {file} --secret-env WEBHOOK_SECRET \
         --scheme {scheme} --signature {}{timestamp} --ignore-window",
        shell_quote(signature)
    )
}

/// Milliseconds between consecutive attempts.
pub fn gaps_ms(attempts: &[Delivery]) -> Vec<i64> {
    attempts.windows(2).map(|w| w[1].received_at_ms - w[0].received_at_ms).collect()
}

/// A duration for people: `52 ms`, `1.55 s`.
pub fn ms(ms: i64) -> String {
    if ms.abs() < 1000 { format!("{ms} ms") } else { format!("{:.2} s", ms as f64 / 1000.0) }
}

/// A budget for people: `5 s`, `1.5 s`.
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s} s") }
}

/// `1 delivery`, `3 deliveries`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
