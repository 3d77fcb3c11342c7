//! What a check returns: a status, what was expected and found, and the evidence.
//!
//! Evidence types hold no `Secret`: a token appears only as its decoded header and claims, with
//! the signature elided, and reproduce commands fetch a fresh token instead of embedding one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::meta::Level;

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    /// The vendor meets the requirement.
    #[serde(rename = "PASS")]
    Pass,
    /// The vendor does not (an advisory when the level is not MUST).
    #[serde(rename = "FAIL")]
    Fail,
    /// A precondition was missing; the reason says which.
    #[serde(rename = "SKIP")]
    Skip,
    /// The harness could not test (its own network error, a timeout, a bug): never the vendor's fault.
    #[serde(rename = "ERROR")]
    Error,
    /// A FAIL the integrator agreed to accept until a date (an agreed deviation). Never a check's
    /// own outcome: the harness sets it from the configuration's deviations after the check ran.
    #[serde(rename = "WAIVED")]
    Waived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Skip => "SKIP",
            Self::Error => "ERROR",
            Self::Waived => "WAIVED",
        }
    }

    /// Whether a failure at `level` is only an advisory.
    pub fn is_advisory(self, level: Level) -> bool {
        self == Self::Fail && level != Level::Must
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bearer token as evidence shows it: decoded header and claims, signature elided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub header: Value,
    pub claims: Value,
    /// Always `[elided]`.
    pub signature: String,
}

/// One HTTP exchange with the vendor, secrets redacted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// Request headers; `Authorization` reads `Bearer [redacted]`.
    pub request_headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// `None` when no response arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The start of the body (UTF-8, lossy), at most a few KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_excerpt: Option<String>,
    /// Bytes read (the whole body unless the size cap stopped the read).
    pub body_bytes: u64,
    /// Whether `body_excerpt` is shorter than the body.
    pub truncated: bool,
    pub elapsed_ms: u64,
    /// Transport error, when the exchange did not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the client did on its own (waited for `Retry-After`, stopped at the size cap, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// A shell command that repeats the request without any secret in it.
    pub reproduce: String,
}

impl Exchange {
    /// The value of a response header, by case-insensitive name.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One offending record (or document) and where in it the problem is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What the record is: `device 652efeac-… (site 5e66…)`.
    pub subject: String,
    /// JSON Pointer into `record` (`/site_id`); empty for the whole record.
    pub pointer: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Value>,
    /// The URL of the response the record came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Everything a reader needs to see why a check ended as it did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The first few offending records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// How many findings there were in all (`findings` keeps only the first few).
    #[serde(default)]
    pub total_findings: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// At most this many findings are kept as evidence; the count keeps the rest.
pub const MAX_FINDINGS: usize = 5;
/// At most this many exchanges are attached to one outcome.
pub const MAX_EXCHANGES: usize = 5;

impl Evidence {
    pub fn push_finding(&mut self, finding: Finding) {
        self.total_findings += 1;
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(finding);
        }
    }

    /// Attaches an exchange unless an identical one is attached or the cap is reached.
    pub fn push_exchange(&mut self, exchange: &Exchange) {
        if self.exchanges.len() < MAX_EXCHANGES && !self.exchanges.iter().any(|e| e == exchange) {
            self.exchanges.push(exchange.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.exchanges.is_empty() && self.notes.is_empty()
    }
}

/// The result of one check.
/// How a SKIP for a requirement that does not apply to the vendor's profile begins.
pub const NOT_APPLICABLE: &str = "not applicable to this vendor's profile";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub status: Status,
    /// One line: why it passed, failed, was skipped (the missing precondition) or errored.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Boxed: outcomes travel in `Result`s and should stay small.
    pub evidence: Box<Evidence>,
    /// A SKIP because the requirement does not apply to the vendor's profile
    /// ([`Outcome::not_applicable`]): a typed fact, kept whatever a check later does to the
    /// message (prefixing its rule, say).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_applicable: bool,
}

impl Outcome {
    /// A FAIL (the vendor answered unusably) prefixed with the requirement the request served;
    /// other outcomes as they are.
    pub fn citing(self, rule: &str) -> Self {
        if self.status == Status::Fail { Self { message: format!("{rule}: {}", self.message), ..self } } else { self }
    }

    fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            expected: None,
            actual: None,
            evidence: Box::default(),
            not_applicable: false,
        }
    }

    pub fn pass(message: impl Into<String>) -> Self {
        Self::new(Status::Pass, message)
    }

    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(Status::Fail, message)
    }

    pub fn skip(missing_precondition: impl Into<String>) -> Self {
        Self::new(Status::Skip, missing_precondition)
    }

    /// A SKIP because the requirement does not apply to the vendor's profile (the contract's JWT
    /// attacks against an API-key vendor, page parameters on a cursor API): unlike a missing
    /// precondition, it leaves the verdict complete.
    pub fn not_applicable(why: impl std::fmt::Display) -> Self {
        Self { not_applicable: true, ..Self::skip(format!("{NOT_APPLICABLE}: {why}")) }
    }

    /// Whether this is a [`Outcome::not_applicable`] SKIP.
    pub fn is_not_applicable(&self) -> bool {
        self.status == Status::Skip && self.not_applicable
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Status::Error, message)
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub fn actual(mut self, actual: impl Into<String>) -> Self {
        self.actual = Some(actual.into());
        self
    }

    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = Box::new(evidence);
        self
    }

    pub fn with_exchange(mut self, exchange: &Exchange) -> Self {
        self.evidence.push_exchange(exchange);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.evidence.notes.push(note.into());
        self
    }
}

#[cfg(test)]
mod not_applicable_tests {
    use super::*;

    /// A check that words a not-applicable SKIP its own way (its rule first) keeps it not
    /// applicable: the fact is typed, not read back from the message.
    #[test]
    fn not_applicable_survives_a_reworded_message() {
        let outcome = Outcome::not_applicable("the vendor authenticates with an API key");
        let reworded = Outcome { message: format!("AUTH-2: {}", outcome.message), ..outcome };
        assert!(reworded.is_not_applicable());
        assert!(!Outcome::skip(format!("{NOT_APPLICABLE}: written by hand")).is_not_applicable());
    }
}
