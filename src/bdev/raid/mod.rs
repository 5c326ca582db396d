//! The RAID virtual bdev (SPDK's `bdev_raid`): one bdev over several base
//! bdevs, each opened read-write and claimed by the module.
//!
//! - raid0: strips of `strip_size_kb` dealt round robin over the members;
//!   the layer splits reads and writes at strip boundaries (the bdev's
//!   `optimal_io_boundary`), so each of them lands on one member. Unmap,
//!   write-zeroes and flush ranges are mapped onto every member they touch.
//! - concat: the members end to end (each cut down to whole strips).
//! - raid1: every member holds all the data. Writes go to every member that
//!   takes them (the one being rebuilt too); reads go to one member, round
//!   robin, and move on to another when one fails. A member whose I/O fails
//!   is marked failed and gets no more I/O. A removed member can be replaced
//!   (`add_base_bdev`): its data is copied from an operational member in the
//!   background (see `rebuild`) while I/O goes on.
//!
//! Per-raid state that the I/O path reads (member states) is atomic; the
//! rest is changed on the thread the raid was created on, under `meta`.

mod concat;
mod raid0;
mod raid1;
mod rebuild;
pub use rebuild::{set_window_kb, window_kb};
#[cfg(test)]
mod tests;

use super::io::{self, Request, SubmitError};
use super::{BdevError, Desc};
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use crate::thread::io_channel::{self as ioch, ChannelIter};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::ffi::{c_int, c_void, CString};
use std::sync::atomic::{AtomicU8, Ordering};

/// Most members one raid takes (reads keep a bitmask of the members tried).
pub const MAX_MEMBERS: usize = 32;

/// The RAID levels this module does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Raid0,
    Raid1,
    Concat,
}

impl Level {
    /// SPDK's names (any case): raid0/0, raid1/1, concat.
    pub fn parse(s: &str) -> Result<Level, BdevError> {
        match s.to_ascii_lowercase().as_str() {
            "raid0" | "0" => Ok(Level::Raid0),
            "raid1" | "1" => Ok(Level::Raid1),
            "concat" => Ok(Level::Concat),
            "raid5f" | "5f" => Err(BdevError::Invalid(format!("raid_level '{s}' is not supported by this build (raid0, raid1, concat are)"))),
            _ => Err(BdevError::Invalid(format!("raid_level '{s}' is not one of raid0, raid1, concat"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Raid0 => "raid0",
            Level::Raid1 => "raid1",
            Level::Concat => "concat",
        }
    }

    fn min_members(self) -> usize {
        match self {
            Level::Raid1 => 2,
            Level::Raid0 | Level::Concat => 1,
        }
    }
}

/// States of a member slot.
pub(crate) const EMPTY: u8 = 0;
pub(crate) const OPERATIONAL: u8 = 1;
/// Being filled by a rebuild: takes writes, serves no reads.
pub(crate) const REBUILDING: u8 = 2;
/// An I/O on it failed: no more I/O goes there.
pub(crate) const FAILED: u8 = 3;
/// Being taken out: no new I/O, released once the I/O in flight is done.
pub(crate) const REMOVING: u8 = 4;

/// SPDK's raid states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Online,
    Offline,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Online => "online",
            State::Offline => "offline",
        }
    }
}

/// One member slot as the configuration sees it.
struct Member {
    name: Option<String>,
    uuid: [u8; 16],
    bdev: *mut spdk_bdev,
    desc: *mut Desc,
}

impl Member {
    const fn empty() -> Member {
        Member { name: None, uuid: [0; 16], bdev: std::ptr::null_mut(), desc: std::ptr::null_mut() }
    }
}

struct Meta {
    members: Vec<Member>,
    state: State,
    /// The bdev is registered and not yet unregistered by us.
    registered: bool,
    /// Our io_device is registered (its channels may exist).
    io_dev_live: bool,
    deleting: bool,
    /// Channels of our io_device: with none, member changes need no walk over them.
    channels: usize,
    /// The running rebuild (a `rebuild::Rebuild`), if any.
    rebuild: usize,
}

/// A raid: SPDK's bdev first, then the module's state.
#[repr(C)]
pub(crate) struct Raid {
    bdev: spdk_bdev,
    name: CString,
    level: Level,
    strip_kb: u32,
    /// Strip size in blocks (0 for raid1).
    strip: u64,
    /// Per slot: where its data starts on the raid (concat) and how many blocks it holds.
    extents: Vec<(u64, u64)>,
    states: Vec<AtomicU8>,
    /// Our io_device: a box holding this raid's address (channels find it there).
    io_dev: *mut usize,
    meta: Mutex<Meta>,
}

impl Raid {
    fn n(&self) -> usize {
        self.states.len()
    }
    fn state_of(&self, slot: usize) -> u8 {
        self.states[slot].load(Ordering::Acquire)
    }
    fn count(&self, f: impl Fn(u8) -> bool) -> usize {
        self.states.iter().filter(|s| f(s.load(Ordering::Acquire))).count()
    }
    /// The blocks of the raid range [offset, offset + num) that `slot` holds,
    /// as (member offset, blocks); None if it holds none of them.
    fn map(&self, offset: u64, num: u64, slot: usize) -> Option<(u64, u64)> {
        match self.level {
            Level::Raid0 => raid0::map(self.strip, self.n() as u64, offset, num, slot as u64),
            Level::Concat => concat::map(self.extents[slot], offset, num),
            Level::Raid1 => (num > 0).then_some((offset, num)),
        }
    }
}

/// Raids by address (`Box<Raid>` leaked until deleted).
static RAIDS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

static FN_TABLE: spdk_bdev_fn_table = super::fn_table(destruct, submit_request, io_type_supported, get_io_channel);

extern "C" fn ctx_size() -> c_int {
    std::mem::size_of::<IoCtx>() as c_int
}

fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| {
        // SAFETY: all-zero is valid for the module struct.
        let mut m: spdk_bdev_module = unsafe { std::mem::zeroed() };
        m.name = c"raid".as_ptr();
        m.get_ctx_size = Some(ctx_size);
        let p = Box::into_raw(Box::new(m));
        super::module_add(p);
        p as usize
    });
    *MODULE as *mut spdk_bdev_module
}

