//! Tests of histograms, examine, part bdevs and error injection modes,
//! driven by hand on one spdk_thread (helpers from `tests.rs`).

use super::io::{self};
use super::tests::{poll_until, rq, Ctx};
use super::*;
use crate::thread::{self, Thread};
use std::sync::Arc;
use std::ffi::c_int;
use std::sync::atomic::{AtomicI32, Ordering};

pub(super) fn start(name: &str) -> *mut Thread {
    let t = thread::create(Some(name), None).unwrap();
    thread::set_current(t);
    t
}

pub(super) fn stop(t: *mut Thread) {
    thread::set_current(std::ptr::null_mut());
    // SAFETY: the test's thread.
    unsafe { (*t).exit() };
    // SAFETY: as above; destroyed only after this.
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
    let c = Ctx::new();
    let mut n = 0;
    let mut run = |ty, c: &Ctx| {
        io::submit(d, ch, rq(ty, buf, 3, 1, c)).unwrap();
        n += 1;
        poll_until(t, || c.done.get() == n);
        assert!(c.ok.get());
    };
    let get_total = |b| {
        let mut h = histogram::alloc_like(b).expect("enabled");
        let p = h.as_ptr();
        let st = status_of(t, |done| histogram::get(b, p, done).unwrap());
        (st, h.data().total())
    };
    // Off: nothing to read.
    assert_eq!(status_of(t, |done| histogram::get(b, std::ptr::null_mut(), done).unwrap()), -libc::EFAULT);
    run(SPDK_BDEV_IO_TYPE_WRITE, &c);
    assert_eq!(status_of(t, |done| histogram::enable(b, Some(histogram::Opts::default()), done).unwrap()), 0);
    for _ in 0..3 {
        run(SPDK_BDEV_IO_TYPE_WRITE, &c);
    }
    run(SPDK_BDEV_IO_TYPE_READ, &c);
    run(SPDK_BDEV_IO_TYPE_READ, &c);
    assert_eq!(get_total(b), (0, 5), "only the I/O after enabling counts");
    // Enabled again alike: the counts stay.
    assert_eq!(status_of(t, |done| histogram::enable(b, Some(histogram::Opts::default()), done).unwrap()), 0);
    assert_eq!(get_total(b), (0, 5));
    // Reads only, with another granularity: new, empty histograms.
    let reads = histogram::Opts { io_type: SPDK_BDEV_IO_TYPE_READ as u8, granularity: 5, ..Default::default() };
    assert_eq!(status_of(t, |done| histogram::enable(b, Some(reads), done).unwrap()), 0);
    run(SPDK_BDEV_IO_TYPE_WRITE, &c);
    run(SPDK_BDEV_IO_TYPE_READ, &c);
    run(SPDK_BDEV_IO_TYPE_READ, &c);
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

#[test]
fn error_injection_pending_corrupt_and_queue_depth() {
    use spdk_bdev_io_type::*;
    let t = start("ee_modes");
    let base = malloc::create("eem_base", 64, 512, None).unwrap();
    error::create("eem_base", None).unwrap();
    let ee = get_by_name("EE_eem_base").unwrap();
    let d = open("EE_eem_base", true, None, std::ptr::null_mut()).unwrap();
    let ch: *mut crate::capi::thread::spdk_io_channel = ioch::get(ee.cast()).unwrap().cast();
    let bd = open("eem_base", false, None, std::ptr::null_mut()).unwrap();
    let bch: *mut crate::capi::thread::spdk_io_channel = ioch::get(base.cast()).unwrap().cast();
    let buf = crate::env::mem::alloc(2 * 512, 4096).unwrap();
    let rbuf = crate::env::mem::alloc(2 * 512, 4096).unwrap();
    // SAFETY: two live 1 KiB blocks.
    let (data, back) = unsafe { (std::slice::from_raw_parts_mut(buf, 1024), std::slice::from_raw_parts_mut(rbuf, 1024)) };
    let pattern = |i: usize| (i * 7 + 1) as u8;
    let c = Ctx::new();
    let rc = Ctx::new();
    let base_read = |rc: &Ctx| {
        let n = rc.done.get() + 1;
        io::submit(bd, bch, rq(SPDK_BDEV_IO_TYPE_READ, rbuf, 8, 2, rc)).unwrap();
        poll_until(t, || rc.done.get() == n);
        assert!(rc.ok.get());
    };
    let inj = |target, kind, num| error::inject("EE_eem_base", target, error::Injection::new(kind, num)).unwrap();

    // corrupt_data on a write: the byte at corrupt_offset goes down XORed.
    data.iter_mut().enumerate().for_each(|(i, x)| *x = pattern(i));
    let mut cw = error::Injection::new(error::ErrorType::CorruptData, 1);
    (cw.corrupt_offset, cw.corrupt_value) = (600, 0xff);
    error::inject("EE_eem_base", error::Target::One(SPDK_BDEV_IO_TYPE_WRITE), cw).unwrap();
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 8, 2, &c)).unwrap();
    poll_until(t, || c.done.get() == 1);
    assert!(c.ok.get());
    base_read(&rc);
    assert!(back.iter().enumerate().all(|(i, &x)| x == if i == 600 { pattern(i) ^ 0xff } else { pattern(i) }));
    // Once only: the next write lands intact.
    data.iter_mut().enumerate().for_each(|(i, x)| *x = pattern(i));
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 8, 2, &c)).unwrap();
    poll_until(t, || c.done.get() == 2);
    base_read(&rc);
    assert!(back.iter().enumerate().all(|(i, &x)| x == pattern(i)));

    // corrupt_data on a read: the reader sees the byte XORed, the disk keeps it.
    let mut cr = error::Injection::new(error::ErrorType::CorruptData, 1);
    (cr.corrupt_offset, cr.corrupt_value) = (3, 0x0f);
    error::inject("EE_eem_base", error::Target::One(SPDK_BDEV_IO_TYPE_READ), cr).unwrap();
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 8, 2, &c)).unwrap();
    poll_until(t, || c.done.get() == 3);
    assert!(c.ok.get() && data[3] == pattern(3) ^ 0x0f && data[4] == pattern(4));
    assert!(error::inject("EE_eem_base", error::Target::All, error::Injection::new(error::ErrorType::CorruptData, 1)).is_err(), "value 0 refused");

    // pending: the write waits until resumed, then lands.
    data.fill(0x5a);
    inj(error::Target::One(SPDK_BDEV_IO_TYPE_WRITE), error::ErrorType::Pending, 1);
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 8, 2, &c)).unwrap();
    for _ in 0..1000 {
        // SAFETY: the test's live thread.
        unsafe { (*t).poll(0, 0) };
    }
    assert_eq!(c.done.get(), 3, "a pending I/O does not complete by itself");
    base_read(&rc);
    assert!(back.iter().enumerate().all(|(i, &x)| x == pattern(i)), "and did not reach the disk");
    error::resume_pending("EE_eem_base").unwrap();
    poll_until(t, || c.done.get() == 4);
    assert!(c.ok.get());
    base_read(&rc);
    assert!(back.iter().all(|&x| x == 0x5a));

    // pending, then a reset of the error bdev: the held read is aborted.
    inj(error::Target::One(SPDK_BDEV_IO_TYPE_READ), error::ErrorType::Pending, 1);
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 8, 2, &c)).unwrap();
    let reset = Ctx::new();
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_RESET, std::ptr::null_mut(), 0, 0, &reset)).unwrap();
    poll_until(t, || reset.done.get() == 1 && c.done.get() == 5);
    assert!(reset.ok.get() && !c.ok.get(), "reset succeeds, the held read fails (aborted)");

    // queue_depth 1: an I/O sent alone passes; the second of two in flight fails.
    inj(error::Target::Clear, error::ErrorType::Failure, 0);
    let mut qd = error::Injection::new(error::ErrorType::Failure, 1);
    qd.queue_depth = 1;
    error::inject("EE_eem_base", error::Target::One(SPDK_BDEV_IO_TYPE_WRITE), qd).unwrap();
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 8, 2, &c)).unwrap();
    poll_until(t, || c.done.get() == 6);
    assert!(c.ok.get(), "alone: below the queue depth");
    let c2 = Ctx::new();
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 8, 2, &c)).unwrap();
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 8, 2, &c2)).unwrap();
    poll_until(t, || c.done.get() == 7 && c2.done.get() == 1);
    assert!(c.ok.get() && !c2.ok.get());

    // clear disarms every type.
    inj(error::Target::All, error::ErrorType::Failure, 5);
    inj(error::Target::Clear, error::ErrorType::Failure, 0);
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 8, 2, &c)).unwrap();
    poll_until(t, || c.done.get() == 8);
    assert!(c.ok.get());

    ioch::put(ch.cast());
    close(d);
    ioch::put(bch.cast());
    close(bd);
    crate::env::mem::free(buf);
    crate::env::mem::free(rbuf);
    malloc::delete("eem_base", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || get_by_name("EE_eem_base").is_none() && get_by_name("eem_base").is_none());
    stop(t);
}

