//! I/O devices and their per-thread channels (`spdk_io_device_register`,
//! `spdk_get_io_channel`, `spdk_for_each_channel`).
//!
//! A device registers create/destroy callbacks; each thread that asks for a
//! channel gets one (refcounted) with `ctx_size` bytes of context. Releasing
//! the last reference destroys the channel by a message to itself, so a
//! channel never disappears under a running callback. Unregistering a device
//! completes (its callback runs on the unregistering thread) only after every
//! channel of it is gone. The registry lock is never held across a callback.

use super::{current, send_to_id, MsgFn, Thread};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ffi::{c_int, c_void, CString};
use std::sync::atomic::Ordering;

pub type CreateCb = extern "C" fn(*mut c_void, *mut c_void) -> c_int;
pub type DestroyCb = extern "C" fn(*mut c_void, *mut c_void);
pub type UnregisterCb = extern "C" fn(*mut c_void);
pub type ChannelMsg = extern "C" fn(*mut ChannelIter);
pub type ChannelCpl = extern "C" fn(*mut ChannelIter, c_int);

struct IoDevice {
    io_device: usize,
    create_cb: CreateCb,
    destroy_cb: DestroyCb,
    ctx_size: usize,
    name: CString,
    refcnt: usize,
    for_each_count: usize,
    unregistered: bool,
    unregister_cb: Option<UnregisterCb>,
    unregister_thread: u64,
}

/// Header of a channel; the device context follows at `CHANNEL_HDR`.
pub struct IoChannel {
    thread: *mut Thread,
    thread_id: u64,
    dev: *mut IoDevice,
    io_device: usize,
    refs: u32,
    destroy_refs: u32,
    layout: std::alloc::Layout,
}

pub const CHANNEL_HDR: usize = 64;
const _: () = assert!(std::mem::size_of::<IoChannel>() <= CHANNEL_HDR);

struct Registry {
    devices: HashMap<usize, *mut IoDevice>,
    /// (thread id, device) -> channel.
    channels: HashMap<(u64, usize), *mut IoChannel>,
}
// SAFETY: the raw pointers are owned by the registry's protocol (see module
// docs) and only dereferenced under its lock or by the owning thread.
unsafe impl Send for Registry {}

static REG: Mutex<Option<Registry>> = Mutex::new(None);

fn with_reg<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut g = REG.lock();
    f(g.get_or_insert_with(|| Registry { devices: HashMap::new(), channels: HashMap::new() }))
}

fn dev<'a>(d: *mut IoDevice) -> &'a mut IoDevice {
    // SAFETY: device records are freed only by `finish_unregister`, after their
    // last channel and iteration are gone; callers hold the registry lock.
    unsafe { &mut *d }
}

fn thread_id(t: *mut Thread) -> u64 {
    // SAFETY: callers pass the current (live) thread.
    unsafe { (*t).id() }
}

#[derive(Debug, PartialEq, Eq)]
pub enum ChannelError {
    NoThread,
    AlreadyRegistered,
    NotRegistered,
}

pub fn register(io_device: *mut c_void, create_cb: CreateCb, destroy_cb: DestroyCb, ctx_size: u32, name: Option<&str>) -> Result<(), ChannelError> {
    with_reg(|r| {
        if r.devices.contains_key(&(io_device as usize)) {
            return Err(ChannelError::AlreadyRegistered);
        }
        let name = name.map(str::to_string).unwrap_or_else(|| format!("{io_device:p}"));
        let d = Box::into_raw(Box::new(IoDevice {
            io_device: io_device as usize,
            create_cb,
            destroy_cb,
            ctx_size: ctx_size as usize,
            name: CString::new(name).unwrap_or_default(),
            refcnt: 0,
            for_each_count: 0,
            unregistered: false,
            unregister_cb: None,
            unregister_thread: 0,
        }));
        r.devices.insert(io_device as usize, d);
        Ok(())
    })
}

