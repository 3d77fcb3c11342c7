//! One full inventory sync: the account, every site and every site's devices, all pages.
//! The schema suite's checks all read the same sync instead of each fetching its own.

use std::sync::Arc;

use serde_json::Value;

use crate::context::{ApiError, Blame, Context, Fetched, Listed, Listing, VendorApi};
use crate::outcome::{Exchange, Outcome};

/// Words every note of a likely profile mistake carries (a pointer that matched nothing on any
/// record), so a failing check can say the profile may be wrong rather than the vendor.
pub const PROFILE_MISTAKE: &str = "the profile's pointer may be wrong, not the vendor";

/// The notes among `notes` that name a likely profile mistake.
pub fn profile_mistakes<'n>(notes: impl IntoIterator<Item = &'n String>) -> Vec<&'n String> {
    notes.into_iter().filter(|n| n.contains(PROFILE_MISTAKE)).collect()
}

/// The inventory of one site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteInventory {
    pub site_id: String,
    pub result: Result<Listing, ApiError>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InventorySync {
    pub account: Result<Fetched, ApiError>,
    pub sites: Result<Listing, ApiError>,
    /// One entry per site whose record carries a string `site_id`, in listing order.
    pub inventories: Vec<SiteInventory>,
}

/// A device as the checks walk it: the site it was listed under and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct ListedDevice<'a> {
    pub listed_under: &'a str,
    pub listed: &'a Listed,
    pub exchange: Option<&'a Exchange>,
}

impl ListedDevice<'_> {
    pub fn record(&self) -> &Value {
        &self.listed.record
    }

    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.listed.record.get(name).and_then(Value::as_str)
    }

    /// `device <id> (site <listed under>)`.
    pub fn subject(&self) -> String {
        let id = self.str_field("device_id").unwrap_or("<no device_id>");
        format!("device {id} (listed under site {})", self.listed_under)
    }

    pub fn source(&self) -> Option<String> {
        self.exchange.map(|e| e.url.clone())
    }
}

impl InventorySync {
    pub async fn fetch(api: &dyn VendorApi) -> Self {
        let account = api.account().await;
        let sites = api.sites().await;
        let mut inventories = Vec::new();
        if let Ok(listing) = &sites {
            for site_id in listing.records.iter().filter_map(|l| l.record.get("site_id").and_then(Value::as_str)) {
                if inventories.iter().any(|i: &SiteInventory| i.site_id == site_id) {
                    continue;
                }
                let result = api.inventory(site_id).await;
                inventories.push(SiteInventory { site_id: site_id.to_owned(), result });
            }
        }
        Self { account, sites, inventories }
    }

    /// The account id, when the account answered with one.
    pub fn account_id(&self) -> Option<&str> {
        self.account.as_ref().ok()?.record.get("account_id")?.as_str()
    }

    /// The sites, or the outcome a check that needs them ends with.
    pub fn require_sites(&self) -> Result<&Listing, Outcome> {
        self.sites.as_ref().map_err(|e| precondition(e, "the sites could not be listed (see schema.sites)"))
    }

    /// Every device of every site, or the outcome a check that needs them ends with.
    pub fn require_devices(&self) -> Result<Vec<ListedDevice<'_>>, Outcome> {
        self.require_sites()?;
        let mut devices = Vec::new();
        for inventory in &self.inventories {
            let listing = inventory.result.as_ref().map_err(|e| {
                precondition(
                    e,
                    &format!(
                        "the inventory of site {} could not be read (see schema.device-fields)",
                        inventory.site_id
                    ),
                )
            })?;
            devices.extend(listing.records.iter().map(|listed| ListedDevice {
                listed_under: &inventory.site_id,
                listed,
                exchange: listing.exchange_of(listed),
            }));
        }
        Ok(devices)
    }

    /// Every exchange of the sync, in order.
    pub fn exchanges(&self) -> Vec<&Exchange> {
        let mut all: Vec<&Exchange> = Vec::new();
        match &self.account {
            Ok(f) => all.push(&f.exchange),
            Err(e) => all.extend(&e.exchanges),
        }
        match &self.sites {
            Ok(l) => all.extend(&l.exchanges),
            Err(e) => all.extend(&e.exchanges),
        }
        for inventory in &self.inventories {
            match &inventory.result {
                Ok(l) => all.extend(&l.exchanges),
                Err(e) => all.extend(&e.exchanges),
            }
        }
        all
    }
}

/// The run's first sync, under its own type in the context's memo.
struct FirstSync(Arc<InventorySync>);
/// The run's second sync, a type of its own so it is not the first.
struct SecondSync(Arc<InventorySync>);

// Defined here rather than in `context`, so the context knows nothing of syncs.
impl Context {
    /// The run's full inventory sync (account, every site, every site's devices, all pages),
    /// done on first use and shared by every check.
    pub async fn sync(&self) -> Arc<InventorySync> {
        let first = self.memo(|| async { FirstSync(Arc::new(InventorySync::fetch(self.api.as_ref()).await)) }).await;
        first.0.clone()
    }

    /// A second, independent sync after the first, for stability checks (ID-1).
    pub async fn second_sync(&self) -> Arc<InventorySync> {
        self.sync().await;
        let second = self.memo(|| async { SecondSync(Arc::new(InventorySync::fetch(self.api.as_ref()).await)) }).await;
        second.0.clone()
    }
}

/// A missing precondition: SKIP when the vendor's answer was the problem (another check reports
/// it as a FAIL), ERROR when the harness could not test.
pub(crate) fn precondition(error: &ApiError, what: &str) -> Outcome {
    match error.kind.blame() {
        Blame::Vendor => Outcome::skip(what.to_owned()),
        Blame::Harness => error.to_outcome(what),
    }
}
