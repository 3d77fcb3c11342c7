//! Ready device bytes (`shape::Blocks`, issue 18) change nothing on the wire: in every shape each
//! inventory page, body and `Link` header, is byte for byte what rendering its records one by
//! one gives, with and without pagination faults; a status change shows in the next page; and a
//! record fault switched on after the bytes were rendered still shows.

mod common;

use axum::body::Bytes;
use common::{Mock, test_config};
use contract::DeviceStatus;
use mock_vendor::fleet::Kind;
use mock_vendor::shape::page_token;
use mock_vendor::{Fault, FleetSpec, MockConfig, Shape};

async fn start(shape: Shape) -> Mock {
    Mock::start(MockConfig { fleet: FleetSpec::Synthetic(2_500), shape, ..test_config() }).await
}

/// Status, `Link`, `Content-Type`, `Content-Length` and `Transfer-Encoding` headers and body
/// bytes of a GET.
async fn raw(m: &Mock, token: &str, path: &str) -> (u16, [Option<String>; 4], Bytes) {
    let r = m.http.get(m.url(path)).bearer_auth(token).send().await.unwrap();
    let header = |name: &str| r.headers().get(name).map(|l| l.to_str().unwrap().to_owned());
    let headers = ["link", "content-type", "content-length", "transfer-encoding"].map(header);
    (r.status().as_u16(), headers, r.bytes().await.unwrap())
}

/// Every inventory page of every site of `account` at `per_page`, one past the end included,
/// in `shape`'s routes.
fn pages(m: &Mock, shape: Shape, account: usize, per_page: usize) -> Vec<String> {
    let fleet = m.mock.state.fleet.read().unwrap();
    let mut paths = Vec::new();
    for &s in &fleet.accounts[account].sites {
        let site = &fleet.sites[s as usize];
        let id = site.id;
        let cameras = site.devices.iter().filter(|&&d| fleet.devices[d as usize].kind == Kind::Camera).count();
        let last = |n: usize| n.div_ceil(per_page) as u64 + 1;
        match shape {
            Shape::Canonical => paths.extend(
                (1..=last(site.devices.len()))
                    .map(|p| format!("/api/v1/sites/{id}/inventory?page={p}&per_page={per_page}")),
            ),
            Shape::Cursor => {
                for (route, n) in [("cameras", cameras), ("devices", site.devices.len() - cameras)] {
                    paths.extend((1..=last(n)).map(|p| {
                        format!("/api/v3/{route}?locationId={id}&pageSize={per_page}&pageToken={}", page_token(p))
                    }));
                }
            }
            Shape::Link => {
                paths.extend((1..=last(site.devices.len())).map(|p| {
                    format!("/api/v1/networks/{id}/devices?perPage={per_page}&startingAfter={}", page_token(p))
                }))
            }
        }
    }
    paths
}

/// Each page from ready bytes, then rendered record by record, compared byte for byte.
async fn same_pages(m: &Mock, shape: Shape, what: &str) {
    let state = &m.mock.state;
    for account in 0..2 {
        let token = m.token(account);
        for per_page in [100, 7, 500] {
            let paths = pages(m, shape, account, per_page);
            state.blocks.set_enabled(true);
            let mut fast = Vec::new();
            for path in &paths {
                fast.push(raw(m, &token, path).await);
            }
            assert!(state.blocks.kept_bytes() > 0, "{shape:?} {what}: the ready bytes served");
            state.blocks.set_enabled(false);
            for (path, fast) in paths.iter().zip(fast) {
                let slow = raw(m, &token, path).await;
                assert_eq!(fast.0, 200, "{path}");
                assert_eq!(fast.1[2].as_deref(), Some(fast.2.len().to_string().as_str()), "{path}: Content-Length");
                assert_eq!(fast, slow, "{shape:?} {what}: {path}");
            }
            state.blocks.set_enabled(true);
        }
    }
}

#[tokio::test]
async fn ready_bytes_serve_the_same_pages_in_every_shape() {
    for &shape in Shape::ALL {
        let m = start(shape).await;
        same_pages(&m, shape, "fault-free").await;
        // Pagination faults move page boundaries and totals, not records: still ready bytes.
        for fault in [Fault::PageDuplicateItem, Fault::PageSkipItem, Fault::WrongTotals, Fault::NextLoop] {
            m.mock.state.faults.set(fault, true);
            same_pages(&m, shape, fault.name()).await;
            m.mock.state.faults.set(fault, false);
        }
    }
}

