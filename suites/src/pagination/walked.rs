//! A finished walk: ids in order, a few exchanges and what was wrong; what the checks read.

use std::collections::BTreeMap;

use super::ids::IdMap;
use super::tally::{Flaw, Problem};
use crate::outcome::Exchange;

pub(super) fn names_bytes(names: &IdMap<String>) -> usize {
    names.capacity() * (std::mem::size_of::<(u128, String)>() + 1) + names.values().map(String::capacity).sum::<usize>()
}

pub(super) fn exchange_bytes(e: &Exchange) -> usize {
    std::mem::size_of::<Exchange>()
        + e.url.len()
        + e.reproduce.len()
        + e.body_excerpt.as_ref().map_or(0, String::len)
        + e.request_headers.iter().chain(&e.response_headers).map(|(k, v)| k.len() + v.len()).sum::<usize>()
}

/// A finished walk: ids in order, a few example exchanges, and what was wrong.
#[derive(Debug)]
pub struct Walked {
    /// The page size asked for (`None`: the profile's default).
    pub requested: Option<u64>,
    /// The page size the vendor reported using (else the one asked for).
    pub per_page: Option<u64>,
    pub pages: u64,
    /// Page 1's totals.
    pub total_count: Option<u64>,
    pub total_pages: Option<u64>,
    pub(super) order: Vec<u128>,
    pub(super) names: IdMap<String>,
    pub(super) first: Option<Exchange>,
    pub(super) last: Option<Exchange>,
    /// The keyset value of the last item listed (of a union's first endpoint), when the profile
    /// says how to ask for the page after it.
    pub last_after: Option<String>,
    pub(super) problems: Vec<Problem>,
    pub(super) counts: BTreeMap<Flaw, usize>,
    pub(super) notes: Vec<String>,
}

impl Walked {
    /// Items listed, repeats included.
    pub fn items(&self) -> u64 {
        self.order.len() as u64
    }

    /// The first few problems of `flaw` (at most [`MAX_FINDINGS`](crate::outcome::MAX_FINDINGS)).
    pub fn problems(&self, flaw: Flaw) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.flaw == flaw)
    }

    /// How many problems of `flaw` the walk met.
    pub fn count(&self, flaw: Flaw) -> usize {
        self.counts.get(&flaw).copied().unwrap_or(0)
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Every exchange the walk kept: page 1's, the last page's, each kept problem's.
    pub fn exchanges(&self) -> Vec<&Exchange> {
        let mut all: Vec<&Exchange> = Vec::new();
        for e in self.first.iter().chain(&self.last).chain(self.problems.iter().filter_map(|p| p.exchange.as_ref())) {
            if !all.contains(&e) {
                all.push(e);
            }
        }
        all
    }

    /// Bytes the finished walk holds: 16 per item, the names, the kept exchanges and problems.
    pub fn retained_bytes(&self) -> usize {
        self.order.capacity() * 16
            + names_bytes(&self.names)
            + self.exchanges().into_iter().map(exchange_bytes).sum::<usize>()
            + self.problems.iter().map(|p| p.message.len() + p.subject.len()).sum::<usize>()
    }

    /// The distinct items, sorted.
    pub(super) fn set(&self) -> Vec<u128> {
        let mut ids = self.order.clone();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Every item with its repeats, sorted: two walks listing the same items in any order agree.
    pub(super) fn multiset(&self) -> Vec<u128> {
        let mut ids = self.order.clone();
        ids.sort_unstable();
        ids
    }

    pub(super) fn name(&self, id: &u128) -> Option<&str> {
        self.names.get(id).map(String::as_str)
    }
}
