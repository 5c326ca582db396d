//! NVM command set I/O of the target, passed to the namespace's bdev on
//! the qpair's thread: Read, Write, Compare, fused Compare-and-Write,
//! Flush, Write Zeroes, Dataset Management (deallocate), and the
//! reservation commands.

use crate::bdev::io::{self as bio, Extra, Request, SubmitError};
use crate::bdev::zcopy;
use crate::capi::bdev_types::{spdk_bdev_io, spdk_bdev_io_type, spdk_bdev_io_wait_entry};
use crate::nvme::spec::nvm as opc;
use crate::nvmf::group::{NsEntry, PollGroup};
use crate::nvmf::tcp::qpair::{Conn, Dir, Exec, Req, TcpQpair};
use std::ffi::c_void;

const SC_INVALID_OPCODE: u8 = 0x01;
const SC_INVALID_FIELD: u8 = 0x02;
const SC_DATA_TRANSFER_ERROR: u8 = 0x04;
const SC_INTERNAL_DEVICE_ERROR: u8 = 0x06;
const SC_FUSED_FAILED: u8 = 0x09;
const SC_FUSED_MISSING: u8 = 0x0a;
const SC_INVALID_NAMESPACE: u8 = 0x0b;
const SC_DATA_SGL_LENGTH_INVALID: u8 = 0x0f;
const SC_LBA_OUT_OF_RANGE: u8 = 0x80;
const SC_NS_NOT_READY: u8 = 0x82;

/// Reservation commands.
pub const OPC_RESERVATION_REGISTER: u8 = 0x0d;
pub const OPC_RESERVATION_REPORT: u8 = 0x0e;
pub const OPC_RESERVATION_ACQUIRE: u8 = 0x11;
pub const OPC_RESERVATION_RELEASE: u8 = 0x15;

fn fail(r: &mut Req, sc: u8) -> Exec {
    r.status(0, sc);
    r.dnr();
    Exec::Done
}

/// Executes I/O command `idx` of `q`.
pub fn execute(q: &mut Conn, g: &mut PollGroup, idx: u16) -> Exec {
    let ns_tbl = q.ns;
    let nsid = q.reqs[idx as usize].cmd.nsid;
    let fuse = q.reqs[idx as usize].cmd.fuse();
    // The second half of a fused pair goes with the first.
    if fuse == 2 {
        return fused_second(q, g, idx);
    }
    if let Some(p) = q.fused_first.take() {
        // A first fused command must be followed at once by its second.
        let pr = &mut q.reqs[p as usize];
        pr.status(0, SC_FUSED_MISSING);
        // SAFETY: a live request of this qpair, counted outstanding.
        unsafe { TcpQpair::complete(pr) };
    }
    if ns_tbl.is_null() {
        return fail(&mut q.reqs[idx as usize], SC_INVALID_NAMESPACE);
    }
    // SAFETY: the subsystem's table on this group outlives its qpairs here.
    let Some(ns) = (unsafe { &mut *ns_tbl }).get(nsid) else {
        return fail(&mut q.reqs[idx as usize], SC_INVALID_NAMESPACE);
    };
    let ns = ns as *mut NsEntry;
    let op = q.reqs[idx as usize].cmd.opc();
    // SAFETY: the namespace entry lives while the table does.
    let ns = unsafe { &mut *ns };
    if fuse == 1 {
        if op != opc::COMPARE {
            return fail(&mut q.reqs[idx as usize], SC_INVALID_FIELD);
        }
        // Held until the write arrives.
        q.fused_first = Some(idx);
        return Exec::Pending;
    }
    if let Some(ctrlr) = q.ctrlr.as_ref() {
        if let Err(sc) = super::ctrlr::reservation_check(ctrlr, nsid, op) {
            let r = &mut q.reqs[idx as usize];
            r.status(0, sc);
            return Exec::Done;
        }
    }
    let r = &mut q.reqs[idx as usize];
    match op {
        opc::READ | opc::WRITE | opc::COMPARE => rw(r, ns, op),
        opc::FLUSH => submit(r, ns, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_FLUSH, 0, ns.num_blocks, false),
        opc::WRITE_ZEROES => {
            let Some((slba, nlb)) = range(r, ns) else { return Exec::Done };
            submit(r, ns, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE_ZEROES, slba, nlb, false)
        }
        opc::DATASET_MANAGEMENT => dsm(r, ns),
        OPC_RESERVATION_REGISTER | OPC_RESERVATION_ACQUIRE | OPC_RESERVATION_RELEASE | OPC_RESERVATION_REPORT => super::ctrlr::reservation_cmd(q, idx, nsid),
        _ => fail(r, SC_INVALID_OPCODE),
    }
}

