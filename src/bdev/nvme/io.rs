//! The nvme bdev's I/O path: one queue pair per thread and controller (the
//! controller's io_channel), bdev I/O turned into NVMe commands, completions
//! reaped by the channel's poller, and the retry queue that holds I/O while
//! a reset has the queue pair down.

use super::{ctrlr_ref, nvme_bdev, send_to, NvmeCtrlr, DELETING, ENABLED, FAILED};
use crate::bdev::io as bio_layer;
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use crate::nvme::ctrlr::IoQpair;
use crate::nvme::qpair::{Payload, SubmitError};
use crate::nvme::spec::{nvm, sc, sct, Cmd, Cpl};
use crate::thread::{self, io_channel as ioch, poller};
use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::sync::atomic::Ordering;

/// Per-I/O state in the bdev_io's driver context.
#[repr(C)]
struct IoCtx {
    /// Scatter list cursor for the driver's SGL callbacks.
    iovs: *mut libc::iovec,
    iovcnt: c_int,
    idx: c_int,
    off: usize,
    retries: u32,
    /// The thread and channel the I/O was submitted on.
    thread: usize,
    ch: *mut NvmeChannel,
    /// A completion from the admin queue, carried to the I/O's own thread.
    cpl: Cpl,
    /// The DSM range slot an unmap holds (-1: none).
    dsm_slot: i32,
}

const _: () = assert!(std::mem::offset_of!(spdk_bdev_io, driver_ctx) % std::mem::align_of::<IoCtx>() == 0);

pub(super) extern "C" fn ctx_size() -> c_int {
    std::mem::size_of::<IoCtx>() as c_int
}

fn ctx_of<'a>(io: *mut spdk_bdev_io) -> &'a mut IoCtx {
    // SAFETY: driver_ctx follows the bdev_io with at least ctx_size() bytes
    // (the pool sizes elements for the largest module context), suitably
    // aligned (checked above); the I/O is ours while the module holds it.
    unsafe { &mut *(std::ptr::addr_of_mut!((*io).driver_ctx) as *mut IoCtx) }
}

/// DSM range slots per channel, each room for 256 ranges of 16 bytes.
const DSM_SLOTS: usize = 32;
const DSM_SLOT_BYTES: usize = 4096;
const DSM_MAX_RANGES: u64 = (DSM_SLOT_BYTES / 16) as u64;

/// One thread's channel of one controller.
pub(super) struct NvmeChannel {
    ctrlr: *const NvmeCtrlr,
    qpair: Option<Box<IoQpair>>,
    poller: *mut poller::Poller,
    /// I/O waiting for the queue pair (a reset under way) or for a retry.
    retry: VecDeque<*mut spdk_bdev_io>,
    dsm: *mut u8,
    dsm_free: Vec<u16>,
}

impl NvmeChannel {
    fn ctrlr<'a>(&self) -> &'a NvmeCtrlr {
        ctrlr_ref(self.ctrlr as usize)
    }
}

pub(super) fn channel_size() -> u32 {
    std::mem::size_of::<NvmeChannel>() as u32
}

fn chan<'a>(ch: *mut spdk_io_channel) -> &'a mut NvmeChannel {
    // SAFETY: channels of a controller's io_device carry an NvmeChannel, used by their own thread.
    unsafe { &mut *(ioch::ctx(ch.cast()) as *mut NvmeChannel) }
}

fn ctrlr_of_dev(dev: *mut c_void) -> usize {
    dev as usize - std::mem::offset_of!(NvmeCtrlr, io_dev)
}

fn new_qpair(c: &NvmeCtrlr) -> Result<Box<IoQpair>, crate::nvme::ctrlr::NvmeError> {
    c.ctrlr.alloc_io_qpair_with(0, c.io_queue_requests, 0)
}

