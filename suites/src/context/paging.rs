//! Pages as checks see them: the vendor's pagination kind and limits, a streaming walk's pages
//! and visitor, page parameters a check sends on purpose.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::vendor::Answer;
use crate::outcome::Exchange;

/// How a vendor splits a list into pages (MAP-1, VENDOR-SHAPES.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PagingKind {
    /// A page number and a page size (`page`/`per_page`), totals in the answer (the contract's).
    Page,
    /// An item offset and a limit (`offset`/`limit`): ends on a short page or the reported count.
    Offset,
    /// An opaque token from each answer asks for the next page; null, empty or missing ends.
    Cursor,
    /// The next page's URL in an RFC 5988 `Link: <...>; rel=next` header.
    LinkHeader,
    /// One answer holds the whole list.
    None,
}

impl PagingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Offset => "offset",
            Self::Cursor => "cursor",
            Self::LinkHeader => "link_header",
            Self::None => "none",
        }
    }

    /// Whether the next page is named by the previous answer (a token or a link), so the chain
    /// itself can loop or fail to end.
    pub fn chained(self) -> bool {
        matches!(self, Self::Cursor | Self::LinkHeader)
    }
}

/// The vendor's pagination as checks need to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub kind: PagingKind,
    /// The page-size parameter (`per_page`, `limit`, `pageSize`, `perPage`), when there is one.
    pub size_param: Option<String>,
    /// The page size the run walks with by default.
    pub size_default: u64,
    /// The page-number (`page` kind) or offset (`offset` kind) parameter.
    pub position_param: Option<String>,
    /// Whether answers report a total item count the walk is checked against.
    pub total_count: bool,
    /// Whether answers report a total page count (`page` kind).
    pub total_pages: bool,
    /// What the vendor declares of the sites' page sizes (the profile's `max_size`,
    /// `default_size`): PAGE-5 and the page-size walks judge against these, not the contract's.
    pub sites_limits: SizeLimits,
    /// ...and of an inventory's (the tightest of a union's endpoints).
    pub inventory_limits: SizeLimits,
    /// Whether chained pagination can be asked for the page after the last (keyset
    /// `startingAfter=<last item>`, the profile's `pagination.past_end`): PAGE-4 then applies.
    pub keyset_past_end: bool,
}

/// A vendor's own page-size limits for one collection, when its profile declares them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SizeLimits {
    /// The largest page size it serves.
    pub max: Option<u64>,
    /// The page size it serves when none is asked for.
    pub default: Option<u64>,
    /// The smallest page size it takes: the small-page walks start there instead of at 1.
    pub min: Option<u64>,
}

impl Paging {
    /// No pagination: one answer holds the list.
    pub fn none() -> Self {
        Self {
            kind: PagingKind::None,
            size_param: None,
            size_default: 0,
            position_param: None,
            total_count: false,
            total_pages: false,
            sites_limits: SizeLimits::default(),
            inventory_limits: SizeLimits::default(),
            keyset_past_end: false,
        }
    }

    /// The contract's `page`/`per_page` pagination with its `pagination` block.
    pub fn canonical() -> Self {
        Self {
            kind: PagingKind::Page,
            size_param: Some("per_page".into()),
            size_default: contract::DEFAULT_PER_PAGE,
            position_param: Some("page".into()),
            total_count: true,
            total_pages: true,
            sites_limits: SizeLimits::default(),
            inventory_limits: SizeLimits::default(),
            keyset_past_end: false,
        }
    }

    /// What the vendor declares of `collection`'s page sizes.
    pub fn limits(&self, collection: &Collection) -> SizeLimits {
        match collection {
            Collection::Sites => self.sites_limits,
            Collection::Inventory { .. } => self.inventory_limits,
        }
    }

    /// The page size parameter and its default, when pages can be sized.
    pub fn sized(&self) -> Option<(&str, u64)> {
        self.size_param.as_deref().map(|p| (p, self.size_default))
    }
}

/// Raw values of page parameters for a request a check makes on purpose: strings, so that bad
/// ones (`0`, `-1`, `abc`, a forged token) can be sent. `None` leaves the parameter out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageAsk {
    /// The page number (`page` kind) or offset (`offset` kind).
    pub position: Option<String>,
    pub size: Option<String>,
    /// A cursor token (`cursor` kind).
    pub token: Option<String>,
    /// The keyset value of the last item listed, sent in the profile's `pagination.past_end`
    /// parameter (`startingAfter`) to ask for the page after it (PAGE-4).
    pub after: Option<String>,
}

impl PageAsk {
    /// The first page at `size` (the default size when `None`).
    pub fn first(paging: &Paging, size: Option<u64>) -> Self {
        let position = match paging.kind {
            PagingKind::Page => Some("1".to_owned()),
            PagingKind::Offset => Some("0".to_owned()),
            _ => None,
        };
        let size = paging.size_param.as_ref().map(|_| size.unwrap_or(paging.size_default).to_string());
        Self { position, size, token: None, after: None }
    }
}

