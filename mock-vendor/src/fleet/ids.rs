//! Synthetic device ids derived from the seed and the index, and found again without a map.

use uuid::Uuid;

/// Synthetic device ids: version-4 UUIDs whose 62 low bits are a keyed bijection of the device's
/// index and whose other bits are a hash of those, so an id gives its index back (or nothing)
/// without a 10,000,000-entry map, and every id is distinct.
#[derive(Debug, Clone, Copy)]
pub struct DerivedIds {
    k1: u64,
    k2: u64,
}

const LOW62: u64 = (1 << 62) - 1;
const M1: u64 = 0xbf58_476d_1ce4_e5b9;
const M2: u64 = 0x94d0_49bb_1331_11eb;

impl DerivedIds {
    pub fn new(seed: u64) -> Self {
        let k1 = splitmix(seed ^ 0x05ee_d1d5) & LOW62;
        Self { k1, k2: splitmix(k1 ^ seed) }
    }

    pub fn id(self, idx: u32) -> Uuid {
        let low = permute62(u64::from(idx) ^ self.k1);
        let high = splitmix(low ^ self.k2);
        let bits = (u128::from(high) << 64) | u128::from(low);
        // Version 4, variant RFC 4122: the bits `from_random_bytes` sets, none of `low`'s 62.
        uuid::Builder::from_random_bytes(bits.to_be_bytes()).into_uuid()
    }

    pub fn index(self, id: &Uuid, len: usize) -> Option<u32> {
        let low = id.as_u128() as u64 & LOW62;
        let idx = u32::try_from(unpermute62(low) ^ self.k1).ok()?;
        ((idx as usize) < len && self.id(idx) == *id).then_some(idx)
    }
}

/// SplitMix64's finaliser: a good 64-bit hash.
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(M1);
    x = (x ^ (x >> 27)).wrapping_mul(M2);
    x ^ (x >> 31)
}

/// A bijection of the 62-bit numbers (xor-shifts and odd multiplications, each invertible).
fn permute62(mut x: u64) -> u64 {
    x ^= x >> 31;
    x = x.wrapping_mul(M1) & LOW62;
    x ^= x >> 29;
    x = x.wrapping_mul(M2) & LOW62;
    x ^ (x >> 32)
}

/// The multipliers' inverses, worked out when compiling rather than at every lookup.
const INV_M1: u64 = inverse(M1);
const INV_M2: u64 = inverse(M2);

fn unpermute62(mut x: u64) -> u64 {
    x = unshift(x, 32);
    x = x.wrapping_mul(INV_M2) & LOW62;
    x = unshift(x, 29);
    x = x.wrapping_mul(INV_M1) & LOW62;
    unshift(x, 31)
}

/// The inverse of `x ^= x >> s` on 62 bits.
fn unshift(x: u64, s: u32) -> u64 {
    let mut y = x;
    for _ in 0..62 / s {
        y = x ^ (y >> s);
    }
    y
}

/// The inverse of an odd number modulo 2^64 (Newton's iteration; each step doubles the bits).
const fn inverse(m: u64) -> u64 {
    let mut inv = m;
    let mut i = 0;
    while i < 5 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(m.wrapping_mul(inv)));
        i += 1;
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permutation_inverts() {
        for x in [0, 1, 2, 999, 1 << 31, u64::from(u32::MAX), LOW62, LOW62 - 1, 0x0123_4567_89ab_cdef] {
            assert_eq!(unpermute62(permute62(x)), x, "{x}");
            assert!(permute62(x) <= LOW62);
        }
    }
}
