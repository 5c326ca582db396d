//! Latency histograms of bdevs (`spdk_bdev_histogram_enable_ext`,
//! `spdk_bdev_histogram_get`, `spdk_bdev_channel_get_histogram`, and the
//! `bdev_enable_histogram` / `bdev_get_histogram` methods).
//!
//! Each channel of a bdev with histograms enabled owns one histogram,
//! allocated on its thread when enabled (or when the channel is created)
//! and tallied at completion with the I/O's latency in ticks: no lock and no
//! allocation on the I/O path. Reading walks the channels and merges.

use super::io::BdevChannel;
use super::{is_registered, name_of, BdevError};
use crate::capi::bdev_types::spdk_bdev;
use crate::thread::io_channel as ioch;
use crate::util::histogram::{spdk_histogram_data, Histogram, SPDK_HISTOGRAM_GRANULARITY_DEFAULT};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::ffi::{c_int, c_void};

/// What to track (`struct spdk_bdev_enable_histogram_opts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opts {
    /// `enum spdk_bdev_io_type` to count, 0 for all.
    pub io_type: u8,
    pub granularity: u32,
    pub min_nsec: u64,
    pub max_nsec: u64,
}

impl Default for Opts {
    fn default() -> Self {
        Opts { io_type: 0, granularity: SPDK_HISTOGRAM_GRANULARITY_DEFAULT, min_nsec: 0, max_nsec: u64::MAX }
    }
}

impl Opts {
    /// The tick bounds [min, max) of the histogram.
    fn tick_range(&self) -> (u64, u64) {
        let hz = crate::env::cpu::TICKS_HZ as u128;
        let conv = |ns: u64| u64::try_from(ns as u128 * hz / 1_000_000_000).unwrap_or(u64::MAX);
        (conv(self.min_nsec), conv(self.max_nsec))
    }

    fn new_histogram(&self) -> Option<ChannelHistogram> {
        let (lo, hi) = self.tick_range();
        Histogram::new(self.granularity, lo, hi).map(|h| ChannelHistogram { opts: *self, h })
    }
}

/// A channel's histogram and what it was made for.
pub struct ChannelHistogram {
    opts: Opts,
    h: Box<Histogram>,
}

/// Per bdev: the settings while enabled, whether a change is under way,
/// and the counts of channels destroyed meanwhile.
#[derive(Default)]
struct State {
    enabled: Option<Opts>,
    in_progress: bool,
    retired: Option<ChannelHistogram>,
}

static STATES: Mutex<BTreeMap<usize, State>> = Mutex::new(BTreeMap::new());

/// The bdev's settings if histograms are enabled.
pub fn settings(b: *mut spdk_bdev) -> Option<Opts> {
    STATES.lock().get(&(b as usize)).and_then(|s| s.enabled)
}

/// The histogram of a channel being created (None when not enabled).
pub(crate) fn channel_new(b: *mut spdk_bdev) -> Option<ChannelHistogram> {
    settings(b).and_then(|o| o.new_histogram())
}

/// Counts one completed I/O of type `io_type` that took `ticks`.
#[inline]
pub(crate) fn tally(c: &mut BdevChannel, io_type: u8, ticks: u64) {
    if let Some(ch) = c.histogram.as_mut() {
        if ch.opts.io_type == 0 || ch.opts.io_type == io_type {
            ch.h.data_mut().tally(ticks);
        }
    }
}

/// Keeps the counts of a channel being destroyed (read back with the live ones).
pub(crate) fn retire(b: *mut spdk_bdev, h: Option<ChannelHistogram>) {
    let Some(h) = h else { return };
    let mut g = STATES.lock();
    let Some(s) = g.get_mut(&(b as usize)) else { return };
    if s.enabled != Some(h.opts) {
        return;
    }
    match s.retired.as_mut() {
        Some(r) if r.opts == h.opts => {
            let _ = r.h.data_mut().merge(h.h.data());
        }
        _ => s.retired = Some(h),
    }
}

/// Forgets a bdev that is gone.
pub(crate) fn release(b: *mut spdk_bdev) {
    STATES.lock().remove(&(b as usize));
}

type Done = Box<dyn FnOnce(i32) + Send>;

struct Change {
    bdev: usize,
    opts: Option<Opts>,
    done: Option<Done>,
}

extern "C" fn change_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator whose context is our Change.
    let (ch, st) = unsafe { ((*i).channel(), &*((*i).ctx() as *const Change)) };
    let c = super::io::chan(ch.cast());
    let mut status = 0;
    match st.opts {
        Some(o) => {
            // Kept (with its counts) when re-enabled alike; remade for new settings.
            if c.histogram.as_ref().map_or(true, |h| h.opts != o) {
                c.histogram = o.new_histogram();
                if c.histogram.is_none() {
                    status = -libc::ENOMEM;
                }
            }
        }
        None => c.histogram = None,
    }
    ioch::continue_iter(i, status);
}

extern "C" fn change_done(i: *mut ioch::ChannelIter, status: c_int) {
    // SAFETY: the context leaked by `enable`; the walk is over.
    let mut st = unsafe { Box::from_raw((*i).ctx() as *mut Change) };
    if let Some(s) = STATES.lock().get_mut(&st.bdev) {
        s.in_progress = false;
        if status != 0 {
            // Not every channel could count: histograms stay off.
            s.enabled = None;
        }
    }
    if status != 0 && st.opts.is_some() {
        // Free the histograms the walk did allocate.
        let off = Box::into_raw(Box::new(Change { bdev: st.bdev, opts: None, done: st.done.take() }));
        if ioch::for_each(st.bdev as *mut c_void, change_visit, off.cast(), Some(disable_after_failure)).is_err() {
            // SAFETY: not started: still ours.
            let mut off = unsafe { Box::from_raw(off) };
            if let Some(d) = off.done.take() {
                d(status);
            }
        }
        return;
    }
    if let Some(d) = st.done.take() {
        d(status);
    }
}

