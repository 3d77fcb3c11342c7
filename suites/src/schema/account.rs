//! The account (ACC-1) and the JSON bodies every answer of the sync carries.

use contract::SchemaId;

use super::collect::{Collector, unreadable, with_profile_notes};
use super::{ACC_1, JSON_BODIES};
use crate::context::Context;
use crate::outcome::{Evidence, Exchange, Finding, Outcome};

/// ACC-1: the account bound to the credential, `{"account_id", "name"}`.
pub async fn account(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let fetched = match &sync.account {
        Ok(f) => f,
        Err(e) => return unreadable(e, "the account could not be read", ACC_1),
    };
    let expected = "`GET account` answers an object with non-empty string `account_id` and `name`";
    let mut c = Collector::default();
    if let Err(all) = SchemaId::Account.validate(&fetched.record) {
        for v in all {
            c.add("account".into(), &v.instance_path, v.message, &fetched.record, Some(&fetched.exchange));
        }
    }
    let id = sync.account_id().unwrap_or_default();
    let outcome =
        c.finish(ACC_1, expected, format!("account {id} has an id and a name"), "schema violations in the account");
    let mut outcome = with_profile_notes(outcome, &fetched.exchange.notes);
    outcome.evidence.push_exchange(&fetched.exchange);
    outcome
}

/// Whether a media type is JSON: `application/json` or `application/<x>+json`, parameters allowed.
fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Every successful answer of the sync is JSON: ACC-1, SITE-1 and INV-1 say what the account,
/// sites and inventory endpoints return, and a body that is not JSON returns none of it. The
/// contract says nothing of `Content-Type`: a JSON body with another label passes, with a note.
pub async fn json_content_type(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let answered: Vec<&Exchange> =
        sync.exchanges().into_iter().filter(|e| e.status.is_some_and(|s| (200..300).contains(&s))).collect();
    if answered.is_empty() {
        return Outcome::skip("no request of the inventory sync was answered with a 2xx");
    }
    // A read fails as `InvalidJson` on the answer whose body did not parse: its last exchange.
    let reads = [sync.account.as_ref().err(), sync.sites.as_ref().err()]
        .into_iter()
        .chain(sync.inventories.iter().map(|i| i.result.as_ref().err()));
    let not_json: Vec<(&Exchange, &str)> = reads
        .flatten()
        .filter(|e| e.kind == crate::context::ApiErrorKind::InvalidJson)
        .filter_map(|e| e.exchanges.last().map(|x| (x, e.message.as_str())))
        .filter(|(x, _)| x.status.is_some_and(|s| (200..300).contains(&s)))
        .collect();
    let mut evidence = Evidence::default();
    for (e, why) in &not_json {
        evidence.push_exchange(e);
        evidence.push_finding(Finding {
            subject: format!("{} {}", e.method, e.url),
            pointer: String::new(),
            message: format!("a successful answer that is not JSON ({why})"),
            record: None,
            source: Some(e.url.clone()),
        });
    }
    let mut labels = Vec::new();
    for e in answered.iter().filter(|e| !not_json.iter().any(|(x, _)| std::ptr::eq(*x, **e))) {
        let content_type = e.response_header("content-type");
        if !content_type.is_some_and(is_json_media_type) {
            let shown = content_type.map_or("no Content-Type".into(), |c| format!("Content-Type `{c}`"));
            labels.push(format!(
                "{} {} answered JSON labelled with {shown}: the contract does not require the label, but clients that dispatch on it expect `application/json`",
                e.method, e.url
            ));
        }
    }
    let c = Collector { evidence };
    let mut outcome = c.finish(
        JSON_BODIES,
        "every 2xx answer of the account, sites and inventory endpoints is a JSON document",
        format!("{} answers were all JSON", answered.len()),
        "successful answers that are not JSON",
    );
    for note in labels.into_iter().take(crate::outcome::MAX_FINDINGS) {
        outcome = outcome.with_note(note);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type("application/problem+json"));
        assert!(!is_json_media_type("text/html"));
        assert!(!is_json_media_type("text/plain; charset=utf-8"));
    }
}
