//! The I/O path: per-thread channels, submission with validation,
//! completion (deferred when a module completes inside `submit_request`),
//! retries of I/O a module refused for lack of memory, and the io_wait queue
//! of callers that found no free `bdev_io`.
//!
//! On its way down an I/O may get a layer buffer (a read without one), be
//! emulated (`fused.rs`), wait behind a locked LBA range, move onto an
//! aligned bounce buffer (the bdev's `required_alignment`), and be split
//! (optimal I/O boundary, write unit, `max_rw_size`, segment limits, unmap
//! and write-zeroes limits). A reset freezes the bdev first (`reset.rs`).

use super::{bdev_ref, pool_ptr, Desc, WaitQueue};
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use crate::env::cpu;
use crate::thread::{self, io_channel as ioch};
use std::collections::VecDeque;
use std::ffi::{c_int, c_void};

/// Statistics of one channel (summed over channels for a bdev).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Stat {
    pub bytes_read: u64,
    pub num_read_ops: u64,
    pub bytes_written: u64,
    pub num_write_ops: u64,
    pub bytes_unmapped: u64,
    pub num_unmap_ops: u64,
    pub read_latency_ticks: u64,
    pub write_latency_ticks: u64,
    pub unmap_latency_ticks: u64,
    /// Maximum and minimum latency (min 0: none yet) by read, write, unmap.
    pub max_latency: [u64; 3],
    pub min_latency: [u64; 3],
    pub num_errors: u64,
}

/// How statistics are cleared after reading (SPDK's `spdk_bdev_reset_stat_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetMode {
    None,
    All,
    MaxMin,
    Errors,
}

impl Stat {
    /// Adds `o` (sums add; extremes combine).
    pub fn merge(&mut self, o: &Stat) {
        self.bytes_read += o.bytes_read;
        self.num_read_ops += o.num_read_ops;
        self.bytes_written += o.bytes_written;
        self.num_write_ops += o.num_write_ops;
        self.bytes_unmapped += o.bytes_unmapped;
        self.num_unmap_ops += o.num_unmap_ops;
        self.read_latency_ticks += o.read_latency_ticks;
        self.write_latency_ticks += o.write_latency_ticks;
        self.unmap_latency_ticks += o.unmap_latency_ticks;
        self.num_errors += o.num_errors;
        for k in 0..3 {
            self.max_latency[k] = self.max_latency[k].max(o.max_latency[k]);
            self.min_latency[k] = match (self.min_latency[k], o.min_latency[k]) {
                (0, m) | (m, 0) => m,
                (a, b) => a.min(b),
            };
        }
    }

    pub fn reset(&mut self, mode: ResetMode) {
        match mode {
            ResetMode::None => {}
            ResetMode::All => *self = Stat::default(),
            ResetMode::MaxMin => {
                self.max_latency = [0; 3];
                self.min_latency = [0; 3];
            }
            ResetMode::Errors => self.num_errors = 0,
        }
    }

    fn latency(&mut self, k: usize, lat: u64) {
        self.max_latency[k] = self.max_latency[k].max(lat);
        if self.min_latency[k] == 0 || lat < self.min_latency[k] {
            self.min_latency[k] = lat.max(1);
        }
    }
}

/// The layer's part of an io_channel of a bdev (the io_device's context).
pub struct BdevChannel {
    pub bdev: *mut spdk_bdev,
    pub module_ch: *mut spdk_io_channel,
    pub io_wait: WaitQueue,
    pub nomem: VecDeque<*mut spdk_bdev_io>,
    pub outstanding: u64,
    pub stat: Stat,
    /// Recently freed bdev_ios, reused last-in first-out so the ones in use stay in cache.
    cache: Vec<*mut spdk_bdev_io>,
    /// I/Os held back by QoS, in submission order, and the poller that sends them.
    qos_queue: VecDeque<*mut spdk_bdev_io>,
    qos_poller: *mut crate::thread::poller::Poller,
    /// Looks for a free bdev_io for the io_wait queue while it is not empty
    /// (frees on other threads' channels wake no one here).
    io_wait_poller: *mut crate::thread::poller::Poller,
    /// Newest first: the top-level I/Os in flight while timeouts are tracked (`timeout.rs`).
    pub(crate) submitted: *mut spdk_bdev_io,
    /// A reset of the bdev is in progress: new I/O completes as aborted (`reset.rs`).
    pub(crate) frozen: bool,
    /// Resets submitted here while another one runs, and reset I/Os outstanding here.
    pub(crate) queued_resets: VecDeque<*mut spdk_bdev_io>,
    pub(crate) resets: u64,
    /// I/Os aborted at submission during a reset, not yet called back.
    pub(crate) frozen_aborts: u64,
    /// Top-level writes sent on their way and not yet completed, linked
    /// through `internal.link` (a compare-and-write waits for those in its
    /// range after locking it).
    pub(crate) writes: *mut spdk_bdev_io,
    /// LBA ranges locked for a compare-and-write, and the writes they hold back (`fused.rs`).
    pub(crate) locked: Vec<super::fused::Range>,
    pub(crate) locked_wait: VecDeque<*mut spdk_bdev_io>,
    /// Data buffers (`iobuf.rs`): this channel's cache, the I/Os waiting for
    /// one, and the poller that retries them while any waits.
    pub(crate) bufs: super::iobuf::Cache,
    buf_wait: VecDeque<*mut spdk_bdev_io>,
    buf_poller: *mut crate::thread::poller::Poller,
    /// Latency histogram while enabled (`histogram.rs`).
    pub(crate) histogram: Option<super::histogram::ChannelHistogram>,
    /// The bdev takes ABORT I/Os: top-level I/Os are kept on `submitted`
    /// so `spdk_bdev_abort` can find them by their callback argument.
    pub(crate) abortable: bool,
}

const CACHE_SIZE: usize = super::DEFAULT_IO_CACHE_SIZE as usize;

pub extern "C" fn channel_create(io_device: *mut c_void, ctx: *mut c_void) -> c_int {
    let b = io_device as *mut spdk_bdev;
    let bd = bdev_ref(b);
    // SAFETY: the module's get_io_channel for its own bdev, on this thread.
    let module_ch = unsafe { (*bd.fn_table).get_io_channel.map_or(std::ptr::null_mut(), |f| f(bd.ctxt)) };
    if module_ch.is_null() {
        return -libc::ENOMEM;
    }
    let ch = BdevChannel {
        bdev: b,
        module_ch,
        io_wait: VecDeque::new(),
        nomem: VecDeque::new(),
        outstanding: 0,
        stat: Stat::default(),
        cache: Vec::with_capacity(CACHE_SIZE),
        qos_queue: VecDeque::new(),
        qos_poller: std::ptr::null_mut(),
        io_wait_poller: std::ptr::null_mut(),
        submitted: std::ptr::null_mut(),
        frozen: false,
        queued_resets: VecDeque::new(),
        resets: 0,
        frozen_aborts: 0,
        writes: std::ptr::null_mut(),
        locked: Vec::with_capacity(4),
        locked_wait: VecDeque::new(),
        bufs: super::iobuf::Cache::default(),
        buf_wait: VecDeque::new(),
        buf_poller: std::ptr::null_mut(),
        histogram: super::histogram::channel_new(b),
        abortable: super::io_type_supported(b, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ABORT),
    };
    // SAFETY: ctx is this channel's zeroed context of size_of::<BdevChannel>() bytes.
    unsafe { (ctx as *mut BdevChannel).write(ch) };
    0
}

pub extern "C" fn channel_destroy(_io_device: *mut c_void, ctx: *mut c_void) {
    // SAFETY: initialised by channel_create; dropped once here.
    let mut ch = unsafe { std::ptr::read(ctx as *mut BdevChannel) };
    if !ch.io_wait_poller.is_null() {
        crate::thread::poller::unregister(ch.io_wait_poller);
    }
    if !ch.qos_poller.is_null() {
        crate::thread::poller::unregister(ch.qos_poller);
    }
    if !ch.buf_poller.is_null() {
        crate::thread::poller::unregister(ch.buf_poller);
    }
    ch.bufs.drain();
    let pool = pool_ptr();
    if !pool.is_null() {
        for &io in &ch.cache {
            // SAFETY: cached elements belong to the live pool.
            unsafe { &*pool }.put(io.cast());
        }
    }
    if !ch.module_ch.is_null() {
        ioch::put(ch.module_ch.cast());
    }
    super::add_retired_stat(ch.bdev, ch.stat);
    super::histogram::retire(ch.bdev, ch.histogram);
}

/// The layer's channel behind a C `spdk_io_channel` of a bdev.
pub fn chan<'a>(ch: *mut spdk_io_channel) -> &'a mut BdevChannel {
    // SAFETY: channels of a bdev's io_device carry a BdevChannel context,
    // used by their own thread only.
    unsafe { &mut *(ioch::ctx(ch.cast()) as *mut BdevChannel) }
}