/// Starting LBA and block count of a read/write-like command, checked against the namespace.
fn range(r: &mut Req, ns: &NsEntry) -> Option<(u64, u64)> {
    let slba = u64::from(r.cmd.cdw10) | (u64::from(r.cmd.cdw11) << 32);
    let nlb = u64::from(r.cmd.cdw12 & 0xffff) + 1;
    if slba.checked_add(nlb).map_or(true, |e| e > ns.num_blocks) {
        r.status(0, SC_LBA_OUT_OF_RANGE);
        r.dnr();
        return None;
    }
    Some((slba, nlb))
}

fn rw(r: &mut Req, ns: &mut NsEntry, op: u8) -> Exec {
    let Some((slba, nlb)) = range(r, ns) else { return Exec::Done };
    let bytes = nlb * u64::from(ns.block_size);
    let want_dir = if op == opc::READ { Dir::C2H } else { Dir::H2C };
    if r.dir != want_dir || u64::from(r.len) < bytes {
        return fail(r, SC_DATA_SGL_LENGTH_INVALID);
    }
    r.set_len(bytes as usize);
    r.c2h_len = bytes as u32;
    if r.zc {
        if !crate::bdev::io_type_supported(ns.bdev, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY) {
            // Only a plugged-in transport's zero-copy start gets here so:
            // this namespace cannot lend buffers.
            return fail(r, SC_INVALID_FIELD);
        }
        // The bdev lends its buffers: filled for a read, to fill for a write.
        return submit(r, ns, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY, slba, nlb, op == opc::READ);
    }
    let t = match op {
        opc::READ => spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ,
        opc::WRITE => spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE,
        _ => spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_COMPARE,
    };
    submit(r, ns, t, slba, nlb, true)
}

/// Per-request bookkeeping kept in the (otherwise unused for I/O) completion dword 1.
fn sub_pending(r: &mut Req) -> &mut u32 {
    &mut r.cpl.cdw1
}

/// Range `i` of a Dataset Management list: (starting LBA, block count).
fn dsm_range(data: &[u8], i: usize) -> (u64, u64) {
    let d = &data[i * 16..i * 16 + 16];
    let nlb = u64::from(u32::from_le_bytes([d[4], d[5], d[6], d[7]]));
    let slba = u64::from_le_bytes([d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]]);
    (slba, nlb)
}

fn dsm(r: &mut Req, ns: &mut NsEntry) -> Exec {
    const AD: u32 = 1 << 2;
    if r.cmd.cdw11 & AD == 0 {
        // Only deallocate has an effect; the attributes are hints.
        return Exec::Done;
    }
    let nr = (r.cmd.cdw10 & 0xff) as usize + 1;
    if r.dir != Dir::H2C || (r.len as usize) < nr * 16 {
        return fail(r, SC_DATA_SGL_LENGTH_INVALID);
    }
    // The range list, wherever its buffers lie (at most 4 KiB).
    let list = r.gather(nr * 16);
    // All ranges are checked before any is deallocated.
    let mut count = 0u32;
    for i in 0..nr {
        let (slba, nlb) = dsm_range(&list, i);
        if nlb == 0 {
            continue;
        }
        if slba.checked_add(nlb).map_or(true, |e| e > ns.num_blocks) {
            return fail(r, SC_LBA_OUT_OF_RANGE);
        }
        count += 1;
    }
    if count == 0 || !crate::bdev::io_type_supported(ns.bdev, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP) {
        // Deallocation is advisory: a bdev without unmap keeps the data.
        return Exec::Done;
    }
    *sub_pending(r) = count;
    let ch = ns.channel();
    let rp = r as *mut Req;
    let mut submitted = 0;
    for i in 0..nr {
        let (slba, nlb) = dsm_range(&list, i);
        if nlb == 0 {
            continue;
        }
        let req = Request {
            io_type: spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP,
            iovs: std::ptr::null_mut(),
            iovcnt: 0,
            buf: std::ptr::null_mut(),
            md_buf: std::ptr::null_mut(),
            offset_blocks: slba,
            num_blocks: nlb,
            cb: Some(dsm_done),
            cb_arg: rp.cast(),
        };
        if bio::submit(ns.desc, ch, req).is_err() {
            break;
        }
        submitted += 1;
    }
    let missing = count - submitted;
    if missing > 0 {
        // SAFETY: as above: ranges not submitted are counted out here.
        unsafe {
            (*rp).status(0, SC_INTERNAL_DEVICE_ERROR);
            *sub_pending(&mut *rp) -= missing;
            if *sub_pending(&mut *rp) == 0 {
                // Every submitted range already completed (or none was).
                return Exec::Done;
            }
        }
    }
    Exec::Pending
}

