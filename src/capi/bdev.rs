//! `spdk/bdev.h` and the module side of `spdk/bdev_module.h`.

use super::bdev_types::*;
use super::thread::spdk_io_channel;
use super::util::spdk_uuid;
use super::{cstr, guard};
use crate::bdev::{self, io, Desc};
use crate::thread::io_channel as ioch;
use std::ffi::{c_char, c_int, c_void};

fn desc<'a>(d: *mut spdk_bdev_desc) -> Option<&'a Desc> {
    // SAFETY: NULL or a descriptor from spdk_bdev_open_ext, live until closed.
    unsafe { (d as *const Desc).as_ref() }
}

fn bdev_ok(b: *mut spdk_bdev) -> bool {
    !b.is_null() && bdev::is_registered(b)
}

#[no_mangle]
pub extern "C" fn spdk_bdev_first() -> *mut spdk_bdev {
    guard(std::ptr::null_mut(), || bdev::list().first().copied().unwrap_or(std::ptr::null_mut()))
}

#[no_mangle]
pub extern "C" fn spdk_bdev_next(prev: *mut spdk_bdev) -> *mut spdk_bdev {
    guard(std::ptr::null_mut(), || {
        let l = bdev::list();
        l.iter().position(|&b| b == prev).and_then(|i| l.get(i + 1).copied()).unwrap_or(std::ptr::null_mut())
    })
}

fn next_leaf(after: Option<*mut spdk_bdev>) -> *mut spdk_bdev {
    let l = bdev::list();
    let start = match after {
        None => 0,
        Some(p) => match l.iter().position(|&b| b == p) {
            Some(i) => i + 1,
            None => return std::ptr::null_mut(),
        },
    };
    l[start..].iter().copied().find(|&b| !bdev::is_claimed(b)).unwrap_or(std::ptr::null_mut())
}

/// The first bdev no module has claimed.
#[no_mangle]
pub extern "C" fn spdk_bdev_first_leaf() -> *mut spdk_bdev {
    guard(std::ptr::null_mut(), || next_leaf(None))
}

/// The next unclaimed bdev after `prev`.
#[no_mangle]
pub extern "C" fn spdk_bdev_next_leaf(prev: *mut spdk_bdev) -> *mut spdk_bdev {
    guard(std::ptr::null_mut(), || next_leaf(Some(prev)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_get_by_name(bdev_name: *const c_char) -> *mut spdk_bdev {
    // SAFETY: the caller's C string.
    guard(std::ptr::null_mut(), || unsafe { cstr(bdev_name) }.and_then(bdev::get_by_name).unwrap_or(std::ptr::null_mut()))
}

/// Opens the bdev named `bdev_name`; `event_cb` is told of its removal.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_open_ext(
    bdev_name: *const c_char,
    write: bool,
    event_cb: spdk_bdev_event_cb_t,
    event_ctx: *mut c_void,
    desc_out: *mut *mut spdk_bdev_desc,
) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's string and out-parameter.
        let (Some(name), Some(out)) = (unsafe { cstr(bdev_name) }, unsafe { desc_out.as_mut() }) else { return -libc::EINVAL };
        if event_cb.is_none() {
            crate::log::error(format_args!("spdk_bdev_open_ext: an event callback is required\n"));
            return -libc::EINVAL;
        }
        match bdev::open(name, write, event_cb, event_ctx) {
            Ok(d) => {
                *out = d.cast();
                0
            }
            Err(e) => {
                crate::log::error(format_args!("spdk_bdev_open_ext: {e}\n"));
                -e.errno()
            }
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_close(desc_: *mut spdk_bdev_desc) {
    guard((), || {
        if !desc_.is_null() {
            bdev::close(desc_.cast())
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_desc_get_bdev(desc_: *mut spdk_bdev_desc) -> *mut spdk_bdev {
    desc(desc_).map_or(std::ptr::null_mut(), |d| d.bdev)
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_io_channel(desc_: *mut spdk_bdev_desc) -> *mut spdk_io_channel {
    guard(std::ptr::null_mut(), || match desc(desc_) {
        Some(d) => ioch::get(d.bdev.cast()).map_or(std::ptr::null_mut(), |c| c.cast()),
        None => std::ptr::null_mut(),
    })
}

fn submit(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, req: io::Request) -> c_int {
    if desc(desc_).is_none() || ch.is_null() {
        return -libc::EINVAL;
    }
    io::submit(desc_.cast(), ch, req).map_or_else(|e| -e.errno(), |_| 0)
}

#[allow(clippy::too_many_arguments)]
fn req(t: spdk_bdev_io_type, buf: *mut c_void, iov: *mut libc::iovec, iovcnt: c_int, md: *mut c_void, off: u64, n: u64, cb: spdk_bdev_io_completion_cb, arg: *mut c_void) -> io::Request {
    io::Request { io_type: t, iovs: iov, iovcnt, buf, md_buf: md, offset_blocks: off, num_blocks: n, cb, cb_arg: arg }
}

/// Converts a byte range to blocks; None if it is not whole blocks.
fn to_blocks(desc_: *mut spdk_bdev_desc, offset: u64, nbytes: u64) -> Option<(u64, u64)> {
    let bl = bdev::bdev_ref(desc(desc_)?.bdev).blocklen as u64;
    (offset % bl == 0 && nbytes % bl == 0).then(|| (offset / bl, nbytes / bl))
}

use spdk_bdev_io_type::*;

#[no_mangle]
pub extern "C" fn spdk_bdev_read_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, buf: *mut c_void, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_READ, buf, std::ptr::null_mut(), 0, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg)))
}

#[no_mangle]
pub extern "C" fn spdk_bdev_write_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, buf: *mut c_void, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_WRITE, buf, std::ptr::null_mut(), 0, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg)))
}

