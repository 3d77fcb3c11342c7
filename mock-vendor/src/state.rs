//! The mock vendor's shared state: fleet, keys, webhooks, deliveries, active faults.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use bytes::Bytes;
use contract::token::{KeyPair, VerifierKey};
use contract::{Secret, TokenVerifier, WebhookStatus};
use serde::Serialize;

use crate::config::MockConfig;
use crate::fault::Fault;
use crate::fleet::Fleet;

/// Active faults as a bit set: checked on every request, so reading it takes no lock.
#[derive(Debug, Default)]
pub struct FaultSet([AtomicU64; 2]);

impl FaultSet {
    fn slot(f: Fault) -> (usize, u64) {
        let i = Fault::ALL.iter().position(|x| *x == f).expect("every fault is in ALL");
        (i / 64, 1 << (i % 64))
    }

    pub fn has(&self, f: Fault) -> bool {
        let (w, bit) = Self::slot(f);
        self.0[w].load(Ordering::Relaxed) & bit != 0
    }

    pub fn set(&self, f: Fault, on: bool) {
        let (w, bit) = Self::slot(f);
        if on {
            self.0[w].fetch_or(bit, Ordering::Relaxed);
        } else {
            self.0[w].fetch_and(!bit, Ordering::Relaxed);
        }
    }

    pub fn replace(&self, faults: &[Fault]) {
        self.0[0].store(0, Ordering::Relaxed);
        self.0[1].store(0, Ordering::Relaxed);
        faults.iter().for_each(|f| self.set(*f, true));
    }

    /// No fault is active: the mock serves the contract exactly.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| w.load(Ordering::Relaxed) == 0)
    }

    pub fn active(&self) -> Vec<Fault> {
        Fault::ALL.iter().copied().filter(|f| self.has(*f)).collect()
    }
}

/// An account's credentials as the console issued them: two keys, as during a rotation, told
/// apart by the token header's `kid` (AUTH-7).
#[derive(Debug)]
pub struct AccountKeys {
    pub kid: String,
    pub keys: KeyPair,
    /// The second key registered for the account.
    pub rotation_kid: String,
    pub rotation_keys: KeyPair,
}

#[derive(Debug, Clone)]
pub struct WebhookRec {
    pub id: String,
    pub account: u16,
    pub name: String,
    pub target_url: String,
    pub status: WebhookStatus,
    pub secret: Secret,
    pub deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Succeeded,
    /// The retry schedule ran out: kept, visible, never silently dropped.
    DeadLettered,
    /// The receiver answered 410 and the webhook was disabled (DLV-4).
    Disabled,
    /// The webhook was deleted while the delivery was pending (WHM-2).
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttemptRec {
    pub at_ms: i64,
    /// The receiver's status code; absent when the attempt failed before an answer.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    pub target_url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRec {
    pub delivery_id: u64,
    pub webhook_id: String,
    pub event_id: Option<String>,
    pub event_type: String,
    pub device_id: Option<String>,
    pub created_ms: i64,
    pub state: DeliveryState,
    pub attempts: Vec<AttemptRec>,
    #[serde(skip)]
    pub body: Bytes,
}

/// Canonical inventory pages as served by a fault-free mock, by (site index, page, per_page), as
/// ready pieces (`blocks::Pieces`: an entry owns only its envelope's few bytes and shares its
/// devices' bytes with their block). Valid for one fleet generation: every change to the fleet
/// bumps [`Inner::fleet_generation`], and the first lookup after that empties the cache. At most
/// [`Self::MAX_PAGES`] pages: past it the cache starts over, so a walk through more distinct pages
/// than that never finds one here (the bench's cold figures), and the blocks an entry keeps
/// alive past their eviction stay few.
#[derive(Debug, Default)]
pub struct PageCache {
    generation: u64,
    pages: HashMap<(u32, u64, u64), crate::blocks::Pieces>,
}

impl PageCache {
    pub const MAX_PAGES: usize = 256;

    pub fn get(&mut self, generation: u64, key: (u32, u64, u64)) -> Option<crate::blocks::Pieces> {
        if generation != self.generation {
            self.pages.clear();
            self.generation = generation;
            return None;
        }
        self.pages.get(&key).cloned()
    }

