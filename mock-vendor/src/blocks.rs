//! Ready bytes of every device as this server's shape serves it, kept per site, so that a page
//! of devices is a concatenation of ready bytes instead of a hundred serialisations (issue 18:
//! serving distinct pages cost most of its time rendering records).
//!
//! A block holds one collection a shape pages through (all of a site's devices, or its cameras,
//! or its other devices in the `cursor` shape), each device's JSON back to back in page order,
//! as the shape renders it (`shape::serve::ready_items` hands the renderer in, so this module
//! knows no shape's words). A block is rendered on first use, from the fleet under its read
//! lock; a device that changes is marked under the fleet's write lock
//! ([`Blocks::device_changed`]) and only it is re-rendered when its block is next used; replacing the whole fleet (a reset) drops every block. Blocks
//! are bounded in bytes ([`Blocks::MAX_BYTES`]): past it the oldest are dropped, so walking a fleet
//! of ten million devices keeps at most that many bytes rendered. Records only serve from here
//! while no record fault is active (`records::devices_faulted`): faulted records are rendered
//! one by one as before.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde_json::Value;

use crate::config::Shape;
use crate::fleet::Fleet;

/// Which of a site's devices a collection holds, in the site's page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Which {
    All,
    /// The `cursor` shape's `/cameras`: its records carry no type (the endpoint is the type).
    Cameras,
    /// The `cursor` shape's `/devices`: every other kind.
    NotCameras,
}

impl Which {
    /// The collection's devices of `site`, in page order.
    pub fn collection(self, fleet: &Fleet, site: u32) -> &[u32] {
        match self {
            Self::All => &fleet.sites[site as usize].devices,
            Self::Cameras => fleet.cameras_and_others(site).0,
            Self::NotCameras => fleet.cameras_and_others(site).1,
        }
    }

    /// Whether the collection's records name their type.
    pub fn typed(self) -> bool {
        self != Self::Cameras
    }
}

/// Appends a device's JSON (by its index) as the collection serves it.
pub(crate) type Render<'a> = &'a dyn Fn(u32, &mut Vec<u8>);

/// One collection's devices, rendered.
#[derive(Debug)]
pub(crate) struct Block {
    /// Each device's JSON, a comma between two: a run of devices in collection order is a
    /// slice of it, handed to the response without a copy.
    buf: Bytes,
    /// Where each device's JSON ends in `buf` (it starts just after the comma after the one
    /// before).
    ends: Vec<u32>,
    /// The devices, in collection order.
    devices: Vec<u32>,
}

impl Block {
    fn build(fleet: &Fleet, which: Which, site: u32, render: Render) -> Self {
        let devices = which.collection(fleet, site).to_vec();
        let mut buf = Vec::with_capacity(devices.len() * 512);
        let mut ends = Vec::with_capacity(devices.len());
        for &d in &devices {
            if !ends.is_empty() {
                buf.push(b',');
            }
            render(d, &mut buf);
            ends.push(buf.len() as u32);
        }
        buf.shrink_to_fit();
        Self { buf: buf.into(), ends, devices }
    }

    /// This block with the devices of `stale` rendered again, the others copied.
    fn patched(&self, stale: &[u32], render: Render) -> Self {
        let mut buf = Vec::with_capacity(self.buf.len() + 64 * stale.len());
        let mut ends = Vec::with_capacity(self.ends.len());
        for (at, &d) in self.devices.iter().enumerate() {
            if at > 0 {
                buf.push(b',');
            }
            if stale.contains(&d) {
                render(d, &mut buf);
            } else {
                buf.extend_from_slice(self.get(at));
            }
            ends.push(buf.len() as u32);
        }
        Self { buf: buf.into(), ends, devices: self.devices.clone() }
    }

    fn start(&self, at: usize) -> usize {
        if at == 0 { 0 } else { self.ends[at - 1] as usize + 1 }
    }

    fn get(&self, at: usize) -> &[u8] {
        &self.buf[self.start(at)..self.ends[at] as usize]
    }

    fn bytes(&self) -> usize {
        self.buf.len() + 8 * self.devices.len()
    }

