//! Tenancy between accounts (ACC-2): the run's credential (account A) asks for what belongs to
//! the configured second account (B) and must get 404 or 403, never B's data.
//!
//! B's ids come from B's own credential (`Context::second`), so the checks need no knowledge of
//! how the vendor numbers its accounts.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::act::require_inbox;
use crate::context::{Answer, ApiError, Collection, Context, VendorApi, Walk};
use crate::outcome::{Evidence, Exchange, Finding, Outcome};
use crate::sync::precondition;
use crate::webhook_api::{Creation, create_webhook};

/// What ACC-2 asks, quoted in every failure.
const ACC2: &str = "ACC-2: \"A credential never reads or changes another account's sites, devices or webhooks (cross-tenant requests get 404 or 403, never data)\"";

/// At most this many of B's sites are asked for with A's token.
const SITES_TRIED: usize = 2;

fn no_second_account() -> Outcome {
    Outcome::skip(
        "no second account is configured (`[second_account]` in the vendor config), so tenancy between accounts (ACC-2) cannot be tested",
    )
}

/// Whether a cross-tenant answer is what ACC-2 asks: 404 or 403.
fn is_denied(status: u16) -> bool {
    status == 404 || status == 403
}

/// What is wrong with A's answer about B's resource, if anything.
fn cross_tenant_problem(answer: &Answer, leaked: &[String], what: &str) -> Option<String> {
    if is_denied(answer.status) {
        return None;
    }
    Some(match answer.status {
        s if (200..300).contains(&s) && !leaked.is_empty() => {
            format!("answered {s} with {what}: {} of its ids in the body", leaked.len())
        }
        s if (200..300).contains(&s) => format!("answered {s}, not 404 or 403"),
        s => format!("answered {s}, not 404 or 403"),
    })
}

#[derive(Default)]
struct Findings {
    evidence: Evidence,
    problems: Vec<String>,
}

impl Findings {
    fn add(&mut self, subject: String, problem: String, exchange: &Exchange) {
        self.problems.push(format!("{subject}: {problem}"));
        self.evidence.push_exchange(exchange);
        self.evidence.push_finding(Finding {
            subject,
            pointer: String::new(),
            message: problem,
            record: None,
            source: Some(exchange.url.clone()),
        });
    }

    fn finish(self, expected: &str, pass: String) -> Outcome {
        match self.problems.first() {
            None => Outcome::pass(pass).expected(expected),
            Some(first) => Outcome::fail(format!("account A's token reached account B's data: {first} ({ACC2})"))
                .expected(expected)
                .actual(self.problems.join("; "))
                .with_evidence(self.evidence),
        }
    }
}

/// Up to 20 device ids of the first page of B's inventory of `site` (to recognise them in a leak).
async fn some_device_ids(second: &dyn VendorApi, site: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let collection = Collection::Inventory { site_id: site.to_owned() };
    let _ = second
        .walk(&collection, None, &mut |page| {
            ids.extend(
                page.records
                    .iter()
                    .filter_map(|r| r.get("device_id").and_then(Value::as_str))
                    .map(str::to_owned)
                    .take(20),
            );
            Walk::Stop
        })
        .await;
    ids
}

