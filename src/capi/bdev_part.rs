//! The part helpers of `spdk/bdev_module.h` (`spdk_bdev_part_*`) and
//! `spdk_bdev_destruct_done`, over `crate::bdev::part`.

use super::bdev_types::*;
use super::thread::{spdk_io_channel_create_cb, spdk_io_channel_destroy_cb};
use super::util::spdk_uuid;
use super::{cstr, guard};
use crate::bdev::{self, part, part::PartBase};
use std::ffi::{c_char, c_int, c_void};
use std::mem::{offset_of, size_of};

fn pbase(b: *mut spdk_bdev_part_base) -> Option<*mut PartBase> {
    (!b.is_null()).then_some(b as *mut PartBase)
}

/// Opens `bdev_name` as the base of a module's parts; `*base` is set on success.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_part_base_construct_ext(
    bdev_name: *const c_char,
    remove_cb: spdk_bdev_remove_cb_t,
    module: *mut spdk_bdev_module,
    fn_table: *mut spdk_bdev_fn_table,
    tailq: *mut bdev_part_tailq,
    free_fn: spdk_bdev_part_base_free_fn,
    ctx: *mut c_void,
    channel_size: u32,
    ch_create_cb: spdk_io_channel_create_cb,
    ch_destroy_cb: spdk_io_channel_destroy_cb,
    base: *mut *mut spdk_bdev_part_base,
) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's string and out-parameter.
        let (Some(name), Some(out)) = (unsafe { cstr(bdev_name) }, unsafe { base.as_mut() }) else { return -libc::EINVAL };
        let spec = part::BaseSpec { remove_cb, module, fn_table, tailq, free_fn, ctx, channel_size, ch_create_cb, ch_destroy_cb };
        match part::base_construct(name, spec) {
            Ok(b) => {
                *out = b.cast();
                0
            }
            Err(e) => {
                if !matches!(e, bdev::BdevError::NotFound(_)) {
                    crate::log::error(format_args!("spdk_bdev_part_base_construct_ext: {e}\n"));
                }
                -e.errno()
            }
        }
    })
}