struct Finish {
    io_device: usize,
    cb: Option<UnregisterCb>,
    dev: *mut IoDevice,
}

extern "C" fn finish_unregister_msg(arg: *mut c_void) {
    // SAFETY: a Box<Finish> leaked by maybe_finish, delivered once.
    let f = unsafe { Box::from_raw(arg as *mut Finish) };
    if let Some(cb) = f.cb {
        cb(f.io_device as *mut c_void);
    }
    // SAFETY: no channel or iteration refers to the device any more.
    drop(unsafe { Box::from_raw(f.dev) });
}

/// With the lock held: if an unregistered device is unused, schedule its completion.
fn maybe_finish(d: *mut IoDevice) {
    let dv = dev(d);
    if dv.unregistered && dv.refcnt == 0 && dv.for_each_count == 0 {
        let f = Box::into_raw(Box::new(Finish { io_device: dv.io_device, cb: dv.unregister_cb, dev: d }));
        if send_to_id(dv.unregister_thread, finish_unregister_msg, f.cast()).is_err() {
            crate::log::error(format_args!("io_device {:?}: unregistering thread is gone; completion dropped\n", dv.name));
            // SAFETY: the message was not queued; we still own both boxes.
            unsafe {
                drop(Box::from_raw(f));
                drop(Box::from_raw(d));
            }
        }
    }
}

pub fn unregister(io_device: *mut c_void, cb: Option<UnregisterCb>) -> Result<(), ChannelError> {
    let t = current();
    if t.is_null() {
        return Err(ChannelError::NoThread);
    }
    with_reg(|r| {
        let d = r.devices.remove(&(io_device as usize)).ok_or(ChannelError::NotRegistered)?;
        let dv = dev(d);
        dv.unregistered = true;
        dv.unregister_cb = cb;
        dv.unregister_thread = thread_id(t);
        maybe_finish(d);
        Ok(())
    })
}

/// The current thread's channel for `io_device`, created on first use.
pub fn get(io_device: *mut c_void) -> Option<*mut IoChannel> {
    let t = current();
    if t.is_null() {
        crate::log::error(format_args!("spdk_get_io_channel called outside of an spdk_thread\n"));
        return None;
    }
    // SAFETY: the current thread is live while it runs.
    if unsafe { (*t).is_exited() } {
        return None;
    }
    let tid = thread_id(t);
    enum Lookup {
        Existing(*mut IoChannel),
        Create(*mut IoDevice, usize, CreateCb),
        Unknown,
    }
    let found = with_reg(|r| {
        let Some(&d) = r.devices.get(&(io_device as usize)) else { return Lookup::Unknown };
        if let Some(&ch) = r.channels.get(&(tid, d as usize)) {
            chan(ch).refs += 1;
            return Lookup::Existing(ch);
        }
        let dv = dev(d);
        dv.refcnt += 1;
        Lookup::Create(d, dv.ctx_size, dv.create_cb)
    });
    let (d, ctx_size, create_cb) = match found {
        Lookup::Existing(ch) => return Some(ch),
        Lookup::Unknown => {
            crate::log::error(format_args!("spdk_get_io_channel: io_device {io_device:p} is not registered\n"));
            return None;
        }
        Lookup::Create(d, s, c) => (d, s, c),
    };
    let layout = std::alloc::Layout::from_size_align(CHANNEL_HDR + ctx_size, 64).ok()?;
    // SAFETY: non-zero size; zeroed like SPDK's channel contexts.
    let mem = unsafe { std::alloc::alloc_zeroed(layout) } as *mut IoChannel;
    if mem.is_null() {
        with_reg(|_| {
            dev(d).refcnt -= 1;
            maybe_finish(d);
        });
        return None;
    }
    // SAFETY: mem is a fresh allocation large enough for the header.
    unsafe {
        mem.write(IoChannel { thread: t, thread_id: tid, dev: d, io_device: io_device as usize, refs: 1, destroy_refs: 0, layout });
    }
    let rc = create_cb(io_device, ctx(mem));
    if rc != 0 {
        // SAFETY: allocated above with `layout`; never published.
        unsafe { std::alloc::dealloc(mem as *mut u8, layout) };
        with_reg(|_| {
            dev(d).refcnt -= 1;
            maybe_finish(d);
        });
        return None;
    }
    with_reg(|r| r.channels.insert((tid, d as usize), mem));
    // SAFETY: t is the live current thread.
    unsafe { (*t).channel_count.fetch_add(1, Ordering::AcqRel) };
    Some(mem)
}

