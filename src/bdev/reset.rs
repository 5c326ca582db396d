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

/// State of the running reset, owned by the reset's thread.
struct Run {
    io: *mut spdk_bdev_io,
    poller: *mut poller::Poller,
    /// The drain count is being gathered over the channels.
    counting: bool,
    inflight: u64,
    deadline: u64,
}

fn slot(b: *mut spdk_bdev) -> &'static AtomicPtr<spdk_bdev_io> {
    // SAFETY: `internal.reset_in_progress` is the layer's field of a
    // registered bdev, only ever accessed through this atomic view.
    unsafe { AtomicPtr::from_ptr(std::ptr::addr_of_mut!((*b).internal.reset_in_progress)) }
}

/// A reset I/O was submitted on `c`.
pub(crate) fn begin(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    c.resets += 1;
    if slot(c.bdev).compare_exchange(std::ptr::null_mut(), io, Ordering::AcqRel, Ordering::Acquire).is_err() {
        // Another reset runs: this one completes with it.
        c.queued_resets.push_back(io);
        return;
    }
    let b = c.bdev;
    let bd = super::bdev_ref(b);
    let secs = if bd.reset_io_drain_timeout == 0 { SPDK_BDEV_RESET_IO_DRAIN_RECOMMENDED_VALUE } else { bd.reset_io_drain_timeout } as u64;
    let deadline = crate::env::cpu::ticks() + secs * crate::env::cpu::TICKS_HZ;
    let run = Box::into_raw(Box::new(Run { io, poller: std::ptr::null_mut(), counting: false, inflight: 0, deadline }));
    if ioch::for_each(b.cast(), freeze_visit, run.cast(), Some(frozen)).is_err() {
        frozen_run(run);
    }
}

extern "C" fn freeze_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator over the bdev's channels.
    let c = io::chan(unsafe { (*i).channel() }.cast());
    c.frozen = true;
    io::abort_queued(c);
    ioch::continue_iter(i, 0);
}

extern "C" fn frozen(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context is the Run of this reset.
    frozen_run(unsafe { (*i).ctx() } as *mut Run);
}

fn frozen_run(run: *mut Run) {
    // SAFETY: the Run of this reset, on its thread.
    let r = unsafe { &mut *run };
    r.poller = poller::register(drain_poll, run.cast(), DRAIN_POLL_US, Some("bdev_reset_drain")).unwrap_or(std::ptr::null_mut());
    if r.poller.is_null() {
        send_reset(run);
    }
}

extern "C" fn drain_poll(arg: *mut c_void) -> c_int {
    // SAFETY: the Run registered with this poller.
    let r = unsafe { &mut *(arg as *mut Run) };
    if r.counting {
        return 0;
    }
    r.counting = true;
    r.inflight = 0;
    // SAFETY: the reset's live I/O.
    let b = unsafe { (*r.io).bdev };
    if ioch::for_each(b.cast(), count_visit, arg, Some(counted)).is_err() {
        r.counting = false;
    }
    1
}

extern "C" fn count_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator; its context is our Run.
    let (c, r) = unsafe { (io::chan((*i).channel().cast()), &mut *((*i).ctx() as *mut Run)) };
    r.inflight += c.outstanding - c.resets;
    ioch::continue_iter(i, 0);
}

extern "C" fn counted(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context is our Run.
    let run = unsafe { (*i).ctx() } as *mut Run;
    // SAFETY: as above.
    let r = unsafe { &mut *run };
    r.counting = false;
    if r.inflight == 0 || crate::env::cpu::ticks() >= r.deadline {
        if !r.poller.is_null() {
            poller::unregister(r.poller);
            r.poller = std::ptr::null_mut();
        }
        send_reset(run);
    }
}

/// Everything drained (or the wait ran out): the module resets the bdev.
fn send_reset(run: *mut Run) {
    // SAFETY: the Run is ours; its I/O is the running reset.
    let r = unsafe { Box::from_raw(run) };
    let io = r.io;
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
