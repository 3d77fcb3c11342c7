//! `exchanges.har`: every request the harness sent the vendor and its answer, and every webhook
//! delivery its receiver got (with its verification in `_webhook`), in order, with timings (and
//! each request the id of the check that sent it in `_check`), in
//! HAR 1.2 (<http://www.softwareishard.com/blog/har-12-spec/>), the format browsers' developer
//! tools and HAR viewers read.
//!
//! Secrets are redacted as in every other report: credentials in headers, any JSON member named
//! like a secret, and every secret value the run knows, wherever it appears. Each redacted value
//! keeps the start of its SHA-256 (`[redacted sha256:…]`), so two runs' evidence stays comparable
//! without the value. Bodies are the excerpts the evidence keeps (the first 4 KiB), with their
//! whole size: a walk of a million devices records every page without holding it.

use std::sync::Mutex;

use contract::Secret;
use serde_json::{Value, json};
use suites::{Delivery, Exchange, Verification};

/// The file's name in the run's folder.
pub const FILE: &str = "exchanges.har";

/// Headers whose value is a credential, whatever the vendor calls them otherwise.
fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(name.as_str(), "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-admin-token")
        || name.contains("api-key")
        || name.contains("apikey")
        || name.contains("secret")
        || name.contains("token")
}

/// How a redacted value reads: `[redacted sha256:<first 16 hex>]`.
pub fn redacted(value: &str) -> String {
    format!("[redacted sha256:{}]", &contract::sha256_hex(value.as_bytes())[..16])
}

/// One entry, in the order of its start.
#[derive(Debug, Clone)]
struct Entry {
    started_ms: i64,
    value: Value,
}

/// The run's recording: the client adds each exchange as it completes, the runner adds the
/// receiver's deliveries, and writes the file at the end.
#[derive(Debug, Default)]
pub struct HarRecorder {
    entries: Mutex<Vec<Entry>>,
    /// The check running now (checks run one at a time): its id tags each exchange as `_check`,
    /// so a run's requests can be counted by check and suite. None before the first check
    /// (preflight, discovery, the run's webhook) and after the last.
    check: Mutex<Option<&'static str>>,
}

