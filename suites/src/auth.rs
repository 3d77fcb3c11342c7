//! The auth suite (CONTRACT.md §6, AUTH-1 … AUTH-8) and tenancy between accounts (ACC-2).
//!
//! Every bad token comes from one catalogue ([`craft`]), so a failing probe's reproduce command
//! (`harness token --craft <name>`) rebuilds the same kind of token. The refusal checks send
//! their tokens to the account endpoint: which endpoint answers is AUTH-1's business, and the
//! cheapest authenticated request keeps the suite fast.
//!
//! The vendor may rate-limit refused tokens (AUTH-8, the mock after 100 in 10 s). The checks
//! before the burst probe send about fifty refused tokens in all, and the burst probe runs last.

pub mod craft;
pub mod tenancy;

use std::time::Duration;

use contract::Secret;
use serde_json::Value;

use crate::Check;
use crate::context::{Answer, AuthKind, Collection, Context, Inbox, PageAsk, Probe, ProbeAuth, TokenKit};
use crate::outcome::{Evidence, Finding, Outcome};

/// A credential a check sends: no credential header, or a crafted token by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cred {
    Missing,
    Craft(String),
}

impl Cred {
    fn craft(name: impl Into<String>) -> Self {
        Self::Craft(name.into())
    }

    /// How evidence names it.
    pub fn label(&self) -> String {
        match self {
            Self::Missing => "no credential header".into(),
            Self::Craft(name) => format!("`{name}`"),
        }
    }

    /// What it is, from the catalogue.
    fn what(&self) -> String {
        match self {
            Self::Missing => "a request without credentials".into(),
            Self::Craft(name) => craft::parse_name(name)
                .map(|(kind, arg)| match (kind.arg, arg) {
                    (Some(placeholder), Some(arg)) => kind.what.replace(placeholder, arg),
                    _ => kind.what.to_owned(),
                })
                .unwrap_or_default(),
        }
    }
}

/// How the vendor answered one bad credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// 401: what the contract asks.
    Refused,
    /// 2xx: the vendor served data to a bad credential.
    Accepted,
    /// 429: the vendor's rate limit answered before its verdict on the token (AUTH-8).
    Limited,
    /// Any other status: a 5xx, or a 4xx other than 401.
    Wrong,
}

pub fn judge(status: u16) -> Judged {
    match status {
        401 => Judged::Refused,
        429 => Judged::Limited,
        s if (200..300).contains(&s) => Judged::Accepted,
        _ => Judged::Wrong,
    }
}

/// How the vendor answered one credential: [`judge`] of its status, except that a 2xx whose body
/// carries an error the profile knows how to read (`[errors]`, VENDOR-SHAPES.md) refused it, only
/// not with the 401 the contract asks for.
fn judge_answer(cx: &Context, answer: &Answer) -> Judged {
    match judge(answer.status) {
        Judged::Accepted if cx.api.body_error(answer).is_some() => Judged::Wrong,
        judged => judged,
    }
}

/// What a [`Judged::Wrong`] answer did instead of 401.
fn not_401(cx: &Context, answer: &Answer) -> String {
    match cx.api.body_refusal(answer) {
        Some(refusal) => format!("{refusal}, not 401"),
        None if answer.status >= 500 => format!("answered {} (a server error), not 401", answer.status),
        None => format!("answered {}, not 401", answer.status),
    }
}

/// The token kit, or the outcome a check ends with when the run has none.
fn require_kit(cx: &Context) -> Result<&TokenKit, Outcome> {
    if let Some(skip) = not_jwt(cx) {
        return Err(skip);
    }
    cx.tokens.as_deref().ok_or_else(|| {
        Outcome::error("the run holds no signing key to craft tokens from (a harness bug: the runner sets one)")
    })
}

/// The not-applicable outcome of a crafted-JWT check when the vendor's profile authenticates
/// some other way (an API key, a static bearer token, OAuth2): `None` for the contract's JWTs.
fn not_jwt(cx: &Context) -> Option<Outcome> {
    let kind = cx.api.endpoints().auth;
    (kind != AuthKind::Jwt).then(|| {
        Outcome::not_applicable(format!(
            "it authenticates with `{}`, not the contract's client-minted JWTs",
            kind.as_str()
        ))
    })
}

/// The credentials of `creds` this vendor's auth kind can be sent, and a note naming the ones
/// left out: all of them for the contract's JWTs; else the missing header and the crafts that
/// need no key ([`craft::KEYLESS`]), as bad an API key or bearer token as they are a bad JWT.
/// `Err` (not applicable) when none is left.
fn sendable(cx: &Context, creds: &[Cred]) -> Result<(Vec<Cred>, Option<String>), Outcome> {
    let Some(skip) = not_jwt(cx) else { return Ok((creds.to_vec(), None)) };
    let (keyless, jwts): (Vec<Cred>, Vec<Cred>) = creds.iter().cloned().partition(|c| match c {
        Cred::Missing => true,
        Cred::Craft(name) => craft::KEYLESS.contains(&name.as_str()),
    });
    if keyless.is_empty() {
        return Err(skip);
    }
    let left_out = (!jwts.is_empty()).then(|| {
        let names: Vec<String> = jwts.iter().map(Cred::label).collect();
        format!(
            "not sent: {}, crafted JWTs, as it authenticates with `{}`",
            names.join(", "),
            cx.api.endpoints().auth.as_str()
        )
    });
    Ok((keyless, left_out))
}

/// Sends `cred` with the account request (the cheapest authenticated one, as the profile makes
/// it) and returns the answer; a request that got no usable answer ends the check (ERROR when the
/// harness could not test, FAIL when the vendor answered unusably).
pub async fn send(cx: &Context, cred: &Cred) -> Result<Answer, Outcome> {
    let auth = match cred {
        Cred::Missing => ProbeAuth::Missing,
        Cred::Craft(name) => ProbeAuth::Crafted { credential: crafted(cx, name).await?, craft: name.clone() },
    };
    let mut waits = 0;
    loop {
        let answer = cx.api.probe(cx.api.account_probe().auth(auth.clone())).await.map_err(|e| {
            // The rotation key's token is a valid one (AUTH-7); every other is to be refused.
            let rule =
                if matches!(cred, Cred::Craft(n) if n == "rotation-key") { AUTH_7_KID } else { AUTH_2_MALFORMED };
            citing(e.to_outcome(&format!("sending {}", cred.label())), rule)
        })?;
        // A 429 is no verdict on the credential: a vendor limiting per account after authentication
        // (AUTH-8) answers it to a token it accepted. A short `Retry-After` is waited out and the
        // same credential sent again; a long one is the caller's to report.
        let wait = answer.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        match wait {
            Some(secs) if answer.status == 429 && secs <= MAX_RETRY_AFTER_WAIT_SECS && waits < 3 => {
                waits += 1;
                tokio::time::sleep(Duration::from_secs(secs)).await;
            }
            _ => return Ok(answer),
        }
    }
}