#[no_mangle]
pub extern "C" fn spdk_bdev_read(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, buf: *mut c_void, offset: u64, nbytes: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || match to_blocks(desc_, offset, nbytes) {
        Some((o, n)) => spdk_bdev_read_blocks(desc_, ch, buf, o, n, cb, cb_arg),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_write(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, buf: *mut c_void, offset: u64, nbytes: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || match to_blocks(desc_, offset, nbytes) {
        Some((o, n)) => spdk_bdev_write_blocks(desc_, ch, buf, o, n, cb, cb_arg),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_readv_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        if iov.is_null() || iovcnt <= 0 {
            return -libc::EINVAL;
        }
        submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_READ, std::ptr::null_mut(), iov, iovcnt, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg))
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_writev_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        if iov.is_null() || iovcnt <= 0 {
            return -libc::EINVAL;
        }
        submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_WRITE, std::ptr::null_mut(), iov, iovcnt, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg))
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_readv(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, offset: u64, nbytes: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || match to_blocks(desc_, offset, nbytes) {
        Some((o, n)) => spdk_bdev_readv_blocks(desc_, ch, iov, iovcnt, o, n, cb, cb_arg),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_writev(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, offset: u64, nbytes: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || match to_blocks(desc_, offset, nbytes) {
        Some((o, n)) => spdk_bdev_writev_blocks(desc_, ch, iov, iovcnt, o, n, cb, cb_arg),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_compare_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, buf: *mut c_void, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_COMPARE, buf, std::ptr::null_mut(), 0, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg)))
}

#[no_mangle]
pub extern "C" fn spdk_bdev_write_zeroes_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_WRITE_ZEROES, std::ptr::null_mut(), std::ptr::null_mut(), 0, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg)))
}

#[no_mangle]
pub extern "C" fn spdk_bdev_unmap_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_UNMAP, std::ptr::null_mut(), std::ptr::null_mut(), 0, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg)))
}

#[no_mangle]
pub extern "C" fn spdk_bdev_flush_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_FLUSH, std::ptr::null_mut(), std::ptr::null_mut(), 0, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg)))
}

#[no_mangle]
pub extern "C" fn spdk_bdev_reset(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_RESET, std::ptr::null_mut(), std::ptr::null_mut(), 0, std::ptr::null_mut(), 0, 0, cb, cb_arg)))
}

