//! A submission/completion queue pair in DMA memory with its doorbells,
//! request trackers (command id = tracker index, no allocation per I/O) and
//! PRP construction. Owned by one thread at a time; the admin queue pair is
//! serialised by its controller.

use super::spec::{Cmd, Cpl};
use crate::env::{mem, memmap};
use std::ffi::{c_int, c_void};
use std::sync::atomic::{fence, Ordering};

pub type CmdCb = extern "C" fn(*mut c_void, *const Cpl);
pub type ResetSglCb = extern "C" fn(*mut c_void, u32);
pub type NextSgeCb = extern "C" fn(*mut c_void, *mut *mut c_void, *mut u32) -> c_int;

pub const PAGE: usize = 4096;
/// PRP entries in one list page; bounds the bytes of one command.
pub const PRP_ENTRIES: usize = PAGE / 8;

/// Where a command's data lives.
#[derive(Clone, Copy)]
pub enum Payload {
    None,
    Contig { buf: *mut u8, len: usize },
    /// Scattered buffers walked with the application's callbacks, from byte `offset`.
    Sgl { reset: ResetSglCb, next: NextSgeCb, arg: *mut c_void, offset: u32, len: usize },
}

impl Payload {
    pub fn len(&self) -> usize {
        match *self {
            Payload::None => 0,
            Payload::Contig { len, .. } | Payload::Sgl { len, .. } => len,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The part `[off, off + len)` of this payload.
    pub fn slice(&self, off: usize, len: usize) -> Payload {
        match *self {
            Payload::None => Payload::None,
            // SAFETY: off + len stays inside the caller's buffer (split arithmetic).
            Payload::Contig { buf, .. } => Payload::Contig { buf: unsafe { buf.add(off) }, len },
            Payload::Sgl { reset, next, arg, offset, .. } => Payload::Sgl { reset, next, arg, offset: offset + off as u32, len },
        }
    }
}

struct Tracker {
    cb: Option<CmdCb>,
    arg: *mut c_void,
    active: bool,
    prp_list: *mut u64,
    prp_iova: u64,
    cmd: Cmd,
    submit_tsc: u64,
    /// The timeout callback was told of this command already.
    timeout_reported: bool,
}

/// A completion to deliver: (callback, argument, entry).
pub type Done = (Option<CmdCb>, *mut c_void, Cpl);

pub struct Qpair {
    pub id: u16,
    entries: u16,
    sq: *mut Cmd,
    cq: *mut Cpl,
    pub sq_iova: u64,
    pub cq_iova: u64,
    sq_tail: u16,
    cq_head: u16,
    phase: bool,
    sq_db: *mut u32,
    cq_db: *mut u32,
    trackers: Vec<Tracker>,
    free: Vec<u16>,
    prp_mem: *mut u8,
    pub outstanding: usize,
    /// Set when the controller failed or was removed: no more submissions.
    pub failed: bool,
    /// Scattered payloads go out as NVMe SGLs (the controller supports them).
    pub use_sgl: bool,
    /// The controller wants SGL addresses and lengths dword-aligned.
    pub sgl_dword_aligned: bool,
}

// SAFETY: the queue memory and BAR pointers are owned by this queue pair,
// which is used by one thread at a time (the thread library's ownership rule).
unsafe impl Send for Qpair {}

#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// No free tracker (`-ENOMEM`).
    NoTracker,
    /// A buffer that cannot be described (`-EINVAL`): unregistered memory, misaligned SGEs.
    BadBuffer,
    /// The queue pair failed (`-ENXIO`).
    Failed,
}

impl SubmitError {
    pub fn errno(&self) -> i32 {
        match self {
            SubmitError::NoTracker => libc::ENOMEM,
            SubmitError::BadBuffer => libc::EINVAL,
            SubmitError::Failed => libc::ENXIO,
        }
    }
}

fn iova(va: u64) -> Option<u64> {
    let t = memmap::vtophys(va, None);
    (t != memmap::VTOPHYS_ERROR).then_some(t)
}

fn dma_zalloc(len: usize) -> Option<*mut u8> {
    let p = mem::alloc(len, PAGE)?;
    // SAFETY: a fresh block of len bytes.
    unsafe { std::ptr::write_bytes(p, 0, len) };
    Some(p)
}

impl Qpair {
    /// Queue `id` with `entries` slots; doorbells in `bar0` at stride `4 << dstrd`.
    pub fn new(id: u16, entries: u16, bar0: *mut u8, dstrd: u32) -> Result<Qpair, i32> {
        let entries = entries.max(2);
        let sq = dma_zalloc(entries as usize * 64).ok_or(libc::ENOMEM)?;
        let cq = match dma_zalloc(entries as usize * 16) {
            Some(c) => c,
            None => {
                mem::free(sq);
                return Err(libc::ENOMEM);
            }
        };
        let ntrackers = entries as usize - 1;
        let prp_mem = match dma_zalloc(ntrackers * PAGE) {
            Some(p) => p,
            None => {
                mem::free(sq);
                mem::free(cq);
                return Err(libc::ENOMEM);
            }
        };
        let (sq_iova, cq_iova) = (iova(sq as u64).ok_or(libc::EFAULT)?, iova(cq as u64).ok_or(libc::EFAULT)?);
        let stride = 4usize << dstrd;
        let trackers = (0..ntrackers)
            .map(|i| {
                // SAFETY: i < ntrackers; one page per tracker inside prp_mem.
                let list = unsafe { prp_mem.add(i * PAGE) };
                Tracker {
                    cb: None,
                    arg: std::ptr::null_mut(),
                    active: false,
                    prp_list: list as *mut u64,
                    prp_iova: iova(list as u64).unwrap_or(0),
                    cmd: Cmd::default(),
                    submit_tsc: 0,
                    timeout_reported: false,
                }
            })
            .collect();
        Ok(Qpair {
            id,
            entries,
            sq: sq as *mut Cmd,
            cq: cq as *mut Cpl,
            sq_iova,
            cq_iova,
            sq_tail: 0,
            cq_head: 0,
            phase: true,
            // SAFETY: doorbell offsets inside BAR0 (the controller checked its size).
            sq_db: unsafe { bar0.add(0x1000 + 2 * id as usize * stride) } as *mut u32,
            // SAFETY: as above.
            cq_db: unsafe { bar0.add(0x1000 + (2 * id as usize + 1) * stride) } as *mut u32,
            trackers,
            free: (0..ntrackers as u16).rev().collect(),
            prp_mem,
            outstanding: 0,
            failed: false,
            use_sgl: false,
            sgl_dword_aligned: false,
        })
    }

