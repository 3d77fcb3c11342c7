//! §3 Scale: `mock-vendor serve --fleet synthetic:N` as a child (start time until READY and the
//! port answers, its RSS), then two walks of every site's inventory, each in its own child whose
//! RSS is sampled from `/proc` during the walk: the baseline, a plain reqwest loop (`bench walk
//! --raw`, `walk.rs`), and the harness's streaming walk (`bench walk`), in that order.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use harness::client::{Limits, VendorClient};
use harness::profile::Profile;
use serde::{Deserialize, Serialize};
use suites::{Collection, Walk};

use crate::util::{self, Memory, mib, thousands, verdict};

#[derive(Debug)]
pub struct ScaleResult {
    pub devices_in_fleet: u64,
    pub start_secs: f64,
    pub mock_after_start: Memory,
    pub mock_after_walk: Memory,
    pub walk: WalkReport,
    /// Highest harness RSS seen by sampling during the walk (and the child's own peak).
    pub walk_rss_max_kib: u64,
    /// The plain reqwest loop's walk of the same pages, just before the harness's.
    pub raw: WalkReport,
    pub per_page: u64,
}

impl ScaleResult {
    pub fn lines(&self) -> Vec<String> {
        let n = thousands(self.devices_in_fleet as f64);
        let gib = 1024 * 1024;
        vec![
            format!(
                "scale synthetic:{n}: mock start {:.2} s (target ≤ 5 s) {}; mock RSS {} after start, peak {} (target ≤ 1 GiB) {}",
                self.start_secs,
                verdict(self.start_secs <= 5.0),
                mib(self.mock_after_start.rss_kib),
                mib(self.mock_after_walk.hwm_kib),
                verdict(self.mock_after_walk.hwm_kib <= gib)
            ),
            format!(
                "scale walk: {} devices in {} pages over {} sites in {:.1} s = {} devices/s (per_page {}, a fresh token per request); harness RSS peak {} (target ≤ 256 MiB) {}",
                thousands(self.walk.devices as f64),
                thousands(self.walk.pages as f64),
                thousands(self.walk.sites as f64),
                self.walk.secs,
                thousands(self.walk.devices as f64 / self.walk.secs),
                self.per_page,
                mib(self.walk_rss_max_kib),
                verdict(self.walk_rss_max_kib <= 256 * 1024 && self.walk.devices >= self.devices_in_fleet)
            ),
            {
                let (walk, raw) = (self.walk.devices as f64 / self.walk.secs, self.raw.devices as f64 / self.raw.secs);
                format!(
                    "scale walk vs raw client: harness {} devices/s, baseline {} devices/s (a plain reqwest loop over the same {} pages: mint a fresh RS256 token, send, read, repeat; RSS peak {}), ratio {:.2} (target ≥ 0.8) {}",
                    thousands(walk),
                    thousands(raw),
                    thousands(self.raw.pages as f64),
                    mib(self.raw.hwm_kib),
                    walk / raw,
                    verdict(walk / raw >= 0.8 && self.raw.devices == self.walk.devices)
                )
            },
        ]
    }
}

/// What `bench walk` prints as its last line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WalkReport {
    pub devices: u64,
    pub pages: u64,
    pub sites: u64,
    pub secs: f64,
    pub hwm_kib: u64,
}

