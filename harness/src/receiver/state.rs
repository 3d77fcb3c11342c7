//! What the receiver keeps and counts: each delivery verified, mapped and recorded within the
//! byte budgets (whole, then cut, then only counted), the answer windows checks set, and the
//! second looks a failed verification gets.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::profile::Profile;
use axum::http::HeaderMap;
use contract::{Secret, SignatureFormat};
use suites::{Delivery, ReceiverAnswer, Verification};
use tokio::sync::{Semaphore, watch};

use super::{CUT_BODY_BYTES, CUT_HEADER_BYTES, Counts, InFlight, Limits, ReceiverState, Record};

impl ReceiverState {
    pub fn new(format: SignatureFormat, secrets: Vec<Secret>, max_body_bytes: usize) -> Arc<Self> {
        Self::with_limits(format, secrets, Limits { max_body_bytes, ..Limits::default() })
    }

    pub fn with_limits(format: SignatureFormat, secrets: Vec<Secret>, limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            format,
            secrets: Mutex::new(Arc::new(secrets)),
            retired_secrets: Mutex::new(Vec::new()),
            limits,
            record: Mutex::new(Record::default()),
            body_reads: Semaphore::new(limits.max_body_reads.max(1)),
            connections: Default::default(),
            seen: Mutex::new(HashSet::new()),
            answer: Mutex::new(None),
            windows: Mutex::new(Vec::new()),
            fetches: Mutex::new(Vec::new()),
            arrivals: watch::channel(0).0,
            answer_changed: watch::channel(0).0,
            public_url: Mutex::new(String::new()),
            local_addr: Mutex::new(None),
            profile: std::sync::RwLock::new(Arc::new(Profile::default())),
        })
    }

    /// The profile delivery bodies are read through (event ids, types, fields).
    pub fn set_profile(&self, profile: Profile) {
        *self.profile.write().expect("receiver lock") = Arc::new(profile);
    }

    /// A body as a canonical event, when it is JSON.
    pub(super) fn event_of(&self, body: &[u8]) -> Option<serde_json::Value> {
        let raw = serde_json::from_slice::<serde_json::Value>(body).ok()?;
        Some(self.profile.read().expect("receiver lock").map_event(&raw))
    }

    /// Replaces the secrets deliveries are verified with (a webhook created mid-run, rotation).
    pub fn set_secrets(&self, secrets: Vec<Secret>) {
        let old = std::mem::replace(&mut *self.secrets.lock().expect("receiver lock"), Arc::new(secrets));
        self.retired_secrets.lock().expect("receiver lock").extend(old.iter().cloned());
    }

    /// Every secret deliveries were verified with during the run, the replaced ones too: what
    /// the run's files must not hold.
    pub fn secrets_ever(&self) -> Vec<Secret> {
        let mut all = self.secrets.lock().expect("receiver lock").to_vec();
        all.extend(self.retired_secrets.lock().expect("receiver lock").iter().cloned());
        all
    }

    /// The URL the vendor was told to deliver to.
    pub fn public_url(&self) -> String {
        self.public_url.lock().expect("receiver lock").clone()
    }

    /// Until when connections are refused, if they are now.
    pub(super) fn refusing_until(&self) -> Option<Instant> {
        match self.current_answer() {
            (ReceiverAnswer::Refuse, until) => until,
            _ => None,
        }
    }

    pub(super) fn current_answer(&self) -> (ReceiverAnswer, Option<Instant>) {
        let mut answer = self.answer.lock().expect("receiver lock");
        match *answer {
            Some((a, until)) if Instant::now() < until => (a, Some(until)),
            _ => {
                *answer = None;
                (ReceiverAnswer::Ok, None)
            }
        }
    }

    /// Verifies a delivery and, when `process` and it verified, marks its `event_id` seen.
    pub(super) fn record(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        event_id: &Option<String>,
        too_large: bool,
        process: bool,
    ) -> (Verification, bool) {
        let now = contract::unix_now();
        let verification = if too_large {
            Verification::Invalid { reason: format!("body larger than {} bytes", self.limits.max_body_bytes) }
        } else {
            let secrets = Arc::clone(&self.secrets.lock().expect("receiver lock"));
            if secrets.is_empty() {
                Verification::NoSecret
            } else {
                let refs: Vec<&Secret> = secrets.iter().collect();
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
                // The contract's scheme `body` meets SIG-1 whatever the profile declares (SIG-3
                // reports the weakness), so a delivery signed over the body alone is authentic and
                // processed; its timestamp is still held to the window (RPL-1).
                let verified = self.format.verify(header, body, &refs, now).or_else(|e| {
                    let body_only = self.format.binds_timestamp().then(|| self.format.body_only());
                    body_only.and_then(|f| f.verify(header, body, &refs, now).ok()).ok_or(e)
                });
                match verified {
                    Ok(v) => Verification::Valid { timestamp: v.timestamp },
                    // Which common mistake explains it, for the vendor's engineer (bounded in cost).
                    Err(e) => Verification::Invalid {
                        reason: contract::diagnose::with_likely_cause(
                            e.to_string(),
                            contract::diagnose::diagnose(&self.format, header, body, &refs, &[], now).as_ref(),
                        ),
                    },
                }
            }
        };
        // Only verified deliveries count as processed: a forged one must not block the real one.
        // One answered otherwise than 2xx (an outage, the planted 410 path) is not processed either.
        let duplicate = match (event_id, &verification) {
            (Some(id), Verification::Valid { .. }) if process => {
                !self.seen.lock().expect("receiver lock").insert(id.clone())
            }
            (Some(id), Verification::Valid { .. }) => self.seen.lock().expect("receiver lock").contains(id),
            _ => false,
        };
        (verification, duplicate)
    }
}