/// The longest `Retry-After` a refusal check waits out before sending a credential again.
const MAX_RETRY_AFTER_WAIT_SECS: u64 = 5;

/// The crafted credential `name`: from the account's key for the contract's JWTs; for other auth
/// kinds only a keyless one, else the check does not apply.
async fn crafted(cx: &Context, name: &str) -> Result<Secret, Outcome> {
    if let Some(skip) = not_jwt(cx) {
        return craft::craft_keyless(name).ok_or(skip);
    }
    let kit = require_kit(cx)?;
    if craft::needs_foreign_key(name) {
        // Generating the key takes a moment: not on the runtime's threads.
        let warmed = tokio::task::spawn_blocking(|| craft::foreign_minter().map(|_| ())).await;
        if let Ok(Err(e)) = warmed {
            return Err(Outcome::error(e.to_string()));
        }
    }
    craft::craft(kit, name, contract::unix_now()).map_err(|e| Outcome::error(e.to_string()))
}

/// A FAIL (the vendor answered unusably) prefixed with the requirement the request served;
/// other outcomes as they are.
fn citing(outcome: Outcome, rule: &str) -> Outcome {
    if outcome.status == crate::outcome::Status::Fail {
        Outcome { message: format!("{rule}: {}", outcome.message), ..outcome }
    } else {
        outcome
    }
}

/// What each auth requirement asks, quoted by the FAILs that enforce it.
const AUTH_1: &str = "AUTH-1: \"A fresh RS256 token signed with the account's key is accepted on every endpoint\"";
const AUTH_2_MALFORMED: &str =
    "AUTH-2: \"Missing, malformed, expired, or wrongly signed tokens get 401, never data and never a 5xx\"";
const AUTH_2_EXPIRED: &str = "AUTH-2: \"Missing, malformed, expired, or wrongly signed tokens get 401, never data and never a 5xx. A leeway on `exp` for clock skew is allowed up to 300 s\"";
const AUTH_2_SIGNED: &str = "AUTH-2: \"Missing, malformed, expired, or wrongly signed tokens get 401, never data and never a 5xx\"; AUTH-7: \"header fields `jku`, `x5u`, `jwk` are ignored\"";
const AUTH_3: &str =
    "AUTH-3: \"Algorithm attacks are rejected: `alg: none`, and HS256 tokens keyed with the account's public key\"";
const AUTH_4_TAMPERED: &str = "AUTH-4: \"a tampered payload under the original signature is rejected\"";
const AUTH_4_CLAIMS: &str = "AUTH-4: \"A token without `exp`, or whose `iss` is not `convergint`, is rejected\"";
const AUTH_5: &str = "AUTH-5: \"Tokens living longer than one hour (`exp - iat` > 3600 s, plus at most 60 s of leeway), or with `iat`/`nbf` in the future beyond a clock-skew leeway of at most 300 s, are rejected\"";
const AUTH_6_CHALLENGE: &str = "AUTH-6: \"401 responses carry a `WWW-Authenticate` header whose scheme is `Bearer`\"";
const AUTH_6_LEAK: &str = "AUTH-6: \"401 responses ... leak no internals (no stack traces, no key material)\"";
const AUTH_7_FETCH: &str = "AUTH-7: \"header fields `jku`, `x5u`, `jwk` are ignored, never fetched\"";
const AUTH_7_KID: &str = "AUTH-7: \"Header `kid` selects among an account's keys (rotation)\"";

/// Collects what went wrong with each credential and ends as PASS, FAIL or ERROR.
#[derive(Default)]
struct Verdicts {
    evidence: Evidence,
    wrong: Vec<String>,
    limited: Option<Answer>,
    sent: Vec<String>,
}

impl Verdicts {
    /// Records one answer.
    fn add(&mut self, cx: &Context, cred: &Cred, answer: &Answer) {
        self.sent.push(cred.label());
        let problem = match judge_answer(cx, answer) {
            Judged::Refused => return,
            Judged::Limited => {
                self.limited.get_or_insert_with(|| answer.clone());
                return;
            }
            Judged::Accepted => format!("accepted: answered {} and served the request", answer.status),
            Judged::Wrong => not_401(cx, answer),
        };
        self.fail(cred, answer, problem);
    }

    fn fail(&mut self, cred: &Cred, answer: &Answer, problem: String) {
        self.wrong.push(format!("{} {problem}", cred.label()));
        self.evidence.push_exchange(&answer.exchange);
        self.evidence.push_finding(Finding {
            subject: format!("{} ({})", cred.label(), cred.what()),
            pointer: String::new(),
            message: problem,
            record: None,
            source: Some(answer.exchange.url.clone()),
        });
    }

    /// `rule`: the requirement the credentials test, quoted by the FAIL.
    fn finish(self, rule: &str, expected: &str, pass: String) -> Outcome {
        if let Some(first) = self.wrong.first() {
            let n = self.wrong.len();
            return Outcome::fail(format!(
                "{rule}: {n} of {} bad credentials were not refused with 401: {first}",
                self.sent.len()
            ))
            .expected(expected)
            .actual(self.wrong.join("; "))
            .with_evidence(self.evidence);
        }
        if let Some(limited) = &self.limited {
            return rate_limited_midway(limited);
        }
        Outcome::pass(pass).expected(expected).with_note(format!("sent {}", self.sent.join(", ")))
    }
}

/// A 429 before the vendor judged a token: the harness cannot tell whether it would have refused.
fn rate_limited_midway(answer: &Answer) -> Outcome {
    let wait = answer.header("retry-after").map_or("its rate limit".to_owned(), |s| format!("Retry-After ({s})"));
    Outcome::error(format!(
        "the vendor answered 429 before judging every token (its rate limit, AUTH-8); wait {wait} and run the auth suite again, alone"
    ))
    .with_exchange(&answer.exchange)
}

