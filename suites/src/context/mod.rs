//! What a check runs against: the vendor API, the webhook inbox and the trigger, as traits that
//! the harness implements (so this crate knows nothing of HTTP clients or servers). This is the
//! API boundary between `suites` and `harness`: `vendor`, `paging`, `inbox` and `trigger` are the
//! traits and types the harness implements and fills, `webhook_api` how the vendor's webhook
//! management API is shaped (what the harness's profile hands down); this file holds the context
//! itself.

use std::any::{Any, TypeId};
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use contract::{SignatureFormat, TokenMinter};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

mod inbox;
mod paging;
mod trigger;
mod vendor;
pub mod webhook_api;

pub use inbox::*;
pub use paging::*;
pub use trigger::*;
pub use vendor::*;

/// What the vendor declares about itself in the harness configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    /// Optional capabilities (`webhook-management`, `ping`, `event-types`, ...).
    pub capabilities: BTreeSet<String>,
    /// Event families the vendor emits (`health`, `alarm`, ...).
    pub event_families: BTreeSet<String>,
    /// Device types that publish no events (partial coverage, FB-4), when the vendor has no
    /// event catalogue saying so.
    pub silent_device_types: BTreeSet<String>,
    /// Capabilities not declared but found offered by the runner's discovery (also in
    /// `capabilities`): held to their requirements where offered, while a part not offered (a
    /// webhook list without a create) makes its checks not applicable rather than failing.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub discovered: BTreeSet<String>,
}

/// Time budgets checks wait within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// How long to wait for a webhook delivery after the vendor was made to act.
    pub event_wait: Duration,
    /// How long to watch for attempts that should not come (after a 2xx, after a delete).
    pub quiet_window: Duration,
    /// How long a simulated receiver outage lasts.
    pub outage: Duration,
    /// The vendor's declared retry horizon: how long after an outage began its events may still
    /// arrive (DLV-5). Waits for retries are bounded by this and `event_wait`.
    pub retry_horizon: Duration,
    /// At most this many bad-token requests, then as many valid ones, probe for a rate limit
    /// (AUTH-8); 0 = do not probe.
    pub rate_limit_burst: u32,
    /// The client's page guard: a walk of more pages is a failure, so checks that choose their
    /// own page size (the pagination suite's `per_page=1` walks) stay under it.
    pub max_pages: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            event_wait: Duration::from_secs(30),
            quiet_window: Duration::from_secs(10),
            outage: Duration::from_secs(30),
            retry_horizon: Duration::from_secs(300),
            rate_limit_burst: 0,
            max_pages: 1000,
        }
    }
}

/// What the auth suite crafts tokens from: the account's signing key and its public key.
pub struct TokenKit {
    pub minter: Arc<TokenMinter>,
    /// The account's public key (SubjectPublicKeyInfo PEM): the HS256 confusion attack keys with it.
    pub public_pem: String,
    /// The lifetime the run's own tokens have.
    pub lifetime_secs: u64,
    /// The account's second key (a rotation), minting with its own `kid`, when configured.
    pub rotation: Option<Arc<TokenMinter>>,
}

impl std::fmt::Debug for TokenKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKit").field("minter", &self.minter).finish_non_exhaustive()
    }
}

/// Told when a check starts waiting for the vendor (`what` it waits for, at most how long), so
/// the run's display can say why it sits still. The harness sends it on as an event.
pub type WaitingHook = Arc<dyn Fn(&str, Duration) + Send + Sync>;

/// The hook, or none (tests, a library user): `Debug` for [`Context`].
#[derive(Clone, Default)]
struct Waiting(Option<WaitingHook>);

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Waiting(hook)" } else { "Waiting(none)" })
    }
}

/// Everything one run's checks share.
#[derive(Debug)]
pub struct Context {
    /// The vendor's API; [`Context::new`] reads its endpoints once, so it is set there only.
    pub api: Arc<dyn VendorApi>,
    pub inbox: Option<Arc<dyn Inbox>>,
    pub trigger: Option<Arc<dyn Trigger>>,
    pub declared: Declared,
    pub budgets: Budgets,
    /// The account's keys, for crafted tokens (auth suite).
    pub tokens: Option<Arc<TokenKit>>,
    /// The second account's API, when the configuration has one (tenancy, ACC-2).
    pub second: Option<Arc<dyn VendorApi>>,
    /// The signature format deliveries are verified with (the profile's, or the contract's for
    /// the configured scheme).
    pub signature: Option<SignatureFormat>,
    /// The webhook deliveries come through: registered by the run, or configured.
    pub webhook: WebhookSetup,
    /// `api`'s endpoints, read once when the context is built: checks ask for them often, and
    /// the profile does not change during a run.
    endpoints: Endpoints,
    /// What a module computes or keeps once per run for several of its checks, one value per type
    /// (the inventory syncs, what the run made devices do, the pagination suite's walks): the
    /// context names none of them, so it depends on none of its users.
    memo: Mutex<HashMap<TypeId, Arc<MemoCell>>>,
    waiting: Waiting,
}

type MemoCell = OnceCell<Arc<dyn Any + Send + Sync>>;

