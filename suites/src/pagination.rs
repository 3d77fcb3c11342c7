//! The pagination suite (PAGE-1 … PAGE-6): sites and every site's inventory walked page by page
//! at several page sizes, and requests with bad, past-the-end and huge page parameters.
//!
//! Walks stream: a [`Tally`] sees each page once and keeps a 128-bit hash per item (the id text of
//! only the first [`NAMED_ITEMS`]), the first and last page's exchange and the exchanges of a few
//! failing pages per flaw. A finished walk of a million devices holds 16 MB of hashes (under
//! 100 MB at its peak, with the map that spots repeats), where its records would take gigabytes.
//! Every walk is made once per run, in one survey that the checks share through
//! [`Context::memo`]; each check judges its own flaws in it.

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;

use crate::Check;
use crate::context::{
    Answer, ApiError, ApiErrorKind, Blame, Collection, Context, PageAsk, PageSeen, Paging, PagingKind, Walk, WalkEnd,
};
use crate::outcome::{Evidence, Exchange, Finding, MAX_FINDINGS, Outcome};

/// Page sizes tried as "a prime", in order of preference: one that is neither the default nor 1
/// makes page boundaries fall where the default's do not.
const PRIMES: [u64; 4] = [7, 3, 11, 13];
/// A walk at page size 1 or the prime is made only if it takes at most this many pages...
const SMALL_WALK_PAGES: u64 = 100;
/// ...and while the run's small walks together stay within this many pages (a vendor with
/// thousands of sites is not asked for each inventory one device at a time).
const SMALL_WALK_BUDGET: u64 = 400;
/// The requirements this suite enforces, quoted from CONTRACT.md §4: every FAIL names its own.
const PAGE_1: &str = "PAGE-1 (MUST): \"Walking pages 1..total_pages yields every item exactly once: no duplicates, no gaps, count equals `total_count`\"";
const PAGE_2: &str = "PAGE-2 (MUST): \"`total_pages` = ceil(`total_count` / `per_page`), and the totals agree on every page of one walk. Every page but the last is full\"";
const PAGE_3: &str = "PAGE-3 (MUST): \"Bad parameters (`page=0`, `page=-1`, `per_page=0`, non-numeric) give a 4xx or a clamp visible in `pagination`, never a 5xx\"";
const PAGE_4: &str = "PAGE-4 (SHOULD): \"A page past the end returns 200 with an empty list (or a 404), never a 5xx, never repeated data\"";
const PAGE_5: &str = "PAGE-5 (SHOULD): \"`per_page` has a maximum (huge values are clamped, visibly in `pagination.per_page`, or rejected with a 4xx)\"";
const PAGE_6: &str = "PAGE-6 (SHOULD): \"Order is stable: two walks with no change in between give the same order\"";

/// A `per_page` no vendor should serve unclamped (PAGE-5).
pub const HUGE_PER_PAGE: u64 = 1_000_000;
/// A page number beyond any 64-bit integer: overflow must not become a 5xx (PAGE-3).
const HUGE_PAGE: &str = "99999999999999999999999";
/// A walk keeps the id text of this many items, to name them in evidence; beyond, hashes only.
pub const NAMED_ITEMS: usize = 1000;

/// What a walk can get wrong; each check judges some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flaw {
    /// An item listed twice, identical both times (PAGE-1).
    Duplicate,
    /// The walk listed more or fewer items than `total_count` (PAGE-1).
    Count,
    /// A page has no `total_pages` (PAGE-2).
    NoTotalPages,
    /// `total_pages` is not ceil(`total_count` / `per_page`) (PAGE-2).
    NotCeil,
    /// The totals differ from page 1's (PAGE-2).
    TotalsChanged,
    /// A page other than the last holds fewer than `per_page` items (PAGE-2).
    NotFull,
    /// The walk's order differs from an earlier walk's at the same page size (PAGE-6).
    Order,
    /// A page names as next a page the walk was already sent to: the chain loops (PAGE-1,
    /// cursor and Link-header pagination).
    Loop,
}

/// One flaw on one page (or of a whole walk), with that page's exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub flaw: Flaw,
    pub subject: String,
    /// JSON Pointer of the canonical field concerned (`/pagination/total_pages`), or empty.
    pub pointer: &'static str,
    pub message: String,
    pub record: Option<Value>,
    pub exchange: Option<Exchange>,
}

/// Hashes of item ids are already uniform: a map keyed by them need not hash them again.
#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

type IdMap<V> = HashMap<u128, V, BuildHasherDefault<IdHasher>>;

/// 128 bits: a million ids collide with a probability of about 10^-27.
fn hash128(seed: u8, value: &impl Hash) -> u128 {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        (seed, salt, value).hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

fn hash_value(value: &Value, h: &mut impl Hasher) {
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => (2u8, u).hash(h),
            (None, Some(i)) => (3u8, i).hash(h),
            _ => (4u8, n.as_f64().map(f64::to_bits)).hash(h),
        },
        Value::String(s) => (5u8, s).hash(h),
        Value::Array(items) => {
            (6u8, items.len()).hash(h);
            items.iter().for_each(|v| hash_value(v, h));
        }
        Value::Object(map) => {
            (7u8, map.len()).hash(h);
            for (k, v) in map {
                k.hash(h);
                hash_value(v, h);
            }
        }
    }
}

/// The content of a record, to tell an item listed twice from two items sharing an id.
fn content_hash(record: &Value) -> u64 {
    let mut h = DefaultHasher::new();
    hash_value(record, &mut h);
    h.finish()
}

/// The field that identifies an item of a collection, and what evidence calls it.
fn id_field(collection: &Collection) -> (&'static str, &'static str) {
    match collection {
        Collection::Sites => ("site_id", "site"),
        Collection::Inventory { .. } => ("device_id", "device"),
    }
}

/// `sites` or `the inventory of site <id>`.
pub fn label(collection: &Collection) -> String {
    match collection {
        Collection::Sites => "sites".into(),
        Collection::Inventory { site_id } => format!("the inventory of site {site_id}"),
    }
}

/// One note per distinct text, naming every collection it holds for (`sites and the
/// inventories of 4 sites: ...`), in the order the texts first came: the same words once per
/// site say nothing more.
fn grouped_notes<'a>(notes: impl IntoIterator<Item = (&'a Collection, String)>) -> Vec<String> {
    let mut groups: Vec<(String, Vec<&Collection>)> = Vec::new();
    for (collection, text) in notes {
        match groups.iter_mut().find(|(t, _)| *t == text) {
            Some((_, members)) => members.push(collection),
            None => groups.push((text, vec![collection])),
        }
    }
    groups
        .into_iter()
        .map(|(text, members)| {
            let inventories: Vec<&Collection> =
                members.iter().copied().filter(|c| matches!(c, Collection::Inventory { .. })).collect();
            let mut names: Vec<String> =
                members.iter().filter(|c| matches!(c, Collection::Sites)).map(|c| label(c)).take(1).collect();
            match inventories.as_slice() {
                [] => {}
                [one] => names.push(label(one)),
                many => names.push(format!("the inventories of {} sites", many.len())),
            }
            format!("{}: {text}", names.join(" and "))
        })
        .collect()
}

fn size_shown(per_page: Option<u64>) -> String {
    per_page.map_or("the default per_page".into(), |n| format!("per_page {n}"))
}

/// A short page, judged when the walk shows whether it was the last.
#[derive(Debug)]
struct Short {
    index: u64,
    count: usize,
    per_page: u64,
    exchange: Exchange,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    content: u64,
    page: u64,
}

/// A walk's visitor: judges each page as it passes and keeps ids, not pages.
#[derive(Debug)]
pub struct Tally {
    label: String,
    field: &'static str,
    noun: &'static str,
    requested: Option<u64>,
    /// An earlier walk at the same page size, whose order this one must repeat (PAGE-6).
    reference: Option<Arc<Walked>>,
    order: Vec<u128>,
    seen: IdMap<Seen>,
    names: IdMap<String>,
    /// `total_count` and `total_pages` of page 1.
    totals: Option<(Option<u64>, Option<u64>)>,
    /// The last (`total_count`, `total_pages`, `per_page`) flagged as not ceil, so a walk whose
    /// every page repeats the same wrong totals is one problem, not one per page.
    flagged_ceil: Option<(u64, u64, u64)>,
    per_page: Option<u64>,
    /// The size a vendor that reports none served on page 1 of a walk at a size above its
    /// default, while more pages followed: a silent clamp, whose pages are judged at that size.
    silent: Option<u64>,
    short: Option<Short>,
    last_total_pages: Option<u64>,
    pages: u64,
    first: Option<Exchange>,
    last: Option<Exchange>,
    problems: Vec<Problem>,
    counts: BTreeMap<Flaw, usize>,
    collisions: usize,
    without_id: usize,
    paging: Paging,
    /// The endpoint (of a union) the current page came from, and each earlier one's first
    /// `total_count`: a union's count is their sum.
    part: usize,
    part_counts: Vec<Option<u64>>,
    /// Hashes of every `next` named so far (a chained walk that names one twice loops).
    nexts: IdMap<u64>,
    /// The keyset value of the last item of the first endpoint's last page (PAGE-4's probe).
    last_after: Option<String>,
}