extern "C" fn dsm_done(io: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    let r = arg as *mut Req;
    // SAFETY: the request this unmap belongs to, on its qpair's thread.
    let rr = unsafe { &mut *r };
    if !success {
        set_status_from(rr, io);
    }
    bio::free_io(io);
    *sub_pending(rr) -= 1;
    if *sub_pending(rr) == 0 {
        // SAFETY: as above; the last range.
        unsafe { TcpQpair::complete(r) };
    }
}

fn set_status_from(r: &mut Req, io: *mut spdk_bdev_io) {
    if r.preempted {
        // Aborted (or failed) after a Preempt and Abort took it.
        r.status(0, crate::nvmf::tcp::qpair::SC_ABORTED_PREEMPT);
        return;
    }
    let (_cdw0, sct, sc) = bio::nvme_status(io);
    if sct == 0 && sc == 0 {
        r.status(0, SC_DATA_TRANSFER_ERROR);
    } else {
        r.status(sct as u8, sc as u8);
    }
}

/// Sends a command to the bdev: `t` with its data when `data`; for
/// ZCOPY the start of a zero-copy I/O, populated when `data`.
fn submit(r: &mut Req, ns: &mut NsEntry, t: spdk_bdev_io_type, slba: u64, nlb: u64, data: bool) -> Exec {
    let ch = ns.channel();
    if ch.is_null() {
        return fail(r, SC_NS_NOT_READY);
    }
    let rp = r as *mut Req;
    let sent = if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY {
        zcopy::start(ns.desc, ch, std::ptr::null_mut(), 0, slba, nlb, data, Some(zcopy_started), rp.cast())
    } else {
        bio::submit(ns.desc, ch, rw_request(r, t, slba, nlb, data))
    };
    match sent {
        Ok(()) => Exec::Pending,
        Err(SubmitError::NoMemory) => {
            queue_retry(r, ns, t, slba, nlb, data);
            Exec::Pending
        }
        Err(SubmitError::Unsupported) => fail(r, SC_INVALID_OPCODE),
        Err(SubmitError::Invalid) => fail(r, SC_INVALID_FIELD),
        Err(SubmitError::ReadOnly) => fail(r, SC_INVALID_OPCODE),
    }
}

fn rw_request(r: &mut Req, t: spdk_bdev_io_type, slba: u64, nlb: u64, data: bool) -> Request {
    let rp = r as *mut Req;
    Request {
        io_type: t,
        iovs: if data { r.iovs.as_mut_ptr() } else { std::ptr::null_mut() },
        iovcnt: if data { r.iovs.len() as i32 } else { 0 },
        buf: std::ptr::null_mut(),
        md_buf: std::ptr::null_mut(),
        offset_blocks: slba,
        num_blocks: nlb,
        cb: Some(io_done),
        cb_arg: rp.cast(),
    }
}

/// A zero-copy start came back: on success the request's data is the
/// bdev's buffers (kept until the request is released or committed).
extern "C" fn zcopy_started(io: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    if !success {
        // Failed as any I/O: its status answers the command.
        return io_done(io, false, arg);
    }
    let r = arg as *mut Req;
    // SAFETY: the request of this I/O, on its qpair's thread.
    let rr = unsafe { &mut *r };
    rr.zcopy = io;
    rr.iovs.clear();
    // SAFETY: a started zero-copy I/O: its block parameters name the lent buffers.
    let lent = unsafe { std::slice::from_raw_parts((*io).u.bdev.iovs, (*io).u.bdev.iovcnt.max(0) as usize) };
    rr.iovs.extend_from_slice(lent);
    rr.buf = if lent.len() == 1 { lent[0].iov_base.cast() } else { std::ptr::null_mut() };
    // SAFETY: as above; counted outstanding.
    unsafe { TcpQpair::zcopy_started(r) };
}

/// A zero-copy write's data is all in the bdev's buffers: commits them;
/// the request completes when the bdev is done.
pub fn zcopy_commit(r: &mut Req) {
    zcopy_end(r, true);
}

