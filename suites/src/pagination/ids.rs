//! Telling items apart in bounded memory: 128-bit hashes of ids, a map keyed by them, content hashes.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use serde_json::Value;

/// Hashes of item ids are already uniform: a map keyed by them need not hash them again.
#[derive(Debug, Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

pub(super) type IdMap<V> = HashMap<u128, V, BuildHasherDefault<IdHasher>>;

/// 128 bits: a million ids collide with a probability of about 10^-27.
pub(super) fn hash128(seed: u8, value: &impl Hash) -> u128 {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        (seed, salt, value).hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

pub(super) fn hash_value(value: &Value, h: &mut impl Hasher) {
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => (2u8, u).hash(h),
            (None, Some(i)) => (3u8, i).hash(h),
            _ => (4u8, n.as_f64().map(f64::to_bits)).hash(h),
        },
        Value::String(s) => (5u8, s).hash(h),
        Value::Array(items) => {
            (6u8, items.len()).hash(h);
            items.iter().for_each(|v| hash_value(v, h));
        }
        Value::Object(map) => {
            (7u8, map.len()).hash(h);
            for (k, v) in map {
                k.hash(h);
                hash_value(v, h);
            }
        }
    }
}

/// The content of a record, to tell an item listed twice from two items sharing an id.
pub(super) fn content_hash(record: &Value) -> u64 {
    let mut h = DefaultHasher::new();
    hash_value(record, &mut h);
    h.finish()
}
