//! The inbox checks see: deliveries, waits, answer windows, planted URLs and fetches, over the
//! receiver's state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use contract::{Secret, SignatureFormat};
use suites::{Delivery, Fetch, Inbox, ReceiverAnswer, Verification};

use super::{MAX_ANSWER_WINDOWS, ReceiverState};

/// The inbox checks see.
#[derive(Debug, Clone)]
pub struct ReceiverInbox(pub Arc<ReceiverState>);

#[async_trait]
impl Inbox for ReceiverInbox {
    fn public_url(&self) -> String {
        self.0.public_url.lock().expect("receiver lock").clone()
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.0.record.lock().expect("receiver lock").deliveries.clone()
    }

    async fn wait_for(&self, done: &(dyn for<'d> Fn(&'d [Delivery]) -> bool + Send + Sync), within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        let mut arrivals = self.0.arrivals.subscribe();
        loop {
            let so_far = self.deliveries();
            if done(&so_far) {
                return true;
            }
            match tokio::time::timeout_at(deadline, arrivals.changed()).await {
                Ok(Ok(())) => continue,
                _ => {
                    let so_far = self.deliveries();
                    return done(&so_far);
                }
            }
        }
    }

    fn answer_for(&self, answer: ReceiverAnswer, window: Duration) {
        *self.0.answer.lock().expect("receiver lock") = Some((answer, Instant::now() + window));
        let from = contract::unix_now_ms();
        let mut windows = self.0.windows.lock().expect("receiver lock");
        if let Some(last) = windows.last_mut().filter(|w| w.2 > from) {
            // A new answer ends the one before it.
            last.2 = from;
        }
        if windows.len() < MAX_ANSWER_WINDOWS && answer != ReceiverAnswer::Ok {
            windows.push((answer, from, from + window.as_millis() as i64));
        }
        self.0.answer_changed.send_modify(|n| *n += 1);
    }

    fn fetches(&self) -> Vec<Fetch> {
        self.0.fetches.lock().expect("receiver lock").clone()
    }

    fn add_secret(&self, secret: Secret) {
        let mut secrets = self.0.secrets.lock().expect("receiver lock");
        if !secrets.iter().any(|s| s.expose() == secret.expose()) {
            Arc::make_mut(&mut secrets).push(secret);
        }
    }

    fn verify_with(&self, delivery: &Delivery, format: &SignatureFormat, secret: Option<&Secret>) -> Verification {
        let raw = {
            let record = self.0.record.lock().expect("receiver lock");
            match record.raw.get(&delivery.seq) {
                Some(raw) => raw.clone(),
                // Not kept (an unverified delivery beyond the sample): a second look taken on
                // arrival answers, else what the receiver judged on arrival still stands, so a
                // check fails it with that reason rather than passing it unseen. A verified one
                // whose bytes were evicted cannot be looked at again.
                None => {
                    let looked = record.second_looks.get(&delivery.seq).into_iter().flatten();
                    if let Some((_, seen)) = looked.filter(|_| secret.is_none()).find(|(f, _)| f == format) {
                        return seen.clone();
                    }
                    return match record.deliveries.get(delivery.seq as usize).map(|d| &d.verification) {
                        Some(Verification::Invalid { reason }) => Verification::Invalid {
                            reason: format!(
                                "{reason} (as judged on arrival: the receiver kept no raw bytes of this delivery \
                                 to verify it again)"
                            ),
                        },
                        _ => Verification::NoSecret,
                    };
                }
            }
        };
        let secrets = match secret {
            Some(secret) => vec![secret.clone()],
            None => self.0.secrets.lock().expect("receiver lock").to_vec(),
        };
        if secrets.is_empty() {
            return Verification::NoSecret;
        }
        let refs: Vec<&Secret> = secrets.iter().collect();
        let header =
            |name: &str| delivery.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        match format.verify(header, &raw, &refs, delivery.received_at_ms.div_euclid(1000)) {
            Ok(v) => Verification::Valid { timestamp: v.timestamp },
            Err(e) => Verification::Invalid { reason: e.to_string() },
        }
    }

    async fn post_to_self(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<u16, String> {
        let addr = self.0.local_addr.lock().expect("receiver lock").ok_or("the receiver is not listening")?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("failed to build a client: {e}"))?;
        let mut request = client.post(format!("http://{addr}/webhook")).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| format!("POST to the receiver failed: {e}"))?;
        Ok(response.status().as_u16())
    }
}
