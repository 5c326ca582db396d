//! The bdev layer on malloc and null bdevs, driven by hand on one spdk_thread.

use super::io::{self, Request, SubmitError};
use super::*;
use crate::thread::{self, Thread};
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};

/// Completions of a test's I/O, counted by [`on_done`]. Cells: the callback
/// writes them through a pointer while the test holds shared references
/// (plain fields let the optimiser keep `done` in a register for ever).
pub(super) struct Ctx {
    pub(super) done: Cell<u32>,
    pub(super) ok: Cell<bool>,
}

impl Ctx {
    pub(super) fn new() -> Ctx {
        Ctx { done: Cell::new(0), ok: Cell::new(false) }
    }

    /// The callback argument for this Ctx.
    pub(super) fn arg(&self) -> *mut c_void {
        self as *const Ctx as *mut c_void
    }
}

pub(super) extern "C" fn on_done(io: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    // SAFETY: arg is the test's Ctx, alive until checked.
    let c = unsafe { &*(arg as *const Ctx) };
    c.done.set(c.done.get() + 1);
    c.ok.set(success);
    io::free_io(io);
}

pub(super) fn poll_until(t: *mut Thread, mut cond: impl FnMut() -> bool) {
    for _ in 0..100_000 {
        if cond() {
            return;
        }
        // SAFETY: the test's live thread.
        unsafe { (*t).poll(0, 0) };
    }
    panic!("condition not reached");
}

pub(super) fn rq(t: spdk_bdev_io_type, buf: *mut u8, off: u64, n: u64, ctx: &Ctx) -> Request {
    Request {
        io_type: t,
        iovs: std::ptr::null_mut(),
        iovcnt: 0,
        buf: buf.cast(),
        md_buf: std::ptr::null_mut(),
        offset_blocks: off,
        num_blocks: n,
        cb: Some(on_done),
        cb_arg: ctx.arg(),
    }
}

static REMOVED: AtomicU32 = AtomicU32::new(0);
static GONE: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_event(t: spdk_bdev_event_type, _b: *mut spdk_bdev, _ctx: *mut c_void) {
    if t == spdk_bdev_event_type::SPDK_BDEV_EVENT_REMOVE {
        REMOVED.fetch_add(1, Ordering::SeqCst);
    }
}

