//! Compare and compare-and-write for modules that lack them: a compare is a
//! read into a layer buffer and a byte comparison; a compare-and-write
//! locks its LBA range on every channel of the bdev (writes submitted there
//! wait), compares, writes when equal, and unlocks.

use super::io::{self, BdevChannel, SubmitError};
use crate::capi::bdev_types::*;
use crate::thread::io_channel as ioch;
use spdk_bdev_io_status::*;
use std::ffi::{c_int, c_void};

/// A locked LBA range and the compare-and-write that holds it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub offset: u64,
    pub num: u64,
    pub owner: *mut spdk_bdev_io,
}

fn block_range(io: *mut spdk_bdev_io) -> (u64, u64) {
    // SAFETY: a live block I/O.
    unsafe { ((*io).u.bdev.offset_blocks, (*io).u.bdev.num_blocks) }
}

/// Whether a write-type I/O must wait for a range another I/O holds.
pub(crate) fn held(c: &BdevChannel, io: *mut spdk_bdev_io) -> bool {
    // SAFETY: a live I/O; an internal one works for its caller_ctx.
    let owner = unsafe {
        if (*io).internal.reserved[0] & io::INTERNAL != 0 {
            (*io).internal.caller_ctx as *mut spdk_bdev_io
        } else {
            io
        }
    };
    let (off, num) = block_range(io);
    let end = off + num.max(1);
    c.locked.iter().any(|r| r.owner != owner && off < r.offset + r.num && r.offset < end)
}

/// Reads the parent's range into a layer buffer; `then(read, ok, parent)` runs after.
fn read_for(parent: *mut spdk_bdev_io, then: spdk_bdev_io_completion_cb) -> Result<(), SubmitError> {
    // SAFETY: the live parent of this thread.
    let c = io::chan_of(unsafe { &*parent });
    let r = io::internal_io(c, parent, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ, then, parent.cast()).ok_or(SubmitError::NoMemory)?;
    // SAFETY: the fresh internal read: no caller buffer, no metadata.
    unsafe {
        (*r).u.bdev.iovcnt = 0;
        (*r).u.bdev.md_buf = std::ptr::null_mut();
    }
    if !io::attach_internal_buf(r) {
        io::release_internal(r);
        return Err(SubmitError::NoMemory);
    }
    io::dispatch(r).inspect_err(|_| io::release_internal(r))
}

/// Whether the data read by `r` equals the parent's iovecs.
fn same(r: *mut spdk_bdev_io, iovs: *const libc::iovec, iovcnt: c_int) -> bool {
    // SAFETY: the internal read's own buffer, its length in its iovec.
    let (buf, len) = unsafe { ((*r).iov.iov_base as *const u8, (*r).iov.iov_len) };
    io::walk_iovs(iovs, iovcnt, len, |seg, at, n| {
        // SAFETY: both ranges are live, n bytes each.
        unsafe { std::slice::from_raw_parts(buf.add(at), n) == std::slice::from_raw_parts(seg, n) }
    })
}

/// A compare without module support.
pub(crate) fn emulate_compare(io: *mut spdk_bdev_io) -> Result<(), SubmitError> {
    too_large(io)?;
    read_for(io, Some(compare_read_done))
}

fn too_large(io: *mut spdk_bdev_io) -> Result<(), SubmitError> {
    // SAFETY: a live block I/O.
    let (bd, num) = unsafe { (super::bdev_ref((*io).bdev), (*io).u.bdev.num_blocks) };
    let len = num as usize * bd.blocklen as usize + (1usize << bd.required_alignment);
    super::iobuf::class_of(len).map(|_| ()).ok_or(SubmitError::Invalid)
}

fn verdict(r: *mut spdk_bdev_io, ok: bool, parent: *mut spdk_bdev_io) -> spdk_bdev_io_status {
    // SAFETY: the parent's compare iovecs.
    let (iovs, n) = unsafe { ((*parent).u.bdev.iovs, (*parent).u.bdev.iovcnt) };
    match (ok, ok && same(r, iovs, n)) {
        (false, _) => SPDK_BDEV_IO_STATUS_FAILED,
        (true, true) => SPDK_BDEV_IO_STATUS_SUCCESS,
        (true, false) => SPDK_BDEV_IO_STATUS_MISCOMPARE,
    }
}

unsafe extern "C" fn compare_read_done(r: *mut spdk_bdev_io, ok: bool, arg: *mut c_void) {
    let parent = arg as *mut spdk_bdev_io;
    let st = verdict(r, ok, parent);
    io::release_internal(r);
    // SAFETY: the live parent, completed here.
    unsafe { (*parent).internal.status = st as i8 };
    io::finish(parent);
}

