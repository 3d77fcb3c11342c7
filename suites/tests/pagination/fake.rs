//! The in-memory vendor the suite runs against: pages served on the fly from per-site counts,
//! with the bugs (and unusual but conformant behaviours) it can be told to show.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use suites::{
    Answer, ApiError, ApiErrorKind, Budgets, Collection, Endpoints, Exchange, Fetched, Listed, Listing, PageVisitor,
    Paging, Probe, SizeLimits, VendorApi, Walk, WalkEnd,
};

pub(crate) const ACCOUNT: &str = "a1b2c3d4-5678-90ab-cdef-1234567890ab";
pub(crate) const DEFAULT: u64 = 10;

/// What the fake vendor gets wrong (or does in an unusual but conformant way).
#[derive(Debug, Clone, Default)]
pub(crate) struct Bugs {
    /// Each page after the first starts with the previous page's last item.
    pub(crate) duplicate: bool,
    /// The first item of each page after the first is left out.
    pub(crate) skip: bool,
    /// `total_pages` is one too many.
    pub(crate) wrong_totals: bool,
    /// Bad parameters answer 500.
    pub(crate) bad_500: bool,
    /// A page past the end repeats the last page.
    pub(crate) past_end_repeats: bool,
    /// `per_page` has no maximum.
    pub(crate) no_max: bool,
    /// Each page's items come in another order on every call.
    pub(crate) shuffle: bool,
    /// Ids change on every walk.
    pub(crate) unstable_ids: bool,
    /// Bad parameters are clamped, visibly: `page` to 1, `per_page` to the default.
    pub(crate) clamp_bad: bool,
    /// Bad parameters are answered 200 with the pagination block echoing them.
    pub(crate) clamp_invisibly: bool,
    /// A huge `per_page` is clamped to this, visibly, instead of refused.
    pub(crate) clamp_huge_to: Option<u64>,
    /// `per_page` under 5 is refused with a 400.
    pub(crate) refuse_small: bool,
    /// `per_page` under 5 is served on page 1 and refused with a 400 on later pages.
    pub(crate) refuse_small_later: bool,
    /// A page past the end answers 404.
    pub(crate) past_end_404: bool,
    /// Items shift by one position between calls (offset pagination over a changing sort).
    pub(crate) drift: bool,
    /// The pagination block has no `per_page` (a profile with no `per_page` pointer).
    pub(crate) hide_per_page: bool,
    /// A walk at this page size times out (the harness's side).
    pub(crate) timeout_at: Option<u64>,
    /// Listing the sites answers 500: there is nothing to survey.
    pub(crate) sites_refused: bool,
}

#[derive(Debug)]
pub(crate) struct Fake {
    /// Each site and how many devices it has.
    pub(crate) sites: Vec<(String, u64)>,
    pub(crate) bugs: Bugs,
    /// Larger page sizes are refused with a 400 (or clamped, per `bugs`).
    pub(crate) max: u64,
    /// The maximum the vendor's profile declares (`max_size`), if any.
    pub(crate) declared_max: Option<u64>,
    /// The minimum the vendor's profile declares (`min_size`), if any.
    pub(crate) declared_min: Option<u64>,
    /// Every page size a walk asked for (`None`: the default).
    pub(crate) walked_sizes: std::sync::Mutex<Vec<Option<u64>>>,
    pub(crate) page_numbered: bool,
    pub(crate) calls: AtomicU64,
    pub(crate) walks: AtomicU64,
    /// Walks begun and not ended, and the most there were at once.
    pub(crate) in_flight: AtomicU64,
    pub(crate) most_in_flight: AtomicU64,
    /// The same of single requests (`probe`).
    pub(crate) probes_in_flight: AtomicU64,
    pub(crate) most_probes_in_flight: AtomicU64,
}

pub(crate) fn site_id(i: usize) -> String {
    format!("5e6693c0-091d-47a2-b90a-{i:012x}")
}

pub(crate) fn fake(counts: &[u64], bugs: Bugs) -> Fake {
    let sites = counts.iter().enumerate().map(|(i, &n)| (site_id(i), n)).collect();
    Fake {
        sites,
        bugs,
        max: contract::MAX_PER_PAGE,
        declared_max: None,
        declared_min: None,
        walked_sizes: std::sync::Mutex::new(Vec::new()),
        page_numbered: true,
        calls: AtomicU64::new(0),
        walks: AtomicU64::new(0),
        in_flight: AtomicU64::new(0),
        most_in_flight: AtomicU64::new(0),
        probes_in_flight: AtomicU64::new(0),
        most_probes_in_flight: AtomicU64::new(0),
    }
}