extern "C" fn on_unregistered(_arg: *mut c_void, rc: c_int) {
    assert_eq!(rc, 0);
    GONE.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn malloc_and_null_through_the_layer() {
    use spdk_bdev_io_type::*;
    let t = thread::create(Some("bdev_test"), None).unwrap();
    thread::set_current(t);
    assert!(matches!(malloc::create("m0", 256, 513, None), Err(BdevError::Invalid(_))));
    let b = malloc::create("m0", 256, 512, None).unwrap();
    assert_eq!(malloc::create("m0", 8, 512, None).err(), Some(BdevError::Exists("m0".into())));
    assert_eq!(get_by_name("m0"), Some(b));
    // SAFETY: every bit pattern of the 16 bytes is valid.
    assert_ne!(unsafe { bdev_ref(b).uuid.u.raw }, [0; 16], "a UUID is generated");
    let n = null::create("n0", 1 << 20, 4096, None).unwrap();
    // Other tests of this process register bdevs too: check ours, in registration order.
    let l = list();
    let (pb, pn) = (l.iter().position(|&x| x == b).unwrap(), l.iter().position(|&x| x == n).unwrap());
    assert!(pb < pn);

    let rw = open("m0", true, Some(on_event), std::ptr::null_mut()).unwrap();
    let ro = open("m0", false, Some(on_event), std::ptr::null_mut()).unwrap();
    assert!(matches!(open("nope", false, None, std::ptr::null_mut()), Err(BdevError::NotFound(_))));
    let ch = ioch::get(b.cast()).unwrap().cast();

    let buf = crate::env::mem::alloc(8 * 512, 4096).unwrap();
    // SAFETY: buf is a live 4 KiB block.
    let data = unsafe { std::slice::from_raw_parts_mut(buf, 8 * 512) };
    for (i, x) in data.iter_mut().enumerate() {
        *x = (i * 7 + 1) as u8;
    }
    let c = Ctx::new();
    io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 16, 8, &c)).unwrap();
    assert_eq!(c.done.get(), 0, "a completion inside submit_request is deferred");
    poll_until(t, || c.done.get() == 1);
    assert!(c.ok.get());
    data.fill(0);
    io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 16, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 2);
    assert!(c.ok.get() && data.iter().enumerate().all(|(i, &x)| x == (i * 7 + 1) as u8));
    // Compare: equal, then different.
    io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_COMPARE, buf, 16, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 3);
    assert!(c.ok.get());
    data[3] ^= 1;
    io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_COMPARE, buf, 16, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 4);
    assert!(!c.ok.get(), "miscompare fails the I/O");
    // Write zeroes then read zeros.
    io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_WRITE_ZEROES, std::ptr::null_mut(), 16, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 5);
    io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 16, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 6);
    assert!(data.iter().all(|&x| x == 0));

    // Bad input: SPDK's errors, nothing submitted.
    assert_eq!(io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 250, 8, &c)), Err(SubmitError::Invalid));
    assert_eq!(io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, u64::MAX, 2, &c)), Err(SubmitError::Invalid));
    assert_eq!(io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 0, 0, &c)), Err(SubmitError::Invalid));
    assert_eq!(io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, std::ptr::null_mut(), 0, 1, &c)), Err(SubmitError::Invalid));
    assert_eq!(io::submit(ro, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 0, 1, &c)), Err(SubmitError::ReadOnly));
    assert_eq!(c.done.get(), 6);
    assert_eq!(io::chan(ch).stat.num_write_ops, 1);
    assert_eq!(io::chan(ch).stat.num_read_ops, 2);
    assert_eq!(io::chan(ch).stat.bytes_read, 2 * 8 * 512);

    // The null bdev: no zero-copy; reads succeed.
    let nd = open("n0", false, None, std::ptr::null_mut()).unwrap();
    let nch = ioch::get(n.cast()).unwrap().cast();
    assert_eq!(io::submit(nd, nch, rq(SPDK_BDEV_IO_TYPE_ZCOPY, buf, 0, 1, &c)), Err(SubmitError::Unsupported));
    io::submit(nd, nch, rq(SPDK_BDEV_IO_TYPE_READ, buf, (1 << 20) - 1, 1, &c)).unwrap();
    poll_until(t, || c.done.get() == 7);
    assert!(c.ok.get());
    ioch::put(nch.cast());
    close(nd);
    null::delete("n0", Some(on_unregistered), std::ptr::null_mut()).unwrap();

    // Removal with descriptors open: each is told; the bdev goes once both close.
    ioch::put(ch.cast());
    malloc::delete("m0", Some(on_unregistered), std::ptr::null_mut()).unwrap();
    assert!(matches!(open("m0", false, None, std::ptr::null_mut()), Err(BdevError::Removing(_))));
    poll_until(t, || REMOVED.load(Ordering::SeqCst) == 2 && GONE.load(Ordering::SeqCst) == 1);
    for _ in 0..100 {
        // SAFETY: the test's live thread.
        unsafe { (*t).poll(0, 0) };
    }
    assert_eq!(GONE.load(Ordering::SeqCst), 1, "the null bdev is gone, the malloc one still open");
    assert!(get_by_name("m0").is_some());
    close(rw);
    close(ro);
    poll_until(t, || GONE.load(Ordering::SeqCst) == 2);
    assert_eq!(get_by_name("m0"), None);
    crate::env::mem::free(buf);
    thread::set_current(std::ptr::null_mut());
    // SAFETY: the test's thread.
    unsafe { (*t).exit() };
    poll_until(t, || unsafe { (*t).is_exited() });
    thread::destroy(t);
}

