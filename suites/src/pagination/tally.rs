//! The walk's visitor: [`Tally`] judges each page as it passes (PAGE-1, PAGE-2, PAGE-6, chain loops)
//! and keeps ids, not pages.

use std::collections::BTreeMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use serde_json::Value;

use super::ids::{IdMap, content_hash, hash128};
use super::walked::{Walked, exchange_bytes, names_bytes};
use super::{NAMED_ITEMS, id_field, label, shorten, size_shown};
use crate::context::{Collection, PageSeen, Paging, PagingKind, Walk, WalkEnd};
use crate::outcome::{Exchange, MAX_FINDINGS};

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

/// `1 item`, `2 items`.
pub(super) fn plural(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
pub(super) mod tests {
    use serde_json::json;

    use super::*;

    pub(crate) fn page(index: u64, ids: &[&str], per_page: u64, total_count: u64, total_pages: u64) -> PageSeen {
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
}