    /// The JSON of a page's `items` ((place in the collection, device), in the order served),
    /// comma-separated, or none if an item is not where this block has it. A run in collection
    /// order (every page but under `unstable-order`) is a slice of the block, not a copy.
    pub fn items(&self, items: &[(usize, u32)]) -> Option<Bytes> {
        let (Some(&(first, d0)), Some(&(last, d1))) = (items.first(), items.last()) else { return Some(Bytes::new()) };
        if items.windows(2).all(|w| w[1].0 == w[0].0 + 1) {
            // A run of the collection (every page of one, from `answer::choose`): its two ends
            // are where this block has them, so the run between is too.
            let ends_match = self.devices.get(first) == Some(&d0) && self.devices.get(last) == Some(&d1);
            return ends_match.then(|| self.buf.slice(self.start(first)..self.ends[last] as usize));
        }
        if items.iter().any(|&(at, d)| self.devices.get(at) != Some(&d)) {
            return None;
        }
        let mut out = Vec::with_capacity(items.iter().map(|&(at, _)| self.get(at).len() + 1).sum());
        for (n, &(at, _)) in items.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(self.get(at));
        }
        Some(out.into())
    }
}

#[derive(Debug)]
struct Entry {
    block: Arc<Block>,
    /// Devices changed since `block` was rendered.
    stale: Vec<u32>,
}

#[derive(Debug, Default)]
struct Kept {
    entries: HashMap<(u32, Which), Entry>,
    /// Keys in the order they were first rendered: the oldest goes first past the budget.
    order: VecDeque<(u32, Which)>,
    bytes: usize,
}

/// The rendered blocks of this server's shape.
#[derive(Debug)]
pub struct Blocks {
    /// The shape whose bytes are kept: the server's.
    shape: Shape,
    enabled: AtomicBool,
    /// Read-locked to find a block (every page), write-locked to keep or drop one: on two busy
    /// cores a lock holder is often preempted, and pages must not queue behind it.
    kept: RwLock<Kept>,
    /// [`Self::MAX_BYTES`] but in tests.
    budget: usize,
}

impl Blocks {
    pub fn new(shape: Shape) -> Self {
        Self { shape, enabled: AtomicBool::new(true), kept: RwLock::default(), budget: Self::MAX_BYTES }
    }

    /// At most this many bytes of blocks are kept (a 200,000-device fleet fits whole in every
    /// shape; of a 10,000,000-device one, the most recently rendered of its sites).
    pub const MAX_BYTES: usize = 128 * 1024 * 1024;

    /// A collection larger than this is rendered page by page instead: its block would be
    /// rendered whole for one page and might not even stay.
    pub const MAX_DEVICES: usize = 20_000;

    /// Turns the ready bytes off (every page rendered record by record, as a faulted page is) or
    /// back on: the tests compare the two, the bench measures both.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Device `device` of site `site` changed: its bytes are rendered again at next use. Called
    /// under the fleet's write lock, so no reader renders from the fleet meanwhile.
    pub(crate) fn device_changed(&self, site: u32, device: u32) {
        let mut kept = self.kept.write().expect("blocks lock");
        for which in [Which::All, Which::Cameras, Which::NotCameras] {
            if let Some(entry) = kept.entries.get_mut(&(site, which))
                && !entry.stale.contains(&device)
            {
                entry.stale.push(device);
            }
        }
    }

    /// The fleet was replaced: every block goes. Called under the fleet's write lock.
    pub(crate) fn clear(&self) {
        *self.kept.write().expect("blocks lock") = Kept::default();
    }

    /// How many bytes of blocks are kept.
    pub fn kept_bytes(&self) -> usize {
        self.kept.read().expect("blocks lock").bytes
    }

