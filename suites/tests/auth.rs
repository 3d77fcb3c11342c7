//! The auth suite against an in-memory vendor that verifies tokens with the contract's own
//! verifier under a configurable policy: the edge cases the mock vendor has no fault for (403
//! instead of 401, a measured leeway of 0 or 300 s, a rate limit without `Retry-After`, a `Basic`
//! challenge, a tenancy leak as an empty 200, the harness's own network failing).

mod fake;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use contract::token::{KeyPair, TokenVerifier, VerifierKey, generate_keypair};
use contract::{TokenMinter, TokenPolicy};
use serde_json::{Value, json};
use suites::{
    Answer, ApiError, ApiErrorKind, Budgets, Collection, Context, Endpoints, Exchange, Fetched, Listed, Listing,
    PageSeen, PageVisitor, Probe, ProbeAuth, Status, TokenKit, VendorApi, WalkEnd,
};

const SITE_A: &str = "5e6693c0-091d-47a2-b90a-6c15531b3c50";
const SITE_B: &str = "7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const DEVICE_B: &str = "44444444-2222-4333-8444-555555555555";

fn keypair() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| generate_keypair(1024).expect("a key pair"))
}

fn kit() -> Arc<TokenKit> {
    let minter = TokenMinter::from_pem(&keypair().private_pem, Some("k1".into())).unwrap().with_lifetime(300);
    Arc::new(TokenKit {
        minter: Arc::new(minter),
        public_pem: keypair().public_pem.clone(),
        lifetime_secs: 300,
        rotation: None,
    })
}

/// How the fake vendor behaves.
#[derive(Debug, Clone)]
struct Behaviour {
    policy: TokenPolicy,
    /// What a refused token gets.
    refusal_status: u16,
    www_authenticate: Option<&'static str>,
    /// After this many refusals, 429 (with `Retry-After` unless `retry_after` is `None`).
    limit_after: Option<u32>,
    /// The 429s of `limit_after` stop after this many refusals (a window that ends).
    limit_until: Option<u32>,
    /// After this many authenticated requests, 429 (a limit per account, after authentication).
    valid_limit_after: Option<u32>,
    retry_after: Option<&'static str>,
    /// What the account's token gets for the other account's site inventory.
    cross_site: (u16, String),
    /// Every probe fails as the harness's own network would.
    unreachable: bool,
    /// Paths starting with this refuse even a fresh, valid token (401).
    refuse_valid_under: Option<&'static str>,
    /// Paths starting with this answer 404 (an endpoint the vendor lacks).
    missing_under: Option<&'static str>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            policy: TokenPolicy::default(),
            refusal_status: 401,
            www_authenticate: Some("Bearer error=\"invalid_token\""),
            limit_after: None,
            limit_until: None,
            valid_limit_after: None,
            retry_after: Some("10"),
            cross_site: (404, r#"{"error":"not_found"}"#.into()),
            unreachable: false,
            refuse_valid_under: None,
            missing_under: None,
        }
    }
}

#[derive(Debug)]
struct FakeVendor {
    behaviour: Behaviour,
    verifier: TokenVerifier,
    /// Whose sites this credential lists.
    sites: Vec<&'static str>,
    refusals: AtomicU32,
    accepted: AtomicU32,
    requests: Mutex<Vec<String>>,
    /// Every 429 answered, as a client records them (AUTH-8).
    limited: Mutex<Vec<Exchange>>,
    /// Probes sent and not answered, and the most there were at once.
    in_flight: AtomicU32,
    most_in_flight: AtomicU32,
}

impl FakeVendor {
    fn new(behaviour: Behaviour, sites: Vec<&'static str>) -> Self {
        let key = VerifierKey::from_public_pem("k1", "0", &keypair().public_pem).unwrap();
        Self {
            verifier: TokenVerifier::new(behaviour.policy.clone(), vec![key]),
            behaviour,
            sites,
            refusals: AtomicU32::new(0),
            accepted: AtomicU32::new(0),
            requests: Mutex::new(Vec::new()),
            limited: Mutex::new(Vec::new()),
            in_flight: AtomicU32::new(0),
            most_in_flight: AtomicU32::new(0),
        }
    }