/// The first device of the first page of site 0 in `shape`, and that page's path.
fn first_page(m: &Mock, shape: Shape) -> (String, String) {
    let fleet = m.mock.state.fleet.read().unwrap();
    let site = &fleet.sites[fleet.accounts[0].sites[0] as usize];
    let id = site.id;
    let path = match shape {
        Shape::Canonical => format!("/api/v1/sites/{id}/inventory?page=1&per_page=100"),
        Shape::Cursor => format!("/api/v3/devices?locationId={id}&pageSize=100"),
        Shape::Link => format!("/api/v1/networks/{id}/devices?perPage=100"),
    };
    // The cursor shape's `/devices` starts with the site's first device too (an access panel).
    (path, fleet.devices[site.devices[0] as usize].id.to_string())
}

#[tokio::test]
async fn a_status_change_shows_in_the_next_page_in_every_shape() {
    for &shape in Shape::ALL {
        let m = start(shape).await;
        let state = &m.mock.state;
        let token = m.token(0);
        let (path, device) = first_page(&m, shape);
        let before = raw(&m, &token, &path).await;
        let idx = state.fleet.read().unwrap().device_by_id(&device).unwrap();
        mock_vendor::events::set_status(state, idx, DeviceStatus::Degraded);
        let after = raw(&m, &token, &path).await;
        assert_ne!(before.2, after.2, "{shape:?}");
        let page: serde_json::Value = serde_json::from_slice(&after.2).unwrap();
        let (first, status) = match shape {
            Shape::Canonical => (&page["devices"][0], &page["devices"][0]["status"]),
            Shape::Cursor => (&page["results"][0], &page["results"][0]["status"]["connectionStatus"]),
            Shape::Link => (&page[0], &page[0]["status"]),
        };
        let said = match shape {
            Shape::Canonical => "degraded",
            Shape::Cursor => "error",
            Shape::Link => "alerting",
        };
        assert_eq!(status, said, "{shape:?}: {first}");
        state.blocks.set_enabled(false);
        assert_eq!(after, raw(&m, &token, &path).await, "{shape:?}: the patched page is the rendered one");
    }
}

#[tokio::test]
async fn a_record_fault_shows_after_the_bytes_were_rendered() {
    for &shape in Shape::ALL {
        let m = start(shape).await;
        let token = m.token(0);
        let (path, _) = first_page(&m, shape);
        let clean = raw(&m, &token, &path).await;
        assert!(m.mock.state.blocks.kept_bytes() > 0);
        m.mock.state.faults.set(Fault::BadMacFormat, true);
        let faulted = raw(&m, &token, &path).await;
        let text = String::from_utf8_lossy(&faulted.2);
        assert!(String::from_utf8_lossy(&clean.2).contains(":0f:e5:"), "{shape:?}: a colon-separated MAC");
        assert!(!text.contains(":0f:e5:") && text.contains("000FE5"), "{shape:?}: {text}");
    }
}

#[tokio::test]
async fn a_page_asked_again_comes_whole_from_the_page_cache() {
    let m = start(Shape::Canonical).await;
    let token = m.token(0);
    let (path, _) = first_page(&m, Shape::Canonical);
    let first = raw(&m, &token, &path).await;
    for _ in 0..3 {
        assert_eq!(raw(&m, &token, &path).await, first);
    }
    m.mock.state.blocks.set_enabled(false);
    assert_eq!(raw(&m, &token, &path).await, first, "what rendering record by record gives");
}

/// Two workers: a page that waited for the lock would block one, and the timeout fire on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::await_holding_lock, reason = "the lock is held across the request on purpose")]
async fn a_page_never_waits_for_the_page_cache() {
    let m = start(Shape::Canonical).await;
    let token = m.token(0);
    let (path, _) = first_page(&m, Shape::Canonical);
    let first = raw(&m, &token, &path).await;
    // Held here as a preempted request's thread would hold it: the page is assembled anyway.
    let held = m.mock.state.page_cache.lock().unwrap();
    let again = tokio::time::timeout(std::time::Duration::from_secs(10), raw(&m, &token, &path)).await;
    drop(held);
    assert_eq!(again.expect("the page did not wait for the cache"), first);
}
