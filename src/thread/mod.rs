//! Lightweight threads (SPDK's `thread.h`): an `spdk_thread` is a queue of
//! messages plus a set of pollers, advanced by whoever calls [`Thread::poll`]
//! (a reactor, or the application itself).
//!
//! Ownership: every object (pollers, I/O channels) belongs to one thread and
//! is touched only by the OS thread currently polling it. Other OS threads
//! reach a thread only through its lock-free message ring, which takes no
//! allocation per message.
//!
//! The objects are handed to C as raw pointers, so this module keeps them
//! behind `Box::into_raw` and documents the invariant at each dereference.

pub mod io_channel;
pub mod poller;

use crate::env::{cpu, ring::Ring};
use crate::util::cpuset::spdk_cpuset;
use parking_lot::{Mutex, RwLock};
use poller::Poller;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ffi::{c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};

pub type MsgFn = extern "C" fn(*mut c_void);
pub type PollerFn = extern "C" fn(*mut c_void) -> c_int;

/// Messages each thread's ring holds before `send_msg` reports `ENOMEM`.
pub const MSG_RING_SIZE: usize = 65536;
/// Messages run per poll when the caller does not say.
pub const MSG_BATCH: usize = 32;
/// How long an exiting thread waits for its pollers and channels before it is forced out.
pub const EXIT_TIMEOUT_NS: u64 = 5_000_000_000;

#[derive(Clone, Copy)]
struct Msg {
    f: MsgFn,
    arg: *mut c_void,
}
// SAFETY: a message is a function pointer plus an opaque argument the sender
// hands over to the receiving thread; rspdk never dereferences the argument.
unsafe impl Send for Msg {}

