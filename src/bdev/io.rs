//! The I/O path: per-thread channels, submission with validation,
//! completion (deferred when a module completes inside `submit_request`),
//! retries of I/O a module refused for lack of memory, and the io_wait queue
//! of callers that found no free `bdev_io`.

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
    /// Newest first: the top-level I/Os in flight while timeouts are tracked (`timeout.rs`).
    pub(crate) submitted: *mut spdk_bdev_io,
    /// Latency histogram while enabled (`histogram.rs`).
    pub(crate) histogram: Option<super::histogram::ChannelHistogram>,
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
        submitted: std::ptr::null_mut(),
        histogram: super::histogram::channel_new(b),
    };
    // SAFETY: ctx is this channel's zeroed context of size_of::<BdevChannel>() bytes.
    unsafe { (ctx as *mut BdevChannel).write(ch) };
    0
}

pub extern "C" fn channel_destroy(_io_device: *mut c_void, ctx: *mut c_void) {
    // SAFETY: initialised by channel_create; dropped once here.
    let ch = unsafe { std::ptr::read(ctx as *mut BdevChannel) };
    if !ch.qos_poller.is_null() {
        crate::thread::poller::unregister(ch.qos_poller);
    }
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

fn writes(t: spdk_bdev_io_type) -> bool {
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
const IN_SUBMIT: u8 = 1;
const CHILD: u8 = 2;
/// On its channel's `submitted` list (timeouts).
const TRACKED: u8 = 4;
/// Its timeout was reported already.
pub(crate) const TIMEOUT_REPORTED: u8 = 8;

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

/// Validates and submits one I/O on the calling thread's channel.
pub fn submit(desc: *mut Desc, ch: *mut spdk_io_channel, req: Request) -> Result<(), SubmitError> {
    // SAFETY: an open descriptor, used by its owner.
    let d = unsafe { &*desc };
    let b = d.bdev;
    let bd = bdev_ref(b);
    if writes(req.io_type) && !d.write {
        return Err(SubmitError::ReadOnly);
    }
    let end = req.offset_blocks.checked_add(req.num_blocks).ok_or(SubmitError::Invalid)?;
    let needs_blocks = !matches!(req.io_type, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET);
    if needs_blocks && (end > bd.blockcnt || (req.num_blocks == 0 && req.io_type != spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_FLUSH)) {
        return Err(SubmitError::Invalid);
    }
    if !super::io_type_supported(b, req.io_type) {
        return Err(SubmitError::Unsupported);
    }
    let data = matches!(
        req.io_type,
        spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_COMPARE
    );
    if data && req.iovs.is_null() && req.buf.is_null() {
        return Err(SubmitError::Invalid);
    }
    let c = chan(ch);
    let io = match c.cache.pop() {
        Some(io) => io,
        None => {
            let pool = pool_ptr();
            if pool.is_null() {
                return Err(SubmitError::NoMemory);
            }
            // SAFETY: the pool lives while bdevs are registered.
            unsafe { &*pool }.get().ok_or(SubmitError::NoMemory)? as *mut spdk_bdev_io
        }
    };
    // SAFETY: a fresh element of the pool, at least size_of::<spdk_bdev_io>() bytes.
    unsafe {
        let bio = &mut *io;
        bio.bdev = b;
        bio.r#type = req.io_type as u8;
        bio.num_retries = 0;
        let blk = &mut bio.u.bdev;
        if req.iovs.is_null() {
            bio.iov = libc::iovec { iov_base: req.buf, iov_len: (req.num_blocks * bd.blocklen as u64) as usize };
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
        blk.fused_iovs = std::ptr::null_mut();
        blk.fused_iovcnt = 0;
        let int = &mut bio.internal;
        int.ch = c as *mut BdevChannel as *mut spdk_bdev_channel;
        int.desc = desc.cast();
        int.cb = req.cb;
        int.caller_ctx = req.cb_arg;
        int.submit_tsc = cpu::ticks();
        int.status = spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_PENDING as i8;
        int.reserved = [0; 5];
    }
    c.outstanding += 1;
    if super::timeout::tracking() {
        super::timeout::track(c, io);
        // SAFETY: as above.
        unsafe { (*io).internal.reserved[0] |= TRACKED };
    }
    if let Some(q) = super::qos::of(b).filter(|q| q.enabled()) {
        let bytes = req.num_blocks * bd.blocklen as u64;
        if !c.qos_queue.is_empty() || !q.admit(req.io_type, bytes, cpu::ticks()) {
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
        // SAFETY: as above.
        if unsafe { (*io).internal.reserved[0] } & TRACKED != 0 {
            super::timeout::untrack(io);
        }
        release(c, io);
        return Err(e);
    }
    Ok(())
}

/// How often a channel with I/O held back by QoS looks at the budget again.
const QOS_POLL_US: u64 = 100;

/// Sends a prepared I/O down, split first if it must be.
fn start(io: *mut spdk_bdev_io) -> Result<(), SubmitError> {
    // SAFETY: a prepared I/O of this thread's channel.
    let (bd, t, offset, num) = unsafe { (bdev_ref((*io).bdev), (*io).r#type, (*io).u.bdev.offset_blocks, (*io).u.bdev.num_blocks) };
    let t = spdk_bdev_io_type::from_raw(t as i32).unwrap_or(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_INVALID);
    if let Some((boundary, max)) = split_limit(bd, t).filter(|&(boundary, max)| crosses(offset, num, boundary, max)) {
        return split(io, boundary, max);
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
            // SAFETY: a prepared I/O waiting in this channel.
            let (t, bytes) = unsafe { ((*io).r#type, (*io).u.bdev.num_blocks * bdev_ref((*io).bdev).blocklen as u64) };
            let t = spdk_bdev_io_type::from_raw(t as i32).unwrap_or(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_INVALID);
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

/// (boundary, max blocks) that reads and writes of this bdev must respect, if any.
fn split_limit(bd: &spdk_bdev, t: spdk_bdev_io_type) -> Option<(u64, u64)> {
    if !matches!(t, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE) {
        return None;
    }
    let boundary = if bd.flags & SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY != 0 { bd.optimal_io_boundary as u64 } else { 0 };
    let max = bd.max_rw_size as u64;
    (boundary != 0 || max != 0).then_some((boundary, max))
}

fn chunk_end(at: u64, end: u64, boundary: u64, max: u64) -> u64 {
    let mut n = end - at;
    if boundary != 0 {
        n = n.min(boundary - at % boundary);
    }
    if max != 0 {
        n = n.min(max);
    }
    at + n
}

fn crosses(offset: u64, num: u64, boundary: u64, max: u64) -> bool {
    chunk_end(offset, offset + num, boundary, max) < offset + num
}

fn release(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    if c.cache.len() < CACHE_SIZE {
        c.cache.push(io);
    } else {
        let pool = pool_ptr();
        if !pool.is_null() {
            // SAFETY: the pool lives while bdevs are registered; io is one of its elements.
            unsafe { &*pool }.put(io.cast());
        }
    }
}

/// Sends `parent` down as children that each stay inside one boundary and
/// under `max` blocks; every child takes its part of the parent's buffers
/// (at most 32 segments each, in its `child_iov`).
fn split(parent: *mut spdk_bdev_io, boundary: u64, max: u64) -> Result<(), SubmitError> {
    // SAFETY: the parent prepared by `submit`, owned by this thread.
    let p = unsafe { &mut *parent };
    let c = chan_of(p);
    let bl = bdev_ref(p.bdev).blocklen as u64;
    // SAFETY: block parameters were set by `submit`.
    let (iovs, iovcnt, offset, num) = unsafe { (p.u.bdev.iovs, p.u.bdev.iovcnt, p.u.bdev.offset_blocks, p.u.bdev.num_blocks) };
    // SAFETY: the caller's iovecs, iovcnt of them.
    let parent_iovs = unsafe { std::slice::from_raw_parts(iovs, iovcnt.max(0) as usize) };
    let end = offset + num;
    let mut count = 0u32;
    let mut at = offset;
    while at < end {
        at = chunk_end(at, end, boundary, max);
        count += 1;
    }
    // Take every child first, so a shortage fails the parent before anything goes down.
    let mut children: Vec<*mut spdk_bdev_io> = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let io = c.cache.pop().or_else(|| {
            let pool = pool_ptr();
            // SAFETY: the pool lives while bdevs are registered.
            (!pool.is_null()).then(|| unsafe { &*pool }.get()).flatten().map(|e| e as *mut spdk_bdev_io)
        });
        match io {
            Some(io) => children.push(io),
            None => {
                children.into_iter().for_each(|io| release(c, io));
                return Err(SubmitError::NoMemory);
            }
        }
    }
    *split_state(parent) = SplitState { remaining: count, failed: 0 };
    let (mut seg, mut seg_off) = (0usize, 0usize);
    let mut at = offset;
    for &io in &children {
        let next = chunk_end(at, end, boundary, max);
        let mut bytes = ((next - at) * bl) as usize;
        // SAFETY: a fresh element; we fill what modules read.
        let ch = unsafe { &mut *io };
        ch.bdev = p.bdev;
        ch.r#type = p.r#type;
        ch.num_retries = 0;
        let mut n = 0usize;
        while bytes > 0 && seg < parent_iovs.len() {
            if n == ch.child_iov.len() {
                // More segments than a child can carry: fail this child's part.
                split_state(parent).failed = 1;
                break;
            }
            let v = parent_iovs[seg];
            let take = (v.iov_len - seg_off).min(bytes);
            // SAFETY: inside the caller's segment.
            ch.child_iov[n] = libc::iovec { iov_base: unsafe { (v.iov_base as *mut u8).add(seg_off) }.cast(), iov_len: take };
            n += 1;
            bytes -= take;
            seg_off += take;
            if seg_off == v.iov_len {
                seg += 1;
                seg_off = 0;
            }
        }
        // SAFETY: as above.
        unsafe {
            let blk = &mut ch.u.bdev;
            blk.iovs = ch.child_iov.as_mut_ptr();
            blk.iovcnt = n as c_int;
            blk.offset_blocks = at;
            blk.num_blocks = next - at;
            blk.md_buf = std::ptr::null_mut();
            blk.memory_domain = std::ptr::null_mut();
            blk.memory_domain_ctx = std::ptr::null_mut();
            blk.accel_sequence = std::ptr::null_mut();
            blk.fused_iovs = std::ptr::null_mut();
            blk.fused_iovcnt = 0;
        }
        let int = &mut ch.internal;
        int.ch = p.internal.ch;
        int.desc = p.internal.desc;
        int.cb = None;
        int.caller_ctx = parent.cast();
        int.submit_tsc = p.internal.submit_tsc;
        int.status = spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_PENDING as i8;
        int.reserved = [CHILD, 0, 0, 0, 0];
        at = next;
    }
    for io in children {
        send_down(io);
    }
    Ok(())
}

/// A child finished: fold it into its parent, which completes after the last one.
fn child_done(io: *mut spdk_bdev_io) {
    // SAFETY: a child this thread sent down; caller_ctx is its live parent.
    let (parent, ok) = unsafe { ((*io).internal.caller_ctx as *mut spdk_bdev_io, (*io).internal.status == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i8) };
    let c = chan_of(unsafe { &*io });
    release(c, io);
    let st = split_state(parent);
    if !ok {
        st.failed = 1;
    }
    st.remaining -= 1;
    if st.remaining == 0 {
        let status = if st.failed != 0 { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS };
        // SAFETY: the parent is live until its own completion.
        unsafe { (*parent).internal.status = status as i8 };
        finish(parent);
    }
}

/// Hands a prepared I/O to its module.
fn send_down(io: *mut spdk_bdev_io) {
    // SAFETY: a live bdev_io prepared by `submit`, owned by this thread's channel.
    let bio = unsafe { &mut *io };
    let c = chan_of(bio);
    let bd = bdev_ref(bio.bdev);
    bio.internal.reserved[0] |= IN_SUBMIT;
    // SAFETY: the module's submit_request with its own channel and this I/O.
    unsafe { ((*bd.fn_table).submit_request.expect("submit_request"))(c.module_ch, io) };
    bio.internal.reserved[0] &= !IN_SUBMIT;
}

fn chan_of<'a>(bio: &spdk_bdev_io) -> &'a mut BdevChannel {
    // SAFETY: set by `submit` to the channel the I/O belongs to.
    unsafe { &mut *(bio.internal.ch as *mut BdevChannel) }
}

extern "C" fn deferred_complete(arg: *mut c_void) {
    finish(arg as *mut spdk_bdev_io);
}

fn account(c: &mut BdevChannel, bio: &spdk_bdev_io, success: bool) {
    let bytes = bio_bytes(bio);
    let lat = cpu::ticks().saturating_sub(bio.internal.submit_tsc);
    super::histogram::tally(c, bio.r#type, lat);
    if !success {
        c.stat.num_errors += 1;
        return;
    }
    match bio.r#type {
        t if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ as u8 => {
            c.stat.bytes_read += bytes;
            c.stat.num_read_ops += 1;
            c.stat.read_latency_ticks += lat;
            c.stat.latency(0, lat);
        }
        t if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE as u8 => {
            c.stat.bytes_written += bytes;
            c.stat.num_write_ops += 1;
            c.stat.write_latency_ticks += lat;
            c.stat.latency(1, lat);
        }
        t if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP as u8 => {
            c.stat.bytes_unmapped += bytes;
            c.stat.num_unmap_ops += 1;
            c.stat.unmap_latency_ticks += lat;
            c.stat.latency(2, lat);
        }
        _ => {}
    }
}

fn bio_bytes(bio: &spdk_bdev_io) -> u64 {
    // SAFETY: block I/O parameters are set for every I/O `submit` prepares.
    unsafe { bio.u.bdev.num_blocks * bdev_ref(bio.bdev).blocklen as u64 }
}

/// Calls the submitter back (the I/O stays allocated until `free_io`).
fn finish(io: *mut spdk_bdev_io) {
    // SAFETY: a completed I/O of this thread's channel.
    let bio = unsafe { &mut *io };
    if bio.internal.reserved[0] & CHILD != 0 {
        child_done(io);
        return;
    }
    let success = bio.internal.status == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i8;
    let c = chan_of(bio);
    c.outstanding -= 1;
    if bio.internal.reserved[0] & TRACKED != 0 {
        bio.internal.reserved[0] &= !TRACKED;
        super::timeout::untrack(io);
    }
    account(c, bio, success);
    if let Some(cb) = bio.internal.cb {
        // SAFETY: the submitter's completion callback with its context.
        unsafe { cb(io, success, bio.internal.caller_ctx) };
    }
    retry_nomem(c);
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
    if status == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_NOMEM as i32 {
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

/// `spdk_bdev_free_io`: back to the pool; a caller waiting for one is told.
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

/// `spdk_bdev_queue_io_wait`: call `entry.cb_fn` when a bdev_io frees on this channel.
pub fn queue_io_wait(ch: *mut spdk_io_channel, entry: *mut spdk_bdev_io_wait_entry) -> Result<(), SubmitError> {
    if !chan(ch).cache.is_empty() || super::pool_has_free() {
        // As SPDK: waiting only makes sense when none is free.
        return Err(SubmitError::Invalid);
    }
    chan(ch).io_wait.push_back(entry);
    Ok(())
}
