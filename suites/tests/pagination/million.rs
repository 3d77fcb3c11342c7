//! A million-item walk through the tally, a page generated at a time: it keeps ids, not pages,
//! and still names a duplicate.

use serde_json::json;
use suites::pagination::{Flaw, NAMED_ITEMS, Tally};
use suites::{Collection, Exchange, PageSeen, Paging, WalkEnd};

/// A million items, generated a page at a time: nothing keeps a page but the visitor's example exchanges.
fn million_pages(per_page: u64, duplicate_on: Option<u64>) -> impl Iterator<Item = PageSeen> {
    const TOTAL: u64 = 1_000_000;
    let pages = TOTAL.div_ceil(per_page);
    (1..=pages).map(move |index| {
        let start = (index - 1) * per_page;
        let mut ids: Vec<u64> = (start..(start + per_page).min(TOTAL)).collect();
        if duplicate_on == Some(index) {
            ids[0] = start - 1;
        }
        let records = ids.iter().map(|i| json!({"device_id": format!("d-{i:07}")})).collect();
        let url = format!("http://v/api/v1/sites/s/inventory?page={index}&per_page={per_page}");
        let body = "x".repeat(4096);
        PageSeen {
            part: 0,
            next: None,
            after: None,
            index,
            records,
            page: Some(index),
            per_page: Some(per_page),
            total_pages: Some(pages),
            total_count: Some(TOTAL),
            exchange: Exchange { url, body_excerpt: Some(body), ..Exchange::default() },
        }
    })
}

#[test]
fn a_million_item_walk_keeps_ids_not_pages() {
    let collection = Collection::Inventory { site_id: "s".into() };
    let mut tally = Tally::new(&collection, &Paging::canonical(), Some(500));
    let mut peak = 0;
    for page in million_pages(500, Some(1_500)) {
        tally.visit(page);
        peak = peak.max(tally.retained_bytes());
    }
    let walked = tally.finish(WalkEnd { pages: 2_000, notes: vec![] });
    // The duplicate on page 1500 is found, named and its page kept; the item it replaced is
    // missing from the distinct count; nothing else is wrong.
    assert_eq!(walked.count(Flaw::Duplicate), 1);
    assert_eq!(walked.count(Flaw::Count), 1);
    let count = walked.problems(Flaw::Count).next().unwrap();
    assert!(count.message.contains("999999 of them distinct") && count.message.contains("1 never listed"), "{count:?}");
    let flaws = [Flaw::NoTotalPages, Flaw::NotCeil, Flaw::TotalsChanged, Flaw::NotFull, Flaw::Order];
    assert!(flaws.iter().all(|f| walked.count(*f) == 0));
    let dup = walked.problems(Flaw::Duplicate).next().unwrap();
    assert!(dup.subject.contains("d-0749499") && dup.message.contains("page 1500"), "{dup:?}");
    assert!(dup.exchange.as_ref().unwrap().url.contains("page=1500&"));
    // Page 1, the last page and the failing pages: not 2,000 pages of 4 KiB excerpts.
    assert!(walked.exchanges().len() <= 3, "{}", walked.exchanges().len());
    // Once finished: 16 bytes per item, the names of the first items and a few exchanges.
    // While walking, also the id → content map: under 100 bytes per item in all, where the
    // pages' records as JSON values would take several hundred bytes per device.
    let ids = 1_000_000 * 16;
    let named = NAMED_ITEMS * 100;
    assert!(walked.retained_bytes() <= ids + named + 64 * 1024, "{}", walked.retained_bytes());
    assert!(peak <= 100 * 1_000_000, "{peak}");
}

#[test]
fn a_clean_million_item_walk_is_clean() {
    let collection = Collection::Inventory { site_id: "s".into() };
    let mut tally = Tally::new(&collection, &Paging::canonical(), Some(500));
    for page in million_pages(500, None) {
        tally.visit(page);
    }
    let walked = tally.finish(WalkEnd { pages: 2_000, notes: vec![] });
    assert_eq!(walked.items(), 1_000_000);
    for flaw in [Flaw::Duplicate, Flaw::Count, Flaw::NotCeil, Flaw::TotalsChanged, Flaw::NotFull] {
        assert_eq!(walked.count(flaw), 0, "{flaw:?}");
    }
    assert_eq!(walked.exchanges().len(), 2, "page 1 and the last page");
}