    pub fn insert(&mut self, generation: u64, key: (u32, u64, u64), page: crate::blocks::Pieces) {
        if generation != self.generation {
            return;
        }
        if self.pages.len() >= Self::MAX_PAGES {
            self.pages.clear();
        }
        self.pages.insert(key, page);
    }
}

/// Cheap to clone: every handler gets one.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

#[derive(Debug)]
pub struct Inner {
    pub config: MockConfig,
    pub fleet: RwLock<Fleet>,
    /// Bumped under the fleet's write lock on every change: the page cache's entries are valid
    /// for one generation, and the demo's live view polls it.
    pub fleet_generation: AtomicU64,
    /// A client asking the same few pages over and over gets them from here (issue 8's figure).
    pub page_cache: Mutex<PageCache>,
    /// Every device's bytes as this server's shape serves them, per site, so a page is its
    /// devices' ready bytes in an envelope (issue 18).
    pub blocks: crate::blocks::Blocks,
    pub accounts: Vec<AccountKeys>,
    pub verifier: TokenVerifier,
    pub faults: FaultSet,
    /// Tokens that passed the strict policy, until their `exp`: an authenticated page then costs
    /// a hash lookup, not an RSA verification. A read lock: on two busy cores a lock holder is
    /// often preempted, and readers must not queue behind it (issue 18).
    pub token_cache: RwLock<HashMap<String, (u16, i64)>>,
    pub webhooks: Mutex<Vec<WebhookRec>>,
    /// Webhooks registered at start-up (`--register-webhook`): a reset brings them back, with
    /// their ids and secrets, as the integrator configured them.
    pub startup_webhooks: Mutex<Vec<WebhookRec>>,
    /// Sorted by `delivery_id`, which never repeats, not even across a reset: a delivery task
    /// still running from before a reset finds its record gone and stops.
    pub deliveries: Mutex<Vec<DeliveryRec>>,
    pub next_delivery_id: AtomicU64,
    pub auth_failures: Mutex<(Instant, u32)>,
    /// Each account's token bucket of authenticated requests (`RateLimitScope::Account`): when it
    /// was last filled, and the requests left.
    pub account_requests: Mutex<HashMap<u16, (Instant, f64)>>,
    pub admin_token: Secret,
    /// The secret every webhook gets under the `shared-secret` fault.
    pub shared_secret: Secret,
    pub http: reqwest::Client,
    pub simulation: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// One permit per delivery attempt in flight (`MockConfig::max_concurrent_deliveries`).
    pub delivery_slots: tokio::sync::Semaphore,
    /// Each webhook's attempts in flight (`MockConfig::max_deliveries_per_webhook`), by id.
    pub webhook_slots: Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    /// Where each webhook was last found in `webhooks`, by id ([`AppState::webhook_position`]):
    /// a hint, checked against the id at every use, so a reset cannot make it wrong.
    pub webhook_index: Mutex<HashMap<String, usize>>,
}

impl AppState {
    /// Builds the state: fleet from the seed, two key pairs per account (the "console": the
    /// account's key and the one registered for its rotation).
    pub fn new(config: MockConfig, keys: Vec<(KeyPair, KeyPair)>) -> anyhow::Result<Self> {
        let fleet = Fleet::generate(config.fleet, config.seed, contract::unix_now() * 1000);
        anyhow::ensure!(keys.len() == fleet.accounts.len(), "two key pairs per account");
        let accounts: Vec<AccountKeys> = keys
            .into_iter()
            .zip(&fleet.accounts)
            .map(|((keys, rotation_keys), account)| {
                let kid = format!("key-{}", &account.id.simple().to_string()[..12]);
                AccountKeys { rotation_kid: format!("{kid}-2"), kid, keys, rotation_keys }
            })
            .collect();
        let mut verifier_keys = Vec::new();
        for (i, a) in accounts.iter().enumerate() {
            verifier_keys.push(VerifierKey::from_public_pem(a.kid.clone(), i.to_string(), &a.keys.public_pem)?);
            verifier_keys.push(VerifierKey::from_public_pem(
                a.rotation_kid.clone(),
                i.to_string(),
                &a.rotation_keys.public_pem,
            )?);
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.attempt_timeout)
            // Idle connections kept per host, on top of the attempts in flight there
            // (`max_deliveries_per_webhook`): together below the receiver's connection limit.
            // Dropped after 4 s idle, before a receiver's own keep-alive timeout (5 s and up is
            // common) can close one just as an attempt reuses it.
            .pool_max_idle_per_host(64)
            .pool_idle_timeout(std::time::Duration::from_secs(4))
            .user_agent("mock-vendor-webhooks/1")
            // The egress guard (WHM-3): every name is re-checked at every connection.
            .dns_resolver(crate::targets::GuardedResolver::arc(config.allow_private_targets))
            .build()?;
        let faults = FaultSet::default();
        faults.replace(&config.faults);
        Ok(Self(Arc::new(Inner {
            verifier: TokenVerifier::new(config.token_policy.clone(), verifier_keys),
            fleet: RwLock::new(fleet),
            fleet_generation: AtomicU64::new(0),
            page_cache: Mutex::new(PageCache::default()),
            blocks: crate::blocks::Blocks::new(config.shape),
            accounts,
            faults,
            token_cache: RwLock::new(HashMap::new()),
            webhooks: Mutex::new(Vec::new()),
            startup_webhooks: Mutex::new(Vec::new()),
            deliveries: Mutex::new(Vec::new()),
            next_delivery_id: AtomicU64::new(0),
            auth_failures: Mutex::new((Instant::now(), 0)),
            account_requests: Mutex::new(HashMap::new()),
            admin_token: Secret::new(format!("adm_{}", random_token(32))),
            shared_secret: Secret::new(format!("whsec_{}", random_token(32))),
            http,
            simulation: Mutex::new(None),
            delivery_slots: tokio::sync::Semaphore::new(config.max_concurrent_deliveries.max(1)),
            webhook_slots: Mutex::new(HashMap::new()),
            webhook_index: Mutex::new(HashMap::new()),
            config,
        })))
    }