/// Answer windows kept for the report's timeline (a run sets a few dozen).
pub const MAX_ANSWER_WINDOWS: usize = 1024;

impl ReceiverState {
    /// The answer windows checks set (an outage, 429s, a held request, ...), as (answer, unix ms
    /// from, unix ms to), in order.
    pub fn answer_windows(&self) -> Vec<(ReceiverAnswer, i64, i64)> {
        self.windows.lock().expect("receiver lock").clone()
    }

    /// Runs `f` over the deliveries kept, in arrival order, without copying them (a long run
    /// keeps hundreds of thousands; `Inbox::deliveries` clones every one). The receiver waits
    /// while `f` runs: keep it short.
    pub fn with_deliveries<T>(&self, f: impl FnOnce(&[Delivery]) -> T) -> T {
        f(&self.record.lock().expect("receiver lock").deliveries)
    }

    /// What the receiver saw, kept or not.
    pub fn counts(&self) -> Counts {
        self.record.lock().expect("receiver lock").counts
    }

    /// The connections being served and the bodies being read, now.
    pub fn in_flight(&self) -> InFlight {
        InFlight {
            connections: self.connections.load(std::sync::atomic::Ordering::SeqCst),
            bodies: self.limits.max_body_reads.max(1) - self.body_reads.available_permits(),
        }
    }