/// Aborts the I/Os submitted on `ch` with callback argument `bio_cb_arg`.
#[no_mangle]
pub extern "C" fn spdk_bdev_abort(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, bio_cb_arg: *mut c_void, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        if desc(desc_).is_none() || ch.is_null() {
            return -libc::EINVAL;
        }
        bdev::abort::abort(desc_.cast(), ch, bio_cb_arg, cb, cb_arg).map_or_else(|e| e, |_| 0)
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_free_io(bdev_io: *mut spdk_bdev_io) {
    guard((), || {
        if !bdev_io.is_null() {
            io::free_io(bdev_io)
        }
    })
}

/// Calls `entry->cb_fn` when a bdev_io frees on `ch`; -EINVAL while one is free.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_queue_io_wait(bdev_: *mut spdk_bdev, ch: *mut spdk_io_channel, entry: *mut spdk_bdev_io_wait_entry) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's entry.
        let Some(e) = (unsafe { entry.as_mut() }) else { return -libc::EINVAL };
        if ch.is_null() || e.bdev != bdev_ {
            return -libc::EINVAL;
        }
        io::queue_io_wait(ch, entry).map_or_else(|e| -e.errno(), |_| 0)
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_name(bdev_: *const spdk_bdev) -> *const c_char {
    if bdev_.is_null() {
        return std::ptr::null();
    }
    bdev::bdev_ref(bdev_ as *mut spdk_bdev).name
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_product_name(bdev_: *const spdk_bdev) -> *const c_char {
    if bdev_.is_null() {
        return std::ptr::null();
    }
    bdev::bdev_ref(bdev_ as *mut spdk_bdev).product_name
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_block_size(bdev_: *const spdk_bdev) -> u32 {
    if bdev_.is_null() { 0 } else { bdev::bdev_ref(bdev_ as *mut spdk_bdev).blocklen }
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_num_blocks(bdev_: *const spdk_bdev) -> u64 {
    if bdev_.is_null() { 0 } else { bdev::bdev_ref(bdev_ as *mut spdk_bdev).blockcnt }
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_write_unit_size(bdev_: *const spdk_bdev) -> u32 {
    if bdev_.is_null() { 0 } else { bdev::bdev_ref(bdev_ as *mut spdk_bdev).write_unit_size.max(1) }
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_buf_align(bdev_: *const spdk_bdev) -> usize {
    if bdev_.is_null() { 1 } else { 1usize << bdev::bdev_ref(bdev_ as *mut spdk_bdev).required_alignment }
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_optimal_io_boundary(bdev_: *const spdk_bdev) -> u32 {
    if bdev_.is_null() { 0 } else { bdev::bdev_ref(bdev_ as *mut spdk_bdev).optimal_io_boundary }
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_md_size(bdev_: *const spdk_bdev) -> u32 {
    if bdev_.is_null() { 0 } else { bdev::bdev_ref(bdev_ as *mut spdk_bdev).md_len }
}

#[no_mangle]
pub extern "C" fn spdk_bdev_get_uuid(bdev_: *const spdk_bdev) -> *const spdk_uuid {
    if bdev_.is_null() {
        return std::ptr::null();
    }
    &bdev::bdev_ref(bdev_ as *mut spdk_bdev).uuid
}

#[no_mangle]
pub extern "C" fn spdk_bdev_io_type_supported(bdev_: *mut spdk_bdev, io_type: spdk_bdev_io_type_raw) -> bool {
    guard(false, || bdev_ok(bdev_) && io_type.get().is_some_and(|t| bdev::io_type_supported(bdev_, t)))
}

// ---- bdev_module.h ----

/// Registers a bdev a module filled in; 0 or a negative errno.
#[no_mangle]
pub extern "C" fn spdk_bdev_register(bdev_: *mut spdk_bdev) -> c_int {
    guard(-libc::EFAULT, || {
        if bdev_.is_null() {
            return -libc::EINVAL;
        }
        match bdev::register(bdev_) {
            Ok(()) => 0,
            Err(e) => {
                crate::log::error(format_args!("spdk_bdev_register: {e}\n"));
                -e.errno()
            }
        }
    })
}

/// Starts removing a bdev; `cb_fn(cb_arg, rc)` runs once it is destructed.
#[no_mangle]
pub extern "C" fn spdk_bdev_unregister(bdev_: *mut spdk_bdev, cb_fn: spdk_bdev_unregister_cb, cb_arg: *mut c_void) {
    guard((), || {
        if let Err(e) = bdev::unregister(bdev_, cb_fn, cb_arg) {
            crate::log::error(format_args!("spdk_bdev_unregister: {e}\n"));
            if let Some(cb) = cb_fn {
                // SAFETY: the caller's completion, told of the failure.
                unsafe { cb(cb_arg, -e.errno()) };
            }
        }
    })
}

/// A module finished an I/O.
#[no_mangle]
pub extern "C" fn spdk_bdev_io_complete(bdev_io: *mut spdk_bdev_io, status: spdk_bdev_io_status_raw) {
    guard((), || {
        if !bdev_io.is_null() {
            io::complete(bdev_io, status.0)
        }
    })
}

/// The bdev channel an I/O was submitted on.
#[no_mangle]
pub extern "C" fn spdk_bdev_io_get_io_channel(bdev_io: *mut spdk_bdev_io) -> *mut spdk_io_channel {
    if bdev_io.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: a live I/O; its channel context is the layer's BdevChannel.
    let ch = unsafe { (*bdev_io).internal.ch } as *mut std::ffi::c_void;
    // SAFETY: the BdevChannel is the context of an io_channel.
    unsafe { ioch::from_ctx(ch) }.cast()
}

/// Adds a module (what `SPDK_BDEV_MODULE_REGISTER` does from a constructor).
#[no_mangle]
pub extern "C" fn spdk_bdev_module_list_add(bdev_module: *mut spdk_bdev_module) {
    guard((), || {
        if !bdev_module.is_null() {
            bdev::module_add(bdev_module)
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_bdev_module_claim_bdev(bdev_: *mut spdk_bdev, desc_: *mut spdk_bdev_desc, module: *mut spdk_bdev_module) -> c_int {
    let _ = desc_;
    guard(-libc::EFAULT, || bdev::claim(bdev_, module).map_or_else(|e| -e.errno(), |_| 0))
}

#[no_mangle]
pub extern "C" fn spdk_bdev_module_release_bdev(bdev_: *mut spdk_bdev) {
    guard((), || bdev::release_claim(bdev_))
}

/// Fills the first `opts_size` bytes of `opts` with the current options.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_get_opts(opts: *mut spdk_bdev_opts, opts_size: usize) {
    guard((), || {
        if opts.is_null() || opts_size == 0 {
            return;
        }
        let o = spdk_bdev_opts {
            bdev_io_pool_size: bdev::pool_size(),
            bdev_io_cache_size: bdev::cache_size(),
            bdev_auto_examine: bdev::modules::auto_examine(),
            reserved9: [0; 7],
            opts_size,
            iobuf_small_cache_size: 128,
            iobuf_large_cache_size: 16,
        };
        let n = opts_size.min(std::mem::size_of::<spdk_bdev_opts>());
        // SAFETY: the caller's struct holds at least opts_size bytes.
        unsafe { std::ptr::copy_nonoverlapping(&o as *const _ as *const u8, opts as *mut u8, n) };
    })
}

/// Sets the options; the pool size only before the first bdev registers.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_set_opts(opts: *mut spdk_bdev_opts) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's struct (packed: fields read by value).
        let Some(o) = (unsafe { opts.as_ref() }) else { return -libc::EINVAL };
        let (size, pool, cache) = (o.opts_size, o.bdev_io_pool_size, o.bdev_io_cache_size);
        if size == 0 {
            crate::log::error(format_args!("spdk_bdev_set_opts: opts_size is 0\n"));
            return -libc::EINVAL;
        }
        let cache = if size > std::mem::offset_of!(spdk_bdev_opts, bdev_io_cache_size) { cache } else { bdev::cache_size() };
        match bdev::set_pool_opts(pool, cache) {
            Ok(()) => {
                if size > std::mem::offset_of!(spdk_bdev_opts, bdev_auto_examine) {
                    bdev::modules::set_auto_examine(o.bdev_auto_examine);
                }
                0
            }
            Err(e) => {
                crate::log::error(format_args!("spdk_bdev_set_opts: {e}\n"));
                -e.errno()
            }
        }
    })
}

fn to_c_stat(s: &io::Stat, out: &mut spdk_bdev_io_stat) {
    out.bytes_read = s.bytes_read;
    out.num_read_ops = s.num_read_ops;
    out.bytes_written = s.bytes_written;
    out.num_write_ops = s.num_write_ops;
    out.bytes_unmapped = s.bytes_unmapped;
    out.num_unmap_ops = s.num_unmap_ops;
    out.bytes_copied = 0;
    out.num_copy_ops = 0;
    out.read_latency_ticks = s.read_latency_ticks;
    out.max_read_latency_ticks = s.max_latency[0];
    out.min_read_latency_ticks = if s.min_latency[0] == 0 { u64::MAX } else { s.min_latency[0] };
    out.write_latency_ticks = s.write_latency_ticks;
    out.max_write_latency_ticks = s.max_latency[1];
    out.min_write_latency_ticks = if s.min_latency[1] == 0 { u64::MAX } else { s.min_latency[1] };
    out.unmap_latency_ticks = s.unmap_latency_ticks;
    out.max_unmap_latency_ticks = s.max_latency[2];
    out.min_unmap_latency_ticks = if s.min_latency[2] == 0 { u64::MAX } else { s.min_latency[2] };
    out.copy_latency_ticks = 0;
    out.max_copy_latency_ticks = 0;
    out.min_copy_latency_ticks = u64::MAX;
    out.ticks_rate = crate::env::cpu::TICKS_HZ;
}

/// The statistics of one channel of a bdev.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_get_io_stat(bdev_: *mut spdk_bdev, ch: *mut spdk_io_channel, stat: *mut spdk_bdev_io_stat) {
    guard((), || {
        // SAFETY: the caller's struct.
        let Some(out) = (unsafe { stat.as_mut() }) else { return };
        if !bdev_ok(bdev_) || ch.is_null() {
            return;
        }
        to_c_stat(&io::chan(ch).stat, out);
    })
}

struct StatReq(usize, usize, usize);

/// The statistics of a bdev over every channel; `cb(bdev, stat, cb_arg, rc)` runs on this thread.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_get_device_stat(
    bdev_: *mut spdk_bdev,
    stat: *mut spdk_bdev_io_stat,
    reset_mode: spdk_bdev_reset_stat_mode_raw,
    cb: spdk_bdev_get_device_stat_cb,
    cb_arg: *mut c_void,
) {
    guard((), || {
        let Some(cbf) = cb else { return };
        let mode = match reset_mode.get() {
            Some(spdk_bdev_reset_stat_mode::SPDK_BDEV_RESET_STAT_ALL) => io::ResetMode::All,
            Some(spdk_bdev_reset_stat_mode::SPDK_BDEV_RESET_STAT_MAXMIN) => io::ResetMode::MaxMin,
            Some(spdk_bdev_reset_stat_mode::SPDK_BDEV_RESET_STAT_ERROR) => io::ResetMode::Errors,
            _ => io::ResetMode::None,
        };
        if stat.is_null() || !bdev_ok(bdev_) {
            // SAFETY: the caller's callback, told of the error.
            unsafe { cbf(bdev_, stat, cb_arg, -libc::EINVAL) };
            return;
        }
        let req = StatReq(bdev_ as usize, stat as usize, cb_arg as usize);
        let r = bdev::device_stat(
            bdev_,
            mode,
            Box::new(move |s| {
                let StatReq(b, st, arg) = req;
                // SAFETY: the caller keeps `stat` valid until its callback runs.
                to_c_stat(&s, unsafe { &mut *(st as *mut spdk_bdev_io_stat) });
                // SAFETY: the caller's callback with its own arguments.
                unsafe { cbf(b as *mut spdk_bdev, st as *mut spdk_bdev_io_stat, arg as *mut c_void, 0) };
            }),
        );
        if let Err(e) = r {
            // SAFETY: as above, told of the error.
            unsafe { cbf(bdev_, stat, cb_arg, -e.errno()) };
        }
    })
}

/// Reads the QoS limits of a bdev (I/Os per second, then MiB per second;
/// 0: no limit) into `limits[SPDK_BDEV_QOS_NUM_RATE_LIMIT_TYPES]`.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_get_qos_rate_limits(bdev_: *mut spdk_bdev, limits: *mut u64) {
    guard((), || {
        if bdev_.is_null() || limits.is_null() {
            return;
        }
        let l = bdev::qos::get_limits(bdev_);
        // SAFETY: the caller's array of SPDK_BDEV_QOS_NUM_RATE_LIMIT_TYPES values.
        unsafe { std::ptr::copy_nonoverlapping(l.as_ptr(), limits, l.len()) };
    })
}

pub type spdk_bdev_qos_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void, status: c_int)>;

/// Sets the QoS limits of a bdev: each of `limits[]` is a new limit, 0 to
/// remove it, or `UINT64_MAX` to leave it; I/Os per second must be a
/// multiple of 1000. `cb_fn(cb_arg, 0 or -errno)` runs after the call
/// returns, on the calling thread.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_set_qos_rate_limits(bdev_: *mut spdk_bdev, limits: *mut u64, cb_fn: spdk_bdev_qos_cb, cb_arg: *mut c_void) {
    guard((), || {
        let rc = if bdev_.is_null() || limits.is_null() {
            -libc::EINVAL
        } else {
            let mut l = [0u64; bdev::qos::NUM_LIMITS];
            // SAFETY: the caller's array of SPDK_BDEV_QOS_NUM_RATE_LIMIT_TYPES values.
            unsafe { std::ptr::copy_nonoverlapping(limits, l.as_mut_ptr(), l.len()) };
            match bdev::qos::set_limits(bdev_, l) {
                Ok(()) => 0,
                Err(e) => {
                    crate::log::error(format_args!("spdk_bdev_set_qos_rate_limits: {e}\n"));
                    -e.errno()
                }
            }
        };
        let Some(cb) = cb_fn else { return };
        let arg = cb_arg as usize;
        let t = crate::thread::current();
        // SAFETY: the current thread is live; the callback runs there later.
        let sent = !t.is_null() && crate::thread::send_fn(unsafe { &*t }, move || unsafe { cb(arg as *mut c_void, rc) }).is_ok();
        if !sent {
            // SAFETY: the caller's callback.
            unsafe { cb(cb_arg, rc) };
        }
    })
}

/// Asks for `cb_fn(cb_arg, bdev_io)`, once per I/O, for each I/O of this
/// descriptor still outstanding `timeout_in_sec` seconds after submission
/// (checked every 100 ms, on each I/O's channel thread); 0 turns it off. Call it
/// on the descriptor's thread. 0, or -EINVAL / -ENOMEM.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_set_timeout(desc_: *mut spdk_bdev_desc, timeout_in_sec: u64, cb_fn: spdk_bdev_io_timeout_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EINVAL, || {
        if desc_.is_null() {
            return -libc::EINVAL;
        }
        match bdev::timeout::set(desc_.cast(), timeout_in_sec, cb_fn, cb_arg) {
            Ok(()) => 0,
            Err(e) => -e.errno(),
        }
    })
}