    pub fn has(&self, f: Fault) -> bool {
        self.faults.has(f)
    }

    /// Runs `f` on delivery `id` if it still exists.
    pub fn with_delivery<T>(&self, id: u64, f: impl FnOnce(&mut DeliveryRec) -> T) -> Option<T> {
        let mut deliveries = self.deliveries.lock().expect("deliveries lock");
        let at = delivery_index(&deliveries, id)?;
        Some(f(&mut deliveries[at]))
    }

    /// Where webhook `id` is in `hooks` (the locked `webhooks`): the index's answer when the
    /// webhook there has that id, else a search (whose answer the index then keeps).
    pub fn webhook_position(&self, hooks: &[WebhookRec], id: &str) -> Option<usize> {
        position_in(&mut self.webhook_index.lock().expect("webhook index lock"), hooks, id)
    }

    /// Back to the state at start-up: fleet statuses, webhooks, deliveries, faults.
    pub fn reset(&self) {
        let fresh = Fleet::generate(self.config.fleet, self.config.seed, contract::unix_now() * 1000);
        let mut fleet = self.fleet.write().expect("fleet lock");
        *fleet = fresh;
        self.fleet_generation.fetch_add(1, Ordering::AcqRel);
        self.blocks.clear();
        drop(fleet);
        *self.webhooks.lock().expect("webhooks lock") = self.startup_webhooks.lock().expect("webhooks lock").clone();
        self.deliveries.lock().expect("deliveries lock").clear();
        self.webhook_slots.lock().expect("webhook slots lock").clear();
        self.webhook_index.lock().expect("webhook index lock").clear();
        self.token_cache.write().expect("cache lock").clear();
        *self.auth_failures.lock().expect("limiter lock") = (Instant::now(), 0);
        self.account_requests.lock().expect("limiter lock").clear();
        self.faults.replace(&self.config.faults);
    }
}

/// Where delivery `id` is in `deliveries` (sorted by id). Ids are handed out in order as records
/// are pushed and none is ever removed but by a reset's clear, so it is found by its offset from
/// the first, checked; a search is the fallback. The lookup runs three times per delivery under
/// the lock every delivery takes: a search over a million records out of cache was not free.
fn delivery_index(deliveries: &[DeliveryRec], id: u64) -> Option<usize> {
    let first = deliveries.first()?.delivery_id;
    let guess = usize::try_from(id.checked_sub(first)?).ok()?;
    if deliveries.get(guess).is_some_and(|d| d.delivery_id == id) {
        return Some(guess);
    }
    deliveries.binary_search_by_key(&id, |d| d.delivery_id).ok()
}

/// [`AppState::webhook_position`] over `index`.
fn position_in(index: &mut HashMap<String, usize>, hooks: &[WebhookRec], id: &str) -> Option<usize> {
    if let Some(&at) = index.get(id)
        && hooks.get(at).is_some_and(|w| w.id == id)
    {
        return Some(at);
    }
    let at = hooks.iter().position(|w| w.id == id)?;
    index.insert(id.to_owned(), at);
    Some(at)
}

/// Random URL-safe characters for secrets and tokens.
pub fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(n: u64) -> crate::blocks::Pieces {
        let marked = serde_json::json!({"devices": crate::blocks::ITEMS_MARK, "n": n});
        crate::blocks::splice(&marked, Bytes::new())
    }

