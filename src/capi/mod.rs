//! The C ABI: one file per SPDK header, each a thin layer over the Rust core.
//! cbindgen turns the `#[no_mangle] extern "C"` items here into
//! `include/rspdk.h`. Every entry point runs inside [`guard`], so a Rust
//! panic becomes an error return (and a log line), never an unwind into C.

#![allow(non_camel_case_types, clippy::missing_safety_doc)]

pub mod bdev;
pub mod bdev_examine;
pub mod bdev_histogram;
pub mod bdev_part;
pub mod bdev_types;
pub mod env;
pub mod event;
pub mod json;
pub mod log;
pub mod nvme;
pub mod nvme_spec;
pub mod nvme_types;
pub mod nvmf;
pub mod nvmf_ctrlr;
pub mod nvmf_transport;
pub mod nvmf_transport_rpc;
pub mod nvmf_zcopy;
pub mod rpc;
pub mod shim;
pub mod sock;
pub mod thread;
pub mod util;

use std::ffi::{c_char, CStr};

/// Runs `f`, turning a panic into `default`.
pub(crate) fn guard<R>(default: R, f: impl FnOnce() -> R) -> R {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            crate::log::error(format_args!("rspdk: internal error (panic) caught at the C boundary\n"));
            default
        }
    }
}

/// Borrows a C string as UTF-8; None for NULL or invalid UTF-8.
///
/// # Safety
/// `p` must be NULL or a valid NUL-terminated string that outlives the borrow.
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        None
    } else {
        // SAFETY: per the contract.
        unsafe { CStr::from_ptr(p) }.to_str().ok()
    }
}

/// A raw pointer the caller promises may cross threads (C callback contexts).
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub *mut std::ffi::c_void);
// SAFETY: C API contract: callback contexts are the application's to synchronise.
unsafe impl Send for SendPtr {}
// SAFETY: as above.
unsafe impl Sync for SendPtr {}

#[cfg(test)]
mod tests {
    #[test]
    fn panics_stop_at_the_boundary() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = super::guard(-libc::EFAULT, || -> i32 { panic!("internal bug") });
        std::panic::set_hook(prev);
        assert_eq!(r, -libc::EFAULT);
        assert_eq!(super::guard(0, || 7), 7);
    }
}
