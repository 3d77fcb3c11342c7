//! Which common mistake explains a webhook signature that does not verify (SIG-1, SIG-2): the
//! vendor engineer's question while fixing signatures. [`diagnose`] re-signs the delivery each
//! common wrong way (the body re-serialised, the other encoding, the secret's prefix or base64,
//! the timestamp in milliseconds, the timestamp left out of or put into the signed content, another
//! secret of the account) and names the first one whose MAC matches the one delivered.
//!
//! Its cost is bounded because the receiver runs it for every invalid delivery, forged ones
//! included: nothing is tried unless the signature header parses into a MAC of the right length,
//! bodies over [`MAX_BODY`] are not tried at all, and the trials are a fixed list (at most
//! [`MAX_SECRETS`] secrets and [`MAX_OTHERS`] other secrets, so at most a few dozen HMACs).

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;
use crate::signature::{SigEncoding, SignatureFormat};

/// Bodies larger than this are not diagnosed (each trial MACs the whole body again).
pub const MAX_BODY: usize = 256 * 1024;
/// The webhook's own secrets tried (rotation gives two).
pub const MAX_SECRETS: usize = 3;
/// Other secrets of the account tried.
pub const MAX_OTHERS: usize = 4;
/// A timestamp at least this large is milliseconds, not seconds (year 5138 in seconds).
const MILLIS_FROM: i64 = 100_000_000_000;
/// The signed-content templates vendors use, tried when the declared one does not match.
const TEMPLATES: [&str; 4] = ["{ts}.{body}", "{body}|{ts}", "{ts}{body}", "{body}.{ts}"];
const MAC_LEN: usize = 32;
const PREFIX: &str = "whsec_";

/// How a body was re-serialised before it was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStyle {
    /// `,` and `:` with no whitespace, keys in order (serde_json, `JSON.stringify`).
    Compact,
    /// Two-space indentation (serde_json's pretty printer, `JSON.stringify(v, null, 2)`).
    Pretty,
    /// Python's `json.dumps` defaults: `, ` and `: ` separators, non-ASCII escaped as `\uXXXX`.
    Python,
    /// Compact with keys sorted (Go's `json.Marshal` of a map, `sort_keys=True`).
    SortedCompact,
}

impl JsonStyle {
    const ALL: [JsonStyle; 4] = [Self::Compact, Self::Python, Self::Pretty, Self::SortedCompact];
}

impl fmt::Display for JsonStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Compact => "compact JSON (`,` and `:` with no spaces, as serde_json or JSON.stringify write it)",
            Self::Pretty => "pretty-printed JSON (two-space indentation)",
            Self::Python => "Python `json.dumps` default JSON (`, ` and `: ` separators, non-ASCII escaped)",
            Self::SortedCompact => "compact JSON with sorted keys (as Go marshals a map)",
        })
    }
}