#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// No free bdev_io (`-ENOMEM`): wait with `spdk_bdev_queue_io_wait`.
    NoMemory,
    /// Out of range, zero length, bad buffers (`-EINVAL`).
    Invalid,
    /// A write through a read-only descriptor (`-EBADF`).
    ReadOnly,
    /// The bdev does not do this type of I/O (`-ENOTSUP`).
    Unsupported,
}

impl SubmitError {
    pub fn errno(&self) -> i32 {
        match self {
            SubmitError::NoMemory => libc::ENOMEM,
            SubmitError::Invalid => libc::EINVAL,
            SubmitError::ReadOnly => libc::EBADF,
            SubmitError::Unsupported => libc::ENOTSUP,
        }
    }
}

pub(crate) fn writes(t: spdk_bdev_io_type) -> bool {
    matches!(
        t,
        spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE
            | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE_ZEROES
            | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP
            | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_FLUSH
            | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE
    )
}

/// Our flags in `internal.reserved[0]`: the module is inside `submit_request`;
/// the I/O is a child of a split one (its `caller_ctx` is the parent).
pub(crate) const IN_SUBMIT: u8 = 1;
const CHILD: u8 = 2;
/// On its channel's `submitted` list (timeouts).
const TRACKED: u8 = 4;
/// Its timeout was reported already.
pub(crate) const TIMEOUT_REPORTED: u8 = 8;
/// The layer's own I/O on behalf of another (emulations): `internal.cb` is
/// the layer's continuation, the I/O is not counted nor accounted.
pub(crate) const INTERNAL: u8 = 16;
/// Its data goes through a bounce buffer (`internal.bounce_buf`).
const BOUNCED: u8 = 32;
/// A reset the module has: unfreeze the bdev when it completes.
pub(crate) const RESET_DOWN: u8 = 64;
/// `internal.buf` holds a buffer of the layer's pools, given back at release.
const OWN_BUF: u8 = 128;

/// `reserved[2]`: on its channel's `writes` list.
const WRITE_COUNTED: u8 = 1;
/// `reserved[2]`: aborted at submission because its bdev was resetting
/// (counted in `frozen_aborts`, not waited for by the reset's drain).
const FROZEN_ABORT: u8 = 2;

/// What an I/O waiting for a data buffer (`reserved[1]`) does once it has one.
const WAIT_GETBUF: u8 = 1;
const WAIT_START: u8 = 2;
const WAIT_BOUNCE: u8 = 3;

pub(crate) fn flags(io: *mut spdk_bdev_io) -> &'static mut [u8; 5] {
    // SAFETY: a live bdev_io owned by this thread; `reserved` is the layer's.
    unsafe { &mut (*io).internal.reserved }
}