#[test]
fn split_parts_forward_to_their_base() {
    use spdk_bdev_io_type::*;
    let t = thread::create(Some("split_test"), None).unwrap();
    thread::set_current(t);
    let base = malloc::create("sp_base", 1024, 512, None).unwrap();
    let names = split::create("sp_base", 4, None).unwrap();
    assert_eq!(names, ["sp_basep0", "sp_basep1", "sp_basep2", "sp_basep3"]);
    for n in &names {
        let p = get_by_name(n).expect("part registered");
        assert_eq!((bdev_ref(p).blockcnt, bdev_ref(p).blocklen), (256, 512));
    }
    assert!(split::create("sp_base", 2, None).unwrap_err().to_string().contains("already split"));
    assert!(matches!(split::create("sp_none", 2, None), Err(BdevError::NotFound(_))));
    malloc::create("sp_small", 16, 512, None).unwrap();
    assert!(split::create("sp_small", 4, Some(1)).unwrap_err().to_string().contains("do not fit"));
    assert!(matches!(split::create("sp_small", 0, None), Err(BdevError::Invalid(_))));
    assert!(matches!(split::create("sp_small", 32, None), Err(BdevError::Invalid(_))));
    assert!(get_by_name("sp_smallp0").is_none(), "a failed split leaves nothing behind");
    // The base is claimed: no writer, readers allowed.
    assert!(matches!(open("sp_base", true, None, std::ptr::null_mut()), Err(BdevError::Claimed(_))));
    let ro = open("sp_base", false, None, std::ptr::null_mut()).unwrap();
    let bch = ioch::get(base.cast()).unwrap().cast();

    let p2 = get_by_name("sp_basep2").unwrap();
    let pd = open("sp_basep2", true, None, std::ptr::null_mut()).unwrap();
    let pch = ioch::get(p2.cast()).unwrap().cast();
    let buf = crate::env::mem::alloc(8 * 512, 4096).unwrap();
    // SAFETY: buf is a live 4 KiB block.
    let data = unsafe { std::slice::from_raw_parts_mut(buf, 8 * 512) };
    for (i, x) in data.iter_mut().enumerate() {
        *x = (i * 13 + 5) as u8;
    }
    let c = Ctx::new();
    io::submit(pd, pch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 10, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 1);
    assert!(c.ok.get());
    data.fill(0);
    // Part 2 starts at block 512 of the base.
    io::submit(ro, bch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 512 + 10, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 2);
    assert!(c.ok.get() && data.iter().enumerate().all(|(i, &x)| x == (i * 13 + 5) as u8));
    // Compare through the part: equal, then a miscompare.
    io::submit(pd, pch, rq(SPDK_BDEV_IO_TYPE_COMPARE, buf, 10, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 3);
    assert!(c.ok.get());
    io::submit(pd, pch, rq(SPDK_BDEV_IO_TYPE_COMPARE, buf, 11, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 4);
    assert!(!c.ok.get());
    // The part's end is its own, not the base's.
    assert_eq!(io::submit(pd, pch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 250, 8, &c)), Err(SubmitError::Invalid));
    io::submit(pd, pch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 248, 8, &c)).unwrap();
    poll_until(t, || c.done.get() == 5);
    assert!(c.ok.get());
    io::submit(pd, pch, rq(SPDK_BDEV_IO_TYPE_RESET, std::ptr::null_mut(), 0, 0, &c)).unwrap();
    poll_until(t, || c.done.get() == 6);
    assert!(c.ok.get());
    ioch::put(pch.cast());
    close(pd);
    ioch::put(bch.cast());
    close(ro);

    // bdev_split_delete: the parts go and the base is writable again.
    malloc::create("sp_del", 64, 512, None).unwrap();
    split::create("sp_del", 2, None).unwrap();
    split::delete("sp_del").unwrap();
    poll_until(t, || get_by_name("sp_delp0").is_none() && get_by_name("sp_delp1").is_none());
    let w = open("sp_del", true, None, std::ptr::null_mut()).expect("claim released");
    close(w);
    assert!(split::delete("sp_del").is_err());

    // Removing the base removes its parts first.
    malloc::delete("sp_base", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || names.iter().all(|n| get_by_name(n).is_none()) && get_by_name("sp_base").is_none());
    malloc::delete("sp_del", None, std::ptr::null_mut()).unwrap();
    malloc::delete("sp_small", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || get_by_name("sp_del").is_none() && get_by_name("sp_small").is_none());
    crate::env::mem::free(buf);
    thread::set_current(std::ptr::null_mut());
    // SAFETY: the test's thread.
    unsafe { (*t).exit() };
    poll_until(t, || unsafe { (*t).is_exited() });
    thread::destroy(t);
}