impl Tally {
    /// A visitor for a walk of `collection` paginated as `paging` that asked for `per_page`
    /// (`None`: the profile's default).
    pub fn new(collection: &Collection, paging: &Paging, per_page: Option<u64>) -> Self {
        let (field, noun) = id_field(collection);
        Self {
            label: label(collection),
            field,
            noun,
            requested: per_page,
            reference: None,
            order: Vec::new(),
            seen: IdMap::default(),
            names: IdMap::default(),
            totals: None,
            flagged_ceil: None,
            per_page: None,
            silent: None,
            short: None,
            last_total_pages: None,
            pages: 0,
            first: None,
            last: None,
            problems: Vec::new(),
            counts: BTreeMap::new(),
            collisions: 0,
            without_id: 0,
            paging: paging.clone(),
            part: 0,
            part_counts: Vec::new(),
            nexts: IdMap::default(),
            last_after: None,
        }
    }

    /// Also flags where this walk's order first departs from `earlier`'s.
    pub fn following(mut self, earlier: Arc<Walked>) -> Self {
        self.reference = Some(earlier);
        self
    }

    fn page_subject(&self, index: u64) -> String {
        format!("{}, {}, page {index}", self.label, size_shown(self.requested))
    }

    fn flag(&mut self, flaw: Flaw, subject: String, pointer: &'static str, message: String, record: Option<Value>) {
        let count = self.counts.entry(flaw).or_default();
        *count += 1;
        if *count <= MAX_FINDINGS {
            // The exchange of the page being judged (a short page is judged one page later).
            let exchange = self.last.clone();
            self.problems.push(Problem { flaw, subject, pointer, message, record, exchange });
        }
    }

    fn flag_short(&mut self, short: Short, why: String) {
        let subject = self.page_subject(short.index);
        let message = format!("page {} holds {} of {} items, {why}", short.index, short.count, short.per_page);
        let saved = self.last.replace(short.exchange);
        self.flag(Flaw::NotFull, subject, "", message, None);
        if let Some(saved) = saved {
            self.last = Some(saved);
        }
    }

    /// Judges one page; the walk goes on whatever it finds.
    pub fn visit(&mut self, seen: PageSeen) -> Walk {
        let PageSeen { index, part, next, after, records, per_page, total_pages, total_count, exchange, .. } = seen;
        self.pages += 1;
        if part == 0 && after.is_some() {
            self.last_after = after;
        }
        if part != self.part {
            // A union's next endpoint: the previous one's last page may be short, and this
            // one's pages are judged on their own.
            if let Some(short) = self.short.take()
                && let Some(pages) = self.last_total_pages
                && short.index < pages
            {
                let why = format!("and its endpoint's walk ended there though the vendor reports {pages} pages");
                self.flag_short(short, why);
            }
            self.part_counts.push(self.totals.and_then(|t| t.0));
            self.totals = None;
            self.flagged_ceil = None;
            self.last_total_pages = None;
            self.part = part;
        }
        if let Some(short) = self.short.take() {
            self.flag_short(short, "yet another page follows it".into());
        }
        if self.first.is_none() {
            self.first = Some(exchange.clone());
        }
        self.last = Some(exchange);
        // PAGE-2 judges pages against the size the vendor used: one that reports no size and
        // clamps a large one silently (a PAGE-5 matter) serves full pages of its own size.
        let more = total_pages.is_some_and(|p| p > 1) || next.is_some() || total_count > Some(records.len() as u64);
        if per_page.is_none()
            && self.pages == 1
            && part == 0
            && !records.is_empty()
            && more
            && self.requested.is_some_and(|asked| asked > self.paging.size_default && (records.len() as u64) < asked)
        {
            self.silent = Some(records.len() as u64);
        }
        let per_page = per_page.or(self.silent).or(self.requested);
        self.per_page = self.per_page.or(per_page);
        self.last_total_pages = total_pages;
        self.judge_totals(index, total_count, total_pages, per_page);
        let count = records.len();
        for record in records {
            self.item(index, record);
        }
        // A short page is the end of a page-numbered walk; chained pagination may serve short
        // pages anywhere (the chain, not the size, says where it ends).
        if let Some(per_page) = per_page
            && (count as u64) < per_page
            && !self.paging.kind.chained()
        {
            let exchange = self.last.clone().unwrap_or_default();
            self.short = Some(Short { index, count, per_page, exchange });
        }
        if let Some(next) = next
            && self.paging.kind.chained()
        {
            let key = hash128(2, &(part, &next));
            if let Some(earlier) = self.nexts.get(&key) {
                let what = if self.paging.kind == PagingKind::Cursor { "next-page token" } else { "`rel=next` link" };
                let message = format!(
                    "page {index} names as its {what} `{}`, which page {earlier} named already: the chain loops and never ends",
                    shorten(&next)
                );
                self.flag(Flaw::Loop, self.page_subject(index), "", message, None);
                return Walk::Stop;
            }
            self.nexts.insert(key, index);
        }
        Walk::Continue
    }

    fn judge_totals(&mut self, index: u64, count: Option<u64>, pages: Option<u64>, per_page: Option<u64>) {
        if pages.is_none() && self.paging.total_pages && !self.counts.contains_key(&Flaw::NoTotalPages) {
            let subject = self.page_subject(index);
            let message = format!("page {index} reports no `total_pages`, so the walk cannot know where it ends");
            self.flag(Flaw::NoTotalPages, subject, "/pagination/total_pages", message, None);
        }
        match self.totals {
            None => self.totals = Some((count, pages)),
            Some((count1, pages1)) if (count1, pages1) != (count, pages) => {
                let shown = |c: Option<u64>, p: Option<u64>| {
                    let n = |v: Option<u64>| v.map_or("none".into(), |v| v.to_string());
                    format!("`total_count` {} and `total_pages` {}", n(c), n(p))
                };
                let message =
                    format!("page {index} reports {}; page 1 reported {}", shown(count, pages), shown(count1, pages1));
                self.flag(Flaw::TotalsChanged, self.page_subject(index), "/pagination", message, None);
            }
            Some(_) => {}
        }
        if let (Some(count), Some(pages), Some(per_page)) = (count, pages, per_page) {
            let expected = contract::pagination::total_pages(count, per_page);
            if pages != expected && self.flagged_ceil != Some((count, pages, per_page)) {
                self.flagged_ceil = Some((count, pages, per_page));
                let message = format!(
                    "`total_pages` is {pages}, but ceil(`total_count` {count} / `per_page` {per_page}) is {expected}"
                );
                self.flag(Flaw::NotCeil, self.page_subject(index), "/pagination/total_pages", message, None);
            }
        }
    }

    fn item(&mut self, index: u64, record: Value) {
        let content = content_hash(&record);
        let (id, text) = match record.get(self.field).and_then(Value::as_str) {
            Some(text) => (hash128(0, &text), Some(text.to_owned())),
            None => {
                self.without_id += 1;
                (hash128(1, &content), None)
            }
        };
        let position = self.order.len();
        if let Some(earlier) = &self.reference
            && earlier.order.get(position) != Some(&id)
            && !self.counts.contains_key(&Flaw::Order)
        {
            let was = earlier.order.get(position).map_or("nothing".to_owned(), |h| match earlier.names.get(h) {
                Some(name) => format!("{} {name}", self.noun),
                None => format!("another {}", self.noun),
            });
            let now =
                text.as_deref().map_or(format!("a {} without an id", self.noun), |t| format!("{} {t}", self.noun));
            let message = format!(
                "position {} (page {index}) holds {now}; the first walk at this page size had {was} there",
                position + 1
            );
            self.flag(Flaw::Order, self.page_subject(index), "", message, Some(record.clone()));
        }
        match self.seen.entry(id) {
            Entry::Occupied(first) if first.get().content == content => {
                let first_page = first.get().page;
                let subject = format!(
                    "{} {} ({}, {}, page {index})",
                    self.noun,
                    text.as_deref().unwrap_or("<no id>"),
                    self.label,
                    size_shown(self.requested)
                );
                let message = format!("listed again on page {index}, identical to its listing on page {first_page}");
                self.flag(Flaw::Duplicate, subject, "", message, Some(record));
            }
            // Another record under the same id: INV-1's concern (two devices sharing an id),
            // or an item whose record changed between two pages; the count tells.
            Entry::Occupied(_) => self.collisions += 1,
            Entry::Vacant(slot) => {
                slot.insert(Seen { content, page: index });
            }
        }
        if let Some(text) = text
            && self.names.len() < NAMED_ITEMS
        {
            self.names.entry(id).or_insert(text);
        }
        self.order.push(id);
    }

    /// Bytes this visitor holds now: ids, names, exchanges and problems; never a page's records.
    pub fn retained_bytes(&self) -> usize {
        let map_entry = std::mem::size_of::<(u128, Seen)>() + 1;
        self.order.capacity() * 16
            + self.seen.capacity() * map_entry
            + names_bytes(&self.names)
            + self.exchanges().map(exchange_bytes).sum::<usize>()
    }

    fn exchanges(&self) -> impl Iterator<Item = &Exchange> {
        self.first
            .iter()
            .chain(&self.last)
            .chain(self.short.as_ref().map(|s| &s.exchange))
            .chain(self.problems.iter().filter_map(|p| p.exchange.as_ref()))
    }