/// Closes the base and frees it, after the module's `free_fn`.
#[no_mangle]
pub extern "C" fn spdk_bdev_part_base_free(base: *mut spdk_bdev_part_base) {
    guard((), || {
        if let Some(b) = pbase(base) {
            part::base_free(b)
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_part_base_get_bdev(part_base: *mut spdk_bdev_part_base) -> *mut spdk_bdev {
    pbase(part_base).map_or(std::ptr::null_mut(), part::base_bdev)
}

#[no_mangle]
pub extern "C" fn spdk_bdev_part_base_get_bdev_name(part_base: *mut spdk_bdev_part_base) -> *const c_char {
    pbase(part_base).map_or(std::ptr::null(), |b| bdev::bdev_ref(part::base_bdev(b)).name)
}

#[no_mangle]
pub extern "C" fn spdk_bdev_part_base_get_desc(part_base: *mut spdk_bdev_part_base) -> *mut spdk_bdev_desc {
    pbase(part_base).map_or(std::ptr::null_mut(), |b| part::base_desc(b).cast())
}

#[no_mangle]
pub extern "C" fn spdk_bdev_part_base_get_tailq(part_base: *mut spdk_bdev_part_base) -> *mut bdev_part_tailq {
    pbase(part_base).map_or(std::ptr::null_mut(), part::base_tailq)
}

#[no_mangle]
pub extern "C" fn spdk_bdev_part_base_get_ctx(part_base: *mut spdk_bdev_part_base) -> *mut c_void {
    pbase(part_base).map_or(std::ptr::null_mut(), part::base_ctx)
}

/// Unregisters every part of `tailq` built on `part_base`.
#[no_mangle]
pub extern "C" fn spdk_bdev_part_base_hotremove(part_base: *mut spdk_bdev_part_base, tailq: *mut bdev_part_tailq) {
    guard((), || {
        if let (Some(b), false) = (pbase(part_base), tailq.is_null()) {
            part::base_hotremove(b, tailq)
        }
    })
}

/// Fills `opts` (of `size` bytes as the caller knows it): no UUID.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_part_construct_opts_init(opts: *mut spdk_bdev_part_construct_opts, size: u64) {
    guard((), || {
        if opts.is_null() || size == 0 {
            return;
        }
        // SAFETY: all-zero is valid for the opts struct.
        let mut full: spdk_bdev_part_construct_opts = unsafe { std::mem::zeroed() };
        full.opts_size = size;
        let n = (size as usize).min(size_of::<spdk_bdev_part_construct_opts>());
        // SAFETY: the caller's struct holds `size` bytes; we write at most as many.
        unsafe { std::ptr::copy_nonoverlapping(&full as *const _ as *const u8, opts as *mut u8, n) };
    })
}

fn construct(part_: *mut spdk_bdev_part, base: *mut spdk_bdev_part_base, name: *const c_char, offset_blocks: u64, num_blocks: u64, product_name: *const c_char, uuid: Option<[u8; 16]>) -> c_int {
    let Some(b) = pbase(base).filter(|_| !part_.is_null()) else { return -libc::EINVAL };
    match part::construct(part_, b, name, offset_blocks, num_blocks, product_name, uuid) {
        Ok(()) => 0,
        Err(e) => {
            crate::log::error(format_args!("spdk_bdev_part_construct: {e}\n"));
            -e.errno()
        }
    }
}

/// Registers `part`: `num_blocks` of the base from `offset_blocks`, with the UUID of `opts` if set.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_part_construct_ext(
    part_: *mut spdk_bdev_part,
    base: *mut spdk_bdev_part_base,
    name: *mut c_char,
    offset_blocks: u64,
    num_blocks: u64,
    product_name: *mut c_char,
    opts: *const spdk_bdev_part_construct_opts,
) -> c_int {
    guard(-libc::EFAULT, || {
        let mut uuid = None;
        if !opts.is_null() {
            // SAFETY: the caller's opts start with their size.
            let size = unsafe { (*opts).opts_size } as usize;
            if size >= offset_of!(spdk_bdev_part_construct_opts, uuid) + size_of::<spdk_uuid>() {
                // SAFETY: inside the declared size.
                let raw = unsafe { (*opts).uuid.u.raw };
                uuid = (raw != [0; 16]).then_some(raw);
            }
        }
        construct(part_, base, name, offset_blocks, num_blocks, product_name, uuid)
    })
}

/// Registers `part` (`spdk_bdev_part_construct_ext` without options).
#[no_mangle]
pub extern "C" fn spdk_bdev_part_construct(
    part_: *mut spdk_bdev_part,
    base: *mut spdk_bdev_part_base,
    name: *mut c_char,
    offset_blocks: u64,
    num_blocks: u64,
    product_name: *mut c_char,
) -> c_int {
    guard(-libc::EFAULT, || construct(part_, base, name, offset_blocks, num_blocks, product_name, None))
}

/// For the module's `destruct`: frees the part once its channels are gone;
/// returns 1 (the destruction completes asynchronously).
#[no_mangle]
pub extern "C" fn spdk_bdev_part_free(part_: *mut spdk_bdev_part) -> c_int {
    guard(-libc::EFAULT, || if part_.is_null() { -libc::EINVAL } else { part::free(part_) })
}

/// Sends a part I/O to the base; the part I/O is completed with the base's status.
#[no_mangle]
pub extern "C" fn spdk_bdev_part_submit_request(ch: *mut spdk_bdev_part_channel, bdev_io: *mut spdk_bdev_io) -> c_int {
    guard(-libc::EFAULT, || if ch.is_null() || bdev_io.is_null() { -libc::EINVAL } else { part::submit_request(ch, bdev_io, None) })
}

/// Sends a part I/O to the base; `cb(part_io, success, NULL)` runs when the
/// base finished (NULL: complete it with the base's status).
#[no_mangle]
pub extern "C" fn spdk_bdev_part_submit_request_ext(ch: *mut spdk_bdev_part_channel, bdev_io: *mut spdk_bdev_io, cb: spdk_bdev_io_completion_cb) -> c_int {
    guard(-libc::EFAULT, || if ch.is_null() || bdev_io.is_null() { -libc::EINVAL } else { part::submit_request(ch, bdev_io, cb) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_part_get_bdev(part_: *mut spdk_bdev_part) -> *mut spdk_bdev {
    if part_.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the module's part.
    unsafe { std::ptr::addr_of_mut!((*part_).internal.bdev) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_part_get_base(part_: *mut spdk_bdev_part) -> *mut spdk_bdev_part_base {
    // SAFETY: the module's part.
    unsafe { part_.as_ref() }.map_or(std::ptr::null_mut(), |p| p.internal.base)
}

#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_part_get_base_bdev(part_: *mut spdk_bdev_part) -> *mut spdk_bdev {
    // SAFETY: forwarding the caller's part.
    spdk_bdev_part_base_get_bdev(unsafe { spdk_bdev_part_get_base(part_) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_part_get_offset_blocks(part_: *mut spdk_bdev_part) -> u64 {
    // SAFETY: the module's part.
    unsafe { part_.as_ref() }.map_or(0, |p| p.internal.offset_blocks)
}

/// A module's asynchronous `destruct` (which returned 1) finished.
#[no_mangle]
pub extern "C" fn spdk_bdev_destruct_done(bdev_: *mut spdk_bdev, bdeverrno: c_int) {
    guard((), || bdev::destruct_done(bdev_, bdeverrno))
}
