//! Virtual bdevs stacked on one base bdev (split, passthru, error): the base
//! is opened read-write and claimed by the stacking module; each part is a
//! window of the base (offset, length) that forwards its I/O there. Removing
//! the base removes its parts first; the base is released with the last part.

use super::io::{self, Request, SubmitError};
use super::{BdevError, Desc};
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use crate::thread::io_channel as ioch;
use parking_lot::Mutex;
use std::ffi::{c_int, c_void, CString};

/// One claimed base: its descriptor and the parts not yet destructed.
pub(crate) struct Base {
    name: String,
    module: usize,
    bdev: *mut spdk_bdev,
    desc: *mut Desc,
    parts: Vec<usize>,
    removing: bool,
}

/// Claimed bases by address (`Box<Base>` leaked while it has parts, or
/// while `create` of its module is still adding them).
static BASES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// What a part does with an I/O instead of (or before) forwarding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Forward,
    /// Complete it at once with this status.
    Complete(spdk_bdev_io_status),
    /// Hold it on its channel until resumed (`resume_held`) or a reset aborts it.
    Hold,
    /// Forward it with the byte at `offset` of its data XORed with `value`:
    /// before a write goes down, after a read succeeded.
    Corrupt { offset: u64, value: u8 },
    /// (resets) Abort the I/Os held on every channel, then complete it.
    AbortHeld,
}

/// What a part does to an I/O before it goes down (error injection).
pub(crate) trait Hook: Send + Sync {
    /// Decides the fate of an I/O of `io_type` while `inflight` I/Os of
    /// this channel are at the base.
    fn intercept(&self, _io_type: spdk_bdev_io_type, _inflight: u64) -> Action {
        Action::Forward
    }
    /// Nanoseconds to hold a finished I/O of this type before completing it
    /// (0: at once); `roll` is uniform in 0..100, for tail latencies.
    fn delay_ns(&self, _io_type: spdk_bdev_io_type, _roll: u32) -> u64 {
        0
    }
    /// The module's own type behind the hook.
    fn as_any(&self) -> &dyn std::any::Any;
}

#[repr(C)]
struct Part {
    bdev: spdk_bdev,
    name: CString,
    base: *mut Base,
    offset_blocks: u64,
    /// This part's io_device: its own allocation holding the base bdev's
    /// address (for channel creation), freed when unregistered.
    io_dev: *mut usize,
    hook: Option<Box<dyn Hook>>,
}

/// A part's channel: the base bdev's channel on the same thread, and the
/// finished I/Os held back by a delaying hook (with their poller).
#[repr(C)]
struct PartChannel {
    base_ch: *mut spdk_io_channel,
    base_bdev: *mut spdk_bdev,
    /// (deadline in ticks, the part's I/O, its status)
    held: Vec<(u64, *mut spdk_bdev_io, i32)>,
    poller: *mut crate::thread::poller::Poller,
    rng: u32,
    /// I/Os of this channel at the base now.
    inflight: u64,
    /// I/Os a hook holds (`Action::Hold`).
    pending: Vec<*mut spdk_bdev_io>,
}

/// The module's context of each part I/O (in its `driver_ctx`).
#[repr(C)]
struct IoCtx {
    wait: spdk_bdev_io_wait_entry,
    /// A read's corruption to apply at completion (value 0: none).
    corrupt_offset: u64,
    corrupt_value: u8,
}

static FN_TABLE: spdk_bdev_fn_table = super::fn_table(destruct, submit_request, io_type_supported, get_io_channel);

extern "C" fn ctx_size() -> c_int {
    std::mem::size_of::<IoCtx>() as c_int
}

/// A stacking module's descriptor (leaked once per module by its caller).
pub(crate) fn new_module(name: &'static std::ffi::CStr) -> *mut spdk_bdev_module {
    // SAFETY: all-zero is valid for the module struct.
    let mut m: spdk_bdev_module = unsafe { std::mem::zeroed() };
    m.name = name.as_ptr();
    m.get_ctx_size = Some(ctx_size);
    let p = Box::into_raw(Box::new(m));
    super::module_add(p);
    p
}