pub(crate) fn io_type(io: *const spdk_bdev_io) -> spdk_bdev_io_type {
    // SAFETY: a live bdev_io.
    spdk_bdev_io_type::from_raw(unsafe { (*io).r#type } as i32).unwrap_or(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_INVALID)
}

/// Split bookkeeping of a parent, kept in its `reserved3` bytes (unused by modules).
#[repr(C)]
struct SplitState {
    remaining: u32,
    failed: u8,
}
const _: () = assert!(std::mem::size_of::<SplitState>() <= 40);

fn split_state<'a>(parent: *mut spdk_bdev_io) -> &'a mut SplitState {
    // SAFETY: reserved3 is 40 bytes of the parent's own, 8-aligned inside spdk_bdev_io.
    unsafe { &mut *((*parent).reserved3.as_mut_ptr() as *mut SplitState) }
}

/// What one I/O asks for.
pub struct Request {
    pub io_type: spdk_bdev_io_type,
    pub iovs: *mut libc::iovec,
    pub iovcnt: c_int,
    /// A single buffer (used when `iovs` is null): stored in the bdev_io's own iovec.
    pub buf: *mut c_void,
    pub md_buf: *mut c_void,
    pub offset_blocks: u64,
    pub num_blocks: u64,
    pub cb: spdk_bdev_io_completion_cb,
    pub cb_arg: *mut c_void,
}

/// Less common parameters of an I/O (`submit_ext`).
#[derive(Clone, Copy)]
pub struct Extra {
    /// The write half of a compare-and-write.
    pub fused_iovs: *mut libc::iovec,
    pub fused_iovcnt: c_int,
    pub dif_check_flags_exclude_mask: u32,
    pub nvme_cdw12: u32,
    pub nvme_cdw13: u32,
}

impl Default for Extra {
    fn default() -> Self {
        Extra { fused_iovs: std::ptr::null_mut(), fused_iovcnt: 0, dif_check_flags_exclude_mask: 0, nvme_cdw12: 0, nvme_cdw13: 0 }
    }
}

/// Whether the layer can serve `t` on this bdev: by the module, or emulated
/// (compare as a read, compare-and-write as read + write).
pub(crate) fn servable(b: *mut spdk_bdev, t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    super::io_type_supported(b, t)
        || match t {
            SPDK_BDEV_IO_TYPE_COMPARE => super::io_type_supported(b, SPDK_BDEV_IO_TYPE_READ),
            SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE => {
                super::io_type_supported(b, SPDK_BDEV_IO_TYPE_READ) && super::io_type_supported(b, SPDK_BDEV_IO_TYPE_WRITE)
            }
            _ => false,
        }
}

fn md_separate(bd: &spdk_bdev) -> bool {
    bd.md_len != 0 && bd.flags & SPDK_BDEV_FLAG_MD_INTERLEAVE == 0
}

/// Validates and submits one I/O on the calling thread's channel.
pub fn submit(desc: *mut Desc, ch: *mut spdk_io_channel, req: Request) -> Result<(), SubmitError> {
    if submit_fast(desc, ch, &req) {
        return Ok(());
    }
    submit_ext(desc, ch, req, Extra::default())
}

/// Whether a read or write on `bd` needs none of the layer's detours:
/// no bounce buffer, no splitting, no write-unit rule (the general path
/// decides those; this only sends plain bdevs past them).
#[inline]
fn plain_rw(bd: &spdk_bdev) -> bool {
    (bd.required_alignment as u32 | bd.max_rw_size | bd.max_segment_size | bd.max_num_segments) == 0
        && bd.flags & (SPDK_BDEV_FLAG_SPLIT_ON_WRITE_UNIT | SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY) == 0
}

/// The common case, straight to the module: a read or write of one buffer
/// without metadata, valid, on a plain bdev (`plain_rw`) the module serves,
/// on a channel that is not frozen, holds no locked range, and with neither
/// QoS nor timeouts to apply; a bdev_io in the channel's cache. Anything
/// else (errors included) returns false having done nothing, and goes the
/// general way.
#[inline]
fn submit_fast(desc: *mut Desc, ch: *mut spdk_io_channel, req: &Request) -> bool {
    use spdk_bdev_io_type::*;
    let t = req.io_type;
    let write = t == SPDK_BDEV_IO_TYPE_WRITE;
    if !(write || t == SPDK_BDEV_IO_TYPE_READ) || !req.iovs.is_null() || req.buf.is_null() || !req.md_buf.is_null() {
        return false;
    }
    // SAFETY: an open descriptor, used by its owner.
    let d = unsafe { &*desc };
    let b = d.bdev;
    let bd = bdev_ref(b);
    if (write && !d.write)
        || req.num_blocks == 0
        || req.offset_blocks > bd.blockcnt
        || req.num_blocks > bd.blockcnt - req.offset_blocks
        || !super::io_type_supported(b, t)
        || !plain_rw(bd)
    {
        return false;
    }
    let c = chan(ch);
    if c.frozen || c.abortable || !c.locked.is_empty() || super::timeout::tracking() || !super::qos::is_off(b) {
        return false;
    }
    let Some(io) = c.cache.pop() else { return false };
    let bytes = req.num_blocks * bd.blocklen as u64;
    // SAFETY: a free element of the pool, at least size_of::<spdk_bdev_io>() bytes.
    unsafe {
        let bio = &mut *io;
        bio.bdev = b;
        bio.r#type = t as u8;
        bio.num_retries = 0;
        bio.iov = libc::iovec { iov_base: req.buf, iov_len: bytes as usize };
        let iov: *mut libc::iovec = &mut bio.iov;
        plain_block_params(&mut bio.u.bdev, iov, 1, req.offset_blocks, req.num_blocks, bd.dif_check_flags);
    }
    init_internal(c, io, desc, req.cb, req.cb_arg);
    c.outstanding += 1;
    if write {
        link_write(c, io);
    }
    module_submit(c, bd, io);
    true
}

/// Block parameters of a plain I/O: these buffers and blocks; no
/// metadata, memory domain, accel sequence, fused half or NVMe dwords.
pub(crate) fn plain_block_params(blk: &mut spdk_bdev_io_block_params, iovs: *mut libc::iovec, iovcnt: c_int, offset_blocks: u64, num_blocks: u64, dif_check_flags: u32) {
    blk.iovs = iovs;
    blk.iovcnt = iovcnt;
    blk.num_blocks = num_blocks;
    blk.offset_blocks = offset_blocks;
    blk.md_buf = std::ptr::null_mut();
    blk.memory_domain = std::ptr::null_mut();
    blk.memory_domain_ctx = std::ptr::null_mut();
    blk.accel_sequence = std::ptr::null_mut();
    blk.fused_iovs = std::ptr::null_mut();
    blk.fused_iovcnt = 0;
    blk.dif_check_flags = dif_check_flags;
    blk.nvme_cdw12 = spdk_bdev_nvme_cdw12 { raw: 0 };
    blk.nvme_cdw13 = spdk_bdev_nvme_cdw13 { raw: 0 };
}

/// Puts a top-level write on its channel's list of writes in flight.
#[inline]
fn link_write(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    flags(io)[2] |= WRITE_COUNTED;
    // SAFETY: linking this live I/O at the head of its channel's list.
    unsafe {
        let link = &mut (*io).internal.link;
        link.tqe_next = c.writes;
        link.tqe_prev = &mut c.writes;
        if !c.writes.is_null() {
            (*c.writes).internal.link.tqe_prev = &mut link.tqe_next;
        }
    }
    c.writes = io;
}

/// The module's `submit_request` (a completion inside it is deferred).
#[inline]
pub(crate) fn module_submit(c: &BdevChannel, bd: &spdk_bdev, io: *mut spdk_bdev_io) {
    flags(io)[0] |= IN_SUBMIT;
    // SAFETY: the module's submit_request with its own channel and this I/O.
    unsafe { ((*bd.fn_table).submit_request.expect("submit_request"))(c.module_ch, io) };
    flags(io)[0] &= !IN_SUBMIT;
}

fn iov_bytes(iovs: *const libc::iovec, cnt: c_int) -> usize {
    if iovs.is_null() {
        return 0;
    }
    // SAFETY: the caller's iovecs, cnt of them.
    unsafe { std::slice::from_raw_parts(iovs, cnt.max(0) as usize) }.iter().map(|v| v.iov_len).sum()
}

/// `submit` with the parameters of `Extra`.
#[allow(clippy::not_unsafe_ptr_arg_deref)] // an open descriptor, as `submit`
pub fn submit_ext(desc: *mut Desc, ch: *mut spdk_io_channel, req: Request, x: Extra) -> Result<(), SubmitError> {
    use spdk_bdev_io_type::*;
    // SAFETY: an open descriptor, used by its owner.
    let d = unsafe { &*desc };
    let b = d.bdev;
    let bd = bdev_ref(b);
    let t = req.io_type;
    if writes(t) && !d.write {
        return Err(SubmitError::ReadOnly);
    }
    let end = req.offset_blocks.checked_add(req.num_blocks).ok_or(SubmitError::Invalid)?;
    let needs_blocks = !matches!(t, SPDK_BDEV_IO_TYPE_RESET);
    if needs_blocks && (end > bd.blockcnt || (req.num_blocks == 0 && t != SPDK_BDEV_IO_TYPE_FLUSH)) {
        return Err(SubmitError::Invalid);
    }
    if !servable(b, t) {
        return Err(SubmitError::Unsupported);
    }
    if t == SPDK_BDEV_IO_TYPE_ZCOPY {
        // Zero-copy I/O has its own entry points (`zcopy.rs`).
        return Err(SubmitError::Invalid);
    }
    if !req.md_buf.is_null() && !md_separate(bd) {
        return Err(SubmitError::Invalid);
    }
    let bytes = req.num_blocks * bd.blocklen as u64;
    let no_buf = req.buf.is_null()
        && (req.iovs.is_null() || (req.iovcnt == 1 && {
            // SAFETY: one caller iovec.
            unsafe { (*req.iovs).iov_base.is_null() }
        }));
    match t {
        // A read without a buffer gets one of the layer's (at most a large buffer).
        SPDK_BDEV_IO_TYPE_READ if no_buf && bytes as usize + (1usize << bd.required_alignment) > super::iobuf::LARGE_BUFSIZE => {
            return Err(SubmitError::Invalid)
        }
        SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_COMPARE | SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE if no_buf => return Err(SubmitError::Invalid),
        _ => {}
    }
    let data = matches!(t, SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_COMPARE | SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE);
    if data && !req.iovs.is_null() && !no_buf && (iov_bytes(req.iovs, req.iovcnt) as u64) < bytes {
        return Err(SubmitError::Invalid);
    }
    if t == SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE && (x.fused_iovs.is_null() || x.fused_iovcnt <= 0 || (iov_bytes(x.fused_iovs, x.fused_iovcnt) as u64) < bytes) {
        return Err(SubmitError::Invalid);
    }
    if t == SPDK_BDEV_IO_TYPE_WRITE && bd.flags & SPDK_BDEV_FLAG_SPLIT_ON_WRITE_UNIT != 0 && bd.write_unit_size > 1 {
        let wu = bd.write_unit_size as u64;
        if req.offset_blocks % wu != 0 || req.num_blocks % wu != 0 {
            return Err(SubmitError::Invalid);
        }
    }
    let c = chan(ch);
    let io = get_io(c).ok_or(SubmitError::NoMemory)?;
    // SAFETY: a fresh element of the pool, at least size_of::<spdk_bdev_io>() bytes.
    unsafe {
        let bio = &mut *io;
        bio.bdev = b;
        bio.r#type = t as u8;
        bio.num_retries = 0;
        let blk = &mut bio.u.bdev;
        if req.iovs.is_null() {
            bio.iov = libc::iovec { iov_base: req.buf, iov_len: bytes as usize };
            blk.iovs = &mut bio.iov;
            blk.iovcnt = if req.buf.is_null() { 0 } else { 1 };
        } else {
            blk.iovs = req.iovs;
            blk.iovcnt = req.iovcnt;
        }
        blk.num_blocks = req.num_blocks;
        blk.offset_blocks = req.offset_blocks;
        blk.md_buf = req.md_buf;
        blk.memory_domain = std::ptr::null_mut();
        blk.memory_domain_ctx = std::ptr::null_mut();
        blk.accel_sequence = std::ptr::null_mut();
        blk.fused_iovs = x.fused_iovs;
        blk.fused_iovcnt = x.fused_iovcnt;
        blk.dif_check_flags = bd.dif_check_flags & !x.dif_check_flags_exclude_mask;
        blk.nvme_cdw12 = spdk_bdev_nvme_cdw12 { raw: x.nvme_cdw12 };
        blk.nvme_cdw13 = spdk_bdev_nvme_cdw13 { raw: x.nvme_cdw13 };
    }
    init_internal(c, io, desc, req.cb, req.cb_arg);
    launch(c, io, bytes)
}

/// Sets the layer's fields of a fresh top-level I/O.
pub(crate) fn init_internal(c: &mut BdevChannel, io: *mut spdk_bdev_io, desc: *mut Desc, cb: spdk_bdev_io_completion_cb, arg: *mut c_void) {
    // SAFETY: a fresh bdev_io of this channel.
    let int = unsafe { &mut (*io).internal };
    int.ch = c as *mut BdevChannel as *mut spdk_bdev_channel;
    int.desc = desc.cast();
    int.cb = cb;
    int.caller_ctx = arg;
    int.submit_tsc = cpu::ticks();
    int.status = spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_PENDING as i8;
    int.reserved = [0; 5];
    int.error = spdk_bdev_io_internal_error { nvme: spdk_bdev_io_internal_error_nvme { cdw0: 0, sct: 0, sc: 0 } };
    int.buf = spdk_bdev_io_internal_buf { ptr: std::ptr::null_mut(), len: 0 };
    int.get_buf_cb = None;
}

/// A free bdev_io: from the channel's cache, else the shared pool.
pub(crate) fn get_io(c: &mut BdevChannel) -> Option<*mut spdk_bdev_io> {
    c.cache.pop().or_else(|| {
        let pool = pool_ptr();
        // SAFETY: the pool lives while bdevs are registered.
        (!pool.is_null()).then(|| unsafe { &*pool }.get()).flatten().map(|e| e as *mut spdk_bdev_io)
    })
}

/// Sends a prepared top-level I/O on its way: aborted while its bdev
/// resets, held by QoS, or started.
pub(crate) fn launch(c: &mut BdevChannel, io: *mut spdk_bdev_io, bytes: u64) -> Result<(), SubmitError> {
    let t = io_type(io);
    c.outstanding += 1;
    if c.abortable || super::timeout::tracking() {
        super::timeout::track(c, io);
        flags(io)[0] |= TRACKED;
    }
    if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET {
        super::reset::begin(c, io);
        return Ok(());
    }
    if c.frozen {
        // As SPDK: a reset is in progress, new I/O is aborted (called back later).
        c.frozen_aborts += 1;
        flags(io)[2] |= FROZEN_ABORT;
        complete_later(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_ABORTED);
        return Ok(());
    }
    if let Some(q) = super::qos::of(c.bdev).filter(|q| q.enabled()) {
        if !c.qos_queue.is_empty() || !q.admit(t, bytes, cpu::ticks()) {
            c.qos_queue.push_back(io);
            if c.qos_poller.is_null() {
                let arg = c as *mut BdevChannel as *mut c_void;
                c.qos_poller = crate::thread::poller::register(qos_poll, arg, QOS_POLL_US, Some("bdev_qos")).unwrap_or(std::ptr::null_mut());
            }
            return Ok(());
        }
    }
    if let Err(e) = start(io) {
        c.outstanding -= 1;
        if flags(io)[0] & TRACKED != 0 {
            super::timeout::untrack(io);
        }
        unlink_write(io);
        release(c, io);
        return Err(e);
    }
    Ok(())
}

/// Completes `io` with `status` from a message (never inside the submitter's call).
pub(crate) fn complete_later(io: *mut spdk_bdev_io, status: spdk_bdev_io_status) {
    // SAFETY: a live I/O of this thread.
    unsafe { (*io).internal.status = status as i8 };
    let t = thread::current();
    // SAFETY: the current thread is live.
    if t.is_null() || unsafe { &*t }.send_msg(deferred_complete, io.cast()).is_err() {
        finish(io);
    }
}

/// The data of a passthru command: one buffer, or iovecs.
#[derive(Clone, Copy)]
pub enum Payload {
    Buf(*mut c_void),
    Iovs(*mut libc::iovec, c_int),
}

/// Submits an NVMe passthru command (admin, I/O, I/O with metadata).
#[allow(clippy::too_many_arguments, clippy::not_unsafe_ptr_arg_deref)]
pub fn submit_passthru(
    desc: *mut Desc,
    ch: *mut spdk_io_channel,
    t: spdk_bdev_io_type,
    cmd: &crate::capi::nvme_spec::spdk_nvme_cmd,
    data: Payload,
    nbytes: usize,
    md_buf: *mut c_void,
    md_len: usize,
    cb: spdk_bdev_io_completion_cb,
    cb_arg: *mut c_void,
) -> Result<(), SubmitError> {
    // SAFETY: an open descriptor, used by its owner.
    let d = unsafe { &*desc };
    // As SPDK: the command is not parsed, so any of them may write.
    if !d.write {
        return Err(SubmitError::ReadOnly);
    }
    if !super::io_type_supported(d.bdev, t) {
        return Err(SubmitError::Unsupported);
    }
    let c = chan(ch);
    let io = get_io(c).ok_or(SubmitError::NoMemory)?;
    // SAFETY: a fresh element of the pool.
    unsafe {
        let bio = &mut *io;
        bio.bdev = d.bdev;
        bio.r#type = t as u8;
        bio.num_retries = 0;
        let (buf, iovs, iovcnt) = match data {
            Payload::Buf(b) => (b, std::ptr::null_mut(), 0),
            Payload::Iovs(v, n) => (std::ptr::null_mut(), v, n),
        };
        bio.u.nvme_passthru = spdk_bdev_io_nvme_passthru_params {
            cmd: *cmd,
            iovs,
            iovcnt,
            buf,
            nbytes,
            md_buf,
            md_len,
        };
    }
    init_internal(c, io, desc, cb, cb_arg);
    launch(c, io, 0)
}

/// How often a channel with I/O held back by QoS looks at the budget again.
const QOS_POLL_US: u64 = 100;

/// Sends a prepared I/O down: a layer buffer first for a read without one.
fn start(io: *mut spdk_bdev_io) -> Result<(), SubmitError> {
    let t = io_type(io);
    // SAFETY: a prepared I/O of this thread's channel.
    let no_buf = t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ && unsafe { (*io).u.bdev.iovcnt == 0 || (*(*io).u.bdev.iovs).iov_base.is_null() };
    if no_buf && !attach_buf(io) {
        flags(io)[1] = WAIT_START;
        // SAFETY: as above.
        wait_for_buf(chan_of(unsafe { &*io }), io);
        return Ok(());
    }
    dispatch(io)
}

/// Emulated, held by a locked range, split or sent down.
pub(crate) fn dispatch(io: *mut spdk_bdev_io) -> Result<(), SubmitError> {
    use spdk_bdev_io_type::*;
    let t = io_type(io);
    // SAFETY: a prepared I/O of this thread's channel.
    let bio = unsafe { &*io };
    let c = chan_of(bio);
    if !super::io_type_supported(bio.bdev, t) {
        match t {
            SPDK_BDEV_IO_TYPE_COMPARE => return super::fused::emulate_compare(io),
            SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE => return super::fused::emulate_compare_and_write(io),
            _ => {}
        }
    }
    if !c.locked.is_empty() && writes(t) && super::fused::held(c, io) {
        c.locked_wait.push_back(io);
        return Ok(());
    }
    let f = flags(io);
    if writes(t) && f[0] & (CHILD | INTERNAL) == 0 && f[2] & WRITE_COUNTED == 0 {
        link_write(c, io);
    }
    // Bounce before splitting, so children cut the aligned copy by the segment limits.
    let bd = bdev_ref(bio.bdev);
    if bd.required_alignment != 0 && bio.internal.reserved[0] & BOUNCED == 0 && misaligned(bio, bd) {
        // SAFETY: block parameters of a data I/O.
        let len = unsafe { bio.u.bdev.num_blocks } as usize * bd.blocklen as usize;
        if super::iobuf::class_of(len + (1usize << bd.required_alignment)).is_some() && !bounce(io) {
            flags(io)[1] = WAIT_BOUNCE;
            wait_for_buf(c, io);
            return Ok(());
        }
    }
    // SAFETY: as above (again: `bounce` may have changed it).
    let bio = unsafe { &*io };
    // SAFETY: block parameters are set for block I/O types (read only for those).
    if let Some(l) = split_limit(bd, t).filter(|l| unsafe { must_split(bio, l) }) {
        return split(io, &l);
    }
    send_down(io);
    Ok(())
}

/// Sends the I/Os QoS held back on this channel while the budget allows.
extern "C" fn qos_poll(arg: *mut c_void) -> c_int {
    // SAFETY: the channel that registered this poller, live until it unregisters it.
    let c = unsafe { &mut *(arg as *mut BdevChannel) };
    if c.qos_queue.is_empty() {
        return 0;
    }
    let q = super::qos::of(c.bdev);
    let mut sent = 0;
    while let Some(&io) = c.qos_queue.front() {
        if let Some(q) = q.filter(|q| q.enabled()) {
            let t = io_type(io);
            // SAFETY: a prepared I/O waiting in this channel (block parameters only for block types).
            let bytes = if data_io(t) || writes(t) { bio_bytes(unsafe { &*io }) } else { 0 };
            if !q.admit(t, bytes, cpu::ticks()) {
                break;
            }
        }
        c.qos_queue.pop_front();
        if start(io).is_err() {
            // No bdev_io for the split children now: try again on the next poll.
            c.qos_queue.push_front(io);
            break;
        }
        sent += 1;
    }
    sent
}

/// Takes `io` off whichever of this channel's waiting queues holds it (QoS,
/// locked range, module out of memory, data buffer); false if none does.
pub(crate) fn take_queued(c: &mut BdevChannel, io: *mut spdk_bdev_io) -> bool {
    for q in [&mut c.qos_queue, &mut c.locked_wait, &mut c.nomem, &mut c.buf_wait] {
        if let Some(i) = q.iter().position(|&x| x == io) {
            q.remove(i);
            return true;
        }
    }
    false
}

/// Aborts every I/O this channel holds back (QoS, locked ranges, module
/// out of memory): a reset begins.
pub(crate) fn abort_queued(c: &mut BdevChannel) {
    let queued: Vec<*mut spdk_bdev_io> = c.qos_queue.drain(..).chain(c.locked_wait.drain(..)).chain(c.nomem.drain(..)).collect();
    for io in queued {
        // SAFETY: a live I/O held by this channel.
        unsafe { (*io).internal.status = spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_ABORTED as i8 };
        finish(io);
    }
}

/// The limits reads and writes (or unmaps, write-zeroes) of a bdev must respect.
struct Limits {
    /// Children must not cross a multiple of this (blocks); 0: none.
    boundary: u64,
    /// At most this many blocks per child; 0: no limit.
    max: u64,
    /// At most this many bytes per segment and segments per child; 0: no limit.
    seg_size: usize,
    seg_count: usize,
}

fn split_limit(bd: &spdk_bdev, t: spdk_bdev_io_type) -> Option<Limits> {
    use spdk_bdev_io_type::*;
    let l = match t {
        SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE => {
            let boundary = if t == SPDK_BDEV_IO_TYPE_WRITE && bd.flags & SPDK_BDEV_FLAG_SPLIT_ON_WRITE_UNIT != 0 && bd.write_unit_size > 1 {
                bd.write_unit_size as u64
            } else if bd.flags & SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY != 0 {
                bd.optimal_io_boundary as u64
            } else {
                0
            };
            Limits { boundary, max: bd.max_rw_size as u64, seg_size: bd.max_segment_size as usize, seg_count: bd.max_num_segments as usize }
        }
        SPDK_BDEV_IO_TYPE_UNMAP if bd.max_unmap != 0 && bd.max_unmap_segments != 0 => {
            Limits { boundary: 0, max: bd.max_unmap as u64 * bd.max_unmap_segments as u64, seg_size: 0, seg_count: 0 }
        }
        SPDK_BDEV_IO_TYPE_WRITE_ZEROES if bd.max_write_zeroes != 0 => Limits { boundary: 0, max: bd.max_write_zeroes as u64, seg_size: 0, seg_count: 0 },
        _ => return None,
    };
    (l.boundary != 0 || l.max != 0 || l.seg_size != 0 || l.seg_count != 0).then_some(l)
}

fn chunk_end(at: u64, end: u64, l: &Limits) -> u64 {
    let mut n = end - at;
    if l.boundary != 0 {
        n = n.min(l.boundary - at % l.boundary);
    }
    if l.max != 0 {
        n = n.min(l.max);
    }
    at + n
}

/// Whether `bio` breaks a limit.
///
/// # Safety
/// `bio.u.bdev` holds block parameters.
unsafe fn must_split(bio: &spdk_bdev_io, l: &Limits) -> bool {
    // SAFETY: per the contract.
    let (offset, num, iovs, iovcnt) = unsafe { (bio.u.bdev.offset_blocks, bio.u.bdev.num_blocks, bio.u.bdev.iovs, bio.u.bdev.iovcnt) };
    if chunk_end(offset, offset + num, l) < offset + num {
        return true;
    }
    if (l.seg_count != 0 && iovcnt as usize > l.seg_count) || iovcnt as usize > SPDK_BDEV_IO_NUM_CHILD_IOV && l.seg_size != 0 {
        return true;
    }
    l.seg_size != 0 && !iovs.is_null() && {
        // SAFETY: the I/O's iovecs.
        unsafe { std::slice::from_raw_parts(iovs, iovcnt.max(0) as usize) }.iter().any(|v| v.iov_len > l.seg_size)
    }
}

/// Cuts the parent's range into children: each inside the block limits
/// and, with data, carrying at most `seg_count` (and 32) segments of at most
/// `seg_size` bytes, trimmed to whole blocks.
struct Chunker<'a> {
    at: u64,
    end: u64,
    bl: usize,
    iovs: &'a [libc::iovec],
    seg: usize,
    seg_off: usize,
}

impl Chunker<'_> {
    /// The next child's (start, end, segments filled in `out`); None when
    /// done, Some with start == end when the limits allow no whole block.
    fn next(&mut self, l: &Limits, out: &mut [libc::iovec; SPDK_BDEV_IO_NUM_CHILD_IOV]) -> Option<(u64, u64, usize)> {
        if self.at >= self.end {
            return None;
        }
        let start = self.at;
        let mut next = chunk_end(self.at, self.end, l);
        if self.iovs.is_empty() {
            self.at = next;
            return Some((start, next, 0));
        }
        let max_segs = if l.seg_count != 0 { l.seg_count.min(out.len()) } else { out.len() };
        let want = (next - start) as usize * self.bl;
        let (mut seg, mut seg_off, mut got, mut n) = (self.seg, self.seg_off, 0usize, 0usize);
        while got < want && seg < self.iovs.len() && n < max_segs {
            let v = self.iovs[seg];
            let mut take = (v.iov_len - seg_off).min(want - got);
            if l.seg_size != 0 {
                take = take.min(l.seg_size);
            }
            // SAFETY: inside the caller's segment.
            out[n] = libc::iovec { iov_base: unsafe { (v.iov_base as *mut u8).add(seg_off) }.cast(), iov_len: take };
            n += 1;
            got += take;
            seg_off += take;
            if seg_off == v.iov_len {
                seg += 1;
                seg_off = 0;
            }
        }
        if got < want {
            // Out of segments: keep whole blocks, give the rest back to the next child.
            let mut extra = got % self.bl;
            got -= extra;
            next = start + (got / self.bl) as u64;
            while extra > 0 && n > 0 {
                let last = &mut out[n - 1];
                let cut = extra.min(last.iov_len);
                last.iov_len -= cut;
                extra -= cut;
                if seg_off >= cut {
                    seg_off -= cut;
                } else {
                    seg -= 1;
                    seg_off = self.iovs[seg].iov_len - (cut - seg_off);
                }
                if last.iov_len == 0 {
                    n -= 1;
                }
            }
            if got == 0 {
                return Some((start, start, 0));
            }
        }
        self.seg = seg;
        self.seg_off = seg_off;
        self.at = next;
        Some((start, next, n))
    }
}

