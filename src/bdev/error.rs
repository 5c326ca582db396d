//! The error-injection virtual bdev (SPDK's `bdev_error`): `EE_<base>` over
//! a whole base bdev, forwarding I/O unless an injected error is armed for
//! its type (read, write, unmap, flush), in which case the next `num` I/Os
//! of that type, each sent while at least `queue_depth` I/Os of its channel
//! are at the base, fail, report `NOMEM` (the layer retries), stay pending
//! until resumed or reset, or have a byte of their data corrupted. A reset
//! of the error bdev aborts its pending I/Os.

use super::{vbdev, BdevError};
use crate::capi::bdev_types::{spdk_bdev_io_status, spdk_bdev_io_type, spdk_bdev_module};
use super::vbdev::Action;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| vbdev::new_module(c"error") as usize);
    *MODULE as *mut spdk_bdev_module
}

/// The kinds of injected errors (SPDK's `enum vbdev_error_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// The I/O completes with `SPDK_BDEV_IO_STATUS_FAILED`.
    Failure = 1,
    /// The I/O is held on its channel, never completing until
    /// `bdev_error_resume_pending` sends it on or a reset aborts it.
    Pending = 2,
    /// The I/O goes through with one byte of its data XORed: a write's
    /// before it goes down, a read's after it succeeded.
    CorruptData = 3,
    /// The I/O completes with `SPDK_BDEV_IO_STATUS_NOMEM` (the layer retries it).
    NoMem = 4,
}

impl ErrorType {
    /// SPDK's names.
    pub fn parse(s: &str) -> Result<Self, BdevError> {
        match s {
            "failure" => Ok(ErrorType::Failure),
            "pending" => Ok(ErrorType::Pending),
            "corrupt_data" => Ok(ErrorType::CorruptData),
            "nomem" => Ok(ErrorType::NoMem),
            "nvme_failure" => Err(BdevError::Invalid("error_type 'nvme_failure' is not supported by this build (failure, pending, corrupt_data, nomem are)".into())),
            _ => Err(BdevError::Invalid(format!("error_type '{s}' is not one of failure, pending, corrupt_data, nomem"))),
        }
    }
}

/// What `bdev_error_inject_error` arms for an I/O type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Injection {
    pub kind: ErrorType,
    /// How many I/Os to hit (0 disarms).
    pub num: u32,
    /// Only hit an I/O when at least this many of its channel are at the base.
    pub queue_depth: u64,
    pub corrupt_offset: u64,
    pub corrupt_value: u8,
}

impl Injection {
    pub fn new(kind: ErrorType, num: u32) -> Self {
        Injection { kind, num, queue_depth: 0, corrupt_offset: 0, corrupt_value: 0 }
    }
}

/// The I/O types errors can be injected into (SPDK: read, write, unmap, flush).
const TYPES: [spdk_bdev_io_type; 4] = [
    spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ,
    spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE,
    spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP,
    spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_FLUSH,
];

/// One armed error: kind, I/Os left to hit, queue depth, corruption.
#[derive(Default)]
struct Slot {
    kind: AtomicU8,
    left: AtomicU32,
    qd: AtomicU64,
    offset: AtomicU64,
    value: AtomicU8,
}

/// Armed errors per injectable I/O type (in `TYPES` order).
struct Injections {
    slots: [Slot; 4],
}

fn slot_index(t: spdk_bdev_io_type) -> Option<usize> {
    TYPES.iter().position(|&x| x == t)
}

impl vbdev::Hook for Injections {
    fn intercept(&self, t: spdk_bdev_io_type, inflight: u64) -> Action {
        if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET {
            return Action::AbortHeld;
        }
        let Some(s) = slot_index(t).map(|i| &self.slots[i]) else { return Action::Forward };
        if s.left.load(Ordering::Relaxed) == 0 || inflight < s.qd.load(Ordering::Relaxed) {
            return Action::Forward;
        }
        if s.left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_err() {
            return Action::Forward;
        }
        match s.kind.load(Ordering::Acquire) {
            1 => Action::Complete(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED),
            2 => Action::Hold,
            3 => Action::Corrupt { offset: s.offset.load(Ordering::Relaxed), value: s.value.load(Ordering::Relaxed) },
            4 => Action::Complete(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_NOMEM),
            _ => Action::Forward,
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
    let inj = Injections { slots: Default::default() };
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

/// What `io_type` of `bdev_error_inject_error` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    One(spdk_bdev_io_type),
    All,
    /// Disarms every type.
    Clear,
}

/// SPDK's I/O type names for injection: read, write, unmap, flush, all, clear.
pub fn parse_io_type(s: &str) -> Result<Target, BdevError> {
    use spdk_bdev_io_type::*;
    Ok(match s {
        "all" => Target::All,
        "clear" => Target::Clear,
        "read" => Target::One(SPDK_BDEV_IO_TYPE_READ),
        "write" => Target::One(SPDK_BDEV_IO_TYPE_WRITE),
        "unmap" => Target::One(SPDK_BDEV_IO_TYPE_UNMAP),
        "flush" => Target::One(SPDK_BDEV_IO_TYPE_FLUSH),
        _ => return Err(BdevError::Invalid(format!("io_type '{s}' is not one of read, write, unmap, flush, all, clear"))),
    })
}

fn injections<'a>(name: &str) -> Result<&'a Injections, BdevError> {
    let hook = vbdev::hook_of(module(), name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    hook.as_any().downcast_ref::<Injections>().ok_or_else(|| BdevError::NotFound(name.into()))
}

/// Arms `inj` for `target` on error bdev `name` (`bdev_error_inject_error`).
/// Corruption needs a non-zero value (XOR with 0 changes nothing).
pub fn inject(name: &str, target: Target, inj: Injection) -> Result<(), BdevError> {
    if inj.kind == ErrorType::CorruptData && inj.corrupt_value == 0 {
        return Err(BdevError::Invalid("corrupt_value should be non-zero".into()));
    }
    let all = injections(name)?;
    let slots: Vec<&Slot> = match target {
        Target::One(t) => vec![&all.slots[slot_index(t).ok_or_else(|| BdevError::Invalid(format!("no errors for I/O type {t:?}")))?]],
        Target::All | Target::Clear => all.slots.iter().collect(),
    };
    for s in slots {
        if target == Target::Clear {
            s.left.store(0, Ordering::Release);
            continue;
        }
        // Disarmed while the rest changes, armed last.
        s.left.store(0, Ordering::Release);
        s.kind.store(inj.kind as u8, Ordering::Release);
        s.qd.store(inj.queue_depth, Ordering::Release);
        s.offset.store(inj.corrupt_offset, Ordering::Release);
        s.value.store(inj.corrupt_value, Ordering::Release);
        s.left.store(inj.num, Ordering::Release);
    }
    Ok(())
}

/// Sends on the I/Os held by `pending` injections of error bdev `name`,
/// and disarms the pending injections left (`bdev_error_resume_pending`).
pub fn resume_pending(name: &str) -> Result<(), BdevError> {
    let all = injections(name)?;
    for s in &all.slots {
        if s.kind.load(Ordering::Acquire) == ErrorType::Pending as u8 {
            s.left.store(0, Ordering::Release);
        }
    }
    vbdev::resume_held(module(), name)
}
