//! `spdk/thread.h`: threads, messages, pollers, I/O devices and channels.

use super::{cstr, guard};
use crate::thread::{self as th, io_channel as ioch, poller, MsgFn, PollerFn, Thread, ThreadOp};
use crate::util::cpuset::spdk_cpuset;
use std::ffi::{c_char, c_int, c_void};

pub const SPDK_DEFAULT_MSG_MEMPOOL_SIZE: usize = 262144 - 1;

/// Opaque: a lightweight thread.
pub struct spdk_thread {
    _private: [u8; 0],
}
/// Opaque: a poller.
pub struct spdk_poller {
    _private: [u8; 0],
}
/// Opaque: a per-thread channel of an I/O device.
pub struct spdk_io_channel {
    _private: [u8; 0],
}
/// Opaque: the state of an `spdk_for_each_channel` walk.
pub struct spdk_io_channel_iter {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum spdk_thread_op {
    /// Called each time a new thread is created.
    SPDK_THREAD_OP_NEW,
    /// Called when a thread should be rescheduled.
    SPDK_THREAD_OP_RESCHED,
}

#[repr(C)]
pub enum spdk_thread_poller_rc {
    SPDK_POLLER_IDLE,
    SPDK_POLLER_BUSY,
}

/// `struct spdk_thread_stats`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct spdk_thread_stats {
    pub busy_tsc: u64,
    pub idle_tsc: u64,
}

pub type spdk_new_thread_fn = Option<unsafe extern "C" fn(thread: *mut spdk_thread) -> c_int>;
pub type spdk_thread_op_fn = Option<unsafe extern "C" fn(thread: *mut spdk_thread, op: spdk_thread_op) -> c_int>;
pub type spdk_thread_op_supported_fn = Option<unsafe extern "C" fn(op: spdk_thread_op) -> bool>;
pub type spdk_msg_fn = Option<unsafe extern "C" fn(ctx: *mut c_void)>;
pub type spdk_poller_fn = Option<unsafe extern "C" fn(ctx: *mut c_void) -> c_int>;
pub type spdk_io_channel_create_cb = Option<unsafe extern "C" fn(io_device: *mut c_void, ctx_buf: *mut c_void) -> c_int>;
pub type spdk_io_channel_destroy_cb = Option<unsafe extern "C" fn(io_device: *mut c_void, ctx_buf: *mut c_void)>;
pub type spdk_io_device_unregister_cb = Option<unsafe extern "C" fn(io_device: *mut c_void)>;
pub type spdk_channel_msg = Option<unsafe extern "C" fn(i: *mut spdk_io_channel_iter)>;
pub type spdk_channel_for_each_cpl = Option<unsafe extern "C" fn(i: *mut spdk_io_channel_iter, status: c_int)>;

fn msg_fn(f: unsafe extern "C" fn(*mut c_void)) -> MsgFn {
    // SAFETY: same ABI; the C caller vouches that its callback may be called with its context.
    unsafe { std::mem::transmute::<unsafe extern "C" fn(*mut c_void), MsgFn>(f) }
}

unsafe fn thread_ref<'a>(t: *const spdk_thread) -> Option<&'a Thread> {
    // SAFETY: NULL or a live thread from spdk_thread_create.
    unsafe { (t as *const Thread).as_ref() }
}

fn to_op(op: ThreadOp) -> spdk_thread_op {
    match op {
        ThreadOp::New => spdk_thread_op::SPDK_THREAD_OP_NEW,
        ThreadOp::Resched => spdk_thread_op::SPDK_THREAD_OP_RESCHED,
    }
}

/// Initialise the thread library; `new_thread_fn` (may be NULL) is told of each new thread.
#[no_mangle]
pub extern "C" fn spdk_thread_lib_init(new_thread_fn: spdk_new_thread_fn, ctx_sz: usize) -> c_int {
    guard(-libc::EFAULT, || {
        let op: Option<th::ThreadOpFn> = new_thread_fn.map(|f| {
            Box::new(move |t: *mut Thread, op| match op {
                // SAFETY: the application's scheduler callback with a live thread.
                ThreadOp::New => unsafe { f(t.cast()) },
                ThreadOp::Resched => -libc::EINVAL,
            }) as th::ThreadOpFn
        });
        let supported: Option<th::ThreadOpSupportedFn> = new_thread_fn.map(|_| Box::new(|op| op == ThreadOp::New) as th::ThreadOpSupportedFn);
        th::lib_init(op, supported, ctx_sz).map_or_else(|e| -e, |_| 0)
    })
}

