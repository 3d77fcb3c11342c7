//! Secrets out of evidence: webhook secrets a vendor issued, and the string value of every JSON
//! member whose name says it holds a secret, wherever a vendor shows one (even in an excerpt cut
//! in the middle of it). Every check that keeps an exchange carrying a webhook's create or list
//! answer passes it through here.

use serde_json::{Value, json};

use crate::outcome::Exchange;

/// Whether a JSON member's name says it holds a secret (`secret`, `webhook_secret`,
/// `signingSecret`, `signing_key`, ...): its string value never reaches evidence.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("secret")
        || name.ends_with("key")
        || matches!(name.as_str(), "access_token" | "refresh_token" | "id_token" | "password")
}

/// The end (exclusive, in bytes) of the JSON string whose content starts at `text[0]`: the
/// closing quote's index, or the text's length when the text is cut inside the string.
fn string_end(text: &str) -> usize {
    let mut escaped = false;
    for (i, ch) in text.char_indices() {
        match ch {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i,
            _ => {}
        }
    }
    text.len()
}

/// Replaces in `text` every occurrence of each secret, and the string value of every JSON
/// member whose name says it holds a secret ([`is_secret_name`]), even when the text is cut in
/// the middle of it (an excerpt).
pub fn redact_text(text: &str, secrets: &[&str]) -> String {
    redact_text_with(text, secrets, |_| "[redacted]".to_owned())
}

/// [`redact_text`] with each redacted value shown as `shown` makes it (a digest, say; the value
/// may be the start of a secret when the text is cut inside it).
pub fn redact_text_with(text: &str, secrets: &[&str], shown: impl Fn(&str) -> String) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if text.contains(secret) {
            text = text.replace(secret, &shown(secret));
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('"') {
        // One JSON string, copied as is.
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let end = string_end(inner);
        let name = &inner[..end];
        out.push_str(name);
        let Some(after) = inner[end..].strip_prefix('"') else {
            rest = "";
            break;
        };
        out.push('"');
        rest = after;
        // A member name with a secret-like name, then `:` and a string value: redact the value.
        let value = rest.trim_start().strip_prefix(':').map(str::trim_start).and_then(|v| v.strip_prefix('"'));
        let Some(value) = value.filter(|_| is_secret_name(name)) else { continue };
        out.push_str(&rest[..rest.len() - value.len()]);
        let end = string_end(value);
        match &value[..end] {
            "" => {}
            // Already redacted (a known secret replaced above): kept as it reads.
            done if done.starts_with("[redacted") => out.push_str(done),
            secret => out.push_str(&shown(secret)),
        }
        rest = &value[end..];
        if let Some(after) = rest.strip_prefix('"') {
            out.push('"');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Redacts an exchange's bodies (see [`redact_text`]).
pub fn redact_exchange(exchange: &mut Exchange, secrets: &[&str]) {
    for text in [exchange.body_excerpt.as_mut(), exchange.request_body.as_mut()].into_iter().flatten() {
        *text = redact_text(text, secrets);
    }
    // A request body holding a secret the integrator chose (`sharedSecret`) is in the reproduce
    // command too.
    exchange.reproduce = redact_text(&exchange.reproduce, secrets);
}

/// A JSON value with the value of every secret-like member ([`is_secret_name`]) replaced.
pub fn redact_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_name(k) && v.is_string() { json!("[redacted]") } else { redact_json(v) };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
    }
}

/// Every string value of a secret-like member ([`is_secret_name`]), anywhere in `value`.
pub fn secrets_in(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match v {
                        Value::String(s) if is_secret_name(k) => found.push(s.clone()),
                        _ => stack.push(v),
                    }
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_even_when_cut() {
        let text = r#"{"webhooks":[{"webhook_id":"w1","secret":"whsec_abc"},{"webhook_id":"w2","secret" : "whsec_de"#;
        let out = redact_text(text, &[]);
        assert!(!out.contains("whsec_abc") && !out.contains("whsec_de"), "{out}");
        assert_eq!(out.matches("[redacted]").count(), 2, "{out}");
        assert_eq!(redact_text("token whsec_x here", &["whsec_x"]), "token [redacted] here");
        assert_eq!(redact_text(r#"{"secret":"a\"b","x":1}"#, &[]), r#"{"secret":"[redacted]","x":1}"#);
        assert_eq!(redact_text(r#"{"secret":null}"#, &[]), r#"{"secret":null}"#);
        assert_eq!(
            redact_text(r#"{"signing_key": "k1", "name": "secret", "webhookSecret":"#, &[]),
            r#"{"signing_key": "[redacted]", "name": "secret", "webhookSecret":"#
        );
        assert_eq!(redact_text(r#"{"webhook_secret":"abc"#, &[]), r#"{"webhook_secret":"[redacted]"#);
    }

    #[test]
    fn json_secrets_are_found_and_redacted() {
        let v = json!({"webhooks": [{"secret": "s1"}, {"nested": {"secret": "s2"}}]});
        let mut found = secrets_in(&v);
        found.sort();
        assert_eq!(found, ["s1", "s2"]);
        assert!(!redact_json(&v).to_string().contains("s1"));
    }
}
