//! The harness's webhook receiver as checks see it (`Inbox`): deliveries, their verification,
//! the answers a check has the receiver give for a window.

use std::time::Duration;

use async_trait::async_trait;
use contract::{Secret, SignatureFormat};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a webhook delivery's signature check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Verification {
    Valid {
        timestamp: Option<i64>,
    },
    Invalid {
        reason: String,
    },
    /// The receiver holds no secret yet.
    NoSecret,
}

/// One delivery the receiver got, verified or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Arrival order, from 0.
    pub seq: u64,
    pub received_at_ms: i64,
    pub headers: Vec<(String, String)>,
    /// The body (UTF-8, lossy), cut at the receiver's cap; a receiver bounding its memory may
    /// keep less of a delivery that did not verify, or of an old one (`body_bytes` is the length).
    pub body: String,
    pub body_bytes: usize,
    pub verification: Verification,
    /// The body as a canonical event (`event_id`, `event_type`, `device_id`, ...), mapped through
    /// the vendor's profile; `None` when the body is not JSON. Checks read events here, never
    /// the vendor's names in `body`.
    #[serde(default)]
    pub event: Option<Value>,
    pub event_id: Option<String>,
    /// An `event_id` seen before (RPL-1: processed at most once).
    pub duplicate: bool,
    /// What the receiver answered: a status code, or `None` for a deliberate timeout.
    pub answered: Option<u16>,
    /// The request path (and query): tells apart webhooks a check registered at their own paths
    /// under the receiver's URL.
    #[serde(default)]
    pub path: String,
}

/// A request to the receiver that was not a delivery (a `GET` of a `jku`/`x5u` URL the harness
/// planted in a token header: AUTH-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetch {
    pub received_at_ms: i64,
    pub method: String,
    /// Path and query.
    pub path: String,
}

/// What the receiver answers while a check simulates an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "answer")]
pub enum ReceiverAnswer {
    Ok,
    ServerError,
    /// Hold the request open past the vendor's timeout.
    Timeout,
    TooManyRequests {
        retry_after_secs: u64,
    },
    Gone,
    /// Refuse connections outright (the listener is closed for the window).
    Refuse,
    /// Answer `307 Temporary Redirect` with a `Location` on the receiver itself (its public URL
    /// plus [`REDIRECT_PATH`]), so a vendor that follows redirects shows up as a fetch (DLV-4).
    Redirect,
}

/// Where the receiver's 3xx answers point, under its public URL. Requests to it, whatever the
/// method, are recorded as [`Fetch`]es, never as deliveries: a vendor following the redirect
/// shows there.
pub const REDIRECT_PATH: &str = "/redirected";

/// A path under the receiver's public URL whose deliveries are always answered `410 Gone`. A
/// check registers a throw-away webhook there to see it disabled (DLV-4), while the run's own
/// webhook keeps its answers and is never disabled.
pub const GONE_PATH: &str = "/gone";

/// The harness's webhook receiver, as checks see it.
#[async_trait]
pub trait Inbox: Send + Sync + std::fmt::Debug {
    /// The URL the vendor delivers to.
    fn public_url(&self) -> String;
    fn deliveries(&self) -> Vec<Delivery>;
    /// Waits until `done` holds over the deliveries so far, or `within` passes; returns whether it held.
    async fn wait_for(&self, done: &(dyn for<'d> Fn(&'d [Delivery]) -> bool + Send + Sync), within: Duration) -> bool;
    /// Answers `answer` for `window`, then 200 again.
    fn answer_for(&self, answer: ReceiverAnswer, window: Duration);
    /// Requests other than deliveries (`GET`s of planted URLs), in arrival order.
    fn fetches(&self) -> Vec<Fetch>;
    /// Adds a secret deliveries are verified with (a webhook the run or a check created).
    fn add_secret(&self, secret: Secret);
    /// Sends a request to the receiver itself, as an attacker replaying a capture would: the
    /// receiver's self-checks (RPL-1). Returns the status it answered.
    async fn post_to_self(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<u16, String>;
    /// Verifies a recorded delivery's raw bytes again, as if it had arrived with `format` (the
    /// receiver's clock then being the delivery's arrival time), against `secret` alone or, when
    /// `None`, against the receiver's own secrets. Tells a delivery signed over the body alone
    /// from a wrong signature (SIG-3) and one webhook's secret from another's (SIG-4) without a
    /// secret ever reaching a check. An inbox that keeps no raw bytes answers `NoSecret`.
    fn verify_with(&self, delivery: &Delivery, format: &SignatureFormat, secret: Option<&Secret>) -> Verification {
        let _ = (delivery, format, secret);
        Verification::NoSecret
    }
}
