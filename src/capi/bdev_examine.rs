//! Module life and examination (`spdk/bdev_module.h`, `spdk/bdev.h`):
//! `spdk_bdev_module_init_done`, `spdk_bdev_module_examine_done`,
//! `spdk_bdev_module_fini_done`, `spdk_bdev_module_fini_start_done`,
//! `spdk_bdev_wait_for_examine`, `spdk_bdev_examine`.

use super::bdev_types::*;
use super::{cstr, guard, SendPtr};
use crate::bdev::modules;
use std::ffi::{c_char, c_int, c_void};

fn report(what: &str, r: Result<(), crate::bdev::BdevError>) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => {
            crate::log::error(format_args!("{what}: {e}\n"));
            -e.errno()
        }
    }
}

/// A module with `async_init` finished its `module_init`.
#[no_mangle]
pub extern "C" fn spdk_bdev_module_init_done(module: *mut spdk_bdev_module) {
    guard((), || {
        if !module.is_null() {
            report("spdk_bdev_module_init_done", modules::action_done(module));
        }
    })
}

/// A module finished examining a bdev (`examine_config`: before returning;
/// `examine_disk`: at any time after).
#[no_mangle]
pub extern "C" fn spdk_bdev_module_examine_done(module: *mut spdk_bdev_module) {
    guard((), || {
        if !module.is_null() {
            report("spdk_bdev_module_examine_done", modules::action_done(module));
        }
    })
}

/// A module with `async_fini` finished its `module_fini`.
#[no_mangle]
pub extern "C" fn spdk_bdev_module_fini_done() {
    guard((), modules::hook_done)
}

/// A module with `async_fini_start` finished its `fini_start`.
#[no_mangle]
pub extern "C" fn spdk_bdev_module_fini_start_done() {
    guard((), modules::hook_done)
}

/// Calls `cb(cb_arg)` on this thread once no module is examining a bdev.
#[no_mangle]
pub extern "C" fn spdk_bdev_wait_for_examine(cb: spdk_bdev_wait_for_examine_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        let Some(f) = cb else { return -libc::EINVAL };
        let arg = SendPtr(cb_arg);
        report(
            "spdk_bdev_wait_for_examine",
            modules::wait_for_examine(Box::new(move || {
                let arg = arg;
                // SAFETY: the caller's callback with its own context.
                unsafe { f(arg.0) }
            })),
        )
    })
}

/// With `bdev_auto_examine` off: lets the modules examine bdev `name`
/// (now, or when it registers).
#[no_mangle]
pub unsafe extern "C" fn spdk_bdev_examine(name: *const c_char) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's string.
        let Some(n) = (unsafe { cstr(name) }) else { return -libc::EINVAL };
        report("spdk_bdev_examine", modules::examine_by_name(n))
    })
}
