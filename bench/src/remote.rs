//! §6 A remote-like vendor (issue 18, item 5): a full `harness run` against the demo fleet, once
//! on loopback and once with every answer of the vendor held 20 ms, in the same bench run; the
//! ratio of the two wall times, and by suite its time and the number of requests it sent.
//!
//! The mock is the one `harness demo` runs (`harness::cli::demo::demo_mock_config`: fast retries,
//! a 1.5 s attempt timeout, timestamped signatures), started in this process with
//! `MockConfig::answer_delay` set, as `mock-vendor serve --answer-delay` sets it; the serve command
//! cannot express the demo's attempt timeout and retry cap, and the figure is of the demo's run.
//! The harness is the release binary, run as `harness run` on the `vendor.toml` the demo writes
//! (its webhooks reach the run's own receiver). Requests are counted from the run's
//! `exchanges.har`, each tagged `_check` with the check that sent it; untagged ones are the
//! set-up (preflight, discovery, the run's webhook) and the tear-down.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use harness::cli::demo::{ADMIN_TOKEN_ENV, DemoMock, demo_mock_config};
use mock_vendor::MockConfig;
use serde_json::Value;

use crate::util::{self, verdict};

/// The latency of each answer in the delayed run.
pub const DELAY: Duration = Duration::from_millis(20);
/// The delayed run may take at most this many times the loopback run.
const TARGET_RATIO: f64 = 2.0;
/// How many of the delayed run's slowest checks are named.
const SLOWEST: usize = 8;
/// The name the bench gives requests sent outside any check.
const SETUP: &str = "set-up";

/// One full run: its wall time, verdict and, by suite, time and requests.
#[derive(Debug, Default)]
pub struct RunFigures {
    pub wall_secs: f64,
    pub verdict: String,
    /// Suite (and [`SETUP`]) → (sum of its checks' durations in ms, requests sent).
    pub suites: BTreeMap<String, (u64, usize)>,
    /// Suites in the report's order, [`SETUP`] first.
    pub order: Vec<String>,
    /// Check id → (duration in ms, requests sent), to name where the time goes.
    pub checks: BTreeMap<String, (u64, usize)>,
}

impl RunFigures {
    pub fn requests(&self) -> usize {
        self.suites.values().map(|(_, n)| n).sum()
    }
}

#[derive(Debug)]
pub struct RemoteResult {
    pub plain: RunFigures,
    pub delayed: RunFigures,
}

impl RemoteResult {
    pub fn lines(&self) -> Vec<String> {
        let (plain, delayed) = (&self.plain, &self.delayed);
        let ratio = delayed.wall_secs / plain.wall_secs.max(f64::EPSILON);
        let same_verdict = plain.verdict == delayed.verdict;
        let mut lines = vec![format!(
            "remote: full run {:.1} s with {} ms per answer vs {:.1} s on loopback (baseline): {ratio:.2}× \
             (target ≤ {TARGET_RATIO}×) {}; verdicts {} / {}{}; requests {} / {}",
            delayed.wall_secs,
            DELAY.as_millis(),
            plain.wall_secs,
            verdict(ratio <= TARGET_RATIO && same_verdict),
            delayed.verdict,
            plain.verdict,
            if same_verdict { "" } else { " (the delay changed the verdict)" },
            delayed.requests(),
            plain.requests(),
        )];
        let by_suite: Vec<String> = plain
            .order
            .iter()
            .map(|suite| {
                let (p_ms, p_n) = plain.suites.get(suite).copied().unwrap_or_default();
                let (d_ms, d_n) = delayed.suites.get(suite).copied().unwrap_or_default();
                let requests = if p_n == d_n { format!("{d_n} req") } else { format!("{d_n}/{p_n} req") };
                let time = if suite == SETUP {
                    String::new()
                } else {
                    format!(" {:.1} s vs {:.1} s,", d_ms as f64 / 1000.0, p_ms as f64 / 1000.0)
                };
                format!("{suite}{time} {requests}")
            })
            .collect();
        lines.push(format!(
            "  by suite (delayed vs loopback, sum of check durations; requests sent): {}",
            by_suite.join("; ")
        ));
        let mut slowest: Vec<(&String, &(u64, usize))> = delayed.checks.iter().collect();
        slowest.sort_by_key(|(_, (ms, _))| std::cmp::Reverse(*ms));
        let slowest: Vec<String> = slowest
            .into_iter()
            .take(SLOWEST)
            .map(|(id, (ms, n))| {
                let plain_ms = plain.checks.get(id).map_or(0, |c| c.0);
                format!("{id} {:.1} s vs {:.1} s, {n} req", *ms as f64 / 1000.0, plain_ms as f64 / 1000.0)
            })
            .collect();
        lines.push(format!("  slowest checks (delayed vs loopback): {}", slowest.join("; ")));
        lines
    }
}

/// Both runs, the loopback one first.
pub async fn run() -> anyhow::Result<RemoteResult> {
    let harness = util::sibling("harness")?;
    let plain = one_run(&harness, Duration::ZERO).await.context("the loopback run")?;
    let delayed = one_run(&harness, DELAY).await.context("the delayed run")?;
    Ok(RemoteResult { plain, delayed })
}