    /// The bounds the receiver keeps to.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Records `delivery` (its `seq`, headers and body filled in here) within the bounds: a
    /// verified one whole, evicting the oldest verified raw bytes over the budget; an unverified
    /// one whole while the sample has room and its body is small, else cut (no raw bytes, body
    /// and headers cut, event reduced to its short top-level fields), and beyond the record count
    /// only counted. Returns whether it was recorded.
    pub(super) fn keep(&self, mut delivery: Delivery, headers: &HeaderMap, bytes: bytes::Bytes) -> bool {
        // A body read in one piece is a slice of the connection's read buffer: kept as is, it
        // would pin that whole buffer (8 KiB and up) and make hyper allocate a fresh one for the
        // next request, so every delivery kept would cost a buffer. Its own few bytes instead.
        let bytes = bytes::Bytes::copy_from_slice(&bytes);
        let limits = &self.limits;
        let all_headers = || -> Vec<(String, String)> {
            headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect()
        };
        let verified = matches!(delivery.verification, Verification::Valid { .. });
        if verified {
            // A verified delivery is kept whole: its copies are made before the lock, which
            // every delivery (and every check reading the inbox) waits for.
            delivery.headers = all_headers();
            delivery.body = String::from_utf8_lossy(&bytes).into_owned();
        }
        let mut guard = self.record.lock().expect("receiver lock");
        let record = &mut *guard;
        record.counts.deliveries += 1;
        let seq = record.deliveries.len() as u64;
        delivery.seq = seq;
        if verified {
            record.counts.verified += 1;
            let cost = whole_cost(&delivery, bytes.len());
            record.raw.insert(seq, bytes);
            record.verified_whole.push_back((seq, cost));
            record.verified_bytes += cost;
            record.deliveries.push(delivery);
            // What eviction lets go of is freed after the lock: an old delivery's event is a few
            // dozen allocations long out of cache, and past the budget every delivery evicts one.
            let mut dropped = Vec::new();
            while record.verified_bytes > limits.verified_kept_bytes {
                let Some((old, cost)) = record.verified_whole.pop_front() else { break };
                record.verified_bytes -= cost;
                let raw = record.raw.remove(&old);
                let evicted = &mut record.deliveries[old as usize];
                let body = if evicted.body.len() > CUT_BODY_BYTES {
                    let cut = cut_str(&evicted.body, CUT_BODY_BYTES).to_owned();
                    Some(std::mem::replace(&mut evicted.body, cut))
                } else {
                    None
                };
                // No event rather than a partial one a check might judge as the vendor's.
                dropped.push((raw, body, evicted.event.take()));
                record.counts.evicted += 1;
            }
            drop(guard);
            drop(dropped);
            return true;
        }
        record.counts.unverified += 1;
        if record.unverified_records >= limits.unverified_records {
            record.counts.unrecorded += 1;
            return false;
        }
        record.unverified_records += 1;
        let header_bytes: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
        let cost = 2 * bytes.len() + header_bytes + delivery.event.as_ref().map_or(0, |_| bytes.len());
        if bytes.len() <= limits.unverified_whole_max_body
            && record.unverified_bytes + cost <= limits.unverified_kept_bytes
        {
            record.unverified_bytes += cost;
            delivery.headers = all_headers();
            delivery.body = String::from_utf8_lossy(&bytes).into_owned();
            record.raw.insert(seq, bytes);
        } else {
            record.counts.cut += 1;
            let looks = self.second_looks(headers, &bytes, delivery.received_at_ms.div_euclid(1000));
            record.second_looks.insert(seq, looks);
            delivery.headers = cut_headers(headers);
            delivery.body = String::from_utf8_lossy(&bytes[..bytes.len().min(CUT_BODY_BYTES)]).into_owned();
            delivery.event = delivery.event.take().and_then(trim_event);
        }
        record.deliveries.push(delivery);
        true
    }
}

impl ReceiverState {
    /// A delivery verified, as of `at`, the ways a check may ask about once its bytes are gone.
    pub(super) fn second_looks(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        at: i64,
    ) -> Vec<(SignatureFormat, Verification)> {
        let secrets = Arc::clone(&self.secrets.lock().expect("receiver lock"));
        if secrets.is_empty() {
            return Vec::new();
        }
        let refs: Vec<&Secret> = secrets.iter().collect();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        [self.format.without_window(), self.format.body_only().without_window()]
            .into_iter()
            .map(|f| {
                let verification = match f.verify(header, body, &refs, at) {
                    Ok(v) => Verification::Valid { timestamp: v.timestamp },
                    Err(e) => Verification::Invalid { reason: e.to_string() },
                };
                (f, verification)
            })
            .collect()
    }
}