extern "C" fn noop_msg(_: *mut c_void) {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadOp {
    New,
    Resched,
}

/// The scheduler hook: called with each new thread (`New`) so it can be placed.
pub type ThreadOpFn = Box<dyn Fn(*mut Thread, ThreadOp) -> i32 + Send + Sync>;
pub type ThreadOpSupportedFn = Box<dyn Fn(ThreadOp) -> bool + Send + Sync>;

struct Lib {
    op: Option<ThreadOpFn>,
    op_supported: Option<ThreadOpSupportedFn>,
    ctx_size: usize,
}

static LIB: RwLock<Lib> = RwLock::new(Lib { op: None, op_supported: None, ctx_size: 0 });
/// Every live thread, in creation order.
static THREADS: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static APP_THREAD: AtomicPtr<Thread> = AtomicPtr::new(std::ptr::null_mut());

thread_local! {
    static CURRENT: Cell<*mut Thread> = const { Cell::new(std::ptr::null_mut()) };
}

const RUNNING: u8 = 0;
const EXITING: u8 = 1;
const EXITED: u8 = 2;

/// State touched only by the OS thread that polls the thread.
pub(crate) struct Local {
    pub(crate) active: Vec<*mut Poller>,
    pub(crate) timed: BTreeMap<(u64, u64), *mut Poller>,
    pub(crate) paused: Vec<*mut Poller>,
    /// Set when an active poller changed state outside the poll loop.
    pub(crate) dirty: bool,
    pub(crate) next_poller_id: u64,
    busy_tsc: u64,
    idle_tsc: u64,
    last_tsc: u64,
    exit_tsc: u64,
}

pub struct Thread {
    id: u64,
    name: CString,
    cpumask: RefCell<spdk_cpuset>,
    msgs: Ring<Msg>,
    critical: AtomicPtr<c_void>,
    state: AtomicU8,
    pub(crate) channel_count: AtomicUsize,
    pub(crate) local: RefCell<Local>,
    ctx: *mut u8,
    ctx_layout: Option<std::alloc::Layout>,
    /// Free for the scheduler (the event framework stores the reactor here).
    pub sched: AtomicUsize,
}

// SAFETY: the fields shared across OS threads are atomics or the lock-free
// ring; `local`, `cpumask` and the context are touched only by the OS thread
// polling this thread (the ownership rule of the thread library).
unsafe impl Sync for Thread {}
// SAFETY: as above.
unsafe impl Send for Thread {}

const CTX_HEADER: usize = 64;

/// Errors of the thread library (negative errno at the C boundary).
#[derive(Debug, PartialEq, Eq)]
pub enum ThreadError {
    /// The target thread has exited.
    Exited,
    /// The message ring is full.
    Full,
    NoThread,
    Invalid,
}

impl ThreadError {
    pub fn errno(&self) -> i32 {
        match self {
            ThreadError::Exited => libc::EIO,
            ThreadError::Full => libc::ENOMEM,
            ThreadError::NoThread | ThreadError::Invalid => libc::EINVAL,
        }
    }
}

/// Sets the scheduler hook and the per-thread context size.
pub fn lib_init(op: Option<ThreadOpFn>, op_supported: Option<ThreadOpSupportedFn>, ctx_size: usize) -> Result<(), i32> {
    let mut lib = LIB.write();
    lib.op = op;
    lib.op_supported = op_supported;
    lib.ctx_size = ctx_size;
    crate::log::register_builtin_flags();
    Ok(())
}

/// Tears the library down; destroys threads that have exited.
pub fn lib_fini() {
    let ids: Vec<usize> = THREADS.lock().clone();
    for t in ids {
        // SAFETY: pointers in THREADS are live threads.
        let th = unsafe { &*(t as *const Thread) };
        if th.is_exited() {
            destroy(t as *mut Thread);
        } else {
            crate::log::warn(format_args!("thread {} not exited at spdk_thread_lib_fini\n", th.name()));
        }
    }
    let mut lib = LIB.write();
    lib.op = None;
    lib.op_supported = None;
    lib.ctx_size = 0;
}

pub fn op_supported(op: ThreadOp) -> bool {
    LIB.read().op_supported.as_ref().is_some_and(|f| f(op))
}

/// Creates a thread; the scheduler hook (if any) is told of it.
pub fn create(name: Option<&str>, cpumask: Option<&spdk_cpuset>) -> Option<*mut Thread> {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mask = match cpumask {
        Some(m) => *m,
        None => {
            let mut m = spdk_cpuset::default();
            cpu::with_cores(|cores, _| cores.iter().for_each(|&c| m.set(c, true)));
            m
        }
    };
    let ctx_size = LIB.read().ctx_size;
    let (ctx, ctx_layout) = if ctx_size > 0 {
        let layout = std::alloc::Layout::from_size_align(CTX_HEADER + ctx_size, 64).ok()?;
        // SAFETY: non-zero size; zeroed context as SPDK gives.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        if p.is_null() {
            return None;
        }
        (p, Some(layout))
    } else {
        (std::ptr::null_mut(), None)
    };
    let name = match name {
        Some(n) => CString::new(n).ok()?,
        None => CString::new(format!("thread{id}")).ok()?,
    };
    let t = Box::into_raw(Box::new(Thread {
        id,
        name,
        cpumask: RefCell::new(mask),
        msgs: Ring::new(MSG_RING_SIZE),
        critical: AtomicPtr::new(std::ptr::null_mut()),
        state: AtomicU8::new(RUNNING),
        channel_count: AtomicUsize::new(0),
        local: RefCell::new(Local {
            active: Vec::new(),
            timed: BTreeMap::new(),
            paused: Vec::new(),
            dirty: false,
            next_poller_id: 1,
            busy_tsc: 0,
            idle_tsc: 0,
            last_tsc: cpu::ticks(),
            exit_tsc: 0,
        }),
        ctx,
        ctx_layout,
        sched: AtomicUsize::new(0),
    }));
    if !ctx.is_null() {
        // SAFETY: ctx has a 64-byte header we own; the back pointer sits at its start.
        unsafe { (ctx as *mut *mut Thread).write(t) };
    }
    THREADS.lock().push(t as usize);
    let _ = APP_THREAD.compare_exchange(std::ptr::null_mut(), t, Ordering::AcqRel, Ordering::Acquire);
    let rc = {
        let lib = LIB.read();
        lib.op.as_ref().map_or(0, |op| op(t, ThreadOp::New))
    };
    if rc != 0 {
        // SAFETY: t was created above and is not yet visible to any scheduler.
        unsafe { (*t).state.store(EXITED, Ordering::Release) };
        destroy(t);
        return None;
    }
    Some(t)
}