pub(super) extern "C" fn ch_create(dev: *mut c_void, ctx: *mut c_void) -> c_int {
    let p = ctrlr_of_dev(dev);
    let c = ctrlr_ref(p);
    let qpair = if c.state() == ENABLED {
        match new_qpair(c) {
            Ok(q) => Some(q),
            Err(e) => {
                crate::log::error(format_args!("nvme {}: no I/O queue pair for this thread: {e}\n", c.name));
                return -e.errno;
            }
        }
    } else {
        None
    };
    let oncs_dsm = c.oncs() & 4 != 0;
    let dsm = if oncs_dsm { crate::env::mem::alloc(DSM_SLOTS * DSM_SLOT_BYTES, 4096).unwrap_or(std::ptr::null_mut()) } else { std::ptr::null_mut() };
    let dsm_free = if dsm.is_null() { Vec::new() } else { (0..DSM_SLOTS as u16).rev().collect() };
    let chp = ctx as *mut NvmeChannel;
    // SAFETY: ctx is this channel's context of channel_size() bytes.
    unsafe {
        chp.write(NvmeChannel { ctrlr: p as *const NvmeCtrlr, qpair, poller: std::ptr::null_mut(), retry: VecDeque::with_capacity(256), dsm, dsm_free });
    }
    match poller::register(poll, chp.cast(), c.ioq_poll_period_us, Some("nvme_poll_ioq")) {
        // SAFETY: just written.
        Some(pl) => unsafe { (*chp).poller = pl },
        None => {
            // SAFETY: written above, dropped once.
            let ch = unsafe { std::ptr::read(chp) };
            release(ch);
            return -libc::ENOMEM;
        }
    }
    0
}

fn release(mut ch: NvmeChannel) {
    if let Some(q) = ch.qpair.take() {
        ch.ctrlr().ctrlr.free_io_qpair(q);
    }
    if !ch.dsm.is_null() {
        crate::env::mem::free(ch.dsm);
    }
}

pub(super) extern "C" fn ch_destroy(_dev: *mut c_void, ctx: *mut c_void) {
    let chp = ctx as *mut NvmeChannel;
    // SAFETY: written by ch_create; on its own thread.
    let ch = unsafe { &mut *chp };
    poller::unregister(ch.poller);
    if let Some(q) = ch.qpair.take() {
        // Outstanding commands complete as aborted into this channel first.
        ch.ctrlr().ctrlr.free_io_qpair(q);
    }
    fail_waiting(chp);
    // SAFETY: dropped once; nothing refers to the channel any more.
    release(unsafe { std::ptr::read(chp) });
}

/// Completes everything waiting in the retry queue as failed.
fn fail_waiting(chp: *mut NvmeChannel) {
    loop {
        // SAFETY: the channel on its own thread; the callbacks below may submit to it.
        let Some(io) = (unsafe { (*chp).retry.pop_front() }) else { return };
        bio_layer::complete(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED as i32);
    }
}

extern "C" fn poll(arg: *mut c_void) -> c_int {
    let chp = arg as *mut NvmeChannel;
    // SAFETY: the poller's channel, polled on its own thread while it lives.
    let ch = unsafe { &mut *chp };
    let mut n = 0usize;
    if let Some(q) = ch.qpair.as_deref() {
        let q: *const IoQpair = q;
        // SAFETY: the queue pair stays in the channel while completions run
        // (only messages and walks, never callbacks, take it out).
        match unsafe { (*q).process_completions(0) } {
            Ok(k) => n = k,
            Err(_) => {
                // The controller failed: what is outstanding completes as aborted.
                // SAFETY: as above; the callbacks have returned.
                let ch = unsafe { &mut *chp };
                if let Some(q) = ch.qpair.take() {
                    ch.ctrlr().ctrlr.free_io_qpair(q);
                }
            }
        }
    }
    // SAFETY: as above.
    let ch = unsafe { &mut *chp };
    if !ch.retry.is_empty() {
        let st = ch.ctrlr().state();
        if st == DELETING || st == FAILED {
            fail_waiting(chp);
        } else if ch.qpair.is_some() {
            n += resubmit(chp);
        }
    }
    n as c_int
}