/// Ends request `r`'s started zero-copy I/O, committing its buffers or
/// not; the request (counted outstanding) completes with the bdev's status
/// when the bdev is done.
pub fn zcopy_end(r: &mut Req, commit: bool) {
    let rp = r as *mut Req;
    let io = std::mem::replace(&mut r.zcopy, std::ptr::null_mut());
    if zcopy::end(io, commit, Some(io_done), rp.cast()).is_err() {
        bio::free_io(io);
        r.status(0, SC_INTERNAL_DEVICE_ERROR);
        // SAFETY: counted outstanding by the caller, on this thread.
        unsafe { TcpQpair::complete(rp) };
    }
}

/// Gives a started zero-copy I/O's buffers back without committing (a
/// read's data is out, or the request ends without its data); the qpair
/// counted it outstanding until the bdev is done.
pub fn zcopy_release(io: *mut spdk_bdev_io, qp: *mut TcpQpair) {
    if zcopy::end(io, false, Some(zcopy_released), qp.cast()).is_err() {
        zcopy_released(io, false, qp.cast());
    }
}

extern "C" fn zcopy_released(io: *mut spdk_bdev_io, _success: bool, arg: *mut c_void) {
    bio::free_io(io);
    // SAFETY: the qpair lives while it has outstanding work, on this thread.
    unsafe { (*(arg as *mut TcpQpair)).c.outstanding -= 1 };
}

/// What a request waiting for a bdev_io will submit.
struct Retry {
    entry: spdk_bdev_io_wait_entry,
    r: *mut Req,
    ns: *mut NsEntry,
    t: spdk_bdev_io_type,
    slba: u64,
    nlb: u64,
    data: bool,
}

fn queue_retry(r: &mut Req, ns: &mut NsEntry, t: spdk_bdev_io_type, slba: u64, nlb: u64, data: bool) {
    let rt = Box::into_raw(Box::new(Retry {
        // SAFETY: an all-zero wait entry is valid before its fields are set.
        entry: unsafe { std::mem::zeroed() },
        r,
        ns,
        t,
        slba,
        nlb,
        data,
    }));
    // SAFETY: ours until the callback.
    unsafe {
        (*rt).entry.bdev = ns.bdev;
        (*rt).entry.cb_fn = Some(retry_cb);
        (*rt).entry.cb_arg = rt.cast();
    }
    r.io_wait = rt.cast();
    // SAFETY: the entry lives in the leaked box until retry_cb.
    if bio::queue_io_wait(ns.channel(), unsafe { &mut (*rt).entry }).is_err() {
        r.io_wait = std::ptr::null_mut();
        // SAFETY: not queued: ours.
        drop(unsafe { Box::from_raw(rt) });
        r.status(0, SC_INTERNAL_DEVICE_ERROR);
        let rp = r as *mut Req;
        // SAFETY: counted outstanding (Pending is returned by the caller);
        // completing from here is the same as a bdev completing at once.
        unsafe { TcpQpair::complete(rp) };
    }
}

extern "C" fn retry_cb(arg: *mut c_void) {
    // SAFETY: the box leaked by queue_retry, used once.
    let rt = unsafe { Box::from_raw(arg as *mut Retry) };
    if rt.r.is_null() {
        // Its request was aborted meanwhile (see `cancel_retry`).
        return;
    }
    // SAFETY: as below: the request still waits for this retry.
    unsafe { (*rt.r).io_wait = std::ptr::null_mut() };
    // SAFETY: the request waits (outstanding) on this thread; its namespace entry lives.
    let (r, ns) = unsafe { (&mut *rt.r, &mut *rt.ns) };
    if let Exec::Done = submit(r, ns, rt.t, rt.slba, rt.nlb, rt.data) {
        // SAFETY: as above.
        unsafe { TcpQpair::complete(rt.r) };
    }
}

/// Cancels the io_wait retry of request `r`, if it has one: the retry
/// will do nothing when the bdev layer calls it. Returns whether it had one
/// (the request then waits in the target and may be completed as aborted).
pub fn cancel_retry(r: &mut Req) -> bool {
    if r.io_wait.is_null() {
        return false;
    }
    let rt = r.io_wait as *mut Retry;
    // SAFETY: the retry box stays allocated until its callback, which
    // clears `io_wait` first; both run on this thread.
    unsafe { (*rt).r = std::ptr::null_mut() };
    r.io_wait = std::ptr::null_mut();
    true
}

extern "C" fn io_done(io: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    let r = arg as *mut Req;
    // SAFETY: the request of this I/O, on its qpair's thread.
    let rr = unsafe { &mut *r };
    if !success {
        set_status_from(rr, io);
    }
    bio::free_io(io);
    // SAFETY: as above.
    unsafe { TcpQpair::complete(r) };
}