/// A module tells the layer its bdev now has `size` blocks: open
/// descriptors get `SPDK_BDEV_EVENT_RESIZE`. 0, -EBUSY (shrinking while
/// open), -EINVAL (0 blocks) or -ENODEV (not registered).
#[no_mangle]
pub extern "C" fn spdk_bdev_notify_blockcnt_change(bdev_: *mut spdk_bdev, size: u64) -> c_int {
    guard(-libc::EINVAL, || {
        if bdev_.is_null() {
            return -libc::EINVAL;
        }
        match bdev::notify_blockcnt_change(bdev_, size) {
            Ok(()) => 0,
            Err(e) => {
                crate::log::error(format_args!("spdk_bdev_notify_blockcnt_change: {e}\n"));
                -e.errno()
            }
        }
    })
}

// ---- Extended I/O, metadata, compare-and-write (bdev.h) ----

fn submit_ext(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, req: io::Request, x: io::Extra) -> c_int {
    if desc(desc_).is_none() || ch.is_null() {
        return -libc::EINVAL;
    }
    io::submit_ext(desc_.cast(), ch, req, x).map_or_else(|e| -e.errno(), |_| 0)
}

/// The fields of `opts` its caller's `size` covers, as (metadata, extra);
/// Err(errno) when the options cannot be honoured.
unsafe fn ext_opts(opts: *mut spdk_bdev_ext_io_opts) -> Result<(*mut c_void, io::Extra), c_int> {
    let mut x = io::Extra::default();
    if opts.is_null() {
        return Ok((std::ptr::null_mut(), x));
    }
    // SAFETY: the caller's struct holds at least `size` bytes (packed: read by value, unaligned).
    let size = unsafe { std::ptr::read_unaligned(std::ptr::addr_of!((*opts).size)) };
    if size == 0 {
        crate::log::error(format_args!("spdk_bdev_ext_io_opts: size is 0\n"));
        return Err(-libc::EINVAL);
    }
    // SAFETY: all-zero is valid for the options (integers, nullable pointers).
    let mut o: spdk_bdev_ext_io_opts = unsafe { std::mem::zeroed() };
    let n = size.min(std::mem::size_of::<spdk_bdev_ext_io_opts>());
    // SAFETY: copying the n bytes the caller declared into a zeroed local.
    unsafe { std::ptr::copy_nonoverlapping(opts as *const u8, &mut o as *mut _ as *mut u8, n) };
    let (domain, seq) = (o.memory_domain, o.accel_sequence);
    if !domain.is_null() || !seq.is_null() {
        // Payloads in memory domains and accel sequences are not supported by this layer.
        return Err(-libc::ENOTSUP);
    }
    x.dif_check_flags_exclude_mask = o.dif_check_flags_exclude_mask;
    x.nvme_cdw12 = { o.nvme_cdw12 }.raw;
    x.nvme_cdw13 = { o.nvme_cdw13 }.raw;
    Ok((o.metadata, x))
}

