//! I/O timeouts (SPDK's `spdk_bdev_set_timeout`): a descriptor asks to be
//! told about its I/Os still outstanding after a time. While any
//! descriptor has a timeout set, channels keep their submitted top-level
//! I/Os on an intrusive list (`internal.ch_link`); a poller on the
//! descriptor's thread walks every channel of the bdev (on each channel's
//! own thread) and calls the callback once for each I/O of that descriptor
//! older than the timeout. Without timeouts, the I/O path only reads one
//! counter.

use super::io::BdevChannel;
use super::Desc;
use crate::capi::bdev_types::*;
use crate::thread::io_channel as ioch;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Descriptors with a timeout set, over all bdevs (0: nothing is tracked).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Whether new I/Os must be tracked.
#[inline]
pub fn tracking() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

pub type TimeoutCb = spdk_bdev_io_timeout_cb;

/// How often outstanding I/O is checked against the timeout.
const CHECK_PERIOD_US: u64 = 100_000;

struct State {
    desc: usize,
    bdev: usize,
    timeout_ns: u64,
    cb: TimeoutCb,
    cb_arg: usize,
    /// A walk over the channels is under way (one at a time).
    walking: AtomicBool,
}

/// A descriptor's timeout: its state and its poller.
pub(crate) struct DescTimeout {
    /// Kept alive for the poller, whose argument points into it.
    _state: Arc<State>,
    poller: *mut crate::thread::poller::Poller,
}

impl Drop for DescTimeout {
    fn drop(&mut self) {
        crate::thread::poller::unregister(self.poller);
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Links a submitted top-level I/O into its channel's list.
pub(crate) fn track(c: &mut BdevChannel, io: *mut spdk_bdev_io) {
    // SAFETY: io is prepared on this channel's thread; the list is this channel's.
    unsafe {
        let link = &mut (*io).internal.ch_link;
        link.tqe_next = c.submitted;
        link.tqe_prev = &mut c.submitted;
        if !c.submitted.is_null() {
            (*c.submitted).internal.ch_link.tqe_prev = &mut link.tqe_next;
        }
        c.submitted = io;
    }
}

/// Unlinks a completed tracked I/O.
pub(crate) fn untrack(io: *mut spdk_bdev_io) {
    // SAFETY: a tracked I/O: its links point into its channel's list.
    unsafe {
        let link = &mut (*io).internal.ch_link;
        *link.tqe_prev = link.tqe_next;
        if !link.tqe_next.is_null() {
            (*link.tqe_next).internal.ch_link.tqe_prev = link.tqe_prev;
        }
        link.tqe_next = std::ptr::null_mut();
        link.tqe_prev = std::ptr::null_mut();
    }
}

extern "C" fn visit(it: *mut ioch::ChannelIter) {
    // SAFETY: the iterator of a live walk; its context is an Arc<State> we leaked.
    let (ch, st) = unsafe { ((*it).channel(), &*((*it).ctx() as *const State)) };
    let c: &mut BdevChannel = super::io::chan(ch.cast());
    let now = crate::env::cpu::ticks();
    let mut expired = Vec::new();
    let mut p = c.submitted;
    while !p.is_null() {
        // SAFETY: tracked I/Os are live until unlinked at completion.
        let int = unsafe { &mut (*p).internal };
        if int.desc as usize == st.desc && int.reserved[0] & super::io::TIMEOUT_REPORTED == 0 && now.saturating_sub(int.submit_tsc) >= st.timeout_ns {
            int.reserved[0] |= super::io::TIMEOUT_REPORTED;
            expired.push(p);
        }
        p = int.ch_link.tqe_next;
    }
    for io in expired {
        if let Some(cb) = st.cb {
            // SAFETY: the descriptor owner's callback with an I/O still outstanding.
            unsafe { cb(st.cb_arg as *mut c_void, io) };
        }
    }
    ioch::continue_iter(it, 0);
}

extern "C" fn walk_done(it: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the Arc<State> leaked for this walk, given back once.
    let st = unsafe { Arc::from_raw((*it).ctx() as *const State) };
    st.walking.store(false, Ordering::Release);
}

extern "C" fn check(arg: *mut c_void) -> c_int {
    // SAFETY: the State of a live DescTimeout (its poller runs only while it lives).
    let st = unsafe { &*(arg as *const State) };
    if st.walking.swap(true, Ordering::AcqRel) {
        return 0;
    }
    // The walk holds its own reference, so closing the descriptor mid-walk is safe.
    let arc = {
        // SAFETY: arg came from Arc::as_ptr of a live Arc: take a new reference.
        unsafe { Arc::increment_strong_count(arg as *const State) };
        arg as *const State
    };
    if ioch::for_each(st.bdev as *mut c_void, visit, arc as *mut c_void, Some(walk_done)).is_err() {
        // SAFETY: the walk did not start: drop its reference.
        drop(unsafe { Arc::from_raw(arc) });
        st.walking.store(false, Ordering::Release);
    }
    1
}

/// Sets (or with 0 seconds, clears) the timeout of `desc`; must run on the
/// descriptor's thread.
pub fn set(desc: *mut Desc, timeout_sec: u64, cb: TimeoutCb, cb_arg: *mut c_void) -> Result<(), super::BdevError> {
    // SAFETY: an open descriptor used by its owner.
    let d = unsafe { &mut *desc };
    d.timeout = None;
    if timeout_sec == 0 {
        return Ok(());
    }
    if cb.is_none() {
        return Err(super::BdevError::Invalid("a timeout needs a callback".into()));
    }
    let state = Arc::new(State {
        desc: desc as usize,
        bdev: d.bdev as usize,
        timeout_ns: timeout_sec.saturating_mul(crate::env::cpu::TICKS_HZ),
        cb,
        cb_arg: cb_arg as usize,
        walking: AtomicBool::new(false),
    });
    let arg = Arc::as_ptr(&state) as *mut c_void;
    let poller = crate::thread::poller::register(check, arg, CHECK_PERIOD_US, Some("bdev_io_timeout")).ok_or(super::BdevError::NoMemory)?;
    ACTIVE.fetch_add(1, Ordering::Relaxed);
    d.timeout = Some(DescTimeout { _state: state, poller });
    Ok(())
}
