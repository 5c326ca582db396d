//! `spdk_bdev_abort`: the caller's I/Os submitted with a given callback
//! argument are aborted. Those still waiting in the layer (QoS, a locked
//! range, module out of memory, a data buffer) are completed as aborted by
//! the layer; for each one the module has, an ABORT I/O naming it goes to
//! the module (`u.abort.bio_to_abort`). The abort I/O completes when all of
//! them did: successfully if every one was aborted, failed otherwise (and
//! when nothing matched). Only bdevs whose module takes ABORT I/Os accept
//! it; their channels keep their top-level I/Os on a list for the search.

use super::io::{self, IN_SUBMIT};
use super::Desc;
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use std::ffi::c_void;

/// An abort in progress: its own I/O and the module aborts not yet back.
struct Job {
    parent: *mut spdk_bdev_io,
    pending: usize,
    failed: bool,
}

/// Starts aborting the I/Os of `ch` submitted with callback argument
/// `bio_cb_arg`; `cb(abort_io, success, cb_arg)` reports the outcome.
/// Errors (negative errno): EINVAL for a null argument, ENOTSUP when the
/// bdev takes no abort, ENOMEM when no bdev_io is free.
#[allow(clippy::not_unsafe_ptr_arg_deref)] // an open descriptor and its channel, as `io::submit`
pub fn abort(desc: *mut Desc, ch: *mut spdk_io_channel, bio_cb_arg: *mut c_void, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> Result<(), i32> {
    use spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ABORT as ABORT;
    if bio_cb_arg.is_null() || desc.is_null() || ch.is_null() {
        return Err(-libc::EINVAL);
    }
    // SAFETY: an open descriptor, used by its owner.
    let b = unsafe { (*desc).bdev };
    let c = io::chan(ch);
    if !c.abortable || !super::io_type_supported(b, ABORT) {
        return Err(-libc::ENOTSUP);
    }
    let parent = io::get_io(c).ok_or(-libc::ENOMEM)?;
    // SAFETY: a fresh element of the pool.
    unsafe {
        (*parent).bdev = b;
        (*parent).r#type = ABORT as u8;
        (*parent).num_retries = 0;
        (*parent).u.abort = spdk_bdev_io_abort_params { bio_to_abort: std::ptr::null_mut() };
    }
    io::init_internal(c, parent, desc, cb, cb_arg);
    c.outstanding += 1;
    // Whatever completes while we are here is called back later, not in
    // the caller's stack.
    io::flags(parent)[0] |= IN_SUBMIT;
    let mut matches = Vec::new();
    let mut p = c.submitted;
    while !p.is_null() {
        // SAFETY: the channel's list of live top-level I/Os.
        unsafe {
            if (*p).internal.caller_ctx == bio_cb_arg && (*p).r#type != ABORT as u8 {
                matches.push(p);
            }
            p = (*p).internal.ch_link.tqe_next;
        }
    }
    // The job holds one count of its own until every abort is on its way.
    let job = Box::into_raw(Box::new(Job { parent, pending: 1, failed: matches.is_empty() }));
    let bd = super::bdev_ref(b);
    for m in matches {
        if io::take_queued(c, m) {
            io::complete_later(m, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_ABORTED);
            continue;
        }
        let Some(child) = io::internal_io(c, m, ABORT, Some(child_done), job.cast()) else {
            // SAFETY: the job lives until its count drops to 0.
            unsafe { (*job).failed = true };
            continue;
        };
        // SAFETY: the fresh internal I/O; `m` is live (in flight at the module).
        unsafe {
            (*child).u.abort = spdk_bdev_io_abort_params { bio_to_abort: m };
            (*job).pending += 1;
        }
        io::module_submit(c, bd, child);
    }
    step(job);
    io::flags(parent)[0] &= !IN_SUBMIT;
    Ok(())
}

/// One count of the job is done; the last completes the abort I/O.
fn step(job: *mut Job) {
    // SAFETY: the live job; its thread only.
    let j = unsafe { &mut *job };
    j.pending -= 1;
    if j.pending > 0 {
        return;
    }
    // SAFETY: the job was leaked by `abort` and this is its last count.
    let j = unsafe { Box::from_raw(job) };
    let status = if j.failed { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS };
    io::complete(j.parent, status as i32);
}

extern "C" fn child_done(io: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    let job = arg as *mut Job;
    if !success {
        // SAFETY: the live job of this module abort.
        unsafe { (*job).failed = true };
    }
    io::release_internal(io);
    step(job);
}
