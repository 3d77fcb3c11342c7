//! The pagination kinds a profile can declare, each with exactly the keys it reads, and what the
//! walk and the checks read of them.

use serde::{Deserialize, Serialize};
use suites::{PagingKind, SizeLimits};

use super::{ListEndpoint, ParamLocation};

with_shared_keys! {
    shared {
        /// The page size the harness asks for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        /// The vendor's largest page size (PAGE-5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_size: Option<u64>,
        /// Its smallest.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_size: Option<u64>,
        /// The size it serves when none is asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_size: Option<u64>,
    }
    /// How a list is split into pages: one variant per `kind`, with exactly the keys that kind
    /// reads (a key another kind reads is refused by name). A new kind is one variant here, its
    /// [`PagingKind`] and its arms in `client/walk/kinds.rs`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    pub enum PaginationProfile {
        /// A page number counted from 1 and a page size; totals in the answer (the contract's).
        Page {
            #[serde(default)]
            location: ParamLocation,
            /// The page-number parameter.
            page_param: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            size_param: Option<String>,
            ..shared,
            /// JSON Pointers of the pagination block, when the vendor reports one.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            total_pages: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            total_count: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            page: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            per_page: Option<String>,
        },
        /// An item offset counted from 0 and a limit: a short page or the reported count ends.
        Offset {
            #[serde(default)]
            location: ParamLocation,
            offset_param: String,
            /// Required: a short page ends the walk, so the harness must know the size it asked for.
            size_param: String,
            ..shared,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            total_count: Option<String>,
        },
        /// An opaque token from each answer names the next page.
        Cursor {
            #[serde(default)]
            location: ParamLocation,
            /// The parameter the token goes back in...
            token_param: String,
            /// ...and the JSON Pointer of the next page's token in an answer (null, `""` or missing ends).
            next_token: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            size_param: Option<String>,
            ..shared,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            total_count: Option<String>,
            /// How to ask for the page after the last (keyset pagination), when the vendor allows it.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            past_end: Option<PastEnd>,
        },
        /// The next page's URL in an RFC 5988 `Link: <...>; rel=next` header (query parameters).
        LinkHeader {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            size_param: Option<String>,
            ..shared,
            /// How to ask for the page after the last (`startingAfter=<serial>`), when the vendor
            /// allows it: PAGE-4 then applies.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            past_end: Option<PastEnd>,
        },
        /// One answer holds the whole list.
        None {},
    }
}

/// Keyset pagination's way past the end: send `param` set to the value at `from` (a JSON
/// Pointer into the vendor's raw record) of the last item of the last page
/// (`[pagination.past_end] param = "startingAfter", from = "/serial"`); an endpoint whose
/// records keep it elsewhere says so with its own `past_end_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PastEnd {
    pub param: String,
    pub from: String,
}

impl PaginationProfile {
    pub fn kind(&self) -> PagingKind {
        match self {
            Self::Page { .. } => PagingKind::Page,
            Self::Offset { .. } => PagingKind::Offset,
            Self::Cursor { .. } => PagingKind::Cursor,
            Self::LinkHeader { .. } => PagingKind::LinkHeader,
            Self::None {} => PagingKind::None,
        }
    }

    /// Where the parameters go (a `rel=next` link carries its own).
    pub fn location(&self) -> ParamLocation {
        match self {
            Self::Page { location, .. } | Self::Offset { location, .. } | Self::Cursor { location, .. } => *location,
            Self::LinkHeader { .. } | Self::None {} => ParamLocation::Query,
        }
    }

    /// The page-size parameter, when pages can be sized.
    pub fn size_param(&self) -> Option<&String> {
        match self {
            Self::Page { size_param, .. } | Self::Cursor { size_param, .. } | Self::LinkHeader { size_param, .. } => {
                size_param.as_ref()
            }
            Self::Offset { size_param, .. } => Some(size_param),
            Self::None {} => None,
        }
    }

