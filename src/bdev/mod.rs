//! The block device layer (SPDK's `bdev.h` / `bdev_module.h`).
//!
//! Bdevs are SPDK's own C structures (`struct spdk_bdev`, `struct
//! spdk_bdev_io`, `struct spdk_bdev_fn_table`), so modules written in C and
//! in Rust go through the same path. The layer keeps its own state beside
//! them: descriptors, per-thread channels (an io_device per bdev), the pool
//! of `bdev_io`s, and the queues of I/O waiting for resources.
//!
//! Threading follows the thread library: a channel and the I/O submitted on
//! it belong to one thread; completions run there.

pub mod abort;
pub mod aio;
pub mod config;
pub mod file;
pub(crate) mod fused;
pub mod iobuf;
pub mod histogram;
pub mod io;
pub mod json;
pub mod malloc;
pub mod modules;
pub mod null;
pub mod pollq;
pub mod nvme;
pub mod delay;
pub mod error;
pub mod part;
pub mod passthru;
pub mod qos;
pub mod raid;
pub(crate) mod reset;
pub mod split;
pub mod status;
pub mod timeout;
pub mod uring;
pub(crate) mod vbdev;
pub mod zcopy;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod io_tests;
#[cfg(test)]
mod ext_tests;
#[cfg(test)]
mod zcopy_tests;

use crate::capi::bdev_types::*;
use crate::env::mempool::Mempool;
use crate::thread::{self, io_channel as ioch};
use parking_lot::Mutex;
use std::collections::{BTreeMap, VecDeque};
use std::ffi::{c_int, c_void, CStr};

/// Defaults of `spdk_bdev_opts`.
pub const DEFAULT_IO_POOL_SIZE: u32 = 64 * 1024 - 1;
pub const DEFAULT_IO_CACHE_SIZE: u32 = 256;
/// Room reserved for modules' per-I/O context when the pool is sized before them.
const MIN_DRIVER_CTX: usize = 256;

#[derive(Debug, PartialEq, Eq)]
pub enum BdevError {
    Exists(String),
    NotFound(String),
    Invalid(String),
    Claimed(String),
    Removing(String),
    /// In use: the change must wait until it is closed.
    Busy(String),
    NoMemory,
}

impl BdevError {
    pub fn errno(&self) -> i32 {
        match self {
            BdevError::Exists(_) => libc::EEXIST,
            BdevError::NotFound(_) | BdevError::Removing(_) => libc::ENODEV,
            BdevError::Invalid(_) => libc::EINVAL,
            BdevError::Claimed(_) => libc::EPERM,
            BdevError::Busy(_) => libc::EBUSY,
            BdevError::NoMemory => libc::ENOMEM,
        }
    }
}

impl std::fmt::Display for BdevError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BdevError::Exists(n) => write!(f, "bdev '{n}' already exists"),
            BdevError::NotFound(n) => write!(f, "bdev '{n}' not found"),
            BdevError::Invalid(w) => write!(f, "{w}"),
            BdevError::Claimed(n) => write!(f, "bdev '{n}' is claimed by a module: no write access"),
            BdevError::Removing(n) => write!(f, "bdev '{n}' is being removed"),
            BdevError::Busy(w) => write!(f, "{w}"),
            BdevError::NoMemory => write!(f, "out of memory"),
        }
    }
}

/// The layer's state of one registered bdev.
struct BdevState {
    name: String,
    descs: Vec<usize>,
    removing: bool,
    unregister_done: Option<(spdk_bdev_unregister_cb, usize, u64)>,
    claimed_by: usize,
}

struct Registry {
    order: Vec<usize>,
    states: BTreeMap<usize, BdevState>,
    modules: Vec<usize>,
    pool: Option<Box<Mempool>>,
    /// Bytes of each pooled bdev_io (the struct plus the largest module context).
    io_size: usize,
    pool_size: u32,
}