fn release(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    let f = flags(io);
    if f[0] & OWN_BUF != 0 {
        f[0] &= !OWN_BUF;
        // SAFETY: the buffer the layer attached to this I/O.
        let (raw, len) = unsafe { ((*io).internal.buf.ptr, (*io).internal.buf.len) };
        put_buf(c, raw as *mut u8, len as usize);
    }
    if c.cache.len() < super::cache_size() as usize {
        c.cache.push(io);
    } else {
        let pool = pool_ptr();
        if !pool.is_null() {
            // SAFETY: the pool lives while bdevs are registered; io is one of its elements.
            unsafe { &*pool }.put(io.cast());
        }
    }
}

/// Sends `parent` down as children within `l`; every child takes its part
/// of the parent's buffers (and metadata).
fn split(parent: *mut spdk_bdev_io, l: &Limits) -> Result<(), SubmitError> {
    // SAFETY: the parent prepared by `submit`, owned by this thread.
    let p = unsafe { &mut *parent };
    let c = chan_of(p);
    let bd = bdev_ref(p.bdev);
    let bl = bd.blocklen as usize;
    // SAFETY: block parameters were set by `submit`.
    let (iovs, iovcnt, offset, num, md) = unsafe { (p.u.bdev.iovs, p.u.bdev.iovcnt, p.u.bdev.offset_blocks, p.u.bdev.num_blocks, p.u.bdev.md_buf) };
    let parent_iovs: &[libc::iovec] = if iovs.is_null() || iovcnt <= 0 {
        &[]
    } else {
        // SAFETY: the caller's iovecs, iovcnt of them.
        unsafe { std::slice::from_raw_parts(iovs, iovcnt as usize) }
    };
    let mk = || Chunker { at: offset, end: offset + num, bl, iovs: parent_iovs, seg: 0, seg_off: 0 };
    let mut scratch = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; SPDK_BDEV_IO_NUM_CHILD_IOV];
    let mut count = 0u32;
    let mut ch = mk();
    while let Some((s, e, _)) = ch.next(l, &mut scratch) {
        if s == e {
            // Segments too small for one block under the limits.
            return Err(SubmitError::Invalid);
        }
        count += 1;
    }
    // Take every child first, so a shortage fails the parent before anything goes down.
    let mut children: Vec<*mut spdk_bdev_io> = Vec::with_capacity(count as usize);
    for _ in 0..count {
        match get_io(c) {
            Some(io) => children.push(io),
            None => {
                children.into_iter().for_each(|io| release(c, io));
                return Err(SubmitError::NoMemory);
            }
        }
    }
    *split_state(parent) = SplitState { remaining: count, failed: 0 };
    let mut chunks = mk();
    for &io in &children {
        // SAFETY: a fresh element; we fill what modules read.
        let ch = unsafe { &mut *io };
        let (at, next, n) = chunks.next(l, &mut ch.child_iov).unwrap_or((0, 0, 0));
        ch.bdev = p.bdev;
        ch.r#type = p.r#type;
        ch.num_retries = 0;
        // SAFETY: as above.
        unsafe {
            let blk = &mut ch.u.bdev;
            blk.iovs = if parent_iovs.is_empty() { std::ptr::null_mut() } else { ch.child_iov.as_mut_ptr() };
            blk.iovcnt = n as c_int;
            blk.offset_blocks = at;
            blk.num_blocks = next - at;
            blk.md_buf = if md.is_null() { md } else { (md as *mut u8).add(((at - offset) * bd.md_len as u64) as usize).cast() };
            blk.memory_domain = std::ptr::null_mut();
            blk.memory_domain_ctx = std::ptr::null_mut();
            blk.accel_sequence = std::ptr::null_mut();
            blk.fused_iovs = std::ptr::null_mut();
            blk.fused_iovcnt = 0;
            blk.dif_check_flags = p.u.bdev.dif_check_flags;
            blk.nvme_cdw12 = p.u.bdev.nvme_cdw12;
            blk.nvme_cdw13 = p.u.bdev.nvme_cdw13;
        }
        let int = &mut ch.internal;
        int.ch = p.internal.ch;
        int.desc = p.internal.desc;
        int.cb = None;
        int.caller_ctx = parent.cast();
        int.submit_tsc = p.internal.submit_tsc;
        int.status = spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_PENDING as i8;
        int.reserved = [CHILD, 0, 0, 0, 0];
        int.error = p.internal.error;
        int.buf = spdk_bdev_io_internal_buf { ptr: std::ptr::null_mut(), len: 0 };
    }
    for io in children {
        send_down(io);
    }
    Ok(())
}

