//! §1 Inventory serving: authenticated inventory pages from the mock under `wrk`, against an
//! axum endpoint in this process serving the same bytes without auth, and against Prism mocking
//! the same route from `schemas/openapi.yaml`. Two kinds of figure: the warm one asks one page
//! over and over; the cold ones (one per shape: canonical, cursor, link) cycle through 2,000
//! distinct pages, each against a baseline serving the same 2,000 pages' bytes (as the mock
//! served them) to the same script, and for reference against one page's bytes for every path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use contract::Secret;
use mock_vendor::fleet::{Fleet, Kind, SiteRec};
use mock_vendor::shape::page_token;
use mock_vendor::{FleetSpec, MockConfig, Shape};

use crate::util::{self, thousands, verdict};

/// How `wrk` loads each server: the same for all three.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub threads: u32,
    pub connections: u32,
    pub seconds: u32,
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Default)]
pub struct WrkResult {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    pub non_2xx: u64,
    pub socket_errors: String,
    /// CPU time per request: this process's (the server under test; the others are idle) and
    /// wrk's, in microseconds, from `/proc/self/stat`'s clock ticks.
    pub server_cpu_us: f64,
    pub client_cpu_us: f64,
}

impl std::fmt::Display for WrkResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} req/s (p50 {:.2} ms, p99 {:.2} ms", thousands(self.requests_per_sec), self.p50_ms, self.p99_ms)?;
        if self.non_2xx > 0 {
            write!(f, ", {} non-2xx", self.non_2xx)?;
        }
        if !self.socket_errors.is_empty() {
            write!(f, ", socket errors: {}", self.socket_errors)?;
        }
        if self.server_cpu_us > 0.0 {
            write!(f, ", server CPU {:.1} µs/request, wrk {:.1}", self.server_cpu_us, self.client_cpu_us)?;
        }
        f.write_str(")")
    }
}

/// This process's CPU time and its waited-for children's, in seconds (Linux `/proc/self/stat`).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is the 14th field overall.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let field = |n: usize| rest.split_whitespace().nth(n - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let tick = clock_tick();
    ((field(14) + field(15)) / tick, (field(16) + field(17)) / tick)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot be asked).
fn clock_tick() -> f64 {
    static TICK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICK.get_or_init(|| {
        let out = Command::new("getconf").arg("CLK_TCK").output().ok();
        out.and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100.0)
    })
}

impl WrkResult {
    /// Several runs of one server as one figure: the mean rate, the worst p50 and p99, every
    /// request, non-2xx answer and socket error.
    pub fn combined(runs: &[WrkResult]) -> WrkResult {
        let n = runs.len().max(1) as f64;
        let errors: Vec<&str> = runs.iter().map(|r| r.socket_errors.as_str()).filter(|e| !e.is_empty()).collect();
        WrkResult {
            requests_per_sec: runs.iter().map(|r| r.requests_per_sec).sum::<f64>() / n,
            p50_ms: runs.iter().map(|r| r.p50_ms).fold(0.0, f64::max),
            p99_ms: runs.iter().map(|r| r.p99_ms).fold(0.0, f64::max),
            requests: runs.iter().map(|r| r.requests).sum(),
            non_2xx: runs.iter().map(|r| r.non_2xx).sum(),
            socket_errors: errors.join("; "),
            server_cpu_us: runs.iter().map(|r| r.server_cpu_us).sum::<f64>() / n,
            client_cpu_us: runs.iter().map(|r| r.client_cpu_us).sum::<f64>() / n,
        }
    }
}

/// A latency as wrk prints it (`812.00us`, `1.23ms`, `2.01s`) in milliseconds.
fn latency_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = text.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

/// Reads `wrk --latency` output.
pub fn parse_wrk(out: &str) -> anyhow::Result<WrkResult> {
    let mut r = WrkResult::default();
    for line in out.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(n)) => r.requests_per_sec = n.parse()?,
            (Some("50%"), Some(t)) => r.p50_ms = latency_ms(t).context("a p50 wrk prints")?,
            (Some("99%"), Some(t)) => r.p99_ms = latency_ms(t).context("a p99 wrk prints")?,
            (Some("Non-2xx"), _) => r.non_2xx = line.rsplit(' ').next().unwrap_or("0").parse().unwrap_or(0),
            (Some("Socket"), Some("errors:")) => r.socket_errors = line["Socket errors:".len()..].trim().to_owned(),
            (Some(n), Some("requests")) => r.requests = n.parse().unwrap_or(0),
            _ => {}
        }
    }
    anyhow::ensure!(r.requests_per_sec > 0.0, "wrk reported no throughput:\n{out}");
    Ok(r)
}