async fn one_run(harness: &std::path::Path, delay: Duration) -> anyhow::Result<RunFigures> {
    let demo = DemoMock::start(MockConfig { answer_delay: delay, ..demo_mock_config(Vec::new()) }).await?;
    let out = tempfile::tempdir()?;
    let config = out.path().join("vendor.toml");
    std::fs::write(&config, demo.vendor_toml("bench-remote", true)?)?;
    let admin_token = demo.mock.credentials.admin_token.expose().to_owned();
    let reports = out.path().join("reports");
    let mut command = Command::new(harness);
    command
        .args(["run", "--non-interactive", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&reports)
        .env(ADMIN_TOKEN_ENV, admin_token)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || command.status()).await?.context("failed to run harness run")?;
    let wall_secs = started.elapsed().as_secs_f64();
    demo.stop().await;
    anyhow::ensure!(status.code().is_some_and(|c| c <= 1), "harness run exited with {status}");
    let dir = reports.join("latest");
    let report: Value = serde_json::from_slice(&std::fs::read(dir.join("report.json"))?)?;
    let har: Value = serde_json::from_slice(&std::fs::read(dir.join(harness::har::FILE))?)?;
    figures(&report, &har, wall_secs)
}

/// By suite: the sum of its checks' durations (`report.json`) and the requests its checks sent
/// (`exchanges.har`'s `_check`; deliveries received are not requests sent).
fn figures(report: &Value, har: &Value, wall_secs: f64) -> anyhow::Result<RunFigures> {
    let mut figures =
        RunFigures { wall_secs, verdict: report["verdict"].as_str().unwrap_or("?").to_owned(), ..Default::default() };
    figures.order.push(SETUP.into());
    figures.suites.insert(SETUP.into(), (0, 0));
    let mut suite_of = BTreeMap::new();
    for suite in report["suites"].as_array().context("report.json has suites")? {
        let name = suite["name"].as_str().unwrap_or("?").to_owned();
        let checks = suite["checks"].as_array().map(Vec::as_slice).unwrap_or_default();
        for check in checks {
            let id = check["id"].as_str().unwrap_or_default().to_owned();
            figures.checks.insert(id.clone(), (check["duration_ms"].as_u64().unwrap_or_default(), 0));
            suite_of.insert(id, name.clone());
        }
        let ms = checks.iter().filter_map(|c| c["duration_ms"].as_u64()).sum();
        figures.order.push(name.clone());
        figures.suites.insert(name, (ms, 0));
    }
    let entries = har["log"]["entries"].as_array().context("exchanges.har has entries")?;
    for entry in entries.iter().filter(|e| e.get("_webhook").is_none()) {
        let suite = match entry["_check"].as_str() {
            Some(check) => {
                let suite = suite_of.get(check).with_context(|| format!("`{check}` is in no suite of report.json"))?;
                figures.checks.get_mut(check).expect("every check of a suite has a row").1 += 1;
                suite
            }
            None => SETUP,
        };
        figures.suites.get_mut(suite).expect("every suite has a row").1 += 1;
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_are_counted_by_the_suite_of_their_check() {
        let report = json!({"verdict": "CONFORMANT", "suites": [
            {"name": "schema", "checks": [{"id": "schema.account", "duration_ms": 100}, {"id": "schema.sites", "duration_ms": 50}]},
            {"name": "auth", "checks": [{"id": "auth.valid-token", "duration_ms": 700}]},
        ]});
        let har = json!({"log": {"entries": [
            {"request": {}},
            {"request": {}, "_check": "schema.account"},
            {"request": {}, "_check": "schema.sites"},
            {"request": {}, "_check": "auth.valid-token"},
            {"request": {}, "_webhook": {}},
        ]}});
        let f = figures(&report, &har, 2.0).unwrap();
        assert_eq!(f.order, [SETUP, "schema", "auth"]);
        assert_eq!(f.suites[SETUP], (0, 1));
        assert_eq!(f.suites["schema"], (150, 2));
        assert_eq!(f.suites["auth"], (700, 1));
        assert_eq!(f.checks["schema.sites"], (50, 1));
        assert_eq!(f.requests(), 4, "a delivery received is not a request sent");
        let unknown = json!({"log": {"entries": [{"request": {}, "_check": "no.such"}]}});
        assert!(figures(&report, &unknown, 1.0).is_err());
    }

    #[test]
    fn the_line_holds_both_walls_the_ratio_the_target_and_a_verdict() {
        let run = |wall_secs| RunFigures {
            wall_secs,
            verdict: "CONFORMANT".into(),
            suites: BTreeMap::from([(SETUP.into(), (0, 3)), ("auth".into(), (1000, 9))]),
            order: vec![SETUP.into(), "auth".into()],
            checks: BTreeMap::from([("auth.valid-token".into(), (1000, 9))]),
        };
        let line = RemoteResult { plain: run(4.0), delayed: run(7.0) }.lines().join("\n");
        assert!(line.contains("7.0 s with 20 ms per answer vs 4.0 s on loopback"), "{line}");
        assert!(line.contains("1.75× (target ≤ 2×) PASS"), "{line}");
        assert!(line.contains("auth 1.0 s vs 1.0 s, 9 req"), "{line}");
        assert!(
            line.contains("slowest checks (delayed vs loopback): auth.valid-token 1.0 s vs 1.0 s, 9 req"),
            "{line}"
        );
        let slow = RemoteResult { plain: run(4.0), delayed: run(9.0) }.lines().join("\n");
        assert!(slow.contains("MISS"), "{slow}");
    }
}
