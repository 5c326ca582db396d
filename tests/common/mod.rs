//! Helpers shared by the NVMe driver's integration tests.

use rspdk::nvme::spec::Cpl;
use std::ffi::c_void;

/// A command's completion, filled by [`on_done`].
pub struct Slot {
    pub done: bool,
    pub cpl: Cpl,
}

impl Slot {
    pub fn new() -> Slot {
        Slot { done: false, cpl: Cpl::default() }
    }

    pub fn arg(&mut self) -> *mut c_void {
        self as *mut Slot as *mut c_void
    }
}

/// The completion callback for a [`Slot`] passed as the argument.
pub extern "C" fn on_done(arg: *mut c_void, cpl: *const Cpl) {
    // SAFETY: arg is the test's Slot, alive until done.
    let s = unsafe { &mut *(arg as *mut Slot) };
    // SAFETY: valid for the call.
    s.cpl = unsafe { *cpl };
    s.done = true;
}
