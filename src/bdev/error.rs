//! The error-injection virtual bdev (SPDK's `bdev_error`): `EE_<base>` over
//! a whole base bdev, forwarding I/O unless an injected error is armed for
//! its type, in which case the next `num` I/Os of that type fail (or report
//! `NOMEM`, which the bdev layer retries) without reaching the base.

use super::{vbdev, BdevError};
use crate::capi::bdev_types::{spdk_bdev_io_status, spdk_bdev_io_type, spdk_bdev_module};
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| vbdev::new_module(c"error") as usize);
    *MODULE as *mut spdk_bdev_module
}

/// The kinds of injected errors this build carries out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// The I/O completes with `SPDK_BDEV_IO_STATUS_FAILED`.
    Failure = 1,
    /// The I/O completes with `SPDK_BDEV_IO_STATUS_NOMEM` (the layer retries it).
    NoMem = 2,
}

impl ErrorType {
    /// SPDK's names; `pending` and `corrupt_data` are refused with a reason.
    pub fn parse(s: &str) -> Result<Self, BdevError> {
        match s {
            "failure" => Ok(ErrorType::Failure),
            "nomem" => Ok(ErrorType::NoMem),
            "pending" | "corrupt_data" => Err(BdevError::Invalid(format!("error_type '{s}' is not supported by this build (failure, nomem are)"))),
            _ => Err(BdevError::Invalid(format!("error_type '{s}' is not one of failure, nomem, pending, corrupt_data"))),
        }
    }
}

const SLOTS: usize = 32;

/// Armed errors per I/O type: a kind and how many I/Os are left to hit.
struct Injections {
    kind: [AtomicU8; SLOTS],
    left: [AtomicU32; SLOTS],
}

impl vbdev::Hook for Injections {
    fn intercept(&self, t: spdk_bdev_io_type) -> Option<spdk_bdev_io_status> {
        let i = t as usize;
        if i >= SLOTS || self.left[i].load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.left[i].fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).ok()?;
        match self.kind[i].load(Ordering::Acquire) {
            1 => Some(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED),
            2 => Some(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_NOMEM),
            _ => None,
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Creates `EE_<base_name>` (needs an spdk_thread); returns its name.
pub fn create(base_name: &str, uuid: Option<[u8; 16]>) -> Result<String, BdevError> {
    let name = format!("EE_{base_name}");
    if super::get_by_name(&name).is_some() {
        return Err(BdevError::Exists(name));
    }
    let base = vbdev::open_base(module(), base_name)?;
    let (_, blocks) = vbdev::base_geometry(base);
    let inj = Injections { kind: std::array::from_fn(|_| AtomicU8::new(0)), left: std::array::from_fn(|_| AtomicU32::new(0)) };
    if let Err(e) = vbdev::add_part(base, &name, 0, blocks, c"Error Injection Disk", uuid, Some(Box::new(inj))) {
        vbdev::abandon(base);
        return Err(e);
    }
    Ok(name)
}

/// Removes error bdev `name`; its base is released when it is gone.
pub fn delete(name: &str) -> Result<(), BdevError> {
    vbdev::remove_part(module(), name)
}

/// SPDK's I/O type names for injection; `all` arms every type.
pub fn parse_io_type(s: &str) -> Result<Option<spdk_bdev_io_type>, BdevError> {
    use spdk_bdev_io_type::*;
    Ok(Some(match s {
        "all" => return Ok(None),
        "read" => SPDK_BDEV_IO_TYPE_READ,
        "write" => SPDK_BDEV_IO_TYPE_WRITE,
        "unmap" => SPDK_BDEV_IO_TYPE_UNMAP,
        "flush" => SPDK_BDEV_IO_TYPE_FLUSH,
        "reset" => SPDK_BDEV_IO_TYPE_RESET,
        "write_zeroes" => SPDK_BDEV_IO_TYPE_WRITE_ZEROES,
        "compare" => SPDK_BDEV_IO_TYPE_COMPARE,
        _ => return Err(BdevError::Invalid(format!("io_type '{s}' is not one of read, write, unmap, flush, reset, write_zeroes, compare, all"))),
    }))
}

/// Arms `num` errors of `kind` for `io_type` (every type when `None`) on
/// error bdev `name` (`bdev_error_inject_error`); `num` 0 disarms.
pub fn inject(name: &str, io_type: Option<spdk_bdev_io_type>, kind: ErrorType, num: u32) -> Result<(), BdevError> {
    let hook = vbdev::hook_of(module(), name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    let inj = hook.as_any().downcast_ref::<Injections>().ok_or_else(|| BdevError::NotFound(name.into()))?;
    let slots: Vec<usize> = match io_type {
        Some(t) => vec![t as usize],
        None => (0..SLOTS).collect(),
    };
    for i in slots.into_iter().filter(|&i| i < SLOTS) {
        inj.kind[i].store(kind as u8, Ordering::Release);
        inj.left[i].store(num, Ordering::Release);
    }
    Ok(())
}
