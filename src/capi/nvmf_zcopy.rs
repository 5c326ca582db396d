//! Zero copy for transports plugged in through `spdk/nvmf_transport.h`:
//! `spdk_nvmf_request_zcopy_start` and `spdk_nvmf_request_zcopy_end`.
//!
//! A transport that wants a Read or Write to use the namespace's bdev's own
//! buffers (instead of pool buffers) sets `req->zcopy_phase` to
//! `NVMF_ZCOPY_PHASE_INIT` and calls `spdk_nvmf_request_zcopy_start`. The
//! command gets the checks of any I/O (namespace, reservation, a paused
//! subsystem holds it, LBA range, SGL length); then the bdev lends its
//! buffers (`spdk_bdev_zcopy_start`, populated for a Read). The transport's
//! req_complete sees either phase EXECUTE with `iov`/`iovcnt` the bdev's
//! buffers and `zcopy_bdev_io` set, or phase INIT_FAILED with the error in
//! `rsp`. In EXECUTE it moves the data (writes it into the buffers, or sends
//! them) and calls `spdk_nvmf_request_zcopy_end` (commit for a Write); its
//! req_complete sees phase COMPLETE with the bdev's status.
//!
//! SPDK decides eligibility in its transports (an internal helper sets
//! INIT only for a plain Read or Write on an I/O queue of a transport with
//! `zcopy`, to a namespace whose bdev lends buffers), so it has no status
//! for an ineligible start. rspdk's transports set INIT themselves: a start
//! that is not eligible fails (INIT_FAILED) with Invalid Field in Command
//! (02h, DNR), after the namespace and reservation checks for the last
//! case. A request the target cannot take (no connection, closing, its
//! queue full) fails with Command Sequence Error (0Ch, DNR).

use super::guard;
use super::nvmf_transport::{conn_of, log_err, spdk_nvmf_request, CRequest, ZCOPY_EXECUTE, ZCOPY_INIT, ZCOPY_INIT_FAILED};
use crate::nvme::spec::Cpl;

/// Start the zero-copy Read or Write `req` (phase INIT): the transport's
/// req_complete follows with phase EXECUTE or INIT_FAILED.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_request_zcopy_start(req: *mut spdk_nvmf_request) {
    guard((), || {
        let r = req as *mut CRequest;
        // SAFETY: the transport's request (or NULL), on its queue pair's thread.
        let Some(rr) = (unsafe { r.as_mut() }) else { return };
        if rr.zcopy_phase != ZCOPY_INIT || rr.qpair.is_null() || rr.cmd.is_null() {
            log_err("spdk_nvmf_request_zcopy_start", format!("the request is not in phase INIT (phase {}) or has no queue pair or command", rr.zcopy_phase));
            return;
        }
        // SAFETY: the request's command capsule, set by the transport.
        let cmd = unsafe { rr.cmd.read_unaligned() };
        let ran = match conn_of(rr.qpair) {
            // SAFETY: our live connection for the queue pair and its group, on this thread.
            Some(q) => unsafe {
                let g = (*q).group;
                (*q).c.ext_zcopy_start(&mut *g, cmd, rr.length, r as usize)
            },
            None => false,
        };
        if !ran {
            // SAFETY: not handed over: still the caller's request.
            unsafe {
                (*r).zcopy_phase = ZCOPY_INIT_FAILED;
                answer_now(r, 0x0c);
            }
        }
    })
}

/// End the zero-copy request `req` (phase EXECUTE): `commit` writes its
/// buffers to the blocks (a Write), else they go back unchanged (a Read).
/// The transport's req_complete follows with phase COMPLETE.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_request_zcopy_end(req: *mut spdk_nvmf_request, commit: bool) {
    guard((), || {
        let r = req as *mut CRequest;
        // SAFETY: the transport's request (or NULL), on its queue pair's thread.
        let Some(rr) = (unsafe { r.as_mut() }) else { return };
        if rr.zcopy_phase != ZCOPY_EXECUTE {
            log_err("spdk_nvmf_request_zcopy_end", format!("the request is not in phase EXECUTE (phase {})", rr.zcopy_phase));
            return;
        }
        rr.zcopy_phase = super::nvmf_transport::ZCOPY_END_PENDING;
        // SAFETY: our live connection for the queue pair, on this thread;
        // the request may be answered (and reused) before this returns.
        let ended = conn_of(rr.qpair).is_some_and(|q| unsafe { (*q).c.ext_zcopy_end(r as usize, commit) });
        if !ended {
            // SAFETY: not handed over: still the caller's request.
            unsafe { (*r).zcopy_phase = ZCOPY_EXECUTE };
            log_err("spdk_nvmf_request_zcopy_end", "no started zero-copy request of a connected queue pair");
        }
    })
}

/// `spdk_nvmf_request_exec` of a request in a zero-copy phase other than
/// NONE or INIT: one in EXECUTE (or ending) is the transport's until
/// `spdk_nvmf_request_zcopy_end` and is left alone; one that completed
/// (COMPLETE, INIT_FAILED) and was not reset to NONE is answered with
/// Command Sequence Error (0Ch).
pub(super) fn refuse_exec(r: *mut CRequest) {
    // SAFETY: the transport's live request, on its queue pair's thread.
    let phase = unsafe { (*r).zcopy_phase };
    log_err("spdk_nvmf_request_exec", format!("a request in zero-copy phase {phase} (end one in EXECUTE with spdk_nvmf_request_zcopy_end; set NONE before reusing one)"));
    if phase == ZCOPY_EXECUTE || phase == super::nvmf_transport::ZCOPY_END_PENDING {
        return;
    }
    // SAFETY: as above.
    unsafe { answer_now(r, 0x0c) };
}

/// Answers `r` at once with generic status `sc` (DNR) through the
/// transport's req_complete.
///
/// # Safety
/// `r` is the transport's live request with its queue pair, on its thread.
unsafe fn answer_now(r: *mut CRequest, sc: u8) {
    // SAFETY: per the contract.
    unsafe {
        let cid = if (*r).cmd.is_null() { 0 } else { (*r).cmd.read_unaligned().cid() };
        let cpl = Cpl { cid, status: (u16::from(sc) << 1) | (1 << 15), ..Default::default() };
        if !(*r).rsp.is_null() {
            (*r).rsp.write_unaligned(cpl);
        }
        let qp = (*r).qpair;
        if qp.is_null() || (*qp).transport.is_null() {
            return;
        }
        if let Some(f) = (*(*(*qp).transport).ops).req_complete {
            f(r);
        }
    }
}