fn part_of<'a>(ctx: *mut c_void) -> &'a Part {
    // SAFETY: ctx is a part's `ctxt`, alive until its destruct.
    unsafe { &*(ctx as *const Part) }
}

extern "C" fn ch_create(io_device: *mut c_void, ctx: *mut c_void) -> c_int {
    // SAFETY: io_dev allocations hold the base bdev's address (written at creation).
    let base_bdev = unsafe { *(io_device as *const usize) } as *mut spdk_bdev;
    let Some(base_ch) = ioch::get(base_bdev.cast()) else {
        return -libc::ENOMEM;
    };
    // SAFETY: ctx is this channel's context of size_of::<PartChannel>() bytes.
    unsafe {
        (ctx as *mut PartChannel).write(PartChannel {
            base_ch: base_ch.cast(),
            base_bdev,
            held: Vec::new(),
            poller: std::ptr::null_mut(),
            rng: (crate::env::cpu::ticks() as u32) | 1,
            inflight: 0,
            pending: Vec::new(),
        })
    };
    0
}

extern "C" fn ch_destroy(_io_device: *mut c_void, ctx: *mut c_void) {
    // SAFETY: written by ch_create; dropped once here.
    let pc = unsafe { std::ptr::read(ctx as *mut PartChannel) };
    if !pc.poller.is_null() {
        crate::thread::poller::unregister(pc.poller);
    }
    ioch::put(pc.base_ch.cast());
}

/// Completes the held I/Os whose time has come.
extern "C" fn release_held(arg: *mut c_void) -> c_int {
    // SAFETY: the poller's channel context, polled on its own thread while it lives.
    let pc = unsafe { &mut *(arg as *mut PartChannel) };
    if pc.held.is_empty() {
        return 0;
    }
    let now = crate::env::cpu::ticks();
    let mut due = Vec::new();
    pc.held.retain(|&(deadline, io, status)| {
        if deadline <= now {
            due.push((io, status));
            false
        } else {
            true
        }
    });
    let busy = !due.is_empty();
    // Completion callbacks may submit (and hold) more: the list is not borrowed here.
    for (io, status) in due {
        io::complete(io, status);
    }
    busy as c_int
}

fn part_channel<'a>(io: *mut spdk_bdev_io) -> &'a mut PartChannel {
    // SAFETY: an I/O of a part, whose layer channel's module channel is a part channel.
    unsafe {
        let layer_ch = &*((*io).internal.ch as *const io::BdevChannel);
        &mut *(ioch::ctx(layer_ch.module_ch.cast()) as *mut PartChannel)
    }
}

extern "C" fn io_dev_gone(io_device: *mut c_void) {
    // SAFETY: the Box<usize> leaked by `add_part` for this part; unregistered once.
    drop(unsafe { Box::from_raw(io_device as *mut usize) });
}

extern "C" fn get_io_channel(ctx: *mut c_void) -> *mut spdk_io_channel {
    ioch::get(part_of(ctx).io_dev.cast()).map_or(std::ptr::null_mut(), |c| c.cast())
}

extern "C" fn io_type_supported(ctx: *mut c_void, t: spdk_bdev_io_type) -> bool {
    let part = part_of(ctx);
    if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ABORT && part.hook.is_some() {
        // I/Os a hook holds (delayed or held back) can be aborted here.
        return true;
    }
    if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY && part.hook.is_some() {
        // Injected errors and delays act on data the part carries; lent
        // buffers bypass it.
        return false;
    }
    // SAFETY: the base outlives its parts.
    let base = unsafe { &*part.base };
    super::io_type_supported(base.bdev, t)
}

fn io_ctx(io: *mut spdk_bdev_io) -> *mut IoCtx {
    // SAFETY: driver_ctx follows the bdev_io and holds at least ctx_size() bytes
    // (the pool's per-I/O context is the largest module's, at least 256 bytes).
    unsafe { (io as *mut u8).add(std::mem::size_of::<spdk_bdev_io>()) as *mut IoCtx }
}

fn wait_entry(io: *mut spdk_bdev_io) -> *mut spdk_bdev_io_wait_entry {
    // SAFETY: the wait entry is the start of the I/O's context.
    unsafe { std::ptr::addr_of_mut!((*io_ctx(io)).wait) }
}

