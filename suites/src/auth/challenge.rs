//! AUTH-6: what a 401 looks like: a `WWW-Authenticate` challenge with the Bearer scheme, and a
//! body that gives no internals away.

use super::judge::{Cred, Judged, Verdicts, judge_answer, rate_limited_midway, send, sendable};
use super::{AUTH_6_CHALLENGE, AUTH_6_LEAK};
use crate::context::{Answer, AuthKind, Context};
use crate::outcome::Outcome;

/// Credentials the AUTH-6 checks look at 401s of: ones no single rule relaxation lets through
/// (a missing header, HS256 with an unknown key), and common refusals (expired, foreign key).
fn refusal_credentials() -> Vec<Cred> {
    vec![
        Cred::Missing,
        Cred::craft("garbage"),
        Cred::craft("hs256-random"),
        Cred::craft("expired:3600"),
        Cred::craft("foreign-key"),
    ]
}

/// Sends each credential and keeps the 401s; other answers are other checks' business.
async fn collect_401s(cx: &Context, creds: &[Cred]) -> Result<(Vec<(Cred, Answer)>, Vec<String>), Outcome> {
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
    if cx.endpoints().auth == AuthKind::ApiKey {
        return Outcome::not_applicable(
            "it authenticates with an API key, not a bearer token, so RFC 6750's `Bearer` challenge does not apply",
        );
    }
    let creds = [Cred::Missing, Cred::craft("garbage"), Cred::craft("hs256-random"), Cred::craft("expired:3600")];
    let (unauthorized, notes) = match collect_401s(cx, &creds).await {
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
    let (unauthorized, notes) = match collect_401s(cx, &refusal_credentials()).await {
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
    fn every_crafted_name_the_suite_sends_is_in_the_catalogue() {
        for cred in refusal_credentials() {
            if let Cred::Craft(name) = cred {
                super::super::craft::parse_name(&name).unwrap();
            }
        }
    }
}