/// A wrk script giving requests one token each from a pool of one per connection, cycled, so
/// the server sees as many distinct tokens as there are connections; with `paths`, each request
/// also takes the next path of the list (distinct pages: no page is asked twice in a row).
fn wrk_script(tokens: &[Secret], paths: &[String]) -> String {
    let list: Vec<String> = tokens.iter().map(|t| format!("\"Bearer {}\"", t.expose())).collect();
    let paths: Vec<String> = paths.iter().map(|p| format!("\"{p}\"")).collect();
    format!(
        "local tokens = {{{}}}\nlocal paths = {{{}}}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  local path = nil\n  if #paths > 0 then path = paths[(n % #paths) + 1] end\n  return wrk.format(\"GET\", path, {{[\"Authorization\"] = tokens[(n % #tokens) + 1]}})\nend\n",
        list.join(", "),
        paths.join(", ")
    )
}

pub fn run_wrk(load: Load, script: &Path, url: &str, seconds: u32) -> anyhow::Result<WrkResult> {
    let (server, client) = cpu_seconds();
    let out = Command::new("wrk")
        .args(["-t", &load.threads.to_string(), "-c", &load.connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--latency", "--timeout", "10s", "-s"])
        .arg(script)
        .arg(url)
        .output()
        .context("failed to run wrk")?;
    anyhow::ensure!(out.status.success(), "wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    let (server_after, client_after) = cpu_seconds();
    let mut result = parse_wrk(&String::from_utf8_lossy(&out.stdout))?;
    let per_request = |secs: f64| secs * 1e6 / result.requests.max(1) as f64;
    result.server_cpu_us = per_request(server_after - server);
    result.client_cpu_us = per_request(client_after - client);
    Ok(result)
}

/// Makes sure `wrk` and Prism are there; installs what is missing, or says what to run.
pub fn ensure_tools(tools: &Path) -> anyhow::Result<PathBuf> {
    if !util::have("wrk", "--version") {
        let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
        anyhow::ensure!(root, "wrk is missing: run `sudo apt-get install -y wrk`");
        eprintln!("installing wrk (Debian)");
        let ok = Command::new("sh")
            .args(["-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)"])
            .status()?
            .success();
        anyhow::ensure!(ok, "installing wrk failed: run `apt-get update && apt-get install -y wrk`");
    }
    let prism = tools.join("node_modules/.bin/prism");
    if !prism.exists() {
        eprintln!("installing Stoplight Prism into {} (npm)", tools.display());
        std::fs::create_dir_all(tools)?;
        let ok = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(tools)
            .arg("@stoplight/prism-cli")
            // npm's own lines go with the progress on stderr; stdout is the figures alone.
            .stdout(Stdio::from(std::io::stderr()))
            .status()
            .context("failed to run npm (install Node.js and npm)")?
            .success();
        anyhow::ensure!(
            ok && prism.exists(),
            "installing Prism failed: run `npm install --prefix {} @stoplight/prism-cli`",
            tools.display()
        );
    }
    Ok(prism)
}

/// How many distinct pages the cold figures cycle through, in every shape.
pub const DISTINCT_PAGES: usize = 2_000;

/// One shape's cold figure: every request asks the next of [`DISTINCT_PAGES`] pages, against
/// an axum baseline serving those pages' bytes to the same script.
#[derive(Debug)]
pub struct Cold {
    pub shape: Shape,
    pub mock: WrkResult,
    /// Each path answered with its own page's bytes, looked up by path: a static server of the
    /// same content. The target's baseline.
    pub baseline: WrkResult,
    /// Every path answered with the first page's bytes, which stay in the CPU's cache (issue
    /// 18's first cold figures): for reference, no target.
    pub one_page: WrkResult,
    pub body_bytes: usize,
}

/// The canonical shape's first page asked over and over, against the one-page baseline and Prism.
#[derive(Debug)]
pub struct Warm {
    pub mock: WrkResult,
    pub baseline: WrkResult,
    pub prism: Option<WrkResult>,
    pub prism_note: String,
    pub body_bytes: usize,
}

/// The figures of §1.
#[derive(Debug)]
pub struct Serving {
    /// Measured with the canonical shape only.
    pub warm: Option<Warm>,
    /// Per shape: every request renders a different page.
    pub cold: Vec<Cold>,
    pub load: Load,
    pub rounds: u32,
}

impl Serving {
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(warm) = &self.warm {
            let ratio = warm.mock.requests_per_sec / warm.baseline.requests_per_sec;
            lines.push(format!(
                "inventory serving: mock {} / axum baseline {} = {ratio:.2} (target ≥ 0.5) {}",
                warm.mock,
                warm.baseline,
                verdict(ratio >= 0.5)
            ));
        }
        for cold in &self.cold {
            let ratio = cold.mock.requests_per_sec / cold.baseline.requests_per_sec;
            lines.push(format!(
                "inventory serving, {} shape, {} distinct pages (page cache never hits): mock {} / axum baseline serving the same pages {} = {ratio:.2} (target ≥ 0.8) {}",
                cold.shape.name(),
                thousands(DISTINCT_PAGES as f64),
                cold.mock,
                cold.baseline,
                verdict(ratio >= 0.8)
            ));
            let ratio = cold.mock.requests_per_sec / cold.one_page.requests_per_sec;
            lines.push(format!(
                "  (for reference, no target: axum serving one page's bytes for every path {} = {ratio:.2}; that one page stays in the CPU's cache, {} distinct pages do not)",
                cold.one_page,
                thousands(DISTINCT_PAGES as f64),
            ));
        }
        let mut about = String::new();
        if let Some(warm) = &self.warm {
            match &warm.prism {
                Some(prism) => {
                    let ratio = warm.mock.requests_per_sec / prism.requests_per_sec;
                    lines.push(format!(
                        "inventory serving: mock {} req/s / Prism {prism} = {ratio:.1}× (target ≥ 10×) {}",
                        thousands(warm.mock.requests_per_sec),
                        verdict(ratio >= 10.0)
                    ));
                }
                None => lines.push(format!("inventory serving: Prism not measured: {}", warm.prism_note)),
            }
            about = format!("page of 100 devices = {} bytes; {}; ", thousands(warm.body_bytes as f64), warm.prism_note);
        }
        let sizes: Vec<String> =
            self.cold.iter().map(|c| format!("{} {}", c.shape.name(), thousands(c.body_bytes as f64))).collect();
        lines.push(format!(
            "  (wrk -t{} -c{} -d{}s on loopback, {} distinct tokens; {about}cold figures: {} round(s) in which the mock and its baselines take turns, mean rate, worst p99; cold pages of 100 per shape, first page's bytes: {}; each cold baseline answers the same script from the pages the mock served)",
            self.load.threads,
            self.load.connections,
            self.load.seconds,
            self.load.connections,
            self.rounds,
            sizes.join(", "),
        ));
        lines
    }
}

/// Every page of 100 of the first account's full sites in `shape`'s routes, page-major (page 1
/// of every site, then page 2, ...) so that consecutive requests ask different sites, cut to
/// [`DISTINCT_PAGES`].
fn shape_pages(fleet: &Fleet, shape: Shape) -> anyhow::Result<Vec<String>> {
    let sites: Vec<&SiteRec> = fleet.accounts[0]
        .sites
        .iter()
        .map(|&s| &fleet.sites[s as usize])
        .filter(|s| s.devices.len() >= 1_000)
        .collect();
    let pages = |n: usize| n.div_ceil(100) as u64;
    // Per site, the paths of each of its collections' pages.
    let mut lists: Vec<Vec<String>> = Vec::new();
    for site in &sites {
        let id = site.id;
        let cameras = site.devices.iter().filter(|&&d| fleet.devices[d as usize].kind == Kind::Camera).count();
        let list: Vec<String> = match shape {
            Shape::Canonical => (1..=pages(site.devices.len()))
                .map(|p| format!("/api/v1/sites/{id}/inventory?page={p}&per_page=100"))
                .collect(),
            Shape::Cursor => {
                let cams = (1..=pages(cameras)).map(|p| ("cameras", p));
                let others = (1..=pages(site.devices.len() - cameras)).map(|p| ("devices", p));
                cams.chain(others)
                    .map(|(route, p)| {
                        format!("/api/v3/{route}?locationId={id}&pageSize=100&pageToken={}", page_token(p))
                    })
                    .collect()
            }
            Shape::Link => (1..=pages(site.devices.len()))
                .map(|p| format!("/api/v1/networks/{id}/devices?perPage=100&startingAfter={}", page_token(p)))
                .collect(),
        };
        lists.push(list);
    }
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    let all: Vec<String> =
        (0..longest).flat_map(|i| lists.iter().filter_map(move |l| l.get(i).cloned())).take(DISTINCT_PAGES).collect();
    anyhow::ensure!(all.len() == DISTINCT_PAGES, "the fleet has only {} pages of 100 in {}", all.len(), shape.name());
    Ok(all)
}

/// The cold figures' runs: `rounds` rounds of `load.seconds` in which the mock and its two
/// baselines take turns, so a change in the machine's load (it is shared) falls on each of them
/// rather than on whichever ran then. Each server's rounds combined ([`WrkResult::combined`]).
fn interleaved<const N: usize>(
    load: Load,
    script: &Path,
    urls: [&str; N],
    rounds: u32,
) -> anyhow::Result<[WrkResult; N]> {
    let mut runs: [Vec<WrkResult>; N] = std::array::from_fn(|_| Vec::new());
    for _ in 0..rounds.max(1) {
        for (url, runs) in urls.iter().zip(runs.iter_mut()) {
            runs.push(run_wrk(load, script, url, load.seconds)?);
        }
    }
    Ok(runs.map(|r| WrkResult::combined(&r)))
}

/// Runs §1 for `shapes` (the warm figure and Prism with the canonical one), the cold figures in
/// `rounds` interleaved rounds. The mock and the baselines serve from this process's runtime;
/// wrk and Prism are children.
pub fn run(
    rt: &tokio::runtime::Runtime,
    load: Load,
    tools: &Path,
    shapes: &[Shape],
    rounds: u32,
) -> anyhow::Result<Serving> {
    let prism_bin = ensure_tools(tools)?;
    let script_dir = tempfile::tempdir()?;
    let mut warm = None;
    let mut cold = Vec::new();
    for &shape in shapes {
        let state_dir = tempfile::tempdir()?;
        // 200 sites of 1,000 devices: 2,000 pages of 100 in every shape (about 84 MB in the
        // canonical one). The mock's page cache keeps at most 256 pages and starts over past
        // them, so a walk through 2,000 in order never finds its page there: every page is
        // assembled from its devices' ready bytes, which the 2 s warm-up renders (all 200,000
        // devices fit the 128 MiB of `mock_vendor::blocks`).
        let config = MockConfig { fleet: FleetSpec::Synthetic(200_000), shape, ..MockConfig::default() };
        let (mock, pages, body, tokens) = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let mock = mock_vendor::start(config, listener, state_dir.path()).await?;
            let pages = shape_pages(&mock.state.fleet.read().expect("fleet lock"), shape)?;
            let minter = util::minter(&mock.credentials.accounts[0])?;
            let now = contract::unix_now();
            let tokens: Vec<Secret> = (0..load.connections).map(|i| minter.mint(now - i64::from(i))).collect();
            let url = format!("{}{}", mock.base_url, pages[0]);
            let response = reqwest::Client::new().get(&url).bearer_auth(tokens[0].expose()).send().await?;
            anyhow::ensure!(response.status().is_success(), "the mock answered {}", response.status());
            let body = response.bytes().await?;
            anyhow::Ok((mock, pages, body, tokens))
        })?;
        let cold_script = script_dir.path().join(format!("{}-pages.lua", shape.name()));
        std::fs::write(&cold_script, wrk_script(&tokens, &pages))?;
        let mock_url = format!("{}{}", mock.base_url, pages[0]);
        // The warm figure (one page over and over), with the canonical shape only.
        let mock_warm = if shape == Shape::Canonical {
            let script = script_dir.path().join("one-page.lua");
            std::fs::write(&script, wrk_script(&tokens, &[]))?;
            // A short warm-up each: the token cache fills, connections and allocators settle.
            run_wrk(load, &script, &mock_url, 2)?;
            Some((run_wrk(load, &script, &mock_url, load.seconds)?, script))
        } else {
            None
        };
        // The warm-up renders the blocks; the fetch gives the same-pages baseline its bytes.
        run_wrk(load, &cold_script, &mock_url, 2)?;
        let served = rt.block_on(fetch_pages(&mock.base_url, &pages, &tokens[0]))?;
        let (one_addr, same_addr, tasks) = rt.block_on(async {
            let one = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let same = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addrs = (one.local_addr()?, same.local_addr()?);
            let tasks = [
                tokio::spawn(baseline_server(one, Baseline::OnePage(body.clone()))),
                tokio::spawn(baseline_server(same, Baseline::SamePages(served))),
            ];
            anyhow::Ok((addrs.0, addrs.1, tasks))
        })?;
        let one_url = format!("http://{one_addr}{}", pages[0]);
        let same_url = format!("http://{same_addr}{}", pages[0]);
        run_wrk(load, &cold_script, &same_url, 2)?;
        run_wrk(load, &cold_script, &one_url, 2)?;
        let [mock_cold, baseline_cold, one_page] =
            interleaved(load, &cold_script, [&mock_url, &same_url, &one_url], rounds)?;
        anyhow::ensure!(mock_cold.non_2xx == 0, "the mock refused pages: {mock_cold}");
        anyhow::ensure!(baseline_cold.non_2xx == 0, "the same-pages baseline missed a page: {baseline_cold}");
        rt.block_on(mock.stop());
        if let Some((mock_warm, script)) = mock_warm {
            run_wrk(load, &script, &one_url, 2)?;
            let baseline = run_wrk(load, &script, &one_url, load.seconds)?;
            let (prism, prism_note) = match prism_run(&prism_bin, load, &script, &pages[0]) {
                Ok((r, note)) => (Some(r), note),
                Err(e) => (None, format!("{e:#}")),
            };
            warm = Some(Warm { mock: mock_warm, baseline, prism, prism_note, body_bytes: body.len() });
        }
        tasks.iter().for_each(tokio::task::JoinHandle::abort);
        cold.push(Cold { shape, mock: mock_cold, baseline: baseline_cold, one_page, body_bytes: body.len() });
    }
    Ok(Serving { warm, cold, load, rounds })
}