#[test]
fn passthru_and_error_injection() {
    use spdk_bdev_io_type::*;
    let t = thread::create(Some("vbdev_test"), None).unwrap();
    thread::set_current(t);
    let buf = crate::env::mem::alloc(4 * 512, 4096).unwrap();
    // SAFETY: buf is a live 2 KiB block.
    let data = unsafe { std::slice::from_raw_parts_mut(buf, 4 * 512) };
    let c = Ctx::new();

    // Passthru: same blocks under a new name; the base is claimed meanwhile.
    let base = malloc::create("pt_base", 128, 512, None).unwrap();
    passthru::create("pt_base", "pt0", None).unwrap();
    assert!(matches!(passthru::create("pt_base", "pt1", None), Err(BdevError::Claimed(_))));
    assert!(matches!(passthru::create("pt_none", "pt2", None), Err(BdevError::NotFound(_))));
    assert!(get_by_name("pt1").is_none() && get_by_name("pt2").is_none());
    let pt = get_by_name("pt0").unwrap();
    assert_eq!(bdev_ref(pt).blockcnt, 128);
    let pd = open("pt0", true, None, std::ptr::null_mut()).unwrap();
    let pch = ioch::get(pt.cast()).unwrap().cast();
    data.iter_mut().enumerate().for_each(|(i, x)| *x = (i * 3 + 7) as u8);
    io::submit(pd, pch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 100, 4, &c)).unwrap();
    poll_until(t, || c.done.get() == 1);
    assert!(c.ok.get());
    data.fill(0);
    let ro = open("pt_base", false, None, std::ptr::null_mut()).unwrap();
    let bch = ioch::get(base.cast()).unwrap().cast();
    io::submit(ro, bch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 100, 4, &c)).unwrap();
    poll_until(t, || c.done.get() == 2);
    assert!(c.ok.get() && data.iter().enumerate().all(|(i, &x)| x == (i * 3 + 7) as u8));
    ioch::put(bch.cast());
    close(ro);
    ioch::put(pch.cast());
    close(pd);
    assert!(passthru::delete("pt_base").is_err(), "the base is not a passthru bdev");
    passthru::delete("pt0").unwrap();
    poll_until(t, || get_by_name("pt0").is_none());
    close(open("pt_base", true, None, std::ptr::null_mut()).expect("claim released"));

    // Error injection.
    malloc::create("ee_base", 64, 512, None).unwrap();
    assert_eq!(error::create("ee_base", None).unwrap(), "EE_ee_base");
    let ee = get_by_name("EE_ee_base").unwrap();
    let ed = open("EE_ee_base", true, None, std::ptr::null_mut()).unwrap();
    let ech = ioch::get(ee.cast()).unwrap().cast();
    c.done.set(0);
    let mut n = 0;
    let mut run = |ty, c: &Ctx| {
        io::submit(ed, ech, rq(ty, buf, 8, 4, c)).unwrap();
        n += 1;
        poll_until(t, || c.done.get() == n);
        c.ok.get()
    };
    assert!(run(SPDK_BDEV_IO_TYPE_WRITE, &c));
    error::inject("EE_ee_base", error::Target::One(SPDK_BDEV_IO_TYPE_WRITE), error::Injection::new(error::ErrorType::Failure, 2)).unwrap();
    assert!(run(SPDK_BDEV_IO_TYPE_READ, &c), "reads are not armed");
    assert!(!run(SPDK_BDEV_IO_TYPE_WRITE, &c));
    assert!(!run(SPDK_BDEV_IO_TYPE_WRITE, &c));
    assert!(run(SPDK_BDEV_IO_TYPE_WRITE, &c), "two failures, then through again");
    // NOMEM with nothing else in flight: the layer retries until it passes.
    error::inject("EE_ee_base", error::Target::One(SPDK_BDEV_IO_TYPE_READ), error::Injection::new(error::ErrorType::NoMem, 3)).unwrap();
    assert!(run(SPDK_BDEV_IO_TYPE_READ, &c));
    error::inject("EE_ee_base", error::Target::All, error::Injection::new(error::ErrorType::Failure, 1)).unwrap();
    assert!(!run(SPDK_BDEV_IO_TYPE_READ, &c));
    assert!(!run(SPDK_BDEV_IO_TYPE_WRITE, &c));
    assert!(run(SPDK_BDEV_IO_TYPE_READ, &c));
    error::inject("EE_ee_base", error::Target::One(SPDK_BDEV_IO_TYPE_WRITE), error::Injection::new(error::ErrorType::Failure, 5)).unwrap();
    error::inject("EE_ee_base", error::Target::One(SPDK_BDEV_IO_TYPE_WRITE), error::Injection::new(error::ErrorType::Failure, 0)).unwrap();
    assert!(run(SPDK_BDEV_IO_TYPE_WRITE, &c), "num 0 disarms");
    assert!(matches!(error::inject("ee_base", error::Target::All, error::Injection::new(error::ErrorType::Failure, 1)), Err(BdevError::NotFound(_))));
    assert!(error::ErrorType::parse("nvme_failure").unwrap_err().to_string().contains("not supported"));
    assert!(error::parse_io_type("frob").is_err());
    ioch::put(ech.cast());
    close(ed);

    // Removing a base takes its virtual bdev with it.
    malloc::delete("ee_base", None, std::ptr::null_mut()).unwrap();
    malloc::delete("pt_base", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || get_by_name("EE_ee_base").is_none() && get_by_name("ee_base").is_none() && get_by_name("pt_base").is_none());
    crate::env::mem::free(buf);
    thread::set_current(std::ptr::null_mut());
    // SAFETY: the test's thread.
    unsafe { (*t).exit() };
    poll_until(t, || unsafe { (*t).is_exited() });
    thread::destroy(t);
}