/// Sends the I/O waiting in the retry queue (those that still cannot go wait again).
fn resubmit(chp: *mut NvmeChannel) -> usize {
    // SAFETY: the channel on its own thread.
    let count = unsafe { (*chp).retry.len() };
    for _ in 0..count {
        // SAFETY: as above.
        let Some(io) = (unsafe { (*chp).retry.pop_front() }) else { break };
        queue_or_send(chp, io);
    }
    count
}

/// Called on each thread before the controller resets: its queue pair goes
/// (outstanding commands come back aborted and wait to be retried).
pub(super) extern "C" fn disconnect_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands a live iterator on the channel's thread.
    let chp = ioch::ctx(unsafe { (*i).channel() }) as *mut NvmeChannel;
    // SAFETY: the channel on its own thread.
    if let Some(q) = unsafe { (*chp).qpair.take() } {
        // SAFETY: as above.
        unsafe { (*chp).ctrlr() }.ctrlr.free_io_qpair(q);
    }
    ioch::continue_iter(i, 0);
}

/// Called on each thread after the reset: a new queue pair, and the waiting I/O sent.
pub(super) extern "C" fn reconnect_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: as in disconnect_visit.
    let chp = ioch::ctx(unsafe { (*i).channel() }) as *mut NvmeChannel;
    // SAFETY: the channel on its own thread.
    let ch = unsafe { &mut *chp };
    let c = ch.ctrlr();
    if c.state() == ENABLED && ch.qpair.is_none() {
        match new_qpair(c) {
            Ok(q) => ch.qpair = Some(q),
            Err(e) => crate::log::error(format_args!("nvme {}: no I/O queue pair after reset: {e}\n", c.name)),
        }
    }
    if ch.qpair.is_some() {
        resubmit(chp);
    } else {
        fail_waiting(chp);
    }
    ioch::continue_iter(i, 0);
}

pub(super) extern "C" fn io_type_supported(ctx: *mut c_void, t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    let nb = nvme_bdev(ctx);
    let oncs = nb.ctrlr().oncs();
    match t {
        SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_FLUSH | SPDK_BDEV_IO_TYPE_RESET | SPDK_BDEV_IO_TYPE_NVME_ADMIN | SPDK_BDEV_IO_TYPE_NVME_IO => true,
        SPDK_BDEV_IO_TYPE_NVME_IO_MD => nb.ns().md_size > 0,
        SPDK_BDEV_IO_TYPE_COMPARE => oncs & 1 != 0,
        SPDK_BDEV_IO_TYPE_UNMAP => oncs & 4 != 0,
        SPDK_BDEV_IO_TYPE_WRITE_ZEROES => oncs & 8 != 0,
        _ => false,
    }
}

fn status(s: spdk_bdev_io_status) -> i32 {
    s as i32
}

/// Finishes `io` with the controller's completion (its NVMe status kept for
/// `spdk_bdev_io_get_nvme_status`; compare failures are miscompares).
fn complete_cpl(io: *mut spdk_bdev_io, cpl: &Cpl) {
    bio_layer::complete_nvme_status(io, cpl.cdw0, cpl.sct() as i32, cpl.sc() as i32);
}

/// Whether a failed command is worth sending again (its queue went away, or a path error).
fn retryable(cpl: &Cpl) -> bool {
    (cpl.sct() == sct::GENERIC && cpl.sc() == sc::ABORTED_SQ_DELETION) || cpl.sct() == sct::PATH
}

extern "C" fn io_done(arg: *mut c_void, cpl: *const Cpl) {
    let io = arg as *mut spdk_bdev_io;
    let x = ctx_of(io);
    // SAFETY: valid for the call.
    let cpl = unsafe { &*cpl };
    let chp = x.ch;
    // SAFETY: the channel the I/O was submitted on outlives it (destroy aborts into it first).
    let ch = unsafe { &mut *chp };
    if x.dsm_slot >= 0 {
        ch.dsm_free.push(x.dsm_slot as u16);
        x.dsm_slot = -1;
    }
    if cpl.is_error() && retryable(cpl) {
        let c = ch.ctrlr();
        let st = c.state();
        let allowed = c.retry_count < 0 || x.retries < c.retry_count as u32;
        if allowed && st != DELETING && st != FAILED {
            x.retries += 1;
            ch.retry.push_back(io);
            return;
        }
    }
    complete_cpl(io, cpl);
}