pub fn ctx(ch: *mut IoChannel) -> *mut c_void {
    // SAFETY: every channel allocation has CHANNEL_HDR bytes before its context.
    unsafe { (ch as *mut u8).add(CHANNEL_HDR).cast() }
}

/// # Safety
/// `ctx` must be the context of a live channel.
pub unsafe fn from_ctx(ctx: *mut c_void) -> *mut IoChannel {
    // SAFETY: per the contract, the header precedes the context.
    unsafe { (ctx as *mut u8).sub(CHANNEL_HDR).cast() }
}

fn chan<'a>(ch: *mut IoChannel) -> &'a mut IoChannel {
    // SAFETY: callers pass live channels (C API contract), used on their thread.
    unsafe { &mut *ch }
}

pub fn thread_of(ch: *mut IoChannel) -> *mut Thread {
    chan(ch).thread
}

pub fn io_device_of(ch: *mut IoChannel) -> *mut c_void {
    chan(ch).io_device as *mut c_void
}

pub fn name_of(ch: *mut IoChannel) -> String {
    with_reg(|_| dev(chan(ch).dev).name.to_string_lossy().into_owned())
}

pub fn refs_of(ch: *mut IoChannel) -> u32 {
    chan(ch).refs
}

extern "C" fn put_deferred(arg: *mut c_void) {
    let ch = arg as *mut IoChannel;
    let c = chan(ch);
    c.destroy_refs -= 1;
    if c.refs > 0 || c.destroy_refs > 0 {
        return;
    }
    let (d, tid, io_device, thread, layout) = (c.dev, c.thread_id, c.io_device, c.thread, c.layout);
    let destroy_cb = with_reg(|r| {
        r.channels.remove(&(tid, d as usize));
        dev(d).destroy_cb
    });
    destroy_cb(io_device as *mut c_void, ctx(ch));
    // SAFETY: the channel's thread is live (we run on it).
    unsafe { (*thread).channel_count.fetch_sub(1, Ordering::AcqRel) };
    with_reg(|_| {
        dev(d).refcnt -= 1;
        maybe_finish(d);
    });
    // SAFETY: allocated in `get` with this layout, now out of every table.
    unsafe { std::alloc::dealloc(ch as *mut u8, layout) };
}

/// Drops one reference; the last one destroys the channel by a message to its thread.
pub fn put(ch: *mut IoChannel) {
    let c = chan(ch);
    if current() != c.thread {
        crate::log::error(format_args!("spdk_put_io_channel: channel released on a thread other than its own\n"));
        return;
    }
    if c.refs == 0 {
        crate::log::error(format_args!("spdk_put_io_channel: channel released more often than taken\n"));
        return;
    }
    c.refs -= 1;
    if c.refs == 0 {
        c.destroy_refs += 1;
        // SAFETY: the channel's thread is the live current thread.
        if unsafe { (*c.thread).send_msg(put_deferred, ch.cast()) }.is_err() {
            c.destroy_refs -= 1;
            crate::log::error(format_args!("spdk_put_io_channel: could not queue the release\n"));
        }
    }
}

/// State of one `spdk_for_each_channel` walk (C's `struct spdk_io_channel_iter`).
pub struct ChannelIter {
    io_device: usize,
    dev: *mut IoDevice,
    ctx: *mut c_void,
    f: ChannelMsg,
    cpl: Option<ChannelCpl>,
    status: c_int,
    orig_thread: u64,
    ch: *mut IoChannel,
    thread_ids: Vec<u64>,
    pos: usize,
}