    /// Ends the walk: judges the last page and the count, and drops what only the walk needed.
    pub fn finish(mut self, end: WalkEnd) -> Walked {
        if let Some(short) = self.short.take()
            && let Some(pages) = self.last_total_pages
            && short.index < pages
        {
            self.flag_short(short, format!("and the walk ended there though the vendor reports {pages} pages"));
        }
        let mut notes = end.notes;
        let (last_count, total_pages) = self.totals.unwrap_or_default();
        // A union's count is the sum of its endpoints' (unknown when one of them reports none).
        let total_count = self.part_counts.iter().chain([&last_count]).try_fold(0u64, |sum, c| c.map(|c| sum + c));
        let items = self.order.len() as u64;
        // Records sharing an id but not their content count as distinct: INV-1's concern.
        let distinct = (self.seen.len() + self.collisions) as u64;
        match total_count {
            Some(total) if total != items || total != distinct => {
                let subject = format!("{}, {}", self.label, size_shown(self.requested));
                let mut listed = format!("{} over {}", plural(items, "item"), plural(self.pages, "page"));
                if distinct != items {
                    listed.push_str(&format!(", {distinct} of them distinct"));
                }
                let missing = match total.checked_sub(distinct) {
                    Some(0) | None => String::new(),
                    Some(n) => format!(": {n} never listed"),
                };
                let message = format!("the walk listed {listed}; `total_count` is {total}{missing}");
                self.flag(Flaw::Count, subject, "/pagination/total_count", message, None);
            }
            Some(_) => {}
            None if self.paging.total_count => {
                notes.push(format!("{}: no `total_count`, so the item count was not checked", self.label))
            }
            None => {}
        }
        if self.collisions > 0 {
            notes.push(format!(
                "{}: {} {}s share an id with a different record (INV-1, see schema.device-fields); each was counted",
                self.label, self.collisions, self.noun
            ));
        }
        if self.without_id > 0 {
            notes.push(format!(
                "{}: {} records have no `{}`; they were told apart by content",
                self.label, self.without_id, self.field
            ));
        }
        let mut order = self.order;
        order.shrink_to_fit();
        Walked {
            requested: self.requested,
            per_page: self.per_page,
            pages: self.pages,
            total_count,
            total_pages,
            order,
            names: self.names,
            first: self.first,
            last: self.last,
            last_after: self.last_after,
            problems: self.problems,
            counts: self.counts,
            notes,
        }
    }
}

/// A token or link as evidence shows it: at most 80 characters.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(80).collect::<String>())
    }
}

/// `1 item`, `2 items`.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn names_bytes(names: &IdMap<String>) -> usize {
    names.capacity() * (std::mem::size_of::<(u128, String)>() + 1) + names.values().map(String::capacity).sum::<usize>()
}

fn exchange_bytes(e: &Exchange) -> usize {
    std::mem::size_of::<Exchange>()
        + e.url.len()
        + e.reproduce.len()
        + e.body_excerpt.as_ref().map_or(0, String::len)
        + e.request_headers.iter().chain(&e.response_headers).map(|(k, v)| k.len() + v.len()).sum::<usize>()
}

/// A finished walk: ids in order, a sample of exchanges, and what was wrong.
#[derive(Debug)]
pub struct Walked {
    /// The page size asked for (`None`: the profile's default).
    pub requested: Option<u64>,
    /// The page size the vendor reported using (else the one asked for).
    pub per_page: Option<u64>,
    pub pages: u64,
    /// Page 1's totals.
    pub total_count: Option<u64>,
    pub total_pages: Option<u64>,
    order: Vec<u128>,
    names: IdMap<String>,
    first: Option<Exchange>,
    last: Option<Exchange>,
    /// The keyset value of the last item listed (of a union's first endpoint), when the profile
    /// says how to ask for the page after it.
    pub last_after: Option<String>,
    problems: Vec<Problem>,
    counts: BTreeMap<Flaw, usize>,
    notes: Vec<String>,
}

impl Walked {
    /// Items listed, repeats included.
    pub fn items(&self) -> u64 {
        self.order.len() as u64
    }

    /// The first few problems of `flaw` (at most [`MAX_FINDINGS`]).
    pub fn problems(&self, flaw: Flaw) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.flaw == flaw)
    }

    /// How many problems of `flaw` the walk met.
    pub fn count(&self, flaw: Flaw) -> usize {
        self.counts.get(&flaw).copied().unwrap_or(0)
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Every exchange the walk kept: page 1's, the last page's, each kept problem's.
    pub fn exchanges(&self) -> Vec<&Exchange> {
        let mut all: Vec<&Exchange> = Vec::new();
        for e in self.first.iter().chain(&self.last).chain(self.problems.iter().filter_map(|p| p.exchange.as_ref())) {
            if !all.contains(&e) {
                all.push(e);
            }
        }
        all
    }

    /// Bytes the finished walk holds: 16 per item, the names, the kept exchanges and problems.
    pub fn retained_bytes(&self) -> usize {
        self.order.capacity() * 16
            + names_bytes(&self.names)
            + self.exchanges().into_iter().map(exchange_bytes).sum::<usize>()
            + self.problems.iter().map(|p| p.message.len() + p.subject.len()).sum::<usize>()
    }

    /// The distinct items, sorted.
    fn set(&self) -> Vec<u128> {
        let mut ids = self.order.clone();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Every item with its repeats, sorted: two walks listing the same items in any order agree.
    fn multiset(&self) -> Vec<u128> {
        let mut ids = self.order.clone();
        ids.sort_unstable();
        ids
    }

    fn name(&self, id: &u128) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }
}

/// Which walk of a collection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// At the profile's page size: the reference for every comparison.
    Default,
    One,
    Prime,
    Max,
    /// At the default size again, after the others (PAGE-6).
    Again,
}

#[derive(Debug)]
struct SizedWalk {
    role: Role,
    per_page: Option<u64>,
    /// Pages served before the walk ended: a refusal of page 1 is a size the vendor does not
    /// take (PAGE-3), a refusal after pages were served is a broken walk.
    served: u64,
    result: Result<Arc<Walked>, ApiError>,
}

/// Where the largest page size walked came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MaxFrom {
    /// The vendor's profile declares it (`max_size`): PAGE-5 and the walks judge against it.
    Declared,
    /// The vendor clamped a huge `per_page` to it, visibly.
    Reported,
    /// Neither: the contract's documented maximum stands in.
    Contract,
}

/// One collection and its walks.
#[derive(Debug)]
struct Surveyed {
    collection: Collection,
    /// The largest page size walked, and where it came from (`None`: pages cannot be sized).
    max: Option<(u64, MaxFrom)>,
    walks: Vec<SizedWalk>,
    /// Page sizes not walked, and why.
    notes: Vec<String>,
}

impl Surveyed {
    fn label(&self) -> String {
        label(&self.collection)
    }

    fn walk(&self, role: Role) -> Option<&SizedWalk> {
        self.walks.iter().find(|w| w.role == role)
    }

    fn walked(&self, role: Role) -> Option<&Arc<Walked>> {
        self.walk(role).and_then(|w| w.result.as_ref().ok())
    }
}

/// A `per_page` far above any sane maximum, asked of one collection.
#[derive(Debug)]
struct HugeProbe {
    collection: Collection,
    result: Result<Answer, ApiError>,
    page: Option<PageSeen>,
}

/// Every walk of the run and the huge-`per_page` probes, made once and shared by the checks.
#[derive(Debug)]
struct Survey {
    paging: Paging,
    collections: Vec<Surveyed>,
    huge: Vec<HugeProbe>,
    notes: Vec<String>,
}

/// The survey, or the outcome every check ends with when there is nothing to walk.
type SurveyResult = Result<Survey, Outcome>;

async fn survey(cx: &Context) -> Arc<SurveyResult> {
    cx.memo::<SurveyResult, _, _>(|| Survey::take(cx)).await
}

/// The one prime page size walked: not the default, not above the maximum.
fn prime_size(default: u64, max: u64) -> Option<u64> {
    PRIMES.into_iter().find(|&p| p != default && p <= max)
}

/// The smallest prime above a declared minimum `min` that is neither the default nor above `max`.
fn prime_above(min: u64, default: u64, max: u64) -> Option<u64> {
    let is_prime = |n: u64| n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d));
    (min + 1..=max).find(|&n| is_prime(n) && n != default)
}

async fn walk(
    cx: &Context,
    collection: &Collection,
    role: Role,
    per_page: Option<u64>,
    after: Option<Arc<Walked>>,
) -> SizedWalk {
    let mut tally = Tally::new(collection, &cx.api.endpoints().paging, per_page);
    if let Some(earlier) = after {
        tally = tally.following(earlier);
    }
    let mut served = 0;
    let result = cx
        .api
        .walk(collection, per_page, &mut |seen| {
            served += 1;
            tally.visit(seen)
        })
        .await;
    let result = result.map(|end| Arc::new(tally.finish(end)));
    SizedWalk { role, per_page, served, result }
}