/// Frees an exited thread. A thread that has not exited is left alone (error logged).
pub fn destroy(t: *mut Thread) {
    if t.is_null() {
        return;
    }
    // SAFETY: callers pass threads obtained from `create`, not yet destroyed.
    let th = unsafe { &*t };
    if !th.is_exited() {
        crate::log::error(format_args!("thread {} destroyed before it exited\n", th.name()));
        return;
    }
    THREADS.lock().retain(|&x| x != t as usize);
    let _ = APP_THREAD.compare_exchange(t, std::ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
    if CURRENT.with(|c| c.get()) == t {
        CURRENT.with(|c| c.set(std::ptr::null_mut()));
    }
    let left = th.msgs.len();
    if left > 0 {
        crate::log::warn(format_args!("thread {} destroyed with {left} unprocessed messages\n", th.name()));
    }
    // SAFETY: the thread is exited and out of the registry; we own it now.
    let mut th = unsafe { Box::from_raw(t) };
    let local = std::mem::replace(
        th.local.get_mut(),
        Local { active: Vec::new(), timed: BTreeMap::new(), paused: Vec::new(), dirty: false, next_poller_id: 0, busy_tsc: 0, idle_tsc: 0, last_tsc: 0, exit_tsc: 0 },
    );
    for p in local.active.into_iter().chain(local.timed.into_values()).chain(local.paused) {
        poller::free(p);
    }
    if let Some(layout) = th.ctx_layout {
        // SAFETY: allocated in `create` with this layout.
        unsafe { std::alloc::dealloc(th.ctx, layout) };
    }
}

pub fn current() -> *mut Thread {
    CURRENT.with(|c| c.get())
}

pub fn set_current(t: *mut Thread) {
    CURRENT.with(|c| c.set(t));
}

pub fn app_thread() -> *mut Thread {
    APP_THREAD.load(Ordering::Acquire)
}

pub fn count() -> usize {
    THREADS.lock().len()
}

/// Runs `f` with the thread of that id while the registry lock keeps it alive.
pub fn with_thread_id<R>(id: u64, f: impl FnOnce(&Thread) -> R) -> Option<R> {
    let g = THREADS.lock();
    g.iter()
        // SAFETY: registry entries are live while the lock is held.
        .map(|&t| unsafe { &*(t as *const Thread) })
        .find(|t| t.id == id)
        .map(f)
}

pub fn by_id(id: u64) -> *mut Thread {
    with_thread_id(id, |t| t as *const Thread as *mut Thread).unwrap_or(std::ptr::null_mut())
}

/// Ids of all live threads in creation order.
pub fn ids() -> Vec<u64> {
    let g = THREADS.lock();
    // SAFETY: registry entries are live while the lock is held.
    g.iter().map(|&t| unsafe { (*(t as *const Thread)).id }).collect()
}

/// Sends `f(arg)` to the thread of id `id`, if it still exists.
pub fn send_to_id(id: u64, f: MsgFn, arg: *mut c_void) -> Result<(), ThreadError> {
    with_thread_id(id, |t| t.send_msg(f, arg)).unwrap_or(Err(ThreadError::Exited))
}

impl Thread {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn name(&self) -> &str {
        self.name.to_str().unwrap_or("")
    }

    pub fn name_cstr(&self) -> &CStr {
        &self.name
    }

    pub fn cpumask(&self) -> *mut spdk_cpuset {
        self.cpumask.as_ptr()
    }

    pub fn cpumask_copy(&self) -> spdk_cpuset {
        // SAFETY: the mask is only written by its owner thread; a copy of plain bytes.
        unsafe { *self.cpumask.as_ptr() }
    }

    pub fn ctx(&self) -> *mut u8 {
        if self.ctx.is_null() {
            std::ptr::null_mut()
        } else {
            // SAFETY: inside the context allocation, right after its header.
            unsafe { self.ctx.add(CTX_HEADER) }
        }
    }

    /// The thread whose `ctx()` is `ctx`.
    ///
    /// # Safety
    /// `ctx` must come from `Thread::ctx` of a live thread.
    pub unsafe fn from_ctx(ctx: *mut u8) -> *mut Thread {
        // SAFETY: per the contract, the header with the back pointer precedes ctx.
        unsafe { (ctx.sub(CTX_HEADER) as *mut *mut Thread).read() }
    }

    pub fn is_running(&self) -> bool {
        self.state.load(Ordering::Acquire) == RUNNING
    }

    pub fn is_exited(&self) -> bool {
        self.state.load(Ordering::Acquire) == EXITED
    }

    pub fn is_exiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == EXITING
    }

    /// Queues `f(arg)` on this thread; lock-free, no allocation.
    pub fn send_msg(&self, f: MsgFn, arg: *mut c_void) -> Result<(), ThreadError> {
        if self.is_exited() {
            return Err(ThreadError::Exited);
        }
        if self.msgs.push(Msg { f, arg }) {
            Ok(())
        } else {
            Err(ThreadError::Full)
        }
    }

    /// One slot for a message that must get through without allocation (from signal handlers).
    pub fn send_critical_msg(&self, f: MsgFn) -> Result<(), ThreadError> {
        match self.critical.compare_exchange(std::ptr::null_mut(), f as *mut c_void, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => Ok(()),
            Err(_) => Err(ThreadError::Full),
        }
    }

    pub fn pending_msgs(&self) -> usize {
        self.msgs.len()
    }

    /// Marks the thread as exiting; it exits once its pollers and channels are gone.
    pub fn exit(&self) {
        if self
            .state
            .compare_exchange(RUNNING, EXITING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.local.borrow_mut().exit_tsc = cpu::ticks();
        }
    }

    fn process_msgs(&self, max: u32) -> usize {
        let max = if max == 0 { MSG_BATCH } else { (max as usize).min(MSG_BATCH) };
        let mut buf = [Msg { f: noop_msg, arg: std::ptr::null_mut() }; MSG_BATCH];
        let n = self.msgs.dequeue_burst(&mut buf[..max]);
        for m in &buf[..n] {
            (m.f)(m.arg);
        }
        n
    }

    /// Runs up to `max_msgs` messages (0: a default batch), the active pollers
    /// and the timed pollers that are due at `now` (0: read the clock).
    /// Returns 1 if any work was done, 0 if idle.
    pub fn poll(&self, max_msgs: u32, now: u64) -> i32 {
        let me = self as *const Thread as *mut Thread;
        let prev = CURRENT.with(|c| c.replace(me));
        let now = if now == 0 { cpu::ticks() } else { now };
        let mut busy = self.process_msgs(max_msgs) > 0;
        let crit = self.critical.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if !crit.is_null() {
            // SAFETY: only MsgFn values are stored in `critical` (send_critical_msg).
            let f: MsgFn = unsafe { std::mem::transmute::<*mut c_void, MsgFn>(crit) };
            f(std::ptr::null_mut());
            busy = true;
        }
        busy |= poller::run_active(self);
        busy |= poller::run_timed(self, now);
        if self.is_exiting() {
            self.try_finish_exit(now);
        }
        {
            let mut l = self.local.borrow_mut();
            let spent = now.saturating_sub(l.last_tsc);
            if busy {
                l.busy_tsc += spent;
            } else {
                l.idle_tsc += spent;
            }
            l.last_tsc = now;
        }
        CURRENT.with(|c| c.set(prev));
        busy as i32
    }

    fn try_finish_exit(&self, now: u64) {
        let (pollers, exit_tsc) = {
            let l = self.local.borrow();
            (poller::live_count(&l), l.exit_tsc)
        };
        let channels = self.channel_count.load(Ordering::Acquire);
        let timed_out = now.saturating_sub(exit_tsc) > EXIT_TIMEOUT_NS;
        if pollers == 0 && channels == 0 && self.msgs.is_empty() {
            self.state.store(EXITED, Ordering::Release);
        } else if timed_out {
            crate::log::error(format_args!(
                "thread {} forced to exit after timeout: {pollers} pollers, {channels} I/O channels, {} messages left\n",
                self.name(),
                self.msgs.len()
            ));
            self.state.store(EXITED, Ordering::Release);
        }
    }

    pub fn has_active_pollers(&self) -> bool {
        poller::has_active(&self.local.borrow())
    }

    pub fn has_pollers(&self) -> bool {
        poller::live_count(&self.local.borrow()) > 0
    }

    pub fn is_idle(&self) -> bool {
        self.msgs.is_empty()
            && self.critical.load(Ordering::Acquire).is_null()
            && !poller::has_unpaused(&self.local.borrow())
    }

    /// (busy, idle) ticks spent in `poll`.
    pub fn stats(&self) -> (u64, u64) {
        let l = self.local.borrow();
        (l.busy_tsc, l.idle_tsc)
    }

    pub fn last_tsc(&self) -> u64 {
        self.local.borrow().last_tsc
    }

    /// Ticks at which the next timed poller is due (0 if none).
    pub fn next_poller_expiration(&self) -> u64 {
        self.local.borrow().timed.keys().next().map_or(0, |k| k.0)
    }
}

