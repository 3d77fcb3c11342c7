//! `[budgets]`: how long the harness waits, for each check, for events and for the whole run.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetsConfig {
    pub connect_timeout_secs: u64,
    /// One request, body included.
    pub request_timeout_secs: u64,
    /// A body larger than this is a FAIL, not a memory problem.
    pub max_body_bytes: u64,
    /// A walk of more pages than this is a FAIL (endless pagination).
    pub max_pages: u64,
    /// The longest `Retry-After` the client waits for.
    pub max_retry_after_secs: u64,
    /// How often one request is retried after a 429.
    pub max_rate_limit_retries: u32,
    /// How long an event check waits for a delivery.
    pub event_wait_secs: u64,
    /// How long to watch for attempts that should not come (after a 2xx, after a delete).
    pub quiet_window_secs: f64,
    /// How long a simulated receiver outage lasts.
    pub outage_secs: f64,
    /// The retry horizon the vendor declares (DLV-5): how long after an outage its events may
    /// still arrive.
    pub retry_horizon_secs: u64,
    /// At most this many bad-token requests, then as many valid ones, probe for a rate limit
    /// (AUTH-8). 0 (the default) skips the probe: it may lock the account out of a production API
    /// for a while.
    pub rate_limit_burst: u32,
    /// One check, all its requests and waits included.
    pub check_timeout_secs: u64,
    /// The whole run: when it passes, the checks not yet finished are ERROR with that reason and
    /// the report is still written.
    pub run_deadline_secs: u64,
}

impl Default for BudgetsConfig {
    fn default() -> Self {
        Self {
            connect_timeout_secs: 5,
            request_timeout_secs: 20,
            max_body_bytes: 8 * 1024 * 1024,
            max_pages: 1000,
            max_retry_after_secs: 30,
            max_rate_limit_retries: 3,
            event_wait_secs: 30,
            quiet_window_secs: 10.0,
            outage_secs: 30.0,
            retry_horizon_secs: 300,
            rate_limit_burst: 0,
            check_timeout_secs: 300,
            run_deadline_secs: 3600,
        }
    }
}

impl BudgetsConfig {
    pub fn check_timeout(&self) -> Duration {
        Duration::from_secs(self.check_timeout_secs)
    }

    pub fn run_deadline(&self) -> Duration {
        Duration::from_secs(self.run_deadline_secs)
    }

    /// The budgets checks see.
    pub fn for_checks(&self) -> suites::Budgets {
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.0));
        suites::Budgets {
            event_wait: Duration::from_secs(self.event_wait_secs),
            quiet_window: secs(self.quiet_window_secs),
            outage: secs(self.outage_secs),
            retry_horizon: Duration::from_secs(self.retry_horizon_secs),
            rate_limit_burst: self.rate_limit_burst,
            max_pages: self.max_pages,
        }
    }
}