impl Survey {
    async fn take(cx: &Context) -> SurveyResult {
        let sync = cx.sync().await;
        sync.require_sites()?;
        let endpoints = cx.api.endpoints();
        let paging = endpoints.paging.clone();
        let mut notes = Vec::new();
        let mut subjects = vec![(Collection::Sites, 0)];
        for inventory in &sync.inventories {
            match &inventory.result {
                Ok(listing) => subjects
                    .push((Collection::Inventory { site_id: inventory.site_id.clone() }, listing.records.len())),
                Err(_) => notes.push(format!(
                    "the inventory of site {} was not walked: the inventory sync could not read it (see schema.device-fields)",
                    inventory.site_id
                )),
            }
        }
        let mut huge = Vec::new();
        let mut reported = None;
        if paging.sized().is_some() {
            // Sites and the largest inventory: a clamp shows best where there is most to clamp.
            let largest = subjects.iter().skip(1).max_by_key(|s| s.1).filter(|s| s.1 > 0);
            for (collection, _) in std::iter::once(&subjects[0]).chain(largest) {
                let probe = cx.api.page_probe(collection, &PageAsk::first(&paging, Some(HUGE_PER_PAGE)));
                let result = cx.api.probe(probe).await;
                let page =
                    result.as_ref().ok().filter(|a| a.is_success()).and_then(|a| cx.api.read_page(collection, a));
                if let Some(used) = page.as_ref().and_then(|p| p.per_page).filter(|&n| (1..HUGE_PER_PAGE).contains(&n))
                {
                    reported = Some(reported.map_or(used, |m: u64| m.min(used)));
                }
                huge.push(HugeProbe { collection: collection.clone(), result, page });
            }
        }
        let mut budget = SMALL_WALK_BUDGET;
        let mut collections = Vec::new();
        for (collection, _) in subjects {
            // What the vendor declares wins over what a clamp showed; the contract's documented
            // maximum stands in for neither (a vendor whose maximum is 100 is walked at 100).
            let max = paging.sized().map(|_| match (paging.limits(&collection).max, reported) {
                (Some(declared), _) => (declared, MaxFrom::Declared),
                (None, Some(clamp)) => (clamp, MaxFrom::Reported),
                (None, None) => (contract::MAX_PER_PAGE, MaxFrom::Contract),
            });
            let default = paging.sized().map(|(_, default)| default);
            let first = walk(cx, &collection, Role::Default, default, None).await;
            let mut walks = Vec::new();
            let mut size_notes = Vec::new();
            if let (Some(default), Some((max, _)), Ok(walked)) = (default, max, &first.result) {
                let items = walked.items().max(walked.total_count.unwrap_or(0));
                let limit = SMALL_WALK_PAGES.min(cx.budgets.max_pages);
                // A declared minimum (Meraki's `perPage` range) replaces 1 and bounds the prime.
                let min = paging.limits(&collection).min.unwrap_or(1);
                let prime = prime_size(default, max).filter(|&p| p > min).or_else(|| prime_above(min, default, max));
                let small = [(Role::One, Some(min)), (Role::Prime, prime)];
                for (role, size) in small {
                    let Some(size) = size.filter(|&s| s != default) else { continue };
                    let pages = items.div_ceil(size).max(1);
                    let why = if pages > limit {
                        format!("beyond the {limit}-page limit of a walk at a small page size")
                    } else if pages > budget {
                        format!("beyond what is left of the run's {SMALL_WALK_BUDGET} pages for small page sizes")
                    } else {
                        String::new()
                    };
                    if !why.is_empty() {
                        let what = label(&collection);
                        size_notes.push(format!(
                            "{what}: not walked at per_page {size}: {items} items take {pages} pages, {why}"
                        ));
                        continue;
                    }
                    budget -= pages;
                    walks.push(walk(cx, &collection, role, Some(size), None).await);
                }
                if max != default {
                    walks.push(walk(cx, &collection, Role::Max, Some(max), None).await);
                }
            }
            let again = walk(cx, &collection, Role::Again, default, first.result.as_ref().ok().cloned()).await;
            walks.insert(0, first);
            walks.push(again);
            collections.push(Surveyed { collection, max, walks, notes: size_notes });
        }
        Ok(Survey { paging, collections, huge, notes })
    }

    /// Sites and the inventory with the most items: where parameter probes are sent.
    fn probe_targets(&self) -> Vec<&Surveyed> {
        let items = |s: &Surveyed| s.walked(Role::Default).map_or(0, |w| w.items());
        let largest = self.collections.iter().skip(1).filter(|s| items(s) > 0).max_by_key(|s| items(s));
        self.collections.iter().take(1).chain(largest).collect()
    }

    /// SKIP for a check that needs page sizes, when the vendor's pagination has none.
    fn without_sizes(&self) -> Option<Outcome> {
        self.paging.sized().is_none().then(|| {
            Outcome::not_applicable(format!(
                "its pagination ({}) has no page-size parameter",
                self.paging.kind.as_str()
            ))
        })
    }

    /// SKIP for a check of what `kinds` of pagination alone have.
    fn unless(&self, kinds: &[PagingKind], what: &str) -> Option<Outcome> {
        (!kinds.contains(&self.paging.kind))
            .then(|| Outcome::not_applicable(format!("its pagination ({}) has no {what}", self.paging.kind.as_str())))
    }
}

/// What one check found: findings with their pages' exchanges, what kept it from testing, notes.
#[derive(Debug, Default)]
struct Verdict {
    evidence: Evidence,
    /// Harness-side failures (timeouts, transport): the check errors unless the vendor also failed.
    errors: Vec<String>,
}

impl Verdict {
    fn problem(&mut self, p: &Problem) {
        if let Some(e) = &p.exchange {
            self.evidence.push_exchange(e);
        }
        self.evidence.push_finding(Finding {
            subject: p.subject.clone(),
            pointer: p.pointer.into(),
            message: p.message.clone(),
            record: p.record.clone(),
            source: p.exchange.as_ref().map(|e| e.url.clone()),
        });
    }

    /// Every problem of `flaws` in `walked`, counting those it did not keep.
    fn flaws(&mut self, walked: &Walked, flaws: &[Flaw]) {
        for &flaw in flaws {
            let mut kept = 0;
            for p in walked.problems(flaw) {
                self.problem(p);
                kept += 1;
            }
            self.evidence.total_findings += walked.count(flaw) - kept;
        }
    }

    fn finding(&mut self, subject: String, message: String, exchanges: &[&Exchange]) {
        for e in exchanges {
            self.evidence.push_exchange(e);
        }
        let source = exchanges.first().map(|e| e.url.clone());
        self.evidence.push_finding(Finding { subject, pointer: String::new(), message, record: None, source });
    }

