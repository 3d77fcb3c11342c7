//! §4 End to end: `harness demo` wall time (warm build) and its breakdown by suite from
//! `report.json`.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context as _;
use serde_json::Value;

use crate::util::{self, verdict};

#[derive(Debug)]
pub struct DemoResult {
    pub wall_secs: f64,
    pub verdict: String,
    /// Suite name and the sum of its checks' durations.
    pub suites: Vec<(String, u64)>,
    pub report_ms: u64,
}

impl DemoResult {
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "demo: wall {:.1} s (target ≤ 15 s) {}; verdict {}; report.json duration {:.1} s",
            self.wall_secs,
            verdict(self.wall_secs <= 15.0),
            self.verdict,
            self.report_ms as f64 / 1000.0
        )];
        let by_suite: Vec<String> =
            self.suites.iter().map(|(s, ms)| format!("{s} {:.1} s", *ms as f64 / 1000.0)).collect();
        lines.push(format!("  by suite (sum of check durations): {}", by_suite.join(", ")));
        lines
    }
}

pub fn run() -> anyhow::Result<DemoResult> {
    let harness = util::sibling("harness")?;
    let out = tempfile::tempdir()?;
    let started = Instant::now();
    let status = Command::new(harness)
        .args(["demo", "--out"])
        .arg(out.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("failed to run harness demo")?;
    let wall_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.code().is_some_and(|c| c <= 1), "harness demo exited with {status}");
    let report: Value = serde_json::from_slice(&std::fs::read(out.path().join("latest/report.json"))?)?;
    let suites = report["suites"]
        .as_array()
        .context("report.json has suites")?
        .iter()
        .map(|s| {
            let ms = s["checks"].as_array().map_or(0, |c| c.iter().filter_map(|c| c["duration_ms"].as_u64()).sum());
            (s["name"].as_str().unwrap_or("?").to_owned(), ms)
        })
        .collect();
    Ok(DemoResult {
        wall_secs,
        verdict: report["verdict"].as_str().unwrap_or("?").to_owned(),
        suites,
        report_ms: report["duration_ms"].as_u64().unwrap_or_default(),
    })
}