/// ACC-2: A's token gets 404 or 403 for B's site inventory, and A's site list holds none of B's sites.
pub async fn inventory(cx: &Context) -> Outcome {
    let Some(second) = cx.second.as_deref() else { return no_second_account() };
    let b_sites = match second.sites().await {
        Ok(listing) => listing,
        Err(e) => return precondition(&e, "the second account's sites could not be listed with its own token"),
    };
    let b_ids: Vec<String> = b_sites
        .records
        .iter()
        .filter_map(|l| l.record.get("site_id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    if b_ids.is_empty() {
        return Outcome::skip("the second account lists no sites, so there is no other account's inventory to ask for");
    }
    let sync = cx.sync().await;
    let a_sites = match sync.require_sites() {
        Ok(l) => l,
        Err(outcome) => return outcome,
    };
    let a_ids: BTreeSet<&str> =
        a_sites.records.iter().filter_map(|l| l.record.get("site_id").and_then(Value::as_str)).collect();
    let mut findings = Findings::default();
    for shared in b_ids.iter().filter(|id| a_ids.contains(id.as_str())) {
        let exchange = a_sites.exchanges.first().cloned().unwrap_or_default();
        findings.add(format!("site {shared}"), "account A's site list shows a site of account B".into(), &exchange);
    }
    let foreign: Vec<&String> = b_ids.iter().filter(|id| !a_ids.contains(id.as_str())).take(SITES_TRIED).collect();
    for site in &foreign {
        let collection = crate::context::Collection::Inventory { site_id: (*site).clone() };
        let first = crate::context::PageAsk::first(&cx.endpoints().paging, None);
        let answer = match cx.api.ask_page(&collection, &first).await {
            Ok(asked) => asked.answer,
            Err(e) => return e.to_outcome(&format!("asking for account B's site {site} with account A's token")),
        };
        let leaked: Vec<String> = if answer.is_success() {
            some_device_ids(second, site).await.into_iter().filter(|id| answer.text.contains(id.as_str())).collect()
        } else {
            Vec::new()
        };
        if let Some(problem) = cross_tenant_problem(&answer, &leaked, "account B's devices") {
            findings.add(format!("inventory of account B's site {site}"), problem, &answer.exchange);
        }
    }
    findings.finish(
        "account A's token gets 404 or 403 for account B's site inventory; A's site list has none of B's sites",
        format!("account A's token was denied (404/403) the inventory of {} of account B's sites", foreign.len()),
    )
}

/// Replaces `secret` and the value of every secret-like field in an exchange's texts: evidence
/// never carries a webhook secret, whoever's it is.
pub fn redact_secrets(exchange: &mut Exchange, secret: Option<&str>) {
    crate::redact::redact_exchange(exchange, secret.as_slice());
}

/// A precondition that failed while setting up B's webhook: ERROR when the harness could not
/// reach the vendor, SKIP when the vendor would not create it (the webhooks suite judges that).
fn setup_failed(error: &ApiError, what: &str) -> Outcome {
    let mut outcome = precondition(error, what);
    for exchange in &error.exchanges {
        let mut exchange = exchange.clone();
        redact_secrets(&mut exchange, None);
        outcome.evidence.push_exchange(&exchange);
    }
    outcome
}

/// ACC-2: A's token neither sees B's webhook in its list nor deletes it. B's webhook is created
/// with B's token for the check and deleted afterwards, whatever happened.
pub async fn webhooks(cx: &Context) -> Outcome {
    let Some(second) = cx.second.as_deref() else { return no_second_account() };
    let inbox = match require_inbox(cx) {
        Ok(i) => i,
        Err(outcome) => return outcome,
    };
    // A path of its own under the receiver: nothing B's webhook receives is taken for the run's.
    let target = format!("{}/tenant-b", inbox.public_url().trim_end_matches('/'));
    crate::act::retire_path(cx, "/tenant-b");
    let name = "conformance-harness tenancy probe (ACC-2)";
    let Creation { answer: created, created: read } = match create_webhook(second, name, &target).await {
        Ok(creation) => creation,
        Err(e) => return setup_failed(&e, "the second account could not create a webhook with its own token"),
    };
    let secret = read.secret.as_ref().map(|s| s.expose().to_owned());
    let refused = !created.is_success() || second.body_error(&created).is_some();
    let webhook_id = match (refused, read.id) {
        (false, Some(id)) => id,
        (true, id) => {
            if let Some(id) = id {
                let _ = second.probe(second.webhook_api().delete_probe(&id)).await;
            }
            return Outcome::skip(format!(
                "the second account could not create a webhook with its own token (answered {}), so there is no other account's webhook to ask for",
                created.status
            ))
            .with_exchange(&created.exchange);
        }
        (false, None) => {
            return Outcome::skip(format!(
                "the second account's webhook create answer has no id at `{}` (see the webhooks suite)",
                second.webhook_api().create.id
            ))
            .with_exchange(&created.exchange);
        }
    };
    let mut outcome = cross_tenant_webhook(cx, &webhook_id, secret.as_deref()).await;
    let delete = second.probe(second.webhook_api().delete_probe(&webhook_id)).await;
    match delete {
        Ok(answer) if answer.is_success() || answer.status == 404 => {}
        Ok(answer) => {
            outcome = outcome.with_note(format!(
                "deleting account B's probe webhook {webhook_id} with B's own token answered {}: delete it by hand",
                answer.status
            ))
        }
        Err(e) => {
            outcome = outcome
                .with_note(format!("deleting account B's probe webhook {webhook_id} failed ({e}): delete it by hand"))
        }
    }
    outcome
}

/// A's token lists webhooks (B's must not be there), then tries to delete B's (404 or 403).
async fn cross_tenant_webhook(cx: &Context, webhook_id: &str, secret: Option<&str>) -> Outcome {
    let shape = cx.api.webhook_api();
    let mut findings = Findings::default();
    let mut notes = Vec::new();
    let mut list = match cx.api.probe(shape.list_probe()).await {
        Ok(a) => a,
        Err(e) => return e.to_outcome("listing webhooks with account A's token"),
    };
    redact_secrets(&mut list.exchange, secret);
    if list.is_success() {
        // Through the profile when the list reads as one; anywhere in the body otherwise.
        let shown = match shape.read_list(list.json.as_ref()) {
            Some(all) => all.iter().any(|w| w.id.as_deref() == Some(webhook_id)),
            None => list.text.contains(webhook_id),
        };
        if shown {
            findings.add(
                format!("account B's webhook {webhook_id}"),
                "account A's webhook list shows it".into(),
                &list.exchange,
            );
        }
    } else {
        notes.push(format!("account A's webhook list answered {}, so only the delete was judged", list.status));
    }
    let mut delete = match cx.api.probe(shape.delete_probe(webhook_id)).await {
        Ok(a) => a,
        Err(e) => return e.to_outcome("deleting account B's webhook with account A's token"),
    };
    redact_secrets(&mut delete.exchange, secret);
    if delete.is_success() {
        findings.add(
            format!("account B's webhook {webhook_id}"),
            format!("account A's token deleted it (answered {})", delete.status),
            &delete.exchange,
        );
    } else if !is_denied(delete.status) {
        findings.add(
            format!("account B's webhook {webhook_id}"),
            format!("deleting it with account A's token answered {}, not 404 or 403", delete.status),
            &delete.exchange,
        );
    }
    let mut outcome = findings.finish(
        "account A's webhook list does not show account B's webhook; deleting it with A's token gets 404 or 403",
        format!("account B's webhook is invisible to account A, and A's delete answered {}", delete.status),
    );
    outcome.evidence.notes.extend(notes);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields_are_redacted_even_when_cut_short() {
        assert_eq!(
            crate::redact::redact_text(r#"{"webhook_id":"w","secret":"whsec_abc","name":"n"}"#, &[]),
            r#"{"webhook_id":"w","secret":"[redacted]","name":"n"}"#
        );
        assert_eq!(
            crate::redact::redact_text(r#"[{"secret" : "a\"b"},{"secret":"c"}]"#, &[]),
            r#"[{"secret" : "[redacted]"},{"secret":"[redacted]"}]"#
        );
        assert_eq!(crate::redact::redact_text(r#"{"secret":"whsec_cut"#, &[]), r#"{"secret":"[redacted]"#);
        assert_eq!(
            crate::redact::redact_text(r#"{"secret":null,"x":"secret"}"#, &[]),
            r#"{"secret":null,"x":"secret"}"#
        );
        let mut exchange = Exchange { body_excerpt: Some("token whsec_x1 again".into()), ..Exchange::default() };
        redact_secrets(&mut exchange, Some("whsec_x1"));
        assert_eq!(exchange.body_excerpt.as_deref(), Some("token [redacted] again"));
    }

    #[test]
    fn only_404_and_403_are_denials() {
        assert!(is_denied(404) && is_denied(403));
        assert!(!is_denied(200) && !is_denied(401) && !is_denied(500));
    }
}