#[allow(clippy::too_many_arguments)]
fn rw_ext(t: spdk_bdev_io_type, desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, off: u64, n: u64, cb: spdk_bdev_io_completion_cb, arg: *mut c_void, opts: *mut spdk_bdev_ext_io_opts) -> c_int {
    if iov.is_null() || iovcnt <= 0 {
        return -libc::EINVAL;
    }
    // SAFETY: the caller's options struct or NULL.
    match unsafe { ext_opts(opts) } {
        Ok((md, x)) => submit_ext(desc_, ch, req(t, std::ptr::null_mut(), iov, iovcnt, md, off, n, cb, arg), x),
        Err(e) => e,
    }
}

/// `spdk_bdev_readv_blocks` with options (`opts->size` bytes of them are read;
/// a memory domain or accel sequence is -ENOTSUP).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn spdk_bdev_readv_blocks_ext(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void, opts: *mut spdk_bdev_ext_io_opts) -> c_int {
    guard(-libc::EFAULT, || rw_ext(SPDK_BDEV_IO_TYPE_READ, desc_, ch, iov, iovcnt, offset_blocks, num_blocks, cb, cb_arg, opts))
}

/// `spdk_bdev_writev_blocks` with options.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn spdk_bdev_writev_blocks_ext(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void, opts: *mut spdk_bdev_ext_io_opts) -> c_int {
    guard(-libc::EFAULT, || rw_ext(SPDK_BDEV_IO_TYPE_WRITE, desc_, ch, iov, iovcnt, offset_blocks, num_blocks, cb, cb_arg, opts))
}