    #[test]
    fn a_delivery_is_found_by_its_id_with_or_without_gaps() {
        let rec = |id: u64| DeliveryRec {
            delivery_id: id,
            webhook_id: "w".into(),
            event_id: None,
            event_type: "alarm".into(),
            device_id: None,
            created_ms: 0,
            state: DeliveryState::Pending,
            attempts: Vec::new(),
            body: Bytes::new(),
        };
        // After a reset the first id is not 0.
        let dense: Vec<_> = (7..12).map(rec).collect();
        assert_eq!(delivery_index(&dense, 7), Some(0));
        assert_eq!(delivery_index(&dense, 11), Some(4));
        assert_eq!(delivery_index(&dense, 12), None);
        assert_eq!(delivery_index(&dense, 3), None, "gone with the reset");
        // Were ids ever to skip, the search still finds them.
        let gaps: Vec<_> = [2, 3, 9, 10].into_iter().map(rec).collect();
        assert_eq!(delivery_index(&gaps, 9), Some(2));
        assert_eq!(delivery_index(&gaps, 4), None);
        assert_eq!(delivery_index(&[], 0), None);
    }

    #[test]
    fn a_webhook_is_found_where_it_is_now_whatever_the_index_remembers() {
        let hook = |id: &str| WebhookRec {
            id: id.into(),
            account: 0,
            name: id.into(),
            target_url: format!("http://127.0.0.1:9/{id}"),
            status: WebhookStatus::Active,
            secret: Secret::new("whsec_x"),
            deleted: false,
        };
        let mut index = HashMap::new();
        let before = vec![hook("a"), hook("b"), hook("c")];
        assert_eq!(position_in(&mut index, &before, "c"), Some(2));
        assert_eq!(index.get("c"), Some(&2), "remembered");
        // After a reset the list holds other webhooks: the stale hint is not taken.
        let after = vec![hook("c"), hook("d"), hook("e")];
        assert_eq!(position_in(&mut index, &after, "c"), Some(0));
        assert_eq!(position_in(&mut index, &after[1..], "c"), None);
        assert_eq!(position_in(&mut index, &after, "x"), None);
        assert!(!index.contains_key("x"), "only webhooks that exist are remembered");
    }

    #[test]
    fn the_page_cache_forgets_other_generations_and_stays_bounded() {
        let mut cache = PageCache::default();
        assert!(cache.get(0, (1, 1, 100)).is_none());
        cache.insert(0, (1, 1, 100), pieces(1));
        assert!(cache.get(0, (1, 1, 100)).is_some());
        assert!(cache.get(1, (1, 1, 100)).is_none(), "a fleet change empties the cache");
        cache.insert(0, (1, 1, 100), pieces(1));
        assert!(cache.get(1, (1, 1, 100)).is_none(), "a page rendered from an older fleet is not kept");
        for p in 0..(PageCache::MAX_PAGES as u64 + 10) {
            cache.insert(1, (1, p, 100), pieces(p));
            assert!(cache.pages.len() <= PageCache::MAX_PAGES);
        }
    }
}
