//! Zero-copy I/O (SPDK's `spdk_bdev_zcopy_start` / `spdk_bdev_zcopy_end`):
//! a bdev that can lend its own memory hands the caller buffers holding
//! the blocks (filled with their data when asked to populate); the caller
//! reads or fills them in place and ends the I/O, committing the buffers
//! back to the blocks or not. One bdev_io lives across both phases: its
//! start completes with the buffers in `u.bdev.iovs`, the caller ends it
//! (never frees it in between), and frees it after the end completed.
//!
//! Modules see `SPDK_BDEV_IO_TYPE_ZCOPY` twice, with `u.bdev.zcopy.start`
//! set for the start phase and clear for the end; they lend buffers with
//! `set_buf` (`spdk_bdev_io_set_buf`).

use super::io::{self, chan, chan_of, SubmitError};
use super::Desc;
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use std::ffi::{c_int, c_void};

/// Starts a zero-copy I/O of `num_blocks` from `offset_blocks`. `iovs`
/// (may be null) is where the module writes the buffers it lends; with
/// none the bdev_io's own iovec is used. Without `populate` the caller will
/// write the blocks, so the descriptor must be writable.
#[allow(clippy::too_many_arguments, clippy::not_unsafe_ptr_arg_deref)] // an open descriptor, as `io::submit`
pub fn start(
    desc: *mut Desc,
    ch: *mut spdk_io_channel,
    iovs: *mut libc::iovec,
    iovcnt: c_int,
    offset_blocks: u64,
    num_blocks: u64,
    populate: bool,
    cb: spdk_bdev_io_completion_cb,
    cb_arg: *mut c_void,
) -> Result<(), SubmitError> {
    // SAFETY: an open descriptor, used by its owner.
    let d = unsafe { &*desc };
    let b = d.bdev;
    let bd = super::bdev_ref(b);
    if !populate && !d.write {
        return Err(SubmitError::ReadOnly);
    }
    let end = offset_blocks.checked_add(num_blocks).ok_or(SubmitError::Invalid)?;
    if num_blocks == 0 || end > bd.blockcnt || (iovs.is_null() && iovcnt > 0) || iovcnt < 0 {
        return Err(SubmitError::Invalid);
    }
    if !super::io_type_supported(b, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY) {
        return Err(SubmitError::Unsupported);
    }
    let c = chan(ch);
    let bio_ptr = io::get_io(c).ok_or(SubmitError::NoMemory)?;
    // SAFETY: a fresh element of the pool, at least size_of::<spdk_bdev_io>() bytes.
    unsafe {
        let bio = &mut *bio_ptr;
        bio.bdev = b;
        bio.r#type = spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY as u8;
        bio.num_retries = 0;
        bio.iov = libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 };
        let blk = &mut bio.u.bdev;
        io::plain_block_params(blk, iovs, if iovs.is_null() { 0 } else { iovcnt }, offset_blocks, num_blocks, bd.dif_check_flags);
        blk.zcopy = spdk_bdev_io_block_params_zcopy::new(populate, false, true);
    }
    io::init_internal(c, bio_ptr, desc, cb, cb_arg);
    *base_link(bio_ptr) = std::ptr::null_mut();
    io::launch(c, bio_ptr, num_blocks * bd.blocklen as u64)
}

