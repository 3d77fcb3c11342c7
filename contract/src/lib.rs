//! The cloud-to-cloud integration contract (`../shared/CONTRACT.md`) in code: wire types, webhook
//! signatures, bearer tokens, pagination arithmetic and the published JSON Schemas.
//!
//! This crate is pure: no async runtime, no HTTP. Both sides build on it: the mock vendor serves
//! these types and the harness checks them.

pub mod diagnose;
pub mod files;
pub mod pagination;
pub mod requirements;
pub mod schema;
pub mod secret;
pub mod signature;
pub mod token;
pub mod types;

pub use pagination::{DEFAULT_PER_PAGE, MAX_PER_PAGE, PageParamError, PageRequest};
pub use schema::{DeclaredSchema, DeclaredSchemaError, SchemaId, Violation};
pub use secret::Secret;
pub use signature::{Scheme, SigEncoding, SignatureError, SignatureFormat};
pub use token::{TokenError, TokenMinter, TokenPolicy, TokenVerifier};
pub use types::*;

/// The SHA-256 of `bytes` as lowercase hex (digests in reports and certificates, key ids).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Unix seconds now. Code that verifies takes `now` as a parameter; this is for its callers.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// Unix milliseconds now (record times, deadlines; one clock for every crate).
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// RFC 3339 in UTC with millisecond precision (EVT-2 recommends it so ordering rarely ties).
pub fn rfc3339_millis(unix_millis: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .expect("a UTC date formats")
}

/// Parses an RFC 3339 timestamp to unix milliseconds.
pub fn parse_rfc3339_millis(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}