impl ChannelIter {
    pub fn io_device(&self) -> *mut c_void {
        self.io_device as *mut c_void
    }
    pub fn channel(&self) -> *mut IoChannel {
        self.ch
    }
    pub fn ctx(&self) -> *mut c_void {
        self.ctx
    }
}

extern "C" fn iter_call(arg: *mut c_void) {
    let i = arg as *mut ChannelIter;
    // SAFETY: the iterator is owned by exactly one in-flight message at a time.
    let it = unsafe { &mut *i };
    let tid = thread_id(current());
    let ch = with_reg(|r| r.channels.get(&(tid, it.dev as usize)).copied());
    match ch {
        Some(ch) if chan(ch).refs > 0 => {
            it.ch = ch;
            (it.f)(i);
        }
        // The channel went away in the meantime: nothing to visit here.
        _ => continue_iter(i, 0),
    }
}

extern "C" fn iter_done(arg: *mut c_void) {
    // SAFETY: the last message of the walk owns the iterator.
    let it = unsafe { Box::from_raw(arg as *mut ChannelIter) };
    let mut it = it;
    it.ch = std::ptr::null_mut();
    if let Some(cpl) = it.cpl {
        cpl(&mut *it as *mut ChannelIter, it.status);
    }
    let d = it.dev;
    with_reg(|_| {
        dev(d).for_each_count -= 1;
        maybe_finish(d);
    });
}

fn advance(i: *mut ChannelIter) {
    // SAFETY: as in iter_call.
    let it = unsafe { &mut *i };
    while it.status == 0 && it.pos < it.thread_ids.len() {
        let tid = it.thread_ids[it.pos];
        let has = with_reg(|r| r.channels.contains_key(&(tid, it.dev as usize)));
        if has && send_to_id(tid, iter_call as MsgFn, i.cast()).is_ok() {
            return;
        }
        it.pos += 1;
    }
    if send_to_id(it.orig_thread, iter_done as MsgFn, i.cast()).is_err() {
        crate::log::error(format_args!("spdk_for_each_channel: the calling thread is gone; completion dropped\n"));
        iter_done(i.cast());
    }
}

/// Calls `f` on every thread holding a channel of `io_device`, one after the other.
pub fn for_each(io_device: *mut c_void, f: ChannelMsg, ctx: *mut c_void, cpl: Option<ChannelCpl>) -> Result<(), ChannelError> {
    let t = current();
    if t.is_null() {
        return Err(ChannelError::NoThread);
    }
    let d = with_reg(|r| {
        let &d = r.devices.get(&(io_device as usize)).ok_or(ChannelError::NotRegistered)?;
        dev(d).for_each_count += 1;
        Ok(d)
    })?;
    let i = Box::into_raw(Box::new(ChannelIter {
        io_device: io_device as usize,
        dev: d,
        ctx,
        f,
        cpl,
        status: 0,
        orig_thread: thread_id(t),
        ch: std::ptr::null_mut(),
        thread_ids: super::ids(),
        pos: 0,
    }));
    advance(i);
    Ok(())
}

/// Called by the visitor when done with one channel; a non-zero status ends the walk.
pub fn continue_iter(i: *mut ChannelIter, status: c_int) {
    // SAFETY: the caller got `i` from the walk and hands it back exactly once.
    let it = unsafe { &mut *i };
    it.status = status;
    it.ch = std::ptr::null_mut();
    it.pos += 1;
    advance(i);
}

/// (device name, refs) of the channels on thread `tid`.
pub fn channels_of_thread(tid: u64) -> Vec<(String, u32)> {
    with_reg(|r| {
        r.channels
            .iter()
            .filter(|((t, _), _)| *t == tid)
            .map(|(_, &ch)| (dev(chan(ch).dev).name.to_string_lossy().into_owned(), chan(ch).refs))
            .collect()
    })
}
