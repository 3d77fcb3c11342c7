//! Webhook signatures (CONTRACT.md §7, MAP-2): signing and verifying over raw bytes.
//!
//! A signature *format* is data, not code: the header that carries it, a value template
//! (`sha256={sig}`, `{sig}`, `{ts}|{sig}`), the encoding (hex or base64), the signed-content
//! template (`{body}`, `{ts}.{body}`, `{body}|{ts}`), the timestamp header (or none) and the
//! tolerance. The contract's two schemes, `body` and `timestamped`, are two values of it; a vendor
//! profile describes any other format without new code.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The contract's signature header.
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";
/// The contract's timestamp header (unix seconds).
pub const TIMESTAMP_HEADER: &str = "X-Webhook-Timestamp";
/// SIG-2: a delivery's timestamp is within this many seconds of the receiver's clock.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;
/// An HMAC-SHA256 is 32 bytes.
const MAC_LEN: usize = 32;

/// The contract's two schemes (CONTRACT.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// HMAC-SHA256 over the raw body: the guide's literal default. The timestamp is unsigned.
    Body,
    /// HMAC-SHA256 over `<timestamp>.<raw body>` (Stripe, Slack, Standard Webhooks).
    Timestamped,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Body => "body",
            Self::Timestamped => "timestamped",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "body" => Ok(Self::Body),
            "timestamped" => Ok(Self::Timestamped),
            other => Err(format!("unknown signature scheme `{other}` (expected `body` or `timestamped`)")),
        }
    }
}

/// How the MAC bytes are written in the header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SigEncoding {
    /// Lowercase when signing; either case when verifying.
    Hex,
    /// Standard alphabet with padding when signing; padded or not when verifying.
    Base64,
}

impl fmt::Display for SigEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Hex => "hex",
            Self::Base64 => "base64",
        })
    }
}

/// A webhook signature format, as data (MAP-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFormat {
    /// The header carrying the signature.
    pub header: String,
    /// The header value: `{sig}` once, `{ts}` at most once, the rest literal.
    pub value_template: String,
    pub encoding: SigEncoding,
    /// What is MACed: `{body}` once (the raw bytes), `{ts}` at most once.
    pub signed_content: String,
    /// The header carrying the unix-seconds timestamp, when it is not inside the value.
    #[serde(default)]
    pub timestamp_header: Option<String>,
    /// Maximum distance between the timestamp and the receiver's clock; `None` disables the check.
    #[serde(default)]
    pub tolerance_secs: Option<u64>,
    /// Separator between several values in one header (secret rotation, SIG-4).
    #[serde(default)]
    pub value_separator: Option<String>,
}

/// A format that cannot work (found when a profile is loaded, not at the first delivery).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("value template `{0}` must contain `{{sig}}` exactly once")]
    SigPlaceholder(String),
    #[error("signed-content template `{0}` must contain `{{body}}` exactly once")]
    BodyPlaceholder(String),
    #[error("template `{0}` has `{{ts}}` more than once")]
    TsPlaceholder(String),
    #[error("template `{0}` puts two placeholders side by side, so they cannot be told apart")]
    AdjacentPlaceholders(String),
    #[error(
        "the signed content uses `{{ts}}` but the format has no timestamp (no `{{ts}}` in the value, no timestamp header)"
    )]
    NoTimestampSource,
}

/// One failure mode of verification each (CONTRACT.md §7, RPL-1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing `{0}` header")]
    MissingHeader(String),
    #[error("malformed signature header `{0}`")]
    MalformedHeader(String),
    #[error("unknown signature prefix `{0}`")]
    UnknownPrefix(String),
    #[error("signature is not valid {0}")]
    BadEncoding(SigEncoding),
    #[error("signature is {found} bytes long, expected {MAC_LEN}")]
    WrongLength { found: usize },
    #[error("signature does not match the body")]
    Mismatch,
    #[error("missing timestamp")]
    MissingTimestamp,
    #[error("timestamp `{0}` is not unix seconds")]
    UnparsableTimestamp(String),
    #[error("timestamp is {skew} s away from the receiver's clock (tolerance {tolerance} s)")]
    OutsideTolerance { skew: i64, tolerance: u64 },
}