    /// A request or walk that gave no usable answer: the vendor's failure or the harness's.
    fn api_error(&mut self, subject: String, what: &str, error: &ApiError) {
        match error.kind.blame() {
            Blame::Vendor => {
                let exchanges: Vec<&Exchange> = error.exchanges.iter().rev().collect();
                self.finding(subject, format!("{what}: {}", error.message), &exchanges);
            }
            Blame::Harness => self.errors.push(format!("{subject}: {what}: {}", error.message)),
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.evidence.notes.contains(&note) {
            self.evidence.notes.push(note);
        }
    }

    /// FAIL (naming `rule`, the CONTRACT.md requirement broken) when the vendor was found
    /// wrong, else ERROR when the harness could not test, else PASS.
    fn finish(mut self, rule: &str, expected: &str, pass: String, what: &str, sample: Option<&Exchange>) -> Outcome {
        let n = self.evidence.total_findings;
        if n > 0 {
            let first = self.evidence.findings.first().map(|f| format!(": {}: {}", f.subject, f.message));
            self.evidence.notes.extend(self.errors.iter().map(|e| format!("not tested: {e}")));
            return Outcome::fail(format!("{n} {what}{}. {rule}", first.unwrap_or_default()))
                .expected(expected)
                .actual(format!("{n} {what}"))
                .with_evidence(self.evidence);
        }
        if let Some(first) = self.errors.first() {
            let more = match self.errors.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            self.evidence.notes.extend(self.errors.iter().skip(1).cloned());
            return Outcome::error(format!("{first}{more}")).expected(expected).with_evidence(self.evidence);
        }
        if let Some(sample) = sample {
            self.evidence.push_exchange(sample);
        }
        Outcome::pass(pass).expected(expected).with_evidence(self.evidence)
    }
}

fn subject_of(s: &Surveyed, w: &SizedWalk) -> String {
    format!("{}, {}", s.label(), size_shown(w.per_page))
}

/// The first page of the sites' default walk: the sample a passing walk check shows.
fn sample(survey: &Survey) -> Option<&Exchange> {
    survey.collections.first()?.walked(Role::Default)?.first.as_ref()
}

fn sizes_walked(survey: &Survey) -> String {
    let mut sizes: Vec<String> = Vec::new();
    for w in survey.collections.iter().flat_map(|s| &s.walks) {
        let shown = w.per_page.map_or("the default".into(), |n| n.to_string());
        if !sizes.contains(&shown) {
            sizes.push(shown);
        }
    }
    sizes.join(", ")
}

/// PAGE-1: every walk, at every page size, lists each item once and as many as `total_count`.
pub async fn complete_walk(cx: &Context) -> Outcome {
    let survey = survey(cx).await;
    let survey = match survey.as_ref() {
        Ok(s) => s,
        Err(outcome) => return outcome.clone(),
    };
    let mut v = Verdict::default();
    let (mut walks, mut items) = (0, 0);
    for note in &survey.notes {
        v.note(note.clone());
    }
    for s in &survey.collections {
        for w in &s.walks {
            match &w.result {
                Ok(walked) => {
                    walks += 1;
                    items += walked.items();
                    v.flaws(walked, &[Flaw::Duplicate, Flaw::Count]);
                    walked.notes().iter().for_each(|n| v.note(n.clone()));
                }
                // Walks at other sizes are pagination.page-sizes' to report.
                Err(e) if matches!(w.role, Role::Default | Role::Again) => {
                    v.api_error(subject_of(s, w), "the walk failed", e)
                }
                Err(_) => {}
            }
        }
    }
    v.finish(
        PAGE_1,
        "walking pages 1..total_pages lists every item exactly once, as many as `total_count`",
        format!(
            "{walks} walks of {} collections at per_page {} listed {items} items, each once, as many as `total_count`",
            survey.collections.len(),
            sizes_walked(survey)
        ),
        "walk problems",
        sample(survey),
    )
}

/// PAGE-2: `total_pages` = ceil(`total_count` / `per_page`), the same on every page; every
/// page but the last is full.
pub async fn totals(cx: &Context) -> Outcome {
    let survey = survey(cx).await;
    let survey = match survey.as_ref() {
        Ok(s) => s,
        Err(outcome) => return outcome.clone(),
    };
    if !(survey.paging.total_count || survey.paging.total_pages) {
        return Outcome::not_applicable(format!("its pagination ({}) reports no totals", survey.paging.kind.as_str()));
    }
    let mut v = Verdict::default();
    let mut pages = 0;
    for walked in survey.collections.iter().flat_map(|s| &s.walks).filter_map(|w| w.result.as_ref().ok()) {
        pages += walked.pages;
        v.flaws(walked, &[Flaw::NoTotalPages, Flaw::NotCeil, Flaw::TotalsChanged, Flaw::NotFull]);
    }
    if pages == 0 {
        return Outcome::skip("no walk completed, so no totals were seen (see pagination.complete-walk)");
    }
    v.finish(
        PAGE_2,
        "`total_pages` = ceil(`total_count` / `per_page`) and the same on every page; every page but the last is full",
        format!("{pages} pages agreed on their totals, and every page but the last was full"),
        "pagination-block problems",
        sample(survey),
    )
}

/// Up to three items of `ids` by name (or as many as the walks kept names for).
fn some_names(ids: &[u128], named_by: &[&Walked], noun: &str) -> String {
    let names: Vec<String> = ids
        .iter()
        .filter_map(|id| named_by.iter().find_map(|w| w.name(id)))
        .take(3)
        .map(|n| format!("{noun} {n}"))
        .collect();
    if names.is_empty() { String::new() } else { format!(" (e.g. {})", names.join(", ")) }
}

/// Items of sorted `a` not in sorted `b`.
fn sorted_difference(a: &[u128], b: &[u128]) -> Vec<u128> {
    a.iter().filter(|id| b.binary_search(id).is_err()).copied().collect()
}

/// PAGE-1: walks at page sizes 1, a prime, the default and the maximum list the same items.
pub async fn page_sizes(cx: &Context) -> Outcome {
    let survey = survey(cx).await;
    let survey = match survey.as_ref() {
        Ok(s) => s,
        Err(outcome) => return outcome.clone(),
    };
    if let Some(skip) = survey.without_sizes() {
        return skip;
    }
    let mut v = Verdict::default();
    let mut compared = 0;
    for s in &survey.collections {
        s.notes.iter().for_each(|n| v.note(n.clone()));
        let Some(base) = s.walked(Role::Default) else {
            v.note(format!("{}: no walk at the default page size completed (see pagination.complete-walk)", s.label()));
            continue;
        };
        let base_set = base.set();
        if let Some(again) = s.walked(Role::Again)
            && again.set() != base_set
        {
            v.note(format!(
                "{}: not compared: two walks at the default page size listed different items, so the collection or its ids changed between walks (ID-1, see schema.stable-ids)",
                s.label()
            ));
            continue;
        }
        let noun = id_field(&s.collection).1;
        for w in s.walks.iter().filter(|w| matches!(w.role, Role::One | Role::Prime | Role::Max)) {
            let walked = match &w.result {
                Ok(walked) => walked,
                Err(e)
                    if w.role == Role::Max
                        && w.served == 0
                        && s.max.is_some_and(|m| m.1 == MaxFrom::Contract)
                        && refused_first_page(e) =>
                {
                    v.note(format!(
                        "{}: per_page {} (the contract's documented maximum) was refused with a 4xx and the vendor reports no clamp of its own, so no larger page size was walked",
                        s.label(),
                        w.per_page.unwrap_or_default()
                    ));
                    continue;
                }
                // PAGE-3 lets a vendor refuse sizes it does not take with a 4xx (VENDOR-SHAPES:
                // Meraki documents a `perPage` range): a refused first page is its minimum, not a
                // broken walk. A refusal after pages were served stays a failure.
                Err(e) if matches!(w.role, Role::One | Role::Prime) && w.served == 0 && refused_first_page(e) => {
                    let size = w.per_page.unwrap_or_default();
                    v.note(format!(
                        "{}: the vendor refuses per_page={size} with a 4xx: below its minimum page size, which PAGE-3 allows, so no walk at per_page {size} was compared",
                        s.label()
                    ));
                    continue;
                }
                Err(e) => {
                    v.api_error(subject_of(s, w), "the walk failed", e);
                    continue;
                }
            };
            compared += 1;
            let set = walked.set();
            let missing = sorted_difference(&base_set, &set);
            let extra = sorted_difference(&set, &base_set);
            if missing.is_empty() && extra.is_empty() {
                continue;
            }
            let named_by = [base.as_ref(), walked.as_ref()];
            let message = format!(
                "listed {} distinct items where the walk at {} listed {}: {} missing{}, {} not listed at the default size{}",
                set.len(),
                size_shown(base.requested),
                base_set.len(),
                missing.len(),
                some_names(&missing, &named_by, noun),
                extra.len(),
                some_names(&extra, &named_by, noun)
            );
            let exchanges: Vec<&Exchange> = walked.exchanges().into_iter().chain(base.first.as_ref()).collect();
            v.finding(subject_of(s, w), message, &exchanges);
        }
    }
    if compared == 0 && v.evidence.total_findings == 0 && v.errors.is_empty() {
        let mut skip = Outcome::skip("no collection was walked at a second page size that could be compared");
        skip.evidence.notes = v.evidence.notes;
        return skip;
    }
    v.finish(
        PAGE_1,
        "walks at per_page 1, a prime, the default and the maximum list the same items",
        format!("{compared} walks at per_page {} listed the same items as the default page size", sizes_walked(survey)),
        "page sizes listing different items",
        sample(survey),
    )
}

/// A walk refused on its first page with a 4xx: the vendor's limit, not a broken walk.
fn refused_first_page(e: &ApiError) -> bool {
    e.kind == crate::context::ApiErrorKind::Status
        && e.exchanges.len() == 1
        && e.exchanges[0].status.is_some_and(|s| (400..500).contains(&s))
}

/// Which parameter a bad-parameter probe spoils.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// The page number (`page` kind).
    Page,
    /// The item offset (`offset` kind).
    Offset,
    /// The page size.
    PerPage,
    /// A cursor token the vendor never issued.
    Token,
}

/// A token no vendor issued (PAGE-3 for cursor pagination).
const FORGED_TOKEN: &str = "not-a-token-the-vendor-issued";

/// The bad values sent (PAGE-3) for the vendor's kind of pagination.
fn bad_values(paging: &Paging) -> Vec<(Param, &'static str)> {
    let mut values = match paging.kind {
        PagingKind::Page => {
            vec![(Param::Page, "0"), (Param::Page, "-1"), (Param::Page, "abc"), (Param::Page, HUGE_PAGE)]
        }
        PagingKind::Offset => vec![(Param::Offset, "-1"), (Param::Offset, "abc"), (Param::Offset, HUGE_PAGE)],
        PagingKind::Cursor => vec![(Param::Token, FORGED_TOKEN)],
        PagingKind::LinkHeader | PagingKind::None => Vec::new(),
    };
    if paging.size_param.is_some() {
        values.extend([(Param::PerPage, "0"), (Param::PerPage, "-1"), (Param::PerPage, "abc")]);
    }
    values
}

