//! 429 handling: every limited answer is kept for AUTH-8, and a fresh request waits out a usable
//! `Retry-After` within the configured bounds before it is sent again.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use suites::{ApiError, ProbeAuth};

use super::{Response, VendorClient};

/// At most this many 429 answers are kept for AUTH-8 (a vendor limiting a long run answers many).
pub const MAX_LIMITED_KEPT: usize = 256;

impl VendorClient {
    /// Sends one request with a fresh token, honouring 429 `Retry-After` within the bounds.
    /// Any answer (4xx and 5xx included) is `Ok`; only a missing, oversized or redirected answer is `Err`.
    pub async fn send(&self, method: Method, url: Url, body: Option<Value>) -> Result<Response, ApiError> {
        self.send_as(method, url, body, &ProbeAuth::Fresh).await
    }

    /// [`VendorClient::send`] with any authentication; only `Fresh` requests wait out a 429.
    pub async fn send_as(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
        auth: &ProbeAuth,
    ) -> Result<Response, ApiError> {
        let mut notes = Vec::new();
        let mut attempt = 0;
        let retries = if matches!(auth, ProbeAuth::Fresh) { self.limits.max_rate_limit_retries } else { 0 };
        loop {
            let response = self.send_once(method.clone(), url.clone(), body.as_ref(), auth).await;
            let mut response = match response {
                Ok(r) => r,
                Err(mut e) => {
                    if let Some(x) = e.exchanges.last_mut() {
                        x.notes.splice(0..0, notes);
                    }
                    return Err(e);
                }
            };
            if response.status == StatusCode::TOO_MANY_REQUESTS {
                let mut limited = self.limited.lock().expect("limited lock");
                if limited.len() < MAX_LIMITED_KEPT {
                    limited.push(response.exchange.clone());
                }
            }
            if response.status == StatusCode::TOO_MANY_REQUESTS && attempt < retries {
                let retry_after =
                    response.exchange.response_header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
                match retry_after {
                    Some(secs) if Duration::from_secs(secs) <= self.limits.max_retry_after => {
                        notes.push(format!("answered 429 with Retry-After {secs} s: waited and retried"));
                        tokio::time::sleep(Duration::from_secs(secs)).await;
                        attempt += 1;
                        continue;
                    }
                    Some(secs) => notes.push(format!(
                        "answered 429 with Retry-After {secs} s, beyond the {} s the harness waits",
                        self.limits.max_retry_after.as_secs()
                    )),
                    None if retries > 0 => notes.push("answered 429 without a usable Retry-After (AUTH-8)".into()),
                    None => {}
                }
            }
            response.exchange.notes.splice(0..0, notes);
            return Ok(response);
        }
    }
}
