//! Latency histograms (SPDK's `histogram_data.h`).
//!
//! Values (usually tick deltas) fall into ranges by their highest set bit;
//! each range holds `1 << granularity` buckets. Ranges 0 and 1 map one value
//! per bucket, every range above covers twice the values of the one below.
//! A histogram keeps only the ranges from `min_range` to `max_range`: values
//! below land in the first bucket, values above in the last.
//!
//! The C header has the same arithmetic as static inline functions over
//! `struct spdk_histogram_data` (hand-written in `src/capi/raw_late/`); this
//! file holds the Rust side, which must bucket values identically.

/// `struct spdk_histogram_data`: the shape and the bucket array (owned by
/// whoever allocated it: C's `calloc` or a Rust [`Histogram`]).
#[repr(C)]
#[derive(Debug)]
pub struct spdk_histogram_data {
    pub granularity: u32,
    pub min_range: u32,
    pub max_range: u32,
    pub bucket: *mut u64,
}

/// `SPDK_HISTOGRAM_GRANULARITY_DEFAULT`: 128 buckets per range.
pub const SPDK_HISTOGRAM_GRANULARITY_DEFAULT: u32 = 7;

/// The largest granularity accepted (ranges of 2^20 buckets are already
/// 8 MiB each).
pub(crate) const MAX_GRANULARITY: u32 = 20;

/// The range of `v` for histograms of `granularity`.
#[inline]
pub fn range_of(granularity: u32, v: u64) -> u32 {
    let lsb = 64 - granularity;
    let clz = v.leading_zeros();
    lsb.saturating_sub(clz)
}

#[inline]
fn index_in(granularity: u32, v: u64, range: u32) -> u64 {
    let shift = range.saturating_sub(1);
    (v >> shift) & ((1u64 << granularity) - 1)
}

/// The first value of the bucket after (`range`, `index`): SPDK reports
/// bucket (r, i) as covering [start(previous), start(r, i)).
pub fn bucket_end(granularity: u32, range: u32, index: u32) -> u64 {
    let index = index as u64 + 1;
    if range == 0 {
        index
    } else {
        (1u64 << (range + granularity - 1)).wrapping_add(index << (range - 1))
    }
}

impl spdk_histogram_data {
    /// Number of buckets of this shape.
    pub fn num_buckets(&self) -> usize {
        ((self.max_range - self.min_range + 1) as usize) << self.granularity
    }

    /// The bucket array.
    pub fn buckets(&self) -> &[u64] {
        if self.bucket.is_null() {
            return &[];
        }
        // SAFETY: `bucket` holds num_buckets() counters for the life of the histogram.
        unsafe { std::slice::from_raw_parts(self.bucket, self.num_buckets()) }
    }

    pub fn buckets_mut(&mut self) -> &mut [u64] {
        if self.bucket.is_null() {
            return &mut [];
        }
        // SAFETY: as above; the caller holds the histogram exclusively.
        unsafe { std::slice::from_raw_parts_mut(self.bucket, self.num_buckets()) }
    }

    /// Counts one value (the I/O path: no allocation, no lock).
    #[inline]
    pub fn tally(&mut self, v: u64) {
        let g = self.granularity;
        let range = range_of(g, v);
        let (range, index) = if range < self.min_range {
            (self.min_range, 0)
        } else if range > self.max_range {
            (self.max_range, (1u64 << g) - 1)
        } else {
            (range, index_in(g, v, range))
        };
        let slot = (((range - self.min_range) as u64) << g) + index;
        if let Some(c) = self.buckets_mut().get_mut(slot as usize) {
            *c += 1;
        }
    }

    /// Adds `src` into `self`; both must have the same shape (`-EINVAL` otherwise).
    pub fn merge(&mut self, src: &spdk_histogram_data) -> Result<(), i32> {
        if self.granularity != src.granularity || self.min_range != src.min_range || self.max_range != src.max_range {
            return Err(-libc::EINVAL);
        }
        for (d, s) in self.buckets_mut().iter_mut().zip(src.buckets()) {
            *d += s;
        }
        Ok(())
    }

    pub fn reset(&mut self) {
        self.buckets_mut().fill(0);
    }

    /// Sum of all counters.
    pub fn total(&self) -> u64 {
        self.buckets().iter().sum()
    }