/// PAGE-3: how an answer to one bad parameter reads; `Err` says what is wrong.
pub fn judge_bad_parameter(
    param: Param,
    value: &str,
    status: u16,
    page: Option<&PageSeen>,
    max: u64,
) -> Result<String, String> {
    match status {
        400..=499 => Ok(format!("refused with {status}")),
        500..=599 => Err(format!("answered {status}: a bad parameter gets a 4xx or a visible clamp, never a 5xx")),
        200..=299 => {
            let Some(page) = page else {
                return Err(format!("answered {status}, but the body is not a page of the collection"));
            };
            match param {
                Param::Page | Param::Offset if value == HUGE_PAGE => {
                    Ok(format!("answered {status} with {} items", page.records.len()))
                }
                // An offset has no block to show a clamp in; a page of the collection is one.
                Param::Offset => Ok(format!("answered {status} with {} items", page.records.len())),
                Param::Token => Ok(format!("answered {status} with {} items", page.records.len())),
                // A vendor whose answers report no page size (cursor, Link header, offset, or a
                // profile with no `per_page` pointer) cannot show a clamp: a page no larger than
                // its maximum (declared, else seen, else the contract's), or one with more pages
                // after it, is the clamp it has.
                Param::PerPage if page.per_page.is_none() => {
                    let items = page.records.len() as u64;
                    let partial = page.next.is_some() || page.total_count.is_some_and(|t| items < t);
                    if items <= max || partial {
                        Ok(format!(
                            "answered {status} with {items} items: no page size reported, a page within the maximum of {max}"
                        ))
                    } else {
                        Err(format!(
                            "answered {status} with {items} items on one page, more than the maximum of {max}, and no `per_page` to show a clamp"
                        ))
                    }
                }
                // A vendor whose answers report no page number cannot show a clamp: a page of
                // the collection is the clamp it has.
                Param::Page if page.page.is_none() => {
                    Ok(format!("answered {status} with {} items: no page number reported", page.records.len()))
                }
                Param::Page => match page.page {
                    Some(n) if n >= 1 => Ok(format!("clamped to page {n}")),
                    other => Err(format!(
                        "answered {status} with `page` {}: no visible clamp to a page from 1",
                        other.map_or("missing".into(), |n| n.to_string())
                    )),
                },
                Param::PerPage => match page.per_page {
                    Some(n) if n >= 1 && page.records.len() as u64 <= n => Ok(format!("clamped to per_page {n}")),
                    other => Err(format!(
                        "answered {status} with `per_page` {} and {} items: no visible clamp to a page size from 1",
                        other.map_or("missing".into(), |n| n.to_string()),
                        page.records.len()
                    )),
                },
            }
        }
        _ => Err(format!("answered {status}; a bad parameter gets a 4xx or a visible clamp")),
    }
}

/// PAGE-3: `page=0`, `page=-1`, `per_page=0`, non-numeric and overflowing values get a 4xx or a
/// clamp visible in the pagination block, never a 5xx.
pub async fn bad_parameters(cx: &Context) -> Outcome {
    let survey = survey(cx).await;
    let survey = match survey.as_ref() {
        Ok(s) => s,
        Err(outcome) => return outcome.clone(),
    };
    let paging = &survey.paging;
    let values = bad_values(paging);
    if values.is_empty() {
        return Outcome::not_applicable(format!("its pagination ({}) has no parameter to spoil", paging.kind.as_str()));
    }
    let mut v = Verdict::default();
    let mut sent = 0;
    let mut sample = None;
    for s in survey.probe_targets() {
        let max = s.max.map_or(contract::MAX_PER_PAGE, |m| m.0);
        let mut answers = Vec::new();
        for &(param, value) in &values {
            let mut ask = PageAsk::first(paging, None);
            let name = match param {
                Param::Page | Param::Offset => {
                    ask.position = Some(value.to_owned());
                    paging.position_param.clone()
                }
                Param::PerPage => {
                    ask.size = Some(value.to_owned());
                    paging.size_param.clone()
                }
                Param::Token => {
                    ask.token = Some(value.to_owned());
                    Some("token".to_owned())
                }
            };
            let probe = cx.api.page_probe(&s.collection, &ask);
            let shown = format!("{}={value}", name.unwrap_or_default());
            let subject = format!("{}, {shown}", s.label());
            sent += 1;
            match cx.api.probe(probe).await {
                Ok(answer) => {
                    let page = answer.is_success().then(|| cx.api.read_page(&s.collection, &answer)).flatten();
                    // An error in a 200 body is this vendor's refusal (VENDOR-SHAPES.md), as a 4xx is.
                    let judged = match cx.api.body_refusal(&answer) {
                        Some(refusal) => Ok(refusal),
                        None => judge_bad_parameter(param, value, answer.status, page.as_ref(), max),
                    };
                    match judged {
                        Ok(how) => answers.push(format!("{shown} → {how}")),
                        Err(wrong) => v.finding(subject, wrong, &[&answer.exchange]),
                    }
                    sample.get_or_insert(answer.exchange);
                }
                Err(e) => v.api_error(subject, "the request failed", &e),
            }
        }
        if !answers.is_empty() {
            v.note(format!("{}: {}", s.label(), answers.join("; ")));
        }
    }
    v.finish(
        PAGE_3,
        "`page=0`, `page=-1`, `per_page=0`, non-numeric and overflowing values get a 4xx or a clamp visible in `pagination`, never a 5xx",
        format!("{sent} requests with bad page parameters were refused with a 4xx or clamped visibly"),
        "bad-parameter answers",
        sample.as_ref(),
    )
}

/// PAGE-4: how an answer to a page past the end reads; `Err` says what is wrong.
pub fn judge_past_end(status: u16, page: Option<&PageSeen>) -> Result<String, String> {
    match (status, page) {
        (404, _) => Ok("answered 404".into()),
        (200..=299, Some(p)) if p.records.is_empty() => Ok(format!("answered {status} with an empty list")),
        (200..=299, Some(p)) => {
            Err(format!("answered {status} with {} items: a page past the end holds none", p.records.len()))
        }
        (200..=299, None) => Err(format!("answered {status}, but the body is not a page of the collection")),
        _ => Err(format!("answered {status}; a page past the end answers 200 with an empty list, or 404")),
    }
}

/// PAGE-4: the page after the last answers 200 with an empty list (or 404), never a 5xx, never
/// data again.
pub async fn past_end(cx: &Context) -> Outcome {
    let survey = survey(cx).await;
    let survey = match survey.as_ref() {
        Ok(s) => s,
        Err(outcome) => return outcome.clone(),
    };
    let keyset = survey.paging.kind.chained() && survey.paging.keyset_past_end;
    if !keyset && let Some(skip) = survey.unless(&[PagingKind::Page, PagingKind::Offset], "way to ask past the end") {
        return skip;
    }
    let paging = &survey.paging;
    let mut targets = survey.probe_targets();
    // An empty collection's end is page 1: its page 2 is past the end too.
    if let Some(empty) =
        survey.collections.iter().skip(1).find(|s| s.walked(Role::Default).is_some_and(|w| w.items() == 0))
    {
        targets.push(empty);
    }
    let mut v = Verdict::default();
    let mut answers = Vec::new();
    let mut sample = None;
    for s in targets {
        let Some(base) = s.walked(Role::Default) else {
            v.note(format!("{}: not probed: its walk did not complete (see pagination.complete-walk)", s.label()));
            continue;
        };
        let per_page = base.per_page.unwrap_or(paging.size_default).max(1);
        let last = base.total_pages.unwrap_or(0).max(base.items().div_ceil(per_page)).max(1);
        let mut ask = PageAsk::first(paging, None);
        let subject = if keyset {
            // The page after the last item listed; an empty collection has none to start after.
            let Some(after) = base.last_after.clone() else {
                v.note(format!("{}: not probed: the walk listed no item to ask for the page after", s.label()));
                continue;
            };
            let shown = format!("{}, the page after {} (the last item listed)", s.label(), shorten(&after));
            ask.after = Some(after);
            shown
        } else if paging.kind == PagingKind::Offset {
            let past = base.items().max(base.total_count.unwrap_or(0));
            ask.position = Some(past.to_string());
            format!("{}, offset {past} (the walk listed {} items)", s.label(), base.items())
        } else {
            let past = last + 1;
            ask.position = Some(past.to_string());
            format!("{}, page {past} (the last is {last})", s.label())
        };
        let probe = cx.api.page_probe(&s.collection, &ask);
        match cx.api.probe(probe).await {
            Ok(answer) => {
                let page = answer.is_success().then(|| cx.api.read_page(&s.collection, &answer)).flatten();
                let judged = match cx.api.body_refusal(&answer) {
                    Some(refusal) => Ok(format!("{refusal}, this vendor's 404")),
                    None => judge_past_end(answer.status, page.as_ref()),
                };
                match judged {
                    Ok(how) => answers.push(format!("{subject}: {how}")),
                    Err(wrong) => {
                        let set = base.set();
                        let field = id_field(&s.collection).0;
                        let again = page.iter().flat_map(|p| &p.records).filter(|r| {
                            r.get(field)
                                .and_then(Value::as_str)
                                .is_some_and(|id| set.binary_search(&hash128(0, &id)).is_ok())
                        });
                        let again = again.count();
                        let wrong = if again > 0 {
                            format!("{wrong}; {again} of them were listed by the walk already")
                        } else {
                            wrong
                        };
                        let mut exchanges = vec![&answer.exchange];
                        exchanges.extend(&base.last);
                        v.finding(subject, wrong, &exchanges);
                    }
                }
                sample.get_or_insert(answer.exchange);
            }
            Err(e) => v.api_error(subject, "the request failed", &e),
        }
    }
    answers.into_iter().for_each(|a| v.note(a));
    v.finish(
        PAGE_4,
        "a page past the end answers 200 with an empty list, or 404; never a 5xx, never repeated data",
        "every page past the end was empty or 404".into(),
        "pages past the end with data or errors",
        sample.as_ref(),
    )
}

