//! The good keys: a fresh token works on every endpoint (AUTH-1), a second key of the account
//! works under its own `kid`, and URLs in token headers are never fetched (AUTH-7).

use std::time::Duration;

use serde_json::Value;

use super::judge::{Cred, Judged, judge_answer, rate_limited_midway, require_kit, send};
use super::{AUTH_1, AUTH_7_FETCH, AUTH_7_KID};
use crate::context::{AuthKind, Collection, Context, Inbox, PageAsk, Probe};
use crate::outcome::{Evidence, Finding, Outcome};

/// AUTH-1: a fresh token of the account works on every endpoint the vendor declares.
pub async fn valid_token(cx: &Context) -> Outcome {
    let endpoints = cx.endpoints();
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
            Err(e) => return e.to_outcome(&format!("the {what} could not be read with a fresh token")).citing(AUTH_1),
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
    let millis = contract::unix_now_ms();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(origin("http://127.0.0.1:8080/webhook"), Some("http://127.0.0.1:8080"));
        assert_eq!(origin("https://hooks.example.com"), Some("https://hooks.example.com"));
        assert_eq!(origin("https://h.example.com?x=1"), Some("https://h.example.com"));
        assert_eq!(origin("not a url"), None);
        assert_eq!(origin("http:///path"), None);
    }
}