    /// Calls `f(start, end, count, total, so_far)` for every bucket in order.
    pub fn iterate(&self, mut f: impl FnMut(u64, u64, u64, u64, u64)) {
        let total = self.total();
        let (mut so_far, mut end) = (0u64, 0u64);
        let per = 1u32 << self.granularity;
        for r in self.min_range..=self.max_range {
            for i in 0..per {
                let count = self.buckets()[(((r - self.min_range) as usize) << self.granularity) + i as usize];
                so_far += count;
                let start = end;
                end = bucket_end(self.granularity, r, i);
                f(start, end, count, total, so_far);
            }
        }
    }
}

/// A histogram owned by Rust: the C view and its buckets in one allocation
/// that does not move (boxed).
pub struct Histogram {
    data: spdk_histogram_data,
    _buckets: Box<[u64]>,
}

// SAFETY: the bucket pointer refers to the histogram's own boxed array;
// the histogram is used by one thread at a time (its channel's).
unsafe impl Send for Histogram {}

impl Histogram {
    /// A histogram of `granularity` tracking values in [min_val, max_val)
    /// (`spdk_histogram_data_alloc_sized_ext`); None if the range is empty
    /// or the granularity unusable.
    pub fn new(granularity: u32, min_val: u64, max_val: u64) -> Option<Box<Histogram>> {
        if min_val >= max_val || granularity > MAX_GRANULARITY {
            return None;
        }
        let min_range = range_of(granularity, min_val);
        let max_range = range_of(granularity, max_val - 1);
        let n = ((max_range - min_range + 1) as usize) << granularity;
        let mut buckets = vec![0u64; n].into_boxed_slice();
        let data = spdk_histogram_data { granularity, min_range, max_range, bucket: buckets.as_mut_ptr() };
        Some(Box::new(Histogram { data, _buckets: buckets }))
    }

    pub fn data(&self) -> &spdk_histogram_data {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut spdk_histogram_data {
        &mut self.data
    }

    /// The C view (for callbacks that take `struct spdk_histogram_data *`).
    pub fn as_ptr(&mut self) -> *mut spdk_histogram_data {
        &mut self.data
    }

    /// The counters in native byte order (as SPDK sends them), base64-encoded (the
    /// `bdev_get_histogram` result's `histogram`).
    pub fn to_base64(&self) -> String {
        let bytes: Vec<u8> = self.data.buckets().iter().flat_map(|c| c.to_ne_bytes()).collect();
        base64(&bytes)
    }
}

/// Standard base64 with padding.
pub fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                s.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_their_buckets() {
        let mut h = Histogram::new(SPDK_HISTOGRAM_GRANULARITY_DEFAULT, 0, u64::MAX).unwrap();
        let vals = [0u64, 1, 127, 128, 255, 256, 257, 1000, 1 << 20, u64::MAX - 1];
        for &v in &vals {
            h.data_mut().tally(v);
        }
        assert_eq!(h.data().total(), vals.len() as u64);
        let mut seen = Vec::new();
        h.data().iterate(|start, end, count, total, _| {
            assert_eq!(total, vals.len() as u64);
            for _ in 0..count {
                seen.push((start, end));
            }
        });
        assert_eq!(seen.len(), vals.len());
        for (&v, &(start, end)) in vals.iter().zip(&seen) {
            // The last bucket's end wraps to 0 (2^64).
            assert!(v >= start && (end == 0 || v < end), "{v} not in [{start}, {end})");
        }
        // 256 and 257 share a bucket (range 2 has 2 values per bucket).
        assert_eq!(seen[5], seen[6]);
        assert_ne!(seen[3], seen[4]);
    }

    #[test]
    fn limited_range_clamps_and_merge_checks_shape() {
        let mut a = Histogram::new(7, 1 << 9, 1 << 30).unwrap();
        a.data_mut().tally(1);
        a.data_mut().tally(1 << 40);
        let b = a.data().buckets();
        assert_eq!(b[0], 1);
        assert_eq!(b[b.len() - 1], 1);
        let mut c = Histogram::new(7, 1 << 9, 1 << 30).unwrap();
        c.data_mut().tally(1 << 12);
        a.data_mut().merge(c.data()).unwrap();
        assert_eq!(a.data().total(), 3);
        let d = Histogram::new(6, 1 << 9, 1 << 30).unwrap();
        assert_eq!(a.data_mut().merge(d.data()), Err(-libc::EINVAL));
        a.data_mut().reset();
        assert_eq!(a.data().total(), 0);
        assert!(Histogram::new(7, 5, 5).is_none());
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
