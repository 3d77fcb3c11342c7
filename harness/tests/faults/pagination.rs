//! Pagination suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    // The demo's collections fit on one default page: the walks at per_page 1 and 7 see it.
    (Fault::PageDuplicateItem, &["pagination.complete-walk"]),
    // A skipped item also leaves its page short (PAGE-2) and the walk at per_page 1 ends after
    // one item, listing other items than the default walk (PAGE-1 across page sizes).
    (Fault::PageSkipItem, &["pagination.complete-walk", "pagination.totals", "pagination.page-sizes"]),
    (Fault::WrongTotals, &["pagination.totals"]),
    // The mock refuses per_page 1000000 as a bad parameter too: a 500 is neither PAGE-5's clamp
    // nor its 4xx.
    (Fault::BadPageServerError, &["pagination.bad-parameters", "pagination.per-page-max"]),
    (Fault::PastEndRepeats, &["pagination.past-end"]),
    (Fault::NoPerPageMax, &["pagination.per-page-max"]),
    (Fault::UnstableOrder, &["pagination.stable-order"]),
    // The cursor and link shapes only: the last page names page 2 as its next.
    (Fault::NextLoop, &["pagination.next-chain"]),
];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
