//! How a mock vendor is set up: fleet, seed, retry schedule, signature scheme, shape, faults, limits.

use std::time::Duration;

use contract::{Scheme, TokenPolicy};

use crate::fault::Fault;
use crate::fleet::FleetSpec;
use crate::shape::Shape;

/// Bursts of failed authentications answered 429 + `Retry-After` (AUTH-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Failed authentications tolerated per window...
    pub max_failures: u32,
    /// ...of this length...
    pub window: Duration,
    /// ...after which `Retry-After` tells the client how long to wait.
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone)]
pub struct MockConfig {
    pub fleet: FleetSpec,
    pub seed: u64,
    /// Waits between delivery attempts; its length is the number of retries (DLV-1, DLV-5).
    pub retry_schedule: Vec<Duration>,
    /// Each wait is stretched or shrunk by up to this fraction, so retries of many deliveries spread.
    pub jitter: f64,
    /// A delivery attempt that takes longer is a failed attempt.
    pub attempt_timeout: Duration,
    /// Longest `Retry-After` honoured (DLV-4 lets a vendor cap it).
    pub max_retry_after: Duration,
    /// Signature scheme of the canonical shape (the other shapes have one format each).
    pub signature: Scheme,
    /// How account, sites, inventory, events and signatures look on the wire.
    pub shape: Shape,
    pub faults: Vec<Fault>,
    /// Loopback and private webhook targets are refused unless this is set (tests and demos).
    pub allow_private_targets: bool,
    /// Start the fleet simulation at start-up.
    pub simulate: bool,
    /// Simulated events per second.
    pub simulation_rate: f64,
    pub token_policy: TokenPolicy,
    pub rate_limit: RateLimit,
    /// RSA modulus size of the accounts' keys.
    pub key_bits: usize,
    /// Largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// Delivery attempts in flight at once; the others wait their turn. Without a bound, the
    /// retries of an outage's backlog all connect at once and run the machine out of ports and
    /// file descriptors, so the receiver's recovery looks like a longer outage.
    pub max_concurrent_deliveries: usize,
}

impl Default for MockConfig {
    /// A realistic vendor: retries spanning about a day.
    fn default() -> Self {
        Self {
            fleet: FleetSpec::Demo,
            seed: 1,
            retry_schedule: parse_schedule("10s,1m,5m,30m,2h,6h,12h").expect("the default schedule parses"),
            jitter: 0.1,
            attempt_timeout: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(3600),
            signature: Scheme::Body,
            shape: Shape::Canonical,
            faults: Vec::new(),
            allow_private_targets: false,
            simulate: false,
            simulation_rate: 2.0,
            token_policy: TokenPolicy::default(),
            rate_limit: RateLimit { max_failures: 100, window: Duration::from_secs(10), retry_after_secs: 10 },
            key_bits: 2048,
            max_body_bytes: 64 * 1024,
            max_concurrent_deliveries: 256,
        }
    }
}

impl MockConfig {
    /// For tests and demos: sub-second retries, short timeouts, loopback targets allowed.
    pub fn fast() -> Self {
        Self {
            retry_schedule: parse_schedule("50ms,100ms,200ms,400ms,800ms,1600ms").expect("the fast schedule parses"),
            attempt_timeout: Duration::from_millis(1500),
            max_retry_after: Duration::from_secs(5),
            allow_private_targets: true,
            ..Self::default()
        }
    }
}

/// Parses `1s,5s,30s` (units `ms`, `s`, `m`, `h`).
pub fn parse_schedule(s: &str) -> Result<Vec<Duration>, String> {
    if s.trim().is_empty() || s.trim() == "none" {
        return Ok(Vec::new());
    }
    s.split(',').map(|part| parse_duration(part.trim())).collect()
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().map_err(|_| format!("`{s}` is not a duration such as 500ms, 5s, 2m or 1h"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}` has an unknown unit (ms, s, m, h)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse() {
        assert_eq!(
            parse_schedule("1s,500ms,2m,1h").unwrap(),
            vec![
                Duration::from_secs(1),
                Duration::from_millis(500),
                Duration::from_secs(120),
                Duration::from_secs(3600)
            ]
        );
        assert!(parse_schedule("1x").is_err());
        assert!(parse_schedule("none").unwrap().is_empty());
        let default = MockConfig::default().retry_schedule.iter().sum::<Duration>();
        assert!(default > Duration::from_secs(12 * 3600), "the default horizon spans hours");
    }
}