    pub fn entries(&self) -> u16 {
        self.entries
    }

    pub fn free_trackers(&self) -> usize {
        self.free.len()
    }

    pub fn capacity(&self) -> usize {
        self.trackers.len()
    }

    /// Back to an empty queue (after a controller reset).
    pub fn reset_rings(&mut self) {
        // SAFETY: the rings are ours and no command is in flight after a reset.
        unsafe {
            std::ptr::write_bytes(self.sq as *mut u8, 0, self.entries as usize * 64);
            std::ptr::write_bytes(self.cq as *mut u8, 0, self.entries as usize * 16);
        }
        self.sq_tail = 0;
        self.cq_head = 0;
        self.phase = true;
        self.failed = false;
    }

    fn build_contig(t: &mut Tracker, cmd: &mut Cmd, buf: *mut u8, len: usize) -> Result<(), SubmitError> {
        let va = buf as u64;
        let first = iova(va).ok_or(SubmitError::BadBuffer)?;
        cmd.prp1 = first;
        let first_len = PAGE - (first as usize & (PAGE - 1));
        if len <= first_len {
            cmd.prp2 = 0;
            return Ok(());
        }
        let rest = len - first_len;
        let pages = rest.div_ceil(PAGE);
        if pages > PRP_ENTRIES {
            return Err(SubmitError::BadBuffer);
        }
        for i in 0..pages {
            let p = iova(va + (first_len + i * PAGE) as u64).ok_or(SubmitError::BadBuffer)?;
            // SAFETY: i < PRP_ENTRIES; the tracker's list page is ours.
            unsafe { t.prp_list.add(i).write(p) };
        }
        cmd.prp2 = if pages == 1 {
            // SAFETY: written just above.
            unsafe { t.prp_list.read() }
        } else {
            t.prp_iova
        };
        Ok(())
    }

    /// Walks the application's scatter list from `offset` for `len` bytes,
    /// calling `each(address, length, more_follows)` per segment.
    fn walk_sges(
        reset: ResetSglCb,
        next: NextSgeCb,
        arg: *mut c_void,
        offset: u32,
        len: usize,
        mut each: impl FnMut(u64, usize, bool) -> Result<(), SubmitError>,
    ) -> Result<(), SubmitError> {
        reset(arg, offset);
        let mut remaining = len;
        while remaining > 0 {
            let mut addr: *mut c_void = std::ptr::null_mut();
            let mut seg: u32 = 0;
            if next(arg, &mut addr, &mut seg) != 0 || seg == 0 || addr.is_null() {
                return Err(SubmitError::BadBuffer);
            }
            let seg = (seg as usize).min(remaining);
            remaining -= seg;
            each(addr as u64, seg, remaining > 0)?;
        }
        Ok(())
    }