    /// `(size, max_size, default_size)` as written.
    pub(super) fn sizes(&self) -> (Option<u64>, Option<u64>, Option<u64>) {
        let [size, max_size, _, default_size] = self.size_keys();
        (size, max_size, default_size)
    }

    /// The page size the harness asks for: `size`, else the vendor's declared default, else the
    /// contract's default; never above the declared maximum.
    pub fn size(&self) -> u64 {
        let (size, max, default) = self.sizes();
        let size = size.or(default).unwrap_or(contract::DEFAULT_PER_PAGE);
        max.map_or(size, |m| size.min(m))
    }

    /// Sets the page size the harness asks for (tests walk small pages).
    pub fn set_size(&mut self, n: u64) {
        if let Some([size, ..]) = self.size_keys_mut() {
            *size = Some(n);
        }
    }

    /// Sets the vendor's declared maximum page size for every collection.
    pub fn set_max_size(&mut self, n: Option<u64>) {
        if let Some([_, max_size, ..]) = self.size_keys_mut() {
            *max_size = n;
        }
    }

    /// The parameter that names a page by its number (`page`) or its first item (`offset`).
    pub fn position_param(&self) -> Option<&String> {
        match self {
            Self::Page { page_param, .. } => Some(page_param),
            Self::Offset { offset_param, .. } => Some(offset_param),
            _ => None,
        }
    }

    /// The cursor token's parameter and the pointer of the next one.
    pub fn token(&self) -> Option<(&String, &String)> {
        match self {
            Self::Cursor { token_param, next_token, .. } => Some((token_param, next_token)),
            _ => None,
        }
    }

    pub fn past_end(&self) -> Option<&PastEnd> {
        match self {
            Self::Cursor { past_end, .. } | Self::LinkHeader { past_end, .. } => past_end.as_ref(),
            _ => None,
        }
    }

    /// The pagination block's pointers: `(page, per_page, total_pages, total_count)`.
    pub fn block(&self) -> [Option<&String>; 4] {
        match self {
            Self::Page { page, per_page, total_pages, total_count, .. } => {
                [page.as_ref(), per_page.as_ref(), total_pages.as_ref(), total_count.as_ref()]
            }
            Self::Offset { total_count, .. } | Self::Cursor { total_count, .. } => {
                [None, None, None, total_count.as_ref()]
            }
            Self::LinkHeader { .. } | Self::None {} => [None; 4],
        }
    }

    /// The vendor's limits for an endpoint: its own `max_size`/`default_size`/`min_size` over these.
    pub fn limits_of(&self, endpoint: &ListEndpoint) -> SizeLimits {
        let (_, max, default) = self.sizes();
        SizeLimits {
            max: endpoint.max_size.or(max),
            default: endpoint.default_size.or(default),
            min: endpoint.min_size.or(self.min_size()),
        }
    }

    /// `min_size` as written.
    pub(super) fn min_size(&self) -> Option<u64> {
        self.size_keys()[2]
    }

    /// `[size, max_size, min_size, default_size]` as written; all `None` for the kind without pages.
    fn size_keys(&self) -> [Option<u64>; 4] {
        // Read through the one match that names the paged kinds, on a copy (a few short strings).
        let mut copy = self.clone();
        copy.size_keys_mut().map_or([None; 4], |keys| keys.map(|k| *k))
    }

    /// `[size, max_size, min_size, default_size]` to set; `None` for the kind without pages.
    fn size_keys_mut(&mut self) -> Option<[&mut Option<u64>; 4]> {
        match self {
            Self::Page { size, max_size, min_size, default_size, .. }
            | Self::Offset { size, max_size, min_size, default_size, .. }
            | Self::Cursor { size, max_size, min_size, default_size, .. }
            | Self::LinkHeader { size, max_size, min_size, default_size, .. } => {
                Some([size, max_size, min_size, default_size])
            }
            Self::None {} => None,
        }
    }
}