/// A common way of signing wrongly, found to match the delivered MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mistake {
    /// The MAC is over the body serialised again, not over the bytes that were sent.
    Reserialised(JsonStyle),
    /// The MAC bytes are right but written in the other encoding.
    Encoding { used: SigEncoding, declared: SigEncoding },
    /// Keyed by the secret without its `whsec_` prefix.
    SecretWithoutPrefix,
    /// Keyed by `whsec_` and the secret.
    SecretWithPrefix,
    /// Keyed by the secret (or its part after `whsec_`) base64-decoded.
    SecretBase64Decoded,
    /// The MAC is right, but the timestamp is in milliseconds, so it falls outside the window.
    TimestampMillis,
    /// The signed content has the timestamp in milliseconds, the delivery carries seconds.
    SignedMillis,
    /// The delivery carries the timestamp in milliseconds, the signed content has seconds.
    CarriedMillis,
    /// The signed content is the body alone, though the format declares a timestamp in it.
    WithoutTimestamp { declared: String },
    /// The signed content has the timestamp in another place than declared (or at all).
    SignedContent { used: String, declared: String },
    /// Keyed by another secret of the account.
    OtherSecret,
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reserialised(style) => write!(
                f,
                "the MAC is over the body re-serialised as {style}, not over the raw bytes delivered: sign the exact bytes you send"
            ),
            Self::Encoding { used, declared } => {
                write!(f, "the MAC is right but written in {used}; the format declares {declared}")
            }
            Self::SecretWithoutPrefix => write!(
                f,
                "the MAC is keyed by the secret without its `whsec_` prefix; the key is the secret exactly as issued, prefix included"
            ),
            Self::SecretWithPrefix => write!(
                f,
                "the MAC is keyed by `whsec_` and the secret; the key is the secret exactly as issued, with no prefix added"
            ),
            Self::SecretBase64Decoded => write!(
                f,
                "the MAC is keyed by the secret base64-decoded; the key is the secret's UTF-8 bytes (`whsec_...` is not base64-decoded)"
            ),
            Self::TimestampMillis => {
                write!(f, "the MAC is right but the timestamp is in milliseconds; it must be unix seconds (SIG-2)")
            }
            Self::SignedMillis => write!(
                f,
                "the signed content has the timestamp in milliseconds while the delivery carries seconds; sign the unix seconds you send"
            ),
            Self::CarriedMillis => write!(
                f,
                "the delivery carries the timestamp in milliseconds while the signed content has seconds; send unix seconds (SIG-2)"
            ),
            Self::WithoutTimestamp { declared } => {
                write!(f, "the MAC is over the body alone, without the timestamp; the format signs `{declared}`")
            }
            Self::SignedContent { used, declared } => {
                write!(f, "the MAC is over `{used}`; the format signs `{declared}`")
            }
            Self::OtherSecret => write!(
                f,
                "the MAC is keyed by another secret of the account, not this webhook's (each webhook has its own secret)"
            ),
        }
    }
}

impl Mistake {
    /// `likely cause: ...`, the phrase every output of a diagnosis uses.
    pub fn likely_cause(&self) -> String {
        format!("likely cause: {self}")
    }
}

/// `reason`, followed by the likely cause when one was found.
pub fn with_likely_cause(reason: impl Into<String>, mistake: Option<&Mistake>) -> String {
    let reason = reason.into();
    match mistake {
        Some(m) => format!("{reason}; {}", m.likely_cause()),
        None => reason,
    }
}

fn mac_of(key: &[u8], message: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac
}

type HmacSha256 = Hmac<Sha256>;

fn matches(keys: &[Vec<u8>], message: &[u8], mac: &[u8]) -> bool {
    keys.iter().any(|k| mac_of(k, message).verify_slice(mac).is_ok())
}

fn other(encoding: SigEncoding) -> SigEncoding {
    match encoding {
        SigEncoding::Hex => SigEncoding::Base64,
        SigEncoding::Base64 => SigEncoding::Hex,
    }
}

fn decode_mac(format: &SignatureFormat, encoding: SigEncoding, text: &str) -> Option<Vec<u8>> {
    let f = SignatureFormat { encoding, ..format.clone() };
    f.decode(text.trim()).ok().filter(|m| m.len() == MAC_LEN)
}

fn base64_key(text: &str) -> Option<Vec<u8>> {
    let engines = [base64::engine::general_purpose::STANDARD, base64::engine::general_purpose::STANDARD_NO_PAD];
    engines.iter().find_map(|e| e.decode(text).ok()).filter(|k| !k.is_empty())
}