    fn build_sgl(t: &mut Tracker, cmd: &mut Cmd, reset: ResetSglCb, next: NextSgeCb, arg: *mut c_void, offset: u32, len: usize) -> Result<(), SubmitError> {
        let mut first = true;
        let mut count = 0usize;
        Self::walk_sges(reset, next, arg, offset, len, |addr, seg, more| {
            let mut off = 0usize;
            while off < seg {
                let io = iova(addr + off as u64).ok_or(SubmitError::BadBuffer)?;
                let in_page = PAGE - (io as usize & (PAGE - 1));
                if first {
                    cmd.prp1 = io;
                    first = false;
                } else {
                    if io as usize & (PAGE - 1) != 0 || count >= PRP_ENTRIES {
                        return Err(SubmitError::BadBuffer);
                    }
                    // SAFETY: count < PRP_ENTRIES.
                    unsafe { t.prp_list.add(count).write(io) };
                    count += 1;
                }
                let chunk = in_page.min(seg - off);
                off += chunk;
                let ends_mid_page = (io as usize + chunk) & (PAGE - 1) != 0;
                if off == seg && more && ends_mid_page {
                    // PRPs cannot describe a gap in the middle of a transfer.
                    return Err(SubmitError::BadBuffer);
                }
            }
            Ok(())
        })?;
        cmd.prp2 = match count {
            0 => 0,
            // SAFETY: one entry was written.
            1 => unsafe { t.prp_list.read() },
            _ => t.prp_iova,
        };
        Ok(())
    }

    /// A scattered payload as an NVMe SGL: one data block descriptor inline,
    /// or a last-segment descriptor pointing at up to 256 in the tracker's page.
    #[allow(clippy::too_many_arguments)]
    fn build_hw_sgl(t: &mut Tracker, cmd: &mut Cmd, reset: ResetSglCb, next: NextSgeCb, arg: *mut c_void, offset: u32, len: usize, dword: bool) -> Result<(), SubmitError> {
        const MAX_DESC: usize = PAGE / 16;
        let mut count = 0usize;
        let list = t.prp_list as *mut u64;
        Self::walk_sges(reset, next, arg, offset, len, |addr, seg, _more| {
            let mut off = 0usize;
            while off < seg {
                let mut contiguous = (seg - off) as u64;
                let io = memmap::vtophys(addr + off as u64, Some(&mut contiguous));
                if io == memmap::VTOPHYS_ERROR || count >= MAX_DESC {
                    return Err(SubmitError::BadBuffer);
                }
                let piece = (contiguous as usize).min(seg - off);
                if dword && (io & 3 != 0 || piece % 4 != 0) {
                    return Err(SubmitError::BadBuffer);
                }
                // SAFETY: count < MAX_DESC; two u64 words per 16-byte descriptor in our page.
                unsafe {
                    list.add(2 * count).write(io);
                    list.add(2 * count + 1).write(piece as u64);
                }
                count += 1;
                off += piece;
            }
            Ok(())
        })?;
        if count == 1 {
            // SAFETY: written above.
            unsafe {
                cmd.prp1 = list.read();
                cmd.prp2 = list.add(1).read();
            }
        } else {
            cmd.prp1 = t.prp_iova;
            cmd.prp2 = (count as u64 * 16) | (0x30u64 << 56);
        }
        cmd.cdw0 = (cmd.cdw0 & !(3 << 14)) | (1 << 14);
        Ok(())
    }

    /// Places `cmd` on the queue; `cb(arg, cpl)` runs from `reap` when it completes.
    pub fn submit(&mut self, mut cmd: Cmd, payload: &Payload, cb: Option<CmdCb>, arg: *mut c_void) -> Result<u16, SubmitError> {
        if self.failed {
            return Err(SubmitError::Failed);
        }
        let cid = *self.free.last().ok_or(SubmitError::NoTracker)?;
        let t = &mut self.trackers[cid as usize];
        cmd.set_prp_mode();
        match *payload {
            Payload::None => {}
            Payload::Contig { buf, len } => Self::build_contig(t, &mut cmd, buf, len)?,
            Payload::Sgl { reset, next, arg, offset, len } if self.use_sgl => {
                Self::build_hw_sgl(t, &mut cmd, reset, next, arg, offset, len, self.sgl_dword_aligned)?
            }
            Payload::Sgl { reset, next, arg, offset, len } => Self::build_sgl(t, &mut cmd, reset, next, arg, offset, len)?,
        }
        self.free.pop();
        cmd.set_cid(cid);
        t.cb = cb;
        t.arg = arg;
        t.active = true;
        t.cmd = cmd;
        t.submit_tsc = crate::env::cpu::ticks();
        t.timeout_reported = false;
        // SAFETY: sq_tail < entries; the SQ slot is ours until the device consumes it.
        unsafe { self.sq.add(self.sq_tail as usize).write_volatile(cmd) };
        self.sq_tail = (self.sq_tail + 1) % self.entries;
        fence(Ordering::SeqCst);
        // SAFETY: the SQ tail doorbell register of this queue.
        unsafe { self.sq_db.write_volatile(self.sq_tail as u32) };
        self.outstanding += 1;
        Ok(cid)
    }