// ---- module life and examination ----

static LOG: parking_lot::Mutex<Vec<String>> = parking_lot::Mutex::new(Vec::new());
/// Bdevs whose examine_disk by EXM is still open.
static DEFERRED: parking_lot::Mutex<Vec<usize>> = parking_lot::Mutex::new(Vec::new());

fn log(s: String) {
    LOG.lock().push(s);
}

fn mine(b: *mut spdk_bdev) -> Option<String> {
    let n = name_of(b);
    n.starts_with("exm_").then_some(n)
}

fn test_module(name: &'static std::ffi::CStr) -> *mut spdk_bdev_module {
    // SAFETY: all-zero is valid for the module struct.
    let mut m: spdk_bdev_module = unsafe { std::mem::zeroed() };
    m.name = name.as_ptr();
    Box::into_raw(Box::new(m))
}

static EXM: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| {
    let m = test_module(c"exm");
    // SAFETY: just made, not shared yet.
    unsafe {
        (*m).examine_config = Some(exm_config);
        (*m).examine_disk = Some(exm_disk);
    }
    module_add(m);
    m as usize
});
static CLM: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| {
    let m = test_module(c"clm");
    // SAFETY: as above.
    unsafe {
        (*m).examine_config = Some(clm_config);
        (*m).examine_disk = Some(clm_disk);
    }
    module_add(m);
    m as usize
});

