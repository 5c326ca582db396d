//! Rebuild of a raid1 member: the replacement is filled window by window
//! from an operational member by a poller on the raid's thread.
//!
//! Writes keep going to the replacement during the rebuild. To keep the copy
//! of a window from overwriting a newer write there, each window is locked
//! on every raid channel first: writes into it wait (`held`) and those in
//! flight are waited for; the window is then read from a source member,
//! written to the replacement, and unlocked, which lets the held writes go.

use super::*;
use crate::env::mem;
use crate::thread::poller::{self, Poller};
use std::sync::atomic::AtomicU64;

/// The size of a window in KiB (`bdev_raid_set_options`'s `process_window_size_kb`).
static WINDOW_KB: AtomicU64 = AtomicU64::new(1024);

/// Sets the window size for rebuilds started from now on.
pub fn set_window_kb(kb: u64) -> Result<(), BdevError> {
    if kb == 0 || kb > 1 << 20 {
        return Err(BdevError::Invalid(format!("process_window_size_kb {kb} is not in 1..=1048576")));
    }
    WINDOW_KB.store(kb, Ordering::Release);
    Ok(())
}

pub fn window_kb() -> u64 {
    WINDOW_KB.load(Ordering::Acquire)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Locking,
    NeedRead,
    Reading,
    NeedWrite,
    Writing,
    Unlocking,
}

pub(super) struct Rebuild {
    raid: usize,
    target: usize,
    source: usize,
    /// A channel of the raid on its thread: the rebuild's member I/O goes through it.
    ch: *mut ioch::IoChannel,
    buf: *mut u8,
    window: u64,
    /// Blocks done (the start of the current window).
    offset: u64,
    len: u64,
    phase: Phase,
    poller: *mut Poller,
    abort: bool,
    failed: bool,
}

fn rb_ref<'a>(p: usize) -> &'a mut Rebuild {
    // SAFETY: a rebuild lives until `finish`, and is used on the raid's thread only.
    unsafe { &mut *(p as *mut Rebuild) }
}

/// Starts rebuilding slot `target` of raid `r` (on the raid's thread).
pub(super) fn start(r: usize, target: usize) -> Result<(), BdevError> {
    let raid = raid_ref(r);
    let bl = raid.bdev.blocklen as u64;
    let window = (window_kb() * 1024 / bl).clamp(1, raid.bdev.blockcnt);
    let ch = ioch::get(raid.io_dev.cast()).ok_or(BdevError::NoMemory)?;
    let Some(buf) = mem::alloc((window * bl) as usize, 4096) else {
        ioch::put(ch);
        return Err(BdevError::NoMemory);
    };
    let rb = Box::into_raw(Box::new(Rebuild {
        raid: r,
        target,
        source: 0,
        ch,
        buf,
        window,
        offset: 0,
        len: 0,
        phase: Phase::Idle,
        poller: std::ptr::null_mut(),
        abort: false,
        failed: false,
    }));
    match poller::register(poll, rb.cast(), 0, Some("raid_rebuild")) {
        Some(p) => {
            // SAFETY: just made, ours.
            unsafe { (*rb).poller = p };
            raid.meta.lock().rebuild = rb as usize;
            Ok(())
        }
        None => {
            ioch::put(ch);
            mem::free(buf);
            // SAFETY: never shared.
            drop(unsafe { Box::from_raw(rb) });
            Err(BdevError::NoMemory)
        }
    }
}

/// Asks the rebuild `p` (if any) to stop at its next step.
pub(super) fn abort(p: usize) {
    if p != 0 {
        rb_ref(p).abort = true;
    }
}

pub(super) fn target_of(p: usize) -> Option<usize> {
    (p != 0).then(|| rb_ref(p).target)
}

/// (target slot, blocks done) of the rebuild `p`, if any.
pub(super) fn progress(p: usize) -> Option<(usize, u64)> {
    (p != 0).then(|| (rb_ref(p).target, rb_ref(p).offset))
}

extern "C" fn poll(arg: *mut c_void) -> c_int {
    let rb = rb_ref(arg as usize);
    let raid = raid_ref(rb.raid);
    match rb.phase {
        Phase::Idle => {
            if rb.abort || rb.failed || raid.state_of(rb.target) != REBUILDING {
                finish(rb, false);
            } else if rb.offset >= raid.bdev.blockcnt {
                finish(rb, true);
            } else {
                rb.len = rb.window.min(raid.bdev.blockcnt - rb.offset);
                rb.phase = Phase::Locking;
                if ioch::for_each(raid.io_dev.cast(), lock_visit, arg, Some(lock_done)).is_err() {
                    rb.failed = true;
                    rb.phase = Phase::Idle;
                }
            }
            1
        }
        Phase::NeedRead => {
            submit_read(rb);
            1
        }
        Phase::NeedWrite => {
            submit_write(rb);
            1
        }
        _ => 0,
    }
}

extern "C" fn lock_visit(i: *mut ChannelIter) {
    // SAFETY: the walk's live iterator; its context is the rebuild.
    let (ch, rb) = unsafe { ((*i).channel(), rb_ref((*i).ctx() as usize)) };
    let rc = rchan(ch);
    let w = (rb.offset, rb.offset + rb.len);
    rc.lock = Some(w);
    if rc.inflight.iter().any(|&io| overlaps(io, w)) {
        // Goes on when the last of them finishes (see `finish` in mod.rs).
        rc.lock_wait = i;
        return;
    }
    ioch::continue_iter(i, 0);
}