/// XORs the byte at `offset` of the I/O's data with `value` (nothing if past its end).
fn corrupt(io: *mut spdk_bdev_io, mut offset: u64, value: u8) {
    // SAFETY: a part I/O carrying data: its iovecs are the submitter's, live until completion.
    unsafe {
        let blk = &(*io).u.bdev;
        if blk.iovs.is_null() {
            return;
        }
        for v in std::slice::from_raw_parts(blk.iovs, blk.iovcnt.max(0) as usize) {
            if (v.iov_len as u64) > offset {
                if !v.iov_base.is_null() {
                    *(v.iov_base as *mut u8).add(offset as usize) ^= value;
                }
                return;
            }
            offset -= v.iov_len as u64;
        }
    }
}

extern "C" fn base_done(bio: *mut spdk_bdev_io, _success: bool, arg: *mut c_void) {
    // SAFETY: a completed base I/O; its status and type are final.
    let (status, t) = unsafe { ((*bio).internal.status as i32, (*bio).r#type) };
    io::free_io(bio);
    let io = arg as *mut spdk_bdev_io;
    part_channel(io).inflight -= 1;
    // SAFETY: the part I/O's own context, set by `forward`.
    let cv = unsafe { (*io_ctx(io)).corrupt_value };
    if cv != 0 && status == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i32 && t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ as u8 {
        // SAFETY: as above.
        corrupt(io, unsafe { (*io_ctx(io)).corrupt_offset }, cv);
    }
    // SAFETY: the part's I/O, alive until completed.
    let part = part_of(unsafe { (*(*io).bdev).ctxt });
    if let Some(h) = part.hook.as_ref() {
        let pc = part_channel(io);
        pc.rng ^= pc.rng << 13;
        pc.rng ^= pc.rng >> 17;
        pc.rng ^= pc.rng << 5;
        let t = spdk_bdev_io_type::from_raw(t as i32).unwrap_or(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_INVALID);
        let ns = h.delay_ns(t, pc.rng % 100);
        if ns > 0 {
            if pc.poller.is_null() {
                let arg = pc as *mut PartChannel as *mut c_void;
                pc.poller = crate::thread::poller::register(release_held, arg, 0, Some("vbdev_held")).unwrap_or(std::ptr::null_mut());
            }
            if !pc.poller.is_null() {
                pc.held.push((crate::env::cpu::ticks() + ns, io, status));
                return;
            }
        }
    }
    io::complete(io, status);
}

extern "C" fn retry(arg: *mut c_void) {
    send(arg as *mut spdk_bdev_io);
}

/// What the part's hook decides for an I/O, carried out; forwarded otherwise.
fn forward(io: *mut spdk_bdev_io) {
    // SAFETY: an I/O the layer handed to this module.
    let (part, t) = unsafe { (part_of((*(*io).bdev).ctxt), (*io).r#type) };
    let t = spdk_bdev_io_type::from_raw(t as i32).unwrap_or(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_INVALID);
    if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ABORT {
        abort(part, io);
        return;
    }
    // SAFETY: this module's context of the I/O.
    unsafe { (*io_ctx(io)).corrupt_value = 0 };
    let action = part.hook.as_ref().map_or(Action::Forward, |h| h.intercept(t, part_channel(io).inflight));
    match action {
        Action::Forward => send(io),
        Action::Complete(status) => io::complete(io, status as i32),
        Action::Hold => part_channel(io).pending.push(io),
        Action::Corrupt { offset, value } => {
            if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE {
                corrupt(io, offset, value);
            } else {
                // SAFETY: as above.
                unsafe { *io_ctx(io) = IoCtx { wait: std::mem::zeroed(), corrupt_offset: offset, corrupt_value: value } };
            }
            send(io);
        }
        Action::AbortHeld => {
            let io_dev = part.io_dev;
            if ioch::for_each(io_dev.cast(), abort_held, io.cast(), Some(abort_held_done)).is_err() {
                io::complete(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED as i32);
            }
        }
    }
}

/// An ABORT I/O: its target, if this channel holds it (delayed after the
/// base finished, or held back by a hook), completes as aborted; one at the
/// base is aborted there (with the base's own abort, when it has one).
fn abort(part: &Part, io: *mut spdk_bdev_io) {
    use spdk_bdev_io_status::*;
    // SAFETY: an ABORT I/O of this part: `u.abort` names the I/O to abort.
    let target = unsafe { (*io).u.abort.bio_to_abort };
    let pc = part_channel(io);
    let held = pc.held.iter().position(|h| h.1 == target).map(|i| pc.held.remove(i));
    let found = held.is_some() || pc.pending.iter().position(|&p| p == target).map(|i| pc.pending.remove(i)).is_some();
    if found {
        // Called back from a message: never inside the aborter's own call.
        io::complete_later(target, SPDK_BDEV_IO_STATUS_ABORTED);
        io::complete(io, SPDK_BDEV_IO_STATUS_SUCCESS as i32);
        return;
    }
    // SAFETY: the base outlives its parts.
    let base = unsafe { &*part.base };
    // At the base, the target's I/O there carries it as its callback argument.
    if super::abort::abort(base.desc, pc.base_ch, target.cast(), Some(base_abort_done), io.cast()).is_err() {
        io::complete(io, SPDK_BDEV_IO_STATUS_FAILED as i32);
    }
}

extern "C" fn base_abort_done(bio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    io::free_io(bio);
    let st = if success { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED };
    io::complete(arg as *mut spdk_bdev_io, st as i32);
}

extern "C" fn abort_held(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator on a channel of a part's io_device.
    let pc = unsafe { &mut *(ioch::ctx((*i).channel()) as *mut PartChannel) };
    for io in std::mem::take(&mut pc.pending) {
        io::complete(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_ABORTED as i32);
    }
    ioch::continue_iter(i, 0);
}

extern "C" fn abort_held_done(i: *mut ioch::ChannelIter, status: c_int) {
    // SAFETY: the walk's context is the reset I/O, waiting for this.
    let io = unsafe { (*i).ctx() } as *mut spdk_bdev_io;
    let st = if status == 0 { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED };
    io::complete(io, st as i32);
}

extern "C" fn resume_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator on a channel of a part's io_device.
    let pc = unsafe { &mut *(ioch::ctx((*i).channel()) as *mut PartChannel) };
    for io in std::mem::take(&mut pc.pending) {
        send(io);
    }
    ioch::continue_iter(i, 0);
}

/// Sends the I/Os held on every channel of part `name` of `module` down to
/// the base (needs an spdk_thread; done in the background).
pub(crate) fn resume_held(module: *mut spdk_bdev_module, name: &str) -> Result<(), BdevError> {
    let b = super::get_by_name(name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    let bd = super::bdev_ref(b);
    if bd.module != module || !std::ptr::eq(bd.fn_table, &FN_TABLE) {
        return Err(BdevError::NotFound(name.into()));
    }
    let io_dev = part_of(bd.ctxt).io_dev;
    ioch::for_each(io_dev.cast(), resume_visit, std::ptr::null_mut(), None).map_err(|e| BdevError::Invalid(format!("{e:?}")))
}

/// A phase of a part's zero-copy I/O finished at the base.
extern "C" fn zcopy_base_done(bio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    let io = arg as *mut spdk_bdev_io;
    part_channel(io).inflight -= 1;
    super::zcopy::finish_forwarded(bio, success, io);
    let st = if success { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED };
    io::complete(io, st as i32);
}

/// Sends a part's I/O to the base at the part's offset.
fn send(io: *mut spdk_bdev_io) {
    // SAFETY: an I/O the layer handed to this module.
    if unsafe { (*io).r#type } == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY as u8 {
        // SAFETY: as above; the base outlives its parts.
        let (part, base) = unsafe {
            let part = part_of((*(*io).bdev).ctxt);
            (part, &*part.base)
        };
        let pc = part_channel(io);
        // SAFETY: block parameters of a zero-copy I/O.
        let offset = unsafe { (*io).u.bdev.offset_blocks } + part.offset_blocks;
        let r = super::zcopy::forward(io, base.desc, pc.base_ch, offset, Some(zcopy_base_done));
        sent(io, r);
        return;
    }
    // SAFETY: an I/O the layer handed to this module; its channel is a part channel.
    let (part, pc, req) = unsafe {
        let bio = &mut *io;
        let part = part_of((*bio.bdev).ctxt);
        let pc = &*part_channel(io);
        let blk = &bio.u.bdev;
        let t = spdk_bdev_io_type::from_raw(bio.r#type as i32).unwrap_or(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_INVALID);
        let reset = t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET;
        let req = Request {
            io_type: t,
            iovs: if reset { std::ptr::null_mut() } else { blk.iovs },
            iovcnt: if reset { 0 } else { blk.iovcnt },
            buf: std::ptr::null_mut(),
            md_buf: blk.md_buf,
            offset_blocks: if reset { 0 } else { blk.offset_blocks + part.offset_blocks },
            num_blocks: if reset { 0 } else { blk.num_blocks },
            cb: Some(base_done),
            cb_arg: io.cast(),
        };
        (part, pc, req)
    };
    // SAFETY: the base outlives its parts.
    let base = unsafe { &*part.base };
    sent(io, io::submit(base.desc, pc.base_ch, req));
}

/// After a part's I/O was offered to the base: counted in flight, waiting
/// for a bdev_io there, or failed.
fn sent(io: *mut spdk_bdev_io, r: Result<(), SubmitError>) {
    let pc = part_channel(io);
    match r {
        Ok(()) => pc.inflight += 1,
        Err(SubmitError::NoMemory) => {
            let e = wait_entry(io);
            // SAFETY: the entry lives in this I/O's driver context until called.
            unsafe {
                e.write(std::mem::zeroed());
                (*e).bdev = pc.base_bdev;
                (*e).cb_fn = Some(retry);
                (*e).cb_arg = io.cast();
            }
            if io::queue_io_wait(pc.base_ch, e).is_err() {
                // A bdev_io was freed meanwhile: try again later on this thread.
                let t = crate::thread::current();
                // SAFETY: the current thread is live.
                if t.is_null() || unsafe { &*t }.send_msg(retry, io.cast()).is_err() {
                    io::complete(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED as i32);
                }
            }
        }
        Err(_) => io::complete(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED as i32),
    }
}

extern "C" fn submit_request(_ch: *mut spdk_io_channel, io: *mut spdk_bdev_io) {
    forward(io);
}

extern "C" fn destruct(ctx: *mut c_void) -> c_int {
    // SAFETY: the Part leaked by `add_part`; destructed once, after its last channel.
    let part = unsafe { Box::from_raw(ctx as *mut Part) };
    let _ = ioch::unregister(part.io_dev.cast(), Some(io_dev_gone));
    let base_ptr = part.base;
    let last = {
        let mut bases = BASES.lock();
        // SAFETY: the base is live while it has parts; changed under BASES.
        let base = unsafe { &mut *base_ptr };
        base.parts.retain(|&p| p != ctx as usize);
        let last = base.parts.is_empty();
        if last {
            bases.retain(|&b| b != base_ptr as usize);
        }
        last
    };
    if last {
        release(base_ptr);
    }
    0
}

/// Unclaims and closes a base nobody refers to any more (out of BASES).
fn release(base_ptr: *mut Base) {
    // SAFETY: the caller took the base out of BASES and no part refers to it.
    let base = unsafe { Box::from_raw(base_ptr) };
    super::release_claim(base.bdev);
    super::close(base.desc);
}

extern "C" fn base_event(t: spdk_bdev_event_type, _b: *mut spdk_bdev, ctx: *mut c_void) {
    if t == spdk_bdev_event_type::SPDK_BDEV_EVENT_REMOVE {
        // SAFETY: ctx is the Base, live until its last part is destructed.
        let (module, name) = unsafe { ((*(ctx as *const Base)).module, (*(ctx as *const Base)).name.clone()) };
        let _ = remove_base(module as *mut spdk_bdev_module, &name);
    }
}

fn find_in(v: &[usize], module: *mut spdk_bdev_module, name: &str) -> Option<*mut Base> {
    // SAFETY: the caller holds BASES; its entries are live.
    v.iter().map(|&b| b as *mut Base).find(|&b| unsafe { (*b).module == module as usize && (*b).name == name })
}

/// Whether `module` has claimed `base_name`.
pub(crate) fn is_stacked(module: *mut spdk_bdev_module, base_name: &str) -> bool {
    find_in(&BASES.lock(), module, base_name).is_some()
}

/// Opens and claims `base_name` for `module` (needs an spdk_thread); parts
/// are added next with `add_part`, or the base given back with `abandon`.
pub(crate) fn open_base(module: *mut spdk_bdev_module, base_name: &str) -> Result<*mut Base, BdevError> {
    let b = super::get_by_name(base_name).ok_or_else(|| BdevError::NotFound(base_name.into()))?;
    let base = Box::into_raw(Box::new(Base {
        name: base_name.into(),
        module: module as usize,
        bdev: b,
        desc: std::ptr::null_mut(),
        parts: Vec::new(),
        removing: false,
    }));
    let desc = match super::open(base_name, true, Some(base_event), base.cast()) {
        Ok(d) => d,
        Err(e) => {
            // SAFETY: never shared.
            drop(unsafe { Box::from_raw(base) });
            return Err(e);
        }
    };
    if let Err(e) = super::claim(b, module) {
        super::close(desc);
        // SAFETY: never shared.
        drop(unsafe { Box::from_raw(base) });
        return Err(e);
    }
    // SAFETY: not shared yet.
    unsafe { (*base).desc = desc };
    BASES.lock().push(base as usize);
    Ok(base)
}

/// The base bdev's geometry (block size, block count).
pub(crate) fn base_geometry(base: *mut Base) -> (u32, u64) {
    // SAFETY: a base from `open_base`, live while its creator holds it.
    let bd = super::bdev_ref(unsafe { (*base).bdev });
    (bd.blocklen, bd.blockcnt)
}

/// Undoes a failed creation: removes the parts added so far, or gives the
/// base back at once if there are none.
pub(crate) fn abandon(base: *mut Base) {
    let empty = {
        let mut bases = BASES.lock();
        // SAFETY: live: its creator holds it.
        let empty = unsafe { (*base).parts.is_empty() };
        if empty {
            bases.retain(|&x| x != base as usize);
        }
        empty
    };
    if empty {
        release(base);
    } else {
        // SAFETY: live until its last part goes.
        let (module, name) = unsafe { ((*base).module, (*base).name.clone()) };
        let _ = remove_base(module as *mut spdk_bdev_module, &name);
    }
}

/// Registers a part: `num_blocks` of the base from `offset_blocks`, named `name`.
pub(crate) fn add_part(
    base: *mut Base,
    name: &str,
    offset_blocks: u64,
    num_blocks: u64,
    product: &'static std::ffi::CStr,
    uuid: Option<[u8; 16]>,
    hook: Option<Box<dyn Hook>>,
) -> Result<*mut spdk_bdev, BdevError> {
    // SAFETY: the base is live (held by its creator).
    let (module, bd) = unsafe { ((*base).module, super::bdev_ref((*base).bdev)) };
    if offset_blocks.checked_add(num_blocks).map_or(true, |end| end > bd.blockcnt) || num_blocks == 0 {
        return Err(BdevError::Invalid(format!("{name}: blocks {offset_blocks}+{num_blocks} are outside the base")));
    }
    let cname = CString::new(name).map_err(|_| BdevError::Invalid("name contains NUL".into()))?;
    // SAFETY: all-zero is valid for spdk_bdev.
    let mut bdev: spdk_bdev = unsafe { std::mem::zeroed() };
    super::part::inherit_geometry(&mut bdev, bd, num_blocks);
    bdev.product_name = product.as_ptr() as *mut _;
    bdev.fn_table = &FN_TABLE;
    bdev.module = module as *mut spdk_bdev_module;
    if let Some(u) = uuid {
        bdev.uuid.u.raw = u;
    }
    let io_dev = Box::into_raw(Box::new(bd as *const spdk_bdev as usize));
    if let Err(e) = ioch::register(io_dev.cast(), ch_create, ch_destroy, std::mem::size_of::<PartChannel>() as u32, Some("bdev_vbdev")) {
        // SAFETY: not registered: still ours.
        drop(unsafe { Box::from_raw(io_dev) });
        return Err(BdevError::Invalid(format!("{name}: {e:?}")));
    }
    let part = Box::into_raw(Box::new(Part { bdev, name: cname, base, offset_blocks, io_dev, hook }));
    // SAFETY: just created.
    unsafe {
        (*part).bdev.name = (*part).name.as_ptr() as *mut _;
        (*part).bdev.ctxt = part.cast();
    }
    // SAFETY: as above.
    let pb = unsafe { std::ptr::addr_of_mut!((*part).bdev) };
    {
        let _g = BASES.lock();
        // SAFETY: the base is live; parts change under BASES.
        unsafe { (*base).parts.push(part as usize) };
    }
    if let Err(e) = super::register(pb) {
        {
            let _g = BASES.lock();
            // SAFETY: as above.
            unsafe { (*base).parts.retain(|&p| p != part as usize) };
        }
        let _ = ioch::unregister(io_dev.cast(), Some(io_dev_gone));
        // SAFETY: not registered: still ours.
        drop(unsafe { Box::from_raw(part) });
        return Err(e);
    }
    Ok(pb)
}

/// Unregisters every part `module` stacked on `base_name`; the base is
/// released once the last part is gone.
pub(crate) fn remove_base(module: *mut spdk_bdev_module, base_name: &str) -> Result<(), BdevError> {
    let parts = {
        let g = BASES.lock();
        let base = find_in(&g, module, base_name).ok_or_else(|| BdevError::NotFound(base_name.into()))?;
        // SAFETY: bases in BASES are live; changed under the lock.
        let base = unsafe { &mut *base };
        if base.removing {
            return Err(BdevError::Removing(base_name.into()));
        }
        base.removing = true;
        base.parts.clone()
    };
    for p in parts {
        let _ = super::unregister(p as *mut spdk_bdev, None, std::ptr::null_mut());
    }
    Ok(())
}

/// Unregisters the part `name` if `module` made it.
pub(crate) fn remove_part(module: *mut spdk_bdev_module, name: &str) -> Result<(), BdevError> {
    let b = super::get_by_name(name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    if super::bdev_ref(b).module != module {
        return Err(BdevError::Invalid(format!("bdev '{name}' is not of this module")));
    }
    super::unregister(b, None, std::ptr::null_mut())
}

/// What a part is, for the JSON methods: its module's name, its base, its
/// window and its place among the parts of that base.
pub(crate) struct PartInfo {
    pub module: String,
    pub base_name: String,
    pub offset_blocks: u64,
    pub index: usize,
    pub count: usize,
}

/// Describes `b` if it is a part made by this core.
pub(crate) fn part_info(b: *mut spdk_bdev) -> Option<PartInfo> {
    let bd = super::bdev_ref(b);
    if !std::ptr::eq(bd.fn_table, &FN_TABLE) {
        return None;
    }
    let part = part_of(bd.ctxt);
    let _g = BASES.lock();
    // SAFETY: the base outlives its parts; its part list changes under BASES.
    let base = unsafe { &*part.base };
    let index = base.parts.iter().position(|&p| p == bd.ctxt as usize)?;
    // SAFETY: modules are static; their names are C strings.
    let module = unsafe { std::ffi::CStr::from_ptr((*(base.module as *const spdk_bdev_module)).name) }.to_string_lossy().into_owned();
    Some(PartInfo { module, base_name: base.name.clone(), offset_blocks: part.offset_blocks, index, count: base.parts.len() })
}

/// The hook of bdev `b` if it is a part with one.
pub(crate) fn hook_of_bdev<'a>(b: *mut spdk_bdev) -> Option<&'a dyn Hook> {
    let bd = super::bdev_ref(b);
    if !std::ptr::eq(bd.fn_table, &FN_TABLE) {
        return None;
    }
    part_of(bd.ctxt).hook.as_deref()
}

/// The hook of part `name` of `module`, if it is one of its parts.
pub(crate) fn hook_of<'a>(module: *mut spdk_bdev_module, name: &str) -> Option<&'a dyn Hook> {
    let b = super::get_by_name(name)?;
    let bd = super::bdev_ref(b);
    if bd.module != module {
        return None;
    }
    part_of(bd.ctxt).hook.as_deref()
}