/// A child finished: fold it into its parent, which completes after the last one.
fn child_done(io: *mut spdk_bdev_io) {
    // SAFETY: a child this thread sent down; caller_ctx is its live parent.
    let (parent, status) = unsafe { ((*io).internal.caller_ctx as *mut spdk_bdev_io, (*io).internal.status) };
    // SAFETY: as above.
    let c = chan_of(unsafe { &*io });
    if status != spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i8 {
        // The parent takes the first failure's status (and its NVMe/SCSI detail).
        // SAFETY: both live.
        unsafe {
            if split_state(parent).failed == 0 {
                (*parent).internal.error = (*io).internal.error;
                (*parent).internal.status = status;
            }
        }
        split_state(parent).failed = 1;
    }
    release(c, io);
    let st = split_state(parent);
    st.remaining -= 1;
    if st.remaining == 0 {
        if st.failed == 0 {
            // SAFETY: the parent is live until its own completion.
            unsafe { (*parent).internal.status = spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i8 };
        }
        finish(parent);
    }
}

/// Hands a prepared I/O to its module, through a bounce buffer if its
/// buffers miss the bdev's alignment.
fn send_down(io: *mut spdk_bdev_io) {
    // SAFETY: a live bdev_io prepared by `submit`, owned by this thread's channel.
    let bio = unsafe { &mut *io };
    let c = chan_of(bio);
    let bd = bdev_ref(bio.bdev);
    if bd.required_alignment != 0 && bio.internal.reserved[0] & BOUNCED == 0 && misaligned(bio, bd) {
        // SAFETY: block parameters of a data I/O.
        let len = unsafe { bio.u.bdev.num_blocks } as usize * bd.blocklen as usize;
        if super::iobuf::class_of(len + (1usize << bd.required_alignment)).is_none() {
            // No bounce buffer is that large: fail it rather than wait forever.
            complete_later(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED);
            return;
        }
        if !bounce(io) {
            flags(io)[1] = WAIT_BOUNCE;
            wait_for_buf(c, io);
            return;
        }
    }
    module_submit(c, bd, io);
}