/// The write of a fused compare-and-write: both go to the bdev as one
/// compare-and-write; both complete with its outcome.
fn fused_second(q: &mut Conn, _g: &mut PollGroup, idx: u16) -> Exec {
    let Some(first) = q.fused_first.take() else {
        return fail(&mut q.reqs[idx as usize], SC_FUSED_MISSING);
    };
    let ns_tbl = q.ns;
    let (nsid, cmd1, cmd2) = (q.reqs[first as usize].cmd.nsid, q.reqs[first as usize].cmd, q.reqs[idx as usize].cmd);
    let fail_both = |q: &mut Conn, sc: u8| {
        let fr = &mut q.reqs[first as usize];
        fr.status(0, sc);
        // SAFETY: the held first command, counted outstanding.
        unsafe { TcpQpair::complete(fr) };
        fail(&mut q.reqs[idx as usize], sc)
    };
    if cmd2.opc() != opc::WRITE || cmd2.nsid != nsid || cmd1.cdw10 != cmd2.cdw10 || cmd1.cdw11 != cmd2.cdw11 || cmd1.cdw12 & 0xffff != cmd2.cdw12 & 0xffff {
        return fail_both(q, SC_INVALID_FIELD);
    }
    if ns_tbl.is_null() {
        return fail_both(q, SC_INVALID_NAMESPACE);
    }
    // SAFETY: the table outlives its qpairs on this group.
    let Some(ns) = (unsafe { &mut *ns_tbl }).get(nsid) else {
        return fail_both(q, SC_INVALID_NAMESPACE);
    };
    let ns = ns as *mut NsEntry;
    // SAFETY: the entry lives while the table does.
    let ns = unsafe { &mut *ns };
    let r1 = &mut q.reqs[first as usize] as *mut Req;
    let r2 = &mut q.reqs[idx as usize] as *mut Req;
    // SAFETY: two distinct live requests of this qpair.
    let (a, b) = unsafe { (&mut *r1, &mut *r2) };
    let Some((slba, nlb)) = range(a, ns) else {
        let sc = (a.cpl.status >> 1) as u8;
        // SAFETY: as above.
        unsafe { TcpQpair::complete(r1) };
        return fail(b, sc);
    };
    let bytes = (nlb * u64::from(ns.block_size)) as usize;
    if (a.len as usize) < bytes || (b.len as usize) < bytes {
        return fail_both(q, SC_DATA_SGL_LENGTH_INVALID);
    }
    a.set_len(bytes);
    b.set_len(bytes);
    b.fused_partner = Some(first);
    let ch = ns.channel();
    let req = Request {
        io_type: spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE,
        iovs: a.iovs.as_mut_ptr(),
        iovcnt: a.iovs.len() as i32,
        buf: std::ptr::null_mut(),
        md_buf: std::ptr::null_mut(),
        offset_blocks: slba,
        num_blocks: nlb,
        cb: Some(fused_done),
        cb_arg: r2.cast(),
    };
    let x = Extra { fused_iovs: b.iovs.as_mut_ptr(), fused_iovcnt: b.iovs.len() as i32, ..Extra::default() };
    match bio::submit_ext(ns.desc, ch, req, x) {
        Ok(()) => Exec::Pending,
        Err(_) => fail_both(q, SC_INTERNAL_DEVICE_ERROR),
    }
}

extern "C" fn fused_done(io: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    let r2 = arg as *mut Req;
    // SAFETY: the write half, on its qpair's thread; its qpair holds the first half.
    let (qp, first) = unsafe { ((*r2).qp, (*r2).fused_partner.take()) };
    // SAFETY: as above.
    let q = unsafe { &mut (*qp).c };
    let (_cdw0, sct, sc) = bio::nvme_status(io);
    bio::free_io(io);
    // SAFETY: as above.
    let b = unsafe { &mut *r2 };
    if let Some(f) = first {
        let a = &mut q.reqs[f as usize] as *mut Req;
        // SAFETY: the first half, live and outstanding.
        let ar = unsafe { &mut *a };
        if !success {
            if sct == 2 && sc == 0x85 || (sct == 0 && sc == 0) {
                // The compare failed: the write was not done.
                ar.status(2, 0x85);
                b.status(0, SC_FUSED_FAILED);
            } else {
                ar.status(sct as u8, sc as u8);
                b.status(0, SC_FUSED_FAILED);
            }
        }
        // SAFETY: as above.
        unsafe { TcpQpair::complete(a) };
    } else if !success {
        b.status(sct as u8, sc as u8);
    }
    // SAFETY: as above.
    unsafe { TcpQpair::complete(r2) };
}
