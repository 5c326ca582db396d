//! Tests of histograms, examine, part bdevs and error injection modes,
//! driven by hand on one spdk_thread (helpers from `tests.rs`).

use super::io::{self};
use super::tests::{poll_until, rq, Ctx};
use super::*;
use crate::thread::{self, Thread};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

fn start(name: &str) -> *mut Thread {
    let t = thread::create(Some(name), None).unwrap();
    thread::set_current(t);
    t
}

fn stop(t: *mut Thread) {
    thread::set_current(std::ptr::null_mut());
    // SAFETY: the test's thread.
    unsafe { (*t).exit() };
    poll_until(t, || unsafe { (*t).is_exited() });
    thread::destroy(t);
}

/// Runs an asynchronous operation that reports a status, and waits for it.
fn status_of(t: *mut Thread, f: impl FnOnce(Box<dyn FnOnce(i32) + Send>)) -> i32 {
    let st = Arc::new(AtomicI32::new(i32::MIN));
    let s2 = st.clone();
    f(Box::new(move |s| s2.store(s, Ordering::SeqCst)));
    poll_until(t, || st.load(Ordering::SeqCst) != i32::MIN);
    st.load(Ordering::SeqCst)
}

#[test]
fn histograms_count_completions_per_channel() {
    use spdk_bdev_io_type::*;
    let t = start("hist_test");
    let b = malloc::create("hist0", 64, 512, None).unwrap();
    let d = open("hist0", true, None, std::ptr::null_mut()).unwrap();
    let ch: *mut crate::capi::thread::spdk_io_channel = ioch::get(b.cast()).unwrap().cast();
    let buf = crate::env::mem::alloc(512, 4096).unwrap();
    let mut c = Ctx { done: 0, ok: false };
    let mut n = 0;
    let mut run = |ty, c: &mut Ctx| {
        io::submit(d, ch, rq(ty, buf, 3, 1, c)).unwrap();
        n += 1;
        poll_until(t, || c.done == n);
        assert!(c.ok);
    };
    let get_total = |b| {
        let mut h = histogram::alloc_like(b).expect("enabled");
        let p = h.as_ptr();
        let st = status_of(t, |done| histogram::get(b, p, done).unwrap());
        (st, h.data().total())
    };
    // Off: nothing to read.
    assert_eq!(status_of(t, |done| histogram::get(b, std::ptr::null_mut(), done).unwrap()), -libc::EFAULT);
    run(SPDK_BDEV_IO_TYPE_WRITE, &mut c);
    assert_eq!(status_of(t, |done| histogram::enable(b, Some(histogram::Opts::default()), done).unwrap()), 0);
    for _ in 0..3 {
        run(SPDK_BDEV_IO_TYPE_WRITE, &mut c);
    }
    run(SPDK_BDEV_IO_TYPE_READ, &mut c);
    run(SPDK_BDEV_IO_TYPE_READ, &mut c);
    assert_eq!(get_total(b), (0, 5), "only the I/O after enabling counts");
    // Enabled again alike: the counts stay.
    assert_eq!(status_of(t, |done| histogram::enable(b, Some(histogram::Opts::default()), done).unwrap()), 0);
    assert_eq!(get_total(b), (0, 5));
    // Reads only, with another granularity: new, empty histograms.
    let reads = histogram::Opts { io_type: SPDK_BDEV_IO_TYPE_READ as u8, granularity: 5, ..Default::default() };
    assert_eq!(status_of(t, |done| histogram::enable(b, Some(reads), done).unwrap()), 0);
    run(SPDK_BDEV_IO_TYPE_WRITE, &mut c);
    run(SPDK_BDEV_IO_TYPE_READ, &mut c);
    run(SPDK_BDEV_IO_TYPE_READ, &mut c);
    assert_eq!(get_total(b), (0, 2));
    // The buckets hold the latencies the channel statistics saw.
    let (lo, hi) = (io::chan(ch).stat.min_latency[0], io::chan(ch).stat.max_latency[0]);
    let hp = histogram::of_channel(ch).expect("channel histogram");
    // SAFETY: the channel's histogram, alive while enabled.
    let h = unsafe { &*hp };
    assert_eq!(h.granularity, 5);
    let mut counted = 0;
    h.iterate(|start, end, count, _, _| {
        if count > 0 {
            counted += count;
            assert!(start <= hi && (end == 0 || end > lo.saturating_sub(1)), "bucket [{start}, {end}) outside [{lo}, {hi}]");
        }
    });
    assert_eq!(counted, 2);
    // A histogram of another shape does not merge.
    let mut other = crate::util::histogram::Histogram::new(7, 0, u64::MAX).unwrap();
    let op = other.as_ptr();
    assert_eq!(status_of(t, |done| histogram::get(b, op, done).unwrap()), -libc::EINVAL);
    // A change in progress refuses another.
    histogram::enable(b, None, Box::new(|_| {})).unwrap();
    assert!(matches!(histogram::enable(b, Some(reads), Box::new(|_| {})), Err(BdevError::Busy(_))));
    poll_until(t, || histogram::settings(b).is_none() && histogram::of_channel(ch).is_none());
    assert!(histogram::enable(b, Some(histogram::Opts { granularity: 40, ..Default::default() }), Box::new(|_| {})).is_err());
    assert!(histogram::enable(b, Some(histogram::Opts { min_nsec: 10, max_nsec: 10, ..Default::default() }), Box::new(|_| {})).is_err());
    ioch::put(ch.cast());
    close(d);
    crate::env::mem::free(buf);
    malloc::delete("hist0", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || get_by_name("hist0").is_none());
    stop(t);
}
