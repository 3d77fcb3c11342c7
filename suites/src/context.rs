//! What a check runs against: the vendor API, the webhook inbox and the trigger, as traits that
//! the harness implements (so this crate knows nothing of HTTP clients or servers).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::outcome::{Exchange, Outcome};
use crate::sync::InventorySync;

/// Who is to blame when a request did not give a usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Blame {
    /// The vendor answered wrongly: the check fails.
    Vendor,
    /// The harness could not test (its network, a timeout, its configuration): the check errors.
    Harness,
}

/// One way a request can go wrong; each says who is to blame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApiErrorKind {
    /// Connection refused, DNS, TLS: the harness could not reach the vendor.
    Transport,
    /// No complete answer within the time budget (a stalled connection).
    Timeout,
    /// The harness is misconfigured (bad key, bad URL).
    Config,
    /// A non-2xx status.
    Status,
    /// A 3xx: API endpoints answer directly; redirects are not followed (the token would travel).
    Redirect,
    /// The body exceeded the size cap.
    TooLarge,
    /// The body is not JSON.
    InvalidJson,
    /// The JSON is not where the profile says (no list key, list not an array, ...).
    Shape,
    /// Pagination did not end within the page-count guard.
    TooManyPages,
}

impl ApiErrorKind {
    pub fn blame(self) -> Blame {
        match self {
            Self::Transport | Self::Timeout | Self::Config => Blame::Harness,
            _ => Blame::Vendor,
        }
    }
}

/// A request (or a walk of pages) that did not give a usable answer, with the exchanges so far.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub message: String,
    pub exchanges: Vec<Exchange>,
}

impl ApiError {
    pub fn new(kind: ApiErrorKind, message: impl Into<String>, exchanges: Vec<Exchange>) -> Self {
        Self { kind, message: message.into(), exchanges }
    }

    /// The outcome of a check whose own request failed: FAIL when the vendor is to blame,
    /// ERROR when the harness could not test.
    pub fn to_outcome(&self, what: &str) -> Outcome {
        let message = format!("{what}: {}", self.message);
        let mut outcome = match self.kind.blame() {
            Blame::Vendor => Outcome::fail(message),
            Blame::Harness => Outcome::error(message),
        };
        for exchange in &self.exchanges {
            outcome.evidence.push_exchange(exchange);
        }
        outcome
    }
}

/// One record fetched by itself (the account).
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The canonical record, mapped through the profile.
    pub record: Value,
    /// The vendor's JSON as received.
    pub raw: Value,
    pub exchange: Exchange,
}

/// One record of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The canonical record, mapped through the profile.
    pub record: Value,
    pub raw: Value,
    /// Index into [`Listing::exchanges`] of the page it came from.
    pub page: usize,
}

/// Every record of a collection, walked over all its pages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub records: Vec<Listed>,
    /// One exchange per page, in order.
    pub exchanges: Vec<Exchange>,
    /// What the walk noticed without failing (no pagination block, ...).
    pub notes: Vec<String>,
}

impl Listing {
    pub fn exchange_of(&self, listed: &Listed) -> Option<&Exchange> {
        self.exchanges.get(listed.page)
    }
}

/// The vendor's API, seen through its profile: canonical records plus the raw exchanges.
#[async_trait]
pub trait VendorApi: Send + Sync + std::fmt::Debug {
    /// `GET` the account bound to the credential (ACC-1).
    async fn account(&self) -> Result<Fetched, ApiError>;
    /// Every site of the account, all pages (SITE-1).
    async fn sites(&self) -> Result<Listing, ApiError>;
    /// Every device of one site, all pages (INV-*).
    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError>;
}

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
    /// The body (UTF-8, lossy), cut at the receiver's cap.
    pub body: String,
    pub body_bytes: usize,
    pub verification: Verification,
    pub event_id: Option<String>,
    /// An `event_id` seen before (RPL-1: processed at most once).
    pub duplicate: bool,
    /// What the receiver answered: a status code, or `None` for a deliberate timeout.
    pub answered: Option<u16>,
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
}

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
}

/// What a check wants the vendor to do (CONTRACT.md §12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Make a device's health change.
    DeviceStatus { site_id: String, device_id: String, status: String },
    /// Make a device emit an event of a family (`alarm`, `access`, `video`).
    DeviceEvent { site_id: String, device_id: String, event_type: String, data: Value },
}

/// Why a trigger could not act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// This trigger cannot do that action: the check is skipped.
    #[error("the `{trigger}` trigger cannot {action}")]
    Unsupported { trigger: &'static str, action: String },
    /// An operator prompt in a non-interactive run: the check is skipped.
    #[error("an operator is needed but the run is non-interactive")]
    NonInteractive,
    /// The trigger tried and failed: the check errors.
    #[error("trigger failed: {0}")]
    Failed(String),
}

/// A way to make the vendor act.
#[async_trait]
pub trait Trigger: Send + Sync + std::fmt::Debug {
    /// `command`, `mock-control`, `ping`, `prompt`, `passive`.
    fn kind(&self) -> &'static str;
    /// Does it (or asks for it). Returns a one-line description of what was done, for evidence.
    async fn act(&self, action: &Action) -> Result<String, TriggerError>;
}

/// What the vendor declares about itself in the harness configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    /// Optional capabilities (`webhook-management`, `ping`, `event-types`, ...).
    pub capabilities: BTreeSet<String>,
    /// Event families the vendor emits (`health`, `alarm`, ...).
    pub event_families: BTreeSet<String>,
}

/// Time budgets checks wait within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// How long to wait for a webhook delivery after the vendor was made to act.
    pub event_wait: Duration,
}

impl Default for Budgets {
    fn default() -> Self {
        Self { event_wait: Duration::from_secs(30) }
    }
}

/// Everything one run's checks share.
#[derive(Debug)]
pub struct Context {
    pub api: Arc<dyn VendorApi>,
    pub inbox: Option<Arc<dyn Inbox>>,
    pub trigger: Option<Arc<dyn Trigger>>,
    pub declared: Declared,
    pub budgets: Budgets,
    sync: OnceCell<Arc<InventorySync>>,
    second_sync: OnceCell<Arc<InventorySync>>,
}

impl Context {
    pub fn new(api: Arc<dyn VendorApi>) -> Self {
        Self {
            api,
            inbox: None,
            trigger: None,
            declared: Declared::default(),
            budgets: Budgets::default(),
            sync: OnceCell::new(),
            second_sync: OnceCell::new(),
        }
    }

    pub fn with_inbox(mut self, inbox: Arc<dyn Inbox>) -> Self {
        self.inbox = Some(inbox);
        self
    }

    pub fn with_trigger(mut self, trigger: Arc<dyn Trigger>) -> Self {
        self.trigger = Some(trigger);
        self
    }

    pub fn with_declared(mut self, declared: Declared) -> Self {
        self.declared = declared;
        self
    }

    pub fn with_budgets(mut self, budgets: Budgets) -> Self {
        self.budgets = budgets;
        self
    }

    /// The run's full inventory sync (account, every site, every site's devices, all pages),
    /// done on first use and shared by every check.
    pub async fn sync(&self) -> Arc<InventorySync> {
        self.sync.get_or_init(|| async { Arc::new(InventorySync::fetch(self.api.as_ref()).await) }).await.clone()
    }

    /// A second, independent sync after the first, for stability checks (ID-1).
    pub async fn second_sync(&self) -> Arc<InventorySync> {
        self.sync().await;
        self.second_sync.get_or_init(|| async { Arc::new(InventorySync::fetch(self.api.as_ref()).await) }).await.clone()
    }
}