fn data_io(t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    matches!(t, SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_COMPARE)
}

fn misaligned(bio: &spdk_bdev_io, bd: &spdk_bdev) -> bool {
    if !data_io(io_type(bio)) {
        return false;
    }
    let mask = (1usize << bd.required_alignment) - 1;
    // SAFETY: block parameters of a data I/O.
    let (iovs, n) = unsafe { (bio.u.bdev.iovs, bio.u.bdev.iovcnt) };
    !iovs.is_null() && {
        // SAFETY: the I/O's iovecs.
        unsafe { std::slice::from_raw_parts(iovs, n.max(0) as usize) }.iter().any(|v| v.iov_base as usize & mask != 0)
    }
}

/// Walks the first `len` bytes of iovecs: `f(segment start, offset in the
/// flat range, bytes)` per piece; false as soon as `f` is.
pub(crate) fn walk_iovs(iovs: *const libc::iovec, cnt: c_int, len: usize, mut f: impl FnMut(*mut u8, usize, usize) -> bool) -> bool {
    if iovs.is_null() {
        return true;
    }
    // SAFETY: the I/O's iovecs, cnt of them.
    let v = unsafe { std::slice::from_raw_parts(iovs, cnt.max(0) as usize) };
    let mut done = 0;
    for s in v {
        if done == len {
            break;
        }
        let n = s.iov_len.min(len - done);
        if !f(s.iov_base as *mut u8, done, n) {
            return false;
        }
        done += n;
    }
    true
}

/// Copies `len` bytes between a flat buffer and iovecs (`to_iovs`: into them).
pub(crate) fn copy_iovs(iovs: *const libc::iovec, cnt: c_int, flat: *mut u8, len: usize, to_iovs: bool) {
    walk_iovs(iovs, cnt, len, |seg, at, n| {
        // SAFETY: both ranges are live buffers of the I/O, n bytes each.
        unsafe {
            if to_iovs {
                std::ptr::copy_nonoverlapping(flat.add(at), seg, n);
            } else {
                std::ptr::copy_nonoverlapping(seg, flat.add(at), n);
            }
        }
        true
    });
}

/// Moves a misaligned I/O onto an aligned bounce buffer (data copied in
/// for writes); false when no buffer is free now.
fn bounce(io: *mut spdk_bdev_io) -> bool {
    // SAFETY: a live data I/O of this thread.
    let bio = unsafe { &mut *io };
    let c = chan_of(bio);
    let bd = bdev_ref(bio.bdev);
    // SAFETY: block parameters of a data I/O.
    let len = unsafe { bio.u.bdev.num_blocks } as usize * bd.blocklen as usize;
    let Some((raw, class, aligned)) = take_buf(c, len, 1usize << bd.required_alignment) else { return false };
    let bb = &mut bio.internal.bounce_buf;
    // SAFETY: block parameters of a data I/O; the buffer holds len bytes.
    unsafe {
        bb.orig_iovs = bio.u.bdev.iovs;
        bb.orig_iovcnt = bio.u.bdev.iovcnt;
        if io_type(io) != spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ {
            copy_iovs(bb.orig_iovs, bb.orig_iovcnt, aligned, len, false);
        }
        bb.iov = libc::iovec { iov_base: aligned.cast(), iov_len: len };
        bb.md_iov = libc::iovec { iov_base: raw.cast(), iov_len: class };
        bio.u.bdev.iovs = &mut bb.iov;
        bio.u.bdev.iovcnt = 1;
    }
    bio.internal.reserved[0] |= BOUNCED;
    true
}

/// Back from the bounce buffer: read data copied out, the caller's iovecs restored.
fn unbounce(io: *mut spdk_bdev_io) {
    // SAFETY: a completed I/O of this thread.
    let bio = unsafe { &mut *io };
    bio.internal.reserved[0] &= !BOUNCED;
    let c = chan_of(bio);
    let bb = bio.internal.bounce_buf;
    if io_type(io) == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ && bio.internal.status == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i8 {
        copy_iovs(bb.orig_iovs, bb.orig_iovcnt, bb.iov.iov_base as *mut u8, bb.iov.iov_len, true);
    }
    // Restoring the I/O's own iovecs (a union field write).
    bio.u.bdev.iovs = bb.orig_iovs;
    bio.u.bdev.iovcnt = bb.orig_iovcnt;
    put_buf(c, bb.md_iov.iov_base as *mut u8, bb.md_iov.iov_len);
}

/// A buffer of at least `len` bytes aligned to `align`: (raw, class size, aligned).
pub(crate) fn take_buf(c: &mut BdevChannel, len: usize, align: usize) -> Option<(*mut u8, usize, *mut u8)> {
    let align = align.max(1);
    let large = super::iobuf::class_of(len + align - 1)?;
    let raw = c.bufs.get(large)?;
    let class = if large { super::iobuf::LARGE_BUFSIZE } else { super::iobuf::SMALL_BUFSIZE };
    let aligned = (raw as usize).next_multiple_of(align) as *mut u8;
    Some((raw, class, aligned))
}

/// Gives a buffer back; I/Os waiting for one on this channel get theirs.
pub(crate) fn put_buf(c: &mut BdevChannel, raw: *mut u8, class: usize) {
    c.bufs.put(class > super::iobuf::SMALL_BUFSIZE, raw);
    serve_buf_waiters(c);
}

