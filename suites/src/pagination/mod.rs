//! The pagination suite (PAGE-1 … PAGE-6): sites and every site's inventory walked page by page
//! at several page sizes, and requests with bad, past-the-end and huge page parameters.
//!
//! Walks stream: a [`Tally`] sees each page once and keeps a 128-bit hash per item (the id text of
//! only the first [`NAMED_ITEMS`]), the first and last page's exchange and the exchanges of a few
//! failing pages per flaw. A finished walk of a million devices holds 16 MB of hashes (under
//! 100 MB at its peak, with the map that spots repeats), where its records would take gigabytes.
//! Every walk is made once per run, in one survey that the checks share through
//! [`Context::memo`](crate::Context::memo) (every check starts with `survey::with_survey`); each
//! check judges its own flaws in it.

mod findings;
mod ids;
mod parameters;
mod survey;
mod tally;
mod walked;
mod walks;

pub use parameters::{
    Param, bad_parameters, judge_bad_parameter, judge_huge_per_page, judge_past_end, past_end, per_page_max,
};
pub use tally::{Flaw, Problem, Tally};
pub use walked::Walked;
pub use walks::{complete_walk, next_chain, page_sizes, stable_order, totals};

use crate::Check;
use crate::context::Collection;

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

fn size_shown(per_page: Option<u64>) -> String {
    per_page.map_or("the default per_page".into(), |n| format!("per_page {n}"))
}

/// A token or link as evidence shows it: at most 80 characters.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(80).collect::<String>())
    }
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
