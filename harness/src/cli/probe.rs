//! `harness probe`: what a vendor runs while writing its profile. It fetches the account, the
//! first page of sites and the first page of one site's inventory (of every endpoint of a
//! union), and prints the canonical records the profile maps them to, with every required field
//! that is missing and every profile pointer that matched nothing (with a sample of what the
//! vendor returned). Exit 0 when every required field is there, 1 when one is missing, 2 when a
//! request failed.

use std::path::PathBuf;

use serde_json::Value;
use suites::{Collection, VendorApi as _};

use crate::client::{FirstPage, VendorClient};
use crate::config::VendorConfig;
use crate::profile::required;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The vendor configuration
    #[arg(long, default_value = "vendor.toml")]
    pub config: PathBuf,
    /// The site whose inventory is probed (default: the first site listed)
    #[arg(long)]
    pub site: Option<String>,
    /// Records shown per page
    #[arg(long, default_value_t = 2)]
    pub records: usize,
}

/// Text lines and whether a required field was missing or a request failed.
#[derive(Debug, Default)]
struct Out {
    lines: Vec<String>,
    missing: bool,
    failed: bool,
}

impl Out {
    fn line(&mut self, s: impl Into<String>) {
        self.lines.push(s.into());
    }

    /// The required fields `records` lack, each with how many records lack it.
    fn required(&mut self, kind: &str, records: &[Value]) {
        let mut lacking = Vec::new();
        for field in required(kind) {
            let n = records.iter().filter(|r| r.get(*field).is_none_or(Value::is_null)).count();
            if n > 0 {
                lacking.push(format!("`{field}` ({n} of {})", records.len()));
            }
        }
        if lacking.is_empty() {
            self.line(format!("  required {kind} fields: all present"));
        } else {
            self.missing = true;
            self.line(format!("  MISSING required {kind} fields: {}", lacking.join(", ")));
        }
    }

    fn page(&mut self, kind: &str, shown: &str, first: &FirstPage, records: usize) {
        let page = &first.seen;
        let mut pagination = Vec::new();
        for (name, v) in [
            ("page", page.page),
            ("per_page", page.per_page),
            ("total_pages", page.total_pages),
            ("total_count", page.total_count),
        ] {
            if let Some(v) = v {
                pagination.push(format!("{name} {v}"));
            }
        }
        if let Some(next) = &page.next {
            pagination.push(format!("next `{next}`"));
        }
        let status = page.exchange.status.map_or("?".into(), |s| s.to_string());
        self.line(format!(
            "{shown} → {status}: {} records{}",
            page.records.len(),
            if pagination.is_empty() { String::new() } else { format!(" ({})", pagination.join(", ")) }
        ));
        self.line(format!("  {}", page.exchange.url));
        for (raw, record) in first.raws.iter().zip(&page.records).take(records) {
            self.line(format!("  vendor:    {raw}"));
            self.line(format!("  canonical: {record}"));
        }
        for (field, at) in &first.unmatched {
            let first_record = first.raws.first().map(Value::to_string).unwrap_or_default();
            let first_record: String = first_record.chars().take(300).collect();
            self.line(format!(
                "  the profile reads `{field}` from {at}, which matches nothing in any of the {} records of this page: {} (first record: {first_record})",
                first.raws.len(),
                suites::sync::PROFILE_MISTAKE
            ));
        }
        self.required(kind, &page.records);
    }
}

pub async fn execute(args: Args) -> anyhow::Result<i32> {
    let config = VendorConfig::load(&args.config)?;
    let client = VendorClient::from_config(&config, args.config.display().to_string())?;
    let out = probe(&client, args.site.as_deref(), args.records).await;
    for line in &out.lines {
        outln!("{line}");
    }
    Ok(if out.failed {
        crate::cli::exit::INCOMPLETE_OR_ERROR
    } else if out.missing {
        crate::cli::exit::NOT_CONFORMANT
    } else {
        crate::cli::exit::OK
    })
}

