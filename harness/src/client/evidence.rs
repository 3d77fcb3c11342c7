//! Evidence: what of an exchange a report keeps (a body excerpt, the token's claims, the ends of a
//! long walk) with the credential redacted, and short excerpts of JSON for messages.

use contract::Secret;
use serde_json::Value;
use suites::{Exchange, TokenView};

/// At most this much of a body is kept as evidence.
pub const EXCERPT_BYTES: usize = 4096;

/// At most 300 characters of a JSON value, for a message that shows what the vendor returned.
pub(super) fn json_excerpt(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= 300 { text } else { format!("{}…", text.chars().take(300).collect::<String>()) }
}

/// A JSON Pointer as a message shows it (the whole document is `/`).
pub(super) fn pointer_shown(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

/// Evidence keeps the first and the last few exchanges of a long walk.
pub(super) fn keep_last(mut exchanges: Vec<Exchange>) -> Vec<Exchange> {
    if exchanges.len() > 4 {
        exchanges.drain(1..exchanges.len() - 3);
    }
    exchanges
}

/// A token's header and claims, signature elided.
pub fn token_view(token: &Secret) -> Option<TokenView> {
    let decoded = contract::token::decode_unverified(token.expose()).ok()?;
    Some(TokenView {
        header: Value::Object(decoded.header),
        claims: Value::Object(decoded.claims),
        signature: "[elided]".into(),
    })
}

/// Removes the token from text the vendor sent back (an echo must not leak it into a report).
pub(super) fn redact(text: &str, token: &Secret) -> String {
    if token.is_empty() { text.to_owned() } else { text.replace(token.expose(), "[redacted]") }
}

pub(super) fn excerpt(exchange: &mut Exchange, body: &[u8], token: &Secret) {
    exchange.body_bytes = body.len() as u64;
    exchange.truncated = body.len() > EXCERPT_BYTES;
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    exchange.body_excerpt = (!body.is_empty()).then(|| redact(&String::from_utf8_lossy(cut), token));
}

/// `Authorization` as evidence shows it: the scheme, and the credential redacted.
pub(super) fn redacted_authorization(header: &Secret) -> String {
    match header.expose().split_once(' ') {
        Some((scheme, _)) if scheme.len() <= 16 => format!("{scheme} [redacted]"),
        _ if header.is_empty() => String::new(),
        _ => "[redacted]".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_are_redacted_in_evidence() {
        assert_eq!(redacted_authorization(&Secret::new("Bearer abc.def.ghi")), "Bearer [redacted]");
        assert_eq!(redacted_authorization(&Secret::new("garbage")), "[redacted]");
        assert_eq!(redacted_authorization(&Secret::new("")), "");
    }

    #[test]
    fn long_walks_keep_their_ends_as_evidence() {
        let ex = |i: usize| Exchange { url: i.to_string(), ..Exchange::default() };
        let kept: Vec<String> = keep_last((0..10).map(ex).collect()).into_iter().map(|e| e.url).collect();
        assert_eq!(kept, ["0", "7", "8", "9"]);
    }
}