#[no_mangle]
pub extern "C" fn spdk_thread_lib_init_ext(
    thread_op_fn: spdk_thread_op_fn,
    thread_op_supported_fn: spdk_thread_op_supported_fn,
    ctx_sz: usize,
    msg_mempool_size: usize,
) -> c_int {
    let _ = msg_mempool_size;
    guard(-libc::EFAULT, || {
        if thread_op_fn.is_some() != thread_op_supported_fn.is_some() {
            crate::log::error(format_args!("spdk_thread_lib_init_ext: thread_op_fn and thread_op_supported_fn go together\n"));
            return -libc::EINVAL;
        }
        // SAFETY (both closures): the application's scheduler callbacks.
        let op = thread_op_fn.map(|f| Box::new(move |t: *mut Thread, op| unsafe { f(t.cast(), to_op(op)) }) as th::ThreadOpFn);
        let sup = thread_op_supported_fn.map(|f| Box::new(move |op| unsafe { f(to_op(op)) }) as th::ThreadOpSupportedFn);
        th::lib_init(op, sup, ctx_sz).map_or_else(|e| -e, |_| 0)
    })
}

#[no_mangle]
pub extern "C" fn spdk_thread_lib_fini() {
    guard((), th::lib_fini)
}

/// A new thread named `name` (NULL: a generated name) allowed on `cpumask` (NULL: every core).
#[no_mangle]
pub unsafe extern "C" fn spdk_thread_create(name: *const c_char, cpumask: *const spdk_cpuset) -> *mut spdk_thread {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's string and cpuset (or NULL).
        let (name, mask) = unsafe { (cstr(name), cpumask.as_ref()) };
        th::create(name, mask).map_or(std::ptr::null_mut(), |t| t.cast())
    })
}

