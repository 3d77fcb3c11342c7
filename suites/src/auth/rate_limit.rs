//! AUTH-8: every 429 of the run carries a usable `Retry-After`; bounded bursts look for a limit
//! when the run met none.

use super::judge::{Cred, crafted, not_jwt};
use crate::context::{Context, Probe, ProbeAuth};
use crate::outcome::Outcome;

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
            .map_err(|e| e.to_outcome("a request of the rate-limit burst").citing(AUTH_8))?;
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