/// PAGE-5: how the answer to a huge `per_page` reads, against the maximum the vendor's
/// profile declares when it declares one; `Err` says what is wrong.
pub fn judge_huge_per_page(
    status: u16,
    page: Option<&PageSeen>,
    chained: bool,
    declared: Option<u64>,
) -> Result<String, String> {
    match (status, page) {
        (400..=499, _) => Ok(format!("refused with {status}")),
        (200..=299, Some(p)) => {
            let items = p.records.len() as u64;
            match (p.per_page, declared) {
                (Some(n), Some(max)) if n < HUGE_PER_PAGE && items <= n && n > max => {
                    Err(format!("clamped to per_page {n}, above the maximum of {max} the vendor's profile declares"))
                }
                (Some(n), _) if n < HUGE_PER_PAGE && items <= n => Ok(format!("clamped to per_page {n}")),
                (Some(n), _) => Err(format!("served unclamped: `per_page` {n}, {items} items on one page")),
                // No page size in the answer: the declared maximum is what a page may hold.
                (None, Some(max)) if items <= max => {
                    Ok(format!("answered {status} with {items} items, within the maximum of {max} the vendor declares"))
                }
                (None, Some(max)) => Err(format!(
                    "answered {status} with {items} items on one page, more than the maximum of {max} the vendor's profile declares"
                )),
                // Chained pagination reports no page size: a next page shows the clamp; a last
                // page within the contract's maximum cannot show whether there is one.
                (None, None) if p.next.is_some() && items < HUGE_PER_PAGE => {
                    Ok(format!("clamped: {items} items and a next page"))
                }
                (None, None) if p.next.is_none() && chained && items <= contract::MAX_PER_PAGE => Ok(format!(
                    "answered {status} with all {items} items on one page, no more than any maximum, so a clamp could not be seen"
                )),
                (None, None) => Err(format!("answered {status} with {items} items and no `per_page` to show a clamp")),
            }
        }
        (200..=299, None) => Err(format!("answered {status}, but the body is not a page of the collection")),
        _ => Err(format!("answered {status}; a huge per_page is clamped visibly or refused with a 4xx")),
    }
}

/// PAGE-5: `per_page=1000000` is clamped (visibly in `pagination.per_page`) or refused with a 4xx.
pub async fn per_page_max(cx: &Context) -> Outcome {
    let survey = survey(cx).await;
    let survey = match survey.as_ref() {
        Ok(s) => s,
        Err(outcome) => return outcome.clone(),
    };
    if let Some(skip) = survey.without_sizes() {
        return skip;
    }
    let mut v = Verdict::default();
    let mut sample = None;
    for probe in &survey.huge {
        let subject = format!("{}, per_page {HUGE_PER_PAGE}", label(&probe.collection));
        match &probe.result {
            Ok(answer) => {
                let declared = survey.paging.limits(&probe.collection).max;
                let judged = match cx.api.body_refusal(answer) {
                    Some(refusal) => Ok(refusal),
                    None => {
                        judge_huge_per_page(answer.status, probe.page.as_ref(), survey.paging.kind.chained(), declared)
                    }
                };
                match judged {
                    Ok(how) => v.note(format!("{subject}: {how}")),
                    Err(wrong) => v.finding(subject, wrong, &[&answer.exchange]),
                }
                sample.get_or_insert(&answer.exchange);
            }
            Err(e) => v.api_error(subject, "the request failed", e),
        }
    }
    let maxima = survey.collections.iter().filter_map(|s| {
        let (max, from) = s.max?;
        Some((
            &s.collection,
            match from {
                MaxFrom::Declared => format!("the vendor's declared maximum: per_page {max}"),
                MaxFrom::Reported => format!("the vendor's maximum, as its clamp reports it: per_page {max}"),
                MaxFrom::Contract => format!(
                    "the vendor declares and reports no maximum of its own; the walks used the contract's documented {max}"
                ),
            },
        ))
    });
    for note in grouped_notes(maxima) {
        v.note(note);
    }
    v.finish(
        PAGE_5,
        "a huge `per_page` is clamped, visibly in `pagination.per_page`, or refused with a 4xx",
        format!("per_page {HUGE_PER_PAGE} was clamped or refused on {} collections", survey.huge.len()),
        "huge page sizes not clamped or refused",
        sample,
    )
}

/// PAGE-1 for chained pagination (cursor tokens, `Link: rel=next`): no page names a next page
/// the walk was already sent to, and every chain ends with its end marker (a null, empty or
/// missing token; no `rel=next`) within the page-count guard.
pub async fn next_chain(cx: &Context) -> Outcome {
    let survey = survey(cx).await;
    let survey = match survey.as_ref() {
        Ok(s) => s,
        Err(outcome) => return outcome.clone(),
    };
    if let Some(skip) = survey.unless(&[PagingKind::Cursor, PagingKind::LinkHeader], "next-page chain") {
        return skip;
    }
    let mut v = Verdict::default();
    let (mut walks, mut pages) = (0, 0);
    for s in &survey.collections {
        for w in &s.walks {
            match &w.result {
                Ok(walked) => {
                    walks += 1;
                    pages += walked.pages;
                    v.flaws(walked, &[Flaw::Loop]);
                }
                Err(e) if e.kind == ApiErrorKind::TooManyPages => {
                    v.api_error(subject_of(s, w), "the chain did not end", e)
                }
                Err(_) => {}
            }
        }
    }
    if walks == 0 && v.evidence.total_findings == 0 {
        return Outcome::skip("no walk completed (see pagination.complete-walk)");
    }
    let marker = if survey.paging.kind == PagingKind::Cursor {
        "a null, empty or missing next-page token"
    } else {
        "a last page without `rel=next`"
    };
    v.finish(
        PAGE_1,
        &format!("each page names a page not yet walked as its next, and the chain ends with {marker}"),
        format!("{walks} walks followed {pages} pages; no chain looped, and each ended with {marker}"),
        "chains that loop or do not end",
        sample(survey),
    )
}

/// PAGE-6: two walks at the default page size, with the other walks in between, list items in
/// the same order.
pub async fn stable_order(cx: &Context) -> Outcome {
    let survey = survey(cx).await;
    let survey = match survey.as_ref() {
        Ok(s) => s,
        Err(outcome) => return outcome.clone(),
    };
    let mut v = Verdict::default();
    let mut compared = 0;
    for s in &survey.collections {
        let (Some(first), Some(again)) = (s.walked(Role::Default), s.walked(Role::Again)) else {
            v.note(format!("{}: not compared: a walk did not complete (see pagination.complete-walk)", s.label()));
            continue;
        };
        if first.multiset() != again.multiset() {
            v.note(format!(
                "{}: not compared: the two walks listed different items, so the collection or its ids changed between them (ID-1, see schema.stable-ids)",
                s.label()
            ));
            continue;
        }
        compared += 1;
        if again.count(Flaw::Order) > 0 {
            v.flaws(again, &[Flaw::Order]);
            for e in first.exchanges() {
                v.evidence.push_exchange(e);
            }
        }
    }
    if compared == 0 && v.evidence.total_findings == 0 {
        let mut skip =
            Outcome::skip("no collection was walked twice with the same items, so no order could be compared");
        skip.evidence.notes = v.evidence.notes;
        return skip;
    }
    v.finish(
        PAGE_6,
        "two walks with no change in between list the items in the same order",
        format!("{compared} collections listed their items in the same order on two walks"),
        "collections whose order changed between two walks",
        sample(survey),
    )
}