impl Context {
    pub fn new(api: Arc<dyn VendorApi>) -> Self {
        Self {
            endpoints: api.endpoints(),
            api,
            inbox: None,
            trigger: None,
            declared: Declared::default(),
            budgets: Budgets::default(),
            tokens: None,
            second: None,
            signature: None,
            webhook: WebhookSetup::Configured,
            memo: Mutex::new(HashMap::new()),
            waiting: Waiting::default(),
        }
    }

    pub fn with_waiting(mut self, hook: WaitingHook) -> Self {
        self.waiting = Waiting(Some(hook));
        self
    }

    /// Says that the check now waits up to `within` for `what` ("attempt #3 of the health event
    /// of device …"): call it right before a wait that can take seconds.
    pub fn waiting(&self, what: &str, within: Duration) {
        if let Some(hook) = &self.waiting.0 {
            hook(what, within);
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

    pub fn with_tokens(mut self, tokens: Arc<TokenKit>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    pub fn with_second(mut self, second: Arc<dyn VendorApi>) -> Self {
        self.second = Some(second);
        self
    }

    pub fn with_signature(mut self, format: SignatureFormat) -> Self {
        self.signature = Some(format);
        self
    }

    pub fn with_webhook(mut self, webhook: WebhookSetup) -> Self {
        self.webhook = webhook;
        self
    }

    /// Where the vendor's endpoints are, its pagination and its kind of credential: `api`'s
    /// [`VendorApi::endpoints`], read once when the context was built.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The run's one value of type `T`, computed by `init` on first use and shared by every check
    /// that asks for a `T` (the pagination suite's walks serve several of its checks). Each suite
    /// keys by a type of its own, so suites cannot read each other's values. A first use that is
    /// cancelled (a check's timeout) leaves nothing behind: the next use computes afresh.
    pub async fn memo<T, F, Fut>(&self, init: F) -> Arc<T>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = self.memo.lock().expect("memo lock").entry(TypeId::of::<T>()).or_default().clone();
        let value = cell.get_or_init(|| async { Arc::new(init().await) as Arc<dyn Any + Send + Sync> }).await.clone();
        value.downcast::<T>().expect("the memo holds a T under T's type id")
    }

    /// The run's one value of type `T`, made by `T::default()` on first use: state that checks
    /// change as the run goes and that must be read without awaiting (what the run made devices
    /// do). A type is kept either this way or through [`Context::memo`], never both.
    pub fn shared<T>(&self) -> Arc<T>
    where
        T: Any + Default + Send + Sync,
    {
        let cell = {
            let mut memo = self.memo.lock().expect("memo lock");
            let cell = memo.entry(TypeId::of::<T>()).or_default();
            // Under the map's lock, so two first uses cannot both make one.
            if cell.get().is_none() {
                cell.set(Arc::new(T::default()) as Arc<dyn Any + Send + Sync>)
                    .expect("a type kept by `shared` is never computed by `memo`");
            }
            cell.clone()
        };
        let value = cell.get().expect("set above").clone();
        value.downcast::<T>().expect("the memo holds a T under T's type id")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::outcome::Exchange;

    /// Counts how often the context asks for the endpoints; serves nothing else.
    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);

    #[async_trait]
    impl VendorApi for Counting {
        async fn account(&self) -> Result<Fetched, ApiError> {
            unreachable!("not used")
        }
        async fn sites(&self) -> Result<Listing, ApiError> {
            unreachable!("not used")
        }
        async fn inventory(&self, _: &str) -> Result<Listing, ApiError> {
            unreachable!("not used")
        }
        fn endpoints(&self) -> Endpoints {
            self.0.fetch_add(1, Ordering::SeqCst);
            Endpoints { sites: "/v2/places".into(), ..Endpoints::canonical() }
        }
        async fn probe(&self, _: Probe) -> Result<Answer, ApiError> {
            unreachable!("not used")
        }
        async fn walk(&self, _: &Collection, _: Option<u64>, _: &mut PageVisitor<'_>) -> Result<WalkEnd, ApiError> {
            Err(ApiError::new(ApiErrorKind::Config, "not used", Vec::<Exchange>::new()))
        }
    }

    #[test]
    fn the_endpoints_are_read_once_when_the_context_is_built() {
        let api = Arc::new(Counting::default());
        let cx = Context::new(api.clone());
        for _ in 0..3 {
            assert_eq!(cx.endpoints().sites, "/v2/places");
        }
        assert_eq!(api.0.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn memo_and_shared_keep_one_value_per_type() {
        #[derive(Default)]
        struct Tally(Mutex<u32>);
        struct Computed(u32);
        let cx = Context::new(Arc::new(Counting::default()));
        *cx.shared::<Tally>().0.lock().unwrap() += 1;
        *cx.shared::<Tally>().0.lock().unwrap() += 1;
        assert_eq!(*cx.shared::<Tally>().0.lock().unwrap(), 2, "one Tally for the run");
        let first = cx.memo(|| async { Computed(7) }).await;
        let again = cx.memo(|| async { Computed(8) }).await;
        assert_eq!((first.0, again.0), (7, 7), "computed once");
    }
}