/// Roughly what a delivery kept whole holds: raw bytes, body text, headers, mapped event.
fn whole_cost(delivery: &Delivery, raw: usize) -> usize {
    let headers: usize = delivery.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
    raw + delivery.body.len() + headers + delivery.event.as_ref().map_or(0, |_| raw)
}

/// `s` cut to at most `max` bytes, at a character boundary.
pub(super) fn cut_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A cut record's headers: in order, each at most 1 KiB, up to [`CUT_HEADER_BYTES`] in all.
fn cut_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    let mut total = 0;
    for (name, value) in headers {
        let len = name.as_str().len() + value.len();
        if len > 1024 || total + len > CUT_HEADER_BYTES {
            continue;
        }
        total += len;
        kept.push((name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()));
    }
    kept
}

/// What is kept of a cut record's event: its top-level fields with short scalar values
/// (`event_id`, `event_type`, `device_id`, ...), enough to tell which event a delivery carried.
fn trim_event(event: serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value;
    let Value::Object(fields) = event else { return None };
    let short = |v: &Value| match v {
        Value::String(s) => s.len() <= 256,
        Value::Number(_) | Value::Bool(_) | Value::Null => true,
        Value::Array(_) | Value::Object(_) => false,
    };
    Some(Value::Object(fields.into_iter().filter(|(k, v)| k.len() <= 64 && short(v)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_body_does_not_pin_the_buffer_it_was_read_into() {
        let state = ReceiverState::new(SignatureFormat::canonical(contract::Scheme::Body), Vec::new(), 1024);
        let buffer = bytes::Bytes::from(vec![b'x'; 8192]);
        let body = buffer.slice(..100);
        let delivery = Delivery {
            seq: 0,
            received_at_ms: 0,
            headers: Vec::new(),
            body: String::new(),
            body_bytes: body.len(),
            verification: Verification::Valid { timestamp: None },
            event: None,
            event_id: None,
            duplicate: false,
            answered: Some(200),
            path: "/webhook".into(),
        };
        assert!(state.keep(delivery, &HeaderMap::new(), body.clone()));
        let record = state.record.lock().unwrap();
        let kept = &record.raw[&0];
        assert_eq!(kept, &body, "the same bytes");
        let within = buffer.as_ptr_range();
        assert!(!within.contains(&kept.as_ptr()), "kept in their own allocation, not a slice of the read buffer");
    }

    #[test]
    fn cutting_keeps_whole_characters() {
        assert_eq!(cut_str("abc", 5), "abc");
        assert_eq!(cut_str("aé", 2), "a");
        assert_eq!(cut_str("aé", 3), "aé");
    }

    #[test]
    fn a_trimmed_event_keeps_its_short_top_level_fields_only() {
        let event = serde_json::json!({
            "event_id": "e-1", "seq": 3, "ok": true, "data": {"zone": "1"}, "list": [1],
            "pad": "x".repeat(300),
        });
        assert_eq!(trim_event(event), Some(serde_json::json!({"event_id": "e-1", "seq": 3, "ok": true})));
        assert_eq!(trim_event(serde_json::json!([1, 2])), None);
    }

    #[test]
    fn cut_headers_leave_out_long_ones_and_stop_at_the_budget() {
        let mut headers = HeaderMap::new();
        headers.insert("x-long", "l".repeat(2000).parse().unwrap());
        headers.insert("x-webhook-signature", "sha256=abc".parse().unwrap());
        for i in 0..10 {
            headers.insert(
                axum::http::HeaderName::try_from(format!("x-pad-{i}")).unwrap(),
                "p".repeat(900).parse().unwrap(),
            );
        }
        let kept = cut_headers(&headers);
        assert!(kept.iter().all(|(k, _)| k != "x-long"));
        assert!(kept.iter().any(|(k, v)| k == "x-webhook-signature" && v == "sha256=abc"));
        assert!(kept.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() <= CUT_HEADER_BYTES);
        assert_eq!(kept.len(), 5);
    }
}