extern "C" fn sgl_reset(arg: *mut c_void, offset: u32) {
    let x = ctx_of(arg as *mut spdk_bdev_io);
    x.idx = 0;
    x.off = offset as usize;
    while x.idx < x.iovcnt {
        // SAFETY: idx < iovcnt: one of the I/O's iovecs.
        let len = unsafe { (*x.iovs.add(x.idx as usize)).iov_len };
        if x.off < len {
            break;
        }
        x.off -= len;
        x.idx += 1;
    }
}

extern "C" fn sgl_next(arg: *mut c_void, addr: *mut *mut c_void, len: *mut u32) -> c_int {
    let x = ctx_of(arg as *mut spdk_bdev_io);
    if x.idx >= x.iovcnt {
        return -libc::EINVAL;
    }
    // SAFETY: idx < iovcnt; the out pointers are the driver's.
    unsafe {
        let v = *x.iovs.add(x.idx as usize);
        *addr = (v.iov_base as *mut u8).add(x.off).cast();
        *len = (v.iov_len - x.off).min(u32::MAX as usize) as u32;
    }
    x.idx += 1;
    x.off = 0;
    0
}

fn data_payload(io: *mut spdk_bdev_io, bytes: usize) -> Payload {
    // SAFETY: block I/O parameters are set for reads, writes and compares.
    let (iovs, iovcnt) = unsafe { ((*io).u.bdev.iovs, (*io).u.bdev.iovcnt) };
    if iovcnt == 1 {
        // SAFETY: one iovec.
        let v = unsafe { *iovs };
        return Payload::Contig { buf: v.iov_base.cast(), len: v.iov_len.min(bytes) };
    }
    let x = ctx_of(io);
    x.iovs = iovs;
    x.iovcnt = iovcnt;
    Payload::Sgl { reset: sgl_reset, next: sgl_next, arg: io.cast(), offset: 0, len: bytes }
}

