//! A module channel's queue of submitted I/Os, worked off by the channel's
//! poller (as SPDK's null bdev and its accel-backed malloc bdev complete:
//! never inside `submit_request`, so the layer has no completion to defer).
//! The null and malloc modules share it.

use crate::capi::bdev_types::spdk_bdev_io;
use crate::thread::poller;
use std::ffi::{c_int, c_void};

/// Works on one I/O and completes it.
pub type Process = fn(*mut spdk_bdev_io);
/// Called for the I/O after the one about to be processed (prefetching).
pub type Ahead = fn(*mut spdk_bdev_io);

/// A channel's context: I/Os submitted and not yet completed, first in first
/// out, linked through their `driver_ctx`, and the poller that works them off.
pub struct Queue {
    head: *mut spdk_bdev_io,
    tail: *mut spdk_bdev_io,
    poller: *mut poller::Poller,
    process: Process,
    ahead: Option<Ahead>,
}

/// The module's part of a bdev_io: the next I/O of its channel's queue.
#[repr(C)]
struct Link {
    next: *mut spdk_bdev_io,
}

/// The bytes of `driver_ctx` a module using the queue must ask for.
pub const CTX_SIZE: usize = std::mem::size_of::<Link>();
/// The channel context size to register the io_device with.
pub const CHANNEL_SIZE: u32 = std::mem::size_of::<Queue>() as u32;

fn next_of<'a>(io: *mut spdk_bdev_io) -> &'a mut *mut spdk_bdev_io {
    // SAFETY: driver_ctx holds at least CTX_SIZE bytes (the module's
    // get_ctx_size; the layer gives every module 256 or more), pointer-aligned
    // after the 64-byte-multiple spdk_bdev_io; the I/O is in the module's hands.
    unsafe { &mut (*((*io).driver_ctx.as_mut_ptr() as *mut Link)).next }
}

/// Initialises channel context `ctx` (CHANNEL_SIZE bytes) and registers its
/// poller on the current thread; -ENOMEM if that fails.
pub fn create(ctx: *mut c_void, name: &str, process: Process, ahead: Option<Ahead>) -> c_int {
    let Some(p) = poller::register(poll, ctx, 0, Some(name)) else {
        return -libc::ENOMEM;
    };
    // SAFETY: ctx is a channel context of CHANNEL_SIZE bytes, not yet initialised.
    unsafe { (ctx as *mut Queue).write(Queue { head: std::ptr::null_mut(), tail: std::ptr::null_mut(), poller: p, process, ahead }) };
    0
}

/// Stops the poller of channel context `ctx` (the layer puts a module channel
/// only once no I/O of its bdevs is outstanding, so the queue is empty).
pub fn destroy(ctx: *mut c_void) {
    // SAFETY: initialised by `create`, on its own thread.
    let q = unsafe { &mut *(ctx as *mut Queue) };
    poller::unregister(q.poller);
    q.poller = std::ptr::null_mut();
}

/// Queues `io` on channel context `ctx` for the next poll.
pub fn push(ctx: *mut c_void, io: *mut spdk_bdev_io) {
    // SAFETY: initialised by `create`, on its own thread.
    let q = unsafe { &mut *(ctx as *mut Queue) };
    *next_of(io) = std::ptr::null_mut();
    if q.tail.is_null() {
        q.head = io;
    } else {
        *next_of(q.tail) = io;
    }
    q.tail = io;
}

/// Processes every I/O queued before this poll (ones submitted by their
/// callbacks wait for the next).
extern "C" fn poll(arg: *mut c_void) -> c_int {
    // SAFETY: the channel that registered this poller, on its own thread.
    let q = unsafe { &mut *(arg as *mut Queue) };
    let mut io = std::mem::replace(&mut q.head, std::ptr::null_mut());
    if io.is_null() {
        return 0;
    }
    q.tail = std::ptr::null_mut();
    let (process, ahead) = (q.process, q.ahead);
    let mut n = 0;
    while !io.is_null() {
        // Read the link first: the completion may free and reuse the I/O.
        let next = *next_of(io);
        if let (Some(f), false) = (ahead, next.is_null()) {
            f(next);
        }
        process(io);
        io = next;
        n += 1;
    }
    n
}