/// What a successful verification established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The delivery's timestamp, when the format carries one.
    pub timestamp: Option<i64>,
    /// Index into the secrets passed to [`SignatureFormat::verify`] of the one that matched.
    pub secret_index: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Sig,
    Ts,
    Body,
}

fn parse_template(template: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut rest = template;
    let mut lit = String::new();
    while !rest.is_empty() {
        let hit = [("{sig}", Seg::Sig), ("{ts}", Seg::Ts), ("{body}", Seg::Body)]
            .into_iter()
            .find(|(p, _)| rest.starts_with(p));
        match hit {
            Some((p, seg)) => {
                if !lit.is_empty() {
                    segs.push(Seg::Lit(std::mem::take(&mut lit)));
                }
                segs.push(seg);
                rest = &rest[p.len()..];
            }
            None => {
                let c = rest.chars().next().expect("rest is not empty");
                lit.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !lit.is_empty() {
        segs.push(Seg::Lit(lit));
    }
    segs
}

fn count(segs: &[Seg], which: &Seg) -> usize {
    segs.iter().filter(|s| *s == which).count()
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

impl SignatureFormat {
    /// The contract's own format for `scheme`: `X-Webhook-Signature: sha256=<hex>` plus
    /// `X-Webhook-Timestamp`, 300 s tolerance, comma-separated values during rotation.
    pub fn canonical(scheme: Scheme) -> Self {
        Self {
            header: SIGNATURE_HEADER.to_owned(),
            value_template: "sha256={sig}".to_owned(),
            encoding: SigEncoding::Hex,
            signed_content: match scheme {
                Scheme::Body => "{body}",
                Scheme::Timestamped => "{ts}.{body}",
            }
            .to_owned(),
            timestamp_header: Some(TIMESTAMP_HEADER.to_owned()),
            tolerance_secs: Some(DEFAULT_TOLERANCE_SECS),
            value_separator: Some(",".to_owned()),
        }
    }

    /// Checks the templates once, so that a broken profile fails at load time.
    pub fn validate(&self) -> Result<(), FormatError> {
        let value = parse_template(&self.value_template);
        let content = parse_template(&self.signed_content);
        if count(&value, &Seg::Sig) != 1 {
            return Err(FormatError::SigPlaceholder(self.value_template.clone()));
        }
        if count(&content, &Seg::Body) != 1 || count(&value, &Seg::Body) != 0 {
            return Err(FormatError::BodyPlaceholder(self.signed_content.clone()));
        }
        for (template, segs) in [(&self.value_template, &value), (&self.signed_content, &content)] {
            if count(segs, &Seg::Ts) > 1 {
                return Err(FormatError::TsPlaceholder(template.clone()));
            }
        }
        if value.windows(2).any(|w| !matches!(w[0], Seg::Lit(_)) && !matches!(w[1], Seg::Lit(_))) {
            return Err(FormatError::AdjacentPlaceholders(self.value_template.clone()));
        }
        if count(&content, &Seg::Ts) == 1 && !self.has_timestamp() {
            return Err(FormatError::NoTimestampSource);
        }
        Ok(())
    }

    /// Whether a delivery in this format carries a timestamp at all.
    pub fn has_timestamp(&self) -> bool {
        self.timestamp_header.is_some() || count(&parse_template(&self.value_template), &Seg::Ts) == 1
    }

    /// Whether the timestamp is inside the signed content (SIG-3): without it a captured delivery
    /// can be resent with a fresh timestamp and still verify.
    pub fn binds_timestamp(&self) -> bool {
        count(&parse_template(&self.signed_content), &Seg::Ts) == 1
    }

    /// The exact bytes that are MACed.
    pub fn signed_bytes(&self, body: &[u8], timestamp: i64) -> Vec<u8> {
        let ts = timestamp.to_string();
        let mut out = Vec::with_capacity(body.len() + 24);
        for seg in parse_template(&self.signed_content) {
            match seg {
                Seg::Lit(l) => out.extend_from_slice(l.as_bytes()),
                Seg::Ts => out.extend_from_slice(ts.as_bytes()),
                Seg::Body => out.extend_from_slice(body),
                Seg::Sig => {}
            }
        }
        out
    }

    fn mac(secret: &Secret, message: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes a key of any length");
        mac.update(message);
        mac
    }

    fn encode(&self, bytes: &[u8]) -> String {
        match self.encoding {
            SigEncoding::Hex => hex::encode(bytes),
            SigEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    pub(crate) fn decode(&self, text: &str) -> Result<Vec<u8>, SignatureError> {
        let decoded = match self.encoding {
            SigEncoding::Hex => hex::decode(text).ok(),
            SigEncoding::Base64 => base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .ok(),
        };
        decoded.ok_or(SignatureError::BadEncoding(self.encoding))
    }

    fn render_value(&self, sig: &str, timestamp: i64) -> String {
        parse_template(&self.value_template)
            .into_iter()
            .map(|seg| match seg {
                Seg::Lit(l) => l,
                Seg::Sig => sig.to_owned(),
                Seg::Ts => timestamp.to_string(),
                Seg::Body => String::new(),
            })
            .collect()
    }

    /// The headers of a delivery of `body` at `timestamp`, signed with `secret`.
    pub fn sign(&self, secret: &Secret, body: &[u8], timestamp: i64) -> Vec<(String, String)> {
        self.sign_with_all(&[secret], body, timestamp)
    }

    /// Signs with every secret (rotation, SIG-4): one value per secret, joined by the separator.
    pub fn sign_with_all(&self, secrets: &[&Secret], body: &[u8], timestamp: i64) -> Vec<(String, String)> {
        let message = self.signed_bytes(body, timestamp);
        let separator = self.value_separator.as_deref().unwrap_or(",");
        let value = secrets
            .iter()
            .map(|s| self.render_value(&self.encode(&Self::mac(s, &message).finalize().into_bytes()), timestamp))
            .collect::<Vec<_>>()
            .join(separator);
        let mut headers = vec![(self.header.clone(), value)];
        if let Some(ts_header) = &self.timestamp_header {
            headers.push((ts_header.clone(), timestamp.to_string()));
        }
        headers
    }

    /// Splits one header value along the template into (signature text, timestamp text).
    pub(crate) fn split_value<'v>(&self, value: &'v str) -> Result<(&'v str, Option<&'v str>), SignatureError> {
        let segs = parse_template(&self.value_template);
        let malformed = || SignatureError::MalformedHeader(truncate(value));
        let mut rest = value;
        let (mut sig, mut ts) = (None, None);
        for (i, seg) in segs.iter().enumerate() {
            match seg {
                Seg::Lit(lit) => {
                    let head = rest.get(..lit.len()).filter(|h| h.eq_ignore_ascii_case(lit));
                    match head {
                        Some(_) => rest = &rest[lit.len()..],
                        None if i == 0 && lit.ends_with('=') => {
                            return Err(match rest.find('=') {
                                Some(pos) => SignatureError::UnknownPrefix(truncate(&rest[..=pos])),
                                None => malformed(),
                            });
                        }
                        None => return Err(malformed()),
                    }
                }
                placeholder => {
                    let end = match segs.get(i + 1) {
                        Some(Seg::Lit(next)) => rest.find(next.as_str()).ok_or_else(malformed)?,
                        _ => rest.len(),
                    };
                    let (taken, after) = rest.split_at(end);
                    if taken.is_empty() {
                        return Err(malformed());
                    }
                    match placeholder {
                        Seg::Sig => sig = Some(taken),
                        _ => ts = Some(taken),
                    }
                    rest = after;
                }
            }
        }
        if !rest.is_empty() {
            return Err(malformed());
        }
        Ok((sig.ok_or_else(malformed)?, ts))
    }

    /// A delivery's timestamp as this format carries it (its own header, or inside the first
    /// signature value), read without verifying anything: SIG-2 judges the timestamp by itself,
    /// whether or not the signature verifies.
    pub fn read_timestamp<'h>(&self, header: impl Fn(&str) -> Option<&'h str>) -> Result<i64, SignatureError> {
        let text = if count(&parse_template(&self.value_template), &Seg::Ts) == 1 {
            let raw = header(&self.header).ok_or_else(|| SignatureError::MissingHeader(self.header.clone()))?;
            let first = match &self.value_separator {
                Some(sep) if !sep.is_empty() => raw.split(sep.as_str()).next().unwrap_or_default(),
                _ => raw,
            };
            self.split_value(first.trim())?.1
        } else {
            self.timestamp_header.as_deref().and_then(&header)
        };
        let text = text.ok_or(SignatureError::MissingTimestamp)?;
        text.trim().parse::<i64>().map_err(|_| SignatureError::UnparsableTimestamp(truncate(text)))
    }

    /// Verifies one delivery over its raw `body`, trying every value in the header against every
    /// secret. `header` looks a header up by name (case-insensitively, as HTTP does); `now` is the
    /// receiver's clock in unix seconds. The MAC comparison is constant-time.
    pub fn verify<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
        secrets: &[&Secret],
        now: i64,
    ) -> Result<Verified, SignatureError> {
        let raw = header(&self.header).ok_or_else(|| SignatureError::MissingHeader(self.header.clone()))?;
        let values: Vec<&str> = match &self.value_separator {
            Some(sep) if !sep.is_empty() => raw.split(sep.as_str()).map(str::trim).collect(),
            _ => vec![raw.trim()],
        };
        let mut first_error = None;
        for value in values {
            match self.verify_value(value, &header, body, secrets, now) {
                Ok(verified) => return Ok(verified),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| SignatureError::MalformedHeader(String::new())))
    }

    fn verify_value<'h>(
        &self,
        value: &str,
        header: &impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
        secrets: &[&Secret],
        now: i64,
    ) -> Result<Verified, SignatureError> {
        let (sig_text, ts_in_value) = self.split_value(value)?;
        let ts_text = match (ts_in_value, &self.timestamp_header) {
            (Some(ts), _) => Some(ts),
            (None, Some(name)) => header(name),
            (None, None) => None,
        };
        let parse = |t: &str| t.trim().parse::<i64>().map_err(|_| SignatureError::UnparsableTimestamp(truncate(t)));
        // A format that signs the body alone verifies without its timestamp (SIG-1); a missing or
        // unreadable timestamp is then only the window's business (SIG-2), judged below.
        let signed_ts =
            if self.binds_timestamp() { Some(parse(ts_text.ok_or(SignatureError::MissingTimestamp)?)?) } else { None };
        let mac = self.decode(sig_text.trim())?;
        if mac.len() != MAC_LEN {
            return Err(SignatureError::WrongLength { found: mac.len() });
        }
        let message = self.signed_bytes(body, signed_ts.unwrap_or_default());
        let secret_index = secrets
            .iter()
            .position(|s| Self::mac(s, &message).verify_slice(&mac).is_ok())
            .ok_or(SignatureError::Mismatch)?;
        let timestamp = match (signed_ts, self.tolerance_secs) {
            (Some(ts), _) => Some(ts),
            // The window is enforced: a format that carries a timestamp must carry a readable one.
            (None, Some(_)) if self.has_timestamp() => Some(parse(ts_text.ok_or(SignatureError::MissingTimestamp)?)?),
            (None, _) => ts_text.and_then(|t| parse(t).ok()),
        };
        if let (Some(ts), Some(tolerance)) = (timestamp, self.tolerance_secs) {
            let skew = now.saturating_sub(ts);
            if skew.unsigned_abs() > tolerance {
                return Err(SignatureError::OutsideTolerance { skew, tolerance });
            }
        }
        Ok(Verified { timestamp, secret_index })
    }

    /// This format with the timestamp window off: what verifies here has a right MAC, whatever
    /// its timestamp says (SIG-1 apart from SIG-2). Under a format that signs the body alone, a
    /// missing timestamp does not stop it verifying.
    pub fn without_window(&self) -> SignatureFormat {
        SignatureFormat { tolerance_secs: None, ..self.clone() }
    }

    /// This format signing the raw body alone (the contract's scheme `body` in this format's
    /// header and encoding): a delivery that verifies here meets SIG-1 even when the format
    /// declares a timestamp in the signed content (SIG-3 reports that weakness).
    pub fn body_only(&self) -> SignatureFormat {
        SignatureFormat { signed_content: "{body}".to_owned(), ..self.clone() }
    }
}

/// A vendor format for tests: `<header>: {ts}|{hex}` over `{body}|{ts}`, 300 s tolerance.
#[cfg(test)]
pub(crate) fn pipe_format(header: &str) -> SignatureFormat {
    SignatureFormat {
        header: header.into(),
        value_template: "{ts}|{sig}".into(),
        encoding: SigEncoding::Hex,
        signed_content: "{body}|{ts}".into(),
        timestamp_header: None,
        tolerance_secs: Some(300),
        value_separator: None,
    }
}

#[cfg(test)]
mod tests;