unsafe extern "C" fn exm_config(b: *mut spdk_bdev) {
    if let Some(n) = mine(b) {
        log(format!("exm config {n}"));
    }
    done_for(b, *EXM);
}

unsafe extern "C" fn exm_disk(b: *mut spdk_bdev) {
    match mine(b) {
        Some(n) => {
            log(format!("exm disk {n}"));
            DEFERRED.lock().push(b as usize);
        }
        None => done_for(b, *EXM),
    }
}

unsafe extern "C" fn clm_config(b: *mut spdk_bdev) {
    if let Some(n) = mine(b) {
        log(format!("clm config {n}"));
        if n.contains("claimed") {
            claim(b, *CLM as *mut spdk_bdev_module).unwrap();
        }
    }
    done_for(b, *CLM);
}

unsafe extern "C" fn clm_disk(b: *mut spdk_bdev) {
    if let Some(n) = mine(b) {
        log(format!("clm disk {n}"));
    }
    done_for(b, *CLM);
}

/// Ends the test module's examine action on `b`. For this test's own bdevs
/// it must succeed; bdevs of tests running at the same time in this process
/// may be examined while the module is being added (their action was not
/// counted for it), so their result is not this test's to check.
fn done_for(b: *mut spdk_bdev, m: usize) {
    let r = modules::action_done(m as *mut spdk_bdev_module);
    if mine(b).is_some() {
        r.unwrap();
    }
}

fn finish_deferred() {
    for _ in DEFERRED.lock().drain(..) {
        modules::action_done(*EXM as *mut spdk_bdev_module).unwrap();
    }
}

static ORDER: parking_lot::Mutex<Vec<&'static str>> = parking_lot::Mutex::new(Vec::new());
unsafe extern "C" fn a_init() -> c_int {
    ORDER.lock().push("a init");
    0
}
unsafe extern "C" fn b_init() -> c_int {
    ORDER.lock().push("b init");
    0
}
unsafe extern "C" fn a_complete() {
    ORDER.lock().push("a complete");
}
unsafe extern "C" fn b_complete() {
    ORDER.lock().push("b complete");
}
unsafe extern "C" fn a_fini_start() {
    ORDER.lock().push("a fini_start");
}
unsafe extern "C" fn a_fini() {
    ORDER.lock().push("a fini");
}
unsafe extern "C" fn b_fini() {
    ORDER.lock().push("b fini");
    // Finished before returning: allowed.
    modules::hook_done();
}