/// Ends a zero-copy I/O whose start succeeded: `commit` writes the lent
/// buffers back to the blocks. `cb` runs when the module is done; the
/// caller frees the bdev_io then.
#[allow(clippy::not_unsafe_ptr_arg_deref)] // the caller's started bdev_io, as C does
pub fn end(bio_ptr: *mut spdk_bdev_io, commit: bool, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> Result<(), SubmitError> {
    if bio_ptr.is_null() || io::io_type(bio_ptr) != spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY {
        return Err(SubmitError::Invalid);
    }
    // SAFETY: a zero-copy bdev_io its caller holds between the two phases.
    let bio = unsafe { &mut *bio_ptr };
    // SAFETY: block parameters of a zero-copy I/O.
    let z = unsafe { bio.u.bdev.zcopy };
    if !z.start() || bio.internal.status != spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i8 {
        // Never started, started but failed, or ended already.
        return Err(SubmitError::Invalid);
    }
    // A union field write.
    bio.u.bdev.zcopy = spdk_bdev_io_block_params_zcopy::new(z.populate(), commit, false);
    let int = &mut bio.internal;
    int.cb = cb;
    int.caller_ctx = cb_arg;
    int.status = spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_PENDING as i8;
    int.submit_tsc = crate::env::cpu::ticks();
    let c = chan_of(bio);
    c.outstanding += 1;
    // Straight to the module: the range was checked and admitted at start.
    io::module_submit(c, super::bdev_ref(bio.bdev), bio_ptr);
    Ok(())
}

/// `spdk_bdev_io_set_buf`: a module lends `len` bytes at `buf` as the
/// I/O's one data segment (in the I/O's own iovec if it has none).
#[allow(clippy::not_unsafe_ptr_arg_deref)] // a live I/O in its module's hands, as C does
pub fn set_buf(bio_ptr: *mut spdk_bdev_io, buf: *mut c_void, len: usize) {
    // SAFETY: a live block I/O in its module's hands.
    unsafe {
        let bio = &mut *bio_ptr;
        if bio.u.bdev.iovs.is_null() || bio.u.bdev.iovcnt <= 0 {
            bio.u.bdev.iovs = &mut bio.iov;
        }
        // The lent buffer is all of the I/O's data: one segment, whatever
        // room the caller's iovec array had.
        bio.u.bdev.iovcnt = 1;
        *bio.u.bdev.iovs = libc::iovec { iov_base: buf, iov_len: len };
    }
}

/// A stacking module's link from its zero-copy I/O to the one it started
/// at its base, kept between the phases in the layer's own bytes of the
/// I/O (`reserved3`, used otherwise only by split parents, which a
/// zero-copy I/O never is).
pub(crate) fn base_link<'a>(bio_ptr: *mut spdk_bdev_io) -> &'a mut *mut spdk_bdev_io {
    // SAFETY: reserved3 is 40 bytes of the I/O's own, 8-aligned inside spdk_bdev_io.
    unsafe { &mut *((*bio_ptr).reserved3.as_mut_ptr() as *mut *mut spdk_bdev_io) }
}

/// What a stacking module does with a zero-copy I/O of its bdev: starts one
/// at the base (at `offset` there) or ends the one it started. The base's
/// completion goes to `on_base`; then `finish_forwarded` is called with it.
pub(crate) fn forward(
    bio_ptr: *mut spdk_bdev_io,
    base_desc: *mut Desc,
    base_ch: *mut spdk_io_channel,
    offset: u64,
    on_base: spdk_bdev_io_completion_cb,
) -> Result<(), SubmitError> {
    // SAFETY: a zero-copy I/O the layer handed to the stacking module.
    let (z, num) = unsafe { ((*bio_ptr).u.bdev.zcopy, (*bio_ptr).u.bdev.num_blocks) };
    if z.start() {
        start(base_desc, base_ch, std::ptr::null_mut(), 0, offset, num, z.populate(), on_base, bio_ptr.cast())
    } else {
        let base_io = std::mem::replace(base_link(bio_ptr), std::ptr::null_mut());
        if base_io.is_null() {
            return Err(SubmitError::Invalid);
        }
        end(base_io, z.commit(), on_base, bio_ptr.cast())
    }
}

/// The base finished a phase of a forwarded zero-copy I/O: after a start,
/// the base's buffers become the upper I/O's (and the base I/O is kept
/// for the end); after a failed start or any end, the base I/O is freed.
pub(crate) fn finish_forwarded(base_io: *mut spdk_bdev_io, success: bool, bio_ptr: *mut spdk_bdev_io) {
    // SAFETY: both live: the base I/O just completed, the upper one waits for it.
    unsafe {
        let started = (*base_io).u.bdev.zcopy.start();
        if started && success {
            let (biovs, bcnt) = ((*base_io).u.bdev.iovs, (*base_io).u.bdev.iovcnt);
            let up = &mut (*bio_ptr).u.bdev;
            if up.iovs.is_null() || up.iovcnt < bcnt {
                // The base's own iovecs, valid until the base I/O is freed at the end.
                up.iovs = biovs;
                up.iovcnt = bcnt;
            } else {
                std::ptr::copy_nonoverlapping(biovs, up.iovs, bcnt.max(0) as usize);
                up.iovcnt = bcnt;
            }
            *base_link(bio_ptr) = base_io;
        } else {
            io::free_io(base_io);
        }
    }
}