fn raid_ref<'a>(p: usize) -> &'a Raid {
    // SAFETY: raids stay allocated until `free_raid`, which runs after their
    // bdev and io_device are gone and they left RAIDS.
    unsafe { &*(p as *const Raid) }
}

fn find(name: &str) -> Option<usize> {
    RAIDS.lock().iter().copied().find(|&r| raid_ref(r).name.to_bytes() == name.as_bytes())
}

/// The raid behind a bdev of this module.
fn of_bdev(b: *mut spdk_bdev) -> Option<usize> {
    if b.is_null() || super::bdev_ref(b).module != module() {
        return None;
    }
    let r = super::bdev_ref(b).ctxt as usize;
    RAIDS.lock().contains(&r).then_some(r)
}

/// Whether a raid (online or offline) named `name` exists.
pub fn exists(name: &str) -> bool {
    find(name).is_some()
}

// ---- Channels ----

/// A raid channel: one channel per member on this thread, and the I/O
/// bookkeeping the rebuild and member removal need.
pub(crate) struct RaidChannel {
    raid: usize,
    base_ch: Vec<*mut spdk_io_channel>,
    base_bdev: Vec<*mut spdk_bdev>,
    base_desc: Vec<*mut Desc>,
    /// Member I/Os in flight, per slot.
    outstanding: Vec<u32>,
    /// A removal waiting for a slot's I/O to drain on this channel.
    detach_wait: Vec<*mut ChannelIter>,
    /// Raid writes in flight on this channel (raid1; the rebuild waits for those in its window).
    inflight: Vec<*mut spdk_bdev_io>,
    /// The rebuild's window [start, end): writes into it wait in `held`.
    lock: Option<(u64, u64)>,
    lock_wait: *mut ChannelIter,
    held: VecDeque<*mut spdk_bdev_io>,
    /// The next member to read from (raid1).
    next_read: usize,
}

extern "C" fn ch_create(io_device: *mut c_void, ctx: *mut c_void) -> c_int {
    // SAFETY: our io_devices hold their raid's address.
    let r = unsafe { *(io_device as *const usize) };
    let raid = raid_ref(r);
    let n = raid.n();
    let (bases, descs): (Vec<*mut spdk_bdev>, Vec<*mut Desc>) = {
        let mut m = raid.meta.lock();
        m.channels += 1;
        (0..n)
            .map(|s| match raid.state_of(s) {
                OPERATIONAL | REBUILDING | FAILED if !m.members[s].desc.is_null() => (m.members[s].bdev, m.members[s].desc),
                _ => (std::ptr::null_mut(), std::ptr::null_mut()),
            })
            .unzip()
    };
    let mut chans: Vec<*mut spdk_io_channel> = vec![std::ptr::null_mut(); n];
    for s in 0..n {
        if bases[s].is_null() {
            continue;
        }
        match ioch::get(bases[s].cast()) {
            Some(c) => chans[s] = c.cast(),
            None => {
                chans.iter().filter(|c| !c.is_null()).for_each(|&c| ioch::put(c.cast()));
                raid.meta.lock().channels -= 1;
                return -libc::ENOMEM;
            }
        }
    }
    let rc = RaidChannel {
        raid: r,
        base_ch: chans,
        base_bdev: bases,
        base_desc: descs,
        outstanding: vec![0; n],
        detach_wait: vec![std::ptr::null_mut(); n],
        inflight: Vec::new(),
        lock: None,
        lock_wait: std::ptr::null_mut(),
        held: VecDeque::new(),
        next_read: 0,
    };
    // SAFETY: ctx is this channel's context of size_of::<RaidChannel>() bytes.
    unsafe { (ctx as *mut RaidChannel).write(rc) };
    0
}

extern "C" fn ch_destroy(_io_device: *mut c_void, ctx: *mut c_void) {
    // SAFETY: written by ch_create; dropped once here.
    let rc = unsafe { std::ptr::read(ctx as *mut RaidChannel) };
    raid_ref(rc.raid).meta.lock().channels -= 1;
    for c in rc.base_ch.into_iter().filter(|c| !c.is_null()) {
        ioch::put(c.cast());
    }
}

/// The raid channel behind a channel of our io_device.
pub(crate) fn rchan<'a>(ch: *mut ioch::IoChannel) -> &'a mut RaidChannel {
    // SAFETY: channels of a raid io_device carry a RaidChannel, used on their own thread.
    unsafe { &mut *(ioch::ctx(ch) as *mut RaidChannel) }
}

/// The raid channel an I/O of a raid bdev was submitted on.
fn rchan_of_io<'a>(io: *mut spdk_bdev_io) -> &'a mut RaidChannel {
    // SAFETY: the layer's channel of a raid I/O has our channel as module channel.
    unsafe { rchan((*((*io).internal.ch as *const io::BdevChannel)).module_ch.cast()) }
}

extern "C" fn get_io_channel(ctx: *mut c_void) -> *mut spdk_io_channel {
    let raid = raid_ref(ctx as usize);
    ioch::get(raid.io_dev.cast()).map_or(std::ptr::null_mut(), |c| c.cast())
}

/// One member I/O of this channel finished: a removal waiting for the slot may go on.
fn slot_io_done(rc: &mut RaidChannel, slot: usize) {
    rc.outstanding[slot] -= 1;
    if rc.outstanding[slot] == 0 && !rc.detach_wait[slot].is_null() {
        let it = std::mem::replace(&mut rc.detach_wait[slot], std::ptr::null_mut());
        drop_slot_channel(rc, slot);
        ioch::continue_iter(it, 0);
    }
}

fn drop_slot_channel(rc: &mut RaidChannel, slot: usize) {
    let c = std::mem::replace(&mut rc.base_ch[slot], std::ptr::null_mut());
    rc.base_bdev[slot] = std::ptr::null_mut();
    rc.base_desc[slot] = std::ptr::null_mut();
    if !c.is_null() {
        ioch::put(c.cast());
    }
}

// ---- The I/O path ----