/// Attaches a layer buffer as the I/O's only segment (`u.bdev.num_blocks`
/// bytes, or `len` for `get_buf`); false when none is free now.
fn attach_buf_len(io: *mut spdk_bdev_io, len: usize) -> bool {
    // SAFETY: a live block I/O of this thread.
    let bio = unsafe { &mut *io };
    let c = chan_of(bio);
    let align = 1usize << bdev_ref(bio.bdev).required_alignment;
    let Some((raw, class, aligned)) = take_buf(c, len, align) else { return false };
    bio.internal.buf = spdk_bdev_io_internal_buf { ptr: raw.cast(), len: class as u64 };
    bio.internal.reserved[0] |= OWN_BUF;
    bio.iov = libc::iovec { iov_base: aligned.cast(), iov_len: len };
    bio.u.bdev.iovs = &mut bio.iov;
    bio.u.bdev.iovcnt = 1;
    true
}

fn attach_buf(io: *mut spdk_bdev_io) -> bool {
    // SAFETY: a live block I/O.
    let len = unsafe { (*io).u.bdev.num_blocks as usize * bdev_ref((*io).bdev).blocklen as usize };
    attach_buf_len(io, len)
}

/// How often I/Os waiting for a buffer look at the shared pools again.
const BUF_POLL_US: u64 = 100;

fn wait_for_buf(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    c.buf_wait.push_back(io);
    if c.buf_poller.is_null() {
        let arg = c as *mut BdevChannel as *mut c_void;
        c.buf_poller = crate::thread::poller::register(buf_poll, arg, BUF_POLL_US, Some("bdev_iobuf")).unwrap_or(std::ptr::null_mut());
    }
}

extern "C" fn buf_poll(arg: *mut c_void) -> c_int {
    // SAFETY: the channel that registered this poller, live until it unregisters it.
    let c = unsafe { &mut *(arg as *mut BdevChannel) };
    let before = c.buf_wait.len();
    serve_buf_waiters(c);
    if c.buf_wait.is_empty() && !c.buf_poller.is_null() {
        crate::thread::poller::unregister(c.buf_poller);
        c.buf_poller = std::ptr::null_mut();
    }
    (before - c.buf_wait.len()) as c_int
}

/// Gives waiting I/Os their buffers, in order, while there are some.
fn serve_buf_waiters(c: &mut BdevChannel) {
    while let Some(&io) = c.buf_wait.front() {
        let kind = flags(io)[1];
        let ok = match kind {
            // SAFETY: the length get_buf asked for is kept in the I/O's own iovec.
            WAIT_GETBUF => attach_buf_len(io, unsafe { (*io).iov.iov_len }),
            WAIT_START => attach_buf(io),
            _ => bounce(io),
        };
        if !ok {
            return;
        }
        c.buf_wait.pop_front();
        flags(io)[1] = 0;
        match kind {
            WAIT_GETBUF => call_get_buf_cb(io, true),
            _ => {
                if dispatch(io).is_err() {
                    complete_later(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED);
                }
            }
        }
    }
}

fn call_get_buf_cb(io: *mut spdk_bdev_io, ok: bool) {
    // SAFETY: a live I/O in its module's hands.
    let (cb, c) = unsafe { ((*io).internal.get_buf_cb, chan_of(&*io)) };
    if let Some(cb) = cb {
        // SAFETY: the module's callback with its channel and its I/O.
        unsafe { cb(c.module_ch, io, ok) };
    }
}

/// `spdk_bdev_io_get_buf`: the module gets a data buffer of `len` bytes for
/// `io` (its own if it has one), through `cb` now or once one frees up; a
/// length beyond the large buffers fails (`cb(.., false)`).
#[allow(clippy::not_unsafe_ptr_arg_deref)] // a live I/O the module holds, as C does
pub fn get_buf(io: *mut spdk_bdev_io, cb: spdk_bdev_io_get_buf_cb, len: u64) {
    // SAFETY: a live I/O in its module's hands.
    let bio = unsafe { &mut *io };
    bio.internal.get_buf_cb = cb;
    // SAFETY: block parameters.
    let has = unsafe { bio.u.bdev.iovcnt > 0 && !bio.u.bdev.iovs.is_null() && !(*bio.u.bdev.iovs).iov_base.is_null() };
    if has {
        call_get_buf_cb(io, true);
        return;
    }
    let align = 1usize << bdev_ref(bio.bdev).required_alignment;
    if super::iobuf::class_of(len as usize + align - 1).is_none() {
        call_get_buf_cb(io, false);
        return;
    }
    if attach_buf_len(io, len as usize) {
        call_get_buf_cb(io, true);
        return;
    }
    bio.iov.iov_len = len as usize;
    flags(io)[1] = WAIT_GETBUF;
    wait_for_buf(chan_of(bio), io);
}

/// When `io` was submitted, in ticks (`spdk_bdev_io_get_submit_tsc`).
#[inline]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // a live I/O, as C does
pub fn submit_tsc(io: *const spdk_bdev_io) -> u64 {
    // SAFETY: a live I/O its submitter or module holds.
    unsafe { (*io).internal.submit_tsc }
}

pub(crate) fn chan_of<'a>(bio: &spdk_bdev_io) -> &'a mut BdevChannel {
    // SAFETY: set by `submit` to the channel the I/O belongs to.
    unsafe { &mut *(bio.internal.ch as *mut BdevChannel) }
}

extern "C" fn deferred_complete(arg: *mut c_void) {
    finish(arg as *mut spdk_bdev_io);
}

fn account(c: &mut BdevChannel, bio: &spdk_bdev_io, success: bool) {
    let lat = cpu::ticks().saturating_sub(bio.internal.submit_tsc);
    super::histogram::tally(c, bio.r#type, lat);
    if !success {
        c.stat.num_errors += 1;
        return;
    }
    let mut t = bio.r#type;
    if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY as u8 {
        // As SPDK: a populated start counts as a read, a committed end as a write.
        // SAFETY: block parameters of a zero-copy I/O.
        let z = unsafe { bio.u.bdev.zcopy };
        t = match (z.start(), z.populate(), z.commit()) {
            (true, true, _) => spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ as u8,
            (false, _, true) => spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE as u8,
            _ => t,
        };
    }
    match t {
        t if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ as u8 => {
            c.stat.bytes_read += bio_bytes(bio);
            c.stat.num_read_ops += 1;
            c.stat.read_latency_ticks += lat;
            c.stat.latency(0, lat);
        }
        t if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE as u8 => {
            c.stat.bytes_written += bio_bytes(bio);
            c.stat.num_write_ops += 1;
            c.stat.write_latency_ticks += lat;
            c.stat.latency(1, lat);
        }
        t if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP as u8 => {
            c.stat.bytes_unmapped += bio_bytes(bio);
            c.stat.num_unmap_ops += 1;
            c.stat.unmap_latency_ticks += lat;
            c.stat.latency(2, lat);
        }
        _ => {}
    }
}

fn bio_bytes(bio: &spdk_bdev_io) -> u64 {
    // SAFETY: block I/O parameters are set for the block I/O types this is asked for.
    unsafe { bio.u.bdev.num_blocks.saturating_mul(bdev_ref(bio.bdev).blocklen as u64) }
}

/// Calls the submitter back (the I/O stays allocated until `free_io`).
pub(crate) fn finish(io: *mut spdk_bdev_io) {
    // SAFETY: a completed I/O of this thread's channel.
    let bio = unsafe { &mut *io };
    let fl = bio.internal.reserved[0];
    if fl & (BOUNCED | CHILD | INTERNAL | RESET_DOWN) != 0 && finish_layer(io, fl) {
        return;
    }
    let success = bio.internal.status == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i8;
    let c = chan_of(bio);
    c.outstanding -= 1;
    if bio.internal.reserved[2] & WRITE_COUNTED != 0 {
        unlink_write(io);
    }
    if fl & TRACKED != 0 || bio.internal.reserved[2] & FROZEN_ABORT != 0 || bio.r#type == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET as u8 {
        finish_rare(c, io);
    }
    account(c, bio, success);
    if let Some(cb) = bio.internal.cb {
        // SAFETY: the submitter's completion callback with its context.
        unsafe { cb(io, success, bio.internal.caller_ctx) };
    }
    retry_nomem(c);
}