pub fn run(devices: u64, per_page: u64) -> anyhow::Result<ScaleResult> {
    let mock_bin = util::sibling("mock-vendor")?;
    let state_dir = tempfile::tempdir()?;
    let started = Instant::now();
    let mut mock = Command::new(&mock_bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--fleet", &format!("synthetic:{devices}"), "--state-dir"])
        .arg(state_dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("failed to start mock-vendor")?;
    let pid = mock.id();
    let result = (|| {
        let stdout = mock.stdout.take().context("the mock's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base_url = loop {
            let line = lines.next().context("the mock exited before READY")??;
            if let Some(url) = line.strip_prefix("READY ") {
                break url.to_owned();
            }
        };
        let addr = base_url.trim_start_matches("http://").to_owned();
        anyhow::ensure!(util::wait_for_port(&addr, Duration::from_secs(5)), "the mock's port does not answer");
        let start_secs = started.elapsed().as_secs_f64();
        let mock_after_start = util::memory(pid).context("the mock's /proc status")?;

        let credentials = state_dir.path().join("credentials.json");
        let (raw, _) = walk_child(&credentials, per_page, true)?;
        let (walk, rss_max) = walk_child(&credentials, per_page, false)?;
        let mock_after_walk = util::memory(pid).context("the mock's /proc status")?;
        Ok(ScaleResult {
            devices_in_fleet: devices,
            start_secs,
            mock_after_start,
            mock_after_walk,
            walk_rss_max_kib: rss_max.max(walk.hwm_kib),
            walk,
            raw,
            per_page,
        })
    })();
    let _ = mock.kill();
    let _ = mock.wait();
    result
}

/// `bench walk [--raw]` as a child: what it printed, and the highest RSS sampled while it ran.
fn walk_child(credentials: &Path, per_page: u64, raw: bool) -> anyhow::Result<(WalkReport, u64)> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["walk", "--per-page", &per_page.to_string(), "--credentials"]).arg(credentials);
    if raw {
        command.arg("--raw");
    }
    let mut child = command.stdout(Stdio::piped()).spawn().context("failed to start the walk")?;
    let mut rss_max = 0;
    while child.try_wait()?.is_none() {
        if let Some(m) = util::memory(child.id()) {
            rss_max = rss_max.max(m.rss_kib);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output()?;
    anyhow::ensure!(out.status.success(), "the walk{} failed", if raw { " --raw" } else { "" });
    let text = String::from_utf8_lossy(&out.stdout);
    let walk: WalkReport = serde_json::from_str(text.lines().last().context("the walk printed nothing")?)?;
    Ok((walk, rss_max))
}

/// `bench walk`: the harness's streaming walk of every site's inventory, keeping a count only.
/// Its client has no HAR recorder: a harness run records every exchange in `exchanges.har`
/// (an excerpt of each body), which is the run's, not the walk's.
pub async fn walk(credentials: &Path, per_page: u64) -> anyhow::Result<WalkReport> {
    let creds = util::read_credentials(credentials)?;
    let minter = Arc::new(util::minter(&creds.accounts[0])?);
    let limits = Limits {
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
        max_body_bytes: 16 * 1024 * 1024,
        max_pages: 1_000_000,
        max_retry_after: Duration::from_secs(5),
        max_rate_limit_retries: 3,
    };
    let client = VendorClient::new(&creds.base_url, Profile::default(), minter, limits, "bench")?;
    let started = Instant::now();
    let mut site_ids = Vec::new();
    client
        .walk_raw(&Collection::Sites, Some(contract::MAX_PER_PAGE), &mut |seen, _| {
            site_ids.extend(seen.records.iter().filter_map(|r| r["site_id"].as_str().map(str::to_owned)));
            Walk::Continue
        })
        .await
        .map_err(|e| anyhow::anyhow!("walking sites failed: {}", e.message))?;
    let (mut devices, mut pages) = (0u64, 0u64);
    for site_id in &site_ids {
        let end = client
            .walk_raw(&Collection::Inventory { site_id: site_id.clone() }, Some(per_page), &mut |seen, _| {
                devices += seen.records.len() as u64;
                Walk::Continue
            })
            .await
            .map_err(|e| anyhow::anyhow!("walking site {site_id} failed: {}", e.message))?;
        pages += end.pages;
    }
    let secs = started.elapsed().as_secs_f64();
    let hwm_kib = util::memory(std::process::id()).map(|m| m.hwm_kib).unwrap_or_default();
    Ok(WalkReport { devices, pages, sites: site_ids.len() as u64, secs, hwm_kib })
}
