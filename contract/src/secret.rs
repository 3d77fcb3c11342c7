//! `Secret`: a string that must never reach a log line, a report or a snapshot.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A private key, webhook secret or bearer token.
///
/// `Debug` and `Display` print `[redacted]`, so a secret that slips into a `tracing` field, an
/// error message or a `{:?}` of a larger struct leaks nothing. Reading the value takes an explicit
/// [`Secret::expose`] call, which is easy to grep for. It serialises transparently because the
/// wire needs it (a webhook-created response carries its secret once, credentials files carry keys);
/// report types must therefore never hold a `Secret`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret's value. Call only where the value is used (signing, a header, a file).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("whsec_abc123");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            secret: Secret,
        }
        let held = format!("{:?}", Holder { secret: s.clone() });
        assert!(!held.contains("whsec_abc123"), "{held}");
        assert_eq!(s.expose(), "whsec_abc123");
    }

    #[test]
    fn serialises_transparently_for_the_wire() {
        let s = Secret::new("k");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"k\"");
        let back: Secret = serde_json::from_str("\"k\"").unwrap();
        assert_eq!(back, s);
    }
}