#[test]
fn delay_bdev_holds_completions() {
    use spdk_bdev_io_type::*;
    let t = thread::create(Some("delay_test"), None).unwrap();
    thread::set_current(t);
    malloc::create("dl_base", 64, 512, None).unwrap();
    let bad = delay::Latencies { avg_read: 10, p99_read: 5, avg_write: 0, p99_write: 0 };
    assert!(delay::create("dl_base", "dl0", bad, None).unwrap_err().to_string().contains("below"));
    let lat = delay::Latencies { avg_read: 3000, p99_read: 3000, avg_write: 0, p99_write: 0 };
    delay::create("dl_base", "dl0", lat, None).unwrap();
    let b = get_by_name("dl0").unwrap();
    let d = open("dl0", true, None, std::ptr::null_mut()).unwrap();
    let ch = ioch::get(b.cast()).unwrap().cast();
    let buf = crate::env::mem::alloc(512, 4096).unwrap();
    let c = Ctx::new();
    let wait = |c: &Ctx, n: u32| {
        let start = crate::env::cpu::ticks();
        while c.done.get() < n {
            assert!(crate::env::cpu::ticks() - start < 10 * crate::env::cpu::TICKS_HZ, "I/O never completed");
            // SAFETY: the test's live thread.
            unsafe { (*t).poll(0, 0) };
        }
        crate::env::cpu::ticks() - start
    };
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 0, 1, &c)).unwrap();
    wait(&c, 1);
    assert!(c.ok.get());
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 0, 1, &c)).unwrap();
    let took = wait(&c, 2);
    assert!(c.ok.get());
    assert!(took >= 3_000_000, "a read with 3 ms of latency completed after {took} ns");
    assert!(delay::update_latency("dl0", "avg_read", 5000).unwrap_err().to_string().contains("below"));
    assert!(delay::update_latency("dl0", "median", 1).is_err());
    assert!(matches!(delay::update_latency("dl_base", "avg_read", 1), Err(BdevError::NotFound(_))));
    delay::update_latency("dl0", "p99_read", 8000).unwrap();
    delay::update_latency("dl0", "avg_read", 8000).unwrap();
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 0, 1, &c)).unwrap();
    let took = wait(&c, 3);
    assert!(took >= 8_000_000, "after the update, a read completed after {took} ns");
    ioch::put(ch.cast());
    close(d);
    delay::delete("dl0").unwrap();
    poll_until(t, || get_by_name("dl0").is_none());
    close(open("dl_base", true, None, std::ptr::null_mut()).expect("claim released"));
    malloc::delete("dl_base", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || get_by_name("dl_base").is_none());
    crate::env::mem::free(buf);
    thread::set_current(std::ptr::null_mut());
    // SAFETY: the test's thread.
    unsafe { (*t).exit() };
    poll_until(t, || unsafe { (*t).is_exited() });
    thread::destroy(t);
}

