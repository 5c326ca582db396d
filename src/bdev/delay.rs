//! The delay virtual bdev (SPDK's `bdev_delay`): a whole base bdev whose
//! reads and writes complete no sooner than a configured latency after the
//! base finished them; one I/O in a hundred takes the p99 latency instead
//! of the average. Latencies are given in microseconds and can be changed
//! while I/O runs.

use super::{vbdev, BdevError};
use crate::capi::bdev_types::{spdk_bdev_io_type, spdk_bdev_module};
use std::sync::atomic::{AtomicU64, Ordering};

fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| vbdev::new_module(c"delay") as usize);
    *MODULE as *mut spdk_bdev_module
}

/// Latencies in microseconds, as SPDK's parameters name them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latencies {
    pub avg_read: u64,
    pub p99_read: u64,
    pub avg_write: u64,
    pub p99_write: u64,
}

/// The live latencies of one delay bdev, in nanoseconds.
struct Delays([AtomicU64; 4]);

const AVG_READ: usize = 0;
const P99_READ: usize = 1;
const AVG_WRITE: usize = 2;
const P99_WRITE: usize = 3;

impl vbdev::Hook for Delays {
    fn delay_ns(&self, t: spdk_bdev_io_type, roll: u32) -> u64 {
        let (avg, p99) = match t {
            spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ => (AVG_READ, P99_READ),
            spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE => (AVG_WRITE, P99_WRITE),
            _ => return 0,
        };
        self.0[if roll == 0 { p99 } else { avg }].load(Ordering::Relaxed)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn check(l: &Latencies) -> Result<(), BdevError> {
    for (avg, p99, what) in [(l.avg_read, l.p99_read, "read"), (l.avg_write, l.p99_write, "write")] {
        if p99 < avg {
            return Err(BdevError::Invalid(format!("p99_{what}_latency {p99} is below avg_{what}_latency {avg}")));
        }
    }
    Ok(())
}

/// Creates delay bdev `name` on `base_name` (needs an spdk_thread).
pub fn create(base_name: &str, name: &str, lat: Latencies, uuid: Option<[u8; 16]>) -> Result<(), BdevError> {
    check(&lat)?;
    if super::get_by_name(name).is_some() {
        return Err(BdevError::Exists(name.into()));
    }
    let us = |v: u64| AtomicU64::new(v.saturating_mul(1000));
    let delays = Delays([us(lat.avg_read), us(lat.p99_read), us(lat.avg_write), us(lat.p99_write)]);
    let base = vbdev::open_base(module(), base_name)?;
    let (_, blocks) = vbdev::base_geometry(base);
    if let Err(e) = vbdev::add_part(base, name, 0, blocks, c"delay", uuid, Some(Box::new(delays))) {
        vbdev::abandon(base);
        return Err(e);
    }
    Ok(())
}

/// Removes delay bdev `name`; its base is released when it is gone.
pub fn delete(name: &str) -> Result<(), BdevError> {
    vbdev::remove_part(module(), name)
}

/// Changes one latency of delay bdev `name` (`bdev_delay_update_latency`):
/// `avg_read`, `p99_read`, `avg_write` or `p99_write`, in microseconds.
pub fn update_latency(name: &str, latency_type: &str, us: u64) -> Result<(), BdevError> {
    let hook = vbdev::hook_of(module(), name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    let d = hook.as_any().downcast_ref::<Delays>().ok_or_else(|| BdevError::NotFound(name.into()))?;
    let i = match latency_type {
        "avg_read" => AVG_READ,
        "p99_read" => P99_READ,
        "avg_write" => AVG_WRITE,
        "p99_write" => P99_WRITE,
        _ => return Err(BdevError::Invalid(format!("latency_type '{latency_type}' is not one of avg_read, p99_read, avg_write, p99_write"))),
    };
    let mut now: [u64; 4] = std::array::from_fn(|k| d.0[k].load(Ordering::Relaxed) / 1000);
    now[i] = us;
    check(&Latencies { avg_read: now[0], p99_read: now[1], avg_write: now[2], p99_write: now[3] })?;
    d.0[i].store(us.saturating_mul(1000), Ordering::Relaxed);
    Ok(())
}

/// The latencies of delay bdev `b` in microseconds, if it is one.
pub(crate) fn latencies_of(b: *mut crate::capi::bdev_types::spdk_bdev) -> Option<Latencies> {
    let d = vbdev::hook_of_bdev(b)?.as_any().downcast_ref::<Delays>()?;
    let us = |i: usize| d.0[i].load(Ordering::Relaxed) / 1000;
    Some(Latencies { avg_read: us(AVG_READ), p99_read: us(P99_READ), avg_write: us(AVG_WRITE), p99_write: us(P99_WRITE) })
}