    /// Whether the entry at the completion queue head has been posted.
    #[inline]
    pub fn has_completion(&self) -> bool {
        // SAFETY: cq_head < entries; a volatile read of the status the device writes.
        let status = unsafe { std::ptr::addr_of!((*self.cq.add(self.cq_head as usize)).status).read_volatile() };
        (status & 1 != 0) == self.phase
    }

    /// Takes up to `max` completions (0: all there are) into `out`; returns how many.
    pub fn reap(&mut self, max: u32, out: &mut Vec<Done>) -> usize {
        let limit = if max == 0 { usize::MAX } else { max as usize };
        let mut n = 0;
        while n < limit {
            // SAFETY: cq_head < entries; the device writes this slot, we read it volatile.
            let status = unsafe { std::ptr::addr_of!((*self.cq.add(self.cq_head as usize)).status).read_volatile() };
            if (status & 1 != 0) != self.phase {
                break;
            }
            fence(Ordering::Acquire);
            // SAFETY: as above; the entry is complete once its phase flipped.
            let cpl = unsafe { self.cq.add(self.cq_head as usize).read_volatile() };
            self.cq_head += 1;
            if self.cq_head == self.entries {
                self.cq_head = 0;
                self.phase = !self.phase;
            }
            n += 1;
            let Some(t) = self.trackers.get_mut(cpl.cid as usize) else {
                crate::log::error(format_args!("nvme: qpair {}: completion for unknown command id {}\n", self.id, cpl.cid));
                continue;
            };
            if !t.active {
                crate::log::error(format_args!("nvme: qpair {}: completion for idle command id {}\n", self.id, cpl.cid));
                continue;
            }
            t.active = false;
            out.push((t.cb, t.arg, cpl));
            self.free.push(cpl.cid);
            self.outstanding -= 1;
        }
        if n > 0 {
            // SAFETY: the CQ head doorbell register of this queue.
            unsafe { self.cq_db.write_volatile(self.cq_head as u32) };
        }
        n
    }

    /// Completes every outstanding command with (sct, sc) without the device (reset, removal).
    pub fn abort_all(&mut self, sct: u8, sc: u8, out: &mut Vec<Done>) {
        for (cid, t) in self.trackers.iter_mut().enumerate() {
            if t.active {
                t.active = false;
                out.push((t.cb, t.arg, Cpl::synthetic(sct, sc, false, self.id, cid as u16)));
                self.free.push(cid as u16);
                self.outstanding -= 1;
            }
        }
    }

    /// Outstanding commands submitted before `tsc`: (cid, command).
    pub fn older_than(&self, tsc: u64) -> Vec<(u16, Cmd)> {
        self.trackers.iter().enumerate().filter(|(_, t)| t.active && t.submit_tsc < tsc).map(|(i, t)| (i as u16, t.cmd)).collect()
    }

    /// Commands submitted before `deadline` not reported yet (except those
    /// `exempt` says wait forever by design): marked reported, ids returned.
    pub fn expired(&mut self, deadline: u64, exempt: impl Fn(&Cmd) -> bool) -> Vec<u16> {
        let mut out = Vec::new();
        for (i, t) in self.trackers.iter_mut().enumerate() {
            if t.active && !t.timeout_reported && t.submit_tsc < deadline && !exempt(&t.cmd) {
                t.timeout_reported = true;
                out.push(i as u16);
            }
        }
        out
    }

    pub fn command(&self, cid: u16) -> Option<Cmd> {
        self.trackers.get(cid as usize).filter(|t| t.active).map(|t| t.cmd)
    }
}

impl Drop for Qpair {
    fn drop(&mut self) {
        mem::free(self.sq as *mut u8);
        mem::free(self.cq as *mut u8);
        mem::free(self.prp_mem);
    }
}

/// Calls each completion's callback (outside any queue borrow).
pub fn deliver(done: &mut Vec<Done>) {
    for (cb, arg, cpl) in done.drain(..) {
        if let Some(cb) = cb {
            cb(arg, &cpl);
        }
    }
}