static TIMED_OUT: AtomicU32 = AtomicU32::new(0);
static TIMED_OUT_IO: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe extern "C" fn on_timeout(arg: *mut c_void, io: *mut spdk_bdev_io) {
    assert_eq!(arg as usize, 0x7e57);
    TIMED_OUT_IO.store(io as usize, Ordering::SeqCst);
    TIMED_OUT.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn timeouts_fire_on_a_delay_bdev() {
    use spdk_bdev_io_type::*;
    let t = thread::create(Some("bdev_timeout_test"), None).unwrap();
    thread::set_current(t);
    malloc::create("to_base", 64, 512, None).unwrap();
    // Reads take 1.5 s; writes complete at once.
    let lat = delay::Latencies { avg_read: 1_500_000, p99_read: 1_500_000, avg_write: 0, p99_write: 0 };
    delay::create("to_base", "to_delay", lat, None).unwrap();
    let d = open("to_delay", true, Some(on_event), std::ptr::null_mut()).unwrap();
    let b = bdev_ref_ptr(d);
    let ch = ioch::get(b.cast()).unwrap().cast();
    assert!(timeout::set(d, 1, Some(on_timeout), 0x7e57 as *mut c_void).is_ok());
    let buf = crate::env::mem::alloc(4096, 4096).unwrap();
    let (rd, wr) = (Ctx::new(), Ctx::new());
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 0, 8, &wr)).unwrap();
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 0, 8, &rd)).unwrap();
    let start = std::time::Instant::now();
    while rd.done.get() == 0 && start.elapsed() < std::time::Duration::from_secs(5) {
        // SAFETY: the test's live thread.
        unsafe { (*t).poll(0, 0) };
    }
    assert_eq!((wr.done.get(), wr.ok.get()), (1, true), "the fast write finished and never timed out");
    assert_eq!((rd.done.get(), rd.ok.get()), (1, true), "the slow read still completes");
    assert_eq!(TIMED_OUT.load(Ordering::SeqCst), 1, "the read was reported once, after 1 s");
    assert_ne!(TIMED_OUT_IO.load(Ordering::SeqCst), 0);
    // Completed I/O is no longer reported; clearing the timeout stops the checks.
    let before = TIMED_OUT.load(Ordering::SeqCst);
    assert!(timeout::set(d, 0, None, std::ptr::null_mut()).is_ok());
    io::submit(d, ch, rq(SPDK_BDEV_IO_TYPE_READ, buf, 0, 8, &rd)).unwrap();
    let start = std::time::Instant::now();
    while rd.done.get() == 1 && start.elapsed() < std::time::Duration::from_secs(5) {
        // SAFETY: as above.
        unsafe { (*t).poll(0, 0) };
    }
    assert_eq!(rd.done.get(), 2);
    assert_eq!(TIMED_OUT.load(Ordering::SeqCst), before, "no reports without a timeout");
    ioch::put(ch.cast());
    close(d);
    delay::delete("to_delay").unwrap();
    malloc::delete("to_base", None, std::ptr::null_mut()).unwrap();
    crate::env::mem::free(buf);
    for _ in 0..1000 {
        // SAFETY: as above.
        unsafe { (*t).poll(0, 0) };
    }
}