/// Reads data and separate metadata (`md_buf`; -EINVAL unless the bdev has separate metadata).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn spdk_bdev_read_blocks_with_md(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, buf: *mut c_void, md_buf: *mut c_void, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_READ, buf, std::ptr::null_mut(), 0, md_buf, offset_blocks, num_blocks, cb, cb_arg)))
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn spdk_bdev_write_blocks_with_md(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, buf: *mut c_void, md_buf: *mut c_void, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_WRITE, buf, std::ptr::null_mut(), 0, md_buf, offset_blocks, num_blocks, cb, cb_arg)))
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn spdk_bdev_readv_blocks_with_md(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, md_buf: *mut c_void, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        if iov.is_null() || iovcnt <= 0 {
            return -libc::EINVAL;
        }
        submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_READ, std::ptr::null_mut(), iov, iovcnt, md_buf, offset_blocks, num_blocks, cb, cb_arg))
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn spdk_bdev_writev_blocks_with_md(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, md_buf: *mut c_void, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        if iov.is_null() || iovcnt <= 0 {
            return -libc::EINVAL;
        }
        submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_WRITE, std::ptr::null_mut(), iov, iovcnt, md_buf, offset_blocks, num_blocks, cb, cb_arg))
    })
}

/// Compares the blocks with `iov`: success, or SPDK_BDEV_IO_STATUS_MISCOMPARE
/// (emulated with a read when the module has no compare).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn spdk_bdev_comparev_blocks(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, iov: *mut libc::iovec, iovcnt: c_int, offset_blocks: u64, num_blocks: u64, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        if iov.is_null() || iovcnt <= 0 {
            return -libc::EINVAL;
        }
        submit(desc_, ch, req(SPDK_BDEV_IO_TYPE_COMPARE, std::ptr::null_mut(), iov, iovcnt, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg))
    })
}

/// Writes `write_iov` if the blocks equal `compare_iov`, atomically with
/// respect to other writes through the layer (emulated under an LBA range
/// lock when the module has no COMPARE_AND_WRITE).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn spdk_bdev_comparev_and_writev_blocks(
    desc_: *mut spdk_bdev_desc,
    ch: *mut spdk_io_channel,
    compare_iov: *mut libc::iovec,
    compare_iovcnt: c_int,
    write_iov: *mut libc::iovec,
    write_iovcnt: c_int,
    offset_blocks: u64,
    num_blocks: u64,
    cb: spdk_bdev_io_completion_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        if compare_iov.is_null() || compare_iovcnt <= 0 || write_iov.is_null() || write_iovcnt <= 0 {
            return -libc::EINVAL;
        }
        let x = io::Extra { fused_iovs: write_iov, fused_iovcnt: write_iovcnt, ..io::Extra::default() };
        let r = req(SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE, std::ptr::null_mut(), compare_iov, compare_iovcnt, std::ptr::null_mut(), offset_blocks, num_blocks, cb, cb_arg);
        submit_ext(desc_, ch, r, x)
    })
}

// ---- NVMe passthru ----

#[allow(clippy::too_many_arguments)]
unsafe fn passthru(t: spdk_bdev_io_type, desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, cmd: *const super::nvme_spec::spdk_nvme_cmd, buf: io::Payload, nbytes: usize, md: *mut c_void, md_len: usize, cb: spdk_bdev_io_completion_cb, arg: *mut c_void) -> c_int {
    // SAFETY: the caller's command.
    let Some(cmd) = (unsafe { cmd.as_ref() }) else { return -libc::EINVAL };
    if desc(desc_).is_none() || ch.is_null() {
        return -libc::EINVAL;
    }
    io::submit_passthru(desc_.cast(), ch, t, cmd, buf, nbytes, md, md_len, cb, arg).map_or_else(|e| -e.errno(), |_| 0)
}