extern "C" fn lock_done(i: *mut ChannelIter, _status: c_int) {
    // SAFETY: the walk is over; its context is the rebuild.
    let rb = rb_ref(unsafe { (*i).ctx() } as usize);
    submit_read(rb);
}

/// Sends the window's read or write to `slot`; on a shortage the poller
/// tries again (`retry`); any other refusal ends the rebuild.
fn send(rb: &mut Rebuild, slot: usize, t: spdk_bdev_io_type, cb: spdk_bdev_io_completion_cb, busy: Phase, retry: Phase) {
    match member_rw(rb, slot, t, cb) {
        Ok(()) => rb.phase = busy,
        Err(SubmitError::NoMemory) => rb.phase = retry,
        Err(_) => {
            rb.failed = true;
            unlock(rb);
        }
    }
}

fn member_rw(rb: &mut Rebuild, slot: usize, t: spdk_bdev_io_type, cb: spdk_bdev_io_completion_cb) -> Result<(), SubmitError> {
    let rc = rchan(rb.ch);
    let req = Request {
        io_type: t,
        iovs: std::ptr::null_mut(),
        iovcnt: 0,
        buf: rb.buf.cast(),
        md_buf: std::ptr::null_mut(),
        offset_blocks: rb.offset,
        num_blocks: rb.len,
        cb,
        cb_arg: rb as *mut Rebuild as *mut c_void,
    };
    io::submit(rc.base_desc[slot], rc.base_ch[slot], req)?;
    rc.outstanding[slot] += 1;
    Ok(())
}

fn submit_read(rb: &mut Rebuild) {
    let raid = raid_ref(rb.raid);
    let rc = rchan(rb.ch);
    let Some(src) = (0..raid.n()).find(|&s| raid.state_of(s) == OPERATIONAL && !rc.base_ch[s].is_null()) else {
        rb.failed = true;
        unlock(rb);
        return;
    };
    rb.source = src;
    send(rb, src, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ, Some(read_done), Phase::Reading, Phase::NeedRead);
}

extern "C" fn read_done(mio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    io::free_io(mio);
    let rb = rb_ref(arg as usize);
    let raid = raid_ref(rb.raid);
    slot_io_done(rchan(rb.ch), rb.source);
    if success {
        submit_write(rb);
    } else {
        // As for any raid1 read: the member is failed, another one is tried.
        fail_member(raid, rb.source);
        submit_read(rb);
    }
}

fn submit_write(rb: &mut Rebuild) {
    let raid = raid_ref(rb.raid);
    let t = rb.target;
    if raid.state_of(t) != REBUILDING || rchan(rb.ch).base_ch[t].is_null() {
        rb.failed = true;
        unlock(rb);
        return;
    }
    send(rb, t, spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE, Some(write_done), Phase::Writing, Phase::NeedWrite);
}

extern "C" fn write_done(mio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    io::free_io(mio);
    let rb = rb_ref(arg as usize);
    slot_io_done(rchan(rb.ch), rb.target);
    if success {
        rb.offset += rb.len;
    } else {
        fail_member(raid_ref(rb.raid), rb.target);
        rb.failed = true;
    }
    unlock(rb);
}

fn unlock(rb: &mut Rebuild) {
    rb.phase = Phase::Unlocking;
    let io_dev = raid_ref(rb.raid).io_dev;
    let arg = rb as *mut Rebuild as *mut c_void;
    if ioch::for_each(io_dev.cast(), unlock_visit, arg, Some(unlock_done)).is_err() {
        rb.phase = Phase::Idle;
    }
}

extern "C" fn unlock_visit(i: *mut ChannelIter) {
    // SAFETY: the walk's live iterator.
    let rc = rchan(unsafe { (*i).channel() });
    rc.lock = None;
    let held = std::mem::take(&mut rc.held);
    for io in held {
        admit(rc, io);
    }
    ioch::continue_iter(i, 0);
}

extern "C" fn unlock_done(i: *mut ChannelIter, _status: c_int) {
    // SAFETY: the walk is over; its context is the rebuild.
    rb_ref(unsafe { (*i).ctx() } as usize).phase = Phase::Idle;
}

/// Ends the rebuild (from its poller, with nothing in flight and no window locked).
fn finish(rb: &mut Rebuild, ok: bool) {
    let raid = raid_ref(rb.raid);
    let name = raid.name.to_string_lossy();
    poller::unregister(rb.poller);
    ioch::put(rb.ch);
    mem::free(rb.buf);
    if ok && raid.states[rb.target].compare_exchange(REBUILDING, OPERATIONAL, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        crate::log::notice(format_args!("raid bdev {name}: member {} rebuilt, {} blocks\n", rb.target, rb.offset));
    } else {
        fail_member(raid, rb.target);
        crate::log::warn(format_args!("raid bdev {name}: rebuild of member {} stopped after {} blocks\n", rb.target, rb.offset));
    }
    raid.meta.lock().rebuild = 0;
    // SAFETY: the Box leaked by `start`; nothing refers to it any more.
    drop(unsafe { Box::from_raw(rb as *mut Rebuild) });
}
