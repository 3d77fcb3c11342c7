//! `bench walk --raw`: the baseline of the harness's walk, a plain reqwest loop fetching the same
//! pages with the same token policy (a fresh RS256 token per request), nothing overlapped: mint,
//! send, read, repeat.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::Value;

use crate::scale::WalkReport;
use crate::util;

/// Every site's inventory, each page's devices counted, as a simple integrator's client would
/// walk it: pages 1..`total_pages` of the contract's endpoints, each answer parsed as JSON.
pub async fn raw(credentials: &Path, per_page: u64) -> anyhow::Result<WalkReport> {
    let creds = util::read_credentials(credentials)?;
    let minter = util::minter(&creds.accounts[0])?;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let base = creds.base_url.trim_end_matches('/');
    let get = async |path: &str, page: u64, size: u64| -> anyhow::Result<Value> {
        let token = minter.mint(contract::unix_now());
        let response = http
            .get(format!("{base}{path}?page={page}&per_page={size}"))
            .bearer_auth(token.expose())
            .header("accept", "application/json")
            .send()
            .await?
            .error_for_status()?;
        Ok(serde_json::from_slice(&response.bytes().await?)?)
    };
    let total_pages = |doc: &Value| doc["pagination"]["total_pages"].as_u64().unwrap_or(0);
    let started = Instant::now();
    let mut site_ids = Vec::new();
    let mut page = 1;
    loop {
        let doc = get("/api/v1/account/sites", page, contract::MAX_PER_PAGE).await.context("walking sites")?;
        let sites = doc["sites"].as_array().context("no `sites` list")?;
        site_ids.extend(sites.iter().filter_map(|s| s["site_id"].as_str().map(str::to_owned)));
        if page >= total_pages(&doc) || sites.is_empty() {
            break;
        }
        page += 1;
    }
    let (mut devices, mut pages) = (0u64, 0u64);
    for site_id in &site_ids {
        let path = format!("/api/v1/sites/{site_id}/inventory");
        let mut page = 1;
        loop {
            let doc = get(&path, page, per_page).await.with_context(|| format!("walking site {site_id}"))?;
            let count = doc["devices"].as_array().context("no `devices` list")?.len() as u64;
            devices += count;
            pages += 1;
            if page >= total_pages(&doc) || count == 0 {
                break;
            }
            page += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let hwm_kib = util::memory(std::process::id()).map(|m| m.hwm_kib).unwrap_or_default();
    Ok(WalkReport { devices, pages, sites: site_ids.len() as u64, secs, hwm_kib })
}