struct ForEachThread {
    ids: Vec<u64>,
    pos: usize,
    f: MsgFn,
    ctx: *mut c_void,
    cpl: Option<MsgFn>,
    orig: u64,
}

extern "C" fn for_each_thread_step(arg: *mut c_void) {
    // SAFETY: arg is the Box<ForEachThread> leaked by for_each_thread; exactly
    // one message holds it at a time.
    let it = unsafe { &mut *(arg as *mut ForEachThread) };
    (it.f)(it.ctx);
    it.pos += 1;
    for_each_thread_next(arg as *mut ForEachThread);
}

extern "C" fn for_each_thread_done(arg: *mut c_void) {
    // SAFETY: as above; this is the last message holding it.
    let it = unsafe { Box::from_raw(arg as *mut ForEachThread) };
    if let Some(cpl) = it.cpl {
        cpl(it.ctx);
    }
}

fn for_each_thread_next(p: *mut ForEachThread) {
    // SAFETY: p is the live iterator owned by the caller's message.
    let it = unsafe { &mut *p };
    while it.pos < it.ids.len() {
        if send_to_id(it.ids[it.pos], for_each_thread_step, p.cast()).is_ok() {
            return;
        }
        it.pos += 1;
    }
    if send_to_id(it.orig, for_each_thread_done, p.cast()).is_err() {
        crate::log::error(format_args!("spdk_for_each_thread: the calling thread is gone; completion dropped\n"));
        // SAFETY: no message holds the iterator any more.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// Calls `f(ctx)` on every thread in turn, then `cpl(ctx)` on the calling thread.
pub fn for_each_thread(f: MsgFn, ctx: *mut c_void, cpl: Option<MsgFn>) -> Result<(), ThreadError> {
    let cur = current();
    if cur.is_null() {
        return Err(ThreadError::NoThread);
    }
    // SAFETY: the current thread is live while it runs.
    let orig = unsafe { (*cur).id };
    let ids = {
        let g = THREADS.lock();
        g.iter()
            // SAFETY: registry entries are live while the lock is held.
            .map(|&t| unsafe { &*(t as *const Thread) })
            .filter(|t| !t.is_exited())
            .map(|t| t.id)
            .collect()
    };
    let it = Box::into_raw(Box::new(ForEachThread { ids, pos: 0, f, ctx, cpl, orig }));
    for_each_thread_next(it);
    Ok(())
}

#[cfg(test)]
mod tests;

type BoxedFn = Box<dyn FnOnce() + Send>;

extern "C" fn run_boxed(arg: *mut c_void) {
    // SAFETY: arg is a Box<BoxedFn> leaked by `send_fn`, delivered exactly once.
    let f = unsafe { Box::from_raw(arg as *mut BoxedFn) };
    f();
}

/// Sends a Rust closure to `t` (control path: allocates one box).
pub fn send_fn(t: &Thread, f: impl FnOnce() + Send + 'static) -> Result<(), ThreadError> {
    let b: Box<BoxedFn> = Box::new(Box::new(f));
    let p = Box::into_raw(b);
    t.send_msg(run_boxed, p.cast()).inspect_err(|_| {
        // SAFETY: the message was not queued; we still own the box.
        drop(unsafe { Box::from_raw(p) });
    })
}