    /// The block of collection `which` of `site` as `shape` renders it, rendered or brought up
    /// to date first if need be, when the ready bytes are on, `shape` is the server's (the
    /// only one kept) and the collection is not too large. `fleet` is the caller's read guard:
    /// rendering and keeping happen under it, so no change slips between.
    pub(crate) fn block(
        &self,
        fleet: &Fleet,
        shape: Shape,
        which: Which,
        site: u32,
        render: Render,
    ) -> Option<Arc<Block>> {
        if !self.enabled() || shape != self.shape || fleet.sites[site as usize].devices.len() > Self::MAX_DEVICES {
            return None;
        }
        let key = (site, which);
        let found = {
            let kept = self.kept.read().expect("blocks lock");
            kept.entries.get(&key).map(|e| (e.block.clone(), e.stale.clone()))
        };
        // Rendering happens outside the lock: other sites' pages go on meanwhile.
        let block = match found {
            Some((block, stale)) if stale.is_empty() => return Some(block),
            Some((old, stale)) => Arc::new(old.patched(&stale, render)),
            None => Arc::new(Block::build(fleet, which, site, render)),
        };
        let mut kept = self.kept.write().expect("blocks lock");
        let fresh = block.bytes();
        match kept.entries.insert(key, Entry { block: block.clone(), stale: Vec::new() }) {
            Some(old) => kept.bytes -= old.block.bytes(),
            None => kept.order.push_back(key),
        }
        kept.bytes += fresh;
        while kept.bytes > self.budget {
            let Some(oldest) = kept.order.pop_front() else { break };
            if let Some(gone) = kept.entries.remove(&oldest) {
                kept.bytes -= gone.block.bytes();
            }
        }
        Some(block)
    }
}

/// What a shape's envelope is given in place of its items, so that a page of ready bytes can be
/// written by the same envelope code as a page of records: serialised, this string is replaced
/// by the items' array.
pub(crate) const ITEMS_MARK: &str = "\u{0}items\u{0}";

/// [`ITEMS_MARK`] as serde_json writes it, found in each envelope without serialising the mark
/// again per page (the splicing test fails if the two part).
const ITEMS_MARK_JSON: &[u8] = br#""\u0000items\u0000""#;

/// `envelope` (holding [`ITEMS_MARK`] where its items go) serialised, with the array of `items`
/// (comma-separated JSON) in place of the mark: the same bytes as the envelope serialised
/// holding the items, in three pieces so the items are not copied.
pub(crate) fn splice(envelope: &Value, items: Bytes) -> Pieces {
    let head = serde_json::to_vec(envelope).expect("envelopes serialise");
    let mark = ITEMS_MARK_JSON;
    let at = head.windows(mark.len()).position(|w| w == mark).expect("the envelope holds the mark");
    let mut before = head[..at].to_vec();
    before.push(b'[');
    let mut after = vec![b']'];
    after.extend_from_slice(&head[at + mark.len()..]);
    Pieces { parts: [before.into(), items, after.into()], next: 0 }
}

/// A response body of ready pieces, written out as they are (no copy into one buffer), whose
/// length is known, so the response carries the same `Content-Length` as a one-piece body.
/// Cloning it clones three reference counts.
#[derive(Debug, Clone)]
pub struct Pieces {
    parts: [Bytes; 3],
    /// The first part not yet sent.
    next: usize,
}

impl Pieces {
    /// The pieces in one buffer (tests).
    #[cfg(test)]
    fn concat(&self) -> Vec<u8> {
        self.parts[self.next..].iter().flat_map(|b| b.iter().copied()).collect()
    }
}

