//! The controller-state part of `spdk/nvmf_transport.h`: a transport reads
//! a controller's properties (`spdk_nvmf_ctrlr_get_regs`), saves and
//! restores its state for live migration
//! (`spdk_nvmf_ctrlr_save_migr_data` / `_restore_migr_data`, subsystem
//! paused), raises Error Status asynchronous events and aborts the AERs
//! the controller holds. The logic is in [`crate::nvmf::ctrlr`]; this file
//! only converts the C layouts.
//!
//! The C declarations (with SPDK's unions and enums) are hand-written in
//! `src/capi/raw_late/nvmf_transport.h`, so cbindgen skips these functions.

use super::guard;
use super::nvmf_transport::spdk_nvmf_ctrlr;
use crate::nvmf::ctrlr::{self as core, Ctrlr, Registers};
use crate::nvmf::features::FeatDwords;
use std::ffi::c_int;
use std::mem::{offset_of, size_of};

/// Opaque in Rust: `struct spdk_nvmf_registers` (C definition in raw_late).
pub struct spdk_nvmf_registers {
    _private: [u8; 0],
}
/// Opaque in Rust: `struct spdk_nvmf_ctrlr_migr_data`.
pub struct spdk_nvmf_ctrlr_migr_data {
    _private: [u8; 0],
}

const MAX_PENDING: usize = core::MAX_PENDING_EVENTS;
const MAX_AERS: usize = crate::nvmf::identify::MAX_ASYNC_EVENTS as usize;

/// `struct spdk_nvmf_ctrlr_migr_data`, 4096 bytes.
#[repr(C)]
struct MigrData {
    data_size: u32,
    regs_size: u32,
    feat_size: u32,
    reserved: u32,
    regs: Registers,
    regs_reserved: [u8; 216],
    feat: FeatDwords,
    feat_reserved: [u8; 216],
    cntlid: u16,
    acre: u8,
    num_aer_cids: u8,
    num_async_events: u32,
    async_events: [u32; MAX_PENDING],
    aer_cids: [u16; MAX_AERS],
    notice_aen_mask: u64,
    unused: [u8; 2516],
}
const _: () = assert!(size_of::<MigrData>() == 4096);
const _: () = assert!(offset_of!(MigrData, regs) - offset_of!(MigrData, data_size) == 16);
const _: () = assert!(offset_of!(MigrData, feat) - offset_of!(MigrData, regs) == 256);
const _: () = assert!(offset_of!(MigrData, cntlid) - offset_of!(MigrData, feat) == 256);
const _: () = assert!(offset_of!(MigrData, notice_aen_mask) == 1568);

/// What this version fills: everything up to `unused`.
const DATA_SIZE: usize = offset_of!(MigrData, unused);

fn ctrlr_of(p: *mut spdk_nvmf_ctrlr) -> Option<std::sync::Arc<Ctrlr>> {
    core::by_ptr(p as *const Ctrlr)
}

/// The controller's current properties. The pointer stays valid for the
/// controller's life; its values are refreshed by each call.
///
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ctrlr_get_regs(ctrlr: *mut spdk_nvmf_ctrlr) -> *const spdk_nvmf_registers {
    guard(std::ptr::null(), || match ctrlr_of(ctrlr) {
        Some(c) => c.regs_ptr() as *const spdk_nvmf_registers,
        None => std::ptr::null(),
    })
}

/// Saves the controller's state (subsystem paused, on its admin thread):
/// 0, -EBUSY if the subsystem is not paused, -EPERM off the admin thread,
/// -EINVAL for NULL.
///
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ctrlr_save_migr_data(ctrlr: *mut spdk_nvmf_ctrlr, data: *mut spdk_nvmf_ctrlr_migr_data) -> c_int {
    guard(-libc::EINVAL, || {
        let Some(c) = ctrlr_of(ctrlr) else { return -libc::EINVAL };
        if data.is_null() {
            return -libc::EINVAL;
        }
        let m = match c.save_state() {
            Ok(m) => m,
            Err(e) => return -e.errno(),
        };
        // SAFETY: the caller's 4096-byte structure (any alignment of 8 it was declared with).
        let d = unsafe { &mut *(data as *mut MigrData) };
        d.data_size = DATA_SIZE as u32;
        d.regs_size = size_of::<Registers>() as u32;
        d.feat_size = size_of::<FeatDwords>() as u32;
        d.reserved = 0;
        d.regs = m.regs;
        d.regs_reserved = [0; 216];
        d.feat = m.feat;
        d.feat_reserved = [0; 216];
        d.cntlid = m.cntlid;
        d.acre = u8::from(m.acre);
        d.num_aer_cids = m.aer_cids.len().min(MAX_AERS) as u8;
        d.aer_cids = [0; MAX_AERS];
        for (slot, cid) in d.aer_cids.iter_mut().zip(&m.aer_cids) {
            *slot = *cid;
        }
        d.num_async_events = m.events.len().min(MAX_PENDING) as u32;
        d.async_events = [0; MAX_PENDING];
        for (slot, ev) in d.async_events.iter_mut().zip(&m.events) {
            *slot = *ev;
        }
        d.notice_aen_mask = m.notice_aen_mask;
        0
    })
}