/// The same route from `schemas/openapi.yaml` under `prism mock` (static examples).
fn prism_run(prism: &Path, load: Load, script: &Path, path: &str) -> anyhow::Result<(WrkResult, String)> {
    let port = util::free_port()?;
    let spec = util::workspace_root().join("schemas/openapi.yaml");
    let log = tempfile::NamedTempFile::new()?;
    let mut child = Command::new(prism)
        .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(&spec)
        .stdout(Stdio::from(log.reopen()?))
        .stderr(Stdio::from(log.reopen()?))
        .spawn()
        .context("failed to start Prism")?;
    let guard = KillOnDrop(&mut child);
    let addr = format!("127.0.0.1:{port}");
    anyhow::ensure!(util::wait_for_port(&addr, Duration::from_secs(60)), "Prism did not listen within 60 s");
    let url = format!("http://{addr}{path}");
    let probe = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-H", "Authorization: Bearer x"])
        .arg(&url)
        .output();
    let note = probe
        .map(|o| format!("Prism answers {} bytes", String::from_utf8_lossy(&o.stdout).replace(' ', " with ")))
        .unwrap_or_default();
    run_wrk(load, script, &url, 2)?;
    let result = run_wrk(load, script, &url, load.seconds)?;
    drop(guard);
    Ok((result, note))
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Each of `pages` (path and query) as the mock answered it, fetched one after another after
/// the mock's figure: what the same-pages baseline serves.
async fn fetch_pages(
    base_url: &str,
    pages: &[String],
    token: &Secret,
) -> anyhow::Result<HashMap<String, bytes::Bytes>> {
    let client = reqwest::Client::new();
    let mut served = HashMap::with_capacity(pages.len());
    for path in pages {
        let response = client.get(format!("{base_url}{path}")).bearer_auth(token.expose()).send().await?;
        anyhow::ensure!(response.status().is_success(), "the mock answered {} to {path}", response.status());
        served.insert(path.clone(), response.bytes().await?);
    }
    Ok(served)
}

/// What a baseline server answers: no auth, no paging, no rendering, ready bytes only.
enum Baseline {
    /// The same bytes on every path (the warm figure's baseline, and the cold one's reference).
    OnePage(bytes::Bytes),
    /// Each path's own page, looked up by path and query: a static server of the same pages.
    SamePages(HashMap<String, bytes::Bytes>),
}

/// The baseline server: every path, since the cold scripts ask each shape's own routes.
async fn baseline_server(listener: tokio::net::TcpListener, pages: Baseline) {
    use axum::http::header::CONTENT_TYPE;
    use axum::http::{StatusCode, Uri};
    use axum::response::IntoResponse as _;
    let pages = Arc::new(pages);
    let app = axum::Router::new().fallback(axum::routing::get(move |uri: Uri| {
        let pages = pages.clone();
        async move {
            let json = [(CONTENT_TYPE, "application/json")];
            let body = match &*pages {
                Baseline::OnePage(body) => Some(body.clone()),
                Baseline::SamePages(map) => uri.path_and_query().and_then(|p| map.get(p.as_str())).cloned(),
            };
            match body {
                Some(body) => (json, body).into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
    }));
    let _ = axum::serve(listener, app).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_has_two_thousand_distinct_pages_site_by_site() {
        let fleet = Fleet::generate(FleetSpec::Synthetic(200_000), 1, 0);
        let first = fleet.sites[fleet.accounts[0].sites[0] as usize].id.to_string();
        for &shape in Shape::ALL {
            let pages = shape_pages(&fleet, shape).unwrap();
            let distinct: std::collections::HashSet<&String> = pages.iter().collect();
            assert_eq!(distinct.len(), DISTINCT_PAGES, "{shape:?}");
            assert!(pages[0].contains(&first) && !pages[1].contains(&first), "consecutive pages differ in site");
        }
        assert!(shape_pages(&Fleet::generate(FleetSpec::Synthetic(20_000), 1, 0), Shape::Link).is_err());
    }

    #[test]
    fn rounds_combine_to_the_mean_rate_and_the_worst_latency() {
        let run = |rps: f64, p99: f64, errors: &str| WrkResult {
            requests_per_sec: rps,
            p50_ms: p99 / 2.0,
            p99_ms: p99,
            requests: rps as u64 * 5,
            non_2xx: 1,
            socket_errors: errors.into(),
            ..WrkResult::default()
        };
        let c = WrkResult::combined(&[run(100.0, 2.0, ""), run(300.0, 1.0, "timeout 1")]);
        assert_eq!((c.requests_per_sec, c.p50_ms, c.p99_ms), (200.0, 1.0, 2.0));
        assert_eq!((c.requests, c.non_2xx, c.socket_errors.as_str()), (2_000, 2, "timeout 1"));
    }

    #[test]
    fn wrk_output_parses() {
        let out = "Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 32 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.61ms    1.20ms  30.00ms   90.00%\n    Req/Sec     9.88k   500.00    11.00k    70.00%\n  Latency Distribution\n     50%    1.23ms\n     75%    1.80ms\n     90%    2.50ms\n     99%  812.00us\n  196680 requests in 10.00s, 1.00GB read\n  Non-2xx or 3xx responses: 12\nRequests/sec:  19668.00\nTransfer/sec:    100.00MB\n";
        let r = parse_wrk(out).unwrap();
        assert_eq!(r.requests_per_sec, 19668.0);
        assert_eq!(r.p50_ms, 1.23);
        assert_eq!(r.p99_ms, 0.812);
        assert_eq!(r.requests, 196_680);
        assert_eq!(r.non_2xx, 12);
    }
}