impl http_body::Body for Pieces {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let at = self.next;
        let part = self.parts.get_mut(at).map(std::mem::take);
        self.next = (at + 1).min(self.parts.len());
        std::task::Poll::Ready(part.map(|b| Ok(http_body::Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.next == self.parts.len()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.parts[self.next..].iter().map(|b| b.len() as u64).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FleetSpec;
    use crate::fleet::Kind;
    use serde_json::json;

    /// What the stand-in rendering writes of a device: its name and when it was last seen.
    fn label(fleet: &Fleet, idx: u32) -> String {
        format!("{} @{}", fleet.device_name(idx), fleet.devices[idx as usize].last_seen_ms)
    }

    /// A stand-in for a shape's rendering: the device's label as a JSON string.
    fn names(fleet: &Fleet) -> impl Fn(u32, &mut Vec<u8>) + '_ {
        |idx, out| serde_json::to_writer(out, &label(fleet, idx)).unwrap()
    }

    #[test]
    fn blocks_stay_within_their_budget_oldest_out_first() {
        let fleet = Fleet::generate(FleetSpec::Synthetic(3_000), 1, 0);
        let render = names(&fleet);
        let site_bytes = Block::build(&fleet, Which::All, 0, &render).bytes();
        let blocks = Blocks { budget: site_bytes * 2 + site_bytes / 2, ..Blocks::new(Shape::Link) };
        for site in 0..3 {
            let block = blocks.block(&fleet, Shape::Link, Which::All, site, &render).unwrap();
            assert_eq!(block.devices, fleet.sites[site as usize].devices);
        }
        let kept = blocks.kept.read().unwrap();
        assert!(kept.bytes <= blocks.budget, "{} > {}", kept.bytes, blocks.budget);
        let sites: Vec<u32> = kept.order.iter().map(|k| k.0).collect();
        assert_eq!(sites, [1, 2], "the oldest block went first");
        assert_eq!(kept.bytes, kept.entries.values().map(|e| e.block.bytes()).sum::<usize>());
        drop(kept);
        assert!(blocks.block(&fleet, Shape::Canonical, Which::All, 0, &render).is_none(), "only the server's shape");
        blocks.set_enabled(false);
        assert!(blocks.block(&fleet, Shape::Link, Which::All, 0, &render).is_none(), "off is off");
    }

    #[test]
    fn only_changed_devices_are_rendered_again() {
        let mut fleet = Fleet::generate(FleetSpec::Synthetic(3_000), 1, 0);
        let blocks = Blocks::new(Shape::Cursor);
        let first = blocks.block(&fleet, Shape::Cursor, Which::Cameras, 0, &names(&fleet)).unwrap();
        let camera = first.devices[1];
        assert_eq!(fleet.devices[camera as usize].kind, Kind::Camera);
        blocks.device_changed(0, camera);
        fleet.devices[camera as usize].last_seen_ms = 42;
        let render = names(&fleet);
        let again = blocks.block(&fleet, Shape::Cursor, Which::Cameras, 0, &render).unwrap();
        assert!(!Arc::ptr_eq(&first, &again));
        let fresh = Block::build(&fleet, Which::Cameras, 0, &render);
        assert_eq!((&again.buf, &again.ends), (&fresh.buf, &fresh.ends), "patched as if rendered anew");
        assert_eq!(again.get(1), format!("\"{} @42\"", fleet.device_name(camera)).as_bytes());
        let run = again.items(&[(0, again.devices[0]), (1, camera)]).unwrap();
        assert_eq!(&run[..], [again.get(0), again.get(1)].join(&b","[..]).as_slice(), "a run is a slice");
        assert_eq!(first.get(0), again.get(0), "the others are copied");
        assert!(Arc::ptr_eq(&again, &blocks.block(&fleet, Shape::Cursor, Which::Cameras, 0, &render).unwrap()));
        let items = [(1, camera), (0, first.devices[0])];
        let array = [&b"["[..], &again.items(&items).unwrap(), b"]"].concat();
        let expected: Vec<String> = items.iter().map(|&(_, d)| label(&fleet, d)).collect();
        assert_eq!(serde_json::from_slice::<Vec<String>>(&array).unwrap(), expected, "in the order served");
        assert!(again.items(&[(0, camera)]).is_none(), "an item not where the block has it");
        assert_eq!(again.items(&[]), Some(Bytes::new()));
        blocks.clear();
        assert_eq!(blocks.kept_bytes(), 0);
    }

    #[test]
    fn splicing_gives_the_bytes_of_the_whole_envelope() {
        use http_body::Body as _;
        let items = vec![json!({"a": 1}), json!({"b": [2, 3]})];
        let array = serde_json::to_vec(&items).unwrap();
        let inner = Bytes::copy_from_slice(&array[1..array.len() - 1]);
        for (whole, marked) in [
            (json!({"z": 1, "results": items, "a": "x"}), json!({"z": 1, "results": ITEMS_MARK, "a": "x"})),
            (Value::Array(items.clone()), Value::from(ITEMS_MARK)),
            (json!({"results": []}), json!({"results": ITEMS_MARK})),
        ] {
            let items = if whole == json!({"results": []}) { Bytes::new() } else { inner.clone() };
            let pieces = splice(&marked, items);
            let expected = serde_json::to_vec(&whole).unwrap();
            assert_eq!(pieces.concat(), expected);
            assert_eq!(pieces.size_hint().exact(), Some(expected.len() as u64));
        }
    }
}