/// Sends each credential to the account endpoint; each must be refused with 401.
async fn refusals(cx: &Context, rule: &str, creds: &[Cred], expected: &str, pass: &str) -> Outcome {
    let (creds, skipped) = match sendable(cx, creds) {
        Ok(sendable) => sendable,
        Err(skip) => return skip,
    };
    let mut verdicts = Verdicts::default();
    for cred in &creds {
        match send(cx, cred).await {
            Ok(answer) => verdicts.add(cx, cred, &answer),
            Err(outcome) => return outcome,
        }
    }
    let n = creds.len();
    let mut outcome = verdicts.finish(rule, expected, format!("{n} {pass} were refused with 401"));
    if let Some(skipped) = skipped {
        outcome = outcome.with_note(skipped);
    }
    outcome
}

fn crafts(names: &[&str]) -> Vec<Cred> {
    names.iter().map(|n| Cred::craft(*n)).collect()
}

/// AUTH-1: a fresh token of the account works on every endpoint the vendor declares.
pub async fn valid_token(cx: &Context) -> Outcome {
    let endpoints = cx.api.endpoints();
    let sync = cx.sync().await;
    let first_page = |collection: &Collection| cx.api.page_probe(collection, &PageAsk::first(&endpoints.paging, None));
    // (what, the request as the profile makes it)
    let mut paths = vec![("account", cx.api.account_probe()), ("sites", first_page(&Collection::Sites))];
    let first_site = sync
        .sites
        .as_ref()
        .ok()
        .and_then(|l| l.records.iter().find_map(|r| r.record.get("site_id").and_then(Value::as_str)));
    if let Some(site) = first_site {
        paths.push(("a site's inventory", first_page(&Collection::Inventory { site_id: site.to_owned() })));
    }
    if cx.declared.capabilities.contains("webhook-management") {
        paths.push(("webhook list", Probe::get(endpoints.webhooks.clone())));
    }
    if cx.declared.capabilities.contains("event-types") {
        paths.push(("event catalogue", Probe::get(endpoints.event_types.clone())));
    }
    let mut evidence = Evidence::default();
    let mut refused = Vec::new();
    let mut accepted: Vec<&str> = Vec::new();
    let mut notes = Vec::new();
    for (what, probe) in &paths {
        let request = format!("{} {}", probe.method, probe.path);
        let answer = match cx.api.probe(probe.clone()).await {
            Ok(a) => a,
            Err(e) => return citing(e.to_outcome(&format!("the {what} could not be read with a fresh token")), AUTH_1),
        };
        match answer.status {
            401 | 403 => {
                refused.push(format!("{what} answered {}", answer.status));
                evidence.push_exchange(&answer.exchange);
                evidence.push_finding(Finding {
                    subject: request,
                    pointer: String::new(),
                    message: format!("refused a fresh, valid token with {}", answer.status),
                    record: None,
                    source: Some(answer.exchange.url.clone()),
                });
            }
            s if (200..300).contains(&s) => match cx.api.body_error(&answer) {
                // Refused or failed, the body does not say which: not counted either way.
                Some(error) => notes.push(format!(
                    "the {what} answered {s} with an error in its body ({error}), so it is not counted as accepting the credential"
                )),
                None => accepted.push(what),
            },
            // Not a refusal of the credential: the endpoint's own checks report it.
            s => notes.push(format!("the {what} answered {s}, which is not about the token")),
        }
    }
    let expected = match endpoints.auth {
        AuthKind::Jwt => {
            "a fresh RS256 token of the account is accepted on every endpoint the vendor declares".to_owned()
        }
        kind => {
            format!("the account's `{}` credential is accepted on every endpoint the vendor declares", kind.as_str())
        }
    };
    let expected = expected.as_str();
    let mut outcome = if !refused.is_empty() {
        Outcome::fail(format!("{AUTH_1}: a fresh, valid token was refused: {}", refused.join("; ")))
            .expected(expected)
            .actual(refused.join("; "))
            .with_evidence(evidence)
    } else if accepted.is_empty() {
        Outcome::skip(
            "no endpoint answered a fresh token with a 2xx, so its acceptance could not be seen (see schema.account)",
        )
    } else {
        let others = if accepted.len() < paths.len() { "; the others answered without refusing it" } else { "" };
        Outcome::pass(format!("a fresh token was accepted on {}{others}", accepted.join(", "))).expected(expected)
    };
    if first_site.is_none() {
        notes.push("no site was listed, so no inventory was tried".into());
    }
    outcome.evidence.notes.extend(notes);
    outcome
}

/// AUTH-2: missing and malformed credentials get 401, never data and never a 5xx.
pub async fn malformed(cx: &Context) -> Outcome {
    let mut creds = vec![Cred::Missing];
    creds.extend(crafts(&[
        "empty",
        "garbage",
        "two-segments",
        "four-segments",
        "not-base64",
        "header-not-json",
        "crit-unknown",
        "b64-false",
    ]));
    let expected = if not_jwt(cx).is_none() {
        "401 for no header, an empty bearer, garbage, 2- and 4-segment tokens, non-base64 and non-JSON segments, and a signed token whose header has an unknown `crit` or `b64: false` (RFC 7515 §4.1.11: an extension the verifier does not understand makes the token invalid)"
    } else {
        "401 for no credential, an empty one and garbage"
    };
    refusals(cx, AUTH_2_MALFORMED, &creds, expected, "missing or malformed credentials").await
}

/// An hour past `exp`: no leeway excuses accepting that.
const EXPIRED_AN_HOUR: u32 = 3600;
/// The largest leeway on `exp` AUTH-2 allows.
const MAX_LEEWAY: u32 = 300;
/// Steps of the search for the vendor's leeway between 1 s and 301 s (1 s resolution).
const LEEWAY_SEARCH_STEPS: u32 = 9;

/// Sends a token expired by `secs`: `Some(accepted)` when the answer is a verdict the leeway
/// search can use, `None` when it is already a failure (recorded in `verdicts`).
async fn expired_by(cx: &Context, secs: u32, verdicts: &mut Verdicts) -> Result<Option<bool>, Outcome> {
    let cred = Cred::craft(format!("expired:{secs}"));
    early_in_a_second().await;
    let answer = send(cx, &cred).await?;
    verdicts.sent.push(cred.label());
    let problem = match judge_answer(cx, &answer) {
        Judged::Refused => return Ok(Some(false)),
        Judged::Accepted if secs <= MAX_LEEWAY => return Ok(Some(true)),
        Judged::Limited => return Err(rate_limited_midway(&answer)),
        Judged::Accepted if secs >= EXPIRED_AN_HOUR => {
            format!("accepted a token expired {secs} s ago (answered {})", answer.status)
        }
        Judged::Accepted => format!(
            "accepted a token expired {secs} s ago, beyond the {MAX_LEEWAY} s of leeway AUTH-2 allows (answered {})",
            answer.status
        ),
        Judged::Wrong => not_401(cx, &answer),
    };
    verdicts.fail(&cred, &answer, problem);
    Ok(None)
}