    fn answer(&self, method: &str, path: &str, status: u16, body: &str, headers: Vec<(String, String)>) -> Answer {
        Answer {
            status,
            json: serde_json::from_str(body).ok(),
            text: body.to_owned(),
            exchange: Exchange {
                method: method.into(),
                url: format!("http://vendor.test{path}"),
                status: Some(status),
                response_headers: headers,
                body_excerpt: Some(body.to_owned()),
                reproduce: format!("curl http://vendor.test{path}"),
                ..Exchange::default()
            },
        }
    }

    fn authenticated(&self, auth: &ProbeAuth) -> bool {
        match auth {
            ProbeAuth::Fresh => true,
            ProbeAuth::Missing => false,
            ProbeAuth::Crafted { credential, .. } => {
                self.verifier.verify(credential.expose(), contract::unix_now()).is_ok()
            }
        }
    }

    fn listing(&self, records: Vec<Value>) -> Listing {
        Listing {
            records: records.into_iter().map(|r| Listed { raw: r.clone(), record: r, page: 0 }).collect(),
            exchanges: vec![Exchange::default()],
            notes: vec![],
        }
    }
}

impl FakeVendor {
    /// What the fake vendor answers a probe.
    async fn answer_probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        self.requests.lock().unwrap().push(format!("{} {}", probe.method, probe.path));
        if self.behaviour.unreachable {
            return Err(ApiError::new(ApiErrorKind::Transport, "connection refused", vec![Exchange::default()]));
        }
        if !self.authenticated(&probe.auth) {
            let n = self.refusals.fetch_add(1, Ordering::SeqCst) + 1;
            if self.behaviour.limit_after.is_some_and(|limit| n > limit)
                && self.behaviour.limit_until.is_none_or(|until| n <= until)
            {
                let headers = self.behaviour.retry_after.map(|v| ("retry-after".to_owned(), v.to_owned()));
                return Ok(self.answer(&probe.method, &probe.path, 429, "{}", headers.into_iter().collect()));
            }
            let headers = self.behaviour.www_authenticate.map(|v| ("www-authenticate".to_owned(), v.to_owned()));
            let body = r#"{"error":"unauthorized"}"#;
            return Ok(self.answer(
                &probe.method,
                &probe.path,
                self.behaviour.refusal_status,
                body,
                headers.into_iter().collect(),
            ));
        }
        let n = self.accepted.fetch_add(1, Ordering::SeqCst) + 1;
        if self.behaviour.valid_limit_after.is_some_and(|limit| n > limit) {
            let headers = self.behaviour.retry_after.map(|v| ("retry-after".to_owned(), v.to_owned()));
            return Ok(self.answer(&probe.method, &probe.path, 429, "{}", headers.into_iter().collect()));
        }
        if self.behaviour.refuse_valid_under.is_some_and(|p| probe.path.starts_with(p)) {
            return Ok(self.answer(&probe.method, &probe.path, 401, "{}", vec![]));
        }
        if self.behaviour.missing_under.is_some_and(|p| probe.path.starts_with(p)) {
            return Ok(self.answer(&probe.method, &probe.path, 404, "{}", vec![]));
        }
        let own_site = self.sites.iter().any(|s| probe.path.contains(s));
        if probe.path.contains("/sites/") && !own_site {
            let (status, body) = &self.behaviour.cross_site;
            return Ok(self.answer(&probe.method, &probe.path, *status, body, vec![]));
        }
        Ok(self.answer(&probe.method, &probe.path, 200, r#"{"account_id":"a","name":"A"}"#, vec![]))
    }
}

#[async_trait]
impl VendorApi for FakeVendor {
    async fn account(&self) -> Result<Fetched, ApiError> {
        let record = json!({"account_id": "a", "name": "A"});
        Ok(Fetched { raw: record.clone(), record, exchange: Exchange::default() })
    }

    async fn sites(&self) -> Result<Listing, ApiError> {
        Ok(self.listing(self.sites.iter().map(|s| json!({"site_id": s, "name": "site"})).collect()))
    }

    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
        let device = json!({"device_id": DEVICE_B, "site_id": site_id});
        Ok(self.listing(vec![device]))
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints::canonical()
    }