/// A collection the client can walk page by page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collection {
    Sites,
    Inventory { site_id: String },
}

/// One page of a streaming walk, handed to the visitor and then dropped.
#[derive(Debug, Clone)]
pub struct PageSeen {
    /// 1-based position of the page in the walk.
    pub index: u64,
    /// Which of the collection's endpoints the page came from (an inventory may be the union of
    /// several, each paginated on its own: cameras, then doors), from 0.
    pub part: usize,
    /// What names the next page (a cursor token, a `rel=next` URL); `None` on a page that ends
    /// its chain or whose pagination is not chained.
    pub next: Option<String>,
    /// The keyset value of the page's last item (the profile's `pagination.past_end.from`), when
    /// the profile says how to ask for the page after it: [`PageAsk::after`].
    pub after: Option<String>,
    /// The canonical records of the page, mapped through the profile.
    pub records: Vec<Value>,
    /// The vendor's pagination block as canonical fields (`page`, `per_page`, `total_pages`,
    /// `total_count`), each `None` when absent or not a non-negative integer.
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    pub total_pages: Option<u64>,
    pub total_count: Option<u64>,
    pub exchange: Exchange,
}

/// What one page asked for on purpose got back ([`VendorApi::ask_page`](super::VendorApi::ask_page)).
#[derive(Debug, Clone)]
pub struct PageAnswer {
    pub answer: Answer,
    /// The answer read as one page of the collection, when it is a 2xx holding one.
    pub page: Option<PageSeen>,
    /// The error the body signals, for vendors that refuse with a 2xx and an error flag.
    pub body_error: Option<String>,
}

impl PageAnswer {
    /// `answer` with `read`'s page of it when it is a 2xx, and the error its body signals.
    pub fn read(answer: Answer, read: impl FnOnce(&Answer) -> Option<PageSeen>, body_error: Option<String>) -> Self {
        let page = if answer.is_success() { read(&answer) } else { None };
        Self { answer, page, body_error }
    }

    /// The body's error as this vendor's refusal, worded for a check ("refused with 200 and an
    /// error in its body (…)"), as [`VendorApi::body_refusal`](super::VendorApi::body_refusal) words it.
    pub fn refusal(&self) -> Option<String> {
        self.body_error.as_deref().map(|e| super::vendor::refusal_in_body(self.answer.status, e))
    }
}

/// What the visitor tells the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    Continue,
    Stop,
}

/// How a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkEnd {
    pub pages: u64,
    /// What the walk noticed without failing (no total page count, ...).
    pub notes: Vec<String>,
}

/// A streaming walk's visitor: sees each page once, keeps what it needs (ids, a few example
/// exchanges), so a million-device walk holds ids, not pages.
pub type PageVisitor<'v> = dyn FnMut(PageSeen) -> Walk + Send + 'v;

/// A page in the canonical shape: the list under `sites` or `devices`, the block under `pagination`.
pub fn canonical_page(collection: &Collection, answer: &Answer) -> Option<PageSeen> {
    let json = answer.json.as_ref()?;
    let key = match collection {
        Collection::Sites => "sites",
        Collection::Inventory { .. } => "devices",
    };
    let records = json.get(key)?.as_array()?.clone();
    let number = |name: &str| json.get("pagination").and_then(|p| p.get(name)).and_then(Value::as_u64);
    Some(PageSeen {
        index: number("page").unwrap_or(0),
        part: 0,
        next: None,
        after: None,
        records,
        page: number("page"),
        per_page: number("per_page"),
        total_pages: number("total_pages"),
        total_count: number("total_count"),
        exchange: answer.exchange.clone(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer(status: u16, json: Value) -> Answer {
        Answer { status, text: json.to_string(), json: Some(json), exchange: Exchange::default() }
    }

    #[test]
    fn a_page_answer_reads_a_page_only_from_a_2xx_and_words_a_body_error_as_a_refusal() {
        let body = json!({"sites": [{"site_id": "s"}], "pagination": {"page": 3}});
        let read = |a: &Answer| canonical_page(&Collection::Sites, a);
        let ok = PageAnswer::read(answer(200, body.clone()), read, None);
        assert_eq!(ok.page.as_ref().map(|p| (p.index, p.records.len())), Some((3, 1)));
        assert_eq!(ok.refusal(), None);
        assert!(PageAnswer::read(answer(404, body.clone()), read, None).page.is_none(), "a 404 is no page");
        let refused = PageAnswer::read(answer(200, body), read, Some("bad page".into()));
        assert_eq!(refused.refusal().as_deref(), Some("refused with 200 and an error in its body (bad page)"));
    }
}