/// Which common mistake explains why the delivery (`header`, raw `body`) does not verify under
/// `format` with `secrets` (the webhook's own), if one does. `others` are other secrets of the
/// same account. `now` is the receiver's clock (unix seconds). `None` when the header does not
/// parse, the body is too large, nothing matches, or the signature is right as it is and only
/// the window failed for another reason than milliseconds.
pub fn diagnose<'h>(
    format: &SignatureFormat,
    header: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
    secrets: &[&Secret],
    others: &[&Secret],
    now: i64,
) -> Option<Mistake> {
    if body.len() > MAX_BODY {
        return None;
    }
    let raw = header(&format.header)?;
    let first = match &format.value_separator {
        Some(sep) if !sep.is_empty() => raw.split(sep.as_str()).next().unwrap_or_default(),
        _ => raw,
    };
    let (sig_text, ts_in_value) = format.split_value(first.trim()).ok()?;
    let ts_text = ts_in_value.or_else(|| format.timestamp_header.as_deref().and_then(&header));
    let ts = ts_text.and_then(|t| t.trim().parse::<i64>().ok());
    let keys: Vec<Vec<u8>> = secrets.iter().take(MAX_SECRETS).map(|s| s.expose().as_bytes().to_vec()).collect();
    let binds = format.binds_timestamp();
    // The declared content cannot be built when it binds a timestamp the delivery lacks.
    let declared = (!binds || ts.is_some()).then(|| format.signed_bytes(body, ts.unwrap_or_default()));

    let Some(mac) = decode_mac(format, format.encoding, sig_text) else {
        let used = other(format.encoding);
        let mac = decode_mac(format, used, sig_text)?;
        return declared
            .filter(|m| matches(&keys, m, &mac))
            .map(|_| Mistake::Encoding { used, declared: format.encoding });
    };

    if let Some(message) = &declared {
        if matches(&keys, message, &mac) {
            // The MAC is right: only the window can have failed.
            let millis = ts.is_some_and(|t| t >= MILLIS_FROM && (t / 1000 - now).abs() <= 86_400);
            return millis.then_some(Mistake::TimestampMillis);
        }
        for secret in secrets.iter().take(MAX_SECRETS) {
            let s = secret.expose();
            let mut variants = Vec::new();
            match s.strip_prefix(PREFIX) {
                Some(rest) => {
                    variants.push((rest.as_bytes().to_vec(), Mistake::SecretWithoutPrefix));
                    if let Some(k) = base64_key(rest) {
                        variants.push((k, Mistake::SecretBase64Decoded));
                    }
                }
                None => {
                    variants.push((format!("{PREFIX}{s}").into_bytes(), Mistake::SecretWithPrefix));
                    if let Some(k) = base64_key(s) {
                        variants.push((k, Mistake::SecretBase64Decoded));
                    }
                }
            }
            if let Some((_, mistake)) =
                variants.into_iter().find(|(k, _)| mac_of(k, message).verify_slice(&mac).is_ok())
            {
                return Some(mistake);
            }
        }
    }

    if let (Some(t), true) = (ts, binds) {
        let (other_ts, mistake) = if t >= MILLIS_FROM {
            (t / 1000, Mistake::CarriedMillis)
        } else {
            (t.saturating_mul(1000), Mistake::SignedMillis)
        };
        if matches(&keys, &format.signed_bytes(body, other_ts), &mac) {
            return Some(mistake);
        }
    }
    if binds && matches(&keys, body, &mac) {
        return Some(Mistake::WithoutTimestamp { declared: format.signed_content.clone() });
    }
    if let Some(t) = ts {
        for template in TEMPLATES.iter().filter(|t| **t != format.signed_content) {
            let f = SignatureFormat { signed_content: (*template).to_owned(), ..format.clone() };
            if matches(&keys, &f.signed_bytes(body, t), &mac) {
                return Some(Mistake::SignedContent {
                    used: (*template).to_owned(),
                    declared: format.signed_content.clone(),
                });
            }
        }
    }

    let declared = declared?;
    for style in JsonStyle::ALL {
        if let Some(again) = reserialise(body, style).filter(|b| b != body)
            && matches(&keys, &format.signed_bytes(&again, ts.unwrap_or_default()), &mac)
        {
            return Some(Mistake::Reserialised(style));
        }
    }
    let other_keys: Vec<Vec<u8>> = others
        .iter()
        .filter(|o| !secrets.iter().any(|s| s.expose() == o.expose()))
        .take(MAX_OTHERS)
        .map(|s| s.expose().as_bytes().to_vec())
        .collect();
    matches(&other_keys, &declared, &mac).then_some(Mistake::OtherSecret)
}

