//! One full inventory sync: the account, every site and every site's devices, all pages.
//! The schema suite's checks all read the same sync instead of each fetching its own.

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{StreamExt as _, stream};
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

/// How many independent reads a check has in flight at once (each site's inventory, the
/// pagination survey's walks): a vendor across the internet is not waited on one answer at a
/// time, and none is sent a burst. Only reads whose answers cannot depend on one another overlap;
/// each walk still follows its own pages one after another, and results keep the order they
/// were asked in, so what a check judges is what it judged one read at a time.
pub const READS_AT_ONCE: usize = 4;

/// Awaits independent `reads` [`READS_AT_ONCE`] at a time; their results in the order given.
/// Boxed futures: the compiler cannot prove a stream of borrowing closures' futures `Send`.
pub async fn overlapped<T>(reads: Vec<BoxFuture<'_, T>>) -> Vec<T> {
    stream::iter(reads).buffered(READS_AT_ONCE).collect().await
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
    /// The account and the sites together, then every listed site's inventory once,
    /// [`READS_AT_ONCE`] at a time, in listing order.
    pub async fn fetch(api: &dyn VendorApi) -> Self {
        let (account, sites) = tokio::join!(api.account(), api.sites());
        let mut seen = HashSet::new();
        let site_ids: Vec<&str> = match &sites {
            Ok(listing) => listing
                .records
                .iter()
                .filter_map(|l| l.record.get("site_id").and_then(Value::as_str))
                .filter(|id| seen.insert(*id))
                .collect(),
            Err(_) => Vec::new(),
        };
        let mut reads: Vec<BoxFuture<'_, SiteInventory>> = Vec::new();
        for site_id in site_ids {
            reads.push(Box::pin(async move {
                SiteInventory { site_id: site_id.to_owned(), result: api.inventory(site_id).await }
            }));
        }
        let inventories = overlapped(reads).await;
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use async_trait::async_trait;
    use serde_json::json;

    use super::*;
    use crate::context::{ApiErrorKind, Collection, Endpoints, PageVisitor, Probe, WalkEnd};
    use crate::outcome::Exchange;

    /// Sites `s0`, `s1`, `s0` again, `s2` … `s5`; each inventory answers later the earlier its
    /// site is listed, so reads that overlap end out of order.
    #[derive(Debug, Default)]
    struct Slow {
        in_flight: AtomicUsize,
        most: AtomicUsize,
        reads: Mutex<Vec<String>>,
    }

    const SITES: [&str; 7] = ["s0", "s1", "s0", "s2", "s3", "s4", "s5"];

    fn listing(records: Vec<Value>) -> Listing {
        Listing {
            records: records.into_iter().map(|record| Listed { raw: record.clone(), record, page: 0 }).collect(),
            exchanges: vec![Exchange::default()],
            notes: Vec::new(),
        }
    }

    #[async_trait]
    impl VendorApi for Slow {
        async fn account(&self) -> Result<Fetched, ApiError> {
            let record = json!({"account_id": "a"});
            Ok(Fetched { raw: record.clone(), record, exchange: Exchange::default() })
        }
        async fn sites(&self) -> Result<Listing, ApiError> {
            Ok(listing(SITES.iter().map(|s| json!({"site_id": s})).collect()))
        }
        async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            self.reads.lock().unwrap().push(site_id.to_owned());
            let n: u64 = site_id[1..].parse().unwrap();
            tokio::time::sleep(Duration::from_millis(5 * (6 - n))).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(listing(vec![json!({"device_id": format!("{site_id}-d")})]))
        }
        fn endpoints(&self) -> Endpoints {
            Endpoints::canonical()
        }
        async fn probe(&self, _: Probe) -> Result<crate::context::Answer, ApiError> {
            unreachable!("not used")
        }
        async fn walk(&self, _: &Collection, _: Option<u64>, _: &mut PageVisitor<'_>) -> Result<WalkEnd, ApiError> {
            Err(ApiError::new(ApiErrorKind::Config, "not used", Vec::<Exchange>::new()))
        }
    }

    #[tokio::test]
    async fn inventories_are_read_a_few_at_once_each_once_in_listing_order() {
        let api = Slow::default();
        let sync = InventorySync::fetch(&api).await;
        let order: Vec<&str> = sync.inventories.iter().map(|i| i.site_id.as_str()).collect();
        assert_eq!(order, ["s0", "s1", "s2", "s3", "s4", "s5"], "listing order, a site listed twice read once");
        for inventory in &sync.inventories {
            let devices = &inventory.result.as_ref().unwrap().records;
            assert_eq!(devices[0].record["device_id"], format!("{}-d", inventory.site_id), "each its own answer");
        }
        assert_eq!(api.reads.lock().unwrap().len(), 6);
        assert_eq!(api.most.load(Ordering::SeqCst), READS_AT_ONCE, "overlapping, at most {READS_AT_ONCE} at once");
        assert_eq!(sync.account_id(), Some("a"));
    }
}