/// A compare-and-write without module support: lock, compare, write, unlock.
pub(crate) fn emulate_compare_and_write(io: *mut spdk_bdev_io) -> Result<(), SubmitError> {
    too_large(io)?;
    // SAFETY: a live block I/O.
    let b = unsafe { (*io).bdev };
    if ioch::for_each(b.cast(), lock_visit, io.cast(), Some(locked)).is_err() {
        return Err(SubmitError::NoMemory);
    }
    Ok(())
}

extern "C" fn lock_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk's live iterator; its context is the compare-and-write.
    let (c, io) = unsafe { (io::chan((*i).channel().cast()), (*i).ctx() as *mut spdk_bdev_io) };
    let (offset, num) = block_range(io);
    c.locked.push(Range { offset, num, owner: io });
    ioch::continue_iter(i, 0);
}

/// How long a compare-and-write waits for writes in flight before its range was locked.
const WRITE_DRAIN_SECS: u64 = 5;

extern "C" fn locked(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context is the compare-and-write, back on its thread.
    let io = unsafe { (*i).ctx() } as *mut spdk_bdev_io;
    // Writes sent before the lock may still land in the range: let those finish first.
    // SAFETY: the live compare-and-write.
    let b = unsafe { (*io).bdev };
    let deadline = crate::env::cpu::ticks() + WRITE_DRAIN_SECS * crate::env::cpu::TICKS_HZ;
    super::reset::wait_drained(
        b,
        |c, io| {
            let (offset, num) = block_range(io.cast());
            io::writes_in_range(c, offset, num)
        },
        deadline,
        compare_locked,
        io.cast(),
    );
}

fn compare_locked(arg: *mut c_void) {
    let io = arg as *mut spdk_bdev_io;
    if read_for(io, Some(caw_read_done)).is_err() {
        unlock(io, SPDK_BDEV_IO_STATUS_FAILED);
    }
}

unsafe extern "C" fn caw_read_done(r: *mut spdk_bdev_io, ok: bool, arg: *mut c_void) {
    let parent = arg as *mut spdk_bdev_io;
    let st = verdict(r, ok, parent);
    io::release_internal(r);
    if st != SPDK_BDEV_IO_STATUS_SUCCESS {
        unlock(parent, st);
        return;
    }
    // SAFETY: the live parent of this thread.
    let c = io::chan_of(unsafe { &*parent });
    let Some(w) = io::internal_io(c, parent, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE, Some(caw_write_done), parent.cast()) else {
        unlock(parent, SPDK_BDEV_IO_STATUS_FAILED);
        return;
    };
    // SAFETY: the fresh internal write carries the parent's write half.
    unsafe {
        (*w).u.bdev.iovs = (*parent).u.bdev.fused_iovs;
        (*w).u.bdev.iovcnt = (*parent).u.bdev.fused_iovcnt;
    }
    if io::dispatch(w).is_err() {
        io::release_internal(w);
        unlock(parent, SPDK_BDEV_IO_STATUS_FAILED);
    }
}

unsafe extern "C" fn caw_write_done(w: *mut spdk_bdev_io, ok: bool, arg: *mut c_void) {
    io::release_internal(w);
    unlock(arg as *mut spdk_bdev_io, if ok { SPDK_BDEV_IO_STATUS_SUCCESS } else { SPDK_BDEV_IO_STATUS_FAILED });
}

/// Releases the range on every channel (held writes go on), then completes the parent.
fn unlock(io: *mut spdk_bdev_io, st: spdk_bdev_io_status) {
    // SAFETY: the live parent; its status is set before the walk.
    let b = unsafe {
        (*io).internal.status = st as i8;
        (*io).bdev
    };
    if ioch::for_each(b.cast(), unlock_visit, io.cast(), Some(unlocked)).is_err() {
        io::finish(io);
    }
}

extern "C" fn unlock_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk's live iterator; its context is the compare-and-write.
    let (c, io) = unsafe { (io::chan((*i).channel().cast()), (*i).ctx() as *mut spdk_bdev_io) };
    c.locked.retain(|r| r.owner != io);
    let waiting: Vec<*mut spdk_bdev_io> = c.locked_wait.drain(..).collect();
    for w in waiting {
        if held(c, w) {
            c.locked_wait.push_back(w);
        } else if io::dispatch(w).is_err() {
            io::complete_later(w, SPDK_BDEV_IO_STATUS_FAILED);
        }
    }
    ioch::continue_iter(i, 0);
}

extern "C" fn unlocked(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context is the compare-and-write, back on its thread.
    io::finish(unsafe { (*i).ctx() } as *mut spdk_bdev_io);
}