/// Marks the thread as exiting; it exits once its pollers and channels are released.
#[no_mangle]
pub unsafe extern "C" fn spdk_thread_exit(thread: *mut spdk_thread) -> c_int {
    guard(-libc::EFAULT, || match unsafe { thread_ref(thread) } {
        Some(t) => {
            t.exit();
            0
        }
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_is_running(thread: *mut spdk_thread) -> bool {
    guard(false, || unsafe { thread_ref(thread) }.is_some_and(|t| t.is_running()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_is_exited(thread: *mut spdk_thread) -> bool {
    guard(false, || unsafe { thread_ref(thread) }.is_some_and(|t| t.is_exited()))
}

#[no_mangle]
pub extern "C" fn spdk_thread_destroy(thread: *mut spdk_thread) {
    guard((), || th::destroy(thread.cast()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_get_ctx(thread: *mut spdk_thread) -> *mut c_void {
    guard(std::ptr::null_mut(), || unsafe { thread_ref(thread) }.map_or(std::ptr::null_mut(), |t| t.ctx().cast()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_get_cpumask(thread: *mut spdk_thread) -> *mut spdk_cpuset {
    guard(std::ptr::null_mut(), || unsafe { thread_ref(thread) }.map_or(std::ptr::null_mut(), |t| t.cpumask()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_get_from_ctx(ctx: *mut c_void) -> *mut spdk_thread {
    guard(std::ptr::null_mut(), || {
        if ctx.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: ctx comes from spdk_thread_get_ctx (C API contract).
        unsafe { Thread::from_ctx(ctx.cast()) }.cast()
    })
}

/// Runs messages (at most `max_msgs`, 0 for a default batch) and due pollers; 1 if busy, 0 if idle.
#[no_mangle]
pub unsafe extern "C" fn spdk_thread_poll(thread: *mut spdk_thread, max_msgs: u32, now: u64) -> c_int {
    guard(-libc::EFAULT, || match unsafe { thread_ref(thread) } {
        Some(t) => t.poll(max_msgs, now),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_next_poller_expiration(thread: *mut spdk_thread) -> u64 {
    guard(0, || unsafe { thread_ref(thread) }.map_or(0, |t| t.next_poller_expiration()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_has_active_pollers(thread: *mut spdk_thread) -> c_int {
    guard(0, || unsafe { thread_ref(thread) }.map_or(0, |t| t.has_active_pollers() as c_int))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_has_pollers(thread: *mut spdk_thread) -> bool {
    guard(false, || unsafe { thread_ref(thread) }.is_some_and(|t| t.has_pollers()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_is_idle(thread: *mut spdk_thread) -> bool {
    guard(false, || unsafe { thread_ref(thread) }.is_some_and(|t| t.is_idle()))
}

#[no_mangle]
pub extern "C" fn spdk_thread_get_count() -> u32 {
    guard(0, || th::count() as u32)
}

#[no_mangle]
pub extern "C" fn spdk_get_thread() -> *mut spdk_thread {
    th::current().cast()
}

#[no_mangle]
pub extern "C" fn spdk_set_thread(thread: *mut spdk_thread) {
    th::set_current(thread.cast())
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_get_name(thread: *const spdk_thread) -> *const c_char {
    guard(std::ptr::null(), || unsafe { thread_ref(thread) }.map_or(std::ptr::null(), |t| t.name_cstr().as_ptr()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_get_id(thread: *const spdk_thread) -> u64 {
    guard(0, || unsafe { thread_ref(thread) }.map_or(0, |t| t.id()))
}

#[no_mangle]
pub extern "C" fn spdk_thread_get_by_id(id: u64) -> *mut spdk_thread {
    guard(std::ptr::null_mut(), || th::by_id(id).cast())
}

/// Busy and idle ticks of the calling thread.
#[no_mangle]
pub unsafe extern "C" fn spdk_thread_get_stats(stats: *mut spdk_thread_stats) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: NULL or the caller's struct; the current thread is live.
        let (Some(s), Some(t)) = (unsafe { stats.as_mut() }, unsafe { thread_ref(th::current().cast()) }) else {
            return -libc::EINVAL;
        };
        let (busy, idle) = t.stats();
        *s = spdk_thread_stats { busy_tsc: busy, idle_tsc: idle };
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_thread_get_last_tsc(thread: *mut spdk_thread) -> u64 {
    guard(0, || unsafe { thread_ref(if thread.is_null() { th::current().cast() } else { thread }) }.map_or(0, |t| t.last_tsc()))
}

/// Queues `fn(ctx)` on `thread`; 0, -ENOMEM when its ring is full, -EIO if it has exited.
#[no_mangle]
pub unsafe extern "C" fn spdk_thread_send_msg(thread: *const spdk_thread, fn_: spdk_msg_fn, ctx: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || match (unsafe { thread_ref(thread) }, fn_) {
        (Some(t), Some(f)) => t.send_msg(msg_fn(f), ctx).map_or_else(|e| -e.errno(), |_| 0),
        _ => -libc::EINVAL,
    })
}

/// Queues `fn(NULL)` in the thread's one critical slot (safe from a signal handler).
#[no_mangle]
pub unsafe extern "C" fn spdk_thread_send_critical_msg(thread: *mut spdk_thread, fn_: spdk_msg_fn) -> c_int {
    match (unsafe { thread_ref(thread) }, fn_) {
        (Some(t), Some(f)) => t.send_critical_msg(msg_fn(f)).map_or_else(|_| -libc::EIO, |_| 0),
        _ => -libc::EINVAL,
    }
}

/// Calls `fn(ctx)` on every thread, then `cpl(ctx)` on the calling thread.
#[no_mangle]
pub extern "C" fn spdk_for_each_thread(fn_: spdk_msg_fn, ctx: *mut c_void, cpl: spdk_msg_fn) {
    guard((), || {
        let Some(f) = fn_ else { return };
        if let Err(e) = th::for_each_thread(msg_fn(f), ctx, cpl.map(msg_fn)) {
            crate::log::error(format_args!("spdk_for_each_thread: {e:?}\n"));
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_thread_get_app_thread() -> *mut spdk_thread {
    th::app_thread().cast()
}

#[no_mangle]
pub extern "C" fn spdk_thread_is_app_thread(thread: *mut spdk_thread) -> bool {
    let t = if thread.is_null() { th::current() } else { thread.cast() };
    !t.is_null() && t == th::app_thread()
}

fn poller_fn(f: unsafe extern "C" fn(*mut c_void) -> c_int) -> PollerFn {
    // SAFETY: same ABI; the C caller vouches for its callback.
    unsafe { std::mem::transmute::<unsafe extern "C" fn(*mut c_void) -> c_int, PollerFn>(f) }
}

/// Registers a poller on the calling thread (`period_microseconds` 0: every poll).
#[no_mangle]
pub extern "C" fn spdk_poller_register(fn_: spdk_poller_fn, arg: *mut c_void, period_microseconds: u64) -> *mut spdk_poller {
    guard(std::ptr::null_mut(), || match fn_ {
        Some(f) => poller::register(poller_fn(f), arg, period_microseconds, None).map_or(std::ptr::null_mut(), |p| p.cast()),
        None => std::ptr::null_mut(),
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_poller_register_named(
    fn_: spdk_poller_fn,
    arg: *mut c_void,
    period_microseconds: u64,
    name: *const c_char,
) -> *mut spdk_poller {
    guard(std::ptr::null_mut(), || match fn_ {
        // SAFETY: the caller's C string or NULL.
        Some(f) => poller::register(poller_fn(f), arg, period_microseconds, unsafe { cstr(name) }).map_or(std::ptr::null_mut(), |p| p.cast()),
        None => std::ptr::null_mut(),
    })
}

/// Unregisters `*ppoller` and sets it to NULL.
#[no_mangle]
pub unsafe extern "C" fn spdk_poller_unregister(ppoller: *mut *mut spdk_poller) {
    guard((), || {
        // SAFETY: NULL or the caller's pointer slot.
        let Some(slot) = (unsafe { ppoller.as_mut() }) else { return };
        if slot.is_null() {
            return;
        }
        poller::unregister(slot.cast());
        *slot = std::ptr::null_mut();
    })
}

#[no_mangle]
pub extern "C" fn spdk_poller_pause(poller: *mut spdk_poller) {
    guard((), || {
        if !poller.is_null() {
            poller::pause(poller.cast())
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_poller_resume(poller: *mut spdk_poller) {
    guard((), || {
        if !poller.is_null() {
            poller::resume(poller.cast())
        }
    })
}

/// Registers an I/O device: each thread's channel gets `ctx_size` bytes set up by `create_cb`.
#[no_mangle]
pub unsafe extern "C" fn spdk_io_device_register(
    io_device: *mut c_void,
    create_cb: spdk_io_channel_create_cb,
    destroy_cb: spdk_io_channel_destroy_cb,
    ctx_size: u32,
    name: *const c_char,
) {
    guard((), || {
        let (Some(c), Some(d)) = (create_cb, destroy_cb) else {
            crate::log::error(format_args!("spdk_io_device_register: create_cb and destroy_cb are required\n"));
            return;
        };
        if io_device.is_null() {
            crate::log::error(format_args!("spdk_io_device_register: NULL io_device\n"));
            return;
        }
        // SAFETY: same ABI; the C caller vouches for its callbacks.
        let (c, d) = unsafe {
            (
                std::mem::transmute::<unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int, ioch::CreateCb>(c),
                std::mem::transmute::<unsafe extern "C" fn(*mut c_void, *mut c_void), ioch::DestroyCb>(d),
            )
        };
        // SAFETY: the caller's C string or NULL.
        if let Err(e) = ioch::register(io_device, c, d, ctx_size, unsafe { cstr(name) }) {
            crate::log::error(format_args!("spdk_io_device_register: {io_device:p}: {e:?}\n"));
        }
    })
}

/// Unregisters; `unregister_cb` runs on this thread once every channel is released.
#[no_mangle]
pub extern "C" fn spdk_io_device_unregister(io_device: *mut c_void, unregister_cb: spdk_io_device_unregister_cb) {
    guard((), || {
        // SAFETY: same ABI; the C caller vouches for its callback.
        let cb = unregister_cb.map(|f| unsafe { std::mem::transmute::<unsafe extern "C" fn(*mut c_void), ioch::UnregisterCb>(f) });
        if let Err(e) = ioch::unregister(io_device, cb) {
            crate::log::error(format_args!("spdk_io_device_unregister: {io_device:p}: {e:?}\n"));
        }
    })
}

/// The calling thread's channel of `io_device` (created on first use; refcounted).
#[no_mangle]
pub extern "C" fn spdk_get_io_channel(io_device: *mut c_void) -> *mut spdk_io_channel {
    guard(std::ptr::null_mut(), || ioch::get(io_device).map_or(std::ptr::null_mut(), |c| c.cast()))
}

#[no_mangle]
pub extern "C" fn spdk_put_io_channel(ch: *mut spdk_io_channel) {
    guard((), || {
        if !ch.is_null() {
            ioch::put(ch.cast())
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_io_channel_get_ctx(ch: *mut spdk_io_channel) -> *mut c_void {
    if ch.is_null() {
        return std::ptr::null_mut();
    }
    ioch::ctx(ch.cast())
}

#[no_mangle]
pub unsafe extern "C" fn spdk_io_channel_from_ctx(ctx: *mut c_void) -> *mut spdk_io_channel {
    if ctx.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: ctx comes from spdk_io_channel_get_ctx (C API contract).
    unsafe { ioch::from_ctx(ctx) }.cast()
}

#[no_mangle]
pub extern "C" fn spdk_io_channel_get_thread(ch: *mut spdk_io_channel) -> *mut spdk_thread {
    guard(std::ptr::null_mut(), || if ch.is_null() { std::ptr::null_mut() } else { ioch::thread_of(ch.cast()).cast() })
}

#[no_mangle]
pub extern "C" fn spdk_io_channel_get_io_device(ch: *mut spdk_io_channel) -> *mut c_void {
    guard(std::ptr::null_mut(), || if ch.is_null() { std::ptr::null_mut() } else { ioch::io_device_of(ch.cast()) })
}

/// Calls `fn` on each thread holding a channel of `io_device`, then `cpl` on the calling thread.
#[no_mangle]
pub extern "C" fn spdk_for_each_channel(io_device: *mut c_void, fn_: spdk_channel_msg, ctx: *mut c_void, cpl: spdk_channel_for_each_cpl) {
    guard((), || {
        let Some(f) = fn_ else { return };
        // SAFETY: same ABI (the iterator types differ only in name); the caller vouches for its callbacks.
        let f = unsafe { std::mem::transmute::<unsafe extern "C" fn(*mut spdk_io_channel_iter), ioch::ChannelMsg>(f) };
        let cpl = cpl.map(|c| unsafe { std::mem::transmute::<unsafe extern "C" fn(*mut spdk_io_channel_iter, c_int), ioch::ChannelCpl>(c) });
        if let Err(e) = ioch::for_each(io_device, f, ctx, cpl) {
            crate::log::error(format_args!("spdk_for_each_channel: {io_device:p}: {e:?}\n"));
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_for_each_channel_continue(i: *mut spdk_io_channel_iter, status: c_int) {
    guard((), || {
        if !i.is_null() {
            ioch::continue_iter(i.cast(), status)
        }
    })
}

unsafe fn iter_ref<'a>(i: *mut spdk_io_channel_iter) -> Option<&'a ioch::ChannelIter> {
    // SAFETY: NULL or the live iterator handed to the callback.
    unsafe { (i as *const ioch::ChannelIter).as_ref() }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_io_channel_iter_get_io_device(i: *mut spdk_io_channel_iter) -> *mut c_void {
    unsafe { iter_ref(i) }.map_or(std::ptr::null_mut(), |it| it.io_device())
}

#[no_mangle]
pub unsafe extern "C" fn spdk_io_channel_iter_get_channel(i: *mut spdk_io_channel_iter) -> *mut spdk_io_channel {
    unsafe { iter_ref(i) }.map_or(std::ptr::null_mut(), |it| it.channel().cast())
}

#[no_mangle]
pub unsafe extern "C" fn spdk_io_channel_iter_get_ctx(i: *mut spdk_io_channel_iter) -> *mut c_void {
    unsafe { iter_ref(i) }.map_or(std::ptr::null_mut(), |it| it.ctx())
}
