//! Page/per_page arithmetic of CONTRACT.md §4, shared by the vendor side (which serves pages)
//! and the harness (which checks them).

use crate::types::Pagination;

/// `per_page` when the request names none.
pub const DEFAULT_PER_PAGE: u64 = 50;
/// The documented maximum `per_page` (PAGE-5); larger requests are rejected with a 400.
pub const MAX_PER_PAGE: u64 = 500;

/// `ceil(total_count / per_page)`, and 0 for an empty collection (PAGE-2).
pub fn total_pages(total_count: u64, per_page: u64) -> u64 {
    if per_page == 0 { 0 } else { total_count.div_ceil(per_page) }
}

impl Pagination {
    /// The pagination block of page `page` of a collection of `total_count` items.
    pub fn of(page: u64, per_page: u64, total_count: u64) -> Self {
        Self { page, per_page, total_pages: total_pages(total_count, per_page), total_count }
    }

    /// The index range of the items on this page; empty past the end (PAGE-4).
    pub fn item_range(&self) -> std::ops::Range<usize> {
        let start = (self.page.saturating_sub(1)).saturating_mul(self.per_page).min(self.total_count);
        let end = start.saturating_add(self.per_page).min(self.total_count);
        start as usize..end as usize
    }
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

/// Why page parameters were refused (PAGE-3, PAGE-5): each answers a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageParamError {
    #[error("`{name}` must be a whole number, got `{value}`")]
    NotANumber { name: &'static str, value: String },
    #[error("`page` starts at 1, got {0}")]
    PageTooSmall(i128),
    #[error("`per_page` must be between 1 and {max}, got {value}")]
    PerPageOutOfRange { value: i128, max: u64 },
}

impl PageRequest {
    /// Reads the raw query values; absent parameters take the defaults.
    pub fn parse(page: Option<&str>, per_page: Option<&str>, max_per_page: u64) -> Result<Self, PageParamError> {
        let number = |name: &'static str, raw: &str| -> Result<i128, PageParamError> {
            // A whole number too long for i128 is still a whole number (past the end, or over
            // the maximum): saturate rather than call it not a number.
            raw.trim().parse::<i128>().or_else(|e| match e.kind() {
                std::num::IntErrorKind::PosOverflow => Ok(i128::MAX),
                std::num::IntErrorKind::NegOverflow => Ok(i128::MIN),
                _ => Err(PageParamError::NotANumber { name, value: raw.chars().take(64).collect() }),
            })
        };
        let page = match page {
            None => 1,
            Some(raw) => {
                let n = number("page", raw)?;
                if n < 1 {
                    return Err(PageParamError::PageTooSmall(n));
                }
                u64::try_from(n).unwrap_or(u64::MAX)
            }
        };
        let per_page = match per_page {
            None => DEFAULT_PER_PAGE,
            Some(raw) => {
                let n = number("per_page", raw)?;
                if n < 1 || n > i128::from(max_per_page) {
                    return Err(PageParamError::PerPageOutOfRange { value: n, max: max_per_page });
                }
                n as u64
            }
        };
        Ok(Self { page, per_page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn totals_follow_the_contract() {
        assert_eq!(total_pages(0, 50), 0);
        assert_eq!(total_pages(1, 50), 1);
        assert_eq!(total_pages(50, 50), 1);
        assert_eq!(total_pages(51, 50), 2);
        let empty = Pagination::of(1, 50, 0);
        assert_eq!(empty.total_pages, 0);
        assert_eq!(empty.item_range(), 0..0);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let p = |a, b| PageRequest::parse(a, b, MAX_PER_PAGE);
        assert_eq!(p(None, None), Ok(PageRequest { page: 1, per_page: DEFAULT_PER_PAGE }));
        assert!(matches!(p(Some("0"), None), Err(PageParamError::PageTooSmall(0))));
        assert!(matches!(p(Some("-1"), None), Err(PageParamError::PageTooSmall(-1))));
        assert!(matches!(p(None, Some("0")), Err(PageParamError::PerPageOutOfRange { .. })));
        assert!(matches!(p(None, Some("501")), Err(PageParamError::PerPageOutOfRange { .. })));
        assert!(matches!(p(Some("abc"), None), Err(PageParamError::NotANumber { name: "page", .. })));
        assert!(matches!(p(None, Some("1e3")), Err(PageParamError::NotANumber { .. })));
        assert_eq!(p(Some("99999999999999999999999999"), Some("500")).unwrap().page, u64::MAX);
        // Longer than i128: still whole numbers, past the end or over the maximum.
        let long = "188116969316912975898921922374051823616";
        assert_eq!(p(Some(long), None).unwrap().page, u64::MAX);
        assert!(matches!(p(None, Some(long)), Err(PageParamError::PerPageOutOfRange { .. })));
        assert!(matches!(p(Some(&format!("-{long}")), None), Err(PageParamError::PageTooSmall(_))));
    }

    proptest! {
        #[test]
        fn walking_pages_covers_every_item_once(total in 0u64..2_000, per_page in 1u64..600) {
            let pages = total_pages(total, per_page);
            let mut next = 0usize;
            for page in 1..=pages {
                let range = Pagination::of(page, per_page, total).item_range();
                prop_assert_eq!(range.start, next);
                if page < pages { prop_assert_eq!(range.len() as u64, per_page); }
                next = range.end;
            }
            prop_assert_eq!(next as u64, total);
            prop_assert!(Pagination::of(pages + 1, per_page, total).item_range().is_empty());
        }
    }
}
