//! Quality of service (SPDK's `spdk_bdev_set_qos_rate_limits` and the
//! `bdev_set_qos_limit` method): per-bdev limits on I/Os per second and on
//! bytes per second (read+write, read only, write only), enforced across
//! every channel of the bdev by one shared, lock-free token budget per
//! 1 ms timeslice. An I/O that finds the budget spent waits in its
//! channel's queue (in order) and is sent by that channel's poller in a
//! later timeslice; a large I/O may overdraw, and the debt is paid from the
//! next timeslices, so the long-run rate is the limit.

use crate::capi::bdev_types::*;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// `SPDK_BDEV_QOS_RW_IOPS_RATE_LIMIT` .. `SPDK_BDEV_QOS_W_BPS_RATE_LIMIT`.
pub const RW_IOPS: usize = 0;
pub const RW_BPS: usize = 1;
pub const R_BPS: usize = 2;
pub const W_BPS: usize = 3;
pub const NUM_LIMITS: usize = 4;
/// SPDK's minimum IOPS limit, of which every IOPS limit is a multiple.
pub const MIN_IOS_PER_SEC: u64 = 1000;
const SLICE_NS: u64 = 1_000_000;
const SLICES_PER_SEC: u64 = crate::env::cpu::TICKS_HZ / SLICE_NS;

/// A bdev's limits and the budget of the current timeslice.
#[derive(Default)]
pub struct Qos {
    /// Per second: I/Os, bytes, read bytes, write bytes (0: no limit).
    limits: [AtomicU64; NUM_LIMITS],
    remaining: [AtomicI64; NUM_LIMITS],
    slice: AtomicU64,
}

impl Qos {
    pub fn limits(&self) -> [u64; NUM_LIMITS] {
        std::array::from_fn(|i| self.limits[i].load(Ordering::Relaxed))
    }

    pub fn enabled(&self) -> bool {
        self.limits.iter().any(|l| l.load(Ordering::Relaxed) != 0)
    }

    fn per_slice(limit: u64) -> i64 {
        (limit / SLICES_PER_SEC).max(1) as i64
    }

    /// Starts a new timeslice if one began: each budget is the allowance
    /// minus what earlier slices overdrew (no surplus carries over).
    fn refill(&self, now: u64) {
        let s = now / SLICE_NS;
        let cur = self.slice.load(Ordering::Acquire);
        if s <= cur || self.slice.compare_exchange(cur, s, Ordering::AcqRel, Ordering::Relaxed).is_err() {
            return;
        }
        for i in 0..NUM_LIMITS {
            let l = self.limits[i].load(Ordering::Relaxed);
            if l != 0 {
                let debt = self.remaining[i].load(Ordering::Relaxed).min(0);
                self.remaining[i].store(debt + Self::per_slice(l), Ordering::Relaxed);
            }
        }
    }

    /// Takes the budget for one I/O of `bytes` bytes if every limit that
    /// applies has some left; false if it must wait.
    pub fn admit(&self, io_type: spdk_bdev_io_type, bytes: u64, now: u64) -> bool {
        let read = io_type == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ;
        let write = matches!(io_type, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE_ZEROES);
        if !read && !write && io_type != spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP {
            return true;
        }
        self.refill(now);
        let cost: [i64; NUM_LIMITS] = [1, bytes as i64, if read { bytes as i64 } else { 0 }, if write { bytes as i64 } else { 0 }];
        let applies = |i: usize| cost[i] != 0 && self.limits[i].load(Ordering::Relaxed) != 0;
        if (0..NUM_LIMITS).any(|i| applies(i) && self.remaining[i].load(Ordering::Relaxed) <= 0) {
            return false;
        }
        for i in (0..NUM_LIMITS).filter(|&i| applies(i)) {
            self.remaining[i].fetch_sub(cost[i], Ordering::Relaxed);
        }
        true
    }
}

/// Checks and converts SPDK's limits (`u64::MAX`: unchanged; I/Os per
/// second, then MiB per second) into per-second values, merged with `old`.
pub fn merge_limits(old: [u64; NUM_LIMITS], new: [u64; NUM_LIMITS]) -> Result<[u64; NUM_LIMITS], String> {
    let mut out = old;
    for i in 0..NUM_LIMITS {
        let v = new[i];
        if v == u64::MAX {
            continue;
        }
        out[i] = if i == RW_IOPS {
            if v % MIN_IOS_PER_SEC != 0 {
                return Err(format!("rw_ios_per_sec {v} is not a multiple of {MIN_IOS_PER_SEC}"));
            }
            v
        } else {
            v.checked_mul(1 << 20).ok_or_else(|| format!("a bandwidth limit of {v} MB/s is too large"))?
        };
    }
    Ok(out)
}