    fn rate_limited(&self) -> Vec<Exchange> {
        self.limited.lock().unwrap().clone()
    }

    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        // In flight until answered; it yields once first, so probes a check overlaps are seen together.
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::task::yield_now().await;
        let answer = self.answer_probe(probe).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let answer = answer?;
        if answer.status == 429 {
            self.limited.lock().unwrap().push(answer.exchange.clone());
        }
        Ok(answer)
    }

    async fn walk(
        &self,
        collection: &Collection,
        _per_page: Option<u64>,
        visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError> {
        let Collection::Inventory { site_id } = collection else { unreachable!("the auth suite walks inventories") };
        let listing = self.inventory(site_id).await?;
        visit(PageSeen {
            part: 0,
            next: None,
            after: None,
            index: 1,
            records: listing.records.into_iter().map(|l| l.record).collect(),
            page: None,
            per_page: None,
            total_pages: None,
            total_count: None,
            exchange: Exchange::default(),
        });
        Ok(WalkEnd { pages: 1, notes: vec![] })
    }
}

fn context(behaviour: Behaviour) -> (Context, Arc<FakeVendor>) {
    let vendor = Arc::new(FakeVendor::new(behaviour.clone(), vec![SITE_A]));
    let cx = Context::new(vendor.clone())
        .with_tokens(kit())
        .with_budgets(Budgets { rate_limit_burst: 150, ..Budgets::default() })
        .with_second(Arc::new(FakeVendor::new(behaviour, vec![SITE_B])));
    (cx, vendor)
}

async fn run(id: &str, cx: &Context) -> suites::Outcome {
    (suites::find(id).unwrap_or_else(|| panic!("no check {id}")).run)(cx).await
}

/// The refusal checks of the suite, which a 403 for a bad token fails.
const REFUSAL_CHECKS: &[&str] = &[
    "auth.malformed",
    "auth.expired",
    "auth.bad-signature",
    "auth.alg-none",
    "auth.hs256-public-key",
    "auth.no-exp",
    "auth.issuer",
    "auth.tampered",
    "auth.long-lifetime",
    "auth.future-iat",
];

#[tokio::test]
async fn a_strict_vendor_passes_every_refusal_and_the_leeway_is_measured() {
    let (cx, _) = context(Behaviour::default());
    for id in REFUSAL_CHECKS.iter().chain(&["auth.www-authenticate", "auth.no-leak", "auth.tenant-inventory"]) {
        let outcome = run(id, &cx).await;
        assert_eq!(outcome.status, Status::Pass, "{id}: {outcome:#?}");
    }
    let expired = run("auth.expired", &cx).await;
    let actual = expired.actual.unwrap();
    // The contract's default policy allows 30 s; a second may tick between minting and verifying.
    assert!(actual.starts_with("a leeway of 30 s") || actual.starts_with("a leeway of 29 s"), "{actual}");
}

#[tokio::test]
async fn a_refusal_checks_tokens_overlap_and_are_judged_in_order() {
    let (cx, vendor) = context(Behaviour::default());
    let outcome = run("auth.malformed", &cx).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    let most = vendor.most_in_flight.load(Ordering::SeqCst) as usize;
    assert_eq!(most, suites::sync::READS_AT_ONCE, "a few bad tokens in flight at once, no more");
    // Judged in the order they are listed: the note names them so.
    let note = outcome.evidence.notes.iter().find(|n| n.starts_with("sent ")).expect("what was sent");
    assert!(note.starts_with("sent no credential header, "), "{note}");
    // A 403 for every token: the FAIL names them in that order too, the first listed first.
    let (cx, _) = context(Behaviour { refusal_status: 403, ..Behaviour::default() });
    let outcome = run("auth.malformed", &cx).await;
    assert!(
        outcome.message.contains("9 of 9 bad credentials were not refused with 401: no credential header"),
        "{}",
        outcome.message
    );
}