/// A raid I/O's own state (its `driver_ctx`).
#[repr(C)]
struct IoCtx {
    wait: spdk_bdev_io_wait_entry,
    /// The next slot to send a member I/O to.
    next: u32,
    /// Member I/Os in flight.
    pending: u32,
    /// Member I/Os that succeeded on an operational member.
    good: u32,
    /// Member I/Os that failed (or could not be sent).
    bad: u32,
    /// Members a read was tried on (raid1).
    tried: u32,
    /// Inside `fan_out`: completions must not finish the I/O yet.
    submitting: bool,
    /// In its channel's `inflight` list.
    tracked: bool,
}
const _: () = assert!(std::mem::size_of::<IoCtx>() <= 256, "the bdev_io pool reserves 256 bytes of module context");

fn ctx_of<'a>(io: *mut spdk_bdev_io) -> &'a mut IoCtx {
    // SAFETY: driver_ctx follows the bdev_io and holds at least ctx_size() bytes
    // (the pool's per-I/O context is the largest module's, at least 256 bytes).
    unsafe { &mut *((*io).driver_ctx.as_mut_ptr() as *mut IoCtx) }
}

fn io_type(io: *mut spdk_bdev_io) -> spdk_bdev_io_type {
    // SAFETY: a live I/O.
    spdk_bdev_io_type::from_raw(unsafe { (*io).r#type } as i32).unwrap_or(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_INVALID)
}

fn raid_of_io<'a>(io: *mut spdk_bdev_io) -> &'a Raid {
    // SAFETY: a live I/O of a raid bdev: its ctxt is the raid.
    raid_ref(unsafe { (*(*io).bdev).ctxt } as usize)
}

fn range_of(io: *mut spdk_bdev_io) -> (u64, u64) {
    // SAFETY: block parameters are set for every I/O the layer prepares.
    unsafe { ((*io).u.bdev.offset_blocks, (*io).u.bdev.num_blocks) }
}

/// Writes, unmaps and write-zeroes change data: the rebuild must not copy under them.
fn modifies(t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    matches!(t, SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_WRITE_ZEROES | SPDK_BDEV_IO_TYPE_UNMAP)
}

fn overlaps(io: *mut spdk_bdev_io, (start, end): (u64, u64)) -> bool {
    let (off, num) = range_of(io);
    off < end && start < off + num
}

extern "C" fn submit_request(ch: *mut spdk_io_channel, io: *mut spdk_bdev_io) {
    let c = ctx_of(io);
    // SAFETY: all-zero is a valid (unqueued) wait entry.
    c.wait = unsafe { std::mem::zeroed() };
    (c.next, c.pending, c.good, c.bad, c.tried, c.submitting, c.tracked) = (0, 0, 0, 0, 0, false, false);
    admit(rchan(ch.cast()), io);
}

/// Starts an I/O, or holds it back while the rebuild copies the blocks it writes.
fn admit(rc: &mut RaidChannel, io: *mut spdk_bdev_io) {
    let raid = raid_ref(rc.raid);
    if raid.level == Level::Raid1 && modifies(io_type(io)) {
        if rc.lock.is_some_and(|w| overlaps(io, w)) {
            rc.held.push_back(io);
            return;
        }
        rc.inflight.push(io);
        ctx_of(io).tracked = true;
    }
    start(io);
}

/// Sends (more of) an I/O down: first call, or a retry after a shortage.
fn start(io: *mut spdk_bdev_io) {
    if raid_of_io(io).level == Level::Raid1 && io_type(io) == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ {
        raid1::read_next(io);
    } else {
        fan_out(io);
    }
}

extern "C" fn resume(arg: *mut c_void) {
    start(arg as *mut spdk_bdev_io);
}

/// No bdev_io for a member I/O: try again when one is freed (or soon).
fn wait_for_io(io: *mut spdk_bdev_io, base_ch: *mut spdk_io_channel, base_bdev: *mut spdk_bdev) {
    let e = &mut ctx_of(io).wait as *mut spdk_bdev_io_wait_entry;
    // SAFETY: the entry lives in this I/O's context until called.
    unsafe {
        (*e).bdev = base_bdev;
        (*e).cb_fn = Some(resume);
        (*e).cb_arg = io.cast();
    }
    // Waiting on a channel only helps if something is in flight there to free a bdev_io.
    if io::chan(base_ch).outstanding > 0 && io::queue_io_wait(base_ch, e).is_ok() {
        return;
    }
    let t = crate::thread::current();
    // SAFETY: the current thread is live.
    if t.is_null() || unsafe { &*t }.send_msg(resume, io.cast()).is_err() {
        let c = ctx_of(io);
        c.bad += 1;
        c.next = raid_of_io(io).n() as u32;
        maybe_finish(io);
    }
}

/// The member request for `slot` of a raid I/O, if the slot holds part of it.
fn member_request(raid: &Raid, io: *mut spdk_bdev_io, slot: usize) -> Option<Request> {
    use spdk_bdev_io_type::*;
    let t = io_type(io);
    let (off, num) = range_of(io);
    let (moff, mnum) = match t {
        SPDK_BDEV_IO_TYPE_RESET => (0, 0),
        SPDK_BDEV_IO_TYPE_FLUSH if num == 0 => (0, 0),
        _ => raid.map(off, num, slot)?,
    };
    let data = matches!(t, SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE);
    // SAFETY: a live I/O; its iovecs are the caller's.
    let (iovs, iovcnt) = unsafe { ((*io).u.bdev.iovs, (*io).u.bdev.iovcnt) };
    Some(Request {
        io_type: t,
        iovs: if data { iovs } else { std::ptr::null_mut() },
        iovcnt: if data { iovcnt } else { 0 },
        buf: std::ptr::null_mut(),
        md_buf: std::ptr::null_mut(),
        offset_blocks: moff,
        num_blocks: mnum,
        cb: Some(member_done),
        cb_arg: io.cast(),
    })
}

/// Whether `slot` takes member I/O of this kind now.
fn slot_usable(raid: &Raid, rc: &RaidChannel, slot: usize, t: spdk_bdev_io_type) -> bool {
    if rc.base_ch[slot].is_null() {
        return false;
    }
    match raid.state_of(slot) {
        OPERATIONAL => true,
        REBUILDING => raid.level == Level::Raid1 && t != spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ,
        _ => false,
    }
}

/// Sends one member I/O per slot that holds part of the I/O (every writable
/// member for raid1), from the slot where a shortage stopped it last time.
fn fan_out(io: *mut spdk_bdev_io) {
    let raid = raid_of_io(io);
    let rc = rchan_of_io(io);
    let t = io_type(io);
    let n = raid.n() as u32;
    let data = matches!(t, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ | spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE);
    ctx_of(io).submitting = true;
    while ctx_of(io).next < n {
        let s = ctx_of(io).next as usize;
        if let Some(req) = member_request(raid, io, s) {
            if data && raid.level != Level::Raid1 && req.num_blocks != range_of(io).1 {
                // The layer splits at strip boundaries: a read or write that
                // still spans members cannot be mapped onto one.
                ctx_of(io).bad += 1;
            } else if !slot_usable(raid, rc, s, t) {
                if raid.level != Level::Raid1 {
                    ctx_of(io).bad += 1;
                }
            } else {
                match io::submit(rc.base_desc[s], rc.base_ch[s], req) {
                    Ok(()) => {
                        ctx_of(io).pending += 1;
                        rc.outstanding[s] += 1;
                    }
                    Err(SubmitError::NoMemory) => {
                        ctx_of(io).submitting = false;
                        wait_for_io(io, rc.base_ch[s], rc.base_bdev[s]);
                        return;
                    }
                    Err(_) => ctx_of(io).bad += 1,
                }
            }
        }
        ctx_of(io).next += 1;
    }
    ctx_of(io).submitting = false;
    maybe_finish(io);
}

/// The slot of a member I/O, by its bdev.
fn slot_of(rc: &RaidChannel, member_io: *mut spdk_bdev_io) -> Option<usize> {
    // SAFETY: a live member I/O.
    let b = unsafe { (*member_io).bdev };
    rc.base_bdev.iter().position(|&x| x == b)
}

extern "C" fn member_done(mio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    let io = arg as *mut spdk_bdev_io;
    let rc = rchan_of_io(io);
    let slot = slot_of(rc, mio);
    io::free_io(mio);
    let raid = raid_of_io(io);
    let was_operational = slot.is_some_and(|s| raid.state_of(s) == OPERATIONAL);
    if !success && raid.level == Level::Raid1 {
        if let Some(s) = slot {
            fail_member(raid, s);
        }
    }
    if let Some(s) = slot {
        slot_io_done(rc, s);
    }
    if raid.level == Level::Raid1 && io_type(io) == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ {
        raid1::read_done(io, slot, success);
        return;
    }
    let c = ctx_of(io);
    c.pending -= 1;
    if !success {
        c.bad += 1;
    } else if was_operational {
        c.good += 1;
    }
    maybe_finish(io);
}

/// Completes the I/O once every member I/O was sent and came back.
fn maybe_finish(io: *mut spdk_bdev_io) {
    let raid = raid_of_io(io);
    let c = ctx_of(io);
    if c.submitting || c.pending > 0 || (c.next as usize) < raid.n() {
        return;
    }
    // raid1 stands while one operational member did it; the others need every part.
    let ok = match raid.level {
        Level::Raid1 => c.good > 0,
        Level::Raid0 | Level::Concat => c.bad == 0,
    };
    finish(io, ok);
}

fn finish(io: *mut spdk_bdev_io, ok: bool) {
    if ctx_of(io).tracked {
        let rc = rchan_of_io(io);
        rc.inflight.retain(|&x| x != io);
        if !rc.lock_wait.is_null() && !rc.inflight.iter().any(|&x| rc.lock.is_some_and(|w| overlaps(x, w))) {
            let it = std::mem::replace(&mut rc.lock_wait, std::ptr::null_mut());
            ioch::continue_iter(it, 0);
        }
    }
    let status = if ok { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED };
    io::complete(io, status as i32);
}

/// A member's I/O failed: it gets no more (raid1 goes on degraded).
fn fail_member(raid: &Raid, slot: usize) {
    let st = &raid.states[slot];
    for from in [OPERATIONAL, REBUILDING] {
        if st.compare_exchange(from, FAILED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            crate::log::warn(format_args!(
                "raid bdev {}: member {} failed; {} of {} members operational\n",
                raid.name.to_string_lossy(),
                slot,
                raid.count(|s| s == OPERATIONAL),
                raid.n()
            ));
            return;
        }
    }
}

extern "C" fn io_type_supported(ctx: *mut c_void, t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    let raid = raid_ref(ctx as usize);
    match t {
        SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE => true,
        SPDK_BDEV_IO_TYPE_UNMAP | SPDK_BDEV_IO_TYPE_WRITE_ZEROES | SPDK_BDEV_IO_TYPE_FLUSH | SPDK_BDEV_IO_TYPE_RESET => {
            let m = raid.meta.lock();
            m.members.iter().filter(|x| !x.bdev.is_null()).all(|x| super::io_type_supported(x.bdev, t))
        }
        _ => false,
    }
}

// ---- Creation and removal ----

/// What `bdev_raid_create` asks for.
pub struct Config<'a> {
    pub name: &'a str,
    pub level: Level,
    /// Required for raid0 and concat; must be absent (or 0) for raid1.
    pub strip_size_kb: Option<u64>,
    pub base_bdevs: &'a [String],
    pub uuid: Option<[u8; 16]>,
}

fn invalid(s: String) -> BdevError {
    BdevError::Invalid(s)
}

/// Checks what can be checked before touching any base bdev.
fn check_config(cfg: &Config) -> Result<u32, BdevError> {
    if cfg.name.is_empty() {
        return Err(invalid("name must not be empty".into()));
    }
    if find(cfg.name).is_some() || super::get_by_name(cfg.name).is_some() {
        return Err(BdevError::Exists(cfg.name.into()));
    }
    let n = cfg.base_bdevs.len();
    if n < cfg.level.min_members() {
        return Err(invalid(format!("base_bdevs: {} needs at least {} base bdevs, got {n}", cfg.level.name(), cfg.level.min_members())));
    }
    if n > MAX_MEMBERS {
        return Err(invalid(format!("base_bdevs: at most {MAX_MEMBERS} base bdevs, got {n}")));
    }
    for (i, b) in cfg.base_bdevs.iter().enumerate() {
        if cfg.base_bdevs[..i].contains(b) {
            return Err(invalid(format!("base_bdevs: '{b}' is listed twice")));
        }
        if b == cfg.name {
            return Err(invalid(format!("base_bdevs: '{b}' is the raid itself")));
        }
    }
    match (cfg.level, cfg.strip_size_kb) {
        (Level::Raid1, None | Some(0)) => Ok(0),
        (Level::Raid1, Some(s)) => Err(invalid(format!("strip_size_kb {s}: raid1 has no strips (leave it out or 0)"))),
        (l, None) => Err(invalid(format!("strip_size_kb is required for {}", l.name()))),
        (_, Some(s)) if s == 0 || !s.is_power_of_two() => Err(invalid(format!("strip_size_kb {s} is not a power of two"))),
        (_, Some(s)) => u32::try_from(s).map_err(|_| invalid(format!("strip_size_kb {s} is too large"))),
    }
}

extern "C" fn member_event(t: spdk_bdev_event_type, b: *mut spdk_bdev, ctx: *mut c_void) {
    if t != spdk_bdev_event_type::SPDK_BDEV_EVENT_REMOVE {
        return;
    }
    let r = ctx as usize;
    if !RAIDS.lock().contains(&r) {
        return;
    }
    let raid = raid_ref(r);
    let slot = raid.meta.lock().members.iter().position(|m| m.bdev == b);
    if let Some(s) = slot {
        crate::log::notice(format_args!("raid bdev {}: base bdev {} is going away\n", raid.name.to_string_lossy(), super::name_of(b)));
        let _ = remove_slot(r, s);
    }
}

/// Opens and claims a base for raid `r` (which need not be registered yet).
fn open_member(r: usize, name: &str) -> Result<Member, BdevError> {
    let b = super::get_by_name(name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    if super::is_claimed(b) {
        return Err(BdevError::Claimed(name.into()));
    }
    let desc = super::open(name, true, Some(member_event), r as *mut c_void)?;
    if let Err(e) = super::claim(b, module()) {
        super::close(desc);
        return Err(e);
    }
    // SAFETY: every bit pattern of the uuid bytes is valid.
    let uuid = unsafe { super::bdev_ref(b).uuid.u.raw };
    Ok(Member { name: Some(name.into()), uuid, bdev: b, desc })
}

fn close_member(m: &mut Member) {
    if !m.desc.is_null() {
        super::release_claim(m.bdev);
        super::close(m.desc);
    }
    *m = Member::empty();
}

/// Creates and registers a raid (`bdev_raid_create`); needs an spdk_thread.
/// On failure nothing is left behind: every base opened is released.
pub fn create(cfg: &Config) -> Result<*mut spdk_bdev, BdevError> {
    let strip_kb = check_config(cfg)?;
    let cname = CString::new(cfg.name).map_err(|_| invalid("name contains NUL".into()))?;
    for b in cfg.base_bdevs {
        let bd = super::get_by_name(b).ok_or_else(|| BdevError::NotFound(b.clone()))?;
        if super::is_claimed(bd) {
            return Err(BdevError::Claimed(b.clone()));
        }
    }
    let n = cfg.base_bdevs.len();
    // SAFETY: all-zero is valid for spdk_bdev.
    let bdev: spdk_bdev = unsafe { std::mem::zeroed() };
    let raid = Box::into_raw(Box::new(Raid {
        bdev,
        name: cname,
        level: cfg.level,
        strip_kb,
        strip: 0,
        extents: Vec::new(),
        states: (0..n).map(|_| AtomicU8::new(EMPTY)).collect(),
        io_dev: std::ptr::null_mut(),
        meta: Mutex::new(Meta { members: Vec::new(), state: State::Online, registered: false, io_dev_live: false, deleting: false, channels: 0, rebuild: 0 }),
    }));
    let r = raid as usize;
    let mut members: Vec<Member> = Vec::with_capacity(n);
    let give_back = |mut members: Vec<Member>| {
        members.iter_mut().for_each(close_member);
        // SAFETY: never shared.
        drop(unsafe { Box::from_raw(r as *mut Raid) });
    };
    for b in cfg.base_bdevs {
        match open_member(r, b) {
            Ok(m) => members.push(m),
            Err(e) => {
                give_back(members);
                return Err(e);
            }
        }
    }
    let geo: Vec<(u32, u64)> = members.iter().map(|m| (super::bdev_ref(m.bdev).blocklen, super::bdev_ref(m.bdev).blockcnt)).collect();
    let layout = match layout(cfg, strip_kb, &geo) {
        Ok(l) => l,
        Err(e) => {
            give_back(members);
            return Err(e);
        }
    };
    let io_dev = Box::into_raw(Box::new(r));
    // SAFETY: not shared yet.
    unsafe {
        let rr = &mut *raid;
        rr.strip = layout.strip;
        rr.extents = layout.extents;
        rr.io_dev = io_dev;
        rr.states.iter().for_each(|s| s.store(OPERATIONAL, Ordering::Release));
        let bd = &mut rr.bdev;
        bd.name = rr.name.as_ptr() as *mut _;
        bd.product_name = c"Raid Volume".as_ptr() as *mut _;
        bd.blocklen = geo[0].0;
        bd.phys_blocklen = geo[0].0;
        bd.blockcnt = layout.blockcnt;
        bd.write_cache = 0;
        if layout.strip != 0 {
            bd.optimal_io_boundary = layout.strip as u32;
            bd.flags |= SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY;
        }
        bd.fn_table = &FN_TABLE;
        bd.module = module();
        bd.ctxt = raid.cast();
        if let Some(u) = cfg.uuid {
            bd.uuid.u.raw = u;
        }
    }
    {
        let mut m = raid_ref(r).meta.lock();
        m.members = members;
        m.io_dev_live = true;
        m.registered = true;
    }
    if let Err(e) = ioch::register(io_dev.cast(), ch_create, ch_destroy, std::mem::size_of::<RaidChannel>() as u32, Some("bdev_raid")) {
        // SAFETY: not registered: still ours.
        drop(unsafe { Box::from_raw(io_dev) });
        let members = std::mem::take(&mut raid_ref(r).meta.lock().members);
        give_back(members);
        return Err(invalid(format!("{}: {e:?}", cfg.name)));
    }
    RAIDS.lock().push(r);
    // SAFETY: the raid is live.
    let b = unsafe { std::ptr::addr_of_mut!((*raid).bdev) };
    if let Err(e) = super::register(b) {
        RAIDS.lock().retain(|&x| x != r);
        {
            let mut m = raid_ref(r).meta.lock();
            m.registered = false;
            m.deleting = true;
        }
        // The io_device's release frees the raid and gives the bases back.
        if ioch::unregister(io_dev.cast(), Some(io_dev_gone)).is_err() {
            io_dev_gone(io_dev.cast());
        }
        return Err(e);
    }
    crate::log::info("bdev_raid", format_args!("raid bdev {} ({}) online over {n} base bdevs\n", cfg.name, cfg.level.name()));
    Ok(b)
}

struct Layout {
    strip: u64,
    blockcnt: u64,
    extents: Vec<(u64, u64)>,
}

/// The raid's geometry from its members' (block size, block count).
fn layout(cfg: &Config, strip_kb: u32, geo: &[(u32, u64)]) -> Result<Layout, BdevError> {
    let blocklen = geo[0].0;
    if let Some((i, &(bl, _))) = geo.iter().enumerate().find(|(_, g)| g.0 != blocklen) {
        return Err(invalid(format!(
            "base_bdevs: '{}' has {bl}-byte blocks, '{}' has {blocklen}-byte blocks; all must be the same",
            cfg.base_bdevs[i], cfg.base_bdevs[0]
        )));
    }
    let strip = if strip_kb == 0 {
        0
    } else {
        let bytes = strip_kb as u64 * 1024;
        if bytes < blocklen as u64 {
            return Err(invalid(format!("strip_size_kb {strip_kb} is smaller than the {blocklen}-byte blocks of the base bdevs")));
        }
        bytes / blocklen as u64
    };
    let (blockcnt, extents) = match cfg.level {
        Level::Raid1 => {
            let min = geo.iter().map(|g| g.1).min().unwrap_or(0);
            (min, vec![(0, min); geo.len()])
        }
        Level::Raid0 => raid0::layout(strip, geo),
        Level::Concat => concat::layout(strip, geo),
    };
    if blockcnt == 0 || extents.iter().any(|e| e.1 == 0) {
        return Err(invalid(format!("base_bdevs: a base bdev is smaller than one strip of {strip_kb} KiB")));
    }
    Ok(Layout { strip, blockcnt, extents })
}

extern "C" fn destruct(ctx: *mut c_void) -> c_int {
    let raid = raid_ref(ctx as usize);
    {
        let mut m = raid.meta.lock();
        m.state = State::Offline;
        m.registered = false;
    }
    // Members are released once every channel (the rebuild's too) is gone.
    if ioch::unregister(raid.io_dev.cast(), Some(io_dev_gone)).is_err() {
        io_dev_gone(raid.io_dev.cast());
    }
    0
}

extern "C" fn io_dev_gone(io_device: *mut c_void) {
    // SAFETY: our io_devices hold their raid's address.
    let r = unsafe { *(io_device as *const usize) };
    let raid = raid_ref(r);
    let deleting = {
        let mut m = raid.meta.lock();
        m.io_dev_live = false;
        m.state = State::Offline;
        let deleting = m.deleting;
        for (s, mem) in m.members.iter_mut().enumerate() {
            if deleting || raid.state_of(s) == REMOVING {
                close_member(mem);
                raid.states[s].store(EMPTY, Ordering::Release);
            }
        }
        deleting
    };
    if deleting {
        free_raid(r);
    }
}

fn free_raid(r: usize) {
    RAIDS.lock().retain(|&x| x != r);
    // SAFETY: out of RAIDS, its bdev and io_device gone: nothing refers to it.
    let raid = unsafe { Box::from_raw(r as *mut Raid) };
    if !raid.io_dev.is_null() {
        // SAFETY: the box made in `create`; its io_device is unregistered.
        drop(unsafe { Box::from_raw(raid.io_dev) });
    }
    crate::log::info("bdev_raid", format_args!("raid bdev {} deleted\n", raid.name.to_string_lossy()));
}

/// Stops the rebuild (it winds down at its next step).
fn abort_rebuild(m: &Meta) {
    if m.rebuild != 0 {
        rebuild::abort(m.rebuild);
    }
}

/// Takes the raid offline: its bdev is unregistered; the members stay
/// claimed (but for those being removed) until `bdev_raid_delete`.
fn go_offline(r: usize) {
    let raid = raid_ref(r);
    let unreg = {
        let mut m = raid.meta.lock();
        m.state = State::Offline;
        abort_rebuild(&m);
        std::mem::replace(&mut m.registered, false)
    };
    crate::log::warn(format_args!("raid bdev {} goes offline\n", raid.name.to_string_lossy()));
    if unreg {
        let b = &raid.bdev as *const spdk_bdev as *mut spdk_bdev;
        let _ = super::unregister(b, None, std::ptr::null_mut());
    }
}

/// Deletes a raid (`bdev_raid_delete`): its bdev is unregistered, then the
/// base bdevs are released and the raid is forgotten.
pub fn delete(name: &str) -> Result<(), BdevError> {
    let r = find(name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    let raid = raid_ref(r);
    let (unreg, gone) = {
        let mut m = raid.meta.lock();
        if m.deleting {
            return Err(BdevError::Removing(name.into()));
        }
        m.deleting = true;
        abort_rebuild(&m);
        (std::mem::replace(&mut m.registered, false), !m.io_dev_live)
    };
    if unreg {
        let b = &raid.bdev as *const spdk_bdev as *mut spdk_bdev;
        if super::unregister(b, None, std::ptr::null_mut()).is_ok() {
            return Ok(());
        }
    }
    if gone {
        let mut m = raid.meta.lock();
        m.members.iter_mut().for_each(close_member);
        drop(m);
        free_raid(r);
    }
    Ok(())
}

/// Takes base bdev `name` out of the raid it is a member of
/// (`bdev_raid_remove_base_bdev`): raid1 goes on degraded while one
/// operational member is left; otherwise the raid goes offline.
pub fn remove_base_bdev(name: &str) -> Result<(), BdevError> {
    let found = RAIDS.lock().iter().copied().find_map(|r| {
        let raid = raid_ref(r);
        let slot = raid.meta.lock().members.iter().position(|m| m.name.as_deref() == Some(name) && !m.desc.is_null());
        slot.map(|s| (r, s))
    });
    let (r, s) = found.ok_or_else(|| invalid(format!("name: base bdev '{name}' is not a member of any raid bdev")))?;
    remove_slot(r, s)
}

fn remove_slot(r: usize, s: usize) -> Result<(), BdevError> {
    let raid = raid_ref(r);
    {
        let mut m = raid.meta.lock();
        if m.deleting {
            return Err(BdevError::Removing(raid.name.to_string_lossy().into_owned()));
        }
        let prev = raid.states[s].load(Ordering::Acquire);
        if prev == EMPTY || prev == REMOVING {
            return Err(BdevError::Removing(m.members[s].name.clone().unwrap_or_default()));
        }
        raid.states[s].store(REMOVING, Ordering::Release);
        if m.state == State::Offline {
            // No I/O any more: given back now, or as soon as the channels are gone.
            if !m.io_dev_live {
                close_member(&mut m.members[s]);
                raid.states[s].store(EMPTY, Ordering::Release);
            }
            return Ok(());
        }
        if rebuild::target_of(m.rebuild) == Some(s) {
            abort_rebuild(&m);
        }
    }
    if raid.level != Level::Raid1 || raid.count(|x| x == OPERATIONAL) == 0 {
        go_offline(r);
        return Ok(());
    }
    crate::log::notice(format_args!("raid bdev {}: member {s} removed, running degraded\n", raid.name.to_string_lossy()));
    if raid.meta.lock().channels == 0 {
        // No channel holds the member (new ones leave a REMOVING slot out).
        detach_finish(r, s);
    } else {
        walk(r, s, detach_visit, detach_finish);
    }
    Ok(())
}

/// A walk over the raid's channels about one slot; `done` runs after the last.
type Walk = (usize, usize, fn(usize, usize));

/// Visits every channel of raid `r` with `visit`, then calls `done(r, slot)` on this thread.
fn walk(r: usize, slot: usize, visit: ioch::ChannelMsg, done: fn(usize, usize)) {
    let ctx: *mut Walk = Box::into_raw(Box::new((r, slot, done)));
    if ioch::for_each(raid_ref(r).io_dev.cast(), visit, ctx.cast(), Some(walk_done)).is_err() {
        walk_finish(ctx);
    }
}

extern "C" fn walk_done(i: *mut ChannelIter, _status: c_int) {
    // SAFETY: the walk is over; its context is ours.
    walk_finish(unsafe { (*i).ctx() } as *mut Walk);
}

fn walk_finish(ctx: *mut Walk) {
    // SAFETY: the Box leaked by `walk`, reclaimed once.
    let (r, s, done) = *unsafe { Box::from_raw(ctx) };
    done(r, s);
}

/// The channel being visited and the walk's (raid, slot).
fn visiting<'a>(i: *mut ChannelIter) -> (&'a mut RaidChannel, usize, usize) {
    // SAFETY: the walk's live iterator; its context is a `Walk`.
    let (ch, w) = unsafe { ((*i).channel(), &*((*i).ctx() as *const Walk)) };
    (rchan(ch), w.0, w.1)
}

extern "C" fn detach_visit(i: *mut ChannelIter) {
    let (rc, _, s) = visiting(i);
    if rc.outstanding[s] > 0 {
        rc.detach_wait[s] = i;
        return;
    }
    drop_slot_channel(rc, s);
    ioch::continue_iter(i, 0);
}

fn detach_finish(r: usize, s: usize) {
    let raid = raid_ref(r);
    let mut m = raid.meta.lock();
    if raid.state_of(s) == REMOVING && (m.io_dev_live || !m.deleting) {
        close_member(&mut m.members[s]);
        raid.states[s].store(EMPTY, Ordering::Release);
    }
}

/// Puts base bdev `base` into an empty slot of raid1 `raid_name`
/// (`bdev_raid_add_base_bdev`) and rebuilds it from an operational member.
pub fn add_base_bdev(raid_name: &str, base: &str) -> Result<(), BdevError> {
    let r = find(raid_name).ok_or_else(|| invalid(format!("raid_bdev: raid bdev '{raid_name}' not found")))?;
    let raid = raid_ref(r);
    if raid.level != Level::Raid1 {
        return Err(invalid(format!("raid_bdev: '{raid_name}' is {}: only raid1 takes a new member", raid.level.name())));
    }
    let slot = {
        let m = raid.meta.lock();
        if m.state != State::Online || m.deleting {
            return Err(invalid(format!("raid_bdev: '{raid_name}' is not online")));
        }
        if m.rebuild != 0 || raid.count(|x| x == REBUILDING) > 0 {
            return Err(invalid(format!("raid_bdev: '{raid_name}' is already rebuilding a member")));
        }
        (0..raid.n()).find(|&s| raid.state_of(s) == EMPTY).ok_or_else(|| invalid(format!("raid_bdev: '{raid_name}' has no empty slot (remove a member first)")))?
    };
    if raid.count(|x| x == OPERATIONAL) == 0 {
        return Err(invalid(format!("raid_bdev: '{raid_name}' has no operational member to rebuild from")));
    }
    let b = super::get_by_name(base).ok_or_else(|| BdevError::NotFound(base.into()))?;
    let (bd, rd) = (super::bdev_ref(b), &raid.bdev);
    if bd.blocklen != rd.blocklen {
        return Err(invalid(format!("base_bdev: '{base}' has {}-byte blocks, the raid {}-byte blocks", bd.blocklen, rd.blocklen)));
    }
    if bd.blockcnt < rd.blockcnt {
        return Err(invalid(format!("base_bdev: '{base}' has {} blocks, the raid needs {}", bd.blockcnt, rd.blockcnt)));
    }
    use spdk_bdev_io_type::*;
    for t in [SPDK_BDEV_IO_TYPE_UNMAP, SPDK_BDEV_IO_TYPE_WRITE_ZEROES, SPDK_BDEV_IO_TYPE_FLUSH, SPDK_BDEV_IO_TYPE_RESET] {
        if super::io_type_supported(&raid.bdev as *const _ as *mut _, t) && !super::io_type_supported(b, t) {
            return Err(invalid(format!("base_bdev: '{base}' does not do {t:?}, which the raid offers")));
        }
    }
    let member = open_member(r, base)?;
    {
        let mut m = raid.meta.lock();
        m.members[slot] = member;
        raid.states[slot].store(REBUILDING, Ordering::Release);
    }
    crate::log::notice(format_args!("raid bdev {raid_name}: rebuilding member {slot} ({base})\n"));
    if raid.meta.lock().channels == 0 {
        attach_finish(r, slot);
    } else {
        walk(r, slot, attach_visit, attach_finish);
    }
    Ok(())
}

extern "C" fn attach_visit(i: *mut ChannelIter) {
    let (rc, r, s) = visiting(i);
    let raid = raid_ref(r);
    if rc.base_ch[s].is_null() && raid.state_of(s) == REBUILDING {
        let (b, d) = {
            let m = raid.meta.lock();
            (m.members[s].bdev, m.members[s].desc)
        };
        if let Some(c) = ioch::get(b.cast()) {
            rc.base_ch[s] = c.cast();
            rc.base_bdev[s] = b;
            rc.base_desc[s] = d;
        }
    }
    ioch::continue_iter(i, 0);
}

fn attach_finish(r: usize, s: usize) {
    let raid = raid_ref(r);
    if raid.state_of(s) != REBUILDING {
        return;
    }
    let started = {
        let m = raid.meta.lock();
        !(m.deleting || m.state != State::Online)
    };
    if !started || rebuild::start(r, s).is_err() {
        fail_member(raid, s);
    }
}

// ---- Reports ----

fn uuid_str(u: &[u8; 16]) -> String {
    crate::util::uuid::fmt_lower(u)
}

/// The raid's fields as `bdev_raid_get_bdevs` and `bdev_get_bdevs` show them.
fn describe(r: usize) -> serde_json::Map<String, Value> {
    let raid = raid_ref(r);
    let m = raid.meta.lock();
    let mut o = serde_json::Map::new();
    // SAFETY: every bit pattern of the uuid bytes is valid.
    o.insert("uuid".into(), json!(uuid_str(unsafe { &raid.bdev.uuid.u.raw })));
    o.insert("strip_size_kb".into(), json!(raid.strip_kb));
    o.insert("state".into(), json!(m.state.name()));
    o.insert("raid_level".into(), json!(raid.level.name()));
    o.insert("superblock".into(), json!(false));
    o.insert("num_base_bdevs".into(), json!(raid.n()));
    o.insert("num_base_bdevs_discovered".into(), json!(m.members.iter().filter(|x| !x.desc.is_null()).count()));
    o.insert("num_base_bdevs_operational".into(), json!(raid.count(|x| x == OPERATIONAL)));
    if let Some((target, done)) = rebuild::progress(m.rebuild) {
        let total = raid.bdev.blockcnt.max(1);
        o.insert(
            "process".into(),
            json!({"type": "rebuild", "target": m.members[target].name, "progress": {"blocks": done, "percent": done * 100 / total}}),
        );
    }
    let list: Vec<Value> = m
        .members
        .iter()
        .enumerate()
        .map(|(s, x)| {
            json!({
                "name": x.name,
                "uuid": uuid_str(&x.uuid),
                "is_configured": !x.desc.is_null(),
                "data_offset": 0,
                "data_size": if x.desc.is_null() { 0 } else { raid.extents[s].1 },
            })
        })
        .collect();
    o.insert("base_bdevs_list".into(), Value::Array(list));
    o
}

/// `bdev_raid_get_bdevs`: the raids in `category` (all, online, configuring, offline).
pub fn get_bdevs(category: &str) -> Result<Value, BdevError> {
    let want: Option<&str> = match category {
        "all" => None,
        "online" | "configuring" | "offline" => Some(category),
        _ => return Err(invalid(format!("category '{category}' is not one of all, online, configuring, offline"))),
    };
    let raids: Vec<usize> = RAIDS.lock().clone();
    let mut out = Vec::new();
    for r in raids {
        let mut o = serde_json::Map::new();
        o.insert("name".into(), json!(raid_ref(r).name.to_string_lossy()));
        o.extend(describe(r));
        if want.map_or(true, |w| o.get("state").and_then(Value::as_str) == Some(w)) {
            out.push(Value::Object(o));
        }
    }
    Ok(Value::Array(out))
}

/// The `driver_specific` part of `bdev_get_bdevs` for a raid bdev: `{"raid": {...}}`.
pub(crate) fn info_json(bdev: *mut spdk_bdev) -> Option<Value> {
    of_bdev(bdev).map(|r| json!({ "raid": Value::Object(describe(r)) }))
}

/// The `bdev_raid_create` call that recreates this raid bdev.
pub(crate) fn config_json(bdev: *mut spdk_bdev) -> Option<Value> {
    let r = of_bdev(bdev)?;
    let raid = raid_ref(r);
    let bases: Vec<String> = raid.meta.lock().members.iter().filter(|x| !x.desc.is_null()).filter_map(|x| x.name.clone()).collect();
    let mut p = json!({
        "name": raid.name.to_string_lossy(),
        // SAFETY: every bit pattern of the uuid bytes is valid.
        "uuid": uuid_str(unsafe { &raid.bdev.uuid.u.raw }),
        "raid_level": raid.level.name(),
        "superblock": false,
        "base_bdevs": bases,
    });
    p["strip_size_kb"] = json!(raid.strip_kb);
    Some(json!({"method": "bdev_raid_create", "params": p}))
}