#[test]
fn modules_examine_init_and_fini_in_spdk_order() {
    let t = start("examine_test");
    let (exm, clm) = (*EXM, *CLM);
    let waited = || {
        let fired = Arc::new(AtomicI32::new(0));
        let f2 = fired.clone();
        modules::wait_for_examine(Box::new(move || {
            f2.store(1, Ordering::SeqCst);
        }))
        .unwrap();
        fired
    };

    // Auto-examine: every examine_config, then examine_disk; waiting lasts
    // until the deferred examine_disk reports done.
    malloc::create("exm_a", 8, 512, None).unwrap();
    assert_eq!(*LOG.lock(), ["exm config exm_a", "clm config exm_a", "exm disk exm_a", "clm disk exm_a"]);
    // SAFETY: the layer's own field of a registered bdev.
    assert_eq!(unsafe { (*get_by_name("exm_a").unwrap()).internal.examine_in_progress }, 0);
    assert!(!modules::all_actions_completed());
    // SAFETY: the module struct the layer mirrors its count into.
    assert_eq!(unsafe { (*(exm as *const spdk_bdev_module)).internal.action_in_progress }, 1);
    let fired = waited();
    for _ in 0..100 {
        // SAFETY: the test's live thread.
        unsafe { (*t).poll(0, 0) };
    }
    assert_eq!(fired.load(Ordering::SeqCst), 0, "an examination is still pending");
    finish_deferred();
    poll_until(t, || fired.load(Ordering::SeqCst) == 1);
    assert!(modules::action_done(exm as *mut spdk_bdev_module).is_err(), "nothing left to finish");

    // A bdev claimed in examine_config is examined further only by its claimer.
    LOG.lock().clear();
    malloc::create("exm_claimed", 8, 512, None).unwrap();
    assert_eq!(*LOG.lock(), ["exm config exm_claimed", "clm config exm_claimed", "clm disk exm_claimed"]);
    assert_eq!(claimer(get_by_name("exm_claimed").unwrap()), clm);
    release_claim(get_by_name("exm_claimed").unwrap());

    // Auto-examine off: only bdevs named by spdk_bdev_examine.
    LOG.lock().clear();
    modules::set_auto_examine(false);
    malloc::create("exm_manual", 8, 512, None).unwrap();
    assert!(LOG.lock().is_empty());
    modules::examine_by_name("exm_manual").unwrap();
    assert_eq!(LOG.lock().len(), 4);
    assert!(matches!(modules::examine_by_name("exm_manual"), Err(BdevError::Exists(_))));
    modules::examine_by_name("exm_later").unwrap();
    malloc::create("exm_later", 8, 512, None).unwrap();
    assert!(LOG.lock().contains(&"exm config exm_later".to_string()));
    modules::set_auto_examine(true);
    assert!(matches!(modules::examine_by_name("exm_other"), Err(BdevError::Invalid(_))));
    finish_deferred();
    assert!(modules::all_actions_completed());

    // Init: module_init in order, the asynchronous one finishes later, then
    // every init_complete. Fini: fini_start (asynchronous), the bdevs, then
    // module_fini in reverse order.
    let a = test_module(c"life_a");
    let b = test_module(c"life_b");
    // SAFETY: just made, not shared yet.
    unsafe {
        (*a).module_init = Some(a_init);
        (*a).init_complete = Some(a_complete);
        (*a).fini_start = Some(a_fini_start);
        (*a).async_fini_start = true;
        (*a).module_fini = Some(a_fini);
        (*a).async_fini = true;
        (*b).module_init = Some(b_init);
        (*b).async_init = true;
        (*b).init_complete = Some(b_complete);
        (*b).module_fini = Some(b_fini);
        (*b).async_fini = true;
    }
    module_add(a);
    module_add(b);
    let rc = Arc::new(AtomicI32::new(i32::MIN));
    let r2 = rc.clone();
    modules::init(Box::new(move |r| r2.store(r, Ordering::SeqCst)));
    assert_eq!(*ORDER.lock(), ["a init", "b init"]);
    assert_eq!(rc.load(Ordering::SeqCst), i32::MIN, "life_b has not finished");
    modules::action_done(b).unwrap();
    poll_until(t, || rc.load(Ordering::SeqCst) == 0);
    assert_eq!(*ORDER.lock(), ["a init", "b init", "a complete", "b complete"]);
    ORDER.lock().clear();
    let rc = Arc::new(AtomicI32::new(i32::MIN));
    let r2 = rc.clone();
    modules::fini(
        Box::new(|then| {
            ORDER.lock().push("bdevs");
            then()
        }),
        Box::new(move |r| r2.store(r, Ordering::SeqCst)),
    );
    assert_eq!(*ORDER.lock(), ["a fini_start"]);
    modules::hook_done();
    poll_until(t, || ORDER.lock().len() == 4);
    assert_eq!(*ORDER.lock(), ["a fini_start", "bdevs", "b fini", "a fini"]);
    assert_eq!(rc.load(Ordering::SeqCst), i32::MIN, "life_a's module_fini has not finished");
    modules::hook_done();
    poll_until(t, || rc.load(Ordering::SeqCst) == 0);

    for n in ["exm_a", "exm_claimed", "exm_manual", "exm_later"] {
        malloc::delete(n, None, std::ptr::null_mut()).unwrap();
    }
    poll_until(t, || get_by_name("exm_a").is_none() && get_by_name("exm_later").is_none());
    stop(t);
}