#[tokio::test]
async fn a_valid_token_refused_on_a_declared_endpoint_fails_but_a_missing_endpoint_does_not() {
    let declared = suites::Declared {
        capabilities: ["webhook-management", "event-types"].into_iter().map(String::from).collect(),
        ..suites::Declared::default()
    };
    let (cx, vendor) = context(Behaviour { refuse_valid_under: Some("/api/v1/webhooks"), ..Behaviour::default() });
    let outcome = run("auth.valid-token", &cx.with_declared(declared.clone())).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert_eq!(
        outcome.message,
        "AUTH-1: \"A fresh RS256 token signed with the account's key is accepted on every endpoint\": a fresh, valid \
         token was refused: webhook list answered 401"
    );
    assert!(vendor.requests.lock().unwrap().iter().any(|r| r.contains(SITE_A)), "an inventory was tried");

    let (cx, _) = context(Behaviour { missing_under: Some("/api/v1/event-types"), ..Behaviour::default() });
    let outcome = run("auth.valid-token", &cx.with_declared(declared)).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(outcome.message.ends_with("the others answered without refusing it"), "{}", outcome.message);
    assert_eq!(outcome.evidence.notes, ["the event catalogue answered 404, which is not about the token"]);
}

#[tokio::test]
async fn a_leeway_of_zero_and_of_300_s_pass_and_are_reported() {
    for (leeway, shown) in [(0, "no leeway"), (300, "a leeway of 300 s")] {
        let policy = TokenPolicy { exp_leeway_secs: leeway, ..TokenPolicy::default() };
        let (cx, _) = context(Behaviour { policy, ..Behaviour::default() });
        let outcome = run("auth.expired", &cx).await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
        let actual = outcome.actual.unwrap();
        let off_by_a_tick = leeway == 300 && actual.starts_with("a leeway of 299 s");
        assert!(actual.starts_with(shown) || off_by_a_tick, "{leeway}: {actual}");
    }
}

#[tokio::test]
async fn a_leeway_over_300_s_fails_with_the_token_it_accepted() {
    let policy = TokenPolicy { exp_leeway_secs: 600, ..TokenPolicy::default() };
    let (cx, _) = context(Behaviour { policy, ..Behaviour::default() });
    let outcome = run("auth.expired", &cx).await;
    assert_eq!(outcome.status, Status::Fail);
    assert!(outcome.message.contains("`expired:301` accepted a token expired 301 s ago"), "{}", outcome.message);
    assert_eq!(outcome.evidence.findings.len(), 1, "an hour is still refused");
}

#[tokio::test]
async fn a_403_for_a_bad_token_fails_every_refusal_check() {
    let (cx, _) = context(Behaviour { refusal_status: 403, ..Behaviour::default() });
    for id in REFUSAL_CHECKS {
        let outcome = run(id, &cx).await;
        assert_eq!(outcome.status, Status::Fail, "{id}: {outcome:#?}");
        assert!(outcome.message.contains("answered 403, not 401"), "{id}: {}", outcome.message);
        assert!(!outcome.evidence.exchanges.is_empty(), "{id} shows the exchange");
    }
    // There is no 401 to judge the AUTH-6 checks on.
    assert_eq!(run("auth.www-authenticate", &cx).await.status, Status::Skip);
    assert_eq!(run("auth.no-leak", &cx).await.status, Status::Skip);
}

#[tokio::test]
async fn a_basic_challenge_or_none_fails_www_authenticate() {
    for header in [Some("Basic realm=\"vendor\""), None] {
        let (cx, _) = context(Behaviour { www_authenticate: header, ..Behaviour::default() });
        let outcome = run("auth.www-authenticate", &cx).await;
        assert_eq!(outcome.status, Status::Fail, "{header:?}: {outcome:#?}");
    }
}

