//! Transport: one request sent as is, bounded in time and size, never following a redirect, and
//! recorded as an exchange with secrets redacted.

use std::time::{Duration, Instant};

use contract::Secret;
use reqwest::{Method, Url};
use serde_json::Value;
use suites::{ApiError, ApiErrorKind, Exchange, ProbeAuth};

use super::evidence::{excerpt, redact, redacted_authorization, token_view};
use super::{Response, VendorClient};
use crate::credential::error_chain;

impl VendorClient {
    /// Sends one request and records it in the run's HAR, when the client has one.
    pub(super) async fn send_once(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        auth: &ProbeAuth,
    ) -> Result<Response, ApiError> {
        // What goes in the credential header, and the credential an echo must not leak.
        let (header, token) = match auth {
            ProbeAuth::Fresh => {
                let token = self.fresh_credential().await?;
                (Some(Secret::new(format!("{}{}", self.profile.auth.prefix(), token.expose()))), token)
            }
            ProbeAuth::Missing => (None, Secret::new("")),
            ProbeAuth::Crafted { credential, .. } => (
                Some(Secret::new(format!("{}{}", self.profile.auth.prefix(), credential.expose()))),
                credential.clone(),
            ),
        };
        let result = self.send_as_is(method, url, body, auth, header.as_ref(), &token).await;
        if let Some(har) = &self.har {
            let exchanges = match &result {
                Ok(response) => std::slice::from_ref(&response.exchange),
                Err(e) => e.exchanges.as_slice(),
            };
            for exchange in exchanges {
                har.exchange(exchange, header.as_ref());
            }
        }
        result
    }

    async fn send_as_is(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        auth: &ProbeAuth,
        header: Option<&Secret>,
        token: &Secret,
    ) -> Result<Response, ApiError> {
        let body_text = body.map(|b| b.to_string());
        let header_name = self.profile.auth.header().to_ascii_lowercase();
        let mut request_headers = vec![("accept".to_owned(), "application/json".to_owned())];
        if let Some(header) = header {
            let shown = if self.profile.auth.prefix().is_empty() {
                "[redacted]".to_owned()
            } else {
                redacted_authorization(header)
            };
            request_headers.push((header_name.clone(), shown));
        }
        request_headers
            .extend(self.profile.auth.extra_headers().iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())));
        let mut exchange = Exchange {
            method: method.to_string(),
            url: url.to_string(),
            request_headers,
            token: token_view(token),
            request_body: body_text.clone(),
            reproduce: self.reproduce(&method, &url, body_text.as_deref(), auth),
            ..Exchange::default()
        };
        let mut request = self.http.request(method, url.clone()).header("accept", "application/json");
        if let Some(header) = header {
            request = request.header(header_name.as_str(), header.expose());
        }
        for (name, value) in self.profile.auth.extra_headers() {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(text) = body_text {
            exchange.request_headers.push(("content-type".into(), "application/json".into()));
            request = request.header("content-type", "application/json").body(text);
        }
        let started = Instant::now();
        let fail = |mut exchange: Exchange, kind: ApiErrorKind, message: String| {
            exchange.elapsed_ms = started.elapsed().as_millis() as u64;
            exchange.error = Some(message.clone());
            ApiError::new(kind, message, vec![exchange])
        };
        // The client's own timeout covers the body too; this one is a backstop.
        let backstop = self.limits.request_timeout + Duration::from_secs(1);
        let response = match tokio::time::timeout(backstop, request.send()).await {
            Err(_) => return Err(fail(exchange, ApiErrorKind::Timeout, self.timeout_message())),
            Ok(Err(e)) if e.is_timeout() => return Err(fail(exchange, ApiErrorKind::Timeout, self.timeout_message())),
            Ok(Err(e)) => {
                return Err(fail(exchange, ApiErrorKind::Transport, format!("request failed: {}", error_chain(&e))));
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        exchange.status = Some(status.as_u16());
        exchange.response_headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), redact(&String::from_utf8_lossy(v.as_bytes()), token)))
            .collect();
        let mut response = response;
        let mut body = Vec::new();
        loop {
            let chunk = match tokio::time::timeout_at((started + backstop).into(), response.chunk()).await {
                Err(_) => return Err(fail(exchange, ApiErrorKind::Timeout, self.timeout_message())),
                Ok(Err(e)) if e.is_timeout() => {
                    excerpt(&mut exchange, &body, token);
                    return Err(fail(exchange, ApiErrorKind::Timeout, self.timeout_message()));
                }
                Ok(Err(e)) => {
                    excerpt(&mut exchange, &body, token);
                    return Err(fail(
                        exchange,
                        ApiErrorKind::Transport,
                        format!("reading the body failed: {}", error_chain(&e)),
                    ));
                }
                Ok(Ok(chunk)) => chunk,
            };
            let Some(chunk) = chunk else { break };
            body.extend_from_slice(&chunk);
            if body.len() as u64 > self.limits.max_body_bytes {
                excerpt(&mut exchange, &body, token);
                exchange.notes.push(format!("stopped reading at the {} byte cap", self.limits.max_body_bytes));
                let message = format!("the body is larger than the {} byte cap", self.limits.max_body_bytes);
                return Err(fail(exchange, ApiErrorKind::TooLarge, message));
            }
        }
        exchange.elapsed_ms = started.elapsed().as_millis() as u64;
        excerpt(&mut exchange, &body, token);
        if status.is_redirection() {
            let to = exchange.response_header("location").unwrap_or("nowhere").to_owned();
            let message = format!(
                "answered {status} redirecting to {to}; API endpoints answer directly and the harness follows no redirect (the token would travel with it)"
            );
            return Err(ApiError::new(ApiErrorKind::Redirect, message, vec![exchange]));
        }
        Ok(Response { status, body: body.into(), exchange })
    }

    fn timeout_message(&self) -> String {
        format!("no complete answer within {} s", self.limits.request_timeout.as_secs())
    }
}