/// The pagination suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        complete_walk,
        "pagination.complete-walk",
        "pagination",
        Must,
        ["PAGE-1"],
        "Walking every page lists each item exactly once, as many as `total_count`, at every page size"
    ),
    check!(
        totals,
        "pagination.totals",
        "pagination",
        Must,
        ["PAGE-2"],
        "`total_pages` is ceil(`total_count` / `per_page`) on every page, and every page but the last is full"
    ),
    check!(
        page_sizes,
        "pagination.page-sizes",
        "pagination",
        Must,
        ["PAGE-1"],
        "Walks at per_page 1, a prime, the default and the maximum list the same items"
    ),
    check!(
        next_chain,
        "pagination.next-chain",
        "pagination",
        Must,
        ["PAGE-1"],
        "Cursor tokens and `rel=next` links never lead back to a page already walked, and the chain ends"
    ),
    check!(
        bad_parameters,
        "pagination.bad-parameters",
        "pagination",
        Must,
        ["PAGE-3"],
        "Bad page parameters get a 4xx or a visible clamp, never a 5xx"
    ),
    check!(
        past_end,
        "pagination.past-end",
        "pagination",
        Should,
        ["PAGE-4"],
        "A page past the end answers 200 with an empty list or 404, never data again"
    ),
    check!(
        per_page_max,
        "pagination.per-page-max",
        "pagination",
        Should,
        ["PAGE-5"],
        "A huge `per_page` is clamped visibly or refused with a 4xx"
    ),
    check!(
        stable_order,
        "pagination.stable-order",
        "pagination",
        Should,
        ["PAGE-6"],
        "Two walks with no change in between list items in the same order"
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_note_shared_by_collections_is_said_once() {
        let inv = |id: &str| Collection::Inventory { site_id: id.into() };
        let (sites, a, b, c) = (Collection::Sites, inv("a"), inv("b"), inv("c"));
        let same = "no maximum of its own".to_owned();
        let notes = grouped_notes([
            (&sites, same.clone()),
            (&a, same.clone()),
            (&b, "declared 100".to_owned()),
            (&c, same.clone()),
        ]);
        assert_eq!(
            notes,
            ["sites and the inventories of 2 sites: no maximum of its own", "the inventory of site b: declared 100"]
        );
        assert_eq!(grouped_notes([(&a, same.clone())]), ["the inventory of site a: no maximum of its own"]);
    }

    fn page(index: u64, ids: &[&str], per_page: u64, total_count: u64, total_pages: u64) -> PageSeen {
        PageSeen {
            part: 0,
            next: None,
            after: None,
            index,
            records: ids.iter().map(|id| json!({"site_id": id, "name": format!("site {id}")})).collect(),
            page: Some(index),
            per_page: Some(per_page),
            total_pages: Some(total_pages),
            total_count: Some(total_count),
            exchange: Exchange { url: format!("http://v/sites?page={index}"), ..Exchange::default() },
        }
    }

    fn walk_of(pages: Vec<PageSeen>) -> Walked {
        let mut tally = Tally::new(&Collection::Sites, &Paging::canonical(), Some(2));
        let n = pages.len() as u64;
        for p in pages {
            tally.visit(p);
        }
        tally.finish(WalkEnd { pages: n, notes: vec![] })
    }

    fn flaws(w: &Walked) -> Vec<Flaw> {
        w.counts.keys().copied().collect()
    }

    #[test]
    fn a_clean_walk_has_no_flaw() {
        let w = walk_of(vec![page(1, &["a", "b"], 2, 3, 2), page(2, &["c"], 2, 3, 2)]);
        assert!(flaws(&w).is_empty(), "{:?}", w.problems);
        assert_eq!(w.items(), 3);
        assert_eq!(w.exchanges().len(), 2);
    }

    #[test]
    fn an_empty_collection_is_one_empty_page() {
        let w = walk_of(vec![page(1, &[], 2, 0, 0)]);
        assert!(flaws(&w).is_empty(), "{:?}", w.problems);
    }

    #[test]
    fn a_repeated_item_is_a_duplicate_and_a_count_problem() {
        let w = walk_of(vec![page(1, &["a", "b"], 2, 3, 2), page(2, &["b", "c"], 2, 3, 2)]);
        assert_eq!(flaws(&w), [Flaw::Duplicate, Flaw::Count]);
        let dup = w.problems(Flaw::Duplicate).next().unwrap();
        assert!(dup.subject.contains("site b"), "{dup:?}");
        assert_eq!(dup.exchange.as_ref().unwrap().url, "http://v/sites?page=2");
    }

    #[test]
    fn two_records_sharing_an_id_are_not_a_duplicate() {
        let mut second = page(2, &["a"], 2, 3, 2);
        second.records[0]["name"] = json!("another site");
        let w = walk_of(vec![page(1, &["a", "b"], 2, 3, 2), second]);
        assert!(flaws(&w).is_empty(), "{:?}", w.problems);
        assert!(w.notes().iter().any(|n| n.contains("share an id")), "{:?}", w.notes());
    }

    #[test]
    fn a_skipped_item_is_a_short_page_and_a_count_problem() {
        let w = walk_of(vec![page(1, &["a"], 2, 3, 2), page(2, &["c"], 2, 3, 2)]);
        assert_eq!(flaws(&w), [Flaw::Count, Flaw::NotFull]);
        let short = w.problems(Flaw::NotFull).next().unwrap();
        assert_eq!(short.exchange.as_ref().unwrap().url, "http://v/sites?page=1", "the short page's own exchange");
    }

    #[test]
    fn a_walk_ending_on_an_empty_page_before_the_end_is_short() {
        let w = walk_of(vec![page(1, &["a", "b"], 2, 5, 3), page(2, &[], 2, 5, 3)]);
        assert_eq!(flaws(&w), [Flaw::Count, Flaw::NotFull]);
    }

    #[test]
    fn totals_must_be_the_ceiling_and_agree_on_every_page() {
        let w = walk_of(vec![page(1, &["a", "b"], 2, 3, 3), page(2, &["c"], 2, 3, 3), page(3, &[], 2, 3, 3)]);
        assert_eq!(flaws(&w), [Flaw::NotCeil, Flaw::NotFull], "{:?}", w.problems);
        assert_eq!(w.count(Flaw::NotCeil), 1, "one wrong total, flagged once");
        let w = walk_of(vec![page(1, &["a", "b"], 2, 3, 2), page(2, &["c"], 2, 4, 2)]);
        assert!(flaws(&w).contains(&Flaw::TotalsChanged), "{:?}", w.problems);
    }

    #[test]
    fn an_order_that_departs_from_the_first_walk_is_flagged_once() {
        let first = Arc::new(walk_of(vec![page(1, &["a", "b"], 2, 4, 2), page(2, &["c", "d"], 2, 4, 2)]));
        let mut tally = Tally::new(&Collection::Sites, &Paging::canonical(), Some(2)).following(first);
        tally.visit(page(1, &["b", "a"], 2, 4, 2));
        tally.visit(page(2, &["d", "c"], 2, 4, 2));
        let again = tally.finish(WalkEnd { pages: 2, notes: vec![] });
        assert_eq!(flaws(&again), [Flaw::Order]);
        assert_eq!(again.count(Flaw::Order), 1);
        let order = again.problems(Flaw::Order).next().unwrap();
        assert!(order.message.contains("site b") && order.message.contains("site a"), "{}", order.message);
    }

    #[test]
    fn bad_parameter_answers() {
        let clamped = page(1, &["a"], 2, 1, 1);
        assert!(judge_bad_parameter(Param::Page, "0", 400, None, 500).is_ok());
        assert!(judge_bad_parameter(Param::Page, "0", 500, None, 500).is_err());
        assert!(judge_bad_parameter(Param::Page, "0", 200, Some(&clamped), 500).is_ok());
        assert!(judge_bad_parameter(Param::Page, "0", 200, None, 500).is_err());
        let mut zero = clamped.clone();
        zero.page = Some(0);
        zero.per_page = Some(0);
        assert!(judge_bad_parameter(Param::Page, "0", 200, Some(&zero), 500).is_err());
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&zero), 500).is_err());
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&clamped), 500).is_ok());
        assert!(judge_bad_parameter(Param::Page, HUGE_PAGE, 200, Some(&zero), 500).is_ok());
        let mut numberless = clamped.clone();
        numberless.page = None;
        assert!(judge_bad_parameter(Param::Page, "0", 200, Some(&numberless), 500).is_ok(), "no page number reported");
        // No page size in the answer (offset pagination, or no `per_page` pointer): a page
        // within the maximum is the clamp the vendor cannot show; a larger one is not.
        let mut unsized_page = clamped.clone();
        unsized_page.per_page = None;
        unsized_page.total_count = None;
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&unsized_page), 500).is_ok());
        assert!(judge_bad_parameter(Param::PerPage, "-1", 200, Some(&unsized_page), 1).is_ok());
        unsized_page.records.push(json!({"site_id": "b"}));
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&unsized_page), 1).is_err());
        unsized_page.total_count = Some(5);
        assert!(judge_bad_parameter(Param::PerPage, "0", 200, Some(&unsized_page), 1).is_ok(), "a partial page");
    }

    #[test]
    fn past_end_and_huge_answers() {
        let empty = page(9, &[], 2, 3, 2);
        let full = page(9, &["c"], 2, 3, 2);
        assert!(judge_past_end(404, None).is_ok());
        assert!(judge_past_end(200, Some(&empty)).is_ok());
        assert!(judge_past_end(200, Some(&full)).is_err());
        assert!(judge_past_end(500, None).is_err());
        assert!(judge_past_end(400, None).is_err());
        assert!(judge_huge_per_page(400, None, false, None).is_ok());
        assert!(judge_huge_per_page(500, None, false, None).is_err());
        assert!(judge_huge_per_page(200, Some(&full), false, None).is_ok());
        let mut unclamped = full.clone();
        unclamped.per_page = Some(HUGE_PER_PAGE);
        assert!(judge_huge_per_page(200, Some(&unclamped), false, None).is_err());
        unclamped.per_page = None;
        assert!(judge_huge_per_page(200, Some(&unclamped), false, None).is_err());
    }

    #[test]
    fn a_huge_per_page_is_judged_against_the_declared_maximum() {
        // Clamped to 100 by a vendor that declares 100: a clamp, not a failure to serve 500.
        let hundred = page(1, &["a"], 100, 300, 3);
        assert!(judge_huge_per_page(200, Some(&hundred), false, Some(100)).is_ok());
        // Clamped, but above what the vendor itself declares.
        let above = page(1, &["a"], 200, 300, 2);
        let err = judge_huge_per_page(200, Some(&above), false, Some(100)).unwrap_err();
        assert!(err.contains("above the maximum of 100"), "{err}");
        // No page size in the answer: the page's length against the declared maximum.
        let mut silent = page(1, &["a", "b", "c"], 0, 0, 0);
        silent.per_page = None;
        assert!(judge_huge_per_page(200, Some(&silent), false, Some(3)).is_ok());
        let err = judge_huge_per_page(200, Some(&silent), false, Some(2)).unwrap_err();
        assert!(err.contains("more than the maximum of 2"), "{err}");
        // Refused with a 4xx is always PAGE-5's other answer.
        assert!(judge_huge_per_page(422, None, true, Some(100)).is_ok());
    }

    #[test]
    fn prime_sizes_avoid_the_default_and_the_maximum() {
        assert_eq!(prime_size(50, 500), Some(7));
        assert_eq!(prime_size(7, 500), Some(3));
        assert_eq!(prime_size(50, 5), Some(3));
        assert_eq!(prime_size(2, 2), None);
        assert_eq!(prime_above(20, 50, 500), Some(23));
        assert_eq!(prime_above(22, 23, 500), Some(29));
        assert_eq!(prime_above(500, 50, 500), None);
    }
}