static REG: Mutex<Registry> = Mutex::new(Registry {
    order: Vec::new(),
    states: BTreeMap::new(),
    modules: Vec::new(),
    pool: None,
    io_size: 0,
    pool_size: DEFAULT_IO_POOL_SIZE,
});

/// An open descriptor (C's `struct spdk_bdev_desc`).
pub struct Desc {
    pub bdev: *mut spdk_bdev,
    pub write: bool,
    event_cb: spdk_bdev_event_cb_t,
    event_ctx: usize,
    thread_id: u64,
    /// Set by `spdk_bdev_set_timeout` (dropped with the descriptor).
    pub(crate) timeout: Option<timeout::DescTimeout>,
}

/// The bdev a descriptor is open on.
pub fn bdev_ref_ptr(d: *mut Desc) -> *mut spdk_bdev {
    // SAFETY: an open descriptor.
    unsafe { (*d).bdev }
}

pub fn bdev_ref<'a>(b: *mut spdk_bdev) -> &'a spdk_bdev {
    // SAFETY: registered bdevs stay valid until their module's destruct,
    // which the layer calls only after the last descriptor closed.
    unsafe { &*b }
}

pub fn name_of(b: *mut spdk_bdev) -> String {
    let p = bdev_ref(b).name;
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: modules set `name` to a NUL-terminated string living with the bdev.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

type DestructFn = unsafe extern "C" fn(*mut c_void) -> c_int;
type SubmitFn = unsafe extern "C" fn(*mut crate::capi::thread::spdk_io_channel, *mut spdk_bdev_io);
type SupportedFn = unsafe extern "C" fn(*mut c_void, spdk_bdev_io_type) -> bool;
type ChannelFn = unsafe extern "C" fn(*mut c_void) -> *mut crate::capi::thread::spdk_io_channel;

/// A function table with the four callbacks every module has, and no optional ones.
pub(crate) const fn fn_table(destruct: DestructFn, submit: SubmitFn, supported: SupportedFn, channel: ChannelFn) -> spdk_bdev_fn_table {
    spdk_bdev_fn_table {
        destruct: Some(destruct),
        submit_request: Some(submit),
        io_type_supported: Some(supported),
        get_io_channel: Some(channel),
        dump_info_json: None,
        write_config_json: None,
        get_spin_time: None,
        get_module_ctx: None,
        get_memory_domains: None,
        reset_device_stat: None,
        dump_device_stat_json: None,
        accel_sequence_supported: None,
    }
}

/// Adds a module (C modules through `SPDK_BDEV_MODULE_REGISTER`).
pub fn module_add(m: *mut spdk_bdev_module) {
    let mut r = REG.lock();
    if !r.modules.contains(&(m as usize)) {
        r.modules.push(m as usize);
    }
}

/// The registered modules, in registration order.
pub fn modules() -> Vec<*mut spdk_bdev_module> {
    REG.lock().modules.iter().map(|&m| m as *mut spdk_bdev_module).collect()
}

fn module_ctx_size(m: usize) -> usize {
    // SAFETY: registered modules are static for the process.
    let m = unsafe { &*(m as *const spdk_bdev_module) };
    // SAFETY: the module's own callback.
    m.get_ctx_size.map_or(0, |f| unsafe { f() }.max(0) as usize)
}

/// Sets the pool size and the per-channel cache size (`spdk_bdev_set_opts`)
/// while no pool exists yet. As SPDK: the pool must hold a full cache for
/// every thread and one more.
pub fn set_pool_opts(pool: u32, cache: u32) -> Result<(), BdevError> {
    let mut r = REG.lock();
    if r.pool.is_some() {
        return Err(BdevError::Invalid("the bdev_io pool already exists; set options before the first bdev".into()));
    }
    if pool == 0 || cache == 0 {
        return Err(BdevError::Invalid("bdev_io_pool_size and bdev_io_cache_size must be positive".into()));
    }
    let threads = thread::ids().len().max(1) as u64;
    if (pool as u64) < cache as u64 * (threads + 1) {
        return Err(BdevError::Invalid(format!(
            "bdev_io_pool_size {pool} is too small for bdev_io_cache_size {cache} and {threads} threads (at least {} needed)",
            cache as u64 * (threads + 1)
        )));
    }
    r.pool_size = pool;
    CACHE_LIMIT.store(cache as usize, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Bdev_ios each channel keeps for reuse (`bdev_io_cache_size`).
static CACHE_LIMIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(DEFAULT_IO_CACHE_SIZE as usize);

pub fn cache_size() -> u32 {
    CACHE_LIMIT.load(std::sync::atomic::Ordering::Relaxed) as u32
}

pub fn pool_size() -> u32 {
    REG.lock().pool_size
}

fn ensure_pool(r: &mut Registry) -> Result<(), BdevError> {
    if r.pool.is_some() {
        return Ok(());
    }
    let ctx = r.modules.iter().map(|&m| module_ctx_size(m)).max().unwrap_or(0).max(MIN_DRIVER_CTX);
    let size = (std::mem::size_of::<spdk_bdev_io>() + ctx).next_multiple_of(64);
    let pool = Mempool::create("bdev_io", r.pool_size as usize, size).ok_or(BdevError::NoMemory)?;
    r.io_size = size;
    POOL.store(&*pool as *const Mempool as *mut Mempool, std::sync::atomic::Ordering::Release);
    r.pool = Some(pool);
    Ok(())
}

pub(crate) fn with_pool<R>(f: impl FnOnce(&Mempool) -> R) -> Option<R> {
    let r = REG.lock();
    r.pool.as_deref().map(f)
}

/// Whether the pool has a free bdev_io now.
pub fn pool_has_free() -> bool {
    with_pool(|p| p.count() > 0).unwrap_or(true)
}

/// The pool, read without a lock on the I/O path (set with it, cleared before it goes).
static POOL: std::sync::atomic::AtomicPtr<Mempool> = std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

pub(crate) fn pool_ptr() -> *const Mempool {
    POOL.load(std::sync::atomic::Ordering::Acquire)
}

/// Registers a bdev its module has filled in (`spdk_bdev_register`).
pub fn register(b: *mut spdk_bdev) -> Result<(), BdevError> {
    let bd = bdev_ref(b);
    let name = name_of(b);
    if name.is_empty() {
        return Err(BdevError::Invalid("a bdev needs a name".into()));
    }
    if bd.blocklen == 0 || bd.blockcnt == 0 {
        return Err(BdevError::Invalid(format!("bdev '{name}': block size and block count must be non-zero")));
    }
    if bd.fn_table.is_null() {
        return Err(BdevError::Invalid(format!("bdev '{name}': no function table")));
    }
    {
        let mut r = REG.lock();
        if r.states.values().any(|s| s.name == name) {
            return Err(BdevError::Exists(name));
        }
        if !bd.module.is_null() && !r.modules.contains(&(bd.module as usize)) {
            r.modules.push(bd.module as usize);
        }
        ensure_pool(&mut r)?;
        r.order.push(b as usize);
        r.states.insert(b as usize, BdevState { name: name.clone(), descs: Vec::new(), removing: false, unregister_done: None, claimed_by: 0 });
    }
    // SAFETY: the bdev's uuid and io_type_supported are fields the layer fills.
    unsafe {
        if (*b).uuid.u.raw == [0; 16] {
            (*b).uuid.u.raw = crate::util::uuid::generate();
        }
        // The supported I/O types, asked once (SPDK's bitmap of the same name).
        let mut bits = 0u32;
        for v in 0..32 {
            if let Some(t) = spdk_bdev_io_type::from_raw(v) {
                if ask_io_type_supported(b, t) {
                    bits |= 1 << v;
                }
            }
        }
        (*b).io_type_supported = bits;
    }
    let cname = std::ffi::CString::new(format!("bdev_{name}")).unwrap_or_default();
    let _ = ioch::register(b.cast(), io::channel_create, io::channel_destroy, std::mem::size_of::<io::BdevChannel>() as u32, cname.to_str().ok());
    crate::log::info("bdev", format_args!("bdev {name} registered\n"));
    modules::on_register(b);
    Ok(())
}

/// Bdevs in registration order.
pub fn list() -> Vec<*mut spdk_bdev> {
    REG.lock().order.iter().map(|&b| b as *mut spdk_bdev).collect()
}

pub fn get_by_name(name: &str) -> Option<*mut spdk_bdev> {
    let r = REG.lock();
    r.order.iter().copied().find(|b| r.states.get(b).is_some_and(|s| s.name == name)).map(|b| b as *mut spdk_bdev)
}

pub fn is_registered(b: *mut spdk_bdev) -> bool {
    REG.lock().states.contains_key(&(b as usize))
}

/// Opens `name` (`spdk_bdev_open_ext`).
pub fn open(name: &str, write: bool, event_cb: spdk_bdev_event_cb_t, event_ctx: *mut c_void) -> Result<*mut Desc, BdevError> {
    let t = thread::current();
    if t.is_null() {
        return Err(BdevError::Invalid("spdk_bdev_open_ext must be called on an spdk_thread".into()));
    }
    let mut r = REG.lock();
    let (b, st) = r
        .states
        .iter_mut()
        .find(|(_, s)| s.name == name)
        .map(|(&b, s)| (b, s))
        .ok_or_else(|| BdevError::NotFound(name.into()))?;
    if st.removing {
        return Err(BdevError::Removing(name.into()));
    }
    if write && st.claimed_by != 0 {
        return Err(BdevError::Claimed(name.into()));
    }
    // SAFETY: the current thread is live.
    let tid = unsafe { (*t).id() };
    let d = Box::into_raw(Box::new(Desc { bdev: b as *mut spdk_bdev, write, event_cb, event_ctx: event_ctx as usize, thread_id: tid, timeout: None }));
    st.descs.push(d as usize);
    Ok(d)
}

/// Closes a descriptor; the last close of a bdev being removed finishes its removal.
pub fn close(d: *mut Desc) {
    // SAFETY: a descriptor from `open`, closed once by its owner.
    let desc = unsafe { Box::from_raw(d) };
    let b = desc.bdev as usize;
    let finish = {
        let mut r = REG.lock();
        match r.states.get_mut(&b) {
            Some(st) => {
                st.descs.retain(|&x| x != d as usize);
                st.removing && st.descs.is_empty()
            }
            None => false,
        }
    };
    if finish {
        finish_unregister(b as *mut spdk_bdev);
    }
}

/// A module claims a bdev: no other writer may open it (`spdk_bdev_module_claim_bdev`).
pub fn claim(b: *mut spdk_bdev, module: *mut spdk_bdev_module) -> Result<(), BdevError> {
    let mut r = REG.lock();
    let st = r.states.get_mut(&(b as usize)).ok_or_else(|| BdevError::NotFound(name_of(b)))?;
    if st.claimed_by != 0 {
        return Err(BdevError::Claimed(st.name.clone()));
    }
    st.claimed_by = module as usize;
    Ok(())
}

/// Whether a module claimed the bdev (it is not a leaf).
pub fn is_claimed(b: *mut spdk_bdev) -> bool {
    REG.lock().states.get(&(b as usize)).is_some_and(|s| s.claimed_by != 0)
}

/// The module that claimed `b` (its address; 0 when unclaimed).
pub fn claimer(b: *mut spdk_bdev) -> usize {
    REG.lock().states.get(&(b as usize)).map_or(0, |s| s.claimed_by)
}

pub fn release_claim(b: *mut spdk_bdev) {
    if let Some(st) = REG.lock().states.get_mut(&(b as usize)) {
        st.claimed_by = 0;
    }
}

/// An event for one descriptor, carried to its thread.
struct DescEvent {
    desc: usize,
    bdev: usize,
    kind: spdk_bdev_event_type,
}

extern "C" fn desc_event(arg: *mut c_void) {
    // SAFETY: a Box<DescEvent> sent by `send_events`.
    let ev = *unsafe { Box::from_raw(arg as *mut DescEvent) };
    let still_open = REG.lock().states.get(&ev.bdev).is_some_and(|s| s.descs.contains(&ev.desc));
    if !still_open {
        return;
    }
    // SAFETY: the descriptor is still open (checked above) and used on its own thread.
    let desc = unsafe { &*(ev.desc as *const Desc) };
    if let Some(cb) = desc.event_cb {
        // SAFETY: the application's event callback on the descriptor's thread.
        unsafe { cb(ev.kind, ev.bdev as *mut spdk_bdev, desc.event_ctx as *mut c_void) };
    }
}

/// Tells each descriptor in `descs`, on its own thread, of event `kind`.
fn send_events(b: *mut spdk_bdev, descs: Vec<usize>, kind: spdk_bdev_event_type) {
    for d in descs {
        // SAFETY: open descriptors are live until closed.
        let tid = unsafe { (*(d as *const Desc)).thread_id };
        let arg = Box::into_raw(Box::new(DescEvent { desc: d, bdev: b as usize, kind }));
        if thread::send_to_id(tid, desc_event, arg.cast()).is_err() {
            // SAFETY: not sent; reclaim.
            drop(unsafe { Box::from_raw(arg) });
        }
    }
}

/// A module's bdev changed size (`spdk_bdev_notify_blockcnt_change`): open
/// descriptors get a RESIZE event. Shrinking is refused while any is open.
#[allow(clippy::not_unsafe_ptr_arg_deref)] // written only once found registered, under the lock
pub fn notify_blockcnt_change(b: *mut spdk_bdev, blockcnt: u64) -> Result<(), BdevError> {
    if blockcnt == 0 {
        return Err(BdevError::Invalid(format!("bdev '{}': a block count of 0", name_of(b))));
    }
    let descs = {
        let r = REG.lock();
        let st = r.states.get(&(b as usize)).ok_or_else(|| BdevError::NotFound(name_of(b)))?;
        if blockcnt < bdev_ref(b).blockcnt && !st.descs.is_empty() {
            return Err(BdevError::Busy(format!("bdev '{}' is open: it cannot shrink", st.name)));
        }
        // SAFETY: a registered bdev; its size changes under the registry lock.
        unsafe { (*b).blockcnt = blockcnt };
        st.descs.clone()
    };
    send_events(b, descs, spdk_bdev_event_type::SPDK_BDEV_EVENT_RESIZE);
    Ok(())
}

/// Starts removing a bdev: every open descriptor is told (REMOVE event on its
/// thread); when the last one closes, the bdev is destructed and `cb` runs.
pub fn unregister(b: *mut spdk_bdev, cb: spdk_bdev_unregister_cb, cb_arg: *mut c_void) -> Result<(), BdevError> {
    let t = thread::current();
    // SAFETY: the current thread (if any) is live.
    let tid = if t.is_null() { 0 } else { unsafe { (*t).id() } };
    let (descs, now) = {
        let mut r = REG.lock();
        let st = r.states.get_mut(&(b as usize)).ok_or_else(|| BdevError::NotFound(name_of(b)))?;
        if st.removing {
            return Err(BdevError::Removing(st.name.clone()));
        }
        st.removing = true;
        st.unregister_done = Some((cb, cb_arg as usize, tid));
        (st.descs.clone(), st.descs.is_empty())
    };
    send_events(b, descs, spdk_bdev_event_type::SPDK_BDEV_EVENT_REMOVE);
    if now {
        finish_unregister(b);
    }
    Ok(())
}

struct Destruct {
    cb: spdk_bdev_unregister_cb,
    arg: usize,
    tid: u64,
    rc: c_int,
}

extern "C" fn after_io_device(io_device: *mut c_void) {
    let b = io_device as *mut spdk_bdev;
    let done = {
        let mut r = REG.lock();
        r.order.retain(|&x| x != b as usize);
        let done = r.states.remove(&(b as usize)).and_then(|s| s.unregister_done);
        if r.order.is_empty() {
            // No bdev, so no I/O: the pool goes (recreated with the next bdev).
            POOL.store(std::ptr::null_mut(), std::sync::atomic::Ordering::Release);
            r.pool = None;
            iobuf::release();
        }
        done
    };
    // Every channel is gone: no I/O path reads the QoS state any more.
    qos::release(b);
    histogram::release(b);
    let bd = bdev_ref(b);
    let mut rc = 0;
    // Waiting for spdk_bdev_destruct_done in case the destruct is asynchronous
    // (it may even be called from inside destruct).
    ASYNC_DESTRUCT.lock().insert(b as usize, done);
    if !bd.fn_table.is_null() {
        // SAFETY: the module's destruct for its own bdev, called once after its last channel.
        if let Some(destruct) = unsafe { (*bd.fn_table).destruct } {
            // SAFETY: as above.
            rc = unsafe { destruct(bd.ctxt) };
        }
    }
    if rc != 1 {
        destruct_done(b, rc);
    }
}

type UnregisterDone = Option<(spdk_bdev_unregister_cb, usize, u64)>;

/// Bdevs whose destruct has not finished yet, with who waits for them.
static ASYNC_DESTRUCT: Mutex<BTreeMap<usize, UnregisterDone>> = Mutex::new(BTreeMap::new());

/// The module finished destructing `b` (`spdk_bdev_destruct_done`, or the
/// return of a synchronous destruct): the unregistration completes.
pub fn destruct_done(b: *mut spdk_bdev, rc: c_int) {
    let Some(done) = ASYNC_DESTRUCT.lock().remove(&(b as usize)) else { return };
    if let Some((cb, arg, tid)) = done {
        let d = Box::into_raw(Box::new(Destruct { cb, arg, tid, rc: rc.min(0) }));
        deliver_unregister_done(d);
    }
}

fn deliver_unregister_done(d: *mut Destruct) {
    extern "C" fn run(arg: *mut c_void) {
        // SAFETY: the Destruct sent below; delivered once.
        let d = unsafe { Box::from_raw(arg as *mut Destruct) };
        if let Some(cb) = d.cb {
            // SAFETY: the caller's completion of spdk_bdev_unregister.
            unsafe { cb(d.arg as *mut c_void, d.rc) };
        }
    }
    // SAFETY: d is ours until sent.
    let tid = unsafe { (*d).tid };
    if tid == 0 || thread::send_to_id(tid, run, d.cast()).is_err() {
        run(d.cast());
    }
}

fn finish_unregister(b: *mut spdk_bdev) {
    if ioch::unregister(b.cast(), Some(after_io_device)).is_err() {
        after_io_device(b.cast());
    }
}

/// Whether the module supports `io_type` for this bdev (from the bitmap filled at registration).
#[inline]
pub fn io_type_supported(b: *mut spdk_bdev, io_type: spdk_bdev_io_type) -> bool {
    let v = io_type as u32;
    v < 32 && bdev_ref(b).io_type_supported & (1 << v) != 0
}

fn ask_io_type_supported(b: *mut spdk_bdev, io_type: spdk_bdev_io_type) -> bool {
    let bd = bdev_ref(b);
    if bd.fn_table.is_null() {
        return false;
    }
    // SAFETY: the module's own callback for its bdev.
    unsafe { (*bd.fn_table).io_type_supported.is_some_and(|f| f(bd.ctxt, io_type)) }
}

/// Tears the layer down for a fresh start (tests; `spdk_bdev_finish` later).
pub fn reset_layer() {
    let mut r = REG.lock();
    if r.order.is_empty() {
        POOL.store(std::ptr::null_mut(), std::sync::atomic::Ordering::Release);
        r.pool = None;
        r.pool_size = DEFAULT_IO_POOL_SIZE;
    }
}

pub(crate) type WaitQueue = VecDeque<*mut spdk_bdev_io_wait_entry>;

static RETIRED: Mutex<BTreeMap<usize, io::Stat>> = Mutex::new(BTreeMap::new());

/// Adds a destroyed channel's statistics to its bdev's total.
pub(crate) fn add_retired_stat(b: *mut spdk_bdev, s: io::Stat) {
    RETIRED.lock().entry(b as usize).or_default().merge(&s);
}

struct DeviceStat {
    bdev: usize,
    acc: io::Stat,
    mode: io::ResetMode,
    done: Option<Box<dyn FnOnce(io::Stat) + Send>>,
}

extern "C" fn stat_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator whose context is our DeviceStat.
    let (ch, st) = unsafe { ((*i).channel(), &mut *((*i).ctx() as *mut DeviceStat)) };
    let c = io::chan(ch.cast());
    st.acc.merge(&c.stat);
    c.stat.reset(st.mode);
    ioch::continue_iter(i, 0);
}

extern "C" fn stat_done(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context leaked by device_stat; the walk is over.
    let mut st = unsafe { Box::from_raw((*i).ctx() as *mut DeviceStat) };
    if let Some(r) = RETIRED.lock().get_mut(&st.bdev) {
        r.reset(st.mode);
    }
    let acc = st.acc;
    if let Some(done) = st.done.take() {
        done(acc);
    }
}

/// The statistics of a bdev over all its channels (and those gone), then
/// cleared as `mode` says; `done` runs on the calling thread.
pub fn device_stat(b: *mut spdk_bdev, mode: io::ResetMode, done: Box<dyn FnOnce(io::Stat) + Send>) -> Result<(), BdevError> {
    if !is_registered(b) {
        return Err(BdevError::NotFound(name_of(b)));
    }
    let acc = RETIRED.lock().get(&(b as usize)).copied().unwrap_or_default();
    let st = Box::into_raw(Box::new(DeviceStat { bdev: b as usize, acc, mode, done: Some(done) }));
    if let Err(e) = ioch::for_each(b.cast(), stat_visit, st.cast(), Some(stat_done)) {
        // SAFETY: not started: still ours.
        drop(unsafe { Box::from_raw(st) });
        return Err(BdevError::Invalid(format!("{e:?}")));
    }
    Ok(())
}

/// The bdev subsystem: at application stop, every bdev is unregistered
/// (newest first) before the subsystems it stands on stop.
pub static SUBSYSTEM: crate::event::subsystem::Subsystem =
    crate::event::subsystem::Subsystem { name: "bdev", depends_on: &[], init: subsystem_init, fini: subsystem_fini };

fn subsystem_init(done: crate::event::subsystem::Done) {
    modules::init(done)
}

struct FiniState {
    done: Option<crate::event::subsystem::Done>,
}

extern "C" fn fini_one(arg: *mut c_void, _rc: c_int) {
    // SAFETY: the FiniState leaked by subsystem_fini, used on the app thread.
    let st = unsafe { &mut *(arg as *mut FiniState) };
    fini_next(st);
}

fn fini_next(st: &mut FiniState) {
    loop {
        let Some(&b) = list().last() else {
            if let Some(done) = st.done.take() {
                // SAFETY: reclaiming the state; nothing refers to it after this.
                drop(unsafe { Box::from_raw(st as *mut FiniState) });
                // The bdevs are gone: the NVMe controllers behind them go next.
                nvme::fini(Box::new(move || done(0)));
            }
            return;
        };
        if unregister(b, Some(fini_one), st as *mut FiniState as *mut c_void).is_ok() {
            return;
        }
        // Already being removed elsewhere: forget it here and go on.
        REG.lock().order.retain(|&x| x != b as usize);
    }
}

fn subsystem_fini(done: crate::event::subsystem::Done) {
    let unregister_all = Box::new(|then: Box<dyn FnOnce() + Send>| {
        let st = Box::into_raw(Box::new(FiniState { done: Some(Box::new(move |_| then())) }));
        // SAFETY: just created.
        fini_next(unsafe { &mut *st });
    });
    modules::fini(unregister_all, done);
}