async fn probe(client: &VendorClient, site: Option<&str>, records: usize) -> Out {
    let mut out = Out::default();
    let profile = client.profile();
    out.line(format!(
        "profile `{}`: {} pagination, {} auth, {} inventory endpoint(s)",
        profile.name,
        profile.pagination.kind().as_str(),
        profile.auth.kind().as_str(),
        profile.inventory.len()
    ));
    let paging = profile.paging();
    if let Some(size_param) = &paging.size_param {
        let declared = |what: &str, limits: suites::SizeLimits| match (limits.max, limits.default) {
            (None, None) => {
                format!("{what}: no limits declared (the contract's {} is the maximum walked)", contract::MAX_PER_PAGE)
            }
            (max, default) => format!(
                "{what}: maximum {}, default {}",
                max.map_or("not declared".into(), |m| m.to_string()),
                default.map_or("not declared".into(), |d| d.to_string())
            ),
        };
        out.line(format!(
            "  pages: `{size_param}` {} by default; {}; {}",
            paging.size_default,
            declared("sites", paging.sites_limits),
            declared("inventory", paging.inventory_limits)
        ));
    }
    if let Some(past_end) = profile.pagination.past_end() {
        out.line(format!("  past the end: `{}` set to the last item's `{}` (PAGE-4)", past_end.param, past_end.from));
    }
    match client.account().await {
        Ok(account) => {
            out.line(format!("account {} → {}", profile.account.path, account.exchange.status.unwrap_or_default()));
            out.line(format!("  vendor:    {}", account.raw));
            out.line(format!("  canonical: {}", account.record));
            out.required("account", std::slice::from_ref(&account.record));
        }
        Err(e) => {
            out.failed = true;
            out.line(format!("account {}: {e}", profile.account.path));
        }
    }
    let mut first_site = site.map(str::to_owned);
    for (shown, page) in client.first_pages(&Collection::Sites).await {
        match page {
            Ok(page) => {
                if first_site.is_none() {
                    first_site = page.seen.records.iter().find_map(|r| r.get("site_id")?.as_str().map(str::to_owned));
                }
                out.page("site", &format!("sites {shown}"), &page, records);
            }
            Err(e) => {
                out.failed = true;
                out.line(format!("sites {shown}: {e}"));
            }
        }
    }
    let Some(site_id) = first_site else {
        out.line("no site to probe the inventory of (pass --site ID)");
        return out;
    };
    let collection = Collection::Inventory { site_id: site_id.clone() };
    for (shown, page) in client.first_pages(&collection).await {
        match page {
            Ok(page) => out.page("device", &format!("inventory of site {site_id}: {shown}"), &page, records),
            Err(e) => {
                out.failed = true;
                out.line(format!("inventory of site {site_id}: {shown}: {e}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::client::{Credential, Limits};
    use crate::profile::{FieldSpec, Profile};

    /// A status pointer that matches nothing on any device is named, with the words that say
    /// the profile, not the vendor, may be wrong; and the missing required field is flagged.
    #[tokio::test]
    async fn probe_names_a_pointer_that_matches_nothing_as_a_likely_profile_mistake() {
        let server = MockServer::start().await;
        let serve = |p: &str, body: serde_json::Value| {
            Mock::given(method("GET"))
                .and(path(p.to_owned()))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
        };
        serve("/api/v1/account", json!({"account_id": "a", "name": "Acme"})).mount(&server).await;
        let pagination = json!({"page": 1, "per_page": 50, "total_pages": 1, "total_count": 1});
        serve("/api/v1/account/sites", json!({"sites": [{"site_id": "s", "name": "HQ"}], "pagination": pagination}))
            .mount(&server)
            .await;
        let device = json!({"device_id": "d", "name": "Cam", "type": "camera", "site_id": "s", "status": "online"});
        serve("/api/v1/sites/s/inventory", json!({"devices": [device], "pagination": pagination})).mount(&server).await;
        let mut profile = Profile::default();
        profile.inventory[0].fields.insert("status".into(), FieldSpec::Pointer("/state".into()));
        let credential = Credential::Static(contract::Secret::new("k"));
        let limits = Limits::from(&crate::config::BudgetsConfig::default());
        let client = VendorClient::new(&server.uri(), profile, credential, limits, "vendor.toml").unwrap();
        let out = probe(&client, None, 1).await;
        let text = out.lines.join("\n");
        assert!(out.missing, "{text}");
        let line = out.lines.iter().find(|l| l.contains("`status` from `/state`")).expect(&text);
        assert!(line.contains(suites::sync::PROFILE_MISTAKE), "{line}");
        assert!(!text.contains("`device_id` from"), "only the wrong pointer is named: {text}");
        assert!(text.contains("`per_page` 50 by default; sites: no limits declared"), "{text}");
    }
}