/// Copies the first `n` bytes of `src` over `dst` (a `#[repr(C)]` plain-data value).
fn overlay<T: Copy>(dst: &mut T, src: &T, n: usize) {
    let n = n.min(size_of::<T>());
    // SAFETY: both are valid values of T, plain integers only (every byte pattern is valid).
    unsafe { std::ptr::copy_nonoverlapping(src as *const T as *const u8, dst as *mut T as *mut u8, n) };
}

/// Restores a saved state (subsystem paused, on its admin thread): only
/// what `data_size`, `regs_size` and `feat_size` cover is taken, the rest
/// keeps its current value; sizes above this version's get -EINVAL. The
/// AERs are not restored (the transport executes them again) and the
/// controller keeps its ID.
///
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ctrlr_restore_migr_data(ctrlr: *mut spdk_nvmf_ctrlr, data: *const spdk_nvmf_ctrlr_migr_data) -> c_int {
    guard(-libc::EINVAL, || {
        let Some(c) = ctrlr_of(ctrlr) else { return -libc::EINVAL };
        if data.is_null() {
            return -libc::EINVAL;
        }
        // SAFETY: the caller's structure.
        let d = unsafe { &*(data as *const MigrData) };
        let (data_size, regs_size, feat_size) = (d.data_size as usize, d.regs_size as usize, d.feat_size as usize);
        if data_size > DATA_SIZE || regs_size > size_of::<Registers>() || feat_size > size_of::<FeatDwords>() {
            crate::log::error(format_args!(
                "nvmf: migration data of controller {}: sizes {data_size}/{regs_size}/{feat_size} above this version's {DATA_SIZE}/{}/{}\n",
                c.cntlid,
                size_of::<Registers>(),
                size_of::<FeatDwords>()
            ));
            return -libc::EINVAL;
        }
        // Start from the current state; take what the given sizes cover.
        let mut m = c.state_now();
        let covers = |off: usize, len: usize| off + len <= data_size;
        let regs_n = regs_size.min(data_size.saturating_sub(offset_of!(MigrData, regs)));
        overlay(&mut m.regs, &d.regs, regs_n);
        let feat_n = feat_size.min(data_size.saturating_sub(offset_of!(MigrData, feat)));
        overlay(&mut m.feat, &d.feat, feat_n);
        if covers(offset_of!(MigrData, acre), 1) {
            m.acre = d.acre != 0;
        }
        if covers(offset_of!(MigrData, async_events), size_of::<[u32; MAX_PENDING]>()) {
            let n = (d.num_async_events as usize).min(MAX_PENDING);
            m.events = d.async_events[..n].to_vec();
        }
        if covers(offset_of!(MigrData, notice_aen_mask), 8) {
            m.notice_aen_mask = d.notice_aen_mask;
        }
        match c.restore_state(&m) {
            Ok(()) => 0,
            Err(e) => -e.errno(),
        }
    })
}

/// Raises an Asynchronous Event of type Error Status with `info` (log
/// page Error Information): a held AER gets it, or it waits for one.
/// 0, or -ENOSPC when 256 events wait already.
///
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ctrlr_async_event_error_event(ctrlr: *mut spdk_nvmf_ctrlr, info: u32) -> c_int {
    guard(-libc::EINVAL, || {
        let Some(c) = ctrlr_of(ctrlr) else { return -libc::EINVAL };
        let Ok(info) = u8::try_from(info) else { return -libc::EINVAL };
        match core::error_event(&c, info) {
            Ok(()) => 0,
            Err(e) => -e.errno(),
        }
    })
}

/// Completes every AER the controller holds with Command Abort Requested.
///
/// cbindgen:ignore
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ctrlr_abort_aer(ctrlr: *mut spdk_nvmf_ctrlr) {
    guard((), || {
        if let Some(c) = ctrlr_of(ctrlr) {
            core::abort_aers(&c);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_spdk() {
        assert_eq!(DATA_SIZE, 1576);
        assert_eq!(offset_of!(MigrData, async_events), 536);
        assert_eq!(offset_of!(MigrData, aer_cids), 1560);
    }

    #[test]
    fn overlay_takes_a_prefix() {
        let mut a = Registers { cap: 1, vs: 2, cc: 3, csts: 4, ..Default::default() };
        let b = Registers { cap: 9, vs: 8, cc: 7, csts: 6, ..Default::default() };
        overlay(&mut a, &b, 12);
        assert_eq!((a.cap, a.vs, a.cc, a.csts), (9, 8, 3, 4));
    }
}