/// `body` (JSON) written again in `style`, keys in their order (but for
/// [`JsonStyle::SortedCompact`]); `None` when it is not JSON.
pub fn reserialise(body: &[u8], style: JsonStyle) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if style == JsonStyle::SortedCompact {
        // serde_json's map is ordered by key (no `preserve_order`), which is what this style wants.
        return serde_json::to_vec(&value).ok();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * 2));
    };
    let next_significant = |from: usize| chars[from..].iter().copied().find(|c| !c.is_whitespace());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '"' => {
                // Strings are decoded and written again as the serialiser writes them: escapes
                // (`\u00e9`, `\/`) are a serialiser's choice too.
                let start = i - 1;
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 2,
                        '"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                let token: String = chars[start..i.min(chars.len())].iter().collect();
                let decoded: String = serde_json::from_str(&token).ok()?;
                let written = serde_json::to_string(&decoded).ok()?;
                if style == JsonStyle::Python {
                    for c in written.chars() {
                        if c.is_ascii() {
                            out.push(c);
                        } else {
                            let mut units = [0u16; 2];
                            for unit in c.encode_utf16(&mut units) {
                                out.push_str(&format!("\\u{unit:04x}"));
                            }
                        }
                    }
                } else {
                    out.push_str(&written);
                }
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if next_significant(i) == Some(close) {
                    // Empty containers stay `{}` / `[]` in every style.
                    let at = chars[i..].iter().position(|&x| x == close).expect("found above");
                    i += at + 1;
                    out.push(close);
                } else {
                    depth += 1;
                    if style == JsonStyle::Pretty {
                        newline(&mut out, depth);
                    }
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if style == JsonStyle::Pretty {
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(',');
                match style {
                    JsonStyle::Pretty => newline(&mut out, depth),
                    JsonStyle::Python => out.push(' '),
                    _ => {}
                }
            }
            ':' => {
                out.push(':');
                if matches!(style, JsonStyle::Pretty | JsonStyle::Python) {
                    out.push(' ');
                }
            }
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Scheme;

    const NOW: i64 = 1_770_000_000;
    const BODY: &[u8] = r#"{"event_id":"e1","event_type":"device.status","data":{"name":"Café","tags":[]}}"#.as_bytes();

    fn lookup<'h>(headers: &'h [(String, String)]) -> impl Fn(&str) -> Option<&'h str> {
        move |name| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn secret() -> Secret {
        Secret::new("whsec_c2VjcmV0LWtleS1ieXRlcw==")
    }

    /// Headers signed by `signer` (the wrong way), then diagnosed under `format`.
    fn diagnosed(format: &SignatureFormat, headers: Vec<(String, String)>, body: &[u8]) -> Option<Mistake> {
        let s = secret();
        assert!(format.verify(lookup(&headers), body, &[&s], NOW).is_err(), "the wrong signature must not verify");
        diagnose(format, lookup(&headers), body, &[&s], &[], NOW)
    }

    fn with_ts(mut headers: Vec<(String, String)>, ts: i64) -> Vec<(String, String)> {
        for h in headers.iter_mut().filter(|(k, _)| k == crate::signature::TIMESTAMP_HEADER) {
            h.1 = ts.to_string();
        }
        headers
    }

    #[test]
    fn a_right_signature_has_no_mistake() {
        let f = SignatureFormat::canonical(Scheme::Timestamped);
        let headers = f.sign(&secret(), BODY, NOW);
        assert_eq!(diagnose(&f, lookup(&headers), BODY, &[&secret()], &[], NOW), None);
        // A stale timestamp in seconds is SIG-2's business, not a mistake to explain.
        let stale = f.sign(&secret(), BODY, NOW - 3600);
        assert_eq!(diagnose(&f, lookup(&stale), BODY, &[&secret()], &[], NOW), None);
    }

    #[test]
    fn a_forgery_or_a_header_that_does_not_parse_has_no_mistake() {
        let f = SignatureFormat::canonical(Scheme::Body);
        let forged = f.sign(&Secret::new("someone else"), BODY, NOW);
        assert_eq!(diagnosed(&f, forged, BODY), None);
        let garbled = vec![(f.header.clone(), "garbage".to_owned())];
        assert_eq!(diagnose(&f, lookup(&garbled), BODY, &[&secret()], &[], NOW), None);
        let short = vec![(f.header.clone(), "sha256=abcd".to_owned())];
        assert_eq!(diagnose(&f, lookup(&short), BODY, &[&secret()], &[], NOW), None);
    }

    #[test]
    fn a_re_serialised_body_is_named_with_its_style() {
        let f = SignatureFormat::canonical(Scheme::Timestamped);
        // What went on the wire: Python's `json.dumps` defaults; what was signed: compact.
        let sent = reserialise(BODY, JsonStyle::Python).unwrap();
        assert_eq!(
            String::from_utf8(sent.clone()).unwrap(),
            r#"{"event_id": "e1", "event_type": "device.status", "data": {"name": "Caf\u00e9", "tags": []}}"#
        );
        let signed = f.sign(&secret(), BODY, NOW);
        assert_eq!(diagnosed(&f, signed, &sent), Some(Mistake::Reserialised(JsonStyle::Compact)));
        // Sent compact, signed as Python writes it.
        let signed = f.sign(&secret(), &sent, NOW);
        assert_eq!(diagnosed(&f, signed, BODY), Some(Mistake::Reserialised(JsonStyle::Python)));
        // Signed pretty-printed, as serde_json writes it (keys in order here, so it agrees).
        let pretty = reserialise(BODY, JsonStyle::Pretty).unwrap();
        let ordered: serde_json::Value = serde_json::from_slice(br#"{"a":{"b":[1,2]},"c":{}}"#).unwrap();
        assert_eq!(
            reserialise(br#"{"a":{"b":[1,2]},"c":{}}"#, JsonStyle::Pretty).unwrap(),
            serde_json::to_vec_pretty(&ordered).unwrap()
        );
        let signed = f.sign(&secret(), &pretty, NOW);
        assert_eq!(diagnosed(&f, signed, BODY), Some(Mistake::Reserialised(JsonStyle::Pretty)));
        // Signed with sorted keys (a Go map).
        let sorted = reserialise(BODY, JsonStyle::SortedCompact).unwrap();
        let signed = f.sign(&secret(), &sorted, NOW);
        assert_eq!(diagnosed(&f, signed, BODY), Some(Mistake::Reserialised(JsonStyle::SortedCompact)));
    }

    #[test]
    fn the_other_encoding_is_named() {
        let hex = SignatureFormat::canonical(Scheme::Body);
        let base64 = SignatureFormat { encoding: SigEncoding::Base64, ..hex.clone() };
        assert_eq!(
            diagnosed(&hex, base64.sign(&secret(), BODY, NOW), BODY),
            Some(Mistake::Encoding { used: SigEncoding::Base64, declared: SigEncoding::Hex })
        );
        assert_eq!(
            diagnosed(&base64, hex.sign(&secret(), BODY, NOW), BODY),
            Some(Mistake::Encoding { used: SigEncoding::Hex, declared: SigEncoding::Base64 })
        );
    }

    #[test]
    fn the_secrets_prefix_and_base64_are_named() {
        let f = SignatureFormat::canonical(Scheme::Timestamped);
        let s = secret();
        let bare = Secret::new(s.expose().strip_prefix(PREFIX).unwrap());
        assert_eq!(diagnosed(&f, f.sign(&bare, BODY, NOW), BODY), Some(Mistake::SecretWithoutPrefix));
        let decoded = base64::engine::general_purpose::STANDARD.decode("c2VjcmV0LWtleS1ieXRlcw==").unwrap();
        let mut mac = HmacSha256::new_from_slice(&decoded).unwrap();
        mac.update(&f.signed_bytes(BODY, NOW));
        let headers = vec![
            (f.header.clone(), format!("sha256={}", hex::encode(mac.finalize().into_bytes()))),
            (crate::signature::TIMESTAMP_HEADER.to_owned(), NOW.to_string()),
        ];
        assert_eq!(diagnosed(&f, headers, BODY), Some(Mistake::SecretBase64Decoded));
        // A vendor whose secrets have no prefix, signing with one added.
        let plain = Secret::new("plainsecret");
        let headers = f.sign(&Secret::new("whsec_plainsecret"), BODY, NOW);
        assert_eq!(diagnose(&f, lookup(&headers), BODY, &[&plain], &[], NOW), Some(Mistake::SecretWithPrefix));
    }

    #[test]
    fn milliseconds_are_named_where_they_are() {
        let f = SignatureFormat::canonical(Scheme::Timestamped);
        let ms = NOW * 1000;
        // Carried and signed in milliseconds: the MAC is right, the window fails.
        assert_eq!(diagnosed(&f, f.sign(&secret(), BODY, ms), BODY), Some(Mistake::TimestampMillis));
        // Signed in milliseconds, carried in seconds.
        assert_eq!(diagnosed(&f, with_ts(f.sign(&secret(), BODY, ms), NOW), BODY), Some(Mistake::SignedMillis));
        // Carried in milliseconds, signed in seconds.
        assert_eq!(diagnosed(&f, with_ts(f.sign(&secret(), BODY, NOW), ms), BODY), Some(Mistake::CarriedMillis));
        // Under the body scheme a millisecond timestamp only breaks the window.
        let body = SignatureFormat::canonical(Scheme::Body);
        assert_eq!(diagnosed(&body, body.sign(&secret(), BODY, ms), BODY), Some(Mistake::TimestampMillis));
    }

    #[test]
    fn the_timestamp_left_out_or_put_in_is_named() {
        let timestamped = SignatureFormat::canonical(Scheme::Timestamped);
        let body = SignatureFormat::canonical(Scheme::Body);
        assert_eq!(
            diagnosed(&timestamped, with_ts(body.sign(&secret(), BODY, NOW), NOW), BODY),
            Some(Mistake::WithoutTimestamp { declared: "{ts}.{body}".into() })
        );
        assert_eq!(
            diagnosed(&body, timestamped.sign(&secret(), BODY, NOW), BODY),
            Some(Mistake::SignedContent { used: "{ts}.{body}".into(), declared: "{body}".into() })
        );
        // A vendor format (`{ts}|{sig}` over `{body}|{ts}`) signed Stripe's way.
        let cursor = crate::signature::pipe_format("X-Vendor-Signature");
        let stripe_way = SignatureFormat { signed_content: "{ts}.{body}".into(), ..cursor.clone() };
        assert_eq!(
            diagnosed(&cursor, stripe_way.sign(&secret(), BODY, NOW), BODY),
            Some(Mistake::SignedContent { used: "{ts}.{body}".into(), declared: "{body}|{ts}".into() })
        );
    }

    #[test]
    fn another_secret_of_the_account_is_named() {
        let f = SignatureFormat::canonical(Scheme::Timestamped);
        let sibling = Secret::new("whsec_another-webhooks-secret");
        let headers = f.sign(&sibling, BODY, NOW);
        let s = secret();
        assert_eq!(diagnose(&f, lookup(&headers), BODY, &[&s], &[&sibling], NOW), Some(Mistake::OtherSecret));
        assert_eq!(diagnose(&f, lookup(&headers), BODY, &[&s], &[], NOW), None);
    }

    #[test]
    fn large_bodies_are_not_diagnosed() {
        let f = SignatureFormat::canonical(Scheme::Body);
        let big = vec![b' '; MAX_BODY + 1];
        let headers = SignatureFormat { encoding: SigEncoding::Base64, ..f.clone() }.sign(&secret(), &big, NOW);
        assert_eq!(diagnose(&f, lookup(&headers), &big, &[&secret()], &[], NOW), None);
    }

    #[test]
    fn the_cause_reads_after_the_reason() {
        assert_eq!(with_likely_cause("signature does not match the body", None), "signature does not match the body");
        let text = with_likely_cause("signature does not match the body", Some(&Mistake::SecretWithoutPrefix));
        assert!(text.starts_with("signature does not match the body; likely cause: the MAC is keyed by"), "{text}");
    }
}