/// The bdev's QoS state, made on first use and kept while it is registered
/// (in `internal.qos`, read without a lock on the I/O path; freed by
/// `release` once its last channel is gone).
pub fn of<'a>(b: *mut spdk_bdev) -> Option<&'a Qos> {
    // SAFETY: internal.qos is only written by `ensure` and `release`.
    let p = unsafe { qos_slot(b).load(Ordering::Acquire) };
    // SAFETY: the Qos lives until `release`, after the last channel (every caller) is gone.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// No QoS limit is set on `b` (the I/O path's quick test).
#[inline]
pub(crate) fn is_off(b: *mut spdk_bdev) -> bool {
    match of(b) {
        None => true,
        Some(q) => !q.enabled(),
    }
}

/// # Safety
/// `b` must be a live bdev.
unsafe fn qos_slot<'a>(b: *mut spdk_bdev) -> &'a std::sync::atomic::AtomicPtr<Qos> {
    // SAFETY: the pointer-sized, pointer-aligned field viewed atomically.
    unsafe { &*(std::ptr::addr_of_mut!((*b).internal.qos) as *const std::sync::atomic::AtomicPtr<Qos>) }
}

/// Frees the QoS state of an unregistered bdev whose channels are all gone.
pub(crate) fn release(b: *mut spdk_bdev) {
    // SAFETY: b is live (its destruct has not run yet).
    let p = unsafe { qos_slot(b).swap(std::ptr::null_mut(), Ordering::AcqRel) };
    if !p.is_null() {
        // SAFETY: made by `ensure`; nothing reads it once the channels are gone.
        drop(unsafe { Box::from_raw(p) });
    }
}

fn ensure<'a>(b: *mut spdk_bdev) -> &'a Qos {
    if let Some(q) = of(b) {
        return q;
    }
    let fresh = Box::into_raw(Box::<Qos>::default());
    // SAFETY: b is registered (the caller checked).
    match unsafe { qos_slot(b).compare_exchange(std::ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) } {
        // SAFETY: just published; lives until `release`.
        Ok(_) => unsafe { &*fresh },
        Err(existing) => {
            // SAFETY: ours, never published.
            drop(unsafe { Box::from_raw(fresh) });
            // SAFETY: published by another caller; lives until `release`.
            unsafe { &*existing }
        }
    }
}

/// Sets the limits of a registered bdev (SPDK's units; `u64::MAX` leaves one as it is, 0 removes it).
pub fn set_limits(b: *mut spdk_bdev, limits: [u64; NUM_LIMITS]) -> Result<(), super::BdevError> {
    if !super::is_registered(b) {
        return Err(super::BdevError::NotFound(super::name_of(b)));
    }
    let q = ensure(b);
    let merged = merge_limits(q.limits(), limits).map_err(super::BdevError::Invalid)?;
    for (i, v) in merged.iter().enumerate() {
        q.limits[i].store(*v, Ordering::Relaxed);
        q.remaining[i].store(if *v == 0 { 0 } else { Qos::per_slice(*v) }, Ordering::Relaxed);
    }
    Ok(())
}

/// The limits in SPDK's units (I/Os per second, MiB per second), all 0 without QoS.
pub fn get_limits(b: *mut spdk_bdev) -> [u64; NUM_LIMITS] {
    let l = of(b).map(|q| q.limits()).unwrap_or_default();
    std::array::from_fn(|i| if i == RW_IOPS { l[i] } else { l[i] >> 20 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_per_timeslice() {
        let q = Qos::default();
        q.limits[RW_IOPS].store(2000, Ordering::Relaxed);
        let t = spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ;
        let mut now = 5 * SLICE_NS;
        // 2000 IOPS: 2 per 1 ms slice.
        assert!(q.admit(t, 512, now) && q.admit(t, 512, now));
        assert!(!q.admit(t, 512, now + 10));
        now += SLICE_NS;
        assert!(q.admit(t, 512, now) && q.admit(t, 512, now) && !q.admit(t, 512, now));
        // Flush is not limited.
        assert!(q.admit(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_FLUSH, 0, now));
        // A write bandwidth limit does not hold reads back; a big write overdraws and pays later.
        let q = Qos::default();
        q.limits[W_BPS].store(1 << 20, Ordering::Relaxed);
        now += SLICE_NS;
        assert!(q.admit(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE, 64 << 10, now));
        assert!(q.admit(t, 1 << 20, now));
        let mut waited = 0;
        loop {
            now += SLICE_NS;
            if q.admit(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE, 4096, now) {
                break;
            }
            waited += 1;
        }
        // 64 KiB at 1 MiB/s is 62.5 ms of budget.
        assert!((60..=64).contains(&waited), "{waited}");
        assert_eq!(merge_limits([0; 4], [1500, u64::MAX, u64::MAX, u64::MAX]).unwrap_err(), "rw_ios_per_sec 1500 is not a multiple of 1000");
        assert_eq!(merge_limits([7, 0, 0, 0], [u64::MAX, 2, u64::MAX, 0]).unwrap(), [7, 2 << 20, 0, 0]);
    }
}
