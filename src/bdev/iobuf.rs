//! Data buffers of the bdev layer (SPDK's iobuf): two shared pools of
//! DMA-safe buffers, small and large, each channel keeping a cache of
//! recently freed ones in front of them so the I/O path takes no lock.
//! Buffer sizes are `spdk_iobuf_opts`' defaults; the pools are created on
//! first use with fewer buffers than SPDK's defaults, because the env heap
//! populates and pins what it maps, and freed with the last bdev.

use crate::env::mempool::Mempool;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering};

/// `spdk_iobuf_opts.small_bufsize` default.
pub const SMALL_BUFSIZE: usize = 8 * 1024;
/// `spdk_iobuf_opts.large_bufsize` default.
pub const LARGE_BUFSIZE: usize = 132 * 1024;
pub const SMALL_POOL_COUNT: usize = 1024;
pub const LARGE_POOL_COUNT: usize = 64;
/// Per-channel caches (`spdk_bdev_opts.iobuf_small_cache_size` / `iobuf_large_cache_size`).
pub const SMALL_CACHE: usize = 128;
pub const LARGE_CACHE: usize = 16;
/// Buffers are aligned to this (and every `required_alignment` up to it is honoured).
pub const BUF_ALIGN: usize = 4096;

struct Pools {
    small: Box<Mempool>,
    large: Box<Mempool>,
}

/// The pools, read without a lock on the I/O path; created under `CREATE`
/// on first use, freed with the last bdev (`release`).
static POOLS: AtomicPtr<Pools> = AtomicPtr::new(std::ptr::null_mut());
static CREATE: Mutex<()> = Mutex::new(());

fn pools() -> Option<&'static Pools> {
    let p = POOLS.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: published pools live until `release`, which runs only when no bdev (so no channel) exists.
        return Some(unsafe { &*p });
    }
    let _g = CREATE.lock();
    let p = POOLS.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: as above.
        return Some(unsafe { &*p });
    }
    let small = Mempool::create("bdev_iobuf_small", SMALL_POOL_COUNT, SMALL_BUFSIZE)?;
    let large = Mempool::create("bdev_iobuf_large", LARGE_POOL_COUNT, LARGE_BUFSIZE)?;
    let p = Box::into_raw(Box::new(Pools { small, large }));
    POOLS.store(p, Ordering::Release);
    // SAFETY: just published.
    Some(unsafe { &*p })
}

/// Frees the pools; the bdev registry calls it, under its lock, once the last bdev is gone.
pub(crate) fn release() {
    let _g = CREATE.lock();
    let p = POOLS.swap(std::ptr::null_mut(), Ordering::AcqRel);
    if !p.is_null() {
        // SAFETY: no bdev, so no channel or I/O holds a buffer or a reference.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Which pool a buffer of `len` bytes comes from; None when it is too large.
pub fn class_of(len: usize) -> Option<bool> {
    match len {
        l if l <= SMALL_BUFSIZE => Some(false),
        l if l <= LARGE_BUFSIZE => Some(true),
        _ => None,
    }
}

/// One channel's cache of free buffers.
pub struct Cache {
    small: Vec<*mut u8>,
    large: Vec<*mut u8>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache { small: Vec::with_capacity(SMALL_CACHE), large: Vec::with_capacity(LARGE_CACHE) }
    }
}

impl Cache {
    /// A buffer of the class (`large` or small), from the cache or the shared pool.
    pub fn get(&mut self, large: bool) -> Option<*mut u8> {
        let cached = if large { self.large.pop() } else { self.small.pop() };
        cached.or_else(|| {
            let p = pools()?;
            if large { p.large.get() } else { p.small.get() }
        })
    }

    /// Gives a buffer of the class back: kept in the cache while it has room.
    pub fn put(&mut self, large: bool, buf: *mut u8) {
        let (v, cap) = if large { (&mut self.large, LARGE_CACHE) } else { (&mut self.small, SMALL_CACHE) };
        if v.len() < cap {
            v.push(buf);
        } else if let Some(p) = pools() {
            if large { p.large.put(buf) } else { p.small.put(buf) };
        }
    }

    /// Returns every cached buffer to the shared pools (channel teardown).
    pub fn drain(&mut self) {
        if let Some(p) = pools() {
            self.small.drain(..).for_each(|b| {
                p.small.put(b);
            });
            self.large.drain(..).for_each(|b| {
                p.large.put(b);
            });
        }
    }
}

/// Free buffers in the shared pools (small, large), for tests and diagnostics.
pub fn free_counts() -> (usize, usize) {
    pools().map_or((0, 0), |p| (p.small.count(), p.large.count()))
}