/// Waits for the next second when the current one is nearly over, so the vendor reads the same
/// unix second as the token was minted in (clocks agreeing) and the leeway is measured to the
/// second, not off by one now and then. Waits at most 100 ms.
async fn early_in_a_second() {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_millis()))
        .unwrap_or_default();
    if millis >= 900 {
        tokio::time::sleep(Duration::from_millis(1000 - millis)).await;
    }
}

/// AUTH-2: expired tokens are refused; the leeway on `exp` is measured and at most 300 s.
pub async fn expired(cx: &Context) -> Outcome {
    let expected = "tokens expired by an hour or by 301 s get 401; a leeway on `exp` of at most 300 s";
    let mut verdicts = Verdicts::default();
    for secs in [EXPIRED_AN_HOUR, MAX_LEEWAY + 1] {
        if let Err(outcome) = expired_by(cx, secs, &mut verdicts).await {
            return outcome;
        }
    }
    if !verdicts.wrong.is_empty() {
        return verdicts.finish(AUTH_2_EXPIRED, expected, String::new());
    }
    // The boundary, by bisection: `accepted` is the largest delay seen accepted (0: none was),
    // `refused` the smallest seen refused.
    let (mut accepted, mut refused) = match expired_by(cx, 1, &mut verdicts).await {
        Ok(Some(false)) => (0, 1),
        Ok(Some(true)) => (1, MAX_LEEWAY + 1),
        Ok(None) => return verdicts.finish(AUTH_2_EXPIRED, expected, String::new()),
        Err(outcome) => return outcome,
    };
    let mut steps = 0;
    while refused - accepted > 1 && steps < LEEWAY_SEARCH_STEPS {
        steps += 1;
        let mid = accepted + (refused - accepted) / 2;
        match expired_by(cx, mid, &mut verdicts).await {
            Ok(Some(true)) => accepted = mid,
            Ok(Some(false)) => refused = mid,
            Ok(None) => return verdicts.finish(AUTH_2_EXPIRED, expected, String::new()),
            Err(outcome) => return outcome,
        }
    }
    let leeway = if accepted == 0 {
        "no leeway: a token 1 s past `exp` is refused".to_owned()
    } else if refused - accepted == 1 {
        format!("a leeway of {accepted} s: accepted {accepted} s past `exp`, refused {refused} s past")
    } else {
        format!("a leeway between {accepted} s and {} s", refused - 1)
    };
    Outcome::pass(format!("tokens expired by an hour and by 301 s are refused; the vendor allows {leeway}"))
        .expected(expected)
        .actual(leeway)
        .with_note(format!("sent {}", verdicts.sent.join(", ")))
        .with_note("measured against the harness's clock: a skew between the clocks shifts it")
}

/// AUTH-2, AUTH-7: tokens signed by a key the vendor does not hold (also when the token carries
/// that key in header `jwk`), or not signed, get 401.
pub async fn bad_signature(cx: &Context) -> Outcome {
    refusals(
        cx,
        AUTH_2_SIGNED,
        &crafts(&["foreign-key", "foreign-key-no-kid", "embedded-jwk", "unsigned"]),
        "401 for tokens signed by another key (with and without the account's `kid`, and with that key embedded in header `jwk`) and for an empty signature",
        "wrongly signed tokens",
    )
    .await
}

/// AUTH-4: a payload changed under the original signature gets 401.
pub async fn tampered(cx: &Context) -> Outcome {
    refusals(
        cx,
        AUTH_4_TAMPERED,
        &crafts(&["tampered-claim", "tampered-exp"]),
        "401 for a valid token whose claims were changed after signing",
        "tampered tokens",
    )
    .await
}

/// AUTH-3: `alg: none` in several spellings gets 401.
pub async fn alg_none(cx: &Context) -> Outcome {
    refusals(
        cx,
        AUTH_3,
        &crafts(&["alg-none:none", "alg-none:None", "alg-none:NONE", "alg-none:nOnE", "alg-none-signed", "no-alg"]),
        "401 for `alg: none` (any case, with or without a signature) and for a header without `alg`",
        "unsigned-algorithm tokens",
    )
    .await
}

/// AUTH-3: HS256 keyed with the account's public key (PEM and DER) gets 401.
pub async fn hs256_public_key(cx: &Context) -> Outcome {
    refusals(
        cx,
        AUTH_3,
        &crafts(&["hs256-public-pem", "hs256-public-pem-trimmed", "hs256-public-der"]),
        "401 for HS256 tokens keyed with the account's public key as PEM, trimmed PEM and DER",
        "algorithm-confusion tokens",
    )
    .await
}

/// AUTH-4 (and AUTH-2's malformed claims): a token without a usable `exp` gets 401.
pub async fn no_exp(cx: &Context) -> Outcome {
    refusals(
        cx,
        AUTH_4_CLAIMS,
        &crafts(&["no-exp", "exp-null", "exp-string"]),
        "401 for tokens without `exp`, with `exp: null` and with `exp` as a string",
        "tokens without a numeric `exp`",
    )
    .await
}

/// AUTH-4: a wrong or missing `iss` gets 401.
pub async fn issuer(cx: &Context) -> Outcome {
    refusals(
        cx,
        AUTH_4_CLAIMS,
        &crafts(&["wrong-iss", "no-iss", "iss-case"]),
        "401 for `iss` other than `convergint` (another value, missing, another case)",
        "tokens with a wrong `iss`",
    )
    .await
}

/// AUTH-5: tokens living longer than an hour (plus 60 s) are refused.
pub async fn long_lifetime(cx: &Context) -> Outcome {
    refusals(
        cx,
        AUTH_5,
        &crafts(&["lifetime:3720", "lifetime:86400", "exp-huge"]),
        "401 for tokens whose `exp - iat` exceeds 3600 s plus at most 60 s of leeway (tried 3720 s, a day, and `exp` = 2^63 - 1)",
        "long-lived tokens",
    )
    .await
}

/// AUTH-5: `iat` or `nbf` far in the future is refused.
pub async fn future_iat(cx: &Context) -> Outcome {
    refusals(
        cx,
        AUTH_5,
        &crafts(&["future-iat:1800", "future-nbf:1800"]),
        "401 for `iat` or `nbf` 1800 s in the future (beyond any clock-skew leeway of at most 300 s)",
        "tokens from the future",
    )
    .await
}

