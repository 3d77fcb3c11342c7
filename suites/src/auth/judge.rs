//! One credential sent to the account endpoint and its answer judged: what a credential is, how
//! an answer counts (refused, accepted, limited, wrong) and the verdicts of a list of them.

use std::time::Duration;

use contract::Secret;

use super::craft;
use super::{AUTH_2_MALFORMED, AUTH_7_KID};
use crate::context::{Answer, AuthKind, Context, ProbeAuth, TokenKit};
use crate::outcome::{Evidence, Finding, Outcome};

/// A credential a check sends: no credential header, or a crafted token by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cred {
    Missing,
    Craft(String),
}

impl Cred {
    pub(crate) fn craft(name: impl Into<String>) -> Self {
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
    pub(crate) fn what(&self) -> String {
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
pub(crate) fn judge_answer(cx: &Context, answer: &Answer) -> Judged {
    match judge(answer.status) {
        Judged::Accepted if cx.api.body_error(answer).is_some() => Judged::Wrong,
        judged => judged,
    }
}

/// What a [`Judged::Wrong`] answer did instead of 401.
pub(crate) fn not_401(cx: &Context, answer: &Answer) -> String {
    match cx.api.body_refusal(answer) {
        Some(refusal) => format!("{refusal}, not 401"),
        None if answer.status >= 500 => format!("answered {} (a server error), not 401", answer.status),
        None => format!("answered {}, not 401", answer.status),
    }
}

/// The token kit, or the outcome a check ends with when the run has none.
pub(crate) fn require_kit(cx: &Context) -> Result<&TokenKit, Outcome> {
    if let Some(skip) = not_jwt(cx) {
        return Err(skip);
    }
    cx.tokens.as_deref().ok_or_else(|| {
        Outcome::error("the run holds no signing key to craft tokens from (a harness bug: the runner sets one)")
    })
}

/// The not-applicable outcome of a crafted-JWT check when the vendor's profile authenticates
/// some other way (an API key, a static bearer token, OAuth2): `None` for the contract's JWTs.
pub(crate) fn not_jwt(cx: &Context) -> Option<Outcome> {
    let kind = cx.endpoints().auth;
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
pub(crate) fn sendable(cx: &Context, creds: &[Cred]) -> Result<(Vec<Cred>, Option<String>), Outcome> {
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
            cx.endpoints().auth.as_str()
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
            e.to_outcome(&format!("sending {}", cred.label())).citing(rule)
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
pub(crate) async fn crafted(cx: &Context, name: &str) -> Result<Secret, Outcome> {
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

/// Collects what went wrong with each credential and ends as PASS, FAIL or ERROR.
#[derive(Default)]
pub(crate) struct Verdicts {
    pub(crate) evidence: Evidence,
    pub(crate) wrong: Vec<String>,
    pub(crate) limited: Option<Answer>,
    pub(crate) sent: Vec<String>,
}

impl Verdicts {
    /// Records one answer.
    pub(crate) fn add(&mut self, cx: &Context, cred: &Cred, answer: &Answer) {
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

    pub(crate) fn fail(&mut self, cred: &Cred, answer: &Answer, problem: String) {
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
    pub(crate) fn finish(self, rule: &str, expected: &str, pass: String) -> Outcome {
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
pub(crate) fn rate_limited_midway(answer: &Answer) -> Outcome {
    let wait = answer.header("retry-after").map_or("its rate limit".to_owned(), |s| format!("Retry-After ({s})"));
    Outcome::error(format!(
        "the vendor answered 429 before judging every token (its rate limit, AUTH-8); wait {wait} and run the auth suite again, alone"
    ))
    .with_exchange(&answer.exchange)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_judged() {
        assert_eq!(judge(401), Judged::Refused);
        assert_eq!(judge(200), Judged::Accepted);
        assert_eq!(judge(204), Judged::Accepted);
        assert_eq!(judge(429), Judged::Limited);
        assert_eq!(judge(403), Judged::Wrong);
        assert_eq!(judge(500), Judged::Wrong);
    }
}