/// Sends an NVMe admin command to the bdev's controller (a writable
/// descriptor is needed; -ENOTSUP if the bdev does not take them).
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_nvme_admin_passthru(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, cmd: *const super::nvme_spec::spdk_nvme_cmd, buf: *mut c_void, nbytes: usize, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    // SAFETY: the caller's arguments, passed on.
    guard(-libc::EFAULT, || unsafe { passthru(SPDK_BDEV_IO_TYPE_NVME_ADMIN, desc_, ch, cmd, io::Payload::Buf(buf), nbytes, std::ptr::null_mut(), 0, cb, cb_arg) })
}

/// Sends an NVMe I/O command to the bdev's namespace.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_nvme_io_passthru(desc_: *mut spdk_bdev_desc, ch: *mut spdk_io_channel, cmd: *const super::nvme_spec::spdk_nvme_cmd, buf: *mut c_void, nbytes: usize, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    // SAFETY: the caller's arguments, passed on.
    guard(-libc::EFAULT, || unsafe { passthru(SPDK_BDEV_IO_TYPE_NVME_IO, desc_, ch, cmd, io::Payload::Buf(buf), nbytes, std::ptr::null_mut(), 0, cb, cb_arg) })
}

/// Sends an NVMe I/O command with a separate metadata buffer.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn spdk_bdev_nvme_io_passthru_md(
    desc_: *mut spdk_bdev_desc,
    ch: *mut spdk_io_channel,
    cmd: *const super::nvme_spec::spdk_nvme_cmd,
    buf: *mut c_void,
    nbytes: usize,
    md_buf: *mut c_void,
    md_len: usize,
    cb: spdk_bdev_io_completion_cb,
    cb_arg: *mut c_void,
) -> c_int {
    // SAFETY: the caller's arguments, passed on.
    guard(-libc::EFAULT, || unsafe { passthru(SPDK_BDEV_IO_TYPE_NVME_IO_MD, desc_, ch, cmd, io::Payload::Buf(buf), nbytes, md_buf, md_len, cb, cb_arg) })
}

/// Sends an NVMe I/O command whose data is in iovecs, with separate metadata.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn spdk_bdev_nvme_iov_passthru_md(
    desc_: *mut spdk_bdev_desc,
    ch: *mut spdk_io_channel,
    cmd: *const super::nvme_spec::spdk_nvme_cmd,
    iov: *mut libc::iovec,
    iovcnt: c_int,
    nbytes: usize,
    md_buf: *mut c_void,
    md_len: usize,
    cb: spdk_bdev_io_completion_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        if iovcnt < 0 || (iov.is_null() && iovcnt > 0) {
            return -libc::EINVAL;
        }
        // SAFETY: the caller's arguments, passed on.
        unsafe { passthru(SPDK_BDEV_IO_TYPE_NVME_IO_MD, desc_, ch, cmd, io::Payload::Iovs(iov, iovcnt), nbytes, md_buf, md_len, cb, cb_arg) }
    })
}

// ---- Protocol status of an I/O ----

/// A module completes an I/O with an NVMe status.
#[no_mangle]
pub extern "C" fn spdk_bdev_io_complete_nvme_status(bdev_io: *mut spdk_bdev_io, cdw0: u32, sct: c_int, sc: c_int) {
    guard((), || {
        if !bdev_io.is_null() {
            io::complete_nvme_status(bdev_io, cdw0, sct, sc)
        }
    })
}

/// The NVMe status of a completed I/O (generic statuses mapped: success is
/// 0/0, any other failure generic/internal device error).
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_io_get_nvme_status(bdev_io: *const spdk_bdev_io, cdw0: *mut u32, sct: *mut c_int, sc: *mut c_int) {
    guard((), || {
        if bdev_io.is_null() {
            return;
        }
        let (d, t, c) = io::nvme_status(bdev_io);
        // SAFETY: the caller's out-parameters (each may be NULL).
        unsafe {
            if let Some(p) = cdw0.as_mut() {
                *p = d;
            }
            if let Some(p) = sct.as_mut() {
                *p = t;
            }
            if let Some(p) = sc.as_mut() {
                *p = c;
            }
        }
    })
}

/// A module completes an I/O with a SCSI status and sense.
#[no_mangle]
pub extern "C" fn spdk_bdev_io_complete_scsi_status(bdev_io: *mut spdk_bdev_io, sc: spdk_scsi_status_raw, sk: spdk_scsi_sense_raw, asc: u8, ascq: u8) {
    guard((), || {
        if !bdev_io.is_null() {
            let s = bdev::status::set_scsi(bdev_io, sc.0, sk.0, asc, ascq);
            io::complete(bdev_io, s as i32);
        }
    })
}

