//! Resets (`spdk_bdev_reset`): the bdev is frozen on every channel (new I/O
//! completes as aborted, I/O held back in queues is aborted), the layer
//! waits for the I/O in flight to drain, sends the reset to the module, and
//! unfreezes once the module completes it. Resets submitted meanwhile wait
//! for the running one and complete with its status.

use super::io::{self, BdevChannel, RESET_DOWN};
use crate::capi::bdev_types::*;
use crate::thread::io_channel as ioch;
use crate::thread::poller;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicPtr, Ordering};

/// How often the drain is checked.
const DRAIN_POLL_US: u64 = 100;

/// A wait for I/O of a bdev to drain, owned by the waiting thread.
struct Drain {
    b: *mut spdk_bdev,
    count: fn(&BdevChannel, *mut c_void) -> u64,
    done: fn(*mut c_void),
    arg: *mut c_void,
    poller: *mut poller::Poller,
    /// The count is being gathered over the channels.
    counting: bool,
    sum: u64,
    deadline: u64,
}

/// Calls `done(arg)` on this thread once `count(channel, arg)` summed over
/// the bdev's channels is 0 (checked every 100 us), or at `deadline` (ticks)
/// at the latest.
pub(crate) fn wait_drained(b: *mut spdk_bdev, count: fn(&BdevChannel, *mut c_void) -> u64, deadline: u64, done: fn(*mut c_void), arg: *mut c_void) {
    let d = Box::into_raw(Box::new(Drain { b, count, done, arg, poller: std::ptr::null_mut(), counting: false, sum: 0, deadline }));
    let p = poller::register(drain_poll, d.cast(), DRAIN_POLL_US, Some("bdev_drain"));
    match p {
        // SAFETY: ours until the poller stops.
        Some(p) => unsafe { (*d).poller = p },
        None => {
            // SAFETY: not handed out.
            drop(unsafe { Box::from_raw(d) });
            done(arg);
        }
    }
}

extern "C" fn drain_poll(arg: *mut c_void) -> c_int {
    // SAFETY: the Drain registered with this poller.
    let d = unsafe { &mut *(arg as *mut Drain) };
    if d.counting {
        return 0;
    }
    d.counting = true;
    d.sum = 0;
    if ioch::for_each(d.b.cast(), count_visit, arg, Some(counted)).is_err() {
        d.counting = false;
    }
    1
}

extern "C" fn count_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator; its context is our Drain.
    let (c, d) = unsafe { (io::chan((*i).channel().cast()), &mut *((*i).ctx() as *mut Drain)) };
    d.sum += (d.count)(c, d.arg);
    ioch::continue_iter(i, 0);
}

extern "C" fn counted(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context is our Drain.
    let dp = unsafe { (*i).ctx() } as *mut Drain;
    // SAFETY: as above.
    let d = unsafe { &mut *dp };
    d.counting = false;
    if d.sum == 0 || crate::env::cpu::ticks() >= d.deadline {
        poller::unregister(d.poller);
        // SAFETY: the poller is gone: the Drain is ours again.
        let d = unsafe { Box::from_raw(dp) };
        (d.done)(d.arg);
    }
}

fn slot(b: *mut spdk_bdev) -> &'static AtomicPtr<spdk_bdev_io> {
    // SAFETY: `internal.reset_in_progress` is the layer's field of a
    // registered bdev, only ever accessed through this atomic view.
    unsafe { AtomicPtr::from_ptr(std::ptr::addr_of_mut!((*b).internal.reset_in_progress)) }
}

/// A reset I/O was submitted on `c`.
pub(crate) fn begin(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    c.resets += 1;
    try_begin(c, io);
}

fn try_begin(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    if slot(c.bdev).compare_exchange(std::ptr::null_mut(), io, Ordering::AcqRel, Ordering::Acquire).is_err() {
        if c.frozen {
            // Another reset runs and has not unfrozen this channel yet: this one completes with it.
            c.queued_resets.push_back(io);
        } else {
            // The other reset is freezing or unfreezing the channels: look again shortly.
            let t = crate::thread::current();
            // SAFETY: the current thread is live.
            if t.is_null() || unsafe { &*t }.send_msg(retry_begin, io.cast()).is_err() {
                c.queued_resets.push_back(io);
            }
        }
        return;
    }
    let b = c.bdev;
    if ioch::for_each(b.cast(), freeze_visit, io.cast(), Some(frozen)).is_err() {
        frozen_io(io);
    }
}

extern "C" fn retry_begin(arg: *mut c_void) {
    let io = arg as *mut spdk_bdev_io;
    // SAFETY: a reset I/O of this thread's channel.
    try_begin(io::chan_of(unsafe { &*io }), io);
}

extern "C" fn freeze_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator over the bdev's channels.
    let c = io::chan(unsafe { (*i).channel() }.cast());
    c.frozen = true;
    io::abort_queued(c);
    ioch::continue_iter(i, 0);
}

extern "C" fn frozen(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context is the running reset.
    frozen_io(unsafe { (*i).ctx() } as *mut spdk_bdev_io);
}

/// Every channel is frozen. As SPDK: with no `reset_io_drain_timeout` the
/// reset goes to the module now (which answers for the I/O it holds);
/// otherwise the I/O in flight (resets aside) may drain first, for at most
/// that many seconds.
fn frozen_io(io: *mut spdk_bdev_io) {
    // SAFETY: the running reset.
    let b = unsafe { (*io).bdev };
    let bd = super::bdev_ref(b);
    if bd.reset_io_drain_timeout == 0 {
        send_reset(io.cast());
        return;
    }
    let secs = bd.reset_io_drain_timeout as u64;
    let deadline = crate::env::cpu::ticks() + secs * crate::env::cpu::TICKS_HZ;
    wait_drained(b, |c, _| c.outstanding - c.resets - c.frozen_aborts, deadline, send_reset, io.cast());
}

/// Everything drained (or the wait ran out): the module resets the bdev.
fn send_reset(arg: *mut c_void) {
    let io = arg as *mut spdk_bdev_io;
    // SAFETY: the reset's live I/O.
    unsafe { (*io).internal.reserved[0] |= RESET_DOWN };
    if io::dispatch(io).is_err() {
        io::complete(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED as i32);
    }
}

/// The module completed the reset: every channel unfreezes and completes
/// the resets queued there; then the reset itself is called back.
pub(crate) fn done(io: *mut spdk_bdev_io) {
    // SAFETY: the completed reset.
    let b = unsafe { (*io).bdev };
    if ioch::for_each(b.cast(), unfreeze_visit, io.cast(), Some(unfrozen)).is_err() {
        unfrozen_io(io);
    }
}

extern "C" fn unfreeze_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator; its context is the reset.
    let (c, io) = unsafe { (io::chan((*i).channel().cast()), (*i).ctx() as *mut spdk_bdev_io) };
    c.frozen = false;
    // SAFETY: the running reset, read only.
    let status = unsafe { (*io).internal.status };
    let queued: Vec<*mut spdk_bdev_io> = c.queued_resets.drain(..).collect();
    for q in queued {
        // SAFETY: a reset queued on this channel, completed here.
        unsafe { (*q).internal.status = status };
        io::finish(q);
    }
    ioch::continue_iter(i, 0);
}

extern "C" fn unfrozen(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context is the reset.
    unfrozen_io(unsafe { (*i).ctx() } as *mut spdk_bdev_io);
}

fn unfrozen_io(io: *mut spdk_bdev_io) {
    // SAFETY: the reset's bdev.
    slot(unsafe { (*io).bdev }).store(std::ptr::null_mut(), Ordering::Release);
    io::finish(io);
}
