//! What the tests of the non-canonical shapes share: a mock in a shape, walks through cursor
//! tokens and `Link` headers, and a subscription that makes an event happen.

use std::collections::BTreeSet;
use std::time::Duration;

use contract::Secret;
use mock_vendor::{MockConfig, Shape};
use serde_json::Value;

use super::{Mock, Receiver, test_config};

pub const WAIT: Duration = Duration::from_secs(10);
/// Longest walk a test follows before calling it a loop.
pub const MAX_PAGES: usize = 200;

pub async fn start(shape: Shape) -> Mock {
    Mock::start(MockConfig { shape, ..test_config() }).await
}

/// A cursor walk: the items, the `totalSize` of each page, and the tokens followed.
pub struct CursorWalk {
    pub items: Vec<Value>,
    pub totals: BTreeSet<u64>,
    pub tokens: Vec<String>,
}

/// Follows `nextPageToken` until it is empty (or `MAX_PAGES`, which the caller can assert on).
pub async fn cursor_walk(m: &Mock, path: &str, page_size: u64) -> CursorWalk {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut walk = CursorWalk { items: Vec::new(), totals: BTreeSet::new(), tokens: Vec::new() };
    let mut token = String::new();
    for _ in 0..MAX_PAGES {
        let (status, _, body) = m.get(0, &format!("{path}{sep}pageSize={page_size}&pageToken={token}")).await;
        assert_eq!(status, 200, "{path} {token}: {body}");
        walk.items.extend(body["results"].as_array().unwrap().iter().cloned());
        walk.totals.insert(body["totalSize"].as_u64().unwrap());
        token = body["nextPageToken"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
        walk.tokens.push(token.clone());
    }
    walk
}

/// The URL of `rel` in a `Link` header.
pub fn link(headers: &reqwest::header::HeaderMap, rel: &str) -> Option<String> {
    let value = headers.get("link")?.to_str().unwrap();
    value.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        (params.trim() == format!("rel={rel}")).then(|| url.trim_matches(['<', '>', ' ']).to_owned())
    })
}

/// A link walk: the items and the `rel=next` URLs followed.
pub struct LinkWalk {
    pub items: Vec<Value>,
    pub nexts: Vec<String>,
}

pub async fn link_walk(m: &Mock, path: &str, per_page: u64) -> LinkWalk {
    let mut walk = LinkWalk { items: Vec::new(), nexts: Vec::new() };
    let mut url = m.url(&format!("{path}?perPage={per_page}"));
    for _ in 0..MAX_PAGES {
        let (status, headers, body) = m.send(m.http.get(&url).bearer_auth(m.token(0))).await;
        assert_eq!(status, 200, "{url}: {body}");
        walk.items.extend(body.as_array().unwrap().iter().cloned());
        assert!(link(&headers, "first").is_some(), "every page links its first page");
        match link(&headers, "next") {
            Some(next) => {
                assert!(next.starts_with(&m.mock.base_url), "absolute, from Host: {next}");
                walk.nexts.push(next.clone());
                url = next;
            }
            None => break,
        }
    }
    walk
}

/// Subscribes `rx` and changes `device`'s status: the webhook, its secret and the event id.
pub async fn subscribe(m: &Mock, rx: &Receiver, device: &str) -> (String, Secret, String) {
    let (webhook, secret) = m.create_webhook(0, &rx.url).await;
    let changed = m.set_status(device, "offline").await;
    let changed = if changed["event_ids"].as_array().unwrap().is_empty() {
        m.set_status(device, "online").await
    } else {
        changed
    };
    // No event id under `missing-event-id`.
    (webhook, secret, changed["event_ids"][0].as_str().unwrap_or_default().to_owned())
}
