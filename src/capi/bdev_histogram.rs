//! The latency histograms of `spdk/bdev.h` (the histogram library itself,
//! `spdk/histogram_data.h`, is static inline in the header).

use super::bdev_types::*;
use super::thread::spdk_io_channel;
use super::{guard, SendPtr};
use crate::bdev::{self, histogram};
use std::ffi::c_void;
use std::mem::{offset_of, size_of};

/// Fills `opts` (of `size` bytes as the caller knows it) with the defaults:
/// every I/O type, granularity 7, no bounds.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_enable_histogram_opts_init(opts: *mut spdk_bdev_enable_histogram_opts, size: usize) {
    guard((), || {
        if opts.is_null() || size == 0 {
            return;
        }
        let d = histogram::Opts::default();
        let full = spdk_bdev_enable_histogram_opts {
            size,
            min_nsec: d.min_nsec,
            max_nsec: d.max_nsec,
            io_type: d.io_type,
            granularity: d.granularity as u8,
        };
        let n = size.min(size_of::<spdk_bdev_enable_histogram_opts>());
        // SAFETY: the caller's struct holds `size` bytes; we write at most as many (packed: byte copy).
        unsafe { std::ptr::copy_nonoverlapping(&full as *const _ as *const u8, opts as *mut u8, n) };
    })
}

/// Reads the fields the caller's `opts` has (by its `size`), defaults for the rest.
fn read_opts(opts: *const spdk_bdev_enable_histogram_opts) -> histogram::Opts {
    let mut o = histogram::Opts::default();
    if opts.is_null() {
        return o;
    }
    // SAFETY: the caller's struct starts with its size.
    let size = unsafe { std::ptr::read_unaligned(opts as *const usize) };
    let has = |off: usize, len: usize| off + len <= size;
    let base = opts as *const u8;
    // SAFETY: every read below is inside the `size` bytes the caller declared.
    unsafe {
        if has(offset_of!(spdk_bdev_enable_histogram_opts, min_nsec), 8) {
            o.min_nsec = std::ptr::read_unaligned(base.add(offset_of!(spdk_bdev_enable_histogram_opts, min_nsec)) as *const u64);
        }
        if has(offset_of!(spdk_bdev_enable_histogram_opts, max_nsec), 8) {
            o.max_nsec = std::ptr::read_unaligned(base.add(offset_of!(spdk_bdev_enable_histogram_opts, max_nsec)) as *const u64);
        }
        if has(offset_of!(spdk_bdev_enable_histogram_opts, io_type), 1) {
            o.io_type = *base.add(offset_of!(spdk_bdev_enable_histogram_opts, io_type));
        }
        if has(offset_of!(spdk_bdev_enable_histogram_opts, granularity), 1) {
            o.granularity = *base.add(offset_of!(spdk_bdev_enable_histogram_opts, granularity)) as u32;
        }
    }
    o
}

fn enable(b: *mut spdk_bdev, cb: spdk_bdev_histogram_status_cb, cb_arg: *mut c_void, on: bool, opts: histogram::Opts) {
    let arg = SendPtr(cb_arg);
    let call = move |status: i32| {
        let arg = arg;
        if let Some(f) = cb {
            // SAFETY: the caller's completion with its own context.
            unsafe { f(arg.0, status) };
        }
    };
    if b.is_null() || !bdev::is_registered(b) {
        call(-libc::ENODEV);
        return;
    }
    if let Err(e) = histogram::enable(b, on.then_some(opts), Box::new(call)) {
        crate::log::error(format_args!("spdk_bdev_histogram_enable: {e}\n"));
        let status = match e {
            bdev::BdevError::Busy(_) => -libc::EAGAIN,
            e => -e.errno(),
        };
        call(status);
    }
}

/// Turns latency histograms of `bdev` on or off (every I/O type, default shape).
#[no_mangle]
pub extern "C" fn spdk_bdev_histogram_enable(bdev_: *mut spdk_bdev, cb_fn: spdk_bdev_histogram_status_cb, cb_arg: *mut c_void, enable_: bool) {
    guard((), || enable(bdev_, cb_fn, cb_arg, enable_, histogram::Opts::default()))
}

/// Turns latency histograms of `bdev` on (with `opts`) or off.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_histogram_enable_ext(
    bdev_: *mut spdk_bdev,
    cb_fn: spdk_bdev_histogram_status_cb,
    cb_arg: *mut c_void,
    enable_: bool,
    opts: *mut spdk_bdev_enable_histogram_opts,
) {
    guard((), || enable(bdev_, cb_fn, cb_arg, enable_, read_opts(opts)))
}

/// Adds the histograms of every channel of `bdev` into `histogram` (which
/// must have the shape they were enabled with); `cb_fn(cb_arg, status,
/// histogram)` runs on this thread.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_histogram_get(bdev_: *mut spdk_bdev, histogram_: *mut spdk_histogram_data, cb_fn: spdk_bdev_histogram_data_cb, cb_arg: *mut c_void) {
    guard((), || {
        let (arg, h) = (SendPtr(cb_arg), SendPtr(histogram_.cast()));
        let call = move |status: i32| {
            let (arg, h) = (arg, h);
            if let Some(f) = cb_fn {
                // SAFETY: the caller's completion with its own context and histogram.
                unsafe { f(arg.0, status, h.0.cast()) };
            }
        };
        if histogram_.is_null() {
            return call(-libc::EINVAL);
        }
        if bdev_.is_null() || !bdev::is_registered(bdev_) {
            return call(-libc::ENODEV);
        }
        if let Err(e) = histogram::get(bdev_, histogram_, Box::new(call)) {
            crate::log::error(format_args!("spdk_bdev_histogram_get: {e}\n"));
            call(-e.errno());
        }
    })
}

/// The histogram of one channel: `cb_fn(cb_arg, 0, histogram)` at once, or
/// `-EFAULT` and NULL when histograms are off.
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_channel_get_histogram(ch: *mut spdk_io_channel, cb_fn: spdk_bdev_histogram_data_cb, cb_arg: *mut c_void) {
    guard((), || {
        let Some(f) = cb_fn else { return };
        let h = if ch.is_null() { None } else { histogram::of_channel(ch) };
        // SAFETY: the caller's completion with its own context.
        unsafe {
            match h {
                Some(h) => f(cb_arg, 0, h),
                None => f(cb_arg, -libc::EFAULT, std::ptr::null_mut()),
            }
        }
    })
}