pub(super) extern "C" fn submit_request(ch: *mut spdk_io_channel, io: *mut spdk_bdev_io) {
    use spdk_bdev_io_type::*;
    let chp = chan(ch) as *mut NvmeChannel;
    let x = ctx_of(io);
    x.thread = thread::current() as usize;
    x.ch = chp;
    x.retries = 0;
    x.dsm_slot = -1;
    // SAFETY: the layer hands us a live I/O of one of our bdevs.
    let t = spdk_bdev_io_type::from_raw(unsafe { (*io).r#type } as i32);
    match t {
        Some(SPDK_BDEV_IO_TYPE_RESET) => {
            // SAFETY: as above.
            let c = unsafe { &*chp }.ctrlr;
            let (thread, iop) = (x.thread, io as usize);
            super::reset_ctrlr(
                c as usize,
                Some(Box::new(move |rc| {
                    send_to(thread, move || {
                        let st = if rc == 0 { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED };
                        bio_layer::complete(iop as *mut spdk_bdev_io, status(st));
                    })
                })),
            );
        }
        Some(SPDK_BDEV_IO_TYPE_NVME_ADMIN) => admin_passthru(chp, io),
        Some(_) => queue_or_send(chp, io),
        None => bio_layer::complete(io, status(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED)),
    }
}

/// Sends `io`, or queues it behind others waiting for the queue pair.
fn queue_or_send(chp: *mut NvmeChannel, io: *mut spdk_bdev_io) {
    // SAFETY: the channel on its own thread.
    let ch = unsafe { &mut *chp };
    if ch.qpair.is_none() {
        let st = ch.ctrlr().state();
        if st == DELETING || st == FAILED {
            bio_layer::complete(io, status(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED));
        } else {
            // A reset has the queue pair down: sent when it is back.
            ch.retry.push_back(io);
        }
        return;
    }
    send(chp, io);
}

fn send(chp: *mut NvmeChannel, io: *mut spdk_bdev_io) {
    use spdk_bdev_io_type::*;
    // SAFETY: the channel on its own thread, with a queue pair (checked by the caller).
    let ch = unsafe { &mut *chp };
    let Some(q) = ch.qpair.as_deref() else {
        ch.retry.push_back(io);
        return;
    };
    // SAFETY: a live I/O of one of our bdevs.
    let b = unsafe { &*io };
    let nb = nvme_bdev(crate::bdev::bdev_ref(b.bdev).ctxt);
    let c = nb.ctrlr();
    let ns = nb.ns();
    let arg = io as *mut c_void;
    // SAFETY: block parameters are valid for block I/O types (read below only for those).
    let (lba, nblocks, md) = unsafe { (b.u.bdev.offset_blocks, b.u.bdev.num_blocks, b.u.bdev.md_buf) };
    let bl = crate::bdev::bdev_ref(b.bdev).blocklen as usize;
    let t = spdk_bdev_io_type::from_raw(b.r#type as i32).unwrap_or(SPDK_BDEV_IO_TYPE_INVALID);
    let md = if ns.md_size > 0 && !ns.extended_lba { md as *mut u8 } else { std::ptr::null_mut() };
    let r = match t {
        SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_COMPARE => {
            let opc = match t {
                SPDK_BDEV_IO_TYPE_READ => nvm::READ,
                SPDK_BDEV_IO_TYPE_WRITE => nvm::WRITE,
                _ => nvm::COMPARE,
            };
            match u32::try_from(nblocks) {
                Ok(n) => q.ns_rw(ns, opc, lba, n, data_payload(io, nblocks as usize * bl), md, 0, Some(io_done), arg),
                Err(_) => Err(SubmitError::BadBuffer),
            }
        }
        SPDK_BDEV_IO_TYPE_WRITE_ZEROES => match u32::try_from(nblocks) {
            Ok(n) => q.ns_rw(ns, nvm::WRITE_ZEROES, lba, n, Payload::None, std::ptr::null_mut(), 0, Some(io_done), arg),
            Err(_) => Err(SubmitError::BadBuffer),
        },
        SPDK_BDEV_IO_TYPE_UNMAP => unmap(ch.dsm, &mut ch.dsm_free, q, ns.id, lba, nblocks, io),
        SPDK_BDEV_IO_TYPE_FLUSH => {
            if c.enable_flush && c.has_vwc() {
                q.submit_raw(Cmd::new(nvm::FLUSH, ns.id), Payload::None, Some(io_done), arg)
            } else {
                // Nothing is cached in a volatile cache we are asked to flush.
                bio_layer::complete(io, status(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS));
                return;
            }
        }
        SPDK_BDEV_IO_TYPE_NVME_IO | SPDK_BDEV_IO_TYPE_NVME_IO_MD => {
            // SAFETY: the passthru parameters of an NVME_IO I/O.
            let p = unsafe { b.u.nvme_passthru };
            // SAFETY: spdk_nvme_cmd and Cmd are the same 64-byte layout.
            let mut cmd: Cmd = unsafe { std::ptr::read(std::ptr::addr_of!(p.cmd) as *const Cmd) };
            cmd.nsid = ns.id;
            let payload = if p.nbytes > 0 && !p.buf.is_null() { Payload::Contig { buf: p.buf.cast(), len: p.nbytes } } else { Payload::None };
            let mut ok = true;
            if t == SPDK_BDEV_IO_TYPE_NVME_IO_MD && !p.md_buf.is_null() && p.md_len > 0 {
                cmd.mptr = crate::env::memmap::vtophys(p.md_buf as u64, None);
                ok = cmd.mptr != crate::env::memmap::VTOPHYS_ERROR;
            }
            if ok {
                q.submit_raw(cmd, payload, Some(io_done), arg)
            } else {
                Err(SubmitError::BadBuffer)
            }
        }
        _ => Err(SubmitError::BadBuffer),
    };
    match r {
        Ok(()) => {}
        Err(SubmitError::NoTracker) => {
            let x = ctx_of(io);
            if x.dsm_slot >= 0 {
                ch.dsm_free.push(x.dsm_slot as u16);
                x.dsm_slot = -1;
            }
            bio_layer::complete(io, status(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_NOMEM));
        }
        Err(e) => {
            let x = ctx_of(io);
            if x.dsm_slot >= 0 {
                ch.dsm_free.push(x.dsm_slot as u16);
                x.dsm_slot = -1;
            }
            let sc = if e == SubmitError::Failed { sc::ABORTED_SQ_DELETION } else { sc::INVALID_FIELD };
            let cpl = Cpl::synthetic(sct::GENERIC, sc, e != SubmitError::Failed, q.id(), 0);
            io_done(arg, &cpl);
        }
    }
}

/// Unmap as Dataset Management (deallocate) with the ranges in one of the channel's DMA slots.
fn unmap(dsm: *mut u8, dsm_free: &mut Vec<u16>, q: &IoQpair, nsid: u32, lba: u64, nblocks: u64, io: *mut spdk_bdev_io) -> Result<(), SubmitError> {
    let nranges = nblocks.div_ceil(u32::MAX as u64);
    if nranges == 0 || nranges > DSM_MAX_RANGES {
        return Err(SubmitError::BadBuffer);
    }
    let Some(slot) = dsm_free.pop() else { return Err(SubmitError::NoTracker) };
    ctx_of(io).dsm_slot = slot as i32;
    // SAFETY: a free slot of the channel's DMA slab, ours until the command completes.
    let buf = unsafe { dsm.add(slot as usize * DSM_SLOT_BYTES) };
    let (mut at, end) = (lba, lba + nblocks);
    let mut i = 0usize;
    while at < end {
        let n = (end - at).min(u32::MAX as u64) as u32;
        let mut r = [0u8; 16];
        r[4..8].copy_from_slice(&n.to_le_bytes());
        r[8..16].copy_from_slice(&at.to_le_bytes());
        // SAFETY: i < DSM_MAX_RANGES: inside the slot.
        unsafe { std::ptr::copy_nonoverlapping(r.as_ptr(), buf.add(i * 16), 16) };
        at += n as u64;
        i += 1;
    }
    let mut cmd = Cmd::new(nvm::DATASET_MANAGEMENT, nsid);
    cmd.cdw10 = (nranges - 1) as u32;
    cmd.cdw11 = 1 << 2;
    q.submit_raw(cmd, Payload::Contig { buf, len: nranges as usize * 16 }, Some(io_done), io.cast())
}

/// NVMe admin passthru: the admin queue completes on the controller's poller
/// thread; the I/O completes on its own.
fn admin_passthru(chp: *mut NvmeChannel, io: *mut spdk_bdev_io) {
    extern "C" fn admin_done(arg: *mut c_void, cpl: *const Cpl) {
        let io = arg as *mut spdk_bdev_io;
        let x = ctx_of(io);
        // SAFETY: valid for the call.
        x.cpl = unsafe { *cpl };
        let iop = io as usize;
        send_to(x.thread, move || {
            let io = iop as *mut spdk_bdev_io;
            let cpl = ctx_of(io).cpl;
            complete_cpl(io, &cpl);
        });
    }
    // SAFETY: the channel on its own thread; a live NVME_ADMIN I/O.
    let (c, p) = unsafe { ((*chp).ctrlr(), (*io).u.nvme_passthru) };
    // SAFETY: spdk_nvme_cmd and Cmd are the same 64-byte layout.
    let cmd: Cmd = unsafe { std::ptr::read(std::ptr::addr_of!(p.cmd) as *const Cmd) };
    let payload = if p.nbytes > 0 && !p.buf.is_null() { Payload::Contig { buf: p.buf.cast(), len: p.nbytes } } else { Payload::None };
    if c.state.load(Ordering::Acquire) != ENABLED {
        bio_layer::complete(io, status(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED));
        return;
    }
    match c.ctrlr.admin_submit(cmd, payload, Some(admin_done), io.cast()) {
        Ok(_) => {}
        Err(SubmitError::NoTracker) => bio_layer::complete(io, status(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_NOMEM)),
        Err(_) => bio_layer::complete(io, status(spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED)),
    }
}