/// The layer's own steps of a completion: off the bounce buffer; a child
/// folded into its parent, an internal I/O's continuation, the end of a
/// reset the module had (true: nothing more to do for the caller).
#[cold]
fn finish_layer(io: *mut spdk_bdev_io, fl: u8) -> bool {
    if fl & BOUNCED != 0 {
        unbounce(io);
    }
    if fl & CHILD != 0 {
        child_done(io);
        return true;
    }
    // SAFETY: a completed I/O of this thread's channel.
    let bio = unsafe { &mut *io };
    if fl & INTERNAL != 0 {
        let success = bio.internal.status == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i8;
        if let Some(cb) = bio.internal.cb {
            // SAFETY: the layer's own continuation.
            unsafe { cb(io, success, bio.internal.caller_ctx) };
        }
        return true;
    }
    if fl & RESET_DOWN != 0 {
        // The module reset the bdev: unfreeze every channel, then call back.
        bio.internal.reserved[0] &= !RESET_DOWN;
        super::reset::done(io);
        return true;
    }
    false
}

/// The less common bookkeeping of a top-level completion: resets, I/O
/// aborted by one, timeout tracking.
#[cold]
fn finish_rare(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    // SAFETY: a completed top-level I/O of this channel.
    let bio = unsafe { &mut *io };
    if bio.r#type == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET as u8 {
        c.resets -= 1;
    }
    if bio.internal.reserved[2] & FROZEN_ABORT != 0 {
        bio.internal.reserved[2] &= !FROZEN_ABORT;
        c.frozen_aborts -= 1;
    }
    if bio.internal.reserved[0] & TRACKED != 0 {
        bio.internal.reserved[0] &= !TRACKED;
        super::timeout::untrack(io);
    }
}

extern "C" fn nomem_kick(arg: *mut c_void) {
    // SAFETY: a channel with outstanding I/O, on its own thread.
    retry_nomem(unsafe { &mut *(arg as *mut BdevChannel) });
}

fn retry_nomem(c: &mut BdevChannel) {
    if let Some(io) = c.nomem.pop_front() {
        send_down(io);
    }
}

/// `spdk_bdev_io_complete`: a module finished an I/O with `status`.
pub fn complete(io: *mut spdk_bdev_io, status: i32) {
    // SAFETY: an I/O the layer handed to the module, now handed back.
    let bio = unsafe { &mut *io };
    if status == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_NOMEM as i32 && bio.r#type != spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET as u8 {
        // The module ran out of its own resources: retry after another I/O completes.
        let c = chan_of(bio);
        c.nomem.push_back(io);
        if c.outstanding as usize <= c.nomem.len() {
            // Nothing else in flight will complete and retry it: retry from a
            // message (the channel lives while it has outstanding I/O).
            let t = thread::current();
            // SAFETY: the current thread is live.
            if !t.is_null() {
                let _ = unsafe { &*t }.send_msg(nomem_kick, c as *mut BdevChannel as *mut c_void);
            }
        }
        return;
    }
    bio.internal.status = status as i8;
    if bio.internal.reserved[0] & IN_SUBMIT != 0 {
        // Completed inside submit_request: call back later, not in the submitter's stack.
        let t = thread::current();
        // SAFETY: the current thread is live.
        if !t.is_null() && unsafe { &*t }.send_msg(deferred_complete, io.cast()).is_ok() {
            return;
        }
    }
    finish(io);
}

/// `spdk_bdev_io_complete_nvme_status`: completes `io` with an NVMe status
/// (success, aborted and compare failure map to their generic statuses).
pub fn complete_nvme_status(io: *mut spdk_bdev_io, cdw0: u32, sct: i32, sc: i32) {
    let s = super::status::set_nvme(io, cdw0, sct, sc);
    complete(io, s as i32);
}

/// `spdk_bdev_io_get_nvme_status`: (cdw0, sct, sc) of a completed I/O.
pub fn nvme_status(io: *const spdk_bdev_io) -> (u32, i32, i32) {
    super::status::nvme(io)
}

/// `spdk_bdev_free_io`: back to the pool (with its layer buffer); a caller
/// waiting for a bdev_io is told.
pub fn free_io(io: *mut spdk_bdev_io) {
    // SAFETY: a completed I/O its submitter gives back.
    let c = chan_of(unsafe { &*io });
    release(c, io);
    if let Some(e) = c.io_wait.pop_front() {
        // SAFETY: an entry the caller queued and keeps alive until called.
        unsafe {
            if let Some(f) = (*e).cb_fn {
                f((*e).cb_arg);
            }
        }
    }
}

/// A bdev_io for the layer's own use on `c` (emulations): INTERNAL, its
/// completion runs `cb(io, success, arg)`; None when the pool is empty.
pub(crate) fn internal_io(c: &mut BdevChannel, of: *mut spdk_bdev_io, t: spdk_bdev_io_type, cb: spdk_bdev_io_completion_cb, arg: *mut c_void) -> Option<*mut spdk_bdev_io> {
    let io = get_io(c)?;
    // SAFETY: a fresh element; `of` is the live I/O it works for.
    unsafe {
        let bio = &mut *io;
        let p = &*of;
        bio.bdev = p.bdev;
        bio.r#type = t as u8;
        bio.num_retries = 0;
        bio.u.bdev = p.u.bdev;
        bio.u.bdev.fused_iovs = std::ptr::null_mut();
        bio.u.bdev.fused_iovcnt = 0;
        init_internal(c, io, p.internal.desc.cast(), cb, arg);
        bio.internal.submit_tsc = p.internal.submit_tsc;
    }
    flags(io)[0] = INTERNAL;
    Some(io)
}

/// Takes a write off its channel's list of writes in flight.
#[inline]
fn unlink_write(io: *mut spdk_bdev_io) {
    let f = flags(io);
    if f[2] & WRITE_COUNTED == 0 {
        return;
    }
    f[2] &= !WRITE_COUNTED;
    // SAFETY: a live I/O on the list: prev points at the head or a live I/O's next.
    unsafe {
        let link = (*io).internal.link;
        *link.tqe_prev = link.tqe_next;
        if !link.tqe_next.is_null() {
            (*link.tqe_next).internal.link.tqe_prev = link.tqe_prev;
        }
    }
}

/// How many writes in flight on `c` overlap `[offset, offset + num)`.
pub(crate) fn writes_in_range(c: &BdevChannel, offset: u64, num: u64) -> u64 {
    let mut n = 0;
    let mut io = c.writes;
    while !io.is_null() {
        // SAFETY: a live I/O on the channel's list.
        let (o, k, next) = unsafe { ((*io).u.bdev.offset_blocks, (*io).u.bdev.num_blocks.max(1), (*io).internal.link.tqe_next) };
        if o < offset + num && offset < o + k {
            n += 1;
        }
        io = next;
    }
    n
}

/// Gives an internal I/O (and its buffer) back.
pub(crate) fn release_internal(io: *mut spdk_bdev_io) {
    // SAFETY: a finished internal I/O of this thread.
    release(chan_of(unsafe { &*io }), io);
}

/// Attaches a layer buffer to an internal read (false: none free now).
pub(crate) fn attach_internal_buf(io: *mut spdk_bdev_io) -> bool {
    attach_buf(io)
}

/// `spdk_bdev_queue_io_wait`: call `entry.cb_fn` when a bdev_io frees on this channel.
pub fn queue_io_wait(ch: *mut spdk_io_channel, entry: *mut spdk_bdev_io_wait_entry) -> Result<(), SubmitError> {
    if !chan(ch).cache.is_empty() || super::pool_has_free() {
        // As SPDK: waiting only makes sense when none is free.
        return Err(SubmitError::Invalid);
    }
    let c = chan(ch);
    c.io_wait.push_back(entry);
    if c.io_wait_poller.is_null() {
        let arg = c as *mut BdevChannel as *mut c_void;
        c.io_wait_poller = crate::thread::poller::register(io_wait_poll, arg, IO_WAIT_POLL_US, Some("bdev_io_wait")).unwrap_or(std::ptr::null_mut());
    }
    Ok(())
}

/// How often a channel with callers waiting for a bdev_io looks at the pool.
const IO_WAIT_POLL_US: u64 = 100;

/// Wakes waiters while bdev_ios are free (freed by other channels into the
/// pool); goes away when no one waits.
extern "C" fn io_wait_poll(arg: *mut c_void) -> c_int {
    let cp = arg as *mut BdevChannel;
    let mut woken = 0;
    loop {
        // SAFETY: the channel that registered this poller, on its own thread,
        // until it unregisters it; callbacks may use the channel in between.
        let c = unsafe { &mut *cp };
        if c.io_wait.is_empty() {
            crate::thread::poller::unregister(c.io_wait_poller);
            c.io_wait_poller = std::ptr::null_mut();
            return woken;
        }
        if c.cache.is_empty() && !super::pool_has_free() {
            return woken;
        }
        let Some(e) = c.io_wait.pop_front() else { continue };
        woken += 1;
        // SAFETY: an entry the caller queued and keeps alive until called.
        unsafe {
            if let Some(f) = (*e).cb_fn {
                f((*e).cb_arg);
            }
        }
    }
}