/// The SCSI status of a completed I/O (NVMe errors translated).
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_io_get_scsi_status(bdev_io: *const spdk_bdev_io, sc: *mut c_int, sk: *mut c_int, asc: *mut c_int, ascq: *mut c_int) {
    guard((), || {
        if bdev_io.is_null() {
            return;
        }
        let v = bdev::status::scsi(bdev_io);
        // SAFETY: the caller's out-parameters (each may be NULL).
        unsafe {
            for (p, x) in [(sc, v.0), (sk, v.1), (asc, v.2), (ascq, v.3)] {
                if let Some(p) = p.as_mut() {
                    *p = x;
                }
            }
        }
    })
}

/// A module completes an I/O with a Linux AIO result (0 or a negative errno).
#[no_mangle]
pub extern "C" fn spdk_bdev_io_complete_aio_status(bdev_io: *mut spdk_bdev_io, aio_result: c_int) {
    guard((), || {
        if !bdev_io.is_null() {
            let s = bdev::status::set_aio(bdev_io, aio_result);
            io::complete(bdev_io, s as i32);
        }
    })
}

/// The AIO result of a completed I/O (0 on success, -EIO for other failures).
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_io_get_aio_status(bdev_io: *const spdk_bdev_io, aio_result: *mut c_int) {
    guard((), || {
        // SAFETY: the caller's out-parameter.
        if let (false, Some(p)) = (bdev_io.is_null(), unsafe { aio_result.as_mut() }) {
            *p = bdev::status::aio(bdev_io);
        }
    })
}

// ---- Buffers ----

/// A module asks for a data buffer of `len` bytes for `bdev_io`: `cb(ch,
/// bdev_io, true)` once it has one (now if it has one already), `false` if
/// `len` is beyond the largest buffer.
#[no_mangle]
pub extern "C" fn spdk_bdev_io_get_buf(bdev_io: *mut spdk_bdev_io, cb: spdk_bdev_io_get_buf_cb, len: u64) {
    guard((), || {
        if !bdev_io.is_null() && cb.is_some() {
            io::get_buf(bdev_io, cb, len)
        }
    })
}

/// The data iovecs of a block I/O (a read submitted without a buffer shows
/// the layer's buffer here).
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_io_get_iovec(bdev_io: *mut spdk_bdev_io, iovp: *mut *mut libc::iovec, iovcntp: *mut c_int) {
    guard((), || {
        if bdev_io.is_null() {
            return;
        }
        // SAFETY: a live I/O with block parameters; the caller's out-parameters.
        unsafe {
            if let Some(p) = iovp.as_mut() {
                *p = (*bdev_io).u.bdev.iovs;
            }
            if let Some(p) = iovcntp.as_mut() {
                *p = (*bdev_io).u.bdev.iovcnt;
            }
        }
    })
}

/// A module lends `len` bytes at `buf` as the I/O's (first) data buffer,
/// as a zero-copy start does with the bdev's own memory.
#[no_mangle]
pub extern "C" fn spdk_bdev_io_set_buf(bdev_io: *mut spdk_bdev_io, buf: *mut c_void, len: usize) {
    guard((), || {
        if !bdev_io.is_null() {
            bdev::zcopy::set_buf(bdev_io, buf, len)
        }
    })
}

// ---- Zero copy ----

/// Starts a zero-copy I/O: the bdev lends buffers holding `num_blocks` from
/// `offset_blocks` (with their data if `populate`); `cb` is called with the
/// bdev_io, whose buffers `spdk_bdev_io_get_iovec` then shows (`iov`, if
/// given, receives them). End it with `spdk_bdev_zcopy_end`. `-EINVAL` out
/// of range, `-EBADF` to write (`populate` false) through a read-only
/// descriptor, `-ENOTSUP` if the bdev has no zero-copy, `-ENOMEM` when no
/// bdev_io is free.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn spdk_bdev_zcopy_start(
    desc_: *mut spdk_bdev_desc,
    ch: *mut spdk_io_channel,
    iov: *mut libc::iovec,
    iovcnt: c_int,
    offset_blocks: u64,
    num_blocks: u64,
    populate: bool,
    cb: spdk_bdev_io_completion_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        if desc(desc_).is_none() || ch.is_null() {
            return -libc::EINVAL;
        }
        bdev::zcopy::start(desc_.cast(), ch, iov, iovcnt, offset_blocks, num_blocks, populate, cb, cb_arg).map_or_else(|e| -e.errno(), |_| 0)
    })
}

/// Ends a zero-copy I/O whose start succeeded; `commit` writes the lent
/// buffers back to the blocks. `cb` runs when done, then free the bdev_io.
/// `-EINVAL` if it is not a started zero-copy I/O.
#[no_mangle]
pub extern "C" fn spdk_bdev_zcopy_end(bdev_io: *mut spdk_bdev_io, commit: bool, cb: spdk_bdev_io_completion_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || bdev::zcopy::end(bdev_io, commit, cb, cb_arg).map_or_else(|e| -e.errno(), |_| 0))
}

/// When the I/O was submitted, in ticks (`spdk_get_ticks`).
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_io_get_submit_tsc(bdev_io: *mut spdk_bdev_io) -> u64 {
    if bdev_io.is_null() {
        return 0;
    }
    crate::bdev::io::submit_tsc(bdev_io)
}

/// The separate metadata buffer of a block I/O (NULL if none).
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_io_get_md_buf(bdev_io: *mut spdk_bdev_io) -> *mut c_void {
    if bdev_io.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: a live I/O with block parameters.
    unsafe { (*bdev_io).u.bdev.md_buf }
}