#[tokio::test]
async fn a_429_midway_is_an_error_not_a_verdict() {
    let (cx, _) = context(Behaviour { limit_after: Some(2), ..Behaviour::default() });
    let outcome = run("auth.malformed", &cx).await;
    assert_eq!(outcome.status, Status::Error, "{outcome:#?}");
    assert!(outcome.message.contains("Retry-After (10)"), "{}", outcome.message);
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out_and_the_credential_sent_again() {
    // A limit per account after authentication may answer 429 to any credential: no verdict on it.
    let behaviour =
        Behaviour { limit_after: Some(2), limit_until: Some(4), retry_after: Some("0"), ..Behaviour::default() };
    let (cx, vendor) = context(behaviour);
    let outcome = run("auth.malformed", &cx).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert_eq!(vendor.limited.lock().unwrap().len(), 2, "both 429s are kept for AUTH-8");
}

#[tokio::test]
async fn the_bad_credential_burst_stops_at_the_first_429_and_wants_retry_after() {
    let (cx, vendor) = context(Behaviour { limit_after: Some(20), ..Behaviour::default() });
    let outcome = run("auth.rate-limit", &cx).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(outcome.message.contains("`Retry-After: 10`"), "{}", outcome.message);
    assert_eq!(vendor.requests.lock().unwrap().len(), 21, "the burst stops at the first 429");

    let (cx, _) = context(Behaviour { limit_after: Some(20), retry_after: None, ..Behaviour::default() });
    let outcome = run("auth.rate-limit", &cx).await;
    assert_eq!(outcome.status, Status::Fail);
    assert!(outcome.message.contains("AUTH-8: \"Rate limits answer 429 with `Retry-After`\""), "{}", outcome.message);
    assert!(outcome.message.contains("no `Retry-After`"), "{}", outcome.message);
    assert!(!outcome.evidence.exchanges.is_empty());
}

#[tokio::test]
async fn a_limit_per_account_is_found_by_a_burst_of_valid_requests() {
    let (cx, vendor) = context(Behaviour { valid_limit_after: Some(30), ..Behaviour::default() });
    let outcome = run("auth.rate-limit", &cx).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert_eq!(vendor.requests.lock().unwrap().len(), 150 + 31, "every bad credential, then valid ones to the 429");
    assert!(outcome.evidence.notes.iter().any(|n| n.contains("valid request 31")), "{:?}", outcome.evidence.notes);

    let behaviour = Behaviour { valid_limit_after: Some(30), retry_after: Some("soon"), ..Behaviour::default() };
    let (cx, _) = context(behaviour);
    let outcome = run("auth.rate-limit", &cx).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(outcome.message.contains("neither delta-seconds nor an HTTP-date"), "{}", outcome.message);
}

#[tokio::test]
async fn no_limit_within_the_budget_is_a_skip_not_a_violation() {
    let (cx, vendor) = context(Behaviour::default());
    let outcome = run("auth.rate-limit", &cx).await;
    assert_eq!(outcome.status, Status::Skip, "{outcome:#?}");
    assert!(outcome.message.contains("a limit never reached is not a violation"), "{}", outcome.message);
    assert_eq!(vendor.requests.lock().unwrap().len(), 300, "both bursts are bounded by the budget");

    let (cx, vendor) = context(Behaviour::default());
    let cx = cx.with_budgets(Budgets { rate_limit_burst: 0, ..Budgets::default() });
    let outcome = run("auth.rate-limit", &cx).await;
    assert_eq!(outcome.status, Status::Skip);
    assert!(outcome.message.contains("rate_limit_burst"), "{}", outcome.message);
    assert!(vendor.requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn every_429_the_run_met_is_judged_without_a_burst() {
    // Earlier checks met the limit: those answers are judged, and no burst is sent.
    let (cx, vendor) = context(Behaviour { limit_after: Some(0), retry_after: None, ..Behaviour::default() });
    let cx = cx.with_budgets(Budgets { rate_limit_burst: 0, ..Budgets::default() });
    let _ = run("auth.malformed", &cx).await;
    let sent = vendor.requests.lock().unwrap().len();
    let outcome = run("auth.rate-limit", &cx).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert_eq!(vendor.requests.lock().unwrap().len(), sent, "no burst");

    let (cx, _) = context(Behaviour {
        limit_after: Some(0),
        retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT"),
        ..Behaviour::default()
    });
    let _ = run("auth.malformed", &cx).await;
    assert_eq!(run("auth.rate-limit", &cx).await.status, Status::Pass, "an HTTP-date is a usable Retry-After");
}

#[tokio::test]
async fn every_failure_of_the_suite_names_its_requirement() {
    let declared = suites::Declared {
        capabilities: ["webhook-management"].into_iter().map(String::from).collect(),
        ..suites::Declared::default()
    };
    let lax = TokenPolicy {
        issuer: None,
        require_exp: false,
        max_lifetime_secs: 86_400 * 2,
        exp_leeway_secs: 600,
        future_leeway_secs: 3600,
        ..TokenPolicy::default()
    };
    let scenarios = [
        Behaviour { refusal_status: 403, ..Behaviour::default() },
        Behaviour { refusal_status: 500, ..Behaviour::default() },
        Behaviour { policy: lax, ..Behaviour::default() },
        Behaviour { www_authenticate: Some("Basic realm=\"vendor\""), ..Behaviour::default() },
        Behaviour { refuse_valid_under: Some("/api/v1/webhooks"), ..Behaviour::default() },
        Behaviour { cross_site: (200, r#"{"devices":[]}"#.into()), ..Behaviour::default() },
        Behaviour { cross_site: (500, "{}".into()), ..Behaviour::default() },
        Behaviour { limit_after: Some(20), retry_after: None, ..Behaviour::default() },
        Behaviour { valid_limit_after: Some(30), retry_after: Some("soon"), ..Behaviour::default() },
    ];
    let mut failures = 0;
    for behaviour in scenarios {
        let (cx, _) = context(behaviour.clone());
        let cx = cx.with_declared(declared.clone());
        for meta in suites::catalogue().iter().filter(|m| m.suite == "auth") {
            let outcome = run(meta.id, &cx).await;
            if outcome.status != Status::Fail {
                continue;
            }
            failures += 1;
            assert!(
                meta.requirements.iter().any(|r| outcome.message.contains(&format!("{r}: \""))),
                "{} under {behaviour:?} fails without quoting {:?}: {}",
                meta.id,
                meta.requirements,
                outcome.message
            );
            if let Some(why) = fake::unquoted(&outcome.message) {
                panic!("{} under {behaviour:?}: {why}: {}", meta.id, outcome.message);
            }
        }
    }
    assert!(failures > 15, "the scenarios make the suite fail ({failures} FAILs)");
}

#[test]
fn retry_after_is_delta_seconds_or_an_http_date() {
    use suites::auth::retry_after_problem;
    for usable in [
        "0",
        "10",
        " 120 ",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ] {
        assert_eq!(retry_after_problem(Some(usable)), None, "{usable}");
    }
    for unusable in ["", "-1", "1.5", "soon", "10s", "2015-10-21T07:28:00Z"] {
        assert!(retry_after_problem(Some(unusable)).is_some(), "{unusable}");
    }
    assert_eq!(retry_after_problem(None).as_deref(), Some("no `Retry-After`"));
}

#[tokio::test]
async fn tenancy_wants_404_or_403_and_names_leaked_devices() {
    for ((code, body), status) in [
        ((403, "{}"), Status::Pass),
        ((200, r#"{"devices":[]}"#), Status::Fail),
        ((401, "{}"), Status::Fail),
        ((500, "{}"), Status::Fail),
    ] {
        let cross_site = (code, body.to_owned());
        let (cx, _) = context(Behaviour { cross_site: cross_site.clone(), ..Behaviour::default() });
        let outcome = run("auth.tenant-inventory", &cx).await;
        assert_eq!(outcome.status, status, "{cross_site:?}: {outcome:#?}");
    }
    let leak = format!(r#"{{"devices":[{{"device_id":"{DEVICE_B}"}}]}}"#);
    let (cx, _) = context(Behaviour { cross_site: (200, leak), ..Behaviour::default() });
    let outcome = run("auth.tenant-inventory", &cx).await;
    assert!(outcome.message.contains("account B's devices: 1 of its ids"), "{}", outcome.message);

    let (cx, _) = context(Behaviour::default());
    let alone = Context::new(cx.api.clone()).with_tokens(kit());
    for id in ["auth.tenant-inventory", "auth.tenant-webhooks"] {
        let outcome = run(id, &alone).await;
        assert_eq!(outcome.status, Status::Skip, "{id}");
        assert!(outcome.message.contains("[second_account]"), "{}", outcome.message);
    }
}

#[tokio::test]
async fn the_harness_own_network_failing_is_an_error() {
    let (cx, _) = context(Behaviour { unreachable: true, ..Behaviour::default() });
    for id in ["auth.valid-token", "auth.malformed", "auth.expired", "auth.rate-limit", "auth.no-leak"] {
        assert_eq!(run(id, &cx).await.status, Status::Error, "{id}");
    }
}