/// Credentials the AUTH-6 checks look at 401s of: ones no single rule relaxation lets through
/// (a missing header, HS256 with an unknown key), and common refusals (expired, foreign key).
fn refusal_samples() -> Vec<Cred> {
    vec![
        Cred::Missing,
        Cred::craft("garbage"),
        Cred::craft("hs256-random"),
        Cred::craft("expired:3600"),
        Cred::craft("foreign-key"),
    ]
}

/// Sends each sample and keeps the 401s; other answers are other checks' business.
async fn sample_401s(cx: &Context, creds: &[Cred]) -> Result<(Vec<(Cred, Answer)>, Vec<String>), Outcome> {
    let (creds, skipped) = sendable(cx, creds)?;
    let mut unauthorized = Vec::new();
    let mut notes: Vec<String> = skipped.into_iter().collect();
    for cred in &creds {
        let answer = send(cx, cred).await?;
        match judge_answer(cx, &answer) {
            Judged::Refused => unauthorized.push((cred.clone(), answer)),
            Judged::Limited => return Err(rate_limited_midway(&answer)),
            _ => notes.push(format!("{} answered {}, not a 401 to look at", cred.label(), answer.status)),
        }
    }
    Ok((unauthorized, notes))
}

/// Whether a `WWW-Authenticate` value offers the `Bearer` scheme (one of its challenges).
pub fn offers_bearer(value: &str) -> bool {
    // Challenges are separated by commas, as are their parameters; a challenge starts with a
    // scheme token that is not followed by `=`.
    value.split(',').any(|part| {
        let part = part.trim_start();
        let scheme = part.split(|c: char| c.is_whitespace() || c == '=').next().unwrap_or_default();
        scheme.eq_ignore_ascii_case("bearer") && !part[scheme.len()..].trim_start().starts_with('=')
    })
}

/// AUTH-6: every 401 carries `WWW-Authenticate` with the `Bearer` scheme.
pub async fn www_authenticate(cx: &Context) -> Outcome {
    if cx.api.endpoints().auth == AuthKind::ApiKey {
        return Outcome::not_applicable(
            "it authenticates with an API key, not a bearer token, so RFC 6750's `Bearer` challenge does not apply",
        );
    }
    let samples = [Cred::Missing, Cred::craft("garbage"), Cred::craft("hs256-random"), Cred::craft("expired:3600")];
    let (unauthorized, notes) = match sample_401s(cx, &samples).await {
        Ok(got) => got,
        Err(outcome) => return outcome,
    };
    if unauthorized.is_empty() {
        return Outcome::skip("none of the bad credentials was answered 401, so there is no 401 to look at")
            .with_note(notes.join("; "));
    }
    let expected = "every 401 carries `WWW-Authenticate: Bearer ...` (RFC 6750)";
    let mut verdicts = Verdicts::default();
    for (cred, answer) in &unauthorized {
        verdicts.sent.push(cred.label());
        let values: Vec<&str> = answer
            .exchange
            .response_headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            verdicts.fail(cred, answer, "the 401 has no `WWW-Authenticate` header".into());
        } else if !values.iter().any(|v| offers_bearer(v)) {
            verdicts.fail(
                cred,
                answer,
                format!("`WWW-Authenticate` is `{}`, without the Bearer scheme", values.join(", ")),
            );
        }
    }
    let shown = unauthorized[0].1.header("www-authenticate").unwrap_or_default().to_owned();
    if let Some(first) = verdicts.wrong.first() {
        let n = verdicts.wrong.len();
        return Outcome::fail(format!(
            "{AUTH_6_CHALLENGE}: {n} of {} 401 answers lack a Bearer challenge: {first}",
            unauthorized.len()
        ))
        .expected(expected)
        .actual(verdicts.wrong.join("; "))
        .with_evidence(verdicts.evidence);
    }
    let mut outcome = Outcome::pass(format!("{} 401 answers carry `WWW-Authenticate: {shown}`", unauthorized.len()))
        .expected(expected);
    outcome.evidence.notes.extend(notes);
    outcome
}

/// Text in a 401 body that gives internals away: stack frames, library names and error texts,
/// key material. Lower case; matched against the lower-cased body.
const LEAKS: &[(&str, &str)] = &[
    ("backtrace", "a backtrace"),
    ("stack trace", "a stack trace"),
    ("stacktrace", "a stack trace"),
    ("traceback (most recent call last)", "a Python traceback"),
    ("panicked at", "a Rust panic message"),
    ("\n   at ", "stack frames"),
    ("\n\tat ", "stack frames"),
    (" at src/", "a source path"),
    (".rs:", "a Rust source location"),
    (".java:", "a Java source location"),
    (".py\", line", "a Python source location"),
    ("node_modules/", "a Node.js module path"),
    ("jsonwebtoken", "the JWT library's name"),
    ("jsonwebtokenerror", "the JWT library's error type"),
    ("io.jsonwebtoken", "the JWT library's name"),
    ("jwt.exceptions", "the JWT library's error type"),
    ("microsoft.identitymodel", "the JWT library's name"),
    ("rsa::", "the RSA library's name"),
    ("ring::", "the crypto library's name"),
    ("openssl", "the crypto library's name"),
    ("-----begin", "PEM key material"),
    ("private key", "key material"),
];

/// What in `body` gives internals away, if anything: `(what, the text found)`.
pub fn leaks_in(body: &str, public_pem: Option<&str>) -> Vec<(&'static str, String)> {
    let lower = body.to_lowercase();
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for (needle, what) in LEAKS {
        if let Some(at) = lower.find(needle)
            && !found.iter().any(|(w, _)| w == what)
        {
            let text: String = body.get(at..).unwrap_or_default().chars().take(48).collect();
            found.push((what, text.trim().to_owned()));
        }
    }
    // The public key's body (not secret, but an answer has no business carrying it).
    let key_body: Option<String> =
        public_pem.map(|pem| pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>());
    if let Some(key) = key_body.filter(|k| k.len() >= 64)
        && body.contains(&key[..64])
    {
        found.push(("the account's public key", format!("{}...", &key[..24])));
    }
    found
}