impl HarRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The check whose exchanges follow (`None`: outside any check).
    pub fn within_check(&self, id: Option<&'static str>) {
        *self.check.lock().expect("har lock") = id;
    }

    /// A request the harness sent and what came back; `credential` is the credential header's
    /// value as sent, digested in place of the `[redacted]` the evidence shows.
    pub fn exchange(&self, exchange: &Exchange, credential: Option<&Secret>) {
        let started_ms = contract::unix_now_ms() - exchange.elapsed_ms as i64;
        let headers: Vec<Value> = exchange
            .request_headers
            .iter()
            .map(|(name, value)| {
                let value = match credential {
                    Some(c) if value.contains("[redacted]") => {
                        value.replace("[redacted]", &redacted(c.expose().rsplit(' ').next().unwrap_or_default()))
                    }
                    _ => value.clone(),
                };
                header(name, &value)
            })
            .collect();
        let mut request = json!({
            "method": exchange.method,
            "url": exchange.url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": headers,
            "queryString": query_of(&exchange.url),
            "headersSize": -1,
            "bodySize": exchange.request_body.as_ref().map_or(0, |b| b.len() as i64),
        });
        if let Some(body) = &exchange.request_body {
            let mime = exchange
                .request_headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                .map_or("application/json", |(_, v)| v.as_str());
            request["postData"] = json!({"mimeType": mime, "text": body});
        }
        let content_type = exchange.response_header("content-type").unwrap_or("").to_owned();
        let response = match exchange.status {
            Some(status) => json!({
                "status": status,
                "statusText": status_text(status),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": exchange.response_headers.iter().map(|(n, v)| header(n, v)).collect::<Vec<_>>(),
                "content": {
                    "size": exchange.body_bytes,
                    "mimeType": content_type,
                    "text": exchange.body_excerpt.clone().unwrap_or_default(),
                    "_truncated": exchange.truncated,
                },
                "redirectURL": exchange.response_header("location").unwrap_or(""),
                "headersSize": -1,
                "bodySize": exchange.body_bytes,
            }),
            // No answer: status 0, as browsers record a request that failed.
            None => json!({
                "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
                "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1,
                "_error": exchange.error.clone().unwrap_or_default(),
            }),
        };
        let mut value = json!({
            "startedDateTime": contract::rfc3339_millis(started_ms),
            "time": exchange.elapsed_ms,
            "request": request,
            "response": response,
            "cache": {},
            "timings": {"send": 0, "wait": exchange.elapsed_ms, "receive": 0},
        });
        if let Some(token) = &exchange.token {
            value["_token"] = json!({"header": token.header, "claims": token.claims, "signature": token.signature});
        }
        if !exchange.notes.is_empty() {
            value["_notes"] = json!(exchange.notes);
        }
        if let Some(check) = *self.check.lock().expect("har lock") {
            value["_check"] = json!(check);
        }
        self.push(started_ms, value);
    }

    /// A delivery the receiver got at `receiver` (the URL the vendor was told), with how it verified.
    pub fn delivery(&self, delivery: &Delivery, receiver: &str) {
        let verification = match &delivery.verification {
            Verification::Valid { .. } => json!({"result": "verified"}),
            Verification::Invalid { reason } => json!({"result": "invalid", "reason": reason}),
            Verification::NoSecret => json!({"result": "unverified", "reason": "the receiver held no secret yet"}),
        };
        let content_type = delivery
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map_or("application/json", |(_, v)| v.as_str());
        // The receiver's origin (its public URL may carry a path of its own) and the path asked.
        let origin = reqwest::Url::parse(receiver)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| receiver.trim_end_matches('/').to_owned());
        let url = format!("{origin}{}", delivery.path);
        let value = json!({
            "startedDateTime": contract::rfc3339_millis(delivery.received_at_ms),
            "time": 0,
            "request": {
                "method": "POST",
                "url": url,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": delivery.headers.iter().map(|(n, v)| header(n, v)).collect::<Vec<_>>(),
                "queryString": query_of(&url),
                "postData": {"mimeType": content_type, "text": delivery.body},
                "headersSize": -1,
                "bodySize": delivery.body_bytes,
            },
            "response": {
                // No answer: the receiver held the request open on purpose (a timeout outage).
                "status": delivery.answered.unwrap_or(0),
                "statusText": delivery.answered.map_or("", status_text),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": [],
                "content": {"size": 0, "mimeType": ""},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": 0,
            },
            "cache": {},
            "timings": {"send": 0, "wait": 0, "receive": 0},
            "_webhook": {
                "direction": "inbound",
                "seq": delivery.seq,
                "event_id": delivery.event_id,
                "duplicate": delivery.duplicate,
                "verification": verification,
            },
        });
        self.push(delivery.received_at_ms, value);
    }

    fn push(&self, started_ms: i64, value: Value) {
        self.entries.lock().expect("har lock").push(Entry { started_ms, value });
    }

    /// The HAR document, entries in order of their start, every secret redacted: credential
    /// headers, secret-named JSON members, and each of `secrets` wherever it appears. It takes
    /// the entries (written once, at the end of a run): a long run's recording is not held twice.
    pub fn document(&self, secrets: &[Secret]) -> Value {
        let mut entries = std::mem::take(&mut *self.entries.lock().expect("har lock"));
        entries.sort_by_key(|e| e.started_ms);
        let known: Vec<&str> = secrets.iter().map(Secret::expose).filter(|s| !s.is_empty()).collect();
        let shown: Vec<(&str, String)> = known.iter().map(|s| (*s, redacted(s))).collect();
        let entries: Vec<Value> = entries
            .into_iter()
            .map(|e| {
                let mut value = e.value;
                scrub_entry(&mut value, &known);
                replace_secrets(&mut value, &shown);
                value
            })
            .collect();
        json!({"log": {
            "version": "1.2",
            "creator": {"name": "harness", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries,
        }})
    }

    /// Writes the document to `path`, whole or not at all.
    pub fn write(&self, path: &std::path::Path, secrets: &[Secret]) -> std::io::Result<()> {
        contract::files::write_whole(path, &serde_json::to_vec(&self.document(secrets))?)
    }
}

fn header(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn query_of(url: &str) -> Vec<Value> {
    let Ok(url) = reqwest::Url::parse(url) else { return Vec::new() };
    url.query_pairs().map(|(n, v)| json!({"name": n, "value": v})).collect()
}

fn status_text(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
}

/// Credential headers, and secret-named members of bodies (even cut ones), in one entry.
fn scrub_entry(entry: &mut Value, secrets: &[&str]) {
    for part in ["/request/headers", "/response/headers"] {
        if let Some(headers) = entry.pointer_mut(part).and_then(Value::as_array_mut) {
            for h in headers {
                let name = h["name"].as_str().unwrap_or_default().to_owned();
                let value = h["value"].as_str().unwrap_or_default().to_owned();
                if is_credential_header(&name) && !value.contains("[redacted") {
                    // `Bearer <token>` keeps its scheme.
                    h["value"] = match value.split_once(' ') {
                        Some((scheme, rest)) if scheme.len() <= 16 => format!("{scheme} {}", redacted(rest)),
                        _ => redacted(&value),
                    }
                    .into();
                }
            }
        }
    }
    // Bodies, cut or whole: every secret-named member's string value and every known secret,
    // as the evidence redacts them (`suites::redact`), each shown as its digest.
    for pointer in ["/request/postData/text", "/response/content/text"] {
        if let Some(text) = entry.pointer_mut(pointer)
            && let Some(body) = text.as_str()
        {
            *text = Value::String(suites::redact::redact_text_with(body, secrets, redacted));
        }
    }
}

/// Every string in `value` with each known secret replaced.
fn replace_secrets(value: &mut Value, secrets: &[(&str, String)]) {
    match value {
        Value::String(s) => {
            for (secret, shown) in secrets {
                if s.contains(secret) {
                    *s = s.replace(secret, shown);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace_secrets(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_secrets(v, secrets)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