pub(crate) fn exchange(url: String, status: u16) -> Exchange {
    Exchange { method: "GET".into(), url, status: Some(status), reproduce: "curl".into(), ..Exchange::default() }
}

impl Fake {
    fn total(&self, collection: &Collection) -> u64 {
        match collection {
            Collection::Sites => self.sites.len() as u64,
            Collection::Inventory { site_id } => self.sites.iter().find(|(s, _)| s == site_id).map_or(0, |s| s.1),
        }
    }

    fn item(&self, collection: &Collection, i: u64) -> Value {
        let generation = if self.bugs.unstable_ids { self.walks.load(Ordering::SeqCst) } else { 0 };
        match collection {
            Collection::Sites => json!({"site_id": site_id(i as usize), "name": format!("site {i}")}),
            Collection::Inventory { site_id } => {
                json!({"device_id": format!("{site_id}-{generation}-{i}"), "site_id": site_id, "name": format!("device {i}")})
            }
        }
    }

    fn url(collection: &Collection, page: Option<&str>, per_page: Option<&str>) -> String {
        let path = match collection {
            Collection::Sites => "/api/v1/account/sites".to_owned(),
            Collection::Inventory { site_id } => format!("/api/v1/sites/{site_id}/inventory"),
        };
        format!("http://v{path}?page={}&per_page={}", page.unwrap_or(""), per_page.unwrap_or(""))
    }

    /// The vendor's answer to one page request: status and body.
    fn serve(&self, collection: &Collection, page: Option<&str>, per_page: Option<&str>) -> (u16, Value) {
        let b = &self.bugs;
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let key = if *collection == Collection::Sites { "sites" } else { "devices" };
        if !self.page_numbered {
            let items: Vec<Value> = (0..self.total(collection)).map(|i| self.item(collection, i)).collect();
            return (200, json!({key: items}));
        }
        let bad = || if b.bad_500 { 500 } else { 400 };
        let parse = |raw: Option<&str>, default: u64| raw.map_or(Ok(default as i128), |r| r.parse::<i128>());
        let (mut page_n, mut per_page_n) = match (parse(page, 1), parse(per_page, DEFAULT)) {
            (Ok(p), Ok(n)) => (p, n),
            _ if b.clamp_bad => (1, DEFAULT as i128),
            _ => return (bad(), json!({"error": "not a number"})),
        };
        if page_n < 1 || per_page_n < 1 {
            if b.clamp_bad {
                page_n = page_n.max(1);
                per_page_n = if per_page_n < 1 { DEFAULT as i128 } else { per_page_n };
            } else if !b.clamp_invisibly {
                return (bad(), json!({"error": "out of range"}));
            }
        }
        if b.refuse_small_later && (1..5).contains(&per_page_n) && page_n > 1 {
            return (400, json!({"error": "per_page must be at least 5"}));
        }
        if b.refuse_small && (1..5).contains(&per_page_n) {
            return (400, json!({"error": "per_page must be at least 5"}));
        }
        if per_page_n > i128::from(self.max) && !b.no_max && !b.clamp_invisibly {
            match b.clamp_huge_to {
                Some(to) => per_page_n = i128::from(to),
                None => return (bad(), json!({"error": "per_page too large"})),
            }
        }
        let total = self.total(collection);
        let per_page_u = u64::try_from(per_page_n.max(1)).unwrap_or(u64::MAX);
        let page_u = u64::try_from(page_n.max(1)).unwrap_or(u64::MAX);
        let pages = total.div_ceil(per_page_u);
        let mut shown_page = page_u;
        let mut start = (page_u - 1).saturating_mul(per_page_u).min(total);
        let mut end = start.saturating_add(per_page_u).min(total);
        if page_u > pages.max(1) {
            if b.past_end_404 {
                return (404, json!({"error": "no such page"}));
            }
            if b.past_end_repeats && pages > 0 {
                start = (pages - 1) * per_page_u;
                end = total;
            }
        } else if page_u > 1 {
            if b.duplicate {
                start -= 1;
                end -= u64::from(page_u != pages);
            } else if b.skip {
                start += 1;
            }
        }
        let shift = if b.drift { call % 2 } else { 0 };
        let mut items: Vec<Value> = (start..end).map(|i| self.item(collection, (i + shift) % total.max(1))).collect();
        if b.shuffle && items.len() > 1 {
            let k = (call as usize) % items.len();
            items.rotate_left(k.max(1));
        }
        if b.clamp_invisibly {
            shown_page = u64::try_from(page_n).unwrap_or(0);
        }
        let total_pages = pages + u64::from(b.wrong_totals);
        let shown_per_page = if b.clamp_invisibly { u64::try_from(per_page_n).unwrap_or(0) } else { per_page_u };
        let mut pagination =
            json!({"page": shown_page, "per_page": shown_per_page, "total_pages": total_pages, "total_count": total});
        if b.hide_per_page {
            pagination.as_object_mut().unwrap().remove("per_page");
        }
        (200, json!({key: items, "pagination": pagination}))
    }