/// AUTH-6: 401 bodies leak no internals (stack traces, key material, library error text).
pub async fn no_leak(cx: &Context) -> Outcome {
    let (unauthorized, notes) = match sample_401s(cx, &refusal_samples()).await {
        Ok(got) => got,
        Err(outcome) => return outcome,
    };
    if unauthorized.is_empty() {
        return Outcome::skip("none of the bad credentials was answered 401, so there is no 401 body to look at")
            .with_note(notes.join("; "));
    }
    let public_pem = cx.tokens.as_deref().map(|k| k.public_pem.as_str());
    let expected = "401 bodies say the token was refused and nothing about the verifier's internals";
    let mut verdicts = Verdicts::default();
    for (cred, answer) in &unauthorized {
        verdicts.sent.push(cred.label());
        let found = leaks_in(&answer.text, public_pem);
        if !found.is_empty() {
            let list: Vec<String> = found.iter().map(|(what, text)| format!("{what} (`{text}`)")).collect();
            verdicts.fail(cred, answer, format!("the 401 body carries {}", list.join(", ")));
        }
    }
    if let Some(first) = verdicts.wrong.first() {
        let n = verdicts.wrong.len();
        return Outcome::fail(format!(
            "{AUTH_6_LEAK}: {n} of {} 401 bodies leak internals: {first}",
            unauthorized.len()
        ))
        .expected(expected)
        .actual(verdicts.wrong.join("; "))
        .with_evidence(verdicts.evidence);
    }
    let mut outcome = Outcome::pass(format!("{} 401 bodies leak no internals", unauthorized.len())).expected(expected);
    outcome.evidence.notes.extend(notes);
    outcome
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> Option<&str> {
    let rest = url.find("://").map(|i| i + 3)?;
    let end = url[rest..].find(['/', '?', '#']).map_or(url.len(), |i| rest + i);
    (end > rest).then(|| &url[..end])
}

/// AUTH-7: header `jku` and `x5u` URLs are never fetched.
pub async fn jku_x5u(cx: &Context) -> Outcome {
    let inbox: &dyn Inbox = match crate::act::require_inbox(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    let public = inbox.public_url();
    let Some(origin) = origin(&public) else {
        return Outcome::error(format!("the receiver's public URL `{public}` has no origin (a configuration problem)"));
    };
    let millis =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    let planted = format!("/conformance-harness/auth-7-{millis}");
    let cred = Cred::craft(format!("jku-x5u:{origin}{planted}"));
    let answer = match send(cx, &cred).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    let window = cx.budgets.quiet_window.max(Duration::from_millis(500));
    let hits = |inbox: &dyn Inbox| -> Vec<crate::context::Fetch> {
        inbox.fetches().into_iter().filter(|f| f.path.starts_with(&planted)).collect()
    };
    cx.waiting("a fetch of the planted `jku`/`x5u` URL (none should come)", window);
    inbox.wait_for(&|_: &[crate::context::Delivery]| !hits(inbox).is_empty(), window).await;
    let fetched = hits(inbox);
    let expected = "header `jku`/`x5u` URLs are ignored, never fetched";
    let mut outcome = if fetched.is_empty() {
        Outcome::pass(format!(
            "the vendor fetched neither planted URL within {:.1} s (answered {})",
            window.as_secs_f64(),
            answer.status
        ))
        .expected(expected)
    } else {
        let mut evidence = Evidence::default();
        evidence.push_exchange(&answer.exchange);
        for f in &fetched {
            evidence.push_finding(Finding {
                subject: format!("{} {}{}", f.method, origin, f.path),
                pointer: String::new(),
                message: "the vendor fetched a URL the harness planted in a token header".into(),
                record: None,
                source: None,
            });
        }
        let paths: Vec<String> = fetched.iter().map(|f| format!("{} {}", f.method, f.path)).collect();
        Outcome::fail(format!("{AUTH_7_FETCH}: the vendor fetched the planted key URL: {}", paths.join(", ")))
            .expected(expected)
            .actual(paths.join(", "))
            .with_evidence(evidence)
    };
    if judge_answer(cx, &answer) == Judged::Accepted {
        outcome = outcome.with_note(format!(
            "the token, signed by a key the vendor does not hold, was accepted ({}): see auth.bad-signature",
            answer.status
        ));
    }
    outcome
}

/// AUTH-7: `kid` selects among an account's keys, so a second key registered for a rotation
/// works alongside the first.
pub async fn kid_rotation(cx: &Context) -> Outcome {
    let kit = match require_kit(cx) {
        Ok(kit) => kit,
        Err(outcome) => return outcome,
    };
    if kit.rotation.is_none() {
        return Outcome::skip(
            "no second key of the account is configured (`rotation_key_path` and `rotation_kid` under `[auth]`): register a second public key for the account in the vendor's console to test rotation",
        );
    }
    let expected = "a token of the account's second key, naming that key's `kid`, is accepted";
    let rotated = Cred::craft("rotation-key");
    let answer = match send(cx, &rotated).await {
        Ok(a) => a,
        Err(outcome) => return outcome,
    };
    let outcome = match judge_answer(cx, &answer) {
        Judged::Accepted => {
            Outcome::pass(format!("a token of the second key was accepted ({})", answer.status)).expected(expected)
        }
        Judged::Limited => return rate_limited_midway(&answer),
        Judged::Refused | Judged::Wrong => {
            let how = cx.api.body_refusal(&answer).unwrap_or_else(|| format!("refused with {}", answer.status));
            let mut evidence = Evidence::default();
            evidence.push_exchange(&answer.exchange);
            evidence.push_finding(Finding {
                subject: format!("{} ({})", rotated.label(), rotated.what()),
                pointer: String::new(),
                message: format!("{how}: the account's second key is not honoured"),
                record: None,
                source: Some(answer.exchange.url.clone()),
            });
            return Outcome::fail(format!(
                "{AUTH_7_KID}: a token of the account's second key, naming its `kid`, was {how}: `kid` does not select among the account's keys"
            ))
            .expected(expected)
            .actual(format!("answered {}", answer.status))
            .with_evidence(evidence);
        }
    };
    // How `kid` is used (noted, not judged: trying each of the account's keys is not unsafe): a
    // token naming the first key but signed by the second.
    if kit.minter.kid().is_none() {
        return outcome.with_note("the first key has no `kid` configured, so a token naming it could not be sent");
    }
    let crossed = Cred::craft("rotation-key-wrong-kid");
    let note = match send(cx, &crossed).await {
        Ok(answer) => match judge_answer(cx, &answer) {
            Judged::Refused => format!("{} was refused: the key `kid` names is the one verified", crossed.label()),
            Judged::Accepted => format!(
                "{} was accepted: the vendor tries each of the account's keys rather than the one `kid` names",
                crossed.label()
            ),
            Judged::Limited | Judged::Wrong => {
                format!("{} answered {}, so how `kid` is used could not be seen", crossed.label(), answer.status)
            }
        },
        Err(failed) => format!(
            "{} got no usable answer ({}), so how `kid` is used could not be seen",
            crossed.label(),
            failed.message
        ),
    };
    outcome.with_note(note)
}

/// What AUTH-8 asks of every rate-limit answer, quoted by its failures.
const AUTH_8: &str = "AUTH-8: \"Rate limits answer 429 with `Retry-After`\"";

/// Why a `Retry-After` value cannot be used, or `None` when it can: delta-seconds or an HTTP-date
/// (RFC 9110 §10.2.3).
pub fn retry_after_problem(value: Option<&str>) -> Option<String> {
    let Some(raw) = value else { return Some("no `Retry-After`".to_owned()) };
    let value = raw.trim();
    let seconds = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if seconds || httpdate::parse_http_date(value).is_ok() {
        return None;
    }
    let shown: String = value.chars().take(64).collect();
    Some(format!("`Retry-After: {shown}`, neither delta-seconds nor an HTTP-date"))
}

/// Every 429 the run's clients got so far (the second account's too).
fn limited_answers(cx: &Context) -> Vec<crate::outcome::Exchange> {
    let mut seen = cx.api.rate_limited();
    if let Some(second) = &cx.second {
        seen.extend(second.rate_limited());
    }
    seen
}

/// How a bounded burst ended.
enum Burst {
    /// A 429 came, after this many requests.
    Limited(u32),
    /// No 429 within the budget; the other answers worth a note.
    Unlimited(Vec<String>),
}

/// Sends up to `burst` requests made by `probe` until the run's clients record a new 429 (a
/// request the client retried after a `Retry-After` counts: the limit was met).
async fn burst_until_limited(cx: &Context, burst: u32, probe: impl Fn() -> Probe) -> Result<Burst, Outcome> {
    let before = limited_answers(cx).len();
    let mut others = Vec::new();
    for sent in 1..=burst {
        let answer = cx
            .api
            .probe(probe())
            .await
            .map_err(|e| citing(e.to_outcome("a request of the rate-limit burst"), AUTH_8))?;
        if answer.status == 429 || limited_answers(cx).len() > before {
            return Ok(Burst::Limited(sent));
        }
        if !answer.is_success() && answer.status != 401 && others.len() < 3 {
            others.push(format!("request {sent} answered {}", answer.status));
        }
    }
    Ok(Burst::Unlimited(others))
}

/// AUTH-8: every 429 of the run carries a usable `Retry-After`. When the run met no limit, a
/// bounded burst of bad credentials, then of valid requests (vendors commonly limit per account
/// after authentication), looks for one; a limit never reached is not a violation, so no 429 at
/// all is a SKIP, not a failure.
pub async fn rate_limit(cx: &Context) -> Outcome {
    let burst = cx.budgets.rate_limit_burst;
    let mut notes = Vec::new();
    if burst > 0 && limited_answers(cx).is_empty() {
        // A token no vendor can verify; for other auth kinds, a key no vendor issued.
        let cred = Cred::craft(if not_jwt(cx).is_none() { "hs256-random" } else { "garbage" });
        let Cred::Craft(name) = &cred else { unreachable!("the burst sends a crafted credential") };
        let bad = match crafted(cx, name).await {
            Ok(credential) => ProbeAuth::Crafted { credential, craft: name.clone() },
            Err(outcome) => return outcome,
        };
        let account = cx.api.account_probe();
        let bad_burst = burst_until_limited(cx, burst, || account.clone().auth(bad.clone())).await;
        match bad_burst {
            Err(outcome) => return outcome,
            Ok(Burst::Limited(n)) => {
                notes.push(format!("bad credential {n} of a burst of {} met the limit", cred.label()))
            }
            Ok(Burst::Unlimited(others)) => {
                notes.push(format!("{burst} bad credentials ({}) in a row met no limit", cred.label()));
                notes.extend(others);
                match burst_until_limited(cx, burst, || account.clone()).await {
                    Err(outcome) => return outcome,
                    Ok(Burst::Limited(n)) => notes.push(format!("valid request {n} of a burst met the limit")),
                    Ok(Burst::Unlimited(others)) => {
                        notes.push(format!("{burst} valid requests in a row met no limit"));
                        notes.extend(others);
                    }
                }
            }
        }
    }
    let seen = limited_answers(cx);
    let expected = "every 429 answer carries `Retry-After` (delta-seconds or an HTTP-date)";
    if seen.is_empty() {
        let reason = if burst == 0 {
            "no 429 was seen in the run, and the rate-limit probe is off: set `rate_limit_burst` under `[budgets]` (e.g. 150) to send up to that many bad credentials, then valid requests; the vendor may then limit this client for a while".to_owned()
        } else {
            format!(
                "no 429 was seen within the budget ({burst} bad credentials, then {burst} valid requests, and the rest of the run): AUTH-8 judges the form of a rate limit's answer, and a limit never reached is not a violation"
            )
        };
        let mut outcome = Outcome::skip(reason);
        outcome.evidence.notes.extend(notes);
        return outcome;
    }
    let unusable: Vec<(&crate::outcome::Exchange, String)> = seen
        .iter()
        .filter_map(|x| retry_after_problem(x.response_header("retry-after")).map(|problem| (x, problem)))
        .collect();
    let mut outcome = match unusable.first() {
        None => {
            let first = &seen[0];
            let value = first.response_header("retry-after").unwrap_or_default().trim().to_owned();
            let all = match seen.len() {
                1 => "the run's one 429 answer".to_owned(),
                n => format!("all {n} 429 answers of the run"),
            };
            Outcome::pass(format!(
                "{all} carried a usable `Retry-After` (the first: `Retry-After: {value}` to {} {})",
                first.method, first.url
            ))
            .expected(expected)
            .with_exchange(first)
        }
        Some((first, problem)) => {
            let mut outcome = Outcome::fail(format!(
                "{AUTH_8}: {} of the run's {} 429 answers had no usable `Retry-After`; the first, to {} {}, had {problem}",
                unusable.len(),
                seen.len(),
                first.method,
                first.url
            ))
            .expected(expected)
            .actual(format!("429 with {problem}"));
            for (exchange, _) in unusable.iter().take(3) {
                outcome.evidence.push_exchange(exchange);
            }
            outcome
        }
    };
    outcome.evidence.notes.extend(notes);
    outcome
}

/// The auth suite, in run order. The burst probe (AUTH-8) is last: once it meets the vendor's
/// limit, refused tokens are answered 429 for a while.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        valid_token,
        "auth.valid-token",
        "auth",
        Must,
        ["AUTH-1"],
        "A fresh RS256 token is accepted on every endpoint the vendor declares"
    ),
    check!(
        malformed,
        "auth.malformed",
        "auth",
        Must,
        ["AUTH-2"],
        "Missing and malformed credentials (also unknown `crit` headers) get 401, never data, never a 5xx"
    ),
    check!(
        expired,
        "auth.expired",
        "auth",
        Must,
        ["AUTH-2"],
        "Expired tokens get 401; the leeway on `exp` is measured and at most 300 s"
    ),
    check!(
        bad_signature,
        "auth.bad-signature",
        "auth",
        Must,
        ["AUTH-2", "AUTH-7"],
        "Tokens signed by another key (also with that key embedded in header `jwk`), or unsigned, get 401"
    ),
    check!(alg_none, "auth.alg-none", "auth", Must, ["AUTH-3"], "`alg: none` tokens get 401, in every spelling"),
    check!(
        hs256_public_key,
        "auth.hs256-public-key",
        "auth",
        Must,
        ["AUTH-3"],
        "HS256 tokens keyed with the account's public key (PEM or DER) get 401"
    ),
    check!(no_exp, "auth.no-exp", "auth", Must, ["AUTH-4", "AUTH-2"], "Tokens without a numeric `exp` get 401"),
    check!(issuer, "auth.issuer", "auth", Must, ["AUTH-4"], "Tokens whose `iss` is not `convergint` get 401"),
    check!(
        tampered,
        "auth.tampered",
        "auth",
        Must,
        ["AUTH-4"],
        "A payload changed under the original signature gets 401"
    ),
    check!(
        long_lifetime,
        "auth.long-lifetime",
        "auth",
        Should,
        ["AUTH-5"],
        "Tokens living longer than an hour are refused"
    ),
    check!(
        future_iat,
        "auth.future-iat",
        "auth",
        Should,
        ["AUTH-5"],
        "Tokens with `iat` or `nbf` far in the future are refused"
    ),
    check!(
        www_authenticate,
        "auth.www-authenticate",
        "auth",
        Should,
        ["AUTH-6"],
        "401 answers carry `WWW-Authenticate` with the Bearer scheme"
    ),
    check!(
        no_leak,
        "auth.no-leak",
        "auth",
        Should,
        ["AUTH-6"],
        "401 bodies leak no stack traces, key material or library error text"
    ),
    check!(
        jku_x5u,
        "auth.jku-x5u",
        "auth",
        Should,
        ["AUTH-7"],
        "Token header `jku` and `x5u` URLs are never fetched",
        needs = [Inbox]
    ),
    check!(
        kid_rotation,
        "auth.kid-rotation",
        "auth",
        Should,
        ["AUTH-7"],
        "A second key of the account (a rotation) is accepted under its own `kid`"
    ),
    check!(
        tenancy::inventory,
        "auth.tenant-inventory",
        "auth",
        Must,
        ["ACC-2"],
        "One account's token gets 404 or 403 for another account's sites, never its devices"
    ),
    check!(
        tenancy::webhooks,
        "auth.tenant-webhooks",
        "auth",
        Must,
        ["ACC-2"],
        "One account's token neither lists nor deletes another account's webhooks",
        capability = "webhook-management",
        needs = [Inbox]
    ),
    check!(
        rate_limit,
        "auth.rate-limit",
        "auth",
        Should,
        ["AUTH-8"],
        "Every 429 of the run carries a usable `Retry-After` (bursts of bad and valid requests look for a limit)",
        whole_run = true
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_recognised() {
        assert!(offers_bearer("Bearer"));
        assert!(offers_bearer("Bearer realm=\"mock-vendor\", error=\"invalid_token\""));
        assert!(offers_bearer("bearer error=\"invalid_token\""));
        assert!(offers_bearer("Basic realm=\"x\", Bearer realm=\"y\""));
        assert!(!offers_bearer("Basic realm=\"x\""));
        assert!(!offers_bearer("Basic realm=\"x\", bearer=\"no\""));
        assert!(!offers_bearer("BearerToken"));
        assert!(!offers_bearer(""));
    }

    #[test]
    fn leaks_are_found_and_plain_refusals_are_not() {
        let clean = r#"{"error":"unauthorized","message":"missing or invalid bearer token"}"#;
        assert!(leaks_in(clean, None).is_empty());
        assert!(leaks_in(r#"{"message":"Unauthorized"}"#, None).is_empty());
        assert!(
            leaks_in(r#"{"error":"invalid_token","error_description":"The access token expired"}"#, None).is_empty()
        );
        let leaky = "jsonwebtoken::errors::Error: signature does not verify\n   at mock_vendor::auth (src/auth.rs:88)\n   stack backtrace:";
        let found: Vec<&str> = leaks_in(leaky, None).into_iter().map(|(what, _)| what).collect();
        assert!(found.contains(&"a backtrace"), "{found:?}");
        assert!(found.contains(&"the JWT library's name"), "{found:?}");
        assert!(found.contains(&"a Rust source location"), "{found:?}");
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", "A".repeat(64));
        assert_eq!(leaks_in(&format!("key {}", "A".repeat(70)), Some(&pem))[0].0, "the account's public key");
        assert_eq!(leaks_in(&pem, None)[0].0, "PEM key material");
    }

    #[test]
    fn statuses_are_judged() {
        assert_eq!(judge(401), Judged::Refused);
        assert_eq!(judge(200), Judged::Accepted);
        assert_eq!(judge(204), Judged::Accepted);
        assert_eq!(judge(429), Judged::Limited);
        assert_eq!(judge(403), Judged::Wrong);
        assert_eq!(judge(500), Judged::Wrong);
    }

    #[test]
    fn origins() {
        assert_eq!(origin("http://127.0.0.1:8080/webhook"), Some("http://127.0.0.1:8080"));
        assert_eq!(origin("https://hooks.example.com"), Some("https://hooks.example.com"));
        assert_eq!(origin("https://h.example.com?x=1"), Some("https://h.example.com"));
        assert_eq!(origin("not a url"), None);
        assert_eq!(origin("http:///path"), None);
    }

    #[test]
    fn every_crafted_name_the_suite_sends_is_in_the_catalogue() {
        for cred in refusal_samples() {
            if let Cred::Craft(name) = cred {
                craft::parse_name(&name).unwrap();
            }
        }
    }
}