extern "C" fn disable_after_failure(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the context leaked by change_done; the walk is over.
    let mut st = unsafe { Box::from_raw((*i).ctx() as *mut Change) };
    if let Some(d) = st.done.take() {
        d(-libc::ENOMEM);
    }
}

/// Turns histograms of `b` on (with `opts`) or off; `done` runs on the
/// calling thread once every channel changed. `-EAGAIN` while another
/// change is under way.
pub fn enable(b: *mut spdk_bdev, opts: Option<Opts>, done: Done) -> Result<(), BdevError> {
    if !is_registered(b) {
        return Err(BdevError::NotFound(name_of(b)));
    }
    if let Some(o) = opts {
        if o.new_histogram().is_none() {
            return Err(BdevError::Invalid(format!(
                "histogram of granularity {} over [{}, {}) ns cannot be made",
                o.granularity, o.min_nsec, o.max_nsec
            )));
        }
    }
    {
        let mut g = STATES.lock();
        let s = g.entry(b as usize).or_default();
        if s.in_progress {
            return Err(BdevError::Busy(format!("bdev '{}': a histogram change is in progress", name_of(b))));
        }
        s.in_progress = true;
        if s.enabled != opts {
            s.retired = None;
        }
        s.enabled = opts;
    }
    let st = Box::into_raw(Box::new(Change { bdev: b as usize, opts, done: Some(done) }));
    if let Err(e) = ioch::for_each(b.cast(), change_visit, st.cast(), Some(change_done)) {
        if let Some(s) = STATES.lock().get_mut(&(b as usize)) {
            s.in_progress = false;
            s.enabled = None;
        }
        // SAFETY: not started: still ours.
        drop(unsafe { Box::from_raw(st) });
        return Err(BdevError::Invalid(format!("{e:?}")));
    }
    Ok(())
}

struct Gather {
    into: usize,
    done: Option<Box<dyn FnOnce(i32) + Send>>,
}

extern "C" fn gather_visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator whose context is our Gather.
    let (ch, st) = unsafe { ((*i).channel(), &*((*i).ctx() as *const Gather)) };
    let c = super::io::chan(ch.cast());
    let status = match c.histogram.as_ref() {
        None => -libc::EFAULT,
        // SAFETY: the caller's histogram, kept alive until `done` runs.
        Some(h) => unsafe { &mut *(st.into as *mut spdk_histogram_data) }.merge(h.h.data()).err().unwrap_or(0),
    };
    ioch::continue_iter(i, status);
}

extern "C" fn gather_done(i: *mut ioch::ChannelIter, status: c_int) {
    // SAFETY: the context leaked by `get`; the walk is over.
    let mut st = unsafe { Box::from_raw((*i).ctx() as *mut Gather) };
    if let Some(d) = st.done.take() {
        d(status);
    }
}

/// Adds the histograms of every channel of `b` into `into` (which must have
/// the shape the bdev's histograms have, else `-EINVAL`); `done(status)`
/// runs on the calling thread. `-EFAULT` when histograms are off.
#[allow(clippy::not_unsafe_ptr_arg_deref)] // `into` is the caller's live histogram (checked non-null), as the C contract says
pub fn get(b: *mut spdk_bdev, into: *mut spdk_histogram_data, done: Box<dyn FnOnce(i32) + Send>) -> Result<(), BdevError> {
    if !is_registered(b) {
        return Err(BdevError::NotFound(name_of(b)));
    }
    if into.is_null() && settings(b).is_some() {
        return Err(BdevError::Invalid("no histogram to add into".into()));
    }
    let retired = {
        let g = STATES.lock();
        match g.get(&(b as usize)) {
            Some(State { enabled: Some(_), retired, .. }) => retired.as_ref().map(|r| {
                // SAFETY: the caller's histogram, alive until `done` runs.
                unsafe { &mut *into }.merge(r.h.data())
            }),
            _ => {
                drop(g);
                done(-libc::EFAULT);
                return Ok(());
            }
        }
    };
    if let Some(Err(e)) = retired {
        done(e);
        return Ok(());
    }
    let st = Box::into_raw(Box::new(Gather { into: into as usize, done: Some(done) }));
    if let Err(e) = ioch::for_each(b.cast(), gather_visit, st.cast(), Some(gather_done)) {
        // SAFETY: not started: still ours.
        drop(unsafe { Box::from_raw(st) });
        return Err(BdevError::Invalid(format!("{e:?}")));
    }
    Ok(())
}

/// A fresh, empty histogram with the shape of `b`'s (None when off).
pub fn alloc_like(b: *mut spdk_bdev) -> Option<Box<Histogram>> {
    settings(b).and_then(|o| o.new_histogram()).map(|c| c.h)
}

/// The histogram of one channel of a bdev (`spdk_bdev_channel_get_histogram`).
pub fn of_channel(ch: *mut crate::capi::thread::spdk_io_channel) -> Option<*mut spdk_histogram_data> {
    super::io::chan(ch).histogram.as_mut().map(|h| h.h.as_ptr())
}