    fn answer(&self, collection: &Collection, page: Option<&str>, per_page: Option<&str>) -> Answer {
        let (status, json) = self.serve(collection, page, per_page);
        Answer {
            status,
            text: json.to_string(),
            json: Some(json),
            exchange: exchange(Self::url(collection, page, per_page), status),
        }
    }

    fn listing(&self, collection: &Collection) -> Listing {
        let records = (0..self.total(collection))
            .map(|i| {
                let record = self.item(collection, i);
                Listed { raw: record.clone(), record, page: 0 }
            })
            .collect();
        Listing { records, exchanges: vec![exchange(Self::url(collection, None, None), 200)], notes: vec![] }
    }
}

#[async_trait]
impl VendorApi for Fake {
    async fn account(&self) -> Result<Fetched, ApiError> {
        let record = json!({"account_id": ACCOUNT, "name": "Acme"});
        Ok(Fetched { raw: record.clone(), record, exchange: exchange("http://v/api/v1/account".into(), 200) })
    }

    async fn sites(&self) -> Result<Listing, ApiError> {
        if self.bugs.sites_refused {
            let e = exchange("http://v/api/v1/sites".into(), 500);
            return Err(ApiError::new(ApiErrorKind::Status, "answered 500", vec![e]));
        }
        Ok(self.listing(&Collection::Sites))
    }

    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
        Ok(self.listing(&Collection::Inventory { site_id: site_id.to_owned() }))
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints {
            paging: if self.page_numbered {
                let limits = SizeLimits { max: self.declared_max, default: None, min: self.declared_min };
                Paging { size_default: DEFAULT, sites_limits: limits, inventory_limits: limits, ..Paging::canonical() }
            } else {
                Paging::none()
            },
            ..Endpoints::canonical()
        }
    }

    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        // As a walk: in flight from here, yielding once, so probes a check overlaps are seen together.
        let now = self.probes_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_probes_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::task::yield_now().await;
        self.probes_in_flight.fetch_sub(1, Ordering::SeqCst);
        let collection = match probe.path.strip_prefix("/api/v1/sites/") {
            Some(rest) => Collection::Inventory { site_id: rest.trim_end_matches("/inventory").to_owned() },
            None => Collection::Sites,
        };
        let param = |name: &str| probe.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        Ok(self.answer(&collection, param("page"), param("per_page")))
    }

    async fn walk(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError> {
        // In flight until it ends; it yields once before its first page, so walks the survey
        // overlaps are seen together (each then runs its pages in one go, as before).
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::task::yield_now().await;
        let walked = self.walk_pages(collection, per_page, visit);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        walked
    }
}

impl Fake {
    fn walk_pages(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError> {
        self.walks.fetch_add(1, Ordering::SeqCst);
        self.walked_sizes.lock().unwrap().push(per_page);
        let size = per_page.unwrap_or(DEFAULT).to_string();
        if per_page.is_some() && self.bugs.timeout_at == per_page {
            let e = exchange(Self::url(collection, Some("1"), Some(&size)), 0);
            return Err(ApiError::new(ApiErrorKind::Timeout, "no complete answer within 2 s", vec![e]));
        }
        let mut end = WalkEnd { pages: 0, notes: vec![] };
        for page in 1.. {
            let number = page.to_string();
            let answer = self.answer(collection, Some(&number), Some(&size));
            if answer.status != 200 {
                let message = format!("answered {}", answer.status);
                return Err(ApiError::new(ApiErrorKind::Status, message, vec![answer.exchange]));
            }
            let exchange = answer.exchange.clone();
            let mut seen = suites::context::canonical_page(collection, &answer).expect("a page");
            seen.index = page;
            let (count, total_pages) = (seen.records.len(), seen.total_pages);
            end.pages += 1;
            if visit(seen) == Walk::Stop || !self.page_numbered {
                break;
            }
            match total_pages {
                Some(total) if page < total && count > 0 => {}
                _ => break,
            }
            if page >= Budgets::default().max_pages {
                return Err(ApiError::new(ApiErrorKind::TooManyPages, "too many pages", vec![exchange]));
            }
        }
        Ok(end)
    }
}
